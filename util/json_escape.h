/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* util/json_escape.h - bytes of any kind as the inside of a JSON string. */
#ifndef UTIL_JSON_ESCAPE_H
#define UTIL_JSON_ESCAPE_H

#include <stddef.h>

/*
 * Write src[0..len) into dst as the contents of a JSON string (RFC 8259,
 * without the quotes): '"' and '\\' escaped, control characters as \n,
 * \r, \t or \u00XX, DEL as \u007f, valid UTF-8 copied, and every byte
 * that is not part of a valid UTF-8 sequence (a stray continuation byte,
 * a truncated or overlong sequence, a surrogate, past U+10FFFF) as
 * \ufffd, so the result always parses.
 * dst: cap bytes (cap >= 1); always NUL-terminated; stops before a
 *    character whose escape would not fit, never cutting one in half.
 * Returns the bytes written (without the NUL).
 */
size_t nd_json_escape(char *dst, size_t cap, const char *src, size_t len);

#endif /* UTIL_JSON_ESCAPE_H */
