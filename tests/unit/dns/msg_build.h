/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/dns/msg_build.h - DNS messages written byte by byte for the unit tests, independent of the code under test. */
#ifndef TESTS_UNIT_RESOLVER_MSG_BUILD_H
#define TESTS_UNIT_RESOLVER_MSG_BUILD_H

#include <stddef.h>
#include <stdint.h>

/* A message under construction; every put fails the test when full. */
struct tm_msg {
	uint8_t b[2048];
	size_t n;
};

void tm_put8(struct tm_msg *m, uint8_t v);
void tm_put16(struct tm_msg *m, uint16_t v);
void tm_put32(struct tm_msg *m, uint32_t v);
/* An uncompressed wire name from text ("a.example."). */
void tm_put_name(struct tm_msg *m, const char *text);
/* Start over with a header: ID, flags word and the four counts. */
void tm_hdr(struct tm_msg *m, uint16_t id, uint16_t flags, uint16_t qd,
	    uint16_t an, uint16_t ns, uint16_t ar);

#endif /* TESTS_UNIT_RESOLVER_MSG_BUILD_H */
