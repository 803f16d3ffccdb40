/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/kube_dns.h"
#include "dns/name_check.h"
#include "dns/wire.h"
#include "util/errors.h"
#include "util/log.h"

#include "version.h" /* generated at the top of the build tree */

#define ND_DNS_PORT 53
#define ND_HTTP_PORT 9153
#define ND_DEBUG_PORT 9154
#define ND_RESOLV_CONF_DEFAULT "/etc/resolv.conf"
#define ND_CONFIG_LINE_MAX 4096
#define ND_CACHE_MIN_BYTES ((size_t)64 * 1024)

_Static_assert(ND_RESOLV_MAX_NS <= ND_MAX_UPSTREAMS,
	       "resolv.conf nameservers must fit the upstream list");

enum opt_kind {
	K_CONFIG,	/* command line only */
	K_HELP,		/* command line only */
	K_VERSION,	/* command line only */
	K_CHECK,	/* command line only: bool at off, no value */
	K_LISTEN,	/* repeatable */
	K_HTTP_LISTEN,
	K_UPSTREAM,	/* repeatable */
	K_ALLOW,	/* repeatable */
	K_PATH,		/* char * at off */
	K_DOMAIN,
	K_URL,
	K_PODS,
	K_U32,		/* uint32_t at off, min..max */
	K_UINT,		/* unsigned at off, min..max */
	K_SIZE,
	K_LOGLEVEL,
	K_BOOL,		/* bool at off: on|off */
	K_SUFFIX,	/* repeatable search suffix */
	K_ZONE,		/* repeatable forward zone */
	K_DEBUG_LISTEN,
	K_OUTSIDE,	/* drop|refuse into a bool at off (true = drop) */
	K_OFF,		/* command-line flag, no value: bool at off = false
			   (in a file, the on|off option it belongs to) */
	K_METRICS_COMPAT, /* none|coredns */
	K_NODE_IP,	/* repeatable --node-local-ip */
	K_IFNAME,	/* --node-interface */
	K_BYTES,	/* size_t at off: BYTES[k|m|g], or 0 = no limit */
	K_LOGFORMAT,
};

struct opt_def {
	const char *name;	/* long name, also the file key */
	char short_name;	/* 0 = none */
	enum opt_kind kind;
	size_t off;		/* field offset for K_PATH, K_U32, K_UINT */
	uint32_t min, max;	/* range for K_U32, K_UINT */
	const char *arg;	/* value placeholder in --help; NULL = none */
	const char *help;	/* lines for --help, '\n' separated */
	const char *dflt;	/* default, as --help shows it */
};

#define OFF(f) offsetof(struct nd_config, f)

