/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "server/node_nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct nd_nft {
	struct nft_ctx *ctx;
};

struct nd_nft *nd_nft_new(void)
{
	struct nd_nft *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (n->ctx == NULL || nft_ctx_buffer_output(n->ctx) != 0 ||
	    nft_ctx_buffer_error(n->ctx) != 0) {
		nd_nft_free(n);
		return NULL;
	}
	return n;
}

void nd_nft_free(struct nd_nft *n)
{
	if (n == NULL)
		return;
	if (n->ctx != NULL)
		nft_ctx_free(n->ctx);
	free(n);
}

/* nft's error text, reduced to its first "Error: ..." line (the rest
 * repeats the script with a caret under the culprit). */
static void error_text(struct nd_nft *n, char *err, size_t errlen)
{
	const char *e = nft_ctx_get_error_buffer(n->ctx);
	const char *s, *nl;
	size_t len;

	if (err == NULL || errlen == 0)
		return;
	if (e == NULL || e[0] == '\0') {
		snprintf(err, errlen, "nft failed without a message");
		return;
	}
	s = strstr(e, "Error: ");
	s = s != NULL ? s + 7 : e;
	nl = strchr(s, '\n');
	len = nl != NULL ? (size_t)(nl - s) : strlen(s);
	snprintf(err, errlen, "%.*s", (int)len, s);
}

int nd_nft_run(struct nd_nft *n, const char *script, char *err,
	       size_t errlen)
{
	int rc;

	if (n == NULL || script == NULL)
		return -EINVAL;
	nft_ctx_output_set_flags(n->ctx, 0);
	rc = nft_run_cmd_from_buffer(n->ctx, script);
	(void)nft_ctx_get_output_buffer(n->ctx); /* empties it */
	if (rc != 0) {
		error_text(n, err, errlen);
		return -EIO;
	}
	(void)nft_ctx_get_error_buffer(n->ctx);
	return 0;
}

int nd_nft_list_table(struct nd_nft *n, const char *name, char **json,
		      char *err, size_t errlen)
{
	char cmd[128];
	const char *out;
	int rc;

	if (n == NULL || name == NULL || json == NULL)
		return -EINVAL;
	*json = NULL;
	snprintf(cmd, sizeof(cmd), "list table inet %s", name);
	nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_JSON);
	rc = nft_run_cmd_from_buffer(n->ctx, cmd);
	out = nft_ctx_get_output_buffer(n->ctx);
	nft_ctx_output_set_flags(n->ctx, 0);
	if (rc != 0) {
		error_text(n, err, errlen);
		/* The one failure that means "absent", not "broken". */
		if (err != NULL && strstr(err, "No such file or directory"))
			return 0;
		return -EIO;
	}
	(void)nft_ctx_get_error_buffer(n->ctx);
	*json = strdup(out != NULL ? out : "");
	return *json != NULL ? 0 : -ENOMEM;
}
