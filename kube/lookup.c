/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The reader side of the store: one table lookup, then bytes copied from
 * a pre-rendered answer. Runs on every worker for every cluster query, so
 * it allocates nothing, logs nothing and takes no lock but the RCU read
 * lock, which never waits for the writer.
 */
#include "kube/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "kube/pod_addrs.h"
#include "kube/store_internal.h"
#include "dns/query.h"
#include "util/errors.h"
#include "util/hash.h"

#define OPT_RR_LEN 11
#define MAX_LABELS 128
/* A message built on the stack: header, question, one SOA (or one short
 * record), or the copy of a one-CNAME answer. */
#define STACK_MSG_MAX                                                          \
	(ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4 + ND_KUBE_SOA_RR_MAX)

static const uint8_t V4_TREE[] = ND_KUBE_V4_TREE;
static const uint8_t V6_TREE[] = ND_KUBE_V6_TREE;

/* What one query needs on its way through. */
struct ctx {
	struct nd_kube_store *s;
	const struct nd_query *q;
	size_t limit;
	uint8_t *out;
	size_t cap;
	size_t labels[MAX_LABELS]; /* offset of each label in qname_lc */
	size_t n_labels;
	size_t k; /* labels in front of the zone apex */
};

/* Finish a rendered message: the store is the authority for its names
 * (RFC 1035 4.1.1 AA), unlike the cache nd_answer_render serves for. */
static int done(struct ctx *c, int n, size_t *out_len)
{
	if (n < 0)
		return n;
	nd_put16(c->out + 2, (uint16_t)(nd_get16(c->out + 2) | ND_FLAG_AA));
	*out_len = (size_t)n;
	return ND_KUBE_ANSWERED;
}

/* Header and lower-case question of a message built on the stack. */
static size_t stack_head(const struct nd_query *q, uint8_t *b, uint8_t rcode,
			 uint16_t an, uint16_t ns)
{
	memset(b, 0, ND_DNS_HEADER_LEN);
	nd_put16(b + 2, (uint16_t)(ND_FLAG_QR | rcode));
	nd_put16(b + 4, 1);
	nd_put16(b + 6, an);
	nd_put16(b + 8, ns);
	memcpy(b + ND_DNS_HEADER_LEN, q->qname_lc, q->qname_len);

	size_t n = ND_DNS_HEADER_LEN + q->qname_len;

	nd_put16(b + n, q->qtype);
	nd_put16(b + n + 2, q->qclass);
	return n + 4;
}

/* NXDOMAIN or NODATA: header, question and the SOA of the tree the name
 * is in, with the current serial (RFC 2308 3). */
static int negative(struct ctx *c, uint8_t rcode, unsigned soa_kind,
		    size_t *out_len)
{
	const struct nd_kube_soa_rr *soa = &c->s->soa[soa_kind];
	uint8_t b[STACK_MSG_MAX];
	size_t qend = stack_head(c->q, b, rcode, 0, 1);
	uint16_t ttl_off = (uint16_t)(qend + soa->ttl_off);

	memcpy(b + qend, soa->rr, soa->len);
	nd_put32(b + qend + soa->serial_off,
		 __atomic_load_n(&c->s->serial, __ATOMIC_RELAXED));

	struct nd_answer a = {
		.wire = b,
		.len = (uint16_t)(qend + soa->len),
		.question_end = (uint16_t)qend,
		.ttl_off = &ttl_off,
		.n_ttl = 1,
		.rcode = rcode,
		.is_negative = true,
		.ttl_s = c->s->zone.ttl_s,
	};

	return done(c,
		    nd_answer_render(&a, c->q, 0, UINT32_MAX, false, c->limit,
				     c->out, c->cap),
		    out_len);
}

/*
 * Serve a stored answer. q is c->q, or a copy asking for ra's type when
 * ra stands in for ANY (is_any_shared): the question that goes out is
 * then patched back to ANY.
 */
