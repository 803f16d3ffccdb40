/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/metrics.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/metrics_coredns.h"
#include "util/prom.h"

/*
 * The buckets CoreDNS charts (coredns_dns_request_duration_seconds uses
 * powers of two from 0.25ms; we start lower because cache hits on a node
 * answer in tens of microseconds).
 */
const uint32_t nd_hist_bounds_us[ND_HIST_BUCKETS] = {
	50,	 100,	  250,	   500,	    1000,    2500,
	5000,	 10000,	  25000,   50000,   100000,  250000,
	500000,	 1000000, 2500000, 5000000,
};

void nd_hist_observe(struct nd_hist *h, uint64_t us)
{
	size_t i = 0;

	if (h == NULL)
		return;
	while (i < ND_HIST_BUCKETS && us > nd_hist_bounds_us[i])
		i++;
	ND_METRIC_INC(h->bucket[i]);
	ND_METRIC_INC(h->count);
	ND_METRIC_ADD(h->sum_us, us);
}

enum nd_metric_qtype nd_metrics_qtype_index(uint16_t qtype)
{
	switch (qtype) {
	case ND_TYPE_A:
		return ND_MQT_A;
	case ND_TYPE_AAAA:
		return ND_MQT_AAAA;
	case ND_TYPE_CNAME:
		return ND_MQT_CNAME;
	case ND_TYPE_MX:
		return ND_MQT_MX;
	case ND_TYPE_TXT:
		return ND_MQT_TXT;
	case ND_TYPE_SRV:
		return ND_MQT_SRV;
	case ND_TYPE_PTR:
		return ND_MQT_PTR;
	case ND_TYPE_NS:
		return ND_MQT_NS;
	case ND_TYPE_SOA:
		return ND_MQT_SOA;
	case ND_TYPE_ANY:
		return ND_MQT_ANY;
	default:
		return ND_MQT_OTHER;
	}
}

enum nd_metric_rcode nd_metrics_rcode_index(int rcode)
{
	switch (rcode) {
	case ND_RCODE_NOERROR:
		return ND_MRC_NOERROR;
	case ND_RCODE_FORMERR:
		return ND_MRC_FORMERR;
	case ND_RCODE_SERVFAIL:
		return ND_MRC_SERVFAIL;
	case ND_RCODE_NXDOMAIN:
		return ND_MRC_NXDOMAIN;
	case ND_RCODE_NOTIMP:
		return ND_MRC_NOTIMP;
	case ND_RCODE_REFUSED:
		return ND_MRC_REFUSED;
	case ND_RCODE_BADVERS:
		return ND_MRC_BADVERS;
	default:
		return ND_MRC_OTHER;
	}
}

static const char *const proto_names[ND_PROTO_COUNT] = { "udp", "tcp" };

/* The label values CoreDNS uses for the same types and rcodes. */
static const char *const qtype_names[ND_MQT_COUNT] = {
	[ND_MQT_A] = "A",     [ND_MQT_AAAA] = "AAAA", [ND_MQT_CNAME] = "CNAME",
	[ND_MQT_MX] = "MX",   [ND_MQT_TXT] = "TXT",   [ND_MQT_SRV] = "SRV",
	[ND_MQT_PTR] = "PTR", [ND_MQT_NS] = "NS",     [ND_MQT_SOA] = "SOA",
	[ND_MQT_ANY] = "ANY", [ND_MQT_OTHER] = "other",
};

static const char *const rcode_names[ND_MRC_COUNT] = {
	[ND_MRC_NOERROR] = "NOERROR",	[ND_MRC_FORMERR] = "FORMERR",
	[ND_MRC_SERVFAIL] = "SERVFAIL", [ND_MRC_NXDOMAIN] = "NXDOMAIN",
	[ND_MRC_NOTIMP] = "NOTIMP",	[ND_MRC_REFUSED] = "REFUSED",
	[ND_MRC_BADVERS] = "BADVERS",	[ND_MRC_OTHER] = "other",
};

