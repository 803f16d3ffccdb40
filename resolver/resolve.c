/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/resolve.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>

#include "dns/answer.h"
#include "dns/chain.h"
#include "dns/ede.h"
#include "dns/response.h"
#include "dns/upstream_msg.h"
#include "kube/store.h"
#include "resolver/cache.h"
#include "resolver/failcache.h"
#include "resolver/hosts.h"
#include "resolver/metrics.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/rand.h"
#include "resolver/upstream.h"

/* TTL offsets a parsed upstream answer may hold: one per record, and a
 * 64 KiB message holds at most ~5,000 minimal records. */
#define SCRATCH_TTLS 8192
/* Room for a whole message rendered on the way along a chain. */
#define SCRATCH_MSG (ND_DNS_MAX_MSG + 512)

/* A query whose answer is a CNAME chain being completed. */
struct nd_rs_chain {
	uint8_t target[ND_DNS_MAX_NAME]; /* lower-case name asked now */
	size_t target_len;
	unsigned count;			 /* records in prefix */
	size_t prefix_len;		 /* bytes of prefix */
	bool is_stale;			 /* a part was served stale */
	uint8_t prefix[ND_CHAIN_PREFIX_MAX]; /* the chain so far */
};

struct nd_resolver {
	struct nd_resolver_options opt;
	struct nd_inflight *inflight; /* owned */
	struct nd_failcache *failcache; /* owned; NULL = no failure cache */
	uint32_t n_inflight;	      /* fetches of every worker now
					 (atomic; probes not counted) */
	struct nd_hosts *hosts;	      /* --hosts-file (owned), read under
					 RCU; NULL = none */
	char probe_token[17];	      /* hex: this process's loop probes */
};

struct nd_rs_worker {
	struct nd_resolver *r;	 /* borrowed */
	struct nd_metrics *m;	 /* borrowed */
	struct nd_fetch_env env;
	uint8_t *wire;		 /* ND_DNS_MAX_MSG: the parsed answer */
	uint16_t *ttls;		 /* SCRATCH_TTLS offsets */
	struct nd_answer answer; /* of the last nd_resolve_done, when the
				    entry has_answer */
	uint8_t *tmp;		 /* SCRATCH_MSG: a message along a chain */
	struct nd_rs_chain *chain; /* a chain completed without waiting */
	struct nd_query tq;	 /* the question of a chain's target */
	struct {
		uint8_t wire[ND_DNS_MAX_NAME]; /* lower-case wire name */
		size_t wire_len;
		struct nd_fetch_env env;
	} zones[ND_MAX_FORWARD_ZONES];	/* --forward-zone */
	size_t n_zones;
	const char *const *names;	/* "addr:port" per slot (borrowed) */
	size_t n_names;
	uint32_t n_fetches;		/* fetches this worker owns now */
};

/* What the last step of an answer needs beyond the query and the reply. */
struct reply_meta {
	enum nd_answer_source src; /* where the answer came from */
	int kube_ready;		   /* ready endpoints of the Service the name
				      is; -1 = not a Service name */
	int ede;		   /* RFC 8914 INFO-CODE to add, -1 = none */
	const char *ede_text;	   /* its EXTRA-TEXT, NULL = none */
	const struct nd_fetch *fetch; /* upstream history; NULL = none */
};

static const struct reply_meta local_meta = { ND_SRC_LOCAL, -1, -1, NULL,
					       NULL };

/* The client a step is about: borrowed from the caller, or from the
 * request that waited (rq, which then is handed back or parked). */
struct client {
	int proto;
	const struct sockaddr *peer;
	const void *io;			/* copied when it waits */
	const struct nd_query *q;	/* its question as asked */
	uint64_t start_us;		/* receive time */
	struct nd_rs_request *rq;	/* NULL before it ever waited */
	bool is_new_rq;			/* rq was made in this step (it is
					   freed here if it cannot wait) */
	const struct nd_query *orig_q;	/* q and peer before rq took them */
	const struct sockaddr *orig_peer;
};

/* A request made in this step that is not waiting after all: free it,
 * the client is the caller's again. */
static void drop_new_request(struct client *c)
{
	if (!c->is_new_rq || c->rq == NULL)
		return;
	nd_rs_request_free(c->rq);
	c->rq = NULL;
	c->is_new_rq = false;
	c->q = c->orig_q;
	c->peer = c->orig_peer;
}

struct nd_resolver *nd_resolver_new(const struct nd_resolver_options *opt)
{
	struct nd_resolver *r;

