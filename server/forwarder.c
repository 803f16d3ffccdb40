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

#include "dns/tcp_frame.h"
#include "dns/wire.h"
#include "resolver/fetch.h"
#include "resolver/inflight.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"

#define LOG_GROUP "forward"

/* Datagrams read per readiness event before going back to the loop, so a
 * flood of non-matching replies cannot starve the other fetches. */
#define UDP_READS_PER_EVENT 32
/* Same for TCP reads and writes of one message. */
#define TCP_READS_PER_EVENT 16
#define TCP_WRITES_PER_EVENT 8

struct nd_forwarder {
	struct event_base *base;	/* borrowed */
	nd_forwarder_done_fn done;
	void *done_arg;
	struct fwd_io *ios;		/* in flight, doubly linked */
	size_t pending;			/* length of ios */
	uint8_t *rbuf;			/* ND_DNS_MAX_MSG bytes: UDP replies */
};

/* The sockets of one fetch: its single current attempt. */
struct fwd_io {
	struct nd_forwarder *f;
	struct fwd_io *prev, *next;
	struct nd_inflight_entry *e;	/* borrowed; its fetch decides */
	struct event *timer;		/* the attempt timer */
	bool is_first_failed;		/* the timer reports a network failure
					   of the first attempt */
	int fd;				/* -1 when none */
	struct event *rd_ev;		/* readable */
	struct event *wr_ev;		/* TCP: connected / writable */
	/* TCP (RFC 7766): 2-byte length + query out, the same back. */
	uint8_t out[2 + ND_FETCH_QUERY_MAX];
	size_t out_len, out_pos;
	struct nd_tcp_reader in;	/* the reply */
};

static void act_on(struct fwd_io *io, const struct nd_fetch_action *act);

static void close_attempt(struct fwd_io *io)
{
	if (io->rd_ev != NULL) {
		event_free(io->rd_ev);
		io->rd_ev = NULL;
	}
	if (io->wr_ev != NULL) {
		event_free(io->wr_ev);
		io->wr_ev = NULL;
	}
	if (io->fd >= 0) {
		close(io->fd);
		io->fd = -1;
	}
	nd_tcp_reader_deinit(&io->in);
	io->out_len = io->out_pos = 0;
	evtimer_del(io->timer);
}

static void unlink_io(struct fwd_io *io)
{
	struct nd_forwarder *f = io->f;

	if (io->prev != NULL)
		io->prev->next = io->next;
	else
		f->ios = io->next;
	if (io->next != NULL)
		io->next->prev = io->prev;
	io->prev = io->next = NULL;
	f->pending--;
}

static void free_io(struct fwd_io *io)
{
	if (io == NULL)
		return;
	close_attempt(io);
	if (io->timer != NULL)
		event_free(io->timer);
	free(io);
}

/* The fetch is over: hand it back (the reply may live in io->in, so the
 * attempt closes only after done returns). */
static void finish(struct fwd_io *io, const struct nd_fetch_action *act)
{
	struct nd_forwarder *f = io->f;

	unlink_io(io);
	io->e->io = NULL;
	f->done(f->done_arg, io->e, act);
	free_io(io);
}

/* ---- TCP (RFC 7766 client side: one query per connection) ------------- */

static void tcp_neterr(struct fwd_io *io)
{
	struct nd_fetch_action act;

	if (nd_fetch_neterr(&io->e->fetch, nd_clock_us(), &act) == 0)
		act_on(io, &act);
}

static void tcp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_io *io = arg;

	(void)what;
	for (int i = 0; i < TCP_READS_PER_EVENT; i++) {
		uint8_t *dst;
		size_t want = nd_tcp_reader_space(&io->in, &dst);
		ssize_t n;
		int rc;

		n = recv(fd, dst, want, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tcp_neterr(io);
			return;
		}
		if (n == 0) { /* closed before the whole reply */
			tcp_neterr(io);
			return;
		}
		rc = nd_tcp_reader_got(&io->in, (size_t)n);
		if (rc < 0) {
			tcp_neterr(io);
			return;
		}
		if (rc == 1) {
			struct nd_fetch_action act;

			if (nd_fetch_reply(&io->e->fetch, io->in.msg,
					   io->in.msg_len, nd_clock_us(),
					   &act) == 0)
				act_on(io, &act);
			return;
		}
	}
}

