/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * nodednsctl: the operator's command line over the daemon's /debug
 * views. This file reads the command line, asks the server once and
 * picks the exit status; ctl_http.c does the request, ctl_views.c and
 * ctl_explain.c the tables, ctl_help.c the manual.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "ctl/ctl.h"
#include "ctl/ctl_help.h"
#include "ctl/ctl_http.h"
#include "ctl/ctl_views.h"

enum format { FMT_TABLE, FMT_JSON };

/* What the command line asked for. */
struct args {
	const char *server; /* base URL */
	enum format format;
	const char *command; /* "services", "explain", ... */
	const char *name;    /* explain NAME */
	const char *client;  /* --client */
	const char *ns;	     /* -n / --namespace */
	const char *top;     /* --top */
	int want_help;	     /* -h, --help or "help" */
};

/* Which options each command takes: a stray one is a usage error, not
 * silently dropped. */
static const struct command {
	const char *name;
	const char *path;
	int (*print)(const cJSON *doc, FILE *f);
	int has_name, has_client, has_ns, has_top;
} commands[] = {
    {"services", "/debug/services", nd_ctl_print_services, 0, 0, 1, 0},
    {"explain", "/debug/explain", nd_ctl_print_explain, 1, 1, 1, 0},
    {"upstreams", "/debug/upstreams", nd_ctl_print_upstreams, 0, 0, 0, 0},
    {"searchlist", "/debug/searchlist", nd_ctl_print_searchlist, 0, 0, 0, 1},
};

static __attribute__((format(printf, 1, 2))) int usage_error(const char *fmt,
							     ...)
{
	va_list ap;

	fprintf(stderr, "nodednsctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	nd_ctl_usage(stderr);
	return ND_CTL_USAGE;
}

/*
 * "--opt value", "--opt=value" or, for short options, "-o value" and
 * "-ovalue". Returns 1 and sets *val (moving *i past a separate value),
 * 0 when argv[*i] is not this option, -1 when the value is missing.
 */
static int opt_value(int argc, char **argv, int *i, const char *lng,
		     const char *shrt, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (strncmp(a, lng, n) == 0 && a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (shrt != NULL && strncmp(a, shrt, 2) == 0 && a[2] != '\0' &&
	    strcmp(a, shrt) != 0) {
		*val = a + 2;
		return 1;
	}
	if (strcmp(a, lng) != 0 && (shrt == NULL || strcmp(a, shrt) != 0))
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int parse(int argc, char **argv, struct args *a)
{
	static const struct {
		const char *lng, *shrt;
		size_t off;
	} opts[] = {
	    {"--server", NULL, offsetof(struct args, server)},
	    {"--client", NULL, offsetof(struct args, client)},
	    {"--namespace", "-n", offsetof(struct args, ns)},
	    {"--top", NULL, offsetof(struct args, top)},
	};
	const char *fmt = NULL;

	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		int r = 0;

		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			a->want_help = 1;
			continue;
		}
		r = opt_value(argc, argv, &i, "--output", "-o", &fmt);
		for (size_t k = 0; r == 0 && k < sizeof(opts) / sizeof(opts[0]);
		     k++) {
			r = opt_value(argc, argv, &i, opts[k].lng, opts[k].shrt,
				      &v);
			if (r == 1)
				*(const char **)((char *)a + opts[k].off) = v;
		}
		if (r < 0)
			return usage_error("option %s needs a value", argv[i]);
		if (r > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("unknown option '%s'", argv[i]);
		if (a->command == NULL)
			a->command = argv[i];
		else if (strcmp(a->command, "explain") == 0 && a->name == NULL)
			a->name = argv[i];
		else
			return usage_error("unexpected argument '%s'", argv[i]);
	}
	if (fmt != NULL) {
		if (strcmp(fmt, "table") == 0)
			a->format = FMT_TABLE;
		else if (strcmp(fmt, "json") == 0)
			a->format = FMT_JSON;
		else
			return usage_error("output format '%s': use table or "
					   "json",
					   fmt);
	}
	if (a->command != NULL && strcmp(a->command, "help") == 0)
		a->want_help = 1;
	return ND_CTL_OK;
}

/* The command's options check out; NULL and a usage error otherwise. */
static const struct command *command_check(const struct args *a, int *rc)
{
	const struct command *c = NULL;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, a->command) == 0)
			c = &commands[i];
	*rc = ND_CTL_USAGE;
	if (c == NULL)
		usage_error("unknown command '%s'", a->command);
	else if (c->has_name && (a->name == NULL || a->name[0] == '\0'))
		usage_error("%s needs a NAME", c->name);
	else if (a->client != NULL && !c->has_client)
		usage_error("--client is for explain, not %s", c->name);
	else if (a->ns != NULL && !c->has_ns)
		usage_error("--namespace is for explain and services, not %s",
			    c->name);
	else if (a->top != NULL && !c->has_top)
		usage_error("--top is for searchlist, not %s", c->name);
	else
		*rc = ND_CTL_OK;
	return *rc == ND_CTL_OK ? c : NULL;
}

