/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/listen_tcp.c - DNS over TCP per RFC 7766: accept, frame, pipeline, time out. */
#include "server/listen_tcp.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "dns/tcp_frame.h"
#include "dns/wire.h"
#include "resolver/metrics.h"
#include "server/listen_udp.h" /* ND_LISTEN_NO_ADDR_HINT */
#include "server/request.h"
#include "server/tcp_clients.h"
#include "server/worker.h"
#include "util/addr.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"

#define ND_TCP_BACKLOG 1024
#define ND_TCP_FASTOPEN_QLEN 256     /* RFC 7766 6.2.2; needs the sysctl too */
#define ND_TCP_MAX_PENDING 100	     /* held queries that stop reading */
#define ND_TCP_OUT_PAUSE (64 * 1024) /* unsent answer bytes that stop reading */
#define ND_TCP_OUT_MAX (256 * 1024)  /* unsent answer bytes that drop a conn */
#define ND_TCP_READ_CHUNK (16 * 1024) /* bytes read per readiness event */
#define ND_TCP_WRITE_IOV 64	      /* buffer chains per sendmsg */
#define ND_TCP_ACCEPT_BURST 64	      /* accepts per readiness event */
#define ND_TCP_ACCEPT_BACKOFF_MS 100  /* accepting paused after EMFILE & co */
#define ND_TCP_WARN_INTERVAL_MS 10000 /* at most one accept warning per this */
#define ND_TCP_SERVICE_ROUNDS 4	      /* process/flush rounds per callback */

struct nd_tcp_conn {
	struct nd_tcp_listener *l; /* owner while open; NULL once closed */
	struct nd_worker *w;	   /* the worker, still valid after close */
	int fd;			   /* the connection; -1 once closed */
	struct event *ev_read;	   /* EV_READ|EV_PERSIST; also kicked by hand */
	struct event *ev_write;	   /* EV_WRITE|EV_PERSIST; on while out waits */
	struct event *ev_idle;	   /* idle timer, idle_ms, one shot */
	struct evbuffer *in;	   /* bytes read and not yet framed */
	struct evbuffer *out;	   /* framed answers not yet written */
	unsigned holds;		   /* pending queries (nd_tcp_conn_hold) */
	unsigned in_cb;		   /* > 0 while our own callback runs for it */
	bool is_closed;		   /* fd closed, events and buffers freed */
	bool is_eof;		   /* peer shut its side: answer, then close */
	const char *fail_why;	   /* non-NULL: close at the next callback */
	bool is_reading;	   /* ev_read added */
	bool is_writing;	   /* ev_write added */
	struct sockaddr_storage peer; /* client address and port */
	socklen_t peer_len;
	struct nd_tcp_conn *prev, *next; /* the listener's open connections,
					    the most recently active first */
};

struct nd_tcp_listener {
	struct nd_worker *w;	       /* owner of the base (borrowed) */
	struct event_base *base;       /* the worker's loop (borrowed) */
	struct nd_metrics *metrics;    /* the worker's counters (borrowed) */
	int fd;			       /* listening socket; -1 once stopped */
	struct event *ev_accept;       /* EV_READ|EV_PERSIST on fd */
	struct event *ev_backoff;      /* re-enables ev_accept after EMFILE */
	const struct timeval *idle_tv; /* common timeout of idle_ms (base's) */
	unsigned max_conns;	       /* open connections allowed */
	size_t n_conns;		       /* open connections */
	struct nd_tcp_conn *conns;     /* open connections, the most recently
					  active first (conn_touch) */
	struct nd_tcp_conn *conns_tail; /* the longest idle of them */
	struct nd_tcp_clients *clients; /* per-client counts of every
					   worker (borrowed); NULL = none */
	struct sockaddr_storage addr;  /* bound address, real port */
	socklen_t addr_len;
	char name[ND_ADDR_STRLEN];     /* addr as text, for logs */
	bool has_warned;	       /* warn_ms is set */
	uint64_t warn_ms;	       /* last accept warning, monotonic ms */
	unsigned long warn_suppressed; /* accept errors not logged since */
	/* Scratch for the one message being handled: the loop is single
	 * threaded and nd_worker_handle_query() copies what it keeps. */
	uint8_t rbuf[ND_TCP_READ_CHUNK];
	uint8_t msg[ND_DNS_MAX_MSG];
	uint8_t ans[ND_DNS_MAX_MSG];
};

