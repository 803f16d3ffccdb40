/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The hosts table: parsed once per version of the file into pre-rendered
 * answers, then only read. Workers read it concurrently without a lock;
 * whoever publishes it (resolver/resolve.c) frees it after an RCU grace
 * period, so nothing here is ever written after nd_hosts_parse returns.
 */
#include "resolver/hosts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/answer.h"
#include "dns/name_check.h"
#include "dns/query.h"
#include "dns/rrset_writer.h"
#include "dns/wire.h"
#include "util/errors.h"
#include "util/hash.h"

/* The table is the admin's, not the clients': a fixed seed is enough. */
#define HOSTS_SEED 0x686f737473ull
#define NO_NODE	   UINT32_MAX

enum { AN_A = 0, AN_AAAA = 1, AN_PTR = 2, AN_COUNT = 3 };

/* One name of the final table: its answers, rendered once. */
struct hnode {
	uint32_t name_off; /* lower-case wire name in names */
	uint16_t name_len;
	struct nd_answer ans[AN_COUNT]; /* wire == NULL: no such records;
					   wire and ttl_off owned */
};

struct nd_hosts {
	struct hnode *nodes; /* n_nodes; owned */
	size_t n_nodes;
	uint32_t *slots; /* open addressing: node index, NO_NODE
			    = empty; mask + 1 of them; owned */
	size_t mask;
	uint8_t *names; /* every node's wire name; owned */
	size_t entries; /* distinct (name, address) pairs */
};

/* An address of a name while the file is read. */
struct baddr {
	uint32_t next; /* next address of the same name and family */
	uint8_t a[16]; /* 4 bytes used for IPv4 */
};

/* A name while the file is read. */
struct bnode {
	uint32_t name_off;
	uint16_t name_len;
	uint32_t head[2], tail[2]; /* addresses by family (0 = IPv4) */
	uint32_t count[2];
	uint32_t ptr; /* node the reverse name points to */
};

struct build {
	struct bnode *nodes;
	size_t n_nodes, cap_nodes;
	struct baddr *addrs;
	size_t n_addrs, cap_addrs;
	uint8_t *names;
	size_t names_len, names_cap;
	uint32_t *slots;
	size_t mask;
	struct nd_hosts_error *err;
	unsigned line;
};

static int fail(struct build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->err != NULL) {
		b->err->line = b->line;
		va_start(ap, fmt);
		vsnprintf(b->err->reason, sizeof(b->err->reason), fmt, ap);
		va_end(ap);
	}
	return ND_EPARSE;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	np = realloc(*p, n * size);
	if (np == NULL)
		return -ENOMEM;
	*p = np;
	*cap = n;
	return 0;
}

static uint64_t name_hash(const uint8_t *name, size_t len)
{
	return nd_hash(name, len, HOSTS_SEED);
}

/* Slot of name in slots: its node, or the empty slot where it goes. */
static size_t probe(const uint32_t *slots, size_t mask, const uint8_t *names,
		    const uint8_t *name, size_t len,
		    size_t (*off_of)(const void *, uint32_t, size_t *),
		    const void *arg)
{
	size_t i = (size_t)name_hash(name, len) & mask;

	for (;;) {
		size_t nlen, off;

		if (slots[i] == NO_NODE)
			return i;
		off = off_of(arg, slots[i], &nlen);
		if (nlen == len && memcmp(names + off, name, len) == 0)
			return i;
		i = (i + 1) & mask;
	}
}

static size_t bnode_off(const void *arg, uint32_t idx, size_t *len)
{
	const struct build *b = arg;

	*len = b->nodes[idx].name_len;
	return b->nodes[idx].name_off;
}

static size_t hnode_off(const void *arg, uint32_t idx, size_t *len)
{
	const struct nd_hosts *h = arg;

	*len = h->nodes[idx].name_len;
	return h->nodes[idx].name_off;
}

