/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* One Service of the cluster zone as the debug documents show it. */
#include "resolver/diag/service_json.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "kube/describe.h"

int nd_diag_is_label(const char *s)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

const char *nd_diag_ip_text(const struct nd_kube_ip *ip, char *buf, size_t cap)
{
	if (ip == NULL || buf == NULL || cap == 0)
		return "?";
	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    inet_ntop(ip->family, ip->addr, buf, (socklen_t)cap) == NULL)
		snprintf(buf, cap, "?");
	return buf;
}

const char *nd_diag_service_type(int type)
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

const char *nd_diag_proto(int protocol)
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
			 ? nd_diag_ip_text(&ep->addrs[0], ip, sizeof(ip))
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

cJSON *nd_diag_service_json(const struct nd_kube_svc_desc *d)
{
	const struct nd_kube_service *svc = d->svc;
	cJSON *o = cJSON_CreateObject();
	cJSON *ips, *ports, *eps;
	char ip[INET6_ADDRSTRLEN];

	if (o == NULL || !add_str(o, "namespace", svc->ns) ||
	    !add_str(o, "name", svc->name) ||
	    !add_str(o, "type", nd_diag_service_type(svc->type)))
		goto nomem;
	ips = cJSON_AddArrayToObject(o, "clusterIPs");
	if (ips == NULL)
		goto nomem;
	for (size_t i = 0; i < svc->n_ips; i++) {
		cJSON *s = cJSON_CreateString(
		    nd_diag_ip_text(&svc->ips[i], ip, sizeof(ip)));

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
			     nd_diag_proto(svc->ports[i].protocol)) ||
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

