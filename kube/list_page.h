/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/list_page.h - one page of a Kubernetes list response: its items, resourceVersion and continue token. */
#ifndef KUBE_LIST_PAGE_H
#define KUBE_LIST_PAGE_H

#include <stddef.h>

struct cJSON;

/* A decoded list page; every pointer but root is borrowed from root. */
struct nd_kube_list_page {
	struct cJSON *root;	   /* the parsed page (owned; free with
				      nd_kube_list_page_deinit) */
	const struct cJSON *items; /* the "items" array, or JSON null (an
				      empty page) */
	const char *rv;		   /* metadata.resourceVersion; "" when
				      absent or not a string */
	const char *cont;	   /* metadata.continue; NULL when absent or
				      not a string (the last page) */
};

/*
 * Parse a list response text[0..len) (need not be NUL-terminated):
 * a JSON object with an "items" array (or null). The items are not
 * decoded: the caller knows their kind (nd_kube_apply_put).
 * Returns 0, or ND_EPARSE (not JSON, no items array; page left zeroed).
 */
int nd_kube_decode_list(const char *text, size_t len,
			struct nd_kube_list_page *page);

/* Free what page holds and zero it; NULL and a zeroed page are fine. */
void nd_kube_list_page_deinit(struct nd_kube_list_page *page);

#endif /* KUBE_LIST_PAGE_H */
