// SPDX-License-Identifier: GPL-2.0-or-later
/* MBR writer and reader, checked against sfdisk --json and sfdisk -V. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ptable/ptable.h"
#include "core/spawn.h"
#include "core/util.h"
#include "tests/unit/support/check.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/spawn_capture.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

static int setup(void **state) { return ut_diskfx_setup(state, "mbr"); }
static int teardown(void **state) { return ut_diskfx_teardown(state); }

static bool have_tool(const char *prog) { return ut_have_tool(prog, "its peer check is not run"); }

static void add(struct ib_ptable *t, uint64_t first, uint64_t sectors, uint8_t type, bool boot)
{
	struct ib_pt_entry *p = &t->entries[t->n++];
	p->first_lba = first;
	p->last_lba = first + sectors - 1;
	p->mbr_type = type;
	p->bootable = boot;
}

/* Four primaries in MiB steps; the last ends at the last sector. */
static void build_table(struct ib_ptable *t, uint64_t bytes, uint32_t ss)
{
	memset(t, 0, sizeof(*t));
	t->sector_size = ss;
	t->disk_bytes = bytes;
	t->mbr_signature = 0x1234ABCD;
	uint64_t mib = MiB / ss, sectors = bytes / ss;
	add(t, mib, 100 * mib, 0x0C, true);
	add(t, 101 * mib, 200 * mib, 0x07, false);
	add(t, 301 * mib, 10 * mib, 0x27, false);
	add(t, 311 * mib, sectors - 311 * mib, 0x83, false);
}

/* The sfdisk JSON object of the partition that starts at `start`. */
static void check_sfdisk(const char *dev, const struct ib_ptable *t)
{
	const char *json_argv[] = { "sfdisk", "--json", dev, NULL };
	_cleanup_free_ char *json = ut_spawn_capture(json_argv);
	char buf[128];
	assert_contains(json, "\"label\": \"dos\"");
	snprintf(buf, sizeof(buf), "\"id\": \"0x%08" PRIx32 "\"", t->mbr_signature);
	assert_contains(json, buf);
	snprintf(buf, sizeof(buf), "\"sectorsize\": %" PRIu32, t->sector_size);
	assert_contains(json, buf);
	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *p = &t->entries[i];
		_cleanup_free_ char *obj = ut_sfdisk_part(json, p->first_lba);
		snprintf(buf, sizeof(buf), "\"size\": %" PRIu64 ",", p->last_lba - p->first_lba + 1);
		assert_contains(obj, buf);
		snprintf(buf, sizeof(buf), "\"type\": \"%x\"", p->mbr_type);
		assert_contains(obj, buf);
		if (p->bootable)
			assert_contains(obj, "\"bootable\": true");
		else
			assert_null(strstr(obj, "bootable"));
	}
	/* sfdisk -V also compares the CHS fields with the LBA ones. */
	const char *verify_argv[] = { "sfdisk", "-V", dev, NULL };
	_cleanup_free_ char *verify = ut_spawn_capture(verify_argv);
	assert_contains(verify, "No errors detected");
}

static void check_peers(struct ut_diskfx *f, const char *path, const struct ib_ptable *t)
{
	if (!have_tool("sfdisk"))
		return;
	if (t->sector_size == 512) {
		check_sfdisk(path, t);
		return;
	}
	if (!have_tool("losetup") || !ut_loop_attach_4k(&f->loop, path, "sfdisk"))
		return;
	print_message("  sfdisk on %s (4096-byte sectors)\n", f->loop.dev);
	check_sfdisk(f->loop.dev, t);
	ut_loop_release(&f->loop);
}

