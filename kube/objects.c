/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* kube/objects.c - releasing what decoded Kubernetes objects own. */
#include "kube/objects.h"

#include <stdlib.h>
#include <string.h>

void nd_kube_service_deinit(struct nd_kube_service *s)
{
	if (s == NULL)
		return;
	free(s->ports);
	free(s->strs);
	/* Zeroed, a deinit'ed struct can be deinit'ed or refilled again. */
	memset(s, 0, sizeof(*s));
}

void nd_kube_slice_deinit(struct nd_kube_slice *s)
{
	if (s == NULL)
		return;
	free(s->eps);
	free(s->ips);
	free(s->strs);
	free(s->ports);
	memset(s, 0, sizeof(*s));
}
