// SPDX-License-Identifier: GPL-2.0-or-later
/* The schema of recipe version 1 as tables, one per kind of mapping, and the
 * one walk that applies them. A row says: the key, the node type it takes,
 * the parser, where the value goes (offsetof), whether it is required, its
 * default (text, parsed like a written value) and where its location goes.
 * Unknown and duplicate keys, wrong node types, missing keys and bad values
 * are reported at their node and the walk carries on. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <strings.h>

#include "recipe_int.h"
#include "core/size.h"
#include "windows/regtype.h"

_Static_assert(sizeof(enum ib_table) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum ib_fs_type) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum ib_out_format) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum ib_fb_mech) == sizeof(int), "enums are stored as int");

enum rkind { RK_SCALAR = RN_SCALAR, RK_SEQ = RN_SEQ, RK_MAP = RN_MAP, RK_ANY };

struct rfield;
/* key is NULL when a default is parsed. Returns 0, or -1 after reporting. */
typedef int (*rparse_fn)(struct rctx *c, const struct rnode *key, const struct rnode *val, void *base,
			 const struct rfield *f);

struct rfield {
	const char *key;
	enum rkind kind;
	rparse_fn parse;
	size_t off;      /* destination, relative to the mapping's struct */
	const void *arg; /* parser argument: a nested table, enum names, a message */
	bool required;
	const char *def;   /* default when absent, or NULL */
	ptrdiff_t loc_off; /* struct ib_loc for the value's location, or -1 */
};

struct rtable {
	const char *what; /* "a partition", for messages */
	const struct rfield *fields;
	size_t n;
	ptrdiff_t loc_off; /* struct ib_loc for the mapping's own location, or -1 */
};

/* A sequence of mappings into a calloc'd array plus a count. */
struct rseq {
	const struct rtable *item;
	size_t elem_size;
	size_t count_off; /* size_t count, relative to the same struct as the array */
	size_t min;
};

struct renum {
	const char *what; /* "partition table" */
	const char *const *names;
	const int *values;
	size_t n;
};

#define MAX_FIELDS 16

static void *at_off(void *base, size_t off)
{
	return (char *)base + off;
}

static void walk(struct rctx *c, const struct rtable *t, const struct rnode *map, void *base);

/* ---- scalar helpers ---- */

static bool is_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int need_string(struct rctx *c, const struct rnode *key, const struct rnode *v)
{
	const char *k = key ? key->value : "value";
	if (rnode_is_null(v)) {
		rctx_error(c, v, NULL, "'%s' needs a value, found null", k);
		return -1;
	}
	if (!*v->value) {
		rctx_error(c, v, NULL, "'%s' must not be empty", k);
		return -1;
	}
	return 0;
}

/* ---- parsers ---- */

static int p_str(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		 const struct rfield *f)
{
	if (need_string(c, key, v) < 0)
		return -1;
	char **dst = at_off(base, f->off);
	free(*dst);
	*dst = ib_xstrdup(v->value);
	return 0;
}

static int p_version(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	(void)key;
	if (!strcmp(v->value, "1")) {
		*(int *)at_off(base, f->off) = 1;
		return 0;
	}
	if (is_digits(v->value))
		rctx_error(c, v, "this imgbuild reads `imgbuild: 1`",
			   "unsupported recipe format version %s", v->value);
	else
		rctx_error(c, v, "write `imgbuild: 1`", "'imgbuild' is the recipe format version, 1; found '%s'",
			   v->value);
	return -1;
}

/* The name becomes output file names: keep it a plain base name. */
static int p_name(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	if (need_string(c, key, v) < 0)
		return -1;
	const char *s = v->value;
	const char *hint = "use letters, digits, '.', '_' and '-', not starting with '.'";
	if (s[0] == '.') {
		rctx_error(c, v, hint, "name '%s' starts with '.'", s);
		return -1;
	}
	if (strlen(s) > 200) {
		rctx_error(c, v, NULL, "name is longer than 200 characters");
		return -1;
	}
	for (const char *p = s; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			  *p == '.' || *p == '_' || *p == '-';
		if (!ok) {
			rctx_error(c, v, hint, "name '%s' is not a safe file name: it holds '%c'", s, *p);
			return -1;
		}
	}
	return p_str(c, key, v, base, f);
}

/* base: a path (null: none). The planner opens it. */
static int p_base(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	if (rnode_is_null(v))
		return 0;
	if (v->kind != RN_SCALAR) {
		rctx_error(c, v, "e.g. base: images/win10.qcow2", "expected a path for 'base', found %s",
			   rnode_kind_name(v));
		return -1;
	}
	return p_str(c, key, v, base, f);
}

