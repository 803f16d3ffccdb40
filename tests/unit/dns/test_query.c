/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/query.c: verdicts, rcodes and EDNS fields. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"
#include "dns/query.h"
#include "tests/unit/dns/msg_build.h"
#include "util/errors.h"

static void question(struct tm_msg *m, const char *name, uint16_t type,
		     uint16_t cls)
{
	tm_put_name(m, name);
	tm_put16(m, type);
	tm_put16(m, cls);
}

/* OPT with one 8-byte COOKIE option (RFC 7873) so opts_off/len show. */
static void opt(struct tm_msg *m, uint16_t size, uint8_t version, bool dnssec_ok)
{
	tm_put8(m, 0);
	tm_put16(m, ND_TYPE_OPT);
	tm_put16(m, size);
	tm_put32(m, ((uint32_t)version << 16) | (dnssec_ok ? 0x8000u : 0));
	tm_put16(m, 12);
	tm_put16(m, 10);
	tm_put16(m, 8);
	for (int i = 0; i < 8; i++)
		tm_put8(m, (uint8_t)i);
}

/* An A record owned by a pointer to the question name. */
static void a_rr(struct tm_msg *m)
{
	tm_put16(m, 0xc00c);
	tm_put16(m, ND_TYPE_A);
	tm_put16(m, ND_CLASS_IN);
	tm_put32(m, 60);
	tm_put16(m, 4);
	tm_put32(m, 0x0a000001);
}

static void plain_query(struct tm_msg *m)
{
	tm_hdr(m, 0x1234, ND_FLAG_RD, 1, 0, 0, 0);
	question(m, "Www.Example.COM", ND_TYPE_A, ND_CLASS_IN);
}

static void edns_query(struct tm_msg *m, uint16_t size, uint8_t version)
{
	tm_hdr(m, 0x4321, ND_FLAG_RD | ND_FLAG_CD, 1, 0, 0, 1);
	question(m, "example.org", ND_TYPE_AAAA, ND_CLASS_IN);
	opt(m, size, version, true);
}

/* Parse a heap copy of exactly len bytes so ASan catches overreads. */
static int parse(const uint8_t *p, size_t len, struct nd_query *q, int *rcode)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	memcpy(d, p, len);
	int v = nd_query_parse(d, len, q, rcode);
	free(d);
	return v;
}

static void expect_reply(struct tm_msg *m, int rcode_want, struct nd_query *q)
{
	int rcode = -1;

	assert_int_equal(parse(m->b, m->n, q, &rcode), ND_QUERY_REPLY);
	assert_int_equal(rcode, rcode_want);
}

static void test_valid_plain(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode = -1;

	(void)state;
	plain_query(&m);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_int_equal(rcode, ND_RCODE_NOERROR);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.flags, ND_FLAG_RD);
	assert_true(q.has_question);
	assert_int_equal(q.qname_len, 17);
	assert_memory_equal(q.qname, "\3Www\7Example\3COM", 17);
	assert_memory_equal(q.qname_lc, "\3www\7example\3com", 17);
	assert_int_equal(q.qtype, ND_TYPE_A);
	assert_int_equal(q.qclass, ND_CLASS_IN);
	assert_int_equal(q.question_end, 12 + 17 + 4);
	assert_false(q.has_edns);
	assert_int_equal(q.edns_udp_size, 512);
	assert_int_equal(q.edns_opts_off, 0);
	assert_int_equal(nd_query_udp_limit(&q), 512);
}

static void test_valid_edns(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode = -1;

	(void)state;
	edns_query(&m, 1232, 0);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_true(q.has_edns);
	assert_true(q.edns_do);
	assert_int_equal(q.edns_version, 0);
	assert_int_equal(q.edns_udp_size, 1232);
	assert_int_equal(q.edns_opts_len, 12);
	assert_int_equal(q.edns_opts_off, m.n - 12);
	assert_int_equal(nd_get16(m.b + q.edns_opts_off), 10);
	assert_int_equal(q.qtype, ND_TYPE_AAAA);
	assert_int_equal(nd_query_udp_limit(&q), 1232);
}

