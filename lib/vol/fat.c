// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT volume backend: mtools on IMAGE@@OFFSET (offset in bytes). Rootless:
 * no loop device, no mount.
 *
 * Speed: one mtools run costs a few milliseconds, so files are queued per
 * destination directory and copied with one `mcopy SRC... ::/dir/` per
 * batch; directories are queued too and created (parents first) before any
 * batch runs. mcopy names each copy after its source's basename, so a file
 * whose destination name differs is copied alone with an explicit target.
 *
 * Times: mtools keeps no way to set a time after the fact. `mcopy -m` stamps
 * all of an entry's times (created, modified, accessed) with the source's
 * mtime; without -m it uses "now", which mtools takes from SOURCE_DATE_EPOCH.
 * So a file whose wanted mtime is its source's goes into a -m batch, any
 * other file (reproducible builds) into a batch run with
 * SOURCE_DATE_EPOCH=<wanted time>, and mmd runs with SOURCE_DATE_EPOCH set
 * to the directory's time. A directory's time is therefore set only when we
 * create it: one that already exists (the root, or one in a base image)
 * keeps its own. FAT keeps local time; mtools runs with TZ=UTC0 so the
 * image does not depend on the build host's time zone. FAT's 2-second
 * granularity applies.
 *
 * mtools runs with MTOOLSRC=/dev/null (the user's ~/.mtoolsrc must not
 * change what we write), LC_ALL=C.UTF-8 (host names are UTF-8; mtools
 * stores them as VFAT long names) and MTOOLS_NO_VFAT=0. */
#include "vol.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "core/spawn.h"
#include "fs/names.h"
#include "core/undo.h"

/* mtools argv stays well below ARG_MAX; flush when a queue reaches this. */
#define MAX_QUEUED 512
#define MAX_ARG_BYTES (96 * 1024)
/* FAT dates run from 1980 to 2107. */
#define FAT_EPOCH_MIN INT64_C(315532800)
#define FAT_EPOCH_MAX INT64_C(4354819199)

enum node_kind { NODE_DIR, NODE_FILE };

/* Every path the volume holds that we know of, keyed case-insensitively
 * (ASCII), because FAT names are. Open addressing. */
struct node {
	char *key;  /* folded path; NULL: free slot */
	char *path; /* as first spelled */
	enum node_kind kind;
	bool ours; /* put there by this session (else it was in the volume) */
};

struct node_map {
	struct node *v;
	size_t n, cap;
};

struct batch {
	char *dir;      /* destination directory */
	bool keep;      /* mcopy -m: times from the sources */
	int64_t epoch;  /* !keep: SOURCE_DATE_EPOCH */
	char *target;   /* explicit destination (single file), or NULL */
	bool short_name; /* every name it writes is a valid 8.3 name (runs first) */
	IB_VEC(char *) srcs;
};

struct queued_dir {
	char *path;
	int64_t epoch;
};

struct ib_vol {
	char *target; /* "image@@offset" */
	struct node_map nodes;
	IB_VEC(struct queued_dir) dirs;
	IB_VEC(struct batch *) batches;
	size_t queued, arg_bytes;
	bool failed; /* after a failure, close only frees */
};

/* ---- the path map ---- */

