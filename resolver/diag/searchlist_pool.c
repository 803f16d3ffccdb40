/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_pool.c - the fixed slots of clients and chains in a shard: lookup, LRU order, eviction. */
#include "resolver/diag/searchlist_internal.h"

#include <netinet/in.h>
#include <string.h>

bool sl_key_of(const struct sockaddr *sa, struct sl_key *k, uint16_t *port)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		k->family = AF_INET;
		memcpy(k->addr, &in->sin_addr, 4);
		k->len = 4;
		*port = ntohs(in->sin_port);
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)sa;

		*port = ntohs(in6->sin6_port);
		/* A dual-stack socket shows IPv4 pods as ::ffff:a.b.c.d. */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			k->family = AF_INET;
			memcpy(k->addr, &in6->sin6_addr.s6_addr[12], 4);
			k->len = 4;
		} else {
			k->family = AF_INET6;
			memcpy(k->addr, &in6->sin6_addr, 16);
			k->len = 16;
		}
		return true;
	}
	return false;
}

void sl_clru_unlink(struct sl_shard *s, uint32_t i)
{
	struct sl_client *c = &s->clients[i];

	if (c->lprev != SL_NIL)
		s->clients[c->lprev].lnext = c->lnext;
	else
		s->clru_head = c->lnext;
	if (c->lnext != SL_NIL)
		s->clients[c->lnext].lprev = c->lprev;
	else
		s->clru_tail = c->lprev;
}

void sl_clru_append(struct sl_shard *s, uint32_t i)
{
	struct sl_client *c = &s->clients[i];

	c->lnext = SL_NIL;
	c->lprev = s->clru_tail;
	if (s->clru_tail != SL_NIL)
		s->clients[s->clru_tail].lnext = i;
	else
		s->clru_head = i;
	s->clru_tail = i;
}

void sl_chlru_unlink(struct sl_shard *s, uint32_t i)
{
	struct sl_chain *ch = &s->chains[i];

	if (ch->lprev != SL_NIL)
		s->chains[ch->lprev].lnext = ch->lnext;
	else
		s->chlru_head = ch->lnext;
	if (ch->lnext != SL_NIL)
		s->chains[ch->lnext].lprev = ch->lprev;
	else
		s->chlru_tail = ch->lprev;
}

void sl_chlru_append(struct sl_shard *s, uint32_t i)
{
	struct sl_chain *ch = &s->chains[i];

	ch->lnext = SL_NIL;
	ch->lprev = s->chlru_tail;
	if (s->chlru_tail != SL_NIL)
		s->chains[s->chlru_tail].lnext = i;
	else
		s->chlru_head = i;
	s->chlru_tail = i;
}

uint32_t sl_client_find(const struct sl_shard *s, const struct sl_key *k,
			uint64_t h)
{
	for (uint32_t i = sl_bucket_head(s->buckets[h & s->bucket_mask]);
	     i != SL_NIL;
	     i = s->clients[i].hnext) {
		const struct sl_client *c = &s->clients[i];

		if (c->hash == h && c->family == k->family &&
		    memcmp(c->addr, k->addr, k->len) == 0)
			return i;
	}
	return SL_NIL;
}

/* Would dropping this chain lose a report? (Not a one-candidate one.) */
static bool chain_matters(const struct sl_chain *ch)
{
	return !(ch->state == SL_ANSWERED &&
		 __builtin_popcount(ch->tried) < 2);
}

