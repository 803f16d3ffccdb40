/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/upstream_msg.h"

#include <errno.h>
#include <string.h>

#include "dns/case0x20.h"
#include "dns/cookie.h"
#include "dns/wire.h"
#include "util/errors.h"

/* Our OPT record: root owner (1) + the fixed part, no options. */
#define OPT_RR_LEN (1 + ND_DNS_RR_FIXED_LEN)

/* An uncompressed wire name that ends with the root label at len. */
static bool is_plain_name(const uint8_t *name, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t l = name[off];
		if (l == 0)
			return off + 1 == len;
		if (l > 63) /* pointers and extended label types */
			return false;
		off += (size_t)l + 1;
	}
	return false;
}

int nd_fwd_build_query(const struct nd_question *qs, uint16_t id,
		       uint8_t *out, size_t cap)
{
	return nd_fwd_build_query_ex(qs, id, NULL, out, cap);
}

int nd_fwd_build_query_ex(const struct nd_question *qs, uint16_t id,
			  const struct nd_fwd_extras *x, uint8_t *out,
			  size_t cap)
{
	size_t need, opt_len = 0;
	const uint8_t *qname;
	uint8_t *p;

	if (qs == NULL || out == NULL || qs->qname_lc == NULL ||
	    qs->qname_len == 0 || qs->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;
	if (!is_plain_name(qs->qname_lc, qs->qname_len))
		return -EINVAL;
	qname = x != NULL && x->qname != NULL ? x->qname : qs->qname_lc;
	if (x != NULL && x->cookie != NULL) {
		if (x->cookie_len != ND_COOKIE_CLIENT_LEN &&
		    (x->cookie_len <
			     ND_COOKIE_CLIENT_LEN + ND_COOKIE_SERVER_MIN ||
		     x->cookie_len >
			     ND_COOKIE_CLIENT_LEN + ND_COOKIE_SERVER_MAX))
			return -EINVAL;
		opt_len = 4 + x->cookie_len;
	}
	/* The mixed spelling must be the same name: same labels, same
	 * lengths, letters aside. */
	if (qname != qs->qname_lc &&
	    !nd_dns_name_equal(qname, qs->qname_len, qs->qname_lc,
			       qs->qname_len))
		return -EINVAL;

	need = ND_DNS_HEADER_LEN + qs->qname_len + 4 + OPT_RR_LEN + opt_len;
	if (cap < need)
		return ND_ENOSPACE;

	p = out;
	nd_put16(p, id);
	/* We are a forwarder: the upstream must recurse for us. */
	nd_put16(p + 2, ND_FLAG_RD);
	nd_put16(p + 4, 1);  /* QDCOUNT */
	nd_put16(p + 6, 0);  /* ANCOUNT */
	nd_put16(p + 8, 0);  /* NSCOUNT */
	nd_put16(p + 10, 1); /* ARCOUNT: the OPT record */
	p += ND_DNS_HEADER_LEN;

	memcpy(p, qname, qs->qname_len);
	p += qs->qname_len;
	nd_put16(p, qs->qtype);
	nd_put16(p + 2, qs->qclass);
	p += 4;

	/*
	 * OPT pseudo-RR (RFC 6891 6.1.2): root owner, CLASS carries our UDP
	 * payload size, TTL holds extended RCODE 0, version 0 and no DO bit
	 * (we do not validate, so we do not ask for signatures).
	 */
	*p++ = 0;
	nd_put16(p, ND_TYPE_OPT);
	nd_put16(p + 2, ND_EDNS_ADVERTISED);
	nd_put32(p + 4, 0);
	nd_put16(p + 8, (uint16_t)opt_len);
	p += ND_DNS_RR_FIXED_LEN;
	if (opt_len > 0) {
		nd_put16(p, ND_EDNS_OPT_COOKIE);
		nd_put16(p + 2, (uint16_t)x->cookie_len);
		memcpy(p + 4, x->cookie, x->cookie_len);
		p += opt_len;
	}

	return (int)(p - out);
}

static const char *const reject_names[ND_FWD_REJ_COUNT] = {
	[ND_FWD_REJ_NONE] = "none",	    [ND_FWD_REJ_ID] = "id",
	[ND_FWD_REJ_QUESTION] = "question", [ND_FWD_REJ_CASE] = "case",
	[ND_FWD_REJ_COOKIE] = "cookie",
};

const char *nd_fwd_reject_name(enum nd_fwd_reject r)
{
	return (unsigned)r < ND_FWD_REJ_COUNT ? reject_names[r] : "unknown";
}

bool nd_fwd_matches(const uint8_t *pkt, size_t len, uint16_t id,
		    const struct nd_question *qs)
{
	return nd_fwd_check(pkt, len, id, qs, NULL) == ND_FWD_REJ_NONE;
}

enum nd_fwd_reject nd_fwd_check(const uint8_t *pkt, size_t len, uint16_t id,
				const struct nd_question *qs,
				const uint8_t *sent)
{
	uint8_t name[ND_DNS_MAX_NAME];
	size_t name_len = 0;
	uint16_t flags;
	int off;

	if (pkt == NULL || qs == NULL || qs->qname_lc == NULL ||
	    len < ND_DNS_HEADER_LEN)
		return ND_FWD_REJ_QUESTION;
	if (nd_get16(pkt) != id)
		return ND_FWD_REJ_ID;
	flags = nd_get16(pkt + 2);
	if (!(flags & ND_FLAG_QR) || (flags & ND_FLAG_OPCODE_MASK) != 0)
		return ND_FWD_REJ_QUESTION;
	if (nd_get16(pkt + 4) == 0) {
		/*
		 * Servers may refuse or reject without echoing the question
		 * (unbound's "refuse" ACL does). Take such an error from the
		 * upstream's address with our ID, so the next upstream is
		 * tried at once instead of after a timeout; it carries no
		 * data a spoofer could plant, only an early retry.
		 */
		unsigned rc = flags & ND_FLAG_RCODE_MASK;
		return rc == ND_RCODE_REFUSED || rc == ND_RCODE_SERVFAIL ||
				       rc == ND_RCODE_FORMERR ||
				       rc == ND_RCODE_NOTIMP
			       ? ND_FWD_REJ_NONE
			       : ND_FWD_REJ_QUESTION;
	}
	if (nd_get16(pkt + 4) != 1)
		return ND_FWD_REJ_QUESTION;

	/*
	 * RFC 5452 9.1: the ID alone is 16 bits of protection; checking the
	 * question too makes a blind spoof harder. Without 0x20 the case
	 * of the name is not ours to check (RFC 1035 2.3.3 says names
	 * compare case-insensitively), so fold before comparing.
	 */
	off = nd_dns_name_read(pkt, len, ND_DNS_HEADER_LEN, name, &name_len,
			       true);
	if (off < 0 || (size_t)off + 4 > len)
		return ND_FWD_REJ_QUESTION;
	if (!nd_dns_name_equal(name, name_len, qs->qname_lc, qs->qname_len) ||
	    nd_get16(pkt + off) != qs->qtype ||
	    nd_get16(pkt + off + 2) != qs->qclass)
		return ND_FWD_REJ_QUESTION;
	/* With 0x20 the case we chose is part of what a spoofer must
	 * guess: a reply with our question in another case is not ours. */
	if (sent != NULL &&
	    !nd_0x20_echoed(pkt, len, sent, qs->qname_len))
		return ND_FWD_REJ_CASE;
	return ND_FWD_REJ_NONE;
}

/*
 * Walk every section of pkt with bounds checks. On success *ext_rcode
 * holds the upper 8 bits of the RCODE from the OPT record (RFC 6891
 * 6.1.3), 0 without OPT. Returns 0 or ND_EMALFORMED.
 */
static int walk_sections(const uint8_t *pkt, size_t len, unsigned *ext_rcode)
{
	unsigned qd = nd_get16(pkt + 4);
	unsigned an = nd_get16(pkt + 6);
	unsigned ns = nd_get16(pkt + 8);
	unsigned ar = nd_get16(pkt + 10);
	size_t off = ND_DNS_HEADER_LEN;
	bool seen_opt = false;
	int r;

	*ext_rcode = 0;
	for (unsigned i = 0; i < qd; i++) {
		r = nd_dns_name_skip(pkt, len, off);
		if (r < 0 || (size_t)r + 4 > len)
			return ND_EMALFORMED;
		off = (size_t)r + 4;
	}
	/* Counts are 16 bits each, so this loop runs at most 3 * 65535 times
	 * and each step moves off forward by at least 11 bytes or fails. */
	for (unsigned i = 0; i < an + ns + ar; i++) {
		uint16_t type, rdlen;

		r = nd_dns_name_skip(pkt, len, off);
		if (r < 0 || (size_t)r + ND_DNS_RR_FIXED_LEN > len)
			return ND_EMALFORMED;
		type = nd_get16(pkt + r);
		rdlen = nd_get16(pkt + r + 8);
		if ((size_t)r + ND_DNS_RR_FIXED_LEN + rdlen > len)
			return ND_EMALFORMED;
		if (type == ND_TYPE_OPT && i >= an + ns) {
			/* RFC 6891 6.1.1: more than one OPT is FORMERR. */
			if (seen_opt)
				return ND_EMALFORMED;
			seen_opt = true;
			*ext_rcode = pkt[r + 4];
		}
		off = (size_t)r + ND_DNS_RR_FIXED_LEN + rdlen;
	}
	return 0;
}

enum nd_fwd_verdict nd_fwd_classify(const uint8_t *pkt, size_t len)
{
	unsigned ext_rcode, rcode;
	uint16_t flags;

	if (pkt == NULL || len < ND_DNS_HEADER_LEN)
		return ND_FWD_BAD;
	flags = nd_get16(pkt + 2);
	/*
	 * A truncated reply may stop anywhere (RFC 2181 9), so it is not
	 * walked: whatever it holds, the answer has to come over TCP
	 * (RFC 7766 5).
	 */
	if (flags & ND_FLAG_TC)
		return ND_FWD_TRUNCATED;
	/* What we hand on to the cache and to clients must at least parse. */
	if (walk_sections(pkt, len, &ext_rcode) != 0)
		return ND_FWD_BAD;
	rcode = (ext_rcode << 4) | (flags & ND_FLAG_RCODE_MASK);
	switch (rcode) {
	case ND_RCODE_NOERROR:
	case ND_RCODE_NXDOMAIN:
		return ND_FWD_ACCEPT;
	case ND_RCODE_SERVFAIL:
		return ND_FWD_SERVFAIL;
	case ND_RCODE_REFUSED:
		return ND_FWD_REFUSED;
	default:
		/* FORMERR, NOTIMP, BADVERS (we sent version 0) and the rest. */
		return ND_FWD_BAD;
	}
}
