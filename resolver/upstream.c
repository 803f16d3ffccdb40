/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/upstream.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>

#include "util/rand.h"

/*
 * Every worker reads and updates the same set with no lock: each health
 * field is a single word touched only through relaxed atomics. Readers may
 * see one worker's report a moment late, which only nudges which upstream
 * goes first; no decision needs a consistent view of two fields.
 */

/* Above this, more failures tell us nothing and the counter must not wrap. */
#define ND_UP_FAILS_CAP 1000000u

struct nd_upstream {
	struct sockaddr_storage addr;
	uint32_t srtt_us; /* smoothed RTT; 0 = never answered */
	uint32_t fails;	  /* consecutive non-OK outcomes, 0 after an OK */
	uint32_t loop_round; /* the probe round that came back to us + 1;
				0 = no loop seen */
	struct nd_upstream_trust trust; /* 0x20 echo and cookies */
};

/* Of this many first choices, one goes to each upstream in turn. */
#define ND_UPSTREAM_PROBE_EVERY 64

struct nd_upstreams {
	size_t n;
	uint64_t id;	 /* unique in the process (nd_upstreams_id) */
	unsigned rr;	 /* rotation among equally good upstreams */
	unsigned picks; /* first choices made, for the probe rotation */
	uint8_t cookie_secret[ND_COOKIE_SECRET_LEN]; /* client cookies' key */
	struct nd_upstream up[];
};

static const char *const outcome_names[ND_UP_OUTCOMES] = {
	[ND_UP_OK] = "ok",	       [ND_UP_TIMEOUT] = "timeout",
	[ND_UP_REFUSED] = "refused",   [ND_UP_SERVFAIL] = "servfail",
	[ND_UP_NETWORK] = "network",   [ND_UP_BAD] = "bad",
};

const char *nd_upstream_outcome_name(enum nd_upstream_outcome o)
{
	if ((unsigned)o >= ND_UP_OUTCOMES)
		return "unknown";
	return outcome_names[o];
}

struct nd_upstreams *nd_upstreams_new(const struct sockaddr_storage *addrs,
				      size_t n)
{
	struct nd_upstreams *u;

	/*
	 * An empty set is allowed (cluster-only service: nothing to forward
	 * to); callers check nd_upstreams_count() before picking.
	 */
	if (n > ND_MAX_UPSTREAMS || (n > 0 && addrs == NULL))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (addrs[i].ss_family != AF_INET &&
		    addrs[i].ss_family != AF_INET6)
			return NULL;
	u = calloc(1, sizeof(*u) + n * sizeof(u->up[0]));
	if (u == NULL)
		return NULL;
	u->n = n;
	{
		static uint64_t next_id;

		u->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	}
	for (size_t i = 0; i < n; i++)
		u->up[i].addr = addrs[i];
	for (size_t i = 0; i < ND_COOKIE_SECRET_LEN; i += 4) {
		uint32_t r = nd_rand_u32();

		for (size_t k = 0; k < 4; k++)
			u->cookie_secret[i + k] = (uint8_t)(r >> (8 * k));
	}
	return u;
}

void nd_upstreams_free(struct nd_upstreams *u)
{
	free(u);
}

size_t nd_upstreams_count(const struct nd_upstreams *u)
{
	return u ? u->n : 0;
}

const struct sockaddr *nd_upstreams_addr(const struct nd_upstreams *u,
					 size_t i)
{
	if (u == NULL || i >= u->n)
		return NULL;
	return (const struct sockaddr *)&u->up[i].addr;
}

/* Health order: fewer consecutive failures first, then the lower SRTT. */
static int health_cmp(uint32_t fa, uint32_t sa, uint32_t fb, uint32_t sb)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return 0;
}

/*
 * For u NULL or empty this returns 0, which the caller must not use: it
 * checks nd_upstreams_count() first.
 */
