// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows detection: SOFTWARE hives built from the fixture with the values
 * Windows 7, 10, 11 and Server 2022 have, read back into the virtio-win
 * folder name; the current control set from SYSTEM\Select; the version
 * table; the PE machine field of synthetic headers, with byte offsets for
 * the broken ones. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "windows/detect.h"
#include "windows/winver.h"
#include "tests/unit/support/hive.h"

static const char *minimal;

#define CV "Microsoft\\Windows NT\\CurrentVersion"

/* A scratch directory per test. */
static int setup(void **state) { return ut_dirfx_setup(state, "winver"); }
static int teardown(void **state) { return ut_dirfx_teardown(state); }

struct sw_spec {
	const char *product, *edition, *install_type, *current_version, *build;
	int major; /* -1: no CurrentMajorVersionNumber/CurrentMinorVersionNumber */
	int minor;
};

/* A SOFTWARE hive with the CurrentVersion values of spec, committed to a
 * file and re-opened read-only, as the injector would find it. */
static struct ib_hive *software_hive(struct ut_dirfx *f, const char *name, const struct sw_spec *s)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "SOFTWARE", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	ut_ok(ib_hive_set_sz(h, CV, "ProductName", s->product, &err), &err);
	if (s->edition)
		ut_ok(ib_hive_set_sz(h, CV, "EditionID", s->edition, &err), &err);
	if (s->install_type)
		ut_ok(ib_hive_set_sz(h, CV, "InstallationType", s->install_type, &err), &err);
	ut_ok(ib_hive_set_sz(h, CV, "CurrentVersion", s->current_version, &err), &err);
	ut_ok(ib_hive_set_sz(h, CV, "CurrentBuild", s->build, &err), &err);
	ut_ok(ib_hive_set_sz(h, CV, "CurrentBuildNumber", s->build, &err), &err);
	if (s->major >= 0) {
		ut_ok(ib_hive_set_dword(h, CV, "CurrentMajorVersionNumber", (uint32_t)s->major, &err), &err);
		ut_ok(ib_hive_set_dword(h, CV, "CurrentMinorVersionNumber", (uint32_t)s->minor, &err), &err);
	}
	_cleanup_free_ char *path = ib_path_join(f->dir, name);
	ut_ok(ib_hive_commit(h, path, &err), &err);
	ib_hive_close(h);
	h = ib_hive_open(path, "SOFTWARE", 0, &err);
	assert_non_null(h);
	return h;
}

static void check_version(struct ut_dirfx *f, const struct sw_spec *s, unsigned major, unsigned minor, unsigned build,
			  bool server, const char *dir)
{
	struct ib_error err = {0};
	struct ib_hive *h = software_hive(f, "SOFTWARE", s);
	struct ib_winver v;
	ut_ok(ib_winver_read(h, &v, &err), &err);
	assert_int_equal(v.major, major);
	assert_int_equal(v.minor, minor);
	assert_int_equal(v.build, build);
	assert_int_equal(v.server, server);
	assert_string_equal(v.product_name, s->product);
	assert_non_null(v.virtio_dir);
	assert_string_equal(v.virtio_dir, dir);
	ib_winver_free(&v);
	ib_hive_close(h);
}

static void test_detect_versions(void **state)
{
	struct ut_dirfx *f = *state;
	const struct sw_spec win7 = {"Windows 7 Professional", "Professional", "Client", "6.1", "7601", -1, 0};
	check_version(f, &win7, 6, 1, 7601, false, "w7");
	/* Windows 10 keeps CurrentVersion "6.3" for old programs: the DWORDs win. */
	const struct sw_spec win10 = {"Windows 10 Pro", "Professional", "Client", "6.3", "19045", 10, 0};
	check_version(f, &win10, 10, 0, 19045, false, "w10");
	/* Windows 11 still says "Windows 10" in ProductName: the build decides. */
	const struct sw_spec win11 = {"Windows 10 Pro", "Professional", "Client", "6.3", "22631", 10, 0};
	check_version(f, &win11, 10, 0, 22631, false, "w11");
	const struct sw_spec s2022 = {"Windows Server 2022 Standard", "ServerStandard", "Server", "6.3", "20348", 10, 0};
	check_version(f, &s2022, 10, 0, 20348, true, "2k22");
	const struct sw_spec core = {"Windows Server 2019 Datacenter", "ServerDatacenter", "Server Core", "6.3", "17763",
				     10, 0};
	check_version(f, &core, 10, 0, 17763, true, "2k19");
	/* 2008 R2 without InstallationType: the edition says server. */
	const struct sw_spec r2 = {"Windows Server 2008 R2 Standard", "ServerStandard", NULL, "6.1", "7601", -1, 0};
	check_version(f, &r2, 6, 1, 7601, true, "2k8R2");
	const struct sw_spec w81 = {"Windows 8.1 Pro", "Professional", "Client", "6.3", "9600", -1, 0};
	check_version(f, &w81, 6, 3, 9600, false, "w8.1");
}

