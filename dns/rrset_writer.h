/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/rrset_writer.h - a small DNS message writer for the store's pre-rendered answers. */
#ifndef DNS_RRSET_WRITER_H
#define DNS_RRSET_WRITER_H

#include <stddef.h>
#include <stdint.h>

enum nd_kube_section {
	ND_KUBE_SEC_ANSWER = 0,
	ND_KUBE_SEC_AUTHORITY = 1,
	ND_KUBE_SEC_ADDITIONAL = 2,
};

struct nd_kube_rw_dict; /* name-compression dictionary (rrset_writer.c) */

/*
 * One message under construction (writer thread only). Buffers grow on
 * demand up to ND_DNS_MAX_MSG bytes and are kept for the next message:
 * reuse a writer rather than making one per message. Names are compressed
 * (RFC 1035 4.1.4) against every name written before, except where
 * RFC 2782 forbids it (the SRV target).
 */
struct nd_kube_rw {
	uint8_t *buf;	     /* the message; owned */
	size_t len;	     /* bytes written */
	size_t cap;	     /* bytes allocated */
	uint16_t *ttl_off;   /* offset of every record's TTL; owned */
	size_t n_ttl;	     /* entries in ttl_off */
	size_t ttl_cap;	     /* entries allocated */
	uint16_t count[3];   /* records per section (enum nd_kube_section) */
	int section;	     /* section being written; only moves forward */
	size_t sec_end[3];   /* len at the end of each section so far */
	size_t sec_ttl[3];   /* n_ttl at the end of each section so far */
	uint16_t serial_off; /* offset of the last SOA SERIAL; 0 = none */
	struct nd_kube_rw_dict *dict; /* owned */
};

/* Zero w; the buffers are allocated on first use. */
void nd_kube_rw_init(struct nd_kube_rw *w);
/* Free what w owns; NULL and an initialised, unused w are fine. */
void nd_kube_rw_deinit(struct nd_kube_rw *w);

/*
 * Start a message: header (ID 0, the flags word given, QDCOUNT 1) and the
 * question qname/qtype/class IN. Forgets any previous message in w.
 * qname: uncompressed wire name, borrowed until the message is done (the
 * compression dictionary points into it).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_kube_rw_begin(struct nd_kube_rw *w, const uint8_t *qname,
		     size_t qname_len, uint16_t qtype, uint16_t flags);

/*
 * Append one record of class IN to section sec (sections in order:
 * answer, authority, additional). owner and rdata are uncompressed wire;
 * names inside the RDATA of NS, CNAME, PTR and SOA are compressed, the
 * SRV target is not. Both are borrowed until the message is done.
 * Returns 0; ND_ENOSPACE when the record would take the message past
 * ND_DNS_MAX_MSG (the message is unchanged); ND_EMALFORMED when a name in
 * the RDATA does not parse; -EINVAL (bad arguments, a section going
 * backwards, or a count already at 65535); -ENOMEM.
 */
int nd_kube_rw_add(struct nd_kube_rw *w, int sec, const uint8_t *owner,
		   size_t owner_len, uint16_t type, uint32_t ttl,
		   const uint8_t *rdata, size_t rdlen);

/* Write the section counts into the header. Returns 0 or -EINVAL. */
int nd_kube_rw_finish(struct nd_kube_rw *w);

#endif /* DNS_RRSET_WRITER_H */
