// SPDX-License-Identifier: GPL-2.0-or-later
/* illumos FUSE driver verification: /dev/fuse, the module files, modinfo,
 * and the ABI check that matters most: the fuse module (an out-of-tree
 * driver, often built on another illumos distribution) must have been built
 * against the running kernel's struct vnode. A mismatch makes every mount
 * fail with "fuse: mount failed: Not a directory" (the module reads v_type
 * at the wrong offset), so the check compares the CTF of the module with
 * genunix's (ctf.h) and nothing is mounted when they differ. All files
 * are read under the sysroot; modinfo comes from PATH. */
#include "fuse_check.h"
#include "platform/platform-int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "ctf.h"
#include "core/spawn.h"

#define FUSE_MODULE "/usr/kernel/drv/amd64/fuse"
#define GENUNIX "/kernel/amd64/genunix"
#define UNIX_MODULE "/platform/i86pc/kernel/amd64/unix"
#define FUSE_PACKAGE "install the fuse driver package built for this distribution (OmniOS: pkg install " \
		     "ooce/driver/fuse; OpenIndiana: pkg install driver/fuse)"

bool ib_modinfo_lists(const char *text, const char *name)
{
	/* " Id Loadaddr   Size Info Rev Module Name (description)": the module
	 * name is the sixth word of a row. */
	_cleanup_free_ char *copy = ib_xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *w[6];
		int n = 0;
		char *s2 = NULL;
		for (char *t = strtok_r(line, " \t", &s2); t && n < 6; t = strtok_r(NULL, " \t", &s2))
			w[n++] = t;
		if (n < 6 || !isdigit((unsigned char)w[0][0]))
			continue;
		if (!strcmp(w[5], name))
			return true;
	}
	return false;
}

static void check_dev_fuse(struct ib_checks *out)
{
	_cleanup_free_ char *dev = ib_sysroot_path("/dev/fuse");
	struct stat st;
	if (stat(dev, &st) < 0) {
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL, FUSE_PACKAGE " (it adds the driver: add_drv fuse)",
			      "%s: %s", dev, strerror(errno));
		return;
	}
	if (!S_ISCHR(st.st_mode)) {
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL, "reinstall the fuse driver package",
			      "%s is not a character device", dev);
		return;
	}
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_FAIL,
			      e == EACCES || e == EPERM ? "run as root (pfexec)" : FUSE_PACKAGE, "cannot open %s: %s",
			      dev, strerror(e));
		return;
	}
	close(fd);
	ib_checks_add(out, "fuse", "/dev/fuse", IB_CHECK_OK, NULL, "%s is a character device and opens", dev);
}

static bool check_file(const char *name, const char *path, const char *remedy, struct ib_checks *out)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		ib_checks_add(out, "fuse", name, IB_CHECK_FAIL, remedy, "%s: %s", path, strerror(errno));
		return false;
	}
	ib_checks_add(out, "fuse", name, IB_CHECK_OK, NULL, "%s (%lld bytes)", path, (long long)st.st_size);
	return true;
}

static void check_loaded(struct ib_checks *out)
{
	const char *argv[] = {"modinfo", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	struct ib_error e = {0};
	if (ib_spawn(argv, &o, &res, &e) < 0)
		ib_checks_add(out, "fuse", "fuse loaded", IB_CHECK_WARN, "put /usr/sbin in PATH",
			      "cannot run modinfo: %s", e.msg);
	else if (ib_modinfo_lists(res.out ? res.out : "", "fuse"))
		ib_checks_add(out, "fuse", "fuse loaded", IB_CHECK_OK, NULL, "modinfo lists fuse");
	else
		ib_checks_add(out, "fuse", "fuse loaded", IB_CHECK_WARN,
			      "it loads when /dev/fuse is first opened; or: modload " FUSE_MODULE,
			      "modinfo does not list fuse (not loaded yet)");
	ib_error_clear(&e);
	ib_spawn_result_free(&res);
}

/* The first line of notes (what was compared), for the "found" column. */
static char *first_line(const char *s, const char *fallback)
{
	if (!s || !*s)
		return ib_xstrdup(fallback);
	return ib_xstrndup(s, strcspn(s, "\n"));
}

static void check_abi(const char *module, const char *genunix, struct ib_checks *out)
{
	_cleanup_free_ char *unix_mod = ib_sysroot_path(UNIX_MODULE);
	struct stat st;
	const char *kernel[] = {genunix, stat(unix_mod, &st) == 0 ? unix_mod : NULL, NULL};
	struct ib_buf notes = {0};
	struct ib_error e = {0};
	int r = ib_ctf_check_fuse(module, kernel, &notes, &e);
	if (r == 0) {
		_cleanup_free_ char *l = first_line(notes.s, "struct layouts agree");
		ib_checks_add(out, "fuse", "fuse ABI (CTF)", IB_CHECK_OK, NULL, "%s", l);
	} else if (r == 1) {
		_cleanup_free_ char *l = first_line(notes.s, "no CTF to compare");
		ib_checks_add(out, "fuse", "fuse ABI (CTF)", IB_CHECK_WARN,
			      "compare by hand: mdb -k, ::sizeof vnode_t and ::offsetof vnode_t v_type",
			      "could not check: %s", l);
	} else {
		ib_checks_add(out, "fuse", "fuse ABI (CTF)", IB_CHECK_FAIL, NULL, "%s",
			      e.msg ? e.msg : "struct layouts differ");
	}
	ib_error_clear(&e);
	ib_buf_free(&notes);
}

void ib_illumos_fuse_checks(const char *mountpoint, struct ib_checks *out)
{
	_cleanup_free_ char *module = ib_sysroot_path(FUSE_MODULE);
	_cleanup_free_ char *genunix = ib_sysroot_path(GENUNIX);
	check_dev_fuse(out);
	bool have_mod = check_file("fuse module", module, FUSE_PACKAGE, out);
	bool have_kern = check_file("kernel (genunix)", genunix, "is IMGBUILD_SYSROOT right?", out);
	check_loaded(out);
	_cleanup_free_ char *ntfs3g = ib_which("ntfs-3g");
	if (ntfs3g)
		ib_checks_add(out, "fuse", "ntfs-3g", IB_CHECK_OK, NULL, "%s", ntfs3g);
	else
		ib_checks_add(out, "fuse", "ntfs-3g", IB_CHECK_FAIL,
			      "install ntfs-3g (OmniOS: pkg install ooce/system/file-system/ntfs-3g)",
			      "ntfs-3g not found in PATH");
	ib_mountpoint_check(mountpoint, out);
	/* Last: the ABI check of the module against the running kernel. */
	if (have_mod && have_kern)
		check_abi(module, genunix, out);
	else
		ib_checks_add(out, "fuse", "fuse ABI (CTF)", IB_CHECK_FAIL, "see the checks above",
			      "cannot compare struct vnode: %s is missing", have_mod ? genunix : module);
}
