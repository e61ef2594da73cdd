// SPDX-License-Identifier: GPL-2.0-or-later
/* Manifests: freeing, sorting, and the JSON and text printers. Reading an
 * image into one is lib/inspect/, comparing two is manifest_diff.c. */
#include "manifest.h"
#include "package.h"

#include <inttypes.h>
#include <time.h>

#include "core/size.h"

void ib_mf_windows_free(struct ib_mf_windows *w)
{
	if (!w)
		return;
	free(w->root);
	free(w->edition);
	free(w->installation_type);
	free(w->product_name);
	free(w->arch);
	free(w->control_set);
	free(w->virtio_os);
	free(w->virtio_arch);
	free(w->error);
	free(w);
}

void ib_manifest_free(struct ib_manifest *m)
{
	if (!m)
		return;
	ib_mf_package_free(m->package);
	for (size_t i = 0; i < m->parts.n; i++) {
		struct ib_mf_part *p = &m->parts.v[i];
		free(p->name);
		free(p->fs.label);
		free(p->fs.serial);
		for (size_t k = 0; k < p->files.n; k++)
			free(p->files.v[k].path);
		free(p->files.v);
		ib_mf_windows_free(p->windows);
	}
	free(m->parts.v);
	free(m->path);
	free(m->format);
	free(m);
}

static int cmp_file(const void *a, const void *b)
{
	const struct ib_mf_file *x = a, *y = b;
	return strcmp(x->path, y->path); /* bytewise: strcmp compares as unsigned char */
}

void ib_manifest_sort(struct ib_manifest *m)
{
	for (size_t i = 0; i < m->parts.n; i++) {
		struct ib_mf_part *p = &m->parts.v[i];
		if (p->files.n > 1)
			qsort(p->files.v, p->files.n, sizeof(*p->files.v), cmp_file);
	}
}

