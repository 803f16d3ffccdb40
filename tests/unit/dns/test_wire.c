/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* Tests for dns/wire.c: names on the wire and in text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/wire.h"
#include "util/errors.h"

/* "www.example.com." */
static const uint8_t www_example[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a',
				       'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
				       0 };

/* A copy of n bytes on the heap of exactly that size, so ASan sees any
 * read past the end. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	assert_non_null(d);
	memcpy(d, p, n);
	return d;
}

static void test_get_put(void **state)
{
	uint8_t b[4];

	(void)state;
	nd_put16(b, 0xabcd);
	assert_int_equal(b[0], 0xab);
	assert_int_equal(b[1], 0xcd);
	assert_int_equal(nd_get16(b), 0xabcd);
	nd_put32(b, 0x80010203u);
	assert_int_equal(nd_get32(b), 0x80010203u);
	assert_int_equal(b[0], 0x80);
}

static void test_skip_plain(void **state)
{
	(void)state;
	assert_int_equal(nd_dns_name_skip(www_example, sizeof(www_example), 0),
			 (int)sizeof(www_example));
	/* The root alone. */
	static const uint8_t root[] = { 0 };
	assert_int_equal(nd_dns_name_skip(root, 1, 0), 1);
}

static void test_skip_pointer_not_followed(void **state)
{
	/* A pointer ends the name; its target (here past the end) is not
	 * visited. */
	static const uint8_t m[] = { 3, 'f', 'o', 'o', 0xc0, 0x7f };

	(void)state;
	assert_int_equal(nd_dns_name_skip(m, sizeof(m), 0), 6);
	/* Half a pointer. */
	assert_int_equal(nd_dns_name_skip(m, 5, 0), ND_EMALFORMED);
}

static void test_skip_malformed(void **state)
{
	(void)state;
	/* Every proper prefix runs out. */
	for (size_t n = 0; n < sizeof(www_example); n++) {
		uint8_t *d = dup_exact(www_example, n);
		assert_int_equal(nd_dns_name_skip(d, n, 0), ND_EMALFORMED);
		free(d);
	}
	/* Extended label types 0x40 and 0x80 (RFC 6891 5). */
	static const uint8_t ext40[] = { 0x41, 'a', 0 };
	static const uint8_t ext80[] = { 0x81, 'a', 0 };
	assert_int_equal(nd_dns_name_skip(ext40, 3, 0), ND_EMALFORMED);
	assert_int_equal(nd_dns_name_skip(ext80, 3, 0), ND_EMALFORMED);
	assert_int_equal(nd_dns_name_skip(NULL, 3, 0), ND_EMALFORMED);
	/* Offset at or past the end. */
	assert_int_equal(nd_dns_name_skip(www_example, sizeof(www_example),
					  sizeof(www_example)),
			 ND_EMALFORMED);
}

/* A name of exactly `wire` bytes: labels of 63 then one shorter. */
static size_t make_long_name(uint8_t *out, size_t wire)
{
	size_t o = 0, left = wire - 1; /* bytes before the root label */

	while (left > 0) {
		size_t l = left - 1 > 63 ? 63 : left - 1;
		if (left - (l + 1) == 1) /* would leave a 1-byte hole */
			l--;
		out[o++] = (uint8_t)l;
		memset(out + o, 'a', l);
		o += l;
		left -= l + 1;
	}
	out[o++] = 0;
	return o;
}

static void test_name_limit(void **state)
{
	uint8_t n255[300], n256[300], buf[ND_DNS_MAX_NAME];
	size_t out_len = 0;

	(void)state;
	assert_int_equal(make_long_name(n255, 255), 255);
	assert_int_equal(make_long_name(n256, 256), 256);
	assert_int_equal(nd_dns_name_skip(n255, 255, 0), 255);
	assert_int_equal(nd_dns_name_skip(n256, 256, 0), ND_EMALFORMED);
	assert_int_equal(nd_dns_name_read(n255, 255, 0, buf, &out_len, false),
			 255);
	assert_int_equal(out_len, 255);
	assert_memory_equal(buf, n255, 255);
	assert_int_equal(nd_dns_name_read(n256, 256, 0, buf, &out_len, false),
			 ND_EMALFORMED);
}

