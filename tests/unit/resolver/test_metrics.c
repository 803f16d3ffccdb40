/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/metrics.c: histogram, label indexes, Prometheus text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "resolver/metrics.h"

/* Does text hold line as one whole line? */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

#define assert_line(text, line)                                        \
	do {                                                           \
		if (!has_line((text), (line)))                         \
			fail_msg("missing line: %s", (line));          \
	} while (0)

static char *render(struct nd_metrics *const *w, size_t n,
		    const struct nd_metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(nd_metrics_render(w, n, g, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

static void test_bounds(void **state)
{
	static const uint32_t want[ND_HIST_BUCKETS] = {
		50,	100,	 250,	  500,	   1000,    2500,
		5000,	10000,	 25000,	  50000,   100000,  250000,
		500000, 1000000, 2500000, 5000000,
	};

	(void)state;
	assert_memory_equal(nd_hist_bounds_us, want, sizeof(want));
}

static void test_hist_observe(void **state)
{
	struct nd_hist h;

	(void)state;
	memset(&h, 0, sizeof(h));
	nd_hist_observe(&h, 0);	      /* <= 50us */
	nd_hist_observe(&h, 50);      /* bounds are inclusive (le) */
	nd_hist_observe(&h, 51);      /* <= 100us */
	nd_hist_observe(&h, 5000000); /* <= 5s */
	nd_hist_observe(&h, 5000001); /* +Inf */
	nd_hist_observe(&h, UINT32_MAX);
	nd_hist_observe(NULL, 1); /* harmless */
	assert_int_equal(h.bucket[0], 2);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[ND_HIST_BUCKETS - 1], 1);
	assert_int_equal(h.bucket[ND_HIST_BUCKETS], 2);
	assert_int_equal(h.count, 6);
	assert_int_equal(h.sum_us,
			 0 + 50 + 51 + 5000000 + 5000001 + (uint64_t)UINT32_MAX);
}

static void test_qtype_index(void **state)
{
	(void)state;
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_A), ND_MQT_A);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_AAAA), ND_MQT_AAAA);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_CNAME), ND_MQT_CNAME);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_MX), ND_MQT_MX);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_TXT), ND_MQT_TXT);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_SRV), ND_MQT_SRV);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_PTR), ND_MQT_PTR);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_NS), ND_MQT_NS);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_SOA), ND_MQT_SOA);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_ANY), ND_MQT_ANY);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_OPT), ND_MQT_OTHER);
	assert_int_equal(nd_metrics_qtype_index(ND_TYPE_AXFR), ND_MQT_OTHER);
	assert_int_equal(nd_metrics_qtype_index(0), ND_MQT_OTHER);
	assert_int_equal(nd_metrics_qtype_index(65535), ND_MQT_OTHER);
}

static void test_rcode_index(void **state)
{
	(void)state;
	assert_int_equal(nd_metrics_rcode_index(0), ND_MRC_NOERROR);
	assert_int_equal(nd_metrics_rcode_index(1), ND_MRC_FORMERR);
	assert_int_equal(nd_metrics_rcode_index(2), ND_MRC_SERVFAIL);
	assert_int_equal(nd_metrics_rcode_index(3), ND_MRC_NXDOMAIN);
	assert_int_equal(nd_metrics_rcode_index(4), ND_MRC_NOTIMP);
	assert_int_equal(nd_metrics_rcode_index(5), ND_MRC_REFUSED);
	assert_int_equal(nd_metrics_rcode_index(16), ND_MRC_BADVERS);
	assert_int_equal(nd_metrics_rcode_index(6), ND_MRC_OTHER);
	assert_int_equal(nd_metrics_rcode_index(9), ND_MRC_OTHER);
	assert_int_equal(nd_metrics_rcode_index(-1), ND_MRC_OTHER);
	assert_int_equal(nd_metrics_rcode_index(4096), ND_MRC_OTHER);
}

