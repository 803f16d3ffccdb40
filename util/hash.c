/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/hash.h"

#include <string.h>

/*
 * A multiply-mix hash in the style of wyhash: 8 bytes per round, a 128-bit
 * multiply to fold. Fast on short DNS names and seed-dependent.
 */
static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t nd_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull;
	uint64_t h = seed ^ k0 ^ (uint64_t)len;
	uint64_t w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = mix(h ^ w, k1);
		p += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, p, len);
	h = mix(h ^ w ^ ((uint64_t)len << 56), k1);
	return mix(h, k0 ^ seed);
}
