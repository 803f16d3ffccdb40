/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/answer.c: storing upstream answers and replaying them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/query.h"
#include "tests/unit/dns/msg_build.h"
#include "util/errors.h"

/* Fixed part of a record after an owner already written; returns the
 * offset of its TTL. */
static size_t rr_fixed(struct tm_msg *m, uint16_t type, uint32_t ttl,
		       uint16_t rdlen)
{
	tm_put16(m, type);
	tm_put16(m, ND_CLASS_IN);
	size_t at = m->n;
	tm_put32(m, ttl);
	tm_put16(m, rdlen);
	return at;
}

static void opt(struct tm_msg *m, uint8_t ext_rcode)
{
	tm_put8(m, 0);
	tm_put16(m, ND_TYPE_OPT);
	tm_put16(m, 1232);
	tm_put32(m, (uint32_t)ext_rcode << 24 | 0x8000u);
	tm_put16(m, 0);
}

/*
 * The reply of an upstream for "wWw.ExAmple.com A" (0x20 spelling):
 * answer: www CNAME web.example.com (compressed), web A 192.0.2.1;
 * authority: example.com NS ns.example.com; additional: ns A, then OPT,
 * then an A record after the OPT that must be dropped.
 */
#define UP_QNAME "wWw.ExAmple.com"
static size_t up_ttl_at[4];

static void upstream_answer(struct tm_msg *m)
{
	tm_hdr(m, 0xbeef, ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA | ND_FLAG_AD |
			       ND_FLAG_AA,
	    1, 2, 1, 3);
	tm_put_name(m, UP_QNAME); /* at 12; "ExAmple.com" at 16 */
	tm_put16(m, ND_TYPE_A);
	tm_put16(m, ND_CLASS_IN);
	/* www CNAME web.<16> */
	tm_put16(m, 0xc00c);
	up_ttl_at[0] = rr_fixed(m, ND_TYPE_CNAME, 300, 6);
	size_t web = m->n;
	tm_put8(m, 3);
	tm_put8(m, 'w');
	tm_put8(m, 'e');
	tm_put8(m, 'b');
	tm_put16(m, 0xc010);
	/* web A */
	tm_put16(m, (uint16_t)(0xc000 | web));
	up_ttl_at[1] = rr_fixed(m, ND_TYPE_A, 120, 4);
	tm_put32(m, 0xc0000201);
	/* example.com NS ns.example.com */
	tm_put16(m, 0xc010);
	up_ttl_at[2] = rr_fixed(m, ND_TYPE_NS, 3600, 5);
	size_t ns = m->n;
	tm_put8(m, 2);
	tm_put8(m, 'n');
	tm_put8(m, 's');
	tm_put16(m, 0xc010);
	/* ns A, kept */
	tm_put16(m, (uint16_t)(0xc000 | ns));
	up_ttl_at[3] = rr_fixed(m, ND_TYPE_A, 600, 4);
	tm_put32(m, 0xc0000235);
}

static void upstream_answer_full(struct tm_msg *m, size_t *kept_len)
{
	upstream_answer(m);
	*kept_len = m->n;
	opt(m, 0);
	/* After the OPT: dropped. */
	tm_put16(m, 0xc00c);
	rr_fixed(m, ND_TYPE_A, 5, 4);
	tm_put32(m, 0x7f000001);
}

/* The client's query for the same name, spelled its own way. */
static void client_query(struct nd_query *q, const char *name, bool has_edns)
{
	memset(q, 0, sizeof(*q));
	q->id = 0x4242;
	q->flags = ND_FLAG_RD;
	q->has_question = true;
	int n = nd_dns_name_from_text(name, q->qname, sizeof(q->qname));
	assert_true(n > 0);
	q->qname_len = (uint16_t)n;
	memcpy(q->qname_lc, q->qname, (size_t)n);
	nd_dns_name_lower(q->qname_lc, (size_t)n);
	q->qtype = ND_TYPE_A;
	q->qclass = ND_CLASS_IN;
	q->question_end = (uint16_t)(12 + n + 4);
	q->has_edns = has_edns;
	q->edns_udp_size = has_edns ? 1232 : 512;
}

struct stored {
	uint8_t wire[2048];
	uint16_t ttl[64];
	struct nd_answer a;
};

/* Parse from a heap copy of exactly len bytes (ASan sees overreads). */
static int parse_into(const uint8_t *p, size_t len, struct stored *s)
{
	uint8_t *d = malloc(len ? len : 1);

	assert_non_null(d);
	memcpy(d, p, len);
	int r = nd_answer_parse(d, len, s->wire, sizeof(s->wire), s->ttl,
				sizeof(s->ttl) / sizeof(s->ttl[0]), &s->a);
	free(d);
	return r;
}

