/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* config/config.h - options from the command line and the config file, validated into one struct. */
#ifndef CONFIG_CONFIG_H
#define CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "config/node_plan.h"
#include "config/resolv_conf.h"
#include "dns/pods_mode.h"
#include "util/addr.h"

#define ND_MAX_LISTEN 16
#define ND_MAX_UPSTREAMS 16 /* --upstream addresses, and an upstream set */
#define ND_MAX_ALLOW 64
#define ND_CONFIG_ERRLEN 512
#define ND_MAX_SEARCH_SUFFIXES 8
#define ND_MAX_FORWARD_ZONES 16
#define ND_MAX_ZONE_UPSTREAMS 4 /* addresses of one forward zone */
/* Upstream slots in all: the default set, then each zone's, in order (the
 * index of per-upstream counters and their labels). */
#define ND_MAX_UPSTREAM_SLOTS \
	(ND_MAX_UPSTREAMS + ND_MAX_FORWARD_ZONES * ND_MAX_ZONE_UPSTREAMS)

/* Names under name go to these upstreams instead (--forward-zone). */
struct nd_forward_zone {
	char name[254];		   /* lower case, no trailing dot */
	uint8_t wire[255];	   /* the same as a lower-case wire name */
	size_t wire_len;
	struct sockaddr_storage upstreams[ND_MAX_ZONE_UPSTREAMS];
	size_t n_upstreams;	   /* 1.. */
	bool is_tcp;		   /* ask them over TCP only (",tcp") */
};

struct nd_config {
	char *config_file; /* -c FILE; NULL = none; owned */
	unsigned n_file_options; /* option lines the config file held */
	struct sockaddr_storage listen[ND_MAX_LISTEN]; /* DNS UDP+TCP */
	size_t n_listen;			       /* default: 127.0.0.1:53 */
	struct sockaddr_storage http_listen; /* default 127.0.0.1:9153 */
	struct sockaddr_storage debug_listen; /* /debug/ and /control/;
					 default 127.0.0.1:9154 */
	char *control_token_file; /* --control-token; NULL = control from
				     loopback peers only; owned */
	struct sockaddr_storage upstreams[ND_MAX_UPSTREAMS];
	size_t n_upstreams;	 /* default: nameservers of resolv_conf */
	bool is_upstream_from_resolv; /* finalize took the upstreams from
					 resolv_conf (none was given) */
	struct nd_forward_zone zones[ND_MAX_FORWARD_ZONES]; /* --forward-zone */
	size_t n_zones;		 /* default: none */
	bool forward_tcp;	 /* ask the default upstreams over TCP only;
				    default off */
	char *resolv_conf;	 /* where default upstreams come from;
				    default /etc/resolv.conf; owned */
	struct nd_resolv_conf resolv; /* resolv_conf as nd_config_finalize()
				    read it (at start and on SIGHUP): its
				    nameservers, search domains, ndots;
				    empty when unreadable and not needed */
	char cluster_domain[254]; /* presentation form, no trailing dot;
				     default cluster.local */
	bool is_check_only;	 /* --check-config: check, print, exit */
	char *kube_api;		 /* URL or NULL; owned */
	bool is_kube_api_none;	 /* --kube-api none: no cluster zone, not
				    even in a pod */
	char *kubeconfig;	 /* path or NULL; owned */
	char *kube_token_file;	 /* path or NULL; owned */
	char *kube_ca_file;	 /* path or NULL; owned */
	char *kube_snapshot;	 /* path or NULL; owned */
	char *hosts_file;	 /* --hosts-file path or NULL; owned */
	char *kube_dns_dir;	 /* --kube-dns-config DIR or NULL; owned */
	uint32_t hosts_ttl_s;	 /* TTL of its records; default 60 */
	uint32_t kube_backoff_max_ms; /* API retry delay cap; default 30000 */
	uint32_t kube_start_jitter_ms; /* first list waits random [0, this) ms;
					  default 1000, 0 = none */
	uint32_t kube_max_service_records; /* per Service; 0 = no limit */
	size_t kube_max_bytes;	 /* cluster zone budget; 0 = no limit */
	enum nd_pods_mode pods;	 /* default insecure */
	uint32_t ttl_s;		 /* TTL of cluster records; default 5 */
	unsigned threads;	 /* workers; 0 = one per CPU (the default) */
	struct nd_cidr allow[ND_MAX_ALLOW]; /* who may query */
	size_t n_allow;	      /* default: loopback, link-local, private */
	size_t cache_bytes;   /* cache budget; default 64 MiB */
	uint32_t cache_min_ttl_s;     /* default 0 */
	uint32_t cache_max_ttl_s;     /* default 86400 */
	uint32_t cache_neg_max_ttl_s; /* default 3600 */
	uint32_t stale_s;	      /* serve-stale window; default 86400, 0 = off */
	uint32_t upstream_timeout_ms; /* one attempt; default 1000 */
	uint32_t query_timeout_ms;    /* whole forwarded query, all retries;
					 SERVFAIL after it; default 4000 */
	unsigned tcp_max_conns;	      /* per worker; default 256 */
	uint32_t max_fetches;	      /* upstream questions in flight per
					 worker; default 4096 */
	uint32_t tcp_idle_timeout_ms; /* default 10000 */
	int log_level;		      /* nd_log_level; default info */
	bool diagnostics;	      /* search-list tracker and signals;
					 default on */
	uint32_t slow_query_ms;	      /* log queries slower than this;
					 0 = off; default 1000 */
	char search_suffixes[ND_MAX_SEARCH_SUFFIXES][254]; /* extra search
					 domains the tracker knows (besides
					 the cluster forms and resolv_conf's
					 search line); no trailing dot */
	size_t n_search_suffixes;
	uint32_t max_inflight;	      /* upstream questions in flight in the
					 process; 0 = from RLIMIT_NOFILE
					 (the default) */
	uint32_t failure_cache_max_s; /* longest hold of a failed
					 resolution (RFC 9520); 0 = off;
					 default 300 */
	unsigned tcp_max_per_client;  /* TCP connections of one client
					 address, all workers; default 32 */
	bool drop_outside_allow;      /* queries from outside --allow are
					 dropped (else REFUSED); default
					 off */
	bool forward_0x20;	      /* 0x20 case mixing toward upstreams;
					 default on */
	bool forward_cookies;	      /* DNS cookies toward upstreams;
					 default on */
	char *user;		      /* --user: who to run as after binding;
					 NULL = nodedns, else nobody; owned */
	bool drop_privileges;	      /* started as root, drop it after
					 binding; default on */
	bool metrics_coredns;	      /* --metrics-compat coredns: also the
					 CoreDNS metric names; default off */
	bool is_listen_set;	      /* --listen given (file or command
					 line): else the default, which
					 --node-local-ip replaces */
	struct nd_node_addr node_ips[ND_MAX_NODE_IPS]; /* --node-local-ip */
	size_t n_node_ips;	      /* 0 = no node set-up (the default) */
	char node_interface[ND_NODE_IFNAMSIZ]; /* default "nodedns" */
	bool node_interface_shared;   /* may add to an existing interface
					 that is not a dummy; default off */
	uint32_t node_setup_interval_s; /* check and repair; default 60 */
	bool node_keep_setup;	      /* leave it at exit; default off */
	char *control_socket;	      /* --control-socket path or NULL;
					 owned */
	uint32_t lameduck_ms;	      /* answer this long after SIGTERM
					 without a successor; default 0 */
	uint16_t node_port;	      /* port of the node-local listeners
					 and rules: the first --listen's,
					 53 without one (finalize sets it) */
	int log_format;		      /* nd_log_format; default text */
	char *log_file;		      /* --log-file path; NULL = stderr
					 (the default); owned */
	bool query_log;		      /* log answered queries; default off */
	uint32_t query_log_sample;    /* log 1 in this many queries per
					 worker; default 1 (every one) */
};

