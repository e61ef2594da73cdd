// SPDX-License-Identifier: GPL-2.0-or-later
/* recipe -> plan: partition layout in sectors, identifiers, scanned source
 * trees and the ordered step list. Pure computation plus reading the source
 * trees; nothing is written anywhere. */
#include "plan.h"
#include "plan_names.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "output/base_record.h"
#include "output/convert.h"
#include "output/targets.h"
#include "plan_base.h"
#include "plan_windows.h"
#include "plan_install.h"
#include "windows/inject.h"
#include "windows/wim.h"
#include "fs/fs.h"
#include "ids.h"
#include "platform/platform.h"
#include "ptable/ptable.h"
#include "repro.h"
#include "core/size.h"
#include "core/blkio.h"
#include "core/spawn.h"
#include "vol/vol.h"

static uint64_t first_usable_lba(const struct ib_plan *p)
{
	return p->table == IB_TABLE_GPT ? ib_gpt_first_usable_lba(p->sector_size) : 1;
}

static uint64_t last_usable_lba(const struct ib_plan *p)
{
	if (p->table == IB_TABLE_GPT)
		return ib_gpt_last_usable_lba(p->disk_size, p->sector_size);
	return p->disk_size / p->sector_size - 1;
}

/* Partition type: alias, GUID (GPT) or a byte (MBR). The recipe parser has
 * validated the spelling; here it is resolved for the table in use. */
static int resolve_type(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	const char *t = s->type;
	if (!t) /* the recipe check fills it in; a spec made otherwise gets the same */
		t = ib_fs_default_ptype(s->fs.type, p->table);
	const struct ib_ptype_alias *a = ib_ptype_lookup(t);
	if (p->table == IB_TABLE_GPT) {
		if (a && a->gpt_guid)
			return ib_guid_parse(a->gpt_guid, &pp->type_guid) < 0 ? -1 : 0;
		if (!a && ib_guid_parse(t, &pp->type_guid) == 0)
			return 0;
	} else {
		if (a && a->mbr_type >= 0) {
			pp->mbr_type = (uint8_t)a->mbr_type;
			return 0;
		}
		char *end;
		errno = 0;
		unsigned long v = strtoul(t, &end, 0);
		if (!a && !errno && *t && !*end && v >= 1 && v <= 0xff) {
			pp->mbr_type = (uint8_t)v;
			return 0;
		}
	}
	ib_diag_add(d, IB_SEV_ERROR, &s->type_loc, NULL, "partition type '%s' cannot be used in a %s table", t,
		    ib_table_name(p->table));
	return -1;
}

/* "partition 'esp'", or "partition 2" when it has no name. */
static const char *spec_label(const struct ib_plan_part *pp, char *buf, size_t n)
{
	if (pp->spec->name)
		snprintf(buf, n, "partition '%s'", pp->spec->name);
	else
		snprintf(buf, n, "partition %u", pp->number);
	return buf;
}

/* Lay the partitions out in order; the one `rest` partition takes what the
 * others leave, rounded down to the alignment. Starts are rounded up to the
 * alignment; sizes are rounded up to whole sectors (docs/recipe.md). The
 * recipe check leaves all of this to here: one computation, before any
 * write. */
