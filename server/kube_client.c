/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/kube_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <event2/event.h>

#include "kube/decode.h"
#include "kube/list_page.h"
#include "kube/watch_lines.h"
#include "kube/store.h"
#include "kube/sync.h"
#include "server/kube_auth.h"
#include "server/kube_curl.h"
#include "server/kube_writer.h"
#include "kube/apply.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/rand.h"

/* Without a generated config header, automake passes it with -D. */
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif
#define USER_AGENT "nodedns/" PACKAGE_VERSION

#define ERR_BODY_MAX 4096	   /* error response bytes kept for the log */
#define BAD_LOG_BURST 10	   /* bad objects logged per window ... */
#define BAD_LOG_WINDOW_MS 60000	   /* ... of this length */
#define WRITER_BACKLOG_MAX ((size_t)64 << 20) /* event bytes waiting for the
					      store before a watch gives up
					      and lists again */
#define BUF_MIN 16384		   /* first size of a watcher's buffer */
#define BUF_KEEP 65536		   /* a buffer larger than this, and more
				      than 4 times what it holds, shrinks */

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

static const char *const kind_paths[ND_KIND_COUNT] = {
	[ND_KIND_SERVICE] = "/api/v1/services",
	[ND_KIND_SLICE] = "/apis/discovery.k8s.io/v1/endpointslices",
	[ND_KIND_NAMESPACE] = "/api/v1/namespaces",
};

/* Why a write callback stopped its transfer (it cannot remove the handle). */
enum abort_why {
	AB_NONE,
	AB_GONE,	/* ERROR event with code 410 */
	AB_ERROR_EVENT, /* any other ERROR event */
	AB_TOO_BIG,	/* a line or page over its cap */
	AB_BACKLOG,	/* the store is WRITER_BACKLOG_MAX behind */
};

/*
 * The transport of one kind's list/watch; the policy (what to ask next,
 * when) is its nd_kube_sync.
 */
struct watcher {
	struct nd_kube_client *c;
	enum nd_kube_kind kind;
	struct nd_kube_sync sync;
	struct nd_kube_curl_req req;
	struct curl_slist *headers;  /* of the running request */
	char *url;		     /* of the running request */
	char errbuf[CURL_ERROR_SIZE];
	char *buf;		     /* list page body, or watch bytes after the
					last complete line */
	size_t len, cap;	     /* bytes in buf, its size */
	size_t scan;		     /* buf[0..scan) holds no '\n' */
	long http_code;		     /* status of the running request;
					0 = not known yet */
	size_t listed, list_bad;     /* objects put / skipped by that list */
	uint64_t list_start_ms;	     /* monotonic ms its first page was asked */
	enum abort_why abort;
	char abort_msg[256];	     /* ERROR event text */
	uint64_t last_data_ms;	     /* monotonic ms of the last watch bytes */
	bool is_applied;	     /* a full list of this kind is in the
					store (its relist_end applied) */
	uint64_t watch_gen;	     /* requests started; tags event lines */
	struct event *timer;	     /* backoff / start */
	struct event *silent;	     /* silent-watch check */
};

struct nd_kube_client {
	struct event_base *base;     /* borrowed */
	struct nd_kube_store *store; /* borrowed */
	struct nd_kube_writer *writer; /* applies objects to store */
	struct nd_kube_auth *auth;
	struct nd_kube_curl *curl;
	struct nd_kube_client_options opt; /* defaults filled in (the policy's
					      in each watcher's sync) */
	struct watcher w[ND_KIND_COUNT];
	struct nd_kube_client_stats st;
	uint64_t bad_window_ms;	     /* start of the bad-object log window */
	unsigned bad_logged;	     /* lines logged in it */
	uint64_t bad_suppressed;     /* lines not logged in it */
};

static void follow(struct watcher *w, const struct nd_kube_sync_action *act);