static int stored(struct ctx *c, const struct nd_kube_rnode *node,
		  const struct nd_kube_rans *ra, const struct nd_query *q,
		  size_t *out_len)
{
	size_t opt = c->q->has_edns ? OPT_RR_LEN : 0;
	struct nd_answer a;
	bool is_bare = false;

	nd_kube_rans_answer(node, ra, c->s->zone.ttl_s, &a);
	/* RFC 2181 9: additional records are optional; when only they do
	 * not fit, send the answer without them rather than TC. The
	 * message up to an_end is a complete message of its own but for
	 * ARCOUNT, fixed below. When the answer records do not fit either,
	 * nd_answer_render() keeps those that do, whole, with TC. */
	if ((size_t)a.len + opt > c->limit && ra->an_end < a.len &&
	    (size_t)ra->an_end + opt <= c->limit) {
		a.len = ra->an_end;
		is_bare = true;
	}

	int n = nd_answer_render(&a, q, 0, UINT32_MAX, false, c->limit, c->out,
				 c->cap);

	if (n < 0)
		return n;
	if (q != c->q)
		nd_put16(c->out + a.question_end - 4, c->q->qtype);
	if (is_bare)
		nd_put16(c->out + 10, c->q->has_edns ? 1 : 0);
	/* A truncated answer keeps only the records before its cut. */
	if (ra->serial_off != 0 &&
	    (size_t)ra->serial_off + 4 + opt <= (size_t)n)
		nd_put32(c->out + ra->serial_off,
			 __atomic_load_n(&c->s->serial, __ATOMIC_RELAXED));
	return done(c, n, out_len);
}

/* An ExternalName answers every type with its CNAME (RFC 1034 3.6.2);
 * the stored one is for qtype CNAME, so the question's type is patched
 * in a copy. */
static int cname(struct ctx *c, const struct nd_kube_rnode *node,
		 const struct nd_kube_rans *ra, size_t *out_len)
{
	uint8_t b[STACK_MSG_MAX];
	struct nd_answer a;

	nd_kube_rans_answer(node, ra, c->s->zone.ttl_s, &a);
	if (a.len > sizeof(b))
		return negative(c, ND_RCODE_NOERROR, node->soa_kind, out_len);
	memcpy(b, a.wire, a.len);
	nd_put16(b + a.question_end - 4, c->q->qtype);
	a.wire = b;
	return done(c,
		    nd_answer_render(&a, c->q, 0, UINT32_MAX, false, c->limit,
				     c->out, c->cap),
		    out_len);
}

static int from_node(struct ctx *c, const struct nd_kube_rnode *node,
		     size_t *out_len)
{
	const struct nd_kube_rans *ra;

	if (node->is_nxdomain)
		return negative(c, ND_RCODE_NXDOMAIN, node->soa_kind, out_len);
	if (node->is_cname && c->q->qtype != ND_TYPE_CNAME) {
		ra = nd_kube_rnode_find(node, ND_TYPE_CNAME);
		if (ra != NULL)
			return cname(c, node, ra, out_len);
	}
	ra = nd_kube_rnode_find(node, c->q->qtype);
	if (ra != NULL)
		return stored(c, node, ra, c->q, out_len);
	if (c->q->qtype == ND_TYPE_ANY && node->is_any_shared) {
		/* ANY is rare (RFC 8482), so the copy of the query it takes
		 * here costs less than an answer kept for it on every name. */
		struct nd_query q = *c->q;

		q.qtype = node->ans[0].qtype;
		return stored(c, node, &node->ans[0], &q, out_len);
	}
	return negative(c, ND_RCODE_NOERROR, node->soa_kind, out_len);
}

static const uint8_t *label(const struct ctx *c, size_t i, size_t *len)
{
	const uint8_t *p = c->q->qname_lc + c->labels[i];

	*len = p[0];
	return p + 1;
}

static bool label_is(const struct ctx *c, size_t i, const char *text)
{
	size_t len;
	const uint8_t *p = label(c, i, &len);

	return len == strlen(text) && memcmp(p, text, len) == 0;
}

/*
 * The address a pod label spells, as CoreDNS reads it: "10-1-2-3" is
 * 10.1.2.3, "fd00--1" is fd00::1. inet_pton neither allocates nor locks.
 */
static int pod_addr(const uint8_t *l, size_t len, uint8_t addr[16])
{
	char text[64];
	size_t dashes = 0;

	if (len == 0 || len >= sizeof(text))
		return -1;
	for (size_t i = 0; i < len; i++) {
		text[i] = (char)l[i];
		dashes += l[i] == '-';
	}
	text[len] = '\0';
	if (dashes == 3) {
		char v4[64];

		memcpy(v4, text, len + 1);
		for (size_t i = 0; i < len; i++)
			if (v4[i] == '-')
				v4[i] = '.';
		if (inet_pton(AF_INET, v4, addr) == 1)
			return AF_INET;
	}
	for (size_t i = 0; i < len; i++)
		if (text[i] == '-')
			text[i] = ':';
	if (inet_pton(AF_INET6, text, addr) == 1)
		return AF_INET6;
	return -1;
}

