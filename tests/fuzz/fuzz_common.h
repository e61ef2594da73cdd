// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers the fuzz targets share: the input as a file the code under test
 * can open by name (a memfd, seen through /proc/self/fd), without touching
 * the disk. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/undo.h"

/* fd of a memfd holding data (rewound), its path in *path; -1 on failure. */
static inline int fuzz_memfd(const uint8_t *data, size_t size, char path[64])
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	lseek(fd, 0, SEEK_SET);
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

/* One of inspect's volume readers (FAT, NTFS) on the input as a volume. */
#include "core/blkio.h"
#include "inspect/inspect.h"
#include "inspect/manifest.h"

typedef int (*fuzz_vol_reader)(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err);

static inline void fuzz_inspect(const uint8_t *data, size_t size, fuzz_vol_reader read)
{
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	if (fd < 0)
		return;
	struct ib_manifest *m = ib_xcalloc(1, sizeof(*m));
	IB_VEC_PUSH(m->parts, ((struct ib_mf_part){.number = 1, .size = size}));
	struct ib_blk *blk = ib_blk_from_fd(fd, size);
	struct ib_inspect_vol v = {.path = path, .blk = blk, .offset = 0, .size = size, .sector_size = 512, .number = 1};
	struct ib_error err = {0};
	read(&v, &m->parts.v[0], &err);
	ib_error_clear(&err);
	ib_blk_close(blk);
	ib_manifest_free(m);
	close(fd);
}
