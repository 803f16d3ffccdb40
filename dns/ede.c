/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/ede.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "dns/wire.h"
#include "util/errors.h"

/* OPTION-CODE, OPTION-LENGTH, INFO-CODE (RFC 8914 2). */
#define EDE_HEAD_LEN 6

/*
 * RFC 8914 2 requires EXTRA-TEXT to be UTF-8; a stray Latin-1 byte would
 * make strict clients drop the option or the whole reply. Overlong forms,
 * surrogates and code points past U+10FFFF are rejected (RFC 3629 3).
 */
static bool is_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t more;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			more = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i - 1 < more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += more + 1;
	}
	return true;
}

/*
 * Walk every section of msg and report where the last record starts and
 * where its RDLENGTH sits. Returns the number of records after the
 * question (0: there is no last record) or ND_EMALFORMED.
 */
static int find_last_rr(const uint8_t *msg, size_t len, size_t *last_start,
			size_t *last_fixed)
{
	size_t off = ND_DNS_HEADER_LEN;
	unsigned qd = nd_get16(msg + 4);
	unsigned rrs = (unsigned)nd_get16(msg + 6) + nd_get16(msg + 8) +
		       nd_get16(msg + 10);
	int r;

	for (unsigned i = 0; i < qd; i++) {
		r = nd_dns_name_skip(msg, len, off);
		if (r < 0)
			return ND_EMALFORMED;
		off = (size_t)r;
		if (len - off < 4)
			return ND_EMALFORMED;
		off += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		size_t start = off;

		r = nd_dns_name_skip(msg, len, off);
		if (r < 0)
			return ND_EMALFORMED;
		off = (size_t)r;
		if (len - off < ND_DNS_RR_FIXED_LEN)
			return ND_EMALFORMED;
		size_t rdlen = nd_get16(msg + off + 8);

		*last_start = start;
		*last_fixed = off;
		off += ND_DNS_RR_FIXED_LEN;
		if (len - off < rdlen)
			return ND_EMALFORMED;
		off += rdlen;
	}
	/* Bytes after the counted records mean the counts are wrong, and an
	 * option appended "at the end" would land outside the OPT. */
	if (off != len)
		return ND_EMALFORMED;
	return (int)rrs;
}

int nd_ede_append(uint8_t *msg, size_t *len, size_t cap, size_t limit,
		  uint16_t info_code, const char *extra_text)
{
	size_t text_len = extra_text != NULL ? strlen(extra_text) : 0;
	size_t start = 0, fixed = 0;
	int n;

	if (msg == NULL || len == NULL || *len > cap)
		return -EINVAL;
	if (!is_utf8((const unsigned char *)extra_text, text_len))
		return -EINVAL;
	if (*len < ND_DNS_HEADER_LEN)
		return ND_EMALFORMED;
	n = find_last_rr(msg, *len, &start, &fixed);
	if (n < 0)
		return n;
	if (n == 0 || nd_get16(msg + 10) == 0)
		return 0;
	/* Our OPT has the root as owner (RFC 6891 6.1.2); a compressed
	 * owner or another type means this reply carries no OPT of ours. */
	if (fixed != start + 1 || msg[start] != 0 ||
	    nd_get16(msg + fixed) != ND_TYPE_OPT)
		return 0;

	size_t add = EDE_HEAD_LEN + text_len;
	size_t rdlen = nd_get16(msg + fixed + 8);
	size_t room = cap < limit ? cap : limit;

	if (text_len > UINT16_MAX - 2 || rdlen + add > UINT16_MAX ||
	    *len > room || room - *len < add)
		return 0;

	uint8_t *p = msg + *len;

	nd_put16(p, ND_EDE_OPTION_CODE);
	nd_put16(p + 2, (uint16_t)(2 + text_len));
	nd_put16(p + 4, info_code);
	if (text_len > 0)
		memcpy(p + EDE_HEAD_LEN, extra_text, text_len);
	nd_put16(msg + fixed + 8, (uint16_t)(rdlen + add));
	*len += add;
	return 0;
}
