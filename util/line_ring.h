/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/line_ring.h - a bounded byte ring of whole text lines, one producer thread and one consumer thread, no lock. */
#ifndef UTIL_LINE_RING_H
#define UTIL_LINE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The producer only moves head, the consumer only moves tail; both count
 * bytes since the start (2^64 bytes do not wrap in practice), so the
 * bytes held are head - tail. Only whole lines go in, so the consumer
 * never takes half of one. Embedded in its owner; fields are private.
 */
struct nd_line_ring {
	char *buf;	/* cap bytes (owned); NULL before nd_line_ring_init */
	size_t cap;	/* bytes */
	uint64_t head;	/* bytes pushed (producer; release store) */
	uint64_t tail;	/* bytes taken (consumer; release store) */
};

/* Allocate cap bytes (cap >= 2). Returns 0 or -ENOMEM / -EINVAL. The
 * ring is usable by other threads once they see buf != NULL (acquire). */
int nd_line_ring_init(struct nd_line_ring *r, size_t cap);
/* Free the buffer; the ring may be init'ed again. NULL is fine. */
void nd_line_ring_deinit(struct nd_line_ring *r);

/*
 * Producer: append line[0..len) (one or more whole lines, each ending in
 * '\n'). Never blocks. Returns false, appending nothing, when it does
 * not fit in the room left (the caller counts the drop).
 */
bool nd_line_ring_push(struct nd_line_ring *r, const char *line, size_t len);

/*
 * Consumer: copy the oldest whole lines that fit in out[0..cap) and free
 * their room. A line longer than cap comes out in pieces of cap bytes.
 * Returns the bytes copied; 0 when the ring is empty.
 */
size_t nd_line_ring_take(struct nd_line_ring *r, char *out, size_t cap);

/* Bytes held now (either thread; a snapshot). */
size_t nd_line_ring_used(const struct nd_line_ring *r);

#endif /* UTIL_LINE_RING_H */
