// SPDX-License-Identifier: GPL-2.0-or-later
/* ib_recipe_load: read the file, build the YAML node tree, apply --set, walk
 * the schema, check across fields. Every error goes into the caller's
 * ib_diags with its file:line:col; the walk and the checks go on after an
 * error so that one run reports them all. */
#include "recipe.h"

#include <assert.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "recipe_int.h"

#define MAX_RECIPE_BYTES (4u << 20)

/* ---- diagnostics ---- */

struct ib_loc rctx_loc(const struct rctx *c, const struct rnode *n)
{
	if (n->set >= 0)
		return (struct ib_loc){ RECIPE_SET_FILE, 0, (unsigned)n->set + 1 };
	return (struct ib_loc){ c->r->path, n->line, n->col };
}

/* A location as the diagnostics should carry it: file names that outlive the
 * recipe, and --set values quoted in the message instead of a line. */
static void add_v(struct rctx *c, enum ib_severity sev, const struct ib_loc *loc, const char *hint,
		  const char *fmt, va_list ap)
{
	char *msg = ib_xvasprintf(fmt, ap);
	struct ib_loc at = { 0 };
	if (loc && loc->file && !strcmp(loc->file, RECIPE_SET_FILE)) {
		at.file = RECIPE_SET_FILE;
		if (loc->col && loc->col <= c->nsets) {
			char *m = ib_xasprintf("'%s': %s", c->sets[loc->col - 1], msg);
			free(msg);
			msg = m;
		}
	} else if (loc && loc->file) {
		at = (struct ib_loc){ c->dfile, loc->line, loc->col };
	}
	ib_diag_add(c->diags, sev, &at, hint, "%s", msg);
	free(msg);
}

void rctx_error_at(struct rctx *c, const struct ib_loc *loc, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(c, IB_SEV_ERROR, loc, hint, fmt, ap);
	va_end(ap);
}

void rctx_error(struct rctx *c, const struct rnode *n, const char *hint, const char *fmt, ...)
{
	struct ib_loc loc = rctx_loc(c, n);
	va_list ap;
	va_start(ap, fmt);
	add_v(c, IB_SEV_ERROR, &loc, hint, fmt, ap);
	va_end(ap);
}

void rctx_note_at(struct rctx *c, const struct ib_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_v(c, IB_SEV_NOTE, loc, NULL, fmt, ap);
	va_end(ap);
}

void rctx_mark_bad(struct rctx *c, const void *dst)
{
	IB_VEC_PUSH(c->bad, dst);
}

bool rctx_is_bad(const struct rctx *c, const void *dst)
{
	for (size_t i = 0; i < c->bad.n; i++)
		if (c->bad.v[i] == dst)
			return true;
	return false;
}

/* ---- loading ---- */

static int read_text(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ib_buf b = { 0 };
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			ib_buf_free(&b);
			return e;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > MAX_RECIPE_BYTES) {
			close(fd);
			ib_buf_free(&b);
			return -EFBIG;
		}
		ib_buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	*len = b.len;
	*text = ib_buf_steal(&b);
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ib_xstrdup(".");
	if (slash == path)
		return ib_xstrdup("/");
	return ib_xstrndup(path, (size_t)(slash - path));
}

/* Hand the diagnostics their own copy of the path and text: they are printed
 * after a failed load, when the recipe is gone. */
static void give_source(struct ib_diags *d, const char *path, const char *text, size_t len)
{
	size_t pl = strlen(path);
	char *block = ib_xmalloc(pl + 1 + len + 1);
	memcpy(block, path, pl + 1);
	if (len)
		memcpy(block + pl + 1, text, len);
	block[pl + 1 + len] = '\0';
	free(d->src_owned);
	d->src_owned = block;
	d->src_file = block;
	d->src_text = block + pl + 1;
	d->src_len = len;
}

struct ib_recipe *ib_recipe_load(const char *path, const char *const *sets, size_t nsets,
				 struct ib_diags *diags)
{
	size_t errors_before = ib_diags_errors(diags);
	char *text = NULL;
	size_t len = 0;
	int e = read_text(path, &text, &len);
	if (e < 0) {
		give_source(diags, path, "", 0);
		struct ib_loc at = { diags->src_file, 0, 0 };
		if (e == -EFBIG)
			ib_diag_add(diags, IB_SEV_ERROR, &at, NULL, "cannot read the recipe: larger than %u MiB",
				    MAX_RECIPE_BYTES >> 20);
		else
			ib_diag_add(diags, IB_SEV_ERROR, &at, NULL, "cannot read the recipe: %s", strerror(-e));
		return NULL;
	}
	give_source(diags, path, text, len);

	struct ib_recipe *r = ib_xcalloc(1, sizeof(*r));
	r->path = ib_xstrdup(path);
	r->dir = dir_of(path);
	r->text = text;
	r->text_len = len;

