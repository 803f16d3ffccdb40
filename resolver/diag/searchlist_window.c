/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_window.c - the tracker's windowed counters: two half-windows per counter. */
#include "resolver/diag/searchlist_internal.h"

#include <string.h>

void sl_win_add(struct sl_win *w, uint64_t half_us, uint64_t now_us,
		const uint64_t add[SL_W_COUNT])
{
	uint64_t e = now_us / half_us;

	if (e > w->epoch) {
		if (e == w->epoch + 1)
			memcpy(w->prev, w->cur, sizeof(w->cur));
		else
			memset(w->prev, 0, sizeof(w->prev));
		memset(w->cur, 0, sizeof(w->cur));
		w->epoch = e;
	}
	/* An event a worker stamped before the last roll still counts now. */
	for (int i = 0; i < SL_W_COUNT; i++)
		w->cur[i] += add[i];
}

void sl_win_read(const struct sl_win *w, uint64_t half_us, uint64_t now_us,
		 uint64_t out[SL_W_COUNT])
{
	uint64_t e = now_us / half_us;

	for (int i = 0; i < SL_W_COUNT; i++) {
		if (e <= w->epoch)
			out[i] = w->cur[i] + w->prev[i];
		else if (e == w->epoch + 1)
			out[i] = w->cur[i];
		else
			out[i] = 0;
	}
}
