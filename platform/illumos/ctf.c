// SPDX-License-Identifier: GPL-2.0-or-later
/* illumos CTF version 2 reader: the header, the optional zlib body, an index
 * of the type records, type names, struct lookup, and the .SUNW_ctf section
 * of ELF files through libelf. The layout follows illumos sys/ctf.h; every
 * offset, count and type id read from the data is checked before use. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <zlib.h>

#include "ctf.h"

#define CTF_MAGIC 0xcff1
#define GNU_CTF_MAGIC 0xdff2
#define CTF_HDR_LEN 36u
#define CTF_F_COMPRESS 0x1
#define CTF_LSIZE_SENT 0xffff
#define CTF_LSTRUCT_THRESH 8192
#define CTF_CHILD_START 0x8000u
#define CTF_MAX_INDEX 0x7fffu
#define CTF_MAX_BODY (1u << 30) /* refuse to inflate more than this */
#define CTF_MAX_LINKS 64        /* longest chain of type references followed */
#define CTF_MAX_STEPS 20000     /* work budget for naming one member's type */

enum ctf_kind {
	K_UNKNOWN, K_INTEGER, K_FLOAT, K_POINTER, K_ARRAY, K_FUNCTION, K_STRUCT,
	K_UNION, K_ENUM, K_FORWARD, K_TYPEDEF, K_VOLATILE, K_CONST, K_RESTRICT,
};

/* One type record, located and checked once at open time. */
struct ctf_rec {
	uint32_t pos;  /* byte offset of the record in data */
	uint32_t vpos; /* byte offset of its variable-length part */
	uint32_t name; /* name reference */
	uint16_t kind, vlen;
	uint16_t ref;  /* ctt_type: referenced type, or a forward's tag kind */
	bool root;
	uint64_t size;
};

struct ib_ctf {
	char *name;       /* prefix of messages: a path or the caller's name */
	const char *sect; /* ".SUNW_ctf" or "CTF data" */
	uint8_t *data;    /* header + (inflated) body */
	size_t len;
	bool compressed;  /* set once inflated: later offsets are "decompressed" */
	bool swap;        /* data is in the other byte order */
	uint32_t str_pos, str_len;
	char *ext;        /* NUL-terminated copy of the ELF string table, or NULL */
	size_t ext_len;
	const char *parname, *parlabel, *label;
	struct ctf_rec *recs;
	size_t nrecs;
	struct ib_ctf *parent;
};

static const char *const kind_names[] = {
	"unknown", "integer", "float", "pointer", "array", "function", "struct",
	"union", "enum", "forward", "typedef", "volatile", "const", "restrict",
};

IB_PRINTF(4, 5)
static int bad(const struct ib_ctf *c, struct ib_error *err, size_t pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = ib_xvasprintf(fmt, ap);
	va_end(ap);
	ib_fail(err, IB_EXIT_INPUT, "%s: %s%s at byte %zu: %s", c->name, c->sect,
		c->compressed && pos >= CTF_HDR_LEN ? " (decompressed)" : "", pos, m);
	free(m);
	return -1;
}

static uint16_t rd16(const struct ib_ctf *c, size_t pos)
{
	const uint8_t *p = c->data + pos;
	return c->swap ? (uint16_t)(p[0] << 8 | p[1]) : ib_get_le16(p);
}

