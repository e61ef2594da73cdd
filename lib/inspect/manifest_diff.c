// SPDX-License-Identifier: GPL-2.0-or-later
/* Comparing two manifests: the layout (virtual size, table, partitions), each
 * filesystem, and the files, matched by partition number and path. The
 * container format is not compared: a qcow2 and a raw image with the same
 * guest-visible content are the same image. "ids" leaves out the values a
 * non-reproducible build draws at random (disk and partition GUIDs, the MBR
 * signature, volume serials), "times" the mtimes. The Windows an NTFS volume
 * holds is compared field by field (category "windows"). */
#include <inttypes.h>

#include "manifest.h"

static struct ib_mf_diff_item *add(struct ib_mf_diff *d, const char *category, unsigned part,
				   enum ib_mf_change change, const char *fields)
{
	struct ib_mf_diff_item it = {
		.category = category,
		.partition = part,
		.change = change,
		.fields = ib_xstrdup(fields),
	};
	IB_VEC_PUSH(d->items, it);
	return &d->items.v[d->items.n - 1];
}

/* A changed field with both values as text; NULL values compare equal. */
static void field_str(struct ib_mf_diff *d, const char *category, unsigned part, const char *field,
		      const char *a, const char *b)
{
	if ((!a && !b) || (a && b && !strcmp(a, b)))
		return;
	struct ib_mf_diff_item *it = add(d, category, part, IB_MF_CHANGED, field);
	it->a = a ? ib_xstrdup(a) : NULL;
	it->b = b ? ib_xstrdup(b) : NULL;
}

static void field_uint(struct ib_mf_diff *d, const char *category, unsigned part, const char *field, uint64_t a,
		       uint64_t b)
{
	if (a == b)
		return;
	struct ib_mf_diff_item *it = add(d, category, part, IB_MF_CHANGED, field);
	it->a = ib_xasprintf("%" PRIu64, a);
	it->b = ib_xasprintf("%" PRIu64, b);
}

static void field_guid(struct ib_mf_diff *d, const char *category, unsigned part, const char *field,
		       const struct ib_guid *a, const struct ib_guid *b)
{
	char x[40], y[40];
	if (!ib_guid_equal(a, b))
		field_str(d, category, part, field, ib_guid_format(a, x), ib_guid_format(b, y));
}

static char *part_summary(const struct ib_manifest *m, const struct ib_mf_part *p)
{
	char t[40];
	const char *type = ib_mf_part_type(m, p, t);
	return ib_xasprintf("%s, LBA %" PRIu64 "-%" PRIu64 ", %" PRIu64 " bytes%s%s", type ? type : "-",
			    p->start_lba, p->end_lba, p->size, p->has_fs ? ", " : "", p->has_fs ? p->fs.type : "");
}

static void diff_fs(struct ib_mf_diff *d, const struct ib_mf_part *pa, const struct ib_mf_part *pb)
{
	unsigned n = pa->number;
	if (!pa->has_fs || !pb->has_fs) {
		if (pa->has_fs || pb->has_fs) {
			struct ib_mf_diff_item *it = add(d, "fs", n, pa->has_fs ? IB_MF_REMOVED : IB_MF_ADDED, "type");
			it->a = pa->has_fs ? ib_xstrdup(pa->fs.type) : NULL;
			it->b = pb->has_fs ? ib_xstrdup(pb->fs.type) : NULL;
		}
		return;
	}
	const struct ib_mf_fs *a = &pa->fs, *b = &pb->fs;
	field_str(d, "fs", n, "type", a->type, b->type);
	field_str(d, "fs", n, "label", a->label, b->label);
	if (!(d->ignore & IB_MF_IGNORE_IDS))
		field_str(d, "fs", n, "serial", a->serial, b->serial);
	field_uint(d, "fs", n, "sector_size", a->sector_size, b->sector_size);
	field_uint(d, "fs", n, "cluster_size", a->cluster_size, b->cluster_size);
	field_uint(d, "fs", n, "hidden_sectors", a->hidden_sectors, b->hidden_sectors);
	field_uint(d, "fs", n, "heads", a->heads, b->heads);
	field_uint(d, "fs", n, "sectors_per_track", a->sectors_per_track, b->sectors_per_track);
}

