// SPDX-License-Identifier: GPL-2.0-or-later
/* The recipe parser: good recipes give the expected values; every
 * tests/recipes/fail-*.yml gives, as its first error, the location and
 * message its first line announces ("# expect: LINE:COL substring", the
 * substring found in the message or its hint); --set overrides; all errors
 * of a file come out in one run. Recipes are found under $IMGBUILD_SRCDIR
 * (default: the current directory). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "recipe/recipe.h"
#include "core/size.h"
#include "core/util.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static char *recipe_path(const char *name)
{
	const char *src = getenv("IMGBUILD_SRCDIR");
	return ib_xasprintf("%s/tests/recipes/%s", src && *src ? src : ".", name);
}

/* Load, and on failure print the diagnostics so the test log says why. */
static struct ib_recipe *load(const char *name, const char *const *sets, size_t nsets, struct ib_diags *d)
{
	char *path = recipe_path(name);
	struct ib_recipe *r = ib_recipe_load(path, sets, nsets, d);
	if (!r)
		ib_diags_print(d, stderr);
	free(path);
	return r;
}

static void assert_loc(const struct ib_loc *l, unsigned line, unsigned col)
{
	assert_non_null(l->file);
	assert_int_equal(l->line, line);
	assert_int_equal(l->col, col);
}

/* ---- good recipes ---- */

static void test_ok_reference(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-reference.yml", NULL, 0, &d);
	assert_non_null(r);
	assert_int_equal(ib_diags_errors(&d), 0);
	assert_int_equal(r->version, 1);
	assert_string_equal(r->name, "win-virtio");
	assert_null(r->base);
	assert_true(strstr(r->path, "tests/recipes/ok-reference.yml") != NULL);
	assert_true(strlen(r->dir) + strlen("/ok-reference.yml") == strlen(r->path));
	assert_int_equal(r->text_len, strlen(r->text));
	assert_non_null(strstr(r->text, "name: win-virtio"));

	const struct ib_disk_spec *dk = &r->disk;
	assert_true(dk->size == 8 * GiB);
	assert_int_equal(dk->table, IB_TABLE_GPT);
	assert_int_equal(dk->sector_size, 512);
	assert_true(dk->align == MiB);
	assert_int_equal(dk->nparts, 3);
	assert_loc(&dk->size_loc, 6, 9);

	const struct ib_partition_spec *esp = &dk->parts[0];
	assert_string_equal(esp->name, "esp");
	assert_string_equal(esp->type, "esp");
	assert_true(esp->size == 260 * MiB);
	assert_false(esp->size_rest);
	assert_int_equal(esp->fs.type, IB_FS_FAT32);
	assert_string_equal(esp->fs.label, "SYSTEM");
	assert_int_equal(esp->fs.cluster_size, 0);
	assert_int_equal(esp->nfiles, 1);
	assert_string_equal(esp->files[0].src, "payload/efi");
	assert_string_equal(esp->files[0].dst, "/EFI");
	assert_loc(&esp->loc, 11, 7);
	assert_loc(&esp->name_loc, 11, 13);
	assert_loc(&esp->size_loc, 13, 13);
	assert_loc(&esp->fs.type_loc, 14, 19);
	assert_loc(&esp->files[0].dst_loc, 16, 36);
	assert_false(esp->has_windows);

	const struct ib_partition_spec *msr = &dk->parts[1];
	assert_string_equal(msr->type, "msr");
	assert_int_equal(msr->fs.type, IB_FS_NONE);
	assert_int_equal(msr->nfiles, 0);

	const struct ib_partition_spec *win = &dk->parts[2];
	assert_true(win->size_rest);
	assert_int_equal(win->fs.type, IB_FS_NTFS);
	assert_string_equal(win->fs.label, "Windows");
	assert_int_equal(win->fs.cluster_size, 4096);

	assert_int_equal(r->noutputs, 3);
	assert_int_equal(r->outputs[0].format, IB_OUT_QCOW2);
	assert_null(r->outputs[0].subformat);
	assert_int_equal(r->outputs[1].format, IB_OUT_VMDK);
	assert_string_equal(r->outputs[1].subformat, "streamOptimized");
	assert_string_equal(r->outputs[1].adapter, "lsilogic");
	assert_int_equal(r->outputs[2].format, IB_OUT_VHDX);
	assert_string_equal(r->outputs[2].subformat, "dynamic"); /* the default */
	assert_null(r->outputs[2].adapter);

	assert_true(r->reproducible);
	assert_true(r->epoch == 1700000000);
	assert_string_equal(r->seed, "any string");
	ib_recipe_free(r);
	ib_diags_free(&d);
}