static uint32_t rd32(const struct ib_ctf *c, size_t pos)
{
	const uint8_t *p = c->data + pos;
	if (!c->swap)
		return ib_get_le32(p);
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Check a name reference (read at byte pos) so str_at cannot fail later. */
static int check_name(const struct ib_ctf *c, uint32_t ref, size_t pos, struct ib_error *err)
{
	uint32_t off = ref & 0x7fffffff;
	if (off == 0)
		return 0;
	if (ref >> 31) {
		if (!c->ext)
			return bad(c, err, pos, "name reference 0x%x is into the ELF string table, which is not available",
				   ref);
		if (off >= c->ext_len)
			return bad(c, err, pos,
				   "name reference 0x%x is past the end of the ELF string table (0x%zx bytes)", ref,
				   c->ext_len);
		return 0;
	}
	if (off >= c->str_len)
		return bad(c, err, pos, "string offset 0x%x is past the end of the string table (0x%x bytes)", off,
			   c->str_len);
	return 0;
}

static const char *str_at(const struct ib_ctf *c, uint32_t ref)
{
	uint32_t off = ref & 0x7fffffff;
	if (off == 0)
		return "";
	if (ref >> 31)
		return c->ext + off;
	return (const char *)c->data + c->str_pos + off;
}

static uint16_t type_id(const struct ib_ctf *c, size_t idx)
{
	return (uint16_t)(c->parname ? (idx + 1) | CTF_CHILD_START : idx + 1);
}

/* Inflate the body that follows the header into exactly body_len bytes. */
static int inflate_body(struct ib_ctf *c, const uint8_t *buf, size_t len, size_t body_len,
			struct ib_error *err)
{
	uint8_t *out = ib_xmalloc(CTF_HDR_LEN + body_len);
	memcpy(out, buf, CTF_HDR_LEN);
	z_stream zs = { 0 };
	if (inflateInit(&zs) != Z_OK) {
		free(out);
		return ib_fail(err, IB_EXIT_ENV, "%s: zlib: inflateInit failed", c->name);
	}
	size_t in_len = len - CTF_HDR_LEN;
	zs.next_in = (Bytef *)(buf + CTF_HDR_LEN);
	zs.avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
	zs.next_out = out + CTF_HDR_LEN;
	zs.avail_out = (uInt)body_len;
	int rc = inflate(&zs, Z_FINISH);
	bool too_long = false;
	if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
		/* The output is full: does the stream end here, or go on? */
		uint8_t probe;
		zs.next_out = &probe;
		zs.avail_out = 1;
		rc = inflate(&zs, Z_FINISH);
		too_long = zs.total_out > body_len;
	}
	size_t at = CTF_HDR_LEN + zs.total_in;
	unsigned long got = zs.total_out;
	int ret = 0;
	if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR)
		ret = bad(c, err, at, "the zlib-compressed data is corrupt (zlib: %s)",
			  zs.msg ? zs.msg : "bad data");
	else if (too_long)
		ret = bad(c, err, at, "the compressed data inflates to more than the 0x%zx bytes the header announces",
			  body_len);
	else if (rc != Z_STREAM_END)
		ret = bad(c, err, at, "the compressed data ends early: 0x%lx of 0x%zx bytes inflated", got, body_len);
	else if (got != body_len)
		ret = bad(c, err, at, "the compressed data inflates to 0x%lx bytes, the header announces 0x%zx", got,
			  body_len);
	inflateEnd(&zs);
	if (ret) {
		free(out);
		return -1;
	}
	c->data = out;
	c->len = CTF_HDR_LEN + body_len;
	c->compressed = true;
	return 0;
}

/* Check the magic, version and flags. */
static int check_preamble(struct ib_ctf *c, const uint8_t *buf, size_t len, struct ib_error *err)
{
	if (len < 4)
		return bad(c, err, len, "the data is %zu bytes, too short for a CTF preamble (4 bytes)", len);
	uint16_t magic = ib_get_le16(buf);
	if (magic == CTF_MAGIC)
		c->swap = false;
	else if (magic == (uint16_t)(CTF_MAGIC << 8 | CTF_MAGIC >> 8))
		c->swap = true;
	else if (magic == GNU_CTF_MAGIC || magic == (uint16_t)(GNU_CTF_MAGIC << 8 | GNU_CTF_MAGIC >> 8))
		return bad(c, err, 0,
			   "magic 0xdff2 is GNU CTF (binutils, gcc -gctf), a different format; illumos CTF has magic 0xcff1");
	else
		return bad(c, err, 0, "bad magic 0x%04x (CTF has 0xcff1)", magic);
	unsigned version = buf[2], flags = buf[3];
	if (version == 3)
		return bad(c, err, 2, "CTF version 3 is FreeBSD's; illumos writes version 2");
	if (version == 1)
		return bad(c, err, 2, "CTF version 1 (old Solaris) is not supported; illumos writes version 2");
	if (version != 2)
		return bad(c, err, 2, "unknown CTF version %u; illumos writes version 2", version);
	if (flags & ~CTF_F_COMPRESS)
		return bad(c, err, 3, "unknown flags 0x%02x (only 0x1, compressed, is defined)", flags);
	if (len < CTF_HDR_LEN)
		return bad(c, err, len, "the header is truncated: the data is %zu bytes, a version 2 header has %u",
			   len, CTF_HDR_LEN);
	return 0;
}

