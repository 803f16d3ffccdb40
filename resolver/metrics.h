/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/metrics.h - per-worker counters and their Prometheus text. */
#ifndef RESOLVER_METRICS_H
#define RESOLVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "kube/store.h"
#include "resolver/observe.h"
#include "dns/upstream_msg.h"
#include "resolver/upstream.h"

struct nd_coredns_compat;

/*
 * Each worker owns one struct nd_metrics and is its only writer; the HTTP
 * thread sums all of them when /metrics is read. Counters are bumped with
 * ND_METRIC_INC so the reader sees whole values (relaxed atomics: a plain
 * add on x86, no lock).
 */
#define ND_METRIC_ADD(field, n) \
	__atomic_store_n(&(field), __atomic_load_n(&(field), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)
#define ND_METRIC_INC(field) ND_METRIC_ADD(field, 1)

enum nd_metric_proto { ND_PROTO_UDP = 0, ND_PROTO_TCP = 1, ND_PROTO_COUNT };

/* Query types with their own label; others count as "other". */
enum nd_metric_qtype {
	ND_MQT_A, ND_MQT_AAAA, ND_MQT_CNAME, ND_MQT_MX, ND_MQT_TXT,
	ND_MQT_SRV, ND_MQT_PTR, ND_MQT_NS, ND_MQT_SOA, ND_MQT_ANY,
	ND_MQT_OTHER, ND_MQT_COUNT
};

/* Response codes with their own label; others count as "other". */
enum nd_metric_rcode {
	ND_MRC_NOERROR, ND_MRC_FORMERR, ND_MRC_SERVFAIL, ND_MRC_NXDOMAIN,
	ND_MRC_NOTIMP, ND_MRC_REFUSED, ND_MRC_BADVERS, ND_MRC_OTHER,
	ND_MRC_COUNT
};

/* Why a packet was dropped unanswered (nodedns_dropped_total{reason}). */
enum nd_drop_reason {
	ND_DROP_MALFORMED = 0,	  /* shorter than a header, or QR=1 */
	ND_DROP_OVERSIZE = 1,	  /* a UDP query longer than we read */
	ND_DROP_OUTSIDE_ALLOW = 2, /* --refuse-outside-allow drop */
	ND_DROP_REASONS = 3,
};

/* Why a TCP connection was closed to make room (RFC 7766 6.2.3). */
enum nd_tcp_evict_reason {
	ND_EVICT_CAP = 0,	 /* the longest idle, at --tcp-max-conns */
	ND_EVICT_PER_CLIENT = 1, /* the client's own longest idle, at
				    --tcp-max-per-client */
	ND_EVICT_REASONS = 2,
};

/* Duration histogram: upper bounds in microseconds, then +Inf. */
#define ND_HIST_BUCKETS 16
extern const uint32_t nd_hist_bounds_us[ND_HIST_BUCKETS];

struct nd_hist {
	uint64_t bucket[ND_HIST_BUCKETS + 1]; /* non-cumulative counts; last = +Inf */
	uint64_t count;			      /* observations */
	uint64_t sum_us;		      /* their sum in microseconds */
};

/* Add one observation of us microseconds (single writer). */
void nd_hist_observe(struct nd_hist *h, uint64_t us);

struct nd_metrics {
	uint64_t requests[ND_PROTO_COUNT][ND_MQT_COUNT]; /* queries served */
	uint64_t responses_src[ND_SRC_COUNT][ND_MRC_COUNT]; /* replies by where
				the answer came from (enum nd_answer_source)
				and rcode; nodedns_dns_responses_total sums
				the sources */
	uint64_t dropped;	/* packets dropped unanswered (malformed, QR=1) */
	uint64_t truncated;	/* UDP replies sent with TC=1 */
	uint64_t requests_v6[ND_PROTO_COUNT][ND_MQT_COUNT]; /* of requests:
						 from IPv6 clients */
	struct nd_hist duration_type[ND_MQT_COUNT]; /* request duration,
				receive to send, by query type (the total
				is their sum) */
	struct nd_hist duration_src[ND_SRC_COUNT]; /* the same, by where the
						      answer came from */
	uint64_t cache_hits;	 /* answered fresh from the cache */
	uint64_t cache_misses;	 /* not in the cache */
	uint64_t cache_stale;	 /* answered stale (RFC 8767) */
	uint64_t inflight_joined; /* queries that joined an identical one in flight */
	uint64_t fetches_refused; /* new questions refused at the bound on
				     questions in flight */
	uint64_t kube_answers;	  /* answered from the cluster zone */
	uint64_t hosts_answers;	  /* answered from --hosts-file */
	uint64_t tcp_connections; /* TCP connections accepted */
	uint64_t tcp_rejected;	  /* refused at the connection cap */
	/* Per upstream address: indexed by its counter row
	 * (resolver/upstream_rows.h), which stays the address's across
	 * reloads. */
	uint64_t fwd_requests[ND_MAX_UPSTREAM_SLOTS]; /* attempts sent */
	uint64_t fwd_responses[ND_MAX_UPSTREAM_SLOTS][ND_UP_OUTCOMES]; /* how they ended */
	uint64_t fwd_loops[ND_MAX_UPSTREAM_SLOTS]; /* our loop probe came
						     back through it */
	uint64_t fwd_tcp[ND_MAX_UPSTREAM_SLOTS];	/* attempts over TCP (TC fallback) */
	struct nd_hist fwd_duration[ND_MAX_UPSTREAM_SLOTS]; /* attempt RTT */
	uint64_t inflight_capped; /* new questions refused at --max-inflight */
	uint64_t failcache_hits;  /* answered from the failure cache */
	uint64_t failcache_holds; /* failed resolutions held there */
	uint64_t drop_reason[ND_DROP_REASONS]; /* dropped packets by reason
						  (also in dropped) */
	uint64_t tcp_evicted[ND_EVICT_REASONS]; /* connections closed to
						   make room */
	uint64_t tcp_rejected_per_client; /* refused at --tcp-max-per-client
					     (also in tcp_rejected) */
	uint64_t fwd_rejected[ND_MAX_UPSTREAM_SLOTS][ND_FWD_REJ_COUNT]; /*
				replies not taken, by enum nd_fwd_reject
				(index 0 unused) */
};

/* Label index for a query type / rcode. */
enum nd_metric_qtype nd_metrics_qtype_index(uint16_t qtype);
enum nd_metric_rcode nd_metrics_rcode_index(int rcode);
/* Their label values ("A", "NXDOMAIN", "other"); "?" out of range. */
const char *nd_metrics_qtype_name(enum nd_metric_qtype i);
const char *nd_metrics_rcode_name(enum nd_metric_rcode i);

/* Gauges the reader adds that no worker counts. */
struct nd_metrics_gauges {
	uint64_t cache_entries;
	uint64_t cache_negative; /* of them: NXDOMAIN or NODATA */
	uint64_t cache_bytes;
	uint64_t cache_evictions;
	const char *const *upstream_names; /* "1.2.3.4:53" per upstream
					      listed, each address once: the
					      default set, then each forward
					      zone's */
	size_t n_upstreams; /* upstreams listed */
	const uint8_t *upstream_rows; /* counter row of upstream i; NULL =
					 row i */
	const struct nd_metrics *baseline; /* per-upstream rows' values
					      when they last changed hands,
					      subtracted; NULL = none */
	uint32_t upstream_srtt_us[ND_MAX_UPSTREAM_SLOTS]; /* of upstream i */
	uint8_t upstream_no_0x20[ND_MAX_UPSTREAM_SLOTS]; /* of upstream i: 1 =
					marked as not echoing the 0x20 case
					(asked in lower case) */
	uint8_t upstream_cookie[ND_MAX_UPSTREAM_SLOTS]; /* of upstream i: 1 =
					a server cookie is known */
	const struct nd_coredns_compat *coredns; /* also the CoreDNS names
					   (--metrics-compat coredns);
					   NULL = off */
	uint64_t uptime_s;
	int is_ready;  /* 1 once ready to serve */
	const struct nd_kube_store_stats *kube; /* cluster zone; NULL = none */
	uint64_t inflight;	    /* upstream questions in flight now */
	uint64_t inflight_limit;    /* --max-inflight in force; 0 = none */
	uint64_t failcache_entries; /* questions the failure cache holds */
	uint64_t fd_limit;	    /* RLIMIT_NOFILE in force; 0 = unknown */
	uint64_t fd_reserved;	    /* descriptors kept from fetches for
				       listeners, TCP clients, HTTP */
	const char *extra; /* more families in exposition format, appended
			      as is (the Kubernetes client's); may be NULL */
	size_t extra_len;  /* bytes in extra */
};

/*
 * Render the sum of workers[0..n) and the gauges in the Prometheus text
 * exposition format (version 0.0.4), every family with HELP and TYPE, names
 * prefixed nodedns_.
 * out: receives a malloc'd NUL-terminated text (caller frees); *out_len its length.
 * Returns 0 or -ENOMEM.
 */
int nd_metrics_render(struct nd_metrics *const *workers, size_t n,
		      const struct nd_metrics_gauges *g, char **out,
		      size_t *out_len);

/*
 * A counter row now belongs to another upstream address: copy the sum of
 * workers[0..n)'s per-upstream counters of row into base, so the row reads
 * 0 from now on (the workers are their counters' only writers; this
 * subtracts instead of zeroing). No-op on a NULL argument or a row out of
 * range.
 */
void nd_metrics_restart_row(struct nd_metrics *base,
			    struct nd_metrics *const *workers, size_t n,
			    size_t row);

/* Sum workers[0..n) into t (zeroed first), then subtract base's
 * per-upstream rows when base is not NULL. */
void nd_metrics_sum(struct nd_metrics *t, struct nd_metrics *const *workers,
		    size_t n, const struct nd_metrics *base);

/*
 * Write one sample set of histogram h (nd_hist_bounds_us buckets) as
 * name with labels (n of them), into b; the family line is the
 * caller's. Shared by nodedns's families and the CoreDNS names.
 */
struct nd_prom;
struct nd_prom_label;
void nd_metrics_histogram(struct nd_prom *b, const char *name,
			  const struct nd_prom_label *labels, size_t n,
			  const struct nd_hist *h);

#endif /* RESOLVER_METRICS_H */
