// SPDX-License-Identifier: GPL-2.0-or-later
/* SYNTHETIC illumos CTF version 2 writer, for the tests only.
 *
 * No real illumos CTF can be had on Debian (no ctfconvert/ctfmerge, and GNU
 * CTF is another format), so the tests build their own containers here,
 * following the layout of illumos sys/ctf.h (magic 0xcff1, version 2, 36-byte
 * header, 16-bit type ids, child ids from 0x8001, ctf_member/ctf_lmember).
 * The struct vnode layouts come from the illumos-gate and illumos-joyent
 * excerpts beside this file, laid out with the LP64 rules of amd64. Nothing
 * produced here was made by illumos tools: it is synthetic test data.
 *
 * tests/unit/test_ctf.c includes this file. Built alone with -DMKCTF_MAIN it
 * writes one container to a file, e.g. for a simulated illumos sysroot:
 *   cc -std=c11 -D_GNU_SOURCE -Ilib -DMKCTF_MAIN tests/ctf/mkctf.c lib/core/util.c -lz -o mkctf
 *   ./mkctf genunix|fuse-joyent|fuse-gate tests/ctf OUT.ctf [-z]
 *   objcopy -I binary -O elf64-little --add-section .SUNW_ctf=OUT.ctf \
 *           --set-section-flags .SUNW_ctf=readonly EMPTYFILE genunix */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/util.h"

#define MKCTF_FN static __attribute__((unused))

enum {
	W_UNKNOWN, W_INTEGER, W_FLOAT, W_POINTER, W_ARRAY, W_FUNCTION, W_STRUCT, W_UNION,
	W_ENUM, W_FORWARD, W_TYPEDEF, W_VOLATILE, W_CONST, W_RESTRICT,
};
#define W_HDR 36u
#define W_CHILD 0x8000u

struct ctfw {
	struct ib_buf types, strs;
	const char *label;
	uint16_t next; /* id of the next type written */
	bool be;       /* write big-endian */
	bool large;    /* the struct being written uses ctf_lmember */
};

static void w_put16(const struct ctfw *w, struct ib_buf *b, uint16_t v)
{
	char p[2] = { (char)(w->be ? v >> 8 : v), (char)(w->be ? v : v >> 8) };
	ib_buf_append(b, p, 2);
}

static void w_put32(const struct ctfw *w, struct ib_buf *b, uint32_t v)
{
	char p[4];
	for (int i = 0; i < 4; i++)
		p[i] = (char)(v >> (8 * (w->be ? 3 - i : i)));
	ib_buf_append(b, p, 4);
}

/* A child's first id is 0x8001 (index 1 | CTF_CHILD_START). */
MKCTF_FN void w_init(struct ctfw *w, bool child, bool be, const char *label)
{
	memset(w, 0, sizeof(*w));
	w->next = child ? W_CHILD + 1 : 1;
	w->be = be;
	w->label = label;
	ib_buf_append(&w->strs, "", 1);
}

MKCTF_FN void w_free(struct ctfw *w)
{
	ib_buf_free(&w->types);
	ib_buf_free(&w->strs);
}

MKCTF_FN uint32_t w_str(struct ctfw *w, const char *s)
{
	if (!s || !*s)
		return 0;
	uint32_t off = (uint32_t)w->strs.len;
	ib_buf_append(&w->strs, s, strlen(s) + 1);
	return off;
}

/* Byte offset, in the finished container, of a position in the type section. */
MKCTF_FN size_t w_abs(const struct ctfw *w, size_t rel)
{
	return W_HDR + (w->label ? 8 : 0) + rel;
}

