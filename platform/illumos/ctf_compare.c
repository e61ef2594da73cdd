// SPDX-License-Identifier: GPL-2.0-or-later
/* Struct layout comparison between a kernel module's CTF and the kernel's,
 * and the illumos FUSE module check built on it (docs/backends.md): a fuse module compiled against another distribution's
 * struct vnode reads v_type at the wrong offset and every mount fails with
 * "Not a directory", so the layouts are compared before any mount. */
#include <stdio.h>

#include "ctf.h"

/* Members whose offset explains the symptom best, named first when they
 * moved: the fuse module tests v_type == VDIR on the mount point. */
static const struct {
	const char *strukt, *member;
} telling[] = {
	{ "vnode", "v_type" },
	{ "vnode", "v_op" },
	{ "vfs", "vfs_op" },
};

static const struct ib_ctf_member *member_named(const struct ib_ctf_struct *s, const char *name)
{
	for (size_t i = 0; i < s->nmembers; i++)
		if (!strcmp(s->members[i].name, name))
			return &s->members[i];
	return NULL;
}

static bool is_telling(const char *strukt, const char *member)
{
	for (size_t i = 0; i < IB_ARRAY_SIZE(telling); i++)
		if (!strcmp(telling[i].strukt, strukt) && !strcmp(telling[i].member, member))
			return true;
	return false;
}

static void put_off(struct ib_buf *b, bool *first, const struct ib_ctf_member *m)
{
	ib_buf_printf(b, "%s%s at 0x%llx", *first ? "" : ", ", m->name, (unsigned long long)(m->off_bits / 8));
	if (m->off_bits % 8)
		ib_buf_printf(b, " bit %u", (unsigned)(m->off_bits % 8));
	*first = false;
}

/* The member of a (common to both) whose offset differs that explains most:
 * a telling one, else the first in a's order. */
static const struct ib_ctf_member *moved_member(const struct ib_ctf_struct *a, const struct ib_ctf_struct *b)
{
	const struct ib_ctf_member *first = NULL;
	for (size_t i = 0; i < a->nmembers; i++) {
		const struct ib_ctf_member *m = &a->members[i], *o = member_named(b, m->name);
		if (!o || o->off_bits == m->off_bits)
			continue;
		if (is_telling(a->name, m->name))
			return m;
		if (!first)
			first = m;
	}
	return first;
}

/* "(v_type at 0x30, has v_phantom_count)": the moved member's offset in s and
 * the members only s has (at most three). */
static void describe(struct ib_buf *b, const struct ib_ctf_struct *s, const struct ib_ctf_struct *other,
		     const char *moved)
{
	bool first = true;
	size_t extra = 0;
	struct ib_buf tmp = { 0 };
	const struct ib_ctf_member *mm = moved ? member_named(s, moved) : NULL;
	if (mm) /* moved is in both structs by construction; checked all the same */
		put_off(&tmp, &first, mm);
	for (size_t i = 0; i < s->nmembers; i++) {
		if (member_named(other, s->members[i].name))
			continue;
		if (extra++ < 3) {
			ib_buf_printf(&tmp, "%shas %s", first ? "" : ", ", s->members[i].name);
			first = false;
		}
	}
	if (extra > 3)
		ib_buf_printf(&tmp, " and %zu more", extra - 3);
	if (tmp.len)
		ib_buf_printf(b, " (%s)", tmp.s);
	ib_buf_free(&tmp);
}

int ib_ctf_compare_struct(const struct ib_ctf_struct *module, const struct ib_ctf_struct *kernel,
			  struct ib_buf *report)
{
	bool differ = module->size != kernel->size || module->nmembers != kernel->nmembers;
	for (size_t i = 0; !differ && i < module->nmembers; i++) {
		const struct ib_ctf_member *k = member_named(kernel, module->members[i].name);
		differ = !k || k->off_bits != module->members[i].off_bits;
	}
	if (!differ)
		return 0;
	if (!report)
		return 1;
	const struct ib_ctf_member *moved = moved_member(module, kernel);
	ib_buf_printf(report, "built against a struct %s of %llu bytes", module->name,
		      (unsigned long long)module->size);
	describe(report, module, kernel, moved ? moved->name : NULL);
	ib_buf_printf(report, "; the running kernel's is %llu bytes", (unsigned long long)kernel->size);
	describe(report, kernel, module, moved ? moved->name : NULL);
	return 1;
}

