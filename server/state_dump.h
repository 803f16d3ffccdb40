/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/state_dump.h - the daemon's state as log lines (SIGUSR1). */
#ifndef SERVER_STATE_DUMP_H
#define SERVER_STATE_DUMP_H

struct nd_daemon;

/*
 * Write the state to the log, group "dump", whatever --log-level says:
 * version and uptime, the configuration in force, every upstream with
 * its health and counters, the cache, the cluster zone and its sync,
 * the query counters. Control thread (it reads the kube client).
 */
void nd_state_dump(struct nd_daemon *d);

#endif /* SERVER_STATE_DUMP_H */
