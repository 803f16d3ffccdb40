/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/zone_names.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* SRV RDATA before the target: PRIORITY WEIGHT PORT (RFC 2782). */
#define SRV_FIXED_LEN 6
/* Every SRV record gets priority 0 and weight 100, as the examples of the
 * specification show: all targets are equal. */
#define SRV_PRIORITY 0
#define SRV_WEIGHT 100

/* A wire name being built. */
struct wname {
	uint8_t b[ND_DNS_MAX_NAME];
	size_t len;
};

/*
 * labels[0..n) (text, leftmost first) followed by the wire name suffix,
 * folded to lower case. Returns false when a label is empty or longer
 * than 63 bytes, or the name longer than 255: such names cannot exist in
 * DNS, and are left out (counted by the caller).
 */
static bool name_build(struct wname *out, const char *const *labels, size_t n,
		       const uint8_t *suffix, size_t suffix_len)
{
	size_t off = 0;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(labels[i]);

		if (l == 0 || l > 63 ||
		    off + 1 + l + suffix_len > ND_DNS_MAX_NAME)
			return false;
		out->b[off] = (uint8_t)l;
		memcpy(out->b + off + 1, labels[i], l);
		off += 1 + l;
	}
	if (off + suffix_len > ND_DNS_MAX_NAME)
		return false;
	memcpy(out->b + off, suffix, suffix_len);
	out->len = off + suffix_len;
	nd_dns_name_lower(out->b, out->len);
	return true;
}

int nd_kube_zone_init(struct nd_kube_zone *z, const char *zone, uint32_t ttl_s,
		      enum nd_pods_mode pods)
{
	if (z == NULL || zone == NULL)
		return -EINVAL;
	memset(z, 0, sizeof(*z));

	int n = nd_dns_name_from_text(zone, z->apex, sizeof(z->apex));

	/* ns.dns.<zone> (7 more bytes) must still be a name. */
	if (n <= 1 || (size_t)n + 7 > ND_DNS_MAX_NAME)
		return -EINVAL;
	z->apex_len = (size_t)n;
	nd_dns_name_lower(z->apex, z->apex_len);
	z->ttl_s = ttl_s;
	z->pods = pods;
	return 0;
}

int nd_kube_soa_rdata(const struct nd_kube_zone *z, uint32_t serial,
		      uint8_t *out, size_t cap)
{
	static const char *const mname[] = {"ns", "dns"};
	static const char *const rname[] = {"hostmaster"};
	struct wname m, r;

	if (z == NULL || out == NULL ||
	    !name_build(&m, mname, 2, z->apex, z->apex_len) ||
	    !name_build(&r, rname, 1, z->apex, z->apex_len) ||
	    m.len + r.len + 20 > cap)
		return -EINVAL;

	uint8_t *p = out;

	memcpy(p, m.b, m.len);
	p += m.len;
	memcpy(p, r.b, r.len);
	p += r.len;
	nd_put32(p, serial);
	nd_put32(p + 4, ND_KUBE_SOA_REFRESH);
	nd_put32(p + 8, ND_KUBE_SOA_RETRY);
	nd_put32(p + 12, ND_KUBE_SOA_EXPIRE);
	/* RFC 2308 4: MINIMUM is the negative-caching TTL; ours is the
	 * records' TTL so a new Service is seen as soon as a change is. */
	nd_put32(p + 16, z->ttl_s);
	return (int)(m.len + r.len + 20);
}

