/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/tcp_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum nd_tcp_frame nd_tcp_frame_next(const uint8_t *prefix, size_t have,
				    size_t min_len, size_t *msg_len)
{
	size_t len;

	*msg_len = 0;
	if (have < ND_TCP_LEN_PREFIX || prefix == NULL)
		return ND_TCP_FRAME_MORE;
	len = ((size_t)prefix[0] << 8) | prefix[1];
	*msg_len = len;
	if (len < min_len)
		return ND_TCP_FRAME_BAD;
	return have - ND_TCP_LEN_PREFIX >= len ? ND_TCP_FRAME_MSG
					       : ND_TCP_FRAME_MORE;
}

void nd_tcp_frame_put(uint8_t prefix[ND_TCP_LEN_PREFIX], size_t len)
{
	prefix[0] = (uint8_t)(len >> 8);
	prefix[1] = (uint8_t)len;
}

size_t nd_tcp_reader_space(struct nd_tcp_reader *r, uint8_t **dst)
{
	if (r->prefix_pos < ND_TCP_LEN_PREFIX) {
		*dst = r->prefix + r->prefix_pos;
		return ND_TCP_LEN_PREFIX - r->prefix_pos;
	}
	*dst = r->msg + r->msg_pos;
	return r->msg_len - r->msg_pos;
}

int nd_tcp_reader_got(struct nd_tcp_reader *r, size_t n)
{
	if (r->prefix_pos < ND_TCP_LEN_PREFIX) {
		if (n > ND_TCP_LEN_PREFIX - r->prefix_pos)
			return -EINVAL;
		r->prefix_pos += n;
		if (r->prefix_pos < ND_TCP_LEN_PREFIX)
			return 0;
		r->msg_len = ((size_t)r->prefix[0] << 8) | r->prefix[1];
		/* Too short for a header: the caller judges it bad. */
		r->msg = malloc(r->msg_len ? r->msg_len : 1);
		if (r->msg == NULL)
			return -ENOMEM;
		r->msg_pos = 0;
	} else {
		if (r->msg == NULL || n > r->msg_len - r->msg_pos)
			return -EINVAL;
		r->msg_pos += n;
	}
	return r->msg_pos == r->msg_len ? 1 : 0;
}

void nd_tcp_reader_deinit(struct nd_tcp_reader *r)
{
	if (r == NULL)
		return;
	free(r->msg);
	memset(r, 0, sizeof(*r));
}
