// SPDX-License-Identifier: GPL-2.0-or-later
/* NTFS: mkntfs at an offset inside a sparse "disk" (boot sector fields read
 * back byte by byte, the bytes around the partition untouched), then a tree
 * written through libntfs-3g at that offset and checked with an independent
 * reader: the kernel's loop device plus an ntfs-3g FUSE mount, comparing
 * contents byte for byte and all times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/fs.h"
#include "recipe/recipe.h"
#include "core/size.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "core/util.h"
#include "vol/vol.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/tmpdir.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define DISK (64 * MiB)
#define PART_OFF (1 * MiB)
#define PART_SIZE (40 * MiB)
#define SENTINEL (64 * KiB)
#define NTFS_EPOCH_DELTA 11644473600ull /* 1601-01-01 to 1970-01-01, seconds */

struct fixture {
	char dir[64];
	char *disk, *work, *src, *mnt;
	char *loopdev;
	bool mounted;
};

static int setup(void **state)
{
	struct fixture *f = ib_xcalloc(1, sizeof(*f));
	if (!ut_tmpdir_into(f->dir, sizeof(f->dir), "ntfs")) {
		free(f);
		return -1;
	}
	f->disk = ib_path_join(f->dir, "disk.img");
	f->work = ib_path_join(f->dir, "work");
	f->src = ib_path_join(f->dir, "src");
	f->mnt = ib_path_join(f->dir, "mnt");
	if (mkdir(f->work, 0700) < 0 || mkdir(f->src, 0700) < 0 || mkdir(f->mnt, 0700) < 0)
		return -1;
	*state = f;
	return 0;
}

/* Unmount and detach on every path, the failing ones included. */
static void unmount_all(struct fixture *f) { ut_unmount_detach(f->mnt, &f->mounted, &f->loopdev); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	unmount_all(f);
	if (!f->mounted)
		ib_rm_rf(f->dir);
	free(f->disk);
	free(f->work);
	free(f->src);
	free(f->mnt);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void write_bytes(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ib_pwrite_all(fd, data, n, 0), 0);
	close(fd);
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	struct stat st;
	if (stat(path, &st) < 0)
		fail_msg("cannot stat %s: %s", path, strerror(errno));
	*len = (size_t)st.st_size;
	uint8_t *buf = ib_xmalloc(*len + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_pread_all(fd, buf, *len, 0), 0);
	close(fd);
	return buf;
}

static void pseudo_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* A sparse disk with sentinel patterns right before and after the partition. */
static void make_disk(const struct fixture *f, uint64_t off, uint64_t size)
{
	int fd = ut_sparse_disk(f->disk, DISK);
	uint8_t *buf = ib_xmalloc(SENTINEL);
	memset(buf, 0xA5, SENTINEL);
	assert_int_equal(ib_pwrite_all(fd, buf, SENTINEL, off - SENTINEL), 0);
	memset(buf, 0x5A, SENTINEL);
	assert_int_equal(ib_pwrite_all(fd, buf, SENTINEL, off + size), 0);
	free(buf);
	close(fd);
}

/* Everything outside [off, off + size) is exactly what make_disk wrote. */
static void check_outside(const struct fixture *f, uint64_t off, uint64_t size)
{
	size_t len;
	uint8_t *d = read_whole(f->disk, &len);
	assert_int_equal(len, DISK);
	for (uint64_t i = 0; i < off; i++) {
		uint8_t want = i >= off - SENTINEL ? 0xA5 : 0;
		if (d[i] != want)
			fail_msg("byte %" PRIu64 " before the partition changed: %#x", i, d[i]);
	}
	for (uint64_t i = off + size; i < DISK; i++) {
		uint8_t want = i < off + size + SENTINEL ? 0x5A : 0;
		if (d[i] != want)
			fail_msg("byte %" PRIu64 " after the partition changed: %#x", i, d[i]);
	}
	free(d);
}

