/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/rand.h - unpredictable numbers for query IDs and hash seeds. */
#ifndef UTIL_RAND_H
#define UTIL_RAND_H

#include <stddef.h>
#include <stdint.h>

/*
 * Random bits from the kernel (getrandom), buffered per thread so a query
 * ID costs no system call. Thread-safe. Unpredictable enough for DNS IDs
 * (RFC 5452); not a key generator.
 */
uint32_t nd_rand_u32(void);
uint16_t nd_rand_u16(void);
/* Uniform in [0, bound); bound 0 gives 0. */
uint32_t nd_rand_below(uint32_t bound);

#endif /* UTIL_RAND_H */
