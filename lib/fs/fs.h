// SPDX-License-Identifier: GPL-2.0-or-later
/* Making filesystems inside the work image. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "recipe/recipe.h"
#include "core/undo.h"

struct ib_mkfs_args {
	const char *image;     /* raw work image */
	const char *work_dir;  /* for temporary files */
	uint64_t offset, size; /* partition, bytes */
	uint32_t sector_size;
	uint64_t cluster_size; /* resolved, bytes */
	const char *label;     /* may be NULL */
	int fat_bits;          /* 16 or 32 for FAT */
	uint32_t serial;       /* FAT volume id */
	uint64_t ntfs_serial;  /* NTFS volume serial (0: mkntfs picks one) */
	const char *ntfs_tmp;  /* the file mkntfs formats (NULL: <work_dir>/ntfs-<offset>.tmp) */
	bool reproducible;     /* every time the filesystem holds is epoch (repro.h) */
	int64_t epoch;
	struct ib_undo *undo;
};

/* The FAT specification's limits: the cluster count decides the type a
 * reader sees. Clusters above 32 KiB are not portable (mkfs.fat warns,
 * several readers refuse them). */
#define IB_FAT16_MIN_CLUSTERS 4085u
#define IB_FAT16_MAX_CLUSTERS 65524u
#define IB_FAT32_MIN_CLUSTERS 65525u
#define IB_FAT32_MAX_CLUSTERS 0x0FFFFFF5u
#define IB_FAT_MAX_CLUSTER (UINT64_C(32) << 10)

/* NTFS boot sector: the volume serial, 8 bytes little-endian, at this offset.
 * mkntfs writes the boot sector at the partition's first sector and a copy
 * at its last (the volume is one sector shorter for that reason). */
#define IB_NTFS_BS_SERIAL 0x48

/* Write a->ntfs_serial into both boot sectors of the NTFS volume that fd
 * holds from byte 0 (a->size bytes), after checking both are NTFS boot
 * sectors; what names fd in messages. 0, or -1. */
int ib_ntfs_set_serial(int fd, const struct ib_mkfs_args *a, const char *what, struct ib_error *err);

/* argv of the program each one runs (for plans and for running), malloc'd,
 * NULL-terminated; free with ib_argv_free. tmp is the temp file for mkntfs. */
char **ib_fat_mkfs_argv(const struct ib_mkfs_args *a);
char **ib_ntfs_mkfs_argv(const struct ib_mkfs_args *a, const char *tmp);
void ib_argv_free(char **argv);

/* mkfs.fat --offset straight into the image. */
int ib_fat_mkfs(const struct ib_mkfs_args *a, struct ib_error *err);
/* mkntfs on a sparse partition-sized temp file (mkntfs cannot write at an
 * offset), then copy only that file's data extents into the image. */
int ib_ntfs_mkfs(const struct ib_mkfs_args *a, struct ib_error *err);

/* Where mkntfs's temporary file goes: /dev/shm when it is a usable tmpfs
 * with room for volume_size's metadata (mkntfs writes its $LogFile in small
 * writes and syncs it: about twice as fast in memory), else NULL (the work
 * directory). The name carries the pid so a later run can remove what a
 * killed build left (ib_ntfs_tmp_release_stale). Static string. */
const char *ib_ntfs_tmp_dir(uint64_t volume_size);
void ib_ntfs_tmp_release_stale(void);

/* Copy the allocated extents (SEEK_DATA/SEEK_HOLE) of src_fd into dst_fd at
 * dst_off. Holes stay holes. Polls ib_interrupted(). */
int ib_copy_extents(int src_fd, int dst_fd, uint64_t dst_off, struct ib_error *err);

/* Cluster size defaults: what mkntfs and mkfs.fat would pick, made explicit
 * so the plan shows it. */
uint64_t ib_ntfs_default_cluster(uint64_t size, uint32_t sector_size);
uint64_t ib_fat_default_cluster(uint64_t size, uint32_t sector_size, int fat_bits);
/* Minimum partition size for a filesystem with these parameters (for the
 * "partition too small for its filesystem" error; measured, fs_common.c). */
uint64_t ib_ntfs_min_size(uint64_t cluster_size, uint32_t sector_size);
uint64_t ib_fat_min_size(int fat_bits, uint64_t cluster_size, uint32_t sector_size);
