/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dns/wire.h"
#include "kube/node_records.h"
#include "kube/store_internal.h"
#include "util/hash.h"
#include "util/log.h"

/*
 * One contributor's records at one name. Where the records are:
 *   - nowhere (rrs_len 0): the contributor only makes the name exist;
 *   - in the published node (is_rrs_in_node, rrs NULL): the contributor
 *     is the name's only one with records, and reading the node back
 *     (node_records.h) gave exactly them. Nearly every name is so, and
 *     keeping no second copy is a third of the writer's index;
 *   - in rrs: owned (is_rrs_owned) when the name has several
 *     contributors with records or its answers were cut, or borrowed
 *     from the nameset entry while nd_kube_table_apply() runs, settled
 *     into one of the others before it returns.
 */
struct nd_kube_contrib {
	struct nd_kube_wname *wn;	     /* the name; NULL: a free first */
	struct nd_kube_contrib *prev, *next; /* in wn's list */
	uint8_t *rrs;	   /* serialized, sorted; see above */
	uint32_t rrs_len;  /* bytes of the records, wherever they are */
	int32_t svc_ready; /* the nameset entry's; -1 = no Service */
	bool is_svc_headless; /* the nameset entry's */
	bool is_absent;	      /* the nameset entry's: NXDOMAIN unless
				 another contributor makes the name exist */
	bool is_rrs_owned;    /* rrs is malloc'ed by us */
	bool is_rrs_in_node;  /* the records are wn->pub's */
};

/*
 * A name on the writer side: who contributes to it and the node readers
 * see. Several contributors meet at one name when an address is in
 * several Services (PTR), and at <ns>.svc.<zone>, which every Service of
 * the namespace and the Namespace itself make exist. Nearly every name
 * has one contributor, though, and there is one of these per name in the
 * zone: that one's contribution lives in here (first) rather than in an
 * allocation of its own.
 */
struct nd_kube_wname {
	struct nd_kmap_node kn;	      /* in s->wnames; key = name */
	struct nd_kube_contrib *head; /* contributions, doubly linked */
	struct nd_kube_rnode *pub; /* published node; NULL before the first */
	struct nd_kube_wname *dirty_next; /* in the apply's to-render list */
	struct nd_kube_contrib first;	  /* used by a contributor when
					     first.wn is set */
	uint32_t n_contribs;		  /* entries in the list */
	uint32_t n_rr_contribs;		  /* those with records */
	bool is_dirty;			  /* on that list */
	bool is_cut;	  /* records left out at the last render */
	uint8_t soa_kind; /* enum nd_kube_soa_kind */
	uint8_t name_len; /* bytes of name */
	uint8_t name[];	  /* lower-case wire */
};

/* Memory of a name for the stats. */
static size_t wname_bytes(const struct nd_kube_wname *wn)
{
	return sizeof(*wn) + wn->name_len;
}

static void drop_rrs(struct nd_kube_store *s, struct nd_kube_contrib *c)
{
	if (c->is_rrs_owned) {
		ND_KUBE_STAT_SUB(s, index_bytes, c->rrs_len);
		free(c->rrs);
	}
	c->rrs = NULL;
	c->rrs_len = 0;
	c->is_rrs_owned = false;
	c->is_rrs_in_node = false;
}

/* Give c the records of e, borrowed until settle() (same apply). */
static void set_rrs(struct nd_kube_store *s, struct nd_kube_contrib *c,
		    struct nd_kube_nameset_entry *e)
{
	drop_rrs(s, c);
	if (e->rrs == NULL || e->rrs_len == 0)
		return;
	c->rrs = e->rrs;
	c->rrs_len = (uint32_t)e->rrs_len;
}

/* c's records read back from its name's node (c->is_rrs_in_node); *out
 * is malloc'ed. Returns 0, or <0 when the node does not give them. */
