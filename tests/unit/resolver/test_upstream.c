/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for resolver/upstream.c: health, SRTT and the order of tries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "resolver/upstream.h"
#include "util/addr.h"

/* n addresses 10.0.0.1:53, 10.0.0.2:53, ... */
static void make_addrs(struct sockaddr_storage *ss, size_t n)
{
	char spec[32];

	for (size_t i = 0; i < n; i++) {
		snprintf(spec, sizeof(spec), "10.0.0.%zu:53", i + 1);
		assert_int_equal(nd_addr_parse(spec, 53, &ss[i], NULL), 0);
	}
}

static struct nd_upstreams *make_set(size_t n)
{
	struct sockaddr_storage ss[ND_MAX_UPSTREAMS];
	struct nd_upstreams *u;

	make_addrs(ss, n);
	u = nd_upstreams_new(ss, n);
	assert_non_null(u);
	return u;
}

static void test_new_and_addr(void **state)
{
	struct sockaddr_storage ss[3];
	struct nd_upstreams *u;
	char buf[ND_ADDR_STRLEN];

	(void)state;
	make_addrs(ss, 3);
	u = nd_upstreams_new(ss, 3);
	assert_non_null(u);
	/* The set copies the addresses. */
	memset(ss, 0, sizeof(ss));
	assert_int_equal(nd_upstreams_count(u), 3);
	assert_int_equal(nd_addr_format(nd_upstreams_addr(u, 1), buf,
					sizeof(buf)),
			 0);
	assert_string_equal(buf, "10.0.0.2:53");
	assert_null(nd_upstreams_addr(u, 3));
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(nd_upstreams_srtt_us(u, i), 0);
	nd_upstreams_free(u);
}

static void test_bad_args(void **state)
{
	struct sockaddr_storage ss[ND_MAX_UPSTREAMS + 1];
	struct nd_upstreams *u;

	(void)state;
	make_addrs(ss, ND_MAX_UPSTREAMS + 1);
	assert_null(nd_upstreams_new(ss, ND_MAX_UPSTREAMS + 1));
	assert_null(nd_upstreams_new(NULL, 2));
	ss[1].ss_family = AF_UNIX;
	assert_null(nd_upstreams_new(ss, 2));

	u = nd_upstreams_new(ss, 1); /* only the good address */
	assert_non_null(u);
	nd_upstreams_free(u);

	/* NULL and out-of-range indexes are harmless. */
	nd_upstreams_free(NULL);
	assert_int_equal(nd_upstreams_count(NULL), 0);
	assert_null(nd_upstreams_addr(NULL, 0));
	assert_int_equal(nd_upstreams_srtt_us(NULL, 0), 0);
	assert_int_equal(nd_upstreams_pick(NULL, 0, 0), 0);
	nd_upstreams_report(NULL, 0, ND_UP_OK, 10);

	u = make_set(2);
	nd_upstreams_report(u, 2, ND_UP_OK, 10);
	nd_upstreams_report(u, 0, (enum nd_upstream_outcome)ND_UP_OUTCOMES,
			    10);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 0);
	assert_int_equal(nd_upstreams_srtt_us(u, 2), 0);
	nd_upstreams_free(u);
}

static void test_empty_set(void **state)
{
	struct nd_upstreams *u;

	(void)state;
	u = nd_upstreams_new(NULL, 0);
	assert_non_null(u);
	assert_int_equal(nd_upstreams_count(u), 0);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);
	assert_int_equal(nd_upstreams_pick(u, 3, 0), 0);
	assert_null(nd_upstreams_addr(u, 0));
	nd_upstreams_free(u);
}

static void test_outcome_names(void **state)
{
	(void)state;
	assert_string_equal(nd_upstream_outcome_name(ND_UP_OK), "ok");
	assert_string_equal(nd_upstream_outcome_name(ND_UP_TIMEOUT),
			    "timeout");
	assert_string_equal(nd_upstream_outcome_name(ND_UP_REFUSED),
			    "refused");
	assert_string_equal(nd_upstream_outcome_name(ND_UP_SERVFAIL),
			    "servfail");
	assert_string_equal(nd_upstream_outcome_name(ND_UP_NETWORK),
			    "network");
	assert_string_equal(nd_upstream_outcome_name(ND_UP_BAD), "bad");
	assert_string_equal(
		nd_upstream_outcome_name((enum nd_upstream_outcome)99),
		"unknown");
}

