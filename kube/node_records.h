/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/node_records.h - read back the records a published name node was rendered from. */
#ifndef KUBE_NODE_RECORDS_H
#define KUBE_NODE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "kube/name_node.h"

/*
 * Why: nearly every name in the zone has one contributor, and its
 * records are already in the node readers answer from. The writer keeps
 * no second copy of them (at 100,000 endpoints that copy is ~5 MB): when
 * it needs them again (to compare with a change, or to merge with a
 * second contributor) it reads them back from the node.
 *
 * Rebuild the serialized records (nameset.h's format, sorted and unique,
 * written by a nameset as a Service's records are)
 * that nd_kube_rnode_build() rendered node from: answer records from the
 * message of each record type, additional records from the same
 * messages (filed for that type); the ANY message adds nothing new.
 * *out is malloc'ed (NULL with *out_len 0 when the node has no records);
 * the caller frees it.
 * Returns 0, -ENOMEM, or -EINVAL when a message does not parse. Whether
 * the result is exactly what the node was built from is for the caller to
 * check once (table.c compares before it drops its own copy): a record
 * filed for a type that has no answer records, or one left out of an
 * answer over 64 KiB, does not come back.
 */
int nd_kube_rnode_records(const struct nd_kube_rnode *node, uint8_t **out,
			  size_t *out_len);

#endif /* KUBE_NODE_RECORDS_H */
