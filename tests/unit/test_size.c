// SPDX-License-Identifier: GPL-2.0-or-later
/* Size parsing, formatting and alignment arithmetic. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/size.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

static uint64_t parse_ok(const char *s)
{
	uint64_t v = 0;
	const char *why = NULL;
	int r = ib_size_parse(s, &v, &why);
	if (r != 0)
		fail_msg("'%s' refused: %s", s, why);
	return v;
}

/* Refused, with an explanation that holds `reason`. */
static void parse_bad(const char *s, const char *reason)
{
	uint64_t v = 12345;
	const char *why = NULL;
	if (ib_size_parse(s, &v, &why) == 0)
		fail_msg("'%s' accepted as %llu", s, (unsigned long long)v);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("'%s': explanation '%s' lacks '%s'", s, why, reason);
	assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_units(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("512"), 512);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("512B"), 512);
	assert_int_equal(parse_ok("1KiB"), KiB);
	assert_int_equal(parse_ok("260MiB"), 260 * MiB);
	assert_int_equal(parse_ok("8GiB"), 8 * GiB);
	assert_int_equal(parse_ok("2TiB"), 2 * TiB);
	assert_int_equal(parse_ok("1KB"), 1000);
	assert_int_equal(parse_ok("5MB"), 5000000);
	assert_int_equal(parse_ok("3GB"), 3000000000ull);
	assert_int_equal(parse_ok("2TB"), 2000000000000ull);
	assert_int_equal(parse_ok("8 GiB"), 8 * GiB);
	assert_int_equal(parse_ok("16   MiB"), 16 * MiB);
	assert_int_equal(parse_ok("0010MiB"), 10 * MiB);
}

static void test_bad(void **state)
{
	(void)state;
	parse_bad("", "empty");
	parse_bad(NULL, "empty");
	parse_bad("GiB", "starts with a digit");
	parse_bad("-1MiB", "starts with a digit");
	parse_bad("+1MiB", "starts with a digit");
	parse_bad(" 1MiB", "starts with a digit");
	parse_bad("rest", "starts with a digit");
	parse_bad("1.5GiB", "whole numbers");
	parse_bad("1,5GiB", "whole numbers");
	parse_bad("8gib", "unknown unit");
	parse_bad("8 GIB", "unknown unit");
	parse_bad("8PiB", "unknown unit");
	parse_bad("8kB", "unknown unit");
	parse_bad("8GiB ", "unknown unit");
	parse_bad("0x100", "unknown unit");
	parse_bad("8K", "ambiguous unit: write KiB (1024) or KB (1000)");
	parse_bad("8m", "ambiguous unit");
	parse_bad("8G", "ambiguous unit");
	parse_bad("8T", "ambiguous unit");
	parse_bad("8Gi", "ambiguous unit");
	/* The unknown-unit message lists every valid unit. */
	uint64_t v;
	const char *why = NULL;
	assert_int_equal(ib_size_parse("3 blocks", &v, &why), -1);
	for (const char *const *u = (const char *const[]){ "B,", "KiB", "MiB", "GiB", "TiB", "KB", "MB", "GB", "TB", NULL };
	     *u; u++)
		assert_non_null(strstr(why, *u));
	/* why may be NULL. */
	assert_int_equal(ib_size_parse("x", &v, NULL), -1);
}

static void test_overflow(void **state)
{
	(void)state;
	assert_true(parse_ok("18446744073709551615") == UINT64_MAX);
	parse_bad("18446744073709551616", "too large");
	parse_bad("99999999999999999999999", "too large");
	assert_true(parse_ok("16777215TiB") == 16777215ull * TiB);
	parse_bad("16777216TiB", "too large"); /* exactly 2^64 */
	parse_bad("18446744073709552KB", "too large");
	assert_true(parse_ok("18446744073709551KB") == 18446744073709551000ull);
}

static void test_format(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(ib_size_format(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(ib_size_format(512, buf, sizeof(buf)), "512 B");
	assert_string_equal(ib_size_format(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(ib_size_format(KiB, buf, sizeof(buf)), "1 KiB");
	assert_string_equal(ib_size_format(260 * MiB, buf, sizeof(buf)), "260 MiB");
	assert_string_equal(ib_size_format(8 * GiB, buf, sizeof(buf)), "8 GiB");
	assert_string_equal(ib_size_format(GiB + GiB / 2, buf, sizeof(buf)), "1.5 GiB");
	assert_string_equal(ib_size_format(3 * TiB, buf, sizeof(buf)), "3 TiB");
	/* Truncated, never rounded up past what there is. */
	assert_string_equal(ib_size_format(GiB - 1, buf, sizeof(buf)), "1023.9 MiB");
	assert_string_equal(ib_size_format(1000, buf, sizeof(buf)), "1000 B");
	assert_string_equal(ib_size_format(UINT64_MAX, buf, sizeof(buf)), "15.9 EiB");
	/* Short buffers are truncated, not overrun. */
	char small[4];
	assert_string_equal(ib_size_format(260 * MiB, small, sizeof(small)), "260");
	/* Every size parses back from its exact format. */
	const uint64_t exact[] = { 512, 4 * KiB, 260 * MiB, 8 * GiB, 2 * TiB };
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		ib_size_format(exact[i], buf, sizeof(buf));
		assert_true(parse_ok(buf) == exact[i]);
	}
}

static void test_align(void **state)
{
	(void)state;
	assert_true(ib_align_up(0, MiB) == 0);
	assert_true(ib_align_up(1, MiB) == MiB);
	assert_true(ib_align_up(MiB, MiB) == MiB);
	assert_true(ib_align_up(MiB + 1, MiB) == 2 * MiB);
	assert_true(ib_align_up(17408, 4096) == 20480); /* GPT head with 512-byte sectors */
	assert_true(ib_align_up(7, 3) == 9);            /* not only powers of two */
	assert_true(ib_align_up(5, 1) == 5);
	assert_true(ib_align_down(0, MiB) == 0);
	assert_true(ib_align_down(MiB - 1, MiB) == 0);
	assert_true(ib_align_down(3 * MiB + 5, MiB) == 3 * MiB);
	assert_true(ib_align_down(7, 3) == 6);
	assert_true(ib_align_down(UINT64_MAX, 4096) == UINT64_MAX - 4095);
	/* Saturates instead of wrapping to a small number. */
	assert_true(ib_align_up(UINT64_MAX, MiB) == UINT64_MAX - MiB + 1);
	assert_true(ib_align_up(UINT64_MAX - MiB + 2, MiB) == UINT64_MAX - MiB + 1);
	assert_true(ib_align_up(UINT64_MAX - MiB + 1, MiB) == UINT64_MAX - MiB + 1);
	assert_true(ib_is_pow2(1) && ib_is_pow2(4096) && ib_is_pow2(1ull << 63));
	assert_false(ib_is_pow2(0) || ib_is_pow2(3) || ib_is_pow2(3 * MiB));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units),  cmocka_unit_test(test_bad),   cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_format), cmocka_unit_test(test_align),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