static void test_srtt_ewma(void **state)
{
	struct nd_upstreams *u = make_set(1);

	(void)state;
	nd_upstreams_report(u, 0, ND_UP_OK, 1000);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 1000); /* first as is */
	nd_upstreams_report(u, 0, ND_UP_OK, 2000);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 1125); /* 7/8*1000+250 */
	nd_upstreams_report(u, 0, ND_UP_OK, 125);
	assert_int_equal(nd_upstreams_srtt_us(u, 0),
			 (1125 * 7 + 125) / 8); /* 1000 */
	/* Failures leave the RTT alone; rtt_us counts for OK only. */
	nd_upstreams_report(u, 0, ND_UP_TIMEOUT, 999999);
	nd_upstreams_report(u, 0, ND_UP_SERVFAIL, 5);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 1000);
	/* Large values do not overflow the 7x product. */
	for (int i = 0; i < 200; i++)
		nd_upstreams_report(u, 0, ND_UP_OK, UINT32_MAX);
	assert_true(nd_upstreams_srtt_us(u, 0) > UINT32_MAX - UINT32_MAX / 4);
	nd_upstreams_free(u);

	/* A 0 us answer is still "measured", never back to 0. */
	u = make_set(1);
	nd_upstreams_report(u, 0, ND_UP_OK, 0);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 1);
	for (int i = 0; i < 10; i++)
		nd_upstreams_report(u, 0, ND_UP_OK, 0);
	assert_int_equal(nd_upstreams_srtt_us(u, 0), 1);
	nd_upstreams_free(u);
}

static void test_pick_prefers_healthy(void **state)
{
	struct nd_upstreams *u = make_set(3);

	(void)state;
	/* All measured, 0 is fastest. */
	nd_upstreams_report(u, 0, ND_UP_OK, 100);
	nd_upstreams_report(u, 1, ND_UP_OK, 200);
	nd_upstreams_report(u, 2, ND_UP_OK, 300);
	for (int i = 0; i < 5; i++)
		assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);

	/* One failure moves the fast one behind the others. */
	nd_upstreams_report(u, 0, ND_UP_TIMEOUT, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(nd_upstreams_pick(u, 0, 0), 1);

	/* Fewest failures wins over a lower SRTT. */
	nd_upstreams_report(u, 1, ND_UP_REFUSED, 0);
	nd_upstreams_report(u, 1, ND_UP_NETWORK, 0);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 2);
	nd_upstreams_report(u, 2, ND_UP_BAD, 0);
	/* 0: 1 failure/100us, 1: 2 failures, 2: 1 failure/300us. */
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);

	/* An OK resets the failures. */
	nd_upstreams_report(u, 1, ND_UP_OK, 200);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 1);
	nd_upstreams_free(u);
}

static void test_pick_unmeasured_first(void **state)
{
	struct nd_upstreams *u = make_set(2);

	(void)state;
	/* Never measured counts as SRTT 0, so it gets tried. */
	nd_upstreams_report(u, 0, ND_UP_OK, 500);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 1);
	nd_upstreams_report(u, 1, ND_UP_OK, 600);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);
	nd_upstreams_free(u);
}

static void test_pick_rotates_ties(void **state)
{
	struct nd_upstreams *u = make_set(4);
	unsigned seen[4] = { 0 };

	(void)state;
	/* 3 is worse; 0..2 tie (all unmeasured, no failures). */
	nd_upstreams_report(u, 3, ND_UP_TIMEOUT, 0);
	for (int i = 0; i < 30; i++)
		seen[nd_upstreams_pick(u, 0, 0)]++;
	assert_int_equal(seen[0], 10);
	assert_int_equal(seen[1], 10);
	assert_int_equal(seen[2], 10);
	assert_int_equal(seen[3], 0);

	/* Equal measured SRTTs tie too; only the tied ones rotate. */
	memset(seen, 0, sizeof(seen));
	nd_upstreams_report(u, 0, ND_UP_OK, 700);
	nd_upstreams_report(u, 1, ND_UP_OK, 300);
	nd_upstreams_report(u, 2, ND_UP_OK, 300);
	for (int i = 0; i < 10; i++)
		seen[nd_upstreams_pick(u, 0, 0)]++;
	assert_int_equal(seen[0], 0);
	assert_int_equal(seen[1], 5);
	assert_int_equal(seen[2], 5);
	assert_int_equal(seen[3], 0);
	nd_upstreams_free(u);
}

