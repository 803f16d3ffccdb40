/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/request.h - where a client's answer goes: its socket, address and connection. */
#ifndef SERVER_REQUEST_H
#define SERVER_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

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
 * The server's part of a query that waits for an upstream (copied into
 * the resolver's request, nd_rs_request.io): where the answer goes. A
 * TCP connection is held until the answer is sent; a TCP answer is
 * written by the receiving worker's thread, a UDP one from any thread
 * (sendmsg on a shared socket is thread-safe).
 */
struct nd_req_io {
	struct nd_worker *worker;  /* the worker that received it */
	struct nd_client client;   /* where the answer goes */
};

#endif /* SERVER_REQUEST_H */
