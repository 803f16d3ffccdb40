/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * Tests for the bounds of the cluster zone (kube/zone_names.c's
 * per-Service limit, kube/store.c's memory budget): what is left out,
 * what keeps answering, and that each is counted once per object.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns/query.h"
#include "dns/wire.h"
#include "kube/store.h"

static const char *const port_names[] = {"a", "b", "c", "d", "e"};

static struct nd_kube_store *store_make(size_t max_records, uint64_t max_bytes)
{
	struct nd_kube_store_options o = {
		.zone = "cluster.local",
		.ttl_s = 5,
		.pods = ND_PODS_DISABLED,
		.max_service_records = max_records,
		.max_bytes = max_bytes,
	};
	struct nd_kube_store *s = nd_kube_store_new(&o);

	assert_non_null(s);
	return s;
}

static void add_port(struct nd_kube_port **v, size_t *n, const char *name,
		     uint16_t port)
{
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	assert_non_null(*v);
	(*v)[*n].name = name; /* literals outlive the object */
	(*v)[*n].protocol = IPPROTO_TCP;
	(*v)[*n].port = port;
	(*n)++;
}

/* Service ns/name: headless, or ClusterIP 10.96.0.<ip_last> when >0. */
static void put_svc(struct nd_kube_store *s, const char *name, int ip_last,
		    size_t n_ports)
{
	struct nd_kube_service svc;

	memset(&svc, 0, sizeof(svc));
	svc.ns = "default";
	svc.name = name;
	svc.rv = "";
	svc.external_name = "";
	svc.type = ip_last > 0 ? ND_SVC_CLUSTER_IP : ND_SVC_HEADLESS;
	if (ip_last > 0) {
		svc.ips[0].family = AF_INET;
		svc.ips[0].addr[0] = 10;
		svc.ips[0].addr[1] = 96;
		svc.ips[0].addr[3] = (uint8_t)ip_last;
		svc.n_ips = 1;
	}
	for (size_t p = 0; p < n_ports; p++)
		add_port(&svc.ports, &svc.n_ports, port_names[p],
			 (uint16_t)(80 + p));
	assert_int_equal(nd_kube_store_put_service(s, &svc), 0);
}

/* Slice of service with n ready endpoints 10.1.<net>.1.. and n_ports
 * named ports. */
static void put_slice(struct nd_kube_store *s, const char *name,
		      const char *service, int net, size_t n, size_t n_ports)
{
	struct nd_kube_slice sl;

	memset(&sl, 0, sizeof(sl));
	sl.ns = "default";
	sl.name = name;
	sl.service = service;
	sl.rv = "";
	sl.address_type = AF_INET;
	sl.eps = calloc(n, sizeof(*sl.eps));
	sl.ips = calloc(n, sizeof(*sl.ips));
	assert_non_null(sl.eps);
	assert_non_null(sl.ips);
	sl.n_eps = n;
	for (size_t i = 0; i < n; i++) {
		sl.ips[i].family = AF_INET;
		sl.ips[i].addr[0] = 10;
		sl.ips[i].addr[1] = 1;
		sl.ips[i].addr[2] = (uint8_t)net;
		sl.ips[i].addr[3] = (uint8_t)(i + 1);
		sl.eps[i].addrs = &sl.ips[i];
		sl.eps[i].n_addrs = 1;
		sl.eps[i].is_ready = true;
		sl.eps[i].is_serving = true;
		sl.eps[i].hostname = "";
		sl.eps[i].node = "";
		sl.eps[i].pod = "";
	}
	for (size_t p = 0; p < n_ports; p++)
		add_port(&sl.ports, &sl.n_ports, port_names[p],
			 (uint16_t)(80 + p));
	assert_int_equal(nd_kube_store_put_slice(s, &sl), 0);
}

struct reply {
	int rcode;	/* -1: not ours */
	unsigned an;	/* ANCOUNT */
};

static struct reply ask(struct nd_kube_store *s, const char *name,
			uint16_t qtype)
{
	static uint8_t out[65535];
	uint8_t pkt[512];
	struct nd_query q;
	struct reply r = {-1, 0};
	size_t n = ND_DNS_HEADER_LEN, len = 0;
	int rcode = 0, l;

	memset(pkt, 0, ND_DNS_HEADER_LEN);
	nd_put16(pkt, 0x1234);
	nd_put16(pkt + 2, ND_FLAG_RD);
	nd_put16(pkt + 4, 1);
	l = nd_dns_name_from_text(name, pkt + n, sizeof(pkt) - n);
	assert_true(l > 0);
	n += (size_t)l;
	nd_put16(pkt + n, qtype);
	nd_put16(pkt + n + 2, ND_CLASS_IN);
	n += 4;
	assert_int_equal(nd_query_parse(pkt, n, &q, &rcode), ND_QUERY_OK);
	if (nd_kube_store_answer(s, &q, sizeof(out), out, sizeof(out), &len) !=
	    ND_KUBE_ANSWERED)
		return r;
	r.rcode = out[3] & 0xf;
	r.an = nd_get16(out + 6);
	return r;
}

static struct nd_kube_store_stats stats(struct nd_kube_store *s)
{
	struct nd_kube_store_stats st;

	nd_kube_store_get_stats(s, &st);
	return st;
}

/*
 * A headless Service: 10 addresses x 3 named ports is 10 * (3 + 2 * 3) =
 * 90 records. With 50 allowed, one port fits (10 * 5 = 50): the SRV
 * name of the first port answers with every target, the others do not
 * exist, every address still answers.
 */
static void test_headless_ports_cut(void **state)
{
	struct nd_kube_store *s = store_make(50, 0);
	struct reply r;

	(void)state;
	put_svc(s, "big", 0, 0);
	put_slice(s, "big-1", "big", 1, 10, 3);
	r = ask(s, "big.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 10);
	r = ask(s, "_a._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 10);
	r = ask(s, "_b._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	r = ask(s, "_c._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	r = ask(s, "1.1.1.10.in-addr.arpa", ND_TYPE_PTR);
	assert_int_equal(r.an, 1);
	assert_int_equal(stats(s).truncated, 1);
	assert_int_equal(stats(s).truncations, 1);

	/* The same cut at the next change is not counted (or said) again. */
	put_slice(s, "big-1", "big", 1, 9, 3);
	assert_int_equal(stats(s).truncated, 1);
	assert_int_equal(stats(s).truncations, 1);

	/* Within the limit again: everything, and the gauge goes down. */
	put_slice(s, "big-1", "big", 1, 5, 3);
	r = ask(s, "_c._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 5);
	assert_int_equal(stats(s).truncated, 0);
	assert_int_equal(stats(s).truncations, 1);

	/* Cut again, then deleted: nothing is left counted as cut. */
	put_slice(s, "big-1", "big", 1, 10, 3);
	assert_int_equal(stats(s).truncated, 1);
	assert_int_equal(stats(s).truncations, 2);
	assert_int_equal(nd_kube_store_del_service(s, "default", "big"), 0);
	assert_int_equal(stats(s).truncated, 0);
	nd_kube_store_free(s);
}

/* Past the limit with the addresses alone (3 records each): the first
 * max / 3 addresses are kept, no SRV name. */
static void test_headless_addresses_cut(void **state)
{
	struct nd_kube_store *s = store_make(12, 0);
	struct reply r;

	(void)state;
	put_svc(s, "many", 0, 0);
	put_slice(s, "many-1", "many", 2, 10, 1);
	r = ask(s, "many.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 4);
	r = ask(s, "_a._tcp.many.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	assert_int_equal(stats(s).truncated, 1);
	nd_kube_store_free(s);
}

/*
 * A ClusterIP Service: 2 for its IP, 2 per named port (SRV and its
 * additional A), 2 per ready address. 5 ports and 3 addresses are
 * 2 + 10 + 6 = 18; with 12 allowed two ports fit.
 */
static void test_cluster_ip_ports_cut(void **state)
{
	struct nd_kube_store *s = store_make(12, 0);
	struct reply r;

	(void)state;
	put_svc(s, "web", 10, 5);
	put_slice(s, "web-1", "web", 3, 3, 0);
	r = ask(s, "web.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.an, 1);
	r = ask(s, "_b._tcp.web.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.an, 1);
	r = ask(s, "_c._tcp.web.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	r = ask(s, "3.3.1.10.in-addr.arpa", ND_TYPE_PTR);
	assert_int_equal(r.an, 1);
	assert_int_equal(stats(s).truncated, 1);
	nd_kube_store_free(s);
}

/* No limit (0): every record of a large Service. */
static void test_no_limit(void **state)
{
	struct nd_kube_store *s = store_make(0, 0);
	struct reply r;

	(void)state;
	put_svc(s, "big", 0, 0);
	put_slice(s, "big-1", "big", 1, 50, 5);
	r = ask(s, "_e._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.an, 50);
	assert_int_equal(stats(s).truncated, 0);
	nd_kube_store_free(s);
}

/*
 * The zone's budget: a Service whose render takes the zone past it is
 * withdrawn (its names do not exist), counted once; the Services
 * already there keep answering; after room is made, its next change
 * serves it again.
 */
static void test_budget(void **state)
{
	struct nd_kube_store *s = store_make(0, 0);
	uint64_t small, budget;
	struct reply r;

	(void)state;
	/* What a zone with one small Service holds, measured. */
	put_svc(s, "small", 20, 1);
	small = stats(s).index_bytes + stats(s).answer_bytes;
	nd_kube_store_free(s);
	budget = small + 4096;

	s = store_make(0, budget);
	assert_int_equal(stats(s).max_bytes, budget);
	put_svc(s, "small", 20, 1);
	assert_int_equal(stats(s).over_budget, 0);
	put_svc(s, "big", 0, 0);
	put_slice(s, "big-1", "big", 1, 200, 5);
	assert_int_equal(stats(s).over_budget, 1);
	assert_int_equal(stats(s).over_budget_total, 1);
	assert_true(stats(s).index_bytes + stats(s).answer_bytes <= budget);
	r = ask(s, "big.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	r = ask(s, "_a._tcp.big.default.svc.cluster.local", ND_TYPE_SRV);
	assert_int_equal(r.rcode, ND_RCODE_NXDOMAIN);
	r = ask(s, "small.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.rcode, 0);
	assert_int_equal(r.an, 1);

	/* Changed and still too big: not counted again. */
	put_slice(s, "big-1", "big", 1, 199, 5);
	assert_int_equal(stats(s).over_budget, 1);
	assert_int_equal(stats(s).over_budget_total, 1);

	/* Small enough now: served, the gauge goes down. */
	put_slice(s, "big-1", "big", 1, 2, 1);
	assert_int_equal(stats(s).over_budget, 0);
	r = ask(s, "big.default.svc.cluster.local", ND_TYPE_A);
	assert_int_equal(r.an, 2);

	/* Withdrawn, then deleted: nothing left counted. */
	put_slice(s, "big-1", "big", 1, 200, 5);
	assert_int_equal(stats(s).over_budget, 1);
	assert_int_equal(nd_kube_store_del_service(s, "default", "big"), 0);
	assert_int_equal(stats(s).over_budget, 0);
	assert_int_equal(stats(s).over_budget_total, 2);
	nd_kube_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headless_ports_cut),
		cmocka_unit_test(test_headless_addresses_cut),
		cmocka_unit_test(test_cluster_ip_ports_cut),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
