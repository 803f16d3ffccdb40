/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * /debug/explain: walk a name through the search list exactly as a pod's
 * glibc stub resolver would with kubelet's resolv.conf, and say for each
 * candidate where the answer would come from. Nothing is sent upstream:
 * the cluster zone and the cache are read, a miss is only reported.
 */
#include "server/debug_explain.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolver/cache.h"
#include "dns/wire.h"
#include "kube/store.h"
#include "dns/query.h"
#include "resolver/upstream.h"
#include "server/daemon.h"
#include "server/debug_view.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/rcu.h"

/* --- the request ---------------------------------------------------------- */

/*
 * A name a stub resolver would send: LDH labels (underscore allowed for
 * SRV-style names) of 1-63 bytes, 253 at most, an optional trailing dot.
 */
static bool name_is_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static int ip_parse(const char *s, struct nd_kube_ip *ip,
		    struct sockaddr_storage *ss)
{
	memset(ip, 0, sizeof(*ip));
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, ip->addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		ip->family = AF_INET;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->addr, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		ip->family = AF_INET6;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip->addr, 16);
		return 0;
	}
	return -EINVAL;
}

static bool is_allowed(const struct nd_runtime *rt, const struct sockaddr *sa)
{
	for (size_t i = 0; i < rt->acl.n; i++)
		if (nd_cidr_contains(&rt->acl.net[i], sa))
			return true;
	return false;
}

/*
 * The client's namespace, as kubelet writes it into the pod's search
 * list: the pod's own when the address is an endpoint we know, else the
 * one the caller named, else "default".
 * Returns 0, or 400 with *doc set.
 */
static int pick_namespace(struct nd_daemon *d, const struct evkeyvalq *params,
			  struct nd_explain *e, cJSON **doc)
{
	const char *ns = nd_debug_param(params, "namespace");
	struct nd_runtime *rt = nd_daemon_runtime(d);

	e->is_client_allowed = true;
	if (ns != NULL && !nd_debug_is_label(ns)) {
		*doc = nd_debug_error("namespace '%.80s' is not a valid "
				      "namespace name",
				      ns);
		return 400;
	}
	if (e->client != NULL) {
		struct nd_kube_ip ip;
		struct sockaddr_storage ss;
		struct nd_kube_addr_desc a;

		if (ip_parse(e->client, &ip, &ss) < 0) {
			*doc = nd_debug_error("client '%.80s' is not an IPv4 "
					      "or IPv6 address",
					      e->client);
			return 400;
		}
		e->is_client_allowed =
		    is_allowed(rt, (const struct sockaddr *)&ss);
		if (d->kube != NULL &&
		    nd_kube_describe_address(d->kube, &ip, &a) == 0) {
			snprintf(e->ns, sizeof(e->ns), "%s", a.ns);
			e->ns_from = ND_EXPLAIN_NS_CLIENT;
			e->is_client_pod = true;
			e->client_ep = a.ep;
			e->client_service = a.service;
			return 0;
		}
	}
	snprintf(e->ns, sizeof(e->ns), "%s", ns ? ns : "default");
	e->ns_from = ns ? ND_EXPLAIN_NS_PARAMETER : ND_EXPLAIN_NS_DEFAULT;
	return 0;
}

/* --- the search list ------------------------------------------------------ */

/* Append "a[.b]" (b NULL: a alone) to the search list. */
static void search_add(struct nd_explain *e, const char *a, const char *b)
{
	if (e->n_search < ND_EXPLAIN_MAX_SEARCH)
		snprintf(e->search[e->n_search++], sizeof(e->search[0]),
			 "%s%s%s", a, b ? "." : "", b ? b : "");
}

/* kubelet appends the node's search domains to the three cluster ones. */
static void node_domains(struct nd_daemon *d, struct nd_explain *e)
{
	for (size_t i = 0; i < d->cfg.resolv.n_search &&
			   e->n_node_domains < ND_EXPLAIN_NODE_DOMAINS;
	     i++) {
		search_add(e, d->cfg.resolv.search[i], NULL);
		e->n_node_domains++;
	}
}

static void build_search(struct nd_daemon *d, struct nd_explain *e)
{
	snprintf(e->zone, sizeof(e->zone), "%s", d->cfg.cluster_domain);
	char svc[300];

	snprintf(svc, sizeof(svc), "svc.%s", e->zone);
	search_add(e, e->ns, svc);
	search_add(e, svc, NULL);
	search_add(e, e->zone, NULL);
	node_domains(d, e);
}

static void cand_add(struct nd_explain *e, const char *base, const char *suffix)
{
	struct nd_explain_cand *c;

	if (e->n_cand >= ND_EXPLAIN_MAX_CANDIDATES)
		return;
	c = &e->cand[e->n_cand++];
	memset(c, 0, sizeof(*c));
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
		cand_add(e, base, NULL);
		return;
	}
	if (e->dots >= ND_EXPLAIN_NDOTS)
		cand_add(e, base, NULL);
	for (size_t i = 0; i < e->n_search; i++)
		cand_add(e, base, e->search[i]);
	if (e->dots < ND_EXPLAIN_NDOTS)
		cand_add(e, base, NULL);
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

/* Where one candidate's answer comes from, in the worker's order: the
 * cluster zone, then the cache, then an upstream. */
