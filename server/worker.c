/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolver/answer.h"
#include "resolver/cache.h"
#include "resolver/forward.h"
#include "resolver/kube/store.h"
#include "resolver/query.h"
#include "resolver/response.h"
#include "server/daemon.h"
#include "server/forwarder.h"
#include "server/inflight.h"
#include "server/listen_tcp.h"
#include "server/listen_udp.h"
#include "server/request.h"
#include "server/worker_internal.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"

/* TTL offsets a parsed upstream answer may hold: one per record, and a
 * 64 KiB message holds at most ~5,000 minimal records. */
#define SCRATCH_TTLS 8192
/* How often a stopping worker checks whether its work is done. */
#define DRAIN_CHECK_MS 20

enum mail_kind { MAIL_ANSWER, MAIL_STOP, MAIL_RELOAD };

/* A message to a worker from another thread. */
struct nd_mail {
	enum mail_kind kind;
	struct nd_request *req;	 /* MAIL_ANSWER: whose answer (owned) */
	uint64_t deadline_ms;	 /* MAIL_STOP */
	size_t len;		 /* MAIL_ANSWER: bytes in msg */
	struct nd_mail *next;
	uint8_t msg[];		 /* MAIL_ANSWER: the rendered answer */
};

struct event_base *nd_worker_base(struct nd_worker *w)
{
	return w->base;
}

struct nd_metrics *nd_worker_metrics(struct nd_worker *w)
{
	return &w->metrics;
}

void nd_worker_count_truncated(struct nd_worker *w)
{
	ND_METRIC_INC(w->metrics.truncated);
}

static void post(struct nd_worker *w, struct nd_mail *m)
{
	pthread_mutex_lock(&w->mail_lock);
	m->next = w->mail;
	w->mail = m;
	pthread_mutex_unlock(&w->mail_lock);
	/* event_active is thread-safe once evthread_use_pthreads() ran. */
	event_active(w->mail_ev, EV_READ, 0);
}

static void request_free(struct nd_request *r)
{
	free(r);
}

/* Count the reply msg[0..len) to a request received at start_us. */
static void count_reply(struct nd_worker *cur, const uint8_t *msg, size_t len,
			int rcode, uint64_t start_us)
{
	struct nd_metrics *m = &cur->metrics;

	if (len >= ND_DNS_HEADER_LEN && rcode < 0)
		rcode = msg[3] & ND_FLAG_RCODE_MASK;
	ND_METRIC_INC(m->responses[nd_metrics_rcode_index(rcode)]);
	if (len >= ND_DNS_HEADER_LEN && (nd_get16(msg + 2) & ND_FLAG_TC))
		ND_METRIC_INC(m->truncated);
	uint64_t now = nd_clock_us();
	nd_hist_observe(&m->duration, now > start_us ? now - start_us : 0);
}

/*
 * Deliver the answer to a request that waited, on thread cur. UDP goes
 * out at once from the socket it came in on (sendto on a shared socket
 * is thread-safe); a TCP answer must be written by the connection's own
 * worker, so it is mailed there when cur is another one.
 */
static void finish_request(struct nd_worker *cur, struct nd_request *r,
			   const uint8_t *msg, size_t len)
{
	struct nd_worker *home = r->worker;

	if (len > 0)
		count_reply(cur, msg, len, -1, r->start_us);
	if (r->client.proto == ND_PROTO_UDP) {
		if (len > 0 &&
		    sendto(r->client.udp_fd, msg, len, MSG_DONTWAIT,
			   (const struct sockaddr *)&r->client.peer,
			   r->client.peer_len) < 0)
			nd_debug("listen", "udp send: %s", strerror(errno));
	} else if (home != cur) {
		struct nd_mail *m = malloc(sizeof(*m) + len);
		if (m != NULL) {
			m->kind = MAIL_ANSWER;
			m->req = r;
			m->len = len;
			memcpy(m->msg, msg, len);
			post(home, m);
			return;
		}
		/* Out of memory: the client times out; the connection
		 * stays held, which shutdown's deadline ends. */
		nd_err("listen", "no memory to hand a TCP answer to worker %u",
		       home->index);
		return;
	} else {
		if (len > 0)
			nd_tcp_conn_send(r->client.conn, msg, len);
		nd_tcp_conn_release(r->client.conn);
	}
	__atomic_sub_fetch(&home->outstanding, 1, __ATOMIC_RELEASE);
	request_free(r);
}

