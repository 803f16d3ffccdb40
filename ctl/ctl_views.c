/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* The services, upstreams and searchlist views as tables (explain is
 * ctl_explain.c). */
#include "ctl/ctl_views.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_table.h"

#define CELL 512

const char *nd_ctl_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] != '\0' ? v->valuestring
							      : "-";
}

static const char *num_text(double d, char *buf, size_t cap)
{
	/* Counters are whole; only RTTs have a fraction worth showing. */
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
		snprintf(buf, cap, "%.0f", d);
	else
		snprintf(buf, cap, "%.2f", d);
	return buf;
}

const char *nd_ctl_num(const cJSON *o, const char *key, char *buf, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? num_text(v->valuedouble, buf, cap) : "-";
}

const char *nd_ctl_value(const cJSON *v, char *buf, size_t cap)
{
	char *s;

	if (cJSON_IsString(v))
		return v->valuestring[0] ? v->valuestring : "-";
	if (cJSON_IsNumber(v))
		return num_text(v->valuedouble, buf, cap);
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (v == NULL || cJSON_IsNull(v))
		return "-";
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		size_t n = 0;
		char one[CELL];

		buf[0] = '\0';
		cJSON_ArrayForEach(e, v)
		{
			n += (size_t)snprintf(
			    buf + n, n < cap ? cap - n : 0, "%s%s",
			    n ? "," : "", nd_ctl_value(e, one, sizeof(one)));
			if (n >= cap)
				break;
		}
		return buf[0] ? buf : "-";
	}
	s = cJSON_PrintUnformatted(v);
	snprintf(buf, cap, "%s", s ? s : "?");
	free(s);
	return buf;
}

void nd_ctl_wrap(FILE *f, const char *text, size_t col, size_t indent,
		 size_t width)
{
	const char *p = text;
	bool is_first = true;

	while (*p == ' ')
		p++;
	while (*p != '\0') {
		size_t w = strcspn(p, " ");

		if (!is_first && col + 1 + w > width) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (!is_first) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += w;
		p += w;
		is_first = false;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* --- services ------------------------------------------------------------- */

static void ports_text(const cJSON *svc, char *buf, size_t cap)
{
	const cJSON *p;
	size_t n = 0;
	char num[32];

	buf[0] = '\0';
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(svc, "ports"))
	{
		const char *name = nd_ctl_str(p, "name");

		n += (size_t)snprintf(
		    buf + n, n < cap ? cap - n : 0, "%s%s%s%s/%s", n ? "," : "",
		    name[0] != '-' ? name : "", name[0] != '-' ? ":" : "",
		    nd_ctl_num(p, "port", num, sizeof(num)),
		    nd_ctl_str(p, "protocol"));
		if (n >= cap)
			break;
	}
	if (buf[0] == '\0')
		snprintf(buf, cap, "-");
}

static const char *yes_no(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key)) ? "yes"
								      : "no";
}

