// SPDX-License-Identifier: GPL-2.0-or-later
/* NTFS: mkntfs on a sparse partition-sized temp file (mkntfs cannot write at
 * an offset into a larger file), then only that file's data extents are
 * copied into the image at the partition's offset.
 *
 * Identifiers and times: the volume serial is the plan's (random, or derived
 * from the seed), patched into both boot sectors after mkntfs (which has no
 * option for it). In reproducible mode mkntfs runs with -T, which makes its
 * output a function of its arguments alone (all times 1970, the serial from
 * a fixed random() seed; measured with mkntfs 2022.10.3: byte-identical
 * across runs, time zones and SOURCE_DATE_EPOCH values), and then every
 * metadata time is set to the epoch through libntfs-3g. */
#include "fs.h"

#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <signal.h>
#include <dirent.h>
#include <sys/statvfs.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "core/spawn.h"
#include "core/util.h"


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
 *   -T: reproducible mode only: every time is 1970 (restamped to the epoch
 *       afterwards) and the output no longer depends on the clock;
 *   SECTORS: the partition size in sectors, explicit so the plan shows it. */
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
	if (a->reproducible)
		arg(&b, "-T");
	arg(&b, tmp);
	argf(&b, "%" PRIu64, a->size / ss);
	IB_VEC_PUSH(b.v, NULL);
	return b.v.v;
}

/* Write serial into the primary and the backup boot sector of the volume
 * mkntfs made in fd (partition-sized), after checking both are NTFS boot
 * sectors. */
int ib_ntfs_set_serial(int fd, const struct ib_mkfs_args *a, const char *tmp, struct ib_error *err)
{
	uint64_t ss = a->sector_size ? a->sector_size : 512;
	uint64_t where[2] = {0, (a->size / ss - 1) * ss};
	uint8_t bs[512];
	for (int i = 0; i < 2; i++) {
		int r = ib_pread_all(fd, bs, sizeof bs, where[i]);
		if (r < 0)
			return ib_fail_errno(err, r, "ntfs: cannot read the boot sector at %" PRIu64 " of %s",
					     where[i], tmp);
		if (memcmp(bs + 3, "NTFS    ", 8) || bs[510] != 0x55 || bs[511] != 0xAA)
			return ib_fail(err, IB_EXIT_FAIL, "ntfs: mkntfs left no %s boot sector at byte %" PRIu64 " of %s",
				       i ? "backup" : "primary", where[i], tmp);
	}
	uint8_t v[8];
	ib_put_le64(v, a->ntfs_serial);
	for (int i = 0; i < 2; i++) {
		int r = ib_pwrite_all(fd, v, sizeof v, where[i] + IB_NTFS_BS_SERIAL);
		if (r < 0)
			return ib_fail_errno(err, r, "ntfs: cannot write the volume serial into %s", tmp);
	}
	return 0;
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
	if (a->ntfs_serial && ib_ntfs_set_serial(tfd, a, tmp, err) < 0)
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
	_cleanup_free_ char *tmp = a->ntfs_tmp ? ib_xstrdup(a->ntfs_tmp) : ib_path_join(a->work_dir, name);

	/* O_EXCL and no symlinks: the file may be in a shared /dev/shm. */
	int tfd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (tfd < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot create %s", tmp);
	size_t undo = ib_undo_push_unlink(a->undo, tmp);
	int rc = make_and_copy(a, tmp, tfd, err);
	close(tfd);
	if (unlink(tmp) == 0 || errno == ENOENT)
		ib_undo_drop(a->undo, undo);
	return rc;
}

#define SHM_DIR "/dev/shm"

const char *ib_ntfs_tmp_dir(uint64_t volume_size)
{
	struct statvfs vfs;
	struct stat st;
	if (stat(SHM_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || access(SHM_DIR, W_OK | X_OK) < 0 ||
	    statvfs(SHM_DIR, &vfs) < 0)
		return NULL;
	/* mkntfs writes at most a few tens of MiB of metadata ($LogFile up to
	 * 64 MiB, $MFT, the bitmap at one bit per cluster): ask for 128 MiB plus
	 * 1/16384 of the volume, and keep the rest of memory for everyone else. */
	uint64_t need = (128ull << 20) + (volume_size >> 14);
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	return avail >= 2 * need ? SHM_DIR : NULL;
}

void ib_ntfs_tmp_release_stale(void)
{
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		/* .imgbuild-<name>.<pid>.ntfs-p<N>.tmp, ours and its build dead */
		const char *tail = strstr(de->d_name, ".ntfs-p");
		if (strncmp(de->d_name, ".imgbuild-", 10) != 0 || !tail)
			continue;
		const char *dot = tail;
		while (dot > de->d_name && dot[-1] != '.')
			dot--;
		long pid = strtol(dot, NULL, 10);
		struct stat st;
		if (pid <= 0 || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != geteuid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}