const char *nd_metrics_qtype_name(enum nd_metric_qtype i)
{
	return (unsigned)i < ND_MQT_COUNT ? qtype_names[i] : "?";
}

const char *nd_metrics_rcode_name(enum nd_metric_rcode i)
{
	return (unsigned)i < ND_MRC_COUNT ? rcode_names[i] : "?";
}

/* Summing the workers. */

/*
 * Workers keep writing while we read; a relaxed load of each word is all
 * ND_METRIC_ADD promises, and all a scrape needs: every value is whole,
 * though two counters may be from instants a few nanoseconds apart.
 */
static void sum_words(uint64_t *dst, const uint64_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

#define SUM(dst, src, field)                                  \
	sum_words((uint64_t *)&(dst)->field,                  \
		  (const uint64_t *)&(src)->field,            \
		  sizeof((dst)->field) / sizeof(uint64_t))

static void sum_hist(struct nd_hist *dst, const struct nd_hist *src)
{
	SUM(dst, src, bucket);
	SUM(dst, src, count);
	SUM(dst, src, sum_us);
}

static void sum_worker(struct nd_metrics *t, const struct nd_metrics *w)
{
	SUM(t, w, requests);
	SUM(t, w, responses_src);
	SUM(t, w, dropped);
	SUM(t, w, truncated);
	SUM(t, w, requests_v6);
	for (size_t i = 0; i < ND_MQT_COUNT; i++)
		sum_hist(&t->duration_type[i], &w->duration_type[i]);
	for (size_t i = 0; i < ND_SRC_COUNT; i++)
		sum_hist(&t->duration_src[i], &w->duration_src[i]);
	SUM(t, w, cache_hits);
	SUM(t, w, cache_misses);
	SUM(t, w, cache_stale);
	SUM(t, w, inflight_joined);
	SUM(t, w, fetches_refused);
	SUM(t, w, kube_answers);
	SUM(t, w, hosts_answers);
	SUM(t, w, tcp_connections);
	SUM(t, w, tcp_rejected);
	SUM(t, w, fwd_requests);
	SUM(t, w, fwd_responses);
	SUM(t, w, fwd_tcp);
	SUM(t, w, fwd_loops);
	SUM(t, w, fwd_rejected);
	for (size_t i = 0; i < ND_MAX_UPSTREAM_SLOTS; i++)
		sum_hist(&t->fwd_duration[i], &w->fwd_duration[i]);
	SUM(t, w, inflight_capped);
	SUM(t, w, failcache_hits);
	SUM(t, w, failcache_holds);
	SUM(t, w, drop_reason);
	SUM(t, w, tcp_evicted);
	SUM(t, w, tcp_rejected_per_client);
}

/* dst += src (or -= when subtract), word by word, src read whole. */
static void add_words(uint64_t *dst, const uint64_t *src, size_t n,
		      bool subtract)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = __atomic_load_n(&src[i], __ATOMIC_RELAXED);

		dst[i] = subtract ? dst[i] - v : dst[i] + v;
	}
}

#define ROW_ADD(dst, src, field, subtract)                          \
	add_words((uint64_t *)&(dst)->field,                        \
		  (const uint64_t *)&(src)->field,                  \
		  sizeof((dst)->field) / sizeof(uint64_t), subtract)

/* The per-upstream counters of row: dst += src, or -= when subtract. */
static void row_add(struct nd_metrics *dst, const struct nd_metrics *src,
		    size_t row, bool subtract)
{
	ROW_ADD(dst, src, fwd_requests[row], subtract);
	ROW_ADD(dst, src, fwd_responses[row], subtract);
	ROW_ADD(dst, src, fwd_loops[row], subtract);
	ROW_ADD(dst, src, fwd_tcp[row], subtract);
	ROW_ADD(dst, src, fwd_duration[row], subtract);
	ROW_ADD(dst, src, fwd_rejected[row], subtract);
}

