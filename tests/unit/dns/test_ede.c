/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/ede.c: Extended DNS Errors appended to our OPT. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/wire.h"
#include "dns/ede.h"
#include "dns/query.h"
#include "dns/response.h"
#include "util/errors.h"

/* www.example.com A: one answer 192.0.2.1, no OPT yet. */
static const uint8_t answer_noedns[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0, 1, 0, 1,
	0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1,
};

/* The same answer with our OPT appended, as nd_answer_render leaves it. */
static size_t make_answer(uint8_t *buf, size_t cap)
{
	size_t len = sizeof(answer_noedns);

	assert_true(cap >= len);
	memcpy(buf, answer_noedns, len);
	assert_int_equal(nd_response_add_opt(buf, &len, cap, NULL, 0), 0);
	return len;
}

/* Parse with ldns and return the EDE options it found. */
static ldns_pkt *parse(const uint8_t *msg, size_t len)
{
	ldns_pkt *pkt = NULL;

	assert_int_equal(ldns_wire2pkt(&pkt, msg, len), LDNS_STATUS_OK);
	assert_non_null(pkt);
	return pkt;
}

static void check_ede(ldns_pkt *pkt, size_t idx, uint16_t info,
		      const char *text)
{
	ldns_edns_option_list *list = ldns_pkt_edns_get_option_list(pkt);

	assert_non_null(list);
	assert_true(ldns_edns_option_list_get_count(list) > idx);
	ldns_edns_option *o = ldns_edns_option_list_get_option(list, idx);
	assert_int_equal(ldns_edns_get_code(o), ND_EDE_OPTION_CODE);
	size_t tl = text ? strlen(text) : 0;
	assert_int_equal(ldns_edns_get_size(o), 2 + tl);
	const uint8_t *d = ldns_edns_get_data(o);
	assert_int_equal(nd_get16(d), info);
	if (tl > 0)
		assert_memory_equal(d + 2, text, tl);
}

static void test_append_to_noerror(void **state)
{
	uint8_t buf[512];
	size_t len = make_answer(buf, sizeof(buf));
	size_t before = len;
	const char *text = "served stale: upstream 10.0.0.1:53 timed out";

	(void)state;
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 1232,
				       ND_EDE_STALE_ANSWER, text),
			 0);
	assert_int_equal(len, before + 6 + strlen(text));
	/* RDLENGTH of the OPT (last 2 bytes of its fixed part). */
	assert_int_equal(nd_get16(buf + before - 2), 6 + strlen(text));
	assert_int_equal(nd_get16(buf + before), 15);
	assert_int_equal(nd_get16(buf + before + 2), 2 + strlen(text));
	assert_int_equal(nd_get16(buf + before + 4), 3);

	ldns_pkt *pkt = parse(buf, len);
	assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(pkt), 1);
	assert_true(ldns_pkt_edns(pkt));
	assert_int_equal(ldns_pkt_edns_udp_size(pkt), ND_EDNS_ADVERTISED);
	check_ede(pkt, 0, ND_EDE_STALE_ANSWER, text);
	ldns_pkt_free(pkt);
}

static void test_two_options_and_no_text(void **state)
{
	uint8_t buf[512];
	size_t len = make_answer(buf, sizeof(buf));

	(void)state;
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_NETWORK_ERROR, NULL),
			 0);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, "r\xc3\xa9solu"),
			 0);
	ldns_pkt *pkt = parse(buf, len);
	check_ede(pkt, 0, ND_EDE_NETWORK_ERROR, NULL);
	check_ede(pkt, 1, ND_EDE_OTHER, "r\xc3\xa9solu");
	ldns_pkt_free(pkt);
}

