/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/worker.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolver/fetch.h"
#include "resolver/resolve.h"
#include "resolver/diag/symptoms.h"
#include "server/daemon.h"
#include "server/forwarder.h"
#include "server/listen_tcp.h"
#include "server/listen_udp.h"
#include "server/observers.h"
#include "server/request.h"
#include "server/worker_internal.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/rcu.h"

/* Room to render a whole TCP answer, plus OPT and an Extended DNS Error. */
#define SCRATCH_BYTES (ND_DNS_MAX_MSG + 512)
/* How often a stopping worker checks whether its work is done. */
#define DRAIN_CHECK_MS 20

enum mail_kind { MAIL_ANSWER, MAIL_STOP, MAIL_RELOAD };

/* A message to a worker from another thread. */
struct nd_mail {
	enum mail_kind kind;
	struct nd_rs_request *req; /* MAIL_ANSWER: whose answer (owned) */
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

/* Hand the resolver the upstreams and forward zones of rt. */
static void use_upstreams(struct nd_worker *w, const struct nd_runtime *rt)
{
	struct nd_rs_zone z[ND_MAX_FORWARD_ZONES];

	for (size_t i = 0; i < rt->n_zones; i++) {
		z[i].wire = rt->zones[i].wire;
		z[i].wire_len = rt->zones[i].wire_len;
		z[i].ups = rt->zones[i].ups;
		z[i].slot_base = rt->zones[i].slot_base;
		z[i].use_tcp = rt->zones[i].is_tcp;
	}
	/* Copied to every zone's environment by set_upstreams. */
	nd_rs_worker_env(w->rw)->use_0x20 = rt->forward_0x20;
	nd_rs_worker_env(w->rw)->use_cookies = rt->forward_cookies;
	/* Counted by address: the rows go with the set (copied into the
	 * zones' environments too). */
	nd_rs_worker_env(w->rw)->rows = rt->row_of_slot;
	(void)nd_rs_worker_set_upstreams(w->rw, rt->ups, rt->forward_tcp, z,
					 rt->n_zones,
					 (const char *const *)rt->upstream_names,
					 rt->n_slots);
}

/* Loop probes: at start, after a reload, then this often (worker 0). */
#define LOOP_PROBE_EVERY_S 60

static void start_fetch(struct nd_worker *w, struct nd_inflight_entry *e,
			const struct nd_fetch_action *first,
			struct nd_inflight_entry **later);
static void on_fetch_done(void *arg, struct nd_inflight_entry *e,
			  const struct nd_fetch_action *act);

/* A probe round: one probe to every upstream slot (see resolve.h). */
static void on_probe(evutil_socket_t fd, short what, void *arg)
{
	struct nd_worker *w = arg;
	struct nd_inflight_entry *later = NULL;
	struct timeval tv = { LOOP_PROBE_EVERY_S, 0 };
	size_t n = nd_rs_worker_slots(w->rw);

	(void)fd;
	(void)what;
	if (w->stop_deadline_ms != 0)
		return;
	evtimer_add(w->probe_ev, &tv);
	/* Healthy and not just started or reloaded: nothing to ask. */
	if (!w->probe_forced && !nd_rs_worker_has_loop(w->rw))
		return;
	w->probe_forced = false;
	w->probe_round++;
	for (size_t slot = 0; slot < n; slot++) {
		if (nd_resolve_probe(w->rw, slot, w->probe_round,
				     nd_clock_us(), w->res) != 0)
			continue;
		start_fetch(w, w->res->fetch, &w->res->act, &later);
	}
	while (later != NULL) {
		struct nd_inflight_entry *e = later;
		struct nd_fetch_action done = { .what = ND_FETCH_DONE,
						.end = (enum nd_fetch_end)
							       e->end };

		later = e->io_next;
		e->io_next = NULL;
		on_fetch_done(w, e, &done);
	}
}

/* Probe now (start, reload), on worker 0 only: one round is enough. */
static void probe_soon(struct nd_worker *w)
{
	static const struct timeval now = { 0, 0 };

	if (w->probe_ev != NULL) {
		w->probe_forced = true;
		evtimer_add(w->probe_ev, &now);
	}
}

/* The runtime snapshot in force, as the resolver's policy. */
static struct nd_rs_policy policy_of(struct nd_worker *w)
{
	const struct nd_runtime *rt = nd_daemon_runtime(w->d);
	struct nd_rs_policy p = { &rt->acl, rt->cache_max_ttl_s,
				  rt->drop_outside_allow };

