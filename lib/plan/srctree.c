// SPDX-License-Identifier: GPL-2.0-or-later
/* Scanning `files:` sources into a sorted list of entries. Everything a build
 * would trip over later (missing or unreadable sources, special files,
 * symlinks leaving the tree, symlink loops) is found here, while planning. */
#include "srctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct scan {
	const struct ib_loc *loc;
	struct ib_srctree *out;
	struct ib_error *err;
	char *root; /* realpath of the source directory: symlinks must stay under it */
	size_t root_len;
	IB_VEC(struct stat) ancestors; /* directories on the current path (loop check) */
};

static void push_entry(struct ib_srctree *t, const char *src, const char *dst, enum ib_src_kind kind,
		       const struct stat *st)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = ib_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = (struct ib_src_entry){
		.src = ib_xstrdup(src),
		.dst = ib_xstrdup(dst),
		.kind = kind,
		.size = kind == IB_SRC_FILE ? (uint64_t)st->st_size : 0,
		.mtime = st->st_mtim,
		.mtime_planned = st->st_mtim,
		.mode = st->st_mode,
		.dev = st->st_dev,
		.ino = st->st_ino,
		.ctime = st->st_ctim,
	};
	if (kind == IB_SRC_FILE) {
		t->nfiles++;
		t->bytes += (uint64_t)st->st_size;
	} else {
		t->ndirs++;
	}
}

/* Only regular files and directories can go into a volume. */
static int check_type(struct scan *s, const char *shown, const struct stat *st)
{
	const char *what = NULL;
	if (S_ISFIFO(st->st_mode))
		what = "a FIFO";
	else if (S_ISSOCK(st->st_mode))
		what = "a socket";
	else if (S_ISCHR(st->st_mode))
		what = "a character device";
	else if (S_ISBLK(st->st_mode))
		what = "a block device";
	else if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
		what = "not a regular file";
	if (!what)
		return 0;
	return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc,
			  "'%s' is %s; only regular files and directories can be copied", shown, what);
}

/* Can we read it as this user? (Root reads anything; others may not.) */
static int check_readable_file(struct scan *s, const char *host, const char *shown)
{
	/* O_NONBLOCK: never hang if a FIFO was swapped in after the stat. */
	int fd = open(host, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot read '%s': %s", shown, strerror(errno));
	close(fd);
	return 0;
}

/* A symlink inside the tree is followed if its target stays under the
 * source directory; st receives the target's stat. */
static int follow_symlink(struct scan *s, const char *host, const char *shown, struct stat *st, char **target)
{
	char *real = realpath(host, NULL);
	if (!real) {
		if (errno == ELOOP)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "symlink '%s' is a symlink loop", shown);
		if (errno == ENOENT)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc,
					  "symlink '%s' points to a missing target", shown);
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot resolve symlink '%s': %s", shown,
				  strerror(errno));
	}
	bool inside = s->root_len == 1 ||
		      (!strncmp(real, s->root, s->root_len) && (real[s->root_len] == '/' || !real[s->root_len]));
	if (!inside) {
		ib_fail_at(s->err, IB_EXIT_INPUT, s->loc,
			   "symlink '%s' points outside its source directory (to '%s')", shown, real);
		free(real);
		return -1;
	}
	if (lstat(real, st) < 0) {
		free(real);
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot stat '%s': %s", shown, strerror(errno));
	}
	*target = real;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The names in a directory, sorted by byte order. */
static int read_names(struct scan *s, const char *host, const char *shown, char ***out, size_t *nout)
{
	DIR *d = opendir(host);
	if (!d)
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot read directory '%s': %s", shown,
				  strerror(errno));
	IB_VEC(char *) names = {0};
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		IB_VEC_PUSH(names, ib_xstrdup(de->d_name));
		errno = 0;
	}
	int e = errno;
	closedir(d);
	if (e) {
		free_names(names.v, names.n);
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot read directory '%s': %s", shown,
				  strerror(e));
	}
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	*out = names.v;
	*nout = names.n;
	return 0;
}

