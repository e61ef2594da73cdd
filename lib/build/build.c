// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs a plan. Everything it creates is on the undo stack from the moment it
 * exists; outputs are written under temporary names in the output directory
 * and renamed into place only after every step has succeeded. */
#include "build.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/convert.h"
#include "core/json.h"
#include "inspect/manifest.h"
#include "inspect/read.h"
#include "build_customise.h"
#include "build_install.h"
#include "build_overlay.h"
#include "build_package.h"
#include "output/base_record.h"
#include "output/package.h"
#include "plan/plan_base.h"
#include "fs/fs.h"
#include "ptable/ptable.h"
#include "output/repro_output.h"
#include "plan/repro.h"
#include "core/size.h"
#include "publish.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "vol/mount.h"
#include "platform/platform.h"
#include "vol/vol.h"

struct pending_output {
	char *tmp, *final;
	const char *format;
};

struct build {
	struct ib_plan *plan;
	const struct ib_build_opts *opts;
	struct ib_undo undo;
	struct pending_output *outs;
	size_t nouts;
	int lock_fd; /* holds the output directory's lock (publish.h), or -1 */
	struct ib_overlay *ov; /* a base's overlay while qemu-nbd serves it */
	struct ib_manifest *manifest; /* read from the overlay's export before it stopped */
	struct stat base_st;          /* the base as the BASE step found it */
	unsigned step, nsteps;         /* the step running, for progress events */
	const char *step_title;
	bool guest_known;              /* guest: detected for the package outputs */
	const struct ib_guest_os *guest;
};

static void rmdir_if_empty(void *path)
{
	rmdir(path);
}

static int make_out_dir(struct build *b, struct ib_error *err)
{
	const char *dir = b->plan->out_dir;
	if (mkdir(dir, 0777) == 0) {
		/* We made it: take it away again if the build leaves it empty. */
		ib_undo_push_fn(&b->undo, rmdir_if_empty, (void *)dir);
		return 0;
	}
	if (errno != EEXIST)
		return ib_fail_errno(err, -errno, "cannot create the output directory '%s'", dir);
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return ib_fail(err, IB_EXIT_FAIL, "output path '%s' exists and is not a directory", dir);
	return 0;
}

static int step_create(struct build *b, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	if (mkdir(p->work_dir, 0700) < 0)
		return ib_fail_errno(err, -errno, "cannot create the work directory '%s'", p->work_dir);
	ib_undo_push_rmtree(&b->undo, p->work_dir);
	int fd = open(p->work_image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot create '%s'", p->work_image);
	int r = 0;
	if (ftruncate(fd, (off_t)p->disk_size) < 0)
		r = ib_fail_errno(err, -errno, "cannot size '%s' to %llu bytes", p->work_image,
				  (unsigned long long)p->disk_size);
	close(fd);
	return r;
}

static int step_ptable(struct build *b, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t));
	int r = ib_plan_ptable(p, t, err);
	if (r == 0) {
		int fd = open(p->work_image, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			r = ib_fail_errno(err, -errno, "cannot open '%s'", p->work_image);
		} else {
			r = t->gpt ? ib_gpt_write(fd, t, err) : ib_mbr_write(fd, t, err);
			close(fd);
		}
	}
	free(t);
	return r;
}

/* --backend mount: a filesystem whose handler has device ways (NTFS) is made
 * and filled through an attached device and an ntfs-3g mount; the others
 * (FAT: mkfs.fat --offset and mtools) keep their one way. */
static bool mount_backend(const struct build *b)
{
	return b->plan->backend == IB_BACKEND_MOUNT;
}

static int step_mkfs(struct build *b, struct ib_plan_part *pp, struct ib_error *err)
{
	struct ib_mkfs_args a;
	ib_plan_mkfs_args(b->plan, pp, &a);
	a.undo = &b->undo;
	const struct ib_fs_ops *o = ib_fs_ops_of(pp->spec->fs.type);
	assert(o); /* the plan has MKFS steps only for partitions with a filesystem */
	if (o->mkfs_dev && mount_backend(b))
		return o->mkfs_dev(&a, pp->number, b->plan->table, err);
	return o->mkfs(&a, err);
}

struct fill {
	const struct ib_vol_ops *ops;
	struct ib_plan_part *pp;
	struct ib_error *err;
};