static void conn_debug(const struct nd_tcp_conn *c, const char *what)
{
	char peer[ND_ADDR_STRLEN];

	if (ND_LOG_DEBUG > nd_log_threshold)
		return;
	if (nd_addr_format((const struct sockaddr *)&c->peer, peer,
			   sizeof(peer)) != 0)
		strcpy(peer, "?");
	nd_debug("listen", "tcp %s: %s", peer, what);
}

static void conn_unlink(struct nd_tcp_listener *l, struct nd_tcp_conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->conns_tail = c->prev;
	c->prev = c->next = NULL;
}

static void conn_link_head(struct nd_tcp_listener *l, struct nd_tcp_conn *c)
{
	c->prev = NULL;
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	else
		l->conns_tail = c;
	l->conns = c;
}

/*
 * Tear down everything that touches the socket or the event base, so a
 * closed connection is plain memory: it may outlive the listener and the
 * base while a pending query still holds it.
 */
static void conn_close(struct nd_tcp_conn *c, const char *why)
{
	struct nd_tcp_listener *l = c->l;

	if (c->is_closed)
		return;
	conn_debug(c, why);
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	if (c->ev_idle != NULL)
		event_free(c->ev_idle);
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	c->ev_read = c->ev_write = c->ev_idle = NULL;
	c->in = c->out = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (l != NULL) {
		conn_unlink(l, c);
		l->n_conns--;
		nd_tcp_clients_put(l->clients,
				   (const struct sockaddr *)&c->peer);
	}
	c->prev = c->next = NULL;
	c->l = NULL;
	c->is_closed = true;
	c->is_reading = c->is_writing = false;
}

/* Only where no caller can still be using c: the end of our callbacks, the
 * last release, listener teardown. */
static void conn_maybe_free(struct nd_tcp_conn *c)
{
	if (c->is_closed && c->holds == 0 && c->in_cb == 0)
		free(c);
}

/* The idle clock restarts: a complete message read, a write completed, the
 * last pending query answered. */
static void conn_touch(struct nd_tcp_conn *c)
{
	if (c->is_closed)
		return;
	event_add(c->ev_idle, c->l->idle_tv);
	/* The list stays in order of activity: its tail is the connection
	 * to close first when room is needed. */
	if (c->l->conns != c) {
		conn_unlink(c->l, c);
		conn_link_head(c->l, c);
	}
}

static void conn_set_reading(struct nd_tcp_conn *c, bool on)
{
	if (on == c->is_reading)
		return;
	if (on ? event_add(c->ev_read, NULL) : event_del(c->ev_read))
		return;
	c->is_reading = on;
}

static void conn_set_writing(struct nd_tcp_conn *c, bool on)
{
	if (on == c->is_writing)
		return;
	if (on ? event_add(c->ev_write, NULL) : event_del(c->ev_write))
		return;
	c->is_writing = on;
}

/* Is a whole message (or a bad length, which process() acts on) waiting? */
static bool conn_has_msg(const struct nd_tcp_conn *c)
{
	uint8_t hdr[ND_TCP_LEN_PREFIX];
	size_t have = evbuffer_get_length(c->in), len;

	if (have < ND_TCP_LEN_PREFIX ||
	    evbuffer_copyout(c->in, hdr, sizeof(hdr)) != (int)sizeof(hdr))
		return false;
	return nd_tcp_frame_next(hdr, have, 0, &len) == ND_TCP_FRAME_MSG;
}

static bool conn_can_process(const struct nd_tcp_conn *c)
{
	return c->fail_why == NULL && c->holds < ND_TCP_MAX_PENDING &&
	       evbuffer_get_length(c->out) < ND_TCP_OUT_PAUSE;
}

/*
 * Write what the socket takes now. MSG_NOSIGNAL because a peer that reset
 * the connection must cost an error code, not the process (evbuffer_write
 * uses writev, which raises SIGPIPE). Returns 0, also when the socket is
 * full, or -errno.
 */
