/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/*
 * tests/fuzz/fuzz_rfc3339.c - a timestamp (an EndpointSlice's
 * last-change-trigger-time) through nd_kube_parse_time(). What parses is
 * written back in UTC and must parse to the same instant.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/decode.h"
#include "tests/fuzz/fuzz.h"
#include "util/errors.h"

/* The civil date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days), written independently of the parser's inverse. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), again[64];
	int64_t ms, ms2, days, rest, y;
	int m, d, rc;

	CHECK(s != NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	rc = nd_kube_parse_time(s, &ms);
	CHECK(rc == 0 || rc == ND_EPARSE);
	if (rc != 0) {
		CHECK(ms == 0);
		free(s);
		return 0;
	}
	/* Four-digit years and offsets below a day bound every instant. */
	CHECK(ms >= -62167219200000LL - 86400000LL &&
	      ms < 253402300800000LL + 86400000LL);
	CHECK(strlen(s) >= 20);
	days = floor_div(ms, 86400000);
	rest = ms - days * 86400000;
	civil_from_days(days, &y, &m, &d);
	if (y >= 0 && y <= 9999) {
		snprintf(again, sizeof(again),
			 "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m,
			 d, (int)(rest / 3600000), (int)(rest / 60000 % 60),
			 (int)(rest / 1000 % 60), (int)(rest % 1000));
		CHECK(nd_kube_parse_time(again, &ms2) == 0);
		CHECK(ms2 == ms);
	}
	free(s);
	return 0;
}
