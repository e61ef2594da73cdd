// SPDX-License-Identifier: GPL-2.0-or-later
/* A libntfs-3g device that is a byte range of an image (a file, or an NBD
 * export: lib/core/blkio.h): every read and write goes to the image at
 * offset + pos and never outside [offset, offset + size). Private to the
 * ntfs3g volume backend. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fs/ntfs3g_compat.h"

struct ib_ntfs3g_io {
	struct ib_blk *blk;   /* the image, opened by the device's open op; NULL while closed */
	uint64_t offset;      /* partition start in the image, bytes */
	uint64_t size;        /* partition size, bytes */
	uint32_t sector_size; /* reported to BLKSSZGET */
	int64_t pos;          /* for seek/read/write */
	const char *path;     /* the image to open; NULL: the device's name */
};

/* A device named image (the path its open op opens) doing I/O through io,
 * which the caller owns and must keep alive until the device is freed
 * (ntfs_umount frees it; after a failed ntfs_device_mount call
 * ntfs_device_free). io->blk must be NULL. */
struct ntfs_device *ib_ntfs3g_device_new(const char *image, struct ib_ntfs3g_io *io);
/* The offset device's operations (for ntfs3g_route.c). */
extern const struct ntfs_device_operations ib_ntfs3g_offset_ops;

struct ib_vol_target;
struct ib_error;

/* Stream fd to its end into ni's unnamed data attribute, emptied first, in
 * chunks of bufsz through buf; SIGINT/SIGTERM stop it. *written: the bytes
 * written. path names the NTFS file and src the source in messages. The one
 * write loop of the volume backend and the injector. 0, or -1. */
int ib_ntfs3g_write_stream(ntfs_inode *ni, int fd, uint8_t *buf, size_t bufsz, const char *path, const char *src,
			   uint64_t *written, struct ib_error *err);
/* The one way NTFS inside an image is opened (the volume backend and the
 * injector's file operations): the partition must lie inside the image,
 * io is set up for it (io->blk must be NULL), and the volume is mounted
 * through the offset device. One policy for failures: a partition past the
 * image's end, or a volume that is not NTFS, is damaged, hibernated or has
 * an unclean journal, is bad input (exit 2, said plainly); anything else is
 * a build failure (exit 1). */
int ib_ntfs3g_mount(const struct ib_vol_target *t, bool read_only, struct ib_ntfs3g_io *io, ntfs_volume **vol,
		    struct ib_error *err);
