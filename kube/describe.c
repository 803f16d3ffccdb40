/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/describe.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/store_internal.h"
#include "util/errors.h"

/*
 * The writer-side maps (groups, slices) are read without a lock or an
 * RCU section: only the writer thread changes them, and this file is
 * called on that thread alone (see describe.h), so nothing moves while
 * we look.
 */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* Endpoints in address order, so a view lists them the same way every
 * time whatever order the slices arrived in. */
static int ep_cmp(const void *a, const void *b)
{
	const struct nd_kube_endpoint *x =
	    ((const struct nd_kube_ep_desc *)a)->ep;
	const struct nd_kube_endpoint *y =
	    ((const struct nd_kube_ep_desc *)b)->ep;

	if (x->n_addrs == 0 || y->n_addrs == 0)
		return (x->n_addrs == 0) - (y->n_addrs == 0);

	const struct nd_kube_ip *p = &x->addrs[0], *q = &y->addrs[0];

	if (p->family != q->family)
		return p->family == AF_INET ? -1 : 1;
	return memcmp(p->addr, q->addr, addr_len(p->family));
}

static int svc_cmp(const void *a, const void *b)
{
	const struct nd_kube_service *x =
	    ((const struct nd_kube_svc_desc *)a)->svc;
	const struct nd_kube_service *y =
	    ((const struct nd_kube_svc_desc *)b)->svc;
	int c = strcmp(x->ns, y->ns);

	return c != 0 ? c : strcmp(x->name, y->name);
}

/* Fill d from group g: the Service and its slices' endpoints. */
static int desc_fill(struct nd_kube_svc_desc *d, const struct group *g)
{
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	d->svc = &g->svc;
	for (const struct slice_ent *e = g->slices; e != NULL; e = e->next) {
		n += e->obj.n_eps;
		d->n_slices++;
	}
	if (n == 0)
		return 0;
	d->eps = calloc(n, sizeof(*d->eps));
	if (d->eps == NULL)
		return -ENOMEM;
	for (const struct slice_ent *e = g->slices; e != NULL; e = e->next) {
		for (size_t i = 0; i < e->obj.n_eps; i++) {
			const struct nd_kube_endpoint *ep = &e->obj.eps[i];

			d->eps[d->n_eps].ep = ep;
			d->eps[d->n_eps].slice = e->obj.name;
			d->n_eps++;
			d->n_ready += ep->is_ready;
			d->n_serving += ep->is_serving;
			d->n_terminating += ep->is_terminating;
		}
	}
	qsort(d->eps, d->n_eps, sizeof(*d->eps), ep_cmp);
	return 0;
}

static bool group_matches(const struct group *g, const char *ns,
			  const char *name)
{
	return g->has_svc && (ns == NULL || strcmp(g->svc.ns, ns) == 0) &&
	       (name == NULL || strcmp(g->svc.name, name) == 0);
}

void nd_kube_desc_list_deinit(struct nd_kube_desc_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].eps);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Both given: the group's own key, no scan. */
static int describe_one(struct nd_kube_store *s, const char *ns,
			const char *name, struct nd_kube_desc_list *out)
{
	char key[2 * ND_KUBE_NAME_MAX];
	int n = snprintf(key, sizeof(key), "%s/%s", ns, name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return 0; /* longer than any key: no such Service */

	struct nd_kmap_node *kn = nd_kmap_get(&s->groups, key, (size_t)n);
	const struct group *g =
	    kn != NULL ? caa_container_of(kn, struct group, kn) : NULL;

	if (g == NULL || !group_matches(g, ns, name))
		return 0;
	out->v = calloc(1, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	out->n = 1;
	return desc_fill(&out->v[0], g);
}

static int describe_services(struct nd_kube_store *s, const char *ns,
			     const char *name, struct nd_kube_desc_list *out)
{
	const struct nd_kmap_node *kn;
	size_t n = 0, cap = 0;
	int r = 0;

	if (s == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (ns != NULL && name != NULL) {
		r = describe_one(s, ns, name, out);
		if (r < 0)
			nd_kube_desc_list_deinit(out);
		return r;
	}
	/* Count first so the array is allocated once. */
	for (kn = nd_kmap_first(&s->groups); kn;
	     kn = nd_kmap_next(&s->groups, kn))
		cap += group_matches(caa_container_of(kn, struct group, kn), ns,
				     name);
	if (cap == 0)
		return 0;
	out->v = calloc(cap, sizeof(*out->v));
	if (out->v == NULL)
		return -ENOMEM;
	for (kn = nd_kmap_first(&s->groups); kn && n < cap && r == 0;
	     kn = nd_kmap_next(&s->groups, kn)) {
		const struct group *g = caa_container_of(kn, struct group, kn);

		if (!group_matches(g, ns, name))
			continue;
		r = desc_fill(&out->v[n], g);
		n++;
	}
	out->n = n;
	if (r < 0) {
		nd_kube_desc_list_deinit(out);
		return r;
	}
	qsort(out->v, out->n, sizeof(*out->v), svc_cmp);
	return 0;
}

static int describe_address(struct nd_kube_store *s,
			    const struct nd_kube_ip *ip,
			    struct nd_kube_addr_desc *out)
{
	const struct nd_kmap_node *kn;
	bool found = false;

	if (s == NULL || ip == NULL || out == NULL ||
	    (ip->family != AF_INET && ip->family != AF_INET6))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	for (kn = nd_kmap_first(&s->slices); kn;
	     kn = nd_kmap_next(&s->slices, kn)) {
		const struct slice_ent *e =
		    caa_container_of(kn, struct slice_ent, kn);

		for (size_t i = 0; i < e->obj.n_eps; i++) {
			const struct nd_kube_endpoint *ep = &e->obj.eps[i];

			for (size_t j = 0; j < ep->n_addrs; j++) {
				if (ep->addrs[j].family != ip->family ||
				    memcmp(ep->addrs[j].addr, ip->addr,
					   addr_len(ip->family)) != 0)
					continue;
				/* The slice's namespace is the pod's: a
				 * slice only selects pods of its own. */
				if (!found) {
					out->ns = e->obj.ns;
					out->service = e->obj.service;
					out->ep = ep;
					found = true;
				}
				if (ep->pod[0] != '\0' &&
				    e->obj.service[0] != '\0') {
					out->ns = e->obj.ns;
					out->service = e->obj.service;
					out->ep = ep;
					return 0;
				}
			}
		}
	}
	return found ? 0 : ND_ENOTFOUND;
}

int nd_kube_describe_services(struct nd_kube_store *s, const char *ns,
			      const char *name, struct nd_kube_desc_list *out)
{
	int r;

	if (s == NULL || out == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = describe_services(s, ns, name, out);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_describe_address(struct nd_kube_store *s,
			     const struct nd_kube_ip *ip,
			     struct nd_kube_addr_desc *out)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = describe_address(s, ip, out);
	nd_kube_store_unlock(s);
	return r;
}
