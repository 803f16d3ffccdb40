/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* /debug/node: the node set-up (interface, addresses, nftables table) as
 * the last check found it, with its errors and repairs. */
#include "server/debug_view.h"

#include <errno.h>

#include "server/daemon.h"
#include "server/node_setup.h"

int nd_debug_view_node(struct nd_daemon *d, const struct nd_qs *params,
		       cJSON **doc)
{
	(void)params;
	if (d->node == NULL) {
		*doc = nd_debug_error("no node set-up: nodedns runs without "
				      "--node-local-ip");
		return *doc != NULL ? 404 : -ENOMEM;
	}
	*doc = nd_node_setup_json(d->node);
	return *doc != NULL ? 200 : -ENOMEM;
}
