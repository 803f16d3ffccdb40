/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/tcp_clients.h - open DNS TCP connections counted per client address, across workers. */
#ifndef SERVER_TCP_CLIENTS_H
#define SERVER_TCP_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A client is an IPv4 address, or an IPv6 /64 (what one host, or one
 * attacker, is given). Shared by the TCP listeners of every worker (one
 * mutex: taken at accept and close, never per query). It holds an entry
 * only for clients with an open connection, so it is bounded by the
 * connections (--tcp-max-conns per worker and address).
 */
struct nd_tcp_clients; /* opaque */

/* The client part of an address, for comparing two peers. */
#define ND_TCP_CLIENT_KEY_LEN 9
void nd_tcp_client_key(const struct sockaddr *sa,
		       uint8_t key[ND_TCP_CLIENT_KEY_LEN]);

/* A table allowing max_per_client connections of one client (at least
 * 1). NULL on failure. */
struct nd_tcp_clients *nd_tcp_clients_new(unsigned max_per_client);
void nd_tcp_clients_free(struct nd_tcp_clients *t); /* NULL is fine */

/* One more connection of sa: true when under the limit (counted), false
 * when the client has max_per_client already or memory ran out. */
bool nd_tcp_clients_take(struct nd_tcp_clients *t, const struct sockaddr *sa);
/* One connection of sa closed (it was taken). */
void nd_tcp_clients_put(struct nd_tcp_clients *t, const struct sockaddr *sa);

#endif /* SERVER_TCP_CLIENTS_H */
