// SPDX-License-Identifier: GPL-2.0-or-later
/* Named guest tools: the table, the installer checks (MSI = OLE compound
 * file, EXE = PE image) on real-looking headers, and reading and extracting
 * an installer from an ISO written with libarchive in the virtio-win layout. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tests/unit/support/tmpdir.h"
#include "windows/guesttools.h"

static const uint8_t ole[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

static void fake_msi(uint8_t *b, size_t n)
{
	memset(b, 0, n);
	memcpy(b, ole, 8);
}

static void fake_exe(uint8_t *b, size_t n)
{
	memset(b, 0, n);
	b[0] = 'M', b[1] = 'Z';
	ib_put_le32(b + 0x3c, 0x80);
	memcpy(b + 0x80, "PE\0\0", 4);
}

static void test_table(void **state)
{
	(void)state;
	const struct ib_win_named_tool *q = ib_win_named_tool("qemu-ga");
	assert_non_null(q);
	assert_int_equal(q->kind, IB_WIN_INSTALLER_MSI);
	assert_string_equal(q->iso_member[IB_WIN_ARCH_AMD64], "guest-agent/qemu-ga-x86_64.msi");
	const struct ib_win_named_tool *v = ib_win_named_tool("VMware-Tools");
	assert_non_null(v);
	assert_string_equal(v->iso_args, "/S /v\"/qn REBOOT=R\"");
	assert_string_equal(v->iso_member[IB_WIN_ARCH_AMD64], "setup64.exe");
	assert_non_null(ib_win_named_tool("spice"));
	assert_null(ib_win_named_tool("qemu-agent"));
}

static void test_installer_check(void **state)
{
	(void)state;
	uint8_t b[4096];
	struct ib_error err = {0};
	fake_msi(b, sizeof b);
	assert_int_equal(ib_win_installer_check("x.msi", b, sizeof b, IB_WIN_INSTALLER_MSI, &err), 0);
	assert_int_equal(ib_win_installer_check("x.msi", b, sizeof b, IB_WIN_INSTALLER_EXE, &err), -1);
	assert_non_null(strstr(err.msg, "x.msi at byte 0x0: not a Windows program"));
	ib_error_clear(&err);
	fake_exe(b, sizeof b);
	assert_int_equal(ib_win_installer_check("s.exe", b, sizeof b, IB_WIN_INSTALLER_EXE, &err), 0);
	assert_int_equal(ib_win_installer_check("s.exe", b, sizeof b, IB_WIN_INSTALLER_MSI, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
	ib_put_le32(b + 0x3c, 0x10000); /* e_lfanew past what was read */
	assert_int_equal(ib_win_installer_check("s.exe", b, sizeof b, IB_WIN_INSTALLER_EXE, &err), -1);
	assert_non_null(strstr(err.msg, "s.exe at byte 0x3c: e_lfanew 0x10000"));
	ib_error_clear(&err);
}

static void add(struct archive *a, const char *path, const uint8_t *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void test_iso(void **state)
{
	(void)state;
	_cleanup_free_ char *dir = ut_tmpdir_make("guesttools");
	assert_non_null(dir);
	_cleanup_free_ char *iso = ib_path_join(dir, "virtio-win.iso");
	static uint8_t msi[8192], exe[8192];
	fake_msi(msi, sizeof msi);
	msi[5000] = 0x5a;
	fake_exe(exe, sizeof exe);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_iso9660(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, iso), ARCHIVE_OK);
	add(a, "guest-agent/qemu-ga-x86_64.msi", msi, sizeof msi);
	add(a, "virtio-win-guest-tools.exe", exe, sizeof exe);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);

	uint8_t head[4096];
	size_t got = 0;
	struct ib_error err = {0};
	assert_int_equal(ib_win_iso_head(iso, "GUEST-AGENT/qemu-ga-x86_64.msi", head, sizeof head, &got, &err), 1);
	assert_int_equal(got, sizeof head);
	assert_int_equal(ib_win_installer_check("qemu-ga", head, got, IB_WIN_INSTALLER_MSI, &err), 0);
	assert_int_equal(ib_win_iso_head(iso, "guest-agent/qemu-ga-i386.msi", head, sizeof head, &got, &err), 0);

	_cleanup_free_ char *dst = ib_path_join(dir, "out.msi");
	assert_int_equal(ib_win_iso_extract_file(iso, "guest-agent/qemu-ga-x86_64.msi", dst, &err), 0);
	uint8_t *back = NULL;
	size_t n = 0;
	assert_int_equal(ut_read_all(dst, &back, &n), 0);
	assert_int_equal(n, sizeof msi);
	assert_memory_equal(back, msi, n);
	free(back);
	assert_int_equal(ib_win_iso_extract_file(iso, "setup64.exe", dst, &err), -1);
	ib_error_clear(&err);

	/* Not an ISO at all: an input error naming it. */
	assert_int_equal(ib_win_iso_head(dst, "x", head, sizeof head, &got, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
	ib_rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_installer_check),
		cmocka_unit_test(test_iso),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
