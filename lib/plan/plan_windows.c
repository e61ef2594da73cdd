// SPDX-License-Identifier: GPL-2.0-or-later
/* A partition's windows: section, checked before anything is written and
 * turned into the injector's spec. What needs no Windows to be known is
 * checked here: every host path (relative to the recipe's folder) exists
 * and is the right kind, and every INF of a plain driver folder parses.
 * What depends on the Windows found (models for its version and
 * architecture, virtio-win folders, the first-boot mechanism `auto` picks)
 * is the injector's to check, read-only, before it writes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "plan_windows.h"
#include "output/targets.h"
#include "windows/guesttools.h"
#include "windows/detect.h"
#include "windows/drivers.h"
#include "windows/inf.h"
#include "plan_install.h"
#include "windows/inject.h"
#include "windows/unattend.h"
#include "windows/wim.h"

static int check_path(const struct ib_plan *p, const char *what, const char *path, const struct ib_loc *loc,
		      bool dir_ok, bool file_ok, struct ib_diags *d)
{
	_cleanup_free_ char *host = ib_path_join(p->recipe->dir, path);
	struct stat st;
	if (stat(host, &st) < 0) {
		ib_diag_add(d, IB_SEV_ERROR, loc, "paths are relative to the recipe's folder", "%s '%s': %s", what,
			    path, errno == ENOENT ? "no such file or directory" : strerror(errno));
		return -1;
	}
	bool ok = (dir_ok && S_ISDIR(st.st_mode)) || (file_ok && S_ISREG(st.st_mode));
	if (!ok) {
		ib_diag_add(d, IB_SEV_ERROR, loc, NULL, "%s '%s' is %s, not %s", what, path,
			    S_ISDIR(st.st_mode) ? "a directory" : S_ISREG(st.st_mode) ? "a file" : "a special file",
			    dir_ok && file_ok ? "a folder or an ISO file" : dir_ok ? "a folder" : "a file");
		return -1;
	}
	return 0;
}

static bool ends_iso(const char *p)
{
	size_t n = strlen(p);
	return n > 4 && !strcasecmp(p + n - 4, ".iso");
}

/* A named guest tool (qemu-ga, spice, vmware-tools): where it comes from
 * (src:, or the virtio-win ISO under drivers:), checked to be there and to
 * be the installer it claims to be, now, before anything is written. */
/* A virtio-win ISO, or a folder with no .inf of its own (a virtio-win tree,
 * <driver>/<os>/<arch>/): where select: chooses drivers by name. */
static bool virtio_win_source(const struct ib_plan *p, const char *path)
{
	if (ends_iso(path))
		return true;
	_cleanup_free_ char *host = ib_path_join(p->recipe->dir, path);
	_cleanup_closedir_ DIR *dir = opendir(host);
	if (!dir)
		return false;
	for (struct dirent *de; (de = readdir(dir));) {
		size_t len = strlen(de->d_name);
		if (len > 4 && !strcasecmp(de->d_name + len - 4, ".inf"))
			return false;
	}
	return true;
}

