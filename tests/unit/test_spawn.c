// SPDX-License-Identifier: GPL-2.0-or-later
/* ib_spawn against real programs and the stand-ins in tests/fixtures/bin:
 * exit statuses, signals, missing programs, big outputs on both pipes,
 * environment, literal argv, stdin, interruption by SIGINT/SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include <setjmp.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/progress.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "core/util.h"

#include "tests/unit/support/check.h"
#include "tests/unit/support/fixtures.h"
#include "tests/unit/support/tmpdir.h"

static char fixtures[PATH_MAX];
static char tmpdir[PATH_MAX];
static char *saved_path;

/* build/san/tests/test_spawn -> <repo>/tests/fixtures/bin, whatever the cwd. */
static int setup_all(void **state)
{
	(void)state;
	char exe[PATH_MAX - 32];
	if (ut_repo_dir(exe, sizeof(exe), false) < 0)
		return -1;
	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/bin", exe);
	if (access(fixtures, X_OK) != 0) {
		fprintf(stderr, "fixtures not found at %s\n", fixtures);
		return -1;
	}
	if (!ut_tmpdir_into(tmpdir, sizeof(tmpdir), "spawn"))
		return -1;
	saved_path = ib_xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	return 0;
}

static int teardown_all(void **state)
{
	(void)state;
	ib_rm_rf(tmpdir);
	free(saved_path);
	return 0;
}

/* PATH for one test: dir first, then the original PATH (or only dir). */
static void path_set(const char *dir, bool keep_rest)
{
	char *p = keep_rest ? ib_xasprintf("%s:%s", dir, saved_path) : ib_xstrdup(dir);
	setenv("PATH", p, 1);
	free(p);
}

static int path_restore(void **state)
{
	(void)state;
	setenv("PATH", saved_path, 1);
	return 0;
}

/* A fresh directory holding fake-tool linked under the given name. */
static char *stand_in(const char *name)
{
	static int seq;
	char *dir = ib_xasprintf("%s/bin%d", tmpdir, seq++);
	assert_int_equal(mkdir(dir, 0755), 0);
	char *target = ib_xasprintf("%s/fake-tool", fixtures);
	char *link = ib_xasprintf("%s/%s", dir, name);
	assert_int_equal(symlink(target, link), 0);
	free(target);
	free(link);
	return dir;
}

static char *fixture(const char *name)
{
	return ib_xasprintf("%s/%s", fixtures, name);
}

static void test_true_succeeds(void **state)
{
	(void)state;
	struct ib_error err = {0};
	struct ib_spawn_result res;
	const char *argv[] = {"true", NULL};
	assert_int_equal(ib_spawn(argv, NULL, &res, &err), 0);
	assert_int_equal(err.exit_code, 0);
	assert_null(err.msg);
	assert_int_equal(res.exit_status, 0);
	assert_int_equal(res.term_signal, 0);
	assert_non_null(res.err);
	assert_string_equal(res.err, "");
	assert_null(res.out);
	ib_spawn_result_free(&res);
	/* result may be NULL */
	assert_int_equal(ib_spawn(argv, NULL, NULL, &err), 0);
}

static void test_false_fails_with_status(void **state)
{
	(void)state;
	struct ib_error err = {0};
	struct ib_spawn_result res;
	const char *argv[] = {"false", NULL};
	assert_int_equal(ib_spawn(argv, NULL, &res, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_FAIL);
	assert_string_equal(err.msg, "false exited with status 1 (no error output)");
	assert_int_equal(res.exit_status, 1);
	assert_int_equal(res.term_signal, 0);
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
}

static void test_stderr_in_message(void **state)
{
	(void)state;
	struct ib_error err = {0};
	struct ib_spawn_result res;
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, "-f", NULL};
	const char *env[] = {"FAKE_TOOL_STDERR=Error: cannot open /dev/sdz\nsecond line\n\n",
			     "FAKE_TOOL_STDOUT=progress 100%", "FAKE_TOOL_EXIT=7", NULL};
	struct ib_spawn_opts o = {.env = env};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_FAIL);
	/* basename, status, trimmed stderr, continuation lines indented */
	assert_string_equal(err.msg, "fake-tool exited with status 7: Error: cannot open /dev/sdz\n  second line");
	assert_int_equal(res.exit_status, 7);
	assert_contains(res.err, "Error: cannot open /dev/sdz\nsecond line\n");
	assert_null(res.out); /* not asked for; and stdout did not leak into ours */
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
}