static void test_ok_mbr(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-mbr.yml", NULL, 0, &d);
	assert_non_null(r);
	assert_string_equal(r->name, "legacy-bios.v2");
	assert_int_equal(r->disk.table, IB_TABLE_MBR);
	assert_int_equal(r->disk.sector_size, 4096);
	assert_true(r->disk.align == 4 * MiB);
	assert_int_equal(r->disk.nparts, 4);
	const struct ib_partition_spec *p = r->disk.parts;
	assert_true(p[0].bootable);
	assert_string_equal(p[0].type, "0x0e"); /* default for fat16 on MBR */
	assert_string_equal(p[0].fs.label, "boot"); /* stored upper-case by mkfs.fat, not here */
	assert_int_equal(p[0].fs.cluster_size, 4096);
	assert_int_equal(p[0].nfiles, 2);
	assert_string_equal(p[0].files[0].dst, "/boot/");
	assert_string_equal(p[0].files[1].src, "/abs/path/file.txt");
	assert_string_equal(p[0].files[1].dst, "/");
	assert_string_equal(p[1].type, "0x27"); /* "39" in the file: bytes are normalised */
	assert_false(p[1].bootable);
	assert_int_equal(p[1].fs.cluster_size, 4096); /* a YAML integer is bytes */
	assert_string_equal(p[2].type, "0x07");       /* default for ntfs */
	assert_string_equal(p[2].fs.label, "Données et archives");
	assert_null(p[3].name);
	assert_string_equal(p[3].type, "0x83"); /* default without a filesystem */
	assert_int_equal(p[3].fs.type, IB_FS_NONE);
	assert_int_equal(r->noutputs, 3);
	assert_string_equal(r->outputs[0].subformat, "monolithicSparse");
	assert_string_equal(r->outputs[1].subformat, "fixed");
	assert_int_equal(r->outputs[1].format, IB_OUT_VPC);
	assert_null(r->outputs[2].subformat);
	assert_false(r->reproducible);
	ib_recipe_free(r);
	ib_diags_free(&d);
}

static void test_ok_minimal(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-minimal.yml", NULL, 0, &d);
	assert_non_null(r);
	assert_int_equal(r->disk.table, IB_TABLE_GPT);
	assert_int_equal(r->disk.sector_size, 512);
	assert_true(r->disk.align == MiB);
	assert_loc(&r->disk.table_loc, r->disk.loc.line, r->disk.loc.col); /* defaults point at their mapping */
	assert_string_equal(r->disk.parts[0].type, "basic-data");
	assert_null(r->disk.parts[0].name);
	assert_true(r->disk.parts[0].size_rest);
	assert_null(r->seed);
	ib_recipe_free(r);
	ib_diags_free(&d);
}

/* ---- --set ---- */

static void test_sets(void **state)
{
	(void)state;
	const char *sets[] = {
		"name=override",
		"disk.size=16GiB",
		"disk.partitions.2.size=1GiB",
		"disk.partitions.0.fs={type: fat16, label: EFI}",
		"disk.partitions.1.name=reserved",
		"reproducible.seed=other seed",
		"outputs=[{format: raw}, {format: vmdk, adapter: ide}]",
	};
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-reference.yml", sets, IB_ARRAY_SIZE(sets), &d);
	assert_non_null(r);
	assert_string_equal(r->name, "override");
	assert_true(r->disk.size == 16 * GiB);
	assert_true(r->disk.parts[2].size == GiB);
	assert_false(r->disk.parts[2].size_rest);
	assert_int_equal(r->disk.parts[0].fs.type, IB_FS_FAT16);
	assert_string_equal(r->disk.parts[0].fs.label, "EFI");
	assert_string_equal(r->disk.parts[1].name, "reserved");
	assert_string_equal(r->seed, "other seed");
	assert_int_equal(r->noutputs, 2);
	assert_string_equal(r->outputs[1].adapter, "ide");
	/* Values that came from --set say so in their location. */
	assert_string_equal(r->disk.size_loc.file, "--set");
	assert_int_equal(r->disk.size_loc.line, 0);
	/* Untouched values keep theirs. */
	assert_loc(&r->disk.parts[0].size_loc, 13, 13);
	ib_recipe_free(r);
	ib_diags_free(&d);

	/* A key the file lacks is added, a missing mapping created. */
	const char *add[] = { "reproducible.epoch=5", "reproducible.seed=s", "disk.table=mbr",
			      "disk.partitions.1.type=0x0c" };
	d = (struct ib_diags){ 0 };
	r = load("ok-minimal.yml", add, 3, &d);
	assert_non_null(r);
	assert_true(r->reproducible);
	assert_true(r->epoch == 5);
	assert_int_equal(r->disk.table, IB_TABLE_MBR);
	assert_string_equal(r->disk.parts[0].type, "0x83");
	ib_recipe_free(r);
	ib_diags_free(&d);
}

