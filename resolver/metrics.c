/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

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

/* The output buffer: grows by doubling, remembers a failed allocation. */

struct obuf {
	char *p;
	size_t len; /* bytes written, without the NUL */
	size_t cap;
	bool failed; /* an allocation failed; later writes do nothing */
};

static bool ob_reserve(struct obuf *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->failed)
		return false;
	if (more < b->cap - b->len)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (more >= cap - b->len) {
		if (cap > SIZE_MAX / 2)
			goto fail;
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (np == NULL)
		goto fail;
	b->p = np;
	b->cap = cap;
	return true;
fail:
	b->failed = true;
	return false;
}

static void ob_add(struct obuf *b, const char *s, size_t n)
{
	if (!ob_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void ob_str(struct obuf *b, const char *s)
{
	ob_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
ob_printf(struct obuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Every line we format is short; 256 bytes spares a second pass. */
	if (!ob_reserve(b, 256))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!ob_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A label value, escaped as the text format requires (\\, \", \n). */
static void ob_label(struct obuf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '\\':
			ob_add(b, "\\\\", 2);
			break;
		case '"':
			ob_add(b, "\\\"", 2);
			break;
		case '\n':
			ob_add(b, "\\n", 2);
			break;
		default:
			ob_add(b, v, 1);
			break;
		}
	}
}

/*
 * Microseconds as decimal seconds ("0.00005", "2.5", "1") with integer
 * arithmetic, so bucket bounds and sums print exactly and the same on every
 * platform, with no float rounding.
 */
static void ob_seconds(struct obuf *b, uint64_t us)
{
	char frac[8];
	int n;

	if (us % 1000000 == 0) {
		ob_printf(b, "%llu", (unsigned long long)(us / 1000000));
		return;
	}
	n = snprintf(frac, sizeof(frac), "%06u", (unsigned)(us % 1000000));
	while (n > 0 && frac[n - 1] == '0')
		n--;
	frac[n] = '\0';
	ob_printf(b, "%llu.%s", (unsigned long long)(us / 1000000), frac);
}

static void family(struct obuf *b, const char *name, const char *type,
		   const char *help)
{
	ob_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels} value, where labels is already escaped text or "". */
static void sample(struct obuf *b, const char *name, const char *labels,
		   uint64_t v)
{
	if (labels[0] != '\0')
		ob_printf(b, "%s{%s} %llu\n", name, labels,
			  (unsigned long long)v);
	else
		ob_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

/*
 * One histogram's sample lines: cumulative buckets, +Inf equal to _count,
 * _sum in seconds. labels: escaped text that goes before le ("" for none).
 */
static void histogram(struct obuf *b, const char *name, const char *labels,
		      const struct nd_hist *h)
{
	const char *sep = labels[0] != '\0' ? "," : "";
	uint64_t cum = 0;

	for (size_t i = 0; i < ND_HIST_BUCKETS; i++) {
		cum += h->bucket[i];
		ob_printf(b, "%s_bucket{%s%sle=\"", name, labels, sep);
		ob_seconds(b, nd_hist_bounds_us[i]);
		ob_printf(b, "\"} %llu\n", (unsigned long long)cum);
	}
	/*
	 * The bucket sum and the count may differ by an observation a worker
	 * is half-way through; the format requires +Inf == _count, so both
	 * print the larger.
	 */
	cum += h->bucket[ND_HIST_BUCKETS];
	if (h->count > cum)
		cum = h->count;
	ob_printf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
		  (unsigned long long)cum);
	ob_printf(b, "%s_sum%s%s%s ", name, labels[0] ? "{" : "", labels,
		  labels[0] ? "}" : "");
	ob_seconds(b, h->sum_us);
	ob_printf(b, "\n%s_count%s%s%s %llu\n", name, labels[0] ? "{" : "",
		  labels, labels[0] ? "}" : "", (unsigned long long)cum);
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
	SUM(t, w, responses);
	SUM(t, w, dropped);
	SUM(t, w, truncated);
	sum_hist(&t->duration, &w->duration);
	for (size_t i = 0; i < ND_SRC_COUNT; i++)
		sum_hist(&t->duration_src[i], &w->duration_src[i]);
	SUM(t, w, cache_hits);
	SUM(t, w, cache_misses);
	SUM(t, w, cache_stale);
	SUM(t, w, inflight_joined);
	SUM(t, w, kube_answers);
	SUM(t, w, tcp_connections);
	SUM(t, w, tcp_rejected);
	SUM(t, w, fwd_requests);
	SUM(t, w, fwd_responses);
	SUM(t, w, fwd_tcp);
	for (size_t i = 0; i < ND_MAX_UPSTREAMS; i++)
		sum_hist(&t->fwd_duration[i], &w->fwd_duration[i]);
}

/* Rendering, one function per group of families. */

/* Escaped `upstream="..."` of upstream i into lb (reset first). */
static void upstream_label(struct obuf *lb, const struct nd_metrics_gauges *g,
			   size_t i)
{
	const char *name = NULL;

	lb->len = 0;
	if (lb->p != NULL)
		lb->p[0] = '\0';
	if (g->upstream_names != NULL)
		name = g->upstream_names[i];
	ob_str(lb, "upstream=\"");
	if (name != NULL) {
		ob_label(lb, name);
	} else {
		/* Still one distinct series per upstream. */
		ob_printf(lb, "#%zu", i);
	}
	ob_str(lb, "\"");
}

static void render_server(struct obuf *b, const struct nd_metrics *t)
{
	char lbl[64];

	family(b, "nodedns_dns_requests_total", "counter",
	       "Queries received, by transport and query type.");
	for (size_t p = 0; p < ND_PROTO_COUNT; p++) {
		for (size_t q = 0; q < ND_MQT_COUNT; q++) {
			snprintf(lbl, sizeof(lbl), "proto=\"%s\",type=\"%s\"",
				 proto_names[p], qtype_names[q]);
			sample(b, "nodedns_dns_requests_total", lbl,
			       t->requests[p][q]);
		}
	}

	family(b, "nodedns_dns_responses_total", "counter",
	       "Responses sent, by response code.");
	for (size_t r = 0; r < ND_MRC_COUNT; r++) {
		snprintf(lbl, sizeof(lbl), "rcode=\"%s\"", rcode_names[r]);
		sample(b, "nodedns_dns_responses_total", lbl,
		       t->responses[r]);
	}

	family(b, "nodedns_dns_request_duration_seconds", "histogram",
	       "Time from receiving a query to sending its response.");
	histogram(b, "nodedns_dns_request_duration_seconds", "", &t->duration);

	family(b, "nodedns_dns_dropped_total", "counter",
	       "Packets dropped unanswered (malformed, or not a query).");
	sample(b, "nodedns_dns_dropped_total", "", t->dropped);
	family(b, "nodedns_dns_truncated_total", "counter",
	       "UDP responses sent truncated (TC=1).");
	sample(b, "nodedns_dns_truncated_total", "", t->truncated);

	family(b, "nodedns_cache_hits_total", "counter",
	       "Queries answered fresh from the cache.");
	sample(b, "nodedns_cache_hits_total", "", t->cache_hits);
	family(b, "nodedns_cache_misses_total", "counter",
	       "Queries not found in the cache.");
	sample(b, "nodedns_cache_misses_total", "", t->cache_misses);
	family(b, "nodedns_cache_stale_total", "counter",
	       "Queries answered with stale data (RFC 8767).");
	sample(b, "nodedns_cache_stale_total", "", t->cache_stale);
}

static void render_cache_gauges(struct obuf *b,
				const struct nd_metrics_gauges *g)
{
	family(b, "nodedns_cache_entries", "gauge",
	       "Answers held in the cache.");
	sample(b, "nodedns_cache_entries", "", g->cache_entries);
	family(b, "nodedns_cache_size_bytes", "gauge",
	       "Bytes held by the cache.");
	sample(b, "nodedns_cache_size_bytes", "", g->cache_bytes);
	family(b, "nodedns_cache_evictions_total", "counter",
	       "Cache entries evicted to stay within the size limit.");
	sample(b, "nodedns_cache_evictions_total", "", g->cache_evictions);
}

static void render_conn(struct obuf *b, const struct nd_metrics *t)
{
	family(b, "nodedns_inflight_joined_total", "counter",
	       "Queries that joined an identical query already in flight.");
	sample(b, "nodedns_inflight_joined_total", "", t->inflight_joined);
	family(b, "nodedns_dns_answer_duration_seconds", "histogram",
	       "Request duration by where the answer came from (cluster, "
	       "cache, upstream, stale, failed, local).");
	for (size_t i = 0; i < ND_SRC_COUNT; i++) {
		char lab[48];
		snprintf(lab, sizeof(lab), "source=\"%s\"",
			 nd_answer_source_name((enum nd_answer_source)i));
		histogram(b, "nodedns_dns_answer_duration_seconds", lab,
			  &t->duration_src[i]);
	}
	family(b, "nodedns_kube_answers_total", "counter",
	       "Queries answered from the cluster zone.");
	sample(b, "nodedns_kube_answers_total", "", t->kube_answers);
	family(b, "nodedns_tcp_connections_total", "counter",
	       "TCP connections accepted.");
	sample(b, "nodedns_tcp_connections_total", "", t->tcp_connections);
	family(b, "nodedns_tcp_rejected_total", "counter",
	       "TCP connections refused at the connection limit.");
	sample(b, "nodedns_tcp_rejected_total", "", t->tcp_rejected);
}

static void render_forward(struct obuf *b, struct obuf *lb,
			   const struct nd_metrics *t,
			   const struct nd_metrics_gauges *g, size_t nu)
{
	char lbl[64];

	family(b, "nodedns_forward_requests_total", "counter",
	       "Attempts sent to each upstream.");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		sample(b, "nodedns_forward_requests_total", lb->p,
		       t->fwd_requests[i]);
	}

	family(b, "nodedns_forward_responses_total", "counter",
	       "Attempts at each upstream, by how they ended.");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		for (size_t o = 0; o < ND_UP_OUTCOMES; o++) {
			snprintf(lbl, sizeof(lbl), ",outcome=\"%s\"",
				 nd_upstream_outcome_name(o));
			ob_printf(b, "nodedns_forward_responses_total{%s%s} %llu\n",
				  lb->p, lbl,
				  (unsigned long long)t->fwd_responses[i][o]);
		}
	}

	/* The non-ok outcomes again, in the shape CoreDNS users alert on. */
	family(b, "nodedns_forward_failures_total", "counter",
	       "Failed attempts at each upstream, by reason.");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		for (size_t o = 0; o < ND_UP_OUTCOMES; o++) {
			if (o == ND_UP_OK)
				continue;
			snprintf(lbl, sizeof(lbl), ",reason=\"%s\"",
				 nd_upstream_outcome_name(o));
			ob_printf(b, "nodedns_forward_failures_total{%s%s} %llu\n",
				  lb->p, lbl,
				  (unsigned long long)t->fwd_responses[i][o]);
		}
	}

	family(b, "nodedns_forward_tcp_total", "counter",
	       "Attempts at each upstream over TCP (after a truncated answer).");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		sample(b, "nodedns_forward_tcp_total", lb->p, t->fwd_tcp[i]);
	}

	family(b, "nodedns_forward_duration_seconds", "histogram",
	       "Round-trip time of answered attempts at each upstream.");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		histogram(b, "nodedns_forward_duration_seconds", lb->p,
			  &t->fwd_duration[i]);
	}

	family(b, "nodedns_upstream_srtt_seconds", "gauge",
	       "Smoothed round-trip time of each upstream (0 = not measured).");
	for (size_t i = 0; i < nu; i++) {
		upstream_label(lb, g, i);
		if (lb->failed)
			return;
		ob_printf(b, "nodedns_upstream_srtt_seconds{%s} ", lb->p);
		ob_seconds(b, g->upstream_srtt_us[i]);
		ob_str(b, "\n");
	}
}

