// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild build: run the plan, report progress and outputs. */
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
#include "inspect/manifest.h"
#include "plan/plan.h"
#include "recipe/recipe.h"
#include "core/size.h"
#include "core/spawn.h"
#include "core/undo.h"

static const char usage_build[] =
	"usage: imgbuild build RECIPE [-o DIR] [--backend lib|mount] [--set KEY=VALUE]... [--manifest]\n"
	"                      [--wait] [--json]\n"
	"\n"
	"Build every output of RECIPE into DIR (default ./out) as DIR/<name>.<ext>.\n"
	"Nothing is written before the whole recipe has validated. The outputs appear\n"
	"as one set: all from this build or, if it fails, is interrupted or killed, all\n"
	"as before (a killed build's set is completed by the next build into DIR); no\n"
	"temporary file is left behind. One build at a time writes into a DIR.\n"
	"\n"
	"  -o, --output DIR      output directory (created if missing)\n"
	"  --backend NAME        volume backend: lib (default: rootless, libntfs-3g and\n"
	"                        mtools) or mount (root: NTFS through a loop/lofi device\n"
	"                        and an ntfs-3g mount, as done by hand; see docs/backends.md)\n"
	"  --set KEY=VALUE       override a recipe value, e.g. --set disk.size=16GiB\n"
	"  --manifest            also write DIR/<name>.manifest.json: the image's manifest\n"
	"                        as `imgbuild inspect --json` prints it (docs/inspect.md)\n"
	"  --wait                when another build is writing into DIR, wait for it\n"
	"                        (default: fail at once, exit 1)\n"
	"  --json                one JSON object per line on stdout (events, outputs, errors),\n"
	"                        ending with the manifest of what was built and the result\n"
	"  -h, --help            this help\n"
	"\n"
	"Reproducible mode (bit-identical outputs for the same recipe and inputs) is on\n"
	"when the recipe has `reproducible: { epoch, seed }` or SOURCE_DATE_EPOCH is set\n"
	"(it overrides the recipe's epoch; without reproducible: the seed is empty and\n"
	"the identifiers derive from the recipe name). Every time in the image is the\n"
	"epoch (files applied from install media keep the image's own times); every\n"
	"GUID, serial and signature derives from the seed. See docs/recipe.md,\n"
	"\"Reproducible builds\".\n";

/* Progress: terminal lines with ✓/✗, plain lines, or JSON lines. */
struct reporter {
	bool json, tty;
};

static void report_event(void *ctx, const struct ib_event *ev)
{
	struct reporter *rep = ctx;
	if (rep->json && ev->kind == IB_EV_WINDOWS) {
		/* The injector's report is one JSON object already. */
		printf("{\"event\":\"windows\",\"report\":%s}\n", ev->report_json ? ev->report_json : "null");
		fflush(stdout);
		return;
	}
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
		case IB_EV_PROGRESS:
			ib_json_kv_str(&j, "event", "progress");
			ib_json_kv_uint(&j, "step", ev->step);
			ib_json_kv_uint(&j, "steps", ev->nsteps);
			ib_json_key(&j, "percent");
			ib_json_double(&j, ev->percent);
			if (ev->phase) { /* an image being applied */
				ib_json_kv_str(&j, "phase", ev->phase);
				ib_json_kv_uint(&j, "bytes", ev->done_bytes);
				ib_json_kv_uint(&j, "total_bytes", ev->total_bytes);
				ib_json_kv_uint(&j, "files", ev->done_files);
				ib_json_kv_uint(&j, "total_files", ev->total_files);
			}
			break;
		case IB_EV_WINDOWS: break; /* above */
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
	case IB_EV_PROGRESS: /* on a terminal: the step's line with its percent; else quiet */
		if (rep->tty)
			ev->phase ? fprintf(stderr, "\r\033[K  … [%u/%u] %s: %s %" PRIu64 "/%" PRIu64 " MiB, %" PRIu64 "/%" PRIu64 " files",
					    ev->step, ev->nsteps, ev->title, ev->phase, ev->done_bytes >> 20, ev->total_bytes >> 20,
					    ev->done_files, ev->total_files)
				  : fprintf(stderr, "\r\033[K  … [%u/%u] %s (%.0f%%)", ev->step, ev->nsteps, ev->title,
					    ev->percent);
		break;
	case IB_EV_WINDOWS: {
		/* Mid-step: on a terminal, clear the pending step line first. */
		const char *t = ev->report_text ? ev->report_text : "";
		size_t n = strlen(t);
		fprintf(stderr, "%s%s%s", rep->tty ? "\r\033[K" : "", t, n && t[n - 1] != '\n' ? "\n" : "");
		break;
	}
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
	cli_json_loc(&j, &err->loc);
	ib_json_kv_str(&j, "message", err->msg);
	ib_json_end_object(&j);
	ib_json_flush(&j, stdout);
	ib_json_free(&j);
}

int ib_cmd_build(int argc, char **argv)
{
	struct cli c = {0};
	int code = cli_parse_recipe(argc, argv, "build", usage_build, CLI_OUT | CLI_BUILD, &c);
	if (code >= 0)
		return code;
	ib_signals_install();
	struct ib_recipe *rec;
	struct ib_plan *p = cli_load_plan(&c, &rec);
	free(c.sets);
	if (!p)
		return IB_EXIT_INPUT;
	ib_plan_use_backend(p, c.backend);
	struct reporter rep = {.json = c.json, .tty = isatty(STDERR_FILENO)};
	struct ib_progress prog = {.event = report_event, .ctx = &rep};
	struct ib_manifest *manifest = NULL;
	struct ib_build_opts opts = {.out_dir = p->out_dir,
				     .progress = &prog,
				     .manifest = c.json ? &manifest : NULL,
				     .write_manifest = c.manifest,
				     .wait = c.wait};
	struct ib_error err = {0};
	code = 0;
	if (ib_build(p, &opts, &err) < 0) {
		report_error(&err, c.json);
		code = err.exit_code ? err.exit_code : IB_EXIT_FAIL;
	}
	if (c.json && manifest) {
		struct ib_json j = {0};
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "event", "manifest");
		ib_json_key(&j, "manifest");
		ib_manifest_json(manifest, &j);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	}
	ib_manifest_free(manifest);
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