static void test_render_sums_workers(void **state)
{
	static const char *const names[] = { "10.0.0.1:53", "[fd00::1]:53" };
	struct nd_metrics *w[3];
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	w[0] = calloc(1, sizeof(struct nd_metrics));
	w[1] = calloc(1, sizeof(struct nd_metrics));
	w[2] = NULL; /* a worker not started yet is skipped */
	assert_non_null(w[0]);
	assert_non_null(w[1]);

	w[0]->requests[ND_PROTO_UDP][ND_MQT_A] = 7;
	w[1]->requests[ND_PROTO_UDP][ND_MQT_A] = 5;
	w[1]->requests[ND_PROTO_TCP][ND_MQT_AAAA] = 2;
	w[0]->requests[ND_PROTO_UDP][ND_MQT_OTHER] = 1;
	w[0]->responses_src[ND_SRC_CACHE][ND_MRC_NOERROR] = 6;
	w[0]->responses_src[ND_SRC_CLUSTER][ND_MRC_NOERROR] = 4;
	w[1]->responses_src[ND_SRC_UPSTREAM][ND_MRC_NOERROR] = 3;
	w[1]->responses_src[ND_SRC_UPSTREAM][ND_MRC_NXDOMAIN] = 4;
	w[0]->responses_src[ND_SRC_LOCAL][ND_MRC_OTHER] = 1;
	w[0]->dropped = 1;
	w[1]->dropped = 2;
	w[0]->truncated = 4;
	w[0]->cache_hits = 100;
	w[1]->cache_hits = 23;
	w[0]->cache_misses = 8;
	w[1]->cache_stale = 3;
	w[1]->inflight_joined = 6;
	w[0]->tcp_connections = 11;
	w[1]->tcp_connections = 1;
	w[1]->tcp_rejected = 2;
	w[0]->fwd_requests[0] = 9;
	w[1]->fwd_requests[0] = 1;
	w[1]->fwd_requests[1] = 4;
	w[0]->fwd_responses[0][ND_UP_OK] = 6;
	w[1]->fwd_responses[0][ND_UP_OK] = 1;
	w[0]->fwd_responses[0][ND_UP_TIMEOUT] = 2;
	w[1]->fwd_responses[0][ND_UP_TIMEOUT] = 1;
	w[1]->fwd_responses[1][ND_UP_SERVFAIL] = 4;
	w[0]->fwd_tcp[1] = 3;
	w[0]->fwd_rejected[0][ND_FWD_REJ_CASE] = 5;
	w[0]->fwd_rejected[1][ND_FWD_REJ_COOKIE] = 2;
	/* Duration: 30us and 2ms on one worker, 2ms and 10s on the other. */
	nd_hist_observe(&w[0]->duration_type[ND_MQT_A], 30);
	nd_hist_observe(&w[0]->duration_type[ND_MQT_MX], 2000);
	nd_hist_observe(&w[1]->duration_type[ND_MQT_A], 2000);
	nd_hist_observe(&w[1]->duration_type[ND_MQT_OTHER], 10000000);
	nd_hist_observe(&w[0]->fwd_duration[1], 1500);
	nd_hist_observe(&w[1]->fwd_duration[1], 700);

	memset(&g, 0, sizeof(g));
	g.cache_entries = 42;
	g.cache_bytes = 65536;
	g.cache_evictions = 5;
	g.upstream_names = names;
	g.n_upstreams = 2;
	g.upstream_srtt_us[0] = 1250;
	g.upstream_no_0x20[1] = 1;
	g.upstream_cookie[0] = 1;
	g.upstream_srtt_us[1] = 0;
	g.uptime_s = 3600;
	g.is_ready = 1;

	text = render(w, 3, &g);

	assert_line(text, "nodedns_dns_requests_total{proto=\"udp\",type=\"A\"} 12");
	assert_line(text, "nodedns_dns_requests_total{proto=\"tcp\",type=\"AAAA\"} 2");
	assert_line(text, "nodedns_dns_requests_total{proto=\"udp\",type=\"other\"} 1");
	assert_line(text, "nodedns_dns_requests_total{proto=\"tcp\",type=\"SRV\"} 0");
	assert_line(text, "nodedns_dns_responses_total{rcode=\"NOERROR\"} 13");
	assert_line(text, "nodedns_dns_responses_total{rcode=\"NXDOMAIN\"} 4");
	assert_line(text, "nodedns_dns_responses_total{rcode=\"BADVERS\"} 0");
	assert_line(text, "nodedns_dns_responses_total{rcode=\"other\"} 1");
	assert_line(text, "nodedns_dns_dropped_total 3");
	assert_line(text, "nodedns_dns_truncated_total 4");
	assert_line(text, "nodedns_cache_hits_total 123");
	assert_line(text, "nodedns_cache_misses_total 8");
	assert_line(text, "nodedns_cache_stale_total 3");
	assert_line(text, "nodedns_cache_entries 42");
	assert_line(text, "nodedns_cache_size_bytes 65536");
	assert_line(text, "nodedns_cache_evictions_total 5");
	assert_line(text, "nodedns_inflight_joined_total 6");
	assert_line(text, "nodedns_tcp_connections_total 12");
	assert_line(text, "nodedns_tcp_rejected_total 2");

	/* Request duration: cumulative buckets, +Inf == count, sum in s. */
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"0.00005\"} 1");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"0.0001\"} 1");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"0.001\"} 1");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"0.0025\"} 3");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"2.5\"} 3");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"5\"} 3");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"+Inf\"} 4");
	assert_line(text, "nodedns_dns_request_duration_seconds_sum 10.00403");
	assert_line(text, "nodedns_dns_request_duration_seconds_count 4");

	/* Per upstream. */
	assert_line(text, "nodedns_forward_requests_total{upstream=\"10.0.0.1:53\"} 10");
	assert_line(text, "nodedns_forward_requests_total{upstream=\"[fd00::1]:53\"} 4");
	assert_line(text, "nodedns_forward_responses_total{upstream=\"10.0.0.1:53\",outcome=\"ok\"} 7");
	assert_line(text, "nodedns_forward_responses_total{upstream=\"10.0.0.1:53\",outcome=\"timeout\"} 3");
	assert_line(text, "nodedns_forward_responses_total{upstream=\"[fd00::1]:53\",outcome=\"servfail\"} 4");
	assert_line(text, "nodedns_forward_responses_total{upstream=\"[fd00::1]:53\",outcome=\"ok\"} 0");
	assert_line(text, "nodedns_forward_failures_total{upstream=\"10.0.0.1:53\",reason=\"timeout\"} 3");
	assert_line(text, "nodedns_forward_failures_total{upstream=\"10.0.0.1:53\",reason=\"network\"} 0");
	assert_line(text, "nodedns_forward_failures_total{upstream=\"[fd00::1]:53\",reason=\"servfail\"} 4");
	assert_null(strstr(text, "reason=\"ok\""));
	assert_line(text, "nodedns_forward_tcp_total{upstream=\"[fd00::1]:53\"} 3");
	assert_line(text, "nodedns_forward_tcp_total{upstream=\"10.0.0.1:53\"} 0");
	assert_line(text, "nodedns_forward_duration_seconds_bucket{upstream=\"[fd00::1]:53\",le=\"0.0005\"} 0");
	assert_line(text, "nodedns_forward_duration_seconds_bucket{upstream=\"[fd00::1]:53\",le=\"0.001\"} 1");
	assert_line(text, "nodedns_forward_duration_seconds_bucket{upstream=\"[fd00::1]:53\",le=\"0.0025\"} 2");
	assert_line(text, "nodedns_forward_duration_seconds_bucket{upstream=\"[fd00::1]:53\",le=\"+Inf\"} 2");
	assert_line(text, "nodedns_forward_duration_seconds_sum{upstream=\"[fd00::1]:53\"} 0.0022");
	assert_line(text, "nodedns_forward_duration_seconds_count{upstream=\"[fd00::1]:53\"} 2");
	assert_line(text, "nodedns_forward_duration_seconds_bucket{upstream=\"10.0.0.1:53\",le=\"+Inf\"} 0");
	assert_line(text, "nodedns_forward_duration_seconds_sum{upstream=\"10.0.0.1:53\"} 0");
	assert_line(text, "nodedns_upstream_srtt_seconds{upstream=\"10.0.0.1:53\"} 0.00125");
	assert_line(text, "nodedns_upstream_srtt_seconds{upstream=\"[fd00::1]:53\"} 0");
	assert_line(text, "nodedns_upstream_rejected_total{upstream=\"10.0.0.1:53\",reason=\"case\"} 5");
	assert_line(text, "nodedns_upstream_rejected_total{upstream=\"10.0.0.1:53\",reason=\"id\"} 0");
	assert_line(text, "nodedns_upstream_rejected_total{upstream=\"[fd00::1]:53\",reason=\"cookie\"} 2");
	assert_null(strstr(text, "reason=\"none\""));
	assert_line(text, "nodedns_upstream_no_0x20{upstream=\"[fd00::1]:53\"} 1");
	assert_line(text, "nodedns_upstream_no_0x20{upstream=\"10.0.0.1:53\"} 0");
	assert_line(text, "nodedns_upstream_cookie{upstream=\"10.0.0.1:53\"} 1");
	assert_line(text, "nodedns_uptime_seconds 3600");
	assert_line(text, "nodedns_ready 1");
	/* Only the upstreams the gauges name. */
	assert_null(strstr(text, "#2"));

	free(text);
	free(w[0]);
	free(w[1]);
}