/* Open the volume at t, put the partition's trees in, close. */
static int fill_volume(struct ib_vol_target *t, void *arg)
{
	struct fill *f = arg;
	struct ib_vol *v = NULL;
	if (f->ops->open(&v, t, f->err) < 0)
		return -1;
	int r = ib_vol_put_trees(f->ops, v, f->pp->trees, f->pp->spec->nfiles, f->err);
	/* Close even after a failure, to release the volume; its error counts
	 * only if nothing failed before. */
	if (f->ops->close(v, f->err) < 0)
		r = -1;
	return r;
}

static int step_files(struct build *b, struct ib_plan_part *pp, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	/* pp->fs: the recipe's fs, or what a base's partition holds. */
	const struct ib_fs_ops *o = ib_fs_ops_of(pp->fs);
	assert(o); /* the planner refuses files: where no filesystem is */
	struct fill f = {.ops = o->vol_mount && mount_backend(b) ? o->vol_mount : o->vol_lib, .pp = pp, .err = err};
	struct ib_vol_target t = ib_build_part_target(p, pp, &b->undo);
	int r = b->ov && !o->fills_any_image ? ib_overlay_via_copy(p, &t, fill_volume, &f, err) : fill_volume(&t, &f);
	/* The sources were not changed or swapped while they were copied. */
	if (r == 0 && ib_srctree_check_unchanged(pp->trees, pp->spec->nfiles, err) < 0)
		r = -1;
	return r;
}

static int fsync_path(const char *path, struct ib_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open '%s'", path);
	int r = fsync(fd) < 0 ? ib_fail_errno(err, -errno, "cannot sync '%s'", path) : 0;
	close(fd);
	return r;
}

/* What qemu-img leaves random or names after the temporary file (repro.h). */
static int patch_output(const struct ib_plan *p, const struct ib_output_spec *o, const char *tmp,
			struct ib_error *err)
{
	_cleanup_free_ char *final = ib_plan_output_path(p, o);
	const char *slash = strrchr(final, '/');
	struct ib_repro_output ro = {
		.ids = &p->ids,
		.reproducible = p->reproducible,
		.epoch = p->epoch,
		.final_name = slash ? slash + 1 : final,
	};
	return ib_repro_patch_output(o->format, tmp, &ro, err);
}

static void add_pending(struct build *b, char *tmp, char *final, const char *format)
{
	b->outs = ib_xrealloc(b->outs, (b->nouts + 1) * sizeof(*b->outs));
	b->outs[b->nouts++] = (struct pending_output){.tmp = tmp, .final = final, .format = format};
}

/* Write text to a new file (on undo) and make it durable. */
static int write_small(struct build *b, const char *path, const char *text, struct ib_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot create '%s'", path);
	ib_undo_push_unlink(&b->undo, path);
	int r = ib_pwrite_all(fd, text, strlen(text), 0);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? ib_fail_errno(err, r, "cannot write '%s'", path) : 0;
}

/* backing: base: the work overlay itself becomes the output, naming the
 * base relative to the output folder, with the base's record beside it
 * (lib/output/base_record.h). qemu-nbd has stopped: the file is final. */
static int overlay_output(struct build *b, const struct ib_output_spec *o, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	_cleanup_free_ char *rel = NULL;
	_cleanup_free_ char *record = ib_base_record_text(p->base_path, p->out_dir, &rel, err);
	if (!record) {
		ib_error_prefix(err, "the record of base %s", p->base);
		return -1;
	}
	char *tmp = ib_plan_output_tmp(p, o);
	if (rename(p->work_overlay, tmp) < 0) {
		int r = ib_fail_errno(err, -errno, "cannot move the overlay to '%s'", tmp);
		free(tmp);
		return r;
	}
	ib_undo_push_unlink(&b->undo, tmp);
	char **argv = ib_plan_rebase_argv(p, tmp);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	if (r == 0)
		r = fsync_path(tmp, err);
	char **files = ib_plan_output_files(p, o);
	char *final = TAKE_PTR(files[0]), *rec_final = TAKE_PTR(files[1]);
	ib_argv_free(files);
	char *rec_tmp = ib_base_record_path(tmp);
	if (r == 0)
		r = write_small(b, rec_tmp, record, err);
	add_pending(b, tmp, final, ib_out_format_name(o->format));
	add_pending(b, rec_tmp, rec_final, "base record");
	return r;
}

