/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/searchlist: the search-list tracker's report, with the recent signals
 * beside it. */
#include "server/debug_view.h"

#include <errno.h>
#include <stdlib.h>

#include "resolver/diag/searchlist.h"
#include "resolver/diag/symptoms.h"
#include "server/daemon.h"
#include "util/clock.h"
#include "util/query_string.h"

#define TOP_DEFAULT 20
#define TOP_MAX	    10000

/* ?top=N: 0..TOP_MAX (0 = all, as the tracker reads it). */
static int parse_top(const char *s, size_t *out)
{
	uint64_t v;

	if (s == NULL) {
		*out = TOP_DEFAULT;
		return 0;
	}
	if (nd_qs_uint(s, TOP_MAX, &v) != 0)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* The tracker renders its own JSON text; parse it so it nests in ours. */
static int parse_into(char *json, cJSON **out)
{
	*out = json != NULL ? cJSON_Parse(json) : NULL;
	free(json);
	return *out != NULL ? 0 : -ENOMEM;
}

int nd_debug_view_searchlist(struct nd_daemon *d,
			     const struct nd_qs *params, cJSON **doc)
{
	cJSON *sig = NULL;
	char *json = NULL;
	size_t top;
	int r;

	*doc = NULL;
	if (parse_top(nd_debug_param(params, "top"), &top) < 0) {
		*doc = nd_debug_error("top must be a whole number from 0 "
				      "(all) to %d",
				      TOP_MAX);
		return 400;
	}
	if (d->searchlist == NULL) {
		*doc = nd_debug_error("the search-list tracker is off");
		return 404;
	}
	/* The tracker's windows run on the monotonic clock of the events'
	 * recv_us, which the workers take in microseconds. */
	r = nd_searchlist_render_json(d->searchlist, nd_clock_us(), top, &json);
	if (r < 0)
		return r;
	if (parse_into(json, doc) < 0)
		return -ENOMEM;
	if (d->symptoms != NULL) {
		json = NULL;
		r = nd_symptoms_render_json(d->symptoms, nd_clock_us(),
					    nd_clock_wall_ms(), &json);
		if (r < 0 || parse_into(json, &sig) < 0) {
			cJSON_Delete(*doc);
			*doc = NULL;
			return r < 0 ? r : -ENOMEM;
		}
		if (!cJSON_AddItemToObject(*doc, "signals", sig)) {
			cJSON_Delete(sig);
			cJSON_Delete(*doc);
			*doc = NULL;
			return -ENOMEM;
		}
	}
	return 200;
}
