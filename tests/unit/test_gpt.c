// SPDX-License-Identifier: GPL-2.0-or-later
/* GPT writer and reader, checked against sgdisk -v and sfdisk --json on
 * sparse images of several sizes with 512- and 4096-byte sectors. */
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

#include "ptable/ptable.h"
#include "core/spawn.h"
#include "core/util.h"
#include "tests/unit/support/check.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/spawn_capture.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)
#define TiB (1024 * GiB)

static int setup(void **state) { return ut_diskfx_setup(state, "gpt"); }
static int teardown(void **state) { return ut_diskfx_teardown(state); }

static bool have_tool(const char *prog) { return ut_have_tool(prog, "its peer check is not run"); }

static void guid_of(const char *s, struct ib_guid *g)
{
	assert_int_equal(ib_guid_parse(s, g), 0);
}

/* Four partitions on 1 MiB boundaries, the last one running to the last
 * usable LBA; names cover non-ASCII and a UTF-16 surrogate pair. */
static void build_table(struct ib_ptable *t, uint64_t bytes, uint32_t ss)
{
	memset(t, 0, sizeof(*t));
	t->gpt = true;
	t->sector_size = ss;
	t->disk_bytes = bytes;
	ib_guid_random(&t->disk_guid);
	uint64_t mib = MiB / ss;
	static const struct {
		const char *type, *name;
		uint64_t mib;
		uint64_t attrs;
	} parts[] = {
		{ "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI system partition", 8, 0 },
		{ "E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved partition", 16, 0 },
		{ "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Windows Bäsic €😀", 20, 0 },
		{ "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "", 0, 0x8000000000000001ull },
	};
	uint64_t lba = mib;
	for (size_t i = 0; i < IB_ARRAY_SIZE(parts); i++) {
		struct ib_pt_entry *p = &t->entries[t->n++];
		guid_of(parts[i].type, &p->type_guid);
		ib_guid_random(&p->part_guid);
		p->first_lba = lba;
		p->last_lba = parts[i].mib ? lba + parts[i].mib * mib - 1 : ib_gpt_last_usable_lba(bytes, ss);
		p->attrs = parts[i].attrs;
		snprintf(p->name, sizeof(p->name), "%s", parts[i].name);
		lba = p->last_lba + 1;
	}
}

/* The sfdisk JSON object of the partition that starts at `start`. */
static void check_sfdisk(const char *dev, const struct ib_ptable *t)
{
	const char *argv[] = { "sfdisk", "--json", dev, NULL };
	_cleanup_free_ char *json = ut_spawn_capture(argv);
	char g[37], buf[256];
	assert_contains(json, "\"label\": \"gpt\"");
	snprintf(buf, sizeof(buf), "\"id\": \"%s\"", ib_guid_format(&t->disk_guid, g));
	assert_contains(json, buf);
	snprintf(buf, sizeof(buf), "\"sectorsize\": %" PRIu32, t->sector_size);
	assert_contains(json, buf);
	snprintf(buf, sizeof(buf), "\"firstlba\": %" PRIu64, ib_gpt_first_usable_lba(t->sector_size));
	assert_contains(json, buf);
	snprintf(buf, sizeof(buf), "\"lastlba\": %" PRIu64, ib_gpt_last_usable_lba(t->disk_bytes, t->sector_size));
	assert_contains(json, buf);
	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *p = &t->entries[i];
		_cleanup_free_ char *obj = ut_sfdisk_part(json, p->first_lba);
		snprintf(buf, sizeof(buf), "\"size\": %" PRIu64 ",", p->last_lba - p->first_lba + 1);
		assert_contains(obj, buf);
		snprintf(buf, sizeof(buf), "\"type\": \"%s\"", ib_guid_format(&p->type_guid, g));
		assert_contains(obj, buf);
		snprintf(buf, sizeof(buf), "\"uuid\": \"%s\"", ib_guid_format(&p->part_guid, g));
		assert_contains(obj, buf);
		if (p->name[0]) {
			snprintf(buf, sizeof(buf), "\"name\": \"%s\"", p->name);
			assert_contains(obj, buf);
		}
		if (p->attrs == 0x8000000000000001ull)
			assert_contains(obj, "\"attrs\": \"RequiredPartition GUID:63\"");
	}
}

static void check_sgdisk(const char *dev)
{
	const char *argv[] = { "sgdisk", "-v", dev, NULL };
	_cleanup_free_ char *out = ut_spawn_capture(argv);
	assert_contains(out, "No problems found");
}

/* sgdisk and sfdisk take a plain file for 512-byte sectors; 4096-byte
 * sectors need a loop device that reports them. */
