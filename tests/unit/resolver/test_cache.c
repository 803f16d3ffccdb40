/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dns/answer.h"
#include "resolver/cache.h"
#include "dns/wire.h"
#include "dns/query.h"
#include "util/rcu.h"

#define T0 1000000ull /* an arbitrary monotonic start, in ms */
#define BIG_LIMIT 65535

/*
 * A stored answer built by hand: header, one question, n records whose
 * owner is a pointer to the question name, each with its own TTL.
 */
struct msg {
	uint8_t wire[4096];
	uint16_t ttl_off[8];
	struct nd_answer a;
};

static size_t name_to_wire(const char *text, uint8_t *out)
{
	size_t n = 0;

	while (*text != '\0') {
		const char *dot = strchr(text, '.');
		size_t l = dot != NULL ? (size_t)(dot - text) : strlen(text);

		out[n++] = (uint8_t)l;
		memcpy(out + n, text, l);
		n += l;
		text += l;
		if (*text == '.')
			text++;
	}
	out[n++] = 0;
	return n;
}

/* n_rr records of rdlen bytes each; the first rdata byte is tag. */
static void build_msg(struct msg *m, const char *name, uint16_t qtype,
		      uint16_t qclass, unsigned int n_rr, uint32_t ttl,
		      uint16_t rdlen, uint8_t tag)
{
	size_t off = ND_DNS_HEADER_LEN, i;

	memset(m, 0, sizeof(*m));
	nd_put16(m->wire + 2, 0x8180);
	nd_put16(m->wire + 4, 1);
	nd_put16(m->wire + 6, (uint16_t)n_rr);
	off += name_to_wire(name, m->wire + off);
	nd_put16(m->wire + off, qtype);
	nd_put16(m->wire + off + 2, qclass);
	off += 4;
	m->a.question_end = (uint16_t)off;
	for (i = 0; i < n_rr; i++) {
		nd_put16(m->wire + off, 0xc00c);
		nd_put16(m->wire + off + 2, qtype);
		nd_put16(m->wire + off + 4, qclass);
		m->ttl_off[i] = (uint16_t)(off + 6);
		nd_put32(m->wire + off + 6, ttl + (uint32_t)i * 100);
		nd_put16(m->wire + off + 10, rdlen);
		off += 12;
		memset(m->wire + off, 0x5a, rdlen);
		if (rdlen > 0)
			m->wire[off] = tag;
		off += rdlen;
	}
	m->a.wire = m->wire;
	m->a.len = (uint16_t)off;
	m->a.ttl_off = m->ttl_off;
	m->a.n_ttl = (uint16_t)n_rr;
	m->a.rcode = ND_RCODE_NOERROR;
	m->a.is_negative = false;
	m->a.ttl_s = ttl;
}

/* A positive answer: two A records, TTLs ttl and ttl + 100. */
static void build_a(struct msg *m, const char *name, uint32_t ttl, uint8_t tag)
{
	build_msg(m, name, ND_TYPE_A, ND_CLASS_IN, 2, ttl, 4, tag);
}

/* A negative answer (NXDOMAIN) with no records. */
static void build_nx(struct msg *m, const char *name, uint32_t ttl)
{
	build_msg(m, name, ND_TYPE_A, ND_CLASS_IN, 0, ttl, 0, 0);
	m->wire[3] = (uint8_t)(m->wire[3] | ND_RCODE_NXDOMAIN);
	m->a.rcode = ND_RCODE_NXDOMAIN;
	m->a.is_negative = true;
	m->a.ttl_s = ttl;
}

/* A query as nd_query_parse would leave it; spelled keeps its case. */
static void make_query(struct nd_query *q, const char *spelled, uint16_t qtype,
		       uint16_t qclass, uint16_t id)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	q->id = id;
	q->flags = ND_FLAG_RD;
	q->has_question = true;
	q->qname_len = (uint16_t)name_to_wire(spelled, q->qname);
	for (i = 0; i < q->qname_len; i++) {
		uint8_t b = q->qname[i];

		q->qname_lc[i] = (b >= 'A' && b <= 'Z') ? (uint8_t)(b + 32) : b;
	}
	q->qtype = qtype;
	q->qclass = qclass;
	q->question_end = (uint16_t)(ND_DNS_HEADER_LEN + q->qname_len + 4);
	q->edns_udp_size = ND_DNS_MIN_UDP;
}

static int put(struct nd_cache *c, const char *name, uint16_t qtype,
	       uint16_t qclass, const struct msg *m, uint64_t now_ms)
{
	uint8_t lc[ND_DNS_MAX_NAME];
	size_t len = name_to_wire(name, lc);

	return nd_cache_put(c, lc, len, qtype, qclass, &m->a, now_ms);
}

static int put_a(struct nd_cache *c, const char *name, const struct msg *m,
		 uint64_t now_ms)
{
	return put(c, name, ND_TYPE_A, ND_CLASS_IN, m, now_ms);
}

/* Build name's own answer (the renderer checks that the stored question
 * is the one asked) and store it. */
