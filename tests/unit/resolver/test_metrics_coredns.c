/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/metrics_coredns.c: the CoreDNS names and labels
 * computed from nodedns's counters (--metrics-compat coredns). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/metrics.h"
#include "resolver/metrics_coredns.h"
#include "util/prom.h"

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

static const struct nd_coredns_compat compat = {
	.server = "dns://127.0.0.1:53",
	.version = "1.2.3",
	.revision = "abc",
	.compiler = "gcc 12",
	.reload_failed = 2,
};

static char *render(struct nd_metrics *const *w, size_t n,
		    const struct nd_metrics_gauges *g)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(nd_metrics_render(w, n, g, &text, &len), 0);
	return text;
}

/* Off: not one coredns_ line. */
static void test_off_by_default(void **state)
{
	static struct nd_metrics w;
	struct nd_metrics *ws[] = { &w };
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	memset(&g, 0, sizeof(g));
	text = render(ws, 1, &g);
	assert_null(strstr(text, "coredns_"));
	free(text);
}

static void test_mapping(void **state)
{
	static struct nd_metrics w1, w2;
	struct nd_metrics *ws[] = { &w1, &w2 };
	const char *names[] = { "10.0.0.1:53", "10.0.0.2:53" };
	const uint8_t rows[] = { 5, 2 };
	struct nd_metrics_gauges g;
	char *text;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.upstream_rows = rows;
	g.n_upstreams = 2;
	g.cache_entries = 42;
	g.cache_negative = 2;
	g.cache_evictions = 3;
	g.coredns = &compat;
	w1.requests[ND_PROTO_UDP][ND_MQT_A] = 10;
	w2.requests[ND_PROTO_UDP][ND_MQT_A] = 5;
	w2.requests_v6[ND_PROTO_UDP][ND_MQT_A] = 4;
	w1.requests[ND_PROTO_TCP][ND_MQT_SRV] = 1;
	w1.responses_src[ND_SRC_FAILED][ND_MRC_SERVFAIL] = 7;
	w1.responses_src[ND_SRC_CACHE][ND_MRC_NOERROR] = 5;
	w2.responses_src[ND_SRC_CLUSTER][ND_MRC_NOERROR] = 4;
	w2.responses_src[ND_SRC_LOCAL][ND_MRC_FORMERR] = 1;
	w1.cache_hits = 6;
	w2.cache_misses = 4;
	w1.cache_stale = 1;
	w1.fetches_refused = 5;
	w2.inflight_capped = 3;
	w1.fwd_requests[5] = 11;
	w2.fwd_requests[2] = 3;
	w1.fwd_responses[5][ND_UP_OK] = 9;
	w1.fwd_responses[5][ND_UP_SERVFAIL] = 1;
	w1.fwd_responses[5][ND_UP_TIMEOUT] = 1;
	w1.fwd_responses[2][ND_UP_NETWORK] = 3;
	w1.fwd_responses[2][ND_UP_BAD] = 2;
	nd_hist_observe(&w1.fwd_duration[5], 700);
	nd_hist_observe(&w1.duration_type[ND_MQT_A], 30);
	nd_hist_observe(&w2.duration_type[ND_MQT_A], 3000);
	nd_hist_observe(&w1.duration_src[ND_SRC_FAILED], 10);
	nd_hist_observe(&w2.duration_src[ND_SRC_STALE], 10);
	text = render(ws, 2, &g);

	assert_line(text, "coredns_build_info{version=\"1.2.3\",revision="
			  "\"abc\",goversion=\"gcc 12\"} 1");
	assert_line(text, "coredns_panics_total 0");
	assert_line(text, "coredns_reload_failed_total 2");
	assert_line(text, "# TYPE coredns_dns_requests_total counter");
	/* 15 A over UDP, 4 of them from IPv6 clients */
	assert_line(text, "coredns_dns_requests_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",proto=\"udp\",family=\"1\","
			  "type=\"A\"} 11");
	assert_line(text, "coredns_dns_requests_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",proto=\"udp\",family=\"2\","
			  "type=\"A\"} 4");
	assert_line(text, "coredns_dns_requests_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",proto=\"tcp\",family=\"1\","
			  "type=\"SRV\"} 1");
	assert_line(text, "coredns_dns_responses_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",rcode=\"SERVFAIL\","
			  "plugin=\"forward\"} 7");
	assert_line(text, "coredns_dns_responses_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",rcode=\"NOERROR\","
			  "plugin=\"cache\"} 5");
	assert_line(text, "coredns_dns_responses_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",rcode=\"NOERROR\","
			  "plugin=\"kubernetes\"} 4");
	assert_line(text, "coredns_dns_responses_total{server=\"dns://"
			  "127.0.0.1:53\",zone=\".\",rcode=\"FORMERR\","
			  "plugin=\"\"} 1");
	assert_line(text, "# TYPE coredns_dns_request_duration_seconds "
			  "histogram");
	assert_line(text, "coredns_dns_request_duration_seconds_count{server="
			  "\"dns://127.0.0.1:53\",zone=\".\",type=\"A\"} 2");
	assert_line(text, "coredns_dns_request_duration_seconds_bucket{server="
			  "\"dns://127.0.0.1:53\",zone=\".\",type=\"A\","
			  "le=\"0.00005\"} 1");
	assert_line(text, "coredns_cache_entries{server=\"dns://127.0.0.1:53\","
			  "type=\"success\",zones=\".\"} 40");
	assert_line(text, "coredns_cache_entries{server=\"dns://127.0.0.1:53\","
			  "type=\"denial\",zones=\".\"} 2");
	assert_line(text, "coredns_cache_hits_total{server=\"dns://"
			  "127.0.0.1:53\",type=\"success\",zones=\".\"} 6");
	assert_line(text, "coredns_cache_misses_total{server=\"dns://"
			  "127.0.0.1:53\",zones=\".\"} 4");
	assert_line(text, "coredns_cache_requests_total{server=\"dns://"
			  "127.0.0.1:53\",zones=\".\"} 10");
	assert_line(text, "coredns_cache_served_stale_total{server=\"dns://"
			  "127.0.0.1:53\",zones=\".\"} 1");
	/* Upstreams by their rows */
	assert_line(text, "coredns_forward_requests_total{to=\"10.0.0.1:53\"} "
			  "11");
	assert_line(text, "coredns_forward_requests_total{to=\"10.0.0.2:53\"} "
			  "3");
	assert_line(text, "coredns_forward_responses_total{to=\"10.0.0.1:53\","
			  "rcode=\"NOERROR\"} 9");
	assert_line(text, "coredns_forward_responses_total{to=\"10.0.0.1:53\","
			  "rcode=\"SERVFAIL\"} 1");
	assert_line(text, "coredns_forward_responses_total{to=\"10.0.0.2:53\","
			  "rcode=\"other\"} 2");
	/* a timeout is no response */
	assert_null(strstr(text, "rcode=\"timeout\""));
	assert_line(text, "coredns_forward_request_duration_seconds_count{to="
			  "\"10.0.0.1:53\",rcode=\"NOERROR\"} 1");
	assert_line(text, "coredns_proxy_request_duration_seconds_count{"
			  "proxy_name=\"forward\",to=\"10.0.0.1:53\",rcode="
			  "\"NOERROR\"} 1");
	assert_line(text, "coredns_forward_healthcheck_failures_total{to="
			  "\"10.0.0.1:53\"} 1");
	assert_line(text, "coredns_forward_healthcheck_failures_total{to="
			  "\"10.0.0.2:53\"} 3");
	assert_line(text, "coredns_forward_healthcheck_broken_total 2");
	assert_line(text, "coredns_forward_max_concurrent_rejects_total 8");
	/* no API watch: no programming latency */
	assert_null(strstr(text, "coredns_kubernetes_"));
	free(text);
}

