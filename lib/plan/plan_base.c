// SPDX-License-Identifier: GPL-2.0-or-later
/* base: an existing image, copied and never modified. Planning asks
 * `qemu-img info` for its format and virtual size; its partition table is
 * read (ib_ptable_read) from the base itself when it is raw, else from the
 * converted work image in the BASE step, and every `use:` entry is located:
 * a number names a table entry, `auto` the one NTFS partition on which the
 * injector's detection (lib/windows/detect.h) finds Windows. Every base read
 * here is read-only (O_RDONLY, libntfs-3g read-only). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan_base.h"
#include "plan_names.h"
#include "core/blkio.h"
#include "output/base_record.h"
#include "inspect/inspect.h"
#include "ptable/ptable.h"
#include "core/size.h"
#include "core/spawn.h"
#include "vol/ntfs3g_files.h"
#include "vol/vol.h"
#include "windows/detect.h"

static int base_info(struct ib_plan *p, const struct ib_loc *loc, struct ib_error *err)
{
	const char *path = p->base_path;
	struct stat st;
	if (stat(path, &st) < 0)
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "base image '%s' cannot be read: %s", p->base,
				  strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "base '%s' is not an image file (it is a %s)", p->base,
				  S_ISDIR(st.st_mode) ? "directory" : "special file");
	if (access(path, R_OK) < 0)
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "base image '%s' cannot be read: %s", p->base,
				  strerror(errno));
	const char *argv[] = {"qemu-img", "info", "--output=json", path, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res = {0};
	if (ib_spawn(argv, &o, &res, err) < 0) {
		ib_spawn_result_free(&res);
		if (err->exit_code == IB_EXIT_FAIL) /* qemu-img ran and refused it */
			err->exit_code = IB_EXIT_INPUT;
		ib_error_prefix(err, "base image '%s' is not an image qemu-img can read", p->base);
		err->loc = *loc;
		return -1;
	}
	char *fmt = ib_inspect_json_top(res.out, "format");
	char *vs = ib_inspect_json_top(res.out, "virtual-size");
	ib_spawn_result_free(&res);
	char *end = NULL;
	errno = 0;
	unsigned long long v = vs ? strtoull(vs, &end, 10) : 0;
	bool ok = fmt && vs && end != vs && !*end && !errno && v > 0;
	free(vs);
	if (!ok) {
		free(fmt);
		return ib_fail_at(err, IB_EXIT_INPUT, loc, "base image '%s': qemu-img info gave no format and size",
				  p->base);
	}
	bool known = false;
	/* A base may have any format imgbuild also writes (qemu-img's names). */
	for (size_t i = 0; i < IB_OUT_NFORMATS; i++)
		known |= ib_out_formats[i].qemu && !strcmp(fmt, ib_out_formats[i].qemu);
	if (!known) {
		int r = ib_fail_at(err, IB_EXIT_INPUT, loc,
				   "base image '%s' is in the %s format; imgbuild starts from raw, qcow2, vmdk, vhdx or "
				   "vpc images",
				   p->base, fmt);
		free(fmt);
		return r;
	}
	p->base_format = fmt;
	p->disk_size = v;
	return 0;
}

int ib_plan_base_open(struct ib_plan *p, struct ib_diags *d)
{
	const struct ib_recipe *r = p->recipe;
	p->base = r->base;
	p->base_path = ib_path_join(r->dir, r->base);
	for (size_t i = 0; i < p->nparts; i++)
		p->parts[i].number = 0; /* until located */
	struct ib_error err = {0};
	int rc = base_info(p, &r->base_loc, &err);
	if (rc == 0 && !strcmp(p->base_format, "raw"))
		rc = ib_plan_base_locate(p, p->base_path, NULL, &err);
	if (rc < 0) {
		ib_diag_add(d, IB_SEV_ERROR, err.loc.file ? &err.loc : &r->base_loc, NULL, "%s", err.msg);
		ib_error_clear(&err);
	}
	return rc;
}

/* The overlay names its base by absolute path: the work directory is not
 * where the base's relative path starts. */
static char *base_abs(const struct ib_plan *p)
{
	char *abs = realpath(p->base_path, NULL);
	return abs ? abs : ib_xstrdup(p->base_path);
}