static int put_new(struct nd_cache *c, const char *name, uint32_t ttl,
		   uint64_t now_ms)
{
	struct msg m;

	build_a(&m, name, ttl, 1);
	return put_a(c, name, &m, now_ms);
}

static uint8_t out_buf[ND_DNS_MAX_MSG];
static size_t out_len;

static int ask(struct nd_cache *c, const char *name, uint16_t qtype,
	       uint16_t qclass, uint16_t id, uint64_t now_ms, bool allow_stale)
{
	struct nd_query q;

	make_query(&q, name, qtype, qclass, id);
	out_len = 0;
	return nd_cache_answer(c, &q, now_ms, allow_stale, BIG_LIMIT, out_buf,
			       sizeof(out_buf), &out_len);
}

static int ask_a(struct nd_cache *c, const char *name, uint64_t now_ms,
		 bool allow_stale)
{
	return ask(c, name, ND_TYPE_A, ND_CLASS_IN, 0x1234, now_ms,
		   allow_stale);
}

static struct nd_cache_options default_opt(void)
{
	struct nd_cache_options o = {
		.max_bytes = 64u << 20,
		.min_ttl_s = 0,
		.max_ttl_s = 86400,
		.neg_max_ttl_s = 3600,
		.stale_s = 0,
	};
	return o;
}

static struct nd_cache *new_cache(struct nd_cache_options o)
{
	struct nd_cache *c = nd_cache_new(&o);

	assert_non_null(c);
	return c;
}

static struct nd_cache_stats stats(struct nd_cache *c)
{
	struct nd_cache_stats st;

	memset(&st, 0xff, sizeof(st));
	nd_cache_get_stats(c, &st);
	return st;
}

static void test_new_free_null(void **state)
{
	(void)state;
	nd_cache_free(NULL);
	assert_null(nd_cache_new(NULL));
}

static void test_bad_args(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;
	struct nd_query q;
	uint8_t name[ND_DNS_MAX_NAME + 1];
	size_t len = name_to_wire("a.example", name);
	uint16_t bad_off[1];

	(void)state;
	build_a(&m, "a.example", 60, 1);
	assert_int_equal(nd_cache_put(NULL, name, len, 1, 1, &m.a, T0),
			 -EINVAL);
	assert_int_equal(nd_cache_put(c, NULL, len, 1, 1, &m.a, T0), -EINVAL);
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, NULL, T0), -EINVAL);
	assert_int_equal(nd_cache_put(c, name, 0, 1, 1, &m.a, T0), -EINVAL);
	assert_int_equal(
		nd_cache_put(c, name, ND_DNS_MAX_NAME + 1, 1, 1, &m.a, T0),
		-EINVAL);

	/* Stored answers that could not be rendered safely are refused. */
	m.a.wire = NULL;
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, &m.a, T0), -EINVAL);
	build_a(&m, "a.example", 60, 1);
	m.a.len = ND_DNS_HEADER_LEN - 1;
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, &m.a, T0), -EINVAL);
	build_a(&m, "a.example", 60, 1);
	m.a.question_end = (uint16_t)(m.a.len + 1);
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, &m.a, T0), -EINVAL);
	build_a(&m, "a.example", 60, 1);
	m.a.ttl_off = NULL;
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, &m.a, T0), -EINVAL);
	build_a(&m, "a.example", 60, 1);
	bad_off[0] = (uint16_t)(m.a.len - 3); /* TTL would run past the end */
	m.a.ttl_off = bad_off;
	m.a.n_ttl = 1;
	assert_int_equal(nd_cache_put(c, name, len, 1, 1, &m.a, T0), -EINVAL);
	assert_int_equal(stats(c).entries, 0);

	make_query(&q, "a.example", 1, 1, 7);
	assert_int_equal(nd_cache_answer(NULL, &q, T0, false, BIG_LIMIT,
					 out_buf, sizeof(out_buf), &out_len),
			 -EINVAL);
	assert_int_equal(nd_cache_answer(c, NULL, T0, false, BIG_LIMIT, out_buf,
					 sizeof(out_buf), &out_len),
			 -EINVAL);
	assert_int_equal(nd_cache_answer(c, &q, T0, false, BIG_LIMIT, NULL,
					 sizeof(out_buf), &out_len),
			 -EINVAL);
	assert_int_equal(nd_cache_answer(c, &q, T0, false, BIG_LIMIT, out_buf,
					 sizeof(out_buf), NULL),
			 -EINVAL);
	q.has_question = false;
	assert_int_equal(nd_cache_answer(c, &q, T0, false, BIG_LIMIT, out_buf,
					 sizeof(out_buf), &out_len),
			 -EINVAL);
	make_query(&q, "a.example", 1, 1, 7);
	q.qname_len = 0;
	assert_int_equal(nd_cache_answer(c, &q, T0, false, BIG_LIMIT, out_buf,
					 sizeof(out_buf), &out_len),
			 -EINVAL);

	/* These return nothing; they must simply not crash. */
	nd_cache_set_options(NULL, NULL);
	nd_cache_set_options(c, NULL);
	nd_cache_get_stats(c, NULL);
	nd_cache_get_stats(NULL, NULL);
	nd_cache_free(c);
}

