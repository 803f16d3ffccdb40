/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/case0x20.h - 0x20 case randomisation of an upstream query's name, and the exact check of the name echoed back. */
#ifndef DNS_CASE0X20_H
#define DNS_CASE0X20_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copy the uncompressed wire name lc[0..len) to out, each ASCII letter
 * upper case or lower case by one random bit (draft-vixie-dnsext-dns0x20:
 * upstreams copy the question into the reply byte for byte, so a spoofer
 * must guess one bit per letter on top of the ID and the port).
 * rnd: the random source, 32 bits per call (nd_rand_u32 in the daemon).
 * out: len bytes; may not overlap lc. Label lengths are copied as they
 * are, so a length byte in the letters' range is never touched.
 * Returns the letters mixed (bits of entropy added); 0 for bad arguments.
 */
size_t nd_0x20_mix(const uint8_t *lc, size_t len, uint8_t *out,
		   uint32_t (*rnd)(void));

/*
 * Does the question of reply pkt[0..len) spell its name exactly as
 * sent[0..sent_len) (an uncompressed wire name), byte for byte? false
 * when the reply has no question, or it does not parse.
 */
bool nd_0x20_echoed(const uint8_t *pkt, size_t len, const uint8_t *sent,
		    size_t sent_len);

#endif /* DNS_CASE0X20_H */