/* Member by member, for the notes. */
static void detail(struct ib_buf *notes, const struct ib_ctf_struct *m, const struct ib_ctf_struct *k)
{
	ib_buf_printf(notes, "struct %s: module %llu bytes, kernel %llu bytes\n", m->name,
		      (unsigned long long)m->size, (unsigned long long)k->size);
	for (size_t i = 0; i < m->nmembers; i++) {
		const struct ib_ctf_member *a = &m->members[i], *b = member_named(k, a->name);
		if (!b)
			ib_buf_printf(notes, "  %s (%s) at 0x%llx: only in the module\n", a->name, a->type,
				      (unsigned long long)(a->off_bits / 8));
		else if (a->off_bits != b->off_bits)
			ib_buf_printf(notes, "  %s (%s): module 0x%llx, kernel 0x%llx\n", a->name, a->type,
				      (unsigned long long)(a->off_bits / 8), (unsigned long long)(b->off_bits / 8));
	}
	for (size_t i = 0; i < k->nmembers; i++)
		if (!member_named(m, k->members[i].name))
			ib_buf_printf(notes, "  %s (%s) at 0x%llx: only in the kernel\n", k->members[i].name,
				      k->members[i].type, (unsigned long long)(k->members[i].off_bits / 8));
}

struct kernel_ctf {
	IB_VEC(struct ib_ctf *) v;
	IB_VEC(const char *) paths;
};

static void kernel_free(struct kernel_ctf *k)
{
	for (size_t i = 0; i < k->v.n; i++)
		ib_ctf_free(k->v.v[i]);
	free(k->v.v);
	free(k->paths.v);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* The kernel container a child names as its parent ("genunix"), else the first. */
static struct ib_ctf *kernel_parent(const struct kernel_ctf *k, const char *parname)
{
	for (size_t i = 0; i < k->v.n; i++)
		if (!ib_ctf_parent_name(k->v.v[i]) && !strcmp(base_name(k->paths.v[i]), parname))
			return k->v.v[i];
	for (size_t i = 0; i < k->v.n; i++)
		if (!ib_ctf_parent_name(k->v.v[i]))
			return k->v.v[i];
	return NULL;
}

/* Open every kernel file that exists; children get their parent. Returns -1
 * on error, else 0 (k->v.n may be 0 when none has CTF). */
static int kernel_open(const char *const *paths, struct kernel_ctf *k, struct ib_buf *notes,
		       struct ib_error *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		struct ib_ctf *c;
		int r = ib_ctf_open_elf(paths[i], &c, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			if (notes)
				ib_buf_printf(notes, "%s has no .SUNW_ctf section\n", paths[i]);
			continue;
		}
		IB_VEC_PUSH(k->v, c);
		IB_VEC_PUSH(k->paths, paths[i]);
	}
	for (size_t i = 0; i < k->v.n; i++) {
		const char *pn = ib_ctf_parent_name(k->v.v[i]);
		if (!pn)
			continue;
		struct ib_ctf *p = kernel_parent(k, pn);
		if (!p)
			return ib_fail(err, IB_EXIT_ENV, "%s: its CTF is a child of %s, which was not given", k->paths.v[i],
				       pn);
		if (ib_ctf_set_parent(k->v.v[i], p, err))
			return -1;
	}
	return 0;
}

/* The kernel's definition of struct name: the first container (genunix
 * first) that defines it itself. 0, 1 (none) or -1. */
static int kernel_find(const struct kernel_ctf *k, const char *name, struct ib_ctf_struct *out,
		       struct ib_error *err)
{
	for (size_t i = 0; i < k->v.n; i++) {
		int r = ib_ctf_find_struct(k->v.v[i], name, out, err);
		if (r < 0)
			return -1;
		if (r == 0 && !out->from_parent)
			return 0;
		ib_ctf_struct_free(out);
	}
	return 1;
}

struct check {
	const char *module_path;
	struct ib_ctf *module;
	struct kernel_ctf kernel;
	struct ib_buf *notes;
	struct ib_buf first;     /* the report of the first differing struct */
	struct ib_buf others;    /* names of the other differing structs */
	size_t compared, differing;
	bool vnode_seen;
	uint64_t vnode_size;
};

/* Compare one struct; 0 (compared or absent) or -1. */
static int check_struct(struct check *ck, const char *name, struct ib_error *err)
{
	struct ib_ctf_struct m, k;
	int r = ib_ctf_find_struct(ck->module, name, &m, err);
	if (r < 0)
		return -1;
	if (r == 1 || m.from_parent) {
		ib_ctf_struct_free(&m);
		return 0;
	}
	r = kernel_find(&ck->kernel, name, &k, err);
	if (r != 0) {
		ib_ctf_struct_free(&m);
		return r < 0 ? -1 : 0;
	}
	ck->compared++;
	if (!strcmp(name, "vnode")) {
		ck->vnode_seen = true;
		ck->vnode_size = m.size;
	}
	struct ib_buf *rep = ck->differing ? NULL : &ck->first;
	if (ib_ctf_compare_struct(&m, &k, rep)) {
		if (ck->differing++)
			ib_buf_printf(&ck->others, "%sstruct %s", ck->differing > 2 ? ", " : "", name);
		if (ck->notes)
			detail(ck->notes, &m, &k);
	}
	ib_ctf_struct_free(&m);
	ib_ctf_struct_free(&k);
	return 0;
}

