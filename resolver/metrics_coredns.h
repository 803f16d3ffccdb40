/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/metrics_coredns.h - nodedns's counters under the names and
 * labels of CoreDNS (--metrics-compat coredns), for the dashboards and
 * alerts written for CoreDNS. */
#ifndef RESOLVER_METRICS_COREDNS_H
#define RESOLVER_METRICS_COREDNS_H

#include <stdint.h>

struct nd_metrics;
struct nd_metrics_gauges;
struct nd_prom;
struct nd_prom_hist;

/* What the CoreDNS families need beyond the workers' counters. */
struct nd_coredns_compat {
	const char *server;	/* the "server" label: "dns://ADDR:PORT" of
				   the first listen address */
	const char *version;	/* build_info labels */
	const char *revision;
	const char *compiler;	/* the "goversion" label: what built us */
	uint64_t reload_failed; /* reloads refused (a bad file) */
	const struct nd_prom_hist *kube_prog; /* DNS programming latency;
						 NULL = no API watch */
};

/*
 * One row of the mapping: a CoreDNS family, its type, and which of
 * nodedns's counters it is computed from (for the README and the test).
 */
struct nd_coredns_family {
	const char *name;   /* e.g. "coredns_dns_requests_total" */
	const char *type;   /* counter, gauge, histogram */
	const char *labels; /* its labels, comma-separated */
	const char *from;   /* the nodedns counters it is made of */
};

/* The table, n_out rows. */
const struct nd_coredns_family *nd_coredns_families(unsigned *n_out);

/* The CoreDNS label value of an upstream attempt's outcome
 * (enum nd_upstream_outcome) in coredns_forward_responses_total; NULL when
 * the outcome is no response (a timeout, a network error). */
const char *nd_coredns_forward_rcode(int outcome);

/* The CoreDNS plugin that would have written an answer from source src
 * (enum nd_answer_source) in coredns_dns_responses_total: "kubernetes",
 * "cache" (stale answers too), "forward" (its SERVFAIL too), or "" for
 * answers given without a lookup (errors, --hosts-file). */
const char *nd_coredns_plugin(int src);

/*
 * Append the CoreDNS families to b, computed from t (the workers' sum,
 * per-upstream rows already restarted) and g (the upstreams listed, the
 * cache gauges). Pure: no clock, no I/O.
 */
void nd_metrics_coredns_render(struct nd_prom *b, const struct nd_metrics *t,
			       const struct nd_metrics_gauges *g,
			       const struct nd_coredns_compat *c);

#endif /* RESOLVER_METRICS_COREDNS_H */
