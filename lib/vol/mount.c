// SPDX-License-Identifier: GPL-2.0-or-later
/* The mount backend for NTFS: what users do by hand. The partition is
 * attached as a block device through the platform (Linux loop device at the
 * partition's offset, illumos lofi), the FUSE driver is verified, ntfs-3g
 * mounts the device on <work dir>/mnt-p<N>, files are copied with plain
 * POSIX I/O (bounded chunks, utimensat for the times), and close unmounts
 * and detaches. The detach and the unmount are on the build's undo stack
 * from the moment each can exist, so SIGINT/SIGTERM unwinds them too.
 *
 * Parity with the default backend: the same names are refused (an ntfs-3g
 * mount without windows_names would accept them), and each entry's
 * modification and access times are the given mtime. ntfs-3g updates a
 * directory's times whenever an entry is added to it, so every directory's
 * times are set again, in creation order, before unmounting. Creation and
 * MFT-change times are the time of the copy (the default backend sets them
 * to the mtime as well; manifests compare modification times only). */
#include "vol.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/names.h"
#include "core/util.h"
#include "devattach.h"
#include "mount.h"
#include "platform/platform.h"

#define WRITE_CHUNK (1u << 20)

/* A pending mount: the undo item's argument, owned by the undo stack while
 * the item is active. */
struct mountpoint {
	char *dir;
};

struct dir_time {
	char *path; /* on the host, under the mount point */
	struct timespec mtime;
};

struct ib_vol {
	struct ib_undo *undo;
	struct ib_devattach *dev;
	struct mountpoint *mp; /* set from just before the mount until unmounted */
	size_t mp_handle;
	char *mnt;
	uint8_t *buf;
	IB_VEC(struct dir_time) dirs;
};

int ib_mount_backend_ready(struct ib_error *err)
{
	if (geteuid() == 0)
		return 0;
	return ib_fail(err, IB_EXIT_ENV,
		       "--backend mount needs root: it attaches the image as %s and mounts it with ntfs-3g (running as "
		       "uid %ld); run the build as root, or use the default --backend lib, which needs neither",
		       ib_platform() == IB_PLATFORM_ILLUMOS ? "lofi devices (lofiadm)" : "loop devices",
		       (long)geteuid());
}

static int unmount_if_mounted(const char *dir, struct ib_error *err)
{
	if (!ib_is_mountpoint(dir))
		return 0;
	return ib_platform_unmount(dir, err);
}

static void undo_unmount(void *arg)
{
	struct mountpoint *m = arg;
	struct ib_error e = {0};
	if (unmount_if_mounted(m->dir, &e) < 0)
		fprintf(stderr, "imgbuild: warning: cleanup: %s\n", e.msg);
	else
		rmdir(m->dir);
	ib_error_clear(&e);
	free(m->dir);
	free(m);
}

/* Unmount, then detach; free v. A step that cannot run now (a signal is
 * pending: umount and lofiadm refuse to start) or that failed stays on the
 * undo stack, which then owns its state and runs it while unwinding. */
static int teardown(struct ib_vol *v, struct ib_error *err)
{
	int r = 0;
	bool keep_dev = false;
	if (v->mp) {
		if (v->undo && ib_interrupted()) {
			r = ib_fail_interrupted(err, "unmounting");
			keep_dev = true;
		} else if (unmount_if_mounted(v->mp->dir, err) < 0) {
			r = -1;
			keep_dev = v->undo != NULL; /* detaching a mounted device would only wait */
			if (!v->undo) {
				free(v->mp->dir);
				free(v->mp);
			}
		} else {
			if (v->undo)
				ib_undo_drop(v->undo, v->mp_handle);
			rmdir(v->mp->dir);
			free(v->mp->dir);
			free(v->mp);
		}
		v->mp = NULL;
	}
	if (!keep_dev) {
		struct ib_error later = {0};
		if (ib_devattach_close(v->dev, r == 0 ? err : &later) < 0)
			r = -1;
		ib_error_clear(&later);
	}
	for (size_t i = 0; i < v->dirs.n; i++)
		free(v->dirs.v[i].path);
	free(v->dirs.v);
	free(v->mnt);
	free(v->buf);
	free(v);
	return r;
}

