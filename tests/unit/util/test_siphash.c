/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for util/siphash.c: the reference vectors of SipHash-2-4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/siphash.h"

/* The paper's key 00 01 .. 0f, messages 00 01 .. (len-1). */
static uint64_t vector(size_t len)
{
	uint8_t key[16], msg[64] = { 0 };

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < len; i++)
		msg[i] = (uint8_t)i;
	return nd_siphash24(key, msg, len);
}

static void test_reference_vectors(void **state)
{
	(void)state;
	/* From the reference implementation's vectors.h (vectors_sip64),
	 * the 8 output bytes read little-endian. */
	assert_true(vector(0) == 0x726fdb47dd0e0e31ull);
	assert_true(vector(1) == 0x74f839c593dc67fdull);
	assert_true(vector(8) == 0x93f5f5799a932462ull);
	/* The paper's appendix A: 15 bytes. */
	assert_true(vector(15) == 0xa129ca6149be45e5ull);
}

static void test_key_matters(void **state)
{
	uint8_t k1[16] = { 0 }, k2[16] = { 0 };
	static const uint8_t msg[] = "127.0.0.1:53";

	(void)state;
	k2[15] = 1;
	assert_true(nd_siphash24(k1, msg, sizeof(msg)) !=
		    nd_siphash24(k2, msg, sizeof(msg)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_key_matters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
