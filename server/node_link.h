/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/node_link.h - the node-local interface and its addresses over rtnetlink (libmnl). */
#ifndef SERVER_NODE_LINK_H
#define SERVER_NODE_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "config/node_plan.h"

/* An interface as the kernel reports it. */
struct nd_link_info {
	int ifindex;	/* > 0 */
	char kind[32];	/* IFLA_INFO_KIND ("dummy", "veth"); "" for lo and
			   other interfaces without one */
	bool is_up;	/* IFF_UP */
};

/* Look name up. Returns 0 with *out filled, -ENODEV when there is no such
 * interface, or -errno. */
int nd_link_get(const char *name, struct nd_link_info *out);

/* Create a dummy interface name. Returns 0, -EEXIST, -EOPNOTSUPP when the
 * kernel has no dummy driver ("Unknown device type"), or -errno (-EPERM
 * without CAP_NET_ADMIN). */
int nd_link_add_dummy(const char *name);

/* Set the interface up. Returns 0 or -errno. */
int nd_link_set_up(int ifindex);

/* Delete the interface. Returns 0 or -errno. */
int nd_link_del(int ifindex);

/* The addresses the interface holds (both families), at most max into
 * out[]; *n is how many. Returns 0 or -errno. */
int nd_link_addrs(int ifindex, struct nd_node_addr *out, size_t max,
		  size_t *n);

/* Add (as /32 or /128, scope global as NodeLocal DNSCache adds them, no
 * DAD so an IPv6 address is usable at once) or remove one address.
 * Returns 0, -EEXIST (add) or -EADDRNOTAVAIL (remove) when it already is
 * or is not there, or -errno. */
int nd_link_addr_change(int ifindex, const struct nd_node_addr *a, bool add);

#endif /* SERVER_NODE_LINK_H */
