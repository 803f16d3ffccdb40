/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_cache_dump.c - bytes a predecessor might send over the
 * control socket, through nd_cache_dump_parse() and nd_cache_dump_load():
 * the parser accepts only whole documents, hands out only entries inside
 * them, and what a cache loads from one it writes back as a document the
 * parser accepts. Aborts on any broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/cache.h"
#include "resolver/cache_dump.h"
#include "util/errors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

struct seen {
	const uint8_t *base;
	size_t size;
	uint32_t n;
};

static int on_entry(void *arg, const struct nd_cache_dump_entry *e)
{
	struct seen *s = arg;

	CHECK(e->qname >= s->base && e->qname + e->qname_len <= s->base +
								     s->size);
	CHECK(e->wire >= s->base && e->wire + e->wire_len <= s->base + s->size);
	CHECK(e->qname_len >= 1 && e->qname_len <= 255);
	CHECK(e->qname[e->qname_len - 1] == 0);
	CHECK(e->ttl_left_s >= 1 && e->ttl_left_s <= ND_CACHE_DUMP_MAX_TTL_S);
	CHECK(e->wire_len >= 12);
	s->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { data, size, 0 };
	struct nd_cache_options o = { .max_bytes = 1 << 20,
				      .max_ttl_s = 86400,
				      .neg_max_ttl_s = 3600 };
	struct nd_cache_dump_stats st;
	struct nd_cache *c;
	uint8_t *doc = NULL;
	size_t len = 0;
	char why[128];
	int rc = nd_cache_dump_parse(data, size, on_entry, &s, why,
				     sizeof(why));

	CHECK(rc == 0 || rc == ND_EMALFORMED);
	if (rc != 0) {
		CHECK(s.n == 0); /* nothing before the whole was checked */
		return 0;
	}
	CHECK(size >= ND_CACHE_DUMP_HEADER);
	CHECK(s.n == ((uint32_t)data[8] << 24 | (uint32_t)data[9] << 16 |
		      (uint32_t)data[10] << 8 | data[11]));
	c = nd_cache_new(&o);
	CHECK(c != NULL);
	CHECK(nd_cache_dump_load(c, data, size, 1000000, &st, why,
				 sizeof(why)) == 0);
	CHECK(st.entries == s.n && st.loaded + st.rejected == st.entries);
	CHECK(nd_cache_dump_write(c, 1000000, 1 << 22, &doc, &len) >= 0);
	CHECK(nd_cache_dump_parse(doc, len, NULL, NULL, why, sizeof(why)) ==
	      0);
	free(doc);
	nd_cache_free(c);
	return 0;
}
