/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/udp_dst.h"

#include <errno.h>
#include <string.h>

int nd_udp_dst_is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(
			&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

int nd_udp_dst_enable(int fd, int family)
{
	int one = 1, r;

	if (family == AF_INET)
		r = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	else if (family == AF_INET6)
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			       sizeof(one));
	else
		return -EAFNOSUPPORT;
	return r == 0 ? 0 : -errno;
}

void nd_udp_dst_from_msg(const struct msghdr *h, struct nd_udp_dst *out)
{
	out->family = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)h); c != NULL;
	     c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			out->family = AF_INET;
			out->ifindex = (uint32_t)pi.ipi_ifindex;
			memcpy(out->addr, &pi.ipi_addr, 4);
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			out->family = AF_INET6;
			out->ifindex = pi.ipi6_ifindex;
			memcpy(out->addr, &pi.ipi6_addr, 16);
			return;
		}
	}
}

void nd_udp_dst_to_msg(const struct nd_udp_dst *d, union nd_udp_dst_cmsg *ctl,
		       struct msghdr *h)
{
	struct cmsghdr *c = &ctl->align;

	if (d->family == 0) {
		h->msg_control = NULL;
		h->msg_controllen = 0;
		return;
	}
	memset(ctl, 0, sizeof(*ctl));
	h->msg_control = ctl->buf;
	if (d->family == AF_INET) {
		struct in_pktinfo pi = {0};

		/* The source address only: the route picks the device. */
		memcpy(&pi.ipi_spec_dst, d->addr, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = {0};

		memcpy(&pi.ipi6_addr, d->addr, 16);
		pi.ipi6_ifindex = d->ifindex;
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		h->msg_controllen = CMSG_SPACE(sizeof(pi));
	}
}