static void test_parse(void **state)
{
	struct tm_msg m;
	struct stored s;
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_ptr_equal(s.a.wire, s.wire);
	assert_int_equal(s.a.len, kept);
	assert_int_equal(s.a.question_end, 12 + 17 + 4);
	assert_int_equal(s.a.n_ttl, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s.a.ttl_off[i], up_ttl_at[i]);
	assert_int_equal(s.a.rcode, ND_RCODE_NOERROR);
	assert_false(s.a.is_negative);
	/* The lowest TTL over every kept record. */
	assert_int_equal(s.a.ttl_s, 120);
	/* ID zeroed, ARCOUNT without the OPT and what followed it. */
	assert_int_equal(nd_get16(s.wire), 0);
	assert_int_equal(nd_get16(s.wire + 10), 1);
	assert_memory_equal(s.wire + 2, m.b + 2, 8);
	/* The question is stored in lower case, the rest as received. */
	assert_true(kept <= sizeof(m.b));
	uint8_t lc[sizeof(m.b)];
	memcpy(lc, m.b, kept);
	nd_dns_name_lower(lc + 12, s.a.question_end - 4 - 12);
	assert_memory_not_equal(lc + 12, m.b + 12, 17); /* it was mixed */
	assert_memory_equal(s.wire + 12, lc + 12, kept - 12);
}

static void test_render_round_trip(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "WWW.example.COM", true);
	int n = nd_answer_render(&s.a, &q, 20, 86400, false, 1232, out,
				 sizeof(out));
	assert_int_equal(n, (int)kept + 11);
	assert_int_equal(nd_get16(out), 0x4242);
	/* AA and AD cleared; RD from the query; RA set. */
	assert_int_equal(nd_get16(out + 2),
			 ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA);
	assert_int_equal(nd_get16(out + 4), 1);
	assert_int_equal(nd_get16(out + 6), 2);
	assert_int_equal(nd_get16(out + 8), 1);
	assert_int_equal(nd_get16(out + 10), 2);
	/* The client's spelling. */
	assert_memory_equal(out + 12, q.qname, q.qname_len);
	/* TTLs aged by 20 s. */
	assert_int_equal(nd_get32(out + up_ttl_at[0]), 280);
	assert_int_equal(nd_get32(out + up_ttl_at[1]), 100);
	assert_int_equal(nd_get32(out + up_ttl_at[2]), 3580);
	assert_int_equal(nd_get32(out + up_ttl_at[3]), 580);
	/* Everything else as received (rdata, compression pointers). */
	assert_memory_equal(out + up_ttl_at[0] + 4, m.b + up_ttl_at[0] + 4,
			    up_ttl_at[1] - up_ttl_at[0] - 4);
	/* Our OPT, re-added. */
	assert_int_equal(out[kept], 0);
	assert_int_equal(nd_get16(out + kept + 1), ND_TYPE_OPT);
	assert_int_equal(nd_get16(out + kept + 3), ND_EDNS_ADVERTISED);

	/* What we send is itself a well-formed answer. */
	struct stored again;
	assert_int_equal(parse_into(out, (size_t)n, &again), 0);
	assert_int_equal(again.a.len, kept);
	assert_int_equal(again.a.ttl_s, 100);

	/* Without EDNS: no OPT, ARCOUNT as stored; RD clear echoed. */
	client_query(&q, "www.EXAMPLE.com", false);
	q.flags = 0;
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 65535, out,
			     sizeof(out));
	assert_int_equal(n, (int)kept);
	assert_int_equal(nd_get16(out + 2), ND_FLAG_QR | ND_FLAG_RA);
	assert_int_equal(nd_get16(out + 10), 1);
	assert_memory_equal(out + 12, q.qname, q.qname_len);
	assert_int_equal(nd_get32(out + up_ttl_at[1]), 120);
	/* The stored copy is untouched by rendering. */
	assert_int_equal(nd_get16(s.wire), 0);
	uint8_t lc[sizeof(m.b)];
	memcpy(lc, m.b, kept);
	nd_dns_name_lower(lc + 12, s.a.question_end - 4 - 12);
	assert_memory_equal(s.wire + 12, lc + 12, kept - 12);
}

