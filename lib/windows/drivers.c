// SPDX-License-Identifier: GPL-2.0-or-later
/* Driver sources: plain folders, virtio-win trees and virtio-win ISOs
 * (layout <Driver>/<os>/<arch>/file, windows-injection.md section 2). The
 * ISO is read with libarchive; only the chosen folders are extracted, *.pdb
 * and sriov/ left out as libguestfs does. */
#include "drivers.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- host helpers ---- */

char *ib_win_host_child(const char *dir, const char *name)
{
	_cleanup_free_ char *exact = ib_path_join(dir, name);
	struct stat st;
	if (lstat(exact, &st) == 0)
		return TAKE_PTR(exact);
	DIR *dh = opendir(dir);
	if (!dh)
		return NULL;
	char *found = NULL;
	for (struct dirent *de; (de = readdir(dh));)
		if (strcasecmp(de->d_name, name) == 0) {
			found = ib_path_join(dir, de->d_name);
			break;
		}
	closedir(dh);
	return found;
}

char *ib_win_host_path(const char *dir, const char *rel)
{
	char *cur = ib_xstrdup(dir);
	_cleanup_free_ char *copy = ib_xstrdup(rel);
	for (char *p = copy; *p; p++)
		if (*p == '\\')
			*p = '/';
	for (char *save = NULL, *c = strtok_r(copy, "/", &save); c && cur; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		char *next = strcmp(c, "..") ? ib_win_host_child(cur, c) : NULL;
		free(cur);
		cur = next;
	}
	return cur;
}

char *ib_win_volume_path(const char *root, const char *win)
{
	static const struct {
		const char *var, *path; /* path: NULL = the system root */
	} vars[] = {
		{"%SystemRoot%", NULL},
		{"%windir%", NULL},
		{"%SystemDrive%", ""},
		{"%ProgramFiles%", "/Program Files"},
		{"%CommonProgramFiles%", "/Program Files/Common Files"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(vars); i++) {
		size_t n = strlen(vars[i].var);
		if (strncasecmp(win, vars[i].var, n) || (win[n] && win[n] != '\\'))
			continue;
		char *out = ib_xasprintf("%s%s", vars[i].path ? vars[i].path : root, win + n);
		for (char *p = out; *p; p++)
			if (*p == '\\')
				*p = '/';
		if (!*out) {
			free(out);
			out = ib_xstrdup("/");
		}
		return out;
	}
	return NULL;
}

void ib_win_files_add(struct ib_win_files *l, const char *src, const char *dst, bool generated)
{
	for (size_t i = 0; i < l->list.n; i++)
		if (strcasecmp(l->list.v[i].dst, dst) == 0) {
			free(l->list.v[i].src);
			l->list.v[i].src = ib_xstrdup(src);
			l->list.v[i].generated = generated;
			return;
		}
	struct ib_win_file f = {ib_xstrdup(src), ib_xstrdup(dst), generated};
	IB_VEC_PUSH(l->list, f);
}

void ib_win_files_free(struct ib_win_files *l)
{
	for (size_t i = 0; i < l->list.n; i++) {
		free(l->list.v[i].src);
		free(l->list.v[i].dst);
	}
	free(l->list.v);
	l->list.v = NULL;
	l->list.n = l->list.cap = 0;
}

void ib_win_drvdirs_free(struct ib_win_drvdirs *l)
{
	for (size_t i = 0; i < l->list.n; i++) {
		free(l->list.v[i].dir);
		free(l->list.v[i].name);
		free(l->list.v[i].source);
	}
	free(l->list.v);
	*l = (struct ib_win_drvdirs){0};
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool has_inf(const char *dir)
{
	DIR *dh = opendir(dir);
	bool found = false;
	for (struct dirent *de; dh && !found && (de = readdir(dh));)
		found = ends_with_ci(de->d_name, ".inf");
	if (dh)
		closedir(dh);
	return found;
}

static void add_dir(struct ib_win_drvdirs *out, const char *dir, const char *name, const char *source,
		    const struct ib_win_driver_spec *spec, bool from_tree)
{
	/* Staging names must be unique: viostor, viostor-2, ... */
	char *unique = ib_xstrdup(name);
	for (unsigned k = 2;; k++) {
		bool clash = false;
		for (size_t i = 0; i < out->list.n && !clash; i++)
			clash = strcasecmp(out->list.v[i].name, unique) == 0;
		if (!clash)
			break;
		free(unique);
		unique = ib_xasprintf("%s-%u", name, k);
	}
	struct ib_win_drvdir d = {ib_xstrdup(dir), unique, ib_xstrdup(source), spec, from_tree};
	IB_VEC_PUSH(out->list, d);
}

/* ---- the <Driver>/<os>/<arch> index of a tree or an ISO ---- */

struct triple {
	char *drv, *os, *arch;
};
struct layout {
	IB_VEC(struct triple) v;
};
struct chosen {
	IB_VEC(const struct triple *) list;
};
struct names {
	IB_VEC(char *) list;
};

static void layout_add(struct layout *l, const char *drv, const char *os, const char *arch)
{
	for (size_t i = 0; i < l->v.n; i++)
		if (!strcmp(l->v.v[i].drv, drv) && !strcmp(l->v.v[i].os, os) && !strcmp(l->v.v[i].arch, arch))
			return;
	struct triple t = {ib_xstrdup(drv), ib_xstrdup(os), ib_xstrdup(arch)};
	IB_VEC_PUSH(l->v, t);
}

static void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->v.n; i++)
		free(l->v.v[i].drv), free(l->v.v[i].os), free(l->v.v[i].arch);
	free(l->v.v);
}

