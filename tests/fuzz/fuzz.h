/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/fuzz/fuzz.h - what the fuzz targets share: CHECK, a DNS message walk, the input as a file. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a crash libFuzzer reports with its input. */
#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",     \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

/*
 * Where the records of the DNS message m[0..len) end: past a header,
 * QDCOUNT questions and AN+NS+AR records that all parse within len.
 * -1 when they do not.
 */
static inline long fuzz_msg_end(const uint8_t *m, size_t len)
{
	size_t off = ND_DNS_HEADER_LEN;
	unsigned rrs;

	if (len < ND_DNS_HEADER_LEN)
		return -1;
	for (unsigned i = 0; i < nd_get16(m + 4); i++) {
		int r = nd_dns_name_skip(m, len, off);

		if (r < 0 || (size_t)r + 4 > len)
			return -1;
		off = (size_t)r + 4;
	}
	rrs = (unsigned)nd_get16(m + 6) + nd_get16(m + 8) + nd_get16(m + 10);
	for (unsigned i = 0; i < rrs; i++) {
		struct nd_dns_rr rr;

		if (nd_dns_rr_walk(m, len, off, &rr) != 0)
			return -1;
		off = rr.end;
	}
	return (long)off;
}

/* Is m[0..len) a whole DNS message, with nothing after its records? */
static inline bool fuzz_msg_is_whole(const uint8_t *m, size_t len)
{
	return fuzz_msg_end(m, len) == (long)len;
}

/*
 * The input as a file for the parsers that read a path: a memfd, written
 * again for each input, named by its /proc/self/fd path (valid until the
 * next call). NULL when it cannot be written (the input is skipped).
 */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return NULL;
	return path;
}

#endif /* TESTS_FUZZ_FUZZ_H */