static void test_udp_size(void **state)
{
	static const struct {
		uint16_t adv, size, limit;
	} cases[] = {
		{ 0, 512, 512 },	 { 100, 512, 512 },
		{ 511, 512, 512 },	 { 512, 512, 512 },
		{ 1232, 1232, 1232 },	 { 4096, 4096, 4096 },
		{ 4097, 4097, 4096 },	 { 65535, 65535, 4096 },
	};
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		edns_query(&m, cases[i].adv, 0);
		assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
		assert_int_equal(q.edns_udp_size, cases[i].size);
		assert_int_equal(nd_query_udp_limit(&q), cases[i].limit);
	}
	assert_int_equal(nd_query_udp_limit(NULL), 512);
}

static void test_drop(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	plain_query(&m);
	for (size_t len = 0; len < ND_DNS_HEADER_LEN; len++)
		assert_int_equal(parse(m.b, len, &q, &rcode), ND_QUERY_DROP);
	/* A response: dropped, but the ID is known (for counting). */
	m.b[2] |= 0x80;
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_DROP);
	assert_int_equal(q.id, 0x1234);
	assert_true(q.flags & ND_FLAG_QR);
	/* QR=1 wins even over a header-only message. */
	assert_int_equal(parse(m.b, ND_DNS_HEADER_LEN, &q, &rcode),
			 ND_QUERY_DROP);
}

static void test_bad_args(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	plain_query(&m);
	assert_int_equal(nd_query_parse(NULL, m.n, &q, &rcode), -EINVAL);
	assert_int_equal(nd_query_parse(m.b, m.n, NULL, &rcode), -EINVAL);
	assert_int_equal(nd_query_parse(m.b, m.n, &q, NULL), -EINVAL);
}

static void test_opcode_notimp(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	/* STATUS (2), NOTIFY (4), UPDATE (5): the question is echoed. */
	for (uint16_t op = 1; op < 16; op++) {
		plain_query(&m);
		nd_put16(m.b + 2, (uint16_t)(ND_FLAG_RD | (op << 11)));
		expect_reply(&m, ND_RCODE_NOTIMP, &q);
		assert_true(q.has_question);
		assert_int_equal(q.qtype, ND_TYPE_A);
	}
	/* Unreadable question: still NOTIMP, without a question. */
	tm_hdr(&m, 1, 5 << 11, 1, 0, 0, 0);
	tm_put8(&m, 5);
	tm_put8(&m, 'a');
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
	assert_false(q.has_question);
	/* No question at all (UPDATE with ZOCOUNT 0 is odd, but not ours). */
	tm_hdr(&m, 1, 5 << 11, 0, 0, 0, 0);
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
	assert_false(q.has_question);
	/* EDNS is picked up so the reply can carry OPT. */
	edns_query(&m, 1232, 0);
	m.b[2] |= 2 << 3;
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
	assert_true(q.has_edns);
}

static void test_qdcount(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	tm_hdr(&m, 7, 0, 0, 0, 0, 0);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_false(q.has_question);
	assert_int_equal(q.id, 7);

	tm_hdr(&m, 7, 0, 2, 0, 0, 0);
	question(&m, "a.example", ND_TYPE_A, ND_CLASS_IN);
	question(&m, "b.example", ND_TYPE_A, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_false(q.has_question);
}

static void test_every_prefix(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	/* An EDNS query with an answer and an authority record before the
	 * OPT, so every walker is cut somewhere. */
	tm_hdr(&m, 0x4321, ND_FLAG_RD, 1, 1, 1, 1);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	a_rr(&m);
	a_rr(&m);
	opt(&m, 1232, 0, false);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_true(q.has_edns);
	for (size_t len = 0; len < m.n; len++) {
		int v = parse(m.b, len, &q, &rcode);
		if (len < ND_DNS_HEADER_LEN) {
			assert_int_equal(v, ND_QUERY_DROP);
			continue;
		}
		assert_int_equal(v, ND_QUERY_REPLY);
		assert_int_equal(rcode, ND_RCODE_FORMERR);
		assert_false(q.has_edns);
		/* The question is echoed once it is complete. */
		assert_int_equal(q.has_question, len >= 12 + 13 + 4);
	}
}

static void test_bad_question(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	/* Compression pointer in the question (it could only aim at the
	 * header). */
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	tm_put8(&m, 1);
	tm_put8(&m, 'a');
	tm_put16(&m, 0xc000);
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_false(q.has_question);
	/* Pointer loop. */
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	tm_put16(&m, 0xc00c);
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	/* Label of 64 (reads as extended label type 0x40). */
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	tm_put8(&m, 64);
	for (int i = 0; i < 64; i++)
		tm_put8(&m, 'x');
	tm_put8(&m, 0);
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	/* Name of 256 bytes. */
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	for (int l = 0; l < 4; l++) {
		tm_put8(&m, 63);
		for (int i = 0; i < 63; i++)
			tm_put8(&m, 'y');
	}
	tm_put8(&m, 0);
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	/* Root name is a fine question (". NS" priming). */
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, ".", ND_TYPE_NS, ND_CLASS_IN);
	int rcode;
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_int_equal(q.qname_len, 1);
}

