// SPDX-License-Identifier: GPL-2.0-or-later
/* The plan: a validated recipe resolved into sectors, GUIDs, scanned source
 * trees and an ordered list of steps with the programs each runs. `imgbuild
 * plan` prints it; `imgbuild build` executes it. Making a plan touches no
 * disk. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vol/backend.h"
#include "core/guid.h"
#include "ids.h"
#include "recipe/recipe.h"
#include "srctree.h"

struct ib_win_spec; /* lib/windows/inject.h */

struct ib_plan_part {
	unsigned number; /* 1-based, as in the table */
	const struct ib_partition_spec *spec;
	struct ib_guid type_guid; /* GPT */
	struct ib_guid part_guid; /* GPT */
	uint8_t mbr_type;         /* MBR */
	uint64_t start_lba, end_lba; /* inclusive */
	uint64_t offset, size;       /* bytes */
	struct ib_srctree *trees;    /* one per files: entry */
	uint64_t nfiles, ndirs, bytes;
	uint64_t cluster_size; /* resolved (0 for no filesystem) */
	uint32_t fs_serial;    /* FAT volume id (low 32 bits) */
	uint64_t ntfs_serial;
	char *ntfs_tmp; /* the file mkntfs formats (lib backend) */
	/* The filesystem the partition holds: the recipe's fs, or on a base what
	 * its boot sector shows once the partition is located. */
	enum ib_fs_type fs;
	/* windows: ready for ib_win_inject (work_dir and mtime are set by the
	 * build); NULL without one. */
	struct ib_win_spec *win;
	/* windows: { install: } (plan_install.h): the media and image to apply,
	 * checked while planning; NULL without one. */
	struct ib_install_plan *install;
	/* With a base: number, LBAs, offset, size and fs are known (a raw base
	 * is read while planning, any other format once converted). */
	bool located;
};

enum ib_step_kind {
	IB_STEP_CREATE,    /* sparse work image */
	IB_STEP_PTABLE,    /* partition table */
	IB_STEP_MKFS,      /* filesystem on one partition */
	IB_STEP_FILES,     /* files into one partition */
	IB_STEP_OUTPUT,    /* one output file */
	IB_STEP_BASE,      /* the base image converted into the work image (instead of CREATE, PTABLE) */
	IB_STEP_WINDOWS,   /* offline Windows customisation of one partition (after its FILES) */
	IB_STEP_INSTALL,   /* Windows applied from install media onto one partition, verified (after its MKFS) */
	IB_STEP_BOOT,      /* the boot manager and BCD store on the ESP for the installed Windows (last) */
};

struct ib_plan_step {
	enum ib_step_kind kind;
	char *title;            /* "mkfs ntfs on p3 (windows)" */
	struct ib_plan_part *part; /* for MKFS/FILES */
	const struct ib_output_spec *output; /* for OUTPUT */
	char **argv;            /* the program it runs, NULL-terminated; NULL when done in-process */
};

struct ib_plan {
	const struct ib_recipe *recipe;
	enum ib_table table;
	uint32_t sector_size;
	uint64_t disk_size;
	uint64_t align;
	struct ib_guid disk_guid;  /* GPT */
	uint32_t mbr_signature;    /* MBR */
	uint64_t first_usable_lba, last_usable_lba;
	struct ib_plan_part *parts;
	size_t nparts;
	struct ib_plan_step *steps;
	size_t nsteps;
	/* Reproducible mode (repro.h): every time in the image is the epoch,
	 * every identifier comes from ids (derived from the seed; random when
	 * the mode is off, and then epoch is -1). Source trees already carry
	 * the epoch as their mtimes. */
	bool reproducible;
	int64_t epoch;
	struct ib_ids ids;
	/* base: (NULL without one): the image as given and as a host path,
	 * qemu-img's format name and its virtual size. The table, sector size
	 * and disk size above are the base's (read while planning when the base
	 * is raw; else after the BASE step). */
	const char *base;
	char *base_path;
	char *base_format;
	bool base_read; /* its table has been read */
	/* The base kept as it is (lib/build/build_overlay.c): a qcow2 overlay
	 * on it (work_overlay) receives the edits through qemu-nbd, and the
	 * outputs are converted from it in one pass over the base's data; the
	 * work image is then the NBD export. Without qemu-nbd, or with the
	 * mount backend, the base is converted into a raw work image instead
	 * (base_overlay false, base_why says why). */
	bool base_overlay;
	const char *base_why;
	char *work_overlay;
	struct timespec win_mtime; /* reproducible mode: the epoch, for the injector */
	/* Paths: filled by ib_plan_set_paths (build), placeholders otherwise. */
	char *out_dir;
	char *work_dir;
	char *work_image;
	/* The volume backend (--backend): with mount, NTFS is made on an attached
	 * device and filled through an ntfs-3g mount (the titles and programs of
	 * the steps say so). The build uses this, so plan and build agree. */
	enum ib_backend backend;
};

/* Resolve a validated recipe. Layout and source problems (layout larger than
 * the disk, a partition too small for its filesystem, a missing or special
 * src, ...) are added to diags at the node that causes them; returns NULL if
 * there was any. out_dir is where outputs will go (used for paths in argv). */
struct ib_plan *ib_plan_make(const struct ib_recipe *r, const char *out_dir, struct ib_diags *diags);
void ib_plan_free(struct ib_plan *p);

/* Switch the plan to a volume backend and redo its step list accordingly. */
void ib_plan_use_backend(struct ib_plan *p, enum ib_backend backend);

struct ib_ptable;
/* The partition table the plan's layout gives (entries, GUIDs, MBR types and
 * flags, names), for the writers in lib/ptable. 0, or -1 (exit 2) when it
 * has more entries than a table holds (the recipe check refuses that). */
int ib_plan_ptable(const struct ib_plan *p, struct ib_ptable *t, struct ib_error *err);

/* The final path of an output: <out_dir>/<name>.<ext>. */
char *ib_plan_output_path(const struct ib_plan *p, const struct ib_output_spec *o);
struct ib_mkfs_args;
/* Step titles of the partitions' FILES and WINDOWS steps, again (after the
 * BASE step has located the partitions of a non-raw base). */
void ib_plan_retitle(struct ib_plan *p);
/* The mkfs arguments of a partition, as the builder will use them. */
void ib_plan_mkfs_args(const struct ib_plan *p, const struct ib_plan_part *pp, struct ib_mkfs_args *a);
/* The temporary file mkntfs formats for a partition (inside the work dir). */
char *ib_plan_ntfs_tmp(const struct ib_plan *p, const struct ib_plan_part *pp);
/* Every file an output publishes, final paths (malloc'd, NULL-terminated
 * array of at most IB_OUTPUT_FILES_MAX; free with ib_argv_free): the output
 * itself first, then an OVF's manifest and disk (NAME.mf,
 * NAME-disk1.vmdk), or an overlay's base record (NAME.qcow2.base.sha256). */
#define IB_OUTPUT_FILES_MAX 3
char **ib_plan_output_files(const struct ib_plan *p, const struct ib_output_spec *o);
/* The temporary name an output is written under before its rename:
 * <out_dir>/.imgbuild-<name>.<pid>.<ext>. */
char *ib_plan_output_tmp(const struct ib_plan *p, const struct ib_output_spec *o);
/* Every external program the plan runs with its backend, NULL-terminated
 * (static strings): the mount backend adds ntfs-3g, umount or fusermount3,
 * and lofiadm on illumos. */
const char **ib_plan_tools(const struct ib_plan *p);
