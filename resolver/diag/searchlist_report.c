/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_report.c - turns a finished chain into its report (counters, names table, advice text, on_chain). */
#include "resolver/diag/searchlist_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "util/hash.h"
#include "util/pages.h"

/*
 * Added latency, microseconds: a chain answered from the cache costs a
 * few hundred; one that waits on upstream NXDOMAINs costs tens to
 * hundreds of milliseconds per candidate.
 */
const uint32_t nd_sl_hist_bounds_us[SL_HIST_BUCKETS] = {
	100,	250,	500,	 1000,	  2500,	   5000,    10000,   25000,
	50000,	100000, 250000,	 500000,  1000000, 2500000, 5000000, 10000000,
};

/* --- windowed counters -------------------------------------------------- */

void sl_win_add(struct sl_win *w, uint64_t half_us, uint64_t now_us,
		const uint64_t add[SL_W_COUNT])
{
	uint64_t e = now_us / half_us;

	if (e > w->epoch) {
		if (e == w->epoch + 1)
			memcpy(w->prev, w->cur, sizeof(w->cur));
		else
			memset(w->prev, 0, sizeof(w->prev));
		memset(w->cur, 0, sizeof(w->cur));
		w->epoch = e;
	}
	/* An event a worker stamped before the last roll still counts now. */
	for (int i = 0; i < SL_W_COUNT; i++)
		w->cur[i] += add[i];
}

void sl_win_read(const struct sl_win *w, uint64_t half_us, uint64_t now_us,
		 uint64_t out[SL_W_COUNT])
{
	uint64_t e = now_us / half_us;

	for (int i = 0; i < SL_W_COUNT; i++) {
		if (e <= w->epoch)
			out[i] = w->cur[i] + w->prev[i];
		else if (e == w->epoch + 1)
			out[i] = w->cur[i];
		else
			out[i] = 0;
	}
}

/* --- text --------------------------------------------------------------- */

