/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/answer.h"
#include "resolver/dns_wire.h"
#include "resolver/query.h"
#include "util/hash.h"
#include "util/rand.h"

/*
 * Every worker thread reads and writes the cache, so it is split into
 * shards, each with its own lock, chosen by the key's hash: two workers
 * only wait for each other when their names land in the same shard, and
 * a lock is held for one lookup and copy or one insert, never for I/O.
 */
#define ND_CACHE_MAX_SHARDS 64
/*
 * A small budget is not cut into 64 slivers: every shard keeps at least
 * this much, so one large answer (64 KiB of wire plus its TTL offsets)
 * still fits a shard and LRU order means something. 64 shards from 8 MiB.
 */
#define ND_CACHE_MIN_SHARD_BYTES (128 * 1024)
#define ND_CACHE_INITIAL_BUCKETS 16

/*
 * One cached answer in a single allocation: the bookkeeping below, then
 * ttl_off[n_ttl], the key's name, and the stored message.
 */
struct nd_cache_entry {
	struct nd_cache_entry *hnext;	 /* next in the hash chain */
	struct nd_cache_entry *lru_prev; /* towards the most recently used */
	struct nd_cache_entry *lru_next; /* towards the least recently used */
	uint64_t hash;			 /* nd_hash of the key */
	uint64_t stored_ms;		 /* now_ms at insertion */
	size_t charge;			 /* bytes counted in the budget */
	uint32_t ttl_s;			 /* clamped lifetime, > 0 */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t qname_len;    /* bytes of the lower-case wire name */
	uint16_t wire_len;     /* bytes of the stored message */
	uint16_t question_end; /* offset where the answer section starts */
	uint16_t n_ttl;	       /* entries in ttl_off */
	uint8_t rcode;	       /* NOERROR, NXDOMAIN, ... */
	bool is_negative;      /* NXDOMAIN or NODATA */
	uint16_t ttl_off[];    /* then qname_lc, then the wire bytes */
};

struct nd_cache_shard {
	pthread_mutex_t lock;		 /* guards everything below */
	struct nd_cache_entry **buckets; /* hash chains; n_buckets of them */
	size_t n_buckets;		 /* power of two */
	size_t n_entries;
	size_t bytes;			 /* sum of the entries' charge */
	size_t max_bytes;		 /* this shard's share of the budget */
	struct nd_cache_entry *lru_head; /* most recently used */
	struct nd_cache_entry *lru_tail; /* least recently used: goes first */
	uint64_t evictions;		 /* removed for space */
	uint64_t expired;		 /* removed past their stale window */
	struct nd_cache_options opt; /* copy, so lookups need no other lock */
	bool lock_ready;	/* lock initialised (for a half-built free) */
} __attribute__((aligned(64))); /* one cache line apart: no false sharing */

struct nd_cache {
	uint64_t seed;		       /* secret: defeats hash flooding */
	unsigned int n_shards;	       /* power of two, 1..64 */
	unsigned int shard_shift;      /* hash >> shard_shift: the shard */
	struct nd_cache_shard *shards; /* n_shards, 64-byte aligned */
};

static const uint8_t *entry_qname(const struct nd_cache_entry *e)
{
	return (const uint8_t *)(e->ttl_off + e->n_ttl);
}

static const uint8_t *entry_wire(const struct nd_cache_entry *e)
{
	return entry_qname(e) + e->qname_len;
}

/*
 * Type and class go into the seed rather than a second pass over the
 * bytes: the seed is secret, so (name, type, class) stays unpredictable
 * to a client picking names, and the hit path hashes the name once.
 */
static uint64_t key_hash(const struct nd_cache *c, const uint8_t *name,
			 size_t len, uint16_t qtype, uint16_t qclass)
{
	uint64_t tc = ((uint64_t)qtype << 16) | qclass;

	return nd_hash(name, len, c->seed ^ (tc * 0x9e3779b97f4a7c15ull));
}

static struct nd_cache_shard *shard_of(const struct nd_cache *c, uint64_t h)
{
	/* High bits pick the shard, low bits the bucket: independent. */
	if (c->n_shards == 1)
		return &c->shards[0];
	return &c->shards[h >> c->shard_shift];
}

static struct nd_cache_entry **bucket_of(struct nd_cache_shard *s, uint64_t h)
{
	return &s->buckets[h & (s->n_buckets - 1)];
}