/* An output's conversion, as it goes (a base's copy pass is most of a build). */
static void emit_percent(void *ctx, double pct)
{
	struct build *b = ctx;
	struct ib_event ev = {.kind = IB_EV_PROGRESS, .step = b->step, .nsteps = b->nsteps, .title = b->step_title,
			      .percent = pct};
	ib_progress_emit(b->opts->progress, &ev);
}

/* The guest the image holds, for OVF descriptors, told once, while the
 * work image can still be read as an image (before a base's overlay stops). */
static void detect_guest(struct build *b)
{
	const struct ib_recipe *r = b->plan->recipe;
	bool want = false;
	for (size_t i = 0; i < r->noutputs; i++)
		want |= r->outputs[i].format == IB_OUT_OVA || r->outputs[i].format == IB_OUT_OVF;
	if (!b->guest_known && want && !r->vm.guest_os)
		b->guest = ib_build_detect_guest(b->plan);
	b->guest_known = true;
}

/* OVA, OVF and containerDisk: made from the work image by lib/output/package.c. */
static int package_output(struct build *b, const struct ib_output_spec *o, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	bool from_overlay = p->base && p->base_overlay;
	struct ib_package_in in = {
		.recipe = p->recipe,
		.src = from_overlay ? p->work_overlay : p->work_image,
		.src_fmt = from_overlay ? "qcow2" : "raw",
		.work_dir = p->work_dir,
		.gpt = p->table == IB_TABLE_GPT,
		.detected = b->guest,
		.ro = {.ids = &p->ids, .reproducible = p->reproducible, .epoch = p->epoch},
	};
	char *tmp = ib_plan_output_tmp(p, o);
	ib_undo_push_unlink(&b->undo, tmp);
	int r;
	if (o->format == IB_OUT_OVF) {
		/* Three files published with the rest: NAME.ovf, NAME.mf, NAME-disk1.vmdk. */
		char *mf = ib_xasprintf("%s/.imgbuild-%s.%ld.mf", p->out_dir, p->recipe->name, (long)getpid());
		char *vmdk = ib_xasprintf("%s/.imgbuild-%s.%ld.disk1.vmdk", p->out_dir, p->recipe->name, (long)getpid());
		ib_undo_push_unlink(&b->undo, mf);
		ib_undo_push_unlink(&b->undo, vmdk);
		r = ib_package_ovf(&in, tmp, mf, vmdk, err);
		char **files = ib_plan_output_files(p, o);
		add_pending(b, mf, TAKE_PTR(files[1]), "ovf manifest");
		add_pending(b, vmdk, TAKE_PTR(files[2]), "ovf disk");
		ib_argv_free(files);
		if (r == 0)
			r = fsync_path(mf, err) < 0 || fsync_path(vmdk, err) < 0 ? -1 : 0;
	} else {
		r = o->format == IB_OUT_OVA ? ib_package_ova(&in, tmp, err) : ib_package_containerdisk(&in, tmp, err);
	}
	if (r == 0)
		r = fsync_path(tmp, err);
	add_pending(b, tmp, ib_plan_output_path(p, o), ib_out_format_name(o->format));
	return r;
}

static int step_output(struct build *b, const struct ib_output_spec *o, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	detect_guest(b);
	/* Nothing reads the overlay file while qemu-nbd may still hold writes.
	 * The manifest is read through the export first: read from the file,
	 * the overlay would have to be converted to raw, a pass over the base. */
	if (b->ov) {
		if ((b->opts->manifest || b->opts->write_manifest) && ib_manifest_read(p->work_image, &b->manifest, err) < 0) {
			ib_error_prefix(err, "reading back the image for its manifest");
			return -1;
		}
		int s = ib_overlay_stop(p, b->ov, &b->undo, err);
		b->ov = NULL;
		if (s < 0)
			return -1;
	}
	if (o->backing)
		return overlay_output(b, o, err);
	if (!ib_out_formats[o->format].qemu)
		return package_output(b, o, err);
	bool from_overlay = p->base && p->base_overlay;
	char *tmp = ib_plan_output_tmp(p, o);
	int r;
	if (o->format == IB_OUT_RAW && !from_overlay) {
		/* The raw output is the work image itself: a hard link now, so the
		 * other formats can still be converted from the work image. */
		r = link(p->work_image, tmp) < 0 ? ib_fail_errno(err, -errno, "cannot link '%s'", tmp) : 0;
		if (r == 0)
			ib_undo_push_unlink(&b->undo, tmp);
	} else {
		ib_undo_push_unlink(&b->undo, tmp);
		r = ib_convert_progress(o, from_overlay ? p->work_overlay : p->work_image, from_overlay ? "qcow2" : "raw",
					tmp, emit_percent, b, err);
		if (r == 0)
			r = patch_output(p, o, tmp, err);
	}
	if (r == 0)
		r = fsync_path(tmp, err);
	if (r < 0) {
		free(tmp);
		return -1;
	}
	add_pending(b, tmp, ib_plan_output_path(p, o), ib_out_format_name(o->format));
	return 0;
}

