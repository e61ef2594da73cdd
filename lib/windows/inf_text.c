// SPDX-License-Identifier: GPL-2.0-or-later
/* INF text: decode (UTF-16LE/UTF-8 with BOM, else Windows-1252) to UTF-8,
 * then split into sections and logical lines: `;` comments outside quotes,
 * "..." quoting with "" for a quote, `\` at the end of a line continues it. */
#include "inf_int.h"

#include <ctype.h>
#include <string.h>

/* Windows-1252 0x80..0x9F; the five undefined bytes map to C1 controls, as
 * MultiByteToWideChar does. */
static const uint16_t cp1252_80[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static void put_utf8(struct ib_buf *b, uint32_t cp)
{
	char t[4];
	size_t n;
	if (cp < 0x80) {
		t[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xC0 | cp >> 6);
		t[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xE0 | cp >> 12);
		t[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		t[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		t[0] = (char)(0xF0 | cp >> 18);
		t[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		t[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		t[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	ib_buf_append(b, t, n);
}

static int decode_utf16le(const char *file, const uint8_t *p, size_t len, struct ib_buf *b, struct ib_error *err)
{
	unsigned line = 1;
	size_t even = len & ~(size_t)1;
	for (size_t i = 0; i < even; i += 2) {
		uint32_t u = ib_get_le16(p + i);
		if (u >= 0xD800 && u <= 0xDBFF) {
			uint32_t lo = i + 4 <= even ? ib_get_le16(p + i + 2) : 0;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return inf_fail(err, file, line, "invalid UTF-16LE: unpaired surrogate 0x%04X at byte %zu",
						(unsigned)u, i + 2);
			u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			i += 2;
		} else if (u >= 0xDC00 && u <= 0xDFFF) {
			return inf_fail(err, file, line, "invalid UTF-16LE: unpaired surrogate 0x%04X at byte %zu",
					(unsigned)u, i + 2);
		} else if (u == 0) {
			return inf_fail(err, file, line, "NUL character in UTF-16LE text at byte %zu", i + 2);
		}
		if (u == '\n')
			line++;
		put_utf8(b, u);
	}
	if (len != even)
		return inf_fail(err, file, line, "UTF-16LE file has an odd number of bytes (%zu): truncated?",
				len + 2);
	return 0;
}

/* Strict UTF-8: no overlong forms, surrogates or values above U+10FFFF. */
static int check_utf8(const char *file, const uint8_t *p, size_t len, struct ib_error *err)
{
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < len;) {
		uint8_t c = p[i];
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
		bool ok = n && i + n <= len;
		for (size_t k = 1; ok && k < n; k++) {
			ok = (p[i + k] & 0xC0) == 0x80;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			   cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
			ok = false;
		if (!ok) {
			struct ib_loc loc = { file, line, col };
			return ib_fail_at(err, IB_EXIT_INPUT, &loc,
					  "invalid UTF-8 (byte 0x%02X) in a file with a UTF-8 BOM", c);
		}
		if (c == 0)
			return inf_fail(err, file, line, "NUL byte in the text");
		if (c == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
		i += n;
	}
	return 0;
}

int inf_text_decode(const char *file, const uint8_t *p, size_t len, char **out, enum ib_inf_encoding *enc,
		    struct ib_error *err)
{
	struct ib_buf b = { 0 };
	if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
		*enc = IB_INF_UTF16LE_BOM;
		if (decode_utf16le(file, p + 2, len - 2, &b, err) < 0) {
			ib_buf_free(&b);
			return -1;
		}
	} else if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF) {
		return inf_fail(err, file, 1, "UTF-16BE is not supported (Windows reads INFs as UTF-16LE or ANSI)");
	} else if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		*enc = IB_INF_UTF8_BOM;
		if (check_utf8(file, p + 3, len - 3, err) < 0)
			return -1;
		ib_buf_append(&b, (const char *)p + 3, len - 3);
	} else {
		*enc = IB_INF_ANSI;
		unsigned line = 1;
		for (size_t i = 0; i < len; i++) {
			uint8_t c = p[i];
			if (c == 0) {
				ib_buf_free(&b);
				return inf_fail(err, file, line,
						"NUL byte in an ANSI INF (UTF-16 without a byte-order mark?)");
			}
			if (c == '\n')
				line++;
			if (c < 0x80)
				ib_buf_append(&b, (const char *)&p[i], 1);
			else
				put_utf8(&b, c < 0xA0 ? cp1252_80[c - 0x80] : c);
		}
	}
	*out = ib_buf_steal(&b);
	return 0;
}

char *inf_text_apply_defines(const char *text, const char *const *defines)
{
	char *cur = ib_xstrdup(text);
	for (size_t d = 0; defines && defines[d] && defines[d + 1]; d += 2) {
		const char *tok = defines[d], *val = defines[d + 1];
		size_t tl = strlen(tok);
		if (!tl)
			continue;
		struct ib_buf b = { 0 };
		const char *s = cur, *hit;
		while ((hit = strstr(s, tok))) {
			ib_buf_append(&b, s, (size_t)(hit - s));
			ib_buf_puts(&b, val);
			s = hit + tl;
		}
		ib_buf_puts(&b, s);
		free(cur);
		cur = ib_buf_steal(&b);
	}
	return cur;
}

/* Length of the part of a physical line before an unquoted `;`. Sets *open_quote
 * to the 0-based column of a quote left open, or SIZE_MAX. */
static size_t content_len(const char *s, size_t n, size_t *open_quote)
{
	bool q = false;
	size_t qpos = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			if (!q) {
				q = true;
				qpos = i;
			} else if (i + 1 < n && s[i + 1] == '"') {
				i++;
			} else {
				q = false;
			}
		} else if (s[i] == ';' && !q) {
			*open_quote = SIZE_MAX;
			return i;
		}
	}
	*open_quote = q ? qpos : SIZE_MAX;
	return n;
}

static bool is_tok_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

static void add_token(struct inf_token *toks, size_t *n, size_t max, const char *s, size_t len, unsigned line)
{
	if (len >= sizeof(toks[0].tok))
		len = sizeof(toks[0].tok) - 1;
	for (size_t i = 0; i < *n; i++)
		if (strlen(toks[i].tok) == len && !memcmp(toks[i].tok, s, len))
			return;
	if (*n == max)
		return;
	memcpy(toks[*n].tok, s, len);
	toks[*n].tok[len] = 0;
	toks[*n].line = line;
	(*n)++;
}

size_t inf_text_find_tokens(const char *text, struct inf_token *toks, size_t max)
{
	size_t n = 0;
	unsigned line = 1;
	for (const char *s = text; *s; line++) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s), oq;
		size_t cl = content_len(s, len, &oq);
		for (size_t i = 0; i < cl; i++) {
			if (s[i] == '$' && i + 1 < cl && s[i + 1] >= 'A' && s[i + 1] <= 'Z') {
				size_t j = i + 1;
				while (j < cl && is_tok_char(s[j]))
					j++;
				/* $CHICAGO$ is a valid Signature, not a build token. */
				if (j < cl && s[j] == '$' && strncmp(s + i, "$CHICAGO$", 9)) {
					add_token(toks, &n, max, s + i, j + 1 - i, line);
					i = j;
				}
			} else if (!strncmp(s + i, "INX_", 4) && i + 4 < cl && is_tok_char(s[i + 4]) &&
				   (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
				size_t j = i + 4;
				while (j < cl && is_tok_char(s[j]))
					j++;
				/* "INX_PREFIX_VENDORVirtIO": the token ends before "VirtIO". */
				if (j < cl && islower((unsigned char)s[j]) && j - i > 5)
					j--;
				add_token(toks, &n, max, s + i, j - i, line);
				i = j - 1;
			}
		}
		if (!e)
			break;
		s = e + 1;
	}
	return n;
}

/* One field: outer whitespace trimmed, quotes removed, "" inside quotes -> ". */
static char *field_text(const char *s, size_t n)
{
	struct ib_buf b = { 0 };
	size_t keep = 0, i = 0;
	bool q = false;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
		i++;
	for (; i < n; i++) {
		char c = s[i];
		if (c == '"') {
			if (q && i + 1 < n && s[i + 1] == '"') {
				ib_buf_append(&b, "\"", 1);
				i++;
			} else {
				q = !q;
			}
			keep = b.len;
			continue;
		}
		ib_buf_append(&b, &c, 1);
		if (q || !(c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'))
			keep = b.len;
	}
	char *r = ib_buf_steal(&b);
	r[keep] = 0;
	return r;
}

/* Index of the first unquoted ch in s[0..n), or n. */
static size_t find_unquoted(const char *s, size_t n, char ch)
{
	bool q = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"') {
			if (q && i + 1 < n && s[i + 1] == '"')
				i++;
			else
				q = !q;
		} else if (s[i] == ch && !q) {
			return i;
		}
	}
	return n;
}

static void split_fields(const char *s, size_t n, struct inf_line *l)
{
	IB_VEC(char *) f = { 0 };
	for (;;) {
		size_t c = find_unquoted(s, n, ',');
		IB_VEC_PUSH(f, field_text(s, c));
		if (c == n)
			break;
		s += c + 1;
		n -= c + 1;
	}
	l->f = f.v;
	l->nf = f.n;
}

static void line_free(struct inf_line *l)
{
	free(l->key);
	for (size_t i = 0; i < l->nf; i++)
		free(l->f[i]);
	free(l->f);
}

void inf_sections_free(inf_sections *s)
{
	for (size_t i = 0; i < s->n; i++) {
		for (size_t j = 0; j < s->v[i].lines.n; j++)
			line_free(&s->v[i].lines.v[j]);
		free(s->v[i].lines.v);
		free(s->v[i].name);
	}
	free(s->v);
	*s = (inf_sections){ 0 };
}

static bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

/* Handle one logical line; *cur is the index of the current section or -1. */
static int parse_logical(const char *file, unsigned lineno, const char *s, size_t n, inf_sections *out, long *cur,
			 struct ib_error *err)
{
	size_t i = 0;
	while (i < n && blank(s[i]))
		i++;
	while (n > i && blank(s[n - 1]))
		n--;
	if (i == n)
		return 0;
	if (s[i] == '[') {
		const char *close = memchr(s + i, ']', n - i);
		if (!close) {
			struct ib_loc loc = { file, lineno, (unsigned)i + 1 };
			return ib_fail_at(err, IB_EXIT_INPUT, &loc, "unterminated section header (no ']')");
		}
		size_t after = (size_t)(close - s) + 1;
		if (after != n) {
			struct ib_loc loc = { file, lineno, (unsigned)after + 1 };
			return ib_fail_at(err, IB_EXIT_INPUT, &loc, "unexpected text after section header ']'");
		}
		char *name = field_text(s + i + 1, (size_t)(close - s) - i - 1);
		if (!*name || strlen(name) > 255) {
			bool empty = !*name;
			free(name);
			return inf_fail(err, file, lineno,
					empty ? "empty section name" : "section name longer than 255 characters");
		}
		for (size_t k = 0; k < out->n; k++) {
			if (!strcasecmp(out->v[k].name, name)) {
				free(name);
				*cur = (long)k;
				return 0;
			}
		}
		struct inf_section sec = { .name = name, .lineno = lineno };
		IB_VEC_PUSH(*out, sec);
		*cur = (long)out->n - 1;
		return 0;
	}
	if (*cur < 0)
		return inf_fail(err, file, lineno, "text outside any section (before the first [section] header)");
	struct inf_line l = { .lineno = lineno };
	size_t eq = find_unquoted(s + i, n - i, '=');
	if (eq < n - i) {
		l.key = field_text(s + i, eq);
		if (!*l.key) {
			free(l.key);
			struct ib_loc loc = { file, lineno, (unsigned)(i + eq) + 1 };
			return ib_fail_at(err, IB_EXIT_INPUT, &loc, "missing key before '='");
		}
		split_fields(s + i + eq + 1, n - i - eq - 1, &l);
	} else {
		split_fields(s + i, n - i, &l);
	}
	IB_VEC_PUSH(out->v[*cur].lines, l);
	return 0;
}

int inf_text_parse(const char *file, const char *text, inf_sections *out, struct ib_error *err)
{
	struct ib_buf logical = { 0 };
	unsigned lineno = 1, first = 0; /* first: line a pending continuation started on */
	long cur = -1;
	int r = 0;
	for (const char *s = text;; lineno++) {
		if (!*s) {
			if (first)
				r = inf_fail(err, file, lineno - 1, "line continuation '\\' at end of file");
			break;
		}
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s), oq;
		size_t cl = content_len(s, len, &oq);
		if (oq != SIZE_MAX) {
			struct ib_loc loc = { file, lineno, (unsigned)oq + 1 };
			r = ib_fail_at(err, IB_EXIT_INPUT, &loc, "unterminated quoted string");
			break;
		}
		while (cl && blank(s[cl - 1]))
			cl--;
		if (!first)
			first = lineno;
		if (cl && s[cl - 1] == '\\') {
			ib_buf_append(&logical, s, cl - 1);
			if (!e) {
				r = inf_fail(err, file, lineno, "line continuation '\\' at end of file");
				break;
			}
			s = e + 1;
			continue;
		}
		ib_buf_append(&logical, s, cl);
		r = parse_logical(file, first, logical.s ? logical.s : "", logical.len, out, &cur, err);
		logical.len = 0;
		first = 0;
		if (r < 0 || !e)
			break;
		s = e + 1;
	}
	ib_buf_free(&logical);
	if (r < 0)
		inf_sections_free(out);
	return r;
}