size_t nd_upstreams_pick(struct nd_upstreams *u, unsigned attempt,
			 size_t first)
{
	uint32_t fails[ND_MAX_UPSTREAMS], srtt[ND_MAX_UPSTREAMS];
	uint32_t best_f = 0, best_s = 0;
	size_t best = 0, ties = 0, nth;

	if (u == NULL || u->n == 0)
		return 0;
	if (attempt > 0)
		return (first % u->n + attempt % u->n) % u->n;
	/*
	 * An upstream that failed once would otherwise never be asked first
	 * again, and so never heal: one query in ND_UPSTREAM_PROBE_EVERY
	 * goes to the next one in turn whatever its health. The resolver has
	 * no clock, so the probe rate follows the query rate.
	 */
	if (u->n > 1 &&
	    __atomic_add_fetch(&u->picks, 1, __ATOMIC_RELAXED) %
			    ND_UPSTREAM_PROBE_EVERY ==
		    0)
		return __atomic_fetch_add(&u->rr, 1, __ATOMIC_RELAXED) % u->n;

	/*
	 * Snapshot once so both passes judge the same values even while
	 * other workers report.
	 */
	for (size_t i = 0; i < u->n; i++) {
		fails[i] = __atomic_load_n(&u->up[i].fails, __ATOMIC_RELAXED);
		srtt[i] = __atomic_load_n(&u->up[i].srtt_us, __ATOMIC_RELAXED);
		int c = i == 0 ? -1 :
				 health_cmp(fails[i], srtt[i], best_f, best_s);
		if (c < 0) {
			best = i;
			best_f = fails[i];
			best_s = srtt[i];
			ties = 1;
		} else if (c == 0) {
			ties++;
		}
	}
	if (ties == 1)
		return best;

	/*
	 * Exact ties happen mostly between upstreams never measured yet; a
	 * shared counter spreads the first queries over all of them instead
	 * of sending every worker to the first in the list.
	 */
	nth = __atomic_fetch_add(&u->rr, 1, __ATOMIC_RELAXED) % ties;
	for (size_t i = best; i < u->n; i++) {
		if (fails[i] == best_f && srtt[i] == best_s) {
			if (nth == 0)
				return i;
			nth--;
		}
	}
	return best; /* not reached: ties counted exactly those above */
}

void nd_upstreams_report(struct nd_upstreams *u, size_t i,
			 enum nd_upstream_outcome o, uint32_t rtt_us)
{
	struct nd_upstream *up;

	if (u == NULL || i >= u->n || (unsigned)o >= ND_UP_OUTCOMES)
		return;
	up = &u->up[i];
	if (o != ND_UP_OK) {
		/* Saturate rather than wrap back to "healthy". */
		if (__atomic_load_n(&up->fails, __ATOMIC_RELAXED) <
		    ND_UP_FAILS_CAP)
			__atomic_fetch_add(&up->fails, 1, __ATOMIC_RELAXED);
		return;
	}
	__atomic_store_n(&up->fails, 0, __ATOMIC_RELAXED);

	/* 0 means "never measured"; a sub-microsecond answer still counts. */
	if (rtt_us == 0)
		rtt_us = 1;
	/*
	 * SRTT = 7/8 SRTT + 1/8 RTT, as TCP does (RFC 6298 2.3), the first
	 * sample taken as is (2.2). A CAS loop so that two workers reporting
	 * at once both count.
	 */
	uint32_t old = __atomic_load_n(&up->srtt_us, __ATOMIC_RELAXED), nsrtt;
	do {
		if (old == 0)
			nsrtt = rtt_us;
		else
			nsrtt = (uint32_t)(((uint64_t)old * 7 + rtt_us) / 8);
		if (nsrtt == 0)
			nsrtt = 1;
	} while (!__atomic_compare_exchange_n(&up->srtt_us, &old, nsrtt, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

uint32_t nd_upstreams_srtt_us(const struct nd_upstreams *u, size_t i)
{
	if (u == NULL || i >= u->n)
		return 0;
	return __atomic_load_n(&u->up[i].srtt_us, __ATOMIC_RELAXED);
}

void nd_upstreams_loop_seen(struct nd_upstreams *u, size_t i, uint32_t round)
{
	if (u == NULL || i >= u->n)
		return;
	__atomic_store_n(&u->up[i].loop_round, round + 1, __ATOMIC_RELAXED);
}

void nd_upstreams_probe_ended(struct nd_upstreams *u, size_t i,
			      uint32_t round)
{
	uint32_t seen;

	if (u == NULL || i >= u->n)
		return;
	/* A mark of an earlier round is stale once this round's probe
	 * ended without coming back: the loop is gone. */
	seen = __atomic_load_n(&u->up[i].loop_round, __ATOMIC_RELAXED);
	if (seen != 0 && seen != round + 1)
		__atomic_compare_exchange_n(&u->up[i].loop_round, &seen, 0,
					    false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}

uint32_t nd_upstreams_fails(const struct nd_upstreams *u, size_t i)
{
	if (u == NULL || i >= u->n)
		return 0;
	return __atomic_load_n(&u->up[i].fails, __ATOMIC_RELAXED);
}

int nd_upstreams_is_loop(const struct nd_upstreams *u, size_t i)
{
	if (u == NULL || i >= u->n)
		return 0;
	return __atomic_load_n(&u->up[i].loop_round, __ATOMIC_RELAXED) != 0;
}

uint64_t nd_upstreams_id(const struct nd_upstreams *u)
{
	return u != NULL ? u->id : 0;
}

struct nd_upstream_trust *nd_upstreams_trust(struct nd_upstreams *u,
					     size_t i)
{
	if (u == NULL || i >= u->n)
		return NULL;
	return &u->up[i].trust;
}

const uint8_t *nd_upstreams_cookie_secret(const struct nd_upstreams *u)
{
	return u != NULL ? u->cookie_secret : NULL;
}
