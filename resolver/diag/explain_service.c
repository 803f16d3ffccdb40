/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The explain engine: which Service a name means (from the candidate
 * that answered, or the likeliest one when none did), read from the store.
 */
#include "resolver/diag/explain.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "resolver/diag/explain_internal.h"
#include "resolver/diag/service_json.h"

/* dst (64 bytes) = src in lower case; src is shorter than 64. */
static void copy_lower(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i < 63; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

/* A Service a name points at. */
struct svc_ref {
	char ns[64];
	char name[64];
	char host[64]; /* "" = none */
	int search_idx; /* search domain of the candidate it came from */
};

/*
 * Read "[<host>.]<svc>.<ns>.svc.<zone>." (and, when !exact, deeper names
 * such as SRV names under a Service) into *out, lower case; host only for
 * exactly one label before svc. Returns false, writing nothing, for names
 * elsewhere; exact: only "<svc>.<ns>.svc.<zone>." itself.
 */
static bool parse_svc_name(const struct nd_explain *e, const char *name,
			   bool exact, struct svc_ref *out)
{
	char suffix[300], rel[ND_EXPLAIN_TEXT], tsvc[64], tns[64], thost[64];
	size_t n = strlen(name), sn;

	snprintf(suffix, sizeof(suffix), ".svc.%s.", e->zone);
	sn = strlen(suffix);
	if (n <= sn || n - sn >= sizeof(rel) ||
	    strcasecmp(name + n - sn, suffix) != 0)
		return false;
	memcpy(rel, name, n - sn);
	rel[n - sn] = '\0';

	char *dot_ns = strrchr(rel, '.');

	if (dot_ns == NULL)
		return false;
	*dot_ns = '\0';

	char *dot_svc = strrchr(rel, '.');
	const char *svc = dot_svc ? dot_svc + 1 : rel;

	if ((exact && dot_svc != NULL) || strlen(svc) >= 64 ||
	    strlen(dot_ns + 1) >= 64)
		return false;
	copy_lower(tsvc, svc);
	copy_lower(tns, dot_ns + 1);
	if (!nd_diag_is_label(tsvc) || !nd_diag_is_label(tns))
		return false;
	thost[0] = '\0';
	if (dot_svc != NULL) {
		*dot_svc = '\0';
		if (strchr(rel, '.') == NULL && strlen(rel) < 64)
			copy_lower(thost, rel);
	}
	memcpy(out->name, tsvc, sizeof(tsvc));
	memcpy(out->ns, tns, sizeof(tns));
	memcpy(out->host, thost, sizeof(thost));
	return true;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool svc_exists(struct nd_kube_store *kube, const struct svc_ref *r)
{
	struct nd_kube_desc_list l;
	bool found =
	    kube != NULL &&
	    nd_kube_describe_services(kube, r->ns, r->name, &l) == 0 &&
	    l.n == 1;

	if (found)
		nd_kube_desc_list_deinit(&l);
	return found;
}

/*
 * Nothing answered: the Service the user most likely meant. Among the
 * candidates, plain Service names first, then names under a Service (a
 * headless pod's hostname); one that exists wins, else the first seen.
 */
static bool guess_service(struct nd_kube_store *kube,
			  const struct nd_explain *e, struct svc_ref *out)
{
	struct svc_ref r;
	bool has_first = false;

	for (int exact = 1; exact >= 0; exact--) {
		for (size_t i = 0; i < e->n_cand; i++) {
			if (!e->cand[i].is_tried ||
			    !parse_svc_name(e, e->cand[i].name, exact, &r))
				continue;
			r.search_idx = e->cand[i].search_idx;
			if (svc_exists(kube, &r)) {
				*out = r;
				return true;
			}
			if (!has_first) {
				*out = r;
				has_first = true;
			}
		}
	}
	return has_first;
}

int nd_explain_find_service(struct nd_kube_store *kube, struct nd_explain *e)
{
	struct nd_kube_desc_list l;
	struct svc_ref ref;
	bool has_ref = false;
	char base[256], tail[300];
	int r;

	if (e->answered >= 0 &&
	    e->cand[e->answered].source == ND_EXPLAIN_CLUSTER) {
		has_ref =
		    parse_svc_name(e, e->cand[e->answered].name, false, &ref);
		ref.search_idx = e->cand[e->answered].search_idx;
	} else if (e->answered < 0) {
		has_ref = guess_service(kube, e, &ref);
	}
	if (has_ref) {
		memcpy(e->svc_ns, ref.ns, sizeof(ref.ns));
		memcpy(e->svc_name, ref.name, sizeof(ref.name));
		memcpy(e->svc_host, ref.host, sizeof(ref.host));
		/* Search domain 0 is "<client ns>.svc.<zone>": with it the
		 * namespace comes from the search list, not from the name. */
		e->is_ns_typed = ref.search_idx != 0;
	}

	/* Typed as a Service name? "web", or anything ending in .svc or
	 * .svc.<zone>; see also is_ns_known below. */
	snprintf(base, sizeof(base), "%s", e->name);
	if (e->is_absolute)
		base[strlen(base) - 1] = '\0';
	snprintf(tail, sizeof(tail), ".svc.%s", e->zone);
	e->is_svc_intent = (e->dots == 0 && !e->is_absolute) ||
			   ends_with_ci(base, ".svc") ||
			   ends_with_ci(base, tail);
	if (kube == NULL || !has_ref)
		return 0;
	r = nd_kube_describe_services(kube, e->svc_ns, NULL, &l);
	if (r < 0)
		return r;
	e->is_ns_known = l.n > 0;
	nd_kube_desc_list_deinit(&l);
	r = nd_kube_describe_services(kube, e->svc_ns, e->svc_name, &e->svc);
	if (r == 0)
		r = nd_kube_describe_services(kube, NULL, e->svc_name,
					      &e->same_name);
	/*
	 * "web.shop", "web-0.web.shop": the name points into a namespace
	 * that holds Services, so a Service is what was meant. Not so when
	 * the namespace is only the client's own from the search list:
	 * "api.example.com" read as "<host>.<svc com>.<ns default>" means
	 * no Service (a name outside the cluster zone), unless that Service
	 * exists ("web-0.web", a headless pod typed relative).
	 */
	if (e->is_ns_known && (e->is_ns_typed || e->svc.n == 1))
		e->is_svc_intent = true;
	return r;
}
