/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/steer.h - steering a SO_REUSEPORT group's new datagrams and connections to a successor's sockets with a classic BPF program. */
#ifndef SERVER_STEER_H
#define SERVER_STEER_H

/*
 * The kernel keeps the sockets of a reuseport group in the order they
 * joined, and closing one moves the last into its slot. So while one old
 * process (first, its n_old sockets per address) and its successor (the
 * next n_new) share an address, the successor's sockets are the indexes
 * n_old .. n_old + n_new - 1. A program returning n_old + random % n_new
 * sends every new datagram (and TCP SYN) there; the old sockets then only
 * hold what was queued before. An index past the group (once the old
 * sockets are gone) makes the kernel fall back to its hash.
 */

/* Attach that program to the group of fd (any socket of it). Returns 0
 * or -errno. */
int nd_steer_to_successor(int fd, unsigned n_old, unsigned n_new);

/* Detach the group's program (the kernel's hash again). Returns 0 or
 * -errno (-ENOENT: none attached). */
int nd_steer_detach(int fd);

/* Bytes of the next datagram queued on a UDP socket (FIONREAD), 0 when
 * none; -errno on failure. */
int nd_steer_queued(int fd);

/* Connections waiting in the accept queue of listening TCP socket fd,
 * or -errno. */
int nd_steer_accept_queued(int fd);

#endif /* SERVER_STEER_H */