static char *child_path(const char *dir, const char *name)
{
	size_t l = strlen(dir);
	return ib_xasprintf("%s%s%s", dir, l && dir[l - 1] == '/' ? "" : "/", name);
}

static int scan_dir(struct scan *s, const char *host, const char *dst, const char *shown, const struct stat *st);

/* One directory entry: host/shown/dst name the entry itself. */
static int scan_entry(struct scan *s, const char *host, const char *dst, const char *shown)
{
	struct stat st;
	if (lstat(host, &st) < 0)
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot stat '%s': %s", shown, strerror(errno));
	/* A symlink is replaced by the real path of its target, so the copy can
	 * open it without following any symlink. */
	_cleanup_free_ char *target = NULL;
	if (S_ISLNK(st.st_mode) && follow_symlink(s, host, shown, &st, &target) < 0)
		return -1;
	if (target)
		host = target;
	if (check_type(s, shown, &st) < 0)
		return -1;
	if (S_ISDIR(st.st_mode))
		return scan_dir(s, host, dst, shown, &st);
	if (check_readable_file(s, host, shown) < 0)
		return -1;
	push_entry(s->out, host, dst, IB_SRC_FILE, &st);
	return 0;
}

/* The directory itself first, then its children in name order, depth first. */
static int scan_dir(struct scan *s, const char *host, const char *dst, const char *shown, const struct stat *st)
{
	for (size_t i = 0; i < s->ancestors.n; i++)
		if (s->ancestors.v[i].st_dev == st->st_dev && s->ancestors.v[i].st_ino == st->st_ino)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc,
					  "symlink loop: '%s' leads back to one of its parent directories", shown);
	char **names = NULL;
	size_t n = 0;
	if (read_names(s, host, shown, &names, &n) < 0)
		return -1;
	push_entry(s->out, host, dst, IB_SRC_DIR, st);
	IB_VEC_PUSH(s->ancestors, *st);
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		char *h = child_path(host, names[i]);
		char *d = child_path(dst, names[i]);
		char *sh = child_path(shown, names[i]);
		r = scan_entry(s, h, d, sh);
		free(h);
		free(d);
		free(sh);
	}
	s->ancestors.n--;
	free_names(names, n);
	return r;
}

/* "/a//b/./c/" -> "/a/b/c" (root stays "/"); ".." is refused. */
static char *normalize_dst(const char *dst, const struct ib_loc *loc, struct ib_error *err)
{
	struct ib_buf b = {0};
	const char *p = dst;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t len = (size_t)(e - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			ib_buf_free(&b);
			ib_fail_at(err, IB_EXIT_INPUT, loc, "dst '%s' must not contain '..'", dst);
			return NULL;
		}
		if (len && !(len == 1 && p[0] == '.')) {
			ib_buf_puts(&b, "/");
			ib_buf_append(&b, p, len);
		}
		p = e;
	}
	if (!b.len)
		ib_buf_puts(&b, "/");
	return ib_buf_steal(&b);
}

static const char *base_name(const char *path)
{
	size_t l = strlen(path);
	while (l > 1 && path[l - 1] == '/')
		l--;
	const char *name = path;
	for (size_t i = 0; i + 1 < l; i++)
		if (path[i] == '/')
			name = path + i + 1;
	return name;
}