/* One table drives the command line, the file and --help, so they agree. */
static const struct opt_def opts[] = {
	{ "config", 'c', K_CONFIG, 0, 0, 0, "FILE",
	  "Read options from FILE first (\"key value\" lines, the long\n"
	  "option names without dashes); the command line wins.",
	  "none" },
	{ "listen", 0, K_LISTEN, 0, 0, 0, "ADDR[:PORT]",
	  "Answer DNS on UDP and TCP at this address; repeatable.\n"
	  "The port is 53 when absent. On 0.0.0.0 or [::] every answer\n"
	  "leaves from the address its query was sent to.",
	  "127.0.0.1:53" },
	{ "http-listen", 0, K_HTTP_LISTEN, 0, 0, 0, "ADDR[:PORT]",
	  "Serve /metrics, /health and /ready over HTTP (for Prometheus\n"
	  "and probes; /debug/* is on --debug-listen). The port is 9153\n"
	  "when absent.",
	  "127.0.0.1:9153" },
	{ "debug-listen", 0, K_DEBUG_LISTEN, 0, 0, 0, "ADDR[:PORT]",
	  "Serve the /debug/* views (Services, endpoints, clients, names)\n"
	  "and the POST /control/* actions (reload, flush, log-level) of\n"
	  "nodednsctl over HTTP, apart from /metrics. The port is 9154\n"
	  "when absent. Control requests come from loopback only, unless\n"
	  "--control-token is given.",
	  "127.0.0.1:9154" },
	{ "control-token", 0, K_PATH, OFF(control_token_file), 0, 0, "FILE",
	  "A file holding a secret: every POST /control/* request must\n"
	  "then carry it (\"Authorization: Bearer SECRET\"; nodednsctl\n"
	  "--control-token FILE), from any peer, loopback included.\n"
	  "Without it only loopback peers may send control requests.\n"
	  "Read at each request, so it can be rotated in place.",
	  "none (loopback peers only)" },
	{ "upstream", 0, K_UPSTREAM, 0, 0, 0, "ADDR[:PORT]",
	  "Forward names outside the cluster zone here; repeatable.\n"
	  "The port is 53 when absent. An upstream that is one of our own\n"
	  "listen addresses is dropped with a warning (a forwarding loop).",
	  "the nameservers of --resolv-conf" },
	{ "forward-zone", 0, K_ZONE, 0, 0, 0, "ZONE=ADDR[:PORT][,...][,tcp]",
	  "Forward names under ZONE (and ZONE itself) to these upstreams\n"
	  "instead, with their own health and retries; repeatable, the\n"
	  "longest matching zone wins. Stub domains of kube-dns and CoreDNS\n"
	  "forward blocks; reverse zones too (10.in-addr.arpa=...). At most\n"
	  "16 zones of 4 addresses. A last item \"tcp\" asks them over TCP\n"
	  "only.",
	  "none" },
	{ "forward-tcp", 0, K_BOOL, OFF(forward_tcp), 0, 0, "on|off",
	  "Ask the default upstreams over TCP only, as NodeLocal DNSCache\n"
	  "asks kube-dns (no UDP, so no truncated answer to ask again).",
	  "off" },
	{ "hosts-file", 0, K_PATH, OFF(hosts_file), 0, 0, "FILE",
	  "Answer the names of this hosts(5) file (\"ADDR NAME [ALIAS...]\")\n"
	  "with its addresses (A, AAAA) and their reverse names (PTR, the\n"
	  "first name of each address), authoritative, before the cluster\n"
	  "zone; a type a name lacks is NODATA. Re-read when it changes\n"
	  "(checked every 2 s) and on SIGHUP; a bad file stops start-up,\n"
	  "and while serving keeps the last good one. At most 1 MiB,\n"
	  "65536 lines, 32 names a line, 65536 (name, address) pairs,\n"
	  "64 addresses of a family per name.",
	  "none" },
	{ "hosts-ttl", 0, K_U32, OFF(hosts_ttl_s), 0, 86400, "SECONDS",
	  "TTL of the --hosts-file records, 0..86400.",
	  "60" },
	{ "kube-dns-config", 0, K_PATH, OFF(kube_dns_dir), 0, 0, "DIR",
	  "The kube-dns ConfigMap as mounted (NodeLocal DNSCache reads it\n"
	  "so): DIR/stubDomains ({\"zone\": [\"ADDR[:PORT]\", ...]}) adds\n"
	  "forward zones after --forward-zone's, DIR/upstreamNameservers\n"
	  "([\"ADDR[:PORT]\", ...]) replaces the upstreams of --resolv-conf\n"
	  "(--upstream wins). Re-read when the files change (checked every\n"
	  "2 s) and on SIGHUP; a bad file stops start-up, and while serving\n"
	  "is logged and the last good one kept.",
	  "none" },
	{ "resolv-conf", 0, K_PATH, OFF(resolv_conf), 0, 0, "FILE",
	  "Where the upstreams come from when none is given, and the\n"
	  "node's search domains (read at start and on SIGHUP).",
	  ND_RESOLV_CONF_DEFAULT },
	{ "cluster-domain", 0, K_DOMAIN, 0, 0, 0, "NAME",
	  "The cluster zone, answered from the Kubernetes API.",
	  "cluster.local" },
	{ "kube-api", 0, K_URL, 0, 0, 0, "URL",
	  "Kubernetes API server: http:// (as kubectl proxy serves it)\n"
	  "or https://; `none`: no cluster zone, a plain forwarding cache\n"
	  "(even in a pod).",
	  "in-cluster settings when present" },
	{ "kubeconfig", 0, K_PATH, OFF(kubeconfig), 0, 0, "FILE",
	  "Take server, CA and credentials from a kubeconfig.",
	  "none" },
	{ "kube-token-file", 0, K_PATH, OFF(kube_token_file), 0, 0, "FILE",
	  "Bearer token for the API, re-read when it changes.",
	  "the in-cluster service account token" },
	{ "kube-ca-file", 0, K_PATH, OFF(kube_ca_file), 0, 0, "FILE",
	  "CA bundle that signs the API server's certificate.",
	  "the in-cluster service account CA" },
	{ "kube-snapshot", 0, K_PATH, OFF(kube_snapshot), 0, 0, "FILE",
	  "Serve the output of `kubectl get services,endpointslices -A\n"
	  "-o json` from FILE instead of watching the API.",
	  "none" },
	{ "kube-backoff-max", 0, K_U32, OFF(kube_backoff_max_ms), 250, 300000,
	  "MS",
	  "Cap of the wait before the next API request after failures\n"
	  "(it doubles from 250 ms up to this, with jitter), 250..300000.\n"
	  "A watch that ends with 410 Gone re-lists at once.",
	  "30000" },
	{ "kube-start-jitter", 0, K_U32, OFF(kube_start_jitter_ms), 0, 60000,
	  "MS",
	  "The first list of each resource waits a random 0..MS, so the\n"
	  "nodes of a cluster that start together spread their lists\n"
	  "(which take the API server's cached state, resourceVersion=0).",
	  "1000" },
	{ "kube-max-service-records", 0, K_U32,
	  OFF(kube_max_service_records), 0, 100000000, "N",
	  "Records one Service may put in the cluster zone (SRV and their\n"
	  "additional records, A/AAAA, PTR; each counts once); past it the\n"
	  "last named ports' SRV names are left out, then addresses, and\n"
	  "the Service is logged once and counted\n"
	  "(nodedns_kube_truncated_objects). 0 = no limit.",
	  "100000" },
	{ "kube-max-bytes", 0, K_BYTES, OFF(kube_max_bytes), 0, 0, "BYTES",
	  "Memory budget of the cluster zone's rendered names and answers\n"
	  "(nodedns_kube_store_part_bytes index + answers); suffix k, m\n"
	  "or g. A Service whose records would take the zone\n"
	  "past it is not served (logged once, counted in\n"
	  "nodedns_kube_over_budget_objects) until it changes or the next\n"
	  "full list; the others keep serving. 0 = no limit.",
	  "1g" },
	{ "pods", 0, K_PODS, 0, 0, 0, "MODE",
	  "Pod A records: disabled, insecure or verified (the CoreDNS\n"
	  "modes).",
	  "insecure" },
	{ "ttl", 0, K_U32, OFF(ttl_s), 0, 3600, "SECONDS",
	  "TTL of cluster records, 0..3600.",
	  "5" },
	{ "threads", 0, K_UINT, OFF(threads), 0, 256, "N",
	  "Worker threads, 0..256; 0 = one per CPU the process may use\n"
	  "(its CPU affinity, and its cgroup's CPU limit rounded up).",
	  "0 (one per usable CPU)" },
	{ "allow", 0, K_ALLOW, 0, 0, 0, "CIDR",
	  "Clients that may query; repeatable. Others get REFUSED.",
	  "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12,\n"
	  "192.168.0.0/16, 169.254.0.0/16, fc00::/7, fe80::/10,\n"
	  "100.64.0.0/10" },
	{ "cache-size", 0, K_SIZE, 0, 0, 0, "BYTES",
	  "Memory for cached answers; suffix k, m or g (powers of 1024);\n"
	  "at least 64k.",
	  "64m" },
	{ "cache-min-ttl", 0, K_U32, OFF(cache_min_ttl_s), 0, 86400,
	  "SECONDS",
	  "Keep cached answers at least this long, 0..86400.",
	  "0" },
	{ "cache-max-ttl", 0, K_U32, OFF(cache_max_ttl_s), 1, 604800,
	  "SECONDS",
	  "Keep cached answers at most this long, 1..604800; at least\n"
	  "cache-min-ttl.",
	  "86400" },
	{ "cache-neg-max-ttl", 0, K_U32, OFF(cache_neg_max_ttl_s), 0, 86400,
	  "SECONDS",
	  "Keep negative answers (NXDOMAIN, NODATA; RFC 2308) at most\n"
	  "this long, 0..86400; 0 = do not cache them.",
	  "3600" },
	{ "stale-ttl", 0, K_U32, OFF(stale_s), 0, 604800, "SECONDS",
	  "Serve an expired answer for this long after expiry when every\n"
	  "upstream fails (RFC 8767), 0..604800; 0 = off.",
	  "86400" },
	{ "upstream-timeout", 0, K_U32, OFF(upstream_timeout_ms), 50, 30000,
	  "MS",
	  "Wait this long for one attempt at one upstream before trying\n"
	  "the next, 50..30000.",
	  "1000" },
	{ "query-timeout", 0, K_U32, OFF(query_timeout_ms), 100, 60000, "MS",
	  "Give a forwarded query this long, retries included, then answer\n"
	  "SERVFAIL, 100..60000; at least upstream-timeout.",
	  "4000" },
	{ "max-fetches", 0, K_U32, OFF(max_fetches), 16, 65536, "N",
	  "Distinct questions one worker asks upstream at once, 16..65536\n"
	  "(each holds a socket, so a flood of distinct names cannot take\n"
	  "every descriptor); past it a new question gets a stale answer or\n"
	  "SERVFAIL at once. Identical questions still share one.",
	  "4096" },
	{ "tcp-max-conns", 0, K_UINT, OFF(tcp_max_conns), 1, 65535, "N",
	  "Open DNS TCP connections per worker, 1..65535; at the cap a new\n"
	  "one closes the longest idle (RFC 7766 6.2.3).",
	  "256" },
	{ "tcp-idle-timeout", 0, K_U32, OFF(tcp_idle_timeout_ms), 100, 600000,
	  "MS",
	  "Close a DNS TCP connection idle this long (RFC 7766),\n"
	  "100..600000.",
	  "10000" },
	{ "log-level", 0, K_LOGLEVEL, 0, 0, 0, "LEVEL",
	  "error, warn, info or debug.",
	  "info" },
	{ "diagnostics", 0, K_BOOL, OFF(diagnostics), 0, 0, "on|off",
	  "The search-list (ndots) tracker and the signs of blocked DNS\n"
	  "(client retransmissions, TC without TCP, conntrack races,\n"
	  "Services without ready endpoints).",
	  "on" },
	{ "search-suffix", 0, K_SUFFIX, 0, 0, 0, "DOMAIN",
	  "A search domain pods use besides the cluster forms and the\n"
	  "search line of --resolv-conf, for the search-list tracker;\n"
	  "repeatable, at most 8.",
	  "none" },
	{ "slow-query-ms", 0, K_U32, OFF(slow_query_ms), 0, 60000, "MS",
	  "Log a query that took longer than this, with where the time\n"
	  "went, 0..60000; 0 = off.",
	  "1000" },
	{ "max-inflight", 0, K_U32, OFF(max_inflight), 0, 1048576, "N",
	  "Distinct questions the whole process asks upstream at once,\n"
	  "0..1048576; past it a new question gets a stale answer or\n"
	  "SERVFAIL at once (EDE 0). 0 = from the descriptor limit: the\n"
	  "soft RLIMIT_NOFILE (raised to the hard one at start) less a\n"
	  "reserve for listeners, TCP clients and HTTP, so a flood of\n"
	  "distinct names never takes the descriptors TCP and /health need.",
	  "0 (from RLIMIT_NOFILE)" },
	{ "failure-cache-max", 0, K_U32, OFF(failure_cache_max_s), 0, 300,
	  "SECONDS",
	  "Hold a failed resolution (every upstream timed out, refused,\n"
	  "SERVFAIL or unreachable) per question and upstream set, and\n"
	  "answer it from stale data or SERVFAIL (EDE 22 or 23) without\n"
	  "asking again (RFC 9520): 1 s, doubling while it keeps failing,\n"
	  "up to this, 0..300; a success forgets it; 0 = off. At most 8192\n"
	  "questions are held.",
	  "300" },
	{ "tcp-max-per-client", 0, K_UINT, OFF(tcp_max_per_client), 1, 65535,
	  "N",
	  "Open DNS TCP connections of one client address, all workers,\n"
	  "1..65535. A new one past it closes that client's longest idle\n"
	  "connection on the worker, else is refused; at --tcp-max-conns\n"
	  "the worker's longest idle connection is closed for a new one\n"
	  "(RFC 7766 6.2.3).",
	  "32" },
	{ "refuse-outside-allow", 0, K_OUTSIDE, OFF(drop_outside_allow), 0, 0,
	  "drop|refuse",
	  "What a query from outside --allow gets: drop (nothing, counted\n"
	  "in nodedns_dropped_total{reason=\"outside_allow\"}) or refuse\n"
	  "(REFUSED with EDE 18; malformed ones FORMERR or NOTIMP).",
	  "refuse" },
	{ "forward-0x20", 0, K_BOOL, OFF(forward_0x20), 0, 0, "on|off",
	  "Mix the case of each name sent to an upstream over UDP at random\n"
	  "(0x20) and take only replies that echo it, so a forged answer\n"
	  "must guess one bit per letter besides ID and port. An upstream\n"
	  "that does not echo the case (3 attempts in a row) is asked in\n"
	  "lower case for an hour (logged once; /debug/upstreams no_0x20).",
	  "on" },
	{ "no-0x20", 0, K_OFF, OFF(forward_0x20), 0, 0, NULL,
	  "The same as --forward-0x20 off.", NULL },
	{ "forward-cookies", 0, K_BOOL, OFF(forward_cookies), 0, 0, "on|off",
	  "Send DNS cookies (RFC 7873, 9018) to upstreams: a client cookie\n"
	  "per upstream from a secret (changed daily), the server cookie\n"
	  "learned from its replies; a reply with another client cookie, or\n"
	  "without one from an upstream that sent them, is discarded.\n"
	  "Upstreams without cookie support keep working.",
	  "on" },
	{ "user", 0, K_PATH, OFF(user), 0, 0, "NAME",
	  "Started as root: after binding its sockets, run as this user\n"
	  "(its primary group, no supplementary groups) with no capability\n"
	  "left but those node set-up needs. \"root\" keeps root (warned).",
	  "nodedns if that user exists, else nobody" },
	{ "drop-privileges", 0, K_BOOL, OFF(drop_privileges), 0, 0, "on|off",
	  "Drop root after binding (see --user); off keeps uid 0 and every\n"
	  "capability (warned).",
	  "on" },
	{ "no-drop-privileges", 0, K_OFF, OFF(drop_privileges), 0, 0, NULL,
	  "The same as --drop-privileges off.", NULL },
	{ "metrics-compat", 0, K_METRICS_COMPAT, 0, 0, 0, "none|coredns",
	  "coredns: /metrics also carries the CoreDNS names and labels\n"
	  "(coredns_dns_requests_total, coredns_forward_responses_total,\n"
	  "...), computed from the same counters, so CoreDNS dashboards\n"
	  "and the coredns-mixin alerts keep working.",
	  "none" },
	{ "node-local-ip", 0, K_NODE_IP, 0, 0, 0, "ADDR",
	  "Node set-up, as NodeLocal DNSCache does it: put ADDR (IPv4 or\n"
	  "IPv6; repeatable, at most 8) on --node-interface, answer DNS\n"
	  "there (port 53, or the first --listen's port; without --listen\n"
	  "only there), and once serving and synced add the nftables table\n"
	  "inet nodedns: NOTRACK (raw prerouting and output) and ACCEPT\n"
	  "(filter input and output) for UDP and TCP to and from ADDR at\n"
	  "that port. Checked and repaired every --node-setup-interval;\n"
	  "removed at exit (the rules at SIGTERM, the addresses after the\n"
	  "drain), so pods fall back to the cluster DNS Service. Needs\n"
	  "CAP_NET_ADMIN.",
	  "none (no node set-up)" },
	{ "node-interface", 0, K_IFNAME, 0, 0, 0, "NAME",
	  "The interface that holds the --node-local-ip addresses: a dummy\n"
	  "interface, created when missing (and deleted at exit). An\n"
	  "existing interface of another kind (lo) only with\n"
	  "--node-interface-shared.",
	  "nodedns" },
	{ "node-interface-shared", 0, K_BOOL, OFF(node_interface_shared), 0, 0,
	  "on|off",
	  "Allow --node-interface to name an existing interface that is not\n"
	  "a dummy (lo, for a kernel without the dummy driver): only the\n"
	  "addresses are added there, and removed at exit.",
	  "off" },
	{ "node-setup-interval", 0, K_U32, OFF(node_setup_interval_s), 1, 86400,
	  "SECONDS",
	  "How often the node set-up is compared with what should be\n"
	  "there and repaired, 1..86400.",
	  "60" },
	{ "node-keep-setup", 0, K_BOOL, OFF(node_keep_setup), 0, 0, "on|off",
	  "Leave the interface, addresses and rules in place at exit.",
	  "off" },
	{ "control-socket", 0, K_PATH, OFF(control_socket), 0, 0, "PATH",
	  "Upgrades without losing a query or the cache: a Unix socket\n"
	  "(a hostPath shared by the old and the new pod). A nodedns that\n"
	  "starts while another listens there takes its cache (entries\n"
	  "with the TTL they have left) and shares its addresses\n"
	  "(SO_REUSEPORT); when the old one then gets SIGTERM it steers\n"
	  "new queries to the successor's sockets, answers what it has,\n"
	  "leaves the node set-up in place and exits 0. A socket file left\n"
	  "by a dead process is replaced.",
	  "none" },
	{ "lameduck-ms", 0, K_U32, OFF(lameduck_ms), 0, 600000, "MS",
	  "After SIGTERM without a successor, keep answering this long\n"
	  "(/ready and /health say 503) before stopping, 0..600000.",
	  "0" },
	{ "log-format", 0, K_LOGFORMAT, 0, 0, 0, "text|json",
	  "text: \"<time> <level> <group>: <message>\" lines; json: one\n"
	  "JSON object a line with ts (RFC 3339 UTC, milliseconds), level,\n"
	  "group and msg (the query log adds its fields).",
	  "text" },
	{ "log-file", 0, K_PATH, OFF(log_file), 0, 0, "FILE",
	  "Append the log to FILE instead of stderr; SIGUSR2 opens it\n"
	  "again by name (after logrotate moved it).",
	  "stderr" },
	{ "query-log", 0, K_BOOL, OFF(query_log), 0, 0, "on|off",
	  "Log answered queries, one line each: client, name, type, rcode,\n"
	  "where the answer came from, latency and upstream. Written by a\n"
	  "thread of its own from a buffer per worker; a line that does\n"
	  "not fit the buffer is dropped and counted, the query never\n"
	  "waits. Logged whatever --log-level says.",
	  "off" },
	{ "query-log-sample", 0, K_U32, OFF(query_log_sample), 1, 1000000,
	  "N",
	  "With --query-log, log one query in N on each worker,\n"
	  "1..1000000.",
	  "1 (every query)" },
	{ "help", 'h', K_HELP, 0, 0, 0, NULL,
	  "Print this summary and exit.", NULL },
	{ "version", 'V', K_VERSION, 0, 0, 0, NULL,
	  "Print the version and the source revision it was built from\n"
	  "(git describe, or the revision a release tarball recorded),\n"
	  "and exit.", NULL },
	{ "check-config", 0, K_CHECK, OFF(is_check_only), 0, 0, NULL,
	  "Read and check the configuration (the file and the command\n"
	  "line) as start-up would, print the result and exit: 0 when\n"
	  "it is valid, 2 with FILE:LINE and the reason when not (for a\n"
	  "ConfigMap before it is rolled out).", NULL },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* Why a value was refused: "what" reads on its own, "hint" is optional. */
struct why {
	char what[ND_CONFIG_ERRLEN];
	char hint[128];
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int why_set(struct why *w, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(struct why *w, const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->what, sizeof(w->what), fmt, ap);
	va_end(ap);
	snprintf(w->hint, sizeof(w->hint), "%s", hint ? hint : "");
	return ND_EPARSE;
}

static bool is_cmdline_only(const struct opt_def *o)
{
	return o->kind == K_CONFIG || o->kind == K_HELP ||
	       o->kind == K_VERSION || o->kind == K_CHECK;
}

static bool is_list(const struct opt_def *o)
{
	return o->kind == K_LISTEN || o->kind == K_UPSTREAM ||
	       o->kind == K_ALLOW || o->kind == K_SUFFIX || o->kind == K_ZONE ||
	       o->kind == K_NODE_IP;
}

static const struct opt_def *find_opt(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct opt_def *find_short(char ch)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].short_name != 0 && opts[i].short_name == ch)
			return &opts[i];
	return NULL;
}

