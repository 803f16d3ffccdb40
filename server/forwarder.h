/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/forwarder.h - asking upstream servers over UDP and TCP, with timeouts and retries. */
#ifndef SERVER_FORWARDER_H
#define SERVER_FORWARDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sockaddr;
struct nd_metrics;
struct nd_question;
struct nd_upstreams;

struct nd_forwarder; /* opaque; one per worker, used on its thread only */

struct nd_forwarder_options {
	uint32_t attempt_timeout_ms; /* one UDP attempt before the next upstream */
	uint32_t query_timeout_ms;   /* the whole query, every retry included */
	/* Told of every failed attempt (not OK), for the signals' log line;
	 * on the forwarder's thread; NULL = nobody. */
	void (*on_failure)(void *arg, const struct sockaddr *upstream,
			   int outcome /* enum nd_upstream_outcome */);
	void *failure_arg; /* passed to on_failure */
};

/*
 * Called once per nd_forwarder_query() on the worker's thread.
 * status: 0 with the upstream's reply (borrowed, valid during the call,
 * already matched to the question and classified ND_FWD_ACCEPT); or
 * negative (every attempt failed or the query timeout passed) with
 * reply NULL.
 * The negative codes: -ETIMEDOUT (query_timeout_ms passed, or attempts
 * timed out until the attempt cap), -EHOSTUNREACH (every upstream
 * refused the connection or was unreachable, one round in a row; or no
 * upstream left after a set swap), -EPROTO (upstreams answered, but with
 * SERVFAIL, REFUSED or a bad reply), -ECANCELED (nd_forwarder_free), or a
 * local -errno such as -EMFILE (no socket could be made).
 */
typedef void (*nd_forwarder_done_fn)(void *arg, int status,
				     const uint8_t *reply, size_t len);

/*
 * A forwarder on base that sends to the upstreams of ups (borrowed; may be
 * swapped with nd_forwarder_set_upstreams) and counts into m (borrowed).
 * NULL on failure.
 * ups may be NULL (every query then fails with -EHOSTUNREACH); m may be
 * NULL (nothing counted); both timeouts in opt must be > 0.
 */
struct nd_forwarder *nd_forwarder_new(struct event_base *base,
				      struct nd_upstreams *ups,
				      const struct nd_forwarder_options *opt,
				      struct nd_metrics *m);
/*
 * Cancel every query (their done is called with -ECANCELED) and free.
 * NULL is fine. A query started from one of those done calls is refused
 * with -ECANCELED.
 */
void nd_forwarder_free(struct nd_forwarder *f);

/*
 * Resolve qs (copied) upstream: a fresh UDP socket (random source port)
 * and a random ID per attempt; a reply is taken only from the upstream's
 * address and port with the same ID and question; on timeout, SERVFAIL,
 * REFUSED or an ICMP error the next upstream is tried; on TC the same
 * upstream is asked over TCP.
 * Returns 0 (done will be called, never before this returns) or negative.
 * Negative returns (done is then never called): -EINVAL (NULL argument or
 * a name that is not an uncompressed wire name), -EHOSTUNREACH (no
 * upstreams), -ENOMEM, -ECANCELED (nd_forwarder_free is running).
 */
int nd_forwarder_query(struct nd_forwarder *f, const struct nd_question *qs,
		       nd_forwarder_done_fn done, void *arg);

/*
 * Use another upstream set for queries started from now on (SIGHUP).
 * Queries in flight finish their current attempt and make any further
 * ones in the new set; f does not touch the old set after this returns,
 * so the caller may free it once every forwarder using it was switched.
 */
void nd_forwarder_set_upstreams(struct nd_forwarder *f,
				struct nd_upstreams *ups);

/* What a query went through, for the slow-query log and the signals. */
struct nd_forward_info {
	int upstream;	   /* index of the last upstream asked, -1 = none */
	unsigned attempts; /* attempts started, UDP and TCP */
	bool used_tcp;	   /* an attempt went over TCP after TC */
	bool saw_timeout;  /* an attempt timed out */
};

/*
 * Inside a done callback only: fill out for the query being finished.
 * Returns false elsewhere.
 */
bool nd_forwarder_done_info(const struct nd_forwarder *f,
			    struct nd_forward_info *out);

/* Queries in flight. */
size_t nd_forwarder_pending(const struct nd_forwarder *f);

#endif /* SERVER_FORWARDER_H */
