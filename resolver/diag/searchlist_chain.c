/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_chain.c - which chain a query belongs to, and how a chain moves to its end. */
#include "resolver/diag/searchlist_internal.h"

#include <netinet/in.h>
#include <string.h>

#include "resolver/observe.h"

/* Which candidate of ch is q (lower-case wire name)? -1 = none. */
static int cand_index(const struct nd_searchlist *t, const struct sl_chain *ch,
		      const uint8_t *q, size_t qlen)
{
	const uint8_t *r;
	size_t rlen;

	if (qlen <= ch->base_len || memcmp(q, ch->base, ch->base_len) != 0)
		return -1;
	/* base is whole labels, so the rest starts on a label too. */
	r = q + ch->base_len;
	rlen = qlen - ch->base_len;
	if (ch->ns_len > 0 && rlen == 1u + ch->ns_len + t->sfx_len[1] &&
	    r[0] == ch->ns_len && memcmp(r + 1, ch->ns, ch->ns_len) == 0 &&
	    memcmp(r + 1 + ch->ns_len, t->sfx[1], t->sfx_len[1]) == 0)
		return 0;
	for (unsigned i = 1; i < t->n_cand; i++)
		if (rlen == t->sfx_len[i] && memcmp(r, t->sfx[i], rlen) == 0)
			return (int)i;
	return -1;
}

/*
 * Does q end in a search suffix with a label of its own before it? The
 * namespace form comes first because every pod's list starts with it;
 * the client's learned namespace must agree, else "web.other.svc.<zone>"
 * from a pod in "shop" would begin a chain for "web" in "other". The
 * other suffixes are tried in the order the stub resolver tries them.
 */
bool sl_start_form(const struct nd_searchlist *t, const uint8_t *q,
		   size_t qlen, const struct sl_client *c,
		   struct sl_start *st)
{
	uint8_t is_off[ND_DNS_MAX_NAME / 8 + 1] = { 0 };
	uint16_t offs[ND_DNS_MAX_NAME / 2];
	size_t o = 0, nl = 0;
	size_t l1 = t->sfx_len[1];

	while (o < qlen && q[o] != 0) {
		if (q[o] > SL_LABEL_MAX)
			return false;
		offs[nl++] = (uint16_t)o;
		is_off[o / 8] |= (uint8_t)(1u << (o % 8));
		o += 1u + q[o];
	}
	if (o != qlen - 1 || nl < 2)
		return false;
	st->ns_off = st->ns_len = 0;
	for (size_t p = 2; p < nl; p++) {
		size_t nso = offs[p - 1];

		if (qlen - offs[p] != l1 || memcmp(q + offs[p], t->sfx[1], l1))
			continue;
		if (c != NULL && c->ns_len != 0 &&
		    (c->ns_len != q[nso] ||
		     memcmp(c->ns, q + nso + 1, c->ns_len) != 0))
			break;
		st->idx = 0;
		st->base_len = nso;
		st->ns_off = nso + 1;
		st->ns_len = q[nso];
		return true;
	}
	for (unsigned i = 1; i < t->abs_idx; i++) {
		size_t len = t->sfx_len[i];

		if (len >= qlen)
			continue;
		o = qlen - len;
		if (!(is_off[o / 8] & (1u << (o % 8))) ||
		    memcmp(q + o, t->sfx[i], len) != 0)
			continue;
		st->idx = (int)i;
		st->base_len = o;
		return true;
	}
	return false;
}

/*
 * The client's chain that q belongs to. A query is fresh for an open
 * chain when it is a new (candidate, type) that is progress or the other
 * type of a candidate already asked; for an answered chain only the other
 * type of the final candidate is. A chain matching only by a repeat is
 * returned with *is_repeat: the client began that lookup again.
 */
