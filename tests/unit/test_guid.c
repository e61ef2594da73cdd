// SPDX-License-Identifier: GPL-2.0-or-later
/* GUID text <-> on-disk bytes, random v4 GUIDs, partition type aliases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/guid.h"

static void test_esp_on_disk_bytes(void **state)
{
	(void)state;
	/* First three fields little-endian, the rest as written (UEFI appendix A). */
	static const uint8_t want[16] = { 0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11,
					  0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B };
	struct ib_guid g;
	assert_int_equal(ib_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g), 0);
	assert_memory_equal(g.b, want, 16);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "E3C9E316-0B5C-4DB8-817D-F92DF00215AE",
		"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC",
		"0FC63DAF-8483-4772-8E79-3D69D8477DE4", "00000000-0000-0000-0000-000000000001",
		"FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct ib_guid g;
		char buf[37];
		assert_int_equal(ib_guid_parse(texts[i], &g), 0);
		assert_string_equal(ib_guid_format(&g, buf), texts[i]);
	}
}

static void test_lower_case_formats_upper(void **state)
{
	(void)state;
	struct ib_guid a, b;
	char buf[37];
	assert_int_equal(ib_guid_parse("ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", &a), 0);
	assert_int_equal(ib_guid_parse("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", &b), 0);
	assert_true(ib_guid_equal(&a, &b));
	assert_string_equal(ib_guid_format(&a, buf), "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7");
}

static void test_bad_strings(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"C12A7328-F81F-11D2-BA4B-00A0C93EC93",   /* one digit short */
		"C12A7328-F81F-11D2-BA4B-00A0C93EC93BB", /* one digit long */
		"C12A7328F81F-11D2-BA4B-00A0C93EC93BB",  /* hyphen missing */
		"C12A732-8F81F-11D2-BA4B-00A0C93EC93B",  /* hyphen misplaced */
		"C12A7328-F81F-11D2-BA4B_00A0C93EC93B",  /* wrong separator */
		"G12A7328-F81F-11D2-BA4B-00A0C93EC93B",  /* not hex */
		"C12A7328-F81F-11D2-BA4B-00A0C93EC9 B",  /* space */
		"{C12A7328-F81F-11D2-BA4B-00A0C93EC93B}",
		"C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n",
	};
	struct ib_guid sentinel;
	memset(sentinel.b, 0x5A, 16);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ib_guid g = sentinel;
		assert_int_equal(ib_guid_parse(bad[i], &g), -1);
		assert_memory_equal(g.b, sentinel.b, 16); /* untouched on failure */
	}
	struct ib_guid g;
	assert_int_equal(ib_guid_parse(NULL, &g), -1);
}

static void test_zero_and_equal(void **state)
{
	(void)state;
	struct ib_guid z = { { 0 } }, a;
	assert_true(ib_guid_is_zero(&z));
	assert_int_equal(ib_guid_parse("00000000-0000-0000-0000-000000000001", &a), 0);
	assert_false(ib_guid_is_zero(&a));
	assert_false(ib_guid_equal(&a, &z));
	assert_true(ib_guid_equal(&a, &a));
}

static void test_random_v4(void **state)
{
	(void)state;
	struct ib_guid a, b;
	char buf[37];
	ib_guid_random(&a);
	ib_guid_random(&b);
	assert_false(ib_guid_equal(&a, &b));
	assert_false(ib_guid_is_zero(&a));
	ib_guid_format(&a, buf);
	/* xxxxxxxx-xxxx-4xxx-[89AB]xxx-xxxxxxxxxxxx */
	assert_int_equal(buf[14], '4');
	assert_non_null(strchr("89AB", buf[19]));
	struct ib_guid back;
	assert_int_equal(ib_guid_parse(buf, &back), 0);
	assert_true(ib_guid_equal(&a, &back));
}

static void test_aliases(void **state)
{
	(void)state;
	static const struct {
		const char *name, *guid;
		int mbr;
	} want[] = {
		{ "esp", "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", 0xEF },
		{ "msr", "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", -1 },
		{ "basic-data", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x07 },
		{ "recovery", "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", 0x27 },
		{ "linux", "0FC63DAF-8483-4772-8E79-3D69D8477DE4", 0x83 },
		{ "linux-swap", "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", 0x82 },
		{ "bios-boot", "21686148-6449-6E6F-744E-656564454649", -1 },
		{ "fat32", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x0C },
		{ "fat16", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x0E },
		{ "ntfs", "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", 0x07 },
	};
	const char *const *names = ib_ptype_names();
	size_t n = 0;
	while (names[n])
		n++;
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		const struct ib_ptype_alias *a = ib_ptype_lookup(want[i].name);
		assert_non_null(a);
		assert_string_equal(a->name, want[i].name);
		assert_string_equal(a->gpt_guid, want[i].guid);
		assert_int_equal(a->mbr_type, want[i].mbr);
		assert_string_equal(names[i], want[i].name);
		struct ib_guid g;
		assert_int_equal(ib_guid_parse(a->gpt_guid, &g), 0);
		assert_non_null(ib_ptype_name_for_guid(&g));
	}
	assert_null(ib_ptype_lookup("ESP"));
	assert_null(ib_ptype_lookup("efi"));
	assert_null(ib_ptype_lookup(NULL));

	struct ib_guid g;
	assert_int_equal(ib_guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", &g), 0);
	assert_string_equal(ib_ptype_name_for_guid(&g), "esp");
	assert_int_equal(ib_guid_parse("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", &g), 0);
	assert_string_equal(ib_ptype_name_for_guid(&g), "basic-data"); /* the first alias wins */
	assert_int_equal(ib_guid_parse("12345678-1234-1234-1234-123456789ABC", &g), 0);
	assert_null(ib_ptype_name_for_guid(&g));

	assert_string_equal(ib_ptype_name_for_mbr(0xEF), "esp");
	assert_string_equal(ib_ptype_name_for_mbr(0x07), "basic-data");
	assert_string_equal(ib_ptype_name_for_mbr(0x0C), "fat32");
	assert_string_equal(ib_ptype_name_for_mbr(0x0E), "fat16");
	assert_string_equal(ib_ptype_name_for_mbr(0x83), "linux");
	assert_null(ib_ptype_name_for_mbr(0xEE));
	assert_null(ib_ptype_name_for_mbr(-1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_esp_on_disk_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_lower_case_formats_upper),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_zero_and_equal),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_aliases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
