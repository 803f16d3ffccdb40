/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/rrset_writer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "util/errors.h"
#include "util/hash.h"
#include "util/rand.h"

/* SOA RDATA after MNAME and RNAME: SERIAL REFRESH RETRY EXPIRE MINIMUM. */
#define SOA_FIXED_LEN 20
/* SRV RDATA before the target: PRIORITY WEIGHT PORT (RFC 2782). */
#define SRV_FIXED_LEN 6
/* A compression pointer holds a 14-bit offset (RFC 1035 4.1.4). */
#define PTR_MAX_OFF 0x3fff
/* A name has at most 127 labels, and dict_grow keeps room for one more
 * name at half load: 512 slots is what the first record needs anyway. */
#define DICT_INITIAL 512

/* A name suffix already in the message: its bytes (borrowed from the
 * caller's names) and where it starts. */
struct dict_ent {
	const uint8_t *name;
	uint32_t gen; /* the message it belongs to; != dict gen: free */
	uint16_t off;
	uint8_t len;
};

/*
 * Kept from one message to the next: a new message bumps gen instead of
 * clearing the slots, so a writer that is reused (the store renders
 * every answer with the same few) allocates and clears nothing.
 */
struct nd_kube_rw_dict {
	struct dict_ent *e; /* cap slots, open addressing */
	size_t cap;	    /* power of two */
	size_t n;	    /* slots used */
	uint32_t gen;	    /* current message; never 0 */
	uint64_t seed;
};

void nd_kube_rw_init(struct nd_kube_rw *w)
{
	if (w != NULL)
		memset(w, 0, sizeof(*w));
}

void nd_kube_rw_deinit(struct nd_kube_rw *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w->ttl_off);
	if (w->dict != NULL)
		free(w->dict->e);
	free(w->dict);
	memset(w, 0, sizeof(*w));
}

/* Length of the uncompressed name at p[0..max), or -1. */
static int name_len(const uint8_t *p, size_t max)
{
	size_t off = 0;

	while (off < max) {
		uint8_t l = p[off];

		if (l == 0)
			return off + 1 <= ND_DNS_MAX_NAME ? (int)off + 1 : -1;
		if (l > 63)
			return -1;
		off += 1 + (size_t)l;
	}
	return -1;
}

static size_t dict_slot(const struct nd_kube_rw_dict *d, const uint8_t *name,
			size_t len)
{
	return nd_hash(name, len, d->seed) & (d->cap - 1);
}

static int dict_find(const struct nd_kube_rw_dict *d, const uint8_t *name,
		     size_t len)
{
	if (d == NULL)
		return -1;
	for (size_t i = dict_slot(d, name, len);; i = (i + 1) & (d->cap - 1)) {
		const struct dict_ent *e = &d->e[i];

		if (e->gen != d->gen)
			return -1;
		if (e->len == len && memcmp(e->name, name, len) == 0)
			return e->off;
	}
}

/* The dictionary only saves bytes: when it cannot grow, later suffixes
 * are simply not remembered and are written in full. */
static void dict_insert(struct nd_kube_rw_dict *d, const uint8_t *name,
			size_t len, size_t off)
{
	if (d == NULL || off > PTR_MAX_OFF || (d->n + 1) * 2 > d->cap)
		return;

	size_t i = dict_slot(d, name, len);

	for (; d->e[i].gen == d->gen; i = (i + 1) & (d->cap - 1))
		if (d->e[i].len == len && memcmp(d->e[i].name, name, len) == 0)
			return;
	d->e[i].name = name;
	d->e[i].gen = d->gen;
	d->e[i].len = (uint8_t)len;
	d->e[i].off = (uint16_t)off;
	d->n++;
}

static void dict_grow(struct nd_kube_rw_dict *d)
{
	if (d == NULL || d->n * 2 + 2 * 128 <= d->cap)
		return;

	size_t cap = d->cap * 2;
	struct dict_ent *e = calloc(cap, sizeof(*e)), *old = d->e;
	size_t old_cap = d->cap;

	if (e == NULL)
		return;
	d->e = e;
	d->cap = cap;
	d->n = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].gen == d->gen)
			dict_insert(d, old[i].name, old[i].len, old[i].off);
	free(old);
}