static void test_hit_patches_id_and_ttl(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;

	(void)state;
	build_a(&m, "www.example.com", 300, 0xab);
	assert_int_equal(put_a(c, "www.example.com", &m, T0), 0);

	/* 10.999 s later: the age is 10 whole seconds. */
	assert_int_equal(ask(c, "www.example.com", ND_TYPE_A, ND_CLASS_IN,
			     0xbeef, T0 + 10999, false),
			 ND_CACHE_HIT);
	assert_int_equal(out_len, m.a.len);
	assert_int_equal(nd_get16(out_buf), 0xbeef);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 290);
	/* The second record said 400 but no record outlives the entry. */
	assert_int_equal(nd_get32(out_buf + m.ttl_off[1]), 290);
	/* The records' data came back untouched. */
	assert_memory_equal(out_buf + m.ttl_off[0] + 4,
			    m.wire + m.ttl_off[0] + 4, 6);
	assert_memory_equal(out_buf + m.ttl_off[1] + 4,
			    m.wire + m.ttl_off[1] + 4, 6);
	assert_memory_equal(out_buf + 4, m.wire + 4, 8); /* counts */

	/* The cache kept its own copy: the caller's buffer may be reused. */
	memset(m.wire, 0, sizeof(m.wire));
	assert_int_equal(
		ask(c, "www.example.com", ND_TYPE_A, ND_CLASS_IN, 2, T0, false),
		ND_CACHE_HIT);
	assert_int_equal(nd_get16(out_buf), 2);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 300);
	assert_int_equal(out_buf[m.ttl_off[0] + 6], 0xab);
	nd_cache_free(c);
}

static void test_miss_on_other_key(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;

	(void)state;
	build_a(&m, "www.example.com", 300, 1);
	assert_int_equal(put_a(c, "www.example.com", &m, T0), 0);
	assert_int_equal(ask(c, "www.example.com", ND_TYPE_AAAA, ND_CLASS_IN, 1,
			     T0, true),
			 ND_CACHE_MISS);
	assert_int_equal(
		ask(c, "www.example.com", ND_TYPE_A, ND_CLASS_CH, 1, T0, true),
		ND_CACHE_MISS);
	/* Same length, one byte apart; a prefix; a longer name. */
	assert_int_equal(ask_a(c, "www.example.con", T0, true), ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "www.example", T0, true), ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "www.example.com.x", T0, true),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "example.com", T0, true), ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "www.example.com", T0, true), ND_CACHE_HIT);
	nd_cache_free(c);
}

static void test_case_insensitive_key(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;
	uint8_t spelled[ND_DNS_MAX_NAME];
	size_t len;

	(void)state;
	build_a(&m, "www.example.com", 300, 1);
	assert_int_equal(put_a(c, "www.example.com", &m, T0), 0);
	assert_int_equal(ask_a(c, "WwW.ExAmPlE.CoM", T0 + 1000, false),
			 ND_CACHE_HIT);
	/* The client's spelling is echoed in the question. */
	len = name_to_wire("WwW.ExAmPlE.CoM", spelled);
	assert_memory_equal(out_buf + ND_DNS_HEADER_LEN, spelled, len);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 299);
	nd_cache_free(c);
}

static void test_expiry_at_exactly_ttl(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;

	(void)state;
	build_a(&m, "a.example", 60, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "a.example", T0 + 999, false), ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 60);
	assert_int_equal(ask_a(c, "a.example", T0 + 59999, false),
			 ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 1);
	assert_int_equal(ask_a(c, "a.example", T0 + 60000, false),
			 ND_CACHE_MISS);
	/* stale_s is 0: past the TTL it is gone, stale allowed or not. */
	assert_int_equal(ask_a(c, "a.example", T0 + 60000, true),
			 ND_CACHE_MISS);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).expired, 1);
	nd_cache_free(c);
}

static void test_clock_behind_insert(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;

	(void)state;
	/* Another worker read the clock just before this one stored it. */
	build_a(&m, "a.example", 60, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "a.example", T0 - 5, false), ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 60);
	nd_cache_free(c);
}

static void test_min_max_clamp(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg shrt, lng;

	(void)state;
	o.min_ttl_s = 30;
	o.max_ttl_s = 100;
	c = new_cache(o);
	build_a(&shrt, "short.example", 5, 1);
	build_a(&lng, "long.example", 1000, 2);
	assert_int_equal(put_a(c, "short.example", &shrt, T0), 0);
	assert_int_equal(put_a(c, "long.example", &lng, T0), 0);

	/* Raised to 30 s. */
	assert_int_equal(ask_a(c, "short.example", T0 + 29000, false),
			 ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "short.example", T0 + 30000, false),
			 ND_CACHE_MISS);
	/* Cut to 100 s, and no record is served with more than that. */
	assert_int_equal(ask_a(c, "long.example", T0, false), ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + lng.ttl_off[0]), 100);
	assert_int_equal(nd_get32(out_buf + lng.ttl_off[1]), 100);
	assert_int_equal(ask_a(c, "long.example", T0 + 99000, false),
			 ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + lng.ttl_off[0]), 1);
	assert_int_equal(ask_a(c, "long.example", T0 + 100000, false),
			 ND_CACHE_MISS);
	nd_cache_free(c);
}

