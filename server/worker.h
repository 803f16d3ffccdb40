/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/worker.h - one worker thread: its event loop, listeners, forwarder and the query path. */
#ifndef SERVER_WORKER_H
#define SERVER_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct nd_client;
struct nd_daemon;
struct nd_metrics;
struct nd_worker;
struct event_base;

/*
 * Serve one query message pkt[0..len) from client c on worker w's thread.
 * When the answer is known at once (error, cache hit) it is written to
 * out (cap bytes, at least ND_DNS_MAX_MSG for TCP) and *out_len set; the
 * caller sends it. Otherwise *out_len is 0: the answer will be sent later
 * (a TCP connection is held until then) or the packet was dropped.
 */
void nd_worker_handle_query(struct nd_worker *w, const struct nd_client *c,
			    const uint8_t *pkt, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len);

/* The worker's event base and counters (borrowed). */
struct event_base *nd_worker_base(struct nd_worker *w);
struct nd_metrics *nd_worker_metrics(struct nd_worker *w);

#endif /* SERVER_WORKER_H */
