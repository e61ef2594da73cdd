// SPDX-License-Identifier: GPL-2.0-or-later
/* Linux FUSE driver verification, before any mount and for `imgbuild check`:
 * /dev/fuse is the character device 10,229 and opens; fuse is registered
 * in /proc/filesystems (or its module can be found); a fuse module on disk
 * was built for the running kernel (vermagic); fusermount3 and ntfs-3g are
 * there. Every /dev, /proc and /lib/modules path goes through the sysroot so
 * tests can fabricate broken systems. */
#include "fuse_check.h"
#include "platform/platform-int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include "core/spawn.h"

#define FUSE_MAJOR 10
#define FUSE_MINOR 229

bool ib_procfs_has(const char *text, const char *fs)
{
	size_t fl = strlen(fs);
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		/* "nodev\tfuse" or "\tfuseblk": the name is the last field. */
		const char *name = line + len;
		while (name > line && name[-1] != '\t' && name[-1] != ' ')
			name--;
		size_t nl = (size_t)(line + len - name);
		while (nl && (name[nl - 1] == '\r' || name[nl - 1] == ' '))
			nl--;
		if (nl == fl && !memcmp(name, fs, fl))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

char *ib_vermagic_release(const char *vermagic)
{
	while (*vermagic == ' ' || *vermagic == '\t')
		vermagic++;
	size_t n = strcspn(vermagic, " \t\n");
	return n ? ib_xstrndup(vermagic, n) : NULL;
}

bool ib_vermagic_matches(const char *vermagic, const char *release)
{
	_cleanup_free_ char *v = ib_vermagic_release(vermagic);
	_cleanup_free_ char *r = ib_vermagic_release(release);
	return v && r && !strcmp(v, r);
}

char *ib_modinfo_vermagic(const uint8_t *data, size_t len)
{
	/* .modinfo is a run of NUL-terminated "key=value" strings; a key
	 * starts right after a NUL (or at the very start). */
	static const char key[] = "vermagic=";
	const size_t kl = sizeof(key) - 1;
	for (size_t i = 0; i + kl <= len; i++) {
		if ((i && data[i - 1] != 0) || memcmp(data + i, key, kl))
			continue;
		size_t j = i + kl;
		while (j < len && data[j])
			j++;
		if (j == len || j == i + kl)
			continue;
		return ib_xstrndup((const char *)data + i + kl, j - i - kl);
	}
	return NULL;
}

/* The running kernel's release, as the sysroot says (tests fake it). */
static char *kernel_release(void)
{
	_cleanup_free_ char *p = ib_sysroot_path("/proc/sys/kernel/osrelease");
	char *s = ib_read_text(p, 256, NULL);
	if (s && *s) {
		s[strcspn(s, "\n")] = 0;
		return s;
	}
	free(s);
	struct utsname u;
	return ib_xstrdup(uname(&u) == 0 ? u.release : "unknown");
}

static char *found_module;
static int find_fuse_ko(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type != FTW_F)
		return 0;
	const char *base = path + ftw->base;
	if (!strcmp(base, "fuse.ko") || !strncmp(base, "fuse.ko.", 8)) {
		found_module = ib_xstrdup(path);
		return 1;
	}
	return 0;
}

/* /lib/modules/<release>/.../fuse.ko* under the sysroot, or NULL. */
static char *fuse_module_path(const char *release)
{
	_cleanup_free_ char *dir = ib_xasprintf("%s/lib/modules/%s", ib_sysroot(), release);
	found_module = NULL;
	nftw(dir, find_fuse_ko, 16, FTW_PHYS);
	return TAKE_PTR(found_module);
}

static bool module_builtin(const char *release)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/lib/modules/%s/modules.builtin", ib_sysroot(), release);
	_cleanup_free_ char *s = ib_read_text(p, 1 << 20, NULL);
	return s && (strstr(s, "/fuse/fuse.ko\n") || strstr(s, "/fuse.ko\n"));
}

