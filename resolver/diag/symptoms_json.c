/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * The symptoms' counters and recent events as JSON for /debug; built
 * only from resolver/diag/symptoms.h's public calls.
 */
#include "resolver/diag/symptoms.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static bool add_number(cJSON *o, const char *k, double v)
{
	return cJSON_AddNumberToObject(o, k, v) != NULL;
}

static bool add_counters(cJSON *root, const struct nd_symptoms_stats *st)
{
	cJSON *c = cJSON_AddObjectToObject(root, "counters");
	cJSON *up;

	if (c == NULL ||
	    !add_number(c, "client_retransmits",
			(double)st->client_retransmits) ||
	    !add_number(c, "conntrack_races", (double)st->conntrack_races) ||
	    !add_number(c, "tc_without_tcp", (double)st->tc_without_tcp) ||
	    !add_number(c, "tc_followed", (double)st->tc_followed) ||
	    !add_number(c, "tc_pending", (double)st->tc_pending) ||
	    !add_number(c, "no_ready_endpoints",
			(double)st->no_ready_endpoints))
		return false;
	up = cJSON_AddObjectToObject(c, "upstream_failures");
	if (up == NULL)
		return false;
	for (int o = ND_UP_OK + 1; o < ND_UP_OUTCOMES; o++)
		if (!add_number(up, nd_upstream_outcome_name(o),
				(double)st->upstream_failures[o]))
			return false;
	return true;
}

/* Events one rendering shows: a larger ring shows its newest this many. */
#define EVENTS_MAX 1024

static bool add_event(cJSON *events, const struct nd_symptom_event *e)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return false;
	cJSON_AddItemToArray(events, o);
	if (!add_number(o, "time_us", (double)e->time_us) ||
	    !cJSON_AddStringToObject(o, "kind", nd_symptom_kind_name(e->kind)) ||
	    !cJSON_AddStringToObject(o, "client", e->client) ||
	    !cJSON_AddStringToObject(o, "name", e->name) ||
	    !cJSON_AddStringToObject(o, "type", e->type) ||
	    !cJSON_AddStringToObject(o, "message", e->message))
		return false;
	if (e->kind == ND_SYM_UPSTREAM &&
	    !cJSON_AddStringToObject(o, "upstream", e->upstream))
		return false;
	return true;
}

int nd_symptoms_render_json(struct nd_symptoms *s, char **json)
{
	struct nd_symptoms_stats st;
	struct nd_symptom_event *ev = NULL;
	cJSON *root = NULL, *events;
	size_t n = 0;

	if (s == NULL || json == NULL)
		return -EINVAL;
	/* Copied out first so the ring's lock is not held while building
	 * JSON; ~2 KB an event, on the debug path only. */
	ev = malloc(EVENTS_MAX * sizeof(*ev));
	if (ev == NULL)
		return -ENOMEM;
	nd_symptoms_recent(s, ev, EVENTS_MAX, &n);
	nd_symptoms_get_stats(s, &st);
	root = cJSON_CreateObject();
	if (root == NULL || !add_counters(root, &st))
		goto nomem;
	events = cJSON_AddArrayToObject(root, "events");
	if (events == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++)
		if (!add_event(events, &ev[i]))
			goto nomem;
	free(ev);
	*json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return *json != NULL ? 0 : -ENOMEM;
nomem:
	free(ev);
	cJSON_Delete(root);
	return -ENOMEM;
}
