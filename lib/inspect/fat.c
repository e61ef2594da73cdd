// SPDX-License-Identifier: GPL-2.0-or-later
/* Listing a FAT12/16/32 volume with a reader of our own (checked against
 * mtools by tests/e2e/inspect.sh): the boot sector's parameters, the FAT
 * (the active copy), cluster chains, and directories with VFAT long names.
 * Times: FAT stores local time with 2-second resolution; imgbuild writes
 * UTC (mtools runs with TZ=UTC0), so the fields are read as UTC. Every
 * structural problem is an input error naming its byte offset in the disk.
 * Every cluster may belong to one chain only (a second visit is a loop or
 * a cross-link), and chains are followed at most as many steps as the
 * volume has clusters, so no image can make this spin. */
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>

#include "core/blkio.h"
#include "core/undo.h"
#include "fat_int.h"
#include "inspect.h"

#define RUN_MAX (1u << 20)          /* bytes per read of contiguous clusters */
#define DIR_MAX (65536u * 32)       /* a FAT directory holds at most 65536 entries */
#define ATTR_LFN 0x0F
#define ATTR_VOLUME 0x08
#define ATTR_DIR 0x10

struct fat {
	const struct ib_inspect_vol *v;
	struct ib_mf_part *p;
	struct ib_error *err;
	int bits; /* 12, 16, 32 */
	uint32_t bps, cluster;
	uint64_t fat_off;             /* byte offset (in the disk) of the FAT in use */
	uint64_t root_off, root_len;  /* FAT12/16 fixed root directory */
	uint32_t root_cluster;        /* FAT32 */
	uint64_t data_off;            /* cluster 2 */
	uint32_t nclusters;           /* data clusters: valid numbers are 2..nclusters+1 */
	uint8_t *table;               /* the FAT */
	uint8_t *used;                /* bitmap: clusters already read as part of some chain */
	uint8_t *buf;
};

static bool pow2(uint32_t v) { return v && !(v & (v - 1)); }

/* Bytes of a FAT with an entry for every cluster (and the two reserved). */
static uint64_t fat_bytes(const struct fat *f)
{
	uint64_t entries = (uint64_t)f->nclusters + 2;
	return f->bits == 12 ? entries * 3 / 2 + 1 : entries * (uint64_t)(f->bits / 8);
}

static uint64_t cluster_off(const struct fat *f, uint32_t c) { return f->data_off + (uint64_t)(c - 2) * f->cluster; }

static uint32_t next_cluster(const struct fat *f, uint32_t c)
{
	switch (f->bits) {
	case 12: {
		uint16_t v = ib_get_le16(f->table + c + c / 2);
		return c & 1 ? v >> 4 : v & 0xFFF;
	}
	case 16:
		return ib_get_le16(f->table + 2 * (size_t)c);
	default:
		return ib_get_le32(f->table + 4 * (size_t)c) & 0x0FFFFFFF;
	}
}

static bool is_eoc(const struct fat *f, uint32_t v)
{
	return v >= (f->bits == 12 ? 0xFF8u : f->bits == 16 ? 0xFFF8u : 0x0FFFFFF8u);
}

/* Byte offset of cluster c's FAT entry, for messages. */
static uint64_t entry_off(const struct fat *f, uint32_t c)
{
	return f->fat_off + (f->bits == 12 ? c + c / 2 : (uint64_t)c * (uint64_t)(f->bits / 8));
}

static bool valid_cluster(const struct fat *f, uint32_t c) { return c >= 2 && c - 2 < f->nclusters; }

/* Check what follows cluster c in a chain: EOC (returns 0 with *next 0) or
 * a valid cluster; anything else is an error naming the FAT entry. */
