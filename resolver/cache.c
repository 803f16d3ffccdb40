/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/query.h"
#include "util/hash.h"
#include "util/rand.h"
#include "util/rcu.h"

/*
 * Every worker thread reads and writes the cache. A hit takes no lock:
 * lookups walk the hash chains under RCU (liburcu, util/rcu.h) and copy
 * the answer out of an entry that is never changed once published; an
 * entry taken out is freed only after every reader that might hold it
 * has moved on. Writers (insert, eviction, option changes) take their
 * shard's lock, the shard chosen by the key's hash, so two inserts only
 * wait for each other when their names land in the same shard, and a
 * lock is never held for I/O or free().
 *
 * Eviction is CLOCK, the lock-free reader's LRU: a hit sets the entry's
 * referenced bit (no list to relink), and eviction gives a referenced
 * entry at the cold end one more round at the hot end instead of
 * evicting it.
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
	struct nd_cache_entry *hnext;	 /* next in the hash chain (RCU: a
					    removed entry keeps it for the
					    readers still on it) */
	struct nd_cache_entry *lru_prev; /* towards the hot end (writers) */
	struct nd_cache_entry *lru_next; /* towards the cold end (writers);
					    once removed: the next victim */
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
	uint8_t referenced;    /* hit since eviction last passed it (CLOCK);
				  the only field readers write (relaxed) */
	uint16_t ttl_off[];    /* then qname_lc, then the wire bytes */
};

/* Hash chain heads; replaced whole when the shard grows. */
struct nd_cache_table {
	struct rcu_head rcu;	       /* the old table is freed after readers */
	size_t mask;		       /* buckets - 1 (a power of two less one) */
	struct nd_cache_entry *b[];    /* chain heads (RCU) */
};