/* Header fields, in order, with the alignment each section needs. */
static const struct {
	const char *what;
	uint32_t align;
} sections[] = {
	{ "label", 4 }, { "object", 2 }, { "function", 2 }, { "type", 4 }, { "string", 1 },
};

static int read_header(struct ib_ctf *c, const uint8_t *buf, size_t len, struct ib_error *err)
{
	if (check_preamble(c, buf, len, err))
		return -1;
	/* Read the header with the byte order just found, before data exists. */
	c->data = (uint8_t *)buf;
	uint32_t off[5];
	for (size_t i = 0; i < 5; i++)
		off[i] = rd32(c, 12 + 4 * i);
	uint32_t strlen_ = rd32(c, 32);
	c->data = NULL;
	bool compressed = buf[3] & CTF_F_COMPRESS;
	uint64_t body_len = compressed ? (uint64_t)off[4] + strlen_ : len - CTF_HDR_LEN;
	if (!compressed && body_len > CTF_MAX_BODY)
		return bad(c, err, 0, "the data is %zu bytes, more than the 1 GiB this reader takes", len);
	if (compressed && body_len > CTF_MAX_BODY)
		return bad(c, err, 28, "the string section ends at 0x%llx, more than the 1 GiB this reader inflates",
			   (unsigned long long)body_len);
	/* deflate cannot shrink data more than about 1032:1: don't allocate
	 * what the compressed bytes cannot hold. */
	if (compressed && body_len > (uint64_t)(len - CTF_HDR_LEN) * 1040 + 64)
		return bad(c, err, 28, "the header announces 0x%llx bytes, more than %zu compressed bytes can hold",
			   (unsigned long long)body_len, len - CTF_HDR_LEN);
	for (size_t i = 0; i < 5; i++) {
		size_t at = 12 + 4 * i;
		if (off[i] > body_len)
			return bad(c, err, at, "%s section offset 0x%x is past the end of the data (0x%llx bytes)",
				   sections[i].what, off[i], (unsigned long long)body_len);
		if (i > 0 && off[i] < off[i - 1])
			return bad(c, err, at, "%s section offset 0x%x is before the %s section offset 0x%x",
				   sections[i].what, off[i], sections[i - 1].what, off[i - 1]);
		if (off[i] % sections[i].align)
			return bad(c, err, at, "%s section offset 0x%x is not aligned to %u bytes", sections[i].what,
				   off[i], sections[i].align);
	}
	if ((uint64_t)off[4] + strlen_ > body_len)
		return bad(c, err, 32, "the string section (0x%x bytes at 0x%x) runs past the end of the data (0x%llx bytes)",
			   strlen_, off[4], (unsigned long long)body_len);
	if (compressed) {
		if (inflate_body(c, buf, len, (size_t)body_len, err))
			return -1;
	} else {
		c->data = ib_xmalloc(len ? len : 1);
		memcpy(c->data, buf, len);
		c->len = len;
	}
	c->str_pos = CTF_HDR_LEN + off[4];
	c->str_len = strlen_;
	if (strlen_ && c->data[c->str_pos + strlen_ - 1] != '\0')
		return bad(c, err, c->str_pos + strlen_ - 1, "the string table does not end with a NUL byte");
	uint32_t parlabel = rd32(c, 4), parname = rd32(c, 8);
	if (check_name(c, parlabel, 4, err) || check_name(c, parname, 8, err))
		return -1;
	c->parlabel = parlabel ? str_at(c, parlabel) : NULL;
	c->parname = parname ? str_at(c, parname) : NULL;
	if (c->parname && !c->parname[0])
		c->parname = NULL;
	for (uint32_t p = CTF_HDR_LEN + off[0]; p + 8 <= CTF_HDR_LEN + off[1]; p += 8) {
		uint32_t ref = rd32(c, p);
		if (check_name(c, ref, p, err))
			return -1;
		c->label = str_at(c, ref);
	}
	return 0;
}

