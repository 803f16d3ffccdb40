/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kube/apply.h"
#include "kube/decode.h"
#include "kube/store.h"
#include "util/errors.h"
#include "util/log.h"

#define BAD_LOGGED_MAX 10 /* bad items logged one by one */

/* The kind of a typed list ("ServiceList"), whose items carry no kind. */
static enum nd_kube_kind list_kind(const char *kind)
{
	if (strcmp(kind, "ServiceList") == 0)
		return ND_KIND_SERVICE;
	if (strcmp(kind, "EndpointSliceList") == 0)
		return ND_KIND_SLICE;
	if (strcmp(kind, "NamespaceList") == 0)
		return ND_KIND_NAMESPACE;
	return ND_KIND_UNKNOWN;
}

int nd_kube_snapshot_apply(struct nd_kube_store *store, const char *text,
			   size_t len, const char *name, char *err,
			   size_t errlen)
{
	char dummy[1], why[256];
	const cJSON *kind, *items, *it;
	enum nd_kube_kind typed = ND_KIND_UNKNOWN;
	size_t counts[ND_KIND_COUNT] = { 0 }, removed = 0;
	int bad = 0, rc;
	cJSON *root;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (store == NULL || text == NULL || name == NULL)
		return -EINVAL;
	root = cJSON_ParseWithLength(text, len);
	kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
	items = cJSON_GetObjectItemCaseSensitive(root, "items");
	if (cJSON_IsString(kind))
		typed = list_kind(kind->valuestring);
	if (root == NULL || !cJSON_IsArray(items) || !cJSON_IsString(kind) ||
	    (strcmp(kind->valuestring, "List") != 0 &&
	     typed == ND_KIND_UNKNOWN)) {
		snprintf(err, errlen, "%s: %s", name,
			 root == NULL ? "not JSON" :
			 "not a List (want `kubectl get services,endpointslices,namespaces -A -o json`)");
		cJSON_Delete(root);
		return ND_EPARSE;
	}
	for (int k = 0; k < ND_KIND_COUNT; k++)
		nd_kube_store_relist_begin(store, (enum nd_kube_kind)k);
	cJSON_ArrayForEach(it, items) {
		enum nd_kube_kind k = typed != ND_KIND_UNKNOWN ?
					      typed : nd_kube_object_kind(it);

		if (k == ND_KIND_UNKNOWN)
			continue;
		rc = nd_kube_apply_put(store, k, it, why, sizeof(why));
		if (rc == 0) {
			counts[k]++;
			continue;
		}
		if (++bad <= BAD_LOGGED_MAX)
			nd_warn("kube", "%s: skipped one of the %s: %s", name,
				nd_kube_kind_name(k), why);
	}
	for (int k = 0; k < ND_KIND_COUNT; k++)
		removed += nd_kube_store_relist_end(store,
						    (enum nd_kube_kind)k);
	cJSON_Delete(root);
	if (bad > BAD_LOGGED_MAX)
		nd_warn("kube", "%s: %d more bad items skipped", name,
			bad - BAD_LOGGED_MAX);
	nd_info("kube", "%s: loaded %zu services, %zu endpointslices, %zu namespaces (%d skipped, %zu removed)",
		name, counts[ND_KIND_SERVICE], counts[ND_KIND_SLICE],
		counts[ND_KIND_NAMESPACE], bad, removed);
	return bad;
}