/* Distinct values of one field (0 drv, 1 os, 2 arch) among triples matching
 * drv (and os), as a ", "-separated sorted list. */
static char *layout_list(const struct layout *l, int field, const char *drv, const char *os)
{
	IB_VEC(const char *) seen = {0};
	for (size_t i = 0; i < l->v.n; i++) {
		const struct triple *t = &l->v.v[i];
		if ((drv && strcasecmp(t->drv, drv)) || (os && strcasecmp(t->os, os)))
			continue;
		const char *val = field == 0 ? t->drv : field == 1 ? t->os : t->arch;
		bool dup = false;
		for (size_t k = 0; k < seen.n && !dup; k++)
			dup = strcasecmp(seen.v[k], val) == 0;
		if (!dup)
			IB_VEC_PUSH(seen, val);
	}
	for (size_t i = 1; i < seen.n; i++)
		for (size_t k = i; k > 0 && strcasecmp(seen.v[k - 1], seen.v[k]) > 0; k--) {
			const char *x = seen.v[k];
			seen.v[k] = seen.v[k - 1];
			seen.v[k - 1] = x;
		}
	struct ib_buf b = {0};
	for (size_t i = 0; i < seen.n; i++)
		ib_buf_printf(&b, "%s%s", i ? ", " : "", seen.v[i]);
	free(seen.v);
	return b.len ? ib_buf_steal(&b) : (ib_buf_free(&b), ib_xstrdup("(none)"));
}

/* Subdirectory names of dir. */
static void subdirs(const char *dir, struct names *out)
{
	DIR *dh = opendir(dir);
	for (struct dirent *de; dh && (de = readdir(dh));) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = ib_path_join(dir, de->d_name);
		if (is_dir(p))
			IB_VEC_PUSH(out->list, ib_xstrdup(de->d_name));
	}
	if (dh)
		closedir(dh);
}

static void tree_layout(const char *root, struct layout *l)
{
	struct names drvs = {0};
	subdirs(root, &drvs);
	for (size_t i = 0; i < drvs.list.n; i++) {
		_cleanup_free_ char *dp = ib_path_join(root, drvs.list.v[i]);
		struct names oses = {0};
		subdirs(dp, &oses);
		for (size_t k = 0; k < oses.list.n; k++) {
			_cleanup_free_ char *op = ib_path_join(dp, oses.list.v[k]);
			struct names arches = {0};
			subdirs(op, &arches);
			for (size_t m = 0; m < arches.list.n; m++) {
				layout_add(l, drvs.list.v[i], oses.list.v[k], arches.list.v[m]);
				free(arches.list.v[m]);
			}
			free(arches.list.v);
			free(oses.list.v[k]);
		}
		free(oses.list.v);
		free(drvs.list.v[i]);
	}
	free(drvs.list.v);
}

/* Choose the triples for the detected os/arch and the selection. Each
 * chosen one is appended to chosen (pointers into l). */
