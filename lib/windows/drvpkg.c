// SPDX-License-Identifier: GPL-2.0-or-later
/* Driver packages: every INF of the chosen driver folders, parsed for the
 * detected Windows, becomes files (the whole package staged under
 * %SystemRoot%\Drivers\imgbuild\<name> for PnP and pnputil, and each file
 * where the INF's CopyFiles send it) and, for a boot-critical driver, the
 * registry edits that let Windows load it from the boot disk
 * (windows-injection.md section 3): the service values of its
 * service-install section with Start forced to 0 and StartOverride removed,
 * the service's AddReg, and the CriticalDeviceDatabase (before Windows 8) or
 * DriverDatabase (8 and later) binding of every hardware id of the chosen
 * models. */
#include <dirent.h>
#include <strings.h>

#include "drivers.h"
#include "regplan.h"

#define GUID_SCSIADAPTER "{4d36e97b-e325-11ce-bfc1-08002be10318}"
#define GUID_HDC "{4d36e96a-e325-11ce-bfc1-08002be10318}"

void ib_win_pkgs_free(struct ib_win_pkgs *p)
{
	for (size_t i = 0; i < p->pnp.n; i++) {
		free(p->pnp.v[i].name);
		free(p->pnp.v[i].inf_win);
		for (size_t k = 0; k < p->pnp.v[i].cleanup.n; k++)
			free(p->pnp.v[i].cleanup.v[k]);
		free(p->pnp.v[i].cleanup.v);
	}
	free(p->pnp.v);
	for (size_t i = 0; i < p->stage_dirs.n; i++)
		free(p->stage_dirs.v[i]);
	free(p->stage_dirs.v);
	*p = (struct ib_win_pkgs){0};
}

/* An INF error's location points into the INF object or the path we pass;
 * both die here, so fold "file:line:" into the message. */
static void fold_loc(struct ib_error *err)
{
	if (!err->loc.file)
		return;
	if (err->loc.line)
		ib_error_prefix(err, "%s:%u", err->loc.file, err->loc.line);
	else
		ib_error_prefix(err, "%s", err->loc.file);
	err->loc = (struct ib_loc){0};
}

static int strv_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

struct strv {
	IB_VEC(char *) list;
};

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->list.n; i++)
		free(s->list.v[i]);
	free(s->list.v);
	*s = (struct strv){0};
}

static bool strv_has_ci(const struct strv *s, const char *x)
{
	for (size_t i = 0; i < s->list.n; i++)
		if (!strcasecmp(s->list.v[i], x))
			return true;
	return false;
}

/* Index of x (case-insensitive), or SIZE_MAX. */
static size_t strv_index(const struct strv *s, const char *x)
{
	for (size_t i = 0; i < s->list.n; i++)
		if (!strcasecmp(s->list.v[i], x))
			return i;
	return SIZE_MAX;
}

static void strv_add_unique(struct strv *s, const char *x)
{
	if (!strv_has_ci(s, x))
		IB_VEC_PUSH(s->list, ib_xstrdup(x));
}

static void list_infs(const char *dir, struct strv *out)
{
	DIR *dh = opendir(dir);
	for (struct dirent *de; dh && (de = readdir(dh));) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcasecmp(de->d_name + n - 4, ".inf"))
			IB_VEC_PUSH(out->list, ib_xstrdup(de->d_name));
	}
	if (dh)
		closedir(dh);
	if (out->list.n)
		qsort(out->list.v, out->list.n, sizeof(char *), strv_cmp);
}

static char *stem_of(const char *inf_file)
{
	size_t n = strlen(inf_file);
	return ib_xstrndup(inf_file, n > 4 ? n - 4 : n);
}

static const char *basename_win(const char *p)
{
	const char *b = strrchr(p, '\\');
	const char *s = strrchr(p, '/');
	if (s && (!b || s > b))
		b = s;
	return b ? b + 1 : p;
}

