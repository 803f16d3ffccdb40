/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_report.c - turns a finished chain into its report: counters, histogram, names table entry, on_chain. */
#include "resolver/diag/searchlist_internal.h"

#include <string.h>

/*
 * Added latency, microseconds: a chain answered from the cache costs a
 * few hundred; one that waits on upstream NXDOMAINs costs tens to
 * hundreds of milliseconds per candidate.
 */
const uint32_t nd_sl_hist_bounds_us[SL_HIST_BUCKETS] = {
	100,	250,	500,	 1000,	  2500,	   5000,    10000,   25000,
	50000,	100000, 250000,	 500000,  1000000, 2500000, 5000000, 10000000,
};

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
	e = sl_name_get(t, ch->base, ch->base_len, ch->ns, ch->ns_len);
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
