// SPDX-License-Identifier: GPL-2.0-or-later
/* ib_spawn: run one external program with posix_spawn and an argv array.
 * The child gets /dev/null (or the caller's fd) as stdin and pipes as stdout
 * and stderr; both pipes are read with poll() so neither can fill up and
 * deadlock. Stderr is kept (bounded) for the error message. While waiting,
 * SIGINT/SIGTERM (recorded by lib/core/undo.c) stop the child: SIGTERM, a grace
 * period, then SIGKILL, and the child is always reaped. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "undo.h"

extern char **environ;

/* Stderr: keep the first 8 KiB and the last ~56 KiB (64 KiB in all with the
 * marker); the end is what usually explains the failure. Uncaptured stdout:
 * only the last 4 KiB, for when a tool reports its errors there. */
#define ERR_HEAD_MAX (8u * 1024)
#define ERR_TAIL_MAX (64u * 1024 - ERR_HEAD_MAX - 64)
#define OUT_TAIL_MAX (4u * 1024)
/* How much of stderr goes into the error message itself. */
#define MSG_MAX (8u * 1024)
#define POLL_MS 100
#define TERM_GRACE_MS 2000

/* One output stream: everything (unbounded) or a bounded head + tail. */
struct capture {
	struct ib_buf head, tail;
	size_t head_max, tail_max; /* tail_max 0: unbounded, all goes to head */
	size_t dropped;
	void (*watch)(void *ctx, const char *data, size_t n); /* sees everything as it arrives */
	void *watch_ctx;
};

static void capture_add(struct capture *c, const char *p, size_t n)
{
	if (!c->tail_max) {
		ib_buf_append(&c->head, p, n);
		return;
	}
	size_t room = c->head.len < c->head_max ? c->head_max - c->head.len : 0;
	size_t take = n < room ? n : room;
	if (take)
		ib_buf_append(&c->head, p, take);
	if (n == take)
		return;
	ib_buf_append(&c->tail, p + take, n - take);
	/* Compact only when the tail doubled, so the copying stays linear. */
	if (c->tail.len > 2 * c->tail_max) {
		size_t drop = c->tail.len - c->tail_max;
		memmove(c->tail.s, c->tail.s + drop, c->tail_max + 1);
		c->tail.len = c->tail_max;
		c->dropped += drop;
	}
}

/* The captured text as one NUL-terminated string (caller frees). Bounded
 * captures get NULs replaced, so the C string is the whole text. */
static char *capture_take(struct capture *c)
{
	if (!c->tail_max)
		return ib_buf_steal(&c->head);
	size_t skip = c->tail.len > c->tail_max ? c->tail.len - c->tail_max : 0;
	if (skip || c->dropped) {
		/* Do not start the tail in the middle of a UTF-8 sequence. */
		while (skip < c->tail.len && ((unsigned char)c->tail.s[skip] & 0xc0) == 0x80)
			skip++;
	}
	c->dropped += skip;
	struct ib_buf b = {0};
	if (c->head.len)
		ib_buf_append(&b, c->head.s, c->head.len);
	if (c->dropped)
		ib_buf_printf(&b, "\n[... %zu bytes omitted ...]\n", c->dropped);
	if (c->tail.len > skip)
		ib_buf_append(&b, c->tail.s + skip, c->tail.len - skip);
	ib_buf_free(&c->head);
	ib_buf_free(&c->tail);
	for (size_t i = 0; i < b.len; i++)
		if (b.s[i] == '\0')
			b.s[i] = ' ';
	return ib_buf_steal(&b);
}

static void capture_free(struct capture *c)
{
	ib_buf_free(&c->head);
	ib_buf_free(&c->tail);
}

