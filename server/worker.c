/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/answer.h"
#include "dns/ede.h"
#include "resolver/cache.h"
#include "dns/upstream_msg.h"
#include "kube/store.h"
#include "resolver/observe.h"
#include "dns/query.h"
#include "resolver/diag/symptoms.h"
#include "dns/response.h"
#include "server/daemon.h"
#include "server/forwarder.h"
#include "server/inflight.h"
#include "server/listen_tcp.h"
#include "server/listen_udp.h"
#include "server/observers.h"
#include "server/request.h"
#include "server/worker_internal.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rcu.h"

/* TTL offsets a parsed upstream answer may hold: one per record, and a
 * 64 KiB message holds at most ~5,000 minimal records. */
#define SCRATCH_TTLS 8192
/* Room to render a whole TCP answer, plus OPT and an Extended DNS Error. */
#define SCRATCH_BYTES (ND_DNS_MAX_MSG + 512)
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

/* What the last step of an answer needs beyond the query and the reply. */
struct reply_meta {
	enum nd_answer_source src;	/* where the answer came from */
	int kube_ready;			/* ready endpoints of the Service the
					   name is; -1 = not a Service name */
	int ede;			/* RFC 8914 INFO-CODE to add, -1 = none */
	const char *ede_text;		/* its EXTRA-TEXT, NULL = none */
	const struct nd_forward_info *fi; /* upstream history; NULL = none */
};

static const struct reply_meta local_meta = { ND_SRC_LOCAL, -1, -1, NULL,
					       NULL };

/*
 * The last step of every answer, on thread cur, before it is sent: the
 * Extended DNS Error (only EDNS clients get one, and never past limit),
 * the counters, the observers (search-list tracker, signals, slow-query
 * log). msg[0..len) may grow up to cap; returns the final length.
 */
static size_t complete_reply(struct nd_worker *cur, const struct nd_client *c,
			     const struct nd_query *q, uint8_t *msg,
			     size_t len, size_t cap, size_t limit,
			     uint64_t start_us, const struct reply_meta *meta)
{
	struct nd_metrics *m = &cur->metrics;
	struct nd_query_event ev;
	uint64_t now = nd_clock_us();
	uint64_t took = now > start_us ? now - start_us : 0;
	uint16_t flags;

	if (len < ND_DNS_HEADER_LEN)
		return len;
	if (meta->ede >= 0 && q->has_edns)
		nd_ede_append(msg, &len, cap, limit, (uint16_t)meta->ede,
			      meta->ede_text);
	flags = nd_get16(msg + 2);
	ev.rcode = flags & ND_FLAG_RCODE_MASK;
	if (ev.rcode == 0 && q->has_edns && q->edns_version > 0)
		ev.rcode = ND_RCODE_BADVERS; /* the high bits are in the OPT */
	ND_METRIC_INC(m->responses[nd_metrics_rcode_index(ev.rcode)]);
	ev.is_truncated = (flags & ND_FLAG_TC) != 0;
	if (ev.is_truncated)
		ND_METRIC_INC(m->truncated);
	nd_hist_observe(&m->duration, took);
	nd_hist_observe(&m->duration_src[meta->src], took);

	ev.client = (const struct sockaddr *)&c->peer;
	ev.proto = c->proto;
	ev.id = q->id;
	ev.qname_lc = q->has_question ? q->qname_lc : NULL;
	ev.qname_len = q->has_question ? q->qname_len : 0;
	ev.qtype = q->qtype;
	ev.ancount = nd_get16(msg + 6);
	ev.source = meta->src;
	ev.recv_us = start_us;
	ev.duration_us = took;
	ev.kube_ready = meta->kube_ready;
	ev.upstream = meta->fi ? meta->fi->upstream : -1;
	ev.attempts = meta->fi ? (uint16_t)meta->fi->attempts : 0;
	ev.used_tcp = meta->fi ? meta->fi->used_tcp : false;
	nd_observers_run(cur->d, &ev);
	return len;
}

/*
 * Send the answer of a request that waited, on thread cur. UDP goes out
 * at once from the socket it came in on (sendto on a shared socket is
 * thread-safe); a TCP answer must be written by the connection's own
 * worker, so it is mailed there when cur is another one.
 */