static void assert_work_dir_empty(const struct fixture *f)
{
	DIR *dir = opendir(f->work);
	assert_non_null(dir);
	for (struct dirent *e; (e = readdir(dir));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fail_msg("left behind in the work dir: %s", e->d_name);
	closedir(dir);
}

static void assert_undo_empty(const struct ib_undo *u)
{
	for (size_t i = 0; i < u->n; i++)
		assert_false(u->v[i].active);
}

static void do_mkfs(const struct fixture *f, uint64_t off, uint64_t size, uint32_t ss, uint64_t cs, const char *label)
{
	struct ib_undo undo = {0};
	struct ib_error err = {0};
	struct ib_mkfs_args a = {
		.image = f->disk, .work_dir = f->work, .offset = off, .size = size,
		.sector_size = ss, .cluster_size = cs, .label = label, .undo = &undo,
	};
	int r = ib_ntfs_mkfs(&a, &err);
	if (r < 0)
		fail_msg("mkfs: %s", err.msg);
	assert_undo_empty(&undo);
	ib_undo_clear(&undo);
	assert_work_dir_empty(f);
}

/* The boot sector as mkntfs wrote it, and its backup in the partition's
 * last sector (proof that the copy reached the far end of the partition). */
static void check_boot_sector(const struct fixture *f, uint64_t off, uint64_t size, uint32_t ss, uint64_t cs)
{
	int fd = open(f->disk, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	uint8_t bs[4096], backup[4096];
	assert_int_equal(ib_pread_all(fd, bs, ss, off), 0);
	assert_int_equal(ib_pread_all(fd, backup, ss, off + size - ss), 0);
	close(fd);

	assert_memory_equal(bs + 3, "NTFS    ", 8);
	assert_int_equal(ib_get_le16(bs + 0x0B), ss);
	uint8_t spc = bs[0x0D];
	uint64_t cluster = spc <= 0x80 ? (uint64_t)spc * ss : 1ull << (256 - spc); /* > 128: 2^-n bytes */
	assert_int_equal(cluster, cs);
	assert_int_equal(ib_get_le16(bs + 0x18), 63);  /* sectors per track */
	assert_int_equal(ib_get_le16(bs + 0x1A), 255); /* heads */
	assert_int_equal(ib_get_le32(bs + 0x1C), off / ss); /* hidden sectors */
	assert_int_equal(ib_get_le64(bs + 0x28), size / ss - 1); /* one sector for the backup */
	assert_int_equal(bs[510], 0x55);
	assert_int_equal(bs[511], 0xAA);
	assert_memory_equal(bs, backup, ss);
}

/* ---- the tree ---- */

struct entry {
	const char *path; /* inside the volume */
	size_t size;      /* files only */
	bool dir;
	int64_t sec;      /* mtime */
	long nsec;        /* a multiple of 100: NTFS keeps 100 ns */
	uint8_t fill;     /* 0: pseudorandom */
};

static const struct entry tree[] = {
	{"/Setup", 0, true, 1600000000, 100, 0},
	{"/Setup/drivers/amd64", 0, true, 1600000100, 0, 0},
	{"/Empty", 0, true, 1500000000, 123456700, 0},
	{"/日本語", 0, true, 1650000000, 0, 0},
	{"/Setup/big.bin", 3 * MiB + 17, false, 1700000000, 999999900, 0},
	{"/Setup/zero.bin", 0, false, 1700000001, 0, 0},
	{"/Setup/héllo wörld ✓.txt", 1000, false, 1700000002, 500, 'h'},
	{"/日本語/ファイル名.txt", 4096, false, 1700000003, 0, 'j'},
	{"/Setup/drivers/amd64/viostor.inf", 700, false, 1400000000, 0, 'i'},
	{"/Setup/replace.txt", 10, false, 1700000004, 0, 'r'}, /* first 300 KiB, then 10 bytes */
	{"/top.txt", 5, false, 946684800, 0, 't'},
};

static char *src_of(const struct fixture *f, size_t i)
{
	char name[32];
	snprintf(name, sizeof(name), "f%zu", i);
	return ib_path_join(f->src, name);
}

static void make_sources(const struct fixture *f)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(tree); i++) {
		if (tree[i].dir)
			continue;
		uint8_t *buf = ib_xmalloc(tree[i].size + 1);
		if (tree[i].fill)
			memset(buf, tree[i].fill, tree[i].size);
		else
			pseudo_random(buf, tree[i].size, 0x1234567 + i);
		char *p = src_of(f, i);
		write_bytes(p, buf, tree[i].size);
		free(p);
		free(buf);
	}
}

