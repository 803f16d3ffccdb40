/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_answer.c - an upstream's reply bytes through
 * nd_answer_parse(), then rendered for a client that asked the same
 * question with another spelling. Aborts on any broken invariant.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/query.h"
#include "util/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

#define OUT_CAP (ND_DNS_MAX_MSG + 11)
/* No message holds more records than this: each takes 11 bytes at least. */
#define TTL_CAP (ND_DNS_MAX_MSG / 11 + 1)

static uint8_t stored[ND_DNS_MAX_MSG], again[ND_DNS_MAX_MSG];
static uint16_t ttl[TTL_CAP], ttl_again[TTL_CAP];
static uint8_t out[OUT_CAP];

/* Build the client's query for the stored question; false when the stored
 * question is not one a client could have asked. */
static bool query_for(const struct nd_answer *a, size_t size,
		      struct nd_query *q)
{
	size_t n = 0;

	memset(q, 0, sizeof(*q));
	if (nd_get16(a->wire + 4) != 1)
		return false;
	int r = nd_dns_name_read(a->wire, a->len, ND_DNS_HEADER_LEN, q->qname,
				 &n, false);
	if (r < 0 || (size_t)r != ND_DNS_HEADER_LEN + n ||
	    (size_t)r + 4 != a->question_end)
		return false;
	/* Flip the case of every letter: the render must echo this. */
	for (size_t i = 0; i < n; i++)
		if ((q->qname[i] | 0x20) >= 'a' && (q->qname[i] | 0x20) <= 'z')
			q->qname[i] ^= 0x20;
	memcpy(q->qname_lc, q->qname, n);
	nd_dns_name_lower(q->qname_lc, n);
	q->qname_len = (uint16_t)n;
	q->qtype = nd_get16(a->wire + r);
	q->qclass = nd_get16(a->wire + r + 2);
	q->question_end = a->question_end;
	q->has_question = true;
	q->id = (uint16_t)(size * 2654435761u);
	q->flags = (size & 4) ? ND_FLAG_RD : 0;
	q->has_edns = size & 1;
	q->edns_do = size & 2;
	q->edns_udp_size = q->has_edns ? 1232 : 512;
	return true;
}

static void check_render(const struct nd_answer *a, const struct nd_query *q,
			 bool is_stale, size_t limit, size_t cap)
{
	struct nd_answer back;
	size_t opt_len = q->has_edns ? 11 : 0;
	size_t short_len = a->question_end + opt_len;
	int n = nd_answer_render(a, q, 100, 600, is_stale, limit, out, cap);

	if (n == ND_ENOSPACE) {
		CHECK(cap < (size_t)a->len + opt_len);
		return;
	}
	CHECK(n > 0 && (size_t)n <= cap);
	CHECK((size_t)n <= limit || (size_t)n == short_len);
	CHECK(nd_get16(out) == q->id);
	CHECK(memcmp(out + ND_DNS_HEADER_LEN, q->qname, q->qname_len) == 0);
	if ((size_t)n == a->len + opt_len)
		for (size_t i = 0; i < a->n_ttl; i++)
			CHECK(nd_get32(out + a->ttl_off[i]) <=
			      (is_stale ? ND_STALE_TTL_S : 600));
	CHECK(nd_answer_parse(out, (size_t)n, again, sizeof(again), ttl_again,
			      TTL_CAP, &back) == 0);
	CHECK(back.len + opt_len == (size_t)n);
	if (nd_get16(out + 2) & ND_FLAG_TC) {
		/* Whole answer records only, each of their owners readable
		 * below the cut; never cached (RFC 2181 9). */
		CHECK(nd_get16(out + 8) == 0);
		CHECK(nd_get16(out + 10) == (q->has_edns ? 1 : 0));
		CHECK(back.ttl_s == 0);

		size_t off = a->question_end, end = (size_t)n - opt_len;
		uint8_t name[ND_DNS_MAX_NAME];
		size_t name_len;
		struct nd_dns_rr rr;

		for (unsigned i = 0; i < nd_get16(out + 6); i++) {
			CHECK(nd_dns_rr_walk(out, end, off, &rr) == 0);
			CHECK(nd_dns_name_read(out, end, off, name, &name_len,
					       false) > 0);
			off = rr.end;
		}
		CHECK(off == end);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_answer a;
	struct nd_query q;
	int r = nd_answer_parse(data, size, stored, sizeof(stored), ttl,
				TTL_CAP, &a);

	CHECK(r == 0 || r == ND_EMALFORMED);
	if (r != 0)
		return 0;
	CHECK(a.len >= ND_DNS_HEADER_LEN && a.len <= size);
	CHECK(a.question_end >= ND_DNS_HEADER_LEN && a.question_end <= a.len);
	CHECK(nd_get16(a.wire) == 0);
	for (size_t i = 0; i < a.n_ttl; i++)
		CHECK(a.ttl_off[i] >= a.question_end &&
		      (size_t)a.ttl_off[i] + 4 <= a.len);
	CHECK(a.ttl_s < 0x80000000u);
	CHECK(!a.is_negative || a.rcode == ND_RCODE_NOERROR ||
	      a.rcode == ND_RCODE_NXDOMAIN);

	/* A smaller store than needed is refused, never overrun. */
	if (a.len > ND_DNS_HEADER_LEN) {
		uint8_t *small = malloc(a.len - 1);
		struct nd_answer s;
		CHECK(small != NULL);
		CHECK(nd_answer_parse(data, size, small, a.len - 1u, ttl_again,
				      TTL_CAP, &s) == ND_ENOSPACE);
		free(small);
	}

	if (!query_for(&a, size, &q))
		return 0;
	check_render(&a, &q, false, ND_DNS_MIN_UDP, sizeof(out));
	check_render(&a, &q, false, ND_DNS_MAX_MSG, sizeof(out));
	check_render(&a, &q, true, 1232, sizeof(out));
	check_render(&a, &q, false, 0, sizeof(out));
	check_render(&a, &q, false, ND_DNS_MAX_MSG, 64);
	return 0;
}
