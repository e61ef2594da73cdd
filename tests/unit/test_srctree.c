// SPDX-License-Identifier: GPL-2.0-or-later
/* Source-tree scanning on real temporary trees: order, destination paths,
 * counters, symlinks, special files and the exact input errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "plan/srctree.h"
#include "core/util.h"

static char base[64];
static const struct ib_loc LOC = {.file = "recipe.yml", .line = 7, .col = 9};

static void mkdir_p(const char *rel)
{
	char *p = ib_path_join(base, rel);
	for (char *s = p + strlen(base) + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
	free(p);
}

/* A file with given contents and mtime (seconds, nanoseconds). */
static void put(const char *rel, const char *data, time_t sec, long nsec)
{
	char *p = ib_path_join(base, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
	struct timespec ts[2] = {{sec, nsec}, {sec, nsec}};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
	free(p);
}

static void set_mtime(const char *rel, time_t sec)
{
	char *p = ib_path_join(base, rel);
	struct timespec ts[2] = {{sec, 0}, {sec, 0}};
	assert_int_equal(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	free(p);
}

static void link_to(const char *target, const char *rel)
{
	char *p = ib_path_join(base, rel);
	assert_int_equal(symlink(target, p), 0);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	strcpy(base, "/tmp/ib-test-srctree-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Restore permissions the unreadable test took away, then remove. */
	char *p = ib_path_join(base, "payload/unr/secret.txt");
	chmod(p, 0644);
	free(p);
	p = ib_path_join(base, "payload/unrdir/locked");
	chmod(p, 0755);
	free(p);
	return ib_rm_rf(base);
}

/* Scan, expecting an input error whose message is exactly `msg`. */
static void expect_error(const char *src, const char *dst, const char *msg)
{
	struct ib_srctree t = {0};
	struct ib_error err = {0};
	assert_int_equal(ib_srctree_scan(base, src, dst, &LOC, &t, &err), -1);
	assert_int_equal(err.exit_code, 2);
	assert_string_equal(err.msg, msg);
	assert_string_equal(err.loc.file, "recipe.yml");
	assert_int_equal(err.loc.line, 7);
	assert_int_equal(err.loc.col, 9);
	assert_int_equal(t.n, 0);
	assert_null(t.v);
	ib_error_clear(&err);
}

static void expect_error_prefix(const char *src, const char *dst, const char *prefix)
{
	struct ib_srctree t = {0};
	struct ib_error err = {0};
	assert_int_equal(ib_srctree_scan(base, src, dst, &LOC, &t, &err), -1);
	assert_int_equal(err.exit_code, 2);
	if (strncmp(err.msg, prefix, strlen(prefix)))
		fail_msg("got '%s', expected it to start with '%s'", err.msg, prefix);
	assert_int_equal(err.loc.line, 7);
	ib_error_clear(&err);
	ib_srctree_free(&t);
}

static void check_entry(const struct ib_src_entry *e, const char *dst, enum ib_src_kind kind, const char *src_rel)
{
	assert_string_equal(e->dst, dst);
	assert_int_equal(e->kind, kind);
	char *src = ib_path_join(base, src_rel);
	assert_string_equal(e->src, src);
	free(src);
	if (kind == IB_SRC_DIR)
		assert_true(S_ISDIR(e->mode));
	else
		assert_true(S_ISREG(e->mode));
}

static void build_efi(void)
{
	mkdir_p("payload/efi/BOOT");
	mkdir_p("payload/efi/Microsoft/Boot");
	mkdir_p("payload/efi/empty");
	put("payload/efi/BOOT/bootx64.efi", "MZ-boot", 1600000000, 123456789);
	put("payload/efi/BOOT/grub.cfg", "set timeout=0\n", 1600000001, 0);
	put("payload/efi/Microsoft/Boot/bcd", "regf", 1600000002, 0);
	put("payload/efi/a.txt", "a", 1600000003, 0);
	put("payload/efi/B.txt", "bb", 1600000004, 0);
	put("payload/efi/h\xc3\xa9llo \xe2\x9c\x93.txt", "unicode", 1600000005, 0);
	set_mtime("payload/efi/empty", 1500000000);
	set_mtime("payload/efi", 1400000000);
}

static void test_directory_tree(void **state)
{
	(void)state;
	build_efi();
	struct ib_srctree t = {0};
	struct ib_error err = {0};
	assert_int_equal(ib_srctree_scan(base, "payload/efi", "/EFI", &LOC, &t, &err), 0);
	assert_null(err.msg);
	assert_int_equal(t.n, 11);
	check_entry(&t.v[0], "/EFI", IB_SRC_DIR, "payload/efi");
	check_entry(&t.v[1], "/EFI/B.txt", IB_SRC_FILE, "payload/efi/B.txt");
	check_entry(&t.v[2], "/EFI/BOOT", IB_SRC_DIR, "payload/efi/BOOT");
	check_entry(&t.v[3], "/EFI/BOOT/bootx64.efi", IB_SRC_FILE, "payload/efi/BOOT/bootx64.efi");
	check_entry(&t.v[4], "/EFI/BOOT/grub.cfg", IB_SRC_FILE, "payload/efi/BOOT/grub.cfg");
	check_entry(&t.v[5], "/EFI/Microsoft", IB_SRC_DIR, "payload/efi/Microsoft");
	check_entry(&t.v[6], "/EFI/Microsoft/Boot", IB_SRC_DIR, "payload/efi/Microsoft/Boot");
	check_entry(&t.v[7], "/EFI/Microsoft/Boot/bcd", IB_SRC_FILE, "payload/efi/Microsoft/Boot/bcd");
	check_entry(&t.v[8], "/EFI/a.txt", IB_SRC_FILE, "payload/efi/a.txt");
	check_entry(&t.v[9], "/EFI/empty", IB_SRC_DIR, "payload/efi/empty");
	check_entry(&t.v[10], "/EFI/h\xc3\xa9llo \xe2\x9c\x93.txt", IB_SRC_FILE,
		    "payload/efi/h\xc3\xa9llo \xe2\x9c\x93.txt");
	assert_int_equal(t.nfiles, 6);
	assert_int_equal(t.ndirs, 5);
	assert_int_equal(t.bytes, 7 + 14 + 4 + 1 + 2 + 7);
	assert_int_equal(t.v[3].size, 7);
	assert_int_equal(t.v[3].mtime.tv_sec, 1600000000);
	assert_int_equal(t.v[3].mtime.tv_nsec, 123456789);
	assert_int_equal(t.v[0].mtime.tv_sec, 1400000000);
	assert_int_equal(t.v[9].mtime.tv_sec, 1500000000);
	assert_int_equal(t.v[0].size, 0);
	ib_srctree_free(&t);
	assert_null(t.v);
	assert_int_equal(t.n, 0);

	/* Root destination, trailing slashes and doubled slashes. */
	assert_int_equal(ib_srctree_scan(base, "payload/efi/BOOT/", "//boot//x/./", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 3);
	check_entry(&t.v[0], "/boot/x", IB_SRC_DIR, "payload/efi/BOOT");
	check_entry(&t.v[1], "/boot/x/bootx64.efi", IB_SRC_FILE, "payload/efi/BOOT/bootx64.efi");
	ib_srctree_free(&t);
	assert_int_equal(ib_srctree_scan(base, "payload/efi/Microsoft", "/", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 3);
	check_entry(&t.v[0], "/", IB_SRC_DIR, "payload/efi/Microsoft");
	check_entry(&t.v[1], "/Boot", IB_SRC_DIR, "payload/efi/Microsoft/Boot");
	check_entry(&t.v[2], "/Boot/bcd", IB_SRC_FILE, "payload/efi/Microsoft/Boot/bcd");
	ib_srctree_free(&t);

	/* An empty directory on its own. */
	assert_int_equal(ib_srctree_scan(base, "payload/efi/empty", "/E", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.ndirs, 1);
	assert_int_equal(t.nfiles, 0);
	check_entry(&t.v[0], "/E", IB_SRC_DIR, "payload/efi/empty");
	ib_srctree_free(&t);
}

static void test_file_sources(void **state)
{
	(void)state;
	build_efi();
	struct ib_srctree t = {0};
	struct ib_error err = {0};
	assert_int_equal(ib_srctree_scan(base, "payload/efi/BOOT/grub.cfg", "/boot/grub/", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 1);
	check_entry(&t.v[0], "/boot/grub/grub.cfg", IB_SRC_FILE, "payload/efi/BOOT/grub.cfg");
	assert_int_equal(t.nfiles, 1);
	assert_int_equal(t.ndirs, 0);
	assert_int_equal(t.bytes, 14);
	assert_int_equal(t.v[0].mtime.tv_sec, 1600000001);
	ib_srctree_free(&t);

	assert_int_equal(ib_srctree_scan(base, "payload/efi/BOOT/grub.cfg", "/boot/menu.cfg", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 1);
	check_entry(&t.v[0], "/boot/menu.cfg", IB_SRC_FILE, "payload/efi/BOOT/grub.cfg");
	ib_srctree_free(&t);

	/* "/" ends in '/': the file keeps its name in the root. */
	assert_int_equal(ib_srctree_scan(base, "payload/efi/a.txt", "/", &LOC, &t, &err), 0);
	check_entry(&t.v[0], "/a.txt", IB_SRC_FILE, "payload/efi/a.txt");
	ib_srctree_free(&t);
	assert_int_equal(ib_srctree_scan(base, "payload/efi/a.txt", "/x/", &LOC, &t, &err), 0);
	check_entry(&t.v[0], "/x/a.txt", IB_SRC_FILE, "payload/efi/a.txt");
	ib_srctree_free(&t);

	/* An absolute src ignores the base directory. */
	char *abs = ib_path_join(base, "payload/efi/a.txt");
	assert_int_equal(ib_srctree_scan("/nonexistent", abs, "/a", &LOC, &t, &err), 0);
	assert_string_equal(t.v[0].src, abs);
	ib_srctree_free(&t);
	free(abs);
}

static void test_errors(void **state)
{
	(void)state;
	build_efi();
	expect_error("payload/x", "/X", "src 'payload/x' does not exist");
	expect_error("payload/efi", "/a/../b", "dst '/a/../b' must not contain '..'");
	expect_error("payload/efi/a.txt", "/.", "dst '/.' names the volume root; a file needs a name (or end dst with '/')");

	mkdir_p("payload/bad/sub");
	put("payload/bad/sub/ok.txt", "x", 1, 0);
	char *fifo = ib_path_join(base, "payload/bad/sub/pipe");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	free(fifo);
	expect_error("payload/bad", "/B",
		     "'payload/bad/sub/pipe' is a FIFO; only regular files and directories can be copied");
	expect_error("payload/bad/sub/pipe", "/p",
		     "'payload/bad/sub/pipe' is a FIFO; only regular files and directories can be copied");

	mkdir_p("payload/sock");
	char *sp = ib_path_join(base, "payload/sock/s");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	assert_true(strlen(sp) < sizeof sa.sun_path);
	strcpy(sa.sun_path, sp);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	free(sp);
	expect_error("payload/sock", "/S",
		     "'payload/sock/s' is a socket; only regular files and directories can be copied");

	expect_error("/dev/null", "/null",
		     "'/dev/null' is a character device; only regular files and directories can be copied");
}

static void test_symlinks(void **state)
{
	(void)state;
	mkdir_p("payload/in/sub");
	put("payload/in/real.txt", "real!", 1600000000, 0);
	put("payload/in/sub/x", "x", 1600000000, 0);
	link_to("real.txt", "payload/in/link.txt");
	link_to("sub", "payload/in/dirlink");
	put("outside.txt", "secret", 1, 0);

	struct ib_srctree t = {0};
	struct ib_error err = {0};
	assert_int_equal(ib_srctree_scan(base, "payload/in", "/in", &LOC, &t, &err), 0);
	/* /in, dirlink (a directory, followed), dirlink/x, link.txt, real.txt, sub, sub/x */
	assert_int_equal(t.n, 7);
	check_entry(&t.v[0], "/in", IB_SRC_DIR, "payload/in");
	/* A followed symlink is recorded as its target's real path, so the copy
	 * can open it without following any symlink (O_NOFOLLOW). */
	check_entry(&t.v[1], "/in/dirlink", IB_SRC_DIR, "payload/in/sub");
	check_entry(&t.v[2], "/in/dirlink/x", IB_SRC_FILE, "payload/in/sub/x");
	check_entry(&t.v[3], "/in/link.txt", IB_SRC_FILE, "payload/in/real.txt");
	assert_int_equal(t.v[3].size, 5);
	assert_int_equal(t.v[3].mtime.tv_sec, 1600000000);
	check_entry(&t.v[4], "/in/real.txt", IB_SRC_FILE, "payload/in/real.txt");
	check_entry(&t.v[5], "/in/sub", IB_SRC_DIR, "payload/in/sub");
	check_entry(&t.v[6], "/in/sub/x", IB_SRC_FILE, "payload/in/sub/x");
	assert_int_equal(t.nfiles, 4);
	assert_int_equal(t.ndirs, 3);
	ib_srctree_free(&t);

	/* The named source itself may be a symlink. */
	link_to("payload/in", "in-link");
	assert_int_equal(ib_srctree_scan(base, "in-link", "/in", &LOC, &t, &err), 0);
	assert_int_equal(t.n, 7);
	ib_srctree_free(&t);

	mkdir_p("payload/out");
	link_to("../../outside.txt", "payload/out/leak");
	expect_error_prefix("payload/out", "/o", "symlink 'payload/out/leak' points outside its source directory");
	/* A sibling whose name merely starts with the source's name is outside too. */
	mkdir_p("payload/outx");
	put("payload/outx/f", "f", 1, 0);
	mkdir_p("payload/ou");
	link_to("../outx/f", "payload/ou/l");
	expect_error_prefix("payload/ou", "/o", "symlink 'payload/ou/l' points outside its source directory");

	mkdir_p("payload/loop");
	put("payload/loop/f", "f", 1, 0);
	link_to("..", "payload/loop/up");
	expect_error_prefix("payload/loop", "/l", "symlink 'payload/loop/up' points outside");
	mkdir_p("payload/loop2/a");
	link_to("..", "payload/loop2/a/back");
	expect_error("payload/loop2", "/l",
		     "symlink loop: 'payload/loop2/a/back' leads back to one of its parent directories");
	mkdir_p("payload/loop3");
	link_to("self", "payload/loop3/self");
	expect_error("payload/loop3", "/l", "symlink 'payload/loop3/self' is a symlink loop");
	mkdir_p("payload/dangling");
	link_to("nothing-here", "payload/dangling/d");
	expect_error("payload/dangling", "/d", "symlink 'payload/dangling/d' points to a missing target");
}

static void test_unreadable(void **state)
{
	(void)state;
	if (geteuid() == 0) {
		print_message("SKIP: unreadable sources: running as root, which reads everything\n");
		skip();
	}
	mkdir_p("payload/unr");
	put("payload/unr/secret.txt", "s", 1, 0);
	char *p = ib_path_join(base, "payload/unr/secret.txt");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	expect_error("payload/unr", "/u", "cannot read 'payload/unr/secret.txt': Permission denied");
	mkdir_p("payload/unrdir/locked");
	p = ib_path_join(base, "payload/unrdir/locked");
	assert_int_equal(chmod(p, 0), 0);
	free(p);
	expect_error("payload/unrdir", "/u", "cannot read directory 'payload/unrdir/locked': Permission denied");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