/* Bytes of variable data that follow a record of this kind. */
static uint64_t vbytes_of(unsigned kind, unsigned vlen, uint64_t size)
{
	switch (kind) {
	case K_INTEGER:
	case K_FLOAT:
		return 4;
	case K_ARRAY:
		return 8;
	case K_FUNCTION:
		return 2 * (uint64_t)(vlen + (vlen & 1));
	case K_STRUCT:
	case K_UNION:
		return (size >= CTF_LSTRUCT_THRESH ? 16 : 8) * (uint64_t)vlen;
	case K_ENUM:
		return 8 * (uint64_t)vlen;
	default:
		return 0;
	}
}

static int index_types(struct ib_ctf *c, struct ib_error *err)
{
	uint32_t typeoff = rd32(c, 24), stroff = rd32(c, 28);
	size_t p = CTF_HDR_LEN + typeoff, end = CTF_HDR_LEN + stroff;
	IB_VEC(struct ctf_rec) recs = { 0 };
	int ret = 0;
	while (p < end) {
		size_t left = end - p;
		if (left < 8) {
			ret = bad(c, err, p, "type record %zu is truncated: %zu bytes are left in the type section, a record has 8",
				  recs.n + 1, left);
			break;
		}
		if (recs.n == CTF_MAX_INDEX) {
			ret = bad(c, err, p, "more than %u types in one container", CTF_MAX_INDEX);
			break;
		}
		struct ctf_rec r = { .pos = (uint32_t)p, .name = rd32(c, p) };
		uint16_t info = rd16(c, p + 4), sz = rd16(c, p + 6);
		r.kind = info >> 11;
		r.root = (info >> 10) & 1;
		r.vlen = info & 0x3ff;
		r.ref = sz;
		r.size = sz;
		size_t inc = 8;
		if (sz == CTF_LSIZE_SENT) {
			if (left < 16) {
				ret = bad(c, err, p, "type 0x%x: the long record (16 bytes) is truncated: %zu bytes are left",
					  type_id(c, recs.n), left);
				break;
			}
			r.size = (uint64_t)rd32(c, p + 8) << 32 | rd32(c, p + 12);
			inc = 16;
		}
		if (r.kind > K_RESTRICT) {
			ret = bad(c, err, p + 4, "type 0x%x has an unknown kind %u", type_id(c, recs.n), r.kind);
			break;
		}
		uint64_t vb = vbytes_of(r.kind, r.vlen, r.size);
		if (vb > left - inc) {
			ret = bad(c, err, p, "type 0x%x (%s, %u entries of %llu bytes) runs past the end of the type section at byte %zu",
				  type_id(c, recs.n), kind_names[r.kind], r.vlen,
				  (unsigned long long)(r.vlen ? vb / r.vlen : vb), end);
			break;
		}
		if (check_name(c, r.name, p, err)) {
			ret = -1;
			break;
		}
		r.vpos = (uint32_t)(p + inc);
		IB_VEC_PUSH(recs, r);
		p += inc + vb;
	}
	if (ret) {
		free(recs.v);
		return -1;
	}
	c->recs = recs.v;
	c->nrecs = recs.n;
	return 0;
}

static int open_common(const uint8_t *buf, size_t len, const char *name, const char *sect, const char *ext,
		       size_t ext_len, struct ib_ctf **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_ctf *c = ib_xcalloc(1, sizeof(*c));
	c->name = ib_xstrdup(name);
	c->sect = sect;
	if (ext) {
		c->ext = ib_xmalloc(ext_len + 1);
		memcpy(c->ext, ext, ext_len);
		c->ext[ext_len] = '\0';
		c->ext_len = ext_len;
	}
	if (read_header(c, buf, len, err) || index_types(c, err)) {
		ib_ctf_free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int ib_ctf_open_mem(const void *buf, size_t len, const char *name, struct ib_ctf **out, struct ib_error *err)
{
	return open_common(buf, len, name, "CTF data", NULL, 0, out, err);
}

void ib_ctf_free(struct ib_ctf *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->data);
	free(c->ext);
	free(c->recs);
	free(c);
}

/* The string table that .SUNW_ctf's name references with bit 31 set use:
 * the one linked from the symbol table (sh_link of .SUNW_ctf, else the first
 * SHT_SYMTAB). */
static Elf_Data *elf_ext_strtab(Elf *e, const GElf_Shdr *ctf_sh)
{
	Elf_Scn *sym = NULL;
	GElf_Shdr sh;
	if (ctf_sh->sh_link) {
		Elf_Scn *s = elf_getscn(e, ctf_sh->sh_link);
		if (s && gelf_getshdr(s, &sh) && sh.sh_type == SHT_SYMTAB)
			sym = s;
	}
	for (Elf_Scn *s = NULL; !sym && (s = elf_nextscn(e, s));)
		if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_SYMTAB)
			sym = s;
	if (!sym || !gelf_getshdr(sym, &sh))
		return NULL;
	Elf_Scn *str = elf_getscn(e, sh.sh_link);
	if (!str || !gelf_getshdr(str, &sh) || sh.sh_type != SHT_STRTAB)
		return NULL;
	return elf_rawdata(str, NULL);
}