static void stat_add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static void stat_set(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static const char *kname(const struct watcher *w)
{
	return nd_kube_kind_name(w->kind);
}

/* A bad object or event: counted always, logged at most a burst a minute. */
__attribute__((format(printf, 2, 3))) static void
bad_object(struct watcher *w, const char *fmt, ...)
{
	struct nd_kube_client *c = w->c;
	uint64_t now = nd_clock_ms();
	char msg[512];
	va_list ap;

	stat_add(&c->st.bad_objects[w->kind], 1);
	if (now - c->bad_window_ms >= BAD_LOG_WINDOW_MS) {
		if (c->bad_suppressed > 0)
			nd_warn("kube", "%llu more bad objects were not logged",
				(unsigned long long)c->bad_suppressed);
		c->bad_window_ms = now;
		c->bad_logged = 0;
		c->bad_suppressed = 0;
	}
	if (c->bad_logged >= BAD_LOG_BURST) {
		c->bad_suppressed++;
		return;
	}
	c->bad_logged++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nd_warn("kube", "%s: skipped: %s", kname(w), msg);
}

/* --- timers ------------------------------------------------------------ */

static void arm(struct event *ev, uint32_t delay_ms)
{
	struct timeval tv = { .tv_sec = delay_ms / 1000,
			      .tv_usec = (delay_ms % 1000) * 1000 };

	evtimer_add(ev, &tv);
}

/* --- requests ------------------------------------------------------------ */

/* Count a change of w's buffer size in the stats. */
static void buf_count(struct watcher *w, size_t old_cap)
{
	uint64_t *b = &w->c->st.buffer_bytes;

	if (w->cap > old_cap)
		__atomic_fetch_add(b, w->cap - old_cap, __ATOMIC_RELAXED);
	else
		__atomic_fetch_sub(b, old_cap - w->cap, __ATOMIC_RELAXED);
}

static int buf_append(struct watcher *w, const char *p, size_t n, size_t max)
{
	if (w->len + n > max)
		return -EFBIG;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : BUF_MIN, old = w->cap;
		char *nb;

		/* Bounded: cap doubles until it holds at most max + 1. */
		while (cap < w->len + n + 1)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (nb == NULL)
			return -ENOMEM;
		w->buf = nb;
		w->cap = cap;
		buf_count(w, old);
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	w->buf[w->len] = '\0';
	return 0;
}

/*
 * Give back what one large list page or watch event made the buffer
 * grow to (up to --max-line or the page cap, 16 and 256 MiB): kept, it
 * would hold that memory for the life of the process. Called when the
 * buffer holds little: after the lines of a chunk are handled, and
 * before a request.
 */
static void buf_shrink(struct watcher *w)
{
	size_t cap = BUF_MIN, old = w->cap;
	char *nb;

	if (w->cap <= BUF_KEEP || (w->len + 1) * 4 > w->cap)
		return;
	while (cap < w->len + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (nb == NULL)
		return; /* the larger one still works */
	w->buf = nb;
	w->cap = cap;
	buf_count(w, old);
}

/* Collect (the start of) an error response for the log. */
static void keep_error_body(struct watcher *w, const char *p, size_t n)
{
	if (w->len < ERR_BODY_MAX)
		buf_append(w, p, n < ERR_BODY_MAX - w->len ? n :
				  ERR_BODY_MAX - w->len, ERR_BODY_MAX);
}

/* The reason of an error response: Status.message, or the body's start. */
static void error_text(struct watcher *w, char *out, size_t outlen)
{
	cJSON *root = w->len ? cJSON_ParseWithLength(w->buf, w->len) : NULL;
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
	size_t n = 0;

	if (cJSON_IsString(m)) {
		snprintf(out, outlen, "%s", m->valuestring);
	} else {
		/* Printable bytes only: the body is the server's, not ours. */
		for (size_t i = 0; i < w->len && i < 200 && n + 1 < outlen; i++)
			out[n++] = (w->buf[i] >= 0x20 && w->buf[i] < 0x7f) ?
					   w->buf[i] : ' ';
		out[n] = '\0';
	}
	cJSON_Delete(root);
}

static void note_status(struct watcher *w)
{
	if (w->http_code == 0)
		curl_easy_getinfo(w->req.easy, CURLINFO_RESPONSE_CODE,
				  &w->http_code);
}

static size_t list_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct watcher *w = arg;
	size_t n = size * nmemb;

	note_status(w);
	if (w->http_code != 200) {
		keep_error_body(w, p, n);
		return n;
	}
	if (buf_append(w, p, n, w->c->opt.max_page) != 0) {
		w->abort = AB_TOO_BIG;
		return 0; /* libcurl ends the transfer with a write error */
	}
	return n;
}

/*
 * The DNS programming latency of Kubernetes' scalability SLIs: the
 * slice's last-change-trigger-time (when the Pod or Service change that
 * caused it happened) to now, when the store has published the changed
 * answers. Only watch events count: a list replays old changes. Called
 * on the writer thread, right after the apply (the histogram is atomic
 * counters).
 */
static void observe_programming(struct nd_kube_client *c, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *an = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(
		an, "endpoints.kubernetes.io/last-change-trigger-time");
	int64_t at_ms, now_ms = (int64_t)nd_clock_wall_ms();

	if (!cJSON_IsString(t) ||
	    nd_kube_parse_time(t->valuestring, &at_ms) != 0)
		return;
	nd_kube_stats_observe_prog(
		&c->st, now_ms > at_ms ? (uint64_t)(now_ms - at_ms) : 0);
}

/* --- changes for the store, applied on the writer thread ----------------- */

enum kop_what {
	KOP_PUT,	  /* an object added or changed */
	KOP_DEL,	  /* an object deleted */
	KOP_RELIST_BEGIN, /* a list of the kind begins */
	KOP_RELIST_END,	  /* ... and is complete */
	KOP_PAGE,	  /* a list page's items are all in */
	KOP_LINE,	  /* a watch event line, parsed by the writer */
};

/*
 * One change: made by kop_run() on the writer thread, reported by
 * kop_done() on the control thread, in the order posted.
 */
struct kop {
	struct watcher *w;
	enum kop_what what;
	enum nd_kube_event_type ev_type; /* is_line: the event's type */
	cJSON *root;			/* the event or list item (owned) */
	const cJSON *obj;		/* the object in root */
	int rc;				/* what the apply returned */
	char err[256];			/* and why, when it failed */
	size_t removed;			/* KOP_RELIST_END: objects deleted */
	unsigned pages;			/* KOP_RELIST_END: for the log */
	bool trim;			/* KOP_RELIST_END: give the heap back */
	char *rv, *cont;		/* KOP_PAGE: the page's (owned) */
	char *line;			/* KOP_LINE: the event (owned) */
	size_t line_len;		/* its bytes */
	uint64_t watch_gen;		/* KOP_LINE: the watch it came on */
	bool is_line;			/* a watch event line (line_done) */
	bool is_decoded;		/* is_line: it parsed */
	char ev_rv[ND_KUBE_RV_MAX];	/* KOP_LINE: the object's version */
};

static void kop_free(void *arg)
{
	struct kop *o = arg;

	cJSON_Delete(o->root);
	free(o->rv);
	free(o->cont);
	free(o->line);
	free(o);
}

/* KOP_LINE on the writer thread: the parse a large event costs is not
 * the control thread's. */
static void line_run(struct kop *o)
{
	struct nd_kube_event ev;

	if (nd_kube_decode_event(o->line, o->line_len, &ev, o->err,
				 sizeof(o->err)) != 0) {
		o->rc = ND_EPARSE;
		return;
	}
	o->is_decoded = true;
	o->ev_type = ev.type;
	memcpy(o->ev_rv, ev.rv, sizeof(o->ev_rv));
	o->root = ev.root;
	o->obj = ev.object;
	ev.root = NULL;
	switch (ev.type) {
	case ND_EV_ADDED:
	case ND_EV_MODIFIED:
		o->what = KOP_PUT;
		break;
	case ND_EV_DELETED:
		o->what = KOP_DEL;
		break;
	default:
		/* BOOKMARK; an ERROR never comes here (handle_event). */
		break;
	}
}

static void kop_run(void *arg)
{
	struct kop *o = arg;
	struct nd_kube_store *st = o->w->c->store;

	if (o->what == KOP_LINE && !o->is_decoded)
		line_run(o); /* becomes a KOP_PUT or KOP_DEL, or stays */
	switch (o->what) {
	case KOP_PUT:
		o->rc = nd_kube_apply_put(st, o->w->kind, o->obj, o->err,
					  sizeof(o->err));
		/* Its answers are served from now: the programming latency
		 * ends here (the histogram is atomic counters). */
		if (o->rc == 0 && o->is_line && o->w->kind == ND_KIND_SLICE)
			observe_programming(o->w->c, o->obj);
		break;
	case KOP_DEL:
		o->rc = nd_kube_apply_del(st, o->w->kind, o->obj, o->err,
					  sizeof(o->err));
		break;
	case KOP_RELIST_BEGIN:
		nd_kube_store_relist_begin(st, o->w->kind);
		break;
	case KOP_RELIST_END:
		o->removed = nd_kube_store_relist_end(st, o->w->kind);
		/*
		 * The first full list parsed and freed megabytes of JSON and
		 * pages; hand the freed heap back to the kernel, so the
		 * node's RSS shows what the zone holds.
		 */
		if (o->trim)
			nd_kube_store_trim(st);
		break;
	case KOP_PAGE:
	case KOP_LINE:
		break;
	}
	/* A large object's tree is freed here too, not on the control
	 * thread. */
	cJSON_Delete(o->root);
	o->root = NULL;
	o->obj = NULL;
}

static void relist_applied(struct kop *o);
static void page_applied(struct kop *o);

static void line_done(struct kop *o);

static void kop_done(void *arg)
{
	struct kop *o = arg;
	struct watcher *w = o->w;

	if (o->is_line) {
		line_done(o);
		kop_free(o);
		return;
	}
	switch (o->what) {
	case KOP_PUT:
	case KOP_DEL:
		/* A list item (watch lines go to line_done). */
		if (o->rc == 0) {
			w->listed++;
		} else {
			w->list_bad++;
			bad_object(w, "%s", o->err);
		}
		break;
	case KOP_RELIST_END:
		relist_applied(o);
		break;
	case KOP_PAGE:
		page_applied(o);
		break;
	case KOP_RELIST_BEGIN:
	case KOP_LINE:
		break;
	}
	kop_free(o);
}

/*
 * Queue o for the writer (takes o). bytes: what it holds, for the
 * backlog. Out of memory for the queue, it is applied here and now: the
 * store's lock makes that safe, though it may overtake queued changes.
 */
static void kop_post(struct kop *o, size_t bytes)
{
	if (nd_kube_writer_post(o->w->c->writer, kop_run, kop_done, kop_free,
				o, bytes) == 0)
		return;
	kop_run(o);
	kop_done(o);
}

static struct kop *kop_new(struct watcher *w, enum kop_what what)
{
	struct kop *o = calloc(1, sizeof(*o));

	if (o != NULL) {
		o->w = w;
		o->what = what;
	}
	return o;
}

/*
 * A watch event line the writer parsed and applied: count it, and move
 * the watch's resourceVersion on, when it came on the watch running now
 * (a line of an earlier watch must not move a later one back).
 */
static void line_done(struct kop *o)
{
	struct watcher *w = o->w;
	struct nd_kube_client *c = w->c;

	if (!o->is_decoded) {
		bad_object(w, "watch event: %s", o->err);
		return;
	}
	stat_add(&c->st.events[w->kind][o->ev_type], 1);
	if (o->rc != 0)
		bad_object(w, "%s event: %s",
			   nd_kube_event_type_name(o->ev_type), o->err);
	if (o->watch_gen == w->watch_gen &&
	    nd_kube_sync_get_state(&w->sync) == ND_SYNC_WATCHING) {
		nd_kube_sync_event(&w->sync, nd_clock_ms(), o->ev_rv);
		stat_set(&c->st.last_sync_ms, nd_clock_ms());
	}
}

/*
 * Hand a line to the writer unparsed: parsing an event (up to
 * --max-line, 16 MiB) is not the control thread's time. Only an ERROR
 * event must act on the watch at once; a line that may be one (it holds
 * "ERROR") is parsed here. Returns false when it must be.
 */
static bool post_line(struct watcher *w, const char *line, size_t n)
{
	struct kop *o;

	if (memmem(line, n, "\"ERROR\"", 7) != NULL)
		return false;
	o = kop_new(w, KOP_LINE);
	if (o == NULL || (o->line = malloc(n)) == NULL) {
		free(o);
		return false;
	}
	memcpy(o->line, line, n);
	o->line_len = n;
	o->is_line = true;
	o->watch_gen = w->watch_gen;
	kop_post(o, n);
	if (nd_kube_writer_backlog(w->c->writer) > WRITER_BACKLOG_MAX)
		w->abort = AB_BACKLOG;
	return true;
}

static void handle_event(struct watcher *w, const char *line, size_t n)
{
	struct nd_kube_event ev;
	const cJSON *m;
	struct kop *o;
	char err[256];

	if (post_line(w, line, n))
		return;
	if (nd_kube_decode_event(line, n, &ev, err, sizeof(err)) != 0) {
		bad_object(w, "watch event: %s", err);
		return;
	}
	if (ev.type == ND_EV_ERROR) {
		stat_add(&w->c->st.events[w->kind][ev.type], 1);
		m = cJSON_GetObjectItemCaseSensitive(ev.object, "message");
		snprintf(w->abort_msg, sizeof(w->abort_msg), "code %d: %s",
			 ev.code, cJSON_IsString(m) ? m->valuestring : "-");
		w->abort = ev.code == 410 ? AB_GONE : AB_ERROR_EVENT;
		nd_kube_event_deinit(&ev);
		return;
	}
	/* Not an ERROR after all (the word is in a label, say): the same
	 * way as every other line, parsed already, so that the watch's
	 * version moves on in order with the lines queued before it. */
	o = kop_new(w, KOP_LINE);
	if (o == NULL) {
		bad_object(w, "%s event: out of memory",
			   nd_kube_event_type_name(ev.type));
		nd_kube_event_deinit(&ev);
		return;
	}
	o->is_line = true;
	o->is_decoded = true;
	o->watch_gen = w->watch_gen;
	o->ev_type = ev.type;
	memcpy(o->ev_rv, ev.rv, sizeof(o->ev_rv));
	if (ev.type == ND_EV_ADDED || ev.type == ND_EV_MODIFIED)
		o->what = KOP_PUT;
	else if (ev.type == ND_EV_DELETED)
		o->what = KOP_DEL;
	o->root = ev.root;
	o->obj = ev.object;
	ev.root = NULL;
	nd_kube_event_deinit(&ev);
	kop_post(o, n);
	if (nd_kube_writer_backlog(w->c->writer) > WRITER_BACKLOG_MAX)
		w->abort = AB_BACKLOG;
}

/*
 * Watch bytes: complete lines are events; the rest waits for the next
 * chunk. scan remembers how far the partial line was searched, so a large
 * event arriving in many chunks costs linear time.
 */
static size_t watch_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct watcher *w = arg;
	size_t n = size * nmemb, from = 0, scan, line_len;
	const char *line;
	int rc;

	note_status(w);
	if (w->http_code != 200) {
		keep_error_body(w, p, n);
		return n;
	}
	w->last_data_ms = nd_clock_ms();
	if (buf_append(w, p, n, w->c->opt.max_line + n) != 0) {
		w->abort = AB_TOO_BIG;
		return 0;
	}
	scan = w->scan;
	while ((rc = nd_kube_watch_line(w->buf, w->len, w->c->opt.max_line,
				       &from, &scan, &line, &line_len)) == 1) {
		handle_event(w, line, line_len);
		if (w->abort != AB_NONE)
			return 0;
	}
	if (rc != 0) {
		w->abort = AB_TOO_BIG;
		return 0;
	}
	memmove(w->buf, w->buf + from, w->len - from);
	w->len -= from;
	w->scan = w->len;
	buf_shrink(w);
	if (w->len > w->c->opt.max_line) {
		w->abort = AB_TOO_BIG;
		return 0;
	}
	return n;
}

