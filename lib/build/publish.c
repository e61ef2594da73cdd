// SPDX-License-Identifier: GPL-2.0-or-later
#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/undo.h"
#include "core/util.h"

#define JOURNAL_SUFFIX ".publish"

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

static const char *base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* "<dir>/<name>" for a name in the journal. */
static char *in_dir(const char *dir, const char *name)
{
	return ib_path_join(dir, name);
}

static char *backup_of(const char *tmp)
{
	return ib_xasprintf("%s.old", tmp);
}

/* journal lines: "<tmp name>\t<final name>\n" (names, not paths: all live in
 * out_dir, which may be moved between the kill and the recovery). */
static int write_journal(const char *journal, const struct ib_publish_item *items, size_t n, struct ib_error *err)
{
	FILE *f = fopen(journal, "wxe");
	if (!f)
		return ib_fail_errno(err, -errno, "cannot create '%s'", journal);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\t%s\n", base_of(items[i].tmp), base_of(items[i].final));
	int r = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		r = ib_fail_errno(err, -errno, "cannot write '%s'", journal);
	if (fclose(f) != 0 && r == 0)
		r = ib_fail_errno(err, -errno, "cannot write '%s'", journal);
	if (r < 0)
		unlink(journal);
	return r;
}

int ib_publish(const char *out_dir, const char *journal, const struct ib_publish_item *items, size_t n,
	       struct ib_error *err)
{
	if (!n)
		return 0;
	if (write_journal(journal, items, n, err) < 0 || fsync_dir(out_dir) < 0) {
		unlink(journal);
		return err->exit_code ? -1 : ib_fail_errno(err, -errno, "cannot sync '%s'", out_dir);
	}
	bool *had_old = ib_xcalloc(n, sizeof(*had_old));
	size_t done = 0;
	int r = 0;
	/* Keep each previous file as a backup until the whole set is in place. */
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *bak = backup_of(items[i].tmp);
		unlink(bak);
		if (link(items[i].final, bak) == 0)
			had_old[i] = true;
		else if (errno != ENOENT)
			r = ib_fail_errno(err, -errno, "cannot keep the previous '%s'", items[i].final);
	}
	/* Tests only: be killed after this many renames, as by a SIGKILL or a
	 * power cut in the middle of the publish (tests/e2e/publish.sh). */
	const char *fault = getenv("IMGBUILD_TEST_KILL_AFTER_RENAMES");
	long kill_after = fault && *fault ? strtol(fault, NULL, 10) : -1;
	for (; r == 0 && done < n; done++) {
		if ((long)done == kill_after)
			raise(SIGKILL);
		if (rename(items[done].tmp, items[done].final) < 0)
			r = ib_fail_errno(err, -errno, "cannot rename '%s' to '%s'", items[done].tmp, items[done].final);
	}
	if (r < 0) {
		/* Roll back what was renamed: the previous files, or none. */
		for (size_t i = 0; i < done; i++) {
			_cleanup_free_ char *bak = backup_of(items[i].tmp);
			if (had_old[i])
				rename(bak, items[i].final);
			else
				unlink(items[i].final);
		}
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *bak = backup_of(items[i].tmp);
		unlink(bak);
	}
	free(had_old);
	fsync_dir(out_dir);
	unlink(journal);
	fsync_dir(out_dir);
	return r;
}

/* ".imgbuild-<name>.<pid>.publish" -> pid, or 0. */
static long journal_pid(const char *name)
{
	size_t l = strlen(name), sl = strlen(JOURNAL_SUFFIX);
	if (strncmp(name, ".imgbuild-", 10) || l <= sl || strcmp(name + l - sl, JOURNAL_SUFFIX))
		return 0;
	const char *end = name + l - sl, *p = end;
	while (p > name && p[-1] >= '0' && p[-1] <= '9')
		p--;
	if (p == end || p[-1] != '.')
		return 0;
	return strtol(p, NULL, 10);
}

static bool pid_dead(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Roll one dead build's publish forward: rename what is still under its
 * temporary name, drop the backups. */
static void roll_forward(const char *dir, const char *jname, long pid, FILE *report)
{
	_cleanup_free_ char *journal = in_dir(dir, jname);
	_cleanup_fclose_ FILE *f = fopen(journal, "re");
	if (!f)
		return;
	char line[4096];
	unsigned moved = 0, lines = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *tab = strchr(line, '\t');
		if (!tab || strchr(line, '/') || !tab[1])
			continue; /* not ours: names only */
		*tab = '\0';
		lines++;
		_cleanup_free_ char *tmp = in_dir(dir, line);
		_cleanup_free_ char *final = in_dir(dir, tab + 1);
		_cleanup_free_ char *bak = backup_of(tmp);
		if (access(tmp, F_OK) == 0 && rename(tmp, final) == 0)
			moved++;
		unlink(bak);
	}
	fsync_dir(dir);
	unlink(journal);
	fsync_dir(dir);
	if (report)
		fprintf(report, "completed the publish of build %ld (dead) in %s: %u of %u output%s renamed into place\n",
			pid, dir, moved, lines, lines == 1 ? "" : "s");
}

void ib_publish_recover(const char *out_dir, FILE *report)
{
	IB_VEC(char *) names = {0};
	{
		_cleanup_closedir_ DIR *d = opendir(out_dir);
		for (struct dirent *e; d && (e = readdir(d));)
			if (journal_pid(e->d_name))
				IB_VEC_PUSH(names, ib_xstrdup(e->d_name));
	}
	for (size_t i = 0; i < names.n; i++) {
		long pid = journal_pid(names.v[i]);
		if (pid_dead(pid))
			roll_forward(out_dir, names.v[i], pid, report);
		free(names.v[i]);
	}
	free(names.v);
}

int ib_outdir_lock(const char *out_dir, bool wait, struct ib_error *err)
{
	/* The directory itself is locked: no lock file is left among the
	 * outputs. flock locks belong to the open file description, so a
	 * child process never holds it past us (O_CLOEXEC). */
	int fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open the output directory '%s'", out_dir);
	for (bool said = false;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return ib_fail_errno(err, -e, "cannot lock the output directory '%s'", out_dir);
		}
		if (!wait) {
			close(fd);
			return ib_fail(err, IB_EXIT_FAIL,
				       "another imgbuild is building into '%s'; wait for it to finish, use another -o, or "
				       "pass --wait to wait for it",
				       out_dir);
		}
		if (ib_interrupted()) {
			close(fd);
			return ib_fail_interrupted(err, NULL);
		}
		if (!said) {
			fprintf(stderr, "imgbuild: waiting for another build into '%s' to finish\n", out_dir);
			said = true;
		}
		nanosleep(&(struct timespec){.tv_nsec = 100 * 1000 * 1000}, NULL);
	}
}
