/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* config/kube_dns.h - the kube-dns ConfigMap (stubDomains, upstreamNameservers) as NodeLocal DNSCache reads it: forward zones and upstreams. */
#ifndef CONFIG_KUBE_DNS_H
#define CONFIG_KUBE_DNS_H

#include <stddef.h>
#include <stdint.h>

struct nd_config;

/* The files of the mounted ConfigMap; either may be absent. */
#define ND_KUBE_DNS_STUBS "stubDomains"
#define ND_KUBE_DNS_UPSTREAMS "upstreamNameservers"
/* A file larger than this is refused (a ConfigMap holds 1 MiB in all). */
#define ND_KUBE_DNS_MAX_FILE (1024 * 1024)

/*
 * Read DIR/stubDomains ({"zone": ["ADDR[:PORT]", ...], ...}) into c's
 * forward zones, after those given by --forward-zone (a zone given there
 * wins), and DIR/upstreamNameservers (["ADDR[:PORT]", ...]) into c's
 * upstreams when none was given with --upstream. err: "PATH: reason" on
 * failure. Returns 0, ND_EPARSE (not JSON, a wrong shape, a bad name or
 * address, too many) or -errno (unreadable, not a missing file).
 */
int nd_kube_dns_read(const char *dir, struct nd_config *c, char *err,
		     size_t errlen);

/* What the files are now (inode, size, mtime of both; 0 = neither), so
 * the daemon notices a change of the mounted ConfigMap. */
uint64_t nd_kube_dns_signature(const char *dir);

#endif /* CONFIG_KUBE_DNS_H */
