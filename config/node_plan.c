/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "config/node_plan.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "config/config.h"
#include "util/addr.h"
#include "util/errors.h"

/* The chains, as NodeLocal DNSCache uses the iptables tables: raw to skip
 * conntrack (so no conntrack entry, no DNAT of the kube-dns ClusterIP, no
 * race on the conntrack table for UDP), filter to accept. */
static const struct chain_def {
	const char *name;
	const char *hook;
	int prio;	  /* raw = -300, filter = 0 */
	bool is_notrack; /* else accept */
	bool has_dst;	  /* rules for (daddr, dport): queries to us */
	bool has_src;	  /* rules for (saddr, sport): our answers */
} chains[ND_NODE_CHAINS] = {
	{ "raw_prerouting", "prerouting", -300, true, true, true },
	{ "raw_output", "output", -300, true, true, true },
	{ "filter_input", "input", 0, false, true, false },
	{ "filter_output", "output", 0, false, false, true },
};

static const char *const protos[2] = { "udp", "tcp" };

/* One planned rule. */
struct rule {
	unsigned chain; /* index in chains[] */
	unsigned proto; /* index in protos[] */
	bool is_src;	/* saddr/sport, else daddr/dport */
	size_t addr;	/* index in the plan */
};

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

bool nd_node_setup_is_configured(const struct nd_config *c)
{
	return c != NULL && c->n_node_ips > 0;
}

int nd_node_addr_parse(const char *text, struct nd_node_addr *out, char *why,
		       size_t whylen)
{
	struct nd_node_addr a;

	if (text == NULL || out == NULL)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, text, a.bytes) == 1) {
		a.family = AF_INET;
		if (memcmp(a.bytes, "\0\0\0\0", 4) == 0) {
			set_why(why, whylen, "unspecified address");
			return -EINVAL;
		}
		if ((a.bytes[0] & 0xf0) == 0xe0) {
			set_why(why, whylen, "multicast address");
			return -EINVAL;
		}
	} else if (inet_pton(AF_INET6, text, a.bytes) == 1) {
		static const uint8_t zero[16];

		a.family = AF_INET6;
		if (memcmp(a.bytes, zero, 16) == 0) {
			set_why(why, whylen, "unspecified address");
			return -EINVAL;
		}
		if (a.bytes[0] == 0xff) {
			set_why(why, whylen, "multicast address");
			return -EINVAL;
		}
	} else {
		set_why(why, whylen,
			"want an IPv4 or IPv6 address, without port or prefix");
		return -EINVAL;
	}
	*out = a;
	return 0;
}

int nd_node_ifname_check(const char *name, char *why, size_t whylen)
{
	size_t n;

	if (name == NULL)
		return -EINVAL;
	n = strlen(name);
	if (n == 0 || n >= ND_NODE_IFNAMSIZ) {
		set_why(why, whylen, "1 to %d characters", ND_NODE_IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		set_why(why, whylen, "not a name");
		return -EINVAL;
	}
	for (const char *s = name; *s != '\0'; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s) ||
		    !isprint((unsigned char)*s)) {
			set_why(why, whylen, "no '/', ':' or spaces");
			return -EINVAL;
		}
	return 0;
}

void nd_node_addr_format(const struct nd_node_addr *a, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return;
	if (a == NULL || inet_ntop(a->family, a->bytes, buf, (socklen_t)len) ==
				 NULL)
		snprintf(buf, len, "?");
}

bool nd_node_addr_equal(const struct nd_node_addr *a,
			const struct nd_node_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16) == 0;
}

int nd_node_plan_from_config(const struct nd_config *c, struct nd_node_plan *p)
{
	if (c == NULL || p == NULL)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	snprintf(p->ifname, sizeof(p->ifname), "%s", c->node_interface);
	p->is_shared = c->node_interface_shared;
	p->port = c->node_port;
	for (size_t i = 0; i < c->n_node_ips && i < ND_MAX_NODE_IPS; i++)
		p->addrs[p->n_addrs++] = c->node_ips[i];
	return 0;
}

size_t nd_node_addrs_missing(const struct nd_node_plan *p,
			     const struct nd_node_addr *observed,
			     size_t n_observed, size_t *missing)
{
	size_t n = 0;

	if (p == NULL || missing == NULL)
		return 0;
	for (size_t i = 0; i < p->n_addrs; i++) {
		bool found = false;

		for (size_t j = 0; observed != NULL && j < n_observed; j++)
			if (nd_node_addr_equal(&p->addrs[i], &observed[j])) {
				found = true;
				break;
			}
		if (!found && n < ND_MAX_NODE_IPS)
			missing[n++] = i;
	}
	return n;
}

/* Every rule of the plan, in the order the script writes them. */
static size_t plan_rules(const struct nd_node_plan *p, struct rule *out)
{
	size_t n = 0;

	for (unsigned c = 0; c < ND_NODE_CHAINS; c++)
		for (size_t a = 0; a < p->n_addrs; a++)
			for (int src = 0; src < 2; src++) {
				if (src ? !chains[c].has_src
					: !chains[c].has_dst)
					continue;
				for (unsigned pr = 0; pr < 2; pr++)
					out[n++] = (struct rule){ c, pr,
								  src != 0, a };
			}
	return n;
}

