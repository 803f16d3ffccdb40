/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/forwarder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns/wire.h"
#include "dns/upstream_msg.h"
#include "resolver/metrics.h"
#include "resolver/upstream.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/rand.h"

#define LOG_GROUP "forward"

/* Room for our query: header, the longest name, QTYPE/QCLASS, OPT. */
#define QUERY_MAX (ND_DNS_HEADER_LEN + ND_DNS_MAX_NAME + 4 + 11)
/* Datagrams read per readiness event before going back to the loop, so a
 * flood of non-matching replies cannot starve the other queries. */
#define UDP_READS_PER_EVENT 32
/* Same for TCP reads and writes of one message. */
#define TCP_READS_PER_EVENT 16
#define TCP_WRITES_PER_EVENT 8
/* Attempts of one query at most, whatever the timeouts allow. */
#define FWD_MAX_TRIES 32

enum attempt_kind {
	ATT_NONE = 0,
	ATT_UDP,
	ATT_TCP,
};

struct nd_forwarder {
	struct event_base *base;	 /* borrowed */
	struct nd_upstreams *ups;	 /* borrowed; NULL = nothing to ask */
	unsigned ups_gen;		 /* bumped on every set swap */
	struct nd_forwarder_options opt;
	struct nd_metrics *m;		 /* borrowed; NULL = not counted */
	struct fwd_query *queries;	 /* in flight, doubly linked */
	size_t pending;			 /* length of queries */
	bool is_closing;		 /* nd_forwarder_free() is running */
	const struct fwd_query *finishing; /* whose done runs now, else NULL */
	uint8_t *rbuf;			 /* ND_DNS_MAX_MSG bytes: UDP replies */
};

/* One nd_forwarder_query(): the question and its single current attempt. */
struct fwd_query {
	struct nd_forwarder *f;
	struct fwd_query *prev, *next;
	uint8_t qname[ND_DNS_MAX_NAME]; /* lower-case wire name (copy) */
	struct nd_question qs;		/* points at qname */
	nd_forwarder_done_fn done;
	void *arg;
	struct event *timer;		/* attempt timeout, or deferred done */

	unsigned ups_gen;	/* f->ups_gen this query's rotation is from */
	uint64_t deadline_us;	/* monotonic; query_timeout_ms after start */
	unsigned n_tries;	/* attempts started (UDP and TCP) */
	unsigned rot;		/* next rotation step for nd_upstreams_pick */
	size_t first;		/* upstream of rotation step 0 */
	unsigned fast_fails;	/* consecutive attempts that ended without
				   an answer to use and without timing out */
	unsigned n_fast;	/* such attempts in all */
	bool saw_timeout;	/* some attempt timed out */
	bool used_tcp;		/* some attempt went over TCP (TC) */
	bool saw_rcode;		/* some upstream answered SERVFAIL/REFUSED/bad */
	bool is_starting;	/* inside nd_forwarder_query(): done must wait */
	bool is_finishing;	/* final status set; timer delivers it */
	int final_status;

	/* The current attempt. */
	enum attempt_kind kind;
	int fd;			/* -1 when none */
	struct event *rd_ev;	/* readable */
	struct event *wr_ev;	/* TCP: connected / writable */
	size_t up;		/* upstream index in the set of ups_gen */
	bool counts;		/* the set is still current: report and count */
	struct sockaddr_storage addr; /* the upstream (copy: the set may go) */
	uint16_t id;
	uint64_t sent_us;	/* monotonic, for the RTT */

	/* TCP (RFC 7766): 2-byte length + query out, the same back. */
	uint8_t out[2 + QUERY_MAX];
	size_t out_len, out_pos;
	uint8_t len_buf[2];
	size_t len_pos;
	uint8_t *in;		/* reply, malloc'd once its length is known */
	size_t in_len, in_pos;
};

static void next_attempt(struct fwd_query *q);

static bool debug_on(void)
{
	return ND_LOG_DEBUG <= nd_log_threshold;
}

