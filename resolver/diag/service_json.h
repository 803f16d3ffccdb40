/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/service_json.h - one Service of the cluster zone, its endpoints and their addresses, as the debug documents show them. */
#ifndef RESOLVER_DIAG_SERVICE_JSON_H
#define RESOLVER_DIAG_SERVICE_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct nd_kube_ip;
struct nd_kube_svc_desc;

/*
 * Is s a Kubernetes namespace or Service name (an RFC 1123 label: 1-63
 * of a-z, 0-9 and '-', not starting or ending with '-')?
 */
int nd_diag_is_label(const char *s);

/* The address as text ("10.0.0.1", "fd00::1") into buf (at least 46
 * bytes); "?" for an unknown family. Returns buf. */
const char *nd_diag_ip_text(const struct nd_kube_ip *ip, char *buf,
			    size_t cap);

/*
 * One Service as /debug/services shows it: namespace, name, type,
 * clusterIPs, ports, externalName, endpoints (address, ready, serving,
 * terminating, hostname, node, pod) and the counts. NULL when out of
 * memory. d: borrowed from a describe list (writer thread).
 */
cJSON *nd_diag_service_json(const struct nd_kube_svc_desc *d);

/* "ClusterIP", "Headless" or "ExternalName" for an nd_kube_service_type. */
const char *nd_diag_service_type(int type);

/* "TCP", "UDP", "SCTP" or "?" for an IPPROTO_ value. */
const char *nd_diag_proto(int protocol);

#endif /* RESOLVER_DIAG_SERVICE_JSON_H */