/* A raw record; size_or_type > 0xfffe is written in the long form. */
MKCTF_FN uint16_t w_rec_raw(struct ctfw *w, uint32_t name_ref, int kind, bool root, unsigned vlen,
			    uint64_t size_or_type)
{
	w_put32(w, &w->types, name_ref);
	w_put16(w, &w->types, (uint16_t)(kind << 11 | (root ? 1 << 10 : 0) | (vlen & 0x3ff)));
	if (size_or_type > 0xfffe) {
		w_put16(w, &w->types, 0xffff);
		w_put32(w, &w->types, (uint32_t)(size_or_type >> 32));
		w_put32(w, &w->types, (uint32_t)size_or_type);
	} else {
		w_put16(w, &w->types, (uint16_t)size_or_type);
	}
	return w->next++;
}

static uint16_t w_rec(struct ctfw *w, const char *name, int kind, unsigned vlen, uint64_t size_or_type)
{
	return w_rec_raw(w, w_str(w, name), kind, true, vlen, size_or_type);
}

MKCTF_FN uint16_t w_int(struct ctfw *w, const char *name, unsigned enc, unsigned bits)
{
	uint16_t id = w_rec(w, name, W_INTEGER, 0, bits / 8);
	w_put32(w, &w->types, enc << 24 | bits);
	return id;
}

/* POINTER, TYPEDEF, CONST, VOLATILE, RESTRICT. */
MKCTF_FN uint16_t w_ref(struct ctfw *w, int kind, const char *name, uint16_t target)
{
	return w_rec(w, name, kind, 0, target);
}

MKCTF_FN uint16_t w_fwd(struct ctfw *w, const char *name, int tag)
{
	return w_rec(w, name, W_FORWARD, 0, (uint16_t)tag);
}

MKCTF_FN uint16_t w_array(struct ctfw *w, uint16_t elem, uint16_t index, uint32_t n)
{
	uint16_t id = w_rec(w, NULL, W_ARRAY, 0, 0);
	w_put16(w, &w->types, elem);
	w_put16(w, &w->types, index);
	w_put32(w, &w->types, n);
	return id;
}

MKCTF_FN uint16_t w_func(struct ctfw *w, uint16_t ret, unsigned nargs, const uint16_t *args)
{
	uint16_t id = w_rec(w, NULL, W_FUNCTION, nargs, ret);
	for (unsigned i = 0; i < nargs; i++)
		w_put16(w, &w->types, args[i]);
	if (nargs & 1)
		w_put16(w, &w->types, 0);
	return id;
}

MKCTF_FN uint16_t w_enum(struct ctfw *w, const char *name, const char *const *names, unsigned n)
{
	uint16_t id = w_rec(w, name, W_ENUM, n, 4);
	for (unsigned i = 0; i < n; i++) {
		w_put32(w, &w->types, w_str(w, names[i]));
		w_put32(w, &w->types, i);
	}
	return id;
}

/* Start a struct (or union) of nmembers; w_member writes them. The member
 * form follows the size, as illumos does: ctf_lmember from 8192 bytes. */
MKCTF_FN uint16_t w_struct(struct ctfw *w, int kind, const char *name, uint64_t size, unsigned nmembers)
{
	w->large = size >= 8192;
	return w_rec(w, name, kind, nmembers, size);
}

/* Returns the member record's position in the type section (see w_abs). */
MKCTF_FN size_t w_member_raw(struct ctfw *w, uint32_t name_ref, uint16_t type, uint64_t off_bits)
{
	size_t pos = w->types.len;
	w_put32(w, &w->types, name_ref);
	w_put16(w, &w->types, type);
	if (w->large) {
		w_put16(w, &w->types, 0);
		w_put32(w, &w->types, (uint32_t)(off_bits >> 32));
		w_put32(w, &w->types, (uint32_t)off_bits);
	} else {
		w_put16(w, &w->types, (uint16_t)off_bits);
	}
	return pos;
}

MKCTF_FN size_t w_member(struct ctfw *w, const char *name, uint16_t type, uint64_t off_bits)
{
	return w_member_raw(w, w_str(w, name), type, off_bits);
}

