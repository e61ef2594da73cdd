// SPDX-License-Identifier: GPL-2.0-or-later
/* The undo stack: everything a build creates that must not survive a failure
 * (temporary files, the work directory, attached devices, mounts) is pushed
 * here as soon as it exists, and unwound in reverse on failure or on
 * SIGINT/SIGTERM. On success nothing on it runs: once the outputs are
 * published the build removes its work directory and clears the stack
 * (ib_undo_clear); ib_undo_drop forgets single items released earlier. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef void (*ib_undo_fn)(void *arg);

struct ib_undo_item {
	char *path;     /* for unlink/rm -rf items; owned */
	ib_undo_fn fn;  /* for custom items */
	void *arg;
	int kind;
	bool active;
};

struct ib_undo {
	struct ib_undo_item *v;
	size_t n, cap;
};

/* Each push returns a handle for ib_undo_drop. */
size_t ib_undo_push_unlink(struct ib_undo *u, const char *path);
size_t ib_undo_push_rmtree(struct ib_undo *u, const char *path);
size_t ib_undo_push_fn(struct ib_undo *u, ib_undo_fn fn, void *arg);
/* Forget an item without running it (the thing was released or kept). */
void ib_undo_drop(struct ib_undo *u, size_t handle);
/* Run all active items, newest first, then empty the stack. */
void ib_undo_run(struct ib_undo *u);
/* Forget everything (success), freeing memory. */
void ib_undo_clear(struct ib_undo *u);

/* SIGINT/SIGTERM: install handlers (without SA_RESTART, so blocking calls
 * return EINTR) that only record the signal. Long loops and ib_spawn poll
 * ib_interrupted() and fail; the caller then unwinds and exits 128+signal. */
void ib_signals_install(void);
/* The signal number received, or 0; always 0 while ib_undo_run runs (the
 * cleanup itself must not be interrupted). */
int ib_interrupted(void);

/* Cleanup outside the undo stack (releasing what a half-done call made)
 * must still run programs after a signal: between these two calls
 * ib_interrupted() reads 0, as it does while ib_undo_run unwinds. */
void ib_cleanup_begin(void);
void ib_cleanup_end(void);

struct ib_error;
/* Fail with exit code 128+signal and "<what>: interrupted by SIGTERM"
 * (what may be NULL). Returns -1. */
int ib_fail_interrupted(struct ib_error *err, const char *what);
