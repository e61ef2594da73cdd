// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading a partition table back: the protective MBR decides GPT or MBR; a
 * GPT is verified (signature, revision, sizes, CRCs, both headers) and every
 * complaint names the byte offset of what is wrong. All errors are input
 * errors (exit 2): the image is what is broken. */
#include <errno.h>
#include <inttypes.h>
#include <zlib.h>

#include "core/blkio.h"
#include "ptable-int.h"

/* Entry arrays larger than this are not something imgbuild will trust. */
#define GPT_ARRAY_MAX_BYTES (1u << 20)

struct gpt_header {
	uint64_t my_lba, alt_lba, first_usable, last_usable, array_lba;
	uint32_t num_entries, entry_size, array_crc;
	struct ib_guid disk_guid;
};

static int read_at(struct ib_blk *fd, void *buf, size_t n, uint64_t off, const char *what, struct ib_error *err)
{
	int r = ib_blk_pread(fd, buf, n, off);
	if (r < 0)
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte %" PRIu64 ": cannot read %zu bytes: %s", what, off, n,
			       r == -EIO ? "the image ends before it (or an I/O error)" : strerror(-r));
	return 0;
}

/* "EFI PART" or the bytes found instead, made printable. */
static void printable8(const uint8_t *p, char out[9])
{
	for (int i = 0; i < 8; i++)
		out[i] = p[i] >= 0x20 && p[i] < 0x7F && p[i] != '"' ? (char)p[i] : '.';
	out[8] = '\0';
}

static int parse_header(uint8_t *sec, uint32_t ss, uint64_t off, uint64_t want_lba, uint64_t sectors,
			struct gpt_header *h, struct ib_error *err)
{
	const char *what = want_lba == 1 ? "GPT header" : "GPT backup header";
	if (memcmp(sec + GPT_H_SIGNATURE, "EFI PART", 8) != 0) {
		char got[9];
		printable8(sec + GPT_H_SIGNATURE, got);
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte %" PRIu64 ": signature is \"%s\", expected \"EFI PART\"",
			       what, off, got);
	}
	uint32_t rev = ib_get_le32(sec + GPT_H_REVISION);
	if (rev != IB_GPT_REVISION)
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte %" PRIu64 ": revision is 0x%08" PRIX32
			       ", expected 0x%08X", what, off, rev, IB_GPT_REVISION);
	uint32_t hsize = ib_get_le32(sec + GPT_H_SIZE);
	if (hsize < IB_GPT_HEADER_SIZE || hsize > ss)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": header size is %" PRIu32 ", expected %d to %" PRIu32, what,
			       off, hsize, IB_GPT_HEADER_SIZE, ss);

	uint32_t stored = ib_get_le32(sec + GPT_H_CRC);
	ib_put_le32(sec + GPT_H_CRC, 0); /* the CRC covers the header with this field zero */
	uint32_t computed = (uint32_t)crc32(0, sec, hsize);
	ib_put_le32(sec + GPT_H_CRC, stored);
	if (stored != computed)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": header CRC32 is 0x%08" PRIx32 ", expected 0x%08" PRIx32, what,
			       off, stored, computed);

	*h = (struct gpt_header){
		.my_lba = ib_get_le64(sec + GPT_H_MY_LBA),
		.alt_lba = ib_get_le64(sec + GPT_H_ALT_LBA),
		.first_usable = ib_get_le64(sec + GPT_H_FIRST_USABLE),
		.last_usable = ib_get_le64(sec + GPT_H_LAST_USABLE),
		.array_lba = ib_get_le64(sec + GPT_H_ARRAY_LBA),
		.num_entries = ib_get_le32(sec + GPT_H_NUM_ENTRIES),
		.entry_size = ib_get_le32(sec + GPT_H_ENTRY_SIZE),
		.array_crc = ib_get_le32(sec + GPT_H_ARRAY_CRC),
	};
	memcpy(h->disk_guid.b, sec + GPT_H_DISK_GUID, 16);

	if (h->my_lba != want_lba)
		return ib_fail(err, IB_EXIT_INPUT, "%s at byte %" PRIu64 ": its own LBA is %" PRIu64 ", expected %" PRIu64,
			       what, off, h->my_lba, want_lba);
	uint64_t want_alt = want_lba == 1 ? sectors - 1 : 1;
	if (h->alt_lba != want_alt)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": alternate header LBA is %" PRIu64 ", expected %" PRIu64
			       " (the %s; was the image resized?)",
			       what, off, h->alt_lba, want_alt, want_lba == 1 ? "last LBA" : "primary header");
	/* 128 * 2^n bytes per entry (UEFI). */
	if (h->entry_size < IB_GPT_ENTRY_SIZE || (h->entry_size & (h->entry_size - 1)) ||
	    h->entry_size > GPT_ARRAY_MAX_BYTES)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": entry size is %" PRIu32 ", expected 128 times a power of two",
			       what, off, h->entry_size);
	if (h->num_entries == 0 || (uint64_t)h->num_entries * h->entry_size > GPT_ARRAY_MAX_BYTES)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": %" PRIu32 " entries of %" PRIu32 " bytes (1 to %u bytes accepted)",
			       what, off, h->num_entries, h->entry_size, GPT_ARRAY_MAX_BYTES);
	uint64_t array_sectors = ((uint64_t)h->num_entries * h->entry_size + ss - 1) / ss;
	if (h->array_lba < 2 || h->array_lba >= sectors || sectors - h->array_lba < array_sectors)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": entry array at LBA %" PRIu64 " (%" PRIu64
			       " sectors) is not inside the disk of %" PRIu64 " sectors",
			       what, off, h->array_lba, array_sectors, sectors);
	if (h->first_usable > h->last_usable || h->last_usable >= sectors)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s at byte %" PRIu64 ": usable LBAs %" PRIu64 "-%" PRIu64
			       " are not inside the disk of %" PRIu64 " sectors",
			       what, off, h->first_usable, h->last_usable, sectors);
	return 0;
}