/* Return a chain to the free list; count it when a report is lost. */
void sl_chain_drop(struct nd_searchlist *t, struct sl_shard *s,
		   uint32_t i, bool is_eviction)
{
	struct sl_chain *ch = &s->chains[i];
	struct sl_client *c = &s->clients[ch->client];

	if (is_eviction && chain_matters(ch))
		SL_ADD(t->chain_evictions, 1);
	if (ch->cprev != SL_NIL)
		s->chains[ch->cprev].cnext = ch->cnext;
	else
		c->chead = ch->cnext;
	if (ch->cnext != SL_NIL)
		s->chains[ch->cnext].cprev = ch->cprev;
	else
		c->ctail = ch->cprev;
	c->n_chains--;
	sl_chlru_unlink(s, i);
	ch->state = SL_FREE;
	ch->lnext = s->chain_free;
	s->chain_free = i;
	__atomic_store_n(&s->n_chains, s->n_chains - 1, __ATOMIC_RELAXED);
}

void sl_client_drop(struct nd_searchlist *t, struct sl_shard *s,
		    uint32_t i)
{
	struct sl_client *c = &s->clients[i];
	uint32_t *b = &s->buckets[c->hash & s->bucket_mask];

	while (c->chead != SL_NIL)
		sl_chain_drop(t, s, c->chead, true);
	if (sl_bucket_head(*b) == i) {
		*b = sl_bucket_of_head(c->hnext);
	} else {
		uint32_t j = sl_bucket_head(*b);

		while (s->clients[j].hnext != i)
			j = s->clients[j].hnext;
		s->clients[j].hnext = c->hnext;
	}
	sl_clru_unlink(s, i);
	c->in_use = false;
	c->hnext = s->client_free;
	s->client_free = i;
	__atomic_store_n(&s->n_clients, s->n_clients - 1, __ATOMIC_RELAXED);
}

uint32_t sl_client_alloc(struct nd_searchlist *t, struct sl_shard *s,
			 const struct sl_key *k, uint64_t h)
{
	struct sl_client *c;
	uint32_t i;

	if (s->client_free == SL_NIL && s->client_unused < s->client_cap) {
		i = s->client_unused++;
		c = &s->clients[i];
	} else {
		if (s->client_free == SL_NIL) {
			/* Full: the least recently seen client makes room. */
			sl_client_drop(t, s, s->clru_head);
			SL_ADD(t->client_evictions, 1);
		}
		i = s->client_free;
		c = &s->clients[i];
		s->client_free = c->hnext;
	}
	memset(c, 0, sizeof(*c));
	c->in_use = true;
	c->hash = h;
	c->family = k->family;
	memcpy(c->addr, k->addr, sizeof(c->addr));
	c->chead = c->ctail = SL_NIL;
	c->hnext = sl_bucket_head(s->buckets[h & s->bucket_mask]);
	s->buckets[h & s->bucket_mask] = sl_bucket_of_head(i);
	sl_clru_append(s, i);
	__atomic_store_n(&s->n_clients, s->n_clients + 1, __ATOMIC_RELAXED);
	return i;
}

uint32_t sl_chain_alloc(struct nd_searchlist *t, struct sl_shard *s,
			uint32_t ci)
{
	struct sl_client *c = &s->clients[ci];
	struct sl_chain *ch;
	uint32_t i;

	if (c->n_chains >= t->max_chains_per_client)
		sl_chain_drop(t, s, c->chead, true);
	if (s->chain_free == SL_NIL && s->chain_unused < s->chain_cap) {
		i = s->chain_unused++;
		ch = &s->chains[i];
	} else {
		if (s->chain_free == SL_NIL)
			sl_chain_drop(t, s, s->chlru_head, true);
		i = s->chain_free;
		ch = &s->chains[i];
		s->chain_free = ch->lnext;
	}
	memset(ch, 0, offsetof(struct sl_chain, ns));
	ch->client = ci;
	ch->cnext = SL_NIL;
	ch->cprev = c->ctail;
	if (c->ctail != SL_NIL)
		s->chains[c->ctail].cnext = i;
	else
		c->chead = i;
	c->ctail = i;
	c->n_chains++;
	sl_chlru_append(s, i);
	__atomic_store_n(&s->n_chains, s->n_chains + 1, __ATOMIC_RELAXED);
	return i;
}