/* use: a partition number of the base's table, or auto. */
static int p_use(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		 const struct rfield *f)
{
	(void)key;
	struct ib_partition_spec *p = base;
	p->has_use = true;
	unsigned *dst = at_off(base, f->off);
	const char *s = v->value;
	const char *hint = "write the partition's number in the base's table (1, 2, ...) or auto";
	if (!strcmp(s, "auto")) {
		*dst = 0;
		return 0;
	}
	if (!is_digits(s) || strlen(s) > 3 || atoi(s) < 1 || atoi(s) > 128) {
		rctx_error(c, v, hint, "use: takes a partition number (1 to 128) or auto, found '%s'", s);
		return -1;
	}
	*dst = (unsigned)atoi(s);
	return 0;
}

static int p_map(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		 const struct rfield *f)
{
	(void)key;
	walk(c, f->arg, v, at_off(base, f->off));
	return 0;
}

static int p_windows(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	((struct ib_partition_spec *)base)->has_windows = true;
	return p_map(c, key, v, base, f);
}

/* A sequence of non-empty strings into a calloc'd char ** plus a count. */
struct rstrlist {
	size_t count_off;
	const char *hint;
};

static int p_strlist(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	const struct rstrlist *sl = f->arg;
	char **arr = ib_xcalloc(v->n + 1, sizeof(char *));
	memcpy(at_off(base, f->off), &arr, sizeof(arr));
	*(size_t *)at_off(base, sl->count_off) = v->n;
	int r = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct rnode *item = v->items[i];
		if (item->kind != RN_SCALAR || rnode_is_null(item) || !*item->value) {
			rctx_error(c, item, sl->hint, "expected a non-empty string for an item of '%s', found %s",
				   key ? key->value : "sequence",
				   item->kind == RN_SCALAR && !rnode_is_null(item) ? "an empty string"
										   : rnode_kind_name(item));
			r = -1;
			continue;
		}
		arr[i] = ib_xstrdup(item->value);
	}
	return r;
}

static int p_reproducible(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
			  const struct rfield *f)
{
	(void)key;
	*(bool *)at_off(base, f->off) = true;
	walk(c, f->arg, v, base); /* epoch and seed live in struct ib_recipe itself */
	return 0;
}

static int p_seq(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		 const struct rfield *f)
{
	const struct rseq *s = f->arg;
	if (v->n < s->min) {
		rctx_error(c, v, NULL, "'%s' needs at least %zu item%s", key ? key->value : "sequence", s->min,
			   s->min == 1 ? "" : "s");
		return -1;
	}
	char *arr = ib_xcalloc(v->n, s->elem_size);
	memcpy(at_off(base, f->off), &arr, sizeof(arr));
	*(size_t *)at_off(base, s->count_off) = v->n;
	for (size_t i = 0; i < v->n; i++) {
		const struct rnode *item = v->items[i];
		if (item->kind != RN_MAP) {
			rctx_error(c, item, NULL, "expected a mapping for an item of '%s', found %s",
				   key ? key->value : "sequence", rnode_kind_name(item));
			continue;
		}
		walk(c, s->item, item, arr + i * s->elem_size);
	}
	return 0;
}

static int size_value(struct rctx *c, const struct rnode *key, const struct rnode *v, uint64_t *out)
{
	const char *why = NULL;
	const char *k = key ? key->value : "size";
	if (rnode_is_null(v)) {
		rctx_error(c, v, "e.g. 260MiB or 8GiB", "'%s' needs a size, found null", k);
		return -1;
	}
	if (ib_size_parse(v->value, out, &why) < 0) {
		rctx_error(c, v, "sizes are whole numbers with B, KiB, MiB, GiB, TiB or KB, MB, GB, TB",
			   "bad size '%s' for '%s': %s", v->value, k, why);
		return -1;
	}
	if (*out == 0) {
		rctx_error(c, v, NULL, "'%s' is zero", k);
		return -1;
	}
	return 0;
}

static int p_size(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	uint64_t n;
	if (size_value(c, key, v, &n) < 0)
		return -1;
	memcpy(at_off(base, f->off), &n, sizeof(n));
	return 0;
}

static int p_part_size(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		       const struct rfield *f)
{
	struct ib_partition_spec *p = base;
	if (!strcmp(v->value, "rest")) {
		p->size_rest = true;
		return 0;
	}
	return p_size(c, key, v, base, f);
}

static int p_sector_size(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
			 const struct rfield *f)
{
	(void)key;
	uint32_t n = !strcmp(v->value, "512") ? 512 : !strcmp(v->value, "4096") ? 4096 : 0;
	if (!n) {
		rctx_error(c, v, "disks have 512-byte or 4096-byte sectors",
			   "sector_size must be 512 or 4096, found '%s'", v->value);
		return -1;
	}
	memcpy(at_off(base, f->off), &n, sizeof(n));
	return 0;
}

static int p_bool(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	const char *s = v->value;
	bool b;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		b = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		b = false;
	else {
		rctx_error(c, v, NULL, "'%s' takes true or false, found '%s'", key ? key->value : "value", s);
		return -1;
	}
	*(bool *)at_off(base, f->off) = b;
	return 0;
}

