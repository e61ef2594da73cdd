// SPDX-License-Identifier: GPL-2.0-or-later
/* Checks across fields that need nothing but the recipe: partition types for
 * the table, one `rest`, unique names, MBR limits, filesystem labels and
 * cluster sizes (the filesystem's handler says what fits), output
 * subformats. Each error points at the value that causes it. Values the walk
 * already refused are skipped so that one mistake gives one error. The
 * layout, and whether each filesystem fits its partition, is the planner's
 * (lib/plan/plan.c): one computation, run before anything is written. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptable/ptable.h"
#include "core/guid.h"
#include "recipe_int.h"
#include "core/size.h"
#include "windows/regtype.h"


static bool present(const struct ib_loc *l)
{
	return l->file != NULL;
}

/* Given (or defaulted) and accepted by the walk. */
static bool usable(const struct rctx *c, const struct ib_loc *l, const void *dst)
{
	return present(l) && !rctx_is_bad(c, dst);
}

static const char *part_label(const struct ib_partition_spec *p, size_t i, char *buf, size_t n)
{
	if (p->name)
		snprintf(buf, n, "partition '%s'", p->name);
	else
		snprintf(buf, n, "partition %zu", i + 1);
	return buf;
}

static char *fmt_size(uint64_t v, char *buf)
{
	return ib_size_format(v, buf, 32);
}

/* ---- partition types ---- */

/* "0x07", "7", "0xEF": an MBR type byte; -1 if s is not a number. */
static int mbr_byte(const char *s)
{
	unsigned v = 0;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		v = v * (unsigned)base + (unsigned)d;
	}
	return v > 255 ? 256 : (int)v;
}

static void type_hint(struct ib_buf *b, const char *word)
{
	const char *const *names = ib_ptype_names();
	size_t n = 0;
	while (names[n])
		n++;
	const char *near = ib_did_you_mean(word, names, n);
	if (near)
		ib_buf_printf(b, "did you mean '%s'? ", near);
	ib_buf_puts(b, "aliases: ");
	for (size_t i = 0; i < n; i++)
		ib_buf_printf(b, "%s%s", i ? ", " : "", names[i]);
}

static void check_type(struct rctx *c, const struct ib_disk_spec *d, struct ib_partition_spec *p)
{
	if (rctx_is_bad(c, &p->type))
		return;
	if (!present(&p->type_loc)) {
		p->type = ib_xstrdup(ib_fs_default_ptype(p->fs.type, d->table));
		p->type_loc = p->loc;
		return;
	}
	const char *t = p->type;
	bool gpt = d->table == IB_TABLE_GPT;
	const struct ib_ptype_alias *a = ib_ptype_lookup(t);
	if (a) {
		if (gpt && !a->gpt_guid)
			rctx_error_at(c, &p->type_loc, "use an MBR disk's type byte, e.g. 0x07",
				      "partition type '%s' does not exist on GPT disks", t);
		else if (!gpt && a->mbr_type < 0)
			rctx_error_at(c, &p->type_loc, "use table: gpt, or drop this partition",
				      "partition type '%s' does not exist on MBR disks (it has no MBR type byte)", t);
		return;
	}
	struct ib_guid g;
	bool is_guid = ib_guid_parse(t, &g) == 0;
	int byte = mbr_byte(t);
	if (gpt && is_guid)
		return;
	if (!gpt && byte >= 1 && byte <= 255) {
		/* One spelling for the planner: "7", "0x7" and "0X07" all become "0x07". */
		free(p->type);
		p->type = ib_xasprintf("0x%02x", (unsigned)byte);
		return;
	}
	struct ib_buf hint = { 0 };
	if (gpt && byte >= 0) {
		rctx_error_at(c, &p->type_loc, "on GPT write an alias or a GUID",
			      "type '%s' is an MBR type byte, but the table is gpt", t);
	} else if (!gpt && is_guid) {
		rctx_error_at(c, &p->type_loc, "on MBR write an alias or a type byte such as 0x07",
			      "type '%s' is a GPT GUID, but the table is mbr", t);
	} else if (!gpt && byte == 0) {
		rctx_error_at(c, &p->type_loc, NULL, "MBR type 0 marks an unused entry");
	} else if (!gpt && byte > 255) {
		rctx_error_at(c, &p->type_loc, NULL, "MBR type '%s' does not fit in a byte", t);
	} else if (strchr(t, '-') && strlen(t) >= 30) {
		rctx_error_at(c, &p->type_loc, "a GUID is 8-4-4-4-12 hex digits, e.g. C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
			      "bad GUID '%s'", t);
	} else {
		type_hint(&hint, t);
		rctx_error_at(c, &p->type_loc, hint.s, "unknown partition type '%s'", t);
	}
	ib_buf_free(&hint);
	rctx_mark_bad(c, &p->type);
}