static int layout(struct ib_plan *p, struct ib_diags *d)
{
	const struct ib_disk_spec *disk = &p->recipe->disk;
	uint64_t ss = p->sector_size, align = p->align;
	uint64_t first = ib_align_up(p->first_usable_lba * ss, align);
	uint64_t limit = (p->last_usable_lba + 1) * ss; /* first byte past the usable area */
	if (first >= limit) {
		ib_diag_add(d, IB_SEV_ERROR, &disk->size_loc, NULL,
			    "the disk is too small to hold a %s table and one aligned partition",
			    ib_table_name(p->table));
		return -1;
	}
	uint64_t fixed = 0;
	size_t rest = SIZE_MAX;
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_partition_spec *s = p->parts[i].spec;
		if (s->size_rest)
			rest = i;
		else
			fixed += ib_align_up(s->size, align);
	}
	uint64_t rest_size = 0;
	if (rest != SIZE_MAX) {
		uint64_t avail = limit - first;
		rest_size = avail > fixed ? ib_align_down(avail - fixed, align) : 0;
		if (rest_size == 0) {
			ib_diag_add(d, IB_SEV_ERROR, &p->parts[rest].spec->size_loc,
				    "shrink the other partitions or grow disk.size",
				    "layout larger than the disk: nothing is left for `size: rest` (the other "
				    "partitions take %s of %s usable)",
				    ib_size_format(fixed, (char[32]){0}, 32),
				    ib_size_format(avail, (char[32]){0}, 32));
			return -1;
		}
	}
	uint64_t cursor = first;
	for (size_t i = 0; i < p->nparts; i++) {
		struct ib_plan_part *pp = &p->parts[i];
		const struct ib_partition_spec *s = pp->spec;
		uint64_t size = s->size_rest ? rest_size : ib_align_up(s->size, ss);
		uint64_t start = ib_align_up(cursor, align);
		if (start > limit || size > limit - start) {
			char who[96], a[32], b[32], e[32];
			ib_diag_add(d, IB_SEV_ERROR, &s->size_loc, "shrink the partitions or grow disk.size",
				    "layout larger than the disk: %s (%s from offset %s) ends past the usable end of "
				    "the disk at %s",
				    spec_label(pp, who, sizeof who), ib_size_format(size, a, sizeof a),
				    ib_size_format(start, b, sizeof b), ib_size_format(limit, e, sizeof e));
			return -1;
		}
		pp->offset = start;
		pp->size = size;
		pp->start_lba = start / ss;
		pp->end_lba = (start + size) / ss - 1;
		cursor = start + size;
		if (p->table == IB_TABLE_MBR && (pp->end_lba > UINT32_MAX || pp->size / ss > UINT32_MAX)) {
			ib_diag_add(d, IB_SEV_ERROR, &s->size_loc, NULL,
				    "an MBR partition must start and end within the first 2^32 sectors (%s with "
				    "%" PRIu64 "-byte sectors); use `table: gpt`",
				    ib_size_format((uint64_t)UINT32_MAX * ss, (char[32]){0}, 32), ss);
			return -1;
		}
	}
	return 0;
}

/* Filesystem parameters that depend on the final size, and whether the
 * filesystem fits the partition (its handler's rules). */
static int resolve_fs(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	const struct ib_fs_ops *o = ib_fs_ops_of(s->fs.type);
	if (!o)
		return 0;
	pp->cluster_size = s->fs.cluster_size ? s->fs.cluster_size : o->default_cluster(pp->size, p->sector_size);
	char who[96];
	_cleanup_buf_ struct ib_buf msg = {0};
	struct ib_fs_fit f = {
		.bytes = pp->size,
		.cluster = pp->cluster_size,
		.cluster_given = s->fs.cluster_size != 0,
		.sector_size = p->sector_size,
		.align = p->align,
		.who = spec_label(pp, who, sizeof who),
		.msg = &msg,
	};
	if (o->check_fit(&f) == 0)
		return 0;
	ib_diag_add(d, IB_SEV_ERROR, f.at_cluster ? &s->fs.cluster_loc : &s->size_loc, f.hint, "%s", msg.s);
	return -1;
}

static int scan_files(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	int r = 0;
	pp->trees = ib_xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*pp->trees));
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct ib_file_spec *f = &s->files[i];
		struct ib_error err = {0};
		if (ib_srctree_scan(p->recipe->dir, f->src, f->dst, &f->src_loc, &pp->trees[i], &err) < 0) {
			ib_diag_add(d, IB_SEV_ERROR, err.loc.file ? &err.loc : &f->src_loc, NULL, "%s",
				    err.msg ? err.msg : "cannot read the source");
			ib_error_clear(&err);
			r = -1;
			continue;
		}
		pp->nfiles += pp->trees[i].nfiles;
		pp->ndirs += pp->trees[i].ndirs;
		pp->bytes += pp->trees[i].bytes;
	}
	/* Names the filesystem cannot store, or Windows cannot tell apart: refused
	 * now, before any write (lib/fs/names.h). */
	if (r == 0 && ib_plan_check_names(ib_plan_name_rules(pp->fs), pp, d) < 0)
		r = -1;
	if (r == 0 && pp->size && pp->bytes > pp->size) { /* size 0: a base's partition, not located yet */
		char a[32], b[32];
		ib_diag_add(d, IB_SEV_ERROR, &s->files_loc, NULL,
			    "the files (%s) do not fit in this partition (%s)", ib_size_format(pp->bytes, a, sizeof a),
			    ib_size_format(pp->size, b, sizeof b));
		r = -1;
	}
	return r;
}