static void cand_lookup(struct nd_daemon *d, struct nd_explain_cand *c,
			uint8_t *buf, size_t cap)
{
	struct nd_query q;
	size_t got = 0;

	if (query_make(c->name, &q) < 0) {
		c->source = ND_EXPLAIN_TOO_LONG;
		return;
	}
	if (d->kube != NULL && nd_kube_store_answer(d->kube, &q, cap, buf, cap,
						    &got) == ND_KUBE_ANSWERED) {
		if (!nd_daemon_kube_synced(d)) {
			/* The worker answers SERVFAIL until the first full
			 * list (see worker.c), and so does this. */
			c->source = ND_EXPLAIN_NOT_SYNCED;
			c->reply.rcode = ND_RCODE_SERVFAIL;
			c->reply.ttl_s = -1;
			return;
		}
		c->source = ND_EXPLAIN_CLUSTER;
	} else if (nd_cache_answer(d->cache, &q, nd_clock_ms(), false, cap, buf,
				   cap, &got) == ND_CACHE_HIT) {
		c->source = ND_EXPLAIN_CACHE;
	} else {
		c->source = ND_EXPLAIN_FORWARD;
		return;
	}
	if (nd_debug_reply_parse(buf, got, &c->reply) < 0)
		c->reply.rcode =
		    ND_RCODE_SERVFAIL; /* not reached: we made it */
	/* glibc goes on to the next candidate on NXDOMAIN, NODATA and
	 * SERVFAIL alike; only records in the answer end the walk. */
	c->is_positive =
	    c->reply.rcode == ND_RCODE_NOERROR && c->reply.ancount > 0;
}

static int walk(struct nd_daemon *d, struct nd_explain *e)
{
	uint8_t *buf = malloc(ND_DNS_MAX_MSG);

	if (buf == NULL)
		return -ENOMEM;
	/* The store's readers are RCU readers: the control thread is
	 * registered as the writer already; this makes sure of it. */
	if (d->kube != NULL)
		nd_rcu_register();
	e->answered = -1;
	for (size_t i = 0; i < e->n_cand; i++) {
		struct nd_explain_cand *c = &e->cand[i];

		if (e->answered >= 0)
			continue; /* the stub stopped before it */
		c->is_tried = true;
		cand_lookup(d, c, buf, ND_DNS_MAX_MSG);
		if (c->source == ND_EXPLAIN_TOO_LONG)
			c->is_tried = false;
		if (c->source == ND_EXPLAIN_FORWARD)
			e->n_unknown++;
		if (c->is_positive)
			e->answered = (int)i;
	}
	/* An ExternalName answers with a CNAME only: the stub's resolver
	 * (us) must find the target, so say where that comes from too. */
	if (e->answered >= 0 && e->cand[e->answered].reply.cname[0] != '\0' &&
	    e->cand[e->answered].reply.n_addrs == 0) {
		struct nd_explain_cand *t = &e->target;

		snprintf(t->name, sizeof(t->name), "%s",
			 e->cand[e->answered].reply.cname);
		t->is_tried = true;
		cand_lookup(d, t, buf, ND_DNS_MAX_MSG);
		e->has_target = true;
	}
	free(buf);
	return 0;
}

static void pick_upstream(struct nd_daemon *d, struct nd_explain *e)
{
	struct nd_runtime *rt = nd_daemon_runtime(d);
	size_t n = nd_upstreams_count(rt->ups), used = 0;

	e->n_upstreams = n;
	for (size_t i = 0; i < n && i < ND_MAX_UPSTREAMS; i++) {
		int w = snprintf(
		    e->upstreams + used, sizeof(e->upstreams) - used, "%s%s",
		    i ? ", " : "",
		    rt->upstream_names[i] ? rt->upstream_names[i] : "?");

		if (w < 0 || (size_t)w >= sizeof(e->upstreams) - used)
			break;
		used += (size_t)w;
	}
	if (n == 0)
		return;
	/* The same choice the next query's first attempt would make: the
	 * healthiest upstream (it only nudges the tie-breaking counter). */
	size_t i = nd_upstreams_pick(rt->ups, 0, 0);

	snprintf(e->upstream, sizeof(e->upstream), "%s",
		 rt->upstream_names[i] ? rt->upstream_names[i] : "?");
	e->upstream_srtt_ms = nd_upstreams_srtt_us(rt->ups, i) / 1000.0;
}

int nd_debug_view_explain(struct nd_daemon *d, const struct evkeyvalq *params,
			  cJSON **doc)
{
	struct nd_explain *e;
	int status;

	*doc = NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->name = nd_debug_param(params, "name");
	e->client = nd_debug_param(params, "client");
	if (e->name == NULL || e->name[0] == '\0') {
		*doc = nd_debug_error("name is required: "
				      "/debug/explain?name=N[&client=IP]"
				      "[&namespace=NS]");
		status = 400;
	} else if (!name_is_ok(e->name)) {
		*doc = nd_debug_error("name '%.80s' is not a DNS name a stub "
				      "resolver would send (letters, digits, "
				      "'-', '_'; labels of 1-63, 253 in all)",
				      e->name);
		status = 400;
	} else {
		status = pick_namespace(d, params, e, doc);
	}
	if (status != 0)
		goto out;
	e->has_kube = d->kube != NULL;
	e->is_synced = e->has_kube && nd_daemon_kube_synced(d);
	build_search(d, e);
	build_candidates(e);
	pick_upstream(d, e);
	status = walk(d, e);
	if (status == 0)
		status = nd_explain_find_service(d, e);
	if (status == 0) {
		*doc = nd_explain_json(e);
		status = *doc != NULL ? 200 : -ENOMEM;
	}
out:
	nd_kube_desc_list_deinit(&e->svc);
	nd_kube_desc_list_deinit(&e->same_name);
	free(e);
	return status;
}
