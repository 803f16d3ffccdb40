/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/diag/searchlist*.c: chains, reports, bounds, /metrics and /debug output, threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "dns/wire.h"
#include "resolver/observe.h"
#include "resolver/diag/searchlist.h"

#if defined(__SANITIZE_ADDRESS__)
/* From sanitizer/allocator_interface.h, which Debian ships without gcc's. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MAX_REPORTS 64

/* Reports handed to on_chain, copied. */
static struct {
	struct nd_chain_report r[MAX_REPORTS];
	size_t n; /* total calls; only the first MAX_REPORTS are kept */
} got;

static void on_chain(void *arg, const struct nd_chain_report *r)
{
	(void)arg;
	if (got.n < MAX_REPORTS)
		memcpy(&got.r[got.n], r, sizeof(*r));
	got.n++;
}

static const char *const node_domains[] = { "ec2.internal" };

static struct nd_searchlist *tracker(size_t max_clients, size_t per_client,
				     size_t max_chains)
{
	struct nd_searchlist_options o = {
		.zone = "cluster.local",
		.node_domains = node_domains,
		.n_node_domains = 1,
		.max_clients = max_clients,
		.max_chains_per_client = per_client,
		.max_chains = max_chains,
		.on_chain = on_chain,
	};
	struct nd_searchlist *t = nd_searchlist_new(&o);

	assert_non_null(t);
	memset(&got, 0, sizeof(got));
	return t;
}

/* One answered query: client ip:port asks name (text) for qtype. */
static void ask_tc(struct nd_searchlist *t, const char *ip, uint16_t port,
		   const char *name, uint16_t qtype, int rcode,
		   uint16_t ancount, uint64_t recv_us, bool is_truncated);

static void ask(struct nd_searchlist *t, const char *ip, uint16_t port,
		const char *name, uint16_t qtype, int rcode, uint16_t ancount,
		uint64_t recv_us)
{
	ask_tc(t, ip, port, name, qtype, rcode, ancount, recv_us, false);
}

static void ask_tc(struct nd_searchlist *t, const char *ip, uint16_t port,
		   const char *name, uint16_t qtype, int rcode,
		   uint16_t ancount, uint64_t recv_us, bool is_truncated)
{
	struct sockaddr_storage ss = { 0 };
	struct nd_query_event ev = { 0 };
	uint8_t wire[ND_DNS_MAX_NAME];
	int n = nd_dns_name_from_text(name, wire, sizeof(wire));

	assert_true(n > 0);
	nd_dns_name_lower(wire, (size_t)n);
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	}
	ev.client = (struct sockaddr *)&ss;
	ev.qname_lc = wire;
	ev.qname_len = (uint16_t)n;
	ev.qtype = qtype;
	ev.rcode = rcode;
	ev.ancount = ancount;
	ev.recv_us = recv_us;
	ev.is_truncated = is_truncated;
	ev.duration_us = 200;
	ev.kube_ready = -1;
	ev.upstream = -1;
	nd_searchlist_observe(t, &ev);
}

/* A and AAAA of one candidate the glibc way: one port, 100 us apart. */
static void pair(struct nd_searchlist *t, const char *ip, const char *name,
		 int rcode, uint16_t an_a, uint16_t an_aaaa, uint64_t us)
{
	ask(t, ip, 40000, name, ND_TYPE_A, rcode, an_a, us);
	ask(t, ip, 40000, name, ND_TYPE_AAAA, rcode, an_aaaa, us + 100);
}

/* The five candidates of "api.example.com" from a pod in "shop". */
static const char *const api_chain[] = {
	"api.example.com.shop.svc.cluster.local",
	"api.example.com.svc.cluster.local",
	"api.example.com.cluster.local",
	"api.example.com.ec2.internal",
	"api.example.com.",
};

static void glibc_api_chain(struct nd_searchlist *t, const char *ip,
			    uint64_t t0)
{
	for (int i = 0; i < 4; i++)
		pair(t, ip, api_chain[i], ND_RCODE_NXDOMAIN, 0, 0,
		     t0 + (uint64_t)i * 1000);
	pair(t, ip, api_chain[4], ND_RCODE_NOERROR, 1, 1, t0 + 4000);
}

