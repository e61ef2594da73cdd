// SPDX-License-Identifier: GPL-2.0-or-later
/* Boot-driver registry plans applied to synthetic SYSTEM/SOFTWARE hives
 * (built from the fixture), committed and verified by ib_regedit_apply, then
 * checked value by value with the independent hivexget: the pre-Windows-8
 * CriticalDeviceDatabase variant and the DriverDatabase variant for viostor,
 * StartOverride removal, DevicePath, the change report, and the failure
 * paths (corrupt input, unwritable output, a verification mismatch): the
 * input hive stays byte-identical and no output is left behind. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "windows/regedit.h"
#include "windows/regplan.h"
#include "tests/unit/support/hive.h"

static const char *minimal;

#define VIOSTOR_LEGACY "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00"
#define VIOSTOR_MODERN "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01"
#define VIOSTOR_SHORT "PCI\\VEN_1AF4&DEV_1001"
#define LABEL "guestor.inf_amd64_0000000000000000"
#define PKG "DriverDatabase\\DriverPackages\\" LABEL

struct fx {
	char *dir;
	char *system, *software, *out;
};

static int setup(void **state)
{
	struct fx *f = ib_xcalloc(1, sizeof(*f));
	f->dir = ut_tmpdir_make("regedit");
	if (!f->dir)
		return -1;
	f->system = ib_path_join(f->dir, "SYSTEM");
	f->software = ib_path_join(f->dir, "SOFTWARE");
	f->out = ib_path_join(f->dir, "SYSTEM.ib-new");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ib_rm_rf(f->dir);
	free(f->dir);
	free(f->system);
	free(f->software);
	free(f->out);
	free(f);
	return 0;
}

/* A SYSTEM hive like an installed Windows: Select\Current = cs, the control
 * set's Services and Control keys, an old viostor service with Start=3 and
 * a StartOverride subkey; DriverDatabase when ddb. */
static void make_system(struct fx *f, unsigned cs, bool ddb)
{
	struct ib_error err = {0};
	char set[32];
	snprintf(set, sizeof(set), "ControlSet%03u", cs);
	struct ib_hive *h = ib_hive_open(minimal, "SYSTEM", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ut_ok(ib_hive_set_dword(h, "Select", "Current", cs, &err), &err);
	ut_ok(ib_hive_set_dword(h, "Select", "Default", cs, &err), &err);
	_cleanup_free_ char *svc = ib_xasprintf("%s\\Services\\viostor", set);
	_cleanup_free_ char *so = ib_xasprintf("%s\\StartOverride", svc);
	_cleanup_free_ char *ctl = ib_xasprintf("%s\\Control\\Class", set);
	_cleanup_free_ char *cddb = ib_xasprintf("%s\\Control\\CriticalDeviceDatabase", set);
	ut_ok(ib_hive_set_dword(h, svc, "Start", 3, &err), &err);
	ut_ok(ib_hive_set_dword(h, so, "0", 3, &err), &err);
	ut_ok(ib_hive_create_key(h, ctl, NULL, &err), &err);
	if (ddb)
		ut_ok(ib_hive_create_key(h, "DriverDatabase\\DeviceIds\\PCI", NULL, &err), &err);
	else
		ut_ok(ib_hive_create_key(h, cddb, NULL, &err), &err);
	ut_ok(ib_hive_commit(h, f->system, &err), &err);
	ib_hive_close(h);
}

static void make_software(struct fx *f)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "SOFTWARE", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ut_ok(ib_hive_set_expand_sz(h, "Microsoft\\Windows\\CurrentVersion", "DevicePath", "%SystemRoot%\\inf", &err),
	   &err);
	ut_ok(ib_hive_commit(h, f->software, &err), &err);
	ib_hive_close(h);
}

static const char *const HWIDS[] = {VIOSTOR_LEGACY, VIOSTOR_MODERN, VIOSTOR_SHORT};
/* Two hardware ids, then a compatible id (its DeviceIds rank byte is 02). */
static const bool HWID_IS_FIRST[] = {true, true, false};

static void viostor_plan(enum ib_regplan_pnp pnp, struct ib_reg_edits *e)
{
	struct ib_error err = {0};
	struct ib_regplan_boot b = {
		.svc = {.name = "viostor", .type = 1, .error_control = 1,
			.image_path = "system32\\drivers\\viostor.sys", .group = "SCSI miniport"},
		.hwids = HWIDS,
		.n_hwids = IB_ARRAY_SIZE(HWIDS),
		.hwid_is_first = HWID_IS_FIRST,
		.class_guid = "{4d36e97b-e325-11ce-bfc1-08002be10318}",
		.pnp = pnp,
		.arch = IB_WIN_ARCH_AMD64,
	};
	ut_ok(ib_regplan_boot_driver(&b, e, &err), &err);
}

