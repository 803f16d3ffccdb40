/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_names.c - the table of typed names kept for /debug/searchlist (LRU, windowed totals). */
#include "resolver/diag/searchlist_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/pages.h"

int sl_names_init(struct sl_names *n, size_t cap)
{
	uint32_t nb = 1;

	while (nb < 2 * cap)
		nb <<= 1;
	if (pthread_mutex_init(&n->lock, NULL) != 0)
		return -ENOMEM;
	n->has_lock = true;
	n->cap = (uint32_t)cap;
	n->bucket_mask = nb - 1;
	n->e = nd_pages_zalloc(cap, sizeof(*n->e));
	n->buckets = nd_pages_zalloc(nb, sizeof(*n->buckets));
	if (n->e == NULL || n->buckets == NULL)
		return -ENOMEM;
	/* Slots are handed out in order before freed ones are reused, so
	 * the pages stay untouched until names arrive. */
	n->free = SL_NIL;
	n->unused = 0;
	n->lru_head = n->lru_tail = SL_NIL;
	return 0;
}

void sl_names_deinit(struct sl_names *n)
{
	if (n->has_lock)
		pthread_mutex_destroy(&n->lock);
	nd_pages_free(n->e, n->cap, sizeof(*n->e));
	nd_pages_free(n->buckets, n->bucket_mask + 1ull, sizeof(*n->buckets));
}

static void nlru_unlink(struct sl_names *n, uint32_t i)
{
	struct sl_name *e = &n->e[i];

	if (e->lprev != SL_NIL)
		n->e[e->lprev].lnext = e->lnext;
	else
		n->lru_head = e->lnext;
	if (e->lnext != SL_NIL)
		n->e[e->lnext].lprev = e->lprev;
	else
		n->lru_tail = e->lprev;
}

static void nlru_append(struct sl_names *n, uint32_t i)
{
	struct sl_name *e = &n->e[i];

	e->lnext = SL_NIL;
	e->lprev = n->lru_tail;
	if (n->lru_tail != SL_NIL)
		n->e[n->lru_tail].lnext = i;
	else
		n->lru_head = i;
	n->lru_tail = i;
}

static void name_drop(struct sl_names *n, uint32_t i)
{
	struct sl_name *e = &n->e[i];
	uint32_t *b = &n->buckets[e->hash & n->bucket_mask];

	if (sl_bucket_head(*b) == i) {
		*b = sl_bucket_of_head(e->hnext);
	} else {
		uint32_t j = sl_bucket_head(*b);

		while (n->e[j].hnext != i)
			j = n->e[j].hnext;
		n->e[j].hnext = e->hnext;
	}
	nlru_unlink(n, i);
	e->in_use = false;
	e->hnext = n->free;
	n->free = i;
}

static uint64_t name_hash(const struct nd_searchlist *t, const uint8_t *base,
			  size_t base_len, const uint8_t *ns, size_t ns_len)
{
	return nd_hash(base, base_len, t->seed) ^
	       (nd_hash(ns, ns_len, ~t->seed) * 31);
}

/* The entry of (base, ns), made (evicting the least recent) if new. */
struct sl_name *sl_name_get(struct nd_searchlist *t, const uint8_t *base,
			    size_t base_len, const uint8_t *ns, size_t ns_len)
{
	struct sl_names *n = &t->names;
	uint64_t h = name_hash(t, base, base_len, ns, ns_len);
	struct sl_name *e;
	uint32_t i;

	for (i = sl_bucket_head(n->buckets[h & n->bucket_mask]); i != SL_NIL;
	     i = e->hnext) {
		e = &n->e[i];
		if (e->hash == h && e->base_len == base_len &&
		    e->ns_len == ns_len &&
		    memcmp(e->base, base, base_len) == 0 &&
		    memcmp(e->ns, ns, ns_len) == 0) {
			nlru_unlink(n, i);
			nlru_append(n, i);
			return e;
		}
	}
	if (n->free == SL_NIL && n->unused < n->cap) {
		i = n->unused++;
		e = &n->e[i];
	} else {
		if (n->free == SL_NIL)
			name_drop(n, n->lru_head);
		i = n->free;
		e = &n->e[i];
		n->free = e->hnext;
	}
	memset(e, 0, sizeof(*e));
	e->in_use = true;
	e->hash = h;
	e->base_len = (uint8_t)base_len;
	e->ns_len = (uint8_t)ns_len;
	memcpy(e->base, base, base_len);
	memcpy(e->ns, ns, ns_len);
	e->hnext = sl_bucket_head(n->buckets[h & n->bucket_mask]);
	n->buckets[h & n->bucket_mask] = sl_bucket_of_head(i);
	nlru_append(n, i);
	return e;
}

void sl_names_expire(struct nd_searchlist *t, uint64_t now_us)
{
	struct sl_names *n = &t->names;
	uint64_t v[SL_W_COUNT];

	pthread_mutex_lock(&n->lock);
	/* Least recently reported first: stop at the first one still live. */
	while (n->lru_head != SL_NIL) {
		sl_win_read(&n->e[n->lru_head].win, t->half_us, now_us, v);
		if (v[SL_W_CHAINS] != 0)
			break;
		name_drop(n, n->lru_head);
	}
	pthread_mutex_unlock(&n->lock);
}
