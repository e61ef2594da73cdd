// SPDX-License-Identifier: GPL-2.0-or-later
/* Windows detection on an offline volume (windows-injection.md sections 1,
 * 2 and 4: systemroot candidates as libguestfs accepts them, Select\Current,
 * CurrentVersion, cmd.exe's PE machine, the Setup state keys). */
#include "detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/util.h"
#include "regplan.h"

static const char *const hive_names[IB_WIN_NHIVES] = {"SYSTEM", "SOFTWARE", "DRIVERS"};

const char *ib_win_hive_name(enum ib_win_hive_id id) { return hive_names[id]; }

void ib_win_detect_free(struct ib_win_detect *d)
{
	free(d->root);
	for (int i = 0; i < IB_WIN_NHIVES; i++) {
		free(d->hive_vol[i]);
		free(d->hive_host[i]);
	}
	free(d->control_set);
	free(d->system_root_win);
	ib_win_devpolicy_free(&d->devpolicy);
	ib_winver_free(&d->ver);
	free(d->setup_reason);
	*d = (struct ib_win_detect){0};
}

/* 1 when path exists with the given kind, 0 when not, -1 on error. */
static int has(struct ib_ntfs_files *f, const char *root, const char *rel, bool dir, struct ib_error *err)
{
	_cleanup_free_ char *p = ib_xasprintf("%s/%s", root, rel);
	bool is_dir = false;
	int r = ib_ntfs_files_resolve(f, p, NULL, &is_dir, err);
	return r < 0 ? -1 : r == 1 && is_dir == dir;
}

/* The system root: a candidate directory with System32, System32/config and
 * System32/cmd.exe. */
/* want holds System32, System32\config and System32\cmd.exe: 1 (*real set),
 * 0, -1. */
static int root_ok(struct ib_ntfs_files *f, const char *want, char **real, struct ib_error *err)
{
	bool dir = false;
	int r = ib_ntfs_files_resolve(f, want, real, &dir, err);
	if (r < 0)
		return -1;
	if (r == 0 || !dir)
		return 0;
	int a = has(f, *real, "System32", true, err), b = a == 1 ? has(f, *real, "System32/config", true, err) : 0,
	    c = b == 1 ? has(f, *real, "System32/cmd.exe", false, err) : 0;
	if (a < 0 || b < 0 || c < 0)
		return -1;
	return c == 1;
}

char *ib_win_boot_ini_root(const char *text)
{
	bool in_loader = false;
	for (const char *line = text; line && *line;) {
		const char *end = line + strcspn(line, "\r\n");
		while (line < end && (*line == ' ' || *line == '\t'))
			line++;
		if (*line == '[')
			in_loader = !strncasecmp(line, "[boot loader]", 13);
		else if (in_loader && !strncasecmp(line, "default", 7)) {
			const char *eq = memchr(line, '=', (size_t)(end - line));
			const char *paren = NULL;
			for (const char *p = eq ? eq : end; p < end; p++)
				if (*p == ')')
					paren = p;
			if (paren && paren + 1 < end && paren[1] == '\\') {
				const char *s = paren + 1, *e = end;
				while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
					e--;
				char *out = ib_xstrndup(s, (size_t)(e - s));
				for (char *c = out; *c; c++)
					if (*c == '\\')
						*c = '/';
				return out;
			}
		}
		line = *end ? end + 1 : NULL;
	}
	return NULL;
}

/* Old multi-boot images (NT 5.x) may keep Windows in a folder of any name,
 * named by \boot.ini's default= entry. */
