// SPDX-License-Identifier: GPL-2.0-or-later
/* The illumos CTF reader and the FUSE struct-layout check.
 *
 * The CTF used here is SYNTHETIC: tests/ctf/mkctf.c writes CTF version 2
 * containers in the illumos layout (no illumos tools exist on Debian). The
 * struct vnode layouts are computed from the illumos-gate and illumos-joyent
 * header excerpts in tests/ctf and checked against the offsets table of the
 * research notes before anything else uses them. ELF files are made with
 * objcopy (skipped with a reason when it is missing). Malformed data must
 * fail with exit code 2 and the byte offset, and never crash under ASan. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <cmocka.h>

#include "platform/illumos/ctf.h"
#include "core/error.h"
#include "core/spawn.h"
#include "core/util.h"

#include "tests/unit/support/check.h"
#include "tests/unit/support/fixtures.h"
#include "tests/unit/support/tmpdir.h"

#include "tests/ctf/mkctf.c"

/* struct vnode, LP64, from the table in research/illumos-fuse-lofi.md §3. */
struct want {
	const char *name;
	unsigned off;
};
static const struct want gate_table[] = {
	{ "v_lock", 0x00 }, { "v_flag", 0x08 }, { "v_count", 0x0c }, { "v_data", 0x10 },
	{ "v_vfsp", 0x18 }, { "v_stream", 0x20 }, { "v_type", 0x28 }, { "v_rdev", 0x30 },
	{ "v_vfsmountedhere", 0x38 }, { "v_op", 0x40 }, { "v_pages", 0x48 }, { "v_filocks", 0x50 },
	{ "v_shrlocks", 0x58 }, { "v_nbllock", 0x60 }, { "v_cv", 0x68 }, { "v_locality", 0x70 },
	{ "v_femhead", 0x78 }, { "v_path", 0x80 }, { "v_path_stamp", 0x88 }, { "v_rdcnt", 0x90 },
	{ "v_wrcnt", 0x94 }, { "v_mmap_read", 0x98 }, { "v_mmap_write", 0xa0 }, { "v_mpssdata", 0xa8 },
	{ "v_fopdata", 0xb0 }, { "v_vsd_lock", 0xb8 }, { "v_vsd", 0xc0 }, { "v_xattrdir", 0xc8 },
	{ "v_count_dnlc", 0xd0 },
};
static const struct want joyent_table[] = {
	{ "v_lock", 0x00 }, { "v_flag", 0x08 }, { "v_count", 0x0c }, { "v_phantom_count", 0x10 },
	{ "v_data", 0x18 }, { "v_vfsp", 0x20 }, { "v_stream", 0x28 }, { "v_type", 0x30 },
	{ "v_rdev", 0x38 }, { "v_vfsmountedhere", 0x40 }, { "v_op", 0x48 }, { "v_pages", 0x50 },
	{ "v_filocks", 0x58 }, { "v_shrlocks", 0x60 }, { "v_nbllock", 0x68 }, { "v_cv", 0x70 },
	{ "v_locality", 0x78 }, { "v_femhead", 0x80 }, { "v_path", 0x88 }, { "v_path_stamp", 0x90 },
	{ "v_rdcnt", 0x98 }, { "v_wrcnt", 0x9c }, { "v_mmap_read", 0xa0 }, { "v_mmap_write", 0xa8 },
	{ "v_mpssdata", 0xb0 }, { "v_fopdata", 0xb8 }, { "v_vsd_lock", 0xc0 }, { "v_vsd", 0xc8 },
	{ "v_xattrdir", 0xd0 }, { "v_count_dnlc", 0xd8 },
};

static char ctfdir[PATH_MAX];
static char tmpdir[PATH_MAX];
static struct vn_layout gate, joyent;
static struct ktypes ktypes; /* genunix's type ids, for children */
static bool have_objcopy;

static int setup_all(void **state)
{
	(void)state;
	/* The struct vnode excerpts are the shared fixtures, read in place. */
	ut_shared_path(ctfdir, sizeof(ctfdir), "illumos");
	char *pg = ib_path_join(ctfdir, "vnode.h.struct-illumos-gate");
	char *pj = ib_path_join(ctfdir, "vnode.h.struct-illumos-joyent");
	int r = vn_parse(pg, &gate) || vn_parse(pj, &joyent);
	free(pg);
	free(pj);
	if (r) {
		fprintf(stderr, "cannot read the vnode excerpts in %s\n", ctfdir);
		return -1;
	}
	if (!ut_tmpdir_into(tmpdir, sizeof(tmpdir), "ctf"))
		return -1;
	char *oc = ib_which("objcopy");
	have_objcopy = oc != NULL;
	free(oc);
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	ib_rm_rf(tmpdir);
	return 0;
}

static bool skip_without_objcopy(void)
{
	if (have_objcopy)
		return false;
	printf("SKIP: objcopy not found (install binutils): ELF cases not run\n");
	return true;
}

/* ---- helpers ---- */

struct blob {
	uint8_t *p;
	size_t n;
};

