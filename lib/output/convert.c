// SPDX-License-Identifier: GPL-2.0-or-later
#include "convert.h"

#include "fs/fs.h"
#include "core/spawn.h"
#include "core/util.h"

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
