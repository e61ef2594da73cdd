// SPDX-License-Identifier: GPL-2.0-or-later
/* The mount backend's pieces: temporary-name parsing and mount point
 * detection; and, as root with loop devices and FUSE, a real round trip
 * (mkntfs on the attached partition, ntfs-3g mount, files and times, close
 * unmounts and detaches) and the signal path: after SIGTERM the copy fails
 * with 143, close leaves the unmount and the detach on the undo stack, and
 * unwinding the stack releases both (ib_spawn runs while unwinding). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "fs/fs.h"
#include "platform/platform.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "core/util.h"

#include "tests/unit/support/tmpdir.h"
#include "vol/mount.h"
#include "vol/ntfs_mkfs_dev.h"
#include "vol/vol.h"

#define MiB (UINT64_C(1) << 20)

static char tmpdir[PATH_MAX];

static int setup_all(void **state)
{
	(void)state;
	return ut_tmpdir_into(tmpdir, sizeof(tmpdir), "mount") ? 0 : -1;
}

static int teardown_all(void **state)
{
	(void)state;
	ib_rm_rf(tmpdir);
	return 0;
}

static void test_tmp_name_pid(void **state)
{
	(void)state;
	const char *ext = NULL;
	assert_int_equal(ib_tmp_name_pid(".imgbuild-win.12345.work", &ext), 12345);
	assert_string_equal(ext, "work");
	assert_int_equal(ib_tmp_name_pid(".imgbuild-win.v1.2.77.qcow2", &ext), 77);
	assert_string_equal(ext, "qcow2");
	assert_int_equal(ib_tmp_name_pid(".imgbuild-win.work", &ext), 0);
	assert_int_equal(ib_tmp_name_pid(".imgbuild-.12.raw", &ext), 0);
	assert_int_equal(ib_tmp_name_pid(".imgbuild-win.12.", &ext), 0);
	assert_int_equal(ib_tmp_name_pid("imgbuild-win.12.raw", &ext), 0);
	assert_int_equal(ib_tmp_name_pid("win.raw", &ext), 0);
}

static void test_is_mountpoint(void **state)
{
	(void)state;
	assert_false(ib_is_mountpoint(tmpdir));
	_cleanup_free_ char *file = ib_path_join(tmpdir, "f");
	int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_false(ib_is_mountpoint(file));
	assert_false(ib_is_mountpoint("/nonexistent/imgbuild"));
	struct stat a, b;
	if (stat("/proc", &a) == 0 && stat("/", &b) == 0 && a.st_dev != b.st_dev)
		assert_true(ib_is_mountpoint("/proc"));
}

static bool can_mount(void)
{
	_cleanup_free_ char *ntfs3g = ib_which("ntfs-3g");
	_cleanup_free_ char *mkntfs = ib_which("mkntfs");
	if (geteuid() != 0 || access("/dev/loop-control", R_OK | W_OK) < 0 || access("/dev/fuse", R_OK | W_OK) < 0 ||
	    !ntfs3g || !mkntfs) {
		print_message("SKIP: needs root, /dev/loop-control, /dev/fuse, ntfs-3g and mkntfs\n");
		return false;
	}
	return true;
}

/* A work dir with a 64 MiB image whose partition 1 (1 MiB .. 33 MiB) holds
 * a fresh NTFS made through the device. */
struct fixture {
	char *work, *image, *src;
	struct ib_vol_target t;
	struct ib_undo undo;
};

static void fixture_make(struct fixture *f, const char *name)
{
	f->work = ib_xasprintf("%s/.imgbuild-%s.%ld.work", tmpdir, name, (long)getpid());
	assert_int_equal(mkdir(f->work, 0700), 0);
	f->image = ib_path_join(f->work, "disk.raw");
	int fd = open(f->image, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 * MiB), 0);
	close(fd);
	f->src = ib_path_join(f->work, "src.bin");
	fd = open(f->src, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	uint8_t buf[4096];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 7);
	for (int i = 0; i < 768; i++) /* 3 MiB: more than one write chunk */
		assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
	close(fd);
	f->t = (struct ib_vol_target){.image = f->image, .offset = MiB, .size = 32 * MiB, .sector_size = 512,
				      .work_dir = f->work, .number = 1, .table = IB_TABLE_GPT, .undo = &f->undo};
	struct ib_mkfs_args a = {.image = f->image, .work_dir = f->work, .offset = MiB, .size = 32 * MiB,
				 .sector_size = 512, .cluster_size = 4096, .label = "T", .ntfs_serial = 0x1122334455667788,
				 .undo = &f->undo};
	struct ib_error err = {0};
	int r = ib_ntfs_mkfs_dev(&a, 1, IB_TABLE_GPT, &err);
	if (r < 0)
		print_error("mkfs: %s\n", err.msg);
	assert_int_equal(r, 0);
	/* The device was detached and dropped from the stack. */
	for (size_t i = 0; i < f->undo.n; i++)
		assert_false(f->undo.v[i].active);
	/* Boot sector: NTFS, hidden sectors = 2048, the serial. */
	uint8_t bs[512];
	fd = open(f->image, O_RDONLY | O_CLOEXEC);
	assert_int_equal(ib_pread_all(fd, bs, sizeof bs, MiB), 0);
	close(fd);
	assert_memory_equal(bs + 3, "NTFS    ", 8);
	assert_int_equal(ib_get_le32(bs + 0x1C), 2048);
	assert_int_equal(ib_get_le16(bs + 0x18), 63);
	assert_int_equal(ib_get_le16(bs + 0x1A), 255);
	assert_true(ib_get_le64(bs + 0x48) == 0x1122334455667788);
}