/* Is the module's vnode known at all (its own, or through the parent)? */
static int module_has_vnode(struct check *ck, struct ib_error *err)
{
	struct ib_ctf_struct m;
	int r = ib_ctf_find_struct(ck->module, "vnode", &m, err);
	ib_ctf_struct_free(&m);
	return r;
}

static int run_check(struct check *ck, const char *const *kernel_paths, struct ib_error *err)
{
	struct ib_buf *notes = ck->notes;
	if (access(ck->module_path, F_OK) != 0)
		return ib_fail(err, IB_EXIT_ENV, "fuse module %s not found: install the fuse driver package",
			       ck->module_path);
	int r = ib_ctf_open_elf(ck->module_path, &ck->module, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (notes)
			ib_buf_printf(notes, "%s has no .SUNW_ctf section: struct layouts not checked\n",
				      ck->module_path);
		return 1;
	}
	if (kernel_open(kernel_paths, &ck->kernel, notes, err))
		return -1;
	if (ck->kernel.v.n == 0) {
		if (notes)
			ib_buf_printf(notes, "no kernel CTF found: struct layouts not checked\n");
		return 1;
	}
	const char *pn = ib_ctf_parent_name(ck->module);
	if (pn) {
		struct ib_ctf *p = kernel_parent(&ck->kernel, pn);
		if (!p)
			return ib_fail(err, IB_EXIT_ENV, "%s: its CTF is a child of %s, which was not given",
				       ck->module_path, pn);
		if (ib_ctf_set_parent(ck->module, p, err))
			return -1;
		const char *want = ib_ctf_parent_label(ck->module), *have = ib_ctf_label(p);
		if (notes && want && (!have || strcmp(want, have)))
			ib_buf_printf(notes, "%s was built against %s label %s; the running one is %s\n",
				      ck->module_path, pn, want, have ? have : "unlabelled");
	}
	r = module_has_vnode(ck, err);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (notes)
			ib_buf_printf(notes, "%s: its CTF has no struct vnode: struct layouts not checked\n",
				      ck->module_path);
		return 1;
	}
	if (check_struct(ck, "vnode", err))
		return -1;
	size_t n;
	const char **names = ib_ctf_struct_names(ck->module, &n);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(names[i], "vnode"))
			continue;
		if (check_struct(ck, names[i], err)) {
			free(names);
			return -1;
		}
	}
	free(names);
	if (!ck->vnode_seen) {
		/* Only through the parent: the module has no layout of its own to check. */
		struct ib_ctf_struct k;
		r = kernel_find(&ck->kernel, "vnode", &k, err);
		ib_ctf_struct_free(&k);
		if (r < 0)
			return -1;
		if (notes)
			ib_buf_printf(notes, "%s\n",
				      r == 1 ? "the kernel's CTF has no struct vnode: struct vnode not checked"
					     : "the module takes struct vnode from the kernel's CTF: nothing to compare");
		if (r == 1)
			return 1;
	}
	if (notes)
		ib_buf_printf(notes, "compared %zu structs defined by both %s and the kernel; %zu differ\n",
			      ck->compared, ck->module_path, ck->differing);
	if (!ck->differing) {
		/* The passing case says what it compared, first (check shows line 1). */
		if (notes && ck->vnode_seen) {
			struct ib_buf b = {0};
			ib_buf_printf(&b,
				      "struct vnode: %llu bytes, same layout as the kernel's (%zu struct%s the module "
				      "shares with the kernel compared, none differ)\n",
				      (unsigned long long)ck->vnode_size, ck->compared, ck->compared == 1 ? "" : "s");
			if (notes->len)
				ib_buf_append(&b, notes->s, notes->len);
			ib_buf_free(notes);
			*notes = b;
		}
		return 0;
	}
	return ib_fail(err, IB_EXIT_ENV,
		       "fuse module %s was %s: the module was built for another illumos distribution; install the package built for this one%s%s%s",
		       ck->module_path, ck->first.s, ck->others.len ? " (also different: " : "",
		       ck->others.len ? ck->others.s : "", ck->others.len ? ")" : "");
}

int ib_ctf_check_fuse(const char *module_path, const char *const *kernel_paths, struct ib_buf *notes,
		      struct ib_error *err)
{
	struct check ck = { .module_path = module_path, .notes = notes };
	int r = run_check(&ck, kernel_paths, err);
	ib_ctf_free(ck.module);
	kernel_free(&ck.kernel);
	ib_buf_free(&ck.first);
	ib_buf_free(&ck.others);
	return r;
}