/* ---- filesystems ---- */

static void check_label(struct rctx *c, struct ib_fs_spec *fs)
{
	if (!usable(c, &fs->label_loc, &fs->label))
		return;
	char msg[160];
	const char *hint = NULL;
	if (ib_fs_ops_of(fs->type)->label_error(fs->label, msg, sizeof msg, &hint))
		rctx_error_at(c, &fs->label_loc, hint, "%s", msg);
}

static void check_cluster(struct rctx *c, struct ib_fs_spec *fs, uint32_t ss)
{
	if (!usable(c, &fs->cluster_loc, &fs->cluster_size))
		return;
	const struct ib_fs_ops *o = ib_fs_ops_of(fs->type);
	uint64_t cs = fs->cluster_size;
	char a[32];
	bool bad = true;
	if (!ib_is_pow2(cs))
		rctx_error_at(c, &fs->cluster_loc, NULL, "cluster_size %s is not a power of two", fmt_size(cs, a));
	else if (cs < ss)
		rctx_error_at(c, &fs->cluster_loc, NULL, "cluster_size %s is smaller than the sector size (%u B)",
			      fmt_size(cs, a), ss);
	else if (cs > o->max_cluster)
		rctx_error_at(c, &fs->cluster_loc, o->cluster_range, "cluster_size %s is out of range for %s",
			      fmt_size(cs, a), o->family);
	else
		bad = false;
	if (bad)
		rctx_mark_bad(c, &fs->cluster_size);
}

/* ---- windows: and base: ---- */

/* A dword/qword as the injector reads it: decimal or 0x.., no sign. */
static bool reg_number(const char *s, bool dword)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	return *s && *s != '-' && *s != '+' && !*end && !errno && (!dword || v <= UINT32_MAX);
}

static bool reg_hex(const char *s)
{
	int digits = 0;
	for (; *s; s++) {
		bool hex = (*s >= '0' && *s <= '9') || ((*s | 32) >= 'a' && (*s | 32) <= 'f');
		if (hex)
			digits++;
		else if ((*s != ' ' && *s != ',' && *s != ':') || digits % 2)
			return false;
	}
	return digits % 2 == 0;
}