int nd_kube_reverse_name(const struct nd_kube_ip *ip, uint8_t *out, size_t cap)
{
	static const uint8_t v4[] = ND_KUBE_V4_TREE;
	static const uint8_t v6[] = ND_KUBE_V6_TREE;
	static const char hex[] = "0123456789abcdef";
	size_t off = 0;

	if (ip == NULL || out == NULL || cap < ND_DNS_MAX_NAME)
		return -EINVAL;
	if (ip->family == AF_INET) {
		for (int i = 3; i >= 0; i--) {
			int l = snprintf((char *)out + off + 1, 4, "%u",
					 ip->addr[i]);

			out[off] = (uint8_t)l;
			off += 1 + (size_t)l;
		}
		memcpy(out + off, v4, sizeof(v4));
		return (int)(off + sizeof(v4));
	}
	if (ip->family == AF_INET6) {
		for (int i = 15; i >= 0; i--) {
			out[off++] = 1;
			out[off++] = (uint8_t)hex[ip->addr[i] & 0xf];
			out[off++] = 1;
			out[off++] = (uint8_t)hex[ip->addr[i] >> 4];
		}
		memcpy(out + off, v6, sizeof(v6));
		return (int)(off + sizeof(v6));
	}
	return -EINVAL;
}

int nd_kube_dashed_label(const struct nd_kube_ip *ip, char *out, size_t cap)
{
	if (ip == NULL || out == NULL ||
	    (ip->family != AF_INET && ip->family != AF_INET6) ||
	    inet_ntop(ip->family, ip->addr, out, (socklen_t)cap) == NULL)
		return -EINVAL;
	for (char *p = out; *p != '\0'; p++)
		if (*p == '.' || *p == ':')
			*p = '-';
	return 0;
}

/* Length of the address for A or AAAA, and which of the two. */
static bool ip_record(const struct nd_kube_ip *ip, uint16_t *type, size_t *len)
{
	if (ip->family == AF_INET) {
		*type = ND_TYPE_A;
		*len = 4;
		return true;
	}
	if (ip->family == AF_INET6) {
		*type = ND_TYPE_AAAA;
		*len = 16;
		return true;
	}
	return false;
}

static int add_ent(struct nd_kube_nameset *out, const struct wname *n)
{
	return nd_kube_nameset_add(out, n->b, n->len, 0, 0, NULL, 0, NULL, 0);
}

static int add_rr(struct nd_kube_nameset *out, const struct wname *n,
		  uint16_t type, const void *rd, size_t rdlen)
{
	return nd_kube_nameset_add(out, n->b, n->len, type, 0, NULL, 0, rd,
				   rdlen);
}

int nd_kube_names_static(const struct nd_kube_zone *z,
			 struct nd_kube_nameset *out)
{
	static const char *const ns_l[] = {"ns", "dns"};
	static const char *const ver_l[] = {"dns-version"};
	static const char *const svc_l[] = {"svc"};
	static const char *const pod_l[] = {"pod"};
	static const uint8_t txt[] = "\x05" ND_KUBE_SPEC_VERSION;
	struct wname apex, ns, ver, svc, pod;
	uint8_t soa[ND_KUBE_SOA_RDATA_MAX];

	if (z == NULL || out == NULL)
		return -EINVAL;

	int soa_len = nd_kube_soa_rdata(z, 0, soa, sizeof(soa));

	if (soa_len < 0 || !name_build(&apex, NULL, 0, z->apex, z->apex_len) ||
	    !name_build(&ns, ns_l, 2, z->apex, z->apex_len) ||
	    !name_build(&ver, ver_l, 1, z->apex, z->apex_len) ||
	    !name_build(&svc, svc_l, 1, z->apex, z->apex_len) ||
	    !name_build(&pod, pod_l, 1, z->apex, z->apex_len))
		return -EINVAL;
	add_rr(out, &apex, ND_TYPE_SOA, soa, (size_t)soa_len);
	add_rr(out, &apex, ND_TYPE_NS, ns.b, ns.len);
	add_rr(out, &ver, ND_TYPE_TXT, txt, sizeof(txt) - 1);
	add_ent(out, &svc);
	/* The pod subtree exists even when pod records are disabled, as
	 * the specification lists it among the zone's names. */
	add_ent(out, &pod);
	return out->err;
}

