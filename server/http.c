/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/http.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "util/addr.h"
#include "util/log.h"

/* A scraper or probe that stalls must not hold a connection for long. */
#define ND_HTTP_TIMEOUT_S 10
#define ND_HTTP_MAX_HEADERS 8192
/* We take no request bodies; a small cap ends an upload early. */
#define ND_HTTP_MAX_BODY 4096
#define ND_HTTP_BACKLOG 64

#define ND_CT_TEXT "text/plain; charset=utf-8"
#define ND_CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct nd_http {
	struct evhttp *http;
	struct evhttp_bound_socket *bound; /* the listener; NULL once
					      nd_http_stop_listening() ran */
	struct nd_http_hooks hooks;
	char moved_to[128]; /* hooks.debug_moved_to, copied; "" = none */
};

/*
 * evhttp sends no body for HEAD and then no Content-Length either; give
 * the length GET would have (RFC 9110 9.3.2). Frees buf.
 */
static void send_reply(struct evhttp_request *req, int code,
		       const char *reason, struct evbuffer *buf)
{
	char len[32];

	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(buf));
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Content-Length", len);
	}
	evhttp_send_reply(req, code, reason, buf);
	evbuffer_free(buf);
}

/* Send a short plain-text reply; HEAD gets the headers only. */
static void reply_text(struct evhttp_request *req, int code,
		       const char *reason, const char *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	evhttp_add_header(hdr, "Content-Type", ND_CT_TEXT);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (buf == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(buf, body, strlen(body));
	send_reply(req, code, reason, buf);
}

static void free_text(const void *data, size_t len, void *arg)
{
	(void)len;
	(void)arg;
	free((void *)data);
}

static void serve_metrics(struct nd_http *h, struct evhttp_request *req)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *buf;
	char *text = NULL;
	size_t len = 0;
	int rc = -ENOSYS;

	if (h->hooks.metrics != NULL)
		rc = h->hooks.metrics(h->hooks.arg, &text, &len);
	if (rc < 0 || text == NULL) {
		free(text);
		nd_warn("http", "/metrics: cannot render: %s",
			strerror(rc < 0 ? -rc : ENOMEM));
		reply_text(req, HTTP_INTERNAL, "Internal Server Error",
			   "metrics unavailable\n");
		return;
	}
	buf = evbuffer_new();
	/* Hand the hook's buffer to evhttp rather than copying a large page. */
	if (buf == NULL ||
	    evbuffer_add_reference(buf, text, len, free_text, NULL) != 0) {
		free(text);
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(hdr, "Content-Type", ND_CT_METRICS);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	send_reply(req, HTTP_OK, "OK", buf);
}

static void serve_health(struct nd_http *h, struct evhttp_request *req)
{
	/* Without a hook the process answering is all "alive" can mean. */
	int ok = h->hooks.is_healthy ? h->hooks.is_healthy(h->hooks.arg) : 1;

	if (ok)
		reply_text(req, HTTP_OK, "OK", "ok\n");
	else
		reply_text(req, 503, "Service Unavailable", "shutting down\n");
}

static void serve_ready(struct nd_http *h, struct evhttp_request *req)
{
	/* Not ready unless told: early traffic is the worse mistake. */
	int ok = h->hooks.is_ready ? h->hooks.is_ready(h->hooks.arg) : 0;

	if (ok)
		reply_text(req, HTTP_OK, "OK", "ready\n");
	else
		reply_text(req, 503, "Service Unavailable", "not ready\n");
}

struct nd_http_later {
	struct evhttp_request *req;    /* NULL once the client went away */
	struct evhttp_connection *conn;
};

/* The connection is going down before the answer: the request goes
 * with it, so nd_http_later_reply() must not touch it. */
static void later_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct nd_http_later *l = arg;

	(void)conn;
	l->req = NULL;
}

