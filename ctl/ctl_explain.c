/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* The explain view for people: the walk as a table, the Service, the verdict.
 */
#include "ctl/ctl_views.h"

#include <stdbool.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_table.h"

#define WIDTH 79 /* wrap the verdict for an 80-column terminal */

int nd_ctl_explain_exit(const cJSON *doc)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "verdict");
	const char *status = nd_ctl_str(v, "status");

	if (strcmp(status, "-") == 0)
		return ND_CTL_BAD_JSON;
	if (strcmp(status, "not_cached") == 0)
		return ND_CTL_NOT_CACHED;
	return strcmp(status, "fail") == 0 ? ND_CTL_VERDICT : ND_CTL_OK;
}

static void print_client(const cJSON *doc, FILE *f)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(doc, "client");
	const char *from = nd_ctl_str(c, "namespace_from");

	fprintf(f, "client:    ");
	if (strcmp(nd_ctl_str(c, "address"), "-") != 0)
		fprintf(f, "%s ", nd_ctl_str(c, "address"));
	if (strcmp(from, "client") == 0)
		fprintf(f, "= pod %s on %s, namespace %s (from the address)",
			nd_ctl_str(c, "pod"), nd_ctl_str(c, "node"),
			nd_ctl_str(c, "namespace"));
	else if (strcmp(from, "parameter") == 0)
		fprintf(f, "in namespace %s (from --namespace)",
			nd_ctl_str(c, "namespace"));
	else
		fprintf(f,
			"in namespace %s (neither a known pod address "
			"nor --namespace: the default)",
			nd_ctl_str(c, "namespace"));
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "allowed")))
		fprintf(f, ", NOT allowed to query");
	fprintf(f, "\n");
}

/* The ANSWER cell: what came back, or why nothing did. */
static const char *answer_cell(const cJSON *c, bool sent, char *buf, size_t cap)
{
	const cJSON *answers = cJSON_GetObjectItemCaseSensitive(c, "answers");
	const char *source = nd_ctl_str(c, "source");
	const char *cname = nd_ctl_str(c, "cname");
	char list[400], ttl[32];
	size_t n = 0;

	if (!sent)
		return nd_ctl_str(c, "note");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "search_miss")))
		return "none: search-list expansion, NXDOMAIN expected";
	if (strcmp(source, "upstream (no answer)") == 0)
		return "no answer in time";
	if (strcmp(source, "upstream") == 0) {
		snprintf(buf, cap, "not cached: to %s",
			 nd_ctl_str(c, "upstream"));
		return buf;
	}
	buf[0] = '\0';
	if (strcmp(cname, "-") != 0)
		n += (size_t)snprintf(buf, cap, "CNAME %s", cname);
	if (cJSON_GetArraySize(answers) > 0 && n < cap)
		n +=
		    (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " -> " : "",
				     nd_ctl_value(answers, list, sizeof(list)));
	if (n == 0)
		n += (size_t)snprintf(
		    buf, cap, "%s",
		    strcmp(nd_ctl_str(c, "rcode"), "NOERROR") == 0
			? "no records (NODATA)"
			: "-");
	if (strcmp(source, "cache") == 0 && n < cap)
		snprintf(buf + n, cap - n, " (ttl %s)",
			 nd_ctl_num(c, "ttl", ttl, sizeof(ttl)));
	return buf;
}

static void print_candidates(const cJSON *doc, FILE *f)
{
	static const char *const head[] = {"#",	     "CANDIDATE", "SENT",
					   "SOURCE", "RCODE",	  "ANSWER"};
	const cJSON *c;
	struct nd_ctl_table *t = nd_ctl_table_new(head, 6);

	cJSON_ArrayForEach(c,
			   cJSON_GetObjectItemCaseSensitive(doc, "candidates"))
	{
		char idx[16], ans[512];
		bool sent =
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "tried"));
		const char *row[6] = {
		    nd_ctl_num(c, "index", idx, sizeof(idx)),
		    nd_ctl_str(c, "name"),
		    sent ? "yes" : "no",
		    sent ? nd_ctl_str(c, "source") : "-",
		    sent ? nd_ctl_str(c, "rcode") : "-",
		    answer_cell(c, sent, ans, sizeof(ans)),
		};

		nd_ctl_table_add(t, row);
	}
	nd_ctl_table_print(t, f, 0);
	nd_ctl_table_free(t);
}