	if (opt == NULL || opt->cache == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->opt = *opt;
	if (r->opt.max_fetches == 0)
		r->opt.max_fetches = 4096;
	/* Random, so a probe of another nodedns on the path is not ours. */
	snprintf(r->probe_token, sizeof(r->probe_token), "%08x%08x",
		 nd_rand_u32(), nd_rand_u32());
	r->inflight = nd_inflight_new();
	if (r->opt.failure_hold_max_s > 0)
		r->failcache = nd_failcache_new(r->opt.failure_hold_max_s *
						1000u);
	if (r->inflight == NULL ||
	    (r->opt.failure_hold_max_s > 0 && r->failcache == NULL)) {
		nd_resolver_free(r);
		return NULL;
	}
	return r;
}

void nd_rs_request_free(struct nd_rs_request *rq)
{
	if (rq == NULL)
		return;
	free(rq->chain);
	free(rq);
}

void nd_resolver_free(struct nd_resolver *r)
{
	if (r == NULL)
		return;
	nd_inflight_free(r->inflight, nd_rs_request_free);
	nd_failcache_free(r->failcache);
	/* Tables replaced earlier wait in call_rcu queues. */
	urcu_memb_barrier();
	nd_hosts_free(r->hosts);
	free(r);
}

void nd_resolver_get_stats(const struct nd_resolver *r,
			   struct nd_resolver_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (r == NULL)
		return;
	st->inflight = __atomic_load_n(&r->n_inflight, __ATOMIC_RELAXED);
	st->inflight_limit = r->opt.max_inflight;
	st->failcache_entries = nd_failcache_entries(r->failcache);
}

/* A replaced hosts table, freed once no worker can be reading it. */
struct hosts_retired {
	struct rcu_head rcu;
	struct nd_hosts *h;
};

static void hosts_free_rcu(struct rcu_head *head)
{
	struct hosts_retired *rt = caa_container_of(head, struct hosts_retired,
						    rcu);

	nd_hosts_free(rt->h);
	free(rt);
}

void nd_resolver_set_hosts(struct nd_resolver *r, struct nd_hosts *h)
{
	struct nd_hosts *old;
	struct hosts_retired *rt;

	if (r == NULL) {
		nd_hosts_free(h);
		return;
	}
	old = rcu_xchg_pointer(&r->hosts, h);
	if (old == NULL)
		return;
	rt = malloc(sizeof(*rt));
	if (rt == NULL) {
		/* No memory for the deferred free: wait out the readers. */
		urcu_memb_synchronize_rcu();
		nd_hosts_free(old);
		return;
	}
	rt->h = old;
	urcu_memb_call_rcu(&rt->rcu, hosts_free_rcu);
}

struct nd_rs_worker *nd_rs_worker_new(struct nd_resolver *r,
				      struct nd_metrics *m,
				      const struct nd_fetch_env *env)
{
	struct nd_rs_worker *w;

	if (r == NULL || env == NULL || env->attempt_timeout_ms == 0 ||
	    env->query_timeout_ms == 0)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->r = r;
	w->m = m;
	w->env = *env;
	w->env.m = m;
	w->wire = malloc(ND_DNS_MAX_MSG);
	w->ttls = malloc(SCRATCH_TTLS * sizeof(uint16_t));
	w->tmp = malloc(SCRATCH_MSG);
	w->chain = malloc(sizeof(*w->chain));
	if (w->wire == NULL || w->ttls == NULL || w->tmp == NULL ||
	    w->chain == NULL) {
		nd_rs_worker_free(w);
		return NULL;
	}
	return w;
}

void nd_rs_worker_free(struct nd_rs_worker *w)
{
	if (w == NULL)
		return;
	free(w->wire);
	free(w->ttls);
	free(w->tmp);
	free(w->chain);
	free(w);
}

struct nd_fetch_env *nd_rs_worker_env(struct nd_rs_worker *w)
{
	return w != NULL ? &w->env : NULL;
}

int nd_rs_worker_set_upstreams(struct nd_rs_worker *w,
			       struct nd_upstreams *ups, bool use_tcp,
			       const struct nd_rs_zone *zones, size_t n,
			       const char *const *names, size_t n_names)
{
	if (w == NULL || n > ND_MAX_FORWARD_ZONES || (n > 0 && zones == NULL))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (zones[i].wire == NULL || zones[i].wire_len == 0 ||
		    zones[i].wire_len > ND_DNS_MAX_NAME)
			return -EINVAL;
	if (w->env.ups != ups)
		nd_fetch_env_set_upstreams(&w->env, ups);
	w->env.use_tcp = use_tcp;
	for (size_t i = 0; i < ND_MAX_FORWARD_ZONES; i++) {
		struct nd_fetch_env *env = &w->zones[i].env;
		struct nd_upstreams *zu = i < n ? zones[i].ups : NULL;
		unsigned gen = env->ups_gen;

		/* The same timeouts, counters and reports as the default
		 * set; a generation of its own. */
		*env = w->env;
		env->ups = NULL;
		env->ups_gen = gen;
		env->slot_base = i < n ? zones[i].slot_base : 0;
		env->use_tcp = i < n && zones[i].use_tcp;
		if (i < w->n_zones || i < n)
			nd_fetch_env_set_upstreams(env, zu);
		if (i < n) {
			memcpy(w->zones[i].wire, zones[i].wire,
			       zones[i].wire_len);
			w->zones[i].wire_len = zones[i].wire_len;
		}
	}
	w->n_zones = n;
	w->names = names;
	w->n_names = names != NULL ? n_names : 0;
	return 0;
}

size_t nd_rs_worker_slots(const struct nd_rs_worker *w)
{
	size_t n;

	if (w == NULL)
		return 0;
	n = nd_upstreams_count(w->env.ups);
	for (size_t z = 0; z < w->n_zones; z++)
		n += nd_upstreams_count(w->zones[z].env.ups);
	return n;
}

static struct nd_fetch_env *env_of_slot(struct nd_rs_worker *w, size_t slot,
					size_t *index);

bool nd_rs_worker_has_loop(struct nd_rs_worker *w)
{
	size_t n = nd_rs_worker_slots(w), index;

	for (size_t slot = 0; slot < n; slot++) {
		struct nd_fetch_env *env = env_of_slot(w, slot, &index);

		if (env != NULL && nd_upstreams_is_loop(env->ups, index))
			return true;
	}
	return false;
}

/* The set holding counter slot, and its index there; NULL = none. */
static struct nd_fetch_env *env_of_slot(struct nd_rs_worker *w, size_t slot,
					size_t *index)
{
	size_t n = nd_upstreams_count(w->env.ups);

	if (slot < n) {
		*index = slot;
		return &w->env;
	}
	for (size_t z = 0; z < w->n_zones; z++) {
		struct nd_fetch_env *env = &w->zones[z].env;
		size_t cnt = nd_upstreams_count(env->ups);

		if (slot >= env->slot_base && slot < env->slot_base + cnt) {
			*index = slot - env->slot_base;
			return env;
		}
	}
	return NULL;
}

static const char *slot_name(const struct nd_rs_worker *w, size_t slot)
{
	return slot < w->n_names && w->names[slot] != NULL ? w->names[slot]
							   : "?";
}

/* Wire name of a probe: "<token>-<round>-<slot>.nodedns-loop-probe." */
static int probe_name(const struct nd_rs_worker *w, size_t slot,
		      uint32_t round, uint8_t *out, size_t cap)
{
	char text[96];

	snprintf(text, sizeof(text), "%s-%u-%zu." ND_LOOP_PROBE_ZONE ".",
		 w->r->probe_token, round, slot);
	return nd_dns_name_from_text(text, out, cap);
}

int nd_resolve_probe(struct nd_rs_worker *w, size_t slot, uint32_t round,
		     uint64_t now_us, struct nd_rs_result *res)
{
	struct nd_inflight_entry *e;
	struct nd_fetch_env *env;
	size_t index;
	int n;

	if (w == NULL || res == NULL ||
	    (env = env_of_slot(w, slot, &index)) == NULL)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	n = probe_name(w, slot, round, e->qname_lc, sizeof(e->qname_lc));
	if (n <= 0) {
		free(e);
		return -EINVAL;
	}
	e->qname_len = (uint16_t)n;
	e->qtype = ND_TYPE_TXT;
	e->qclass = 1;
	e->is_probe = true;
	e->probe_round = round;
	e->probe_index = index;
	struct nd_question qs = { e->qname_lc, e->qname_len, e->qtype,
				  e->qclass };
	res->step = ND_RS_ASK;
	res->fetch = e;
	res->len = 0;
	if (nd_fetch_start_pinned(&e->fetch, env, &qs, index, now_us,
				  &res->act) != 0)
		nd_fetch_local_error(&e->fetch, &res->act);
	return 0;
}

/*
 * Is q one of our own loop probes, come back to us? Then the upstream it
 * was sent to forwards to us: mark it (and say so once a round).
 */
static bool is_our_probe(struct nd_rs_worker *w, const struct nd_query *q,
			 const struct sockaddr *peer)
{
	static const uint8_t zone[] = "\022" ND_LOOP_PROBE_ZONE;
	const uint8_t *n = q->qname_lc;
	size_t len = q->qname_len, zl = sizeof(zone); /* with the root */
	char label[64], from[ND_ADDR_STRLEN];
	unsigned long round, slot;
	struct nd_fetch_env *env;
	size_t index;

	if (!q->has_question || len < zl + 2 || n[0] + 1u + zl != len ||
	    memcmp(n + 1 + n[0], zone, zl) != 0)
		return false;
	memcpy(label, n + 1, n[0]);
	label[n[0]] = '\0';
	if (strncmp(label, w->r->probe_token, 16) != 0 ||
	    sscanf(label + 16, "-%lu-%lu", &round, &slot) != 2)
		return false;
	env = env_of_slot(w, slot, &index);
	if (env == NULL)
		return true; /* ours, from an old set: nothing to mark */
	if (!nd_upstreams_is_loop(env->ups, index)) {
		if (nd_addr_format(peer, from, sizeof(from)) != 0)
			strcpy(from, "?");
		nd_warn("forward", "forwarding loop through upstream %s: our "
			"probe came back to us (from %s); names sent there get "
			"SERVFAIL at once until a probe no longer comes back",
			slot_name(w, slot), from);
	}
	nd_upstreams_loop_seen(env->ups, index, (uint32_t)round);
	if (w->m != NULL &&
	    nd_fetch_env_row(&w->env, slot) < ND_MAX_UPSTREAM_SLOTS)
		ND_METRIC_INC(w->m->fwd_loops[nd_fetch_env_row(&w->env, slot)]);
	return true;
}

/* The environment for a question: the longest forward zone that holds
 * its name, else the default upstreams. */
static struct nd_fetch_env *env_for(struct nd_rs_worker *w,
				    const uint8_t *name, size_t len)
{
	size_t off = 0;

	if (w->n_zones == 0)
		return &w->env;
	while (off < len) {
		for (size_t z = 0; z < w->n_zones; z++)
			if (w->zones[z].wire_len == len - off &&
			    memcmp(w->zones[z].wire, name + off, len - off) == 0)
				return &w->zones[z].env;
		if (name[off] == 0)
			break;
		off += 1u + name[off];
	}
	return &w->env;
}

/* Counters bump only when the worker has them (tests may pass none). */
#define COUNT(w, field)                               \
	do {                                          \
		if ((w)->m != NULL)                   \
			ND_METRIC_INC((w)->m->field); \
	} while (0)

static size_t reply_limit(int proto, const struct nd_query *q)
{
	return proto == ND_PROTO_UDP ? nd_query_udp_limit(q) : ND_DNS_MAX_MSG;
}

/*
 * The last step of every answer: the Extended DNS Error (only EDNS
 * clients get one, and never past limit), the counters, and the event
 * the observers (search-list tracker, symptoms, slow-query log) see.
 * msg[0..len) may grow up to cap; returns the final length.
 */
static size_t complete_reply(struct nd_rs_worker *w, const struct client *c,
			     uint8_t *msg, size_t len, size_t cap,
			     uint64_t now_us, const struct reply_meta *meta,
			     struct nd_query_event *ev)
{
	const struct nd_query *q = c->q;
	uint64_t took = now_us > c->start_us ? now_us - c->start_us : 0;
	uint16_t flags;