static struct blob genunix_blob(bool be, bool z)
{
	struct blob b;
	mk_genunix(&gate, be, z, &ktypes, &b.p, &b.n);
	return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* An ELF file holding blob as section sect; returns its malloc'd path. */
static char *make_elf(const char *name, const struct blob *b, const char *sect, bool big_endian)
{
	char *blob = ib_xasprintf("%s/%s.blob", tmpdir, name);
	char *dummy = ib_xasprintf("%s/dummy", tmpdir);
	char *out = ib_xasprintf("%s/%s", tmpdir, name);
	char *add = ib_xasprintf("%s=%s", sect, blob);
	char *flags = ib_xasprintf("%s=readonly", sect);
	write_file(dummy, "x", 1);
	if (b)
		write_file(blob, b->p, b->n);
	const char *argv_add[] = { "objcopy", "-I", "binary", "-O", big_endian ? "elf64-big" : "elf64-little",
				   "--add-section", add, "--set-section-flags", flags, dummy, out, NULL };
	const char *argv_plain[] = { "objcopy", "-I", "binary", "-O", "elf64-little", dummy, out, NULL };
	struct ib_error err = { 0 };
	int r = ib_spawn(b ? argv_add : argv_plain, NULL, NULL, &err);
	if (r)
		print_error("objcopy: %s\n", err.msg);
	assert_int_equal(r, 0);
	ib_error_clear(&err);
	free(blob);
	free(dummy);
	free(add);
	free(flags);
	return out;
}

static void assert_table(const struct ib_ctf_struct *s, const struct want *t, size_t n, uint64_t size)
{
	assert_int_equal(s->size, size);
	assert_int_equal(s->nmembers, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(s->members[i].name, t[i].name);
		if (s->members[i].off_bits != (uint64_t)t[i].off * 8)
			print_error("%s: at bit %llu, want 0x%x\n", t[i].name,
				    (unsigned long long)s->members[i].off_bits, t[i].off);
		assert_int_equal(s->members[i].off_bits, (uint64_t)t[i].off * 8);
	}
}

static const char *member_type(const struct ib_ctf_struct *s, const char *name)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (!strcmp(s->members[i].name, name))
			return s->members[i].type;
	return NULL;
}

/* ---- the layouts the writer is fed ---- */

static void test_layout_from_excerpts(void **state)
{
	(void)state;
	assert_int_equal(gate.n, IB_ARRAY_SIZE(gate_table));
	assert_int_equal(joyent.n, IB_ARRAY_SIZE(joyent_table));
	for (size_t i = 0; i < gate.n; i++) {
		assert_string_equal(gate.m[i].name, gate_table[i].name);
		assert_int_equal(gate.m[i].off, gate_table[i].off);
	}
	for (size_t i = 0; i < joyent.n; i++) {
		assert_string_equal(joyent.m[i].name, joyent_table[i].name);
		assert_int_equal(joyent.m[i].off, joyent_table[i].off);
	}
	assert_int_equal(gate.size, 216);
	assert_int_equal(joyent.size, 224);
}

/* ---- reading ---- */

static void check_genunix(struct ib_ctf *c)
{
	struct ib_error err = { 0 };
	struct ib_ctf_struct s;
	assert_int_equal(ib_ctf_find_struct(c, "vnode", &s, &err), 0);
	assert_table(&s, gate_table, IB_ARRAY_SIZE(gate_table), 216);
	assert_false(s.from_parent);
	assert_string_equal(s.name, "vnode");
	assert_string_equal(member_type(&s, "v_lock"), "kmutex_t");
	assert_string_equal(member_type(&s, "v_flag"), "uint_t");
	assert_string_equal(member_type(&s, "v_data"), "void *");
	assert_string_equal(member_type(&s, "v_vfsp"), "struct vfs *");
	assert_string_equal(member_type(&s, "v_stream"), "struct stdata *");
	assert_string_equal(member_type(&s, "v_type"), "enum vtype");
	assert_string_equal(member_type(&s, "v_rdev"), "dev_t");
	assert_string_equal(member_type(&s, "v_nbllock"), "krwlock_t");
	assert_string_equal(member_type(&s, "v_cv"), "kcondvar_t");
	assert_string_equal(member_type(&s, "v_path"), "char *");
	assert_string_equal(member_type(&s, "v_path_stamp"), "hrtime_t");
	assert_string_equal(member_type(&s, "v_mmap_read"), "u_longlong_t");
	assert_string_equal(member_type(&s, "v_xattrdir"), "struct vnode *");
	ib_ctf_struct_free(&s);

	assert_int_equal(ib_ctf_find_struct(c, "vfs", &s, &err), 0);
	assert_int_equal(s.size, 40);
	assert_string_equal(member_type(&s, "vfs_op"), "struct vfsops *");
	ib_ctf_struct_free(&s);
	/* A forward declaration is not a definition. */
	assert_int_equal(ib_ctf_find_struct(c, "stdata", &s, &err), 1);
	assert_int_equal(ib_ctf_find_struct(c, "no_such_struct", &s, &err), 1);

	size_t n;
	const char **names = ib_ctf_struct_names(c, &n);
	const char *want[] = { "_kcondvar", "_krwlock", "ib_big", "ib_huge", "kmutex", "vfs", "vnode" };
	assert_int_equal(n, IB_ARRAY_SIZE(want));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	assert_null(names[n]);
	free(names);
	assert_null(ib_ctf_parent_name(c));
	assert_string_equal(ib_ctf_label(c), "illumos-synthetic-gate");
	assert_null(err.msg);
}

