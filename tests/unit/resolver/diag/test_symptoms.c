/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for resolver/diag/symptoms.c: signs of blocked DNS from synthetic events. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "dns/wire.h"
#include "resolver/metrics.h"
#include "resolver/diag/symptoms.h"
#include "util/log.h"

#define MS 1000ull
#define SEC 1000000ull
/* A start far from 0 so "earlier" times never wrap. */
#define T0 (1000 * SEC)
/* The clocks json_of() renders with: T0 + 30 s, 2026-12-06T18:00:00Z. */
#define JSON_NOW_US (T0 + 30 * SEC)
#define JSON_WALL_MS 1796580000000ull

static const uint8_t www[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm',
			       'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };
static const uint8_t svc[] = { 3, 'w', 'e', 'b', 7, 'd', 'e', 'f', 'a',
			       'u', 'l', 't', 3, 's', 'v', 'c', 7, 'c',
			       'l', 'u', 's', 't', 'e', 'r', 5, 'l', 'o',
			       'c', 'a', 'l', 0 };

static struct sockaddr_in addr4(const char *ip, uint16_t port)
{
	struct sockaddr_in a;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
	return a;
}

/* A UDP A query for www.example.com. answered in 1 ms. */
static struct nd_query_event ev_of(const struct sockaddr_in *c, uint16_t id,
				   uint16_t qtype, uint64_t recv_us)
{
	struct nd_query_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.client = (const struct sockaddr *)c;
	ev.proto = ND_PROTO_UDP;
	ev.id = id;
	ev.qname_lc = www;
	ev.qname_len = sizeof(www);
	ev.qtype = qtype;
	ev.rcode = ND_RCODE_NOERROR;
	ev.ancount = 1;
	ev.source = ND_SRC_CACHE;
	ev.recv_us = recv_us;
	ev.duration_us = 1 * MS;
	ev.kube_ready = -1;
	ev.upstream = -1;
	return ev;
}

static struct nd_symptoms_stats stats(const struct nd_symptoms *s)
{
	struct nd_symptoms_stats st;

	assert_int_equal(nd_symptoms_get_stats(s, &st), 0);
	return st;
}

static char *json_of(struct nd_symptoms *s)
{
	char *j = NULL;

	assert_int_equal(nd_symptoms_render_json(s, JSON_NOW_US, JSON_WALL_MS,
						 &j),
			 0);
	assert_non_null(j);
	return j;
}

static int quiet(void **state)
{
	(void)state;
	/* Lines are still counted by the limiter; stderr stays readable. */
	nd_log_threshold = ND_LOG_ERROR;
	return 0;
}

/* (a) the same port, ID and question after our answer */
static void test_retransmit(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.3", 40000);
	struct nd_query_event ev = ev_of(&c, 0x1234, ND_TYPE_A, T0);

	(void)state;
	assert_non_null(s);
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).client_retransmits, 0);
	ev.recv_us = T0 + 1200 * MS;
	nd_symptoms_observe(s, &ev);
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.client_retransmits, 1);
	assert_int_equal(st.conntrack_races, 0);
	assert_int_equal(st.log_lines[ND_SYM_RETRANSMIT], 1);

	/* A third copy counts again, measured from the second. */
	ev.recv_us = T0 + 2400 * MS;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).client_retransmits, 2);

	char *j = json_of(s);
	assert_non_null(strstr(j, "\"kind\":\"retransmit\""));
	assert_non_null(strstr(j, "\"client\":\"10.1.2.3:40000\""));
	assert_non_null(strstr(j, "\"name\":\"www.example.com.\""));
	assert_non_null(strstr(j, "did not reach the pod"));
	free(j);
	nd_symptoms_free(s);
}

