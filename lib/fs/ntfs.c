// SPDX-License-Identifier: GPL-2.0-or-later
/* NTFS: mkntfs on a sparse partition-sized temp file (mkntfs cannot write at
 * an offset into a larger file), then only that file's data extents are
 * copied into the image at the partition's offset. */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "../spawn.h"
#include "../util.h"

/* Boot sector geometry: Windows' own for disks (LBA-translated 255/63). */
#define NTFS_HEADS 255
#define NTFS_SECTORS_PER_TRACK 63

struct argv_builder {
	IB_VEC(char *) v;
};

static void arg(struct argv_builder *b, const char *s) { IB_VEC_PUSH(b->v, ib_xstrdup(s)); }

static void argf(struct argv_builder *b, const char *fmt, uint64_t n)
{
	IB_VEC_PUSH(b->v, ib_xasprintf(fmt, n));
}

/* mkntfs -Q -F -q -s SECTOR -c CLUSTER -p START -H 255 -S 63 [-L LABEL] TMP SECTORS
 *   -Q: quick (no zeroing, no bad-sector scan); -F: TMP is a regular file;
 *   -p: hidden sectors, the partition start in sectors (a 32-bit field: a
 *       partition starting past 2^32 sectors gets 0, which mkntfs also
 *       writes when it cannot tell);
 *   SECTORS: the partition size in sectors, explicit so the plan shows it.
 * Options for later (e.g. -T for reproducible images) go before TMP. */
char **ib_ntfs_mkfs_argv(const struct ib_mkfs_args *a, const char *tmp)
{
	struct argv_builder b = {0};
	uint64_t ss = a->sector_size ? a->sector_size : 512;
	uint64_t start = a->offset / ss;

	arg(&b, "mkntfs");
	arg(&b, "-Q");
	arg(&b, "-F");
	arg(&b, "-q");
	arg(&b, "-s");
	argf(&b, "%" PRIu64, ss);
	arg(&b, "-c");
	argf(&b, "%" PRIu64, a->cluster_size ? a->cluster_size : ib_ntfs_default_cluster(a->size, (uint32_t)ss));
	arg(&b, "-p");
	argf(&b, "%" PRIu64, start > UINT32_MAX ? 0 : start);
	arg(&b, "-H");
	argf(&b, "%" PRIu64, NTFS_HEADS);
	arg(&b, "-S");
	argf(&b, "%" PRIu64, NTFS_SECTORS_PER_TRACK);
	if (a->label && *a->label) {
		arg(&b, "-L");
		arg(&b, a->label);
	}
	arg(&b, tmp);
	argf(&b, "%" PRIu64, a->size / ss);
	IB_VEC_PUSH(b.v, NULL);
	return b.v.v;
}

/* mkntfs into the temp file, then its extents into the image. */
static int make_and_copy(const struct ib_mkfs_args *a, const char *tmp, int tfd, struct ib_error *err)
{
	if (ftruncate(tfd, (off_t)a->size) < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot size %s", tmp);

	char **argv = ib_ntfs_mkfs_argv(a, tmp);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	if (r < 0)
		return -1;

	_cleanup_close_ int ifd = open(a->image, O_RDWR | O_CLOEXEC);
	if (ifd < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", a->image);
	if (ib_copy_extents(tfd, ifd, a->offset, err) < 0) {
		ib_error_prefix(err, "ntfs");
		return -1;
	}
	return 0;
}

/* The temp file is on the undo stack from the moment it exists until it is
 * gone; whatever happened, it has no further use afterwards. */
int ib_ntfs_mkfs(const struct ib_mkfs_args *a, struct ib_error *err)
{
	_cleanup_free_ char *name = ib_xasprintf("ntfs-%" PRIu64 ".tmp", a->offset);
	_cleanup_free_ char *tmp = ib_path_join(a->work_dir, name);

	int tfd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (tfd < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot create %s", tmp);
	size_t undo = ib_undo_push_unlink(a->undo, tmp);
	int rc = make_and_copy(a, tmp, tfd, err);
	close(tfd);
	if (unlink(tmp) == 0 || errno == ENOENT)
		ib_undo_drop(a->undo, undo);
	return rc;
}