static int p_uint(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	const char *s = v->value;
	uint64_t n = 0;
	bool ok = is_digits(s);
	for (const char *p = s; ok && *p; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX / 2 - d) / 10) /* keep it in int64_t range: it becomes a time_t */
			ok = false;
		n = n * 10 + d;
	}
	if (!ok) {
		rctx_error(c, v, NULL, "'%s' takes a non-negative whole number, found '%s'",
			   key ? key->value : "value", s);
		return -1;
	}
	memcpy(at_off(base, f->off), &n, sizeof(n));
	return 0;
}

static void add_valid_list(struct ib_buf *b, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n && names[i]; i++)
		ib_buf_printf(b, "%s%s", i ? ", " : "", names[i]);
}

/* "unknown WHAT 'x'", with the nearest name and the list. -1. */
static int unknown_name(struct rctx *c, const struct rnode *v, const char *what, const char *const *names,
			size_t n)
{
	_cleanup_buf_ struct ib_buf hint = { 0 };
	const char *near = ib_did_you_mean(v->value, names, n);
	if (near)
		ib_buf_printf(&hint, "did you mean '%s'? ", near);
	ib_buf_puts(&hint, "valid: ");
	add_valid_list(&hint, names, n);
	rctx_error(c, v, hint.s, "unknown %s '%s'", what, v->value);
	return -1;
}

static int p_enum(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		  const struct rfield *f)
{
	(void)key;
	const struct renum *e = f->arg;
	for (size_t i = 0; i < e->n; i++) {
		if (!strcmp(v->value, e->names[i])) {
			memcpy(at_off(base, f->off), &e->values[i], sizeof(int));
			return 0;
		}
	}
	return unknown_name(c, v, e->what, e->names, e->n);
}

/* A filesystem type: the name of one of the handlers (lib/fstype). */
static int p_fs_type(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	(void)key;
	const struct ib_fs_ops *o = ib_fs_ops_by_name(v->value);
	if (o) {
		enum ib_fs_type t = o->type;
		memcpy(at_off(base, f->off), &t, sizeof t);
		return 0;
	}
	const char *const *names = ib_fs_type_names();
	size_t n = 0;
	while (names[n])
		n++;
	return unknown_name(c, v, "filesystem type", names, n);
}

/* Paths inside a volume: absolute, '/'-separated, nothing that could climb
 * out or that two filesystems would read differently. */
static int p_dst(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		 const struct rfield *f)
{
	if (need_string(c, key, v) < 0)
		return -1;
	const char *s = v->value;
	const char *hint = "write an absolute path inside the volume, e.g. /EFI/BOOT or /Setup/";
	if (s[0] != '/') {
		rctx_error(c, v, hint, "dst '%s' is not absolute (it must start with '/')", s);
		return -1;
	}
	if (strchr(s, '\\')) {
		rctx_error(c, v, hint, "dst '%s' holds a backslash: separate folders with '/'", s);
		return -1;
	}
	for (const char *p = s + 1; *p;) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == 0) {
			rctx_error(c, v, hint, "dst '%s' has an empty path component ('//')", s);
			return -1;
		}
		if ((len == 2 && !strncmp(p, "..", 2)) || (len == 1 && p[0] == '.')) {
			rctx_error(c, v, hint, "dst '%s' has a '%.*s' component", s, (int)len, p);
			return -1;
		}
		if (!end)
			break;
		p = end + 1;
	}
	return p_str(c, key, v, base, f);
}

/* ---- windows: parsers ---- */

static int p_reg_hive(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		      const struct rfield *f)
{
	if (need_string(c, key, v) < 0)
		return -1;
	const char *h = v->value;
	if (!strncasecmp(h, "HKEY_LOCAL_MACHINE\\", 19))
		h += 19;
	else if (!strncasecmp(h, "HKLM\\", 5))
		h += 5;
	if (strcasecmp(h, "SYSTEM") && strcasecmp(h, "SOFTWARE") && strcasecmp(h, "DRIVERS")) {
		rctx_error(c, v, "valid: SYSTEM, SOFTWARE, DRIVERS (an HKLM\\ prefix is accepted)",
			   "unknown hive '%s'", v->value);
		return -1;
	}
	return p_str(c, key, v, base, f);
}

/* The value's name: "" is the default value. `name` and `value` are the
 * same key (docs/recipe.md); only one may be given. */
static int p_reg_name(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		      const struct rfield *f)
{
	char **dst = at_off(base, f->off);
	if (*dst) {
		rctx_error(c, key ? key : v, "write the value's name once, as name: or value:",
			   "'name' and 'value' are the same key (the value's name); both are given");
		return -1;
	}
	if (rnode_is_null(v)) {
		rctx_error(c, v, "write '' for the key's default value", "'%s' needs a value name, found null",
			   key ? key->value : "name");
		return -1;
	}
	*dst = ib_xstrdup(v->value);
	return 0;
}