static int layout_choose(const struct layout *l, const struct ib_win_driver_spec *s, const char *source,
			 const struct ib_win_detect *d, struct chosen *ch, struct ib_error *err)
{
	if (!d->virtio_os)
		return ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
				  "%s: virtio-win has no folder for Windows %u.%u build %u (%s)", source, d->ver.major,
				  d->ver.minor, d->ver.build, d->ver.product_name ? d->ver.product_name : "unknown");
	for (size_t i = 0; i < s->n_select; i++) {
		bool any = false, any_os = false;
		for (size_t k = 0; k < l->v.n; k++) {
			const struct triple *t = &l->v.v[k];
			if (strcasecmp(t->drv, s->select[i]))
				continue;
			any = true;
			if (strcasecmp(t->os, d->virtio_os))
				continue;
			any_os = true;
			if (strcasecmp(t->arch, d->virtio_arch) == 0) {
				IB_VEC_PUSH(ch->list, t);
				break;
			}
		}
		const struct triple *last = ch->list.n ? ch->list.v[ch->list.n - 1] : NULL;
		if (last && !strcasecmp(last->drv, s->select[i]))
			continue;
		if (s->select_if_present) /* a target's wish list: take what is there */
			continue;
		_cleanup_free_ char *list = !any      ? layout_list(l, 0, NULL, NULL)
					    : !any_os ? layout_list(l, 1, s->select[i], NULL)
						      : layout_list(l, 2, s->select[i], d->virtio_os);
		if (!any)
			return ib_fail_at(err, IB_EXIT_INPUT, &s->loc, "%s has no driver \"%s\"; it has: %s", source,
					  s->select[i], list);
		if (!any_os)
			return ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
					  "%s: driver %s has no folder for the detected Windows (%s); it has: %s", source,
					  s->select[i], d->virtio_os, list);
		return ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
				  "%s: driver %s has no %s\\%s folder for the detected architecture; %s has: %s", source,
				  s->select[i], d->virtio_os, d->virtio_arch, d->virtio_os, list);
	}
	if (s->n_select && s->select_if_present && !ch->list.n) {
		_cleanup_free_ char *list = layout_list(l, 0, NULL, NULL);
		return ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
				  "%s holds none of the drivers the target wants for %s\%s; it has: %s", source,
				  d->virtio_os, d->virtio_arch, list);
	}
	if (s->n_select)
		return 0;
	for (size_t k = 0; k < l->v.n; k++) {
		const struct triple *t = &l->v.v[k];
		if (!strcasecmp(t->os, d->virtio_os) && !strcasecmp(t->arch, d->virtio_arch))
			IB_VEC_PUSH(ch->list, t);
	}
	if (!ch->list.n) {
		_cleanup_free_ char *list = layout_list(l, 1, NULL, NULL);
		return ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
				  "%s: no driver has a %s\\%s folder for the detected Windows; the os folders are: %s", source,
				  d->virtio_os, d->virtio_arch, list);
	}
	return 0;
}

/* ---- ISO ---- */