static void test_retransmit_near_misses(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.3", 40000);
	struct sockaddr_in other_port = addr4("10.1.2.3", 40001);
	struct nd_query_event ev = ev_of(&c, 7, ND_TYPE_A, T0), e2;

	(void)state;
	nd_symptoms_observe(s, &ev);
	/* Another ID: a new lookup. */
	e2 = ev_of(&c, 8, ND_TYPE_A, T0 + 1 * SEC);
	nd_symptoms_observe(s, &e2);
	/* Another port: another socket. */
	e2 = ev_of(&other_port, 7, ND_TYPE_A, T0 + 1 * SEC);
	nd_symptoms_observe(s, &e2);
	/* Another type. */
	e2 = ev_of(&c, 7, ND_TYPE_AAAA, T0 + 1 * SEC);
	nd_symptoms_observe(s, &e2);
	/* Over TCP. */
	e2 = ev_of(&c, 7, ND_TYPE_A, T0 + 1 * SEC);
	e2.proto = ND_PROTO_TCP;
	nd_symptoms_observe(s, &e2);
	/* 20 s later: the same ID reused, not a repeat. */
	e2 = ev_of(&c, 7, ND_TYPE_A, T0 + 20 * SEC);
	nd_symptoms_observe(s, &e2);
	assert_int_equal(stats(s).client_retransmits, 0);

	/* A copy received while the first was still being answered (the
	 * client's timer is shorter than our latency), observed after. */
	ev = ev_of(&c, 99, ND_TYPE_TXT, T0 + 30 * SEC);
	ev.duration_us = 2 * SEC;
	nd_symptoms_observe(s, &ev);
	e2 = ev_of(&c, 99, ND_TYPE_TXT, T0 + 31 * SEC);
	e2.duration_us = 1 * SEC;
	nd_symptoms_observe(s, &e2);
	/* ... and one observed out of order, older than what we hold. */
	e2 = ev_of(&c, 99, ND_TYPE_TXT, T0 + 29 * SEC);
	nd_symptoms_observe(s, &e2);
	assert_int_equal(stats(s).client_retransmits, 0);
	nd_symptoms_free(s);
}

/* (b) the 5 s retry of the conntrack race */
static void test_conntrack_race(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.4", 53001);
	struct nd_query_event a = ev_of(&c, 100, ND_TYPE_A, T0);
	struct nd_query_event aaaa = ev_of(&c, 101, ND_TYPE_AAAA, T0 + 300);

	(void)state;
	nd_symptoms_observe(s, &a);
	nd_symptoms_observe(s, &aaaa);
	a.recv_us = T0 + 5 * SEC + 2 * MS;
	nd_symptoms_observe(s, &a);
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.conntrack_races, 1);
	assert_int_equal(st.client_retransmits, 1);
	assert_int_equal(st.log_lines[ND_SYM_CONNTRACK_RACE], 1);
	assert_int_equal(st.log_lines[ND_SYM_RETRANSMIT], 0);

	char *j = json_of(s);
	assert_non_null(strstr(j, "\"kind\":\"conntrack_race\""));
	assert_non_null(strstr(j, "single-request-reopen"));
	assert_non_null(strstr(j, "single-request)"));
	assert_non_null(strstr(j, "use-vc"));
	assert_non_null(strstr(j, "NOTRACK"));
	assert_non_null(strstr(j, "sent A and AAAA together"));
	free(j);
	nd_symptoms_free(s);
}

/* Outside 4.5-5.5 s a repeat is a retransmit but not the race; a lone
 * A is the race without the pairing remark. */
static void test_race_window_edges(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.5", 53002);
	struct nd_query_event ev;

	(void)state;
	ev = ev_of(&c, 1, ND_TYPE_A, T0);
	nd_symptoms_observe(s, &ev);
	ev.recv_us = T0 + 4400 * MS;
	nd_symptoms_observe(s, &ev);
	ev = ev_of(&c, 2, ND_TYPE_A, T0 + 100 * SEC);
	nd_symptoms_observe(s, &ev);
	ev.recv_us = T0 + 105600 * MS;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).client_retransmits, 2);
	assert_int_equal(stats(s).conntrack_races, 0);

	ev = ev_of(&c, 3, ND_TYPE_A, T0 + 200 * SEC);
	nd_symptoms_observe(s, &ev);
	ev.recv_us = T0 + 204500 * MS;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).conntrack_races, 1);
	char *j = json_of(s);
	assert_non_null(strstr(j, "conntrack race"));
	assert_null(strstr(j, "sent A and AAAA together"));
	free(j);
	nd_symptoms_free(s);
}