/* <ns>.svc.<zone> and, with pod records, <ns>.pod.<zone>. */
static int add_namespace(const struct nd_kube_zone *z, const char *ns,
			 struct nd_kube_nameset *out)
{
	const char *svc_l[] = {ns, "svc"};
	const char *pod_l[] = {ns, "pod"};
	struct wname n;

	if (!name_build(&n, svc_l, 2, z->apex, z->apex_len)) {
		out->n_skipped++;
		return 0;
	}
	add_ent(out, &n);
	if (z->pods != ND_PODS_DISABLED &&
	    name_build(&n, pod_l, 2, z->apex, z->apex_len))
		add_ent(out, &n);
	return out->err;
}

int nd_kube_names_namespace(const struct nd_kube_zone *z, const char *ns,
			    struct nd_kube_nameset *out)
{
	if (z == NULL || ns == NULL || out == NULL || ns[0] == '\0')
		return -EINVAL;
	return add_namespace(z, ns, out);
}

static const char *proto_label(int protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "_tcp";
	case IPPROTO_UDP:
		return "_udp";
	case IPPROTO_SCTP:
		return "_sctp";
	default:
		return NULL;
	}
}

/*
 * _<port>._<proto>.<base> for a named port, and the empty non-terminal
 * _<proto>.<base> above it. False for unnamed ports and unknown protocols.
 */
static bool srv_name(const struct nd_kube_port *p, const struct wname *base,
		     struct wname *srv, struct nd_kube_nameset *out)
{
	const char *proto = proto_label(p->protocol);
	char label[ND_KUBE_NAME_MAX + 1];
	struct wname parent;

	if (p->name[0] == '\0' || proto == NULL)
		return false;
	snprintf(label, sizeof(label), "_%s", p->name);

	const char *l[] = {label, proto};

	if (!name_build(srv, l, 2, base->b, base->len) ||
	    !name_build(&parent, l + 1, 1, base->b, base->len)) {
		out->n_skipped++;
		return false;
	}
	add_ent(out, &parent);
	return true;
}

/* SRV RDATA 0 100 <port> <target>. */
static size_t srv_rdata(uint8_t *rd, uint16_t port, const struct wname *target)
{
	nd_put16(rd, SRV_PRIORITY);
	nd_put16(rd + 2, SRV_WEIGHT);
	nd_put16(rd + 4, port);
	memcpy(rd + SRV_FIXED_LEN, target->b, target->len);
	return SRV_FIXED_LEN + target->len;
}

static void add_ptr(struct nd_kube_nameset *out, const struct nd_kube_ip *ip,
		    const struct wname *target)
{
	struct wname rev;
	int n = nd_kube_reverse_name(ip, rev.b, sizeof(rev.b));

	if (n < 0) {
		out->n_skipped++;
		return;
	}
	rev.len = (size_t)n;
	add_rr(out, &rev, ND_TYPE_PTR, target->b, target->len);
}

/*
 * The name of one address of an endpoint, as CoreDNS gives it:
 * <hostname>.<base> when the endpoint has a hostname, else the address
 * dashed (10-1-2-3.<base>, fd00--1.<base>). False when it cannot be a
 * name (counted in n_skipped).
 */
static bool endpoint_name(const struct nd_kube_endpoint *ep,
			  const struct nd_kube_ip *ip, const struct wname *base,
			  struct wname *target, struct nd_kube_nameset *out)
{
	char dashed[INET6_ADDRSTRLEN];
	const char *label = ep->hostname;

	if (label[0] == '\0') {
		if (nd_kube_dashed_label(ip, dashed, sizeof(dashed)) < 0)
			return false;
		label = dashed;
	}
	if (!name_build(target, &label, 1, base->b, base->len)) {
		out->n_skipped++;
		return false;
	}
	return true;
}

/*
 * What of a Service is filed under the per-Service limit (max_records):
 * the first max_ports named ports of each port list, the first max_addrs
 * ready addresses. SIZE_MAX: all.
 */
