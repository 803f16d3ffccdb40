/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/upstreams: each upstream's smoothed RTT and how its attempts ended,
 * summed over the workers. */
#include "server/debug_view.h"

#include <errno.h>
#include <stdbool.h>

#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "server/daemon.h"
#include "server/upstream_counters.h"
#include "server/worker.h"
#include "util/clock.h"

/* A worker's counter, read whole while the worker bumps it (it is the
 * only writer; see ND_METRIC_ADD). */
static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Counter slot i, index k of the set ups; zone: its forward zone, NULL
 * for the default upstreams. */
static cJSON *upstream_json(struct nd_daemon *d, const struct nd_runtime *rt,
			    size_t i, struct nd_upstreams *ups, size_t idx,
			    const char *zone)
{
	cJSON *o = cJSON_CreateObject(), *out;
	uint64_t req = 0, tcp = 0, fails = 0, by[ND_UP_OUTCOMES] = {0};
	uint64_t rej[ND_FWD_REJ_COUNT] = { 0 };
	cJSON *rj;

	if (o == NULL)
		return NULL;
	/* Counters belong to the address (its row), from when it joined. */
	const struct nd_metrics *base = nd_upstream_counters_baseline(d->upc);
	size_t row = rt->row_of_slot[i];

	for (unsigned w = 0; w < d->n_workers; w++) {
		struct nd_metrics *m = nd_worker_metrics(d->workers[w]);

		req += load(&m->fwd_requests[row]);
		tcp += load(&m->fwd_tcp[row]);
		for (int k = 0; k < ND_UP_OUTCOMES; k++)
			by[k] += load(&m->fwd_responses[row][k]);
		for (int k = 0; k < ND_FWD_REJ_COUNT; k++)
			rej[k] += load(&m->fwd_rejected[row][k]);
	}
	if (base != NULL) {
		req -= base->fwd_requests[row];
		tcp -= base->fwd_tcp[row];
		for (int k = 0; k < ND_UP_OUTCOMES; k++)
			by[k] -= base->fwd_responses[row][k];
		for (int k = 0; k < ND_FWD_REJ_COUNT; k++)
			rej[k] -= base->fwd_rejected[row][k];
	}
	for (int k = 0; k < ND_UP_OUTCOMES; k++)
		if (k != ND_UP_OK)
			fails += by[k];
	if (cJSON_AddStringToObject(
		o, "address",
		rt->upstream_names[i] ? rt->upstream_names[i] : "?") == NULL ||
	    cJSON_AddNumberToObject(
		o, "srtt_ms", nd_upstreams_srtt_us(ups, idx) / 1000.0) ==
		NULL ||
	    (zone != NULL &&
	     cJSON_AddStringToObject(o, "zone", zone) == NULL) ||
	    cJSON_AddNumberToObject(o, "requests", (double)req) == NULL ||
	    cJSON_AddNumberToObject(o, "tcp", (double)tcp) == NULL ||
	    cJSON_AddNumberToObject(o, "failures", (double)fails) == NULL ||
	    cJSON_AddNumberToObject(o, "failing_in_a_row",
				    (double)nd_upstreams_fails(ups, idx)) ==
		NULL ||
	    cJSON_AddBoolToObject(o, "forwards_to_us",
				  nd_upstreams_is_loop(ups, idx)) == NULL ||
	    cJSON_AddBoolToObject(
		o, "no_0x20",
		nd_trust_is_no_0x20(nd_upstreams_trust(ups, idx),
				    nd_clock_us())) == NULL ||
	    cJSON_AddBoolToObject(
		o, "server_cookie",
		nd_trust_has_server_cookie(nd_upstreams_trust(ups, idx))) ==
		NULL)
		goto nomem;
	out = cJSON_AddObjectToObject(o, "outcomes");
	if (out == NULL)
		goto nomem;
	for (int k = 0; k < ND_UP_OUTCOMES; k++)
		if (cJSON_AddNumberToObject(out, nd_upstream_outcome_name(k),
					    (double)by[k]) == NULL)
			goto nomem;
	rj = cJSON_AddObjectToObject(o, "rejected");
	if (rj == NULL)
		goto nomem;
	for (int k = ND_FWD_REJ_ID; k < ND_FWD_REJ_COUNT; k++)
		if (cJSON_AddNumberToObject(rj, nd_fwd_reject_name(k),
					    (double)rej[k]) == NULL)
			goto nomem;
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

int nd_debug_view_upstreams(struct nd_daemon *d, const struct nd_qs *params,
			    cJSON **doc)
{
	struct nd_runtime *rt = nd_daemon_runtime(d);
	size_t n = nd_upstreams_count(rt->ups);
	cJSON *arr;

	(void)params;
	*doc = cJSON_CreateObject();
	if (*doc == NULL)
		return -ENOMEM;
	/* srtt 0 means "never answered yet", not "instant": say so once
	 * here rather than in every entry. */
	if (cJSON_AddStringToObject(*doc, "note",
				    "srtt_ms 0: no answer measured yet; "
				    "counters since start, all workers") ==
		NULL ||
	    (arr = cJSON_AddArrayToObject(*doc, "upstreams")) == NULL)
		goto nomem;
	for (size_t i = 0; i < n && i < ND_MAX_UPSTREAMS; i++) {
		cJSON *u = upstream_json(d, rt, i, rt->ups, i, NULL);

		if (u == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, u);
	}
	/* Then each forward zone's, with the zone named. */
	for (size_t z = 0; z < rt->n_zones; z++) {
		size_t nz = nd_upstreams_count(rt->zones[z].ups);

		for (size_t k = 0; k < nz; k++) {
			size_t slot = rt->zones[z].slot_base + k;
			cJSON *u;

			if (slot >= ND_MAX_UPSTREAM_SLOTS)
				break;
			u = upstream_json(d, rt, slot, rt->zones[z].ups, k,
					  rt->zones[z].name);
			if (u == NULL)
				goto nomem;
			cJSON_AddItemToArray(arr, u);
		}
	}
	return 200;
nomem:
	cJSON_Delete(*doc);
	*doc = NULL;
	return -ENOMEM;
}
