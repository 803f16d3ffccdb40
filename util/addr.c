/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errors.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s == '\0')
		return ND_EBADADDR;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return ND_EBADADDR;
	*port = (uint16_t)v;
	return 0;
}

int nd_addr_parse(const char *spec, uint16_t default_port,
		  struct sockaddr_storage *out, socklen_t *out_len)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_s = NULL;
	uint16_t port = default_port;
	size_t hl;

	if (spec == NULL || out == NULL)
		return -EINVAL;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			return ND_EBADADDR;
		hl = (size_t)(close - spec - 1);
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1] != '\0')
			return ND_EBADADDR;
		if (hl >= sizeof(host))
			return ND_EBADADDR;
		memcpy(host, spec + 1, hl);
	} else {
		const char *colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hl = (size_t)(colon - spec);
			port_s = colon + 1;
		} else {
			hl = strlen(spec); /* bare IPv6 or IPv4 without port */
		}
		if (hl >= sizeof(host))
			return ND_EBADADDR;
		memcpy(host, spec, hl);
	}
	host[hl] = '\0';
	if (port_s != NULL && parse_port(port_s, &port) != 0)
		return ND_EBADADDR;

	memset(out, 0, sizeof(*out));
	struct sockaddr_in *s4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (out_len)
			*out_len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (out_len)
			*out_len = sizeof(*s6);
		return 0;
	}
	return ND_EBADADDR;
}

int nd_addr_format_ip(const struct sockaddr *sa, char *buf, size_t len)
{
	if (sa == NULL || buf == NULL || len == 0)
		return -EINVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		if (inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)len))
			return 0;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		if (inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t)len))
			return 0;
	}
	buf[0] = '\0';
	return -EINVAL;
}

int nd_addr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (nd_addr_format_ip(sa, ip, sizeof(ip)) != 0) {
		if (buf && len)
			buf[0] = '\0';
		return -EINVAL;
	}
	if (sa->sa_family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", ip, nd_addr_port(sa));
	else
		n = snprintf(buf, len, "%s:%u", ip, nd_addr_port(sa));
	return (n < 0 || (size_t)n >= len) ? -EINVAL : 0;
}

socklen_t nd_addr_len(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return sizeof(struct sockaddr_in);
	if (sa->sa_family == AF_INET6)
		return sizeof(struct sockaddr_in6);
	return 0;
}

uint16_t nd_addr_port(const struct sockaddr *sa)
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

bool nd_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a == NULL || b == NULL || a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

bool nd_addr_is_any(const struct sockaddr *sa)
{
	static const uint8_t zero[16];

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr,
			      zero, 16) == 0;
	return false;
}

bool nd_addr_is_loopback(const struct sockaddr *sa)
{
	static const uint8_t one[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	const uint8_t *a;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >>
			24) == 127;
	if (sa->sa_family != AF_INET6)
		return false;
	a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	/* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d. */
	return memcmp(a, one, 16) == 0 ||
	       (memcmp(a, mapped, 12) == 0 && a[12] == 127);
}

int nd_cidr_parse(const char *spec, struct nd_cidr *out)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash;
	size_t hl;
	unsigned max;
	long prefix = -1;

	if (spec == NULL || out == NULL)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	slash = strchr(spec, '/');
	hl = slash ? (size_t)(slash - spec) : strlen(spec);
	if (hl == 0 || hl >= sizeof(host))
		return ND_EBADADDR;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		return ND_EBADADDR;
	}
	if (slash != NULL) {
		char *end;
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end != '\0' || prefix < 0 ||
		    prefix > (long)max)
			return ND_EBADADDR;
	}
	out->prefix = prefix < 0 ? max : (unsigned)prefix;
	/* Clear host bits so that contains() can compare whole bytes. */
	for (unsigned bit = out->prefix; bit < max; bit++)
		out->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
}

bool nd_cidr_contains(const struct nd_cidr *c, const struct sockaddr *sa)
{
	const uint8_t *a;
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0,
					      0, 0, 0, 0, 0xff, 0xff };

	if (c == NULL || sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		if (c->family != AF_INET)
			return false;
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (c->family == AF_INET) {
			if (memcmp(a, v4mapped, 12) != 0)
				return false;
			a += 12;
		}
	} else {
		return false;
	}
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(a, c->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (a[full] & mask) == c->addr[full];
}
