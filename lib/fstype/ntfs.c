// SPDX-License-Identifier: GPL-2.0-or-later
/* The NTFS handler: mkntfs (on a temp file spliced into the image, or on
 * the attached partition for the mount backend), libntfs-3g or an ntfs-3g
 * mount to fill it; the only filesystem Windows can live on. */
#include "fstype.h"

#include <inttypes.h>
#include <stdio.h>

#include "core/size.h"
#include "core/util.h"
#include "fs/fs.h"
#include "fs/names.h"
#include "inspect/inspect.h"
#include "vol/ntfs3g.h"
#include "vol/ntfs_mkfs_dev.h"
#include "vol/vol.h"

#define NTFS_MIN_BYTES (UINT64_C(1) << 20) /* mkntfs: "Minimum NTFS volume size is 1MiB" */

static const char *ntfs_label_error(const char *l, char *buf, size_t n, const char **hint)
{
	(void)hint;
	size_t units = ib_utf16_units(l);
	if (units <= 32)
		return NULL;
	snprintf(buf, n, "NTFS label too long: at most 32 characters (UTF-16 units), '%s' has %zu", l, units);
	return buf;
}

static int ntfs_check_fit(struct ib_fs_fit *f)
{
	char a[32], b[32], k[32];
	uint64_t min = ib_ntfs_min_size(f->cluster, f->sector_size);
	if (f->bytes <= NTFS_MIN_BYTES) {
		f->hint = "make it at least 2 MiB";
		ib_buf_printf(f->msg, "partition too small for its filesystem: NTFS needs more than 1 MiB, %s has %s",
			      f->who, ib_size_format(f->bytes, a, sizeof a));
		return -1;
	}
	if (f->bytes < min) {
		f->hint = f->cluster_given ? "make it larger or use a smaller cluster_size" : "make it larger";
		ib_buf_printf(f->msg, "partition too small for its filesystem: ntfs with %s clusters needs at least %s, "
				      "%s has %s",
			      ib_size_format(f->cluster, k, sizeof k), ib_size_format(min, a, sizeof a), f->who,
			      ib_size_format(f->bytes, b, sizeof b));
		return -1;
	}
	if (f->bytes / f->cluster > UINT32_MAX) {
		f->at_cluster = f->cluster_given;
		f->hint = "choose a larger cluster_size";
		ib_buf_printf(f->msg, "%s has more than 2^32 NTFS clusters of %s", f->who,
			      ib_size_format(f->cluster, k, sizeof k));
		return -1;
	}
	return 0;
}

/* Reproducible mode: mkntfs leaves every metadata time at 1970 (-T); set
 * them all to the epoch through libntfs-3g, whichever way it was made. */
static int restamp(const struct ib_mkfs_args *a, struct ib_error *err)
{
	if (!a->reproducible ||
	    ib_repro_ntfs_restamp(a->image, a->offset, a->size, a->sector_size, a->epoch, false, err) == 0)
		return 0;
	ib_error_prefix(err, "ntfs: setting the metadata times to the epoch");
	return -1;
}

static int ntfs_mkfs(const struct ib_mkfs_args *a, struct ib_error *err)
{
	return ib_ntfs_mkfs(a, err) < 0 ? -1 : restamp(a, err);
}

static int ntfs_mkfs_dev(const struct ib_mkfs_args *a, unsigned number, enum ib_table table, struct ib_error *err)
{
	return ib_ntfs_mkfs_dev(a, number, table, err) < 0 ? -1 : restamp(a, err);
}

static void ntfs_format_serial(uint32_t vol_id, uint64_t serial64, char *buf, size_t n)
{
	(void)vol_id;
	snprintf(buf, n, "%016" PRIX64, serial64);
}

static bool ntfs_probe(const uint8_t sec[512])
{
	return ib_inspect_probe(sec) == IB_INSPECT_FS_NTFS;
}

static const char *const mkfs_tools[] = { "mkntfs", NULL };
static const char *const fill_tools[] = { NULL }; /* libntfs-3g, linked in */

const struct ib_fs_ops ib_fs_ntfs = {
	.type = IB_FS_NTFS,
	.name = "ntfs",
	.family = "NTFS",
	.mbr_type = "0x07",
	.holds_windows = true,
	.max_cluster = UINT64_C(2) << 20,
	.cluster_range = "NTFS clusters are the sector size to 2 MiB",
	.label_error = ntfs_label_error,
	.default_cluster = ib_ntfs_default_cluster,
	.min_size = ib_ntfs_min_size,
	.check_fit = ntfs_check_fit,
	.format_serial = ntfs_format_serial,
	.name_rules = &ib_ntfs_name_rules,
	.mkfs_argv = ib_ntfs_mkfs_argv,
	.mkfs = ntfs_mkfs,
	.mkfs_dev = ntfs_mkfs_dev,
	.mkfs_in_temp = true,
	.vol_lib = &ib_vol_ntfs3g_ops,
	.vol_mount = &ib_vol_mount_ops,
	.fill_via = "libntfs-3g",
	.fills_any_image = true,
	.mkfs_tools = mkfs_tools,
	.fill_tools = fill_tools,
	.probe = ntfs_probe,
};
