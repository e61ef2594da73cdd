// SPDX-License-Identifier: GPL-2.0-or-later
/* The planner's layout, without root: table-driven recipes (alignment,
 * `rest`, 4K sectors, MBR limits), each layout compared with what the
 * documented rules give (computed here, independently of plan.c), then the
 * table written from the plan to a sparse file and read back by sfdisk,
 * which must see the same partitions. */
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

#include "core/util.h"
#include "plan/plan.h"
#include "ptable/ptable.h"
#include "recipe/recipe.h"
#include "tests/unit/support/disk.h"
#include "tests/unit/support/spawn_capture.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static int setup(void **state) { return ut_diskfx_setup(state, "plan"); }
static int teardown(void **state) { return ut_diskfx_teardown(state); }

/* The plan of a recipe text, or NULL with the first error in *why. */
static struct ib_plan *plan_of(const struct ut_diskfx *f, const char *yaml, struct ib_recipe **rp, char **why)
{
	_cleanup_free_ char *path = ib_path_join(f->dir, "r.yml");
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	struct ib_diags d = {0};
	*rp = ib_recipe_load(path, NULL, 0, &d);
	struct ib_plan *p = *rp ? ib_plan_make(*rp, f->dir, &d) : NULL;
	*why = d.list.n ? ib_xstrdup(d.list.v[0].msg) : NULL;
	ib_diags_free(&d);
	return p;
}

struct want {
	uint64_t start, end; /* LBAs, inclusive */
};

/* Write the plan's table to a sparse file of the disk's size and check
 * sfdisk sees each planned partition at the same sectors. */
static void check_with_sfdisk(struct ut_diskfx *f, const struct ib_plan *p)
{
	if (!ut_have_tool("sfdisk", "the peer check is not run"))
		return;
	_cleanup_free_ char *img = NULL;
	int fd = ut_diskfx_image(f, "disk.img", p->disk_size, &img);
	struct ib_ptable *t = ib_xcalloc(1, sizeof(*t));
	struct ib_error err = {0};
	assert_int_equal(ib_plan_ptable(p, t, &err), 0);
	assert_int_equal(t->gpt ? ib_gpt_write(fd, t, &err) : ib_mbr_write(fd, t, &err), 0);
	close(fd);
	free(t);
	/* sfdisk takes a file's sectors as 512 bytes: 4096-byte sectors are
	 * read through a 4K loop device (root). */
	const char *dev = img;
	if (p->sector_size != 512) {
		if (!ut_have_tool("losetup", "the peer check is not run") ||
		    !ut_loop_attach_4k(&f->loop, img, "sfdisk"))
			return;
		dev = f->loop.dev;
	}
	const char *argv[] = {"sfdisk", "--json", dev, NULL};
	_cleanup_free_ char *json = ut_spawn_capture(argv);
	for (size_t i = 0; i < p->nparts; i++) {
		_cleanup_free_ char *part = ut_sfdisk_part(json, p->parts[i].start_lba);
		char size[64];
		snprintf(size, sizeof size, "\"size\": %" PRIu64, p->parts[i].end_lba - p->parts[i].start_lba + 1);
		if (!strstr(part, size))
			fail_msg("sfdisk sees partition %zu as %s, the plan says %s", i + 1, part, size);
	}
}

static void expect_layout(struct ut_diskfx *f, const char *yaml, const struct want *w, size_t n)
{
	struct ib_recipe *r = NULL;
	_cleanup_free_ char *why = NULL;
	struct ib_plan *p = plan_of(f, yaml, &r, &why);
	if (!p)
		fail_msg("plan refused: %s\n%s", why ? why : "?", yaml);
	assert_int_equal(p->nparts, n);
	for (size_t i = 0; i < n; i++)
		if (p->parts[i].start_lba != w[i].start || p->parts[i].end_lba != w[i].end)
			fail_msg("partition %zu: LBAs %" PRIu64 "-%" PRIu64 ", expected %" PRIu64 "-%" PRIu64, i + 1,
				 p->parts[i].start_lba, p->parts[i].end_lba, w[i].start, w[i].end);
	check_with_sfdisk(f, p);
	ib_plan_free(p);
	ib_recipe_free(r);
}

