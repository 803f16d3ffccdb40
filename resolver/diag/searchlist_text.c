/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* resolver/diag/searchlist_text.c - the tracker's words: names, labels and suffixes as text, and the advice sentence. */
#include "resolver/diag/searchlist_internal.h"

#include <stdio.h>
#include <string.h>

#include "dns/wire.h"

/* Presentation text of a wire name without its trailing dot. */
static void wire_text(const uint8_t *w, size_t len, char *buf, size_t cap)
{
	size_t n;

	if (nd_dns_name_to_text(w, len, buf, cap) != 0) {
		snprintf(buf, cap, "?");
		return;
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
}

void sl_base_text(const uint8_t *base, size_t base_len, char *buf, size_t cap)
{
	uint8_t w[ND_DNS_MAX_NAME];

	if (base_len > SL_BASE_MAX)
		base_len = SL_BASE_MAX;
	memcpy(w, base, base_len);
	w[base_len] = 0;
	wire_text(w, base_len + 1, buf, cap);
}

void sl_label_text(const uint8_t *label, size_t len, char *buf, size_t cap)
{
	uint8_t w[SL_LABEL_MAX + 2];

	if (len == 0 || len > SL_LABEL_MAX) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	w[0] = (uint8_t)len;
	memcpy(w + 1, label, len);
	w[len + 1] = 0;
	wire_text(w, len + 2, buf, cap);
}

void sl_suffix_text(const struct nd_searchlist *t, int idx, const uint8_t *ns,
		    size_t ns_len, char *buf, size_t cap)
{
	uint8_t w[ND_DNS_MAX_NAME + SL_LABEL_MAX + 1];
	size_t n;

	if (idx < 0) {
		snprintf(buf, cap, "none");
		return;
	}
	if ((unsigned)idx == t->abs_idx) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	if (idx == 0) {
		/* Only a chain with a namespace has candidate 0. */
		w[0] = (uint8_t)ns_len;
		memcpy(w + 1, ns, ns_len);
		memcpy(w + 1 + ns_len, t->sfx[1], t->sfx_len[1]);
		n = 1 + ns_len + t->sfx_len[1];
	} else {
		memcpy(w, t->sfx[idx], t->sfx_len[idx]);
		n = t->sfx_len[idx];
	}
	wire_text(w, n, buf, cap);
}

void sl_advice(const struct nd_searchlist *t, const uint8_t *base,
	       size_t base_len, const uint8_t *ns, size_t ns_len, int ans_idx,
	       unsigned wasted, unsigned saved, char *buf, size_t cap)
{
	char name[ND_SL_NAME_TEXT], sfx[ND_SL_NAME_TEXT];
	unsigned dots = 0;

	buf[0] = '\0';
	sl_base_text(base, base_len, name, sizeof(name));
	for (size_t o = 0; o < base_len; o += 1u + base[o])
		dots += o > 0;
	if (ans_idx < 0) {
		snprintf(buf, cap,
			 "no search candidate of '%s' answered: check the name",
			 name);
		return;
	}
	if ((unsigned)ans_idx == t->abs_idx) {
		/*
		 * With ndots at most the name's dots, the stub tries it as
		 * is first; a trailing dot skips the search list altogether.
		 */
		snprintf(buf, cap,
			 "use the fully qualified name '%s.' (trailing dot) or "
			 "ndots:%u; saves %u queries per lookup",
			 name, dots, saved);
		return;
	}
	if (wasted == 0)
		return;
	sl_suffix_text(t, ans_idx, ns, ns_len, sfx, sizeof(sfx));
	snprintf(buf, cap, "use '%s.%s.'; saves %u queries per lookup", name,
		 sfx, saved);
}