/* `"name"=hex(T):xx,xx,...` as hivexget prints non-string values. */
static char *hex_line(const char *name, int type, const uint8_t *d, size_t n)
{
	struct ib_buf b = {0};
	ib_buf_printf(&b, "\"%s\"=hex(%d):", name, type);
	for (size_t i = 0; i < n; i++)
		ib_buf_printf(&b, "%s%02x", i ? "," : "", d[i]);
	return ib_buf_steal(&b);
}

static char *multi_line(const char *name, const char *s)
{
	struct ib_error err = {0};
	uint8_t *d;
	size_t n;
	const char *l[] = {s};
	assert_int_equal(ib_reg_encode_multi_sz(l, 1, &d, &n, &err), 0);
	char *line = hex_line(name, 7, d, n);
	free(d);
	return line;
}

static bool change_has(const struct ib_reg_changes *c, const char *line)
{
	for (size_t i = 0; i < c->list.n; i++) {
		_cleanup_free_ char *s = ib_reg_change_format(&c->list.v[i]);
		if (strcmp(s, line) == 0)
			return true;
	}
	for (size_t i = 0; i < c->list.n; i++) {
		_cleanup_free_ char *s = ib_reg_change_format(&c->list.v[i]);
		print_message("  change: %s\n", s);
	}
	print_error("no change line: %s\n", line);
	return false;
}

static void check_service(const char *hive, const char *set)
{
	_cleanup_free_ char *svc = ib_xasprintf("%s\\Services\\viostor", set);
	_cleanup_free_ char *so = ib_xasprintf("%s\\StartOverride", svc);
	assert_hivexget(hive, svc, "\"Type\"=dword:00000001");
	assert_hivexget(hive, svc, "\"Start\"=dword:00000000");
	assert_hivexget(hive, svc, "\"ErrorControl\"=dword:00000001");
	assert_hivexget(hive, svc, "\"ImagePath\"=str(2):\"system32\\\\drivers\\\\viostor.sys\"");
	assert_hivexget(hive, svc, "\"Group\"=\"SCSI miniport\"");
	char *gone = ut_hivexget_key(hive, so);
	assert_null(gone);
}

static void test_cddb(void **state)
{
	struct fx *f = *state;
	struct ib_error err = {0};
	assert_int_equal(ib_regplan_pnp_for(6, 1), IB_REGPLAN_CDDB);
	make_system(f, 2, false); /* Select\Current = 2: CurrentControlSet is ControlSet002 */
	_cleanup_free_ char *copy = ib_path_join(f->dir, "SYSTEM.orig");
	uint8_t *b;
	size_t n;
	assert_int_equal(ut_read_all(f->system, &b, &n), 0);
	assert_int_equal(ut_write_all(copy, b, n), 0);
	free(b);

	struct ib_reg_edits e = {0};
	viostor_plan(IB_REGPLAN_CDDB, &e);
	struct ib_reg_changes ch = {0};
	assert_int_equal(ib_regedit_apply("SYSTEM", f->system, f->out, &e, 0, &ch, &err), 1);
	assert_true(ut_same_bytes(f->system, copy)); /* the input is never written */
	if (ut_have_hivexget()) {
		check_service(f->out, "ControlSet002");
		for (size_t i = 0; i < IB_ARRAY_SIZE(HWIDS); i++) {
			_cleanup_free_ char *id = ib_xstrdup(HWIDS[i]);
			*strchr(id, '\\') = '#';
			_cleanup_free_ char *k = ib_xasprintf("ControlSet002\\Control\\CriticalDeviceDatabase\\%s", id);
			assert_hivexget(f->out, k, "\"Service\"=\"viostor\"");
			assert_hivexget(f->out, k, "\"ClassGUID\"=\"{4D36E97B-E325-11CE-BFC1-08002BE10318}\"");
		}
		char *none = ut_hivexget_key(f->out, "DriverDatabase");
		assert_null(none);
		none = ut_hivexget_key(f->out, "ControlSet001");
		assert_null(none);
	}
	assert_true(change_has(&ch, "SYSTEM\\ControlSet002\\Services\\viostor: Start = REG_DWORD 0x00000000 (0) "
				    "(was REG_DWORD 0x00000003 (3))"));
	assert_true(change_has(&ch, "SYSTEM\\ControlSet002\\Services\\viostor\\StartOverride: key deleted"));
	assert_true(change_has(&ch, "SYSTEM\\ControlSet002\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1001: "
				    "key created"));
	assert_true(change_has(&ch, "SYSTEM\\ControlSet002\\Services\\viostor: ImagePath = REG_EXPAND_SZ "
				    "\"system32\\\\drivers\\\\viostor.sys\""));
	ib_reg_changes_free(&ch);

	/* Applying the same plan to the result changes nothing more. */
	_cleanup_free_ char *again = ib_path_join(f->dir, "SYSTEM.again");
	assert_int_equal(ib_regedit_apply("SYSTEM", f->out, again, &e, 0, &ch, &err), 1);
	assert_int_equal(ch.list.n, 0);
	ib_reg_changes_free(&ch);
	/* Edits for another hive are not applied here. */
	_cleanup_free_ char *none_out = ib_path_join(f->dir, "SOFTWARE.new");
	assert_int_equal(ib_regedit_apply("SOFTWARE", f->software, none_out, &e, 0, NULL, &err), 0);
	assert_false(ut_file_exists(none_out));
	ib_reg_edits_free(&e);
}