uint32_t sl_match_chain(const struct nd_searchlist *t,
			const struct sl_shard *s, const struct sl_client *c,
			const uint8_t *q, size_t qlen, bool is_a, int *idx,
			bool *is_repeat)
{
	uint32_t repeat = SL_NIL;
	int repeat_idx = -1;

	for (uint32_t i = c->chead; i != SL_NIL; i = s->chains[i].cnext) {
		const struct sl_chain *ch = &s->chains[i];
		int k = cand_index(t, ch, q, qlen);
		uint32_t bit, seen, other;
		bool is_fresh;

		if (k < 0)
			continue;
		bit = 1u << k;
		/* The TCP retry of a truncated answer goes on its chain. */
		if ((is_a ? ch->tc_a : ch->tc_aaaa) & bit) {
			*idx = k;
			*is_repeat = false;
			return i;
		}
		seen = is_a ? ch->seen_a : ch->seen_aaaa;
		other = is_a ? ch->seen_aaaa : ch->seen_a;
		if (ch->state == SL_ACTIVE)
			is_fresh = !(seen & bit) &&
				   (k >= ch->max_idx || (other & bit));
		else
			is_fresh = k == ch->final_idx && !(seen & bit);
		if (is_fresh) {
			*idx = k;
			*is_repeat = false;
			return i;
		}
		if (repeat == SL_NIL) {
			repeat = i;
			repeat_idx = k;
		}
	}
	*idx = repeat_idx;
	*is_repeat = repeat != SL_NIL;
	return repeat;
}

/*
 * Add one query to its chain. Returns true when the chain is over (the
 * caller finishes it). A chain that has shown both types waits for the
 * other type of its final candidate, so the report counts both (glibc
 * sends A and AAAA together and reads both answers).
 */
bool sl_chain_apply(const struct nd_searchlist *t, struct sl_chain *ch,
		    int idx, const struct nd_query_event *ev, uint16_t port)
{
	uint32_t bit = 1u << idx;
	bool is_a = ev->qtype == ND_TYPE_A;
	bool is_pos = ev->rcode == ND_RCODE_NOERROR && ev->ancount > 0;
	/* A truncated UDP answer without records is neither: the client
	 * asks again over TCP and that answer decides. */
	bool is_neg = !(ev->is_truncated && ev->ancount == 0) &&
		      (ev->rcode == ND_RCODE_NXDOMAIN ||
		       (ev->rcode == ND_RCODE_NOERROR && ev->ancount == 0));
	uint64_t done_us = ev->recv_us + ev->duration_us;
	uint32_t other;

	if (ch->queries < UINT16_MAX)
		ch->queries++;
	if (ch->n_q[idx] < UINT8_MAX)
		ch->n_q[idx]++;
	if (is_neg && ch->n_neg[idx] < UINT8_MAX)
		ch->n_neg[idx]++;
	ch->tried |= bit;
	if (is_a)
		ch->seen_a |= bit;
	else
		ch->seen_aaaa |= bit;
	if (is_pos)
		ch->pos |= bit;
	if (ev->recv_us < ch->first_us)
		ch->first_us = ev->recv_us;
	if (ev->recv_us > ch->last_us)
		ch->last_us = ev->recv_us;
	if (done_us > ch->active_us)
		ch->active_us = done_us;
	if (ev->is_truncated && ev->ancount == 0) {
		if (is_a)
			ch->tc_a |= bit;
		else
			ch->tc_aaaa |= bit;
		return false; /* the retry over TCP decides */
	}
	if (is_a)
		ch->tc_a &= ~bit;
	else
		ch->tc_aaaa &= ~bit;

	if (idx > ch->pair_idx) {
		ch->pair_idx = (int8_t)idx;
		ch->pair_type = ev->qtype;
		ch->pair_port = port;
		ch->pair_us = ev->recv_us;
		ch->is_pair_done = false;
	} else if (idx == ch->pair_idx && !ch->is_pair_done &&
		   ev->qtype != ch->pair_type) {
		uint64_t d = ev->recv_us > ch->pair_us ?
				     ev->recv_us - ch->pair_us :
				     ch->pair_us - ev->recv_us;

		if (port == ch->pair_port && d <= SL_PAIR_US)
			ch->saw_parallel = true;
		else
			ch->saw_sequential = true;
		ch->is_pair_done = true;
	}
	if (idx > ch->max_idx)
		ch->max_idx = (int8_t)idx;

	if (ch->state == SL_ANSWERED)
		return true; /* the awaited other type */
	if (!is_pos && (unsigned)idx != t->abs_idx)
		return false;
	ch->final_idx = (int8_t)idx;
	ch->state = SL_ANSWERED;
	other = is_a ? ch->seen_aaaa : ch->seen_a;
	if (other & bit)
		return true;
	/*
	 * Wait when both types were seen before, or when this is the first
	 * candidate: no evidence yet, and its other type must not begin a
	 * chain of its own.
	 */
	if ((ch->seen_a & ch->seen_aaaa) != 0 || ch->tried == bit)
		return false;
	return true;
}

