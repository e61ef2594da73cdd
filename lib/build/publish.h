// SPDX-License-Identifier: GPL-2.0-or-later
/* Putting a build's outputs in place as one set, and the output directory's
 * lock.
 *
 * The guarantee: after a build, the outputs of one recipe in a directory are
 * either all from that build or all as they were before it, also when the
 * build fails, is interrupted, or is killed (SIGKILL, power loss after the
 * files reached the disk) while it renames them. How: every output is
 * complete and fsynced under a temporary name first; a journal naming each
 * (temporary, final, backup) is written and fsynced; each existing final is
 * hard-linked to its backup; then the temporary names are renamed over the
 * finals. A failure during the renames rolls back from the backups. A build
 * killed then leaves the journal, and the next build into that directory (or
 * `imgbuild check --fix`) rolls it forward: every temporary file named there
 * was complete, so the set becomes the new one. */
#pragma once

#include <stdio.h>

#include "core/error.h"

struct ib_publish_item {
	char *tmp;   /* complete and fsynced, in out_dir */
	char *final; /* in out_dir */
};

/* Rename every item into place as one set (see above). journal is the
 * journal's path in out_dir (named after the build's pid so a later run can
 * tell a dead build's journal). 0, or -1 with err after rolling back. */
int ib_publish(const char *out_dir, const char *journal, const struct ib_publish_item *items, size_t n,
	       struct ib_error *err);

/* Complete the publishes that dead builds (pid gone) left in out_dir, one
 * line on report per publish (report may be NULL). */
void ib_publish_recover(const char *out_dir, FILE *report);

/* The output directory's lock: held from before the first write to the end
 * of the build, so two builds never write into one directory at once.
 * Without wait, a held lock is an error naming the directory; with wait, it
 * waits (SIGINT/SIGTERM still stop it). Returns the descriptor that holds
 * the lock (closed when the process ends), or -1 with err. */
int ib_outdir_lock(const char *out_dir, bool wait, struct ib_error *err);