/* Empty the list an option appends to, so that a new source replaces it. */
static void clear_list(struct nd_config *c, const struct opt_def *o)
{
	if (o->kind == K_LISTEN)
		c->n_listen = 0;
	else if (o->kind == K_UPSTREAM)
		c->n_upstreams = 0;
	else if (o->kind == K_ALLOW)
		c->n_allow = 0;
	else if (o->kind == K_SUFFIX)
		c->n_search_suffixes = 0;
	else if (o->kind == K_ZONE)
		c->n_zones = 0;
	else if (o->kind == K_NODE_IP)
		c->n_node_ips = 0;
}

/* Digits only: strtoull alone would take a sign, spaces and "0x". */
static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '\0')
		return -1;
	for (const char *p = s; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -2; /* only overflow is left */
	*out = v;
	return 0;
}

static int parse_range(const char *s, uint32_t min, uint32_t max,
		       uint32_t *out, struct why *w)
{
	char hint[64];
	uint64_t v;
	int rc;

	snprintf(hint, sizeof(hint), "want %u..%u", min, max);
	rc = parse_u64(s, &v);
	if (rc == -1)
		return why_set(w, hint, "bad number '%s'", s);
	if (rc != 0 || v < min || v > max)
		return why_set(w, hint, "'%s' out of range", s);
	*out = (uint32_t)v;
	return 0;
}

