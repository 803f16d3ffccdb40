/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/cookie.h - the EDNS COOKIE option (RFC 7873, RFC 9018) in upstream replies. */
#ifndef DNS_COOKIE_H
#define DNS_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#define ND_EDNS_OPT_COOKIE 10	     /* option code (RFC 7873 4) */
#define ND_COOKIE_CLIENT_LEN 8	     /* client cookie: exactly 8 bytes */
#define ND_COOKIE_SERVER_MIN 8	     /* server cookie: 8..32 bytes */
#define ND_COOKIE_SERVER_MAX 32
#define ND_RCODE_BADCOOKIE 23	     /* extended RCODE (RFC 7873 8) */
/* The option as we send it: code, length, client and server cookie. */
#define ND_COOKIE_OPT_MAX (4 + ND_COOKIE_CLIENT_LEN + ND_COOKIE_SERVER_MAX)

/* A COOKIE option as a reply carries it. */
struct nd_cookie {
	uint8_t client[ND_COOKIE_CLIENT_LEN];
	uint8_t server[ND_COOKIE_SERVER_MAX];
	size_t server_len; /* 0 = a client cookie alone; else 8..32 */
};

/*
 * Find the COOKIE option in the OPT record of pkt[0..len) (the
 * additional section). *ext_rcode (may be NULL) gets the full 12-bit
 * RCODE, the OPT record's upper 8 bits included (BADCOOKIE is 23).
 * Returns 1 with *out filled, 0 when there is no OPT or no COOKIE in it,
 * ND_EMALFORMED when the message does not parse or the option's length
 * is not 8 or 16..40 (RFC 7873 5.3: such a reply is discarded).
 */
int nd_cookie_find(const uint8_t *pkt, size_t len, struct nd_cookie *out,
		   unsigned *ext_rcode);

#endif /* DNS_COOKIE_H */
