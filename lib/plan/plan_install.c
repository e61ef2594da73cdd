// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan_install.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/guid.h"
#include "core/size.h"
#include "windows/wim.h"

/* What an install image must hold to be applied and booted: its hives (the
 * injector and inspect read them), the boot manager bcdboot copies, the BCD
 * template the store is made from, and the loader the store points to. */
static const char *const required[] = {
	"Windows/System32/config/SYSTEM",
	"Windows/System32/config/SOFTWARE",
	"Windows/System32/config/BCD-Template",
	"Windows/Boot/EFI/bootmgfw.efi",
	"Windows/System32/winload.efi",
};

/* The folders bcdboot copies to \EFI\Microsoft\Boot on the ESP (its Fonts
 * and Resources below it). */
const char *const ib_install_boot_dirs[] = {"Windows/Boot/EFI", "Windows/Boot/Fonts", "Windows/Boot/Resources"};

static void diag_err(struct ib_diags *d, const struct ib_loc *loc, struct ib_error *err)
{
	ib_diag_add(d, IB_SEV_ERROR, loc, NULL, "%s", err->msg);
	ib_error_clear(err);
}

static struct ib_plan_part *find_esp(struct ib_plan *p)
{
	struct ib_guid esp;
	ib_guid_parse("c12a7328-f81f-11d2-ba4b-00a0c93ec93b", &esp);
	for (size_t i = 0; i < p->nparts; i++)
		if (!memcmp(&p->parts[i].type_guid, &esp, sizeof esp))
			return &p->parts[i];
	return NULL;
}

/* The Windows partition must hold the image's files, NTFS's own records
 * and slack, and leave a margin free for Windows' first boot. */
static uint64_t windows_need(const struct ib_wim_image *im, uint64_t cluster, uint64_t part)
{
	uint64_t files = im->files + im->dirs;
	/* MFT records, the half-used last clusters, and what mkntfs takes
	 * ($LogFile grows with the volume to 64 MiB; measured: 2.5 MB of
	 * 64 MiB, 5.6 MB of 1 GiB, 65 MB of 16 GiB). */
	uint64_t log = part / 200 < (64ull << 20) ? part / 200 : (64ull << 20);
	uint64_t ntfs = files * 1024 + im->files * (cluster / 2) + (4ull << 20) + log;
	uint64_t margin = im->bytes / 100 * IB_INSTALL_MARGIN_PERCENT;
	if (margin < IB_INSTALL_MARGIN_MIN)
		margin = IB_INSTALL_MARGIN_MIN;
	return im->bytes + ntfs + margin;
}

static int check_files(struct ib_install_plan *ip, const struct ib_loc *at, struct ib_diags *d)
{
	struct ib_error err = {0};
	for (size_t i = 0; i < IB_ARRAY_SIZE(required); i++) {
		int r = ib_wim_stat(ip->wim, ip->image->index, required[i], NULL, NULL, &err);
		if (r < 0) {
			diag_err(d, at, &err);
			return -1;
		}
		if (r == 0) {
			ib_diag_add(d, IB_SEV_ERROR, at, "install: takes a Windows install image (sources/install.wim)",
				    "%s image %u has no %s: not a Windows that imgbuild can make bootable", ip->wim->shown,
				    ip->image->index, required[i]);
			return -1;
		}
	}
	/* What the ESP receives: the boot folders, bootmgfw.efi once more as
	 * the fallback boot file, and the store (the template and room to grow). */
	uint64_t efi = 0, tmpl = 0;
	for (size_t i = 0; i < IB_ARRAY_SIZE(ib_install_boot_dirs); i++) {
		uint64_t b = 0, n = 0;
		if (ib_wim_tree_bytes(ip->wim, ip->image->index, ib_install_boot_dirs[i], &b, &n, &err) < 0) {
			diag_err(d, at, &err);
			return -1;
		}
		ip->boot_bytes += b;
		ip->boot_entries += n;
	}
	if (ib_wim_stat(ip->wim, ip->image->index, "Windows/Boot/EFI/bootmgfw.efi", &efi, NULL, &err) < 0 ||
	    ib_wim_stat(ip->wim, ip->image->index, "Windows/System32/config/BCD-Template", &tmpl, NULL, &err) < 0) {
		diag_err(d, at, &err);
		return -1;
	}
	ip->boot_bytes += efi + tmpl + (256u << 10);
	return 0;
}

/* The ESP's space: what FAT32 leaves of the partition (reserved sectors,
 * two FATs of 4 bytes a cluster), less the files the recipe puts there and
 * the boot files, each file and folder with a cluster more for its last
 * cluster and its directory entries, and the EFI folders themselves. */
