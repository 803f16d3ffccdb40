/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/listen_tcp.h - DNS over TCP per RFC 7766: accept, frame, pipeline, time out. */
#ifndef SERVER_LISTEN_TCP_H
#define SERVER_LISTEN_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct nd_worker;
struct nd_tcp_listener;
struct nd_tcp_conn;

/*
 * Listen on addr (SO_REUSEPORT, so every worker has its own socket) in
 * worker w's event base. Each complete message read from a connection is
 * handed to nd_worker_handle_query() with an nd_client of proto TCP.
 * At max_conns (per listener, i.e. per worker and address) a new
 * connection closes the longest idle one (no query in progress; counted
 * in tcp_evicted), and is refused (tcp_rejected) only when none is idle.
 * clients (shared by every worker; NULL = no limit) bounds the
 * connections of one client address: past its limit a new one closes
 * that client's longest idle connection on this listener, else is
 * refused. A connection idle (no complete message, nothing pending)
 * for idle_ms is closed; a client that sends half a message and stops
 * is closed after idle_ms too, so it never holds the worker.
 * max_conns, idle_ms: both at least 1.
 * Returns the listener or NULL (logged; also for bad arguments).
 */
struct nd_tcp_clients;
struct nd_tcp_listener *nd_tcp_listener_new(struct nd_worker *w,
					    const struct sockaddr *addr,
					    unsigned max_conns,
					    uint32_t idle_ms,
					    struct nd_tcp_clients *clients);

/* Stop accepting: close the listening socket (SIGTERM). Open connections
 * keep being served until their pending answers are written. Calling it
 * twice is fine. */
void nd_tcp_listener_stop(struct nd_tcp_listener *l);
/* Its listening socket; -1 once stopped, or for NULL. */
int nd_tcp_listener_fd(const struct nd_tcp_listener *l);
/*
 * Close every connection and the listening socket, and free; NULL is fine.
 * Call it before freeing the event base. A connection still held by a
 * pending query is closed now but its (small, event-free) struct lives on
 * until the last nd_tcp_conn_release(), so releasing late is safe.
 */
void nd_tcp_listener_free(struct nd_tcp_listener *l);

/*
 * Queue one DNS message (without the 2-byte length, which this adds) on
 * conn. Answers may leave in any order (RFC 7766 6.2.1.1). Only on conn's
 * worker thread. A message for a connection already closed is dropped, and
 * so is one shorter than a DNS header or longer than 65535 bytes. A client
 * that stops reading its answers is disconnected once 256 KiB of them wait
 * in memory. The caller must hold conn (its query did); this never frees
 * it.
 */
void nd_tcp_conn_send(struct nd_tcp_conn *conn, const uint8_t *msg,
		      size_t len);

/*
 * A pending query holds the connection so it is not freed under it;
 * release when its answer was sent (or dropped). Worker thread only.
 * While 100 queries of a connection are held, no more are read from it.
 * The release that drops the last hold of a closed connection frees it.
 */
void nd_tcp_conn_hold(struct nd_tcp_conn *conn);
void nd_tcp_conn_release(struct nd_tcp_conn *conn);

#endif /* SERVER_LISTEN_TCP_H */
