/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/failcache.h - failed resolutions remembered per question and upstream set (RFC 9520). */
#ifndef RESOLVER_FAILCACHE_H
#define RESOLVER_FAILCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/upstream_msg.h" /* struct nd_question */
#include "dns/wire.h"

/*
 * RFC 9520 asks resolvers to remember that a question could not be
 * resolved, so that clients asking again (and again: stub resolvers
 * retry, search lists multiply) do not each cost a full round of upstream
 * attempts. A failure is held for ND_FAILCACHE_MIN_MS first; a failure
 * again right after a hold ended doubles the hold (exponential backoff,
 * 3.2), up to the maximum (RFC 9520 says at most 5 minutes); a success
 * forgets it. Shared by every worker (a mutex per shard).
 *
 * Bounded: ND_FAILCACHE_ENTRIES entries at most, allocated at creation
 * (about 2.3 MB of address space, touched as entries are used); when the
 * set of slots a question hashes to is full, the entry whose hold ends
 * first gives way.
 */
#define ND_FAILCACHE_ENTRIES 8192
#define ND_FAILCACHE_MIN_MS 1000
#define ND_FAILCACHE_MAX_S_DEFAULT 300

struct nd_failcache; /* opaque */

/* A table holding failures for at most max_hold_ms (at least
 * ND_FAILCACHE_MIN_MS is used). NULL on failure. */
struct nd_failcache *nd_failcache_new(uint32_t max_hold_ms);
void nd_failcache_free(struct nd_failcache *fc); /* NULL is fine */

/* What a held failure says. */
struct nd_failcache_hit {
	uint32_t left_ms; /* until the hold ends */
	uint32_t hold_ms; /* the whole hold */
	int end;	  /* enum nd_fetch_end of the failure */
	unsigned fails;	  /* failures in a row it has seen */
};

/*
 * Is q (lower-case name) failing at the upstream set set_id (see
 * nd_upstreams_id) at now_ms (monotonic)? True with *hit filled while
 * its hold lasts.
 */
bool nd_failcache_lookup(struct nd_failcache *fc, const struct nd_question *q,
			 uint64_t set_id, uint64_t now_ms,
			 struct nd_failcache_hit *hit);

/*
 * The resolution of q at set_id failed (end: enum nd_fetch_end) at
 * now_ms: hold it. Returns the hold in ms (0 for bad arguments).
 */
uint32_t nd_failcache_fail(struct nd_failcache *fc,
			   const struct nd_question *q, uint64_t set_id,
			   int end, uint64_t now_ms);

/* q resolved at set_id: forget its failures. */
void nd_failcache_clear(struct nd_failcache *fc, const struct nd_question *q,
			uint64_t set_id);

/* Entries held now (also those whose hold has ended but that still count
 * the failures in a row). */
size_t nd_failcache_entries(const struct nd_failcache *fc);

#endif /* RESOLVER_FAILCACHE_H */