static struct nd_cache_entry *shard_find(struct nd_cache_shard *s, uint64_t h,
					 const uint8_t *name, size_t len,
					 uint16_t qtype, uint16_t qclass)
{
	struct nd_cache_entry *e;

	for (e = *bucket_of(s, h); e != NULL; e = e->hnext) {
		if (e->hash == h && e->qtype == qtype && e->qclass == qclass &&
		    e->qname_len == len &&
		    memcmp(entry_qname(e), name, len) == 0)
			return e;
	}
	return NULL;
}

static void lru_unlink(struct nd_cache_shard *s, struct nd_cache_entry *e)
{
	if (e->lru_prev != NULL)
		e->lru_prev->lru_next = e->lru_next;
	else
		s->lru_head = e->lru_next;
	if (e->lru_next != NULL)
		e->lru_next->lru_prev = e->lru_prev;
	else
		s->lru_tail = e->lru_prev;
	e->lru_prev = NULL;
	e->lru_next = NULL;
}

static void lru_push_front(struct nd_cache_shard *s, struct nd_cache_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = s->lru_head;
	if (s->lru_head != NULL)
		s->lru_head->lru_prev = e;
	else
		s->lru_tail = e;
	s->lru_head = e;
}

/*
 * Take e out of the shard and hand it to *victims; the caller frees the
 * victims after dropping the lock, so free() never runs under it.
 */
static void shard_remove(struct nd_cache_shard *s, struct nd_cache_entry *e,
			 struct nd_cache_entry **victims)
{
	struct nd_cache_entry **pp = bucket_of(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(s, e);
	s->n_entries--;
	s->bytes -= e->charge;
	e->hnext = *victims;
	*victims = e;
}

static void free_victims(struct nd_cache_entry *v)
{
	while (v != NULL) {
		struct nd_cache_entry *next = v->hnext;

		free(v);
		v = next;
	}
}

/* Whole seconds since e was stored; 0 when another worker's clock read
 * slightly earlier than the one that stored it. */
static uint64_t entry_age_s(const struct nd_cache_entry *e, uint64_t now_ms)
{
	if (now_ms <= e->stored_ms)
		return 0;
	return (now_ms - e->stored_ms) / 1000;
}

static bool entry_past_stale(const struct nd_cache_shard *s,
			     const struct nd_cache_entry *e, uint64_t now_ms)
{
	return entry_age_s(e, now_ms) >= (uint64_t)e->ttl_s + s->opt.stale_s;
}

/*
 * Drop least recently used entries until need more bytes fit. An entry
 * already past its stale window counts as expired, not as evicted, so the
 * eviction counter only says the budget is too small. has_now: false when
 * no clock is at hand (option change), then every removal is an eviction.
 */
static void shard_make_room(struct nd_cache_shard *s, size_t need, bool has_now,
			    uint64_t now_ms, struct nd_cache_entry **victims)
{
	while (s->lru_tail != NULL && s->bytes + need > s->max_bytes) {
		struct nd_cache_entry *e = s->lru_tail;

		if (has_now && entry_past_stale(s, e, now_ms))
			s->expired++;
		else
			s->evictions++;
		shard_remove(s, e, victims);
	}
}

/*
 * Double the bucket array once chains would average more than one entry,
 * so lookups stay O(1) however many entries the budget allows. A failed
 * allocation keeps the old table: longer chains, still correct.
 */
static void shard_maybe_grow(struct nd_cache_shard *s)
{
	struct nd_cache_entry **nb;
	size_t n, i;

	if (s->n_entries <= s->n_buckets || s->n_buckets > SIZE_MAX / 2)
		return;
	n = s->n_buckets * 2;
	nb = calloc(n, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < s->n_buckets; i++) {
		struct nd_cache_entry *e = s->buckets[i];

		while (e != NULL) {
			struct nd_cache_entry *next = e->hnext;
			struct nd_cache_entry **b = &nb[e->hash & (n - 1)];

			e->hnext = *b;
			*b = e;
			e = next;
		}
	}
	free(s->buckets);
	s->buckets = nb;
	s->n_buckets = n;
}

/* Effective lifetime under the shard's options; 0 = do not store. */
static uint32_t effective_ttl(const struct nd_cache_options *o,
			      const struct nd_answer *a)
{
	uint32_t ttl = a->ttl_s;

	if (ttl == 0)
		return 0;
	/* RFC 2308 5: negative answers get a ceiling only; raising them
	 * would hide a name that was just created for longer than asked. */
	if (a->is_negative)
		return ttl < o->neg_max_ttl_s ? ttl : o->neg_max_ttl_s;
	if (ttl < o->min_ttl_s)
		ttl = o->min_ttl_s;
	if (ttl > o->max_ttl_s)
		ttl = o->max_ttl_s;
	return ttl;
}

static void shard_set_budget(struct nd_cache_shard *s,
			     const struct nd_cache_options *opt,
			     unsigned int n_shards)
{
	s->opt = *opt;
	s->max_bytes = opt->max_bytes / n_shards;
}

void nd_cache_free(struct nd_cache *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; c->shards != NULL && i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];
		struct nd_cache_entry *e = s->lru_head;