static struct timespec ts_of(const struct entry *e) { return (struct timespec){e->sec, e->nsec}; }

static void put(const struct ib_vol_ops *ops, struct ib_vol *v, const char *path, const char *src, uint64_t size,
		const struct timespec *ts)
{
	struct ib_error err = {0};
	if (ops->put_file(v, path, src, size, ts, &err) < 0)
		fail_msg("put_file %s: %s", path, err.msg);
}

static void write_tree(const struct fixture *f, uint64_t off, uint64_t size, uint32_t ss)
{
	const struct ib_vol_ops *ops = &ib_vol_ntfs3g_ops;
	struct ib_vol_target t = {.image = f->disk, .offset = off, .size = size, .sector_size = ss, .work_dir = f->work};
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	if (ops->open(&v, &t, &err) < 0)
		fail_msg("open: %s", err.msg);
	make_sources(f);

	/* The file to be replaced starts out larger than its final contents. */
	size_t ri = 9;
	assert_string_equal(tree[ri].path, "/Setup/replace.txt");
	char *big = ib_path_join(f->src, "replace-first");
	uint8_t *tmp = ib_xmalloc(300 * KiB);
	pseudo_random(tmp, 300 * KiB, 99);
	write_bytes(big, tmp, 300 * KiB);
	free(tmp);

	for (size_t i = 0; i < IB_ARRAY_SIZE(tree); i++) {
		struct timespec ts = ts_of(&tree[i]);
		if (tree[i].dir) {
			if (ops->mkdir(v, tree[i].path, &ts, &err) < 0)
				fail_msg("mkdir %s: %s", tree[i].path, err.msg);
			continue;
		}
		if (i == ri) {
			struct timespec old = {1000000000, 0};
			put(ops, v, tree[i].path, big, 300 * KiB, &old);
		}
		char *src = src_of(f, i);
		put(ops, v, tree[i].path, src, tree[i].size, &ts);
		free(src);
	}
	/* mkdir -p of existing directories is fine and keeps the given time. */
	struct timespec setup_ts = ts_of(&tree[0]);
	if (ops->mkdir(v, "/Setup", &setup_ts, &err) < 0)
		fail_msg("mkdir again: %s", err.msg);
	if (ops->close(v, &err) < 0)
		fail_msg("close: %s", err.msg);
	free(big);
}

/* ---- the independent check: loop device + ntfs-3g ---- */

static bool mount_ro(struct fixture *f, uint64_t off, uint64_t size)
{
	if (!ut_ntfs3g_usable("the ntfs-3g mount check"))
		return false;
	f->loopdev = ut_loop_attach_range(f->disk, off, size, "the ntfs-3g mount check is not run");
	if (!f->loopdev)
		return false;
	struct ib_error err = {0};

	/* ntfsfix -n: $MFT against $MFTMirr and the backup boot sector, read only. */
	char *fix = ib_which("ntfsfix");
	if (fix) {
		const char *chk[] = {"ntfsfix", "-n", f->loopdev, NULL};
		if (ib_spawn(chk, NULL, NULL, &err) < 0) {
			free(fix);
			unmount_all(f);
			fail_msg("ntfsfix -n finds fault with the volume: %s", err.msg);
		}
	} else {
		printf("SKIP: ntfsfix is not installed; the $MFTMirr check is not run\n");
	}
	free(fix);

	const char *mnt[] = {"ntfs-3g", "-o", "ro", f->loopdev, f->mnt, NULL};
	if (ib_spawn(mnt, NULL, NULL, &err) < 0) {
		unmount_all(f);
		fail_msg("ntfs-3g refuses the volume: %s", err.msg);
	}
	f->mounted = true;
	return true;
}

