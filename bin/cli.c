// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

enum { OPT_JSON = 1000, OPT_BACKEND, OPT_SET, OPT_MANIFEST, OPT_WAIT };

/* Parse the options every subcommand shares; returns -1 on a usage error,
 * 1 when help was printed. */
int cli_parse(int argc, char **argv, const char *usage, unsigned opts, struct cli *c)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'}, {"json", no_argument, NULL, OPT_JSON},
		{"manifest", no_argument, NULL, OPT_MANIFEST}, {"wait", no_argument, NULL, OPT_WAIT},
		{"backend", required_argument, NULL, OPT_BACKEND}, {"set", required_argument, NULL, OPT_SET},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o':
		case OPT_BACKEND:
			if (!(opts & CLI_OUT)) {
				fprintf(stderr, "imgbuild: option '%s' is only for 'build' and 'plan'\n", argv[optind - 1]);
				return -1;
			}
			if (ch == 'o') {
				c->out_dir = optarg;
			} else {
				if (ib_backend_parse(optarg, &c->backend) < 0) {
					fprintf(stderr, "imgbuild: unknown backend '%s' (lib, mount or guestfs)\n", optarg);
					return -1;
				}
			}
			break;
		case OPT_JSON: c->json = true; break;
		case OPT_MANIFEST:
			if (!(opts & CLI_BUILD)) {
				fprintf(stderr, "imgbuild: option '--manifest' is only for 'build'\n");
				return -1;
			}
			c->manifest = true;
			break;
		case OPT_WAIT:
			if (!(opts & CLI_BUILD)) {
				fprintf(stderr, "imgbuild: option '--wait' is only for 'build'\n");
				return -1;
			}
			c->wait = true;
			break;
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

void cli_json_loc(struct ib_json *j, const struct ib_loc *loc)
{
	if (!loc->file)
		return;
	ib_json_kv_str(j, "file", loc->file);
	if (loc->line) {
		ib_json_kv_uint(j, "line", loc->line);
		ib_json_kv_uint(j, "col", loc->col);
	}
}

void cli_print_diags(const struct ib_diags *d, bool json)
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
		cli_json_loc(&j, &g->loc);
		ib_json_kv_str(&j, "message", g->msg);
		if (g->hint)
			ib_json_kv_str(&j, "hint", g->hint);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
	}
	ib_json_free(&j);
}

/* Recipe -> plan, printing every input error. */
int cli_parse_recipe(int argc, char **argv, const char *cmd, const char *usage, unsigned opts, struct cli *c)
{
	int r = cli_parse(argc, argv, usage, opts, c);
	if (r == 0 && !c->recipe) {
		fprintf(stderr, "imgbuild %s: missing RECIPE\n%s", cmd, usage);
		r = -1;
	}
	if (r == 0)
		return -1;
	free(c->sets);
	c->sets = NULL;
	return r > 0 ? 0 : IB_EXIT_INPUT;
}

struct ib_plan *cli_load_plan(const struct cli *c, struct ib_recipe **rp)
{
	struct ib_diags d = {0};
	struct ib_recipe *r = ib_recipe_load(c->recipe, c->sets, c->nsets, &d);
	struct ib_plan *p = r ? ib_plan_make(r, c->out_dir ? c->out_dir : "out", &d) : NULL;
	if (d.list.n)
		cli_print_diags(&d, c->json);
	ib_diags_free(&d);
	if (!p) {
		ib_recipe_free(r);
		r = NULL;
	}
	*rp = r;
	return p;
}