static void test_glibc_chain_absolute(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats st;
	const struct nd_chain_report *r = &got.r[0];
	const struct sockaddr_in *in = (const struct sockaddr_in *)&r->client;
	char ip[INET_ADDRSTRLEN];

	(void)state;
	glibc_api_chain(t, "10.1.2.3", 1000000);
	assert_int_equal(got.n, 1);
	assert_int_equal(r->queries, 10);
	assert_int_equal(r->wasted, 8);
	assert_int_equal(r->candidates, 5);
	assert_string_equal(r->ns, "shop");
	assert_string_equal(r->name, "api.example.com");
	assert_string_equal(r->answered_by, "");
	assert_true(r->is_answered);
	assert_true(r->is_parallel);
	assert_int_equal(r->pattern, ND_SL_PATTERN_PARALLEL);
	assert_int_equal(r->end, ND_SL_END_ANSWERED);
	assert_int_equal(r->added_us, 4100);
	assert_non_null(strstr(r->advice, "'api.example.com.'"));
	assert_non_null(strstr(r->advice, "ndots:2"));
	assert_non_null(strstr(r->advice, "saves 8 queries"));
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 40000);
	inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
	assert_string_equal(ip, "10.1.2.3");

	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.chains, 1);
	assert_int_equal(st.wasted, 8);
	assert_int_equal(st.queries, 10);
	assert_int_equal(st.clients, 1);
	assert_int_equal(st.open_chains, 0);
	nd_searchlist_free(t);
}

/*
 * The positive A of the last candidate comes back before its AAAA: the
 * report waits for the AAAA so both are counted.
 */
static void test_report_waits_for_other_type(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);

	(void)state;
	for (int i = 0; i < 4; i++)
		pair(t, "10.1.2.3", api_chain[i], ND_RCODE_NXDOMAIN, 0, 0,
		     (uint64_t)i * 1000 + 1);
	ask(t, "10.1.2.3", 40000, api_chain[4], ND_TYPE_A, ND_RCODE_NOERROR, 2,
	    5000);
	assert_int_equal(got.n, 0);
	ask(t, "10.1.2.3", 40000, api_chain[4], ND_TYPE_AAAA,
	    ND_RCODE_NOERROR, 0, 5050);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.r[0].queries, 10);
	assert_int_equal(got.r[0].wasted, 8);

	/* The AAAA never comes: the report goes out at idle time. */
	for (int i = 0; i < 4; i++)
		pair(t, "10.1.2.4", api_chain[i], ND_RCODE_NXDOMAIN, 0, 0,
		     (uint64_t)i * 1000 + 1);
	ask(t, "10.1.2.4", 40000, api_chain[4], ND_TYPE_A, ND_RCODE_NOERROR, 1,
	    5000);
	nd_searchlist_tick(t, 5000 + 200 + 1999999);
	assert_int_equal(got.n, 1);
	nd_searchlist_tick(t, 5000 + 200 + 2000000);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.r[1].queries, 9);
	assert_string_equal(got.r[1].answered_by, "");
	assert_int_equal(got.r[1].end, ND_SL_END_ANSWERED);
	nd_searchlist_free(t);
}

static void test_cluster_name_second_candidate(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	const struct nd_chain_report *r = &got.r[0];

	(void)state;
	pair(t, "10.1.2.3", "web.other.shop.svc.cluster.local",
	     ND_RCODE_NXDOMAIN, 0, 0, 100);
	pair(t, "10.1.2.3", "web.other.svc.cluster.local", ND_RCODE_NOERROR, 1,
	     0, 900);
	assert_int_equal(got.n, 1);
	assert_string_equal(r->name, "web.other");
	assert_string_equal(r->ns, "shop");
	assert_int_equal(r->queries, 4);
	assert_int_equal(r->wasted, 2);
	assert_string_equal(r->answered_by, "svc.cluster.local");
	assert_string_equal(r->advice,
			    "use 'web.other.svc.cluster.local.'; saves 2 "
			    "queries per lookup");
	nd_searchlist_free(t);
}

/*
 * The answering candidate's A is truncated over UDP without records (too
 * big), and the client asks again over TCP from another port: the chain
 * is answered by that candidate, and the truncated answer is not counted
 * as a negative one.
 */
