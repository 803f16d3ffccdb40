/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_pages.c - zeroed tables that cost RSS only where written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/pages.h"

#define PAGES 64

/* Pages of [p, p + bytes) the kernel says are resident. */
static size_t resident(void *p, size_t bytes)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char vec[PAGES];
	size_t n = 0;

	assert_true(bytes / page <= PAGES);
	assert_int_equal(mincore(p, bytes, vec), 0);
	for (size_t i = 0; i < (bytes + page - 1) / page; i++)
		n += vec[i] & 1;
	return n;
}

static void test_zeroed_and_untouched(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t bytes = PAGES * page;
	uint8_t *p;

	(void)state;
	p = nd_pages_zalloc(PAGES, page);
	assert_non_null(p);
	/* The point of the module: nothing resident before the first write. */
	assert_int_equal(resident(p, bytes), 0);
	p[5 * page + 7] = 1;
	assert_int_equal(resident(p, bytes), 1);
	for (size_t i = 0; i < bytes; i += 97)
		if (i != 5 * page + 7)
			assert_int_equal(p[i], 0);
	nd_pages_free(p, PAGES, page);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	assert_null(nd_pages_zalloc(0, 8));
	assert_null(nd_pages_zalloc(8, 0));
	assert_null(nd_pages_zalloc(SIZE_MAX / 2, 4));
	nd_pages_free(NULL, 8, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zeroed_and_untouched),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