	return p;
}

/*
 * Send the answer of a request that waited, on thread cur. UDP goes out
 * at once from the socket it came in on (sendmsg on a shared socket is
 * thread-safe); a TCP answer must be written by the connection's own
 * worker, so it is mailed there when cur is another one. Takes rq.
 */
static void deliver(struct nd_worker *cur, struct nd_rs_request *rq,
		    const uint8_t *msg, size_t len)
{
	struct nd_req_io *io = (struct nd_req_io *)rq->io;
	struct nd_worker *home = io->worker;

	if (io->client.proto == ND_PROTO_UDP) {
		union nd_udp_dst_cmsg ctl;
		struct iovec iov = {(void *)msg, len};
		struct msghdr h = {
			.msg_name = &io->client.peer,
			.msg_namelen = io->client.peer_len,
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};

		nd_udp_dst_to_msg(&io->client.dst, &ctl, &h);
		if (len > 0 &&
		    sendmsg(io->client.udp_fd, &h, MSG_DONTWAIT) < 0)
			nd_debug("listen", "udp send: %s", strerror(errno));
	} else if (home != cur) {
		struct nd_mail *m = malloc(sizeof(*m) + len);
		if (m != NULL) {
			m->kind = MAIL_ANSWER;
			m->req = rq;
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
			nd_tcp_conn_send(io->client.conn, msg, len);
		nd_tcp_conn_release(io->client.conn);
	}
	__atomic_sub_fetch(&home->outstanding, 1, __ATOMIC_RELEASE);
	nd_rs_request_free(rq);
}

/*
 * Start the fetch a step asked for. When it cannot start (no upstream,
 * no memory) it is over at once: it goes on *later, whose ends are
 * delivered after the fetch at hand (the resolver's parse buffers hold
 * one fetch's answer at a time).
 */
static void start_fetch(struct nd_worker *w, struct nd_inflight_entry *e,
			const struct nd_fetch_action *first,
			struct nd_inflight_entry **later)
{
	struct nd_fetch_action act = *first;

	if (act.what == ND_FETCH_SEND && nd_forwarder_run(w->fwd, e, &act) == 0)
		return;
	if (act.what != ND_FETCH_DONE)
		nd_fetch_local_error(&e->fetch, &act);
	e->end = act.end;
	e->io_next = *later;
	*later = e;
}

/* One fetch is over: the resolver writes each waiter's answer (or moves
 * it on to the fetch of its CNAME's target); the answers go out. */
static void finish_fetch(struct nd_worker *w, struct nd_inflight_entry *e,
			 const struct nd_fetch_action *act,
			 struct nd_inflight_entry **later)
{
	struct nd_rs_policy p = policy_of(w);
	struct nd_rs_result *res = w->res_done;	/* not w->res: a fetch
						   can end inside a step */
	struct nd_rs_request *rq;
	uint64_t now = nd_clock_us();

	nd_resolve_done(w->rw, e, act, now);
	while ((rq = nd_resolve_next(w->rw, &p, e, now, w->scratch,
				     SCRATCH_BYTES, res)) != NULL) {
		switch (res->step) {
		case ND_RS_ANSWER:
			nd_observers_run(w->d, &res->ev);
			deliver(w, rq, w->scratch, res->len);
			break;
		case ND_RS_DROP:
			deliver(w, rq, w->scratch, 0);
			break;
		case ND_RS_WAIT:
			break;
		case ND_RS_ASK:
			start_fetch(w, res->fetch, &res->act, later);
			break;
		}
	}
	free(e);
}

/* The forwarder's end of a fetch, and any that ended at once after it. */
static void on_fetch_done(void *arg, struct nd_inflight_entry *e,
			  const struct nd_fetch_action *act)
{
	struct nd_worker *w = arg;
	struct nd_inflight_entry *later = NULL;

	finish_fetch(w, e, act, &later);
	while (later != NULL) {
		struct nd_fetch_action done = { .what = ND_FETCH_DONE };

		e = later;
		later = e->io_next;
		done.end = (enum nd_fetch_end)e->end;
		finish_fetch(w, e, &done, &later);
	}
}

void nd_worker_handle_query(struct nd_worker *w, const struct nd_client *c,
			    const uint8_t *pkt, size_t len, uint8_t *out,
			    size_t cap, size_t *out_len)
{
	struct nd_rs_policy p = policy_of(w);
	struct nd_req_io io = { w, *c };
	struct nd_rs_result *res = w->res;

	*out_len = 0;
	if (nd_resolve_begin(w->rw, &p, c->proto,
			     (const struct sockaddr *)&c->peer, &io, pkt, len,
			     nd_clock_us(), out, cap, res) != 0)
		return;
	switch (res->step) {
	case ND_RS_ANSWER:
		nd_observers_run(w->d, &res->ev);
		*out_len = res->len;
		return;
	case ND_RS_DROP:
		return;
	case ND_RS_WAIT:
	case ND_RS_ASK:
		break;
	}
	/* The request waits: its TCP connection stays open for it. */
	__atomic_add_fetch(&w->outstanding, 1, __ATOMIC_RELAXED);
	if (c->proto == ND_PROTO_TCP)
		nd_tcp_conn_hold(c->conn);
	if (res->step == ND_RS_WAIT)
		return;
	struct nd_inflight_entry *later = NULL;
	start_fetch(w, res->fetch, &res->act, &later);
	if (later != NULL) {
		/* No upstream, or no memory: it ends now, and its waiters
		 * (this query among them) get their answers. */
		struct nd_fetch_action done = { .what = ND_FETCH_DONE,
						.end = (enum nd_fetch_end)
							       later->end };

		on_fetch_done(w, later, &done);
	}
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
			use_upstreams(w, rt);
			/* From here on this worker holds nothing of the
			 * snapshots before rt: the control thread may free
			 * them (after the fetches' grace). */
			__atomic_store_n(&w->rt_gen, rt->gen, __ATOMIC_RELEASE);
			probe_soon(w);
			break;
		}
		}
		free(m);
	}
}