/* Header + one label + types + strings; zlib-compressed after the header
 * when compress is set. The result is malloc'd. */
MKCTF_FN void w_finish(struct ctfw *w, const char *parname, const char *parlabel, bool compress,
		       uint8_t **out, size_t *len)
{
	struct ib_buf lbl = { 0 }, body = { 0 }, hdr = { 0 };
	uint32_t parname_ref = w_str(w, parname), parlabel_ref = w_str(w, parlabel);
	if (w->label) {
		w_put32(w, &lbl, w_str(w, w->label));
		w_put32(w, &lbl, (uint32_t)(w->next - 1) & 0x7fff);
	}
	uint32_t l = (uint32_t)lbl.len, t = (uint32_t)w->types.len, s = (uint32_t)w->strs.len;
	ib_buf_append(&body, lbl.s ? lbl.s : "", l);
	ib_buf_append(&body, w->types.s ? w->types.s : "", t);
	ib_buf_append(&body, w->strs.s, s);
	w_put16(w, &hdr, 0xcff1);
	char vf[2] = { 2, compress ? 1 : 0 };
	ib_buf_append(&hdr, vf, 2);
	uint32_t fields[8] = { parlabel_ref, parname_ref, 0, l, l, l, l + t, s };
	for (int i = 0; i < 8; i++)
		w_put32(w, &hdr, fields[i]);
	uLongf zlen = compressBound(body.len);
	uint8_t *buf = ib_xmalloc(W_HDR + zlen);
	memcpy(buf, hdr.s, W_HDR);
	if (compress) {
		if (compress2(buf + W_HDR, &zlen, (const Bytef *)body.s, body.len, 9) != Z_OK)
			abort();
	} else {
		memcpy(buf + W_HDR, body.s, body.len);
		zlen = body.len;
	}
	*out = buf;
	*len = W_HDR + zlen;
	ib_buf_free(&lbl);
	ib_buf_free(&body);
	ib_buf_free(&hdr);
}

/* ---- struct vnode from the header excerpts, with LP64 (amd64) layout ---- */

struct vn_member {
	char name[32];
	char type[48]; /* as CTF names it: "kmutex_t", "struct vfs *", "enum vtype" */
	char base[40]; /* without the pointer: "struct vfs" */
	unsigned ptr;
	uint64_t off;  /* bytes */
};

struct vn_layout {
	struct vn_member m[48];
	size_t n;
	uint64_t size;
};

static const struct {
	const char *type;
	unsigned size, align;
} lp64[] = {
	{ "kmutex_t", 8, 8 }, { "krwlock_t", 8, 8 }, { "kcondvar_t", 2, 2 }, { "uint_t", 4, 4 },
	{ "dev_t", 8, 8 }, { "hrtime_t", 8, 8 }, { "u_longlong_t", 8, 8 }, { "enum vtype", 4, 4 },
};

static char *vn_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Parse one member declaration ("struct vfs\t*v_vfsp") and place it. */
static int vn_add(struct vn_layout *l, char *decl, uint64_t *off, unsigned *maxalign)
{
	size_t n = strlen(decl), e = n;
	while (e && (isalnum((unsigned char)decl[e - 1]) || decl[e - 1] == '_'))
		e--;
	if (e == n || l->n == IB_ARRAY_SIZE(l->m))
		return -1;
	struct vn_member *m = &l->m[l->n];
	snprintf(m->name, sizeof(m->name), "%s", decl + e);
	decl[e] = '\0';
	while (e && (decl[e - 1] == '*' || isspace((unsigned char)decl[e - 1]))) {
		if (decl[e - 1] == '*')
			m->ptr++;
		decl[--e] = '\0';
	}
	/* Collapse whitespace runs: "struct\tvfs" -> "struct vfs". */
	char *t = vn_trim(decl), *o = m->base;
	for (; *t && o < m->base + sizeof(m->base) - 1; t++)
		if (!isspace((unsigned char)*t) || (o > m->base && o[-1] != ' '))
			*o++ = isspace((unsigned char)*t) ? ' ' : *t;
	*o = '\0';
	unsigned size = 0, align = 0;
	memcpy(m->type, m->base, strlen(m->base) + 1); /* type has room for base + " *" */
	if (m->ptr) {
		size = align = 8;
		strcat(m->type, " *");
	} else {
		for (size_t i = 0; i < IB_ARRAY_SIZE(lp64); i++)
			if (!strcmp(lp64[i].type, m->base))
				size = lp64[i].size, align = lp64[i].align;
	}
	if (!size)
		return -1; /* a type this writer does not know: the excerpt changed */
	*off = (*off + align - 1) / align * align;
	m->off = *off;
	*off += size;
	if (align > *maxalign)
		*maxalign = align;
	l->n++;
	return 0;
}