static void check_peers(struct ut_diskfx *f, const char *path, const struct ib_ptable *t)
{
	if (t->sector_size == 512) {
		if (have_tool("sgdisk"))
			check_sgdisk(path);
		if (have_tool("sfdisk"))
			check_sfdisk(path, t);
		return;
	}
	if (!have_tool("losetup") || !ut_loop_attach_4k(&f->loop, path, "sgdisk/sfdisk"))
		return;
	print_message("  peer checks on %s (4096-byte sectors)\n", f->loop.dev);
	if (have_tool("sgdisk"))
		check_sgdisk(f->loop.dev);
	if (have_tool("sfdisk"))
		check_sfdisk(f->loop.dev, t);
	ut_loop_release(&f->loop);
}

static void assert_same_table(const struct ib_ptable *got, const struct ib_ptable *want)
{
	assert_true(got->gpt);
	assert_int_equal(got->sector_size, want->sector_size);
	assert_int_equal(got->disk_bytes, want->disk_bytes);
	assert_true(ib_guid_equal(&got->disk_guid, &want->disk_guid));
	assert_int_equal(got->n, want->n);
	for (unsigned i = 0; i < want->n; i++) {
		const struct ib_pt_entry *g = &got->entries[i], *w = &want->entries[i];
		assert_int_equal(g->first_lba, w->first_lba);
		assert_int_equal(g->last_lba, w->last_lba);
		assert_true(ib_guid_equal(&g->type_guid, &w->type_guid));
		assert_true(ib_guid_equal(&g->part_guid, &w->part_guid));
		assert_int_equal(g->attrs, w->attrs);
		assert_string_equal(g->name, w->name);
	}
}

/* Protective MBR and both headers, byte by byte where it matters. */
static void check_layout(int fd, const struct ib_ptable *t)
{
	uint32_t ss = t->sector_size;
	uint64_t sectors = t->disk_bytes / ss, array = 16384 / ss;
	uint8_t mbr[512];
	assert_int_equal(ib_pread_all(fd, mbr, sizeof(mbr), 0), 0);
	const uint8_t *e = mbr + 446;
	assert_int_equal(e[0], 0x00);                 /* not bootable */
	assert_memory_equal(e + 1, "\x00\x02\x00", 3); /* start CHS 0/0/2 */
	assert_int_equal(e[4], 0xEE);
	assert_int_equal(ib_get_le32(e + 8), 1);
	uint64_t want_size = sectors - 1 > UINT32_MAX ? UINT32_MAX : sectors - 1;
	assert_int_equal(ib_get_le32(e + 12), want_size);
	if (sectors - 1 >= 1024ull * 255 * 63)
		assert_memory_equal(e + 5, "\xFF\xFF\xFF", 3);
	for (int i = 16; i < 64; i++)
		assert_int_equal(e[i], 0); /* the other three entries are empty */
	assert_int_equal(mbr[510], 0x55);
	assert_int_equal(mbr[511], 0xAA);

	uint8_t *h = ib_xmalloc(ss);
	assert_int_equal(ib_pread_all(fd, h, ss, ss), 0);
	assert_memory_equal(h, "EFI PART", 8);
	assert_int_equal(ib_get_le64(h + 24), 1);
	assert_int_equal(ib_get_le64(h + 32), sectors - 1);
	assert_int_equal(ib_get_le64(h + 40), ss == 512 ? 34 : 6);
	assert_int_equal(ib_get_le64(h + 48), sectors - 2 - array);
	assert_int_equal(ib_get_le64(h + 72), 2);

	assert_int_equal(ib_pread_all(fd, h, ss, (sectors - 1) * ss), 0);
	assert_memory_equal(h, "EFI PART", 8);
	assert_int_equal(ib_get_le64(h + 24), sectors - 1);
	assert_int_equal(ib_get_le64(h + 32), 1);
	assert_int_equal(ib_get_le64(h + 72), sectors - 1 - array);
	free(h);
}

static void write_check_one(struct ut_diskfx *f, uint64_t bytes, uint32_t ss)
{
	char name[64];
	snprintf(name, sizeof(name), "disk-%" PRIu64 "-%" PRIu32 ".img", bytes, ss);
	print_message("  disk of %" PRIu64 " bytes, %" PRIu32 "-byte sectors\n", bytes, ss);
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, name, bytes, &path);
	struct ib_ptable *t = ib_xmalloc(sizeof(*t)), *back = ib_xmalloc(sizeof(*back));
	build_table(t, bytes, ss);
	struct ib_error err = { 0 };
	if (ib_gpt_write(fd, t, &err) < 0)
		print_error("ib_gpt_write: %s\n", err.msg);
	assert_int_equal(err.exit_code, 0);

	check_layout(fd, t);
	assert_int_equal(ib_ptable_read(fd, bytes, ss, back, &err), 0);
	assert_same_table(back, t);
	/* Sector size 0: found by probing for the header. */
	assert_int_equal(ib_ptable_read(fd, bytes, 0, back, &err), 0);
	assert_same_table(back, t);
	close(fd);

	check_peers(f, path, t);
	unlink(path);
	free(t);
	free(back);
}