static void test_ttl_cap_age_stale(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "www.example.com", false);

	/* Cap 60, age 10: every TTL 50. */
	assert_int_equal(nd_answer_render(&s.a, &q, 10, 60, false, 65535, out,
					  sizeof(out)),
			 (int)kept);
	for (int i = 0; i < 4; i++)
		assert_int_equal(nd_get32(out + up_ttl_at[i]), 50);
	/* Aged past some TTLs: floored at 0. */
	nd_answer_render(&s.a, &q, 500, 86400, false, 65535, out, sizeof(out));
	assert_int_equal(nd_get32(out + up_ttl_at[0]), 0);
	assert_int_equal(nd_get32(out + up_ttl_at[1]), 0);
	assert_int_equal(nd_get32(out + up_ttl_at[2]), 3100);
	assert_int_equal(nd_get32(out + up_ttl_at[3]), 100);
	/* Stale: 30 everywhere, whatever the age (RFC 8767). */
	nd_answer_render(&s.a, &q, 100000, 86400, true, 65535, out,
			 sizeof(out));
	for (int i = 0; i < 4; i++)
		assert_int_equal(nd_get32(out + up_ttl_at[i]), ND_STALE_TTL_S);
}

static void test_ttl_top_bit(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];

	(void)state;
	upstream_answer(&m);
	nd_put32(m.b + up_ttl_at[2], 0x80000001u);
	nd_put16(m.b + 10, 1);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	/* RFC 2181 8: read as 0, so the answer is not cached. */
	assert_int_equal(s.a.ttl_s, 0);
	client_query(&q, "www.example.com", false);
	nd_answer_render(&s.a, &q, 0, 86400, false, 65535, out, sizeof(out));
	assert_int_equal(nd_get32(out + up_ttl_at[2]), 0);
	assert_int_equal(nd_get32(out + up_ttl_at[1]), 120);
}

static void test_truncation(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "www.example.com", true);

	/* Exactly fits. */
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 86400, false, kept + 11,
					  out, sizeof(out)),
			 (int)kept + 11);
	assert_int_equal(nd_get16(out + 2) & ND_FLAG_TC, 0);
	/* One byte over: the answer records (CNAME, A) whole, TC set, the
	 * authority and additional records gone, OPT kept. */
	int n = nd_answer_render(&s.a, &q, 0, 86400, false, kept + 10, out,
				 sizeof(out));
	assert_int_equal(n, 67 + 11);
	assert_int_equal(nd_get16(out + 2),
			 ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA | ND_FLAG_TC);
	assert_int_equal(nd_get16(out + 4), 1);
	assert_int_equal(nd_get16(out + 6), 2);
	assert_int_equal(nd_get16(out + 8), 0);
	assert_int_equal(nd_get16(out + 10), 1);
	assert_memory_equal(out + 12, q.qname, q.qname_len);
	assert_int_equal(nd_get32(out + up_ttl_at[1]), 120);
	assert_int_equal(nd_get16(out + 67 + 1), ND_TYPE_OPT);
	/* Room for the CNAME only: it alone (the A's owner points into its
	 * RDATA, below the cut). */
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 51 + 11 + 15, out,
			     sizeof(out));
	assert_int_equal(n, 51 + 11);
	assert_int_equal(nd_get16(out + 6), 1);
	assert_true(nd_get16(out + 2) & ND_FLAG_TC);
	/* Room for no record: header, question and OPT. */
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 50 + 11, out,
			     sizeof(out));
	assert_int_equal(n, 12 + 17 + 4 + 11);
	assert_int_equal(nd_get16(out + 6), 0);
	assert_int_equal(nd_get16(out + 12 + 17 + 4 + 1), ND_TYPE_OPT);
	/* Without EDNS: no OPT, no additional. */
	client_query(&q, "www.example.com", false);
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 64, out, sizeof(out));
	assert_int_equal(n, 51);
	assert_int_equal(nd_get16(out + 6), 1);
	assert_int_equal(nd_get16(out + 10), 0);
	assert_true(nd_get16(out + 2) & ND_FLAG_TC);
	/* A limit below even the header still gets the short reply. */
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 0, out, sizeof(out));
	assert_int_equal(n, 12 + 17 + 4);
	assert_int_equal(nd_get16(out + 6), 0);
}

/*
 * An upstream's reply to "many.example.com" for qtype A or AAAA: with
 * has_cname first "many CNAME pool.example.com", then n address records
 * (192.0.2.<i+1> or 2001:db8::<i+1>) owned by the question's name (a
 * pointer to it) or by pool (a pointer into the CNAME's RDATA).
 */
#define MANY_QEND (12 + 18 + 4)

