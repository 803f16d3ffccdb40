/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/upstream_msg.h - what to send upstream and whether a reply answers it. */
#ifndef DNS_UPSTREAM_MSG_H
#define DNS_UPSTREAM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The question an upstream query asks. */
struct nd_question {
	const uint8_t *qname_lc; /* lower-case wire name; borrowed */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
};

/*
 * Build the upstream query for qs with message ID id: RD=1, one question,
 * an OPT record advertising ND_EDNS_ADVERTISED bytes (no DO bit).
 * Returns the length written, ND_ENOSPACE or -EINVAL.
 */
int nd_fwd_build_query(const struct nd_question *qs, uint16_t id,
		       uint8_t *out, size_t cap);

/*
 * Does pkt answer our query? QR=1, opcode QUERY, the same ID, QDCOUNT 1
 * and the same question (name compared case-insensitively). The caller
 * checks that it came from the upstream's address and port.
 */
bool nd_fwd_matches(const uint8_t *pkt, size_t len, uint16_t id,
		    const struct nd_question *qs);

enum nd_fwd_verdict {
	ND_FWD_ACCEPT = 0,    /* NOERROR or NXDOMAIN, complete: use it */
	ND_FWD_TRUNCATED = 1, /* TC=1: ask the same upstream over TCP */
	ND_FWD_SERVFAIL = 2,  /* SERVFAIL: try the next upstream */
	ND_FWD_REFUSED = 3,   /* REFUSED: try the next upstream */
	ND_FWD_BAD = 4,	      /* FORMERR, NOTIMP, other rcodes, malformed */
};

/* Judge a matched reply. */
enum nd_fwd_verdict nd_fwd_classify(const uint8_t *pkt, size_t len);

#endif /* DNS_UPSTREAM_MSG_H */