static void expect_refused(struct ut_diskfx *f, const char *yaml, const char *needle)
{
	struct ib_recipe *r = NULL;
	_cleanup_free_ char *why = NULL;
	struct ib_plan *p = plan_of(f, yaml, &r, &why);
	if (p)
		fail_msg("plan accepted:\n%s", yaml);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("refused with '%s', expected '%s'", why, needle);
	ib_recipe_free(r);
}

/* GPT, 512-byte sectors, 1 MiB alignment: parts start on 2048-sector
 * boundaries; `rest` ends at the last 1 MiB boundary before the backup
 * GPT (33 sectors at the end of the disk), minus one sector. */
static void test_gpt_512(void **state)
{
	struct ut_diskfx *f = *state;
	const uint64_t sectors = 2 * GiB / 512, last_usable = sectors - 34;
	const uint64_t rest_end = (last_usable + 1) / 2048 * 2048 - 1;
	const struct want w[] = {
		{2048, 2048 + 260 * 2048 - 1},
		{2048 + 260 * 2048, 2048 + 276 * 2048 - 1},
		{2048 + 276 * 2048, rest_end},
	};
	expect_layout(f,
		      "imgbuild: 1\nname: t\ndisk:\n  size: 2GiB\n  table: gpt\n  partitions:\n"
		      "    - { type: esp, size: 260MiB }\n    - { type: msr, size: 16MiB }\n"
		      "    - { size: rest }\noutputs: [ { format: raw } ]\n",
		      w, IB_ARRAY_SIZE(w));
}

/* 4096-byte sectors: 1 MiB is 256 sectors; the backup GPT takes 1 + 4
 * sectors (16 KiB of entries). */
static void test_gpt_4k(void **state)
{
	struct ut_diskfx *f = *state;
	const uint64_t sectors = GiB / 4096, last_usable = sectors - 6;
	const struct want w[] = {
		{256, 256 + 100 * 256 - 1},
		{256 + 100 * 256, (last_usable + 1) / 256 * 256 - 1},
	};
	expect_layout(f,
		      "imgbuild: 1\nname: t\ndisk:\n  size: 1GiB\n  table: gpt\n  sector_size: 4096\n  partitions:\n"
		      "    - { size: 100MiB }\n    - { size: rest }\noutputs: [ { format: raw } ]\n",
		      w, IB_ARRAY_SIZE(w));
}

/* A size that is not a multiple of the alignment still starts the next
 * partition on the next boundary; `rest` in the middle takes what the
 * partitions after it leave. */
static void test_rest_in_the_middle(void **state)
{
	struct ut_diskfx *f = *state;
	const uint64_t sectors = 512 * MiB / 512, last_usable = sectors - 34;
	const uint64_t tail_start = (last_usable + 1) / 2048 * 2048 - 10 * 2048;
	const struct want w[] = {
		{2048, 2048 + 2 * 1000 - 1},            /* 1000 KiB */
		{2 * 2048, tail_start - 1},             /* rest, up to the last one */
		{tail_start, tail_start + 10 * 2048 - 1}, /* 10 MiB at the end */
	};
	expect_layout(f,
		      "imgbuild: 1\nname: t\ndisk:\n  size: 512MiB\n  table: gpt\n  partitions:\n"
		      "    - { size: 1000KiB }\n    - { size: rest }\n    - { size: 10MiB }\noutputs: [ { format: raw } ]\n",
		      w, IB_ARRAY_SIZE(w));
}

