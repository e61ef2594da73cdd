// SPDX-License-Identifier: GPL-2.0-or-later
/* Layout constants and helpers shared by the GPT and MBR writers and the
 * reader; not part of the public ptable.h interface. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ptable.h"

#define IB_MBR_SIZE 512
#define IB_MBR_SIG_OFF 0x1B8    /* 32-bit disk signature */
#define IB_MBR_PART_OFF 0x1BE   /* four 16-byte entries */
#define IB_MBR_PART_SIZE 16
#define IB_MBR_BOOT_SIG_OFF 510 /* 0x55 0xAA */
#define IB_MBR_TYPE_GPT 0xEE

#define IB_GPT_HEADER_SIZE 92
#define IB_GPT_REVISION 0x00010000u
#define IB_GPT_ARRAY_BYTES (IB_GPT_ENTRIES * IB_GPT_ENTRY_SIZE)

/* GPT header fields (byte offsets inside the header). */
enum {
	GPT_H_SIGNATURE = 0,
	GPT_H_REVISION = 8,
	GPT_H_SIZE = 12,
	GPT_H_CRC = 16,
	GPT_H_MY_LBA = 24,
	GPT_H_ALT_LBA = 32,
	GPT_H_FIRST_USABLE = 40,
	GPT_H_LAST_USABLE = 48,
	GPT_H_DISK_GUID = 56,
	GPT_H_ARRAY_LBA = 72,
	GPT_H_NUM_ENTRIES = 80,
	GPT_H_ENTRY_SIZE = 84,
	GPT_H_ARRAY_CRC = 88,
};

/* GPT entry fields. */
enum {
	GPT_E_TYPE = 0,
	GPT_E_GUID = 16,
	GPT_E_FIRST = 32,
	GPT_E_LAST = 40,
	GPT_E_ATTRS = 48,
	GPT_E_NAME = 56,
};

/* Sectors taken by one entry array (32 with 512-byte sectors, 4 with 4096). */
uint64_t ib_gpt_array_sectors(uint32_t sector_size);

/* Cylinder/head/sector bytes of an MBR entry for lba with the usual 255 heads
 * and 63 sectors per track; beyond cylinder 1023 it is 1023/254/63. */
void ib_mbr_chs(uint64_t lba, uint8_t chs[3]);

/* Fill one 16-byte MBR partition entry. */
void ib_mbr_put_entry(uint8_t *e, bool bootable, uint8_t type, uint32_t start, uint32_t size,
		      const uint8_t chs_start[3], const uint8_t chs_end[3]);

/* UTF-8 -> UTF-16LE into out (IB_GPT_NAME_MAX units, zero padded). 0 or -1
 * with *why set to a static reason. */
int ib_gpt_name_encode(const char *utf8, uint8_t out[IB_GPT_NAME_MAX * 2], const char **why);
/* UTF-16LE (up to the first zero unit) -> UTF-8; broken surrogates become U+FFFD. */
void ib_gpt_name_decode(const uint8_t in[IB_GPT_NAME_MAX * 2], char out[IB_GPT_NAME_MAX * 3 + 1]);

/* Read the MBR partition entries of sector 0 (buf holds its first 512 bytes). */
int ib_mbr_parse(const uint8_t *buf, struct ib_ptable *t, struct ib_error *err);