void nd_metrics_restart_row(struct nd_metrics *base,
			    struct nd_metrics *const *workers, size_t n,
			    size_t row)
{
	if (base == NULL || (workers == NULL && n > 0) ||
	    row >= ND_MAX_UPSTREAM_SLOTS)
		return;
	/* The row's words to 0, then the workers' sums. */
	memset(&base->fwd_requests[row], 0, sizeof(base->fwd_requests[row]));
	memset(base->fwd_responses[row], 0, sizeof(base->fwd_responses[row]));
	memset(&base->fwd_loops[row], 0, sizeof(base->fwd_loops[row]));
	memset(&base->fwd_tcp[row], 0, sizeof(base->fwd_tcp[row]));
	memset(&base->fwd_duration[row], 0, sizeof(base->fwd_duration[row]));
	memset(base->fwd_rejected[row], 0, sizeof(base->fwd_rejected[row]));
	for (size_t w = 0; w < n; w++)
		if (workers[w] != NULL)
			row_add(base, workers[w], row, false);
}

void nd_metrics_sum(struct nd_metrics *t, struct nd_metrics *const *workers,
		    size_t n, const struct nd_metrics *base)
{
	memset(t, 0, sizeof(*t));
	for (size_t w = 0; w < n; w++)
		if (workers != NULL && workers[w] != NULL)
			sum_worker(t, workers[w]);
	if (base == NULL)
		return;
	/* Unsigned: a sum is never below the baseline taken from it. */
	for (size_t row = 0; row < ND_MAX_UPSTREAM_SLOTS; row++)
		row_add(t, base, row, true);
}

/* Rendering, one function per group of families. */

#define L(k, v) ((struct nd_prom_label){ (k), (v) })

static void counter(struct nd_prom *b, const char *name, const char *help,
		    uint64_t v)
{
	nd_prom_family(b, name, "counter", help);
	nd_prom_sample(b, name, NULL, 0, v);
}

static void gauge(struct nd_prom *b, const char *name, const char *help,
		  uint64_t v)
{
	nd_prom_family(b, name, "gauge", help);
	nd_prom_sample(b, name, NULL, 0, v);
}

void nd_metrics_histogram(struct nd_prom *b, const char *name,
			  const struct nd_prom_label *labels, size_t n,
			  const struct nd_hist *h)
{
	const struct nd_prom_hist ph = {
		.bounds_us = nd_hist_bounds_us,
		.n_bounds = ND_HIST_BUCKETS,
		.bucket = h->bucket,
		.count = h->count,
		.sum_us = h->sum_us,
	};

	nd_prom_histogram(b, name, labels, n, &ph);
}

/* The counter row of listed upstream i. */
static size_t row_of(const struct nd_metrics_gauges *g, size_t i)
{
	size_t r = g->upstream_rows != NULL ? g->upstream_rows[i] : i;

	return r < ND_MAX_UPSTREAM_SLOTS ? r : 0;
}

/* The upstream label of upstream i; buf holds a stand-in name. */
static struct nd_prom_label upstream_label(const struct nd_metrics_gauges *g,
					   size_t i, char *buf, size_t cap)
{
	const char *name = g->upstream_names ? g->upstream_names[i] : NULL;

	if (name == NULL) {
		/* Still one distinct series per upstream. */
		snprintf(buf, cap, "#%zu", i);
		name = buf;
	}
	return L("upstream", name);
}