static char *fold(const char *s)
{
	char *k = ib_xstrdup(s);
	for (char *p = k; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return k;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

static struct node *map_slot(struct node_map *m, const char *key)
{
	size_t i = (size_t)hash_str(key) & (m->cap - 1);
	while (m->v[i].key && strcmp(m->v[i].key, key))
		i = (i + 1) & (m->cap - 1);
	return &m->v[i];
}

static struct node *map_find(struct node_map *m, const char *path)
{
	if (!m->cap)
		return NULL;
	_cleanup_free_ char *key = fold(path);
	struct node *n = map_slot(m, key);
	return n->key ? n : NULL;
}

static void map_add(struct node_map *m, const char *path, enum node_kind kind, bool ours)
{
	if ((m->n + 1) * 10 > m->cap * 7) {
		struct node_map g = {.cap = m->cap ? m->cap * 2 : 256};
		g.v = ib_xcalloc(g.cap, sizeof(*g.v));
		for (size_t i = 0; i < m->cap; i++)
			if (m->v[i].key)
				*map_slot(&g, m->v[i].key) = m->v[i];
		g.n = m->n;
		free(m->v);
		*m = g;
	}
	char *key = fold(path);
	struct node *n = map_slot(m, key);
	if (n->key) {
		free(key);
		return;
	}
	*n = (struct node){.key = key, .path = ib_xstrdup(path), .kind = kind, .ours = ours};
	m->n++;
}

static void map_free(struct node_map *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->v[i].key);
		free(m->v[i].path);
	}
	free(m->v);
	*m = (struct node_map){0};
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static char *parent_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s != path ? ib_xstrndup(path, (size_t)(s - path)) : ib_xstrdup("/");
}

/* ---- running mtools ---- */

static int fail_interrupted(struct ib_error *err)
{
	return ib_fail_interrupted(err, NULL);
}

static int run_mtools(struct ib_vol *v, const char *const *argv, int64_t epoch, char **out, struct ib_error *err)
{
	if (ib_interrupted()) {
		v->failed = true;
		return fail_interrupted(err);
	}
	char sde[48];
	snprintf(sde, sizeof sde, "SOURCE_DATE_EPOCH=%" PRId64, epoch);
	const char *env[] = {"MTOOLSRC=/dev/null", "LC_ALL=C.UTF-8", "TZ=UTC0", "MTOOLS_NO_VFAT=0",
			     epoch >= 0 ? sde : NULL, NULL};
	struct ib_spawn_opts opts = {.env = env, .stdin_fd = -1, .capture_stdout = out != NULL};
	struct ib_spawn_result res = {0};
	int r = ib_spawn(argv, &opts, &res, err);
	if (r == 0 && out)
		*out = TAKE_PTR(res.out);
	ib_spawn_result_free(&res);
	if (r < 0)
		v->failed = true;
	return r;
}

static int64_t clamp_epoch(int64_t t)
{
	return t < FAT_EPOCH_MIN ? FAT_EPOCH_MIN : t > FAT_EPOCH_MAX ? FAT_EPOCH_MAX : t;
}