static int p_reg_type(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		      const struct rfield *f)
{
	(void)key;
	enum ib_reg_type t;
	if (ib_win_reg_type_parse(v->value, &t) < 0 || t == IB_REG_NONE) {
		static const char *const names[] = { "sz", "expand_sz", "multi_sz", "dword", "qword", "binary" };
		struct ib_buf hint = { 0 };
		const char *near = ib_did_you_mean(v->value, names, IB_ARRAY_SIZE(names));
		if (near)
			ib_buf_printf(&hint, "did you mean '%s'? ", near);
		ib_buf_puts(&hint, "valid: ");
		add_valid_list(&hint, names, IB_ARRAY_SIZE(names));
		rctx_error(c, v, hint.s, "unknown registry type '%s'", v->value);
		ib_buf_free(&hint);
		return -1;
	}
	struct ib_win_reg_entry *e = base;
	e->has_type = true;
	*(int *)at_off(base, f->off) = (int)t;
	return 0;
}

/* data: a scalar, or a sequence of strings (multi_sz). */
static int p_reg_data(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		      const struct rfield *f)
{
	struct ib_win_reg_entry *e = base;
	(void)f;
	if (v->kind == RN_SEQ) {
		static const struct rstrlist sl = { offsetof(struct ib_win_reg_entry, nmulti),
						    "multi_sz data is a list of strings" };
		const struct rfield lf = { "data", RK_SEQ, p_strlist, offsetof(struct ib_win_reg_entry, multi), &sl,
					   false, NULL, -1 };
		return p_strlist(c, key, v, base, &lf);
	}
	if (v->kind != RN_SCALAR || rnode_is_null(v)) {
		rctx_error(c, v, "a string, a number, hex bytes \"01 ff\", or a list for multi_sz",
			   "expected a scalar or a sequence for 'data', found %s", rnode_kind_name(v));
		return -1;
	}
	e->data = ib_xstrdup(v->value);
	return 0;
}

/* drivers: each entry a path, or { path, select, boot_critical }. */
static const struct rtable driver_table;

static int p_drivers(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	(void)key;
	struct ib_windows_spec *w = base;
	struct ib_win_driver_entry *arr = ib_xcalloc(v->n ? v->n : 1, sizeof(*arr));
	memcpy(at_off(base, f->off), &arr, sizeof(arr));
	w->ndrivers = v->n;
	int r = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct rnode *item = v->items[i];
		struct ib_win_driver_entry *d = &arr[i];
		if (item->kind == RN_MAP) {
			walk(c, &driver_table, item, d);
			continue;
		}
		if (item->kind != RN_SCALAR || rnode_is_null(item) || !*item->value) {
			rctx_error(c, item, "e.g. drivers/viostor, or { path: virtio-win.iso, select: [viostor] }",
				   "expected a path or a mapping for an item of 'drivers', found %s",
				   item->kind == RN_SCALAR && !rnode_is_null(item) ? "an empty string"
										   : rnode_kind_name(item));
			r = -1;
			continue;
		}
		d->path = ib_xstrdup(item->value);
		d->loc = d->path_loc = rctx_loc(c, item);
	}
	return r;
}

/* guest_tools: each item a tool's name (qemu-ga) or a mapping { src, args }
 * / { name, src, args }. */
static const struct rtable tool_table;
static int p_tools(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		   const struct rfield *f)
{
	(void)key;
	struct ib_windows_spec *w = base;
	struct ib_win_tool_entry *arr = ib_xcalloc(v->n ? v->n : 1, sizeof(*arr));
	memcpy(at_off(base, f->off), &arr, sizeof(arr));
	w->nguest_tools = v->n;
	int r = 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct rnode *item = v->items[i];
		struct ib_win_tool_entry *t = &arr[i];
		if (item->kind == RN_MAP) {
			walk(c, &tool_table, item, t);
			if (!t->name && !t->src) {
				rctx_error(c, item, "e.g. { src: tools/qemu-ga-x86_64.msi, args: /qn } or qemu-ga",
					   "a guest_tools entry needs src: (an installer) or name: (a named tool)");
				r = -1;
			}
			continue;
		}
		if (item->kind != RN_SCALAR || rnode_is_null(item) || !*item->value) {
			rctx_error(c, item, "e.g. qemu-ga, or { src: tools/setup.exe, args: /S }",
				   "expected a tool's name or a mapping for an item of 'guest_tools', found %s",
				   item->kind == RN_SCALAR && !rnode_is_null(item) ? "an empty string" : rnode_kind_name(item));
			r = -1;
			continue;
		}
		t->name = ib_xstrdup(item->value);
		t->loc = t->name_loc = rctx_loc(c, item);
	}
	return r;
}

/* ---- tables ---- */

#define ROW(T, k, kind, fn, member, arg, req, def, locm)                                    \
	{ k, kind, fn, offsetof(T, member), arg, req, def, (ptrdiff_t)offsetof(T, locm) }
