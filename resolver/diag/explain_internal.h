/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/explain_internal.h - what the explain*.c files share and nobody else. */
#ifndef RESOLVER_DIAG_EXPLAIN_INTERNAL_H
#define RESOLVER_DIAG_EXPLAIN_INTERNAL_H

#include "resolver/diag/explain.h"

struct nd_kube_store;

/*
 * Fill e's svc_* fields, svc, same_name, is_ns_known, is_ns_typed and
 * is_svc_intent after the walk (explain_service.c). kube: NULL = no
 * cluster zone. Returns 0 or -ENOMEM.
 */
int nd_explain_find_service(struct nd_kube_store *kube, struct nd_explain *e);

#endif /* RESOLVER_DIAG_EXPLAIN_INTERNAL_H */
