/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/clock.h"

#include <time.h>

static uint64_t read_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t nd_clock_ms(void)
{
	return read_us(CLOCK_MONOTONIC) / 1000u;
}

uint64_t nd_clock_us(void)
{
	return read_us(CLOCK_MONOTONIC);
}

uint64_t nd_clock_wall_ms(void)
{
	return read_us(CLOCK_REALTIME) / 1000u;
}