static void test_sets_bad(void **state)
{
	(void)state;
	const char *sets[] = {
		"nokey",                        /* 1 */
		"disk.partitions.7.size=1GiB",  /* 2 */
		"disk..size=1GiB",              /* 3 */
		"disk.size=8XB",                /* 4: reported by the schema walk */
		"name.first=x",                 /* 5 */
		"outputs=[{format: raw}",       /* 6 */
		"disk.partitions.x.size=1GiB",  /* 7 */
	};
	struct ib_diags d = { 0 };
	char *path = recipe_path("ok-reference.yml");
	struct ib_recipe *r = ib_recipe_load(path, sets, IB_ARRAY_SIZE(sets), &d);
	free(path);
	assert_null(r);
	static const char *const want[] = {
		"'nokey': expected KEY=VALUE",
		"'disk.partitions.7.size=1GiB': item 7 does not exist: the sequence has 3 items",
		"'disk..size=1GiB': empty part in the key",
		"'name.first=x': cannot set 'first' inside a scalar value",
		"'outputs=[{format: raw}': YAML syntax error",
		"'disk.partitions.x.size=1GiB': 'x' is not an item number",
		"'disk.size=8XB': bad size '8XB' for 'size': unknown unit",
	};
	assert_int_equal(ib_diags_errors(&d), IB_ARRAY_SIZE(want));
	for (size_t i = 0; i < IB_ARRAY_SIZE(want); i++) {
		const struct ib_diag *g = &d.list.v[i];
		assert_string_equal(g->loc.file, "--set");
		assert_int_equal(g->loc.line, 0);
		if (!strstr(g->msg, want[i]))
			fail_msg("diag %zu: '%s' lacks '%s'", i, g->msg, want[i]);
	}
	ib_diags_free(&d);
}

/* ---- bad recipes ---- */

struct expect {
	unsigned line, col;
	char text[256];
};

/* "# expect: 12:15 layout larger than the disk" */
static int parse_expect(const char *line, struct expect *e)
{
	int n = 0;
	if (sscanf(line, "# expect: %u:%u %n", &e->line, &e->col, &n) != 2 || !n)
		return -1;
	snprintf(e->text, sizeof(e->text), "%s", line + n);
	e->text[strcspn(e->text, "\r\n")] = '\0';
	return e->text[0] ? 0 : -1;
}

