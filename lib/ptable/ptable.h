// SPDX-License-Identifier: GPL-2.0-or-later
/* Partition tables written and read natively: GPT (protective MBR, primary
 * and backup headers and entry arrays, CRC32 from zlib) and MBR (disk
 * signature, up to four primary partitions). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/guid.h"

#define IB_GPT_ENTRIES 128
#define IB_GPT_ENTRY_SIZE 128
#define IB_GPT_NAME_MAX 36 /* UTF-16 code units */

struct ib_pt_entry {
	uint64_t first_lba, last_lba; /* inclusive */
	/* GPT */
	struct ib_guid type_guid;
	struct ib_guid part_guid;
	uint64_t attrs;
	char name[IB_GPT_NAME_MAX * 3 + 1]; /* UTF-8 */
	/* MBR */
	uint8_t mbr_type;
	bool bootable;
};

struct ib_ptable {
	bool gpt; /* false: MBR */
	uint32_t sector_size;
	uint64_t disk_bytes;
	struct ib_guid disk_guid; /* GPT */
	uint32_t mbr_signature;   /* MBR */
	struct ib_pt_entry entries[IB_GPT_ENTRIES];
	unsigned n; /* number of entries used (partition i+1 is entries[i]) */
};

/* Usable LBA range of a GPT disk with 128 entries of 128 bytes. */
uint64_t ib_gpt_first_usable_lba(uint32_t sector_size);
uint64_t ib_gpt_last_usable_lba(uint64_t disk_bytes, uint32_t sector_size);

/* Write the table into fd (a disk image of t->disk_bytes). GPT is written in
 * crash-safe order: backup array, backup header, primary array, primary
 * header, protective MBR. Names that do not fit are an error. 0 or -1. */
int ib_gpt_write(int fd, const struct ib_ptable *t, struct ib_error *err);
int ib_mbr_write(int fd, const struct ib_ptable *t, struct ib_error *err);

/* Read a table back. GPT: checks signature, header and array CRCs, and the
 * backup; errors (exit 2) name the byte offset and what was wrong. Detects
 * which table the disk has: returns 0 with t->gpt set accordingly, or -1.
 * sector_size 0: probe for the GPT header at 512 and 4096 (MBR: 512). */
int ib_ptable_read(int fd, uint64_t disk_bytes, uint32_t sector_size, struct ib_ptable *t,
		   struct ib_error *err);
/* The same, from an image opened with lib/core/blkio.h (a file or an NBD export). */
struct ib_blk;
int ib_ptable_read_blk(struct ib_blk *b, uint64_t disk_bytes, uint32_t sector_size, struct ib_ptable *t,
		       struct ib_error *err);