static void test_ddb(void **state)
{
	struct fx *f = *state;
	struct ib_error err = {0};
	assert_int_equal(ib_regplan_pnp_for(10, 0), IB_REGPLAN_DDB);
	assert_int_equal(ib_regplan_pnp_for(6, 2), IB_REGPLAN_DDB);
	make_system(f, 1, true);
	make_software(f);
	struct ib_reg_edits e = {0};
	viostor_plan(IB_REGPLAN_DDB, &e);
	ib_regplan_device_path(&e, "%SystemRoot%\\Drivers\\VirtIO");
	struct ib_reg_changes ch = {0};
	assert_int_equal(ib_regedit_apply("SYSTEM", f->system, f->out, &e, 0, &ch, &err), 1);
	_cleanup_free_ char *sw_out = ib_path_join(f->dir, "SOFTWARE.ib-new");
	assert_int_equal(ib_regedit_apply("SOFTWARE", f->software, sw_out, &e, 0, &ch, &err), 1);
	assert_true(change_has(&ch, "SOFTWARE\\Microsoft\\Windows\\CurrentVersion: DevicePath = REG_EXPAND_SZ "
				    "\"%SystemRoot%\\\\inf;%SystemRoot%\\\\Drivers\\\\VirtIO\" (was REG_EXPAND_SZ "
				    "\"%SystemRoot%\\\\inf\")"));
	ib_reg_changes_free(&ch);
	if (!ut_have_hivexget()) {
		ib_reg_edits_free(&e);
		skip();
	}
	check_service(f->out, "ControlSet001");
	const char *inf = "DriverDatabase\\DriverInfFiles\\guestor.inf";
	_cleanup_free_ char *l1 = multi_line("@", LABEL);
	_cleanup_free_ char *l2 = multi_line("Configurations", "guestor_conf");
	assert_hivexget(f->out, inf, l1);
	assert_hivexget(f->out, inf, "\"Active\"=\"" LABEL "\"");
	assert_hivexget(f->out, inf, l2);
	static const uint8_t ver[48] = {0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0xe9, 0x36, 0x4d,
					0x25, 0xe3, 0xce, 0x11, 0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18};
	_cleanup_free_ char *vl = hex_line("Version", 3, ver, sizeof(ver));
	assert_hivexget(f->out, PKG, vl);
	assert_hivexget(f->out, PKG "\\Configurations\\guestor_conf", "\"ConfigFlags\"=dword:00000000");
	assert_hivexget(f->out, PKG "\\Configurations\\guestor_conf", "\"Service\"=\"viostor\"");
	for (size_t i = 0; i < IB_ARRAY_SIZE(HWIDS); i++) {
		_cleanup_free_ char *ids = ib_xasprintf("DriverDatabase\\DeviceIds\\%s", HWIDS[i]);
		_cleanup_free_ char *desc = ib_xasprintf(PKG "\\Descriptors\\%s", HWIDS[i]);
		assert_hivexget(f->out, ids, i < 2 ? "\"guestor.inf\"=hex(3):01,ff,00,00"
						 : "\"guestor.inf\"=hex(3):02,ff,00,00");
		assert_hivexget(f->out, desc, "\"Configuration\"=\"guestor_conf\"");
	}
	char *none = ut_hivexget_key(f->out, "ControlSet001\\Control\\CriticalDeviceDatabase");
	assert_null(none);
	assert_hivexget(sw_out, "Microsoft\\Windows\\CurrentVersion",
			"\"DevicePath\"=str(2):\"%SystemRoot%\\\\inf;%SystemRoot%\\\\Drivers\\\\VirtIO\"");
	/* Appending again leaves the list alone. */
	_cleanup_free_ char *sw2 = ib_path_join(f->dir, "SOFTWARE.2");
	assert_int_equal(ib_regedit_apply("SOFTWARE", sw_out, sw2, &e, 0, &ch, &err), 1);
	assert_int_equal(ch.list.n, 0);
	assert_hivexget(sw2, "Microsoft\\Windows\\CurrentVersion",
			"\"DevicePath\"=str(2):\"%SystemRoot%\\\\inf;%SystemRoot%\\\\Drivers\\\\VirtIO\"");
	ib_reg_edits_free(&e);
}