struct nd_cache_shard {
	pthread_mutex_t lock;	       /* writers: guards everything below but
					  table's and entries' RCU reads */
	struct nd_cache_table *table;  /* RCU */
	uint32_t stale_s;	       /* opt.stale_s, for readers (atomic) */
	size_t n_entries;
	size_t n_negative;		 /* of them: NXDOMAIN or NODATA */
	size_t bytes;			 /* sum of the entries' charge */
	size_t max_bytes;		 /* this shard's share of the budget */
	struct nd_cache_entry *lru_head; /* hot end: newest, or given
					    another round */
	struct nd_cache_entry *lru_tail; /* cold end: considered first */
	uint64_t evictions;		 /* removed for space */
	uint64_t expired;		 /* removed past their stale window */
	struct nd_cache_options opt; /* copy, read under the lock */
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

/* The chain head of h in the shard's current table (writers). */
static struct nd_cache_entry **bucket_of(struct nd_cache_shard *s, uint64_t h)
{
	return &s->table->b[h & s->table->mask];
}

/*
 * The entry of the key, or NULL. Readers call it inside an RCU read-side
 * section, writers under the shard lock; the loads are RCU's either way.
 * A reader racing with a table resize may miss an entry: a cache miss,
 * answered from upstream, never a wrong answer.
 */
static struct nd_cache_entry *shard_find(struct nd_cache_shard *s, uint64_t h,
					 const uint8_t *name, size_t len,
					 uint16_t qtype, uint16_t qclass)
{
	struct nd_cache_table *t = rcu_dereference(s->table);
	struct nd_cache_entry *e;

	for (e = rcu_dereference(t->b[h & t->mask]); e != NULL;
	     e = rcu_dereference(e->hnext)) {
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
 * Take e out of the shard and hand it to *victims (linked through
 * lru_next); the caller retires them after dropping the lock. e->hnext
 * stays as it is: a reader standing on e still finds the rest of the
 * chain.
 */
static void shard_remove(struct nd_cache_shard *s, struct nd_cache_entry *e,
			 struct nd_cache_entry **victims)
{
	struct nd_cache_entry **pp = bucket_of(s, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	rcu_assign_pointer(*pp, e->hnext);
	lru_unlink(s, e);
	s->n_entries--;
	if (e->is_negative)
		s->n_negative--;
	s->bytes -= e->charge;
	e->lru_next = *victims;
	*victims = e;
}

static void free_entries(struct nd_cache_entry *v)
{
	while (v != NULL) {
		struct nd_cache_entry *next = v->lru_next;

		free(v);
		v = next;
	}
}

/* Entries taken out together, freed after a grace period. */
struct victim_batch {
	struct rcu_head rcu;
	struct nd_cache_entry *head;
};

static void victim_batch_free(struct rcu_head *head)
{
	struct victim_batch *b = caa_container_of(head, struct victim_batch,
						  rcu);

	free_entries(b->head);
	free(b);
}

/*
 * Free the victims once no reader can be copying from them: one call_rcu
 * for the lot. Call without the shard lock and outside a read section.
 */
static void retire_victims(struct nd_cache_entry *v)
{
	struct victim_batch *b;

	if (v == NULL)
		return;
	b = malloc(sizeof(*b));
	if (b == NULL) {
		/* No memory to defer: wait for the readers here. */
		urcu_memb_synchronize_rcu();
		free_entries(v);
		return;
	}
	b->head = v;
	urcu_memb_call_rcu(&b->rcu, victim_batch_free);
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
	return entry_age_s(e, now_ms) >=
	       (uint64_t)e->ttl_s +
		       __atomic_load_n(&s->stale_s, __ATOMIC_RELAXED);
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
	/* Each entry gets its second chance once per call at most, so a
	 * shard where everything was hit still makes room. */
	size_t chances = s->n_entries;

	while (s->lru_tail != NULL && s->bytes + need > s->max_bytes) {
		struct nd_cache_entry *e = s->lru_tail;
		bool is_past = has_now && entry_past_stale(s, e, now_ms);

		if (!is_past && chances > 0 &&
		    __atomic_load_n(&e->referenced, __ATOMIC_RELAXED)) {
			__atomic_store_n(&e->referenced, 0, __ATOMIC_RELAXED);
			lru_unlink(s, e);
			lru_push_front(s, e);
			chances--;
			continue;
		}
		if (is_past)
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
static struct nd_cache_table *table_new(size_t n)
{
	struct nd_cache_table *t = calloc(1, sizeof(*t) + n * sizeof(t->b[0]));

	if (t != NULL)
		t->mask = n - 1;
	return t;
}

static void table_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct nd_cache_table, rcu));
}

/*
 * Relinking moves live entries between chains while readers walk them:
 * every entry moved points only at entries moved before it, so no walk
 * loops, and a reader that follows a moved entry into a new chain may
 * miss its key (a miss, see shard_find). The new table is published
 * whole; the old one goes after a grace period.
 */
static void shard_maybe_grow(struct nd_cache_shard *s)
{
	struct nd_cache_table *old = s->table, *nt;
	size_t n, i;

	if (s->n_entries <= old->mask + 1 || old->mask + 1 > SIZE_MAX / 16)
		return;
	n = (old->mask + 1) * 2;
	nt = table_new(n);
	if (nt == NULL)
		return;
	for (i = 0; i <= old->mask; i++) {
		struct nd_cache_entry *e = old->b[i];

		while (e != NULL) {
			struct nd_cache_entry *next = e->hnext;
			struct nd_cache_entry **b = &nt->b[e->hash & nt->mask];

			rcu_assign_pointer(e->hnext, *b);
			*b = e;
			e = next;
		}
	}
	rcu_assign_pointer(s->table, nt);
	urcu_memb_call_rcu(&old->rcu, table_free_rcu);
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
	__atomic_store_n(&s->stale_s, opt->stale_s, __ATOMIC_RELAXED);
	s->max_bytes = opt->max_bytes / n_shards;
}

void nd_cache_free(struct nd_cache *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	/* Entries and tables retired earlier wait in call_rcu queues. */
	urcu_memb_barrier();
	for (i = 0; c->shards != NULL && i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];
		struct nd_cache_entry *e = s->lru_head;

		while (e != NULL) {
			struct nd_cache_entry *next = e->lru_next;

			free(e);
			e = next;
		}
		free(s->table);
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
		s->table = table_new(ND_CACHE_INITIAL_BUCKETS);
		if (s->table == NULL)
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
	/* Published last: a reader that finds e finds it whole. */
	e->hnext = *bucket_of(s, h);
	rcu_assign_pointer(*bucket_of(s, h), e);
	lru_push_front(s, e);
	s->n_entries++;
	if (e->is_negative)
		s->n_negative++;
	s->bytes += e->charge;
	shard_maybe_grow(s);
	pthread_mutex_unlock(&s->lock);

	retire_victims(victims);
	return 0;
}

/*
 * A lookup found the key past its stale window: take it out now rather
 * than leave it to hold budget until eviction reaches it. Once per
 * entry, so the lock here is off the hit path; the entry is looked up
 * again under the lock since another thread may have replaced it.
 */
static void drop_expired(struct nd_cache_shard *s, uint64_t h,
			 const struct nd_query *q, uint64_t now_ms)
{
	struct nd_cache_entry *e, *victims = NULL;

	pthread_mutex_lock(&s->lock);
	e = shard_find(s, h, q->qname_lc, q->qname_len, q->qtype, q->qclass);
	if (e != NULL && entry_past_stale(s, e, now_ms)) {
		s->expired++;
		shard_remove(s, e, &victims);
	}
	pthread_mutex_unlock(&s->lock);
	retire_victims(victims);
}

int nd_cache_answer(struct nd_cache *c, const struct nd_query *q,
		    uint64_t now_ms, bool allow_stale, size_t limit,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	struct nd_cache_entry *e;
	struct nd_cache_shard *s;
	struct nd_answer a;
	uint64_t h, age;
	bool is_stale, is_expired = false;
	int status = ND_CACHE_MISS;
	int n;

	if (c == NULL || q == NULL || out == NULL || out_len == NULL ||
	    !q->has_question || q->qname_len == 0 ||
	    q->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;

	h = key_hash(c, q->qname_lc, q->qname_len, q->qtype, q->qclass);
	s = shard_of(c, h);
	nd_rcu_register(); /* once per thread; a thread-local test after */
	urcu_memb_read_lock();
	e = shard_find(s, h, q->qname_lc, q->qname_len, q->qtype, q->qclass);
	if (e == NULL)
		goto out;
	age = entry_age_s(e, now_ms);
	if (age < e->ttl_s) {
		is_stale = false;
	} else if (!entry_past_stale(s, e, now_ms)) {
		/* RFC 8767: kept for when every upstream fails, and only
		 * then served; otherwise the caller refreshes it. */
		if (!allow_stale)
			goto out;
		is_stale = true;
	} else {
		is_expired = true; /* removed below, outside the read section */
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
	/* Rendered inside the read section straight into the caller's
	 * buffer: the entry cannot be freed meanwhile, and the hit path
	 * allocates nothing and locks nothing. A stale render ignores the
	 * age, so clamping is harmless. */
	n = nd_answer_render(&a, q,
			     age > UINT32_MAX ? UINT32_MAX : (uint32_t)age,
			     e->ttl_s, is_stale, limit, out, cap);
	if (n < 0)
		goto out; /* e.g. the caller's buffer is too small: a miss */
	/* Written only when it changes: hot entries stay shared in every
	 * core's cache rather than bounce between them. */
	if (!__atomic_load_n(&e->referenced, __ATOMIC_RELAXED))
		__atomic_store_n(&e->referenced, 1, __ATOMIC_RELAXED);
	*out_len = (size_t)n;
	status = is_stale ? ND_CACHE_STALE : ND_CACHE_HIT;
out:
	urcu_memb_read_unlock();
	if (is_expired)
		drop_expired(s, h, q, now_ms);
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
		retire_victims(victims);
	}
}

long nd_cache_flush(struct nd_cache *c, const uint8_t *qname_lc,
		    size_t qname_len)
{
	long n = 0;

	if (c == NULL || (qname_lc != NULL &&
			  (qname_len == 0 || qname_len > ND_DNS_MAX_NAME)))
		return -EINVAL;
	/*
	 * The type and class are part of the hash, so a name's entries
	 * may sit in any shard: walk each one's list. An operator's
	 * action, not the query path: the lock is held for one shard's
	 * walk at a time, the frees happen after it.
	 */
	for (unsigned int i = 0; i < c->n_shards; i++) {
		struct nd_cache_shard *s = &c->shards[i];
		struct nd_cache_entry *e, *next, *victims = NULL;

		pthread_mutex_lock(&s->lock);
		for (e = s->lru_head; e != NULL; e = next) {
			next = e->lru_next;
			if (qname_lc != NULL &&
			    (e->qname_len != qname_len ||
			     memcmp(entry_qname(e), qname_lc, qname_len) != 0))
				continue;
			shard_remove(s, e, &victims);
			n++;
		}
		pthread_mutex_unlock(&s->lock);
		retire_victims(victims);
	}
	return n;
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
		out->negative += s->n_negative;
		out->bytes += s->bytes;
		out->evictions += s->evictions;
		out->expired += s->expired;
		pthread_mutex_unlock(&s->lock);
	}
}

int nd_cache_export(struct nd_cache *c, uint64_t now_ms, nd_cache_export_fn fn,
		    void *arg)
{
	uint8_t *wire;
	int rc = 0;

	if (c == NULL || fn == NULL)
		return -EINVAL;
	wire = malloc(UINT16_MAX);
	if (wire == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < c->n_shards && rc == 0; i++) {
		struct nd_cache_shard *s = &c->shards[i];

		pthread_mutex_lock(&s->lock);
		for (const struct nd_cache_entry *e = s->lru_head;
		     e != NULL && rc == 0; e = e->lru_next) {
			uint64_t age_ms = now_ms > e->stored_ms
						  ? now_ms - e->stored_ms
						  : 0;
			uint32_t age_s = (uint32_t)(age_ms / 1000);

			if (age_ms >= (uint64_t)e->ttl_s * 1000)
				continue;
			memcpy(wire, entry_wire(e), e->wire_len);
			for (uint16_t k = 0; k < e->n_ttl; k++) {
				uint8_t *t = wire + e->ttl_off[k];
				uint32_t ttl = ((uint32_t)t[0] << 24) |
					       ((uint32_t)t[1] << 16) |
					       ((uint32_t)t[2] << 8) | t[3];

				ttl = ttl > age_s ? ttl - age_s : 0;
				t[0] = (uint8_t)(ttl >> 24);
				t[1] = (uint8_t)(ttl >> 16);
				t[2] = (uint8_t)(ttl >> 8);
				t[3] = (uint8_t)ttl;
			}
			rc = fn(arg, entry_qname(e), e->qname_len, e->qtype,
				e->qclass, wire, e->wire_len,
				e->ttl_s - age_s);
		}
		pthread_mutex_unlock(&s->lock);
	}
	free(wire);
	return rc;
}