/* Reproducible mode: every file and directory gets the epoch as its time,
 * whatever the source's mtime (the backends stamp all of an entry's times
 * with it). */
static void stamp_epoch(const struct ib_plan *p, struct ib_plan_part *pp)
{
	if (!p->reproducible)
		return;
	for (size_t i = 0; i < pp->spec->nfiles; i++)
		for (size_t e = 0; e < pp->trees[i].n; e++)
			pp->trees[i].v[e].mtime = (struct timespec){.tv_sec = (time_t)p->epoch};
}

static void add_step(struct ib_plan *p, enum ib_step_kind kind, struct ib_plan_part *pp,
		     const struct ib_output_spec *o, char **argv, char *title)
{
	p->steps = ib_xrealloc(p->steps, (p->nsteps + 1) * sizeof(*p->steps));
	p->steps[p->nsteps++] = (struct ib_plan_step){
		.kind = kind, .title = title, .part = pp, .output = o, .argv = argv};
}

static const char *part_label(const struct ib_plan_part *pp)
{
	return pp->spec->name ? pp->spec->name : "unnamed";
}

/* The mkfs arguments of a partition, as the builder will use them. */
void ib_plan_mkfs_args(const struct ib_plan *p, const struct ib_plan_part *pp, struct ib_mkfs_args *a)
{
	const struct ib_fs_ops *o = ib_fs_ops_of(pp->spec->fs.type);
	*a = (struct ib_mkfs_args){
		.image = p->work_image,
		.work_dir = p->work_dir,
		.offset = pp->offset,
		.size = pp->size,
		.sector_size = p->sector_size,
		.cluster_size = pp->cluster_size,
		.label = pp->spec->fs.label,
		.fat_bits = o ? o->fat_bits : 0,
		.serial = pp->fs_serial,
		.ntfs_serial = pp->ntfs_serial,
		.ntfs_tmp = pp->ntfs_tmp,
		.reproducible = p->reproducible,
		.epoch = p->epoch,
	};
}

char *ib_plan_ntfs_tmp(const struct ib_plan *p, const struct ib_plan_part *pp)
{
	const char *shm = ib_ntfs_tmp_dir(pp->size);
	if (shm)
		return ib_xasprintf("%s/.imgbuild-%s.%ld.ntfs-p%u.tmp", shm, p->recipe->name, (long)getpid(), pp->number);
	return ib_xasprintf("%s/ntfs-p%u.tmp", p->work_dir, pp->number);
}

/* "p3 (windows)"; a base's partition not located yet: "use: auto". */
static char *part_ref(const struct ib_plan_part *pp)
{
	if (pp->spec->has_use && !pp->located)
		return pp->spec->use ? ib_xasprintf("partition %u of the base", pp->spec->use)
				     : ib_xstrdup("the partition holding Windows (use: auto)");
	return ib_xasprintf("p%u (%s)", pp->number, part_label(pp));
}

static char *content_title(const struct ib_plan *p, const struct ib_plan_part *pp, enum ib_step_kind kind)
{
	_cleanup_free_ char *ref = part_ref(pp);
	if (kind == IB_STEP_WINDOWS)
		return pp->win && pp->win->unattend
			       ? ib_xasprintf("customise Windows on %s; %s to \\Windows\\Panther\\unattend.xml (passes: %s)", ref,
					      pp->win->unattend, pp->win->unattend_passes)
			       : ib_xasprintf("customise Windows on %s", ref);
	char sz[32];
	const struct ib_fs_ops *o = ib_fs_ops_of(pp->fs); /* NULL: a base's partition not probed yet */
	const char *via = !o ? "the filesystem found there"
		: p->backend == IB_BACKEND_MOUNT && o->vol_mount ? "an ntfs-3g mount" : o->fill_via;
	return ib_xasprintf("copy %" PRIu64 " file%s, %" PRIu64 " dir%s (%s) into %s via %s", pp->nfiles,
			    pp->nfiles == 1 ? "" : "s", pp->ndirs, pp->ndirs == 1 ? "" : "s",
			    ib_size_format(pp->bytes, sz, sizeof sz), ref, via);
}

