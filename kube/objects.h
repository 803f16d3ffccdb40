/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/objects.h - the parts of Services, EndpointSlices and Namespaces that DNS uses. */
#ifndef KUBE_OBJECTS_H
#define KUBE_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ND_KUBE_NAME_MAX 64  /* a DNS-1123/1035 label (63) + NUL */
#define ND_KUBE_FQDN_MAX 254 /* a DNS name (253) + NUL */
#define ND_KUBE_RV_MAX 32    /* resourceVersion text */

/*
 * Text fields (const char *) are never NULL ("" when unset) and each
 * fits the buffer its _MAX names. They are not owned one by one: they
 * point into the object's strs, one block for all of its text (a store
 * holds a Service and a slice per Service, and a slice up to 1000
 * endpoints), or at strings that outlive the object (a literal).
 */

/* An IPv4 or IPv6 address. */
struct nd_kube_ip {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
};

struct nd_kube_port {
	const char *name; /* a DNS label; "" when unnamed (no SRV record) */
	int protocol;	  /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
};

enum nd_kube_service_type {
	ND_SVC_CLUSTER_IP = 0, /* ClusterIP, NodePort, LoadBalancer */
	ND_SVC_HEADLESS = 1,   /* clusterIP "None" */
	ND_SVC_EXTERNAL_NAME = 2,
};

struct nd_kube_service {
	const char *ns;	  /* < ND_KUBE_NAME_MAX */
	const char *name; /* < ND_KUBE_NAME_MAX */
	const char *rv;	  /* metadata.resourceVersion, < ND_KUBE_RV_MAX */
	enum nd_kube_service_type type;
	struct nd_kube_ip ips[2]; /* spec.clusterIPs (dual stack), or clusterIP */
	size_t n_ips;
	const char *external_name; /* ExternalName target, no trailing dot,
				      < ND_KUBE_FQDN_MAX; "" for other types */
	struct nd_kube_port *ports; /* spec.ports (owned) */
	size_t n_ports;
	char *strs; /* the text above and the port names (owned); NULL when
		       it is all elsewhere */
};

/* An endpoint's addresses and text are in its slice's ips and strs. */
struct nd_kube_endpoint {
	struct nd_kube_ip *addrs; /* n_addrs addresses; one in practice */
	uint32_t n_addrs;
	bool is_ready;	     /* conditions.ready; absent counts as ready */
	bool is_serving;     /* conditions.serving; absent = is_ready */
	bool is_terminating; /* conditions.terminating; absent = false */
	const char *hostname; /* a DNS label, "" when unset */
	const char *node;     /* nodeName, "" when unset */
	const char *pod;      /* targetRef.name when kind Pod, else "" */
};

struct nd_kube_slice {
	const char *ns;			/* < ND_KUBE_NAME_MAX */
	const char *name;		/* slice name (generated, may be long),
					   < ND_KUBE_FQDN_MAX */
	const char *service;		/* label kubernetes.io/service-name,
					   < ND_KUBE_NAME_MAX; "" = belongs to
					   no Service */
	const char *rv;			/* < ND_KUBE_RV_MAX */
	int address_type;		/* AF_INET, AF_INET6, or 0 for FQDN (ignored) */
	struct nd_kube_endpoint *eps;	/* owned */
	size_t n_eps;
	struct nd_kube_ip *ips;		/* what eps[].addrs point into (owned);
					   NULL when they are elsewhere */
	char *strs;			/* the text above, the endpoints' and
					   the port names (owned); NULL when
					   it is all elsewhere */
	struct nd_kube_port *ports;	/* owned */
	size_t n_ports;
	int64_t trigger_time_ms;	/* annotation endpoints.kubernetes.io/
					   last-change-trigger-time, epoch ms;
					   0 when absent */
};

/* Free what the object owns (not the struct); safe on a zeroed struct. */
void nd_kube_service_deinit(struct nd_kube_service *s);
void nd_kube_slice_deinit(struct nd_kube_slice *s);

#endif /* KUBE_OBJECTS_H */