static char *windows_summary(const struct ib_mf_windows *w)
{
	if (w->error)
		return ib_xasprintf("at %s (detection failed: %s)", w->root ? w->root : "(unknown)", w->error);
	return ib_xasprintf("%s %u.%u build %u %s at %s", w->product_name ? w->product_name : "Windows", w->major,
			    w->minor, w->build, w->arch ? w->arch : "-", w->root ? w->root : "-");
}

/* The Windows each side holds: added, removed, or field by field. */
static void diff_windows(struct ib_mf_diff *d, const struct ib_mf_part *pa, const struct ib_mf_part *pb)
{
	unsigned n = pa->number;
	const struct ib_mf_windows *a = pa->windows, *b = pb->windows;
	if (!a || !b) {
		if (a || b) {
			struct ib_mf_diff_item *it = add(d, "windows", n, a ? IB_MF_REMOVED : IB_MF_ADDED, "");
			it->a = a ? windows_summary(a) : NULL;
			it->b = b ? windows_summary(b) : NULL;
		}
		return;
	}
	/* Unknown (0) version and build are absent, as in the JSON. */
	char xv[24], yv[24], xb[16], yb[16];
	snprintf(xv, sizeof xv, "%u.%u", a->major, a->minor);
	snprintf(yv, sizeof yv, "%u.%u", b->major, b->minor);
	snprintf(xb, sizeof xb, "%u", a->build);
	snprintf(yb, sizeof yb, "%u", b->build);
	field_str(d, "windows", n, "root", a->root, b->root);
	field_str(d, "windows", n, "version", a->major ? xv : NULL, b->major ? yv : NULL);
	field_str(d, "windows", n, "build", a->build ? xb : NULL, b->build ? yb : NULL);
	field_str(d, "windows", n, "edition", a->edition, b->edition);
	field_str(d, "windows", n, "installation_type", a->installation_type, b->installation_type);
	field_str(d, "windows", n, "product_name", a->product_name, b->product_name);
	field_str(d, "windows", n, "arch", a->arch, b->arch);
	field_str(d, "windows", n, "control_set", a->control_set, b->control_set);
	field_str(d, "windows", n, "virtio_os", a->virtio_os, b->virtio_os);
	field_str(d, "windows", n, "virtio_arch", a->virtio_arch, b->virtio_arch);
	field_str(d, "windows", n, "error", a->error, b->error);
}

static void diff_file(struct ib_mf_diff *d, unsigned n, const struct ib_mf_file *a, const struct ib_mf_file *b)
{
	struct ib_buf fields = {0};
	if (a->dir != b->dir)
		ib_buf_puts(&fields, ",type");
	if (a->size != b->size)
		ib_buf_puts(&fields, ",size");
	if (a->has_sha256 != b->has_sha256 || (a->has_sha256 && memcmp(a->sha256, b->sha256, 32)))
		ib_buf_puts(&fields, ",sha256");
	if (!(d->ignore & IB_MF_IGNORE_TIMES) && (a->mtime.sec != b->mtime.sec || a->mtime.nsec != b->mtime.nsec))
		ib_buf_puts(&fields, ",mtime");
	if (fields.len) {
		struct ib_mf_diff_item *it = add(d, "file", n, IB_MF_CHANGED, fields.s + 1);
		it->path = a->path;
		it->fa = a;
		it->fb = b;
	}
	ib_buf_free(&fields);
}

static void diff_files(struct ib_mf_diff *d, const struct ib_mf_part *pa, const struct ib_mf_part *pb)
{
	size_t i = 0, k = 0;
	while (i < pa->files.n || k < pb->files.n) {
		const struct ib_mf_file *a = i < pa->files.n ? &pa->files.v[i] : NULL;
		const struct ib_mf_file *b = k < pb->files.n ? &pb->files.v[k] : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(a->path, b->path);
		struct ib_mf_diff_item *it;
		if (c < 0) {
			it = add(d, "file", pa->number, IB_MF_REMOVED, "");
			it->path = a->path;
			it->fa = a;
			i++;
		} else if (c > 0) {
			it = add(d, "file", pa->number, IB_MF_ADDED, "");
			it->path = b->path;
			it->fb = b;
			k++;
		} else {
			diff_file(d, pa->number, a, b);
			i++;
			k++;
		}
	}
}

