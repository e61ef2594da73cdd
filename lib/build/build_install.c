// SPDX-License-Identifier: GPL-2.0-or-later
/* The INSTALL and BOOT build steps (docs/windows-install.md).
 *
 * INSTALL: the chosen image applied onto the freshly made NTFS with
 * wimlib's NTFS-3G mode through the offset device (windows/wim.h), then
 * read back against the image's metadata.
 *
 * BOOT, as bcdboot does it: the boot manager and its fonts and resources
 * are read out of the applied Windows\Boot into a staging folder in the
 * work directory, bootmgfw.efi's PE machine is checked against the image's
 * architecture, the BCD store is made from the applied BCD-Template, read
 * back, and the folder is copied onto the ESP with its filesystem's volume
 * ops, as \EFI\Microsoft\Boot and \EFI\Boot\<fallback>.efi. */
#include "build_install.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/size.h"
#include "fstype/fstype.h"
#include "plan/ids.h"
#include "plan/plan_install.h"
#include "plan/srctree.h"
#include "vol/ntfs3g.h"
#include "vol/ntfs3g_files.h"
#include "vol/vol.h"
#include "windows/bcd.h"
#include "windows/wim.h"

struct ib_vol_target ib_build_part_target(const struct ib_plan *p, const struct ib_plan_part *pp, struct ib_undo *undo)
{
	return (struct ib_vol_target){
		.image = p->work_image,
		.offset = pp->offset,
		.size = pp->size,
		.sector_size = p->sector_size,
		.work_dir = p->work_dir,
		.number = pp->number,
		.table = p->table,
		.undo = undo,
	};
}

struct apply_progress {
	const struct ib_progress *progress;
	unsigned step, nsteps;
	const char *title;
};

static void on_apply(void *ctx, const char *phase, uint64_t done_bytes, uint64_t total_bytes, uint64_t done_files,
		     uint64_t total_files)
{
	struct apply_progress *a = ctx;
	struct ib_event ev = {.kind = IB_EV_PROGRESS,
			      .step = a->step,
			      .nsteps = a->nsteps,
			      .title = a->title,
			      .phase = phase,
			      .done_bytes = done_bytes,
			      .total_bytes = total_bytes,
			      .done_files = done_files,
			      .total_files = total_files};
	/* The data phase is nearly all of the time. */
	ev.percent = !strcmp(phase, "data") && total_bytes ? 100.0 * (double)done_bytes / (double)total_bytes
		     : !strcmp(phase, "metadata")          ? 100.0
							   : 0.0;
	ib_progress_emit(a->progress, &ev);
}

int ib_build_install(struct ib_plan *p, struct ib_plan_part *pp, struct ib_undo *undo,
		     const struct ib_build_step_info *si, struct ib_error *err)
{
	struct ib_install_plan *ip = pp->install;
	struct ib_vol_target t = ib_build_part_target(p, pp, undo);
	struct apply_progress ap = {.progress = si->progress, .step = si->step, .nsteps = si->nsteps, .title = si->title};
	struct ib_wim_progress wp = {.fn = on_apply, .ctx = &ap};
	double t0 = ib_now();
	if (ib_wim_apply_ntfs(ip->wim, ip->image->index, &t, &wp, err) < 0)
		return -1;
	double t1 = ib_now();
	struct ib_wim_verified v;
	if (ib_wim_verify_ntfs(ip->wim, ip->image->index, &t, &v, err) < 0)
		return -1;
	double t2 = ib_now();
	char sz[32];
	_cleanup_free_ char *msg = ib_xasprintf(
		"applied image %u in %.2f s (%.0f MB/s of expanded data); verified %" PRIu64 " files and %" PRIu64
		" directories, %" PRIu64 " streams (%s, SHA-1 each), %" PRIu64 " reparse points, %" PRIu64
		" short names, %" PRIu64 " extra hard links in %.1f s",
		ip->image->index, t1 - t0, t1 > t0 ? (double)v.bytes / 1e6 / (t1 - t0) : 0.0, v.files, v.dirs, v.streams,
		ib_size_format(v.bytes, sz, sizeof sz), v.reparse, v.short_names, v.links, t2 - t1);
	struct ib_event ev = {.kind = IB_EV_INFO, .step = si->step, .nsteps = si->nsteps, .title = msg};
	ib_progress_emit(si->progress, &ev);
	return 0;
}

/* ---- BOOT ---- */