static int rrs_from_node(const struct nd_kube_contrib *c, uint8_t **out)
{
	size_t len;
	int r = nd_kube_rnode_records(c->wn->pub, out, &len);

	if (r == 0 && len != c->rrs_len) {
		free(*out);
		*out = NULL;
		r = -EINVAL;
	}
	return r;
}

/* Make c own its records: borrowed ones are copied, those in the node
 * read back. Returns 0 or <0 (c keeps what it had). */
static int own_rrs(struct nd_kube_store *s, struct nd_kube_contrib *c)
{
	uint8_t *p = NULL;

	if (c->rrs_len == 0 || c->is_rrs_owned)
		return 0;
	if (c->is_rrs_in_node) {
		int r = rrs_from_node(c, &p);

		if (r < 0)
			return r;
	} else {
		p = malloc(c->rrs_len);
		if (p == NULL)
			return -ENOMEM;
		memcpy(p, c->rrs, c->rrs_len);
	}
	c->rrs = p;
	c->is_rrs_owned = true;
	c->is_rrs_in_node = false;
	ND_KUBE_STAT_ADD(s, index_bytes, c->rrs_len);
	return 0;
}

/* Free c (its records too), or give the first slot back to its name. */
static void contrib_free(struct nd_kube_store *s, struct nd_kube_contrib *c)
{
	drop_rrs(s, c);
	if (c == &c->wn->first) {
		c->wn = NULL;
		return;
	}
	ND_KUBE_STAT_SUB(s, index_bytes, sizeof(*c));
	free(c);
}

static void mark(struct nd_kube_wname **dirty, struct nd_kube_wname *wn)
{
	if (wn->is_dirty)
		return;
	wn->is_dirty = true;
	wn->dirty_next = *dirty;
	*dirty = wn;
}

static bool has_suffix(const uint8_t *n, size_t len, const uint8_t *suf,
		       size_t suf_len)
{
	return len >= suf_len && memcmp(n + len - suf_len, suf, suf_len) == 0;
}

static uint8_t soa_kind_of(const struct nd_kube_store *s, const uint8_t *n,
			   size_t len)
{
	static const uint8_t v4[] = ND_KUBE_V4_TREE;
	static const uint8_t v6[] = ND_KUBE_V6_TREE;

	if (has_suffix(n, len, s->zone.apex, s->zone.apex_len))
		return ND_KUBE_SOA_ZONE;
	if (has_suffix(n, len, v4, sizeof(v4)))
		return ND_KUBE_SOA_V4;
	if (has_suffix(n, len, v6, sizeof(v6)))
		return ND_KUBE_SOA_V6;
	return ND_KUBE_SOA_ZONE;
}

/*
 * A name every contributor files as absent, with no records, answers
 * NXDOMAIN; any other contributor (or a record) makes it exist.
 */
static bool is_absent(const struct nd_kube_wname *wn)
{
	if (wn->n_rr_contribs > 0 || wn->head == NULL)
		return false;
	for (const struct nd_kube_contrib *c = wn->head; c; c = c->next)
		if (!c->is_absent)
			return false;
	return true;
}

static void withdraw(struct nd_kube_store *s, struct nd_kube_contrib *c,
		     struct nd_kube_wname **dirty)
{
	struct nd_kube_wname *wn = c->wn;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		wn->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	wn->n_contribs--;
	if (c->svc_ready >= 0)
		mark(dirty, wn); /* the node's Service goes with it */
	/* An empty contribution leaving a name that others still make
	 * exist changes nothing readers see: no render, which keeps a
	 * Service's removal from costing the size of its namespace. */
	if (c->rrs_len > 0) {
		wn->n_rr_contribs--;
		mark(dirty, wn);
	}
	/* The one that made an absent name exist leaves: NXDOMAIN again.
	 * The loop stops at the first contributor not absent, so a name
	 * many Services make exist costs nothing here. */
	if (wn->n_contribs == 0 || is_absent(wn))
		mark(dirty, wn);
	contrib_free(s, c);
}