static void test_truncated_then_tcp(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	const struct nd_chain_report *r = &got.r[0];

	(void)state;
	pair(t, "10.1.2.3", "big.data.shop.svc.cluster.local",
	     ND_RCODE_NXDOMAIN, 0, 0, 100);
	ask_tc(t, "10.1.2.3", 40000, "big.data.svc.cluster.local", ND_TYPE_A,
	       ND_RCODE_NOERROR, 0, 900, true);
	ask(t, "10.1.2.3", 40000, "big.data.svc.cluster.local", ND_TYPE_AAAA,
	    ND_RCODE_NOERROR, 0, 1000);
	ask(t, "10.1.2.3", 40001, "big.data.svc.cluster.local", ND_TYPE_A,
	    ND_RCODE_NOERROR, 60, 1500);
	assert_int_equal(got.n, 1);
	assert_string_equal(r->name, "big.data");
	assert_true(r->is_answered);
	assert_string_equal(r->answered_by, "svc.cluster.local");
	assert_int_equal(r->wasted, 2);
	nd_searchlist_free(t);
}

/*
 * No chain: a name typed with ndots dots goes out as is; a short name
 * answered by its first candidate cost nothing. Neither is reported,
 * and the as-is name does not even make a client entry.
 */
static void test_no_chain(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats st;

	(void)state;
	pair(t, "10.1.2.3", "www.a.b.c.example.com.", ND_RCODE_NOERROR, 1, 1,
	     100);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.clients, 0);
	assert_int_equal(st.open_chains, 0);

	pair(t, "10.1.2.3", "web.shop.svc.cluster.local", ND_RCODE_NOERROR, 1,
	     1, 1000);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 0);
	/* A single A lingers for its AAAA, then goes unreported. */
	ask(t, "10.1.2.3", 40000, "db.shop.svc.cluster.local", ND_TYPE_A,
	    ND_RCODE_NOERROR, 1, 5000);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 1);
	nd_searchlist_tick(t, 10000000);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 0);
	/* Other types are not looked at. */
	ask(t, "10.1.2.9", 40000, "x.shop.svc.cluster.local", ND_TYPE_TXT,
	    ND_RCODE_NXDOMAIN, 0, 5000);
	ask(t, "10.1.2.9", 40000, "x.ec2.internal", ND_TYPE_SRV,
	    ND_RCODE_NXDOMAIN, 0, 5000);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 0);
	assert_int_equal(st.chains, 0);
	assert_int_equal(got.n, 0);
	nd_searchlist_free(t);
}

static const struct nd_chain_report *find_report(const char *name)
{
	for (size_t i = 0; i < got.n && i < MAX_REPORTS; i++)
		if (strcmp(got.r[i].name, name) == 0)
			return &got.r[i];
	return NULL;
}

/* Two clients, and two names from one of them, all interleaved. */
static void test_interleaved(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	const struct nd_chain_report *r;
	static const char *const db[] = {
		"db.prod.svc.cluster.local", "db.svc.cluster.local",
		"db.cluster.local", "db.ec2.internal", "db.",
	};
	static const char *const s3[] = {
		"s3.aws.shop.svc.cluster.local", "s3.aws.svc.cluster.local",
		"s3.aws.cluster.local", "s3.aws.ec2.internal", "s3.aws.",
	};

	(void)state;
	for (int i = 0; i < 5; i++) {
		uint64_t us = 1000 + (uint64_t)i * 1000;
		bool is_last = i == 4;

		pair(t, "10.0.0.1", api_chain[i],
		     is_last ? ND_RCODE_NOERROR : ND_RCODE_NXDOMAIN, is_last,
		     is_last, us);
		if (i < 4)
			pair(t, "10.0.0.2", db[i],
			     i == 3 ? ND_RCODE_NOERROR : ND_RCODE_NXDOMAIN,
			     i == 3, 0, us + 10);
		pair(t, "10.0.0.1", s3[i], ND_RCODE_NXDOMAIN, 0, 0, us + 20);
	}
	assert_int_equal(got.n, 3);
	r = find_report("api.example.com");
	assert_non_null(r);
	assert_int_equal(r->queries, 10);
	assert_int_equal(r->wasted, 8);
	r = find_report("db");
	assert_non_null(r);
	assert_string_equal(r->ns, "prod");
	assert_int_equal(r->queries, 8);
	assert_int_equal(r->wasted, 6);
	assert_string_equal(r->answered_by, "ec2.internal");
	assert_string_equal(r->advice,
			    "use 'db.ec2.internal.'; saves 6 queries per lookup");
	r = find_report("s3.aws");
	assert_non_null(r);
	assert_false(r->is_answered);
	assert_string_equal(r->answered_by, "none");
	assert_int_equal(r->end, ND_SL_END_EXHAUSTED);
	assert_int_equal(r->wasted, 10);
	nd_searchlist_free(t);
}