/* Presentation text of a wire name without its trailing dot. */
static void wire_text(const uint8_t *w, size_t len, char *buf, size_t cap)
{
	size_t n;

	if (nd_dns_name_to_text(w, len, buf, cap) != 0) {
		snprintf(buf, cap, "?");
		return;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

void sl_base_text(const uint8_t *base, size_t base_len, char *buf, size_t cap)
{
	uint8_t w[ND_DNS_MAX_NAME];

	if (base_len > SL_BASE_MAX)
		base_len = SL_BASE_MAX;
	memcpy(w, base, base_len);
	w[base_len] = 0;
	wire_text(w, base_len + 1, buf, cap);
}

void sl_label_text(const uint8_t *label, size_t len, char *buf, size_t cap)
{
	uint8_t w[SL_LABEL_MAX + 2];

	if (len == 0 || len > SL_LABEL_MAX) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	w[0] = (uint8_t)len;
	memcpy(w + 1, label, len);
	w[len + 1] = 0;
	wire_text(w, len + 2, buf, cap);
}

void sl_suffix_text(const struct nd_searchlist *t, int idx, const uint8_t *ns,
		    size_t ns_len, char *buf, size_t cap)
{
	uint8_t w[ND_DNS_MAX_NAME + SL_LABEL_MAX + 1];
	size_t n;

	if (idx < 0) {
		snprintf(buf, cap, "none");
		return;
	}
	if ((unsigned)idx == t->abs_idx) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	if (idx == 0) {
		/* Only a chain with a namespace has candidate 0. */
		w[0] = (uint8_t)ns_len;
		memcpy(w + 1, ns, ns_len);
		memcpy(w + 1 + ns_len, t->sfx[1], t->sfx_len[1]);
		n = 1 + ns_len + t->sfx_len[1];
	} else {
		memcpy(w, t->sfx[idx], t->sfx_len[idx]);
		n = t->sfx_len[idx];
	}
	wire_text(w, n, buf, cap);
}

void sl_advice(const struct nd_searchlist *t, const uint8_t *base,
	       size_t base_len, const uint8_t *ns, size_t ns_len, int ans_idx,
	       unsigned wasted, unsigned saved, char *buf, size_t cap)
{
	char name[ND_SL_NAME_TEXT], sfx[ND_SL_NAME_TEXT];
	unsigned dots = 0;

	buf[0] = '\0';
	sl_base_text(base, base_len, name, sizeof(name));
	for (size_t o = 0; o < base_len; o += 1u + base[o])
		dots += o > 0;
	if (ans_idx < 0) {
		snprintf(buf, cap,
			 "no search candidate of '%s' answered: check the name",
			 name);
		return;
	}
	if ((unsigned)ans_idx == t->abs_idx) {
		/*
		 * With ndots at most the name's dots, the stub tries it as
		 * is first; a trailing dot skips the search list altogether.
		 */
		snprintf(buf, cap,
			 "use the fully qualified name '%s.' (trailing dot) or "
			 "ndots:%u; saves %u queries per lookup",
			 name, dots, saved);
		return;
	}
	if (wasted == 0)
		return;
	sl_suffix_text(t, ans_idx, ns, ns_len, sfx, sizeof(sfx));
	snprintf(buf, cap, "use '%s.%s.'; saves %u queries per lookup", name,
		 sfx, saved);
}

/* --- names table -------------------------------------------------------- */

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
static struct sl_name *name_get(struct nd_searchlist *t, const uint8_t *base,
				size_t base_len, const uint8_t *ns,
				size_t ns_len)
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

/* --- reporting ---------------------------------------------------------- */

static void hist_observe(struct nd_searchlist *t, uint64_t us)
{
	size_t i = 0;

	while (i < SL_HIST_BUCKETS && us > nd_sl_hist_bounds_us[i])
		i++;
	SL_ADD(t->hist[i], 1);
	SL_ADD(t->hist_count, 1);
	SL_ADD(t->hist_sum_us, us);
}

void sl_report(struct nd_searchlist *t, const struct sl_done *d)
{
	const struct sl_chain *ch = &d->c;
	struct nd_chain_report r;
	uint64_t add[SL_W_COUNT] = { 0 };
	struct sl_name *e;

	SL_ADD(t->chains, 1);
	SL_ADD(t->wasted, d->wasted);
	SL_ADD(t->queries, d->queries);
	hist_observe(t, d->added_us);

	add[SL_W_CHAINS] = 1;
	add[SL_W_WASTED] = d->wasted;
	add[SL_W_QUERIES] = d->queries;
	add[SL_W_ADDED_US] = d->added_us;
	pthread_mutex_lock(&t->names.lock);
	e = name_get(t, ch->base, ch->base_len, ch->ns, ch->ns_len);
	sl_win_add(&e->win, t->half_us, ch->active_us, add);
	e->ans_idx = (int8_t)d->ans_idx;
	e->last_saved = d->saved > UINT16_MAX ? UINT16_MAX : (uint16_t)d->saved;
	e->last_wasted =
		d->wasted > UINT16_MAX ? UINT16_MAX : (uint16_t)d->wasted;
	pthread_mutex_unlock(&t->names.lock);

	if (t->on_chain == NULL ||
	    (t->is_on_chain_limited &&
	     !nd_searchlist_should_log(t, ch->active_us)))
		return;
	memset(&r, 0, sizeof(r));
	memcpy(&r.client, &d->client, sizeof(r.client));
	sl_label_text(ch->ns, ch->ns_len, r.ns, sizeof(r.ns));
	sl_base_text(ch->base, ch->base_len, r.name, sizeof(r.name));
	r.queries = d->queries;
	r.wasted = d->wasted;
	r.candidates = d->candidates;
	r.added_us = d->added_us;
	sl_suffix_text(t, d->ans_idx, ch->ns, ch->ns_len, r.answered_by,
		       sizeof(r.answered_by));
	r.is_answered = d->ans_idx >= 0;
	r.is_parallel = d->pattern == ND_SL_PATTERN_PARALLEL;
	r.pattern = d->pattern;
	r.end = d->end;
	sl_advice(t, ch->base, ch->base_len, ch->ns, ch->ns_len, d->ans_idx,
		  d->wasted, d->saved, r.advice, sizeof(r.advice));
	t->on_chain(t->arg, &r);
}
