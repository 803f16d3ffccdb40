/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/status: the daemon on one screen (nodednsctl status): version,
 * uptime, where the cluster zone comes from and whether it is synced, the
 * cache, each upstream's health, the log level, the last reload. */
#include "server/debug_view.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "kube/store.h"
#include "resolver/cache.h"
#include "server/daemon.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"

#include "version.h" /* generated at the top of the build tree */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

static bool add_str(cJSON *o, const char *k, const char *v)
{
	return cJSON_AddStringToObject(o, k, v) != NULL;
}

static bool add_num(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) != NULL;
}

static bool add_addr(cJSON *o, const char *k, const struct sockaddr_storage *ss)
{
	char b[ND_ADDR_STRLEN];

	nd_addr_format((const struct sockaddr *)ss, b, sizeof(b));
	return add_str(o, k, b);
}

/* A monotonic ms time as {"time": RFC 3339, "age_s"} under key. */
static bool add_when(cJSON *o, const char *k, uint64_t mono_ms,
		     uint64_t now_ms, uint64_t wall_ms)
{
	cJSON *w = cJSON_AddObjectToObject(o, k);
	char ts[40];
	uint64_t ago = now_ms > mono_ms ? now_ms - mono_ms : 0;

	return w != NULL &&
	       add_str(w, "time", nd_clock_rfc3339(wall_ms - ago, ts,
						   sizeof(ts))) &&
	       add_num(w, "age_s", (double)ago / 1000.0);
}

static bool add_cluster(struct nd_daemon *d, cJSON *doc)
{
	cJSON *k = cJSON_AddObjectToObject(doc, "cluster");
	struct nd_kube_store_stats st;
	const char *source = "none";

	if (k == NULL)
		return false;
	if (d->kube != NULL)
		source = d->cfg.kube_snapshot != NULL ? "snapshot" : "api";
	if (!add_str(k, "source", source) || !add_str(k, "zone",
						      d->cfg.cluster_domain))
		return false;
	if (d->kube == NULL)
		return add_str(k, "state", "no Kubernetes source: every name "
					   "is forwarded");
	nd_kube_store_get_stats(d->kube, &st);
	return add_str(k, "state",
		       nd_daemon_kube_synced(d)
			   ? "synced"
			   : "syncing: cluster names get SERVFAIL until the "
			     "first full list") &&
	       (d->cfg.kube_snapshot == NULL ||
		add_str(k, "snapshot", d->cfg.kube_snapshot)) &&
	       add_num(k, "services", (double)st.services) &&
	       add_num(k, "endpoints_ready", (double)st.endpoints_ready) &&
	       add_num(k, "endpoints_not_ready",
		       (double)st.endpoints_not_ready) &&
	       add_num(k, "namespaces", (double)st.namespaces) &&
	       add_num(k, "names", (double)st.names);
}

static bool add_cache(struct nd_daemon *d, cJSON *doc)
{
	cJSON *c = cJSON_AddObjectToObject(doc, "cache");
	struct nd_cache_stats st;

	nd_cache_get_stats(d->cache, &st);
	return c != NULL && add_num(c, "entries", (double)st.entries) &&
	       add_num(c, "bytes", (double)st.bytes) &&
	       add_num(c, "max_bytes", (double)d->cfg.cache_bytes) &&
	       add_num(c, "evictions", (double)st.evictions) &&
	       add_num(c, "expired", (double)st.expired);
}

/* The upstreams view's list, with a one-word health per upstream. */
static int add_upstreams(struct nd_daemon *d, cJSON *doc)
{
	cJSON *up = NULL, *arr, *u;
	int r = nd_debug_view_upstreams(d, NULL, &up);

	if (r != 200) {
		cJSON_Delete(up);
		return r < 0 ? r : -EIO;
	}
	arr = cJSON_DetachItemFromObjectCaseSensitive(up, "upstreams");
	cJSON_Delete(up);
	if (arr == NULL || !cJSON_AddItemToObject(doc, "upstreams", arr)) {
		cJSON_Delete(arr);
		return -ENOMEM;
	}
	cJSON_ArrayForEach(u, arr)
	{
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(
		    u, "failing_in_a_row");
		const cJSON *req = cJSON_GetObjectItemCaseSensitive(u,
								    "requests");
		const char *health = "ok";

		if (cJSON_IsTrue(
			cJSON_GetObjectItemCaseSensitive(u, "forwards_to_us")))
			health = "loop: forwards back to us, skipped";
		else if (cJSON_IsNumber(f) && f->valuedouble > 0)
			health = "failing";
		else if (cJSON_IsNumber(req) && req->valuedouble == 0)
			health = "not asked yet";
		if (!add_str(u, "health", health))
			return -ENOMEM;
	}
	return 0;
}

int nd_debug_view_status(struct nd_daemon *d, const struct nd_qs *params,
			 cJSON **doc)
{
	uint64_t now_ms = nd_clock_ms(), wall_ms = nd_clock_wall_ms();
	bool is_stopping =
	    __atomic_load_n(&d->is_stopping, __ATOMIC_RELAXED) != 0;
	int lvl = nd_log_get_level();
	cJSON *l;
	int r;

	(void)params;
	*doc = cJSON_CreateObject();
	if (*doc == NULL || !add_str(*doc, "version", ND_VERSION) ||
	    !add_str(*doc, "revision", ND_REVISION) ||
	    !add_when(*doc, "started", d->start_ms, now_ms, wall_ms) ||
	    !add_num(*doc, "uptime_s",
		     (double)((now_ms - d->start_ms) / 1000)) ||
	    !add_str(*doc, "state",
		     is_stopping ? "stopping"
		     : nd_daemon_kube_synced(d)
			 ? "ready"
			 : "not ready: the cluster zone is syncing") ||
	    !add_str(*doc, "log_level",
		     lvl >= 0 && lvl <= 3 ? level_names[lvl] : "?") ||
	    !add_num(*doc, "workers", d->n_workers) ||
	    (l = cJSON_AddArrayToObject(*doc, "listen")) == NULL)
		goto nomem;
	for (size_t i = 0; i < d->cfg.n_listen; i++) {
		char b[ND_ADDR_STRLEN];
		cJSON *s;

		nd_addr_format((const struct sockaddr *)&d->cfg.listen[i], b,
			       sizeof(b));
		if ((s = cJSON_CreateString(b)) == NULL)
			goto nomem;
		cJSON_AddItemToArray(l, s);
	}
	if (!add_addr(*doc, "http_listen", &d->cfg.http_listen) ||
	    !add_addr(*doc, "debug_listen", &d->cfg.debug_listen) ||
	    (d->cfg.config_file != NULL
		 ? !add_str(*doc, "config_file", d->cfg.config_file)
		 : cJSON_AddNullToObject(*doc, "config_file") == NULL) ||
	    !add_cluster(d, *doc) || !add_cache(d, *doc))
		goto nomem;
	r = add_upstreams(d, *doc);
	if (r < 0) {
		cJSON_Delete(*doc);
		*doc = NULL;
		return r;
	}
	if (d->reload_ms != 0) {
		if (!add_when(*doc, "last_reload", d->reload_ms, now_ms,
			      wall_ms) ||
		    !add_str(cJSON_GetObjectItemCaseSensitive(*doc,
							      "last_reload"),
			     "outcome", d->reload_outcome))
			goto nomem;
	} else if (cJSON_AddNullToObject(*doc, "last_reload") == NULL) {
		goto nomem;
	}
	return 200;
nomem:
	cJSON_Delete(*doc);
	*doc = NULL;
	return -ENOMEM;
}