static void test_read_genunix(void **state)
{
	(void)state;
	/* little- and big-endian, plain and zlib-compressed */
	for (int v = 0; v < 4; v++) {
		bool be = v & 1, z = v & 2;
		struct blob b = genunix_blob(be, z);
		struct ib_ctf *c = NULL;
		struct ib_error err = { 0 };
		int r = ib_ctf_open_mem(b.p, b.n, "genunix", &c, &err);
		if (r)
			print_error("%s\n", err.msg);
		assert_int_equal(r, 0);
		assert_int_equal(ib_ctf_is_compressed(c), z);
		check_genunix(c);
		ib_ctf_free(c);
		free(b.p);
	}
}

static void test_long_member_forms(void **state)
{
	(void)state;
	struct blob b = genunix_blob(false, true);
	struct ib_ctf *c = NULL;
	struct ib_error err = { 0 };
	assert_int_equal(ib_ctf_open_mem(b.p, b.n, "genunix", &c, &err), 0);
	struct ib_ctf_struct s;
	assert_int_equal(ib_ctf_find_struct(c, "ib_big", &s, &err), 0);
	assert_int_equal(s.size, 8224);
	assert_int_equal(s.nmembers, 5);
	assert_string_equal(s.members[0].type, "char [8192]");
	assert_string_equal(s.members[1].type, "const char *");
	assert_int_equal(s.members[1].off_bits, 8192 * 8);
	assert_string_equal(s.members[2].type, "volatile uint_t");
	assert_string_equal(s.members[3].type, "int (*)(struct vfs *, struct vnode *)");
	assert_string_equal(s.members[4].name, "b_tail");
	assert_int_equal(s.members[4].off_bits, 8216 * 8);
	ib_ctf_struct_free(&s);
	/* Over 0xfffe bytes: ctt_size 0xffff and the 64-bit size. */
	assert_int_equal(ib_ctf_find_struct(c, "ib_huge", &s, &err), 0);
	assert_int_equal(s.size, 70004);
	assert_int_equal(s.members[1].off_bits, 70000 * 8);
	assert_string_equal(s.members[0].type, "char [70000]");
	ib_ctf_struct_free(&s);
	ib_ctf_free(c);
	free(b.p);
}

static void test_read_fuse_joyent(void **state)
{
	(void)state;
	for (int z = 0; z < 2; z++) {
		struct blob b;
		mk_fuse(&joyent, false, z, &b.p, &b.n);
		struct ib_ctf *c = NULL;
		struct ib_error err = { 0 };
		assert_int_equal(ib_ctf_open_mem(b.p, b.n, "fuse", &c, &err), 0);
		struct ib_ctf_struct s;
		assert_int_equal(ib_ctf_find_struct(c, "vnode", &s, &err), 0);
		assert_table(&s, joyent_table, IB_ARRAY_SIZE(joyent_table), 224);
		assert_string_equal(member_type(&s, "v_phantom_count"), "uint_t");
		ib_ctf_struct_free(&s);
		assert_int_equal(ib_ctf_find_struct(c, "fuse_vnode_data", &s, &err), 0);
		assert_string_equal(s.members[0].type, "struct vnode *");
		ib_ctf_struct_free(&s);
		ib_ctf_free(c);
		free(b.p);
	}
}

static void test_compare(void **state)
{
	(void)state;
	struct blob g = genunix_blob(false, false), f, fg;
	mk_fuse(&joyent, false, true, &f.p, &f.n);
	mk_fuse(&gate, false, false, &fg.p, &fg.n);
	struct ib_ctf *cg, *cf, *cfg;
	struct ib_error err = { 0 };
	assert_int_equal(ib_ctf_open_mem(g.p, g.n, "genunix", &cg, &err), 0);
	assert_int_equal(ib_ctf_open_mem(f.p, f.n, "fuse", &cf, &err), 0);
	assert_int_equal(ib_ctf_open_mem(fg.p, fg.n, "fuse", &cfg, &err), 0);
	struct ib_ctf_struct k, m, mg;
	assert_int_equal(ib_ctf_find_struct(cg, "vnode", &k, &err), 0);
	assert_int_equal(ib_ctf_find_struct(cf, "vnode", &m, &err), 0);
	assert_int_equal(ib_ctf_find_struct(cfg, "vnode", &mg, &err), 0);

	struct ib_buf rep = { 0 };
	assert_int_equal(ib_ctf_compare_struct(&mg, &k, &rep), 0);
	assert_int_equal(rep.len, 0);
	assert_int_equal(ib_ctf_compare_struct(&m, &k, &rep), 1);
	assert_string_equal(rep.s, "built against a struct vnode of 224 bytes (v_type at 0x30, has v_phantom_count); "
				   "the running kernel's is 216 bytes (v_type at 0x28)");
	assert_int_equal(ib_ctf_compare_struct(&m, &k, NULL), 1);
	ib_buf_free(&rep);

	/* Same size, one member moved: still different. */
	mg.members[3].off_bits += 8;
	assert_int_equal(ib_ctf_compare_struct(&mg, &k, &rep), 1);
	assert_contains(rep.s, "v_data at 0x11");
	assert_contains(rep.s, "v_data at 0x10");
	ib_buf_free(&rep);

	ib_ctf_struct_free(&k);
	ib_ctf_struct_free(&m);
	ib_ctf_struct_free(&mg);
	ib_ctf_free(cg);
	ib_ctf_free(cf);
	ib_ctf_free(cfg);
	free(g.p);
	free(f.p);
	free(fg.p);
}