/* A partition's FILES step, then its WINDOWS step (Windows may arrive with files:). */
static char *install_title(const struct ib_plan_part *pp)
{
	const struct ib_install_plan *ip = pp->install;
	const struct ib_wim_image *im = ip->image;
	char sz[32];
	return ib_xasprintf("apply image %u \"%s\" (%s, build %u, %s, %s) of %s onto p%u (%s) with wimlib, and verify it",
			    im->index, im->name ? im->name : "", im->edition ? im->edition : "no edition", im->build,
			    im->arch ? im->arch : "?", ib_size_format(im->bytes, sz, sizeof sz), ip->wim->shown, pp->number,
			    part_label(pp));
}

/* Whether a windows: section asks for more than install: does. */
static bool win_has_work(const struct ib_win_spec *w)
{
	return w->n_drivers || w->n_guest_tools || w->n_first_boot || w->n_registry || w->unattend || w->diagnose;
}

static void add_content_steps(struct ib_plan *p, struct ib_plan_part *pp)
{
	if (pp->nfiles + pp->ndirs > 0)
		add_step(p, IB_STEP_FILES, pp, NULL, NULL, content_title(p, pp, IB_STEP_FILES));
	/* An install alone needs no injector run (its BOOT step checks what
	 * booting needs). */
	if (pp->win && (!pp->install || win_has_work(pp->win)))
		add_step(p, IB_STEP_WINDOWS, pp, NULL, NULL, content_title(p, pp, IB_STEP_WINDOWS));
}

void ib_plan_retitle(struct ib_plan *p)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		struct ib_plan_step *st = &p->steps[i];
		if (st->kind != IB_STEP_FILES && st->kind != IB_STEP_WINDOWS)
			continue;
		free(st->title);
		st->title = content_title(p, st->part, st->kind);
	}
}

static void free_steps(struct ib_plan *p)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		free(p->steps[i].title);
		ib_argv_free(p->steps[i].argv);
	}
	free(p->steps);
	p->steps = NULL;
	p->nsteps = 0;
}

/* With a base: the overlay way when qemu-nbd is there and the backend is
 * lib (the mount backend attaches the work image as a block device, which
 * needs a raw file); else the base converted into a raw work image. */
static void choose_base_way(struct ib_plan *p)
{
	_cleanup_free_ char *nbd = ib_which("qemu-nbd");
	p->base_overlay = p->backend != IB_BACKEND_MOUNT && nbd && ib_blk_nbd_available();
	p->base_why = p->base_overlay ? NULL
		      : p->backend == IB_BACKEND_MOUNT ? "the mount backend needs a raw work image"
		      : !ib_blk_nbd_available() ? "imgbuild was built without libnbd, so the base is copied"
						 : "qemu-nbd is not installed, so the base is copied";
}