static void render_server(struct nd_prom *b, const struct nd_metrics *t)
{
	nd_prom_family(b, "nodedns_dns_requests_total", "counter",
		       "Queries received, by transport and query type.");
	for (size_t p = 0; p < ND_PROTO_COUNT; p++) {
		for (size_t q = 0; q < ND_MQT_COUNT; q++) {
			const struct nd_prom_label l[] = {
				L("proto", proto_names[p]),
				L("type", qtype_names[q]),
			};

			nd_prom_sample(b, "nodedns_dns_requests_total", l, 2,
				       t->requests[p][q]);
		}
	}

	nd_prom_family(b, "nodedns_dns_responses_total", "counter",
		       "Responses sent, by response code.");
	for (size_t r = 0; r < ND_MRC_COUNT; r++) {
		const struct nd_prom_label l = L("rcode", rcode_names[r]);
		uint64_t v = 0;

		for (size_t src = 0; src < ND_SRC_COUNT; src++)
			v += t->responses_src[src][r];
		nd_prom_sample(b, "nodedns_dns_responses_total", &l, 1, v);
	}

	struct nd_hist all = { { 0 }, 0, 0 };

	for (size_t q = 0; q < ND_MQT_COUNT; q++)
		sum_hist(&all, &t->duration_type[q]);
	nd_prom_family(b, "nodedns_dns_request_duration_seconds", "histogram",
		       "Time from receiving a query to sending its response.");
	nd_metrics_histogram(b, "nodedns_dns_request_duration_seconds", NULL, 0, &all);

	counter(b, "nodedns_dns_dropped_total",
		"Packets dropped unanswered (malformed, or not a query).",
		t->dropped);
	counter(b, "nodedns_dns_truncated_total",
		"UDP responses sent truncated (TC=1).", t->truncated);
	counter(b, "nodedns_cache_hits_total",
		"Queries answered fresh from the cache.", t->cache_hits);
	counter(b, "nodedns_cache_misses_total",
		"Queries not found in the cache.", t->cache_misses);
	counter(b, "nodedns_cache_stale_total",
		"Queries answered with stale data (RFC 8767).", t->cache_stale);
}

static void render_cache_gauges(struct nd_prom *b,
				const struct nd_metrics_gauges *g)
{
	gauge(b, "nodedns_cache_entries", "Answers held in the cache.",
	      g->cache_entries);
	gauge(b, "nodedns_cache_negative_entries",
	      "Of the answers held, those that are NXDOMAIN or NODATA.",
	      g->cache_negative);
	gauge(b, "nodedns_cache_size_bytes", "Bytes held by the cache.",
	      g->cache_bytes);
	counter(b, "nodedns_cache_evictions_total",
		"Cache entries evicted to stay within the size limit.",
		g->cache_evictions);
}

static void render_conn(struct nd_prom *b, const struct nd_metrics *t)
{
	counter(b, "nodedns_inflight_joined_total",
		"Queries that joined an identical query already in flight.",
		t->inflight_joined);
	counter(b, "nodedns_inflight_refused_total",
		"New questions refused at --max-fetches (answered stale or "
		"SERVFAIL at once).",
		t->fetches_refused);
	nd_prom_family(b, "nodedns_dns_answer_duration_seconds", "histogram",
		       "Request duration by where the answer came from "
		       "(cluster, cache, upstream, stale, failed, local).");
	for (size_t i = 0; i < ND_SRC_COUNT; i++) {
		const struct nd_prom_label l = L(
		    "source", nd_answer_source_name((enum nd_answer_source)i));

		nd_metrics_histogram(b, "nodedns_dns_answer_duration_seconds", &l, 1,
			  &t->duration_src[i]);
	}
	counter(b, "nodedns_kube_answers_total",
		"Queries answered from the cluster zone.", t->kube_answers);
	counter(b, "nodedns_hosts_answers_total",
		"Queries answered from --hosts-file.", t->hosts_answers);
	counter(b, "nodedns_tcp_connections_total", "TCP connections accepted.",
		t->tcp_connections);
	counter(b, "nodedns_tcp_rejected_total",
		"TCP connections refused at the connection limit.",
		t->tcp_rejected);
}