static void test_stdout_tail_when_stderr_empty(void **state)
{
	(void)state;
	struct ib_error err = {0};
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_STDOUT=Error: disk full (reported on stdout)", "FAKE_TOOL_EXIT=1", NULL};
	struct ib_spawn_opts o = {.env = env};
	assert_int_equal(ib_spawn(argv, &o, NULL, &err), -1);
	assert_contains(err.msg, "fake-tool exited with status 1");
	assert_contains(err.msg, "Error: disk full (reported on stdout)");
	ib_error_clear(&err);
}

static void test_killed_by_signal(void **state)
{
	(void)state;
	static const struct {
		const char *sig;
		const char *want;
		int num;
	} cases[] = {
		{"KILL", "fake-tool was killed by signal 9 (Killed)", SIGKILL},
		{"SEGV", "fake-tool was killed by signal 11 (Segmentation fault)", SIGSEGV},
	};
	_cleanup_free_ char *tool = fixture("fake-tool");
	for (size_t i = 0; i < IB_ARRAY_SIZE(cases); i++) {
		struct ib_error err = {0};
		struct ib_spawn_result res;
		char *sigenv = ib_xasprintf("FAKE_TOOL_SIGNAL=%s", cases[i].sig);
		const char *env[] = {sigenv, NULL};
		struct ib_spawn_opts o = {.env = env};
		const char *argv[] = {tool, NULL};
		assert_int_equal(ib_spawn(argv, &o, &res, &err), -1);
		assert_int_equal(err.exit_code, IB_EXIT_FAIL);
		assert_string_equal(err.msg, cases[i].want);
		assert_int_equal(res.term_signal, cases[i].num);
		assert_int_equal(res.exit_status, -1);
		ib_spawn_result_free(&res);
		ib_error_clear(&err);
		free(sigenv);
	}
}

static void test_signal_with_stderr(void **state)
{
	(void)state;
	struct ib_error err = {0};
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_STDERR=assertion failed", "FAKE_TOOL_SIGNAL=ABRT", NULL};
	struct ib_spawn_opts o = {.env = env};
	assert_int_equal(ib_spawn(argv, &o, NULL, &err), -1);
	assert_string_equal(err.msg, "fake-tool was killed by signal 6 (Aborted): assertion failed");
	ib_error_clear(&err);
}