static void log_attempt(const struct fwd_query *q, const char *proto)
{
	char name[4 * ND_DNS_MAX_NAME + 1], addr[ND_ADDR_STRLEN], tbuf[16];

	if (!debug_on())
		return;
	if (nd_dns_name_to_text(q->qs.qname_lc, q->qs.qname_len, name,
				sizeof(name)) != 0)
		strcpy(name, "?");
	if (nd_addr_format((const struct sockaddr *)&q->addr, addr,
			   sizeof(addr)) != 0)
		strcpy(addr, "?");
	nd_debug(LOG_GROUP, "attempt %u: %s %s to %s over %s (id %u)",
		 q->n_tries, name, nd_dns_type_name(q->qs.qtype, tbuf,
						    sizeof(tbuf)),
		 addr, proto, q->id);
}

static void close_attempt(struct fwd_query *q)
{
	if (q->rd_ev != NULL) {
		event_free(q->rd_ev);
		q->rd_ev = NULL;
	}
	if (q->wr_ev != NULL) {
		event_free(q->wr_ev);
		q->wr_ev = NULL;
	}
	if (q->fd >= 0) {
		close(q->fd);
		q->fd = -1;
	}
	free(q->in);
	q->in = NULL;
	q->in_len = q->in_pos = 0;
	q->len_pos = 0;
	q->out_len = q->out_pos = 0;
	evtimer_del(q->timer);
	q->kind = ATT_NONE;
}

static void unlink_query(struct fwd_query *q)
{
	struct nd_forwarder *f = q->f;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		f->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	f->pending--;
}

static void free_query(struct fwd_query *q)
{
	if (q == NULL)
		return;
	close_attempt(q);
	if (q->timer != NULL)
		event_free(q->timer);
	free(q);
}

/*
 * End the query: done gets status and the reply (borrowed, NULL on
 * failure). Inside nd_forwarder_query() the call is put off to a zero
 * timer, so that done never runs before the caller has its return value.
 */
static void finish(struct fwd_query *q, int status, const uint8_t *reply,
		   size_t len)
{
	nd_forwarder_done_fn done = q->done;
	void *arg = q->arg;

	if (q->is_starting) {
		/* Only failures can happen synchronously: nothing was sent. */
		static const struct timeval now = { 0, 0 };

		close_attempt(q);
		q->is_finishing = true;
		q->final_status = status;
		evtimer_add(q->timer, &now);
		return;
	}
	/* Unlink first: done may start new queries on the same forwarder. */
	unlink_query(q);
	if (q->kind != ATT_TCP)
		close_attempt(q); /* a TCP reply lives in q->in until done returns */
	q->f->finishing = q;
	done(arg, status, reply, len);
	q->f->finishing = NULL;
	free_query(q);
}

/* Record how the current attempt ended and close it. */
static void end_attempt(struct fwd_query *q, enum nd_upstream_outcome o,
			uint64_t rtt_us, bool answered)
{
	struct nd_forwarder *f = q->f;
	uint32_t rtt = rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;

	if (o == ND_UP_OK) {
		q->fast_fails = 0;
	} else if (o == ND_UP_TIMEOUT) {
		q->fast_fails = 0;
		q->saw_timeout = true;
	} else {
		q->fast_fails++;
		q->n_fast++;
		if (o != ND_UP_NETWORK)
			q->saw_rcode = true;
	}
	/*
	 * After nd_forwarder_set_upstreams() the index belongs to a set the
	 * caller may already have freed, and may mean another server in the
	 * new one: count nothing rather than count it wrong.
	 */
	if (q->counts && q->ups_gen == f->ups_gen && q->up < ND_MAX_UPSTREAMS) {
		if (f->m != NULL) {
			ND_METRIC_INC(f->m->fwd_responses[q->up][o]);
			if (answered)
				nd_hist_observe(&f->m->fwd_duration[q->up],
						rtt_us);
		}
		nd_upstreams_report(f->ups, q->up, o, rtt);
	}
	if (o != ND_UP_OK && f->opt.on_failure != NULL)
		f->opt.on_failure(f->opt.failure_arg,
				  (const struct sockaddr *)&q->addr, (int)o);
	if (debug_on()) {
		char addr[ND_ADDR_STRLEN];

		if (nd_addr_format((const struct sockaddr *)&q->addr, addr,
				   sizeof(addr)) != 0)
			strcpy(addr, "?");
		nd_debug(LOG_GROUP, "attempt %u to %s: %s (%llu us)",
			 q->n_tries, addr, nd_upstream_outcome_name(o),
			 (unsigned long long)rtt_us);
	}
	if (q->kind != ATT_TCP || o != ND_UP_OK)
		close_attempt(q);
}

