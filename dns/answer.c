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

/* One bit per message byte: bytes a render rewrites or moves. */
struct moving {
	uint8_t bit[ND_DNS_MAX_MSG / 8 + 1];
};

static void mark(struct moving *m, size_t from, size_t to)
{
	for (size_t i = from; i < to && i < ND_DNS_MAX_MSG; i++)
		m->bit[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool is_marked(const struct moving *m, size_t i)
{
	return i >= ND_DNS_MAX_MSG || (m->bit[i / 8] & (1u << (i % 8)));
}

/*
 * Does the name at pkt[off] read the same once served? Its labels in
 * place do; what it reaches through a compression pointer must not lie in
 * bytes the render rewrites or moves (the header with the client's ID,
 * TTLs, rotating addresses), or the client would read another name than
 * the one stored: an upstream's pointer into a TTL byte that read as the
 * root label reads as a label length once the TTL is lowered. A forward
 * pointer is allowed (the render's cut handles it); a name of more hops
 * than a name has labels loops and is refused.
 */
static bool name_is_stable(const uint8_t *pkt, size_t len, size_t off,
			   const struct moving *m)
{
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (off >= len || (jumped && is_marked(m, off)))
			return false;
		l = pkt[off];
		if ((l & 0xc0) == 0xc0) {
			size_t target;

			if (off + 2 > len || (jumped && is_marked(m, off + 1)))
				return false;
			target = ((size_t)(l & 0x3f) << 8) | pkt[off + 1];
			if (++hops > ND_DNS_MAX_NAME / 2)
				return false;
			off = target;
			jumped = true;
			continue;
		}
		if ((l & 0xc0) != 0 || off + 1 + l > len)
			return false;
		for (size_t i = 1; jumped && i <= l; i++)
			if (is_marked(m, off + i))
				return false;
		if (l == 0)
			return true;
		off += (size_t)l + 1;
	}
}

/* Where the RDATA of type holds names a client decompresses (the types
 * of RFC 1035 that may be compressed, and SRV, which some servers
 * compress): the offsets of up to two names, -1 for none. */
static void rdata_names(const uint8_t *pkt, const struct nd_dns_rr *rr,
			long at[2])
{
	uint16_t type = nd_get16(pkt + rr->fixed);
	int r;

	at[0] = at[1] = -1;
	switch (type) {
	case ND_TYPE_CNAME:
	case ND_TYPE_NS:
	case ND_TYPE_PTR:
	case 39: /* DNAME */
		at[0] = (long)rr->rdata;
		break;
	case ND_TYPE_MX:
		at[0] = rr->rdlen > 2 ? (long)rr->rdata + 2 : -1;
		break;
	case ND_TYPE_SRV:
		at[0] = rr->rdlen > 6 ? (long)rr->rdata + 6 : -1;
		break;
	case ND_TYPE_SOA:
		at[0] = (long)rr->rdata;
		r = nd_dns_name_skip(pkt, rr->end, rr->rdata);
		at[1] = r > 0 ? r : -1;
		break;
	default:
		break;
	}
}

/* Is every name of the records in pkt[question_end..kept_end) stable
 * (name_is_stable)? */
static bool names_are_stable(const uint8_t *pkt, size_t len,
			     size_t question_end, size_t kept_end)
{
	struct moving m;
	struct nd_dns_rr rr;
	size_t off;

	memset(&m, 0, sizeof(m));
	mark(&m, 0, ND_DNS_HEADER_LEN);
	mark(&m, kept_end, len); /* not stored: the OPT and what follows */
	for (off = question_end; off < kept_end; off = rr.end) {
		uint16_t type;

		if (nd_dns_rr_walk(pkt, len, off, &rr) < 0)
			return false;
		type = nd_get16(pkt + rr.fixed);
		mark(&m, rr.fixed, rr.rdata);
		if (type == ND_TYPE_A || type == ND_TYPE_AAAA)
			mark(&m, rr.rdata, rr.end);
	}
	for (off = question_end; off < kept_end; off = rr.end) {
		long at[2];

		if (nd_dns_rr_walk(pkt, len, off, &rr) < 0 ||
		    !name_is_stable(pkt, len, rr.owner, &m))
			return false;
		rdata_names(pkt, &rr, at);
		for (int i = 0; i < 2; i++)
			if (at[i] >= 0 &&
			    !name_is_stable(pkt, rr.end, (size_t)at[i], &m))
				return false;
	}
	return true;
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
	if (!names_are_stable(pkt, len, question_end, kept_end))
		return ND_EMALFORMED;
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

/* Where the answer section may be cut and which of its records rotate. */
struct an_layout {
	size_t run_start; /* offset of the first record that rotates */
	size_t slot;	  /* bytes of each rotating record; 0 = no rotation */
	size_t head;	  /* bytes of a slot's owner, TYPE and CLASS */
	size_t n_run;	  /* records that rotate; rotation needs 2 or more */
	size_t cut;	  /* end of the last whole answer record within room */
	uint16_t n_kept;  /* answer records before cut */
};

/* Does the record at off have the first slot's owner, TYPE, CLASS and
 * RDLENGTH, byte for byte? Then it is laid out as that slot is, and
 * needs no walk of its own. */
static bool is_same_slot(const struct nd_answer *a, size_t off,
			 const struct an_layout *l)
{
	const uint8_t *p = a->wire + off, *f = a->wire + l->run_start;

	if (off + l->slot > a->len ||
	    nd_get16(p + l->head + 4) != nd_get16(f + l->head + 4))
		return false;
	/* A few bytes (a compressed owner is 2): a loop beats a call. */
	for (size_t i = 0; i < l->head; i++)
		if (p[i] != f[i])
			return false;
	return true;
}

/*
 * Walk the answer section of a once, finding the cut for room bytes
 * (when is_truncated) and the run of records to rotate (when rtype is A
 * or AAAA): the first run of consecutive records of that type whose
 * owners are byte for byte the same and whose RDATA has the address's
 * size. Equal owners make equal-size slots, and a compression pointer
 * that lands on any slot's owner still reads the same name after the
 * slots move. A record the walk cannot read ends it: nothing from there
 * on rotates or is kept.
 */
static void an_layout(const struct nd_answer *a, uint16_t rtype,
		      bool is_truncated, size_t room, struct an_layout *l)
{
	unsigned an = nd_get16(a->wire + 6);
	size_t rdlen = rtype == ND_TYPE_A ? 4 : rtype == ND_TYPE_AAAA ? 16 : 0;
	bool is_run_over = rdlen == 0;
	size_t off = a->question_end;
	struct nd_dns_rr rr;

	memset(l, 0, sizeof(*l));
	l->cut = a->question_end;
	for (unsigned i = 0; i < an; i++) {
		size_t end;

		if (l->n_run > 0 && !is_run_over && is_same_slot(a, off, l)) {
			end = off + l->slot;
			l->n_run++;
		} else {
			if (nd_dns_rr_walk(a->wire, a->len, off, &rr) < 0)
				break;
			end = rr.end;
			if (l->n_run > 0) {
				is_run_over = true;
			} else if (!is_run_over &&
				   nd_get16(a->wire + rr.fixed) == rtype &&
				   rr.rdlen == rdlen) {
				l->run_start = rr.owner;
				l->slot = rr.end - rr.owner;
				l->head = rr.fixed + 4 - rr.owner;
				l->n_run = 1;
			}
		}
		off = end;
		if (is_truncated && end <= room) {
			l->cut = end;
			l->n_kept = (uint16_t)(i + 1);
		}
		if (is_run_over && (!is_truncated || end > room))
			break;
	}
	if (l->n_run < 2)
		l->slot = 0;
}

/*
 * Is every name of the record at out[rr] readable from out[0..end)? The
 * owner is read unless is_owner_known; the names RFC 1035 and
 * RFC 2782 put in RDATA, where a server may have compressed them, always;
 * other types carry none that a client would follow (RFC 3597 4).
 */
static bool names_within(const uint8_t *out, size_t end,
			 const struct nd_dns_rr *rr, bool is_owner_known)
{
	uint8_t name[ND_DNS_MAX_NAME];
	size_t n;
	int r;

	if (!is_owner_known &&
	    nd_dns_name_read(out, end, rr->owner, name, &n, false) < 0)
		return false;

	size_t at = rr->rdata, names = 1;

	switch (nd_get16(out + rr->fixed)) {
	case ND_TYPE_NS:
	case ND_TYPE_CNAME:
	case ND_TYPE_PTR:
		break;
	case ND_TYPE_MX:
		at += 2;
		break;
	case ND_TYPE_SRV:
		at += 6;
		break;
	case ND_TYPE_SOA:
		names = 2;
		break;
	default:
		return true;
	}
	for (size_t i = 0; i < names; i++) {
		r = nd_dns_name_read(out, rr->end, at, name, &n, false);
		if (r < 0 || (size_t)r > rr->end)
			return false;
		at = (size_t)r;
	}
	return true;
}

/*
 * The kept records of a truncated answer form a message of their own
 * only if no compression pointer in them reaches past the cut. Our store
 * writes only backward pointers (dns/rrset_writer.c), and so do the
 * servers we know of, but RFC 1035 4.1.4 does not forbid others: the
 * cut moves in front of the first record that would read past it. An
 * owner spelled byte for byte as one already read reads the same name
 * (pointers are absolute), so a run of equal owners is read once.
 */
static void cut_to_whole_names(const uint8_t *out, size_t question_end,
			       struct an_layout *l)
{
	size_t off = question_end, known = 0, known_len = 0;
	struct nd_dns_rr rr;

	for (uint16_t i = 0; i < l->n_kept; i++) {
		bool is_whole = nd_dns_rr_walk(out, l->cut, off, &rr) == 0;
		size_t len = is_whole ? rr.fixed - rr.owner : 0;

		if (is_whole) {
			bool is_known = len == known_len &&
					memcmp(out + rr.owner, out + known,
					       len) == 0;

			is_whole = names_within(out, l->cut, &rr, is_known);
		}
		if (!is_whole) {
			l->cut = off;
			l->n_kept = i;
			return;
		}
		known = rr.owner;
		known_len = len;
		off = rr.end;
	}
}

/* Round-robin position of this thread: each rotated answer takes the
 * next, so that successive answers lead with different addresses. */
static __thread uint32_t rotation;

/*
 * Copy the stored message's first cut bytes to out with the slots of the
 * run rotated left by a per-answer step, so that every address leads in
 * turn (CoreDNS's loadbalance). Done while copying, before the cut, so
 * that clients that get only some records get different ones.
 */
static void copy_rotated(const uint8_t *wire, const struct an_layout *l,
			 size_t cut, uint8_t *out)
{
	if (l->slot == 0 || cut <= l->run_start) {
		memcpy(out, wire, cut);
		return;
	}

	size_t shift = rotation++ % l->n_run;
	size_t run_len = l->slot * l->n_run;
	size_t run_end = l->run_start + run_len;
	size_t head = (l->n_run - shift) * l->slot; /* slots shift.. first */
	size_t room = (cut < run_end ? cut : run_end) - l->run_start;
	uint8_t *o = out + l->run_start;
	const uint8_t *r = wire + l->run_start;

	memcpy(out, wire, l->run_start);
	memcpy(o, r + shift * l->slot, head < room ? head : room);
	if (room > head)
		memcpy(o + head, r, room - head);
	if (cut > run_end)
		memcpy(out + run_end, wire + run_end, cut - run_end);
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
	uint16_t rtype = q->qtype == ND_TYPE_A || q->qtype == ND_TYPE_AAAA
				 ? q->qtype
				 : 0;
	struct an_layout l = {.cut = a->len};

	/* Only answers that can rotate or must be cut are walked; most are
	 * one record and copied as they are. */
	if (is_truncated || (rtype != 0 && nd_get16(a->wire + 6) >= 2))
		an_layout(a, rtype, is_truncated,
			  limit > opt_len ? limit - opt_len : 0, &l);
	if (!is_truncated)
		l.cut = a->len;

	size_t n = l.cut;

	if (cap < n + opt_len)
		return ND_ENOSPACE;
	copy_rotated(a->wire, &l, n, out);
	if (is_truncated) {
		cut_to_whole_names(out, a->question_end, &l);
		n = l.cut;
	}

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
		/*
		 * The answer records that fit, whole and in order, as Unbound
		 * and CoreDNS send them: stubs that do not retry over TCP
		 * (musl before 1.2.4) still get addresses to use. TC tells
		 * the others to ask again over TCP (RFC 2181 9); authority
		 * and additional records go.
		 */
		nd_put16(out + 6, l.n_kept);
		nd_put16(out + 8, 0);
		nd_put16(out + 10, 0);
	}
	for (size_t i = 0; i < a->n_ttl; i++) {
		uint8_t *p = out + a->ttl_off[i];
		uint32_t ttl;

		if ((size_t)a->ttl_off[i] + 4 > n)
			continue;
		if (is_stale) {
			/* RFC 8767 4: stale data goes out with a short TTL
			 * so clients come back soon. */
			ttl = ND_STALE_TTL_S;
		} else {
			ttl = min32(ttl_value(nd_get32(p)), ttl_cap_s);
			ttl = ttl > age_s ? ttl - age_s : 0;
		}
		nd_put32(p, ttl);
	}
	if (q->has_edns) {
		int r = nd_response_add_opt(out, &n, cap, q, 0);

		if (r < 0)
			return r;
	}
	return (int)n;
}
