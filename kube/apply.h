/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/apply.h - one API object (JSON) into the kube store, for the watch and the snapshot. */
#ifndef KUBE_APPLY_H
#define KUBE_APPLY_H

#include <stddef.h>

#include "kube/decode.h"

struct cJSON;
struct nd_kube_store;

/*
 * Decode obj as a kind object and put it into s (replacing the one of
 * the same namespace and name). A bad object changes nothing.
 * err: the reason on failure, prefixed with the object's
 * "<namespace>/<name>" when it has one.
 * Returns 0, ND_EPARSE (bad object), -ENOMEM or -EINVAL.
 */
int nd_kube_apply_put(struct nd_kube_store *s, enum nd_kube_kind kind,
		     const struct cJSON *obj, char *err, size_t errlen);

/*
 * Delete the kind object named by obj's metadata (name, and namespace
 * unless kind is ND_KIND_NAMESPACE). Only the names are read, so an
 * object that would not decode can still be deleted.
 * Returns 0 (also when it was not there), ND_EPARSE (no name),
 * -ENOMEM or -EINVAL.
 */
int nd_kube_apply_del(struct nd_kube_store *s, enum nd_kube_kind kind,
		     const struct cJSON *obj, char *err, size_t errlen);

#endif /* KUBE_APPLY_H */
