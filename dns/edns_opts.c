/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/edns_opts.h"

#include "dns/wire.h"
#include "util/errors.h"

int nd_edns_opts_check(const uint8_t *rdata, size_t len)
{
	size_t off = 0;

	if (rdata == NULL && len > 0)
		return ND_EMALFORMED;
	while (off < len) {
		uint16_t code, olen;

		/* Not even room for the code and length. */
		if (len - off < 4)
			return ND_EMALFORMED;
		code = nd_get16(rdata + off);
		olen = nd_get16(rdata + off + 2);
		off += 4;
		if (olen > len - off)
			return ND_EMALFORMED;
		/* RFC 7873 5.2.2: too short for a client cookie, too long,
		 * or a server cookie shorter than 8 bytes: FORMERR. */
		if (code == ND_EDNS_OPT_COOKIE &&
		    olen != 8 && (olen < 16 || olen > 40))
			return ND_EMALFORMED;
		off += olen;
	}
	return 0;
}