	struct rctx c = { .diags = diags, .dfile = diags->src_file, .r = r, .sets = sets, .nsets = nsets };
	struct rnode *root = NULL;
	if (rnode_parse(&c, text, len, -1, &root) == 0) {
		if (!root) {
			struct ib_loc at = { r->path, 1, 1 };
			rctx_error_at(&c, &at, "a recipe starts with `imgbuild: 1`", "the recipe is empty");
		} else {
			recipe_apply_sets(&c, root);
			recipe_walk(&c, root);
			recipe_check(&c);
		}
	}
	rnode_free(root);
	free(c.bad.v);
	if (ib_diags_errors(diags) > errors_before) {
		ib_recipe_free(r);
		return NULL;
	}
	return r;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_windows(struct ib_windows_spec *w)
{
	for (size_t i = 0; w->drivers && i < w->ndrivers; i++) {
		free(w->drivers[i].path);
		free_strv(w->drivers[i].select, w->drivers[i].nselect);
	}
	free(w->drivers);
	for (size_t i = 0; w->guest_tools && i < w->nguest_tools; i++) {
		free(w->guest_tools[i].name);
		free(w->guest_tools[i].src);
		free(w->guest_tools[i].args);
	}
	free(w->guest_tools);
	free_strv(w->first_boot, w->nfirst_boot);
	for (size_t i = 0; w->registry && i < w->nregistry; i++) {
		struct ib_win_reg_entry *e = &w->registry[i];
		free(e->hive);
		free(e->key);
		free(e->name);
		free(e->data);
		free_strv(e->multi, e->nmulti);
	}
	free(w->registry);
	free(w->service_wrapper);
	free(w->install.image);
	free(w->install.index);
	free(w->unattend);
}

void ib_recipe_free(struct ib_recipe *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->disk.nparts; i++) {
		struct ib_partition_spec *p = &r->disk.parts[i];
		free(p->name);
		free(p->type);
		free(p->fs.label);
		for (size_t j = 0; j < p->nfiles; j++) {
			free(p->files[j].src);
			free(p->files[j].dst);
		}
		free(p->files);
		free_windows(&p->windows);
	}
	free(r->disk.parts);
	for (size_t i = 0; i < r->noutputs; i++) {
		free(r->outputs[i].subformat);
		free(r->outputs[i].adapter);
		free(r->outputs[i].backing);
	}
	free(r->outputs);
	free(r->vm.name);
	free(r->vm.controller);
	free(r->vm.nic);
	free(r->vm.guest_os);
	for (size_t i = 0; i < r->nproperties; i++) {
		free(r->properties[i].key);
		free(r->properties[i].type);
		free(r->properties[i].value);
		free(r->properties[i].label);
	}
	free(r->properties);
	free(r->name);
	free(r->base);
	free(r->seed);
	free(r->text);
	free(r->dir);
	free(r->path);
	free(r);
}

/* ---- names ---- */

const char *ib_table_name(enum ib_table t)
{
	return t == IB_TABLE_MBR ? "mbr" : "gpt";
}

const struct ib_out_format_info ib_out_formats[IB_OUT_NFORMATS] = {
	[IB_OUT_RAW] = {"raw", "raw", "raw"},       [IB_OUT_QCOW2] = {"qcow2", "qcow2", "qcow2"},
	[IB_OUT_VMDK] = {"vmdk", "vmdk", "vmdk"},   [IB_OUT_VHDX] = {"vhdx", "vhdx", "vhdx"},
	[IB_OUT_VPC] = {"vpc", "vhd", "vpc"},       [IB_OUT_OVA] = {"ova", "ova", NULL},
	[IB_OUT_OVF] = {"ovf", "ovf", NULL},        [IB_OUT_CONTAINERDISK] = {"containerdisk", "containerdisk.tar", NULL},
};
const char *const ib_out_format_names[IB_OUT_NFORMATS] = {
	[IB_OUT_RAW] = "raw", [IB_OUT_QCOW2] = "qcow2", [IB_OUT_VMDK] = "vmdk", [IB_OUT_VHDX] = "vhdx", [IB_OUT_VPC] = "vpc",
	[IB_OUT_OVA] = "ova", [IB_OUT_OVF] = "ovf", [IB_OUT_CONTAINERDISK] = "containerdisk",
};
const int ib_out_format_values[IB_OUT_NFORMATS] = {IB_OUT_RAW, IB_OUT_QCOW2, IB_OUT_VMDK, IB_OUT_VHDX,
						   IB_OUT_VPC, IB_OUT_OVA, IB_OUT_OVF, IB_OUT_CONTAINERDISK};

static const struct ib_out_format_info *out_info(enum ib_out_format f)
{
	assert((unsigned)f < IB_OUT_NFORMATS);
	return &ib_out_formats[(unsigned)f < IB_OUT_NFORMATS ? f : IB_OUT_RAW];
}

const char *ib_out_format_name(enum ib_out_format f)
{
	return out_info(f)->name;
}

const char *ib_out_format_ext(enum ib_out_format f)
{
	return out_info(f)->ext;
}

const char *ib_out_format_qemu(enum ib_out_format f)
{
	return out_info(f)->qemu;
}