/* A hook's document as the reply (takes body). */
static void send_body(struct evhttp_request *req, int code, char *body,
		      size_t len, const char *ctype)
{
	struct evbuffer *buf = evbuffer_new();

	if (body == NULL || buf == NULL ||
	    evbuffer_add_reference(buf, body, len, free_text, NULL) != 0) {
		free(body);
		if (buf != NULL)
			evbuffer_free(buf);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", ctype ? ctype : ND_CT_TEXT);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Cache-Control", "no-store");
	send_reply(req, code, code == HTTP_OK ? "OK" : "Error", buf);
}

void nd_http_later_reply(struct nd_http_later *l, int status, char *body,
			 size_t len, const char *content_type)
{
	if (l == NULL) {
		free(body);
		return;
	}
	if (l->req == NULL) {
		free(body);
	} else {
		evhttp_connection_set_closecb(l->conn, NULL, NULL);
		send_body(l->req, status, body, len, content_type);
	}
	free(l);
}

/* /debug/... or /control/... through hook fn. */
static void serve_view(struct nd_http *h, struct evhttp_request *req,
		       nd_http_view_fn fn)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	const char *ctype = ND_CT_TEXT;
	struct nd_http_req r = {
		.path = evhttp_uri_get_path(uri),
		.query = evhttp_uri_get_query(uri),
		.peer = conn ? evhttp_connection_get_addr(conn) : NULL,
		.authorization = evhttp_find_header(
			evhttp_request_get_input_headers(req), "Authorization"),
	};
	char *body = NULL;
	size_t len = 0;
	int code;

	r.later = calloc(1, sizeof(*r.later));
	if (r.later == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	r.later->req = req;
	r.later->conn = conn;
	code = fn(h->hooks.arg, &r, &body, &len, &ctype);
	if (code == ND_HTTP_LATER) {
		/* The hook owns r.later now; know when the client leaves. */
		if (conn != NULL)
			evhttp_connection_set_closecb(conn, later_conn_closed,
						      r.later);
		return;
	}
	free(r.later);
	send_body(req, code, body, len, ctype);
}

/* A /debug/ path on the public listener: say where it went. */
static void serve_moved(struct nd_http *h, struct evhttp_request *req)
{
	char msg[512];

	if (h->moved_to[0] == '\0') {
		reply_text(req, HTTP_NOTFOUND, "Not Found", "not found\n");
		return;
	}
	snprintf(msg, sizeof(msg),
		 "not found: /debug/ is served on %s (--debug-listen), "
		 "apart from /metrics\n",
		 h->moved_to);
	reply_text(req, HTTP_NOTFOUND, "Not Found", msg);
}

static void bad_method(struct evhttp_request *req, const char *allow)
{
	/* RFC 9110 15.5.6: a 405 lists the methods that would work. */
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
			  allow);
	reply_text(req, HTTP_BADMETHOD, "Method Not Allowed",
		   "method not allowed\n");
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct nd_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	bool is_get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
	bool is_debug_path;
	void (*serve)(struct nd_http *, struct evhttp_request *) = NULL;

	if (path == NULL)
		path = "";
	is_debug_path = strcmp(path, "/debug") == 0 ||
			strncmp(path, "/debug/", 7) == 0;
	if (h->hooks.role == ND_HTTP_DEBUG) {
		if (is_debug_path && h->hooks.debug != NULL) {
			if (!is_get)
				bad_method(req, "GET, HEAD");
			else
				serve_view(h, req, h->hooks.debug);
		} else if (strncmp(path, "/control/", 9) == 0 &&
			   h->hooks.control != NULL) {
			/* A state change: never on a GET a crawler or a
			 * prefetching browser might send. */
			if (cmd != EVHTTP_REQ_POST)
				bad_method(req, "POST");
			else
				serve_view(h, req, h->hooks.control);
		} else {
			reply_text(req, HTTP_NOTFOUND, "Not Found",
				   "not found: this listener serves /debug/ "
				   "and /control/ only\n");
		}
		return;
	}
	if (strcmp(path, "/metrics") == 0)
		serve = serve_metrics;
	else if (strcmp(path, "/health") == 0)
		serve = serve_health;
	else if (strcmp(path, "/ready") == 0)
		serve = serve_ready;
	else if (is_debug_path)
		serve = serve_moved;

	if (serve == NULL) {
		reply_text(req, HTTP_NOTFOUND, "Not Found", "not found\n");
		return;
	}
	if (!is_get) {
		bad_method(req, "GET, HEAD");
		return;
	}
	serve(h, req);
}

