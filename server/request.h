/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/request.h - a client's query that waits for an answer, and how to send it back. */
#ifndef SERVER_REQUEST_H
#define SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/query.h"
#include "server/udp_dst.h"

struct nd_worker;
struct nd_tcp_conn;

/* Where a query came from and how to answer it. */
struct nd_client {
	int proto;			/* ND_PROTO_UDP or ND_PROTO_TCP */
	int udp_fd;			/* UDP: the listen socket it came in on */
	struct sockaddr_storage peer;	/* client address and port */
	socklen_t peer_len;
	struct nd_udp_dst dst;		/* UDP on a wildcard listener: the
					   address the answer leaves from */
	struct nd_tcp_conn *conn;	/* TCP: its connection, else NULL */
};

/*
 * A query that could not be answered at once (a cache miss): heap
 * allocated, owned by the in-flight entry it waits on, finished on its
 * own worker's thread (TCP) or any thread (UDP: sendto on a shared socket
 * is thread-safe).
 */
struct nd_request {
	struct nd_worker *worker;  /* the worker that received it */
	struct nd_client client;   /* where the answer goes; a TCP conn is held */
	struct nd_query q;	   /* the client's question, ID and EDNS */
	uint64_t start_us;	   /* monotonic receive time */
	struct nd_request *next;   /* waiter list or mailbox link */
};

#endif /* SERVER_REQUEST_H */
