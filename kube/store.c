/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/store.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/pod_addrs.h"
#include "kube/store_internal.h"
#include "util/log.h"
#include "util/rand.h"
#include "util/rcu.h"

/*
 * RCU registration. The writer must be a registered thread too (the
 * lock-free table resizes under it), and store.h does not ask the
 * control thread to register: the writer entry points register their
 * thread on first use, and a thread-specific key unregisters it when the
 * thread exits.
 */
/* The writer reads the name table too (RCU): register it with liburcu. */
static void ensure_registered(void)
{
	nd_rcu_register();
}

/* A text field (objects.h): there, and shorter than cap with its NUL. */
static bool fits(const char *s, size_t cap)
{
	return s != NULL && strnlen(s, cap) < cap;
}

/* A name field: fits and is not empty. */
static bool is_valid(const char *s, size_t cap)
{
	return fits(s, cap) && s[0] != '\0';
}

static bool ports_are_valid(const struct nd_kube_port *v, size_t n)
{
	if (v == NULL && n > 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!fits(v[i].name, ND_KUBE_NAME_MAX))
			return false;
	return true;
}

/* Bytes of a text field in its object's strs (stats); a literal, or any
 * text when the object has no strs, takes none. */
static size_t text_bytes(const char *strs, const char *t)
{
	return strs != NULL && t[0] != '\0' ? strlen(t) + 1 : 0;
}

static size_t ports_bytes(const char *strs, const struct nd_kube_port *v,
			  size_t n)
{
	size_t b = n * sizeof(*v);

	for (size_t i = 0; i < n; i++)
		b += text_bytes(strs, v[i].name);
	return b;
}

/* What a Service holds beyond the group it is in (stats). */
static size_t svc_bytes(const struct nd_kube_service *v)
{
	return ports_bytes(v->strs, v->ports, v->n_ports) +
	       text_bytes(v->strs, v->ns) + text_bytes(v->strs, v->name) +
	       text_bytes(v->strs, v->rv) +
	       text_bytes(v->strs, v->external_name);
}

static void bump_serial(struct nd_kube_store *s)
{
	__atomic_fetch_add(&s->serial, 1, __ATOMIC_RELAXED);
}

/* --- groups ------------------------------------------------------------ */

static struct group *group_get(struct nd_kube_store *s, const char *ns,
			       const char *name, bool create)
{
	char key[2 * ND_KUBE_NAME_MAX];
	int n = snprintf(key, sizeof(key), "%s/%s", ns, name);

	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;

	struct nd_kmap_node *kn = nd_kmap_get(&s->groups, key, (size_t)n);

	if (kn != NULL || !create)
		return kn ? caa_container_of(kn, struct group, kn) : NULL;

	struct group *g = calloc(1, sizeof(*g) + (size_t)n + 1);

	if (g == NULL)
		return NULL;
	ND_KUBE_STAT_ADD(s, object_bytes, sizeof(*g) + (size_t)n + 1);
	memcpy(g->key, key, (size_t)n + 1);
	g->kn.key = g->key;
	g->kn.key_len = (size_t)n;
	nd_kmap_put(&s->groups, &g->kn);
	return g;
}

/* A group with neither Service nor slices gives nothing and goes. */
static void group_maybe_free(struct nd_kube_store *s, struct group *g)
{
	if (g->has_svc || g->n_slices > 0 || g->cs.n > 0)
		return;
	nd_kmap_del(&s->groups, &g->kn);
	ND_KUBE_STAT_SUB(s, object_bytes, sizeof(*g) + g->kn.key_len + 1);
	free(g->cs.v);
	free(g);
}

/*
 * What the budget counts: the rendered zone (the index and the answers).
 * The decoded objects are left out: they are what a later render needs,
 * kept whether or not a Service is served, and the API bounds each one.
 */
static uint64_t zone_bytes(struct nd_kube_store *s)
{
	struct nd_kube_store_stats st;

	nd_kube_store_get_stats(s, &st);
	return st.index_bytes + st.answer_bytes;
}

/*
 * The per-Service limit: said when a Service starts or stops being cut,
 * not at each of its renders, so a Service that churns logs nothing
 * more; counted.
 */
