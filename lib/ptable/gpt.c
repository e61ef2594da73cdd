// SPDX-License-Identifier: GPL-2.0-or-later
/* GPT writer: protective MBR, primary and backup headers and entry arrays
 * (UEFI 2.x, chapter 5), and the UTF-16LE partition names. */
#include <inttypes.h>
#include <zlib.h>

#include "ptable-int.h"

uint64_t ib_gpt_array_sectors(uint32_t sector_size)
{
	return (IB_GPT_ARRAY_BYTES + sector_size - 1) / sector_size;
}

uint64_t ib_gpt_first_usable_lba(uint32_t sector_size)
{
	return 2 + ib_gpt_array_sectors(sector_size); /* PMBR, header, array */
}

uint64_t ib_gpt_last_usable_lba(uint64_t disk_bytes, uint32_t sector_size)
{
	uint64_t sectors = disk_bytes / sector_size;
	uint64_t tail = ib_gpt_array_sectors(sector_size) + 2; /* backup array, backup header */
	return sectors > tail ? sectors - tail : 0;
}

/* Decode one UTF-8 sequence; returns its length or 0 when invalid (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min_for_len[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2;
		c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min_for_len[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

int ib_gpt_name_encode(const char *utf8, uint8_t out[IB_GPT_NAME_MAX * 2], const char **why)
{
	memset(out, 0, IB_GPT_NAME_MAX * 2);
	const unsigned char *s = (const unsigned char *)utf8;
	size_t units = 0;
	while (*s) {
		uint32_t cp;
		size_t len = utf8_decode(s, &cp);
		if (!len) {
			*why = "is not valid UTF-8";
			return -1;
		}
		s += len;
		uint16_t u[2];
		size_t nu = 1;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			u[0] = (uint16_t)(0xD800 | cp >> 10);
			u[1] = (uint16_t)(0xDC00 | (cp & 0x3FF));
			nu = 2;
		} else {
			u[0] = (uint16_t)cp;
		}
		if (units + nu > IB_GPT_NAME_MAX) {
			*why = "is longer than the 36 UTF-16 code units a GPT name holds";
			return -1;
		}
		for (size_t i = 0; i < nu; i++)
			ib_put_le16(out + 2 * units++, u[i]);
	}
	return 0;
}

static char *utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3F));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

void ib_gpt_name_decode(const uint8_t in[IB_GPT_NAME_MAX * 2], char out[IB_GPT_NAME_MAX * 3 + 1])
{
	/* Worst case 3 bytes per unit (a pair gives 4 bytes for 2 units). */
	char *o = out;
	for (size_t i = 0; i < IB_GPT_NAME_MAX; i++) {
		uint32_t u = ib_get_le16(in + 2 * i);
		if (u == 0)
			break;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < IB_GPT_NAME_MAX) {
			uint32_t lo = ib_get_le16(in + 2 * (i + 1));
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				o = utf8_put(o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
				i++;
				continue;
			}
		}
		if (u >= 0xD800 && u <= 0xDFFF)
			u = 0xFFFD; /* a lone surrogate: show it, do not fail on a label */
		o = utf8_put(o, u);
	}
	*o = '\0';
}

/* Validate the table and encode its entries into the 16 KiB entry array. */
static int build_array(const struct ib_ptable *t, uint8_t *array, struct ib_error *err)
{
	if (t->sector_size != 512 && t->sector_size != 4096)
		return ib_fail(err, IB_EXIT_INPUT, "sector size %" PRIu32 " is not supported (512 or 4096)",
			       t->sector_size);
	if (t->disk_bytes % t->sector_size)
		return ib_fail(err, IB_EXIT_INPUT, "disk size %" PRIu64 " is not a multiple of the sector size %" PRIu32,
			       t->disk_bytes, t->sector_size);
	uint64_t first = ib_gpt_first_usable_lba(t->sector_size);
	uint64_t last = ib_gpt_last_usable_lba(t->disk_bytes, t->sector_size);
	if (last < first)
		return ib_fail(err, IB_EXIT_INPUT, "a disk of %" PRIu64 " bytes is too small for a GPT", t->disk_bytes);
	if (t->n > IB_GPT_ENTRIES)
		return ib_fail(err, IB_EXIT_INPUT, "a GPT holds at most %d partitions, not %u", IB_GPT_ENTRIES, t->n);
	if (ib_guid_is_zero(&t->disk_guid))
		return ib_fail(err, IB_EXIT_INPUT, "the GPT disk GUID is all zeros");

	for (unsigned i = 0; i < t->n; i++) {
		const struct ib_pt_entry *p = &t->entries[i];
		if (ib_guid_is_zero(&p->type_guid))
			return ib_fail(err, IB_EXIT_INPUT, "partition %u: the type GUID is all zeros (an unused entry)",
				       i + 1);
		if (ib_guid_is_zero(&p->part_guid))
			return ib_fail(err, IB_EXIT_INPUT, "partition %u: the partition GUID is all zeros", i + 1);
		if (ib_guid_equal(&p->part_guid, &t->disk_guid))
			return ib_fail(err, IB_EXIT_INPUT, "partition %u: the partition GUID equals the disk GUID", i + 1);
		if (p->first_lba < first || p->first_lba > p->last_lba || p->last_lba > last)
			return ib_fail(err, IB_EXIT_INPUT,
				       "partition %u: sectors %" PRIu64 "-%" PRIu64 " are not inside the usable %" PRIu64
				       "-%" PRIu64,
				       i + 1, p->first_lba, p->last_lba, first, last);
		for (unsigned j = 0; j < i; j++) {
			const struct ib_pt_entry *q = &t->entries[j];
			if (p->first_lba <= q->last_lba && q->first_lba <= p->last_lba)
				return ib_fail(err, IB_EXIT_INPUT, "partitions %u and %u overlap", j + 1, i + 1);
			if (ib_guid_equal(&p->part_guid, &q->part_guid))
				return ib_fail(err, IB_EXIT_INPUT, "partitions %u and %u have the same partition GUID",
					       j + 1, i + 1);
		}

		uint8_t *e = array + (size_t)i * IB_GPT_ENTRY_SIZE;
		memcpy(e + GPT_E_TYPE, p->type_guid.b, 16);
		memcpy(e + GPT_E_GUID, p->part_guid.b, 16);
		ib_put_le64(e + GPT_E_FIRST, p->first_lba);
		ib_put_le64(e + GPT_E_LAST, p->last_lba);
		ib_put_le64(e + GPT_E_ATTRS, p->attrs);
		const char *why = NULL;
		if (ib_gpt_name_encode(p->name, e + GPT_E_NAME, &why) < 0)
			return ib_fail(err, IB_EXIT_INPUT, "partition %u: the name \"%s\" %s", i + 1, p->name, why);
	}
	return 0;
}

