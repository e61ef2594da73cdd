// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT16/FAT32 with mkfs.fat (dosfstools 4.2), written straight into the work
 * image at the partition's offset. Facts measured with mkfs.fat 4.2:
 *  - --offset counts logical sectors of the -S size (-S 4096 --offset 256
 *    starts at 1 MiB); -h (hidden sectors) counts the same sectors.
 *  - BLOCKS is always in 1 KiB units, whatever -S is.
 *  - It neither checks that offset + BLOCKS fits in the file nor extends
 *    the file, so a too-small image would silently get a broken
 *    filesystem: we check the bounds first.
 *  - It rounds the sector count down to a multiple of the sectors per track
 *    of -g.
 *  - With too few clusters for the asked FAT type it only warns and exits 0
 *    (mtools then refuses the volume): we check the cluster count before and
 *    read it back from the boot sector after.
 *  - It ignores SOURCE_DATE_EPOCH. Its only time stamp is the volume-label
 *    entry in the root directory: the time of the run, or with --invariant
 *    the fixed 2015-03-14 09:26:52 (whatever the time zone). In reproducible
 *    mode that entry is set to the epoch after mkfs.fat (stamp_label). The
 *    volume ID is ours (-i); the boot sector holds no time. */
#include "fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "recipe/recipe.h"
#include "core/spawn.h"


/* Windows' FAT32 defaults by volume size, used as the largest cluster we pick. */
static uint64_t fat32_cluster_cap(uint64_t size)
{
	const uint64_t MiB = UINT64_C(1) << 20;
	if (size <= 64 * MiB)
		return 512;
	if (size <= 128 * MiB)
		return 1024;
	if (size <= 256 * MiB)
		return 2048;
	if (size <= 8192 * MiB)
		return 4096;
	if (size <= 16384 * MiB)
		return 8192;
	if (size <= 32768 * MiB)
		return 16384;
	return 32768;
}

/* FAT32: the largest cluster up to Windows' default that still leaves at
 * least 65525 clusters (judged by ib_fat_min_size, so the plan's "too small"
 * check agrees). 512-byte sectors: 260 MiB -> 4 KiB, 100 MiB -> 1 KiB,
 * 33 MiB -> 512 B. A cluster is never smaller than a sector, so FAT32 on
 * 4096-byte sectors needs about 257 MiB or more.
 * FAT16: the smallest cluster that keeps the count at or below 65524 (as
 * Windows does: 64 MiB -> 2 KiB). If nothing fits, the bound is returned and
 * the size check reports it. */
