/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/runtime_reap.h - free the runtime snapshots SIGHUP replaced, once no worker can still hold them. */
#ifndef SERVER_RUNTIME_REAP_H
#define SERVER_RUNTIME_REAP_H

#include <stddef.h>
#include <stdint.h>

struct nd_daemon;
struct nd_runtime;

/*
 * Free the retired snapshots of d (d->rt's retired_next chain) that are
 * safe to free: every worker has taken a newer one from its mailbox
 * (nd_worker's rt_gen; a worker reads a snapshot only inside one of its
 * callbacks, and takes its mail between them), and since then grace_ms
 * have passed, so a fetch begun with the old upstream sets has ended
 * (--query-timeout bounds a fetch). free_fn frees one snapshot.
 * Control thread only (the one that reloads). Returns how many retired
 * snapshots are still kept.
 */
size_t nd_runtime_reap(struct nd_daemon *d, uint64_t now_ms,
		       uint64_t grace_ms,
		       void (*free_fn)(struct nd_runtime *rt));

/* Retired snapshots kept now (control thread). */
size_t nd_runtime_retired(const struct nd_daemon *d);

/*
 * Append the gauge nodedns_runtimes_retired (kept snapshots) to the
 * exposition text (*text, *len: as nd_prom_attach takes them).
 * Returns 0 or -ENOMEM.
 */
int nd_runtime_render_metrics(size_t kept, char **text, size_t *len);

#endif /* SERVER_RUNTIME_REAP_H */