struct plan {
	size_t max_ports; /* named ports kept, per port list */
	size_t max_addrs; /* ready addresses kept, in slice order */
	size_t n_addrs;	  /* addresses walked so far */
};

static bool is_named(const struct nd_kube_port *p)
{
	return p->name[0] != '\0' && proto_label(p->protocol) != NULL;
}

static size_t named_ports(const struct nd_kube_port *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += is_named(&v[i]);
	return k;
}

/* The addresses of a slice each_ready_address walks. */
static size_t slice_ready(const struct nd_kube_slice *sl)
{
	size_t n = 0;

	if (sl == NULL ||
	    (sl->address_type != AF_INET && sl->address_type != AF_INET6))
		return 0;
	for (size_t e = 0; e < sl->n_eps; e++)
		if (sl->eps[e].is_ready)
			for (size_t a = 0; a < sl->eps[e].n_addrs; a++)
				n += sl->eps[e].addrs[a].family ==
				     sl->address_type;
	return n;
}

/*
 * Call fn for every address of a ready endpoint of the Service whose
 * family is its slice's (FQDN slices name no address we could answer
 * with, and an address of the other family is a malformed slice), the
 * first pl->max_addrs of them.
 *
 * Not-ready endpoints give nothing, not even a PTR: CoreDNS drops them
 * when it reads an EndpointSlice (endpointsliceReady in its
 * object/endpoint.go), so its reverse index holds ready addresses only,
 * and a not-ready pod's address is forwarded like any unknown one. A
 * Service with publishNotReadyAddresses gets its endpoints marked ready
 * by the EndpointSlice controller, so they are named too.
 */
typedef void address_fn(const struct nd_kube_slice *sl,
			const struct nd_kube_endpoint *ep,
			const struct nd_kube_ip *ip, const struct wname *base,
			const struct plan *pl, struct nd_kube_nameset *out);

static void each_ready_address(const struct nd_kube_slice *const *slices,
			       size_t n_slices, const struct wname *base,
			       struct plan *pl, struct nd_kube_nameset *out,
			       address_fn *fn)
{
	for (size_t s = 0; s < n_slices; s++) {
		const struct nd_kube_slice *sl = slices[s];

		if (sl == NULL || (sl->address_type != AF_INET &&
				   sl->address_type != AF_INET6))
			continue;
		for (size_t e = 0; e < sl->n_eps; e++) {
			const struct nd_kube_endpoint *ep = &sl->eps[e];

			if (!ep->is_ready)
				continue;
			for (size_t a = 0; a < ep->n_addrs; a++) {
				if (ep->addrs[a].family != sl->address_type)
					continue;
				if (pl->n_addrs >= pl->max_addrs)
					return;
				pl->n_addrs++;
				fn(sl, ep, &ep->addrs[a], base, pl, out);
			}
		}
	}
}

/*
 * Records a headless Service files with the first k named ports of each
 * slice: per ready address its A at the Service name, the endpoint's A
 * and PTR, and per named port an SRV and its additional A/AAAA.
 */
static size_t headless_records(const struct nd_kube_slice *const *slices,
			       size_t n_slices, size_t k)
{
	size_t n = 0;

	for (size_t s = 0; s < n_slices; s++) {
		size_t p = slices[s] ? named_ports(slices[s]->ports,
						   slices[s]->n_ports) : 0;

		n += slice_ready(slices[s]) * (3 + 2 * (p < k ? p : k));
	}
	return n;
}

/* Fit a headless Service into max records; returns the records cut. */
static size_t plan_headless(const struct nd_kube_slice *const *slices,
			    size_t n_slices, size_t max, struct plan *pl)
{
	size_t full = headless_records(slices, n_slices, SIZE_MAX), k = 0,
	       most = 0, addrs = 0;

	if (max == 0 || full <= max)
		return 0;
	for (size_t s = 0; s < n_slices; s++) {
		size_t p = slices[s] ? named_ports(slices[s]->ports,
						   slices[s]->n_ports) : 0;

		most = p > most ? p : most;
		addrs += slice_ready(slices[s]);
	}
	/* Each step is a walk over the slices, not over the records. */
	while (k < most && headless_records(slices, n_slices, k + 1) <= max)
		k++;
	pl->max_ports = k;
	if (k == 0 && 3 * addrs > max)
		pl->max_addrs = max / 3;
	return full - (k == 0 && 3 * addrs > max ?
			       3 * pl->max_addrs :
			       headless_records(slices, n_slices, k));
}