/* The negative entries are counted apart (coredns_cache_entries{type=
 * "denial"}); replacing one by a positive answer moves the count. */
static void test_negative_counted(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m;

	(void)state;
	build_nx(&m, "nx.example", 300);
	assert_int_equal(put_a(c, "nx.example", &m, T0), 0);
	build_a(&m, "ok.example", 300, 1);
	assert_int_equal(put_a(c, "ok.example", &m, T0), 0);
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(stats(c).negative, 1);
	build_a(&m, "nx.example", 300, 2);
	assert_int_equal(put_a(c, "nx.example", &m, T0 + 1000), 0);
	assert_int_equal(stats(c).entries, 2);
	assert_int_equal(stats(c).negative, 0);
	nd_cache_free(c);
}

static void test_negative_capped(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg m;

	(void)state;
	o.min_ttl_s = 100; /* must not raise a negative answer */
	o.neg_max_ttl_s = 50;
	c = new_cache(o);

	build_nx(&m, "short.example", 20);
	assert_int_equal(put_a(c, "short.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "short.example", T0 + 19999, false),
			 ND_CACHE_HIT);
	assert_int_equal(out_buf[3] & ND_FLAG_RCODE_MASK, ND_RCODE_NXDOMAIN);
	assert_int_equal(ask_a(c, "short.example", T0 + 20000, false),
			 ND_CACHE_MISS);

	build_nx(&m, "long.example", 900);
	assert_int_equal(put_a(c, "long.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "long.example", T0 + 49999, false),
			 ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "long.example", T0 + 50000, false),
			 ND_CACHE_MISS);

	/* neg_max_ttl_s 0 turns negative caching off, positive still works. */
	o.neg_max_ttl_s = 0;
	nd_cache_set_options(c, &o);
	build_nx(&m, "off.example", 900);
	assert_int_equal(put_a(c, "off.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "off.example", T0, false), ND_CACHE_MISS);
	build_a(&m, "pos.example", 5, 1);
	assert_int_equal(put_a(c, "pos.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "pos.example", T0 + 99000, false),
			 ND_CACHE_HIT);
	nd_cache_free(c);
}

static void test_stale_window(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg m;
	struct nd_cache_stats st;

	(void)state;
	o.stale_s = 100;
	c = new_cache(o);
	build_a(&m, "a.example", 10, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);

	assert_int_equal(ask_a(c, "a.example", T0 + 9999, true), ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 1);
	/* Expired: only served stale when the caller allows it. */
	assert_int_equal(ask_a(c, "a.example", T0 + 10000, false),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "a.example", T0 + 10000, true),
			 ND_CACHE_STALE);
	assert_int_equal(out_len, m.a.len);
	assert_int_equal(nd_get16(out_buf), 0x1234);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), ND_STALE_TTL_S);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[1]), ND_STALE_TTL_S);
	/* A refused stale lookup keeps the entry for a later failure. */
	assert_int_equal(ask_a(c, "a.example", T0 + 50000, false),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "a.example", T0 + 109999, true),
			 ND_CACHE_STALE);
	assert_int_equal(stats(c).expired, 0);
	/* ttl + stale_s: gone for good. */
	assert_int_equal(ask_a(c, "a.example", T0 + 110000, true),
			 ND_CACHE_MISS);
	st = stats(c);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.expired, 1);
	assert_int_equal(ask_a(c, "a.example", T0 + 10000, true),
			 ND_CACHE_MISS);
	nd_cache_free(c);
}

static void test_ttl_zero_not_stored(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg m;

	(void)state;
	o.min_ttl_s = 30; /* 0 means "do not cache", not "raise to min" */
	c = new_cache(o);
	build_a(&m, "a.example", 0, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "a.example", T0, true), ND_CACHE_MISS);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).bytes, 0);
	nd_cache_free(c);
}

static void test_replacement(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg m1, m2;
	struct nd_cache_stats st1, st2;

	(void)state;
	build_a(&m1, "a.example", 60, 0x11);
	build_a(&m2, "a.example", 600, 0x22);
	assert_int_equal(put_a(c, "a.example", &m1, T0), 0);
	st1 = stats(c);
	assert_int_equal(st1.entries, 1);
	assert_int_equal(put_a(c, "a.example", &m2, T0 + 5000), 0);
	st2 = stats(c);
	assert_int_equal(st2.entries, 1);
	assert_int_equal(st2.bytes, st1.bytes); /* same size, one copy */
	assert_int_equal(st2.evictions, 0);

	/* The new answer, aged from its own insertion, outlives the old. */
	assert_int_equal(ask_a(c, "a.example", T0 + 65000, false),
			 ND_CACHE_HIT);
	assert_int_equal(out_buf[m2.ttl_off[0] + 6], 0x22);
	assert_int_equal(nd_get32(out_buf + m2.ttl_off[0]), 540);
	nd_cache_free(c);
}

