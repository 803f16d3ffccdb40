/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/tcp_frame.h - the 2-byte length framing of DNS over TCP (RFC 1035 4.2.2, RFC 7766 8), both sides. */
#ifndef DNS_TCP_FRAME_H
#define DNS_TCP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define ND_TCP_LEN_PREFIX 2 /* bytes of the length before each message */

enum nd_tcp_frame {
	ND_TCP_FRAME_MORE = 0, /* no whole message yet: read on */
	ND_TCP_FRAME_MSG = 1,  /* a whole message follows the prefix */
	ND_TCP_FRAME_BAD = -1, /* a length below min_len: the stream cannot
				  be resynchronised, close it */
};

/*
 * Is a whole message at the head of a stream that holds have bytes?
 * prefix: the stream's first min(have, 2) bytes (only those are read).
 * min_len: the shortest message taken (a DNS header for queries).
 * *msg_len: the message's length when the prefix is in (MSG or MORE
 * after the prefix, BAD), else 0.
 */
enum nd_tcp_frame nd_tcp_frame_next(const uint8_t *prefix, size_t have,
				    size_t min_len, size_t *msg_len);

/* Write the prefix of a message of len bytes (at most 65535). */
void nd_tcp_frame_put(uint8_t prefix[ND_TCP_LEN_PREFIX], size_t len);

/*
 * The reading side of one reply on a connection (the upstream side: one
 * query per connection): the prefix, then exactly that many bytes.
 * Zero it to start; nd_tcp_reader_deinit() frees the reply.
 */
struct nd_tcp_reader {
	uint8_t prefix[ND_TCP_LEN_PREFIX];
	size_t prefix_pos;	/* prefix bytes read */
	uint8_t *msg;		/* malloc'd once its length is known */
	size_t msg_len;		/* from the prefix; 0 is possible (a reply
				   the caller judges bad) */
	size_t msg_pos;		/* message bytes read */
};

/* Where the next bytes read go, and at most how many: *dst, returned.
 * 0 when the reply is complete. */
size_t nd_tcp_reader_space(struct nd_tcp_reader *r, uint8_t **dst);

/*
 * n bytes were read into the space above (n at most what it returned).
 * Returns 1 when the reply is complete (r->msg[0..r->msg_len), owned by
 * r), 0 when more is wanted, -ENOMEM or -EINVAL.
 */
int nd_tcp_reader_got(struct nd_tcp_reader *r, size_t n);

/* Free the reply and zero r for the next one; NULL is fine. */
void nd_tcp_reader_deinit(struct nd_tcp_reader *r);

#endif /* DNS_TCP_FRAME_H */