static uint64_t ntfs_time_of(const struct timespec *ts)
{
	return ((uint64_t)ts->tv_sec + NTFS_EPOCH_DELTA) * 10000000u + (uint64_t)ts->tv_nsec / 100;
}

static void check_entry(const struct fixture *f, size_t i)
{
	const struct entry *e = &tree[i];
	char *p = ib_path_join(f->mnt, e->path + 1);
	struct stat st;
	if (stat(p, &st) < 0)
		fail_msg("%s is missing on the mounted volume: %s", e->path, strerror(errno));
	assert_int_equal(S_ISDIR(st.st_mode), e->dir);
	if (st.st_mtim.tv_sec != e->sec || st.st_mtim.tv_nsec != e->nsec)
		fail_msg("%s: mtime %lld.%09ld, expected %lld.%09ld", e->path, (long long)st.st_mtim.tv_sec,
			 st.st_mtim.tv_nsec, (long long)e->sec, e->nsec);
	assert_int_equal(st.st_atim.tv_sec, e->sec);
	assert_int_equal(st.st_ctim.tv_sec, e->sec);
	/* Creation, data change, access, MFT change: all four, as NTFS stores them. */
	uint64_t times[4];
	ssize_t n = getxattr(p, "system.ntfs_times", times, sizeof(times));
	if (n == (ssize_t)sizeof(times)) {
		struct timespec ts = ts_of(e);
		for (int k = 0; k < 4; k++)
			assert_int_equal(times[k], ntfs_time_of(&ts));
	} else {
		printf("SKIP: system.ntfs_times is not readable (%s); creation time not checked\n", strerror(errno));
	}
	if (!e->dir) {
		size_t got_len;
		uint8_t *got = read_whole(p, &got_len);
		char *sp = src_of(f, i);
		size_t want_len;
		uint8_t *want = read_whole(sp, &want_len);
		assert_int_equal(got_len, want_len);
		assert_int_equal(got_len, e->size);
		assert_memory_equal(got, want, want_len);
		free(got);
		free(want);
		free(sp);
	}
	free(p);
}

static void check_tree_mounted(struct fixture *f, uint64_t off, uint64_t size)
{
	if (!mount_ro(f, off, size))
		return;
	for (size_t i = 0; i < IB_ARRAY_SIZE(tree); i++)
		check_entry(f, i);

	char *empty = ib_path_join(f->mnt, "Empty");
	DIR *d = opendir(empty);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			fail_msg("/Empty is not empty: %s", e->d_name);
	closedir(d);
	free(empty);

	/* The directory index lists each name once and spelled as given. */
	char *jp = ib_path_join(f->mnt, "日本語");
	d = opendir(jp);
	assert_non_null(d);
	int count = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			assert_string_equal(e->d_name, "ファイル名.txt");
			count++;
		}
	assert_int_equal(count, 1);
	closedir(d);
	free(jp);

	unmount_all(f);
	assert_false(f->mounted);
}

/* ---- tests ---- */