/* One INF's AddReg lines as edits; hkr is the SYSTEM key HKR stands for. */
static int addreg_edits(const struct ib_inf_addreg *r, size_t n, const char *hkr, struct ib_reg_edits *out,
			struct ib_win_report *rep, struct ib_error *err)
{
	for (size_t i = 0; i < n; i++, r++) {
		const char *hive = "SYSTEM";
		_cleanup_free_ char *key = NULL;
		if (!strcasecmp(r->root, "HKR")) {
			key = r->subkey[0] ? ib_xasprintf("%s\\%s", hkr, r->subkey) : ib_xstrdup(hkr);
		} else if (!strcasecmp(r->root, "HKLM") && !strncasecmp(r->subkey, "SYSTEM\\", 7)) {
			key = ib_xstrdup(r->subkey + 7);
		} else if (!strcasecmp(r->root, "HKLM") && !strncasecmp(r->subkey, "SOFTWARE\\", 9)) {
			hive = "SOFTWARE";
			key = ib_xstrdup(r->subkey + 9);
		} else {
			IB_VEC_PUSH(rep->warnings, ib_xasprintf("AddReg %s,%s (section %s, line %u) not written offline: "
								 "only HKR and HKLM\\SYSTEM/SOFTWARE are",
								 r->root, r->subkey, r->section, r->line));
			continue;
		}
		int rc = 0;
		if (r->key_only)
			ib_reg_edits_create_key(out, hive, key);
		else if (r->flags & IB_ADDREG_DELVAL)
			ib_reg_edits_delete_value(out, hive, key, r->name);
		else if (r->type == IB_REG_SZ)
			rc = ib_reg_edits_set_sz(out, hive, key, r->name, r->n_strs ? r->strs[0] : "", err);
		else if (r->type == IB_REG_EXPAND_SZ)
			rc = ib_reg_edits_set_expand_sz(out, hive, key, r->name, r->n_strs ? r->strs[0] : "", err);
		else if (r->type == IB_REG_MULTI_SZ)
			rc = ib_reg_edits_set_multi_sz(out, hive, key, r->name, (const char *const *)r->strs, r->n_strs, err);
		else if (r->type == IB_REG_DWORD)
			ib_reg_edits_set_dword(out, hive, key, r->name, r->dword);
		else
			ib_reg_edits_set(out, hive, key, r->name, (enum ib_reg_type)r->type, r->bin, r->bin_len);
		if (rc < 0) {
			ib_error_prefix(err, "AddReg section %s line %u", r->section, r->line);
			return -1;
		}
	}
	return 0;
}

/* Why a package is boot-critical, or NULL. */
static char *boot_reason(const struct ib_inf_version *v, const struct ib_win_driver_spec *s)
{
	if (s && s->boot_critical)
		return ib_xstrdup("named boot-critical in the recipe");
	if (v->class_name && (!strcasecmp(v->class_name, "SCSIAdapter") || !strcasecmp(v->class_name, "HDC")))
		return ib_xasprintf("class %s (storage controller)", v->class_name);
	if (v->class_guid && (!strcasecmp(v->class_guid, GUID_SCSIADAPTER) || !strcasecmp(v->class_guid, GUID_HDC)))
		return ib_xasprintf("class GUID %s (storage controller)", v->class_guid);
	return NULL;
}

struct pkg_ctx {
	const struct ib_win_drvdir *dd;
	const struct ib_win_detect *d;
	struct ib_inf_target t;
	const char *stage_vol, *stage_win;
	struct ib_win_files *files;
	struct ib_reg_edits *edits;
	struct ib_win_report *rep;
	/* The package's placeholder bindings: reg.exe commands removing them once
	 * pnputil installed the real package (see ib_win_pnp_inf). */
	struct ib_win_pnp_inf *placeholders;
};

/* The services a device's install section names that drive it: those with
 * SPSVCINST_ASSOCSERVICE, or all when none has the flag. */
static bool drives_device(const struct ib_inf_install *ins, size_t k)
{
	bool any_assoc = false;
	for (size_t i = 0; i < ins->n_services; i++)
		any_assoc |= (ins->services[i].flags & 0x2) != 0;
	return !any_assoc || (ins->services[k].flags & 0x2);
}