/* (c) truncated, and no TCP query came */
static void test_tc_without_tcp(void **state)
{
	struct nd_symptoms_options o = { .tc_window_ms = 3000,
					 .tc_decide_lag_ms = 1000 };
	struct nd_symptoms *s = nd_symptoms_new(&o);
	struct sockaddr_in c = addr4("10.1.2.6", 41000);
	struct nd_query_event ev = ev_of(&c, 5, ND_TYPE_TXT, T0);

	(void)state;
	ev.is_truncated = true;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).tc_pending, 1);
	nd_symptoms_tick(s, T0 + 2 * SEC);
	nd_symptoms_tick(s, T0 + 3 * SEC + 1 * MS + 1 * SEC); /* at the edge */
	assert_int_equal(stats(s).tc_without_tcp, 0);
	nd_symptoms_tick(s, T0 + 5 * SEC);
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.tc_without_tcp, 1);
	assert_int_equal(st.tc_pending, 0);
	assert_int_equal(st.tc_followed, 0);
	assert_int_equal(st.log_lines[ND_SYM_TC_WITHOUT_TCP], 1);
	/* Decided once. */
	nd_symptoms_tick(s, T0 + 60 * SEC);
	assert_int_equal(stats(s).tc_without_tcp, 1);

	char *j = json_of(s);
	assert_non_null(strstr(j, "\"kind\":\"tc_without_tcp\""));
	assert_non_null(strstr(j, "\"client\":\"10.1.2.6\""));
	assert_non_null(strstr(j, "TCP port 53 is probably blocked"));
	free(j);
	nd_symptoms_free(s);
}

static void test_tc_followed(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.7", 41000);
	struct sockaddr_in c_tcp = addr4("10.1.2.7", 52000);
	struct sockaddr_in stranger = addr4("10.1.2.8", 52000);
	struct nd_query_event ev = ev_of(&c, 5, ND_TYPE_TXT, T0), t;

	(void)state;
	ev.is_truncated = true;
	nd_symptoms_observe(s, &ev);
	/* Another client's TCP query, or another type, clears nothing. */
	t = ev_of(&stranger, 6, ND_TYPE_TXT, T0 + 100 * MS);
	t.proto = ND_PROTO_TCP;
	nd_symptoms_observe(s, &t);
	t = ev_of(&c_tcp, 6, ND_TYPE_A, T0 + 100 * MS);
	t.proto = ND_PROTO_TCP;
	nd_symptoms_observe(s, &t);
	assert_int_equal(stats(s).tc_followed, 0);
	/* The retry, from a new port, within the window. */
	t = ev_of(&c_tcp, 6, ND_TYPE_TXT, T0 + 150 * MS);
	t.proto = ND_PROTO_TCP;
	nd_symptoms_observe(s, &t);
	assert_int_equal(stats(s).tc_followed, 1);
	nd_symptoms_tick(s, T0 + 60 * SEC);
	assert_int_equal(stats(s).tc_without_tcp, 0);

	/* A TCP query after the window does not count as the retry. */
	ev.recv_us = T0 + 100 * SEC;
	nd_symptoms_observe(s, &ev);
	t = ev_of(&c_tcp, 7, ND_TYPE_TXT, T0 + 104 * SEC);
	t.proto = ND_PROTO_TCP;
	nd_symptoms_observe(s, &t);
	nd_symptoms_tick(s, T0 + 120 * SEC);
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.tc_followed, 1);
	assert_int_equal(st.tc_without_tcp, 1);
	nd_symptoms_free(s);
}

/* (d) a Service name with no ready endpoint */
static void test_no_ready_endpoints(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.2.9", 41000);
	struct nd_query_event ev = ev_of(&c, 5, ND_TYPE_A, T0);

	(void)state;
	ev.qname_lc = svc;
	ev.qname_len = sizeof(svc);
	ev.source = ND_SRC_CLUSTER;
	ev.kube_ready = 0;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).no_ready_endpoints, 1);
	assert_int_equal(stats(s).log_lines[ND_SYM_NO_READY_ENDPOINTS], 1);
	/* Counted every time, said once a minute per name. */
	for (int i = 1; i <= 10; i++) {
		ev.id = (uint16_t)(5 + i);
		ev.recv_us = T0 + (uint64_t)i * 5 * SEC;
		nd_symptoms_observe(s, &ev);
	}
	assert_int_equal(stats(s).no_ready_endpoints, 11);
	assert_int_equal(stats(s).log_lines[ND_SYM_NO_READY_ENDPOINTS], 1);
	ev.recv_us = T0 + 61 * SEC;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).log_lines[ND_SYM_NO_READY_ENDPOINTS], 2);

	/* Not the sign: ready endpoints, another rcode, not a Service. */
	ev.recv_us = T0 + 200 * SEC;
	ev.kube_ready = 3;
	nd_symptoms_observe(s, &ev);
	ev.kube_ready = 0;
	ev.rcode = ND_RCODE_SERVFAIL;
	nd_symptoms_observe(s, &ev);
	ev.kube_ready = -1;
	ev.rcode = ND_RCODE_NOERROR;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).no_ready_endpoints, 12);
	/* A headless Service's NXDOMAIN (spec 2.4.1) is the sign too, in
	 * its own words. */
	ev.kube_ready = 0;
	ev.rcode = ND_RCODE_NXDOMAIN;
	ev.recv_us = T0 + 300 * SEC;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).no_ready_endpoints, 13);
	assert_int_equal(stats(s).log_lines[ND_SYM_NO_READY_ENDPOINTS], 3);

	char *j = json_of(s);
	assert_non_null(strstr(j, "web.default.svc.cluster.local."));
	assert_non_null(strstr(j, "no ready endpoints"));
	assert_non_null(strstr(j, "readiness probes"));
	assert_non_null(strstr(j, "answers NXDOMAIN because its headless"));
	free(j);
	nd_symptoms_free(s);
}

