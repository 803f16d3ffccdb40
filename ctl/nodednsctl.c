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

#include "version.h" /* generated at the top of the build tree */

enum format { FMT_TABLE, FMT_JSON };

/* What the command line asked for. */
struct args {
	const char *server;	/* base URL */
	enum format format;
	const char *command;	/* "services", "explain", ... */
	const char *arg;	/* the command's NAME or LEVEL */
	const char *client;	/* --client */
	const char *ns;		/* -n / --namespace */
	const char *top;	/* --top */
	const char *token_file; /* --control-token */
	int want_help;		/* -h, --help or "help" */
	int want_version;	/* -V, --version */
	int want_all;		/* --all (flush) */
	int want_resolve;	/* --resolve (explain) */
};

/* Which options each command takes: a stray one is a usage error, not
 * silently dropped. */
static const struct command {
	const char *name;
	const char *method; /* "GET" a view, "POST" an action */
	const char *path;
	int (*print)(const cJSON *doc, FILE *f);
	const char *arg;     /* its argument ("NAME", "LEVEL"); NULL = none */
	const char *arg_key; /* the query parameter the argument goes in */
	int has_client, has_ns, has_top, has_all, has_resolve;
} commands[] = {
    {"services", "GET", "/debug/services", nd_ctl_print_services, NULL,
     NULL, 0, 1, 0, 0, 0},
    {"explain", "GET", "/debug/explain", nd_ctl_print_explain, "NAME",
     "name", 1, 1, 0, 0, 1},
    {"upstreams", "GET", "/debug/upstreams", nd_ctl_print_upstreams, NULL,
     NULL, 0, 0, 0, 0, 0},
    {"searchlist", "GET", "/debug/searchlist", nd_ctl_print_searchlist, NULL,
     NULL, 0, 0, 1, 0, 0},
    {"status", "GET", "/debug/status", nd_ctl_print_status, NULL, NULL, 0,
     0, 0, 0, 0},
    {"reload", "POST", "/control/reload", nd_ctl_print_reload, NULL, NULL,
     0, 0, 0, 0, 0},
    {"flush", "POST", "/control/flush", nd_ctl_print_flush, "NAME", "name",
     0, 0, 0, 1, 0},
    {"log-level", "POST", "/control/log-level", nd_ctl_print_log_level,
     "LEVEL", "level", 0, 0, 0, 0, 0},
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
	    {"--control-token", NULL, offsetof(struct args, token_file)},
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
		if (strcmp(argv[i], "-V") == 0 ||
		    strcmp(argv[i], "--version") == 0) {
			a->want_version = 1;
			continue;
		}
		if (strcmp(argv[i], "--all") == 0) {
			a->want_all = 1;
			continue;
		}
		if (strcmp(argv[i], "--resolve") == 0) {
			a->want_resolve = 1;
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
		else if (a->arg == NULL)
			a->arg = argv[i]; /* checked against the command later */
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
	else if (c->arg == NULL && a->arg != NULL)
		usage_error("unexpected argument '%s'", a->arg);
	else if (c->has_all && a->want_all && a->arg != NULL)
		usage_error("flush takes a NAME or --all, not both");
	else if (c->arg != NULL && !(c->has_all && a->want_all) &&
		 (a->arg == NULL || a->arg[0] == '\0'))
		usage_error("%s needs a %s%s", c->name, c->arg,
			    c->has_all ? " or --all" : "");
	else if (a->want_all && !c->has_all)
		usage_error("--all is for flush, not %s", c->name);
	else if (a->want_resolve && !c->has_resolve)
		usage_error("--resolve is for explain, not %s", c->name);
	else if (a->token_file != NULL && strcmp(c->method, "POST") != 0)
		usage_error("--control-token is for reload, flush and "
			    "log-level, not %s",
			    c->name);
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

/*
 * The secret of --control-token FILE into buf, its trailing white space
 * cut. Returns 0, or ND_CTL_USAGE with the reason printed.
 */
static int token_read(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "nodednsctl: --control-token %s: %s\n", path,
			strerror(errno));
		return ND_CTL_USAGE;
	}
	n = fread(buf, 1, cap - 1, f);
	fclose(f);
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]) != NULL)
		n--;
	buf[n] = '\0';
	if (n == 0 || n >= cap - 2 || strlen(buf) != n ||
	    strpbrk(buf, "\r\n") != NULL) {
		fprintf(stderr,
			"nodednsctl: --control-token %s: want one line "
			"holding the secret (at most 4 KiB)\n",
			path);
		return ND_CTL_USAGE;
	}
	return ND_CTL_OK;
}

