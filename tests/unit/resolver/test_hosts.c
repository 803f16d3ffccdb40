/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/query.h"
#include "dns/wire.h"
#include "resolver/hosts.h"
#include "tests/unit/dns/msg_build.h"
#include "util/errors.h"

static const char HOSTS[] =
    "# a comment line\n"
    "\n"
    "10.0.0.1   web.example   www.example  # trailing comment\n"
    "10.0.0.2\tweb.example\n"
    "fd00::1 web.example v6only.example\n"
    "10.0.0.1 other.example\r\n"
    "   192.168.1.9 Mixed.Case.Example.\n";

struct reply {
	uint8_t b[65536];
	size_t len;
	uint16_t flags;
	uint16_t an;
	size_t rdata[64]; /* offset of each answer's RDATA */
	uint16_t rdlen[64];
	uint16_t type[64];
	uint32_t ttl[64];
};

static struct nd_hosts *parse_ok(const char *text)
{
	struct nd_hosts *h = NULL;
	struct nd_hosts_error err;
	int rc = nd_hosts_parse(text, strlen(text), 60, &h, &err);

	if (rc != 0)
		fail_msg("line %u: %s", err.line, err.reason);
	assert_non_null(h);
	return h;
}

static void make_query(struct nd_query *q, const char *name, uint16_t type,
		       int edns)
{
	struct tm_msg m;
	int rcode = 0;

	tm_hdr(&m, 0x1234, ND_FLAG_RD, 1, 0, 0, edns ? 1 : 0);
	tm_put_name(&m, name);
	tm_put16(&m, type);
	tm_put16(&m, ND_CLASS_IN);
	if (edns) {
		tm_put8(&m, 0);
		tm_put16(&m, ND_TYPE_OPT);
		tm_put16(&m, 4096);
		tm_put32(&m, 0);
		tm_put16(&m, 0);
	}
	assert_int_equal(nd_query_parse(m.b, m.n, q, &rcode), ND_QUERY_OK);
}

/* Ask h; returns what nd_hosts_answer returned and fills r. */
static int ask(const struct nd_hosts *h, const char *name, uint16_t type,
	       size_t limit, struct reply *r)
{
	struct nd_query q;
	int rc;

	make_query(&q, name, type, 0);
	memset(r, 0, sizeof(*r));
	rc = nd_hosts_answer(h, &q, limit, r->b, sizeof(r->b), &r->len);
	if (rc != ND_HOSTS_ANSWERED)
		return rc;
	assert_true(r->len >= ND_DNS_HEADER_LEN);
	assert_int_equal(nd_get16(r->b), 0x1234);
	r->flags = nd_get16(r->b + 2);
	r->an = nd_get16(r->b + 6);
	assert_int_equal(nd_get16(r->b + 4), 1);
	/* The question as asked, byte for byte. */
	assert_int_equal(q.question_end, ND_DNS_HEADER_LEN + q.qname_len + 4);
	assert_memory_equal(r->b + ND_DNS_HEADER_LEN, q.qname, q.qname_len);

	size_t off = q.question_end;

	for (uint16_t i = 0; i < r->an && i < 64; i++) {
		struct nd_dns_rr rr;

		assert_int_equal(nd_dns_rr_walk(r->b, r->len, off, &rr), 0);
		r->type[i] = nd_get16(r->b + rr.fixed);
		r->ttl[i] = nd_get32(r->b + rr.fixed + 4);
		r->rdata[i] = rr.rdata;
		r->rdlen[i] = rr.rdlen;
		off = rr.end;
	}
	return rc;
}