/* An error reply straight from nd_response_error(), with EDNS. */
static void test_error_reply(void **state)
{
	static const uint8_t name[] = { 3, 'f', 'o', 'o', 0 };
	struct nd_query q;
	uint8_t buf[512];

	(void)state;
	memset(&q, 0, sizeof(q));
	q.id = 7;
	q.flags = ND_FLAG_RD;
	q.has_question = true;
	memcpy(q.qname, name, sizeof(name));
	memcpy(q.qname_lc, name, sizeof(name));
	q.qname_len = sizeof(name);
	q.qtype = ND_TYPE_A;
	q.qclass = ND_CLASS_IN;
	q.has_edns = true;
	q.edns_udp_size = 1232;
	int n = nd_response_error(&q, ND_RCODE_REFUSED, buf, sizeof(buf));
	assert_true(n > 0);
	size_t len = (size_t)n;
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf),
				       nd_query_udp_limit(&q),
				       ND_EDE_PROHIBITED, "not in --allow"),
			 0);
	ldns_pkt *pkt = parse(buf, len);
	assert_int_equal(ldns_pkt_get_rcode(pkt), LDNS_RCODE_REFUSED);
	check_ede(pkt, 0, ND_EDE_PROHIBITED, "not in --allow");
	ldns_pkt_free(pkt);
}

static void test_no_opt_unchanged(void **state)
{
	uint8_t buf[512];
	size_t len = sizeof(answer_noedns);

	(void)state;
	memcpy(buf, answer_noedns, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_STALE_ANSWER, "x"),
			 0);
	assert_int_equal(len, sizeof(answer_noedns));
	assert_memory_equal(buf, answer_noedns, len);
}

/* An additional A record last, not an OPT: the client sent no EDNS. */
static void test_other_last_record_unchanged(void **state)
{
	uint8_t buf[512];
	size_t len = sizeof(answer_noedns);
	static const uint8_t glue[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0,
					0,    60,   0, 4, 192, 0, 2, 2 };

	(void)state;
	memcpy(buf, answer_noedns, len);
	memcpy(buf + len, glue, sizeof(glue));
	len += sizeof(glue);
	nd_put16(buf + 10, 1);
	uint8_t copy[512];
	size_t copy_len = len;
	memcpy(copy, buf, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 0);
	assert_int_equal(len, copy_len);
	assert_memory_equal(buf, copy, len);
}

static void test_limit_and_cap(void **state)
{
	uint8_t buf[512], copy[512];
	size_t len = make_answer(buf, sizeof(buf));
	size_t before = len;

	(void)state;
	memcpy(copy, buf, len);
	/* 6 + 4 bytes needed; a limit one short leaves it alone. */
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), before + 9,
				       ND_EDE_OTHER, "abcd"),
			 0);
	assert_int_equal(len, before);
	assert_memory_equal(buf, copy, len);
	/* So does a buffer one short. */
	assert_int_equal(nd_ede_append(buf, &len, before + 9, sizeof(buf),
				       ND_EDE_OTHER, "abcd"),
			 0);
	assert_int_equal(len, before);
	assert_memory_equal(buf, copy, len);
	/* Exactly enough is enough. */
	assert_int_equal(nd_ede_append(buf, &len, before + 10, before + 10,
				       ND_EDE_OTHER, "abcd"),
			 0);
	assert_int_equal(len, before + 10);
	/* A message already past the limit (limit below *len) is left as is. */
	len = before;
	memcpy(buf, copy, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 12,
				       ND_EDE_OTHER, NULL),
			 0);
	assert_int_equal(len, before);
}