/*
 * Every bucket line of every histogram is cumulative and its +Inf bucket
 * equals _count.
 */
static void check_histograms(const char *text)
{
	const char *p = text;
	char prev_series[512] = "";
	unsigned long long prev = 0;
	int in_series = 0, checked = 0;

	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		char line[512], series[512];
		const char *le, *sp;
		unsigned long long v;

		assert_non_null(eol);
		assert_true((size_t)(eol - p) < sizeof(line));
		memcpy(line, p, (size_t)(eol - p));
		line[eol - p] = '\0';
		p = eol + 1;
		le = strstr(line, "le=\"");
		sp = strrchr(line, ' ');
		if (strstr(line, "_bucket{") == NULL || le == NULL) {
			if (strstr(line, "_count") != NULL && in_series) {
				assert_non_null(sp);
				v = strtoull(sp + 1, NULL, 10);
				assert_int_equal(v, prev);
				checked++;
				in_series = 0;
			}
			continue;
		}
		/* The series is the line up to le=. */
		memcpy(series, line, (size_t)(le - line));
		series[le - line] = '\0';
		v = strtoull(sp + 1, NULL, 10);
		if (!in_series || strcmp(series, prev_series) != 0) {
			strcpy(prev_series, series);
			prev = 0;
			in_series = 1;
		}
		assert_true(v >= prev);
		prev = v;
	}
	assert_true(checked > 0);
}

