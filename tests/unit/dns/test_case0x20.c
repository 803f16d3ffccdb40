/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Unit tests for dns/case0x20.c: the case mask and the echo check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dns/case0x20.h"
#include "dns/wire.h"

/* "a-1.example.com." lower case; 12 letters. */
static const uint8_t name_lc[] = { 3, 'a', '-', '1', 7, 'e', 'x', 'a', 'm',
				   'p', 'l', 'e', 3, 'c', 'o', 'm', 0 };

static uint32_t fixed_bits;
static uint32_t fixed_rnd(void)
{
	return fixed_bits;
}

/* A counter, so successive calls give different masks. */
static uint32_t seq_state = 0x12345678u;
static uint32_t seq_rnd(void)
{
	seq_state = seq_state * 1664525u + 1013904223u;
	return seq_state;
}

static void test_mix_follows_the_bits(void **state)
{
	uint8_t out[sizeof(name_lc)];

	(void)state;
	fixed_bits = 0; /* every bit 0: upper case */
	assert_int_equal(nd_0x20_mix(name_lc, sizeof(name_lc), out, fixed_rnd),
			 11);
	assert_memory_equal(out, "\3A-1\7EXAMPLE\3COM", sizeof(name_lc));
	fixed_bits = 0xffffffffu; /* every bit 1: lower case */
	assert_int_equal(nd_0x20_mix(name_lc, sizeof(name_lc), out, fixed_rnd),
			 11);
	assert_memory_equal(out, name_lc, sizeof(name_lc));
	fixed_bits = 0x1; /* only the first letter lower */
	nd_0x20_mix(name_lc, sizeof(name_lc), out, fixed_rnd);
	assert_memory_equal(out, "\3a-1\7EXAMPLE\3COM", sizeof(name_lc));
}

static void test_mix_keeps_everything_but_letters(void **state)
{
	uint8_t out[sizeof(name_lc)];

	(void)state;
	for (int run = 0; run < 64; run++) {
		nd_0x20_mix(name_lc, sizeof(name_lc), out, seq_rnd);
		/* Same name case-insensitively, digits, dashes and label
		 * lengths untouched. */
		assert_true(nd_dns_name_equal(out, sizeof(out), name_lc,
					      sizeof(name_lc)));
		assert_int_equal(out[0], 3);
		assert_int_equal(out[2], '-');
		assert_int_equal(out[3], '1');
		assert_int_equal(out[4], 7);
		assert_int_equal(out[12], 3);
		assert_int_equal(out[16], 0);
	}
}

static void test_mix_label_length_in_letter_range(void **state)
{
	/* A 65..90 byte label length would be a letter if the mask walked
	 * bytes instead of labels; a 'A' (65) long label is past 63, so use
	 * the largest legal one (63 = '?') and a 'a' label after it. */
	uint8_t name[1 + 63 + 2 + 1], out[sizeof(name)];

	(void)state;
	name[0] = 63;
	memset(name + 1, 'z', 63);
	name[64] = 1;
	name[65] = 'q';
	name[66] = 0;
	fixed_bits = 0;
	assert_int_equal(nd_0x20_mix(name, sizeof(name), out, fixed_rnd), 64);
	assert_int_equal(out[0], 63);
	assert_int_equal(out[64], 1);
	assert_int_equal(out[65], 'Q');
}

static void test_mix_spreads_over_both_cases(void **state)
{
	uint8_t out[sizeof(name_lc)];
	unsigned upper[sizeof(name_lc)] = { 0 };

	(void)state;
	for (int run = 0; run < 256; run++) {
		nd_0x20_mix(name_lc, sizeof(name_lc), out, seq_rnd);
		for (size_t i = 0; i < sizeof(out); i++)
			upper[i] += out[i] >= 'A' && out[i] <= 'Z';
	}
	/* Each letter was upper case in some runs and lower in others. */
	for (size_t i = 5; i < 12; i++) {
		assert_true(upper[i] > 0);
		assert_true(upper[i] < 256);
	}
}

static void test_mix_bad_args(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(nd_0x20_mix(NULL, 1, out, seq_rnd), 0);
	assert_int_equal(nd_0x20_mix(name_lc, 0, out, seq_rnd), 0);
	assert_int_equal(nd_0x20_mix(name_lc, 1, out, NULL), 0);
}

/* A reply header with QDCOUNT 1 and the question name; returns length. */
static size_t reply_with(uint8_t *buf, const uint8_t *name, size_t len)
{
	memset(buf, 0, ND_DNS_HEADER_LEN);
	nd_put16(buf + 2, ND_FLAG_QR);
	nd_put16(buf + 4, 1);
	memcpy(buf + ND_DNS_HEADER_LEN, name, len);
	nd_put16(buf + ND_DNS_HEADER_LEN + len, ND_TYPE_A);
	nd_put16(buf + ND_DNS_HEADER_LEN + len + 2, ND_CLASS_IN);
	return ND_DNS_HEADER_LEN + len + 4;
}

static void test_echoed(void **state)
{
	uint8_t sent[sizeof(name_lc)], pkt[128];
	size_t n;

	(void)state;
	fixed_bits = 0x5555;
	nd_0x20_mix(name_lc, sizeof(name_lc), sent, fixed_rnd);
	n = reply_with(pkt, sent, sizeof(sent));
	assert_true(nd_0x20_echoed(pkt, n, sent, sizeof(sent)));
	/* Lower case back: not echoed. */
	n = reply_with(pkt, name_lc, sizeof(name_lc));
	assert_false(nd_0x20_echoed(pkt, n, sent, sizeof(sent)));
	/* No question, or cut short: not echoed. */
	n = reply_with(pkt, sent, sizeof(sent));
	nd_put16(pkt + 4, 0);
	assert_false(nd_0x20_echoed(pkt, n, sent, sizeof(sent)));
	nd_put16(pkt + 4, 1);
	assert_false(nd_0x20_echoed(pkt, ND_DNS_HEADER_LEN + 3, sent,
				    sizeof(sent)));
	assert_false(nd_0x20_echoed(NULL, n, sent, sizeof(sent)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mix_follows_the_bits),
		cmocka_unit_test(test_mix_keeps_everything_but_letters),
		cmocka_unit_test(test_mix_label_length_in_letter_range),
		cmocka_unit_test(test_mix_spreads_over_both_cases),
		cmocka_unit_test(test_mix_bad_args),
		cmocka_unit_test(test_echoed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