static char *mpath(const char *path)
{
	return ib_xasprintf("::%s", path);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

/* mmd the queued directories, parents first, one run per run of equal times. */
static int flush_dirs(struct ib_vol *v, struct ib_error *err)
{
	size_t i = 0;
	int r = 0;
	while (i < v->dirs.n && r == 0) {
		size_t j = i;
		while (j < v->dirs.n && v->dirs.v[j].epoch == v->dirs.v[i].epoch)
			j++;
		IB_VEC(char *) argv = {0};
		IB_VEC_PUSH(argv, ib_xstrdup("mmd"));
		IB_VEC_PUSH(argv, ib_xstrdup("-i"));
		IB_VEC_PUSH(argv, ib_xstrdup(v->target));
		for (size_t k = i; k < j; k++)
			IB_VEC_PUSH(argv, mpath(v->dirs.v[k].path));
		IB_VEC_PUSH(argv, NULL);
		r = run_mtools(v, (const char *const *)argv.v, v->dirs.v[i].epoch, NULL, err);
		if (r < 0)
			ib_error_prefix(err, "creating '%s'%s", v->dirs.v[i].path, j - i > 1 ? " and others" : "");
		free_strv(argv.v, argv.n);
		free(argv.v);
		i = j;
	}
	for (size_t k = 0; k < v->dirs.n; k++)
		free(v->dirs.v[k].path);
	v->dirs.n = 0;
	return r;
}

static void batch_free(struct batch *b)
{
	free_strv(b->srcs.v, b->srcs.n);
	free(b->srcs.v);
	free(b->dir);
	free(b->target);
	free(b);
}

static int run_batch(struct ib_vol *v, const struct batch *b, struct ib_error *err)
{
	IB_VEC(char *) argv = {0};
	IB_VEC_PUSH(argv, ib_xstrdup("mcopy"));
	IB_VEC_PUSH(argv, ib_xstrdup("-Q")); /* stop at the first failure */
	IB_VEC_PUSH(argv, ib_xstrdup("-o")); /* replace existing files */
	if (b->keep)
		IB_VEC_PUSH(argv, ib_xstrdup("-m"));
	IB_VEC_PUSH(argv, ib_xstrdup("-i"));
	IB_VEC_PUSH(argv, ib_xstrdup(v->target));
	for (size_t i = 0; i < b->srcs.n; i++)
		IB_VEC_PUSH(argv, ib_xstrdup(b->srcs.v[i]));
	if (b->target)
		IB_VEC_PUSH(argv, mpath(b->target));
	else
		IB_VEC_PUSH(argv, ib_xasprintf("::%s%s", b->dir, strcmp(b->dir, "/") ? "/" : ""));
	IB_VEC_PUSH(argv, NULL);
	int r = run_mtools(v, (const char *const *)argv.v, b->keep ? -1 : b->epoch, NULL, err);
	if (r < 0) {
		if (b->target)
			ib_error_prefix(err, "copying to '%s'", b->target);
		else
			ib_error_prefix(err, "copying %zu file%s into '%s'", b->srcs.n, b->srcs.n == 1 ? "" : "s",
					b->dir);
	}
	free_strv(argv.v, argv.n);
	free(argv.v);
	return r;
}

/* Everything queued goes to the volume: directories first, then the file
 * batches in the order they were started, those whose names are valid 8.3
 * names before the others. A long name gets a generated short alias
 * (LONGFI~1.TXT) that mtools picks so it avoids the short names present; a
 * file named like an alias that was already taken would instead be a name
 * clash, and overwrite the other file. Creating the 8.3 names first makes
 * every alias avoid them, the same way on every build. */
static int flush_all(struct ib_vol *v, struct ib_error *err)
{
	int r = flush_dirs(v, err);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < v->batches.n; i++)
			if (r == 0 && v->batches.v[i]->short_name == (pass == 0))
				r = run_batch(v, v->batches.v[i], err);
	for (size_t i = 0; i < v->batches.n; i++)
		batch_free(v->batches.v[i]);
	v->batches.n = 0;
	v->queued = v->arg_bytes = 0;
	return r;
}

static int maybe_flush(struct ib_vol *v, struct ib_error *err)
{
	if (v->queued >= MAX_QUEUED || v->arg_bytes >= MAX_ARG_BYTES)
		return flush_all(v, err);
	return 0;
}

/* ---- the backend ---- */

/* Every path the volume holds, from `mdir -/ -b -a` (long names), into m. */
static int list_volume(struct ib_vol *v, struct node_map *m, struct ib_error *err)
{
	/* The root first: `mdir -/` fails on an empty root, and a fresh volume
	 * needs nothing more. */
	const char *top[] = {"mdir", "-b", "-a", "-i", v->target, "::/", NULL};
	const char *all[] = {"mdir", "-/", "-b", "-a", "-i", v->target, "::/", NULL};
	char *out = NULL;
	int r = run_mtools(v, top, -1, &out, err);
	if (r == 0 && out && *out) {
		free(out);
		out = NULL;
		r = run_mtools(v, all, -1, &out, err);
	}
	if (r < 0) {
		free(out);
		ib_error_prefix(err, "mtools cannot read the FAT volume at '%s'", v->target);
		return -1;
	}
	for (char *line = out; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "::/", 3)) {
			char *p = line + 2;
			size_t l = strlen(p);
			bool dir = l > 1 && p[l - 1] == '/';
			if (dir)
				p[l - 1] = '\0';
			if (strcmp(p, "/"))
				map_add(m, p, dir ? NODE_DIR : NODE_FILE, false);
		}
		line = nl ? nl + 1 : NULL;
	}
	free(out);
	return 0;
}