static int follow(struct fat *f, uint32_t c, const char *path, uint32_t *next)
{
	uint32_t v = next_cluster(f, c);
	if (is_eoc(f, v)) {
		*next = 0;
		return 0;
	}
	if (!valid_cluster(f, v))
		return ib_fail(f->err, IB_EXIT_INPUT,
			       "FAT of partition %u: entry for cluster %" PRIu32 " at byte %" PRIu64
			       " (in the chain of %s) is 0x%" PRIX32 ", not a cluster of the volume (2-%" PRIu32 ") or end of chain",
			       f->v->number, c, entry_off(f, c), path, v, f->nclusters + 1);
	*next = v;
	return 0;
}

static int read_disk(struct fat *f, void *buf, size_t n, uint64_t off, const char *what)
{
	int r = ib_blk_pread(f->v->blk, buf, n, off);
	if (r < 0)
		return ib_fail(f->err, IB_EXIT_INPUT, "FAT partition %u: %s at byte %" PRIu64 ": cannot read %zu bytes: %s",
			       f->v->number, what, off, n, r == -EIO ? "the image ends before it" : strerror(-r));
	return 0;
}

/* Each cluster belongs to one chain: a second visit is a loop or a cross-link. */
static int claim(struct fat *f, uint32_t c, const char *path)
{
	if (f->used[c / 8] & (1u << (c % 8)))
		return ib_fail(f->err, IB_EXIT_INPUT,
			       "FAT partition %u: %s: cluster %" PRIu32 " (at byte %" PRIu64
			       ") is already used by another file or directory, or the chain loops",
			       f->v->number, path, c, cluster_off(f, c));
	f->used[c / 8] |= (uint8_t)(1u << (c % 8));
	return 0;
}

/* Read size bytes of a chain, a run of contiguous clusters at a time, into
 * sink (a digest) or out (a buffer of size bytes). */
static int read_chain(struct fat *f, uint32_t first, uint64_t size, const char *path, EVP_MD_CTX *sink, uint8_t *out)
{
	uint32_t c = first;
	uint64_t done = 0, steps = 0;
	if (size && !valid_cluster(f, c))
		return ib_fail(f->err, IB_EXIT_INPUT,
			       "FAT partition %u: %s starts at cluster %" PRIu32 ", not a cluster of the volume (2-%" PRIu32 ")",
			       f->v->number, path, c, f->nclusters + 1);
	while (done < size) {
		if (ib_interrupted())
			return ib_fail(f->err, IB_EXIT_FAIL, "reading %s: interrupted", path);
		/* Extend the run while the chain continues in the next cluster. */
		uint32_t start = c;
		uint64_t run = f->cluster;
		uint32_t next = 0;
		if (claim(f, c, path) < 0)
			return -1;
		for (;;) {
			if (done + run >= size)
				break;
			if (++steps > f->nclusters)
				return ib_fail(f->err, IB_EXIT_INPUT,
					       "FAT partition %u: the cluster chain of %s (from cluster %" PRIu32 ") loops", f->v->number,
					       path, first);
			if (follow(f, c, path, &next) < 0)
				return -1;
			if (!next)
				return ib_fail(f->err, IB_EXIT_INPUT,
					       "FAT partition %u: %s: its cluster chain ends at cluster %" PRIu32
					       " (FAT entry at byte %" PRIu64 ") after %" PRIu64 " of %" PRIu64 " bytes",
					       f->v->number, path, c, entry_off(f, c), done + run, size);
			if (next != c + 1 || run + f->cluster > RUN_MAX)
				break;
			if (claim(f, next, path) < 0)
				return -1;
			c = next;
			next = 0;
			run += f->cluster;
		}
		uint64_t n = size - done < run ? size - done : run;
		uint8_t *dst = out ? out + done : f->buf;
		if (read_disk(f, dst, (size_t)n, cluster_off(f, start), path) < 0)
			return -1;
		if (sink)
			EVP_DigestUpdate(sink, dst, (size_t)n);
		done += n;
		c = next;
	}
	return 0;
}

