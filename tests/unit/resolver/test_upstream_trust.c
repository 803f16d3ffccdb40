/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/upstream_trust.c: the 0x20 mark of an upstream and its cookies. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "resolver/upstream_trust.h"

#define S(x) ((uint64_t)(x) * 1000000)

static void test_0x20_mark_after_evidence(void **state)
{
	struct nd_upstream_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_true(nd_trust_use_0x20(&t, S(10)));
	assert_false(nd_trust_case_failed(&t, S(10)));
	assert_false(nd_trust_case_failed(&t, S(11)));
	assert_true(nd_trust_use_0x20(&t, S(11)));
	/* The third attempt in a row marks it, once. */
	assert_true(nd_trust_case_failed(&t, S(12)));
	assert_false(nd_trust_case_failed(&t, S(12)));
	assert_false(nd_trust_use_0x20(&t, S(13)));
	assert_true(nd_trust_is_no_0x20(&t, S(13)));
	/* Until the period is over. */
	assert_false(nd_trust_use_0x20(&t, S(12) + ND_0X20_OFF_US - 1));
	assert_true(nd_trust_use_0x20(&t, S(12) + ND_0X20_OFF_US));
	assert_false(nd_trust_is_no_0x20(&t, S(12) + ND_0X20_OFF_US));
	/* And the evidence starts over. */
	assert_false(nd_trust_case_failed(&t, S(5000)));
}

static void test_0x20_echo_resets_evidence(void **state)
{
	struct nd_upstream_trust t;

	(void)state;
	memset(&t, 0, sizeof(t));
	/* Spoofed replies that lost the race are interleaved with real
	 * echoes: they never add up to a mark. */
	for (int i = 0; i < 10; i++) {
		assert_false(nd_trust_case_failed(&t, S(i)));
		assert_false(nd_trust_case_failed(&t, S(i)));
		nd_trust_case_ok(&t);
	}
	assert_true(nd_trust_use_0x20(&t, S(20)));
	assert_false(nd_trust_is_no_0x20(NULL, 0));
	assert_true(nd_trust_use_0x20(NULL, 0));
}

static const uint8_t secret[ND_COOKIE_SECRET_LEN] = "0123456789abcdef";

