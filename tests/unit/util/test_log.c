/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the nodedns authors */
/* tests/unit/util/test_log.c - util/log.c and util/json_escape.c: every
 * JSON line parses (cJSON) and gives back the message, whatever bytes it
 * held; text lines; the log file and its reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "util/json_escape.h"
#include "util/log.h"

static const struct timespec when = { 1767323045, 678901234 };

/* Format msg as a JSON line, parse it, return the parsed object. */
static cJSON *json_line(const char *group, const char *msg)
{
	char line[8192];
	size_t n = nd_log_format_line(line, sizeof(line), ND_LOG_JSON,
				      ND_LOG_WARN, group, &when, msg);

	assert_true(n > 0);
	assert_int_equal(line[n - 1], '\n');
	assert_null(memchr(line, '\n', n - 1)); /* one line */
	cJSON *o = cJSON_ParseWithLength(line, n);
	if (o == NULL)
		fail_msg("not JSON: %s", line);
	return o;
}

static const char *field(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	assert_non_null(f);
	assert_true(cJSON_IsString(f));
	return f->valuestring;
}

static void test_json_fields(void **state)
{
	(void)state;
	cJSON *o = json_line("cache", "plain words");

	assert_string_equal(field(o, "ts"), "2026-01-02T03:04:05.678Z");
	assert_string_equal(field(o, "level"), "warn");
	assert_string_equal(field(o, "group"), "cache");
	assert_string_equal(field(o, "msg"), "plain words");
	cJSON_Delete(o);
}

/* Quotes, backslashes, newlines and every control byte come back as
 * they were. */
static void test_json_escapes_round_trip(void **state)
{
	(void)state;
	char msg[64];
	size_t n = 0;

	msg[n++] = '"';
	msg[n++] = '\\';
	for (int c = 1; c < 0x20; c++)
		msg[n++] = (char)c;
	msg[n++] = 0x7f;
	memcpy(msg + n, "a\"b\nc", 5);
	n += 5;
	msg[n] = '\0';
	cJSON *o = json_line("x\"y", msg);
	assert_string_equal(field(o, "msg"), msg);
	assert_string_equal(field(o, "group"), "x\"y");
	cJSON_Delete(o);
}

/* Valid UTF-8 is kept; every byte outside a valid sequence is U+FFFD. */
static void test_json_utf8(void **state)
{
	(void)state;
	cJSON *o = json_line("g", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(field(o, "msg"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	cJSON_Delete(o);

	/* stray continuation, lone lead, overlong '/', surrogate, > U+10FFFF,
	 * a sequence cut by the end */
	o = json_line("g", "a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80"
			   "e\xf4\x90\x80\x80" "f\xe2\x82");
	assert_string_equal(field(o, "msg"),
			    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"
			    "\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd" "e\xef\xbf\xbd\xef\xbf\xbd"
			    "\xef\xbf\xbd\xef\xbf\xbd" "f\xef\xbf\xbd"
			    "\xef\xbf\xbd");
	cJSON_Delete(o);
}

/* Every single byte value and a random mix: still one valid JSON line. */
static void test_json_any_bytes(void **state)
{
	(void)state;
	char msg[1024];
	unsigned seed = 12345;

	for (int c = 1; c < 256; c++) {
		msg[0] = (char)c;
		msg[1] = '\0';
		cJSON_Delete(json_line("g", msg));
	}
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(rand_r(&seed) % 1000);

		for (size_t i = 0; i < len; i++)
			msg[i] = (char)(1 + rand_r(&seed) % 255);
		msg[len] = '\0';
		cJSON_Delete(json_line("g", msg));
	}
}

/* A line longer than the buffer is cut at a whole character and closed. */
static void test_json_cut(void **state)
{
	(void)state;
	char msg[600], line[256];

	memset(msg, '"', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	size_t n = nd_log_format_line(line, sizeof(line), ND_LOG_JSON,
				      ND_LOG_INFO, "g", &when, msg);
	assert_true(n > 0 && n < sizeof(line));
	assert_int_equal(line[n - 1], '\n');
	cJSON *o = cJSON_ParseWithLength(line, n);
	assert_non_null(o);
	cJSON_Delete(o);
}

static void test_escape_small_buffer(void **state)
{
	(void)state;
	char out[8];

	/* "\u0001" is 6 bytes: two would not fit in 7 + NUL. */
	assert_int_equal(nd_json_escape(out, sizeof(out), "\x01\x01", 2), 6);
	assert_string_equal(out, "\\u0001");
	assert_int_equal(nd_json_escape(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

static void test_text_line(void **state)
{
	(void)state;
	char line[256];
	size_t n = nd_log_format_line(line, sizeof(line), ND_LOG_TEXT,
				      ND_LOG_ERROR, "kube", &when, "gone");

	assert_string_equal(line, "2026-01-02T03:04:05.678Z error kube: gone\n");
	assert_int_equal(n, strlen(line));
}

static void test_parse_names(void **state)
{
	(void)state;
	assert_int_equal(nd_log_format_parse("json"), ND_LOG_JSON);
	assert_int_equal(nd_log_format_parse("text"), ND_LOG_TEXT);
	assert_int_equal(nd_log_format_parse("JSON"), -1);
	assert_int_equal(nd_log_format_parse(NULL), -1);
	assert_string_equal(nd_log_format_name(ND_LOG_JSON), "json");
	nd_log_set_level(99);
	assert_int_equal(nd_log_threshold, ND_LOG_DEBUG);
	nd_log_set_level(-5);
	assert_int_equal(nd_log_threshold, ND_LOG_ERROR);
	nd_log_set_level(ND_LOG_INFO);
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (f == NULL)
		return 0;
	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* The file, then a reopen after it was moved: new lines in a new file. */
static void test_file_and_reopen(void **state)
{
	(void)state;
	char dir[] = "/tmp/nd_test_log.XXXXXX", path[256], moved[256];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/nodedns.log", dir);
	snprintf(moved, sizeof(moved), "%s/nodedns.log.1", dir);
	assert_int_equal(nd_log_open(path), 0);
	assert_string_equal(nd_log_path(), path);
	nd_log_set_format(ND_LOG_JSON);
	nd_info("test", "first");
	assert_int_equal(count_lines(path), 1);
	assert_int_equal(rename(path, moved), 0);
	nd_info("test", "second, to the moved file");
	assert_int_equal(nd_log_reopen(), 0);
	nd_info("test", "third, to the new file");
	nd_log_set_format(ND_LOG_TEXT);
	assert_int_equal(count_lines(moved), 2);
	assert_int_equal(count_lines(path), 1);
	assert_int_equal(nd_log_open(NULL), 0);
	assert_null(nd_log_path());
	assert_int_equal(nd_log_reopen(), 0); /* stderr: nothing to do */
	assert_true(nd_log_open("/nonexistent-dir/x.log") < 0);
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_fields),
		cmocka_unit_test(test_json_escapes_round_trip),
		cmocka_unit_test(test_json_utf8),
		cmocka_unit_test(test_json_any_bytes),
		cmocka_unit_test(test_json_cut),
		cmocka_unit_test(test_escape_small_buffer),
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test(test_file_and_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
