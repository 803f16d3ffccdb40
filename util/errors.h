/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/errors.h - project error codes, well below errno's range, and their text. */
#ifndef UTIL_ERRORS_H
#define UTIL_ERRORS_H

/*
 * Functions that can fail return 0 or a negative code: -errno for system
 * failures, one of these for the project's own.
 */
enum nd_error {
	ND_EBADADDR = -10000, /* an address or CIDR did not parse */
	ND_EPARSE = -10001,   /* text (config, JSON, a message) did not parse */
	ND_ENOSPACE = -10002, /* an output buffer is too small */
	ND_ELOOP = -10003,    /* an upstream is one of our own listeners */
	ND_EMALFORMED = -10004, /* a DNS message is malformed */
	ND_ENOTFOUND = -10005,  /* a lookup found nothing */
};

/* Text for a code returned by a project function (negative errno too). */
const char *nd_strerror(int code);

#endif /* UTIL_ERRORS_H */