static void diff_part(struct ib_mf_diff *d, const struct ib_manifest *ma, const struct ib_mf_part *a,
		      const struct ib_manifest *mb, const struct ib_mf_part *b)
{
	char x[40], y[40];
	unsigned n = a->number;
	bool ids = !(d->ignore & IB_MF_IGNORE_IDS);
	field_str(d, "partition", n, "name", a->name, b->name);
	field_str(d, "partition", n, "type", ib_mf_part_type(ma, a, x), ib_mf_part_type(mb, b, y));
	if (ma->table == IB_MF_TABLE_GPT && mb->table == IB_MF_TABLE_GPT) {
		if (ids)
			field_guid(d, "partition", n, "guid", &a->guid, &b->guid);
		if (a->attrs != b->attrs) {
			snprintf(x, sizeof x, "0x%016" PRIx64, a->attrs);
			snprintf(y, sizeof y, "0x%016" PRIx64, b->attrs);
			field_str(d, "partition", n, "attributes", x, y);
		}
	}
	if (ma->table == IB_MF_TABLE_MBR && mb->table == IB_MF_TABLE_MBR)
		field_str(d, "partition", n, "bootable", a->bootable ? "true" : "false", b->bootable ? "true" : "false");
	field_uint(d, "partition", n, "start_lba", a->start_lba, b->start_lba);
	field_uint(d, "partition", n, "end_lba", a->end_lba, b->end_lba);
	field_uint(d, "partition", n, "size", a->size, b->size);
	diff_fs(d, a, b);
	diff_windows(d, a, b);
	diff_files(d, a, b);
}

void ib_manifest_diff(const struct ib_manifest *a, const struct ib_manifest *b, unsigned ignore,
		      struct ib_mf_diff *d)
{
	char x[40], y[40];
	memset(d, 0, sizeof(*d));
	d->ignore = ignore;
	bool ids = !(ignore & IB_MF_IGNORE_IDS);
	field_uint(d, "image", 0, "virtual_size", a->virtual_size, b->virtual_size);
	field_str(d, "table", 0, "type", ib_mf_table_name(a->table), ib_mf_table_name(b->table));
	field_uint(d, "table", 0, "sector_size", a->sector_size, b->sector_size);
	if (ids && a->table == IB_MF_TABLE_GPT && b->table == IB_MF_TABLE_GPT)
		field_guid(d, "table", 0, "disk_guid", &a->disk_guid, &b->disk_guid);
	if (ids && a->table == IB_MF_TABLE_MBR && b->table == IB_MF_TABLE_MBR && a->mbr_signature != b->mbr_signature) {
		snprintf(x, sizeof x, "0x%08" PRIx32, a->mbr_signature);
		snprintf(y, sizeof y, "0x%08" PRIx32, b->mbr_signature);
		field_str(d, "table", 0, "signature", x, y);
	}

	/* Partitions are in number order on both sides. */
	size_t i = 0, k = 0;
	while (i < a->parts.n || k < b->parts.n) {
		const struct ib_mf_part *pa = i < a->parts.n ? &a->parts.v[i] : NULL;
		const struct ib_mf_part *pb = k < b->parts.n ? &b->parts.v[k] : NULL;
		if (pa && (!pb || pa->number < pb->number)) {
			struct ib_mf_diff_item *it = add(d, "partition", pa->number, IB_MF_REMOVED, "");
			it->a = part_summary(a, pa);
			i++;
		} else if (pb && (!pa || pb->number < pa->number)) {
			struct ib_mf_diff_item *it = add(d, "partition", pb->number, IB_MF_ADDED, "");
			it->b = part_summary(b, pb);
			k++;
		} else {
			diff_part(d, a, pa, b, pb);
			i++;
			k++;
		}
	}
}

