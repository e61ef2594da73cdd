// SPDX-License-Identifier: GPL-2.0-or-later
/* The BCD store bcdboot would make (windows/bcd.h): the device element of
 * a GPT partition byte for byte as a store Windows wrote has it (a
 * published dump: docs/windows-install.md), and a store made from a
 * template hive read back with the independent hivexget: object types,
 * the default and display order naming the loader, devices on the ESP and
 * the Windows partition, lowercase element keys, the template's own
 * objects kept; a template without Objects refused (exit 2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "windows/bcd.h"
#include "windows/hive.h"
#include "tests/unit/support/hive.h"

static const char *minimal;

static struct ib_guid guid(const char *text)
{
	struct ib_guid g;
	assert_int_equal(ib_guid_parse(text, &g), 0);
	return g;
}

/* {bootmgr}'s device in a Windows 10 store (ESP {236538dd-...} on disk
 * {d148fb7c-...}). */
static void test_gpt_device(void **state)
{
	(void)state;
	static const uint8_t want[0x58] = {
		[0x10] = 0x06, [0x18] = 0x48,
		[0x20] = 0xdd, 0x38, 0x65, 0x23, 0x03, 0x11, 0x4b, 0x42, 0x80, 0xef, 0xc5, 0x48, 0x41, 0xd0, 0xa4, 0x45,
		[0x38] = 0x7c, 0xfb, 0x48, 0xd1, 0x81, 0xbe, 0x12, 0x4d, 0x8d, 0xcf, 0x62, 0x26, 0x02, 0x99, 0xab, 0xde,
	};
	struct ib_guid disk = guid("d148fb7c-be81-4d12-8dcf-62260299abde");
	struct ib_guid part = guid("236538dd-1103-424b-80ef-c54841d0a445");
	uint8_t got[0x60];
	assert_int_equal(ib_bcd_gpt_device(got, sizeof got, &disk, &part), 0x58);
	assert_memory_equal(got, want, 0x58);
	assert_int_equal(ib_bcd_gpt_device(got, 0x57, &disk, &part), 0);
}

struct fx {
	char *dir, *tmpl, *store;
};

static int setup(void **state)
{
	struct fx *f = ib_xcalloc(1, sizeof(*f));
	f->dir = ut_tmpdir_make("bcd");
	if (!f->dir)
		return -1;
	f->tmpl = ib_path_join(f->dir, "BCD-Template");
	f->store = ib_path_join(f->dir, "BCD");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ib_rm_rf(f->dir);
	free(f->dir);
	free(f->tmpl);
	free(f->store);
	free(f);
	return 0;
}

#define GLOBALSETTINGS "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"
#define BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define TEMPLATE_OS "{b012b84d-c47c-4ed5-b722-c0c42163e569}"

/* A template like Windows' own: Description, Objects with {globalsettings}
 * (and an old {bootmgr} whose stray element must not survive). */
static void make_template(struct fx *f, bool objects)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "BCD-Template", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ut_ok(ib_hive_set_sz(h, "Description", "KeyName", "BCD00000001", &err), &err);
	if (objects) {
		ut_ok(ib_hive_set_dword(h, "Objects\\" GLOBALSETTINGS "\\Description", "Type", 0x20100000, &err), &err);
		ut_ok(ib_hive_set_sz(h, "Objects\\" GLOBALSETTINGS "\\Elements\\12000005", "Element", "en-US", &err), &err);
		ut_ok(ib_hive_set_dword(h, "Objects\\" BOOTMGR "\\Description", "Type", 0x10100002, &err), &err);
		ut_ok(ib_hive_set_sz(h, "Objects\\" BOOTMGR "\\Elements\\22000099", "Element", "stale", &err), &err);
		/* Setup-template parts bcdboot drops: a class-4 element of a
		 * settings object, and a template OS loader object. */
		ut_ok(ib_hive_set_sz(h, "Objects\\" GLOBALSETTINGS "\\Elements\\42000002", "Element", "\\x", &err), &err);
		ut_ok(ib_hive_set_dword(h, "Objects\\" TEMPLATE_OS "\\Description", "Type", 0x10200003, &err), &err);
	}
	ut_ok(ib_hive_commit(h, f->tmpl, &err), &err);
	ib_hive_close(h);
}

static struct ib_bcd_params params(const struct fx *f)
{
	return (struct ib_bcd_params){
		.template_path = f->tmpl,
		.out_path = f->store,
		.disk_guid = guid("d148fb7c-be81-4d12-8dcf-62260299abde"),
		.esp_guid = guid("236538dd-1103-424b-80ef-c54841d0a445"),
		.win_guid = guid("ecd43012-88cf-4f80-a8de-8d3719d0653a"),
		.loader_id = guid("11111111-2222-4333-8444-555555555555"),
		.resume_id = guid("66666666-7777-4888-8999-aaaaaaaaaaaa"),
		.locale = "en-US",
		.description = "Windows 10",
		.loader_path = "\\Windows\\system32\\winload.efi",
		.resume_path = "\\Windows\\system32\\winresume.efi",
		.bootmgr_path = "\\EFI\\Microsoft\\Boot\\bootmgfw.efi",
		.memtest_path = "\\EFI\\Microsoft\\Boot\\memtest.efi",
		.timeout = 30,
	};
}

