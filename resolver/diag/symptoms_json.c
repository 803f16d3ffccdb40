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

#include "util/clock.h"

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

/* When the event happened, for people: the wall-clock time and how long
 * ago, not the monotonic clock's microseconds, which mean nothing outside
 * the process. */
static bool add_time(cJSON *o, uint64_t t_us, uint64_t now_us,
		     uint64_t now_wall_ms)
{
	char ts[40];
	uint64_t ago_us = t_us < now_us ? now_us - t_us : 0;

	nd_clock_rfc3339(nd_clock_mono_to_wall_ms(t_us, now_us, now_wall_ms),
			 ts, sizeof(ts));
	/* Tenths of a second are what "3.2 s ago" shows. */
	return cJSON_AddStringToObject(o, "time", ts) != NULL &&
	       add_number(o, "age_s", (double)(ago_us / 100000u) / 10.0);
}

static bool add_event(cJSON *events, const struct nd_symptom_event *e,
		      uint64_t now_us, uint64_t now_wall_ms)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return false;
	cJSON_AddItemToArray(events, o);
	if (!add_time(o, e->time_us, now_us, now_wall_ms) ||
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

int nd_symptoms_render_json(struct nd_symptoms *s, uint64_t now_us,
			    uint64_t now_wall_ms, char **json)
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
		if (!add_event(events, &ev[i], now_us, now_wall_ms))
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
