/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/table.h - the zone's names: what each contributor gives a name, and publishing the union to readers. */
#ifndef KUBE_TABLE_H
#define KUBE_TABLE_H

#include <stddef.h>

#include "kube/nameset.h"

struct nd_kube_store;
struct nd_kube_contrib; /* one contributor's records at one name (table.c) */

/*
 * Everything one contributor (a Service, a Namespace, the zone itself)
 * currently gives the zone, sorted by name with nd_kube_name_cmp. Zeroed
 * means nothing. Owned by the contributor; changed only through the
 * functions below.
 */
struct nd_kube_cset {
	struct nd_kube_contrib **v; /* owned */
	size_t n;
};

/*
 * Make cs what the finished set ns says: names new to cs are added,
 * names gone are withdrawn, names whose records changed are replaced;
 * then every name whose union of contributions changed is rendered again
 * and published (a new node in place of the old, the old freed after a
 * grace period; a name nobody contributes to any more is removed). Work is
 * proportional to cs and ns plus the names they touch, never to the zone.
 * Takes the entries' rrs (or copies them; the nameset frees what is
 * left). Writer thread only, which must be a registered RCU thread and
 * not inside a read-side section (the name table is resized here).
 * Returns the number of names published or removed, or -ENOMEM / -EINVAL
 * (the names that could be handled were; the rest keep their old state).
 */
int nd_kube_table_apply(struct nd_kube_store *s, struct nd_kube_cset *cs,
			struct nd_kube_nameset *ns);

/* Withdraw everything cs gives (apply an empty set). Same returns. */
int nd_kube_table_clear(struct nd_kube_store *s, struct nd_kube_cset *cs);

/*
 * At store teardown only, no reader left: free cs's contributions without
 * re-rendering anything; then nd_kube_table_teardown() frees the names.
 */
void nd_kube_table_forget(struct nd_kube_cset *cs);
void nd_kube_table_teardown(struct nd_kube_store *s);

#endif /* KUBE_TABLE_H */
