/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/query_string.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/errors.h"

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode s in place ('%XX', '+'); the result is never longer. */
static void decode(char *s)
{
	char *w = s;

	for (const char *r = s; *r != '\0'; r++) {
		int hi, lo;

		if (*r == '+') {
			*w++ = ' ';
		} else if (*r == '%' && (hi = hex_value(r[1])) >= 0 &&
			   (lo = hex_value(r[2])) >= 0) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int nd_qs_parse(const char *query, struct nd_qs *out)
{
	size_t pairs = 1;
	char *p;

	if (out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (query == NULL || *query == '\0')
		return 0;
	for (const char *c = query; *c != '\0'; c++)
		pairs += *c == '&';
	out->buf = strdup(query);
	out->v = calloc(pairs, sizeof(*out->v));
	if (out->buf == NULL || out->v == NULL)
		return -ENOMEM;
	p = out->buf;
	/* Bounded: each round consumes one pair; "a=1&" ends at the '&'. */
	while (p != NULL && *p != '\0') {
		char *pair = strsep(&p, "&");
		char *value = pair;
		char *key = strsep(&value, "=");

		if (value == NULL || *key == '\0')
			return ND_EPARSE;
		decode(value);
		out->v[out->n].key = key;
		out->v[out->n].value = value;
		out->n++;
	}
	return 0;
}

const char *nd_qs_get(const struct nd_qs *qs, const char *key)
{
	if (qs == NULL || key == NULL)
		return NULL;
	for (size_t i = 0; i < qs->n; i++)
		if (strcasecmp(qs->v[i].key, key) == 0)
			return qs->v[i].value;
	return NULL;
}

int nd_qs_copy(struct nd_qs *dst, const struct nd_qs *src)
{
	size_t total = 0, off = 0;

	if (dst == NULL)
		return -EINVAL;
	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return -EINVAL;
	if (src->n == 0)
		return 0;
	for (size_t i = 0; i < src->n; i++)
		total += strlen(src->v[i].key) + strlen(src->v[i].value) + 2;
	dst->buf = malloc(total);
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (dst->buf == NULL || dst->v == NULL) {
		nd_qs_free(dst);
		return -ENOMEM;
	}
	for (size_t i = 0; i < src->n; i++) {
		size_t k = strlen(src->v[i].key) + 1;
		size_t v = strlen(src->v[i].value) + 1;

		memcpy(dst->buf + off, src->v[i].key, k);
		dst->v[i].key = dst->buf + off;
		off += k;
		memcpy(dst->buf + off, src->v[i].value, v);
		dst->v[i].value = dst->buf + off;
		off += v;
	}
	dst->n = src->n;
	return 0;
}

void nd_qs_free(struct nd_qs *qs)
{
	if (qs == NULL)
		return;
	free(qs->buf);
	free(qs->v);
	memset(qs, 0, sizeof(*qs));
}

int nd_qs_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || out == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (d > max || v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
