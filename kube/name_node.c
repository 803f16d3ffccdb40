/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/name_node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "dns/rrset_writer.h"
#include "util/errors.h"

int nd_kube_rnode_match(struct cds_lfht_node *node, const void *key)
{
	const struct nd_kube_rnode *n =
		caa_container_of(node, struct nd_kube_rnode, lfht);
	const struct nd_kube_name_key *k = key;

	return n->name_len == k->len &&
	       memcmp(nd_kube_rnode_name(n), k->name, k->len) == 0;
}

/* A writer that grew past this for one big answer gives the memory back
 * after the render, instead of holding it for the small ones to come. */
#define SCRATCH_KEEP_BYTES 4096

void nd_kube_render_scratch_deinit(struct nd_kube_render_scratch *sc)
{
	if (sc == NULL)
		return;
	for (size_t i = 0; i < sc->n_w; i++)
		nd_kube_rw_deinit(&sc->w[i]);
	free(sc->w);
	sc->w = NULL;
	sc->n_w = 0;
}

/* At least n writers in sc. Returns 0 or -ENOMEM. */
static int scratch_reserve(struct nd_kube_render_scratch *sc, size_t n)
{
	if (n <= sc->n_w)
		return 0;

	struct nd_kube_rw *w = realloc(sc->w, n * sizeof(*w));

	if (w == NULL)
		return -ENOMEM;
	for (size_t i = sc->n_w; i < n; i++)
		nd_kube_rw_init(&w[i]);
	sc->w = w;
	sc->n_w = n;
	return 0;
}

void nd_kube_rnode_free(struct nd_kube_rnode *node)
{
	free(node);
}

const struct nd_kube_rans *nd_kube_rnode_find(const struct nd_kube_rnode *node,
					      uint16_t qtype)
{
	if (node == NULL)
		return NULL;
	for (uint16_t i = 0; i < node->n_ans; i++)
		if (node->ans[i].qtype == qtype)
			return &node->ans[i];
	return NULL;
}

void nd_kube_rans_answer(const struct nd_kube_rnode *node,
			 const struct nd_kube_rans *ra, uint32_t ttl_s,
			 struct nd_answer *out)
{
	memset(out, 0, sizeof(*out));
	out->wire = nd_kube_rnode_data(node) + ra->off;
	out->len = ra->len;
	out->question_end =
		(uint16_t)(ND_DNS_HEADER_LEN + node->name_len + 4);
	out->rcode = ND_RCODE_NOERROR;
	out->is_negative = ra->is_negative;
	out->ttl_s = ttl_s;
}

/*
 * For a name with one record type, the ANY answer would repeat that
 * type's message but for the question: the same answer records, and the
 * same additional ones when all of them are filed for that type.
 */
static bool any_is_shared(const struct nd_kube_rrv *rrs, size_t n,
			  uint16_t type)
{
	for (size_t i = 0; i < n; i++)
		if (rrs[i].add_for != 0 && rrs[i].add_for != type)
			return false;
	return true;
}

/*
 * Write the records of rrs that belong to the answer for qtype: answer
 * records of that type (all types for ANY), then the additional records
 * filed for it. A record past the size limit is dropped, and the rest of
 * its section with it, since they would not fit either.
 */
static int render_one(struct nd_kube_rw *w, const uint8_t *name,
		      size_t name_len, uint16_t qtype,
		      const struct nd_kube_rrv *rrs, size_t n, uint32_t ttl_s,
		      size_t *n_dropped)
{
	int r = nd_kube_rw_begin(w, name, name_len, qtype, ND_FLAG_QR);

	if (r < 0)
		return r;
	for (int pass = 0; pass < 2; pass++) {
		int sec =
			pass == 0 ? ND_KUBE_SEC_ANSWER : ND_KUBE_SEC_ADDITIONAL;
		bool is_full = false;

		for (size_t i = 0; i < n; i++) {
			const struct nd_kube_rrv *v = &rrs[i];
			bool is_mine;

			if (pass == 0)
				is_mine = v->add_for == 0 &&
					  (qtype == ND_TYPE_ANY ||
					   v->type == qtype);
			else
				is_mine = v->add_for != 0 &&
					  (qtype == ND_TYPE_ANY ||
					   v->add_for == qtype);
			if (!is_mine)
				continue;
			if (is_full) {
				(*n_dropped)++;
				continue;
			}
			r = nd_kube_rw_add(w, sec, pass == 0 ? name : v->owner,
					   pass == 0 ? name_len : v->owner_len,
					   v->type, ttl_s, v->rdata, v->rdlen);
			if (r == ND_ENOSPACE || r == ND_EMALFORMED) {
				(*n_dropped)++;
				is_full = r == ND_ENOSPACE;
				continue;
			}
			if (r < 0)
				return r;
		}
	}
	return nd_kube_rw_finish(w);
}