static void addr4(struct sockaddr_storage *ss, const char *ip, int port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void test_cookie_client_per_upstream_and_epoch(void **state)
{
	struct nd_upstream_trust a, b;
	struct sockaddr_storage sa, sb;
	uint8_t ca[40], cb[40], ca2[40];

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	addr4(&sa, "127.0.0.1", 53);
	addr4(&sb, "127.0.0.1", 54);
	assert_int_equal(nd_trust_cookie(&a, secret, (struct sockaddr *)&sa,
					 S(1), ca),
			 8);
	assert_int_equal(nd_trust_cookie(&b, secret, (struct sockaddr *)&sb,
					 S(1), cb),
			 8);
	/* Another port is another server: another client cookie. */
	assert_memory_not_equal(ca, cb, 8);
	/* Stable within the epoch... */
	nd_trust_cookie(&a, secret, (struct sockaddr *)&sa, S(2), ca2);
	assert_memory_equal(ca, ca2, 8);
	/* ...and another one in the next. */
	nd_trust_cookie(&a, secret, (struct sockaddr *)&sa,
			S(1) + ND_COOKIE_ROTATE_US, ca2);
	assert_memory_not_equal(ca, ca2, 8);
	assert_int_equal(nd_trust_cookie(NULL, secret, (struct sockaddr *)&sa,
					 0, ca),
			 0);
}

static void test_cookie_ipv6(void **state)
{
	struct nd_upstream_trust a, b;
	struct sockaddr_in6 s6;
	uint8_t ca[40], cb[40];

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(53);
	inet_pton(AF_INET6, "fd00::1", &s6.sin6_addr);
	assert_int_equal(nd_trust_cookie(&a, secret, (struct sockaddr *)&s6,
					 S(1), ca),
			 8);
	s6.sin6_addr.s6_addr[15] = 2;
	assert_int_equal(nd_trust_cookie(&b, secret, (struct sockaddr *)&s6,
					 S(1), cb),
			 8);
	assert_memory_not_equal(ca, cb, 8);
	/* Another family is refused. */
	s6.sin6_family = AF_UNIX;
	assert_int_equal(nd_trust_cookie(&b, secret, (struct sockaddr *)&s6,
					 S(1), cb),
			 0);
}

static void test_cookie_learn_and_judge(void **state)
{
	struct nd_upstream_trust t;
	struct sockaddr_storage sa;
	struct nd_cookie c;
	uint8_t sent[40], again[40];

	(void)state;
	memset(&t, 0, sizeof(t));
	addr4(&sa, "127.0.0.1", 53);
	nd_trust_cookie(&t, secret, (struct sockaddr *)&sa, S(1), sent);
	/* An upstream without cookies: replies without one are fine. */
	assert_int_equal(nd_trust_cookie_reply(&t, sent, 0, NULL),
			 ND_COOKIE_OK);
	assert_false(nd_trust_has_server_cookie(&t));
	/* Another client cookie, or a malformed option: discarded. */
	memset(&c, 0, sizeof(c));
	memcpy(c.client, sent, 8);
	c.client[0] ^= 1;
	assert_int_equal(nd_trust_cookie_reply(&t, sent, 1, &c),
			 ND_COOKIE_WRONG);
	assert_int_equal(nd_trust_cookie_reply(&t, sent, -1, NULL),
			 ND_COOKIE_WRONG);
	assert_false(nd_trust_has_server_cookie(&t));
	/* Ours with a server cookie: learned, sent from now on. */
	c.client[0] ^= 1;
	memset(c.server, 0xab, 16);
	c.server_len = 16;
	assert_int_equal(nd_trust_cookie_reply(&t, sent, 1, &c),
			 ND_COOKIE_OK);
	assert_true(nd_trust_has_server_cookie(&t));
	assert_int_equal(nd_trust_cookie(&t, secret, (struct sockaddr *)&sa,
					 S(2), again),
			 24);
	assert_memory_equal(again, sent, 8);
	assert_int_equal(again[8], 0xab);
	/* Now a reply without a cookie is likelier forged. */
	assert_int_equal(nd_trust_cookie_reply(&t, again, 0, NULL),
			 ND_COOKIE_MISSING);
	/* Unless the upstream really stopped: 3 attempts in a row. */
	assert_false(nd_trust_cookie_failed(&t));
	assert_false(nd_trust_cookie_failed(&t));
	assert_true(nd_trust_cookie_failed(&t));
	assert_false(nd_trust_has_server_cookie(&t));
	assert_int_equal(nd_trust_cookie_reply(&t, again, 0, NULL),
			 ND_COOKIE_OK);
}

static void test_cookie_rotation_forgets_server_cookie(void **state)
{
	struct nd_upstream_trust t;
	struct sockaddr_storage sa;
	struct nd_cookie c;
	uint8_t sent[40];

	(void)state;
	memset(&t, 0, sizeof(t));
	addr4(&sa, "127.0.0.1", 53);
	nd_trust_cookie(&t, secret, (struct sockaddr *)&sa, S(1), sent);
	memset(&c, 0, sizeof(c));
	memcpy(c.client, sent, 8);
	c.server_len = 8;
	nd_trust_cookie_reply(&t, sent, 1, &c);
	assert_true(nd_trust_has_server_cookie(&t));
	/* A server cookie answers one client cookie. */
	assert_int_equal(nd_trust_cookie(&t, secret, (struct sockaddr *)&sa,
					 S(1) + ND_COOKIE_ROTATE_US, sent),
			 8);
	assert_false(nd_trust_has_server_cookie(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_0x20_mark_after_evidence),
		cmocka_unit_test(test_0x20_echo_resets_evidence),
		cmocka_unit_test(test_cookie_client_per_upstream_and_epoch),
		cmocka_unit_test(test_cookie_ipv6),
		cmocka_unit_test(test_cookie_learn_and_judge),
		cmocka_unit_test(test_cookie_rotation_forgets_server_cookie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