static void list_done(struct nd_kube_curl_req *req, CURLcode rc);
static void watch_done(struct nd_kube_curl_req *req, CURLcode rc);

static char *build_url(struct watcher *w, const struct nd_kube_sync_action *a)
{
	const char *server = nd_kube_auth_server(w->c->auth);
	const char *path = kind_paths[w->kind];
	char *url = NULL, *esc;
	int n;

	if (a->is_watch) {
		esc = curl_easy_escape(w->req.easy, a->rv, 0);
		if (esc == NULL)
			return NULL;
		n = asprintf(&url,
			     "%s%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u",
			     server, path, esc, a->timeout_s);
	} else {
		esc = a->cont ? curl_easy_escape(w->req.easy, a->cont, 0) :
				NULL;
		if (a->cont != NULL && esc == NULL)
			return NULL;
		/* list_rv is digits or empty: nothing to escape. */
		n = asprintf(&url, "%s%s?limit=%u%s%s%s%s", server, path,
			     a->limit, esc ? "&continue=" : "", esc ? esc : "",
			     a->list_rv && a->list_rv[0] ? "&resourceVersion=" :
							   "",
			     a->list_rv ? a->list_rv : "");
	}
	curl_free(esc);
	return n < 0 ? NULL : url;
}

/* Set up and add the request act describes. Returns 0 or -ENOMEM. */
static int submit(struct watcher *w, const struct nd_kube_sync_action *act)
{
	const struct nd_kube_client_options *o = &w->c->opt;
	CURL *e = w->req.easy;
	struct curl_slist *h;

	curl_easy_reset(e);
	curl_slist_free_all(w->headers);
	w->headers = NULL;
	free(w->url);
	w->url = build_url(w, act);
	w->len = w->scan = 0;
	w->watch_gen++;
	buf_shrink(w);
	w->http_code = 0;
	w->abort = AB_NONE;
	w->errbuf[0] = '\0';
	if (w->url == NULL)
		return -ENOMEM;
	h = curl_slist_append(NULL, "Accept: application/json");
	if (h == NULL)
		return -ENOMEM;
	w->headers = h;
	if (nd_kube_auth_apply(w->c->auth, e, &w->headers) != 0)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, w->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, w->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)o->connect_timeout_ms);
	/* A peer that vanishes without a FIN is found by keepalive and,
	 * for watches, by the silent timer. */
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, w);
	if (act->is_watch) {
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, watch_write);
		w->req.done = watch_done;
	} else {
		/* Lists are large and repetitive JSON; the API gzips them. */
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
				 (long)o->list_timeout_ms);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, list_write);
		w->req.done = list_done;
	}
	if (nd_kube_curl_add(w->c->curl, &w->req) != 0)
		return -ENOMEM;
	nd_debug("kube", "%s: GET %s", kname(w), w->url);
	return 0;
}