static void deliver(struct nd_worker *cur, struct nd_request *r,
		    const uint8_t *msg, size_t len)
{
	struct nd_worker *home = r->worker;

	if (r->client.proto == ND_PROTO_UDP) {
		union nd_udp_dst_cmsg ctl;
		struct iovec iov = {(void *)msg, len};
		struct msghdr h = {
			.msg_name = &r->client.peer,
			.msg_namelen = r->client.peer_len,
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};

		nd_udp_dst_to_msg(&r->client.dst, &ctl, &h);
		if (len > 0 &&
		    sendmsg(r->client.udp_fd, &h, MSG_DONTWAIT) < 0)
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

/* Complete and send a waiting request's answer built in w->scratch. */
static void finish_request(struct nd_worker *w, struct nd_request *r,
			   size_t len, const struct reply_meta *meta)
{
	if (len > 0)
		len = complete_reply(w, &r->client, &r->q, w->scratch, len,
				     SCRATCH_BYTES, reply_limit(r),
				     r->start_us, meta);
	deliver(w, r, w->scratch, len);
}

/*
 * Every upstream failed or timed out: stale if the cache has it
 * (RFC 8767), else SERVFAIL; both say why in an Extended DNS Error.
 */
static void answer_failed(struct nd_worker *w, struct nd_request *r,
			  int status, const struct nd_forward_info *fi)
{
	struct reply_meta meta = { ND_SRC_STALE, -1, ND_EDE_STALE_ANSWER, NULL,
				   fi };
	size_t n = 0;
	int st = nd_cache_answer(w->d->cache, &r->q, nd_clock_ms(), true,
				 reply_limit(r), w->scratch, SCRATCH_BYTES, &n);

	if (st == ND_CACHE_STALE) {
		ND_METRIC_INC(w->metrics.cache_stale);
	} else {
		int len = nd_response_error(&r->q, ND_RCODE_SERVFAIL,
					    w->scratch, SCRATCH_BYTES);
		n = len > 0 ? (size_t)len : 0;
		meta.src = ND_SRC_FAILED;
		/* Timeouts, and upstreams that answered SERVFAIL or REFUSED:
		 * no authority would give an answer (RFC 8914 4.23). Closed
		 * ports and ICMP errors: the network broke (4.24). */
		meta.ede = status == -ETIMEDOUT || status == -EPROTO
				   ? ND_EDE_NO_REACHABLE_AUTHORITY
				   : ND_EDE_NETWORK_ERROR;
		if (status == -EPROTO)
			meta.ede_text = "upstreams answered SERVFAIL or REFUSED";
	}
	finish_request(w, r, n, &meta);
}

static void on_forward_done(void *arg, int status, const uint8_t *reply,
			    size_t len)
{
	struct nd_inflight_entry *e = arg;
	struct nd_worker *w = e->owner;
	struct nd_daemon *d = w->d;
	struct nd_runtime *rt = nd_daemon_runtime(d);
	struct nd_forward_info fi;
	const struct nd_forward_info *fip = NULL;
	struct nd_answer a;
	bool have = false;

	if (nd_forwarder_done_info(w->fwd, &fi))
		fip = &fi;
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
		status = -EPROTO;
	}
	struct nd_request *r = nd_inflight_finish(d->inflight, e), *next;
	struct reply_meta meta = { ND_SRC_UPSTREAM, -1, -1, NULL, fip };
	for (; r != NULL; r = next) {
		next = r->next;
		if (!have) {
			answer_failed(w, r, status, fip);
			continue;
		}
		int n = nd_answer_render(&a, &r->q, 0, rt->cache_max_ttl_s,
					 false, reply_limit(r), w->scratch,
					 SCRATCH_BYTES);
		if (n < 0) {
			answer_failed(w, r, -EPROTO, fip);
			continue;
		}
		finish_request(w, r, (size_t)n, &meta);
	}
}

static bool is_allowed(const struct nd_runtime *rt, const struct sockaddr *sa)
{
	for (size_t i = 0; i < rt->acl.n; i++)
		if (nd_cidr_contains(&rt->acl.net[i], sa))
			return true;
	return false;
}

/* Reply now: complete it in out and hand it to the listener. */
static void reply_now(struct nd_worker *w, const struct nd_client *c,
		      const struct nd_query *q, size_t len, size_t cap,
		      uint64_t start_us, const struct reply_meta *meta,
		      uint8_t *out, size_t *out_len)
{
	size_t limit = c->proto == ND_PROTO_UDP ? nd_query_udp_limit(q)
						: ND_DNS_MAX_MSG;

	*out_len = complete_reply(w, c, q, out, len, cap, limit, start_us,
				  meta);
}

/* An error reply (FORMERR, REFUSED, SERVFAIL, ...) built and sent now. */
static void reply_error(struct nd_worker *w, const struct nd_client *c,
			const struct nd_query *q, int rcode,
			const struct reply_meta *meta, uint64_t start_us,
			uint8_t *out, size_t cap, size_t *out_len)
{
	int n = nd_response_error(q, rcode, out, cap);

	if (n > 0)
		reply_now(w, c, q, (size_t)n, cap, start_us, meta, out,
			  out_len);
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
servfail:
	reply_error(w, c, q, ND_RCODE_SERVFAIL, &local_meta, start_us, out,
		    cap, out_len);
}

void nd_worker_handle_query(struct nd_worker *w, const struct nd_client *c,
			    const uint8_t *pkt, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	struct nd_runtime *rt = nd_daemon_runtime(w->d);
	uint64_t start_us = nd_clock_us();
	struct nd_query q;
	int rcode = 0, v;

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
		static const struct reply_meta prohibited = {
			ND_SRC_LOCAL, -1, ND_EDE_PROHIBITED, NULL, NULL
		};
		reply_error(w, c, &q, ND_RCODE_REFUSED, &prohibited, start_us,
			    out, cap, out_len);
		return;
	}
	if (v == ND_QUERY_REPLY) {
		reply_error(w, c, &q, rcode, &local_meta, start_us, out, cap,
			    out_len);
		return;
	}
	size_t limit = c->proto == ND_PROTO_UDP ? nd_query_udp_limit(&q)
						: ND_DNS_MAX_MSG;
	size_t got = 0;
	/* The cluster zone first: those names never go upstream. */
	struct nd_kube_answer_info ki;
	if (w->d->kube != NULL &&
	    nd_kube_store_answer_info(w->d->kube, &q, limit, out, cap, &got,
				      &ki) == ND_KUBE_ANSWERED) {
		/* Before the first full list the store is empty, and its
		 * NXDOMAIN would be a lie a pod caches: SERVFAIL makes it
		 * retry instead. */
		if (!nd_daemon_kube_synced(w->d)) {
			static const struct reply_meta not_ready = {
				ND_SRC_LOCAL, -1, ND_EDE_NOT_READY,
				"the cluster zone is not synced yet", NULL
			};
			reply_error(w, c, &q, ND_RCODE_SERVFAIL, &not_ready,
				    start_us, out, cap, out_len);
			return;
		}
		struct reply_meta km = { ND_SRC_CLUSTER, ki.ready, -1, NULL,
					 NULL };
		ND_METRIC_INC(w->metrics.kube_answers);
		reply_now(w, c, &q, got, cap, start_us, &km, out, out_len);
		return;
	}
	int st = nd_cache_answer(w->d->cache, &q, start_us / 1000, false,
				 limit, out, cap, &got);
	if (st == ND_CACHE_HIT) {
		static const struct reply_meta cached = { ND_SRC_CACHE, -1, -1,
							  NULL, NULL };
		ND_METRIC_INC(w->metrics.cache_hits);
		reply_now(w, c, &q, got, cap, start_us, &cached, out, out_len);
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
			deliver(w, m->req, m->msg, m->len);
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

/* A failed upstream attempt: the signals say what it likely means. */
static void on_upstream_failure(void *arg, const struct sockaddr *upstream,
				int outcome)
{
	struct nd_daemon *d = arg;
	char name[ND_ADDR_STRLEN];

	if (d->symptoms == NULL)
		return;
	nd_addr_format(upstream, name, sizeof(name));
	nd_symptoms_upstream_failure(d->symptoms, name, outcome, nd_clock_us());
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
	w->scratch = malloc(SCRATCH_BYTES);
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
		.on_failure = on_upstream_failure,
		.failure_arg = d,
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
	nd_rcu_register();
	event_base_dispatch(w->base);
	nd_rcu_unregister();
	return NULL;
}

int nd_worker_start(struct nd_worker *w)
{
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	char name[16];

	if (rc != 0)
		return -rc;
	/* "top -H", perf and /proc/PID/task tell the workers apart. */
	snprintf(name, sizeof(name), "nd-worker-%u", w->index);
	(void)pthread_setname_np(w->thread, name);
	return 0;
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
