/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/listen_udp.h - DNS over UDP: batched receive and send on a SO_REUSEPORT socket. */
#ifndef SERVER_LISTEN_UDP_H
#define SERVER_LISTEN_UDP_H

#include <sys/socket.h>

/* Said after a bind that failed with EADDRNOTAVAIL (UDP and TCP). */
#define ND_LISTEN_NO_ADDR_HINT                                              \
	" (no interface of this node has that address yet: add it first, " \
	"or let nodedns put it on the node with --node-local-ip)"

struct nd_worker;
struct nd_udp_listener;

/*
 * Bind addr (SO_REUSEPORT: every worker has its own socket) and serve it
 * in w's loop: read up to a batch of datagrams with recvmmsg, hand each to
 * nd_worker_handle_query(), send the immediate answers with one sendmmsg.
 * NULL on failure (logged).
 */
struct nd_udp_listener *nd_udp_listener_new(struct nd_worker *w,
					    const struct sockaddr *addr);
/* Stop reading (the socket stays open so answers still in flight can
 * be sent from it). */
void nd_udp_listener_stop(struct nd_udp_listener *l);
/* Its socket (for the upgrade hand-over's steering); -1 for NULL. */
int nd_udp_listener_fd(const struct nd_udp_listener *l);
/* Close and free; NULL is fine. */
void nd_udp_listener_free(struct nd_udp_listener *l);

#endif /* SERVER_LISTEN_UDP_H */
