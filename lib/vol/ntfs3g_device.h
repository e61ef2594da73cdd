// SPDX-License-Identifier: GPL-2.0-or-later
/* A libntfs-3g device that is a byte range of an image file: every read and
 * write goes to the image at offset + pos and never outside [offset,
 * offset + size). Private to the ntfs3g volume backend. */
#pragma once

#include <stdint.h>

#include "ntfs3g_compat.h"

struct ib_ntfs3g_io {
	int fd;               /* the image, opened by the device's open op; -1 while closed */
	uint64_t offset;      /* partition start in the image, bytes */
	uint64_t size;        /* partition size, bytes */
	uint32_t sector_size; /* reported to BLKSSZGET */
	int64_t pos;          /* for seek/read/write */
};

/* A device named image (the path its open op opens) doing I/O through io,
 * which the caller owns and must keep alive until the device is freed
 * (ntfs_umount frees it; after a failed ntfs_device_mount call
 * ntfs_device_free). io->fd must be -1. */
struct ntfs_device *ib_ntfs3g_device_new(const char *image, struct ib_ntfs3g_io *io);
