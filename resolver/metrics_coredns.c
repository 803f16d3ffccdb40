/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/metrics_coredns.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "resolver/metrics.h"
#include "util/prom.h"

/*
 * The names and labels are those of CoreDNS's plugins (metrics, cache,
 * forward with its proxy, kubernetes, reload) and of the coredns-mixin
 * alerts. The values come from nodedns's own counters: no counter is kept
 * twice, and with the option off none of this runs.
 *
 * Where nodedns measures less finely than CoreDNS, the table says what a
 * label holds. Histograms keep nodedns's bucket bounds (CoreDNS's are
 * powers of two from 0.25 ms): histogram_quantile() reads any bounds.
 */
static const struct nd_coredns_family families[] = {
	{ "coredns_build_info", "gauge", "version,revision,goversion",
	  "1; goversion: the C compiler" },
	{ "coredns_panics_total", "counter", "",
	  "0: nodedns does not recover from a crash, a crash restarts the "
	  "process (see process_start_time_seconds)" },
	{ "coredns_reload_failed_total", "counter", "",
	  "reloads refused (nodedns_reload_failed_total)" },
	{ "coredns_dns_requests_total", "counter",
	  "server,zone,proto,family,type",
	  "nodedns_dns_requests_total; family 1/2 by the client's address; "
	  "zone \".\"" },
	{ "coredns_dns_responses_total", "counter", "server,zone,rcode,plugin",
	  "nodedns_dns_responses_total by where the answer came from: "
	  "kubernetes (cluster zone), cache (stale too), forward (its "
	  "SERVFAIL too), empty (errors, hosts file)" },
	{ "coredns_dns_request_duration_seconds", "histogram",
	  "server,zone,type", "the request duration by query type" },
	{ "coredns_cache_entries", "gauge", "server,type,zones",
	  "nodedns_cache_entries: success, and denial for NXDOMAIN and NODATA "
	  "(nodedns_cache_negative_entries)" },
	{ "coredns_cache_requests_total", "counter", "server,zones",
	  "nodedns_cache_hits_total + nodedns_cache_misses_total" },
	{ "coredns_cache_hits_total", "counter", "server,type,zones",
	  "nodedns_cache_hits_total, under type=\"success\"" },
	{ "coredns_cache_misses_total", "counter", "server,zones",
	  "nodedns_cache_misses_total" },
	{ "coredns_cache_served_stale_total", "counter", "server,zones",
	  "nodedns_cache_stale_total" },
	{ "coredns_cache_evictions_total", "counter", "server,type,zones",
	  "nodedns_cache_evictions_total, under type=\"success\"" },
	{ "coredns_forward_requests_total", "counter", "to",
	  "nodedns_forward_requests_total" },
	{ "coredns_forward_responses_total", "counter", "to,rcode",
	  "nodedns_forward_responses_total: ok as NOERROR (NXDOMAIN "
	  "included), servfail, refused, bad as other; timeouts and network "
	  "errors are no response" },
	{ "coredns_forward_request_duration_seconds", "histogram", "to,rcode",
	  "nodedns_forward_duration_seconds (answered attempts: NOERROR)" },
	{ "coredns_proxy_request_duration_seconds", "histogram",
	  "proxy_name,to,rcode",
	  "the same, proxy_name=\"forward\" (CoreDNS 1.11 and later)" },
	{ "coredns_forward_healthcheck_failures_total", "counter", "to",
	  "attempts that timed out or met a network error (nodedns checks "
	  "upstreams with the queries themselves)" },
	{ "coredns_forward_healthcheck_broken_total", "counter", "",
	  "answers given stale or SERVFAIL because no upstream answered" },
	{ "coredns_forward_max_concurrent_rejects_total", "counter", "",
	  "nodedns_inflight_refused_total (--max-fetches) + "
	  "nodedns_inflight_capped_total (--max-inflight)" },
	{ "coredns_kubernetes_dns_programming_duration_seconds", "histogram",
	  "service_kind",
	  "nodedns_kube_dns_programming_duration_seconds, every "
	  "EndpointSlice change, service_kind=\"all\"" },
};

const struct nd_coredns_family *nd_coredns_families(unsigned *n_out)
{
	if (n_out != NULL)
		*n_out = sizeof(families) / sizeof(families[0]);
	return families;
}

const char *nd_coredns_plugin(int src)
{
	switch (src) {
	case ND_SRC_CLUSTER:
		return "kubernetes";
	case ND_SRC_CACHE:
	case ND_SRC_STALE:
		return "cache";
	case ND_SRC_UPSTREAM:
	case ND_SRC_FAILED:
		return "forward";
	default:
		return "";
	}
}