static void check_reg(struct rctx *c, struct ib_win_reg_entry *e)
{
	if (!present(&e->loc) || rctx_is_bad(c, &e->name) || rctx_is_bad(c, &e->type) || rctx_is_bad(c, &e->data))
		return;
	bool has_data = e->data || e->multi;
	if (e->del) {
		if (e->has_type || has_data)
			rctx_error_at(c, e->has_type ? &e->type_loc : &e->data_loc, "remove type: and data:",
				      "a registry entry with delete: true takes no %s", e->has_type ? "type" : "data");
		return;
	}
	if (!e->name) {
		if (e->has_type || has_data)
			rctx_error_at(c, &e->loc, "e.g. { hive: SOFTWARE, key: 'Vendor\\App', name: Mode, type: dword, data: 1 }",
				      "a registry value needs a name: (without one the entry creates the key)");
		return;
	}
	if (!e->has_type) {
		rctx_error_at(c, &e->loc, "type: sz, expand_sz, multi_sz, dword, qword or binary",
			      "missing required key 'type' in a registry entry that sets a value");
		return;
	}
	if (!has_data) {
		rctx_error_at(c, &e->loc, NULL, "missing required key 'data' in a registry entry that sets a value");
		return;
	}
	enum ib_reg_type t = (enum ib_reg_type)e->type;
	if (t == IB_REG_MULTI_SZ)
		return; /* a list, or one string */
	if (e->multi) {
		rctx_error_at(c, &e->data_loc, "only multi_sz data is a list", "type %s takes one value, not a list",
			      ib_reg_type_name(t));
		return;
	}
	if ((t == IB_REG_DWORD || t == IB_REG_QWORD) && !reg_number(e->data, t == IB_REG_DWORD))
		rctx_error_at(c, &e->data_loc, "decimal or 0x.. hex, e.g. 0 or 0x10",
			      "'%s' is not a %s number", e->data, t == IB_REG_DWORD ? "32-bit (dword)" : "64-bit (qword)");
	else if (t == IB_REG_BINARY && !reg_hex(e->data))
		rctx_error_at(c, &e->data_loc, "hex bytes, e.g. \"01 ff 00\"", "'%s' is not hex bytes", e->data);
}