static void make_steps(struct ib_plan *p)
{
	char sz[32];
	if (p->base) {
		choose_base_way(p);
		char *title = p->base_overlay
			? ib_xasprintf("overlay base image %s (%s, %s), kept as it is; qemu-nbd serves the overlay for the edits",
				       p->base, p->base_format, ib_size_format(p->disk_size, sz, sizeof sz))
			: ib_xasprintf("copy base image %s (%s, %s) into the work image (%s)", p->base, p->base_format,
				       ib_size_format(p->disk_size, sz, sizeof sz), p->base_why);
		add_step(p, IB_STEP_BASE, NULL, NULL, ib_plan_base_argv(p), title);
		for (size_t i = 0; i < p->nparts; i++)
			add_content_steps(p, &p->parts[i]);
	} else {
	add_step(p, IB_STEP_CREATE, NULL, NULL, NULL,
		 ib_xasprintf("create sparse work image (%s)", ib_size_format(p->disk_size, sz, sizeof sz)));
	add_step(p, IB_STEP_PTABLE, NULL, NULL, NULL,
		 ib_xasprintf("write %s partition table (%zu partition%s)", p->table == IB_TABLE_GPT ? "GPT" : "MBR",
			      p->nparts, p->nparts == 1 ? "" : "s"));
	for (size_t i = 0; i < p->nparts; i++) {
		struct ib_plan_part *pp = &p->parts[i];
		const struct ib_fs_ops *o = ib_fs_ops_of(pp->spec->fs.type);
		if (!o)
			continue;
		/* lib: in place, or a temporary file spliced in; mount: the attached device. */
		bool dev = p->backend == IB_BACKEND_MOUNT && o->mkfs_dev;
		if (o->mkfs_in_temp && !dev && !pp->ntfs_tmp)
			pp->ntfs_tmp = ib_plan_ntfs_tmp(p, pp);
		struct ib_mkfs_args a;
		ib_plan_mkfs_args(p, pp, &a);
		_cleanup_free_ char *devname = dev ? ib_xasprintf("<device of p%u>", pp->number) : NULL;
		char **argv = o->mkfs_argv(&a, dev ? devname : pp->ntfs_tmp);
		add_step(p, IB_STEP_MKFS, pp, NULL, argv,
			 ib_xasprintf("make %s on p%u (%s)", o->name, pp->number, part_label(pp)));
		if (pp->install)
			add_step(p, IB_STEP_INSTALL, pp, NULL, NULL, install_title(pp));
		add_content_steps(p, pp);
	}
	/* The boot files come from the applied (and customised) Windows. */
	for (size_t i = 0; i < p->nparts; i++)
		if (p->parts[i].install)
			add_step(p, IB_STEP_BOOT, &p->parts[i], NULL, NULL,
				 ib_xasprintf("make p%u (%s) boot through UEFI: boot manager, %s and BCD store on p%u (%s)",
					      p->parts[i].number, part_label(&p->parts[i]), p->parts[i].install->efi_name,
					      p->parts[i].install->esp->number, part_label(p->parts[i].install->esp)));
	}
	/* Overlay outputs last: each takes the work overlay itself, which the
	 * others are converted from. */
	for (size_t k = 0; k < 2 * p->recipe->noutputs; k++) {
		const struct ib_output_spec *o = &p->recipe->outputs[k % p->recipe->noutputs];
		if ((k < p->recipe->noutputs) == (o->backing != NULL))
			continue;
		char *dst = ib_plan_output_path(p, o), *tmp = ib_plan_output_tmp(p, o);
		if (o->backing) {
			add_step(p, IB_STEP_OUTPUT, NULL, o, ib_plan_rebase_argv(p, tmp),
				 ib_xasprintf("write %s, an overlay on base %s, and %s.base.sha256", dst, p->base, dst));
			free(dst);
			free(tmp);
			continue;
		}
		if (!ib_out_formats[o->format].qemu) { /* a package (lib/output/package.c) */
			add_step(p, IB_STEP_OUTPUT, NULL, o, NULL,
				 ib_xasprintf("write %s (%s for target %s)", dst,
					      o->format == IB_OUT_CONTAINERDISK ? "a KubeVirt containerDisk (OCI archive)"
					      : o->format == IB_OUT_OVA ? "an OVA: OVF descriptor, manifest, streamOptimized VMDK"
					      : "an OVF descriptor, its manifest and a streamOptimized VMDK",
					      ib_target_name(p->recipe->target)));
			free(dst);
			free(tmp);
			continue;
		}
		/* Raw from a raw work image: the work image itself (a link). */
		bool from_overlay = p->base && p->base_overlay;
		char **argv = o->format == IB_OUT_RAW && !from_overlay ? NULL
			      : ib_convert_argv(o, from_overlay ? p->work_overlay : p->work_image,
						from_overlay ? "qcow2" : "raw", tmp);
		add_step(p, IB_STEP_OUTPUT, NULL, o, argv, ib_xasprintf("write %s", dst));
		free(dst);
		free(tmp);
	}
}

