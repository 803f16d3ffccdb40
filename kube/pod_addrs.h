/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/pod_addrs.h - which addresses are endpoints in which namespace, for verified pod records. */
#ifndef KUBE_POD_ADDRS_H
#define KUBE_POD_ADDRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/objects.h"

struct nd_kube_store;

/* Bytes of a key at most: NS_LEN(1) NS FAMILY(1) ADDR(16). */
#define ND_KUBE_POD_KEY_MAX (1 + ND_KUBE_NAME_MAX + 1 + 16)

/*
 * The key of (namespace ns[0..ns_len), address family/addr) into key
 * (ND_KUBE_POD_KEY_MAX bytes). Returns its length, or -EINVAL.
 */
int nd_kube_pod_key(const char *ns, size_t ns_len, int family,
		    const uint8_t *addr, uint8_t *key);

/* Create the table (the store's pods is NULL until then). 0 or -ENOMEM. */
int nd_kube_pods_init(struct nd_kube_store *s);

/*
 * Writer: count every address of every endpoint of slice sl (ready or
 * not: a pod exists before it is ready) up (delta +1) or down (-1). An
 * address is published while its count is above zero. An address that
 * cannot be added (memory) stays unverified, and its later removal is
 * a no-op. Does nothing unless pods are verified.
 */
void nd_kube_pods_count(struct nd_kube_store *s, const struct nd_kube_slice *sl,
			int delta);

/* Reader, under the RCU read lock: is the address of key published? */
bool nd_kube_pods_has(struct nd_kube_store *s, const uint8_t *key,
		      size_t key_len);

/* At store teardown, no reader left: free every entry and the table. */
void nd_kube_pods_teardown(struct nd_kube_store *s);

#endif /* KUBE_POD_ADDRS_H */
