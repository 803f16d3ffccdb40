/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist.c - the tracker's entry points: set-up, observe, tick, stats. */
#include "resolver/diag/searchlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/observe.h"
#include "resolver/diag/searchlist_internal.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/pages.h"
#include "util/rand.h"
#include "util/ratelimit.h"

#define SL_DEFAULT_ZONE "cluster.local"
#define SL_DEFAULT_MAX_CLIENTS 4096
#define SL_DEFAULT_CHAINS_PER_CLIENT 16
#define SL_DEFAULT_MAX_NAMES 1024
#define SL_DEFAULT_IDLE_MS 2000
#define SL_DEFAULT_WINDOW_S 600
#define SL_DEFAULT_LOG_PER_S 10
#define SL_DEFAULT_LOG_BURST 50
#define SL_MAX_SHARDS 16
#define SL_TICK_BATCH 8	 /* chains reported per shard lock in tick() */

/* --- set-up ------------------------------------------------------------- */

static size_t pick(size_t v, size_t def)
{
	return v != 0 ? v : def;
}

static uint32_t pow2_at_least(size_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

/* A search suffix as a lower-case wire name; the root alone is no suffix. */
static int sfx_from_text(const char *text, uint8_t *out)
{
	int n;

	if (text == NULL)
		return -EINVAL;
	n = nd_dns_name_from_text(text, out, ND_DNS_MAX_NAME);
	if (n <= 1)
		return -EINVAL;
	nd_dns_name_lower(out, (size_t)n);
	return n;
}

static int init_suffixes(struct nd_searchlist *t,
			 const struct nd_searchlist_options *o)
{
	const char *zone = o->zone != NULL ? o->zone : SL_DEFAULT_ZONE;
	uint8_t zw[ND_DNS_MAX_NAME];
	size_t total;
	int n;

	if (o->n_node_domains > ND_SL_MAX_CANDIDATES ||
	    o->n_extra > ND_SL_MAX_CANDIDATES)
		return -EINVAL;
	total = 4 + o->n_node_domains + o->n_extra;
	if (total > ND_SL_MAX_CANDIDATES) {
		nd_err("searchlist", "%zu search suffixes: at most %d",
		       total - 1, ND_SL_MAX_CANDIDATES - 1);
		return -EINVAL;
	}
	if ((o->n_node_domains > 0 && o->node_domains == NULL) ||
	    (o->n_extra > 0 && o->extra_suffixes == NULL))
		return -EINVAL;
	n = sfx_from_text(zone, zw);
	if (n < 0 || n + 4 > ND_DNS_MAX_NAME) {
		nd_err("searchlist", "bad cluster zone '%s'", zone);
		return -EINVAL;
	}
	/* [0] is "<ns>.svc.<zone>", built per chain from [1]. */
	t->sfx[1][0] = 3;
	memcpy(&t->sfx[1][1], "svc", 3);
	memcpy(&t->sfx[1][4], zw, (size_t)n);
	t->sfx_len[1] = (uint8_t)(n + 4);
	memcpy(t->sfx[2], zw, (size_t)n);
	t->sfx_len[2] = (uint8_t)n;
	for (size_t i = 0; i < o->n_node_domains + o->n_extra; i++) {
		size_t n_node = o->n_node_domains;
		const char *s = i < n_node ? o->node_domains[i] :
					     o->extra_suffixes[i - n_node];

		n = sfx_from_text(s, t->sfx[3 + i]);
		if (n < 0) {
			nd_err("searchlist", "bad search suffix '%s'",
			       s != NULL ? s : "(null)");
			return -EINVAL;
		}
		t->sfx_len[3 + i] = (uint8_t)n;
	}
	t->n_cand = (unsigned)total;
	t->abs_idx = t->n_cand - 1;
	t->sfx[t->abs_idx][0] = 0;
	t->sfx_len[t->abs_idx] = 1;
	return 0;
}

static int init_shard(struct sl_shard *s, uint32_t client_cap,
		      uint32_t chain_cap)
{
	uint32_t nb = pow2_at_least(2 * (size_t)client_cap);

	if (pthread_mutex_init(&s->lock, NULL) != 0)
		return -ENOMEM;
	s->has_lock = true;
	/* Sizes first: nd_searchlist_free needs them for a half-built shard. */
	s->client_cap = client_cap;
	s->chain_cap = chain_cap;
	s->bucket_mask = nb - 1;
	/* No free lists threaded through the pools: slots are handed out
	 * in order first, so untouched pages stay out of RSS until then. */
	s->clients = nd_pages_zalloc(client_cap, sizeof(*s->clients));
	s->chains = nd_pages_zalloc(chain_cap, sizeof(*s->chains));
	s->buckets = nd_pages_zalloc(nb, sizeof(*s->buckets));
	if (s->clients == NULL || s->chains == NULL || s->buckets == NULL)
		return -ENOMEM;
	s->client_free = SL_NIL;
	s->client_unused = 0;
	s->chain_free = SL_NIL;
	s->chain_unused = 0;
	s->clru_head = s->clru_tail = SL_NIL;
	s->chlru_head = s->chlru_tail = SL_NIL;
	return 0;
}

struct nd_searchlist *nd_searchlist_new(const struct nd_searchlist_options *o)
{
	struct nd_searchlist *t;
	size_t max_clients, max_chains, max_names;

	if (o == NULL)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (init_suffixes(t, o) != 0)
		goto fail;
	max_clients = pick(o->max_clients, SL_DEFAULT_MAX_CLIENTS);
	max_chains = pick(o->max_chains, max_clients);
	max_names = pick(o->max_names, SL_DEFAULT_MAX_NAMES);
	if (max_clients > UINT32_MAX / 4 || max_chains > UINT32_MAX / 4 ||
	    max_names > UINT32_MAX / 4) {
		nd_err("searchlist", "pool sizes too large");
		goto fail;
	}
	t->max_chains_per_client =
		pick(o->max_chains_per_client, SL_DEFAULT_CHAINS_PER_CLIENT);
	t->idle_us = (uint64_t)pick(o->idle_ms, SL_DEFAULT_IDLE_MS) * 1000;
	t->window_s = (uint32_t)pick(o->window_s, SL_DEFAULT_WINDOW_S);
	t->half_us = (uint64_t)t->window_s * 500000;
	nd_ratelimit_init(&t->log_limit,
			  pick(o->log_per_s, SL_DEFAULT_LOG_PER_S), 1000000u,
			  pick(o->log_burst, SL_DEFAULT_LOG_BURST));
	t->on_chain = o->on_chain;
	t->is_on_chain_limited = o->is_on_chain_limited;
	t->arg = o->arg;
	t->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();

	/*
	 * Sixteen shards keep four to sixteen workers off each other's lock;
	 * a small tracker (tests, tiny nodes) uses one so its bounds are
	 * exact rather than split sixteen ways.
	 */
	t->n_shards = max_clients >= 256 ? SL_MAX_SHARDS : 1;
	if (max_chains < t->n_shards)
		max_chains = t->n_shards;
	t->shards = calloc(t->n_shards, sizeof(*t->shards));
	if (t->shards == NULL)
		goto fail;
	for (unsigned i = 0; i < t->n_shards; i++) {
		uint32_t cc = (uint32_t)(max_clients / t->n_shards +
					 (i < max_clients % t->n_shards));
		uint32_t hc = (uint32_t)(max_chains / t->n_shards +
					 (i < max_chains % t->n_shards));

		if (init_shard(&t->shards[i], cc, hc) != 0)
			goto fail;
		t->pool_bytes += cc * sizeof(struct sl_client) +
				 hc * sizeof(struct sl_chain) +
				 (t->shards[i].bucket_mask + 1ull) * 4;
	}
	if (sl_names_init(&t->names, max_names) != 0)
		goto fail;
	t->pool_bytes += max_names * sizeof(struct sl_name) +
			 (t->names.bucket_mask + 1) * sizeof(uint32_t) +
			 sizeof(*t) + t->n_shards * sizeof(struct sl_shard);
	return t;
fail:
	nd_searchlist_free(t);
	return NULL;
}

void nd_searchlist_free(struct nd_searchlist *t)
{
	if (t == NULL)
		return;
	if (t->shards != NULL) {
		for (unsigned i = 0; i < t->n_shards; i++) {
			struct sl_shard *s = &t->shards[i];

			if (s->has_lock)
				pthread_mutex_destroy(&s->lock);
			nd_pages_free(s->clients, s->client_cap,
				      sizeof(*s->clients));
			nd_pages_free(s->chains, s->chain_cap,
				      sizeof(*s->chains));
			nd_pages_free(s->buckets, s->bucket_mask + 1ull,
				      sizeof(*s->buckets));
		}
		free(t->shards);
	}
	sl_names_deinit(&t->names);
	free(t);
}

/* --- the query path ----------------------------------------------------- */

void nd_searchlist_observe(struct nd_searchlist *t,
			   const struct nd_query_event *ev)
{
	struct sl_done done[2];
	struct sl_start st;
	struct sl_shard *s;
	struct sl_client *c = NULL;
	struct sl_chain *ch;
	struct sl_key k;
	uint32_t ci, chi = SL_NIL;
	uint16_t port;
	uint64_t h;
	size_t qlen;
	bool is_a, is_repeat = false;
	int n_done = 0, idx = -1;

	if (t == NULL || ev == NULL || ev->client == NULL ||
	    ev->qname_lc == NULL)
		return;
	if (ev->qtype != ND_TYPE_A && ev->qtype != ND_TYPE_AAAA)
		return;
	qlen = ev->qname_len;
	if (qlen < 2 || qlen > ND_DNS_MAX_NAME)
		return;
	if (!sl_key_of(ev->client, &k, &port))
		return;
	is_a = ev->qtype == ND_TYPE_A;
	h = nd_hash(k.addr, k.len, t->seed ^ k.family);
	s = &t->shards[(h >> 40) & (t->n_shards - 1)];

	pthread_mutex_lock(&s->lock);
	ci = sl_client_find(s, &k, h);
	if (ci != SL_NIL) {
		c = &s->clients[ci];
		if (ev->recv_us > c->last_us)
			c->last_us = ev->recv_us;
		sl_clru_unlink(s, ci);
		sl_clru_append(s, ci);
		chi = sl_match_chain(t, s, c, ev->qname_lc, qlen, is_a, &idx,
				     &is_repeat);
		if (chi != SL_NIL && is_repeat) {
			if (sl_chain_finish(t, s, chi, ND_SL_END_RESTART,
					    ev->recv_us, &done[n_done]))
				n_done++;
			chi = SL_NIL;
		}
	}
	if (chi == SL_NIL) {
		if (!sl_start_form(t, ev->qname_lc, qlen, c, &st))
			goto out;
		if (ci == SL_NIL) {
			ci = sl_client_alloc(t, s, &k, h);
			c = &s->clients[ci];
			c->last_us = ev->recv_us;
		}
		chi = sl_chain_alloc(t, s, ci);
		ch = &s->chains[chi];
		ch->state = SL_ACTIVE;
		ch->first_idx = ch->max_idx = (int8_t)st.idx;
		ch->pair_idx = -1;
		ch->final_idx = -1;
		ch->first_port = port;
		ch->first_us = ch->last_us = ev->recv_us;
		ch->base_len = (uint8_t)st.base_len;
		memcpy(ch->base, ev->qname_lc, st.base_len);
		if (st.ns_len != 0) {
			ch->ns_len = (uint8_t)st.ns_len;
			memcpy(ch->ns, ev->qname_lc + st.ns_off, st.ns_len);
		} else if (c->ns_len != 0) {
			ch->ns_len = c->ns_len;
			memcpy(ch->ns, c->ns, c->ns_len);
		}
		idx = st.idx;
	}
	ch = &s->chains[chi];
	if (sl_chain_apply(t, ch, idx, ev, port)) {
		if (sl_chain_finish(t, s, chi, ND_SL_END_IDLE, ch->active_us,
				    &done[n_done]))
			n_done++;
	} else {
		sl_chlru_unlink(s, chi);
		sl_chlru_append(s, chi);
	}
out:
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < n_done; i++)
		sl_report(t, &done[i]);
}