/* (e) upstream failures in plain words */
static void test_upstream_failure(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);

	(void)state;
	for (int i = 0; i < 3; i++)
		nd_symptoms_upstream_failure(s, "10.0.0.10:53", ND_UP_TIMEOUT,
					    T0 + (uint64_t)i * SEC);
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", ND_UP_REFUSED, T0);
	nd_symptoms_upstream_failure(s, "10.0.0.11:53", ND_UP_TIMEOUT, T0);
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", ND_UP_NETWORK, T0);
	nd_symptoms_upstream_failure(s, NULL, ND_UP_SERVFAIL, T0);
	/* Ignored: not a failure, out of range. */
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", ND_UP_OK, T0);
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", 99, T0);
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", -1, T0);
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.upstream_failures[ND_UP_TIMEOUT], 4);
	assert_int_equal(st.upstream_failures[ND_UP_REFUSED], 1);
	assert_int_equal(st.upstream_failures[ND_UP_NETWORK], 1);
	assert_int_equal(st.upstream_failures[ND_UP_SERVFAIL], 1);
	assert_int_equal(st.upstream_failures[ND_UP_OK], 0);
	assert_int_equal(st.log_lines[ND_SYM_UPSTREAM], 5);
	/* 31 s later the same pair may speak again (the limiter has room:
	 * 5 lines a minute, and half a minute has passed). */
	nd_symptoms_upstream_failure(s, "10.0.0.10:53", ND_UP_TIMEOUT,
				    T0 + 31 * SEC);
	assert_int_equal(stats(s).log_lines[ND_SYM_UPSTREAM], 6);

	char *j = json_of(s);
	assert_non_null(strstr(j, "\"upstream\":\"10.0.0.10:53\""));
	assert_non_null(strstr(j, "egress NetworkPolicy"));
	assert_non_null(strstr(j, "reach 10.0.0.10:53 over UDP and TCP"));
	assert_non_null(strstr(j, "allow-query"));
	assert_non_null(strstr(j, "nothing listens on 10.0.0.10:53"));
	assert_non_null(strstr(j, "DNSSEC validation fails"));
	free(j);
	nd_symptoms_free(s);
}

/* Counters count every sign; lines are limited per kind, with a note. */
static void test_rate_limit(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct sockaddr_in c = addr4("10.1.3.1", 40000);
	struct nd_query_event ev;
	FILE *cap = tmpfile();
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_non_null(cap);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(cap), STDERR_FILENO) >= 0);
	nd_log_threshold = ND_LOG_WARN;

	for (int i = 0; i < 100; i++) {
		ev = ev_of(&c, (uint16_t)i, ND_TYPE_A, T0);
		nd_symptoms_observe(s, &ev);
		ev.recv_us = T0 + 1 * SEC;
		nd_symptoms_observe(s, &ev);
	}
	struct nd_symptoms_stats st = stats(s);
	assert_int_equal(st.client_retransmits, 100);
	assert_int_equal(st.log_lines[ND_SYM_RETRANSMIT], 5);
	assert_int_equal(st.log_suppressed[ND_SYM_RETRANSMIT], 95);
	/* Another kind has its own bucket. */
	nd_symptoms_upstream_failure(s, "10.0.0.1:53", ND_UP_TIMEOUT,
				    T0 + 1 * SEC);
	assert_int_equal(stats(s).log_lines[ND_SYM_UPSTREAM], 1);
	/* A minute on, a line again, saying how many were held back. */
	ev = ev_of(&c, 1000, ND_TYPE_A, T0 + 61 * SEC);
	nd_symptoms_observe(s, &ev);
	ev.recv_us = T0 + 62 * SEC;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).log_lines[ND_SYM_RETRANSMIT], 6);

	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	nd_log_threshold = ND_LOG_ERROR;

	char text[16384];
	size_t n;
	int lines = 0;

	rewind(cap);
	n = fread(text, 1, sizeof(text) - 1, cap);
	text[n] = '\0';
	fclose(cap);
	for (char *p = text; (p = strstr(p, " warn signals: ")) != NULL; p++)
		lines++;
	assert_int_equal(lines, 7);
	assert_non_null(strstr(text, "(95 similar suppressed)"));
	nd_symptoms_free(s);
}

