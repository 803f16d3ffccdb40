/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_line_ring.c - util/line_ring.c: whole lines in and
 * out, the bound (a line that does not fit is refused, nothing else
 * changes), wrap-around, and one producer and one consumer thread at
 * once losing, splitting or reordering nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/line_ring.h"

static void test_in_and_out(void **state)
{
	struct nd_line_ring r;
	char out[64];
	(void)state;

	assert_int_equal(nd_line_ring_init(&r, 1), -EINVAL);
	assert_int_equal(nd_line_ring_init(&r, 32), 0);
	assert_int_equal(nd_line_ring_take(&r, out, sizeof(out)), 0);
	assert_true(nd_line_ring_push(&r, "one\n", 4));
	assert_true(nd_line_ring_push(&r, "two\n", 4));
	assert_int_equal(nd_line_ring_used(&r), 8);
	assert_int_equal(nd_line_ring_take(&r, out, sizeof(out)), 8);
	assert_memory_equal(out, "one\ntwo\n", 8);
	assert_int_equal(nd_line_ring_used(&r), 0);
	assert_false(nd_line_ring_push(&r, "", 0));
	nd_line_ring_deinit(&r);
	nd_line_ring_deinit(&r); /* twice is fine */
	nd_line_ring_deinit(NULL);
}

/* Full: the line that does not fit is refused whole, the ring unchanged;
 * after a take there is room again. */
static void test_bound(void **state)
{
	struct nd_line_ring r;
	char out[64];
	int pushed = 0;
	(void)state;

	assert_int_equal(nd_line_ring_init(&r, 20), 0);
	while (nd_line_ring_push(&r, "abcd\n", 5))
		pushed++;
	assert_int_equal(pushed, 4);
	assert_int_equal(nd_line_ring_used(&r), 20);
	assert_false(nd_line_ring_push(&r, "x\n", 2));
	assert_int_equal(nd_line_ring_used(&r), 20);
	/* a take of 7 bytes gets one whole line, not one and a bit */
	assert_int_equal(nd_line_ring_take(&r, out, 7), 5);
	assert_memory_equal(out, "abcd\n", 5);
	assert_true(nd_line_ring_push(&r, "wxyz\n", 5));
	assert_false(nd_line_ring_push(&r, "x\n", 2));
	assert_int_equal(nd_line_ring_take(&r, out, sizeof(out)), 20);
	assert_memory_equal(out, "abcd\nabcd\nabcd\nwxyz\n", 20);
	nd_line_ring_deinit(&r);
}

/* Lines that straddle the end of the buffer come out whole. */
static void test_wrap(void **state)
{
	struct nd_line_ring r;
	char line[16], out[64];
	(void)state;

	assert_int_equal(nd_line_ring_init(&r, 13), 0);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "%d\n", i);

		assert_true(nd_line_ring_push(&r, line, (size_t)n));
		assert_int_equal(nd_line_ring_take(&r, out, sizeof(out)), n);
		assert_memory_equal(out, line, (size_t)n);
	}
	/* a line longer than the take's buffer: in pieces */
	assert_true(nd_line_ring_push(&r, "0123456789\n", 11));
	assert_int_equal(nd_line_ring_take(&r, out, 4), 4);
	assert_memory_equal(out, "0123", 4);
	assert_int_equal(nd_line_ring_take(&r, out, sizeof(out)), 7);
	assert_memory_equal(out, "456789\n", 7);
	nd_line_ring_deinit(&r);
}

#define N_LINES 200000

struct two {
	struct nd_line_ring r;
	int done;	 /* producer finished (atomic) */
	long dropped;	 /* lines the producer could not push */
};

static void *producer(void *arg)
{
	struct two *t = arg;
	char line[32];

	for (long i = 0; i < N_LINES; i++) {
		int n = snprintf(line, sizeof(line), "line %ld\n", i);

		/* Even lines wait for room (so the ring wraps many times
		 * under the consumer), odd ones are dropped when it is
		 * full, as the query log drops. */
		while (!nd_line_ring_push(&t->r, line, (size_t)n)) {
			if (i % 2 == 1) {
				t->dropped++;
				break;
			}
			sched_yield();
		}
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* One thread pushes, this one takes: every line comes out whole, in
 * order, and lines taken + lines refused = lines offered. */
static void test_two_threads(void **state)
{
	static struct two t;
	char out[4096], *p, *nl;
	long got = 0, last = -1;
	size_t k;
	pthread_t th;
	(void)state;

	memset(&t, 0, sizeof(t));
	assert_int_equal(nd_line_ring_init(&t.r, 4096), 0);
	assert_int_equal(pthread_create(&th, NULL, producer, &t), 0);
	for (;;) {
		int done = __atomic_load_n(&t.done, __ATOMIC_ACQUIRE);

		k = nd_line_ring_take(&t.r, out, sizeof(out));
		if (k == 0) {
			if (done && nd_line_ring_used(&t.r) == 0)
				break;
			sched_yield(); /* the producer runs on */
			continue;
		}
		assert_int_equal(out[k - 1], '\n'); /* whole lines only */
		for (p = out; p < out + k; p = nl + 1) {
			long v;

			nl = memchr(p, '\n', (size_t)(out + k - p));
			assert_non_null(nl);
			assert_int_equal(sscanf(p, "line %ld", &v), 1);
			assert_true(v > last);
			last = v;
			got++;
		}
	}
	pthread_join(th, NULL);
	assert_int_equal(got + t.dropped, N_LINES);
	assert_true(got >= N_LINES / 2);
	nd_line_ring_deinit(&t.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_and_out),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
