/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/ede.h - Extended DNS Errors (RFC 8914) added to a finished reply. */
#ifndef DNS_EDE_H
#define DNS_EDE_H

#include <stddef.h>
#include <stdint.h>

/* EDNS OPTION-CODE of an Extended DNS Error (RFC 8914 2). */
#define ND_EDE_OPTION_CODE 15

/* The INFO-CODEs we send (RFC 8914 4). */
#define ND_EDE_OTHER 0			/* none of these; EXTRA-TEXT says */
#define ND_EDE_STALE_ANSWER 3		/* served stale (RFC 8767) */
#define ND_EDE_NOT_READY 14		/* cluster zone not yet synced */
#define ND_EDE_PROHIBITED 18		/* client outside --allow */
#define ND_EDE_NO_REACHABLE_AUTHORITY 22 /* every upstream timed out */
#define ND_EDE_NETWORK_ERROR 23		/* an upstream was unreachable */

/*
 * Add an Extended DNS Error option to the OPT record that ends the
 * message msg[0..*len), as nd_response_error() and nd_answer_render()
 * leave it when the client sent EDNS.
 *
 * msg, len: a complete reply; *len is advanced by the bytes added.
 * cap: bytes available at msg.
 * limit: most bytes the reply may take (the client's UDP limit from
 *        nd_query_udp_limit(), or ND_DNS_MAX_MSG over TCP).
 * info_code: an RFC 8914 INFO-CODE (ND_EDE_*).
 * extra_text: UTF-8 text for a human, sent without its NUL; NULL or ""
 *             for none. Borrowed.
 *
 * The message is walked record by record (every length bounds-checked)
 * and must end exactly after its last record. The EDE is optional
 * decoration, so the message is left as it is and 0 returned when:
 * the last record is not an OPT (the client sent no EDNS: RFC 8914 3
 * sends EDE only to EDNS clients), or the result would not fit in cap or
 * exceed limit (a reply must never grow past what the client accepts).
 *
 * Returns 0 (added, or skipped as above), ND_EMALFORMED (msg unchanged:
 * truncated records, trailing bytes, shorter than a header), or -EINVAL
 * (NULL msg/len, *len > cap, extra_text not valid UTF-8).
 */
int nd_ede_append(uint8_t *msg, size_t *len, size_t cap, size_t limit,
		  uint16_t info_code, const char *extra_text);

#endif /* DNS_EDE_H */