int nd_ctl_print_services(const cJSON *doc, FILE *f)
{
	static const char *const sh[] = {
	    "NAMESPACE",     "NAME",  "TYPE",  "CLUSTER-IPS",
	    "EXTERNAL-NAME", "PORTS", "READY", "NOT-READY"};
	static const char *const eh[] = {"NAMESPACE", "SERVICE", "ADDRESS",
					 "READY",     "SERVING", "TERMINATING",
					 "NODE",      "POD"};
	const cJSON *svcs = cJSON_GetObjectItemCaseSensitive(doc, "services");
	const cJSON *s, *e;
	struct nd_ctl_table *ts = nd_ctl_table_new(sh, 8);
	struct nd_ctl_table *te = nd_ctl_table_new(eh, 8);
	int rc = ND_CTL_OK;

	if (!cJSON_IsArray(svcs)) {
		rc = ND_CTL_BAD_JSON;
		goto out;
	}
	cJSON_ArrayForEach(s, svcs)
	{
		char ips[CELL], ports[CELL], r[32], nr[32];
		const char *row[8] = {
		    nd_ctl_str(s, "namespace"),
		    nd_ctl_str(s, "name"),
		    nd_ctl_str(s, "type"),
		    nd_ctl_value(
			cJSON_GetObjectItemCaseSensitive(s, "clusterIPs"), ips,
			sizeof(ips)),
		    nd_ctl_str(s, "externalName"),
		    ports,
		    nd_ctl_num(s, "ready", r, sizeof(r)),
		    nd_ctl_num(s, "not_ready", nr, sizeof(nr)),
		};

		ports_text(s, ports, sizeof(ports));
		nd_ctl_table_add(ts, row);
		cJSON_ArrayForEach(
		    e, cJSON_GetObjectItemCaseSensitive(s, "endpoints"))
		{
			const char *erow[8] = {
			    row[0],
			    row[1],
			    nd_ctl_str(e, "address"),
			    yes_no(e, "ready"),
			    yes_no(e, "serving"),
			    yes_no(e, "terminating"),
			    nd_ctl_str(e, "node"),
			    nd_ctl_str(e, "pod"),
			};

			nd_ctl_table_add(te, erow);
		}
	}
	if (nd_ctl_table_rows(ts) == 0) {
		fprintf(f, "No Services.\n");
		goto out;
	}
	nd_ctl_table_print(ts, f, 0);
	if (nd_ctl_table_rows(te) > 0) {
		fprintf(f, "\nENDPOINTS\n");
		nd_ctl_table_print(te, f, 0);
	}
out:
	nd_ctl_table_free(ts);
	nd_ctl_table_free(te);
	return rc;
}

/* --- upstreams ------------------------------------------------------------ */

int nd_ctl_print_upstreams(const cJSON *doc, FILE *f)
{
	static const char *const head[] = {
	    "UPSTREAM", "SRTT-MS",  "REQUESTS", "OK",  "TIMEOUT",
	    "REFUSED",	"SERVFAIL", "NETWORK",	"BAD", "TCP",
	};
	static const char *const outcome[] = {"ok",	  "timeout", "refused",
					      "servfail", "network", "bad"};
	const cJSON *ups = cJSON_GetObjectItemCaseSensitive(doc, "upstreams");
	const cJSON *u;
	struct nd_ctl_table *t = nd_ctl_table_new(head, 10);

	if (!cJSON_IsArray(ups)) {
		nd_ctl_table_free(t);
		return ND_CTL_BAD_JSON;
	}
	cJSON_ArrayForEach(u, ups)
	{
		const cJSON *out =
		    cJSON_GetObjectItemCaseSensitive(u, "outcomes");
		char num[10][32];
		const char *row[10];

		row[0] = nd_ctl_str(u, "address");
		row[1] = nd_ctl_num(u, "srtt_ms", num[1], sizeof(num[1]));
		row[2] = nd_ctl_num(u, "requests", num[2], sizeof(num[2]));
		for (size_t k = 0; k < 6; k++)
			row[3 + k] = nd_ctl_num(out, outcome[k], num[3 + k],
						sizeof(num[0]));
		row[9] = nd_ctl_num(u, "tcp", num[9], sizeof(num[9]));
		nd_ctl_table_add(t, row);
	}
	if (nd_ctl_table_rows(t) == 0)
		fprintf(f, "No upstreams.\n");
	else
		nd_ctl_table_print(t, f, 0);
	nd_ctl_table_free(t);
	return ND_CTL_OK;
}

/* --- searchlist: whatever the tracker reports, as tables ------------------ */

static void upper(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < cap; i++)
		dst[i] =
		    src[i] == '_' ? '-' : (char)toupper((unsigned char)src[i]);
	dst[i] = '\0';
}

/*
 * A value for people: an "age_s" (seconds before the server answered) as
 * "3.2 s ago", anything else as nd_ctl_value() shows it.
 */
