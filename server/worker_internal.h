/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/worker_internal.h - the worker struct, for daemon.c and worker.c only. */
#ifndef SERVER_WORKER_INTERNAL_H
#define SERVER_WORKER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "config/config.h"
#include "resolver/metrics.h"
#include "server/worker.h"

struct event;
struct nd_forwarder;
struct nd_rs_result;
struct nd_rs_worker;
struct nd_mail;
struct nd_tcp_listener;
struct nd_udp_listener;

struct nd_worker {
	unsigned index;			/* 0.. */
	struct nd_daemon *d;		/* shared state (borrowed) */
	struct event_base *base;	/* this worker's loop */
	pthread_t thread;
	struct nd_metrics metrics;	/* written by this thread only */
	struct nd_rs_worker *rw;	/* this worker's side of the resolver */
	struct nd_forwarder *fwd;	/* the sockets of its fetches */
	struct nd_udp_listener *udp[ND_MAX_LISTEN];
	struct nd_tcp_listener *tcp[ND_MAX_LISTEN];
	size_t n_listen;
	pthread_mutex_t mail_lock;	/* guards mail */
	struct nd_mail *mail;		/* answers for our TCP clients from
					   other workers, and control messages */
	struct event *mail_ev;		/* activated to drain mail */
	struct event *drain_ev;		/* after stop: waits for in-flight work */
	struct event *probe_ev;		/* worker 0: loop probe rounds; else
					   NULL */
	uint32_t probe_round;		/* rounds sent */
	bool probe_forced;		/* the next round goes out whatever
					   the marks (start, reload) */
	uint64_t stop_deadline_ms;	/* monotonic; 0 = not stopping */
	int outstanding;		/* our requests not yet answered (atomic) */
	uint8_t *scratch;		/* ND_DNS_MAX_MSG+ bytes for rendering */
	struct nd_rs_result *res;	/* the step of the query at hand */
	struct nd_rs_result *res_done;	/* the steps of a fetch's waiters */
	uint64_t rt_gen;		/* generation of the runtime snapshot
					   in use (atomic; runtime_reap.c) */
};

/* Create worker index i (sockets bound, loop not running). NULL on error. */
struct nd_worker *nd_worker_new(struct nd_daemon *d, unsigned index);
/* Start its thread. Returns 0 or -errno. */
int nd_worker_start(struct nd_worker *w);
/* Ask it (from any thread) to stop taking queries, finish those in
 * flight (until deadline_ms, monotonic) and leave its loop. */
void nd_worker_stop(struct nd_worker *w, uint64_t deadline_ms);
/* Ask it (from any thread) to pick up the current runtime snapshot. */
void nd_worker_reload(struct nd_worker *w);
/* Cancel its upstream queries (their waiters get SERVFAIL or stale):
 * after every worker's thread was joined, before any worker is freed,
 * since a waiter may belong to another worker. */
void nd_worker_cancel(struct nd_worker *w);
/* Join its thread. */
void nd_worker_join(struct nd_worker *w);
/* Free (thread joined or never started); NULL is fine. */
void nd_worker_free(struct nd_worker *w);

#endif /* SERVER_WORKER_INTERNAL_H */
