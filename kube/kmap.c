/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/kmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/rand.h"

#define KMAP_INITIAL_BUCKETS 64

int nd_kmap_init(struct nd_kmap *m)
{
	if (m == NULL)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->buckets = calloc(KMAP_INITIAL_BUCKETS, sizeof(*m->buckets));
	if (m->buckets == NULL)
		return -ENOMEM;
	m->n_buckets = KMAP_INITIAL_BUCKETS;
	/* Keys come from the API server, where any namespace owner can
	 * choose names; a per-map seed keeps them from building chains. */
	m->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	return 0;
}

void nd_kmap_deinit(struct nd_kmap *m)
{
	if (m == NULL)
		return;
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

struct nd_kmap_node *nd_kmap_get(const struct nd_kmap *m, const void *key,
				 size_t len)
{
	if (m == NULL || m->buckets == NULL || (key == NULL && len > 0))
		return NULL;

	uint32_t h = (uint32_t)nd_hash(key, len, m->seed);
	struct nd_kmap_node *n = m->buckets[h & (m->n_buckets - 1)];

	for (; n != NULL; n = n->next)
		if (n->hash == h && n->key_len == len &&
		    memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

/* Double the table; on failure the map keeps working with longer chains. */
static void grow(struct nd_kmap *m)
{
	size_t nb = m->n_buckets * 2;
	struct nd_kmap_node **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct nd_kmap_node *n = m->buckets[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
}

int nd_kmap_put(struct nd_kmap *m, struct nd_kmap_node *node)
{
	if (m == NULL || m->buckets == NULL || node == NULL ||
	    (node->key == NULL && node->key_len > 0))
		return -EINVAL;
	/* Two nodes a bucket: the wnames map holds a node per name in the
	 * zone, and a chain of two costs less than the buckets would. */
	if (m->n >= 2 * m->n_buckets)
		grow(m);
	node->hash = (uint32_t)nd_hash(node->key, node->key_len, m->seed);

	struct nd_kmap_node **b = &m->buckets[node->hash & (m->n_buckets - 1)];

	node->next = *b;
	*b = node;
	m->n++;
	return 0;
}

void nd_kmap_del(struct nd_kmap *m, struct nd_kmap_node *node)
{
	if (m == NULL || node == NULL || m->buckets == NULL)
		return;

	struct nd_kmap_node **p = &m->buckets[node->hash & (m->n_buckets - 1)];

	for (; *p != NULL; p = &(*p)->next) {
		if (*p == node) {
			*p = node->next;
			node->next = NULL;
			m->n--;
			return;
		}
	}
}

/* First node in a bucket at or after i. */
static struct nd_kmap_node *scan(const struct nd_kmap *m, size_t i)
{
	for (; i < m->n_buckets; i++)
		if (m->buckets[i] != NULL)
			return m->buckets[i];
	return NULL;
}

struct nd_kmap_node *nd_kmap_first(const struct nd_kmap *m)
{
	if (m == NULL || m->buckets == NULL)
		return NULL;
	return scan(m, 0);
}

struct nd_kmap_node *nd_kmap_next(const struct nd_kmap *m,
				  const struct nd_kmap_node *node)
{
	if (m == NULL || node == NULL || m->buckets == NULL)
		return NULL;
	if (node->next != NULL)
		return node->next;
	return scan(m, (node->hash & (m->n_buckets - 1)) + 1);
}