static struct nd_kube_contrib *contribute(struct nd_kube_store *s,
					  struct nd_kube_nameset_entry *e,
					  struct nd_kube_wname **dirty)
{
	struct nd_kmap_node *kn = nd_kmap_get(&s->wnames, e->name, e->name_len);
	struct nd_kube_wname *wn;

	if (kn != NULL) {
		wn = caa_container_of(kn, struct nd_kube_wname, kn);
	} else {
		wn = calloc(1, sizeof(*wn) + e->name_len);
		if (wn == NULL)
			return NULL;
		memcpy(wn->name, e->name, e->name_len);
		wn->name_len = e->name_len;
		ND_KUBE_STAT_ADD(s, index_bytes, wname_bytes(wn));
		wn->soa_kind = soa_kind_of(s, wn->name, wn->name_len);
		wn->kn.key = wn->name;
		wn->kn.key_len = wn->name_len;
		nd_kmap_put(&s->wnames, &wn->kn);
		/* A new name is published even when it has no records: it
		 * turns NXDOMAIN into NODATA. */
		mark(dirty, wn);
	}

	struct nd_kube_contrib *c = &wn->first;

	if (c->wn != NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			if (wn->n_contribs == 0)
				mark(dirty, wn); /* so that flush drops it */
			return NULL;
		}
		ND_KUBE_STAT_ADD(s, index_bytes, sizeof(*c));
	} else {
		memset(c, 0, sizeof(*c));
	}
	c->wn = wn;
	c->next = wn->head;
	if (wn->head != NULL)
		wn->head->prev = c;
	wn->head = c;
	wn->n_contribs++;
	set_rrs(s, c, e);
	c->svc_ready = e->svc_ready;
	c->is_svc_headless = e->is_svc_headless;
	c->is_absent = e->is_absent;
	if (c->rrs_len > 0 || c->svc_ready >= 0) {
		if (c->rrs_len > 0)
			wn->n_rr_contribs++;
		mark(dirty, wn);
	}
	return c;
}

/* Are c's records (c->rrs_len bytes, wherever they are) these? */
static bool same_rrs(const struct nd_kube_contrib *c, const uint8_t *rrs)
{
	uint8_t *p;
	bool is_same;

	if (c->rrs_len == 0)
		return true;
	if (!c->is_rrs_in_node)
		return memcmp(c->rrs, rrs, c->rrs_len) == 0;
	if (rrs_from_node(c, &p) < 0)
		return false; /* render again: never keep a wrong answer */
	is_same = memcmp(p, rrs, c->rrs_len) == 0;
	free(p);
	return is_same;
}

static void update(struct nd_kube_store *s, struct nd_kube_contrib *c,
		   struct nd_kube_nameset_entry *e,
		   struct nd_kube_wname **dirty)
{
	/* The ready count is part of what the node carries: a ClusterIP
	 * Service's records stay the same while its endpoints come and go,
	 * and its node must still be published again for readers to see
	 * the new count. */
	if (c->svc_ready != e->svc_ready ||
	    c->is_svc_headless != e->is_svc_headless ||
	    c->is_absent != e->is_absent) {
		c->svc_ready = e->svc_ready;
		c->is_svc_headless = e->is_svc_headless;
		c->is_absent = e->is_absent;
		mark(dirty, c->wn);
	}
	if (c->rrs_len == e->rrs_len && same_rrs(c, e->rrs))
		return;
	if (c->rrs_len > 0)
		c->wn->n_rr_contribs--;
	set_rrs(s, c, e);
	if (c->rrs_len > 0)
		c->wn->n_rr_contribs++;
	mark(dirty, c->wn);
}

/*
 * Keep the name table between 1/8 and 2 names a bucket. cds_lfht can
 * resize itself, but lazily, from urcu's call_rcu thread: while a sync
 * adds 100,000 names that thread waits for the CPU the writer holds, and
 * every add walks longer chains. The writer resizes it (and alone: two
 * resizers would undo each other), outside the read lock, as
 * cds_lfht_resize() requires; the gap between the bounds keeps a count
 * that goes up and down by one from resizing at every change.
 */