/* Read "typedef struct vnode { ... } vnode_t;" from an excerpt. 0 or -1. */
MKCTF_FN int vn_parse(const char *path, struct vn_layout *l)
{
	memset(l, 0, sizeof(*l));
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	bool in = false, done = false;
	uint64_t off = 0;
	unsigned maxalign = 1;
	int ret = 0;
	while (!done && ret == 0 && fgets(line, sizeof(line), f)) {
		char *c = strstr(line, "/*");
		if (c)
			*c = '\0';
		char *s = vn_trim(line);
		if (!in) {
			in = strstr(s, "struct vnode {") != NULL;
			continue;
		}
		if (s[0] == '}') {
			done = true;
			continue;
		}
		if (!*s)
			continue;
		size_t n = strlen(s);
		if (s[n - 1] != ';') {
			ret = -1;
			break;
		}
		s[n - 1] = '\0';
		ret = vn_add(l, s, &off, &maxalign);
	}
	fclose(f);
	if (!done || ret)
		return -1;
	l->size = (off + maxalign - 1) / maxalign * maxalign;
	return 0;
}

/* ---- illumos-like containers ---- */

/* Type ids of genunix's base types, which a child refers to. */
struct ktypes {
	uint16_t t_void, t_char, t_int, t_uint, t_ushort, t_long, t_ulong, t_llong, t_ullong;
	uint16_t uint_t, ushort_t, ulong_t, dev_t, longlong_t, hrtime_t, u_longlong_t;
	uint16_t kmutex_t, krwlock_t, kcondvar_t, vtype, voidp, charp;
};

