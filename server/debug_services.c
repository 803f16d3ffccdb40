/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/services: every Service the cluster zone holds, with its endpoints. */
#include "server/debug_view.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/describe.h"
#include "server/daemon.h"

const char *nd_debug_ip_text(const struct nd_kube_ip *ip, char *buf, size_t cap)
{
	if (ip == NULL || buf == NULL || cap == 0)
		return "?";
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    inet_ntop(ip->family, ip->addr, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

const char *nd_debug_service_type(int type)
{
	switch (type) {
	case ND_SVC_CLUSTER_IP:
		return "ClusterIP";
	case ND_SVC_HEADLESS:
		return "Headless";
	case ND_SVC_EXTERNAL_NAME:
		return "ExternalName";
	default:
		return "?";
	}
}

const char *nd_debug_proto(int protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	default:
		return "?";
	}
}

static bool add_str(cJSON *o, const char *key, const char *v)
{
	return cJSON_AddStringToObject(o, key, v) != NULL;
}

static bool add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool add_bool(cJSON *o, const char *key, bool v)
{
	return cJSON_AddBoolToObject(o, key, v) != NULL;
}

static cJSON *endpoint_json(const struct nd_kube_ep_desc *e)
{
	const struct nd_kube_endpoint *ep = e->ep;
	cJSON *o = cJSON_CreateObject();
	char ip[INET6_ADDRSTRLEN];

	if (o == NULL)
		return NULL;
	/* EndpointSlice consumers use the first address (the API says the
	 * rest are fungible), and so does the zone. */
	if (!add_str(o, "address",
		     ep->n_addrs
			 ? nd_debug_ip_text(&ep->addrs[0], ip, sizeof(ip))
			 : "") ||
	    !add_bool(o, "ready", ep->is_ready) ||
	    !add_bool(o, "serving", ep->is_serving) ||
	    !add_bool(o, "terminating", ep->is_terminating) ||
	    !add_str(o, "hostname", ep->hostname) ||
	    !add_str(o, "node", ep->node) || !add_str(o, "pod", ep->pod) ||
	    !add_str(o, "slice", e->slice)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *nd_debug_service_json(const struct nd_kube_svc_desc *d)
{
	const struct nd_kube_service *svc = d->svc;
	cJSON *o = cJSON_CreateObject();
	cJSON *ips, *ports, *eps;
	char ip[INET6_ADDRSTRLEN];

	if (o == NULL || !add_str(o, "namespace", svc->ns) ||
	    !add_str(o, "name", svc->name) ||
	    !add_str(o, "type", nd_debug_service_type(svc->type)))
		goto nomem;
	ips = cJSON_AddArrayToObject(o, "clusterIPs");
	if (ips == NULL)
		goto nomem;
	for (size_t i = 0; i < svc->n_ips; i++) {
		cJSON *s = cJSON_CreateString(
		    nd_debug_ip_text(&svc->ips[i], ip, sizeof(ip)));

		if (s == NULL)
			goto nomem;
		cJSON_AddItemToArray(ips, s);
	}
	ports = cJSON_AddArrayToObject(o, "ports");
	if (ports == NULL)
		goto nomem;
	for (size_t i = 0; i < svc->n_ports; i++) {
		cJSON *p = cJSON_CreateObject();

		if (p == NULL)
			goto nomem;
		cJSON_AddItemToArray(ports, p);
		if (!add_str(p, "name", svc->ports[i].name) ||
		    !add_str(p, "protocol",
			     nd_debug_proto(svc->ports[i].protocol)) ||
		    !add_num(p, "port", svc->ports[i].port))
			goto nomem;
	}
	if (!add_str(o, "externalName", svc->external_name))
		goto nomem;
	eps = cJSON_AddArrayToObject(o, "endpoints");
	if (eps == NULL)
		goto nomem;
	for (size_t i = 0; i < d->n_eps; i++) {
		cJSON *e = endpoint_json(&d->eps[i]);

		if (e == NULL)
			goto nomem;
		cJSON_AddItemToArray(eps, e);
	}
	if (!add_num(o, "ready", (double)d->n_ready) ||
	    !add_num(o, "not_ready", (double)(d->n_eps - d->n_ready)) ||
	    !add_num(o, "terminating", (double)d->n_terminating) ||
	    !add_num(o, "slices", (double)d->n_slices))
		goto nomem;
	return o;
nomem:
	cJSON_Delete(o);
	return NULL;
}

int nd_debug_view_services(struct nd_daemon *d, const struct evkeyvalq *params,
			   cJSON **doc)
{
	const char *ns = nd_debug_param(params, "namespace");
	struct nd_kube_desc_list l;
	cJSON *arr;
	int r;

	*doc = NULL;
	if (ns != NULL && !nd_debug_is_label(ns)) {
		*doc = nd_debug_error("namespace '%.80s' is not a valid "
				      "namespace name",
				      ns);
		return 400;
	}
	if (d->kube == NULL) {
		*doc = nd_debug_error("no Kubernetes source configured "
				      "(--kube-api, --kubeconfig or "
				      "--kube-snapshot): every name is "
				      "forwarded");
		return 404;
	}
	r = nd_kube_describe_services(d->kube, ns, NULL, &l);
	if (r < 0)
		return r;
	*doc = cJSON_CreateObject();
	if (*doc == NULL || (ns != NULL && !add_str(*doc, "namespace", ns)) ||
	    !add_bool(*doc, "synced", nd_daemon_kube_synced(d)) ||
	    !add_num(*doc, "count", (double)l.n))
		goto nomem;
	arr = cJSON_AddArrayToObject(*doc, "services");
	if (arr == NULL)
		goto nomem;
	for (size_t i = 0; i < l.n; i++) {
		cJSON *s = nd_debug_service_json(&l.v[i]);

		if (s == NULL)
			goto nomem;
		cJSON_AddItemToArray(arr, s);
	}
	nd_kube_desc_list_deinit(&l);
	return 200;
nomem:
	nd_kube_desc_list_deinit(&l);
	cJSON_Delete(*doc);
	*doc = NULL;
	return -ENOMEM;
}
