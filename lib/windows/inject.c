// SPDX-License-Identifier: GPL-2.0-or-later
/* The offline injector's top level (see inject.h for the order of work and
 * why: everything is checked and prepared on the host while the volume is
 * open read-only; only then are files written, and the hives last, each
 * under a temporary name first and renamed over the original). */
#include "inject.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/sha256.h"
#include "detect.h"
#include "drivers.h"
#include "firstboot.h"

/* ---- the recipe's registry: entries ---- */

static const char *hive_of(const char *h)
{
	if (!strncasecmp(h, "HKEY_LOCAL_MACHINE\\", 19))
		h += 19;
	else if (!strncasecmp(h, "HKLM\\", 5))
		h += 5;
	static const char *const known[] = {"SYSTEM", "SOFTWARE", "DRIVERS"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(known); i++)
		if (!strcasecmp(h, known[i]))
			return known[i];
	return NULL;
}

static int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	struct ib_buf b = {0};
	int hi = -1;
	for (const char *p = s; *p; p++) {
		int v = *p >= '0' && *p <= '9' ? *p - '0'
			: (*p | 32) >= 'a' && (*p | 32) <= 'f' ? (*p | 32) - 'a' + 10
								  : -1;
		if (v < 0) {
			if ((*p == ' ' || *p == ',' || *p == ':') && hi < 0)
				continue;
			ib_buf_free(&b);
			return -1;
		}
		if (hi < 0) {
			hi = v;
		} else {
			char c = (char)(hi << 4 | v);
			ib_buf_append(&b, &c, 1);
			hi = -1;
		}
	}
	if (hi >= 0) {
		ib_buf_free(&b);
		return -1;
	}
	*len = b.len;
	*out = (uint8_t *)b.s;
	return 0;
}

static int user_registry(const struct ib_win_spec *spec, struct ib_reg_edits *edits, struct ib_error *err)
{
	for (size_t i = 0; i < spec->n_registry; i++) {
		const struct ib_win_reg_spec *r = &spec->registry[i];
		const char *hive = r->hive ? hive_of(r->hive) : NULL;
		if (!hive)
			return ib_fail_at(err, IB_EXIT_INPUT, &r->loc,
					  "registry: hive \"%s\" is not SYSTEM, SOFTWARE or DRIVERS", r->hive ? r->hive : "");
		if (!r->key || !r->key[0])
			return ib_fail_at(err, IB_EXIT_INPUT, &r->loc, "registry: a key is needed");
		if (r->del) {
			if (r->name)
				ib_reg_edits_delete_value(edits, hive, r->key, r->name);
			else
				ib_reg_edits_delete_key(edits, hive, r->key);
			continue;
		}
		if (!r->name) {
			ib_reg_edits_create_key(edits, hive, r->key);
			continue;
		}
		const char *data = r->data ? r->data : "";
		char *end = NULL;
		int rc = 0;
		switch (r->type) {
		case IB_REG_SZ:
			rc = ib_reg_edits_set_sz(edits, hive, r->key, r->name, data, err);
			break;
		case IB_REG_EXPAND_SZ:
			rc = ib_reg_edits_set_expand_sz(edits, hive, r->key, r->name, data, err);
			break;
		case IB_REG_MULTI_SZ:
			rc = ib_reg_edits_set_multi_sz(edits, hive, r->key, r->name, r->multi, r->n_multi, err);
			break;
		case IB_REG_DWORD:
		case IB_REG_QWORD: {
			errno = 0;
			unsigned long long v = strtoull(data, &end, 0);
			if (!data[0] || *end || errno || data[0] == '-' ||
			    (r->type == IB_REG_DWORD && v > UINT32_MAX))
				return ib_fail_at(err, IB_EXIT_INPUT, &r->loc, "registry %s\\%s: \"%s\" is not a %s number",
						  r->key, r->name, data, r->type == IB_REG_DWORD ? "32-bit" : "64-bit");
			if (r->type == IB_REG_DWORD)
				ib_reg_edits_set_dword(edits, hive, r->key, r->name, (uint32_t)v);
			else
				ib_reg_edits_set_qword(edits, hive, r->key, r->name, v);
			break;
		}
		default: {
			uint8_t *bytes = NULL;
			size_t n = 0;
			if (parse_hex(data, &bytes, &n) < 0)
				return ib_fail_at(err, IB_EXIT_INPUT, &r->loc,
						  "registry %s\\%s: \"%s\" is not hex bytes (\"01 ff 00\")", r->key, r->name,
						  data);
			ib_reg_edits_set(edits, hive, r->key, r->name, r->type, bytes, n);
			free(bytes);
		}
		}
		if (rc < 0) {
			ib_error_prefix(err, "registry %s\\%s", r->key, r->name);
			err->loc = r->loc;
			return -1;
		}
	}
	return 0;
}

/* ---- the three phases ---- */