/* Arm the attempt timer: per_attempt_ms, cut short by the query deadline. */
static void arm_timer(struct fwd_query *q, uint64_t per_attempt_ms,
		      uint64_t now_us)
{
	uint64_t us = per_attempt_ms * 1000;
	uint64_t left = q->deadline_us > now_us ? q->deadline_us - now_us : 0;
	struct timeval tv;

	if (left < us)
		us = left;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(q->timer, &tv);
}

static void count_request(struct fwd_query *q, bool tcp)
{
	struct nd_forwarder *f = q->f;

	q->n_tries++;
	if (f->m == NULL || !q->counts || q->up >= ND_MAX_UPSTREAMS)
		return;
	ND_METRIC_INC(f->m->fwd_requests[q->up]);
	if (tcp)
		ND_METRIC_INC(f->m->fwd_tcp[q->up]);
}

static uint64_t rtt_since(const struct fwd_query *q)
{
	uint64_t now = nd_clock_us();

	return now > q->sent_us ? now - q->sent_us : 0;
}

/* After an unusable reply: the outcome its verdict stands for. */
static enum nd_upstream_outcome verdict_outcome(enum nd_fwd_verdict v)
{
	switch (v) {
	case ND_FWD_SERVFAIL:
		return ND_UP_SERVFAIL;
	case ND_FWD_REFUSED:
		return ND_UP_REFUSED;
	default:
		return ND_UP_BAD;
	}
}

/* ---- TCP (RFC 7766 client side: one query per connection) ------------- */

static void tcp_fail(struct fwd_query *q, enum nd_upstream_outcome o)
{
	end_attempt(q, o, o == ND_UP_BAD ? rtt_since(q) : 0, o == ND_UP_BAD);
	next_attempt(q);
}

static void tcp_got_reply(struct fwd_query *q)
{
	enum nd_fwd_verdict v;
	uint64_t rtt = rtt_since(q);

	/*
	 * The connection is ours alone, so a reply that does not match is
	 * not a spoof to wait out but a broken upstream.
	 */
	if (!nd_fwd_matches(q->in, q->in_len, q->id, &q->qs)) {
		tcp_fail(q, ND_UP_BAD);
		return;
	}
	v = nd_fwd_classify(q->in, q->in_len);
	if (v == ND_FWD_ACCEPT) {
		end_attempt(q, ND_UP_OK, rtt, true);
		finish(q, 0, q->in, q->in_len);
		return;
	}
	/* TC over TCP means the upstream cannot do better (RFC 7766 8). */
	end_attempt(q, verdict_outcome(v), rtt, true);
	next_attempt(q);
}

static void tcp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_query *q = arg;

	(void)what;
	for (int i = 0; i < TCP_READS_PER_EVENT; i++) {
		uint8_t *dst;
		size_t want;
		ssize_t n;

		if (q->len_pos < 2) {
			dst = q->len_buf + q->len_pos;
			want = 2 - q->len_pos;
		} else {
			dst = q->in + q->in_pos;
			want = q->in_len - q->in_pos;
		}
		n = recv(fd, dst, want, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_fail(q, ND_UP_NETWORK);
			return;
		}
		if (n == 0) { /* closed before the whole reply */
			tcp_fail(q, ND_UP_NETWORK);
			return;
		}
		if (q->len_pos < 2) {
			q->len_pos += (size_t)n;
			if (q->len_pos < 2)
				continue;
			q->in_len = nd_get16(q->len_buf);
			if (q->in_len < ND_DNS_HEADER_LEN) {
				tcp_fail(q, ND_UP_BAD);
				return;
			}
			q->in = malloc(q->in_len);
			if (q->in == NULL) {
				tcp_fail(q, ND_UP_NETWORK);
				return;
			}
			q->in_pos = 0;
			continue;
		}
		q->in_pos += (size_t)n;
		if (q->in_pos == q->in_len) {
			tcp_got_reply(q);
			return;
		}
	}
}