static void test_argv(void **state)
{
	(void)state;
	struct ib_mkfs_args a = {.offset = PART_OFF, .size = PART_SIZE, .sector_size = 512, .cluster_size = 4096,
				 .label = "Test"};
	char **argv = ib_ntfs_mkfs_argv(&a, "/w/ntfs.tmp");
	const char *want[] = {"mkntfs", "-Q", "-F", "-q", "-s", "512", "-c", "4096", "-p", "2048", "-H", "255",
			      "-S", "63", "-L", "Test", "/w/ntfs.tmp", "81920", NULL};
	for (size_t i = 0; i < IB_ARRAY_SIZE(want); i++)
		assert_string_equal(argv[i] ? argv[i] : "(null)", want[i] ? want[i] : "(null)");
	ib_argv_free(argv);

	/* No label, 4 KiB sectors; a start past 2^32 sectors gets hidden sectors 0. */
	struct ib_mkfs_args b = {.offset = (1ull << 32) * 4096, .size = 8 * MiB, .sector_size = 4096,
				 .cluster_size = 65536};
	argv = ib_ntfs_mkfs_argv(&b, "t");
	const char *want2[] = {"mkntfs", "-Q", "-F", "-q", "-s", "4096", "-c", "65536", "-p", "0", "-H", "255",
			       "-S", "63", "t", "2048", NULL};
	for (size_t i = 0; i < IB_ARRAY_SIZE(want2); i++)
		assert_string_equal(argv[i] ? argv[i] : "(null)", want2[i] ? want2[i] : "(null)");
	ib_argv_free(argv);
	ib_argv_free(NULL);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ib_ntfs_default_cluster(40 * MiB, 512), 4096);
	assert_int_equal(ib_ntfs_default_cluster(40 * MiB, 4096), 4096);
	assert_int_equal(ib_ntfs_default_cluster(16ull << 40, 512), 4096);           /* exactly 2^32 clusters - 1 sector */
	assert_int_equal(ib_ntfs_default_cluster((16ull << 40) + MiB, 512), 8192);   /* one cluster too many */
	assert_int_equal(ib_ntfs_default_cluster(300ull << 40, 512), 128 * KiB);

	/* The minimum sizes are accepted by mkntfs itself. */
	static const struct { uint64_t cs; uint32_t ss; } combos[] = {{4096, 512}, {65536, 4096}, {512, 512}};
	for (size_t i = 0; i < IB_ARRAY_SIZE(combos); i++) {
		uint64_t min = ib_fs_min_size(IB_FS_NTFS, combos[i].cs, combos[i].ss);
		min = ib_align_up(min, combos[i].ss);
		make_disk(f, PART_OFF, min);
		do_mkfs(f, PART_OFF, min, combos[i].ss, combos[i].cs, NULL);
		check_boot_sector(f, PART_OFF, min, combos[i].ss, combos[i].cs);
	}
	assert_int_equal(ib_fs_min_size(IB_FS_NTFS, 2 * MiB, 512), 400 * MiB + 512);
	assert_true(ib_fs_min_size(IB_FS_FAT32, 4096, 512) > 65525 * 4096ull);
	assert_true(ib_fs_min_size(IB_FS_FAT16, 2048, 512) > 4085 * 2048ull);
	assert_int_equal(ib_fs_min_size(IB_FS_NONE, 4096, 512), 0);
}

/* ib_fs_min_size is also the FAT minimum: mkfs.fat takes it without its
 * "less than suggested minimum" warning (which mtools then refuses). */