static int vol_open(struct ib_vol **out, const struct ib_vol_target *t, struct ib_error *err)
{
	*out = NULL;
	if (!t->number)
		return ib_fail(err, IB_EXIT_FAIL, "internal error: the mount backend needs the partition number");
	struct ib_vol *v = ib_xcalloc(1, sizeof(*v));
	v->undo = t->undo;
	v->buf = ib_xmalloc(WRITE_CHUNK);
	_cleanup_free_ char *name = ib_xasprintf("mnt-p%u", t->number);
	v->mnt = ib_path_join(t->work_dir, name);
	if (mkdir(v->mnt, 0700) < 0 && errno != EEXIST) {
		/* The error names v->mnt: report it before teardown frees v. */
		int r = ib_fail_errno(err, -errno, "cannot create the mount point %s", v->mnt);
		teardown(v, NULL);
		return r;
	}
	/* An empty directory in the work dir: the rm -rf of the work dir takes
	 * it away, and the undo item of the mount (newer) runs first. */
	if (ib_platform_fuse_verify(v->mnt, err) < 0) {
		rmdir(v->mnt);
		teardown(v, NULL);
		return -1;
	}
	struct ib_devattach_req req = {
		.image = t->image,
		.number = t->number,
		.table = t->table,
		.offset = t->offset,
		.size = t->size,
		.sector_size = t->sector_size,
		.undo = t->undo,
	};
	v->dev = ib_devattach_open(&req, err);
	if (!v->dev) {
		ib_error_prefix(err, "attaching partition %u", t->number);
		rmdir(v->mnt);
		teardown(v, NULL);
		return -1;
	}
	/* On the stack before ntfs-3g runs: interrupted half-way, the mount may
	 * exist without our knowing; the undo item checks. */
	v->mp = ib_xcalloc(1, sizeof(*v->mp));
	v->mp->dir = ib_xstrdup(v->mnt);
	if (v->undo)
		v->mp_handle = ib_undo_push_fn(v->undo, undo_unmount, v->mp);
	if (ib_platform_mount_ntfs(ib_devattach_dev(v->dev), v->mnt, false, err) < 0) {
		struct ib_error later = {0};
		teardown(v, &later);
		ib_error_clear(&later);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_times(const char *host, const struct timespec *mtime, struct ib_error *err)
{
	const struct timespec ts[2] = {*mtime, *mtime};
	if (utimensat(AT_FDCWD, host, ts, 0) < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot set the times of %s", host);
	return 0;
}

static int vol_mkdir(struct ib_vol *v, const char *path, const struct timespec *mtime, struct ib_error *err)
{
	if (ib_names_check_path(&ib_ntfs_name_rules, path, err) < 0)
		return -1;
	_cleanup_free_ char *host = ib_xasprintf("%s%s", v->mnt, strcmp(path, "/") ? path : "");
	/* mkdir -p: each component from the mount point down ("/" is the
	 * mount point itself). */
	size_t base = strlen(v->mnt);
	for (size_t i = base + 1; host[base] && host[i]; i++) {
		if (host[i] != '/')
			continue;
		host[i] = '\0';
		int r = mkdir(host, 0755);
		int e = errno;
		host[i] = '/';
		if (r < 0 && e != EEXIST)
			return ib_fail_errno(err, -e, "ntfs: cannot create directory %s", path);
	}
	if (host[base] && mkdir(host, 0755) < 0 && errno != EEXIST)
		return ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
	struct stat st;
	if (stat(host, &st) < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot create directory %s", path);
	if (!S_ISDIR(st.st_mode))
		return ib_fail_errno(err, -ENOTDIR, "ntfs: cannot create directory %s", path);
	if (set_times(host, mtime, err) < 0)
		return -1;
	IB_VEC_PUSH(v->dirs, ((struct dir_time){.path = ib_xstrdup(host), .mtime = *mtime}));
	return 0;
}

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR && !ib_interrupted())
			continue;
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

static int copy_data(struct ib_vol *v, int in, int out, const char *path, const char *src, uint64_t size,
		     struct ib_error *err)
{
	uint64_t pos = 0;
	for (;;) {
		if (ib_interrupted())
			return ib_fail_interrupted(err, path);
		ssize_t n = read(in, v->buf, WRITE_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ib_fail_errno(err, -errno, "ntfs: cannot read %s", src);
		if (n == 0)
			break;
		int r = write_all(out, v->buf, (size_t)n);
		if (r == -EINTR)
			return ib_fail_interrupted(err, path);
		if (r < 0)
			return ib_fail_errno(err, r, "ntfs: cannot write %s", path);
		pos += (uint64_t)n;
	}
	if (pos != size)
		return ib_fail(err, IB_EXIT_FAIL, "ntfs: %s changed while being copied to %s (%llu bytes, expected %llu)",
			       src, path, (unsigned long long)pos, (unsigned long long)size);
	return 0;
}

static int vol_put_file(struct ib_vol *v, const char *path, const char *src, uint64_t size,
			const struct timespec *mtime, struct ib_error *err)
{
	if (ib_names_check_path(&ib_ntfs_name_rules, path, err) < 0)
		return -1;
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", src);
	(void)posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL);
	_cleanup_free_ char *host = ib_xasprintf("%s%s", v->mnt, path);
	int out = open(host, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot create %s", path);
	int r = copy_data(v, in, out, path, src, size, err);
	/* FUSE reports some write errors only at close (flush). */
	if (close(out) < 0 && r == 0 && errno != EINTR)
		r = ib_fail_errno(err, -errno, "ntfs: cannot write %s", path);
	if (r == 0)
		r = set_times(host, mtime, err);
	return r;
}

static int vol_close(struct ib_vol *v, struct ib_error *err)
{
	if (!v)
		return 0;
	int r = 0;
	/* Adding entries changed the directories' times: set them again. */
	for (size_t i = 0; i < v->dirs.n && r == 0 && !ib_interrupted(); i++)
		r = set_times(v->dirs.v[i].path, &v->dirs.v[i].mtime, err);
	struct ib_error later = {0};
	if (teardown(v, r == 0 ? err : &later) < 0)
		r = -1;
	ib_error_clear(&later);
	return r;
}

const struct ib_vol_ops ib_vol_mount_ops = {
	.reads_src_now = true,
	.name = "mount",
	.open = vol_open,
	.mkdir = vol_mkdir,
	.put_file = vol_put_file,
	.close = vol_close,
};