/* Service values, AddReg and the PnP binding of one boot service. */
/* The reg.exe commands that remove one placeholder binding at first boot,
 * from SYSTEM and (where it holds a driver database) the DRIVERS hive, which
 * a running Windows loads at HKLM\DRIVERS. A key or value already gone is
 * fine (`|| ver >nul` keeps the step's exit code 0). */
static void add_placeholder_cleanup(struct pkg_ctx *c, const char *fake_inf, const struct strv *ids)
{
	struct ib_win_pnp_inf *p = c->placeholders;
	p->boot_placeholder = true;
	const char *roots[] = {"HKLM\\SYSTEM", c->d->ddb_hive == IB_WIN_HIVE_DRIVERS ? "HKLM\\DRIVERS" : NULL};
	size_t stem = strlen(fake_inf) - 4; /* ".inf" */
	const char *arch = ib_win_arch_name(c->d->arch);
	for (size_t r = 0; r < 2 && roots[r]; r++) {
		for (size_t i = 0; i < ids->list.n; i++)
			IB_VEC_PUSH(p->cleanup, ib_xasprintf("reg.exe delete \"%s\\DriverDatabase\\DeviceIds\\%s\" /v \"%s\" /f",
							     roots[r], ids->list.v[i], fake_inf));
		IB_VEC_PUSH(p->cleanup,
			    ib_xasprintf("reg.exe delete \"%s\\DriverDatabase\\DriverPackages\\%s_%s_0000000000000000\" /f",
					 roots[r], fake_inf, arch));
		IB_VEC_PUSH(p->cleanup, ib_xasprintf("reg.exe delete \"%s\\DriverDatabase\\DriverInfFiles\\%s\" /f",
						     roots[r], fake_inf));
	}
	(void)stem;
}

