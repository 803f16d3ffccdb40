/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/reply.h - what /debug/explain reads out of an answer message: rcode, addresses, CNAME, TTL. */
#ifndef RESOLVER_DIAG_REPLY_H
#define RESOLVER_DIAG_REPLY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define ND_DIAG_REPLY_ADDRS 8	  /* addresses kept; more are counted */
#define ND_DIAG_NAME_TEXT   1024 /* a presentation name with \DDD escapes */

/* The parts of an answer message the explain view shows. */
struct nd_diag_reply {
	int rcode;	  /* header rcode (4 bits) */
	uint16_t ancount; /* answer records, as the header says */
	size_t n_addrs;	  /* A/AAAA records in the answer section */
	char addrs[ND_DIAG_REPLY_ADDRS][INET6_ADDRSTRLEN]; /* the first
				   min(n_addrs, ND_DIAG_REPLY_ADDRS) */
	char cname[ND_DIAG_NAME_TEXT]; /* target of the first CNAME, with
				   a trailing dot; "" = none */
	int64_t ttl_s;	  /* lowest TTL of the answer records, or the
			     TTL of the authority SOA of a negative
			     answer (RFC 2308); -1 = none */
	int is_truncated; /* TC set */
};

/*
 * Read msg[0..len), an answer as the store or the cache renders it,
 * into out. Never reads outside msg.
 * Returns 0, ND_EMALFORMED (short or broken message) or -EINVAL.
 */
int nd_diag_reply_parse(const uint8_t *msg, size_t len,
			 struct nd_diag_reply *out);

/* "NOERROR", "NXDOMAIN", ...; "RCODE<n>" for others (into buf). */
const char *nd_diag_rcode_name(int rcode, char *buf, size_t cap);

#endif /* RESOLVER_DIAG_REPLY_H */