const char *nd_coredns_forward_rcode(int outcome)
{
	switch (outcome) {
	case ND_UP_OK:
		return "NOERROR";
	case ND_UP_SERVFAIL:
		return "SERVFAIL";
	case ND_UP_REFUSED:
		return "REFUSED";
	case ND_UP_BAD:
		return "other";
	default: /* timeout, network: no response to count */
		return NULL;
	}
}

#define L(k, v) ((struct nd_prom_label){ (k), (v) })

/* The family line, with the help text taken from the table. */
static void family(struct nd_prom *b, const char *name)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i].name, name) == 0) {
			nd_prom_family(b, name, families[i].type,
				       families[i].from);
			return;
		}
}

static void build(struct nd_prom *b, const struct nd_coredns_compat *c)
{
	const struct nd_prom_label bl[] = {
		L("version", c->version ? c->version : "unknown"),
		L("revision", c->revision ? c->revision : "unknown"),
		L("goversion", c->compiler ? c->compiler : "unknown"),
	};

	family(b, "coredns_build_info");
	nd_prom_sample(b, "coredns_build_info", bl, 3, 1);
	family(b, "coredns_panics_total");
	nd_prom_sample(b, "coredns_panics_total", NULL, 0, 0);
	family(b, "coredns_reload_failed_total");
	nd_prom_sample(b, "coredns_reload_failed_total", NULL, 0,
		       c->reload_failed);
}

static void dns(struct nd_prom *b, const struct nd_metrics *t,
		const char *server)
{
	static const char *const proto[] = { "udp", "tcp" };

	family(b, "coredns_dns_requests_total");
	for (size_t p = 0; p < ND_PROTO_COUNT; p++)
		for (size_t q = 0; q < ND_MQT_COUNT; q++) {
			uint64_t v6 = t->requests_v6[p][q];
			uint64_t all = t->requests[p][q];
			const char *type = nd_metrics_qtype_name(q);
			const struct nd_prom_label l4[] = {
				L("server", server), L("zone", "."),
				L("proto", proto[p]), L("family", "1"),
				L("type", type),
			};
			const struct nd_prom_label l6[] = {
				L("server", server), L("zone", "."),
				L("proto", proto[p]), L("family", "2"),
				L("type", type),
			};

			/* Workers count both words; a scrape between the
			 * two increments may see v6 ahead by one. */
			nd_prom_sample(b, "coredns_dns_requests_total", l4, 5,
				       all > v6 ? all - v6 : 0);
			nd_prom_sample(b, "coredns_dns_requests_total", l6, 5,
				       v6);
		}

	/* Sources that map to one plugin are summed: one series each. */
	static const char *const plugins[] = { "kubernetes", "cache",
					       "forward", "" };

	family(b, "coredns_dns_responses_total");
	for (size_t pl = 0; pl < sizeof(plugins) / sizeof(plugins[0]); pl++)
		for (size_t r = 0; r < ND_MRC_COUNT; r++) {
			const struct nd_prom_label l[] = {
				L("server", server), L("zone", "."),
				L("rcode", nd_metrics_rcode_name(r)),
				L("plugin", plugins[pl]),
			};
			uint64_t v = 0;

			for (int src = 0; src < ND_SRC_COUNT; src++)
				if (strcmp(nd_coredns_plugin(src),
					   plugins[pl]) == 0)
					v += t->responses_src[src][r];
			nd_prom_sample(b, "coredns_dns_responses_total", l, 4,
				       v);
		}

	family(b, "coredns_dns_request_duration_seconds");
	for (size_t q = 0; q < ND_MQT_COUNT; q++) {
		const struct nd_prom_label l[] = {
			L("server", server), L("zone", "."),
			L("type", nd_metrics_qtype_name(q)),
		};

		nd_metrics_histogram(b, "coredns_dns_request_duration_seconds", l, 3,
		     &t->duration_type[q]);
	}
}

static void cache(struct nd_prom *b, const struct nd_metrics *t,
		  const struct nd_metrics_gauges *g, const char *server)
{
	const struct nd_prom_label typed[] = {
		L("server", server), L("type", "success"), L("zones", "."),
	};
	const struct nd_prom_label denial[] = {
		L("server", server), L("type", "denial"), L("zones", "."),
	};
	uint64_t neg = g->cache_negative < g->cache_entries
			       ? g->cache_negative
			       : g->cache_entries;
	const struct nd_prom_label plain[] = {
		L("server", server), L("zones", "."),
	};

	family(b, "coredns_cache_entries");
	nd_prom_sample(b, "coredns_cache_entries", typed, 3,
		       g->cache_entries - neg);
	nd_prom_sample(b, "coredns_cache_entries", denial, 3, neg);
	family(b, "coredns_cache_requests_total");
	nd_prom_sample(b, "coredns_cache_requests_total", plain, 2,
		       t->cache_hits + t->cache_misses);
	family(b, "coredns_cache_hits_total");
	nd_prom_sample(b, "coredns_cache_hits_total", typed, 3, t->cache_hits);
	family(b, "coredns_cache_misses_total");
	nd_prom_sample(b, "coredns_cache_misses_total", plain, 2,
		       t->cache_misses);
	family(b, "coredns_cache_served_stale_total");
	nd_prom_sample(b, "coredns_cache_served_stale_total", plain, 2,
		       t->cache_stale);
	family(b, "coredns_cache_evictions_total");
	nd_prom_sample(b, "coredns_cache_evictions_total", typed, 3,
		       g->cache_evictions);
}

