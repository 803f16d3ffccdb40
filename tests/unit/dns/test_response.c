/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/response.c: error replies and our OPT record. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"
#include "dns/query.h"
#include "dns/response.h"
#include "util/errors.h"

/* "Www.Example.COM" as a client would spell it. */
static const uint8_t qname[] = { 3, 'W', 'w', 'w', 7, 'E', 'x', 'a', 'm',
				 'p', 'l', 'e', 3, 'C', 'O', 'M', 0 };

static void make_query(struct nd_query *q, uint16_t flags, bool has_edns,
		       bool dnssec_ok)
{
	memset(q, 0, sizeof(*q));
	q->id = 0xabcd;
	q->flags = flags;
	q->has_question = true;
	memcpy(q->qname, qname, sizeof(qname));
	memcpy(q->qname_lc, qname, sizeof(qname));
	nd_dns_name_lower(q->qname_lc, sizeof(qname));
	q->qname_len = sizeof(qname);
	q->qtype = ND_TYPE_AAAA;
	q->qclass = ND_CLASS_IN;
	q->question_end = (uint16_t)(12 + sizeof(qname) + 4);
	q->has_edns = has_edns;
	q->edns_do = dnssec_ok;
	q->edns_udp_size = has_edns ? 4096 : 512;
}

/* Check the 11-byte OPT at p. */
static void check_opt(const uint8_t *p, uint8_t ext_rcode, bool dnssec_ok)
{
	assert_int_equal(p[0], 0);
	assert_int_equal(nd_get16(p + 1), ND_TYPE_OPT);
	assert_int_equal(nd_get16(p + 3), ND_EDNS_ADVERTISED);
	assert_int_equal(p[5], ext_rcode);
	assert_int_equal(p[6], 0); /* version */
	assert_int_equal(nd_get16(p + 7), dnssec_ok ? 0x8000 : 0);
	assert_int_equal(nd_get16(p + 9), 0);
}

static void test_with_question(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, ND_FLAG_RD, false, false);
	int n = nd_response_error(&q, ND_RCODE_SERVFAIL, out, sizeof(out));
	assert_int_equal(n, 12 + sizeof(qname) + 4);
	assert_int_equal(nd_get16(out), 0xabcd);
	assert_int_equal(nd_get16(out + 2), ND_FLAG_QR | ND_FLAG_RD |
						    ND_FLAG_RA |
						    ND_RCODE_SERVFAIL);
	assert_int_equal(nd_get16(out + 4), 1);
	assert_int_equal(nd_get16(out + 6), 0);
	assert_int_equal(nd_get16(out + 8), 0);
	assert_int_equal(nd_get16(out + 10), 0);
	/* Spelled as the client did. */
	assert_memory_equal(out + 12, qname, sizeof(qname));
	assert_int_equal(nd_get16(out + 12 + sizeof(qname)), ND_TYPE_AAAA);
	assert_int_equal(nd_get16(out + 14 + sizeof(qname)), ND_CLASS_IN);

	/* The reply parses as a message, not as a query (QR set). */
	struct nd_query back;
	int rcode;
	assert_int_equal(nd_query_parse(out, (size_t)n, &back, &rcode),
			 ND_QUERY_DROP);
}

static void test_without_question(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, 0, false, false);
	q.has_question = false;
	assert_int_equal(nd_response_error(&q, ND_RCODE_FORMERR, out,
					   sizeof(out)),
			 12);
	assert_int_equal(nd_get16(out + 2),
			 ND_FLAG_QR | ND_FLAG_RA | ND_RCODE_FORMERR);
	assert_int_equal(nd_get16(out + 4), 0);

	q.has_edns = true;
	assert_int_equal(nd_response_error(&q, ND_RCODE_FORMERR, out,
					   sizeof(out)),
			 12 + 11);
	assert_int_equal(nd_get16(out + 4), 0);
	assert_int_equal(nd_get16(out + 10), 1);
	check_opt(out + 12, 0, false);
}

static void test_rd_and_opcode_echo(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, 0, false, false);
	assert_true(nd_response_error(&q, ND_RCODE_REFUSED, out, sizeof(out)) >
		    0);
	assert_int_equal(nd_get16(out + 2) & ND_FLAG_RD, 0);
	make_query(&q, ND_FLAG_RD, false, false);
	assert_true(nd_response_error(&q, ND_RCODE_REFUSED, out, sizeof(out)) >
		    0);
	assert_int_equal(nd_get16(out + 2) & ND_FLAG_RD, ND_FLAG_RD);
	/* Opcode STATUS echoed; AA, TC, CD, AD from the query are not. */
	make_query(&q,
		   (2 << 11) | ND_FLAG_AA | ND_FLAG_TC | ND_FLAG_CD |
			   ND_FLAG_AD,
		   false, false);
	assert_true(nd_response_error(&q, ND_RCODE_NOTIMP, out, sizeof(out)) >
		    0);
	assert_int_equal(nd_get16(out + 2),
			 ND_FLAG_QR | (2 << 11) | ND_FLAG_RA | ND_RCODE_NOTIMP);
}

static void test_with_edns(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, ND_FLAG_RD, true, true);
	int n = nd_response_error(&q, ND_RCODE_REFUSED, out, sizeof(out));
	assert_int_equal(n, 12 + sizeof(qname) + 4 + 11);
	assert_int_equal(nd_get16(out + 10), 1);
	check_opt(out + n - 11, 0, true);

	make_query(&q, ND_FLAG_RD, true, false);
	n = nd_response_error(&q, ND_RCODE_REFUSED, out, sizeof(out));
	check_opt(out + n - 11, 0, false);
}

