// SPDX-License-Identifier: GPL-2.0-or-later
#include "build_package.h"

#include <stdlib.h>

#include "core/util.h"
#include "vol/ntfs3g_files.h"
#include "windows/detect.h"

static const struct ib_guest_os *detect_on(const struct ib_plan *p, const struct ib_plan_part *pp)
{
	struct ib_vol_target vt = {
		.image = p->work_image, .offset = pp->offset, .size = pp->size, .sector_size = p->sector_size};
	_cleanup_free_ char *dir = ib_xasprintf("%s/guest-XXXXXX", p->work_dir);
	if (!mkdtemp(dir))
		return NULL;
	const struct ib_guest_os *g = NULL;
	struct ib_error err = {0};
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&vt, true, NULL, &f, &err) == 0) {
		struct ib_win_detect det = {0};
		if (ib_win_detect(f, dir, &det, &err) == 0)
			g = ib_guest_os_for_windows(det.ver.product_name, det.ver.build, det.ver.server,
						    det.arch == IB_WIN_ARCH_AMD64);
		ib_win_detect_free(&det);
		ib_ntfs_files_close(f, &err);
	}
	ib_error_clear(&err);
	ib_rm_rf(dir);
	return g;
}

const struct ib_guest_os *ib_build_detect_guest(const struct ib_plan *p)
{
	for (size_t i = 0; i < p->nparts; i++) {
		const struct ib_plan_part *pp = &p->parts[i];
		if (pp->size && ib_fs_holds_windows(pp->fs)) {
			const struct ib_guest_os *g = detect_on(p, pp);
			if (g)
				return g;
		}
	}
	return NULL;
}
