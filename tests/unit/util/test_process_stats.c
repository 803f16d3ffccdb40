/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for util/process_stats.c: /proc/PID/stat and /proc/stat
 * parsing, and a read of our own process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/process_stats.h"

/* A real line, with a command name holding ") (" and blanks. */
static const char stat_line[] =
	"4242 (no) (dns d) S 1 4242 4242 0 -1 4194560 1200 0 3 0 "
	"250 150 0 0 20 0 3 0 9000 104857600 2048 18446744073709551615 "
	"1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
	struct nd_process_stats ps;

	(void)state;
	memset(&ps, 0, sizeof(ps));
	assert_int_equal(nd_process_stats_parse_stat(stat_line, 100, 4096,
						     1700000000, &ps),
			 0);
	/* utime 250 + stime 150 ticks at 100 Hz = 4 s */
	assert_int_equal(ps.cpu_us, 4000000);
	assert_int_equal(ps.vsize_bytes, 104857600);
	assert_int_equal(ps.rss_bytes, 2048 * 4096);
	/* starttime 9000 ticks = 90 s after boot */
	assert_int_equal(ps.start_time_ms, 1700000090000ull);
}

static void test_parse_stat_bad(void **state)
{
	struct nd_process_stats ps;

	(void)state;
	assert_int_equal(nd_process_stats_parse_stat("4242 (x) S 1 2 3", 100,
						     4096, 0, &ps),
			 -EINVAL);
	assert_int_equal(nd_process_stats_parse_stat("no parenthesis", 100,
						     4096, 0, &ps),
			 -EINVAL);
	assert_int_equal(nd_process_stats_parse_stat(stat_line, 0, 4096, 0,
						     &ps),
			 -EINVAL);
	assert_int_equal(nd_process_stats_parse_stat(NULL, 100, 4096, 0, &ps),
			 -EINVAL);
}

static void test_parse_btime(void **state)
{
	(void)state;
	assert_int_equal(nd_process_stats_parse_btime(
				 "cpu  1 2 3\nintr 5 6 7\nbtime 1700000000\n"
				 "processes 99\n"),
			 1700000000);
	assert_int_equal(nd_process_stats_parse_btime("btime 12\n"), 12);
	assert_int_equal(nd_process_stats_parse_btime("cpu 1\n"), 0);
	assert_int_equal(nd_process_stats_parse_btime(NULL), 0);
}

/* Our own process: plausible values. */
static void test_read_self(void **state)
{
	struct nd_process_stats ps;
	uint64_t now_ms = (uint64_t)time(NULL) * 1000;

	(void)state;
	assert_int_equal(nd_process_stats_read(&ps), 0);
	assert_true(ps.rss_bytes > 0);
	assert_true(ps.vsize_bytes >= ps.rss_bytes);
	assert_true(ps.open_fds >= 3); /* stdin, stdout, stderr */
	assert_true(ps.max_fds >= ps.open_fds);
	assert_true(ps.start_time_ms <= now_ms + 1000);
	assert_true(ps.start_time_ms + 3600 * 1000 > now_ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_stat_bad),
		cmocka_unit_test(test_parse_btime),
		cmocka_unit_test(test_read_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