struct run {
	const struct ib_win_spec *spec;
	struct ib_vol_target vt;
	char *work;
	struct ib_win_detect d;
	struct ib_win_drvdirs dirs;
	struct ib_win_files files;
	struct ib_reg_edits edits;
	struct ib_win_pkgs pkgs;
	char *hive_new[IB_WIN_NHIVES]; /* host: edited and verified hive */
};

static void fill_windows(struct ib_win_report *rep, const struct ib_win_detect *d)
{
	rep->root = ib_xstrdup(d->root);
	rep->product = d->ver.product_name ? ib_xstrdup(d->ver.product_name) : NULL;
	rep->major = d->ver.major;
	rep->minor = d->ver.minor;
	rep->build = d->ver.build;
	rep->server = d->ver.server;
	rep->edition = d->ver.edition_id ? ib_xstrdup(d->ver.edition_id) : NULL;
	rep->installation_type = d->ver.installation_type ? ib_xstrdup(d->ver.installation_type) : NULL;
	rep->arch = ib_win_arch_name(d->arch);
	rep->virtio_os = d->virtio_os;
	rep->control_set = ib_xstrdup(d->control_set);
	rep->pnp = d->ddb ? "DriverDatabase" : "CriticalDeviceDatabase";
	rep->ddb_hive = d->ddb ? ib_xstrdup(ib_win_hive_name(d->ddb_hive)) : NULL;
	rep->setup_pending = d->setup_pending;
	rep->setup_reason = ib_xstrdup(d->setup_reason);
}

/* Phase 1: read-only. */
static int prepare(struct run *r, struct ib_win_report *rep, struct ib_error *err)
{
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&r->vt, true, NULL, &f, err) < 0)
		return -1;
	int rc = ib_win_detect(f, r->work, &r->d, err);
	if (!rc) {
		fill_windows(rep, &r->d);
		rc = ib_win_drivers_sources(r->spec, &r->d, r->work, &r->dirs, err);
	}
	if (!rc)
		rc = ib_win_drivers_plan(&r->dirs, &r->d, &r->files, &r->edits, &r->pkgs, rep, err);
	if (!rc)
		rc = ib_win_firstboot_plan(r->spec, &r->d, &r->pkgs, f, r->work, &r->files, &r->edits, rep, err);
	/* diagnose: a stop error (0x7B) stays on screen instead of rebooting,
	 * so whoever watches the console can read it (virt-v2v does the same). */
	if (!rc && r->spec->diagnose)
		ib_reg_edits_set_dword(&r->edits, "SYSTEM", "CurrentControlSet\\Control\\CrashControl", "AutoReboot", 0);
	/* The answer file: where Windows looks for one first when it boots into
	 * the specialize and oobeSystem passes (Panther). */
	if (!rc && r->spec->unattend) {
		_cleanup_free_ char *src = ib_path_join(r->spec->base_dir ? r->spec->base_dir : ".", r->spec->unattend);
		_cleanup_free_ char *dst = ib_xasprintf("%s/Panther/unattend.xml", r->d.root);
		ib_win_files_add(&r->files, src, dst, false);
	}
	/* The recipe's own registry entries come last: they win. */
	if (!rc)
		rc = user_registry(r->spec, &r->edits, err);
	if (ib_ntfs_files_close(f, err) < 0)
		rc = -1;
	if (rc)
		return -1;

	/* Every edit must name a hive the image has. */
	for (size_t i = 0; i < r->edits.list.n; i++) {
		const char *h = r->edits.list.v[i].hive;
		if (!strcasecmp(h, "DRIVERS") && !r->d.hive_host[IB_WIN_HIVE_DRIVERS])
			return ib_fail(err, IB_EXIT_INPUT, "registry: this Windows has no DRIVERS hive (%s\\%s)", h,
				       r->edits.list.v[i].key);
	}
	/* Edit and verify host copies of the hives now: a failing edit stops
	 * the run before the volume is touched. */
	for (int h = 0; h < IB_WIN_NHIVES; h++) {
		if (!r->d.hive_host[h])
			continue;
		char *out = ib_xasprintf("%s.new", r->d.hive_host[h]);
		int a = ib_regedit_apply(ib_win_hive_name(h), r->d.hive_host[h], out, &r->edits, 0, &rep->changes, err);
		if (a < 0) {
			free(out);
			return -1;
		}
		if (a == 1)
			r->hive_new[h] = out;
		else
			free(out);
	}
	for (size_t i = 0; i < r->files.list.n; i++) {
		const struct ib_win_file *fl = &r->files.list.v[i];
		struct ib_win_file_report fr = {.path = ib_xstrdup(fl->dst),
						.source = ib_xstrdup(fl->generated ? "(generated)" : fl->src)};
		int s = ib_sha256_file(fl->src, fr.sha256, &fr.size, err);
		IB_VEC_PUSH(rep->files, fr);
		if (s < 0)
			return -1;
	}
	return 0;
}

