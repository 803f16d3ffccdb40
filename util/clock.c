/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/clock.h"

#include <stdio.h>
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

char *nd_clock_rfc3339(uint64_t wall_ms, char *buf, size_t cap)
{
	time_t t = (time_t)(wall_ms / 1000u);
	struct tm tm;
	char day[32];

	if (buf == NULL || cap == 0)
		return buf;
	buf[0] = '\0';
	if (cap < 25 || gmtime_r(&t, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return buf;
	snprintf(buf, cap, "%s.%03uZ", day, (unsigned)(wall_ms % 1000u));
	return buf;
}

uint64_t nd_clock_mono_to_wall_ms(uint64_t t_us, uint64_t now_us,
				  uint64_t now_wall_ms)
{
	uint64_t ago_ms = t_us < now_us ? (now_us - t_us) / 1000u : 0;

	return ago_ms < now_wall_ms ? now_wall_ms - ago_ms : 0;
}
