/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/upstream_rows.c: counter rows follow addresses
 * across reloads; and the restart of a row in resolver/metrics.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/metrics.h"
#include "resolver/upstream_rows.h"

static struct nd_upstream_rows rows;

static int setup(void **state)
{
	(void)state;
	nd_upstream_rows_init(&rows);
	return 0;
}

/* The case: one upstream, replaced by another. */
static void test_replaced_gets_fresh_row(void **state)
{
	const char *a[] = { "127.0.0.1:5301" };
	const char *b[] = { "127.0.0.1:5302" };
	uint8_t ra[1], rb[1];
	bool fresh[ND_UPSTREAM_ROWS];

	(void)state;
	assert_int_equal(nd_upstream_rows_assign(&rows, a, 1, ra, fresh), 0);
	assert_true(fresh[ra[0]]);
	assert_int_equal(nd_upstream_rows_assign(&rows, b, 1, rb, fresh), 0);
	assert_int_not_equal(ra[0], rb[0]);
	assert_true(fresh[rb[0]]);
	assert_false(fresh[ra[0]]);
}

static void test_kept_address_keeps_row(void **state)
{
	const char *one[] = { "10.0.0.1:53", "10.0.0.2:53" };
	const char *two[] = { "10.0.0.3:53", "10.0.0.2:53", "10.0.0.1:53" };
	uint8_t r1[2], r2[3];
	bool fresh[ND_UPSTREAM_ROWS];

	(void)state;
	assert_int_equal(nd_upstream_rows_assign(&rows, one, 2, r1, NULL), 0);
	assert_int_equal(nd_upstream_rows_assign(&rows, two, 3, r2, fresh), 0);
	assert_int_equal(r2[2], r1[0]); /* moved in the list, same row */
	assert_int_equal(r2[1], r1[1]);
	assert_false(fresh[r1[0]]);
	assert_false(fresh[r1[1]]);
	assert_true(fresh[r2[0]]);
	assert_int_not_equal(r2[0], r1[0]);
	assert_int_not_equal(r2[0], r1[1]);
}

/* The same address in the default set and a zone: one row. */
static void test_repeat_shares_row(void **state)
{
	const char *n[] = { "10.0.0.1:53", "10.0.0.9:53", "10.0.0.1:53" };
	uint8_t r[3];

	(void)state;
	assert_int_equal(nd_upstream_rows_assign(&rows, n, 3, r, NULL), 0);
	assert_int_equal(r[0], r[2]);
	assert_int_not_equal(r[0], r[1]);
}

/* Never-used rows first; then the one freed longest ago. */
static void test_reuse_order(void **state)
{
	char buf[ND_UPSTREAM_ROWS][32];
	const char *names[ND_UPSTREAM_ROWS];
	uint8_t r[ND_UPSTREAM_ROWS], first_row, x;
	bool fresh[ND_UPSTREAM_ROWS];

	(void)state;
	for (size_t i = 0; i < ND_UPSTREAM_ROWS; i++) {
		snprintf(buf[i], sizeof(buf[i]), "10.1.%zu.1:53", i);
		names[i] = buf[i];
	}
	/* Every row used once, one address at a time. */
	for (size_t i = 0; i < ND_UPSTREAM_ROWS; i++) {
		assert_int_equal(
			nd_upstream_rows_assign(&rows, &names[i], 1, &r[i],
						NULL),
			0);
		if (i > 0)
			assert_int_not_equal(r[i], r[i - 1]);
	}
	first_row = r[0];
	/* All used: a new address takes the row freed longest ago, the
	 * first one, and it is fresh. */
	const char *n2[] = { "10.2.0.1:53" };
	assert_int_equal(nd_upstream_rows_assign(&rows, n2, 1, &x, fresh), 0);
	assert_int_equal(x, first_row);
	assert_true(fresh[x]);
	/* All rows at once fit. */
	assert_int_equal(nd_upstream_rows_assign(&rows, names,
						 ND_UPSTREAM_ROWS, r, fresh),
			 0);
	for (size_t i = 0; i < ND_UPSTREAM_ROWS; i++)
		for (size_t j = i + 1; j < ND_UPSTREAM_ROWS; j++)
			assert_int_not_equal(r[i], r[j]);
}

static void test_bad_arguments(void **state)
{
	const char *empty[] = { "" };
	uint8_t r[1];

	(void)state;
	assert_int_equal(nd_upstream_rows_assign(NULL, empty, 1, r, NULL),
			 -EINVAL);
	assert_int_equal(nd_upstream_rows_assign(&rows, empty, 1, r, NULL),
			 -EINVAL);
	assert_int_equal(nd_upstream_rows_assign(&rows, NULL, 1, r, NULL),
			 -EINVAL);
	assert_int_equal(nd_upstream_rows_assign(&rows, empty,
						 ND_UPSTREAM_ROWS + 1, r,
						 NULL),
			 -EINVAL);
	/* No upstream at all is fine. */
	assert_int_equal(nd_upstream_rows_assign(&rows, NULL, 0, NULL, NULL),
			 0);
}

/* A restarted row reads 0 in the sum; other rows keep theirs. */
static void test_restart_row(void **state)
{
	static struct nd_metrics w1, w2, base, t;
	struct nd_metrics *ws[] = { &w1, &w2 };

	(void)state;
	w1.fwd_requests[3] = 5;
	w2.fwd_requests[3] = 2;
	w1.fwd_responses[3][1] = 4;
	w1.fwd_requests[4] = 7;
	nd_hist_observe(&w2.fwd_duration[3], 100);
	nd_metrics_restart_row(&base, ws, 2, 3);
	nd_metrics_sum(&t, ws, 2, &base);
	assert_int_equal(t.fwd_requests[3], 0);
	assert_int_equal(t.fwd_responses[3][1], 0);
	assert_int_equal(t.fwd_duration[3].count, 0);
	assert_int_equal(t.fwd_requests[4], 7);
	/* New counts after the restart show. */
	w2.fwd_requests[3]++;
	nd_metrics_sum(&t, ws, 2, &base);
	assert_int_equal(t.fwd_requests[3], 1);
	/* Restarting again takes the new values. */
	nd_metrics_restart_row(&base, ws, 2, 3);
	nd_metrics_sum(&t, ws, 2, &base);
	assert_int_equal(t.fwd_requests[3], 0);
	/* Out of range: nothing happens. */
	nd_metrics_restart_row(&base, ws, 2, ND_MAX_UPSTREAM_SLOTS);
}

/* /metrics renders each listed upstream from its row. */
static void test_render_by_row(void **state)
{
	static struct nd_metrics w;
	struct nd_metrics *ws[] = { &w };
	const char *names[] = { "127.0.0.1:5302" };
	const uint8_t r[] = { 7 };
	struct nd_metrics_gauges g;
	char *text = NULL;
	size_t len;

	(void)state;
	memset(&g, 0, sizeof(g));
	w.fwd_requests[0] = 2; /* the old upstream's row */
	w.fwd_requests[7] = 1;
	g.upstream_names = names;
	g.upstream_rows = r;
	g.n_upstreams = 1;
	assert_int_equal(nd_metrics_render(ws, 1, &g, &text, &len), 0);
	assert_non_null(strstr(text, "nodedns_forward_requests_total{upstream="
				     "\"127.0.0.1:5302\"} 1\n"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_replaced_gets_fresh_row, setup),
		cmocka_unit_test_setup(test_kept_address_keeps_row, setup),
		cmocka_unit_test_setup(test_repeat_shares_row, setup),
		cmocka_unit_test_setup(test_reuse_order, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test(test_restart_row),
		cmocka_unit_test(test_render_by_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