static void test_forward(void **state)
{
	struct nd_hosts *h = parse_ok(HOSTS);
	struct reply r;
	const uint8_t a1[4] = {10, 0, 0, 1}, a2[4] = {10, 0, 0, 2};

	(void)state;
	assert_int_equal(nd_hosts_entries(h), 7);
	assert_int_equal(ask(h, "web.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_true(r.flags & ND_FLAG_AA);
	assert_true(r.flags & ND_FLAG_QR);
	assert_true(r.flags & ND_FLAG_RD);
	assert_int_equal(r.flags & ND_FLAG_RCODE_MASK, ND_RCODE_NOERROR);
	assert_int_equal(r.an, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r.type[i], ND_TYPE_A);
		assert_int_equal(r.ttl[i], 60);
		assert_int_equal(r.rdlen[i], 4);
	}
	/* Both addresses, in some rotation. */
	assert_true((memcmp(r.b + r.rdata[0], a1, 4) == 0 &&
		     memcmp(r.b + r.rdata[1], a2, 4) == 0) ||
		    (memcmp(r.b + r.rdata[0], a2, 4) == 0 &&
		     memcmp(r.b + r.rdata[1], a1, 4) == 0));

	assert_int_equal(ask(h, "web.example.", ND_TYPE_AAAA, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.type[0], ND_TYPE_AAAA);
	assert_int_equal(r.rdlen[0], 16);
	assert_int_equal(r.b[r.rdata[0]], 0xfd);
	assert_int_equal(r.b[r.rdata[0] + 15], 1);

	/* An alias is a name like any other. */
	assert_int_equal(ask(h, "www.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	assert_memory_equal(r.b + r.rdata[0], a1, 4);
	nd_hosts_free(h);
}

static void test_case_insensitive(void **state)
{
	struct nd_hosts *h = parse_ok(HOSTS);
	struct reply r;

	(void)state;
	assert_int_equal(ask(h, "mixed.case.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	/* The client's spelling comes back in the question. */
	assert_int_equal(ask(h, "WEB.Example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 2);
	nd_hosts_free(h);
}

static void test_nodata_and_not_ours(void **state)
{
	struct nd_hosts *h = parse_ok(HOSTS);
	struct reply r;

	(void)state;
	assert_int_equal(ask(h, "v6only.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 0);
	assert_int_equal(r.flags & ND_FLAG_RCODE_MASK, ND_RCODE_NOERROR);
	assert_true(r.flags & ND_FLAG_AA);
	assert_int_equal(nd_get16(r.b + 8), 0); /* no SOA */
	assert_int_equal(ask(h, "web.example.", ND_TYPE_MX, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 0);
	assert_int_equal(ask(h, "web.example.", ND_TYPE_TXT, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 0);
	/* A reverse name exists without A. */
	assert_int_equal(ask(h, "1.0.0.10.in-addr.arpa.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 0);

	assert_int_equal(ask(h, "nothere.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_NOT_OURS);
	assert_int_equal(ask(h, "example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_NOT_OURS);
	assert_int_equal(ask(h, "sub.web.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_NOT_OURS);
	assert_int_equal(ask(h, "2.2.2.2.in-addr.arpa.", ND_TYPE_PTR, 512, &r),
			 ND_HOSTS_NOT_OURS);
	nd_hosts_free(h);
}

/* The PTR target's wire name at r's answer i, as text. */
static void ptr_text(const struct reply *r, int i, char *buf, size_t cap)
{
	uint8_t name[ND_DNS_MAX_NAME];
	size_t len;

	assert_true(
	    nd_dns_name_read(r->b, r->len, r->rdata[i], name, &len, false) > 0);
	assert_int_equal(nd_dns_name_to_text(name, len, buf, cap), 0);
}

static void test_ptr(void **state)
{
	struct nd_hosts *h = parse_ok(HOSTS);
	struct reply r;
	char t[300];

	(void)state;
	/* 10.0.0.1 is listed first for web.example, then other.example. */
	assert_int_equal(ask(h, "1.0.0.10.in-addr.arpa.", ND_TYPE_PTR, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_true(r.flags & ND_FLAG_AA);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.type[0], ND_TYPE_PTR);
	assert_int_equal(r.ttl[0], 60);
	ptr_text(&r, 0, t, sizeof(t));
	assert_string_equal(t, "web.example.");

	assert_int_equal(
	    ask(h, "9.1.168.192.IN-ADDR.ARPA.", ND_TYPE_PTR, 512, &r),
	    ND_HOSTS_ANSWERED);
	ptr_text(&r, 0, t, sizeof(t));
	assert_string_equal(t, "mixed.case.example.");

	assert_int_equal(ask(h,
			     "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
			     "0.0.0.0.0.0.d.f.ip6.arpa.",
			     ND_TYPE_PTR, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	ptr_text(&r, 0, t, sizeof(t));
	assert_string_equal(t, "web.example.");
	/* A name has no PTR: NODATA. */
	assert_int_equal(ask(h, "web.example.", ND_TYPE_PTR, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 0);
	nd_hosts_free(h);
}

static void test_edns_and_ttl(void **state)
{
	struct nd_hosts *h = NULL;
	struct nd_query q;
	uint8_t out[512];
	size_t len;

	(void)state;
	assert_int_equal(
	    nd_hosts_parse("10.1.1.1 a.example\n", 19, 300, &h, NULL), 0);
	make_query(&q, "a.example.", ND_TYPE_A, 1);
	assert_int_equal(nd_hosts_answer(h, &q, 4096, out, sizeof(out), &len),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(nd_get16(out + 6), 1);
	assert_int_equal(nd_get16(out + 10), 1); /* OPT */
	/* TTL of the record: after the pointer owner, TYPE, CLASS. */
	assert_int_equal(nd_get32(out + q.question_end + 6), 300);
	nd_hosts_free(h);
}

static void test_truncation(void **state)
{
	char text[ND_HOSTS_MAX_ADDRS_PER_NAME * 40];
	struct nd_hosts *h;
	struct reply r;
	size_t n = 0;

	(void)state;
	for (unsigned i = 0; i < ND_HOSTS_MAX_ADDRS_PER_NAME; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "fd00::%x big.example\n", i + 1);
	h = parse_ok(text);
	assert_int_equal(ask(h, "big.example.", ND_TYPE_AAAA, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_true(r.flags & ND_FLAG_TC);
	assert_true(r.len <= 512);
	assert_true(r.an > 0 && r.an < ND_HOSTS_MAX_ADDRS_PER_NAME);
	assert_int_equal(ask(h, "big.example.", ND_TYPE_AAAA, 65535, &r),
			 ND_HOSTS_ANSWERED);
	assert_false(r.flags & ND_FLAG_TC);
	assert_int_equal(r.an, ND_HOSTS_MAX_ADDRS_PER_NAME);
	nd_hosts_free(h);
}

static void test_duplicates_and_zone(void **state)
{
	struct nd_hosts *h = parse_ok("10.0.0.1 a.example\n"
				      "10.0.0.1 a.example A.EXAMPLE\n"
				      "fe80::1%eth0 a.example\n");
	struct reply r;

	(void)state;
	assert_int_equal(nd_hosts_entries(h), 2);
	assert_int_equal(ask(h, "a.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	assert_int_equal(ask(h, "a.example.", ND_TYPE_AAAA, 512, &r),
			 ND_HOSTS_ANSWERED);
	assert_int_equal(r.an, 1);
	assert_int_equal(r.b[r.rdata[0]], 0xfe);
	nd_hosts_free(h);
}

static void test_empty(void **state)
{
	struct nd_hosts *h = parse_ok("# nothing here\n\n   \n");
	struct reply r;

	(void)state;
	assert_int_equal(nd_hosts_entries(h), 0);
	assert_int_equal(ask(h, "a.example.", ND_TYPE_A, 512, &r),
			 ND_HOSTS_NOT_OURS);
	nd_hosts_free(h);
	h = NULL;
	assert_int_equal(nd_hosts_parse("", 0, 60, &h, NULL), 0);
	assert_non_null(h);
	nd_hosts_free(h);
}

/* text must be refused at line with a reason containing what. */
static void refused(const char *text, size_t len, unsigned line,
		    const char *what)
{
	struct nd_hosts *h = (struct nd_hosts *)1;
	struct nd_hosts_error err;

	assert_int_equal(nd_hosts_parse(text, len, 60, &h, &err), ND_EPARSE);
	assert_null(h);
	if (err.line != line || strstr(err.reason, what) == NULL)
		fail_msg("want line %u '%s', got line %u '%s'", line, what,
			 err.line, err.reason);
}

static void test_errors(void **state)
{
	static const char nul[] = "10.0.0.1 a.example\n10.0.0.2 b\0x\n";

	(void)state;
	refused("10.0.0.1 a.example\n# c\n10.0.0.256 b.example\n", 46, 3,
		"bad address '10.0.0.256'");
	refused("a.example 10.0.0.1\n", 19, 1, "bad address 'a.example'");
	refused("\n\n10.0.0.1\n", 11, 3, "address without a name");
	refused("10.0.0.1   # only a comment\n", 28, 1,
		"address without a name");
	refused("10.0.0.1 a..example\n", 20, 1, "bad name 'a..example'");
	refused("10.0.0.1 a.example bad!name\n", 28, 1, "bad name 'bad!name'");
	refused("::1:: a.example\n", 16, 1, "bad address");
	refused(nul, sizeof(nul) - 1, 2, "NUL");
}

static void test_bounds(void **state)
{
	size_t cap = ND_HOSTS_MAX_FILE_BYTES + 64, n = 0;
	char *text = malloc(cap);
	struct nd_hosts *h = NULL;

	(void)state;
	assert_non_null(text);
	/* Names per line. */
	n = (size_t)snprintf(text, cap, "10.0.0.1");
	for (unsigned i = 0; i <= ND_HOSTS_MAX_NAMES_PER_LINE; i++)
		n += (size_t)snprintf(text + n, cap - n, " n%u.example", i);
	text[n++] = '\n';
	refused(text, n, 1, "more than 32 names");

	/* Addresses per name. */
	n = 0;
	for (unsigned i = 0; i <= ND_HOSTS_MAX_ADDRS_PER_NAME; i++)
		n += (size_t)snprintf(text + n, cap - n,
				      "10.0.1.%u a.example\n", i);
	refused(text, n, ND_HOSTS_MAX_ADDRS_PER_NAME + 1,
		"more than 64 IPv4 addresses for 'a.example'");

	/* Entries: 2049 lines of 32 names each, all different. */
	n = 0;
	for (unsigned l = 0; l <= ND_HOSTS_MAX_ENTRIES / 32; l++) {
		n += (size_t)snprintf(text + n, cap - n, "10.%u.%u.1", l >> 8,
				      l & 0xff);
		for (unsigned k = 0; k < 32; k++)
			n += (size_t)snprintf(text + n, cap - n, " h%u",
					      l * 32 + k);
		text[n++] = '\n';
	}
	assert_true(n < ND_HOSTS_MAX_FILE_BYTES);
	refused(text, n, ND_HOSTS_MAX_ENTRIES / 32 + 1,
		"more than 65536 entries");

	/* Without the last line, exactly at the bound: fine. */
	n--;
	while (n > 0 && text[n - 1] != '\n')
		n--;
	assert_int_equal(nd_hosts_parse(text, n, 60, &h, NULL), 0);
	assert_int_equal(nd_hosts_entries(h), ND_HOSTS_MAX_ENTRIES);
	nd_hosts_free(h);

	/* Lines. */
	memset(text, '\n', ND_HOSTS_MAX_LINES + 1);
	refused(text, ND_HOSTS_MAX_LINES + 1, ND_HOSTS_MAX_LINES + 1,
		"more than 65536 lines");

	/* File size: refused before reading a line. */
	memset(text, '#', ND_HOSTS_MAX_FILE_BYTES + 1);
	refused(text, ND_HOSTS_MAX_FILE_BYTES + 1, 0, "larger than 1048576");
	free(text);
}

static void test_args(void **state)
{
	struct nd_hosts *h = parse_ok(HOSTS);
	struct nd_query q;
	uint8_t out[512];
	size_t len;

	(void)state;
	assert_int_equal(nd_hosts_parse("x", 1, 60, NULL, NULL), -EINVAL);
	make_query(&q, "web.example.", ND_TYPE_A, 0);
	assert_int_equal(nd_hosts_answer(NULL, &q, 512, out, sizeof(out), &len),
			 -EINVAL);
	assert_int_equal(nd_hosts_answer(h, NULL, 512, out, sizeof(out), &len),
			 -EINVAL);
	assert_int_equal(nd_hosts_answer(h, &q, 512, out, 20, &len),
			 ND_ENOSPACE);
	nd_hosts_free(NULL);
	nd_hosts_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forward),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_nodata_and_not_ours),
	    cmocka_unit_test(test_ptr),
	    cmocka_unit_test(test_edns_and_ttl),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_duplicates_and_zone),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
