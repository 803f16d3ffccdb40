/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_kube_list.c - one page of a list response (GET
 * /api/v1/services?limit=N) through nd_kube_decode_list(), as
 * server/kube_client.c feeds it, then every item through the decoder of
 * each kind (a list's items carry no kind; the request says it). The
 * bytes are not NUL-terminated, as in the transport's buffer.
 */
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "kube/list_page.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/kube_check.h"
#include "util/errors.h"

/* Items decoded per input: enough for any corpus page, bounded time. */
#define ITEMS_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_kube_list_page page;
	const cJSON *it;
	int n = 0;
	int rc = nd_kube_decode_list((const char *)data, size, &page);

	CHECK(rc == 0 || rc == ND_EPARSE);
	if (rc != 0) {
		CHECK(page.root == NULL && page.items == NULL &&
		      page.rv == NULL && page.cont == NULL);
		return 0;
	}
	CHECK(page.root != NULL && page.rv != NULL);
	CHECK(cJSON_IsArray(page.items) || cJSON_IsNull(page.items));
	cJSON_ArrayForEach(it, page.items) {
		if (n++ == ITEMS_MAX)
			break;
		for (int k = 0; k < ND_KIND_COUNT; k++)
			check_object(it, (enum nd_kube_kind)k);
	}
	nd_kube_list_page_deinit(&page);
	CHECK(page.root == NULL);
	return 0;
}
