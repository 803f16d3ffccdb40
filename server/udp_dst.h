/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/udp_dst.h - answer a UDP query from the address it was sent to, on a wildcard listener. */
#ifndef SERVER_UDP_DST_H
#define SERVER_UDP_DST_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A socket bound to 0.0.0.0 or :: receives queries sent to any of the
 * node's addresses, but the kernel picks an answer's source address by
 * route, which on a node with several (169.254.20.10 on a dummy device,
 * the node's own, a Service IP) is often another one: the client drops
 * an answer from an address it did not ask (RFC 1122 4.1.3.5's spirit;
 * glibc and dig both do). So a wildcard listener asks the kernel for each
 * query's destination (IP_PKTINFO, IPV6_RECVPKTINFO) and sends the answer
 * from it. Sockets bound to one address need none of this.
 */
struct nd_udp_dst {
	uint8_t family;	  /* AF_INET, AF_INET6; 0 = nothing to say */
	uint32_t ifindex; /* where it came in (IPv6 link-local needs it) */
	uint8_t addr[16]; /* the query's destination address */
};

/* Room for the ancillary data one message carries either way. */
#define ND_UDP_DST_CMSG_SPACE CMSG_SPACE(sizeof(struct in6_pktinfo))

/* Control buffer sized and aligned for a cmsghdr. */
union nd_udp_dst_cmsg {
	struct cmsghdr align;
	uint8_t buf[ND_UDP_DST_CMSG_SPACE];
};

/* Is sa the wildcard address (0.0.0.0 or ::)? */
int nd_udp_dst_is_wildcard(const struct sockaddr *sa);

/* Ask the kernel for every query's destination on fd (family of its
 * address). Returns 0 or -errno. */
int nd_udp_dst_enable(int fd, int family);

/* The destination carried by a received message's ancillary data; family
 * 0 when it carries none. */
void nd_udp_dst_from_msg(const struct msghdr *h, struct nd_udp_dst *out);

/*
 * Point h's ancillary data at ctl, filled so that the message leaves from
 * d's address; with d->family 0, clear it (the kernel chooses).
 */
void nd_udp_dst_to_msg(const struct nd_udp_dst *d, union nd_udp_dst_cmsg *ctl,
		       struct msghdr *h);

#endif /* SERVER_UDP_DST_H */
