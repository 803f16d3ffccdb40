/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/cache_dump.h - the cache as bytes for a successor process: a small versioned, bounded binary format, its writer, its validating parser, and loading it into a cache. */
#ifndef RESOLVER_CACHE_DUMP_H
#define RESOLVER_CACHE_DUMP_H

#include <stddef.h>
#include <stdint.h>

struct nd_cache;

/*
 * The format (all integers big-endian):
 *   header, 16 bytes: "NDCD", version u16 (1), flags u16 (0),
 *     entries u32, body bytes u32 (what follows the header);
 *   per entry: qname_len u16 (1..255), the lower-case wire name,
 *     qtype u16, qclass u16, ttl_left_s u32 (1..ND_CACHE_DUMP_MAX_TTL_S),
 *     wire_len u16 (12..65535), the stored message (TTLs already lowered
 *     by the entry's age).
 * The body must hold exactly the entries the header counts.
 */
#define ND_CACHE_DUMP_VERSION 1
#define ND_CACHE_DUMP_HEADER 16
#define ND_CACHE_DUMP_MAX_BYTES ((size_t)256 << 20) /* whole document */
#define ND_CACHE_DUMP_MAX_TTL_S (7u * 86400)

/* One entry as the parser hands it out; pointers into the buffer. */
struct nd_cache_dump_entry {
	const uint8_t *qname; /* lower-case wire name, qname_len bytes */
	uint16_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	uint32_t ttl_left_s; /* lifetime left when written */
	const uint8_t *wire; /* the stored message */
	uint16_t wire_len;
};

/*
 * Write every fresh entry of c at now_ms (nd_cache_export) into a new
 * buffer, at most max_bytes (<= ND_CACHE_DUMP_MAX_BYTES; entries past it
 * are left out, hottest kept first within a shard).
 * *out: malloc'ed, the caller frees it; *out_len its length.
 * Returns the number of entries written, or -ENOMEM / -EINVAL.
 */
long nd_cache_dump_write(struct nd_cache *c, uint64_t now_ms,
			 size_t max_bytes, uint8_t **out, size_t *out_len);

/*
 * Check buf[0..len) whole (header, every length, every name, the count)
 * before handing out anything, then call fn for each entry in order; a
 * non-zero return from fn stops the walk and is returned.
 * Returns 0, ND_EMALFORMED (why in why[whylen] when given: "bad magic",
 * "version 2 not understood", "entry 7: name"...), or fn's code.
 */
int nd_cache_dump_parse(const uint8_t *buf, size_t len,
			int (*fn)(void *arg,
				  const struct nd_cache_dump_entry *e),
			void *arg, char *why, size_t whylen);

/* What nd_cache_dump_load did. */
struct nd_cache_dump_stats {
	uint64_t entries;  /* entries in the document */
	uint64_t loaded;   /* stored in the cache */
	uint64_t rejected; /* stored message not a valid answer, or not kept */
};

/*
 * Parse buf and store each entry in c as if just received with its
 * lifetime left (the message is parsed again as an upstream answer, so
 * nothing unchecked reaches the cache).
 * Returns 0 with *st filled, or what nd_cache_dump_parse returned (then
 * nothing was stored).
 */
int nd_cache_dump_load(struct nd_cache *c, const uint8_t *buf, size_t len,
		       uint64_t now_ms, struct nd_cache_dump_stats *st,
		       char *why, size_t whylen);

#endif /* RESOLVER_CACHE_DUMP_H */