/*
 * A status the server uses for a refusal the request itself caused:
 * 422 from reload (the configuration file is bad) is the outcome asked
 * about, a failed verdict, not a transport error.
 */
static int refused(const struct command *c, const struct nd_ctl_reply *r,
		   enum format fmt)
{
	cJSON *doc = cJSON_Parse(r->body);

	if (doc == NULL)
		return ND_CTL_BAD_JSON;
	if (fmt == FMT_JSON) {
		char *text = cJSON_Print(doc);

		if (text != NULL)
			printf("%s\n", text);
		free(text);
	} else {
		printf("%s: %s\n", c->name, nd_ctl_str(doc, "outcome"));
	}
	fprintf(stderr, "nodednsctl: %s refused: %s\n", c->name,
		nd_ctl_str(doc, "error"));
	cJSON_Delete(doc);
	return ND_CTL_VERDICT;
}

static int run(const struct args *a, const struct command *c)
{
	struct nd_ctl_param params[4];
	struct nd_ctl_reply r;
	char msg[1024], token[4096];
	size_t n = 0;
	cJSON *doc;
	int rc;

	if (a->token_file != NULL) {
		rc = token_read(a->token_file, token, sizeof(token));
		if (rc != ND_CTL_OK)
			return rc;
	}
	if (c->arg_key != NULL && a->arg != NULL)
		params[n++] = (struct nd_ctl_param){c->arg_key, a->arg};
	if (c->has_all && a->want_all)
		params[n++] = (struct nd_ctl_param){"all", "1"};
	if (c->has_resolve && a->want_resolve)
		params[n++] = (struct nd_ctl_param){"resolve", "1"};
	if (c->has_client)
		params[n++] = (struct nd_ctl_param){"client", a->client};
	if (c->has_ns)
		params[n++] = (struct nd_ctl_param){"namespace", a->ns};
	if (c->has_top)
		params[n++] = (struct nd_ctl_param){"top", a->top};
	rc = nd_ctl_request(a->server, c->method, c->path, params, n,
			    a->token_file != NULL ? token : NULL, &r, msg,
			    sizeof(msg));
	memset(token, 0, sizeof(token));
	if (rc < 0) {
		fprintf(stderr, "nodednsctl: %s\n",
			rc == -ENOMEM ? "out of memory" : msg);
		nd_ctl_reply_deinit(&r);
		return ND_CTL_UNREACHABLE;
	}
	if (r.status == 422 && strcmp(c->name, "reload") == 0) {
		rc = refused(c, &r, a->format);
		nd_ctl_reply_deinit(&r);
		return rc;
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

/* "10.0.0.5:9154" is taken for "http://10.0.0.5:9154". */
static const char *server_url(const char *s, char *buf, size_t cap)
{
	if (strstr(s, "://") != NULL)
		return s;
	snprintf(buf, cap, "http://%s", s);
	return buf;
}

int main(int argc, char **argv)
{
	struct args a = {.format = FMT_TABLE};
	const struct command *c;
	char url[1024];
	int rc = parse(argc, argv, &a);

	if (rc != ND_CTL_OK)
		return rc;
	if (a.want_help) {
		nd_ctl_help(stdout);
		return ND_CTL_OK;
	}
	if (a.want_version) {
		printf("nodednsctl %s\n", ND_VERSION_STRING);
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
	a.server = server_url(a.server, url, sizeof(url));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "nodednsctl: libcurl did not start\n");
		return ND_CTL_UNREACHABLE;
	}
	rc = run(&a, c);
	fflush(stdout);
	curl_global_cleanup();
	return rc;
}
