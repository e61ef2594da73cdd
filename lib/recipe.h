// SPDX-License-Identifier: GPL-2.0-or-later
/* The recipe: version 1 of the format in DESIGN.md, parsed into plain data.
 * Every field keeps the location of the YAML node it came from so that the
 * validator and the planner can point at it: the *_loc fields hold the
 * location of the value (a mapping's `loc` is its first key or its `{`); a
 * defaulted field gets its enclosing mapping's location; a value from --set
 * has file "--set", line 0, col = 1 + the index of the override. docs/recipe.md
 * is the user-facing reference. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum ib_table { IB_TABLE_GPT = 0, IB_TABLE_MBR };
enum ib_fs_type { IB_FS_NONE = 0, IB_FS_FAT16, IB_FS_FAT32, IB_FS_NTFS };
enum ib_out_format { IB_OUT_RAW = 0, IB_OUT_QCOW2, IB_OUT_VMDK, IB_OUT_VHDX, IB_OUT_VPC };

struct ib_file_spec {
	char *src; /* as written: relative to the recipe's folder (or absolute) */
	char *dst; /* absolute inside the volume, '/'-separated, no ".." */
	struct ib_loc loc, src_loc, dst_loc;
};

struct ib_fs_spec {
	enum ib_fs_type type; /* IB_FS_NONE: no filesystem */
	char *label;          /* may be NULL */
	uint64_t cluster_size; /* 0: the filesystem's default */
	struct ib_loc loc, type_loc, label_loc, cluster_loc;
};

struct ib_partition_spec {
	char *name; /* may be NULL for unnamed partitions */
	char *type; /* an alias or a GUID as written, or an MBR byte as "0x07"; never
		     * NULL after a successful load (omitted: basic-data on GPT; on MBR
		     * 0x07 ntfs, 0x0c fat32, 0x0e fat16, 0x83 without fs) */
	uint64_t size;
	bool size_rest; /* size: rest */
	bool bootable;  /* MBR active flag */
	struct ib_fs_spec fs;
	struct ib_file_spec *files;
	size_t nfiles;
	struct ib_loc loc, name_loc, type_loc, size_loc, bootable_loc, files_loc;
	/* Arrive with the Windows issue; until then present_* makes a located error. */
	bool has_windows, has_use;
	struct ib_loc windows_loc, use_loc;
};

struct ib_disk_spec {
	uint64_t size;
	enum ib_table table;
	uint32_t sector_size;
	uint64_t align;
	struct ib_partition_spec *parts;
	size_t nparts;
	struct ib_loc loc, size_loc, table_loc, sector_size_loc, align_loc, parts_loc;
};

struct ib_output_spec {
	enum ib_out_format format;
	char *subformat; /* vmdk: monolithicSparse (default) | streamOptimized; vhdx/vpc: dynamic
			  * (default) | fixed; NULL for raw and qcow2 */
	char *adapter;   /* vmdk: ide | lsilogic | buslogic | legacyESX */
	struct ib_loc loc, format_loc, subformat_loc, adapter_loc;
};

struct ib_recipe {
	char *path; /* as given */
	char *dir;  /* the recipe's folder: file sources are relative to it */
	int version;
	char *name;
	char *base; /* not yet supported: a located error */
	struct ib_disk_spec disk;
	struct ib_output_spec *outputs;
	size_t noutputs;
	bool reproducible;
	uint64_t epoch;
	char *seed;
	struct ib_loc name_loc, base_loc, outputs_loc, reproducible_loc;
	/* The source text, kept for diagnostics. */
	char *text;
	size_t text_len;
};

/* Parse and validate a recipe file. Every problem found is added to diags
 * (all of them, not just the first); returns NULL when there was any error.
 * sets are "KEY=VALUE" overrides from --set (dotted keys, e.g. disk.size). */
struct ib_recipe *ib_recipe_load(const char *path, const char *const *sets, size_t nsets,
				 struct ib_diags *diags);
void ib_recipe_free(struct ib_recipe *r);

const char *ib_table_name(enum ib_table t);
const char *ib_fs_type_name(enum ib_fs_type t);
const char *ib_out_format_name(enum ib_out_format f);
/* File name extension for an output format: raw, qcow2, vmdk, vhdx, vhd. */
const char *ib_out_format_ext(enum ib_out_format f);
