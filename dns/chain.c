/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/chain.h"

#include <errno.h>
#include <string.h>

#include "dns/query.h"
#include "dns/response.h"
#include "util/errors.h"

/* Records of one answer section the chain walk looks at; a chain inside
 * one message longer than this is followed no further (the caller's cap
 * on steps decides). */
#define WALK_RRS 64
#define WALK_STEPS 16
#define OPT_LEN 11

/* Offset just past the question of msg, or ND_EMALFORMED. */
static int skip_question(const uint8_t *msg, size_t len)
{
	int off;

	if (len < ND_DNS_HEADER_LEN || nd_get16(msg + 4) != 1)
		return ND_EMALFORMED;
	off = nd_dns_name_skip(msg, len, ND_DNS_HEADER_LEN);
	if (off < 0 || (size_t)off + 4 > len)
		return ND_EMALFORMED;
	return off + 4;
}

int nd_chain_dangling(const uint8_t *msg, size_t len, const uint8_t *qname_lc,
		      size_t qname_len, uint16_t qtype, uint8_t *target,
		      size_t *target_len)
{
	struct nd_dns_rr rrs[WALK_RRS];
	uint8_t owner[ND_DNS_MAX_NAME], cur[ND_DNS_MAX_NAME];
	size_t n = 0, cur_len, owner_len;
	unsigned an;
	int off;

	if (msg == NULL || len < ND_DNS_HEADER_LEN || target == NULL ||
	    target_len == NULL)
		return -EINVAL;
	an = nd_get16(msg + 6);
	/* Only a NOERROR answer whose first record is a CNAME is a chain
	 * worth following: one look at one record on the common path. */
	if ((nd_get16(msg + 2) & ND_FLAG_RCODE_MASK) != ND_RCODE_NOERROR ||
	    an == 0 || qtype == ND_TYPE_CNAME || qtype == ND_TYPE_ANY)
		return 0;
	off = skip_question(msg, len);
	if (off < 0)
		return off;
	for (unsigned i = 0; i < an && n < WALK_RRS; i++) {
		if (nd_dns_rr_walk(msg, len, (size_t)off, &rrs[n]) != 0)
			return ND_EMALFORMED;
		if (i == 0 && nd_get16(msg + rrs[0].fixed) != ND_TYPE_CNAME)
			return 0;
		off = (int)rrs[n].end;
		n++;
	}
	memcpy(cur, qname_lc, qname_len);
	cur_len = qname_len;
	for (unsigned step = 0; step < WALK_STEPS; step++) {
		bool moved = false;

		for (size_t i = 0; i < n; i++) {
			uint16_t type = nd_get16(msg + rrs[i].fixed);

			if (type != qtype && type != ND_TYPE_CNAME)
				continue;
			if (nd_dns_name_read(msg, len, rrs[i].owner, owner,
					     &owner_len, true) < 0)
				return ND_EMALFORMED;
			if (!nd_dns_name_equal(owner, owner_len, cur, cur_len))
				continue;
			if (type == qtype)
				return 0; /* complete */
			if (nd_dns_name_read(msg, len, rrs[i].rdata, cur,
					     &cur_len, true) < 0)
				return ND_EMALFORMED;
			moved = true;
			break;
		}
		if (!moved)
			break;
	}
	if (nd_dns_name_equal(cur, cur_len, qname_lc, qname_len))
		return 0; /* no chain from the question's name */
	memcpy(target, cur, cur_len);
	*target_len = cur_len;
	return 1;
}

/* RDATA layouts with names that a sender may have compressed (RFC 3597
 * 4: only the types of RFC 1035); every other type is copied as is. */
static void rdata_names(uint16_t type, size_t *before, int *names,
			size_t *after)
{
	*before = 0;
	*names = 0;
	*after = 0;
	switch (type) {
	case ND_TYPE_CNAME:
	case ND_TYPE_NS:
	case ND_TYPE_PTR:
		*names = 1;
		break;
	case ND_TYPE_MX:
		*before = 2;
		*names = 1;
		break;
	case ND_TYPE_SOA:
		*names = 2;
		*after = 20;
		break;
	default:
		break;
	}
}

/*
 * Copy the record at src[off] to dst[*dlen..cap) with its names expanded.
 * Returns the offset past it in src, ND_ENOSPACE (dst unchanged) or
 * ND_EMALFORMED.
 */
