/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for resolver/cache_dump.c: a cache written for a successor, read
 * back into another cache with the TTLs it had left, and every kind of
 * damaged document refused whole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/answer.h"
#include "dns/query.h"
#include "dns/wire.h"
#include "resolver/cache.h"
#include "resolver/cache_dump.h"
#include "tests/unit/dns/msg_build.h"
#include "util/errors.h"

#define T0 1000000ull

static struct nd_cache *new_cache(void)
{
	struct nd_cache_options o = { .max_bytes = 1 << 20,
				      .max_ttl_s = 86400,
				      .neg_max_ttl_s = 3600,
				      .stale_s = 86400 };
	struct nd_cache *c = nd_cache_new(&o);

	assert_non_null(c);
	return c;
}

/* An upstream's reply: name A, two records with TTL ttl. */
static void reply(struct tm_msg *m, const char *name, uint32_t ttl)
{
	tm_hdr(m, 0x1234, 0x8180, 1, 2, 0, 0);
	tm_put_name(m, name);
	tm_put16(m, ND_TYPE_A);
	tm_put16(m, ND_CLASS_IN);
	for (int i = 0; i < 2; i++) {
		tm_put16(m, 0xc00c);
		tm_put16(m, ND_TYPE_A);
		tm_put16(m, ND_CLASS_IN);
		tm_put32(m, ttl);
		tm_put16(m, 4);
		tm_put32(m, 0xc0000200u + (uint32_t)i);
	}
}

static size_t wire_name(const char *text, uint8_t *out)
{
	int n = nd_dns_name_from_text(text, out, ND_DNS_MAX_NAME);

	assert_true(n > 0);
	return (size_t)n;
}

static void put_reply(struct nd_cache *c, const char *name, uint32_t ttl,
		      uint64_t now)
{
	static uint8_t wire[4096];
	static uint16_t ttls[64];
	uint8_t lc[ND_DNS_MAX_NAME];
	struct tm_msg m;
	struct nd_answer a;
	size_t n = wire_name(name, lc);

	reply(&m, name, ttl);
	assert_int_equal(nd_answer_parse(m.b, m.n, wire, sizeof(wire), ttls,
					 64, &a),
			 0);
	assert_int_equal(nd_cache_put(c, lc, n, ND_TYPE_A, ND_CLASS_IN, &a,
				      now),
			 0);
}

/* The first answer record's TTL the cache serves for name at now, or -1
 * on a miss. */
static long served_ttl(struct nd_cache *c, const char *name, uint64_t now)
{
	struct nd_query q;
	uint8_t out[4096];
	size_t len = 0, off;
	int st;

	memset(&q, 0, sizeof(q));
	q.id = 7;
	q.flags = ND_FLAG_RD;
	q.has_question = true;
	q.qname_len = (uint16_t)wire_name(name, q.qname);
	memcpy(q.qname_lc, q.qname, q.qname_len);
	q.qtype = ND_TYPE_A;
	q.qclass = ND_CLASS_IN;
	q.question_end = (uint16_t)(ND_DNS_HEADER_LEN + q.qname_len + 4);
	q.edns_udp_size = ND_DNS_MIN_UDP;
	st = nd_cache_answer(c, &q, now, false, 65535, out, sizeof(out), &len);
	if (st != ND_CACHE_HIT)
		return -1;
	off = q.question_end + 2 + 2 + 2; /* pointer, type, class */
	return (long)nd_get32(out + off);
}

static void test_round_trip(void **state)
{
	struct nd_cache *a = new_cache(), *b = new_cache();
	struct nd_cache_dump_stats st;
	uint8_t *doc = NULL;
	size_t len = 0;
	char why[128] = "";
	(void)state;

	put_reply(a, "one.example", 300, T0);
	put_reply(a, "two.example", 60, T0);
	put_reply(a, "gone.example", 10, T0);
	/* 100 s later only one.example (300 s) is fresh: the other two
	 * (60 s, 10 s) have expired and are not written */
	assert_int_equal(nd_cache_dump_write(a, T0 + 100000, 1 << 20, &doc,
					     &len),
			 1);
	assert_memory_equal(doc, "NDCD\0\1\0\0\0\0\0\1", 12);
	assert_int_equal(nd_cache_dump_load(b, doc, len, T0 + 200000, &st, why,
					    sizeof(why)),
			 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.rejected, 0);
	/* the TTL left when written, counting down from its new start */
	assert_int_equal(served_ttl(b, "one.example", T0 + 200000), 200);
	assert_int_equal(served_ttl(b, "one.example", T0 + 250000), 150);
	assert_int_equal(served_ttl(a, "one.example", T0 + 100000), 200);
	assert_int_equal(served_ttl(b, "two.example", T0 + 200000), -1);
	assert_int_equal(served_ttl(b, "gone.example", T0 + 200000), -1);
	free(doc);

	/* a bound: only what fits */
	assert_int_equal(nd_cache_dump_write(a, T0, ND_CACHE_DUMP_HEADER + 10,
					     &doc, &len),
			 0);
	assert_int_equal(len, ND_CACHE_DUMP_HEADER);
	assert_int_equal(nd_cache_dump_parse(doc, len, NULL, NULL, why,
					     sizeof(why)),
			 0);
	free(doc);
	nd_cache_free(a);
	nd_cache_free(b);
}

