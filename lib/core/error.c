// SPDX-License-Identifier: GPL-2.0-or-later
#include "error.h"

#include <stdio.h>
#include <string.h>

static int fail_v(struct ib_error *err, int exit_code, const struct ib_loc *loc, const char *suffix,
		  const char *fmt, va_list ap)
{
	if (!err || err->exit_code)
		return -1;
	char *m = ib_xvasprintf(fmt, ap);
	if (suffix) {
		char *t = ib_xasprintf("%s: %s", m, suffix);
		free(m);
		m = t;
	}
	err->msg = m;
	err->exit_code = exit_code ? exit_code : IB_EXIT_FAIL;
	if (loc)
		err->loc = *loc;
	return -1;
}

int ib_fail(struct ib_error *err, int exit_code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(err, exit_code, NULL, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int ib_fail_at(struct ib_error *err, int exit_code, const struct ib_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(err, exit_code, loc, NULL, fmt, ap);
	va_end(ap);
	return -1;
}

int ib_fail_errno(struct ib_error *err, int neg_errno, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail_v(err, IB_EXIT_FAIL, NULL, strerror(neg_errno < 0 ? -neg_errno : neg_errno), fmt, ap);
	va_end(ap);
	return -1;
}

void ib_error_prefix(struct ib_error *err, const char *fmt, ...)
{
	if (!err || !err->msg)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *p = ib_xvasprintf(fmt, ap);
	va_end(ap);
	char *m = ib_xasprintf("%s: %s", p, err->msg);
	free(p);
	free(err->msg);
	err->msg = m;
}

void ib_error_clear(struct ib_error *err)
{
	free(err->msg);
	*err = (struct ib_error){0};
}

void ib_diag_add(struct ib_diags *d, enum ib_severity sev, const struct ib_loc *loc, const char *hint,
		 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct ib_diag g = {
		.sev = sev,
		.loc = loc ? *loc : (struct ib_loc){0},
		.msg = ib_xvasprintf(fmt, ap),
		.hint = hint ? ib_xstrdup(hint) : NULL,
	};
	va_end(ap);
	IB_VEC_PUSH(d->list, g);
}

size_t ib_diags_errors(const struct ib_diags *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->list.n; i++)
		n += d->list.v[i].sev == IB_SEV_ERROR;
	return n;
}

static const char *sev_name(enum ib_severity s)
{
	return s == IB_SEV_ERROR ? "error" : s == IB_SEV_WARNING ? "warning" : "note";
}

/* Print the source line `line` and a caret under column `col`. */
static void print_snippet(const struct ib_diags *d, FILE *f, unsigned line, unsigned col)
{
	const char *p = d->src_text, *end = d->src_text + d->src_len;
	for (unsigned l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return;
		p = nl + 1;
	}
	if (p >= end)
		return;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (len && p[len - 1] == '\r')
		len--;
	fprintf(f, " %4u | %.*s\n      | ", line, (int)len, p);
	/* Keep tabs so the caret lines up under tab-indented text. */
	for (unsigned c = 1; c < col && c - 1 < len; c++)
		fputc(p[c - 1] == '\t' ? '\t' : ' ', f);
	fputs("^\n", f);
}

void ib_diags_print(const struct ib_diags *d, FILE *f)
{
	for (size_t i = 0; i < d->list.n; i++) {
		const struct ib_diag *g = &d->list.v[i];
		if (g->loc.file && g->loc.line)
			fprintf(f, "%s:%u:%u: %s: %s\n", g->loc.file, g->loc.line, g->loc.col, sev_name(g->sev),
				g->msg);
		else if (g->loc.file)
			fprintf(f, "%s: %s: %s\n", g->loc.file, sev_name(g->sev), g->msg);
		else
			fprintf(f, "imgbuild: %s: %s\n", sev_name(g->sev), g->msg);
		if (g->loc.line && d->src_text && g->loc.file && d->src_file && !strcmp(g->loc.file, d->src_file))
			print_snippet(d, f, g->loc.line, g->loc.col);
		if (g->hint)
			fprintf(f, "      = hint: %s\n", g->hint);
	}
}

void ib_diags_free(struct ib_diags *d)
{
	for (size_t i = 0; i < d->list.n; i++) {
		free(d->list.v[i].msg);
		free(d->list.v[i].hint);
	}
	free(d->list.v);
	d->list.v = NULL;
	d->list.n = d->list.cap = 0;
	if (d->src_owned) {
		free(d->src_owned);
		d->src_owned = NULL;
		d->src_file = d->src_text = NULL;
		d->src_len = 0;
	}
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *ib_did_you_mean(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		if (!candidates[i])
			break;
		size_t dist = edit_distance(word, candidates[i]);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	/* Close enough: at most a third of the word, and at least one edit allowed. */
	size_t limit = strlen(word) / 3 + 1;
	return best_d <= limit ? best : NULL;
}