/* A failed upstream still gets a first choice now and then, so it heals. */
static void test_pick_probes_failed(void **state)
{
	struct nd_upstreams *u = make_set(2);
	unsigned seen[2] = { 0 };
	size_t probe = 2;

	(void)state;
	nd_upstreams_report(u, 1, ND_UP_OK, 200);
	nd_upstreams_report(u, 0, ND_UP_TIMEOUT, 0);
	for (int i = 1; i <= 128; i++) {
		size_t p = nd_upstreams_pick(u, 0, 0);
		seen[p]++;
		if (p == 0 && probe == 2)
			probe = (size_t)i;
	}
	/* Probes go round every upstream: one of the two in 128 picks. */
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 127);
	assert_int_equal(probe, 64);
	/* The probe answered well: upstream 0 is first choice again. */
	nd_upstreams_report(u, 0, ND_UP_OK, 100);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);
	nd_upstreams_free(u);
}

static void test_pick_attempt_walk(void **state)
{
	struct nd_upstreams *u = make_set(3);

	(void)state;
	assert_int_equal(nd_upstreams_pick(u, 1, 0), 1);
	assert_int_equal(nd_upstreams_pick(u, 2, 0), 2);
	assert_int_equal(nd_upstreams_pick(u, 1, 2), 0);
	assert_int_equal(nd_upstreams_pick(u, 2, 2), 1);
	assert_int_equal(nd_upstreams_pick(u, 3, 2), 2); /* wraps to first */
	/* Health does not change the walk. */
	nd_upstreams_report(u, 2, ND_UP_TIMEOUT, 0);
	assert_int_equal(nd_upstreams_pick(u, 1, 1), 2);
	/* An out-of-range first still yields a valid index. */
	assert_true(nd_upstreams_pick(u, 1, 1000) < 3);
	assert_true(nd_upstreams_pick(u, UINT32_MAX, SIZE_MAX) < 3);
	nd_upstreams_free(u);

	u = make_set(1);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);
	assert_int_equal(nd_upstreams_pick(u, 1, 0), 0);
	nd_upstreams_free(u);
}

static void test_failures_saturate(void **state)
{
	struct nd_upstreams *u = make_set(2);

	(void)state;
	nd_upstreams_report(u, 1, ND_UP_OK, 50);
	nd_upstreams_report(u, 0, ND_UP_OK, 10);
	for (int i = 0; i < 1000; i++)
		nd_upstreams_report(u, 0, ND_UP_TIMEOUT, 0);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 1);
	nd_upstreams_report(u, 0, ND_UP_OK, 10);
	assert_int_equal(nd_upstreams_pick(u, 0, 0), 0);
	nd_upstreams_free(u);
}

/* Loop marks: set by a probe that came back, cleared by a later round
 * whose probe ended without coming back, kept by the same round's end. */
static void test_loop_marks(void **state)
{
	struct nd_upstreams *u = make_set(2);

	(void)state;
	assert_false(nd_upstreams_is_loop(u, 0));
	nd_upstreams_loop_seen(u, 0, 7);
	assert_true(nd_upstreams_is_loop(u, 0));
	assert_false(nd_upstreams_is_loop(u, 1));
	/* round 7's probe ends (after coming back): still a loop */
	nd_upstreams_probe_ended(u, 0, 7);
	assert_true(nd_upstreams_is_loop(u, 0));
	/* round 8's probe ends without coming back: mended */
	nd_upstreams_probe_ended(u, 0, 8);
	assert_false(nd_upstreams_is_loop(u, 0));
	/* round 0 is a round like any other */
	nd_upstreams_loop_seen(u, 1, 0);
	assert_true(nd_upstreams_is_loop(u, 1));
	/* out of range and NULL are harmless */
	nd_upstreams_loop_seen(u, 5, 1);
	nd_upstreams_probe_ended(NULL, 0, 1);
	assert_false(nd_upstreams_is_loop(NULL, 0));
	nd_upstreams_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_addr),
		cmocka_unit_test(test_loop_marks),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_empty_set),
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_srtt_ewma),
		cmocka_unit_test(test_pick_prefers_healthy),
		cmocka_unit_test(test_pick_unmeasured_first),
		cmocka_unit_test(test_pick_rotates_ties),
		cmocka_unit_test(test_pick_probes_failed),
		cmocka_unit_test(test_pick_attempt_walk),
		cmocka_unit_test(test_failures_saturate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
