// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT (VFAT long names) as Windows and mtools store them: the Win32 rules
 * (names.c; Microsoft's FAT specification forbids the same characters in
 * long names), and characters up to U+FFFF only, because mtools converts
 * names through a 16-bit wide-character table and would store anything
 * beyond as something else. Case: Windows compares FAT long names without
 * regard to case with the same upcase rules as NTFS (ib_names_fold), and
 * mtools treats such names as one (it keeps one of "É.txt" and "é.txt"). */
#include "names.h"

#include <string.h>

static const char *fat_check(const char *name, size_t len, unsigned depth, char *buf, size_t bufsz)
{
	(void)depth;
	(void)buf;
	(void)bufsz;
	return ib_names_win32_reason(name, len);
}

const struct ib_name_rules ib_fat_name_rules = {
	.fs = "FAT",
	.check = fat_check,
	.max_code_point = 0xFFFF,
};

/* Characters a short name may hold besides A-Z and 0-9 (FAT specification,
 * "short name" rules); lower case letters count too, since a name in lower
 * case gets the same short entry, upper-cased. */
static bool short_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'()-@^_`{}~", c));
}

bool ib_fat_is_short_name(const char *name, size_t len)
{
	size_t dot = len;
	for (size_t i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (dot != len)
				return false; /* a second dot */
			dot = i;
		} else if (!short_char((unsigned char)name[i])) {
			return false;
		}
	}
	size_t base = dot, ext = dot == len ? 0 : len - dot - 1;
	return base >= 1 && base <= 8 && ext <= 3 && !(dot != len && ext == 0);
}
