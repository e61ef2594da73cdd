// SPDX-License-Identifier: GPL-2.0-or-later
/* Image -> manifest: open the image as raw bytes, read the partition table
 * (or recognise a bare filesystem in sector 0), and list each partition's
 * filesystem when it is one imgbuild reads (NTFS, FAT12/16/32). Partitions
 * holding anything else are listed without files. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "ptable/ptable.h"
#include "read.h"
#include "core/blkio.h"
#include "inspect.h"
#include "package.h"

static bool is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

enum ib_inspect_fs ib_inspect_probe(const uint8_t sec[512])
{
	if (!memcmp(sec + 3, "NTFS    ", 8))
		return IB_INSPECT_FS_NTFS;
	/* A FAT boot sector: a jump, then a BIOS parameter block with sane
	 * values. Partition-table code in an MBR does not look like this. */
	bool jump = (sec[0] == 0xEB && sec[2] == 0x90) || sec[0] == 0xE9;
	uint16_t bps = ib_get_le16(sec + 0x0B);
	uint8_t spc = sec[0x0D], media = sec[0x15];
	if (jump && bps >= 512 && bps <= 4096 && is_pow2(bps) && is_pow2(spc) && ib_get_le16(sec + 0x0E) >= 1 &&
	    sec[0x10] >= 1 && (media == 0xF0 || media >= 0xF8) &&
	    (ib_get_le16(sec + 0x13) || ib_get_le32(sec + 0x20)))
		return IB_INSPECT_FS_FAT;
	return IB_INSPECT_FS_NONE;
}

void ib_inspect_add(struct ib_mf_part *p, char *path, bool dir, uint64_t size, const struct ib_mf_time *mtime,
		    const uint8_t *sha256)
{
	struct ib_mf_file f = {.path = path, .dir = dir, .size = size, .mtime = *mtime};
	if (sha256) {
		f.has_sha256 = true;
		memcpy(f.sha256, sha256, 32);
	}
	IB_VEC_PUSH(p->files, f);
}

static int read_fs(const struct ib_inspect_image *img, uint32_t ss, struct ib_mf_part *p, struct ib_error *err)
{
	if (p->size < 512)
		return 0;
	uint8_t sec[512];
	int r = ib_blk_pread(img->blk, sec, sizeof sec, p->offset);
	if (r < 0)
		return ib_fail(err, IB_EXIT_INPUT, "partition %u at byte %" PRIu64 ": cannot read its first sector: %s",
			       p->number, p->offset, r == -EIO ? "the image ends before it" : strerror(-r));
	struct ib_inspect_vol v = {
		.path = img->raw_path,
		.blk = img->blk,
		.offset = p->offset,
		.size = p->size,
		.sector_size = ss,
		.number = p->number,
	};
	switch (ib_inspect_probe(sec)) {
	case IB_INSPECT_FS_NTFS:
		if (ib_inspect_ntfs(&v, p, err) < 0)
			return -1;
		return ib_inspect_windows(&v, p, err);
	case IB_INSPECT_FS_FAT:
		return ib_inspect_fat(&v, p, err);
	default:
		return 0;
	}
}

static bool has_gpt_protective(const uint8_t *mbr)
{
	for (int i = 0; i < 4; i++)
		if (mbr[0x1BE + 16 * i + 4] == 0xEE)
			return true;
	return false;
}

/* Sector 0 is a filesystem's boot sector: one pseudo-partition, the disk. */
static int read_bare(const struct ib_inspect_image *img, const uint8_t *sec0, struct ib_manifest *m,
		     struct ib_error *err)
{
	m->table = IB_MF_TABLE_NONE;
	uint16_t bps = ib_get_le16(sec0 + 0x0B);
	m->sector_size = bps >= 256 && bps <= 4096 && is_pow2(bps) ? bps : 512;
	struct ib_mf_part p = {
		.number = 1,
		.start_lba = 0,
		.end_lba = img->size / m->sector_size ? img->size / m->sector_size - 1 : 0,
		.offset = 0,
		.size = img->size,
	};
	IB_VEC_PUSH(m->parts, p);
	return read_fs(img, m->sector_size, &m->parts.v[0], err);
}