static void test_histograms_cumulative(void **state)
{
	static const char *const names[] = { "a:53", "b:53" };
	struct nd_metrics *w[1];
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	w[0] = calloc(1, sizeof(struct nd_metrics));
	assert_non_null(w[0]);
	for (uint64_t us = 1; us < 20000000; us = us * 3 + 7) {
		nd_hist_observe(&w[0]->duration_type[ND_MQT_TXT], us);
		nd_hist_observe(&w[0]->fwd_duration[1], us / 2);
	}
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.n_upstreams = 2;
	text = render(w, 1, &g);
	check_histograms(text);
	free(text);
	free(w[0]);
}

static void test_label_escaping(void **state)
{
	static const char *const names[] = { "a\\b\"c\nd", NULL };
	struct nd_metrics *w[1];
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	w[0] = calloc(1, sizeof(struct nd_metrics));
	assert_non_null(w[0]);
	w[0]->fwd_requests[0] = 1;
	w[0]->fwd_requests[1] = 2;
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.n_upstreams = 2;
	text = render(w, 1, &g);
	assert_line(text, "nodedns_forward_requests_total{upstream=\"a\\\\b\\\"c\\nd\"} 1");
	/* A missing name still gives a distinct series. */
	assert_line(text, "nodedns_forward_requests_total{upstream=\"#1\"} 2");
	free(text);
	free(w[0]);
}