uint64_t ib_fat_default_cluster(uint64_t size, uint32_t sector_size, int fat_bits)
{
	uint64_t ss = sector_size ? sector_size : 512;
	if (fat_bits == 16) {
		uint64_t c = ss;
		while (c < IB_FAT_MAX_CLUSTER && size / c > IB_FAT16_MAX_CLUSTERS)
			c <<= 1;
		return c;
	}
	uint64_t c = fat32_cluster_cap(size);
	if (c < ss)
		c = ss;
	while (c > ss && size < ib_fat_min_size(32, c, (uint32_t)ss))
		c >>= 1;
	return c;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* The cluster size the partition gets: the resolved one, else the default. */
static uint64_t cluster_of(const struct ib_mkfs_args *a)
{
	return a->cluster_size ? a->cluster_size : ib_fat_default_cluster(a->size, a->sector_size, a->fat_bits);
}

static char *label_upper(const char *label)
{
	char *s = ib_xstrdup(label);
	for (char *p = s; *p; p++)
		if ((unsigned char)*p < 0x80)
			*p = (char)toupper((unsigned char)*p);
	return s;
}

char **ib_fat_mkfs_argv(const struct ib_mkfs_args *a)
{
	uint64_t ss = a->sector_size ? a->sector_size : 512;
	uint64_t start = a->offset / ss;
	IB_VEC(char *) v = {0};
	IB_VEC_PUSH(v, ib_xstrdup("mkfs.fat"));
	/* --invariant fixes the timestamp of the volume-label entry, so the same
	 * inputs give the same bytes. It also sets a fixed volume ID, so it
	 * must come before -i (options apply in order). */
	IB_VEC_PUSH(v, ib_xstrdup("--invariant"));
	IB_VEC_PUSH(v, ib_xstrdup("-F"));
	IB_VEC_PUSH(v, ib_xasprintf("%d", a->fat_bits == 16 ? 16 : 32));
	IB_VEC_PUSH(v, ib_xstrdup("-S"));
	IB_VEC_PUSH(v, ib_xasprintf("%" PRIu64, ss));
	IB_VEC_PUSH(v, ib_xstrdup("-s"));
	IB_VEC_PUSH(v, ib_xasprintf("%" PRIu64, cluster_of(a) / ss));
	IB_VEC_PUSH(v, ib_xasprintf("--offset=%" PRIu64, start));
	IB_VEC_PUSH(v, ib_xstrdup("-h"));
	IB_VEC_PUSH(v, ib_xasprintf("%" PRIu64, start));
	/* mkfs.fat rounds the sector count down to whole tracks: 32 sectors per
	 * track keeps a MiB-aligned partition whole (63 would cut up to 62
	 * sectors off its end). Nothing modern reads the geometry. */
	IB_VEC_PUSH(v, ib_xstrdup("-g"));
	IB_VEC_PUSH(v, ib_xstrdup("64/32"));
	IB_VEC_PUSH(v, ib_xstrdup("-i"));
	IB_VEC_PUSH(v, ib_xasprintf("%08" PRIx32, a->serial));
	if (a->label && *a->label) {
		IB_VEC_PUSH(v, ib_xstrdup("-n"));
		IB_VEC_PUSH(v, label_upper(a->label));
	}
	IB_VEC_PUSH(v, ib_xstrdup(a->image));
	IB_VEC_PUSH(v, ib_xasprintf("%" PRIu64, a->size / 1024));
	IB_VEC_PUSH(v, NULL);
	return v.v;
}

static const char *fat_name(int bits)
{
	return bits == 16 ? "FAT16" : "FAT32";
}

static int check_args(const struct ib_mkfs_args *a, struct ib_error *err)
{
	uint64_t ss = a->sector_size, cs = cluster_of(a);
	if (a->fat_bits != 16 && a->fat_bits != 32)
		return ib_fail(err, IB_EXIT_INPUT, "FAT type must be 16 or 32, not %d", a->fat_bits);
	if (!is_pow2(ss) || ss < 512 || ss > 4096)
		return ib_fail(err, IB_EXIT_INPUT, "sector size %" PRIu64 " is not supported for FAT", ss);
	if (a->offset % ss || a->size % ss)
		return ib_fail(err, IB_EXIT_INPUT, "FAT partition at %" PRIu64 " (size %" PRIu64
			       ") is not aligned to %" PRIu64 "-byte sectors", a->offset, a->size, ss);
	if (!is_pow2(cs) || cs < ss || cs > IB_FAT_MAX_CLUSTER)
		return ib_fail(err, IB_EXIT_INPUT,
			       "FAT cluster size %" PRIu64 " must be a power of two from the sector size (%" PRIu64
			       ") to 32 KiB", cs, ss);
	if (a->offset / ss > UINT32_MAX)
		return ib_fail(err, IB_EXIT_INPUT, "a FAT partition must start within the first 2^32 sectors");
	uint64_t min = ib_fat_min_size(a->fat_bits, cs, (uint32_t)ss);
	if (a->size < min)
		return ib_fail(err, IB_EXIT_INPUT,
			       "a %s with %" PRIu64 "-byte clusters needs a partition of at least %" PRIu64
			       " KiB; this one is %" PRIu64 " KiB", fat_name(a->fat_bits), cs, (min + 1023) / 1024,
			       a->size / 1024);
	if (a->fat_bits == 16 && a->size / cs > IB_FAT16_MAX_CLUSTERS)
		return ib_fail(err, IB_EXIT_INPUT,
			       "a FAT16 of %" PRIu64 " KiB with %" PRIu64 "-byte clusters has more than %u clusters; "
			       "use larger clusters or FAT32", a->size / 1024, cs, IB_FAT16_MAX_CLUSTERS);
	return 0;
}

/* Read the cluster count back from the boot sector mkfs.fat wrote. */
static int check_boot_sector(int fd, const struct ib_mkfs_args *a, struct ib_error *err)
{
	uint8_t bs[512];
	int r = ib_pread_all(fd, bs, sizeof bs, a->offset);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the FAT boot sector of '%s'", a->image);
	uint32_t bps = ib_get_le16(bs + 11), spc = bs[13], rsvd = ib_get_le16(bs + 14), nfats = bs[16];
	uint32_t root = ib_get_le16(bs + 17), tot = ib_get_le16(bs + 19), fatsz = ib_get_le16(bs + 22);
	if (!tot)
		tot = ib_get_le32(bs + 32);
	if (!fatsz)
		fatsz = ib_get_le32(bs + 36);
	if (bs[510] != 0x55 || bs[511] != 0xAA || bps != a->sector_size || !spc)
		return ib_fail(err, IB_EXIT_FAIL, "mkfs.fat left no valid boot sector at offset %" PRIu64,
			       a->offset);
	uint64_t meta = rsvd + (uint64_t)nfats * fatsz + ((uint64_t)root * 32 + bps - 1) / bps;
	uint64_t clusters = tot > meta ? (tot - meta) / spc : 0;
	bool ok = a->fat_bits == 16 ? clusters >= IB_FAT16_MIN_CLUSTERS && clusters <= IB_FAT16_MAX_CLUSTERS
				    : clusters >= IB_FAT32_MIN_CLUSTERS;
	if (!ok)
		return ib_fail(err, IB_EXIT_INPUT,
			       "mkfs.fat made a %s with %" PRIu64 " clusters, outside what %s allows "
			       "(%u to %u); change the partition size or cluster size",
			       fat_name(a->fat_bits), clusters, fat_name(a->fat_bits),
			       a->fat_bits == 16 ? IB_FAT16_MIN_CLUSTERS : IB_FAT32_MIN_CLUSTERS,
			       a->fat_bits == 16 ? IB_FAT16_MAX_CLUSTERS : IB_FAT32_MAX_CLUSTERS);
	return 0;
}

/* FAT dates run from 1980-01-01 to 2107-12-31, in local time: like the FAT
 * volume backend (mtools with TZ=UTC0) we store UTC. */
#define FAT_TIME_MIN INT64_C(315532800)
#define FAT_TIME_MAX INT64_C(4354819198)

/* Directory entry fields (offsets in the 32-byte entry). */
#define DE_ATTR 0x0B
#define DE_CTIME_CS 0x0D /* creation time, 10 ms units (0-199) */
#define DE_CTIME 0x0E
#define DE_CDATE 0x10
#define DE_ADATE 0x12
#define DE_MTIME 0x16
#define DE_MDATE 0x18
#define ATTR_VOLUME_ID 0x08
#define ATTR_LFN 0x0F

/* Set every time of the volume-label entry (the one mkfs.fat writes first
 * in the root directory: its ctime at 0x0D-0x11, access date at 0x12, mtime
 * at 0x16-0x19) to epoch. */
static int stamp_label(int fd, const struct ib_mkfs_args *a, struct ib_error *err)
{
	uint8_t bs[512];
	int r = ib_pread_all(fd, bs, sizeof bs, a->offset);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the FAT boot sector of '%s'", a->image);
	uint64_t bps = ib_get_le16(bs + 11), spc = bs[13], rsvd = ib_get_le16(bs + 14), nfats = bs[16];
	uint64_t root_entries = ib_get_le16(bs + 17), fatsz = ib_get_le16(bs + 22);
	if (!fatsz)
		fatsz = ib_get_le32(bs + 36);
	uint64_t first = rsvd + nfats * fatsz; /* FAT16 root directory, FAT32 data area */
	uint64_t len = root_entries * 32;
	if (a->fat_bits == 32) {
		first += (ib_get_le32(bs + 44) - 2) * spc; /* the root's first cluster */
		len = spc * bps;
	}
	if (len > 65536)
		len = 65536;
	_cleanup_free_ uint8_t *dir = ib_xmalloc(len);
	r = ib_pread_all(fd, dir, len, a->offset + first * bps);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot read the FAT root directory of '%s'", a->image);

	int64_t t = a->epoch < FAT_TIME_MIN ? FAT_TIME_MIN : a->epoch > FAT_TIME_MAX ? FAT_TIME_MAX : a->epoch;
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	uint16_t date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
	uint16_t time2 = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	for (uint64_t o = 0; o + 32 <= len && dir[o]; o += 32) {
		uint8_t *e = dir + o;
		if (e[0] == 0xE5 || e[DE_ATTR] == ATTR_LFN || !(e[DE_ATTR] & ATTR_VOLUME_ID))
			continue;
		e[DE_CTIME_CS] = (uint8_t)(tm.tm_sec % 2 * 100);
		ib_put_le16(e + DE_CTIME, time2);
		ib_put_le16(e + DE_CDATE, date);
		ib_put_le16(e + DE_ADATE, date);
		ib_put_le16(e + DE_MTIME, time2);
		ib_put_le16(e + DE_MDATE, date);
		r = ib_pwrite_all(fd, e, 32, a->offset + first * bps + o);
		if (r < 0)
			return ib_fail_errno(err, r, "cannot write the FAT volume label entry of '%s'", a->image);
		return 0;
	}
	return ib_fail(err, IB_EXIT_FAIL, "mkfs.fat wrote no volume label entry in the root directory");
}

int ib_fat_mkfs(const struct ib_mkfs_args *a, struct ib_error *err)
{
	if (check_args(a, err) < 0)
		return -1;
	_cleanup_close_ int fd = open(a->image, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open '%s'", a->image);
	struct stat before, after;
	if (fstat(fd, &before) < 0)
		return ib_fail_errno(err, -errno, "cannot stat '%s'", a->image);
	if (a->offset + a->size > (uint64_t)before.st_size)
		return ib_fail(err, IB_EXIT_FAIL,
			       "the FAT partition (%" PRIu64 "+%" PRIu64 ") ends past the end of '%s' (%" PRIu64 ")",
			       a->offset, a->size, a->image, (uint64_t)before.st_size);

	char **argv = ib_fat_mkfs_argv(a);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	if (r < 0)
		return -1;

	if (fstat(fd, &after) < 0)
		return ib_fail_errno(err, -errno, "cannot stat '%s'", a->image);
	if (after.st_size != before.st_size)
		return ib_fail(err, IB_EXIT_FAIL, "mkfs.fat changed the size of '%s' from %" PRIu64 " to %" PRIu64,
			       a->image, (uint64_t)before.st_size, (uint64_t)after.st_size);
	if (check_boot_sector(fd, a, err) < 0)
		return -1;
	return a->reproducible && a->label && *a->label ? stamp_label(fd, a, err) : 0;
}
