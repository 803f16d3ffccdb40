/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/nameset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"

/* A pair in the arena: NAME_LEN(1) NAME RR_LEN(2) RR. */

void nd_kube_nameset_init(struct nd_kube_nameset *ns)
{
	if (ns != NULL)
		memset(ns, 0, sizeof(*ns));
}

void nd_kube_nameset_deinit(struct nd_kube_nameset *ns)
{
	if (ns == NULL)
		return;
	for (size_t i = 0; i < ns->n_ent; i++)
		free(ns->ent[i].rrs);
	free(ns->ent);
	free(ns->arena);
	free(ns->idx);
	memset(ns, 0, sizeof(*ns));
}

int nd_kube_rr_parse(const uint8_t *blob, size_t len, size_t off,
		     struct nd_kube_rrv *v)
{
	if (blob == NULL || v == NULL || off + 5 > len)
		return -EINVAL;

	size_t p = off;

	v->type = nd_get16(blob + p);
	v->add_for = nd_get16(blob + p + 2);
	v->owner_len = blob[p + 4];
	p += 5;
	if (p + v->owner_len + 2 > len)
		return -EINVAL;
	v->owner = v->owner_len ? blob + p : NULL;
	p += v->owner_len;
	v->rdlen = nd_get16(blob + p);
	p += 2;
	if (p + v->rdlen > len)
		return -EINVAL;
	v->rdata = blob + p;
	p += v->rdlen;
	v->raw = blob + off;
	v->raw_len = p - off;
	return (int)p;
}

int nd_kube_rr_cmp(const struct nd_kube_rrv *a, const struct nd_kube_rrv *b)
{
	size_t n = a->raw_len < b->raw_len ? a->raw_len : b->raw_len;
	int c = memcmp(a->raw, b->raw, n);

	if (c != 0)
		return c;
	return (a->raw_len > b->raw_len) - (a->raw_len < b->raw_len);
}

int nd_kube_name_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		     size_t blen)
{
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return memcmp(a, b, alen);
}

/* A wire name: labels of 1..63 bytes ending in the root, at most 255. */
static bool is_wire_name(const uint8_t *n, size_t len)
{
	size_t off = 0;

	if (n == NULL || len == 0 || len > ND_DNS_MAX_NAME)
		return false;
	while (off < len) {
		if (n[off] == 0)
			return off + 1 == len;
		if (n[off] > 63)
			return false;
		off += 1 + (size_t)n[off];
	}
	return false;
}

static int fail(struct nd_kube_nameset *ns, int err)
{
	if (ns->err == 0)
		ns->err = err;
	return err;
}

int nd_kube_nameset_add(struct nd_kube_nameset *ns, const uint8_t *name,
			size_t name_len, uint16_t type, uint16_t add_for,
			const uint8_t *owner, size_t owner_len,
			const uint8_t *rdata, size_t rdlen)
{
	if (ns == NULL || (rdata == NULL && rdlen > 0) || rdlen > UINT16_MAX)
		return -EINVAL;
	if (!is_wire_name(name, name_len) ||
	    (add_for != 0 && !is_wire_name(owner, owner_len))) {
		ns->n_skipped++;
		return 0;
	}
	if (add_for == 0)
		owner_len = 0;

	size_t rr_len = type == 0 ? 0 : 5 + owner_len + 2 + rdlen;
	size_t need = 1 + name_len + 2 + rr_len;

	if (ns->len + need > ns->cap) {
		size_t cap = ns->cap ? ns->cap : 1024;

		while (cap < ns->len + need)
			cap *= 2;

		uint8_t *a = realloc(ns->arena, cap);

		if (a == NULL)
			return fail(ns, -ENOMEM);
		ns->arena = a;
		ns->cap = cap;
	}
	if (ns->n == ns->idx_cap) {
		size_t cap = ns->idx_cap ? ns->idx_cap * 2 : 64;
		size_t *x = realloc(ns->idx, cap * sizeof(*x));

		if (x == NULL)
			return fail(ns, -ENOMEM);
		ns->idx = x;
		ns->idx_cap = cap;
	}
	ns->idx[ns->n++] = ns->len;

	uint8_t *p = ns->arena + ns->len;

	*p++ = (uint8_t)name_len;
	memcpy(p, name, name_len);
	p += name_len;
	nd_put16(p, (uint16_t)rr_len);
	p += 2;
	if (rr_len > 0) {
		nd_put16(p, type);
		nd_put16(p + 2, add_for);
		p[4] = (uint8_t)owner_len;
		p += 5;
		if (owner_len > 0)
			memcpy(p, owner, owner_len);
		p += owner_len;
		nd_put16(p, (uint16_t)rdlen);
		p += 2;
		if (rdlen > 0)
			memcpy(p, rdata, rdlen);
		p += rdlen;
	}
	ns->len = (size_t)(p - ns->arena);
	return 0;
}

