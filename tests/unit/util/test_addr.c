/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_addr.c - address and CIDR parsing. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/addr.h"
#include "util/errors.h"

static void roundtrip(const char *in, uint16_t defport, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	char buf[ND_ADDR_STRLEN];

	assert_int_equal(nd_addr_parse(in, defport, &ss, &len), 0);
	assert_int_equal(len, nd_addr_len((struct sockaddr *)&ss));
	assert_int_equal(nd_addr_format((struct sockaddr *)&ss, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_parse_forms(void **state)
{
	(void)state;
	roundtrip("1.2.3.4", 53, "1.2.3.4:53");
	roundtrip("1.2.3.4:5353", 53, "1.2.3.4:5353");
	roundtrip("::1", 53, "[::1]:53");
	roundtrip("[::1]", 53, "[::1]:53");
	roundtrip("[fd00::5]:8053", 53, "[fd00::5]:8053");
	roundtrip("169.254.20.10:53", 1, "169.254.20.10:53");
}

static void test_parse_errors(void **state)
{
	struct sockaddr_storage ss;
	(void)state;
	const char *bad[] = { "", "1.2.3", "1.2.3.400", "1.2.3.4:0",
			      "1.2.3.4:65536", "1.2.3.4:x", "[::1", "[::1]x",
			      "[::1]:", "host.example", "1.2.3.4:53:1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nd_addr_parse(bad[i], 53, &ss, NULL),
				 ND_EBADADDR);
	assert_int_equal(nd_addr_parse(NULL, 53, &ss, NULL), -EINVAL);
	assert_int_equal(nd_addr_parse("1.2.3.4", 53, NULL, NULL), -EINVAL);
}

static void test_equal_and_any(void **state)
{
	struct sockaddr_storage a, b, c;
	(void)state;

	nd_addr_parse("127.0.0.1:53", 53, &a, NULL);
	nd_addr_parse("127.0.0.1", 53, &b, NULL);
	nd_addr_parse("127.0.0.1:54", 53, &c, NULL);
	assert_true(nd_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&b));
	assert_false(nd_addr_equal((struct sockaddr *)&a, (struct sockaddr *)&c));
	assert_int_equal(nd_addr_port((struct sockaddr *)&c), 54);
	nd_addr_parse("0.0.0.0", 53, &a, NULL);
	nd_addr_parse("[::]:53", 53, &b, NULL);
	assert_true(nd_addr_is_any((struct sockaddr *)&a));
	assert_true(nd_addr_is_any((struct sockaddr *)&b));
	assert_false(nd_addr_is_any((struct sockaddr *)&c));
}

static bool loopback(const char *spec)
{
	struct sockaddr_storage ss;

	assert_int_equal(nd_addr_parse(spec, 53, &ss, NULL), 0);
	return nd_addr_is_loopback((struct sockaddr *)&ss);
}

/* Who may send control requests without a token. */
static void test_loopback(void **state)
{
	(void)state;
	assert_true(loopback("127.0.0.1"));
	assert_true(loopback("127.255.0.9"));
	assert_true(loopback("[::1]"));
	assert_true(loopback("[::ffff:127.0.0.1]"));
	assert_false(loopback("128.0.0.1"));
	assert_false(loopback("169.254.20.10"));
	assert_false(loopback("0.0.0.0"));
	assert_false(loopback("[::]"));
	assert_false(loopback("[::2]"));
	assert_false(loopback("[::ffff:10.0.0.1]"));
	assert_false(nd_addr_is_loopback(NULL));
}

static bool in(const char *cidr, const char *addr)
{
	struct nd_cidr c;
	struct sockaddr_storage ss;

	assert_int_equal(nd_cidr_parse(cidr, &c), 0);
	assert_int_equal(nd_addr_parse(addr, 53, &ss, NULL), 0);
	return nd_cidr_contains(&c, (struct sockaddr *)&ss);
}

static void test_cidr(void **state)
{
	struct nd_cidr c;
	(void)state;

	assert_true(in("10.0.0.0/8", "10.255.1.2"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("172.16.0.0/12", "172.31.255.255"));
	assert_false(in("172.16.0.0/12", "172.32.0.0"));
	assert_true(in("10.1.2.3/8", "10.9.9.9")); /* host bits ignored */
	assert_true(in("0.0.0.0/0", "8.8.8.8"));
	assert_true(in("127.0.0.1", "127.0.0.1"));
	assert_false(in("127.0.0.1", "127.0.0.2"));
	assert_true(in("fe80::/10", "fe80::1"));
	assert_false(in("fe80::/10", "fec0::1"));
	assert_true(in("10.0.0.0/8", "::ffff:10.1.1.1")); /* v4-mapped */
	assert_false(in("::/0", "1.2.3.4"));		   /* family differs */
	assert_int_equal(nd_cidr_parse("10.0.0.0/33", &c), ND_EBADADDR);
	assert_int_equal(nd_cidr_parse("10.0.0.0/", &c), ND_EBADADDR);
	assert_int_equal(nd_cidr_parse("/8", &c), ND_EBADADDR);
	assert_int_equal(nd_cidr_parse("fd00::/129", &c), ND_EBADADDR);
	assert_int_equal(nd_cidr_parse(NULL, &c), -EINVAL);
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(nd_strerror(ND_EBADADDR), "bad address");
	assert_string_equal(nd_strerror(-ENOMEM), strerror(ENOMEM));
	assert_string_equal(nd_strerror(-99999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_equal_and_any),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