int ib_ctf_open_elf(const char *path, struct ib_ctf **out, struct ib_error *err)
{
	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return ib_fail(err, IB_EXIT_ENV, "libelf: %s", elf_errmsg(-1));
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail(err, IB_EXIT_ENV, "%s: cannot open: %s", path, strerror(errno));
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e)
		return ib_fail(err, IB_EXIT_INPUT, "%s: cannot read as ELF: %s", path, elf_errmsg(-1));
	int ret = 0;
	size_t shstrndx;
	Elf_Scn *ctf = NULL, *gnu = NULL;
	GElf_Shdr sh;
	if (elf_kind(e) != ELF_K_ELF) {
		ret = ib_fail(err, IB_EXIT_INPUT, "%s: not an ELF file", path);
		goto out;
	}
	if (elf_getshdrstrndx(e, &shstrndx) != 0) {
		ret = ib_fail(err, IB_EXIT_INPUT, "%s: bad ELF section headers: %s", path, elf_errmsg(-1));
		goto out;
	}
	for (Elf_Scn *s = NULL; (s = elf_nextscn(e, s));) {
		if (!gelf_getshdr(s, &sh))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, ".SUNW_ctf") && !ctf)
			ctf = s;
		else if (n && !strcmp(n, ".ctf"))
			gnu = s;
	}
	if (!ctf) {
		if (gnu)
			ret = ib_fail(err, IB_EXIT_INPUT,
				      "%s: has a .ctf section, which is GNU CTF (binutils, gcc -gctf), but no illumos .SUNW_ctf section",
				      path);
		else
			ret = 1;
		goto out;
	}
	if (!gelf_getshdr(ctf, &sh) || sh.sh_type == SHT_NOBITS) {
		ret = ib_fail(err, IB_EXIT_INPUT, "%s: the .SUNW_ctf section has no data in the file", path);
		goto out;
	}
	Elf_Data *d = elf_rawdata(ctf, NULL);
	if (!d) {
		ret = ib_fail(err, IB_EXIT_INPUT, "%s: cannot read the .SUNW_ctf section: %s", path, elf_errmsg(-1));
		goto out;
	}
	Elf_Data *ext = elf_ext_strtab(e, &sh);
	static const uint8_t empty[1];
	ret = open_common(d->d_buf ? d->d_buf : empty, d->d_buf ? d->d_size : 0, path, ".SUNW_ctf",
			  ext && ext->d_buf ? ext->d_buf : NULL, ext && ext->d_buf ? ext->d_size : 0, out, err);
out:
	elf_end(e);
	return ret;
}

const char *ib_ctf_parent_name(const struct ib_ctf *c) { return c->parname; }
const char *ib_ctf_parent_label(const struct ib_ctf *c) { return c->parlabel; }
const char *ib_ctf_label(const struct ib_ctf *c) { return c->label; }
bool ib_ctf_is_compressed(const struct ib_ctf *c) { return c->compressed; }
size_t ib_ctf_type_count(const struct ib_ctf *c) { return c->nrecs; }

int ib_ctf_set_parent(struct ib_ctf *c, struct ib_ctf *parent, struct ib_error *err)
{
	if (!c->parname)
		return ib_fail(err, IB_EXIT_INPUT, "%s: its CTF names no parent; it cannot take %s as one", c->name,
			       parent->name);
	if (parent->parname)
		return ib_fail(err, IB_EXIT_INPUT, "%s: its CTF is itself a child (of %s); it cannot be a parent",
			       parent->name, parent->parname);
	c->parent = parent;
	return 0;
}

/* Find the record of type id (referenced at byte refpos of c), in c or its
 * parent; *owner is the container the record belongs to. */
