/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* ctl/ctl_views.h - the /debug documents and /control answers printed for people. */
#ifndef CTL_CTL_VIEWS_H
#define CTL_CTL_VIEWS_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/*
 * Each prints the document of its view to f and returns an enum
 * nd_ctl_exit: ND_CTL_OK; ND_CTL_BAD_JSON when the document lacks what
 * the view must have (nothing or part of it is printed then);
 * nd_ctl_print_explain also ND_CTL_VERDICT for a failed verdict.
 */
int nd_ctl_print_services(const cJSON *doc, FILE *f);
int nd_ctl_print_upstreams(const cJSON *doc, FILE *f);
int nd_ctl_print_searchlist(const cJSON *doc, FILE *f);
int nd_ctl_print_explain(const cJSON *doc, FILE *f);
/* /debug/status on one screen; the answers of the /control actions
 * (ctl_control.c). */
int nd_ctl_print_status(const cJSON *doc, FILE *f);
int nd_ctl_print_reload(const cJSON *doc, FILE *f);
int nd_ctl_print_flush(const cJSON *doc, FILE *f);
int nd_ctl_print_log_level(const cJSON *doc, FILE *f);

/*
 * The exit code an explain document means, whatever the output format:
 * ND_CTL_VERDICT when verdict.status is "fail", ND_CTL_NOT_CACHED when
 * it is "not_cached", ND_CTL_BAD_JSON when there is no verdict.status,
 * else ND_CTL_OK.
 */
int nd_ctl_explain_exit(const cJSON *doc);

/* Helpers the printers share (ctl_views.c). */

/* The string at key, or "-" when absent, empty or not a string. */
const char *nd_ctl_str(const cJSON *o, const char *key);

/* The number at key as text ("12", "0.35") into buf; "-" when absent. */
const char *nd_ctl_num(const cJSON *o, const char *key, char *buf, size_t cap);

/* Any value as text: strings as they are, numbers without a needless
 * fraction, true/false, arrays as "a,b", objects as compact JSON. */
const char *nd_ctl_value(const cJSON *v, char *buf, size_t cap);

/* A {"time", "age_s"} object as "2026-...Z, 3.2 s ago" into buf. */
const char *nd_ctl_ago(const cJSON *when, char *buf, size_t cap);

/* Print text wrapped at width columns and a newline: the first line
 * goes on from column col (what the caller printed already), the others
 * start after indent spaces. */
void nd_ctl_wrap(FILE *f, const char *text, size_t col, size_t indent,
		 size_t width);

#endif /* CTL_CTL_VIEWS_H */