MKCTF_FN void kt_add(struct ctfw *w, struct ktypes *k)
{
	static const char *const vtypes[] = { "VNON", "VREG", "VDIR", "VBLK", "VCHR", "VLNK",
					      "VFIFO", "VDOOR", "VPROC", "VSOCK", "VPORT", "VBAD" };
	k->t_void = w_int(w, "void", 0, 0); /* as illumos ctfconvert writes void */
	k->t_char = w_int(w, "char", 1 | 2, 8);
	k->t_int = w_int(w, "int", 1, 32);
	k->t_uint = w_int(w, "unsigned int", 0, 32);
	k->t_ushort = w_int(w, "unsigned short", 0, 16);
	k->t_long = w_int(w, "long", 1, 64);
	k->t_ulong = w_int(w, "unsigned long", 0, 64);
	k->t_llong = w_int(w, "long long", 1, 64);
	k->t_ullong = w_int(w, "unsigned long long", 0, 64);
	k->uint_t = w_ref(w, W_TYPEDEF, "uint_t", k->t_uint);
	k->ushort_t = w_ref(w, W_TYPEDEF, "ushort_t", k->t_ushort);
	k->ulong_t = w_ref(w, W_TYPEDEF, "ulong_t", k->t_ulong);
	k->dev_t = w_ref(w, W_TYPEDEF, "dev_t", k->ulong_t);
	k->longlong_t = w_ref(w, W_TYPEDEF, "longlong_t", k->t_llong);
	k->hrtime_t = w_ref(w, W_TYPEDEF, "hrtime_t", k->longlong_t);
	k->u_longlong_t = w_ref(w, W_TYPEDEF, "u_longlong_t", k->t_ullong);
	k->voidp = w_ref(w, W_POINTER, NULL, k->t_void);
	k->charp = w_ref(w, W_POINTER, NULL, k->t_char);
	/* typedef struct kmutex { void *_opaque[1]; } kmutex_t; likewise krwlock_t */
	uint16_t opaque = w_array(w, k->voidp, k->t_long, 1);
	uint16_t s = w_struct(w, W_STRUCT, "kmutex", 8, 1);
	w_member(w, "_opaque", opaque, 0);
	k->kmutex_t = w_ref(w, W_TYPEDEF, "kmutex_t", s);
	s = w_struct(w, W_STRUCT, "_krwlock", 8, 1);
	w_member(w, "_opaque", opaque, 0);
	k->krwlock_t = w_ref(w, W_TYPEDEF, "krwlock_t", s);
	s = w_struct(w, W_STRUCT, "_kcondvar", 2, 1);
	w_member(w, "_opaque", k->ushort_t, 0);
	k->kcondvar_t = w_ref(w, W_TYPEDEF, "kcondvar_t", s);
	k->vtype = w_enum(w, "vtype", vtypes, IB_ARRAY_SIZE(vtypes));
}

/* Pointers to structs, made on demand: a forward + pointer for unknown tags. */
struct ptrs {
	struct {
		char tag[32];
		uint16_t id;
	} v[32];
	size_t n;
};

static void ptr_set(struct ptrs *p, const char *tag, uint16_t id)
{
	snprintf(p->v[p->n].tag, sizeof(p->v[p->n].tag), "%s", tag);
	p->v[p->n++].id = id;
}

static uint16_t ptr_get(struct ctfw *w, struct ptrs *p, const char *tag)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].tag, tag))
			return p->v[i].id;
	uint16_t fwd = w_fwd(w, tag, W_STRUCT);
	ptr_set(p, tag, w_ref(w, W_POINTER, NULL, fwd));
	return p->v[p->n - 1].id;
}

/* struct vfs (a shortened one: enough for a second struct to compare);
 * extra adds a member at the end, as another distribution might. */
MKCTF_FN void vfs_add(struct ctfw *w, const struct ktypes *k, struct ptrs *p, bool extra)
{
	uint16_t vfsops_p = ptr_get(w, p, "vfsops");
	uint16_t id = w->next, ptr = (uint16_t)(id + 1);
	ptr_set(p, "vfs", ptr);
	w_struct(w, W_STRUCT, "vfs", extra ? 48 : 40, extra ? 6 : 5);
	w_member(w, "vfs_next", ptr, 0);
	w_member(w, "vfs_prev", ptr, 64);
	w_member(w, "vfs_op", vfsops_p, 128);
	w_member(w, "vfs_flag", k->uint_t, 192);
	w_member(w, "vfs_dev", k->dev_t, 256);
	if (extra)
		w_member(w, "vfs_zone_extra", k->voidp, 320);
	w_ref(w, W_POINTER, NULL, id);
}

/* struct vnode with layout l, then "struct vnode *". Returns the struct's id;
 * *member_pos (may be NULL) gets the position of its first member record. */