static int parse_size(const char *s, size_t *out, struct why *w)
{
	static const char hint[] = "want BYTES with an optional k, m or g; "
				   "at least 64k";
	char digits[32];
	size_t len = strlen(s);
	uint64_t v, mult = 1;
	int rc;

	if (len > 0) {
		switch (s[len - 1]) {
		case 'k': case 'K':
			mult = 1ULL << 10;
			break;
		case 'm': case 'M':
			mult = 1ULL << 20;
			break;
		case 'g': case 'G':
			mult = 1ULL << 30;
			break;
		default:
			break;
		}
		if (mult != 1)
			len--;
	}
	if (len == 0 || len >= sizeof(digits))
		return why_set(w, hint, "bad size '%s'", s);
	memcpy(digits, s, len);
	digits[len] = '\0';
	rc = parse_u64(digits, &v);
	if (rc == -1)
		return why_set(w, hint, "bad size '%s'", s);
	if (rc != 0 || v > SIZE_MAX / mult)
		return why_set(w, hint, "'%s' out of range", s);
	v *= mult;
	if (v < ND_CACHE_MIN_BYTES)
		return why_set(w, hint, "'%s' too small", s);
	*out = (size_t)v;
	return 0;
}

/*
 * RFC 1035 section 2.3.4 limits; the letters-digits-hyphen set keeps the
 * zone something every stub resolver will send us unchanged.
 */
static int parse_domain(const char *s, char *out, size_t outlen,
			struct why *w)
{
	static const char hint[] = "want labels of 1-63 letters, digits or "
				   "'-', 253 characters in all";
	size_t len = strlen(s);
	enum nd_name_problem p = nd_dns_name_check(s, len, ND_NAME_TRAILING_DOT);

	if (p == ND_NAME_EMPTY)
		return why_set(w, hint, "empty domain '%s'", s);
	if (p == ND_NAME_TOO_LONG)
		return why_set(w, hint, "domain '%s' too long", s);
	if (p != ND_NAME_OK)
		return why_set(w, hint, "%s in '%s'", nd_name_problem_text(p),
			       s);
	if (s[len - 1] == '.')
		len--;
	if (len >= outlen)
		return why_set(w, hint, "domain '%s' too long", s);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return 0;
}

static int set_string(char **field, const char *value)
{
	char *dup = strdup(value);

	if (dup == NULL)
		return -ENOMEM;
	free(*field);
	*field = dup;
	return 0;
}

static int add_addr(struct sockaddr_storage *list, size_t *n, size_t max,
		    const char *value, bool upstream, struct why *w)
{
	static const char hint[] = "want ADDR[:PORT]";
	struct sockaddr_storage ss;
	char buf[ND_ADDR_STRLEN];
	char maxs[32];

	if (nd_addr_parse(value, ND_DNS_PORT, &ss, NULL) != 0)
		return why_set(w, hint, "bad address '%s'", value);
	/* Linux sends to 0.0.0.0 or :: as to the host itself. */
	if (upstream && nd_addr_is_any((struct sockaddr *)&ss))
		return why_set(w, "want a server's address",
			       "unusable address '%s'", value);
	nd_addr_format((struct sockaddr *)&ss, buf, sizeof(buf));
	for (size_t i = 0; i < *n; i++)
		if (nd_addr_equal((struct sockaddr *)&list[i],
				  (struct sockaddr *)&ss))
			return why_set(w, NULL, "duplicate address %s", buf);
	if (*n >= max) {
		snprintf(maxs, sizeof(maxs), "at most %zu", max);
		return why_set(w, maxs, "too many addresses");
	}
	list[(*n)++] = ss;
	return 0;
}