static void test_fat_min_size(void **state)
{
	struct fixture *f = *state;
	char *w = ib_which("mkfs.fat");
	free(w);
	if (!w) {
		printf("SKIP: mkfs.fat is not installed; the FAT minimum is not checked\n");
		return;
	}
	static const struct { int type, bits; uint64_t cs; uint32_t ss; } c[] = {
		{IB_FS_FAT16, 16, 2048, 512}, {IB_FS_FAT16, 16, 4096, 4096}, {IB_FS_FAT32, 32, 512, 512},
		{IB_FS_FAT32, 32, 4096, 512}, {IB_FS_FAT32, 32, 4096, 4096},
	};
	char *img = ib_path_join(f->dir, "fat.img");
	for (size_t i = 0; i < IB_ARRAY_SIZE(c); i++) {
		uint64_t min = ib_align_up(ib_fs_min_size(c[i].type, c[i].cs, c[i].ss), c[i].ss);
		int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, (off_t)min), 0);
		close(fd);
		char bits[8], ss[16], spc[16];
		snprintf(bits, sizeof(bits), "%d", c[i].bits);
		snprintf(ss, sizeof(ss), "%" PRIu32, c[i].ss);
		snprintf(spc, sizeof(spc), "%" PRIu64, c[i].cs / c[i].ss);
		const char *argv[] = {"mkfs.fat", "-F", bits, "-S", ss, "-s", spc, img, NULL};
		struct ib_spawn_result res = {0};
		struct ib_error err = {0};
		if (ib_spawn(argv, NULL, &res, &err) < 0)
			fail_msg("mkfs.fat at the minimum size %" PRIu64 ": %s", min, err.msg);
		if (res.err && strstr(res.err, "WARNING"))
			fail_msg("mkfs.fat -F %d, %" PRIu64 "-byte clusters, %" PRIu64 " bytes: %s", c[i].bits, c[i].cs,
				 min, res.err);
		ib_spawn_result_free(&res);
	}
	free(img);
}

static void mkfs_write_verify(struct fixture *f, uint32_t ss, uint64_t cs, const char *label)
{
	make_disk(f, PART_OFF, PART_SIZE);
	do_mkfs(f, PART_OFF, PART_SIZE, ss, cs, label);
	check_boot_sector(f, PART_OFF, PART_SIZE, ss, cs);
	check_outside(f, PART_OFF, PART_SIZE);

	write_tree(f, PART_OFF, PART_SIZE, ss);
	check_outside(f, PART_OFF, PART_SIZE);
	check_tree_mounted(f, PART_OFF, PART_SIZE);
}

static void test_sector512_cluster4k(void **state) { mkfs_write_verify(*state, 512, 4096, "Test"); }

static void test_sector4k_cluster64k(void **state) { mkfs_write_verify(*state, 4096, 65536, NULL); }

/* A filesystem too small for mkntfs: the error says so, and the temp file
 * is gone and off the undo stack. */
static void test_mkfs_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	make_disk(f, PART_OFF, 512 * KiB);
	struct ib_undo undo = {0};
	struct ib_error err = {0};
	struct ib_mkfs_args a = {.image = f->disk, .work_dir = f->work, .offset = PART_OFF, .size = 512 * KiB,
				 .sector_size = 512, .cluster_size = 4096, .undo = &undo};
	assert_int_equal(ib_ntfs_mkfs(&a, &err), -1);
	assert_non_null(err.msg);
	assert_non_null(strstr(err.msg, "mkntfs"));
	ib_error_clear(&err);
	assert_undo_empty(&undo);
	ib_undo_clear(&undo);
	assert_work_dir_empty(f);
	check_outside(f, PART_OFF, 512 * KiB);
}

static void expect_put_error(struct ib_vol *v, const char *path, const char *src, uint64_t size, const char *want)
{
	struct ib_error err = {0};
	struct timespec ts = {1700000000, 0};
	assert_int_equal(ib_vol_ntfs3g_ops.put_file(v, path, src, size, &ts, &err), -1);
	assert_non_null(err.msg);
	if (!strstr(err.msg, want))
		fail_msg("error for %s is \"%s\", expected it to contain \"%s\"", path, err.msg, want);
	ib_error_clear(&err);
}

/* Errors name the path inside the volume and the cause; a full volume fails
 * with ENOSPC without a byte written outside the partition, and the volume
 * still mounts afterwards. */