/* <addr>.<ns>.pod.<zone>: computed from the name, no record stored. */
static int pod(struct ctx *c, size_t *out_len)
{
	uint8_t addr[16];
	size_t len, ns_len;
	const uint8_t *l = label(c, 0, &len);
	const uint8_t *ns = label(c, 1, &ns_len);
	int family = pod_addr(l, len, addr);

	if (family < 0)
		return negative(c, ND_RCODE_NXDOMAIN, ND_KUBE_SOA_ZONE,
				out_len);
	if (c->s->zone.pods == ND_PODS_VERIFIED) {
		uint8_t key[ND_KUBE_POD_KEY_MAX];
		int kl = nd_kube_pod_key((const char *)ns, ns_len, family, addr,
					 key);

		if (kl < 0 || !nd_kube_pods_has(c->s, key, (size_t)kl))
			return negative(c, ND_RCODE_NXDOMAIN, ND_KUBE_SOA_ZONE,
					out_len);
	}

	uint16_t type = family == AF_INET ? ND_TYPE_A : ND_TYPE_AAAA;
	size_t alen = family == AF_INET ? 4 : 16;

	if (c->q->qtype != type && c->q->qtype != ND_TYPE_ANY)
		return negative(c, ND_RCODE_NOERROR, ND_KUBE_SOA_ZONE, out_len);

	uint8_t b[STACK_MSG_MAX];
	size_t qend = stack_head(c->q, b, ND_RCODE_NOERROR, 1, 0);
	uint8_t *p = b + qend;
	uint16_t ttl_off = (uint16_t)(qend + 6);

	/* The owner points at the question (offset 12). */
	nd_put16(p, 0xc000u | ND_DNS_HEADER_LEN);
	nd_put16(p + 2, type);
	nd_put16(p + 4, ND_CLASS_IN);
	nd_put32(p + 6, c->s->zone.ttl_s);
	nd_put16(p + 10, (uint16_t)alen);
	memcpy(p + 12, addr, alen);

	struct nd_answer a = {
		.wire = b,
		.len = (uint16_t)(qend + 12 + alen),
		.question_end = (uint16_t)qend,
		.ttl_off = &ttl_off,
		.n_ttl = 1,
		.rcode = ND_RCODE_NOERROR,
		.ttl_s = c->s->zone.ttl_s,
	};

	return done(c,
		    nd_answer_render(&a, c->q, 0, UINT32_MAX, false, c->limit,
				     c->out, c->cap),
		    out_len);
}

/* A name under the zone that has no node. */
static int not_stored(struct ctx *c, size_t *out_len)
{
	enum nd_pods_mode mode = c->s->zone.pods;

	if (c->k >= 2 && label_is(c, c->k - 1, "pod") &&
	    mode != ND_PODS_DISABLED) {
		/*
		 * Insecure mode answers for any namespace, known or not, as
		 * CoreDNS does: it needs no Namespace watch, and a pod may
		 * ask before its namespace reached us. <ns>.pod.<zone> then
		 * exists for every ns. Verified mode publishes the known
		 * namespaces' <ns>.pod.<zone> as nodes.
		 */
		if (c->k == 2 && mode == ND_PODS_INSECURE)
			return negative(c, ND_RCODE_NOERROR, ND_KUBE_SOA_ZONE,
					out_len);
		if (c->k == 3)
			return pod(c, out_len);
	}
	return negative(c, ND_RCODE_NXDOMAIN, ND_KUBE_SOA_ZONE, out_len);
}

/*
 * For a name under <svc>.<ns>.svc.<zone> that has no node: the node of
 * that Service name when the Service's name is absent (a headless Service
 * without ready endpoints), else NULL. Its SRV and endpoint names would
 * exist with a ready endpoint, so diagnostics should still learn the
 * Service. Inside the caller's read-side section.
 */