/* "ZONE=ADDR[:PORT][,ADDR[:PORT]...]" into c->zones. */
static int add_zone(struct nd_config *c, const char *value, struct why *w)
{
	static const char hint[] = "want ZONE=ADDR[:PORT][,ADDR[:PORT]...]";
	const char *eq = strchr(value, '=');
	struct nd_forward_zone *z;
	char list[512], *save = NULL;
	int n, rc;

	if (eq == NULL || eq == value)
		return why_set(w, hint, "bad forward zone '%s'", value);
	if (c->n_zones >= ND_MAX_FORWARD_ZONES)
		return why_set(w, "at most 16", "too many forward zones");
	z = &c->zones[c->n_zones];
	memset(z, 0, sizeof(*z));
	{
		char zone[sizeof(z->name) + 1];
		size_t len = (size_t)(eq - value);

		if (len >= sizeof(zone))
			return why_set(w, hint, "zone too long in '%s'", value);
		memcpy(zone, value, len);
		zone[len] = '\0';
		rc = parse_domain(zone, z->name, sizeof(z->name), w);
		if (rc != 0)
			return rc;
	}
	for (size_t i = 0; i < c->n_zones; i++)
		if (strcmp(c->zones[i].name, z->name) == 0)
			return why_set(w, NULL, "zone %s given twice", z->name);
	n = nd_dns_name_from_text(z->name, z->wire, sizeof(z->wire));
	if (n <= 0)
		return why_set(w, hint, "bad zone '%s'", z->name);
	z->wire_len = (size_t)n;
	if (snprintf(list, sizeof(list), "%s", eq + 1) >= (int)sizeof(list))
		return why_set(w, hint, "too long: '%s'", value);
	for (char *a = strtok_r(list, ",", &save); a != NULL;
	     a = strtok_r(NULL, ",", &save)) {
		if (strcasecmp(a, "tcp") == 0) {
			z->is_tcp = true;
			continue;
		}
		rc = add_addr(z->upstreams, &z->n_upstreams,
			      ND_MAX_ZONE_UPSTREAMS, a, true, w);
		if (rc != 0)
			return rc;
	}
	if (z->n_upstreams == 0)
		return why_set(w, hint, "no address for zone %s", z->name);
	c->n_zones++;
	return 0;
}

/* One --node-local-ip address. */
static int add_node_ip(struct nd_config *c, const char *value, struct why *w)
{
	struct nd_node_addr a;
	char why[96];

	if (nd_node_addr_parse(value, &a, why, sizeof(why)) != 0)
		return why_set(w, why, "bad address '%s'", value);
	for (size_t i = 0; i < c->n_node_ips; i++)
		if (nd_node_addr_equal(&c->node_ips[i], &a))
			return why_set(w, NULL, "duplicate address %s", value);
	if (c->n_node_ips >= ND_MAX_NODE_IPS)
		return why_set(w, "at most 8", "too many addresses");
	c->node_ips[c->n_node_ips++] = a;
	return 0;
}

/*
 * --node-local-ip: the node-local addresses become listen addresses (at
 * the first --listen's port, 53 without one; without --listen they replace
 * the default 127.0.0.1:53, as NodeLocal DNSCache listens only there).
 */
static int add_node_listeners(struct nd_config *c, char *err, size_t errlen)
{
	c->node_port = ND_DNS_PORT;
	if (c->n_node_ips == 0)
		return 0;
	if (!c->is_listen_set)
		c->n_listen = 0;
	else if (c->n_listen > 0)
		c->node_port = nd_addr_port((struct sockaddr *)&c->listen[0]);
	for (size_t i = 0; i < c->n_node_ips; i++) {
		struct sockaddr_storage ss;
		bool dup = false;

		memset(&ss, 0, sizeof(ss));
		if (c->node_ips[i].family == AF_INET) {
			struct sockaddr_in *in = (struct sockaddr_in *)&ss;

			in->sin_family = AF_INET;
			in->sin_port = htons(c->node_port);
			memcpy(&in->sin_addr, c->node_ips[i].bytes, 4);
		} else {
			struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(c->node_port);
			memcpy(&in6->sin6_addr, c->node_ips[i].bytes, 16);
		}
		for (size_t j = 0; j < c->n_listen; j++)
			if (nd_addr_equal((struct sockaddr *)&c->listen[j],
					  (struct sockaddr *)&ss))
				dup = true;
		if (dup)
			continue;
		if (c->n_listen >= ND_MAX_LISTEN) {
			seterr(err, errlen,
			       "node-local-ip: too many listen addresses with "
			       "the --listen ones (at most %d)",
			       ND_MAX_LISTEN);
			return ND_EPARSE;
		}
		c->listen[c->n_listen++] = ss;
	}
	return 0;
}

/* Apply one option; on ND_EPARSE, w says why without naming the option. */
static int apply(struct nd_config *c, const struct opt_def *o,
		 const char *value, struct why *w)
{
	struct sockaddr_storage ss;
	char *base = (char *)c;
	uint32_t v;
	int rc;

	if (o->kind == K_OFF) {
		if (value != NULL)
			return why_set(w, NULL,
				       "a command-line flag; in a file write "
				       "the on|off option it stands for");
		*(bool *)(base + o->off) = false;
		return 0;
	}
	if (value[0] == '\0')
		return why_set(w, NULL, "missing value");
	switch (o->kind) {
	case K_LISTEN:
		c->is_listen_set = true;
		return add_addr(c->listen, &c->n_listen, ND_MAX_LISTEN, value,
				false, w);
	case K_NODE_IP:
		return add_node_ip(c, value, w);
	case K_IFNAME: {
		char why[64];

		if (nd_node_ifname_check(value, why, sizeof(why)) != 0)
			return why_set(w, why, "bad interface name '%s'",
				       value);
		snprintf(c->node_interface, sizeof(c->node_interface), "%s",
			 value);
		return 0;
	}
	case K_UPSTREAM:
		return add_addr(c->upstreams, &c->n_upstreams,
				ND_MAX_UPSTREAMS, value, true, w);
	case K_HTTP_LISTEN:
		if (nd_addr_parse(value, ND_HTTP_PORT, &ss, NULL) != 0)
			return why_set(w, "want ADDR[:PORT]",
				       "bad address '%s'", value);
		c->http_listen = ss;
		return 0;
	case K_DEBUG_LISTEN:
		if (nd_addr_parse(value, ND_DEBUG_PORT, &ss, NULL) != 0)
			return why_set(w, "want ADDR[:PORT]",
				       "bad address '%s'", value);
		c->debug_listen = ss;
		return 0;
	case K_ALLOW:
		if (c->n_allow >= ND_MAX_ALLOW)
			return why_set(w, "at most 64", "too many networks");
		if (nd_cidr_parse(value, &c->allow[c->n_allow]) != 0)
			return why_set(w, "want ADDR/PREFIX or ADDR",
				       "bad network '%s'", value);
		c->n_allow++;
		return 0;
	case K_PATH:
		return set_string((char **)(base + o->off), value);
	case K_DOMAIN:
		return parse_domain(value, c->cluster_domain,
				    sizeof(c->cluster_domain), w);
	case K_URL: {
		size_t skip = 0;

		if (strcmp(value, "none") == 0) {
			c->is_kube_api_none = true;
			free(c->kube_api);
			c->kube_api = NULL;
			return 0;
		}
		if (strncasecmp(value, "http://", 7) == 0)
			skip = 7;
		else if (strncasecmp(value, "https://", 8) == 0)
			skip = 8;
		if (skip == 0)
			return why_set(w, "want http://HOST[:PORT] or "
					  "https://HOST[:PORT]",
				       "bad URL '%s'", value);
		if (value[skip] == '\0' || value[skip] == '/')
			return why_set(w, NULL, "no host in URL '%s'", value);
		c->is_kube_api_none = false;
		return set_string(&c->kube_api, value);
	}
	case K_PODS:
		if (strcmp(value, "disabled") == 0)
			c->pods = ND_PODS_DISABLED;
		else if (strcmp(value, "insecure") == 0)
			c->pods = ND_PODS_INSECURE;
		else if (strcmp(value, "verified") == 0)
			c->pods = ND_PODS_VERIFIED;
		else
			return why_set(w, "want disabled, insecure or verified",
				       "bad mode '%s'", value);
		return 0;
	case K_U32:
		rc = parse_range(value, o->min, o->max, &v, w);
		if (rc == 0)
			*(uint32_t *)(base + o->off) = v;
		return rc;
	case K_UINT:
		rc = parse_range(value, o->min, o->max, &v, w);
		if (rc == 0)
			*(unsigned *)(base + o->off) = v;
		return rc;
	case K_SIZE:
		return parse_size(value, &c->cache_bytes, w);
	case K_BYTES:
		if (strcmp(value, "0") == 0) {
			*(size_t *)(base + o->off) = 0;
			return 0;
		}
		return parse_size(value, (size_t *)(base + o->off), w);
	case K_LOGLEVEL:
		rc = nd_log_level_parse(value);
		if (rc < 0)
			return why_set(w, "want error, warn, info or debug",
				       "bad level '%s'", value);
		c->log_level = rc;
		return 0;
	case K_BOOL:
		if (strcmp(value, "on") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "true") == 0)
			*(bool *)(base + o->off) = true;
		else if (strcmp(value, "off") == 0 || strcmp(value, "no") == 0 ||
			 strcmp(value, "false") == 0)
			*(bool *)(base + o->off) = false;
		else
			return why_set(w, "want on or off", "bad switch '%s'",
				       value);
		return 0;
	case K_SUFFIX:
		if (c->n_search_suffixes >= ND_MAX_SEARCH_SUFFIXES)
			return why_set(w, "at most 8", "too many suffixes");
		rc = parse_domain(value,
				  c->search_suffixes[c->n_search_suffixes],
				  sizeof(c->search_suffixes[0]), w);
		if (rc == 0)
			c->n_search_suffixes++;
		return rc;
	case K_ZONE:
		return add_zone(c, value, w);
	case K_LOGFORMAT:
		rc = nd_log_format_parse(value);
		if (rc < 0)
			return why_set(w, "want text or json",
				       "bad format '%s'", value);
		c->log_format = rc;
		return 0;
	case K_OUTSIDE:
		if (strcmp(value, "drop") == 0)
			*(bool *)(base + o->off) = true;
		else if (strcmp(value, "refuse") == 0)
			*(bool *)(base + o->off) = false;
		else
			return why_set(w, "want drop or refuse",
				       "bad choice '%s'", value);
		return 0;
	case K_METRICS_COMPAT:
		if (strcmp(value, "none") == 0)
			c->metrics_coredns = false;
		else if (strcmp(value, "coredns") == 0)
			c->metrics_coredns = true;
		else
			return why_set(w, "want none or coredns",
				       "bad compatibility '%s'", value);
		return 0;
	case K_CONFIG:
	case K_HELP:
	case K_VERSION:
	case K_CHECK:
	case K_OFF:
		break;
	}
	return why_set(w, NULL, "only allowed on the command line");
}

