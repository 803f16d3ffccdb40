/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/node_setup.h"

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/node_plan.h"
#include "server/node_link.h"
#include "server/node_nft.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/log.h"
#include "util/prom.h"

/* How often to look whether the rules may go in, before they are in. */
#define ND_NODE_WAIT_MS 250
#define ND_NODE_SCRIPT_MAX 65536

enum kind { K_LINK, K_ADDRESS, K_NFTABLES, N_KINDS };
static const char *const kind_names[N_KINDS] = { "link", "address",
						 "nftables" };

enum mode {
	M_NONE,		 /* not decided yet */
	M_DUMMY_CREATED, /* we created the dummy interface */
	M_DUMMY_FOUND,	 /* a dummy of that name was there (a previous run) */
	M_SHARED,	 /* an existing interface of another kind */
};
static const char *const mode_names[] = { "none", "dummy-created",
					  "dummy-existing", "shared" };

struct nd_node_setup {
	struct nd_node_plan plan;
	uint32_t interval_s;
	bool keep;			/* --node-keep-setup */
	struct event_base *base;	/* borrowed */
	struct event *timer;
	bool (*is_serving)(void *);
	void *serving_arg;
	struct nd_nft *nft;		/* NULL when libnftables could not
					   start (counted as an nftables
					   error at each check) */
	enum mode mode;
	int ifindex;			/* 0 = unknown */
	bool addr_present[ND_MAX_NODE_IPS]; /* at the last check */
	bool addr_added[ND_MAX_NODE_IPS];   /* we added it (removed at exit) */
	bool is_rules_installed;	/* our table is in (we wrote it) */
	bool has_tried_rules;		/* the first attempt was made: from
					   then on, checks at the interval */
	bool is_rules_clean;		/* it matched the plan at the last
					   check */
	bool is_stopped;		/* after SIGTERM */
	bool is_started;		/* nd_node_setup_start() ran: the
					   start-up succeeded */
	struct nd_node_rules_diff diff; /* the last check's */
	uint64_t checks;		/* checks done */
	uint64_t last_check_ms;		/* monotonic; 0 = none yet */
	uint64_t errors[N_KINDS];
	uint64_t repairs[N_KINDS];
	char last_error[N_KINDS][256];	/* "" = the last attempt worked */
};

/* A failure: counted every time, logged when it is not the one logged
 * last for that kind (a broken node would otherwise log every check). */