static int boot_service(struct pkg_ctx *c, const char *pkg, const struct ib_inf_version *v,
			const struct ib_inf_install *ins, const struct ib_inf_service *s, const struct strv *ids,
			const bool *id_is_first, struct ib_error *err)
{
	const char *bin = s->binary_raw ? basename_win(s->binary_raw) : NULL;
	const struct ib_inf_copyfile *cf = NULL;
	for (size_t i = 0; bin && i < ins->n_files && !cf; i++)
		if (!strcasecmp(ins->files[i].dest, bin))
			cf = &ins->files[i];
	if (!cf)
		return ib_fail(err, IB_EXIT_INPUT, "%s: service %s (line %u): its ServiceBinary %s is not copied by install "
				     "section %s", pkg, s->name, s->line, bin ? bin : "(none)", ins->section);
	/* Boot drivers load from System32\drivers whatever the INF's DIRID is
	 * (13, the driver store, has no fixed path offline). */
	_cleanup_free_ char *src_rel = cf->source_dir && cf->source_dir[0]
					       ? ib_xasprintf("%s/%s", cf->source_dir, cf->source)
					       : ib_xstrdup(cf->source);
	_cleanup_free_ char *src = ib_win_host_path(c->dd->dir, src_rel);
	_cleanup_free_ char *dst = ib_xasprintf("%s/System32/drivers/%s", c->d->root, cf->dest);
	ib_win_files_add(c->files, src, dst, false);
	_cleanup_free_ char *image = ib_xasprintf("System32\\drivers\\%s", cf->dest);

	/* A device-installation policy that denies the controller: Windows would
	 * not install its driver and stop with INACCESSIBLE_BOOT_DEVICE. */
	_cleanup_free_ char *blocked = ib_win_devpolicy_blocks(&c->d->devpolicy, v->class_guid ? v->class_guid : GUID_SCSIADAPTER,
							       (const char *const *)ids->list.v, ids->list.n);
	if (blocked)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s: boot-critical driver %s: %s, so Windows would not install it and would stop with "
			       "INACCESSIBLE_BOOT_DEVICE (0x7B); remove the restriction from the image (SOFTWARE\\Policies\\"
			       "Microsoft\\Windows\\DeviceInstall\\Restrictions) or leave this driver out",
			       pkg, s->name, blocked);
	_cleanup_free_ char *fake_inf = ib_xasprintf("imgbuild_%s.inf", s->name);
	struct ib_regplan_boot b = {
		.svc = {.name = s->name, .type = s->type, .error_control = s->error_control, .image_path = image,
			.group = s->load_order_group, .display_name = s->display_name},
		.hwids = (const char *const *)ids->list.v,
		.n_hwids = ids->list.n,
		.hwid_is_first = id_is_first,
		.class_guid = v->class_guid,
		.pnp = c->d->ddb ? IB_REGPLAN_DDB : IB_REGPLAN_CDDB,
		.arch = c->d->arch,
		.inf_name = fake_inf,
	};
	size_t n0 = c->edits->list.n;
	if (ib_regplan_boot_driver(&b, c->edits, err) < 0) {
		ib_error_prefix(err, "%s", pkg);
		return -1;
	}
	/* The boot-critical binding always goes into SYSTEM (created there when
	 * missing), as virt-v2v and distrobuilder write it: that is the hive the
	 * boot loader hands the kernel, so Kernel-PnP finds the storage driver
	 * before anything else is loaded. Where the DRIVERS hive holds the
	 * driver database (Windows 10 and later), it gets the same entries too,
	 * so the two agree once that hive is loaded. */
	if (c->d->ddb && c->d->ddb_hive != IB_WIN_HIVE_SYSTEM)
		ib_reg_edits_mirror(c->edits, n0, "DriverDatabase\\", ib_win_hive_name(c->d->ddb_hive));
	if (c->d->ddb)
		add_placeholder_cleanup(c, fake_inf, ids);
	_cleanup_free_ char *svc_key = ib_xasprintf("CurrentControlSet\\Services\\%s", s->name);
	_cleanup_free_ char *log_key = ib_xasprintf("CurrentControlSet\\Services\\EventLog\\System\\%s", s->name);
	if (s->n_dependencies) {
		struct strv svcs = {0}, groups = {0};
		for (size_t i = 0; i < s->n_dependencies; i++) {
			const char *dep = s->dependencies[i];
			if (dep[0] == '+')
				IB_VEC_PUSH(groups.list, ib_xstrdup(dep + 1));
			else
				IB_VEC_PUSH(svcs.list, ib_xstrdup(dep));
		}
		int r = 0;
		if (svcs.list.n)
			r = ib_reg_edits_set_multi_sz(c->edits, "SYSTEM", svc_key, "DependOnService",
						      (const char *const *)svcs.list.v, svcs.list.n, err);
		if (!r && groups.list.n)
			r = ib_reg_edits_set_multi_sz(c->edits, "SYSTEM", svc_key, "DependOnGroup",
						      (const char *const *)groups.list.v, groups.list.n, err);
		strv_free(&svcs);
		strv_free(&groups);
		if (r < 0)
			return -1;
	}
	if (addreg_edits(s->addreg, s->n_addreg, svc_key, c->edits, c->rep, err) < 0 ||
	    addreg_edits(s->eventlog_addreg, s->n_eventlog_addreg, log_key, c->edits, c->rep, err) < 0) {
		ib_error_prefix(err, "%s", pkg);
		return -1;
	}
	return 0;
}

/* Copy the files of one install section: into the staging folder and where
 * the INF sends them. */
static int install_files(struct pkg_ctx *c, const char *pkg, const struct ib_inf_install *ins, struct ib_error *err)
{
	for (size_t i = 0; i < ins->n_files; i++) {
		const struct ib_inf_copyfile *cf = &ins->files[i];
		_cleanup_free_ char *rel = cf->source_dir && cf->source_dir[0]
						   ? ib_xasprintf("%s/%s", cf->source_dir, cf->source)
						   : ib_xstrdup(cf->source);
		for (char *p = rel; *p; p++)
			if (*p == '\\')
				*p = '/';
		_cleanup_free_ char *src = ib_win_host_path(c->dd->dir, rel);
		if (!src)
			return ib_fail(err, IB_EXIT_INPUT,
				       "driver folder %s is missing %s, which %s copies (section %s, line %u)", c->dd->source,
				       rel, pkg, cf->section ? cf->section : ins->section, cf->line);
		_cleanup_free_ char *staged = ib_xasprintf("%s/%s", c->stage_vol, rel);
		ib_win_files_add(c->files, src, staged, false);
		if (!cf->dest_dir)
			continue; /* DIRID 13 and the like: the staged package is where PnP finds it */
		_cleanup_free_ char *dir_win = cf->subdir && cf->subdir[0] ? ib_xasprintf("%s\\%s", cf->dest_dir, cf->subdir)
									   : ib_xstrdup(cf->dest_dir);
		_cleanup_free_ char *dir = ib_win_volume_path(c->d->root, dir_win);
		if (!dir)
			continue;
		_cleanup_free_ char *dst = ib_xasprintf("%s%s%s", dir, strcmp(dir, "/") ? "/" : "", cf->dest);
		ib_win_files_add(c->files, src, dst, false);
	}
	return 0;
}