static void tcp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_query *q = arg;
	int err = 0;
	socklen_t elen = sizeof(err);

	(void)what;
	if (q->out_pos == 0) {
		/* First writability after a non-blocking connect. */
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err != 0) {
			nd_debug(LOG_GROUP, "tcp connect: %s", nd_strerror(-err));
			tcp_fail(q, ND_UP_NETWORK);
			return;
		}
	}
	for (int i = 0; q->out_pos < q->out_len; i++) {
		ssize_t n;

		if (i == TCP_WRITES_PER_EVENT) {
			event_add(q->wr_ev, NULL);
			return;
		}
		n = send(fd, q->out + q->out_pos, q->out_len - q->out_pos,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(q->wr_ev, NULL);
				return;
			}
			tcp_fail(q, ND_UP_NETWORK);
			return;
		}
		q->out_pos += (size_t)n;
	}
	if (event_add(q->rd_ev, NULL) != 0)
		tcp_fail(q, ND_UP_NETWORK);
}

/*
 * A failure of our own (no descriptor, no memory) before anything was
 * sent: not the upstream's fault, and the next attempt would fail alike.
 * Leaves q->kind ATT_NONE, which tells the caller.
 */
static int local_fail(struct fwd_query *q, int err)
{
	close_attempt(q);
	return err;
}

/*
 * Ask the current upstream (q->addr) over TCP. Returns 0 or -errno; on
 * failure q->kind is ATT_NONE when the cause was local (see local_fail).
 */
static int start_tcp(struct fwd_query *q)
{
	struct nd_forwarder *f = q->f;
	const struct sockaddr *sa = (const struct sockaddr *)&q->addr;
	int n;

	q->id = nd_rand_u16(); /* a new ID: the UDP one was seen on the wire */
	n = nd_fwd_build_query(&q->qs, q->id, q->out + 2, sizeof(q->out) - 2);
	if (n < 0)
		return local_fail(q, -EINVAL);
	nd_put16(q->out, (uint16_t)n);
	q->out_len = (size_t)n + 2;
	q->out_pos = 0;

	q->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (q->fd < 0)
		return local_fail(q, -errno);
	q->rd_ev = event_new(f->base, q->fd, EV_READ | EV_PERSIST, tcp_read_cb,
			     q);
	q->wr_ev = event_new(f->base, q->fd, EV_WRITE, tcp_write_cb, q);
	if (q->rd_ev == NULL || q->wr_ev == NULL)
		return local_fail(q, -ENOMEM);

	q->kind = ATT_TCP;
	q->used_tcp = true;
	count_request(q, true);
	log_attempt(q, "tcp");
	q->sent_us = nd_clock_us();
	if (connect(q->fd, sa, nd_addr_len(sa)) != 0 && errno != EINPROGRESS)
		return -errno;
	if (event_add(q->wr_ev, NULL) != 0)
		return -ENOMEM;
	/* Connection set-up costs a round trip more than UDP: allow two. */
	arm_timer(q, 2 * (uint64_t)f->opt.attempt_timeout_ms, q->sent_us);
	return 0;
}

/* A start_tcp() that failed: end the query or go on to the next upstream. */
static void attempt_failed(struct fwd_query *q, int err, const char *proto)
{
	nd_debug(LOG_GROUP, "%s attempt failed: %s", proto, nd_strerror(err));
	if (q->kind == ATT_NONE) {
		finish(q, err, NULL, 0);
		return;
	}
	end_attempt(q, ND_UP_NETWORK, 0, false);
	next_attempt(q);
}

/* ---- UDP ----------------------------------------------------------------- */

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_query *q = arg;
	struct nd_forwarder *f = q->f;

	(void)what;
	for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
		ssize_t n = recv(fd, f->rbuf, ND_DNS_MAX_MSG, 0);
		enum nd_fwd_verdict v;
		uint64_t rtt;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/*
			 * On a connected socket an ICMP port or host
			 * unreachable comes back as ECONNREFUSED or
			 * EHOSTUNREACH: the upstream cannot answer, so do
			 * not wait for the timeout.
			 */
			end_attempt(q, ND_UP_NETWORK, 0, false);
			next_attempt(q);
			return;
		}
		/*
		 * The socket is connected, so the kernel already dropped
		 * datagrams from any other address or port. A wrong ID or
		 * question is a late reply or a spoof (RFC 5452 9.1): keep
		 * waiting for the real one.
		 */
		if (!nd_fwd_matches(f->rbuf, (size_t)n, q->id, &q->qs))
			continue;
		rtt = rtt_since(q);
		v = nd_fwd_classify(f->rbuf, (size_t)n);
		if (v == ND_FWD_ACCEPT) {
			end_attempt(q, ND_UP_OK, rtt, true);
			finish(q, 0, f->rbuf, (size_t)n);
			return;
		}
		if (v == ND_FWD_TRUNCATED) {
			int r;

			/* The upstream did answer, promptly and properly. */
			end_attempt(q, ND_UP_OK, rtt, true);
			r = start_tcp(q);
			if (r != 0)
				attempt_failed(q, r, "tcp");
			return;
		}
		end_attempt(q, verdict_outcome(v), rtt, true);
		next_attempt(q);
		return;
	}
}

