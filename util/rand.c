/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/rand.h"

#include <string.h>
#include <sys/random.h>
#include <time.h>

#define POOL_BYTES 256

static __thread uint8_t pool[POOL_BYTES];
static __thread size_t pool_left;

static void refill(void)
{
	size_t got = 0;

	while (got < POOL_BYTES) {
		ssize_t n = getrandom(pool + got, POOL_BYTES - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < POOL_BYTES) {
		/* getrandom cannot fail after boot; keep going regardless. */
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
		for (size_t i = got; i < POOL_BYTES; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pool[i] = (uint8_t)x;
		}
	}
	pool_left = POOL_BYTES;
}

uint32_t nd_rand_u32(void)
{
	uint32_t v;

	if (pool_left < sizeof(v))
		refill();
	memcpy(&v, pool + POOL_BYTES - pool_left, sizeof(v));
	pool_left -= sizeof(v);
	return v;
}

uint16_t nd_rand_u16(void)
{
	return (uint16_t)nd_rand_u32();
}

uint32_t nd_rand_below(uint32_t bound)
{
	if (bound == 0)
		return 0;
	/* Rejection sampling keeps the result unbiased. */
	uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
	uint32_t v;
	do
		v = nd_rand_u32();
	while (v >= limit);
	return v % bound;
}
