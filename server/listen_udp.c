/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/listen_udp.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns/wire.h"
#include "resolver/metrics.h"
#include "server/udp_dst.h"
#include "server/request.h"
#include "server/worker.h"
#include "util/addr.h"
#include "util/errors.h"
#include "util/log.h"

/* Datagrams per recvmmsg: enough to amortise the system call under load,
 * small enough that one batch is answered in a few tens of microseconds. */
#define BATCH 32
/* Largest query we read; anything longer is not a query we serve. */
#define IN_BYTES 4096
/* Socket buffers sized for bursts (the kernel caps them at rmem_max). */
#define SOCK_BUF_BYTES (4 * 1024 * 1024)

struct nd_udp_listener {
	struct nd_worker *w;
	int fd;
	struct event *ev;
	struct sockaddr_storage addr;
	struct mmsghdr in_msg[BATCH];
	struct iovec in_iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	struct mmsghdr out_msg[BATCH];
	struct iovec out_iov[BATCH];
	bool is_wildcard; /* bound to 0.0.0.0 or ::: answers say their source */
	union nd_udp_dst_cmsg in_ctl[BATCH];  /* only when is_wildcard */
	union nd_udp_dst_cmsg out_ctl[BATCH]; /* only when is_wildcard */
	uint8_t *in_buf;  /* BATCH * IN_BYTES */
	uint8_t *out_buf; /* BATCH * ND_DNS_MAX_MSG: a reply is rendered whole
			     before it is cut to the UDP limit */
};