static void many_addrs(struct tm_msg *m, uint16_t qtype, bool has_cname,
		       int n)
{
	uint16_t owner = 0xc00c;

	tm_hdr(m, 0x1234, ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA, 1,
	       (uint16_t)(n + has_cname), 0, 0);
	tm_put_name(m, "many.example.com"); /* at 12; example.com at 17 */
	tm_put16(m, qtype);
	tm_put16(m, ND_CLASS_IN);
	if (has_cname) {
		tm_put16(m, 0xc00c);
		rr_fixed(m, ND_TYPE_CNAME, 300, 7);
		owner = (uint16_t)(0xc000 | m->n);
		tm_put8(m, 4);
		for (const char *c = "pool"; *c; c++)
			tm_put8(m, (uint8_t)*c);
		tm_put16(m, 0xc011);
	}
	for (int i = 0; i < n; i++) {
		tm_put16(m, owner);
		if (qtype == ND_TYPE_A) {
			rr_fixed(m, ND_TYPE_A, 60, 4);
			tm_put32(m, 0xc0000200u + (uint32_t)i + 1);
		} else {
			rr_fixed(m, ND_TYPE_AAAA, 60, 16);
			tm_put32(m, 0x20010db8);
			tm_put32(m, 0);
			tm_put32(m, 0);
			tm_put32(m, (uint32_t)i + 1);
		}
	}
}

static ldns_pkt *ldns_of(const uint8_t *out, int n)
{
	ldns_pkt *p = NULL;

	assert_true(n > 0);
	assert_int_equal(ldns_wire2pkt(&p, out, (size_t)n), LDNS_STATUS_OK);
	return p;
}

/* The last byte of the address of answer record i (1..n), checking
 * that it is one of ours, of the question's type, owned by owner. */
static int addr_at(ldns_pkt *p, size_t i, ldns_rr_type type,
		   const char *owner)
{
	ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), i);
	char *o = ldns_rdf2str(ldns_rr_owner(rr));
	ldns_rdf *rd = ldns_rr_rdf(rr, 0);
	size_t len = ldns_rdf_size(rd);

	assert_int_equal(ldns_rr_get_type(rr), type);
	assert_string_equal(o, owner);
	free(o);
	assert_int_equal(len, type == LDNS_RR_TYPE_A ? 4 : 16);
	return ldns_rdf_data(rd)[len - 1];
}

static void test_truncate_whole_records(void **state)
{
	struct tm_msg m;
	struct stored s, again;
	struct nd_query q;
	uint8_t out[2048];

	(void)state;
	many_addrs(&m, ND_TYPE_A, false, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.ttl_s, 60);

	for (int edns = 0; edns <= 1; edns++) {
		size_t opt_len = edns ? 11 : 0;
		size_t fit = (512 - MANY_QEND - opt_len) / 16;

		client_query(&q, "many.example.com", edns);
		int n = nd_answer_render(&s.a, &q, 0, 86400, false, 512, out,
					 sizeof(out));
		assert_int_equal(n, (int)(MANY_QEND + fit * 16 + opt_len));

		ldns_pkt *p = ldns_of(out, n);
		bool seen[61] = {false};

		assert_true(ldns_pkt_tc(p));
		assert_int_equal(ldns_pkt_ancount(p), fit);
		assert_int_equal(ldns_pkt_nscount(p), 0);
		assert_int_equal(ldns_pkt_arcount(p), 0); /* ldns takes OPT */
		assert_int_equal(ldns_pkt_edns(p), edns);
		for (size_t i = 0; i < fit; i++) {
			int a = addr_at(p, i, LDNS_RR_TYPE_A,
					"many.example.com.");

			assert_true(a >= 1 && a <= 60 && !seen[a]);
			seen[a] = true;
			assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(
						 ldns_pkt_answer(p), i)),
					 60);
		}
		ldns_pkt_free(p);
		/* Consecutive: a rotation of 1..60, cut. */
		int first = out[MANY_QEND + 15];

		for (size_t i = 1; i < fit; i++)
			assert_int_equal(out[MANY_QEND + i * 16 + 15],
					 (first - 1 + (int)i) % 60 + 1);
		/* A truncated answer is never cached (RFC 2181 9). */
		assert_int_equal(parse_into(out, (size_t)n, &again), 0);
		assert_int_equal(again.a.ttl_s, 0);
	}

	/* Behind a CNAME: the CNAME first, then the addresses that fit. */
	many_addrs(&m, ND_TYPE_A, true, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "many.example.com", false);
	int n = nd_answer_render(&s.a, &q, 0, 86400, false, 512, out,
				 sizeof(out));
	ldns_pkt *p = ldns_of(out, n);
	size_t fit = (512 - MANY_QEND - 19) / 16;

	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_ancount(p), 1 + fit);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p),
							  0)),
			 LDNS_RR_TYPE_CNAME);
	for (size_t i = 1; i <= fit; i++)
		addr_at(p, i, LDNS_RR_TYPE_A, "pool.example.com.");
	ldns_pkt_free(p);
}