/* Bytes one entry of this shape accounts for. */
static uint64_t entry_bytes(const struct msg *m, const char *name)
{
	struct nd_cache *c = new_cache(default_opt());
	uint64_t b;

	assert_int_equal(put_a(c, name, m, T0), 0);
	b = stats(c).bytes;
	nd_cache_free(c);
	return b;
}

static void test_eviction_clock_small(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg m;
	struct nd_cache_stats st;
	uint64_t per;

	(void)state;
	build_a(&m, "n0.example", 60, 1); /* every name below is as long */
	per = entry_bytes(&m, "n0.example");
	assert_true(per >= m.a.len + 10u); /* wire and key at least */
	/*
	 * Room for three. A budget this small is kept in a single shard
	 * (see ND_CACHE_MIN_SHARD_BYTES), so the eviction order is global
	 * here: CLOCK, oldest first, but an entry hit since it was stored
	 * (or last passed) gets one more round instead.
	 */
	o.max_bytes = (size_t)(3 * per + per / 2);
	c = new_cache(o);
	assert_int_equal(put_new(c, "n1.example", 60, T0), 0);
	assert_int_equal(put_new(c, "n2.example", 60, T0), 0);
	assert_int_equal(put_new(c, "n3.example", 60, T0), 0);
	assert_int_equal(stats(c).evictions, 0);
	assert_int_equal(ask_a(c, "n1.example", T0, false), ND_CACHE_HIT);
	assert_int_equal(put_new(c, "n4.example", 60, T0), 0);

	/* n1 was hit: another round; n2 is the oldest without a hit. */
	st = stats(c);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.evictions, 1);
	assert_true(st.bytes <= o.max_bytes);
	assert_int_equal(st.bytes, 3 * per);
	assert_int_equal(ask_a(c, "n2.example", T0, false), ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "n1.example", T0, false), ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "n3.example", T0, false), ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "n4.example", T0, false), ND_CACHE_HIT);

	/* An entry past its stale window is counted expired, not evicted,
	 * and the cold end goes first: n3 (n1 went round to the hot end). */
	assert_int_equal(put_new(c, "n5.example", 60, T0 + 61000), 0);
	st = stats(c);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.expired, 1);
	assert_int_equal(ask_a(c, "n3.example", T0 + 1000, false),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "n1.example", T0 + 1000, false),
			 ND_CACHE_HIT);

	/* Shrinking the budget evicts at once. */
	o.max_bytes = (size_t)per;
	nd_cache_set_options(c, &o);
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, per);

	/* An answer bigger than the whole budget is not stored, and the
	 * entry there stays. */
	build_msg(&m, "big.example", ND_TYPE_A, ND_CLASS_IN, 2, 60, 1000, 1);
	assert_int_equal(put_a(c, "big.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "big.example", T0, false), ND_CACHE_MISS);
	assert_int_equal(stats(c).entries, 1);

	/* A zero budget stores nothing and does not fail. */
	o.max_bytes = 0;
	nd_cache_set_options(c, &o);
	assert_int_equal(stats(c).entries, 0);
	build_a(&m, "n6.example", 60, 1);
	assert_int_equal(put_a(c, "n6.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "n6.example", T0, false), ND_CACHE_MISS);
	nd_cache_free(c);
}

/*
 * Many shards, many entries: the tables grow, the budget holds, the
 * entry touched before every insert survives, and the most recent
 * inserts are kept while the oldest are gone.
 */
static void test_eviction_many_shards(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct nd_cache_stats st;
	struct msg m;
	char name[64];
	const int n = 20000;
	int i;

	(void)state;
	o.max_bytes = 8u << 20;
	c = new_cache(o);
	build_msg(&m, "hot.example", ND_TYPE_A, ND_CLASS_IN, 2, 600, 480, 7);
	assert_int_equal(put_a(c, "hot.example", &m, T0), 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(
			ask_a(c, "hot.example", T0 + (uint64_t)i, false),
			ND_CACHE_HIT);
		snprintf(name, sizeof(name), "host-%06d.example", i);
		build_msg(&m, name, ND_TYPE_A, ND_CLASS_IN, 2, 600, 480,
			  (uint8_t)i);
		assert_int_equal(put_a(c, name, &m, T0 + (uint64_t)i), 0);
		if (i % 1000 == 0)
			assert_true(stats(c).bytes <= o.max_bytes);
	}
	st = stats(c);
	assert_true(st.bytes <= o.max_bytes);
	/* Nearly full: each shard is short of one entry at most. */
	assert_true(st.bytes > o.max_bytes - 64 * 2 * (uint64_t)m.a.len);
	assert_true(st.evictions > 0);
	assert_int_equal(st.entries + st.evictions, (uint64_t)n + 1);
	assert_int_equal(ask_a(c, "hot.example", T0 + n, false), ND_CACHE_HIT);
	for (i = n - 64; i < n; i++) {
		snprintf(name, sizeof(name), "host-%06d.example", i);
		assert_int_equal(ask_a(c, name, T0 + n, false), ND_CACHE_HIT);
		assert_int_equal(out_buf[m.ttl_off[0] + 6], (uint8_t)i);
	}
	for (i = 0; i < 64; i++) {
		snprintf(name, sizeof(name), "host-%06d.example", i);
		assert_int_equal(ask_a(c, name, T0 + n, false), ND_CACHE_MISS);
	}
	nd_cache_free(c);
}

static void test_stats(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct nd_cache_stats st;
	struct msg m;
	uint64_t per;

	(void)state;
	build_a(&m, "a.example", 10, 1);
	per = entry_bytes(&m, "a.example");
	o.stale_s = 5;
	c = new_cache(o);
	st = stats(c);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.expired, 0);

	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	assert_int_equal(put_new(c, "b.example", 10, T0), 0);
	build_msg(&m, "b.example", ND_TYPE_AAAA, ND_CLASS_IN, 2, 10, 4, 1);
	assert_int_equal(put(c, "b.example", ND_TYPE_AAAA, ND_CLASS_IN, &m, T0),
			 0);
	st = stats(c);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.bytes, 3 * per);

	assert_int_equal(ask_a(c, "a.example", T0 + 15000, true),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "b.example", T0 + 15000, true),
			 ND_CACHE_MISS);
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, per);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.evictions, 0);
	nd_cache_free(c);
}

