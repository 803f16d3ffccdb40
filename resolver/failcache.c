/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/failcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rand.h"

/* 64 shards of 32 sets of 4 slots: ND_FAILCACHE_ENTRIES in all. A small
 * set per hash keeps a lookup to four comparisons and the table's size
 * fixed; the seeded hash keeps clients from filling one set on purpose. */
#define SHARDS 64
#define SETS 32
#define WAYS 4

_Static_assert(SHARDS * SETS * WAYS == ND_FAILCACHE_ENTRIES,
	       "the table holds ND_FAILCACHE_ENTRIES");

struct fc_entry {
	uint64_t hash;	    /* of the question; 0 = free slot */
	uint64_t set_id;    /* upstream set */
	uint64_t until_ms;  /* monotonic: the hold ends */
	uint32_t hold_ms;   /* the hold that ends then */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t qname_len;
	uint8_t end;	    /* enum nd_fetch_end of the last failure */
	uint8_t fails;	    /* failures in a row (saturates) */
	uint8_t qname[ND_DNS_MAX_NAME];
};

struct fc_shard {
	pthread_mutex_t lock;
	struct fc_entry slot[SETS][WAYS];
};

struct nd_failcache {
	uint64_t seed;
	uint32_t max_hold_ms;
	size_t entries; /* atomic: slots in use */
	struct fc_shard shard[SHARDS];
};

struct nd_failcache *nd_failcache_new(uint32_t max_hold_ms)
{
	struct nd_failcache *fc = calloc(1, sizeof(*fc));

	if (fc == NULL)
		return NULL;
	fc->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	fc->max_hold_ms = max_hold_ms < ND_FAILCACHE_MIN_MS ? ND_FAILCACHE_MIN_MS
							    : max_hold_ms;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&fc->shard[i].lock, NULL);
	return fc;
}

