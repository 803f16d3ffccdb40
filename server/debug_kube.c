/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/kube: where the list/watch of each resource is (state, how long,
 * resourceVersion, failures, the last wait), so an operator, and a test,
 * can see that nodedns is watching rather than guess it from a clock. */
#include "server/debug_view.h"

#include <errno.h>

#include "kube/sync.h"
#include "server/daemon.h"
#include "server/kube_client.h"
#include "util/clock.h"

static cJSON *resource_json(const struct nd_kube_watch_info *wi,
			    const struct nd_kube_client_stats *st)
{
	cJSON *o = cJSON_CreateObject(), *r, *t;
	int k = (int)wi->kind;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "resource", nd_kube_kind_name(wi->kind));
	cJSON_AddStringToObject(o, "state", nd_kube_sync_state_name(wi->state));
	cJSON_AddNumberToObject(o, "state_ms", (double)wi->state_age_ms);
	cJSON_AddBoolToObject(o, "synced", wi->is_synced);
	cJSON_AddStringToObject(o, "resourceVersion", wi->rv);
	cJSON_AddNumberToObject(o, "failures_in_a_row", wi->failures);
	cJSON_AddNumberToObject(o, "short_watches_in_a_row",
				wi->short_watches);
	cJSON_AddNumberToObject(o, "last_wait_ms", wi->last_delay_ms);
	cJSON_AddNumberToObject(o, "wait_max_ms", wi->backoff_max_ms);
	cJSON_AddNumberToObject(o, "lists", (double)st->lists[k]);
	cJSON_AddNumberToObject(o, "api_errors", (double)st->api_errors[k]);
	r = cJSON_AddObjectToObject(o, "restarts");
	for (int i = 0; r != NULL && i < ND_KUBE_RESTART_REASONS; i++)
		cJSON_AddNumberToObject(
			r, nd_kube_restart_reason_name(
				   (enum nd_kube_restart_reason)i),
			(double)st->restarts[k][i]);
	t = cJSON_AddObjectToObject(o, "retries");
	for (int i = 0; t != NULL && i < ND_KUBE_RETRY_REASONS; i++)
		cJSON_AddNumberToObject(
			t, nd_kube_retry_reason_name(
				   (enum nd_kube_retry_reason)i),
			(double)st->retries[k][i]);
	return o;
}

int nd_debug_view_kube(struct nd_daemon *d, const struct nd_qs *params,
		       cJSON **doc)
{
	struct nd_kube_watch_info wi[ND_KIND_COUNT];
	struct nd_kube_client_stats st;
	cJSON *o, *arr;

	(void)params;
	*doc = NULL;
	if (d->kube_client == NULL) {
		*doc = nd_debug_error(d->kube != NULL ?
					      "the cluster zone comes from a snapshot file, not the API" :
					      "no Kubernetes API is configured");
		return *doc ? 404 : -ENOMEM;
	}
	o = cJSON_CreateObject();
	if (o == NULL)
		return -ENOMEM;
	nd_kube_client_watch_info(d->kube_client, nd_clock_ms(), wi);
	nd_kube_client_get_stats(d->kube_client, &st);
	cJSON_AddBoolToObject(o, "synced", st.is_synced != 0);
	arr = cJSON_AddArrayToObject(o, "resources");
	for (int k = 0; arr != NULL && k < ND_KIND_COUNT; k++) {
		cJSON *r = resource_json(&wi[k], &st);

		if (r == NULL || !cJSON_AddItemToArray(arr, r)) {
			cJSON_Delete(r);
			cJSON_Delete(o);
			return -ENOMEM;
		}
	}
	if (arr == NULL) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	*doc = o;
	return 200;
}
