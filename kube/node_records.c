/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/node_records.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "kube/nameset.h"

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

/*
 * File the answer and additional records of one message in ns, under the
 * message's question name: the nameset writes the serialized form and
 * sorts and dedups it, as it does for the records a Service gives.
 */
static int read_message(const uint8_t *msg, size_t len, uint16_t qtype,
			struct nd_kube_nameset *ns, uint8_t *rdbuf)
{
	uint8_t name[ND_DNS_MAX_NAME], owner[ND_DNS_MAX_NAME];
	size_t name_len, owner_len;
	int off;

	if (len < ND_DNS_HEADER_LEN)
		return -EINVAL;

	unsigned an = nd_get16(msg + 6), ns_count = nd_get16(msg + 8);
	unsigned ar = nd_get16(msg + 10);

	off = nd_dns_name_read(msg, len, ND_DNS_HEADER_LEN, name, &name_len,
			       false);
	if (off < 0 || (size_t)off + 4 > len)
		return -EINVAL;
	off += 4;
	for (unsigned i = 0; i < an + ns_count + ar; i++) {
		struct nd_dns_rr rr;

		if (nd_dns_rr_walk(msg, len, (size_t)off, &rr) < 0)
			return -EINVAL;
		off = (int)rr.end;
		if (i >= an && i < an + ns_count)
			continue; /* the SOA of a negative answer */

		uint16_t type = nd_get16(msg + rr.fixed);
		int rdlen = rdata_expand(msg, len, type, rr.rdata, rr.rdlen,
					 rdbuf);

		if (rdlen < 0)
			return -EINVAL;
		/* Answer records are the name's own: no owner kept. */
		bool is_additional = i >= an + ns_count;

		owner_len = 0;
		if (is_additional &&
		    nd_dns_name_read(msg, len, rr.owner, owner, &owner_len,
				     false) < 0)
			return -EINVAL;
		if (nd_kube_nameset_add(ns, name, name_len, type,
					is_additional ? qtype : 0, owner,
					owner_len, rdbuf, (size_t)rdlen) < 0)
			return -ENOMEM;
	}
	return 0;
}

int nd_kube_rnode_records(const struct nd_kube_rnode *node, uint8_t **out,
			  size_t *out_len)
{
	struct nd_kube_nameset ns;
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
	nd_kube_nameset_init(&ns);
	for (uint16_t i = 0; i < node->n_ans && r == 0; i++) {
		const struct nd_kube_rans *ra = &node->ans[i];

		if (ra->qtype == ND_TYPE_ANY)
			continue; /* the union of the others */
		r = read_message(nd_kube_rnode_data(node) + ra->off, ra->len,
				 ra->qtype, &ns, rdbuf);
	}
	free(rdbuf);
	if (r == 0)
		r = nd_kube_nameset_finish(&ns);
	/* Every message asks for the node's one name, valid when rendered:
	 * anything else is not a node we wrote. */
	if (r == 0 && (ns.n_ent > 1 || ns.n_skipped > 0))
		r = -EINVAL;
	if (r == 0 && ns.n_ent == 1) {
		*out = ns.ent[0].rrs; /* taken: deinit leaves it */
		*out_len = ns.ent[0].rrs_len;
		ns.ent[0].rrs = NULL;
	}
	nd_kube_nameset_deinit(&ns);
	return r;
}