static void expect_input_error(int r, struct ib_error *err, const char *want)
{
	if (r == 0 || !err->msg || !strstr(err->msg, want))
		print_error("wanted an input error containing \"%s\", got %d: %s\n", want, r,
			    err->msg ? err->msg : "(none)");
	assert_int_equal(r, -1);
	assert_int_equal(err->exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err->msg, want));
	ib_error_clear(err);
}

static void test_detect_errors(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	struct ib_winver v;
	/* The fixture has no CurrentVersion key at all. */
	struct ib_hive *h = ib_hive_open(minimal, "SOFTWARE", 0, &err);
	assert_non_null(h);
	expect_input_error(ib_winver_read(h, &v, &err), &err, "has no key Microsoft\\Windows NT\\CurrentVersion");
	ib_hive_close(h);
	const struct sw_spec bad = {"Windows ?", NULL, NULL, "six", "1", -1, 0};
	h = software_hive(f, "bad", &bad);
	expect_input_error(ib_winver_read(h, &v, &err), &err, "CurrentVersion is \"six\", not MAJOR.MINOR");
	ib_hive_close(h);
	const struct sw_spec badbuild = {"Windows 10", NULL, NULL, "6.3", "19045a", 10, 0};
	h = software_hive(f, "badbuild", &badbuild);
	expect_input_error(ib_winver_read(h, &v, &err), &err, "\"19045a\", not a number");
	ib_hive_close(h);
}

static struct ib_hive *system_hive(struct ut_dirfx *f, int current, bool with_set)
{
	struct ib_error err = {0};
	struct ib_hive *h = ib_hive_open(minimal, "SYSTEM", IB_HIVE_WRITE, &err);
	assert_non_null(h);
	if (current >= 0)
		ut_ok(ib_hive_set_dword(h, "Select", "Current", (uint32_t)current, &err), &err);
	if (with_set)
		ut_ok(ib_hive_create_key(h, "ControlSet002\\Services", NULL, &err), &err);
	_cleanup_free_ char *path = ib_path_join(f->dir, "SYSTEM");
	ut_ok(ib_hive_commit(h, path, &err), &err);
	ib_hive_close(h);
	h = ib_hive_open(path, "SYSTEM", 0, &err);
	assert_non_null(h);
	return h;
}

static void test_control_set(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	char *cs = NULL;
	struct ib_hive *h = system_hive(f, 2, true);
	ut_ok(ib_winver_control_set(h, &cs, &err), &err);
	assert_string_equal(cs, "ControlSet002");
	free(cs);
	ib_hive_close(h);

	h = system_hive(f, 1, true); /* Select says 1, only 002 exists */
	expect_input_error(ib_winver_control_set(h, &cs, &err), &err, "but the hive has no key ControlSet001");
	ib_hive_close(h);
	h = system_hive(f, -1, true);
	expect_input_error(ib_winver_control_set(h, &cs, &err), &err, "has no value Select\\Current");
	ib_hive_close(h);
	h = system_hive(f, 0, true);
	expect_input_error(ib_winver_control_set(h, &cs, &err), &err, "Current is 0");
	ib_hive_close(h);
}

