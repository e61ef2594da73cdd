// SPDX-License-Identifier: GPL-2.0-or-later
/* File operations on an NTFS volume inside an image, through libntfs-3g and
 * the offset device, for code that edits an existing Windows volume (the
 * offline injector): case-insensitive path lookup (Windows names are case
 * preserving but matched without case), reading a file out to the host,
 * writing or replacing a file from a host file, mkdir -p reusing existing
 * directories whatever their case, renaming inside a directory, listing.
 *
 * Paths are '/'-separated and absolute ("/Windows/System32/config/SYSTEM").
 * Functions taking `path` look each component up case-insensitively; an
 * exact-case match wins over other matches. A read-only open never writes a
 * byte of the image (libntfs-3g's NTFS_MNT_RDONLY). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/error.h"
#include "vol.h"

struct ib_ntfs_files; /* an open volume */

/* Open the NTFS at t->offset of t->image; read-only or read-write. A volume
 * that is not NTFS or was not closed cleanly by Windows is an input error
 * (exit 2). mtime (may be NULL: the current time) stamps every file and
 * directory created or written through this handle. */
int ib_ntfs_files_open(const struct ib_vol_target *t, bool read_only, const struct timespec *mtime,
		       struct ib_ntfs_files **out, struct ib_error *err);
/* Flush and release; NULL is fine. */
int ib_ntfs_files_close(struct ib_ntfs_files *f, struct ib_error *err);

/* Look path up: 1 found (*real, if given, is the path as stored on the
 * volume, malloc'd; *is_dir if given), 0 absent (a missing component or a
 * file where a directory was needed), -1 error. */
int ib_ntfs_files_resolve(struct ib_ntfs_files *f, const char *path, char **real, bool *is_dir,
			  struct ib_error *err);
/* Names in a directory (no "." / ".."; DOS 8.3 aliases left out), as
 * stored, sorted by byte value. */
int ib_ntfs_files_list(struct ib_ntfs_files *f, const char *dir, char ***names, size_t *n, struct ib_error *err);
void ib_ntfs_files_names_free(char **names, size_t n);

/* Copy the file's data into host_dst (created, truncated). *size if given. */
int ib_ntfs_files_read(struct ib_ntfs_files *f, const char *path, const char *host_dst, uint64_t *size,
		       struct ib_error *err);
/* mkdir -p: existing components (any case) are reused; new ones are made
 * with the case given. *real (if given) is the resulting stored path. */
int ib_ntfs_files_mkdir(struct ib_ntfs_files *f, const char *path, char **real, struct ib_error *err);
/* Create the file, or replace the contents of an existing one (any case;
 * its stored name is kept), from host_src. The parent must exist. */
int ib_ntfs_files_write(struct ib_ntfs_files *f, const char *path, const char *host_src, struct ib_error *err);
/* Rename the file from to the name to_name in the same directory; an
 * existing to_name (any case) is replaced. The old target is first linked
 * under a temporary name, so at every step one complete file is reachable
 * under the target or the temporary name. */
int ib_ntfs_files_rename(struct ib_ntfs_files *f, const char *from, const char *to_name, struct ib_error *err);
/* Delete a file (not a directory). 1 deleted, 0 absent, -1 error. */
int ib_ntfs_files_remove(struct ib_ntfs_files *f, const char *path, struct ib_error *err);