static int lookup(const struct ib_ctf *c, uint16_t id, size_t refpos, const struct ib_ctf **owner,
		  const struct ctf_rec **rec, struct ib_error *err)
{
	const struct ib_ctf *o = c;
	if (c->parname && id < CTF_CHILD_START) {
		if (!c->parent)
			return bad(c, err, refpos, "type 0x%x is in the parent container %s, which was not given", id,
				   c->parname);
		o = c->parent;
	} else if (!c->parname && id >= CTF_CHILD_START) {
		return bad(c, err, refpos, "type 0x%x is a child type id, but this container has no parent", id);
	}
	size_t idx = id & CTF_MAX_INDEX;
	if (idx == 0 || idx > o->nrecs)
		return bad(c, err, refpos, "type 0x%x is out of range (%s%s has %zu types)", id,
			   o == c ? "this container" : "the parent ", o == c ? "" : o->name, o->nrecs);
	*owner = o;
	*rec = &o->recs[idx - 1];
	return 0;
}

struct namer {
	unsigned steps;
	struct ib_error *err;
};

static int tname(const struct ib_ctf *c, uint16_t id, size_t refpos, unsigned depth, struct namer *nm,
		 char **out);

/* "ret (*)(a, b)" for a pointer to a function, "ret (a, b)" for the function. */
static int func_name(const struct ib_ctf *o, const struct ctf_rec *r, unsigned depth, struct namer *nm,
		     const char *star, char **out)
{
	char *ret_s = NULL;
	if (tname(o, r->ref, r->pos + 6, depth + 1, nm, &ret_s))
		return -1;
	struct ib_buf b = { 0 };
	ib_buf_printf(&b, "%s (%s)(", ret_s, star);
	free(ret_s);
	for (unsigned i = 0; i < r->vlen; i++) {
		size_t at = r->vpos + 2 * (size_t)i;
		uint16_t a = rd16(o, at);
		char *as = NULL;
		if (a == 0 && i + 1 == r->vlen) {
			as = ib_xstrdup("...");
		} else if (tname(o, a, at, depth + 1, nm, &as)) {
			ib_buf_free(&b);
			return -1;
		}
		ib_buf_printf(&b, "%s%s", i ? ", " : "", as);
		free(as);
	}
	ib_buf_puts(&b, ")");
	*out = ib_buf_steal(&b);
	return 0;
}

static char *add_suffix(char *base, const char *suffix)
{
	size_t n = strlen(base);
	char *s = ib_xasprintf("%s%s%s", base, n && base[n - 1] == '*' ? "" : " ", suffix);
	free(base);
	return s;
}

static int tname(const struct ib_ctf *c, uint16_t id, size_t refpos, unsigned depth, struct namer *nm,
		 char **out)
{
	if (id == 0) {
		*out = ib_xstrdup("void");
		return 0;
	}
	if (depth > CTF_MAX_LINKS || ++nm->steps > CTF_MAX_STEPS)
		return bad(c, nm->err, refpos, "loop in type references: type 0x%x is reached after more than %d links",
			   id, depth > CTF_MAX_LINKS ? CTF_MAX_LINKS : (int)depth);
	const struct ib_ctf *o;
	const struct ctf_rec *r;
	if (lookup(c, id, refpos, &o, &r, nm->err))
		return -1;
	const char *n = str_at(o, r->name);
	const char *anon = n[0] ? n : "(anon)";
	char *sub = NULL;
	switch (r->kind) {
	case K_INTEGER:
	case K_FLOAT:
		*out = ib_xstrdup(anon);
		return 0;
	case K_STRUCT:
	case K_UNION:
	case K_ENUM:
		*out = ib_xasprintf("%s %s", kind_names[r->kind], anon);
		return 0;
	case K_FORWARD:
		*out = ib_xasprintf("%s %s", r->ref == K_UNION ? "union" : r->ref == K_ENUM ? "enum" : "struct", anon);
		return 0;
	case K_FUNCTION:
		return func_name(o, r, depth, nm, "", out);
	case K_TYPEDEF:
		/* Follow the chain even when named, so loops and bad ids surface. */
		if (tname(o, r->ref, r->pos + 6, depth + 1, nm, &sub))
			return -1;
		if (n[0]) {
			free(sub);
			*out = ib_xstrdup(n);
		} else {
			*out = sub;
		}
		return 0;
	case K_POINTER: {
		const struct ib_ctf *to = NULL;
		const struct ctf_rec *tr = NULL;
		if (r->ref && lookup(o, r->ref, r->pos + 6, &to, &tr, nm->err))
			return -1;
		if (r->ref && tr->kind == K_FUNCTION)
			return func_name(to, tr, depth + 1, nm, "*", out);
		if (tname(o, r->ref, r->pos + 6, depth + 1, nm, &sub))
			return -1;
		*out = add_suffix(sub, "*");
		return 0;
	}
	case K_ARRAY: {
		uint16_t elem = rd16(o, r->vpos);
		uint32_t nelems = rd32(o, r->vpos + 4);
		if (tname(o, elem, r->vpos, depth + 1, nm, &sub))
			return -1;
		char dim[24];
		snprintf(dim, sizeof(dim), "[%u]", nelems);
		*out = add_suffix(sub, dim);
		return 0;
	}
	case K_CONST:
	case K_VOLATILE:
	case K_RESTRICT: {
		if (tname(o, r->ref, r->pos + 6, depth + 1, nm, &sub))
			return -1;
		size_t len = strlen(sub);
		if (len && sub[len - 1] == '*') {
			*out = add_suffix(sub, kind_names[r->kind]);
		} else {
			*out = ib_xasprintf("%s %s", kind_names[r->kind], sub);
			free(sub);
		}
		return 0;
	}
	default:
		*out = ib_xstrdup("(unknown)");
		return 0;
	}
}

