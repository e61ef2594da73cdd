// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild check: the environment doctor. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "json.h"
#include "plan.h"
#include "recipe.h"
#include "size.h"
#include "spawn.h"
#include "undo.h"

static const char usage_check[] =
	"usage: imgbuild check [RECIPE] [--json]\n"
	"\n"
	"Check that the external programs imgbuild runs (mkfs.fat, mtools, mkntfs,\n"
	"qemu-img) are installed, or only those RECIPE needs. Exit 3 when any is\n"
	"missing, with the Debian packages that provide them.\n"
	"\n"
	"  --json                print the result as one JSON object\n"
	"  -h, --help            this help\n";

int ib_cmd_check(int argc, char **argv)
{
	struct cli c = {0};
	int r = cli_parse(argc, argv, usage_check, false, &c);
	free(c.sets);
	if (r != 0)
		return r > 0 ? 0 : IB_EXIT_INPUT;
	static const char *all[] = {"mkfs.fat", "mmd", "mcopy", "mkntfs", "qemu-img", NULL};
	const char **tools = all;
	struct ib_recipe *rec = NULL;
	struct ib_plan *p = NULL;
	if (c.recipe) {
		p = cli_load_plan(&c, &rec);
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