		while (e != NULL) {
			struct nd_cache_entry *next = e->lru_next;

			free(e);
			e = next;
		}
		free(s->buckets);
		if (s->lock_ready)
			pthread_mutex_destroy(&s->lock);
	}
	free(c->shards);
	free(c);
}

struct nd_cache *nd_cache_new(const struct nd_cache_options *opt)
{
	struct nd_cache *c;
	unsigned int i, bits = 0;

	if (opt == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	c->n_shards = 1;
	while (c->n_shards < ND_CACHE_MAX_SHARDS &&
	       opt->max_bytes / (c->n_shards * 2) >= ND_CACHE_MIN_SHARD_BYTES) {
		c->n_shards *= 2;
		bits++;
	}
	c->shard_shift = 64 - bits; /* unused when bits == 0 */

	/* The shard struct asks for 64-byte alignment; calloc gives 16. */
	c->shards = aligned_alloc(64, c->n_shards * sizeof(*c->shards));
	if (c->shards == NULL)
		goto fail;
	memset(c->shards, 0, c->n_shards * sizeof(*c->shards));
	for (i = 0; i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];

		shard_set_budget(s, opt, c->n_shards);
		s->n_buckets = ND_CACHE_INITIAL_BUCKETS;
		s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
		if (s->buckets == NULL)
			goto fail;
		if (pthread_mutex_init(&s->lock, NULL) != 0)
			goto fail;
		s->lock_ready = true;
	}
	return c;
fail:
	nd_cache_free(c);
	return NULL;
}

/* The stored form must be safe to render: every offset inside the message. */
static bool answer_is_valid(const struct nd_answer *a)
{
	uint16_t i;

	if (a->wire == NULL || a->len < ND_DNS_HEADER_LEN ||
	    a->question_end > a->len)
		return false;
	if (a->n_ttl > 0 && a->ttl_off == NULL)
		return false;
	for (i = 0; i < a->n_ttl; i++) {
		if ((size_t)a->ttl_off[i] + 4 > a->len)
			return false;
	}
	return true;
}

int nd_cache_put(struct nd_cache *c, const uint8_t *qname_lc, size_t qname_len,
		 uint16_t qtype, uint16_t qclass, const struct nd_answer *a,
		 uint64_t now_ms)
{
	struct nd_cache_entry *e, *old, *victims = NULL;
	struct nd_cache_shard *s;
	size_t size;
	uint8_t *p;
	uint64_t h;
	uint32_t ttl;

	if (c == NULL || qname_lc == NULL || a == NULL || qname_len == 0 ||
	    qname_len > ND_DNS_MAX_NAME || !answer_is_valid(a))
		return -EINVAL;
	if (a->ttl_s == 0)
		return 0;

	/* Build the entry before taking the lock: the copy needs no lock. */
	size = sizeof(*e) + (size_t)a->n_ttl * sizeof(e->ttl_off[0]) +
	       qname_len + a->len;
	e = malloc(size);
	if (e == NULL)
		return -ENOMEM;
	h = key_hash(c, qname_lc, qname_len, qtype, qclass);
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->stored_ms = now_ms;
	/* The bucket slot it takes at a load factor of at most one. */
	e->charge = size + sizeof(struct nd_cache_entry *);
	e->qtype = qtype;
	e->qclass = qclass;
	e->qname_len = (uint16_t)qname_len;
	e->wire_len = a->len;
	e->question_end = a->question_end;
	e->n_ttl = a->n_ttl;
	e->rcode = a->rcode;
	e->is_negative = a->is_negative;
	if (a->n_ttl > 0)
		memcpy(e->ttl_off, a->ttl_off,
		       (size_t)a->n_ttl * sizeof(e->ttl_off[0]));
	p = (uint8_t *)(e->ttl_off + a->n_ttl);
	memcpy(p, qname_lc, qname_len);
	memcpy(p + qname_len, a->wire, a->len);

	s = shard_of(c, h);
	pthread_mutex_lock(&s->lock);
	/* The bounds are read under the lock: nd_cache_set_options may be
	 * changing them from another thread. */
	ttl = effective_ttl(&s->opt, a);
	/* Not cached: no lifetime left after clamping, or bigger than the
	 * whole shard. Either way the older entry, if any, stays valid. */
	if (ttl == 0 || e->charge > s->max_bytes) {
		pthread_mutex_unlock(&s->lock);
		free(e);
		return 0;
	}
	e->ttl_s = ttl;
	old = shard_find(s, h, qname_lc, qname_len, qtype, qclass);
	if (old != NULL)
		shard_remove(s, old, &victims);
	shard_make_room(s, e->charge, true, now_ms, &victims);
	e->hnext = *bucket_of(s, h);
	*bucket_of(s, h) = e;
	lru_push_front(s, e);
	s->n_entries++;
	s->bytes += e->charge;
	shard_maybe_grow(s);
	pthread_mutex_unlock(&s->lock);

	free_victims(victims);
	return 0;
}