/* "raw_prerouting ip daddr 169.254.20.10 udp dport 53 notrack": what a
 * rule does, as the script writes it and as the check rebuilds it from
 * nft's JSON (so both compare as strings). */
static void rule_signature(const struct nd_node_plan *p, const struct rule *r,
			   char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	const struct nd_node_addr *a = &p->addrs[r->addr];

	nd_node_addr_format(a, ip, sizeof(ip));
	snprintf(buf, len, "%s %s %s %s %s %s %u %s", chains[r->chain].name,
		 a->family == AF_INET ? "ip" : "ip6",
		 r->is_src ? "saddr" : "daddr", ip, protos[r->proto],
		 r->is_src ? "sport" : "dport", p->port,
		 chains[r->chain].is_notrack ? "notrack" : "accept");
}

/* Appends to buf at *off; false once it does not fit. */
static bool put(char *buf, size_t len, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off) {
		*off = len;
		return false;
	}
	*off += (size_t)n;
	return true;
}

int nd_node_plan_nft_script(const struct nd_node_plan *p, char *buf,
			    size_t len)
{
	struct rule rules[ND_NODE_MAX_RULES];
	size_t n, off = 0;

	if (p == NULL || buf == NULL)
		return -EINVAL;
	n = plan_rules(p, rules);
	put(buf, len, &off, "add table inet %s\ndelete table inet %s\n"
			    "table inet %s {\n",
	    ND_NODE_TABLE, ND_NODE_TABLE, ND_NODE_TABLE);
	for (unsigned c = 0; c < ND_NODE_CHAINS; c++) {
		put(buf, len, &off,
		    "\tchain %s {\n\t\ttype filter hook %s priority %d; "
		    "policy accept;\n",
		    chains[c].name, chains[c].hook, chains[c].prio);
		for (size_t i = 0; i < n; i++) {
			const struct rule *r = &rules[i];
			char ip[INET6_ADDRSTRLEN];

			if (r->chain != c)
				continue;
			nd_node_addr_format(&p->addrs[r->addr], ip, sizeof(ip));
			put(buf, len, &off,
			    "\t\t%s %s %s %s %s %u %s comment \"nodedns: %s "
			    "%s %s\"\n",
			    p->addrs[r->addr].family == AF_INET ? "ip" : "ip6",
			    r->is_src ? "saddr" : "daddr", ip,
			    protos[r->proto], r->is_src ? "sport" : "dport",
			    p->port, chains[c].is_notrack ? "notrack" : "accept",
			    r->is_src ? "answers from" : "queries to", ip,
			    protos[r->proto]);
		}
		put(buf, len, &off, "\t}\n");
	}
	if (!put(buf, len, &off, "}\n"))
		return -ENOSPC;
	return (int)off;
}

int nd_node_plan_nft_remove(char *buf, size_t len)
{
	size_t off = 0;

	if (buf == NULL)
		return -EINVAL;
	if (!put(buf, len, &off, "add table inet %s\ndelete table inet %s\n",
		 ND_NODE_TABLE, ND_NODE_TABLE))
		return -ENOSPC;
	return (int)off;
}

bool nd_node_rules_diff_is_clean(const struct nd_node_rules_diff *d)
{
	return d != NULL && d->has_table && d->chains_missing == 0 &&
	       d->rules_missing == 0 && d->rules_extra == 0;
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is_ours(const cJSON *o)
{
	const char *fam = str_of(o, "family"), *tab = str_of(o, "table");

	return fam != NULL && tab != NULL && strcmp(fam, "inet") == 0 &&
	       strcmp(tab, ND_NODE_TABLE) == 0;
}

/* {"match": {"op": "==", "left": {"payload": {"protocol": P, "field": F}},
 * "right": R}} -> P, F and R as text; false for anything else. */
static bool match_of(const cJSON *e, const char **proto, const char **field,
		     char *right, size_t rlen)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "match"), *l, *pl,
		    *r;
	const char *op;

	if (!cJSON_IsObject(m))
		return false;
	op = str_of(m, "op");
	l = cJSON_GetObjectItemCaseSensitive(m, "left");
	pl = cJSON_GetObjectItemCaseSensitive(l, "payload");
	r = cJSON_GetObjectItemCaseSensitive(m, "right");
	if (op == NULL || strcmp(op, "==") != 0 || !cJSON_IsObject(pl))
		return false;
	*proto = str_of(pl, "protocol");
	*field = str_of(pl, "field");
	if (*proto == NULL || *field == NULL)
		return false;
	if (cJSON_IsString(r))
		snprintf(right, rlen, "%s", r->valuestring);
	else if (cJSON_IsNumber(r) && r->valuedouble >= 0 &&
		 r->valuedouble <= 65535)
		snprintf(right, rlen, "%u", (unsigned)r->valuedouble);
	else
		return false;
	return true;
}