static void names_resize(struct nd_kube_store *s)
{
	uint64_t n = __atomic_load_n(&s->stats.names, __ATOMIC_RELAXED);
	size_t b = s->names_buckets;

	while (n > 2 * (uint64_t)b)
		b *= 2;
	while (b > ND_KUBE_NAMES_MIN_BUCKETS && n < b / 8)
		b /= 2;
	if (b == s->names_buckets)
		return;
	cds_lfht_resize(s->names, b);
	s->names_buckets = b;
}

/* The bucket arrays, for the stats; a bucket of the name table is a
 * cds_lfht_node. */
static void count_tables(struct nd_kube_store *s)
{
	uint64_t n = s->wnames.n_buckets + s->groups.n_buckets +
		     s->slices.n_buckets + s->namespaces.n_buckets +
		     s->pod_refs.n_buckets;

	n = n * sizeof(struct nd_kmap_node *) +
	    s->names_buckets * sizeof(struct cds_lfht_node);
	__atomic_store_n(&s->table_bytes, n, __ATOMIC_RELAXED);
}

/*
 * Nodes replaced or removed by one apply, freed together once no reader
 * can hold them: one call_rcu per change instead of one per name, and no
 * rcu_head in every node (16 bytes a name).
 */
struct retired_batch {
	struct rcu_head rcu;
	size_t n;
	struct nd_kube_rnode *v[];
};

static void retired_batch_free(struct rcu_head *head)
{
	struct retired_batch *b =
		caa_container_of(head, struct retired_batch, rcu);

	for (size_t i = 0; i < b->n; i++)
		nd_kube_rnode_free(b->v[i]);
	free(b);
}

/* Readers that found node before it was replaced may still be copying
 * from it: keep it until retire_flush(). */
static void retire(struct nd_kube_store *s, struct nd_kube_rnode *node)
{
	if (s->n_retired == s->retired_cap) {
		size_t cap = s->retired_cap ? s->retired_cap * 2 : 64;
		struct nd_kube_rnode **v =
			realloc(s->retired, cap * sizeof(*v));

		if (v == NULL) {
			/* No room to defer it: wait out the readers now. */
			urcu_memb_synchronize_rcu();
			nd_kube_rnode_free(node);
			return;
		}
		s->retired = v;
		s->retired_cap = cap;
	}
	s->retired[s->n_retired++] = node;
}

static void retire_flush(struct nd_kube_store *s)
{
	struct retired_batch *b;

	if (s->n_retired == 0)
		return;
	b = malloc(sizeof(*b) + s->n_retired * sizeof(b->v[0]));
	if (b == NULL) {
		urcu_memb_synchronize_rcu();
		for (size_t i = 0; i < s->n_retired; i++)
			nd_kube_rnode_free(s->retired[i]);
	} else {
		b->n = s->n_retired;
		memcpy(b->v, s->retired, b->n * sizeof(b->v[0]));
		urcu_memb_call_rcu(&b->rcu, retired_batch_free);
	}
	s->n_retired = 0;
	/* A full list retires tens of thousands; keep no big array after. */
	if (s->retired_cap > 4096) {
		free(s->retired);
		s->retired = NULL;
		s->retired_cap = 0;
	}
}

static void unpublish(struct nd_kube_store *s, struct nd_kube_wname *wn)
{
	struct nd_kube_rnode *old = wn->pub;

	if (old == NULL)
		return;
	urcu_memb_read_lock();
	cds_lfht_del(s->names, &old->lfht);
	urcu_memb_read_unlock();
	wn->pub = NULL;
	ND_KUBE_STAT_SUB(s, names, 1);
	ND_KUBE_STAT_SUB(s, answer_bytes, old->bytes);
	names_resize(s);
	retire(s, old);
}