#define ROW_NOLOC(T, k, kind, fn, member, arg, req, def) \
	{ k, kind, fn, offsetof(T, member), arg, req, def, -1 }
#define TABLE(what, rows, T, locm) { what, rows, IB_ARRAY_SIZE(rows), (ptrdiff_t)offsetof(T, locm) }

static const char *const table_names[] = { "gpt", "mbr" };
static const int table_values[] = { IB_TABLE_GPT, IB_TABLE_MBR };
static const struct renum table_enum = { "partition table", table_names, table_values, 2 };


static const struct renum out_enum = { "output format", ib_out_format_names, ib_out_format_values, IB_OUT_NFORMATS };

static const struct rfield fs_rows[] = {
	ROW(struct ib_fs_spec, "type", RK_SCALAR, p_fs_type, type, NULL, true, NULL, type_loc),
	ROW(struct ib_fs_spec, "label", RK_SCALAR, p_str, label, NULL, false, NULL, label_loc),
	ROW(struct ib_fs_spec, "cluster_size", RK_SCALAR, p_size, cluster_size, NULL, false, NULL, cluster_loc),
};
static const struct rtable fs_table = TABLE("fs", fs_rows, struct ib_fs_spec, loc);

static const struct rfield file_rows[] = {
	ROW(struct ib_file_spec, "src", RK_SCALAR, p_str, src, NULL, true, NULL, src_loc),
	ROW(struct ib_file_spec, "dst", RK_SCALAR, p_dst, dst, NULL, true, NULL, dst_loc),
};
static const struct rtable file_table = TABLE("a files entry", file_rows, struct ib_file_spec, loc);
static const struct rseq files_seq = {
	&file_table, sizeof(struct ib_file_spec), offsetof(struct ib_partition_spec, nfiles), 0
};

static const char *const fb_names[] = { "auto", "setupcomplete", "service", "runonce" };
static const int fb_values[] = { IB_FB_AUTO, IB_FB_SETUPCOMPLETE, IB_FB_SERVICE, IB_FB_RUNONCE };
static const struct renum fb_enum = { "first_boot_mechanism", fb_names, fb_values, 4 };

static const struct rstrlist select_list = { offsetof(struct ib_win_driver_entry, nselect),
					     "driver names, e.g. [viostor, NetKVM]" };
static const struct rfield driver_rows[] = {
	ROW(struct ib_win_driver_entry, "path", RK_SCALAR, p_str, path, NULL, true, NULL, path_loc),
	ROW(struct ib_win_driver_entry, "select", RK_SEQ, p_strlist, select, &select_list, false, NULL, select_loc),
	ROW(struct ib_win_driver_entry, "boot_critical", RK_SCALAR, p_bool, boot_critical, NULL, false, NULL,
	    boot_critical_loc),
};
static const struct rtable driver_table = TABLE("a drivers entry", driver_rows, struct ib_win_driver_entry, loc);

static const struct rfield tool_rows[] = {
	ROW(struct ib_win_tool_entry, "name", RK_SCALAR, p_str, name, NULL, false, NULL, name_loc),
	ROW(struct ib_win_tool_entry, "src", RK_SCALAR, p_str, src, NULL, false, NULL, src_loc),
	ROW(struct ib_win_tool_entry, "args", RK_SCALAR, p_str, args, NULL, false, NULL, args_loc),
};
static const struct rtable tool_table = TABLE("a guest_tools entry", tool_rows, struct ib_win_tool_entry, loc);

static const struct rfield reg_rows[] = {
	ROW(struct ib_win_reg_entry, "hive", RK_SCALAR, p_reg_hive, hive, NULL, true, NULL, hive_loc),
	ROW(struct ib_win_reg_entry, "key", RK_SCALAR, p_str, key, NULL, true, NULL, key_loc),
	ROW(struct ib_win_reg_entry, "name", RK_SCALAR, p_reg_name, name, NULL, false, NULL, name_loc),
	ROW(struct ib_win_reg_entry, "value", RK_SCALAR, p_reg_name, name, NULL, false, NULL, name_loc),
	ROW(struct ib_win_reg_entry, "type", RK_SCALAR, p_reg_type, type, NULL, false, NULL, type_loc),
	ROW(struct ib_win_reg_entry, "data", RK_ANY, p_reg_data, data, NULL, false, NULL, data_loc),
	ROW(struct ib_win_reg_entry, "delete", RK_SCALAR, p_bool, del, NULL, false, NULL, del_loc),
};
static const struct rtable reg_table = TABLE("a registry entry", reg_rows, struct ib_win_reg_entry, loc);
static const struct rseq regs_seq = {
	&reg_table, sizeof(struct ib_win_reg_entry), offsetof(struct ib_windows_spec, nregistry), 0
};

