// SPDX-License-Identifier: GPL-2.0-or-later
/* The imgbuild CLI: subcommands, flags, output formats and exit codes. The
 * work is done by libimgbuild; this file only wires it up and prints. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "error.h"
#include "json.h"
#include "plan.h"
#include "recipe.h"
#include "size.h"
#include "spawn.h"
#include "undo.h"
#include "version.h"

static const char usage_main[] =
	"usage: imgbuild COMMAND [ARGS]\n"
	"\n"
	"Turn a declarative recipe.yml into disk images (GPT/MBR, FAT, NTFS; raw, qcow2,\n"
	"vmdk, vhdx, vpc), rootless.\n"
	"\n"
	"commands:\n"
	"  build RECIPE [-o DIR] [--backend lib] [--set KEY=VALUE]... [--json]\n"
	"                        build the images the recipe describes\n"
	"  plan RECIPE [--set KEY=VALUE]... [--json]\n"
	"                        print the resolved layout and steps; touches nothing\n"
	"  check [RECIPE] [--json]\n"
	"                        check that the programs imgbuild runs are installed\n"
	"  inspect IMAGE [--json], diff IMAGE_A IMAGE_B\n"
	"                        not available in this version yet\n"
	"\n"
	"Run 'imgbuild COMMAND --help' for a command's options.\n"
	"exit codes: 0 success, 1 build failure, 2 usage or input error, 3 environment\n"
	"check failed, 130/143 interrupted by SIGINT/SIGTERM.\n";

static const char usage_build[] =
	"usage: imgbuild build RECIPE [-o DIR] [--backend lib] [--set KEY=VALUE]... [--json]\n"
	"\n"
	"Build every output of RECIPE into DIR (default ./out) as DIR/<name>.<ext>.\n"
	"Nothing is written before the whole recipe has validated; outputs appear\n"
	"atomically (temporary name, then rename), and a failed or interrupted build\n"
	"leaves no temporary file behind and earlier outputs untouched.\n"
	"\n"
	"  -o, --output DIR      output directory (created if missing)\n"
	"  --backend lib         volume backend: lib (rootless libntfs-3g and mtools)\n"
	"  --set KEY=VALUE       override a recipe value, e.g. --set disk.size=16GiB\n"
	"  --json                one JSON object per line on stdout (events, outputs, errors)\n"
	"  -h, --help            this help\n";

static const char usage_plan[] =
	"usage: imgbuild plan RECIPE [--set KEY=VALUE]... [--json]\n"
	"\n"
	"Validate RECIPE and print the resolved layout (partition numbers, types and\n"
	"GUIDs, start and end LBA, sizes, filesystems, file counts) and the ordered steps\n"
	"with the programs each will run. Writes nothing and needs no privileges.\n"
	"\n"
	"  --set KEY=VALUE       override a recipe value\n"
	"  --json                print the plan as one JSON object\n"
	"  -h, --help            this help\n";

static const char usage_check[] =
	"usage: imgbuild check [RECIPE] [--json]\n"
	"\n"
	"Check that the external programs imgbuild runs (mkfs.fat, mtools, mkntfs,\n"
	"qemu-img) are installed, or only those RECIPE needs. Exit 3 when any is\n"
	"missing, with the Debian packages that provide them.\n"
	"\n"
	"  --json                print the result as one JSON object\n"
	"  -h, --help            this help\n";

struct cli {
	const char *recipe;
	const char *out_dir;
	const char *backend;
	const char **sets;
	size_t nsets;
	bool json;
};

enum { OPT_JSON = 1000, OPT_BACKEND, OPT_SET };

/* Parse the options every subcommand shares; returns -1 on a usage error,
 * 1 when help was printed. */