static int run_step(struct build *b, struct ib_plan_step *s, struct ib_error *err)
{
	switch (s->kind) {
	case IB_STEP_CREATE: return step_create(b, err);
	case IB_STEP_PTABLE: return step_ptable(b, err);
	case IB_STEP_MKFS: return step_mkfs(b, s->part, err);
	case IB_STEP_FILES: return step_files(b, s->part, err);
	case IB_STEP_OUTPUT: return step_output(b, s->output, err);
	case IB_STEP_BASE:
		/* The base is read until the last output is written (through the
		 * overlay): it must be the same file, unchanged, all that time. */
		if (stat(b->plan->base_path, &b->base_st) < 0)
			return ib_fail_errno(err, -errno, "cannot read base image '%s'", b->plan->base);
		return ib_build_base(b->plan, &b->undo, &b->ov, err);
	case IB_STEP_WINDOWS: return ib_build_windows(b->plan, s->part, b->opts->progress, err);
	case IB_STEP_INSTALL:
	case IB_STEP_BOOT: {
		struct ib_build_step_info si = {
			.progress = b->opts->progress, .step = b->step, .nsteps = b->nsteps, .title = b->step_title};
		return s->kind == IB_STEP_INSTALL ? ib_build_install(b->plan, s->part, &b->undo, &si, err)
						  : ib_build_boot(b->plan, s->part, &b->undo, &si, err);
	}
	}
	return ib_fail(err, IB_EXIT_FAIL, "unknown step");
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* A base changed while the build read it gives outputs of no defined
 * content: refused before they are published (as sources are). */
static int check_base_unchanged(const struct build *b, struct ib_error *err)
{
	const struct ib_plan *p = b->plan;
	struct stat st;
	const struct stat *was = &b->base_st;
	if (stat(p->base_path, &st) == 0 && st.st_dev == was->st_dev && st.st_ino == was->st_ino &&
	    st.st_size == was->st_size && same_time(&st.st_mtim, &was->st_mtim) && same_time(&st.st_ctim, &was->st_ctim))
		return 0;
	return ib_fail_at(err, IB_EXIT_INPUT, &p->recipe->base_loc,
			  "base image '%s' changed during the build (it is read until the last output is written): "
			  "no output is written; build again from an unchanging base",
			  p->base);
}

static int check_interrupt(struct ib_error *err)
{
	return ib_interrupted() ? ib_fail_interrupted(err, NULL) : 0;
}

/* The manifest of the finished work image. Its image block names the first
 * output by file name only, so a reproducible build gives the same manifest
 * in any output directory. */
static int make_manifest(struct build *b, struct ib_error *err)
{
	struct ib_plan *p = b->plan;
	struct ib_manifest *m = b->manifest;
	b->manifest = NULL;
	if (!m && ib_manifest_read(p->work_image, &m, err) < 0) {
		ib_error_prefix(err, "reading back the image for its manifest");
		return -1;
	}
	if (p->recipe->noutputs) {
		const struct ib_output_spec *o = &p->recipe->outputs[0];
		free(m->path);
		m->path = ib_xasprintf("%s.%s", p->recipe->name, ib_out_format_ext(o->format));
		free(m->format);
		m->format = ib_xstrdup(ib_out_format_name(o->format));
	}
	int r = 0;
	if (b->opts->write_manifest) {
		char *tmp = ib_xasprintf("%s/.imgbuild-%s.%ld.manifest.json", p->out_dir, p->recipe->name,
					 (long)getpid());
		ib_undo_push_unlink(&b->undo, tmp);
		FILE *f = fopen(tmp, "we");
		if (!f) {
			r = ib_fail_errno(err, -errno, "cannot create '%s'", tmp);
		} else {
			struct ib_json j = {0};
			ib_manifest_json(m, &j);
			ib_json_flush(&j, f);
			ib_json_free(&j);
			if (fflush(f) != 0 || fsync(fileno(f)) != 0)
				r = ib_fail_errno(err, -errno, "cannot write '%s'", tmp);
			if (fclose(f) != 0 && r == 0)
				r = ib_fail_errno(err, -errno, "cannot write '%s'", tmp);
		}
		if (r == 0) {
			b->outs = ib_xrealloc(b->outs, (b->nouts + 1) * sizeof(*b->outs));
			b->outs[b->nouts++] = (struct pending_output){
				.tmp = tmp,
				.final = ib_xasprintf("%s/%s.manifest.json", p->out_dir, p->recipe->name),
				.format = "manifest"};
		} else {
			free(tmp);
		}
	}
	if (r == 0 && b->opts->manifest)
		*b->opts->manifest = m;
	else
		ib_manifest_free(m);
	return r;
}

/* All steps succeeded: move every output into place, as one set (publish.h). */
static int publish_outputs(struct build *b, struct ib_error *err)
{
	struct ib_publish_item *items = ib_xcalloc(b->nouts ? b->nouts : 1, sizeof(*items));
	for (size_t i = 0; i < b->nouts; i++)
		items[i] = (struct ib_publish_item){.tmp = b->outs[i].tmp, .final = b->outs[i].final};
	_cleanup_free_ char *journal = ib_xasprintf("%s/.imgbuild-%s.%ld.publish", b->plan->out_dir,
						    b->plan->recipe->name, (long)getpid());
	int r = ib_publish(b->plan->out_dir, journal, items, b->nouts, err);
	free(items);
	for (size_t i = 0; r == 0 && i < b->nouts; i++) {
		struct pending_output *o = &b->outs[i];
		struct stat st = {0};
		stat(o->final, &st);
		struct ib_event ev = {
			.kind = IB_EV_OUTPUT,
			.path = o->final,
			.format = o->format,
			.apparent_bytes = (uint64_t)st.st_size,
			.allocated_bytes = (uint64_t)st.st_blocks * 512,
		};
		ib_progress_emit(b->opts->progress, &ev);
	}
	return r;
}

/* Whether a partition goes through FUSE: its handler has a mount way. */
static bool plan_mounts(const struct ib_plan *p)
{
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_fs_ops *o = ib_fs_ops_of(p->parts[i].fs);
		if (o && o->vol_mount)
			return true;
	}
	return false;
}