static void note_truncated(struct nd_kube_store *s, struct group *g,
			   size_t n_cut)
{
	bool is_cut = n_cut > 0;

	if (is_cut == g->is_truncated)
		return;
	g->is_truncated = is_cut;
	if (is_cut) {
		ND_KUBE_STAT_ADD(s, truncated, 1);
		ND_KUBE_STAT_ADD(s, truncations, 1);
		nd_warn("kube",
			"service %s: %zu records over the limit of %zu per "
			"Service (--kube-max-service-records) left out: the "
			"last named ports' SRV names first, then addresses",
			g->key, n_cut, s->zone.max_records);
	} else {
		ND_KUBE_STAT_SUB(s, truncated, 1);
		nd_info("kube", "service %s: every record rendered again",
			g->key);
	}
}

static void note_over_budget(struct nd_kube_store *s, struct group *g,
			     bool is_over, uint64_t bytes)
{
	if (is_over == g->is_over_budget)
		return;
	g->is_over_budget = is_over;
	if (is_over) {
		ND_KUBE_STAT_ADD(s, over_budget, 1);
		ND_KUBE_STAT_ADD(s, over_budget_total, 1);
		nd_warn("kube",
			"service %s: its records would take the cluster zone "
			"to %llu bytes, past --kube-max-bytes %llu: not "
			"served until it changes or the next full list",
			g->key, (unsigned long long)bytes,
			(unsigned long long)s->max_bytes);
	} else {
		ND_KUBE_STAT_SUB(s, over_budget, 1);
		nd_info("kube", "service %s: within --kube-max-bytes again, "
			"served", g->key);
	}
}

/*
 * Recompute what g's Service gives the zone from the Service and its
 * slices, and publish the difference. Costs the size of this Service,
 * which max_service_records bounds.
 *
 * The zone's budget (index and answers) is checked on what the render
 * really added: a
 * render that leaves the zone past max_bytes, and grew it, is withdrawn
 * at once. The zone goes past the budget by one Service's render at
 * most, for the time of that render, and every other Service keeps
 * serving.
 */
static int render_group(struct nd_kube_store *s, struct group *g)
{
	struct nd_kube_nameset ns;
	uint64_t before = s->max_bytes > 0 ? zone_bytes(s) : 0, after;
	size_t new_cut;
	int r = 0;

	nd_kube_nameset_init(&ns);
	if (g->has_svc) {
		const struct nd_kube_slice **v = NULL;
		size_t n = 0;

		if (g->n_slices > 0) {
			v = malloc(g->n_slices * sizeof(*v));
			if (v == NULL)
				r = -ENOMEM;
		}
		for (struct slice_ent *e = g->slices; v && e; e = e->next)
			v[n++] = &e->obj;
		if (r == 0)
			r = nd_kube_names_service(&s->zone, &g->svc, v, n, &ns);
		free(v);
		if (r == 0)
			r = nd_kube_nameset_finish(&ns);
		if (ns.n_skipped > 0)
			nd_debug("kube",
				 "service %s: %zu names or records "
				 "too long for DNS left out",
				 g->key, ns.n_skipped);
	}
	if (r == 0 && g->has_svc)
		note_truncated(s, g, ns.n_cut);
	s->apply_new_cut = 0;
	if (r == 0)
		r = nd_kube_table_apply(s, &g->cs, &ns);
	new_cut = s->apply_new_cut;
	nd_kube_nameset_deinit(&ns);
	if (r >= 0 && g->has_svc && s->max_bytes > 0) {
		after = zone_bytes(s);
		if (after > s->max_bytes && after > before) {
			int r2 = nd_kube_table_clear(s, &g->cs);

			note_over_budget(s, g, true, after);
			r = r2 < 0 ? r2 : 1;
			new_cut = 0;
		} else {
			note_over_budget(s, g, false, after);
		}
	}
	/* A deleted Service leaves the counts without a word. */
	if (!g->has_svc && g->is_truncated) {
		g->is_truncated = false;
		ND_KUBE_STAT_SUB(s, truncated, 1);
	}
	if (!g->has_svc && g->is_over_budget) {
		g->is_over_budget = false;
		ND_KUBE_STAT_SUB(s, over_budget, 1);
	}
	if (new_cut > 0)
		nd_warn("kube",
			"service %s: answers of %zu names over 64 KiB, the "
			"most a DNS message holds, keep the records that fit",
			g->key, new_cut);
	ND_KUBE_STAT_ADD(s, renders, 1);
	if (r > 0)
		bump_serial(s);
	if (r < 0)
		nd_warn("kube",
			"service %s: %s; the previous records keep "
			"serving",
			g->key,
			r == -ENOMEM ? "out of memory" : "render failed");
	group_maybe_free(s, g);
	return r < 0 ? r : 0;
}