static void flush(struct nd_udp_listener *l, unsigned n)
{
	unsigned sent = 0;

	while (sent < n) {
		int r = sendmmsg(l->fd, l->out_msg + sent, n - sent, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: the send buffer is full under overload;
			 * dropping is what a congested network would do and the
			 * client retries. Skip the one that failed. */
			nd_debug("listen", "sendmmsg: %s", strerror(errno));
			sent++;
			continue;
		}
		sent += (unsigned)r;
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct nd_udp_listener *l = arg;
	struct nd_client c;
	(void)what;

	/* Several batches per wake-up, bounded so TCP and timers still run. */
	for (int round = 0; round < 8; round++) {
		for (unsigned i = 0; i < BATCH; i++) {
			l->in_msg[i].msg_hdr.msg_namelen = sizeof(l->peer[i]);
			l->in_msg[i].msg_hdr.msg_flags = 0;
			if (l->is_wildcard)
				l->in_msg[i].msg_hdr.msg_controllen =
					sizeof(l->in_ctl[i]);
		}
		int n = recvmmsg(fd, l->in_msg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		unsigned out = 0;
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &l->in_msg[i].msg_hdr;
			size_t len = l->in_msg[i].msg_len;
			size_t out_len = 0;

			if (h->msg_flags & MSG_TRUNC) {
				/* Longer than any query we serve: no answer
				 * (its question may be cut), but counted. */
				struct nd_metrics *m = nd_worker_metrics(l->w);

				ND_METRIC_INC(m->dropped);
				ND_METRIC_INC(m->drop_reason[ND_DROP_OVERSIZE]);
				continue;
			}
			c.proto = ND_PROTO_UDP;
			c.udp_fd = l->fd;
			c.peer_len = h->msg_namelen;
			memcpy(&c.peer, &l->peer[i], sizeof(c.peer));
			c.dst.family = 0;
			if (l->is_wildcard)
				nd_udp_dst_from_msg(h, &c.dst);
			c.conn = NULL;
			uint8_t *dst = l->out_buf + (size_t)out * ND_DNS_MAX_MSG;
			nd_worker_handle_query(l->w, &c, l->in_iov[i].iov_base,
					       len, dst, ND_DNS_MAX_MSG,
					       &out_len);
			if (out_len == 0)
				continue;
			l->out_iov[out].iov_base = dst;
			l->out_iov[out].iov_len = out_len;
			l->out_msg[out].msg_hdr.msg_name = &l->peer[i];
			l->out_msg[out].msg_hdr.msg_namelen = h->msg_namelen;
			if (l->is_wildcard)
				nd_udp_dst_to_msg(&c.dst, &l->out_ctl[out],
						  &l->out_msg[out].msg_hdr);
			out++;
		}
		if (out > 0)
			flush(l, out);
		if (n < BATCH)
			return;
	}
}

static void set_buf(int fd, int opt)
{
	int v = SOCK_BUF_BYTES;

	/* Best effort: the kernel limit may be lower, that is fine. */
	(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

struct nd_udp_listener *nd_udp_listener_new(struct nd_worker *w,
					    const struct sockaddr *addr)
{
	struct nd_udp_listener *l;
	char name[ND_ADDR_STRLEN];
	int one = 1;

	nd_addr_format(addr, name, sizeof(name));
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->w = w;
	l->fd = -1;
	memcpy(&l->addr, addr, nd_addr_len(addr));
	l->is_wildcard = nd_udp_dst_is_wildcard(addr);
	l->in_buf = malloc((size_t)BATCH * IN_BYTES);
	l->out_buf = malloc((size_t)BATCH * ND_DNS_MAX_MSG);
	if (l->in_buf == NULL || l->out_buf == NULL)
		goto fail;
	for (unsigned i = 0; i < BATCH; i++) {
		l->in_iov[i].iov_base = l->in_buf + (size_t)i * IN_BYTES;
		l->in_iov[i].iov_len = IN_BYTES;
		l->in_msg[i].msg_hdr.msg_name = &l->peer[i];
		l->in_msg[i].msg_hdr.msg_iov = &l->in_iov[i];
		l->in_msg[i].msg_hdr.msg_iovlen = 1;
		if (l->is_wildcard)
			l->in_msg[i].msg_hdr.msg_control = l->in_ctl[i].buf;
		l->out_msg[i].msg_hdr.msg_iov = &l->out_iov[i];
		l->out_msg[i].msg_hdr.msg_iovlen = 1;
	}
	l->fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (l->fd < 0) {
		nd_err("listen", "udp %s: socket: %s", name, strerror(errno));
		goto fail;
	}
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
		nd_err("listen", "udp %s: SO_REUSEPORT: %s", name,
		       strerror(errno));
		goto fail;
	}
	if (addr->sa_family == AF_INET6)
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (l->is_wildcard) {
		int r = nd_udp_dst_enable(l->fd, addr->sa_family);

		if (r < 0) {
			nd_err("listen", "udp %s: packet info: %s", name,
			       strerror(-r));
			goto fail;
		}
	}
	set_buf(l->fd, SO_RCVBUF);
	set_buf(l->fd, SO_SNDBUF);
	if (bind(l->fd, addr, nd_addr_len(addr)) != 0) {
		int e = errno;

		nd_err("listen", "udp %s: bind: %s%s", name, strerror(e),
		       e == EADDRNOTAVAIL ? ND_LISTEN_NO_ADDR_HINT : "");
		goto fail;
	}
	l->ev = event_new(nd_worker_base(w), l->fd, EV_READ | EV_PERSIST,
			  on_readable, l);
	if (l->ev == NULL || event_add(l->ev, NULL) != 0)
		goto fail;
	nd_debug("listen", "udp %s bound", name);
	return l;
fail:
	nd_udp_listener_free(l);
	return NULL;
}

int nd_udp_listener_fd(const struct nd_udp_listener *l)
{
	return l != NULL ? l->fd : -1;
}

void nd_udp_listener_stop(struct nd_udp_listener *l)
{
	if (l != NULL && l->ev != NULL)
		event_del(l->ev);
}

void nd_udp_listener_free(struct nd_udp_listener *l)
{
	if (l == NULL)
		return;
	if (l->ev != NULL)
		event_free(l->ev);
	if (l->fd >= 0)
		close(l->fd);
	free(l->in_buf);
	free(l->out_buf);
	free(l);
}
