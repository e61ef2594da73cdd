// SPDX-License-Identifier: GPL-2.0-or-later
/* Replaying scanned source trees into a volume, whatever the backend. */
#include "vol.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "core/undo.h"

/* "/a/b/c" -> "/a/b"; "/c" -> "/". */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return ib_xstrdup("/");
	return ib_xstrndup(path, (size_t)(slash - path));
}

static int put_entry(const struct ib_vol_ops *ops, struct ib_vol *v, const struct ib_src_entry *e,
		     struct ib_error *err)
{
	if (e->kind == IB_SRC_DIR) {
		if (ops->mkdir(v, e->dst, &e->mtime, err) < 0) {
			ib_error_prefix(err, "%s: creating directory '%s'", ops->name, e->dst);
			return -1;
		}
		return 0;
	}
	/* O_NOFOLLOW and the identity check: a file swapped for a symlink (or
	 * another file) after planning cannot pull other data into the image. */
	_cleanup_close_ int fd = open(e->src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "%s: cannot open the source '%s'%s", ops->name, e->src,
				     errno == ELOOP ? " (it was replaced by a symlink since the build was planned)" : "");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "%s: cannot stat the source '%s'", ops->name, e->src);
	if (ib_src_check(e, &st, err) < 0)
		return -1;
	char fdpath[32];
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", fd);
	if (ops->put_file(v, e->dst, ops->reads_src_now ? fdpath : e->src, e->size, &e->mtime, err) < 0) {
		ib_error_prefix(err, "%s: writing '%s' from '%s'", ops->name, e->dst, e->src);
		return -1;
	}
	return 0;
}

int ib_vol_put_trees(const struct ib_vol_ops *ops, struct ib_vol *v, const struct ib_srctree *trees,
		     size_t ntrees, struct ib_error *err)
{
	for (size_t t = 0; t < ntrees; t++) {
		const struct ib_srctree *tree = &trees[t];
		/* A file source has no directory entry of its own: make its parent
		 * (mkdir -p), stamped with the file's time so the result is
		 * reproducible. A directory source starts with its own DIR entry. */
		if (tree->n && tree->v[0].kind == IB_SRC_FILE) {
			_cleanup_free_ char *parent = parent_of(tree->v[0].dst);
			if (strcmp(parent, "/") && ops->mkdir(v, parent, &tree->v[0].mtime, err) < 0) {
				ib_error_prefix(err, "%s: creating directory '%s'", ops->name, parent);
				return -1;
			}
		}
		for (size_t i = 0; i < tree->n; i++) {
			if (ib_interrupted())
				return ib_fail_interrupted(err, NULL);
			if (put_entry(ops, v, &tree->v[i], err) < 0)
				return -1;
		}
	}
	return 0;
}