/* --- Services ---------------------------------------------------------- */

/* Drop g's Service object, leaving its names to the next render. */
static void del_service_object(struct nd_kube_store *s, struct group *g)
{
	ND_KUBE_STAT_SUB(s, object_bytes, svc_bytes(&g->svc));
	ND_KUBE_STAT_SUB(s, services, 1);
	nd_kube_service_deinit(&g->svc);
	g->has_svc = false;
}

static int put_service_locked(struct nd_kube_store *s,
			      struct nd_kube_service *obj)
{
	if (s == NULL || obj == NULL || !is_valid(obj->ns, ND_KUBE_NAME_MAX) ||
	    !is_valid(obj->name, ND_KUBE_NAME_MAX) ||
	    !fits(obj->rv, ND_KUBE_RV_MAX) ||
	    !fits(obj->external_name, ND_KUBE_FQDN_MAX) ||
	    !ports_are_valid(obj->ports, obj->n_ports) || obj->n_ips > 2)
		return -EINVAL;
	ensure_registered();

	struct group *g = group_get(s, obj->ns, obj->name, true);

	if (g == NULL) {
		nd_kube_service_deinit(obj);
		return -ENOMEM;
	}
	if (g->has_svc)
		del_service_object(s, g);
	ND_KUBE_STAT_ADD(s, services, 1);
	ND_KUBE_STAT_ADD(s, object_bytes, svc_bytes(obj));
	g->svc = *obj;
	memset(obj, 0, sizeof(*obj));
	g->has_svc = true;
	g->gen = s->gen[ND_KIND_SERVICE];
	return render_group(s, g);
}

static int del_service(struct nd_kube_store *s, struct group *g)
{
	del_service_object(s, g);
	return render_group(s, g);
}

static int del_service_locked(struct nd_kube_store *s, const char *ns,
			      const char *name)
{
	if (s == NULL || !is_valid(ns, ND_KUBE_NAME_MAX) ||
	    !is_valid(name, ND_KUBE_NAME_MAX))
		return -EINVAL;
	ensure_registered();

	struct group *g = group_get(s, ns, name, false);

	/* A delete for what we never saw (a watch replaying history) is
	 * already done. */
	if (g == NULL || !g->has_svc)
		return 0;
	return del_service(s, g);
}

/* --- EndpointSlices ---------------------------------------------------- */

static void slice_link(struct slice_ent *e, struct group *g)
{
	e->g = g;
	e->prev = NULL;
	e->next = NULL;
	if (g == NULL)
		return;
	e->next = g->slices;
	if (g->slices != NULL)
		g->slices->prev = e;
	g->slices = e;
	g->n_slices++;
}

static void slice_unlink(struct slice_ent *e)
{
	struct group *g = e->g;

	if (g == NULL)
		return;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		g->slices = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	g->n_slices--;
	e->g = NULL;
}

/* Count the slice's addresses and memory in or out of the stats, and its
 * addresses in or out of the pod table. */