static void test_missing_program(void **state)
{
	(void)state;
	struct ib_error err = {0};
	struct ib_spawn_result res;
	const char *argv[] = {"ib-no-such-program", "x", NULL};
	assert_int_equal(ib_spawn(argv, NULL, &res, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_string_equal(err.msg, "ib-no-such-program: program not found in PATH");
	assert_null(res.err);
	ib_error_clear(&err);

	/* A known tool missing from PATH names its package. qemu-img lives in
	 * /usr/bin, which the sbin fallback does not cover. */
	char *empty = ib_xasprintf("%s/empty", tmpdir);
	mkdir(empty, 0755);
	path_set(empty, false);
	const char *argv2[] = {"qemu-img", "info", "x", NULL};
	assert_int_equal(ib_spawn(argv2, NULL, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_string_equal(err.msg, "qemu-img: program not found in PATH (install the Debian package qemu-utils)");
	ib_error_clear(&err);
	free(empty);

	/* A path that is not executable, and a directory. */
	const char *argv3[] = {"/etc/passwd", NULL};
	assert_int_equal(ib_spawn(argv3, NULL, NULL, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	ib_error_clear(&err);
	const char *argv4[] = {"/tmp", NULL};
	assert_int_equal(ib_spawn(argv4, NULL, NULL, &err), -1);
	ib_error_clear(&err);
}

static void test_stand_in_in_path(void **state)
{
	(void)state;
	/* What the e2e tests do: fake-tool as mkntfs first in PATH. */
	char *dir = stand_in("mkntfs");
	path_set(dir, true);
	char *args = ib_xasprintf("%s/args.txt", dir);
	char *argsenv = ib_xasprintf("FAKE_TOOL_ARGS_FILE=%s", args);
	const char *env[] = {"FAKE_TOOL_STDERR=Error opening partition device: bad sector", "FAKE_TOOL_EXIT=1",
			     argsenv, NULL};
	struct ib_spawn_opts o = {.env = env};
	struct ib_error err = {0};
	const char *argv[] = {"mkntfs", "-F", "-Q", "part.img", NULL};
	assert_int_equal(ib_spawn(argv, &o, NULL, &err), -1);
	assert_string_equal(err.msg, "mkntfs exited with status 1: Error opening partition device: bad sector");
	FILE *f = fopen(args, "r");
	assert_non_null(f);
	char line[256] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "mkntfs: -F -Q part.img\n");
	ib_error_clear(&err);
	free(args);
	free(argsenv);
	free(dir);
}

static void test_large_stdout_and_stderr(void **state)
{
	(void)state;
	/* 3 MiB on stdout while 300 KiB go to stderr: both pipes must be read
	 * at once or the child blocks on one and we on the other. */
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_STDOUT_BYTES=3145728", "FAKE_TOOL_STDERR_BYTES=307200", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .env = env};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	double t0 = ib_now();
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	assert_true(ib_now() - t0 < 20);
	assert_non_null(res.out);
	assert_int_equal(strlen(res.out), 3145728);
	assert_int_equal(strspn(res.out, "o"), 3145728);
	/* stderr is bounded: head + marker + tail */
	size_t elen = strlen(res.err);
	assert_true(elen <= 65536);
	assert_true(elen > 60000);
	assert_contains(res.err, "bytes omitted");
	assert_int_equal(strspn(res.err, "e"), 8192);
	ib_spawn_result_free(&res);
}

static void test_large_stderr_in_message(void **state)
{
	(void)state;
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_STDERR_BYTES=1048576", "FAKE_TOOL_STDERR=the real cause", "FAKE_TOOL_EXIT=2",
			     NULL};
	struct ib_spawn_opts o = {.env = env};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), -1);
	assert_true(strlen(res.err) <= 65536);
	assert_true(strlen(err.msg) < 10000); /* the message keeps only the end */
	assert_contains(err.msg, "fake-tool exited with status 2: ");
	ib_spawn_result_free(&res);
	ib_error_clear(&err);

	/* The tail is what matters: print the cause last. */
	const char *argv2[] = {"sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x >&2; echo >&2; echo 'the real cause' >&2; exit 2", NULL};
	assert_int_equal(ib_spawn(argv2, NULL, &res, &err), -1);
	assert_contains(err.msg, "sh exited with status 2: [... earlier output omitted ...]");
	assert_contains(err.msg, "\n  the real cause");
	assert_contains(res.err, "the real cause\n");
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
}

static void test_env_override(void **state)
{
	(void)state;
	setenv("IB_TEST_KEEP", "parent-keep", 1);
	setenv("IB_TEST_OVER", "parent-over", 1);
	const char *env[] = {"IB_TEST_OVER=child-over", "IB_TEST_NEW=child new", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .env = env};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	const char *argv[] = {"env", NULL};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	assert_contains(res.out, "IB_TEST_KEEP=parent-keep\n");
	assert_contains(res.out, "IB_TEST_OVER=child-over\n");
	assert_contains(res.out, "IB_TEST_NEW=child new\n");
	assert_null(strstr(res.out, "parent-over")); /* replaced, not duplicated */
	ib_spawn_result_free(&res);
	unsetenv("IB_TEST_KEEP");
	unsetenv("IB_TEST_OVER");
}

static void test_argv_is_literal(void **state)
{
	(void)state;
	char *marker = ib_xasprintf("%s/pwned", tmpdir);
	char *subst = ib_xasprintf("$(touch %s)", marker);
	char *backq = ib_xasprintf("`touch %s`", marker);
	_cleanup_free_ char *tool = fixture("echo-args");
	const char *argv[] = {tool, "a b", "it's", subst, backq, "*", "/etc/*", "; rm -rf /", "|", "$HOME", "", "tab\there", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	char *want = ib_xasprintf("[a b]\n[it's]\n[%s]\n[%s]\n[*]\n[/etc/*]\n[; rm -rf /]\n[|]\n[$HOME]\n[]\n[tab\there]\n",
				  subst, backq);
	assert_string_equal(res.out, want);
	assert_int_not_equal(access(marker, F_OK), 0);
	ib_spawn_result_free(&res);
	free(want);
	free(subst);
	free(backq);
	free(marker);
}

static void test_stdin(void **state)
{
	(void)state;
	char *path = ib_xasprintf("%s/stdin.txt", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("fed through stdin\n", f);
	fclose(f);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = fd};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	const char *argv[] = {"cat", NULL};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	assert_string_equal(res.out, "fed through stdin\n");
	ib_spawn_result_free(&res);
	close(fd);
	/* Default stdin is /dev/null: cat ends at once, with nothing. */
	struct ib_spawn_opts o2 = {.capture_stdout = true};
	assert_int_equal(ib_spawn(argv, &o2, &res, &err), 0);
	assert_string_equal(res.out, "");
	ib_spawn_result_free(&res);
	free(path);
}

static void test_no_fd_leak(void **state)
{
	(void)state;
	/* Our pipes are close-on-exec: besides 0, 1, 2 the child holds only
	 * what the parent passes on anyway (a test harness may leave fds open
	 * without close-on-exec) plus the one ls opens to read the directory. */
	bool inherited[1024] = {false};
	for (int fd = 3; fd < 1024; fd++) {
		int fl = fcntl(fd, F_GETFD);
		inherited[fd] = fl >= 0 && !(fl & FD_CLOEXEC);
	}
	struct ib_spawn_opts o = {.capture_stdout = true};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	int before = open("/dev/null", O_RDONLY);
	close(before);
	const char *argv[] = {"ls", "/proc/self/fd", NULL};
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	int extra = 0, std = 0;
	for (char *p = res.out; *p;) {
		int fd = atoi(p);
		if (fd <= 2)
			std++;
		else if (fd >= 1024 || !inherited[fd])
			extra++;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	if (std != 3 || extra != 1)
		print_error("child fds:\n%s", res.out);
	assert_int_equal(std, 3);
	assert_int_equal(extra, 1);
	ib_spawn_result_free(&res);
	/* And nothing leaked in the parent either. */
	int after = open("/dev/null", O_RDONLY);
	assert_int_equal(after, before);
	close(after);
}

static void test_daemon_leftover_does_not_block(void **state)
{
	(void)state;
	/* A tool that leaves a process behind holding its stdout/stderr (like
	 * ntfs-3g daemonizing) must not make us wait for that process. */
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_DAEMON=3", "FAKE_TOOL_STDERR=started", NULL};
	struct ib_spawn_opts o = {.env = env};
	struct ib_spawn_result res;
	struct ib_error err = {0};
	double t0 = ib_now();
	assert_int_equal(ib_spawn(argv, &o, &res, &err), 0);
	assert_true(ib_now() - t0 < 2.0);
	assert_string_equal(res.err, "started\n");
	ib_spawn_result_free(&res);
}

static void test_argv_format(void **state)
{
	(void)state;
	const char *argv[] = {"mkntfs", "-F", "--label", "My Disk", "it's", "", "a=b,c:d/e.f@g%h+i", "$x", "*", NULL};
	char *s = ib_argv_format(argv);
	assert_string_equal(s, "mkntfs -F --label 'My Disk' 'it'\\''s' '' a=b,c:d/e.f@g%h+i '$x' '*'");
	free(s);
	const char *none[] = {NULL};
	s = ib_argv_format(none);
	assert_string_equal(s, "");
	free(s);
}

static void test_which(void **state)
{
	(void)state;
	char *p = ib_which("sh");
	assert_non_null(p);
	assert_true(p[0] == '/');
	assert_int_equal(access(p, X_OK), 0);
	free(p);
	p = ib_which("/bin/sh");
	assert_string_equal(p, "/bin/sh");
	free(p);
	assert_null(ib_which("ib-no-such-program"));
	assert_null(ib_which("/etc/passwd")); /* not executable */
	assert_null(ib_which(""));
	/* A directory named like the program is skipped. */
	char *dir = ib_xasprintf("%s/pathdir", tmpdir);
	char *sub = ib_xasprintf("%s/ib-dir-prog", dir);
	mkdir(dir, 0755);
	mkdir(sub, 0755);
	path_set(dir, false);
	assert_null(ib_which("ib-dir-prog"));
	/* Relative PATH entries give absolute results. */
	char *cwd = getcwd(NULL, 0);
	assert_int_equal(chdir(tmpdir), 0);
	char *fake = stand_in("ib-rel-prog");
	const char *rel = strrchr(fake, '/') + 1;
	path_set(rel, false);
	p = ib_which("ib-rel-prog");
	char *want = ib_xasprintf("%s/ib-rel-prog", fake);
	assert_string_equal(p, want);
	assert_int_equal(chdir(cwd), 0);
	free(p);
	free(want);
	free(fake);
	free(cwd);
	free(sub);
	free(dir);
}

static void test_tool_package(void **state)
{
	(void)state;
	assert_string_equal(ib_tool_package("mkntfs"), "ntfs-3g");
	assert_string_equal(ib_tool_package("/usr/sbin/mkfs.fat"), "dosfstools");
	assert_string_equal(ib_tool_package("mcopy"), "mtools");
	assert_string_equal(ib_tool_package("qemu-img"), "qemu-utils");
	assert_string_equal(ib_tool_package("sgdisk"), "gdisk");
	assert_string_equal(ib_tool_package("sfdisk"), "fdisk");
	assert_string_equal(ib_tool_package("losetup"), "mount");
	assert_string_equal(ib_tool_package("hivexsh"), "libhivex-bin");
	assert_string_equal(ib_tool_package("fusermount3"), "fuse3");
	assert_null(ib_tool_package("ib-unknown"));
	assert_null(ib_tool_package(NULL));
}

static void test_tools_check(void **state)
{
	(void)state;
	struct ib_error err = {0};
	const char *present[] = {"sh", "true", "cat", NULL};
	assert_int_equal(ib_tools_check(present, &err), 0);
	assert_int_equal(err.exit_code, 0);

	/* All missing ones at once, each package once in the apt-get line. */
	char *empty = ib_xasprintf("%s/empty2", tmpdir);
	mkdir(empty, 0755);
	char *dir = stand_in("sgdisk");
	char *path = ib_xasprintf("%s:%s", dir, empty);
	path_set(path, false);
	const char *progs[] = {"sgdisk", "qemu-img", "mcopy", "mdir", "mcopy", "ib-missing-x", NULL};
	assert_int_equal(ib_tools_check(progs, &err), -1);
	assert_int_equal(err.exit_code, IB_EXIT_ENV);
	assert_string_equal(err.msg,
			    "programs not found in PATH: qemu-img (Debian package qemu-utils), mcopy (Debian package "
			    "mtools), mdir (Debian package mtools), ib-missing-x (no known Debian package); install "
			    "them with: apt-get install qemu-utils mtools");
	ib_error_clear(&err);

	const char *one[] = {"sgdisk", "qemu-img", NULL};
	assert_int_equal(ib_tools_check(one, &err), -1);
	assert_string_equal(err.msg, "qemu-img: program not found in PATH (install the Debian package qemu-utils: "
				     "apt-get install qemu-utils)");
	ib_error_clear(&err);
	free(path);
	free(dir);
	free(empty);
}

/* Interruption runs in a forked process: the signal flag is process-wide
 * and sticky, and the check that no child is left over (ECHILD) needs a
 * process whose only children are the ones ib_spawn made. */
struct killer {
	int sig;
	int delay_ms;
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;
	struct timespec ts = {.tv_sec = k->delay_ms / 1000, .tv_nsec = (k->delay_ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	kill(getpid(), k->sig);
	return NULL;
}

/* Child exit codes: 0 all good, other values say which check failed. */
static int interrupted_child(int sig, const char *const *argv, const char *const *env, double max_s, double min_s,
			     int want_code)
{
	ib_signals_install();
	struct killer k = {.sig = sig, .delay_ms = 200};
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, sig);
	/* The thread inherits a mask blocking sig, so the main thread gets it. */
	pthread_sigmask(SIG_BLOCK, &set, &old);
	pthread_t t;
	if (pthread_create(&t, NULL, killer_thread, &k))
		return 10;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	struct ib_spawn_opts o = {.env = env};
	struct ib_error err = {0};
	double t0 = ib_now();
	int r = ib_spawn(argv, &o, NULL, &err);
	double dt = ib_now() - t0;
	pthread_join(t, NULL);
	int code = 0;
	if (r != -1)
		code = 11;
	else if (err.exit_code != want_code)
		code = 12;
	else if (!strstr(err.msg, sig == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM"))
		code = 13;
	else if (dt > max_s || dt < min_s)
		code = 14;
	else if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		code = 15;
	else if (ib_interrupted() != (sig == SIGHUP ? SIGTERM : sig))
		code = 16;
	if (code)
		fprintf(stderr, "interrupted child: check %d failed (r=%d code=%d dt=%.2f msg=%s)\n", code, r,
			err.exit_code, dt, err.msg ? err.msg : "");
	ib_error_clear(&err);
	/* Again after the flag is set: refuses to start anything. */
	const char *t2[] = {"true", NULL};
	if (!code && (ib_spawn(t2, NULL, NULL, &err) != -1 || err.exit_code != want_code))
		code = 17;
	ib_error_clear(&err);
	return code;
}

static void run_interrupted(int sig, const char *const *argv, const char *const *env, double max_s, double min_s,
			    int want_code)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(interrupted_child(sig, argv, env, max_s, min_s, want_code));
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_interrupt_sigterm(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "30", NULL};
	run_interrupted(SIGTERM, argv, NULL, 1.5, 0.15, IB_EXIT_SIGTERM);
}

static void test_interrupt_sigint(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "30", NULL};
	run_interrupted(SIGINT, argv, NULL, 1.5, 0.15, IB_EXIT_SIGINT);
}

static void test_interrupt_sighup_is_sigterm(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "30", NULL};
	run_interrupted(SIGHUP, argv, NULL, 1.5, 0.15, IB_EXIT_SIGTERM);
}

static void test_interrupt_child_ignores_sigterm(void **state)
{
	(void)state;
	/* The child shrugs off SIGTERM: SIGKILL after the ~2 s grace period. */
	_cleanup_free_ char *tool = fixture("fake-tool");
	const char *argv[] = {tool, NULL};
	const char *env[] = {"FAKE_TOOL_IGNORE_TERM=1", "FAKE_TOOL_SLEEP=30", NULL};
	run_interrupted(SIGTERM, argv, env, 4.0, 1.8, IB_EXIT_SIGTERM);
}

static void test_interrupt_child_closed_pipes(void **state)
{
	(void)state;
	/* Pipes closed early, child still running: the wait must notice too. */
	const char *argv[] = {"sh", "-c", "exec >/dev/null 2>&1; exec sleep 30", NULL};
	run_interrupted(SIGTERM, argv, NULL, 1.5, 0.15, IB_EXIT_SIGTERM);
}

static void test_sigpipe_ignored_in_parent_default_in_child(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		ib_signals_install();
		struct sigaction sa;
		sigaction(SIGPIPE, NULL, &sa);
		if (sa.sa_handler != SIG_IGN)
			_exit(20);
		/* yes | head: yes must die of SIGPIPE (default restored in the
		 * child), not loop on EPIPE; sh reports 141 for yes' status. */
		struct ib_spawn_opts o = {.capture_stdout = true};
		struct ib_spawn_result res;
		struct ib_error err = {0};
		const char *argv[] = {"sh", "-c", "yes | head -n 1; echo done", NULL};
		int r = ib_spawn(argv, &o, &res, &err);
		int code = r == 0 && strcmp(res.out, "y\ndone\n") == 0 ? 0 : 21;
		ib_spawn_result_free(&res);
		ib_error_clear(&err);
		/* The child's signal state: SIGPIPE default, nothing blocked. */
		const char *argv2[] = {"grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status", NULL};
		if (!code && ib_spawn(argv2, &o, &res, &err) == 0) {
			/* Signals 32 and 33 are glibc's internal ones: its
			 * posix_spawn leaves them ignored and no API can reset
			 * them; the 31 standard signals must all be default. */
			const char *ign = strstr(res.out, "SigIgn:\t");
			const char *blk = strstr(res.out, "SigBlk:\t");
			if (!ign || !blk || (strtoull(ign + 8, NULL, 16) & 0x7fffffffu) || strtoull(blk + 8, NULL, 16))
				code = 22;
			if (code)
				fprintf(stderr, "child signal state: %s", res.out);
			ib_spawn_result_free(&res);
		} else if (!code) {
			code = 23;
		}
		ib_error_clear(&err);
		_exit(code);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_true_succeeds, path_restore),
		cmocka_unit_test_teardown(test_false_fails_with_status, path_restore),
		cmocka_unit_test_teardown(test_stderr_in_message, path_restore),
		cmocka_unit_test_teardown(test_stdout_tail_when_stderr_empty, path_restore),
		cmocka_unit_test_teardown(test_killed_by_signal, path_restore),
		cmocka_unit_test_teardown(test_signal_with_stderr, path_restore),
		cmocka_unit_test_teardown(test_missing_program, path_restore),
		cmocka_unit_test_teardown(test_stand_in_in_path, path_restore),
		cmocka_unit_test_teardown(test_large_stdout_and_stderr, path_restore),
		cmocka_unit_test_teardown(test_large_stderr_in_message, path_restore),
		cmocka_unit_test_teardown(test_env_override, path_restore),
		cmocka_unit_test_teardown(test_argv_is_literal, path_restore),
		cmocka_unit_test_teardown(test_stdin, path_restore),
		cmocka_unit_test_teardown(test_no_fd_leak, path_restore),
		cmocka_unit_test_teardown(test_daemon_leftover_does_not_block, path_restore),
		cmocka_unit_test_teardown(test_argv_format, path_restore),
		cmocka_unit_test_teardown(test_which, path_restore),
		cmocka_unit_test_teardown(test_tool_package, path_restore),
		cmocka_unit_test_teardown(test_tools_check, path_restore),
		cmocka_unit_test_teardown(test_interrupt_sigterm, path_restore),
		cmocka_unit_test_teardown(test_interrupt_sigint, path_restore),
		cmocka_unit_test_teardown(test_interrupt_sighup_is_sigterm, path_restore),
		cmocka_unit_test_teardown(test_interrupt_child_ignores_sigterm, path_restore),
		cmocka_unit_test_teardown(test_interrupt_child_closed_pipes, path_restore),
		cmocka_unit_test_teardown(test_sigpipe_ignored_in_parent_default_in_child, path_restore),
	};
	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
