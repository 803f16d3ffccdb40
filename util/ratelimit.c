/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/ratelimit.h"

#include <string.h>

void nd_ratelimit_init(struct nd_ratelimit *l, uint64_t events,
		       uint64_t interval_us, uint64_t burst)
{
	memset(l, 0, sizeof(*l));
	if (events == 0) {
		/* Never: a gap no clock reaches, no tolerance. */
		l->gap_us = UINT64_MAX / 2;
		l->tat_us = UINT64_MAX / 2;
		return;
	}
	l->gap_us = interval_us / events ? interval_us / events : 1;
	if (burst == 0)
		burst = 1;
	l->burst_us = (burst - 1) * l->gap_us;
}

bool nd_ratelimit_allow(struct nd_ratelimit *l, uint64_t now_us,
			uint64_t *suppressed)
{
	uint64_t tat = __atomic_load_n(&l->tat_us, __ATOMIC_RELAXED);

	for (;;) {
		uint64_t t = tat > now_us ? tat : now_us;

		if (t - now_us > l->burst_us) {
			__atomic_add_fetch(&l->suppressed, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&l->refused, 1, __ATOMIC_RELAXED);
			return false;
		}
		/* On failure tat is reloaded: another worker took a slot. */
		if (__atomic_compare_exchange_n(&l->tat_us, &tat,
						t + l->gap_us, true,
						__ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	if (suppressed != NULL)
		*suppressed = __atomic_exchange_n(&l->suppressed, 0,
						  __ATOMIC_RELAXED);
	return true;
}

uint64_t nd_ratelimit_refused(const struct nd_ratelimit *l)
{
	return __atomic_load_n(&l->refused, __ATOMIC_RELAXED);
}