char *ib_mf_time_format(const struct ib_mf_time *t, char *buf)
{
	struct tm tm;
	time_t s = (time_t)t->sec;
	if (!gmtime_r(&s, &tm)) {
		snprintf(buf, 48, "@%" PRId64, t->sec);
		return buf;
	}
	int n = snprintf(buf, 48, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (t->nsec) {
		char frac[16];
		snprintf(frac, sizeof frac, "%09" PRIu32, t->nsec);
		for (int k = 8; k > 0 && frac[k] == '0'; k--)
			frac[k] = '\0';
		n += snprintf(buf + n, (size_t)(48 - n), ".%s", frac);
	}
	snprintf(buf + n, (size_t)(48 - n), "Z");
	return buf;
}

char *ib_mf_sha256_hex(const uint8_t sha[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
	return out;
}

const char *ib_mf_table_name(enum ib_mf_table t)
{
	return t == IB_MF_TABLE_GPT ? "gpt" : t == IB_MF_TABLE_MBR ? "mbr" : "none";
}

const char *ib_mf_part_type(const struct ib_manifest *m, const struct ib_mf_part *p, char *buf)
{
	const char *alias;
	switch (m->table) {
	case IB_MF_TABLE_GPT:
		alias = ib_ptype_name_for_guid(&p->type_guid);
		return alias ? alias : ib_guid_format(&p->type_guid, buf);
	case IB_MF_TABLE_MBR:
		alias = ib_ptype_name_for_mbr(p->mbr_type);
		if (alias)
			return alias;
		snprintf(buf, 40, "0x%02x", p->mbr_type);
		return buf;
	default:
		return NULL;
	}
}

/* ---- JSON -------------------------------------------------------------- */

static void kv_guid(struct ib_json *j, const char *key, const struct ib_guid *g, bool present)
{
	char buf[40];
	ib_json_kv_str(j, key, present ? ib_guid_format(g, buf) : NULL);
}

static void kv_null(struct ib_json *j, const char *key)
{
	ib_json_key(j, key);
	ib_json_null(j);
}

void ib_mf_file_json(const struct ib_mf_file *f, struct ib_json *j)
{
	char buf[65];
	ib_json_begin_object(j);
	ib_json_kv_str(j, "path", f->path);
	ib_json_kv_str(j, "type", f->dir ? "dir" : "file");
	ib_json_kv_uint(j, "size", f->size);
	ib_json_kv_str(j, "mtime", ib_mf_time_format(&f->mtime, buf));
	ib_json_key(j, "mtime_unix");
	ib_json_int(j, f->mtime.sec);
	ib_json_kv_str(j, "sha256", f->has_sha256 ? ib_mf_sha256_hex(f->sha256, buf) : NULL);
	ib_json_end_object(j);
}

static void fs_json(const struct ib_mf_part *p, struct ib_json *j)
{
	ib_json_key(j, "fs");
	if (!p->has_fs) {
		ib_json_null(j);
		return;
	}
	const struct ib_mf_fs *fs = &p->fs;
	ib_json_begin_object(j);
	ib_json_kv_str(j, "type", fs->type);
	ib_json_kv_str(j, "label", fs->label);
	ib_json_kv_str(j, "serial", fs->serial);
	ib_json_kv_uint(j, "sector_size", fs->sector_size);
	ib_json_kv_uint(j, "cluster_size", fs->cluster_size);
	ib_json_kv_uint(j, "hidden_sectors", fs->hidden_sectors);
	ib_json_kv_uint(j, "heads", fs->heads);
	ib_json_kv_uint(j, "sectors_per_track", fs->sectors_per_track);
	ib_json_end_object(j);
}

/* "version" is "major.minor" and "build" a number, each null when unknown
 * (after a detection error). */
static void windows_json(const struct ib_mf_part *p, struct ib_json *j)
{
	ib_json_key(j, "windows");
	const struct ib_mf_windows *w = p->windows;
	if (!w) {
		ib_json_null(j);
		return;
	}
	char ver[24];
	snprintf(ver, sizeof ver, "%u.%u", w->major, w->minor);
	ib_json_begin_object(j);
	ib_json_kv_str(j, "root", w->root);
	ib_json_kv_str(j, "version", w->major ? ver : NULL);
	ib_json_key(j, "build");
	if (w->build)
		ib_json_uint(j, w->build);
	else
		ib_json_null(j);
	ib_json_kv_str(j, "edition", w->edition);
	ib_json_kv_str(j, "installation_type", w->installation_type);
	ib_json_kv_str(j, "product_name", w->product_name);
	ib_json_kv_str(j, "arch", w->arch);
	ib_json_kv_str(j, "control_set", w->control_set);
	ib_json_kv_str(j, "virtio_os", w->virtio_os);
	ib_json_kv_str(j, "virtio_arch", w->virtio_arch);
	ib_json_kv_str(j, "error", w->error);
	ib_json_end_object(j);
}

static void part_json(const struct ib_manifest *m, const struct ib_mf_part *p, struct ib_json *j)
{
	char buf[40];
	bool gpt = m->table == IB_MF_TABLE_GPT, mbr = m->table == IB_MF_TABLE_MBR;
	ib_json_begin_object(j);
	ib_json_kv_uint(j, "number", p->number);
	ib_json_kv_str(j, "name", p->name);
	ib_json_kv_str(j, "type", ib_mf_part_type(m, p, buf));
	kv_guid(j, "type_guid", &p->type_guid, gpt);
	kv_guid(j, "guid", &p->guid, gpt);
	if (gpt) {
		snprintf(buf, sizeof buf, "0x%016" PRIx64, p->attrs);
		ib_json_kv_str(j, "attributes", buf);
	} else {
		kv_null(j, "attributes");
	}
	if (mbr) {
		snprintf(buf, sizeof buf, "0x%02x", p->mbr_type);
		ib_json_kv_str(j, "mbr_type", buf);
		ib_json_kv_bool(j, "bootable", p->bootable);
	} else {
		kv_null(j, "mbr_type");
		kv_null(j, "bootable");
	}
	ib_json_kv_uint(j, "start_lba", p->start_lba);
	ib_json_kv_uint(j, "end_lba", p->end_lba);
	ib_json_kv_uint(j, "offset", p->offset);
	ib_json_kv_uint(j, "size", p->size);
	fs_json(p, j);
	windows_json(p, j);
	ib_json_key(j, "files");
	ib_json_begin_array(j);
	for (size_t k = 0; k < p->files.n; k++)
		ib_mf_file_json(&p->files.v[k], j);
	ib_json_end_array(j);
	ib_json_end_object(j);
}

void ib_manifest_json(const struct ib_manifest *m, struct ib_json *j)
{
	char buf[16];
	ib_json_begin_object(j);
	ib_json_kv_uint(j, "manifest", IB_MANIFEST_VERSION);
	ib_json_key(j, "image");
	ib_json_begin_object(j);
	ib_json_kv_str(j, "path", m->path);
	ib_json_kv_str(j, "format", m->format);
	ib_json_kv_uint(j, "virtual_size", m->virtual_size);
	ib_json_end_object(j);

	ib_json_key(j, "table");
	ib_json_begin_object(j);
	ib_json_kv_str(j, "type", ib_mf_table_name(m->table));
	kv_guid(j, "disk_guid", &m->disk_guid, m->table == IB_MF_TABLE_GPT);
	if (m->table == IB_MF_TABLE_MBR) {
		snprintf(buf, sizeof buf, "0x%08" PRIx32, m->mbr_signature);
		ib_json_kv_str(j, "signature", buf);
	} else {
		kv_null(j, "signature");
	}
	ib_json_kv_uint(j, "sector_size", m->sector_size);
	ib_json_end_object(j);

	ib_json_key(j, "partitions");
	ib_json_begin_array(j);
	for (size_t i = 0; i < m->parts.n; i++)
		part_json(m, &m->parts.v[i], j);
	ib_json_end_array(j);
	ib_json_key(j, "package");
	if (m->package)
		ib_mf_package_json(m->package, j);
	else
		ib_json_null(j);
	ib_json_end_object(j);
}

/* ---- text -------------------------------------------------------------- */

static void print_files(const struct ib_mf_part *p, FILE *f)
{
	char t[48], h[65];
	for (size_t k = 0; k < p->files.n; k++) {
		const struct ib_mf_file *e = &p->files.v[k];
		if (e->dir)
			fprintf(f, "    dir  %12s  %-30s  %-64s  %s/\n", "-", ib_mf_time_format(&e->mtime, t), "-", e->path);
		else
			fprintf(f, "    file %12" PRIu64 "  %-30s  %s  %s\n", e->size, ib_mf_time_format(&e->mtime, t),
				e->has_sha256 ? ib_mf_sha256_hex(e->sha256, h) : "-", e->path);
	}
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

static void print_windows(const struct ib_mf_windows *w, FILE *f)
{
	fprintf(f, "  Windows at %s:", w->root ? w->root : "(unknown)");
	if (w->product_name || w->major)
		fprintf(f, " %s, version %u.%u build %u", or_dash(w->product_name), w->major, w->minor, w->build);
	if (w->edition || w->installation_type)
		fprintf(f, ", edition %s, %s", or_dash(w->edition), or_dash(w->installation_type));
	if (w->arch)
		fprintf(f, ", %s", w->arch);
	fputc('\n', f);
	if (w->control_set || w->virtio_os || w->virtio_arch)
		fprintf(f, "    control set %s, virtio-win folders %s/%s\n", or_dash(w->control_set), or_dash(w->virtio_os),
			or_dash(w->virtio_arch));
	if (w->error)
		fprintf(f, "    detection failed: %s\n", w->error);
}

void ib_manifest_print(const struct ib_manifest *m, FILE *f)
{
	char a[32], b[40];
	fprintf(f, "image:  %s\n", m->path);
	if (m->package)
		ib_mf_package_print(m->package, f);
	fprintf(f, "format: %s, virtual size %s (%" PRIu64 " bytes)\n", m->format,
		ib_size_format(m->virtual_size, a, sizeof a), m->virtual_size);
	switch (m->table) {
	case IB_MF_TABLE_GPT:
		fprintf(f, "table:  GPT, %" PRIu32 "-byte sectors, disk GUID %s\n", m->sector_size,
			ib_guid_format(&m->disk_guid, b));
		break;
	case IB_MF_TABLE_MBR:
		fprintf(f, "table:  MBR, %" PRIu32 "-byte sectors, disk signature 0x%08" PRIx32 "\n", m->sector_size,
			m->mbr_signature);
		break;
	default:
		fprintf(f, "table:  none (a bare filesystem)\n");
	}
	for (size_t i = 0; i < m->parts.n; i++) {
		const struct ib_mf_part *p = &m->parts.v[i];
		const char *type = ib_mf_part_type(m, p, b);
		fprintf(f, "\npartition %u", p->number);
		if (p->name)
			fprintf(f, " \"%s\"", p->name);
		if (type)
			fprintf(f, ", type %s", type);
		if (m->table == IB_MF_TABLE_MBR && p->bootable)
			fprintf(f, ", bootable");
		fprintf(f, "\n  LBA %" PRIu64 "-%" PRIu64 ", %s at byte %" PRIu64 "\n", p->start_lba, p->end_lba,
			ib_size_format(p->size, a, sizeof a), p->offset);
		if (m->table == IB_MF_TABLE_GPT)
			fprintf(f, "  GUID %s, attributes 0x%016" PRIx64 "\n", ib_guid_format(&p->guid, b), p->attrs);
		if (!p->has_fs) {
			fprintf(f, "  no filesystem imgbuild reads\n");
			continue;
		}
		const struct ib_mf_fs *fs = &p->fs;
		fprintf(f, "  %s, label %s%s%s, serial %s\n", fs->type, fs->label ? "\"" : "",
			fs->label ? fs->label : "(none)", fs->label ? "\"" : "", fs->serial ? fs->serial : "-");
		fprintf(f, "  %" PRIu32 "-byte sectors, %" PRIu32 "-byte clusters, %" PRIu32
			   " hidden sectors, %u heads, %u sectors per track\n",
			fs->sector_size, fs->cluster_size, fs->hidden_sectors, fs->heads, fs->sectors_per_track);
		size_t nfiles = 0, ndirs = 0;
		uint64_t bytes = 0;
		for (size_t k = 0; k < p->files.n; k++) {
			if (p->files.v[k].dir)
				ndirs++;
			else
				nfiles++;
			bytes += p->files.v[k].size;
		}
		if (p->windows)
			print_windows(p->windows, f);
		fprintf(f, "  %zu files (%" PRIu64 " bytes), %zu directories\n", nfiles, bytes, ndirs);
		print_files(p, f);
	}
}