/* vermagic of a module file: parsed from an uncompressed .ko, else modinfo. */
static char *module_vermagic(const char *path, char **why)
{
	size_t len = strlen(path);
	if (len > 3 && !strcmp(path + len - 3, ".ko")) {
		size_t n = 0;
		_cleanup_free_ char *data = ib_read_text(path, 256u << 20, &n);
		if (!data) {
			*why = ib_xasprintf("cannot read %s: %s", path, strerror(errno));
			return NULL;
		}
		char *v = ib_modinfo_vermagic((const uint8_t *)data, n);
		if (!v)
			*why = ib_xasprintf("%s has no vermagic in its .modinfo", path);
		return v;
	}
	const char *argv[] = {"modinfo", "-F", "vermagic", path, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	struct ib_error e = {0};
	char *v = NULL;
	if (ib_spawn(argv, &o, &res, &e) == 0 && res.out && *res.out) {
		res.out[strcspn(res.out, "\n")] = 0;
		v = ib_xstrdup(res.out);
	} else {
		*why = ib_xasprintf("cannot read the vermagic of %s: %s", path,
				    e.msg ? e.msg : "modinfo printed nothing");
	}
	ib_error_clear(&e);
	ib_spawn_result_free(&res);
	return v;
}

static void check_dev_fuse(struct ib_checks *out)
{
	_cleanup_free_ char *dev = ib_sysroot_path("/dev/fuse");
	struct stat st;
	if (stat(dev, &st) < 0) {
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL,
			      "load the fuse module (modprobe fuse); in a container pass --device /dev/fuse",
			      "%s: %s", dev, strerror(errno));
		return;
	}
	if (!S_ISCHR(st.st_mode)) {
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL, "recreate it: mknod -m 0666 /dev/fuse c 10 229",
			      "%s is not a character device", dev);
		return;
	}
	if (major(st.st_rdev) != FUSE_MAJOR || minor(st.st_rdev) != FUSE_MINOR) {
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL, "recreate it: mknod -m 0666 /dev/fuse c 10 229",
			      "%s is the character device %u,%u, not 10,229", dev, major(st.st_rdev),
			      minor(st.st_rdev));
		return;
	}
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL,
			      e == EACCES || e == EPERM ? "run as root, or make it 0666 (the usual udev rule)"
							: "load the fuse module (modprobe fuse)",
			      "cannot open %s: %s", dev, strerror(e));
		return;
	}
	close(fd);
	ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_OK, NULL, "%s is the character device 10,229 and opens", dev);
}

static void check_filesystems(const char *release, const char *module, struct ib_checks *out)
{
	_cleanup_free_ char *p = ib_sysroot_path("/proc/filesystems");
	_cleanup_free_ char *text = ib_read_text(p, 1 << 16, NULL);
	bool fuse = text && ib_procfs_has(text, "fuse");
	bool blk = text && ib_procfs_has(text, "fuseblk");
	if (fuse && blk)
		ib_checks_add(out, "fuse", "kernel fuse", IB_CHECK_OK, NULL, "fuse and fuseblk are in %s", p);
	else if (fuse)
		ib_checks_add(out, "fuse", "kernel fuse", IB_CHECK_WARN,
			      "ntfs-3g mounts block devices as fuseblk: use a kernel with CONFIG_FUSE_FS",
			      "fuse is in %s but fuseblk is not", p);
	else if (module)
		ib_checks_add(out, "fuse", "kernel fuse", IB_CHECK_WARN, "load it: modprobe fuse",
			      "fuse is not in %s; the module %s is not loaded", p, module);
	else if (!text)
		ib_checks_add(out, "fuse", "kernel fuse", IB_CHECK_FAIL, "mount /proc", "cannot read %s", p);
	else
		ib_checks_add(out, "fuse", "kernel fuse", IB_CHECK_FAIL,
			      "install a kernel with FUSE (CONFIG_FUSE_FS) or its module package",
			      "fuse is not in %s and no fuse module exists for kernel %s%s", p, release,
			      module_builtin(release) ? " (modules.builtin lists it, yet it is not registered)" : "");
}