static void placeholders_clear(struct ib_win_pnp_inf *p)
{
	for (size_t k = 0; k < p->cleanup.n; k++)
		free(p->cleanup.v[k]);
	free(p->cleanup.v);
	*p = (struct ib_win_pnp_inf){0};
}

static int one_inf(struct pkg_ctx *c, const char *inf_file, struct ib_win_pkgs *pkgs, struct ib_error *err)
{
	placeholders_clear(c->placeholders); /* what a failed package before may have left */
	_cleanup_free_ char *path = ib_path_join(c->dd->dir, inf_file);
	_cleanup_free_ char *pkg = ib_xasprintf("%s (from %s)", inf_file, c->dd->source);
	struct ib_inf *inf = NULL;
	struct ib_inf_selection sel = {0};
	struct ib_inf_install **ins = NULL;
	const char **ins_name = NULL; /* the models line's name for ins[i] */
	size_t n_ins = 0;
	struct strv all_ids = {0};
	char *inf_dst = NULL, *why = NULL;
	int rc = 0;
	if (ib_inf_load(path, NULL, &inf, err) < 0) {
		fold_loc(err);
		ib_error_prefix(err, "driver %s", c->dd->source);
		return -1;
	}
	const struct ib_inf_version *v = ib_inf_version(inf);
	if (ib_inf_select_models(inf, &c->t, &sel, err) < 0) {
		fold_loc(err);
		ib_error_prefix(err, "%s: not for the detected Windows %u.%u build %u %s", pkg, c->d->ver.major,
				c->d->ver.minor, c->d->ver.build, c->t.arch);
		rc = -1;
		goto out;
	}
	/* The catalog and the INF itself go with the package. */
	const char *cat = ib_inf_catalog(inf, &c->t);
	if (cat) {
		_cleanup_free_ char *cat_src = ib_win_host_child(c->dd->dir, cat);
		if (!cat_src) {
			rc = ib_fail(err, IB_EXIT_INPUT,
				     "driver folder %s is missing %s, the catalog (signature) %s names; Windows refuses "
				     "unsigned drivers", c->dd->source, cat, inf_file);
			goto out;
		}
		_cleanup_free_ char *cat_dst = ib_xasprintf("%s/%s", c->stage_vol, basename_win(cat_src));
		ib_win_files_add(c->files, cat_src, cat_dst, false);
	}
	inf_dst = ib_xasprintf("%s/%s", c->stage_vol, inf_file);
	ib_win_files_add(c->files, path, inf_dst, false);

	/* Every install section of the chosen models, once. */
	for (size_t m = 0; m < sel.n_mfg && !rc; m++)
		for (size_t k = 0; k < sel.mfg[m].n_devices && !rc; k++) {
			const struct ib_inf_device *dev = &sel.mfg[m].devices[k];
			for (size_t i = 0; i < dev->n_ids; i++)
				strv_add_unique(&all_ids, dev->ids[i]);
			bool seen = false;
			for (size_t i = 0; i < n_ins && !seen; i++)
				seen = !strcasecmp(ins_name[i], dev->install);
			if (seen)
				continue;
			struct ib_inf_install *one = NULL;
			if (ib_inf_install_get(inf, &c->t, dev->install, &one, err) < 0) {
				fold_loc(err);
				ib_error_prefix(err, "%s", pkg);
				rc = -1;
				break;
			}
			ins = ib_xrealloc(ins, (n_ins + 1) * sizeof(*ins));
			ins_name = ib_xrealloc(ins_name, (n_ins + 1) * sizeof(*ins_name));
			ins_name[n_ins] = dev->install;
			ins[n_ins++] = one;
			rc = install_files(c, pkg, one, err);
		}
	if (rc)
		goto out;

	why = boot_reason(v, c->dd->spec);
	struct ib_win_driver_report dr = {
		.name = stem_of(inf_file),
		.inf = ib_xasprintf("%s\\%s", c->stage_win, inf_file),
		.source = ib_xstrdup(c->dd->source),
		.class_name = v->class_name ? ib_xstrdup(v->class_name) : NULL,
		.provider = v->provider ? ib_xstrdup(v->provider) : NULL,
		.version = v->driver_ver ? ib_xstrdup(v->driver_ver) : NULL,
		.boot = why != NULL,
		.boot_reason = why ? ib_xstrdup(why) : NULL,
	};
	for (size_t i = 0; i < all_ids.list.n; i++)
		IB_VEC_PUSH(dr.hwids, ib_xstrdup(all_ids.list.v[i]));
	{
		char *blocked = ib_win_devpolicy_blocks(&c->d->devpolicy, v->class_guid, (const char *const *)all_ids.list.v,
							all_ids.list.n);
		if (blocked)
			IB_VEC_PUSH(c->rep->warnings, ib_xasprintf("%s: %s: Windows will not install it", pkg, blocked));
		free(blocked);
	}

	for (size_t i = 0; i < n_ins && !rc; i++)
		for (size_t k = 0; k < ins[i]->n_services && !rc; k++) {
			const struct ib_inf_service *s = &ins[i]->services[k];
			if (!s->name || !s->name[0])
				continue;
			bool is_boot = why && drives_device(ins[i], k);
			bool dup = false;
			for (size_t j = 0; j < dr.services.n && !dup; j++)
				dup = !strcasecmp(dr.services.v[j].name, s->name);
			if (!dup) {
				struct ib_win_service_report sr = {ib_xstrdup(s->name), is_boot ? 0 : s->start, is_boot};
				IB_VEC_PUSH(dr.services, sr);
			}
			if (!is_boot)
				continue;
			/* Bind every id of the devices this install section serves;
			 * an id that is some device's hardware id ranks first. */
			struct strv ids = {0};
			IB_VEC(bool) first = {0};
			for (size_t m = 0; m < sel.n_mfg; m++)
				for (size_t j = 0; j < sel.mfg[m].n_devices; j++) {
					const struct ib_inf_device *dev = &sel.mfg[m].devices[j];
					if (strcasecmp(ins_name[i], dev->install))
						continue;
					for (size_t x = 0; x < dev->n_ids; x++) {
						size_t at = strv_index(&ids, dev->ids[x]);
						if (at == SIZE_MAX) {
							strv_add_unique(&ids, dev->ids[x]);
							IB_VEC_PUSH(first, x == 0);
						} else if (x == 0) {
							first.v[at] = true;
						}
					}
				}
			rc = boot_service(c, pkg, v, ins[i], s, &ids, first.v, err);
			free(first.v);
			strv_free(&ids);
		}
	IB_VEC_PUSH(c->rep->drivers, dr);
	if (!rc) {
		c->placeholders->name = stem_of(inf_file);
		c->placeholders->inf_win = ib_xasprintf("%s\\%s", c->stage_win, inf_file);
		IB_VEC_PUSH(pkgs->pnp, *c->placeholders);
		*c->placeholders = (struct ib_win_pnp_inf){0};
	}
out:
	for (size_t i = 0; i < n_ins; i++)
		ib_inf_install_free(ins[i]);
	free(ins);
	free(ins_name);
	free(inf_dst);
	free(why);
	strv_free(&all_ids);
	ib_inf_selection_free(&sel);
	ib_inf_free(inf);
	return rc;
}

