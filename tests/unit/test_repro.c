// SPDX-License-Identifier: GPL-2.0-or-later
/* Reproducible mode: the epoch and its sources, identifiers from the seed,
 * CRC-32C, NTFS and FAT made twice (other directories, other time zone)
 * giving the same bytes with every time at the epoch, and every qemu-img
 * output format converted twice under different names giving the same bytes
 * after patching, still valid (qemu-img check, qemu-img compare). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/convert.h"
#include "fs/fs.h"
#include "plan/ids.h"
#include "output/repro_output.h"
#include "plan/repro.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "core/util.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/spawn_capture.h"
#include "tests/unit/support/tmpdir.h"

#define MiB (1024ull * 1024)
#define EPOCH INT64_C(1700000000)
/* NTFS times: 100 ns units since 1601. */
#define NTFS_UNIX_OFFSET UINT64_C(116444736000000000)

struct fixture {
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = ib_xcalloc(1, sizeof(*f));
	if (!ut_tmpdir_into(f->dir, sizeof(f->dir), "repro")) {
		free(f);
		return -1;
	}
	unsetenv("SOURCE_DATE_EPOCH");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	ib_rm_rf(f->dir);
	free(f);
	unsetenv("SOURCE_DATE_EPOCH");
	unsetenv("TZ");
	return 0;
}

static bool have(const char *tool) { return ut_have_tool(tool, NULL); }

static char *path_in(const struct fixture *f, const char *name)
{
	return ib_path_join(f->dir, name);
}

static void make_file(const char *path, uint64_t size) { close(ut_sparse_disk(path, size)); }

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	uint8_t *b = ib_xmalloc((size_t)st.st_size + 1);
	assert_int_equal(ib_pread_all(fd, b, (size_t)st.st_size, 0), 0);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static bool same_files(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = la == lb && !memcmp(x, y, la);
	free(x);
	free(y);
	return same;
}

static size_t count(const uint8_t *hay, size_t len, const void *needle, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i + n <= len; i++)
		c += !memcmp(hay + i, needle, n);
	return c;
}

static int run(const char *const *argv)
{
	struct ib_error err = {0};
	int r = ib_spawn(argv, NULL, NULL, &err);
	if (r < 0)
		print_message("%s\n", err.msg);
	ib_error_clear(&err);
	return r;
}

/* ---- epoch, identifiers, CRC-32C ---- */

static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(ib_crc32c(0, "123456789", 9), 0xE3069283u); /* the check value */
	uint8_t z[32] = {0};
	assert_int_equal(ib_crc32c(0, z, sizeof z), 0x8A9136AAu); /* RFC 3720 B.4 */
	/* Incremental use gives the same result. */
	assert_int_equal(ib_crc32c(ib_crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_epoch(void **state)
{
	(void)state;
	struct ib_recipe r = {.name = "x"};
	struct ib_error err = {0};
	bool on;
	int64_t e;
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_false(on);
	assert_int_equal(e, -1);
	assert_false(ib_repro_active(&r));

	r.reproducible = true;
	r.epoch = 1234;
	r.seed = "s";
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_true(on);
	assert_int_equal(e, 1234);

	/* SOURCE_DATE_EPOCH overrides the recipe, and alone turns the mode on. */
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_int_equal(e, 1700000000);
	r.reproducible = false;
	assert_true(ib_repro_active(&r));
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_true(on);
	assert_int_equal(e, 1700000000);
	setenv("SOURCE_DATE_EPOCH", "", 1); /* empty: unset */
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_false(on);

	const char *bad[] = {"-1", "12a", " 1", "1.5", "9223372036854775808", "99999999999999999999"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(bad); i++) {
		setenv("SOURCE_DATE_EPOCH", bad[i], 1);
		assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), -1);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
		ib_error_clear(&err);
	}
	setenv("SOURCE_DATE_EPOCH", "9223372036854775807", 1);
	assert_int_equal(ib_repro_epoch(&r, &on, &e, &err), 0);
	assert_int_equal(e, INT64_MAX);
}