static void check_vermagic(const char *release, const char *module, struct ib_checks *out)
{
	if (!module) {
		ib_checks_add(out, "fuse", "fuse module", IB_CHECK_OK, NULL,
			      "no fuse module file for %s (built into the kernel)", release);
		return;
	}
	_cleanup_free_ char *why = NULL;
	_cleanup_free_ char *vm = module_vermagic(module, &why);
	if (!vm) {
		ib_checks_add(out, "fuse", "fuse module", IB_CHECK_WARN,
			      "install kmod (modinfo) to read compressed modules", "%s", why);
		return;
	}
	_cleanup_free_ char *built = ib_vermagic_release(vm);
	if (ib_vermagic_matches(vm, release))
		ib_checks_add(out, "fuse", "fuse module", IB_CHECK_OK, NULL, "%s: vermagic '%s' matches the kernel",
			      module, vm);
	else
		ib_checks_add(out, "fuse", "fuse module", IB_CHECK_FAIL,
			      "install the fuse module built for the running kernel (rebuild it with dkms, or "
			      "install the matching kernel package) and reboot into a matching pair",
			      "%s was built for kernel %s (vermagic '%s'), the running kernel is %s", module,
			      built ? built : "?", vm, release);
}

static void check_fusermount(struct ib_checks *out)
{
	_cleanup_free_ char *path = ib_which("fusermount3");
	if (!path) {
		ib_checks_add(out, "fuse", "fusermount3", IB_CHECK_FAIL, "install the Debian package fuse3",
			      "fusermount3 not found in PATH");
		return;
	}
	struct stat st;
	bool suid = stat(path, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0;
	if (geteuid() != 0 && !suid)
		ib_checks_add(out, "fuse", "fusermount3", IB_CHECK_FAIL,
			      "reinstall fuse3 (it installs fusermount3 setuid root) or run as root",
			      "%s is not setuid root, so users cannot mount or unmount FUSE", path);
	else
		ib_checks_add(out, "fuse", "fusermount3", IB_CHECK_OK, NULL, "%s%s", path,
			      suid ? " (setuid root)" : " (not setuid; fine as root)");
}

/* "ntfs-3g 2022.10.3 integrated FUSE 28": ntfs-3g prints it on stderr. */
static void check_ntfs3g(struct ib_checks *out)
{
	_cleanup_free_ char *path = ib_which("ntfs-3g");
	if (!path) {
		ib_checks_add(out, "fuse", "ntfs-3g", IB_CHECK_FAIL, "install the Debian package ntfs-3g",
			      "ntfs-3g not found in PATH");
		return;
	}
	const char *argv[] = {"ntfs-3g", "--version", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	struct ib_error e = {0};
	ib_spawn(argv, &o, &res, &e);
	const char *text = res.err && *res.err ? res.err : res.out ? res.out : "";
	while (*text == '\n' || *text == ' ')
		text++;
	size_t n = strcspn(text, "\n");
	if (n && strstr(text, "ntfs-3g"))
		ib_checks_add(out, "fuse", "ntfs-3g", IB_CHECK_OK, NULL, "%s: %.*s", path, (int)n, text);
	else
		ib_checks_add(out, "fuse", "ntfs-3g", IB_CHECK_WARN, "reinstall the Debian package ntfs-3g",
			      "%s: version unknown (%s)", path, e.msg ? e.msg : "no version printed");
	ib_error_clear(&e);
	ib_spawn_result_free(&res);
}

void ib_linux_fuse_checks(const char *mountpoint, struct ib_checks *out)
{
	_cleanup_free_ char *release = kernel_release();
	_cleanup_free_ char *module = fuse_module_path(release);
	check_dev_fuse(out);
	check_filesystems(release, module, out);
	check_vermagic(release, module, out);
	check_fusermount(out);
	check_ntfs3g(out);
	ib_mountpoint_check(mountpoint, out);
}
