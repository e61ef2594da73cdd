// SPDX-License-Identifier: GPL-2.0-or-later
/* Errors and diagnostics.
 *
 * struct ib_error carries the first failure of a build step back to the CLI:
 * an exit-code class, a message and, for input errors, a location.
 * struct ib_diags collects every recipe error of one run so they can all be
 * printed at once, each as FILE:LINE:COL with the source line and a caret. */
#pragma once

#include <stdio.h>

#include "util.h"

/* Exit codes of the CLI contract (README.md, "Commands"). */
enum ib_exit {
	IB_EXIT_OK = 0,
	IB_EXIT_FAIL = 1,  /* build or diff failure */
	IB_EXIT_INPUT = 2, /* usage or input error (recipe, INF, image) */
	IB_EXIT_ENV = 3,   /* environment check failed */
	IB_EXIT_SIGINT = 130,
	IB_EXIT_SIGTERM = 143,
};

/* A place in an input file; line and col are 1-based, 0 when unknown.
 * file points at a string owned by whoever parsed it (the recipe). */
struct ib_loc {
	const char *file;
	unsigned line, col;
};

struct ib_error {
	int exit_code;     /* enum ib_exit; 0 while no error is set */
	char *msg;         /* owned */
	struct ib_loc loc; /* file may be NULL */
};

/* Set the error if none is set yet (the first failure is the cause); returns -1
 * so callers can write `return ib_fail(err, IB_EXIT_FAIL, "...")`. */
int ib_fail(struct ib_error *err, int exit_code, const char *fmt, ...) IB_PRINTF(3, 4);
int ib_fail_at(struct ib_error *err, int exit_code, const struct ib_loc *loc, const char *fmt, ...)
	IB_PRINTF(4, 5);
/* Same, appending ": strerror(-neg_errno)". */
int ib_fail_errno(struct ib_error *err, int neg_errno, const char *fmt, ...) IB_PRINTF(3, 4);
/* Prefix the existing message with "what: " (adds context on the way up). */
void ib_error_prefix(struct ib_error *err, const char *fmt, ...) IB_PRINTF(2, 3);
void ib_error_clear(struct ib_error *err);

enum ib_severity { IB_SEV_ERROR, IB_SEV_WARNING, IB_SEV_NOTE };

struct ib_diag {
	enum ib_severity sev;
	struct ib_loc loc;
	char *msg;  /* owned */
	char *hint; /* owned, may be NULL: "did you mean 'size'?" */
};

struct ib_diags {
	IB_VEC(struct ib_diag) list;
	/* The text of the file the locations point into, for source snippets. */
	const char *src_file;
	const char *src_text;
	size_t src_len;
	/* Storage src_file/src_text point into when the producer of the diagnostics
	 * (the recipe parser) hands it over; freed by ib_diags_free. May be NULL. */
	char *src_owned;
};

void ib_diag_add(struct ib_diags *d, enum ib_severity sev, const struct ib_loc *loc, const char *hint,
		 const char *fmt, ...) IB_PRINTF(5, 6);
size_t ib_diags_errors(const struct ib_diags *d);
/* FILE:LINE:COL: error: msg, the source line, a caret, then "  hint: ...". */
void ib_diags_print(const struct ib_diags *d, FILE *f);
void ib_diags_free(struct ib_diags *d);

/* Edit-distance suggestion: the candidate closest to word, or NULL if none is close. */
const char *ib_did_you_mean(const char *word, const char *const *candidates, size_t n);