static void slice_count(struct nd_kube_store *s, struct slice_ent *e, int delta)
{
	const struct nd_kube_slice *o = &e->obj;

	if (delta > 0) {
		e->n_ready = 0;
		e->n_not_ready = 0;
		e->obj_bytes = sizeof(*e) + e->kn.key_len + 1 +
			       o->n_eps * sizeof(*o->eps) +
			       ports_bytes(o->strs, o->ports, o->n_ports) +
			       text_bytes(o->strs, o->ns) +
			       text_bytes(o->strs, o->name) +
			       text_bytes(o->strs, o->service) +
			       text_bytes(o->strs, o->rv);
		for (size_t i = 0; i < o->n_eps; i++) {
			const struct nd_kube_endpoint *ep = &o->eps[i];

			if (ep->is_ready)
				e->n_ready += ep->n_addrs;
			else
				e->n_not_ready += ep->n_addrs;
			e->obj_bytes += ep->n_addrs * sizeof(*ep->addrs) +
					text_bytes(o->strs, ep->hostname) +
					text_bytes(o->strs, ep->node) +
					text_bytes(o->strs, ep->pod);
		}
		ND_KUBE_STAT_ADD(s, endpoints_ready, e->n_ready);
		ND_KUBE_STAT_ADD(s, endpoints_not_ready, e->n_not_ready);
		ND_KUBE_STAT_ADD(s, object_bytes, e->obj_bytes);
	} else {
		ND_KUBE_STAT_SUB(s, endpoints_ready, e->n_ready);
		ND_KUBE_STAT_SUB(s, endpoints_not_ready, e->n_not_ready);
		ND_KUBE_STAT_SUB(s, object_bytes, e->obj_bytes);
	}
	nd_kube_pods_count(s, o, delta);
}

static bool slice_is_valid(const struct nd_kube_slice *o)
{
	if (!is_valid(o->ns, ND_KUBE_NAME_MAX) ||
	    !is_valid(o->name, ND_KUBE_FQDN_MAX) ||
	    !fits(o->service, ND_KUBE_NAME_MAX) ||
	    !fits(o->rv, ND_KUBE_RV_MAX) || (o->eps == NULL && o->n_eps > 0) ||
	    !ports_are_valid(o->ports, o->n_ports))
		return false;
	for (size_t i = 0; i < o->n_eps; i++) {
		const struct nd_kube_endpoint *ep = &o->eps[i];

		if ((ep->addrs == NULL && ep->n_addrs > 0) ||
		    !fits(ep->hostname, ND_KUBE_NAME_MAX) ||
		    !fits(ep->node, ND_KUBE_FQDN_MAX) ||
		    !fits(ep->pod, ND_KUBE_FQDN_MAX))
			return false;
	}
	return true;
}

static int put_slice_locked(struct nd_kube_store *s, struct nd_kube_slice *obj)
{
	char key[ND_KUBE_NAME_MAX + ND_KUBE_FQDN_MAX];

	if (s == NULL || obj == NULL || !slice_is_valid(obj))
		return -EINVAL;
	ensure_registered();

	int n = snprintf(key, sizeof(key), "%s/%s", obj->ns, obj->name);
	struct nd_kmap_node *kn = nd_kmap_get(&s->slices, key, (size_t)n);
	struct slice_ent *e =
		kn ? caa_container_of(kn, struct slice_ent, kn) : NULL;
	struct group *ng = NULL, *og = NULL;

	if (obj->service[0] != '\0') {
		ng = group_get(s, obj->ns, obj->service, true);
		if (ng == NULL)
			goto nomem;
	}
	if (e == NULL) {
		e = calloc(1, sizeof(*e) + (size_t)n + 1);
		if (e == NULL)
			goto nomem;
		memcpy(e->key, key, (size_t)n + 1);
		e->kn.key = e->key;
		e->kn.key_len = (size_t)n;
		nd_kmap_put(&s->slices, &e->kn);
		ND_KUBE_STAT_ADD(s, slices, 1);
	} else {
		og = e->g;
		slice_unlink(e);
		slice_count(s, e, -1);
		nd_kube_slice_deinit(&e->obj);
	}
	e->obj = *obj;
	memset(obj, 0, sizeof(*obj));
	e->gen = s->gen[ND_KIND_SLICE];
	slice_count(s, e, +1);
	slice_link(e, ng);

	int r = 0, r2 = 0;

	/* A slice relabelled to another Service leaves the first one. */
	if (og != NULL && og != ng)
		r = render_group(s, og);
	if (ng != NULL)
		r2 = render_group(s, ng);
	return r < 0 ? r : r2;
nomem:
	if (ng != NULL)
		group_maybe_free(s, ng);
	nd_kube_slice_deinit(obj);
	return -ENOMEM;
}