/*
 * End chain i: summarise it into d (when it is worth a report), credit
 * its client, free the slot. Returns true when d is to be reported.
 * open_end: why an open chain ended (idle or restart).
 */
bool sl_chain_finish(struct nd_searchlist *t, struct sl_shard *s,
		     uint32_t i, enum nd_sl_end open_end, uint64_t now_us,
		     struct sl_done *d)
{
	struct sl_chain *ch = &s->chains[i];
	struct sl_client *c = &s->clients[ch->client];
	unsigned n = __builtin_popcount(ch->tried);
	uint64_t add[SL_W_COUNT];
	struct sockaddr_in *in;
	struct sockaddr_in6 *in6;

	if (n < 2) {
		sl_chain_drop(t, s, i, false);
		return false;
	}
	memset(d, 0, sizeof(*d));
	memcpy(&d->c, ch, sizeof(*ch));
	if (ch->pos != 0)
		d->end = ND_SL_END_ANSWERED;
	else if (ch->state == SL_ANSWERED)
		d->end = ND_SL_END_EXHAUSTED;
	else
		d->end = open_end;
	d->ans_idx = ch->pos != 0 ? __builtin_ctz(ch->pos) : -1;
	d->queries = ch->queries;
	for (unsigned k = 0; k < t->n_cand; k++) {
		if (!(ch->tried & (1u << k)) || (int)k == d->ans_idx)
			continue;
		d->wasted += ch->n_neg[k];
		d->saved += ch->n_q[k];
	}
	d->candidates = n;
	d->added_us = ch->last_us - ch->first_us;
	d->pattern = ch->saw_parallel	? ND_SL_PATTERN_PARALLEL :
		     ch->saw_sequential ? ND_SL_PATTERN_SEQUENTIAL :
					  ND_SL_PATTERN_UNKNOWN;
	if (c->family == AF_INET) {
		in = (struct sockaddr_in *)&d->client;
		in->sin_family = AF_INET;
		in->sin_port = htons(ch->first_port);
		memcpy(&in->sin_addr, c->addr, 4);
	} else {
		in6 = (struct sockaddr_in6 *)&d->client;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(ch->first_port);
		memcpy(&in6->sin6_addr, c->addr, 16);
	}

	add[SL_W_CHAINS] = 1;
	add[SL_W_WASTED] = d->wasted;
	add[SL_W_QUERIES] = d->queries;
	add[SL_W_ADDED_US] = d->added_us;
	add[SL_W_PARALLEL] = d->pattern == ND_SL_PATTERN_PARALLEL;
	add[SL_W_SEQUENTIAL] = d->pattern == ND_SL_PATTERN_SEQUENTIAL;
	sl_win_add(&c->win, t->half_us, now_us, add);
	/* Walking past the first suffix proves it was the pod's own. */
	if (ch->first_idx == 0 && ch->ns_len != 0) {
		c->ns_len = ch->ns_len;
		memcpy(c->ns, ch->ns, ch->ns_len);
	}
	sl_chain_drop(t, s, i, false);
	return true;
}