static size_t reply_limit(const struct nd_request *r)
{
	return r->client.proto == ND_PROTO_UDP ? nd_query_udp_limit(&r->q)
					       : ND_DNS_MAX_MSG;
}

/* Every upstream failed or timed out: stale if the cache has it
 * (RFC 8767), else SERVFAIL. */
static void answer_failed(struct nd_worker *w, struct nd_request *r)
{
	size_t n = 0;
	int st = nd_cache_answer(w->d->cache, &r->q, nd_clock_ms(), true,
				 reply_limit(r), w->scratch, ND_DNS_MAX_MSG + 512,
				 &n);

	if (st == ND_CACHE_STALE) {
		ND_METRIC_INC(w->metrics.cache_stale);
	} else {
		int len = nd_response_error(&r->q, ND_RCODE_SERVFAIL,
					    w->scratch, ND_DNS_MAX_MSG + 512);
		n = len > 0 ? (size_t)len : 0;
	}
	finish_request(w, r, w->scratch, n);
}

static void on_forward_done(void *arg, int status, const uint8_t *reply,
			    size_t len)
{
	struct nd_inflight_entry *e = arg;
	struct nd_worker *w = e->owner;
	struct nd_daemon *d = w->d;
	struct nd_runtime *rt = nd_daemon_runtime(d);
	struct nd_answer a;
	bool have = false;

	if (status == 0 &&
	    nd_answer_parse(reply, len, w->scratch_wire, ND_DNS_MAX_MSG,
			    w->scratch_ttl, SCRATCH_TTLS, &a) == 0) {
		have = true;
		/* Into the cache before the entry leaves the table, so a
		 * query arriving in between either joins or hits. */
		nd_cache_put(d->cache, e->qname_lc, e->qname_len, e->qtype,
			     e->qclass, &a, nd_clock_ms());
	} else if (status == 0) {
		nd_warn("forward", "unusable upstream answer (%zu bytes)", len);
	}
	struct nd_request *r = nd_inflight_finish(d->inflight, e), *next;
	for (; r != NULL; r = next) {
		next = r->next;
		if (!have) {
			answer_failed(w, r);
			continue;
		}
		int n = nd_answer_render(&a, &r->q, 0, rt->cache_max_ttl_s,
					 false, reply_limit(r), w->scratch,
					 ND_DNS_MAX_MSG + 512);
		if (n < 0) {
			answer_failed(w, r);
			continue;
		}
		finish_request(w, r, w->scratch, (size_t)n);
	}
}

static bool is_allowed(const struct nd_runtime *rt, const struct sockaddr *sa)
{
	for (size_t i = 0; i < rt->acl.n; i++)
		if (nd_cidr_contains(&rt->acl.net[i], sa))
			return true;
	return false;
}

/* Reply now: count it and hand it to the listener. */
static void reply_now(struct nd_worker *w, int rcode, size_t len,
		      uint64_t start_us, const uint8_t *out, size_t *out_len)
{
	count_reply(w, out, len, rcode, start_us);
	*out_len = len;
}

static void forward(struct nd_worker *w, const struct nd_client *c,
		    const struct nd_query *q, uint64_t start_us, uint8_t *out,
		    size_t cap, size_t *out_len)
{
	struct nd_inflight_entry *e;
	struct nd_request *r = malloc(sizeof(*r));
	int rc;

	if (r == NULL)
		goto servfail;
	r->worker = w;
	r->client = *c;
	r->q = *q;
	r->start_us = start_us;
	r->next = NULL;
	rc = nd_inflight_join(w->d->inflight, r, w, &e);
	if (rc == ND_INFLIGHT_FULL) {
		free(r);
		goto servfail;
	}
	__atomic_add_fetch(&w->outstanding, 1, __ATOMIC_RELAXED);
	if (c->proto == ND_PROTO_TCP)
		nd_tcp_conn_hold(c->conn);
	if (rc == ND_INFLIGHT_JOINED) {
		ND_METRIC_INC(w->metrics.inflight_joined);
		return;
	}
	struct nd_question qs = {
		.qname_lc = e->qname_lc,
		.qname_len = e->qname_len,
		.qtype = e->qtype,
		.qclass = e->qclass,
	};
	if (nd_forwarder_query(w->fwd, &qs, on_forward_done, e) != 0)
		on_forward_done(e, -EIO, NULL, 0);
	return;
servfail:;
	int n = nd_response_error(q, ND_RCODE_SERVFAIL, out, cap);
	if (n > 0)
		reply_now(w, ND_RCODE_SERVFAIL, (size_t)n, start_us, out,
			  out_len);
}