/* Copy the volume folder src (recursively) into the host folder dst. */
static int copy_out(struct ib_ntfs_files *f, const char *src, const char *dst, unsigned *nfiles, struct ib_error *err)
{
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return ib_fail_errno(err, -errno, "cannot create '%s'", dst);
	char **names = NULL;
	size_t n = 0;
	if (ib_ntfs_files_list(f, src, &names, &n, err) < 0)
		return -1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *s = ib_xasprintf("%s/%s", src, names[i]);
		_cleanup_free_ char *d = ib_xasprintf("%s/%s", dst, names[i]);
		bool dir = false;
		r = ib_ntfs_files_resolve(f, s, NULL, &dir, err) < 0 ? -1 : 0;
		if (r == 0 && dir)
			r = copy_out(f, s, d, nfiles, err);
		else if (r == 0) {
			r = ib_ntfs_files_read(f, s, d, NULL, err);
			++*nfiles;
		}
	}
	ib_ntfs_files_names_free(names, n);
	return r;
}

/* "Windows 10" as bcdboot names the loader (Windows 11 is 10.0 too). */
static char *os_description(const struct ib_wim_image *im)
{
	if (im->major == 10)
		return ib_xstrdup("Windows 10");
	if (im->major == 6 && im->minor == 3)
		return ib_xstrdup("Windows 8.1");
	if (im->major == 6 && im->minor == 2)
		return ib_xstrdup("Windows 8");
	if (im->major == 6 && im->minor == 1)
		return ib_xstrdup("Windows 7");
	return ib_xstrdup("Windows");
}

/* Read the staged boot files out of the applied Windows, check them. */
static int stage(const struct ib_plan *p, struct ib_plan_part *pp, struct ib_undo *undo, const char *dir,
		 unsigned *nfiles, struct ib_error *err)
{
	const struct ib_install_plan *ip = pp->install;
	struct ib_vol_target t = ib_build_part_target(p, pp, undo);
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&t, true, NULL, &f, err) < 0)
		return -1;
	_cleanup_free_ char *efi = ib_xasprintf("%s/EFI", dir);
	_cleanup_free_ char *ms = ib_xasprintf("%s/EFI/Microsoft", dir);
	_cleanup_free_ char *boot = ib_xasprintf("%s/EFI/Microsoft/Boot", dir);
	_cleanup_free_ char *fonts = ib_xasprintf("%s/Fonts", boot);
	_cleanup_free_ char *res = ib_xasprintf("%s/Resources", boot);
	_cleanup_free_ char *tmpl = ib_xasprintf("%s/BCD-Template", dir);
	int r = 0;
	if (mkdir(efi, 0755) < 0 || mkdir(ms, 0755) < 0)
		r = ib_fail_errno(err, -errno, "cannot create '%s'", ms);
	if (r == 0)
		r = copy_out(f, "/Windows/Boot/EFI", boot, nfiles, err);
	bool there = false;
	if (r == 0 && ib_ntfs_files_resolve(f, "/Windows/Boot/Fonts", NULL, &there, err) == 1 && there)
		r = copy_out(f, "/Windows/Boot/Fonts", fonts, nfiles, err);
	there = false;
	if (r == 0 && ib_ntfs_files_resolve(f, "/Windows/Boot/Resources", NULL, &there, err) == 1 && there)
		r = copy_out(f, "/Windows/Boot/Resources", res, nfiles, err);
	if (r == 0)
		r = ib_ntfs_files_read(f, "/Windows/System32/config/BCD-Template", tmpl, NULL, err);
	if (ib_ntfs_files_close(f, err) < 0)
		r = -1;
	if (r < 0)
		return -1;
	/* The boot manager must be for the image's architecture: the firmware
	 * loads \EFI\Boot\<arch>.efi by that name. */
	_cleanup_free_ char *mgr = ib_xasprintf("%s/bootmgfw.efi", boot);
	uint16_t m = ib_pe_machine_file(mgr);
	if (m != ip->machine)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s image %u says it is %s, but its Windows\\Boot\\EFI\\bootmgfw.efi is %s (PE machine "
			       "0x%04x): it cannot be the ESP's %s",
			       ip->wim->shown, ip->image->index, ip->image->arch, ib_pe_machine_name(m), m, ip->efi_name);
	return 0;
}

static int copy_file(const char *src, const char *dst, struct ib_error *err)
{
	_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (in < 0 || out < 0)
		return ib_fail_errno(err, -errno, "cannot copy '%s' to '%s'", src, dst);
	char buf[1 << 16];
	for (uint64_t off = 0;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0)
			return ib_fail_errno(err, -errno, "cannot read '%s'", src);
		if (n == 0)
			return 0;
		int w = ib_pwrite_all(out, buf, (size_t)n, off);
		if (w < 0)
			return ib_fail_errno(err, w, "cannot write '%s'", dst);
		off += (uint64_t)n;
	}
}

