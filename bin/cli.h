// SPDX-License-Identifier: GPL-2.0-or-later
/* What the subcommands share: option parsing, recipe loading, diagnostics. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/json.h"
#include "plan/plan.h"
#include "recipe/recipe.h"

struct cli {
	const char *recipe;
	const char *out_dir;
	enum ib_backend backend; /* parsed once, here */
	const char **sets;
	size_t nsets;
	bool json;
	bool manifest; /* build --manifest */
	bool wait;     /* build --wait */
};

/* Which of the shared options a command takes (the others are usage errors). */
enum cli_opts {
	CLI_OUT = 1 << 0,   /* -o DIR, --backend */
	CLI_BUILD = 1 << 1, /* --manifest, --wait */
};
/* Parse the options the subcommands share; -1 on a usage error (printed),
 * 1 when help was printed, 0 to go on. opts: enum cli_opts. */
int cli_parse(int argc, char **argv, const char *usage, unsigned opts, struct cli *c);
/* cli_parse for a command that needs RECIPE. Returns -1 to go on, or the
 * exit code to return at once (0 after --help, 2 on a usage error). */
int cli_parse_recipe(int argc, char **argv, const char *cmd, const char *usage, unsigned opts, struct cli *c);
/* Recipe -> plan, printing every input error (and JSON error events). */
struct ib_plan *cli_load_plan(const struct cli *c, struct ib_recipe **rp);
void cli_print_diags(const struct ib_diags *d, bool json);
void cli_json_loc(struct ib_json *j, const struct ib_loc *loc);
