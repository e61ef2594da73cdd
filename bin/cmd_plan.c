// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild plan: the resolved layout and steps, as text or JSON. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build/build.h"
#include "cli.h"
#include "commands.h"
#include "core/error.h"
#include "core/json.h"
#include "plan/plan.h"
#include "plan/plan_install.h"
#include "windows/inject.h"
#include "windows/wim.h"
#include "recipe/recipe.h"
#include "core/size.h"
#include "core/spawn.h"
#include "core/undo.h"

static const char usage_plan[] =
	"usage: imgbuild plan RECIPE [-o DIR] [--backend lib|mount] [--set KEY=VALUE]... [--json]\n"
	"\n"
	"Validate RECIPE and print the resolved layout (partition numbers, types and\n"
	"GUIDs, start and end LBA, sizes, filesystems, file counts) and the ordered steps\n"
	"with the programs each will run. Writes nothing and needs no privileges.\n"
	"\n"
	"  -o, --output DIR      the output directory the paths are shown for (default out)\n"
	"  --backend lib|mount   show the steps of this volume backend (default lib)\n"
	"  --set KEY=VALUE       override a recipe value\n"
	"  --json                print the plan as one JSON object\n"
	"  -h, --help            this help\n";

/* What windows: { install: } applies: the media, the image, the sizes. */
static void json_install(struct ib_json *j, const struct ib_plan_part *pp)
{
	const struct ib_install_plan *ip = pp->install;
	const struct ib_wim_image *im = ip->image;
	ib_json_key(j, "install");
	ib_json_begin_object(j);
	ib_json_kv_str(j, "media", ip->wim->path);
	ib_json_kv_str(j, "wim", ip->wim->member);
	ib_json_kv_uint(j, "index", im->index);
	ib_json_kv_str(j, "name", im->name);
	ib_json_kv_str(j, "edition", im->edition);
	ib_json_kv_uint(j, "build", im->build);
	ib_json_kv_str(j, "arch", im->arch);
	ib_json_kv_uint(j, "bytes", im->bytes);
	ib_json_kv_uint(j, "need_bytes", ip->need_bytes);
	ib_json_kv_str(j, "efi_boot_file", ip->efi_name);
	ib_json_kv_uint(j, "esp", ip->esp->number);
	ib_json_kv_uint(j, "esp_bytes", ip->boot_bytes);
	ib_json_end_object(j);
}

static void json_guid(struct ib_json *j, const char *key, const struct ib_guid *g)
{
	char buf[40];
	ib_json_kv_str(j, key, ib_guid_format(g, buf));
}

