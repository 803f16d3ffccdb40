/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/forwarder.h - the sockets and timers of upstream fetches (UDP, TCP); the decisions are resolver/fetch.c's. */
#ifndef SERVER_FORWARDER_H
#define SERVER_FORWARDER_H

#include <stddef.h>

struct event_base;
struct nd_fetch_action;
struct nd_inflight_entry;

struct nd_forwarder; /* opaque; one per worker, used on its thread only */

/*
 * Called when a fetch is over (act->what == ND_FETCH_DONE; its reply
 * bytes borrowed for the call), on the worker's thread, never from
 * inside nd_forwarder_run(). The forwarder holds nothing of e after it.
 */
typedef void (*nd_forwarder_done_fn)(void *arg, struct nd_inflight_entry *e,
				     const struct nd_fetch_action *act);

/* A forwarder on base; NULL on failure. */
struct nd_forwarder *nd_forwarder_new(struct event_base *base,
				      nd_forwarder_done_fn done, void *arg);

/*
 * Cancel every fetch (done is called for each with ND_FETCH_CANCELED)
 * and free. NULL is fine.
 */
void nd_forwarder_free(struct nd_forwarder *f);

/*
 * Carry out the first action of e's fetch (nd_resolve_begin's ASK) and
 * everything that follows from it: send, wait for the reply or the
 * timer, feed them to the fetch, until it is DONE. act must be a SEND.
 * Returns 0, -EINVAL or -ENOMEM; on an error the forwarder holds nothing
 * of e and the caller ends the fetch (nd_fetch_local_error).
 */
int nd_forwarder_run(struct nd_forwarder *f, struct nd_inflight_entry *e,
		     const struct nd_fetch_action *act);

/* Fetches in flight. */
size_t nd_forwarder_pending(const struct nd_forwarder *f);

#endif /* SERVER_FORWARDER_H */