/* Render n times; each first address goes to firsts[]. Every answer is
 * complete: has_cname's CNAME first, then a rotation of 1..count. */
static void render_firsts(const struct stored *s, uint16_t qtype,
			  bool has_cname, int count, int *firsts, int n)
{
	struct nd_query q;
	uint8_t out[2048];
	ldns_rr_type type = qtype == ND_TYPE_A ? LDNS_RR_TYPE_A
					       : LDNS_RR_TYPE_AAAA;
	const char *owner = has_cname ? "pool.example.com."
				      : "many.example.com.";

	client_query(&q, "many.example.com", true);
	q.qtype = qtype;
	for (int k = 0; k < n; k++) {
		int len = nd_answer_render(&s->a, &q, 0, 86400, false, 65535,
					   out, sizeof(out));
		ldns_pkt *p = ldns_of(out, len);
		size_t at = has_cname ? 1 : 0;

		assert_false(ldns_pkt_tc(p));
		assert_int_equal(ldns_pkt_ancount(p), count + has_cname);
		if (has_cname)
			assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(
						 ldns_pkt_answer(p), 0)),
					 LDNS_RR_TYPE_CNAME);
		firsts[k] = addr_at(p, at, type, owner);
		for (int i = 1; i < count; i++)
			assert_int_equal(addr_at(p, at + (size_t)i, type,
						 owner),
					 (firsts[k] - 1 + i) % count + 1);
		ldns_pkt_free(p);
	}
}

static void test_rotation(void **state)
{
	struct tm_msg m;
	struct stored s;
	int firsts[8];
	bool seen[9];

	(void)state;
	/* Five addresses, five answers: each leads once. */
	many_addrs(&m, ND_TYPE_A, false, 5);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	render_firsts(&s, ND_TYPE_A, false, 5, firsts, 5);
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 5; k++) {
		assert_false(seen[firsts[k]]);
		seen[firsts[k]] = true;
	}

	/* Behind a CNAME, and for AAAA. */
	many_addrs(&m, ND_TYPE_A, true, 3);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	render_firsts(&s, ND_TYPE_A, true, 3, firsts, 2);
	assert_int_not_equal(firsts[0], firsts[1]);
	many_addrs(&m, ND_TYPE_AAAA, false, 4);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	render_firsts(&s, ND_TYPE_AAAA, false, 4, firsts, 2);
	assert_int_not_equal(firsts[0], firsts[1]);

	/* Truncated: two clients get different subsets. */
	struct nd_query q;
	uint8_t a[2048], b[2048];

	many_addrs(&m, ND_TYPE_A, false, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "many.example.com", false);
	int na = nd_answer_render(&s.a, &q, 0, 86400, false, 512, a, sizeof(a));
	int nb = nd_answer_render(&s.a, &q, 0, 86400, false, 512, b, sizeof(b));

	assert_int_equal(na, nb);
	assert_true(nd_get16(a + 2) & ND_FLAG_TC);
	assert_int_not_equal(a[MANY_QEND + 15], b[MANY_QEND + 15]);

	/* A single address, or another question type: as stored. */
	many_addrs(&m, ND_TYPE_A, false, 1);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	render_firsts(&s, ND_TYPE_A, false, 1, firsts, 2);
}

/* Owners spelled differently (one in full, the others pointing at it)
 * are slots of different sizes: nothing rotates. */
static void test_rotation_skipped(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t a[2048], b[2048];

	(void)state;
	tm_hdr(&m, 1, ND_FLAG_QR | ND_FLAG_RA, 1, 3, 0, 0);
	tm_put_name(&m, "many.example.com");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	size_t first = m.n;
	tm_put_name(&m, "many.example.com");
	rr_fixed(&m, ND_TYPE_A, 60, 4);
	tm_put32(&m, 0xc0000201);
	for (uint32_t i = 2; i <= 3; i++) {
		tm_put16(&m, (uint16_t)(0xc000 | first));
		rr_fixed(&m, ND_TYPE_A, 60, 4);
		tm_put32(&m, 0xc0000200 + i);
	}
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "many.example.com", false);
	int na = nd_answer_render(&s.a, &q, 0, 86400, false, 65535, a,
				  sizeof(a));
	int nb = nd_answer_render(&s.a, &q, 0, 86400, false, 65535, b,
				  sizeof(b));

	assert_int_equal(na, (int)m.n);
	assert_int_equal(nb, na);
	assert_memory_equal(a + 12, b + 12, (size_t)na - 12);
	assert_memory_equal(a + MANY_QEND, m.b + MANY_QEND,
			    (size_t)na - MANY_QEND);
}

