// SPDX-License-Identifier: GPL-2.0-or-later
/* Source trees of `files:` entries: scanned and checked while planning (so a
 * bad source is an input error before anything is written), then replayed in
 * sorted order by the volume backends. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/error.h"

enum ib_src_kind { IB_SRC_DIR, IB_SRC_FILE };

struct ib_src_entry {
	char *src; /* path on the host, to open */
	char *dst; /* absolute path inside the volume */
	enum ib_src_kind kind;
	uint64_t size;
	struct timespec mtime;
	mode_t mode;
	/* What the file was when planned, to notice a change or a swap before
	 * and after the copy (ib_src_check): its identity and change time. */
	dev_t dev;
	ino_t ino;
	struct timespec mtime_planned, ctime; /* mtime above may be the epoch */
};

struct ib_srctree {
	/* Parents before children; siblings in byte order of their names. The
	 * destination directory of a tree itself is the first entry (kind DIR),
	 * with the source directory's mtime. */
	struct ib_src_entry *v;
	size_t n, cap;
	uint64_t nfiles, ndirs, bytes;
};

/* Resolve one {src, dst} against base_dir and scan it (docs/recipe.md, "files":
 * a directory copies its contents into dst; a file becomes dst, or
 * dst/<name> when dst ends in '/'). Symlinks are followed when they point
 * inside src; a symlink pointing outside src, a device, FIFO or socket, or an
 * unreadable entry is an input error (exit 2) naming it, located at loc. */
int ib_srctree_scan(const char *base_dir, const char *src, const char *dst, const struct ib_loc *loc,
		    struct ib_srctree *out, struct ib_error *err);
void ib_srctree_free(struct ib_srctree *t);

/* The file at e->src (not following a final symlink: a symlink the planner
 * followed is recorded as its target's real path) is still the regular file
 * that was planned: same device and inode, size, modification and change
 * time. st: the caller's fstat of an already opened descriptor, or NULL to
 * lstat e->src. Otherwise an error (exit 1) saying what changed: a source
 * that changes during the build would give a torn or foreign file. */
int ib_src_check(const struct ib_src_entry *e, const struct stat *st, struct ib_error *err);
/* ib_src_check for every file of the trees (after the copy). */
int ib_srctree_check_unchanged(const struct ib_srctree *trees, size_t ntrees, struct ib_error *err);
