/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "util/errors.h"

#include <string.h>

const char *nd_strerror(int code)
{
	switch (code) {
	case 0:
		return "success";
	case ND_EBADADDR:
		return "bad address";
	case ND_EPARSE:
		return "parse error";
	case ND_ENOSPACE:
		return "buffer too small";
	case ND_ELOOP:
		return "upstream is one of our own listen addresses";
	case ND_EMALFORMED:
		return "malformed DNS message";
	case ND_ENOTFOUND:
		return "not found";
	default:
		break;
	}
	if (code < 0 && code > -4096)
		return strerror(-code);
	return "unknown error";
}