/*
 * The signature of one rule read back (the same form rule_signature()
 * writes), or false when it is not a rule of our shape: an address match,
 * a port match, one verdict (notrack or accept), and a comment at most.
 */
static bool observed_signature(const cJSON *rule, char *buf, size_t len)
{
	const char *chain = str_of(rule, "chain");
	const cJSON *expr = cJSON_GetObjectItemCaseSensitive(rule, "expr"), *e;
	const char *l3 = NULL, *f3 = NULL, *l4 = NULL, *f4 = NULL;
	const char *verdict = NULL;
	char a3[64] = "", a4[64] = "";
	int n = 0;

	if (chain == NULL || !cJSON_IsArray(expr))
		return false;
	cJSON_ArrayForEach(e, expr)
	{
		const char *p, *f;
		char r[64];

		n++;
		if (n == 1 && match_of(e, &p, &f, r, sizeof(r))) {
			struct nd_node_addr a;

			l3 = p;
			f3 = f;
			/* nft may spell an IPv6 address otherwise */
			if (nd_node_addr_parse(r, &a, NULL, 0) != 0)
				return false;
			nd_node_addr_format(&a, a3, sizeof(a3));
		} else if (n == 2 && match_of(e, &p, &f, r, sizeof(r))) {
			l4 = p;
			f4 = f;
			snprintf(a4, sizeof(a4), "%s", r);
		} else if (n == 3 && cJSON_GetObjectItemCaseSensitive(
					     e, "notrack") != NULL) {
			verdict = "notrack";
		} else if (n == 3 && cJSON_GetObjectItemCaseSensitive(
					     e, "accept") != NULL) {
			verdict = "accept";
		} else {
			return false;
		}
	}
	if (verdict == NULL)
		return false;
	snprintf(buf, len, "%s %s %s %s %s %s %s %s", chain, l3, f3, a3, l4, f4,
		 a4, verdict);
	return true;
}

int nd_node_rules_check(const struct nd_node_plan *p, const char *json,
			struct nd_node_rules_diff *d)
{
	struct rule rules[ND_NODE_MAX_RULES];
	bool seen[ND_NODE_MAX_RULES] = { false };
	bool chain_ok[ND_NODE_CHAINS] = { false };
	const cJSON *list, *item;
	cJSON *doc;
	size_t n;

	if (p == NULL || d == NULL)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	n = plan_rules(p, rules);
	d->chains_missing = ND_NODE_CHAINS;
	d->rules_missing = (unsigned)n;
	if (json == NULL || json[0] == '\0')
		return 0;
	doc = cJSON_Parse(json);
	list = cJSON_GetObjectItemCaseSensitive(doc, "nftables");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(doc);
		return ND_EPARSE;
	}
	cJSON_ArrayForEach(item, list)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(item, "table");
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "chain");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(item, "rule");

		if (cJSON_IsObject(t)) {
			const char *fam = str_of(t, "family");
			const char *name = str_of(t, "name");

			if (fam != NULL && name != NULL &&
			    strcmp(fam, "inet") == 0 &&
			    strcmp(name, ND_NODE_TABLE) == 0)
				d->has_table = true;
		} else if (cJSON_IsObject(c) && is_ours(c)) {
			const char *name = str_of(c, "name");
			const char *hook = str_of(c, "hook");
			const char *type = str_of(c, "type");
			const char *pol = str_of(c, "policy");
			const cJSON *prio =
				cJSON_GetObjectItemCaseSensitive(c, "prio");

			for (unsigned k = 0; k < ND_NODE_CHAINS; k++)
				if (name != NULL && hook != NULL &&
				    type != NULL && pol != NULL &&
				    cJSON_IsNumber(prio) &&
				    strcmp(name, chains[k].name) == 0 &&
				    strcmp(hook, chains[k].hook) == 0 &&
				    strcmp(type, "filter") == 0 &&
				    strcmp(pol, "accept") == 0 &&
				    prio->valuedouble == chains[k].prio)
					chain_ok[k] = true;
		} else if (cJSON_IsObject(r) && is_ours(r)) {
			char sig[256], want[256];
			bool matched = false;

			if (observed_signature(r, sig, sizeof(sig)))
				for (size_t k = 0; k < n; k++) {
					if (seen[k])
						continue;
					rule_signature(p, &rules[k], want,
						       sizeof(want));
					if (strcmp(sig, want) == 0) {
						seen[k] = true;
						matched = true;
						break;
					}
				}
			if (matched)
				d->rules_ok++;
			else
				d->rules_extra++;
		}
	}
	cJSON_Delete(doc);
	for (unsigned k = 0; k < ND_NODE_CHAINS; k++)
		if (chain_ok[k])
			d->chains_missing--;
	d->rules_missing = (unsigned)n - d->rules_ok;
	return 0;
}