/* Learn what the volume already holds (nothing, for a fresh mkfs.fat; a base
 * image's ESP may hold plenty), so mkdir knows what exists. */
static int scan_existing(struct ib_vol *v, struct ib_error *err)
{
	return list_volume(v, &v->nodes, err);
}

/* After the last copy: every path we know of (put by us, or there before)
 * is still there. mtools replaces an entry on a name clash; should a clash
 * the planner could not foresee (a new name equal to the short alias of a
 * file already in a base image) have cost a file, the build fails instead
 * of shipping the image without it. */
static int verify_all_present(struct ib_vol *v, struct ib_error *err)
{
	struct node_map found = {0};
	int r = list_volume(v, &found, err);
	for (size_t i = 0; r == 0 && i < v->nodes.cap; i++) {
		const struct node *n = &v->nodes.v[i];
		if (n->key && strcmp(n->path, "/") && !map_find(&found, n->path))
			r = ib_fail(err, IB_EXIT_FAIL,
				    "FAT: '%s' is missing after the copy (mtools replaced it on a name clash: another "
				    "name in its directory has the same 8.3 short name); rename one of them",
				    n->path);
	}
	map_free(&found);
	return r;
}

static int fat_close(struct ib_vol *v, struct ib_error *err);

static int fat_open(struct ib_vol **out, const struct ib_vol_target *t, struct ib_error *err)
{
	*out = NULL;
	if (strstr(t->image, "@@"))
		return ib_fail(err, IB_EXIT_FAIL, "mtools cannot address an image whose path contains '@@': '%s'",
			       t->image);
	struct ib_vol *v = ib_xcalloc(1, sizeof(*v));
	v->target = ib_xasprintf("%s@@%" PRIu64, t->image, t->offset);
	map_add(&v->nodes, "/", NODE_DIR, false);
	if (scan_existing(v, err) < 0) {
		fat_close(v, NULL);
		return -1;
	}
	*out = v;
	return 0;
}

static int fat_mkdir(struct ib_vol *v, const char *path, const struct timespec *mtime, struct ib_error *err)
{
	if (ib_names_check_path(&ib_fat_name_rules, path, err) < 0) {
		v->failed = true;
		return -1;
	}
	int64_t epoch = clamp_epoch(mtime ? (int64_t)mtime->tv_sec : 0);
	/* mkdir -p: queue every missing component, parents first. */
	struct ib_buf prefix = {0};
	int r = 0;
	for (const char *p = path; *p && r == 0;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		if (e == p)
			break;
		ib_buf_puts(&prefix, "/");
		ib_buf_append(&prefix, p, (size_t)(e - p));
		p = e;
		struct node *n = map_find(&v->nodes, prefix.s);
		if (n && n->kind == NODE_FILE)
			r = ib_fail(err, IB_EXIT_INPUT, "'%s' is a file, not a directory", n->path);
		else if (!n) {
			map_add(&v->nodes, prefix.s, NODE_DIR, true);
			IB_VEC_PUSH(v->dirs, ((struct queued_dir){.path = ib_xstrdup(prefix.s), .epoch = epoch}));
			v->queued++;
			v->arg_bytes += prefix.len + 3;
		}
		/* A directory spelled in another case is the same directory on FAT. */
	}
	ib_buf_free(&prefix);
	if (r < 0) {
		v->failed = true;
		return -1;
	}
	return maybe_flush(v, err);
}

static struct batch *find_batch(struct ib_vol *v, const char *dir, bool keep, int64_t epoch, bool short_name)
{
	for (size_t i = v->batches.n; i-- > 0;) {
		struct batch *b = v->batches.v[i];
		if (!b->target && b->keep == keep && (keep || b->epoch == epoch) && b->short_name == short_name &&
		    !strcmp(b->dir, dir))
			return b;
	}
	struct batch *b = ib_xcalloc(1, sizeof(*b));
	b->dir = ib_xstrdup(dir);
	b->keep = keep;
	b->epoch = epoch;
	b->short_name = short_name;
	IB_VEC_PUSH(v->batches, b);
	return b;
}