static int scan_top(struct scan *s, const char *host, const char *src, const char *dst)
{
	struct stat st;
	/* The named source itself may be a symlink: use what it points to. */
	if (stat(host, &st) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "src '%s' does not exist", src);
		if (errno == ELOOP)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "src '%s' is a symlink loop", src);
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot stat src '%s': %s", src, strerror(errno));
	}
	if (check_type(s, src, &st) < 0)
		return -1;

	bool dst_is_dir = dst[0] && dst[strlen(dst) - 1] == '/';
	_cleanup_free_ char *ndst = normalize_dst(dst, s->loc, s->err);
	if (!ndst)
		return -1;

	if (!S_ISDIR(st.st_mode)) {
		if (check_readable_file(s, host, src) < 0)
			return -1;
		if (!dst_is_dir && !strcmp(ndst, "/"))
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc,
					  "dst '%s' names the volume root; a file needs a name (or end dst with '/')",
					  dst);
		_cleanup_free_ char *fdst = dst_is_dir ? child_path(ndst, base_name(src)) : NULL;
		/* The real path, so the copy opens it without following symlinks. */
		_cleanup_free_ char *real = realpath(host, NULL);
		struct stat rst;
		if (!real || lstat(real, &rst) < 0)
			return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot resolve src '%s': %s", src,
					  strerror(errno));
		push_entry(s->out, real, fdst ? fdst : ndst, IB_SRC_FILE, &rst);
		return 0;
	}

	s->root = realpath(host, NULL);
	if (!s->root)
		return ib_fail_at(s->err, IB_EXIT_INPUT, s->loc, "cannot resolve src '%s': %s", src, strerror(errno));
	s->root_len = strlen(s->root);
	return scan_dir(s, host, ndst, src, &st);
}

int ib_srctree_scan(const char *base_dir, const char *src, const char *dst, const struct ib_loc *loc,
		    struct ib_srctree *out, struct ib_error *err)
{
	*out = (struct ib_srctree){0};
	if (!src || !*src)
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "src is empty");
	if (!dst || !*dst)
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "dst is empty");
	_cleanup_free_ char *host = ib_path_join(base_dir, src);
	/* Strip trailing slashes ("payload/efi/") so child paths look normal. */
	for (size_t l = strlen(host); l > 1 && host[l - 1] == '/'; l--)
		host[l - 1] = '\0';
	struct scan s = {.loc = loc, .out = out, .err = err};
	int r = scan_top(&s, host, src, dst);
	free(s.root);
	free(s.ancestors.v);
	if (r < 0)
		ib_srctree_free(out);
	return r;
}

void ib_srctree_free(struct ib_srctree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].src);
		free(t->v[i].dst);
	}
	free(t->v);
	*t = (struct ib_srctree){0};
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int ib_src_check(const struct ib_src_entry *e, const struct stat *given, struct ib_error *err)
{
	struct stat st;
	if (!given) {
		if (lstat(e->src, &st) < 0)
			return ib_fail_errno(err, -errno, "the source '%s' is gone since it was planned", e->src);
		given = &st;
	}
	const char *what = NULL;
	if (!S_ISREG(given->st_mode))
		what = S_ISLNK(given->st_mode) ? "was replaced by a symlink" : "is no longer a regular file";
	else if (given->st_dev != e->dev || given->st_ino != e->ino)
		what = "was replaced by another file";
	else if ((uint64_t)given->st_size != e->size)
		what = "changed size";
	else if (!same_time(&given->st_mtim, &e->mtime_planned) || !same_time(&given->st_ctim, &e->ctime))
		what = "was modified";
	if (!what)
		return 0;
	return ib_fail(err, IB_EXIT_FAIL,
		       "the source '%s' %s since the build was planned (%llu bytes planned, %llu now): a file that "
		       "changes during the build would be copied torn; build again when it is stable",
		       e->src, what, (unsigned long long)e->size, (unsigned long long)given->st_size);
}

int ib_srctree_check_unchanged(const struct ib_srctree *trees, size_t ntrees, struct ib_error *err)
{
	for (size_t t = 0; t < ntrees; t++)
		for (size_t i = 0; i < trees[t].n; i++)
			if (trees[t].v[i].kind == IB_SRC_FILE && ib_src_check(&trees[t].v[i], NULL, err) < 0)
				return -1;
	return 0;
}