/*
 * Fit a ClusterIP Service into max records: 2 per cluster IP (A/AAAA,
 * PTR), 1 + ips per named port (SRV, additional), 2 per ready address
 * (A/AAAA, PTR). Returns the records cut.
 */
static size_t plan_cluster_ip(const struct nd_kube_service *svc,
			      const struct nd_kube_slice *const *slices,
			      size_t n_slices, size_t max, struct plan *pl)
{
	size_t ips = svc->n_ips < 2 ? svc->n_ips : 2, addrs = 0;
	size_t ports = named_ports(svc->ports, svc->n_ports);
	size_t fixed = 2 * ips, kept;

	for (size_t s = 0; s < n_slices; s++)
		addrs += slice_ready(slices[s]);

	size_t full = fixed + ports * (1 + ips) + 2 * addrs;

	if (max == 0 || full <= max)
		return 0;
	if (fixed + 2 * addrs <= max) {
		pl->max_ports = (max - fixed - 2 * addrs) / (1 + ips);
		kept = fixed + pl->max_ports * (1 + ips) + 2 * addrs;
	} else {
		pl->max_ports = 0;
		pl->max_addrs = max > fixed ? (max - fixed) / 2 : 0;
		kept = fixed + 2 * pl->max_addrs;
	}
	return full - kept;
}

/*
 * One ready endpoint address of a ClusterIP Service: its PTR, as CoreDNS
 * gives it (its reverse lookup searches the endpoints of every Service,
 * not only headless ones), and the A or AAAA of the name the PTR points
 * at, which CoreDNS answers too (an endpoint query, <ep>.<svc>.<ns>.svc,
 * works for any Service): a reverse answer whose name does not resolve
 * would fail forward-confirmed checks. The Service name itself keeps
 * answering with the cluster IP only.
 */
static void ptr_endpoint(const struct nd_kube_slice *sl,
			 const struct nd_kube_endpoint *ep,
			 const struct nd_kube_ip *ip, const struct wname *base,
			 const struct plan *pl, struct nd_kube_nameset *out)
{
	struct wname target;
	uint16_t type;
	size_t alen;

	(void)sl;
	(void)pl;
	if (!ip_record(ip, &type, &alen) ||
	    !endpoint_name(ep, ip, base, &target, out))
		return;
	add_rr(out, &target, type, ip->addr, alen);
	add_ptr(out, ip, &target);
}

/*
 * A ClusterIP Service: its cluster IPs whether or not anything backs
 * them, one SRV per named port pointing at the Service name, the
 * reverse names of the cluster IPs, and the names and reverse names of
 * its ready endpoints' addresses.
 */
static void names_cluster_ip(const struct nd_kube_service *svc,
			     const struct nd_kube_slice *const *slices,
			     size_t n_slices, const struct wname *base,
			     struct plan *pl, struct nd_kube_nameset *out)
{
	uint8_t rd[SRV_FIXED_LEN + ND_DNS_MAX_NAME];
	struct wname srv;
	uint16_t type;
	size_t alen, named = 0;