static int named_tool(const struct ib_plan *p, const struct ib_windows_spec *w, const struct ib_win_tool_entry *te,
		      struct ib_win_tool_spec *out, struct ib_diags *d)
{
	const struct ib_win_named_tool *nt = ib_win_named_tool(te->name);
	if (!nt) {
		ib_diag_add(d, IB_SEV_ERROR, &te->name_loc, NULL, "unknown guest tool '%s': the named tools are %s",
			    te->name, ib_win_named_tool_names());
		return -1;
	}
	const char *src = te->src;
	const struct ib_loc *at = te->src ? &te->src_loc : &te->loc;
	for (size_t i = 0; !src && nt->from_driver_iso && i < w->ndrivers; i++)
		if (ends_iso(w->drivers[i].path))
			src = w->drivers[i].path;
	if (!src) {
		ib_diag_add(d, IB_SEV_ERROR, &te->loc, NULL,
			    "guest tool %s: give src: (its installer, or %s)%s", nt->name, nt->iso_name,
			    nt->from_driver_iso ? ", or list the virtio-win ISO under drivers:" : "");
		return -1;
	}
	if (check_path(p, "guest tool", src, at, false, true, d) < 0)
		return -1;
	_cleanup_free_ char *host = ib_path_join(p->recipe->dir, src);
	struct ib_error err = {0};
	*out = (struct ib_win_tool_spec){.loc = te->loc, .kind = (int)nt->kind, .name = nt->name};
	if (ends_iso(src)) {
		/* Every architecture's installer that the ISO should hold: the
		 * one for the Windows found is chosen at build time. */
		for (int a = 0; a < 3; a++) {
			const char *m = nt->iso_member[a];
			if (!m)
				continue;
			uint8_t head[4096];
			size_t got = 0;
			int r = ib_win_iso_head(host, m, head, sizeof head, &got, &err);
			if (r == 0 && a == IB_WIN_ARCH_AMD64)
				r = ib_fail(&err, IB_EXIT_INPUT, "%s (%s) has no %s", src, nt->iso_name, m);
			if (r == 1) {
				_cleanup_free_ char *what = ib_xasprintf("%s on %s", m, src);
				r = ib_win_installer_check(what, head, got, nt->kind, &err) < 0 ? -1 : 0;
			}
			if (r < 0) {
				ib_diag_add(d, IB_SEV_ERROR, at, NULL, "guest tool %s: %s", nt->name, err.msg);
				ib_error_clear(&err);
				return -1;
			}
		}
		out->iso = src;
		out->iso_member = nt->iso_member;
		out->args = te->args ? te->args : nt->iso_args;
		return 0;
	}
	if (ib_win_installer_check_file(host, nt->kind, &err) < 0) {
		ib_diag_add(d, IB_SEV_ERROR, at, NULL, "guest tool %s: %s", nt->name, err.msg);
		ib_error_clear(&err);
		return -1;
	}
	out->src = src;
	out->args = te->args ? te->args : nt->file_args;
	return 0;
}

static bool selected(const struct ib_win_driver_entry *e, const char *inf_name)
{
	if (!e->select)
		return true;
	size_t n = strlen(inf_name) - 4; /* without ".inf" */
	for (size_t i = 0; i < e->nselect; i++)
		if (strlen(e->select[i]) == n && !strncasecmp(e->select[i], inf_name, n))
			return true;
	return false;
}

/* The INFs directly in a driver folder must load (syntax, strings,
 * sections); a virtio-win tree has none there and is left to the injector. */
static int check_infs(const struct ib_plan *p, const struct ib_win_driver_entry *e, const struct ib_inf_target *t,
		      struct ib_diags *d)
{
	_cleanup_free_ char *dir = ib_path_join(p->recipe->dir, e->path);
	DIR *dh = opendir(dir);
	if (!dh)
		return 0;
	int rc = 0;
	for (struct dirent *de; (de = readdir(dh));) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcasecmp(de->d_name + len - 4, ".inf") || !selected(e, de->d_name))
			continue;
		_cleanup_free_ char *inf_path = ib_path_join(dir, de->d_name);
		struct ib_inf *inf = NULL;
		struct ib_error err = {0};
		if (ib_inf_load(inf_path, NULL, &inf, &err) < 0) {
			if (err.loc.file && err.loc.line)
				ib_diag_add(d, IB_SEV_ERROR, &e->path_loc, NULL, "driver INF %s:%u: %s", err.loc.file,
					    err.loc.line, err.msg);
			else
				ib_diag_add(d, IB_SEV_ERROR, &e->path_loc, NULL, "driver INF %s: %s", inf_path, err.msg);
			rc = -1;
		} else if (t) {
			/* Installing: the image's version and architecture are known now. */
			struct ib_inf_selection sel = {0};
			if (ib_inf_select_models(inf, t, &sel, &err) < 0) {
				ib_diag_add(d, IB_SEV_ERROR, &e->path_loc, NULL, "driver INF %s does not fit the image to install (%s %u.%u build %u): %s",
					    inf_path, t->arch, t->major, t->minor, t->build, err.msg);
				rc = -1;
			}
			ib_inf_selection_free(&sel);
		}
		ib_error_clear(&err);
		ib_inf_free(inf);
	}
	closedir(dh);
	return rc;
}