/* "<what> for <key> (<hint>)": how the file and nd_config_set() say it. */
static void format_for_key(char *err, size_t errlen, const char *prefix,
			   const char *key, const struct why *w)
{
	if (w->hint[0] != '\0')
		seterr(err, errlen, "%s%s for %s (%s)", prefix, w->what, key,
		       w->hint);
	else
		seterr(err, errlen, "%s%s for %s", prefix, w->what, key);
}

static int apply_reported(struct nd_config *c, const struct opt_def *o,
			  const char *value, const char *prefix, char *err,
			  size_t errlen)
{
	struct why w;
	int rc = apply(c, o, value, &w);

	if (rc == ND_EPARSE)
		format_for_key(err, errlen, prefix, o->name, &w);
	else if (rc < 0)
		seterr(err, errlen, "%s%s: %s", prefix, o->name,
		       nd_strerror(rc));
	return rc;
}

void nd_config_init(struct nd_config *c)
{
	if (c == NULL)
		return;
	memset(c, 0, sizeof(*c));
	nd_addr_parse("127.0.0.1", ND_DNS_PORT, &c->listen[0], NULL);
	c->n_listen = 1;
	nd_addr_parse("127.0.0.1", ND_HTTP_PORT, &c->http_listen, NULL);
	nd_addr_parse("127.0.0.1", ND_DEBUG_PORT, &c->debug_listen, NULL);
	/* NULL on ENOMEM is read as the default path; see rc_path(). */
	c->resolv_conf = strdup(ND_RESOLV_CONF_DEFAULT);
	snprintf(c->cluster_domain, sizeof(c->cluster_domain), "%s",
		 "cluster.local");
	c->pods = ND_PODS_INSECURE;
	c->kube_backoff_max_ms = 30000;
	c->kube_start_jitter_ms = 1000;
	c->kube_max_service_records = 100000;
	c->kube_max_bytes = (size_t)1 << 30;
	c->max_fetches = 4096;
	c->ttl_s = 5;
	c->hosts_ttl_s = 60;
	c->threads = 0;
	c->cache_bytes = (size_t)64 << 20;
	c->cache_min_ttl_s = 0;
	c->cache_max_ttl_s = 86400;
	c->cache_neg_max_ttl_s = 3600;
	c->stale_s = 86400;
	c->upstream_timeout_ms = 1000;
	c->query_timeout_ms = 4000;
	c->tcp_max_conns = 256;
	c->tcp_idle_timeout_ms = 10000;
	c->log_level = ND_LOG_INFO;
	c->diagnostics = true;
	c->slow_query_ms = 1000;
	c->max_inflight = 0;
	c->failure_cache_max_s = 300;
	c->tcp_max_per_client = 32;
	c->drop_outside_allow = false;
	c->forward_0x20 = true;
	c->forward_cookies = true;
	c->drop_privileges = true;
	snprintf(c->node_interface, sizeof(c->node_interface), "%s",
		 "nodedns");
	c->node_setup_interval_s = 60;
	c->node_port = ND_DNS_PORT;
	c->log_format = ND_LOG_TEXT;
	c->query_log = false;
	c->query_log_sample = 1;
}

void nd_config_deinit(struct nd_config *c)
{
	if (c == NULL)
		return;
	free(c->config_file);
	c->config_file = NULL;
	free(c->resolv_conf);
	c->resolv_conf = NULL;
	free(c->kube_api);
	c->kube_api = NULL;
	free(c->kubeconfig);
	c->kubeconfig = NULL;
	free(c->kube_token_file);
	c->kube_token_file = NULL;
	free(c->kube_ca_file);
	c->kube_ca_file = NULL;
	free(c->kube_dns_dir);
	c->kube_dns_dir = NULL;
	free(c->kube_snapshot);
	c->kube_snapshot = NULL;
	free(c->hosts_file);
	c->hosts_file = NULL;
	free(c->control_token_file);
	c->control_token_file = NULL;
	free(c->user);
	c->user = NULL;
	free(c->control_socket);
	c->control_socket = NULL;
	free(c->log_file);
	c->log_file = NULL;
}

int nd_config_set(struct nd_config *c, const char *key, const char *value,
		  char *err, size_t errlen)
{
	const struct opt_def *o;

	if (c == NULL || key == NULL || value == NULL)
		return -EINVAL;
	o = find_opt(key, strlen(key));
	if (o == NULL) {
		seterr(err, errlen, "unknown option '%s'", key);
		return ND_EPARSE;
	}
	return apply_reported(c, o, value, "", err, errlen);
}

/*
 * Read one line into buf (without its newline). Returns 1 for a line,
 * 0 at the end, -2 for a line over the limit, -3 for a NUL byte, -errno.
 */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t len = 0;
	int ch;

	for (;;) {
		ch = getc(f);
		if (ch == EOF) {
			if (ferror(f))
				return errno ? -errno : -EIO;
			if (len == 0)
				return 0;
			break;
		}
		if (ch == '\n')
			break;
		if (ch == '\0')
			return -3;
		if (len + 1 >= size)
			return -2;
		buf[len++] = (char)ch;
	}
	buf[len] = '\0';
	return 1;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