static void guid_of(const struct ib_recipe *r, const char *token, struct ib_guid *g)
{
	struct ib_ids ids;
	ib_ids_init(&ids, r);
	ib_ids_guid(&ids, token, g);
	ib_ids_free(&ids);
}

static void test_ids(void **state)
{
	(void)state;
	struct ib_recipe r = {.name = "n", .reproducible = true, .seed = "one"};
	struct ib_guid a, b, c;
	guid_of(&r, "disk-guid", &a);
	guid_of(&r, "disk-guid", &b);
	assert_true(ib_guid_equal(&a, &b));
	assert_int_equal(a.b[7] >> 4, 4); /* version 4 */
	assert_int_equal(a.b[8] >> 6, 2); /* RFC 4122 variant */
	guid_of(&r, "partition-guid-1", &c);
	assert_false(ib_guid_equal(&a, &c));
	r.seed = "two";
	guid_of(&r, "disk-guid", &c);
	assert_false(ib_guid_equal(&a, &c));
	r.name = "m"; /* the name is part of the key */
	r.seed = "one";
	guid_of(&r, "disk-guid", &c);
	assert_false(ib_guid_equal(&a, &c));

	/* SOURCE_DATE_EPOCH alone: derived from the name (empty seed). */
	struct ib_recipe s = {.name = "n"};
	guid_of(&s, "disk-guid", &a);
	guid_of(&s, "disk-guid", &b);
	assert_false(ib_guid_equal(&a, &b)); /* random */
	setenv("SOURCE_DATE_EPOCH", "5", 1);
	guid_of(&s, "disk-guid", &a);
	guid_of(&s, "disk-guid", &b);
	assert_true(ib_guid_equal(&a, &b));
	struct ib_recipe t = {.name = "n", .reproducible = true, .seed = ""};
	unsetenv("SOURCE_DATE_EPOCH");
	guid_of(&t, "disk-guid", &c);
	assert_true(ib_guid_equal(&a, &c));
}

/* ---- filesystems ---- */

#define PART_OFF (1 * MiB)
#define PART_SIZE (40 * MiB)

static int mkfs_in(const struct fixture *f, const char *name, int fs, int64_t epoch, uint64_t serial)
{
	_cleanup_free_ char *image = path_in(f, name);
	_cleanup_free_ char *work = path_in(f, "work");
	mkdir(work, 0700);
	make_file(image, PART_OFF + PART_SIZE + MiB);
	struct ib_undo undo = {0};
	struct ib_mkfs_args a = {
		.image = image,
		.work_dir = work,
		.offset = PART_OFF,
		.size = PART_SIZE,
		.sector_size = 512,
		.cluster_size = fs == IB_FS_NTFS ? 4096 : 512,
		.label = "REPRO",
		.fat_bits = 32,
		.serial = (uint32_t)serial,
		.ntfs_serial = serial,
		.reproducible = epoch >= 0,
		.epoch = epoch,
		.undo = &undo,
	};
	struct ib_error err = {0};
	int r = ib_fs_ops_of(fs)->mkfs(&a, &err); /* the handler: mkfs and the epoch restamp */
	if (r < 0)
		print_message("mkfs: %s\n", err.msg);
	ib_error_clear(&err);
	ib_undo_clear(&undo);
	return r;
}