static void test_child(void **state)
{
	(void)state;
	struct blob g = genunix_blob(false, true), own, fwd;
	mk_fuse_child(&ktypes, &joyent, false, &own.p, &own.n);
	mk_fuse_child(&ktypes, NULL, true, &fwd.p, &fwd.n);
	struct ib_ctf *cg, *co, *cw;
	struct ib_error err = { 0 };
	assert_int_equal(ib_ctf_open_mem(g.p, g.n, "genunix", &cg, &err), 0);
	assert_int_equal(ib_ctf_open_mem(own.p, own.n, "fuse", &co, &err), 0);
	assert_int_equal(ib_ctf_open_mem(fwd.p, fwd.n, "fuse", &cw, &err), 0);
	assert_string_equal(ib_ctf_parent_name(co), "genunix");
	assert_string_equal(ib_ctf_parent_label(co), "illumos-synthetic-gate");

	/* Its own vnode refers to genunix's types: without the parent, an error. */
	struct ib_ctf_struct s;
	assert_int_equal(ib_ctf_find_struct(co, "vnode", &s, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "parent container genunix, which was not given");
	assert_contains(err.msg, "at byte");
	ib_error_clear(&err);
	/* The forward-only child has no vnode of its own. */
	assert_int_equal(ib_ctf_find_struct(cw, "vnode", &s, &err), 1);

	/* A parent cannot be set on a parent, nor a child be a parent. */
	assert_int_equal(ib_ctf_set_parent(cg, co, &err), -1);
	ib_error_clear(&err);
	assert_int_equal(ib_ctf_set_parent(co, cw, &err), -1);
	ib_error_clear(&err);

	assert_int_equal(ib_ctf_set_parent(co, cg, &err), 0);
	assert_int_equal(ib_ctf_set_parent(cw, cg, &err), 0);
	assert_int_equal(ib_ctf_find_struct(co, "vnode", &s, &err), 0);
	assert_false(s.from_parent);
	assert_table(&s, joyent_table, IB_ARRAY_SIZE(joyent_table), 224);
	assert_string_equal(member_type(&s, "v_lock"), "kmutex_t");
	assert_string_equal(member_type(&s, "v_type"), "enum vtype");
	assert_string_equal(member_type(&s, "v_vfsp"), "struct vfs *");
	ib_ctf_struct_free(&s);
	/* The forward resolves into the parent's full definition. */
	assert_int_equal(ib_ctf_find_struct(cw, "vnode", &s, &err), 0);
	assert_true(s.from_parent);
	assert_table(&s, gate_table, IB_ARRAY_SIZE(gate_table), 216);
	ib_ctf_struct_free(&s);
	assert_int_equal(ib_ctf_find_struct(cw, "fuse_vnode_data", &s, &err), 0);
	assert_false(s.from_parent);
	assert_string_equal(s.members[0].type, "struct vnode *");
	assert_string_equal(s.members[1].type, "u_longlong_t");
	ib_ctf_struct_free(&s);
	size_t n;
	const char **names = ib_ctf_struct_names(cw, &n);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "fuse_vnode_data");
	free(names);

	ib_ctf_free(co);
	ib_ctf_free(cw);
	ib_ctf_free(cg);
	free(g.p);
	free(own.p);
	free(fwd.p);
}

/* ---- ELF files and the FUSE check ---- */

struct elves {
	char *genunix, *genunix_be, *unix_, *fuse_joyent, *fuse_gate, *fuse_vfs, *child_joyent, *child_gate,
		*child_fwd, *noctf, *gnu, *sunw_gnu, *bad_magic;
};