int nd_config_parse_file(struct nd_config *c, const char *path, char *err,
			 size_t errlen)
{
	/* One list option seen in this file: the first clears the list. */
	bool seen[N_OPTS] = { false };
	char line[ND_CONFIG_LINE_MAX + 1];
	char prefix[ND_CONFIG_ERRLEN];
	unsigned lineno = 0;
	FILE *f;
	int rc = 0;

	if (c == NULL || path == NULL)
		return -EINVAL;
	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	for (;;) {
		const struct opt_def *o;
		char *key, *value, *hash;
		size_t klen;
		int r;

		errno = 0;
		r = read_line(f, line, sizeof(line));
		if (r == 0)
			break;
		lineno++;
		snprintf(prefix, sizeof(prefix), "%s:%u: ", path, lineno);
		if (r == -2 || r == -3) {
			seterr(err, errlen, "%s%s", prefix,
			       r == -2 ? "line longer than 4096 bytes"
				       : "NUL byte in line");
			rc = ND_EPARSE;
			break;
		}
		if (r < 0) {
			seterr(err, errlen, "%s: %s", path, strerror(-r));
			rc = r;
			break;
		}
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		for (klen = 0; key[klen] != '\0'; klen++)
			if (isspace((unsigned char)key[klen]))
				break;
		value = trim(key + klen);
		key[klen] = '\0';
		o = find_opt(key, klen);
		if (o == NULL) {
			seterr(err, errlen, "%sunknown option '%s'", prefix,
			       key);
			rc = ND_EPARSE;
			break;
		}
		if (is_cmdline_only(o)) {
			seterr(err, errlen,
			       "%soption '%s' is only for the command line",
			       prefix, key);
			rc = ND_EPARSE;
			break;
		}
		if (is_list(o) && !seen[o - opts] && *value != '\0') {
			/* The file's list replaces the built-in default. */
			clear_list(c, o);
			seen[o - opts] = true;
		}
		rc = apply_reported(c, o, value, prefix, err, errlen);
		if (rc != 0)
			break;
		c->n_file_options++;
	}
	fclose(f);
	return rc;
}

/* Address of upstream as IPv4 when it is IPv4-mapped IPv6, else a copy. */
static void unmap(const struct sockaddr_storage *in,
		  struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)in;

	*out = *in;
	if (in->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)out;
		uint16_t port = s6->sin6_port;
		uint8_t a[4];

		memcpy(a, &s6->sin6_addr.s6_addr[12], 4);
		memset(out, 0, sizeof(*out));
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		memcpy(&s4->sin_addr, a, 4);
	}
}

/* Same family and address, port ignored. */
static bool same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      16) == 0;
	return false;
}

/*
 * Would a packet to sa reach a socket bound to the wildcard address?
 * Loopback and the wildcard itself always do; so does any address of
 * this host's interfaces (a node's own IP in its resolv.conf).
 */
static bool is_local(const struct sockaddr *sa, struct ifaddrs *ifs)
{
	if (nd_addr_is_any(sa))
		return true;
	if (sa->sa_family == AF_INET) {
		const uint8_t *a =
			(const uint8_t *)&((const struct sockaddr_in *)sa)
				->sin_addr;
		if (a[0] == 127)
			return true;
	} else if (sa->sa_family == AF_INET6) {
		if (IN6_IS_ADDR_LOOPBACK(
			    &((const struct sockaddr_in6 *)sa)->sin6_addr))
			return true;
	}
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && same_ip(i->ifa_addr, sa))
			return true;
	return false;
}

static bool is_own_listener(const struct nd_config *c,
			    const struct sockaddr_storage *up,
			    struct ifaddrs *ifs, size_t *which)
{
	struct sockaddr_storage u;
	const struct sockaddr *us = (const struct sockaddr *)&u;

	unmap(up, &u);
	for (size_t i = 0; i < c->n_listen; i++) {
		const struct sockaddr *l =
			(const struct sockaddr *)&c->listen[i];

		*which = i;
		if (nd_addr_equal(l, us))
			return true;
		if (nd_addr_is_any(l) && l->sa_family == us->sa_family &&
		    nd_addr_port(l) == nd_addr_port(us) && is_local(us, ifs))
			return true;
	}
	return false;
}

static bool any_wildcard_listen(const struct nd_config *c)
{
	for (size_t i = 0; i < c->n_listen; i++)
		if (nd_addr_is_any((const struct sockaddr *)&c->listen[i]))
			return true;
	return false;
}

static const char *rc_path(const struct nd_config *c)
{
	return c->resolv_conf ? c->resolv_conf : ND_RESOLV_CONF_DEFAULT;
}

static const char *const default_allow[] = {
	"127.0.0.0/8",	  "::1/128",	    "10.0.0.0/8",
	"172.16.0.0/12",  "192.168.0.0/16", "169.254.0.0/16",
	"fc00::/7",	  "fe80::/10",	    "100.64.0.0/10",
};

int nd_config_finalize(struct nd_config *c, char *err, size_t errlen)
{
	struct ifaddrs *ifs = NULL;
	bool from_resolv = false;
	size_t kept = 0, dropped = 0;
	int rc;

	if (c == NULL)
		return -EINVAL;
	/* First: an upstream on a node-local address is a loop, too. */
	rc = add_node_listeners(c, err, errlen);
	if (rc != 0)
		return rc;
	rc = nd_resolv_conf_read(rc_path(c), &c->resolv);
	/* The ConfigMap before the resolv.conf default: its upstreams
	 * replace those, not the ones --upstream gave. */
	if (c->kube_dns_dir != NULL) {
		int krc = nd_kube_dns_read(c->kube_dns_dir, c, err, errlen);

		if (krc != 0)
			return krc;
	}
	if (c->n_upstreams == 0) {
		if (rc < 0) {
			seterr(err, errlen,
			       "no upstream: cannot read %s (%s); give one "
			       "with --upstream ADDR[:PORT]",
			       rc_path(c), nd_strerror(rc));
			return rc;
		}
		memcpy(c->upstreams, c->resolv.ns,
		       c->resolv.n_ns * sizeof(c->upstreams[0]));
		c->n_upstreams = c->resolv.n_ns;
		from_resolv = true;
	}
	c->is_upstream_from_resolv = from_resolv;

	/* getifaddrs only matters for a wildcard listener; failing it
	 * leaves loopback, which is the common loop (systemd-resolved,
	 * a previous node-local cache). */
	if (any_wildcard_listen(c) && getifaddrs(&ifs) != 0)
		ifs = NULL;
	for (size_t i = 0; i < c->n_upstreams; i++) {
		size_t which = 0;

		if (is_own_listener(c, &c->upstreams[i], ifs, &which)) {
			char ub[ND_ADDR_STRLEN], lb[ND_ADDR_STRLEN];

			nd_addr_format((struct sockaddr *)&c->upstreams[i], ub,
				       sizeof(ub));
			nd_addr_format((struct sockaddr *)&c->listen[which],
				       lb, sizeof(lb));
			nd_warn("config",
				"upstream %s%s%s is our own listen address %s: "
				"dropped, it would forward to ourselves",
				ub, from_resolv ? " from " : "",
				from_resolv ? rc_path(c) : "", lb);
			dropped++;
			continue;
		}
		c->upstreams[kept++] = c->upstreams[i];
	}
	/* A zone's upstreams are given one by one: one of ours is a
	 * mistake to say, not to mend. */
	for (size_t z = 0; z < c->n_zones; z++) {
		for (size_t i = 0; i < c->zones[z].n_upstreams; i++) {
			struct sockaddr_storage *u = &c->zones[z].upstreams[i];
			char ub[ND_ADDR_STRLEN];
			size_t which = 0;

			if (!is_own_listener(c, u, ifs, &which))
				continue;
			nd_addr_format((struct sockaddr *)u, ub, sizeof(ub));
			seterr(err, errlen,
			       "forward zone %s: upstream %s is our own listen "
			       "address: it would forward to ourselves",
			       c->zones[z].name, ub);
			if (ifs != NULL)
				freeifaddrs(ifs);
			return ND_ELOOP;
		}
	}
	if (ifs != NULL)
		freeifaddrs(ifs);
	c->n_upstreams = kept;
	if (kept == 0) {
		if (dropped > 0) {
			seterr(err, errlen,
			       "no upstream left: every upstream%s%s is one of "
			       "our listen addresses; give another with "
			       "--upstream ADDR[:PORT]",
			       from_resolv ? " in " : "",
			       from_resolv ? rc_path(c) : "");
			return ND_ELOOP;
		}
		seterr(err, errlen,
		       "no upstream left: %s has no nameserver line; give one "
		       "with --upstream ADDR[:PORT]",
		       rc_path(c));
		return ND_EPARSE;
	}

	if (c->n_allow == 0) {
		for (size_t i = 0; i < sizeof(default_allow) /
					       sizeof(default_allow[0]);
		     i++)
			if (nd_cidr_parse(default_allow[i],
					  &c->allow[c->n_allow]) == 0)
				c->n_allow++;
	}

	{
		const struct sockaddr *h = (struct sockaddr *)&c->http_listen;
		const struct sockaddr *g = (struct sockaddr *)&c->debug_listen;

		/* Both listeners bind: one port cannot serve both. */
		if (nd_addr_port(h) == nd_addr_port(g) &&
		    (nd_addr_equal(h, g) || nd_addr_is_any(h) ||
		     nd_addr_is_any(g))) {
			char hb[ND_ADDR_STRLEN], gb[ND_ADDR_STRLEN];

			nd_addr_format(h, hb, sizeof(hb));
			nd_addr_format(g, gb, sizeof(gb));
			seterr(err, errlen,
			       "debug-listen %s and http-listen %s overlap: "
			       "give them different ports",
			       gb, hb);
			return ND_EPARSE;
		}
	}
	if (c->query_timeout_ms < c->upstream_timeout_ms) {
		seterr(err, errlen,
		       "query-timeout %u ms is shorter than upstream-timeout "
		       "%u ms; it must be at least as long",
		       c->query_timeout_ms, c->upstream_timeout_ms);
		return ND_EPARSE;
	}
	if (c->cache_min_ttl_s > c->cache_max_ttl_s) {
		seterr(err, errlen,
		       "cache-min-ttl %u is above cache-max-ttl %u",
		       c->cache_min_ttl_s, c->cache_max_ttl_s);
		return ND_EPARSE;
	}
	return 0;
}

