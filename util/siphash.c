/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/siphash.h"

/*
 * nd_hash (util/hash.c) is fast but not a PRF: whoever sees enough
 * outputs could predict more. A value that stands in for a secret on the
 * wire (RFC 7873 4.1: the client cookie) needs a keyed PRF; RFC 7873
 * appendix A.2 names SipHash-2-4 for it.
 */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                    \
	do {                                                        \
		v0 += v1;                                           \
		v1 = rotl(v1, 13);                                  \
		v1 ^= v0;                                           \
		v0 = rotl(v0, 32);                                  \
		v2 += v3;                                           \
		v3 = rotl(v3, 16);                                  \
		v3 ^= v2;                                           \
		v0 += v3;                                           \
		v3 = rotl(v3, 21);                                  \
		v3 ^= v0;                                           \
		v2 += v1;                                           \
		v1 = rotl(v1, 17);                                  \
		v1 ^= v2;                                           \
		v2 = rotl(v2, 32);                                  \
	} while (0)

uint64_t nd_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0;
	uint64_t v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0;
	uint64_t v3 = 0x7465646279746573ull ^ k1;
	uint64_t b = (uint64_t)len << 56, m;
	size_t left = len & 7, full = len - left;

	for (size_t i = 0; i < full; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
