/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_ratelimit.c - log-line rate limits: burst, average rate, suppressed counts, threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/ratelimit.h"

#define SEC 1000000ull

static void test_burst_then_rate(void **state)
{
	struct nd_ratelimit l;
	uint64_t t = 5 * SEC, sup = 99;
	int ok = 0;

	(void)state;
	/* 5 a second, 5 at once. */
	nd_ratelimit_init(&l, 5, SEC, 5);
	for (int i = 0; i < 20; i++)
		ok += nd_ratelimit_allow(&l, t, NULL);
	assert_int_equal(ok, 5);
	assert_int_equal(nd_ratelimit_refused(&l), 15);
	/* One gap later, one more; it hears of the 15 refused. */
	assert_false(nd_ratelimit_allow(&l, t + SEC / 5 - 1, NULL));
	assert_true(nd_ratelimit_allow(&l, t + SEC / 5, &sup));
	assert_int_equal(sup, 16);
	/* Over ten seconds of steady asking: five a second. */
	ok = 0;
	for (uint64_t u = t + SEC; u < t + 11 * SEC; u += 1000)
		ok += nd_ratelimit_allow(&l, u, NULL);
	assert_true(ok >= 50 && ok <= 55);
}

static void test_quiet_refills_only_the_burst(void **state)
{
	struct nd_ratelimit l;
	int ok = 0;

	(void)state;
	nd_ratelimit_init(&l, 1, 60 * SEC, 3);
	assert_true(nd_ratelimit_allow(&l, SEC, NULL));
	/* An hour of silence buys the burst, not sixty lines. */
	for (int i = 0; i < 10; i++)
		ok += nd_ratelimit_allow(&l, 3600 * SEC, NULL);
	assert_int_equal(ok, 3);
}

static void test_zero_allows_nothing(void **state)
{
	struct nd_ratelimit l;

	(void)state;
	nd_ratelimit_init(&l, 0, SEC, 5);
	assert_false(nd_ratelimit_allow(&l, 0, NULL));
	assert_false(nd_ratelimit_allow(&l, 1000 * SEC, NULL));
}

struct racer {
	struct nd_ratelimit *l;
	int allowed;
};

static void *race(void *arg)
{
	struct racer *r = arg;

	for (int i = 0; i < 100000; i++)
		r->allowed += nd_ratelimit_allow(r->l, 7 * SEC, NULL);
	return NULL;
}

/* Workers asking at the same instant share the burst exactly. */
static void test_threads_share_the_burst(void **state)
{
	struct nd_ratelimit l;
	struct racer r[4];
	pthread_t th[4];
	int total = 0;

	(void)state;
	nd_ratelimit_init(&l, 10, SEC, 10);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct racer){&l, 0};
		assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += r[i].allowed;
	}
	assert_int_equal(total, 10);
	assert_int_equal(nd_ratelimit_refused(&l), 400000 - 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_quiet_refills_only_the_burst),
		cmocka_unit_test(test_zero_allows_nothing),
		cmocka_unit_test(test_threads_share_the_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
