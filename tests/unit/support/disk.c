// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "core/spawn.h"
#include "core/util.h"
#include "spawn_capture.h"
#include "tmpdir.h"

int ut_sparse_disk(const char *path, uint64_t bytes)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);
	return fd;
}

bool ut_loop_attach_4k(struct ut_loop *l, const char *path, const char *who)
{
	if (geteuid() != 0) {
		printf("SKIP: 4096-byte sectors: %s need a loop device, which needs root\n", who);
		return false;
	}
	const char *attach[] = { "losetup", "--sector-size", "4096", "-r", "-f", "--show", path, NULL };
	struct ib_spawn_opts opts = { .capture_stdout = true, .stdin_fd = -1 };
	struct ib_spawn_result res = { 0 };
	struct ib_error err = { 0 };
	if (ib_spawn(attach, &opts, &res, &err) < 0) {
		printf("SKIP: 4096-byte sectors: cannot attach a loop device: %s\n", err.msg);
		ib_spawn_result_free(&res);
		ib_error_clear(&err);
		return false;
	}
	l->dev = TAKE_PTR(res.out);
	ib_spawn_result_free(&res);
	l->dev[strcspn(l->dev, "\n")] = '\0';
	l->fd = open(l->dev, O_RDONLY | O_CLOEXEC);
	const char *detach[] = { "losetup", "-d", l->dev, NULL };
	int r = ib_spawn(detach, NULL, NULL, &err);
	if (r < 0)
		print_error("%s\n", err.msg);
	ib_error_clear(&err);
	assert_true(l->fd >= 0);
	assert_int_equal(r, 0);
	return true;
}

void ut_loop_release(struct ut_loop *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->dev);
	l->dev = NULL;
}

int ut_diskfx_setup(void **state, const char *tag)
{
	struct ut_diskfx *f = ib_xcalloc(1, sizeof(*f));
	if (!ut_tmpdir_into(f->dir, sizeof(f->dir), tag)) {
		free(f);
		return -1;
	}
	f->loop.fd = -1;
	*state = f;
	return 0;
}

int ut_diskfx_teardown(void **state)
{
	struct ut_diskfx *f = *state;
	ut_loop_release(&f->loop);
	ib_rm_rf(f->dir);
	free(f);
	return 0;
}

int ut_diskfx_image(const struct ut_diskfx *f, const char *name, uint64_t bytes, char **path)
{
	*path = ib_path_join(f->dir, name);
	return ut_sparse_disk(*path, bytes);
}

char *ut_sfdisk_part(const char *json, uint64_t start)
{
	char key[64];
	snprintf(key, sizeof(key), "\"start\": %" PRIu64 ",", start);
	const char *at = strstr(json, key);
	if (!at)
		print_error("sfdisk --json has no partition starting at %" PRIu64 ":\n%s\n", start, json);
	assert_non_null(at);
	const char *open = at;
	while (open > json && *open != '{')
		open--;
	const char *close = strchr(at, '}');
	assert_non_null(close);
	return ib_xstrndup(open, (size_t)(close - open));
}

bool ut_ntfs3g_usable(const char *check)
{
	if (geteuid() != 0) {
		printf("SKIP: not root; %s is not run\n", check);
		return false;
	}
	const char *tools[] = { "losetup", "ntfs-3g", "umount", NULL };
	if (!ut_have_tools(tools, "the ntfs-3g mount check is not run"))
		return false;
	if (access("/dev/fuse", R_OK | W_OK) < 0) {
		printf("SKIP: /dev/fuse is not usable; the ntfs-3g mount check is not run\n");
		return false;
	}
	return true;
}

char *ut_loop_attach_range(const char *image, uint64_t off, uint64_t size, const char *not_run)
{
	char o[32], s[32];
	snprintf(o, sizeof(o), "%" PRIu64, off);
	snprintf(s, sizeof(s), "%" PRIu64, size);
	const char *lo[] = { "losetup", "-r", "-f", "--show", "-o", o, "--sizelimit", s, image, NULL };
	struct ib_spawn_opts opts = { .capture_stdout = true, .stdin_fd = -1 };
	struct ib_spawn_result res = { 0 };
	struct ib_error err = { 0 };
	if (ib_spawn(lo, &opts, &res, &err) < 0) {
		printf("SKIP: losetup failed (%s); %s\n", err.msg, not_run);
		ib_error_clear(&err);
		ib_spawn_result_free(&res);
		return NULL;
	}
	res.out[strcspn(res.out, "\n")] = '\0';
	char *dev = ib_xstrdup(res.out);
	ib_spawn_result_free(&res);
	return dev;
}

void ut_unmount_detach(const char *mnt, bool *mounted, char **loopdev)
{
	if (*mounted) {
		const char *um[] = { "umount", mnt, NULL };
		if (ut_spawn_quiet(um) == 0)
			*mounted = false;
	}
	if (*loopdev) {
		const char *det[] = { "losetup", "-d", *loopdev, NULL };
		ut_spawn_quiet(det);
		free(*loopdev);
		*loopdev = NULL;
	}
}