static char *parent_of(const char *p, const char **name)
{
	const char *s = strrchr(p, '/');
	*name = s ? s + 1 : p;
	return s && s != p ? ib_xstrndup(p, (size_t)(s - p)) : ib_xstrdup("/");
}

/* Phase 2: files, then hives. */
static int write_all(struct run *r, struct ib_win_report *rep, struct ib_error *err)
{
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&r->vt, false, r->spec->mtime, &f, err) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < r->files.list.n && !rc; i++) {
		const struct ib_win_file *fl = &r->files.list.v[i];
		const char *name;
		_cleanup_free_ char *parent = parent_of(fl->dst, &name);
		_cleanup_free_ char *real = NULL;
		rc = ib_ntfs_files_mkdir(f, parent, &real, err);
		if (rc)
			break;
		_cleanup_free_ char *dst = ib_xasprintf("%s%s%s", real, strcmp(real, "/") ? "/" : "", name);
		rc = ib_ntfs_files_write(f, dst, fl->src, err);
		/* The report shows the stored path (its case included). */
		_cleanup_free_ char *stored = NULL;
		if (!rc && ib_ntfs_files_resolve(f, dst, &stored, NULL, err) == 1) {
			free(rep->files.v[i].path);
			rep->files.v[i].path = TAKE_PTR(stored);
		}
	}
	for (int h = 0; h < IB_WIN_NHIVES && !rc; h++) {
		if (!r->hive_new[h])
			continue;
		const char *name;
		_cleanup_free_ char *dir = parent_of(r->d.hive_vol[h], &name);
		_cleanup_free_ char *tmp = ib_xasprintf("%s/%s.imgbuild-new", dir, name);
		rc = ib_ntfs_files_write(f, tmp, r->hive_new[h], err);
		if (!rc)
			rc = ib_ntfs_files_rename(f, tmp, name, err);
		if (rc) {
			struct ib_error ignore = {0};
			ib_ntfs_files_remove(f, tmp, &ignore);
			ib_error_clear(&ignore);
		}
	}
	if (ib_ntfs_files_close(f, err) < 0)
		rc = -1;
	return rc;
}

/* Phase 3: read everything back. Mismatches are build failures (exit 1). */
static int verify(struct run *r, struct ib_win_report *rep, struct ib_error *err)
{
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&r->vt, true, NULL, &f, err) < 0)
		return -1;
	_cleanup_free_ char *back = ib_xasprintf("%s/readback", r->work);
	int rc = 0;
	for (size_t i = 0; i < rep->files.n && !rc; i++) {
		char sum[65];
		rc = ib_ntfs_files_read(f, rep->files.v[i].path, back, NULL, err);
		if (!rc)
			rc = ib_sha256_file(back, sum, NULL, err);
		if (!rc && strcmp(sum, rep->files.v[i].sha256))
			rc = ib_fail(err, IB_EXIT_FAIL, "verification: %s reads back with sha256 %s, not %s",
				     rep->files.v[i].path, sum, rep->files.v[i].sha256);
	}
	for (int h = 0; h < IB_WIN_NHIVES && !rc; h++) {
		if (!r->hive_new[h])
			continue;
		rc = ib_ntfs_files_read(f, r->d.hive_vol[h], back, NULL, err);
		if (!rc)
			rc = ib_regedit_verify(ib_win_hive_name(h), back, &r->edits, 0, err);
		if (rc)
			ib_error_prefix(err, "verification of %s", r->d.hive_vol[h]);
	}
	if (ib_ntfs_files_close(f, err) < 0)
		rc = -1;
	if (!rc)
		rep->verified = true;
	return rc;
}

int ib_win_inject(const struct ib_win_target *t, const struct ib_win_spec *spec, struct ib_win_report *rep,
		  struct ib_error *err)
{
	*rep = (struct ib_win_report){0};
	if (spec->target_note)
		rep->target = ib_xstrdup(spec->target_note);
	const char *base = spec->work_dir ? spec->work_dir : getenv("TMPDIR");
	struct run r = {.spec = spec,
			.vt = {.image = t->image, .offset = t->offset, .size = t->size, .sector_size = t->sector_size}};
	r.work = ib_xasprintf("%s/imgbuild-win-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(r.work)) {
		int e = errno;
		free(r.work);
		return ib_fail_errno(err, -e, "cannot create a work directory in %s", base && *base ? base : "/tmp");
	}
	int rc = prepare(&r, rep, err);
	if (!rc)
		rc = write_all(&r, rep, err);
	if (!rc)
		rc = verify(&r, rep, err);

	ib_rm_rf(r.work);
	free(r.work);
	ib_win_detect_free(&r.d);
	ib_win_drvdirs_free(&r.dirs);
	ib_win_files_free(&r.files);
	ib_reg_edits_free(&r.edits);
	ib_win_pkgs_free(&r.pkgs);
	for (int h = 0; h < IB_WIN_NHIVES; h++)
		free(r.hive_new[h]);
	return rc;
}
