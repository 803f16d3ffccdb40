/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/query.h"

#include <errno.h>
#include <string.h>

#include "dns/edns_opts.h"
#include "util/errors.h"



/*
 * Read the question at pkt[12]. Only an uncompressed name is accepted: a
 * query's question is the first name in the message, so a pointer could
 * only aim into the header (RFC 1035 4.1.4), and the answer path relies on
 * the question's wire length being qname_len + 4.
 */
static int read_question(const uint8_t *pkt, size_t len, struct nd_query *q)
{
	size_t n = 0;
	int r = nd_dns_name_read(pkt, len, ND_DNS_HEADER_LEN, q->qname, &n,
				 false);

	if (r < 0 || (size_t)r != ND_DNS_HEADER_LEN + n)
		return ND_EMALFORMED;
	if ((size_t)r + 4 > len)
		return ND_EMALFORMED;
	memcpy(q->qname_lc, q->qname, n);
	nd_dns_name_lower(q->qname_lc, n);
	q->qname_len = (uint16_t)n;
	q->qtype = nd_get16(pkt + r);
	q->qclass = nd_get16(pkt + r + 2);
	q->question_end = (uint16_t)(r + 4);
	q->has_question = true;
	return 0;
}

/* Walk the answer, authority and additional sections after the question,
 * picking up the OPT record (RFC 6891 6.1). Returns 0, ND_EMALFORMED, or
 * 1 when the OPT record is whole but one of its options is malformed
 * (the FORMERR then keeps an OPT: the client speaks EDNS). */
static int read_records(const uint8_t *pkt, size_t len, struct nd_query *q)
{
	size_t off = q->question_end;
	unsigned an = nd_get16(pkt + 6), ns = nd_get16(pkt + 8);
	unsigned ar = nd_get16(pkt + 10);
	struct nd_dns_rr rr;

	for (unsigned i = 0; i < an + ns; i++) {
		if (nd_dns_rr_walk(pkt, len, off, &rr) < 0)
			return ND_EMALFORMED;
		off = rr.end;
	}
	for (unsigned i = 0; i < ar; i++) {
		if (nd_dns_rr_walk(pkt, len, off, &rr) < 0)
			return ND_EMALFORMED;
		off = rr.end;
		if (nd_get16(pkt + rr.fixed) != ND_TYPE_OPT)
			continue;
		/* RFC 6891 6.1.1: one OPT at most, owned by the root. */
		if (q->has_edns || pkt[rr.owner] != 0)
			return ND_EMALFORMED;
		uint16_t size = nd_get16(pkt + rr.fixed + 2);
		uint32_t ttl = nd_get32(pkt + rr.fixed + 4);

		q->has_edns = true;
		/* RFC 6891 6.2.3: values below 512 are treated as 512. */
		q->edns_udp_size = size < ND_DNS_MIN_UDP ? ND_DNS_MIN_UDP
						      : size;
		q->edns_version = (uint8_t)(ttl >> 16);
		q->edns_do = (ttl & 0x8000u) != 0;
		q->edns_opts_off = (uint16_t)rr.rdata;
		q->edns_opts_len = rr.rdlen;
	}
	if (q->has_edns &&
	    nd_edns_opts_check(pkt + q->edns_opts_off, q->edns_opts_len) != 0)
		return 1;
	/* Bytes after the last record are ignored, as most servers do. */
	return 0;
}

static void clear_edns(struct nd_query *q)
{
	q->has_edns = false;
	q->edns_version = 0;
	q->edns_do = false;
	q->edns_udp_size = ND_DNS_MIN_UDP;
	q->edns_opts_off = 0;
	q->edns_opts_len = 0;
}

int nd_query_parse(const uint8_t *pkt, size_t len, struct nd_query *q,
		   int *rcode)
{
	if (pkt == NULL || q == NULL || rcode == NULL)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->edns_udp_size = ND_DNS_MIN_UDP;
	*rcode = ND_RCODE_NOERROR;
	if (len < ND_DNS_HEADER_LEN)
		return ND_QUERY_DROP;
	q->id = nd_get16(pkt);
	q->flags = nd_get16(pkt + 2);
	/* RFC 1035 4.1.1: answering a response invites reflection loops. */
	if (q->flags & ND_FLAG_QR)
		return ND_QUERY_DROP;
	/* No message is longer than its 16-bit TCP length prefix allows
	 * (RFC 1035 4.2.2); the offsets we keep are 16-bit too. Anything
	 * past that can only be trailing bytes or a record that does not fit,
	 * which the walk reports. */
	if (len > ND_DNS_MAX_MSG)
		len = ND_DNS_MAX_MSG;

	bool is_query_op = (q->flags & ND_FLAG_OPCODE_MASK) == 0;
	int err = -1;

	if (nd_get16(pkt + 4) == 1) {
		err = read_question(pkt, len, q);
		if (err == 0)
			err = read_records(pkt, len, q);
	}
	if (err < 0) {
		/* A reply to a message we could not read carries no OPT: the
		 * one we saw may be part of the damage (RFC 6891 7). */
		clear_edns(q);
	}
	if (!is_query_op) {
		/* RFC 1035 4.1.1: other opcodes (IQUERY, STATUS, NOTIFY,
		 * UPDATE) are not implemented here. */
		*rcode = ND_RCODE_NOTIMP;
		return ND_QUERY_REPLY;
	}
	if (err < 0) {
		*rcode = ND_RCODE_FORMERR;
		return ND_QUERY_REPLY;
	}
	/* RFC 6891 6.1.3: we speak version 0 only. */
	if (q->has_edns && q->edns_version > 0) {
		*rcode = ND_RCODE_BADVERS;
		return ND_QUERY_REPLY;
	}
	/* RFC 6891 6.1.2, RFC 7873 5.2.2: a malformed option. */
	if (err == 1) {
		*rcode = ND_RCODE_FORMERR;
		return ND_QUERY_REPLY;
	}
	/* Zone transfers need TCP and a zone; a cache has neither. */
	if (q->qtype == ND_TYPE_AXFR || q->qtype == ND_TYPE_IXFR) {
		*rcode = ND_RCODE_NOTIMP;
		return ND_QUERY_REPLY;
	}
	/* Only the Internet class is forwarded or served: CHAOS
	 * (version.bind and friends) would leak details, and ANY/NONE make
	 * no sense to a cache. */
	if (q->qclass != ND_CLASS_IN) {
		*rcode = ND_RCODE_REFUSED;
		return ND_QUERY_REPLY;
	}
	return ND_QUERY_OK;
}

size_t nd_query_udp_limit(const struct nd_query *q)
{
	if (q == NULL || !q->has_edns)
		return ND_DNS_MIN_UDP;
	if (q->edns_udp_size > ND_EDNS_MAX_UDP)
		return ND_EDNS_MAX_UDP;
	if (q->edns_udp_size < ND_DNS_MIN_UDP)
		return ND_DNS_MIN_UDP;
	return q->edns_udp_size;
}
