/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/cache_dump.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "resolver/cache.h"
#include "util/errors.h"

static const uint8_t magic[4] = { 'N', 'D', 'C', 'D' };

struct writer {
	uint8_t *buf;
	size_t len, cap, max;
	uint32_t entries;
	bool is_full;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static int on_entry(void *arg, const uint8_t *qname, size_t qname_len,
		    uint16_t qtype, uint16_t qclass, const uint8_t *wire,
		    size_t wire_len, uint32_t ttl_left_s)
{
	struct writer *w = arg;
	size_t need = 2 + qname_len + 2 + 2 + 4 + 2 + wire_len;
	uint8_t *p;

	if (ttl_left_s > ND_CACHE_DUMP_MAX_TTL_S)
		ttl_left_s = ND_CACHE_DUMP_MAX_TTL_S;
	if (w->len + need > w->max) {
		w->is_full = true;
		return 0; /* a smaller entry of another shard may still fit */
	}
	if (w->len + need > w->cap) {
		size_t cap = w->cap * 2 > w->len + need ? w->cap * 2
							: w->len + need;
		uint8_t *b = realloc(w->buf, cap);

		if (b == NULL)
			return -ENOMEM;
		w->buf = b;
		w->cap = cap;
	}
	p = w->buf + w->len;
	put16(p, (uint16_t)qname_len);
	memcpy(p + 2, qname, qname_len);
	p += 2 + qname_len;
	put16(p, qtype);
	put16(p + 2, qclass);
	put32(p + 4, ttl_left_s);
	put16(p + 8, (uint16_t)wire_len);
	memcpy(p + 10, wire, wire_len);
	w->len += need;
	w->entries++;
	return 0;
}

long nd_cache_dump_write(struct nd_cache *c, uint64_t now_ms,
			 size_t max_bytes, uint8_t **out, size_t *out_len)
{
	struct writer w = { 0 };
	int rc;

	if (c == NULL || out == NULL || out_len == NULL ||
	    max_bytes < ND_CACHE_DUMP_HEADER)
		return -EINVAL;
	w.max = max_bytes < ND_CACHE_DUMP_MAX_BYTES ? max_bytes
						    : ND_CACHE_DUMP_MAX_BYTES;
	w.cap = 4096;
	w.buf = malloc(w.cap);
	if (w.buf == NULL)
		return -ENOMEM;
	w.len = ND_CACHE_DUMP_HEADER;
	rc = nd_cache_export(c, now_ms, on_entry, &w);
	if (rc != 0) {
		free(w.buf);
		return rc;
	}
	memcpy(w.buf, magic, 4);
	put16(w.buf + 4, ND_CACHE_DUMP_VERSION);
	put16(w.buf + 6, 0);
	put32(w.buf + 8, w.entries);
	put32(w.buf + 12, (uint32_t)(w.len - ND_CACHE_DUMP_HEADER));
	*out = w.buf;
	*out_len = w.len;
	return (long)w.entries;
}

static int bad(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && whylen > 0) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return ND_EMALFORMED;
}

/* A lower-case wire name of exactly len bytes: labels of 1..63, no
 * pointer, the root label last. */
static bool is_name(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		uint8_t l = p[off];

		if (l == 0)
			return off + 1 == len;
		if (l > 63 || off + 1 + l >= len)
			return false;
		for (size_t i = 1; i <= l; i++)
			if (p[off + i] >= 'A' && p[off + i] <= 'Z')
				return false;
		off += 1 + (size_t)l;
	}
	return false;
}