void nd_worker_handle_query(struct nd_worker *w, const struct nd_client *c,
			    const uint8_t *pkt, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	struct nd_runtime *rt = nd_daemon_runtime(w->d);
	uint64_t start_us = nd_clock_us();
	struct nd_query q;
	int rcode = 0, v, n;

	*out_len = 0;
	v = nd_query_parse(pkt, len, &q, &rcode);
	if (v == ND_QUERY_DROP || v < 0) {
		ND_METRIC_INC(w->metrics.dropped);
		return;
	}
	if (q.has_question)
		ND_METRIC_INC(w->metrics.requests[c->proto]
						 [nd_metrics_qtype_index(q.qtype)]);
	else
		ND_METRIC_INC(w->metrics.requests[c->proto][ND_MQT_OTHER]);
	if (v == ND_QUERY_OK &&
	    !is_allowed(rt, (const struct sockaddr *)&c->peer)) {
		v = ND_QUERY_REPLY;
		rcode = ND_RCODE_REFUSED;
	}
	if (v == ND_QUERY_REPLY) {
		n = nd_response_error(&q, rcode, out, cap);
		if (n > 0)
			reply_now(w, rcode, (size_t)n, start_us, out, out_len);
		return;
	}
	size_t limit = c->proto == ND_PROTO_UDP ? nd_query_udp_limit(&q)
						: ND_DNS_MAX_MSG;
	size_t got = 0;
	/* The cluster zone first: those names never go upstream. */
	if (w->d->kube != NULL &&
	    nd_kube_store_answer(w->d->kube, &q, limit, out, cap, &got) ==
		    ND_KUBE_ANSWERED) {
		/* Before the first full list the store is empty, and its
		 * NXDOMAIN would be a lie a pod caches: SERVFAIL makes it
		 * retry instead. */
		if (!nd_daemon_kube_synced(w->d)) {
			n = nd_response_error(&q, ND_RCODE_SERVFAIL, out, cap);
			if (n > 0)
				reply_now(w, ND_RCODE_SERVFAIL, (size_t)n,
					  start_us, out, out_len);
			return;
		}
		ND_METRIC_INC(w->metrics.kube_answers);
		reply_now(w, -1, got, start_us, out, out_len);
		return;
	}
	int st = nd_cache_answer(w->d->cache, &q, start_us / 1000, false,
				 limit, out, cap, &got);
	if (st == ND_CACHE_HIT) {
		ND_METRIC_INC(w->metrics.cache_hits);
		reply_now(w, -1, got, start_us, out, out_len);
		return;
	}
	ND_METRIC_INC(w->metrics.cache_misses);
	forward(w, c, &q, start_us, out, cap, out_len);
}

static void on_drain_check(evutil_socket_t fd, short what, void *arg)
{
	struct nd_worker *w = arg;
	(void)fd;
	(void)what;

	int left = __atomic_load_n(&w->outstanding, __ATOMIC_ACQUIRE);
	if ((left == 0 && nd_forwarder_pending(w->fwd) == 0) ||
	    nd_clock_ms() >= w->stop_deadline_ms) {
		if (left > 0)
			nd_warn("listen",
				"worker %u: %d queries unanswered at shutdown",
				w->index, left);
		event_base_loopexit(w->base, NULL);
		return;
	}
	struct timeval tv = { 0, DRAIN_CHECK_MS * 1000 };
	event_add(w->drain_ev, &tv);
}

static void begin_stop(struct nd_worker *w, uint64_t deadline_ms)
{
	if (w->stop_deadline_ms != 0)
		return;
	w->stop_deadline_ms = deadline_ms;
	for (size_t i = 0; i < w->n_listen; i++) {
		nd_udp_listener_stop(w->udp[i]);
		nd_tcp_listener_stop(w->tcp[i]);
	}
	on_drain_check(-1, 0, w);
}

