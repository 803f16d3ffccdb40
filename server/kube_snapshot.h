/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/kube_snapshot.h - the cluster zone from a saved `kubectl get -o json` file instead of the API. */
#ifndef SERVER_KUBE_SNAPSHOT_H
#define SERVER_KUBE_SNAPSHOT_H

#include <stddef.h>

struct nd_kube_store;

/*
 * Replace store's Services, EndpointSlices and Namespaces with those in
 * path, the output of `kubectl get services,endpointslices,namespaces -A
 * -o json` (a "List" of mixed kinds; a ServiceList, EndpointSliceList or
 * NamespaceList works too). Each kind is re-listed (relist_begin, puts,
 * relist_end), so a reload on SIGHUP swaps the state without a moment of
 * empty answers, and a kind missing from the file ends up empty. Items of
 * other kinds (Pods, ...) are ignored; items that do not decode are
 * skipped with a warning (the first few each, then a count).
 * err: on failure "<path>: <reason>"; the store is then untouched.
 * Returns the number of skipped items (>= 0), -EINVAL, -errno (the file
 * cannot be read), ND_EPARSE (not JSON, or not a list) or -ENOMEM.
 */
int nd_kube_load_snapshot(struct nd_kube_store *store, const char *path,
			  char *err, size_t errlen);

#endif /* SERVER_KUBE_SNAPSHOT_H */
