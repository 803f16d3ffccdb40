/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/cookie.h"

#include <string.h>

#include "dns/wire.h"
#include "util/errors.h"

/* The options of one OPT RDATA: the first COOKIE, or none. */
static int scan_options(const uint8_t *p, size_t len, struct nd_cookie *out)
{
	size_t off = 0;

	while (off + 4 <= len) {
		uint16_t code = nd_get16(p + off);
		uint16_t olen = nd_get16(p + off + 2);

		if (off + 4 + olen > len)
			return ND_EMALFORMED;
		if (code == ND_EDNS_OPT_COOKIE) {
			if (olen != ND_COOKIE_CLIENT_LEN &&
			    (olen < ND_COOKIE_CLIENT_LEN +
					    ND_COOKIE_SERVER_MIN ||
			     olen > ND_COOKIE_CLIENT_LEN +
					    ND_COOKIE_SERVER_MAX))
				return ND_EMALFORMED;
			memcpy(out->client, p + off + 4, ND_COOKIE_CLIENT_LEN);
			out->server_len = olen - ND_COOKIE_CLIENT_LEN;
			memcpy(out->server, p + off + 4 + ND_COOKIE_CLIENT_LEN,
			       out->server_len);
			return 1;
		}
		off += 4 + (size_t)olen;
	}
	return off == len ? 0 : ND_EMALFORMED;
}

int nd_cookie_find(const uint8_t *pkt, size_t len, struct nd_cookie *out,
		   unsigned *ext_rcode)
{
	unsigned qd, an, ns, ar;
	size_t off = ND_DNS_HEADER_LEN;
	struct nd_cookie tmp;
	int found = 0, r;

	if (out == NULL)
		out = &tmp;
	memset(out, 0, sizeof(*out));
	if (pkt == NULL || len < ND_DNS_HEADER_LEN)
		return ND_EMALFORMED;
	if (ext_rcode != NULL)
		*ext_rcode = nd_get16(pkt + 2) & ND_FLAG_RCODE_MASK;
	qd = nd_get16(pkt + 4);
	an = nd_get16(pkt + 6);
	ns = nd_get16(pkt + 8);
	ar = nd_get16(pkt + 10);
	for (unsigned i = 0; i < qd; i++) {
		r = nd_dns_name_skip(pkt, len, off);
		if (r < 0 || (size_t)r + 4 > len)
			return ND_EMALFORMED;
		off = (size_t)r + 4;
	}
	for (unsigned i = 0; i < an + ns + ar; i++) {
		struct nd_dns_rr rr;

		if (nd_dns_rr_walk(pkt, len, off, &rr) != 0)
			return ND_EMALFORMED;
		off = rr.end;
		if (i < an + ns || nd_get16(pkt + rr.fixed) != ND_TYPE_OPT)
			continue;
		if (found != 0)
			return ND_EMALFORMED; /* two OPT records (RFC 6891) */
		found = -1;
		if (ext_rcode != NULL)
			*ext_rcode |= (unsigned)pkt[rr.fixed + 4] << 4;
		r = scan_options(pkt + rr.rdata, rr.rdlen, out);
		if (r < 0)
			return r;
		if (r == 1)
			found = 1;
	}
	return found == 1 ? 1 : 0;
}
