/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * /debug/explain?...&resolve=1: explain reads and never sends, so a name
 * not cached can only be "not cached". Told to resolve, the names the
 * stub would send upstream are asked for real, one after the other in
 * the stub's order, through our own DNS listener: the same path as a
 * pod's query (cache, in-flight sharing, CNAME completion), so the
 * answer is also cached. The walk then runs again with the outcomes and
 * the HTTP answer goes out (later: the control thread never waits).
 */
#include "server/debug_view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dns/wire.h"
#include "kube/store.h"
#include "resolver/diag/explain.h"
#include "server/daemon.h"
#include "server/debug.h"
#include "server/http.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/query_string.h"
#include "util/rand.h"

/* The whole request: under nodednsctl's 10 s, with time to answer. */
#define RESOLVE_BUDGET_MS 8000
/* Names asked at most: every candidate and every step of a chain. */
#define RESOLVE_MAX (ND_EXPLAIN_MAX_CANDIDATES + 11)

struct resolve_op {
	LIST_ENTRY(resolve_op) link;
	struct nd_daemon *d;
	struct nd_http_later *later;	/* answered once, at the end */
	struct nd_qs params;		/* the request's, copied */
	struct nd_explain_resolved done[RESOLVE_MAX]; /* outcomes so far */
	size_t n_done;
	uint64_t deadline_ms;		/* monotonic */
	int fd;				/* the query in flight; -1 = none */
	uint16_t id;			/* its ID */
	struct event *ev;		/* its reply or timeout */
};

static LIST_HEAD(, resolve_op) ops = LIST_HEAD_INITIALIZER(ops);

static void op_free(struct resolve_op *op)
{
	if (op == NULL)
		return;
	LIST_REMOVE(op, link);
	if (op->ev != NULL)
		event_free(op->ev);
	if (op->fd >= 0)
		close(op->fd);
	nd_qs_free(&op->params);
	free(op);
}

/* The walk over what is known now; *doc its document (or an error). */
static int walk(struct resolve_op *op, struct nd_explain *e, cJSON **doc)
{
	struct nd_explain_input in;
	struct nd_kube_ip ip;
	char all[256];
	int status;

	status = nd_debug_explain_input(op->d, &op->params, &in, &ip, all,
					sizeof(all), doc);
	if (status != 0)
		return status;
	in.resolved = op->done;
	in.n_resolved = op->n_done;
	nd_explain_deinit(e);
	return nd_explain_run(&in, e);
}

/* Where our own listener answers: its first address, loopback for a
 * wildcard one. */
static void own_listener(const struct nd_daemon *d, struct sockaddr_storage *ss)
{
	*ss = d->cfg.listen[0];
	if (!nd_addr_is_any((struct sockaddr *)ss))
		return;
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr =
		    htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
}

static void on_reply(evutil_socket_t fd, short what, void *arg);

/* Ask name (A, RD) of our own listener. Returns 0 or -errno. */
static int ask(struct resolve_op *op, const char *name)
{
	uint8_t q[12 + ND_DNS_MAX_NAME + 4];
	struct sockaddr_storage ss;
	uint64_t now = nd_clock_ms(), wait;
	struct timeval tv;
	int n;

	/* Named first: a failure below is this name's outcome too. */
	snprintf(op->done[op->n_done].name, sizeof(op->done[0].name), "%s",
		 name);
	n = nd_dns_name_from_text(name, q + 12, ND_DNS_MAX_NAME);
	if (n <= 0)
		return -EINVAL;
	op->id = nd_rand_u16();
	memset(q, 0, 12);
	q[0] = (uint8_t)(op->id >> 8);
	q[1] = (uint8_t)op->id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	q[12 + n] = 0;
	q[12 + n + 1] = ND_TYPE_A;
	q[12 + n + 2] = 0;
	q[12 + n + 3] = ND_CLASS_IN;
	own_listener(op->d, &ss);
	op->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (op->fd < 0)
		return -errno;
	if (connect(op->fd, (struct sockaddr *)&ss,
		    nd_addr_len((struct sockaddr *)&ss)) != 0 ||
	    send(op->fd, q, 12 + (size_t)n + 4, 0) < 0)
		return -errno;
	/* As long as the daemon itself gives a query, within the budget. */
	wait = op->d->cfg.query_timeout_ms + 500;
	if (now + wait > op->deadline_ms)
		wait = op->deadline_ms > now ? op->deadline_ms - now : 1;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	op->ev = event_new(op->d->control, op->fd, EV_READ | EV_PERSIST,
			   on_reply, op);
	if (op->ev == NULL || event_add(op->ev, &tv) != 0)
		return -ENOMEM;
	nd_debug("http", "explain resolve: asking %s", name);
	return 0;
}

