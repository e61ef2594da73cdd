// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading images for manifests (private to lib/inspect and lib/manifest):
 * opening an image of any format qemu-img reads as raw bytes, recognising
 * the filesystem a partition holds, and listing NTFS (libntfs-3g, read-only)
 * and FAT (a reader of our own) volumes. Every complaint about the image is
 * an input error (exit 2) naming the byte offset in the raw disk. */
#pragma once

#include <stdint.h>

#include "core/error.h"
#include "manifest.h"

struct ib_inspect_image {
	char *format;          /* qemu-img's format name */
	uint64_t virtual_size; /* qemu-img's virtual size */
	char *raw_path;        /* what is read: the image itself, or the temporary */
	char *tmp;             /* the raw temporary to remove, or NULL */
	int fd;                /* raw_path, read-only; -1 when closed or an NBD export */
	struct ib_blk *blk;    /* what is read: raw_path (a file, through fd, or an NBD export) */
	uint64_t size;         /* bytes readable through blk */
};

/* Ask `qemu-img info` for the format and size; a non-raw image is converted
 * with `qemu-img convert -O raw` into a sparse temporary in TMPDIR (removed
 * by close, also after a failure here). An NBD export's name
 * (lib/core/blkio.h: a build reading its work overlay) is read as it is.
 * 0 or -1. */
int ib_inspect_image_open(const char *path, struct ib_inspect_image *img, struct ib_error *err);
void ib_inspect_image_close(struct ib_inspect_image *img);

/* The value of a top-level key of a JSON object (string or number, as text,
 * malloc'd), or NULL. Nested objects are skipped, not searched. */
char *ib_inspect_json_top(const char *json, const char *key);

enum ib_inspect_fs { IB_INSPECT_FS_NONE, IB_INSPECT_FS_NTFS, IB_INSPECT_FS_FAT };
/* What the first sector of a volume looks like it holds. */
enum ib_inspect_fs ib_inspect_probe(const uint8_t sec[512]);

/* One volume to read: a byte range of the raw image. */
struct ib_inspect_vol {
	const char *path; /* the raw image (libntfs-3g opens it by name) */
	struct ib_blk *blk;
	uint64_t offset, size;
	uint32_t sector_size; /* of the disk */
	unsigned number;      /* partition number, for messages */
};

/* Fill p->fs and p->files (unsorted). 0, or -1 with err set. */
int ib_inspect_ntfs(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err);
int ib_inspect_fat(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err);

/* After ib_inspect_ntfs: set p->windows when the volume holds a Windows
 * (lib/windows/detect.h; hives and cmd.exe are copied into a temporary
 * directory in TMPDIR, removed on every path). A Windows that cannot be
 * read gets p->windows->error instead of a failure; -1 only when
 * interrupted. */
int ib_inspect_windows(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err);

/* Append an entry to p->files; path is taken over. */
void ib_inspect_add(struct ib_mf_part *p, char *path, bool dir, uint64_t size, const struct ib_mf_time *mtime,
		    const uint8_t *sha256);