static const char *prog_name(const char *argv0)
{
	const char *s = strrchr(argv0, '/');
	return s && s[1] ? s + 1 : argv0;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

static int fail_interrupted(struct ib_error *err, const char *name)
{
	int sig = ib_interrupted();
	int code = sig == SIGINT ? IB_EXIT_SIGINT : sig == SIGTERM ? IB_EXIT_SIGTERM : 128 + sig;
	return ib_fail(err, code, "interrupted by %s while running %s", signal_name(sig), name);
}

static int fail_not_found(struct ib_error *err, const char *argv0)
{
	const char *pkg = ib_tool_package(argv0);
	if (pkg)
		return ib_fail(err, IB_EXIT_ENV, "%s: program not found in PATH (install the Debian package %s)",
			       prog_name(argv0), pkg);
	if (ib_tools_system()->remedy) {
		_cleanup_free_ char *remedy = ib_tool_remedy(prog_name(argv0));
		return ib_fail(err, IB_EXIT_ENV, "%s: program not found in PATH (%s)", prog_name(argv0), remedy);
	}
	return ib_fail(err, IB_EXIT_ENV, "%s: program not found in PATH", prog_name(argv0));
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL); /* an early return on a signal is fine: callers loop */
}

/* Non-blocking reap; true when the child is gone and *status is set. */
static bool try_reap(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) { /* ECHILD: someone else reaped it; report a plain failure */
			*status = 0xff00;
			return true;
		}
		return false;
	}
}

/* Stop the child on interruption: SIGTERM, a grace period, SIGKILL; reap. */
static void stop_child(pid_t pid)
{
	int status;
	kill(pid, SIGTERM);
	for (long waited = 0; waited < TERM_GRACE_MS; waited += 20) {
		if (try_reap(pid, &status))
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/* environ, minus the names opts->env overrides, plus opts->env. The strings
 * are borrowed; only the array is allocated. */
static char **build_env(const char *const *extra)
{
	size_t ne = 0, nx = 0;
	while (environ && environ[ne])
		ne++;
	while (extra && extra[nx])
		nx++;
	char **envp = ib_xcalloc(ne + nx + 1, sizeof(*envp));
	size_t k = 0;
	for (size_t i = 0; i < ne; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool overridden = false;
		for (size_t x = 0; x < nx && !overridden; x++)
			overridden = strncmp(extra[x], environ[i], len) == 0 &&
				     (extra[x][len] == '=' || extra[x][len] == '\0');
		if (!overridden)
			envp[k++] = environ[i];
	}
	for (size_t x = 0; x < nx; x++)
		envp[k++] = (char *)extra[x];
	envp[k] = NULL;
	return envp;
}

/* A close-on-exec pipe whose ends are both >= 3, so the dup2 file actions
 * onto 0, 1 and 2 cannot overwrite one another even if the caller closed its
 * standard descriptors. */
static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 3)
			continue;
		int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);
		int e = errno;
		close(p[i]);
		p[i] = fd;
		if (fd < 0) {
			close(p[1 - i]);
			p[0] = p[1] = -1;
			return -e;
		}
	}
	return 0;
}

/* ---- no orphans ----
 * Every program we run joins one process group led by a small guard
 * process, forked on first use. The guard holds the read end of a pipe whose
 * write end only we hold: when we exit for any reason, SIGKILL included, the
 * pipe reports EOF and the guard kills its whole group, so no qemu-img or
 * mtools goes on writing after us. Portable POSIX (fork, setpgid, kill), so
 * it works the same on illumos; Linux's PR_SET_PDEATHSIG would need code in
 * the child, which posix_spawn cannot run. */
static pid_t guard_pgid = -1;
static int guard_fd = -1;

/* At a normal exit: let the guard go (EOF), and reap it, so no zombie is
 * left for a pid 1 that may never reap. */
