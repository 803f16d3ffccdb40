/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/upstream_trust.h - what one upstream has shown of spoofing defences: whether it echoes the 0x20 case, and its DNS cookies (RFC 7873). */
#ifndef RESOLVER_UPSTREAM_TRUST_H
#define RESOLVER_UPSTREAM_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/cookie.h"

/* Attempts in a row that ended with only case-mismatched replies before
 * an upstream is taken to not echo the case. */
#define ND_0X20_EVIDENCE 3
/* How long such an upstream is then asked in lower case. */
#define ND_0X20_OFF_US (3600ull * 1000000)
/* Attempts in a row that ended with only cookie-less replies from an
 * upstream that sent cookies before, until we stop expecting them. */
#define ND_COOKIE_EVIDENCE 3
/* The client cookie changes this often (RFC 7873 4.1 asks for a change
 * now and then so a client cannot be tracked by it). */
#define ND_COOKIE_ROTATE_US (86400ull * 1000000)
/* The secret the client cookies come from. */
#define ND_COOKIE_SECRET_LEN 16

/*
 * One upstream's record, embedded in the upstream set and shared by every
 * worker. The 0x20 fields are single words under relaxed atomics; the
 * cookie fields are guarded by a spin flag held for a copy of 41 bytes.
 * All zero is the initial state.
 */
struct nd_upstream_trust {
	uint32_t case_evidence;	   /* attempts in a row that saw only
				      case-mismatched replies */
	uint64_t no_0x20_until_us; /* monotonic; 0 = echoes the case */
	uint8_t lock;		   /* spin flag over the cookie fields */
	uint64_t cookie_epoch;	   /* rotation epoch of client + 1;
				      0 = none made yet */
	uint8_t client[ND_COOKIE_CLIENT_LEN]; /* our client cookie */
	uint8_t server[ND_COOKIE_SERVER_MAX]; /* its server cookie */
	uint8_t server_len;	   /* 0 = none learned (no cookie support
				      seen) */
	uint32_t cookie_evidence;  /* attempts in a row that saw only
				      cookie-less replies */
};

/* ---- 0x20 ---- */

/*
 * Should the next query to this upstream carry a mixed-case name? false
 * while it is marked as not echoing the case (until the mark expires).
 */
bool nd_trust_use_0x20(struct nd_upstream_trust *t, uint64_t now_us);

/* Is it marked as not echoing the case now? */
bool nd_trust_is_no_0x20(const struct nd_upstream_trust *t, uint64_t now_us);

/* A reply echoed our case: the evidence against it starts over. */
void nd_trust_case_ok(struct nd_upstream_trust *t);

/*
 * An attempt ended without an answer, having received replies that were
 * ours but for the case (an upstream that does not echo it, or a spoofer
 * who guessed ID and port: a real reply, which echoes, would have been
 * taken first, so spoofed replies alone never add up while the upstream
 * answers). Returns true when this call marked the upstream (log it once).
 */
bool nd_trust_case_failed(struct nd_upstream_trust *t, uint64_t now_us);

/* ---- cookies ---- */

/*
 * The COOKIE option data for a query to the upstream at addr: our client
 * cookie (SipHash-2-4 of addr and the rotation epoch under secret; when
 * the epoch changes, the server cookie learned with the old one is
 * dropped), then the server cookie when one is known.
 * out: ND_COOKIE_CLIENT_LEN + ND_COOKIE_SERVER_MAX bytes.
 * Returns the bytes written (8, or 16..40); 0 for bad arguments.
 */
size_t nd_trust_cookie(struct nd_upstream_trust *t,
		       const uint8_t secret[ND_COOKIE_SECRET_LEN],
		       const struct sockaddr *addr, uint64_t now_us,
		       uint8_t *out);

/* What to do with a reply as its cookie says. */
enum nd_cookie_verdict {
	ND_COOKIE_OK = 0,	/* take it (a server cookie was learned, or
				   none was expected) */
	ND_COOKIE_WRONG = 1,	/* not our client cookie, or malformed:
				   discard (RFC 7873 5.3) */
	ND_COOKIE_MISSING = 2,	/* no cookie from an upstream that sent
				   them for this client cookie: discard */
};

/*
 * Judge a reply to a query that carried client cookie sent (8 bytes).
 * found, c: nd_cookie_find()'s result on the reply (1 with c, 0 without
 * a COOKIE option, negative for a malformed one). A good cookie's server
 * part is remembered for the next query.
 */
enum nd_cookie_verdict nd_trust_cookie_reply(struct nd_upstream_trust *t,
					     const uint8_t *sent, int found,
					     const struct nd_cookie *c);

/*
 * An attempt ended without an answer, having received replies discarded
 * as ND_COOKIE_MISSING. Returns true when this call stopped expecting
 * cookies from the upstream (it was reconfigured without them; log it).
 */
bool nd_trust_cookie_failed(struct nd_upstream_trust *t);

/* Is a server cookie known for the current client cookie? */
bool nd_trust_has_server_cookie(struct nd_upstream_trust *t);

#endif /* RESOLVER_UPSTREAM_TRUST_H */
