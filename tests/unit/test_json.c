// SPDX-License-Identifier: GPL-2.0-or-later
/* The JSON writer: commas, nesting, escaping, invalid UTF-8, numbers, and
 * flush. The documents are also checked by a real JSON parser (python3's),
 * when there is one. */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/json.h"
#include "core/spawn.h"
#include "core/util.h"

/* Flush into memory and return the line (caller frees). */
static char *flushed(struct ib_json *j)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	assert_non_null(f);
	ib_json_flush(j, f);
	fclose(f);
	return mem;
}

static void test_empty_containers(void **state)
{
	(void)state;
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_end_object(&j);
	char *s = flushed(&j);
	assert_string_equal(s, "{}\n");
	free(s);
	ib_json_begin_array(&j);
	ib_json_end_array(&j);
	s = flushed(&j);
	assert_string_equal(s, "[]\n");
	free(s);
	ib_json_free(&j);
}

static void test_nesting_and_commas(void **state)
{
	(void)state;
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "event", "step");
	ib_json_kv_uint(&j, "n", 3);
	ib_json_key(&j, "parts");
	ib_json_begin_array(&j);
	for (int i = 0; i < 3; i++) {
		ib_json_begin_object(&j);
		ib_json_kv_uint(&j, "i", (uint64_t)i);
		ib_json_key(&j, "tags");
		ib_json_begin_array(&j);
		if (i > 0)
			ib_json_string(&j, "a");
		if (i > 1)
			ib_json_string(&j, "b");
		ib_json_end_array(&j);
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "empty");
	ib_json_begin_object(&j);
	ib_json_end_object(&j);
	ib_json_kv_bool(&j, "ok", true);
	ib_json_kv_bool(&j, "bad", false);
	ib_json_key(&j, "none");
	ib_json_null(&j);
	ib_json_kv_str(&j, "nullstr", NULL);
	ib_json_key(&j, "mixed");
	ib_json_begin_array(&j);
	ib_json_int(&j, -5);
	ib_json_null(&j);
	ib_json_bool(&j, true);
	ib_json_begin_array(&j);
	ib_json_end_array(&j);
	ib_json_double(&j, 1.5);
	ib_json_end_array(&j);
	ib_json_end_object(&j);
	char *s = flushed(&j);
	assert_string_equal(s, "{\"event\":\"step\",\"n\":3,\"parts\":[{\"i\":0,\"tags\":[]},{\"i\":1,\"tags\":[\"a\"]},"
			       "{\"i\":2,\"tags\":[\"a\",\"b\"]}],\"empty\":{},\"ok\":true,\"bad\":false,\"none\":null,"
			       "\"nullstr\":null,\"mixed\":[-5,null,true,[],1.500]}\n");
	free(s);
	ib_json_free(&j);
}

static void test_flush_resets(void **state)
{
	(void)state;
	struct ib_json j = {0};
	/* Two events in a row: the second must not start with a comma. */
	for (int i = 0; i < 2; i++) {
		ib_json_begin_object(&j);
		ib_json_kv_uint(&j, "seq", (uint64_t)i);
		ib_json_end_object(&j);
		char *s = flushed(&j);
		char want[32];
		snprintf(want, sizeof(want), "{\"seq\":%d}\n", i);
		assert_string_equal(s, want);
		free(s);
	}
	/* Flushing mid-document (an error path) still resets cleanly. */
	ib_json_begin_object(&j);
	ib_json_key(&j, "a");
	ib_json_begin_array(&j);
	ib_json_uint(&j, 1);
	char *s = flushed(&j);
	free(s);
	ib_json_begin_object(&j);
	ib_json_kv_uint(&j, "b", 2);
	ib_json_end_object(&j);
	s = flushed(&j);
	assert_string_equal(s, "{\"b\":2}\n");
	free(s);
	/* An empty writer flushes as an empty line. */
	s = flushed(&j);
	assert_string_equal(s, "\n");
	free(s);
	ib_json_free(&j);
	ib_json_free(&j); /* twice is harmless */
}

static void test_string_escaping(void **state)
{
	(void)state;
	struct ib_json j = {0};
	ib_json_begin_array(&j);
	ib_json_string(&j, "quote\" backslash\\ slash/");
	ib_json_string(&j, "\b\f\n\r\t");
	ib_json_string(&j, "\x01\x1f\x7f");
	ib_json_string(&j, "");
	ib_json_end_array(&j);
	char *s = flushed(&j);
	assert_string_equal(s, "[\"quote\\\" backslash\\\\ slash/\",\"\\b\\f\\n\\r\\t\",\"\\u0001\\u001f\\u007f\",\"\"]\n");
	free(s);
	/* Keys are escaped the same way. */
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "a\"b\n", "v");
	ib_json_end_object(&j);
	s = flushed(&j);
	assert_string_equal(s, "{\"a\\\"b\\n\":\"v\"}\n");
	free(s);
	ib_json_free(&j);
}