static void write_check_one(struct ut_diskfx *f, uint64_t bytes, uint32_t ss)
{
	char name[64];
	snprintf(name, sizeof(name), "mbr-%" PRIu64 "-%" PRIu32 ".img", bytes, ss);
	print_message("  disk of %" PRIu64 " bytes, %" PRIu32 "-byte sectors\n", bytes, ss);
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, name, bytes, &path);
	struct ib_ptable *t = ib_xmalloc(sizeof(*t)), *back = ib_xmalloc(sizeof(*back));
	build_table(t, bytes, ss);
	struct ib_error err = { 0 };
	if (ib_mbr_write(fd, t, &err) < 0)
		print_error("ib_mbr_write: %s\n", err.msg);
	assert_int_equal(err.exit_code, 0);

	uint8_t mbr[512];
	assert_int_equal(ib_pread_all(fd, mbr, sizeof(mbr), 0), 0);
	assert_int_equal(ib_get_le32(mbr + 0x1B8), 0x1234ABCD);
	assert_int_equal(mbr[510], 0x55);
	assert_int_equal(mbr[511], 0xAA);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = mbr + 446 + 16 * i;
		assert_int_equal(e[0], t->entries[i].bootable ? 0x80 : 0x00);
		assert_int_equal(e[4], t->entries[i].mbr_type);
		assert_int_equal(ib_get_le32(e + 8), t->entries[i].first_lba);
		assert_int_equal(ib_get_le32(e + 12), t->entries[i].last_lba - t->entries[i].first_lba + 1);
	}
	if (ss == 512) {
		/* LBA 2048 is C/H/S 0/32/33; the end of a 16 GiB disk is past
		 * cylinder 1023, so it is clamped to 1023/254/63. */
		assert_memory_equal(mbr + 446 + 1, "\x20\x21\x00", 3);
		if (bytes == 16 * GiB)
			assert_memory_equal(mbr + 446 + 48 + 5, "\xFE\xFF\xFF", 3);
		/* Last LBA 1048578 = cylinder 65, head 69, sector 7. */
		if (bytes == 512 * MiB + 3 * 512)
			assert_memory_equal(mbr + 446 + 48 + 5, "\x45\x07\x41", 3);
	}

	assert_int_equal(ib_ptable_read(fd, bytes, ss, back, &err), 0);
	assert_false(back->gpt);
	assert_int_equal(back->sector_size, ss);
	assert_int_equal(back->mbr_signature, t->mbr_signature);
	assert_int_equal(back->n, t->n);
	for (unsigned i = 0; i < t->n; i++) {
		assert_int_equal(back->entries[i].first_lba, t->entries[i].first_lba);
		assert_int_equal(back->entries[i].last_lba, t->entries[i].last_lba);
		assert_int_equal(back->entries[i].mbr_type, t->entries[i].mbr_type);
		assert_int_equal(back->entries[i].bootable, t->entries[i].bootable);
	}
	close(fd);
	check_peers(f, path, t);
	unlink(path);
	free(t);
	free(back);
}

static void test_write_read(void **state)
{
	write_check_one(*state, 16 * GiB, 512); /* beyond CHS reach (about 7.8 GiB) */
	write_check_one(*state, 512 * MiB + 3 * 512, 512);
	write_check_one(*state, 2 * GiB, 4096);
}