	for (size_t i = 0; i < svc->n_ips && i < 2; i++) {
		if (!ip_record(&svc->ips[i], &type, &alen))
			continue;
		add_rr(out, base, type, svc->ips[i].addr, alen);
		add_ptr(out, &svc->ips[i], base);
	}
	for (size_t p = 0; p < svc->n_ports; p++) {
		if (is_named(&svc->ports[p]) && named++ >= pl->max_ports)
			break;
		if (!srv_name(&svc->ports[p], base, &srv, out))
			continue;
		add_rr(out, &srv, ND_TYPE_SRV, rd,
		       srv_rdata(rd, svc->ports[p].port, base));
		for (size_t i = 0; i < svc->n_ips && i < 2; i++)
			if (ip_record(&svc->ips[i], &type, &alen))
				nd_kube_nameset_add(out, srv.b, srv.len, type,
						    ND_TYPE_SRV, base->b,
						    base->len, svc->ips[i].addr,
						    alen);
	}
	each_ready_address(slices, n_slices, base, pl, out, ptr_endpoint);
}

/* One address of a ready endpoint of a headless Service. */
static void names_endpoint(const struct nd_kube_slice *sl,
			   const struct nd_kube_endpoint *ep,
			   const struct nd_kube_ip *ip,
			   const struct wname *base, const struct plan *pl,
			   struct nd_kube_nameset *out)
{
	uint8_t rd[SRV_FIXED_LEN + ND_DNS_MAX_NAME];
	struct wname target, srv;
	uint16_t type;
	size_t alen, named = 0;

	if (!ip_record(ip, &type, &alen))
		return;
	add_rr(out, base, type, ip->addr, alen);

	/* Without a hostname CoreDNS names the endpoint after its address,
	 * so that SRV targets resolve. The specification asks a PTR of
	 * hostnames only (2.4.3); CoreDNS gives one to the dashed name
	 * too, and pods' reverse lookups rely on it. */
	if (!endpoint_name(ep, ip, base, &target, out))
		return;
	add_rr(out, &target, type, ip->addr, alen);
	add_ptr(out, ip, &target);

	/* A slice's ports are the ports of its own endpoints. */
	for (size_t p = 0; p < sl->n_ports; p++) {
		if (is_named(&sl->ports[p]) && named++ >= pl->max_ports)
			break;
		if (!srv_name(&sl->ports[p], base, &srv, out))
			continue;
		add_rr(out, &srv, ND_TYPE_SRV, rd,
		       srv_rdata(rd, sl->ports[p].port, &target));
		nd_kube_nameset_add(out, srv.b, srv.len, type, ND_TYPE_SRV,
				    target.b, target.len, ip->addr, alen);
	}
}

