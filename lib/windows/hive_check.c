// SPDX-License-Identifier: GPL-2.0-or-later
/* Structural check of a registry hive file before hivex sees it. hivex only
 * says EINVAL/ENOTSUP; this names the byte offset of the first problem.
 * Layout (offsets in the 4 KiB 'regf' base block):
 *   0x00 "regf"  0x04 primary seq  0x08 secondary seq  0x14 major (1)
 *   0x18 minor   0x1c type (0 = primary file)  0x24 root cell offset
 *   0x28 hive bins data size  0x1fc checksum = XOR of dwords 0..126
 * Then hbins from 0x1000: "hbin", offset from 0x1000, size (4 KiB multiple),
 * and cells from hbin+0x20, each starting with a signed size (negative =
 * allocated) whose magnitude is a multiple of 8 and stays inside the hbin. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "hive.h"

#define REGF_SIZE 0x1000u
#define HBIN_HDR 0x20u

struct chk {
	const uint8_t *p;
	uint64_t size;
	const char *label;
	struct ib_error *err;
	uint64_t bins_end;  /* absolute end of the hive bins */
	uint8_t *starts;    /* one bit per 8 bytes of the bins: a cell starts there */
	uint8_t *visited;   /* same: a key node already walked (loops) */
};

static int bad(struct chk *c, uint64_t off, const char *fmt, ...) IB_PRINTF(3, 4);
static int bad(struct chk *c, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = ib_xvasprintf(fmt, ap);
	va_end(ap);
	return ib_fail(c->err, IB_EXIT_INPUT, "%s hive at byte 0x%" PRIx64 ": %s", c->label, off, what);
}

static uint32_t header_checksum(const uint8_t *p)
{
	uint32_t x = 0;
	for (unsigned i = 0; i < 127; i++)
		x ^= ib_get_le32(p + 4 * i);
	return x;
}

static int check_base_block(struct chk *c, bool allow_dirty, uint32_t *bins_size)
{
	const uint8_t *p = c->p;
	if (c->size < REGF_SIZE)
		return bad(c, c->size, "the file ends inside the 4096-byte 'regf' header (%" PRIu64 " bytes)",
			   c->size);
	if (memcmp(p, "regf", 4) != 0)
		return bad(c, 0, "no 'regf' signature (found %02x %02x %02x %02x): not a registry hive", p[0], p[1],
			   p[2], p[3]);
	/* Checksum first: if it is wrong, every other field is suspect. Windows
	 * stores 1 for an XOR of 0 and 0xfffffffe for 0xffffffff. */
	uint32_t want = header_checksum(p), have = ib_get_le32(p + 0x1fc);
	bool ok = have == want || (want == 0 && have == 1) || (want == 0xffffffffu && have == 0xfffffffeu);
	if (!ok)
		return bad(c, 0x1fc, "header checksum is 0x%08" PRIx32 ", expected 0x%08" PRIx32, have, want);
	uint32_t seq1 = ib_get_le32(p + 4), seq2 = ib_get_le32(p + 8);
	if (seq1 != seq2 && !allow_dirty)
		return bad(c, 0x8,
			   "secondary sequence number %" PRIu32 " differs from the primary %" PRIu32
			   " at byte 0x4: the hive was not closed cleanly (pending transaction log; shut "
			   "Windows down fully, with Fast Startup off, before editing it offline)",
			   seq2, seq1);
	uint32_t major = ib_get_le32(p + 0x14), minor = ib_get_le32(p + 0x18);
	if (major != 1)
		return bad(c, 0x14, "format version %" PRIu32 ".%" PRIu32 " is not 1.x", major, minor);
	uint32_t type = ib_get_le32(p + 0x1c);
	if (type != 0)
		return bad(c, 0x1c, "file type %" PRIu32 " is not a primary hive (1 and 2 are transaction logs)",
			   type);
	uint32_t bins = ib_get_le32(p + 0x28);
	if (bins == 0 || bins % REGF_SIZE != 0)
		return bad(c, 0x28, "hive bins data size 0x%" PRIx32 " is not a non-zero multiple of 0x1000", bins);
	if ((uint64_t)REGF_SIZE + bins > c->size)
		return bad(c, 0x28,
			   "hive bins data size 0x%" PRIx32 " needs the file to reach byte 0x%" PRIx64
			   ", but it ends at byte 0x%" PRIx64 " (truncated)",
			   bins, (uint64_t)REGF_SIZE + bins, c->size);
	uint32_t root = ib_get_le32(p + 0x24);
	if (root < HBIN_HDR || root % 8 != 0 || (uint64_t)root + 8 > bins)
		return bad(c, 0x24, "root cell offset 0x%" PRIx32 " is outside the hive bins (size 0x%" PRIx32 ")",
			   root, bins);
	*bins_size = bins;
	return 0;
}