int ib_mf_ignore_parse(const char *s, unsigned *out, const char **bad, size_t *badlen)
{
	*out = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n == 3 && !strncmp(s, "ids", 3)) {
			*out |= IB_MF_IGNORE_IDS;
		} else if (n == 5 && !strncmp(s, "times", 5)) {
			*out |= IB_MF_IGNORE_TIMES;
		} else if (n) {
			*bad = s;
			*badlen = n;
			return -1;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static const char *change_name(enum ib_mf_change c)
{
	return c == IB_MF_ADDED ? "added" : c == IB_MF_REMOVED ? "removed" : "changed";
}

static void kv_file(struct ib_json *j, const char *key, const struct ib_mf_file *f)
{
	ib_json_key(j, key);
	if (f)
		ib_mf_file_json(f, j);
	else
		ib_json_null(j);
}

void ib_mf_diff_json(const struct ib_mf_diff *d, const struct ib_manifest *a, const struct ib_manifest *b,
		     struct ib_json *j)
{
	ib_json_begin_object(j);
	ib_json_kv_str(j, "a", a->path);
	ib_json_kv_str(j, "b", b->path);
	ib_json_key(j, "ignore");
	ib_json_begin_array(j);
	if (d->ignore & IB_MF_IGNORE_IDS)
		ib_json_string(j, "ids");
	if (d->ignore & IB_MF_IGNORE_TIMES)
		ib_json_string(j, "times");
	ib_json_end_array(j);
	ib_json_kv_bool(j, "same", d->items.n == 0);
	ib_json_key(j, "differences");
	ib_json_begin_array(j);
	for (size_t i = 0; i < d->items.n; i++) {
		const struct ib_mf_diff_item *it = &d->items.v[i];
		ib_json_begin_object(j);
		ib_json_kv_str(j, "category", it->category);
		ib_json_key(j, "partition");
		if (it->partition)
			ib_json_uint(j, it->partition);
		else
			ib_json_null(j);
		ib_json_kv_str(j, "change", change_name(it->change));
		ib_json_kv_str(j, "path", it->path);
		ib_json_key(j, "fields");
		ib_json_begin_array(j);
		for (const char *s = it->fields; *s;) {
			size_t n = strcspn(s, ",");
			char *f = ib_xstrndup(s, n);
			ib_json_string(j, f);
			free(f);
			s += n + (s[n] == ',');
		}
		ib_json_end_array(j);
		if (!strcmp(it->category, "file")) {
			kv_file(j, "a", it->fa);
			kv_file(j, "b", it->fb);
		} else {
			ib_json_kv_str(j, "a", it->a);
			ib_json_kv_str(j, "b", it->b);
		}
		ib_json_end_object(j);
	}
	ib_json_end_array(j);
	ib_json_end_object(j);
}

static void print_file_side(FILE *f, const char *side, const struct ib_mf_file *e)
{
	char t[48], h[65];
	if (e->dir)
		fprintf(f, "      %s dir, mtime %s\n", side, ib_mf_time_format(&e->mtime, t));
	else
		fprintf(f, "      %s %" PRIu64 " bytes, sha256 %s, mtime %s\n", side, e->size,
			e->has_sha256 ? ib_mf_sha256_hex(e->sha256, h) : "-", ib_mf_time_format(&e->mtime, t));
}

void ib_mf_diff_print(const struct ib_mf_diff *d, FILE *f)
{
	for (size_t i = 0; i < d->items.n; i++) {
		const struct ib_mf_diff_item *it = &d->items.v[i];
		char where[32] = "";
		if (it->partition)
			snprintf(where, sizeof where, "partition %u: ", it->partition);
		if (!strcmp(it->category, "file")) {
			char mark = it->change == IB_MF_ADDED ? '+' : it->change == IB_MF_REMOVED ? '-' : '~';
			fprintf(f, "%c %s%s", mark, where, it->path);
			if (it->change == IB_MF_CHANGED)
				fprintf(f, " (%s)", it->fields);
			fputc('\n', f);
			if (it->fa)
				print_file_side(f, "a:", it->fa);
			if (it->fb)
				print_file_side(f, "b:", it->fb);
		} else if (it->change == IB_MF_CHANGED) {
			fprintf(f, "~ %s%s %s: %s -> %s\n", where, it->category, it->fields, it->a ? it->a : "(none)",
				it->b ? it->b : "(none)");
		} else {
			fprintf(f, "%c %s%s %s\n", it->change == IB_MF_ADDED ? '+' : '-', where, it->category,
				it->change == IB_MF_ADDED ? it->b : it->a);
		}
	}
}

void ib_mf_diff_free(struct ib_mf_diff *d)
{
	for (size_t i = 0; i < d->items.n; i++) {
		free(d->items.v[i].fields);
		free(d->items.v[i].a);
		free(d->items.v[i].b);
	}
	free(d->items.v);
	memset(d, 0, sizeof(*d));
}