static void elves_make(struct elves *e)
{
	struct blob g = genunix_blob(false, true), gb = genunix_blob(true, false), u, b;
	e->genunix = make_elf("genunix", &g, ".SUNW_ctf", false);
	e->genunix_be = make_elf("genunix-be", &gb, ".SUNW_ctf", true);
	mk_unix(&ktypes, &u.p, &u.n);
	e->unix_ = make_elf("unix", &u, ".SUNW_ctf", false);
	free(u.p);
	mk_fuse(&joyent, false, false, &b.p, &b.n);
	e->fuse_joyent = make_elf("fuse-joyent", &b, ".SUNW_ctf", false);
	free(b.p);
	mk_fuse(&gate, false, true, &b.p, &b.n);
	e->fuse_gate = make_elf("fuse-gate", &b, ".SUNW_ctf", false);
	free(b.p);
	mk_fuse(&gate, true, false, &b.p, &b.n);
	e->fuse_vfs = make_elf("fuse-vfs", &b, ".SUNW_ctf", false);
	free(b.p);
	mk_fuse_child(&ktypes, &joyent, true, &b.p, &b.n);
	e->child_joyent = make_elf("child-joyent", &b, ".SUNW_ctf", false);
	free(b.p);
	mk_fuse_child(&ktypes, &gate, false, &b.p, &b.n);
	e->child_gate = make_elf("child-gate", &b, ".SUNW_ctf", false);
	free(b.p);
	mk_fuse_child(&ktypes, NULL, false, &b.p, &b.n);
	e->child_fwd = make_elf("child-fwd", &b, ".SUNW_ctf", false);
	free(b.p);
	e->noctf = make_elf("noctf", NULL, NULL, false);
	/* GNU CTF: magic 0xdff2, version 4, in .ctf or (wrongly) in .SUNW_ctf */
	static const uint8_t gnu[] = { 0xf2, 0xdf, 4, 2, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct blob gn = { (uint8_t *)gnu, sizeof(gnu) };
	e->gnu = make_elf("gnu", &gn, ".ctf", false);
	e->sunw_gnu = make_elf("sunw-gnu", &gn, ".SUNW_ctf", false);
	g.p[0] = 0x12;
	e->bad_magic = make_elf("bad-magic", &g, ".SUNW_ctf", false);
	free(g.p);
	free(gb.p);
}

static void elves_free(struct elves *e)
{
	char **v[] = { &e->genunix, &e->genunix_be, &e->unix_, &e->fuse_joyent, &e->fuse_gate, &e->fuse_vfs,
		       &e->child_joyent, &e->child_gate, &e->child_fwd, &e->noctf, &e->gnu, &e->sunw_gnu,
		       &e->bad_magic };
	for (size_t i = 0; i < IB_ARRAY_SIZE(v); i++)
		free(*v[i]);
}

static void test_elf_open(void **state)
{
	(void)state;
	if (skip_without_objcopy())
		return;
	struct elves e;
	elves_make(&e);
	struct ib_error err = { 0 };
	struct ib_ctf *c;
	assert_int_equal(ib_ctf_open_elf(e.genunix, &c, &err), 0);
	assert_true(ib_ctf_is_compressed(c));
	check_genunix(c);
	ib_ctf_free(c);
	assert_int_equal(ib_ctf_open_elf(e.genunix_be, &c, &err), 0);
	check_genunix(c);
	ib_ctf_free(c);

	assert_int_equal(ib_ctf_open_elf(e.noctf, &c, &err), 1);
	assert_null(c);
	assert_null(err.msg);

	assert_int_equal(ib_ctf_open_elf(e.gnu, &c, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "GNU CTF");
	ib_error_clear(&err);
	assert_int_equal(ib_ctf_open_elf(e.sunw_gnu, &c, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "0xdff2 is GNU CTF");
	assert_contains(err.msg, ".SUNW_ctf at byte 0");
	ib_error_clear(&err);

	char *missing = ib_xasprintf("%s/missing", tmpdir);
	assert_int_equal(ib_ctf_open_elf(missing, &c, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	ib_error_clear(&err);
	write_file(missing, "not an ELF file\n", 16);
	assert_int_equal(ib_ctf_open_elf(missing, &c, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "not an ELF file");
	ib_error_clear(&err);
	free(missing);

	/* Real GNU CTF from gcc -gctf, where the compiler supports it. */
	char *src = ib_xasprintf("%s/g.c", tmpdir), *obj = ib_xasprintf("%s/g.o", tmpdir);
	write_file(src, "struct vnode { int v_type; } v;\n", 32);
	const char *cc[] = { "cc", "-gctf", "-c", src, "-o", obj, NULL };
	if (ib_spawn(cc, NULL, NULL, &err) == 0) {
		assert_int_equal(ib_ctf_open_elf(obj, &c, &err), -1);
		assert_int_equal(err.exit_code, IB_EXIT_INPUT);
		assert_contains(err.msg, "GNU CTF");
	} else {
		printf("note: cc -gctf unavailable (%s); the gcc GNU CTF case is not run\n", err.msg);
	}
	ib_error_clear(&err);
	free(src);
	free(obj);
	elves_free(&e);
}

static void test_check_fuse(void **state)
{
	(void)state;
	if (skip_without_objcopy())
		return;
	struct elves e;
	elves_make(&e);
	const char *kernel[] = { e.genunix, e.unix_, NULL };
	struct ib_error err = { 0 };
	struct ib_buf notes = { 0 };

	/* The seed case: OmniOS's module (224 bytes) on a Helios kernel (216). */
	assert_int_equal(ib_ctf_check_fuse(e.fuse_joyent, kernel, &notes, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_contains(err.msg, "fuse module");
	assert_contains(err.msg, "struct vnode of 224 bytes");
	assert_contains(err.msg, "216 bytes");
	assert_contains(err.msg, "v_type at 0x30");
	assert_contains(err.msg, "v_type at 0x28");
	assert_contains(err.msg, "has v_phantom_count");
	assert_contains(err.msg, "built for another illumos distribution; install the package built for this one");
	assert_contains(notes.s, "v_type (enum vtype): module 0x30, kernel 0x28");
	assert_contains(notes.s, "v_phantom_count (uint_t) at 0x10: only in the module");
	ib_error_clear(&err);
	ib_buf_free(&notes);

	/* Built for this kernel: every common struct agrees. */
	assert_int_equal(ib_ctf_check_fuse(e.fuse_gate, kernel, &notes, &err), 0);
	assert_null(err.msg);
	assert_contains(notes.s, "compared 5 structs"); /* kmutex, _krwlock, _kcondvar, vfs, vnode */
	assert_contains(notes.s, "0 differ");
	ib_buf_free(&notes);
	const char *kernel_be[] = { e.genunix_be, NULL };
	assert_int_equal(ib_ctf_check_fuse(e.fuse_gate, kernel_be, NULL, &err), 0);

	/* vnode agrees but struct vfs does not. */
	assert_int_equal(ib_ctf_check_fuse(e.fuse_vfs, kernel, &notes, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_contains(err.msg, "struct vfs of 48 bytes (has vfs_zone_extra)");
	assert_contains(err.msg, "the running kernel's is 40 bytes");
	ib_error_clear(&err);
	ib_buf_free(&notes);

	/* Children of genunix: their own vnode copy is compared. */
	assert_int_equal(ib_ctf_check_fuse(e.child_joyent, kernel, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_contains(err.msg, "v_type at 0x30");
	ib_error_clear(&err);
	assert_int_equal(ib_ctf_check_fuse(e.child_gate, kernel, NULL, &err), 0);
	assert_int_equal(ib_ctf_check_fuse(e.child_fwd, kernel, &notes, &err), 0);
	assert_contains(notes.s, "nothing to compare");
	ib_buf_free(&notes);
	const char *unix_only[] = { e.unix_, NULL };
	assert_int_equal(ib_ctf_check_fuse(e.fuse_gate, unix_only, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_contains(err.msg, "child of genunix, which was not given");
	ib_error_clear(&err);

	/* Nothing to check with. */
	assert_int_equal(ib_ctf_check_fuse(e.noctf, kernel, &notes, &err), 1);
	assert_contains(notes.s, "no .SUNW_ctf section");
	ib_buf_free(&notes);
	const char *nokernel[] = { e.noctf, NULL };
	assert_int_equal(ib_ctf_check_fuse(e.fuse_joyent, nokernel, &notes, &err), 1);
	assert_contains(notes.s, "no kernel CTF");
	ib_buf_free(&notes);
	assert_null(err.msg);

	/* Missing and malformed files. */
	char *missing = ib_xasprintf("%s/no-such-fuse", tmpdir);
	assert_int_equal(ib_ctf_check_fuse(missing, kernel, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_contains(err.msg, "not found");
	ib_error_clear(&err);
	const char *kernel_missing[] = { missing, NULL };
	assert_int_equal(ib_ctf_check_fuse(e.fuse_gate, kernel_missing, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	ib_error_clear(&err);
	free(missing);
	assert_int_equal(ib_ctf_check_fuse(e.bad_magic, kernel, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	assert_contains(err.msg, "bad-magic: .SUNW_ctf at byte 0: bad magic 0x");
	ib_error_clear(&err);
	elves_free(&e);
}

/* ---- malformed data ---- */

/* Open (and, if that works, look up every struct): must fail with exit 2,
 * "at byte N" and what. */
static void expect_bad(const uint8_t *p, size_t n, size_t at, const char *what)
{
	struct ib_ctf *c = NULL;
	struct ib_error err = { 0 };
	int r = ib_ctf_open_mem(p, n, "bad", &c, &err);
	if (r == 0) {
		size_t k;
		const char **names = ib_ctf_struct_names(c, &k);
		for (size_t i = 0; r == 0 && i < k; i++) {
			struct ib_ctf_struct s;
			r = ib_ctf_find_struct(c, names[i], &s, &err);
			ib_ctf_struct_free(&s);
		}
		free(names);
		ib_ctf_free(c);
	}
	if (r != -1)
		print_error("no error; expected \"%s\"\n", what);
	assert_int_equal(r, -1);
	assert_int_equal(err.exit_code, IB_EXIT_INPUT);
	if (at != SIZE_MAX) {
		char *s = ib_xasprintf("at byte %zu: ", at);
		assert_contains(err.msg, s);
		free(s);
	} else {
		assert_contains(err.msg, "at byte ");
	}
	assert_contains(err.msg, what);
	ib_error_clear(&err);
}

static void put32le(uint8_t *p, uint32_t v) { ib_put_le32(p, v); }

static void test_malformed_header(void **state)
{
	(void)state;
	struct blob g = genunix_blob(false, false);
	uint8_t *p = ib_xmalloc(g.n);
#define FRESH() memcpy(p, g.p, g.n)
	FRESH();
	p[0] = 0x34, p[1] = 0x12;
	expect_bad(p, g.n, 0, "bad magic 0x1234");
	FRESH();
	p[0] = 0xf2, p[1] = 0xdf;
	expect_bad(p, g.n, 0, "GNU CTF");
	FRESH();
	p[2] = 3;
	expect_bad(p, g.n, 2, "CTF version 3 is FreeBSD's; illumos writes version 2");
	FRESH();
	p[2] = 1;
	expect_bad(p, g.n, 2, "version 1");
	FRESH();
	p[3] = 0x80;
	expect_bad(p, g.n, 3, "unknown flags");
	expect_bad(p, 3, 3, "too short");
	FRESH();
	expect_bad(p, 20, 20, "header is truncated");
	put32le(p + 24, 0x12345);
	expect_bad(p, g.n, 24, "type section offset 0x12345 is past the end of the data");
	FRESH();
	put32le(p + 32, 0x7fffffff);
	expect_bad(p, g.n, 32, "string section");
	FRESH();
	put32le(p + 16, ib_get_le32(p + 24) + 4); /* objects after types */
	expect_bad(p, g.n, 20, "is before the object section");
	FRESH();
	put32le(p + 24, ib_get_le32(p + 24) + 2);
	expect_bad(p, g.n, 24, "not aligned");
	FRESH();
	p[g.n - 1] = 'x';
	expect_bad(p, g.n, g.n - 1, "does not end with a NUL byte");
	FRESH();
	put32le(p + 8, 0x00fff000); /* parname past the strings */
	expect_bad(p, g.n, 8, "string offset 0xfff000 is past the end of the string table");
	FRESH();
	expect_bad(p, g.n - 1, 32, "runs past the end of the data"); /* truncated */
#undef FRESH
	free(p);
	free(g.p);
}

static void test_malformed_types(void **state)
{
	(void)state;
	struct ctfw w;
	uint8_t *p;
	size_t n, pos;

	/* A member name past the end of the string table. */
	w_init(&w, false, false, NULL);
	uint16_t i = w_int(&w, "int", 1, 32);
	w_struct(&w, W_STRUCT, "s", 8, 2);
	w_member(&w, "a", i, 0);
	pos = w_abs(&w, w_member_raw(&w, 0x7000, i, 32));
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos, "string offset 0x7000 is past the end of the string table");
	free(p);
	w_free(&w);

	/* A member type id out of range. */
	w_init(&w, false, false, "l");
	i = w_int(&w, "int", 1, 32);
	w_struct(&w, W_STRUCT, "s", 8, 2);
	w_member(&w, "a", i, 0);
	pos = w_abs(&w, w_member(&w, "b", 0x7000, 32));
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos + 4, "type 0x7000 is out of range");
	free(p);
	w_free(&w);

	/* A child type id in a container that is not a child. */
	w_init(&w, false, false, NULL);
	w_struct(&w, W_STRUCT, "s", 8, 1);
	pos = w_abs(&w, w_member(&w, "a", 0x8003, 0));
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos + 4, "child type id");
	free(p);
	w_free(&w);

	/* A typedef loop: a_t -> b_t -> a_t. */
	w_init(&w, false, false, NULL);
	i = w_int(&w, "int", 1, 32);
	uint16_t a = w_ref(&w, W_TYPEDEF, "a_t", 3);
	w_ref(&w, W_TYPEDEF, "b_t", 2);
	w_struct(&w, W_STRUCT, "s", 8, 2);
	w_member(&w, "x", i, 0);
	w_member(&w, "y", a, 32);
	w_finish(&w, NULL, NULL, true, &p, &n);
	expect_bad(p, n, SIZE_MAX, "loop in type references");
	free(p);
	w_free(&w);

	/* A pointer-to-itself loop through const. */
	w_init(&w, false, false, NULL);
	w_ref(&w, W_CONST, NULL, 2);
	w_ref(&w, W_POINTER, NULL, 1);
	w_struct(&w, W_STRUCT, "s", 8, 1);
	w_member(&w, "x", 2, 0);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, SIZE_MAX, "loop in type references");
	free(p);
	w_free(&w);

	/* A function type that takes pointers to itself (the work is bounded). */
	w_init(&w, false, false, NULL);
	uint16_t args[40];
	for (int k = 0; k < 40; k++)
		args[k] = 2;
	w_func(&w, 2, 40, args);      /* id 1 */
	w_ref(&w, W_POINTER, NULL, 1); /* id 2 */
	w_struct(&w, W_STRUCT, "s", 8, 1);
	w_member(&w, "fn", 2, 0);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, SIZE_MAX, "loop in type references");
	free(p);
	w_free(&w);

	/* vlen says 5 members, the section holds 1. */
	w_init(&w, false, false, NULL);
	i = w_int(&w, "int", 1, 32);
	pos = w_abs(&w, w.types.len);
	w_struct(&w, W_STRUCT, "s", 8, 5);
	w_member(&w, "a", i, 0);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos, "runs past the end of the type section");
	free(p);
	w_free(&w);

	/* An unknown kind, and a record cut short. */
	w_init(&w, false, false, NULL);
	i = w_int(&w, "int", 1, 32);
	pos = w_abs(&w, w.types.len);
	w_rec_raw(&w, 0, 20, true, 0, 4);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos + 4, "unknown kind 20");
	free(p);
	w_free(&w);
	w_init(&w, false, false, NULL);
	i = w_int(&w, "int", 1, 32);
	pos = w_abs(&w, w.types.len);
	ib_buf_append(&w.types, "\0\0\0\0", 4);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos, "is truncated");
	free(p);
	w_free(&w);

	/* A name in the ELF string table, which raw data does not have. */
	w_init(&w, false, false, NULL);
	pos = w_abs(&w, w.types.len);
	w_rec_raw(&w, 0x80000004, W_INTEGER, true, 0, 4);
	w_put32(&w, &w.types, 32);
	w_finish(&w, NULL, NULL, false, &p, &n);
	expect_bad(p, n, pos, "ELF string table");
	free(p);
	w_free(&w);
	(void)i;
}

static void test_malformed_compressed(void **state)
{
	(void)state;
	struct blob g = genunix_blob(false, true);
	uint8_t *p = ib_xmalloc(g.n);
	memcpy(p, g.p, g.n);
	for (size_t k = 60; k < 90; k++)
		p[k] ^= 0x5a;
	expect_bad(p, g.n, SIZE_MAX, "compressed");
	memcpy(p, g.p, g.n);
	expect_bad(p, 36 + (g.n - 36) / 2, SIZE_MAX, "the compressed data ends early");
	put32le(p + 32, ib_get_le32(p + 32) + 16);
	expect_bad(p, g.n, SIZE_MAX, "the header announces");
	memcpy(p, g.p, g.n);
	put32le(p + 32, ib_get_le32(p + 32) - 16);
	expect_bad(p, g.n, SIZE_MAX, "inflates to more than");
	memcpy(p, g.p, g.n);
	put32le(p + 32, 0x3fff0000); /* far more than the compressed bytes hold */
	expect_bad(p, g.n, 28, "more than");
	memcpy(p, g.p, g.n);
	p[36] = 0; /* not a zlib header */
	expect_bad(p, g.n, SIZE_MAX, "zlib-compressed data is corrupt");
	/* Offsets in the inflated data are named as such. */
	struct blob u = genunix_blob(false, false);
	u.p[u.n - 1] = 'x';
	uLongf zlen = compressBound(u.n);
	uint8_t *z = ib_xmalloc(36 + zlen);
	memcpy(z, u.p, 36);
	z[3] = 1;
	assert_int_equal(compress2(z + 36, &zlen, u.p + 36, u.n - 36, 6), Z_OK);
	expect_bad(z, 36 + zlen, u.n - 1, "does not end with a NUL byte");
	struct ib_ctf *c;
	struct ib_error err = { 0 };
	assert_int_equal(ib_ctf_open_mem(z, 36 + zlen, "bad", &c, &err), -1);
	assert_contains(err.msg, "(decompressed) at byte");
	ib_error_clear(&err);
	free(z);
	free(u.p);
	free(p);
	free(g.p);
}

#ifndef CTF_FUZZ_ITERS
#define CTF_FUZZ_ITERS 3000
#endif

/* Random damage must give 0 or a located exit-2 error, never a crash. */
static void test_fuzz(void **state)
{
	(void)state;
	struct blob plain = genunix_blob(false, false), z = genunix_blob(false, true), ch;
	mk_fuse_child(&ktypes, &joyent, false, &ch.p, &ch.n);
	struct ib_ctf *parent;
	struct ib_error err = { 0 };
	assert_int_equal(ib_ctf_open_mem(plain.p, plain.n, "genunix", &parent, &err), 0);
	uint32_t seed = 12345;
	unsigned failed = 0, opened = 0;
	for (int iter = 0; iter < CTF_FUZZ_ITERS; iter++) {
		const struct blob *b = iter % 3 == 0 ? &plain : iter % 3 == 1 ? &z : &ch;
		uint8_t *p = ib_xmalloc(b->n);
		memcpy(p, b->p, b->n);
		int flips = 1 + iter % 4;
		for (int k = 0; k < flips; k++) {
			seed = seed * 1103515245 + 12345;
			size_t at = (seed >> 8) % b->n;
			seed = seed * 1103515245 + 12345;
			p[at] = (uint8_t)(seed >> 16);
		}
		size_t len = iter % 7 == 0 ? (seed >> 4) % (b->n + 1) : b->n;
		struct ib_ctf *c = NULL;
		int r = ib_ctf_open_mem(p, len, "fuzz", &c, &err);
		if (r == 0) {
			opened++;
			if (ib_ctf_parent_name(c))
				ib_ctf_set_parent(c, parent, &err);
			ib_error_clear(&err);
			size_t k;
			const char **names = ib_ctf_struct_names(c, &k);
			for (size_t j = 0; j < k; j++) {
				struct ib_ctf_struct s;
				r = ib_ctf_find_struct(c, names[j], &s, &err);
				if (r == 0) {
					struct ib_ctf_struct s2 = s;
					ib_ctf_compare_struct(&s, &s2, NULL);
				}
				ib_ctf_struct_free(&s);
				if (r < 0)
					break;
			}
			free(names);
			ib_ctf_free(c);
		}
		if (r < 0) {
			failed++;
			assert_int_equal(err.exit_code, IB_EXIT_INPUT);
			assert_contains(err.msg, "at byte ");
		}
		ib_error_clear(&err);
		free(p);
	}
	assert_true(failed > 100);
	assert_true(opened > 10);
	ib_ctf_free(parent);
	free(plain.p);
	free(z.p);
	free(ch.p);
}

int main(void)
{
	char fixture[PATH_MAX];
	if (!ut_shared_fixture(fixture, sizeof(fixture), "illumos/vnode.h.struct-illumos-gate",
			       "the illumos struct vnode excerpts"))
		return 77;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_from_excerpts),
		cmocka_unit_test(test_read_genunix),
		cmocka_unit_test(test_long_member_forms),
		cmocka_unit_test(test_read_fuse_joyent),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_child),
		cmocka_unit_test(test_elf_open),
		cmocka_unit_test(test_check_fuse),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_malformed_types),
		cmocka_unit_test(test_malformed_compressed),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
