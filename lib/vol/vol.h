// SPDX-License-Identifier: GPL-2.0-or-later
/* Volume backends: put files into a filesystem that lives inside the image,
 * at a partition's byte offset. One small interface, one file per backend. */
#pragma once

#include <stdint.h>
#include <sys/stat.h>

#include "core/error.h"
#include "recipe/recipe.h"
#include "plan/srctree.h"
#include "core/undo.h"

struct ib_vol; /* backend-private */

struct ib_vol_target {
	const char *image;   /* path of the raw work image */
	uint64_t offset;     /* partition start, bytes */
	uint64_t size;       /* partition size, bytes */
	uint32_t sector_size;
	const char *work_dir; /* for the backend's temporary files */
	/* For backends that attach the partition as a device (mount): its
	 * number in the table (illumos names nodes after it), the table kind,
	 * and the undo stack the unmount and the detach go on while they are
	 * pending (NULL: close alone cleans up). Others ignore these. */
	unsigned number;
	enum ib_table table;
	struct ib_undo *undo;
};

struct ib_vol_ops {
	const char *name;
	/* put_file opens src itself and reads it through to the end before it
	 * returns, so it can be handed an already opened and checked source as
	 * "/dev/fd/N" (ib_vol_put_trees); mtools names its copies after the
	 * source's basename, so FAT is given the path. */
	bool reads_src_now;
	int (*open)(struct ib_vol **out, const struct ib_vol_target *t, struct ib_error *err);
	/* mkdir -p: existing directories are fine. mtime applies to the last component. */
	int (*mkdir)(struct ib_vol *v, const char *path, const struct timespec *mtime, struct ib_error *err);
	/* Create or replace the file at path with the contents of src (streamed in
	 * bounded chunks), with the given mtime. Parent directories exist. */
	int (*put_file)(struct ib_vol *v, const char *path, const char *src, uint64_t size,
			const struct timespec *mtime, struct ib_error *err);
	/* Flush and release. On failure paths it is still called (to free). */
	int (*close)(struct ib_vol *v, struct ib_error *err);
};

extern const struct ib_vol_ops ib_vol_ntfs3g_ops; /* libntfs-3g at an offset */
extern const struct ib_vol_ops ib_vol_fat_ops;    /* mtools on IMAGE@@OFFSET */
/* NTFS through the platform: the partition attached as a block device
 * (loop / lofi), the FUSE driver verified, ntfs-3g mounted in the work dir,
 * plain POSIX I/O; close unmounts and detaches (lib/vol/mount.c). */
extern const struct ib_vol_ops ib_vol_mount_ops;

/* Replay scanned trees into an open volume, in their (sorted) order. Each
 * source file must still be the one planned (ib_src_check): opened without
 * following symlinks and checked before it is copied; after the volume is
 * closed the caller checks them all again (ib_srctree_check_unchanged), so a
 * file that changed or was swapped during the copy fails the build. */
int ib_vol_put_trees(const struct ib_vol_ops *ops, struct ib_vol *v, const struct ib_srctree *trees,
		     size_t ntrees, struct ib_error *err);
