/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for dns/upstream_msg.c: the upstream query and reply checks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/cookie.h"
#include "dns/wire.h"
#include "dns/upstream_msg.h"
#include "util/errors.h"

/* "example.com." in wire form, lower case. */
static const uint8_t example_lc[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				      3, 'c', 'o', 'm', 0 };

static const struct nd_question example_a = {
	.qname_lc = example_lc,
	.qname_len = sizeof(example_lc),
	.qtype = ND_TYPE_A,
	.qclass = ND_CLASS_IN,
};

/*
 * A reply to example_a with ID id: one A record whose owner is a pointer
 * to the question, then an OPT record. Returns its length.
 */
static size_t make_reply(uint8_t *buf, uint16_t id, uint16_t rcode_flags)
{
	size_t n = 0;

	nd_put16(buf, id);
	nd_put16(buf + 2, (uint16_t)(ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA |
				     rcode_flags));
	nd_put16(buf + 4, 1);
	nd_put16(buf + 6, 1);
	nd_put16(buf + 8, 0);
	nd_put16(buf + 10, 1);
	n = ND_DNS_HEADER_LEN;
	memcpy(buf + n, example_lc, sizeof(example_lc));
	n += sizeof(example_lc);
	nd_put16(buf + n, ND_TYPE_A);
	nd_put16(buf + n + 2, ND_CLASS_IN);
	n += 4;
	/* answer: example.com. 300 IN A 192.0.2.1 */
	buf[n++] = 0xc0;
	buf[n++] = ND_DNS_HEADER_LEN;
	nd_put16(buf + n, ND_TYPE_A);
	nd_put16(buf + n + 2, ND_CLASS_IN);
	nd_put32(buf + n + 4, 300);
	nd_put16(buf + n + 8, 4);
	n += 10;
	buf[n++] = 192;
	buf[n++] = 0;
	buf[n++] = 2;
	buf[n++] = 1;
	/* OPT */
	buf[n++] = 0;
	nd_put16(buf + n, ND_TYPE_OPT);
	nd_put16(buf + n + 2, 1232);
	nd_put32(buf + n + 4, 0);
	nd_put16(buf + n + 8, 0);
	n += 10;
	return n;
}

/* Offset of the OPT record's TTL field in make_reply's output. */
static size_t opt_ttl_offset(size_t len)
{
	return len - 6;
}