static bool diag_says(const struct ib_diag *g, const char *text)
{
	return strstr(g->msg, text) || (g->hint && strstr(g->hint, text));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks one fail-*.yml; returns a description of the mismatch or NULL. */
static char *check_fail_file(const char *dir, const char *name)
{
	char *path = ib_xasprintf("%s/%s", dir, name);
	char first[512] = "";
	FILE *f = fopen(path, "r");
	if (!f || !fgets(first, sizeof(first), f)) {
		if (f)
			fclose(f);
		char *m = ib_xasprintf("%s: cannot read", name);
		free(path);
		return m;
	}
	fclose(f);
	struct expect e;
	if (parse_expect(first, &e) < 0) {
		free(path);
		return ib_xasprintf("%s: first line is not '# expect: LINE:COL text'", name);
	}
	struct ib_diags d = { 0 };
	/* Loading validates the recipe alone; the layout and whether each
	 * filesystem fits is the planner's, as in every command. */
	struct ib_recipe *r = ib_recipe_load(path, NULL, 0, &d);
	struct ib_plan *p = r ? ib_plan_make(r, "out", &d) : NULL;
	char *bad = NULL;
	const struct ib_diag *g = d.list.n ? &d.list.v[0] : NULL;
	if (p)
		bad = ib_xasprintf("%s: loaded and planned without error", name);
	else if (ib_diags_errors(&d) == 0 || !g || g->sev != IB_SEV_ERROR)
		bad = ib_xasprintf("%s: no error reported first", name);
	else if (!g->loc.file || strcmp(g->loc.file, path))
		bad = ib_xasprintf("%s: error names file '%s'", name, g->loc.file ? g->loc.file : "(null)");
	else if (g->loc.line != e.line || g->loc.col != e.col || !diag_says(g, e.text))
		bad = ib_xasprintf("%s: expected %u:%u '%s', got %u:%u '%s' (hint: %s)", name, e.line, e.col, e.text,
				   g->loc.line, g->loc.col, g->msg, g->hint ? g->hint : "-");
	else if (g->loc.line == 1)
		bad = ib_xasprintf("%s: error at line 1, which is the expectation comment", name);
	else if (!d.src_text || !d.src_file || strcmp(d.src_file, path))
		bad = ib_xasprintf("%s: diagnostics lack the source text", name);
	ib_plan_free(p);
	ib_recipe_free(r);
	ib_diags_free(&d);
	free(path);
	return bad;
}

static void test_fail_recipes(void **state)
{
	(void)state;
	char *dir = recipe_path("");
	DIR *dp = opendir(dir);
	if (!dp) {
		print_error("cannot open %s (set IMGBUILD_SRCDIR to the source tree)\n", dir);
		free(dir);
		fail();
	}
	IB_VEC(char *) names = { 0 };
	struct dirent *de;
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);
		if (!strncmp(de->d_name, "fail-", 5) && n > 4 && !strcmp(de->d_name + n - 4, ".yml"))
			IB_VEC_PUSH(names, ib_xstrdup(de->d_name));
	}
	closedir(dp);
	qsort(names.v, names.n, sizeof(*names.v), cmp_names);
	size_t failures = 0;
	for (size_t i = 0; i < names.n; i++) {
		char *bad = check_fail_file(dir, names.v[i]);
		if (bad) {
			print_error("%s\n", bad);
			failures++;
		}
		free(bad);
		free(names.v[i]);
	}
	size_t total = names.n;
	free(names.v);
	free(dir);
	print_message("%zu fail-*.yml recipes checked\n", total);
	assert_true(total >= 30);
	assert_int_equal(failures, 0);
}

/* Several mistakes in one file: all reported in one run, in order. */
static void test_multi_errors(void **state)
{
	(void)state;
	char *path = recipe_path("multi-errors.yml");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct expect want[16];
	size_t nwant = 0;
	char line[512];
	while (nwant < 16 && fgets(line, sizeof(line), f))
		if (parse_expect(line, &want[nwant]) == 0)
			nwant++;
	fclose(f);
	assert_true(nwant >= 5);

	struct ib_diags d = { 0 };
	struct ib_recipe *r = ib_recipe_load(path, NULL, 0, &d);
	assert_null(r);
	assert_int_equal(ib_diags_errors(&d), nwant);
	size_t k = 0;
	for (size_t i = 0; i < d.list.n; i++) {
		const struct ib_diag *g = &d.list.v[i];
		if (g->sev != IB_SEV_ERROR)
			continue;
		assert_string_equal(g->loc.file, path);
		if (g->loc.line != want[k].line || g->loc.col != want[k].col || !diag_says(g, want[k].text))
			fail_msg("error %zu: expected %u:%u '%s', got %u:%u '%s'", k, want[k].line, want[k].col,
				 want[k].text, g->loc.line, g->loc.col, g->msg);
		k++;
	}

	/* The printed form: FILE:LINE:COL, the source line, a caret, the hint.
	 * The diagnostics own the text: the recipe is gone by now. */
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem = open_memstream(&out, &outlen);
	ib_diags_print(&d, mem);
	fclose(mem);
	char *head = ib_xasprintf("%s:9:11: error: unsupported recipe format version 3\n", path);
	assert_non_null(strstr(out, head));
	assert_non_null(strstr(out, "    9 | imgbuild: 3\n      |           ^\n"));
	assert_non_null(strstr(out, "hint: did you mean 'sector_size'?"));
	assert_non_null(strstr(out, "note: the first `size: rest` is here"));
	free(head);
	free(out);
	free(path);
	ib_diags_free(&d);
	assert_null(d.src_text);
}

