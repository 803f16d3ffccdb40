/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/addr.h - parsing, printing and comparing socket addresses and CIDRs. */
#ifndef UTIL_ADDR_H
#define UTIL_ADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Longest text nd_addr_format() writes, with the NUL: "[v6%scope]:65535". */
#define ND_ADDR_STRLEN 64

/*
 * Parse "1.2.3.4", "1.2.3.4:53", "::1", "[::1]" or "[::1]:53".
 * default_port: used when spec has none.
 * out, out_len: filled on success (out_len may be NULL).
 * Returns 0, -EINVAL for NULL arguments, ND_EBADADDR for bad text.
 */
int nd_addr_parse(const char *spec, uint16_t default_port,
		  struct sockaddr_storage *out, socklen_t *out_len);

/* Print sa as "1.2.3.4:53" or "[::1]:53" into buf. Returns 0 or -EINVAL. */
int nd_addr_format(const struct sockaddr *sa, char *buf, size_t len);

/* Print only the address part ("1.2.3.4", "::1"). Returns 0 or -EINVAL. */
int nd_addr_format_ip(const struct sockaddr *sa, char *buf, size_t len);

/* Size of the sockaddr for its family (0 for an unknown family). */
socklen_t nd_addr_len(const struct sockaddr *sa);

/* Same family, address and port. */
bool nd_addr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* Port of an AF_INET/AF_INET6 address in host order, 0 otherwise. */
uint16_t nd_addr_port(const struct sockaddr *sa);

/* True for 0.0.0.0 and ::. */
bool nd_addr_is_any(const struct sockaddr *sa);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (this host only). */
bool nd_addr_is_loopback(const struct sockaddr *sa);

/* A network: family, address bytes, prefix length. */
struct nd_cidr {
	int family;	    /* AF_INET or AF_INET6 */
	uint8_t addr[16];   /* network bytes; 4 used for AF_INET */
	unsigned prefix;    /* prefix length in bits */
};

/* Parse "10.0.0.0/8", "fd00::/8" or a bare address (a host route). */
int nd_cidr_parse(const char *spec, struct nd_cidr *out);

/* Does the network hold the address of sa? An IPv4-mapped IPv6 address
 * counts as the IPv4 address. */
bool nd_cidr_contains(const struct nd_cidr *c, const struct sockaddr *sa);

#endif /* UTIL_ADDR_H */
