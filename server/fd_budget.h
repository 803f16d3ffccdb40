/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/fd_budget.h - how many descriptors upstream fetches may take, from RLIMIT_NOFILE. */
#ifndef SERVER_FD_BUDGET_H
#define SERVER_FD_BUDGET_H

#include <stdint.h>

struct nd_config;

/*
 * Every upstream fetch holds one descriptor (a UDP socket or a TCP
 * connection). Left unbounded, a flood of distinct names takes them all
 * and accept() on the DNS TCP listeners and the HTTP endpoint fail with
 * EMFILE. So a reserve is kept from the fetches, and --max-inflight
 * defaults to what is left:
 *
 *   reserve = ND_FD_FIXED                         stdio, log, HTTP
 *                                                 listener, control loop,
 *                                                 API connections, files
 *           + workers x (ND_FD_PER_WORKER         its loop (epoll, wake-up)
 *                        + 2 x listen addresses)  its UDP and TCP listeners
 *           + workers x listen addresses x --tcp-max-conns   TCP clients
 *           + ND_FD_HTTP                          HTTP clients (/metrics,
 *                                                 probes)
 *   max_inflight = RLIMIT_NOFILE - reserve, at least ND_FD_MIN_FETCHES
 *
 * With the defaults (2 workers, one listen address, 256 TCP connections
 * each): reserve = 64 + 2 x (8 + 2) + 2 x 256 + 64 = 660.
 */
#define ND_FD_FIXED 64
#define ND_FD_PER_WORKER 8
#define ND_FD_HTTP 64
#define ND_FD_MIN_FETCHES 64
/* The soft limit is raised to the hard one at start, up to this. */
#define ND_FD_RAISE_MAX 1048576

struct nd_fd_budget {
	uint64_t limit;		/* RLIMIT_NOFILE (soft) in force; 0 =
				   unknown */
	uint64_t reserved;	/* descriptors kept from fetches */
	uint32_t max_inflight;	/* --max-inflight to use */
};

/*
 * Raise the soft RLIMIT_NOFILE to the hard one (at most ND_FD_RAISE_MAX)
 * and compute *b for cfg run with n_workers workers: cfg->max_inflight
 * when given (with a warning when it exceeds what is left), else what is
 * left after the reserve. Logs the arithmetic once. Returns 0.
 */
int nd_fd_budget_compute(const struct nd_config *cfg, unsigned n_workers,
			 struct nd_fd_budget *b);

#endif /* SERVER_FD_BUDGET_H */
