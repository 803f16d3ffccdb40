/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/kube/test_node_records.c - a rendered name node reads back as the records it was built from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"
#include "kube/name_node.h"
#include "kube/nameset.h"
#include "kube/node_records.h"

#define MAX_RRS 32

/* Serialized records (nameset.h's format) under construction. */
struct recs {
	uint8_t blob[4096];
	size_t len;
};

static size_t wire(const char *text, uint8_t *out)
{
	int n = nd_dns_name_from_text(text, out, ND_DNS_MAX_NAME);

	assert_true(n > 0);
	return (size_t)n;
}

static void add(struct recs *r, uint16_t type, uint16_t add_for,
		const char *owner, const uint8_t *rdata, size_t rdlen)
{
	uint8_t o[ND_DNS_MAX_NAME];
	size_t olen = owner != NULL ? wire(owner, o) : 0;
	uint8_t *p = r->blob + r->len;

	assert_true(r->len + 7 + olen + rdlen <= sizeof(r->blob));
	nd_put16(p, type);
	nd_put16(p + 2, add_for);
	p[4] = (uint8_t)olen;
	memcpy(p + 5, o, olen);
	nd_put16(p + 5 + olen, (uint16_t)rdlen);
	memcpy(p + 7 + olen, rdata, rdlen);
	r->len += 7 + olen + rdlen;
}

static void add_a(struct recs *r, uint16_t add_for, const char *owner,
		  uint8_t last)
{
	const uint8_t a[4] = {10, 0, 0, last};

	add(r, ND_TYPE_A, add_for, owner, a, sizeof(a));
}

static void add_name(struct recs *r, uint16_t type, const char *target)
{
	uint8_t n[ND_DNS_MAX_NAME];

	add(r, type, 0, NULL, n, wire(target, n));
}

static void add_srv(struct recs *r, uint16_t port, const char *target)
{
	uint8_t rd[6 + ND_DNS_MAX_NAME] = {0, 0, 0, 100};

	nd_put16(rd + 4, port);
	add(r, ND_TYPE_SRV, 0, NULL, rd, 6 + wire(target, rd + 6));
}

static int rrv_cmp(const void *a, const void *b)
{
	return nd_kube_rr_cmp(a, b);
}

/* The records of r sorted as a nameset hands them over. */
static size_t sorted(const struct recs *r, struct nd_kube_rrv *v,
		     uint8_t *out)
{
	size_t n = 0, o = 0;
	int off;

	for (size_t p = 0; p < r->len; p = (size_t)off) {
		assert_true(n < MAX_RRS);
		off = nd_kube_rr_parse(r->blob, r->len, p, &v[n++]);
		assert_true(off > 0);
	}
	qsort(v, n, sizeof(*v), rrv_cmp);
	for (size_t i = 0; i < n; i++) {
		memcpy(out + o, v[i].raw, v[i].raw_len);
		o += v[i].raw_len;
	}
	return o;
}

/* Build the node of name from r, read it back, compare. */
static void roundtrip(const char *name, const struct recs *r)
{
	struct nd_kube_render_scratch sc = {0};
	struct nd_kube_rrv v[MAX_RRS];
	uint8_t want[4096], qn[ND_DNS_MAX_NAME], *got = NULL;
	size_t want_len = sorted(r, v, want), n = 0, got_len = 99;
	size_t qlen = wire(name, qn);

	for (size_t p = 0; p < want_len; n++) {
		int off = nd_kube_rr_parse(want, want_len, p, &v[n]);

		assert_true(off > 0);
		p = (size_t)off;
	}

	struct nd_kube_rnode *node = nd_kube_rnode_build(
		&sc, qn, qlen, ND_KUBE_SOA_ZONE, v, n, 30, NULL);

	assert_non_null(node);
	assert_int_equal(nd_kube_rnode_records(node, &got, &got_len), 0);
	assert_int_equal(got_len, want_len);
	if (want_len > 0)
		assert_memory_equal(got, want, want_len);
	else
		assert_null(got);
	free(got);
	nd_kube_rnode_free(node);
	nd_kube_render_scratch_deinit(&sc);
}

static void test_one_address(void **state)
{
	struct recs r = {0};

	(void)state;
	add_a(&r, 0, NULL, 7);
	roundtrip("web.default.svc.cluster.local", &r);
}

static void test_two_types(void **state)
{
	struct recs r = {0};
	const uint8_t aaaa[16] = {0xfd, 0, [15] = 1};

	(void)state;
	add_a(&r, 0, NULL, 2);
	add_a(&r, 0, NULL, 1);
	add(&r, ND_TYPE_AAAA, 0, NULL, aaaa, sizeof(aaaa));
	roundtrip("dual.default.svc.cluster.local", &r);
}

/* SRV targets and their addresses: names the writer compresses against
 * the question, additional records filed for SRV. */
static void test_srv_with_additional(void **state)
{
	struct recs r = {0};

	(void)state;
	add_srv(&r, 80, "db-0.db.default.svc.cluster.local");
	add_srv(&r, 80, "db-1.db.default.svc.cluster.local");
	add_a(&r, ND_TYPE_SRV, "db-0.db.default.svc.cluster.local", 10);
	add_a(&r, ND_TYPE_SRV, "db-1.db.default.svc.cluster.local", 11);
	roundtrip("_http._tcp.db.default.svc.cluster.local", &r);
}

static void test_names_in_rdata(void **state)
{
	struct recs r = {0}, c = {0};

	(void)state;
	add_name(&r, ND_TYPE_PTR, "web.default.svc.cluster.local");
	add_name(&r, ND_TYPE_PTR, "api.other.svc.cluster.local");
	roundtrip("7.0.0.10.in-addr.arpa", &r);
	add_name(&c, ND_TYPE_CNAME, "db.example.org");
	roundtrip("ext.default.svc.cluster.local", &c);
}

static void test_no_records(void **state)
{
	struct recs r = {0};

	(void)state;
	roundtrip("default.svc.cluster.local", &r);
}

/*
 * An additional record filed for a type with no answer records is only
 * in the ANY message, so it does not come back: the table then keeps its
 * own copy. Here the read-back must differ, never be taken for equal.
 */
static void test_orphan_additional_differs(void **state)
{
	struct nd_kube_render_scratch sc = {0};
	struct nd_kube_rrv v[MAX_RRS];
	struct recs r = {0};
	uint8_t want[4096], qn[ND_DNS_MAX_NAME], *got = NULL;
	size_t n = 0, got_len = 0, want_len;

	(void)state;
	add_a(&r, 0, NULL, 1);
	add_a(&r, ND_TYPE_SRV, "x.cluster.local", 2);
	want_len = sorted(&r, v, want);
	for (size_t p = 0; p < want_len; n++) {
		int off = nd_kube_rr_parse(want, want_len, p, &v[n]);

		p = (size_t)off;
	}

	struct nd_kube_rnode *node = nd_kube_rnode_build(
		&sc, qn, wire("odd.cluster.local", qn), ND_KUBE_SOA_ZONE, v, n,
		30, NULL);

	assert_non_null(node);
	assert_int_equal(nd_kube_rnode_records(node, &got, &got_len), 0);
	assert_true(got_len != want_len || memcmp(got, want, want_len) != 0);
	free(got);
	nd_kube_rnode_free(node);
	nd_kube_render_scratch_deinit(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_address),
		cmocka_unit_test(test_two_types),
		cmocka_unit_test(test_srv_with_additional),
		cmocka_unit_test(test_names_in_rdata),
		cmocka_unit_test(test_no_records),
		cmocka_unit_test(test_orphan_additional_differs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
