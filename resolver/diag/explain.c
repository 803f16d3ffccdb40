/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The explain engine's walk: a name through the search list exactly as a
 * pod's glibc stub resolver would with kubelet's resolv.conf, and for
 * each candidate where the answer would come from. Nothing is sent: the
 * cluster zone and the cache are read, a miss is only reported.
 */
#include "resolver/diag/explain.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/name_check.h"
#include "dns/query.h"
#include "dns/wire.h"
#include "kube/store.h"
#include "resolver/cache.h"
#include "resolver/diag/explain_internal.h"

bool nd_explain_name_is_ok(const char *s)
{
	return s != NULL &&
	       nd_dns_name_check(s, strlen(s),
				 ND_NAME_UNDERSCORE | ND_NAME_TRAILING_DOT) ==
		       ND_NAME_OK;
}

/*
 * The client's namespace, as kubelet writes it into the pod's search
 * list: the pod's own when the address is an endpoint we know, else the
 * one the caller named, else "default".
 */
static void pick_namespace(const struct nd_explain_input *in,
			   struct nd_explain *e)
{
	struct nd_kube_addr_desc a;

	if (in->kube != NULL && in->client_ip != NULL &&
	    nd_kube_describe_address(in->kube, in->client_ip, &a) == 0) {
		snprintf(e->ns, sizeof(e->ns), "%s", a.ns);
		e->ns_from = ND_EXPLAIN_NS_CLIENT;
		e->is_client_pod = true;
		e->client_ep = a.ep;
		e->client_service = a.service;
		return;
	}
	snprintf(e->ns, sizeof(e->ns), "%s", in->ns ? in->ns : "default");
	e->ns_from = in->ns ? ND_EXPLAIN_NS_PARAMETER : ND_EXPLAIN_NS_DEFAULT;
}

/* --- the search list ------------------------------------------------------ */

/* Append "a[.b]" (b NULL: a alone) to the search list. */
static void search_add(struct nd_explain *e, const char *a, const char *b)
{
	if (e->n_search < ND_EXPLAIN_MAX_SEARCH)
		snprintf(e->search[e->n_search++], sizeof(e->search[0]),
			 "%s%s%s", a, b ? "." : "", b ? b : "");
}

/* kubelet's search list: the three cluster forms, then the node's. */
static void build_search(const struct nd_explain_input *in,
			 struct nd_explain *e)
{
	char svc[300];

	snprintf(e->zone, sizeof(e->zone), "%s", in->zone);
	snprintf(svc, sizeof(svc), "svc.%s", e->zone);
	search_add(e, e->ns, svc);
	search_add(e, svc, NULL);
	search_add(e, e->zone, NULL);
	for (size_t i = 0; i < in->n_node_domains &&
			   e->n_node_domains < ND_EXPLAIN_NODE_DOMAINS;
	     i++) {
		search_add(e, in->node_domains[i], NULL);
		e->n_node_domains++;
	}
}

/* A candidate: base with search domain idx (-1: as typed). */
static void cand_add(struct nd_explain *e, const char *base, int idx)
{
	const char *suffix = idx >= 0 ? e->search[idx] : NULL;
	struct nd_explain_cand *c;

	if (e->n_cand >= ND_EXPLAIN_MAX_CANDIDATES)
		return;
	c = &e->cand[e->n_cand++];
	memset(c, 0, sizeof(*c));
	c->search_idx = idx;
	snprintf(c->name, sizeof(c->name), "%s%s%s.", base, suffix ? "." : "",
		 suffix ? suffix : "");
}

/*
 * glibc's res_search order: a name with a trailing dot is tried alone;
 * one with at least ndots dots as is first, then with each search
 * domain; any other with each search domain first, as is last.
 */
