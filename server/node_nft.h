/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* server/node_nft.h - running nftables scripts and reading our table back, through libnftables. */
#ifndef SERVER_NODE_NFT_H
#define SERVER_NODE_NFT_H

#include <stddef.h>

struct nd_nft; /* opaque: one libnftables context, control thread only */

/* A context with output and errors buffered (nothing is printed); NULL
 * when out of memory. */
struct nd_nft *nd_nft_new(void);
void nd_nft_free(struct nd_nft *n); /* NULL is fine */

/*
 * Run script (nft's text syntax; one transaction). Returns 0, or -EIO
 * with nft's own error message (first line, "Operation not permitted",
 * "No such file or directory") in err.
 */
int nd_nft_run(struct nd_nft *n, const char *script, char *err,
	       size_t errlen);

/*
 * `list table inet NAME` as JSON into *json (malloc'ed; the caller frees
 * it), or *json NULL when the table does not exist. Returns 0, or -EIO
 * with nft's error in err.
 */
int nd_nft_list_table(struct nd_nft *n, const char *name, char **json,
		      char *err, size_t errlen);

#endif /* SERVER_NODE_NFT_H */
