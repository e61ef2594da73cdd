// SPDX-License-Identifier: GPL-2.0-or-later
/* Finding external programs, and naming the Debian package that provides a
 * missing one, so an environment error tells the user what to install. */
#include "spawn.h"

#include <stdio.h>
#include <sys/stat.h>

struct tool_pkg {
	const char *prog;
	const char *pkg;
};

/* Program -> Debian 12 package (checked with dpkg -S on bookworm). */
static const struct tool_pkg tool_pkgs[] = {
	{"mkntfs", "ntfs-3g"},       {"ntfs-3g", "ntfs-3g"},        {"lowntfs-3g", "ntfs-3g"},
	{"ntfsfix", "ntfs-3g"},      {"ntfsinfo", "ntfs-3g"},       {"ntfslabel", "ntfs-3g"},
	{"ntfsclone", "ntfs-3g"},    {"ntfscp", "ntfs-3g"},         {"ntfsresize", "ntfs-3g"},
	{"ntfsls", "ntfs-3g"},       {"ntfscat", "ntfs-3g"},        {"mkfs.ntfs", "ntfs-3g"},
	{"mkfs.fat", "dosfstools"},  {"mkfs.vfat", "dosfstools"},   {"mkdosfs", "dosfstools"},
	{"fsck.fat", "dosfstools"},  {"fsck.vfat", "dosfstools"},   {"fatlabel", "dosfstools"},
	{"mcopy", "mtools"},         {"mmd", "mtools"},             {"mdir", "mtools"},
	{"mtype", "mtools"},         {"mattrib", "mtools"},         {"mformat", "mtools"},
	{"mlabel", "mtools"},        {"minfo", "mtools"},           {"mdel", "mtools"},
	{"mdeltree", "mtools"},      {"mren", "mtools"},            {"mmove", "mtools"},
	{"mshowfat", "mtools"},      {"qemu-img", "qemu-utils"},    {"qemu-nbd", "qemu-utils"},
	{"sgdisk", "gdisk"},         {"gdisk", "gdisk"},            {"cgdisk", "gdisk"},
	{"sfdisk", "fdisk"},         {"fdisk", "fdisk"},            {"cfdisk", "fdisk"},
	{"losetup", "mount"},        {"mount", "mount"},            {"umount", "mount"},
	{"blkid", "util-linux"},     {"wipefs", "util-linux"},      {"blockdev", "util-linux"},
	{"partx", "util-linux"},     {"fallocate", "util-linux"},   {"fusermount3", "fuse3"},
	{"fusermount", "fuse3"},     {"hivexsh", "libhivex-bin"},   {"hivexget", "libhivex-bin"},
	{"hivexml", "libhivex-bin"}, {"hivexregedit", "libwin-hivex-perl"},
	{"guestfish", "libguestfs-tools"},                          {"modinfo", "kmod"},
	{"dmsetup", "dmsetup"},      {"truncate", "coreutils"},     {"dd", "coreutils"},
	{"sha256sum", "coreutils"},  {"cabextract", "cabextract"},  {"wimlib-imagex", "wimtools"},
};

static const struct ib_pkg_system debian = {.name = "Debian", .install = "apt-get install"};
static const struct ib_pkg_system *pkg_system = &debian;

void ib_tools_set_system(const struct ib_pkg_system *s)
{
	pkg_system = s ? s : &debian;
}

const struct ib_pkg_system *ib_tools_system(void)
{
	return pkg_system;
}

char *ib_tool_remedy(const char *prog)
{
	if (pkg_system->remedy)
		return pkg_system->remedy(prog);
	const char *pkg = ib_tool_package(prog);
	if (!pkg)
		return ib_xasprintf("install %s (no known %s package provides it)", prog, pkg_system->name);
	return ib_xasprintf("install the %s package %s (%s %s)", pkg_system->name, pkg, pkg_system->install, pkg);
}

const char *ib_tool_package(const char *prog)
{
	if (pkg_system != &debian)
		return NULL; /* the table below names Debian packages */
	if (!prog)
		return NULL;
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	for (size_t i = 0; i < IB_ARRAY_SIZE(tool_pkgs); i++)
		if (strcmp(tool_pkgs[i].prog, base) == 0)
			return tool_pkgs[i].pkg;
	return NULL;
}