static void test_build_query_bytes(void **state)
{
	static const uint8_t want[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
		0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t buf[512];
	int n;

	(void)state;
	n = nd_fwd_build_query(&example_a, 0x1234, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* The EDNS size is the one we advertise everywhere. */
	assert_int_equal(nd_get16(buf + n - 8), ND_EDNS_ADVERTISED);
}

static void test_build_query_root_and_type(void **state)
{
	static const uint8_t root[] = { 0 };
	struct nd_question qs = { root, 1, ND_TYPE_NS, ND_CLASS_IN };
	uint8_t buf[64];
	int n;

	(void)state;
	n = nd_fwd_build_query(&qs, 7, buf, sizeof(buf));
	assert_int_equal(n, ND_DNS_HEADER_LEN + 1 + 4 + 11);
	assert_int_equal(buf[12], 0);
	assert_int_equal(nd_get16(buf + 13), ND_TYPE_NS);
	assert_int_equal(nd_get16(buf + 15), ND_CLASS_IN);
}

static void test_build_query_no_space(void **state)
{
	uint8_t buf[64];
	int need;

	(void)state;
	need = nd_fwd_build_query(&example_a, 1, buf, sizeof(buf));
	assert_true(need > 0);
	for (int cap = 0; cap < need; cap++)
		assert_int_equal(nd_fwd_build_query(&example_a, 1, buf,
						    (size_t)cap),
				 ND_ENOSPACE);
}

static void test_build_query_bad_args(void **state)
{
	static const uint8_t no_root[] = { 3, 'c', 'o', 'm' };
	static const uint8_t pointer[] = { 1, 'a', 0xc0, 0 };
	static const uint8_t extra[] = { 3, 'c', 'o', 'm', 0, 0 };
	static const uint8_t long_label[] = { 64 };
	struct nd_question qs = example_a;
	uint8_t buf[512];

	(void)state;
	assert_int_equal(nd_fwd_build_query(NULL, 1, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(nd_fwd_build_query(&example_a, 1, NULL, 512),
			 -EINVAL);
	qs.qname_lc = NULL;
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_lc = example_lc;
	qs.qname_len = 0;
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_len = 300;
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_len = sizeof(example_lc) - 1; /* cut before the root */
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_lc = no_root;
	qs.qname_len = sizeof(no_root);
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_lc = pointer;
	qs.qname_len = sizeof(pointer);
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_lc = extra;
	qs.qname_len = sizeof(extra);
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
	qs.qname_lc = long_label;
	qs.qname_len = sizeof(long_label);
	assert_int_equal(nd_fwd_build_query(&qs, 1, buf, sizeof(buf)),
			 -EINVAL);
}

static void test_matches_valid(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_reply(buf, 0xbeef, ND_RCODE_NOERROR);
	assert_true(nd_fwd_matches(buf, n, 0xbeef, &example_a));
	/* Our own query echoed back is not an answer. */
	int q = nd_fwd_build_query(&example_a, 0xbeef, buf, sizeof(buf));
	assert_true(q > 0);
	assert_false(nd_fwd_matches(buf, (size_t)q, 0xbeef, &example_a));
}

static void test_matches_mismatch(void **state)
{
	struct nd_question qs = example_a;
	static const uint8_t other[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'f',
					 3, 'c', 'o', 'm', 0 };
	static const uint8_t shorter[] = { 3, 'c', 'o', 'm', 0 };
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_reply(buf, 0xbeef, ND_RCODE_NOERROR);
	assert_false(nd_fwd_matches(buf, n, 0xbeee, &example_a));
	assert_false(nd_fwd_matches(buf, n, 0xefbe, &example_a));

	qs.qtype = ND_TYPE_AAAA;
	assert_false(nd_fwd_matches(buf, n, 0xbeef, &qs));
	qs = example_a;
	qs.qclass = ND_CLASS_CH;
	assert_false(nd_fwd_matches(buf, n, 0xbeef, &qs));
	qs = example_a;
	qs.qname_lc = other;
	assert_false(nd_fwd_matches(buf, n, 0xbeef, &qs));
	qs.qname_lc = shorter;
	qs.qname_len = sizeof(shorter);
	assert_false(nd_fwd_matches(buf, n, 0xbeef, &qs));

	assert_false(nd_fwd_matches(NULL, n, 0xbeef, &example_a));
	assert_false(nd_fwd_matches(buf, n, 0xbeef, NULL));
}

static void test_matches_header_checks(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	/* QR=0 */
	n = make_reply(buf, 1, 0);
	buf[2] &= 0x7f;
	assert_false(nd_fwd_matches(buf, n, 1, &example_a));
	/* opcode NOTIFY (4) */
	n = make_reply(buf, 1, 0);
	buf[2] |= 4 << 3;
	assert_false(nd_fwd_matches(buf, n, 1, &example_a));
	/* QDCOUNT 0 (NOERROR carries data: never without its question)
	 * and 2 */
	n = make_reply(buf, 1, 0);
	nd_put16(buf + 4, 0);
	assert_false(nd_fwd_matches(buf, n, 1, &example_a));
	nd_put16(buf + 4, 2);
	assert_false(nd_fwd_matches(buf, n, 1, &example_a));
}

static void test_matches_error_without_question(void **state)
{
	uint8_t buf[ND_DNS_HEADER_LEN];
	(void)state;

	/* REFUSED with no question (unbound's refuse ACL) from our ID. */
	memset(buf, 0, sizeof(buf));
	nd_put16(buf, 7);
	nd_put16(buf + 2, ND_FLAG_QR | ND_RCODE_REFUSED);
	assert_true(nd_fwd_matches(buf, sizeof(buf), 7, &example_a));
	assert_int_equal(nd_fwd_classify(buf, sizeof(buf)), ND_FWD_REFUSED);
	/* Another ID is still not ours. */
	assert_false(nd_fwd_matches(buf, sizeof(buf), 8, &example_a));
	/* NXDOMAIN without the question is not accepted. */
	nd_put16(buf + 2, ND_FLAG_QR | ND_RCODE_NXDOMAIN);
	assert_false(nd_fwd_matches(buf, sizeof(buf), 7, &example_a));
}

static void test_matches_case_insensitive(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_reply(buf, 42, 0);
	/* 0x20-style mixed case in the echoed question (draft-vixie-dnsext-dns0x20). */
	buf[13] = 'E';
	buf[15] = 'A';
	buf[21] = 'C';
	buf[23] = 'M';
	assert_true(nd_fwd_matches(buf, n, 42, &example_a));
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_ACCEPT);
}

static void test_matches_every_prefix(void **state)
{
	uint8_t buf[512];
	size_t n, q_end = ND_DNS_HEADER_LEN + sizeof(example_lc) + 4;

	(void)state;
	n = make_reply(buf, 9, 0);
	for (size_t len = 0; len <= n; len++) {
		/* Copy to an exact-size heap buffer so ASan sees any overread. */
		uint8_t *p = test_malloc(len ? len : 1);
		memcpy(p, buf, len);
		assert_int_equal(nd_fwd_matches(p, len, 9, &example_a),
				 len >= q_end);
		assert_int_equal(nd_fwd_classify(p, len),
				 len == n ? ND_FWD_ACCEPT : ND_FWD_BAD);
		test_free(p);
	}
}

static void test_matches_malformed_name(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	/* Question name is a pointer to itself. */
	n = make_reply(buf, 3, 0);
	buf[12] = 0xc0;
	buf[13] = 12;
	assert_false(nd_fwd_matches(buf, n, 3, &example_a));
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
	/* Label length running past the end. */
	n = make_reply(buf, 3, 0);
	buf[12] = 63;
	assert_false(nd_fwd_matches(buf, n, 3, &example_a));
	/* Extended label type. */
	n = make_reply(buf, 3, 0);
	buf[12] = 0x41;
	assert_false(nd_fwd_matches(buf, n, 3, &example_a));
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
}

static void test_classify_rcodes(void **state)
{
	static const struct {
		uint16_t rcode;
		enum nd_fwd_verdict want;
	} cases[] = {
		{ ND_RCODE_NOERROR, ND_FWD_ACCEPT },
		{ ND_RCODE_NXDOMAIN, ND_FWD_ACCEPT },
		{ ND_RCODE_SERVFAIL, ND_FWD_SERVFAIL },
		{ ND_RCODE_REFUSED, ND_FWD_REFUSED },
		{ ND_RCODE_FORMERR, ND_FWD_BAD },
		{ ND_RCODE_NOTIMP, ND_FWD_BAD },
		{ 6, ND_FWD_BAD }, /* YXDOMAIN */
		{ 15, ND_FWD_BAD },
	};
	uint8_t buf[512];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = make_reply(buf, 5, cases[i].rcode);
		assert_int_equal(nd_fwd_classify(buf, n), cases[i].want);
	}
}

static void test_classify_truncated(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_reply(buf, 5, ND_FLAG_TC);
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_TRUNCATED);
	/* A TC reply is often cut short: the header alone is enough. */
	nd_put16(buf + 6, 0);
	nd_put16(buf + 10, 0);
	assert_int_equal(nd_fwd_classify(buf, ND_DNS_HEADER_LEN),
			 ND_FWD_TRUNCATED);
	/* TC wins over the rcode. */
	n = make_reply(buf, 5, ND_FLAG_TC | ND_RCODE_SERVFAIL);
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_TRUNCATED);
}