/* Keep the table at most half full. */
static int rehash(struct build *b)
{
	size_t n = (b->mask + 1) * 2, i;
	uint32_t *s;

	if (b->slots != NULL && (b->n_nodes + 1) * 2 <= b->mask + 1)
		return 0;
	if (b->slots == NULL)
		n = 256;
	s = malloc(n * sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		s[i] = NO_NODE;
	for (i = 0; i < b->n_nodes; i++) {
		const struct bnode *bn = &b->nodes[i];
		size_t at = probe(s, n - 1, b->names, b->names + bn->name_off,
				  bn->name_len, bnode_off, b);

		s[at] = (uint32_t)i;
	}
	free(b->slots);
	b->slots = s;
	b->mask = n - 1;
	return 0;
}

/* The node of the wire name, made when new. */
static int node_of(struct build *b, const uint8_t *name, size_t len,
		   uint32_t *idx)
{
	size_t at;
	struct bnode *bn;

	if (rehash(b) != 0)
		return -ENOMEM;
	at = probe(b->slots, b->mask, b->names, name, len, bnode_off, b);
	if (b->slots[at] != NO_NODE) {
		*idx = b->slots[at];
		return 0;
	}
	if (grow((void **)&b->nodes, &b->cap_nodes, b->n_nodes + 1,
		 sizeof(*b->nodes)) != 0 ||
	    grow((void **)&b->names, &b->names_cap, b->names_len + len, 1) != 0)
		return -ENOMEM;
	bn = &b->nodes[b->n_nodes];
	memset(bn, 0, sizeof(*bn));
	bn->name_off = (uint32_t)b->names_len;
	bn->name_len = (uint16_t)len;
	bn->head[0] = bn->head[1] = NO_NODE;
	bn->tail[0] = bn->tail[1] = NO_NODE;
	bn->ptr = NO_NODE;
	memcpy(b->names + b->names_len, name, len);
	b->names_len += len;
	b->slots[at] = (uint32_t)b->n_nodes;
	*idx = (uint32_t)b->n_nodes++;
	return 0;
}

/* in-addr.arpa (RFC 1035 3.5) or ip6.arpa (RFC 3596 2.5) name of a. */
static size_t reverse_name(int fam, const uint8_t *a, uint8_t *out)
{
	static const uint8_t v4[] = "\7in-addr\4arpa";
	static const uint8_t v6[] = "\3ip6\4arpa";
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (fam == AF_INET) {
		for (int i = 3; i >= 0; i--) {
			int l = snprintf((char *)out + n + 1, 4, "%u", a[i]);

			out[n] = (uint8_t)l;
			n += 1 + (size_t)l;
		}
		memcpy(out + n, v4, sizeof(v4)); /* with the root label */
		return n + sizeof(v4);
	}
	for (int i = 15; i >= 0; i--) {
		out[n++] = 1;
		out[n++] = (uint8_t)hex[a[i] & 0xf];
		out[n++] = 1;
		out[n++] = (uint8_t)hex[a[i] >> 4];
	}
	memcpy(out + n, v6, sizeof(v6));
	return n + sizeof(v6);
}

static int add_pair(struct build *b, uint32_t ni, int fam, const uint8_t *a,
		    const char *text, size_t text_len)
{
	int f = fam == AF_INET6;
	size_t alen = f ? 16 : 4;
	uint8_t rev[ND_DNS_MAX_NAME];
	uint32_t ri, e;

	for (e = b->nodes[ni].head[f]; e != NO_NODE; e = b->addrs[e].next)
		if (memcmp(b->addrs[e].a, a, alen) == 0)
			return 0;
	if (b->nodes[ni].count[f] >= ND_HOSTS_MAX_ADDRS_PER_NAME)
		return fail(b, "more than %u %s addresses for '%.*s'",
			    ND_HOSTS_MAX_ADDRS_PER_NAME, f ? "IPv6" : "IPv4",
			    (int)(text_len > 64 ? 64 : text_len), text);
	if (b->n_addrs >= ND_HOSTS_MAX_ENTRIES)
		return fail(b, "more than %u entries (name, address)",
			    ND_HOSTS_MAX_ENTRIES);
	if (grow((void **)&b->addrs, &b->cap_addrs, b->n_addrs + 1,
		 sizeof(*b->addrs)) != 0)
		return -ENOMEM;
	e = (uint32_t)b->n_addrs++;
	memset(&b->addrs[e], 0, sizeof(b->addrs[e]));
	memcpy(b->addrs[e].a, a, alen);
	b->addrs[e].next = NO_NODE;
	if (b->nodes[ni].tail[f] == NO_NODE)
		b->nodes[ni].head[f] = e;
	else
		b->addrs[b->nodes[ni].tail[f]].next = e;
	b->nodes[ni].tail[f] = e;
	b->nodes[ni].count[f]++;

	/* The first name given for an address is the one PTR answers. */
	if (node_of(b, rev, reverse_name(fam, a, rev), &ri) != 0)
		return -ENOMEM;
	if (b->nodes[ri].ptr == NO_NODE)
		b->nodes[ri].ptr = ni;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next token of s[*i..len), or 0 at the end or a comment. */
static size_t token(const char *s, size_t len, size_t *i, const char **tok)
{
	size_t start;

	while (*i < len && is_space(s[*i]))
		(*i)++;
	if (*i >= len || s[*i] == '#')
		return 0;
	start = *i;
	while (*i < len && !is_space(s[*i]) && s[*i] != '#')
		(*i)++;
	*tok = s + start;
	return *i - start;
}

static int parse_addr(struct build *b, const char *t, size_t len, uint8_t *a,
		      int *fam)
{
	char buf[64];
	const char *pct;

	if (len >= sizeof(buf))
		return fail(b, "bad address '%.*s...'", 40, t);
	memcpy(buf, t, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a) == 1) {
		*fam = AF_INET;
		return 0;
	}
	/* "fe80::1%eth0": the zone means nothing to DNS (CoreDNS drops it
	 * too). */
	pct = strchr(buf, '%');
	if (pct != NULL)
		buf[pct - buf] = '\0';
	if (strchr(buf, ':') != NULL && inet_pton(AF_INET6, buf, a) == 1) {
		*fam = AF_INET6;
		return 0;
	}
	return fail(b, "bad address '%.*s'", (int)len, t);
}

static int parse_line(struct build *b, const char *s, size_t len)
{
	const char *tok = NULL;
	size_t i = 0, tl, names = 0;
	uint8_t a[16];
	int fam = 0, rc;

	if (memchr(s, '\0', len) != NULL)
		return fail(b, "a NUL byte");
	tl = token(s, len, &i, &tok);
	if (tl == 0)
		return 0;
	rc = parse_addr(b, tok, tl, a, &fam);
	if (rc != 0)
		return rc;
	while ((tl = token(s, len, &i, &tok)) > 0) {
		char text[ND_DNS_MAX_NAME + 1];
		uint8_t wire[ND_DNS_MAX_NAME];
		enum nd_name_problem pr;
		uint32_t ni;
		int wl;

		if (++names > ND_HOSTS_MAX_NAMES_PER_LINE)
			return fail(b, "more than %u names on a line",
				    ND_HOSTS_MAX_NAMES_PER_LINE);
		pr = nd_dns_name_check(
		    tok, tl, ND_NAME_TRAILING_DOT | ND_NAME_UNDERSCORE);
		if (pr != ND_NAME_OK || tl >= sizeof(text))
			return fail(
			    b, "bad name '%.*s': %s", (int)(tl > 64 ? 64 : tl),
			    tok,
			    nd_name_problem_text(
				pr != ND_NAME_OK ? pr : ND_NAME_TOO_LONG));
		memcpy(text, tok, tl);
		text[tl] = '\0';
		wl = nd_dns_name_from_text(text, wire, sizeof(wire));
		if (wl <= 0)
			return fail(b, "bad name '%.*s'", (int)tl, tok);
		nd_dns_name_lower(wire, (size_t)wl);
		if (node_of(b, wire, (size_t)wl, &ni) != 0)
			return -ENOMEM;
		rc = add_pair(b, ni, fam, a, tok, tl);
		if (rc != 0)
			return rc;
	}
	if (names == 0)
		return fail(b, "address without a name");
	return 0;
}

/* The message in w as a stored answer (copied out of the writer). */
static int keep(struct nd_kube_rw *w, size_t qname_len, uint32_t ttl_s,
		struct nd_answer *a)
{
	uint8_t *wire;
	uint16_t *ttl;

	if (nd_kube_rw_finish(w) != 0)
		return -EINVAL;
	wire = malloc(w->len);
	ttl = malloc((w->n_ttl ? w->n_ttl : 1) * sizeof(*ttl));
	if (wire == NULL || ttl == NULL) {
		free(wire);
		free(ttl);
		return -ENOMEM;
	}
	memcpy(wire, w->buf, w->len);
	memcpy(ttl, w->ttl_off, w->n_ttl * sizeof(*ttl));
	*a = (struct nd_answer){
	    .wire = wire,
	    .len = (uint16_t)w->len,
	    .question_end = (uint16_t)(ND_DNS_HEADER_LEN + qname_len + 4),
	    .ttl_off = ttl,
	    .n_ttl = (uint16_t)w->n_ttl,
	    .rcode = ND_RCODE_NOERROR,
	    .ttl_s = ttl_s,
	};
	return 0;
}

/* Render the answers of node i of b into h->nodes[i]. */
static int render(const struct build *b, struct nd_hosts *h, size_t i,
		  struct nd_kube_rw *w, uint32_t ttl_s)
{
	static const uint16_t types[2] = {ND_TYPE_A, ND_TYPE_AAAA};
	const struct bnode *bn = &b->nodes[i];
	const uint8_t *name = b->names + bn->name_off;
	int rc;

	for (int f = 0; f < 2; f++) {
		if (bn->head[f] == NO_NODE)
			continue;
		rc = nd_kube_rw_begin(w, name, bn->name_len, types[f],
				      ND_FLAG_QR | ND_FLAG_AA);
		for (uint32_t e = bn->head[f]; rc == 0 && e != NO_NODE;
		     e = b->addrs[e].next)
			rc = nd_kube_rw_add(w, ND_KUBE_SEC_ANSWER, name,
					    bn->name_len, types[f], ttl_s,
					    b->addrs[e].a, f ? 16 : 4);
		if (rc == 0)
			rc = keep(w, bn->name_len, ttl_s, &h->nodes[i].ans[f]);
		if (rc != 0)
			return rc;
	}
	if (bn->ptr != NO_NODE) {
		const struct bnode *t = &b->nodes[bn->ptr];

		rc = nd_kube_rw_begin(w, name, bn->name_len, ND_TYPE_PTR,
				      ND_FLAG_QR | ND_FLAG_AA);
		if (rc == 0)
			rc =
			    nd_kube_rw_add(w, ND_KUBE_SEC_ANSWER, name,
					   bn->name_len, ND_TYPE_PTR, ttl_s,
					   b->names + t->name_off, t->name_len);
		if (rc == 0)
			rc = keep(w, bn->name_len, ttl_s,
				  &h->nodes[i].ans[AN_PTR]);
		if (rc != 0)
			return rc;
	}
	return 0;
}

void nd_hosts_free(struct nd_hosts *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; h->nodes != NULL && i < h->n_nodes; i++)
		for (int k = 0; k < AN_COUNT; k++) {
			free((void *)h->nodes[i].ans[k].wire);
			free((void *)h->nodes[i].ans[k].ttl_off);
		}
	free(h->nodes);
	free(h->slots);
	free(h->names);
	free(h);
}