/* Fill c with the defaults (no resolv.conf read yet). */
void nd_config_init(struct nd_config *c);
/* Free what c owns; c may then be init'ed again. Safe to call twice;
 * NULL is fine. */
void nd_config_deinit(struct nd_config *c);

/*
 * Read the configuration: the file named by -c/--config first, then the
 * command line, which wins (a repeatable option given on the command line
 * replaces the file's list). Then nd_config_finalize().
 * c: nd_config_init()ed by the caller; nd_config_deinit() it afterwards,
 *    whatever this returns.
 * argc, argv: as main() got them; argv[0] is the program name. Options
 *    take "--opt value" or "--opt=value"; -c FILE, -h, -V.
 * err: receives "FILE:LINE: reason", "option --x: reason",
 *    "unknown option '--x'" or a finalize message.
 * Returns 0; 1 when --help or --version was printed to stdout (exit 0);
 * ND_EPARSE, ND_ELOOP or -errno on error.
 */
int nd_config_load(struct nd_config *c, int argc, char **argv, char *err,
		   size_t errlen);

/*
 * Parse a file of "key value" lines (long option names without dashes;
 * '#' starts a comment; blank lines ignored; lines up to 4096 bytes) into
 * c. The first listen, upstream or allow line replaces that list.
 * Returns 0 or ND_EPARSE with err "FILE:LINE: reason" (-errno with
 * "FILE: strerror" if unreadable).
 */
int nd_config_parse_file(struct nd_config *c, const char *path, char *err,
			 size_t errlen);

/*
 * Apply one option by its long name (no dashes) and value, as the file and
 * the command line both do. listen, upstream and allow append to their
 * list (the callers above clear it first). config, help and version are
 * refused: they exist only on the command line.
 * Returns 0, -EINVAL for NULL c/key/value, -ENOMEM, or ND_EPARSE with a
 * reason naming the option in err ("bad address 'x' for upstream (...)").
 */
int nd_config_set(struct nd_config *c, const char *key, const char *value,
		  char *err, size_t errlen);

/*
 * Read resolv_conf into resolv (the one place it is read), fill what is
 * still unset (upstreams from its nameservers, the allow list),
 * drop upstreams that are one of our own listen addresses (a forwarding
 * loop; logged), and check the whole (no upstream left is an error).
 * A listen on 0.0.0.0 or :: also matches, at its port, loopback and the
 * addresses of this host's interfaces (same family).
 * Returns 0; -errno when resolv_conf is needed (no --upstream) and
 * unreadable; ND_ELOOP
 * when every upstream was one of ours; ND_EPARSE for other checks
 * (no nameserver, query-timeout < upstream-timeout, cache-min-ttl >
 * cache-max-ttl). err says which, mentioning --upstream where it helps.
 */
int nd_config_finalize(struct nd_config *c, char *err, size_t errlen);

/* Print the option summary with every default (--help) to f; argv0 names
 * the program (NULL = "nodedns"). */
void nd_config_usage(FILE *f, const char *argv0);

#endif /* CONFIG_CONFIG_H */
