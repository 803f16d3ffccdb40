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
	"upper case (the Kubernetes API allows lower case only)",
	"starts with a digit (a Service name is an RFC 1035 label)",
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

static bool has_upper(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

enum nd_name_problem nd_dns_k8s_label_check(const char *s, size_t len,
					    unsigned flags)
{
	enum nd_name_problem p = nd_dns_label_check(s, len);

	if (p != ND_NAME_OK)
		return p;
	if (has_upper(s, len))
		return ND_NAME_UPPER_CASE;
	if ((flags & ND_K8S_RFC1035) && !(s[0] >= 'a' && s[0] <= 'z'))
		return ND_NAME_DIGIT_FIRST;
	return ND_NAME_OK;
}

enum nd_name_problem nd_dns_k8s_subdomain_check(const char *s, size_t len)
{
	enum nd_name_problem p = nd_dns_name_check(s, len, 0);
	size_t start = 0;

	if (p != ND_NAME_OK)
		return p;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		p = nd_dns_label_check(s + start, i - start);
		if (p != ND_NAME_OK)
			return p;
		start = i + 1;
	}
	return has_upper(s, len) ? ND_NAME_UPPER_CASE : ND_NAME_OK;
}