static void guard_release(void)
{
	if (guard_fd < 0)
		return;
	close(guard_fd);
	guard_fd = -1;
	while (waitpid(guard_pgid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void guard_main(int rd)
{
	/* Only the pipe stays open: the guard must keep nothing else alive. */
	for (int fd = 0; fd < 1024; fd++)
		if (fd != rd)
			close(fd);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	char c;
	while (read(rd, &c, 1) < 0 && errno == EINTR)
		;
	kill(0, SIGKILL); /* the group: every child left, then the guard itself */
	_exit(0);
}

/* The guard's process group, or -1 when it cannot be had (then children
 * simply stay in ours, as before). */
static pid_t spawn_group(void)
{
	static bool tried;
	if (tried)
		return guard_pgid;
	tried = true;
	int p[2];
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(p[1]);
		guard_main(p[0]);
	}
	setpgid(pid, pid); /* both sides, so it is set before anyone joins */
	close(p[0]);
	/* The write end must not leak into the programs we run. */
	fcntl(p[1], F_SETFD, FD_CLOEXEC);
	guard_pgid = pid;
	guard_fd = p[1];
	atexit(guard_release);
	return guard_pgid;
}

static int start_child(const char *path, const char *const *argv, const struct ib_spawn_opts *opts,
		       int out_w, int err_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;

	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
	pid_t group = spawn_group();
	if (group > 0) {
		posix_spawnattr_setpgroup(&attr, group);
		flags |= POSIX_SPAWN_SETPGROUP;
	}
	posix_spawnattr_setflags(&attr, flags);

	posix_spawn_file_actions_init(&fa);
	if (opts->stdin_fd > 0)
		posix_spawn_file_actions_adddup2(&fa, opts->stdin_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);

	char **envp = build_env(opts->env);
	int r = posix_spawn(pid, path, &fa, &attr, (char *const *)argv, envp);
	free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return r;
}

/* Read what is ready on one pipe; closes it and sets *fd to -1 on EOF. */
static void pump(int *fd, struct capture *c)
{
	char buf[65536];
	ssize_t n = read(*fd, buf, sizeof(buf));
	if (n > 0) {
		if (c->watch)
			c->watch(c->watch_ctx, buf, (size_t)n);
		capture_add(c, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	close(*fd);
	*fd = -1;
}

/* After the child exited, take what is already in the pipes without waiting
 * for EOF: a daemon it left behind may hold the write ends open. */
static void drain_ready(int fds[2], struct capture *caps[2])
{
	for (int round = 0; round < 64; round++) {
		struct pollfd pfd[2];
		int map[2], n = 0;
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				pfd[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
				map[n++] = i;
			}
		if (!n || poll(pfd, (nfds_t)n, 0) <= 0)
			return;
		for (int k = 0; k < n; k++)
			if (pfd[k].revents)
				pump(&fds[map[k]], caps[map[k]]);
	}
}

/* Trim, keep the last MSG_MAX bytes, and indent continuation lines by two
 * spaces so a multi-line tool message stays readable under ours. */
static char *format_output(const char *text)
{
	size_t len = strlen(text);
	const char *start = text;
	while (len && strchr(" \t\r\n", start[0])) {
		start++;
		len--;
	}
	while (len && strchr(" \t\r\n", start[len - 1]))
		len--;
	struct ib_buf b = {0};
	if (len > MSG_MAX) {
		const char *cut = start + len - MSG_MAX;
		const char *nl = memchr(cut, '\n', MSG_MAX);
		cut = nl ? nl + 1 : cut;
		len -= (size_t)(cut - start);
		start = cut;
		ib_buf_puts(&b, "[... earlier output omitted ...]\n  ");
	}
	for (size_t i = 0; i < len; i++) {
		char ch = start[i];
		if (ch == '\r' && i + 1 < len && start[i + 1] == '\n')
			continue;
		if (ch == '\r' || ch == '\n')
			ib_buf_puts(&b, "\n  ");
		else
			ib_buf_append(&b, &ch, 1);
	}
	return ib_buf_steal(&b);
}

static int fail_status(struct ib_error *err, const char *name, int status, const char *errtext,
		       const char *outtext)
{
	_cleanup_free_ char *e = format_output(errtext);
	_cleanup_free_ char *o = format_output(outtext ? outtext : "");
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		return ib_fail(err, IB_EXIT_FAIL, "%s was killed by signal %d (%s)%s%s", name, sig, strsignal(sig),
			       *e ? ": " : "", e);
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (*e)
		return ib_fail(err, IB_EXIT_FAIL, "%s exited with status %d: %s", name, code, e);
	if (*o)
		return ib_fail(err, IB_EXIT_FAIL, "%s exited with status %d (no error output; its output ended with: %s)",
			       name, code, o);
	return ib_fail(err, IB_EXIT_FAIL, "%s exited with status %d (no error output)", name, code);
}

int ib_spawn(const char *const *argv, const struct ib_spawn_opts *opts, struct ib_spawn_result *result,
	     struct ib_error *err)
{
	static const struct ib_spawn_opts no_opts = {.stdin_fd = -1};
	if (!opts)
		opts = &no_opts;
	if (result)
		*result = (struct ib_spawn_result){.exit_status = 127};
	if (!argv || !argv[0] || !argv[0][0])
		return ib_fail(err, IB_EXIT_FAIL, "internal error: ib_spawn called without a program");
	const char *name = prog_name(argv[0]);
	if (ib_interrupted())
		return fail_interrupted(err, name);

	_cleanup_free_ char *path = ib_which(argv[0]);
	if (!path)
		return fail_not_found(err, argv[0]);

	int out_p[2], err_p[2];
	int r = make_pipe(out_p);
	if (r < 0)
		return ib_fail_errno(err, r, "cannot run %s: pipe", name);
	r = make_pipe(err_p);
	if (r < 0) {
		close(out_p[0]);
		close(out_p[1]);
		return ib_fail_errno(err, r, "cannot run %s: pipe", name);
	}

	pid_t pid;
	r = start_child(path, argv, opts, out_p[1], err_p[1], &pid);
	close(out_p[1]);
	close(err_p[1]);
	if (r) {
		close(out_p[0]);
		close(err_p[0]);
		if (r == ENOENT)
			return fail_not_found(err, argv[0]);
		return ib_fail(err, r == EACCES ? IB_EXIT_ENV : IB_EXIT_FAIL, "cannot run %s (%s): %s", name, path,
			       strerror(r));
	}

	bool keep_out = opts->capture_stdout && result;
	struct capture cout = {.tail_max = keep_out ? 0 : OUT_TAIL_MAX, .watch = opts->on_stdout,
			       .watch_ctx = opts->on_stdout_ctx};
	struct capture cerr = {.head_max = ERR_HEAD_MAX, .tail_max = ERR_TAIL_MAX};
	struct capture *caps[2] = {&cout, &cerr};
	int fds[2] = {out_p[0], err_p[0]};
	bool reaped = false, interrupted = false;
	int status = 0;

	while (fds[0] >= 0 || fds[1] >= 0) {
		if (ib_interrupted()) {
			interrupted = true;
			break;
		}
		struct pollfd pfd[2];
		int map[2], n = 0;
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0) {
				pfd[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
				map[n++] = i;
			}
		int pr = poll(pfd, (nfds_t)n, POLL_MS);
		if (pr < 0 && errno != EINTR) {
			r = -errno;
			stop_child(pid);
			for (int i = 0; i < 2; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			capture_free(&cout);
			capture_free(&cerr);
			return ib_fail_errno(err, r, "waiting for %s: poll", name);
		}
		if (pr == 0 && try_reap(pid, &status)) {
			reaped = true;
			drain_ready(fds, caps);
			break;
		}
		for (int k = 0; pr > 0 && k < n; k++)
			if (pfd[k].revents)
				pump(&fds[map[k]], caps[map[k]]);
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);

	/* Pipes are closed; wait for the exit, still watching for signals.
	 * Polling with a short sleep avoids the race of a blocking waitpid()
	 * against a signal that arrived just before it. */
	for (long ms = 1; !reaped && !interrupted; ms = ms < 50 ? ms * 2 : 50) {
		if (try_reap(pid, &status))
			reaped = true;
		else if (ib_interrupted())
			interrupted = true;
		else
			sleep_ms(ms);
	}
	if (interrupted)
		stop_child(pid);

	char *errtext = capture_take(&cerr);
	char *outtext = capture_take(&cout);
	if (result) {
		result->exit_status = reaped && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		result->term_signal = reaped && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		result->err = errtext;
		result->out = keep_out ? outtext : NULL;
	}

	int ret = 0;
	/* A Ctrl-C also reaches the child (same process group): report the
	 * interruption, not the child's death by SIGINT. */
	if (interrupted || ib_interrupted())
		ret = fail_interrupted(err, name);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret = fail_status(err, name, status, errtext, outtext);

	if (!result)
		free(errtext);
	if (!keep_out)
		free(outtext);
	return ret;
}

void ib_spawn_result_free(struct ib_spawn_result *r)
{
	if (!r)
		return;
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s))
			return true;
	return false;
}

char *ib_argv_format(const char *const *argv)
{
	struct ib_buf b = {0};
	for (size_t i = 0; argv && argv[i]; i++) {
		if (i)
			ib_buf_puts(&b, " ");
		if (!needs_quotes(argv[i])) {
			ib_buf_puts(&b, argv[i]);
			continue;
		}
		/* Single quotes protect everything but a single quote: 'it'\''s'. */
		ib_buf_puts(&b, "'");
		for (const char *p = argv[i]; *p; p++) {
			if (*p == '\'')
				ib_buf_puts(&b, "'\\''");
			else
				ib_buf_append(&b, p, 1);
		}
		ib_buf_puts(&b, "'");
	}
	return ib_buf_steal(&b);
}

/* ---- background programs ---- */

struct ib_bg {
	pid_t pid;
	char *name, *err_path;
	bool reaped;
	int status;
};

int ib_spawn_bg(const char *const *argv, const char *stderr_path, struct ib_bg **out, struct ib_error *err)
{
	*out = NULL;
	const char *name = prog_name(argv[0]);
	if (ib_interrupted())
		return fail_interrupted(err, name);
	_cleanup_free_ char *path = ib_which(argv[0]);
	if (!path)
		return fail_not_found(err, argv[0]);
	_cleanup_close_ int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	_cleanup_close_ int err_fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (null_fd < 0 || err_fd < 0)
		return ib_fail_errno(err, -errno, "cannot run %s: %s", name, err_fd < 0 ? stderr_path : "/dev/null");
	const struct ib_spawn_opts opts = {.stdin_fd = -1};
	pid_t pid;
	int r = start_child(path, argv, &opts, null_fd, err_fd, &pid);
	if (r)
		return ib_fail(err, IB_EXIT_FAIL, "cannot run %s (%s): %s", name, path, strerror(r));
	struct ib_bg *bg = ib_xcalloc(1, sizeof(*bg));
	bg->pid = pid;
	bg->name = ib_xstrdup(name);
	bg->err_path = ib_xstrdup(stderr_path);
	*out = bg;
	return 0;
}

/* What the program wrote to stderr (the head, if long); malloc'd. */
static char *bg_stderr(const struct ib_bg *bg)
{
	char buf[ERR_HEAD_MAX + 1];
	_cleanup_close_ int fd = open(bg->err_path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? 0 : read(fd, buf, ERR_HEAD_MAX);
	buf[n > 0 ? n : 0] = 0;
	return ib_xstrdup(buf);
}

bool ib_bg_running(struct ib_bg *bg, struct ib_error *err)
{
	if (!bg->reaped && !try_reap(bg->pid, &bg->status))
		return true;
	bg->reaped = true;
	_cleanup_free_ char *e = bg_stderr(bg);
	if (WIFEXITED(bg->status) && WEXITSTATUS(bg->status) == 0)
		ib_fail(err, IB_EXIT_FAIL, "%s ended early%s%s", bg->name, *e ? ": " : "", e);
	else
		fail_status(err, bg->name, bg->status, e, NULL);
	return false;
}

int ib_bg_stop(struct ib_bg *bg, long timeout_ms, struct ib_error *err)
{
	if (!bg)
		return 0;
	bool by_us = false;
	if (!bg->reaped && !try_reap(bg->pid, &bg->status)) {
		kill(bg->pid, SIGTERM);
		by_us = true;
		long waited = 0;
		while (!(bg->reaped = try_reap(bg->pid, &bg->status)) && waited < timeout_ms) {
			sleep_ms(10);
			waited += 10;
		}
		if (!bg->reaped) {
			kill(bg->pid, SIGKILL);
			while (waitpid(bg->pid, &bg->status, 0) < 0 && errno == EINTR)
				;
		}
	}
	int r = 0;
	bool clean = (WIFEXITED(bg->status) && WEXITSTATUS(bg->status) == 0) ||
		     (by_us && WIFSIGNALED(bg->status) && WTERMSIG(bg->status) == SIGTERM);
	if (!clean && err) {
		_cleanup_free_ char *e = bg_stderr(bg);
		r = fail_status(err, bg->name, bg->status, e, NULL);
	}
	free(bg->name);
	free(bg->err_path);
	free(bg);
	return r;
}
