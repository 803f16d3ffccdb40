/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/pages.h - zeroed tables straight from the kernel, untouched until used. */
#ifndef UTIL_PAGES_H
#define UTIL_PAGES_H

#include <stddef.h>

/*
 * Fixed-size tables (the diagnostics' pools, hash buckets) are sized for
 * a busy node but sit mostly empty on a quiet one. calloc may hand back
 * heap memory that it clears by writing, which makes every page resident
 * at start; these come from anonymous mmap instead, so a page costs RSS
 * only once something is stored in it. Zero bytes give NULL.
 * Not for small or short-lived allocations: each call is a system call
 * and rounds up to whole pages.
 */
void *nd_pages_zalloc(size_t n, size_t size);

/* Give back what nd_pages_zalloc(n, size) returned; NULL is fine. */
void nd_pages_free(void *p, size_t n, size_t size);

#endif /* UTIL_PAGES_H */
