// SPDX-License-Identifier: GPL-2.0-or-later
/* The undo stack: order, drop, clear, and the signal flag. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/undo.h"
#include "core/util.h"

#include "tests/unit/support/tmpdir.h"

static char tmpdir[PATH_MAX];

static int setup_all(void **state)
{
	(void)state;
	return ut_tmpdir_into(tmpdir, sizeof(tmpdir), "undo") ? 0 : -1;
}

static int teardown_all(void **state)
{
	(void)state;
	ib_rm_rf(tmpdir);
	return 0;
}

static char *make_file(const char *name)
{
	char *p = ib_xasprintf("%s/%s", tmpdir, name);
	int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	assert_true(fd >= 0);
	close(fd);
	return p;
}

static bool exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

/* Undo functions log their tag and what they can still see, so the test
 * can check both the order and that later items ran before earlier ones. */
struct probe {
	struct ib_buf *log;
	const char *tag;
	const char *watch; /* a path whose existence is logged, or NULL */
};

static void log_probe(void *arg)
{
	struct probe *p = arg;
	ib_buf_puts(p->log, p->tag);
	if (p->watch)
		ib_buf_puts(p->log, exists(p->watch) ? "(+)" : "(-)");
	ib_buf_puts(p->log, " ");
}

static void test_run_newest_first(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	struct ib_buf log = {0};
	char *dir = ib_xasprintf("%s/work", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	char *nested = ib_xasprintf("%s/work/a/b", tmpdir);
	char *a = ib_xasprintf("%s/work/a", tmpdir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(nested, 0755), 0);
	char *inner = ib_xasprintf("%s/work/a/b/file", tmpdir);
	int fd = open(inner, O_CREAT | O_WRONLY, 0644);
	close(fd);
	char *f1 = make_file("one.img");

	/* pushed: fn A (sees dir), rmtree dir, unlink f1, fn B (sees f1) */
	struct probe pa = {&log, "A", dir}, pb = {&log, "B", f1};
	ib_undo_push_fn(&u, log_probe, &pa);
	ib_undo_push_rmtree(&u, dir);
	ib_undo_push_unlink(&u, f1);
	ib_undo_push_fn(&u, log_probe, &pb);
	assert_int_equal(u.n, 4);

	ib_undo_run(&u);
	/* B ran first (f1 still there), A last (dir already gone). */
	assert_string_equal(log.s, "B(+) A(-) ");
	assert_false(exists(f1));
	assert_false(exists(dir));
	assert_int_equal(u.n, 0);
	assert_null(u.v);

	ib_buf_free(&log);
	free(f1);
	free(inner);
	free(a);
	free(nested);
	free(dir);
}

static void test_drop(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	struct ib_buf log = {0};
	char *keep = make_file("output.qcow2");
	char *gone = make_file("temp.raw");
	struct probe p1 = {&log, "1", NULL}, p2 = {&log, "2", NULL};
	size_t h1 = ib_undo_push_fn(&u, log_probe, &p1);
	size_t hk = ib_undo_push_unlink(&u, keep);
	ib_undo_push_unlink(&u, gone);
	size_t h2 = ib_undo_push_fn(&u, log_probe, &p2);
	assert_int_not_equal(h1, h2);
	ib_undo_drop(&u, hk);
	ib_undo_drop(&u, h2);
	ib_undo_drop(&u, h2);    /* twice is harmless */
	ib_undo_drop(&u, 12345); /* unknown handle is ignored */
	ib_undo_run(&u);
	assert_string_equal(log.s, "1 ");
	assert_true(exists(keep));
	assert_false(exists(gone));
	unlink(keep);
	ib_buf_free(&log);
	free(keep);
	free(gone);
}

static void test_clear_runs_nothing(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	struct ib_buf log = {0};
	char *f = make_file("kept.img");
	struct probe p = {&log, "X", NULL};
	ib_undo_push_unlink(&u, f);
	ib_undo_push_fn(&u, log_probe, &p);
	ib_undo_clear(&u);
	assert_int_equal(u.n, 0);
	assert_null(u.v);
	ib_undo_run(&u); /* empty: nothing */
	assert_null(log.s);
	assert_true(exists(f));
	/* The stack is reusable after clear. */
	ib_undo_push_unlink(&u, f);
	ib_undo_run(&u);
	assert_false(exists(f));
	free(f);
}

static void test_missing_paths_are_fine(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	char *p = ib_xasprintf("%s/never-created", tmpdir);
	ib_undo_push_unlink(&u, p);
	ib_undo_push_rmtree(&u, p);
	ib_undo_run(&u);
	assert_int_equal(u.n, 0);
	free(p);
}

static void test_path_is_copied(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	char *f = make_file("copied.img");
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", f);
	ib_undo_push_unlink(&u, buf);
	memset(buf, 'x', 20); /* the caller's string may change or go away */
	ib_undo_run(&u);
	assert_false(exists(f));
	free(f);
}

static void test_many_items(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	struct ib_buf log = {0};
	enum { N = 100 };
	struct probe p[N];
	char tags[N][16];
	size_t handles[N];
	for (int i = 0; i < N; i++) {
		snprintf(tags[i], sizeof(tags[i]), "%d", i);
		p[i] = (struct probe){&log, tags[i], NULL};
		handles[i] = ib_undo_push_fn(&u, log_probe, &p[i]);
	}
	for (int i = 0; i < N; i += 2)
		ib_undo_drop(&u, handles[i]);
	ib_undo_run(&u);
	struct ib_buf want = {0};
	for (int i = N - 1; i >= 0; i--)
		if (i % 2)
			ib_buf_printf(&want, "%d ", i);
	assert_string_equal(log.s, want.s);
	ib_buf_free(&want);
	ib_buf_free(&log);
}

/* An undo fn that pushes another item (it must not be lost or crash). */
struct pusher {
	struct ib_undo *u;
	char *path;
};

static void push_more(void *arg)
{
	struct pusher *p = arg;
	ib_undo_push_unlink(p->u, p->path);
}

static void test_fn_pushing_during_run(void **state)
{
	(void)state;
	struct ib_undo u = {0};
	char *f = make_file("late.img");
	struct pusher p = {&u, f};
	for (int i = 0; i < 20; i++) /* force reallocations while running */
		ib_undo_push_fn(&u, push_more, &p);
	ib_undo_run(&u);
	assert_int_equal(u.n, 0);
	assert_null(u.v);
	/* Items pushed while unwinding run too (newest first, right away). */
	assert_false(exists(f));
	free(f);
}

static void test_signals(void **state)
{
	(void)state;
	/* In a child process: the flag is process-wide and sticky. */
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (ib_interrupted() != 0)
			_exit(1);
		ib_signals_install();
		struct sigaction sa;
		sigaction(SIGINT, NULL, &sa);
		if (sa.sa_flags & SA_RESTART)
			_exit(2);
		sigaction(SIGPIPE, NULL, &sa);
		if (sa.sa_handler != SIG_IGN)
			_exit(3);
		raise(SIGINT);
		if (ib_interrupted() != SIGINT)
			_exit(5);
		/* The first signal is kept (it decides the exit code). */
		raise(SIGTERM);
		if (ib_interrupted() != SIGINT)
			_exit(6);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* SIGHUP counts as SIGTERM; a blocking read returns EINTR. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ib_signals_install();
		int p[2];
		if (pipe(p))
			_exit(10);
		pid_t self = getpid();
		pid_t k = fork();
		if (k == 0) {
			usleep(100000);
			kill(self, SIGHUP);
			_exit(0);
		}
		char c;
		ssize_t r = read(p[0], &c, 1); /* nothing ever arrives */
		int e = errno;
		waitpid(k, NULL, 0);
		if (r != -1 || e != EINTR)
			_exit(11);
		if (ib_interrupted() != SIGTERM)
			_exit(12);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_newest_first),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_clear_runs_nothing),
		cmocka_unit_test(test_missing_paths_are_fine),
		cmocka_unit_test(test_path_is_copied),
		cmocka_unit_test(test_many_items),
		cmocka_unit_test(test_fn_pushing_during_run),
		cmocka_unit_test(test_signals),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