static void test_records_skipped(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	tm_hdr(&m, 1, 0, 1, 1, 1, 2);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	a_rr(&m);
	a_rr(&m);
	a_rr(&m); /* additional before the OPT */
	opt(&m, 4096, 0, false);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_true(q.has_edns);
	assert_false(q.edns_do);
	assert_int_equal(q.edns_udp_size, 4096);

	/* rdlength running past the end. */
	tm_hdr(&m, 1, 0, 1, 1, 0, 0);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	a_rr(&m);
	m.b[m.n - 5] = 5;
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_true(q.has_question);
	/* More records announced than present. */
	tm_hdr(&m, 1, 0, 1, 0, 3, 0);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	a_rr(&m);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
}

static void test_trailing_garbage(void **state)
{
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	edns_query(&m, 1232, 0);
	for (int i = 0; i < 7; i++)
		tm_put8(&m, 0xff);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	assert_true(q.has_edns);

	/* Over 64 KiB of it: only the first 65535 bytes are a message. */
	size_t big = 70000;
	uint8_t *p = calloc(1, big);
	assert_non_null(p);
	memcpy(p, m.b, m.n);
	assert_int_equal(parse(p, big, &q, &rcode), ND_QUERY_OK);
	free(p);
}

static void test_bad_opt(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	/* Two OPTs (RFC 6891 6.1.1). */
	edns_query(&m, 1232, 0);
	nd_put16(m.b + 10, 2);
	opt(&m, 1232, 0, false);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_false(q.has_edns);
	assert_true(q.has_question);
	/* OPT not owned by the root. */
	tm_hdr(&m, 1, 0, 1, 0, 0, 1);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	tm_put16(&m, 0xc00c);
	tm_put16(&m, ND_TYPE_OPT);
	tm_put16(&m, 1232);
	tm_put32(&m, 0);
	tm_put16(&m, 0);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_false(q.has_edns);
	/* OPT with rdata running past the end. */
	edns_query(&m, 1232, 0);
	m.n -= 1;
	expect_reply(&m, ND_RCODE_FORMERR, &q);
}

