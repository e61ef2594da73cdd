// SPDX-License-Identifier: GPL-2.0-or-later
/* What a build killed with SIGKILL leaves: an ntfs-3g mount in its work dir
 * (the daemon outlives the build and holds the device open, so a Linux
 * autoclear loop device stays too), an attached device (lofi has no
 * autoclear), the work dir and temporary outputs. The next mount-backend
 * build releases them, in that order, before it attaches anything. A build
 * is gone when the pid in its work dir name does not run. */
#include "mount.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"
#include "platform/platform.h"

bool ib_is_mountpoint(const char *path)
{
	struct stat st, pst;
	if (lstat(path, &st) < 0)
		return errno == ENOTCONN; /* a FUSE mount whose daemon is gone */
	if (!S_ISDIR(st.st_mode))
		return false;
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *parent = !slash ? ib_xstrdup(".") : slash == path ? ib_xstrdup("/") :
					       ib_xstrndup(path, (size_t)(slash - path));
	if (stat(parent, &pst) < 0)
		return false;
	return st.st_dev != pst.st_dev;
}

long ib_tmp_name_pid(const char *name, const char **ext)
{
	static const char pre[] = ".imgbuild-";
	if (strncmp(name, pre, sizeof(pre) - 1))
		return 0;
	const char *dot = strrchr(name, '.');
	if (!dot || !dot[1] || dot < name + sizeof(pre))
		return 0;
	const char *d = dot;
	while (d > name + sizeof(pre) - 1 && isdigit((unsigned char)d[-1]))
		d--;
	if (d == dot || d[-1] != '.' || d - 1 < name + sizeof(pre))
		return 0;
	if (ext)
		*ext = dot + 1;
	return strtol(d, NULL, 10);
}

static bool pid_gone(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static void say(const struct ib_progress *progress, const char *msg)
{
	struct ib_event ev = {.kind = IB_EV_INFO, .title = msg};
	ib_progress_emit(progress, &ev);
}

/* "/o/.imgbuild-x.12.work/disk.raw" -> "/o/.imgbuild-x.12.work". */
static char *work_dir_of(const char *file)
{
	const char *w = strstr(file, ".work/");
	return w ? ib_xstrndup(file, (size_t)(w - file) + 5) : NULL;
}

struct dead_dirs {
	IB_VEC(char *) v;
};

/* Linux's mount table escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *o = s;
	for (char *p = s; *p;) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 4;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

size_t ib_mount_stale_mounts(struct ib_stale_mount **out)
{
	*out = NULL;
	bool illumos = ib_platform() == IB_PLATFORM_ILLUMOS;
	_cleanup_free_ char *table = illumos ? ib_sysroot_path("/etc/mnttab") : ib_xstrdup("/proc/self/mounts");
	FILE *f = fopen(table, "re");
	if (!f)
		return 0;
	IB_VEC(struct ib_stale_mount) v = {0};
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		/* The mount point is the second field: tab-separated on illumos,
		 * space-separated (escaped) on Linux. */
		const char *sep = illumos ? "\t\n" : " \n";
		char *save = NULL;
		char *dev = strtok_r(line, sep, &save);
		char *mnt = dev ? strtok_r(NULL, sep, &save) : NULL;
		if (!mnt)
			continue;
		if (!illumos)
			unescape_octal(mnt);
		_cleanup_free_ char *slashed = ib_xasprintf("%s/", mnt);
		long pid = ib_work_dir_pid(slashed);
		_cleanup_free_ char *w = work_dir_of(slashed);
		if (!pid || !w || !pid_gone(pid))
			continue;
		IB_VEC_PUSH(v, ((struct ib_stale_mount){.dir = ib_xstrdup(mnt), .work_dir = TAKE_PTR(w), .pid = pid}));
	}
	free(line);
	fclose(f);
	*out = v.v;
	return v.n;
}

void ib_stale_mounts_free(struct ib_stale_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].dir);
		free(m[i].work_dir);
	}
	free(m);
}

static void add_dir(struct dead_dirs *d, char *dir)
{
	for (size_t i = 0; i < d->v.n; i++)
		if (!strcmp(d->v.v[i], dir)) {
			free(dir);
			return;
		}
	IB_VEC_PUSH(d->v, dir);
}