static void test_idle_finish(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats st;

	(void)state;
	for (int i = 0; i < 3; i++)
		pair(t, "10.1.2.3", api_chain[i], ND_RCODE_NXDOMAIN, 0, 0,
		     1000000 + (uint64_t)i * 1000);
	/* Last answer at 1002100 + 200 us; idle after 2 s. */
	nd_searchlist_tick(t, 1002300 + 1999999);
	assert_int_equal(got.n, 0);
	nd_searchlist_tick(t, 1002300 + 2000000);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.r[0].end, ND_SL_END_IDLE);
	assert_int_equal(got.r[0].queries, 6);
	assert_int_equal(got.r[0].wasted, 6);
	assert_string_equal(got.r[0].answered_by, "none");
	assert_non_null(strstr(got.r[0].advice, "check the name"));
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 0);
	/* Clients are forgotten a window after their last query. */
	assert_int_equal(st.clients, 1);
	nd_searchlist_tick(t, 1002100 + 600000000ull);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.clients, 0);
	nd_searchlist_free(t);
}

/*
 * A then AAAA per candidate with a fresh socket each time, as glibc's
 * "single-request-reopen" does: sequential, labelled "musl" in /debug.
 */
static void test_sequential_order(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	cJSON *doc, *c;
	char *json = NULL;
	uint16_t port = 50000;

	(void)state;
	for (int i = 0; i < 5; i++) {
		uint64_t us = 1000 + (uint64_t)i * 30000;
		int rc = i == 4 ? ND_RCODE_NOERROR : ND_RCODE_NXDOMAIN;

		ask(t, "10.9.9.9", port++, api_chain[i], ND_TYPE_A, rc, i == 4,
		    us);
		ask(t, "10.9.9.9", port++, api_chain[i], ND_TYPE_AAAA, rc, 0,
		    us + 15000);
	}
	assert_int_equal(got.n, 1);
	assert_false(got.r[0].is_parallel);
	assert_int_equal(got.r[0].pattern, ND_SL_PATTERN_SEQUENTIAL);
	assert_int_equal(got.r[0].queries, 10);
	assert_int_equal(got.r[0].wasted, 8);

	/* One port, but 15 ms apart: sequential too. */
	for (int i = 0; i < 5; i++) {
		uint64_t us = 500000 + (uint64_t)i * 30000;
		int rc = i == 4 ? ND_RCODE_NOERROR : ND_RCODE_NXDOMAIN;

		ask(t, "10.9.9.8", 1234, api_chain[i], ND_TYPE_A, rc, i == 4,
		    us);
		ask(t, "10.9.9.8", 1234, api_chain[i], ND_TYPE_AAAA, rc, 0,
		    us + 15000);
	}
	assert_int_equal(got.n, 2);
	assert_int_equal(got.r[1].pattern, ND_SL_PATTERN_SEQUENTIAL);

	assert_int_equal(nd_searchlist_render_json(t, 700000, 0, &json), 0);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	c = cJSON_GetObjectItem(doc, "top_clients");
	assert_int_equal(cJSON_GetArraySize(c), 2);
	c = cJSON_GetArrayItem(c, 0);
	assert_string_equal(cJSON_GetObjectItem(c, "resolver")->valuestring,
			    "musl");
	assert_string_equal(cJSON_GetObjectItem(c, "pattern")->valuestring,
			    "sequential");
	cJSON_Delete(doc);
	free(json);
	nd_searchlist_free(t);
}