static const struct nd_kube_rnode *absent_service(const struct ctx *c)
{
	if (c->k < 4 || !label_is(c, c->k - 1, "svc"))
		return NULL;

	size_t off = c->labels[c->k - 3];
	struct nd_kube_name_key key = {c->q->qname_lc + off,
				       c->q->qname_len - off};
	struct cds_lfht_iter it;
	struct cds_lfht_node *ln;

	cds_lfht_lookup(c->s->names,
			(unsigned long)nd_hash(key.name, key.len, c->s->seed),
			nd_kube_rnode_match, &key, &it);
	ln = cds_lfht_iter_get_node(&it);
	if (ln == NULL)
		return NULL;

	const struct nd_kube_rnode *node =
		caa_container_of(ln, struct nd_kube_rnode, lfht);

	return node->is_nxdomain && node->svc_ready >= 0 ? node : NULL;
}

/* Is the name's tail from label i on exactly suffix[0..len)? */
static bool tail_is(const struct ctx *c, size_t i, const uint8_t *suffix,
		    size_t len)
{
	return c->q->qname_len - c->labels[i] == len &&
	       memcmp(c->q->qname_lc + c->labels[i], suffix, len) == 0;
}

int nd_kube_store_answer_info(struct nd_kube_store *s, const struct nd_query *q,
			      size_t limit, uint8_t *out, size_t cap,
			      size_t *out_len, struct nd_kube_answer_info *info)
{
	struct ctx c = {.s = s, .q = q, .limit = limit, .out = out, .cap = cap};

	if (s == NULL || q == NULL || out == NULL || out_len == NULL ||
	    !q->has_question || q->qname_len == 0 ||
	    q->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;
	*out_len = 0;
	if (info != NULL) {
		info->ready = -1;
		info->is_headless = false;
	}
	if (q->qclass != ND_CLASS_IN)
		return ND_KUBE_NOT_OURS;

	/* Label starts, so the zone and the reverse trees are matched on
	 * label boundaries only ("xcluster.local" is not ours). */
	size_t off = 0;

	while (q->qname_lc[off] != 0) {
		if (q->qname_lc[off] > 63 || c.n_labels == MAX_LABELS ||
		    off + 1 + q->qname_lc[off] >= q->qname_len)
			return -EINVAL;
		c.labels[c.n_labels++] = off;
		off += 1 + (size_t)q->qname_lc[off];
	}
	if (off + 1 != q->qname_len)
		return -EINVAL;

	bool is_zone = false, is_reverse = false;

	for (size_t i = 0; i < c.n_labels && !is_zone && !is_reverse; i++) {
		if (tail_is(&c, i, s->zone.apex, s->zone.apex_len)) {
			is_zone = true;
			c.k = i;
		} else if (tail_is(&c, i, V4_TREE, sizeof(V4_TREE)) ||
			   tail_is(&c, i, V6_TREE, sizeof(V6_TREE))) {
			is_reverse = true;
		}
	}
	if (!is_zone && !is_reverse)
		return ND_KUBE_NOT_OURS;

	struct nd_kube_name_key key = {q->qname_lc, q->qname_len};
	uint64_t hash = nd_hash(q->qname_lc, q->qname_len, s->seed);
	struct cds_lfht_iter it;
	struct cds_lfht_node *ln;
	int r;

	urcu_memb_read_lock();
	cds_lfht_lookup(s->names, (unsigned long)hash, nd_kube_rnode_match,
			&key, &it);
	ln = cds_lfht_iter_get_node(&it);
	if (ln != NULL) {
		const struct nd_kube_rnode *node =
			caa_container_of(ln, struct nd_kube_rnode, lfht);

		r = from_node(&c, node, out_len);
		/* Read from the node the answer came from, inside the same
		 * read-side section: count and bytes are one snapshot. */
		if (r == ND_KUBE_ANSWERED && info != NULL) {
			info->ready = node->svc_ready;
			info->is_headless =
				node->svc_ready >= 0 && node->is_svc_headless;
		}
	} else if (is_reverse) {
		/* Not an address of ours: upstream knows it, or nobody. */
		r = ND_KUBE_NOT_OURS;
	} else {
		const struct nd_kube_rnode *svc;

		r = not_stored(&c, out_len);
		if (r == ND_KUBE_ANSWERED && info != NULL &&
		    (svc = absent_service(&c)) != NULL) {
			info->ready = svc->svc_ready;
			info->is_headless = svc->is_svc_headless;
		}
	}
	urcu_memb_read_unlock();
	return r;
}

int nd_kube_store_answer(struct nd_kube_store *s, const struct nd_query *q,
			 size_t limit, uint8_t *out, size_t cap,
			 size_t *out_len)
{
	return nd_kube_store_answer_info(s, q, limit, out, cap, out_len, NULL);
}
