/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/store_internal.h - the store's layout, shared by its files (store.c, table.c, pod_addrs.c, lookup.c) and nobody else. */
#ifndef KUBE_STORE_INTERNAL_H
#define KUBE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include "kube/kmap.h"
#include "kube/name_node.h"
#include "kube/store.h"
#include "kube/table.h"
#include "kube/zone_names.h"

/* An SOA record as a negative answer's authority section carries it:
 * owner, TYPE CLASS TTL RDLENGTH, RDATA, all uncompressed. */
#define ND_KUBE_SOA_RR_MAX (ND_DNS_MAX_NAME + 10 + ND_KUBE_SOA_RDATA_MAX)

/* The name table never has fewer buckets (table.c resizes it). */
#define ND_KUBE_NAMES_MIN_BUCKETS 1024

struct nd_kube_soa_rr {
	uint8_t rr[ND_KUBE_SOA_RR_MAX];
	uint16_t len;	     /* bytes of rr */
	uint16_t ttl_off;    /* offset of the TTL in rr */
	uint16_t serial_off; /* offset of SERIAL in rr */
};

/*
 * Objects on the writer side. A group is one Service name in one
 * namespace: the Service when it exists, and every slice labelled with
 * that name whether or not the Service has arrived yet, so a slice seen
 * before its Service is used as soon as the Service comes.
 */
struct group {
	struct nd_kmap_node kn;	    /* in s->groups; key "ns/name" */
	bool has_svc;		    /* svc holds the Service */
	struct nd_kube_service svc; /* owned */
	uint32_t gen;		    /* relist generation of svc */
	struct slice_ent *slices;   /* labelled with this name */
	size_t n_slices;
	struct nd_kube_cset cs; /* what the Service gives the zone */
	bool is_truncated;	/* rendered without some records (logged
				   once, counted in stats.truncated) */
	bool is_over_budget;	/* withdrawn: its render took the zone
				   past max_bytes (stats.over_budget) */
	char key[];		/* "ns/name", sized to fit */
};

struct slice_ent {
	struct nd_kmap_node kn;	  /* in s->slices; key "ns/name" */
	struct nd_kube_slice obj; /* owned */
	uint32_t gen;		  /* relist generation */
	struct group *g; /* its Service's group; NULL when unlabelled */
	struct slice_ent *prev, *next; /* in g's list */
	uint64_t n_ready;	       /* ready addresses (stats) */
	uint64_t n_not_ready;	       /* other addresses (stats) */
	size_t obj_bytes;	       /* what obj holds (stats) */
	char key[];		       /* "ns/name", sized to fit */
};

struct ns_ent {
	struct nd_kmap_node kn; /* in s->namespaces; key name */
	uint32_t gen;		/* relist generation */
	struct nd_kube_cset cs; /* <ns>.svc.<zone> (and pod) */
	char name[];		/* sized to fit */
};

struct nd_kube_store {
	/* Read by every worker, under the RCU read lock. */
	struct cds_lfht *names; /* struct nd_kube_rnode by lower-case name */
	struct cds_lfht *pods;	/* verified pod addresses (pod_addrs.c);
				   NULL unless pods are verified */
	uint64_t seed;		/* hash seed of both tables */
	struct nd_kube_zone zone;
	struct nd_kube_soa_rr soa[ND_KUBE_SOA_KINDS]; /* fixed after new */
	uint32_t serial; /* SOA serial; atomic, bumped per change */
	struct nd_kube_store_stats stats; /* relaxed atomics */
	uint64_t table_bytes; /* bucket arrays of the tables below and the
				 name table; relaxed atomic, set by
				 nd_kube_table_apply() */

	/* The writer thread's own indexes. */
	struct nd_kmap wnames;	       /* names (table.c) */
	struct nd_kmap groups;	       /* Services + slices (store.c) */
	struct nd_kmap slices;	       /* slices by ns/name (store.c) */
	struct nd_kmap namespaces;     /* Namespaces by name (store.c) */
	struct nd_kmap pod_refs;       /* pod addresses by key (pod_addrs.c) */
	struct nd_kube_cset static_cs; /* the zone's own names */
	uint32_t gen[ND_KIND_COUNT];   /* relist generation per kind */
	struct nd_kube_render_scratch scratch; /* table.c's renders */
	struct nd_kube_rnode **retired; /* replaced nodes waiting for the end
					   of the apply (table.c) */
	size_t n_retired, retired_cap;
	size_t names_buckets; /* buckets of names (table.c sizes it) */
	uint64_t max_bytes;   /* nd_kube_store_options' */
	size_t apply_new_cut; /* names table.c cut at 64 KiB that were not
				 cut before, in the running apply */
	pthread_mutex_t wlock; /* held by the writer entry points and by
				  describe.c; see nd_kube_store_lock */
};

/* Relaxed counter updates: readers of the stats want a recent value,
 * not an ordering. */
#define ND_KUBE_STAT_ADD(s, field, v)                                          \
	__atomic_fetch_add(&(s)->stats.field, (uint64_t)(v), __ATOMIC_RELAXED)
#define ND_KUBE_STAT_SUB(s, field, v)                                          \
	__atomic_fetch_sub(&(s)->stats.field, (uint64_t)(v), __ATOMIC_RELAXED)

#endif /* KUBE_STORE_INTERNAL_H */
