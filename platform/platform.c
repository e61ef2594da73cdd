// SPDX-License-Identifier: GPL-2.0-or-later
/* Which platform is in force, the sysroot, and the dispatch to the Linux or
 * illumos implementation. */
#include "platform-int.h"
#include "core/spawn.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static int selected = -1;

static enum ib_platform_kind host_platform(void)
{
#if defined(__sun) || defined(__illumos__)
	return IB_PLATFORM_ILLUMOS;
#else
	return IB_PLATFORM_LINUX;
#endif
}

static int parse_kind(const char *name)
{
	if (!strcmp(name, "linux"))
		return IB_PLATFORM_LINUX;
	if (!strcmp(name, "illumos"))
		return IB_PLATFORM_ILLUMOS;
	return -1;
}

/* Missing programs are named in the chosen system's package terms. */
static enum ib_platform_kind with_packages(enum ib_platform_kind k)
{
	ib_tools_set_system(k == IB_PLATFORM_ILLUMOS ? &ib_illumos_pkg_system : NULL);
	return k;
}

static enum ib_platform_kind choose_platform(void);

enum ib_platform_kind ib_platform(void)
{
	return with_packages(choose_platform());
}

static enum ib_platform_kind choose_platform(void)
{
	if (selected >= 0)
		return (enum ib_platform_kind)selected;
	const char *env = getenv("IMGBUILD_PLATFORM");
	if (env && *env) {
		int k = parse_kind(env);
		if (k >= 0)
			return (enum ib_platform_kind)k;
		/* An unknown value must not silently pick the host: say so once. */
		static bool warned;
		if (!warned) {
			warned = true;
			fprintf(stderr, "imgbuild: warning: IMGBUILD_PLATFORM='%s' is not linux or illumos; using %s\n",
				env, ib_platform_name(host_platform()));
		}
	}
	return host_platform();
}

const char *ib_platform_name(enum ib_platform_kind k)
{
	return k == IB_PLATFORM_ILLUMOS ? "illumos" : "linux";
}

int ib_platform_select(const char *name, struct ib_error *err)
{
	int k = parse_kind(name);
	if (k < 0)
		return ib_fail(err, IB_EXIT_INPUT, "unknown platform '%s' (linux or illumos)", name);
	selected = k;
	return 0;
}

const char *ib_sysroot(void)
{
	static char buf[4096];
	const char *env = getenv("IMGBUILD_SYSROOT");
	if (!env || !*env)
		return "";
	size_t n = strlen(env);
	while (n > 0 && env[n - 1] == '/')
		n--;
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, env, n);
	buf[n] = '\0';
	return buf;
}

char *ib_sysroot_path(const char *abs)
{
	return ib_xasprintf("%s%s%s", ib_sysroot(), abs[0] == '/' ? "" : "/", abs);
}

void ib_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *ib_read_text(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct ib_buf b = {0};
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			ib_buf_free(&b);
			errno = e;
			return NULL;
		}
		if (n == 0 || b.len >= max)
			break;
		ib_buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	if (len)
		*len = b.len;
	return ib_buf_steal(&b);
}

long ib_work_dir_pid(const char *path)
{
	/* ".imgbuild-<name>.<pid>.work/": the name may itself hold dots, so take
	 * the digits right before ".work/". */
	for (const char *p = strstr(path, "/.imgbuild-"); p; p = strstr(p + 1, "/.imgbuild-")) {
		const char *w = strstr(p, ".work/");
		const char *slash = strchr(p + 1, '/');
		if (!w || !slash || w + 5 != slash)
			continue;
		const char *d = w;
		while (d > p && isdigit((unsigned char)d[-1]))
			d--;
		if (d == w || d[-1] != '.')
			continue;
		return strtol(d, NULL, 10);
	}
	return 0;
}

static bool pid_alive(long pid)
{
	if (pid <= 0)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

void ib_attached_list_free(struct ib_attached_list *l)
{
	for (size_t i = 0; i < l->list.n; i++) {
		free(l->list.v[i].dev);
		free(l->list.v[i].file);
	}
	free(l->list.v);
	l->list.v = NULL;
	l->list.n = l->list.cap = 0;
}

void ib_attachment_clear(struct ib_attachment *a)
{
	free(a->image);
	free(a->disk);
	free(a->whole.dev);
	for (size_t i = 0; i < a->nparts; i++)
		free(a->parts[i].dev);
	free(a->parts);
	*a = (struct ib_attachment){.whole = {.fd = -1, .loop_index = -1}};
}

const char *ib_attachment_dev(const struct ib_attachment *a, unsigned number)
{
	for (size_t i = 0; i < a->nparts; i++)
		if (a->parts[i].number == number)
			return a->parts[i].dev;
	return NULL;
}

int ib_platform_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err)
{
	*a = (struct ib_attachment){.whole = {.fd = -1, .loop_index = -1}};
	if (!req->image || (!req->nregions && !req->whole_disk))
		return ib_fail(err, IB_EXIT_FAIL, "internal error: attach without an image or a region");
	uint32_t ss = req->sector_size ? req->sector_size : 512;
	for (size_t i = 0; i < req->nregions; i++)
		if (req->regions[i].offset % ss || req->regions[i].size % ss || !req->regions[i].size)
			return ib_fail(err, IB_EXIT_FAIL,
				       "internal error: partition %u (offset %llu, %llu bytes) is not whole %u-byte sectors",
				       req->regions[i].number, (unsigned long long)req->regions[i].offset,
				       (unsigned long long)req->regions[i].size, ss);
	if (ib_platform() == IB_PLATFORM_ILLUMOS)
		return ib_illumos_attach(req, a, err);
	return ib_linux_attach(req, a, err);
}