static int read_table(const struct ib_inspect_image *img, struct ib_manifest *m, struct ib_error *err)
{
	struct ib_ptable *t = ib_xmalloc(sizeof(*t));
	if (ib_ptable_read_blk(img->blk, img->size, 0, t, err) < 0) {
		free(t);
		return -1;
	}
	m->table = t->gpt ? IB_MF_TABLE_GPT : IB_MF_TABLE_MBR;
	m->sector_size = t->sector_size;
	m->disk_guid = t->disk_guid;
	m->mbr_signature = t->mbr_signature;
	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *e = &t->entries[i];
		struct ib_mf_part p = {
			.number = i + 1,
			.name = t->gpt ? ib_xstrdup(e->name) : NULL,
			.type_guid = e->type_guid,
			.guid = e->part_guid,
			.attrs = e->attrs,
			.mbr_type = e->mbr_type,
			.bootable = e->bootable,
			.start_lba = e->first_lba,
			.end_lba = e->last_lba,
			.offset = e->first_lba * t->sector_size,
			.size = (e->last_lba - e->first_lba + 1) * t->sector_size,
		};
		IB_VEC_PUSH(m->parts, p);
		/* The table reader keeps entries inside the disk; check anyway, the
		 * readers below trust it. */
		if (p.offset > img->size || img->size - p.offset < p.size) {
			free(t);
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u at byte %" PRIu64 ": %" PRIu64 " bytes reach past the end of the image (%" PRIu64
				       " bytes)",
				       p.number, p.offset, p.size, img->size);
		}
	}
	free(t);
	for (size_t i = 0; i < m->parts.n; i++)
		if (read_fs(img, m->sector_size, &m->parts.v[i], err) < 0)
			return -1;
	return 0;
}

/* A package: verified, its disk read as an image, the summary attached.
 * Its members go to a private folder in TMPDIR, removed whatever happens. */
static int read_package(const char *image, enum ib_pkg_kind kind, struct ib_manifest **out, struct ib_error *err)
{
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *dir = ib_xasprintf("%s/imgbuild-package-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return ib_fail_errno(err, -errno, "cannot create a folder in %s", tmp && *tmp ? tmp : "/tmp");
	struct ib_mf_package *pkg = NULL;
	_cleanup_free_ char *disk = NULL;
	int r = ib_package_open(image, kind, dir, &pkg, &disk, err);
	if (r == 0 && (r = ib_manifest_read(disk, out, err)) == 0) {
		free((*out)->path);
		(*out)->path = ib_xstrdup(image);
		(*out)->package = pkg;
		pkg = NULL;
	}
	ib_mf_package_free(pkg);
	ib_rm_rf(dir);
	return r;
}

int ib_manifest_read(const char *image, struct ib_manifest **out, struct ib_error *err)
{
	*out = NULL;
	enum ib_pkg_kind kind = ib_blk_is_nbd(image) ? IB_PKG_NONE : ib_package_kind(image);
	if (kind != IB_PKG_NONE)
		return read_package(image, kind, out, err);
	struct ib_inspect_image img;
	if (ib_inspect_image_open(image, &img, err) < 0)
		return -1;
	struct ib_manifest *m = ib_xcalloc(1, sizeof(*m));
	m->path = ib_xstrdup(image);
	m->format = ib_xstrdup(img.format);
	m->virtual_size = img.virtual_size;

	int rc;
	uint8_t sec0[512];
	if (img.size >= sizeof sec0 && ib_blk_pread(img.blk, sec0, sizeof sec0, 0) == 0 && !has_gpt_protective(sec0) &&
	    ib_inspect_probe(sec0) != IB_INSPECT_FS_NONE)
		rc = read_bare(&img, sec0, m, err);
	else
		rc = read_table(&img, m, err);
	ib_inspect_image_close(&img);
	if (rc < 0) {
		ib_error_prefix(err, "%s", image);
		ib_manifest_free(m);
		return -1;
	}
	ib_manifest_sort(m);
	*out = m;
	return 0;
}
