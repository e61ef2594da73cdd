// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild diff: compare two images by manifest. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/error.h"
#include "core/json.h"
#include "inspect/manifest.h"
#include "inspect/read.h"
#include "core/undo.h"

static const char usage_diff[] =
	"usage: imgbuild diff IMAGE_A IMAGE_B [--ignore ids,times] [--json]\n"
	"\n"
	"Compare two images by manifest (see 'imgbuild inspect'): the layout (virtual\n"
	"size, table, partitions), each filesystem, the Windows on NTFS volumes, and the\n"
	"files: added (+), removed (-) and changed (~) with sizes, hashes and mtimes.\n"
	"The container format is not compared: a qcow2 and a raw image with the same\n"
	"content are the same.\n"
	"\n"
	"  --ignore LIST         leave out differences expected between builds that are\n"
	"                        not reproducible: ids (disk and partition GUIDs, MBR\n"
	"                        signature, volume serials), times (mtimes)\n"
	"  --json                one JSON object: {\"a\", \"b\", \"ignore\", \"same\",\n"
	"                        \"differences\": [...]}\n"
	"  -h, --help            this help\n"
	"\n"
	"exit codes: 0 the same, 1 they differ, 2 usage error or an unreadable image,\n"
	"3 qemu-img missing.\n";

enum { OPT_JSON = 1000, OPT_IGNORE };

int ib_cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON}, {"ignore", required_argument, NULL, OPT_IGNORE},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	bool json = false;
	unsigned ignore = 0;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		case OPT_IGNORE: {
			unsigned bits;
			const char *bad;
			size_t badlen;
			if (ib_mf_ignore_parse(optarg, &bits, &bad, &badlen) < 0) {
				fprintf(stderr, "imgbuild diff: --ignore takes ids and times, not '%.*s'\n", (int)badlen, bad);
				return IB_EXIT_INPUT;
			}
			ignore |= bits;
			break;
		}
		case 'h': fputs(usage_diff, stdout); return 0;
		default:
			fprintf(stderr, "imgbuild diff: unknown option or missing value '%s'\n%s", argv[optind - 1],
				usage_diff);
			return IB_EXIT_INPUT;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "imgbuild diff: takes two images\n%s", usage_diff);
		return IB_EXIT_INPUT;
	}
	ib_signals_install();
	struct ib_error err = {0};
	struct ib_manifest *a, *b;
	if (ib_manifest_read(argv[optind], &a, &err) < 0)
		return ib_cmd_report_error("diff", &err, json);
	if (ib_manifest_read(argv[optind + 1], &b, &err) < 0) {
		ib_manifest_free(a);
		return ib_cmd_report_error("diff", &err, json);
	}
	struct ib_mf_diff d;
	ib_manifest_diff(a, b, ignore, &d);
	if (json) {
		struct ib_json j = {0};
		ib_mf_diff_json(&d, a, b, &j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	} else if (d.items.n) {
		ib_mf_diff_print(&d, stdout);
		printf("%zu difference%s\n", d.items.n, d.items.n == 1 ? "" : "s");
	} else {
		printf("the images are the same%s\n",
		       ignore == (IB_MF_IGNORE_IDS | IB_MF_IGNORE_TIMES) ? " (ids and times ignored)"
		       : ignore & IB_MF_IGNORE_IDS			 ? " (ids ignored)"
		       : ignore & IB_MF_IGNORE_TIMES			 ? " (times ignored)"
									 : "");
	}
	int rc = d.items.n ? IB_EXIT_FAIL : 0;
	ib_mf_diff_free(&d);
	ib_manifest_free(a);
	ib_manifest_free(b);
	if (fflush(stdout) != 0)
		rc = IB_EXIT_INPUT;
	return rc;
}
