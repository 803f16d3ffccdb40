/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/response.h - replies built from nothing but the query: errors and empty answers. */
#ifndef DNS_RESPONSE_H
#define DNS_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

struct nd_query;

/*
 * Write a reply to q carrying rcode and no records.
 * Header: q's ID, QR=1, q's opcode and RD, RA=1, the low 4 bits of rcode.
 * The question is echoed as the client spelled it when q->has_question.
 * An OPT record (UDP size ND_EDNS_ADVERTISED, version 0, the upper 8 bits
 * of an extended rcode such as BADVERS) is added when q->has_edns.
 * out, cap: the caller's buffer.
 * Returns the length written, ND_ENOSPACE, or -EINVAL (NULL arguments,
 * rcode outside 0..4095, or an extended rcode (> 15) when q has no EDNS:
 * it could not be expressed).
 */
int nd_response_error(const struct nd_query *q, int rcode, uint8_t *out,
		      size_t cap);

/*
 * Append our OPT record (UDP size ND_EDNS_ADVERTISED, version 0, DO copied
 * from the query, ext_rcode = upper 8 bits of an extended rcode) to the
 * message msg[0..*len) and increment ARCOUNT.
 * q may be NULL (DO clear). *len is advanced by the 11 bytes added.
 * Returns 0, ND_ENOSPACE (msg unchanged), or -EINVAL (NULL msg/len,
 * *len shorter than a header or past cap, ARCOUNT already 65535).
 */
int nd_response_add_opt(uint8_t *msg, size_t *len, size_t cap,
			const struct nd_query *q, uint8_t ext_rcode);

#endif /* DNS_RESPONSE_H */