static void test_classify_short_and_null(void **state)
{
	uint8_t buf[512];

	(void)state;
	make_reply(buf, 5, 0);
	for (size_t len = 0; len < ND_DNS_HEADER_LEN; len++)
		assert_int_equal(nd_fwd_classify(buf, len), ND_FWD_BAD);
	assert_int_equal(nd_fwd_classify(NULL, 100), ND_FWD_BAD);
}

static void test_classify_extended_rcode(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	/* BADVERS (16): header RCODE 0, OPT extended RCODE 1 (RFC 6891 6.1.3). */
	n = make_reply(buf, 5, 0);
	buf[opt_ttl_offset(n)] = 1;
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
}

static void test_classify_malformed_sections(void **state)
{
	uint8_t buf[600];
	size_t n;

	(void)state;
	/* RDLENGTH past the end. */
	n = make_reply(buf, 5, 0);
	nd_put16(buf + ND_DNS_HEADER_LEN + sizeof(example_lc) + 4 + 10, 200);
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
	/* More records counted than present. */
	n = make_reply(buf, 5, 0);
	nd_put16(buf + 8, 1);
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
	/* Two OPT records. */
	n = make_reply(buf, 5, 0);
	memcpy(buf + n, buf + n - 11, 11);
	n += 11;
	nd_put16(buf + 10, 2);
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_BAD);
	/* Trailing bytes after the last record are tolerated. */
	n = make_reply(buf, 5, 0);
	buf[n++] = 0xff;
	assert_int_equal(nd_fwd_classify(buf, n), ND_FWD_ACCEPT);
}

