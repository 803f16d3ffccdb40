/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/kube/objects.h - the parts of Services, EndpointSlices and Namespaces that DNS uses. */
#ifndef RESOLVER_KUBE_OBJECTS_H
#define RESOLVER_KUBE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_KUBE_NAME_MAX 64  /* a DNS-1123/1035 label (63) + NUL */
#define ND_KUBE_FQDN_MAX 254 /* a DNS name (253) + NUL */
#define ND_KUBE_RV_MAX 32    /* resourceVersion text */

/* An IPv4 or IPv6 address. */
struct nd_kube_ip {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
};

struct nd_kube_port {
	char name[ND_KUBE_NAME_MAX]; /* "" when unnamed (no SRV record) */
	int protocol;		     /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
};

enum nd_kube_service_type {
	ND_SVC_CLUSTER_IP = 0, /* ClusterIP, NodePort, LoadBalancer */
	ND_SVC_HEADLESS = 1,   /* clusterIP "None" */
	ND_SVC_EXTERNAL_NAME = 2,
};

struct nd_kube_service {
	char ns[ND_KUBE_NAME_MAX];
	char name[ND_KUBE_NAME_MAX];
	char rv[ND_KUBE_RV_MAX]; /* metadata.resourceVersion */
	enum nd_kube_service_type type;
	struct nd_kube_ip ips[2]; /* spec.clusterIPs (dual stack), or clusterIP */
	size_t n_ips;
	char external_name[ND_KUBE_FQDN_MAX]; /* ExternalName target, no trailing dot */
	struct nd_kube_port *ports; /* spec.ports (owned) */
	size_t n_ports;
};

struct nd_kube_endpoint {
	struct nd_kube_ip *addrs; /* addresses (owned); one in practice */
	size_t n_addrs;
	bool is_ready;	     /* conditions.ready; absent counts as ready */
	bool is_serving;     /* conditions.serving; absent = is_ready */
	bool is_terminating; /* conditions.terminating; absent = false */
	char hostname[ND_KUBE_NAME_MAX]; /* "" when unset */
	char node[ND_KUBE_FQDN_MAX];	 /* nodeName, "" when unset */
	char pod[ND_KUBE_FQDN_MAX];	 /* targetRef.name when kind Pod */
};

struct nd_kube_slice {
	char ns[ND_KUBE_NAME_MAX];
	char name[ND_KUBE_FQDN_MAX];	/* slice name (generated, may be long) */
	char service[ND_KUBE_NAME_MAX]; /* label kubernetes.io/service-name;
					   "" = belongs to no Service */
	char rv[ND_KUBE_RV_MAX];
	int address_type;		/* AF_INET, AF_INET6, or 0 for FQDN (ignored) */
	struct nd_kube_endpoint *eps;	/* owned */
	size_t n_eps;
	struct nd_kube_port *ports;	/* owned */
	size_t n_ports;
	int64_t trigger_time_ms;	/* annotation endpoints.kubernetes.io/
					   last-change-trigger-time, epoch ms;
					   0 when absent */
};

/* Free what the object owns (not the struct); safe on a zeroed struct. */
void nd_kube_service_deinit(struct nd_kube_service *s);
void nd_kube_slice_deinit(struct nd_kube_slice *s);

#endif /* RESOLVER_KUBE_OBJECTS_H */