static void test_ntfs(void **state)
{
	struct fixture *f = *state;
	if (!have("mkntfs"))
		skip();
	const uint64_t serial = UINT64_C(0x0123456789ABCDEF);
	assert_int_equal(mkfs_in(f, "a.img", IB_FS_NTFS, EPOCH, serial), 0);
	setenv("TZ", "Pacific/Chatham", 1);
	sleep(1); /* another second */
	assert_int_equal(mkfs_in(f, "b.img", IB_FS_NTFS, EPOCH, serial), 0);
	_cleanup_free_ char *a = path_in(f, "a.img"), *b = path_in(f, "b.img");
	assert_true(same_files(a, b));

	size_t len;
	uint8_t *img = slurp(a, &len);
	const uint8_t *part = img + PART_OFF;
	uint8_t t0[8], te[8], sv[8];
	ib_put_le64(t0, NTFS_UNIX_OFFSET); /* what mkntfs -T writes: 1970 */
	ib_put_le64(te, NTFS_UNIX_OFFSET + (uint64_t)EPOCH * 10000000);
	ib_put_le64(sv, serial);
	assert_int_equal(count(part, PART_SIZE, t0, 8), 0);
	/* 4 times per record in $STANDARD_INFORMATION and $FILE_NAME, records
	 * 0-26, their mirror copies and the root's index entries: hundreds. */
	size_t stamped = count(part, PART_SIZE, te, 8);
	print_message("NTFS: %zu times at the epoch\n", stamped);
	assert_true(stamped > 200);
	/* The serial in both boot sectors, nowhere else in sight. */
	assert_memory_equal(part + 0x48, sv, 8);
	assert_memory_equal(part + PART_SIZE - 512 + 0x48, sv, 8);
	/* Nothing outside the partition. */
	for (size_t i = 0; i < PART_OFF; i++)
		assert_int_equal(img[i], 0);
	for (size_t i = PART_OFF + PART_SIZE; i < len; i++)
		assert_int_equal(img[i], 0);
	free(img);

	/* Another serial changes only the two serial fields. */
	assert_int_equal(mkfs_in(f, "c.img", IB_FS_NTFS, EPOCH, serial ^ 0xFF), 0);
	_cleanup_free_ char *c = path_in(f, "c.img");
	size_t lc;
	uint8_t *x = slurp(a, &len), *y = slurp(c, &lc);
	assert_int_equal(len, lc);
	size_t ndiff = 0;
	for (size_t i = 0; i < len; i++) {
		if (x[i] == y[i])
			continue;
		ndiff++;
		assert_true(i == PART_OFF + 0x48 || i == PART_OFF + PART_SIZE - 512 + 0x48);
	}
	assert_int_equal(ndiff, 2);
	free(x);
	free(y);
}

static void test_fat(void **state)
{
	struct fixture *f = *state;
	if (!have("mkfs.fat"))
		skip();
	assert_int_equal(mkfs_in(f, "a.img", IB_FS_FAT32, EPOCH, 0x1234ABCD), 0);
	setenv("TZ", "Pacific/Chatham", 1);
	assert_int_equal(mkfs_in(f, "b.img", IB_FS_FAT32, EPOCH, 0x1234ABCD), 0);
	_cleanup_free_ char *a = path_in(f, "a.img"), *b = path_in(f, "b.img");
	assert_true(same_files(a, b));

	/* The label entry: 2023-11-14 22:13:20 UTC everywhere. */
	size_t len;
	uint8_t *img = slurp(a, &len);
	const uint8_t *bs = img + PART_OFF;
	uint64_t bps = ib_get_le16(bs + 11), spc = bs[13], rsvd = ib_get_le16(bs + 14);
	uint64_t root = PART_OFF + (rsvd + bs[16] * (uint64_t)ib_get_le32(bs + 36) +
				    (ib_get_le32(bs + 44) - 2) * spc) * bps;
	const uint8_t *e = img + root;
	assert_memory_equal(e, "REPRO      ", 11);
	assert_int_equal(e[11], 0x08);
	uint16_t date = (2023 - 1980) << 9 | 11 << 5 | 14, time2 = 22 << 11 | 13 << 5 | 20 / 2;
	assert_int_equal(e[0x0D], 0);
	assert_int_equal(ib_get_le16(e + 0x0E), time2);
	assert_int_equal(ib_get_le16(e + 0x10), date);
	assert_int_equal(ib_get_le16(e + 0x12), date);
	assert_int_equal(ib_get_le16(e + 0x16), time2);
	assert_int_equal(ib_get_le16(e + 0x18), date);
	assert_int_equal(ib_get_le32(bs + 0x43), 0x1234ABCD);
	free(img);

	/* Before 1980 FAT cannot say: the earliest date it can. */
	assert_int_equal(mkfs_in(f, "c.img", IB_FS_FAT32, 1, 0x1234ABCD), 0);
	_cleanup_free_ char *c = path_in(f, "c.img");
	img = slurp(c, &len);
	e = img + root;
	assert_int_equal(ib_get_le16(e + 0x18), 1 << 5 | 1);
	assert_int_equal(ib_get_le16(e + 0x16), 0);
	free(img);

	/* fsck.fat agrees the volume is sound. */
	if (have("fsck.fat")) {
		_cleanup_free_ char *part = path_in(f, "part.img");
		img = slurp(a, &len);
		int fd = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		assert_int_equal(ib_pwrite_all(fd, img + PART_OFF, PART_SIZE, 0), 0);
		close(fd);
		free(img);
		const char *argv[] = {"fsck.fat", "-n", part, NULL};
		assert_int_equal(run(argv), 0);
	}
}