static int reserve(struct nd_kube_rw *w, size_t more)
{
	if (w->len + more <= w->cap)
		return 0;

	size_t cap = w->cap ? w->cap : 512;

	while (cap < w->len + more)
		cap *= 2;
	if (cap > ND_DNS_MAX_MSG)
		cap = ND_DNS_MAX_MSG;

	uint8_t *b = realloc(w->buf, cap);

	if (b == NULL)
		return -ENOMEM;
	w->buf = b;
	w->cap = cap;
	return 0;
}

/*
 * Write name (len bytes, already validated) at w->len, pointing to the
 * longest suffix already in the message when compress is set, and
 * remember every suffix written in full for the names that follow.
 * Space was reserved by the caller (len bytes suffice).
 */
static void put_name(struct nd_kube_rw *w, const uint8_t *name, size_t len,
		     bool compress)
{
	size_t i = 0;
	int ptr = -1;

	for (; name[i] != 0; i += 1 + (size_t)name[i]) {
		if (compress &&
		    (ptr = dict_find(w->dict, name + i, len - i)) >= 0)
			break;
	}
	for (size_t j = 0; j < i; j += 1 + (size_t)name[j])
		dict_insert(w->dict, name + j, len - j, w->len + j);
	memcpy(w->buf + w->len, name, i);
	w->len += i;
	if (ptr >= 0) {
		nd_put16(w->buf + w->len, (uint16_t)(0xc000u | (unsigned)ptr));
		w->len += 2;
	} else {
		w->buf[w->len++] = 0;
	}
}

int nd_kube_rw_begin(struct nd_kube_rw *w, const uint8_t *qname,
		     size_t qname_len, uint16_t qtype, uint16_t flags)
{
	if (w == NULL || qname == NULL ||
	    name_len(qname, qname_len) != (int)qname_len)
		return -EINVAL;
	if (w->dict == NULL) {
		w->dict = calloc(1, sizeof(*w->dict));
		if (w->dict == NULL)
			return -ENOMEM;
		w->dict->e = calloc(DICT_INITIAL, sizeof(*w->dict->e));
		if (w->dict->e == NULL) {
			free(w->dict);
			w->dict = NULL;
			return -ENOMEM;
		}
		w->dict->cap = DICT_INITIAL;
		w->dict->gen = 1;
		w->dict->seed = nd_rand_u32();
	} else {
		w->dict->n = 0;
		if (++w->dict->gen == 0) {
			/* Slots of 2^32 messages ago would look current. */
			memset(w->dict->e, 0,
			       w->dict->cap * sizeof(*w->dict->e));
			w->dict->gen = 1;
		}
	}
	w->len = 0;
	w->n_ttl = 0;
	w->serial_off = 0;
	w->section = ND_KUBE_SEC_ANSWER;
	memset(w->count, 0, sizeof(w->count));
	if (reserve(w, ND_DNS_HEADER_LEN + qname_len + 4) < 0)
		return -ENOMEM;
	memset(w->buf, 0, ND_DNS_HEADER_LEN);
	nd_put16(w->buf + 2, flags);
	nd_put16(w->buf + 4, 1);
	w->len = ND_DNS_HEADER_LEN;
	put_name(w, qname, qname_len, false);
	nd_put16(w->buf + w->len, qtype);
	nd_put16(w->buf + w->len + 2, ND_CLASS_IN);
	w->len += 4;
	for (int k = 0; k < 3; k++) {
		w->sec_end[k] = w->len;
		w->sec_ttl[k] = 0;
	}
	return 0;
}

/* Check the names inside rdata for the types whose RDATA holds names. */
static int check_rdata(uint16_t type, const uint8_t *rd, size_t rdlen)
{
	int a, b;

	switch (type) {
	case ND_TYPE_NS:
	case ND_TYPE_CNAME:
	case ND_TYPE_PTR:
		return name_len(rd, rdlen) == (int)rdlen ? 0 : ND_EMALFORMED;
	case ND_TYPE_SOA:
		a = name_len(rd, rdlen);
		if (a < 0)
			return ND_EMALFORMED;
		b = name_len(rd + a, rdlen - (size_t)a);
		if (b < 0 || (size_t)a + (size_t)b + SOA_FIXED_LEN != rdlen)
			return ND_EMALFORMED;
		return 0;
	case ND_TYPE_SRV:
		if (rdlen < SRV_FIXED_LEN ||
		    name_len(rd + SRV_FIXED_LEN, rdlen - SRV_FIXED_LEN) !=
			    (int)(rdlen - SRV_FIXED_LEN))
			return ND_EMALFORMED;
		return 0;
	default:
		return 0;
	}
}