static void test_malformed(void **state)
{
	uint8_t buf[512], copy[512];
	size_t good = make_answer(buf, sizeof(buf));
	size_t len;

	(void)state;
	memcpy(copy, buf, good);

	/* A trailing byte after the counted records. */
	len = good + 1;
	buf[good] = 0;
	memcpy(copy, buf, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 ND_EMALFORMED);
	assert_int_equal(len, good + 1);
	assert_memory_equal(buf, copy, len);

	/* ARCOUNT says two, one is there. */
	len = good;
	nd_put16(buf + 10, 2);
	memcpy(copy, buf, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 ND_EMALFORMED);
	assert_memory_equal(buf, copy, len);
	nd_put16(buf + 10, 1);

	/* RDLENGTH of the OPT runs past the end. */
	nd_put16(buf + good - 2, 1);
	memcpy(copy, buf, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 ND_EMALFORMED);
	assert_memory_equal(buf, copy, len);
	nd_put16(buf + good - 2, 0);

	/* A bad label type in the question. */
	buf[12] = 0x80;
	memcpy(copy, buf, len);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 ND_EMALFORMED);
	assert_memory_equal(buf, copy, len);

	/* Shorter than a header. */
	len = 11;
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), sizeof(buf),
				       ND_EDE_OTHER, NULL),
			 ND_EMALFORMED);
	assert_int_equal(len, 11);
}

static void test_bad_args(void **state)
{
	uint8_t buf[512];
	size_t len = make_answer(buf, sizeof(buf));
	size_t before = len;

	(void)state;
	assert_int_equal(nd_ede_append(NULL, &len, sizeof(buf), 512, 0, NULL),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, NULL, sizeof(buf), 512, 0, NULL),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, &len, len - 1, 512, 0, NULL),
			 -EINVAL);
	/* Latin-1, a lone continuation byte, an overlong '/', a surrogate. */
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 512, 0,
				       "caf\xe9"),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 512, 0, "\x80"),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 512, 0,
				       "\xc0\xaf"),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 512, 0,
				       "\xed\xa0\x80"),
			 -EINVAL);
	assert_int_equal(nd_ede_append(buf, &len, sizeof(buf), 512, 0,
				       "\xe2\x82"),
			 -EINVAL);
	assert_int_equal(len, before);
}

/*
 * Every prefix of a valid message, each in a heap block of exactly its
 * size so the sanitizer sees a read past the end: an error, never a crash,
 * and the bytes untouched.
 */
static void test_every_prefix(void **state)
{
	uint8_t full[512];
	size_t good = make_answer(full, sizeof(full));

	(void)state;
	for (size_t n = 0; n <= good; n++) {
		uint8_t *m = malloc(n ? n : 1);
		size_t len = n;

		assert_non_null(m);
		memcpy(m, full, n);
		int r = nd_ede_append(m, &len, n, ND_DNS_MAX_MSG,
				      ND_EDE_OTHER, "x");
		if (n == good)
			assert_int_equal(r, 0); /* no room: skipped */
		else
			assert_int_equal(r, ND_EMALFORMED);
		assert_int_equal(len, n);
		assert_memory_equal(m, full, n);
		free(m);
	}
}

/* Random bytes after a valid header: never a crash, never a write past cap. */
static void test_garbage(void **state)
{
	uint8_t buf[300];

	(void)state;
	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t n = 12 + (size_t)(rand() % 200);
		uint8_t *m = malloc(n + 40);

		assert_non_null(m);
		for (size_t k = 0; k < n; k++)
			m[k] = (uint8_t)rand();
		/* Small counts so walks get somewhere. */
		nd_put16(m + 4, (uint16_t)(rand() % 2));
		nd_put16(m + 6, (uint16_t)(rand() % 3));
		nd_put16(m + 8, 0);
		nd_put16(m + 10, (uint16_t)(rand() % 3));
		size_t len = n;
		memcpy(buf, m, n);
		int r = nd_ede_append(m, &len, n + 40, n + 40, 1, "y");
		assert_true(r == 0 || r == ND_EMALFORMED);
		if (r != 0 || len == n)
			assert_memory_equal(m, buf, n);
		free(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_to_noerror),
		cmocka_unit_test(test_two_options_and_no_text),
		cmocka_unit_test(test_error_reply),
		cmocka_unit_test(test_no_opt_unchanged),
		cmocka_unit_test(test_other_last_record_unchanged),
		cmocka_unit_test(test_limit_and_cap),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
