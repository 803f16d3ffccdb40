/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/pod_addrs.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/store_internal.h"
#include "util/hash.h"

/* One (namespace, address): the writer's count and the readers' node. */
struct pod_ref {
	struct nd_kmap_node kn;	 /* in s->pod_refs */
	struct cds_lfht_node ln; /* in s->pods */
	struct rcu_head rcu;	 /* deferred free */
	size_t refs;		 /* endpoints with the address (writer) */
	size_t key_len;
	uint8_t key[ND_KUBE_POD_KEY_MAX];
};

struct key_view {
	const uint8_t *key;
	size_t len;
};

int nd_kube_pod_key(const char *ns, size_t ns_len, int family,
		    const uint8_t *addr, uint8_t *key)
{
	size_t alen = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;

	if (ns == NULL || addr == NULL || key == NULL || alen == 0 ||
	    ns_len == 0 || ns_len >= ND_KUBE_NAME_MAX)
		return -EINVAL;
	key[0] = (uint8_t)ns_len;
	memcpy(key + 1, ns, ns_len);
	key[1 + ns_len] = (uint8_t)alen;
	memcpy(key + 2 + ns_len, addr, alen);
	return (int)(2 + ns_len + alen);
}

int nd_kube_pods_init(struct nd_kube_store *s)
{
	if (s == NULL)
		return -EINVAL;
	s->pods = cds_lfht_new_flavor(64, 64, 0, CDS_LFHT_AUTO_RESIZE,
				      &urcu_memb_flavor, NULL);
	return s->pods != NULL ? 0 : -ENOMEM;
}

static int match(struct cds_lfht_node *node, const void *key)
{
	const struct pod_ref *p = caa_container_of(node, struct pod_ref, ln);
	const struct key_view *k = key;

	return p->key_len == k->len && memcmp(p->key, k->key, k->len) == 0;
}

static void free_rcu(struct rcu_head *head)
{
	free(caa_container_of(head, struct pod_ref, rcu));
}

static void count_one(struct nd_kube_store *s, const uint8_t *key,
		      size_t key_len, int delta)
{
	struct nd_kmap_node *kn = nd_kmap_get(&s->pod_refs, key, key_len);
	struct pod_ref *p =
		kn ? caa_container_of(kn, struct pod_ref, kn) : NULL;

	if (delta > 0) {
		if (p != NULL) {
			p->refs++;
			return;
		}
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return;
		ND_KUBE_STAT_ADD(s, index_bytes, sizeof(*p));
		p->refs = 1;
		memcpy(p->key, key, key_len);
		p->key_len = key_len;
		p->kn.key = p->key;
		p->kn.key_len = key_len;
		nd_kmap_put(&s->pod_refs, &p->kn);
		urcu_memb_read_lock();
		cds_lfht_add(s->pods,
			     (unsigned long)nd_hash(key, key_len, s->seed),
			     &p->ln);
		urcu_memb_read_unlock();
		return;
	}
	if (p == NULL || --p->refs > 0)
		return;
	nd_kmap_del(&s->pod_refs, &p->kn);
	ND_KUBE_STAT_SUB(s, index_bytes, sizeof(*p));
	urcu_memb_read_lock();
	cds_lfht_del(s->pods, &p->ln);
	urcu_memb_read_unlock();
	urcu_memb_call_rcu(&p->rcu, free_rcu);
}

void nd_kube_pods_count(struct nd_kube_store *s, const struct nd_kube_slice *sl,
			int delta)
{
	uint8_t key[ND_KUBE_POD_KEY_MAX];

	if (s == NULL || sl == NULL || s->pods == NULL)
		return;

	size_t ns_len = strnlen(sl->ns, ND_KUBE_NAME_MAX);

	for (size_t e = 0; e < sl->n_eps; e++) {
		const struct nd_kube_endpoint *ep = &sl->eps[e];

		for (size_t a = 0; a < ep->n_addrs; a++) {
			int n = nd_kube_pod_key(sl->ns, ns_len,
						ep->addrs[a].family,
						ep->addrs[a].addr, key);

			if (n > 0)
				count_one(s, key, (size_t)n, delta);
		}
	}
}

bool nd_kube_pods_has(struct nd_kube_store *s, const uint8_t *key,
		      size_t key_len)
{
	struct key_view k = {key, key_len};
	struct cds_lfht_iter it;

	if (s == NULL || s->pods == NULL || key == NULL)
		return false;
	cds_lfht_lookup(s->pods, (unsigned long)nd_hash(key, key_len, s->seed),
			match, &k, &it);
	return cds_lfht_iter_get_node(&it) != NULL;
}

void nd_kube_pods_teardown(struct nd_kube_store *s)
{
	if (s == NULL)
		return;

	struct nd_kmap_node *kn = nd_kmap_first(&s->pod_refs), *next;

	for (; kn != NULL; kn = next) {
		struct pod_ref *p = caa_container_of(kn, struct pod_ref, kn);

		next = nd_kmap_next(&s->pod_refs, kn);
		nd_kmap_del(&s->pod_refs, kn);
		urcu_memb_read_lock();
		cds_lfht_del(s->pods, &p->ln);
		urcu_memb_read_unlock();
		free(p);
	}
	if (s->pods != NULL)
		cds_lfht_destroy(s->pods, NULL);
	s->pods = NULL;
}