	memset(ev, 0, sizeof(*ev));
	if (len < ND_DNS_HEADER_LEN)
		return len;
	if (meta->ede >= 0 && q->has_edns)
		nd_ede_append(msg, &len, cap, reply_limit(c->proto, q),
			      (uint16_t)meta->ede, meta->ede_text);
	flags = nd_get16(msg + 2);
	ev->rcode = flags & ND_FLAG_RCODE_MASK;
	if (ev->rcode == 0 && q->has_edns && q->edns_version > 0)
		ev->rcode = ND_RCODE_BADVERS; /* the high bits are in the OPT */
	ev->is_truncated = (flags & ND_FLAG_TC) != 0;
	if (w->m != NULL) {
		ND_METRIC_INC(w->m->responses_src[meta->src][nd_metrics_rcode_index(
			ev->rcode)]);
		if (ev->is_truncated)
			ND_METRIC_INC(w->m->truncated);
		nd_hist_observe(&w->m->duration_type[
					q->has_question
						? nd_metrics_qtype_index(q->qtype)
						: ND_MQT_OTHER],
				took);
		nd_hist_observe(&w->m->duration_src[meta->src], took);
	}
	ev->client = c->peer;
	ev->proto = c->proto;
	ev->id = q->id;
	ev->qname_lc = q->has_question ? q->qname_lc : NULL;
	ev->qname_len = q->has_question ? q->qname_len : 0;
	ev->qtype = q->qtype;
	ev->ancount = nd_get16(msg + 6);
	ev->source = meta->src;
	ev->recv_us = c->start_us;
	ev->duration_us = took;
	ev->kube_ready = meta->kube_ready;
	ev->upstream = nd_fetch_last_upstream(meta->fetch);
	ev->attempts = meta->fetch ? (uint16_t)meta->fetch->n_tries : 0;
	ev->used_tcp = meta->fetch ? meta->fetch->used_tcp : false;
	return len;
}

/* The answer msg[0..len) in out (already there when msg == out). */
static void answer(struct nd_rs_worker *w, const struct client *c,
		   const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
		   uint64_t now_us, const struct reply_meta *meta,
		   struct nd_rs_result *res)
{
	if (msg != out)
		memcpy(out, msg, len);
	res->step = ND_RS_ANSWER;
	res->len = complete_reply(w, c, out, len, cap, now_us, meta, &res->ev);
	if (res->len == 0)
		res->step = ND_RS_DROP;
}

/* An error reply (FORMERR, REFUSED, SERVFAIL, ...) as the answer. */
static void answer_error(struct nd_rs_worker *w, const struct client *c,
			 int rcode, const struct reply_meta *meta,
			 uint64_t now_us, uint8_t *out, size_t cap,
			 struct nd_rs_result *res)
{
	int n = nd_response_error(c->q, rcode, out, cap);