/* One header in a zeroed sector-sized buffer. */
static void put_header(uint8_t *sec, const struct ib_ptable *t, uint64_t my_lba, uint64_t alt_lba,
		       uint64_t array_lba, uint32_t array_crc)
{
	memcpy(sec + GPT_H_SIGNATURE, "EFI PART", 8);
	ib_put_le32(sec + GPT_H_REVISION, IB_GPT_REVISION);
	ib_put_le32(sec + GPT_H_SIZE, IB_GPT_HEADER_SIZE);
	ib_put_le64(sec + GPT_H_MY_LBA, my_lba);
	ib_put_le64(sec + GPT_H_ALT_LBA, alt_lba);
	ib_put_le64(sec + GPT_H_FIRST_USABLE, ib_gpt_first_usable_lba(t->sector_size));
	ib_put_le64(sec + GPT_H_LAST_USABLE, ib_gpt_last_usable_lba(t->disk_bytes, t->sector_size));
	memcpy(sec + GPT_H_DISK_GUID, t->disk_guid.b, 16);
	ib_put_le64(sec + GPT_H_ARRAY_LBA, array_lba);
	ib_put_le32(sec + GPT_H_NUM_ENTRIES, IB_GPT_ENTRIES);
	ib_put_le32(sec + GPT_H_ENTRY_SIZE, IB_GPT_ENTRY_SIZE);
	ib_put_le32(sec + GPT_H_ARRAY_CRC, array_crc);
	/* The header CRC covers the header with its own CRC field zero. */
	ib_put_le32(sec + GPT_H_CRC, (uint32_t)crc32(0, sec, IB_GPT_HEADER_SIZE));
}

/* UEFI protective MBR: one 0xEE entry from LBA 1 over the whole disk,
 * start CHS 0/0/2, end CHS of the last LBA or 0xFFFFFF when it does not fit. */
static void put_protective_mbr(uint8_t *sec, uint64_t sectors)
{
	uint64_t size = sectors - 1;
	if (size > UINT32_MAX)
		size = UINT32_MAX;
	const uint8_t chs_start[3] = { 0x00, 0x02, 0x00 };
	uint8_t chs_end[3] = { 0xFF, 0xFF, 0xFF };
	if (sectors - 1 < 1024ull * 255 * 63)
		ib_mbr_chs(sectors - 1, chs_end);
	ib_mbr_put_entry(sec + IB_MBR_PART_OFF, false, IB_MBR_TYPE_GPT, 1, (uint32_t)size, chs_start, chs_end);
	sec[IB_MBR_BOOT_SIG_OFF] = 0x55;
	sec[IB_MBR_BOOT_SIG_OFF + 1] = 0xAA;
}

int ib_gpt_write(int fd, const struct ib_ptable *t, struct ib_error *err)
{
	_cleanup_free_ uint8_t *array = ib_xcalloc(1, IB_GPT_ARRAY_BYTES);
	if (build_array(t, array, err) < 0)
		return -1;

	uint32_t ss = t->sector_size;
	uint64_t sectors = t->disk_bytes / ss;
	uint64_t last_lba = sectors - 1;
	uint64_t backup_array_lba = last_lba - ib_gpt_array_sectors(ss);
	uint32_t array_crc = (uint32_t)crc32(0, array, IB_GPT_ARRAY_BYTES);

	_cleanup_free_ uint8_t *primary = ib_xcalloc(1, ss);
	_cleanup_free_ uint8_t *backup = ib_xcalloc(1, ss);
	_cleanup_free_ uint8_t *pmbr = ib_xcalloc(1, ss);
	put_header(primary, t, 1, last_lba, 2, array_crc);
	put_header(backup, t, last_lba, 1, backup_array_lba, array_crc);
	put_protective_mbr(pmbr, sectors);

	/* Backups first and the protective MBR last, so an interrupted write
	 * never leaves a disk that looks like a valid GPT with stale entries. */
	const struct {
		const char *what;
		const void *buf;
		size_t len;
		uint64_t lba;
	} steps[] = {
		{ "backup entry array", array, IB_GPT_ARRAY_BYTES, backup_array_lba },
		{ "backup header", backup, ss, last_lba },
		{ "primary entry array", array, IB_GPT_ARRAY_BYTES, 2 },
		{ "primary header", primary, ss, 1 },
		{ "protective MBR", pmbr, ss, 0 },
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(steps); i++) {
		int r = ib_pwrite_all(fd, steps[i].buf, steps[i].len, steps[i].lba * ss);
		if (r < 0)
			return ib_fail_errno(err, r, "writing the GPT %s at byte %" PRIu64, steps[i].what,
					     steps[i].lba * ss);
	}
	return 0;
}
