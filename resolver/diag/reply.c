/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/diag/reply.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/wire.h"
#include "util/errors.h"

/* One record's fixed part: type, class, TTL, RDLENGTH (RFC 1035 4.1.3). */
#define RR_FIXED 10

const char *nd_diag_rcode_name(int rcode, char *buf, size_t cap)
{
	static const char *const names[] = {
	    "NOERROR",	"FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
	};

	if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
		return names[rcode];
	snprintf(buf, cap, "RCODE%d", rcode);
	return buf;
}

static void ttl_take(struct nd_diag_reply *out, uint32_t ttl)
{
	if (out->ttl_s < 0 || ttl < out->ttl_s)
		out->ttl_s = ttl;
}

/* One answer record at msg[*off]: keep what explain shows. */
static int answer_rr(const uint8_t *msg, size_t len, size_t *off,
		     struct nd_diag_reply *out)
{
	int r = nd_dns_name_skip(msg, len, *off);

	if (r < 0 || (size_t)r + RR_FIXED > len)
		return ND_EMALFORMED;

	const uint8_t *p = msg + r;
	uint16_t type = nd_get16(p), rdlen = nd_get16(p + 8);
	size_t rd = (size_t)r + RR_FIXED;

	if (rd + rdlen > len)
		return ND_EMALFORMED;
	ttl_take(out, nd_get32(p + 4));
	if ((type == ND_TYPE_A && rdlen == 4) ||
	    (type == ND_TYPE_AAAA && rdlen == 16)) {
		if (out->n_addrs < ND_DIAG_REPLY_ADDRS)
			inet_ntop(type == ND_TYPE_A ? AF_INET : AF_INET6,
				  msg + rd, out->addrs[out->n_addrs],
				  sizeof(out->addrs[0]));
		out->n_addrs++;
	} else if (type == ND_TYPE_CNAME && out->cname[0] == '\0') {
		uint8_t name[ND_DNS_MAX_NAME];
		size_t name_len;

		/* RDATA may point back into the message (compression). */
		if (nd_dns_name_read(msg, len, rd, name, &name_len, true) < 0 ||
		    nd_dns_name_to_text(name, name_len, out->cname,
					sizeof(out->cname)) < 0)
			return ND_EMALFORMED;
	}
	*off = rd + rdlen;
	return 0;
}

int nd_diag_reply_parse(const uint8_t *msg, size_t len,
			 struct nd_diag_reply *out)
{
	size_t off = ND_DNS_HEADER_LEN;

	if (msg == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->ttl_s = -1;
	if (len < ND_DNS_HEADER_LEN)
		return ND_EMALFORMED;

	uint16_t flags = nd_get16(msg + 2), qd = nd_get16(msg + 4);

	out->rcode = flags & ND_FLAG_RCODE_MASK;
	out->is_truncated = (flags & ND_FLAG_TC) != 0;
	out->ancount = nd_get16(msg + 6);
	for (uint16_t i = 0; i < qd; i++) {
		int r = nd_dns_name_skip(msg, len, off);

		if (r < 0 || (size_t)r + 4 > len)
			return ND_EMALFORMED;
		off = (size_t)r + 4;
	}
	for (uint16_t i = 0; i < out->ancount; i++)
		if (answer_rr(msg, len, &off, out) < 0)
			return ND_EMALFORMED;
	/* A negative answer's lifetime is its SOA's TTL (RFC 2308 5). */
	if (out->ancount == 0 && nd_get16(msg + 8) > 0) {
		int r = nd_dns_name_skip(msg, len, off);

		if (r >= 0 && (size_t)r + RR_FIXED <= len &&
		    nd_get16(msg + r) == ND_TYPE_SOA)
			ttl_take(out, nd_get32(msg + r + 4));
	}
	return 0;
}
