// SPDX-License-Identifier: GPL-2.0-or-later
/* One handler per filesystem: everything imgbuild knows about a filesystem
 * kind, in one const table per kind (lib/fstype/<kind>.c). Recipe checking,
 * planning, building, `plan` printing and the base probe look the handler up
 * here instead of switching on the type; a new filesystem is a new file and
 * one line in the list (lib/fstype/fstype.c). This header sits below the
 * recipe model (it includes nothing but lib/core and the table kinds); the
 * handler files sit above lib/fs (making filesystems, name rules) and
 * lib/vol (writing into them), which they bind together. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "ptable/table.h"

enum ib_fs_type { IB_FS_NONE = 0, IB_FS_FAT16, IB_FS_FAT32, IB_FS_NTFS, IB_FS_NTYPES };

struct ib_buf;
struct ib_mkfs_args;
struct ib_name_rules;
struct ib_vol_ops;

/* A filesystem of `cluster` bytes per cluster in a partition of `bytes`:
 * what the size check reads, and what it says when the two do not fit. */
struct ib_fs_fit {
	uint64_t bytes;     /* the partition, as laid out */
	uint64_t cluster;   /* resolved (the recipe's, or the default) */
	bool cluster_given; /* by the recipe */
	uint32_t sector_size;
	uint64_t align;  /* the disk's alignment, for the size to suggest */
	const char *who; /* "partition 'esp'", for messages */
	/* Out, on failure: */
	struct ib_buf *msg; /* the error */
	const char *hint;
	bool at_cluster; /* the error is the cluster_size:'s, not the size:'s */
};

struct ib_fs_ops {
	enum ib_fs_type type;
	const char *name;     /* in recipes (fs: { type: NAME }), plans and messages */
	const char *family;   /* in messages about the family's rules: "FAT", "NTFS" */
	const char *mbr_type; /* MBR type byte when the recipe gives no type: (GPT: basic-data) */
	bool holds_windows;   /* windows: may customise it */
	uint64_t max_cluster;
	const char *cluster_range; /* the hint when cluster_size: is above max_cluster */
	int fat_bits;              /* 12/16/32 for mkfs.fat; 0 for others */

	/* NULL when the label fits, else the message (in buf) and a hint or NULL. */
	const char *(*label_error)(const char *label, char *buf, size_t n, const char **hint);
	/* What the maker would pick, made explicit so the plan shows it. */
	uint64_t (*default_cluster)(uint64_t bytes, uint32_t sector_size);
	/* The smallest partition it can be made in (measured with its maker). */
	uint64_t (*min_size)(uint64_t cluster, uint32_t sector_size);
	/* The filesystem fits the partition: 0, else -1 with f->msg filled. */
	int (*check_fit)(struct ib_fs_fit *f);
	/* How the volume serial prints in plans (vol_id: 32 bits, serial64: NTFS's 64). */
	void (*format_serial)(uint32_t vol_id, uint64_t serial64, char *buf, size_t n);

	/* Names it can store (lib/fs/names.h). */
	const struct ib_name_rules *name_rules;

	/* Making it: argv for the plan (target: where mkfs writes, or NULL for
	 * the image at the offset), the lib way, and through an attached device
	 * for the mount backend (NULL: the lib way serves both backends). */
	char **(*mkfs_argv)(const struct ib_mkfs_args *a, const char *target);
	int (*mkfs)(const struct ib_mkfs_args *a, struct ib_error *err);
	int (*mkfs_dev)(const struct ib_mkfs_args *a, unsigned number, enum ib_table table, struct ib_error *err);
	/* Where the lib way makes it when not in place (NTFS: a temp file). */
	bool mkfs_in_temp;

	/* Filling it: the volume ops of the lib backend and of the mount
	 * backend (NULL: the lib ops for both), and the words for plans. */
	const struct ib_vol_ops *vol_lib, *vol_mount;
	const char *fill_via;
	/* vol_lib works on any image lib/core/blkio.h opens (an NBD export
	 * too); else it needs a file, and a base's overlay lends it a copy. */
	bool fills_any_image;
	/* Programs each phase needs (NULL-terminated). */
	const char *const *mkfs_tools, *const *fill_tools;

	/* Whether a partition's first sector is this filesystem (base images). */
	bool (*probe)(const uint8_t sec[512]);
};

/* The handler of a type; NULL for IB_FS_NONE. */
const struct ib_fs_ops *ib_fs_ops_of(enum ib_fs_type t);
/* By recipe name; NULL when none has it. */
const struct ib_fs_ops *ib_fs_ops_by_name(const char *name);
/* The handler whose probe recognises this first sector; NULL if none. */
const struct ib_fs_ops *ib_fs_ops_probe(const uint8_t sec[512]);
/* The recipe names, in type order, NULL-terminated (static). */
const char *const *ib_fs_type_names(void);
/* "fat32", ...; "none" for IB_FS_NONE. */
const char *ib_fs_type_name(enum ib_fs_type t);
/* The handler's min_size; 0 for IB_FS_NONE. */
uint64_t ib_fs_min_size(enum ib_fs_type t, uint64_t cluster, uint32_t sector_size);
/* Whether windows: may customise a filesystem of this type. */
bool ib_fs_holds_windows(enum ib_fs_type t);
/* The partition type a partition gets when the recipe gives none. */
const char *ib_fs_default_ptype(enum ib_fs_type t, enum ib_table table);

/* The handlers (lib/fstype/<kind>.c). */
extern const struct ib_fs_ops ib_fs_fat16, ib_fs_fat32, ib_fs_ntfs;