/* Walk the cells of one hbin [start, end). */
static int check_cells(struct chk *c, uint64_t start, uint64_t end)
{
	uint64_t off = start + HBIN_HDR;
	while (off < end) {
		if (off + 4 > end)
			return bad(c, off, "cell header crosses the end of the hbin at byte 0x%" PRIx64, end);
		int32_t raw = (int32_t)ib_get_le32(c->p + off);
		uint64_t len = raw < 0 ? (uint64_t)(-(int64_t)raw) : (uint64_t)raw;
		if (len < 8 || len % 8 != 0)
			return bad(c, off, "cell size %" PRId32 " is not a multiple of 8 of at least 8", raw);
		if (off + len > end)
			return bad(c, off, "cell of %" PRIu64 " bytes runs past the end of its hbin at byte 0x%" PRIx64,
				   len, end);
		uint64_t bit = (off - REGF_SIZE) / 8;
		c->starts[bit / 8] |= (uint8_t)(1u << (bit % 8));
		off += len;
	}
	return 0;
}

static int check_bins(struct chk *c, uint32_t bins_size, uint32_t root)
{
	uint64_t end = (uint64_t)REGF_SIZE + bins_size, off = REGF_SIZE;
	bool root_seen = false;
	while (off < end) {
		const uint8_t *h = c->p + off;
		if (memcmp(h, "hbin", 4) != 0)
			return bad(c, off, "no 'hbin' signature (found %02x %02x %02x %02x)", h[0], h[1], h[2], h[3]);
		uint32_t rel = ib_get_le32(h + 4), sz = ib_get_le32(h + 8);
		if (rel != off - REGF_SIZE)
			return bad(c, off + 4, "hbin says it is at offset 0x%" PRIx32 ", but it is at 0x%" PRIx64, rel,
				   off - REGF_SIZE);
		if (sz < REGF_SIZE || sz % REGF_SIZE != 0)
			return bad(c, off + 8, "hbin size 0x%" PRIx32 " is not a non-zero multiple of 0x1000", sz);
		if (off + sz > end)
			return bad(c, off + 8,
				   "hbin size 0x%" PRIx32 " runs past the end of the hive bins at byte 0x%" PRIx64,
				   sz, end);
		if (check_cells(c, off, off + sz) < 0)
			return -1;
		uint64_t root_abs = (uint64_t)REGF_SIZE + root;
		if (root_abs >= off && root_abs < off + sz)
			root_seen = true;
		off += sz;
	}
	/* The root must be an allocated key node ("nk"). */
	uint64_t r = (uint64_t)REGF_SIZE + root;
	int32_t rsz = (int32_t)ib_get_le32(c->p + r);
	if (!root_seen || rsz >= 0 || memcmp(c->p + r + 4, "nk", 2) != 0)
		return bad(c, r, "the root cell (offset 0x%" PRIx32 " at byte 0x24) is not an allocated key node",
			   root);
	return 0;
}


/* ---- the key tree: every pointer lands on an allocated cell of its kind ---- */

/* The allocated cell a hive offset (relative to the first hbin) names, or
 * NULL. *len: its usable bytes (after the 4-byte size). */
static const uint8_t *cell_at(struct chk *c, uint32_t rel, uint64_t *len)
{
	uint64_t abs = (uint64_t)REGF_SIZE + rel;
	if (rel % 8 || abs + 8 > c->bins_end)
		return NULL;
	uint64_t bit = rel / 8;
	if (!(c->starts[bit / 8] & (1u << (bit % 8))))
		return NULL;
	int32_t raw = (int32_t)ib_get_le32(c->p + abs);
	if (raw >= 0)
		return NULL; /* a free cell */
	*len = (uint64_t)(-(int64_t)raw) - 4;
	return c->p + abs + 4;
}

#define NK_MIN 0x4c
#define VK_MIN 0x14

static int check_values(struct chk *c, uint64_t key_abs, const uint8_t *nk)
{
	uint32_t n = ib_get_le32(nk + 0x24), list = ib_get_le32(nk + 0x28);
	if (!n)
		return 0;
	uint64_t len;
	const uint8_t *l = cell_at(c, list, &len);
	if (!l || len < (uint64_t)n * 4)
		return bad(c, key_abs + 4 + 0x28, "the key's value list (offset 0x%" PRIx32 ", %" PRIu32
			   " values) is not an allocated cell large enough", list, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t vo = ib_get_le32(l + 4 * i);
		uint64_t vlen;
		const uint8_t *vk = cell_at(c, vo, &vlen);
		uint64_t field = (uint64_t)REGF_SIZE + list + 4 + 4 * i;
		if (!vk || vlen < VK_MIN || memcmp(vk, "vk", 2) != 0)
			return bad(c, field, "value %" PRIu32 " of the key at byte 0x%" PRIx64 " (offset 0x%" PRIx32
				   ") is not a value cell ('vk')", i, key_abs, vo);
		uint16_t name_len = (uint16_t)(vk[2] | vk[3] << 8);
		if ((uint64_t)VK_MIN + name_len > vlen)
			return bad(c, (uint64_t)REGF_SIZE + vo + 4 + 2, "value name of %u bytes runs past its cell",
				   name_len);
		uint32_t dsize = ib_get_le32(vk + 4), doff = ib_get_le32(vk + 8);
		bool inline_data = dsize & 0x80000000u;
		dsize &= 0x7fffffffu;
		uint64_t dlen;
		if (!inline_data && dsize > 0 && !cell_at(c, doff, &dlen))
			return bad(c, (uint64_t)REGF_SIZE + vo + 4 + 8,
				   "the data of a value (offset 0x%" PRIx32 ", %" PRIu32 " bytes) is not an allocated cell",
				   doff, dsize);
	}
	return 0;
}

