// SPDX-License-Identifier: GPL-2.0-or-later
/* The undo stack and the SIGINT/SIGTERM flag it is unwound on. */
#include "undo.h"

#include "error.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "util.h"

enum { UNDO_UNLINK = 1, UNDO_RMTREE, UNDO_FN };

static size_t push(struct ib_undo *u, struct ib_undo_item item)
{
	item.active = true;
	IB_VEC_PUSH(*u, item);
	return u->n - 1;
}

size_t ib_undo_push_unlink(struct ib_undo *u, const char *path)
{
	return push(u, (struct ib_undo_item){.path = ib_xstrdup(path), .kind = UNDO_UNLINK});
}

size_t ib_undo_push_rmtree(struct ib_undo *u, const char *path)
{
	return push(u, (struct ib_undo_item){.path = ib_xstrdup(path), .kind = UNDO_RMTREE});
}

size_t ib_undo_push_fn(struct ib_undo *u, ib_undo_fn fn, void *arg)
{
	return push(u, (struct ib_undo_item){.fn = fn, .arg = arg, .kind = UNDO_FN});
}

void ib_undo_drop(struct ib_undo *u, size_t handle)
{
	if (handle >= u->n || !u->v[handle].active)
		return;
	struct ib_undo_item *it = &u->v[handle];
	it->active = false;
	free(it->path);
	it->path = NULL;
}

static void run_item(const struct ib_undo_item *it)
{
	int r = 0;
	switch (it->kind) {
	case UNDO_UNLINK:
		if (unlink(it->path) < 0 && errno != ENOENT)
			r = -errno;
		break;
	case UNDO_RMTREE:
		r = ib_rm_rf(it->path);
		break;
	case UNDO_FN:
		if (it->fn)
			it->fn(it->arg);
		break;
	}
	/* Cleanup goes on after a failed step; say what was left behind. */
	if (r < 0)
		fprintf(stderr, "imgbuild: warning: cleanup could not remove %s: %s\n", it->path, strerror(-r));
}

/* While the stack unwinds, ib_interrupted() reads 0: the cleanup a signal
 * started (umount, lofiadm -d through ib_spawn) must not be cut short by
 * that same signal. The signal is still recorded and reads again after. */
static int unwinding;

void ib_undo_run(struct ib_undo *u)
{
	unwinding++;
	/* Always take the newest active item: an undo fn may push (the new
	 * item runs next) or drop items, and may move u->v by pushing, so the
	 * item is copied before it runs. */
	for (;;) {
		size_t i = u->n;
		while (i > 0 && !u->v[i - 1].active)
			i--;
		if (!i)
			break;
		u->v[i - 1].active = false;
		struct ib_undo_item it = u->v[i - 1];
		run_item(&it);
	}
	ib_undo_clear(u);
	unwinding--;
}

void ib_undo_clear(struct ib_undo *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->v[i].path);
	free(u->v);
	u->v = NULL;
	u->n = u->cap = 0;
}

static volatile sig_atomic_t interrupted_by;

static void on_signal(int sig)
{
	/* The first signal decides the exit code; SIGHUP counts as SIGTERM. */
	if (!interrupted_by)
		interrupted_by = sig == SIGHUP ? SIGTERM : sig;
}

void ib_signals_install(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking calls return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A tool that exits early closes its pipe: get EPIPE, not death.
	 * ib_spawn resets the disposition to default in the child. */
	struct sigaction ign = {0};
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
}

void ib_cleanup_begin(void)
{
	unwinding++;
}

void ib_cleanup_end(void)
{
	unwinding--;
}

int ib_interrupted(void)
{
	return unwinding ? 0 : interrupted_by;
}

int ib_fail_interrupted(struct ib_error *err, const char *what)
{
	int sig = ib_interrupted();
	const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
	int code = sig ? 128 + sig : IB_EXIT_SIGTERM;
	if (what)
		return ib_fail(err, code, "%s: interrupted by %s", what, name);
	return ib_fail(err, code, "interrupted by %s", name);
}
