/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/clock.h - monotonic time for server/; resolver/ gets time passed in. */
#ifndef UTIL_CLOCK_H
#define UTIL_CLOCK_H

#include <stdint.h>

/* Monotonic clock in milliseconds (CLOCK_MONOTONIC). */
uint64_t nd_clock_ms(void);
/* Monotonic clock in microseconds. */
uint64_t nd_clock_us(void);
/* Wall clock in milliseconds since the epoch (for timestamps, not timers). */
uint64_t nd_clock_wall_ms(void);

#endif /* UTIL_CLOCK_H */
