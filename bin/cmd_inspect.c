// SPDX-License-Identifier: GPL-2.0-or-later
/* imgbuild inspect: an image's manifest, as text or JSON. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/error.h"
#include "core/json.h"
#include "inspect/manifest.h"
#include "inspect/media.h"
#include "inspect/read.h"
#include "core/undo.h"

static const char usage_inspect[] =
	"usage: imgbuild inspect IMAGE|PACKAGE|MEDIA [--json]\n"
	"\n"
	"Print what IMAGE holds: its format and virtual size; the partition table\n"
	"(GPT disk GUID or MBR signature); each partition's number, name, type, GUID,\n"
	"start and size; each filesystem's type, label, serial, sector and cluster size,\n"
	"hidden sectors and geometry; and every file and directory with its size, mtime\n"
	"and sha256; and the Windows an NTFS volume holds (system root, version, build,\n"
	"edition, installation type, product name, architecture, control set, virtio-win\n"
	"folder names; a Windows that cannot be read, e.g. a damaged hive, is listed with\n"
	"the error instead). Reads raw, qcow2, vmdk, vhdx, vpc and any other format qemu-img\n"
	"reads (non-raw images are converted to a temporary raw file in TMPDIR, removed\n"
	"afterwards). NTFS and FAT12/16/32 are listed; other partitions without files.\n"
	"Needs no root and mounts nothing.\n"
	"\n"
	"A PACKAGE (an OVA, an OVF descriptor, a KubeVirt containerDisk) is verified\n"
	"first (its manifest or blob digests; a mismatch is exit 2) and summarised (the\n"
	"virtual machine, the properties); then the disk in it is listed as above.\n"
	"Windows install MEDIA (a WIM or ESD, or an ISO 9660 image holding\n"
	"sources/install.wim or .esd) lists its images: index, name, edition, version,\n"
	"build, architecture and expanded size.\n"
	"\n"
	"  --json                one JSON object: keys in a fixed order, files sorted by\n"
	"                        path; mtime as ISO 8601 UTC and as Unix seconds\n"
	"                        (docs/inspect.md lists every key)\n"
	"  -h, --help            this help\n"
	"\n"
	"exit codes: 0 listed, 2 usage error or a damaged or unreadable image (the\n"
	"message names the byte offset), 3 qemu-img missing.\n";

enum { OPT_JSON = 1000 };

int ib_cmd_report_error(const char *cmd, struct ib_error *err, bool json)
{
	int sig = ib_interrupted();
	int code = sig == SIGINT ? IB_EXIT_SIGINT : sig == SIGTERM ? IB_EXIT_SIGTERM : err->exit_code;
	if (!code)
		code = IB_EXIT_FAIL;
	fprintf(stderr, "imgbuild %s: %s\n", cmd, err->msg ? err->msg : "failed");
	if (json) {
		struct ib_json j = {0};
		ib_json_begin_object(&j);
		ib_json_kv_str(&j, "event", "error");
		ib_json_kv_uint(&j, "code", (uint64_t)code);
		ib_json_kv_str(&j, "message", err->msg);
		ib_json_end_object(&j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	}
	ib_error_clear(err);
	return code;
}

int ib_cmd_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, OPT_JSON}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	bool json = false;
	optind = 1;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		case 'h': fputs(usage_inspect, stdout); return 0;
		default:
			fprintf(stderr, "imgbuild inspect: unknown option '%s'\n%s", argv[optind - 1], usage_inspect);
			return IB_EXIT_INPUT;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "imgbuild inspect: %s\n%s", argc - optind ? "takes one IMAGE" : "missing IMAGE",
			usage_inspect);
		return IB_EXIT_INPUT;
	}
	ib_signals_install();
	struct ib_error err = {0};
	/* Windows install media: the images it holds, not a disk. */
	if (ib_media_is(argv[optind])) {
		struct ib_wim *md = NULL;
		if (ib_wim_open(argv[optind], &md, &err) < 0)
			return ib_cmd_report_error("inspect", &err, json);
		if (json) {
			struct ib_json j = {0};
			ib_media_json(md, &j);
			ib_json_flush(&j, stdout);
			ib_json_free(&j);
		} else {
			ib_media_print(md, stdout);
		}
		ib_wim_close(md);
		return fflush(stdout) == 0 ? 0 : IB_EXIT_FAIL;
	}
	struct ib_manifest *m;
	if (ib_manifest_read(argv[optind], &m, &err) < 0)
		return ib_cmd_report_error("inspect", &err, json);
	if (json) {
		struct ib_json j = {0};
		ib_manifest_json(m, &j);
		ib_json_flush(&j, stdout);
		ib_json_free(&j);
	} else {
		ib_manifest_print(m, stdout);
	}
	ib_manifest_free(m);
	return fflush(stdout) == 0 ? 0 : IB_EXIT_FAIL;
}