/* Every final output name is free or a regular file (a rename would fail on
 * a directory only after the whole build, or replace a symlink or device). */
static int check_output_names(const struct ib_plan *p, struct ib_error *err)
{
	for (size_t i = 0; i < p->recipe->noutputs; i++) {
		const struct ib_output_spec *o = &p->recipe->outputs[i];
		char **files = ib_plan_output_files(p, o);
		int r = 0;
		for (size_t k = 0; r == 0 && files[k]; k++) {
			struct stat st;
			if (lstat(files[k], &st) == 0 && !S_ISREG(st.st_mode))
				r = ib_fail_at(err, IB_EXIT_INPUT, &o->loc,
					       "the output '%s' exists and is %s, not a regular file: remove it or use -o",
					       files[k], S_ISDIR(st.st_mode) ? "a directory"
							 : S_ISLNK(st.st_mode) ? "a symlink" : "special");
		}
		ib_argv_free(files);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The host filesystem of the output directory can hold a file of the disk's
 * size (ext4 stops at 16 TiB, and nothing holds 2^63 bytes): probed with a
 * sparse, unnamed file that is never linked, so nothing is left behind. */
static int check_disk_fits_host(const struct ib_plan *p, struct ib_error *err)
{
	int fd = open(p->out_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0; /* no O_TMPFILE here: the build reports it when it sizes the work image */
	int r = 0;
	if (ftruncate(fd, (off_t)p->disk_size) < 0 && (errno == EFBIG || errno == EINVAL)) {
		char a[32];
		r = ib_fail_at(err, IB_EXIT_INPUT, &p->recipe->disk.size_loc,
			       "a disk of %s is larger than a file can be on the filesystem of the output directory "
			       "'%s'",
			       ib_size_format(p->disk_size, a, sizeof a), p->out_dir);
	}
	close(fd);
	return r;
}

/* Everything before the first write: what the backend needs, every program
 * the plan runs, and the release of what killed builds left. */
static int preflight(struct build *b, struct ib_error *err)
{
	const struct ib_build_opts *opts = b->opts;
	if (b->plan->backend == IB_BACKEND_GUESTFS)
		return ib_fail(err, IB_EXIT_INPUT,
			       "backend '%s' is not available yet; this version has the rootless 'lib' backend and "
			       "'mount'",
			       ib_backend_name(b->plan->backend));
	/* An overlay output is the work overlay: it needs the overlay way. */
	for (size_t i = 0; i < b->plan->recipe->noutputs; i++) {
		const struct ib_output_spec *o = &b->plan->recipe->outputs[i];
		if (o->backing && !b->plan->base_overlay)
			return ib_fail_at(err, IB_EXIT_INPUT, &o->backing_loc,
					  "backing: base cannot be written here: %s", b->plan->base_why);
	}
	if (mount_backend(b)) {
		if (ib_mount_backend_ready(err) < 0)
			return -1;
		/* The FUSE driver is verified again before each mount; checking
		 * it here too fails a broken driver before the first write. */
		if (plan_mounts(b->plan) && ib_platform_fuse_verify(NULL, err) < 0)
			return -1;
	}
	if (ib_tools_check(ib_plan_tools(b->plan), err) < 0)
		return -1;
	if (check_output_names(b->plan, err) < 0 || make_out_dir(b, err) < 0)
		return -1;
	/* One build at a time in an output directory, from here to the end. */
	b->lock_fd = ib_outdir_lock(b->plan->out_dir, opts->wait, err);
	if (b->lock_fd < 0)
		return -1;
	/* What killed builds left: a publish cut short is completed first (its
	 * temporary outputs are the new set), then mounts, devices, work dirs and
	 * temporary outputs in this output directory, and mkntfs files in
	 * /dev/shm are released and reported. */
	ib_publish_recover(b->plan->out_dir, stderr);
	ib_mount_release_stale(b->plan->out_dir, opts->progress);
	ib_ntfs_tmp_release_stale();
	return check_disk_fits_host(b->plan, err);
}

int ib_build(struct ib_plan *plan, const struct ib_build_opts *opts, struct ib_error *err)
{
	struct build b = {.plan = plan, .opts = opts, .lock_fd = -1};
	int r = preflight(&b, err);
	for (size_t i = 0; r == 0 && i < plan->nsteps; i++) {
		struct ib_plan_step *s = &plan->steps[i];
		struct ib_event ev = {.kind = IB_EV_STEP_START, .step = (unsigned)i + 1,
				      .nsteps = (unsigned)plan->nsteps, .title = s->title};
		ib_progress_emit(opts->progress, &ev);
		b.step = ev.step;
		b.nsteps = ev.nsteps;
		b.step_title = s->title;
		double t0 = ib_now();
		r = check_interrupt(err);
		if (r == 0)
			r = run_step(&b, s, err);
		if (r == 0)
			r = check_interrupt(err);
		ev.seconds = ib_now() - t0;
		ev.kind = r == 0 ? IB_EV_STEP_DONE : IB_EV_STEP_FAILED;
		ev.error = err;
		if (r < 0)
			ib_error_prefix(err, "%s", s->title);
		ib_progress_emit(opts->progress, &ev);
	}
	if (r == 0 && (opts->manifest || opts->write_manifest))
		r = make_manifest(&b, err);
	if (r == 0 && plan->base)
		r = check_base_unchanged(&b, err);
	if (r == 0)
		r = publish_outputs(&b, err);
	if (r == 0) {
		/* Outputs are in place: only the work directory goes. */
		ib_rm_rf(plan->work_dir);
		ib_undo_clear(&b.undo);
	} else {
		ib_undo_run(&b.undo);
	}
	for (size_t i = 0; i < b.nouts; i++) {
		free(b.outs[i].tmp);
		free(b.outs[i].final);
	}
	free(b.outs);
	ib_manifest_free(b.manifest); /* a failure after it was read */
	if (b.lock_fd >= 0)
		close(b.lock_fd);
	return r;
}