static int conn_flush(struct nd_tcp_conn *c)
{
	struct evbuffer_iovec v[ND_TCP_WRITE_IOV];
	struct iovec iov[ND_TCP_WRITE_IOV];
	struct msghdr mh;
	size_t want;
	ssize_t n;
	int nv;

	/* Bounded: each round empties the buffer, fills the socket or fails. */
	for (int round = 0; round < 8; round++) {
		if (evbuffer_get_length(c->out) == 0)
			break;
		nv = evbuffer_peek(c->out, -1, NULL, v, ND_TCP_WRITE_IOV);
		if (nv > ND_TCP_WRITE_IOV)
			nv = ND_TCP_WRITE_IOV;
		want = 0;
		for (int i = 0; i < nv; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			want += v[i].iov_len;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)nv;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		evbuffer_drain(c->out, (size_t)n);
		if (evbuffer_get_length(c->out) == 0)
			conn_touch(c);
		if ((size_t)n < want)
			return 0;
	}
	return 0;
}

/*
 * Frame and hand on every whole message while the caps allow. A length
 * below a DNS header cannot be a query and leaves the stream in no state to
 * resync, so the connection goes.
 */
static void conn_process(struct nd_tcp_conn *c)
{
	struct nd_tcp_listener *l = c->l;
	struct nd_client client;
	uint8_t hdr[ND_TCP_LEN_PREFIX];
	size_t have, len, ans_len;
	enum nd_tcp_frame frame;

	memset(&client, 0, sizeof(client));
	client.proto = ND_PROTO_TCP;
	client.udp_fd = -1;
	client.peer = c->peer;
	client.peer_len = c->peer_len;
	client.conn = c;

	/* Bounded: every round consumes a message of at least 14 bytes. */
	while (!c->is_closed && conn_can_process(c)) {
		have = evbuffer_get_length(c->in);
		if (have < ND_TCP_LEN_PREFIX ||
		    evbuffer_copyout(c->in, hdr, sizeof(hdr)) !=
			    (int)sizeof(hdr))
			break;
		frame = nd_tcp_frame_next(hdr, have, ND_DNS_HEADER_LEN, &len);
		if (frame == ND_TCP_FRAME_BAD) {
			/* Best effort for the answers before it. */
			(void)conn_flush(c);
			conn_close(c, "message shorter than a DNS header");
			return;
		}
		if (frame != ND_TCP_FRAME_MSG)
			break;
		evbuffer_drain(c->in, ND_TCP_LEN_PREFIX);
		if (evbuffer_remove(c->in, l->msg, len) != (int)len) {
			conn_close(c, "input buffer error");
			return;
		}
		conn_touch(c);
		ans_len = 0;
		nd_worker_handle_query(c->w, &client, l->msg, len, l->ans,
				       sizeof(l->ans), &ans_len);
		if (ans_len > sizeof(l->ans)) {
			nd_warn("listen", "tcp %s: answer of %zu bytes overran its buffer",
				l->name, ans_len);
			continue;
		}
		if (ans_len > 0)
			nd_tcp_conn_send(c, l->ans, ans_len);
	}
}

/*
 * Everything our callbacks do after their own I/O: answer what was read,
 * write, decide whether to read on, close a finished half-closed conn.
 * Caller has c->in_cb raised.
 */
static void conn_service(struct nd_tcp_conn *c)
{
	bool has_out;
	int err;

	for (int round = 0; round < ND_TCP_SERVICE_ROUNDS; round++) {
		if (c->is_closed)
			return;
		if (c->fail_why != NULL) {
			conn_close(c, c->fail_why);
			return;
		}
		conn_process(c);
		if (c->is_closed)
			return;
		err = conn_flush(c);
		if (err != 0) {
			conn_close(c, err == -EPIPE || err == -ECONNRESET ?
					      "peer reset" : "write error");
			return;
		}
		/* A flush that drained below the pause mark frees whole
		 * messages still waiting; anything else waits for an event. */
		if (!conn_can_process(c) || !conn_has_msg(c))
			break;
	}
	if (c->fail_why != NULL) {
		conn_close(c, c->fail_why);
		return;
	}
	has_out = evbuffer_get_length(c->out) > 0;
	conn_set_writing(c, has_out);
	/* RFC 7766 6.2.4: after the client's EOF, finish its queries, then
	 * close; a partial message at EOF is dropped. */
	if (c->is_eof && c->holds == 0 && !has_out) {
		conn_close(c, "peer closed, all answered");
		return;
	}
	conn_set_reading(c, !c->is_eof && conn_can_process(c));
	/* Out of rounds with work left: continue on the next loop turn,
	 * after other connections had theirs. */
	if (conn_can_process(c) && conn_has_msg(c))
		event_active(c->ev_read, EV_READ, 1);
}