/*
 * Do what the policy says. A request that cannot even start is reported
 * back as failed, which makes the policy wait: no loop without a timer.
 */
static void follow(struct watcher *w, const struct nd_kube_sync_action *act)
{
	struct nd_kube_sync_action next;
	uint64_t now = nd_clock_ms();
	bool finished;

	if (act->what == ND_SYNC_WAIT) {
		arm(w->timer, act->delay_ms);
		return;
	}
	if (act->is_watch) {
		w->last_data_ms = now;
		if (submit(w, act) == 0) {
			arm(w->silent, act->silent_ms);
			return;
		}
		nd_kube_sync_watch_end(&w->sync, now, ND_WATCH_FAILED,
				       "cannot start the request: out of memory",
				       &next);
	} else {
		if (act->cont == NULL) {
			w->listed = w->list_bad = 0;
			w->list_start_ms = now;
		}
		if (submit(w, act) == 0)
			return;
		nd_kube_sync_list_end(&w->sync, now, ND_LIST_FAILED, NULL,
				      NULL, "cannot start the request: out of memory",
				      &finished, &next);
	}
	/* next is a WAIT: failures always back off. */
	arm(w->timer, next.delay_ms);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;
	struct nd_kube_sync_action act;
	uint64_t now = nd_clock_ms();

	(void)fd;
	(void)what;
	if (nd_kube_sync_get_state(&w->sync) == ND_SYNC_IDLE)
		nd_kube_sync_start(&w->sync, now, &act);
	else if (nd_kube_sync_timer(&w->sync, now, &act) != 0)
		return;
	follow(w, &act);
}