static void expect_fail(int r, struct ib_error *err, int code, const char *want)
{
	if (r != -1 || !err->msg || !strstr(err->msg, want))
		print_error("wanted exit %d containing \"%s\", got %d: %s\n", code, want, r, err->msg ? err->msg : "-");
	assert_int_equal(r, -1);
	assert_int_equal(err->exit_code, code);
	assert_non_null(strstr(err->msg, want));
	ib_error_clear(err);
}

static void test_failures(void **state)
{
	struct fx *f = *state;
	struct ib_error err = {0};
	make_system(f, 1, true);
	_cleanup_free_ char *copy = ib_path_join(f->dir, "SYSTEM.orig");
	uint8_t *b;
	size_t n;
	assert_int_equal(ut_read_all(f->system, &b, &n), 0);
	assert_int_equal(ut_write_all(copy, b, n), 0);
	struct ib_reg_edits e = {0};
	viostor_plan(IB_REGPLAN_DDB, &e);
	struct ib_reg_changes ch = {0};

	/* Output in a directory that does not exist: exit 1, nothing written. */
	_cleanup_free_ char *bad = ib_path_join(f->dir, "missing/SYSTEM.new");
	expect_fail(ib_regedit_apply("SYSTEM", f->system, bad, &e, 0, &ch, &err), &err, IB_EXIT_FAIL, "cannot write");
	assert_false(ut_file_exists(bad));
	assert_int_equal(ch.list.n, 0); /* no report of changes that did not happen */
	assert_true(ut_same_bytes(f->system, copy));

	/* A corrupt input: exit 2 with the offset, no output. */
	_cleanup_free_ char *corrupt = ib_path_join(f->dir, "SYSTEM.corrupt");
	b[0x1fc] ^= 1;
	assert_int_equal(ut_write_all(corrupt, b, n), 0);
	expect_fail(ib_regedit_apply("SYSTEM", corrupt, f->out, &e, 0, &ch, &err), &err, IB_EXIT_INPUT,
		    "SYSTEM hive at byte 0x1fc: header checksum");
	assert_false(ut_file_exists(f->out));
	free(b);

	/* CurrentControlSet in a hive without Select: exit 2, no output. */
	_cleanup_free_ char *nosel = ib_path_join(f->dir, "NOSEL");
	_cleanup_free_ char *nosel_out = ib_path_join(f->dir, "NOSEL.new");
	{
		struct ib_hive *h = ib_hive_open(minimal, "SYSTEM", IB_HIVE_WRITE, &err);
		assert_non_null(h);
		ut_ok(ib_hive_create_key(h, "ControlSet001", NULL, &err), &err);
		ut_ok(ib_hive_commit(h, nosel, &err), &err);
		ib_hive_close(h);
	}
	expect_fail(ib_regedit_apply("SYSTEM", nosel, nosel_out, &e, 0, &ch, &err), &err, IB_EXIT_INPUT,
		    "no value Select\\Current");
	assert_false(ut_file_exists(nosel_out));
	assert_int_equal(ch.list.n, 0);
	ib_reg_changes_free(&ch);

	/* Verification against a hive that another tool changed afterwards. */
	assert_int_equal(ib_regedit_apply("SYSTEM", f->system, f->out, &e, 0, NULL, &err), 1);
	ut_ok(ib_regedit_verify("SYSTEM", f->out, &e, 0, &err), &err);
	char *hivexsh = ib_which("hivexsh");
	if (hivexsh) {
		free(hivexsh);
		_cleanup_free_ char *script = ib_path_join(f->dir, "edit.hivexsh");
		_cleanup_free_ char *tampered = ib_path_join(f->dir, "SYSTEM.tampered");
		/* setval replaces all the key's values: give them back but Start. */
		_cleanup_free_ char *text = ib_xasprintf("cd \\ControlSet001\\Services\\viostor\nsetval 5\n"
							  "Type\ndword:0x00000001\nStart\ndword:0x00000003\n"
							  "ErrorControl\ndword:0x00000001\n"
							  "ImagePath\nexpandstring:system32\\drivers\\viostor.sys\n"
							  "Group\nstring:SCSI miniport\ncommit %s\n",
							  tampered);
		assert_int_equal(ut_write_all(script, text, strlen(text)), 0);
		const char *argv[] = {"hivexsh", "-w", "-f", script, f->out, NULL};
		ut_ok(ib_spawn(argv, NULL, NULL, &err), &err);
		expect_fail(ib_regedit_verify("SYSTEM", tampered, &e, 0, &err), &err, IB_EXIT_FAIL,
			    "verification of the written SYSTEM hive failed: SYSTEM\\ControlSet001\\Services\\viostor "
			    "value \"Start\": expected REG_DWORD 0x00000000 (0), found REG_DWORD 0x00000003 (3)");
	} else {
		printf("SKIP: hivexsh is not installed; the tampered-hive verification is not run\n");
	}
	ib_reg_edits_free(&e);

	/* Later edits decide: set-then-delete verifies as deleted, and a key
	 * deleted then recreated verifies as present. */
	struct ib_reg_edits e2 = {0};
	ib_reg_edits_set_dword(&e2, "SYSTEM", "CurrentControlSet\\Services\\x", "V", 1);
	ib_reg_edits_delete_value(&e2, "SYSTEM", "currentcontrolset\\services\\X", "v");
	ib_reg_edits_delete_key(&e2, "SYSTEM", "ControlSet001\\Services\\y");
	ib_reg_edits_set_dword(&e2, "SYSTEM", "ControlSet001\\Services\\y\\z", "W", 2);
	_cleanup_free_ char *o2 = ib_path_join(f->dir, "SYSTEM.e2");
	assert_int_equal(ib_regedit_apply("SYSTEM", f->system, o2, &e2, 0, NULL, &err), 1);
	if (ut_have_hivexget()) {
		char *x = ut_hivexget_key(o2, "ControlSet001\\Services\\x");
		assert_non_null(x);
		assert_null(strstr(x, "\"V\""));
		free(x);
		assert_hivexget(o2, "ControlSet001\\Services\\y\\z", "\"W\"=dword:00000002");
	}
	ib_reg_edits_free(&e2);
}