static int ip_cmp(const void *a, const void *b)
{
	const struct nd_kube_ip *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/*
 * Ready endpoint addresses of the Service, each counted once: the
 * addresses a headless name answers with, and what a ClusterIP forwards
 * to. An address in two slices (a slice being split or merged) is one
 * backend, so it counts once. Returns the count or -ENOMEM.
 */
static int64_t ready_count(const struct nd_kube_slice *const *slices,
			   size_t n_slices)
{
	struct nd_kube_ip *v;
	size_t n = 0, k = 0;

	for (size_t s = 0; s < n_slices; s++)
		for (size_t e = 0; slices[s] != NULL && e < slices[s]->n_eps;
		     e++)
			if (slices[s]->eps[e].is_ready)
				n += slices[s]->eps[e].n_addrs;
	if (n == 0)
		return 0;
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	n = 0;
	/* The same filter as each_ready_address: FQDN slices and
	 * addresses of the other family give no record. */
	for (size_t s = 0; s < n_slices; s++) {
		const struct nd_kube_slice *sl = slices[s];

		if (sl == NULL || (sl->address_type != AF_INET &&
				   sl->address_type != AF_INET6))
			continue;
		for (size_t e = 0; e < sl->n_eps; e++) {
			const struct nd_kube_endpoint *ep = &sl->eps[e];

			if (!ep->is_ready)
				continue;
			for (size_t a = 0; a < ep->n_addrs; a++) {
				if (ep->addrs[a].family != sl->address_type)
					continue;
				/* Unused address bytes take no part in the
				 * comparison below. */
				memset(&v[n], 0, sizeof(v[n]));
				v[n].family = ep->addrs[a].family;
				memcpy(v[n].addr, ep->addrs[a].addr,
				       sl->address_type == AF_INET ? 4 : 16);
				n++;
			}
		}
	}
	qsort(v, n, sizeof(*v), ip_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || ip_cmp(&v[i - 1], &v[i]) != 0)
			k++;
	free(v);
	return (int64_t)k;
}

int nd_kube_names_service(const struct nd_kube_zone *z,
			  const struct nd_kube_service *svc,
			  const struct nd_kube_slice *const *slices,
			  size_t n_slices, struct nd_kube_nameset *out)
{
	if (z == NULL || svc == NULL || out == NULL ||
	    (slices == NULL && n_slices > 0) || svc->ns[0] == '\0' ||
	    svc->name[0] == '\0')
		return -EINVAL;

	const char *l[] = {svc->name, svc->ns, "svc"};
	struct plan pl = {SIZE_MAX, SIZE_MAX, 0};
	struct wname base, target;

	/* The Service's namespace exists as long as the Service does. */
	add_namespace(z, svc->ns, out);
	if (!name_build(&base, l, 3, z->apex, z->apex_len)) {
		out->n_skipped++;
		return out->err;
	}
	/* The Service name is filed even when it does not exist, so that
	 * its node carries the Service's ready count (below). */
	add_ent(out, &base);

	/* Diagnostics want to know, from the name a query asked for, how
	 * many backends its Service has: a name that resolves to a
	 * Service without ready endpoints is a connection that fails. An
	 * ExternalName has no endpoints by design and is left untagged. */
	if (svc->type == ND_SVC_CLUSTER_IP || svc->type == ND_SVC_HEADLESS) {
		int64_t ready = ready_count(slices, n_slices);

		if (ready < 0) {
			if (out->err == 0)
				out->err = (int)ready;
			return out->err;
		}
		/* Spec 2.4.1: "If there are no ready endpoints for the
		 * headless Service, the answer should be NXDOMAIN", for
		 * its SRV names too (CoreDNS: no address, no name). The
		 * name stays filed, absent, for the diagnostics. */
		bool is_headless = svc->type == ND_SVC_HEADLESS;

		nd_kube_nameset_set_service(out, base.b, base.len,
					    ready > INT32_MAX ? INT32_MAX
							      : (int32_t)ready,
					    is_headless,
					    is_headless && ready == 0);
	}

	switch (svc->type) {
	case ND_SVC_CLUSTER_IP:
		out->n_cut += plan_cluster_ip(svc, slices, n_slices,
					      z->max_records, &pl);
		names_cluster_ip(svc, slices, n_slices, &base, &pl, out);
		break;
	case ND_SVC_HEADLESS:
		out->n_cut += plan_headless(slices, n_slices, z->max_records,
					    &pl);
		each_ready_address(slices, n_slices, &base, &pl, out,
				   names_endpoint);
		break;
	case ND_SVC_EXTERNAL_NAME: {
		uint8_t ip[16];
		int n;

		/* An IP literal: its address, as CoreDNS answers, rather
		 * than a CNAME to a name that cannot exist. */
		if (inet_pton(AF_INET, svc->external_name, ip) == 1) {
			add_rr(out, &base, ND_TYPE_A, ip, 4);
			break;
		}
		if (inet_pton(AF_INET6, svc->external_name, ip) == 1) {
			add_rr(out, &base, ND_TYPE_AAAA, ip, 16);
			break;
		}
		n = nd_dns_name_from_text(svc->external_name, target.b,
					  sizeof(target.b));

		if (n <= 1 || svc->external_name[0] == '\0') {
			out->n_skipped++;
			break;
		}
		target.len = (size_t)n;
		add_rr(out, &base, ND_TYPE_CNAME, target.b, target.len);
		break;
	}
	default:
		return -EINVAL;
	}
	return out->err;
}