int nd_kube_nameset_set_service(struct nd_kube_nameset *ns, const uint8_t *base,
				size_t base_len, int32_t ready,
				bool is_headless, bool is_absent)
{
	if (ns == NULL || ready < 0 || !is_wire_name(base, base_len))
		return -EINVAL;
	memcpy(ns->svc.base, base, base_len);
	ns->svc.base_len = base_len;
	ns->svc.ready = ready;
	ns->svc.is_headless = is_headless;
	ns->svc.is_base_absent = is_absent;
	return 0;
}

/* Is name base, or a name under it (matched on label boundaries)? */
static bool is_at_or_under(const uint8_t *name, size_t len, const uint8_t *base,
			   size_t base_len)
{
	size_t off = 0;

	while (off < len && len - off >= base_len) {
		if (len - off == base_len &&
		    memcmp(name + off, base, base_len) == 0)
			return true;
		if (name[off] == 0)
			break;
		off += 1 + (size_t)name[off];
	}
	return false;
}

/* A pair viewed in place. */
struct pair {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *rr;
	size_t rr_len;
};

static void pair_at(const uint8_t *arena, size_t off, struct pair *p)
{
	p->name_len = arena[off];
	p->name = arena + off + 1;
	p->rr_len = nd_get16(arena + off + 1 + p->name_len);
	p->rr = arena + off + 3 + p->name_len;
}

static int pair_cmp(const void *x, const void *y, void *arg)
{
	const uint8_t *arena = arg;
	struct pair a, b;

	pair_at(arena, *(const size_t *)x, &a);
	pair_at(arena, *(const size_t *)y, &b);

	int c = nd_kube_name_cmp(a.name, a.name_len, b.name, b.name_len);

	if (c != 0)
		return c;

	size_t n = a.rr_len < b.rr_len ? a.rr_len : b.rr_len;

	c = n ? memcmp(a.rr, b.rr, n) : 0;
	if (c != 0)
		return c;
	return (a.rr_len > b.rr_len) - (a.rr_len < b.rr_len);
}

int nd_kube_nameset_finish(struct nd_kube_nameset *ns)
{
	if (ns == NULL)
		return -EINVAL;
	if (ns->err != 0)
		return ns->err;
	if (ns->n == 0)
		return 0;
	/* Sorting by (name, record) puts each name's records together in
	 * the order they are sent, and duplicates (an address in two
	 * slices, an ENT filed by several records) next to each other. */
	qsort_r(ns->idx, ns->n, sizeof(*ns->idx), pair_cmp, ns->arena);

	ns->ent = calloc(ns->n, sizeof(*ns->ent));
	if (ns->ent == NULL)
		return fail(ns, -ENOMEM);

	size_t i = 0;

	while (i < ns->n) {
		struct pair first, cur;
		size_t j = i, bytes = 0;

		pair_at(ns->arena, ns->idx[i], &first);
		for (; j < ns->n; j++) {
			pair_at(ns->arena, ns->idx[j], &cur);
			if (nd_kube_name_cmp(first.name, first.name_len,
					     cur.name, cur.name_len) != 0)
				break;
			if (j == i || pair_cmp(&ns->idx[j - 1], &ns->idx[j],
					       ns->arena) != 0)
				bytes += cur.rr_len;
		}

		struct nd_kube_nameset_entry *e = &ns->ent[ns->n_ent++];

		e->name = first.name;
		e->name_len = (uint8_t)first.name_len;
		e->svc_ready = -1;
		if (ns->svc.base_len > 0 &&
		    is_at_or_under(e->name, e->name_len, ns->svc.base,
				   ns->svc.base_len)) {
			e->svc_ready = ns->svc.ready;
			e->is_svc_headless = ns->svc.is_headless;
			e->is_absent = ns->svc.is_base_absent && bytes == 0 &&
				       nd_kube_name_cmp(e->name, e->name_len,
							ns->svc.base,
							ns->svc.base_len) == 0;
		}
		if (bytes > 0) {
			e->rrs = malloc(bytes);
			if (e->rrs == NULL)
				return fail(ns, -ENOMEM);
			for (size_t k = i; k < j; k++) {
				if (k > i &&
				    pair_cmp(&ns->idx[k - 1], &ns->idx[k],
					     ns->arena) == 0)
					continue;
				pair_at(ns->arena, ns->idx[k], &cur);
				if (cur.rr_len > 0)
					memcpy(e->rrs + e->rrs_len, cur.rr,
					       cur.rr_len);
				e->rrs_len += cur.rr_len;
			}
		}
		i = j;
	}
	return 0;
}