	if (n <= 0) {
		res->step = ND_RS_DROP;
		res->len = 0;
		return;
	}
	answer(w, c, out, (size_t)n, out, cap, now_us, meta, res);
}

static bool is_allowed(const struct nd_acl *acl, const struct sockaddr *sa)
{
	if (acl == NULL)
		return true;
	for (size_t i = 0; i < acl->n; i++)
		if (nd_cidr_contains(&acl->net[i], sa))
			return true;
	return false;
}

/* A request to park, made from the client the first time it waits. */
static struct nd_rs_request *request_of(struct nd_rs_worker *w,
					struct client *c, uint64_t now_us)
{
	size_t io_size = w->r->opt.io_size;
	struct nd_rs_request *rq;
	socklen_t plen;

	if (c->rq != NULL)
		return c->rq;
	rq = malloc(sizeof(*rq) + io_size);
	if (rq == NULL)
		return NULL;
	rq->q = *c->q;
	rq->chain = NULL;
	rq->proto = c->proto;
	memset(&rq->peer, 0, sizeof(rq->peer));
	plen = nd_addr_len(c->peer);
	if (plen > 0 && plen <= sizeof(rq->peer))
		memcpy(&rq->peer, c->peer, plen);
	rq->start_us = c->start_us ? c->start_us : now_us;
	rq->next = NULL;
	if (io_size > 0 && c->io != NULL)
		memcpy(rq->io, c->io, io_size);
	c->orig_q = c->q;
	c->orig_peer = c->peer;
	c->rq = rq;
	c->is_new_rq = true;
	c->q = &rq->q;
	c->peer = (const struct sockaddr *)&rq->peer;
	return rq;
}

/* A place among the process's fetches (--max-inflight), or false. */
static bool take_inflight_slot(struct nd_resolver *r)
{
	uint32_t max = r->opt.max_inflight;

	if (max == 0) {
		__atomic_add_fetch(&r->n_inflight, 1, __ATOMIC_RELAXED);
		return true;
	}
	if (__atomic_add_fetch(&r->n_inflight, 1, __ATOMIC_RELAXED) <= max)
		return true;
	__atomic_sub_fetch(&r->n_inflight, 1, __ATOMIC_RELAXED);
	return false;
}

static const struct nd_query *target_query(struct nd_rs_worker *w,
					   const struct nd_query *cq,
					   const struct nd_rs_chain *ch);
static void chain_answer(struct nd_rs_worker *w, const struct client *c,
			 const struct nd_rs_chain *ch, const uint8_t *tmsg,
			 size_t tlen, enum nd_answer_source src,
			 const struct nd_fetch *fetch, uint64_t now_us,
			 uint8_t *out, size_t cap, struct nd_rs_result *res);
static void answer_or_chase(struct nd_rs_worker *w, struct client *c,
			    size_t len, const struct reply_meta *meta,
			    uint64_t now_us, uint8_t *out, size_t cap,
			    struct nd_rs_result *res);

/* The EDE of a failed fetch's end: timeouts, upstreams that answered
 * SERVFAIL or REFUSED, a loop: no authority would give an answer (RFC
 * 8914 4.23); closed ports, ICMP errors, our own failures: the network
 * broke (4.24). */
static int failure_ede(int end)
{
	return end == ND_FETCH_TIMED_OUT || end == ND_FETCH_REFUSED ||
			       end == ND_FETCH_ANSWERED || end == ND_FETCH_LOOP
		       ? ND_EDE_NO_REACHABLE_AUTHORITY
		       : ND_EDE_NETWORK_ERROR;
}

/*
 * The question (the client's own, or chain's target) failed a moment ago
 * and its hold (RFC 9520) lasts: stale data when the cache has it, else
 * SERVFAIL, both with an EDE that says the failure was cached. The
 * client's request, when one was made for it, is not waiting: it is the
 * caller's to free after sending, as for any ANSWER.
 */
static void answer_held(struct nd_rs_worker *w, struct client *c,
			const struct nd_rs_chain *chain,
			const struct nd_failcache_hit *hit, uint64_t now_us,
			uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	char text[96];
	struct reply_meta meta = { ND_SRC_STALE, -1, ND_EDE_STALE_ANSWER,
				   text, NULL };
	size_t n = 0;

	drop_new_request(c);
	snprintf(text, sizeof(text),
		 "upstream failure (%s) cached for %u ms more (RFC 9520)",
		 nd_fetch_end_name((enum nd_fetch_end)hit->end),
		 hit->left_ms);
	if (chain != NULL) {
		const struct nd_query *tq = target_query(w, c->q, chain);

		if (nd_cache_answer(w->r->opt.cache, tq, now_us / 1000, true,
				    ND_DNS_MAX_MSG, w->tmp, SCRATCH_MSG,
				    &n) == ND_CACHE_STALE) {
			COUNT(w, cache_stale);
			chain_answer(w, c, chain, w->tmp, n, ND_SRC_STALE, NULL,
				     now_us, out, cap, res);
			return;
		}
	} else if (nd_cache_answer(w->r->opt.cache, c->q, now_us / 1000, true,
				   reply_limit(c->proto, c->q), out, cap,
				   &n) == ND_CACHE_STALE) {
		COUNT(w, cache_stale);
		answer_or_chase(w, c, n, &meta, now_us, out, cap, res);
		return;
	}
	meta.src = ND_SRC_FAILED;
	meta.ede = failure_ede(hit->end);
	answer_error(w, c, ND_RCODE_SERVFAIL, &meta, now_us, out, cap, res);
}

/*
 * Park the client as a waiter of the fetch of key (its own question, or
 * its chain's target), new or running: WAIT or ASK. With chain (a
 * worker's scratch chain, or the request's own), the request carries a
 * copy of it. On failure, SERVFAIL.
 */
static void park(struct nd_rs_worker *w, struct client *c,
		 const struct nd_question *key, const struct nd_rs_chain *chain,
		 uint64_t now_us, uint8_t *out, size_t cap,
		 struct nd_rs_result *res)
{
	struct nd_rs_request *rq;
	struct nd_inflight_entry *e;
	struct nd_failcache_hit hit;
	bool is_worker_full, has_slot;
	int rc;

