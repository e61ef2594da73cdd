// SPDX-License-Identifier: GPL-2.0-or-later
/* The FAT16 and FAT32 handlers: mkfs.fat at the partition's offset, mtools
 * to fill it, the limits of the FAT specification (cluster counts decide the
 * type a reader sees, so a volume outside them is a wrong image). */
#include "fstype.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/size.h"
#include "core/util.h"
#include "fs/fs.h"
#include "fs/names.h"
#include "inspect/inspect.h"
#include "vol/vol.h"

static const char *fat_label_error(const char *l, char *buf, size_t n, const char **hint)
{
	size_t len = strlen(l);
	if (len > 11) {
		snprintf(buf, n, "FAT label too long: at most 11 characters, '%s' has %zu", l, len);
		return buf;
	}
	for (const unsigned char *p = (const unsigned char *)l; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			snprintf(buf, n, "FAT label '%s' holds a control character", l);
		else if (*p >= 0x80)
			snprintf(buf, n, "FAT label '%s' is not plain ASCII", l);
		else if (strchr("*?.,;:/\\|+=<>[]\"", *p)) {
			*hint = "FAT labels cannot hold * ? . , ; : / \\ | + = < > [ ] \"";
			snprintf(buf, n, "FAT label '%s' holds '%c'", l, *p);
		} else
			continue;
		return buf;
	}
	return NULL;
}

/* The reserved area, a FAT entry's size and the fixed root directory. */
struct fat_geom {
	unsigned entry;
	uint64_t reserved, root;
};

static struct fat_geom geom(int bits, uint32_t ss)
{
	if (bits == 32)
		return (struct fat_geom){ 4, 32ull * ss, 0 };
	return (struct fat_geom){ 2, ss, ib_align_up(512 * 32, ss) };
}

/* About how many clusters mkfs.fat makes in `bytes` (a slight overestimate). */
static uint64_t clusters_in(int bits, uint64_t bytes, uint64_t cs, uint32_t ss)
{
	struct fat_geom g = geom(bits, ss);
	if (bytes <= g.reserved + g.root)
		return 0;
	return (bytes - g.reserved - g.root) / (cs + 2 * g.entry);
}

static int fat_check_fit(struct ib_fs_fit *f, const struct ib_fs_ops *o, uint64_t min_clusters,
			 uint64_t max_clusters)
{
	char a[32], b[32], k[32];
	uint64_t min = o->min_size(f->cluster, f->sector_size);
	if (f->bytes < min) {
		f->hint = o->fat_bits == 32 ? "make it larger, use a smaller cluster_size, or use fat16"
					    : "make it larger or use a smaller cluster_size";
		ib_buf_printf(f->msg,
			      "partition too small for its filesystem: %s with %s clusters needs at least %s "
			      "(%" PRIu64 " clusters), %s has %s",
			      o->name, ib_size_format(f->cluster, k, sizeof k),
			      ib_size_format(ib_align_up(min, f->align ? f->align : 1), a, sizeof a), min_clusters,
			      f->who, ib_size_format(f->bytes, b, sizeof b));
		return -1;
	}
	uint64_t n = clusters_in(o->fat_bits, f->bytes, f->cluster, f->sector_size);
	if (n <= max_clusters)
		return 0;
	f->at_cluster = f->cluster_given;
	if (o->fat_bits == 16 && !f->cluster_given) {
		f->hint = "use fat32 or a smaller partition";
		ib_buf_printf(f->msg,
			      "partition too large for fat16: it holds at most %" PRIu64 " clusters of %s (about %s), "
			      "%s has %s",
			      max_clusters, ib_size_format(o->max_cluster, k, sizeof k),
			      ib_size_format(max_clusters * o->max_cluster, a, sizeof a), f->who,
			      ib_size_format(f->bytes, b, sizeof b));
	} else {
		f->hint = f->cluster_given ? "choose a larger cluster_size" : "make the partition smaller";
		ib_buf_printf(f->msg,
			      "too many clusters: %s would have about %" PRIu64 " %s clusters of %s (at most %" PRIu64
			      ")",
			      f->who, n, o->name, ib_size_format(f->cluster, k, sizeof k), max_clusters);
	}
	return -1;
}