static int del_slice(struct nd_kube_store *s, struct slice_ent *e)
{
	struct group *g = e->g;

	slice_unlink(e);
	slice_count(s, e, -1);
	nd_kube_slice_deinit(&e->obj);
	nd_kmap_del(&s->slices, &e->kn);
	free(e);
	ND_KUBE_STAT_SUB(s, slices, 1);
	return g != NULL ? render_group(s, g) : 0;
}

static int del_slice_locked(struct nd_kube_store *s, const char *ns,
			    const char *name)
{
	char key[ND_KUBE_NAME_MAX + ND_KUBE_FQDN_MAX];

	if (s == NULL || !is_valid(ns, ND_KUBE_NAME_MAX) ||
	    !is_valid(name, ND_KUBE_FQDN_MAX))
		return -EINVAL;
	ensure_registered();

	int n = snprintf(key, sizeof(key), "%s/%s", ns, name);
	struct nd_kmap_node *kn = nd_kmap_get(&s->slices, key, (size_t)n);

	if (kn == NULL)
		return 0;
	return del_slice(s, caa_container_of(kn, struct slice_ent, kn));
}

/* --- Namespaces -------------------------------------------------------- */

static int put_namespace_locked(struct nd_kube_store *s, const char *name)
{
	if (s == NULL || !is_valid(name, ND_KUBE_NAME_MAX))
		return -EINVAL;
	ensure_registered();

	size_t len = strlen(name);
	struct nd_kmap_node *kn = nd_kmap_get(&s->namespaces, name, len);

	if (kn != NULL) {
		caa_container_of(kn, struct ns_ent, kn)->gen =
			s->gen[ND_KIND_NAMESPACE];
		return 0;
	}

	struct ns_ent *e = calloc(1, sizeof(*e) + len + 1);
	struct nd_kube_nameset ns;
	int r;

	if (e == NULL)
		return -ENOMEM;
	memcpy(e->name, name, len + 1);
	e->kn.key = e->name;
	e->kn.key_len = len;
	e->gen = s->gen[ND_KIND_NAMESPACE];
	nd_kube_nameset_init(&ns);
	r = nd_kube_names_namespace(&s->zone, name, &ns);
	if (r == 0)
		r = nd_kube_nameset_finish(&ns);
	if (r == 0)
		r = nd_kube_table_apply(s, &e->cs, &ns);
	nd_kube_nameset_deinit(&ns);
	if (r < 0 && e->cs.n == 0) {
		free(e->cs.v);
		free(e);
		return r;
	}
	nd_kmap_put(&s->namespaces, &e->kn);
	ND_KUBE_STAT_ADD(s, namespaces, 1);
	ND_KUBE_STAT_ADD(s, object_bytes, sizeof(*e) + len + 1);
	bump_serial(s);
	return r < 0 ? r : 0;
}

static int del_namespace(struct nd_kube_store *s, struct ns_ent *e)
{
	/* Withdrawing names that only exist never renders, so this cannot
	 * fail half-way. */
	int r = nd_kube_table_clear(s, &e->cs);

	nd_kmap_del(&s->namespaces, &e->kn);
	ND_KUBE_STAT_SUB(s, object_bytes, sizeof(*e) + e->kn.key_len + 1);
	free(e->cs.v);
	free(e);
	ND_KUBE_STAT_SUB(s, namespaces, 1);
	bump_serial(s);
	return r < 0 ? r : 0;
}

static int del_namespace_locked(struct nd_kube_store *s, const char *name)
{
	if (s == NULL || !is_valid(name, ND_KUBE_NAME_MAX))
		return -EINVAL;
	ensure_registered();

	struct nd_kmap_node *kn =
		nd_kmap_get(&s->namespaces, name, strlen(name));

	if (kn == NULL)
		return 0;
	return del_namespace(s, caa_container_of(kn, struct ns_ent, kn));
}

/* --- relist ------------------------------------------------------------ */

/* For logs; decode.c has the same names, but the store does not need
 * the JSON decoder linked in. */
static const char *const kind_name[ND_KIND_COUNT] = {
	[ND_KIND_SERVICE] = "services",
	[ND_KIND_SLICE] = "endpointslices",
	[ND_KIND_NAMESPACE] = "namespaces",
};