static void expect_write_refused(int fd, const struct ib_ptable *t, const char *want)
{
	struct ib_error err = { 0 };
	assert_int_equal(ib_mbr_write(fd, t, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, want);
	ib_error_clear(&err);
	uint8_t buf[512], zero[512] = { 0 };
	assert_int_equal(ib_pread_all(fd, buf, sizeof(buf), 0), 0);
	assert_memory_equal(buf, zero, sizeof(buf)); /* nothing written */
}

static void test_write_refuses(void **state)
{
	struct ut_diskfx *f = *state;
	_cleanup_free_ char *path = NULL;
	uint64_t bytes = 3 * TiB; /* more than 2^32 sectors of 512 bytes */
	int fd = ut_diskfx_image(f, "big.img", bytes, &path);
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t));
	t->sector_size = 512;
	t->disk_bytes = bytes;

	add(t, 1ull << 32, 2048, 0x07, false);
	expect_write_refused(fd, t, "starts at sector 4294967296, beyond the 32-bit limit");

	/* The last start that fits is fine. */
	t->entries[0].first_lba = UINT32_MAX;
	struct ib_error err = { 0 };
	assert_int_equal(ib_mbr_write(fd, t, &err), 0);
	struct ib_ptable *back = ib_xmalloc(sizeof(*back));
	assert_int_equal(ib_ptable_read(fd, bytes, 512, back, &err), 0);
	assert_int_equal(back->entries[0].first_lba, UINT32_MAX);
	free(back);
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);

	t->n = 0;
	add(t, 2048, 1ull << 32, 0x07, false);
	expect_write_refused(fd, t, "4294967296 sectors exceed the 32-bit limit");

	t->n = 0;
	for (int i = 0; i < 5; i++)
		add(t, 2048 + 2048ull * i, 2048, 0x83, false);
	expect_write_refused(fd, t, "at most 4 primary partitions");

	t->n = 0;
	add(t, 2048, 2048, 0xEE, false);
	expect_write_refused(fd, t, "0xEE is reserved");

	t->n = 0;
	add(t, 2048, 2048, 0x83, false);
	add(t, 4095, 2048, 0x83, false);
	expect_write_refused(fd, t, "partitions 1 and 2 overlap");

	t->n = 0;
	add(t, bytes / 512 - 10, 11, 0x83, false);
	expect_write_refused(fd, t, "partition 1: sectors");

	free(t);
	close(fd);
}

static void test_read_errors(void **state)
{
	struct ut_diskfx *f = *state;
	_cleanup_free_ char *path = NULL;
	uint64_t bytes = 64 * MiB;
	int fd = ut_diskfx_image(f, "bad.img", bytes, &path);
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t)), *back = ib_xmalloc(sizeof(*back));
	t->sector_size = 512;
	t->disk_bytes = bytes;
	add(t, 2048, 4096, 0x0C, true);
	struct ib_error err = { 0 };
	assert_int_equal(ib_mbr_write(fd, t, &err), 0);

	/* A boot indicator that is neither 0x00 nor 0x80. */
	uint8_t b = 0x81;
	assert_int_equal(ib_pwrite_all(fd, &b, 1, 446), 0);
	assert_int_equal(ib_ptable_read(fd, bytes, 512, back, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "MBR entry 1 at byte 446: boot indicator is 0x81");
	ib_error_clear(&err);

	/* An entry that runs past the end of the (smaller) disk. */
	assert_int_equal(ib_mbr_write(fd, t, &err), 0);
	assert_int_equal(ib_ptable_read(fd, 4096 * 512, 512, back, &err), -1);
	assert_contains(err.msg, "MBR entry 1 at byte 446: ends at sector 6143, past the end");
	ib_error_clear(&err);

	/* No boot signature. */
	b = 0;
	assert_int_equal(ib_pwrite_all(fd, &b, 1, 511), 0);
	assert_int_equal(ib_ptable_read(fd, bytes, 512, back, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "at byte 510: boot signature is 0x5500, expected 0x55AA");
	ib_error_clear(&err);

	free(t);
	free(back);
	close(fd);
}

/* A bare FAT filesystem has 0x55AA too, but is no partitioned disk. */
static void test_superfloppy_refused(void **state)
{
	struct ut_diskfx *f = *state;
	if (!have_tool("mkfs.fat"))
		return;
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, "fat.img", 64 * MiB, &path);
	const char *argv[] = { "mkfs.fat", "-F", "32", path, NULL };
	free(ut_spawn_capture(argv));
	struct ib_ptable *back = ib_xmalloc(sizeof(*back));
	struct ib_error err = { 0 };
	assert_int_equal(ib_ptable_read(fd, 64 * MiB, 512, back, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "FAT32 boot sector");
	ib_error_clear(&err);
	free(back);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_superfloppy_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