static int fat_put_file(struct ib_vol *v, const char *path, const char *src, uint64_t size,
			const struct timespec *mtime, struct ib_error *err)
{
	(void)size; /* mcopy streams the file itself */
	if (!strcmp(base_name(path), "") || ib_names_check_path(&ib_fat_name_rules, path, err) < 0) {
		v->failed = true;
		return ib_fail(err, IB_EXIT_INPUT, "'%s' is not a file path", path);
	}
	struct node *n = map_find(&v->nodes, path);
	if (n && n->kind == NODE_DIR) {
		v->failed = true;
		return ib_fail(err, IB_EXIT_INPUT, "'%s' is a directory", n->path);
	}
	/* Two of our files differing only in case would overwrite each other; a
	 * file already in the volume (a base image) is simply replaced. */
	if (n && n->ours && strcmp(n->path, path)) {
		v->failed = true;
		return ib_fail(err, IB_EXIT_INPUT,
			       "'%s' and '%s' are the same name on FAT (names ignore case)", n->path, path);
	}
	/* Replacing a file put earlier: what is queued must land first. */
	if (n && flush_all(v, err) < 0)
		return -1;

	struct stat st;
	if (stat(src, &st) < 0) {
		v->failed = true;
		return ib_fail_errno(err, -errno, "cannot stat '%s'", src);
	}
	int64_t want = mtime ? (int64_t)mtime->tv_sec : (int64_t)st.st_mtim.tv_sec;
	bool keep = (int64_t)st.st_mtim.tv_sec == want && want == clamp_epoch(want);
	want = clamp_epoch(want);

	/* mtools reads a leading "x:" as a drive and a leading '-' as an option. */
	char *host = src[0] == '/' ? ib_xstrdup(src) : ib_xasprintf("./%s", src);
	_cleanup_free_ char *dir = parent_of(path);
	struct batch *b;
	const char *name = base_name(path);
	bool short_name = ib_fat_is_short_name(name, strlen(name));
	if (!strcmp(base_name(host), name)) {
		b = find_batch(v, dir, keep, want, short_name);
	} else {
		b = ib_xcalloc(1, sizeof(*b));
		b->dir = ib_xstrdup(dir);
		b->keep = keep;
		b->epoch = want;
		b->short_name = short_name;
		b->target = ib_xstrdup(path);
		IB_VEC_PUSH(v->batches, b);
	}
	v->arg_bytes += strlen(host) + 1;
	IB_VEC_PUSH(b->srcs, host);
	v->queued++;
	if (!n)
		map_add(&v->nodes, path, NODE_FILE, true);
	return maybe_flush(v, err);
}

static int fat_close(struct ib_vol *v, struct ib_error *err)
{
	if (!v)
		return 0;
	int r = 0;
	if (v->failed || ib_interrupted()) {
		/* Drop the queue: nothing more is written after a failure. */
		for (size_t i = 0; i < v->batches.n; i++)
			batch_free(v->batches.v[i]);
		v->batches.n = 0;
		if (!v->failed)
			r = fail_interrupted(err);
	} else {
		r = flush_all(v, err);
		if (r == 0)
			r = verify_all_present(v, err);
	}
	for (size_t k = 0; k < v->dirs.n; k++)
		free(v->dirs.v[k].path);
	free(v->dirs.v);
	free(v->batches.v);
	map_free(&v->nodes);
	free(v->target);
	free(v);
	return r;
}

const struct ib_vol_ops ib_vol_fat_ops = {
	.name = "fat",
	.open = fat_open,
	.mkdir = fat_mkdir,
	.put_file = fat_put_file,
	.close = fat_close,
};
