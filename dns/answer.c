/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/answer.h"

#include <errno.h>
#include <string.h>

#include "dns/wire.h"
#include "dns/query.h"
#include "dns/response.h"
#include "util/errors.h"

/* SOA RDATA after MNAME and RNAME: SERIAL REFRESH RETRY EXPIRE MINIMUM. */
#define SOA_FIXED_LEN 20

/* RFC 2181 8: a TTL with the most significant bit set is read as zero. */
static uint32_t ttl_value(uint32_t ttl)
{
	return (ttl & 0x80000000u) ? 0 : ttl;
}

/* MINIMUM of the SOA whose RDATA is pkt[rdata..rdata+rdlen). MNAME and
 * RNAME may be compressed; they are skipped inside the RDATA's bounds, so a
 * pointer ends a name but is never followed. */
static int soa_minimum(const uint8_t *pkt, const struct nd_dns_rr *rr,
		       uint32_t *minimum)
{
	int r = nd_dns_name_skip(pkt, rr->end, rr->rdata);

	if (r < 0)
		return ND_EMALFORMED;
	r = nd_dns_name_skip(pkt, rr->end, (size_t)r);
	if (r < 0 || (size_t)r + SOA_FIXED_LEN != rr->end)
		return ND_EMALFORMED;
	*minimum = ttl_value(nd_get32(pkt + r + 16));
	return 0;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

int nd_answer_parse(const uint8_t *pkt, size_t len, uint8_t *wire_buf,
		    size_t wire_cap, uint16_t *ttl_buf, size_t ttl_cap,
		    struct nd_answer *out)
{
	if (pkt == NULL || wire_buf == NULL || out == NULL ||
	    (ttl_buf == NULL && ttl_cap > 0))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < ND_DNS_HEADER_LEN)
		return ND_EMALFORMED;
	/* Offsets are 16-bit and no message outgrows its TCP length prefix
	 * (RFC 1035 4.2.2); a record reaching past that is malformed. */
	if (len > ND_DNS_MAX_MSG)
		len = ND_DNS_MAX_MSG;

	uint16_t flags = nd_get16(pkt + 2);

	if (!(flags & ND_FLAG_QR))
		return ND_EMALFORMED;

	unsigned qd = nd_get16(pkt + 4), an = nd_get16(pkt + 6);
	unsigned ns = nd_get16(pkt + 8), ar = nd_get16(pkt + 10);
	size_t off = ND_DNS_HEADER_LEN;

	for (unsigned i = 0; i < qd; i++) {
		int r = nd_dns_name_skip(pkt, len, off);

		if (r < 0 || (size_t)r + 4 > len)
			return ND_EMALFORMED;
		off = (size_t)r + 4;
	}

	size_t question_end = off, kept_end = off;
	unsigned kept_ar = 0;
	size_t n_ttl = 0;
	bool has_opt = false, has_soa = false;
	uint8_t ext_rcode = 0;
	uint32_t min_ttl = UINT32_MAX, soa_min = UINT32_MAX;
	struct nd_dns_rr rr;

	/* Every record is checked, even those dropped after the OPT: a
	 * message damaged anywhere is not trusted anywhere. */
	for (unsigned i = 0; i < an + ns + ar; i++) {
		if (nd_dns_rr_walk(pkt, len, off, &rr) < 0)
			return ND_EMALFORMED;
		off = rr.end;

		bool in_ar = i >= an + ns;
		uint16_t type = nd_get16(pkt + rr.fixed);
		uint32_t ttl = ttl_value(nd_get32(pkt + rr.fixed + 4));

		if (type == ND_TYPE_OPT) {
			/* RFC 6891 6.1.1: one OPT, in the additional
			 * section, owned by the root. */
			if (!in_ar || has_opt || pkt[rr.owner] != 0)
				return ND_EMALFORMED;
			has_opt = true;
			/* EXTENDED-RCODE: the TTL's first byte. */
			ext_rcode = pkt[rr.fixed + 4];
			continue;
		}
		/* The OPT is hop-by-hop (RFC 6891 6.1.1) and we add our own
		 * when serving; what follows it (TSIG, SIG(0)) signs this
		 * exact message and is useless once we rewrite it. */
		if (has_opt)
			continue;
		if (i >= an && i < an + ns && type == ND_TYPE_SOA &&
		    !has_soa) {
			if (soa_minimum(pkt, &rr, &soa_min) < 0)
				return ND_EMALFORMED;
			has_soa = true;
		}
		if (n_ttl < ttl_cap)
			ttl_buf[n_ttl] = (uint16_t)(rr.fixed + 4);
		n_ttl++;
		min_ttl = min32(min_ttl, ttl);
		kept_end = rr.end;
		if (in_ar)
			kept_ar++;
	}
	if (n_ttl > ttl_cap || kept_end > wire_cap)
		return ND_ENOSPACE;

	memcpy(wire_buf, pkt, kept_end);
	nd_put16(wire_buf, 0);
	nd_put16(wire_buf + 10, (uint16_t)kept_ar);
	/*
	 * The stored question is kept in lower case (an upstream may answer
	 * in 0x20 mixed case), so replaying it compares bytes with the
	 * query's lower-case name instead of folding case per query. A
	 * question written with a compression pointer is left as it is;
	 * render then refuses it, which only costs a cache miss.
	 */
	if (qd == 1) {
		uint8_t lc[ND_DNS_MAX_NAME];
		size_t n = 0;

		if (nd_dns_name_read(pkt, len, ND_DNS_HEADER_LEN, lc, &n,
				     true) == (int)(question_end - 4) &&
		    ND_DNS_HEADER_LEN + n == question_end - 4)
			memcpy(wire_buf + ND_DNS_HEADER_LEN, lc, n);
	}

	uint8_t rcode = flags & ND_FLAG_RCODE_MASK;

	/* An extended rcode (BADVERS, BADCOOKIE, ...) answers our own EDNS,
	 * not the client's question: pass it on as a server failure, which
	 * is never cached. */
	if (ext_rcode != 0) {
		rcode = ND_RCODE_SERVFAIL;
		nd_put16(wire_buf + 2,
			 (uint16_t)((flags & ~ND_FLAG_RCODE_MASK) | rcode));
	}

	out->wire = wire_buf;
	out->len = (uint16_t)kept_end;
	out->question_end = (uint16_t)question_end;
	out->ttl_off = ttl_buf;
	out->n_ttl = (uint16_t)n_ttl;
	out->rcode = rcode;
	out->is_negative = rcode == ND_RCODE_NXDOMAIN ||
			   (rcode == ND_RCODE_NOERROR && an == 0);
	/*
	 * The entry lives no longer than its shortest record, in every
	 * section we keep, so no record is served past its own TTL (the
	 * render floors it at 0 otherwise). Negative answers also take the
	 * SOA MINIMUM and need an SOA to be cached at all (RFC 2308 3, 5).
	 * A truncated reply is incomplete and never cached (RFC 2181 9).
	 */
	if (flags & ND_FLAG_TC)
		out->ttl_s = 0;
	else if (rcode == ND_RCODE_NOERROR && !out->is_negative)
		out->ttl_s = min_ttl;
	else if (out->is_negative && has_soa)
		out->ttl_s = min32(min_ttl, soa_min);
	else
		out->ttl_s = 0;
	return 0;
}

