/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/ede.h"
#include "dns/response.h"
#include "dns/upstream_msg.h"
#include "kube/store.h"
#include "resolver/cache.h"
#include "resolver/metrics.h"
#include "util/log.h"

/* TTL offsets a parsed upstream answer may hold: one per record, and a
 * 64 KiB message holds at most ~5,000 minimal records. */
#define SCRATCH_TTLS 8192

struct nd_resolver {
	struct nd_resolver_options opt;
	struct nd_inflight *inflight; /* owned */
};

struct nd_rs_worker {
	struct nd_resolver *r;	/* borrowed */
	struct nd_metrics *m;	/* borrowed */
	struct nd_fetch_env env;
	uint8_t *wire;		/* ND_DNS_MAX_MSG: the parsed answer */
	uint16_t *ttls;		/* SCRATCH_TTLS offsets */
	struct nd_answer answer; /* of the last nd_resolve_done, when the
				    entry has_answer */
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

struct nd_resolver *nd_resolver_new(const struct nd_resolver_options *opt)
{
	struct nd_resolver *r;

	if (opt == NULL || opt->cache == NULL)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->opt = *opt;
	r->inflight = nd_inflight_new();
	if (r->inflight == NULL) {
		nd_resolver_free(r);
		return NULL;
	}
	return r;
}

static void free_request(struct nd_rs_request *rq)
{
	free(rq);
}

void nd_resolver_free(struct nd_resolver *r)
{
	if (r == NULL)
		return;
	nd_inflight_free(r->inflight, free_request);
	free(r);
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
	if (w->wire == NULL || w->ttls == NULL) {
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
	free(w);
}

struct nd_fetch_env *nd_rs_worker_env(struct nd_rs_worker *w)
{
	return w != NULL ? &w->env : NULL;
}

/* Counters bump only when the worker has them (tests may pass none). */
#define COUNT(w, field)                          \
	do {                                     \
		if ((w)->m != NULL)              \
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
static size_t complete_reply(struct nd_rs_worker *w, int proto,
			     const struct sockaddr *peer,
			     const struct nd_query *q, uint8_t *msg,
			     size_t len, size_t cap, uint64_t start_us,
			     uint64_t now_us, const struct reply_meta *meta,
			     struct nd_query_event *ev)
{
	uint64_t took = now_us > start_us ? now_us - start_us : 0;
	uint16_t flags;

	memset(ev, 0, sizeof(*ev));
	if (len < ND_DNS_HEADER_LEN)
		return len;
	if (meta->ede >= 0 && q->has_edns)
		nd_ede_append(msg, &len, cap, reply_limit(proto, q),
			      (uint16_t)meta->ede, meta->ede_text);
	flags = nd_get16(msg + 2);
	ev->rcode = flags & ND_FLAG_RCODE_MASK;
	if (ev->rcode == 0 && q->has_edns && q->edns_version > 0)
		ev->rcode = ND_RCODE_BADVERS; /* the high bits are in the OPT */
	ev->is_truncated = (flags & ND_FLAG_TC) != 0;
	if (w->m != NULL) {
		ND_METRIC_INC(w->m->responses[nd_metrics_rcode_index(ev->rcode)]);
		if (ev->is_truncated)
			ND_METRIC_INC(w->m->truncated);
		nd_hist_observe(&w->m->duration, took);
		nd_hist_observe(&w->m->duration_src[meta->src], took);
	}
	ev->client = peer;
	ev->proto = proto;
	ev->id = q->id;
	ev->qname_lc = q->has_question ? q->qname_lc : NULL;
	ev->qname_len = q->has_question ? q->qname_len : 0;
	ev->qtype = q->qtype;
	ev->ancount = nd_get16(msg + 6);
	ev->source = meta->src;
	ev->recv_us = start_us;
	ev->duration_us = took;
	ev->kube_ready = meta->kube_ready;
	ev->upstream = nd_fetch_last_upstream(meta->fetch);
	ev->attempts = meta->fetch ? (uint16_t)meta->fetch->n_tries : 0;
	ev->used_tcp = meta->fetch ? meta->fetch->used_tcp : false;
	return len;
}

/* An error reply (FORMERR, REFUSED, SERVFAIL, ...) as the answer now. */
static void answer_error(struct nd_rs_worker *w, int proto,
			 const struct sockaddr *peer, int rcode,
			 const struct reply_meta *meta, uint64_t now_us,
			 uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	int n = nd_response_error(&res->q, rcode, out, cap);

	res->step = ND_RS_ANSWER;
	res->len = n > 0 ? complete_reply(w, proto, peer, &res->q, out,
					  (size_t)n, cap, now_us, now_us,
					  meta, &res->ev)
			 : 0;
	if (res->len == 0)
		res->step = ND_RS_DROP;
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

/* Park the query as a waiter of its question's fetch, new or running. */
static void ask(struct nd_rs_worker *w, int proto, const struct sockaddr *peer,
		const void *io, uint64_t now_us, uint8_t *out, size_t cap,
		struct nd_rs_result *res)
{
	struct nd_resolver *r = w->r;
	size_t io_size = r->opt.io_size;
	struct nd_rs_request *rq = malloc(sizeof(*rq) + io_size);
	struct nd_inflight_entry *e;
	socklen_t plen = nd_addr_len(peer);
	int rc;

	if (rq == NULL)
		goto servfail;
	rq->q = res->q;
	rq->proto = proto;
	memset(&rq->peer, 0, sizeof(rq->peer));
	if (plen > 0 && plen <= sizeof(rq->peer))
		memcpy(&rq->peer, peer, plen);
	rq->start_us = now_us;
	rq->next = NULL;
	if (io_size > 0 && io != NULL)
		memcpy(rq->io, io, io_size);
	rc = nd_inflight_join(r->inflight, rq, &e);
	if (rc == ND_INFLIGHT_FULL) {
		free(rq);
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
	if (nd_fetch_start(&e->fetch, &w->env, &qs, now_us, &res->act) != 0)
		nd_fetch_local_error(&e->fetch, &res->act);
	return;
servfail:
	answer_error(w, proto, peer, ND_RCODE_SERVFAIL, &local_meta, now_us,
		     out, cap, res);
}

int nd_resolve_begin(struct nd_rs_worker *w, const struct nd_rs_policy *p,
		     int proto, const struct sockaddr *peer, const void *io,
		     const uint8_t *pkt, size_t len, uint64_t now_us,
		     uint8_t *out, size_t cap, struct nd_rs_result *res)
{
	struct nd_resolver *r;
	struct nd_query *q;
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
		return 0;
	}
	if (w->m != NULL)
		ND_METRIC_INC(w->m->requests[proto == ND_PROTO_TCP]
					    [q->has_question
						     ? nd_metrics_qtype_index(q->qtype)
						     : ND_MQT_OTHER]);
	if (v == ND_QUERY_OK && !is_allowed(p->acl, peer)) {
		static const struct reply_meta prohibited = {
			ND_SRC_LOCAL, -1, ND_EDE_PROHIBITED, NULL, NULL
		};
		answer_error(w, proto, peer, ND_RCODE_REFUSED, &prohibited,
			     now_us, out, cap, res);
		return 0;
	}
	if (v == ND_QUERY_REPLY) {
		answer_error(w, proto, peer, rcode, &local_meta, now_us, out,
			     cap, res);
		return 0;
	}
	limit = reply_limit(proto, q);
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
			answer_error(w, proto, peer, ND_RCODE_SERVFAIL,
				     &not_ready, now_us, out, cap, res);
			return 0;
		}
		struct reply_meta km = { ND_SRC_CLUSTER, ki.ready, -1, NULL,
					 NULL };
		COUNT(w, kube_answers);
		res->step = ND_RS_ANSWER;
		res->len = complete_reply(w, proto, peer, q, out, got, cap,
					  now_us, now_us, &km, &res->ev);
		return 0;
	}
	if (nd_cache_answer(r->opt.cache, q, now_us / 1000, false, limit, out,
			    cap, &got) == ND_CACHE_HIT) {
		static const struct reply_meta cached = { ND_SRC_CACHE, -1, -1,
							  NULL, NULL };
		COUNT(w, cache_hits);
		res->step = ND_RS_ANSWER;
		res->len = complete_reply(w, proto, peer, q, out, got, cap,
					  now_us, now_us, &cached, &res->ev);
		return 0;
	}
	COUNT(w, cache_misses);
	ask(w, proto, peer, io, now_us, out, cap, res);
	return 0;
}

void nd_resolve_done(struct nd_rs_worker *w, struct nd_inflight_entry *e,
		     const struct nd_fetch_action *act, uint64_t now_us)
{
	e->end = act->end;
	e->has_answer = false;
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
	e->done = nd_inflight_finish(w->r->inflight, e);
}

/*
 * Every upstream failed or timed out: stale if the cache has it
 * (RFC 8767), else SERVFAIL; both say why in an Extended DNS Error.
 */
static size_t answer_failed(struct nd_rs_worker *w,
			    const struct nd_inflight_entry *e,
			    const struct nd_rs_request *rq, uint64_t now_us,
			    uint8_t *out, size_t cap, struct nd_query_event *ev)
{
	struct reply_meta meta = { ND_SRC_STALE, -1, ND_EDE_STALE_ANSWER, NULL,
				   &e->fetch };
	size_t n = 0;
	int st = nd_cache_answer(w->r->opt.cache, &rq->q, now_us / 1000, true,
				 reply_limit(rq->proto, &rq->q), out, cap, &n);

	if (st == ND_CACHE_STALE) {
		COUNT(w, cache_stale);
	} else {
		int len = nd_response_error(&rq->q, ND_RCODE_SERVFAIL, out, cap);

		n = len > 0 ? (size_t)len : 0;
		meta.src = ND_SRC_FAILED;
		/* Timeouts, and upstreams that answered SERVFAIL or REFUSED:
		 * no authority would give an answer (RFC 8914 4.23). Closed
		 * ports, ICMP errors, our own failures: the network broke
		 * (4.24). */
		bool answered_badly = e->end == ND_FETCH_REFUSED ||
				      e->end == ND_FETCH_ANSWERED;

		meta.ede = e->end == ND_FETCH_TIMED_OUT || answered_badly
				   ? ND_EDE_NO_REACHABLE_AUTHORITY
				   : ND_EDE_NETWORK_ERROR;
		if (answered_badly)
			meta.ede_text = "upstreams answered SERVFAIL or REFUSED";
	}
	if (n == 0)
		return 0;
	return complete_reply(w, rq->proto, (const struct sockaddr *)&rq->peer,
			      &rq->q, out, n, cap, rq->start_us, now_us, &meta,
			      ev);
}

struct nd_rs_request *nd_resolve_next(struct nd_rs_worker *w,
				      const struct nd_rs_policy *p,
				      struct nd_inflight_entry *e,
				      uint64_t now_us, uint8_t *out,
				      size_t cap, size_t *len,
				      struct nd_query_event *ev)
{
	struct nd_rs_request *rq;

	if (w == NULL || p == NULL || e == NULL || out == NULL ||
	    len == NULL || ev == NULL)
		return NULL;
	rq = e->done;
	if (rq == NULL)
		return NULL;
	e->done = rq->next;
	rq->next = NULL;
	*len = 0;
	memset(ev, 0, sizeof(*ev));
	if (e->has_answer) {
		struct reply_meta meta = { ND_SRC_UPSTREAM, -1, -1, NULL,
					   &e->fetch };
		int n = nd_answer_render(&w->answer, &rq->q, 0,
					 p->cache_max_ttl_s, false,
					 reply_limit(rq->proto, &rq->q), out,
					 cap);
		if (n > 0) {
			*len = complete_reply(w, rq->proto,
					      (const struct sockaddr *)&rq->peer,
					      &rq->q, out, (size_t)n, cap,
					      rq->start_us, now_us, &meta, ev);
			return rq;
		}
	}
	*len = answer_failed(w, e, rq, now_us, out, cap, ev);
	return rq;
}
