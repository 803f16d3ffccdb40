/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/json_escape.h"

#include <stdint.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s (n bytes left), or 0 when the
 * byte at s does not start one (RFC 3629 section 4: no overlong forms,
 * no surrogates, nothing past U+10FFFF).
 */
static size_t utf8_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];
	size_t need;
	uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

size_t nd_json_escape(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = (const uint8_t *)src;
	size_t o = 0, i = 0;

	if (dst == NULL || cap == 0)
		return 0;
	while (src != NULL && i < len) {
		char esc[8];
		const char *put = esc;
		size_t n = 0, step = 1;
		uint8_t c = s[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			n = 2;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			n = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		} else {
			step = utf8_len(s + i, len - i);
			if (step == 0) {
				put = "\\ufffd";
				n = 6;
				step = 1;
			} else {
				put = (const char *)s + i;
				n = step;
			}
		}
		if (o + n >= cap)
			break;
		memcpy(dst + o, put, n);
		o += n;
		i += step;
	}
	dst[o] = '\0';
	return o;
}