static void print_plan_json(const struct ib_plan *p)
{
	struct ib_json j = {0};
	char buf[40];
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "name", p->recipe->name);
	ib_json_kv_str(&j, "table", ib_table_name(p->table));
	ib_json_kv_uint(&j, "sector_size", p->sector_size);
	ib_json_kv_uint(&j, "disk_size", p->disk_size);
	ib_json_key(&j, "base");
	if (p->base) {
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "path", p->base);
		ib_json_kv_str(&j, "format", p->base_format);
		/* false: the table is read once the base is converted (build) */
		ib_json_kv_bool(&j, "table_read", p->base_read);
		ib_json_end_object(&j);
	} else {
		ib_json_null(&j);
	}
	bool table = !p->base || p->base_read; /* a non-raw base's table is read by the build */
	if (!table) {
		ib_json_key(&j, "disk_guid");
		ib_json_null(&j);
	} else if (p->table == IB_TABLE_GPT) {
		json_guid(&j, "disk_guid", &p->disk_guid);
	} else {
		snprintf(buf, sizeof buf, "0x%08" PRIx32, p->mbr_signature);
		ib_json_kv_str(&j, "mbr_signature", buf);
	}
	ib_json_kv_bool(&j, "reproducible", p->reproducible);
	ib_json_key(&j, "epoch");
	if (p->reproducible)
		ib_json_int(&j, p->epoch);
	else
		ib_json_null(&j);
	ib_json_kv_uint(&j, "first_usable_lba", p->first_usable_lba);
	ib_json_kv_uint(&j, "last_usable_lba", p->last_usable_lba);
	ib_json_key(&j, "partitions");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_plan_part *pp = &p->parts[i];
		const struct ib_partition_spec *s = pp->spec;
		ib_json_begin_object(&j);
		ib_json_kv_uint(&j, "number", pp->number);
		ib_json_kv_str(&j, "name", s->name);
		if (p->base) {
			ib_json_key(&j, "use");
			if (s->use)
				ib_json_uint(&j, s->use);
			else
				ib_json_string(&j, "auto");
			ib_json_kv_bool(&j, "located", pp->located);
		}
		ib_json_kv_bool(&j, "windows", s->has_windows);
		if (p->base && !pp->located) {
			/* Known once the build has converted the base. */
			ib_json_kv_uint(&j, "files", pp->nfiles);
			ib_json_kv_uint(&j, "dirs", pp->ndirs);
			ib_json_kv_uint(&j, "bytes", pp->bytes);
			ib_json_end_object(&j);
			continue;
		}
		if (p->table == IB_TABLE_GPT) {
			const char *alias = ib_ptype_name_for_guid(&pp->type_guid);
			ib_json_kv_str(&j, "type", alias ? alias : ib_guid_format(&pp->type_guid, buf));
			json_guid(&j, "type_guid", &pp->type_guid);
			json_guid(&j, "guid", &pp->part_guid);
		} else {
			const char *alias = ib_ptype_name_for_mbr(pp->mbr_type);
			snprintf(buf, sizeof buf, "0x%02x", pp->mbr_type);
			ib_json_kv_str(&j, "type", alias ? alias : buf);
			ib_json_kv_str(&j, "mbr_type", buf);
			ib_json_kv_bool(&j, "bootable", s->bootable);
		}
		ib_json_kv_uint(&j, "start_lba", pp->start_lba);
		ib_json_kv_uint(&j, "end_lba", pp->end_lba);
		ib_json_kv_uint(&j, "offset", pp->offset);
		ib_json_kv_uint(&j, "size", pp->size);
		if (pp->fs == IB_FS_NONE) {
			ib_json_key(&j, "fs");
			ib_json_null(&j);
		} else if (p->base) { /* the base's filesystem, as it is */
			ib_json_kv_str(&j, "fs", ib_fs_type_name(pp->fs));
		} else {
			ib_json_kv_str(&j, "fs", ib_fs_type_name(s->fs.type));
			ib_json_kv_str(&j, "label", s->fs.label);
			ib_json_kv_uint(&j, "cluster_size", pp->cluster_size);
			ib_fs_ops_of(s->fs.type)->format_serial(pp->fs_serial, pp->ntfs_serial, buf, sizeof buf);
			ib_json_kv_str(&j, "serial", buf);
		}
		ib_json_kv_uint(&j, "files", pp->nfiles);
		ib_json_kv_uint(&j, "dirs", pp->ndirs);
		ib_json_kv_uint(&j, "bytes", pp->bytes);
		if (pp->install)
			json_install(&j, pp);
		if (pp->win && pp->win->unattend) {
			ib_json_kv_str(&j, "unattend", pp->win->unattend);
			ib_json_kv_str(&j, "unattend_passes", pp->win->unattend_passes);
		}
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "steps");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < p->nsteps; i++) {
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "title", p->steps[i].title);
		ib_json_key(&j, "argv");
		if (!p->steps[i].argv) {
			ib_json_null(&j);
		} else {
			ib_json_begin_array(&j);
			for (char **a = p->steps[i].argv; *a; a++)
				ib_json_string(&j, *a);
			ib_json_end_array(&j);
		}
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_key(&j, "outputs");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < p->recipe->noutputs; i++) {
		const struct ib_output_spec *o = &p->recipe->outputs[i];
		char *path = ib_plan_output_path(p, o);
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "format", ib_out_format_name(o->format));
		ib_json_kv_str(&j, "path", path);
		ib_json_end_object(&j);
		free(path);
	}
	ib_json_end_array(&j);
	ib_json_end_object(&j);
	ib_json_flush(&j, stdout);
	ib_json_free(&j);
}

