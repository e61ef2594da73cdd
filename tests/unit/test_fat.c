// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT: mkfs.fat at an offset inside a sparse image, checked with fsck.fat
 * and by reading the boot sector; the mtools volume backend, checked by
 * reading the files back with mcopy and comparing bytes and times; and that
 * nothing outside the partitions changes. 512- and 4096-byte sectors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs.h"
#include "core/spawn.h"
#include "plan/srctree.h"
#include "core/util.h"
#include "vol/vol.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/tmpdir.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

struct fixture {
	char dir[64];
	char *image;
};

static const char *const MTOOLS_ENV[] = {"MTOOLSRC=/dev/null", "LC_ALL=C.UTF-8", "TZ=UTC0", NULL};

static bool have_tools(void)
{
	const char *tools[] = {"mkfs.fat", "fsck.fat", "mcopy", "mmd", "mdir"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(tools); i++) {
		char *p = ib_which(tools[i]);
		if (!p) {
			print_message("SKIP: %s is not installed (Debian packages dosfstools, mtools)\n", tools[i]);
			return false;
		}
		free(p);
	}
	return true;
}

static int setup(void **state)
{
	struct fixture *f = ib_xcalloc(1, sizeof(*f));
	if (!ut_tmpdir_into(f->dir, sizeof(f->dir), "fat")) {
		free(f);
		return -1;
	}
	f->image = ib_path_join(f->dir, "disk.img");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ib_rm_rf(f->dir);
	free(f->image);
	free(f);
	return 0;
}

/* ---- helpers ---- */

static void make_image(const char *path, uint64_t size) { close(ut_sparse_disk(path, size)); }

static uint64_t file_size(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* 4 KiB sentinels ending at `before` and starting at `after` (each a
 * partition edge): anything writing outside a partition breaks them. */
static void sentinel_fill(uint8_t *buf, uint64_t off)
{
	for (size_t i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(0xA5 ^ (off >> 12) ^ i);
}

static void sentinel_write(const char *image, uint64_t off)
{
	uint8_t buf[4096];
	sentinel_fill(buf, off);
	int fd = open(image, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_pwrite_all(fd, buf, sizeof buf, off), 0);
	close(fd);
}

static void sentinel_check(const char *image, uint64_t off)
{
	uint8_t want[4096], got[4096];
	sentinel_fill(want, off);
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_pread_all(fd, got, sizeof got, off), 0);
	close(fd);
	if (memcmp(want, got, sizeof want))
		fail_msg("sentinel at %" PRIu64 " was overwritten", off);
}

static void read_at(const char *image, uint64_t off, void *buf, size_t n)
{
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ib_pread_all(fd, buf, n, off), 0);
	close(fd);
}

/* fsck.fat takes no offset: copy the partition out (sparsely) and check it. */
static void fsck_partition(struct fixture *f, uint64_t off, uint64_t size)
{
	char *part = ib_path_join(f->dir, "part.img");
	int in = open(f->image, O_RDONLY | O_CLOEXEC);
	int out = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(in >= 0 && out >= 0);
	assert_int_equal(ftruncate(out, (off_t)size), 0);
	static uint8_t buf[1 << 20], zero[1 << 20];
	for (uint64_t pos = 0; pos < size; pos += sizeof buf) {
		size_t n = size - pos < sizeof buf ? (size_t)(size - pos) : sizeof buf;
		assert_int_equal(ib_pread_all(in, buf, n, off + pos), 0);
		if (memcmp(buf, zero, n))
			assert_int_equal(ib_pwrite_all(out, buf, n, pos), 0);
	}
	close(in);
	close(out);
	const char *argv[] = {"fsck.fat", "-n", part, NULL};
	struct ib_spawn_result res = {0};
	struct ib_error err = {0};
	struct ib_spawn_opts opts = {.capture_stdout = true, .stdin_fd = -1};
	int r = ib_spawn(argv, &opts, &res, &err);
	if (r < 0)
		fail_msg("fsck.fat -n failed: %s\n%s", err.msg, res.out ? res.out : "");
	ib_spawn_result_free(&res);
	unlink(part);
	free(part);
}