static void conn_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct nd_tcp_conn *c = arg;
	struct nd_tcp_listener *l = c->l;
	ssize_t n;

	c->in_cb++;
	/* Read no more while a whole message waits: that, with the caps,
	 * bounds the input buffer to a chunk plus one message. */
	if ((what & EV_READ) && !c->is_eof && conn_has_msg(c) == false) {
		do
			n = recv(fd, l->rbuf, sizeof(l->rbuf), 0);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			if (evbuffer_add(c->in, l->rbuf, (size_t)n) != 0)
				conn_close(c, "out of memory");
		} else if (n == 0) {
			c->is_eof = true;
			conn_debug(c, "peer closed its side");
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			conn_close(c, errno == ECONNRESET ? "peer reset" :
							    "read error");
		}
	}
	conn_service(c);
	c->in_cb--;
	conn_maybe_free(c);
}

static void conn_on_write(evutil_socket_t fd, short what, void *arg)
{
	struct nd_tcp_conn *c = arg;

	(void)fd;
	(void)what;
	c->in_cb++;
	conn_service(c);
	c->in_cb--;
	conn_maybe_free(c);
}

/*
 * Pending queries keep the connection (their answers are due); the last
 * release restarts this timer. Unread answers or half a message do not.
 */
static void conn_on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct nd_tcp_conn *c = arg;

	(void)fd;
	(void)what;
	c->in_cb++;
	if (c->holds == 0)
		conn_close(c, "idle timeout");
	c->in_cb--;
	conn_maybe_free(c);
}

/* Takes fd: it is closed on failure. */
static int conn_new(struct nd_tcp_listener *l, int fd,
		    const struct sockaddr_storage *peer, socklen_t peer_len)
{
	struct nd_tcp_conn *c;
	int one = 1;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	c->w = l->w;
	c->peer = *peer;
	c->peer_len = peer_len;
	/* Each answer is one write; with Nagle the second of two pipelined
	 * answers would wait for the client's delayed ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->ev_read = event_new(l->base, fd, EV_READ | EV_PERSIST, conn_on_read,
			       c);
	c->ev_write = event_new(l->base, fd, EV_WRITE | EV_PERSIST,
				conn_on_write, c);
	c->ev_idle = evtimer_new(l->base, conn_on_idle, c);
	if (c->in == NULL || c->out == NULL || c->ev_read == NULL ||
	    c->ev_write == NULL || c->ev_idle == NULL)
		goto fail;
	if (event_add(c->ev_read, NULL) != 0 ||
	    event_add(c->ev_idle, l->idle_tv) != 0)
		goto fail;
	c->is_reading = true;
	c->l = l;
	conn_link_head(l, c);
	l->n_conns++;
	if (l->metrics != NULL)
		ND_METRIC_INC(l->metrics->tcp_connections);
	conn_debug(c, "accepted");
	return 0;
fail:
	conn_close(c, "out of memory"); /* not linked: c->l is NULL */
	free(c);
	nd_tcp_clients_put(l->clients, (const struct sockaddr *)peer);
	return -ENOMEM;
}

/* Accept errors come in storms (EMFILE on every readiness event): one line
 * per interval, with the count of those swallowed. */
static void listener_warn(struct nd_tcp_listener *l, int err)
{
	uint64_t now = nd_clock_ms();

	if (l->has_warned && now - l->warn_ms < ND_TCP_WARN_INTERVAL_MS) {
		l->warn_suppressed++;
		return;
	}
	if (l->warn_suppressed > 0)
		nd_warn("listen", "tcp %s: accept: %s (%lu more since the last warning)",
			l->name, nd_strerror(err), l->warn_suppressed);
	else
		nd_warn("listen", "tcp %s: accept: %s", l->name,
			nd_strerror(err));
	l->has_warned = true;
	l->warn_ms = now;
	l->warn_suppressed = 0;
}

