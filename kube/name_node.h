/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/name_node.h - one name's records rendered into the immutable node readers answer from. */
#ifndef KUBE_NAME_NODE_H
#define KUBE_NAME_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "dns/answer.h"
#include "dns/wire.h"
#include "kube/nameset.h"

/* Which SOA a negative answer for the name carries. */
enum nd_kube_soa_kind {
	ND_KUBE_SOA_ZONE = 0, /* the cluster zone */
	ND_KUBE_SOA_V4 = 1,   /* in-addr.arpa */
	ND_KUBE_SOA_V6 = 2,   /* ip6.arpa */
	ND_KUBE_SOA_KINDS,
};

/*
 * One pre-rendered answer: the message for one question type, with no
 * TTL offsets: the store's answers are replayed as rendered (age 0, no
 * TTL cap, never stale), so nd_answer_render() would rewrite every TTL to
 * the value it already has.
 */
struct nd_kube_rans {
	uint32_t off;	     /* the message: nd_kube_rnode_data() + off */
	uint16_t len;	     /* bytes of the message */
	uint16_t qtype;	     /* question type; ND_TYPE_ANY: all */
	uint16_t an_end;     /* bytes up to the end of the answer section: the
				message without its additional records */
	uint16_t serial_off; /* SOA SERIAL to patch; 0 = none */
	bool is_negative;    /* no answer records (NODATA) */
};

/*
 * A name as readers see it, in one allocation, never changed once
 * published: a change publishes a new node in its place and frees this
 * one after a grace period (retired with the others of its change, so a
 * node carries no rcu_head of its own). There is one per name in the zone, so it is
 * kept small: the name is the question of the first answer (or follows
 * ans[] when there is none), and a name with one record type keeps no
 * answer of its own for ANY (is_any_shared).
 */
struct nd_kube_rnode {
	struct cds_lfht_node lfht; /* in the store's name table */
	uint32_t bytes;		   /* allocation size (stats) */
	uint8_t name_len;	   /* bytes of the name */
	uint8_t soa_kind;	   /* enum nd_kube_soa_kind, for NODATA */
	bool is_cname;		   /* all types get the CNAME */
	bool is_svc_headless;	   /* the Service of svc_ready is headless */
	bool is_any_shared;	   /* ANY gets ans[0] with its question type
				      patched: it would be the same message */
	bool is_nxdomain;	   /* the name does not exist: every type
				      gets NXDOMAIN. Kept only for svc_ready,
				      so that diagnostics still learn the
				      Service (a headless one without ready
				      endpoints, spec 2.4.1) */
	int32_t svc_ready;	   /* ready endpoint addresses of the one
				      Service the name is or is under;
				      -1 = none (build sets -1) */
	uint16_t n_ans;		   /* entries in ans; 0 = no records */
	struct nd_kube_rans ans[]; /* sorted by qtype; then the messages */
};

/* Where the node's messages (and name) are: just past ans[]. */
static inline const uint8_t *
nd_kube_rnode_data(const struct nd_kube_rnode *node)
{
	return (const uint8_t *)&node->ans[node->n_ans];
}

/* The node's lower-case wire name (name_len bytes). */
static inline const uint8_t *
nd_kube_rnode_name(const struct nd_kube_rnode *node)
{
	const uint8_t *d = nd_kube_rnode_data(node);

	return node->n_ans > 0 ? d + node->ans[0].off + ND_DNS_HEADER_LEN : d;
}

/* The key the name table is searched with. */
struct nd_kube_name_key {
	const uint8_t *name; /* lower-case wire name */
	size_t len;
};

/* cds_lfht match function: node's name equals key (a nd_kube_name_key). */
int nd_kube_rnode_match(struct cds_lfht_node *node, const void *key);

struct nd_kube_rw;

/*
 * What renders keep from one node to the next so that a render allocates
 * nothing but the node: a message writer per answer of the largest node
 * so far. Zeroed is empty. Used by one thread at a time (the store's
 * writer has one).
 */
struct nd_kube_render_scratch {
	struct nd_kube_rw *w; /* n_w writers (owned) */
	size_t n_w;
};

/* Free what sc holds and zero it; NULL is fine. */
void nd_kube_render_scratch_deinit(struct nd_kube_render_scratch *sc);

/*
 * Render the node for name from its records rrs[0..n) (sorted with
 * nd_kube_rr_cmp, no duplicates; borrowed), each with TTL ttl_s: one
 * answer per record type with the additional records filed for it, and
 * one for ANY with everything. Records that would take an answer past
 * 64 KiB are left out and counted in *n_dropped (may be NULL).
 * sc: the caller's scratch, reused and grown here.
 * The node has svc_ready -1 and is_nxdomain false: the caller fills in
 * the Service fields, if any, before it publishes the node.
 * Returns the node (owned by the caller; free with nd_kube_rnode_free),
 * or NULL on allocation failure or a NULL argument.
 */
struct nd_kube_rnode *nd_kube_rnode_build(struct nd_kube_render_scratch *sc,
					  const uint8_t *name, size_t name_len,
					  enum nd_kube_soa_kind soa_kind,
					  const struct nd_kube_rrv *rrs,
					  size_t n, uint32_t ttl_s,
					  size_t *n_dropped);

/* Free a node (NULL is fine) that no reader can reach any more (table.c
 * retires published ones in batches, after a grace period). */
void nd_kube_rnode_free(struct nd_kube_rnode *node);

/* The answer of node for qtype, or NULL (ANY on a node with
 * is_any_shared: NULL, the caller serves ans[0]). */
const struct nd_kube_rans *nd_kube_rnode_find(const struct nd_kube_rnode *node,
					      uint16_t qtype);

/*
 * The stored answer ra of node as nd_answer_render() takes it; ttl_s is
 * the zone's TTL. Pointers into node.
 */
void nd_kube_rans_answer(const struct nd_kube_rnode *node,
			 const struct nd_kube_rans *ra, uint32_t ttl_s,
			 struct nd_answer *out);

#endif /* KUBE_NAME_NODE_H */
