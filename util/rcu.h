/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/rcu.h - register the calling thread with liburcu, once, undone at thread exit. */
#ifndef UTIL_RCU_H
#define UTIL_RCU_H

/*
 * The cluster zone and the cache are read without locks under RCU
 * (liburcu's memb flavour), which needs every reading thread registered.
 * nd_rcu_register() does it once per thread (later calls cost a
 * thread-local test, so a read path may call it every time) and the
 * registration is dropped when the thread exits.
 */
void nd_rcu_register(void);

/* Drop the calling thread's registration now; harmless when there is none. */
void nd_rcu_unregister(void);

#endif /* UTIL_RCU_H */