static char *target_of(const char *image, uint64_t off)
{
	return ib_xasprintf("%s@@%" PRIu64, image, off);
}

static int run_mtools(const char *const *argv, char **out)
{
	struct ib_spawn_opts opts = {.env = MTOOLS_ENV, .capture_stdout = out != NULL, .stdin_fd = -1};
	struct ib_spawn_result res = {0};
	struct ib_error err = {0};
	int r = ib_spawn(argv, &opts, &res, &err);
	if (r < 0)
		print_error("%s\n", err.msg);
	if (out)
		*out = TAKE_PTR(res.out);
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
	return r;
}

static void mkfs(struct fixture *f, uint64_t off, uint64_t size, uint32_t ss, int bits, uint32_t serial,
		 const char *label)
{
	struct ib_mkfs_args a = {
		.image = f->image,
		.work_dir = f->dir,
		.offset = off,
		.size = size,
		.sector_size = ss,
		.cluster_size = ib_fat_default_cluster(size, ss, bits),
		.label = label,
		.fat_bits = bits,
		.serial = serial,
	};
	struct ib_error err = {0};
	uint64_t before = file_size(f->image);
	if (ib_fat_mkfs(&a, &err) < 0)
		fail_msg("ib_fat_mkfs: %s", err.msg);
	assert_int_equal(file_size(f->image), before);
}

