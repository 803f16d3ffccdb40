/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/query.h - validating a client's query message. */
#ifndef DNS_QUERY_H
#define DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/* What nd_query_parse() found; the fields are filled as far as parsing got. */
struct nd_query {
	uint16_t id;	  /* client's message ID */
	uint16_t flags;	  /* header flags word as received */
	bool has_question; /* qname/qtype/qclass below are valid */
	uint8_t qname[ND_DNS_MAX_NAME];	   /* wire name as the client spelled it */
	uint8_t qname_lc[ND_DNS_MAX_NAME]; /* same, lower case: the lookup key */
	uint16_t qname_len;		   /* bytes in qname and qname_lc */
	uint16_t qtype;
	uint16_t qclass;
	uint16_t question_end; /* offset just past the question in the message */
	bool has_edns;	       /* an OPT record came with the query */
	uint8_t edns_version;  /* OPT version (only 0 is served) */
	bool edns_do;	       /* DNSSEC OK bit */
	uint16_t edns_udp_size; /* client's UDP size; 512 without EDNS,
				   values under 512 read as 512 */
	uint16_t edns_opts_off; /* offset of the OPT RDATA in the message,
				   0 without EDNS (for option readers) */
	uint16_t edns_opts_len; /* bytes of OPT RDATA */
};

enum nd_query_verdict {
	ND_QUERY_OK = 0,    /* serve it */
	ND_QUERY_DROP = 1,  /* send nothing: shorter than a header, or QR=1 */
	ND_QUERY_REPLY = 2, /* answer at once with the rcode given */
};

/*
 * Validate the query message pkt[0..len) and fill q.
 * rcode: set when the verdict is ND_QUERY_REPLY: FORMERR (QDCOUNT != 1,
 * truncated or malformed question, bad OPT, more than one OPT, an EDNS
 * option running past the OPT RDATA, a COOKIE option of a length RFC
 * 7873 5.2.2 refuses; the last two keep has_edns), NOTIMP
 * (opcode other than QUERY; zone transfers AXFR/IXFR), REFUSED (class
 * other than IN; CH is refused too), BADVERS (EDNS version > 0).
 * Never reads outside pkt[0..len).
 * Returns an nd_query_verdict, or -EINVAL for NULL arguments.
 */
int nd_query_parse(const uint8_t *pkt, size_t len, struct nd_query *q,
		   int *rcode);

/* Most bytes a UDP answer to q may take: the client's EDNS size capped at
 * ND_EDNS_MAX_UDP, or 512 without EDNS. */
size_t nd_query_udp_limit(const struct nd_query *q);

#endif /* DNS_QUERY_H */
