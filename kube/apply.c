/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/apply.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kube/objects.h"
#include "kube/store.h"
#include "util/errors.h"

/* metadata.<key> as a string, or NULL. */
static const char *meta_str(const cJSON *obj, const char *key)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Prefix err with "<ns>/<name>: " so a log line names its object. */
static void name_err(const cJSON *obj, char *err, size_t errlen)
{
	const char *ns = meta_str(obj, "namespace");
	const char *name = meta_str(obj, "name");
	char reason[256];

	if (err == NULL || errlen == 0 || name == NULL)
		return;
	snprintf(reason, sizeof(reason), "%s", err);
	snprintf(err, errlen, "%.63s%s%.253s: %s", ns ? ns : "", ns ? "/" : "",
		 name, reason);
}

/* The store's own failures are memory or a contract breach, not the object. */
static int store_rc(int rc, char *err, size_t errlen)
{
	if (rc != 0 && err != NULL && errlen > 0)
		snprintf(err, errlen, "store: %s", nd_strerror(rc));
	return rc;
}

int nd_kube_apply_put(struct nd_kube_store *s, enum nd_kube_kind kind,
		     const struct cJSON *obj, char *err, size_t errlen)
{
	struct nd_kube_service svc;
	struct nd_kube_slice sl;
	char name[ND_KUBE_NAME_MAX], rv[ND_KUBE_RV_MAX];
	int rc;

	if (s == NULL || obj == NULL)
		return -EINVAL;
	switch (kind) {
	case ND_KIND_SERVICE:
		rc = nd_kube_decode_service(obj, &svc, err, errlen);
		if (rc != 0)
			break;
		rc = store_rc(nd_kube_store_put_service(s, &svc), err, errlen);
		/* The store took what it keeps; this frees the rest when
		 * the put failed. */
		nd_kube_service_deinit(&svc);
		return rc;
	case ND_KIND_SLICE:
		rc = nd_kube_decode_slice(obj, &sl, err, errlen);
		if (rc != 0)
			break;
		rc = store_rc(nd_kube_store_put_slice(s, &sl), err, errlen);
		nd_kube_slice_deinit(&sl);
		return rc;
	case ND_KIND_NAMESPACE:
		rc = nd_kube_decode_namespace(obj, name, rv, err, errlen);
		if (rc != 0)
			break;
		return store_rc(nd_kube_store_put_namespace(s, name), err,
				errlen);
	default:
		return -EINVAL;
	}
	name_err(obj, err, errlen);
	return rc;
}

int nd_kube_apply_del(struct nd_kube_store *s, enum nd_kube_kind kind,
		     const struct cJSON *obj, char *err, size_t errlen)
{
	const char *ns, *name;
	int rc;

	if (s == NULL || obj == NULL)
		return -EINVAL;
	ns = meta_str(obj, "namespace");
	name = meta_str(obj, "name");
	if (name == NULL || name[0] == '\0' ||
	    (kind != ND_KIND_NAMESPACE && (ns == NULL || ns[0] == '\0'))) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "DELETED object without %s",
				 name == NULL || name[0] == '\0' ?
					 "metadata.name" : "metadata.namespace");
		return ND_EPARSE;
	}
	switch (kind) {
	case ND_KIND_SERVICE:
		rc = nd_kube_store_del_service(s, ns, name);
		break;
	case ND_KIND_SLICE:
		rc = nd_kube_store_del_slice(s, ns, name);
		break;
	case ND_KIND_NAMESPACE:
		rc = nd_kube_store_del_namespace(s, name);
		break;
	default:
		return -EINVAL;
	}
	/* Deleting what we never held is what a watch may well ask. */
	if (rc == -ENOENT || rc == ND_ENOTFOUND)
		rc = 0;
	return store_rc(rc, err, errlen);
}
