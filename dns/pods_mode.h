/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* dns/pods_mode.h - which <a-b-c-d>.<ns>.pod.<zone> names exist (Kubernetes DNS specification, pod A records). */
#ifndef DNS_PODS_MODE_H
#define DNS_PODS_MODE_H

/* One concept for the option (config/) and the cluster zone (kube/). */
enum nd_pods_mode {
	ND_PODS_DISABLED = 0, /* no pod records: NXDOMAIN */
	ND_PODS_INSECURE = 1, /* any address, as CoreDNS's "pods insecure" */
	ND_PODS_VERIFIED = 2, /* only endpoint addresses in that namespace */
};

#endif /* DNS_PODS_MODE_H */