static void test_utf8(void **state)
{
	(void)state;
	struct ib_json j = {0};
	ib_json_begin_array(&j);
	/* Valid: 2, 3 and 4 byte sequences pass through unchanged. */
	ib_json_string(&j, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe");
	/* Invalid, each bad byte -> U+FFFD: a lone continuation byte, a
	 * truncated sequence, an overlong '/', a UTF-16 surrogate, a code point
	 * above U+10FFFF, bytes 0xc0/0xff. */
	ib_json_string(&j, "a\x80z");
	ib_json_string(&j, "b\xe2\x82");
	ib_json_string(&j, "c\xc0\xaf");
	ib_json_string(&j, "d\xed\xa0\x80");
	ib_json_string(&j, "e\xf4\x90\x80\x80");
	ib_json_string(&j, "f\xff");
	ib_json_end_array(&j);
	char *s = flushed(&j);
#define R "\xef\xbf\xbd"
	assert_string_equal(s, "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x92\xbe\",\"a" R "z\",\"b" R R "\",\"c" R R
			       "\",\"d" R R R "\",\"e" R R R R "\",\"f" R "\"]\n");
#undef R
	free(s);
	ib_json_free(&j);
}

static void test_numbers(void **state)
{
	(void)state;
	struct ib_json j = {0};
	ib_json_begin_array(&j);
	ib_json_uint(&j, 0);
	ib_json_uint(&j, UINT64_MAX);
	ib_json_uint(&j, 8589934592ull); /* 8 GiB: beyond 32 bits */
	ib_json_int(&j, INT64_MIN);
	ib_json_int(&j, INT64_MAX);
	ib_json_double(&j, 0.0);
	ib_json_double(&j, 2.0 / 3.0);
	ib_json_double(&j, -1234.5678);
	ib_json_double(&j, 1e15);
	ib_json_double(&j, NAN);
	ib_json_double(&j, INFINITY);
	ib_json_end_array(&j);
	char *s = flushed(&j);
	assert_string_equal(s, "[0,18446744073709551615,8589934592,-9223372036854775808,9223372036854775807,0.000,0.667,"
			       "-1234.568,1000000000000000.000,null,null]\n");
	free(s);
	ib_json_free(&j);
}

static void test_deep_nesting(void **state)
{
	(void)state;
	struct ib_json j = {0};
	for (int i = 0; i < 60; i++) {
		ib_json_begin_object(&j);
		ib_json_kv_uint(&j, "d", (uint64_t)i);
		ib_json_key(&j, "x");
	}
	ib_json_null(&j);
	for (int i = 0; i < 60; i++)
		ib_json_end_object(&j);
	char *s = flushed(&j);
	struct ib_buf want = {0};
	for (int i = 0; i < 60; i++)
		ib_buf_printf(&want, "{\"d\":%d,\"x\":", i);
	ib_buf_puts(&want, "null");
	for (int i = 0; i < 60; i++)
		ib_buf_puts(&want, "}");
	ib_buf_puts(&want, "\n");
	assert_string_equal(s, want.s);
	ib_buf_free(&want);
	free(s);
	ib_json_free(&j);
}

/* A real parser agrees the output is JSON and decodes it to what went in. */
static void test_python_parses(void **state)
{
	(void)state;
	char *py = ib_which("python3");
	if (!py) {
		printf("SKIP: python3 not installed, JSON not checked by a parser\n");
		return;
	}
	free(py);
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "s", "tab\t nl\n q\" bs\\ ctl\x01 del\x7f caf\xc3\xa9 bad\xff end");
	ib_json_kv_uint(&j, "big", UINT64_MAX);
	ib_json_key(&j, "d");
	ib_json_double(&j, 3.14159);
	ib_json_key(&j, "a");
	ib_json_begin_array(&j);
	ib_json_null(&j);
	ib_json_bool(&j, false);
	ib_json_end_array(&j);
	ib_json_end_object(&j);
	char *doc = flushed(&j);
	ib_json_free(&j);

	const char *check = "import json,sys\n"
			    "d = json.loads(sys.argv[1])\n"
			    "assert d['s'] == 'tab\\t nl\\n q\" bs\\\\ ctl\\x01 del\\x7f caf\\u00e9 bad\\ufffd end', repr(d['s'])\n"
			    "assert d['big'] == 2**64 - 1\n"
			    "assert d['d'] == 3.142\n"
			    "assert d['a'] == [None, False]\n";
	const char *argv[] = {"python3", "-c", check, doc, NULL};
	struct ib_error err = {0};
	int r = ib_spawn(argv, NULL, NULL, &err);
	if (r)
		print_error("%s\n", err.msg);
	assert_int_equal(r, 0);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_flush_resets),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_python_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