static int parse_args(int argc, char **argv, const char *usage, bool allow_out, struct cli *c)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"json", no_argument, NULL, OPT_JSON},
		{"backend", required_argument, NULL, OPT_BACKEND}, {"set", required_argument, NULL, OPT_SET},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
		case OPT_BACKEND:
			if (!allow_out) {
				fprintf(stderr, "imgbuild: option '%s' is only for 'build'\n", argv[optind - 1]);
				return -1;
			}
			if (ch == 'o')
				c->out_dir = optarg;
			else
				c->backend = optarg;
			break;
		case OPT_JSON: c->json = true; break;
		case OPT_SET:
			if (!strchr(optarg, '=')) {
				fprintf(stderr, "imgbuild: --set takes KEY=VALUE, got '%s'\n", optarg);
				return -1;
			}
			c->sets = ib_xrealloc(c->sets, (c->nsets + 1) * sizeof(*c->sets));
			c->sets[c->nsets++] = optarg;
			break;
		case 'h': fputs(usage, stdout); return 1;
		default:
			fprintf(stderr, "imgbuild: unknown option '%s'\n%s", argv[optind - 1], usage);
			return -1;
		}
	}
	if (optind < argc)
		c->recipe = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "imgbuild: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	return 0;
}

static void json_loc(struct ib_json *j, const struct ib_loc *loc)
{
	if (!loc->file)
		return;
	ib_json_kv_str(j, "file", loc->file);
	if (loc->line) {
		ib_json_kv_uint(j, "line", loc->line);
		ib_json_kv_uint(j, "col", loc->col);
	}
}

static void print_diags(const struct ib_diags *d, bool json)
{
	ib_diags_print(d, stderr);
	if (!json)
		return;
	struct ib_json j = {0};
	for (size_t i = 0; i < d->list.n; i++) {
		const struct ib_diag *g = &d->list.v[i];
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "event", "error");
		ib_json_kv_uint(&j, "code", IB_EXIT_INPUT);
		ib_json_kv_str(&j, "severity", g->sev == IB_SEV_ERROR ? "error" : "warning");
		json_loc(&j, &g->loc);
		ib_json_kv_str(&j, "message", g->msg);
		if (g->hint)
			ib_json_kv_str(&j, "hint", g->hint);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
	}
	ib_json_free(&j);
}

