// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT directory-entry names, private to the FAT reader: VFAT long names
 * (UTF-16 pieces, checksummed against the short entry) and 8.3 short names
 * (OEM code page 437, the NT lower-case flags), both to UTF-8. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define FAT_LFN_MAX 255 /* UTF-16 units */

/* A long name being collected from the entries before a short entry. */
struct fat_lfn {
	uint16_t u[20 * 13];
	int expect;   /* the next sequence number wanted; 0 once complete */
	int parts;    /* how many pieces the first (last-numbered) entry announced; 0: none */
	uint8_t sum;  /* the short-name checksum every piece carries */
};

/* Feed one LFN entry (32 bytes); a piece out of order drops the name. */
void fat_lfn_add(struct fat_lfn *l, const uint8_t *e);
void fat_lfn_reset(struct fat_lfn *l);
/* The checksum of an 11-byte short name. */
uint8_t fat_short_sum(const uint8_t *name11);
/* The name of the short entry e: the collected long name when it is
 * complete and belongs to e, else the 8.3 name. Malloc'd UTF-8. Resets l. */
char *fat_entry_name(struct fat_lfn *l, const uint8_t *e);
/* 11 bytes of a volume label, trailing spaces dropped, to UTF-8 (malloc'd),
 * or NULL if blank. */
char *fat_label_name(const uint8_t *raw11);