/* A million distinct queries: fixed memory, the oldest state goes. */
static void test_flood_bounded(void **state)
{
	struct nd_symptoms_options o = { .max_entries = 4096 };
	struct nd_symptoms *s = nd_symptoms_new(&o);
	struct sockaddr_in c = addr4("10.2.0.0", 1);
	struct nd_query_event ev;

	(void)state;
	assert_non_null(s);
	for (uint32_t i = 0; i < 1000000; i++) {
		c.sin_addr.s_addr = htonl(0x0a020000u + (i >> 8));
		c.sin_port = htons((uint16_t)(1024 + (i & 0xff)));
		ev = ev_of(&c, (uint16_t)i, (i & 1) ? ND_TYPE_A : ND_TYPE_AAAA,
			   T0 + i);
		ev.is_truncated = (i % 10) == 0;
		if ((i % 1000) == 1) {
			ev.kube_ready = 0;
			ev.qname_lc = svc;
			ev.qname_len = sizeof(svc);
		}
		nd_symptoms_observe(s, &ev);
	}
	struct nd_symptoms_stats st = stats(s);
	assert_true(st.max_entries <= 4096);
	assert_true(st.max_entries >= 4096 - 64);
	assert_true(st.evictions > 0);
	assert_true(st.tc_evictions > 0);
	assert_true(st.tc_pending <= 4096);
	assert_int_equal(st.client_retransmits, 0);
	assert_int_equal(st.no_ready_endpoints, 1000);

	/* Still works afterwards. */
	c = addr4("10.9.9.9", 999);
	ev = ev_of(&c, 1, ND_TYPE_A, T0 + 2 * SEC);
	nd_symptoms_observe(s, &ev);
	ev.recv_us = T0 + 3 * SEC;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).client_retransmits, 1);
	nd_symptoms_tick(s, T0 + 100 * SEC);
	assert_int_equal(stats(s).tc_pending, 0);
	nd_symptoms_free(s);
}

/* Every worker observes at once while the control thread ticks and reads. */
#define THREADS 4
#define PAIRS 20000

struct worker_arg {
	struct nd_symptoms *s;
	int n;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	char ip[32];

	snprintf(ip, sizeof(ip), "10.3.0.%d", a->n + 1);
	struct sockaddr_in c = addr4(ip, 30000);
	for (int i = 0; i < PAIRS; i++) {
		uint64_t t = T0 + (uint64_t)i * 100;
		struct nd_query_event ev = ev_of(&c, (uint16_t)i, ND_TYPE_A, t);

		ev.is_truncated = (i % 50) == 0;
		nd_symptoms_observe(a->s, &ev);
		ev.recv_us = t + 2 * MS; /* a repeat, after the answer */
		ev.is_truncated = false;
		nd_symptoms_observe(a->s, &ev);
		if ((i % 100) == 0) {
			ev.kube_ready = 0;
			ev.qname_lc = svc;
			ev.qname_len = sizeof(svc);
			nd_symptoms_observe(a->s, &ev);
			nd_symptoms_upstream_failure(a->s, "10.0.0.1:53",
						    ND_UP_TIMEOUT, t);
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	pthread_t th[THREADS];
	struct worker_arg args[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		args[i].s = s;
		args[i].n = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]),
				 0);
	}
	for (int k = 0; k < 200; k++) {
		char *text = NULL, *j = NULL;
		size_t len = 0;

		nd_symptoms_tick(s, T0 + (uint64_t)k * 10 * MS);
		assert_int_equal(nd_symptoms_render_metrics(s, &text, &len), 0);
		assert_int_equal(nd_symptoms_render_json(s, JSON_NOW_US,
							 JSON_WALL_MS, &j),
				 0);
		free(text);
		free(j);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	nd_symptoms_tick(s, T0 + 100 * SEC);

	struct nd_symptoms_stats st = stats(s);
	/* Each repeat follows its first copy at once, in one thread: only
	 * four newer entries landing in the same bucket in between could
	 * push it out. */
	assert_true(st.client_retransmits <= THREADS * PAIRS);
	assert_true(st.client_retransmits >= THREADS * PAIRS * 9 / 10);
	assert_int_equal(st.no_ready_endpoints, THREADS * PAIRS / 100);
	assert_int_equal(st.upstream_failures[ND_UP_TIMEOUT],
			 THREADS * PAIRS / 100);
	assert_int_equal(st.tc_pending, 0);
	/* One question per client: its truncated answers share one
	 * pending entry, decided once. */
	assert_int_equal(st.tc_without_tcp, THREADS);
	nd_symptoms_free(s);
}