struct ib_plan *ib_plan_make(const struct ib_recipe *r, const char *out_dir, struct ib_diags *d)
{
	struct ib_plan *p = ib_xcalloc(1, sizeof(*p));
	p->recipe = r;
	p->table = r->disk.table;
	p->sector_size = r->disk.sector_size;
	p->disk_size = r->disk.size;
	p->align = r->disk.align;
	p->out_dir = ib_xstrdup(out_dir && *out_dir ? out_dir : "out");
	p->work_dir = ib_xasprintf("%s/.imgbuild-%s.%ld.work", p->out_dir, r->name, (long)getpid());
	p->work_image = ib_xasprintf("%s/disk.raw", p->work_dir);
	p->work_overlay = ib_xasprintf("%s/overlay.qcow2", p->work_dir);
	p->first_usable_lba = first_usable_lba(p);
	p->last_usable_lba = last_usable_lba(p);
	p->nparts = r->disk.nparts;
	p->parts = ib_xcalloc(p->nparts ? p->nparts : 1, sizeof(*p->parts));

	size_t before = ib_diags_errors(d);
	struct ib_error err = {0};
	if (ib_repro_epoch(r, &p->reproducible, &p->epoch, &err) < 0) {
		ib_diag_add(d, IB_SEV_ERROR, err.loc.file ? &err.loc : NULL, NULL, "%s", err.msg);
		ib_error_clear(&err);
	}
	struct ib_ids *ids = &p->ids;
	ib_ids_init(ids, r);
	ib_ids_guid(ids, "disk-guid", &p->disk_guid);
	p->mbr_signature = ib_ids_u32(ids, "mbr-signature");
	for (size_t i = 0; i < p->nparts; i++) {
		struct ib_plan_part *pp = &p->parts[i];
		pp->number = (unsigned)i + 1;
		pp->spec = &r->disk.parts[i];
		char token[64];
		snprintf(token, sizeof token, "partition-guid-%u", pp->number);
		ib_ids_guid(ids, token, &pp->part_guid);
		snprintf(token, sizeof token, "fat-volume-id-%u", pp->number);
		pp->fs_serial = ib_ids_u32(ids, token);
		snprintf(token, sizeof token, "ntfs-serial-%u", pp->number);
		pp->ntfs_serial = ib_ids_u64(ids, token);
		pp->fs = pp->spec->fs.type;
		if (!r->base)
			resolve_type(p, pp, d);
	}
	if (r->base) {
		/* The table is the base's: located now (raw) or by the BASE step. */
		if (ib_diags_errors(d) == before && ib_plan_base_open(p, d) == 0) {
			for (size_t i = 0; i < p->nparts; i++)
				if (scan_files(p, &p->parts[i], d) == 0)
					stamp_epoch(p, &p->parts[i]);
		}
	} else if (ib_diags_errors(d) == before && layout(p, d) == 0) {
		for (size_t i = 0; i < p->nparts; i++) {
			if (resolve_fs(p, &p->parts[i], d) == 0 && scan_files(p, &p->parts[i], d) == 0)
				stamp_epoch(p, &p->parts[i]);
		}
	}
	for (size_t i = 0; i < p->nparts && ib_diags_errors(d) == before; i++)
		ib_plan_windows(p, &p->parts[i], d);
	if (ib_diags_errors(d) != before) {
		ib_plan_free(p);
		return NULL;
	}
	make_steps(p);
	return p;
}

void ib_plan_free(struct ib_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nparts; i++) {
		struct ib_plan_part *pp = &p->parts[i];
		if (pp->trees)
			for (size_t j = 0; j < pp->spec->nfiles; j++)
				ib_srctree_free(&pp->trees[j]);
		free(pp->trees);
		free(pp->ntfs_tmp);
		ib_plan_windows_free(pp->win);
		ib_plan_install_free(pp->install);
	}
	free_steps(p);
	free(p->parts);
	ib_ids_free(&p->ids);
	free(p->out_dir);
	free(p->work_dir);
	free(p->work_image);
	free(p->work_overlay);
	free(p->base_path);
	free(p->base_format);
	free(p);
}

void ib_plan_use_backend(struct ib_plan *p, enum ib_backend backend)
{
	if (backend == p->backend)
		return;
	p->backend = backend;
	free_steps(p);
	make_steps(p);
}