void nd_failcache_free(struct nd_failcache *fc)
{
	if (fc == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_destroy(&fc->shard[i].lock);
	free(fc);
}

static bool valid(const struct nd_question *q)
{
	return q != NULL && q->qname_lc != NULL && q->qname_len > 0 &&
	       q->qname_len <= ND_DNS_MAX_NAME;
}

static uint64_t key_hash(const struct nd_failcache *fc,
			 const struct nd_question *q, uint64_t set_id)
{
	uint8_t key[ND_DNS_MAX_NAME + 12];
	uint64_t h;

	memcpy(key, q->qname_lc, q->qname_len);
	key[q->qname_len] = (uint8_t)(q->qtype >> 8);
	key[q->qname_len + 1] = (uint8_t)q->qtype;
	key[q->qname_len + 2] = (uint8_t)(q->qclass >> 8);
	key[q->qname_len + 3] = (uint8_t)q->qclass;
	memcpy(key + q->qname_len + 4, &set_id, sizeof(set_id));
	h = nd_hash(key, q->qname_len + 12u, fc->seed);
	return h != 0 ? h : 1; /* 0 marks a free slot */
}

static bool same(const struct fc_entry *e, uint64_t h,
		 const struct nd_question *q, uint64_t set_id)
{
	return e->hash == h && e->set_id == set_id && e->qtype == q->qtype &&
	       e->qclass == q->qclass && e->qname_len == q->qname_len &&
	       memcmp(e->qname, q->qname_lc, q->qname_len) == 0;
}

/* The set of h, its shard locked by the caller. */
static struct fc_entry *set_of(struct nd_failcache *fc, uint64_t h,
			       struct fc_shard **shard)
{
	*shard = &fc->shard[h % SHARDS];
	return (*shard)->slot[(h / SHARDS) % SETS];
}

static struct fc_entry *find(struct fc_entry *set, uint64_t h,
			     const struct nd_question *q, uint64_t set_id)
{
	for (size_t i = 0; i < WAYS; i++)
		if (same(&set[i], h, q, set_id))
			return &set[i];
	return NULL;
}

bool nd_failcache_lookup(struct nd_failcache *fc, const struct nd_question *q,
			 uint64_t set_id, uint64_t now_ms,
			 struct nd_failcache_hit *hit)
{
	struct fc_shard *s;
	struct fc_entry *set, *e;
	bool held = false;
	uint64_t h;

	/* Nothing failing (the common case): no hash, no lock. */
	if (fc == NULL || !valid(q) ||
	    __atomic_load_n(&fc->entries, __ATOMIC_RELAXED) == 0)
		return false;
	h = key_hash(fc, q, set_id);
	set = set_of(fc, h, &s);
	pthread_mutex_lock(&s->lock);
	e = find(set, h, q, set_id);
	if (e != NULL && now_ms < e->until_ms) {
		held = true;
		if (hit != NULL) {
			hit->left_ms = (uint32_t)(e->until_ms - now_ms);
			hit->hold_ms = e->hold_ms;
			hit->end = e->end;
			hit->fails = e->fails;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return held;
}

uint32_t nd_failcache_fail(struct nd_failcache *fc,
			   const struct nd_question *q, uint64_t set_id,
			   int end, uint64_t now_ms)
{
	struct fc_shard *s;
	struct fc_entry *set, *e;
	uint32_t hold;
	uint64_t h;

	if (fc == NULL || !valid(q))
		return 0;
	h = key_hash(fc, q, set_id);
	set = set_of(fc, h, &s);
	pthread_mutex_lock(&s->lock);
	e = find(set, h, q, set_id);
	if (e != NULL && now_ms < e->until_ms) {
		/* Two fetches of one question ended within a hold (a reload
		 * in between): the hold already running stands. */
		hold = e->hold_ms;
	} else if (e != NULL && now_ms - e->until_ms <= fc->max_hold_ms) {
		/* Failing again right after the last hold: back off
		 * (RFC 9520 3.2). */
		hold = e->hold_ms >= fc->max_hold_ms / 2 ? fc->max_hold_ms
							 : e->hold_ms * 2;
		e->until_ms = now_ms + hold;
	} else {
		if (e == NULL) {
			/* A free slot, else the one whose hold ends first. */
			e = &set[0];
			for (size_t i = 0; i < WAYS; i++) {
				if (set[i].hash == 0) {
					e = &set[i];
					break;
				}
				if (set[i].until_ms < e->until_ms)
					e = &set[i];
			}
			if (e->hash == 0)
				__atomic_add_fetch(&fc->entries, 1,
						   __ATOMIC_RELAXED);
			e->hash = h;
			e->set_id = set_id;
			e->qtype = q->qtype;
			e->qclass = q->qclass;
			e->qname_len = q->qname_len;
			memcpy(e->qname, q->qname_lc, q->qname_len);
		}
		/* New, or long since the last one: start small again. */
		e->fails = 0;
		hold = ND_FAILCACHE_MIN_MS;
		e->until_ms = now_ms + hold;
	}
	e->hold_ms = hold;
	e->end = (uint8_t)end;
	if (e->fails < UINT8_MAX)
		e->fails++;
	pthread_mutex_unlock(&s->lock);
	return hold;
}

void nd_failcache_clear(struct nd_failcache *fc, const struct nd_question *q,
			uint64_t set_id)
{
	struct fc_shard *s;
	struct fc_entry *set, *e;
	uint64_t h;

	if (fc == NULL || !valid(q) ||
	    __atomic_load_n(&fc->entries, __ATOMIC_RELAXED) == 0)
		return;
	h = key_hash(fc, q, set_id);
	set = set_of(fc, h, &s);
	pthread_mutex_lock(&s->lock);
	e = find(set, h, q, set_id);
	if (e != NULL) {
		memset(e, 0, sizeof(*e));
		__atomic_sub_fetch(&fc->entries, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&s->lock);
}

size_t nd_failcache_entries(const struct nd_failcache *fc)
{
	return fc != NULL ? __atomic_load_n(&fc->entries, __ATOMIC_RELAXED)
			  : 0;
}