static void publish(struct nd_kube_store *s, struct nd_kube_wname *wn,
		    struct nd_kube_rnode *node)
{
	struct nd_kube_name_key key = {wn->name, wn->name_len};
	uint64_t hash = nd_hash(wn->name, wn->name_len, s->seed);
	struct cds_lfht_node *old_ln;

	/* add_replace swaps the node in one step: a reader finds the old
	 * node or the new one, never neither. */
	urcu_memb_read_lock();
	old_ln = cds_lfht_add_replace(s->names, (unsigned long)hash,
				      nd_kube_rnode_match, &key, &node->lfht);
	urcu_memb_read_unlock();
	ND_KUBE_STAT_ADD(s, answer_bytes, node->bytes);
	if (old_ln != NULL) {
		struct nd_kube_rnode *old =
			caa_container_of(old_ln, struct nd_kube_rnode, lfht);

		ND_KUBE_STAT_SUB(s, answer_bytes, old->bytes);
		retire(s, old);
	} else {
		ND_KUBE_STAT_ADD(s, names, 1);
		names_resize(s);
	}
	wn->pub = node;
}

static int rrv_cmp(const void *a, const void *b)
{
	return nd_kube_rr_cmp(a, b);
}

/*
 * Collect the union of wn's records, sorted and unique, pointing into the
 * contributors' records or, for the one whose records are the node's,
 * into *node_rrs (malloc'ed here; the caller frees it after the render).
 */