MKCTF_FN uint16_t vnode_add(struct ctfw *w, const struct ktypes *k, struct ptrs *p, const struct vn_layout *l,
			    size_t *member_pos)
{
	uint16_t types[48];
	uint16_t self = 0;
	/* Every member's type must exist before the struct's record. */
	for (size_t i = 0; i < l->n; i++) {
		const struct vn_member *m = &l->m[i];
		if (m->ptr && !strcmp(m->base, "struct vnode"))
			types[i] = 0; /* filled below: the pointer comes right after */
		else if (m->ptr && !strncmp(m->base, "struct ", 7))
			types[i] = ptr_get(w, p, m->base + 7);
		else if (m->ptr)
			types[i] = !strcmp(m->base, "char") ? k->charp : k->voidp;
		else if (!strcmp(m->base, "kmutex_t"))
			types[i] = k->kmutex_t;
		else if (!strcmp(m->base, "krwlock_t"))
			types[i] = k->krwlock_t;
		else if (!strcmp(m->base, "kcondvar_t"))
			types[i] = k->kcondvar_t;
		else if (!strcmp(m->base, "uint_t"))
			types[i] = k->uint_t;
		else if (!strcmp(m->base, "dev_t"))
			types[i] = k->dev_t;
		else if (!strcmp(m->base, "hrtime_t"))
			types[i] = k->hrtime_t;
		else if (!strcmp(m->base, "u_longlong_t"))
			types[i] = k->u_longlong_t;
		else
			types[i] = k->vtype;
	}
	uint16_t id = w->next;
	self = (uint16_t)(id + 1);
	w_struct(w, W_STRUCT, "vnode", l->size, (unsigned)l->n);
	for (size_t i = 0; i < l->n; i++) {
		size_t pos = w_member(w, l->m[i].name, types[i] ? types[i] : self, l->m[i].off * 8);
		if (i == 0 && member_pos)
			*member_pos = pos;
	}
	w_ref(w, W_POINTER, NULL, id);
	w_ref(w, W_TYPEDEF, "vnode_t", id);
	ptr_set(p, "vnode", self);
	return id;
}

/* Structs for the long forms: 8196 bytes (ctf_lmember) and 70004 bytes
 * (ctt_size sentinel 0xffff and ctf_lmember), plus qualifiers and a
 * function pointer for the type names. */
MKCTF_FN void big_add(struct ctfw *w, const struct ktypes *k, struct ptrs *p)
{
	uint16_t arr = w_array(w, k->t_char, k->t_long, 8192);
	uint16_t cchar = w_ref(w, W_CONST, NULL, k->t_char);
	uint16_t ccharp = w_ref(w, W_POINTER, NULL, cchar);
	uint16_t vuint = w_ref(w, W_VOLATILE, NULL, k->uint_t);
	uint16_t args[2] = { ptr_get(w, p, "vfs"), ptr_get(w, p, "vnode") };
	uint16_t fn = w_func(w, k->t_int, 2, args);
	uint16_t fnp = w_ref(w, W_POINTER, NULL, fn);
	w_struct(w, W_STRUCT, "ib_big", 8192 + 32, 5);
	w_member(w, "b_buf", arr, 0);
	w_member(w, "b_name", ccharp, 8192 * 8);
	w_member(w, "b_flags", vuint, 8200 * 8);
	w_member(w, "b_mount", fnp, 8208 * 8);
	w_member(w, "b_tail", k->uint_t, 8216 * 8);
	uint16_t huge = w_array(w, k->t_char, k->t_long, 70000);
	w_struct(w, W_STRUCT, "ib_huge", 70004, 2);
	w_member(w, "h_buf", huge, 0);
	w_member(w, "h_tail", k->uint_t, 70000 * 8);
}

/* genunix: base types, struct vfs, struct vnode (layout l), the long forms. */
MKCTF_FN void mk_genunix(const struct vn_layout *l, bool be, bool compress, struct ktypes *k, uint8_t **out,
			 size_t *len)
{
	struct ctfw w;
	struct ptrs p = { .n = 0 };
	w_init(&w, false, be, "illumos-synthetic-gate");
	kt_add(&w, k);
	vfs_add(&w, k, &p, false);
	vnode_add(&w, k, &p, l, NULL);
	big_add(&w, k, &p);
	w_finish(&w, NULL, NULL, compress, out, len);
	w_free(&w);
}

