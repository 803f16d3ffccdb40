/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/upstream_counters.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "resolver/upstream_rows.h"
#include "resolver/upstream_trust.h"
#include "server/daemon.h"
#include "server/worker.h"
#include "util/clock.h"

struct nd_upstream_counters {
	struct nd_upstream_rows rows; /* which address owns which row */
	struct nd_metrics base;	      /* row values when they were
					 restarted (only the per-upstream
					 fields are used) */
};

struct nd_upstream_counters *nd_upstream_counters_new(void)
{
	struct nd_upstream_counters *uc = calloc(1, sizeof(*uc));

	if (uc != NULL)
		nd_upstream_rows_init(&uc->rows);
	return uc;
}

void nd_upstream_counters_free(struct nd_upstream_counters *uc)
{
	free(uc);
}

int nd_upstream_counters_assign(struct nd_upstream_counters *uc,
				struct nd_daemon *d, struct nd_runtime *rt)
{
	bool fresh[ND_UPSTREAM_ROWS];
	int rc;

	if (uc == NULL || d == NULL || rt == NULL)
		return -EINVAL;
	/* At start-up there are no workers yet: their counters are 0. */
	struct nd_metrics *ms[d->n_workers + 1];
	size_t nw = d->workers != NULL ? d->n_workers : 0;

	for (size_t w = 0; w < nw; w++)
		ms[w] = nd_worker_metrics(d->workers[w]);
	rc = nd_upstream_rows_assign(&uc->rows,
				     (const char *const *)rt->upstream_names,
				     rt->n_slots, rt->row_of_slot, fresh);
	if (rc != 0)
		return rc;
	for (size_t row = 0; row < ND_UPSTREAM_ROWS; row++) {
		if (fresh[row])
			nd_metrics_restart_row(&uc->base, ms, nw, row);
	}
	return 0;
}

const struct nd_metrics *
nd_upstream_counters_baseline(const struct nd_upstream_counters *uc)
{
	return uc != NULL ? &uc->base : NULL;
}

/* The set and index holding slot; NULL when none. */
static const struct nd_upstreams *set_of_slot(const struct nd_runtime *rt,
					      size_t slot, size_t *index)
{
	size_t n = nd_upstreams_count(rt->ups);

	if (slot < n) {
		*index = slot;
		return rt->ups;
	}
	for (size_t z = 0; z < rt->n_zones; z++) {
		size_t base = rt->zones[z].slot_base;

		if (slot >= base &&
		    slot < base + nd_upstreams_count(rt->zones[z].ups)) {
			*index = slot - base;
			return rt->zones[z].ups;
		}
	}
	return NULL;
}

void nd_upstream_counters_gauges(const struct nd_upstream_counters *uc,
				 const struct nd_runtime *rt,
				 const char **names, uint8_t *rows,
				 struct nd_metrics_gauges *g)
{
	bool seen[ND_UPSTREAM_ROWS] = { false };
	size_t n = 0;

	for (size_t slot = 0; slot < rt->n_slots && slot < ND_UPSTREAM_ROWS;
	     slot++) {
		const struct nd_upstreams *ups;
		size_t row = rt->row_of_slot[slot], index;

		/* One series per address, even when two sets share it. */
		if (row >= ND_UPSTREAM_ROWS || seen[row])
			continue;
		seen[row] = true;
		names[n] = rt->upstream_names[slot];
		rows[n] = (uint8_t)row;
		ups = set_of_slot(rt, slot, &index);
		g->upstream_srtt_us[n] =
			ups != NULL ? nd_upstreams_srtt_us(ups, index) : 0;
		if (ups != NULL) {
			/* The set is shared; its trust records are written
			 * by the workers with atomics, read here. */
			struct nd_upstream_trust *t = nd_upstreams_trust(
				(struct nd_upstreams *)ups, index);

			g->upstream_no_0x20[n] =
				nd_trust_is_no_0x20(t, nd_clock_us());
			g->upstream_cookie[n] = nd_trust_has_server_cookie(t);
		}
		n++;
	}
	g->upstream_names = names;
	g->upstream_rows = rows;
	g->n_upstreams = n;
	g->baseline = nd_upstream_counters_baseline(uc);
}