static bool is_executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static char *make_absolute(char *path)
{
	if (path[0] == '/')
		return path;
	char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return path;
	char *abs = ib_path_join(cwd, path);
	free(cwd);
	free(path);
	return abs;
}

/* Look prog up in one colon-separated directory list; empty entries mean ".". */
static char *search_dirs(const char *dirs, const char *prog)
{
	const char *p = dirs;
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		char *dir = n ? ib_xstrndup(p, n) : ib_xstrdup(".");
		char *cand = ib_xasprintf("%s/%s", dir, prog);
		free(dir);
		if (is_executable_file(cand))
			return make_absolute(cand);
		free(cand);
		if (!colon)
			return NULL;
		p = colon + 1;
	}
}

/* Debian keeps mkntfs, mkfs.fat, sgdisk, sfdisk and losetup in /usr/sbin,
 * which is not in an ordinary user's PATH; since imgbuild runs rootless,
 * these directories are searched after PATH. */
static const char sbin_dirs[] = "/usr/local/sbin:/usr/sbin:/sbin";

char *ib_which(const char *prog)
{
	if (!prog || !*prog)
		return NULL;
	if (strchr(prog, '/'))
		return is_executable_file(prog) ? make_absolute(ib_xstrdup(prog)) : NULL;
	const char *path = getenv("PATH");
	char *found = search_dirs(path ? path : "/usr/local/bin:/usr/bin:/bin", prog);
	if (!found)
		found = search_dirs(sbin_dirs, prog);
	return found;
}

static bool seen_before(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return true;
	return false;
}

int ib_tools_check(const char *const *progs, struct ib_error *err)
{
	struct ib_buf list = {0}, install = {0};
	size_t nmissing = 0, npkgs = 0, i;
	const char *first = NULL;

	for (i = 0; progs && progs[i]; i++) {
		if (seen_before(progs, i, progs[i]))
			continue;
		char *path = ib_which(progs[i]);
		if (path) {
			free(path);
			continue;
		}
		const char *pkg = ib_tool_package(progs[i]);
		if (nmissing++)
			ib_buf_puts(&list, ", ");
		else
			first = progs[i];
		if (pkg_system != &debian)
			ib_buf_puts(&list, progs[i]);
		else if (pkg)
			ib_buf_printf(&list, "%s (Debian package %s)", progs[i], pkg);
		else
			ib_buf_printf(&list, "%s (no known Debian package)", progs[i]);
		/* List each package once in the apt-get suggestion. */
		bool dup = false;
		for (size_t k = 0; pkg && k < i && !dup; k++) {
			const char *other = ib_tool_package(progs[k]);
			if (other && strcmp(other, pkg) == 0) {
				char *p = ib_which(progs[k]);
				dup = !p;
				free(p);
			}
		}
		if (pkg && !dup) {
			ib_buf_printf(&install, " %s", pkg);
			npkgs++;
		}
	}

	int ret = 0;
	if (pkg_system != &debian && nmissing) {
		_cleanup_free_ char *remedy = ib_tool_remedy(first);
		ret = ib_fail(err, IB_EXIT_ENV, "%s not found in PATH (%s)", nmissing == 1 ? first : list.s, remedy);
	} else if (nmissing == 1 && npkgs == 1)
		ret = ib_fail(err, IB_EXIT_ENV, "%s: program not found in PATH (install the Debian package %s: apt-get install%s)",
			      first, ib_tool_package(first), install.s);
	else if (nmissing == 1)
		ret = ib_fail(err, IB_EXIT_ENV, "%s: program not found in PATH", first);
	else if (nmissing > 1)
		ret = ib_fail(err, IB_EXIT_ENV, "programs not found in PATH: %s%s%s", list.s,
			      npkgs ? "; install them with: apt-get install" : "", npkgs ? install.s : "");
	ib_buf_free(&list);
	ib_buf_free(&install);
	return ret;
}