#define LOADER "{11111111-2222-4333-8444-555555555555}"
#define RESUME "{66666666-7777-4888-8999-aaaaaaaaaaaa}"

static void test_store(void **state)
{
	struct fx *f = *state;
	if (!ut_have_hivexget())
		skip();
	make_template(f, true);
	struct ib_bcd_params bp = params(f);
	struct ib_error err = {0};
	ut_ok(ib_bcd_make(&bp, &err), &err);
	unsigned n = 0;
	ut_ok(ib_bcd_verify(&bp, &n, &err), &err);
	assert_true(n > 40);
	assert_hivexget(f->store, "\\Description", "\"KeyName\"=\"BCD00000000\"");
	assert_hivexget(f->store, "\\Objects\\" BOOTMGR "\\Description", "\"Type\"=dword:10100002");
	assert_hivexget(f->store, "\\Objects\\" LOADER "\\Description", "\"Type\"=dword:10200003");
	assert_hivexget(f->store, "\\Objects\\" RESUME "\\Description", "\"Type\"=dword:10200004");
	assert_hivexget(f->store, "\\Objects\\" BOOTMGR "\\Elements\\23000003", "\"Element\"=\"" LOADER "\"");
	assert_hivexget(f->store, "\\Objects\\" BOOTMGR "\\Elements\\12000002",
			"\"Element\"=\"\\\\EFI\\\\Microsoft\\\\Boot\\\\bootmgfw.efi\"");
	assert_hivexget(f->store, "\\Objects\\" LOADER "\\Elements\\22000002", "\"Element\"=\"\\\\Windows\"");
	/* Lowercase element keys, as Windows writes them. */
	assert_hivexget(f->store, "\\Objects\\" LOADER "\\Elements\\250000c2",
			"\"Element\"=hex(3):01,00,00,00,00,00,00,00");
	assert_hivexget(f->store, "\\Objects\\" LOADER "\\Elements\\17000077",
			"\"Element\"=hex(3):75,00,00,15,00,00,00,00");
	/* The template's own settings are kept; the old {bootmgr} is replaced whole. */
	assert_hivexget(f->store, "\\Objects\\" GLOBALSETTINGS "\\Elements\\12000005", "\"Element\"=\"en-US\"");
	char *stale = ut_hivexget_key(f->store, "\\Objects\\" BOOTMGR "\\Elements\\22000099");
	assert_null(stale);
	stale = ut_hivexget_key(f->store, "\\Objects\\" GLOBALSETTINGS "\\Elements\\42000002");
	assert_null(stale);
	stale = ut_hivexget_key(f->store, "\\Objects\\" TEMPLATE_OS "\\Description");
	assert_null(stale);
	/* Devices: the ESP for the boot manager, the Windows partition for the loader. */
	struct ib_hive *h = ib_hive_open(f->store, "BCD", 0, &err);
	assert_non_null(h);
	struct ib_reg_value v = {0};
	assert_int_equal(ib_hive_get_value(h, "Objects\\" LOADER "\\Elements\\21000001", "Element", &v, &err), 1);
	uint8_t want[0x58];
	ib_bcd_gpt_device(want, sizeof want, &bp.disk_guid, &bp.win_guid);
	assert_int_equal(v.len, 0x58);
	assert_memory_equal(v.data, want, 0x58);
	ib_reg_value_free(&v);
	ib_hive_close(h);
}

static void test_legacy(void **state)
{
	struct fx *f = *state;
	make_template(f, true);
	struct ib_bcd_params bp = params(f);
	bp.legacy = true;
	struct ib_error err = {0};
	ut_ok(ib_bcd_make(&bp, &err), &err);
	struct ib_hive *h = ib_hive_open(f->store, "BCD", 0, &err);
	assert_non_null(h);
	/* Windows 7's loader knows no bootmenupolicy or isolatedcontext. */
	assert_int_equal(ib_hive_key_exists(h, "Objects\\" LOADER "\\Elements\\250000c2", &err), 0);
	assert_int_equal(ib_hive_key_exists(h, "Objects\\" LOADER "\\Elements\\16000060", &err), 0);
	assert_int_equal(ib_hive_key_exists(h, "Objects\\" LOADER "\\Elements\\21000001", &err), 1);
	ib_hive_close(h);
}

static void test_not_a_store(void **state)
{
	struct fx *f = *state;
	make_template(f, false);
	struct ib_bcd_params bp = params(f);
	struct ib_error err = {0};
	assert_int_equal(ib_bcd_make(&bp, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "no Objects key"));
	assert_false(ut_file_exists(f->store));
	ib_error_clear(&err);
	/* Not a hive at all: exit 2 with the byte offset. */
	assert_int_equal(ut_write_all(f->tmpl, "not a hive, just text", 21), 0);
	assert_int_equal(ib_bcd_make(&bp, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_gpt_device),
	};
	const struct CMUnitTest hives[] = {
		cmocka_unit_test_setup_teardown(test_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_store, setup, teardown),
	};
	int r = cmocka_run_group_tests(plain, NULL, NULL);
	minimal = ut_hive_fixture_minimal();
	if (!minimal)
		return r ? r : 77;
	return r + cmocka_run_group_tests(hives, NULL, NULL);
}