/* A client is its address: other ports, and IPv4-mapped IPv6, are one. */
static void test_client_is_address(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats st;

	(void)state;
	ask(t, "10.1.2.3", 1111, api_chain[0], ND_TYPE_A, ND_RCODE_NXDOMAIN, 0,
	    100);
	ask(t, "::ffff:10.1.2.3", 2222, api_chain[0], ND_TYPE_AAAA,
	    ND_RCODE_NXDOMAIN, 0, 150);
	ask(t, "10.1.2.3", 3333, api_chain[1], ND_TYPE_A, ND_RCODE_NOERROR, 1,
	    300);
	ask(t, "10.1.2.3", 3333, api_chain[1], ND_TYPE_AAAA, ND_RCODE_NOERROR,
	    1, 310);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.r[0].queries, 4);
	assert_int_equal(got.r[0].client.ss_family, AF_INET);
	/* Another port on its first pair; its second pair was parallel. */
	assert_true(got.r[0].is_parallel);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.clients, 1);

	/* IPv6 pods work the same way. */
	pair(t, "fd00::5", "x.shop.svc.cluster.local", ND_RCODE_NXDOMAIN, 0, 0,
	     1000);
	pair(t, "fd00::5", "x.svc.cluster.local", ND_RCODE_NOERROR, 1, 1,
	     2000);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.r[1].client.ss_family, AF_INET6);
	assert_string_equal(got.r[1].name, "x");
	nd_searchlist_free(t);
}

/* The same lookup begun again before the first one was over. */
static void test_restart(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);

	(void)state;
	for (int i = 0; i < 3; i++)
		pair(t, "10.1.2.3", api_chain[i], ND_RCODE_NXDOMAIN, 0, 0,
		     1000 + (uint64_t)i * 1000);
	glibc_api_chain(t, "10.1.2.3", 10000);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.r[0].end, ND_SL_END_RESTART);
	assert_int_equal(got.r[0].queries, 6);
	assert_int_equal(got.r[1].end, ND_SL_END_ANSWERED);
	assert_int_equal(got.r[1].queries, 10);
	nd_searchlist_free(t);
}

/* The namespace a client showed keeps "<x>.<other ns>.svc" out. */
static void test_learned_namespace(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);

	(void)state;
	glibc_api_chain(t, "10.1.2.3", 1000);
	/* A service of another namespace, asked by its full name. */
	pair(t, "10.1.2.3", "web.other.svc.cluster.local.", ND_RCODE_NOERROR,
	     1, 1, 20000);
	/* A chain that starts past the first suffix gets the namespace. */
	pair(t, "10.1.2.3", "k.cluster.local", ND_RCODE_NXDOMAIN, 0, 0, 30000);
	pair(t, "10.1.2.3", "k.ec2.internal", ND_RCODE_NOERROR, 1, 1, 31000);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.r[1].name, "k");
	assert_string_equal(got.r[1].ns, "shop");
	assert_string_equal(got.r[1].answered_by, "ec2.internal");
	nd_searchlist_free(t);
}

static void test_eviction_bounds(void **state)
{
	struct nd_searchlist *t = tracker(8, 2, 8);
	struct nd_searchlist_stats st;
	char name[64], ip[32];

	(void)state;
	/* Three open chains from one client: the oldest goes. */
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "n%d.shop.svc.cluster.local", i);
		pair(t, "10.0.0.1", name, ND_RCODE_NXDOMAIN, 0, 0,
		     100 + (uint64_t)i);
	}
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.open_chains, 2);
	assert_int_equal(st.chain_evictions, 1);
	/* Twenty clients into eight slots. */
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.0.1.%d", i);
		pair(t, ip, "z.shop.svc.cluster.local", ND_RCODE_NXDOMAIN, 0, 0,
		     1000 + (uint64_t)i);
		nd_searchlist_get_stats(t, &st);
		assert_true(st.clients <= 8);
		assert_true(st.open_chains <= 8);
	}
	assert_int_equal(st.clients, 8);
	assert_int_equal(st.client_evictions, 13);
	assert_int_equal(got.n, 0);
	/* The newest clients survive and finish their chains. */
	pair(t, "10.0.1.19", "z.svc.cluster.local", ND_RCODE_NOERROR, 1, 1,
	     5000);
	assert_int_equal(got.n, 1);
	nd_searchlist_free(t);
}

static uint64_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/*
 * A million events from 100,000 clients with random names: the pools
 * stay as they were made; clients, chains and names stay in bounds and
 * the heap does not grow.
 */