int nd_answer_render(const struct nd_answer *a, const struct nd_query *q,
		     uint32_t age_s, uint32_t ttl_cap_s, bool is_stale,
		     size_t limit, uint8_t *out, size_t cap)
{
	if (a == NULL || q == NULL || out == NULL || a->wire == NULL ||
	    (a->ttl_off == NULL && a->n_ttl > 0))
		return -EINVAL;
	if (a->len < ND_DNS_HEADER_LEN || a->question_end > a->len ||
	    a->question_end < ND_DNS_HEADER_LEN)
		return -EINVAL;
	if (!q->has_question || q->qname_len == 0 ||
	    q->qname_len > ND_DNS_MAX_NAME ||
	    nd_get16(a->wire + 4) != 1 ||
	    (size_t)a->question_end - ND_DNS_HEADER_LEN !=
		    (size_t)q->qname_len + 4)
		return -EINVAL;

	const uint8_t *sq = a->wire + ND_DNS_HEADER_LEN;

	/* Same length is not same question; replaying another name's
	 * records would be cache poisoning by our own hand. */
	if (memcmp(sq, q->qname_lc, q->qname_len) != 0 ||
	    nd_get16(sq + q->qname_len) != q->qtype ||
	    nd_get16(sq + q->qname_len + 2) != q->qclass)
		return -EINVAL;
	for (size_t i = 0; i < a->n_ttl; i++)
		if (a->ttl_off[i] < a->question_end ||
		    (size_t)a->ttl_off[i] + 4 > a->len)
			return -EINVAL;

	size_t opt_len = q->has_edns ? 11 : 0;
	bool is_truncated = (size_t)a->len + opt_len > limit;
	size_t n = is_truncated ? a->question_end : a->len;

	if (cap < n + opt_len)
		return ND_ENOSPACE;
	memcpy(out, a->wire, n);

	/* AD is cleared: we do not validate DNSSEC, so we cannot vouch for
	 * it (RFC 4035 3.2.3); AA is cleared as a cache is not the
	 * authority. */
	uint16_t flags = ND_FLAG_QR | ND_FLAG_RA | (q->flags & ND_FLAG_RD) |
			 (a->rcode & ND_FLAG_RCODE_MASK);

	if (is_truncated)
		flags |= ND_FLAG_TC;
	nd_put16(out, q->id);
	nd_put16(out + 2, flags);
	/* Stubs match the question byte for byte, case included (0x20). */
	memcpy(out + ND_DNS_HEADER_LEN, q->qname, q->qname_len);

	if (is_truncated) {
		/* RFC 2181 9: with TC set the client retries over TCP; we
		 * send no partial RRsets. */
		nd_put16(out + 6, 0);
		nd_put16(out + 8, 0);
		nd_put16(out + 10, 0);
	} else {
		for (size_t i = 0; i < a->n_ttl; i++) {
			uint8_t *p = out + a->ttl_off[i];
			uint32_t ttl;

			if (is_stale) {
				/* RFC 8767 4: stale data goes out with a
				 * short TTL so clients come back soon. */
				ttl = ND_STALE_TTL_S;
			} else {
				ttl = min32(ttl_value(nd_get32(p)), ttl_cap_s);
				ttl = ttl > age_s ? ttl - age_s : 0;
			}
			nd_put32(p, ttl);
		}
	}
	if (q->has_edns) {
		int r = nd_response_add_opt(out, &n, cap, q, 0);

		if (r < 0)
			return r;
	}
	return (int)n;
}