/* The table from a file read without fault: names and slots move over. */
static struct nd_hosts *finish(struct build *b, uint32_t ttl_s, int *rc)
{
	struct nd_hosts *h = calloc(1, sizeof(*h));
	struct nd_kube_rw w;

	*rc = -ENOMEM;
	if (h == NULL)
		return NULL;
	h->nodes = calloc(b->n_nodes ? b->n_nodes : 1, sizeof(*h->nodes));
	if (h->nodes == NULL) {
		nd_hosts_free(h);
		return NULL;
	}
	h->n_nodes = b->n_nodes;
	h->entries = b->n_addrs;
	nd_kube_rw_init(&w);
	for (size_t i = 0; i < b->n_nodes; i++) {
		h->nodes[i].name_off = b->nodes[i].name_off;
		h->nodes[i].name_len = b->nodes[i].name_len;
		*rc = render(b, h, i, &w, ttl_s);
		if (*rc != 0)
			break;
	}
	nd_kube_rw_deinit(&w);
	if (b->n_nodes > 0 && *rc != 0) {
		nd_hosts_free(h);
		return NULL;
	}
	*rc = 0;
	if (b->slots == NULL && rehash(b) != 0) {
		nd_hosts_free(h);
		*rc = -ENOMEM;
		return NULL;
	}
	h->slots = b->slots;
	h->mask = b->mask;
	h->names = b->names;
	b->slots = NULL;
	b->names = NULL;
	return h;
}