static void test_virtio_table(void **state)
{
	(void)state;
	static const struct {
		unsigned major, minor, build;
		bool server;
		const char *product, *dir;
	} t[] = {
		{5, 1, 2600, false, "Microsoft Windows XP", "xp"},
		{5, 2, 3790, true, "Microsoft Windows Server 2003", "2k3"},
		{5, 2, 3790, false, "Microsoft Windows XP Professional x64", "xp"},
		{6, 0, 6002, false, "Windows Vista", "2k8"},
		{6, 1, 7601, false, NULL, "w7"},
		{6, 1, 7601, true, NULL, "2k8R2"},
		{6, 2, 9200, false, NULL, "w8"},
		{6, 2, 9200, true, NULL, "2k12"},
		{6, 3, 9600, false, NULL, "w8.1"},
		{6, 3, 9600, true, NULL, "2k12R2"},
		{10, 0, 10240, false, NULL, "w10"},
		{10, 0, 19045, false, NULL, "w10"},
		{10, 0, 21999, false, NULL, "w10"},
		{10, 0, 22000, false, NULL, "w11"},
		{10, 0, 26100, false, NULL, "w11"},
		{10, 0, 14393, true, NULL, "2k16"},
		{10, 0, 17763, true, NULL, "2k19"},
		{10, 0, 20348, true, NULL, "2k22"},
		{10, 0, 26100, true, NULL, "2k25"},
		{10, 0, 0, true, "Windows Server 2025 Datacenter", "2k25"},
		{10, 0, 0, true, "Windows Server 2019 Standard", "2k19"},
		/* The product name's year wins over the build thresholds. */
		{10, 0, 20348, true, "Windows Server 2025 Datacenter", "2k25"},
		{10, 0, 26100, true, "Windows Server 2022 Standard", "2k22"},
		{10, 0, 17763, true, "Windows Server 2016 Datacenter", "2k16"},
		{6, 4, 9841, false, NULL, NULL},
		{11, 0, 30000, false, NULL, NULL},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(t); i++) {
		const char *d = ib_winver_virtio_dir(t[i].major, t[i].minor, t[i].build, t[i].server, t[i].product);
		if (!t[i].dir) {
			assert_null(d);
			continue;
		}
		if (!d || strcmp(d, t[i].dir) != 0)
			print_error("%u.%u build %u server %d: got %s, want %s\n", t[i].major, t[i].minor, t[i].build,
				    t[i].server, d ? d : "NULL", t[i].dir);
		assert_non_null(d);
		assert_string_equal(d, t[i].dir);
	}
}

/* A minimal PE: MZ, e_lfanew = lfanew, "PE\0\0", Machine. */
static size_t make_pe(uint8_t *buf, size_t cap, uint32_t lfanew, uint16_t machine)
{
	memset(buf, 0, cap);
	buf[0] = 'M', buf[1] = 'Z';
	ib_put_le32(buf + 0x3c, lfanew);
	memcpy(buf + lfanew, "PE\0\0", 4);
	ib_put_le16(buf + lfanew + 4, machine);
	return lfanew + 24; /* the rest of the COFF header, zero */
}