static const char *cell(const char *key, const cJSON *v, char *buf, size_t cap)
{
	if (strcmp(key, "age_s") == 0 && cJSON_IsNumber(v)) {
		snprintf(buf, cap, "%.1f s ago", v->valuedouble);
		return buf;
	}
	return nd_ctl_value(v, buf, cap);
}

/* A column heading: "AGE" for age_s, else the key in upper case. */
static void heading(char *dst, const char *key, size_t cap)
{
	if (strcmp(key, "age_s") == 0)
		snprintf(dst, cap, "AGE");
	else
		upper(dst, key, cap);
}

/* An array of objects: one column per key, in the order first seen. */
static void print_rows(const cJSON *arr, FILE *f, size_t indent)
{
	const char *keys[ND_CTL_TABLE_MAX_COLS];
	char heads[ND_CTL_TABLE_MAX_COLS][64];
	const char *hp[ND_CTL_TABLE_MAX_COLS];
	size_t n = 0;
	const cJSON *o, *kv;
	struct nd_ctl_table *t;

	cJSON_ArrayForEach(o, arr) cJSON_ArrayForEach(kv, o)
	{
		size_t i;

		for (i = 0; i < n && strcmp(keys[i], kv->string) != 0; i++)
			;
		if (i == n && n < ND_CTL_TABLE_MAX_COLS) {
			keys[n] = kv->string;
			heading(heads[n], kv->string, sizeof(heads[n]));
			hp[n] = heads[n];
			n++;
		}
	}
	t = n > 0 ? nd_ctl_table_new(hp, n) : NULL;
	cJSON_ArrayForEach(o, arr)
	{
		char cells[ND_CTL_TABLE_MAX_COLS][CELL];
		const char *row[ND_CTL_TABLE_MAX_COLS];

		for (size_t i = 0; i < n; i++)
			row[i] = cell(keys[i],
				      cJSON_GetObjectItemCaseSensitive(o, keys[i]),
				      cells[i], sizeof(cells[i]));
		nd_ctl_table_add(t, row);
	}
	if (nd_ctl_table_rows(t) == 0)
		fprintf(f, "%*s(none)\n", (int)indent, "");
	else
		nd_ctl_table_print(t, f, indent);
	nd_ctl_table_free(t);
}

/*
 * Whatever the document holds, readably: scalars as "key: value" lines
 * first, then each array of objects as a table and each object as a
 * section under an upper-case heading, one indent level down.
 */
static void print_object(const cJSON *o, FILE *f, size_t indent)
{
	const cJSON *kv;
	char buf[CELL], head[128];

	cJSON_ArrayForEach(kv, o)
	{
		if (!cJSON_IsArray(kv) && !cJSON_IsObject(kv))
			fprintf(f, "%*s%s: %s\n", (int)indent, "", kv->string,
				cell(kv->string, kv, buf, sizeof(buf)));
	}
	cJSON_ArrayForEach(kv, o)
	{
		if (!cJSON_IsArray(kv) && !cJSON_IsObject(kv))
			continue;
		upper(head, kv->string, sizeof(head));
		fprintf(f, "%s%*s%s\n", indent == 0 ? "\n" : "", (int)indent,
			"", head);
		if (cJSON_IsObject(kv))
			print_object(kv, f, indent + 2);
		else if (cJSON_GetArraySize(kv) == 0 ||
			 cJSON_IsObject(cJSON_GetArrayItem(kv, 0)))
			print_rows(kv, f, indent + 2);
		else
			fprintf(f, "%*s%s\n", (int)indent + 2, "",
				nd_ctl_value(kv, buf, sizeof(buf)));
	}
}

int nd_ctl_print_searchlist(const cJSON *doc, FILE *f)
{
	if (!cJSON_IsObject(doc))
		return ND_CTL_BAD_JSON;
	print_object(doc, f, 0);
	return ND_CTL_OK;
}