static void test_errors(void **state)
{
	struct fixture *f = *state;
	uint64_t size = 8 * MiB;
	make_disk(f, PART_OFF, size);
	do_mkfs(f, PART_OFF, size, 512, 4096, "Small");

	char *src = ib_path_join(f->src, "data");
	write_bytes(src, "hello", 5);
	char *huge = ib_path_join(f->src, "huge");
	int fd = open(huge, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	uint8_t *buf = ib_xmalloc(12 * MiB);
	pseudo_random(buf, 12 * MiB, 7);
	assert_int_equal(ib_pwrite_all(fd, buf, 12 * MiB, 0), 0);
	free(buf);
	close(fd);

	struct ib_vol_target t = {.image = f->disk, .offset = PART_OFF, .size = size, .sector_size = 512,
				  .work_dir = f->work};
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	if (ib_vol_ntfs3g_ops.open(&v, &t, &err) < 0)
		fail_msg("open: %s", err.msg);
	struct timespec ts = {1700000000, 0};
	assert_int_equal(ib_vol_ntfs3g_ops.mkdir(v, "/Dir", &ts, &err), 0);
	assert_int_equal(ib_vol_ntfs3g_ops.put_file(v, "/Dir/ok.txt", src, 5, &ts, &err), 0);

	expect_put_error(v, "/Nope/a.txt", src, 5, "ntfs: cannot create /Nope/a.txt");
	expect_put_error(v, "/Nope/a.txt", src, 5, "No such file or directory");
	expect_put_error(v, "/Dir/a:b.txt", src, 5, "which Windows refuses in names");
	expect_put_error(v, "/Dir/CON", src, 5, "it is a DOS device name");
	/* The metadata files are never written, whatever the case. */
	expect_put_error(v, "/$Bitmap", src, 5, "$Bitmap is an NTFS metadata file");
	expect_put_error(v, "/$upcase", src, 5, "$UpCase is an NTFS metadata file");
	expect_put_error(v, "/$Extend/$Quota", src, 5, "$Extend is an NTFS metadata file");
	expect_put_error(v, "/Dir", src, 5, "Is a directory");
	expect_put_error(v, "/Dir/ok.txt/under-a-file", src, 5, "Not a directory");
	expect_put_error(v, "/Dir/missing-src", "/nonexistent/source", 5, "/nonexistent/source");
	expect_put_error(v, "/Dir/short.txt", src, 6, "changed while being copied");
	expect_put_error(v, "/Dir/huge.bin", huge, 12 * MiB, "ntfs: cannot write /Dir/huge.bin: No space left on device");

	assert_int_equal(ib_vol_ntfs3g_ops.mkdir(v, "/Dir/ok.txt/sub", &ts, &err), -1);
	assert_non_null(strstr(err.msg, "Not a directory"));
	ib_error_clear(&err);

	if (ib_vol_ntfs3g_ops.close(v, &err) < 0)
		fail_msg("close: %s", err.msg);
	check_outside(f, PART_OFF, size);

	/* Opening something that is not NTFS is a clear error. */
	struct ib_vol_target bad = t;
	bad.offset = 0;
	assert_int_equal(ib_vol_ntfs3g_ops.open(&v, &bad, &err), -1);
	assert_null(v);
	assert_non_null(strstr(err.msg, "not an NTFS filesystem"));
	ib_error_clear(&err);
	assert_int_equal(ib_vol_ntfs3g_ops.close(NULL, &err), 0);

	if (mount_ro(f, PART_OFF, size)) {
		char *p = ib_path_join(f->mnt, "Dir/ok.txt");
		size_t n;
		uint8_t *got = read_whole(p, &n);
		assert_int_equal(n, 5);
		assert_memory_equal(got, "hello", 5);
		free(got);
		free(p);
		unmount_all(f);
	}
	free(src);
	free(huge);
}

/* Extents are copied, holes stay holes, and the destination range is
 * cleared where the source has holes. */
static void test_copy_extents(void **state)
{
	struct fixture *f = *state;
	char *s = ib_path_join(f->dir, "sparse.src");
	char *d = ib_path_join(f->dir, "sparse.dst");
	int sfd = open(s, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int dfd = open(d, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(sfd >= 0 && dfd >= 0);
	assert_int_equal(ftruncate(sfd, (off_t)(8 * MiB)), 0);
	uint8_t *a = ib_xmalloc(3 * MiB);
	pseudo_random(a, 3 * MiB, 5);
	assert_int_equal(ib_pwrite_all(sfd, a, 3 * MiB, 1 * MiB), 0); /* spans several 1 MiB chunks */
	assert_int_equal(ib_pwrite_all(sfd, "end", 3, 8 * MiB - 3), 0);
	/* The destination holds old bytes everywhere, which must not survive. */
	uint8_t *junk = ib_xmalloc(10 * MiB);
	memset(junk, 0xEE, 10 * MiB);
	assert_int_equal(ib_pwrite_all(dfd, junk, 10 * MiB, 0), 0);

	struct ib_error err = {0};
	if (ib_copy_extents(sfd, dfd, 1 * MiB, &err) < 0)
		fail_msg("copy: %s", err.msg);

	size_t n;
	uint8_t *got = read_whole(d, &n);
	assert_int_equal(n, 10 * MiB);
	for (size_t i = 0; i < 1 * MiB; i++)
		assert_int_equal(got[i], 0xEE); /* before dst_off: untouched */
	for (size_t i = 1 * MiB; i < 2 * MiB; i++)
		assert_int_equal(got[i], 0);
	assert_memory_equal(got + 2 * MiB, a, 3 * MiB);
	for (size_t i = 5 * MiB; i < 9 * MiB - 3; i++)
		if (got[i])
			fail_msg("byte %zu of a hole was not cleared", i);
	assert_memory_equal(got + 9 * MiB - 3, "end", 3);
	for (size_t i = 9 * MiB; i < 10 * MiB; i++)
		assert_int_equal(got[i], 0xEE); /* after the copied range: untouched */

	struct stat st;
	assert_int_equal(fstat(dfd, &st), 0);
	assert_true((uint64_t)st.st_blocks * 512 < 7 * MiB); /* the holes are holes */

	free(got);
	free(junk);
	free(a);
	close(sfd);
	close(dfd);
	free(s);
	free(d);
}

/* After SIGINT the long loops stop with "interrupted". The flag cannot be
 * reset, so this runs in a child process. */
static int interrupted_child(const struct fixture *f)
{
	ib_signals_install();
	raise(SIGINT);
	if (ib_interrupted() != SIGINT)
		return 10;

	char *src = ib_path_join(f->src, "data");
	write_bytes(src, "hello", 5);
	int sfd = open(src, O_RDONLY | O_CLOEXEC);
	int dfd = open(f->disk, O_RDWR | O_CLOEXEC);
	struct ib_error err = {0};
	int rc = 0;
	if (ib_copy_extents(sfd, dfd, 0, &err) != -1 || !strstr(err.msg, "interrupted") || err.exit_code != 130)
		rc = 11;
	ib_error_clear(&err);
	close(sfd);
	close(dfd);

	struct ib_vol_target t = {.image = f->disk, .offset = PART_OFF, .size = 8 * MiB, .sector_size = 512};
	struct ib_vol *v = NULL;
	struct timespec ts = {1700000000, 0};
	if (!rc && ib_vol_ntfs3g_ops.open(&v, &t, &err) < 0)
		rc = 12;
	if (!rc && (ib_vol_ntfs3g_ops.put_file(v, "/x.bin", src, 5, &ts, &err) != -1 ||
		    !strstr(err.msg, "ntfs: writing /x.bin: interrupted by SIGINT") || err.exit_code != 130))
		rc = 13;
	ib_error_clear(&err);
	if (ib_vol_ntfs3g_ops.close(v, &err) < 0 && !rc)
		rc = 14;
	ib_error_clear(&err);
	free(src);
	return rc;
}

static void test_interrupted(void **state)
{
	struct fixture *f = *state;
	make_disk(f, PART_OFF, 8 * MiB);
	do_mkfs(f, PART_OFF, 8 * MiB, 512, 4096, NULL);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(interrupted_child(f));
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_argv),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat_min_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_extents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkfs_fails_cleanly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sector512_cluster4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sector4k_cluster64k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
