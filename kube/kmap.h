/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/kmap.h - a byte-keyed intrusive hash map for the store's writer-side indexes. */
#ifndef KUBE_KMAP_H
#define KUBE_KMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Embedded in the indexed object. key and key_len are set by the caller
 * before nd_kmap_put() and must stay valid and unchanged while the node
 * is in a map (they normally point into the object itself).
 */
struct nd_kmap_node {
	struct nd_kmap_node *next; /* hash chain */
	const void *key;	   /* borrowed from the object */
	uint32_t key_len;	   /* bytes of key */
	uint32_t hash;		   /* of the key (low half, which picks the
				      bucket); set by nd_kmap_put */
};

/* Single-threaded: the store's writer is its only user. */
struct nd_kmap {
	struct nd_kmap_node **buckets; /* n_buckets chains */
	size_t n_buckets;	       /* power of two */
	size_t n;		       /* nodes held */
	uint64_t seed;		       /* per map, against collisions */
};

/* Prepare an empty map. Returns 0, -EINVAL or -ENOMEM. */
int nd_kmap_init(struct nd_kmap *m);
/* Free the bucket array; the nodes belong to their objects. NULL is fine. */
void nd_kmap_deinit(struct nd_kmap *m);

/* The node whose key is key[0..len), or NULL. */
struct nd_kmap_node *nd_kmap_get(const struct nd_kmap *m, const void *key,
				 size_t len);

/*
 * Insert node (its key must not be in the map yet). The map grows when
 * it fills; when that fails the node is still inserted in the smaller
 * table, so this only fails on bad arguments: 0 or -EINVAL.
 */
int nd_kmap_put(struct nd_kmap *m, struct nd_kmap_node *node);

/* Remove node, which must be in the map. Never shrinks the table. */
void nd_kmap_del(struct nd_kmap *m, struct nd_kmap_node *node);

/*
 * Walk the map: first, then next until NULL. Removing the node just
 * returned (not any other) is allowed between calls when next was taken
 * before the removal; inserting while walking is not.
 */
struct nd_kmap_node *nd_kmap_first(const struct nd_kmap *m);
struct nd_kmap_node *nd_kmap_next(const struct nd_kmap *m,
				  const struct nd_kmap_node *node);

#endif /* KUBE_KMAP_H */