/* --- list ---------------------------------------------------------------- */

/* Queue every item of one page for the store (takes them from items). */
static void put_items(struct watcher *w, cJSON *items)
{
	cJSON *it;

	while ((it = cJSON_DetachItemFromArray(items, 0)) != NULL) {
		struct kop *o = kop_new(w, KOP_PUT);

		if (o == NULL) {
			cJSON_Delete(it);
			w->list_bad++;
			bad_object(w, "list item: out of memory");
			continue;
		}
		o->root = it;
		o->obj = it;
		kop_post(o, 0);
	}
}

/* The last page is in: queue the removal of what the list did not see. */
static void list_finished(struct watcher *w, unsigned pages)
{
	struct kop *o = kop_new(w, KOP_RELIST_END);

	if (o == NULL) {
		/* Without the removal the store keeps objects the list did
		 * not have until the next list: say so, carry on. */
		nd_err("kube", "%s: out of memory ending a list", kname(w));
		return;
	}
	o->pages = pages;
	o->trim = !__atomic_load_n(&w->c->st.is_synced, __ATOMIC_RELAXED);
	kop_post(o, 0);
}

/* The list is in the store: say so; ready once every kind is. */
static void relist_applied(struct kop *o)
{
	struct watcher *w = o->w;
	struct nd_kube_client *c = w->c;
	uint64_t now = nd_clock_ms();
	bool all = true;

	stat_set(&c->st.last_sync_ms, now);
	nd_info("kube", "%s: listed %zu (%zu skipped, %zu removed) in %u page%s, %llu ms, at resourceVersion %s",
		kname(w), w->listed, w->list_bad, o->removed, o->pages,
		o->pages == 1 ? "" : "s",
		(unsigned long long)(now - w->list_start_ms), w->sync.rv);
	w->is_applied = true;
	for (int k = 0; k < ND_KIND_COUNT; k++)
		all = all && c->w[k].is_applied;
	if (all && !__atomic_load_n(&c->st.is_synced, __ATOMIC_RELAXED)) {
		stat_set(&c->st.is_synced, 1);
		nd_info("kube", "synced: every resource listed");
	}
}

