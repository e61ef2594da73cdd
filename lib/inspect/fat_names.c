// SPDX-License-Identifier: GPL-2.0-or-later
/* FAT names -> UTF-8. Long names are UTF-16 in 13-unit pieces, stored last
 * piece first, each with its sequence number and the checksum of the short
 * name they belong to; a long name whose pieces are incomplete, out of order
 * or for another short name is ignored (the short name counts), as Windows
 * and Linux do. Short names are OEM bytes, read as code page 437 (what Linux
 * vfat and mtools' US default assume); 0x05 in the first byte stands for
 * 0xE5; flag bits 0x08 and 0x10 of byte 12 mean base and extension are shown
 * in lower case (Windows NT and later). */
#include "fat_int.h"

#include "core/util.h"

static const uint16_t cp437_high[128] = {
	0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,
	0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,
	0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,
	0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,
	0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,
	0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,
	0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,
	0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
	0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,
	0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,
	0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,
	0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,
	0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,
};

static void put_utf8(struct ib_buf *b, uint32_t c)
{
	char s[4];
	size_t n;
	if (c < 0x80) {
		s[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		s[0] = (char)(0xC0 | c >> 6);
		s[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		s[0] = (char)(0xE0 | c >> 12);
		s[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		s[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		s[0] = (char)(0xF0 | c >> 18);
		s[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		s[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	ib_buf_append(b, s, n);
}

static void put_oem(struct ib_buf *b, uint8_t c, bool lower)
{
	if (c >= 0x80)
		put_utf8(b, cp437_high[c - 0x80]);
	else
		put_utf8(b, lower && c >= 'A' && c <= 'Z' ? (uint32_t)(c - 'A' + 'a') : c);
}

void fat_lfn_reset(struct fat_lfn *l)
{
	l->expect = 0;
	l->parts = 0;
}

void fat_lfn_add(struct fat_lfn *l, const uint8_t *e)
{
	static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
	int seq = e[0] & 0x1F;
	if (e[0] & 0x40) { /* the last piece comes first and starts a name */
		if (seq < 1 || seq > 20) {
			fat_lfn_reset(l);
			return;
		}
		l->parts = seq;
		l->sum = e[13];
		memset(l->u, 0xFF, sizeof l->u);
	} else if (!l->parts || seq != l->expect || e[13] != l->sum) {
		fat_lfn_reset(l);
		return;
	}
	for (int k = 0; k < 13; k++)
		l->u[(seq - 1) * 13 + k] = ib_get_le16(e + at[k]);
	l->expect = seq - 1;
}

uint8_t fat_short_sum(const uint8_t *name11)
{
	uint8_t sum = 0;
	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
	return sum;
}

static char *lfn_utf8(const struct fat_lfn *l)
{
	struct ib_buf b = {0};
	int n = l->parts * 13;
	for (int i = 0; i < n && l->u[i] != 0; i++) {
		uint32_t c = l->u[i];
		if (c >= 0xD800 && c < 0xDC00 && i + 1 < n && l->u[i + 1] >= 0xDC00 && l->u[i + 1] < 0xE000) {
			c = 0x10000 + ((c - 0xD800) << 10) + (l->u[i + 1] - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c < 0xE000) {
			c = 0xFFFD; /* a broken surrogate */
		}
		put_utf8(&b, c);
	}
	return ib_buf_steal(&b);
}

static char *short_utf8(const uint8_t *e)
{
	struct ib_buf b = {0};
	int blen = 8, elen = 3;
	while (blen > 0 && e[blen - 1] == ' ')
		blen--;
	while (elen > 0 && e[8 + elen - 1] == ' ')
		elen--;
	for (int i = 0; i < blen; i++)
		put_oem(&b, i == 0 && e[0] == 0x05 ? 0xE5 : e[i], e[12] & 0x08);
	if (elen) {
		ib_buf_puts(&b, ".");
		for (int i = 0; i < elen; i++)
			put_oem(&b, e[8 + i], e[12] & 0x10);
	}
	return ib_buf_steal(&b);
}

char *fat_entry_name(struct fat_lfn *l, const uint8_t *e)
{
	char *s = NULL;
	if (l->parts && l->expect == 0 && l->sum == fat_short_sum(e)) {
		s = lfn_utf8(l);
		if (!*s) { /* an empty long name is no name */
			free(s);
			s = NULL;
		}
	}
	fat_lfn_reset(l);
	return s ? s : short_utf8(e);
}

char *fat_label_name(const uint8_t *raw11)
{
	int n = 11;
	while (n > 0 && (raw11[n - 1] == ' ' || raw11[n - 1] == 0))
		n--;
	if (!n)
		return NULL;
	struct ib_buf b = {0};
	for (int i = 0; i < n; i++)
		put_oem(&b, raw11[i], false);
	return ib_buf_steal(&b);
}
