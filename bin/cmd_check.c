// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild check: the environment doctor. Every check runs and is printed
 * at once, each ok / warn / fail with what was found and, when not ok, what
 * to do about it. Exit 3 when any check fails; warnings do not fail. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "core/error.h"
#include "core/json.h"
#include "plan/plan.h"
#include "platform/platform.h"
#include "recipe/recipe.h"
#include "vol/mount.h"
#include "core/size.h"
#include "core/spawn.h"

static const char usage_check[] =
	"usage: imgbuild check [RECIPE] [-o DIR] [--backend lib|mount] [--canary] [--fix] [--json]\n"
	"\n"
	"Check the environment: the external programs imgbuild runs and their versions\n"
	"(only those RECIPE needs, when given), loop devices (lofi on illumos), the FUSE\n"
	"driver (on illumos: its struct vnode against the kernel's), and with RECIPE the\n"
	"free space for its outputs. Exit 3 when any check fails; warnings pass.\n"
	"Without root, loop and FUSE problems are warnings: the default backend needs\n"
	"neither (they fail with --backend mount).\n"
	"\n"
	"  -o, --output DIR      where the outputs would go (default: out)\n"
	"  --backend NAME        the backend to check for (lib, mount)\n"
	"  --fix                 release what dead builds left (mounts, ntfs-3g daemons, loop\n"
	"                        or lofi devices anywhere; work dirs and temporary outputs in\n"
	"                        DIR), saying what was released; without it they are listed\n"
	"                        with the command that releases each\n"
	"  --canary              also mount a tiny NTFS image with ntfs-3g, write and read\n"
	"                        a file, and report the exact error of any step\n"
	"  --set KEY=VALUE       override a recipe value\n"
	"  --json                print the result as one JSON object\n"
	"  -h, --help            this help\n";

struct check_opts {
	struct cli cli;
	enum ib_backend backend;
	bool canary;
	bool fix;
};

enum { OPT_JSON = 1000, OPT_BACKEND, OPT_SET, OPT_CANARY, OPT_PLATFORM, OPT_FIX };

static int parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},     {"json", no_argument, NULL, OPT_JSON},
		{"backend", required_argument, NULL, OPT_BACKEND}, {"set", required_argument, NULL, OPT_SET},
		{"canary", no_argument, NULL, OPT_CANARY},    {"platform", required_argument, NULL, OPT_PLATFORM},
		{"fix", no_argument, NULL, OPT_FIX},          {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	int ch;
	struct ib_error err = {0};
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->cli.out_dir = optarg; break;
		case OPT_JSON: o->cli.json = true; break;
		case OPT_BACKEND:
			if (ib_backend_parse(optarg, &o->backend) < 0) {
				fprintf(stderr, "imgbuild: unknown backend '%s' (lib, mount, guestfs)\n", optarg);
				return -1;
			}
			break;
		case OPT_SET:
			if (!strchr(optarg, '=')) {
				fprintf(stderr, "imgbuild: --set takes KEY=VALUE, got '%s'\n", optarg);
				return -1;
			}
			o->cli.sets = ib_xrealloc(o->cli.sets, (o->cli.nsets + 1) * sizeof(*o->cli.sets));
			o->cli.sets[o->cli.nsets++] = optarg;
			break;
		case OPT_CANARY: o->canary = true; break;
		case OPT_FIX: o->fix = true; break;
		case OPT_PLATFORM:
			if (ib_platform_select(optarg, &err) < 0) {
				fprintf(stderr, "imgbuild: %s\n", err.msg);
				ib_error_clear(&err);
				return -1;
			}
			break;
		case 'h': fputs(usage_check, stdout); return 1;
		default:
			fprintf(stderr, "imgbuild: unknown option '%s'\n%s", argv[optind - 1], usage_check);
			return -1;
		}
	}
	if (optind < argc)
		o->cli.recipe = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "imgbuild: unexpected argument '%s'\n%s", argv[optind], usage_check);
		return -1;
	}
	return 0;
}

/* How to ask each tool for its version: mkfs.fat has no --version but
 * prints it first in its help; the others know --version. */