	/* RFC 9520: a question that just failed is not asked again until
	 * its hold ends; the client gets stale data or SERVFAIL now. */
	if (w->r->failcache != NULL &&
	    nd_failcache_lookup(w->r->failcache, key,
				nd_upstreams_id(env_for(w, key->qname_lc,
							key->qname_len)->ups),
				now_us / 1000, &hit)) {
		COUNT(w, failcache_hits);
		answer_held(w, c, chain, &hit, now_us, out, cap, res);
		return;
	}
	rq = request_of(w, c, now_us);
	if (rq == NULL)
		goto servfail;
	if (chain != NULL && rq->chain != chain) {
		if (rq->chain == NULL)
			rq->chain = malloc(sizeof(*rq->chain));
		if (rq->chain == NULL) {
			drop_new_request(c);
			goto servfail;
		}
		memcpy(rq->chain, chain, sizeof(*chain));
	}
	rq->next = NULL;
	/* Each fetch holds a socket: a flood of distinct names must not
	 * take every descriptor (and TCP clients with them). The worker's
	 * bound (--max-fetches), then the process's (--max-inflight): a
	 * place in the latter is taken before the join, so workers racing
	 * for the last one cannot both get it. */
	is_worker_full = w->n_fetches >= w->r->opt.max_fetches;
	has_slot = !is_worker_full && take_inflight_slot(w->r);
	rc = nd_inflight_join(w->r->inflight, key, rq, has_slot, &e);
	if (has_slot && rc != ND_INFLIGHT_CREATED)
		__atomic_sub_fetch(&w->r->n_inflight, 1, __ATOMIC_RELAXED);
	if (rc == ND_INFLIGHT_NO_NEW) {
		if (is_worker_full)
			COUNT(w, fetches_refused);
		else
			COUNT(w, inflight_capped);
		goto busy;
	}
	if (rc == ND_INFLIGHT_FULL) {
		drop_new_request(c);
		goto servfail;
	}
	if (rc == ND_INFLIGHT_JOINED) {
		COUNT(w, inflight_joined);
		res->step = ND_RS_WAIT;
		return;
	}
	struct nd_question qs = {
		.qname_lc = e->qname_lc,
		.qname_len = e->qname_len,
		.qtype = e->qtype,
		.qclass = e->qclass,
	};
	res->step = ND_RS_ASK;
	res->fetch = e;
	w->n_fetches++;
	if (nd_fetch_start(&e->fetch, env_for(w, qs.qname_lc, qs.qname_len),
			   &qs, now_us, &res->act) != 0)
		nd_fetch_local_error(&e->fetch, &res->act);
	return;
busy: {
	/* Stale if the cache has it (RFC 8767 allows it under load), else
	 * SERVFAIL that says why. */
	static const struct reply_meta stale = {
		ND_SRC_STALE, -1, ND_EDE_STALE_ANSWER,
		"too many questions in flight", NULL
	};
	static const struct reply_meta busy = {
		ND_SRC_FAILED, -1, ND_EDE_OTHER,
		"too many questions in flight", NULL
	};
	size_t n = 0;

	drop_new_request(c);
	if (chain == NULL &&
	    nd_cache_answer(w->r->opt.cache, c->q, now_us / 1000, true,
			    reply_limit(c->proto, c->q), out, cap,
			    &n) == ND_CACHE_STALE) {
		COUNT(w, cache_stale);
		answer(w, c, out, n, out, cap, now_us, &stale, res);
		return;
	}
	answer_error(w, c, ND_RCODE_SERVFAIL, &busy, now_us, out, cap, res);
	return;
}
servfail:
	answer_error(w, c, ND_RCODE_SERVFAIL, &local_meta, now_us, out, cap,
		     res);
}

/* SERVFAIL for a chain that cannot be completed, with the reason. */
static void chain_fail(struct nd_rs_worker *w, const struct client *c,
		       const char *why, const uint8_t *name, size_t name_len,
		       uint64_t now_us, uint8_t *out, size_t cap,
		       struct nd_rs_result *res)
{
	char text[ND_DNS_MAX_NAME * 4 + 64], nm[ND_DNS_MAX_NAME * 4 + 2] = "?";
	struct reply_meta meta = { ND_SRC_FAILED, -1, ND_EDE_OTHER, text,
				   NULL };

	if (name != NULL)
		nd_dns_name_to_text(name, name_len, nm, sizeof(nm));
	snprintf(text, sizeof(text), "%s %s", why, nm);
	nd_debug("chain", "%s", text);
	answer_error(w, c, ND_RCODE_SERVFAIL, &meta, now_us, out, cap, res);
}

/* Is name an owner of one of the chain's records (a loop)? */
static bool chain_has_owner(const struct nd_rs_chain *ch, const uint8_t *name,
			    size_t name_len)
{
	size_t p = 0;

	for (unsigned i = 0; i < ch->count && p < ch->prefix_len; i++) {
		size_t o = p, n;

		while (o < ch->prefix_len && ch->prefix[o] != 0)
			o += 1 + ch->prefix[o];
		n = o + 1 - p;
		if (nd_dns_name_equal(ch->prefix + p, n, name, name_len))
			return true;
		if (o + 11 > ch->prefix_len)
			return false;
		p = o + 11 + nd_get16(ch->prefix + o + 9);
	}
	return false;
}

/* w->tq: the client's question, for the chain's target. */
static const struct nd_query *target_query(struct nd_rs_worker *w,
					   const struct nd_query *cq,
					   const struct nd_rs_chain *ch)
{
	struct nd_query *tq = &w->tq;

	memset(tq, 0, sizeof(*tq));
	tq->id = cq->id;
	tq->flags = ND_FLAG_RD;
	tq->has_question = true;
	memcpy(tq->qname, ch->target, ch->target_len);
	memcpy(tq->qname_lc, ch->target, ch->target_len);
	tq->qname_len = (uint16_t)ch->target_len;
	tq->qtype = cq->qtype;
	tq->qclass = cq->qclass;
	tq->question_end = (uint16_t)(ND_DNS_HEADER_LEN + ch->target_len + 4);
	tq->edns_udp_size = 512;
	return tq;
}

/* The chain's records and the target's answer tmsg, as the client's. */
static void chain_answer(struct nd_rs_worker *w, const struct client *c,
			 const struct nd_rs_chain *ch, const uint8_t *tmsg,
			 size_t tlen, enum nd_answer_source src,
			 const struct nd_fetch *fetch, uint64_t now_us,
			 uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	struct reply_meta meta = { src, -1, -1, NULL, fetch };
	int n;

	if (ch->is_stale || src == ND_SRC_STALE) {
		meta.src = ND_SRC_STALE;
		meta.ede = ND_EDE_STALE_ANSWER;
	}
	n = nd_chain_compose(c->q, ch->prefix, ch->prefix_len, ch->count,
			     tmsg, tlen, reply_limit(c->proto, c->q), out,
			     cap);
	if (n < 0) {
		chain_fail(w, c, "could not compose the chain to", ch->target,
			   ch->target_len, now_us, out, cap, res);
		return;
	}
	answer(w, c, out, (size_t)n, out, cap, now_us, &meta, res);
}

/*
 * The answer msg[0..len) (from src) stops at a CNAME to next: follow the
 * chain, from the cluster zone and the cache while they have the
 * targets, until it is complete (ANSWER), must wait for a fetch (WAIT or
 * ASK) or cannot be completed (SERVFAIL: a loop, too long). ch: the
 * chain so far (NULL = a new one, in the worker's scratch). msg may be in
 * out or w->tmp: it is read before either is written.
 */
static void chase(struct nd_rs_worker *w, struct client *c, struct nd_rs_chain *ch, const uint8_t *msg,
		  size_t len, const uint8_t *next, size_t next_len,
		  enum nd_answer_source src, const struct nd_fetch *fetch,
		  uint64_t now_us, uint8_t *out, size_t cap,
		  struct nd_rs_result *res)
{
	struct nd_resolver *r = w->r;
	uint8_t hop[ND_DNS_MAX_NAME];

