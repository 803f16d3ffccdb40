/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/privileges.h - giving up root and capabilities once the sockets are bound. */
#ifndef SERVER_PRIVILEGES_H
#define SERVER_PRIVILEGES_H

#include <stdbool.h>

struct nd_config;

/* What the process may keep after binding. */
struct nd_priv_plan {
	const char *user;    /* run as; NULL = "nodedns" if it exists,
				else "nobody"; "root" = keep root */
	bool drop;	     /* false = keep root (--no-drop-privileges) */
	bool keep_net_admin; /* keep CAP_NET_ADMIN (node set-up changes
				addresses and nftables while running) */
};

/*
 * Does the configuration need CAP_NET_ADMIN after start-up? Only node
 * set-up does (--node-local-ip: the addresses and nftables rules are
 * repaired while serving and removed at exit). The one place that
 * decides it.
 */
bool nd_privileges_need_net_admin(const struct nd_config *cfg);

/*
 * Give up what plan says, now. Call it after every socket is bound and
 * before any other thread starts (capabilities are per thread).
 * - Root: switch to the user's uid and primary gid with no
 *   supplementary groups; keep no capability but CAP_NET_ADMIN when
 *   plan->keep_net_admin (effective and permitted); empty the bounding
 *   and ambient sets; set no_new_privs. Checks that root cannot be had
 *   back. Keeping root (plan->drop false or user "root") is warned.
 * - Not root (file capabilities or ambient CAP_NET_BIND_SERVICE): drop
 *   every capability but CAP_NET_ADMIN when kept; set no_new_privs.
 * Logs what the process holds afterwards. Returns 0, or a negative
 * code with the reason logged (an unknown user, a failed switch):
 * start-up must stop.
 */
int nd_privileges_drop(const struct nd_priv_plan *plan);

#endif /* SERVER_PRIVILEGES_H */
