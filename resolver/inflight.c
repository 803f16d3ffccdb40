/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/inflight.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rand.h"

#define SHARDS 64
#define BUCKETS_PER_SHARD 256
/* Past this many waiters a question gets SERVFAIL instead of more memory:
 * no legitimate node sends a thousand copies of one question at once. */
#define MAX_WAITERS 1024

struct shard {
	pthread_mutex_t lock;
	struct nd_inflight_entry *bucket[BUCKETS_PER_SHARD];
};

struct nd_inflight {
	uint64_t seed;
	struct shard shard[SHARDS];
};

struct nd_inflight *nd_inflight_new(void)
{
	struct nd_inflight *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	for (size_t i = 0; i < SHARDS; i++)
		pthread_mutex_init(&t->shard[i].lock, NULL);
	return t;
}

void nd_inflight_free(struct nd_inflight *t,
		      void (*free_req)(struct nd_rs_request *))
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < SHARDS; i++) {
		struct shard *s = &t->shard[i];
		for (size_t b = 0; b < BUCKETS_PER_SHARD; b++) {
			struct nd_inflight_entry *e = s->bucket[b], *next;
			for (; e != NULL; e = next) {
				next = e->next;
				struct nd_rs_request *r = e->waiters, *rn;
				for (; r != NULL; r = rn) {
					rn = r->next;
					if (free_req)
						free_req(r);
				}
				free(e);
			}
		}
		pthread_mutex_destroy(&s->lock);
	}
	free(t);
}

static uint64_t key_hash(const struct nd_inflight *t,
			 const struct nd_question *q)
{
	uint8_t key[ND_DNS_MAX_NAME + 4];

	memcpy(key, q->qname_lc, q->qname_len);
	key[q->qname_len] = (uint8_t)(q->qtype >> 8);
	key[q->qname_len + 1] = (uint8_t)q->qtype;
	key[q->qname_len + 2] = (uint8_t)(q->qclass >> 8);
	key[q->qname_len + 3] = (uint8_t)q->qclass;
	return nd_hash(key, q->qname_len + 4u, t->seed);
}

static struct shard *shard_of(struct nd_inflight *t, uint64_t h)
{
	return &t->shard[h % SHARDS];
}

static size_t bucket_of(uint64_t h)
{
	return (size_t)((h >> 32) % BUCKETS_PER_SHARD);
}

int nd_inflight_join(struct nd_inflight *t, const struct nd_question *q,
		     struct nd_rs_request *req, bool may_create,
		     struct nd_inflight_entry **entry)
{
	uint64_t h = key_hash(t, q);
	struct shard *s = shard_of(t, h);
	size_t b = bucket_of(h);
	struct nd_inflight_entry *e;
	int rc;

	pthread_mutex_lock(&s->lock);
	for (e = s->bucket[b]; e != NULL; e = e->next)
		if (e->hash == h && e->qtype == q->qtype &&
		    e->qclass == q->qclass && e->qname_len == q->qname_len &&
		    memcmp(e->qname_lc, q->qname_lc, q->qname_len) == 0)
			break;
	if (e != NULL) {
		if (e->n_waiters >= MAX_WAITERS) {
			rc = ND_INFLIGHT_FULL;
		} else {
			req->next = e->waiters;
			e->waiters = req;
			e->n_waiters++;
			rc = ND_INFLIGHT_JOINED;
		}
	} else if (!may_create) {
		rc = ND_INFLIGHT_NO_NEW;
	} else {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			rc = ND_INFLIGHT_FULL;
		} else {
			memcpy(e->qname_lc, q->qname_lc, q->qname_len);
			e->qname_len = q->qname_len;
			e->qtype = q->qtype;
			e->qclass = q->qclass;
			e->hash = h;
			req->next = NULL;
			e->waiters = req;
			e->n_waiters = 1;
			e->next = s->bucket[b];
			s->bucket[b] = e;
			rc = ND_INFLIGHT_CREATED;
		}
	}
	pthread_mutex_unlock(&s->lock);
	*entry = e;
	return rc;
}

struct nd_rs_request *nd_inflight_finish(struct nd_inflight *t,
					 struct nd_inflight_entry *e)
{
	struct shard *s = shard_of(t, e->hash);
	struct nd_inflight_entry **pp;
	struct nd_rs_request *waiters;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->bucket[bucket_of(e->hash)]; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	/* Taken under the lock: a joiner appends under the same lock. */
	waiters = e->waiters;
	e->waiters = NULL;
	e->n_waiters = 0;
	pthread_mutex_unlock(&s->lock);
	return waiters;
}