static void on_mail(evutil_socket_t fd, short what, void *arg)
{
	struct nd_worker *w = arg;
	struct nd_mail *m, *next;
	(void)fd;
	(void)what;

	pthread_mutex_lock(&w->mail_lock);
	m = w->mail;
	w->mail = NULL;
	pthread_mutex_unlock(&w->mail_lock);
	for (; m != NULL; m = next) {
		next = m->next;
		switch (m->kind) {
		case MAIL_ANSWER:
			finish_request(w, m->req, m->msg, m->len);
			break;
		case MAIL_STOP:
			begin_stop(w, m->deadline_ms);
			break;
		case MAIL_RELOAD: {
			struct nd_runtime *rt = nd_daemon_runtime(w->d);
			if (rt->ups != w->fwd_ups) {
				nd_forwarder_set_upstreams(w->fwd, rt->ups);
				w->fwd_ups = rt->ups;
			}
			break;
		}
		}
		free(m);
	}
}

struct nd_worker *nd_worker_new(struct nd_daemon *d, unsigned index)
{
	struct nd_worker *w = calloc(1, sizeof(*w));
	struct nd_runtime *rt = nd_daemon_runtime(d);

	if (w == NULL)
		return NULL;
	w->index = index;
	w->d = d;
	pthread_mutex_init(&w->mail_lock, NULL);
	w->scratch = malloc(ND_DNS_MAX_MSG + 512);
	w->scratch_wire = malloc(ND_DNS_MAX_MSG);
	w->scratch_ttl = malloc(SCRATCH_TTLS * sizeof(uint16_t));
	w->base = event_base_new();
	if (w->scratch == NULL || w->scratch_wire == NULL ||
	    w->scratch_ttl == NULL || w->base == NULL)
		goto fail;
	w->mail_ev = event_new(w->base, -1, EV_READ, on_mail, w);
	w->drain_ev = evtimer_new(w->base, on_drain_check, w);
	if (w->mail_ev == NULL || w->drain_ev == NULL)
		goto fail;
	struct nd_forwarder_options fo = {
		.attempt_timeout_ms = d->cfg.upstream_timeout_ms,
		.query_timeout_ms = d->cfg.query_timeout_ms,
	};
	w->fwd = nd_forwarder_new(w->base, rt->ups, &fo, &w->metrics);
	w->fwd_ups = rt->ups;
	if (w->fwd == NULL)
		goto fail;
	for (size_t i = 0; i < d->cfg.n_listen; i++) {
		const struct sockaddr *a =
			(const struct sockaddr *)&d->cfg.listen[i];
		w->udp[i] = nd_udp_listener_new(w, a);
		w->tcp[i] = nd_tcp_listener_new(w, a, d->cfg.tcp_max_conns,
						d->cfg.tcp_idle_timeout_ms);
		w->n_listen = i + 1;
		if (w->udp[i] == NULL || w->tcp[i] == NULL)
			goto fail;
	}
	return w;
fail:
	nd_worker_free(w);
	return NULL;
}

static void *worker_main(void *arg)
{
	struct nd_worker *w = arg;

	/* The cluster zone is read under RCU: every reader thread registers. */
	nd_kube_reader_register();
	event_base_dispatch(w->base);
	nd_kube_reader_unregister();
	return NULL;
}

int nd_worker_start(struct nd_worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);

	return rc == 0 ? 0 : -rc;
}

void nd_worker_stop(struct nd_worker *w, uint64_t deadline_ms)
{
	struct nd_mail *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	m->kind = MAIL_STOP;
	m->deadline_ms = deadline_ms;
	post(w, m);
}

void nd_worker_reload(struct nd_worker *w)
{
	struct nd_mail *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return;
	m->kind = MAIL_RELOAD;
	post(w, m);
}

void nd_worker_cancel(struct nd_worker *w)
{
	if (w == NULL)
		return;
	nd_forwarder_free(w->fwd);
	w->fwd = NULL;
}

void nd_worker_join(struct nd_worker *w)
{
	pthread_join(w->thread, NULL);
}

void nd_worker_free(struct nd_worker *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->n_listen; i++) {
		nd_tcp_listener_free(w->tcp[i]);
		nd_udp_listener_free(w->udp[i]);
	}
	nd_forwarder_free(w->fwd);
	struct nd_mail *m = w->mail, *next;
	for (; m != NULL; m = next) {
		next = m->next;
		if (m->kind == MAIL_ANSWER)
			request_free(m->req);
		free(m);
	}
	if (w->mail_ev)
		event_free(w->mail_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->base)
		event_base_free(w->base);
	pthread_mutex_destroy(&w->mail_lock);
	free(w->scratch);
	free(w->scratch_wire);
	free(w->scratch_ttl);
	free(w);
}
