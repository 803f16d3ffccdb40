/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/forwarder.h - asking upstream servers over UDP and TCP, with timeouts and retries. */
#ifndef SERVER_FORWARDER_H
#define SERVER_FORWARDER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct nd_metrics;
struct nd_question;
struct nd_upstreams;

struct nd_forwarder; /* opaque; one per worker, used on its thread only */

struct nd_forwarder_options {
	uint32_t attempt_timeout_ms; /* one UDP attempt before the next upstream */
	uint32_t query_timeout_ms;   /* the whole query, every retry included */
};

/*
 * Called once per nd_forwarder_query() on the worker's thread.
 * status: 0 with the upstream's reply (borrowed, valid during the call,
 * already matched to the question and classified ND_FWD_ACCEPT); or
 * negative (every attempt failed or the query timeout passed) with
 * reply NULL.
 */
typedef void (*nd_forwarder_done_fn)(void *arg, int status,
				     const uint8_t *reply, size_t len);

/*
 * A forwarder on base that sends to the upstreams of ups (borrowed; may be
 * swapped with nd_forwarder_set_upstreams) and counts into m (borrowed).
 * NULL on failure.
 */
struct nd_forwarder *nd_forwarder_new(struct event_base *base,
				      struct nd_upstreams *ups,
				      const struct nd_forwarder_options *opt,
				      struct nd_metrics *m);
/* Cancel every query (their done is called with -ECANCELED) and free. */
void nd_forwarder_free(struct nd_forwarder *f);

/*
 * Resolve qs (copied) upstream: a fresh UDP socket (random source port)
 * and a random ID per attempt; a reply is taken only from the upstream's
 * address and port with the same ID and question; on timeout, SERVFAIL,
 * REFUSED or an ICMP error the next upstream is tried; on TC the same
 * upstream is asked over TCP.
 * Returns 0 (done will be called, never before this returns) or negative.
 */
int nd_forwarder_query(struct nd_forwarder *f, const struct nd_question *qs,
		       nd_forwarder_done_fn done, void *arg);

/* Use another upstream set for queries started from now on (SIGHUP). */
void nd_forwarder_set_upstreams(struct nd_forwarder *f,
				struct nd_upstreams *ups);

/* Queries in flight. */
size_t nd_forwarder_pending(const struct nd_forwarder *f);

#endif /* SERVER_FORWARDER_H */