/* The ESP of a GPT disk: its type is the esp alias or its GUID. */
static bool is_esp(const struct ib_partition_spec *p)
{
	const struct ib_ptype_alias *a = p->type ? ib_ptype_lookup(p->type) : NULL;
	return p->type && ((a && a->gpt_guid && !strcasecmp(a->gpt_guid, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")) ||
			   !strcasecmp(p->type, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"));
}

/* install: Windows applied from media and made bootable as bcdboot would,
 * for UEFI: a fresh GPT disk with one FAT32 ESP (docs/windows-install.md). */
static void check_install(struct rctx *c, const struct ib_recipe *r, struct ib_partition_spec *p)
{
	struct ib_windows_spec *w = &p->windows;
	if (r->base) {
		rctx_error_at(c, &w->install_loc, "drop base: (install: makes the Windows partition from the media)",
			      "install: applies Windows onto a new partition and cannot be used with base:");
		return;
	}
	if (rctx_is_bad(c, &r->disk.table))
		return;
	if (r->disk.table != IB_TABLE_GPT) {
		rctx_error_at(c, &w->install_loc,
			      "use table: gpt with an esp partition (fs: fat32); BIOS boot is not made (see "
			      "docs/windows-install.md)",
			      "install: makes Windows boot through UEFI, which needs a GPT disk; the table is mbr");
		return;
	}
	const struct ib_partition_spec *esp = NULL;
	size_t nesp = 0, ninstall = 0;
	for (size_t i = 0; i < r->disk.nparts; i++) {
		const struct ib_partition_spec *q = &r->disk.parts[i];
		if (is_esp(q)) {
			nesp++;
			esp = q;
		}
		ninstall += q->has_windows && q->windows.has_install;
	}
	if (ninstall > 1 && &r->disk.parts[0] != p) {
		/* said once, at every install: after the first */
		for (size_t i = 0; i < r->disk.nparts && &r->disk.parts[i] != p; i++)
			if (r->disk.parts[i].has_windows && r->disk.parts[i].windows.has_install) {
				rctx_error_at(c, &w->install_loc, "one Windows per disk: keep one install:",
					      "a second install: (the boot manager has one ESP to boot from)");
				return;
			}
	}
	const char *hint = "add e.g. { name: esp, type: esp, size: 260MiB, fs: { type: fat32 } }";
	if (nesp == 0) {
		rctx_error_at(c, &w->install_loc, hint,
			      "install: needs an ESP (type: esp) to put the boot manager on, and the disk has none");
		return;
	}
	if (nesp > 1) {
		rctx_error_at(c, &w->install_loc, "keep one partition of type esp",
			      "install: needs one ESP to put the boot manager on, and the disk has %zu", nesp);
		return;
	}
	if (!present(&esp->fs.loc) || rctx_is_bad(c, &esp->fs.type) || esp->fs.type != IB_FS_FAT32)
		rctx_error_at(c, present(&esp->fs.loc) ? &esp->fs.loc : &esp->loc, "fs: { type: fat32 }",
			      "the ESP that install: boots from must be FAT32 (what UEFI firmware and Windows require)%s%s",
			      present(&esp->fs.loc) && !rctx_is_bad(c, &esp->fs.type) ? ", found " : "",
			      present(&esp->fs.loc) && !rctx_is_bad(c, &esp->fs.type) ? ib_fs_type_name(esp->fs.type) : "");
}

static void check_windows(struct rctx *c, const struct ib_recipe *r, struct ib_partition_spec *p, const char *who)
{
	struct ib_windows_spec *w = &p->windows;
	if (!r->base && present(&p->fs.loc) && !rctx_is_bad(c, &p->fs.type) &&
	    !ib_fs_holds_windows(p->fs.type))
		rctx_error_at(c, &p->windows_loc, "Windows lives on NTFS: use fs: { type: ntfs } or drop windows:",
			      "windows: needs an NTFS partition, and %s has fs: %s", who, ib_fs_type_name(p->fs.type));
	else if (!r->base && !present(&p->fs.loc) && !rctx_is_bad(c, &p->fs))
		rctx_error_at(c, &p->windows_loc, "add fs: { type: ntfs } and put Windows there with files:",
			      "windows: needs an NTFS partition, and %s has no fs:", who);
	if (w->has_install)
		check_install(c, r, p);
	for (size_t i = 0; i < w->nregistry; i++)
		check_reg(c, &w->registry[i]);
	if (present(&w->mechanism_loc) && !rctx_is_bad(c, &w->first_boot_mechanism) &&
	    w->first_boot_mechanism == IB_FB_SERVICE && !w->service_wrapper && !rctx_is_bad(c, &w->service_wrapper))
		rctx_error_at(c, &w->mechanism_loc, "add service_wrapper: (a srvany-style program, e.g. rhsrvany.exe)",
			      "first_boot_mechanism: service needs a service_wrapper:");
	if (usable(c, &w->max_attempts_loc, &w->max_attempts) && (w->max_attempts < 1 || w->max_attempts > 100))
		rctx_error_at(c, &w->max_attempts_loc, NULL, "max_attempts must be 1 to 100, found %llu",
			      (unsigned long long)w->max_attempts);
}

/* A key given in the file (a defaulted one carries its mapping's location). */
static bool given(const struct ib_loc *l, const struct ib_loc *map)
{
	return present(l) && (l->line != map->line || l->col != map->col || l->file != map->file);
}

/* With base: the table, sizes and filesystems are the base's: only use:,
 * files:, windows: (and name:, for messages) are for a partition. */
static void check_base(struct rctx *c, struct ib_recipe *r)
{
	struct ib_disk_spec *d = &r->disk;
	const char *hint = "with base: the table comes from the base image; disk: holds only partitions:";
	bool base = r->base || rctx_is_bad(c, &r->base);
	if (r->base) {
		const struct { const struct ib_loc *loc; const char *key; } keys[] = {
			{ &d->size_loc, "size" }, { &d->table_loc, "table" }, { &d->sector_size_loc, "sector_size" },
			{ &d->align_loc, "align" },
		};
		for (size_t i = 0; i < IB_ARRAY_SIZE(keys); i++)
			if (given(keys[i].loc, &d->loc))
				rctx_error_at(c, keys[i].loc, hint, "disk.%s cannot be given with base: (the base image is "
								     "kept as it is)", keys[i].key);
	}
	for (size_t i = 0; i < d->nparts; i++) {
		struct ib_partition_spec *p = &d->parts[i];
		if (!present(&p->loc))
			continue;
		if (!base) {
			if (p->has_use)
				rctx_error_at(c, &p->use_loc, "add base: IMAGE, or drop use:",
					      "use: names a partition of a base: image, and this recipe has no base:");
			continue;
		}
		if (!p->has_use) {
			if (!rctx_is_bad(c, &p->use))
				rctx_error_at(c, &p->loc, "e.g. use: 3, or use: auto (the partition holding \\Windows)",
					      "with base: each partition names the partition of the base it changes: "
					      "missing required key 'use'");
		} else if (!rctx_is_bad(c, &p->use)) {
			for (size_t j = 0; j < i; j++) {
				const struct ib_partition_spec *q = &d->parts[j];
				if (q->has_use && q->use == p->use && !rctx_is_bad(c, &q->use)) {
					if (p->use)
						rctx_error_at(c, &p->use_loc, "merge the two entries",
							      "partition %u of the base is named twice", p->use);
					else
						rctx_error_at(c, &p->use_loc, "merge the two entries",
							      "use: auto is given twice");
					rctx_note_at(c, &q->use_loc, "first named here");
					break;
				}
			}
		}
		if (present(&p->size_loc))
			rctx_error_at(c, &p->size_loc, "remove size: (resizing is not supported)",
				      "size: cannot be given with base: (the partition keeps the base's size)");
		if (present(&p->fs.loc))
			rctx_error_at(c, &p->fs.loc, "remove fs: (the filesystem there is kept and added to)",
				      "fs: cannot be given with base: (it would reformat the base's partition)");
		if (present(&p->type_loc))
			rctx_error_at(c, &p->type_loc, "remove type:",
				      "type: cannot be given with base: (the partition table is kept as it is)");
		if (present(&p->bootable_loc))
			rctx_error_at(c, &p->bootable_loc, "remove bootable:",
				      "bootable: cannot be given with base: (the partition table is kept as it is)");
	}
}

/* ---- the disk ---- */

static void check_partitions(struct rctx *c, struct ib_disk_spec *d)
{
	bool gpt = d->table == IB_TABLE_GPT;
	bool table_ok = !rctx_is_bad(c, &d->table);
	uint32_t ss = rctx_is_bad(c, &d->sector_size) ? 512 : d->sector_size;
	const struct ib_partition_spec *first_rest = NULL;

	if (table_ok && !gpt && d->nparts > 4 && present(&d->parts[4].loc))
		rctx_error_at(c, &d->parts[4].loc, "use table: gpt for more partitions",
			      "an MBR table holds at most 4 partitions: this is the 5th");
	if (table_ok && gpt && d->nparts > IB_GPT_ENTRIES && present(&d->parts[IB_GPT_ENTRIES].loc))
		rctx_error_at(c, &d->parts[IB_GPT_ENTRIES].loc, NULL,
			      "a GPT holds at most %d partitions (its entry array has %d entries): this is the %dth",
			      IB_GPT_ENTRIES, IB_GPT_ENTRIES, IB_GPT_ENTRIES + 1);

	for (size_t i = 0; i < d->nparts; i++) {
		struct ib_partition_spec *p = &d->parts[i];
		if (!present(&p->loc))
			continue;
		char who[96];
		part_label(p, i, who, sizeof(who));

		/* A GPT entry holds 36 UTF-16 code units of name. */
		if (p->name && !rctx_is_bad(c, &p->name) && table_ok && gpt && ib_utf16_units(p->name) > 36)
			rctx_error_at(c, &p->name_loc, NULL,
				      "partition name too long for GPT: at most 36 characters (UTF-16 units), "
				      "'%s' has %zu", p->name, ib_utf16_units(p->name));
		if (p->name && !rctx_is_bad(c, &p->name)) {
			for (size_t j = 0; j < i; j++) {
				const struct ib_partition_spec *q = &d->parts[j];
				if (q->name && !strcmp(q->name, p->name)) {
					rctx_error_at(c, &p->name_loc, "partition names must be unique",
						      "duplicate partition name '%s'", p->name);
					rctx_note_at(c, &q->name_loc, "'%s' is first used here", q->name);
					break;
				}
			}
		}

		if (!present(&p->size_loc)) {
			if (!rctx_is_bad(c, &p->size) && !c->r->base)
				rctx_error_at(c, &p->loc, "e.g. size: 260MiB, or size: rest",
					      "missing required key 'size' in a partition");
		} else if (p->size_rest && !rctx_is_bad(c, &p->size)) {
			if (first_rest) {
				rctx_error_at(c, &p->size_loc, "give this partition a size",
					      "a second partition with size: rest (only one can take the rest)");
				rctx_note_at(c, &first_rest->size_loc, "the first `size: rest` is here");
			}
			first_rest = p;
		}

		if (table_ok)
			check_type(c, d, p);
		else
			rctx_mark_bad(c, &p->type);

		if (table_ok && gpt && present(&p->bootable_loc) && !rctx_is_bad(c, &p->bootable))
			rctx_error_at(c, &p->bootable_loc, "GPT disks boot through an esp partition (type: esp)",
				      "bootable: is an MBR flag; the table is gpt");

		bool has_fs = present(&p->fs.loc) || rctx_is_bad(c, &p->fs);
		if (p->nfiles && !has_fs && !c->r->base)
			rctx_error_at(c, &p->files_loc, "add e.g. fs: { type: fat32 } to this partition",
				      "files: needs a filesystem, and %s has no fs:", who);

		if (present(&p->fs.loc) && !rctx_is_bad(c, &p->fs.type)) {
			check_label(c, &p->fs);
			check_cluster(c, &p->fs, ss);
		}
		if (p->has_windows)
			check_windows(c, c->r, p, who);
	}

}

static void check_disk(struct rctx *c, struct ib_recipe *r)
{
	struct ib_disk_spec *d = &r->disk;
	if (!present(&d->loc))
		return;
	char a[32], b[32];
	bool ss_ok = !rctx_is_bad(c, &d->sector_size);
	bool table_ok = !rctx_is_bad(c, &d->table);
	bool align_ok = !rctx_is_bad(c, &d->align);
	bool size_ok = usable(c, &d->size_loc, &d->size);
	if (!present(&d->size_loc) && !rctx_is_bad(c, &d->size) && !r->base)
		rctx_error_at(c, &d->loc, "e.g. size: 8GiB", "missing required key 'size' in disk");

	if (align_ok && ss_ok) {
		if (!ib_is_pow2(d->align)) {
			rctx_error_at(c, &d->align_loc, "e.g. align: 1MiB", "align %s is not a power of two",
				      fmt_size(d->align, a));
			align_ok = false;
		} else if (d->align % d->sector_size) {
			rctx_error_at(c, &d->align_loc, NULL, "align %s is not a multiple of the sector size (%u B)",
				      fmt_size(d->align, a), d->sector_size);
			align_ok = false;
		}
	}
	if (size_ok && ss_ok && d->size > (uint64_t)INT64_MAX - (uint64_t)INT64_MAX % d->sector_size) {
		rctx_error_at(c, &d->size_loc, NULL, "disk of %s is past what a file can hold (2^63 bytes)",
			      fmt_size(d->size, a));
		size_ok = false;
	}
	if (size_ok && ss_ok && d->size % d->sector_size) {
		rctx_error_at(c, &d->size_loc, NULL, "disk size %s (%" PRIu64 " B) is not a multiple of the sector size (%u B)",
			      fmt_size(d->size, a), d->size, d->sector_size);
		size_ok = false;
	}
	if (size_ok && ss_ok && table_ok && d->table == IB_TABLE_MBR && d->size / d->sector_size > UINT32_MAX) {
		rctx_error_at(c, &d->size_loc, "use table: gpt",
			      "an MBR table addresses at most %s with %u-byte sectors; the disk is %s",
			      fmt_size((uint64_t)UINT32_MAX * d->sector_size, a), d->sector_size,
			      fmt_size(d->size, b));
		size_ok = false;
	}
	if (d->nparts)
		check_partitions(c, d);
}

/* ---- outputs ---- */

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

static void list_hint(struct ib_buf *b, const char *word, const char *const *list)
{
	size_t n = 0;
	while (list[n])
		n++;
	const char *near = ib_did_you_mean(word, list, n);
	if (near)
		ib_buf_printf(b, "did you mean '%s'? ", near);
	ib_buf_puts(b, "valid: ");
	for (size_t i = 0; i < n; i++)
		ib_buf_printf(b, "%s%s", i ? ", " : "", list[i]);
}

static void check_output(struct rctx *c, struct ib_output_spec *o)
{
	static const char *const vmdk_sub[] = { "monolithicSparse", "streamOptimized", NULL };
	static const char *const dyn_sub[] = { "dynamic", "fixed", NULL };
	static const char *const adapters[] = { "ide", "lsilogic", "buslogic", "legacyESX", NULL };
	const char *fmt = ib_out_format_name(o->format);
	const char *const *subs = o->format == IB_OUT_VMDK ? vmdk_sub
				  : o->format == IB_OUT_VHDX || o->format == IB_OUT_VPC ? dyn_sub
											: NULL;
	struct ib_buf hint = { 0 };
	if (usable(c, &o->subformat_loc, &o->subformat)) {
		if (!subs) {
			rctx_error_at(c, &o->subformat_loc, "subformat is for vmdk, vhdx and vpc",
				      "format %s takes no subformat", fmt);
		} else if (!in_list(o->subformat, subs)) {
			list_hint(&hint, o->subformat, subs);
			rctx_error_at(c, &o->subformat_loc, hint.s, "unknown %s subformat '%s'", fmt, o->subformat);
		}
	} else if (subs && !present(&o->subformat_loc)) {
		o->subformat = ib_xstrdup(subs[0]);
		o->subformat_loc = o->loc;
	}
	ib_buf_free(&hint);
	if (usable(c, &o->backing_loc, &o->backing)) {
		if (strcmp(o->backing, "base"))
			rctx_error_at(c, &o->backing_loc, "backing: base is the one value",
				      "unknown backing '%s'", o->backing);
		else if (!c->r->base && !rctx_is_bad(c, &c->r->base))
			rctx_error_at(c, &o->backing_loc, "add base: IMAGE, or drop backing:",
				      "backing: base needs a base: image, and this recipe has none");
		else if (o->format != IB_OUT_QCOW2)
			rctx_error_at(c, &o->backing_loc, "use format: qcow2 for an overlay on the base",
				      "format %s cannot be an overlay (backing: is for qcow2)", fmt);
	}
	if (usable(c, &o->adapter_loc, &o->adapter)) {
		if (o->format != IB_OUT_VMDK) {
			rctx_error_at(c, &o->adapter_loc, "adapter is for vmdk", "format %s takes no adapter", fmt);
		} else if (!in_list(o->adapter, adapters)) {
			list_hint(&hint, o->adapter, adapters);
			rctx_error_at(c, &o->adapter_loc, hint.s, "unknown vmdk adapter '%s'", o->adapter);
		}
	}
	ib_buf_free(&hint);
}

static void check_outputs(struct rctx *c, struct ib_recipe *r)
{
	for (size_t i = 0; i < r->noutputs; i++) {
		struct ib_output_spec *o = &r->outputs[i];
		if (!present(&o->loc) || !usable(c, &o->format_loc, &o->format))
			continue;
		check_output(c, o);
		for (size_t j = 0; j < i; j++) {
			const struct ib_output_spec *q = &r->outputs[j];
			if (usable(c, &q->format_loc, &q->format) && q->format == o->format) {
				rctx_error_at(c, &o->format_loc, "list each format once",
					      "duplicate output format '%s': both would write %s.%s",
					      ib_out_format_name(o->format), r->name ? r->name : "<name>",
					      ib_out_format_ext(o->format));
				rctx_note_at(c, &q->format_loc, "'%s' is first listed here",
					     ib_out_format_name(q->format));
				break;
			}
		}
	}
}

void recipe_check(struct rctx *c)
{
	if (present(&c->r->disk.loc))
		check_base(c, c->r);
	check_disk(c, c->r);
	check_outputs(c, c->r);
	recipe_check_vm(c);
}
