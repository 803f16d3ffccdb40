/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/cache.h - shared answer cache keyed by (name, type, class). */
#ifndef RESOLVER_CACHE_H
#define RESOLVER_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nd_answer;
struct nd_query;

/*
 * Opaque; safe to use from every worker thread. nd_cache_answer() takes
 * no lock (RCU; it registers the calling thread with liburcu, util/rcu.h);
 * inserts lock one shard (up to 64, by the key's hash).
 */
struct nd_cache;

struct nd_cache_options {
	size_t max_bytes;	/* memory budget of entries (keys, wire, TTL
				   offsets, bookkeeping); past it the oldest
				   entries not hit since they were last
				   passed are evicted (CLOCK) */
	uint32_t min_ttl_s;	/* positive answers are kept at least this long */
	uint32_t max_ttl_s;	/* and at most this long */
	uint32_t neg_max_ttl_s; /* cap for negative answers (RFC 2308) */
	uint32_t stale_s;	/* how long past expiry an entry may still be
				   served stale (RFC 8767); 0 = never */
};

/* A cache; NULL on failure. The options are copied. */
struct nd_cache *nd_cache_new(const struct nd_cache_options *opt);
/* Free the cache and every entry; NULL is fine. */
void nd_cache_free(struct nd_cache *c);

/*
 * Store a copy of a under (qname_lc, qtype, qclass), replacing any older
 * entry. The entry lives for a->ttl_s clamped to the options; an answer
 * with ttl_s == 0 is not stored.
 * qname_lc: lower-case wire name. now_ms: monotonic milliseconds.
 * Returns 0, -ENOMEM or -EINVAL.
 */
int nd_cache_put(struct nd_cache *c, const uint8_t *qname_lc,
		 size_t qname_len, uint16_t qtype, uint16_t qclass,
		 const struct nd_answer *a, uint64_t now_ms);

enum nd_cache_status {
	ND_CACHE_MISS = 0,  /* nothing usable */
	ND_CACHE_HIT = 1,   /* fresh answer written */
	ND_CACHE_STALE = 2, /* expired answer written with ND_STALE_TTL_S */
};

/*
 * Answer q from the cache, rendering straight into out (see
 * nd_answer_render(): q's ID and spelling, TTLs lowered by the age).
 * allow_stale: serve an entry expired less than stale_s ago.
 * limit: most bytes the reply may take (UDP size or 65535 for TCP).
 * out_len: set to the reply's length when the status is not MISS.
 * Returns an nd_cache_status, or -EINVAL.
 */
int nd_cache_answer(struct nd_cache *c, const struct nd_query *q,
		    uint64_t now_ms, bool allow_stale, size_t limit,
		    uint8_t *out, size_t cap, size_t *out_len);

/*
 * Drop entries now (an operator's flush): every entry of the name
 * qname_lc (lower-case wire, any type and class), or every entry when
 * qname_lc is NULL. Readers still copying an entry finish with it: it
 * is freed after them (RCU). An answer in flight may be stored again
 * right after. Returns the entries dropped, or -EINVAL.
 */
long nd_cache_flush(struct nd_cache *c, const uint8_t *qname_lc,
		    size_t qname_len);

/* Replace the TTL bounds (SIGHUP); max_bytes and stale_s too. */
void nd_cache_set_options(struct nd_cache *c,
			  const struct nd_cache_options *opt);

struct nd_cache_stats {
	uint64_t entries;   /* entries held */
	uint64_t negative;  /* of them: NXDOMAIN or NODATA (RFC 2308) */
	uint64_t bytes;	    /* bytes they account for */
	uint64_t evictions; /* entries removed for space since start */
	uint64_t expired;   /* entries removed past their stale window */
};

/* Sum the shards' counters into out. */
void nd_cache_get_stats(struct nd_cache *c, struct nd_cache_stats *out);

/*
 * One fresh entry as nd_cache_export() hands it out: its key, the stored
 * message with every TTL lowered by the entry's age (so a successor that
 * stores it again serves the same TTLs), and the lifetime it has left.
 * Every pointer is valid during the call only.
 */
typedef int (*nd_cache_export_fn)(void *arg, const uint8_t *qname_lc,
				  size_t qname_len, uint16_t qtype,
				  uint16_t qclass, const uint8_t *wire,
				  size_t wire_len, uint32_t ttl_left_s);

/*
 * Call fn for every entry still fresh at now_ms (expired ones, even when
 * they could be served stale, are left out), shard by shard, hottest
 * first, holding that shard's lock (fn must not call into the cache).
 * Returns 0, -ENOMEM, -EINVAL, or the first non-zero fn returned (which
 * stops the walk).
 */
int nd_cache_export(struct nd_cache *c, uint64_t now_ms, nd_cache_export_fn fn,
		    void *arg);

#endif /* RESOLVER_CACHE_H */
