/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_debug_query.c - the query string of a /debug request
 * ("name=web.shop&client=10.0.0.1") through nd_qs_parse(), and its values
 * through the checks the views make (?top= with nd_qs_uint, ?name= with
 * nd_explain_name_is_ok, ?namespace= with nd_diag_is_label, ?client= an
 * address). Checks the pairs against the raw text (keys as sent, values
 * decoded), and that the pairs encoded again parse back to the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resolver/diag/explain.h"
#include "resolver/diag/service_json.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"
#include "util/query_string.h"

/* key=%XX%XX... for every pair, joined with '&'. */
static char *encode(const struct nd_qs *qs)
{
	size_t cap = 1, n = 0;
	char *out;

	for (size_t i = 0; i < qs->n; i++)
		cap += strlen(qs->v[i].key) + 3 * strlen(qs->v[i].value) + 2;
	out = malloc(cap);
	CHECK(out != NULL);
	for (size_t i = 0; i < qs->n; i++) {
		n += (size_t)snprintf(out + n, cap - n, "%s%s=",
				      i ? "&" : "", qs->v[i].key);
		for (const char *v = qs->v[i].value; *v != '\0'; v++)
			n += (size_t)snprintf(out + n, cap - n, "%%%02X",
					      (unsigned char)*v);
	}
	out[n] = '\0';
	return out;
}

/* The rule, written plainly: every '&'-separated pair but an empty last
 * one has a key before an '='. */
static bool pairs_are_whole(const char *s)
{
	while (*s != '\0') {
		size_t n = strcspn(s, "&");
		const char *eq = memchr(s, '=', n);

		if (eq == NULL || eq == s)
			return false;
		s += n;
		if (*s == '&')
			s++;
	}
	return true;
}

static size_t count_pairs(const char *s)
{
	size_t n = 0;

	while (*s != '\0') {
		n++;
		s += strcspn(s, "&");
		if (*s == '&')
			s++;
	}
	return n;
}

static void check_values(const struct nd_qs *qs)
{
	const char *top = nd_qs_get(qs, "top");
	uint64_t v;

	if (top != NULL && nd_qs_uint(top, 10000, &v) == 0) {
		CHECK(v <= 10000);
		CHECK(strspn(top, "0123456789") == strlen(top));
		CHECK(v == strtoull(top, NULL, 10));
	}
	(void)nd_explain_name_is_ok(nd_qs_get(qs, "name") ?
					    nd_qs_get(qs, "name") : "");
	if (nd_qs_get(qs, "namespace") != NULL)
		(void)nd_diag_is_label(nd_qs_get(qs, "namespace"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *again;
	struct nd_qs qs, back;
	int rc;

	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	rc = nd_qs_parse(text, &qs);
	CHECK(rc == 0 || rc == ND_EPARSE);
	/* Refused exactly when a pair lacks '=' or has an empty key. */
	CHECK((rc == 0) == pairs_are_whole(text));
	if (rc != 0) {
		nd_qs_free(&qs);
		free(text);
		return 0;
	}
	CHECK(qs.n == count_pairs(text));
	for (size_t i = 0; i < qs.n; i++) {
		const char *k = qs.v[i].key, *val = qs.v[i].value;

		CHECK(*k != '\0' && strpbrk(k, "&=") == NULL);
		CHECK(strstr(text, k) != NULL);
		CHECK(strchr(val, '&') == NULL || strstr(text, "%26"));
		CHECK(strlen(val) <= strlen(text));
		/* The first pair with the key (any case) is what views see. */
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(qs.v[j].key, k) == 0) {
				CHECK(nd_qs_get(&qs, k) != val);
				break;
			}
	}
	check_values(&qs);
	again = encode(&qs);
	CHECK(nd_qs_parse(again, &back) == 0);
	CHECK(back.n == qs.n);
	for (size_t i = 0; i < qs.n; i++)
		CHECK(strcmp(back.v[i].key, qs.v[i].key) == 0 &&
		      strcmp(back.v[i].value, qs.v[i].value) == 0);
	nd_qs_free(&back);
	free(again);
	nd_qs_free(&qs);
	free(text);
	return 0;
}
