// SPDX-License-Identifier: GPL-2.0-or-later
/* The platform seam: the portable parsers (lofiadm list, /proc/filesystems,
 * vermagic, modinfo, work dir names); the FUSE checks against fabricated
 * sysroots, Linux and illumos (the illumos ABI check on SYNTHETIC CTF made by
 * tests/sim/illumos/sim-mksysroot), each failure with exit code 3 and its
 * message; and, as root, real loop devices: offset and size limit honoured,
 * read-only enforced, 4 KiB sectors, concurrent attaches, detach waiting for
 * a user that closes after 300 ms, listing, and releasing the device of a
 * dead build. Every loop device is detached in every path. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "platform/illumos/fuse_check.h"
#include "platform/illumos/lofi.h"
#include "platform/linux/fuse_check.h"
#include "platform/platform.h"
#include "core/spawn.h"
#include "core/util.h"

#include "tests/unit/support/check.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/fixtures.h"
#include "tests/unit/support/spawn_capture.h"
#include "tests/unit/support/tmpdir.h"

static char repo[PATH_MAX];
static char tmpdir[PATH_MAX];
static char *saved_path;

static int setup_all(void **state)
{
	(void)state;
	if (ut_repo_dir(repo, sizeof(repo), true) < 0 || !ut_tmpdir_into(tmpdir, sizeof(tmpdir), "platform"))
		return -1;
	saved_path = ib_xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	ib_rm_rf(tmpdir);
	free(saved_path);
	return 0;
}

/* Each test gets fresh environment: Linux, no sysroot, the original PATH. */
static int setup_env(void **state)
{
	(void)state;
	setenv("IMGBUILD_PLATFORM", "linux", 1);
	unsetenv("IMGBUILD_SYSROOT");
	setenv("PATH", saved_path, 1);
	return 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
	_cleanup_free_ char *dir = ib_xstrdup(path);
	*strrchr(dir, '/') = 0;
	ut_mkdir_p(dir);
	/* Never through a symlink: sysroots hold links to real devices. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ib_pwrite_all(fd, data, n, 0), 0);
	close(fd);
}

static void write_text(const char *root, const char *rel, const char *text)
{
	_cleanup_free_ char *p = ib_path_join(root, rel);
	write_file(p, text, strlen(text));
}

/* ---- parsers ----------------------------------------------------------------- */

static void test_lofi_list(void **state)
{
	(void)state;
	char text[1024];
	int n = snprintf(text, sizeof(text), "%-20s     %-30s\t%s\n", "Block Device", "File", "Options");
	n += snprintf(text + n, sizeof(text) - n, "%-20s     %-30s\t%s\n", "/dev/lofi/1", "/export/a.img", "-");
	n += snprintf(text + n, sizeof(text) - n, "%-20s     %-30s\t%s\n", "/dev/dsk/c2t0d0p0",
		      "/w/.imgbuild-x.42.work/disk.raw", "Readonly");
	snprintf(text + n, sizeof(text) - n, "%-20s     %-30s\t%s\n", "/dev/lofi/3", "/tmp/with space.img",
		 "Compressed(gzip),Readonly");
	struct ib_lofi_rows r = {0};
	assert_int_equal(ib_lofi_parse_list(text, &r), 0);
	assert_int_equal(r.list.n, 3);
	assert_string_equal(r.list.v[0].dev, "/dev/lofi/1");
	assert_string_equal(r.list.v[0].file, "/export/a.img");
	assert_string_equal(r.list.v[0].options, "-");
	assert_false(r.list.v[0].read_only);
	assert_string_equal(r.list.v[1].dev, "/dev/dsk/c2t0d0p0");
	assert_string_equal(r.list.v[1].file, "/w/.imgbuild-x.42.work/disk.raw");
	assert_true(r.list.v[1].read_only);
	assert_string_equal(r.list.v[2].file, "/tmp/with space.img");
	assert_string_equal(r.list.v[2].options, "Compressed(gzip),Readonly");
	assert_true(r.list.v[2].read_only);
	ib_lofi_rows_free(&r);

	/* The header alone: no mappings. Anything else: not lofiadm output. */
	snprintf(text, sizeof(text), "%-20s     %-30s\t%s\n", "Block Device", "File", "Options");
	assert_int_equal(ib_lofi_parse_list(text, &r), 0);
	assert_int_equal(r.list.n, 0);
	assert_int_equal(ib_lofi_parse_list("usage: lofiadm ...\n", &r), -1);
	assert_int_equal(ib_lofi_parse_list("", &r), -1);
	ib_lofi_rows_free(&r);
}

static void test_lofi_names(void **state)
{
	(void)state;
	_cleanup_free_ char *b = ib_lofi_disk_base("/dev/dsk/c2t0d0p0");
	assert_string_equal(b, "c2t0d0");
	assert_null(ib_lofi_disk_base("/dev/lofi/1"));
	assert_null(ib_lofi_disk_base("/dev/dsk/c2t0d0s0"));
	assert_null(ib_lofi_disk_base("/dev/rdsk/c2t0d0p0"));
	_cleanup_free_ char *g1 = ib_lofi_part_node("c2t0d0", IB_TABLE_GPT, 1);
	_cleanup_free_ char *g3 = ib_lofi_part_node("c2t0d0", IB_TABLE_GPT, 3);
	_cleanup_free_ char *m2 = ib_lofi_part_node("c2t0d0", IB_TABLE_MBR, 2);
	assert_string_equal(g1, "/dev/dsk/c2t0d0s0");
	assert_string_equal(g3, "/dev/dsk/c2t0d0s2");
	assert_string_equal(m2, "/dev/dsk/c2t0d0p2");
}

static void test_procfs(void **state)
{
	(void)state;
	const char *t = "nodev\tsysfs\nnodev\tfusectl\n\text4\n\tfuseblk\nnodev\tfuse\n";
	assert_true(ib_procfs_has(t, "fuse"));
	assert_true(ib_procfs_has(t, "fuseblk"));
	assert_true(ib_procfs_has(t, "ext4"));
	assert_false(ib_procfs_has("nodev\tfusectl\n\tfuseblk\n", "fuse"));
	assert_false(ib_procfs_has("nodev\tfuse\n", "fuseblk"));
	assert_false(ib_procfs_has("", "fuse"));
}

static void test_vermagic(void **state)
{
	(void)state;
	_cleanup_free_ char *r = ib_vermagic_release("6.1.0-18-amd64 SMP preempt mod_unload modversions ");
	assert_string_equal(r, "6.1.0-18-amd64");
	assert_true(ib_vermagic_matches("6.1.0-18-amd64 SMP mod_unload", "6.1.0-18-amd64\n"));
	assert_false(ib_vermagic_matches("6.1.0-17-amd64 SMP mod_unload", "6.1.0-18-amd64"));
	assert_false(ib_vermagic_matches("6.1.0-18-amd64-rt SMP", "6.1.0-18-amd64"));
	assert_false(ib_vermagic_matches("", "6.1.0"));

	static const uint8_t modinfo[] = "license=GPL\0xvermagic=bad\0alias=char-major-10-229\0"
					 "vermagic=6.1.0-18-amd64 SMP mod_unload \0name=fuse\0";
	_cleanup_free_ char *v = ib_modinfo_vermagic(modinfo, sizeof(modinfo));
	assert_string_equal(v, "6.1.0-18-amd64 SMP mod_unload ");
	static const uint8_t none[] = "license=GPL\0xvermagic=bad\0";
	assert_null(ib_modinfo_vermagic(none, sizeof(none)));
}

static void test_modinfo_list(void **state)
{
	(void)state;
	const char *t = " Id Loadaddr   Size Info Rev Module Name\n"
			"  0 fffffffffb800000   3b48   -   1  specfs (filesystem for specfs)\n"
			"228 fffffffff8a12000  1a3d8 296   1  fuse (fuse driver)\n";
	assert_true(ib_modinfo_lists(t, "fuse"));
	assert_true(ib_modinfo_lists(t, "specfs"));
	assert_false(ib_modinfo_lists(t, "lofi"));
	assert_false(ib_modinfo_lists(" Id Loadaddr   Size Info Rev Module Name\n"
				      "  3 fffffffffb900000   1000   -   1  fusefs (not fuse)\n",
				      "fuse"));
}

static void test_work_dir_pid(void **state)
{
	(void)state;
	assert_int_equal(ib_work_dir_pid("/out/.imgbuild-win.12345.work/disk.raw"), 12345);
	assert_int_equal(ib_work_dir_pid("/o/.imgbuild-win.v1.2.77.work/ntfs-p3.tmp"), 77);
	assert_int_equal(ib_work_dir_pid("/o/.imgbuild-win.work/disk.raw"), 0);
	assert_int_equal(ib_work_dir_pid("/o/.imgbuild-win.12.work"), 0);
	assert_int_equal(ib_work_dir_pid("/o/imgbuild-win.12.work/disk.raw"), 0);
	assert_int_equal(ib_work_dir_pid("/srv/disk.raw"), 0);
}

/* ---- FUSE checks against fabricated sysroots ------------------------------ */

static char *new_dir(const char *name)
{
	char *d = ib_xasprintf("%s/%s", tmpdir, name);
	ib_rm_rf(d);
	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

/* A sysroot where every Linux FUSE check passes: /dev/fuse (a symlink to the
 * host's), fuse and fuseblk registered, a made-up kernel release. */
static char *linux_sysroot(const char *name)
{
	struct stat st;
	if (stat("/dev/fuse", &st) < 0 || !S_ISCHR(st.st_mode) || access("/dev/fuse", R_OK | W_OK) < 0)
		return NULL;
	_cleanup_free_ char *fuse = ib_which("fusermount3");
	_cleanup_free_ char *ntfs = ib_which("ntfs-3g");
	if (!fuse || !ntfs)
		return NULL;
	char *root = new_dir(name);
	_cleanup_free_ char *dev = ib_path_join(root, "dev");
	_cleanup_free_ char *link = ib_path_join(root, "dev/fuse");
	mkdir(dev, 0755);
	assert_int_equal(symlink("/dev/fuse", link), 0);
	write_text(root, "proc/filesystems", "nodev\tsysfs\nnodev\tfusectl\n\tfuseblk\nnodev\tfuse\n\text4\n");
	write_text(root, "proc/sys/kernel/osrelease", "6.1.0-test\n");
	setenv("IMGBUILD_SYSROOT", root, 1);
	return root;
}

#define NEED_LINUX_SYSROOT(var, name)                                                          \
	_cleanup_free_ char *var = linux_sysroot(name);                                        \
	if (!var) {                                                                            \
		print_message("SKIP: needs an openable /dev/fuse, fusermount3 and ntfs-3g\n"); \
		skip();                                                                        \
	}

/* Verify: 0 expected, or -1 with exit code 3 and every needle in the message. */
static void expect_verify(const char *mountpoint, int want, ...)
{
	struct ib_error err = {0};
	int r = ib_platform_fuse_verify(mountpoint, &err);
	if (r != want)
		print_error("fuse verify returned %d, expected %d: %s\n", r, want, err.msg ? err.msg : "");
	assert_int_equal(r, want);
	if (want < 0) {
		assert_int_equal(err.exit_code, IB_EXIT_ENV);
		va_list ap;
		va_start(ap, want);
		for (const char *n; (n = va_arg(ap, const char *));)
			assert_contains(err.msg, n);
		va_end(ap);
	}
	ib_error_clear(&err);
}

static void test_linux_fuse_ok(void **state)
{
	(void)state;
	NEED_LINUX_SYSROOT(root, "lx-ok");
	expect_verify(NULL, 0);
	/* An empty mount point passes, a non-empty one fails. */
	_cleanup_free_ char *mnt = new_dir("lx-ok-mnt");
	expect_verify(mnt, 0);
	write_text(mnt, "file", "x");
	expect_verify(mnt, -1, "mount point", "is not empty", NULL);
	_cleanup_free_ char *file = ib_path_join(mnt, "file");
	expect_verify(file, -1, "is not a directory", NULL);
}

static void test_linux_no_dev_fuse(void **state)
{
	(void)state;
	NEED_LINUX_SYSROOT(root, "lx-nodev");
	_cleanup_free_ char *dev = ib_path_join(root, "dev/fuse");
	unlink(dev);
	expect_verify(NULL, -1, "/dev/fuse", "No such file or directory", "modprobe fuse", NULL);
	write_text(root, "dev/fuse", "not a device");
	expect_verify(NULL, -1, "is not a character device", "mknod", NULL);
	unlink(dev);
	/* /dev/null is a character device, but not FUSE's. */
	assert_int_equal(symlink("/dev/null", dev), 0);
	expect_verify(NULL, -1, "is the character device 1,3, not 10,229", NULL);
}

static void test_linux_no_fuse_fs(void **state)
{
	(void)state;
	NEED_LINUX_SYSROOT(root, "lx-nofs");
	write_text(root, "proc/filesystems", "nodev\tsysfs\nnodev\tfusectl\n\text4\n");
	expect_verify(NULL, -1, "kernel fuse", "fuse is not in", "/proc/filesystems",
		      "no fuse module exists for kernel 6.1.0-test", NULL);
	/* With a module on disk it is only a warning: it loads on first use. */
	static const uint8_t ko[] = "\177ELF\0\0\0license=GPL\0vermagic=6.1.0-test SMP mod_unload\0";
	_cleanup_free_ char *mod = ib_path_join(root, "lib/modules/6.1.0-test/kernel/fs/fuse/fuse.ko");
	write_file(mod, ko, sizeof(ko));
	expect_verify(NULL, 0);
	struct ib_checks c = {0};
	ib_platform_fuse_checks(NULL, &c);
	assert_int_equal(ib_checks_count(&c, IB_CHECK_WARN), 1);
	ib_checks_free(&c);
}

static void test_linux_vermagic(void **state)
{
	(void)state;
	NEED_LINUX_SYSROOT(root, "lx-vermagic");
	/* An out-of-tree module left over from the previous kernel. */
	static const uint8_t ko[] = "\177ELF\0\0\0license=GPL\0vermagic=5.10.0-old SMP mod_unload modversions\0";
	_cleanup_free_ char *mod = ib_path_join(root, "lib/modules/6.1.0-test/updates/dkms/fuse.ko");
	write_file(mod, ko, sizeof(ko));
	expect_verify(NULL, -1, "fuse module", "was built for kernel 5.10.0-old",
		      "vermagic '5.10.0-old SMP mod_unload modversions'", "the running kernel is 6.1.0-test", NULL);
	static const uint8_t good[] = "\177ELF\0\0\0vermagic=6.1.0-test SMP mod_unload modversions\0";
	write_file(mod, good, sizeof(good));
	expect_verify(NULL, 0);
}

static void test_linux_no_fusermount(void **state)
{
	(void)state;
	NEED_LINUX_SYSROOT(root, "lx-nofusermount");
	/* A PATH with ntfs-3g but no fusermount3. */
	_cleanup_free_ char *bin = new_dir("lx-nofusermount-bin");
	_cleanup_free_ char *ntfs = ib_which("ntfs-3g");
	_cleanup_free_ char *link = ib_path_join(bin, "ntfs-3g");
	assert_int_equal(symlink(ntfs, link), 0);
	setenv("PATH", bin, 1);
	expect_verify(NULL, -1, "fusermount3 not found in PATH", "fuse3", NULL);
	unlink(link);
	expect_verify(NULL, -1, "fusermount3 not found in PATH", "ntfs-3g not found in PATH", NULL);
}

static void test_illumos_fuse_files(void **state)
{
	(void)state;
	setenv("IMGBUILD_PLATFORM", "illumos", 1);
	_cleanup_free_ char *root = new_dir("ill-files");
	setenv("IMGBUILD_SYSROOT", root, 1);
	/* An empty sysroot: no /dev/fuse, no module, no kernel. */
	expect_verify(NULL, -1, "/dev/fuse", "No such file or directory", "ooce/driver/fuse",
		      "usr/kernel/drv/amd64/fuse", "kernel/amd64/genunix", "cannot compare struct vnode", NULL);
}

/* The illumos ABI check on a sysroot from tests/sim/illumos/sim-mksysroot
 * (SYNTHETIC CTF); NULL after a "SKIP: reason" line when it cannot be made. */
static char *sim_sysroot(const char *name, const char *abi)
{
	_cleanup_free_ char *tool = ib_xasprintf("%s/tests/sim/illumos/sim-mksysroot", repo);
	_cleanup_free_ char *cc = ib_which("cc");
	_cleanup_free_ char *objcopy = ib_which("objcopy");
	if (access(tool, X_OK) < 0 || !cc || !objcopy) {
		print_message("SKIP: needs tests/sim/illumos/sim-mksysroot, cc and objcopy\n");
		return NULL;
	}
	/* sim-mksysroot builds its CTF from the shared struct vnode fixtures. */
	char fx[4096];
	if (!ut_shared_fixture(fx, sizeof fx, "illumos/vnode.h.struct-illumos-gate", "the struct vnode fixture"))
		return NULL;
	char *root = ib_xasprintf("%s/%s", tmpdir, name);
	ib_rm_rf(root);
	const char *argv[] = {tool, root, "--fuse-abi", abi, NULL};
	struct ib_error err = {0};
	if (ib_spawn(argv, NULL, NULL, &err) < 0) {
		print_error("%s\n", err.msg);
		ib_error_clear(&err);
		free(root);
		fail();
	}
	setenv("IMGBUILD_PLATFORM", "illumos", 1);
	setenv("IMGBUILD_SYSROOT", root, 1);
	_cleanup_free_ char *sim = ib_xasprintf("%s/tests/sim/illumos:%s", repo, saved_path);
	setenv("PATH", sim, 1);
	return root;
}

static void test_illumos_abi(void **state)
{
	(void)state;
	_cleanup_free_ char *same = sim_sysroot("ill-gate", "gate");
	if (!same)
		skip(); /* the reason is printed */
	expect_verify(NULL, 0);
	/* An OmniOS (illumos-joyent) module on a gate kernel (Helios). */
	_cleanup_free_ char *other = sim_sysroot("ill-joyent", "joyent");
	expect_verify(NULL, -1, "fuse ABI (CTF)", "struct vnode of 224 bytes", "v_type at 0x30",
		      "has v_phantom_count", "the running kernel's is 216 bytes", "v_type at 0x28",
		      "built for another illumos distribution", NULL);
	/* Not loaded is a warning only (it loads on open). */
	_cleanup_free_ char *flag = ib_path_join(same, ".sim/fuse-loaded");
	setenv("IMGBUILD_SYSROOT", same, 1);
	unlink(flag);
	struct ib_checks c = {0};
	ib_platform_fuse_checks(NULL, &c);
	assert_int_equal(ib_checks_count(&c, IB_CHECK_FAIL), 0);
	assert_int_equal(ib_checks_count(&c, IB_CHECK_WARN), 1);
	ib_checks_free(&c);
}

/* ---- real loop devices (root) ------------------------------------------- */

#define MiB (1024u * 1024u)

static bool can_loop(void)
{
	if (geteuid() != 0 || access("/dev/loop-control", R_OK | W_OK) < 0) {
		print_message("SKIP: needs root and /dev/loop-control\n");
		return false;
	}
	return true;
}

/* An image in a directory named like a build's work dir of process pid. */
static char *make_image(const char *name, long pid, uint64_t size)
{
	_cleanup_free_ char *dir = ib_xasprintf("%s/.imgbuild-%s.%ld.work", tmpdir, name, pid);
	ib_rm_rf(dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	char *img = ib_path_join(dir, "disk.raw");
	close(ut_sparse_disk(img, size));
	return img;
}

static bool bound(const char *dev)
{
	_cleanup_free_ char *p = ib_xasprintf("/sys/block/%s/loop/backing_file", strrchr(dev, '/') + 1);
	return access(p, F_OK) == 0;
}

static void detach_ok(struct ib_attachment *a)
{
	char *devs[8] = {0};
	size_t n = a->nparts < 8 ? a->nparts : 8;
	for (size_t i = 0; i < n; i++)
		devs[i] = ib_xstrdup(a->parts[i].dev);
	struct ib_error err = {0};
	int r = ib_platform_detach(a, &err);
	if (r < 0)
		print_error("detach: %s\n", err.msg);
	ib_error_clear(&err);
	for (size_t i = 0; i < n; i++) {
		assert_false(bound(devs[i]));
		free(devs[i]);
	}
	assert_int_equal(r, 0);
}

static void test_loop_offsets(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *img = make_image("offsets", getpid(), 8 * MiB);
	const struct ib_attach_region rg[] = {{1, 1 * MiB, 2 * MiB}, {2, 4 * MiB, 1 * MiB}};
	struct ib_attach_req req = {.image = img, .sector_size = 512, .regions = rg, .nregions = 2};
	struct ib_attachment a;
	struct ib_error err = {0};
	if (ib_platform_attach(&req, &a, &err) < 0)
		print_error("attach: %s\n", err.msg);
	assert_null(err.msg);
	assert_int_equal(a.nparts, 2);
	assert_string_not_equal(a.parts[0].dev, a.parts[1].dev);
	assert_string_equal(ib_attachment_dev(&a, 2), a.parts[1].dev);

	/* Each device is exactly its partition... */
	int fd = open(a.parts[1].dev, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	uint64_t size = 0;
	assert_int_equal(ioctl(fd, BLKGETSIZE64, &size), 0);
	assert_int_equal(size, 1 * MiB);
	/* ...and its bytes land at the partition's offset in the file. */
	static const char msg[] = "written through partition 2";
	assert_int_equal(ib_pwrite_all(fd, msg, sizeof(msg), 4096), 0);
	assert_int_equal(fsync(fd), 0);
	/* Nothing can be written past its end (the size limit). */
	char byte = 'x';
	assert_true(pwrite(fd, &byte, 1, 1 * MiB) <= 0);
	close(fd);
	int f = open(img, O_RDONLY | O_CLOEXEC);
	char back[sizeof(msg)] = {0};
	assert_int_equal(ib_pread_all(f, back, sizeof(back), 4 * MiB + 4096), 0);
	assert_memory_equal(back, msg, sizeof(msg));
	assert_int_equal(ib_pread_all(f, back, sizeof(back), 1 * MiB + 4096), 0);
	assert_int_equal(back[0], 0); /* partition 1 untouched */
	close(f);

	/* Listed as ours, alive, with the image as backing file. */
	struct ib_attached_list l = {0};
	assert_int_equal(ib_platform_list(&l, &err), 0);
	size_t mine = 0;
	for (size_t i = 0; i < l.list.n; i++)
		if (!strcmp(l.list.v[i].file, img)) {
			mine++;
			assert_int_equal(l.list.v[i].pid, getpid());
			assert_true(l.list.v[i].alive);
			assert_false(l.list.v[i].read_only);
		}
	assert_int_equal(mine, 2);
	ib_attached_list_free(&l);
	detach_ok(&a);
}

static void test_loop_read_only(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *img = make_image("ro", getpid(), 4 * MiB);
	const struct ib_attach_region rg[] = {{1, 1 * MiB, 2 * MiB}};
	struct ib_attach_req req = {.image = img, .read_only = true, .regions = rg, .nregions = 1};
	struct ib_attachment a;
	struct ib_error err = {0};
	assert_int_equal(ib_platform_attach(&req, &a, &err), 0);
	int fd = open(a.parts[0].dev, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		char byte = 'x';
		assert_true(pwrite(fd, &byte, 1, 0) < 0);
		close(fd);
	} else {
		assert_int_equal(errno, EROFS);
	}
	int ro = 0;
	fd = open(a.parts[0].dev, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, BLKROGET, &ro), 0);
	assert_int_equal(ro, 1);
	close(fd);
	struct ib_attached_list l = {0};
	assert_int_equal(ib_platform_list(&l, &err), 0);
	bool seen = false;
	for (size_t i = 0; i < l.list.n; i++)
		if (!strcmp(l.list.v[i].file, img))
			seen = l.list.v[i].read_only;
	assert_true(seen);
	ib_attached_list_free(&l);
	detach_ok(&a);
}

static void test_loop_4k(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *img = make_image("4k", getpid(), 4 * MiB);
	const struct ib_attach_region rg[] = {{1, 1 * MiB, 1 * MiB}};
	struct ib_attach_req req = {.image = img, .sector_size = 4096, .regions = rg, .nregions = 1};
	struct ib_attachment a;
	struct ib_error err = {0};
	assert_int_equal(ib_platform_attach(&req, &a, &err), 0);
	int fd = open(a.parts[0].dev, O_RDONLY | O_CLOEXEC);
	int ss = 0;
	assert_int_equal(ioctl(fd, BLKSSZGET, &ss), 0);
	assert_int_equal(ss, 4096);
	close(fd);
	detach_ok(&a);
	/* A region that is not whole sectors is refused before any attach. */
	const struct ib_attach_region odd[] = {{1, 1 * MiB + 512, 1 * MiB}};
	req.regions = odd;
	assert_int_equal(ib_platform_attach(&req, &a, &err), -1);
	assert_contains(err.msg, "not whole 4096-byte sectors");
	ib_error_clear(&err);
}

static void test_loop_too_short(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *img = make_image("short", getpid(), 2 * MiB);
	const struct ib_attach_region rg[] = {{1, 1 * MiB, 1 * MiB}, {2, 2 * MiB, 1 * MiB}};
	struct ib_attach_req req = {.image = img, .regions = rg, .nregions = 2};
	struct ib_attachment a;
	struct ib_error err = {0};
	assert_int_equal(ib_platform_attach(&req, &a, &err), -1);
	assert_contains(err.msg, "too short for partition 2");
	ib_error_clear(&err);
	/* Nothing stays attached on failure. */
	struct ib_attached_list l = {0};
	assert_int_equal(ib_platform_list(&l, &err), 0);
	for (size_t i = 0; i < l.list.n; i++)
		assert_string_not_equal(l.list.v[i].file, img);
	ib_attached_list_free(&l);
}

struct attacher {
	char *img;
	struct ib_attachment a;
	int r;
	char *msg;
};

static void *attach_thread(void *p)
{
	struct attacher *t = p;
	const struct ib_attach_region rg[] = {{1, 0, 1 * MiB}, {2, 1 * MiB, 1 * MiB}, {3, 2 * MiB, 1 * MiB}};
	struct ib_attach_req req = {.image = t->img, .regions = rg, .nregions = 3};
	struct ib_error err = {0};
	t->r = ib_platform_attach(&req, &t->a, &err);
	t->msg = err.msg;
	return NULL;
}

/* Concurrent attaches race on LOOP_CTL_GET_FREE + LOOP_CONFIGURE: each must
 * end up with its own devices. */
static void test_loop_concurrent(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	enum { N = 4 };
	struct attacher t[N] = {0};
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		char name[16];
		snprintf(name, sizeof(name), "conc%d", i);
		t[i].img = make_image(name, getpid(), 4 * MiB);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(pthread_create(&th[i], NULL, attach_thread, &t[i]), 0);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < N; i++) {
		if (t[i].r < 0)
			print_error("attach %d: %s\n", i, t[i].msg);
		assert_int_equal(t[i].r, 0);
		for (int j = 0; j < i; j++)
			for (size_t x = 0; x < 3; x++)
				for (size_t y = 0; y < 3; y++)
					assert_string_not_equal(t[i].a.parts[x].dev, t[j].a.parts[y].dev);
	}
	for (int i = 0; i < N; i++) {
		detach_ok(&t[i].a);
		free(t[i].img);
		free(t[i].msg);
	}
}

struct holder {
	const char *dev;
	int flags; /* added to O_RDONLY | O_CLOEXEC */
	pthread_mutex_t m;
	pthread_cond_t c;
	bool opened;
};

/* Opens h->dev, says so, and keeps it open for 300 ms. */
static void *hold_thread(void *p)
{
	struct holder *h = p;
	int fd = open(h->dev, O_RDONLY | O_CLOEXEC | h->flags);
	pthread_mutex_lock(&h->m);
	h->opened = true;
	pthread_cond_signal(&h->c);
	pthread_mutex_unlock(&h->m);
	struct timespec ts = {0, 300 * 1000000L};
	nanosleep(&ts, NULL);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000L + (t1.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Detach a while a holder keeps dev open (opened with flags) for 300 ms;
 * the result of ib_platform_detach, and in *ms how long it took. */
static int detach_while_held(struct ib_attachment *a, const char *dev, int flags, long *ms, struct ib_error *err)
{
	struct holder h = {.dev = dev, .flags = flags, .m = PTHREAD_MUTEX_INITIALIZER, .c = PTHREAD_COND_INITIALIZER};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, hold_thread, &h), 0);
	pthread_mutex_lock(&h.m);
	while (!h.opened)
		pthread_cond_wait(&h.c, &h.m);
	pthread_mutex_unlock(&h.m);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = ib_platform_detach(a, err);
	*ms = elapsed_ms(&t0);
	pthread_join(th, NULL);
	if (r < 0)
		print_error("detach: %s\n", err->msg);
	return r;
}

/* Another process holds the device (udev's blkid, a slow ntfs-3g exit):
 * detach keeps trying until the holder closes, 300 ms later. */
static void test_loop_detach_busy(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *img = make_image("busy", getpid(), 2 * MiB);
	const struct ib_attach_region rg[] = {{1, 0, 2 * MiB}};
	struct ib_attach_req req = {.image = img, .regions = rg, .nregions = 1};
	struct ib_attachment a;
	struct ib_error err = {0};
	assert_int_equal(ib_platform_attach(&req, &a, &err), 0);
	_cleanup_free_ char *dev = ib_xstrdup(a.parts[0].dev);
	long ms;
	int r = detach_while_held(&a, dev, 0, &ms, &err);
	assert_int_equal(r, 0);
	assert_false(bound(dev));
	/* It waited for the holder rather than returning at once. */
	assert_true(ms >= 200);
	assert_true(ms < 5000);
}

/* A device left by a build that died (here made with losetup, without
 * autoclear) is released; one of a running build is not. */
static void test_loop_release_stale(void **state)
{
	(void)state;
	if (!can_loop())
		skip();
	_cleanup_free_ char *losetup = ib_which("losetup");
	if (!losetup) {
		print_message("SKIP: needs losetup to fabricate a leftover device\n");
		skip();
	}
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0); /* now a pid that is not running */
	_cleanup_free_ char *dead = make_image("stale", child, 1 * MiB);
	_cleanup_free_ char *live = make_image("live", getpid(), 1 * MiB);
	const char *argv_dead[] = {"losetup", "-f", "--show", dead, NULL};
	const char *argv_live[] = {"losetup", "-f", "--show", live, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result rd, rl;
	struct ib_error err = {0};
	assert_int_equal(ib_spawn(argv_dead, &o, &rd, &err), 0);
	assert_int_equal(ib_spawn(argv_live, &o, &rl, &err), 0);
	rd.out[strcspn(rd.out, "\n")] = 0;
	rl.out[strcspn(rl.out, "\n")] = 0;

	char *report = NULL;
	size_t rlen = 0;
	FILE *f = open_memstream(&report, &rlen);
	int n = ib_platform_release_stale(f, &err);
	fclose(f);
	bool dead_bound = bound(rd.out), live_bound = bound(rl.out);
	/* Clean up before asserting. */
	const char *det_live[] = {"losetup", "-d", rl.out, NULL};
	const char *det_dead[] = {"losetup", "-d", rd.out, NULL};
	struct ib_error ignored = {0};
	ib_spawn(det_live, NULL, NULL, &ignored);
	ib_error_clear(&ignored);
	if (dead_bound)
		ib_spawn(det_dead, NULL, NULL, &ignored);
	ib_error_clear(&ignored);

	if (n < 0)
		print_error("release: %s\n", err.msg);
	assert_true(n >= 1);
	_cleanup_free_ char *want = ib_xasprintf("released %s, left by build %ld (dead)", strrchr(rd.out, '/') + 1,
						 (long)child);
	assert_contains(report, want);
	assert_false(dead_bound);
	assert_true(live_bound);
	free(report);
	ib_spawn_result_free(&rd);
	ib_spawn_result_free(&rl);
}

/* ---- the illumos code on the simulated lofiadm (root) --------------------- */

/* PATH with tests/sim/illumos first, a fresh sysroot, IMGBUILD_PLATFORM=illumos. */
static char *sim_lofi_env(const char *name)
{
	char *root = new_dir(name);
	setenv("IMGBUILD_PLATFORM", "illumos", 1);
	setenv("IMGBUILD_SYSROOT", root, 1);
	_cleanup_free_ char *sim = ib_xasprintf("%s/tests/sim/illumos:%s", repo, saved_path);
	setenv("PATH", sim, 1);
	return root;
}

static void sim_cleanup(void)
{
	const char *argv[] = {"lofiadm", "--sim-cleanup", NULL};
	struct ib_error e = {0};
	ib_spawn(argv, NULL, NULL, &e);
	ib_error_clear(&e);
}

/* Whatever a failed test left mapped goes (the stand-in's loops have no
 * autoclear). */
static int teardown_sim(void **state)
{
	(void)state;
	if (getenv("IMGBUILD_SYSROOT") && !strcmp(getenv("IMGBUILD_PLATFORM"), "illumos"))
		sim_cleanup();
	return 0;
}

static void run_ok(const char *const *argv, int stdin_fd)
{
	struct ib_spawn_opts o = {.stdin_fd = stdin_fd};
	struct ib_error err = {0};
	if (ib_spawn(argv, &o, NULL, &err) < 0)
		print_error("%s\n", err.msg);
	assert_null(err.msg);
}

static bool have_tools(const char *const *progs) { return ut_have_tools(progs, NULL); }

/* lofiadm -l -a on a GPT image: partition K is /dev/dsk/<base>sK-1 under
 * the sysroot, its bytes at the partition's offset; the mapping is listed by
 * its file; detach retries while a holder keeps a partition open (as a
 * mounted ntfs-3g does) and then removes every node. */
static void test_illumos_lofi_gpt(void **state)
{
	(void)state;
	static const char *const progs[] = {"losetup", "sgdisk", "sfdisk", "flock", "python3", NULL};
	if (!can_loop() || !have_tools(progs))
		skip();
	_cleanup_free_ char *root = sim_lofi_env("ill-lofi-gpt");
	_cleanup_free_ char *img = make_image("lofi", getpid(), 8 * MiB);
	const char *mk[] = {"sgdisk", "-o", "-n", "1:2048:+1M", "-n", "2:4096:+2M", img, NULL};
	run_ok(mk, -1);
	const struct ib_attach_region rg[] = {{1, 2048 * 512, 1 * MiB}, {2, 4096 * 512, 2 * MiB}};
	struct ib_attach_req req = {.image = img, .table = IB_TABLE_GPT, .regions = rg, .nregions = 2};
	struct ib_attachment a;
	struct ib_error err = {0};
	if (ib_platform_attach(&req, &a, &err) < 0)
		print_error("attach: %s\n", err.msg);
	assert_null(err.msg);
	assert_string_equal(a.disk, "/dev/dsk/c99t1d0p0");
	_cleanup_free_ char *s0 = ib_xasprintf("%s/dev/dsk/c99t1d0s0", root);
	_cleanup_free_ char *s1 = ib_xasprintf("%s/dev/dsk/c99t1d0s1", root);
	assert_string_equal(a.parts[0].dev, s0);
	assert_string_equal(a.parts[1].dev, s1);

	int fd = open(a.parts[1].dev, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	uint64_t size = 0;
	assert_int_equal(ioctl(fd, BLKGETSIZE64, &size), 0);
	assert_int_equal(size, 2 * MiB);
	static const char msg[] = "through lofi s1";
	assert_int_equal(ib_pwrite_all(fd, msg, sizeof(msg), 512), 0);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	int f = open(img, O_RDONLY | O_CLOEXEC);
	char back[sizeof(msg)] = {0};
	assert_int_equal(ib_pread_all(f, back, sizeof(back), 4096 * 512 + 512), 0);
	close(f);
	assert_memory_equal(back, msg, sizeof(msg));

	/* Listed by its File column, whatever the first column says. */
	for (int style = 0; style < 2; style++) {
		if (style)
			setenv("SIM_LOFIADM_LIST", "lofi", 1);
		struct ib_attached_list l = {0};
		assert_int_equal(ib_platform_list(&l, &err), 0);
		assert_int_equal(l.list.n, 1);
		assert_string_equal(l.list.v[0].file, img);
		assert_int_equal(l.list.v[0].pid, getpid());
		assert_true(l.list.v[0].alive);
		assert_string_equal(l.list.v[0].dev, style ? "/dev/lofi/1" : "/dev/dsk/c99t1d0p0");
		ib_attached_list_free(&l);
	}
	unsetenv("SIM_LOFIADM_LIST");

	/* Busy for 300 ms, then free: detach retries. */
	long ms;
	int r = detach_while_held(&a, s1, O_EXCL, &ms, &err);
	struct stat st;
	bool left = lstat(s1, &st) == 0;
	if (r < 0 || left)
		sim_cleanup();
	assert_int_equal(r, 0);
	assert_false(left);
	assert_true(ms >= 200);
	struct ib_attached_list l = {0};
	assert_int_equal(ib_platform_list(&l, &err), 0);
	assert_int_equal(l.list.n, 0);
	ib_attached_list_free(&l);
}

/* MBR: partition K is /dev/dsk/<base>pK; read-only mapping is enforced. */
static void test_illumos_lofi_mbr_ro(void **state)
{
	(void)state;
	static const char *const progs[] = {"losetup", "sfdisk", "flock", "python3", NULL};
	if (!can_loop() || !have_tools(progs))
		skip();
	_cleanup_free_ char *root = sim_lofi_env("ill-lofi-mbr");
	_cleanup_free_ char *img = make_image("lofimbr", getpid(), 8 * MiB);
	_cleanup_free_ char *script = ib_xasprintf("%s/mbr.sfdisk", tmpdir);
	const char *text = "label: dos\nstart=2048, size=2048, type=7\nstart=6144, size=4096, type=c\n";
	write_file(script, text, strlen(text));
	int in = open(script, O_RDONLY | O_CLOEXEC);
	const char *mk[] = {"sfdisk", "-q", img, NULL};
	run_ok(mk, in);
	close(in);
	const struct ib_attach_region rg[] = {{2, 6144 * 512, 2 * MiB}};
	struct ib_attach_req req = {
		.image = img, .table = IB_TABLE_MBR, .read_only = true, .regions = rg, .nregions = 1};
	struct ib_attachment a;
	struct ib_error err = {0};
	if (ib_platform_attach(&req, &a, &err) < 0)
		print_error("attach: %s\n", err.msg);
	assert_null(err.msg);
	_cleanup_free_ char *p2 = ib_xasprintf("%s/dev/dsk/c99t1d0p2", root);
	assert_string_equal(a.parts[0].dev, p2);
	int fd = open(p2, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	uint64_t size = 0;
	int ro = 0;
	assert_int_equal(ioctl(fd, BLKGETSIZE64, &size), 0);
	assert_int_equal(ioctl(fd, BLKROGET, &ro), 0);
	close(fd);
	struct ib_attached_list l = {0};
	assert_int_equal(ib_platform_list(&l, &err), 0);
	bool listed_ro = l.list.n == 1 && l.list.v[0].read_only;
	ib_attached_list_free(&l);
	int r = ib_platform_detach(&a, &err);
	if (r < 0)
		sim_cleanup();
	assert_int_equal(r, 0);
	assert_int_equal(size, 2 * MiB);
	assert_int_equal(ro, 1);
	assert_true(listed_ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lofi_list),
		cmocka_unit_test(test_lofi_names),
		cmocka_unit_test(test_procfs),
		cmocka_unit_test(test_vermagic),
		cmocka_unit_test(test_modinfo_list),
		cmocka_unit_test(test_work_dir_pid),
		cmocka_unit_test_setup(test_linux_fuse_ok, setup_env),
		cmocka_unit_test_setup(test_linux_no_dev_fuse, setup_env),
		cmocka_unit_test_setup(test_linux_no_fuse_fs, setup_env),
		cmocka_unit_test_setup(test_linux_vermagic, setup_env),
		cmocka_unit_test_setup(test_linux_no_fusermount, setup_env),
		cmocka_unit_test_setup(test_illumos_fuse_files, setup_env),
		cmocka_unit_test_setup(test_illumos_abi, setup_env),
		cmocka_unit_test_setup(test_loop_offsets, setup_env),
		cmocka_unit_test_setup(test_loop_read_only, setup_env),
		cmocka_unit_test_setup(test_loop_4k, setup_env),
		cmocka_unit_test_setup(test_loop_too_short, setup_env),
		cmocka_unit_test_setup(test_loop_concurrent, setup_env),
		cmocka_unit_test_setup(test_loop_detach_busy, setup_env),
		cmocka_unit_test_setup(test_loop_release_stale, setup_env),
		cmocka_unit_test_setup_teardown(test_illumos_lofi_gpt, setup_env, teardown_sim),
		cmocka_unit_test_setup_teardown(test_illumos_lofi_mbr_ro, setup_env, teardown_sim),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