static enum ib_win_fb_mech mech(enum ib_fb_mech m)
{
	switch (m) {
	case IB_FB_SETUPCOMPLETE: return IB_WIN_FB_SETUPCOMPLETE;
	case IB_FB_SERVICE: return IB_WIN_FB_SERVICE;
	case IB_FB_RUNONCE: return IB_WIN_FB_RUNONCE;
	default: return IB_WIN_FB_AUTO;
	}
}

int ib_plan_windows(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	if (!s->has_windows)
		return 0;
	const struct ib_windows_spec *w = &s->windows;
	size_t before = ib_diags_errors(d);
	if (ib_plan_install(p, pp, d) < 0)
		return -1;
	/* Installing: the drivers must fit the image's Windows. */
	struct ib_inf_target tgt, *t = NULL;
	if (pp->install) {
		const struct ib_wim_image *im = pp->install->image;
		tgt = (struct ib_inf_target){.arch = im->arch, .major = im->major, .minor = im->minor, .build = im->build,
					     .product_type = im->product_type};
		t = &tgt;
	}
	for (size_t i = 0; i < w->ndrivers; i++) {
		const struct ib_win_driver_entry *e = &w->drivers[i];
		if (check_path(p, "driver path", e->path, &e->path_loc, true, true, d) == 0)
			check_infs(p, e, t, d);
	}
	char *passes = NULL;
	if (w->unattend && check_path(p, "unattend", w->unattend, &w->unattend_loc, false, true, d) == 0) {
		struct ib_error err = {0};
		_cleanup_free_ char *host = ib_path_join(p->recipe->dir, w->unattend);
		if (ib_unattend_check(host, w->unattend, &passes, &err) < 0)
			ib_diag_add(d, IB_SEV_ERROR, &w->unattend_loc, NULL, "%s", err.msg);
		ib_error_clear(&err);
	}
	/* The target's guest tools that come from the virtio-win ISO (qemu-ga),
	 * added when the recipe lists that ISO and not the tool. */
	const struct ib_target_profile *prof = ib_target_profile(p->recipe->target);
	struct ib_buf note = {0};
	size_t ntools = w->nguest_tools;
	struct ib_win_tool_spec *tools = ib_xcalloc(w->nguest_tools + 4, sizeof(*tools));
	for (size_t k = 0; prof->windows_tools[k] && ntools < w->nguest_tools + 3; k++) {
		const char *want = prof->windows_tools[k];
		bool listed = false, iso = false;
		for (size_t i = 0; i < w->nguest_tools; i++)
			listed |= w->guest_tools[i].name && !strcmp(w->guest_tools[i].name, want);
		for (size_t i = 0; i < w->ndrivers; i++)
			iso |= ends_iso(w->drivers[i].path);
		const struct ib_win_named_tool *nt = ib_win_named_tool(want);
		if (listed || !iso || !nt || !nt->from_driver_iso)
			continue;
		struct ib_win_tool_entry te = {.name = (char *)want, .loc = w->drivers[0].loc, .name_loc = w->drivers[0].loc};
		if (named_tool(p, w, &te, &tools[ntools], d) == 0) {
			ntools++;
			ib_buf_printf(&note, "%sadded guest tool %s from the virtio-win ISO", note.len ? "; " : "", want);
		}
	}
	for (size_t i = 0; i < w->nguest_tools; i++) {
		const struct ib_win_tool_entry *te = &w->guest_tools[i];
		if (te->name)
			named_tool(p, w, te, &tools[i], d);
		else if (check_path(p, "guest tool", te->src, &te->src_loc, false, true, d) == 0)
			tools[i] = (struct ib_win_tool_spec){.src = te->src, .args = te->args, .loc = te->loc};
	}
	if (w->service_wrapper)
		check_path(p, "service_wrapper", w->service_wrapper, &w->wrapper_loc, false, true, d);
	if (ib_diags_errors(d) != before) {
		free(tools);
		free(passes);
		ib_buf_free(&note);
		return -1;
	}

	struct ib_win_spec *spec = ib_xcalloc(1, sizeof(*spec));
	struct ib_win_driver_spec *drv = ib_xcalloc(w->ndrivers + 1, sizeof(*drv));
	for (size_t i = 0; i < w->ndrivers; i++) {
		drv[i] = (struct ib_win_driver_spec){.path = w->drivers[i].path,
						     .select = (const char *const *)w->drivers[i].select,
						     .n_select = w->drivers[i].nselect,
						     .boot_critical = w->drivers[i].boot_critical,
						     .loc = w->drivers[i].loc};
		/* A virtio-win source without select: the target's drivers, not
		 * every driver it has. */
		if (!w->drivers[i].select && prof->windows_drivers[0] && virtio_win_source(p, w->drivers[i].path)) {
			size_t n = 0;
			while (prof->windows_drivers[n])
				n++;
			drv[i].select = prof->windows_drivers;
			drv[i].n_select = n;
			drv[i].select_if_present = true;
			_cleanup_free_ char *list = ib_target_list(prof->windows_drivers);
			ib_buf_printf(&note, "%sselected %s from %s", note.len ? "; " : "", list, w->drivers[i].path);
		}
	}
	if (note.len)
		ib_buf_printf(&note, " (target %s: %s)", prof->name, prof->why);
	spec->target_note = note.len ? ib_buf_steal(&note) : NULL;
	ib_buf_free(&note);
	struct ib_win_reg_spec *regs = ib_xcalloc(w->nregistry + 1, sizeof(*regs));
	for (size_t i = 0; i < w->nregistry; i++) {
		const struct ib_win_reg_entry *e = &w->registry[i];
		regs[i] = (struct ib_win_reg_spec){.hive = e->hive,
						   .key = e->key,
						   .name = e->name,
						   .type = (enum ib_reg_type)e->type,
						   .data = e->data,
						   .multi = (const char *const *)e->multi,
						   .n_multi = e->nmulti,
						   .del = e->del,
						   .loc = e->loc};
		/* One string given for multi_sz: a list of one. */
		if (e->type == IB_REG_MULTI_SZ && !e->multi && e->data) {
			regs[i].multi = (const char *const *)&e->data;
			regs[i].n_multi = 1;
		}
	}
	spec->base_dir = p->recipe->dir;
	spec->drivers = drv;
	spec->n_drivers = w->ndrivers;
	spec->guest_tools = tools;
	spec->n_guest_tools = ntools;
	spec->first_boot = (const char *const *)w->first_boot;
	spec->n_first_boot = w->nfirst_boot;
	spec->registry = regs;
	spec->n_registry = w->nregistry;
	spec->first_boot_mechanism = mech(w->first_boot_mechanism);
	spec->service_wrapper = w->service_wrapper;
	spec->max_attempts = (unsigned)w->max_attempts;
	spec->diagnose = w->diagnose;
	spec->unattend = w->unattend;
	spec->unattend_passes = passes;
	if (p->reproducible) {
		p->win_mtime = (struct timespec){.tv_sec = (time_t)p->epoch};
		spec->mtime = &p->win_mtime;
	}
	spec->work_dir = p->work_dir;
	pp->win = spec;
	/* Installing: the virtio-win folders for the image's Windows must be
	 * there now (the injector would find out only after the apply). */
	if (pp->install) {
		const struct ib_wim_image *im = pp->install->image;
		enum ib_win_arch a = im->arch_id == IB_WIM_ARM64 ? IB_WIN_ARCH_ARM64
				     : im->arch_id == IB_WIM_X86 ? IB_WIN_ARCH_X86
								 : IB_WIN_ARCH_AMD64;
		struct ib_win_detect det = {
			.ver = {.major = im->major, .minor = im->minor, .build = im->build},
			.arch = a,
			.virtio_os = ib_winver_virtio_dir(im->major, im->minor, im->build, im->product_type >= 2, NULL),
			.virtio_arch = ib_win_arch_virtio_dir(a),
		};
		struct ib_error err = {0};
		if (ib_win_drivers_check(spec, &det, &err) < 0) {
			ib_diag_add(d, IB_SEV_ERROR, err.loc.file ? &err.loc : &w->drivers_loc, NULL,
				    "for image %u of %s: %s", im->index, pp->install->wim->shown, err.msg);
			ib_error_clear(&err);
			return -1;
		}
	}
	return 0;
}

void ib_plan_windows_free(struct ib_win_spec *w)
{
	if (!w)
		return;
	free((void *)w->drivers);
	free((void *)w->guest_tools);
	free((void *)w->registry);
	free((void *)w->target_note);
	free((void *)w->unattend_passes);
	free(w);
}