static void test_write_read_512(void **state)
{
	struct ut_diskfx *f = *state;
	write_check_one(f, 64 * MiB, 512);
	write_check_one(f, 3 * GiB + 7 * 512, 512); /* the end is not MiB-aligned */
	write_check_one(f, 3 * TiB, 512);           /* more than 2^32 sectors: PMBR size capped */
}

static void test_write_read_4096(void **state)
{
	struct ut_diskfx *f = *state;
	write_check_one(f, 64 * MiB, 4096);
	write_check_one(f, 5 * GiB + 3 * 4096, 4096);
}

static void flip_byte(int fd, uint64_t off)
{
	uint8_t b;
	assert_int_equal(ib_pread_all(fd, &b, 1, off), 0);
	b ^= 0x01;
	assert_int_equal(ib_pwrite_all(fd, &b, 1, off), 0);
}

static void expect_read_error(int fd, const struct ib_ptable *t, const char *want1, const char *want2)
{
	struct ib_ptable *back = ib_xmalloc(sizeof(*back));
	struct ib_error err = { 0 };
	assert_int_equal(ib_ptable_read(fd, t->disk_bytes, t->sector_size, back, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_non_null(err.msg);
	assert_contains(err.msg, want1);
	assert_contains(err.msg, want2);
	ib_error_clear(&err);
	free(back);
}

static void corrupt_one(const struct ut_diskfx *f, uint32_t ss)
{
	uint64_t bytes = 64 * MiB, sectors = bytes / ss;
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, "corrupt.img", bytes, &path);
	struct ib_ptable *t = ib_xmalloc(sizeof(*t));
	build_table(t, bytes, ss);
	struct ib_error err = { 0 };
	assert_int_equal(ib_gpt_write(fd, t, &err), 0);
	char want[128], want2[128];

	/* A byte inside the primary header (its first-usable-LBA field). */
	flip_byte(fd, ss + 40);
	snprintf(want, sizeof(want), "GPT header at byte %" PRIu32 ": header CRC32 is 0x", ss);
	expect_read_error(fd, t, want, ", expected 0x");
	flip_byte(fd, ss + 40);

	/* Its signature. */
	flip_byte(fd, ss + 3);
	snprintf(want, sizeof(want), "GPT header at byte %" PRIu32 ": signature", ss);
	expect_read_error(fd, t, want, "expected \"EFI PART\"");
	flip_byte(fd, ss + 3);

	/* A byte of the second entry's name in the primary array. */
	flip_byte(fd, 2 * ss + 128 + 60);
	snprintf(want, sizeof(want), "GPT entry array at byte %" PRIu32 ": CRC32 is 0x", 2 * ss);
	expect_read_error(fd, t, want, "header at byte");
	flip_byte(fd, 2 * ss + 128 + 60);

	/* The backup header and the backup array. */
	uint64_t boff = (sectors - 1) * ss;
	flip_byte(fd, boff + 60);
	snprintf(want, sizeof(want), "GPT backup header at byte %" PRIu64 ": header CRC32", boff);
	expect_read_error(fd, t, want, "expected");
	flip_byte(fd, boff + 60);
	uint64_t baoff = (sectors - 1 - 16384 / ss) * ss;
	flip_byte(fd, baoff + 5);
	snprintf(want, sizeof(want), "GPT entry array at byte %" PRIu64 ": CRC32", baoff);
	snprintf(want2, sizeof(want2), "the header at byte %" PRIu64 " expects 0x", boff);
	expect_read_error(fd, t, want, want2);
	flip_byte(fd, baoff + 5);

	/* The boot signature. */
	flip_byte(fd, 511);
	expect_read_error(fd, t, "at byte 510", "expected 0x55AA");
	flip_byte(fd, 511);

	/* The image grew: the backup header is no longer at the last LBA. */
	assert_int_equal(ftruncate(fd, (off_t)(bytes + MiB)), 0);
	struct ib_ptable *back = ib_xmalloc(sizeof(*back));
	assert_int_equal(ib_ptable_read(fd, bytes + MiB, ss, back, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "alternate header LBA");
	ib_error_clear(&err);
	assert_int_equal(ftruncate(fd, (off_t)bytes), 0);

	/* Everything restored: it reads again. */
	assert_int_equal(ib_ptable_read(fd, bytes, ss, back, &err), 0);
	assert_same_table(back, t);
	free(back);
	free(t);
	close(fd);
}

static void test_corruption_names_offset(void **state)
{
	corrupt_one(*state, 512);
	corrupt_one(*state, 4096);
}

static void test_not_an_image(void **state)
{
	struct ut_diskfx *f = *state;
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, "blank.img", 1 * MiB, &path);
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t));
	t->disk_bytes = MiB;
	t->sector_size = 512;
	expect_read_error(fd, t, "at byte 510", "0x0000, expected 0x55AA");
	t->disk_bytes = 100;
	expect_read_error(fd, t, "at byte 510", "only 100 bytes");
	free(t);
	close(fd);
}