/* The counter row of listed upstream i (as metrics.c reads it). */
static size_t row(const struct nd_metrics_gauges *g, size_t i)
{
	size_t r = g->upstream_rows != NULL ? g->upstream_rows[i] : i;

	return r < ND_MAX_UPSTREAM_SLOTS ? r : 0;
}

static const char *to_label(const struct nd_metrics_gauges *g, size_t i,
			    char *buf, size_t cap)
{
	if (g->upstream_names != NULL && g->upstream_names[i] != NULL)
		return g->upstream_names[i];
	snprintf(buf, cap, "#%zu", i);
	return buf;
}

static void forward(struct nd_prom *b, const struct nd_metrics *t,
		    const struct nd_metrics_gauges *g)
{
	size_t nu = g->n_upstreams < ND_MAX_UPSTREAM_SLOTS
			    ? g->n_upstreams
			    : ND_MAX_UPSTREAM_SLOTS;
	char buf[24];
	uint64_t broken;

	family(b, "coredns_forward_requests_total");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
			L("to", to_label(g, i, buf, sizeof(buf)));

		nd_prom_sample(b, "coredns_forward_requests_total", &l, 1,
			       t->fwd_requests[row(g, i)]);
	}
	family(b, "coredns_forward_responses_total");
	for (size_t i = 0; i < nu; i++)
		for (int o = 0; o < ND_UP_OUTCOMES; o++) {
			const char *rc = nd_coredns_forward_rcode(o);
			const struct nd_prom_label l[] = {
				L("to", to_label(g, i, buf, sizeof(buf))),
				L("rcode", rc),
			};

			if (rc != NULL)
				nd_prom_sample(b,
					       "coredns_forward_responses_total",
					       l, 2,
					       t->fwd_responses[row(g, i)][o]);
		}
	family(b, "coredns_forward_request_duration_seconds");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l[] = {
			L("to", to_label(g, i, buf, sizeof(buf))),
			L("rcode", "NOERROR"),
		};

		nd_metrics_histogram(b, "coredns_forward_request_duration_seconds", l, 2,
		     &t->fwd_duration[row(g, i)]);
	}
	family(b, "coredns_proxy_request_duration_seconds");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l[] = {
			L("proxy_name", "forward"),
			L("to", to_label(g, i, buf, sizeof(buf))),
			L("rcode", "NOERROR"),
		};

		nd_metrics_histogram(b, "coredns_proxy_request_duration_seconds", l, 3,
		     &t->fwd_duration[row(g, i)]);
	}
	family(b, "coredns_forward_healthcheck_failures_total");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
			L("to", to_label(g, i, buf, sizeof(buf)));

		nd_prom_sample(b, "coredns_forward_healthcheck_failures_total",
			       &l, 1,
			       t->fwd_responses[row(g, i)][ND_UP_TIMEOUT] +
				       t->fwd_responses[row(g, i)]
						       [ND_UP_NETWORK]);
	}
	broken = t->duration_src[ND_SRC_STALE].count +
		 t->duration_src[ND_SRC_FAILED].count;
	family(b, "coredns_forward_healthcheck_broken_total");
	nd_prom_sample(b, "coredns_forward_healthcheck_broken_total", NULL, 0,
		       broken);
	family(b, "coredns_forward_max_concurrent_rejects_total");
	nd_prom_sample(b, "coredns_forward_max_concurrent_rejects_total", NULL,
		       0, t->fetches_refused + t->inflight_capped);
}

void nd_metrics_coredns_render(struct nd_prom *b, const struct nd_metrics *t,
			       const struct nd_metrics_gauges *g,
			       const struct nd_coredns_compat *c)
{
	const char *server;

	if (b == NULL || t == NULL || g == NULL || c == NULL)
		return;
	server = c->server != NULL ? c->server : "dns://";
	build(b, c);
	dns(b, t, server);
	cache(b, t, g, server);
	forward(b, t, g);
	if (c->kube_prog != NULL) {
		const struct nd_prom_label l = L("service_kind", "all");

		family(b, "coredns_kubernetes_dns_programming_duration_seconds");
		nd_prom_histogram(
			b, "coredns_kubernetes_dns_programming_duration_seconds",
			&l, 1, c->kube_prog);
	}
}
