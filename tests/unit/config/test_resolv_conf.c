/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for config/resolv_conf.c: nameservers, search, ndots. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/resolv_conf.h"
#include "util/addr.h"

static char tmp_path[64];

/* The file for one test; removed by teardown. */
static const char *write_tmp(const char *content)
{
	size_t len = strlen(content);
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/nd_test_resolv_XXXXXX");
	fd = mkstemp(tmp_path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return tmp_path;
}

static int teardown(void **state)
{
	(void)state;
	if (tmp_path[0] != '\0')
		unlink(tmp_path);
	tmp_path[0] = '\0';
	return 0;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[ND_ADDR_STRLEN];

	assert_int_equal(nd_addr_format((const struct sockaddr *)ss, buf,
					sizeof(buf)),
			 0);
	assert_string_equal(buf, want);
}

static void test_nameservers(void **state)
{
	struct nd_resolv_conf rc;
	const char *path = write_tmp(
		"# generated\n"
		"; also a comment\n"
		"#nameserver 10.9.9.9\n"
		"nameserver 10.96.0.10\n"
		"nameserver\t2001:db8::53   # trailing comment\n"
		"nameserver fe80::1%lo\n"
		"nameserver 10.96.0.10\n"    /* duplicate */
		"nameserver 300.1.1.1\n"     /* junk address */
		"nameserver\n"               /* no address */
		"nameservers 10.8.8.8\n"     /* not the keyword */
		"nameserver 10.96.0.11:53\n" /* ports are not resolv.conf */
		"garbage line here\n"
		"  nameserver 192.0.2.5\r\n");

	(void)state;
	assert_int_equal(nd_resolv_conf_read(path, &rc), 0);
	assert_true(rc.is_read);
	assert_int_equal(rc.n_ns, 4);
	assert_addr(&rc.ns[0], "10.96.0.10:53");
	assert_addr(&rc.ns[1], "[2001:db8::53]:53");
	assert_addr(&rc.ns[2], "[fe80::1]:53");
	assert_int_equal(((struct sockaddr_in6 *)&rc.ns[2])->sin6_scope_id,
			 if_nametoindex("lo"));
	assert_addr(&rc.ns[3], "192.0.2.5:53");
	/* Nothing else in the file: no search list, the default ndots. */
	assert_int_equal(rc.n_search, 0);
	assert_int_equal(rc.ndots, 1);
}

static void test_numeric_scope(void **state)
{
	struct nd_resolv_conf rc;
	const char *path = write_tmp("nameserver fe80::53%7\n"
				     "nameserver fe80::54%no-such-if0\n");

	(void)state;
	assert_int_equal(nd_resolv_conf_read(path, &rc), 0);
	assert_int_equal(rc.n_ns, 2);
	assert_int_equal(((struct sockaddr_in6 *)&rc.ns[0])->sin6_scope_id, 7);
	assert_int_equal(((struct sockaddr_in6 *)&rc.ns[1])->sin6_scope_id, 0);
}

static void test_too_many_nameservers(void **state)
{
	struct nd_resolv_conf rc;
	char text[2048] = "";

	(void)state;
	for (int i = 0; i < ND_RESOLV_MAX_NS + 4; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "nameserver 192.0.2.%d\n", i + 1);
	assert_int_equal(nd_resolv_conf_read(write_tmp(text), &rc), 0);
	assert_int_equal(rc.n_ns, ND_RESOLV_MAX_NS);
	assert_addr(&rc.ns[ND_RESOLV_MAX_NS - 1], "192.0.2.16:53");
}

/* The last "search" or "domain" line wins, as in glibc; trailing dots
 * go; what is no domain name is skipped; at most ND_RESOLV_MAX_SEARCH. */
static void test_search(void **state)
{
	struct nd_resolv_conf rc;
	const char *path = write_tmp(
		"search old.example\n"
		"nameserver 10.0.0.1\n"
		"search corp.example. a..b bad/char _srv.lab.example x1 x2 x3 "
		"x4 x5 x6 x7 x8\n");

	(void)state;
	assert_int_equal(nd_resolv_conf_read(path, &rc), 0);
	assert_int_equal(rc.n_search, ND_RESOLV_MAX_SEARCH);
	assert_string_equal(rc.search[0], "corp.example");
	assert_string_equal(rc.search[1], "_srv.lab.example");
	assert_string_equal(rc.search[2], "x1");
	assert_string_equal(rc.search[7], "x6");

	assert_int_equal(nd_resolv_conf_read(
				 write_tmp("search a.example b.example\n"
					   "domain only.example\n"),
				 &rc),
			 0);
	assert_int_equal(rc.n_search, 1);
	assert_string_equal(rc.search[0], "only.example");
}

static void test_ndots(void **state)
{
	struct nd_resolv_conf rc;

	(void)state;
	assert_int_equal(
	    nd_resolv_conf_read(write_tmp("options rotate ndots:5 timeout:2\n"),
				&rc),
	    0);
	assert_int_equal(rc.ndots, 5);
	unlink(tmp_path);
	assert_int_equal(nd_resolv_conf_read(write_tmp("options ndots:0\n"
						       "options ndots:40\n"),
					     &rc),
			 0);
	assert_int_equal(rc.ndots, ND_RESOLV_NDOTS_MAX);
	unlink(tmp_path);
	assert_int_equal(nd_resolv_conf_read(write_tmp("options ndots:x\n"),
					     &rc),
			 0);
	assert_int_equal(rc.ndots, 1);
}

static void test_errors(void **state)
{
	struct nd_resolv_conf rc;

	(void)state;
	assert_int_equal(nd_resolv_conf_read("/tmp/nd_test_resolv_no_such_file",
					     &rc),
			 -ENOENT);
	assert_false(rc.is_read);
	assert_int_equal(rc.n_ns, 0);
	assert_int_equal(rc.ndots, 1);
	assert_int_equal(nd_resolv_conf_read("/tmp", &rc), -EISDIR);
	assert_int_equal(rc.n_ns, 0);
	assert_int_equal(nd_resolv_conf_read(NULL, &rc), -EINVAL);
	assert_int_equal(nd_resolv_conf_read("/dev/null", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_nameservers, teardown),
		cmocka_unit_test_teardown(test_numeric_scope, teardown),
		cmocka_unit_test_teardown(test_too_many_nameservers, teardown),
		cmocka_unit_test_teardown(test_search, teardown),
		cmocka_unit_test_teardown(test_ndots, teardown),
		cmocka_unit_test_teardown(test_errors, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
