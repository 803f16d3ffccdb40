/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/runtime_reap.h"

#include "server/daemon.h"
#include "server/worker_internal.h"
#include "util/prom.h"

/* The oldest runtime generation a worker still uses. */
static uint64_t oldest_in_use(const struct nd_daemon *d)
{
	uint64_t min = UINT64_MAX;

	for (unsigned i = 0; d->workers != NULL && i < d->n_workers; i++) {
		uint64_t g = __atomic_load_n(&d->workers[i]->rt_gen,
					     __ATOMIC_ACQUIRE);

		if (g < min)
			min = g;
	}
	return min;
}

size_t nd_runtime_reap(struct nd_daemon *d, uint64_t now_ms,
		       uint64_t grace_ms,
		       void (*free_fn)(struct nd_runtime *rt))
{
	struct nd_runtime *cur = d->rt, **link, *r;
	uint64_t oldest = oldest_in_use(d);
	size_t kept = 0;

	if (cur == NULL)
		return 0;
	link = &cur->retired_next;
	while ((r = *link) != NULL) {
		if (oldest > r->gen && r->left_ms == 0)
			r->left_ms = now_ms; /* the last worker left it */
		if (r->left_ms != 0 && now_ms - r->left_ms >= grace_ms) {
			*link = r->retired_next;
			free_fn(r);
			continue;
		}
		kept++;
		link = &r->retired_next;
	}
	return kept;
}

size_t nd_runtime_retired(const struct nd_daemon *d)
{
	size_t n = 0;

	for (const struct nd_runtime *r = d->rt ? d->rt->retired_next : NULL;
	     r != NULL; r = r->retired_next)
		n++;
	return n;
}

int nd_runtime_render_metrics(size_t kept, char **text, size_t *len)
{
	struct nd_prom b;

	nd_prom_attach(&b, *text, *len);
	nd_prom_family(&b, "nodedns_runtimes_retired", "gauge",
		       "Configuration snapshots replaced by SIGHUP and not "
		       "freed yet (a worker or a fetch may still use them; "
		       "freed after --query-timeout twice and a second).");
	nd_prom_sample(&b, "nodedns_runtimes_retired", NULL, 0, kept);
	return nd_prom_finish(&b, text, len);
}