static void test_options_apply_to_later_puts(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c = new_cache(o);
	struct msg m;

	(void)state;
	build_a(&m, "a.example", 1000, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	o.max_ttl_s = 10;
	o.stale_s = 20;
	nd_cache_set_options(c, &o);
	assert_int_equal(put_new(c, "b.example", 1000, T0), 0);
	/* The older entry keeps its lifetime; the new one is capped. */
	assert_int_equal(ask_a(c, "a.example", T0 + 500000, false),
			 ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "b.example", T0 + 10000, false),
			 ND_CACHE_MISS);
	/* stale_s applies to lookups at once. */
	assert_int_equal(ask_a(c, "b.example", T0 + 29999, true),
			 ND_CACHE_STALE);
	assert_int_equal(ask_a(c, "b.example", T0 + 30000, true),
			 ND_CACHE_MISS);
	nd_cache_free(c);
}

static void test_render_error_is_miss(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct nd_query q;
	struct msg m;
	uint8_t small[16];
	size_t len = 777;

	(void)state;
	build_a(&m, "a.example", 60, 1);
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	make_query(&q, "a.example", ND_TYPE_A, ND_CLASS_IN, 9);
	assert_int_equal(nd_cache_answer(c, &q, T0, false, BIG_LIMIT, small,
					 sizeof(small), &len),
			 ND_CACHE_MISS);
	assert_int_equal(len, 777); /* untouched on a miss */
	/* The entry is still there for a caller with room. */
	assert_int_equal(ask_a(c, "a.example", T0, false), ND_CACHE_HIT);
	nd_cache_free(c);
}

static void test_huge_ttl_no_overflow(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;
	struct msg m;

	(void)state;
	o.max_ttl_s = UINT32_MAX;
	o.stale_s = UINT32_MAX;
	c = new_cache(o);
	/* Record TTLs stay ordinary: only the cache's arithmetic is pushed. */
	build_msg(&m, "a.example", ND_TYPE_A, ND_CLASS_IN, 1, 1000, 4, 1);
	m.a.ttl_s = UINT32_MAX;
	assert_int_equal(put_a(c, "a.example", &m, T0), 0);
	assert_int_equal(ask_a(c, "a.example", T0 + 4294967294000ull, false),
			 ND_CACHE_HIT);
	assert_int_equal(nd_get32(out_buf + m.ttl_off[0]), 0);
	assert_int_equal(ask_a(c, "a.example", T0 + 4294967295000ull, true),
			 ND_CACHE_STALE);
	assert_int_equal(ask_a(c, "a.example", T0 + 8589934589000ull, true),
			 ND_CACHE_STALE);
	assert_int_equal(ask_a(c, "a.example", T0 + 8589934590000ull, true),
			 ND_CACHE_MISS);
	nd_cache_free(c);
}

/* --- threads: put/answer from several workers, checked for cross-talk --- */

#define TH_THREADS 4
#define TH_ITERS 20000
#define TH_NAMES 256

struct th_arg {
	struct nd_cache *c;
	unsigned int seed;
	int errors; /* checked by the main thread; cmocka asserts are not
		       thread-safe */
	int hits;
};