static void render_kube_store(struct obuf *b,
			      const struct nd_kube_store_stats *k)
{
	family(b, "nodedns_kube_services", "gauge",
	       "Services held in the cluster zone.");
	sample(b, "nodedns_kube_services", "", k->services);
	family(b, "nodedns_kube_endpointslices", "gauge",
	       "EndpointSlices held in the cluster zone.");
	sample(b, "nodedns_kube_endpointslices", "", k->slices);
	family(b, "nodedns_kube_namespaces", "gauge",
	       "Namespaces held in the cluster zone.");
	sample(b, "nodedns_kube_namespaces", "", k->namespaces);
	family(b, "nodedns_kube_endpoints", "gauge",
	       "Endpoint addresses held, by readiness.");
	sample(b, "nodedns_kube_endpoints", "state=\"ready\"",
	       k->endpoints_ready);
	sample(b, "nodedns_kube_endpoints", "state=\"not_ready\"",
	       k->endpoints_not_ready);
	family(b, "nodedns_kube_names", "gauge",
	       "DNS names rendered in the cluster zone.");
	sample(b, "nodedns_kube_names", "", k->names);
	family(b, "nodedns_kube_store_bytes", "gauge",
	       "Bytes the cluster zone holds: objects, index and answers.");
	sample(b, "nodedns_kube_store_bytes", "", k->bytes);
	family(b, "nodedns_kube_store_part_bytes", "gauge",
	       "Bytes the cluster zone holds, by part.");
	sample(b, "nodedns_kube_store_part_bytes", "part=\"objects\"",
	       k->object_bytes);
	sample(b, "nodedns_kube_store_part_bytes", "part=\"index\"",
	       k->index_bytes);
	sample(b, "nodedns_kube_store_part_bytes", "part=\"answers\"",
	       k->answer_bytes);
	family(b, "nodedns_kube_renders_total", "counter",
	       "Service re-renders since start.");
	sample(b, "nodedns_kube_renders_total", "", k->renders);
}