/*
 * The connection to close for a new one (RFC 7766 6.2.3: a server may
 * close idle connections, and should when it runs short of them): the
 * longest idle without a query in progress, of this client only when
 * key is given. NULL when every one has a query in progress.
 */
static struct nd_tcp_conn *idle_victim(struct nd_tcp_listener *l,
				       const uint8_t *key)
{
	uint8_t k[ND_TCP_CLIENT_KEY_LEN];

	for (struct nd_tcp_conn *c = l->conns_tail; c != NULL; c = c->prev) {
		if (c->holds > 0 || c->in_cb > 0)
			continue;
		if (key != NULL) {
			nd_tcp_client_key((const struct sockaddr *)&c->peer,
					  k);
			if (memcmp(k, key, sizeof(k)) != 0)
				continue;
		}
		return c;
	}
	return NULL;
}

static void evict(struct nd_tcp_listener *l, struct nd_tcp_conn *c,
		  enum nd_tcp_evict_reason why)
{
	conn_close(c, why == ND_EVICT_CAP
			      ? "closed for a new connection at the cap"
			      : "closed for a new connection of its client");
	conn_maybe_free(c);
	if (l->metrics != NULL)
		ND_METRIC_INC(l->metrics->tcp_evicted[why]);
}

/*
 * Room for a new connection of peer: under the client's limit (its own
 * longest idle connection here closes if need be) and under the
 * listener's cap (the longest idle connection closes if need be), so a
 * client that opens idle connections in a loop only ever displaces its
 * own or idle ones, never locks others out. On true the client is
 * counted; on false the connection is refused (counted).
 */
static bool make_room(struct nd_tcp_listener *l,
		      const struct sockaddr_storage *peer)
{
	const struct sockaddr *sa = (const struct sockaddr *)peer;
	struct nd_tcp_conn *victim;

	if (!nd_tcp_clients_take(l->clients, sa)) {
		uint8_t key[ND_TCP_CLIENT_KEY_LEN];

		nd_tcp_client_key(sa, key);
		victim = idle_victim(l, key);
		if (victim != NULL)
			evict(l, victim, ND_EVICT_PER_CLIENT);
		if (victim == NULL || !nd_tcp_clients_take(l->clients, sa)) {
			if (l->metrics != NULL) {
				ND_METRIC_INC(l->metrics->tcp_rejected);
				ND_METRIC_INC(
					l->metrics->tcp_rejected_per_client);
			}
			nd_debug("listen", "tcp %s: a client at its connection "
				 "limit, none of its own idle here: refused",
				 l->name);
			return false;
		}
	}
	if (l->n_conns >= l->max_conns) {
		victim = idle_victim(l, NULL);
		if (victim == NULL) {
			nd_tcp_clients_put(l->clients, sa);
			if (l->metrics != NULL)
				ND_METRIC_INC(l->metrics->tcp_rejected);
			nd_debug("listen", "tcp %s: connection cap %u reached, "
				 "none idle: refused one",
				 l->name, l->max_conns);
			return false;
		}
		evict(l, victim, ND_EVICT_CAP);
	}
	return true;
}

static void listener_on_backoff(evutil_socket_t fd, short what, void *arg)
{
	struct nd_tcp_listener *l = arg;

	(void)fd;
	(void)what;
	if (l->ev_accept != NULL)
		event_add(l->ev_accept, NULL);
}

static void listener_on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct nd_tcp_listener *l = arg;
	struct timeval tv = { 0, ND_TCP_ACCEPT_BACKOFF_MS * 1000 };
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int cfd, err;

	(void)what;
	/* Bounded so a connection storm cannot starve the open connections;
	 * the listening socket stays readable and we come back. */
	for (int i = 0; i < ND_TCP_ACCEPT_BURST; i++) {
		peer_len = sizeof(peer);
		cfd = accept4(fd, (struct sockaddr *)&peer, &peer_len,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			err = errno;
			if (err == EAGAIN || err == EWOULDBLOCK)
				return;
			/* Linux reports errors of the new socket here too
			 * (accept(2)); they are the client's, not ours. */
			if (err == EINTR || err == ECONNABORTED ||
			    err == EPROTO || err == ENETDOWN ||
			    err == EHOSTUNREACH || err == ENETUNREACH ||
			    err == ENOPROTOOPT || err == EHOSTDOWN ||
			    err == ENONET || err == EOPNOTSUPP)
				continue;
			listener_warn(l, -err);
			/* Out of descriptors or memory: the socket stays
			 * readable, so stop listening for a moment rather
			 * than spin on it. */
			if (err == EMFILE || err == ENFILE || err == ENOBUFS ||
			    err == ENOMEM) {
				event_del(l->ev_accept);
				evtimer_add(l->ev_backoff, &tv);
			}
			return;
		}
		if (!make_room(l, &peer)) {
			close(cfd);
			continue;
		}
		/* conn_new counted the client; on failure conn_close gave
		 * it back. */
		if (conn_new(l, cfd, &peer, peer_len) != 0)
			listener_warn(l, -ENOMEM);
	}
}

