// SPDX-License-Identifier: GPL-2.0-or-later
/* The imgbuild CLI entry point: dispatches to the subcommands (cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "platform/platform.h"
#include "core/error.h"
#include "core/version.h"

static const char usage_main[] =
	"usage: imgbuild COMMAND [ARGS]\n"
	"\n"
	"Turn a declarative recipe.yml into disk images (GPT/MBR, FAT, NTFS; raw, qcow2,\n"
	"vmdk, vhdx, vpc), rootless.\n"
	"\n"
	"commands:\n"
	"  build RECIPE [-o DIR] [--backend lib|mount] [--set KEY=VALUE]... [--manifest] [--json]\n"
	"                        build the images the recipe describes\n"
	"  plan RECIPE [-o DIR] [--backend lib|mount] [--set KEY=VALUE]... [--json]\n"
	"                        print the resolved layout and steps; touches nothing\n"
	"  check [RECIPE] [-o DIR] [--backend lib|mount] [--canary] [--json]\n"
	"                        environment doctor: tools and versions, loop devices,\n"
	"                        FUSE (illumos: the fuse module's ABI), free space\n"
	"  inspect IMAGE [--json]\n"
	"                        list partitions, filesystems and files with sha256\n"
	"  diff IMAGE_A IMAGE_B [--ignore ids,times] [--json]\n"
	"                        compare two images by manifest; exit 1 when they differ\n"
	"\n"
	"Run 'imgbuild COMMAND --help' for a command's options.\n"
	"exit codes: 0 success, 1 build failure, 2 usage or input error, 3 environment\n"
	"check failed, 130/143 interrupted by SIGINT/SIGTERM.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return IB_EXIT_INPUT;
	}
	const char *cmd = argv[1];
	/* The platform (host, or IMGBUILD_PLATFORM) decides how missing
	 * programs are named: Debian packages, or illumos's base system and pkg. */
	(void)ib_platform();
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("imgbuild %s\n", IMGBUILD_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "build"))
		return ib_cmd_build(argc - 1, argv + 1);
	if (!strcmp(cmd, "plan"))
		return ib_cmd_plan(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return ib_cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "inspect"))
		return ib_cmd_inspect(argc - 1, argv + 1);
	if (!strcmp(cmd, "diff"))
		return ib_cmd_diff(argc - 1, argv + 1);
	fprintf(stderr, "imgbuild: unknown command '%s'\n\n%s", cmd, usage_main);
	return IB_EXIT_INPUT;
}