/* ---- outputs ---- */

struct out_case {
	enum ib_out_format format;
	const char *subformat, *ext, *qemu;
};

static const struct out_case CASES[] = {
	{IB_OUT_QCOW2, NULL, "qcow2", "qcow2"},
	{IB_OUT_VMDK, "monolithicSparse", "vmdk", "vmdk"},
	{IB_OUT_VMDK, "streamOptimized", "vmdk", "vmdk"},
	{IB_OUT_VHDX, "dynamic", "vhdx", "vhdx"},
	{IB_OUT_VHDX, "fixed", "vhdx", "vhdx"},
	{IB_OUT_VPC, "dynamic", "vhd", "vpc"},
	{IB_OUT_VPC, "fixed", "vhd", "vpc"},
};

/* A raw disk with some data in it. */
static char *make_raw(const struct fixture *f)
{
	char *raw = path_in(f, "disk.raw");
	make_file(raw, 16 * MiB);
	int fd = open(raw, O_RDWR | O_CLOEXEC);
	uint8_t buf[4096];
	uint64_t x = 88172645463325252u;
	for (int blk = 0; blk < 64; blk++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		assert_int_equal(ib_pwrite_all(fd, buf, sizeof buf, (uint64_t)blk * 200 * 1024), 0);
	}
	close(fd);
	return raw;
}

/* Convert raw to DIR/NAME.ext and patch it as an output called final.ext. */
static char *convert_patch(const struct fixture *f, const char *raw, const struct out_case *c, const char *name,
			   bool reproducible, const char *seed)
{
	char *dst = ib_xasprintf("%s/%s.%s", f->dir, name, c->ext);
	struct ib_output_spec o = {.format = c->format, .subformat = (char *)c->subformat};
	struct ib_error err = {0};
	assert_int_equal(ib_convert(&o, raw, "raw", dst, &err), 0);
	struct ib_recipe r = {.name = "final", .reproducible = reproducible, .seed = (char *)seed};
	struct ib_ids ids;
	ib_ids_init(&ids, &r);
	_cleanup_free_ char *final = ib_xasprintf("final.%s", c->ext);
	struct ib_repro_output ro = {.ids = &ids, .reproducible = reproducible, .epoch = EPOCH, .final_name = final};
	int rc = ib_repro_patch_output(c->format, dst, &ro, &err);
	if (rc < 0)
		print_message("patch: %s\n", err.msg);
	assert_int_equal(rc, 0);
	ib_ids_free(&ids);
	return dst;
}

static void check_valid(const char *raw, const char *img, const struct out_case *c)
{
	if (c->format != IB_OUT_VPC) {
		const char *check[] = {"qemu-img", "check", "-q", "-f", c->qemu, img, NULL};
		assert_int_equal(run(check), 0);
	}
	const char *cmp[] = {"qemu-img", "compare", "-q", "-f", "raw", "-F", c->qemu, raw, img, NULL};
	assert_int_equal(run(cmp), 0);
}

static char *vmdk_descriptor(const char *path)
{
	size_t len;
	uint8_t *b = slurp(path, &len);
	char *d = ib_xstrndup((char *)b + 512, 10240);
	free(b);
	return d;
}