/* The CNAME chain nodedns completes, step by step (when there is one). */
static void print_chain(const cJSON *doc, FILE *f)
{
	static const char *const head[] = { "STEP", "CNAME TARGET", "SOURCE",
					    "RCODE", "ANSWER" };
	const cJSON *chain = cJSON_GetObjectItemCaseSensitive(doc, "chain");
	const cJSON *c;
	struct nd_ctl_table *t;
	int step = 0;

	if (cJSON_GetArraySize(chain) == 0)
		return;
	t = nd_ctl_table_new(head, 5);
	cJSON_ArrayForEach(c, chain)
	{
		char idx[16], ans[512];
		const char *row[5] = {
			idx,
			nd_ctl_str(c, "name"),
			nd_ctl_str(c, "source"),
			nd_ctl_str(c, "rcode"),
			answer_cell(c, true, ans, sizeof(ans)),
		};

		snprintf(idx, sizeof(idx), "%d", ++step);
		nd_ctl_table_add(t, row);
	}
	fprintf(f, "\nCNAME chain (nodedns follows it for the client):\n");
	nd_ctl_table_print(t, f, 0);
	nd_ctl_table_free(t);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "chain_loop")))
		fprintf(f, "the chain loops back to an earlier name\n");
}

static void print_service(const cJSON *doc, FILE *f)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "service");
	cJSON *one, *arr;

	if (!cJSON_IsObject(s))
		return;
	/* Print it as the services view would, through a document that
	 * only refers to it (deleting the document leaves s alone). */
	one = cJSON_CreateObject();
	arr = cJSON_CreateArray();
	if (one == NULL || arr == NULL ||
	    !cJSON_AddItemToObject(one, "services", arr)) {
		cJSON_Delete(one);
		cJSON_Delete(arr);
		return;
	}
	if (cJSON_AddItemReferenceToArray(arr, (cJSON *)s)) {
		fprintf(f, "\n");
		nd_ctl_print_services(one, f);
	}
	cJSON_Delete(one);
}

static void print_verdict(const cJSON *doc, FILE *f)
{
	static const struct {
		const char *key, *label;
	} steps[] = {
	    {"dns", "DNS: "},
	    {"service", "Service selection: "},
	    {"upstream", "Upstream: "},
	};
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "verdict");
	const char *status = nd_ctl_str(v, "status");

	fprintf(f, "\nverdict:   %s\n",
		strcmp(status, "not_cached") == 0
		    ? "not cached (nodednsctl explain --resolve asks the "
		      "upstream)"
		    : status);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *text = nd_ctl_str(v, steps[i].key);

		if (strcmp(text, "-") == 0)
			continue;
		fprintf(f, "  %s", steps[i].label);
		nd_ctl_wrap(f, text, 2 + strlen(steps[i].label), 4, WIDTH);
	}
}

int nd_ctl_print_explain(const cJSON *doc, FILE *f)
{
	const cJSON *search = cJSON_GetObjectItemCaseSensitive(doc, "search");
	const cJSON *s;
	char ndots[16], dots[16];
	int rc = nd_ctl_explain_exit(doc);

	if (rc == ND_CTL_BAD_JSON ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "candidates")))
		return ND_CTL_BAD_JSON;
	fprintf(f, "name:      %s (A)\n", nd_ctl_str(doc, "name"));
	print_client(doc, f);
	fprintf(f, "search:   ");
	cJSON_ArrayForEach(s, search)
	    fprintf(f, " %s", cJSON_IsString(s) ? s->valuestring : "?");
	nd_ctl_num(doc, "ndots", ndots, sizeof(ndots));
	nd_ctl_num(doc, "dots", dots, sizeof(dots));
	fprintf(f, "\nndots:     %s (the name has %s dot%s)\n\n", ndots, dots,
		strcmp(dots, "1") == 0 ? "" : "s");
	print_candidates(doc, f);
	print_chain(doc, f);
	print_service(doc, f);
	print_verdict(doc, f);
	return rc;
}
