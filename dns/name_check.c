/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
#include "dns/name_check.h"

#include <stdbool.h>

/* RFC 1035 2.3.4: 63 octets a label; 255 octets on the wire are 253
 * characters of text without the trailing dot. */
#define LABEL_MAX 63
#define NAME_TEXT_MAX 253

static const char *const texts[] = {
	"ok",
	"empty",
	"too long",
	"empty label",
	"label too long",
	"bad character",
	"label starts or ends with '-'",
};

const char *nd_name_problem_text(enum nd_name_problem p)
{
	return (unsigned)p < sizeof(texts) / sizeof(texts[0]) ? texts[p]
							      : "invalid";
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

enum nd_name_problem nd_dns_name_check(const char *s, size_t len,
				       unsigned flags)
{
	size_t label = 0;

	if (s == NULL)
		return ND_NAME_EMPTY;
	if ((flags & ND_NAME_TRAILING_DOT) && len > 1 && s[len - 1] == '.')
		len--;
	if (len == 0 || (len == 1 && s[0] == '.'))
		return ND_NAME_EMPTY;
	if (len > NAME_TEXT_MAX)
		return ND_NAME_TOO_LONG;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return ND_NAME_EMPTY_LABEL;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-' &&
		    !(c == '_' && (flags & ND_NAME_UNDERSCORE)))
			return ND_NAME_BAD_CHAR;
		if (++label > LABEL_MAX)
			return ND_NAME_LABEL_TOO_LONG;
	}
	return label == 0 ? ND_NAME_EMPTY_LABEL : ND_NAME_OK;
}

enum nd_name_problem nd_dns_label_check(const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return ND_NAME_EMPTY;
	if (len > LABEL_MAX)
		return ND_NAME_LABEL_TOO_LONG;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return ND_NAME_BAD_CHAR;
	if (s[0] == '-' || s[len - 1] == '-')
		return ND_NAME_HYPHEN_AT_END;
	return ND_NAME_OK;
}