static void tcp_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_io *io = arg;
	int err = 0;
	socklen_t elen = sizeof(err);

	(void)what;
	if (io->out_pos == 0) {
		/* First writability after a non-blocking connect. */
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
			err = errno;
		if (err != 0) {
			nd_debug(LOG_GROUP, "tcp connect: %s", nd_strerror(-err));
			tcp_neterr(io);
			return;
		}
	}
	for (int i = 0; io->out_pos < io->out_len; i++) {
		ssize_t n;

		if (i == TCP_WRITES_PER_EVENT) {
			event_add(io->wr_ev, NULL);
			return;
		}
		n = send(fd, io->out + io->out_pos, io->out_len - io->out_pos,
			 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(io->wr_ev, NULL);
				return;
			}
			tcp_neterr(io);
			return;
		}
		io->out_pos += (size_t)n;
	}
	if (event_add(io->rd_ev, NULL) != 0)
		tcp_neterr(io);
}

/*
 * Start the TCP attempt act describes. Returns 0, a positive errno for a
 * network failure (the upstream's), or a negative one for a local
 * failure (no descriptor, no memory: the next attempt would fail alike).
 */
static int start_tcp(struct fwd_io *io, const struct nd_fetch_action *act)
{
	struct nd_forwarder *f = io->f;

	if (act->len + 2 > sizeof(io->out))
		return -EINVAL;
	nd_tcp_frame_put(io->out, act->len);
	memcpy(io->out + ND_TCP_LEN_PREFIX, act->msg, act->len);
	io->out_len = act->len + 2;
	io->out_pos = 0;
	io->fd = socket(act->addr->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->fd < 0)
		return -errno;
	io->rd_ev = event_new(f->base, io->fd, EV_READ | EV_PERSIST,
			      tcp_read_cb, io);
	io->wr_ev = event_new(f->base, io->fd, EV_WRITE, tcp_write_cb, io);
	if (io->rd_ev == NULL || io->wr_ev == NULL)
		return -ENOMEM;
	if (connect(io->fd, act->addr, nd_addr_len(act->addr)) != 0 &&
	    errno != EINPROGRESS)
		return errno;
	if (event_add(io->wr_ev, NULL) != 0)
		return -ENOMEM;
	return 0;
}

/* ---- UDP ----------------------------------------------------------------- */

static void udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_io *io = arg;
	struct nd_forwarder *f = io->f;

	(void)what;
	for (int i = 0; i < UDP_READS_PER_EVENT; i++) {
		ssize_t n = recv(fd, f->rbuf, ND_DNS_MAX_MSG, 0);
		struct nd_fetch_action act;
		int rc;

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
			rc = nd_fetch_neterr(&io->e->fetch, nd_clock_us(),
					     &act);
		} else {
			/* The socket is connected: the kernel dropped
			 * datagrams from any other address or port. */
			rc = nd_fetch_reply(&io->e->fetch, f->rbuf, (size_t)n,
					    nd_clock_us(), &act);
		}
		if (rc != 0)
			return;
		if (act.what == ND_FETCH_WAIT)
			continue;
		act_on(io, &act);
		return;
	}
}

