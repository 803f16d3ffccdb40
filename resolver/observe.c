/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "resolver/observe.h"

const char *nd_answer_source_name(enum nd_answer_source s)
{
	static const char *const names[ND_SRC_COUNT] = {
		[ND_SRC_CLUSTER] = "cluster", [ND_SRC_CACHE] = "cache",
		[ND_SRC_UPSTREAM] = "upstream", [ND_SRC_STALE] = "stale",
		[ND_SRC_FAILED] = "failed",   [ND_SRC_LOCAL] = "local",
	};

	return (unsigned)s < ND_SRC_COUNT ? names[s] : "unknown";
}