/* --- housekeeping ------------------------------------------------------- */

/*
 * One pass over a shard: end up to SL_TICK_BATCH idle chains. The chain
 * list is in order of last activity, which is the order of their answer
 * times give or take a worker's lag, so the walk stops at the first chain
 * still in use. Returns how many were put in done; *more when the batch
 * filled up.
 */
static int tick_shard(struct nd_searchlist *t, struct sl_shard *s,
		      uint64_t now_us, struct sl_done *done, bool *more)
{
	int n = 0;
	uint32_t i;

	*more = false;
	pthread_mutex_lock(&s->lock);
	for (i = s->chlru_head; i != SL_NIL;) {
		struct sl_chain *ch = &s->chains[i];
		uint32_t next = ch->lnext;

		if (ch->active_us + t->idle_us > now_us)
			break;
		if (sl_chain_finish(t, s, i, ND_SL_END_IDLE, now_us, &done[n]))
			n++;
		i = next;
		if (n == SL_TICK_BATCH) {
			*more = i != SL_NIL;
			break;
		}
	}
	/* A client with no open chain unseen for a window has nothing left. */
	while (!*more && s->clru_head != SL_NIL) {
		struct sl_client *c = &s->clients[s->clru_head];

		if (c->n_chains != 0 || c->last_us + 2 * t->half_us > now_us)
			break;
		sl_client_drop(t, s, s->clru_head);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}

void nd_searchlist_tick(struct nd_searchlist *t, uint64_t now_us)
{
	struct sl_done done[SL_TICK_BATCH];
	bool more;

	if (t == NULL)
		return;
	for (unsigned k = 0; k < t->n_shards; k++) {
		do {
			int n = tick_shard(t, &t->shards[k], now_us, done,
					   &more);

			/* Reported outside the lock: on_chain may log. */
			for (int i = 0; i < n; i++)
				sl_report(t, &done[i]);
		} while (more);
	}
	sl_names_expire(t, now_us);
}

bool nd_searchlist_should_log(struct nd_searchlist *t, uint64_t now_us)
{
	if (t == NULL)
		return false;
	if (nd_ratelimit_allow(&t->log_limit, now_us, NULL))
		return true;
	SL_ADD(t->log_suppressed, 1);
	return false;
}

void nd_searchlist_get_stats(const struct nd_searchlist *t,
			     struct nd_searchlist_stats *out)
{
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (t == NULL)
		return;
	out->chains = SL_LOAD(t->chains);
	out->wasted = SL_LOAD(t->wasted);
	out->queries = SL_LOAD(t->queries);
	out->client_evictions = SL_LOAD(t->client_evictions);
	out->chain_evictions = SL_LOAD(t->chain_evictions);
	out->log_suppressed = SL_LOAD(t->log_suppressed);
	out->pool_bytes = t->pool_bytes;
	for (unsigned i = 0; i < t->n_shards; i++) {
		out->clients += SL_LOAD(t->shards[i].n_clients);
		out->open_chains += SL_LOAD(t->shards[i].n_chains);
	}
}
