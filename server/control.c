/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * POST /control/...: the few state changes an operator makes on a
 * running daemon (nodednsctl reload, flush, log-level). Who may is
 * decided here, once for every action: a secret from --control-token,
 * or else a peer on this host's loopback.
 */
#include "server/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/queue.h>

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dns/name_check.h"
#include "dns/wire.h"
#include "resolver/cache.h"
#include "server/daemon.h"
#include "server/debug.h"
#include "server/http.h"
#include "util/addr.h"
#include "util/log.h"

#define TOKEN_MAX 4096 /* a longer secret file is a mistake */

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* The secret in path, trailing white space (a final newline) cut.
 * Returns its length, or -errno / -EINVAL (empty, too long). */
static int token_read(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	close(fd);
	if ((size_t)n >= cap - 1)
		return -EINVAL;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	if (n == 0 || memchr(buf, '\0', (size_t)n) != NULL)
		return -EINVAL;
	return (int)n;
}

/* Equal, in a time that does not tell how much of a guess was right. */
static bool same_secret(const char *a, size_t alen, const char *b,
			size_t blen)
{
	unsigned char diff = alen != blen;

	for (size_t i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i % (blen ? blen : 1)];
	return diff == 0;
}

int nd_control_start(struct nd_daemon *d)
{
	const struct sockaddr *sa = (struct sockaddr *)&d->cfg.debug_listen;
	char tok[TOKEN_MAX];
	int n;

	if (d->cfg.control_token_file != NULL) {
		n = token_read(d->cfg.control_token_file, tok, sizeof(tok));
		memset(tok, 0, sizeof(tok));
		if (n < 0) {
			nd_err("control", "--control-token %s: %s",
			       d->cfg.control_token_file,
			       n == -EINVAL ? "empty, or longer than 4 KiB"
					    : strerror(-n));
			return -EINVAL;
		}
		return 0;
	}
	if (!nd_addr_is_loopback(sa)) {
		char name[ND_ADDR_STRLEN];

		nd_addr_format(sa, name, sizeof(name));
		nd_info("control", "debug listener %s is not loopback and no "
				   "--control-token is given: /control/ "
				   "requests are taken from loopback peers "
				   "only",
			name);
	}
	return 0;
}

/* Refused: why, or NULL when the request may go on. */
static const char *who_may(struct nd_daemon *d, const struct nd_http_req *r,
			   int *status)
{
	char tok[TOKEN_MAX];
	const char *auth = r->authorization;
	bool ok;
	int n;

	*status = 403;
	if (d->cfg.control_token_file == NULL) {
		if (r->peer != NULL && nd_addr_is_loopback(r->peer))
			return NULL;
		return "control requests are taken from loopback peers only "
		       "(give the daemon --control-token FILE to allow "
		       "others)";
	}
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		*status = 401;
		return "this daemon needs its control token: "
		       "\"Authorization: Bearer SECRET\" (nodednsctl "
		       "--control-token FILE)";
	}
	n = token_read(d->cfg.control_token_file, tok, sizeof(tok));
	if (n < 0) {
		nd_warn("control", "--control-token %s: %s; refusing control "
				   "requests",
			d->cfg.control_token_file,
			n == -EINVAL ? "empty, or longer than 4 KiB"
				     : strerror(-n));
		*status = 500;
		return "the daemon cannot read its control token file";
	}
	auth += 7;
	ok = same_secret(auth, strlen(auth), tok, (size_t)n);
	memset(tok, 0, sizeof(tok));
	return ok ? NULL : "wrong control token";
}

