/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/node_setup.h - the node set-up's lifecycle: the interface and addresses before bind, the nftables rules once serving, periodic repair, removal at exit. */
#ifndef SERVER_NODE_SETUP_H
#define SERVER_NODE_SETUP_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct event_base;
struct nd_config;
struct nd_node_setup; /* opaque; control thread only */

/*
 * Start-up, before the listeners bind (so the addresses exist when they
 * do): find or create --node-interface and put the --node-local-ip
 * addresses on it. No nftables rule yet.
 * base: the control loop (borrowed; the periodic check runs there).
 * c: the configuration (read now; only values are kept).
 * *rc: 0, or why it failed (already logged with the reason and what to
 * do: no dummy driver, an interface that is not a dummy, no permission).
 * Returns the object, or NULL (nothing is left behind then).
 */
struct nd_node_setup *nd_node_setup_new(struct event_base *base,
					const struct nd_config *c, int *rc);

/*
 * Arm the periodic check. The rules are installed at the first check
 * where is_serving(arg) says the listeners are up and the cluster zone is
 * synced (every 250 ms until then); from then on everything is checked
 * and repaired every --node-setup-interval. An nftables failure is logged
 * and counted, and nodedns keeps serving on its addresses.
 * Returns 0 or -ENOMEM.
 */
int nd_node_setup_start(struct nd_node_setup *ns, bool (*is_serving)(void *),
			void *arg);

/* SIGTERM: no more checks; remove the rules now (unless
 * --node-keep-setup), so that new queries to a kube-dns ClusterIP held
 * here reach the cluster DNS Service while the queries in flight drain
 * (their answers still leave from the addresses). NULL is fine. */
void nd_node_setup_stop(struct nd_node_setup *ns);

/* A successor serves the same addresses (an upgrade): stop checking and
 * leave interface, addresses and rules to it, as --node-keep-setup would.
 * NULL is fine. */
void nd_node_setup_hand_over(struct nd_node_setup *ns);

/* After the drain: remove the rules, the addresses and a dummy interface
 * (unless --node-keep-setup), then free. After a failed start (before
 * nd_node_setup_start) only what this process added goes: the addresses
 * may be another nodedns's, serving now. NULL is fine. */
void nd_node_setup_free(struct nd_node_setup *ns);

/* Append nodedns_node_setup_* to the /metrics text (*text, *len grow;
 * see nd_prom_attach). Returns 0 or -ENOMEM. */
int nd_node_setup_render_metrics(const struct nd_node_setup *ns, char **text,
				 size_t *len);

/* The state for /debug/node (owned by the caller), or NULL without
 * memory. */
cJSON *nd_node_setup_json(const struct nd_node_setup *ns);

#endif /* SERVER_NODE_SETUP_H */
