// SPDX-License-Identifier: GPL-2.0-or-later
/* MBR partition tables: disk signature, four primary entries, 0x55AA. */
#include <inttypes.h>

#include "ptable-int.h"

#define CHS_HEADS 255
#define CHS_SECTORS 63
#define CHS_MAX_CYL 1023

void ib_mbr_chs(uint64_t lba, uint8_t chs[3])
{
	uint64_t cyl = lba / (CHS_HEADS * CHS_SECTORS);
	unsigned head = (unsigned)(lba / CHS_SECTORS % CHS_HEADS);
	unsigned sector = (unsigned)(lba % CHS_SECTORS) + 1;
	if (cyl > CHS_MAX_CYL) {
		cyl = CHS_MAX_CYL;
		head = CHS_HEADS - 1;
		sector = CHS_SECTORS;
	}
	/* Bits 8-9 of the cylinder sit in the top of the sector byte. */
	chs[0] = (uint8_t)head;
	chs[1] = (uint8_t)(sector | ((cyl >> 2) & 0xC0));
	chs[2] = (uint8_t)(cyl & 0xFF);
}

void ib_mbr_put_entry(uint8_t *e, bool bootable, uint8_t type, uint32_t start, uint32_t size,
		      const uint8_t chs_start[3], const uint8_t chs_end[3])
{
	e[0] = bootable ? 0x80 : 0x00;
	memcpy(e + 1, chs_start, 3);
	e[4] = type;
	memcpy(e + 5, chs_end, 3);
	ib_put_le32(e + 8, start);
	ib_put_le32(e + 12, size);
}

static int check_entries(const struct ib_ptable *t, uint64_t sectors, struct ib_error *err)
{
	if (t->n > 4)
		return ib_fail(err, IB_EXIT_INPUT, "an MBR holds at most 4 primary partitions, not %u", t->n);
	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *p = &t->entries[i];
		if (p->mbr_type == 0)
			return ib_fail(err, IB_EXIT_INPUT, "partition %u: MBR type 0x00 marks an empty entry", i + 1);
		if (p->mbr_type == IB_MBR_TYPE_GPT)
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u: MBR type 0xEE is reserved for the GPT protective MBR", i + 1);
		if (p->first_lba < 1 || p->first_lba > p->last_lba || p->last_lba >= sectors)
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u: sectors %" PRIu64 "-%" PRIu64 " are not inside 1-%" PRIu64, i + 1,
				       p->first_lba, p->last_lba, sectors - 1);
		if (p->first_lba > UINT32_MAX)
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u: starts at sector %" PRIu64
				       ", beyond the 32-bit limit of an MBR (%" PRIu32 "); use a GPT",
				       i + 1, p->first_lba, UINT32_MAX);
		if (p->last_lba - p->first_lba + 1 > UINT32_MAX)
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u: %" PRIu64 " sectors exceed the 32-bit limit of an MBR (%" PRIu32
				       "); use a GPT",
				       i + 1, p->last_lba - p->first_lba + 1, UINT32_MAX);
		for (unsigned j = 0; j < i; j++) {
			const struct ib_pt_entry *q = &t->entries[j];
			if (p->first_lba <= q->last_lba && q->first_lba <= p->last_lba)
				return ib_fail(err, IB_EXIT_INPUT, "partitions %u and %u overlap", j + 1, i + 1);
		}
	}
	return 0;
}