static const char *version_flag(const char *tool)
{
	return !strcmp(tool, "mkfs.fat") ? "--help" : "--version";
}

/* The first non-empty line of text holding a digit. */
static char *version_line(const char *text)
{
	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");
		if (memchr(l, '.', n) && strpbrk(l, "0123456789") && (size_t)(strpbrk(l, "0123456789") - l) < n) {
			while (n && (l[n - 1] == '\r' || l[n - 1] == ' '))
				n--;
			return ib_xstrndup(l, n);
		}
		l += n;
		while (*l == '\n')
			l++;
	}
	return NULL;
}

static char *tool_version(const char *tool)
{
	const char *argv[] = {tool, version_flag(tool), NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	struct ib_error e = {0};
	ib_spawn(argv, &o, &res, &e); /* some print it with a non-zero status */
	char *v = version_line(res.out);
	if (!v)
		v = version_line(res.err);
	ib_error_clear(&e);
	ib_spawn_result_free(&res);
	return v;
}

static void tool_checks(const char *const *tools, struct ib_checks *out)
{
	for (const char *const *t = tools; *t; t++) {
		_cleanup_free_ char *path = ib_which(*t);
		if (!path) {
			_cleanup_free_ char *remedy = ib_tool_remedy(*t);
			ib_checks_add(out, "tools", *t, IB_CHECK_FAIL, remedy, "not found in PATH");
			continue;
		}
		_cleanup_free_ char *v = tool_version(*t);
		if (v)
			ib_checks_add(out, "tools", *t, IB_CHECK_OK, NULL, "%s: %s", path, v);
		else
			ib_checks_add(out, "tools", *t, IB_CHECK_OK, NULL, "%s (version unknown)", path);
	}
}

/* The nearest existing directory at or above dir. */
static char *existing_dir(const char *dir)
{
	char *d = ib_xstrdup(dir);
	while (access(d, F_OK) < 0) {
		char *slash = strrchr(d, '/');
		if (!slash) {
			free(d);
			return ib_xstrdup(".");
		}
		if (slash == d) {
			d[1] = 0;
			break;
		}
		*slash = 0;
	}
	return d;
}

/* Free space for the recipe's outputs. The work image (and a raw output,
 * a hard link to it) is sparse: the disk size bounds it, the data it holds
 * is what it really takes; other formats are bounded by the disk size too. */
static void space_check(const struct ib_plan *p, const char *out_dir, struct ib_checks *out)
{
	_cleanup_free_ char *dir = existing_dir(out_dir);
	struct statvfs vfs;
	if (statvfs(dir, &vfs) < 0) {
		ib_checks_add(out, "space", "free space", IB_CHECK_WARN, NULL, "cannot statvfs %s: %s", dir,
			      strerror(errno));
		return;
	}
	uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	uint64_t data = 0;
	for (size_t i = 0; i < p->nparts; i++)
		data += p->parts[i].bytes;
	/* Filesystem metadata: a generous few MiB per partition. */
	data += (uint64_t)p->nparts * (16u << 20);
	size_t nconv = 0;
	for (size_t i = 0; i < p->recipe->noutputs; i++)
		nconv += p->recipe->outputs[i].format != IB_OUT_RAW;
	uint64_t bound = p->disk_size * (1 + nconv);
	uint64_t likely = data * (1 + nconv);
	char a[32], d[32], b[32], l[32];
	ib_size_format(avail, a, sizeof(a));
	ib_size_format(p->disk_size, d, sizeof(d));
	ib_size_format(bound, b, sizeof(b));
	ib_size_format(likely, l, sizeof(l));
	if (avail >= bound)
		ib_checks_add(out, "space", "free space", IB_CHECK_OK, NULL,
			      "%s free in %s; at most %s needed (the raw image is sparse: at most %s, %zu converted "
			      "output(s) at most %s each)",
			      a, dir, b, d, nconv, d);
	else if (avail >= likely)
		ib_checks_add(out, "space", "free space", IB_CHECK_WARN,
			      "free some space if the build fails with ENOSPC",
			      "%s free in %s: enough for the data (about %s), less than the worst case %s (the raw "
			      "image is sparse, bounded by the disk size %s)",
			      a, dir, l, b, d);
	else
		ib_checks_add(out, "space", "free space", IB_CHECK_FAIL,
			      "free space there or choose another output directory with -o",
			      "%s free in %s, the outputs need about %s (worst case %s)", a, dir, l, b);
}

/* Devices this tool attached: those of dead builds are reported. */
static void stale_checks(struct ib_checks *out)
{
	struct ib_attached_list l = {0};
	struct ib_error e = {0};
	if (ib_platform_list(&l, &e) < 0) {
		ib_checks_add(out, "loop", "leftover devices", IB_CHECK_WARN, NULL, "cannot list devices: %s", e.msg);
		ib_error_clear(&e);
		return;
	}
	size_t dead = 0;
	for (size_t i = 0; i < l.list.n; i++) {
		const struct ib_attached_dev *d = &l.list.v[i];
		if (d->alive)
			continue;
		dead++;
		_cleanup_free_ char *remedy = ib_xasprintf(
			"imgbuild check --fix (or any build) releases it; or by hand: %s %s",
			ib_platform() == IB_PLATFORM_ILLUMOS ? "lofiadm -d" : "losetup -d", d->dev);
		ib_checks_add(out, "loop", "leftover devices", IB_CHECK_WARN, remedy,
			      "%s (%s) left by build %ld (dead)", d->dev, d->file, d->pid);
	}
	if (!dead)
		ib_checks_add(out, "loop", "leftover devices", IB_CHECK_OK, NULL,
			      "no device left by a dead build (%zu attached by running builds)", l.list.n);
	ib_attached_list_free(&l);
	struct ib_stale_mount *m = NULL;
	size_t nm = ib_mount_stale_mounts(&m);
	for (size_t i = 0; i < nm; i++) {
		_cleanup_free_ char *remedy =
			ib_xasprintf("imgbuild check --fix releases it; or by hand: umount %s", m[i].dir);
		ib_checks_add(out, "loop", "leftover mounts", IB_CHECK_WARN, remedy, "%s left by build %ld (dead)",
			      m[i].dir, m[i].pid);
	}
	if (!nm)
		ib_checks_add(out, "loop", "leftover mounts", IB_CHECK_OK, NULL, "no mount left by a dead build");
	ib_stale_mounts_free(m, nm);
}

/* check --fix: what release_stale says, one line each. */
static void say_released(void *ctx, const struct ib_event *ev)
{
	(void)ctx;
	if (ev->kind == IB_EV_INFO && ev->title)
		printf("fixed: %s\n", ev->title);
}

/* Without root the default backend needs no loop device and no FUSE. */
static void soften(struct ib_checks *c, size_t from)
{
	for (size_t i = from; i < c->list.n; i++) {
		struct ib_check *k = &c->list.v[i];
		if (k->status != IB_CHECK_FAIL)
			continue;
		k->status = IB_CHECK_WARN;
		char *r = ib_xasprintf("%s%sneeded only for --backend mount", k->remedy ? k->remedy : "",
				       k->remedy ? "; " : "");
		free(k->remedy);
		k->remedy = r;
	}
}

static void print_text(const struct ib_checks *c, const char *sysroot)
{
	printf("platform %s, sysroot %s\n", ib_platform_name(ib_platform()), *sysroot ? sysroot : "/");
	for (size_t i = 0; i < c->list.n; i++) {
		const struct ib_check *k = &c->list.v[i];
		printf("%-5s %-6s %-18s %s\n", ib_check_status_name(k->status), k->group, k->name, k->found);
		if (k->status != IB_CHECK_OK && k->remedy)
			printf("%32s-> %s\n", "", k->remedy);
	}
	size_t w = ib_checks_count(c, IB_CHECK_WARN), f = ib_checks_count(c, IB_CHECK_FAIL);
	printf("%zu ok, %zu warning(s), %zu failed\n", ib_checks_count(c, IB_CHECK_OK), w, f);
}

static void print_json(const struct ib_checks *c, const char *sysroot)
{
	struct ib_json j = {0};
	ib_json_begin_object(&j);
	ib_json_kv_str(&j, "platform", ib_platform_name(ib_platform()));
	ib_json_kv_str(&j, "sysroot", *sysroot ? sysroot : "/");
	ib_json_key(&j, "checks");
	ib_json_begin_array(&j);
	for (size_t i = 0; i < c->list.n; i++) {
		const struct ib_check *k = &c->list.v[i];
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "group", k->group);
		ib_json_kv_str(&j, "name", k->name);
		ib_json_kv_str(&j, "status", ib_check_status_name(k->status));
		ib_json_kv_str(&j, "found", k->found);
		ib_json_kv_str(&j, "remedy", k->remedy);
		ib_json_end_object(&j);
	}
	ib_json_end_array(&j);
	ib_json_kv_uint(&j, "warnings", ib_checks_count(c, IB_CHECK_WARN));
	ib_json_kv_uint(&j, "failures", ib_checks_count(c, IB_CHECK_FAIL));
	ib_json_kv_bool(&j, "ok", ib_checks_count(c, IB_CHECK_FAIL) == 0);
	ib_json_end_object(&j);
	ib_json_flush(&j, stdout);
	ib_json_free(&j);
}