/* Ask the current upstream (q->addr) over UDP. As start_tcp(). */
static int start_udp(struct fwd_query *q)
{
	struct nd_forwarder *f = q->f;
	const struct sockaddr *sa = (const struct sockaddr *)&q->addr;
	uint8_t buf[QUERY_MAX];
	int n;

	q->id = nd_rand_u16();
	n = nd_fwd_build_query(&q->qs, q->id, buf, sizeof(buf));
	if (n < 0)
		return local_fail(q, -EINVAL);
	/*
	 * A fresh socket per attempt gets a random ephemeral source port
	 * from the kernel (RFC 5452 9.2), and connect() makes the kernel
	 * drop datagrams from anyone but the upstream and report ICMP
	 * errors to us.
	 */
	q->fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (q->fd < 0)
		return local_fail(q, -errno);
	q->rd_ev = event_new(f->base, q->fd, EV_READ | EV_PERSIST, udp_read_cb,
			     q);
	if (q->rd_ev == NULL)
		return local_fail(q, -ENOMEM);

	q->kind = ATT_UDP;
	count_request(q, false);
	log_attempt(q, "udp");
	if (connect(q->fd, sa, nd_addr_len(sa)) != 0)
		return -errno;
	if (event_add(q->rd_ev, NULL) != 0)
		return -ENOMEM;
	q->sent_us = nd_clock_us();
	if (send(q->fd, buf, (size_t)n, 0) != n)
		return errno ? -errno : -EIO;
	arm_timer(q, f->opt.attempt_timeout_ms, q->sent_us);
	return 0;
}

/* ---- the retry loop -------------------------------------------------------- */

/*
 * Start the next attempt, or end the query when there is no point: the
 * deadline passed, every upstream failed fast in a row, or the attempt cap
 * is reached. A loop rather than recursion for attempts that fail before
 * anything is sent.
 */
