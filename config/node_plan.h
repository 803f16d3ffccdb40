/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* config/node_plan.h - the node set-up the options ask for (interface, addresses, nftables rules) and how what is on the node differs from it; pure, no I/O. */
#ifndef CONFIG_NODE_PLAN_H
#define CONFIG_NODE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nd_config;

#define ND_MAX_NODE_IPS 8	 /* --node-local-ip addresses */
#define ND_NODE_IFNAMSIZ 16	 /* IFNAMSIZ: 15 characters and NUL */
#define ND_NODE_TABLE "nodedns" /* our nftables table: inet nodedns */
#define ND_NODE_CHAINS 4	 /* raw_prerouting, raw_output,
				    filter_input, filter_output */
/* Rules per address: NOTRACK in prerouting and output for (dport, sport)
 * x (udp, tcp), ACCEPT in input (dport) and output (sport) x (udp, tcp). */
#define ND_NODE_RULES_PER_IP 12
#define ND_NODE_MAX_RULES (ND_MAX_NODE_IPS * ND_NODE_RULES_PER_IP)

/* One address of the node-local set; the prefix is always a host route
 * (/32, /128): the address is the node's, not a network's. */
struct nd_node_addr {
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t bytes[16]; /* network order; 4 used for AF_INET */
};

/* What should exist on the node while nodedns serves. */
struct nd_node_plan {
	char ifname[ND_NODE_IFNAMSIZ]; /* the interface holding the addresses */
	bool is_shared;		       /* ifname may be an existing interface
					  that is not a dummy (lo): only our
					  addresses are added and removed */
	struct nd_node_addr addrs[ND_MAX_NODE_IPS];
	size_t n_addrs;		       /* 0 = no node set-up */
	uint16_t port;		       /* DNS port the rules match */
};

/* True when the options ask for node set-up (--node-local-ip given): the
 * process then needs CAP_NET_ADMIN for its whole life (it repairs and, at
 * exit, removes the set-up), so a privilege drop must keep that one. */
bool nd_node_setup_is_configured(const struct nd_config *c);

/*
 * Parse one --node-local-ip value: a literal IPv4 or IPv6 address, no
 * port, no prefix; not unspecified (0.0.0.0, ::), not multicast.
 * Returns 0, or -EINVAL with why ("unspecified address", ...)
 * written to why[whylen].
 */
int nd_node_addr_parse(const char *text, struct nd_node_addr *out, char *why,
		       size_t whylen);

/* Check an interface name as the kernel would take it (1..15 bytes, no
 * '/', ':', whitespace, not "." or ".."). Returns 0 or -EINVAL with why. */
int nd_node_ifname_check(const char *name, char *why, size_t whylen);

/* Presentation form of a (no port); buf of at least 46 bytes. */
void nd_node_addr_format(const struct nd_node_addr *a, char *buf, size_t len);

bool nd_node_addr_equal(const struct nd_node_addr *a,
			const struct nd_node_addr *b);

/* The plan of c (its addresses, interface, port). Returns 0, or -EINVAL
 * for NULL arguments. A c without --node-local-ip gives n_addrs 0. */
int nd_node_plan_from_config(const struct nd_config *c, struct nd_node_plan *p);

/*
 * The addresses of p missing from observed[0..n_observed) (what an
 * interface holds; other addresses there are left alone): their indexes
 * in p->addrs into missing[], at most ND_MAX_NODE_IPS. Returns how many.
 */
size_t nd_node_addrs_missing(const struct nd_node_plan *p,
			     const struct nd_node_addr *observed,
			     size_t n_observed, size_t *missing);

/*
 * The nftables script (nft's text syntax) that replaces our table with
 * the one p wants, in one transaction: "add table" (so the delete cannot
 * fail), "delete table", then the table with its four chains and rules.
 * Every rule carries a comment naming it (see nd_node_rule_comment), which
 * is how nd_node_rules_check() recognises it when it reads the table back.
 * Returns the length written (without NUL) or -ENOSPC when buf is short.
 */
int nd_node_plan_nft_script(const struct nd_node_plan *p, char *buf,
			    size_t len);

/* The script that removes our table (absent or not). Returns as above. */
int nd_node_plan_nft_remove(char *buf, size_t len);

/* What reading our table back found, against the plan. */
struct nd_node_rules_diff {
	bool has_table;		/* table inet nodedns exists */
	unsigned chains_missing; /* of ND_NODE_CHAINS (or wrong hook/prio) */
	unsigned rules_missing;	/* planned rules not found (or with another
				   verdict than planned) */
	unsigned rules_extra;	/* rules in our table we did not plan */
	unsigned rules_ok;	/* planned rules found as planned */
};

/* Nothing to repair. */
bool nd_node_rules_diff_is_clean(const struct nd_node_rules_diff *d);

/*
 * Compare the JSON of `nft -j list table inet nodedns` (json; NULL or ""
 * = the table does not exist) with p.
 * Returns 0 with *d filled; ND_EPARSE when json is not nft's JSON
 * document (then *d says nothing exists, so the table is rewritten).
 */
int nd_node_rules_check(const struct nd_node_plan *p, const char *json,
			struct nd_node_rules_diff *d);

#endif /* CONFIG_NODE_PLAN_H */