/*
 * A record whose owner points forward, past the cut, would leave the
 * client a dangling pointer: the cut moves in front of it.
 */
static void test_truncate_forward_pointer(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];

	(void)state;
	tm_hdr(&m, 1, ND_FLAG_QR | ND_FLAG_RA, 1, 3, 0, 0);
	tm_put_name(&m, "many.example.com");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	tm_put16(&m, 0xc00c); /* 34..50 */
	rr_fixed(&m, ND_TYPE_A, 60, 4);
	tm_put32(&m, 0xc0000201);
	tm_put16(&m, 0xc000 | 66); /* 50..66, owner: the next record's */
	rr_fixed(&m, ND_TYPE_A, 60, 4);
	tm_put32(&m, 0xc0000202);
	tm_put_name(&m, "many.example.com"); /* 66.. */
	rr_fixed(&m, ND_TYPE_A, 60, 4);
	tm_put32(&m, 0xc0000203);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "many.example.com", false);

	/* Room for two records: the second's owner is past the cut. */
	int n = nd_answer_render(&s.a, &q, 0, 86400, false, 70, out,
				 sizeof(out));
	assert_int_equal(n, 50);
	assert_int_equal(nd_get16(out + 6), 1);
	assert_true(nd_get16(out + 2) & ND_FLAG_TC);
	ldns_pkt *p = ldns_of(out, n);
	assert_int_equal(addr_at(p, 0, LDNS_RR_TYPE_A, "many.example.com."),
			 1);
	ldns_pkt_free(p);
	/* Whole, it is as the upstream sent it. */
	n = nd_answer_render(&s.a, &q, 0, 86400, false, 512, out, sizeof(out));
	assert_int_equal(n, (int)m.n);
	assert_int_equal(nd_get16(out + 6), 3);
}

static void test_render_enospace(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "www.example.com", true);
	for (size_t cap = 0; cap < kept + 11; cap++) {
		uint8_t *o = malloc(cap ? cap : 1);
		assert_non_null(o);
		assert_int_equal(nd_answer_render(&s.a, &q, 0, 86400, false,
						  65535, o, cap),
				 ND_ENOSPACE);
		free(o);
	}
	/* The truncated form needs room for what it keeps only. */
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 86400, false, 100, out,
					  67 + 11),
			 67 + 11);
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 86400, false, 100, out,
					  67 + 10),
			 ND_ENOSPACE);
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 86400, false, 40, out,
					  12 + 17 + 4 + 11),
			 12 + 17 + 4 + 11);
}

