// SPDX-License-Identifier: GPL-2.0-or-later
/* Subcommands: each is int ib_cmd_NAME(argc, argv) with argv[0] the command
 * name, returning the process exit code. */
#pragma once

int ib_cmd_build(int argc, char **argv);
int ib_cmd_plan(int argc, char **argv);
int ib_cmd_check(int argc, char **argv);
int ib_cmd_inspect(int argc, char **argv);
int ib_cmd_diff(int argc, char **argv);

#include <stdbool.h>

struct ib_error;
/* Print a failure (and with json an "error" event on stdout), clear err, and
 * return the exit code (130/143 after SIGINT/SIGTERM). */
int ib_cmd_report_error(const char *cmd, struct ib_error *err, bool json);
