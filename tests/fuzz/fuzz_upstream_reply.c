/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_upstream_reply.c - an upstream's reply bytes through
 * the matching and judging of dns/upstream_msg.c (nd_fwd_matches,
 * nd_fwd_classify), against the question a fixed query asked and
 * against the question the reply itself carries. Checks what a match
 * promises (QR, opcode, ID, the question or a question-less error), that
 * the reply's own question always matches, also with its case changed
 * (0x20), and never with another ID, and that our own query for that
 * question, turned into a reply, matches and is accepted.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dns/upstream_msg.h"
#include "dns/wire.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"

/* "example.com." */
static const uint8_t example[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				   3, 'c', 'o', 'm', 0 };

/* What nd_fwd_matches() returning true promises about pkt. */
static void check_match(const uint8_t *pkt, size_t len, uint16_t id)
{
	uint16_t flags = nd_get16(pkt + 2);
	unsigned rc = flags & ND_FLAG_RCODE_MASK;

	CHECK(len >= ND_DNS_HEADER_LEN);
	CHECK((flags & ND_FLAG_QR) && (flags & ND_FLAG_OPCODE_MASK) == 0);
	CHECK(nd_get16(pkt) == id);
	CHECK(nd_get16(pkt + 4) == 1 ||
	      (nd_get16(pkt + 4) == 0 &&
	       (rc == ND_RCODE_REFUSED || rc == ND_RCODE_SERVFAIL ||
		rc == ND_RCODE_FORMERR || rc == ND_RCODE_NOTIMP)));
}

static void check_classify(const uint8_t *pkt, size_t len)
{
	enum nd_fwd_verdict v = nd_fwd_classify(pkt, len);

	CHECK(v >= ND_FWD_ACCEPT && v <= ND_FWD_BAD);
	if (len < ND_DNS_HEADER_LEN) {
		CHECK(v == ND_FWD_BAD);
		return;
	}
	if (nd_get16(pkt + 2) & ND_FLAG_TC)
		CHECK(v == ND_FWD_TRUNCATED);
	if (v == ND_FWD_ACCEPT) {
		unsigned rc = nd_get16(pkt + 2) & ND_FLAG_RCODE_MASK;

		CHECK(rc == ND_RCODE_NOERROR || rc == ND_RCODE_NXDOMAIN);
		/* What is accepted goes on to the cache: every section
		 * walks (bytes after the last record are left alone). */
		CHECK(fuzz_msg_end(pkt, len) > 0);
	}
}

/* Our query for qs, answered by an empty NOERROR reply: it matches and
 * is accepted, and it does not match another ID. */
static void check_own_query(const struct nd_question *qs, uint16_t id)
{
	uint8_t q[ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4 + 11];
	int n = nd_fwd_build_query(qs, id, q, sizeof(q));

	CHECK(n > 0 && (size_t)n <= sizeof(q));
	CHECK(fuzz_msg_is_whole(q, (size_t)n));
	CHECK(nd_fwd_build_query(qs, id, q, (size_t)n - 1) == ND_ENOSPACE);
	nd_put16(q + 2, nd_get16(q + 2) | ND_FLAG_QR | ND_FLAG_RA);
	CHECK(nd_fwd_matches(q, (size_t)n, id, qs));
	CHECK(!nd_fwd_matches(q, (size_t)n, (uint16_t)(id + 1), qs));
	CHECK(nd_fwd_classify(q, (size_t)n) == ND_FWD_ACCEPT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[ND_DNS_MAX_MSG];
	uint8_t name[ND_DNS_MAX_NAME];
	size_t name_len = 0;
	struct nd_question fixed = { example, sizeof(example), ND_TYPE_A,
				     ND_CLASS_IN };
	struct nd_question own;
	uint16_t id = size >= 2 ? nd_get16(data) : 0;
	int off;

	if (nd_fwd_matches(data, size, 0x1234, &fixed))
		check_match(data, size, 0x1234);
	if (nd_fwd_matches(data, size, id, &fixed))
		check_match(data, size, id);
	check_classify(data, size);
	if (size < ND_DNS_HEADER_LEN || size > sizeof(copy))
		return 0;

	/* The reply's own question, as our query would have asked it. */
	off = nd_dns_name_read(data, size, ND_DNS_HEADER_LEN, name, &name_len,
			       true);
	if (off < 0 || (size_t)off + 4 > size)
		return 0;
	own = (struct nd_question){ name, (uint16_t)name_len,
				    nd_get16(data + off),
				    nd_get16(data + off + 2) };
	check_own_query(&own, id);

	uint16_t flags = nd_get16(data + 2);
	unsigned rc = flags & ND_FLAG_RCODE_MASK;
	bool is_reply = (flags & ND_FLAG_QR) &&
			(flags & ND_FLAG_OPCODE_MASK) == 0;
	bool is_error = rc == ND_RCODE_REFUSED || rc == ND_RCODE_SERVFAIL ||
			rc == ND_RCODE_FORMERR || rc == ND_RCODE_NOTIMP;

	/* With our ID: its own question matches, and so does an error
	 * without a question (the bytes after the header are then no
	 * question at all). */
	CHECK(nd_fwd_matches(data, size, id, &own) ==
	      (is_reply && (nd_get16(data + 4) == 1 ||
			    (nd_get16(data + 4) == 0 && is_error))));
	if (!is_reply || nd_get16(data + 4) != 1)
		return 0;
	CHECK(!nd_fwd_matches(data, size, (uint16_t)(id ^ 0x8001), &own));
	/* The upstream may change the case of an uncompressed question. */
	memcpy(copy, data, size);
	for (size_t i = ND_DNS_HEADER_LEN; i < size && copy[i] != 0;) {
		size_t l = copy[i];

		if (l > 63)
			break;
		for (size_t j = i + 1; j <= i + l && j < size; j++)
			if ((copy[j] | 0x20) >= 'a' && (copy[j] | 0x20) <= 'z')
				copy[j] ^= 0x20;
		i += l + 1;
	}
	CHECK(nd_fwd_matches(copy, size, id, &own));
	return 0;
}