static void failed(struct nd_node_setup *ns, enum kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void failed(struct nd_node_setup *ns, enum kind k, const char *fmt, ...)
{
	char msg[sizeof(ns->last_error[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ns->errors[k]++;
	if (strcmp(msg, ns->last_error[k]) != 0)
		nd_err("node", "%s", msg);
	memcpy(ns->last_error[k], msg, sizeof(msg));
}

static void worked(struct nd_node_setup *ns, enum kind k)
{
	if (ns->last_error[k][0] != '\0')
		nd_info("node", "%s works again", kind_names[k]);
	ns->last_error[k][0] = '\0';
}

/*
 * The interface: there and of a kind we may use, created as a dummy when
 * missing. is_start: at start-up an unusable interface is fatal; later it
 * is counted and retried.
 */
static int ensure_link(struct nd_node_setup *ns, bool is_start)
{
	const char *name = ns->plan.ifname;
	struct nd_link_info li;
	int rc = nd_link_get(name, &li);

	if (rc == -ENODEV) {
		rc = nd_link_add_dummy(name);
		if (rc == -EOPNOTSUPP) {
			failed(ns, K_LINK,
			       "cannot create the dummy interface %s: this "
			       "kernel has no dummy driver (Unknown device "
			       "type); name an existing interface instead: "
			       "--node-interface lo --node-interface-shared on",
			       name);
			return rc;
		}
		if (rc != 0 && rc != -EEXIST) {
			failed(ns, K_LINK,
			       "cannot create the dummy interface %s: %s%s",
			       name, nd_strerror(rc),
			       rc == -EPERM ? " (node set-up needs "
					      "CAP_NET_ADMIN)"
					    : "");
			return rc;
		}
		rc = nd_link_get(name, &li);
		if (rc != 0) {
			failed(ns, K_LINK, "interface %s: %s", name,
			       nd_strerror(rc));
			return rc;
		}
		if (!is_start)
			ns->repairs[K_LINK]++;
		nd_info("node", "%s the dummy interface %s (index %d)",
			is_start ? "created" : "re-created (it was gone)", name,
			li.ifindex);
		ns->mode = M_DUMMY_CREATED;
	} else if (rc != 0) {
		failed(ns, K_LINK, "interface %s: %s", name, nd_strerror(rc));
		return rc;
	} else if (strcmp(li.kind, "dummy") == 0) {
		if (ns->mode == M_NONE) {
			nd_info("node", "using the existing dummy interface %s "
					"(index %d)",
				name, li.ifindex);
			ns->mode = M_DUMMY_FOUND;
		}
	} else if (!ns->plan.is_shared) {
		failed(ns, K_LINK,
		       "interface %s exists and is %s%s, not a dummy: nodedns "
		       "adds its addresses to such an interface only with "
		       "--node-interface-shared on (then only those addresses "
		       "are removed at exit, the interface stays)",
		       name, li.kind[0] ? "a " : "", li.kind[0] ? li.kind :
							"another kind");
		return -EEXIST;
	} else if (ns->mode == M_NONE) {
		nd_info("node", "adding the node-local addresses to the "
				"existing interface %s (index %d, %s; "
				"--node-interface-shared)",
			name, li.ifindex, li.kind[0] ? li.kind : "no kind");
		ns->mode = M_SHARED;
	}
	if (ns->mode != M_SHARED && !li.is_up) {
		rc = nd_link_set_up(li.ifindex);
		if (rc != 0) {
			failed(ns, K_LINK, "cannot set %s up: %s", name,
			       nd_strerror(rc));
			return rc;
		}
	}
	ns->ifindex = li.ifindex;
	worked(ns, K_LINK);
	return 0;
}

/* The planned addresses on the interface; the missing ones added. */
static int ensure_addrs(struct nd_node_setup *ns, bool is_start)
{
	struct nd_node_addr have[256]; /* lo of a busy node holds many */
	size_t n = 0, missing[ND_MAX_NODE_IPS], n_missing;
	int rc = nd_link_addrs(ns->ifindex, have, 256, &n), first = 0;

	if (rc != 0) {
		failed(ns, K_ADDRESS, "cannot read the addresses of %s: %s",
		       ns->plan.ifname, nd_strerror(rc));
		return rc;
	}
	for (size_t i = 0; i < ns->plan.n_addrs; i++)
		ns->addr_present[i] = true;
	n_missing = nd_node_addrs_missing(&ns->plan, have, n, missing);
	for (size_t k = 0; k < n_missing; k++) {
		const struct nd_node_addr *a = &ns->plan.addrs[missing[k]];
		char ip[64];

		nd_node_addr_format(a, ip, sizeof(ip));
		rc = nd_link_addr_change(ns->ifindex, a, true);
		if (rc != 0 && rc != -EEXIST) {
			ns->addr_present[missing[k]] = false;
			failed(ns, K_ADDRESS, "cannot add %s to %s: %s%s", ip,
			       ns->plan.ifname, nd_strerror(rc),
			       rc == -EPERM ? " (node set-up needs "
					      "CAP_NET_ADMIN)"
					    : "");
			if (first == 0)
				first = rc;
			continue;
		}
		ns->addr_added[missing[k]] = true;
		if (!is_start)
			ns->repairs[K_ADDRESS]++;
		nd_info("node", "%s %s on %s", is_start ? "added" :
			"re-added (it was gone)", ip, ns->plan.ifname);
	}
	if (first == 0)
		worked(ns, K_ADDRESS);
	return first;
}

static const char *perm_hint(const char *nft_err)
{
	return strstr(nft_err, "Operation not permitted") != NULL
		       ? " (node set-up needs CAP_NET_ADMIN)"
		       : "";
}

/* Our table as planned: read back, compared, rewritten whole when it
 * differs (one transaction, so the node never sees half a table). */
static void ensure_rules(struct nd_node_setup *ns)
{
	char err[256] = "", *json = NULL, *script;
	int rc;

	if (ns->nft == NULL) {
		failed(ns, K_NFTABLES, "nftables: cannot start libnftables; "
				       "the rules are not installed");
		return;
	}
	rc = nd_nft_list_table(ns->nft, ND_NODE_TABLE, &json, err,
			       sizeof(err));
	if (rc != 0) {
		ns->is_rules_clean = false;
		failed(ns, K_NFTABLES,
		       "nftables: cannot read table inet %s: %s%s; nodedns "
		       "serves on its addresses without the NOTRACK rules",
		       ND_NODE_TABLE, err, perm_hint(err));
		return;
	}
	if (nd_node_rules_check(&ns->plan, json, &ns->diff) != 0)
		nd_warn("node", "nftables: table inet %s read back is not "
				"nft's JSON; rewriting it",
			ND_NODE_TABLE);
	free(json);
	if (nd_node_rules_diff_is_clean(&ns->diff)) {
		ns->is_rules_clean = true;
		worked(ns, K_NFTABLES);
		return;
	}
	script = malloc(ND_NODE_SCRIPT_MAX);
	if (script == NULL ||
	    nd_node_plan_nft_script(&ns->plan, script, ND_NODE_SCRIPT_MAX) <
		    0) {
		free(script);
		failed(ns, K_NFTABLES, "nftables: out of memory");
		return;
	}
	rc = nd_nft_run(ns->nft, script, err, sizeof(err));
	free(script);
	if (rc != 0) {
		ns->is_rules_clean = false;
		failed(ns, K_NFTABLES,
		       "nftables: cannot install table inet %s: %s%s; nodedns "
		       "serves on its addresses without the NOTRACK rules",
		       ND_NODE_TABLE, err, perm_hint(err));
		return;
	}
	if (ns->is_rules_installed) {
		ns->repairs[K_NFTABLES]++;
		nd_warn("node", "nftables: table inet %s repaired (%s, %u "
				"chains and %u rules missing, %u rules not "
				"ours)",
			ND_NODE_TABLE, ns->diff.has_table ? "present" : "gone",
			ns->diff.chains_missing, ns->diff.rules_missing,
			ns->diff.rules_extra);
	} else {
		nd_info("node", "nftables: table inet %s installed: NOTRACK "
				"and ACCEPT for UDP and TCP port %u of %zu "
				"address(es)",
			ND_NODE_TABLE, ns->plan.port, ns->plan.n_addrs);
	}
	ns->is_rules_installed = true;
	ns->is_rules_clean = true;
	memset(&ns->diff, 0, sizeof(ns->diff));
	ns->diff.has_table = true;
	ns->diff.rules_ok = (unsigned)(ns->plan.n_addrs * ND_NODE_RULES_PER_IP);
	worked(ns, K_NFTABLES);
}

static void arm(struct nd_node_setup *ns)
{
	uint64_t ms = ns->has_tried_rules ? (uint64_t)ns->interval_s * 1000
					  : ND_NODE_WAIT_MS;
	struct timeval tv = { (time_t)(ms / 1000),
			      (suseconds_t)(ms % 1000) * 1000 };

	if (event_add(ns->timer, &tv) != 0)
		nd_err("node", "cannot arm the node set-up check");
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct nd_node_setup *ns = arg;
	bool is_due, is_serving;
	(void)fd;
	(void)what;

	if (ns->is_stopped)
		return;
	/* Before the first attempt at the rules, this runs every 250 ms
	 * only to see whether they may go in; the full check runs at the
	 * interval (and at that first attempt). */
	is_serving = ns->is_serving(ns->serving_arg);
	is_due = ns->last_check_ms == 0 ||
		 nd_clock_ms() - ns->last_check_ms >=
			 (uint64_t)ns->interval_s * 1000;
	if (!is_due && !(is_serving && !ns->has_tried_rules)) {
		arm(ns);
		return;
	}
	ns->checks++;
	ns->last_check_ms = nd_clock_ms();
	if (ensure_link(ns, false) == 0)
		(void)ensure_addrs(ns, false);
	else
		memset(ns->addr_present, 0, sizeof(ns->addr_present));
	/* Rules only in front of a server that answers: NOTRACK on a
	 * kube-dns ClusterIP held here takes its queries away from the
	 * cluster DNS Service. */
	if (is_serving) {
		ensure_rules(ns);
		ns->has_tried_rules = true;
	}
	arm(ns);
}

struct nd_node_setup *nd_node_setup_new(struct event_base *base,
					const struct nd_config *c, int *rc)
{
	struct nd_node_setup *ns = calloc(1, sizeof(*ns));
	int r;

	*rc = -ENOMEM;
	if (ns == NULL)
		return NULL;
	ns->base = base;
	ns->interval_s = c->node_setup_interval_s ? c->node_setup_interval_s
						  : 60;
	ns->keep = c->node_keep_setup;
	ns->mode = M_NONE;
	nd_node_plan_from_config(c, &ns->plan);
	ns->timer = event_new(base, -1, 0, on_check, ns);
	if (ns->timer == NULL) {
		nd_node_setup_free(ns);
		return NULL;
	}
	/* Made now, while privileged; a failure is reported at the checks
	 * (nodedns serves without the rules, not without DNS). */
	ns->nft = nd_nft_new();
	r = ensure_link(ns, true);
	if (r == 0)
		r = ensure_addrs(ns, true);
	if (r != 0) {
		nd_err("node", "node set-up failed; not starting (no listener "
			       "can bind an address that is not there)");
		*rc = r;
		nd_node_setup_free(ns);
		return NULL;
	}
	*rc = 0;
	return ns;
}

int nd_node_setup_start(struct nd_node_setup *ns, bool (*is_serving)(void *),
			void *arg)
{
	if (ns == NULL || is_serving == NULL)
		return -EINVAL;
	ns->is_serving = is_serving;
	ns->serving_arg = arg;
	ns->is_started = true;
	arm(ns);
	return 0;
}

static void remove_rules(struct nd_node_setup *ns)
{
	char script[128], err[256] = "";

	if (ns->nft == NULL || !ns->is_rules_installed)
		return;
	nd_node_plan_nft_remove(script, sizeof(script));
	if (nd_nft_run(ns->nft, script, err, sizeof(err)) != 0) {
		failed(ns, K_NFTABLES, "nftables: cannot remove table inet "
				       "%s: %s",
		       ND_NODE_TABLE, err);
		return;
	}
	ns->is_rules_installed = false;
	ns->is_rules_clean = false;
	nd_info("node", "nftables: table inet %s removed", ND_NODE_TABLE);
}

void nd_node_setup_stop(struct nd_node_setup *ns)
{
	if (ns == NULL || ns->is_stopped)
		return;
	ns->is_stopped = true;
	if (ns->timer != NULL)
		event_del(ns->timer);
	if (!ns->keep)
		remove_rules(ns);
}

void nd_node_setup_hand_over(struct nd_node_setup *ns)
{
	if (ns == NULL)
		return;
	ns->keep = true;
	nd_info("node", "a successor serves on the node-local addresses: "
			"leaving the node set-up to it");
	nd_node_setup_stop(ns);
}

static void remove_addrs(struct nd_node_setup *ns)
{
	if (ns->ifindex == 0)
		return;
	/* A start that failed takes back only what it put there: the same
	 * addresses may be another nodedns's, serving right now. */
	if (ns->mode == M_DUMMY_CREATED ||
	    (ns->mode == M_DUMMY_FOUND && ns->is_started)) {
		int rc = nd_link_del(ns->ifindex);

		if (rc != 0)
			failed(ns, K_LINK, "cannot delete interface %s: %s",
			       ns->plan.ifname, nd_strerror(rc));
		else
			nd_info("node", "deleted the dummy interface %s",
				ns->plan.ifname);
		return;
	}
	/* A shared interface keeps what others put there: only ours go. */
	for (size_t i = 0; i < ns->plan.n_addrs; i++) {
		char ip[64];
		int rc;

		if (!ns->is_started && !ns->addr_added[i])
			continue;
		nd_node_addr_format(&ns->plan.addrs[i], ip, sizeof(ip));
		rc = nd_link_addr_change(ns->ifindex, &ns->plan.addrs[i],
					 false);
		if (rc == 0)
			nd_info("node", "removed %s from %s", ip,
				ns->plan.ifname);
		else if (rc != -EADDRNOTAVAIL)
			failed(ns, K_ADDRESS, "cannot remove %s from %s: %s",
			       ip, ns->plan.ifname, nd_strerror(rc));
	}
}

void nd_node_setup_free(struct nd_node_setup *ns)
{
	if (ns == NULL)
		return;
	nd_node_setup_stop(ns);
	if (ns->keep)
		nd_info("node", "--node-keep-setup: leaving %s, its addresses "
				"and table inet %s in place",
			ns->plan.ifname, ND_NODE_TABLE);
	else
		remove_addrs(ns);
	if (ns->timer != NULL)
		event_free(ns->timer);
	nd_nft_free(ns->nft);
	free(ns);
}

int nd_node_setup_render_metrics(const struct nd_node_setup *ns, char **text,
				 size_t *len)
{
	struct nd_prom b;
	uint64_t present = 0;

	if (ns == NULL)
		return 0;
	for (size_t i = 0; i < ns->plan.n_addrs; i++)
		present += ns->addr_present[i];
	nd_prom_attach(&b, *text, *len);
	nd_prom_family(&b, "nodedns_node_setup_errors_total", "counter",
		       "Node set-up steps that failed, by kind (link, "
		       "address, nftables).");
	for (int k = 0; k < N_KINDS; k++) {
		struct nd_prom_label l = { "kind", kind_names[k] };

		nd_prom_sample(&b, "nodedns_node_setup_errors_total", &l, 1,
			       ns->errors[k]);
	}
	nd_prom_family(&b, "nodedns_node_setup_repairs_total", "counter",
		       "Node set-up found changed and put back, by kind.");
	for (int k = 0; k < N_KINDS; k++) {
		struct nd_prom_label l = { "kind", kind_names[k] };

		nd_prom_sample(&b, "nodedns_node_setup_repairs_total", &l, 1,
			       ns->repairs[k]);
	}
	nd_prom_family(&b, "nodedns_node_setup_checks_total", "counter",
		       "Checks of the node set-up done.");
	nd_prom_sample(&b, "nodedns_node_setup_checks_total", NULL, 0,
		       ns->checks);
	nd_prom_family(&b, "nodedns_node_setup_addresses", "gauge",
		       "Node-local addresses on the interface at the last "
		       "check.");
	nd_prom_sample(&b, "nodedns_node_setup_addresses", NULL, 0, present);
	nd_prom_family(&b, "nodedns_node_setup_rules_installed", "gauge",
		       "1 when table inet nodedns matched the plan at the "
		       "last check (or was just written).");
	nd_prom_sample(&b, "nodedns_node_setup_rules_installed", NULL, 0,
		       ns->is_rules_clean ? 1 : 0);
	return nd_prom_finish(&b, text, len);
}

cJSON *nd_node_setup_json(const struct nd_node_setup *ns)
{
	cJSON *o = cJSON_CreateObject(), *addrs, *nft, *errs, *reps;
	char ip[64];

	if (o == NULL || ns == NULL)
		return o;
	cJSON_AddStringToObject(o, "interface", ns->plan.ifname);
	cJSON_AddStringToObject(o, "mode", mode_names[ns->mode]);
	cJSON_AddNumberToObject(o, "ifindex", ns->ifindex);
	cJSON_AddNumberToObject(o, "port", ns->plan.port);
	addrs = cJSON_AddArrayToObject(o, "addresses");
	for (size_t i = 0; addrs != NULL && i < ns->plan.n_addrs; i++) {
		cJSON *a = cJSON_CreateObject();

		if (a == NULL)
			break;
		nd_node_addr_format(&ns->plan.addrs[i], ip, sizeof(ip));
		cJSON_AddStringToObject(a, "address", ip);
		cJSON_AddBoolToObject(a, "present", ns->addr_present[i]);
		cJSON_AddBoolToObject(a, "added_by_us", ns->addr_added[i]);
		cJSON_AddItemToArray(addrs, a);
	}
	nft = cJSON_AddObjectToObject(o, "nftables");
	if (nft != NULL) {
		cJSON_AddStringToObject(nft, "table", "inet " ND_NODE_TABLE);
		cJSON_AddBoolToObject(nft, "installed", ns->is_rules_installed);
		cJSON_AddBoolToObject(nft, "as_planned", ns->is_rules_clean);
		cJSON_AddNumberToObject(nft, "rules_planned",
					(double)(ns->plan.n_addrs *
						 ND_NODE_RULES_PER_IP));
		cJSON_AddNumberToObject(nft, "rules_ok", ns->diff.rules_ok);
		cJSON_AddNumberToObject(nft, "rules_missing",
					ns->diff.rules_missing);
		cJSON_AddNumberToObject(nft, "rules_extra",
					ns->diff.rules_extra);
		cJSON_AddNumberToObject(nft, "chains_missing",
					ns->diff.chains_missing);
	}
	cJSON_AddNumberToObject(o, "interval_s", ns->interval_s);
	cJSON_AddBoolToObject(o, "keep_at_exit", ns->keep);
	cJSON_AddBoolToObject(o, "stopped", ns->is_stopped);
	cJSON_AddNumberToObject(o, "checks", (double)ns->checks);
	cJSON_AddNumberToObject(o, "last_check_ms_ago",
				ns->last_check_ms == 0
					? -1
					: (double)(nd_clock_ms() -
						   ns->last_check_ms));
	errs = cJSON_AddObjectToObject(o, "errors");
	reps = cJSON_AddObjectToObject(o, "repairs");
	for (int k = 0; k < N_KINDS; k++) {
		if (errs != NULL) {
			cJSON *e = cJSON_AddObjectToObject(errs, kind_names[k]);

			if (e != NULL) {
				cJSON_AddNumberToObject(e, "count",
							(double)ns->errors[k]);
				cJSON_AddStringToObject(e, "last",
							ns->last_error[k]);
			}
		}
		if (reps != NULL)
			cJSON_AddNumberToObject(reps, kind_names[k],
						(double)ns->repairs[k]);
	}
	return o;
}
