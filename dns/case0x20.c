/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/case0x20.h"

#include <string.h>

#include "dns/wire.h"

static bool is_letter(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t nd_0x20_mix(const uint8_t *lc, size_t len, uint8_t *out,
		   uint32_t (*rnd)(void))
{
	size_t off = 0, letters = 0;
	uint32_t bits = 0;
	unsigned have = 0;

	if (lc == NULL || out == NULL || rnd == NULL || len == 0)
		return 0;
	memcpy(out, lc, len);
	while (off < len) {
		uint8_t l = out[off];

		if (l == 0 || l > 63 || off + 1 + l > len)
			break; /* the root label, or not a plain name */
		for (size_t i = off + 1; i <= off + l; i++) {
			if (!is_letter(out[i]))
				continue;
			if (have == 0) {
				bits = rnd();
				have = 32;
			}
			/* 0x20 is the case bit of ASCII letters. */
			if (bits & 1)
				out[i] = (uint8_t)(out[i] | 0x20);
			else
				out[i] = (uint8_t)(out[i] & ~0x20);
			bits >>= 1;
			have--;
			letters++;
		}
		off += (size_t)l + 1;
	}
	return letters;
}

bool nd_0x20_echoed(const uint8_t *pkt, size_t len, const uint8_t *sent,
		    size_t sent_len)
{
	uint8_t name[ND_DNS_MAX_NAME];
	size_t name_len = 0;

	if (pkt == NULL || sent == NULL || len < ND_DNS_HEADER_LEN ||
	    nd_get16(pkt + 4) != 1)
		return false;
	/* Not folded: the case is what is checked. */
	if (nd_dns_name_read(pkt, len, ND_DNS_HEADER_LEN, name, &name_len,
			     false) < 0)
		return false;
	return name_len == sent_len && memcmp(name, sent, sent_len) == 0;
}