static void test_read_compressed(void **state)
{
	/* After a 12-byte header (pointers into it are malformed):
	 * 12: "example.com." 25: "www" + pointer to 12, 31: pointer to 25. */
	static const uint8_t m[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				     7, 'E', 'x', 'a', 'm', 'p', 'l', 'e',
				     3, 'c', 'o', 'm', 0,
				     3, 'W', 'w', 'W', 0xc0, 12,
				     0xc0, 25 };
	static const uint8_t want_lc[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a',
					   'm', 'p', 'l', 'e', 3, 'c', 'o',
					   'm', 0 };
	uint8_t buf[ND_DNS_MAX_NAME];
	size_t n = 0;

	(void)state;
	assert_int_equal(nd_dns_name_read(m, sizeof(m), 25, buf, &n, false),
			 31);
	assert_int_equal(n, 17);
	assert_memory_equal(buf, "\3WwW\7Example\3com", 17);
	/* Pointer to a pointer; position returned is just past the first. */
	assert_int_equal(nd_dns_name_read(m, sizeof(m), 31, buf, &n, true),
			 33);
	assert_int_equal(n, sizeof(want_lc));
	assert_memory_equal(buf, want_lc, sizeof(want_lc));
	/* Plain name, lower-cased. */
	assert_int_equal(nd_dns_name_read(m, sizeof(m), 12, buf, &n, true), 25);
	/* A pointer into the header points at no name. */
	assert_int_equal(nd_dns_name_read((const uint8_t *)"\0\0\0\0\0\0"
					  "\0\0\0\0\0\0\xc0\x00", 14, 12,
					  buf, &n, false), ND_EMALFORMED);
	assert_int_equal(nd_dns_name_skip((const uint8_t *)"\0\0\0\0\0\0"
					  "\0\0\0\0\0\0\xc0\x0b", 14, 12),
			 ND_EMALFORMED);
	assert_int_equal(n, 13);
	assert_memory_equal(buf, "\7example\3com", 13);
}

static void test_read_bad_pointers(void **state)
{
	uint8_t buf[ND_DNS_MAX_NAME];
	size_t n = 0;

	(void)state;
	/* Points at itself. */
	static const uint8_t self[] = { 0xc0, 0 };
	assert_int_equal(nd_dns_name_read(self, 2, 0, buf, &n, false),
			 ND_EMALFORMED);
	/* Forward pointer. */
	static const uint8_t fwd[] = { 0xc0, 2, 0 };
	assert_int_equal(nd_dns_name_read(fwd, 3, 0, buf, &n, false),
			 ND_EMALFORMED);
	/* Two pointers pointing at each other: 2 -> 0 -> 2. */
	static const uint8_t loop[] = { 0xc0, 2, 0xc0, 0 };
	assert_int_equal(nd_dns_name_read(loop, 4, 2, buf, &n, false),
			 ND_EMALFORMED);
	/* A label then a pointer back to that label. */
	static const uint8_t lab_loop[] = { 1, 'a', 0xc0, 0 };
	assert_int_equal(nd_dns_name_read(lab_loop, 4, 0, buf, &n, false),
			 ND_EMALFORMED);
	/* Pointer target beyond the message. */
	static const uint8_t past[] = { 0, 0xc0, 0x40 };
	assert_int_equal(nd_dns_name_read(past, 3, 1, buf, &n, false),
			 ND_EMALFORMED);
	/* Truncated pointer. */
	assert_int_equal(nd_dns_name_read(past, 2, 1, buf, &n, false),
			 ND_EMALFORMED);
	/* NULL arguments. */
	assert_int_equal(nd_dns_name_read(NULL, 2, 0, buf, &n, false),
			 ND_EMALFORMED);
	assert_int_equal(nd_dns_name_read(self, 2, 0, NULL, &n, false),
			 ND_EMALFORMED);
	assert_int_equal(nd_dns_name_read(self, 2, 0, buf, NULL, false),
			 ND_EMALFORMED);
}

static void test_read_compressed_too_long(void **state)
{
	/* A 250-byte name at 0, then a label of 10 pointing at it: 261
	 * bytes expanded, over the 255 limit (RFC 1035 2.3.4). */
	uint8_t m[300], buf[ND_DNS_MAX_NAME];
	size_t n = 0, o = make_long_name(m, 250);

	(void)state;
	m[o] = 10;
	memset(m + o + 1, 'b', 10);
	m[o + 11] = 0xc0;
	m[o + 12] = 0;
	assert_int_equal(nd_dns_name_read(m, o + 13, o, buf, &n, false),
			 ND_EMALFORMED);
}