static int gather(const struct nd_kube_wname *wn, struct nd_kube_rrv **out,
		  size_t *out_n, uint8_t **node_rrs)
{
	struct nd_kube_rrv v, *all;
	size_t n = 0;
	int off;

	*out = NULL;
	*out_n = 0;
	*node_rrs = NULL;
	if (wn->n_rr_contribs == 0)
		return 0;
	for (const struct nd_kube_contrib *c = wn->head; c; c = c->next) {
		const uint8_t *rrs = c->rrs;

		if (c->is_rrs_in_node) {
			/* Only a name's one contributor with records is
			 * kept in the node (settle), so one at most. */
			if (*node_rrs != NULL)
				return -EINVAL;
			off = rrs_from_node(c, node_rrs);
			if (off < 0)
				return off;
			rrs = *node_rrs;
		}
		for (size_t o = 0; o < c->rrs_len; o = (size_t)off, n++)
			if ((off = nd_kube_rr_parse(rrs, c->rrs_len, o, &v)) <
			    0)
				return -EINVAL;
	}
	all = malloc(n * sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	n = 0;
	for (const struct nd_kube_contrib *c = wn->head; c; c = c->next) {
		const uint8_t *rrs = c->is_rrs_in_node ? *node_rrs : c->rrs;

		for (size_t o = 0; o < c->rrs_len; o = (size_t)off)
			if ((off = nd_kube_rr_parse(rrs, c->rrs_len, o,
						    &all[n])) >= 0)
				n++;
	}
	/* One contribution is sorted and unique already (nameset). */
	if (wn->n_rr_contribs > 1) {
		size_t k = 0;

		qsort(all, n, sizeof(*all), rrv_cmp);
		for (size_t i = 0; i < n; i++)
			if (k == 0 || nd_kube_rr_cmp(&all[k - 1], &all[i]) != 0)
				all[k++] = all[i];
		n = k;
	}
	*out = all;
	*out_n = n;
	return 0;
}

/*
 * The Service a name belongs to, as readers will see it on the node (not
 * yet published, so still ours to write). A name two Services give (the
 * reverse name of an address both select) belongs to neither; nameset
 * never tags those, and this rule keeps it so whatever tags them later.
 */
static void svc_info(const struct nd_kube_wname *wn, struct nd_kube_rnode *node)
{
	const struct nd_kube_contrib *tagged = NULL;

	for (const struct nd_kube_contrib *c = wn->head; c; c = c->next) {
		if (c->svc_ready < 0)
			continue;
		if (tagged != NULL)
			return;
		tagged = c;
	}
	if (tagged != NULL) {
		node->svc_ready = tagged->svc_ready;
		node->is_svc_headless = tagged->is_svc_headless;
	}
}

/* Does node read back as exactly these records? */
static bool node_gives(const struct nd_kube_rnode *node, const uint8_t *rrs,
		       size_t len)
{
	uint8_t *p;
	size_t n;
	bool is_same;

	if (nd_kube_rnode_records(node, &p, &n) < 0)
		return false;
	is_same = n == len && memcmp(p, rrs, len) == 0;
	free(p);
	return is_same;
}

/*
 * After a render (or a failed one) of wn, leave every contributor's
 * records where they can stay: borrowed ones must go before the apply
 * returns; the only contributor with records gives its copy up when the
 * node reads back exactly as them (checked here, once per change).
 */
static int settle(struct nd_kube_store *s, struct nd_kube_wname *wn)
{
	int err = 0;

	for (struct nd_kube_contrib *c = wn->head; c; c = c->next) {
		if (c->rrs_len == 0 || c->is_rrs_in_node)
			continue;
		if (wn->n_rr_contribs == 1 && !wn->is_cut && wn->pub != NULL &&
		    node_gives(wn->pub, c->rrs, c->rrs_len)) {
			uint32_t len = c->rrs_len;

			drop_rrs(s, c);
			c->rrs_len = len;
			c->is_rrs_in_node = true;
			continue;
		}
		if (own_rrs(s, c) < 0) {
			/* Out of memory: keep no pointer into the nameset,
			 * which goes when the apply returns. The node serves
			 * what it has; the next change renders it again. */
			wn->n_rr_contribs--;
			c->rrs = NULL;
			c->rrs_len = 0;
			err = -ENOMEM;
		}
	}
	return err;
}

static int render(struct nd_kube_store *s, struct nd_kube_wname *wn)
{
	struct nd_kube_rrv *rrs;
	uint8_t *node_rrs;
	size_t n, dropped = 0;
	int r;

	/* A name about to merge several contributors' records: the one in
	 * the node must be read back before that node is replaced. */
	if (wn->n_rr_contribs > 1)
		for (struct nd_kube_contrib *c = wn->head; c; c = c->next)
			if (c->is_rrs_in_node && (r = own_rrs(s, c)) < 0)
				return r;
	r = gather(wn, &rrs, &n, &node_rrs);
	if (r < 0) {
		free(node_rrs);
		return r;
	}

	struct nd_kube_rnode *node =
		nd_kube_rnode_build(&s->scratch, wn->name, wn->name_len,
				    wn->soa_kind, rrs, n, s->zone.ttl_s,
				    &dropped);

	free(rrs);
	free(node_rrs);
	if (node == NULL)
		return -ENOMEM;
	svc_info(wn, node);
	node->is_nxdomain = is_absent(wn);
	/* Counted here and said once per Service by its render (store.c):
	 * a Service with many SRV names would otherwise log a line for
	 * each of them at every change. */
	if ((dropped > 0) != wn->is_cut) {
		char text[ND_DNS_MAX_NAME * 4];

		if (nd_dns_name_to_text(wn->name, wn->name_len, text,
					sizeof(text)) < 0)
			strcpy(text, "?");
		nd_debug("kube", "%s: %zu records left out of answers over "
			 "64 KiB", text, dropped);
		if (dropped > 0) {
			ND_KUBE_STAT_ADD(s, names_cut, 1);
			s->apply_new_cut++;
		} else {
			ND_KUBE_STAT_SUB(s, names_cut, 1);
		}
		wn->is_cut = dropped > 0;
	}
	publish(s, wn, node);
	return 0;
}

/* Render or remove every marked name. */
static int flush(struct nd_kube_store *s, struct nd_kube_wname *dirty, int *err)
{
	int done = 0;

	while (dirty != NULL) {
		struct nd_kube_wname *wn = dirty;

		dirty = wn->dirty_next;
		wn->is_dirty = false;
		wn->dirty_next = NULL;
		if (wn->n_contribs == 0) {
			if (wn->is_cut)
				ND_KUBE_STAT_SUB(s, names_cut, 1);
			unpublish(s, wn);
			nd_kmap_del(&s->wnames, &wn->kn);
			ND_KUBE_STAT_SUB(s, index_bytes, wname_bytes(wn));
			free(wn);
			done++;
			continue;
		}

		int r = render(s, wn);
		int r2 = settle(s, wn);

		if (r == 0)
			r = r2;
		if (r < 0) {
			/* The old node keeps serving: stale is better than
			 * missing for a node's DNS. */
			if (*err == 0)
				*err = r;
			continue;
		}
		done++;
	}
	return done;
}

int nd_kube_table_apply(struct nd_kube_store *s, struct nd_kube_cset *cs,
			struct nd_kube_nameset *ns)
{
	if (s == NULL || cs == NULL || ns == NULL)
		return -EINVAL;

	size_t n_new = ns->n_ent, i = 0, j = 0, k = 0;
	struct nd_kube_contrib **v = NULL;
	struct nd_kube_wname *dirty = NULL;
	int err = 0;

	if (n_new > 0) {
		v = malloc(n_new * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
	}
	/* Both lists are sorted by name: one merge walk pairs old and new
	 * contributions, so the diff costs their length only. */
	while (i < cs->n || j < n_new) {
		int c;

		if (i == cs->n)
			c = 1;
		else if (j == n_new)
			c = -1;
		else
			c = nd_kube_name_cmp(
				cs->v[i]->wn->name, cs->v[i]->wn->name_len,
				ns->ent[j].name, ns->ent[j].name_len);
		if (c < 0) {
			withdraw(s, cs->v[i++], &dirty);
		} else if (c > 0) {
			struct nd_kube_contrib *nc =
				contribute(s, &ns->ent[j++], &dirty);

			if (nc != NULL)
				v[k++] = nc;
			else if (err == 0)
				err = -ENOMEM;
		} else {
			update(s, cs->v[i], &ns->ent[j++], &dirty);
			v[k++] = cs->v[i++];
		}
	}
	ND_KUBE_STAT_SUB(s, index_bytes, cs->n * sizeof(*cs->v));
	ND_KUBE_STAT_ADD(s, index_bytes, k * sizeof(*cs->v));
	free(cs->v);
	cs->v = v;
	cs->n = k;

	int done = flush(s, dirty, &err);

	retire_flush(s);
	count_tables(s);
	return err != 0 ? err : done;
}

int nd_kube_table_clear(struct nd_kube_store *s, struct nd_kube_cset *cs)
{
	struct nd_kube_nameset empty;

	nd_kube_nameset_init(&empty);
	return nd_kube_table_apply(s, cs, &empty);
}

void nd_kube_table_forget(struct nd_kube_cset *cs)
{
	if (cs == NULL)
		return;
	/* No stats: the store is going. */
	for (size_t i = 0; i < cs->n; i++) {
		struct nd_kube_contrib *c = cs->v[i];

		if (c->is_rrs_owned)
			free(c->rrs);
		if (c != &c->wn->first)
			free(c);
	}
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

void nd_kube_table_teardown(struct nd_kube_store *s)
{
	if (s == NULL || s->wnames.buckets == NULL)
		return;

	struct nd_kmap_node *kn = nd_kmap_first(&s->wnames), *next;

	for (; kn != NULL; kn = next) {
		struct nd_kube_wname *wn =
			caa_container_of(kn, struct nd_kube_wname, kn);

		next = nd_kmap_next(&s->wnames, kn);
		nd_kmap_del(&s->wnames, kn);
		if (wn->pub != NULL) {
			urcu_memb_read_lock();
			cds_lfht_del(s->names, &wn->pub->lfht);
			urcu_memb_read_unlock();
			/* No reader is left (nd_kube_store_free's contract). */
			nd_kube_rnode_free(wn->pub);
		}
		free(wn);
	}
}
