// SPDX-License-Identifier: GPL-2.0-or-later
/* Sparse disk images and loop devices for the unit tests' independent
 * checks (sgdisk/sfdisk on 4 KiB sectors, ntfs-3g mounts). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Create or truncate path as a sparse file of bytes; an O_RDWR fd (asserted). */
int ut_sparse_disk(const char *path, uint64_t bytes);

/* A read-only loop device kept open (fd) but already detached (autoclear):
 * the kernel frees it when its last user closes it, also if the test dies. */
struct ut_loop {
	char *dev;
	int fd; /* -1 when not attached */
};

/* Attach path with 4096-byte sectors. false (after printing "SKIP: 4096-byte
 * sectors: <who> need a loop device, which needs root" or why losetup
 * failed) when impossible. */
bool ut_loop_attach_4k(struct ut_loop *l, const char *path, const char *who);
void ut_loop_release(struct ut_loop *l);

/* The partition-table tests' fixture: a scratch directory for images and a
 * loop device for the peer tools. */
struct ut_diskfx {
	char dir[64];
	struct ut_loop loop;
};
int ut_diskfx_setup(void **state, const char *tag);
int ut_diskfx_teardown(void **state);

/* dir/name as a sparse image of bytes: an O_RDWR fd, and *path (caller frees). */
int ut_diskfx_image(const struct ut_diskfx *f, const char *name, uint64_t bytes, char **path);

/* The object of the partition starting at sector start in `sfdisk --json`
 * output (caller frees); asserted to exist. */
char *ut_sfdisk_part(const char *json, uint64_t start);

/* Whether a loop device + ntfs-3g mount can be made (root, losetup, ntfs-3g,
 * umount, /dev/fuse); else prints SKIP (check names the check for the
 * not-root case, e.g. "the ntfs-3g mount check") and returns false. */
bool ut_ntfs3g_usable(const char *check);

/* losetup -r over [off, off + size) of image: the device (caller frees), or
 * NULL after printing "SKIP: losetup failed (...); <not_run>". */
char *ut_loop_attach_range(const char *image, uint64_t off, uint64_t size, const char *not_run);

/* Unmount mnt when *mounted (clearing it on success), then detach and free
 * *loopdev when set: for every path, the failing ones included. */
void ut_unmount_detach(const char *mnt, bool *mounted, char **loopdev);