/* One upstream's outcomes under label key, ok left out when !with_ok. */
static void outcomes(struct nd_prom *b, const char *name, const char *key,
		     bool with_ok, const struct nd_metrics *t,
		     const struct nd_metrics_gauges *g, size_t i)
{
	char buf[24];

	for (size_t o = 0; o < ND_UP_OUTCOMES; o++) {
		const struct nd_prom_label l[] = {
			upstream_label(g, i, buf, sizeof(buf)),
			L(key, nd_upstream_outcome_name(o)),
		};

		if (o == ND_UP_OK && !with_ok)
			continue;
		nd_prom_sample(b, name, l, 2, t->fwd_responses[row_of(g, i)][o]);
	}
}

static void render_forward(struct nd_prom *b, const struct nd_metrics *t,
			   const struct nd_metrics_gauges *g, size_t nu)
{
	char buf[24];

	nd_prom_family(b, "nodedns_forward_requests_total", "counter",
		       "Attempts sent to each upstream.");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample(b, "nodedns_forward_requests_total", &l, 1,
			       t->fwd_requests[row_of(g, i)]);
	}

	nd_prom_family(b, "nodedns_forward_responses_total", "counter",
		       "Attempts at each upstream, by how they ended.");
	for (size_t i = 0; i < nu; i++)
		outcomes(b, "nodedns_forward_responses_total", "outcome", true,
			 t, g, i);

	/* The non-ok outcomes again, in the shape CoreDNS users alert on. */
	nd_prom_family(b, "nodedns_forward_failures_total", "counter",
		       "Failed attempts at each upstream, by reason.");
	for (size_t i = 0; i < nu; i++)
		outcomes(b, "nodedns_forward_failures_total", "reason", false,
			 t, g, i);

	nd_prom_family(b, "nodedns_forward_tcp_total", "counter",
		       "Attempts at each upstream over TCP (after a truncated "
		       "answer).");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample(b, "nodedns_forward_tcp_total", &l, 1,
			       t->fwd_tcp[row_of(g, i)]);
	}

	nd_prom_family(b, "nodedns_forward_loops_total", "counter",
		       "Loop probes that came back to us through each upstream "
		       "(it forwards to us: a forwarding loop).");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample(b, "nodedns_forward_loops_total", &l, 1,
			       t->fwd_loops[row_of(g, i)]);
	}

	nd_prom_family(b, "nodedns_forward_duration_seconds", "histogram",
		       "Round-trip time of answered attempts at each upstream.");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_metrics_histogram(b, "nodedns_forward_duration_seconds", &l, 1,
			  &t->fwd_duration[row_of(g, i)]);
	}

	nd_prom_family(b, "nodedns_upstream_rejected_total", "counter",
		       "Replies from each upstream's address and port not "
		       "taken, by reason: another ID, another question, our "
		       "question in another 0x20 case, a wrong or missing DNS "
		       "cookie (forged or late; datagrams from another address "
		       "or port never reach us: the sockets are connected).");
	for (size_t i = 0; i < nu; i++) {
		for (int r = ND_FWD_REJ_ID; r < ND_FWD_REJ_COUNT; r++) {
			const struct nd_prom_label l[2] = {
				upstream_label(g, i, buf, sizeof(buf)),
				L("reason", nd_fwd_reject_name(r)),
			};

			nd_prom_sample(b, "nodedns_upstream_rejected_total", l,
				       2, t->fwd_rejected[row_of(g, i)][r]);
		}
	}

	nd_prom_family(b, "nodedns_upstream_no_0x20", "gauge",
		       "1 while an upstream is marked as not echoing the 0x20 "
		       "case of questions (it is asked in lower case).");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample(b, "nodedns_upstream_no_0x20", &l, 1,
			       g->upstream_no_0x20[i]);
	}

	nd_prom_family(b, "nodedns_upstream_cookie", "gauge",
		       "1 while a DNS server cookie (RFC 7873) of an upstream "
		       "is known.");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample(b, "nodedns_upstream_cookie", &l, 1,
			       g->upstream_cookie[i]);
	}

	nd_prom_family(b, "nodedns_upstream_srtt_seconds", "gauge",
		       "Smoothed round-trip time of each upstream (0 = not "
		       "measured).");
	for (size_t i = 0; i < nu; i++) {
		const struct nd_prom_label l =
		    upstream_label(g, i, buf, sizeof(buf));

		nd_prom_sample_seconds(b, "nodedns_upstream_srtt_seconds", &l,
				       1, g->upstream_srtt_us[i]);
	}
}

