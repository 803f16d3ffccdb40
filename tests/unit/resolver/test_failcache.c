/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/failcache.c: holds, backoff, keys, the bound. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "resolver/failcache.h"
#include "resolver/fetch.h"

/* A question for name i: "n<i>.example.test" as a wire name. */
struct q {
	uint8_t wire[64];
	struct nd_question qs;
};

static void make_q(struct q *q, unsigned i, uint16_t qtype)
{
	char label[16];
	int n = snprintf(label, sizeof(label), "n%u", i);
	size_t len = 0;

	q->wire[len++] = (uint8_t)n;
	memcpy(q->wire + len, label, (size_t)n);
	len += (size_t)n;
	memcpy(q->wire + len, "\007example\004test", 14);
	len += 14;
	q->wire[len++] = 0;
	q->qs = (struct nd_question){ q->wire, (uint16_t)len, qtype, 1 };
}

static void test_hold_and_backoff(void **state)
{
	struct nd_failcache *fc = nd_failcache_new(8000);
	struct nd_failcache_hit hit;
	struct q q;

	(void)state;
	assert_non_null(fc);
	make_q(&q, 1, 1);
	assert_false(nd_failcache_lookup(fc, &q.qs, 7, 1000, &hit));
	/* First failure: 1 s. */
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   1000), 1000);
	assert_true(nd_failcache_lookup(fc, &q.qs, 7, 1999, &hit));
	assert_int_equal(hit.left_ms, 1);
	assert_int_equal(hit.end, ND_FETCH_TIMED_OUT);
	assert_int_equal(hit.fails, 1);
	assert_false(nd_failcache_lookup(fc, &q.qs, 7, 2000, &hit));
	/* Another upstream set, another type: not held. */
	assert_false(nd_failcache_lookup(fc, &q.qs, 8, 1500, &hit));
	q.qs.qtype = 28;
	assert_false(nd_failcache_lookup(fc, &q.qs, 7, 1500, &hit));
	q.qs.qtype = 1;
	/* Failing again right after: 2 s, 4 s, then the cap of 8 s. */
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_UNREACHABLE,
					   6000), 2000);
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   9000), 4000);
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   14000), 8000);
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   23000), 8000);
	/* Within a running hold: the hold stands. */
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   24000), 8000);
	assert_true(nd_failcache_lookup(fc, &q.qs, 7, 30999, &hit));
	assert_int_equal(hit.fails, 6);
	/* Long after the last hold (more than the maximum): small again. */
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 7, ND_FETCH_TIMED_OUT,
					   50000), 1000);
	/* A success forgets. */
	nd_failcache_clear(fc, &q.qs, 7);
	assert_false(nd_failcache_lookup(fc, &q.qs, 7, 50500, &hit));
	assert_int_equal(nd_failcache_entries(fc), 0);
	nd_failcache_free(fc);
}

/* The table never holds more than its bound, and the newest failures
 * (the ones whose holds end last) are the ones it keeps: one failure a
 * millisecond, three times the bound. */
static void test_bounded(void **state)
{
	struct nd_failcache *fc = nd_failcache_new(300000);
	struct nd_failcache_hit hit;
	unsigned held = 0;
	struct q q;

	(void)state;
	assert_non_null(fc);
	for (unsigned i = 0; i < 3 * ND_FAILCACHE_ENTRIES; i++) {
		make_q(&q, i, 1);
		assert_int_equal(nd_failcache_fail(fc, &q.qs, 1,
						   ND_FETCH_TIMED_OUT, i),
				 1000);
	}
	assert_true(nd_failcache_entries(fc) <= ND_FAILCACHE_ENTRIES);
	assert_true(nd_failcache_entries(fc) > ND_FAILCACHE_ENTRIES / 2);
	make_q(&q, 3 * ND_FAILCACHE_ENTRIES - 1, 1);
	assert_true(nd_failcache_lookup(fc, &q.qs, 1, 3 * ND_FAILCACHE_ENTRIES,
					&hit));
	for (unsigned i = 0; i < 3 * ND_FAILCACHE_ENTRIES; i++) {
		make_q(&q, i, 1);
		held += nd_failcache_lookup(fc, &q.qs, 1,
					    3 * ND_FAILCACHE_ENTRIES, &hit);
	}
	/* Only the last 1,000 are within their 1 s hold at that time; a set
	 * of 4 slots that drew 5 of them lost its oldest. */
	assert_true(held <= 1000);
	assert_true(held >= 990);
	nd_failcache_free(fc);
}

static void test_bad_arguments(void **state)
{
	struct nd_failcache *fc = nd_failcache_new(0); /* at least 1 s */
	struct nd_question empty = { NULL, 0, 1, 1 };
	struct q q;

	(void)state;
	assert_non_null(fc);
	make_q(&q, 1, 1);
	assert_int_equal(nd_failcache_fail(fc, &empty, 1, 1, 0), 0);
	assert_int_equal(nd_failcache_fail(NULL, &q.qs, 1, 1, 0), 0);
	assert_false(nd_failcache_lookup(NULL, &q.qs, 1, 0, NULL));
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 1, 1, 0), 1000);
	assert_int_equal(nd_failcache_fail(fc, &q.qs, 1, 1, 1000), 1000);
	assert_true(nd_failcache_lookup(fc, &q.qs, 1, 1500, NULL));
	nd_failcache_clear(NULL, &q.qs, 1);
	nd_failcache_free(fc);
	nd_failcache_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hold_and_backoff),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
