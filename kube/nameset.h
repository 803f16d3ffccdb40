/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/nameset.h - the names and records one contributor (a Service, a Namespace, the zone itself) puts in the zone. */
#ifndef KUBE_NAMESET_H
#define KUBE_NAMESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/*
 * A record as the store keeps it, serialized so that two record lists
 * compare with memcmp:
 *   TYPE(2) ADD_FOR(2) OWNER_LEN(1) OWNER RDLEN(2) RDATA
 * ADD_FOR 0: an answer record owned by the name it is filed under;
 * otherwise an additional-section record (owner OWNER) sent with the
 * answers of type ADD_FOR (the A/AAAA of an SRV target). Names are
 * uncompressed wire format; the TTL is the store's and not kept.
 */
struct nd_kube_rrv {
	uint16_t type;	      /* record type */
	uint16_t add_for;     /* 0, or the answer type it is additional to */
	uint8_t owner_len;    /* additional records: bytes of owner; else 0 */
	const uint8_t *owner; /* borrowed; NULL when owner_len is 0 */
	uint16_t rdlen;	      /* bytes of rdata */
	const uint8_t *rdata; /* borrowed */
	const uint8_t *raw;   /* the serialized record; borrowed */
	size_t raw_len;	      /* bytes of raw */
};

/*
 * Parse the serialized record at blob[off..len) into v.
 * Returns the offset just past it, or -EINVAL when it does not fit.
 */
int nd_kube_rr_parse(const uint8_t *blob, size_t len, size_t off,
		     struct nd_kube_rrv *v);

/* Total order on serialized records (the order records are sent in). */
int nd_kube_rr_cmp(const struct nd_kube_rrv *a, const struct nd_kube_rrv *b);

/* Order on wire names used to sort and diff name lists: length, then bytes. */
int nd_kube_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen);

/* One name of a finished set. */
struct nd_kube_nameset_entry {
	const uint8_t *name; /* lower-case wire name; borrowed from the set */
	uint8_t name_len;
	uint8_t *rrs;	/* serialized records, sorted and unique (owned;
				a taker sets it to NULL); NULL = the name only
				exists (empty non-terminal or NODATA) */
	size_t rrs_len; /* bytes of rrs */
	int32_t svc_ready;    /* ready endpoint addresses of the Service whose
				 name this is or is under; -1 = none */
	bool is_svc_headless; /* that Service is headless */
	bool is_absent;	      /* the name answers NXDOMAIN: it is filed
				 only to carry its Service's tag (a headless
				 Service without ready endpoints) */
};

/* The Service a set's names below one name belong to (see
 * nd_kube_nameset_set_service). Zeroed: no Service. */
struct nd_kube_nameset_svc {
	uint8_t base[ND_DNS_MAX_NAME]; /* <svc>.<ns>.svc.<zone>, lower-case */
	size_t base_len;	       /* bytes of base; 0 = no Service */
	int32_t ready;		       /* ready endpoint addresses */
	bool is_headless;
	bool is_base_absent; /* base itself does not exist (NXDOMAIN) */
};

/* Pairs collected, then sorted and grouped by nd_kube_nameset_finish(). */
struct nd_kube_nameset {
	uint8_t *arena;	 /* serialized (name, record) pairs; owned */
	size_t len, cap; /* bytes used / allocated in arena */
	size_t *idx;	 /* offset of each pair in arena; owned */
	size_t n, idx_cap;
	struct nd_kube_nameset_entry *ent; /* after finish: sorted by name */
	size_t n_ent;
	size_t n_skipped; /* names or records left out (too long for DNS) */
	size_t n_cut;	  /* records left out by a per-object limit
			     (zone_names.h: max_records) */
	int err;	  /* first allocation failure, sticky */
	struct nd_kube_nameset_svc svc; /* tag applied by finish */
};

/* Zero the set. */
void nd_kube_nameset_init(struct nd_kube_nameset *ns);
/* Free what the set owns (and the entries' rrs not taken). NULL is fine. */
void nd_kube_nameset_deinit(struct nd_kube_nameset *ns);

/*
 * File a record under name (lower-case wire). type 0 files no record and
 * only makes the name exist. owner: for add_for != 0, the record's owner.
 * A name that is not valid wire is counted in n_skipped and left out.
 * Returns 0, -EINVAL or -ENOMEM (also remembered in ns->err).
 */
int nd_kube_nameset_add(struct nd_kube_nameset *ns, const uint8_t *name,
			size_t name_len, uint16_t type, uint16_t add_for,
			const uint8_t *owner, size_t owner_len,
			const uint8_t *rdata, size_t rdlen);

/*
 * Say that base (lower-case wire) and every name under it belong to one
 * Service with ready ready endpoint addresses: finish files that on those
 * entries (svc_ready, is_svc_headless), so that readers learn it from the
 * name's node without another lookup. is_absent: base does not exist
 * (NXDOMAIN) though it is filed, so that a reader still learns which
 * Service the name is; finish marks base's entry is_absent when it has no
 * records. Returns 0 or -EINVAL.
 */
int nd_kube_nameset_set_service(struct nd_kube_nameset *ns, const uint8_t *base,
				size_t base_len, int32_t ready,
				bool is_headless, bool is_absent);

/* Sort, drop duplicates and group by name into ns->ent; entries carry
 * the Service tag, or svc_ready -1. Returns 0, or ns->err / -ENOMEM. */
int nd_kube_nameset_finish(struct nd_kube_nameset *ns);

#endif /* KUBE_NAMESET_H */