/* Each family: its HELP then TYPE line, before any of its samples. */
static void test_help_and_type(void **state)
{
	static const struct {
		const char *name, *type;
	} fams[] = {
		{ "nodedns_dns_requests_total", "counter" },
		{ "nodedns_dns_responses_total", "counter" },
		{ "nodedns_dns_request_duration_seconds", "histogram" },
		{ "nodedns_dns_dropped_total", "counter" },
		{ "nodedns_dns_truncated_total", "counter" },
		{ "nodedns_cache_hits_total", "counter" },
		{ "nodedns_cache_misses_total", "counter" },
		{ "nodedns_cache_stale_total", "counter" },
		{ "nodedns_cache_entries", "gauge" },
		{ "nodedns_cache_size_bytes", "gauge" },
		{ "nodedns_cache_negative_entries", "gauge" },
		{ "nodedns_cache_evictions_total", "counter" },
		{ "nodedns_inflight_joined_total", "counter" },
		{ "nodedns_dns_answer_duration_seconds", "histogram" },
		{ "nodedns_kube_answers_total", "counter" },
		{ "nodedns_hosts_answers_total", "counter" },
		{ "nodedns_tcp_connections_total", "counter" },
		{ "nodedns_tcp_rejected_total", "counter" },
		{ "nodedns_forward_requests_total", "counter" },
		{ "nodedns_forward_responses_total", "counter" },
		{ "nodedns_forward_failures_total", "counter" },
		{ "nodedns_forward_tcp_total", "counter" },
		{ "nodedns_forward_loops_total", "counter" },
		{ "nodedns_inflight_refused_total", "counter" },
		{ "nodedns_forward_duration_seconds", "histogram" },
		{ "nodedns_upstream_srtt_seconds", "gauge" },
		{ "nodedns_upstream_rejected_total", "counter" },
		{ "nodedns_upstream_no_0x20", "gauge" },
		{ "nodedns_upstream_cookie", "gauge" },
		{ "nodedns_uptime_seconds", "gauge" },
		{ "nodedns_ready", "gauge" },
		{ "nodedns_inflight_fetches", "gauge" },
		{ "nodedns_inflight_limit", "gauge" },
		{ "nodedns_inflight_capped_total", "counter" },
		{ "nodedns_fd_limit", "gauge" },
		{ "nodedns_fd_reserved", "gauge" },
		{ "nodedns_failure_cache_entries", "gauge" },
		{ "nodedns_failure_cache_hits_total", "counter" },
		{ "nodedns_failure_cache_holds_total", "counter" },
		{ "nodedns_dropped_total", "counter" },
		{ "nodedns_tcp_evicted_total", "counter" },
		{ "nodedns_tcp_rejected_per_client_total", "counter" },
	};
	static const char *const names[] = { "1.2.3.4:53" };
	struct nd_metrics m;
	struct nd_metrics *w[1] = { &m };
	struct nd_metrics_gauges g;
	size_t n_help = 0, n_type = 0;
	char *text, line[256];

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.n_upstreams = 1;
	text = render(w, 1, &g);
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		char *help, *type, *first;

		snprintf(line, sizeof(line), "# HELP %s ", fams[i].name);
		help = strstr(text, line);
		if (help == NULL)
			fail_msg("no HELP for %s", fams[i].name);
		snprintf(line, sizeof(line), "\n# TYPE %s %s\n", fams[i].name,
			 fams[i].type);
		type = strstr(text, line);
		if (type == NULL)
			fail_msg("no TYPE %s for %s", fams[i].type,
				 fams[i].name);
		/* TYPE directly follows HELP. */
		assert_ptr_equal(strchr(help, '\n'), type);
		/* The first sample comes after them. */
		snprintf(line, sizeof(line), "\n%s", fams[i].name);
		first = strstr(text, line);
		assert_non_null(first);
		assert_true(first > type);
	}
	/* And no family without them. */
	for (const char *p = text; (p = strstr(p, "# HELP ")) != NULL; p++)
		n_help++;
	for (const char *p = text; (p = strstr(p, "# TYPE ")) != NULL; p++)
		n_type++;
	assert_int_equal(n_help, sizeof(fams) / sizeof(fams[0]));
	assert_int_equal(n_type, sizeof(fams) / sizeof(fams[0]));
	free(text);
}

