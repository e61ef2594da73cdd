// SPDX-License-Identifier: GPL-2.0-or-later
/* `imgbuild check --canary`: the whole mount path on a tiny image, so the
 * exact error shows up here rather than in the middle of a build. An 8 MiB
 * NTFS made by mkntfs is attached (as the whole disk), the FUSE driver is
 * verified, ntfs-3g mounts it, a file is written and read back, and
 * everything is undone on every path. The image lies in a directory named
 * like a build's work dir, so a leftover device is recognised later. */
#include "platform-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/spawn.h"

#define CANARY_SIZE (8u << 20)

static int make_image(const char *img, struct ib_error *err)
{
	int fd = open(img, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "canary: cannot create '%s'", img);
	int r = ftruncate(fd, CANARY_SIZE) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return ib_fail_errno(err, r, "canary: cannot size '%s'", img);
	const char *argv[] = {"mkntfs", "-F", "-q", "-Q", "-L", "canary", img, NULL};
	if (ib_spawn(argv, NULL, NULL, err) < 0) {
		ib_error_prefix(err, "canary: mkntfs");
		return -1;
	}
	return 0;
}

/* Write a file through the mount, then read it back. */
static int write_read(const char *mnt, struct ib_error *err)
{
	_cleanup_free_ char *path = ib_path_join(mnt, "canary.txt");
	_cleanup_free_ char *want = ib_xasprintf("imgbuild canary %ld\n", (long)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "canary: cannot create '%s' on the ntfs-3g mount", path);
	int r = ib_pwrite_all(fd, want, strlen(want), 0);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0)
		return ib_fail_errno(err, r, "canary: cannot write '%s' on the ntfs-3g mount", path);
	size_t n = 0;
	_cleanup_free_ char *got = ib_read_text(path, 4096, &n);
	if (!got)
		return ib_fail_errno(err, -errno, "canary: cannot read back '%s'", path);
	if (n != strlen(want) || memcmp(got, want, n))
		return ib_fail(err, IB_EXIT_ENV, "canary: '%s' read back differs from what was written", path);
	return 0;
}

int ib_platform_canary(const char *tmpdir, struct ib_error *err)
{
	if (!tmpdir || !*tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	_cleanup_free_ char *dir = ib_xasprintf("%s/.imgbuild-canary.%ld.work", tmpdir, (long)getpid());
	if (mkdir(dir, 0700) < 0)
		return ib_fail_errno(err, -errno, "canary: cannot create '%s'", dir);
	_cleanup_free_ char *img = ib_path_join(dir, "canary.img");
	_cleanup_free_ char *mnt = ib_path_join(dir, "mnt");
	struct ib_attachment a = {0};
	bool attached = false, mounted = false;
	int r = make_image(img, err);
	if (r == 0 && mkdir(mnt, 0700) < 0)
		r = ib_fail_errno(err, -errno, "canary: cannot create '%s'", mnt);
	if (r == 0) {
		struct ib_attach_req req = {.image = img, .sector_size = 512, .whole_disk = true};
		r = ib_platform_attach(&req, &a, err);
		attached = r == 0;
		if (r < 0)
			ib_error_prefix(err, "canary: attach");
	}
	if (r == 0)
		r = ib_platform_fuse_verify(mnt, err);
	if (r == 0) {
		r = ib_platform_mount_ntfs(a.whole.dev, mnt, false, err);
		mounted = r == 0;
		if (r < 0)
			ib_error_prefix(err, "canary");
	}
	if (r == 0)
		r = write_read(mnt, err);
	/* Undo on every path; the first failure stays the reported one. */
	struct ib_error e = {0};
	if (mounted && ib_platform_unmount(mnt, &e) < 0 && r == 0)
		r = ib_fail(err, e.exit_code, "canary: %s", e.msg);
	ib_error_clear(&e);
	if (attached && ib_platform_detach(&a, &e) < 0 && r == 0)
		r = ib_fail(err, e.exit_code, "canary: detach: %s", e.msg);
	ib_error_clear(&e);
	if (!attached)
		ib_attachment_clear(&a);
	ib_rm_rf(dir);
	return r;
}