	if (ch == NULL) {
		ch = w->chain;
		ch->count = 0;
		ch->prefix_len = 0;
		ch->is_stale = false;
	}
	for (;;) {
		const struct nd_query *tq;
		size_t got = 0;
		int d;

		if (src == ND_SRC_STALE)
			ch->is_stale = true;
		if (nd_chain_take_answers(msg, len, ch->prefix, &ch->prefix_len,
					  sizeof(ch->prefix), &ch->count) != 0 ||
		    ch->count > ND_CHAIN_MAX_STEPS) {
			chain_fail(w, c, "CNAME chain longer than "
				   "11 steps at", next, next_len, now_us, out,
				   cap, res);
			return;
		}
		if (chain_has_owner(ch, next, next_len)) {
			chain_fail(w, c, "CNAME loop at", next, next_len,
				   now_us, out, cap, res);
			return;
		}
		memcpy(ch->target, next, next_len);
		ch->target_len = next_len;
		tq = target_query(w, c->q, ch);
		/* A target in the cluster zone comes from the store. */
		struct nd_kube_answer_info ki;
		if (r->opt.kube != NULL &&
		    nd_kube_store_answer_info(r->opt.kube, tq, ND_DNS_MAX_MSG,
					      w->tmp, SCRATCH_MSG, &got,
					      &ki) == ND_KUBE_ANSWERED) {
			if (r->opt.is_zone_synced != NULL &&
			    !r->opt.is_zone_synced(r->opt.synced_arg)) {
				chain_fail(w, c, "cluster zone not synced for",
					   next, next_len, now_us, out, cap,
					   res);
				return;
			}
			src = ND_SRC_CLUSTER;
			fetch = NULL;
		} else if (nd_cache_answer(r->opt.cache, tq, now_us / 1000,
					   false, ND_DNS_MAX_MSG, w->tmp,
					   SCRATCH_MSG,
					   &got) == ND_CACHE_HIT) {
			src = ND_SRC_CACHE;
			fetch = NULL;
		} else {
			struct nd_question key = { ch->target,
						   (uint16_t)ch->target_len,
						   c->q->qtype, c->q->qclass };

			park(w, c, &key, ch, now_us, out, cap, res);
			return;
		}
		msg = w->tmp;
		len = got;
		d = nd_chain_dangling(msg, len, ch->target, ch->target_len,
				      c->q->qtype, hop, &next_len);
		if (d <= 0) {
			chain_answer(w, c, ch, msg, len, src, fetch, now_us,
				     out, cap, res);
			return;
		}
		/* The target's own target: copied into the chain at the top
		 * of the next round, before hop is written again. */
		next = hop;
	}
}

/* A chain's target answered with tmsg (from src): the chain goes on from
 * it, or ends with it. */
static void answer_target(struct nd_rs_worker *w, struct client *c, const uint8_t *tmsg, size_t tlen,
			  enum nd_answer_source src,
			  const struct nd_fetch *fetch, uint64_t now_us,
			  uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	struct nd_rs_chain *ch = c->rq->chain;
	uint8_t next[ND_DNS_MAX_NAME];
	size_t next_len;

	if (nd_chain_dangling(tmsg, tlen, ch->target, ch->target_len,
			      c->q->qtype, next, &next_len) == 1) {
		chase(w, c, ch, tmsg, tlen, next, next_len, src, fetch,
		      now_us, out, cap, res);
		return;
	}
	chain_answer(w, c, ch, tmsg, tlen, src, fetch, now_us, out, cap, res);
}

/*
 * An answer written in out for the client: complete it, or follow its
 * chain when it stops at a CNAME.
 */
static void answer_or_chase(struct nd_rs_worker *w, struct client *c,
			    size_t len, const struct reply_meta *meta,
			    uint64_t now_us, uint8_t *out, size_t cap,
			    struct nd_rs_result *res)
{
	uint8_t next[ND_DNS_MAX_NAME];
	size_t next_len;

