/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/hash.h - a seeded 64-bit hash for tables keyed by untrusted names. */
#ifndef UTIL_HASH_H
#define UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Hash len bytes of data with seed. Seed it from nd_rand_u32() per table
 * so clients cannot choose names that collide (hash flooding).
 */
uint64_t nd_hash(const void *data, size_t len, uint64_t seed);

#endif /* UTIL_HASH_H */
