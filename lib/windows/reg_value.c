// SPDX-License-Identifier: GPL-2.0-or-later
/* Registry value data: UTF-8 <-> UTF-16LE for the string types, little-endian
 * integers, and a readable rendering for change reports. */
#include <inttypes.h>
#include <stdio.h>

#include "hive.h"

void ib_reg_value_free(struct ib_reg_value *v)
{
	free(v->data);
	v->data = NULL;
	v->len = 0;
}

/* Decode one UTF-8 sequence at s[*i]; -1 when invalid (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static int32_t utf8_next(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i];
	int extra;
	uint32_t cp, min;
	if (c < 0x80) {
		(*i)++;
		return (int32_t)c;
	} else if ((c & 0xe0) == 0xc0) {
		extra = 1, cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		extra = 2, cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		extra = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	for (int k = 1; k <= extra; k++) {
		unsigned cc = s[*i + k];
		if ((cc & 0xc0) != 0x80)
			return -1; /* also stops at the NUL */
		cp = cp << 6 | (cc & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += (size_t)extra + 1;
	return (int32_t)cp;
}

/* Append the UTF-16LE form of utf8 plus 00 00 to buf. */
static int append_utf16(struct ib_buf *buf, const char *utf8, struct ib_error *err)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t i = 0;
	while (s[i]) {
		size_t at = i;
		int32_t cp = utf8_next(s, &i);
		if (cp < 0)
			return ib_fail(err, IB_EXIT_INPUT, "registry string \"%s\": invalid UTF-8 at byte %zu", utf8,
				       at);
		uint8_t u[4];
		if (cp >= 0x10000) {
			uint32_t v = (uint32_t)cp - 0x10000;
			ib_put_le16(u, (uint16_t)(0xd800 | v >> 10));
			ib_put_le16(u + 2, (uint16_t)(0xdc00 | (v & 0x3ff)));
			ib_buf_append(buf, (const char *)u, 4);
		} else {
			ib_put_le16(u, (uint16_t)cp);
			ib_buf_append(buf, (const char *)u, 2);
		}
	}
	ib_buf_append(buf, "\0\0", 2);
	return 0;
}

int ib_reg_encode_sz(const char *utf8, uint8_t **data, size_t *len, struct ib_error *err)
{
	struct ib_buf b = {0};
	if (append_utf16(&b, utf8, err) < 0) {
		ib_buf_free(&b);
		return -1;
	}
	*len = b.len;
	*data = (uint8_t *)ib_buf_steal(&b);
	return 0;
}

int ib_reg_encode_multi_sz(const char *const *strs, size_t n, uint8_t **data, size_t *len,
			   struct ib_error *err)
{
	struct ib_buf b = {0};
	for (size_t i = 0; i < n; i++) {
		if (!strs[i][0]) {
			ib_buf_free(&b);
			/* An empty element would end the list early when Windows reads it. */
			return ib_fail(err, IB_EXIT_INPUT, "REG_MULTI_SZ element %zu is empty", i);
		}
		if (append_utf16(&b, strs[i], err) < 0) {
			ib_buf_free(&b);
			return -1;
		}
	}
	ib_buf_append(&b, "\0\0", 2);
	*len = b.len;
	*data = (uint8_t *)ib_buf_steal(&b);
	return 0;
}

void ib_reg_encode_dword(uint32_t v, uint8_t out[4]) { ib_put_le32(out, v); }
void ib_reg_encode_qword(uint64_t v, uint8_t out[8]) { ib_put_le64(out, v); }

static void put_utf8(struct ib_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	ib_buf_append(b, u, n);
}

/* Decode UTF-16LE units [0, len/2) up to the first NUL unit; *used gets the
 * bytes consumed including that NUL (or len). */
static char *decode_one(const uint8_t *data, size_t len, size_t *used)
{
	struct ib_buf b = {0};
	size_t i = 0;
	ib_buf_append(&b, "", 0);
	while (i + 2 <= len) {
		uint32_t u = ib_get_le16(data + i);
		i += 2;
		if (u == 0)
			break;
		if (u >= 0xd800 && u <= 0xdbff && i + 2 <= len) {
			uint32_t lo = ib_get_le16(data + i);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				i += 2;
				put_utf8(&b, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
				continue;
			}
		}
		put_utf8(&b, (u >= 0xd800 && u <= 0xdfff) ? 0xfffd : u);
	}
	if (used)
		*used = i;
	if (!b.s)
		return ib_xstrdup("");
	return ib_buf_steal(&b);
}

char *ib_reg_decode_sz(const uint8_t *data, size_t len)
{
	return decode_one(data, len, NULL);
}

static void format_quoted(struct ib_buf *b, const char *s)
{
	ib_buf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			ib_buf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			ib_buf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			ib_buf_append(b, s, 1);
	}
	ib_buf_puts(b, "\"");
}

char *ib_reg_value_format(enum ib_reg_type type, const uint8_t *data, size_t len)
{
	struct ib_buf b = {0};
	ib_buf_puts(&b, ib_reg_type_name(type));
	switch (type) {
	case IB_REG_SZ:
	case IB_REG_EXPAND_SZ: {
		_cleanup_free_ char *s = ib_reg_decode_sz(data, len);
		ib_buf_puts(&b, " ");
		format_quoted(&b, s);
		return ib_buf_steal(&b);
	}
	case IB_REG_MULTI_SZ: {
		size_t off = 0;
		ib_buf_puts(&b, " [");
		for (bool first = true; off + 2 <= len && ib_get_le16(data + off) != 0; first = false) {
			size_t used;
			_cleanup_free_ char *s = decode_one(data + off, len - off, &used);
			if (!first)
				ib_buf_puts(&b, ", ");
			format_quoted(&b, s);
			off += used;
		}
		ib_buf_puts(&b, "]");
		return ib_buf_steal(&b);
	}
	case IB_REG_DWORD:
		if (len == 4) {
			uint32_t v = ib_get_le32(data);
			ib_buf_printf(&b, " 0x%08" PRIx32 " (%" PRIu32 ")", v, v);
			return ib_buf_steal(&b);
		}
		break;
	case IB_REG_QWORD:
		if (len == 8) {
			uint64_t v = ib_get_le64(data);
			ib_buf_printf(&b, " 0x%016" PRIx64 " (%" PRIu64 ")", v, v);
			return ib_buf_steal(&b);
		}
		break;
	default:
		break;
	}
	/* Binary, or an integer of the wrong length: hex bytes. */
	size_t shown = len > 64 ? 64 : len;
	for (size_t i = 0; i < shown; i++)
		ib_buf_printf(&b, " %02x", data[i]);
	if (shown < len)
		ib_buf_printf(&b, " ... (%zu bytes)", len);
	else if (len == 0)
		ib_buf_puts(&b, " (empty)");
	return ib_buf_steal(&b);
}