/*
 * Split argv[*i] into an option and its value. Returns 1 with *o and
 * *value (NULL for options without one) set, 0 past the end, or ND_EPARSE.
 */
static int next_arg(int argc, char **argv, int *i, const struct opt_def **o,
		    const char **value, char *err, size_t errlen)
{
	const char *a, *eq;

	if (*i >= argc)
		return 0;
	a = argv[(*i)++];
	*value = NULL;
	if (strncmp(a, "--", 2) == 0 && a[2] != '\0') {
		const char *name = a + 2;

		eq = strchr(name, '=');
		*o = find_opt(name, eq ? (size_t)(eq - name) : strlen(name));
		if (*o == NULL) {
			seterr(err, errlen, "unknown option '%.*s'",
			       eq ? (int)(eq - a) : (int)strlen(a), a);
			return ND_EPARSE;
		}
		if ((*o)->arg == NULL) {
			if (eq != NULL) {
				seterr(err, errlen,
				       "option --%s: takes no value",
				       (*o)->name);
				return ND_EPARSE;
			}
			return 1;
		}
		if (eq != NULL) {
			*value = eq + 1;
			return 1;
		}
	} else if (a[0] == '-' && a[1] != '\0' && a[1] != '-') {
		*o = find_short(a[1]);
		if (*o == NULL || ((*o)->arg == NULL && a[2] != '\0')) {
			seterr(err, errlen, "unknown option '%s'", a);
			return ND_EPARSE;
		}
		if ((*o)->arg == NULL)
			return 1;
		if (a[2] != '\0') {
			*value = a + 2;
			return 1;
		}
	} else {
		seterr(err, errlen, "unexpected argument '%s'", a);
		return ND_EPARSE;
	}
	/*
	 * The value is the next word. No value of ours starts with "--",
	 * so such a word means the value was forgotten.
	 */
	if (*i >= argc || strncmp(argv[*i], "--", 2) == 0) {
		seterr(err, errlen, "option --%s: missing value", (*o)->name);
		return ND_EPARSE;
	}
	*value = argv[(*i)++];
	return 1;
}

int nd_config_load(struct nd_config *c, int argc, char **argv, char *err,
		   size_t errlen)
{
	bool seen[N_OPTS] = { false };
	const struct opt_def *o;
	const char *value, *file = NULL;
	int i, rc;

	if (c == NULL || argc < 0 || (argc > 0 && argv == NULL))
		return -EINVAL;

	/* First pass: syntax, --help, --version and the file to read. */
	i = 1;
	while ((rc = next_arg(argc, argv, &i, &o, &value, err, errlen)) > 0) {
		if (o->kind == K_HELP) {
			nd_config_usage(stdout, argc > 0 ? argv[0] : NULL);
			return 1;
		}
		if (o->kind == K_VERSION) {
			printf("nodedns %s\n", ND_VERSION_STRING);
			return 1;
		}
		if (o->kind == K_CONFIG)
			file = value;
		if (o->kind == K_CHECK)
			c->is_check_only = true;
	}
	if (rc < 0)
		return rc;

	if (file != NULL) {
		if (file[0] == '\0') {
			seterr(err, errlen, "option --config: missing value");
			return ND_EPARSE;
		}
		rc = set_string(&c->config_file, file);
		if (rc < 0)
			return rc;
		rc = nd_config_parse_file(c, file, err, errlen);
		if (rc < 0)
			return rc;
	}

	i = 1;
	while (next_arg(argc, argv, &i, &o, &value, err, errlen) > 0) {
		struct why w;

		if (is_cmdline_only(o))
			continue;
		if (is_list(o) && !seen[o - opts]) {
			/* The command line's list replaces the file's. */
			clear_list(c, o);
			seen[o - opts] = true;
		}
		rc = apply(c, o, value, &w);
		if (rc == ND_EPARSE) {
			if (w.hint[0] != '\0')
				seterr(err, errlen, "option --%s: %s (%s)",
				       o->name, w.what, w.hint);
			else
				seterr(err, errlen, "option --%s: %s",
				       o->name, w.what);
		} else if (rc < 0) {
			seterr(err, errlen, "option --%s: %s", o->name,
			       nd_strerror(rc));
		}
		if (rc < 0)
			return rc;
	}
	return nd_config_finalize(c, err, errlen);
}

static void print_indented(FILE *f, const char *lead, const char *text)
{
	const char *nl;

	while (text != NULL && *text != '\0') {
		nl = strchr(text, '\n');
		fprintf(f, "        %s%.*s\n", lead,
			nl ? (int)(nl - text) : (int)strlen(text), text);
		text = nl ? nl + 1 : NULL;
		lead = "";
	}
}

void nd_config_usage(FILE *f, const char *argv0)
{
	if (f == NULL)
		return;
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"nodedns - node-local DNS caching resolver for Kubernetes.\n"
		"\n"
		"Every option but -c, -h and -V may also be a \"key value\" "
		"line in the\n"
		"configuration file, the long name without dashes. The "
		"command line wins;\n"
		"listen, upstream and allow given there replace the file's "
		"list.\n"
		"Options take \"--opt value\" or \"--opt=value\".\n"
		"\n"
		"OPTIONS\n",
		argv0 && *argv0 ? argv0 : "nodedns");
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt_def *o = &opts[i];

		if (o->short_name != 0)
			fprintf(f, "    -%c, --%s%s%s\n", o->short_name,
				o->name, o->arg ? " " : "",
				o->arg ? o->arg : "");
		else
			fprintf(f, "    --%s%s%s\n", o->name,
				o->arg ? " " : "", o->arg ? o->arg : "");
		print_indented(f, "", o->help);
		if (o->dflt != NULL)
			print_indented(f, "Default: ", o->dflt);
		fputc('\n', f);
	}
}