static struct archive *iso_open(const char *path, struct ib_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_iso9660(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		ib_fail(err, IB_EXIT_INPUT, "%s: cannot read it as an ISO image: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Components of an entry path without "./" and "/" prefixes. */
static size_t split_path(char *p, char **comp, size_t max)
{
	size_t n = 0;
	for (char *save = NULL, *c = strtok_r(p, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (n < max)
			comp[n] = c;
		n++;
	}
	return n;
}

static int iso_layout(const char *path, struct layout *l, struct ib_error *err)
{
	struct archive *a = iso_open(path, err);
	if (!a)
		return -1;
	struct archive_entry *e;
	int r;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		_cleanup_free_ char *p = ib_xstrdup(archive_entry_pathname(e));
		char *c[4];
		if (split_path(p, c, 4) >= 4)
			layout_add(l, c[0], c[1], c[2]);
	}
	int rc = 0;
	if (r != ARCHIVE_EOF)
		rc = ib_fail(err, IB_EXIT_INPUT, "%s: the ISO image is damaged: %s", path, archive_error_string(a));
	archive_read_free(a);
	return rc;
}

static int extract_entry(struct archive *a, const char *dst, struct ib_error *err)
{
	_cleanup_free_ char *dir = ib_xstrdup(dst);
	for (char *p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return ib_fail_errno(err, -errno, "cannot create %s", dir);
		*p = '/';
	}
	_cleanup_close_ int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot create %s", dst);
	if (archive_read_data_into_fd(a, fd) != ARCHIVE_OK)
		return ib_fail(err, IB_EXIT_INPUT, "cannot extract %s from the ISO: %s", dst, archive_error_string(a));
	return 0;
}

/* Extract every chosen <drv>/<os>/<arch>/... file into out_dir/<n>/... where
 * n is the triple's index in chosen. */
static int iso_extract(const char *path, const struct triple *const *chosen, size_t n_chosen, const char *out_dir,
		       struct ib_error *err)
{
	struct archive *a = iso_open(path, err);
	if (!a)
		return -1;
	struct archive_entry *e;
	int r, rc = 0;
	while (!rc && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		_cleanup_free_ char *p = ib_xstrdup(archive_entry_pathname(e));
		char *c[32];
		size_t n = split_path(p, c, 32);
		if (n < 4 || n > 32 || ends_with_ci(c[n - 1], ".pdb"))
			continue;
		bool skip = false;
		for (size_t k = 3; k < n; k++)
			skip |= !strcmp(c[k], "..") || !strcasecmp(c[k], "sriov");
		for (size_t i = 0; i < n_chosen && !skip; i++) {
			const struct triple *t = chosen[i];
			if (strcmp(t->drv, c[0]) || strcmp(t->os, c[1]) || strcmp(t->arch, c[2]))
				continue;
			struct ib_buf dst = {0};
			ib_buf_printf(&dst, "%s/%zu", out_dir, i);
			for (size_t k = 3; k < n; k++)
				ib_buf_printf(&dst, "/%s", c[k]);
			rc = extract_entry(a, dst.s, err);
			ib_buf_free(&dst);
			break;
		}
	}
	if (!rc && r != ARCHIVE_EOF)
		rc = ib_fail(err, IB_EXIT_INPUT, "%s: the ISO image is damaged: %s", path, archive_error_string(a));
	archive_read_free(a);
	return rc;
}

/* ---- sources ---- */

static int one_source(const struct ib_win_driver_spec *s, const struct ib_win_spec *spec,
		      const struct ib_win_detect *d, const char *work_dir, unsigned idx, struct ib_win_drvdirs *out,
		      struct ib_error *err)
{
	_cleanup_free_ char *path = s->path[0] == '/' || !spec->base_dir ? ib_xstrdup(s->path)
									 : ib_path_join(spec->base_dir, s->path);
	struct stat st;
	if (stat(path, &st) < 0)
		return ib_fail_at(err, IB_EXIT_INPUT, &s->loc, "driver source %s: %s", path, strerror(errno));

	if (S_ISDIR(st.st_mode) && has_inf(path)) {
		const char *base = strrchr(path, '/');
		add_dir(out, path, base && base[1] ? base + 1 : path, path, s, false);
		return 0;
	}

	struct layout l = {0};
	bool iso = S_ISREG(st.st_mode);
	int rc = iso ? iso_layout(path, &l, err) : (tree_layout(path, &l), 0);
	if (!rc && !l.v.n)
		rc = ib_fail_at(err, IB_EXIT_INPUT, &s->loc,
				"driver source %s holds no .inf files and no virtio-win <Driver>/<os>/<arch> folders",
				path);
	struct chosen ch = {0};
	if (!rc)
		rc = layout_choose(&l, s, path, d, &ch, err);
	_cleanup_free_ char *xdir = ib_xasprintf("%s/iso%u", work_dir, idx);
	if (!rc && iso) {
		if (mkdir(xdir, 0700) < 0 && errno != EEXIST)
			rc = ib_fail_errno(err, -errno, "cannot create %s", xdir);
		else
			rc = iso_extract(path, ch.list.v, ch.list.n, xdir, err);
	}
	for (size_t i = 0; !rc && i < ch.list.n; i++) {
		const struct triple *t = ch.list.v[i];
		_cleanup_free_ char *dir = iso ? ib_xasprintf("%s/%zu", xdir, i)
					       : ib_xasprintf("%s/%s/%s/%s", path, t->drv, t->os, t->arch);
		_cleanup_free_ char *src = ib_xasprintf("%s:%s/%s/%s", path, t->drv, t->os, t->arch);
		if (!has_inf(dir)) {
			rc = ib_fail_at(err, IB_EXIT_INPUT, &s->loc, "%s holds no .inf file", src);
			break;
		}
		_cleanup_free_ char *lower = ib_xstrdup(t->drv);
		for (char *p = lower; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		add_dir(out, dir, lower, src, s, true);
	}
	free(ch.list.v);
	layout_free(&l);
	return rc;
}

int ib_win_drivers_check(const struct ib_win_spec *spec, const struct ib_win_detect *d, struct ib_error *err)
{
	for (size_t i = 0; i < spec->n_drivers; i++) {
		const struct ib_win_driver_spec *s = &spec->drivers[i];
		_cleanup_free_ char *path = s->path[0] == '/' || !spec->base_dir ? ib_xstrdup(s->path)
										 : ib_path_join(spec->base_dir, s->path);
		struct stat st;
		if (stat(path, &st) < 0 || (S_ISDIR(st.st_mode) && has_inf(path)))
			continue; /* the planner checks paths and plain folders */
		struct layout l = {0};
		int rc = S_ISREG(st.st_mode) ? iso_layout(path, &l, err) : (tree_layout(path, &l), 0);
		struct chosen ch = {0};
		if (!rc && l.v.n)
			rc = layout_choose(&l, s, path, d, &ch, err);
		free(ch.list.v);
		layout_free(&l);
		if (rc)
			return -1;
	}
	return 0;
}

int ib_win_drivers_sources(const struct ib_win_spec *spec, const struct ib_win_detect *d, const char *work_dir,
			   struct ib_win_drvdirs *out, struct ib_error *err)
{
	for (size_t i = 0; i < spec->n_drivers; i++)
		if (one_source(&spec->drivers[i], spec, d, work_dir, (unsigned)i, out, err) < 0)
			return -1;
	return 0;
}