/* Every family of the table is rendered, with its TYPE. */
static void test_table_complete(void **state)
{
	static struct nd_metrics w;
	struct nd_metrics *ws[] = { &w };
	static const uint32_t bounds[] = { 1000, 10000 };
	static const uint64_t buckets[] = { 1, 2, 0 };
	const struct nd_prom_hist prog = { bounds, 2, buckets, 3, 7000, 3 };
	struct nd_coredns_compat c = compat;
	const char *names[] = { "10.0.0.1:53" };
	struct nd_metrics_gauges g;
	const struct nd_coredns_family *f;
	unsigned n;
	char *text, want[160];

	(void)state;
	c.kube_prog = &prog;
	memset(&g, 0, sizeof(g));
	g.upstream_names = names;
	g.n_upstreams = 1;
	g.coredns = &c;
	text = render(ws, 1, &g);
	f = nd_coredns_families(&n);
	assert_true(n >= 15);
	for (unsigned i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "# TYPE %s %s", f[i].name,
			 f[i].type);
		assert_line(text, want);
		assert_non_null(f[i].from);
	}
	assert_line(text, "coredns_kubernetes_dns_programming_duration_seconds_"
			  "count{service_kind=\"all\"} 3");
	free(text);
}

static void test_forward_rcode(void **state)
{
	(void)state;
	assert_string_equal(nd_coredns_forward_rcode(ND_UP_OK), "NOERROR");
	assert_string_equal(nd_coredns_forward_rcode(ND_UP_SERVFAIL),
			    "SERVFAIL");
	assert_string_equal(nd_coredns_forward_rcode(ND_UP_REFUSED),
			    "REFUSED");
	assert_null(nd_coredns_forward_rcode(ND_UP_TIMEOUT));
	assert_null(nd_coredns_forward_rcode(ND_UP_NETWORK));
	assert_string_equal(nd_coredns_plugin(ND_SRC_CLUSTER), "kubernetes");
	assert_string_equal(nd_coredns_plugin(ND_SRC_STALE), "cache");
	assert_string_equal(nd_coredns_plugin(ND_SRC_FAILED), "forward");
	assert_string_equal(nd_coredns_plugin(ND_SRC_LOCAL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_forward_rcode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
