/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * /debug/explain: check the request, gather what the explain engine
 * (resolver/diag/explain.h) is fed from the daemon, and hand back its
 * document. The walk and the verdict are the engine's.
 */
#include "server/debug_view.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/store.h"
#include "resolver/diag/explain.h"
#include "resolver/upstream.h"
#include "server/daemon.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/rcu.h"

/* The text of ?client= as the store's address and as a socket address. */
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

/* Every upstream, and the one the next query's first attempt would use. */
static void upstreams_in(struct nd_runtime *rt, struct nd_explain_input *in,
			 char *all, size_t cap)
{
	size_t n = nd_upstreams_count(rt->ups), used = 0;

	all[0] = '\0';
	in->n_upstreams = n;
	in->upstreams = all;
	for (size_t i = 0; i < n && i < ND_MAX_UPSTREAMS; i++) {
		int w = snprintf(
		    all + used, cap - used, "%s%s", i ? ", " : "",
		    rt->upstream_names[i] ? rt->upstream_names[i] : "?");

		if (w < 0 || (size_t)w >= cap - used)
			break;
		used += (size_t)w;
	}
	if (n == 0)
		return;
	/* The same choice the next query's first attempt would make: the
	 * healthiest upstream (it only nudges the tie-breaking counter). */
	size_t i = nd_upstreams_pick(rt->ups, 0, 0);

	in->upstream = rt->upstream_names[i] ? rt->upstream_names[i] : "?";
	in->upstream_srtt_ms = nd_upstreams_srtt_us(rt->ups, i) / 1000.0;
}

/* The request's parameters into in; 0, or 400 with *doc set. */
static int request_in(struct nd_daemon *d, const struct nd_qs *params,
		      struct nd_explain_input *in, struct nd_kube_ip *ip,
		      cJSON **doc)
{
	struct sockaddr_storage ss;

	in->name = nd_debug_param(params, "name");
	in->client = nd_debug_param(params, "client");
	in->ns = nd_debug_param(params, "namespace");
	in->is_client_allowed = true;
	if (in->name == NULL || in->name[0] == '\0') {
		*doc = nd_debug_error("name is required: "
				      "/debug/explain?name=N[&client=IP]"
				      "[&namespace=NS]");
		return 400;
	}
	if (!nd_explain_name_is_ok(in->name)) {
		*doc = nd_debug_error("name '%.80s' is not a DNS name a stub "
				      "resolver would send (letters, digits, "
				      "'-', '_'; labels of 1-63, 253 in all)",
				      in->name);
		return 400;
	}
	if (in->ns != NULL && !nd_diag_is_label(in->ns)) {
		*doc = nd_debug_error("namespace '%.80s' is not a valid "
				      "namespace name",
				      in->ns);
		return 400;
	}
	if (in->client == NULL)
		return 0;
	if (ip_parse(in->client, ip, &ss) < 0) {
		*doc = nd_debug_error("client '%.80s' is not an IPv4 "
				      "or IPv6 address",
				      in->client);
		return 400;
	}
	in->client_ip = ip;
	in->is_client_allowed =
	    is_allowed(nd_daemon_runtime(d), (const struct sockaddr *)&ss);
	return 0;
}

int nd_debug_explain_input(struct nd_daemon *d, const struct nd_qs *params,
			   struct nd_explain_input *in, struct nd_kube_ip *ip,
			   char *upstreams, size_t cap, cJSON **doc)
{
	const char *resolve = nd_debug_param(params, "resolve");
	int status;

	*doc = NULL;
	memset(in, 0, sizeof(*in));
	status = request_in(d, params, in, ip, doc);
	if (status != 0)
		return status;
	if (resolve != NULL && strcmp(resolve, "1") != 0 &&
	    strcmp(resolve, "0") != 0) {
		*doc = nd_debug_error("resolve must be 1 or 0");
		return 400;
	}
	in->zone = d->cfg.cluster_domain;
	in->node_domains = d->cfg.resolv.search;
	in->n_node_domains = d->cfg.resolv.n_search;
	/* Pods get kubelet's ndots, not the node's own resolv.conf's. */
	in->ndots = ND_EXPLAIN_NDOTS;
	in->kube = d->kube;
	in->is_synced = nd_daemon_kube_synced(d);
	in->cache = d->cache;
	in->now_ms = nd_clock_ms();
	upstreams_in(nd_daemon_runtime(d), in, upstreams, cap);
	/* The store's readers are RCU readers: the control thread is
	 * registered as the writer already; this makes sure of it. */
	if (d->kube != NULL)
		nd_rcu_register();
	return 0;
}

int nd_debug_view_explain(struct nd_daemon *d, const struct nd_qs *params,
			  cJSON **doc)
{
	struct nd_explain_input in;
	struct nd_kube_ip ip;
	struct nd_explain *e;
	char all[256];
	int status;

	status = nd_debug_explain_input(d, params, &in, &ip, all, sizeof(all),
					doc);
	if (status != 0)
		return status;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	/* The explanation borrows endpoints and Services from the store:
	 * no change may be applied until it is written out. */
	nd_kube_store_lock(d->kube);
	status = nd_explain_run(&in, e);
	if (status == 0) {
		*doc = nd_explain_json(e);
		status = *doc != NULL ? 200 : -ENOMEM;
	}
	nd_explain_deinit(e);
	nd_kube_store_unlock(d->kube);
	free(e);
	return status;
}