struct nd_tcp_listener *nd_tcp_listener_new(struct nd_worker *w,
					    const struct sockaddr *addr,
					    unsigned max_conns,
					    uint32_t idle_ms,
					    struct nd_tcp_clients *clients)
{
	struct nd_tcp_listener *l;
	struct timeval tv;
	socklen_t alen;
	const char *step;
	int one = 1, qlen = ND_TCP_FASTOPEN_QLEN, err;

	if (w == NULL || addr == NULL || max_conns == 0 || idle_ms == 0) {
		nd_err("listen", "tcp listener: bad arguments");
		return NULL;
	}
	alen = nd_addr_len(addr);
	if (alen == 0) {
		nd_err("listen", "tcp listener: address family %d unsupported",
		       addr->sa_family);
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		nd_err("listen", "tcp listener: out of memory");
		return NULL;
	}
	l->fd = -1;
	l->w = w;
	l->base = nd_worker_base(w);
	l->metrics = nd_worker_metrics(w);
	l->max_conns = max_conns;
	l->clients = clients;
	if (nd_addr_format(addr, l->name, sizeof(l->name)) != 0)
		strcpy(l->name, "?");

	step = "event base";
	err = -EINVAL;
	if (l->base == NULL)
		goto fail;
	step = "socket";
	l->fd = socket(addr->sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail_errno;
	step = "SO_REUSEADDR";
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto fail_errno;
	/* Every worker binds the same address; the kernel spreads
	 * connections over their sockets. */
	step = "SO_REUSEPORT";
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
		goto fail_errno;
	/* "::" must not take IPv4 too: 0.0.0.0 may be its own listen line. */
	step = "IPV6_V6ONLY";
	if (addr->sa_family == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		       sizeof(one)) != 0)
		goto fail_errno;
	/* Optional (RFC 7766 6.2.2): the sysctl decides whether it is used. */
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_FASTOPEN, &qlen,
		       sizeof(qlen)) != 0)
		nd_debug("listen", "tcp %s: no TCP fast open", l->name);
	step = "bind";
	if (bind(l->fd, addr, alen) != 0)
		goto fail_errno;
	step = "listen";
	if (listen(l->fd, ND_TCP_BACKLOG) != 0)
		goto fail_errno;
	step = "getsockname";
	l->addr_len = sizeof(l->addr);
	if (getsockname(l->fd, (struct sockaddr *)&l->addr, &l->addr_len) != 0)
		goto fail_errno;
	if (nd_addr_format((struct sockaddr *)&l->addr, l->name,
			   sizeof(l->name)) != 0)
		strcpy(l->name, "?");

	/* One timeout for all connections: libevent keeps a common timeout
	 * as a FIFO, so a reset costs O(1) rather than a heap operation. */
	step = "idle timer";
	err = -ENOMEM;
	tv.tv_sec = idle_ms / 1000;
	tv.tv_usec = (suseconds_t)(idle_ms % 1000) * 1000;
	l->idle_tv = event_base_init_common_timeout(l->base, &tv);
	if (l->idle_tv == NULL)
		goto fail;
	step = "events";
	l->ev_accept = event_new(l->base, l->fd, EV_READ | EV_PERSIST,
				 listener_on_accept, l);
	l->ev_backoff = evtimer_new(l->base, listener_on_backoff, l);
	if (l->ev_accept == NULL || l->ev_backoff == NULL ||
	    event_add(l->ev_accept, NULL) != 0)
		goto fail;
	nd_info("listen", "dns tcp listening on %s (max %u connections, idle %u ms)",
		l->name, max_conns, (unsigned)idle_ms);
	return l;