int ib_cmd_check(int argc, char **argv)
{
	struct check_opts o = {0};
	int r = parse(argc, argv, &o);
	if (r != 0) {
		free(o.cli.sets);
		return r > 0 ? 0 : IB_EXIT_INPUT;
	}
	static const char *all[] = {"mkfs.fat", "mmd", "mcopy", "mkntfs", "qemu-img", NULL};
	const char *const *tools = all;
	struct ib_recipe *rec = NULL;
	struct ib_plan *p = NULL;
	if (o.cli.recipe) {
		p = cli_load_plan(&o.cli, &rec);
		if (!p) {
			free(o.cli.sets);
			return IB_EXIT_INPUT;
		}
		ib_plan_use_backend(p, o.backend);
		tools = ib_plan_tools(p);
	}
	if (o.fix) {
		/* Released first, so the checks below show what is left. */
		struct ib_progress pr = {.event = say_released};
		int n = ib_mount_release_stale(o.cli.out_dir ? o.cli.out_dir : "out", &pr);
		if (!o.cli.json)
			printf("fixed: %d thing%s released\n", n, n == 1 ? "" : "s");
	}
	bool strict = o.backend == IB_BACKEND_MOUNT || geteuid() == 0;
	struct ib_checks c = {0};
	tool_checks(tools, &c);
	size_t dev_from = c.list.n;
	ib_platform_loop_checks(&c);
	stale_checks(&c);
	ib_platform_fuse_checks(NULL, &c);
	bool fuse_failed = false;
	for (size_t i = dev_from; i < c.list.n; i++)
		fuse_failed |= c.list.v[i].status == IB_CHECK_FAIL && !strcmp(c.list.v[i].group, "fuse");
	if (o.canary && fuse_failed) {
		ib_checks_add(&c, "fuse", "canary mount", IB_CHECK_WARN, "fix the FUSE failures above first",
			      "not attempted: the FUSE checks failed");
	} else if (o.canary) {
		struct ib_error e = {0};
		if (ib_platform_canary(NULL, &e) == 0)
			ib_checks_add(&c, "fuse", "canary mount", IB_CHECK_OK, NULL,
				      "8 MiB NTFS attached, mounted with ntfs-3g, a file written and read back, "
				      "unmounted, detached");
		else
			ib_checks_add(&c, "fuse", "canary mount", IB_CHECK_FAIL, NULL, "%s", e.msg);
		ib_error_clear(&e);
	}
	if (!strict)
		soften(&c, dev_from);
	if (p)
		space_check(p, o.cli.out_dir ? o.cli.out_dir : "out", &c);

	if (o.cli.json)
		print_json(&c, ib_sysroot());
	else
		print_text(&c, ib_sysroot());
	int code = ib_checks_count(&c, IB_CHECK_FAIL) ? IB_EXIT_ENV : 0;
	ib_checks_free(&c);
	ib_plan_free(p);
	ib_recipe_free(rec);
	free(o.cli.sets);
	return code;
}
