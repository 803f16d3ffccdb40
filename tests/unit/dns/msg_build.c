/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "tests/unit/dns/msg_build.h"

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h>

#include "dns/wire.h"

void tm_put8(struct tm_msg *m, uint8_t v)
{
	assert_true(m->n + 1 <= sizeof(m->b));
	m->b[m->n++] = v;
}

void tm_put16(struct tm_msg *m, uint16_t v)
{
	tm_put8(m, (uint8_t)(v >> 8));
	tm_put8(m, (uint8_t)v);
}

void tm_put32(struct tm_msg *m, uint32_t v)
{
	tm_put16(m, (uint16_t)(v >> 16));
	tm_put16(m, (uint16_t)v);
}

void tm_put_name(struct tm_msg *m, const char *text)
{
	int n = nd_dns_name_from_text(text, m->b + m->n, sizeof(m->b) - m->n);

	assert_true(n > 0);
	m->n += (size_t)n;
}

void tm_hdr(struct tm_msg *m, uint16_t id, uint16_t flags, uint16_t qd,
	    uint16_t an, uint16_t ns, uint16_t ar)
{
	m->n = 0;
	tm_put16(m, id);
	tm_put16(m, flags);
	tm_put16(m, qd);
	tm_put16(m, an);
	tm_put16(m, ns);
	tm_put16(m, ar);
}
