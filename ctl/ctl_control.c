/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* The status view on one screen, and what reload, flush and log-level
 * report, for people. */
#include "ctl/ctl_views.h"

#include <stdbool.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_table.h"

/* "1h 2m 3s", "4m 5s", "6s" into buf. */
static const char *duration(double s, char *buf, size_t cap)
{
	unsigned long t = s > 0 ? (unsigned long)s : 0;
	unsigned long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60;

	if (d > 0)
		snprintf(buf, cap, "%lud %luh %lum", d, h, m);
	else if (h > 0)
		snprintf(buf, cap, "%luh %lum %lus", h, m, t % 60);
	else if (m > 0)
		snprintf(buf, cap, "%lum %lus", m, t % 60);
	else
		snprintf(buf, cap, "%lus", t);
	return buf;
}

/* Bytes as "3.1 KiB", "64.0 MiB". */
static const char *bytes(const cJSON *o, const char *key, char *buf,
			 size_t cap)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	double b;
	size_t u = 0;

	if (!cJSON_IsNumber(v))
		return "-";
	for (b = v->valuedouble; b >= 1024 && u < 4; u++)
		b /= 1024;
	snprintf(buf, cap, u == 0 ? "%.0f %s" : "%.1f %s", b, unit[u]);
	return buf;
}

const char *nd_ctl_ago(const cJSON *when, char *buf, size_t cap)
{
	const cJSON *age = cJSON_GetObjectItemCaseSensitive(when, "age_s");

	if (!cJSON_IsNumber(age)) {
		snprintf(buf, cap, "-");
		return buf;
	}
	snprintf(buf, cap, "%s, %.1f s ago", nd_ctl_str(when, "time"),
		 age->valuedouble);
	return buf;
}

static void print_upstreams(const cJSON *ups, FILE *f)
{
	static const char *const head[] = {"UPSTREAM", "ZONE",	   "HEALTH",
					   "SRTT-MS",  "REQUESTS", "FAILURES"};
	struct nd_ctl_table *t = nd_ctl_table_new(head, 6);
	const cJSON *u;

	cJSON_ArrayForEach(u, ups)
	{
		char n[3][32];
		const char *row[6] = {
		    nd_ctl_str(u, "address"),
		    nd_ctl_str(u, "zone"),
		    nd_ctl_str(u, "health"),
		    nd_ctl_num(u, "srtt_ms", n[0], sizeof(n[0])),
		    nd_ctl_num(u, "requests", n[1], sizeof(n[1])),
		    nd_ctl_num(u, "failures", n[2], sizeof(n[2])),
		};

		nd_ctl_table_add(t, row);
	}
	if (nd_ctl_table_rows(t) == 0)
		fprintf(f, "No upstreams.\n");
	else
		nd_ctl_table_print(t, f, 0);
	nd_ctl_table_free(t);
}

int nd_ctl_print_status(const cJSON *doc, FILE *f)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "cluster");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "cache");
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(doc, "upstreams");
	const cJSON *rl = cJSON_GetObjectItemCaseSensitive(doc, "last_reload");
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(doc, "uptime_s");
	char b[6][64], when[128];

	if (!cJSON_IsObject(k) || !cJSON_IsObject(c) || !cJSON_IsArray(ups) ||
	    !cJSON_IsNumber(up))
		return ND_CTL_BAD_JSON;
	fprintf(f, "nodedns %s, up %s (since %s): %s\n",
		nd_ctl_str(doc, "version"),
		duration(up->valuedouble, b[0], sizeof(b[0])),
		nd_ctl_str(cJSON_GetObjectItemCaseSensitive(doc, "started"),
			   "time"),
		nd_ctl_str(doc, "state"));
	fprintf(f, "log level: %s\n", nd_ctl_str(doc, "log_level"));
	fprintf(f, "listen:    DNS %s; http %s; debug %s; %s workers\n",
		nd_ctl_value(cJSON_GetObjectItemCaseSensitive(doc, "listen"),
			     b[1], sizeof(b[1])),
		nd_ctl_str(doc, "http_listen"), nd_ctl_str(doc, "debug_listen"),
		nd_ctl_num(doc, "workers", b[2], sizeof(b[2])));
	fprintf(f, "config:    %s; last reload: ",
		strcmp(nd_ctl_str(doc, "config_file"), "-") == 0
		    ? "command line only"
		    : nd_ctl_str(doc, "config_file"));
	if (cJSON_IsObject(rl))
		fprintf(f, "%s (%s)\n", nd_ctl_str(rl, "outcome"),
			nd_ctl_ago(rl, when, sizeof(when)));
	else
		fprintf(f, "none\n");
	fprintf(f, "cluster:   %s %s%s%s: %s", nd_ctl_str(k, "zone"),
		nd_ctl_str(k, "source"),
		strcmp(nd_ctl_str(k, "snapshot"), "-") != 0 ? " " : "",
		strcmp(nd_ctl_str(k, "snapshot"), "-") != 0
		    ? nd_ctl_str(k, "snapshot")
		    : "",
		nd_ctl_str(k, "state"));
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(k, "services")))
		fprintf(f, "; %s services, %s ready and %s not-ready endpoints",
			nd_ctl_num(k, "services", b[2], sizeof(b[2])),
			nd_ctl_num(k, "endpoints_ready", b[3], sizeof(b[3])),
			nd_ctl_num(k, "endpoints_not_ready", b[4],
				   sizeof(b[4])));
	fprintf(f, "\n");
	fprintf(f, "cache:     %s entries, %s of %s; %s evicted, %s expired\n",
		nd_ctl_num(c, "entries", b[1], sizeof(b[1])),
		bytes(c, "bytes", b[2], sizeof(b[2])),
		bytes(c, "max_bytes", b[3], sizeof(b[3])),
		nd_ctl_num(c, "evictions", b[4], sizeof(b[4])),
		nd_ctl_num(c, "expired", b[5], sizeof(b[5])));
	fprintf(f, "\n");
	print_upstreams(ups, f);
	return ND_CTL_OK;
}

int nd_ctl_print_reload(const cJSON *doc, FILE *f)
{
	if (strcmp(nd_ctl_str(doc, "outcome"), "-") == 0)
		return ND_CTL_BAD_JSON;
	fprintf(f, "reload: %s\n", nd_ctl_str(doc, "outcome"));
	return ND_CTL_OK;
}

int nd_ctl_print_flush(const cJSON *doc, FILE *f)
{
	char n[32], left[32];
	const char *name = nd_ctl_str(doc, "flushed_name");

	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "flushed")))
		return ND_CTL_BAD_JSON;
	nd_ctl_num(doc, "flushed", n, sizeof(n));
	fprintf(f, "flushed %s cached answer%s of %s; %s left in the cache\n",
		n, strcmp(n, "1") == 0 ? "" : "s",
		strcmp(name, "*") == 0 ? "every name" : name,
		nd_ctl_num(doc, "cache_entries", left, sizeof(left)));
	return ND_CTL_OK;
}

int nd_ctl_print_log_level(const cJSON *doc, FILE *f)
{
	if (strcmp(nd_ctl_str(doc, "log_level"), "-") == 0)
		return ND_CTL_BAD_JSON;
	fprintf(f, "log level: %s (was %s) until the next reload\n",
		nd_ctl_str(doc, "log_level"), nd_ctl_str(doc, "previous"));
	return ND_CTL_OK;
}
