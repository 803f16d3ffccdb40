/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/store.h - the cluster zone: objects in, rendered answers out, read by every worker without locks. */
#ifndef KUBE_STORE_H
#define KUBE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/pods_mode.h"
#include "kube/decode.h"
#include "kube/objects.h"

struct nd_query;

struct nd_kube_store_options {
	const char *zone;	 /* cluster domain, "cluster.local" (copied) */
	uint32_t ttl_s;		 /* TTL of every record, SOA minimum too */
	enum nd_pods_mode pods;
	size_t max_service_records; /* records one Service may render
				       (zone_names.h: max_records); 0 = no
				       limit */
	uint64_t max_bytes; /* the rendered zone's memory budget
			       (stats.index_bytes + answer_bytes); a
			       Service whose render takes the zone past it
			       is withdrawn until its next change; 0 = no
			       limit */
};

struct nd_kube_store; /* opaque */

/*
 * The store. One writer thread (the control thread) changes it; any
 * number of reader threads answer from it without taking a lock the
 * writer holds (RCU: a reader thread calls nd_rcu_register(), util/rcu.h,
 * once before its first nd_kube_store_answer()).
 * NULL on failure (bad zone name, memory).
 */
struct nd_kube_store *nd_kube_store_new(const struct nd_kube_store_options *o);
/* Free everything; no reader may be inside nd_kube_store_answer(). */
void nd_kube_store_free(struct nd_kube_store *s);

/*
 * Give the heap a large change freed back to the kernel (glibc
 * malloc_trim), after the frees deferred past readers (RCU) have run:
 * the old answers a full list replaced are freed by urcu's thread, often
 * after the list itself is done. Blocks for a grace period; writer
 * thread only, outside any reader section. Call it after a full list,
 * not per change.
 */
void nd_kube_store_trim(struct nd_kube_store *s);


/*
 * Writer side. A put creates or replaces the object (identified by
 * namespace and name) and takes ownership of what *obj owns (obj is left
 * zeroed). Every change re-renders the names of the one Service it
 * touches and nothing else.
 * Returns 0, -ENOMEM or -EINVAL.
 */
/* (Ownership moves on 0 and on -ENOMEM alike, so the caller has nothing
 * to free either way; on -EINVAL *obj is left as it was.) */
int nd_kube_store_put_service(struct nd_kube_store *s,
			      struct nd_kube_service *obj);
int nd_kube_store_del_service(struct nd_kube_store *s, const char *ns,
			      const char *name);
int nd_kube_store_put_slice(struct nd_kube_store *s, struct nd_kube_slice *obj);
int nd_kube_store_del_slice(struct nd_kube_store *s, const char *ns,
			    const char *name);
int nd_kube_store_put_namespace(struct nd_kube_store *s, const char *name);
int nd_kube_store_del_namespace(struct nd_kube_store *s, const char *name);

/*
 * The writer's lock, taken by every change above and below (so changes
 * may come from any one thread at a time) and by describe.h's views.
 * Hold it while using what describe.h borrows from the store: no change
 * is applied meanwhile. Recursive; never held by readers of answers.
 */
void nd_kube_store_lock(struct nd_kube_store *s);
void nd_kube_store_unlock(struct nd_kube_store *s);

/*
 * A full re-list of one kind without a moment of empty answers: after
 * relist_begin, objects of that kind that are put again are kept;
 * relist_end deletes those that were not. Returns how many were deleted.
 */
void nd_kube_store_relist_begin(struct nd_kube_store *s, enum nd_kube_kind k);
size_t nd_kube_store_relist_end(struct nd_kube_store *s, enum nd_kube_kind k);

enum nd_kube_answer_status {
	ND_KUBE_NOT_OURS = 0, /* outside the cluster zone and not a reverse
				 name of a known address: forward it */
	ND_KUBE_ANSWERED = 1, /* *out_len bytes of answer in out */
};

/*
 * Answer q from the cluster zone (reader side, any registered thread):
 * the records of the name, NODATA or NXDOMAIN with the SOA in the
 * authority section; the question as the client spelled it; AA set;
 * TC and a cut answer when it exceeds limit.
 * Returns an nd_kube_answer_status, or -EINVAL.
 */
/* (Also ND_ENOSPACE when cap cannot hold even the cut answer. A class
 * other than IN is ND_KUBE_NOT_OURS.) */
int nd_kube_store_answer(struct nd_kube_store *s, const struct nd_query *q,
			 size_t limit, uint8_t *out, size_t cap,
			 size_t *out_len);

/* What diagnostics learn about the name an answer is for. */
struct nd_kube_answer_info {
	int ready;	  /* ready endpoint addresses (each counted once) of the
			     ClusterIP or headless Service the name belongs to:
			     <svc>.<ns>.svc.<zone> and the names under it (SRV
			     names, per-endpoint hostnames); -1 = not a Service
			     name (NXDOMAIN, pods, reverse names, ExternalName,
			     the zone's own names). A headless Service without
			     ready endpoints answers NXDOMAIN for its name and
			     every name under it, and still gives 0 here */
	bool is_headless; /* that Service is headless; false when ready
			     is -1 */
};

/*
 * As nd_kube_store_answer(), and when it returns ND_KUBE_ANSWERED fills
 * *info (may be NULL) for the name asked: a NODATA answer on a Service's
 * name (AAAA of an IPv4-only Service) still gives the Service's count,
 * and so does the NXDOMAIN of a headless Service without ready
 * endpoints.
 * The count is the one published with the answer bytes, so both come
 * from the same moment; it costs the reader nothing more than the answer.
 */
int nd_kube_store_answer_info(struct nd_kube_store *s, const struct nd_query *q,
			      size_t limit, uint8_t *out, size_t cap,
			      size_t *out_len,
			      struct nd_kube_answer_info *info);

struct nd_kube_store_stats {
	uint64_t services;	      /* Services held */
	uint64_t slices;	      /* EndpointSlices held */
	uint64_t namespaces;	      /* Namespaces held */
	uint64_t endpoints_ready;     /* ready endpoint addresses */
	uint64_t endpoints_not_ready; /* not-ready endpoint addresses */
	uint64_t names;		      /* DNS names rendered */
	uint64_t bytes;		      /* memory the store holds: the sum of
					 the three below (allocation sizes
					 asked for, without malloc's own
					 overhead) */
	uint64_t object_bytes;	      /* decoded Services, EndpointSlices
					 and Namespaces */
	uint64_t index_bytes;	      /* the writer's index from objects to
					 names, and the hash tables' bucket
					 arrays */
	uint64_t answer_bytes;	      /* rendered answers readers copy */
	uint64_t renders;	      /* Service re-renders since start */
	uint64_t truncated;	      /* Services rendered without some of
					 their records (max_service_records)
					 now */
	uint64_t truncations;	      /* times a Service became so */
	uint64_t over_budget;	      /* Services withdrawn because their
					 render took the zone past max_bytes,
					 now */
	uint64_t over_budget_total;   /* times a Service was so withdrawn */
	uint64_t names_cut;	      /* names whose answers are cut at
					 64 KiB now */
	uint64_t max_bytes;	      /* the budget; 0 = none */
};

/* Counters the writer keeps (relaxed reads; any thread). */
void nd_kube_store_get_stats(struct nd_kube_store *s,
			     struct nd_kube_store_stats *out);

#endif /* KUBE_STORE_H */
