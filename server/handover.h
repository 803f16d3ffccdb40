/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/handover.h - the control socket (--control-socket): an upgrade's successor gets the cache of the nodedns it replaces, and that one learns it has a successor. */
#ifndef SERVER_HANDOVER_H
#define SERVER_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct nd_cache;
struct nd_handover; /* opaque; control thread only */

/*
 * The exchange, over a Unix stream socket:
 *   successor -> serving: "NDHI", version u16 (1), its workers u16;
 *   serving -> successor: "NDHI", version u16 (1), its workers u16,
 *     document length u32, then the cache (resolver/cache_dump.h).
 * The connection then stays open: while it is, the serving process knows
 * it has a successor (and how many sockets per address it binds); when the
 * old process exits, the successor sees it close.
 */

/*
 * Start-up, before the listeners bind. When path exists and a nodedns
 * listens there: say hello, receive its cache into cache (bounded by
 * twice max_cache_bytes, validated, each answer parsed again) and keep the
 * connection. A socket file nobody listens on (ECONNREFUSED: its process
 * died) is replaced. Then listen on path for the next successor.
 * base: the control loop (borrowed). n_workers: sockets this process binds
 * per address. http_ports: our --http-listen and --debug-listen ports,
 * told to the nodedns we replace (it stops listening on those it shares
 * with us); NULL = none.
 * *rc: 0, or -errno when path cannot be listened on (logged).
 * Returns the object or NULL. A failed hand-over (timeout, bad document)
 * is logged and start-up goes on with an empty cache.
 */
struct nd_handover *nd_handover_new(struct event_base *base, const char *path,
				  struct nd_cache *cache,
				  unsigned max_cache_bytes_mib,
				  unsigned n_workers,
				  const uint16_t http_ports[2], int *rc);

/* A successor is connected now; *n_workers its sockets per address. */
bool nd_handover_has_successor(const struct nd_handover *c,
			      unsigned *n_workers);

/* A predecessor was connected at start and still is; *n_workers its
 * sockets per address. */
bool nd_handover_has_predecessor(const struct nd_handover *c,
				unsigned *n_workers);

/* Called (control thread) when the predecessor's connection closes: it
 * has exited. NULL = nothing to do. */
void nd_handover_on_predecessor_gone(struct nd_handover *c, void (*fn)(void *),
				    void *arg);

/* Close everything; unlink path unless a successor took it over. NULL is
 * fine. */
/* Called (control thread) when a successor has taken the cache, with
 * the ports of its --http-listen and --debug-listen. */
void nd_handover_on_successor(struct nd_handover *c,
			      void (*fn)(void *, const uint16_t ports[2]),
			      void *arg);

void nd_handover_free(struct nd_handover *c);

#endif /* SERVER_HANDOVER_H */
