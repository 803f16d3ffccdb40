/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/wire.h"

#include <stdio.h>
#include <string.h>

#include "util/errors.h"

int nd_dns_name_skip(const uint8_t *pkt, size_t len, size_t off)
{
	size_t total = 0;

	if (pkt == NULL)
		return ND_EMALFORMED;
	for (;;) {
		if (off >= len)
			return ND_EMALFORMED;
		uint8_t l = pkt[off];
		if ((l & 0xc0) == 0xc0) {
			/* A pointer ends the name in place (RFC 1035 4.1.4).
			 * One into the header points at no name: the ID
			 * there changes when an answer is served, so the
			 * client would read its own ID as the name. */
			if (off + 2 > len ||
			    ((((size_t)l & 0x3f) << 8) | pkt[off + 1]) <
				    ND_DNS_HEADER_LEN)
				return ND_EMALFORMED;
			return (int)(off + 2);
		}
		if ((l & 0xc0) != 0) /* 0x40/0x80: extended label types, unsupported */
			return ND_EMALFORMED;
		total += (size_t)l + 1;
		if (total > ND_DNS_MAX_NAME)
			return ND_EMALFORMED;
		off += (size_t)l + 1;
		if (l == 0)
			return off > len ? ND_EMALFORMED : (int)off;
	}
}

int nd_dns_rr_walk(const uint8_t *pkt, size_t len, size_t off,
		   struct nd_dns_rr *rr)
{
	int r = nd_dns_name_skip(pkt, len, off);

	if (r < 0)
		return ND_EMALFORMED;
	rr->owner = off;
	rr->fixed = (size_t)r;
	if (rr->fixed + ND_DNS_RR_FIXED_LEN > len)
		return ND_EMALFORMED;
	rr->rdlen = nd_get16(pkt + rr->fixed + 8);
	rr->rdata = rr->fixed + ND_DNS_RR_FIXED_LEN;
	if (rr->rdata + rr->rdlen > len)
		return ND_EMALFORMED;
	rr->end = rr->rdata + rr->rdlen;
	return 0;
}

int nd_dns_name_read(const uint8_t *pkt, size_t len, size_t off,
		     uint8_t *out, size_t *out_len, bool lower)
{
	size_t n = 0, end = 0;
	bool jumped = false;
	/* Each pointer must go strictly backwards, which bounds the walk and
	 * rules out loops without counting hops. */
	size_t limit = off;

	if (pkt == NULL || out == NULL || out_len == NULL)
		return ND_EMALFORMED;
	for (;;) {
		if (off >= len)
			return ND_EMALFORMED;
		uint8_t l = pkt[off];
		if ((l & 0xc0) == 0xc0) {
			if (off + 2 > len)
				return ND_EMALFORMED;
			size_t target = ((size_t)(l & 0x3f) << 8) | pkt[off + 1];
			if (!jumped)
				end = off + 2;
			jumped = true;
			if (target >= limit || target < ND_DNS_HEADER_LEN)
				return ND_EMALFORMED;
			limit = target;
			off = target;
			continue;
		}
		if ((l & 0xc0) != 0)
			return ND_EMALFORMED;
		if (off + 1 + l > len || n + 1 + l > ND_DNS_MAX_NAME)
			return ND_EMALFORMED;
		out[n++] = l;
		for (size_t i = 0; i < l; i++) {
			uint8_t c = pkt[off + 1 + i];
			if (lower && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			out[n++] = c;
		}
		off += (size_t)l + 1;
		if (l == 0)
			break;
	}
	*out_len = n;
	return (int)(jumped ? end : off);
}

void nd_dns_name_lower(uint8_t *name, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t l = name[i++];
		if (l == 0)
			break;
		for (size_t j = 0; j < l && i < len; j++, i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (uint8_t)(name[i] + 32);
	}
}

bool nd_dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b,
		       size_t blen)
{
	if (alen != blen)
		return false;
	/* Label lengths are < 64 so folding them as letters changes nothing. */
	for (size_t i = 0; i < alen; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

int nd_dns_name_to_text(const uint8_t *name, size_t len, char *buf,
			size_t cap)
{
	size_t i = 0, o = 0;

	if (name == NULL || buf == NULL || cap < 2)
		return ND_ENOSPACE;
	if (len == 0 || name[0] == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		return 0;
	}
	while (i < len && name[i] != 0) {
		uint8_t l = name[i++];
		if (i + l > len)
			return ND_EMALFORMED;
		for (uint8_t j = 0; j < l; j++) {
			uint8_t c = name[i++];
			if (c == '.' || c == '\\' || c <= ' ' || c >= 127) {
				if (o + 5 >= cap)
					return ND_ENOSPACE;
				if (c == '.' || c == '\\') {
					buf[o++] = '\\';
					buf[o++] = (char)c;
				} else {
					snprintf(buf + o, cap - o, "\\%03u", c);
					o += 4;
				}
			} else {
				if (o + 2 >= cap)
					return ND_ENOSPACE;
				buf[o++] = (char)c;
			}
		}
		if (o + 2 > cap)
			return ND_ENOSPACE;
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return 0;
}

int nd_dns_name_from_text(const char *text, uint8_t *out, size_t cap)
{
	size_t o = 0;
	const char *p = text;

	if (text == NULL || out == NULL || cap < 1)
		return ND_EPARSE;
	if (strcmp(text, ".") == 0 || *text == '\0') {
		out[0] = 0;
		return 1;
	}
	while (*p != '\0') {
		size_t lpos = o++;
		size_t l = 0;
		while (*p != '\0' && *p != '.') {
			uint8_t c = (uint8_t)*p++;
			if (c == '\\' && *p != '\0') {
				if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' &&
				    p[1] <= '9' && p[2] >= '0' && p[2] <= '9') {
					unsigned v = (unsigned)(p[0] - '0') * 100 +
						     (unsigned)(p[1] - '0') * 10 +
						     (unsigned)(p[2] - '0');
					if (v > 255)
						return ND_EPARSE;
					c = (uint8_t)v;
					p += 3;
				} else {
					c = (uint8_t)*p++;
				}
			}
			if (o >= cap || l >= 63)
				return ND_EPARSE;
			out[o++] = c;
			l++;
		}
		if (l == 0)
			return ND_EPARSE; /* empty label: ".." or leading dot */
		out[lpos] = (uint8_t)l;
		if (*p == '.')
			p++;
	}
	if (o >= cap || o + 1 > ND_DNS_MAX_NAME)
		return ND_EPARSE;
	out[o++] = 0;
	return (int)o;
}

const char *nd_dns_type_name(uint16_t type, char *buf, size_t cap)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ ND_TYPE_A, "A" },	  { ND_TYPE_NS, "NS" },
		{ ND_TYPE_CNAME, "CNAME" }, { ND_TYPE_SOA, "SOA" },
		{ ND_TYPE_PTR, "PTR" },	  { ND_TYPE_MX, "MX" },
		{ ND_TYPE_TXT, "TXT" },	  { ND_TYPE_AAAA, "AAAA" },
		{ ND_TYPE_SRV, "SRV" },	  { ND_TYPE_OPT, "OPT" },
		{ ND_TYPE_AXFR, "AXFR" }, { ND_TYPE_IXFR, "IXFR" },
		{ ND_TYPE_ANY, "ANY" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == type)
			return names[i].n;
	if (buf != NULL && cap > 0) {
		snprintf(buf, cap, "TYPE%u", type);
		return buf;
	}
	return "TYPE?";
}
