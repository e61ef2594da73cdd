// SPDX-License-Identifier: GPL-2.0-or-later
/* Subcommands: each is int ib_cmd_NAME(argc, argv) with argv[0] the command
 * name, returning the process exit code. */
#pragma once

int ib_cmd_build(int argc, char **argv);
int ib_cmd_plan(int argc, char **argv);
int ib_cmd_check(int argc, char **argv);