static void put_rdata(struct nd_kube_rw *w, uint16_t type, const uint8_t *rd,
		      size_t rdlen)
{
	size_t a;

	switch (type) {
	case ND_TYPE_NS:
	case ND_TYPE_CNAME:
	case ND_TYPE_PTR:
		put_name(w, rd, rdlen, true);
		break;
	case ND_TYPE_SOA:
		a = (size_t)name_len(rd, rdlen);
		put_name(w, rd, a, true);
		put_name(w, rd + a, rdlen - a - SOA_FIXED_LEN, true);
		w->serial_off = (uint16_t)w->len;
		memcpy(w->buf + w->len, rd + rdlen - SOA_FIXED_LEN,
		       SOA_FIXED_LEN);
		w->len += SOA_FIXED_LEN;
		break;
	case ND_TYPE_SRV:
		memcpy(w->buf + w->len, rd, SRV_FIXED_LEN);
		w->len += SRV_FIXED_LEN;
		/* RFC 2782: "name compression is not to be used for this
		 * field"; later names may still point into it. */
		put_name(w, rd + SRV_FIXED_LEN, rdlen - SRV_FIXED_LEN, false);
		break;
	default:
		memcpy(w->buf + w->len, rd, rdlen);
		w->len += rdlen;
		break;
	}
}

int nd_kube_rw_add(struct nd_kube_rw *w, int sec, const uint8_t *owner,
		   size_t owner_len, uint16_t type, uint32_t ttl,
		   const uint8_t *rdata, size_t rdlen)
{
	if (w == NULL || w->buf == NULL || owner == NULL ||
	    (rdata == NULL && rdlen > 0) || sec < w->section ||
	    sec > ND_KUBE_SEC_ADDITIONAL || w->count[sec] == UINT16_MAX ||
	    name_len(owner, owner_len) != (int)owner_len)
		return -EINVAL;
	if (check_rdata(type, rdata, rdlen) < 0)
		return ND_EMALFORMED;

	/* Compression only shrinks a record, so the uncompressed size is
	 * a safe bound for the 64 KiB a message may take. */
	size_t most = owner_len + ND_DNS_RR_FIXED_LEN + rdlen;

	if (w->len + most > ND_DNS_MAX_MSG)
		return ND_ENOSPACE;
	if (reserve(w, most) < 0)
		return -ENOMEM;
	if (w->n_ttl == w->ttl_cap) {
		size_t cap = w->ttl_cap ? w->ttl_cap * 2 : 16;
		uint16_t *t = realloc(w->ttl_off, cap * sizeof(*t));

		if (t == NULL)
			return -ENOMEM;
		w->ttl_off = t;
		w->ttl_cap = cap;
	}
	dict_grow(w->dict);

	w->section = sec;
	put_name(w, owner, owner_len, true);
	nd_put16(w->buf + w->len, type);
	nd_put16(w->buf + w->len + 2, ND_CLASS_IN);
	nd_put32(w->buf + w->len + 4, ttl);
	w->ttl_off[w->n_ttl++] = (uint16_t)(w->len + 4);
	w->len += ND_DNS_RR_FIXED_LEN;

	size_t rd_at = w->len;

	put_rdata(w, type, rdata, rdlen);
	nd_put16(w->buf + rd_at - 2, (uint16_t)(w->len - rd_at));
	w->count[sec]++;
	for (int k = sec; k < 3; k++) {
		w->sec_end[k] = w->len;
		w->sec_ttl[k] = w->n_ttl;
	}
	return 0;
}

int nd_kube_rw_finish(struct nd_kube_rw *w)
{
	if (w == NULL || w->buf == NULL || w->len < ND_DNS_HEADER_LEN)
		return -EINVAL;
	nd_put16(w->buf + 6, w->count[ND_KUBE_SEC_ANSWER]);
	nd_put16(w->buf + 8, w->count[ND_KUBE_SEC_AUTHORITY]);
	nd_put16(w->buf + 10, w->count[ND_KUBE_SEC_ADDITIONAL]);
	return 0;
}