int nd_hosts_parse(const char *text, size_t len, uint32_t ttl_s,
		   struct nd_hosts **out, struct nd_hosts_error *err)
{
	struct build b = {.err = err};
	const char *p = text, *end;
	int rc = 0;

	if (out == NULL || (text == NULL && len > 0))
		return -EINVAL;
	*out = NULL;
	if (err != NULL) {
		err->line = 0;
		err->reason[0] = '\0';
	}
	if (len > ND_HOSTS_MAX_FILE_BYTES)
		return fail(&b, "larger than %u bytes",
			    ND_HOSTS_MAX_FILE_BYTES);
	end = len > 0 ? text + len : text;
	while (rc == 0 && p != NULL && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;

		if (++b.line > ND_HOSTS_MAX_LINES) {
			rc = fail(&b, "more than %u lines", ND_HOSTS_MAX_LINES);
			break;
		}
		rc = parse_line(&b, p, (size_t)(le - p));
		p = nl != NULL ? nl + 1 : end;
	}
	if (rc == 0)
		*out = finish(&b, ttl_s, &rc);
	free(b.nodes);
	free(b.addrs);
	free(b.names);
	free(b.slots);
	return rc;
}

size_t nd_hosts_entries(const struct nd_hosts *h)
{
	return h != NULL ? h->entries : 0;
}

