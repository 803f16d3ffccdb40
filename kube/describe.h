/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/describe.h - the store's Services and their endpoints as objects, for the debug views. */
#ifndef KUBE_DESCRIBE_H
#define KUBE_DESCRIBE_H

#include <stddef.h>

#include "kube/objects.h"

struct nd_kube_store;

/*
 * Everything here reads the store's writer-side indexes under the
 * writer's lock (nd_kube_store_lock), never from a worker. Pointers
 * marked "borrowed" point into the store and stay valid until the store
 * next changes (a put, a delete or a relist_end): the caller holds
 * nd_kube_store_lock() while it uses them, since the API client applies
 * changes on a thread of its own.
 */

/* One endpoint of a Service. */
struct nd_kube_ep_desc {
	const struct nd_kube_endpoint *ep; /* addresses, conditions, hostname,
					      node, pod (borrowed) */
	const char *slice;		   /* the EndpointSlice that holds it
					      (borrowed) */
};

/* One Service with the endpoints of every EndpointSlice labelled with its
 * name, merged. */
struct nd_kube_svc_desc {
	const struct nd_kube_service *svc; /* namespace, name, type, cluster
					      IPs, ports (borrowed) */
	struct nd_kube_ep_desc *eps;	   /* n_eps, sorted by first address
					      (family, then bytes); endpoints with
					      no address last; owned by the list */
	size_t n_eps;
	size_t n_ready;	      /* endpoints with conditions.ready */
	size_t n_serving;     /* endpoints with conditions.serving */
	size_t n_terminating; /* endpoints with conditions.terminating */
	size_t n_slices;      /* EndpointSlices labelled with the name */
};

/* What nd_kube_describe_services() fills. Zeroed means empty. */
struct nd_kube_desc_list {
	struct nd_kube_svc_desc *v; /* n entries sorted by namespace, then
				       name (owned) */
	size_t n;
};

/*
 * The Services the store holds, optionally only those in namespace ns
 * and/or named name (NULL = any). A name whose slices arrived before its
 * Service is left out until the Service comes: it gives DNS nothing yet.
 * Costs O(Services + their endpoints), or O(its endpoints) when both ns
 * and name are given (a direct lookup).
 * s: the store (writer thread only, see above).
 * out: filled on success (maybe with n = 0); free with
 *      nd_kube_desc_list_deinit(). Left zeroed on failure.
 * Returns 0, -EINVAL (NULL s or out) or -ENOMEM.
 */
int nd_kube_describe_services(struct nd_kube_store *s, const char *ns,
			      const char *name, struct nd_kube_desc_list *out);

/* Free what the list owns and zero it; NULL or zeroed is fine. */
void nd_kube_desc_list_deinit(struct nd_kube_desc_list *l);

/* Who holds an address, as nd_kube_describe_address() found it. */
struct nd_kube_addr_desc {
	const char *ns;	     /* namespace of the EndpointSlice (borrowed) */
	const char *service; /* the Service the slice is labelled with; ""
				when unlabelled (borrowed) */
	const struct nd_kube_endpoint *ep; /* pod, node, conditions
					      (borrowed) */
};

/*
 * Which endpoint has address ip: a scan of every EndpointSlice, so
 * O(slices + endpoints), meant for a debug request. When several
 * endpoints have it (one pod behind many Services), one that names a pod
 * and a Service wins, else the first found. Writer thread only.
 * Returns 0 with *out filled, ND_ENOTFOUND, or -EINVAL (NULL argument,
 * family other than AF_INET/AF_INET6).
 */
int nd_kube_describe_address(struct nd_kube_store *s,
			     const struct nd_kube_ip *ip,
			     struct nd_kube_addr_desc *out);

#endif /* KUBE_DESCRIBE_H */
