/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_tcp_frame.c - a TCP stream's bytes, arriving in chunks
 * of sizes the input chooses, through both sides of the DNS-over-TCP
 * framing (dns/tcp_frame.h):
 * - the listener's (server/listen_tcp.c): nd_tcp_frame_next() over the
 *   buffered bytes must hand out exactly the messages a plain walk of the
 *   whole stream finds, stop at a length below a header, and the
 *   messages framed again with nd_tcp_frame_put() give back the bytes;
 * - the upstream reader's (server/forwarder.c): nd_tcp_reader must return
 *   exactly the stream's first message, reading nothing past it.
 *
 * Input: byte 0 picks the chunk sizes, the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/tcp_frame.h"
#include "dns/wire.h"
#include "tests/fuzz/fuzz.h"

/* How much the next chunk brings. */
static size_t chunk_at(uint8_t seed, size_t fed, size_t left)
{
	size_t chunk = 1 + (seed * 13u + fed * 5u) % 61u;

	return chunk < left ? chunk : left;
}

static void listener_side(const uint8_t *s, size_t len, uint8_t seed)
{
	uint8_t *buf = malloc(len + 1), *again = malloc(len + 1);
	size_t have = 0, fed = 0, want_off = 0, again_len = 0, msg_len;
	enum nd_tcp_frame f = ND_TCP_FRAME_MORE;
	bool bad = false;

	CHECK(buf != NULL && again != NULL);
	while (fed < len && !bad) {
		size_t chunk = chunk_at(seed, fed, len - fed);

		memcpy(buf + have, s + fed, chunk);
		have += chunk;
		fed += chunk;
		while ((f = nd_tcp_frame_next(buf, have, ND_DNS_HEADER_LEN,
					      &msg_len)) == ND_TCP_FRAME_MSG) {
			/* The plain walk agrees: this message is next. */
			CHECK(msg_len >= ND_DNS_HEADER_LEN);
			CHECK(ND_TCP_LEN_PREFIX + msg_len <= have);
			CHECK(want_off + ND_TCP_LEN_PREFIX + msg_len <= len);
			CHECK(nd_get16(s + want_off) == msg_len);
			CHECK(memcmp(buf + ND_TCP_LEN_PREFIX,
				     s + want_off + ND_TCP_LEN_PREFIX,
				     msg_len) == 0);
			nd_tcp_frame_put(again + again_len, msg_len);
			memcpy(again + again_len + ND_TCP_LEN_PREFIX,
			       buf + ND_TCP_LEN_PREFIX, msg_len);
			again_len += ND_TCP_LEN_PREFIX + msg_len;
			want_off += ND_TCP_LEN_PREFIX + msg_len;
			have -= ND_TCP_LEN_PREFIX + msg_len;
			memmove(buf, buf + ND_TCP_LEN_PREFIX + msg_len, have);
		}
		if (f == ND_TCP_FRAME_BAD) {
			CHECK(have >= ND_TCP_LEN_PREFIX &&
			      msg_len < ND_DNS_HEADER_LEN);
			CHECK(nd_get16(s + want_off) == msg_len);
			bad = true;
		} else {
			CHECK(f == ND_TCP_FRAME_MORE);
			CHECK(have < ND_TCP_LEN_PREFIX ||
			      have < ND_TCP_LEN_PREFIX + msg_len);
		}
	}
	/* What was framed again is byte for byte the stream's head. */
	CHECK(again_len == want_off && memcmp(again, s, again_len) == 0);
	if (!bad && want_off + ND_TCP_LEN_PREFIX <= len)
		/* The stream ends inside its next message. */
		CHECK(want_off + ND_TCP_LEN_PREFIX + nd_get16(s + want_off) >
			      len ||
		      nd_get16(s + want_off) < ND_DNS_HEADER_LEN);
	free(buf);
	free(again);
}

static void reader_side(const uint8_t *s, size_t len, uint8_t seed)
{
	struct nd_tcp_reader r;
	size_t fed = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	while (fed < len && rc == 0) {
		uint8_t *dst;
		size_t space = nd_tcp_reader_space(&r, &dst);
		size_t n = chunk_at(seed, fed, len - fed);

		CHECK(space > 0);
		if (n > space)
			n = space; /* recv() takes at most the space */
		memcpy(dst, s + fed, n);
		fed += n;
		rc = nd_tcp_reader_got(&r, n);
		CHECK(rc == 0 || rc == 1);
	}
	if (len >= ND_TCP_LEN_PREFIX &&
	    len - ND_TCP_LEN_PREFIX >= nd_get16(s)) {
		uint8_t *dst;

		CHECK(rc == 1);
		CHECK(r.msg_len == nd_get16(s));
		CHECK(fed == ND_TCP_LEN_PREFIX + r.msg_len);
		CHECK(memcmp(r.msg, s + ND_TCP_LEN_PREFIX, r.msg_len) == 0);
		CHECK(nd_tcp_reader_space(&r, &dst) == 0);
	} else {
		CHECK(rc == 0 && fed == len);
	}
	nd_tcp_reader_deinit(&r);
	CHECK(r.msg == NULL && r.prefix_pos == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	listener_side(data + 1, size - 1, data[0]);
	reader_side(data + 1, size - 1, data[0]);
	return 0;
}