fail_errno:
	err = -errno;
fail:
	nd_err("listen", "tcp %s: %s: %s%s", l->name, step, nd_strerror(err),
	       err == -EADDRNOTAVAIL ? ND_LISTEN_NO_ADDR_HINT : "");
	nd_tcp_listener_free(l);
	return NULL;
}

int nd_tcp_listener_fd(const struct nd_tcp_listener *l)
{
	return l != NULL ? l->fd : -1;
}

void nd_tcp_listener_stop(struct nd_tcp_listener *l)
{
	if (l == NULL)
		return;
	if (l->ev_accept != NULL)
		event_free(l->ev_accept);
	if (l->ev_backoff != NULL)
		event_free(l->ev_backoff);
	l->ev_accept = l->ev_backoff = NULL;
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
		nd_debug("listen", "tcp %s: stopped accepting, %zu connections open",
			 l->name, l->n_conns);
	}
}

void nd_tcp_listener_free(struct nd_tcp_listener *l)
{
	struct nd_tcp_conn *c;

	if (l == NULL)
		return;
	nd_tcp_listener_stop(l);
	/* Bounded: each close unlinks the head. Held ones become orphans
	 * freed by their last release. */
	while (l->conns != NULL) {
		c = l->conns;
		conn_close(c, "shutting down");
		conn_maybe_free(c);
	}
	free(l);
}

void nd_tcp_conn_send(struct nd_tcp_conn *conn, const uint8_t *msg,
		      size_t len)
{
	uint8_t hdr[ND_TCP_LEN_PREFIX];
	int err;

	if (conn == NULL || msg == NULL || conn->is_closed ||
	    conn->fail_why != NULL)
		return;
	if (len < ND_DNS_HEADER_LEN || len > ND_DNS_MAX_MSG) {
		nd_warn("listen", "tcp: dropped an answer of %zu bytes", len);
		return;
	}
	/* A client that does not read its answers must not grow this
	 * without bound; closing is what RFC 7766 6.2.3 allows. Deferred to
	 * our own callback, so this never frees conn under its caller. */
	if (evbuffer_get_length(conn->out) + 2 + len > ND_TCP_OUT_MAX) {
		conn->fail_why = "client does not read its answers";
		event_active(conn->ev_write, EV_WRITE, 1);
		return;
	}
	nd_tcp_frame_put(hdr, len);
	if (evbuffer_expand(conn->out, sizeof(hdr) + len) != 0 ||
	    evbuffer_add(conn->out, hdr, sizeof(hdr)) != 0 ||
	    evbuffer_add(conn->out, msg, len) != 0) {
		conn->fail_why = "out of memory";
		event_active(conn->ev_write, EV_WRITE, 1);
		return;
	}
	/* Inside our read callback answers are written together at its end;
	 * a deferred answer goes out now. */
	if (conn->in_cb > 0)
		return;
	err = conn_flush(conn);
	if (err != 0) {
		conn->fail_why = err == -EPIPE || err == -ECONNRESET ?
					 "peer reset" : "write error";
		event_active(conn->ev_write, EV_WRITE, 1);
		return;
	}
	if (evbuffer_get_length(conn->out) > 0)
		conn_set_writing(conn, true);
}

void nd_tcp_conn_hold(struct nd_tcp_conn *conn)
{
	if (conn != NULL)
		conn->holds++;
}

void nd_tcp_conn_release(struct nd_tcp_conn *conn)
{
	if (conn == NULL)
		return;
	if (conn->holds == 0) {
		nd_warn("listen", "tcp: connection released more often than held");
		return;
	}
	conn->holds--;
	if (conn->is_closed) {
		conn_maybe_free(conn);
		return;
	}
	if (conn->holds == 0)
		conn_touch(conn);
	if (conn->in_cb > 0)
		return;
	/* Reading may resume, or a half-closed conn may be done: decide in
	 * our own callback, not inside the worker's answer path, which must
	 * not see nd_worker_handle_query() re-entered. */
	if (conn->holds == ND_TCP_MAX_PENDING - 1 ||
	    (conn->holds == 0 && conn->is_eof))
		event_active(conn->ev_read, EV_READ, 1);
}

