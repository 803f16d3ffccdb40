/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/clock.h - monotonic time for server/; resolver/ gets time passed in. */
#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC). */
uint64_t nd_clock_ms(void);
/* Monotonic clock in microseconds. */
uint64_t nd_clock_us(void);
/* Wall clock in milliseconds since the epoch (for timestamps, not timers). */
uint64_t nd_clock_wall_ms(void);

/*
 * wall_ms (milliseconds since the epoch) as RFC 3339 in UTC with
 * milliseconds, "2026-12-06T18:05:01.123Z", into buf (cap >= 25).
 * Returns buf ("" when cap is too small).
 */
char *nd_clock_rfc3339(uint64_t wall_ms, char *buf, size_t cap);

/*
 * The wall-clock time (ms since the epoch) of a monotonic time t_us,
 * given the two clocks read together now (now_us, now_wall_ms): for
 * showing an event's time to people. A t_us in the future counts as now.
 */
uint64_t nd_clock_mono_to_wall_ms(uint64_t t_us, uint64_t now_us,
				  uint64_t now_wall_ms);

#endif /* UTIL_CLOCK_H */