/* Walk again; ask the next unknown name, or answer the request. */
static void step(struct resolve_op *op)
{
	struct nd_explain *e = calloc(1, sizeof(*e));
	cJSON *doc = NULL;
	const char *next;
	char *body = NULL;
	size_t len = 0;
	int status = e != NULL ? walk(op, e, &doc) : -ENOMEM;

	if (status == 0) {
		next = nd_explain_next_unknown(e);
		if (next != NULL && op->n_done < RESOLVE_MAX &&
		    nd_clock_ms() + 50 < op->deadline_ms) {
			char name[ND_EXPLAIN_TEXT];

			snprintf(name, sizeof(name), "%s", next);
			nd_explain_deinit(e);
			free(e);
			if (ask(op, name) == 0)
				return;
			/* Could not even send: say so as "no answer". */
			op->done[op->n_done].has_reply = false;
			op->n_done++;
			if (op->ev != NULL)
				event_free(op->ev);
			op->ev = NULL;
			if (op->fd >= 0)
				close(op->fd);
			op->fd = -1;
			step(op);
			return;
		}
		doc = nd_explain_json(e);
		status = doc != NULL ? 200 : 500;
	} else if (status < 0) {
		status = 500;
	}
	if (e != NULL) {
		nd_explain_deinit(e);
		free(e);
	}
	status = nd_debug_doc_text(doc, status, &body, &len);
	nd_http_later_reply(op->later, status, body, len, "application/json");
	op->later = NULL;
	op_free(op);
}

static void on_reply(evutil_socket_t fd, short what, void *arg)
{
	struct resolve_op *op = arg;
	struct nd_explain_resolved *r = &op->done[op->n_done];
	uint8_t buf[ND_DNS_MAX_MSG];
	ssize_t n;

	if (what & EV_READ) {
		n = recv(fd, buf, sizeof(buf), 0);
		/* Only our reply: a stray datagram waits for the next. */
		if (n < 12 || buf[0] != (uint8_t)(op->id >> 8) ||
		    buf[1] != (uint8_t)op->id || !(buf[2] & 0x80))
			return;
		r->has_reply = nd_diag_reply_parse(buf, (size_t)n,
						   &r->reply) == 0;
	} else {
		r->has_reply = false;
	}
	op->n_done++;
	event_free(op->ev);
	op->ev = NULL;
	close(op->fd);
	op->fd = -1;
	step(op);
}

int nd_debug_explain_resolve(struct nd_daemon *d,
			     const struct nd_qs *params,
			     struct nd_http_later *later, cJSON **doc)
{
	struct resolve_op *op;
	struct nd_explain_input in;
	struct nd_kube_ip ip;
	char all[256];
	int status;

	/* A bad request is answered now, like the plain view. */
	status = nd_debug_explain_input(d, params, &in, &ip, all, sizeof(all),
					doc);
	if (status != 0)
		return status;
	if (strcmp(nd_debug_param(params, "resolve"), "0") == 0)
		return nd_debug_view_explain(d, params, doc);
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return -ENOMEM;
	op->d = d;
	op->fd = -1;
	op->deadline_ms = nd_clock_ms() + RESOLVE_BUDGET_MS;
	LIST_INSERT_HEAD(&ops, op, link);
	if (nd_qs_copy(&op->params, params) != 0) {
		op_free(op);
		return -ENOMEM;
	}
	op->later = later;
	step(op); /* answers at once when nothing is left to ask */
	return ND_HTTP_LATER;
}

void nd_debug_resolve_cancel_all(struct nd_daemon *d)
{
	struct resolve_op *op, *next;

	for (op = LIST_FIRST(&ops); op != NULL; op = next) {
		next = LIST_NEXT(op, link);
		if (op->d != d)
			continue;
		static const char msg[] = "{\"error\": \"shutting down\"}\n";

		nd_http_later_reply(op->later, 503, strdup(msg),
				    sizeof(msg) - 1, "application/json");
		op->later = NULL;
		op_free(op);
	}
}
