/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/response.h"

#include <errno.h>
#include <string.h>

#include "dns/wire.h"
#include "dns/query.h"
#include "util/errors.h"

/* Root owner, TYPE, CLASS, TTL, RDLENGTH with no options (RFC 6891 6.1.2). */
#define OPT_RR_LEN 11

int nd_response_add_opt(uint8_t *msg, size_t *len, size_t cap,
			const struct nd_query *q, uint8_t ext_rcode)
{
	if (msg == NULL || len == NULL || *len < ND_DNS_HEADER_LEN ||
	    *len > cap)
		return -EINVAL;
	uint16_t arcount = nd_get16(msg + 10);

	if (arcount == UINT16_MAX)
		return -EINVAL;
	if (cap - *len < OPT_RR_LEN)
		return ND_ENOSPACE;

	uint8_t *p = msg + *len;
	/* RFC 6891 6.1.3: EXTENDED-RCODE(8) VERSION(8) DO(1) Z(15); the
	 * DO bit is copied from the query (RFC 3225 3). */
	uint32_t ttl = (uint32_t)ext_rcode << 24;

	if (q != NULL && q->edns_do)
		ttl |= 0x8000u;
	p[0] = 0;
	nd_put16(p + 1, ND_TYPE_OPT);
	nd_put16(p + 3, ND_EDNS_ADVERTISED);
	nd_put32(p + 5, ttl);
	nd_put16(p + 9, 0);
	*len += OPT_RR_LEN;
	nd_put16(msg + 10, (uint16_t)(arcount + 1));
	return 0;
}

int nd_response_error(const struct nd_query *q, int rcode, uint8_t *out,
		      size_t cap)
{
	/* 12 bits: 4 in the header, 8 in the OPT (RFC 6891 6.1.3). */
	if (q == NULL || out == NULL || rcode < 0 || rcode > 0xfff)
		return -EINVAL;
	if (q->has_question &&
	    (q->qname_len == 0 || q->qname_len > ND_DNS_MAX_NAME))
		return -EINVAL;
	/* Without an OPT the upper bits would be lost and BADVERS (16)
	 * would go out as NOERROR, an empty answer the client would trust. */
	if ((unsigned)rcode > ND_FLAG_RCODE_MASK && !q->has_edns)
		return -EINVAL;

	size_t need = ND_DNS_HEADER_LEN;

	if (q->has_question)
		need += (size_t)q->qname_len + 4;
	if (cap < need)
		return ND_ENOSPACE;

	uint16_t flags = ND_FLAG_QR | ND_FLAG_RA |
			 (q->flags & (ND_FLAG_OPCODE_MASK | ND_FLAG_RD)) |
			 ((unsigned)rcode & ND_FLAG_RCODE_MASK);

	nd_put16(out, q->id);
	nd_put16(out + 2, flags);
	nd_put16(out + 4, q->has_question ? 1 : 0);
	nd_put16(out + 6, 0);
	nd_put16(out + 8, 0);
	nd_put16(out + 10, 0);

	size_t n = ND_DNS_HEADER_LEN;

	if (q->has_question) {
		/* Echo the client's spelling: stubs compare the question
		 * byte for byte, and 0x20-randomising ones compare case. */
		memcpy(out + n, q->qname, q->qname_len);
		n += q->qname_len;
		nd_put16(out + n, q->qtype);
		nd_put16(out + n + 2, q->qclass);
		n += 4;
	}
	if (q->has_edns) {
		int r = nd_response_add_opt(out, &n, cap, q,
					    (uint8_t)((unsigned)rcode >> 4));
		if (r < 0)
			return r;
	}
	return (int)n;
}