static const struct rfield install_rows[] = {
	ROW(struct ib_win_install_entry, "image", RK_SCALAR, p_str, image, NULL, true, NULL, image_loc),
	ROW(struct ib_win_install_entry, "index", RK_SCALAR, p_str, index, NULL, false, NULL, index_loc),
};
static const struct rtable install_table = TABLE("install", install_rows, struct ib_win_install_entry, loc);

static int p_install(struct rctx *c, const struct rnode *key, const struct rnode *v, void *base,
		     const struct rfield *f)
{
	((struct ib_windows_spec *)base)->has_install = true;
	return p_map(c, key, v, base, f);
}

static const struct rstrlist first_boot_list = { offsetof(struct ib_windows_spec, nfirst_boot),
						 "each item is one cmd.exe command line" };
static const struct rfield windows_rows[] = {
	ROW(struct ib_windows_spec, "install", RK_MAP, p_install, install, &install_table, false, NULL, install_loc),
	ROW(struct ib_windows_spec, "unattend", RK_SCALAR, p_str, unattend, NULL, false, NULL, unattend_loc),
	ROW(struct ib_windows_spec, "drivers", RK_SEQ, p_drivers, drivers, NULL, false, NULL, drivers_loc),
	ROW(struct ib_windows_spec, "guest_tools", RK_SEQ, p_tools, guest_tools, NULL, false, NULL,
	    guest_tools_loc),
	ROW(struct ib_windows_spec, "first_boot", RK_SEQ, p_strlist, first_boot, &first_boot_list, false, NULL,
	    first_boot_loc),
	ROW(struct ib_windows_spec, "registry", RK_SEQ, p_seq, registry, &regs_seq, false, NULL, registry_loc),
	ROW(struct ib_windows_spec, "first_boot_mechanism", RK_SCALAR, p_enum, first_boot_mechanism, &fb_enum, false,
	    NULL, mechanism_loc),
	ROW(struct ib_windows_spec, "service_wrapper", RK_SCALAR, p_str, service_wrapper, NULL, false, NULL,
	    wrapper_loc),
	ROW(struct ib_windows_spec, "max_attempts", RK_SCALAR, p_uint, max_attempts, NULL, false, NULL,
	    max_attempts_loc),
	ROW(struct ib_windows_spec, "diagnose", RK_SCALAR, p_bool, diagnose, NULL, false, NULL, diagnose_loc),
};
static const struct rtable windows_table = TABLE("windows", windows_rows, struct ib_windows_spec, loc);

static const struct rfield part_rows[] = {
	ROW(struct ib_partition_spec, "name", RK_SCALAR, p_str, name, NULL, false, NULL, name_loc),
	ROW(struct ib_partition_spec, "type", RK_SCALAR, p_str, type, NULL, false, NULL, type_loc),
	ROW(struct ib_partition_spec, "size", RK_SCALAR, p_part_size, size, NULL, false, NULL, size_loc),
	ROW(struct ib_partition_spec, "bootable", RK_SCALAR, p_bool, bootable, NULL, false, NULL, bootable_loc),
	ROW(struct ib_partition_spec, "fs", RK_MAP, p_map, fs, &fs_table, false, NULL, fs.loc),
	ROW(struct ib_partition_spec, "files", RK_SEQ, p_seq, files, &files_seq, false, NULL, files_loc),
	ROW(struct ib_partition_spec, "windows", RK_MAP, p_windows, windows, &windows_table, false, NULL,
	    windows_loc),
	ROW(struct ib_partition_spec, "use", RK_SCALAR, p_use, use, NULL, false, NULL, use_loc),
};
static const struct rtable part_table = TABLE("a partition", part_rows, struct ib_partition_spec, loc);
static const struct rseq parts_seq = {
	&part_table, sizeof(struct ib_partition_spec), offsetof(struct ib_disk_spec, nparts), 1
};

static const struct rfield disk_rows[] = {
	ROW(struct ib_disk_spec, "size", RK_SCALAR, p_size, size, NULL, false, NULL, size_loc),
	ROW(struct ib_disk_spec, "table", RK_SCALAR, p_enum, table, &table_enum, false, "gpt", table_loc),
	ROW(struct ib_disk_spec, "sector_size", RK_SCALAR, p_sector_size, sector_size, NULL, false, "512",
	    sector_size_loc),
	ROW(struct ib_disk_spec, "align", RK_SCALAR, p_size, align, NULL, false, "1MiB", align_loc),
	ROW(struct ib_disk_spec, "partitions", RK_SEQ, p_seq, parts, &parts_seq, true, NULL, parts_loc),
};
static const struct rtable disk_table = TABLE("disk", disk_rows, struct ib_disk_spec, loc);

static const struct rfield output_rows[] = {
	ROW(struct ib_output_spec, "format", RK_SCALAR, p_enum, format, &out_enum, true, NULL, format_loc),
	ROW(struct ib_output_spec, "subformat", RK_SCALAR, p_str, subformat, NULL, false, NULL, subformat_loc),
	ROW(struct ib_output_spec, "adapter", RK_SCALAR, p_str, adapter, NULL, false, NULL, adapter_loc),
	ROW(struct ib_output_spec, "backing", RK_SCALAR, p_str, backing, NULL, false, NULL, backing_loc),
};
static const struct rtable output_table = TABLE("an output", output_rows, struct ib_output_spec, loc);
static const struct rseq outputs_seq = {
	&output_table, sizeof(struct ib_output_spec), offsetof(struct ib_recipe, noutputs), 1
};

