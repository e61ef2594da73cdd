// SPDX-License-Identifier: GPL-2.0-or-later
/* The one way imgbuild runs external programs: posix_spawnp with an argv
 * array (never a shell), stderr captured for the error message, the exit
 * status and any killing signal decoded, and SIGINT/SIGTERM honoured while
 * waiting (the child is killed and the call fails as interrupted). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct ib_spawn_opts {
	bool capture_stdout;      /* collect stdout into result->out */
	const char *const *env;   /* extra "NAME=VALUE" entries, NULL-terminated; may be NULL */
	int stdin_fd;             /* -1 (or 0 in a zeroed struct): /dev/null */
	/* Called with each piece of stdout as it arrives (qemu-img -p's
	 * progress); may be NULL. */
	void (*on_stdout)(void *ctx, const char *data, size_t n);
	void *on_stdout_ctx;
};

struct ib_spawn_result {
	int exit_status; /* valid when term_signal == 0 */
	int term_signal; /* the signal that killed the child, or 0 */
	char *out;       /* captured stdout (NUL-terminated) when asked, else NULL */
	char *err;       /* captured stderr (NUL-terminated, at most 64 KiB kept) */
};

/* Run argv[0] (found in PATH) and wait for it. Returns 0 only if it exited
 * with status 0. Otherwise returns -1 and sets err (exit code 1) to a message
 * like "mkntfs exited with status 1: <its stderr>" or "mkntfs was killed by
 * signal 9 (Killed)"; a missing program gives exit code 3 and "mkntfs: program
 * not found in PATH (install the Debian package ntfs-3g)"; SIGINT/SIGTERM
 * while waiting stops the child and gives exit code 130/143. result may be
 * NULL; if given, the caller frees it with ib_spawn_result_free. */
int ib_spawn(const char *const *argv, const struct ib_spawn_opts *opts, struct ib_spawn_result *result,
	     struct ib_error *err);
void ib_spawn_result_free(struct ib_spawn_result *r);

/* A program that runs beside the build (a server such as qemu-nbd), started
 * the same way and in the same guarded process group as every child, so it
 * dies with imgbuild even on SIGKILL. Its stdout goes to /dev/null and its
 * stderr to stderr_path, read back for messages. */
struct ib_bg;
int ib_spawn_bg(const char *const *argv, const char *stderr_path, struct ib_bg **out, struct ib_error *err);
/* Still running: true. Ended: false, with err saying how (and its stderr). */
bool ib_bg_running(struct ib_bg *bg, struct ib_error *err);
/* SIGTERM, up to timeout_ms for it to end, then SIGKILL; reaped and freed
 * (NULL is fine). 0 when it ended on the SIGTERM or with status 0; -1 with
 * err otherwise. */
int ib_bg_stop(struct ib_bg *bg, long timeout_ms, struct ib_error *err);

/* Look a program up in PATH; returns a malloc'd absolute path or NULL. */
char *ib_which(const char *prog);
/* The Debian package that provides prog, or NULL if unknown. */
const char *ib_tool_package(const char *prog);

/* How a missing program is installed on this system: Debian's apt-get by
 * default; platform code installs another (illumos: pkg, the base system). */
struct ib_pkg_system {
	const char *name;    /* "Debian" */
	const char *install; /* "apt-get install" */
	/* The whole remedy for a missing program (malloc'd); NULL: from the
	 * Debian table. */
	char *(*remedy)(const char *prog);
};
void ib_tools_set_system(const struct ib_pkg_system *s); /* NULL: Debian */
const struct ib_pkg_system *ib_tools_system(void);
/* "install the Debian package mtools (apt-get install mtools)", or the
 * installed system's words. Malloc'd. */
char *ib_tool_remedy(const char *prog);
/* Check that every program in progs (NULL-terminated) is in PATH. Reports all
 * missing ones at once in err (exit code 3) and returns -1 if any is missing. */
int ib_tools_check(const char *const *progs, struct ib_error *err);
/* Render argv as a human-readable command line (quoted where needed), for
 * plans and logs only: it is never executed. */
char *ib_argv_format(const char *const *argv);