	if (nd_chain_dangling(out, len, c->q->qname_lc, c->q->qname_len,
			      c->q->qtype, next, &next_len) == 1) {
		chase(w, c, NULL, out, len, next, next_len, meta->src,
		      meta->fetch, now_us, out, cap, res);
		return;
	}
	answer(w, c, out, len, out, cap, now_us, meta, res);
}

/*
 * A name of --hosts-file is answered here (AA, NODATA for the types it
 * lacks) and never looked up further. True when it was.
 */
static bool hosts_answer(struct nd_rs_worker *w, const struct client *c,
			 size_t limit, uint8_t *out, size_t cap,
			 uint64_t now_us, struct nd_rs_result *res)
{
	const struct nd_hosts *h;
	size_t got = 0;
	int rc = ND_HOSTS_NOT_OURS;

	if (CMM_LOAD_SHARED(w->r->hosts) == NULL)
		return false;
	urcu_memb_read_lock();
	h = rcu_dereference(w->r->hosts);
	if (h != NULL)
		rc = nd_hosts_answer(h, c->q, limit, out, cap, &got);
	urcu_memb_read_unlock();
	if (rc == ND_HOSTS_NOT_OURS)
		return false;
	if (rc < 0) {
		nd_debug("hosts", "answer failed: %s", nd_strerror(rc));
		answer_error(w, c, ND_RCODE_SERVFAIL, &local_meta, now_us, out,
			     cap, res);
		return true;
	}
	COUNT(w, hosts_answers);
	answer(w, c, out, got, out, cap, now_us, &local_meta, res);
	return true;
}

int nd_resolve_begin(struct nd_rs_worker *w, const struct nd_rs_policy *p,
		     int proto, const struct sockaddr *peer, const void *io,
		     const uint8_t *pkt, size_t len, uint64_t now_us,
		     uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	struct nd_resolver *r;
	struct nd_query *q;
	struct client c;
	int rcode = 0, v;
	size_t limit, got = 0;

	if (w == NULL || p == NULL || peer == NULL || pkt == NULL ||
	    out == NULL || res == NULL)
		return -EINVAL;
	r = w->r;
	q = &res->q;
	res->step = ND_RS_DROP;
	res->len = 0;
	res->fetch = NULL;
	v = nd_query_parse(pkt, len, q, &rcode);
	if (v == ND_QUERY_DROP || v < 0) {
		COUNT(w, dropped);
		COUNT(w, drop_reason[ND_DROP_MALFORMED]);
		return 0;
	}
	c = (struct client){ proto, peer, io, q, now_us, NULL, false, q, peer };
	if (w->m != NULL) {
		enum nd_metric_qtype qt =
			q->has_question ? nd_metrics_qtype_index(q->qtype)
					: ND_MQT_OTHER;
		int pr = proto == ND_PROTO_TCP;

		ND_METRIC_INC(w->m->requests[pr][qt]);
		if (peer->sa_family == AF_INET6)
			ND_METRIC_INC(w->m->requests_v6[pr][qt]);
	}
	/* Nothing at all for strangers when so configured: not even the
	 * FORMERR or NOTIMP of a malformed query (RFC 8906 allows a
	 * server to drop what it will not serve). */
	if (p->drop_outside_allow && !is_allowed(p->acl, peer)) {
		COUNT(w, dropped);
		COUNT(w, drop_reason[ND_DROP_OUTSIDE_ALLOW]);
		return 0;
	}
	if (v == ND_QUERY_OK && !is_allowed(p->acl, peer)) {
		static const struct reply_meta prohibited = {
			ND_SRC_LOCAL, -1, ND_EDE_PROHIBITED, NULL, NULL
		};
		answer_error(w, &c, ND_RCODE_REFUSED, &prohibited, now_us, out,
			     cap, res);
		return 0;
	}
	if (v == ND_QUERY_REPLY) {
		answer_error(w, &c, rcode, &local_meta, now_us, out, cap, res);
		return 0;
	}
	/* Our own probe, back: REFUSED ends the loop at once. */
	if (is_our_probe(w, q, peer)) {
		static const struct reply_meta looped = {
			ND_SRC_LOCAL, -1, ND_EDE_PROHIBITED,
			"forwarding loop: this query came from us", NULL
		};
		answer_error(w, &c, ND_RCODE_REFUSED, &looped, now_us, out,
			     cap, res);
		return 0;
	}
	limit = reply_limit(proto, q);
	if (hosts_answer(w, &c, limit, out, cap, now_us, res))
		return 0;
	/* The cluster zone first: those names never go upstream. */
	struct nd_kube_answer_info ki;
	if (r->opt.kube != NULL &&
	    nd_kube_store_answer_info(r->opt.kube, q, limit, out, cap, &got,
				      &ki) == ND_KUBE_ANSWERED) {
		/* Before the first full list the store is empty, and its
		 * NXDOMAIN would be a lie a pod caches: SERVFAIL makes it
		 * retry instead. */
		if (r->opt.is_zone_synced != NULL &&
		    !r->opt.is_zone_synced(r->opt.synced_arg)) {
			static const struct reply_meta not_ready = {
				ND_SRC_LOCAL, -1, ND_EDE_NOT_READY,
				"the cluster zone is not synced yet", NULL
			};
			answer_error(w, &c, ND_RCODE_SERVFAIL, &not_ready,
				     now_us, out, cap, res);
			return 0;
		}
		struct reply_meta km = { ND_SRC_CLUSTER, ki.ready, -1, NULL,
					 NULL };
		COUNT(w, kube_answers);
		answer_or_chase(w, &c, got, &km, now_us, out, cap, res);
		return 0;
	}
	if (nd_cache_answer(r->opt.cache, q, now_us / 1000, false, limit, out,
			    cap, &got) == ND_CACHE_HIT) {
		static const struct reply_meta cached = { ND_SRC_CACHE, -1, -1,
							  NULL, NULL };
		COUNT(w, cache_hits);
		answer_or_chase(w, &c, got, &cached, now_us, out, cap, res);
		return 0;
	}
	COUNT(w, cache_misses);
	struct nd_question key = { q->qname_lc, q->qname_len, q->qtype,
				   q->qclass };
	park(w, &c, &key, NULL, now_us, out, cap, res);
	return 0;
}

/*
 * The failure cache learns how e ended, before e leaves the table (so a
 * query in between joins it or sees the hold): a failure of the
 * upstreams is held, an answer clears what was held. Our own failures
 * (no socket) and shutdown say nothing about the upstreams.
 */
static void remember_outcome(struct nd_rs_worker *w,
			     const struct nd_inflight_entry *e,
			     uint64_t now_us)
{
	struct nd_question qs = { e->qname_lc, e->qname_len, e->qtype,
				  e->qclass };
	uint64_t set_id;
	uint32_t hold;

	if (w->r->failcache == NULL || e->fetch.env == NULL)
		return;
	set_id = nd_upstreams_id(e->fetch.env->ups);
	if (e->has_answer) {
		nd_failcache_clear(w->r->failcache, &qs, set_id);
		return;
	}
	if (e->end != ND_FETCH_TIMED_OUT && e->end != ND_FETCH_REFUSED &&
	    e->end != ND_FETCH_UNREACHABLE && e->end != ND_FETCH_LOOP)
		return;
	hold = nd_failcache_fail(w->r->failcache, &qs, set_id, e->end,
				 now_us / 1000);
	COUNT(w, failcache_holds);
	if (ND_LOG_DEBUG <= nd_log_threshold) {
		char name[ND_DNS_MAX_NAME * 4 + 2];

		if (nd_dns_name_to_text(e->qname_lc, e->qname_len, name,
					sizeof(name)) != 0)
			strcpy(name, "?");
		nd_debug("forward", "%s type %u failed (%s): held %u ms",
			 name, e->qtype, nd_fetch_end_name(e->end), hold);
	}
}

void nd_resolve_done(struct nd_rs_worker *w, struct nd_inflight_entry *e,
		     const struct nd_fetch_action *act, uint64_t now_us)
{
	e->end = act->end;
	e->has_answer = false;
	if (!e->is_probe && w->n_fetches > 0)
		w->n_fetches--;
	if (!e->is_probe)
		__atomic_sub_fetch(&w->r->n_inflight, 1, __ATOMIC_RELAXED);
	if (e->is_probe) {
		/* Not cached, no waiters: it only tells whether it came
		 * back (is_our_probe) before it ended. */
		nd_upstreams_probe_ended(e->fetch.env->ups, e->probe_index,
					 e->probe_round);
		e->done = NULL;
		return;
	}
	if (act->end == ND_FETCH_ANSWERED && act->reply != NULL) {
		if (nd_answer_parse(act->reply, act->reply_len, w->wire,
				    ND_DNS_MAX_MSG, w->ttls, SCRATCH_TTLS,
				    &w->answer) == 0) {
			e->has_answer = true;
			/* Into the cache before the entry leaves the table,
			 * so a query arriving in between either joins or
			 * hits. */
			nd_cache_put(w->r->opt.cache, e->qname_lc,
				     e->qname_len, e->qtype, e->qclass,
				     &w->answer, now_us / 1000);
		} else {
			nd_warn("forward", "unusable upstream answer (%zu bytes)",
				act->reply_len);
			e->end = ND_FETCH_REFUSED;
		}
	}
	remember_outcome(w, e, now_us);
	e->done = nd_inflight_finish(w->r->inflight, e);
}

/*
 * The fetch failed: stale if the cache has it (RFC 8767), else SERVFAIL;
 * both say why in an Extended DNS Error. For a chain, the stale answer
 * is its target's.
 */
static void answer_failed(struct nd_rs_worker *w,
			  const struct nd_inflight_entry *e, struct client *c,
			  uint64_t now_us, uint8_t *out, size_t cap,
			  struct nd_rs_result *res)
{
	struct nd_rs_request *rq = c->rq;
	struct reply_meta meta = { ND_SRC_STALE, -1, ND_EDE_STALE_ANSWER, NULL,
				   &e->fetch };
	size_t n = 0;

