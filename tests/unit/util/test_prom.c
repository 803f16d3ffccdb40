/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for util/prom.c: the Prometheus text writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/prom.h"

/* The text written by the calls in body, handed back by finish. */
#define WRITE(b, text, len, body)                                          \
	do {                                                               \
		nd_prom_attach(&(b), NULL, 0);                             \
		body;                                                      \
		assert_int_equal(nd_prom_finish(&(b), &(text), &(len)), 0); \
	} while (0)

static void test_family_and_samples(void **state)
{
	static const struct nd_prom_label l[] = {
		{ "upstream", "10.0.0.1:53" },
		{ "why", "a \"quoted\" back\\slash\nnewline" },
	};
	struct nd_prom b;
	char *text;
	size_t len;

	(void)state;
	WRITE(b, text, len, {
		nd_prom_family(&b, "nd_x_total", "counter", "Things.");
		nd_prom_sample(&b, "nd_x_total", NULL, 0, 18446744073709551615u);
		nd_prom_sample(&b, "nd_x_total", l, 2, 3);
		nd_prom_sample_seconds(&b, "nd_s", l, 1, 1500);
		nd_prom_sample_text(&b, "nd_t", NULL, 0, "-1");
	});
	assert_string_equal(
	    text, "# HELP nd_x_total Things.\n"
		  "# TYPE nd_x_total counter\n"
		  "nd_x_total 18446744073709551615\n"
		  "nd_x_total{upstream=\"10.0.0.1:53\",why=\"a \\\"quoted\\\" "
		  "back\\\\slash\\nnewline\"} 3\n"
		  "nd_s{upstream=\"10.0.0.1:53\"} 0.0015\n"
		  "nd_t -1\n");
	assert_int_equal(len, strlen(text));
	free(text);
}

static void test_histogram(void **state)
{
	static const uint32_t bounds[] = { 50, 1000, 2500000 };
	static const uint64_t bucket[] = { 1, 2, 0, 4 };
	static const struct nd_prom_label l = { "source", "cache" };
	struct nd_prom_hist h = {
		.bounds_us = bounds,
		.n_bounds = 3,
		.bucket = bucket,
		.count = 6, /* one fewer than the buckets: they win */
		.sum_us = 3250000,
	};
	struct nd_prom b;
	char *text;
	size_t len;

	(void)state;
	WRITE(b, text, len, nd_prom_histogram(&b, "nd_h_seconds", &l, 1, &h));
	assert_string_equal(text,
			    "nd_h_seconds_bucket{source=\"cache\",le=\"0.00005\"} 1\n"
			    "nd_h_seconds_bucket{source=\"cache\",le=\"0.001\"} 3\n"
			    "nd_h_seconds_bucket{source=\"cache\",le=\"2.5\"} 3\n"
			    "nd_h_seconds_bucket{source=\"cache\",le=\"+Inf\"} 7\n"
			    "nd_h_seconds_sum{source=\"cache\"} 3.25\n"
			    "nd_h_seconds_count{source=\"cache\"} 7\n");
	free(text);

	/* No labels, a count ahead of the buckets, a fixed-decimal sum. */
	h.count = 9;
	h.sum_decimals = 3;
	WRITE(b, text, len, nd_prom_histogram(&b, "nd_h", NULL, 0, &h));
	assert_non_null(strstr(text, "nd_h_bucket{le=\"0.00005\"} 1\n"));
	assert_non_null(strstr(text, "nd_h_bucket{le=\"+Inf\"} 9\n"
				     "nd_h_sum 3.250\n"
				     "nd_h_count 9\n"));
	free(text);
}

static void test_seconds_text(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(nd_prom_seconds_text(0, 0, buf, sizeof(buf)), "0");
	assert_string_equal(nd_prom_seconds_text(50, 0, buf, sizeof(buf)),
			    "0.00005");
	assert_string_equal(nd_prom_seconds_text(2500000, 0, buf, sizeof(buf)),
			    "2.5");
	assert_string_equal(nd_prom_seconds_text(10000000, 0, buf, sizeof(buf)),
			    "10");
	assert_string_equal(nd_prom_seconds_text(0, 3, buf, sizeof(buf)),
			    "0.000");
	assert_string_equal(nd_prom_seconds_text(1200000, 3, buf, sizeof(buf)),
			    "1.200");
	assert_string_equal(nd_prom_seconds_text(12345678, 6, buf, sizeof(buf)),
			    "12.345678");
}

/* Appending to a text the caller has, growing it well past a page. */
static void test_attach_appends(void **state)
{
	struct nd_prom b;
	char *text = strdup("first 1\n");
	size_t len = strlen(text);

	(void)state;
	assert_non_null(text);
	nd_prom_attach(&b, text, len);
	for (int i = 0; i < 1000; i++)
		nd_prom_sample(&b, "nd_many", NULL, 0, (uint64_t)i);
	assert_int_equal(nd_prom_finish(&b, &text, &len), 0);
	assert_int_equal(len, strlen(text));
	assert_memory_equal(text, "first 1\nnd_many 0\nnd_many 1\n", 28);
	assert_non_null(strstr(text, "nd_many 999\n"));
	free(text);
}

/* A failed write cuts the text back to what was attached. */
static void test_failure_cuts_back(void **state)
{
	struct nd_prom b;
	char *text = strdup("kept 1\n");
	size_t len = strlen(text);

	(void)state;
	assert_non_null(text);
	nd_prom_attach(&b, text, len);
	nd_prom_sample(&b, "nd_lost", NULL, 0, 1);
	b.failed = true; /* as after a failed realloc */
	nd_prom_sample(&b, "nd_lost_too", NULL, 0, 2);
	assert_int_equal(nd_prom_finish(&b, &text, &len), -ENOMEM);
	assert_int_equal(len, 7);
	assert_string_equal(text, "kept 1\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_and_samples),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_seconds_text),
		cmocka_unit_test(test_attach_appends),
		cmocka_unit_test(test_failure_cuts_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
