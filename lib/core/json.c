// SPDX-License-Identifier: GPL-2.0-or-later
/* A compact JSON writer: commas and nesting are tracked per level, strings are
 * escaped, and invalid UTF-8 (file names, tool output) becomes U+FFFD so the
 * output is always valid JSON. */
#include "json.h"

#include <inttypes.h>
#include <math.h>

#define MAX_DEPTH ((int)IB_ARRAY_SIZE(((struct ib_json *)0)->need_comma) - 1)

static void put(struct ib_json *j, const char *s)
{
	ib_buf_puts(&j->buf, s);
}

/* Before any value: a comma if this level already has one, unless the value
 * follows its key. */
static void before_value(struct ib_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put(j, ",");
	j->need_comma[j->depth] = true;
}

static void open_level(struct ib_json *j, const char *bracket)
{
	before_value(j);
	put(j, bracket);
	if (j->depth >= MAX_DEPTH) {
		/* A programming error: the writer's nesting is fixed at 63 levels. */
		fputs("imgbuild: internal error: JSON nested too deeply\n", stderr);
		abort();
	}
	j->need_comma[++j->depth] = false;
}

static void close_level(struct ib_json *j, const char *bracket)
{
	put(j, bracket);
	if (j->depth > 0)
		j->depth--;
	j->after_key = false;
}

void ib_json_begin_object(struct ib_json *j) { open_level(j, "{"); }
void ib_json_end_object(struct ib_json *j) { close_level(j, "}"); }
void ib_json_begin_array(struct ib_json *j) { open_level(j, "["); }
void ib_json_end_array(struct ib_json *j) { close_level(j, "]"); }

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if the
 * bytes there are not one: overlong forms, surrogates and code points above
 * U+10FFFF are invalid too. */
static size_t utf8_valid_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_string(struct ib_json *j, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	struct ib_buf *b = &j->buf;
	ib_buf_append(b, "\"", 1);
	while (n) {
		unsigned char c = *p;
		const char *esc = NULL;
		char u[8];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				snprintf(u, sizeof(u), "\\u%04x", c);
				esc = u;
			}
		}
		if (esc) {
			ib_buf_puts(b, esc);
			p++, n--;
			continue;
		}
		size_t len = utf8_valid_len(p, n);
		if (!len) {
			ib_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD for each bad byte */
			p++, n--;
			continue;
		}
		ib_buf_append(b, (const char *)p, len);
		p += len, n -= len;
	}
	ib_buf_append(b, "\"", 1);
}

void ib_json_key(struct ib_json *j, const char *key)
{
	j->after_key = false;
	before_value(j);
	put_string(j, key ? key : "");
	put(j, ":");
	j->after_key = true;
}

void ib_json_string(struct ib_json *j, const char *s)
{
	if (!s) {
		ib_json_null(j);
		return;
	}
	before_value(j);
	put_string(j, s);
}

void ib_json_uint(struct ib_json *j, uint64_t v)
{
	before_value(j);
	ib_buf_printf(&j->buf, "%" PRIu64, v);
}

void ib_json_int(struct ib_json *j, int64_t v)
{
	before_value(j);
	ib_buf_printf(&j->buf, "%" PRId64, v);
}

void ib_json_double(struct ib_json *j, double v)
{
	before_value(j);
	if (!isfinite(v)) { /* JSON has no NaN or infinity */
		put(j, "null");
		return;
	}
	char num[64];
	snprintf(num, sizeof(num), "%.3f", v);
	for (char *c = num; *c; c++) /* a locale's decimal comma is not JSON */
		if (*c == ',')
			*c = '.';
	put(j, num);
}

void ib_json_bool(struct ib_json *j, bool v)
{
	before_value(j);
	put(j, v ? "true" : "false");
}

void ib_json_null(struct ib_json *j)
{
	before_value(j);
	put(j, "null");
}

void ib_json_kv_str(struct ib_json *j, const char *key, const char *s)
{
	ib_json_key(j, key);
	ib_json_string(j, s);
}

void ib_json_kv_uint(struct ib_json *j, const char *key, uint64_t v)
{
	ib_json_key(j, key);
	ib_json_uint(j, v);
}

void ib_json_kv_bool(struct ib_json *j, const char *key, bool v)
{
	ib_json_key(j, key);
	ib_json_bool(j, v);
}

void ib_json_flush(struct ib_json *j, FILE *f)
{
	if (j->buf.len)
		fwrite(j->buf.s, 1, j->buf.len, f);
	fputc('\n', f);
	fflush(f); /* one event per line, visible as it happens */
	j->buf.len = 0;
	if (j->buf.s)
		j->buf.s[0] = '\0';
	memset(j->need_comma, 0, sizeof(j->need_comma));
	j->depth = 0;
	j->after_key = false;
}

void ib_json_free(struct ib_json *j)
{
	ib_buf_free(&j->buf);
	memset(j->need_comma, 0, sizeof(j->need_comma));
	j->depth = 0;
	j->after_key = false;
}