static void build_candidates(struct nd_explain *e)
{
	char base[256];
	size_t n = strlen(e->name);

	snprintf(base, sizeof(base), "%s", e->name);
	e->is_absolute = n > 0 && base[n - 1] == '.';
	if (e->is_absolute)
		base[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		e->dots += base[i] == '.';
	if (e->is_absolute) {
		cand_add(e, base, -1);
		return;
	}
	if (e->dots >= e->ndots)
		cand_add(e, base, -1);
	for (size_t i = 0; i < e->n_search; i++)
		cand_add(e, base, (int)i);
	if (e->dots < e->ndots)
		cand_add(e, base, -1);
}

/* --- the walk ------------------------------------------------------------- */

/* The A query a stub resolver sends for name. -1 when it cannot be a
 * DNS name (too long once the suffix is added). */
static int query_make(const char *name, struct nd_query *q)
{
	int n;

	memset(q, 0, sizeof(*q));
	n = nd_dns_name_from_text(name, q->qname, sizeof(q->qname));
	if (n <= 0)
		return -1;
	memcpy(q->qname_lc, q->qname, (size_t)n);
	nd_dns_name_lower(q->qname_lc, (size_t)n);
	q->qname_len = (uint16_t)n;
	q->has_question = true;
	q->qtype = ND_TYPE_A;
	q->qclass = ND_CLASS_IN;
	q->flags = ND_FLAG_RD;
	return 0;
}

/* The outcome of name when explain had it resolved; NULL = not asked. */
static const struct nd_explain_resolved *
resolved_find(const struct nd_explain_input *in, const char *name)
{
	for (size_t i = 0; in->resolved != NULL && i < in->n_resolved; i++)
		if (strcasecmp(in->resolved[i].name, name) == 0)
			return &in->resolved[i];
	return NULL;
}

/* Where one candidate's answer comes from, in the worker's order: the
 * cluster zone, then the cache, then an upstream. */
static void cand_lookup(const struct nd_explain_input *in,
			struct nd_explain_cand *c, uint8_t *buf, size_t cap)
{
	const struct nd_explain_resolved *r;
	struct nd_query q;
	size_t got = 0;

	if (query_make(c->name, &q) < 0) {
		c->source = ND_EXPLAIN_TOO_LONG;
		return;
	}
	if (in->kube != NULL && nd_kube_store_answer(in->kube, &q, cap, buf,
						     cap, &got) ==
				    ND_KUBE_ANSWERED) {
		if (!in->is_synced) {
			/* The worker answers SERVFAIL until the first full
			 * list (see server/worker.c), and so does this. */
			c->source = ND_EXPLAIN_NOT_SYNCED;
			c->reply.rcode = ND_RCODE_SERVFAIL;
			c->reply.ttl_s = -1;
			return;
		}
		c->source = ND_EXPLAIN_CLUSTER;
	} else if ((r = resolved_find(in, c->name)) != NULL) {
		/* Asked just now: that outcome, even though it is in the
		 * cache by now (or, an error, is not). */
		c->source = r->has_reply ? ND_EXPLAIN_RESOLVED
					 : ND_EXPLAIN_NO_ANSWER;
		c->reply = r->reply;
		if (!r->has_reply) {
			c->reply.rcode = ND_RCODE_SERVFAIL;
			c->reply.ttl_s = -1;
		}
		c->is_positive = r->has_reply &&
				 c->reply.rcode == ND_RCODE_NOERROR &&
				 c->reply.ancount > 0;
		return;
	} else if (in->cache != NULL &&
		   nd_cache_answer(in->cache, &q, in->now_ms, false, cap, buf,
				   cap, &got) == ND_CACHE_HIT) {
		c->source = ND_EXPLAIN_CACHE;
	} else {
		c->source = ND_EXPLAIN_FORWARD;
		return;
	}
	if (nd_diag_reply_parse(buf, got, &c->reply) < 0)
		c->reply.rcode =
		    ND_RCODE_SERVFAIL; /* not reached: we made it */
	/* glibc goes on to the next candidate on NXDOMAIN, NODATA and
	 * SERVFAIL alike; only records in the answer end the walk. */
	c->is_positive =
	    c->reply.rcode == ND_RCODE_NOERROR && c->reply.ancount > 0;
}

static int walk(const struct nd_explain_input *in, struct nd_explain *e)
{
	uint8_t *buf = malloc(ND_DNS_MAX_MSG);

	if (buf == NULL)
		return -ENOMEM;
	e->answered = -1;
	for (size_t i = 0; i < e->n_cand; i++) {
		struct nd_explain_cand *c = &e->cand[i];

		if (e->answered >= 0)
			continue; /* the stub stopped before it */
		c->is_tried = true;
		cand_lookup(in, c, buf, ND_DNS_MAX_MSG);
		if (c->source == ND_EXPLAIN_TOO_LONG)
			c->is_tried = false;
		if (c->source == ND_EXPLAIN_FORWARD)
			e->n_unknown++;
		if (c->source == ND_EXPLAIN_RESOLVED ||
		    c->source == ND_EXPLAIN_NO_ANSWER)
			e->n_resolved++;
		/* An expansion into our own zone that does not exist is
		 * how a search list works, not a failure of the name. */
		c->is_search_miss = c->search_idx >= 0 &&
				    c->source == ND_EXPLAIN_CLUSTER &&
				    c->reply.rcode == ND_RCODE_NXDOMAIN;
		if (c->is_positive)
			e->answered = (int)i;
	}
	/* An ExternalName answers with a CNAME only: the stub's resolver
	 * (us) must find the target, so say where that comes from too. */
	const struct nd_explain_cand *last =
		e->answered >= 0 ? &e->cand[e->answered] : NULL;
	while (last != NULL && last->reply.cname[0] != '\0' &&
	       last->reply.n_addrs == 0 &&
	       e->n_chain < sizeof(e->chain) / sizeof(e->chain[0])) {
		struct nd_explain_cand *t = &e->chain[e->n_chain];
		bool is_loop = strcasecmp(last->reply.cname,
					  e->cand[e->answered].name) == 0;

		for (size_t k = 0; k < e->n_chain && !is_loop; k++)
			is_loop = strcasecmp(last->reply.cname,
					     e->chain[k].name) == 0;
		if (is_loop) {
			e->is_chain_loop = true;
			break;
		}
		size_t nl = strnlen(last->reply.cname, sizeof(t->name) - 1);

		memcpy(t->name, last->reply.cname, nl);
		t->name[nl] = '\0';
		t->search_idx = -1;
		t->is_tried = true;
		cand_lookup(in, t, buf, ND_DNS_MAX_MSG);
		e->n_chain++;
		last = t;
		/* A target not in the zone or the cache would be asked
		 * upstream: explain never sends a query. */
		if (t->source == ND_EXPLAIN_FORWARD)
			break;
	}
	if (e->n_chain > 0) {
		e->target = e->chain[0];
		e->has_target = true;
	}
	free(buf);
	return 0;
}

const char *nd_explain_next_unknown(const struct nd_explain *e)
{
	if (e == NULL)
		return NULL;
	for (size_t i = 0; i < e->n_cand; i++)
		if (e->cand[i].is_tried &&
		    e->cand[i].source == ND_EXPLAIN_FORWARD)
			return e->cand[i].name;
	/* The CNAME target nodedns would ask for the client. */
	if (e->n_chain > 0 &&
	    e->chain[e->n_chain - 1].source == ND_EXPLAIN_FORWARD)
		return e->chain[e->n_chain - 1].name;
	return NULL;
}

int nd_explain_run(const struct nd_explain_input *in, struct nd_explain *e)
{
	if (e == NULL)
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->answered = -1;
	if (in == NULL || in->zone == NULL || !nd_explain_name_is_ok(in->name))
		return -EINVAL;
	e->name = in->name;
	e->client = in->client;
	e->is_client_allowed = in->is_client_allowed;
	e->ndots = in->ndots ? in->ndots : ND_EXPLAIN_NDOTS;
	e->has_kube = in->kube != NULL;
	e->is_synced = e->has_kube && in->is_synced;
	e->n_upstreams = in->n_upstreams;
	snprintf(e->upstream, sizeof(e->upstream), "%s",
		 in->upstream ? in->upstream : "");
	snprintf(e->upstreams, sizeof(e->upstreams), "%s",
		 in->upstreams ? in->upstreams : "");
	e->upstream_srtt_ms = in->upstream_srtt_ms;
	pick_namespace(in, e);
	build_search(in, e);
	build_candidates(e);

	int r = walk(in, e);

	return r < 0 ? r : nd_explain_find_service(in->kube, e);
}

void nd_explain_deinit(struct nd_explain *e)
{
	if (e == NULL)
		return;
	nd_kube_desc_list_deinit(&e->svc);
	nd_kube_desc_list_deinit(&e->same_name);
}