static void test_roundtrip_query_as_reply(void **state)
{
	uint8_t buf[512];
	int n;

	(void)state;
	/* Our query with QR set is the shape of an empty NOERROR answer. */
	n = nd_fwd_build_query(&example_a, 0x4242, buf, sizeof(buf));
	assert_true(n > 0);
	buf[2] |= 0x80;
	assert_true(nd_fwd_matches(buf, (size_t)n, 0x4242, &example_a));
	assert_int_equal(nd_fwd_classify(buf, (size_t)n), ND_FWD_ACCEPT);
}

/* "eXaMple.COM." : the same name, mixed case. */
static const uint8_t example_mixed[] = { 7, 'e', 'X', 'a', 'M', 'p', 'l', 'e',
					 3, 'C', 'O', 'M', 0 };

static void test_build_query_ex_name_and_cookie(void **state)
{
	static const uint8_t cookie[16] = { 1, 2, 3, 4, 5, 6, 7, 8,
					    9, 10, 11, 12, 13, 14, 15, 16 };
	struct nd_fwd_extras x = { .qname = example_mixed,
				   .cookie = cookie,
				   .cookie_len = 16 };
	struct nd_cookie c;
	uint8_t buf[512];
	int n;

	(void)state;
	n = nd_fwd_build_query_ex(&example_a, 7, &x, buf, sizeof(buf));
	assert_true(n > 0);
	/* The name goes out as spelled; the OPT carries the option. */
	assert_memory_equal(buf + ND_DNS_HEADER_LEN, example_mixed,
			    sizeof(example_mixed));
	assert_int_equal(nd_get16(buf + n - 20 - 2), 20); /* RDLEN */
	assert_int_equal(nd_get16(buf + n - 20), ND_EDNS_OPT_COOKIE);
	assert_int_equal(nd_get16(buf + n - 18), 16);
	assert_memory_equal(buf + n - 16, cookie, 16);
	/* As a reply it carries the cookie back. */
	buf[2] |= 0x80;
	assert_int_equal(nd_cookie_find(buf, (size_t)n, &c, NULL), 1);
	assert_memory_equal(c.client, cookie, 8);
	assert_int_equal(c.server_len, 8);
	assert_memory_equal(c.server, cookie + 8, 8);
	/* A client cookie alone is 8 bytes; 9..15 and 41 are not valid. */
	x.cookie_len = 8;
	assert_true(nd_fwd_build_query_ex(&example_a, 7, &x, buf,
					  sizeof(buf)) > 0);
	x.cookie_len = 12;
	assert_int_equal(nd_fwd_build_query_ex(&example_a, 7, &x, buf,
					       sizeof(buf)),
			 -EINVAL);
	x.cookie_len = 41;
	assert_int_equal(nd_fwd_build_query_ex(&example_a, 7, &x, buf,
					       sizeof(buf)),
			 -EINVAL);
}

