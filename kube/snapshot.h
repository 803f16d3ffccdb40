/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/snapshot.h - a saved `kubectl get -o json` List's text into the store (server/kube_snapshot.c reads the file). */
#ifndef KUBE_SNAPSHOT_H
#define KUBE_SNAPSHOT_H

#include <stddef.h>

struct nd_kube_store;

/*
 * Replace store's Services, EndpointSlices and Namespaces with those of
 * the List in text[0..len) (need not be NUL-terminated), the output of
 * `kubectl get services,endpointslices,namespaces -A -o json` (a "List"
 * of mixed kinds; a ServiceList, EndpointSliceList or NamespaceList works
 * too). Each kind is re-listed (relist_begin, puts, relist_end), so a
 * reload swaps the state without a moment of empty answers, and a kind
 * missing from the List ends up empty. Items of other kinds are ignored;
 * items that do not decode are skipped with a warning (the first few
 * each, then a count).
 * name: what the log lines and err call the text (the file's path).
 * err: on failure "<name>: <reason>"; the store is then untouched.
 * Returns the number of skipped items (>= 0), -EINVAL, ND_EPARSE (not
 * JSON, or not a List) or -ENOMEM.
 */
int nd_kube_snapshot_apply(struct nd_kube_store *store, const char *text,
			   size_t len, const char *name, char *err,
			   size_t errlen);

#endif /* KUBE_SNAPSHOT_H */