	if (rq->chain != NULL) {
		const struct nd_query *tq = target_query(w, c->q, rq->chain);

		if (nd_cache_answer(w->r->opt.cache, tq, now_us / 1000, true,
				    ND_DNS_MAX_MSG, w->tmp, SCRATCH_MSG,
				    &n) == ND_CACHE_STALE) {
			COUNT(w, cache_stale);
			rq->chain->is_stale = true;
			answer_target(w, c, w->tmp, n, ND_SRC_STALE,
				      &e->fetch, now_us, out, cap, res);
			return;
		}
	} else if (nd_cache_answer(w->r->opt.cache, c->q, now_us / 1000, true,
				   reply_limit(c->proto, c->q), out, cap,
				   &n) == ND_CACHE_STALE) {
		COUNT(w, cache_stale);
		answer_or_chase(w, c, n, &meta, now_us, out, cap, res);
		return;
	}
	bool answered_badly = e->end == ND_FETCH_REFUSED ||
			      e->end == ND_FETCH_ANSWERED;

	char text[ND_ADDR_STRLEN + 40];

	meta.src = ND_SRC_FAILED;
	meta.ede = failure_ede(e->end);
	if (answered_badly)
		meta.ede_text = "upstreams answered SERVFAIL or REFUSED";
	if (e->end == ND_FETCH_LOOP) {
		snprintf(text, sizeof(text), "forwarding loop through %s",
			 slot_name(w, e->fetch.slot_base + e->fetch.up));
		meta.ede_text = text;
	}
	answer_error(w, c, ND_RCODE_SERVFAIL, &meta, now_us, out, cap, res);
}

struct nd_rs_request *nd_resolve_next(struct nd_rs_worker *w,
				      const struct nd_rs_policy *p,
				      struct nd_inflight_entry *e,
				      uint64_t now_us, uint8_t *out,
				      size_t cap, struct nd_rs_result *res)
{
	struct nd_rs_request *rq;
	struct client c;
	int n;

	if (w == NULL || p == NULL || e == NULL || out == NULL || res == NULL)
		return NULL;
	rq = e->done;
	if (rq == NULL)
		return NULL;
	e->done = rq->next;
	rq->next = NULL;
	res->step = ND_RS_DROP;
	res->len = 0;
	res->fetch = NULL;
	c = (struct client){ rq->proto, (const struct sockaddr *)&rq->peer,
			     NULL,	  &rq->q,
			     rq->start_us, rq,
			     false,	  &rq->q,
			     (const struct sockaddr *)&rq->peer };
	if (e->has_answer && rq->chain != NULL) {
		const struct nd_query *tq = target_query(w, &rq->q, rq->chain);

		n = nd_answer_render(&w->answer, tq, 0, p->cache_max_ttl_s,
				     false, ND_DNS_MAX_MSG, w->tmp,
				     SCRATCH_MSG);
		if (n > 0) {
			answer_target(w, &c, w->tmp, (size_t)n,
				      ND_SRC_UPSTREAM, &e->fetch, now_us, out,
				      cap, res);
			return rq;
		}
	} else if (e->has_answer) {
		struct reply_meta meta = { ND_SRC_UPSTREAM, -1, -1, NULL,
					   &e->fetch };

		n = nd_answer_render(&w->answer, &rq->q, 0, p->cache_max_ttl_s,
				     false, reply_limit(rq->proto, &rq->q),
				     out, cap);
		if (n > 0) {
			answer_or_chase(w, &c, (size_t)n, &meta, now_us, out,
					cap, res);
			return rq;
		}
	}
	answer_failed(w, e, &c, now_us, out, cap, res);
	return rq;
}