static void test_plan_errors(void **state)
{
	(void)state;
	struct ib_error err = {0};
	struct ib_reg_edits e = {0};
	const char *bad_ids[] = {"VEN_1AF4&DEV_1001"};
	struct ib_regplan_boot b = {
		.svc = {.name = "viostor", .type = 1, .error_control = 1, .image_path = "system32\\drivers\\viostor.sys"},
		.hwids = bad_ids,
		.n_hwids = 1,
	};
	expect_fail(ib_regplan_boot_driver(&b, &e, &err), &err, IB_EXIT_INPUT, "is not ENUMERATOR\\ID");
	b.hwids = HWIDS;
	b.class_guid = "{4d36e97b-e325-11ce-bfc1}";
	expect_fail(ib_regplan_boot_driver(&b, &e, &err), &err, IB_EXIT_INPUT, "class GUID");
	b.class_guid = NULL;
	b.n_hwids = 0;
	expect_fail(ib_regplan_boot_driver(&b, &e, &err), &err, IB_EXIT_INPUT, "no hardware ids");
	assert_int_equal(e.list.n, 0);
	/* Default class GUID, no Group: no Group edit, CDDB ClassGUID = SCSIAdapter. */
	b.n_hwids = 1;
	ut_ok(ib_regplan_boot_driver(&b, &e, &err), &err);
	bool group = false, guid = false;
	for (size_t i = 0; i < e.list.n; i++) {
		const struct ib_reg_edit *ed = &e.list.v[i];
		if (ed->name && strcmp(ed->name, "Group") == 0)
			group = true;
		if (ed->name && strcmp(ed->name, "ClassGUID") == 0) {
			_cleanup_free_ char *s = ib_reg_decode_sz(ed->data, ed->len);
			assert_string_equal(s, IB_REGPLAN_SCSI_ADAPTER_GUID);
			guid = true;
		}
	}
	assert_false(group);
	assert_true(guid);
	ib_reg_edits_free(&e);
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_plan_errors),
	};
	const struct CMUnitTest hives[] = {
		cmocka_unit_test_setup_teardown(test_cddb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ddb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};
	int r = cmocka_run_group_tests(plain, NULL, NULL);
	minimal = ut_hive_fixture_minimal();
	if (!minimal)
		return r ? r : 77;
	return r + cmocka_run_group_tests(hives, NULL, NULL);
}
