/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/answer.h - answers kept as wire bytes, and replaying them to a client. */
#ifndef DNS_ANSWER_H
#define DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nd_query;

/*
 * A complete DNS message held for replay: header, question and records,
 * without OPT, with the position of every record's TTL so that serving it
 * only copies bytes and rewrites fields.
 */
struct nd_answer {
	const uint8_t *wire;	 /* the message; borrowed */
	uint16_t len;		 /* bytes in wire */
	uint16_t question_end;	 /* offset where the answer section starts */
	const uint16_t *ttl_off; /* offset of each record's TTL field; borrowed */
	uint16_t n_ttl;		 /* entries in ttl_off */
	uint8_t rcode;		 /* NOERROR, NXDOMAIN, ... */
	bool is_negative;	 /* NXDOMAIN, or NOERROR with no answer (NODATA) */
	uint32_t ttl_s;		 /* how long it may be cached: the lowest record
				    TTL, or for negative answers min(SOA TTL,
				    SOA MINIMUM) (RFC 2308 5); 0 = do not cache */
};

/*
 * Convert a reply from an upstream into stored form.
 * pkt, len: the upstream's message (already matched to our question).
 * wire_buf, wire_cap: receive the stored message (OPT and any record after
 * it in the additional section dropped, ARCOUNT fixed, ID zeroed).
 * ttl_buf, ttl_cap: receive the TTL offsets.
 * out: filled; its pointers point into wire_buf and ttl_buf.
 * Every record is bounds-checked; QR must be set; an OPT outside the
 * additional section, a second OPT, a malformed SOA, or a kept record's
 * name (owner, or a name in CNAME, NS, PTR, DNAME, MX, SRV, SOA RDATA)
 * whose compression pointers reach bytes the render changes (the header,
 * a TTL or the rest of a record's fixed part, an A or AAAA address) is
 * ND_EMALFORMED.
 * out->ttl_s: positive answers, the lowest TTL of every record kept (all
 * sections); negative ones, that and the SOA MINIMUM, 0 without an SOA in
 * the authority section; 0 for other rcodes and for TC=1 replies. An
 * extended rcode in the upstream's OPT is stored as SERVFAIL.
 * Returns 0, ND_EMALFORMED, ND_ENOSPACE or -EINVAL.
 */
int nd_answer_parse(const uint8_t *pkt, size_t len, uint8_t *wire_buf,
		    size_t wire_cap, uint16_t *ttl_buf, size_t ttl_cap,
		    struct nd_answer *out);

/*
 * Write the client's reply to q from the stored answer a.
 * - ID and RD from q; QR=1, RA=1; AA, TC cleared; rcode from a.
 * - The question is rewritten with q's spelling (same length as stored).
 * - Each TTL becomes min(stored TTL, ttl_cap_s) - age_s, floored at 0;
 *   with is_stale every TTL is ND_STALE_TTL_S.
 * - For an A (AAAA) question, the first run of two or more A (AAAA)
 *   answer records with byte-equal owners is rotated by one more slot at
 *   each call on this thread (round robin); CNAMEs before it stay first.
 * - OPT appended when q->has_edns.
 * - When the result exceeds limit: TC=1 and the answer records that fit
 *   (after rotation), whole and in order; NSCOUNT and ARCOUNT 0, then OPT.
 *   A record whose names would read past the cut is left out with all
 *   after it.
 * out, cap: the caller's buffer; it must hold what is kept.
 * Returns the length written, ND_ENOSPACE or -EINVAL (also when a's
 * question is not q's: QDCOUNT != 1, another length, name, type or class).
 */
int nd_answer_render(const struct nd_answer *a, const struct nd_query *q,
		     uint32_t age_s, uint32_t ttl_cap_s, bool is_stale,
		     size_t limit, uint8_t *out, size_t cap);

#endif /* DNS_ANSWER_H */
