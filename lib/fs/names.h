// SPDX-License-Identifier: GPL-2.0-or-later
/* Which names a filesystem can store, and which names it cannot tell apart.
 *
 * One rule set per filesystem (names_ntfs.c, names_fat.c), used by the
 * planner (every destination path, before anything is written) and by the
 * volume backends (again, as they write), so the lib and mount backends and
 * FAT refuse the same names. docs/recipe.md, "What imgbuild refuses", lists
 * the rules with their reasons. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct ib_name_rules {
	const char *fs; /* "NTFS", "FAT": for messages */
	/* Why the component name[0..len) cannot be stored in a directory at
	 * depth (0: the root directory), or NULL when it can. A reason is a
	 * static string or written into buf. The name is valid UTF-8 of at most
	 * 255 UTF-16 units, and not "." or ".." (checked before). */
	const char *(*check)(const char *name, size_t len, unsigned depth, char *buf, size_t bufsz);
	/* The largest code point a name may hold (FAT: U+FFFF, see names_fat.c). */
	uint32_t max_code_point;
};

extern const struct ib_name_rules ib_ntfs_name_rules;
extern const struct ib_name_rules ib_fat_name_rules;

/* Every component of an absolute volume path ("/a/b"): valid UTF-8 (no
 * overlong forms, no encoded surrogates, nothing past U+10FFFF), at most 255
 * UTF-16 units, not "." or "..", and accepted by the rules. Input error
 * (exit 2) naming the path and the reason. */
int ib_names_check_path(const struct ib_name_rules *r, const char *path, struct ib_error *err);

/* The key under which Windows compares a name: each UTF-16 unit mapped
 * through the upcase table mkntfs writes into $UpCase (libntfs-3g's
 * ntfs_upcase_table_build, the table Windows itself uses), as a string of
 * hex units. Two names in one directory with equal keys are the same name
 * to Windows, on NTFS and on FAT. NULL when name is not valid UTF-8.
 * Malloc'd. */
char *ib_names_fold(const char *name, size_t len);

/* Decode one UTF-8 sequence strictly: the code point, or -1 for an invalid
 * sequence (overlong, surrogate, > U+10FFFF, truncated, stray byte); *n is
 * the bytes it took. */
int32_t ib_utf8_next(const char *s, size_t len, size_t *n);

/* Windows' reserved device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, the
 * superscript COM¹²³/LPT¹²³, CONIN$, CONOUT$), alone or with any extension,
 * in any case, trailing spaces ignored: Win32 opens the device instead. */
bool ib_names_is_dos_device(const char *name, size_t len);

/* The rules NTFS (as Windows uses it) and FAT share: none of the Win32-
 * invalid characters < > : " / \ | ? * or U+0001-U+001F, no trailing dot or
 * space, no DOS device name. NULL or the reason. */
const char *ib_names_win32_reason(const char *name, size_t len);

/* FAT: whether name is a valid 8.3 short name by itself (mtools stores it
 * as its own short entry, and a long name's generated alias must avoid it). */
bool ib_fat_is_short_name(const char *name, size_t len);