static void th_name(char *buf, size_t cap, unsigned int k)
{
	snprintf(buf, cap, "svc-%03u.ns.example", k);
}

static void *th_main(void *p)
{
	struct th_arg *t = p;
	uint8_t out[1024];
	unsigned int x = t->seed;
	struct nd_query q;
	struct msg m;
	char name[64];
	int i;

	for (i = 0; i < TH_ITERS; i++) {
		unsigned int k;
		size_t len = 0;
		int r;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		k = x % TH_NAMES;
		th_name(name, sizeof(name), k);
		if (i % 4 == 0) {
			build_msg(&m, name, ND_TYPE_A, ND_CLASS_IN, 2, 30, 40,
				  (uint8_t)k);
			if (put_a(t->c, name, &m, T0 + (uint64_t)i * 5) != 0)
				t->errors++;
			continue;
		}
		if (i % 1000 == 1) {
			struct nd_cache_stats st;

			nd_cache_get_stats(t->c, &st);
		}
		make_query(&q, name, ND_TYPE_A, ND_CLASS_IN, (uint16_t)i);
		r = nd_cache_answer(t->c, &q, T0 + (uint64_t)i * 5, true,
				    sizeof(out), out, sizeof(out), &len);
		if (r == ND_CACHE_MISS)
			continue;
		if (r != ND_CACHE_HIT && r != ND_CACHE_STALE) {
			t->errors++;
			continue;
		}
		t->hits++;
		/* The answer must be this name's, with this query's ID. */
		build_msg(&m, name, ND_TYPE_A, ND_CLASS_IN, 2, 30, 40,
			  (uint8_t)k);
		if (len != m.a.len || nd_get16(out) != (uint16_t)i ||
		    out[m.ttl_off[0] + 6] != (uint8_t)k ||
		    out[m.ttl_off[1] + 6] != (uint8_t)k ||
		    memcmp(out + ND_DNS_HEADER_LEN, q.qname, q.qname_len) != 0)
			t->errors++;
	}
	return NULL;
}

static void run_threads(size_t max_bytes)
{
	struct nd_cache_options o = default_opt();
	struct th_arg args[TH_THREADS];
	pthread_t th[TH_THREADS];
	struct nd_cache_stats st;
	struct nd_cache *c;
	int i, hits = 0;

	o.max_bytes = max_bytes;
	o.stale_s = 60;
	c = new_cache(o);
	for (i = 0; i < TH_THREADS; i++) {
		args[i].c = c;
		args[i].seed = 0x9e3779b9u * (unsigned int)(i + 1);
		args[i].errors = 0;
		args[i].hits = 0;
		assert_int_equal(
			pthread_create(&th[i], NULL, th_main, &args[i]), 0);
	}
	/* Option changes (a SIGHUP) while the workers run. */
	for (i = 0; i < 50; i++) {
		o.max_ttl_s = (uint32_t)(i % 2 ? 86400 : 20);
		nd_cache_set_options(c, &o);
	}
	for (i = 0; i < TH_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].errors, 0);
		hits += args[i].hits;
	}
	assert_true(hits > 0);
	nd_cache_get_stats(c, &st);
	assert_true(st.entries <= TH_NAMES);
	assert_true(st.bytes <= max_bytes);
	nd_cache_free(c);
}

static void test_threads_small_budget(void **state)
{
	(void)state;
	run_threads(16 * 1024); /* one shard, constant eviction */
}

static void test_threads_sharded(void **state)
{
	(void)state;
	run_threads(16u << 20); /* 64 shards */
}

static long flush_name(struct nd_cache *c, const char *name)
{
	uint8_t lc[ND_DNS_MAX_NAME];
	size_t len = name_to_wire(name, lc);

	return nd_cache_flush(c, lc, len);
}

/* A name's every type goes; its neighbours and its subdomains stay. */
static void test_flush_name(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	struct msg aaaa;
	struct nd_cache_stats before;

	(void)state;
	assert_int_equal(put_new(c, "a.example", 300, T0), 0);
	build_msg(&aaaa, "a.example", ND_TYPE_AAAA, ND_CLASS_IN, 1, 300, 16, 7);
	assert_int_equal(put(c, "a.example", ND_TYPE_AAAA, ND_CLASS_IN, &aaaa,
			     T0),
			 0);
	assert_int_equal(put_new(c, "b.example", 300, T0), 0);
	assert_int_equal(put_new(c, "sub.a.example", 300, T0), 0);
	before = stats(c);
	assert_int_equal(before.entries, 4);

	assert_int_equal(flush_name(c, "a.example"), 2);
	assert_int_equal(ask_a(c, "a.example", T0 + 1000, true),
			 ND_CACHE_MISS);
	assert_int_equal(ask(c, "a.example", ND_TYPE_AAAA, ND_CLASS_IN, 1,
			     T0 + 1000, true),
			 ND_CACHE_MISS);
	assert_int_equal(ask_a(c, "b.example", T0 + 1000, false),
			 ND_CACHE_HIT);
	assert_int_equal(ask_a(c, "sub.a.example", T0 + 1000, false),
			 ND_CACHE_HIT);
	assert_int_equal(stats(c).entries, 2);
	assert_true(stats(c).bytes < before.bytes);
	/* Not counted as evictions: the budget was not the reason. */
	assert_int_equal(stats(c).evictions, 0);
	/* Gone means gone: nothing left to flush, and it can come back. */
	assert_int_equal(flush_name(c, "a.example"), 0);
	assert_int_equal(put_new(c, "a.example", 300, T0 + 2000), 0);
	assert_int_equal(ask_a(c, "a.example", T0 + 2000, false),
			 ND_CACHE_HIT);
	nd_cache_free(c);
}

