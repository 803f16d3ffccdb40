/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/pages.c - zeroed tables straight from the kernel. */
#include "util/pages.h"

#include <stdint.h>
#include <sys/mman.h>

void *nd_pages_zalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0 || n > SIZE_MAX / size)
		return NULL;
	p = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void nd_pages_free(void *p, size_t n, size_t size)
{
	if (p != NULL)
		(void)munmap(p, n * size);
}