/* Report a list page's end to the policy and follow its answer. */
static void list_end(struct watcher *w, enum nd_kube_list_end how,
		     const char *rv, const char *cont, const char *why)
{
	struct nd_kube_sync_action act;
	unsigned pages = w->sync.pages + 1;
	bool finished = false;

	/* -ENOMEM comes with a WAIT; -EINVAL (not listing) cannot happen
	 * from a list's own done callback. */
	if (nd_kube_sync_list_end(&w->sync, nd_clock_ms(), how, rv, cont, why,
				  &finished, &act) == -EINVAL)
		return;
	if (finished)
		list_finished(w, pages);
	follow(w, &act);
}

static void list_done(struct nd_kube_curl_req *req, CURLcode rc)
{
	struct watcher *w = container_of(req, struct watcher, req);
	struct nd_kube_list_page page;
	char why[512], text[256];
	int rc_decode;
	struct kop *op;
	size_t page_len;

	if (w->abort == AB_TOO_BIG) {
		snprintf(why, sizeof(why), "GET %s: list page larger than %zu bytes",
			 w->url, w->c->opt.max_page);
		list_end(w, ND_LIST_FAILED, NULL, NULL, why);
		return;
	}
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "GET %s: %s", w->url,
			 w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc));
		list_end(w, ND_LIST_FAILED, NULL, NULL, why);
		return;
	}
	note_status(w);
	if (w->http_code == 410 && w->sync.cont != NULL) {
		list_end(w, ND_LIST_EXPIRED, NULL, NULL, "HTTP 410");
		return;
	}
	/* The resourceVersion the first page asked for is compacted away,
	 * or ahead of the server (etcd restored from a backup: a 504 whose
	 * cause says so): only the newest state can be listed. */
	if (w->sync.cont == NULL &&
	    (w->http_code == 410 ||
	     (w->http_code == 504 && w->buf != NULL &&
	      memmem(w->buf, w->len, "ResourceVersionTooLarge", 23) != NULL))) {
		snprintf(why, sizeof(why), "HTTP %ld", w->http_code);
		list_end(w, ND_LIST_RV_GONE, NULL, NULL, why);
		return;
	}
	if (w->http_code != 200) {
		error_text(w, text, sizeof(text));
		snprintf(why, sizeof(why), "GET %s: HTTP %ld: %s", w->url,
			 w->http_code, text);
		list_end(w, ND_LIST_FAILED, NULL, NULL, why);
		return;
	}
	page_len = w->len;
	rc_decode = nd_kube_decode_list(w->buf, w->len, &page);
	/* The page is parsed: its text is not needed any more. */
	w->len = 0;
	buf_shrink(w);
	if (rc_decode != 0) {
		snprintf(why, sizeof(why),
			 "GET %s: the list is not JSON with an items array (%zu bytes)",
			 w->url, page_len);
		list_end(w, ND_LIST_FAILED, NULL, NULL, why);
		return;
	}
	/*
	 * Begin only once the first page is in hand: until then the store
	 * serves the old state untouched, and a list that fails later is
	 * simply begun again.
	 */
	if (w->sync.pages == 0) {
		struct kop *b = kop_new(w, KOP_RELIST_BEGIN);

		if (b == NULL) {
			nd_kube_list_page_deinit(&page);
			list_end(w, ND_LIST_FAILED, NULL, NULL, "out of memory");
			return;
		}
		kop_post(b, 0);
	}
	op = kop_new(w, KOP_PAGE);
	if (op != NULL) {
		op->rv = strdup(page.rv);
		op->cont = page.cont != NULL ? strdup(page.cont) : NULL;
	}
	if (op == NULL || op->rv == NULL ||
	    (page.cont != NULL && op->cont == NULL)) {
		if (op != NULL)
			kop_free(op);
		nd_kube_list_page_deinit(&page);
		list_end(w, ND_LIST_FAILED, NULL, NULL, "out of memory");
		return;
	}
	if (cJSON_IsArray(page.items))
		put_items(w, (cJSON *)page.items);
	nd_kube_list_page_deinit(&page);
	/* The next page is asked for once this one is in the store: the
	 * pages waiting for the writer are one at a time. */
	kop_post(op, page_len);
}