static void test_read_every_prefix(void **state)
{
	static const uint8_t m[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
				     3, 'c', 'o', 'm', 0, 3, 'w', 'w', 'w',
				     0xc0, 12 };
	uint8_t buf[ND_DNS_MAX_NAME];
	size_t n = 0;

	(void)state;
	for (size_t len = 0; len < sizeof(m); len++) {
		uint8_t *d = dup_exact(m, len);
		assert_int_equal(nd_dns_name_read(d, len, 17, buf, &n, false),
				 ND_EMALFORMED);
		free(d);
	}
	assert_int_equal(nd_dns_name_read(m, sizeof(m), 17, buf, &n, false),
			 23);
}

static void test_lower_equal(void **state)
{
	uint8_t n[] = { 3, 'W', 'w', 'W', 2, 'A', '[', 0 };

	(void)state;
	nd_dns_name_lower(n, sizeof(n));
	assert_memory_equal(n, "\3www\2a[", 8);
	/* '[' (0x5b) is not a letter and must not fold. */
	assert_int_equal(n[6], '[');

	static const uint8_t a[] = { 3, 'F', 'o', 'O', 0 };
	static const uint8_t b[] = { 3, 'f', 'O', 'o', 0 };
	static const uint8_t c[] = { 3, 'f', 'o', 'x', 0 };
	static const uint8_t d[] = { 3, 'f', 'o', '\x4f' + 0x20, 0 };
	assert_true(nd_dns_name_equal(a, 5, b, 5));
	assert_false(nd_dns_name_equal(a, 5, c, 5));
	assert_false(nd_dns_name_equal(a, 5, b, 4));
	assert_true(nd_dns_name_equal(a, 5, d, 5));
	/* '@' (0x40) and '`' (0x60) differ by 0x20 but are not letters. */
	static const uint8_t at[] = { 1, '@', 0 };
	static const uint8_t bt[] = { 1, '`', 0 };
	assert_false(nd_dns_name_equal(at, 3, bt, 3));
}