int nd_metrics_render(struct nd_metrics *const *workers, size_t n,
		      const struct nd_metrics_gauges *g, char **out,
		      size_t *out_len)
{
	static const struct nd_metrics_gauges no_gauges;
	struct obuf b = { 0 }, lb = { 0 };
	struct nd_metrics *t;
	size_t nu;

	if (out == NULL || (workers == NULL && n > 0))
		return -EINVAL;
	*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (g == NULL)
		g = &no_gauges;
	nu = g->n_upstreams < ND_MAX_UPSTREAMS ? g->n_upstreams :
						 ND_MAX_UPSTREAMS;

	/* About 5 KiB: too much for the HTTP thread's stack to be polite. */
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	for (size_t w = 0; w < n; w++)
		if (workers[w] != NULL)
			sum_worker(t, workers[w]);

	render_server(&b, t);
	render_cache_gauges(&b, g);
	render_conn(&b, t);
	render_forward(&b, &lb, t, g, nu);

	family(&b, "nodedns_uptime_seconds", "gauge",
	       "Seconds since the daemon started.");
	sample(&b, "nodedns_uptime_seconds", "", g->uptime_s);
	family(&b, "nodedns_ready", "gauge",
	       "1 once the daemon is ready to serve (first sync done), else 0.");
	sample(&b, "nodedns_ready", "", g->is_ready ? 1 : 0);
	if (g->kube != NULL)
		render_kube_store(&b, g->kube);
	if (g->extra != NULL && g->extra_len > 0)
		ob_add(&b, g->extra, g->extra_len);

	free(t);
	free(lb.p);
	if (b.failed || lb.failed || b.p == NULL) {
		free(b.p);
		return -ENOMEM;
	}
	*out = b.p;
	if (out_len != NULL)
		*out_len = b.len;
	return 0;
}