static void test_pe(void **state)
{
	struct ut_dirfx *f = *state;
	struct ib_error err = {0};
	uint8_t b[512];
	enum ib_win_arch a;
	const struct {
		uint16_t machine;
		enum ib_win_arch arch;
		const char *name, *dir;
	} good[] = {
		{0x8664, IB_WIN_ARCH_AMD64, "amd64", "amd64"},
		{0x14c, IB_WIN_ARCH_X86, "x86", "x86"},
		{0xaa64, IB_WIN_ARCH_ARM64, "arm64", "ARM64"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(good); i++) {
		size_t n = make_pe(b, sizeof(b), 0xf8, good[i].machine);
		ut_ok(ib_winver_pe_arch(b, n, "cmd.exe", &a, &err), &err);
		assert_int_equal(a, good[i].arch);
		assert_string_equal(ib_win_arch_name(a), good[i].name);
		assert_string_equal(ib_win_arch_virtio_dir(a), good[i].dir);
		/* The file reader agrees. */
		_cleanup_free_ char *p = ib_path_join(f->dir, "cmd.exe");
		assert_int_equal(ut_write_all(p, b, n), 0);
		a = (enum ib_win_arch)-1;
		ut_ok(ib_winver_pe_arch_file(p, "cmd.exe", &a, &err), &err);
		assert_int_equal(a, good[i].arch);
	}

	size_t n = make_pe(b, sizeof(b), 0x80, 0x8664);
	expect_input_error(ib_winver_pe_arch(b, 0x20, "cmd.exe", &a, &err), &err,
			   "cmd.exe at byte 0x20: the file ends inside the 64-byte DOS header");
	expect_input_error(ib_winver_pe_arch(b, 0x85, "cmd.exe", &a, &err), &err,
			   "cmd.exe at byte 0x3c: e_lfanew 0x80 points past the end of the file (133 bytes)");
	ib_put_le32(b + 0x3c, 0xfffffff0u); /* must not wrap around */
	expect_input_error(ib_winver_pe_arch(b, n, "cmd.exe", &a, &err), &err, "at byte 0x3c: e_lfanew 0xfffffff0");
	make_pe(b, sizeof(b), 0x80, 0x8664);
	b[0x81] = 'X';
	expect_input_error(ib_winver_pe_arch(b, n, "cmd.exe", &a, &err), &err, "cmd.exe at byte 0x80: no 'PE' signature");
	make_pe(b, sizeof(b), 0x80, 0x1c4);
	expect_input_error(ib_winver_pe_arch(b, n, "cmd.exe", &a, &err), &err,
			   "cmd.exe at byte 0x84: machine type 0x01c4 (ARMv7 Thumb-2: Windows RT)");
	make_pe(b, sizeof(b), 0x80, 0x8664);
	b[0] = 'Z';
	expect_input_error(ib_winver_pe_arch(b, n, "cmd.exe", &a, &err), &err, "cmd.exe at byte 0x0: no 'MZ' signature");
	expect_input_error(ib_winver_pe_arch(b, 0, "cmd.exe", &a, &err), &err, "at byte 0x0");

	/* Truncated files through the file reader. */
	make_pe(b, sizeof(b), 0x100, 0x8664);
	_cleanup_free_ char *p = ib_path_join(f->dir, "short.exe");
	assert_int_equal(ut_write_all(p, b, 0x102), 0);
	expect_input_error(ib_winver_pe_arch_file(p, "short.exe", &a, &err), &err,
			   "short.exe at byte 0x3c: e_lfanew 0x100 points past the end of the file (258 bytes)");
	assert_int_equal(ut_write_all(p, b, 0x30), 0);
	expect_input_error(ib_winver_pe_arch_file(p, "short.exe", &a, &err), &err, "short.exe at byte 0x30");
}

static void test_boot_ini(void **state)
{
	(void)state;
	static const char ini[] = "[boot loader]\r\n"
				  "timeout=30\r\n"
				  "default=multi(0)disk(0)rdisk(0)partition(1)\\WINXP\r\n"
				  "[operating systems]\r\n"
				  "multi(0)disk(0)rdisk(0)partition(1)\\WINXP=\"Windows XP\" /fastdetect\r\n";
	char *r = ib_win_boot_ini_root(ini);
	assert_non_null(r);
	assert_string_equal(r, "/WINXP");
	free(r);
	assert_null(ib_win_boot_ini_root("[operating systems]\ndefault=multi(0)disk(0)rdisk(0)partition(1)\\X\n"));
	assert_null(ib_win_boot_ini_root("[boot loader]\ntimeout=3\n"));
	assert_null(ib_win_boot_ini_root(""));
}

int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test(test_virtio_table),
		cmocka_unit_test(test_boot_ini),
		cmocka_unit_test_setup_teardown(test_pe, setup, teardown),
	};
	const struct CMUnitTest hives[] = {
		cmocka_unit_test_setup_teardown(test_detect_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_set, setup, teardown),
	};
	int r = cmocka_run_group_tests(plain, NULL, NULL);
	minimal = ut_hive_fixture_minimal();
	if (!minimal) /* SKIP printed: the hive tests cannot run */
		return r ? r : 77;
	return r + cmocka_run_group_tests(hives, NULL, NULL);
}