/* Recipe -> plan, printing every input error. */
static struct ib_plan *load_plan(const struct cli *c, struct ib_recipe **rp)
{
	struct ib_diags d = {0};
	struct ib_recipe *r = ib_recipe_load(c->recipe, c->sets, c->nsets, &d);
	struct ib_plan *p = r ? ib_plan_make(r, c->out_dir ? c->out_dir : "out", &d) : NULL;
	if (d.list.n)
		print_diags(&d, c->json);
	ib_diags_free(&d);
	if (!p) {
		ib_recipe_free(r);
		r = NULL;
	}
	*rp = r;
	return p;
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
	if (p->table == IB_TABLE_GPT) {
		json_guid(&j, "disk_guid", &p->disk_guid);
	} else {
		snprintf(buf, sizeof buf, "0x%08" PRIx32, p->mbr_signature);
		ib_json_kv_str(&j, "mbr_signature", buf);
	}
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
		if (s->fs.type == IB_FS_NONE) {
			ib_json_key(&j, "fs");
			ib_json_null(&j);
		} else {
			ib_json_kv_str(&j, "fs", ib_fs_type_name(s->fs.type));
			ib_json_kv_str(&j, "label", s->fs.label);
			ib_json_kv_uint(&j, "cluster_size", pp->cluster_size);
		}
		ib_json_kv_uint(&j, "files", pp->nfiles);
		ib_json_kv_uint(&j, "dirs", pp->ndirs);
		ib_json_kv_uint(&j, "bytes", pp->bytes);
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
	printf("%s: %s disk, %s, %u-byte sectors", p->recipe->name, ib_size_format(p->disk_size, a, sizeof a),
	       p->table == IB_TABLE_GPT ? "GPT" : "MBR", p->sector_size);
	if (p->table == IB_TABLE_GPT)
		printf(", disk GUID %s\n", ib_guid_format(&p->disk_guid, b));
	else
		printf(", disk signature 0x%08" PRIx32 "\n", p->mbr_signature);
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
		printf("%3u  %-12s  %-11s  %10" PRIu64 "  %10" PRIu64 "  %10s  %-6s  %-11s  %" PRIu64 "\n",
		       pp->number, s->name ? s->name : "-", type, pp->start_lba, pp->end_lba,
		       ib_size_format(pp->size, a, sizeof a),
		       s->fs.type ? ib_fs_type_name(s->fs.type) : "-", s->fs.label ? s->fs.label : "-", pp->nfiles);
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

static int cmd_plan(int argc, char **argv)
{
	struct cli c = {0};
	int r = parse_args(argc, argv, usage_plan, false, &c);
	if (r != 0) {
		free(c.sets);
		return r > 0 ? 0 : IB_EXIT_INPUT;
	}
	if (!c.recipe) {
		fprintf(stderr, "imgbuild plan: missing RECIPE\n%s", usage_plan);
		return IB_EXIT_INPUT;
	}
	struct ib_recipe *rec;
	struct ib_plan *p = load_plan(&c, &rec);
	free(c.sets);
	if (!p)
		return IB_EXIT_INPUT;
	if (c.json)
		print_plan_json(p);
	else
		print_plan_text(p);
	ib_plan_free(p);
	ib_recipe_free(rec);
	return 0;
}

/* Progress: terminal lines with ✓/✗, plain lines, or JSON lines. */
struct reporter {
	bool json, tty;
};

static void report_event(void *ctx, const struct ib_event *ev)
{
	struct reporter *rep = ctx;
	if (rep->json) {
		struct ib_json j = {0};
		ib_json_begin_object(&j);
		switch (ev->kind) {
		case IB_EV_STEP_START:
			ib_json_kv_str(&j, "event", "step-start");
			ib_json_kv_uint(&j, "step", ev->step);
			ib_json_kv_uint(&j, "steps", ev->nsteps);
			ib_json_kv_str(&j, "title", ev->title);
			break;
		case IB_EV_STEP_DONE:
		case IB_EV_STEP_FAILED:
			ib_json_kv_str(&j, "event", ev->kind == IB_EV_STEP_DONE ? "step-done" : "step-failed");
			ib_json_kv_uint(&j, "step", ev->step);
			ib_json_kv_uint(&j, "steps", ev->nsteps);
			ib_json_kv_str(&j, "title", ev->title);
			ib_json_key(&j, "seconds");
			ib_json_double(&j, ev->seconds);
			break;
		case IB_EV_OUTPUT:
			ib_json_kv_str(&j, "event", "output");
			ib_json_kv_str(&j, "format", ev->format);
			ib_json_kv_str(&j, "path", ev->path);
			ib_json_kv_uint(&j, "apparent_bytes", ev->apparent_bytes);
			ib_json_kv_uint(&j, "allocated_bytes", ev->allocated_bytes);
			break;
		case IB_EV_INFO:
			ib_json_kv_str(&j, "event", "info");
			ib_json_kv_str(&j, "message", ev->title);
			break;
		}
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
		fflush(stdout);
		return;
	}
	switch (ev->kind) {
	case IB_EV_STEP_START:
		if (rep->tty)
			fprintf(stderr, "  … [%u/%u] %s", ev->step, ev->nsteps, ev->title);
		else
			fprintf(stderr, "[%u/%u] %s\n", ev->step, ev->nsteps, ev->title);
		break;
	case IB_EV_STEP_DONE:
	case IB_EV_STEP_FAILED:
		if (rep->tty)
			fprintf(stderr, "\r\033[K  %s [%u/%u] %s (%.2f s)\n", ev->kind == IB_EV_STEP_DONE ? "✓" : "✗",
				ev->step, ev->nsteps, ev->title, ev->seconds);
		else
			fprintf(stderr, "[%u/%u] %s: %s (%.2f s)\n", ev->step, ev->nsteps,
				ev->kind == IB_EV_STEP_DONE ? "done" : "FAILED", ev->title, ev->seconds);
		break;
	case IB_EV_OUTPUT: {
		char a[32], b[32];
		printf("%s  %s (%s, %s allocated)\n", ev->format, ev->path,
		       ib_size_format(ev->apparent_bytes, a, sizeof a), ib_size_format(ev->allocated_bytes, b, sizeof b));
		break;
	}
	case IB_EV_INFO: fprintf(stderr, "%s\n", ev->title); break;
	}
	fflush(stderr);
}

static void report_error(const struct ib_error *err, bool json)
{
	if (err->loc.file && err->loc.line)
		fprintf(stderr, "%s:%u:%u: error: %s\n", err->loc.file, err->loc.line, err->loc.col, err->msg);
	else
		fprintf(stderr, "imgbuild: error: %s\n", err->msg ? err->msg : "unknown failure");
	if (!json)
		return;
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "event", "error");
	ib_json_kv_uint(&j, "code", (uint64_t)err->exit_code);
	json_loc(&j, &err->loc);
	ib_json_kv_str(&j, "message", err->msg);
	ib_json_end_object(&j);
	ib_json_flush(&j, stdout);
	ib_json_free(&j);
}