/* A failed upstream attempt: the symptoms say what it likely means. */
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
	w->res = malloc(sizeof(*w->res));
	w->res_done = malloc(sizeof(*w->res_done));
	w->base = event_base_new();
	if (w->scratch == NULL || w->res == NULL || w->res_done == NULL ||
	    w->base == NULL)
		goto fail;
	w->mail_ev = event_new(w->base, -1, EV_READ, on_mail, w);
	w->drain_ev = evtimer_new(w->base, on_drain_check, w);
	if (w->mail_ev == NULL || w->drain_ev == NULL)
		goto fail;
	if (index == 0) {
		w->probe_ev = evtimer_new(w->base, on_probe, w);
		if (w->probe_ev == NULL)
			goto fail;
	}
	struct nd_fetch_env env = {
		.ups = rt->ups,
		.attempt_timeout_ms = d->cfg.upstream_timeout_ms,
		.query_timeout_ms = d->cfg.query_timeout_ms,
		.on_failure = on_upstream_failure,
		.failure_arg = d,
	};
	w->rw = nd_rs_worker_new(d->resolver, &w->metrics, &env);
	w->fwd = nd_forwarder_new(w->base, on_fetch_done, w);
	if (w->rw == NULL || w->fwd == NULL)
		goto fail;
	use_upstreams(w, rt);
	w->rt_gen = rt->gen;
	probe_soon(w);
	for (size_t i = 0; i < d->cfg.n_listen; i++) {
		const struct sockaddr *a =
			(const struct sockaddr *)&d->cfg.listen[i];
		w->udp[i] = nd_udp_listener_new(w, a);
		w->tcp[i] = nd_tcp_listener_new(w, a, d->cfg.tcp_max_conns,
						d->cfg.tcp_idle_timeout_ms,
						d->tcp_clients);
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
			nd_rs_request_free(m->req);
		free(m);
	}
	if (w->mail_ev)
		event_free(w->mail_ev);
	if (w->drain_ev)
		event_free(w->drain_ev);
	if (w->probe_ev)
		event_free(w->probe_ev);
	if (w->base)
		event_base_free(w->base);
	pthread_mutex_destroy(&w->mail_lock);
	free(w->scratch);
	free(w->res);
	free(w->res_done);
	nd_rs_worker_free(w->rw);
	free(w);
}
