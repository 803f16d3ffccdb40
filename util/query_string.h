/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/query_string.h - a URL's query string ("a=1&b=x%20y") into decoded key/value pairs. */
#ifndef UTIL_QUERY_STRING_H
#define UTIL_QUERY_STRING_H

#include <stddef.h>
#include <stdint.h>

struct nd_qs_param {
	const char *key;   /* as sent (not decoded), never empty */
	const char *value; /* decoded: %XX (two hex digits) is that byte,
			      '+' a space; a decoded NUL ends it */
};

/* A parsed query string; the strings point into buf. */
struct nd_qs {
	char *buf;		 /* owned: the decoded copy */
	struct nd_qs_param *v;	 /* owned: n pairs in request order */
	size_t n;
};

/*
 * Parse query (without the '?'; NULL or "" is no parameters), the rules of
 * libevent's evhttp_parse_query_str() that the endpoint used before:
 * pairs separated by '&', each "key=value" (the value may hold more '=');
 * one trailing '&' is allowed; a pair without '=' or with an empty key
 * (also an empty pair, "a=1&&b=2") makes the whole string malformed.
 * out: zeroed and filled; nd_qs_free() it whatever this returns.
 * Returns 0, ND_EPARSE (malformed), -EINVAL or -ENOMEM.
 */
int nd_qs_parse(const char *query, struct nd_qs *out);

/* The value of the first pair whose key is key (ASCII case-insensitive,
 * as evhttp_find_header), or NULL; borrowed from qs. */
const char *nd_qs_get(const struct nd_qs *qs, const char *key);

/* Copy src into dst (overwritten, not freed first): every pair, in
 * order. Returns 0, -EINVAL or -ENOMEM (dst then zeroed). */
int nd_qs_copy(struct nd_qs *dst, const struct nd_qs *src);

/* Free what qs holds and zero it; NULL is fine. */
void nd_qs_free(struct nd_qs *qs);

/*
 * A whole number in decimal digits only (no sign, no space; leading zeros
 * are fine), at most max, into *out. Returns 0 or -EINVAL.
 */
int nd_qs_uint(const char *s, uint64_t max, uint64_t *out);

#endif /* UTIL_QUERY_STRING_H */