static int boot_ini_candidate(struct ib_ntfs_files *f, char **want, struct ib_error *err)
{
	*want = NULL;
	_cleanup_free_ char *real = NULL;
	bool dir = false;
	int r = ib_ntfs_files_resolve(f, "/boot.ini", &real, &dir, err);
	if (r <= 0 || dir)
		return r < 0 ? -1 : 0;
	const char *tmpdir = getenv("TMPDIR");
	_cleanup_free_ char *host = ib_xasprintf("%s/imgbuild-boot.ini.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int fd = mkstemp(host);
	if (fd < 0)
		return 0; /* no scratch space: the fallback is best effort */
	close(fd);
	uint64_t size = 0;
	r = ib_ntfs_files_read(f, real, host, &size, err);
	FILE *fp = r == 0 && size < 65536 ? fopen(host, "re") : NULL;
	if (fp) {
		char *z = ib_xcalloc(1, (size_t)size + 1);
		if (fread(z, 1, (size_t)size, fp) == size)
			*want = ib_win_boot_ini_root(z);
		free(z);
		fclose(fp);
	}
	unlink(host);
	return r < 0 ? -1 : 0;
}

int ib_win_find_root(struct ib_ntfs_files *f, char **root, struct ib_error *err)
{
	static const char *const candidates[] = {"Windows", "WINNT", "win32", "win", "reactos"};
	*root = NULL;
	for (size_t i = 0; i < IB_ARRAY_SIZE(candidates); i++) {
		_cleanup_free_ char *want = ib_xasprintf("/%s", candidates[i]);
		_cleanup_free_ char *real = NULL;
		int r = root_ok(f, want, &real, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			*root = TAKE_PTR(real);
			return 1;
		}
	}
	_cleanup_free_ char *want = NULL;
	if (boot_ini_candidate(f, &want, err) < 0)
		return -1;
	if (want) {
		_cleanup_free_ char *real = NULL;
		int r = root_ok(f, want, &real, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			*root = TAKE_PTR(real);
			return 1;
		}
	}
	return 0;
}

static int find_root(struct ib_ntfs_files *f, char **root, struct ib_error *err)
{
	int r = ib_win_find_root(f, root, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	return ib_fail(err, IB_EXIT_INPUT,
		       "no Windows on this volume: no \\Windows (or \\WINNT) folder holding System32, System32\\config "
		       "and System32\\cmd.exe");
}

static int copy_hive(struct ib_ntfs_files *f, struct ib_win_detect *d, enum ib_win_hive_id id, const char *work_dir,
		     bool required, struct ib_error *err)
{
	_cleanup_free_ char *want = ib_xasprintf("%s/System32/config/%s", d->root, hive_names[id]);
	_cleanup_free_ char *real = NULL;
	bool dir = false;
	int r = ib_ntfs_files_resolve(f, want, &real, &dir, err);
	if (r < 0)
		return -1;
	if (r == 0 || dir) {
		if (!required)
			return 0;
		return ib_fail(err, IB_EXIT_INPUT, "Windows at %s has no %s hive (System32\\config\\%s)", d->root,
			       hive_names[id], hive_names[id]);
	}
	_cleanup_free_ char *host = ib_xasprintf("%s/hive-%s", work_dir, hive_names[id]);
	if (ib_ntfs_files_read(f, real, host, NULL, err) < 0)
		return -1;
	d->hive_vol[id] = TAKE_PTR(real);
	d->hive_host[id] = TAKE_PTR(host);
	return 0;
}

/* A DWORD if the value is one (other types read as absent). */
static int get_dword(struct ib_hive *h, const char *key, const char *name, uint32_t *v, struct ib_error *err)
{
	struct ib_reg_value rv = {0};
	int r = ib_hive_get_value(h, key, name, &rv, err);
	if (r == 1) {
		r = rv.type == IB_REG_DWORD && rv.len >= 4 ? 1 : 0;
		if (r)
			*v = ib_get_le32(rv.data);
	}
	ib_reg_value_free(&rv);
	return r;
}

/* Whether Setup (specialize/OOBE) runs at the next boot: SYSTEM\Setup
 * SystemSetupInProgress/OOBEInProgress/SetupType, and the sysprep image
 * state in SOFTWARE\...\Setup\State. */
static int setup_state(struct ib_hive *sys, struct ib_hive *sw, struct ib_win_detect *d, struct ib_error *err)
{
	static const char *const dwords[] = {"SystemSetupInProgress", "OOBEInProgress", "SetupType"};
	struct ib_buf why = {0};
	for (size_t i = 0; i < IB_ARRAY_SIZE(dwords); i++) {
		uint32_t v = 0;
		int r = get_dword(sys, "Setup", dwords[i], &v, err);
		if (r < 0) {
			ib_buf_free(&why);
			return -1;
		}
		if (r == 1 && v != 0) {
			d->setup_pending = true;
			ib_buf_printf(&why, "%sSYSTEM\\Setup %s=%u", why.len ? ", " : "", dwords[i], v);
		}
	}
	_cleanup_free_ char *state = NULL;
	struct ib_reg_value rv = {0};
	int r = ib_hive_get_value(sw, "Microsoft\\Windows\\CurrentVersion\\Setup\\State", "ImageState", &rv, err);
	if (r < 0) {
		ib_buf_free(&why);
		return -1;
	}
	if (r == 1 && (rv.type == IB_REG_SZ || rv.type == IB_REG_EXPAND_SZ))
		state = ib_reg_decode_sz(rv.data, rv.len);
	ib_reg_value_free(&rv);
	if (state && strcasecmp(state, "IMAGE_STATE_COMPLETE") != 0) {
		d->setup_pending = true;
		ib_buf_printf(&why, "%sImageState=%s", why.len ? ", " : "", state);
	}
	if (!d->setup_pending)
		ib_buf_printf(&why, "installed image (Setup is not pending%s%s)", state ? "; ImageState=" : "",
			      state ? state : "");
	d->setup_reason = ib_buf_steal(&why);
	return 0;
}

/* The system root as Windows spells it (drive included), for values that
 * Windows reads literally (no %SystemRoot% expansion): SOFTWARE\Microsoft\
 * Windows NT\CurrentVersion\SystemRoot, as Setup wrote it; without it, C:
 * and the root found on the volume (the system volume is C: on any
 * installed Windows unless Setup was told otherwise). */
static int system_root(struct ib_hive *sw, struct ib_win_detect *d, struct ib_error *err)
{
	char *v = NULL;
	int r = ib_hive_get_string(sw, "Microsoft\\Windows NT\\CurrentVersion", "SystemRoot", &v, err);
	if (r < 0)
		return -1;
	bool usable = r == 1 && v && ((v[0] >= 'A' && v[0] <= 'Z') || (v[0] >= 'a' && v[0] <= 'z')) && v[1] == ':' &&
		      v[2] == '\\' && v[3];
	if (usable) {
		d->system_root_win = v;
		return 0;
	}
	free(v);
	struct ib_buf b = {0};
	ib_buf_puts(&b, "C:");
	for (const char *p = d->root; *p; p++)
		ib_buf_append(&b, *p == '/' ? "\\" : p, 1);
	d->system_root_win = ib_buf_steal(&b);
	return 0;
}

int ib_win_detect(struct ib_ntfs_files *f, const char *work_dir, struct ib_win_detect *d, struct ib_error *err)
{
	*d = (struct ib_win_detect){0};
	if (find_root(f, &d->root, err) < 0 || copy_hive(f, d, IB_WIN_HIVE_SYSTEM, work_dir, true, err) < 0 ||
	    copy_hive(f, d, IB_WIN_HIVE_SOFTWARE, work_dir, true, err) < 0 ||
	    copy_hive(f, d, IB_WIN_HIVE_DRIVERS, work_dir, false, err) < 0)
		return -1;

	_cleanup_free_ char *cmd_vol = ib_xasprintf("%s/System32/cmd.exe", d->root);
	_cleanup_free_ char *cmd_host = ib_xasprintf("%s/cmd.exe", work_dir);
	if (ib_ntfs_files_read(f, cmd_vol, cmd_host, NULL, err) < 0 ||
	    ib_winver_pe_arch_file(cmd_host, "System32\\cmd.exe", &d->arch, err) < 0)
		return -1;
	d->virtio_arch = ib_win_arch_virtio_dir(d->arch);

	struct ib_hive *sys = ib_hive_open(d->hive_host[IB_WIN_HIVE_SYSTEM], "SYSTEM", 0, err);
	struct ib_hive *sw = sys ? ib_hive_open(d->hive_host[IB_WIN_HIVE_SOFTWARE], "SOFTWARE", 0, err) : NULL;
	struct ib_hive *drv = NULL;
	int rc = sys && sw ? 0 : -1;
	if (!rc && d->hive_host[IB_WIN_HIVE_DRIVERS] &&
	    !(drv = ib_hive_open(d->hive_host[IB_WIN_HIVE_DRIVERS], "DRIVERS", 0, err)))
		rc = -1;
	if (!rc)
		rc = ib_winver_control_set(sys, &d->control_set, err);
	if (!rc)
		rc = ib_winver_read(sw, &d->ver, err);
	if (!rc) {
		d->virtio_os = d->ver.virtio_dir;
		/* libguestfs's test is a root key DriverDatabase in SYSTEM; newer
		 * Windows keeps it in the separate DRIVERS hive. */
		int in_sys = ib_hive_key_exists(sys, "DriverDatabase", err);
		int in_drv = in_sys == 0 && drv ? ib_hive_key_exists(drv, "DriverDatabase", err) : 0;
		if (in_sys < 0 || in_drv < 0)
			rc = -1;
		d->ddb = in_sys == 1 || in_drv == 1 || ib_regplan_pnp_for(d->ver.major, d->ver.minor) == IB_REGPLAN_DDB;
		d->ddb_hive = in_drv == 1 ? IB_WIN_HIVE_DRIVERS : IB_WIN_HIVE_SYSTEM;
	}
	if (!rc)
		rc = setup_state(sys, sw, d, err);
	if (!rc)
		rc = system_root(sw, d, err);
	if (!rc)
		rc = ib_win_devpolicy_read(sw, &d->devpolicy, err);
	ib_hive_close(drv);
	ib_hive_close(sw);
	ib_hive_close(sys);
	return rc;
}