static int check_esp(const struct ib_plan *p, struct ib_install_plan *ip, struct ib_diags *d)
{
	const struct ib_plan_part *e = ip->esp;
	uint64_t c = e->cluster_size ? e->cluster_size : 4096;
	uint64_t clusters = e->size / c;
	uint64_t fat = 2 * ((clusters * 4 + p->sector_size - 1) / p->sector_size * p->sector_size);
	uint64_t overhead = 32 * (uint64_t)p->sector_size + fat;
	uint64_t usable = e->size > overhead ? e->size - overhead : 0;
	uint64_t used = e->bytes + (e->nfiles + e->ndirs + ip->boot_entries + 8) * c + ip->boot_bytes;
	if (used > usable) {
		char a[32], b[32];
		ib_diag_add(d, IB_SEV_ERROR, &e->spec->size_loc, "make the esp partition larger (260MiB is Windows' own)",
			    "the ESP p%u has %s for files and needs %s: the boot manager, its fonts and resources and the "
			    "BCD store of %s image %u, and the recipe's files",
			    e->number, ib_size_format(usable, a, sizeof a), ib_size_format(used, b, sizeof b),
			    ip->wim->shown, ip->image->index);
		return -1;
	}
	return 0;
}

int ib_plan_install(struct ib_plan *p, struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_windows_spec *w = &pp->spec->windows;
	if (!pp->spec->has_windows || !w->has_install)
		return 0;
	const struct ib_win_install_entry *in = &w->install;
	struct ib_install_plan *ip = ib_xcalloc(1, sizeof(*ip));
	pp->install = ip;
	ip->media = ib_path_join(p->recipe->dir, in->image);
	struct ib_error err = {0};
	struct stat st;
	if (stat(ip->media, &st) < 0) {
		ib_diag_add(d, IB_SEV_ERROR, &in->image_loc, "paths are relative to the recipe's folder",
			    "install image '%s': %s", in->image, strerror(errno));
		return -1;
	}
	if (ib_wim_open(ip->media, &ip->wim, &err) < 0) {
		diag_err(d, &in->image_loc, &err);
		return -1;
	}
	if (ib_wim_pick(ip->wim, in->index, &ip->image, &err) < 0) {
		diag_err(d, in->index ? &in->index_loc : &in->loc, &err);
		return -1;
	}
	const struct ib_wim_image *im = ip->image;
	ip->efi_name = ib_wim_efi_boot_name(im->arch_id);
	ip->machine = ib_wim_pe_machine(im->arch_id);
	if (!ip->efi_name) {
		ib_diag_add(d, IB_SEV_ERROR, in->index ? &in->index_loc : &in->loc, "pick an amd64, arm64 or x86 image",
			    "%s image %u is for %s, which imgbuild cannot make boot through UEFI", ip->wim->shown, im->index,
			    im->arch ? im->arch : "an unknown architecture (the WIM's XML has no WINDOWS/ARCH)");
		return -1;
	}
	if (check_files(ip, &in->loc, d) < 0)
		return -1;
	/* The boot manager the ESP will boot (as \EFI\Boot\<fallback>) and the
	 * loader must be for the image's architecture. */
	static const char *const pe_files[] = {"Windows/Boot/EFI/bootmgfw.efi", "Windows/System32/winload.efi"};
	for (size_t i = 0; i < IB_ARRAY_SIZE(pe_files); i++) {
		uint16_t mach = 0;
		if (ib_wim_pe_machine_of(ip->wim, im->index, pe_files[i], &mach, &err) < 0) {
			diag_err(d, &in->loc, &err);
			return -1;
		}
		if (mach != ip->machine) {
			ib_diag_add(d, IB_SEV_ERROR, in->index ? &in->index_loc : &in->loc, NULL,
				    "%s image %u says it is %s, but its %s is %s (PE machine 0x%04x): it cannot boot as %s",
				    ip->wim->shown, im->index, im->arch, pe_files[i], ib_pe_machine_name(mach), mach,
				    ip->efi_name);
			return -1;
		}
	}
	ip->need_bytes = windows_need(im, pp->cluster_size ? pp->cluster_size : 4096, pp->size);
	if (pp->size < ip->need_bytes) {
		char a[32], b[32], c[32];
		ib_diag_add(d, IB_SEV_ERROR, &pp->spec->size_loc, "make the partition larger, or use size: rest on a larger disk",
			    "p%u is %s; image %u of %s expands to %s and needs %s with NTFS's own records and the free "
			    "margin (%u%%, at least %llu MiB; docs/windows-install.md)",
			    pp->number, ib_size_format(pp->size, a, sizeof a), im->index, ip->wim->shown,
			    ib_size_format(im->bytes, b, sizeof b), ib_size_format(ip->need_bytes, c, sizeof c),
			    IB_INSTALL_MARGIN_PERCENT, (unsigned long long)(IB_INSTALL_MARGIN_MIN >> 20));
		return -1;
	}
	ip->esp = find_esp(p);
	if (!ip->esp) /* the recipe check asks for one */
		return -1;
	if (check_esp(p, ip, d) < 0)
		return -1;
	return 0;
}

void ib_plan_install_free(struct ib_install_plan *ip)
{
	if (!ip)
		return;
	ib_wim_close(ip->wim);
	free(ip->media);
	free(ip);
}