/* Walk the body; with fn NULL only check it. */
static int walk(const uint8_t *buf, size_t len, uint32_t count,
		int (*fn)(void *, const struct nd_cache_dump_entry *),
		void *arg, char *why, size_t whylen)
{
	size_t off = ND_CACHE_DUMP_HEADER;

	for (uint32_t i = 0; i < count; i++) {
		struct nd_cache_dump_entry e;
		int rc;

		if (len - off < 2)
			return bad(why, whylen, "entry %u: truncated", i);
		e.qname_len = get16(buf + off);
		off += 2;
		if (e.qname_len == 0 || e.qname_len > ND_DNS_MAX_NAME ||
		    len - off < (size_t)e.qname_len + 10)
			return bad(why, whylen, "entry %u: name length %u", i,
				   e.qname_len);
		e.qname = buf + off;
		if (!is_name(e.qname, e.qname_len))
			return bad(why, whylen, "entry %u: not a lower-case "
						"wire name",
				   i);
		off += e.qname_len;
		e.qtype = get16(buf + off);
		e.qclass = get16(buf + off + 2);
		e.ttl_left_s = get32(buf + off + 4);
		e.wire_len = get16(buf + off + 8);
		off += 10;
		if (e.ttl_left_s == 0 ||
		    e.ttl_left_s > ND_CACHE_DUMP_MAX_TTL_S)
			return bad(why, whylen, "entry %u: TTL %u", i,
				   e.ttl_left_s);
		if (e.wire_len < ND_DNS_HEADER_LEN || len - off < e.wire_len)
			return bad(why, whylen, "entry %u: message length %u",
				   i, e.wire_len);
		e.wire = buf + off;
		off += e.wire_len;
		if (fn != NULL && (rc = fn(arg, &e)) != 0)
			return rc;
	}
	if (off != len)
		return bad(why, whylen, "%zu bytes after the last entry",
			   len - off);
	return 0;
}

int nd_cache_dump_parse(const uint8_t *buf, size_t len,
			int (*fn)(void *arg,
				  const struct nd_cache_dump_entry *e),
			void *arg, char *why, size_t whylen)
{
	uint32_t count, body;
	int rc;

	if (buf == NULL || len < ND_CACHE_DUMP_HEADER)
		return bad(why, whylen, "shorter than its header");
	if (len > ND_CACHE_DUMP_MAX_BYTES)
		return bad(why, whylen, "%zu bytes, over the bound", len);
	if (memcmp(buf, magic, 4) != 0)
		return bad(why, whylen, "bad magic");
	if (get16(buf + 4) != ND_CACHE_DUMP_VERSION)
		return bad(why, whylen, "version %u not understood",
			   get16(buf + 4));
	if (get16(buf + 6) != 0)
		return bad(why, whylen, "unknown flags 0x%x", get16(buf + 6));
	count = get32(buf + 8);
	body = get32(buf + 12);
	if ((size_t)body != len - ND_CACHE_DUMP_HEADER)
		return bad(why, whylen, "body of %u bytes, %zu present", body,
			   len - ND_CACHE_DUMP_HEADER);
	/* Whole first: a document cut short stores nothing. */
	rc = walk(buf, len, count, NULL, NULL, why, whylen);
	if (rc != 0 || fn == NULL)
		return rc;
	return walk(buf, len, count, fn, arg, why, whylen);
}

struct loader {
	struct nd_cache *c;
	uint64_t now_ms;
	struct nd_cache_dump_stats *st;
	uint8_t *wire;
	uint16_t *ttls;
};

#define TTL_CAP 4096

static int load_one(void *arg, const struct nd_cache_dump_entry *e)
{
	struct loader *l = arg;
	struct nd_answer a;

	l->st->entries++;
	/* The stored form is a reply (QR set) and parses as one again. */
	if (nd_answer_parse(e->wire, e->wire_len, l->wire, UINT16_MAX, l->ttls,
			    TTL_CAP, &a) != 0) {
		l->st->rejected++;
		return 0;
	}
	a.ttl_s = e->ttl_left_s;
	if (nd_cache_put(l->c, e->qname, e->qname_len, e->qtype, e->qclass, &a,
			 l->now_ms) != 0) {
		l->st->rejected++;
		return 0;
	}
	l->st->loaded++;
	return 0;
}

int nd_cache_dump_load(struct nd_cache *c, const uint8_t *buf, size_t len,
		       uint64_t now_ms, struct nd_cache_dump_stats *st,
		       char *why, size_t whylen)
{
	struct loader l = { c, now_ms, st, NULL, NULL };
	int rc;

	if (c == NULL || st == NULL)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	rc = nd_cache_dump_parse(buf, len, NULL, NULL, why, whylen);
	if (rc != 0)
		return rc;
	l.wire = malloc(UINT16_MAX);
	l.ttls = malloc(TTL_CAP * sizeof(*l.ttls));
	if (l.wire == NULL || l.ttls == NULL) {
		free(l.wire);
		free(l.ttls);
		return -ENOMEM;
	}
	rc = nd_cache_dump_parse(buf, len, load_one, &l, why, whylen);
	free(l.wire);
	free(l.ttls);
	return rc;
}