char **ib_plan_base_argv(const struct ib_plan *p)
{
	const char *fmt = p->base_format ? p->base_format : "raw";
	_cleanup_free_ char *abs = p->base_overlay ? base_abs(p) : NULL;
	const char *convert[] = {"qemu-img", "convert", "-q", "-f", fmt, "-O", "raw", p->base_path, p->work_image, NULL};
	const char *overlay[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b", abs, p->work_overlay, NULL};
	const char *const *v = p->base_overlay ? overlay : convert;
	size_t n = 0;
	while (v[n])
		n++;
	char **argv = ib_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		argv[i] = ib_xstrdup(v[i]);
	return argv;
}

char *ib_plan_base_from_out(const struct ib_plan *p)
{
	struct ib_error err = {0};
	char *rel = ib_path_relative(p->out_dir, p->base_path, &err);
	ib_error_clear(&err);
	return rel ? rel : ib_xstrdup(p->base_path);
}

char **ib_plan_rebase_argv(const struct ib_plan *p, const char *tmp)
{
	_cleanup_free_ char *rel = ib_plan_base_from_out(p);
	const char *fmt = p->base_format ? p->base_format : "raw";
	const char *v[] = {"qemu-img", "rebase", "-q", "-u", "-f", "qcow2", "-F", fmt, "-b", rel, tmp};
	char **argv = ib_xcalloc(IB_ARRAY_SIZE(v) + 1, sizeof(char *));
	for (size_t i = 0; i < IB_ARRAY_SIZE(v); i++)
		argv[i] = ib_xstrdup(v[i]);
	return argv;
}

/* ---- locating the partitions ---- */

static bool entry_used(const struct ib_ptable *t, unsigned i)
{
	const struct ib_pt_entry *e = &t->entries[i];
	if (i >= t->n || e->last_lba < e->first_lba || !e->first_lba)
		return false;
	return t->gpt ? !ib_guid_is_zero(&e->type_guid) : e->mbr_type != 0;
}

/* "1 (esp, 100 MiB), 2 (16 MiB), 3 (ntfs, 1.9 GiB)": for messages. */
static char *list_entries(const struct ib_ptable *t, const enum ib_fs_type *fs)
{
	struct ib_buf b = {0};
	for (unsigned i = 0; i < t->n; i++) {
		if (!entry_used(t, i))
			continue;
		const struct ib_pt_entry *e = &t->entries[i];
		char sz[32];
		ib_size_format((e->last_lba - e->first_lba + 1) * t->sector_size, sz, sizeof sz);
		ib_buf_printf(&b, "%s%u (%s%s%s)", b.len ? ", " : "", i + 1, fs[i] ? ib_fs_type_name(fs[i]) : "",
			      fs[i] ? ", " : "", sz);
	}
	return b.len ? ib_buf_steal(&b) : ib_xstrdup("none");
}

static enum ib_fs_type probe_fs(struct ib_blk *b, const struct ib_ptable *t, unsigned i)
{
	uint8_t sec[512];
	if (ib_blk_pread(b, sec, sizeof sec, t->entries[i].first_lba * t->sector_size) < 0)
		return IB_FS_NONE;
	const struct ib_fs_ops *o = ib_fs_ops_probe(sec);
	return o ? o->type : IB_FS_NONE;
}

/* Whether the injector finds Windows on the NTFS of entry i; why not in *why. */
static bool holds_windows(const char *raw, const struct ib_ptable *t, unsigned i, const char *scratch, char **why)
{
	const struct ib_pt_entry *e = &t->entries[i];
	struct ib_vol_target vt = {.image = raw,
				   .offset = e->first_lba * t->sector_size,
				   .size = (e->last_lba - e->first_lba + 1) * t->sector_size,
				   .sector_size = t->sector_size};
	struct ib_error err = {0};
	struct ib_ntfs_files *f = NULL;
	bool yes = false;
	const char *tmp = scratch ? scratch : getenv("TMPDIR");
	_cleanup_free_ char *dir = ib_xasprintf("%s/imgbuild-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		*why = ib_xasprintf("cannot create a folder in %s: %s", tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return false;
	}
	if (ib_ntfs_files_open(&vt, true, NULL, &f, &err) == 0) {
		struct ib_win_detect det = {0};
		yes = ib_win_detect(f, dir, &det, &err) == 0;
		ib_win_detect_free(&det);
		struct ib_error ignore = {0};
		ib_ntfs_files_close(f, &ignore);
		ib_error_clear(&ignore);
	}
	if (!yes)
		*why = ib_xstrdup(err.msg ? err.msg : "no Windows");
	ib_error_clear(&err);
	ib_rm_rf(dir);
	return yes;
}

static int find_auto(const char *raw, const struct ib_ptable *t, const enum ib_fs_type *fs,
		     const struct ib_partition_spec *s, const char *scratch, unsigned *number, struct ib_error *err)
{
	struct ib_buf why = {0}, found = {0};
	unsigned n = 0;
	for (unsigned i = 0; i < t->n; i++) {
		if (!entry_used(t, i) || !ib_fs_holds_windows(fs[i]))
			continue;
		char *reason = NULL;
		if (holds_windows(raw, t, i, scratch, &reason)) {
			ib_buf_printf(&found, "%s%u", n ? ", " : "", i + 1);
			if (!n)
				*number = i + 1;
			n++;
		} else {
			ib_buf_printf(&why, "; p%u: %s", i + 1, reason);
		}
		free(reason);
	}
	int r = 0;
	if (n == 0)
		r = ib_fail_at(err, IB_EXIT_INPUT, &s->use_loc, "use: auto: no partition of the base holds Windows%s",
			       why.len ? why.s : " (it has no NTFS partition)");
	else if (n > 1)
		r = ib_fail_at(err, IB_EXIT_INPUT, &s->use_loc,
			       "use: auto: partitions %s of the base all hold Windows; write use: N to choose one",
			       found.s);
	ib_buf_free(&why);
	ib_buf_free(&found);
	return r;
}

/* A partition located on a base whose content the recipe adds to. */
static int check_located(const struct ib_plan_part *pp, struct ib_error *err)
{
	const struct ib_partition_spec *s = pp->spec;
	if (s->has_windows && !ib_fs_holds_windows(pp->fs))
		return ib_fail_at(err, IB_EXIT_INPUT, &s->windows_loc,
				  "windows: needs an NTFS partition, and partition %u of the base holds %s", pp->number,
				  pp->fs ? ib_fs_type_name(pp->fs) : "no NTFS or FAT filesystem");
	if (s->nfiles && pp->fs == IB_FS_NONE)
		return ib_fail_at(err, IB_EXIT_INPUT, &s->files_loc,
				  "files: needs a filesystem, and partition %u of the base holds no NTFS or FAT one",
				  pp->number);
	/* The names, as scan_files checks them for a new partition. */
	struct ib_diags d = {0};
	if (ib_plan_check_names(ib_plan_name_rules(pp->fs), pp, &d) < 0) {
		const struct ib_diag *g = &d.list.v[0];
		ib_fail_at(err, IB_EXIT_INPUT, &g->loc, "%s", g->msg);
		ib_diags_free(&d);
		return -1;
	}
	ib_diags_free(&d);
	return 0;
}

int ib_plan_base_locate(struct ib_plan *p, const char *raw, const char *scratch, struct ib_error *err)
{
	const struct ib_recipe *r = p->recipe;
	struct ib_blk *b = NULL;
	if (ib_blk_open(raw, false, &b, err) < 0) {
		ib_error_prefix(err, "base image '%s' cannot be read", p->base);
		err->exit_code = IB_EXIT_INPUT;
		err->loc = r->base_loc;
		return -1;
	}
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t));
	enum ib_fs_type fs[IB_GPT_ENTRIES] = {0};
	int rc = ib_ptable_read_blk(b, p->disk_size, 0, t, err);
	if (rc < 0) {
		ib_blk_close(b);
		ib_error_prefix(err, "base image '%s' has no partition table imgbuild can read", p->base);
		err->exit_code = IB_EXIT_INPUT;
		err->loc = r->base_loc;
		free(t);
		return -1;
	}
	p->table = t->gpt ? IB_TABLE_GPT : IB_TABLE_MBR;
	p->sector_size = t->sector_size;
	p->disk_guid = t->disk_guid;
	p->mbr_signature = t->mbr_signature;
	p->first_usable_lba = t->gpt ? ib_gpt_first_usable_lba(t->sector_size) : 1;
	p->last_usable_lba = t->gpt ? ib_gpt_last_usable_lba(p->disk_size, t->sector_size)
				    : p->disk_size / t->sector_size - 1;
	for (unsigned i = 0; i < t->n; i++)
		fs[i] = entry_used(t, i) ? probe_fs(b, t, i) : IB_FS_NONE;
	ib_blk_close(b);

	for (size_t k = 0; rc == 0 && k < p->nparts; k++) {
		struct ib_plan_part *pp = &p->parts[k];
		const struct ib_partition_spec *s = pp->spec;
		unsigned n = s->use;
		if (!n) {
			rc = find_auto(raw, t, fs, s, scratch, &n, err);
			if (rc < 0)
				break;
			for (size_t j = 0; j < p->nparts; j++)
				if (j != k && p->parts[j].spec->use == n)
					rc = ib_fail_at(err, IB_EXIT_INPUT, &s->use_loc,
							"use: auto finds partition %u, which another entry names too", n);
		} else if (n > IB_GPT_ENTRIES || !entry_used(t, n - 1)) {
			_cleanup_free_ char *has = list_entries(t, fs);
			rc = ib_fail_at(err, IB_EXIT_INPUT, &s->use_loc,
					"the base has no partition %u (its %s table has: %s)", n, t->gpt ? "GPT" : "MBR",
					has);
		}
		if (rc < 0)
			break;
		const struct ib_pt_entry *e = &t->entries[n - 1];
		pp->number = n;
		pp->start_lba = e->first_lba;
		pp->end_lba = e->last_lba;
		pp->offset = e->first_lba * t->sector_size;
		pp->size = (e->last_lba - e->first_lba + 1) * t->sector_size;
		pp->type_guid = e->type_guid;
		pp->part_guid = e->part_guid;
		pp->mbr_type = e->mbr_type;
		pp->fs = fs[n - 1];
		pp->located = true;
		rc = check_located(pp, err);
	}
	free(t);
	if (rc == 0)
		p->base_read = true;
	return rc;
}