/* Unmount every mount point directly inside a dead build's work dir. */
static int unmount_in(const char *dir, long pid, const struct ib_progress *progress)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *path = ib_path_join(dir, e->d_name);
		if (!ib_is_mountpoint(path))
			continue;
		struct ib_error err = {0};
		_cleanup_free_ char *msg = NULL;
		if (ib_platform_unmount(path, &err) == 0) {
			msg = ib_xasprintf("unmounted %s, left by build %ld (dead)", path, pid);
			n++;
		} else {
			msg = ib_xasprintf("could not unmount %s, left by build %ld (dead): %s", path, pid, err.msg);
		}
		say(progress, msg);
		ib_error_clear(&err);
	}
	closedir(d);
	return n;
}

/* A mount point left anywhere under dir (rm -rf must not walk into it). */
static bool holds_mount(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		_cleanup_free_ char *path = ib_path_join(dir, e->d_name);
		found = ib_is_mountpoint(path);
	}
	closedir(d);
	return found;
}

/* The devices release_stale detaches, as info events. */
static int release_devices(const struct ib_progress *progress)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return 0;
	struct ib_error err = {0};
	int n = ib_platform_release_stale(f, &err);
	fclose(f);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		say(progress, line);
	if (n < 0 && err.msg && !strstr(text ? text : "", err.msg)) {
		_cleanup_free_ char *msg = ib_xasprintf("could not list or release leftover devices: %s", err.msg);
		say(progress, msg);
	}
	ib_error_clear(&err);
	free(text);
	return n < 0 ? 0 : n;
}

int ib_mount_release_stale(const char *out_dir, const struct ib_progress *progress)
{
	struct dead_dirs dead = {0};
	int released = 0;

	/* Work dirs of dead builds: those holding attached devices anywhere,
	 * and those in our output directory. */
	struct ib_attached_list l = {0};
	struct ib_error err = {0};
	if (ib_platform_list(&l, &err) == 0) {
		for (size_t i = 0; i < l.list.n; i++) {
			char *w = l.list.v[i].pid && !l.list.v[i].alive ? work_dir_of(l.list.v[i].file) : NULL;
			if (w)
				add_dir(&dead, w);
		}
	}
	ib_error_clear(&err);
	ib_attached_list_free(&l);
	/* ...and those whose mount is still in the mount table (the device may
	 * be gone already: a Linux loop device autoclears when the killed
	 * daemon closes it), wherever their output directory is. */
	struct ib_stale_mount *sm = NULL;
	size_t nsm = ib_mount_stale_mounts(&sm);
	for (size_t i = 0; i < nsm; i++)
		add_dir(&dead, ib_xstrdup(sm[i].work_dir));
	ib_stale_mounts_free(sm, nsm);
	DIR *d = opendir(out_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			const char *ext = NULL;
			long pid = ib_tmp_name_pid(e->d_name, &ext);
			if (pid && !strcmp(ext, "work") && pid_gone(pid))
				add_dir(&dead, ib_path_join(out_dir, e->d_name));
		}
		closedir(d);
	}

	for (size_t i = 0; i < dead.v.n; i++) {
		_cleanup_free_ char *slashed = ib_xasprintf("%s/", dead.v.v[i]);
		released += unmount_in(dead.v.v[i], ib_work_dir_pid(slashed), progress);
	}
	released += release_devices(progress);

	/* Then what dead builds left in our output directory. */
	d = opendir(out_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			const char *ext = NULL;
			long pid = ib_tmp_name_pid(e->d_name, &ext);
			if (!pid || !pid_gone(pid))
				continue;
			_cleanup_free_ char *path = ib_path_join(out_dir, e->d_name);
			_cleanup_free_ char *msg = NULL;
			if (!strcmp(ext, "work") && holds_mount(path)) {
				msg = ib_xasprintf("left %s of build %ld (dead) in place: something is still mounted in it",
						   path, pid);
			} else {
				int r = ib_rm_rf(path);
				if (r == 0) {
					msg = ib_xasprintf("removed %s, left by build %ld (dead)", path, pid);
					released++;
				} else {
					msg = ib_xasprintf("could not remove %s, left by build %ld (dead): %s", path, pid,
							   strerror(-r));
				}
			}
			say(progress, msg);
		}
		closedir(d);
	}
	for (size_t i = 0; i < dead.v.n; i++)
		free(dead.v.v[i]);
	free(dead.v.v);
	return released;
}