static const char *const target_names[] = { "generic", "esxi", "synology", "virtualbox", "kvm" };
static const int target_values[] = { IB_TARGET_GENERIC, IB_TARGET_ESXI, IB_TARGET_SYNOLOGY, IB_TARGET_VIRTUALBOX,
				     IB_TARGET_KVM };
static const struct renum target_enum = { "target", target_names, target_values, 5 };
static const char *const firmware_names[] = { "efi", "bios" };
static const int firmware_values[] = { IB_FW_EFI, IB_FW_BIOS };
static const struct renum firmware_enum = { "firmware", firmware_names, firmware_values, 2 };

static const struct rfield vm_rows[] = {
	ROW(struct ib_vm_spec, "name", RK_SCALAR, p_str, name, NULL, false, NULL, name_loc),
	ROW(struct ib_vm_spec, "cpus", RK_SCALAR, p_uint, cpus, NULL, false, NULL, cpus_loc),
	ROW(struct ib_vm_spec, "memory", RK_SCALAR, p_size, memory, NULL, false, NULL, memory_loc),
	ROW(struct ib_vm_spec, "firmware", RK_SCALAR, p_enum, firmware, &firmware_enum, false, NULL, firmware_loc),
	ROW(struct ib_vm_spec, "secure_boot", RK_SCALAR, p_bool, secure_boot, NULL, false, NULL, secure_boot_loc),
	ROW(struct ib_vm_spec, "controller", RK_SCALAR, p_str, controller, NULL, false, NULL, controller_loc),
	ROW(struct ib_vm_spec, "nic", RK_SCALAR, p_str, nic, NULL, false, NULL, nic_loc),
	ROW(struct ib_vm_spec, "guest_os", RK_SCALAR, p_str, guest_os, NULL, false, NULL, guest_os_loc),
	ROW(struct ib_vm_spec, "hardware_version", RK_SCALAR, p_uint, hardware_version, NULL, false, NULL,
	    hardware_version_loc),
};
static const struct rtable vm_table = TABLE("vm", vm_rows, struct ib_vm_spec, loc);

static const struct rfield property_rows[] = {
	ROW(struct ib_property_spec, "key", RK_SCALAR, p_str, key, NULL, true, NULL, key_loc),
	ROW(struct ib_property_spec, "type", RK_SCALAR, p_str, type, NULL, false, "string", type_loc),
	ROW(struct ib_property_spec, "default", RK_SCALAR, p_str, value, NULL, false, NULL, value_loc),
	ROW(struct ib_property_spec, "label", RK_SCALAR, p_str, label, NULL, false, NULL, label_loc),
	ROW(struct ib_property_spec, "user_configurable", RK_SCALAR, p_bool, user_configurable, NULL, false, "true",
	    user_configurable_loc),
};
static const struct rtable property_table = TABLE("a properties entry", property_rows, struct ib_property_spec, loc);
static const struct rseq properties_seq = {
	&property_table, sizeof(struct ib_property_spec), offsetof(struct ib_recipe, nproperties), 0
};

static const struct rfield repro_rows[] = {
	ROW_NOLOC(struct ib_recipe, "epoch", RK_SCALAR, p_uint, epoch, NULL, true, NULL),
	ROW_NOLOC(struct ib_recipe, "seed", RK_SCALAR, p_str, seed, NULL, true, NULL),
};
static const struct rtable repro_table = { "reproducible", repro_rows, IB_ARRAY_SIZE(repro_rows), -1 };

static const struct rfield top_rows[] = {
	ROW_NOLOC(struct ib_recipe, "imgbuild", RK_SCALAR, p_version, version, NULL, true, NULL),
	ROW(struct ib_recipe, "name", RK_SCALAR, p_name, name, NULL, true, NULL, name_loc),
	ROW(struct ib_recipe, "base", RK_ANY, p_base, base, NULL, false, NULL, base_loc),
	ROW(struct ib_recipe, "disk", RK_MAP, p_map, disk, &disk_table, true, NULL, disk.loc),
	ROW(struct ib_recipe, "outputs", RK_SEQ, p_seq, outputs, &outputs_seq, true, NULL, outputs_loc),
	ROW(struct ib_recipe, "reproducible", RK_MAP, p_reproducible, reproducible, &repro_table, false, NULL,
	    reproducible_loc),
	ROW(struct ib_recipe, "target", RK_SCALAR, p_enum, target, &target_enum, false, NULL, target_loc),
	ROW(struct ib_recipe, "vm", RK_MAP, p_map, vm, &vm_table, false, NULL, vm.loc),
	ROW(struct ib_recipe, "properties", RK_SEQ, p_seq, properties, &properties_seq, false, NULL, properties_loc),
};
static const struct rtable top_table = { "the recipe", top_rows, IB_ARRAY_SIZE(top_rows), -1 };