/* MBR: no backup table, so `rest` runs to the last boundary of the disk. */
static void test_mbr(void **state)
{
	struct ut_diskfx *f = *state;
	const struct want w[] = {
		{2048, 2048 + 64 * 2048 - 1},
		{65 * 2048, 256 * 2048 - 1},
	};
	expect_layout(f,
		      "imgbuild: 1\nname: t\ndisk:\n  size: 256MiB\n  table: mbr\n  partitions:\n"
		      "    - { size: 64MiB, bootable: true }\n    - { size: rest }\noutputs: [ { format: raw } ]\n",
		      w, IB_ARRAY_SIZE(w));
}

/* One computation of the layout: a size that is not a multiple of the
 * alignment is rounded to sectors only, so 1047000 KiB fits a 1 GiB GPT
 * disk (the recipe check once refused it, rounding to 1 MiB). */
static void test_sizes_round_to_sectors(void **state)
{
	struct ut_diskfx *f = *state;
	const struct want w[] = {{2048, 2048 + 2094000 - 1}};
	expect_layout(f,
		      "imgbuild: 1\nname: t\ndisk:\n  size: 1GiB\n  partitions:\n"
		      "    - { size: 1047000KiB, fs: { type: ntfs } }\noutputs: [ { format: raw } ]\n",
		      w, IB_ARRAY_SIZE(w));
}

/* Every default cluster a handler picks is one its own rules accept:
 * within max_cluster (FAT16's default once reached 64 KiB, which mkfs
 * refused only after the image was being written). */
static void test_default_clusters_within_limits(void **state)
{
	(void)state;
	const enum ib_fs_type types[] = {IB_FS_FAT16, IB_FS_FAT32, IB_FS_NTFS};
	for (size_t t = 0; t < IB_ARRAY_SIZE(types); t++) {
		const struct ib_fs_ops *o = ib_fs_ops_of(types[t]);
		assert_non_null(o);
		for (uint64_t size = MiB; size <= (UINT64_C(1) << 44); size *= 2)
			for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
				uint64_t cs = o->default_cluster(size, ss);
				if (cs < ss || cs > o->max_cluster || (cs & (cs - 1)))
					fail_msg("%s: default cluster %" PRIu64 " for %" PRIu64 " bytes, %u-byte sectors",
						 o->name, cs, size, ss);
			}
	}
}

static void test_refusals(void **state)
{
	struct ut_diskfx *f = *state;
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 64MiB\n  table: mbr\n  partitions:\n"
		       "    - { size: 1MiB }\n    - { size: 1MiB }\n    - { size: 1MiB }\n    - { size: 1MiB }\n"
		       "    - { size: 1MiB }\noutputs: [ { format: raw } ]\n",
		       "at most 4 partitions");
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 64MiB\n  table: gpt\n  partitions:\n"
		       "    - { size: 100MiB }\noutputs: [ { format: raw } ]\n",
		       "layout larger than the disk");
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 64MiB\n  table: gpt\n  partitions:\n"
		       "    - { size: rest }\n    - { size: rest }\noutputs: [ { format: raw } ]\n",
		       "rest");
	/* Filesystems that do not fit: refused by the plan, before any write. */
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 4GiB\n  partitions:\n"
		       "    - { size: 3GiB, fs: { type: fat16 } }\noutputs: [ { format: raw } ]\n",
		       "partition too large for fat16");
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 1GiB\n  partitions:\n"
		       "    - { size: 20MiB, fs: { type: fat32 } }\noutputs: [ { format: raw } ]\n",
		       "partition too small for its filesystem");
	expect_refused(f,
		       "imgbuild: 1\nname: t\ndisk:\n  size: 1GiB\n  partitions:\n"
		       "    - { size: 100MiB, fs: { type: fat32, cluster_size: 64KiB } }\noutputs: [ { format: raw } ]\n",
		       "out of range for FAT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_gpt_512, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpt_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rest_in_the_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mbr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sizes_round_to_sectors, setup, teardown),
		cmocka_unit_test(test_default_clusters_within_limits),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
