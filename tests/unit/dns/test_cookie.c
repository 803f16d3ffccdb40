/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for dns/cookie.c: the COOKIE option of upstream replies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/cookie.h"
#include "dns/wire.h"
#include "util/errors.h"

/*
 * A reply to "a." A with one A record, then an OPT whose RDATA is opts
 * (olen bytes) and whose extended-RCODE byte is ext. Returns its length.
 */
static size_t reply(uint8_t *b, const uint8_t *opts, size_t olen, uint8_t ext,
		    unsigned rcode)
{
	size_t n = ND_DNS_HEADER_LEN;

	memset(b, 0, ND_DNS_HEADER_LEN);
	nd_put16(b + 2, (uint16_t)(ND_FLAG_QR | rcode));
	nd_put16(b + 4, 1);
	nd_put16(b + 6, 1);
	nd_put16(b + 10, 1);
	memcpy(b + n, "\1a\0", 3);
	n += 3;
	nd_put16(b + n, ND_TYPE_A);
	nd_put16(b + n + 2, ND_CLASS_IN);
	n += 4;
	b[n++] = 0xc0;
	b[n++] = ND_DNS_HEADER_LEN;
	nd_put16(b + n, ND_TYPE_A);
	nd_put16(b + n + 2, ND_CLASS_IN);
	nd_put32(b + n + 4, 60);
	nd_put16(b + n + 8, 4);
	n += 10;
	memcpy(b + n, "\xc0\0\2\1", 4);
	n += 4;
	b[n++] = 0;
	nd_put16(b + n, ND_TYPE_OPT);
	nd_put16(b + n + 2, 1232);
	b[n + 4] = ext;
	b[n + 5] = 0;
	nd_put16(b + n + 6, 0);
	nd_put16(b + n + 8, (uint16_t)olen);
	n += 10;
	if (olen > 0)
		memcpy(b + n, opts, olen);
	return n + olen;
}

static void test_client_and_server(void **state)
{
	/* A padding option first (code 12), then the cookie. */
	static const uint8_t opts[] = {
		0, 12, 0, 2, 0, 0,
		0, 10, 0, 24, 1, 2, 3, 4, 5, 6, 7, 8,
		9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
	};
	struct nd_cookie c;
	uint8_t b[256];
	unsigned rc;
	size_t n = reply(b, opts, sizeof(opts), 0, 0);

	(void)state;
	assert_int_equal(nd_cookie_find(b, n, &c, &rc), 1);
	assert_memory_equal(c.client, "\1\2\3\4\5\6\7\10", 8);
	assert_int_equal(c.server_len, 16);
	assert_int_equal(c.server[15], 9);
	assert_int_equal(rc, 0);
}

static void test_badcookie_rcode(void **state)
{
	static const uint8_t opts[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct nd_cookie c;
	uint8_t b[256];
	unsigned rc;
	/* 23 = 0x17: upper bits 1 in the OPT, lower 7 in the header. */
	size_t n = reply(b, opts, sizeof(opts), 1, 7);

	(void)state;
	assert_int_equal(nd_cookie_find(b, n, &c, &rc), 1);
	assert_int_equal(rc, ND_RCODE_BADCOOKIE);
	assert_int_equal(c.server_len, 0);
}

static void test_none(void **state)
{
	static const uint8_t opts[] = { 0, 12, 0, 0 };
	uint8_t b[256];
	size_t n = reply(b, opts, sizeof(opts), 0, 0);

	(void)state;
	assert_int_equal(nd_cookie_find(b, n, NULL, NULL), 0);
	/* No OPT at all. */
	n = reply(b, NULL, 0, 0, 0);
	nd_put16(b + 10, 0);
	n -= 11;
	assert_int_equal(nd_cookie_find(b, n, NULL, NULL), 0);
}

static void test_malformed(void **state)
{
	/* Lengths RFC 7873 5.3 says to discard: 7, 9..15, 41. */
	static const uint16_t bad_lens[] = { 0, 7, 9, 15, 41 };
	uint8_t opts[4 + 41], b[256];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_lens) / sizeof(bad_lens[0]); i++) {
		memset(opts, 1, sizeof(opts));
		nd_put16(opts, ND_EDNS_OPT_COOKIE);
		nd_put16(opts + 2, bad_lens[i]);
		n = reply(b, opts, 4 + bad_lens[i], 0, 0);
		assert_int_equal(nd_cookie_find(b, n, NULL, NULL),
				 ND_EMALFORMED);
	}
	/* An option running past the RDATA. */
	nd_put16(opts + 2, 8);
	n = reply(b, opts, 4 + 4, 0, 0);
	assert_int_equal(nd_cookie_find(b, n, NULL, NULL), ND_EMALFORMED);
	/* A message cut short. */
	n = reply(b, opts, 12, 0, 0);
	assert_int_equal(nd_cookie_find(b, n - 13, NULL, NULL),
			 ND_EMALFORMED);
	assert_int_equal(nd_cookie_find(NULL, 40, NULL, NULL), ND_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_and_server),
		cmocka_unit_test(test_badcookie_rcode),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