static void test_outputs(void **state)
{
	struct fixture *f = *state;
	if (!have("qemu-img"))
		skip();
	_cleanup_free_ char *raw = make_raw(f);
	for (size_t i = 0; i < IB_ARRAY_SIZE(CASES); i++) {
		const struct out_case *c = &CASES[i];
		print_message("%s %s\n", c->qemu, c->subformat ? c->subformat : "");
		char *a = convert_patch(f, raw, c, ".imgbuild-final.1111", true, "s");
		sleep(c->format == IB_OUT_VPC ? 1 : 0); /* VHD footers hold the time */
		char *b = convert_patch(f, raw, c, ".imgbuild-final.22222", true, "s");
		assert_true(same_files(a, b));
		check_valid(raw, a, c);
		char *other = convert_patch(f, raw, c, "other", true, "another seed");
		check_valid(raw, other, c);
		/* qcow2 holds no identifier; every other format one at least. */
		assert_int_equal(same_files(a, other), c->format == IB_OUT_QCOW2);
		if (c->format == IB_OUT_VMDK) {
			char *d = vmdk_descriptor(a);
			assert_non_null(strstr(d, "SPARSE \"final.vmdk\"\n"));
			assert_null(strstr(d, "imgbuild"));
			free(d);
		}
		if (c->format == IB_OUT_VPC) {
			size_t len;
			uint8_t *v = slurp(a, &len);
			const uint8_t *ft = v + len - 512;
			uint32_t ts = (uint32_t)ft[24] << 24 | ft[25] << 16 | ft[26] << 8 | ft[27];
			assert_int_equal(ts, EPOCH - IB_VHD_EPOCH);
			free(v);
		}
		unlink(a);
		unlink(b);
		unlink(other);
		free(a);
		free(b);
		free(other);
	}
}

/* Not reproducible: only the VMDK is touched, and only its extent's name;
 * qemu-img's random CID stays. */
static void test_outputs_plain(void **state)
{
	struct fixture *f = *state;
	if (!have("qemu-img"))
		skip();
	_cleanup_free_ char *raw = make_raw(f);
	const struct out_case *c = &CASES[1];
	_cleanup_free_ char *dst = ib_xasprintf("%s/.tmp.vmdk", f->dir);
	struct ib_output_spec o = {.format = c->format, .subformat = (char *)c->subformat};
	struct ib_error err = {0};
	assert_int_equal(ib_convert(&o, raw, "raw", dst, &err), 0);
	char *before = vmdk_descriptor(dst);
	struct ib_recipe r = {.name = "final"};
	struct ib_ids ids;
	ib_ids_init(&ids, &r);
	struct ib_repro_output ro = {.ids = &ids, .epoch = -1, .final_name = "final.vmdk"};
	assert_int_equal(ib_repro_patch_output(IB_OUT_VMDK, dst, &ro, &err), 0);
	ib_ids_free(&ids);
	char *after = vmdk_descriptor(dst);
	assert_non_null(strstr(after, "SPARSE \"final.vmdk\"\n"));
	char *cid = strstr(before, "CID=");
	assert_non_null(cid);
	*strchr(cid, '\n') = '\0';
	assert_non_null(strstr(after, cid));
	check_valid(raw, dst, c);
	free(before);
	free(after);

	/* A file that is not what the format says is refused, not patched. */
	_cleanup_free_ char *junk = ib_xasprintf("%s/junk.vhdx", f->dir);
	make_file(junk, 4 * MiB);
	ro.reproducible = true;
	ib_ids_init(&ids, &r);
	assert_int_equal(ib_repro_patch_output(IB_OUT_VHDX, junk, &ro, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_FAIL);
	ib_error_clear(&err);
	assert_int_equal(ib_repro_patch_output(IB_OUT_VPC, junk, &ro, &err), -1);
	ib_error_clear(&err);
	assert_int_equal(ib_repro_patch_output(IB_OUT_VMDK, junk, &ro, &err), -1);
	ib_error_clear(&err);
	ib_ids_free(&ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test_setup_teardown(test_epoch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ntfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs_plain, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
