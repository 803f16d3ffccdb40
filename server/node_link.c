/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/node_link.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* One request and its answers on a socket of its own: the control thread
 * makes a handful of these a minute, so nothing is kept open. cb reads
 * each answer message (NULL: only the ACK matters). */
static int talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	unsigned int seq, portid;
	int rc;

	if (nl == NULL)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	portid = mnl_socket_get_portid(nl);
	seq = (unsigned int)time(NULL);
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0) {
			rc = -errno;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (rc <= MNL_CB_STOP) {
			/* MNL_CB_ERROR sets errno from the kernel's NLMSG_ERROR */
			rc = rc == MNL_CB_ERROR ? -errno : 0;
			break;
		}
	}
	mnl_socket_close(nl);
	return rc;
}

static struct nlmsghdr *put_link_req(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	return nlh;
}

struct link_get {
	struct nd_link_info *out;
	bool found;
};

static int linkinfo_attr(const struct nlattr *a, void *data)
{
	struct nd_link_info *out = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
		snprintf(out->kind, sizeof(out->kind), "%s",
			 mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static int link_attr(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_LINKINFO &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
		mnl_attr_parse_nested(a, linkinfo_attr, data);
	return MNL_CB_OK;
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	struct link_get *g = data;
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	g->found = true;
	g->out->ifindex = ifm->ifi_index;
	g->out->is_up = (ifm->ifi_flags & IFF_UP) != 0;
	g->out->kind[0] = '\0';
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr, g->out);
	return MNL_CB_OK;
}

int nd_link_get(const char *name, struct nd_link_info *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct link_get g = { out, false };
	struct nlmsghdr *nlh;
	int rc;

	if (name == NULL || out == NULL || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	nlh = put_link_req(buf, RTM_GETLINK, NLM_F_ACK);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	rc = talk(nlh, on_link, &g);
	if (rc == -ENODEV || (rc == 0 && !g.found))
		return -ENODEV;
	return rc;
}

int nd_link_add_dummy(const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info;

	if (name == NULL || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	nlh = put_link_req(buf, RTM_NEWLINK,
			   NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "dummy");
	mnl_attr_nest_end(nlh, info);
	return talk(nlh, NULL, NULL);
}

int nd_link_set_up(int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_req(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_index = ifindex;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return talk(nlh, NULL, NULL);
}

int nd_link_del(int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put_link_req(buf, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_index = ifindex;
	return talk(nlh, NULL, NULL);
}

struct addr_list {
	int ifindex;
	struct nd_node_addr *out;
	size_t max, n;
};

struct addr_attrs {
	const struct nlattr *local, *address;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	struct addr_attrs *at = data;

	if (mnl_attr_get_type(a) == IFA_LOCAL)
		at->local = a;
	else if (mnl_attr_get_type(a) == IFA_ADDRESS)
		at->address = a;
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_attrs at = { NULL, NULL };
	const struct nlattr *a;
	size_t want;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    (int)ifa->ifa_index != l->ifindex || l->n >= l->max)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, &at);
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on
	 * point-to-point links and the address elsewhere (IPv6 has only it). */
	a = at.local != NULL ? at.local : at.address;
	want = ifa->ifa_family == AF_INET ? 4 : 16;
	if (a == NULL || (ifa->ifa_family != AF_INET &&
			  ifa->ifa_family != AF_INET6) ||
	    mnl_attr_get_payload_len(a) != want)
		return MNL_CB_OK;
	memset(&l->out[l->n], 0, sizeof(l->out[0]));
	l->out[l->n].family = ifa->ifa_family;
	memcpy(l->out[l->n].bytes, mnl_attr_get_payload(a), want);
	l->n++;
	return MNL_CB_OK;
}

int nd_link_addrs(int ifindex, struct nd_node_addr *out, size_t max,
		  size_t *n)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct addr_list l = { ifindex, out, max, 0 };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int rc;

	if (out == NULL || n == NULL)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	rc = talk(nlh, on_addr, &l);
	*n = l.n;
	return rc;
}

int nd_link_addr_change(int ifindex, const struct nd_node_addr *a, bool add)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t len;

	if (a == NULL || (a->family != AF_INET && a->family != AF_INET6))
		return -EINVAL;
	len = a->family == AF_INET ? 4 : 16;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			   (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = (uint8_t)(len * 8);
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	mnl_attr_put(nlh, IFA_LOCAL, len, a->bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->bytes);
	return talk(nlh, NULL, NULL);
}
