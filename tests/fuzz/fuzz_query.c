/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_query.c - a client's query bytes through the whole answer
 * path: nd_query_parse(), then the error reply, then a cached answer
 * rendered for it. Aborts on any broken invariant.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "dns/query.h"
#include "dns/response.h"
#include "util/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

/* Largest reply we render: a full TCP message plus our OPT. */
#define OUT_CAP (ND_DNS_MAX_MSG + 11)

/*
 * An upstream answer for q's question: an A record, a record whose TTL has
 * the top bit set, a TXT big enough to overflow 512 bytes, then an OPT.
 * Returns its length.
 */
static size_t canned_upstream(const struct nd_query *q, uint8_t *b)
{
	size_t n = 0;

	nd_put16(b, 0x5555);
	nd_put16(b + 2, ND_FLAG_QR | ND_FLAG_RD | ND_FLAG_RA | ND_FLAG_AD);
	nd_put16(b + 4, 1);
	nd_put16(b + 6, 3);
	nd_put16(b + 8, 0);
	nd_put16(b + 10, 1);
	n = ND_DNS_HEADER_LEN;
	memcpy(b + n, q->qname_lc, q->qname_len);
	n += q->qname_len;
	nd_put16(b + n, q->qtype);
	nd_put16(b + n + 2, q->qclass);
	n += 4;
	/* owner ptr, type, class, ttl, rdlength, rdata */
	nd_put16(b + n, 0xc00c);
	nd_put16(b + n + 2, ND_TYPE_A);
	nd_put16(b + n + 4, ND_CLASS_IN);
	nd_put32(b + n + 6, 300);
	nd_put16(b + n + 10, 4);
	nd_put32(b + n + 12, 0xc0000201);
	n += 16;
	nd_put16(b + n, 0xc00c);
	nd_put16(b + n + 2, ND_TYPE_A);
	nd_put16(b + n + 4, ND_CLASS_IN);
	nd_put32(b + n + 6, 0x80000010u);
	nd_put16(b + n + 10, 4);
	nd_put32(b + n + 12, 0xc0000202);
	n += 16;
	nd_put16(b + n, 0xc00c);
	nd_put16(b + n + 2, ND_TYPE_TXT);
	nd_put16(b + n + 4, ND_CLASS_IN);
	nd_put32(b + n + 6, 60);
	nd_put16(b + n + 10, 451);
	b[n + 12] = 255;
	memset(b + n + 13, 't', 255);
	b[n + 268] = 194;
	memset(b + n + 269, 'u', 194);
	n += 12 + 451;
	b[n] = 0;
	nd_put16(b + n + 1, ND_TYPE_OPT);
	nd_put16(b + n + 3, 1232);
	nd_put32(b + n + 5, 0);
	nd_put16(b + n + 9, 0);
	return n + 11;
}

static void check_render(const struct nd_answer *a, const struct nd_query *q,
			 size_t limit, size_t cap, uint8_t *out)
{
	static uint8_t wire[OUT_CAP];
	static uint16_t ttl[16];
	struct nd_answer back;
	size_t opt_len = q->has_edns ? 11 : 0;
	size_t short_len = a->question_end + opt_len;
	int n = nd_answer_render(a, q, 7, 3600, false, limit, out, cap);

	if (n == ND_ENOSPACE) {
		CHECK(cap < (size_t)a->len + opt_len);
		return;
	}
	CHECK(n > 0 && (size_t)n <= cap);
	CHECK((size_t)n <= limit || (size_t)n == short_len);
	CHECK(nd_get16(out) == q->id);
	CHECK(nd_get16(out + 2) & ND_FLAG_QR);
	CHECK(memcmp(out + ND_DNS_HEADER_LEN, q->qname, q->qname_len) == 0);
	/* What we send must read back as a well-formed answer. */
	CHECK(nd_answer_parse(out, (size_t)n, wire, sizeof(wire), ttl, 16,
			      &back) == 0);
	CHECK(back.len + opt_len == (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[OUT_CAP];
	static uint8_t upstream[1024], stored[1024];
	static uint16_t ttl[16];
	struct nd_query q;
	struct nd_answer a;
	int rcode = -1;
	int v = nd_query_parse(data, size, &q, &rcode);

	CHECK(v == ND_QUERY_OK || v == ND_QUERY_DROP || v == ND_QUERY_REPLY);
	if (v == ND_QUERY_DROP)
		return 0;
	CHECK(size >= ND_DNS_HEADER_LEN);
	CHECK(!q.has_question || (q.qname_len > 0 &&
				  q.question_end <= size &&
				  q.question_end == 16 + q.qname_len));
	CHECK(!q.has_edns ||
	      ((size_t)q.edns_opts_off + q.edns_opts_len <= size &&
	       q.edns_udp_size >= ND_DNS_MIN_UDP));
	CHECK(nd_query_udp_limit(&q) >= ND_DNS_MIN_UDP &&
	      nd_query_udp_limit(&q) <= ND_EDNS_MAX_UDP);

	/* Every error reply fits the smallest UDP answer. */
	int n = nd_response_error(&q, v == ND_QUERY_REPLY ? rcode
							  : ND_RCODE_SERVFAIL,
				  out, ND_DNS_MIN_UDP);
	CHECK(n >= ND_DNS_HEADER_LEN && n <= ND_DNS_MIN_UDP);
	if (v != ND_QUERY_OK)
		return 0;

	CHECK(q.has_question && q.qclass == ND_CLASS_IN);
	size_t len = canned_upstream(&q, upstream);
	CHECK(nd_answer_parse(upstream, len, stored, sizeof(stored), ttl, 16,
			      &a) == 0);
	CHECK(a.ttl_s == 0 && a.n_ttl == 3 && a.len == len - 11);
	check_render(&a, &q, nd_query_udp_limit(&q), sizeof(out), out);
	check_render(&a, &q, ND_DNS_MIN_UDP, sizeof(out), out);
	check_render(&a, &q, ND_DNS_MAX_MSG, sizeof(out), out);
	check_render(&a, &q, ND_DNS_MAX_MSG, 300, out);
	return 0;
}