static void relist_begin_locked(struct nd_kube_store *s, enum nd_kube_kind k)
{
	if (s == NULL || k < 0 || k >= ND_KIND_COUNT)
		return;
	/* Every object put from now on carries the new generation; those
	 * still on the old one at relist_end were not in the list. */
	s->gen[k]++;
}

static size_t relist_end_locked(struct nd_kube_store *s, enum nd_kube_kind k)
{
	size_t deleted = 0;
	struct nd_kmap_node *kn, *next;

	if (s == NULL || k < 0 || k >= ND_KIND_COUNT)
		return 0;
	ensure_registered();

	uint32_t gen = s->gen[k];

	switch (k) {
	case ND_KIND_SERVICE:
		for (kn = nd_kmap_first(&s->groups); kn; kn = next) {
			struct group *g =
				caa_container_of(kn, struct group, kn);

			next = nd_kmap_next(&s->groups, kn);
			if (g->has_svc && g->gen != gen) {
				del_service(s, g);
				deleted++;
			}
		}
		break;
	case ND_KIND_SLICE:
		for (kn = nd_kmap_first(&s->slices); kn; kn = next) {
			struct slice_ent *e =
				caa_container_of(kn, struct slice_ent, kn);

			next = nd_kmap_next(&s->slices, kn);
			if (e->gen != gen) {
				del_slice(s, e);
				deleted++;
			}
		}
		break;
	case ND_KIND_NAMESPACE:
		for (kn = nd_kmap_first(&s->namespaces); kn; kn = next) {
			struct ns_ent *e =
				caa_container_of(kn, struct ns_ent, kn);

			next = nd_kmap_next(&s->namespaces, kn);
			if (e->gen != gen) {
				del_namespace(s, e);
				deleted++;
			}
		}
		break;
	default:
		break;
	}
	if (deleted > 0)
		nd_info("kube", "relist of %s removed %zu objects",
			kind_name[k], deleted);
	return deleted;
}

/* --- the store --------------------------------------------------------- */

/* The SOA a negative answer carries for names under owner. */
static int soa_rr_init(struct nd_kube_store *s, struct nd_kube_soa_rr *soa,
		       const uint8_t *owner, size_t owner_len)
{
	uint8_t rd[ND_KUBE_SOA_RDATA_MAX];
	int n = nd_kube_soa_rdata(&s->zone, 0, rd, sizeof(rd));

	if (n < 0 || owner_len + 10 + (size_t)n > sizeof(soa->rr))
		return -EINVAL;

	uint8_t *p = soa->rr;

	memcpy(p, owner, owner_len);
	p += owner_len;
	nd_put16(p, ND_TYPE_SOA);
	nd_put16(p + 2, ND_CLASS_IN);
	soa->ttl_off = (uint16_t)(p + 4 - soa->rr);
	/* RFC 2308 3: the SOA of a negative answer is the negative TTL. */
	nd_put32(p + 4, s->zone.ttl_s);
	nd_put16(p + 8, (uint16_t)n);
	p += 10;
	memcpy(p, rd, (size_t)n);
	soa->serial_off = (uint16_t)(p + n - 20 - soa->rr);
	soa->len = (uint16_t)(p + n - soa->rr);
	return 0;
}

struct nd_kube_store *nd_kube_store_new(const struct nd_kube_store_options *o)
{
	static const uint8_t v4[] = ND_KUBE_V4_TREE;
	static const uint8_t v6[] = ND_KUBE_V6_TREE;

	if (o == NULL || o->zone == NULL ||
	    (o->pods != ND_PODS_DISABLED &&
	     o->pods != ND_PODS_INSECURE &&
	     o->pods != ND_PODS_VERIFIED))
		return NULL;

	struct nd_kube_store *s = calloc(1, sizeof(*s));
	struct nd_kube_nameset ns;

