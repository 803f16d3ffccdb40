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

/* What an upstream query carries beyond the question. */
struct nd_fwd_extras {
	const uint8_t *qname;	/* the name as sent (0x20 case mixed; the
				   same length as the question's); NULL =
				   the lower-case name; borrowed */
	const uint8_t *cookie;	/* COOKIE option data: the client cookie,
				   then the server cookie when known
				   (RFC 7873 4); NULL = none; borrowed */
	size_t cookie_len;	/* 8, or 16..40 */
};

/*
 * As nd_fwd_build_query, with the name spelled as x->qname and an EDNS
 * COOKIE option when x->cookie is set. x NULL is nd_fwd_build_query.
 */
int nd_fwd_build_query_ex(const struct nd_question *qs, uint16_t id,
			  const struct nd_fwd_extras *x, uint8_t *out,
			  size_t cap);

/* Why a reply was not taken (also the metric label). */
enum nd_fwd_reject {
	ND_FWD_REJ_NONE = 0,	 /* it answers our query */
	ND_FWD_REJ_ID = 1,	 /* another message ID */
	ND_FWD_REJ_QUESTION = 2, /* not a reply to a query, or another
				    question (name, type, class) */
	ND_FWD_REJ_CASE = 3,	 /* our question, but not in the 0x20 case
				    we sent */
	ND_FWD_REJ_COOKIE = 4,	 /* a wrong or malformed COOKIE option, or
				    none from an upstream that sends them */
	ND_FWD_REJ_COUNT = 5,
};

/* Label text: "id", "question", "case", "cookie". */
const char *nd_fwd_reject_name(enum nd_fwd_reject r);

/*
 * nd_fwd_matches with the reason: ND_FWD_REJ_NONE when pkt answers our
 * query. sent: the name as sent, compared byte for byte with the reply's
 * question (0x20); NULL = compare case-insensitively only. A reply
 * without a question (an error some servers send) has no case to check.
 */
enum nd_fwd_reject nd_fwd_check(const uint8_t *pkt, size_t len, uint16_t id,
				const struct nd_question *qs,
				const uint8_t *sent);

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