static int one_dir(const struct ib_win_drvdir *dd, const struct ib_win_detect *d, struct ib_win_files *files,
		   struct ib_reg_edits *edits, struct ib_win_pkgs *pkgs, struct ib_win_report *rep, struct ib_error *err)
{
	struct strv infs = {0};
	list_infs(dd->dir, &infs);
	_cleanup_free_ char *stage_win = ib_xasprintf("%%SystemRoot%%\\" IB_WIN_STAGE_DIR "\\%s", dd->name);
	_cleanup_free_ char *stage_vol = ib_win_volume_path(d->root, stage_win);
	struct ib_win_pnp_inf placeholders = {0};
	struct pkg_ctx c = {
		.placeholders = &placeholders,
		.dd = dd, .d = d,
		.t = {.arch = ib_win_arch_name(d->arch), .major = d->ver.major, .minor = d->ver.minor,
		      .build = d->ver.build, .product_type = d->ver.server ? 3 : 1},
		.stage_vol = stage_vol, .stage_win = stage_win, .files = files, .edits = edits, .rep = rep,
	};
	int rc = 0;
	/* A plain folder: `select` names INFs. */
	const struct ib_win_driver_spec *s = dd->spec;
	for (size_t i = 0; !dd->from_tree && s && i < s->n_select && !rc; i++) {
		bool found = false;
		for (size_t k = 0; k < infs.list.n && !found; k++) {
			_cleanup_free_ char *stem = stem_of(infs.list.v[k]);
			found = !strcasecmp(stem, s->select[i]);
		}
		if (!found) {
			struct ib_buf have = {0};
			for (size_t k = 0; k < infs.list.n; k++)
				ib_buf_printf(&have, "%s%s", k ? ", " : "", infs.list.v[k]);
			rc = ib_fail_at(err, IB_EXIT_INPUT, &s->loc, "driver folder %s has no %s.inf; it has: %s", dd->source,
					s->select[i], have.s);
			ib_buf_free(&have);
		}
	}
	size_t done = 0;
	for (size_t k = 0; k < infs.list.n && !rc; k++) {
		const char *f = infs.list.v[k];
		_cleanup_free_ char *stem = stem_of(f);
		if (dd->from_tree && !strcasecmp(stem, "vioprot")) {
			/* NetKVM's protocol INF: not a device driver; virt-v2v skips it too. */
			continue;
		}
		bool wanted = dd->from_tree || !s || !s->n_select;
		for (size_t i = 0; !wanted && i < s->n_select; i++)
			wanted = !strcasecmp(stem, s->select[i]);
		if (!wanted)
			continue;
		rc = one_inf(&c, f, pkgs, err);
		done++;
	}
	if (!rc && done)
		IB_VEC_PUSH(pkgs->stage_dirs, ib_xstrdup(stage_win));
	strv_free(&infs);
	placeholders_clear(&placeholders);
	return rc;
}

