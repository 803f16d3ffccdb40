/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/kube/node_records.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/dns_wire.h"
#include "resolver/kube/nameset.h"

/* A growing buffer of serialized records. */
struct blob {
	uint8_t *p;
	size_t len, cap;
};

static int blob_reserve(struct blob *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;

	size_t cap = b->cap ? b->cap * 2 : 256;

	while (cap < b->len + more)
		cap *= 2;

	uint8_t *p = realloc(b->p, cap);

	if (p == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/*
 * The RDATA at msg[rdata..rdata+rdlen) uncompressed into out (at least
 * ND_DNS_MAX_MSG bytes): the names in NS, CNAME, PTR, SRV and SOA are
 * expanded, anything else is copied. Returns its length or -EINVAL.
 */
static int rdata_expand(const uint8_t *msg, size_t len, uint16_t type,
			size_t rdata, uint16_t rdlen, uint8_t *out)
{
	size_t end = rdata + rdlen, o = 0, fixed = 0, n_names = 0;
	size_t nl;
	int off = (int)rdata;

	switch (type) {
	case ND_TYPE_NS:
	case ND_TYPE_CNAME:
	case ND_TYPE_PTR:
		n_names = 1;
		break;
	case ND_TYPE_SRV: /* priority, weight, port, then the target */
		if (rdlen < 6)
			return -EINVAL;
		memcpy(out, msg + rdata, 6);
		o = 6;
		off += 6;
		n_names = 1;
		break;
	case ND_TYPE_SOA: /* MNAME, RNAME, then five numbers */
		n_names = 2;
		fixed = 20;
		break;
	default:
		memcpy(out, msg + rdata, rdlen);
		return rdlen;
	}
	for (size_t i = 0; i < n_names; i++) {
		off = nd_dns_name_read(msg, len, (size_t)off, out + o, &nl,
				       false);
		if (off < 0 || (size_t)off > end)
			return -EINVAL;
		o += nl;
	}
	if ((size_t)off + fixed != end)
		return -EINVAL;
	memcpy(out + o, msg + off, fixed);
	return (int)(o + fixed);
}

/* Serialize one record: TYPE ADD_FOR OWNER_LEN OWNER RDLEN RDATA. */
static int put_rr(struct blob *b, uint16_t type, uint16_t add_for,
		  const uint8_t *owner, size_t owner_len, const uint8_t *rdata,
		  size_t rdlen)
{
	if (blob_reserve(b, 7 + owner_len + rdlen) < 0)
		return -ENOMEM;

	uint8_t *p = b->p + b->len;

	nd_put16(p, type);
	nd_put16(p + 2, add_for);
	p[4] = (uint8_t)owner_len;
	if (owner_len > 0) /* answer records have no owner (NULL) */
		memcpy(p + 5, owner, owner_len);
	nd_put16(p + 5 + owner_len, (uint16_t)rdlen);
	memcpy(p + 7 + owner_len, rdata, rdlen);
	b->len += 7 + owner_len + rdlen;
	return 0;
}

/* Append the answer and additional records of one message to b. */
static int read_message(const uint8_t *msg, size_t len, uint16_t qtype,
			struct blob *b, uint8_t *rdbuf)
{
	uint8_t owner[ND_DNS_MAX_NAME];
	size_t owner_len;
	int off;

	if (len < ND_DNS_HEADER_LEN)
		return -EINVAL;

	unsigned an = nd_get16(msg + 6), ns = nd_get16(msg + 8);
	unsigned ar = nd_get16(msg + 10);

	off = nd_dns_name_skip(msg, len, ND_DNS_HEADER_LEN);
	if (off < 0 || (size_t)off + 4 > len)
		return -EINVAL;
	off += 4;
	for (unsigned i = 0; i < an + ns + ar; i++) {
		struct nd_dns_rr rr;

		if (nd_dns_rr_walk(msg, len, (size_t)off, &rr) < 0)
			return -EINVAL;
		off = (int)rr.end;
		if (i >= an && i < an + ns)
			continue; /* the SOA of a negative answer */

		uint16_t type = nd_get16(msg + rr.fixed);
		int rdlen = rdata_expand(msg, len, type, rr.rdata, rr.rdlen,
					 rdbuf);

		if (rdlen < 0)
			return -EINVAL;
		if (i < an) {
			/* Answer records are the name's own: no owner kept. */
			if (put_rr(b, type, 0, NULL, 0, rdbuf, (size_t)rdlen) <
			    0)
				return -ENOMEM;
			continue;
		}
		if (nd_dns_name_read(msg, len, rr.owner, owner, &owner_len,
				     false) < 0)
			return -EINVAL;
		if (put_rr(b, type, qtype, owner, owner_len, rdbuf,
			   (size_t)rdlen) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int rrv_cmp(const void *a, const void *b)
{
	return nd_kube_rr_cmp(a, b);
}

/* Sort the records of raw and write them, without repeats, into *out. */
static int sort_unique(const struct blob *raw, uint8_t **out, size_t *out_len)
{
	struct nd_kube_rrv *v;
	size_t n = 0, k = 0, o = 0;
	int off;

	for (size_t p = 0; p < raw->len; p = (size_t)off, n++) {
		struct nd_kube_rrv tmp;

		if ((off = nd_kube_rr_parse(raw->p, raw->len, p, &tmp)) < 0)
			return -EINVAL;
	}
	v = malloc(n * sizeof(*v));
	*out = malloc(raw->len);
	if (v == NULL || *out == NULL) {
		free(v);
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	n = 0;
	for (size_t p = 0; p < raw->len; p = (size_t)off)
		if ((off = nd_kube_rr_parse(raw->p, raw->len, p, &v[n])) >= 0)
			n++;
	qsort(v, n, sizeof(*v), rrv_cmp);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && nd_kube_rr_cmp(&v[k - 1], &v[i]) == 0)
			continue;
		v[k++] = v[i];
		memcpy(*out + o, v[i].raw, v[i].raw_len);
		o += v[i].raw_len;
	}
	free(v);
	*out_len = o;
	return 0;
}

int nd_kube_rnode_records(const struct nd_kube_rnode *node, uint8_t **out,
			  size_t *out_len)
{
	struct blob raw = {0};
	uint8_t *rdbuf;
	int r = 0;

	if (node == NULL || out == NULL || out_len == NULL)
		return -EINVAL;
	*out = NULL;
	*out_len = 0;
	if (node->n_ans == 0)
		return 0;
	rdbuf = malloc(ND_DNS_MAX_MSG);
	if (rdbuf == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < node->n_ans && r == 0; i++) {
		const struct nd_kube_rans *ra = &node->ans[i];

		if (ra->qtype == ND_TYPE_ANY)
			continue; /* the union of the others */
		r = read_message(nd_kube_rnode_data(node) + ra->off, ra->len,
				 ra->qtype, &raw, rdbuf);
	}
	free(rdbuf);
	if (r == 0 && raw.len > 0)
		r = sort_unique(&raw, out, out_len);
	free(raw.p);
	return r;
}