static void test_render_einval(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	struct nd_answer bad;
	uint8_t out[2048];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	client_query(&q, "www.example.com", false);
	assert_int_equal(nd_answer_render(NULL, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	assert_int_equal(nd_answer_render(&s.a, NULL, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 1, false, 512, NULL,
					  sizeof(out)),
			 -EINVAL);
	bad = s.a;
	bad.len = 11;
	assert_int_equal(nd_answer_render(&bad, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	bad = s.a;
	bad.question_end = (uint16_t)(bad.len + 1);
	assert_int_equal(nd_answer_render(&bad, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	bad = s.a;
	uint16_t offs[1] = { (uint16_t)(bad.len - 3) };
	bad.ttl_off = offs;
	bad.n_ttl = 1;
	assert_int_equal(nd_answer_render(&bad, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	/* Another length of name. */
	client_query(&q, "ww.example.com", false);
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	/* Same length, another name. */
	client_query(&q, "wxw.example.com", false);
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	/* Another type. */
	client_query(&q, "www.example.com", false);
	q.qtype = ND_TYPE_AAAA;
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
	/* No question. */
	client_query(&q, "www.example.com", false);
	q.has_question = false;
	assert_int_equal(nd_answer_render(&s.a, &q, 0, 1, false, 512, out,
					  sizeof(out)),
			 -EINVAL);
}

/* NXDOMAIN with the SOA in the authority section, names compressed. */
static void nxdomain(struct tm_msg *m, uint16_t rcode, uint32_t soa_ttl,
		     uint32_t minimum)
{
	tm_hdr(m, 1, ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA | rcode, 1, 0, 1, 1);
	tm_put_name(m, "nope.example.com"); /* "example.com" at 17 */
	tm_put16(m, ND_TYPE_A);
	tm_put16(m, ND_CLASS_IN);
	tm_put16(m, 0xc011);
	rr_fixed(m, ND_TYPE_SOA, soa_ttl, 2 + 2 + 2 + 2 + 20);
	tm_put8(m, 1);
	tm_put8(m, 'a'); /* a.<example.com> */
	tm_put16(m, 0xc011);
	tm_put8(m, 1);
	tm_put8(m, 'h'); /* h.<example.com> */
	tm_put16(m, 0xc011);
	tm_put32(m, 2026010101); /* serial */
	tm_put32(m, 7200);
	tm_put32(m, 900);
	tm_put32(m, 1209600);
	tm_put32(m, minimum);
	opt(m, 0);
}

static void test_negative(void **state)
{
	struct tm_msg m;
	struct stored s;
	struct nd_query q;
	uint8_t out[2048];

	(void)state;
	nxdomain(&m, ND_RCODE_NXDOMAIN, 900, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.rcode, ND_RCODE_NXDOMAIN);
	assert_true(s.a.is_negative);
	assert_int_equal(s.a.ttl_s, 60);
	assert_int_equal(s.a.n_ttl, 1);
	assert_int_equal(nd_get16(s.wire + 10), 0);
	assert_int_equal(s.a.len, m.n - 11);

	nxdomain(&m, ND_RCODE_NXDOMAIN, 300, 3600);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.ttl_s, 300);

	/* Rendered with the rcode, the SOA TTL aged. */
	client_query(&q, "NOPE.example.com", true);
	int n = nd_answer_render(&s.a, &q, 100, 86400, false, 512, out,
				 sizeof(out));
	assert_int_equal(n, (int)s.a.len + 11);
	assert_int_equal(nd_get16(out + 2) & ND_FLAG_RCODE_MASK,
			 ND_RCODE_NXDOMAIN);
	assert_int_equal(nd_get32(out + s.a.ttl_off[0]), 200);

	/* NODATA: NOERROR, no answer. */
	nxdomain(&m, ND_RCODE_NOERROR, 900, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_true(s.a.is_negative);
	assert_int_equal(s.a.ttl_s, 60);

	/* Negative without an SOA: not cached (RFC 2308 5). */
	tm_hdr(&m, 1, ND_FLAG_QR | ND_RCODE_NXDOMAIN, 1, 0, 0, 0);
	tm_put_name(&m, "nope.example.com");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_true(s.a.is_negative);
	assert_int_equal(s.a.ttl_s, 0);
	assert_int_equal(s.a.n_ttl, 0);

	/* SOA MINIMUM with the top bit set reads as 0. */
	nxdomain(&m, ND_RCODE_NXDOMAIN, 900, 0x80000000u);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.ttl_s, 0);
}

static void test_other_rcodes(void **state)
{
	struct tm_msg m;
	struct stored s;

	(void)state;
	nxdomain(&m, ND_RCODE_SERVFAIL, 900, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.rcode, ND_RCODE_SERVFAIL);
	assert_false(s.a.is_negative);
	assert_int_equal(s.a.ttl_s, 0);

	nxdomain(&m, ND_RCODE_REFUSED, 900, 60);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.ttl_s, 0);

	/* BADVERS from upstream (ext 1, header 0): a server failure. */
	nxdomain(&m, ND_RCODE_NOERROR, 900, 60);
	m.b[m.n - 6] = 1;
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.rcode, ND_RCODE_SERVFAIL);
	assert_false(s.a.is_negative);
	assert_int_equal(s.a.ttl_s, 0);
	assert_int_equal(nd_get16(s.wire + 2) & ND_FLAG_RCODE_MASK,
			 ND_RCODE_SERVFAIL);

	/* A truncated upstream reply is not cached. */
	struct tm_msg up;
	size_t kept;
	upstream_answer_full(&up, &kept);
	up.b[2] |= ND_FLAG_TC >> 8;
	assert_int_equal(parse_into(up.b, up.n, &s), 0);
	assert_int_equal(s.a.ttl_s, 0);
}

static void test_malformed(void **state)
{
	struct tm_msg m;
	struct stored s;
	size_t kept;

	(void)state;
	/* QR clear: a query, not an answer. */
	upstream_answer_full(&m, &kept);
	m.b[2] &= 0x7f;
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* More records announced than sent. */
	upstream_answer_full(&m, &kept);
	nd_put16(m.b + 10, 4);
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* A record after the OPT running past the end (still checked). */
	upstream_answer_full(&m, &kept);
	m.n -= 1;
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* OPT in the answer section. */
	tm_hdr(&m, 1, ND_FLAG_QR, 1, 1, 0, 0);
	tm_put_name(&m, "x");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	opt(&m, 0);
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* Two OPTs. */
	tm_hdr(&m, 1, ND_FLAG_QR, 1, 0, 0, 2);
	tm_put_name(&m, "x");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	opt(&m, 0);
	opt(&m, 0);
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* OPT owned by another name. */
	tm_hdr(&m, 1, ND_FLAG_QR, 1, 0, 0, 1);
	tm_put_name(&m, "x");
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	tm_put16(&m, 0xc00c);
	rr_fixed(&m, ND_TYPE_OPT, 0, 0);
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* SOA whose RDATA is too short for its five numbers. */
	nxdomain(&m, ND_RCODE_NXDOMAIN, 900, 60);
	size_t rdlen_at = 12 + 18 + 4 + 2 + 8;
	assert_int_equal(nd_get16(m.b + rdlen_at), 28);
	nd_put16(m.b + rdlen_at, 27);
	/* Keep the message well-formed otherwise: drop one byte of rdata. */
	memmove(m.b + rdlen_at + 2 + 27, m.b + rdlen_at + 2 + 28,
		m.n - (rdlen_at + 2 + 28));
	m.n -= 1;
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* SOA whose MNAME runs out of the RDATA. */
	nxdomain(&m, ND_RCODE_NXDOMAIN, 900, 60);
	nd_put16(m.b + rdlen_at, 3);
	nd_put16(m.b + 8, 1);
	nd_put16(m.b + 10, 0);
	m.n = rdlen_at + 2 + 3;
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* Extended label type in the question. */
	tm_hdr(&m, 1, ND_FLAG_QR, 1, 0, 0, 0);
	tm_put8(&m, 0x41);
	tm_put8(&m, 'x');
	tm_put8(&m, 0);
	tm_put16(&m, ND_TYPE_A);
	tm_put16(&m, ND_CLASS_IN);
	assert_int_equal(parse_into(m.b, m.n, &s), ND_EMALFORMED);
	/* Shorter than a header. */
	assert_int_equal(parse_into(m.b, 11, &s), ND_EMALFORMED);
}

static void test_every_prefix(void **state)
{
	struct tm_msg m, n;
	struct stored s;
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	for (size_t len = 0; len < m.n; len++)
		assert_int_equal(parse_into(m.b, len, &s), ND_EMALFORMED);
	nxdomain(&n, ND_RCODE_NXDOMAIN, 900, 60);
	for (size_t len = 0; len < n.n; len++)
		assert_int_equal(parse_into(n.b, len, &s), ND_EMALFORMED);
	/* Trailing bytes are ignored. */
	tm_put8(&m, 0xff);
	assert_int_equal(parse_into(m.b, m.n, &s), 0);
	assert_int_equal(s.a.len, kept);
}

static void test_parse_enospace_einval(void **state)
{
	struct tm_msg m;
	struct nd_answer a;
	uint8_t wire[2048];
	uint16_t ttl[8];
	size_t kept;

	(void)state;
	upstream_answer_full(&m, &kept);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, kept - 1, ttl, 8, &a),
			 ND_ENOSPACE);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, kept, ttl, 8, &a), 0);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, sizeof(wire), ttl, 3,
					 &a),
			 ND_ENOSPACE);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, sizeof(wire), ttl, 4,
					 &a),
			 0);
	assert_int_equal(nd_answer_parse(NULL, m.n, wire, sizeof(wire), ttl, 8,
					 &a),
			 -EINVAL);
	assert_int_equal(nd_answer_parse(m.b, m.n, NULL, sizeof(wire), ttl, 8,
					 &a),
			 -EINVAL);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, sizeof(wire), NULL, 8,
					 &a),
			 -EINVAL);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, sizeof(wire), ttl, 8,
					 NULL),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_render_round_trip),
		cmocka_unit_test(test_ttl_cap_age_stale),
		cmocka_unit_test(test_ttl_top_bit),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_truncate_whole_records),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_skipped),
		cmocka_unit_test(test_truncate_forward_pointer),
		cmocka_unit_test(test_render_enospace),
		cmocka_unit_test(test_render_einval),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_other_rcodes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_parse_enospace_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
