/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/wire.h - DNS wire-format constants, byte access and names. */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_DNS_PORT 53
#define ND_DNS_HEADER_LEN 12
#define ND_DNS_MAX_NAME 255	 /* wire bytes of a name, root label included */
#define ND_DNS_MAX_MSG 65535	 /* largest message (TCP) */
#define ND_DNS_MIN_UDP 512	 /* UDP limit without EDNS (RFC 1035) */
#define ND_EDNS_ADVERTISED 1232 /* our EDNS UDP size (DNS flag day 2020) */
#define ND_EDNS_MAX_UDP 4096	 /* most we send over UDP whatever the client says */
#define ND_STALE_TTL_S 30	 /* TTL of a stale answer (RFC 8767 4) */

/* TYPE, CLASS, TTL, RDLENGTH after a record's owner (RFC 1035 4.1.3). */
#define ND_DNS_RR_FIXED_LEN 10

/* Header flag bits (second 16-bit word). */
#define ND_FLAG_QR 0x8000u
#define ND_FLAG_OPCODE_MASK 0x7800u
#define ND_FLAG_AA 0x0400u
#define ND_FLAG_TC 0x0200u
#define ND_FLAG_RD 0x0100u
#define ND_FLAG_RA 0x0080u
#define ND_FLAG_AD 0x0020u
#define ND_FLAG_CD 0x0010u
#define ND_FLAG_RCODE_MASK 0x000fu

enum nd_dns_rcode {
	ND_RCODE_NOERROR = 0,
	ND_RCODE_FORMERR = 1,
	ND_RCODE_SERVFAIL = 2,
	ND_RCODE_NXDOMAIN = 3,
	ND_RCODE_NOTIMP = 4,
	ND_RCODE_REFUSED = 5,
	ND_RCODE_BADVERS = 16, /* extended: needs OPT (RFC 6891) */
};

enum nd_dns_type {
	ND_TYPE_A = 1,
	ND_TYPE_NS = 2,
	ND_TYPE_CNAME = 5,
	ND_TYPE_SOA = 6,
	ND_TYPE_PTR = 12,
	ND_TYPE_MX = 15,
	ND_TYPE_TXT = 16,
	ND_TYPE_AAAA = 28,
	ND_TYPE_SRV = 33,
	ND_TYPE_OPT = 41,
	ND_TYPE_TSIG = 250,
	ND_TYPE_IXFR = 251,
	ND_TYPE_AXFR = 252,
	ND_TYPE_ANY = 255,
};

enum nd_dns_class {
	ND_CLASS_IN = 1,
	ND_CLASS_CH = 3,
	ND_CLASS_ANY = 255,
};

static inline uint16_t nd_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t nd_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static inline void nd_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void nd_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Skip the name at pkt[off] without following compression pointers.
 * Returns the offset just past it, or ND_EMALFORMED (bad label type,
 * runs past len, a pointer into the header).
 */
int nd_dns_name_skip(const uint8_t *pkt, size_t len, size_t off);

/*
 * Read the name at pkt[off], following compression pointers (loops,
 * forward pointers and pointers into the header are rejected), into out
 * as uncompressed wire format.
 * out: at least ND_DNS_MAX_NAME bytes; *out_len set to its length.
 * lower: fold A-Z to a-z while copying.
 * Returns the offset just past the name in place, or ND_EMALFORMED.
 */
int nd_dns_name_read(const uint8_t *pkt, size_t len, size_t off,
		     uint8_t *out, size_t *out_len, bool lower);

/* Where one resource record sits in a message. */
struct nd_dns_rr {
	size_t owner;	/* offset of the owner name */
	size_t fixed;	/* offset of TYPE */
	size_t rdata;	/* offset of RDATA */
	uint16_t rdlen; /* bytes of RDATA */
	size_t end;	/* offset just past the record */
};

/*
 * Bounds-check the record at pkt[off] and fill rr; compression pointers in
 * the owner are stepped over, never followed.
 * Returns 0 or ND_EMALFORMED (the record runs past len).
 */
int nd_dns_rr_walk(const uint8_t *pkt, size_t len, size_t off,
		   struct nd_dns_rr *rr);

/* Fold A-Z to a-z in an uncompressed wire name (labels' lengths kept). */
void nd_dns_name_lower(uint8_t *name, size_t len);

/* Case-insensitive equality of two uncompressed wire names. */
bool nd_dns_name_equal(const uint8_t *a, size_t alen, const uint8_t *b,
		       size_t blen);

/*
 * Presentation form of an uncompressed wire name ("www.example.com.";
 * the root is "."); bytes outside printable ASCII, dots and backslashes
 * inside labels are escaped as \DDD. Returns 0 or ND_ENOSPACE / ND_EMALFORMED.
 */
int nd_dns_name_to_text(const uint8_t *name, size_t len, char *buf,
			size_t cap);

/*
 * Wire form of a presentation name ("example.com" or "example.com.";
 * both mean the absolute name). Returns the wire length or ND_EPARSE.
 */
int nd_dns_name_from_text(const char *text, uint8_t *out, size_t cap);

/* Short mnemonic for a type ("A", "AAAA", ...; "TYPE123" otherwise) into buf. */
const char *nd_dns_type_name(uint16_t type, char *buf, size_t cap);

#endif /* DNS_WIRE_H */