/* The struct NAME defined in c itself: the first root definition, else the
 * first one at all. */
static const struct ctf_rec *find_rec(const struct ib_ctf *c, const char *name)
{
	const struct ctf_rec *any = NULL;
	for (size_t i = 0; i < c->nrecs; i++) {
		const struct ctf_rec *r = &c->recs[i];
		if (r->kind != K_STRUCT || strcmp(str_at(c, r->name), name))
			continue;
		if (r->root)
			return r;
		if (!any)
			any = r;
	}
	return any;
}

void ib_ctf_struct_free(struct ib_ctf_struct *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmembers; i++)
		free(s->members[i].type);
	free(s->members);
	memset(s, 0, sizeof(*s));
}

int ib_ctf_find_struct(const struct ib_ctf *ctf, const char *name, struct ib_ctf_struct *out,
		       struct ib_error *err)
{
	memset(out, 0, sizeof(*out));
	const struct ib_ctf *o = ctf;
	const struct ctf_rec *r = find_rec(ctf, name);
	if (!r && ctf->parent) {
		o = ctf->parent;
		r = find_rec(o, name);
		out->from_parent = true;
	}
	if (!r) {
		out->from_parent = false;
		return 1;
	}
	bool large = r->size >= CTF_LSTRUCT_THRESH;
	out->name = str_at(o, r->name);
	out->size = r->size;
	out->pos = r->pos;
	out->members = ib_xcalloc(r->vlen ? r->vlen : 1, sizeof(*out->members));
	for (unsigned i = 0; i < r->vlen; i++) {
		size_t at = r->vpos + (large ? 16 : 8) * (size_t)i;
		struct ib_ctf_member *m = &out->members[i];
		uint32_t mname = rd32(o, at);
		uint16_t mtype = rd16(o, at + 4);
		if (large)
			m->off_bits = (uint64_t)rd32(o, at + 8) << 32 | rd32(o, at + 12);
		else
			m->off_bits = rd16(o, at + 6);
		struct namer nm = { .err = err };
		if (check_name(o, mname, at, err) || tname(o, mtype, at + 4, 0, &nm, &m->type)) {
			out->nmembers = i;
			ib_ctf_struct_free(out);
			return -1;
		}
		m->name = str_at(o, mname);
		out->nmembers = i + 1;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **ib_ctf_struct_names(const struct ib_ctf *c, size_t *n)
{
	const char **v = ib_xcalloc(c->nrecs + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < c->nrecs; i++) {
		const char *s = str_at(c, c->recs[i].name);
		if (c->recs[i].kind == K_STRUCT && s[0])
			v[k++] = s;
	}
	qsort(v, k, sizeof(*v), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
	v[u] = NULL;
	*n = u;
	return v;
}