/* An HTTP error: say what the server said, in its {"error"} if any. */
static int http_error(const struct nd_ctl_reply *r, const char *url)
{
	cJSON *doc = cJSON_Parse(r->body);
	const char *msg = nd_ctl_str(doc, "error");

	int n;

	if (strcmp(msg, "-") == 0)
		msg = r->len > 0 ? r->body : "(no message)";
	/* A proxy's HTML error page is long: its first line is enough. */
	n = (int)strcspn(msg, "\r\n");
	fprintf(stderr, "nodednsctl: %s: HTTP %ld: %.*s\n", url, r->status,
		n > 200 ? 200 : n, msg);
	cJSON_Delete(doc);
	return ND_CTL_UNREACHABLE;
}

static int run(const struct args *a, const struct command *c)
{
	struct nd_ctl_param params[3];
	struct nd_ctl_reply r;
	char msg[1024];
	size_t n = 0;
	cJSON *doc;
	int rc;

	if (c->has_name)
		params[n++] = (struct nd_ctl_param){"name", a->name};
	if (c->has_client)
		params[n++] = (struct nd_ctl_param){"client", a->client};
	if (c->has_ns)
		params[n++] = (struct nd_ctl_param){"namespace", a->ns};
	if (c->has_top)
		params[n++] = (struct nd_ctl_param){"top", a->top};
	rc = nd_ctl_get(a->server, c->path, params, n, &r, msg, sizeof(msg));
	if (rc < 0) {
		fprintf(stderr, "nodednsctl: %s\n",
			rc == -ENOMEM ? "out of memory" : msg);
		nd_ctl_reply_deinit(&r);
		return ND_CTL_UNREACHABLE;
	}
	if (r.status != 200) {
		rc = http_error(&r, msg);
		nd_ctl_reply_deinit(&r);
		return rc;
	}
	doc = cJSON_Parse(r.body);
	nd_ctl_reply_deinit(&r);
	if (doc == NULL) {
		fprintf(stderr, "nodednsctl: %s: the answer is not JSON\n",
			msg);
		return ND_CTL_BAD_JSON;
	}
	if (a->format == FMT_JSON) {
		char *text = cJSON_Print(doc);

		if (text != NULL)
			printf("%s\n", text);
		free(text);
		rc = strcmp(c->name, "explain") == 0 ? nd_ctl_explain_exit(doc)
						     : ND_CTL_OK;
	} else {
		rc = c->print(doc, stdout);
	}
	if (rc == ND_CTL_BAD_JSON)
		fprintf(stderr,
			"nodednsctl: %s: the answer is not the "
			"document expected\n",
			msg);
	cJSON_Delete(doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = {.format = FMT_TABLE};
	const struct command *c;
	int rc = parse(argc, argv, &a);

	if (rc != ND_CTL_OK)
		return rc;
	if (a.want_help) {
		nd_ctl_help(stdout);
		return ND_CTL_OK;
	}
	if (a.command == NULL)
		return usage_error("%s", "no command given");
	c = command_check(&a, &rc);
	if (c == NULL)
		return rc;
	if (a.server == NULL)
		a.server = getenv("NODEDNS_SERVER");
	if (a.server == NULL || a.server[0] == '\0')
		a.server = ND_CTL_DEFAULT_SERVER;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "nodednsctl: libcurl did not start\n");
		return ND_CTL_UNREACHABLE;
	}
	rc = run(&a, c);
	fflush(stdout);
	curl_global_cleanup();
	return rc;
}