/*
 * Our own listening socket rather than evhttp_bind_socket_with_handle(),
 * which takes a host string: this way an IPv6 sockaddr (and its scope)
 * binds as given. Returns the fd or -errno.
 */
static int open_listener(const struct sockaddr *addr, bool share_port)
{
	socklen_t alen = nd_addr_len(addr);
	int fd, one = 1, err;

	if (alen == 0)
		return -EAFNOSUPPORT;
	fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restarted daemon must rebind while old connections linger. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (share_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
				      sizeof(one)) != 0) ||
	    bind(fd, addr, alen) != 0 || listen(fd, ND_HTTP_BACKLOG) != 0 ||
	    evutil_make_socket_nonblocking(fd) != 0) {
		err = errno ? errno : EINVAL;
		close(fd);
		return -err;
	}
	return fd;
}

struct nd_http *nd_http_new(struct event_base *base,
			    const struct sockaddr *addr,
			    const struct nd_http_hooks *hooks)
{
	char name[ND_ADDR_STRLEN];
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	struct nd_http *h;
	int fd;

	if (base == NULL || addr == NULL || hooks == NULL) {
		nd_err("http", "nd_http_new: missing argument");
		return NULL;
	}
	if (nd_addr_format(addr, name, sizeof(name)) != 0)
		strcpy(name, "(unknown address)");

	h = calloc(1, sizeof(*h));
	if (h == NULL) {
		nd_err("http", "cannot serve HTTP on %s: %s", name,
		       strerror(ENOMEM));
		return NULL;
	}
	h->hooks = *hooks;
	h->hooks.debug_moved_to = NULL; /* copied below, not borrowed */
	if (hooks->debug_moved_to != NULL)
		snprintf(h->moved_to, sizeof(h->moved_to), "%s",
			 hooks->debug_moved_to);
	h->http = evhttp_new(base);
	if (h->http == NULL) {
		nd_err("http", "cannot serve HTTP on %s: evhttp_new failed",
		       name);
		goto fail;
	}
	evhttp_set_timeout(h->http, ND_HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h->http, ND_HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, ND_HTTP_MAX_BODY);
	/*
	 * Let every method reach on_request, so a POST gets our 405 with
	 * its Allow header instead of evhttp's bare one.
	 */
	evhttp_set_allowed_methods(h->http,
				   EVHTTP_REQ_GET | EVHTTP_REQ_POST |
					   EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
					   EVHTTP_REQ_DELETE |
					   EVHTTP_REQ_OPTIONS |
					   EVHTTP_REQ_TRACE |
					   EVHTTP_REQ_CONNECT |
					   EVHTTP_REQ_PATCH);
	evhttp_set_gencb(h->http, on_request, h);

	fd = open_listener(addr, hooks->share_port);
	if (fd < 0) {
		nd_err("http", "cannot listen on %s: %s", name, strerror(-fd));
		goto fail;
	}
	/* On success evhttp owns fd and closes it in evhttp_free(). */
	h->bound = evhttp_accept_socket_with_handle(h->http, fd);
	if (h->bound == NULL) {
		nd_err("http", "cannot listen on %s: evhttp refused the socket",
		       name);
		close(fd);
		goto fail;
	}
	/* With port 0 the kernel chose one: log that, tests read it. */
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
		nd_addr_format((struct sockaddr *)&bound, name, sizeof(name));
	nd_info("http", "listening on http://%s (%s)", name,
		hooks->role == ND_HTTP_DEBUG ? "/debug/ /control/"
					     : "/metrics /health /ready");
	return h;
fail:
	nd_http_free(h);
	return NULL;
}

void nd_http_stop_listening(struct nd_http *h)
{
	if (h == NULL || h->bound == NULL)
		return;
	/* Closes the listening socket; connections already accepted are
	 * served to their end. */
	evhttp_del_accept_socket(h->http, h->bound);
	h->bound = NULL;
}

void nd_http_free(struct nd_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}
