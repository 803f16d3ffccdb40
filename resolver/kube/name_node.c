/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/kube/name_node.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/dns_wire.h"
#include "resolver/kube/rrset_writer.h"
#include "util/errors.h"

int nd_kube_rnode_match(struct cds_lfht_node *node, const void *key)
{
	const struct nd_kube_rnode *n =
		caa_container_of(node, struct nd_kube_rnode, lfht);
	const struct nd_kube_name_key *k = key;

	return n->name_len == k->len && memcmp(n->name, k->name, k->len) == 0;
}

void nd_kube_rnode_free(struct nd_kube_rnode *node)
{
	free(node);
}

void nd_kube_rnode_free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct nd_kube_rnode, rcu));
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

struct nd_kube_rnode *nd_kube_rnode_build(const uint8_t *name, size_t name_len,
					  enum nd_kube_soa_kind soa_kind,
					  const struct nd_kube_rrv *rrs,
					  size_t n, uint32_t ttl_s,
					  size_t *n_dropped)
{
	size_t dropped = 0, n_types = 0;
	bool is_cname = false;
	uint16_t types[64];

	if (name == NULL || name_len == 0 || name_len > ND_DNS_MAX_NAME ||
	    (rrs == NULL && n > 0))
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

	size_t n_ans = n_types ? n_types + 1 : 0;
	struct nd_kube_rw *w = NULL;
	struct nd_kube_rnode *node = NULL;

	if (n_ans > 0) {
		w = calloc(n_ans, sizeof(*w));
		if (w == NULL)
			return NULL;
	}

	size_t bytes = sizeof(*node) + n_ans * sizeof(node->ans[0]) + name_len;

	for (size_t i = 0; i < n_ans; i++) {
		uint16_t qtype = i < n_types ? types[i] : ND_TYPE_ANY;

		nd_kube_rw_init(&w[i]);
		if (render_one(&w[i], name, name_len, qtype, rrs, n, ttl_s,
			       &dropped) < 0)
			goto out;
		bytes += w[i].n_ttl * sizeof(uint16_t) + w[i].len;
	}
	node = calloc(1, bytes);
	if (node == NULL)
		goto out;
	node->bytes = bytes;
	node->soa_kind = (uint8_t)soa_kind;
	node->is_cname = is_cname;
	node->svc_ready = -1;
	node->n_ans = (uint16_t)n_ans;

	/* The TTL offsets go first: they need 2-byte alignment, which the
	 * byte arrays after them do not. */
	uint8_t *p = (uint8_t *)&node->ans[n_ans];

	for (size_t i = 0; i < n_ans; i++) {
		struct nd_kube_rans *ra = &node->ans[i];

		ra->a.ttl_off = (const uint16_t *)p;
		memcpy(p, w[i].ttl_off, w[i].n_ttl * sizeof(uint16_t));
		p += w[i].n_ttl * sizeof(uint16_t);
	}
	node->name = p;
	node->name_len = (uint8_t)name_len;
	memcpy(p, name, name_len);
	p += name_len;
	for (size_t i = 0; i < n_ans; i++) {
		struct nd_kube_rans *ra = &node->ans[i];

		memcpy(p, w[i].buf, w[i].len);
		ra->a.wire = p;
		ra->a.len = (uint16_t)w[i].len;
		ra->a.question_end =
			(uint16_t)(ND_DNS_HEADER_LEN + name_len + 4);
		ra->a.n_ttl = (uint16_t)w[i].n_ttl;
		ra->a.rcode = ND_RCODE_NOERROR;
		ra->a.is_negative = w[i].count[ND_KUBE_SEC_ANSWER] == 0;
		ra->a.ttl_s = ttl_s;
		ra->qtype = i < n_types ? types[i] : ND_TYPE_ANY;
		ra->an_end = (uint16_t)w[i].sec_end[ND_KUBE_SEC_ANSWER];
		ra->an_n_ttl = (uint16_t)w[i].sec_ttl[ND_KUBE_SEC_ANSWER];
		ra->serial_off = w[i].serial_off;
		p += w[i].len;
	}
out:
	for (size_t i = 0; w != NULL && i < n_ans; i++)
		nd_kube_rw_deinit(&w[i]);
	free(w);
	if (n_dropped != NULL)
		*n_dropped = dropped;
	return node;
}