int ib_win_drivers_plan(const struct ib_win_drvdirs *dirs, const struct ib_win_detect *d, struct ib_win_files *files,
			struct ib_reg_edits *edits, struct ib_win_pkgs *pkgs, struct ib_win_report *rep,
			struct ib_error *err)
{
	for (size_t i = 0; i < dirs->list.n; i++)
		if (one_dir(&dirs->list.v[i], d, files, edits, pkgs, rep, err) < 0)
			return -1;
	for (size_t i = 0; i < pkgs->stage_dirs.n; i++)
		ib_regplan_device_path(edits, pkgs->stage_dirs.v[i]);
	/* virtio-win's fwcfg driver and the older qemufwcfg one drive the same
	 * device and conflict: with fwcfg injected, the qemufwcfg service goes,
	 * as virt-customize does. */
	for (size_t i = 0; i < pkgs->pnp.n; i++)
		if (!strcasecmp(pkgs->pnp.v[i].name, "fwcfg")) {
			ib_reg_edits_delete_key(edits, "SYSTEM", "CurrentControlSet\\Services\\qemufwcfg");
			IB_VEC_PUSH(rep->warnings, ib_xstrdup("fwcfg is injected: the conflicting qemufwcfg service "
							      "(if any) is removed"));
			break;
		}
	return 0;
}