static int cmd_build(int argc, char **argv)
{
	struct cli c = {0};
	int r = parse_args(argc, argv, usage_build, true, &c);
	if (r != 0) {
		free(c.sets);
		return r > 0 ? 0 : IB_EXIT_INPUT;
	}
	if (!c.recipe) {
		fprintf(stderr, "imgbuild build: missing RECIPE\n%s", usage_build);
		return IB_EXIT_INPUT;
	}
	if (c.backend && strcmp(c.backend, "lib") && strcmp(c.backend, "mount") && strcmp(c.backend, "guestfs")) {
		fprintf(stderr, "imgbuild build: unknown backend '%s' (lib, mount or guestfs)\n", c.backend);
		free(c.sets);
		return IB_EXIT_INPUT;
	}
	ib_signals_install();
	struct ib_recipe *rec;
	struct ib_plan *p = load_plan(&c, &rec);
	free(c.sets);
	if (!p)
		return IB_EXIT_INPUT;
	struct reporter rep = {.json = c.json, .tty = isatty(STDERR_FILENO)};
	struct ib_progress prog = {.event = report_event, .ctx = &rep};
	struct ib_build_opts opts = {.out_dir = p->out_dir, .backend = c.backend, .progress = &prog};
	struct ib_error err = {0};
	int code = 0;
	if (ib_build(p, &opts, &err) < 0) {
		report_error(&err, c.json);
		code = err.exit_code ? err.exit_code : IB_EXIT_FAIL;
	}
	if (c.json) {
		struct ib_json j = {0};
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "event", "result");
		ib_json_kv_bool(&j, "ok", code == 0);
		ib_json_kv_uint(&j, "exit_code", (uint64_t)code);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	}
	ib_error_clear(&err);
	ib_plan_free(p);
	ib_recipe_free(rec);
	return code;
}

static int cmd_check(int argc, char **argv)
{
	struct cli c = {0};
	int r = parse_args(argc, argv, usage_check, false, &c);
	free(c.sets);
	if (r != 0)
		return r > 0 ? 0 : IB_EXIT_INPUT;
	static const char *all[] = {"mkfs.fat", "mmd", "mcopy", "mkntfs", "qemu-img", NULL};
	const char **tools = all;
	struct ib_recipe *rec = NULL;
	struct ib_plan *p = NULL;
	if (c.recipe) {
		p = load_plan(&c, &rec);
		if (!p)
			return IB_EXIT_INPUT;
		tools = ib_plan_tools(p);
	}
	struct ib_json j = {0};
	if (c.json) {
		ib_json_begin_object(&j);
		ib_json_key(&j, "checks");
		ib_json_begin_array(&j);
	}
	int missing = 0;
	for (const char **t = tools; *t; t++) {
		char *path = ib_which(*t);
		const char *pkg = ib_tool_package(*t);
		missing += !path;
		if (c.json) {
			ib_json_begin_object(&j);
			ib_json_kv_str(&j, "name", *t);
			ib_json_kv_str(&j, "status", path ? "ok" : "fail");
			ib_json_kv_str(&j, "path", path);
			ib_json_kv_str(&j, "package", pkg);
			ib_json_end_object(&j);
		} else if (path) {
			printf("ok    %-10s %s\n", *t, path);
		} else {
			printf("fail  %-10s not found in PATH; install the Debian package %s\n", *t, pkg ? pkg : "?");
		}
		free(path);
	}
	if (c.json) {
		ib_json_end_array(&j);
		ib_json_kv_bool(&j, "ok", missing == 0);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	}
	ib_plan_free(p);
	ib_recipe_free(rec);
	return missing ? IB_EXIT_ENV : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return IB_EXIT_INPUT;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("imgbuild %s\n", IMGBUILD_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(cmd, "plan"))
		return cmd_plan(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect") || !strcmp(cmd, "diff")) {
		fprintf(stderr, "imgbuild: '%s' is not available in this version yet\n", cmd);
		return IB_EXIT_INPUT;
	}
	fprintf(stderr, "imgbuild: unknown command '%s'\n\n%s", cmd, usage_main);
	return IB_EXIT_INPUT;
}