struct nd_kube_rnode *nd_kube_rnode_build(struct nd_kube_render_scratch *sc,
					  const uint8_t *name, size_t name_len,
					  enum nd_kube_soa_kind soa_kind,
					  const struct nd_kube_rrv *rrs,
					  size_t n, uint32_t ttl_s,
					  size_t *n_dropped)
{
	size_t dropped = 0, n_types = 0;
	bool is_cname = false;
	uint16_t types[64];

	if (sc == NULL || name == NULL || name_len == 0 ||
	    name_len > ND_DNS_MAX_NAME || (rrs == NULL && n > 0))
		return NULL;
	/* rrs are sorted by type first, so each type shows up in one run;
	 * more than a handful of types never happens in this zone. */
	for (size_t i = 0; i < n; i++) {
		if (rrs[i].add_for != 0)
			continue;
		if (n_types == 0 || types[n_types - 1] != rrs[i].type) {
			if (n_types == sizeof(types) / sizeof(types[0]))
				break;
			types[n_types++] = rrs[i].type;
		}
		if (rrs[i].type == ND_TYPE_CNAME)
			is_cname = true;
	}

	bool is_any_shared = n_types == 1 && any_is_shared(rrs, n, types[0]);
	size_t n_ans = n_types == 0 ? 0 : is_any_shared ? 1 : n_types + 1;
	struct nd_kube_rw *w = NULL;
	struct nd_kube_rnode *node = NULL;

	if (scratch_reserve(sc, n_ans) < 0)
		return NULL;
	w = sc->w;

	/* The name is stored on its own only when no message carries it. */
	size_t bytes = sizeof(*node) + n_ans * sizeof(node->ans[0]) +
		       (n_ans == 0 ? name_len : 0);

	for (size_t i = 0; i < n_ans; i++) {
		uint16_t qtype = i < n_types ? types[i] : ND_TYPE_ANY;

		if (render_one(&w[i], name, name_len, qtype, rrs, n, ttl_s,
			       &dropped) < 0)
			goto out;
		bytes += w[i].len;
	}
	if (bytes > UINT32_MAX)
		goto out;
	node = calloc(1, bytes);
	if (node == NULL)
		goto out;
	node->bytes = (uint32_t)bytes;
	node->name_len = (uint8_t)name_len;
	node->soa_kind = (uint8_t)soa_kind;
	node->is_cname = is_cname;
	node->is_any_shared = is_any_shared;
	node->svc_ready = -1;
	node->n_ans = (uint16_t)n_ans;

	uint8_t *data = (uint8_t *)&node->ans[n_ans];
	size_t off = 0;

	if (n_ans == 0) {
		memcpy(data, name, name_len);
		goto out;
	}
	for (size_t i = 0; i < n_ans; i++) {
		struct nd_kube_rans *ra = &node->ans[i];

		memcpy(data + off, w[i].buf, w[i].len);
		ra->off = (uint32_t)off;
		ra->len = (uint16_t)w[i].len;
		ra->qtype = i < n_types ? types[i] : ND_TYPE_ANY;
		ra->an_end = (uint16_t)w[i].sec_end[ND_KUBE_SEC_ANSWER];
		ra->serial_off = w[i].serial_off;
		ra->is_negative = w[i].count[ND_KUBE_SEC_ANSWER] == 0;
		off += w[i].len;
	}
out:
	for (size_t i = 0; i < n_ans; i++) {
		if (w[i].cap > SCRATCH_KEEP_BYTES) {
			nd_kube_rw_deinit(&w[i]);
			nd_kube_rw_init(&w[i]);
		}
	}
	if (n_dropped != NULL)
		*n_dropped = dropped;
	return node;
}
