/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/zone_names.h - which names and records the Kubernetes DNS specification (1.1.0) gives each object. */
#ifndef KUBE_ZONE_NAMES_H
#define KUBE_ZONE_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"
#include "kube/nameset.h"
#include "kube/objects.h"
#include "kube/store.h"

/* Version the dns-version.<zone> TXT record announces. */
#define ND_KUBE_SPEC_VERSION "1.1.0"
/* SOA timers (seconds), the values CoreDNS's kubernetes plugin uses. */
#define ND_KUBE_SOA_REFRESH 7200
#define ND_KUBE_SOA_RETRY 1800
#define ND_KUBE_SOA_EXPIRE 86400
/* The reverse trees as wire names (sizeof includes the root label); the
 * labels are separate literals so no hex escape swallows a letter. */
#define ND_KUBE_V4_TREE                                                        \
	"\x07"                                                                 \
	"in-addr"                                                              \
	"\x04"                                                                 \
	"arpa"
#define ND_KUBE_V6_TREE                                                        \
	"\x03"                                                                 \
	"ip6"                                                                  \
	"\x04"                                                                 \
	"arpa"
/* Bytes of SOA RDATA at most: two names and the five numbers. */
#define ND_KUBE_SOA_RDATA_MAX (2 * ND_DNS_MAX_NAME + 20)

/* The cluster zone as the name builders need it. */
struct nd_kube_zone {
	uint8_t apex[ND_DNS_MAX_NAME]; /* lower-case wire name of the zone */
	size_t apex_len;	       /* bytes of apex */
	uint32_t ttl_s;		       /* SOA MINIMUM */
	enum nd_pods_mode pods;	       /* <ns>.pod.<zone> exists? */
	size_t max_records; /* records one Service may file (answer and
			       additional records, each counted once);
			       0 = no limit. See nd_kube_names_service */
};

/*
 * Fill z from the zone text ("cluster.local", trailing dot optional).
 * The root is refused (every name would be ours), and so is a zone too
 * long to hold ns.dns.<zone>. Returns 0 or -EINVAL.
 */
int nd_kube_zone_init(struct nd_kube_zone *z, const char *zone, uint32_t ttl_s,
		      enum nd_pods_mode pods);

/*
 * The SOA RDATA of the zone: MNAME ns.dns.<zone>., RNAME
 * hostmaster.<zone>., the serial given, the ND_KUBE_SOA_* timers and
 * MINIMUM = z->ttl_s. out: at least ND_KUBE_SOA_RDATA_MAX bytes.
 * Returns the RDATA length (its last 20 bytes are the numbers) or -EINVAL.
 */
int nd_kube_soa_rdata(const struct nd_kube_zone *z, uint32_t serial,
		      uint8_t *out, size_t cap);

/*
 * The reverse name of ip: d.c.b.a.in-addr.arpa. or the 32 nibbles of
 * ip6.arpa. (RFC 3596 2.5), into out (ND_DNS_MAX_NAME bytes).
 * Returns the wire length or -EINVAL.
 */
int nd_kube_reverse_name(const struct nd_kube_ip *ip, uint8_t *out, size_t cap);

/*
 * The label CoreDNS gives an endpoint without a hostname: the address
 * with '.' or ':' turned into '-' ("10-1-2-3", "fd00--1").
 * Returns 0 or -EINVAL.
 */
int nd_kube_dashed_label(const struct nd_kube_ip *ip, char *out, size_t cap);

/* The zone's own names: apex SOA and NS, dns-version TXT, svc and pod.
 * The SOA serial is filed as 0; readers patch in the current one. */
int nd_kube_names_static(const struct nd_kube_zone *z,
			 struct nd_kube_nameset *out);

/* What a Namespace makes exist: <ns>.svc.<zone>, and <ns>.pod.<zone>
 * unless pod records are disabled. */
int nd_kube_names_namespace(const struct nd_kube_zone *z, const char *ns,
			    struct nd_kube_nameset *out);

/*
 * Every name and record of one Service given all the EndpointSlices
 * labelled with it (borrowed): A/AAAA, SRV with their additional records,
 * PTR, CNAME, and the empty non-terminals down to <ns>.svc.<zone>.
 * A ClusterIP or headless Service also tags the Service name and the
 * names under it with its count of distinct ready endpoint addresses
 * (nd_kube_nameset_set_service); an ExternalName tags nothing.
 * Records are not finished: call nd_kube_nameset_finish() on out.
 *
 * Past z->max_records the Service is cut, decided before anything is
 * filed so that memory follows the limit and not ports x endpoints:
 * named ports are dropped from the last (an SRV name is complete or
 * absent), then, when the addresses alone are too many, the ready
 * addresses past the limit (in slice order). out->n_cut says how many
 * records were left out.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int nd_kube_names_service(const struct nd_kube_zone *z,
			  const struct nd_kube_service *svc,
			  const struct nd_kube_slice *const *slices,
			  size_t n_slices, struct nd_kube_nameset *out);

#endif /* KUBE_ZONE_NAMES_H */