	if (s == NULL)
		return NULL;
	{
		pthread_mutexattr_t a;

		pthread_mutexattr_init(&a);
		pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&s->wlock, &a);
		pthread_mutexattr_destroy(&a);
	}
	if (nd_kube_zone_init(&s->zone, o->zone, o->ttl_s, o->pods) < 0) {
		nd_err("kube", "cluster zone '%s' is not a usable name",
		       o->zone);
		pthread_mutex_destroy(&s->wlock);
		free(s);
		return NULL;
	}
	s->zone.max_records = o->max_service_records;
	s->max_bytes = o->max_bytes;
	s->stats.max_bytes = o->max_bytes;
	ensure_registered();
	s->seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32();
	/* Serial 1 at start: a counter, since resolver/ reads no clock. */
	s->serial = 1;
	if (nd_kmap_init(&s->wnames) < 0 || nd_kmap_init(&s->groups) < 0 ||
	    nd_kmap_init(&s->slices) < 0 || nd_kmap_init(&s->namespaces) < 0 ||
	    nd_kmap_init(&s->pod_refs) < 0)
		goto fail;
	/* No CDS_LFHT_AUTO_RESIZE: the writer sizes it (table.c). */
	s->names = cds_lfht_new_flavor(ND_KUBE_NAMES_MIN_BUCKETS, 64, 0, 0,
				       &urcu_memb_flavor, NULL);
	if (s->names == NULL)
		goto fail;
	s->names_buckets = ND_KUBE_NAMES_MIN_BUCKETS;
	if (o->pods == ND_PODS_VERIFIED && nd_kube_pods_init(s) < 0)
		goto fail;
	if (soa_rr_init(s, &s->soa[ND_KUBE_SOA_ZONE], s->zone.apex,
			s->zone.apex_len) < 0 ||
	    soa_rr_init(s, &s->soa[ND_KUBE_SOA_V4], v4, sizeof(v4)) < 0 ||
	    soa_rr_init(s, &s->soa[ND_KUBE_SOA_V6], v6, sizeof(v6)) < 0)
		goto fail;

	int r;

	nd_kube_nameset_init(&ns);
	r = nd_kube_names_static(&s->zone, &ns);
	if (r == 0)
		r = nd_kube_nameset_finish(&ns);
	if (r == 0)
		r = nd_kube_table_apply(s, &s->static_cs, &ns);
	nd_kube_nameset_deinit(&ns);
	if (r < 0)
		goto fail;
	return s;
fail:
	nd_kube_store_free(s);
	return NULL;
}

void nd_kube_store_trim(struct nd_kube_store *s)
{
	if (s == NULL)
		return;
	urcu_memb_barrier();
	malloc_trim(0);
}

void nd_kube_store_free(struct nd_kube_store *s)
{
	struct nd_kmap_node *kn, *next;

	if (s == NULL)
		return;
	ensure_registered();
	for (kn = nd_kmap_first(&s->slices); kn; kn = next) {
		struct slice_ent *e =
			caa_container_of(kn, struct slice_ent, kn);

		next = nd_kmap_next(&s->slices, kn);
		nd_kube_slice_deinit(&e->obj);
		free(e);
	}
	for (kn = nd_kmap_first(&s->groups); kn; kn = next) {
		struct group *g = caa_container_of(kn, struct group, kn);

		next = nd_kmap_next(&s->groups, kn);
		nd_kube_service_deinit(&g->svc);
		nd_kube_table_forget(&g->cs);
		free(g);
	}
	for (kn = nd_kmap_first(&s->namespaces); kn; kn = next) {
		struct ns_ent *e = caa_container_of(kn, struct ns_ent, kn);

		next = nd_kmap_next(&s->namespaces, kn);
		nd_kube_table_forget(&e->cs);
		free(e);
	}
	nd_kube_table_forget(&s->static_cs);
	if (s->names != NULL)
		nd_kube_table_teardown(s);
	nd_kube_pods_teardown(s);
	/* Nodes replaced earlier wait in call_rcu queues; let them go
	 * before the table they came from. */
	urcu_memb_barrier();
	if (s->names != NULL)
		cds_lfht_destroy(s->names, NULL);
	nd_kmap_deinit(&s->wnames);
	nd_kmap_deinit(&s->groups);
	nd_kmap_deinit(&s->slices);
	nd_kmap_deinit(&s->namespaces);
	nd_kmap_deinit(&s->pod_refs);
	nd_kube_render_scratch_deinit(&s->scratch);
	free(s->retired); /* empty: every apply hands its nodes to RCU */
	pthread_mutex_destroy(&s->wlock);
	free(s);
}

