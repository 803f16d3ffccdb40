/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "kube/list_page.h"

#include <string.h>

#include <cjson/cJSON.h>

#include "util/errors.h"

int nd_kube_decode_list(const char *text, size_t len,
			struct nd_kube_list_page *page)
{
	const cJSON *meta, *v, *ct;

	if (page == NULL)
		return ND_EPARSE;
	memset(page, 0, sizeof(*page));
	if (text == NULL)
		return ND_EPARSE;
	page->root = cJSON_ParseWithLength(text, len);
	page->items = cJSON_GetObjectItemCaseSensitive(page->root, "items");
	if (page->root == NULL ||
	    !(cJSON_IsArray(page->items) || cJSON_IsNull(page->items))) {
		nd_kube_list_page_deinit(page);
		return ND_EPARSE;
	}
	meta = cJSON_GetObjectItemCaseSensitive(page->root, "metadata");
	v = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
	ct = cJSON_GetObjectItemCaseSensitive(meta, "continue");
	page->rv = cJSON_IsString(v) ? v->valuestring : "";
	page->cont = cJSON_IsString(ct) ? ct->valuestring : NULL;
	return 0;
}

void nd_kube_list_page_deinit(struct nd_kube_list_page *page)
{
	if (page == NULL)
		return;
	cJSON_Delete(page->root);
	memset(page, 0, sizeof(*page));
}