/* An EDNS query whose OPT RDATA is opts[0..n). */
static void edns_query_opts(struct tm_msg *m, const uint8_t *opts, size_t n)
{
	tm_hdr(m, 0x4321, ND_FLAG_RD, 1, 0, 0, 1);
	question(m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	tm_put8(m, 0);
	tm_put16(m, ND_TYPE_OPT);
	tm_put16(m, 1232);
	tm_put32(m, 0);
	tm_put16(m, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		tm_put8(m, opts[i]);
}

/* RFC 7873 5.2.2 and RFC 6891 6.1.2: a COOKIE of a length that cannot be
 * (not 8, not 16..40) or an option running past the RDATA is FORMERR,
 * and the reply keeps EDNS (the OPT record itself was whole). */
static void test_bad_options(void **state)
{
	static const size_t good[] = { 8, 16, 24, 40 };
	static const size_t bad[] = { 0, 1, 7, 9, 12, 15, 41, 48 };
	uint8_t opts[64];
	struct tm_msg m;
	struct nd_query q;
	int rcode;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(opts, 0xab, sizeof(opts));
		nd_put16(opts, 10);
		nd_put16(opts + 2, (uint16_t)good[i]);
		edns_query_opts(&m, opts, 4 + good[i]);
		assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(opts, 0xab, sizeof(opts));
		nd_put16(opts, 10);
		nd_put16(opts + 2, (uint16_t)bad[i]);
		edns_query_opts(&m, opts, 4 + bad[i]);
		expect_reply(&m, ND_RCODE_FORMERR, &q);
		assert_true(q.has_edns);
		assert_true(q.has_question);
	}
	/* An option whose length runs past the RDATA. */
	nd_put16(opts, 15);
	nd_put16(opts + 2, 6);
	edns_query_opts(&m, opts, 4 + 5);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	assert_true(q.has_edns);
	/* Three bytes: no room for an option's code and length. */
	edns_query_opts(&m, opts, 3);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
	/* Unknown options of any length are fine. */
	nd_put16(opts, 65001);
	nd_put16(opts + 2, 0);
	nd_put16(opts + 4, 12);
	nd_put16(opts + 6, 2);
	edns_query_opts(&m, opts, 10);
	assert_int_equal(parse(m.b, m.n, &q, &rcode), ND_QUERY_OK);
}

static void test_badvers(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	edns_query(&m, 1232, 1);
	expect_reply(&m, ND_RCODE_BADVERS, &q);
	assert_true(q.has_edns);
	assert_int_equal(q.edns_version, 1);
	assert_true(q.has_question);
	edns_query(&m, 1232, 255);
	expect_reply(&m, ND_RCODE_BADVERS, &q);
}

static void test_zone_transfer(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	tm_hdr(&m, 9, 0, 1, 0, 0, 0);
	question(&m, "example.org", ND_TYPE_AXFR, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
	assert_true(q.has_question);
	tm_hdr(&m, 9, 0, 1, 0, 0, 0);
	question(&m, "example.org", ND_TYPE_IXFR, ND_CLASS_IN);
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
}

static void test_class_refused(void **state)
{
	static const uint16_t classes[] = { ND_CLASS_CH, ND_CLASS_ANY, 0, 2, 4,
					    254, 0xffff };
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		tm_hdr(&m, 9, ND_FLAG_RD, 1, 0, 0, 0);
		question(&m, "version.bind", ND_TYPE_TXT, classes[i]);
		expect_reply(&m, ND_RCODE_REFUSED, &q);
		assert_true(q.has_question);
		assert_int_equal(q.qclass, classes[i]);
	}
}

static void test_precedence(void **state)
{
	struct tm_msg m;
	struct nd_query q;

	(void)state;
	/* BADVERS before NOTIMP for AXFR, NOTIMP before REFUSED. */
	tm_hdr(&m, 1, 0, 1, 0, 0, 1);
	question(&m, "example.org", ND_TYPE_AXFR, ND_CLASS_CH);
	opt(&m, 1232, 1, false);
	expect_reply(&m, ND_RCODE_BADVERS, &q);
	tm_hdr(&m, 1, 0, 1, 0, 0, 0);
	question(&m, "example.org", ND_TYPE_AXFR, ND_CLASS_CH);
	expect_reply(&m, ND_RCODE_NOTIMP, &q);
	/* A malformed OPT is FORMERR even with a version above 0. */
	tm_hdr(&m, 1, 0, 1, 0, 0, 2);
	question(&m, "example.org", ND_TYPE_A, ND_CLASS_IN);
	opt(&m, 1232, 1, false);
	opt(&m, 1232, 1, false);
	expect_reply(&m, ND_RCODE_FORMERR, &q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_plain),
		cmocka_unit_test(test_valid_edns),
		cmocka_unit_test(test_udp_size),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_opcode_notimp),
		cmocka_unit_test(test_qdcount),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_bad_question),
		cmocka_unit_test(test_records_skipped),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_bad_opt),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_zone_transfer),
		cmocka_unit_test(test_class_refused),
		cmocka_unit_test(test_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