static int count_entry(void *arg, const struct nd_cache_dump_entry *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/* Damage a good document one way; it must be refused with reason want
 * and nothing handed out. */
static void refused(const uint8_t *good, size_t len, size_t at, int delta,
		    size_t cut, const char *want)
{
	uint8_t *d = malloc(len);
	char why[128] = "";
	int n = 0;

	memcpy(d, good, len);
	if (at < len)
		d[at] = (uint8_t)(d[at] + delta);
	assert_int_equal(nd_cache_dump_parse(d, len - cut, count_entry, &n,
					     why, sizeof(why)),
			 ND_EMALFORMED);
	assert_int_equal(n, 0);
	if (strstr(why, want) == NULL)
		fail_msg("why '%s' lacks '%s'", why, want);
	free(d);
}

static void test_damaged(void **state)
{
	struct nd_cache *a = new_cache(), *b = new_cache();
	struct nd_cache_dump_stats st;
	uint8_t *doc = NULL;
	size_t len = 0;
	char why[128];
	int n = 0;
	(void)state;

	put_reply(a, "one.example", 300, T0);
	put_reply(a, "two.example", 300, T0);
	assert_int_equal(nd_cache_dump_write(a, T0, 1 << 20, &doc, &len), 2);
	assert_int_equal(nd_cache_dump_parse(doc, len, count_entry, &n, why,
					     sizeof(why)),
			 0);
	assert_int_equal(n, 2);

	refused(doc, len, 0, 1, 0, "bad magic");
	refused(doc, len, 5, 1, 0, "version 2 not understood");
	refused(doc, len, 7, 1, 0, "unknown flags");
	refused(doc, len, 11, 1, 0, "entry 2: truncated");	/* count 3 */
	refused(doc, len, 11, -1, 0, "after the last entry"); /* count 1 */
	refused(doc, len, len, 0, 1, "body of");	      /* cut short */
	refused(doc, len, 15, 1, 0, "body of");
	/* first entry: qname_len at 16..17, the name from 18 */
	refused(doc, len, 17, 200, 0, "entry 0: name length");
	refused(doc, len, 19, 'O' - 'o', 0, "entry 0: not a lower-case");
	refused(doc, len, 18, 1, 0, "entry 0: not a lower-case wire name");
	{
		/* ttl of entry 0: after 2 + 13 name bytes and type, class */
		size_t ttl_at = 16 + 2 + 13 + 4;

		refused(doc, len, ttl_at, 0x10, 0, "entry 0: TTL");
		refused(doc, len, ttl_at + 4, 0xff, 0,
			"entry 0: message length");
	}
	assert_int_equal(nd_cache_dump_parse(doc, 8, NULL, NULL, why,
					     sizeof(why)),
			 ND_EMALFORMED);
	assert_int_equal(nd_cache_dump_parse(NULL, 0, NULL, NULL, NULL, 0),
			 ND_EMALFORMED);

	/* a message that does not parse as an answer is rejected alone */
	{
		size_t wire_at = 16 + 2 + 13 + 4 + 4 + 2;

		doc[wire_at + 2] &= 0x7f; /* QR cleared: a query */
		assert_int_equal(nd_cache_dump_load(b, doc, len, T0, &st, why,
						    sizeof(why)),
				 0);
		assert_int_equal(st.entries, 2);
		assert_int_equal(st.loaded, 1);
		assert_int_equal(st.rejected, 1);
	}
	free(doc);
	nd_cache_free(a);
	nd_cache_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