/* Start the UDP attempt act describes; returns as start_tcp(). */
static int start_udp(struct fwd_io *io, const struct nd_fetch_action *act)
{
	struct nd_forwarder *f = io->f;

	/*
	 * A fresh socket per attempt gets a random ephemeral source port
	 * from the kernel (RFC 5452 9.2), and connect() makes the kernel
	 * drop datagrams from anyone but the upstream and report ICMP
	 * errors to us.
	 */
	io->fd = socket(act->addr->sa_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (io->fd < 0)
		return -errno;
	io->rd_ev = event_new(f->base, io->fd, EV_READ | EV_PERSIST,
			      udp_read_cb, io);
	if (io->rd_ev == NULL)
		return -ENOMEM;
	if (connect(io->fd, act->addr, nd_addr_len(act->addr)) != 0)
		return errno;
	if (event_add(io->rd_ev, NULL) != 0)
		return -ENOMEM;
	if (send(io->fd, act->msg, act->len, 0) != (ssize_t)act->len)
		return errno ? errno : EIO;
	return 0;
}

/* Start the attempt act describes and arm its timer; returns as
 * start_tcp(). */
static int start_attempt(struct fwd_io *io, const struct nd_fetch_action *act)
{
	struct timeval tv = { act->timeout_ms / 1000,
			      (suseconds_t)(act->timeout_ms % 1000) * 1000 };
	int rc = act->is_tcp ? start_tcp(io, act) : start_udp(io, act);

	if (rc == 0)
		evtimer_add(io->timer, &tv);
	return rc;
}

/* ---- carrying out the fetch's decisions ----------------------------------- */

/*
 * Do what the fetch said, and go on while an attempt fails before
 * anything could be sent (a loop, not recursion).
 */
static void act_on(struct fwd_io *io, const struct nd_fetch_action *first)
{
	struct nd_fetch_action act = *first;

	for (;;) {
		int rc;

		if (act.what == ND_FETCH_WAIT)
			return;
		if (act.what == ND_FETCH_DONE) {
			/* A TCP reply lives in io->in: closed after done. */
			finish(io, &act);
			return;
		}
		close_attempt(io);
		rc = start_attempt(io, &act);
		if (rc == 0)
			return;
		nd_debug(LOG_GROUP, "%s attempt failed: %s",
			 act.is_tcp ? "tcp" : "udp",
			 nd_strerror(rc < 0 ? rc : -rc));
		if (rc < 0)
			nd_fetch_local_error(&io->e->fetch, &act);
		else
			nd_fetch_neterr(&io->e->fetch, nd_clock_us(), &act);
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_io *io = arg;
	struct nd_fetch_action act;
	int rc;

	(void)fd;
	(void)what;
	if (io->is_first_failed) {
		io->is_first_failed = false;
		rc = nd_fetch_neterr(&io->e->fetch, nd_clock_us(), &act);
	} else {
		rc = nd_fetch_timeout(&io->e->fetch, nd_clock_us(), &act);
	}
	if (rc == 0)
		act_on(io, &act);
}

/* ---- public ---------------------------------------------------------------- */

struct nd_forwarder *nd_forwarder_new(struct event_base *base,
				      nd_forwarder_done_fn done, void *arg)
{
	struct nd_forwarder *f;

	if (base == NULL || done == NULL)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->base = base;
	f->done = done;
	f->done_arg = arg;
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
	while (f->ios != NULL) {
		struct fwd_io *io = f->ios;
		struct nd_fetch_action act;

		close_attempt(io);
		nd_fetch_cancel(&io->e->fetch, &act);
		finish(io, &act);
	}
	free(f->rbuf);
	free(f);
}

int nd_forwarder_run(struct nd_forwarder *f, struct nd_inflight_entry *e,
		     const struct nd_fetch_action *act)
{
	struct fwd_io *io;

	if (f == NULL || e == NULL || act == NULL ||
	    act->what != ND_FETCH_SEND)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (io == NULL)
		return -ENOMEM;
	io->f = f;
	io->e = e;
	io->fd = -1;
	io->timer = evtimer_new(f->base, timer_cb, io);
	if (io->timer == NULL) {
		free(io);
		return -ENOMEM;
	}
	e->io = io;
	io->next = f->ios;
	if (f->ios != NULL)
		f->ios->prev = io;
	f->ios = io;
	f->pending++;
	/*
	 * The first attempt starts here, but if it cannot, the fetch's end
	 * must not reach the caller from inside this call: its end is
	 * delivered from the loop (a zero timer), as every other end is.
	 */
	int rc = start_attempt(io, act);
	if (rc == 0)
		return 0;
	close_attempt(io);
	if (rc < 0) {
		unlink_io(io);
		e->io = NULL;
		free_io(io);
		return rc;
	}
	/* A network failure of the first attempt: the fetch hears of it
	 * from the loop (a zero timer). */
	{
		static const struct timeval now = { 0, 0 };

		io->is_first_failed = true;
		evtimer_add(io->timer, &now);
	}
	return 0;
}

size_t nd_forwarder_pending(const struct nd_forwarder *f)
{
	return f ? f->pending : 0;
}