/* ---- the walk ---- */

static const char *kind_word(enum rkind k)
{
	return k == RK_MAP ? "a mapping" : k == RK_SEQ ? "a sequence" : "a scalar";
}

static void parse_value(struct rctx *c, const struct rfield *f, const struct rnode *key, const struct rnode *v,
			void *base)
{
	void *dst = at_off(base, f->off);
	if (f->kind != RK_ANY && (int)v->kind != (int)f->kind) {
		rctx_error(c, v, NULL, "expected %s for '%s', found %s", kind_word(f->kind), f->key,
			   rnode_kind_name(v));
		rctx_mark_bad(c, dst);
		return;
	}
	if (f->loc_off >= 0)
		*(struct ib_loc *)at_off(base, (size_t)f->loc_off) = rctx_loc(c, v);
	if (f->parse(c, key, v, base, f) < 0)
		rctx_mark_bad(c, dst);
}

/* Returns the index of the suggested key, or -1. */
static int unknown_key(struct rctx *c, const struct rtable *t, const struct rnode *k)
{
	const char *names[MAX_FIELDS];
	for (size_t i = 0; i < t->n; i++)
		names[i] = t->fields[i].key;
	struct ib_buf hint = { 0 };
	const char *near = ib_did_you_mean(k->value, names, t->n);
	if (near)
		ib_buf_printf(&hint, "did you mean '%s'? ", near);
	ib_buf_puts(&hint, "valid keys: ");
	add_valid_list(&hint, names, t->n);
	rctx_error(c, k, hint.s, "unknown key '%s' in %s", k->value, t->what);
	ib_buf_free(&hint);
	for (size_t i = 0; near && i < t->n; i++)
		if (names[i] == near)
			return (int)i;
	return -1;
}

static void duplicate_key(struct rctx *c, const struct rtable *t, const struct rnode *k,
			  const struct rnode *first, const struct rnode *const *seen)
{
	/* Perhaps a typo for a key that is not there yet. */
	const char *names[MAX_FIELDS];
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (!seen[i])
			names[n++] = t->fields[i].key;
	const char *near = ib_did_you_mean(k->value, names, n);
	_cleanup_free_ char *hint = near ? ib_xasprintf("did you mean '%s'?", near) : NULL;
	rctx_error(c, k, hint ? hint : "remove one of them", "duplicate key '%s' in %s", k->value, t->what);
	struct ib_loc loc = rctx_loc(c, first);
	rctx_note_at(c, &loc, "'%s' was first given here", first->value);
}

static void walk(struct rctx *c, const struct rtable *t, const struct rnode *map, void *base)
{
	if (t->loc_off >= 0)
		*(struct ib_loc *)at_off(base, (size_t)t->loc_off) = rctx_loc(c, map);
	const struct rnode *seen[MAX_FIELDS] = { 0 };
	bool suggested[MAX_FIELDS] = { 0 }; /* a misspelt key: do not also call it missing */
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct rnode *k = map->items[i], *v = map->items[i + 1];
		if (k->kind != RN_SCALAR) {
			rctx_error(c, k, NULL, "expected a scalar key in %s, found %s", t->what, rnode_kind_name(k));
			continue;
		}
		size_t j = 0;
		while (j < t->n && strcmp(t->fields[j].key, k->value))
			j++;
		if (j == t->n) {
			int near = unknown_key(c, t, k);
			if (near >= 0)
				suggested[near] = true;
		}
		else if (seen[j])
			duplicate_key(c, t, k, seen[j], seen);
		else {
			seen[j] = k;
			parse_value(c, &t->fields[j], k, v, base);
		}
	}
	for (size_t j = 0; j < t->n; j++) {
		const struct rfield *f = &t->fields[j];
		if (seen[j])
			continue;
		if (suggested[j]) {
			rctx_mark_bad(c, at_off(base, f->off));
		} else if (f->required) {
			rctx_error(c, map, NULL, "missing required key '%s' in %s", f->key, t->what);
			rctx_mark_bad(c, at_off(base, f->off));
		} else if (f->def) {
			struct rnode d = { .kind = RN_SCALAR, .line = map->line, .col = map->col, .set = map->set,
					   .value = (char *)f->def, .plain = true };
			parse_value(c, f, NULL, &d, base);
		}
	}
}

void recipe_walk(struct rctx *c, const struct rnode *root)
{
	if (root->kind != RN_MAP) {
		rctx_error(c, root, "a recipe starts with `imgbuild: 1`",
			   "expected a mapping at the top of the recipe, found %s", rnode_kind_name(root));
		return;
	}
	walk(c, &top_table, root, c->r);
}
