/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/chain.h - CNAME chains in messages: where an answer's chain ends, its records copied out, a client's answer composed from a chain and its target's answer. */
#ifndef DNS_CHAIN_H
#define DNS_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

struct nd_query;

/* Records of one chain prefix, uncompressed (owner, TYPE, CLASS, TTL,
 * RDLENGTH, RDATA with its names expanded): room for a chain of
 * ND_CHAIN_MAX_STEPS CNAMEs of long names. */
#define ND_CHAIN_PREFIX_MAX 8192

/*
 * Does the answer msg[0..len) to (qname_lc, qtype) stop at a CNAME? Cheap
 * for the answers that are not chains: only when the rcode is NOERROR,
 * qtype is neither CNAME nor ANY and an answer record is a CNAME is the
 * chain followed from qname_lc. Returns 1 with the last target
 * (lower-case wire name, ND_DNS_MAX_NAME bytes) in target/target_len
 * when no record of qtype answers it; 0 when the answer is complete or
 * no chain; ND_EMALFORMED.
 */
int nd_chain_dangling(const uint8_t *msg, size_t len, const uint8_t *qname_lc,
		      size_t qname_len, uint16_t qtype, uint8_t *target,
		      size_t *target_len);

/*
 * Append the answer records of msg[0..len) to prefix[*prefix_len..cap),
 * names expanded so they stand alone, and count them in *count.
 * Returns 0, ND_ENOSPACE (prefix unchanged) or ND_EMALFORMED.
 */
int nd_chain_take_answers(const uint8_t *msg, size_t len, uint8_t *prefix,
			  size_t *prefix_len, size_t cap, unsigned *count);

/*
 * The client's answer to q: its ID, RD and question as spelled; RA; the
 * rcode of the target's answer tmsg[0..tlen) (RFC 6604: the final
 * target's NXDOMAIN or NODATA is the answer's); the chain's records
 * (prefix, count records), then the answer and authority records of
 * tmsg; OPT for an EDNS client. When it does not fit limit, as many
 * whole records as fit and TC. Returns the length written, ND_ENOSPACE,
 * ND_EMALFORMED or -EINVAL.
 */
int nd_chain_compose(const struct nd_query *q, const uint8_t *prefix,
		     size_t prefix_len, unsigned count, const uint8_t *tmsg,
		     size_t tlen, size_t limit, uint8_t *out, size_t cap);

#endif /* DNS_CHAIN_H */