static void print_plan_text(const struct ib_plan *p)
{
	char a[32], b[40];
	if (p->base && !p->base_read) /* a non-raw base's table is read by the build */
		printf("%s: %s disk; table and sector size as the base has them\n", p->recipe->name,
		       ib_size_format(p->disk_size, a, sizeof a));
	else if (p->table == IB_TABLE_GPT)
		printf("%s: %s disk, GPT, %u-byte sectors, disk GUID %s\n", p->recipe->name,
		       ib_size_format(p->disk_size, a, sizeof a), p->sector_size, ib_guid_format(&p->disk_guid, b));
	else
		printf("%s: %s disk, MBR, %u-byte sectors, disk signature 0x%08" PRIx32 "\n", p->recipe->name,
		       ib_size_format(p->disk_size, a, sizeof a), p->sector_size, p->mbr_signature);
	if (p->reproducible)
		printf("reproducible: identifiers derived from the seed, every timestamp %" PRId64 "\n", p->epoch);
	if (p->base)
		printf("base: %s (%s), copied, never modified; %s\n", p->base, p->base_format,
		       p->base_read ? "its table as read now" : "its partitions are located once it is converted");
	printf("\n  #  name          type         start LBA     end LBA        size  fs      label        files\n");
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_plan_part *pp = &p->parts[i];
		const struct ib_partition_spec *s = pp->spec;
		const char *type;
		if (p->table == IB_TABLE_GPT) {
			type = ib_ptype_name_for_guid(&pp->type_guid);
			if (!type)
				type = ib_guid_format(&pp->type_guid, b);
		} else {
			type = ib_ptype_name_for_mbr(pp->mbr_type);
			if (!type) {
				snprintf(b, sizeof b, "0x%02x", pp->mbr_type);
				type = b;
			}
		}
		if (p->base && !pp->located) {
			char use[16];
			snprintf(use, sizeof use, s->use ? "use: %u" : "use: auto", s->use);
			printf("  ?  %-12s  %-11s  %10s  %10s  %10s  %-6s  %-11s  %" PRIu64 "%s\n", s->name ? s->name : "-",
			       use, "-", "-", "-", "-", "-", pp->nfiles, s->has_windows ? "  + windows" : "");
			continue;
		}
		printf("%3u  %-12s  %-11s  %10" PRIu64 "  %10" PRIu64 "  %10s  %-6s  %-11s  %" PRIu64 "%s\n",
		       pp->number, s->name ? s->name : "-", type, pp->start_lba, pp->end_lba,
		       ib_size_format(pp->size, a, sizeof a),
		       pp->fs ? ib_fs_type_name(pp->fs) : "-", s->fs.label ? s->fs.label : "-", pp->nfiles,
		       s->has_windows ? "  + windows" : "");
		if (p->table == IB_TABLE_GPT)
			printf("     guid %s%s\n", ib_guid_format(&pp->part_guid, b), "");
	}
	printf("\nsteps:\n");
	for (size_t i = 0; i < p->nsteps; i++) {
		printf("%3zu. %s\n", i + 1, p->steps[i].title);
		if (p->steps[i].argv) {
			char *cmd = ib_argv_format((const char *const *)p->steps[i].argv);
			printf("     $ %s\n", cmd);
			free(cmd);
		}
	}
}

int ib_cmd_plan(int argc, char **argv)
{
	struct cli c = {0};
	int code = cli_parse_recipe(argc, argv, "plan", usage_plan, CLI_OUT, &c);
	if (code >= 0)
		return code;
	struct ib_recipe *rec;
	struct ib_plan *p = cli_load_plan(&c, &rec);
	free(c.sets);
	if (!p)
		return IB_EXIT_INPUT;
	ib_plan_use_backend(p, c.backend);
	if (c.json)
		print_plan_json(p);
	else
		print_plan_text(p);
	ib_plan_free(p);
	ib_recipe_free(rec);
	return 0;
}