int ib_build_boot(struct ib_plan *p, struct ib_plan_part *pp, struct ib_undo *undo, const struct ib_build_step_info *si,
		  struct ib_error *err)
{
	const struct ib_install_plan *ip = pp->install;
	_cleanup_free_ char *dir = ib_xasprintf("%s/esp-staging", p->work_dir);
	if (mkdir(dir, 0700) < 0)
		return ib_fail_errno(err, -errno, "cannot create '%s'", dir);
	/* Reproducible: the files keep the image's times; the one time NTFS
	 * sets to the clock on every change goes to the epoch, now that the
	 * Windows step has made its changes too. */
	if (p->reproducible &&
	    ib_repro_ntfs_restamp(p->work_image, pp->offset, pp->size, p->sector_size, p->epoch, true, err) < 0) {
		ib_error_prefix(err, "ntfs: setting the MFT change times to the epoch");
		return -1;
	}
	unsigned nfiles = 0;
	if (stage(p, pp, undo, dir, &nfiles, err) < 0)
		return -1;
	/* \EFI\Boot\<arch>.efi: what firmware boots when no boot entry names
	 * the boot manager (a new disk, a new VM). */
	_cleanup_free_ char *fb_dir = ib_xasprintf("%s/EFI/Boot", dir);
	_cleanup_free_ char *fb = ib_xasprintf("%s/%s", fb_dir, ip->efi_name);
	_cleanup_free_ char *mgr = ib_xasprintf("%s/EFI/Microsoft/Boot/bootmgfw.efi", dir);
	if (mkdir(fb_dir, 0755) < 0)
		return ib_fail_errno(err, -errno, "cannot create '%s'", fb_dir);
	if (copy_file(mgr, fb, err) < 0)
		return -1;

	_cleanup_free_ char *tmpl = ib_xasprintf("%s/BCD-Template", dir);
	_cleanup_free_ char *store = ib_xasprintf("%s/EFI/Microsoft/Boot/BCD", dir);
	_cleanup_free_ char *memtest = ib_xasprintf("%s/EFI/Microsoft/Boot/memtest.efi", dir);
	_cleanup_free_ char *desc = os_description(ip->image);
	struct stat st;
	struct ib_bcd_params bp = {
		.template_path = tmpl,
		.out_path = store,
		.disk_guid = p->disk_guid,
		.esp_guid = ip->esp->part_guid,
		.win_guid = pp->part_guid,
		.locale = ip->image->locale ? ip->image->locale : "en-US",
		.description = desc,
		.loader_path = "\\Windows\\system32\\winload.efi",
		.resume_path = "\\Windows\\system32\\winresume.efi",
		.bootmgr_path = "\\EFI\\Microsoft\\Boot\\bootmgfw.efi",
		.memtest_path = stat(memtest, &st) == 0 ? "\\EFI\\Microsoft\\Boot\\memtest.efi" : NULL,
		.timeout = 30,
		.legacy = ip->image->major < 6 || (ip->image->major == 6 && ip->image->minor < 2),
	};
	ib_ids_guid(&p->ids, "bcd-windows-boot-loader", &bp.loader_id);
	ib_ids_guid(&p->ids, "bcd-windows-resume", &bp.resume_id);
	unsigned checked = 0;
	if (ib_bcd_make(&bp, err) < 0 || ib_bcd_verify(&bp, &checked, err) < 0)
		return -1;
	if (unlink(tmpl) < 0)
		return ib_fail_errno(err, -errno, "cannot remove '%s'", tmpl);

	/* Onto the ESP, as a files: tree would go. */
	struct ib_srctree tree = {0};
	struct ib_loc none = {0};
	if (ib_srctree_scan(dir, "EFI", "/EFI", &none, &tree, err) < 0)
		return -1;
	if (p->reproducible)
		for (size_t i = 0; i < tree.n; i++)
			tree.v[i].mtime = (struct timespec){.tv_sec = (time_t)p->epoch};
	const struct ib_fs_ops *o = ib_fs_ops_of(ip->esp->fs);
	struct ib_vol_target et = ib_build_part_target(p, ip->esp, undo);
	struct ib_vol *v = NULL;
	int r = o->vol_lib->open(&v, &et, err);
	if (r == 0) {
		r = ib_vol_put_trees(o->vol_lib, v, &tree, 1, err);
		if (o->vol_lib->close(v, err) < 0)
			r = -1;
	}
	char sz[32];
	if (r == 0) {
		_cleanup_free_ char *msg =
			ib_xasprintf("ESP p%u: %" PRIu64 " files (%s) in \\EFI\\Microsoft\\Boot and \\EFI\\Boot\\%s; BCD store: "
				     "{bootmgr} on the ESP, %s on p%u, %u elements read back",
				     ip->esp->number, tree.nfiles, ib_size_format(tree.bytes, sz, sizeof sz), ip->efi_name,
				     desc, pp->number, checked);
		struct ib_event ev = {.kind = IB_EV_INFO, .step = si->step, .nsteps = si->nsteps, .title = msg};
		ib_progress_emit(si->progress, &ev);
	}
	ib_srctree_free(&tree);
	(void)nfiles;
	return r;
}
