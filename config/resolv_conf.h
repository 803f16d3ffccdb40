/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* config/resolv_conf.h - what nodedns takes from a resolv.conf(5): nameservers, search domains, ndots; read once into the config. */
#ifndef CONFIG_RESOLV_CONF_H
#define CONFIG_RESOLV_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define ND_RESOLV_MAX_NS 16	/* nameservers kept (= ND_MAX_UPSTREAMS) */
#define ND_RESOLV_MAX_SEARCH 8	/* search domains kept, in file order */
#define ND_RESOLV_NAME_TEXT 254 /* a domain, no trailing dot, with NUL */
#define ND_RESOLV_NDOTS_MAX 15	/* glibc caps ndots here (resolv.conf(5)) */

/*
 * A resolv.conf as read. The node's nameservers are the default
 * upstreams; its search domains are what kubelet appends to every pod's
 * search list (so the search-list tracker and /debug/explain walk them).
 */
struct nd_resolv_conf {
	struct sockaddr_storage ns[ND_RESOLV_MAX_NS]; /* "nameserver" lines,
					   port 53, file order, duplicates
					   and bad addresses skipped */
	size_t n_ns;
	char search[ND_RESOLV_MAX_SEARCH][ND_RESOLV_NAME_TEXT]; /* of the
					   last "search" or "domain" line
					   (glibc: the last one wins); no
					   trailing dot; names that are no
					   DNS name are skipped */
	size_t n_search;
	unsigned ndots;			/* "options ndots:N"; 1 when absent
					   (resolv.conf(5)); at most
					   ND_RESOLV_NDOTS_MAX */
	bool is_read;			/* the file was read (else all empty) */
};

/*
 * Read the resolv.conf at path into out (zeroed first, ndots 1). An IPv6
 * "%scope" suffix is stripped from a nameserver and becomes sin6_scope_id
 * when the interface is known.
 * Returns 0, -EINVAL for NULL arguments, or -errno when the file cannot
 * be read (out then holds the defaults, is_read false).
 */
int nd_resolv_conf_read(const char *path, struct nd_resolv_conf *out);

#endif /* CONFIG_RESOLV_CONF_H */