static void test_to_text(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(nd_dns_name_to_text(www_example, sizeof(www_example),
					     buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "www.example.com.");
	static const uint8_t root[] = { 0 };
	assert_int_equal(nd_dns_name_to_text(root, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, ".");
	/* A dot and a backslash inside a label, a space, a control byte and
	 * a byte above 127. */
	static const uint8_t odd[] = { 5, 'a', '.', '\\', ' ', 0x01, 1, 0xff,
				       0 };
	assert_int_equal(nd_dns_name_to_text(odd, sizeof(odd), buf,
					     sizeof(buf)),
			 0);
	assert_string_equal(buf, "a\\.\\\\\\032\\001.\\255.");
	/* Too small a buffer, at every size. */
	for (size_t cap = 0; cap < strlen("www.example.com.") + 1; cap++)
		assert_int_equal(nd_dns_name_to_text(www_example,
						     sizeof(www_example), buf,
						     cap),
				 ND_ENOSPACE);
	/* A label running past len. */
	static const uint8_t bad[] = { 5, 'a', 'b' };
	assert_int_equal(nd_dns_name_to_text(bad, sizeof(bad), buf,
					     sizeof(buf)),
			 ND_EMALFORMED);
}

static void test_from_text(void **state)
{
	uint8_t out[ND_DNS_MAX_NAME];

	(void)state;
	assert_int_equal(nd_dns_name_from_text("www.example.com", out,
					       sizeof(out)),
			 (int)sizeof(www_example));
	assert_memory_equal(out, www_example, sizeof(www_example));
	assert_int_equal(nd_dns_name_from_text("www.example.com.", out,
					       sizeof(out)),
			 (int)sizeof(www_example));
	assert_memory_equal(out, www_example, sizeof(www_example));
	assert_int_equal(nd_dns_name_from_text(".", out, sizeof(out)), 1);
	assert_int_equal(out[0], 0);
	/* Escapes: \. keeps the dot in the label, \032 is a space. */
	assert_int_equal(nd_dns_name_from_text("a\\.b\\032.c", out,
					       sizeof(out)),
			 8);
	assert_memory_equal(out, "\4a.b \1c", 8);
	/* Empty labels. */
	assert_int_equal(nd_dns_name_from_text("a..b", out, sizeof(out)),
			 ND_EPARSE);
	assert_int_equal(nd_dns_name_from_text(".a", out, sizeof(out)),
			 ND_EPARSE);
	assert_int_equal(nd_dns_name_from_text("a.b..", out, sizeof(out)),
			 ND_EPARSE);
	/* \DDD above 255. */
	assert_int_equal(nd_dns_name_from_text("a\\256", out, sizeof(out)),
			 ND_EPARSE);
	/* 63-byte label fine, 64 not. */
	char l63[80], l64[80];
	memset(l63, 'x', 63);
	l63[63] = '\0';
	memset(l64, 'x', 64);
	l64[64] = '\0';
	assert_int_equal(nd_dns_name_from_text(l63, out, sizeof(out)), 65);
	assert_int_equal(nd_dns_name_from_text(l64, out, sizeof(out)),
			 ND_EPARSE);
	/* Too small an output buffer. */
	assert_int_equal(nd_dns_name_from_text("www.example.com", out, 16),
			 ND_EPARSE);
	assert_int_equal(nd_dns_name_from_text(NULL, out, sizeof(out)),
			 ND_EPARSE);
}

static void test_from_text_name_limit(void **state)
{
	/* 4 labels of 63 = 256 wire bytes with the root: over the limit.
	 * 3 x 63 + 61 = 254 wire bytes + root = 255: fine. */
	char text[300];
	uint8_t out[300];
	size_t o = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		memset(text + o, 'a', 63);
		o += 63;
		text[o++] = '.';
	}
	text[o] = '\0';
	assert_int_equal(nd_dns_name_from_text(text, out, sizeof(out)),
			 ND_EPARSE);
	o = 3 * 64;
	memset(text + o, 'b', 61);
	text[o + 61] = '\0';
	assert_int_equal(nd_dns_name_from_text(text, out, sizeof(out)), 255);
}

static void test_text_round_trip(void **state)
{
	static const char *names[] = {
		"a.b.", "x\\.y.z.", "\\000\\255.",
		"kube-dns.kube-system.svc.cluster.local.",
	};
	uint8_t wire[ND_DNS_MAX_NAME];
	char text[ND_DNS_MAX_NAME * 4 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int n = nd_dns_name_from_text(names[i], wire, sizeof(wire));
		assert_true(n > 0);
		assert_int_equal(nd_dns_name_to_text(wire, (size_t)n, text,
						     sizeof(text)),
				 0);
		assert_string_equal(text, names[i]);
	}
}

static void test_type_names(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(nd_dns_type_name(ND_TYPE_A, buf, sizeof(buf)), "A");
	assert_string_equal(nd_dns_type_name(ND_TYPE_AAAA, buf, sizeof(buf)),
			    "AAAA");
	assert_string_equal(nd_dns_type_name(ND_TYPE_SRV, NULL, 0), "SRV");
	assert_string_equal(nd_dns_type_name(ND_TYPE_OPT, buf, sizeof(buf)),
			    "OPT");
	assert_string_equal(nd_dns_type_name(123, buf, sizeof(buf)),
			    "TYPE123");
	assert_string_equal(nd_dns_type_name(65535, buf, sizeof(buf)),
			    "TYPE65535");
	assert_string_equal(nd_dns_type_name(123, NULL, 0), "TYPE?");
}

/* The shared record walker: bounds of a record, pointers not followed. */
static void test_rr_walk(void **state)
{
	/* owner: pointer to offset 12 (never followed), A IN TTL 300, 4 bytes */
	static const uint8_t rec[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 1, 44,
				       0, 4, 192, 0, 2, 1 };
	struct nd_dns_rr rr;
	(void)state;

	assert_int_equal(nd_dns_rr_walk(rec, sizeof(rec), 0, &rr), 0);
	assert_int_equal(rr.owner, 0);
	assert_int_equal(rr.fixed, 2);
	assert_int_equal(rr.rdata, 12);
	assert_int_equal(rr.rdlen, 4);
	assert_int_equal(rr.end, sizeof(rec));
	/* Every cut short of the whole record is malformed. */
	for (size_t n = 0; n < sizeof(rec); n++)
		assert_int_equal(nd_dns_rr_walk(rec, n, 0, &rr), ND_EMALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rr_walk),
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_skip_plain),
		cmocka_unit_test(test_skip_pointer_not_followed),
		cmocka_unit_test(test_skip_malformed),
		cmocka_unit_test(test_name_limit),
		cmocka_unit_test(test_read_compressed),
		cmocka_unit_test(test_read_bad_pointers),
		cmocka_unit_test(test_read_compressed_too_long),
		cmocka_unit_test(test_read_every_prefix),
		cmocka_unit_test(test_lower_equal),
		cmocka_unit_test(test_to_text),
		cmocka_unit_test(test_from_text),
		cmocka_unit_test(test_from_text_name_limit),
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test(test_type_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