static void test_build_query_ex_other_name_refused(void **state)
{
	static const uint8_t other[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'x',
					 3, 'c', 'o', 'm', 0 };
	struct nd_fwd_extras x = { .qname = other };
	uint8_t buf[512];

	(void)state;
	/* A "spelling" that is another name is a bug: refused. */
	assert_int_equal(nd_fwd_build_query_ex(&example_a, 7, &x, buf,
					       sizeof(buf)),
			 -EINVAL);
}

static void test_check_reasons(void **state)
{
	uint8_t buf[512];
	size_t n;

	(void)state;
	n = make_reply(buf, 9, 0);
	/* Sent in lower case: the reply echoes it. */
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_lc),
			 ND_FWD_REJ_NONE);
	assert_int_equal(nd_fwd_check(buf, n, 8, &example_a, example_lc),
			 ND_FWD_REJ_ID);
	/* Sent mixed, echoed lower: ours but for the case. */
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_mixed),
			 ND_FWD_REJ_CASE);
	/* Without 0x20 the case does not matter. */
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, NULL),
			 ND_FWD_REJ_NONE);
	/* Another type is another question. */
	nd_put16(buf + ND_DNS_HEADER_LEN + sizeof(example_lc), ND_TYPE_AAAA);
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_lc),
			 ND_FWD_REJ_QUESTION);
	/* Echoed exactly as mixed: taken. */
	n = make_reply(buf, 9, 0);
	memcpy(buf + ND_DNS_HEADER_LEN, example_mixed, sizeof(example_mixed));
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_mixed),
			 ND_FWD_REJ_NONE);
	/* One letter off is enough to reject. */
	buf[ND_DNS_HEADER_LEN + 2] ^= 0x20;
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_mixed),
			 ND_FWD_REJ_CASE);
	/* A query (QR=0) is no reply. */
	buf[2] &= 0x7f;
	assert_int_equal(nd_fwd_check(buf, n, 9, &example_a, example_mixed),
			 ND_FWD_REJ_QUESTION);
	assert_string_equal(nd_fwd_reject_name(ND_FWD_REJ_CASE), "case");
	assert_string_equal(nd_fwd_reject_name(ND_FWD_REJ_COOKIE), "cookie");
	assert_string_equal(nd_fwd_reject_name(99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_query_bytes),
		cmocka_unit_test(test_build_query_root_and_type),
		cmocka_unit_test(test_build_query_no_space),
		cmocka_unit_test(test_build_query_bad_args),
		cmocka_unit_test(test_matches_valid),
		cmocka_unit_test(test_matches_mismatch),
		cmocka_unit_test(test_matches_header_checks),
		cmocka_unit_test(test_matches_case_insensitive),
		cmocka_unit_test(test_matches_error_without_question),
		cmocka_unit_test(test_matches_every_prefix),
		cmocka_unit_test(test_matches_malformed_name),
		cmocka_unit_test(test_classify_rcodes),
		cmocka_unit_test(test_classify_truncated),
		cmocka_unit_test(test_classify_short_and_null),
		cmocka_unit_test(test_classify_extended_rcode),
		cmocka_unit_test(test_classify_malformed_sections),
		cmocka_unit_test(test_roundtrip_query_as_reply),
		cmocka_unit_test(test_build_query_ex_name_and_cookie),
		cmocka_unit_test(test_build_query_ex_other_name_refused),
		cmocka_unit_test(test_check_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