static void fixture_free(struct fixture *f)
{
	ib_undo_clear(&f->undo);
	ib_rm_rf(f->work);
	free(f->work);
	free(f->image);
	free(f->src);
}

static bool image_attached(const char *image)
{
	struct ib_attached_list l = {0};
	struct ib_error err = {0};
	bool found = false;
	if (ib_platform_list(&l, &err) == 0)
		for (size_t i = 0; i < l.list.n; i++)
			found |= strstr(l.list.v[i].file, image) != NULL;
	ib_error_clear(&err);
	ib_attached_list_free(&l);
	return found;
}

static void test_round_trip(void **state)
{
	(void)state;
	if (!can_mount())
		skip();
	struct fixture f = {0};
	fixture_make(&f, "roundtrip");
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	int r = ib_vol_mount_ops.open(&v, &f.t, &err);
	if (r < 0)
		print_error("open: %s\n", err.msg);
	assert_int_equal(r, 0);
	_cleanup_free_ char *mnt = ib_path_join(f.work, "mnt-p1");
	assert_true(ib_is_mountpoint(mnt));
	assert_true(image_attached(f.image));
	struct timespec tdir = {.tv_sec = 1500000000, .tv_nsec = 123456700};
	struct timespec tfile = {.tv_sec = 1600000000, .tv_nsec = 987654300};
	assert_int_equal(ib_vol_mount_ops.mkdir(v, "/A/B", &tdir, &err), 0);
	assert_int_equal(ib_vol_mount_ops.put_file(v, "/A/B/f.bin", f.src, 3 * MiB, &tfile, &err), 0);
	/* A name Windows refuses is refused, as by the default backend. */
	assert_int_equal(ib_vol_mount_ops.put_file(v, "/A/aux.txt", f.src, 3 * MiB, &tfile, &err), -1);
	assert_non_null(strstr(err.msg, "it is a DOS device name"));
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	ib_error_clear(&err);
	r = ib_vol_mount_ops.close(v, &err);
	if (r < 0)
		print_error("close: %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_false(ib_is_mountpoint(mnt));
	assert_false(image_attached(f.image));
	for (size_t i = 0; i < f.undo.n; i++)
		assert_false(f.undo.v[i].active);

	/* Read back through a fresh read-only mount: content and times (the
	 * directory's survived the file added to it). */
	assert_int_equal(ib_vol_mount_ops.open(&v, &f.t, &err), 0);
	_cleanup_free_ char *dir = ib_path_join(mnt, "A/B");
	_cleanup_free_ char *file = ib_path_join(mnt, "A/B/f.bin");
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_size, 3 * MiB);
	assert_int_equal(st.st_mtim.tv_sec, tfile.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, tfile.tv_nsec);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, tdir.tv_sec);
	assert_int_equal(st.st_mtim.tv_nsec, tdir.tv_nsec);
	assert_int_equal(ib_vol_mount_ops.close(v, &err), 0);
	fixture_free(&f);
}

/* Last: the signal stays recorded for the rest of the process. */
/* A mount point that cannot be made: the error names it (this read the
 * freed volume before; ASan checks), and nothing is left on the undo stack. */
static void test_open_fails_cleanly(void **state)
{
	(void)state;
	struct ib_undo undo = {0};
	struct ib_vol_target t = {.image = "/nonexistent/disk.raw", .offset = 1 << 20, .size = 1 << 20,
				  .sector_size = 512, .work_dir = "/nonexistent/work", .number = 1,
				  .table = IB_TABLE_GPT, .undo = &undo};
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	assert_int_equal(ib_vol_mount_ops.open(&v, &t, &err), -1);
	assert_null(v);
	assert_non_null(err.msg);
	assert_non_null(strstr(err.msg, "cannot create the mount point /nonexistent/work/mnt-p1"));
	ib_error_clear(&err);
	ib_undo_run(&undo);
	ib_undo_clear(&undo);
}

static void test_sigterm_unwinds(void **state)
{
	(void)state;
	if (!can_mount())
		skip();
	struct fixture f = {0};
	fixture_make(&f, "sigterm");
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	assert_int_equal(ib_vol_mount_ops.open(&v, &f.t, &err), 0);
	_cleanup_free_ char *mnt = ib_path_join(f.work, "mnt-p1");
	struct timespec t = {.tv_sec = 1600000000};
	ib_signals_install();
	raise(SIGTERM);
	assert_int_equal(ib_interrupted(), SIGTERM);
	assert_int_equal(ib_vol_mount_ops.put_file(v, "/f.bin", f.src, 3 * MiB, &t, &err), -1);
	assert_int_equal(err.exit_code, 128 + SIGTERM);
	ib_error_clear(&err);
	/* umount cannot run now: both releases stay on the stack. */
	assert_int_equal(ib_vol_mount_ops.close(v, &err), -1);
	assert_int_equal(err.exit_code, 128 + SIGTERM);
	ib_error_clear(&err);
	assert_true(ib_is_mountpoint(mnt));
	size_t active = 0;
	for (size_t i = 0; i < f.undo.n; i++)
		active += f.undo.v[i].active;
	assert_int_equal(active, 2);
	ib_undo_run(&f.undo);
	assert_false(ib_is_mountpoint(mnt));
	assert_false(image_attached(f.image));
	assert_int_equal(ib_interrupted(), SIGTERM);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tmp_name_pid),
		cmocka_unit_test(test_is_mountpoint),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_open_fails_cleanly),
		cmocka_unit_test(test_sigterm_unwinds),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