int ib_platform_detach(struct ib_attachment *a, struct ib_error *err)
{
	int r = a->kind == IB_PLATFORM_ILLUMOS ? ib_illumos_detach(a, err) : ib_linux_detach(a, err);
	ib_attachment_clear(a);
	return r;
}

/* `ntfs-3g DEV DIR` on both systems (on illumos as wimsy and the OpenIndiana
 * docs do: `mount -F ntfs-3g` needs a helper not every distribution ships). */
int ib_platform_mount_ntfs(const char *dev, const char *dir, bool read_only, struct ib_error *err)
{
	const char *rw[] = {"ntfs-3g", dev, dir, NULL};
	const char *ro[] = {"ntfs-3g", "-o", "ro", dev, dir, NULL};
	if (ib_spawn(read_only ? ro : rw, NULL, NULL, err) < 0) {
		ib_error_prefix(err, "cannot mount %s on %s", dev, dir);
		return -1;
	}
	return 0;
}

int ib_platform_unmount(const char *dir, struct ib_error *err)
{
	if (ib_platform() == IB_PLATFORM_ILLUMOS)
		return ib_illumos_unmount(dir, err);
	return ib_linux_unmount(dir, err);
}

int ib_platform_list(struct ib_attached_list *out, struct ib_error *err)
{
	int r = ib_platform() == IB_PLATFORM_ILLUMOS ? ib_illumos_list(out, err) : ib_linux_list(out, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < out->list.n; i++) {
		struct ib_attached_dev *d = &out->list.v[i];
		if (!d->pid)
			d->pid = ib_work_dir_pid(d->file);
		d->alive = pid_alive(d->pid);
	}
	return 0;
}

int ib_platform_release_stale(FILE *report, struct ib_error *err)
{
	struct ib_attached_list l = {0};
	if (ib_platform_list(&l, err) < 0)
		return -1;
	int released = 0, r = 0;
	for (size_t i = 0; i < l.list.n; i++) {
		const struct ib_attached_dev *d = &l.list.v[i];
		/* Without a pid we cannot tell whose it is: leave it alone. */
		if (!d->pid || d->alive)
			continue;
		struct ib_error e = {0};
		int x;
		if (ib_platform() == IB_PLATFORM_ILLUMOS) {
			x = ib_illumos_lofi_unmap(d->dev, &e);
		} else {
			const char *n = strstr(d->dev, "loop");
			x = n ? ib_linux_detach_index(atoi(n + 4), &e) : -1;
		}
		const char *base = strrchr(d->dev, '/');
		base = base ? base + 1 : d->dev;
		if (x == 0) {
			released++;
			if (report)
				fprintf(report, "released %s, left by build %ld (dead)\n", base, d->pid);
		} else {
			if (report)
				fprintf(report, "could not release %s, left by build %ld (dead): %s\n", base, d->pid,
					e.msg ? e.msg : "unknown error");
			if (!r)
				r = ib_fail(err, IB_EXIT_ENV, "could not release %s (left by build %ld): %s", d->dev,
					    d->pid, e.msg ? e.msg : "unknown error");
		}
		ib_error_clear(&e);
	}
	ib_attached_list_free(&l);
	return r < 0 ? -1 : released;
}

void ib_mountpoint_check(const char *mountpoint, struct ib_checks *out)
{
	if (!mountpoint)
		return;
	struct stat st;
	if (stat(mountpoint, &st) < 0) {
		ib_checks_add(out, "fuse", "mount point", IB_CHECK_FAIL, "create it (mkdir -p) or choose another",
			      "%s: %s", mountpoint, strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		ib_checks_add(out, "fuse", "mount point", IB_CHECK_FAIL, "give a directory", "%s is not a directory",
			      mountpoint);
		return;
	}
	DIR *d = opendir(mountpoint);
	if (!d) {
		ib_checks_add(out, "fuse", "mount point", IB_CHECK_FAIL, "make it readable", "%s: %s", mountpoint,
			      strerror(errno));
		return;
	}
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	if (n)
		ib_checks_add(out, "fuse", "mount point", IB_CHECK_FAIL,
			      "mount on an empty directory (a mount would hide its contents)",
			      "%s is not empty (%zu entries)", mountpoint, n);
	else
		ib_checks_add(out, "fuse", "mount point", IB_CHECK_OK, NULL, "%s is an empty directory", mountpoint);
}

void ib_platform_fuse_checks(const char *mountpoint, struct ib_checks *out)
{
	if (ib_platform() == IB_PLATFORM_ILLUMOS)
		ib_illumos_fuse_checks(mountpoint, out);
	else
		ib_linux_fuse_checks(mountpoint, out);
}

void ib_platform_loop_checks(struct ib_checks *out)
{
	if (ib_platform() == IB_PLATFORM_ILLUMOS)
		ib_illumos_loop_checks(out);
	else
		ib_linux_loop_checks(out);
}

int ib_platform_fuse_verify(const char *mountpoint, struct ib_error *err)
{
	struct ib_checks c = {0};
	ib_platform_fuse_checks(mountpoint, &c);
	int r = 0;
	if (ib_checks_count(&c, IB_CHECK_FAIL)) {
		_cleanup_free_ char *msg = ib_checks_failures(&c);
		r = ib_fail(err, IB_EXIT_ENV, "the FUSE driver check failed (%s), so nothing was mounted:\n%s",
			    ib_platform_name(ib_platform()), msg);
	}
	ib_checks_free(&c);
	return r;
}