static void write_file(const char *path, const void *data, size_t n, time_t mtime)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ib_pwrite_all(fd, data, n, 0), 0);
	close(fd);
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void mkdir_in(const char *dir, const char *rel)
{
	char *p = ib_path_join(dir, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static void write_in(const char *dir, const char *rel, const char *data, time_t mtime)
{
	char *p = ib_path_join(dir, rel);
	write_file(p, data, strlen(data), mtime);
	free(p);
}

static char *slurp(const char *path, size_t *n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	char *buf = ib_xmalloc((size_t)st.st_size + 1);
	if (st.st_size)
		assert_int_equal(ib_pread_all(fd, buf, (size_t)st.st_size, 0), 0);
	close(fd);
	*n = (size_t)st.st_size;
	return buf;
}

/* A source tree with what FAT must carry: nesting, an empty directory,
 * UTF-8 and long names, a bigger binary file and enough files in one
 * directory to need several mcopy batches. Mtimes are even (FAT keeps
 * 2-second steps). */
static char *make_source(struct fixture *f)
{
	char *src = ib_path_join(f->dir, "src");
	assert_int_equal(mkdir(src, 0755), 0);
	mkdir_in(src, "EFI");
	mkdir_in(src, "EFI/BOOT");
	mkdir_in(src, "EFI/empty");
	mkdir_in(src, "many");
	mkdir_in(src, "a");
	mkdir_in(src, "a/b");
	mkdir_in(src, "a/b/c");
	char *big = ib_path_join(src, "EFI/BOOT/BOOTX64.EFI");
	size_t nbig = 300 * 1024 + 17;
	uint8_t *data = ib_xmalloc(nbig);
	for (size_t i = 0; i < nbig; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	write_file(big, data, nbig, 1600000000);
	free(data);
	free(big);
	write_in(src, "EFI/BOOT/grub.cfg", "set timeout=0\n", 1600000002);
	write_in(src, "h\xc3\xa9llo \xe2\x9c\x93.txt", "unicode\n", 1600000004);
	char longname[220];
	memset(longname, 'L', 200);
	strcpy(longname + 200, " long name.txt");
	write_in(src, longname, "long\n", 1600000006);
	write_in(src, "a/b/c/deep.txt", "deep\n", 1600000008);
	write_in(src, "a/top.txt", "top\n", 1600000010);
	write_in(src, "empty-file", "", 1600000012);
	for (int i = 0; i < 600; i++) {
		char name[32], body[32];
		snprintf(name, sizeof name, "many/f%03d.txt", i);
		snprintf(body, sizeof body, "file %d\n", i);
		write_in(src, name, body, 1600000000 + 2 * (i % 7));
	}
	return src;
}

/* Every entry of the trees is in out (extracted with mcopy -s -m): same
 * kind, same bytes, and files carry `want_mtime` (or their source's mtime
 * when it is 0). */
static void compare_trees(const char *out, const struct ib_srctree *trees, size_t ntrees, time_t want_mtime,
			  time_t want_dir_mtime)
{
	for (size_t t = 0; t < ntrees; t++) {
		for (size_t i = 0; i < trees[t].n; i++) {
			const struct ib_src_entry *e = &trees[t].v[i];
			char *p = ib_xasprintf("%s%s", out, e->dst);
			struct stat st;
			if (stat(p, &st) < 0)
				fail_msg("'%s' did not come back from the volume", e->dst);
			if (e->kind == IB_SRC_DIR) {
				assert_true(S_ISDIR(st.st_mode));
				if (want_dir_mtime && strcmp(e->dst, "/") && st.st_mtime != want_dir_mtime)
					fail_msg("directory '%s' has mtime %lld, want %lld", e->dst,
						 (long long)st.st_mtime, (long long)want_dir_mtime);
			} else {
				assert_true(S_ISREG(st.st_mode));
				size_t na, nb;
				char *a = slurp(e->src, &na), *b = slurp(p, &nb);
				if (na != nb || memcmp(a, b, na))
					fail_msg("'%s' differs from its source", e->dst);
				free(a);
				free(b);
				time_t want = want_mtime ? want_mtime : e->mtime.tv_sec;
				if (st.st_mtime != want)
					fail_msg("'%s' has mtime %lld, want %lld", e->dst, (long long)st.st_mtime,
						 (long long)want);
			}
			free(p);
		}
	}
}

static void extract(const char *image, uint64_t off, const char *out)
{
	assert_int_equal(mkdir(out, 0755), 0);
	char *tgt = target_of(image, off);
	char *dst = ib_xasprintf("%s/", out);
	const char *argv[] = {"mcopy", "-s", "-m", "-n", "-i", tgt, "::/", dst, NULL};
	assert_int_equal(run_mtools(argv, NULL), 0);
	free(dst);
	free(tgt);
}

static void scan(const char *base, const char *src, const char *dst, struct ib_srctree *t)
{
	struct ib_error err = {0};
	if (ib_srctree_scan(base, src, dst, NULL, t, &err) < 0)
		fail_msg("scan %s: %s", src, err.msg);
}

static void put_trees(const char *image, uint64_t off, uint64_t size, uint32_t ss, const struct ib_srctree *trees,
		      size_t n)
{
	struct ib_vol_target t = {.image = image, .offset = off, .size = size, .sector_size = ss, .work_dir = "/tmp"};
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	if (ib_vol_fat_ops.open(&v, &t, &err) < 0)
		fail_msg("open: %s", err.msg);
	int r = ib_vol_put_trees(&ib_vol_fat_ops, v, trees, n, &err);
	if (ib_vol_fat_ops.close(v, &err) < 0)
		r = -1;
	if (r < 0)
		fail_msg("put_trees: %s", err.msg);
}

/* ---- tests ---- */

static void test_default_cluster(void **state)
{
	(void)state;
	assert_int_equal(ib_fat_default_cluster(260 * MiB, 512, 32), 4096);
	assert_int_equal(ib_fat_default_cluster(100 * MiB, 512, 32), 1024);
	assert_int_equal(ib_fat_default_cluster(33 * MiB, 512, 32), 512);
	assert_int_equal(ib_fat_default_cluster(1024 * MiB, 512, 32), 4096);
	assert_int_equal(ib_fat_default_cluster(20 * 1024 * MiB, 512, 32), 16384);
	assert_int_equal(ib_fat_default_cluster(64 * 1024 * MiB, 512, 32), 32768);
	assert_int_equal(ib_fat_default_cluster(260 * MiB, 4096, 32), 4096);
	assert_int_equal(ib_fat_default_cluster(100 * MiB, 4096, 32), 4096); /* too small: the check says so */
	assert_int_equal(ib_fat_default_cluster(64 * MiB, 512, 16), 2048);
	assert_int_equal(ib_fat_default_cluster(16 * MiB, 512, 16), 512);
	assert_int_equal(ib_fat_default_cluster(1024 * MiB, 512, 16), 32768);
	assert_int_equal(ib_fat_default_cluster(64 * MiB, 4096, 16), 4096);
}

static void test_mkfs_argv(void **state)
{
	(void)state;
	struct ib_mkfs_args a = {.image = "/w/disk.img", .offset = MiB, .size = 260 * MiB, .sector_size = 512,
				 .cluster_size = 4096, .label = "esp", .fat_bits = 32, .serial = 0x1234abcd};
	char **argv = ib_fat_mkfs_argv(&a);
	const char *want[] = {"mkfs.fat", "--invariant", "-F", "32", "-S", "512", "-s", "8", "--offset=2048", "-h", "2048",
			      "-g", "64/32", "-i", "1234abcd", "-n", "ESP", "/w/disk.img", "266240"};
	size_t n = 0;
	while (argv[n])
		n++;
	assert_int_equal(n, IB_ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(argv[i], want[i]);
	ib_argv_free(argv);

	/* 4096-byte sectors: offset and hidden sectors count 4 KiB sectors;
	 * BLOCKS stays in KiB. No label, FAT16. */
	a = (struct ib_mkfs_args){.image = "i", .offset = 8 * MiB, .size = 64 * MiB, .sector_size = 4096,
				  .cluster_size = 0, .fat_bits = 16, .serial = 7};
	argv = ib_fat_mkfs_argv(&a);
	const char *want4k[] = {"mkfs.fat", "--invariant", "-F", "16", "-S", "4096", "-s", "1", "--offset=2048", "-h", "2048",
				"-g", "64/32", "-i", "00000007", "i", "65536"};
	n = 0;
	while (argv[n])
		n++;
	assert_int_equal(n, IB_ARRAY_SIZE(want4k));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(argv[i], want4k[i]);
	ib_argv_free(argv);
}

static void check_boot_sector(const char *image, uint64_t off, uint64_t size, uint32_t ss, int bits, uint32_t serial,
			      const char *label, uint64_t cluster)
{
	uint8_t bs[512];
	read_at(image, off, bs, sizeof bs);
	assert_int_equal(bs[510], 0x55);
	assert_int_equal(bs[511], 0xAA);
	assert_int_equal(ib_get_le16(bs + 11), ss);
	assert_int_equal(bs[13], cluster / ss);
	assert_int_equal(ib_get_le32(bs + 28), off / ss); /* hidden sectors = partition start */
	uint32_t total = ib_get_le16(bs + 19) ? ib_get_le16(bs + 19) : ib_get_le32(bs + 32);
	assert_int_equal(total, size / ss);
	const uint8_t *ext = bs + (bits == 32 ? 64 : 36); /* drive number, reserved, signature, id, label, type */
	assert_int_equal(ext[2], 0x29);
	assert_int_equal(ib_get_le32(ext + 3), serial);
	char want_label[12];
	snprintf(want_label, sizeof want_label, "%-11s", label ? label : "NO NAME");
	assert_memory_equal(ext + 7, want_label, 11);
	assert_memory_equal(ext + 18, bits == 32 ? "FAT32   " : "FAT16   ", 8);
}

/* The label mtools reports matches, which also proves mtools accepts the volume. */
static void check_mtools_label(const char *image, uint64_t off, const char *label, uint32_t serial)
{
	char *tgt = target_of(image, off);
	const char *argv[] = {"mdir", "-i", tgt, "::/", NULL};
	char *out = NULL;
	assert_int_equal(run_mtools(argv, &out), 0);
	char want[64];
	snprintf(want, sizeof want, "Volume in drive : is %s", label);
	if (!strstr(out, want))
		fail_msg("mdir output lacks '%s':\n%s", want, out);
	snprintf(want, sizeof want, "Serial Number is %04X-%04X", serial >> 16, serial & 0xFFFF);
	if (!strstr(out, want))
		fail_msg("mdir output lacks '%s':\n%s", want, out);
	free(out);
	free(tgt);
}

static void test_mkfs_two_partitions(void **state)
{
	struct fixture *f = *state;
	if (!have_tools())
		skip();
	const uint64_t img = 400 * MiB, p1 = MiB, s1 = 260 * MiB, p2 = 264 * MiB, s2 = 64 * MiB;
	make_image(f->image, img);
	uint64_t edges[] = {p1 - 4096, p1 + s1, p2 - 4096, p2 + s2, img - 4096};
	for (size_t i = 0; i < IB_ARRAY_SIZE(edges); i++)
		sentinel_write(f->image, edges[i]);

	mkfs(f, p1, s1, 512, 32, 0x1234ABCD, "esp");
	mkfs(f, p2, s2, 512, 16, 0xCAFEF00D, "Data16");
	check_boot_sector(f->image, p1, s1, 512, 32, 0x1234ABCD, "ESP", 4096);
	check_boot_sector(f->image, p2, s2, 512, 16, 0xCAFEF00D, "DATA16", 2048);
	for (size_t i = 0; i < IB_ARRAY_SIZE(edges); i++)
		sentinel_check(f->image, edges[i]);
	assert_int_equal(file_size(f->image), img);
	fsck_partition(f, p1, s1);
	fsck_partition(f, p2, s2);
	check_mtools_label(f->image, p1, "ESP", 0x1234ABCD);
	check_mtools_label(f->image, p2, "DATA16", 0xCAFEF00D);

	/* Files into both, then everything outside the partitions is intact. */
	char *src = make_source(f);
	struct ib_srctree trees[2] = {0};
	scan(f->dir, "src/EFI", "/EFI", &trees[0]);
	scan(f->dir, "src/a", "/x/y", &trees[1]);
	put_trees(f->image, p2, s2, 512, trees, 2);
	char *out = ib_path_join(f->dir, "out16");
	extract(f->image, p2, out);
	compare_trees(out, trees, 2, 0, 0);
	free(out);
	for (size_t i = 0; i < 2; i++)
		ib_srctree_free(&trees[i]);
	free(src);
	for (size_t i = 0; i < IB_ARRAY_SIZE(edges); i++)
		sentinel_check(f->image, edges[i]);
	fsck_partition(f, p2, s2);
	fsck_partition(f, p1, s1);
}

/* Sizes around the cluster-count limits: the default cluster gives a
 * volume mtools accepts. */
static void test_mkfs_sizes_mtools_accepts(void **state)
{
	struct fixture *f = *state;
	if (!have_tools())
		skip();
	struct {
		uint64_t size;
		uint32_t ss;
		int bits;
	} cases[] = {
		{33 * MiB, 512, 32}, {100 * MiB, 512, 32}, {257 * MiB, 4096, 32}, {5 * MiB, 512, 16}, {300 * MiB, 512, 16},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		make_image(f->image, cases[i].size + 2 * MiB);
		mkfs(f, MiB, cases[i].size, cases[i].ss, cases[i].bits, 0x11112222u + (uint32_t)i, "T");
		check_mtools_label(f->image, MiB, "T", 0x11112222u + (uint32_t)i);
		fsck_partition(f, MiB, cases[i].size);
	}
}

static void test_mkfs_errors(void **state)
{
	struct fixture *f = *state;
	if (!have_tools())
		skip();
	make_image(f->image, 50 * MiB);
	sentinel_write(f->image, MiB);
	struct ib_mkfs_args a = {.image = f->image, .offset = MiB, .size = 30 * MiB, .sector_size = 512,
				 .cluster_size = 512, .fat_bits = 32, .serial = 1};
	struct ib_error err = {0};
	/* Too small for FAT32 even with 512-byte clusters. */
	assert_int_equal(ib_fat_mkfs(&a, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "a FAT32 with 512-byte clusters needs a partition of at least"));
	ib_error_clear(&err);
	/* Past the end of the image: mkfs.fat would not notice. */
	a.size = 60 * MiB;
	a.fat_bits = 16;
	a.cluster_size = 2048;
	assert_int_equal(ib_fat_mkfs(&a, &err), -1);
	assert_non_null(strstr(err.msg, "ends past the end of"));
	ib_error_clear(&err);
	/* FAT16 with too many clusters. */
	a.size = 40 * MiB;
	a.cluster_size = 512;
	assert_int_equal(ib_fat_mkfs(&a, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(strstr(err.msg, "more than 65524 clusters"));
	ib_error_clear(&err);
	/* Nothing was written. */
	sentinel_check(f->image, MiB);
	assert_int_equal(file_size(f->image), 50 * MiB);
}

static void put_and_check(struct fixture *f, uint32_t ss)
{
	const uint64_t off = MiB, size = 260 * MiB, img = 262 * MiB;
	make_image(f->image, img);
	sentinel_write(f->image, off - 4096);
	sentinel_write(f->image, off + size);
	mkfs(f, off, size, ss, 32, 0x0BADF00D, "SYSTEM");
	check_boot_sector(f->image, off, size, ss, 32, 0x0BADF00D, "SYSTEM", 4096);

	char *src = make_source(f);
	struct ib_srctree trees[5] = {0};
	scan(f->dir, "src", "/", &trees[0]);
	/* A file under another name, and one into a directory by name. */
	scan(f->dir, "src/EFI/BOOT/grub.cfg", "/boot/grub/menu.cfg", &trees[1]);
	scan(f->dir, "src/a/top.txt", "/docs/", &trees[2]);
	/* A second tree over the first: files are replaced. */
	scan(f->dir, "src/a/b", "/a/b", &trees[3]);
	/* Reproducible build: every time forced to one epoch (SOURCE_DATE_EPOCH path). */
	scan(f->dir, "src/EFI", "/repro", &trees[4]);
	for (size_t i = 0; i < trees[4].n; i++)
		trees[4].v[i].mtime = (struct timespec){.tv_sec = 1700000000};
	put_trees(f->image, off, size, ss, trees, 5);

	char *out = ib_path_join(f->dir, "out");
	extract(f->image, off, out);
	compare_trees(out, trees, 4, 0, 0);
	compare_trees(out, &trees[4], 1, 1700000000, 1700000000);

	/* Names came back as VFAT long names, byte for byte. */
	char *uni = ib_path_join(out, "h\xc3\xa9llo \xe2\x9c\x93.txt");
	struct stat st;
	assert_int_equal(stat(uni, &st), 0);
	free(uni);
	/* The empty directory exists and is empty. */
	char *empty = ib_path_join(out, "EFI/empty");
	assert_int_equal(rmdir(empty), 0);
	free(empty);
	/* Nothing more than we put: 600 + a few files in /many. */
	char *tgt = target_of(f->image, off);
	const char *argv[] = {"mdir", "-/", "-b", "-a", "-i", tgt, "::/", NULL};
	char *listing = NULL;
	assert_int_equal(run_mtools(argv, &listing), 0);
	size_t lines = 0;
	for (char *p = listing; *p; p++)
		lines += *p == '\n';
	/* trees[0]: 607 files + 7 dirs (without "/"); /boot, /boot/grub, menu.cfg; /docs, top.txt;
	 * /repro: 3 dirs + 2 files. */
	assert_int_equal(lines, 607 + 7 + 3 + 2 + 5);
	free(listing);
	free(tgt);

	for (size_t i = 0; i < IB_ARRAY_SIZE(trees); i++)
		ib_srctree_free(&trees[i]);
	free(out);
	free(src);
	sentinel_check(f->image, off - 4096);
	sentinel_check(f->image, off + size);
	assert_int_equal(file_size(f->image), img);
	fsck_partition(f, off, size);
}

static void test_volume_512(void **state)
{
	if (!have_tools())
		skip();
	put_and_check(*state, 512);
}

/* mkfs.fat 4.2 and mtools 4.0.32 both handle 4096-byte logical sectors at
 * a byte offset. */
static void test_volume_4096(void **state)
{
	if (!have_tools())
		skip();
	put_and_check(*state, 4096);
}

static void test_volume_errors(void **state)
{
	struct fixture *f = *state;
	if (!have_tools())
		skip();
	make_image(f->image, 40 * MiB);
	mkfs(f, MiB, 36 * MiB, 512, 16, 42, NULL);
	char *file = ib_path_join(f->dir, "f.txt");
	write_file(file, "x", 1, 1600000000);
	struct ib_vol_target t = {.image = f->image, .offset = MiB, .size = 36 * MiB, .sector_size = 512};
	struct timespec ts = {.tv_sec = 1600000000};
	struct {
		const char *path;
		const char *msg;
	} bad[] = {
		{"/a:b", "'/a:b' cannot be stored on FAT: it contains one of < > : \" / \\ | ? *, which Windows refuses in names"},
		{"/d/q?", "'/d/q?' cannot be stored on FAT: it contains one of < > : \" / \\ | ? *, which Windows refuses in names"},
		{"/d/com3.txt", "'/d/com3.txt' cannot be stored on FAT: it is a DOS device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$, with any extension): Windows opens the device instead of the file"},
		{"/trail.", "'/trail.' cannot be stored on FAT: it ends with a dot or a space, which Windows strips (the file could not be opened by its name)"},
		{"/emoji \xf0\x9f\x98\x80", "'/emoji \xf0\x9f\x98\x80': U+1F600 cannot be stored in a FAT name (mtools writes FAT long names only with characters up to U+FFFF)"},
		{"/bad\xff", "'/bad\xff' is not valid UTF-8 (an invalid byte, an overlong form or an encoded surrogate)"},
		{"/overlong\xc0\xaf", "'/overlong\xc0\xaf' is not valid UTF-8 (an invalid byte, an overlong form or an encoded surrogate)"},
		{"/surrogate\xed\xa0\x80", "'/surrogate\xed\xa0\x80' is not valid UTF-8 (an invalid byte, an overlong form or an encoded surrogate)"},
		{"/README", "'/readme' and '/README' are the same name on FAT (names ignore case)"},
		{"/dir", "'/dir' is a directory"},
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		struct ib_vol *v = NULL;
		struct ib_error err = {0};
		assert_int_equal(ib_vol_fat_ops.open(&v, &t, &err), 0);
		assert_int_equal(ib_vol_fat_ops.put_file(v, "/readme", file, 1, &ts, &err), 0);
		assert_int_equal(ib_vol_fat_ops.mkdir(v, "/dir", &ts, &err), 0);
		assert_int_equal(ib_vol_fat_ops.put_file(v, bad[i].path, file, 1, &ts, &err), -1);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_string_equal(err.msg, bad[i].msg);
		assert_int_equal(ib_vol_fat_ops.close(v, &err), 0);
		ib_error_clear(&err);
	}
	/* mkdir over a file. */
	struct ib_vol *v = NULL;
	struct ib_error err = {0};
	assert_int_equal(ib_vol_fat_ops.open(&v, &t, &err), 0);
	assert_int_equal(ib_vol_fat_ops.put_file(v, "/f", file, 1, &ts, &err), 0);
	assert_int_equal(ib_vol_fat_ops.mkdir(v, "/f/sub", &ts, &err), -1);
	assert_string_equal(err.msg, "'/f' is a file, not a directory");
	ib_vol_fat_ops.close(v, &err);
	ib_error_clear(&err);

	/* A directory that already exists (made in an earlier session, spelled
	 * in another case) is reused; an existing file is replaced. */
	assert_int_equal(ib_vol_fat_ops.open(&v, &t, &err), 0);
	assert_int_equal(ib_vol_fat_ops.mkdir(v, "/Keep/Sub", &ts, &err), 0);
	assert_int_equal(ib_vol_fat_ops.put_file(v, "/Keep/f.txt", file, 1, &ts, &err), 0);
	assert_int_equal(ib_vol_fat_ops.close(v, &err), 0);
	write_file(file, "second", 6, 1600000002);
	struct timespec ts2 = {.tv_sec = 1600000002};
	assert_int_equal(ib_vol_fat_ops.open(&v, &t, &err), 0);
	assert_int_equal(ib_vol_fat_ops.mkdir(v, "/keep/sub/new", &ts2, &err), 0);
	assert_int_equal(ib_vol_fat_ops.put_file(v, "/KEEP/F.TXT", file, 6, &ts2, &err), 0);
	if (ib_vol_fat_ops.close(v, &err) < 0)
		fail_msg("%s", err.msg);
	char *out = ib_path_join(f->dir, "out");
	extract(f->image, MiB, out);
	char *got = ib_path_join(out, "Keep/F.TXT"); /* mtools replaces the entry: new spelling */
	size_t n;
	char *data = slurp(got, &n);
	assert_int_equal(n, 6);
	assert_memory_equal(data, "second", 6);
	free(data);
	free(got);
	got = ib_path_join(out, "Keep/Sub/new");
	struct stat st;
	assert_int_equal(stat(got, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mtime, 1600000002);
	free(got);
	free(out);
	free(file);
	fsck_partition(f, MiB, 36 * MiB);
}

/* Same inputs, forced times: two builds give the same bytes. */
static void test_reproducible(void **state)
{
	struct fixture *f = *state;
	if (!have_tools())
		skip();
	char *src = make_source(f);
	struct ib_srctree t = {0};
	scan(f->dir, "src", "/", &t);
	for (size_t i = 0; i < t.n; i++)
		t.v[i].mtime = (struct timespec){.tv_sec = 1700000000};
	char *images[2] = {ib_path_join(f->dir, "r1.img"), ib_path_join(f->dir, "r2.img")};
	for (int k = 0; k < 2; k++) {
		free(f->image);
		f->image = ib_xstrdup(images[k]);
		make_image(f->image, 80 * MiB);
		mkfs(f, MiB, 78 * MiB, 512, 32, 0x5EED5EED, "REPRO");
		put_trees(f->image, MiB, 78 * MiB, 512, &t, 1);
		/* Let the clock move on: nothing may depend on it. */
		if (k == 0)
			sleep(2);
	}
	size_t n1, n2;
	char *a = slurp(images[0], &n1), *b = slurp(images[1], &n2);
	assert_int_equal(n1, n2);
	if (memcmp(a, b, n1))
		fail_msg("two builds of the same FAT volume differ");
	free(a);
	free(b);
	free(images[0]);
	free(images[1]);
	ib_srctree_free(&t);
	free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_cluster),
		cmocka_unit_test(test_mkfs_argv),
		cmocka_unit_test_setup_teardown(test_mkfs_two_partitions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkfs_sizes_mtools_accepts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkfs_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volume_512, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volume_4096, setup, teardown),
		cmocka_unit_test_setup_teardown(test_volume_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reproducible, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