static void test_flood(void **state)
{
	static const char *const sfx[] = {
		"shop.svc.cluster.local", "svc.cluster.local", "cluster.local",
		"ec2.internal", "",
	};
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats before, st;
	uint64_t heap, us = 1;
	size_t events = 0;
	char *json = NULL;
	cJSON *doc;

	(void)state;
	nd_searchlist_get_stats(t, &before);
	heap = heap_in_use();
	while (events < 1000000) {
		char ip[32], name[128];
		uint32_t c = next_rand() % 100000;
		uint32_t len = 1 + next_rand() % 5;
		uint32_t base = next_rand();

		snprintf(ip, sizeof(ip), "10.%u.%u.%u", c >> 16,
			 (c >> 8) & 255, c & 255);
		/* One lookup of 1 to 5 candidates, one type each. */
		for (uint32_t i = 0; i < len && events < 1000000; i++) {
			uint16_t type = next_rand() & 1 ? ND_TYPE_A :
							  ND_TYPE_AAAA;

			snprintf(name, sizeof(name), "r%08x.%s", base, sfx[i]);
			ask(t, ip, (uint16_t)next_rand(), name, type,
			    ND_RCODE_NXDOMAIN, 0, us);
			events++;
			us += 3;
		}
		if (events % 100000 < 5)
			nd_searchlist_tick(t, us);
	}
	nd_searchlist_tick(t, us + 10000000);
	nd_searchlist_get_stats(t, &st);
	assert_true(st.clients <= 4096);
	assert_true(st.open_chains <= 4096);
	assert_true(st.client_evictions > 0);
	assert_int_equal(st.pool_bytes, before.pool_bytes);
	assert_int_equal(heap_in_use(), heap);

	assert_int_equal(nd_searchlist_render_json(t, us, 0, &json), 0);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "top_names")) <=
		    1024);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(
			    doc, "top_clients")) <= 4096);
	cJSON_Delete(doc);
	free(json);
	nd_searchlist_free(t);
}

static void test_json(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	cJSON *doc, *names, *clients, *e;
	char *json = NULL;

	(void)state;
	glibc_api_chain(t, "10.1.2.3", 1000000);
	glibc_api_chain(t, "10.1.2.3", 2000000);
	glibc_api_chain(t, "10.1.2.4", 2000000);
	pair(t, "10.1.2.5", "web.other.shop.svc.cluster.local",
	     ND_RCODE_NXDOMAIN, 0, 0, 3000000);
	pair(t, "10.1.2.5", "web.other.svc.cluster.local", ND_RCODE_NOERROR, 1,
	     1, 3001000);
	assert_int_equal(got.n, 4);

	assert_int_equal(nd_searchlist_render_json(t, 4000000, 0, &json), 0);
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "window_s")->valueint, 600);
	names = cJSON_GetObjectItem(doc, "top_names");
	assert_int_equal(cJSON_GetArraySize(names), 2);
	e = cJSON_GetArrayItem(names, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring,
			    "api.example.com");
	assert_string_equal(cJSON_GetObjectItem(e, "namespace")->valuestring,
			    "shop");
	assert_int_equal(cJSON_GetObjectItem(e, "chains")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(e, "wasted")->valueint, 24);
	assert_int_equal(cJSON_GetObjectItem(e, "queries")->valueint, 30);
	assert_true(cJSON_GetObjectItem(e, "avg_added_ms")->valuedouble >
			    4.09 &&
		    cJSON_GetObjectItem(e, "avg_added_ms")->valuedouble < 4.11);
	assert_string_equal(cJSON_GetObjectItem(e, "answered_by")->valuestring,
			    "");
	assert_non_null(strstr(cJSON_GetObjectItem(e, "advice")->valuestring,
			       "ndots:2"));
	e = cJSON_GetArrayItem(names, 1);
	assert_string_equal(cJSON_GetObjectItem(e, "name")->valuestring,
			    "web.other");
	assert_string_equal(cJSON_GetObjectItem(e, "answered_by")->valuestring,
			    "svc.cluster.local");

	clients = cJSON_GetObjectItem(doc, "top_clients");
	assert_int_equal(cJSON_GetArraySize(clients), 3);
	e = cJSON_GetArrayItem(clients, 0);
	assert_string_equal(cJSON_GetObjectItem(e, "client")->valuestring,
			    "10.1.2.3");
	assert_string_equal(cJSON_GetObjectItem(e, "namespace")->valuestring,
			    "shop");
	assert_int_equal(cJSON_GetObjectItem(e, "chains")->valueint, 2);
	assert_int_equal(cJSON_GetObjectItem(e, "wasted")->valueint, 16);
	assert_string_equal(cJSON_GetObjectItem(e, "resolver")->valuestring,
			    "glibc");
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetArrayItem(clients, 2), "client")
			->valuestring,
		"10.1.2.5");
	cJSON_Delete(doc);
	free(json);

	/* top_n limits each list. */
	assert_int_equal(nd_searchlist_render_json(t, 4000000, 1, &json), 0);
	doc = cJSON_Parse(json);
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItem(doc, "top_names")), 1);
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItem(doc, "top_clients")), 1);
	cJSON_Delete(doc);
	free(json);

	/* Past the window, nothing is left. */
	nd_searchlist_tick(t, 4000000 + 600000000ull);
	assert_int_equal(nd_searchlist_render_json(t, 4000000 + 600000000ull,
						   0, &json),
			 0);
	assert_string_equal(json,
			    "{\"window_s\":600,\"top_names\":[],\"top_clients\":[]}");
	free(json);
	assert_int_equal(nd_searchlist_render_json(NULL, 0, 0, &json), -EINVAL);
	assert_int_equal(nd_searchlist_render_json(t, 0, 0, NULL), -EINVAL);
	nd_searchlist_free(t);
}