/* The bounds on what clients and floods can take (issue: nothing takes a
 * node's DNS down). */
static void render_bounds(struct nd_prom *b, const struct nd_metrics *t,
			  const struct nd_metrics_gauges *g)
{
	static const char *const drop_names[ND_DROP_REASONS] = {
		"malformed", "oversize", "outside_allow",
	};
	static const char *const evict_names[ND_EVICT_REASONS] = {
		"cap", "per_client",
	};

	gauge(b, "nodedns_inflight_fetches",
	      "Upstream questions in flight now, every worker's.",
	      g->inflight);
	gauge(b, "nodedns_inflight_limit",
	      "--max-inflight in force (0 = no bound but --max-fetches).",
	      g->inflight_limit);
	counter(b, "nodedns_inflight_capped_total",
		"New questions refused at --max-inflight (answered stale or "
		"SERVFAIL at once).",
		t->inflight_capped);
	gauge(b, "nodedns_fd_limit",
	      "Descriptors the process may open (RLIMIT_NOFILE; 0 = unknown).",
	      g->fd_limit);
	gauge(b, "nodedns_fd_reserved",
	      "Descriptors kept from upstream fetches for the listeners, "
	      "TCP clients and HTTP.",
	      g->fd_reserved);
	gauge(b, "nodedns_failure_cache_entries",
	      "Questions the failure cache (RFC 9520) holds.",
	      g->failcache_entries);
	counter(b, "nodedns_failure_cache_hits_total",
		"Queries answered from the failure cache (RFC 9520) without "
		"asking upstream.",
		t->failcache_hits);
	counter(b, "nodedns_failure_cache_holds_total",
		"Failed resolutions held in the failure cache.",
		t->failcache_holds);
	nd_prom_family(b, "nodedns_dropped_total", "counter",
		       "Packets dropped unanswered, by reason.");
	for (size_t i = 0; i < ND_DROP_REASONS; i++) {
		const struct nd_prom_label l = L("reason", drop_names[i]);

		nd_prom_sample(b, "nodedns_dropped_total", &l, 1,
			       t->drop_reason[i]);
	}
	nd_prom_family(b, "nodedns_tcp_evicted_total", "counter",
		       "TCP connections closed to make room for a new one "
		       "(RFC 7766 6.2.3), by reason.");
	for (size_t i = 0; i < ND_EVICT_REASONS; i++) {
		const struct nd_prom_label l = L("reason", evict_names[i]);

		nd_prom_sample(b, "nodedns_tcp_evicted_total", &l, 1,
			       t->tcp_evicted[i]);
	}
	counter(b, "nodedns_tcp_rejected_per_client_total",
		"TCP connections refused at --tcp-max-per-client (none of the "
		"client's own was idle).",
		t->tcp_rejected_per_client);
}

