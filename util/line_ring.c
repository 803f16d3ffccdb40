/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/line_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int nd_line_ring_init(struct nd_line_ring *r, size_t cap)
{
	char *buf;

	if (r == NULL || cap < 2)
		return -EINVAL;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	r->cap = cap;
	r->head = 0;
	r->tail = 0;
	/* Last: a thread that sees buf sees the rest. */
	__atomic_store_n(&r->buf, buf, __ATOMIC_RELEASE);
	return 0;
}

void nd_line_ring_deinit(struct nd_line_ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
}

bool nd_line_ring_push(struct nd_line_ring *r, const char *line, size_t len)
{
	uint64_t head = r->head;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	size_t off, first;

	if (len == 0 || len > r->cap - (size_t)(head - tail))
		return false;
	off = (size_t)(head % r->cap);
	first = r->cap - off < len ? r->cap - off : len;
	memcpy(r->buf + off, line, first);
	memcpy(r->buf, line + first, len - first);
	/* Release: the consumer that sees the new head sees the bytes. */
	__atomic_store_n(&r->head, head + len, __ATOMIC_RELEASE);
	return true;
}

size_t nd_line_ring_take(struct nd_line_ring *r, char *out, size_t cap)
{
	uint64_t tail = r->tail;
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	size_t n = 0, cut = 0;

	while (tail + n < head && n < cap) {
		char ch = r->buf[(tail + n) % r->cap];

		out[n++] = ch;
		if (ch == '\n')
			cut = n;
	}
	if (cut == 0)
		cut = n; /* no newline within cap: a piece of a long line */
	/* Release: the producer that sees the new tail may reuse the room. */
	__atomic_store_n(&r->tail, tail + cut, __ATOMIC_RELEASE);
	return cut;
}

size_t nd_line_ring_used(const struct nd_line_ring *r)
{
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

	return (size_t)(head - tail);
}