static void test_badvers(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, ND_FLAG_RD, true, false);
	int n = nd_response_error(&q, ND_RCODE_BADVERS, out, sizeof(out));
	assert_true(n > 0);
	/* 16 = upper bits 1 in the OPT, lower bits 0 in the header
	 * (RFC 6891 6.1.3). */
	assert_int_equal(nd_get16(out + 2) & ND_FLAG_RCODE_MASK, 0);
	check_opt(out + n - 11, 1, false);

	/* Without EDNS it cannot be said: refused rather than sent as
	 * NOERROR. */
	make_query(&q, ND_FLAG_RD, false, false);
	assert_int_equal(nd_response_error(&q, ND_RCODE_BADVERS, out,
					   sizeof(out)),
			 -EINVAL);
}

static void test_enospace(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, ND_FLAG_RD, true, false);
	size_t need = 12 + sizeof(qname) + 4 + 11;
	for (size_t cap = 0; cap < need; cap++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(nd_response_error(&q, ND_RCODE_SERVFAIL, out,
						   cap),
				 ND_ENOSPACE);
		/* Nothing written past cap. */
		for (size_t i = cap; i < sizeof(out); i++)
			assert_int_equal(out[i], 0xee);
	}
	assert_int_equal(nd_response_error(&q, ND_RCODE_SERVFAIL, out, need),
			 (int)need);
}

static void test_bad_args(void **state)
{
	struct nd_query q;
	uint8_t out[512];

	(void)state;
	make_query(&q, 0, true, false);
	assert_int_equal(nd_response_error(NULL, 0, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(nd_response_error(&q, 0, NULL, sizeof(out)),
			 -EINVAL);
	assert_int_equal(nd_response_error(&q, -1, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(nd_response_error(&q, 4096, out, sizeof(out)),
			 -EINVAL);
	q.qname_len = 0;
	assert_int_equal(nd_response_error(&q, 0, out, sizeof(out)),
			 -EINVAL);
	q.qname_len = 256;
	assert_int_equal(nd_response_error(&q, 0, out, sizeof(out)),
			 -EINVAL);
}

static void test_add_opt(void **state)
{
	struct nd_query q;
	uint8_t msg[64] = { 0 };
	size_t len = 12;

	(void)state;
	make_query(&q, 0, true, true);
	nd_put16(msg + 10, 2);
	assert_int_equal(nd_response_add_opt(msg, &len, sizeof(msg), &q, 7), 0);
	assert_int_equal(len, 23);
	assert_int_equal(nd_get16(msg + 10), 3);
	check_opt(msg + 12, 7, true);
	/* NULL query: DO clear. */
	assert_int_equal(nd_response_add_opt(msg, &len, sizeof(msg), NULL, 0),
			 0);
	check_opt(msg + 23, 0, false);
	assert_int_equal(nd_get16(msg + 10), 4);

	/* No room: nothing changes. */
	uint8_t before[64];
	memcpy(before, msg, sizeof(msg));
	len = 12;
	assert_int_equal(nd_response_add_opt(msg, &len, 22, &q, 0),
			 ND_ENOSPACE);
	assert_int_equal(len, 12);
	assert_memory_equal(msg, before, sizeof(msg));
	assert_int_equal(nd_response_add_opt(msg, &len, 23, &q, 0), 0);

	/* Bad arguments. */
	len = 11;
	assert_int_equal(nd_response_add_opt(msg, &len, sizeof(msg), &q, 0),
			 -EINVAL);
	len = 30;
	assert_int_equal(nd_response_add_opt(msg, &len, 20, &q, 0), -EINVAL);
	assert_int_equal(nd_response_add_opt(NULL, &len, 64, &q, 0), -EINVAL);
	assert_int_equal(nd_response_add_opt(msg, NULL, 64, &q, 0), -EINVAL);
	len = 12;
	nd_put16(msg + 10, 0xffff);
	assert_int_equal(nd_response_add_opt(msg, &len, sizeof(msg), &q, 0),
			 -EINVAL);
}

/* Every rcode a parse can produce comes back out as a well-formed reply. */
static void test_from_parse(void **state)
{
	/* Class CH query with EDNS version 1: BADVERS. */
	static const uint8_t pkt[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
		1, 'x', 0, 0, 16, 0, 3,
		0, 0, 41, 0x10, 0x00, 0, 1, 0x80, 0, 0, 0,
	};
	struct nd_query q;
	uint8_t out[512];
	int rcode;

	(void)state;
	assert_int_equal(nd_query_parse(pkt, sizeof(pkt), &q, &rcode),
			 ND_QUERY_REPLY);
	assert_int_equal(rcode, ND_RCODE_BADVERS);
	int n = nd_response_error(&q, rcode, out, sizeof(out));
	assert_int_equal(n, (int)sizeof(pkt));
	assert_int_equal(nd_get16(out), 0x1234);
	assert_int_equal(nd_get16(out + 2),
			 ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA);
	assert_memory_equal(out + 4, pkt + 4, 8);
	assert_memory_equal(out + 12, pkt + 12, 7);
	check_opt(out + 19, 1, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_question),
		cmocka_unit_test(test_without_question),
		cmocka_unit_test(test_rd_and_opcode_echo),
		cmocka_unit_test(test_with_edns),
		cmocka_unit_test(test_badvers),
		cmocka_unit_test(test_enospace),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_add_opt),
		cmocka_unit_test(test_from_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