/* A directory's bytes: the fixed FAT12/16 root, or a whole cluster chain. */
static uint8_t *read_dir(struct fat *f, uint32_t first, const char *path, size_t *len)
{
	if (!first) {
		uint8_t *b = ib_xmalloc(f->root_len ? f->root_len : 1);
		if (read_disk(f, b, f->root_len, f->root_off, "root directory") < 0) {
			free(b);
			return NULL;
		}
		*len = f->root_len;
		return b;
	}
	/* Its length is the chain's: count it first. */
	uint64_t n = 1;
	for (uint32_t c = first, nx;; c = nx, n++) {
		if (n * f->cluster > DIR_MAX || n > f->nclusters) {
			ib_fail(f->err, IB_EXIT_INPUT,
				"FAT partition %u: directory %s (from cluster %" PRIu32 ") is longer than %u bytes or loops",
				f->v->number, path, first, DIR_MAX);
			return NULL;
		}
		if (follow(f, c, path, &nx) < 0)
			return NULL;
		if (!nx)
			break;
	}
	*len = (size_t)(n * f->cluster);
	uint8_t *b = ib_xmalloc(*len);
	if (read_chain(f, first, *len, path, NULL, b) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The modification time of entry e; out-of-range fields are clamped (a
 * zero date, as some tools write, reads as 1980-01-01). */
static struct ib_mf_time entry_mtime(const uint8_t *e)
{
	uint16_t t = ib_get_le16(e + 0x16), d = ib_get_le16(e + 0x18);
	unsigned mon = (d >> 5) & 15, day = d & 31;
	mon = mon < 1 ? 1 : mon > 12 ? 12 : mon;
	day = day < 1 ? 1 : day;
	int64_t days = days_from_civil(1980 + (d >> 9), mon, day);
	int64_t secs = (int64_t)(t >> 11) * 3600 + ((t >> 5) & 63) * 60 + (t & 31) * 2;
	return (struct ib_mf_time){.sec = days * 86400 + secs};
}

static int list_dir(struct fat *f, uint32_t first, const char *dpath, bool root);

static int add_file(struct fat *f, const uint8_t *e, char *path)
{
	uint32_t first = ib_get_le16(e + 0x1A) | (f->bits == 32 ? (uint32_t)ib_get_le16(e + 0x14) << 16 : 0);
	uint32_t size = ib_get_le32(e + 0x1C);
	struct ib_mf_time mt = entry_mtime(e);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		free(path);
		return ib_fail(f->err, IB_EXIT_FAIL, "sha256 is not available from libcrypto");
	}
	int rc = read_chain(f, first, size, path, ctx, NULL);
	if (rc == 0) {
		uint8_t sha[32];
		EVP_DigestFinal_ex(ctx, sha, NULL);
		ib_inspect_add(f->p, path, false, size, &mt, sha);
	} else {
		free(path);
	}
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int add_dir(struct fat *f, const uint8_t *e, char *path)
{
	uint32_t first = ib_get_le16(e + 0x1A) | (f->bits == 32 ? (uint32_t)ib_get_le16(e + 0x14) << 16 : 0);
	struct ib_mf_time mt = entry_mtime(e);
	if (!valid_cluster(f, first)) {
		ib_fail(f->err, IB_EXIT_INPUT,
			"FAT partition %u: directory %s starts at cluster %" PRIu32 ", not a cluster of the volume (2-%" PRIu32 ")",
			f->v->number, path, first, f->nclusters + 1);
		free(path);
		return -1;
	}
	ib_inspect_add(f->p, path, true, 0, &mt, NULL);
	/* The vector may have moved: list with our own copy of the path. */
	char *copy = ib_xstrdup(path);
	int rc = list_dir(f, first, copy, false);
	free(copy);
	return rc;
}

static int list_dir(struct fat *f, uint32_t first, const char *dpath, bool root)
{
	size_t len = 0;
	uint8_t *d = read_dir(f, first, *dpath ? dpath : "/", &len);
	if (!d)
		return -1;
	struct fat_lfn lfn = {0};
	int rc = 0;
	for (size_t off = 0; off + 32 <= len && !rc; off += 32) {
		const uint8_t *e = d + off;
		if (ib_interrupted()) {
			rc = ib_fail(f->err, IB_EXIT_FAIL, "reading %s: interrupted", *dpath ? dpath : "/");
			break;
		}
		if (e[0] == 0x00)
			break;
		if (e[0] == 0xE5) {
			fat_lfn_reset(&lfn);
			continue;
		}
		uint8_t attr = e[11];
		if ((attr & 0x3F) == ATTR_LFN) {
			fat_lfn_add(&lfn, e);
			continue;
		}
		if (attr & ATTR_VOLUME) {
			if (root && !(attr & ATTR_DIR) && !f->p->fs.label)
				f->p->fs.label = fat_label_name(e);
			fat_lfn_reset(&lfn);
			continue;
		}
		char *name = fat_entry_name(&lfn, e);
		if (!strcmp(name, ".") || !strcmp(name, "..") || !*name) {
			free(name);
			continue;
		}
		char *path = ib_xasprintf("%s/%s", dpath, name);
		free(name);
		rc = attr & ATTR_DIR ? add_dir(f, e, path) : add_file(f, e, path);
	}
	free(d);
	return rc;
}

/* The boot sector: geometry, FAT type by cluster count (as Microsoft
 * specifies), and the places of the FAT, root directory and data. */
static int parse_boot(struct fat *f, const uint8_t *b)
{
	const struct ib_inspect_vol *v = f->v;
	uint64_t o = v->offset;
#define BAD(field_off, fmt, ...)                                                                        \
	ib_fail(f->err, IB_EXIT_INPUT, "FAT boot sector of partition %u at byte %" PRIu64 ": " fmt, v->number, \
		o + (field_off), __VA_ARGS__)
	uint32_t bps = ib_get_le16(b + 0x0B), spc = b[0x0D], rsvd = ib_get_le16(b + 0x0E), nfats = b[0x10];
	uint32_t root_entries = ib_get_le16(b + 0x11);
	uint32_t total = ib_get_le16(b + 0x13) ? ib_get_le16(b + 0x13) : ib_get_le32(b + 0x20);
	uint32_t fatsz = ib_get_le16(b + 0x16) ? ib_get_le16(b + 0x16) : ib_get_le32(b + 0x24);
	if (bps < 512 || bps > 4096 || !pow2(bps))
		return BAD(0x0B, "bytes per sector is %" PRIu32 ", expected 512, 1024, 2048 or 4096", bps);
	if (!pow2(spc) || spc > 128)
		return BAD(0x0D, "sectors per cluster is %" PRIu32 ", expected a power of two up to 128", spc);
	if (!rsvd)
		return BAD(0x0E, "%s", "no reserved sectors (the boot sector is one)");
	if (!nfats)
		return BAD(0x10, "%s", "the number of FATs is 0");
	if (!fatsz)
		return BAD(0x16, "%s", "the FAT size is 0 sectors");
	if ((uint64_t)total * bps > v->size)
		return BAD(0x20, "%" PRIu32 " sectors of %" PRIu32 " bytes do not fit the partition of %" PRIu64 " bytes",
			   total, bps, v->size);
	uint32_t root_sectors = (root_entries * 32 + bps - 1) / bps;
	uint64_t meta = (uint64_t)rsvd + (uint64_t)nfats * fatsz + root_sectors;
	if (meta >= total)
		return BAD(0x0E, "reserved sectors, FATs and root directory (%" PRIu64 " sectors) fill the volume of %" PRIu32,
			   meta, total);
	f->bps = bps;
	f->cluster = bps * spc;
	f->nclusters = (uint32_t)((total - meta) / spc);
	f->bits = f->nclusters < 4085 ? 12 : f->nclusters < 65525 ? 16 : 32;
	if (f->bits == 32 && (ib_get_le16(b + 0x16) || root_entries))
		return BAD(0x11, "%" PRIu32 " clusters make this FAT32, but the FAT12/16 root entries or FAT size are set",
			   f->nclusters);
	if (f->bits != 32 && !root_entries)
		return BAD(0x11, "%" PRIu32 " clusters make this FAT%d, but it has no root directory entries", f->nclusters,
			   f->bits);
	if (f->nclusters > 0x0FFFFFF5 - 2)
		return BAD(0x20, "%" PRIu32 " clusters are more than FAT32 can address", f->nclusters);
	/* The FAT must have an entry for every cluster. */
	uint64_t need = fat_bytes(f);
	if ((uint64_t)fatsz * bps < need)
		return BAD(f->bits == 32 ? 0x24 : 0x16, "a FAT of %" PRIu32 " sectors cannot hold %" PRIu32 " cluster entries",
			   fatsz, f->nclusters + 2);
	unsigned active = 0;
	if (f->bits == 32) {
		uint16_t flags = ib_get_le16(b + 0x28);
		if (flags & 0x80) /* mirroring off: one FAT is the live one */
			active = flags & 0x0F;
		if (active >= nfats)
			return BAD(0x28, "the active FAT is %u of %" PRIu32, active, nfats);
		f->root_cluster = ib_get_le32(b + 0x2C);
		if (!valid_cluster(f, f->root_cluster))
			return BAD(0x2C, "the root directory cluster %" PRIu32 " is not in 2-%" PRIu32, f->root_cluster,
				   f->nclusters + 1);
	}
	f->fat_off = o + ((uint64_t)rsvd + (uint64_t)active * fatsz) * bps;
	f->root_off = o + ((uint64_t)rsvd + (uint64_t)nfats * fatsz) * bps;
	f->root_len = (uint64_t)root_entries * 32;
	f->data_off = o + meta * bps;

	struct ib_mf_fs *fs = &f->p->fs;
	snprintf(fs->type, sizeof fs->type, "fat%d", f->bits);
	fs->sector_size = bps;
	fs->cluster_size = f->cluster;
	fs->hidden_sectors = ib_get_le32(b + 0x1C);
	fs->heads = ib_get_le16(b + 0x1A);
	fs->sectors_per_track = ib_get_le16(b + 0x18);
	unsigned ext = f->bits == 32 ? 0x40 : 0x24; /* drive number, reserved, signature, serial, label */
	if (b[ext + 2] == 0x29) {
		uint32_t serial = ib_get_le32(b + ext + 3);
		fs->serial = ib_xasprintf("%04" PRIX32 "-%04" PRIX32, serial >> 16, serial & 0xFFFF);
	}
#undef BAD
	return 0;
}

int ib_inspect_fat(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err)
{
	struct fat f = {.v = v, .p = p, .err = err};
	uint8_t b[512];
	if (read_disk(&f, b, sizeof b, v->offset, "boot sector") < 0)
		return -1;
	if (parse_boot(&f, b) < 0) {
		free(p->fs.serial);
		p->fs.serial = NULL;
		return -1;
	}
	p->has_fs = true;
	size_t fat_len = (size_t)fat_bytes(&f);
	f.table = ib_xmalloc(fat_len);
	f.used = ib_xcalloc((size_t)f.nclusters / 8 + 2, 1);
	f.buf = ib_xmalloc(RUN_MAX);
	int rc = read_disk(&f, f.table, fat_len, f.fat_off, "FAT");
	if (!rc)
		rc = list_dir(&f, f.bits == 32 ? f.root_cluster : 0, "", true);
	/* No volume-label entry in the root: the boot sector's, unless blank. */
	unsigned ext = f.bits == 32 ? 0x40 : 0x24;
	if (!rc && !p->fs.label && b[ext + 2] == 0x29 && memcmp(b + ext + 7, "NO NAME    ", 11))
		p->fs.label = fat_label_name(b + ext + 7);
	free(f.table);
	free(f.used);
	free(f.buf);
	return rc;
}