int nd_cache_answer(struct nd_cache *c, const struct nd_query *q,
		    uint64_t now_ms, bool allow_stale, size_t limit,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	struct nd_cache_entry *e, *victims = NULL;
	struct nd_cache_shard *s;
	struct nd_answer a;
	uint64_t h, age;
	bool is_stale;
	int status = ND_CACHE_MISS;
	int n;

	if (c == NULL || q == NULL || out == NULL || out_len == NULL ||
	    !q->has_question || q->qname_len == 0 ||
	    q->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;

	h = key_hash(c, q->qname_lc, q->qname_len, q->qtype, q->qclass);
	s = shard_of(c, h);
	pthread_mutex_lock(&s->lock);
	e = shard_find(s, h, q->qname_lc, q->qname_len, q->qtype, q->qclass);
	if (e == NULL)
		goto out;
	age = entry_age_s(e, now_ms);
	if (age < e->ttl_s) {
		is_stale = false;
	} else if (age < (uint64_t)e->ttl_s + s->opt.stale_s) {
		/* RFC 8767: kept for when every upstream fails, and only
		 * then served; otherwise the caller refreshes it. */
		if (!allow_stale)
			goto out;
		is_stale = true;
	} else {
		s->expired++;
		shard_remove(s, e, &victims);
		goto out;
	}

	a.wire = entry_wire(e);
	a.len = e->wire_len;
	a.question_end = e->question_end;
	a.ttl_off = e->ttl_off;
	a.n_ttl = e->n_ttl;
	a.rcode = e->rcode;
	a.is_negative = e->is_negative;
	a.ttl_s = e->ttl_s;
	/* Rendered under the lock straight into the caller's buffer: the
	 * entry cannot be freed meanwhile, and the hit path allocates
	 * nothing. A stale render ignores the age, so clamping is harmless. */
	n = nd_answer_render(&a, q,
			     age > UINT32_MAX ? UINT32_MAX : (uint32_t)age,
			     e->ttl_s, is_stale, limit, out, cap);
	if (n < 0)
		goto out; /* e.g. the caller's buffer is too small: a miss */
	lru_unlink(s, e);
	lru_push_front(s, e);
	*out_len = (size_t)n;
	status = is_stale ? ND_CACHE_STALE : ND_CACHE_HIT;
out:
	pthread_mutex_unlock(&s->lock);
	free_victims(victims);
	return status;
}

void nd_cache_set_options(struct nd_cache *c,
			  const struct nd_cache_options *opt)
{
	unsigned int i;

	if (c == NULL || opt == NULL)
		return;
	/* The shard count stays as created; only each shard's share moves. */
	for (i = 0; i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];
		struct nd_cache_entry *victims = NULL;

		pthread_mutex_lock(&s->lock);
		shard_set_budget(s, opt, c->n_shards);
		/* A smaller budget takes effect now, not at the next insert. */
		shard_make_room(s, 0, false, 0, &victims);
		pthread_mutex_unlock(&s->lock);
		free_victims(victims);
	}
}

void nd_cache_get_stats(struct nd_cache *c, struct nd_cache_stats *out)
{
	unsigned int i;

	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	for (i = 0; i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		out->entries += s->n_entries;
		out->bytes += s->bytes;
		out->evictions += s->evictions;
		out->expired += s->expired;
		pthread_mutex_unlock(&s->lock);
	}
}