static void next_attempt(struct fwd_query *q)
{
	struct nd_forwarder *f = q->f;

	for (;;) {
		uint64_t now = nd_clock_us();
		size_t n;
		int r;

		if (q->ups_gen != f->ups_gen) {
			/* The set changed: start the rotation over in it. */
			q->ups_gen = f->ups_gen;
			q->rot = 0;
			q->fast_fails = 0;
		}
		n = nd_upstreams_count(f->ups);
		if (n == 0) {
			finish(q, -EHOSTUNREACH, NULL, 0);
			return;
		}
		if (now >= q->deadline_us) {
			finish(q, -ETIMEDOUT, NULL, 0);
			return;
		}
		/*
		 * Refused connections and error rcodes come back at once;
		 * once every upstream has failed that way in a row, another
		 * round would only spin.
		 */
		if (q->fast_fails >= n) {
			finish(q, q->saw_rcode ? -EPROTO : -EHOSTUNREACH,
			       NULL, 0);
			return;
		}
		/*
		 * Timeouts are paced by the attempt timer and bounded by
		 * the deadline; fast failures interleaved with them are not,
		 * so they get a budget of their own, and every attempt
		 * costs a socket, so there is a hard cap as well.
		 */
		if (q->n_fast > 3 * n || q->n_tries >= FWD_MAX_TRIES) {
			finish(q, q->saw_timeout ? -ETIMEDOUT :
				  q->saw_rcode	 ? -EPROTO :
						   -EHOSTUNREACH,
			       NULL, 0);
			return;
		}

		if (q->rot == 0)
			q->first = q->up = nd_upstreams_pick(f->ups, 0, 0);
		else
			q->up = nd_upstreams_pick(f->ups, q->rot, q->first);
		q->rot++;
		q->counts = true;
		const struct sockaddr *sa = nd_upstreams_addr(f->ups, q->up);
		socklen_t sl = sa ? nd_addr_len(sa) : 0;
		if (sl == 0 || sl > sizeof(q->addr)) {
			/* Cannot happen with a valid set; do not spin on it. */
			q->counts = false;
			q->n_tries++;
			q->fast_fails++;
			q->n_fast++;
			continue;
		}
		memset(&q->addr, 0, sizeof(q->addr));
		memcpy(&q->addr, sa, sl);

		r = start_udp(q);
		if (r == 0)
			return;
		nd_debug(LOG_GROUP, "udp attempt failed: %s", nd_strerror(r));
		if (q->kind == ATT_NONE) {
			finish(q, r, NULL, 0);
			return;
		}
		end_attempt(q, ND_UP_NETWORK, 0, false);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_query *q = arg;

	(void)fd;
	(void)what;
	if (q->is_finishing) {
		q->is_starting = false;
		finish(q, q->final_status, NULL, 0);
		return;
	}
	end_attempt(q, ND_UP_TIMEOUT, 0, false);
	next_attempt(q);
}

/* ---- public ---------------------------------------------------------------- */

struct nd_forwarder *nd_forwarder_new(struct event_base *base,
				      struct nd_upstreams *ups,
				      const struct nd_forwarder_options *opt,
				      struct nd_metrics *m)
{
	struct nd_forwarder *f;

	if (base == NULL || opt == NULL || opt->attempt_timeout_ms == 0 ||
	    opt->query_timeout_ms == 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->base = base;
	f->ups = ups;
	f->opt = *opt;
	f->m = m;
	f->rbuf = malloc(ND_DNS_MAX_MSG);
	if (f->rbuf == NULL) {
		nd_forwarder_free(f);
		return NULL;
	}
	return f;
}

void nd_forwarder_free(struct nd_forwarder *f)
{
	if (f == NULL)
		return;
	f->is_closing = true;
	while (f->queries != NULL) {
		struct fwd_query *q = f->queries;

		q->is_starting = false;
		q->is_finishing = false;
		close_attempt(q);
		finish(q, -ECANCELED, NULL, 0);
	}
	free(f->rbuf);
	free(f);
}

int nd_forwarder_query(struct nd_forwarder *f, const struct nd_question *qs,
		       nd_forwarder_done_fn done, void *arg)
{
	struct fwd_query *q;

	if (f == NULL || qs == NULL || done == NULL || qs->qname_lc == NULL ||
	    qs->qname_len == 0 || qs->qname_len > ND_DNS_MAX_NAME)
		return -EINVAL;
	if (f->is_closing)
		return -ECANCELED;
	if (nd_upstreams_count(f->ups) == 0)
		return -EHOSTUNREACH;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->f = f;
	q->fd = -1;
	memcpy(q->qname, qs->qname_lc, qs->qname_len);
	q->qs = *qs;
	q->qs.qname_lc = q->qname;
	{
		/* Reject a bad name now rather than on every attempt. */
		uint8_t probe[QUERY_MAX];
		int r = nd_fwd_build_query(&q->qs, 0, probe, sizeof(probe));

		if (r < 0) {
			free(q);
			return r;
		}
	}
	q->done = done;
	q->arg = arg;
	q->timer = evtimer_new(f->base, timer_cb, q);
	if (q->timer == NULL) {
		free(q);
		return -ENOMEM;
	}
	q->ups_gen = f->ups_gen;
	q->deadline_us = nd_clock_us() + (uint64_t)f->opt.query_timeout_ms * 1000;

	q->next = f->queries;
	if (f->queries != NULL)
		f->queries->prev = q;
	f->queries = q;
	f->pending++;

	q->is_starting = true;
	next_attempt(q);
	q->is_starting = false;
	return 0;
}

void nd_forwarder_set_upstreams(struct nd_forwarder *f,
				struct nd_upstreams *ups)
{
	if (f == NULL)
		return;
	f->ups = ups;
	f->ups_gen++;
}

bool nd_forwarder_done_info(const struct nd_forwarder *f,
			    struct nd_forward_info *out)
{
	const struct fwd_query *q = f != NULL ? f->finishing : NULL;

	if (q == NULL || out == NULL)
		return false;
	out->upstream = q->n_tries > 0 ? (int)q->up : -1;
	out->attempts = q->n_tries;
	out->used_tcp = q->used_tcp;
	out->saw_timeout = q->saw_timeout;
	return true;
}

size_t nd_forwarder_pending(const struct nd_forwarder *f)
{
	return f ? f->pending : 0;
}
