// SPDX-License-Identifier: GPL-2.0-or-later
#include "convert.h"

#include "fs/fs.h"
#include "core/spawn.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The -o option string: subformat, adapter, and for vpc the exact size
 * (without force_size qemu rounds the disk to a CHS geometry, and the image
 * would no longer compare equal to the raw one). */
static char *format_options(const struct ib_output_spec *o)
{
	struct ib_buf b = {0};
	if (o->subformat)
		ib_buf_printf(&b, "subformat=%s", o->subformat);
	if (o->format == IB_OUT_VMDK && o->adapter)
		ib_buf_printf(&b, "%sadapter_type=%s", b.len ? "," : "", o->adapter);
	if (o->format == IB_OUT_VPC)
		ib_buf_printf(&b, "%sforce_size=on", b.len ? "," : "");
	return b.len ? ib_buf_steal(&b) : NULL;
}

char **ib_convert_argv(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst)
{
	char **argv = ib_xcalloc(16, sizeof(char *));
	size_t n = 0;
	argv[n++] = ib_xstrdup("qemu-img");
	argv[n++] = ib_xstrdup("convert");
	argv[n++] = ib_xstrdup("-q");
	argv[n++] = ib_xstrdup("-f");
	argv[n++] = ib_xstrdup(src_fmt);
	argv[n++] = ib_xstrdup("-O");
	argv[n++] = ib_xstrdup(ib_out_format_qemu(o->format));
	char *opts = format_options(o);
	if (opts) {
		argv[n++] = ib_xstrdup("-o");
		argv[n++] = opts;
	}
	argv[n++] = ib_xstrdup(src);
	argv[n++] = ib_xstrdup(dst);
	argv[n] = NULL;
	return argv;
}

int ib_convert(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst,
	       struct ib_error *err)
{
	char **argv = ib_convert_argv(o, src, src_fmt, dst);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	return r;
}

/* qemu-img -p writes "    (12.34/100%)\r" again and again; pieces of it
 * may arrive split. */
struct watch {
	void (*percent)(void *ctx, double pct);
	void *ctx;
	char line[64];
	size_t len;
	int last;
};

static void on_stdout(void *ctx, const char *data, size_t n)
{
	struct watch *w = ctx;
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c != '\r' && c != '\n') {
			if (w->len < sizeof w->line - 1)
				w->line[w->len++] = c;
			continue;
		}
		w->line[w->len] = 0;
		w->len = 0;
		const char *open = strchr(w->line, '(');
		double pct;
		if (open && sscanf(open, "(%lf/100%%)", &pct) == 1 && (int)pct != w->last) {
			w->last = (int)pct;
			w->percent(w->ctx, pct);
		}
	}
}

int ib_convert_progress(const struct ib_output_spec *o, const char *src, const char *src_fmt, const char *dst,
			void (*percent)(void *ctx, double pct), void *ctx, struct ib_error *err)
{
	char **argv = ib_convert_argv(o, src, src_fmt, dst);
	free(argv[2]); /* -q: quiet, becomes -p: progress */
	argv[2] = ib_xstrdup("-p");
	struct watch w = {.percent = percent, .ctx = ctx, .last = -1};
	struct ib_spawn_opts opts = {.stdin_fd = -1, .on_stdout = on_stdout, .on_stdout_ctx = &w};
	int r = ib_spawn((const char *const *)argv, &opts, NULL, err);
	ib_argv_free(argv);
	return r;
}