/* The bounds' counters summed over workers, and their gauges. */
static void test_render_bounds(void **state)
{
	struct nd_metrics a, b;
	struct nd_metrics *w[2] = { &a, &b };
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&g, 0, sizeof(g));
	a.inflight_capped = 5;
	b.inflight_capped = 2;
	a.failcache_hits = 19;
	b.failcache_holds = 1;
	a.drop_reason[ND_DROP_OVERSIZE] = 1;
	b.drop_reason[ND_DROP_OVERSIZE] = 2;
	b.drop_reason[ND_DROP_OUTSIDE_ALLOW] = 4;
	a.tcp_evicted[ND_EVICT_CAP] = 7;
	b.tcp_evicted[ND_EVICT_PER_CLIENT] = 3;
	a.tcp_rejected_per_client = 1;
	g.inflight = 12;
	g.inflight_limit = 364;
	g.failcache_entries = 2;
	g.fd_limit = 1024;
	g.fd_reserved = 660;
	text = render(w, 2, &g);
	assert_line(text, "nodedns_inflight_capped_total 7");
	assert_line(text, "nodedns_inflight_fetches 12");
	assert_line(text, "nodedns_inflight_limit 364");
	assert_line(text, "nodedns_fd_limit 1024");
	assert_line(text, "nodedns_fd_reserved 660");
	assert_line(text, "nodedns_failure_cache_entries 2");
	assert_line(text, "nodedns_failure_cache_hits_total 19");
	assert_line(text, "nodedns_failure_cache_holds_total 1");
	assert_line(text, "nodedns_dropped_total{reason=\"malformed\"} 0");
	assert_line(text, "nodedns_dropped_total{reason=\"oversize\"} 3");
	assert_line(text, "nodedns_dropped_total{reason=\"outside_allow\"} 4");
	assert_line(text, "nodedns_tcp_evicted_total{reason=\"cap\"} 7");
	assert_line(text, "nodedns_tcp_evicted_total{reason=\"per_client\"} 3");
	assert_line(text, "nodedns_tcp_rejected_per_client_total 1");
	free(text);
}

static void test_render_empty_and_args(void **state)
{
	char *text = (char *)"unchanged";
	size_t len = 99;

	(void)state;
	assert_int_equal(nd_metrics_render(NULL, 0, NULL, NULL, &len), -EINVAL);
	assert_int_equal(nd_metrics_render(NULL, 2, NULL, &text, &len),
			 -EINVAL);
	/* No workers, no gauges: zeros, still valid text. */
	text = render(NULL, 0, NULL);
	assert_line(text, "nodedns_dns_dropped_total 0");
	assert_line(text, "nodedns_ready 0");
	assert_line(text, "nodedns_dns_request_duration_seconds_bucket{le=\"+Inf\"} 0");
	assert_line(text, "nodedns_dns_request_duration_seconds_sum 0");
	assert_line(text, "# TYPE nodedns_forward_requests_total counter");
	assert_null(strstr(text, "upstream="));
	free(text);
	/* out_len is optional. */
	assert_int_equal(nd_metrics_render(NULL, 0, NULL, &text, NULL), 0);
	free(text);
}

/* Counter slots (the default upstreams, then the forward zones') are
 * rendered up to ND_MAX_UPSTREAM_SLOTS, never past the arrays. */
static void test_render_caps_upstreams(void **state)
{
	static const char *names[ND_MAX_UPSTREAM_SLOTS + 1];
	static char buf[ND_MAX_UPSTREAM_SLOTS + 1][16];
	char want[32];
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	for (size_t i = 0; i <= ND_MAX_UPSTREAM_SLOTS; i++) {
		snprintf(buf[i], sizeof(buf[i]), "u%zu", i);
		names[i] = buf[i];
	}
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.n_upstreams = ND_MAX_UPSTREAM_SLOTS + 1;
	text = render(NULL, 0, &g);
	snprintf(want, sizeof(want), "\"u%d\"", ND_MAX_UPSTREAM_SLOTS - 1);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want), "\"u%d\"", ND_MAX_UPSTREAM_SLOTS);
	assert_null(strstr(text, want));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_hist_observe),
		cmocka_unit_test(test_qtype_index),
		cmocka_unit_test(test_rcode_index),
		cmocka_unit_test(test_render_sums_workers),
		cmocka_unit_test(test_histograms_cumulative),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_help_and_type),
		cmocka_unit_test(test_render_bounds),
		cmocka_unit_test(test_render_empty_and_args),
		cmocka_unit_test(test_render_caps_upstreams),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