/* Bad input is refused before anything is written. */
static void expect_write_refused(int fd, const struct ib_ptable *t, const char *want)
{
	struct ib_error err = { 0 };
	assert_int_equal(ib_gpt_write(fd, t, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, want);
	ib_error_clear(&err);
	uint8_t buf[1024], zero[1024] = { 0 };
	assert_int_equal(ib_pread_all(fd, buf, sizeof(buf), 0), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
}

static void test_write_refuses(void **state)
{
	struct ut_diskfx *f = *state;
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, "refuse.img", 64 * MiB, &path);
	struct ib_ptable *t = ib_xmalloc(sizeof(*t));

	/* Names: 36 UTF-16 units fit, 37 do not; a non-BMP character takes two. */
	build_table(t, 64 * MiB, 512);
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "123456789012345678901234567890123456");
	struct ib_error err = { 0 };
	assert_int_equal(ib_gpt_write(fd, t, &err), 0);
	struct ib_ptable *back = ib_xmalloc(sizeof(*back));
	assert_int_equal(ib_ptable_read(fd, 64 * MiB, 512, back, &err), 0);
	assert_string_equal(back->entries[0].name, t->entries[0].name);
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "1234567890123456789012345678901234😀");
	assert_int_equal(ib_gpt_write(fd, t, &err), 0);
	assert_int_equal(ib_ptable_read(fd, 64 * MiB, 512, back, &err), 0);
	assert_string_equal(back->entries[0].name, t->entries[0].name);
	free(back);
	assert_int_equal(ftruncate(fd, 0), 0); /* zero again, for the checks below */
	assert_int_equal(ftruncate(fd, (off_t)(64 * MiB)), 0);

	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "1234567890123456789012345678901234567");
	expect_write_refused(fd, t, "36 UTF-16 code units");
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "12345678901234567890123456789012345😀");
	expect_write_refused(fd, t, "36 UTF-16 code units");
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "bad \xC3\x28");
	expect_write_refused(fd, t, "not valid UTF-8");
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "overlong \xC0\xAF");
	expect_write_refused(fd, t, "not valid UTF-8");
	snprintf(t->entries[0].name, sizeof(t->entries[0].name), "%s", "surrogate \xED\xA0\x80");
	expect_write_refused(fd, t, "not valid UTF-8");

	build_table(t, 64 * MiB, 512);
	t->entries[1].first_lba = t->entries[0].last_lba; /* one shared sector */
	expect_write_refused(fd, t, "partitions 1 and 2 overlap");

	build_table(t, 64 * MiB, 512);
	t->entries[3].last_lba++;
	expect_write_refused(fd, t, "partition 4: sectors");

	build_table(t, 64 * MiB, 512);
	t->entries[0].first_lba = 33;
	expect_write_refused(fd, t, "usable 34-");

	build_table(t, 64 * MiB, 512);
	memset(&t->entries[2].type_guid, 0, sizeof(t->entries[2].type_guid));
	expect_write_refused(fd, t, "partition 3: the type GUID is all zeros");

	build_table(t, 64 * MiB, 512);
	t->entries[2].part_guid = t->entries[1].part_guid;
	expect_write_refused(fd, t, "same partition GUID");

	build_table(t, 64 * MiB, 512);
	t->sector_size = 1024;
	expect_write_refused(fd, t, "sector size 1024");

	free(t);
	close(fd);
}

static void test_write_stops_at_first_failure(void **state)
{
	struct ut_diskfx *f = *state;
	_cleanup_free_ char *path = NULL;
	int fd = ut_diskfx_image(f, "ro.img", 64 * MiB, &path);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct ib_ptable *t = ib_xmalloc(sizeof(*t));
	build_table(t, 64 * MiB, 512);
	struct ib_error err = { 0 };
	assert_int_equal(ib_gpt_write(fd, t, &err), -1);
	/* The backup array is written first; the message names it. */
	assert_contains(err.msg, "backup entry array at byte");
	ib_error_clear(&err);
	free(t);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_read_512, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read_4096, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corruption_names_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_stops_at_first_failure, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