static void render_kube_store(struct nd_prom *b,
			      const struct nd_kube_store_stats *k)
{
	const struct nd_prom_label ready = L("state", "ready");
	const struct nd_prom_label not_ready = L("state", "not_ready");
	const struct nd_prom_label parts[] = {
		L("part", "objects"), L("part", "index"), L("part", "answers"),
	};

	gauge(b, "nodedns_kube_services", "Services held in the cluster zone.",
	      k->services);
	gauge(b, "nodedns_kube_endpointslices",
	      "EndpointSlices held in the cluster zone.", k->slices);
	gauge(b, "nodedns_kube_namespaces",
	      "Namespaces held in the cluster zone.", k->namespaces);
	nd_prom_family(b, "nodedns_kube_endpoints", "gauge",
		       "Endpoint addresses held, by readiness.");
	nd_prom_sample(b, "nodedns_kube_endpoints", &ready, 1,
		       k->endpoints_ready);
	nd_prom_sample(b, "nodedns_kube_endpoints", &not_ready, 1,
		       k->endpoints_not_ready);
	gauge(b, "nodedns_kube_names", "DNS names rendered in the cluster zone.",
	      k->names);
	gauge(b, "nodedns_kube_store_bytes",
	      "Bytes the cluster zone holds: objects, index and answers.",
	      k->bytes);
	nd_prom_family(b, "nodedns_kube_store_part_bytes", "gauge",
		       "Bytes the cluster zone holds, by part.");
	nd_prom_sample(b, "nodedns_kube_store_part_bytes", &parts[0], 1,
		       k->object_bytes);
	nd_prom_sample(b, "nodedns_kube_store_part_bytes", &parts[1], 1,
		       k->index_bytes);
	nd_prom_sample(b, "nodedns_kube_store_part_bytes", &parts[2], 1,
		       k->answer_bytes);
	counter(b, "nodedns_kube_renders_total",
		"Service re-renders since start.", k->renders);
	gauge(b, "nodedns_kube_max_bytes",
	      "The budget of the cluster zone's index and answers, "
	      "--kube-max-bytes (0: none).",
	      k->max_bytes);
	gauge(b, "nodedns_kube_truncated_objects",
	      "Services rendered without some of their records, past "
	      "--kube-max-service-records.",
	      k->truncated);
	counter(b, "nodedns_kube_truncated_objects_total",
		"Times a Service was rendered without some of its records "
		"(--kube-max-service-records).",
		k->truncations);
	gauge(b, "nodedns_kube_over_budget_objects",
	      "Services not served because their records would take the "
	      "cluster zone past --kube-max-bytes.",
	      k->over_budget);
	counter(b, "nodedns_kube_over_budget_objects_total",
		"Times a Service was withdrawn for --kube-max-bytes.",
		k->over_budget_total);
	gauge(b, "nodedns_kube_cut_names",
	      "Cluster names whose answers are cut to the 64 KiB a DNS "
	      "message holds.",
	      k->names_cut);
}

int nd_metrics_render(struct nd_metrics *const *workers, size_t n,
		      const struct nd_metrics_gauges *g, char **out,
		      size_t *out_len)
{
	static const struct nd_metrics_gauges no_gauges;
	struct nd_prom b;
	struct nd_metrics *t;
	size_t nu, len;
	int rc;

	if (out == NULL || (workers == NULL && n > 0))
		return -EINVAL;
	*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (g == NULL)
		g = &no_gauges;
	nu = g->n_upstreams < ND_MAX_UPSTREAM_SLOTS ? g->n_upstreams
						    : ND_MAX_UPSTREAM_SLOTS;

	/* About 5 KiB: too much for the HTTP thread's stack to be polite. */
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	nd_metrics_sum(t, workers, n, g->baseline);

	nd_prom_attach(&b, NULL, 0);
	render_server(&b, t);
	render_cache_gauges(&b, g);
	render_conn(&b, t);
	render_forward(&b, t, g, nu);
	render_bounds(&b, t, g);
	gauge(&b, "nodedns_uptime_seconds", "Seconds since the daemon started.",
	      g->uptime_s);
	gauge(&b, "nodedns_ready",
	      "1 once the daemon is ready to serve (first sync done), else 0.",
	      g->is_ready ? 1 : 0);
	if (g->kube != NULL)
		render_kube_store(&b, g->kube);
	if (g->coredns != NULL)
		nd_metrics_coredns_render(&b, t, g, g->coredns);
	/* The extra families are whole text already. */
	if (g->extra != NULL && g->extra_len > 0)
		nd_prom_raw(&b, g->extra, g->extra_len);
	free(t);
	rc = nd_prom_finish(&b, out, &len);
	if (rc < 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	if (out_len != NULL)
		*out_len = len;
	return 0;
}