static int copy_rr(const uint8_t *src, size_t slen, size_t off, uint8_t *dst,
		   size_t *dlen, size_t cap)
{
	uint8_t name[ND_DNS_MAX_NAME];
	struct nd_dns_rr rr;
	size_t nlen, pos = *dlen, before, after, rd_start;
	uint16_t type;
	int names, r;

	if (nd_dns_rr_walk(src, slen, off, &rr) != 0)
		return ND_EMALFORMED;
	if (nd_dns_name_read(src, slen, rr.owner, name, &nlen, false) < 0)
		return ND_EMALFORMED;
	if (pos + nlen + 10 > cap)
		return ND_ENOSPACE;
	memcpy(dst + pos, name, nlen);
	pos += nlen;
	memcpy(dst + pos, src + rr.fixed, 8); /* TYPE CLASS TTL */
	pos += 10;			      /* RDLENGTH written below */
	rd_start = pos;
	type = nd_get16(src + rr.fixed);
	rdata_names(type, &before, &names, &after);
	if (names == 0) {
		if (pos + rr.rdlen > cap)
			return ND_ENOSPACE;
		memcpy(dst + pos, src + rr.rdata, rr.rdlen);
		pos += rr.rdlen;
	} else {
		size_t in = rr.rdata, end = rr.rdata + rr.rdlen;

		if (in + before > end || pos + before > cap)
			return in + before > end ? ND_EMALFORMED : ND_ENOSPACE;
		memcpy(dst + pos, src + in, before);
		pos += before;
		in += before;
		for (int i = 0; i < names; i++) {
			r = nd_dns_name_read(src, slen, in, name, &nlen, false);
			if (r < 0 || (size_t)r > end)
				return ND_EMALFORMED;
			if (pos + nlen > cap)
				return ND_ENOSPACE;
			memcpy(dst + pos, name, nlen);
			pos += nlen;
			in = (size_t)r;
		}
		if (in + after != end)
			return ND_EMALFORMED;
		if (pos + after > cap)
			return ND_ENOSPACE;
		memcpy(dst + pos, src + in, after);
		pos += after;
	}
	if (pos - rd_start > UINT16_MAX)
		return ND_EMALFORMED;
	nd_put16(dst + rd_start - 2, (uint16_t)(pos - rd_start));
	*dlen = pos;
	return (int)rr.end;
}

int nd_chain_take_answers(const uint8_t *msg, size_t len, uint8_t *prefix,
			  size_t *prefix_len, size_t cap, unsigned *count)
{
	size_t pos;
	unsigned an, got = 0;
	int off;

	if (msg == NULL || prefix == NULL || prefix_len == NULL ||
	    count == NULL || *prefix_len > cap)
		return -EINVAL;
	off = skip_question(msg, len);
	if (off < 0)
		return off;
	an = nd_get16(msg + 6);
	pos = *prefix_len;
	for (unsigned i = 0; i < an; i++, got++) {
		off = copy_rr(msg, len, (size_t)off, prefix, &pos, cap);
		if (off < 0)
			return off;
	}
	*prefix_len = pos;
	*count += got;
	return 0;
}

/* Length of the uncompressed record at p[0..len), 0 when malformed. */
static size_t plain_rr_len(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len && p[i] != 0) {
		if (p[i] & 0xC0)
			return 0;
		i += 1 + p[i];
	}
	i++; /* the root label */
	if (i + 10 > len || i + 10 + nd_get16(p + i + 8) > len)
		return 0;
	return i + 10 + nd_get16(p + i + 8);
}

int nd_chain_compose(const struct nd_query *q, const uint8_t *prefix,
		     size_t prefix_len, unsigned count, const uint8_t *tmsg,
		     size_t tlen, size_t limit, uint8_t *out, size_t cap)
{
	size_t pos, room, p = 0;
	unsigned an = 0, ns = 0, tan, tns;
	bool is_truncated = false;
	uint16_t flags;
	int off;

	if (q == NULL || !q->has_question || tmsg == NULL || out == NULL ||
	    (prefix == NULL && prefix_len > 0))
		return -EINVAL;
	off = skip_question(tmsg, tlen);
	if (off < 0)
		return off;
	if (limit > cap)
		limit = cap;
	/* Records end where the OPT must still fit. */
	room = limit - (q->has_edns ? OPT_LEN : 0);
	pos = ND_DNS_HEADER_LEN + q->qname_len + 4;
	if (pos > room)
		return ND_ENOSPACE;
	memset(out, 0, ND_DNS_HEADER_LEN);
	nd_put16(out, q->id);
	memcpy(out + ND_DNS_HEADER_LEN, q->qname, q->qname_len);
	nd_put16(out + ND_DNS_HEADER_LEN + q->qname_len, q->qtype);
	nd_put16(out + ND_DNS_HEADER_LEN + q->qname_len + 2, q->qclass);
	nd_put16(out + 4, 1);
	for (unsigned i = 0; i < count && !is_truncated; i++) {
		size_t n = plain_rr_len(prefix + p, prefix_len - p);

		if (n == 0)
			return ND_EMALFORMED;
		if (pos + n > room) {
			is_truncated = true;
			break;
		}
		memcpy(out + pos, prefix + p, n);
		pos += n;
		p += n;
		an++;
	}
	tan = nd_get16(tmsg + 6);
	tns = nd_get16(tmsg + 8);
	for (unsigned i = 0; i < tan + tns && !is_truncated; i++) {
		size_t before = pos;

		off = copy_rr(tmsg, tlen, (size_t)off, out, &pos, room);
		if (off == ND_ENOSPACE) {
			pos = before;
			is_truncated = true;
			break;
		}
		if (off < 0)
			return off;
		if (i < tan)
			an++;
		else
			ns++;
	}
	flags = ND_FLAG_QR | (q->flags & ND_FLAG_RD) | ND_FLAG_RA |
		(nd_get16(tmsg + 2) & ND_FLAG_RCODE_MASK);
	if (is_truncated) {
		/* Whole records only, and no authority past a cut answer: a
		 * client that cannot retry over TCP still gets addresses. */
		flags |= ND_FLAG_TC;
	}
	nd_put16(out + 2, flags);
	nd_put16(out + 6, (uint16_t)an);
	nd_put16(out + 8, (uint16_t)ns);
	if (q->has_edns && nd_response_add_opt(out, &pos, limit, q, 0) != 0)
		return ND_ENOSPACE;
	return (int)pos;
}