static void test_metrics_text(void **state)
{
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	char *text = strdup("# earlier families\n");
	size_t len = strlen(text);
	static const char *const families[] = {
		"nodedns_signal_client_retransmits_total",
		"nodedns_signal_conntrack_race_total",
		"nodedns_signal_tc_without_tcp_total",
		"nodedns_signal_tc_followed_total",
		"nodedns_signal_no_ready_endpoints_total",
		"nodedns_signal_upstream_failures_total",
		"nodedns_signal_log_lines_total",
		"nodedns_signal_log_suppressed_total",
	};
	char want[256];

	(void)state;
	nd_symptoms_upstream_failure(s, "10.0.0.1:53", ND_UP_REFUSED, T0);
	assert_int_equal(nd_symptoms_render_metrics(s, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(strncmp(text, "# earlier families\n", 19), 0);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		snprintf(want, sizeof(want), "# HELP %s ", families[i]);
		assert_non_null(strstr(text, want));
		snprintf(want, sizeof(want), "# TYPE %s counter\n",
			 families[i]);
		assert_non_null(strstr(text, want));
	}
	assert_non_null(strstr(text, "nodedns_signal_upstream_failures_total"
				     "{outcome=\"refused\"} 1\n"));
	assert_non_null(
		strstr(text, "nodedns_signal_conntrack_race_total 0\n"));
	free(text);

	/* From nothing. */
	text = NULL;
	len = 0;
	assert_int_equal(nd_symptoms_render_metrics(s, &text, &len), 0);
	assert_int_equal(strncmp(text, "# HELP nodedns_signal_", 22), 0);
	free(text);

	text = NULL;
	len = 5;
	assert_int_equal(nd_symptoms_render_metrics(s, &text, &len), -EINVAL);
	assert_int_equal(nd_symptoms_render_metrics(NULL, &text, &len), -EINVAL);
	assert_int_equal(nd_symptoms_render_metrics(s, NULL, &len), -EINVAL);
	nd_symptoms_free(s);
}

/* The ring keeps the last events, oldest first. */
static void test_json_ring(void **state)
{
	struct nd_symptoms_options o = { .ring_size = 10 };
	struct nd_symptoms *s = nd_symptoms_new(&o);
	struct sockaddr_in c = addr4("10.1.4.1", 40000);

	(void)state;
	for (int i = 0; i < 25; i++) {
		struct nd_query_event ev = ev_of(&c, (uint16_t)i, ND_TYPE_A,
						 T0 + (uint64_t)i * SEC);
		nd_symptoms_observe(s, &ev);
		ev.recv_us += 1 * SEC;
		nd_symptoms_observe(s, &ev);
	}
	char *j = json_of(s);
	cJSON *root = cJSON_Parse(j);
	assert_non_null(root);
	cJSON *events = cJSON_GetObjectItem(root, "events");
	assert_int_equal(cJSON_GetArraySize(events), 10);
	/* Times for people: wall clock (RFC 3339) and age, from the two
	 * clocks read together (JSON_NOW_US is T0 + 30 s). */
	const cJSON *e0 = cJSON_GetArrayItem(events, 0);
	const cJSON *e9 = cJSON_GetArrayItem(events, 9);
	assert_null(cJSON_GetObjectItem(e0, "time_us"));
	assert_true(cJSON_GetObjectItem(e0, "age_s")->valuedouble == 14.0);
	assert_true(cJSON_GetObjectItem(e9, "age_s")->valuedouble == 5.0);
	/* JSON_WALL_MS is 2026-12-06T18:00:00.000Z */
	assert_string_equal(cJSON_GetObjectItem(e0, "time")->valuestring,
			    "2026-12-06T17:59:46.000Z");
	assert_string_equal(cJSON_GetObjectItem(e9, "time")->valuestring,
			    "2026-12-06T17:59:55.000Z");
	cJSON *counters = cJSON_GetObjectItem(root, "counters");
	assert_int_equal(
		cJSON_GetObjectItem(counters, "client_retransmits")->valueint,
		25);
	cJSON_Delete(root);
	free(j);

	/* The copy-out under it: the newest max, oldest of them first. */
	struct nd_symptom_event ev3[3];
	size_t n = 99;
	assert_int_equal(nd_symptoms_recent(s, ev3, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_true(ev3[0].time_us == T0 + 23 * SEC);
	assert_true(ev3[2].time_us == T0 + 25 * SEC);
	assert_int_equal(ev3[2].kind, ND_SYM_RETRANSMIT);
	assert_string_equal(ev3[2].client, "10.1.4.1:40000");
	assert_string_equal(ev3[2].type, "A");
	assert_int_equal(nd_symptoms_recent(s, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(nd_symptoms_recent(s, NULL, 1, &n), -EINVAL);
	assert_int_equal(nd_symptoms_recent(s, ev3, 3, NULL), -EINVAL);
	assert_int_equal(nd_symptoms_recent(NULL, ev3, 3, &n), -EINVAL);
	nd_symptoms_free(s);
}

static void test_bad_args(void **state)
{
	struct nd_symptoms_options tiny = { .max_entries = 10 };
	struct nd_symptoms_options inverted = { .race_min_ms = 6000,
					       .race_max_ms = 5000 };
	struct nd_symptoms *s = nd_symptoms_new(NULL);
	struct nd_symptoms_stats st;
	struct sockaddr_un un;
	char *j = NULL;

	(void)state;
	assert_null(nd_symptoms_new(&tiny));
	assert_null(nd_symptoms_new(&inverted));
	nd_symptoms_free(NULL);
	nd_symptoms_observe(NULL, NULL);
	nd_symptoms_observe(s, NULL);
	nd_symptoms_tick(NULL, T0);
	nd_symptoms_upstream_failure(NULL, "x", ND_UP_TIMEOUT, T0);
	assert_int_equal(nd_symptoms_get_stats(NULL, &st), -EINVAL);
	assert_int_equal(nd_symptoms_get_stats(s, NULL), -EINVAL);
	assert_int_equal(nd_symptoms_render_json(NULL, 0, 0, &j), -EINVAL);
	assert_int_equal(nd_symptoms_render_json(s, 0, 0, NULL), -EINVAL);

	/* Ignored: no question, no IP client. */
	struct sockaddr_in c = addr4("10.1.5.1", 1);
	struct nd_query_event ev = ev_of(&c, 1, ND_TYPE_A, T0);
	ev.qname_lc = NULL;
	nd_symptoms_observe(s, &ev);
	nd_symptoms_observe(s, &ev);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ev = ev_of(&c, 1, ND_TYPE_A, T0);
	ev.client = (const struct sockaddr *)&un;
	nd_symptoms_observe(s, &ev);
	ev.recv_us += SEC;
	nd_symptoms_observe(s, &ev);
	ev.client = NULL;
	nd_symptoms_observe(s, &ev);
	assert_int_equal(stats(s).client_retransmits, 0);
	assert_string_equal(nd_symptom_kind_name(ND_SYM_KINDS), "unknown");
	assert_string_equal(nd_symptom_kind_name(ND_SYM_CONNTRACK_RACE),
			    "conntrack_race");
	nd_symptoms_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retransmit),
		cmocka_unit_test(test_retransmit_near_misses),
		cmocka_unit_test(test_conntrack_race),
		cmocka_unit_test(test_race_window_edges),
		cmocka_unit_test(test_tc_without_tcp),
		cmocka_unit_test(test_tc_followed),
		cmocka_unit_test(test_no_ready_endpoints),
		cmocka_unit_test(test_upstream_failure),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_flood_bounded),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_json_ring),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, quiet, NULL);
}