int ib_mbr_write(int fd, const struct ib_ptable *t, struct ib_error *err)
{
	if (t->sector_size != 512 && t->sector_size != 4096)
		return ib_fail(err, IB_EXIT_INPUT, "sector size %" PRIu32 " is not supported (512 or 4096)",
			       t->sector_size);
	uint64_t sectors = t->disk_bytes / t->sector_size;
	if (sectors < 2)
		return ib_fail(err, IB_EXIT_INPUT, "a disk of %" PRIu64 " bytes is too small for an MBR",
			       t->disk_bytes);
	if (check_entries(t, sectors, err) < 0)
		return -1;

	/* The whole first sector is ours: boot code stays zero. */
	_cleanup_free_ uint8_t *sec = ib_xcalloc(1, t->sector_size);
	ib_put_le32(sec + IB_MBR_SIG_OFF, t->mbr_signature);
	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *p = &t->entries[i];
		uint8_t cs[3], ce[3];
		ib_mbr_chs(p->first_lba, cs);
		ib_mbr_chs(p->last_lba, ce);
		ib_mbr_put_entry(sec + IB_MBR_PART_OFF + i * IB_MBR_PART_SIZE, p->bootable, p->mbr_type,
				 (uint32_t)p->first_lba, (uint32_t)(p->last_lba - p->first_lba + 1), cs, ce);
	}
	sec[IB_MBR_BOOT_SIG_OFF] = 0x55;
	sec[IB_MBR_BOOT_SIG_OFF + 1] = 0xAA;
	int r = ib_pwrite_all(fd, sec, t->sector_size, 0);
	if (r < 0)
		return ib_fail_errno(err, r, "writing the MBR at byte 0");
	return 0;
}

/* A filesystem boot sector (a "superfloppy": no partition table at all)
 * ends in 0x55AA too. Returns the byte offset of its signature or 0. */
static unsigned fs_boot_sector(const uint8_t *buf, const char **name)
{
	static const struct {
		unsigned off;
		const char *sig, *name;
	} sigs[] = {
		{ 3, "NTFS    ", "NTFS" },
		{ 3, "EXFAT   ", "exFAT" },
		{ 82, "FAT32   ", "FAT32" },
		{ 54, "FAT16   ", "FAT16" },
		{ 54, "FAT12   ", "FAT12" },
	};
	if (buf[0] != 0xEB && buf[0] != 0xE9)
		return 0;
	for (size_t i = 0; i < IB_ARRAY_SIZE(sigs); i++) {
		if (memcmp(buf + sigs[i].off, sigs[i].sig, 8) == 0) {
			*name = sigs[i].name;
			return sigs[i].off;
		}
	}
	return 0;
}

int ib_mbr_parse(const uint8_t *buf, struct ib_ptable *t, struct ib_error *err)
{
	uint64_t sectors = t->disk_bytes / t->sector_size;
	t->mbr_signature = ib_get_le32(buf + IB_MBR_SIG_OFF);
	t->n = 0;
	for (unsigned i = 0; i < 4; i++) {
		unsigned off = IB_MBR_PART_OFF + i * IB_MBR_PART_SIZE;
		const uint8_t *e = buf + off;
		uint8_t type = e[4];
		uint32_t start = ib_get_le32(e + 8), size = ib_get_le32(e + 12);
		if (type == 0)
			continue;
		/* A filesystem boot sector also ends in 0x55AA; its bytes here
		 * are code, which this usually catches. */
		if (e[0] != 0x00 && e[0] != 0x80)
			return ib_fail(err, IB_EXIT_INPUT,
				       "MBR entry %u at byte %u: boot indicator is 0x%02X, expected 0x00 or 0x80", i + 1,
				       off, e[0]);
		if (start == 0 || size == 0)
			return ib_fail(err, IB_EXIT_INPUT,
				       "MBR entry %u at byte %u: type 0x%02X with start %" PRIu32 " and size %" PRIu32
				       " (neither may be 0)",
				       i + 1, off, type, start, size);
		uint64_t last = (uint64_t)start + size - 1;
		if (last >= sectors)
			return ib_fail(err, IB_EXIT_INPUT,
				       "MBR entry %u at byte %u: ends at sector %" PRIu64 ", past the end of the disk (%" PRIu64
				       " sectors of %" PRIu32 " bytes)",
				       i + 1, off, last, sectors, t->sector_size);
		struct ib_pt_entry *p = &t->entries[t->n++];
		*p = (struct ib_pt_entry){
			.first_lba = start,
			.last_lba = last,
			.mbr_type = type,
			.bootable = e[0] == 0x80,
		};
	}
	const char *fs = NULL;
	unsigned fs_off = t->n ? 0 : fs_boot_sector(buf, &fs);
	if (fs_off)
		return ib_fail(err, IB_EXIT_INPUT,
			       "no partition table at byte %d: the MBR entries are empty and sector 0 is a %s boot "
			       "sector (signature at byte %u); this is a bare filesystem, not a partitioned disk",
			       IB_MBR_PART_OFF, fs, fs_off);
	return 0;
}