/* Read and CRC-check the entry array a header points to; returns it (malloc'd). */
static uint8_t *read_array(struct ib_blk *fd, const struct gpt_header *h, uint32_t ss, uint64_t hdr_off,
			   struct ib_error *err)
{
	size_t len = (size_t)h->num_entries * h->entry_size;
	uint64_t off = h->array_lba * ss;
	_cleanup_free_ uint8_t *array = ib_xmalloc(len);
	if (read_at(fd, array, len, off, "GPT entry array", err) < 0)
		return NULL;
	uint32_t computed = (uint32_t)crc32(0, array, (uInt)len);
	if (computed != h->array_crc) {
		ib_fail(err, IB_EXIT_INPUT,
			"GPT entry array at byte %" PRIu64 ": CRC32 is 0x%08" PRIx32 ", the header at byte %" PRIu64
			" expects 0x%08" PRIx32,
			off, computed, hdr_off, h->array_crc);
		return NULL;
	}
	return TAKE_PTR(array);
}

static int read_header(struct ib_blk *fd, uint32_t ss, uint64_t lba, uint64_t sectors, struct gpt_header *h,
		       struct ib_error *err)
{
	_cleanup_free_ uint8_t *sec = ib_xmalloc(ss);
	const char *what = lba == 1 ? "GPT header" : "GPT backup header";
	if (read_at(fd, sec, ss, lba * ss, what, err) < 0)
		return -1;
	return parse_header(sec, ss, lba * ss, lba, sectors, h, err);
}

static int parse_entries(const uint8_t *array, const struct gpt_header *h, uint32_t ss, struct ib_ptable *t,
			 struct ib_error *err)
{
	for (uint32_t i = 0; i < h->num_entries; i++) {
		const uint8_t *e = array + (size_t)i * h->entry_size;
		uint64_t off = h->array_lba * ss + (uint64_t)i * h->entry_size;
		struct ib_guid type;
		memcpy(type.b, e + GPT_E_TYPE, 16);
		if (ib_guid_is_zero(&type))
			continue;
		if (t->n == IB_GPT_ENTRIES)
			return ib_fail(err, IB_EXIT_INPUT,
				       "GPT entry %" PRIu32 " at byte %" PRIu64 ": more than %d partitions are in use",
				       i + 1, off, IB_GPT_ENTRIES);
		struct ib_pt_entry *p = &t->entries[t->n];
		*p = (struct ib_pt_entry){
			.type_guid = type,
			.first_lba = ib_get_le64(e + GPT_E_FIRST),
			.last_lba = ib_get_le64(e + GPT_E_LAST),
			.attrs = ib_get_le64(e + GPT_E_ATTRS),
		};
		memcpy(p->part_guid.b, e + GPT_E_GUID, 16);
		if (p->first_lba > p->last_lba || p->first_lba < h->first_usable || p->last_lba > h->last_usable)
			return ib_fail(err, IB_EXIT_INPUT,
				       "GPT entry %" PRIu32 " at byte %" PRIu64 ": sectors %" PRIu64 "-%" PRIu64
				       " are not inside the usable %" PRIu64 "-%" PRIu64,
				       i + 1, off, p->first_lba, p->last_lba, h->first_usable, h->last_usable);
		ib_gpt_name_decode(e + GPT_E_NAME, p->name);
		t->n++;
	}
	return 0;
}