/* A stale entry (kept for serve-stale) is flushed too. */
static void test_flush_stale(void **state)
{
	struct nd_cache_options o = default_opt();
	struct nd_cache *c;

	(void)state;
	o.stale_s = 3600;
	c = new_cache(o);
	assert_int_equal(put_new(c, "old.example", 10, T0), 0);
	assert_int_equal(ask_a(c, "old.example", T0 + 60000, true),
			 ND_CACHE_STALE);
	assert_int_equal(flush_name(c, "old.example"), 1);
	assert_int_equal(ask_a(c, "old.example", T0 + 60000, true),
			 ND_CACHE_MISS);
	nd_cache_free(c);
}

/* Every entry, over every shard. */
static void test_flush_all(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	char name[64];

	(void)state;
	for (unsigned int k = 0; k < 500; k++) {
		th_name(name, sizeof(name), k);
		assert_int_equal(put_new(c, name, 300, T0), 0);
	}
	assert_int_equal(stats(c).entries, 500);
	assert_int_equal(nd_cache_flush(c, NULL, 0), 500);
	assert_int_equal(stats(c).entries, 0);
	assert_int_equal(stats(c).bytes, 0);
	th_name(name, sizeof(name), 7);
	assert_int_equal(ask_a(c, name, T0 + 1000, true), ND_CACHE_MISS);
	assert_int_equal(nd_cache_flush(c, NULL, 0), 0);
	nd_cache_free(c);
}

static void test_flush_bad_args(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	uint8_t name[] = {1, 'a', 0};

	(void)state;
	assert_int_equal(nd_cache_flush(NULL, NULL, 0), -EINVAL);
	assert_int_equal(nd_cache_flush(c, name, 0), -EINVAL);
	assert_int_equal(nd_cache_flush(c, name, ND_DNS_MAX_NAME + 1),
			 -EINVAL);
	nd_cache_free(c);
}

/*
 * Flushes while other threads read and write: readers copy from an entry
 * a flush just took out, so it must stay whole until they leave it (RCU;
 * under ASan a use after free shows), and every hit is still the right
 * name's answer (th_main checks).
 */
static void test_flush_under_threads(void **state)
{
	struct nd_cache *c = new_cache(default_opt());
	pthread_t th[3];
	struct th_arg arg[3];
	char name[64];
	long flushed = 0;

	(void)state;
	nd_rcu_register();
	for (unsigned int i = 0; i < 3; i++) {
		arg[i] = (struct th_arg){.c = c, .seed = 0x9e3779b9u * (i + 1)};
		assert_int_equal(pthread_create(&th[i], NULL, th_main, &arg[i]),
				 0);
	}
	for (unsigned int k = 0; k < 300; k++) {
		long n;

		th_name(name, sizeof(name), k % TH_NAMES);
		n = k % 10 == 0 ? nd_cache_flush(c, NULL, 0)
				: flush_name(c, name);
		assert_true(n >= 0);
		flushed += n;
	}
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(arg[i].errors, 0);
	}
	(void)flushed; /* how many depends on the interleaving */
	nd_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free_null),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_hit_patches_id_and_ttl),
		cmocka_unit_test(test_miss_on_other_key),
		cmocka_unit_test(test_case_insensitive_key),
		cmocka_unit_test(test_expiry_at_exactly_ttl),
		cmocka_unit_test(test_clock_behind_insert),
		cmocka_unit_test(test_min_max_clamp),
		cmocka_unit_test(test_negative_capped),
		cmocka_unit_test(test_negative_counted),
		cmocka_unit_test(test_stale_window),
		cmocka_unit_test(test_ttl_zero_not_stored),
		cmocka_unit_test(test_replacement),
		cmocka_unit_test(test_eviction_clock_small),
		cmocka_unit_test(test_eviction_many_shards),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_options_apply_to_later_puts),
		cmocka_unit_test(test_render_error_is_miss),
		cmocka_unit_test(test_huge_ttl_no_overflow),
		cmocka_unit_test(test_threads_small_budget),
		cmocka_unit_test(test_threads_sharded),
		cmocka_unit_test(test_flush_name),
		cmocka_unit_test(test_flush_stale),
		cmocka_unit_test(test_flush_all),
		cmocka_unit_test(test_flush_bad_args),
		cmocka_unit_test(test_flush_under_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