static cJSON *error_doc(const char *msg)
{
	cJSON *doc = cJSON_CreateObject();

	if (doc != NULL && cJSON_AddStringToObject(doc, "error", msg) == NULL) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* Only these parameters, each at most once. */
static const char *params_check(const struct evkeyvalq *q,
				const char *const *known)
{
	const struct evkeyval *kv;

	TAILQ_FOREACH(kv, q, next)
	{
		bool is_known = false;

		for (size_t i = 0; known[i] != NULL; i++)
			is_known |= strcmp(kv->key, known[i]) == 0;
		if (!is_known)
			return kv->key;
	}
	return NULL;
}

static int do_reload(struct nd_daemon *d, const struct evkeyvalq *q,
		     cJSON **doc)
{
	char why[ND_CONFIG_ERRLEN];
	int rc;

	(void)q;
	rc = nd_daemon_reload(d, why, sizeof(why));
	*doc = cJSON_CreateObject();
	if (*doc == NULL ||
	    !cJSON_AddStringToObject(*doc, "outcome",
				     rc == 0 ? "accepted" : "refused") ||
	    (rc != 0 && !cJSON_AddStringToObject(*doc, "error", why)))
		return -ENOMEM;
	/* 422: the request was understood; the file it names is not. */
	return rc == 0 ? 200 : 422;
}

static int do_flush(struct nd_daemon *d, const struct evkeyvalq *q,
		    cJSON **doc)
{
	const char *name = evhttp_find_header(q, "name");
	const char *all = evhttp_find_header(q, "all");
	uint8_t wire[ND_DNS_MAX_NAME + 1];
	struct nd_cache_stats st;
	long n;
	int len;

	if ((name == NULL) == (all == NULL) ||
	    (all != NULL && strcmp(all, "1") != 0)) {
		*doc = error_doc("give name=NAME or all=1 (one of them)");
		return 400;
	}
	if (name != NULL) {
		if (nd_dns_name_check(name, strlen(name),
				      ND_NAME_UNDERSCORE |
					  ND_NAME_TRAILING_DOT) != ND_NAME_OK ||
		    (len = nd_dns_name_from_text(name, wire, sizeof(wire))) <=
			0) {
			*doc = error_doc("name is not a DNS name (letters, "
					 "digits, '-', '_'; labels of 1-63, "
					 "253 in all)");
			return 400;
		}
		nd_dns_name_lower(wire, (size_t)len);
		n = nd_cache_flush(d->cache, wire, (size_t)len);
	} else {
		n = nd_cache_flush(d->cache, NULL, 0);
	}
	if (n < 0)
		return (int)n;
	nd_info("control", "cache flush of %s: %ld entries dropped",
		name != NULL ? name : "every name", n);
	nd_cache_get_stats(d->cache, &st);
	*doc = cJSON_CreateObject();
	if (*doc == NULL ||
	    !cJSON_AddStringToObject(*doc, "flushed_name",
				     name != NULL ? name : "*") ||
	    !cJSON_AddNumberToObject(*doc, "flushed", (double)n) ||
	    !cJSON_AddNumberToObject(*doc, "cache_entries",
				     (double)st.entries))
		return -ENOMEM;
	return 200;
}

static int do_log_level(struct nd_daemon *d, const struct evkeyvalq *q,
			cJSON **doc)
{
	const char *level = evhttp_find_header(q, "level");
	int prev = nd_log_get_level(), want = nd_log_level_parse(level);

	(void)d;
	if (want < 0) {
		*doc = error_doc("level must be error, warn, info or debug");
		return 400;
	}
	nd_log_set_level(want);
	/* Emitted past the threshold: the change shows at every level. */
	nd_log_emit(ND_LOG_INFO,
		    "control", "log level %s (was %s), until the next reload",
		    level_names[want], level_names[prev]);
	*doc = cJSON_CreateObject();
	if (*doc == NULL ||
	    !cJSON_AddStringToObject(*doc, "log_level", level_names[want]) ||
	    !cJSON_AddStringToObject(*doc, "previous", level_names[prev]))
		return -ENOMEM;
	return 200;
}

static const struct action {
	const char *path;
	int (*fn)(struct nd_daemon *d, const struct evkeyvalq *q, cJSON **doc);
	const char *params[3];
} actions[] = {
    {"/control/reload", do_reload, {NULL}},
    {"/control/flush", do_flush, {"name", "all", NULL}},
    {"/control/log-level", do_log_level, {"level", NULL}},
};

static int route(struct nd_daemon *d, const struct nd_http_req *r, cJSON **doc)
{
	const struct action *a = NULL;
	struct evkeyvalq q;
	const char *why, *bad;
	int status;

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].path, r->path) == 0)
			a = &actions[i];
	if (a == NULL) {
		*doc = error_doc("unknown action: POST /control/reload, "
				 "/control/flush?name=NAME|all=1 or "
				 "/control/log-level?level=LEVEL");
		return 404;
	}
	why = who_may(d, r, &status);
	if (why != NULL) {
		char peer[ND_ADDR_STRLEN] = "?";

		if (r->peer != NULL)
			nd_addr_format_ip(r->peer, peer, sizeof(peer));
		nd_warn("control", "POST %s from %s refused: %s", r->path, peer,
			why);
		*doc = error_doc(why);
		return status;
	}
	TAILQ_INIT(&q);
	if (r->query != NULL && evhttp_parse_query_str(r->query, &q) != 0) {
		evhttp_clear_headers(&q);
		*doc = error_doc("malformed query string");
		return 400;
	}
	bad = params_check(&q, a->params);
	if (bad != NULL) {
		char msg[160];

		snprintf(msg, sizeof(msg), "unknown parameter '%.64s' for %s",
			 bad, a->path);
		evhttp_clear_headers(&q);
		*doc = error_doc(msg);
		return 400;
	}
	status = a->fn(d, &q, doc);
	evhttp_clear_headers(&q);
	return status;
}

int nd_control_dispatch(struct nd_daemon *d, const struct nd_http_req *r,
			char **body, size_t *len, const char **content_type)
{
	cJSON *doc = NULL;
	int status;

	if (d == NULL || r == NULL || r->path == NULL || body == NULL ||
	    len == NULL || content_type == NULL)
		return -EINVAL;
	*content_type = "application/json";
	status = route(d, r, &doc);
	if (status < 0) {
		cJSON_Delete(doc);
		doc = NULL;
		status = 500;
	}
	return nd_debug_doc_text(doc, status, body, len);
}