static int check_key(struct chk *c, uint32_t rel, uint64_t from, unsigned depth);

/* A subkey list: lf/lh (offset + hash), li (offsets), ri (lists of lists). */
static int check_subkey_list(struct chk *c, uint32_t rel, uint64_t from, unsigned depth, uint32_t *count)
{
	uint64_t len;
	const uint8_t *l = cell_at(c, rel, &len);
	uint64_t abs = (uint64_t)REGF_SIZE + rel;
	if (!l || len < 4)
		return bad(c, from, "the subkey list (offset 0x%" PRIx32 ") is not an allocated cell", rel);
	uint16_t n = (uint16_t)(l[2] | l[3] << 8);
	bool pairs = !memcmp(l, "lf", 2) || !memcmp(l, "lh", 2);
	bool li = !memcmp(l, "li", 2), ri = !memcmp(l, "ri", 2);
	if (!pairs && !li && !ri)
		return bad(c, abs + 4, "the subkey list has signature %02x %02x, not lf, lh, li or ri", l[0], l[1]);
	size_t step = pairs ? 8 : 4;
	if (4 + (uint64_t)n * step > len)
		return bad(c, abs + 6, "the subkey list's %u entries run past its cell", n);
	for (uint16_t i = 0; i < n; i++) {
		uint32_t o = ib_get_le32(l + 4 + step * i);
		uint64_t field = abs + 4 + 4 + step * i;
		int r = ri ? check_subkey_list(c, o, field, depth, count) : check_key(c, o, field, depth + 1);
		if (r < 0)
			return -1;
		if (!ri)
			(*count)++;
	}
	return 0;
}

static int check_key(struct chk *c, uint32_t rel, uint64_t from, unsigned depth)
{
	uint64_t len, abs = (uint64_t)REGF_SIZE + rel;
	const uint8_t *nk = cell_at(c, rel, &len);
	if (!nk || len < NK_MIN || memcmp(nk, "nk", 2) != 0)
		return bad(c, from, "offset 0x%" PRIx32 " does not name a key cell ('nk')", rel);
	uint64_t bit = rel / 8;
	if (c->visited[bit / 8] & (1u << (bit % 8)) || depth > 512)
		return bad(c, from, "the key tree loops back to the key at byte 0x%" PRIx64, abs);
	c->visited[bit / 8] |= (uint8_t)(1u << (bit % 8));
	uint16_t name_len = (uint16_t)(nk[0x48] | nk[0x49] << 8);
	if ((uint64_t)NK_MIN + name_len > len)
		return bad(c, abs + 4 + 0x48, "key name of %u bytes runs past its cell", name_len);
	if (check_values(c, abs, nk) < 0)
		return -1;
	uint32_t n = ib_get_le32(nk + 0x14), list = ib_get_le32(nk + 0x1c);
	if (!n)
		return 0;
	uint32_t seen = 0;
	if (check_subkey_list(c, list, abs + 4 + 0x1c, depth, &seen) < 0)
		return -1;
	if (seen != n)
		return bad(c, abs + 4 + 0x14, "the key says it has %" PRIu32 " subkeys, its lists hold %" PRIu32, n,
			   seen);
	return 0;
}

int ib_hive_check(const char *path, const char *label, bool allow_dirty, struct ib_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open hive %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot stat hive %s", path);
	if (!S_ISREG(st.st_mode))
		return ib_fail(err, IB_EXIT_INPUT, "hive %s is not a regular file", path);
	struct chk c = {.size = (uint64_t)st.st_size, .label = label ? label : path, .err = err};
	if (c.size == 0)
		return bad(&c, 0, "the file is empty");
	void *map = mmap(NULL, (size_t)c.size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return ib_fail_errno(err, -errno, "cannot map hive %s", path);
	c.p = map;
	uint32_t bins = 0;
	int r = check_base_block(&c, allow_dirty, &bins);
	if (r == 0) {
		c.bins_end = (uint64_t)REGF_SIZE + bins;
		c.starts = ib_xcalloc(bins / 64 + 1, 1);
		c.visited = ib_xcalloc(bins / 64 + 1, 1);
		r = check_bins(&c, bins, ib_get_le32(c.p + 0x24));
		if (r == 0)
			r = check_key(&c, ib_get_le32(c.p + 0x24), 0x24, 0);
		free(c.starts);
		free(c.visited);
	}
	munmap(map, (size_t)c.size);
	return r;
}