void nd_kube_store_get_stats(struct nd_kube_store *s,
			     struct nd_kube_store_stats *out)
{
	if (s == NULL || out == NULL)
		return;
	out->services = __atomic_load_n(&s->stats.services, __ATOMIC_RELAXED);
	out->slices = __atomic_load_n(&s->stats.slices, __ATOMIC_RELAXED);
	out->namespaces =
		__atomic_load_n(&s->stats.namespaces, __ATOMIC_RELAXED);
	out->endpoints_ready =
		__atomic_load_n(&s->stats.endpoints_ready, __ATOMIC_RELAXED);
	out->endpoints_not_ready = __atomic_load_n(
		&s->stats.endpoints_not_ready, __ATOMIC_RELAXED);
	out->names = __atomic_load_n(&s->stats.names, __ATOMIC_RELAXED);
	out->object_bytes =
		__atomic_load_n(&s->stats.object_bytes, __ATOMIC_RELAXED);
	out->index_bytes =
		__atomic_load_n(&s->stats.index_bytes, __ATOMIC_RELAXED) +
		__atomic_load_n(&s->table_bytes, __ATOMIC_RELAXED);
	out->answer_bytes =
		__atomic_load_n(&s->stats.answer_bytes, __ATOMIC_RELAXED);
	out->bytes = out->object_bytes + out->index_bytes + out->answer_bytes;
	out->renders = __atomic_load_n(&s->stats.renders, __ATOMIC_RELAXED);
	out->truncated =
		__atomic_load_n(&s->stats.truncated, __ATOMIC_RELAXED);
	out->truncations =
		__atomic_load_n(&s->stats.truncations, __ATOMIC_RELAXED);
	out->over_budget =
		__atomic_load_n(&s->stats.over_budget, __ATOMIC_RELAXED);
	out->over_budget_total =
		__atomic_load_n(&s->stats.over_budget_total, __ATOMIC_RELAXED);
	out->names_cut =
		__atomic_load_n(&s->stats.names_cut, __ATOMIC_RELAXED);
	out->max_bytes = s->max_bytes;
}

/* --- the writer's lock --------------------------------------------------- */

/*
 * One writer at a time, and the writer's indexes read by describe.c (the
 * debug views) only between changes: the API client applies objects on
 * a thread of its own (server/kube_writer.c) while the control thread
 * serves the debug views. Readers of answers take no lock (RCU).
 */
void nd_kube_store_lock(struct nd_kube_store *s)
{
	if (s != NULL)
		pthread_mutex_lock(&s->wlock);
}

void nd_kube_store_unlock(struct nd_kube_store *s)
{
	if (s != NULL)
		pthread_mutex_unlock(&s->wlock);
}

int nd_kube_store_put_service(struct nd_kube_store *s,
			      struct nd_kube_service *obj)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = put_service_locked(s, obj);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_store_del_service(struct nd_kube_store *s, const char *ns,
			      const char *name)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = del_service_locked(s, ns, name);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_store_put_slice(struct nd_kube_store *s, struct nd_kube_slice *obj)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = put_slice_locked(s, obj);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_store_del_slice(struct nd_kube_store *s, const char *ns,
			    const char *name)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = del_slice_locked(s, ns, name);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_store_put_namespace(struct nd_kube_store *s, const char *name)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = put_namespace_locked(s, name);
	nd_kube_store_unlock(s);
	return r;
}

int nd_kube_store_del_namespace(struct nd_kube_store *s, const char *name)
{
	int r;

	if (s == NULL)
		return -EINVAL;
	nd_kube_store_lock(s);
	r = del_namespace_locked(s, name);
	nd_kube_store_unlock(s);
	return r;
}

void nd_kube_store_relist_begin(struct nd_kube_store *s, enum nd_kube_kind k)
{
	if (s == NULL)
		return;
	nd_kube_store_lock(s);
	relist_begin_locked(s, k);
	nd_kube_store_unlock(s);
}

size_t nd_kube_store_relist_end(struct nd_kube_store *s, enum nd_kube_kind k)
{
	size_t r;

	if (s == NULL)
		return 0;
	nd_kube_store_lock(s);
	r = relist_end_locked(s, k);
	nd_kube_store_unlock(s);
	return r;
}
