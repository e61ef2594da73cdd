// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts of the name rules every filesystem shares: strict UTF-8, the
 * Win32 rules, DOS device names, and Windows' case folding. */
#include "names.h"

#include <stdio.h>
#include <string.h>

#include "fs/ntfs3g_compat.h"

int32_t ib_utf8_next(const char *s, size_t len, size_t *n)
{
	const unsigned char *u = (const unsigned char *)s;
	*n = 1;
	if (u[0] < 0x80)
		return u[0];
	size_t need;
	uint32_t cp, min;
	if ((u[0] & 0xE0) == 0xC0) {
		need = 2, cp = u[0] & 0x1F, min = 0x80;
	} else if ((u[0] & 0xF0) == 0xE0) {
		need = 3, cp = u[0] & 0x0F, min = 0x800;
	} else if ((u[0] & 0xF8) == 0xF0) {
		need = 4, cp = u[0] & 0x07, min = 0x10000;
	} else {
		return -1; /* a continuation byte, or 0xF8-0xFF */
	}
	if (need > len)
		return -1;
	for (size_t i = 1; i < need; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (u[i] & 0x3F);
	}
	/* Overlong forms, UTF-16 surrogates and code points past Unicode. */
	if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return -1;
	*n = need;
	return (int32_t)cp;
}

static bool ascii_ieq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];
		if (x >= 'a' && x <= 'z')
			x = (char)(x - 'a' + 'A');
		if (x != y)
			return false;
	}
	return true;
}

bool ib_names_is_dos_device(const char *name, size_t len)
{
	/* Win32 looks at the part before the first dot, trailing spaces dropped. */
	size_t base = 0;
	while (base < len && name[base] != '.')
		base++;
	while (base > 0 && name[base - 1] == ' ')
		base--;
	static const char *const plain[] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
	for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
		if (ascii_ieq(name, base, plain[i]))
			return true;
	if (base < 4 || !(ascii_ieq(name, 3, "COM") || ascii_ieq(name, 3, "LPT")))
		return false;
	const unsigned char *d = (const unsigned char *)name + 3;
	if (base == 4 && d[0] >= '0' && d[0] <= '9')
		return true;
	/* ¹ ² ³ (U+00B9, U+00B2, U+00B3) in UTF-8 */
	return base == 5 && d[0] == 0xC2 && (d[1] == 0xB9 || d[1] == 0xB2 || d[1] == 0xB3);
}

const char *ib_names_win32_reason(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20)
			return "it contains a control character (U+0001-U+001F), which Windows refuses in names";
		if (strchr("<>:\"/\\|?*", c))
			return "it contains one of < > : \" / \\ | ? *, which Windows refuses in names";
	}
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return "it ends with a dot or a space, which Windows strips (the file could not be opened by "
		       "its name)";
	if (ib_names_is_dos_device(name, len))
		return "it is a DOS device name (CON, PRN, AUX, NUL, COM0-9, LPT0-9, CONIN$, CONOUT$, with "
		       "any extension): Windows opens the device instead of the file";
	return NULL;
}

/* UTF-16 units of a valid UTF-8 name, or -1. */
static long utf16_units(const char *name, size_t len, uint32_t max_cp, uint32_t *too_big)
{
	long units = 0;
	for (size_t i = 0; i < len;) {
		size_t n;
		int32_t cp = ib_utf8_next(name + i, len - i, &n);
		if (cp <= 0)
			return -1;
		if ((uint32_t)cp > max_cp && too_big && !*too_big)
			*too_big = (uint32_t)cp;
		units += cp >= 0x10000 ? 2 : 1;
		i += n;
	}
	return units;
}

static int check_component(const struct ib_name_rules *r, const char *path, const char *name, size_t len,
			   unsigned depth, struct ib_error *err)
{
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return ib_fail(err, IB_EXIT_INPUT, "'%s': '.' and '..' cannot be file names", path);
	uint32_t too_big = 0;
	long units = utf16_units(name, len, r->max_code_point, &too_big);
	if (units < 0)
		return ib_fail(err, IB_EXIT_INPUT,
			       "'%s' is not valid UTF-8 (an invalid byte, an overlong form or an encoded surrogate)",
			       path);
	if (units > 255)
		return ib_fail(err, IB_EXIT_INPUT, "'%s': a %s name is at most 255 UTF-16 units long (this one has %ld)",
			       path, r->fs, units);
	if (too_big)
		return ib_fail(err, IB_EXIT_INPUT, "'%s': U+%04X cannot be stored in a %s name (%s)", path,
			       (unsigned)too_big, r->fs,
			       "mtools writes FAT long names only with characters up to U+FFFF");
	char buf[256];
	const char *why = r->check(name, len, depth, buf, sizeof buf);
	if (why)
		return ib_fail(err, IB_EXIT_INPUT, "'%s' cannot be stored on %s: %s", path, r->fs, why);
	return 0;
}

int ib_names_check_path(const struct ib_name_rules *r, const char *path, struct ib_error *err)
{
	unsigned depth = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		if (e > p && check_component(r, path, p, (size_t)(e - p), depth++, err) < 0)
			return -1;
		p = e;
	}
	return 0;
}

/* mkntfs's $UpCase, built once. */
static const ntfschar *upcase_table(void)
{
	static ntfschar table[65536];
	static bool built;
	if (!built) {
		ntfs_upcase_table_build(table, sizeof table);
		built = true;
	}
	return table;
}

char *ib_names_fold(const char *name, size_t len)
{
	const ntfschar *up = upcase_table();
	struct ib_buf b = {0};
	for (size_t i = 0; i < len;) {
		size_t n;
		int32_t cp = ib_utf8_next(name + i, len - i, &n);
		if (cp < 0) {
			ib_buf_free(&b);
			return NULL;
		}
		i += n;
		if (cp >= 0x10000) { /* surrogate pairs are compared as they are */
			uint32_t v = (uint32_t)cp - 0x10000;
			ib_buf_printf(&b, "%04x%04x.", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
			continue;
		}
		ib_buf_printf(&b, "%04x.", (unsigned)le16_to_cpu(up[cp]));
	}
	return ib_buf_steal(&b);
}