static int fat16_check_fit(struct ib_fs_fit *f)
{
	return fat_check_fit(f, &ib_fs_fat16, IB_FAT16_MIN_CLUSTERS, IB_FAT16_MAX_CLUSTERS);
}

static int fat32_check_fit(struct ib_fs_fit *f)
{
	return fat_check_fit(f, &ib_fs_fat32, IB_FAT32_MIN_CLUSTERS, IB_FAT32_MAX_CLUSTERS);
}

static uint64_t fat16_min_size(uint64_t cluster, uint32_t ss)
{
	return ib_fat_min_size(16, cluster, ss);
}

static uint64_t fat32_min_size(uint64_t cluster, uint32_t ss)
{
	return ib_fat_min_size(32, cluster, ss);
}

static uint64_t fat16_default_cluster(uint64_t bytes, uint32_t ss)
{
	return ib_fat_default_cluster(bytes, ss, 16);
}

static uint64_t fat32_default_cluster(uint64_t bytes, uint32_t ss)
{
	return ib_fat_default_cluster(bytes, ss, 32);
}

static void fat_format_serial(uint32_t vol_id, uint64_t serial64, char *buf, size_t n)
{
	(void)serial64;
	snprintf(buf, n, "%04X-%04X", (unsigned)(vol_id >> 16), (unsigned)(vol_id & 0xffff));
}

static char **fat_mkfs_argv(const struct ib_mkfs_args *a, const char *target)
{
	(void)target; /* mkfs.fat writes into the image at the offset */
	return ib_fat_mkfs_argv(a);
}

/* FAT32 says so in its extended boot sector; FAT12 reads as fat16 here (as
 * imgbuild makes neither FAT12 nor anything it could confuse it with). */
static bool is_fat32(const uint8_t sec[512])
{
	return !memcmp(sec + 0x52, "FAT32   ", 8);
}

static bool fat16_probe(const uint8_t sec[512])
{
	return ib_inspect_probe(sec) == IB_INSPECT_FS_FAT && !is_fat32(sec);
}

static bool fat32_probe(const uint8_t sec[512])
{
	return ib_inspect_probe(sec) == IB_INSPECT_FS_FAT && is_fat32(sec);
}

static const char *const mkfs_tools[] = { "mkfs.fat", NULL };
static const char *const fill_tools[] = { "mdir", "mmd", "mcopy", NULL };

#define FAT_COMMON                                                       \
	.family = "FAT", .holds_windows = false, .max_cluster = IB_FAT_MAX_CLUSTER,           \
	.cluster_range = "FAT clusters are 512 B to 32 KiB",                 \
	.label_error = fat_label_error, .format_serial = fat_format_serial, \
	.name_rules = &ib_fat_name_rules, .mkfs_argv = fat_mkfs_argv,        \
	.mkfs = ib_fat_mkfs, .vol_lib = &ib_vol_fat_ops, .fill_via = "mtools", \
	.mkfs_tools = mkfs_tools, .fill_tools = fill_tools

const struct ib_fs_ops ib_fs_fat16 = {
	.type = IB_FS_FAT16, .name = "fat16", .mbr_type = "0x0e", .fat_bits = 16,
	.default_cluster = fat16_default_cluster, .min_size = fat16_min_size, .check_fit = fat16_check_fit, .probe = fat16_probe,
	FAT_COMMON,
};

const struct ib_fs_ops ib_fs_fat32 = {
	.type = IB_FS_FAT32, .name = "fat32", .mbr_type = "0x0c", .fat_bits = 32,
	.default_cluster = fat32_default_cluster, .min_size = fat32_min_size, .check_fit = fat32_check_fit, .probe = fat32_probe,
	FAT_COMMON,
};