/* A self-contained fuse module (as OmniOS builds it: no -d genunix). */
MKCTF_FN void mk_fuse(const struct vn_layout *l, bool vfs_extra, bool compress, uint8_t **out, size_t *len)
{
	struct ctfw w;
	struct ktypes k;
	struct ptrs p = { .n = 0 };
	w_init(&w, false, false, "fuse-synthetic");
	kt_add(&w, &k);
	vfs_add(&w, &k, &p, vfs_extra);
	uint16_t vp = (uint16_t)(vnode_add(&w, &k, &p, l, NULL) + 1);
	w_struct(&w, W_STRUCT, "fuse_vnode_data", 16, 2);
	w_member(&w, "fvd_vp", vp, 0);
	w_member(&w, "fvd_nodeid", k.t_ullong, 64);
	w_finish(&w, NULL, NULL, compress, out, len);
	w_free(&w);
}

/* A fuse module uniquified against genunix (cth_parname "genunix"): its
 * base types are genunix's (ids < 0x8000). With l it carries its own struct
 * vnode built on them; without, only a forward to genunix's. */
MKCTF_FN void mk_fuse_child(const struct ktypes *k, const struct vn_layout *l, bool compress, uint8_t **out,
			    size_t *len)
{
	struct ctfw w;
	struct ptrs p = { .n = 0 };
	w_init(&w, true, false, NULL);
	uint16_t vp;
	if (l) {
		vp = (uint16_t)(vnode_add(&w, k, &p, l, NULL) + 1);
	} else {
		vp = ptr_get(&w, &p, "vnode");
	}
	w_struct(&w, W_STRUCT, "fuse_vnode_data", 16, 2);
	w_member(&w, "fvd_vp", vp, 0);
	w_member(&w, "fvd_nodeid", k->u_longlong_t, 64);
	w_finish(&w, "genunix", "illumos-synthetic-gate", compress, out, len);
	w_free(&w);
}

/* unix: a child of genunix with one struct of its own. */
MKCTF_FN void mk_unix(const struct ktypes *k, uint8_t **out, size_t *len)
{
	struct ctfw w;
	w_init(&w, true, false, NULL);
	w_struct(&w, W_STRUCT, "cpu", 16, 2);
	w_member(&w, "cpu_id", k->t_int, 0);
	w_member(&w, "cpu_thread_lock", k->kmutex_t, 64);
	w_finish(&w, "genunix", "illumos-synthetic-gate", true, out, len);
	w_free(&w);
}

#ifdef MKCTF_MAIN
int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: mkctf genunix|fuse-joyent|fuse-gate SHARED/fixtures/illumos OUT [-z]\n");
		return 2;
	}
	bool z = argc > 4 && !strcmp(argv[4], "-z");
	struct vn_layout gate, joyent;
	char *pg = ib_xasprintf("%s/vnode.h.struct-illumos-gate", argv[2]);
	char *pj = ib_xasprintf("%s/vnode.h.struct-illumos-joyent", argv[2]);
	int bad = vn_parse(pg, &gate) || vn_parse(pj, &joyent);
	free(pg);
	free(pj);
	if (bad) {
		fprintf(stderr, "mkctf: cannot read the vnode excerpts in %s\n", argv[2]);
		return 1;
	}
	uint8_t *buf = NULL;
	size_t len = 0;
	struct ktypes k;
	if (!strcmp(argv[1], "genunix"))
		mk_genunix(&gate, false, z, &k, &buf, &len);
	else if (!strcmp(argv[1], "fuse-joyent"))
		mk_fuse(&joyent, false, z, &buf, &len);
	else if (!strcmp(argv[1], "fuse-gate"))
		mk_fuse(&gate, false, z, &buf, &len);
	else
		return 2;
	FILE *f = fopen(argv[3], "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(argv[3]);
		return 1;
	}
	free(buf);
	return 0;
}
#endif
