/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/services: every Service the cluster zone holds, with its endpoints. */
#include "server/debug_view.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/describe.h"
#include "kube/store.h"
#include "server/daemon.h"

static bool add_str(cJSON *o, const char *key, const char *v)
{
	return cJSON_AddStringToObject(o, key, v) != NULL;
}

static bool add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool add_bool(cJSON *o, const char *key, bool v)
{
	return cJSON_AddBoolToObject(o, key, v) != NULL;
}

/* The document of the Services in ns (NULL: all). */
static int services_doc(struct nd_daemon *d, const char *ns, cJSON **doc)
{
	struct nd_kube_desc_list l;
	cJSON *arr;
	int r;

	r = nd_kube_describe_services(d->kube, ns, NULL, &l);
	if (r < 0)
		return r;
	*doc = cJSON_CreateObject();
	if (*doc == NULL || (ns != NULL && !add_str(*doc, "namespace", ns)) ||
	    !add_bool(*doc, "synced", nd_daemon_kube_synced(d)) ||
	    !add_num(*doc, "count", (double)l.n))
		goto nomem;
	arr = cJSON_AddArrayToObject(*doc, "services");
	if (arr == NULL)
		goto nomem;
	for (size_t i = 0; i < l.n; i++) {
		cJSON *s = nd_diag_service_json(&l.v[i]);

		if (s == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, s);
	}
	nd_kube_desc_list_deinit(&l);
	return 200;
nomem:
	nd_kube_desc_list_deinit(&l);
	cJSON_Delete(*doc);
	*doc = NULL;
	return -ENOMEM;
}

int nd_debug_view_services(struct nd_daemon *d, const struct nd_qs *params,
			   cJSON **doc)
{
	const char *ns = nd_debug_param(params, "namespace");
	int r;

	*doc = NULL;
	if (ns != NULL && !nd_diag_is_label(ns)) {
		*doc = nd_debug_error("namespace '%.80s' is not a valid "
				      "namespace name",
				      ns);
		return 400;
	}
	if (d->kube == NULL) {
		*doc = nd_debug_error("no Kubernetes source configured "
				      "(--kube-api, --kubeconfig or "
				      "--kube-snapshot): every name is "
				      "forwarded");
		return 404;
	}
	/* The list borrows from the store: no change until the document is
	 * written (the API client applies changes on a thread of its own). */
	nd_kube_store_lock(d->kube);
	r = services_doc(d, ns, doc);
	nd_kube_store_unlock(d->kube);
	return r;
}