int ib_plan_ptable(const struct ib_plan *p, struct ib_ptable *t, struct ib_error *err)
{
	memset(t, 0, sizeof(*t));
	t->gpt = p->table == IB_TABLE_GPT;
	t->sector_size = p->sector_size;
	t->disk_bytes = p->disk_size;
	t->disk_guid = p->disk_guid;
	t->mbr_signature = p->mbr_signature;
	if (p->nparts > IB_GPT_ENTRIES) /* never write past entries[] */
		return ib_fail(err, IB_EXIT_INPUT, "%zu partitions: a partition table holds at most %d", p->nparts,
			       IB_GPT_ENTRIES);
	t->n = (unsigned)p->nparts;
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_plan_part *pp = &p->parts[i];
		struct ib_pt_entry *e = &t->entries[i];
		e->first_lba = pp->start_lba;
		e->last_lba = pp->end_lba;
		e->type_guid = pp->type_guid;
		e->part_guid = pp->part_guid;
		e->mbr_type = pp->mbr_type;
		e->bootable = pp->spec->bootable;
		if (pp->spec->name)
			snprintf(e->name, sizeof e->name, "%s", pp->spec->name);
	}
	return 0;
}

char *ib_plan_output_path(const struct ib_plan *p, const struct ib_output_spec *o)
{
	return ib_xasprintf("%s/%s.%s", p->out_dir, p->recipe->name, ib_out_format_ext(o->format));
}

char **ib_plan_output_files(const struct ib_plan *p, const struct ib_output_spec *o)
{
	char **v = ib_xcalloc(IB_OUTPUT_FILES_MAX + 1, sizeof(char *));
	v[0] = ib_plan_output_path(p, o);
	if (o->format == IB_OUT_OVF) {
		v[1] = ib_xasprintf("%s/%s.mf", p->out_dir, p->recipe->name);
		v[2] = ib_xasprintf("%s/%s-disk1.vmdk", p->out_dir, p->recipe->name);
	} else if (o->backing) {
		v[1] = ib_base_record_path(v[0]);
	}
	return v;
}

char *ib_plan_output_tmp(const struct ib_plan *p, const struct ib_output_spec *o)
{
	return ib_xasprintf("%s/.imgbuild-%s.%ld.%s", p->out_dir, p->recipe->name, (long)getpid(),
			    ib_out_format_ext(o->format));
}

/* Append the programs of list that tools does not hold yet. */
static void add_tools(const char **tools, size_t *n, const char *const *list)
{
	for (; *list; list++) {
		size_t i = 0;
		while (i < *n && strcmp(tools[i], *list))
			i++;
		if (i == *n)
			tools[(*n)++] = *list;
	}
}

const char **ib_plan_tools(const struct ib_plan *p)
{
	static const char *tools[16];
	size_t n = 0;
	bool conv = false, mounts = false;
	/* What each partition's handler runs: to make it (a new partition; a
	 * base's is made already), and to fill it. */
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_plan_part *pp = &p->parts[i];
		const struct ib_fs_ops *o = ib_fs_ops_of(pp->fs);
		if (!o)
			continue;
		if (!p->base)
			add_tools(tools, &n, o->mkfs_tools);
		if (pp->nfiles + pp->ndirs > 0 || pp->install)
			add_tools(tools, &n, o->fill_tools);
		/* The boot files go onto the ESP with its filesystem's tools. */
		const struct ib_fs_ops *eo = pp->install ? ib_fs_ops_of(pp->install->esp->fs) : NULL;
		if (eo)
			add_tools(tools, &n, eo->fill_tools);
		mounts |= o->vol_mount && p->backend == IB_BACKEND_MOUNT;
	}
	for (size_t i = 0; i < p->recipe->noutputs; i++)
		conv |= p->recipe->outputs[i].format != IB_OUT_RAW;
	conv |= p->base != NULL; /* the base is converted into the work image, or overlaid */
	if (conv)
		tools[n++] = "qemu-img";
	if (p->base && p->base_overlay)
		tools[n++] = "qemu-nbd";
	/* The mount backend mounts NTFS with ntfs-3g and unmounts (umount as
	 * root, fusermount3 otherwise); illumos attaches with lofiadm. */
	if (mounts) {
		tools[n++] = "ntfs-3g";
		tools[n++] = ib_platform() == IB_PLATFORM_LINUX && geteuid() != 0 ? "fusermount3" : "umount";
		if (ib_platform() == IB_PLATFORM_ILLUMOS) {
			tools[n++] = "lofiadm";
			tools[n++] = "sync";
		}
	}
	tools[n] = NULL;
	return tools;
}