/* Does text hold line as one whole line? */
static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static void test_metrics(void **state)
{
	static const char *const want[] = {
		"# TYPE nodedns_searchlist_chains_total counter",
		"nodedns_searchlist_chains_total 2",
		"# TYPE nodedns_searchlist_wasted_queries_total counter",
		"nodedns_searchlist_wasted_queries_total 16",
		"nodedns_searchlist_queries_total 20",
		"# TYPE nodedns_searchlist_added_latency_seconds histogram",
		"nodedns_searchlist_added_latency_seconds_bucket{le=\"0.0025\"} 0",
		"nodedns_searchlist_added_latency_seconds_bucket{le=\"0.005\"} 2",
		"nodedns_searchlist_added_latency_seconds_bucket{le=\"10\"} 2",
		"nodedns_searchlist_added_latency_seconds_bucket{le=\"+Inf\"} 2",
		"nodedns_searchlist_added_latency_seconds_sum 0.0082",
		"nodedns_searchlist_added_latency_seconds_count 2",
		"# TYPE nodedns_searchlist_clients gauge",
		"nodedns_searchlist_clients 2",
		"nodedns_searchlist_evictions_total{kind=\"client\"} 0",
		"nodedns_searchlist_log_suppressed_total 0",
	};
	struct nd_searchlist *t = tracker(0, 0, 0);
	char *text = strdup("before\n");
	size_t len = strlen(text);

	(void)state;
	glibc_api_chain(t, "10.1.2.3", 1000);
	glibc_api_chain(t, "10.1.2.4", 1000);
	assert_int_equal(nd_searchlist_render_metrics(t, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_memory_equal(text, "before\n", 7);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!has_line(text, want[i]))
			fail_msg("missing line: %s", want[i]);
	free(text);

	text = NULL;
	len = 0;
	assert_int_equal(nd_searchlist_render_metrics(t, &text, &len), 0);
	assert_true(strncmp(text, "# HELP ", 7) == 0);
	free(text);
	text = NULL;
	len = 3;
	assert_int_equal(nd_searchlist_render_metrics(t, &text, &len), -EINVAL);
	assert_int_equal(nd_searchlist_render_metrics(NULL, &text, &len),
			 -EINVAL);
	nd_searchlist_free(t);
}

static void test_should_log(void **state)
{
	struct nd_searchlist *t = tracker(0, 0, 0);
	struct nd_searchlist_stats st;
	int n = 0;

	(void)state;
	for (int i = 0; i < 100; i++)
		n += nd_searchlist_should_log(t, 5000000);
	assert_int_equal(n, 50);
	/* A second refills ten lines. */
	n = 0;
	for (int i = 0; i < 100; i++)
		n += nd_searchlist_should_log(t, 6000000);
	assert_int_equal(n, 10);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(st.log_suppressed, 140);
	assert_false(nd_searchlist_should_log(NULL, 1));
	nd_searchlist_free(t);
}

static void test_bad_options(void **state)
{
	const char *many[40];
	struct nd_searchlist_options o = { 0 };
	struct nd_searchlist *t;
	struct nd_searchlist_stats st;
	struct nd_query_event ev = { 0 };

	(void)state;
	assert_null(nd_searchlist_new(NULL));
	for (size_t i = 0; i < 40; i++)
		many[i] = "example.com";
	o.node_domains = many;
	o.n_node_domains = 29;
	assert_null(nd_searchlist_new(&o));
	o.n_node_domains = 28; /* 3 + 28 + 1 = 32 candidates */
	t = nd_searchlist_new(&o);
	assert_non_null(t);
	nd_searchlist_free(t);
	o.n_node_domains = 1;
	o.node_domains = NULL;
	assert_null(nd_searchlist_new(&o));
	many[0] = ".";
	o.node_domains = many;
	assert_null(nd_searchlist_new(&o));
	many[0] = "bad..name";
	assert_null(nd_searchlist_new(&o));
	o.n_node_domains = 0;
	o.zone = "";
	assert_null(nd_searchlist_new(&o));

	/* NULL and question-less events are ignored. */
	o.zone = NULL;
	t = nd_searchlist_new(&o);
	assert_non_null(t);
	nd_searchlist_observe(t, NULL);
	nd_searchlist_observe(NULL, &ev);
	nd_searchlist_observe(t, &ev);
	nd_searchlist_tick(NULL, 0);
	nd_searchlist_get_stats(NULL, &st);
	assert_int_equal(st.chains, 0);
	nd_searchlist_get_stats(t, NULL);
	nd_searchlist_free(t);
	nd_searchlist_free(NULL);
}

/* --- threads ------------------------------------------------------------ */

#define N_THREADS 4
#define ROUNDS 300

static uint64_t thread_reports;

static void count_chain(void *arg, const struct nd_chain_report *r)
{
	(void)arg;
	(void)r;
	__atomic_fetch_add(&thread_reports, 1, __ATOMIC_RELAXED);
}

struct worker_arg {
	struct nd_searchlist *t;
	int id;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;

	for (int r = 0; r < ROUNDS; r++) {
		char ip[32];

		/* Forty clients per thread, none shared between threads. */
		snprintf(ip, sizeof(ip), "10.%d.0.%d", a->id, r % 40);
		glibc_api_chain(a->t, ip, 1000000 + (uint64_t)r * 10000);
	}
	return NULL;
}

static int is_stopping;

static void *control(void *p)
{
	struct nd_searchlist *t = p;
	struct nd_searchlist_stats st;

	while (!__atomic_load_n(&is_stopping, __ATOMIC_ACQUIRE)) {
		char *json = NULL, *text = NULL;
		size_t len = 0;

		/* Nothing is idle at time 1: this only contends for locks. */
		nd_searchlist_tick(t, 1);
		assert_int_equal(nd_searchlist_render_json(t, 1, 10, &json), 0);
		free(json);
		assert_int_equal(nd_searchlist_render_metrics(t, &text, &len),
				 0);
		free(text);
		nd_searchlist_get_stats(t, &st);
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct nd_searchlist_options o = {
		.node_domains = node_domains,
		.n_node_domains = 1,
		.on_chain = count_chain,
	};
	struct nd_searchlist *t = nd_searchlist_new(&o);
	struct worker_arg args[N_THREADS];
	pthread_t th[N_THREADS], ctl;
	struct nd_searchlist_stats st;

	(void)state;
	assert_non_null(t);
	assert_int_equal(pthread_create(&ctl, NULL, control, t), 0);
	for (int i = 0; i < N_THREADS; i++) {
		args[i].t = t;
		args[i].id = i;
		assert_int_equal(
			pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(th[i], NULL);
	__atomic_store_n(&is_stopping, 1, __ATOMIC_RELEASE);
	pthread_join(ctl, NULL);
	nd_searchlist_get_stats(t, &st);
	assert_int_equal(thread_reports, N_THREADS * ROUNDS);
	assert_int_equal(st.chains, N_THREADS * ROUNDS);
	assert_int_equal(st.wasted, 8 * N_THREADS * ROUNDS);
	assert_int_equal(st.queries, 10 * N_THREADS * ROUNDS);
	assert_int_equal(st.clients, N_THREADS * 40);
	assert_int_equal(st.open_chains, 0);
	nd_searchlist_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glibc_chain_absolute),
		cmocka_unit_test(test_report_waits_for_other_type),
		cmocka_unit_test(test_cluster_name_second_candidate),
		cmocka_unit_test(test_truncated_then_tcp),
		cmocka_unit_test(test_no_chain),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_idle_finish),
		cmocka_unit_test(test_sequential_order),
		cmocka_unit_test(test_client_is_address),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_learned_namespace),
		cmocka_unit_test(test_eviction_bounds),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_should_log),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