/* A page is in the store: tell the policy, ask for what it says. */
static void page_applied(struct kop *o)
{
	list_end(o->w, ND_LIST_OK, o->rv, o->cont, NULL);
}

/* --- watch --------------------------------------------------------------- */

/* How a watch request ended, in the policy's words, with a why. */
static enum nd_kube_watch_end watch_outcome(struct watcher *w, CURLcode rc,
					    char *why, size_t whylen)
{
	char text[256];

	switch (w->abort) {
	case AB_GONE:
		snprintf(why, whylen, "%s", w->abort_msg);
		return ND_WATCH_GONE;
	case AB_ERROR_EVENT:
		snprintf(why, whylen, "GET %s: ERROR event %s", w->url,
			 w->abort_msg);
		return ND_WATCH_ERROR_EVENT;
	case AB_TOO_BIG:
		snprintf(why, whylen, "GET %s: a watch event longer than %zu bytes",
			 w->url, w->c->opt.max_line);
		return ND_WATCH_TOO_BIG;
	case AB_BACKLOG:
		snprintf(why, whylen, "GET %s: %zu bytes of events wait for the "
			 "store", w->url, nd_kube_writer_backlog(w->c->writer));
		return ND_WATCH_TOO_BIG;
	case AB_NONE:
	default:
		break;
	}
	if (w->http_code == 200) {
		snprintf(why, whylen, "%s",
			 w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc));
		return rc == CURLE_OK ? ND_WATCH_CLOSED : ND_WATCH_CUT;
	}
	if (w->http_code == 410) {
		snprintf(why, whylen, "HTTP 410");
		return ND_WATCH_GONE;
	}
	if (w->http_code != 0) {
		error_text(w, text, sizeof(text));
		snprintf(why, whylen, "GET %s: HTTP %ld: %s", w->url,
			 w->http_code, text);
		/* Our resourceVersion is ahead of the server's. */
		if (w->len > 0 && (strstr(w->buf, "ResourceVersionTooLarge") ||
				   strstr(w->buf, "Too large resource version")))
			return ND_WATCH_RV_TOO_LARGE;
		return ND_WATCH_FAILED;
	}
	snprintf(why, whylen, "GET %s: %s", w->url ? w->url : "-",
		 w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc));
	return ND_WATCH_FAILED;
}

static void watch_done(struct nd_kube_curl_req *req, CURLcode rc)
{
	struct watcher *w = container_of(req, struct watcher, req);
	struct nd_kube_sync_action act;
	enum nd_kube_watch_end how;
	char why[512];

	evtimer_del(w->silent);
	note_status(w);
	/* A cleanly ended stream may end in a line without its '\n'; a cut
	 * one ends in half an event, which is not worth a warning. */
	if (rc == CURLE_OK && w->http_code == 200 && w->len > 0 &&
	    w->abort == AB_NONE)
		handle_event(w, w->buf, w->len);
	how = watch_outcome(w, rc, why, sizeof(why));
	if (nd_kube_sync_watch_end(&w->sync, nd_clock_ms(), how, why, &act) ==
	    0)
		follow(w, &act);
}

static void on_silent(evutil_socket_t fd, short what, void *arg)
{
	struct watcher *w = arg;
	struct nd_kube_sync_action act;
	uint32_t recheck = 0;
	int rc;

	(void)fd;
	(void)what;
	rc = nd_kube_sync_silent(&w->sync, nd_clock_ms(), w->last_data_ms,
				 &recheck, &act);
	if (rc == 0) {
		arm(w->silent, recheck);
	} else if (rc == 1) {
		nd_kube_curl_remove(w->c->curl, &w->req);
		follow(w, &act);
	}
}

/* --- the client ---------------------------------------------------------- */

/* The transport's defaults; the policy's are nd_kube_sync_init()'s. */
static void fill_defaults(struct nd_kube_client_options *o,
			  const struct nd_kube_client_options *in)
{
	if (in != NULL)
		*o = *in;
	else
		memset(o, 0, sizeof(*o));
	if (o->connect_timeout_ms == 0)
		o->connect_timeout_ms = 10000;
	if (o->list_timeout_ms == 0)
		o->list_timeout_ms = 60000;
	if (o->max_line == 0)
		o->max_line = (size_t)16 << 20;
	if (o->max_page == 0)
		o->max_page = (size_t)256 << 20;
}

