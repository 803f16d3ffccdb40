/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/siphash.h - SipHash-2-4, a keyed pseudorandom function (for values an outsider must not predict, such as DNS client cookies). */
#ifndef UTIL_SIPHASH_H
#define UTIL_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of data[0..len) under the
 * 16-byte key; the 64-bit result as the reference implementation returns
 * it (its 8 output bytes, little-endian).
 */
uint64_t nd_siphash24(const uint8_t key[16], const void *data, size_t len);

#endif /* UTIL_SIPHASH_H */