static void test_missing_file(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = ib_recipe_load("/nonexistent/recipe.yml", NULL, 0, &d);
	assert_null(r);
	assert_int_equal(ib_diags_errors(&d), 1);
	assert_string_equal(d.list.v[0].loc.file, "/nonexistent/recipe.yml");
	assert_non_null(strstr(d.list.v[0].msg, "No such file"));
	ib_diags_free(&d);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ib_table_name(IB_TABLE_GPT), "gpt");
	assert_string_equal(ib_table_name(IB_TABLE_MBR), "mbr");
	assert_string_equal(ib_fs_type_name(IB_FS_NONE), "none");
	assert_string_equal(ib_fs_type_name(IB_FS_FAT16), "fat16");
	assert_string_equal(ib_fs_type_name(IB_FS_FAT32), "fat32");
	assert_string_equal(ib_fs_type_name(IB_FS_NTFS), "ntfs");
	const char *fmt[] = { "raw", "qcow2", "vmdk", "vhdx", "vpc" };
	const char *ext[] = { "raw", "qcow2", "vmdk", "vhdx", "vhd" };
	for (int i = IB_OUT_RAW; i <= IB_OUT_VPC; i++) {
		assert_string_equal(ib_out_format_name((enum ib_out_format)i), fmt[i]);
		assert_string_equal(ib_out_format_ext((enum ib_out_format)i), ext[i]);
	}
}

/* ---- windows: and base: ---- */

static void test_ok_windows(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-windows.yml", NULL, 0, &d);
	assert_non_null(r);
	const struct ib_partition_spec *p = &r->disk.parts[0];
	assert_true(p->has_windows);
	assert_false(p->has_use);
	const struct ib_windows_spec *w = &p->windows;
	assert_int_equal(w->ndrivers, 3);
	assert_string_equal(w->drivers[0].path, "drivers/viostor");
	assert_null(w->drivers[0].select);
	assert_false(w->drivers[0].boot_critical);
	assert_loc(&w->drivers[0].path_loc, 12, 13);
	assert_string_equal(w->drivers[1].path, "virtio-win.iso");
	assert_int_equal(w->drivers[1].nselect, 2);
	assert_string_equal(w->drivers[1].select[1], "NetKVM");
	assert_true(w->drivers[2].boot_critical);
	assert_int_equal(w->nguest_tools, 2);
	assert_string_equal(w->guest_tools[0].args, "/qn");
	assert_null(w->guest_tools[1].args);
	assert_int_equal(w->nfirst_boot, 1);
	assert_string_equal(w->first_boot[0], "powercfg /hibernate off");
	assert_int_equal(w->nregistry, 6);
	const struct ib_win_reg_entry *g = w->registry;
	assert_string_equal(g[0].key, "CurrentControlSet\\Control\\CrashControl");
	assert_string_equal(g[0].name, "AutoReboot");
	assert_true(g[0].has_type);
	assert_int_equal(g[0].type, 4); /* REG_DWORD */
	assert_string_equal(g[0].data, "0");
	assert_string_equal(g[1].hive, "HKLM\\SOFTWARE");
	assert_string_equal(g[1].name, "Tags"); /* value: is name: */
	assert_int_equal(g[1].nmulti, 2);
	assert_string_equal(g[1].multi[1], "b");
	assert_true(g[2].del);
	assert_string_equal(g[2].name, "Old");
	assert_true(g[3].del);
	assert_null(g[3].name);
	assert_false(g[4].del);
	assert_null(g[4].name);
	assert_string_equal(g[5].name, "");
	assert_int_equal(w->first_boot_mechanism, IB_FB_SERVICE);
	assert_string_equal(w->service_wrapper, "tools/rhsrvany.exe");
	assert_int_equal(w->max_attempts, 5);
	ib_recipe_free(r);
	ib_diags_free(&d);
}

static void test_ok_base(void **state)
{
	(void)state;
	struct ib_diags d = { 0 };
	struct ib_recipe *r = load("ok-base.yml", NULL, 0, &d);
	assert_non_null(r);
	assert_string_equal(r->base, "images/win10.qcow2");
	assert_loc(&r->base_loc, 4, 7);
	assert_int_equal(r->disk.nparts, 2);
	assert_true(r->disk.parts[0].has_use);
	assert_int_equal(r->disk.parts[0].use, 0); /* auto */
	assert_true(r->disk.parts[0].has_windows);
	assert_int_equal(r->disk.parts[0].windows.ndrivers, 2);
	assert_int_equal(r->disk.parts[1].use, 1);
	assert_string_equal(r->disk.parts[1].name, "esp");
	assert_int_equal(r->disk.parts[1].nfiles, 1);
	ib_recipe_free(r);
	ib_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_reference), cmocka_unit_test(test_ok_mbr),
		cmocka_unit_test(test_ok_minimal),   cmocka_unit_test(test_sets),
		cmocka_unit_test(test_sets_bad),     cmocka_unit_test(test_fail_recipes),
		cmocka_unit_test(test_multi_errors), cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_names),        cmocka_unit_test(test_ok_windows),
		cmocka_unit_test(test_ok_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