size_t nd_hosts_names(const struct nd_hosts *h)
{
	return h != NULL ? h->n_nodes : 0;
}

int nd_hosts_answer(const struct nd_hosts *h, const struct nd_query *q,
		    size_t limit, uint8_t *out, size_t cap, size_t *out_len)
{
	const struct nd_answer *a = NULL;
	struct nd_answer nodata;
	uint8_t b[ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4];
	uint16_t no_ttl = 0;
	size_t at;
	int n;

	if (h == NULL || q == NULL || out == NULL || out_len == NULL ||
	    !q->has_question || q->qname_len == 0 ||
	    q->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;
	*out_len = 0;
	if (q->qclass != ND_CLASS_IN || h->n_nodes == 0)
		return ND_HOSTS_NOT_OURS;
	at = probe(h->slots, h->mask, h->names, q->qname_lc, q->qname_len,
		   hnode_off, h);
	if (h->slots[at] == NO_NODE)
		return ND_HOSTS_NOT_OURS;

	const struct hnode *node = &h->nodes[h->slots[at]];

	if (q->qtype == ND_TYPE_A)
		a = &node->ans[AN_A];
	else if (q->qtype == ND_TYPE_AAAA)
		a = &node->ans[AN_AAAA];
	else if (q->qtype == ND_TYPE_PTR)
		a = &node->ans[AN_PTR];
	if (a == NULL || a->wire == NULL) {
		/* The name exists without this type: NODATA, no SOA (there
		 * is no zone), as CoreDNS's hosts plugin answers. */
		size_t qend = ND_DNS_HEADER_LEN + q->qname_len;

		memset(b, 0, ND_DNS_HEADER_LEN);
		nd_put16(b + 2, ND_FLAG_QR);
		nd_put16(b + 4, 1);
		memcpy(b + ND_DNS_HEADER_LEN, q->qname_lc, q->qname_len);
		nd_put16(b + qend, q->qtype);
		nd_put16(b + qend + 2, q->qclass);
		nodata = (struct nd_answer){
		    .wire = b,
		    .len = (uint16_t)(qend + 4),
		    .question_end = (uint16_t)(qend + 4),
		    .ttl_off = &no_ttl,
		    .n_ttl = 0,
		    .rcode = ND_RCODE_NOERROR,
		    .is_negative = true,
		};
		a = &nodata;
	}
	n = nd_answer_render(a, q, 0, UINT32_MAX, false, limit, out, cap);
	if (n < 0)
		return n;
	/* We are the authority for the names of the file (RFC 1035 4.1.1);
	 * the render serves the cache too and clears AA. */
	nd_put16(out + 2, (uint16_t)(nd_get16(out + 2) | ND_FLAG_AA));
	*out_len = (size_t)n;
	return ND_HOSTS_ANSWERED;
}