struct nd_kube_client *
nd_kube_client_new(struct event_base *base, struct nd_kube_store *store,
		   const struct nd_kube_creds *creds,
		   const struct nd_kube_client_options *opt)
{
	struct nd_kube_client *c;

	if (base == NULL || store == NULL || creds == NULL ||
	    creds->server == NULL)
		return NULL;
	if (strncmp(creds->server, "http://", 7) != 0 &&
	    strncmp(creds->server, "https://", 8) != 0) {
		nd_err("kube", "API server \"%s\" is not an http:// or https:// URL",
		       creds->server);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base = base;
	c->store = store;
	fill_defaults(&c->opt, opt);
	c->auth = nd_kube_auth_new(creds);
	c->curl = nd_kube_curl_new(base);
	c->writer = nd_kube_writer_new(base);
	if (c->auth == NULL || c->curl == NULL || c->writer == NULL)
		goto fail;
	for (int k = 0; k < ND_KIND_COUNT; k++) {
		struct watcher *w = &c->w[k];
		struct nd_kube_sync_options so = c->opt.sync;

		w->c = c;
		w->kind = (enum nd_kube_kind)k;
		/* Nodes draw their jitter and watch lengths apart. */
		so.seed = ((uint64_t)nd_rand_u32() << 32) | nd_rand_u32() | 1;
		if (nd_kube_sync_init(&w->sync, w->kind, &so) != 0)
			goto fail;
		w->req.easy = curl_easy_init();
		w->timer = evtimer_new(base, on_timer, w);
		w->silent = evtimer_new(base, on_silent, w);
		if (w->req.easy == NULL || w->timer == NULL ||
		    w->silent == NULL)
			goto fail;
	}
	for (int k = 0; k < ND_KIND_COUNT; k++)
		arm(c->w[k].timer, 0);
	nd_info("kube", "watching %s", nd_kube_auth_server(c->auth));
	return c;
fail:
	nd_kube_client_free(c);
	return NULL;
}

void nd_kube_client_free(struct nd_kube_client *c)
{
	if (c == NULL)
		return;
	/* First: the change being applied ends, the queued ones (which
	 * point at the watchers) are dropped. */
	nd_kube_writer_free(c->writer);
	c->writer = NULL;
	for (int k = 0; k < ND_KIND_COUNT; k++) {
		struct watcher *w = &c->w[k];

		nd_kube_curl_remove(c->curl, &w->req);
		if (w->req.easy != NULL)
			curl_easy_cleanup(w->req.easy);
		curl_slist_free_all(w->headers);
		if (w->timer != NULL)
			event_free(w->timer);
		if (w->silent != NULL)
			event_free(w->silent);
		free(w->url);
		free(w->buf);
		nd_kube_sync_deinit(&w->sync);
	}
	nd_kube_curl_free(c->curl);
	nd_kube_auth_free(c->auth);
	free(c);
}

bool nd_kube_client_is_synced(const struct nd_kube_client *c)
{
	return c != NULL && __atomic_load_n(&c->st.is_synced, __ATOMIC_RELAXED);
}

void nd_kube_client_get_stats(const struct nd_kube_client *c,
			      struct nd_kube_client_stats *out)
{
	const uint64_t *src;
	uint64_t *dst;

	_Static_assert(sizeof(*out) % sizeof(uint64_t) == 0,
		       "the stats are all uint64_t");
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (c == NULL)
		return;
	src = (const uint64_t *)&c->st;
	dst = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	/* The policy keeps its own counters. */
	for (int k = 0; k < ND_KIND_COUNT; k++) {
		const struct nd_kube_sync *s = &c->w[k].sync;

		out->lists[k] = __atomic_load_n(&s->lists, __ATOMIC_RELAXED);
		out->api_errors[k] =
			__atomic_load_n(&s->api_errors, __ATOMIC_RELAXED);
		for (int r = 0; r < ND_KUBE_RESTART_REASONS; r++)
			out->restarts[k][r] = __atomic_load_n(
				&s->restarts[r], __ATOMIC_RELAXED);
		for (int r = 0; r < ND_KUBE_RETRY_REASONS; r++)
			out->retries[k][r] = __atomic_load_n(&s->retries[r],
							     __ATOMIC_RELAXED);
	}
}

int nd_kube_client_watch_info(const struct nd_kube_client *c, uint64_t now_ms,
			      struct nd_kube_watch_info out[ND_KIND_COUNT])
{
	if (c == NULL || out == NULL)
		return -EINVAL;
	for (int k = 0; k < ND_KIND_COUNT; k++) {
		const struct nd_kube_sync *s = &c->w[k].sync;
		struct nd_kube_watch_info *o = &out[k];

		o->kind = (enum nd_kube_kind)k;
		o->state = nd_kube_sync_get_state(s);
		o->state_age_ms = now_ms > s->state_since_ms ?
					  now_ms - s->state_since_ms :
					  0;
		memcpy(o->rv, s->rv, sizeof(o->rv));
		o->is_synced = s->is_synced;
		o->failures = s->failures;
		o->short_watches = s->shorts;
		o->last_delay_ms = s->last_delay_ms;
		o->backoff_max_ms = s->opt.backoff_max_ms;
	}
	return 0;
}
