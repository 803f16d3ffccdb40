/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/kube/name_node.h - one name's records rendered into the immutable node readers answer from. */
#ifndef RESOLVER_KUBE_NAME_NODE_H
#define RESOLVER_KUBE_NAME_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "resolver/answer.h"
#include "resolver/kube/nameset.h"

/* Which SOA a negative answer for the name carries. */
enum nd_kube_soa_kind {
	ND_KUBE_SOA_ZONE = 0, /* the cluster zone */
	ND_KUBE_SOA_V4 = 1,   /* in-addr.arpa */
	ND_KUBE_SOA_V6 = 2,   /* ip6.arpa */
	ND_KUBE_SOA_KINDS,
};

/* One pre-rendered answer: the message for one question type. */
struct nd_kube_rans {
	struct nd_answer a; /* question in lower case; pointers into the node */
	uint16_t qtype;	    /* question type; ND_TYPE_ANY: all */
	uint16_t an_end;    /* bytes up to the end of the answer section: the
				message without its additional records */
	uint16_t an_n_ttl;  /* TTL offsets within an_end */
	uint16_t serial_off; /* SOA SERIAL to patch; 0 = none */
};

/*
 * A name as readers see it, in one allocation, never changed once
 * published: a change publishes a new node in its place and frees this
 * one after a grace period.
 */
struct nd_kube_rnode {
	struct cds_lfht_node lfht; /* in the store's name table */
	struct rcu_head rcu;	   /* deferred free */
	size_t bytes;		   /* allocation size (stats) */
	const uint8_t *name;	   /* lower-case wire name, in the node */
	uint8_t name_len;
	uint8_t soa_kind;	   /* enum nd_kube_soa_kind, for NODATA */
	bool is_cname;		   /* all types get the CNAME */
	bool is_svc_headless;	   /* the Service of svc_ready is headless */
	int32_t svc_ready;	   /* ready endpoint addresses of the one
				      Service the name is or is under;
				      -1 = none (build sets -1) */
	uint16_t n_ans;		   /* entries in ans; 0 = no records */
	struct nd_kube_rans ans[]; /* sorted by qtype */
};

/* The key the name table is searched with. */
struct nd_kube_name_key {
	const uint8_t *name; /* lower-case wire name */
	size_t len;
};

/* cds_lfht match function: node's name equals key (a nd_kube_name_key). */
int nd_kube_rnode_match(struct cds_lfht_node *node, const void *key);

/*
 * Render the node for name from its records rrs[0..n) (sorted with
 * nd_kube_rr_cmp, no duplicates; borrowed), each with TTL ttl_s: one
 * answer per record type with the additional records filed for it, and
 * one for ANY with everything. Records that would take an answer past
 * 64 KiB are left out and counted in *n_dropped (may be NULL).
 * The node has svc_ready -1: the caller fills in the Service fields, if
 * any, before it publishes the node.
 * Returns the node (owned by the caller; free with nd_kube_rnode_free),
 * or NULL on allocation failure.
 */
struct nd_kube_rnode *nd_kube_rnode_build(const uint8_t *name, size_t name_len,
					  enum nd_kube_soa_kind soa_kind,
					  const struct nd_kube_rrv *rrs,
					  size_t n, uint32_t ttl_s,
					  size_t *n_dropped);

/* Free a node (NULL is fine); for call_rcu, see nd_kube_rnode_free_rcu. */
void nd_kube_rnode_free(struct nd_kube_rnode *node);
/* call_rcu callback freeing the node that holds head. */
void nd_kube_rnode_free_rcu(struct rcu_head *head);

/* The answer of node for qtype, or NULL. */
const struct nd_kube_rans *nd_kube_rnode_find(const struct nd_kube_rnode *node,
					      uint16_t qtype);

#endif /* RESOLVER_KUBE_NAME_NODE_H */