static int read_gpt(struct ib_blk *fd, struct ib_ptable *t, struct ib_error *err)
{
	uint32_t ss = t->sector_size;
	uint64_t sectors = t->disk_bytes / ss;
	uint64_t min = 2 * ib_gpt_array_sectors(ss) + 4;
	if (sectors < min)
		return ib_fail(err, IB_EXIT_INPUT,
			       "GPT header at byte %" PRIu32 ": a disk of %" PRIu64 " sectors of %" PRIu32
			       " bytes is too small to hold a GPT",
			       ss, sectors, ss);

	struct gpt_header h, b;
	if (read_header(fd, ss, 1, sectors, &h, err) < 0)
		return -1;
	_cleanup_free_ uint8_t *array = read_array(fd, &h, ss, ss, err);
	if (!array)
		return -1;

	/* The backup must exist and agree, or the next tool to touch the disk
	 * may "repair" it from whichever copy it prefers. */
	uint64_t boff = (sectors - 1) * ss;
	if (read_header(fd, ss, sectors - 1, sectors, &b, err) < 0)
		return -1;
	_cleanup_free_ uint8_t *barray = read_array(fd, &b, ss, boff, err);
	if (!barray)
		return -1;
	if (!ib_guid_equal(&h.disk_guid, &b.disk_guid) || h.array_crc != b.array_crc ||
	    h.num_entries != b.num_entries || h.entry_size != b.entry_size || h.first_usable != b.first_usable ||
	    h.last_usable != b.last_usable)
		return ib_fail(err, IB_EXIT_INPUT,
			       "GPT backup header at byte %" PRIu64
			       ": disagrees with the primary header at byte %" PRIu32
			       " (disk GUID, usable range or entry array differ)",
			       boff, ss);

	t->gpt = true;
	t->disk_guid = h.disk_guid;
	return parse_entries(array, &h, ss, t, err);
}

static bool has_protective_entry(const uint8_t *mbr)
{
	for (unsigned i = 0; i < 4; i++)
		if (mbr[IB_MBR_PART_OFF + i * IB_MBR_PART_SIZE + 4] == IB_MBR_TYPE_GPT)
			return true;
	return false;
}

/* With no sector size given, look for "EFI PART" at LBA 1 of each size. */
static int probe_sector_size(struct ib_blk *fd, uint64_t disk_bytes, uint32_t *ss)
{
	static const uint32_t sizes[] = { 512, 4096 };
	for (size_t i = 0; i < IB_ARRAY_SIZE(sizes); i++) {
		uint8_t sig[8];
		if (disk_bytes >= 2ull * sizes[i] && ib_blk_pread(fd, sig, 8, sizes[i]) == 0 &&
		    memcmp(sig, "EFI PART", 8) == 0) {
			*ss = sizes[i];
			return 0;
		}
	}
	return -1;
}

int ib_ptable_read_blk(struct ib_blk *fd, uint64_t disk_bytes, uint32_t sector_size, struct ib_ptable *t,
		       struct ib_error *err)
{
	memset(t, 0, sizeof(*t));
	if (sector_size != 0 && sector_size != 512 && sector_size != 4096)
		return ib_fail(err, IB_EXIT_INPUT, "sector size %" PRIu32 " is not supported (512 or 4096)",
			       sector_size);
	if (disk_bytes < IB_MBR_SIZE)
		return ib_fail(err, IB_EXIT_INPUT,
			       "no partition table at byte %d: the image has only %" PRIu64 " bytes", IB_MBR_BOOT_SIG_OFF,
			       disk_bytes);
	uint8_t mbr[IB_MBR_SIZE];
	if (read_at(fd, mbr, sizeof(mbr), 0, "MBR", err) < 0)
		return -1;
	if (mbr[IB_MBR_BOOT_SIG_OFF] != 0x55 || mbr[IB_MBR_BOOT_SIG_OFF + 1] != 0xAA)
		return ib_fail(err, IB_EXIT_INPUT,
			       "no partition table at byte %d: boot signature is 0x%02X%02X, expected 0x55AA",
			       IB_MBR_BOOT_SIG_OFF, mbr[IB_MBR_BOOT_SIG_OFF], mbr[IB_MBR_BOOT_SIG_OFF + 1]);

	t->disk_bytes = disk_bytes;
	if (has_protective_entry(mbr)) {
		t->sector_size = sector_size;
		if (!t->sector_size && probe_sector_size(fd, disk_bytes, &t->sector_size) < 0)
			t->sector_size = 512; /* let read_gpt report what is at byte 512 */
		return read_gpt(fd, t, err);
	}
	t->sector_size = sector_size ? sector_size : 512;
	return ib_mbr_parse(mbr, t, err);
}

int ib_ptable_read(int fd, uint64_t disk_bytes, uint32_t sector_size, struct ib_ptable *t, struct ib_error *err)
{
	struct ib_blk *b = ib_blk_from_fd(fd, disk_bytes);
	int r = ib_ptable_read_blk(b, disk_bytes, sector_size, t, err);
	ib_blk_close(b);
	return r;
}
