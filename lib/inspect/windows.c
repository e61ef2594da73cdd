// SPDX-License-Identifier: GPL-2.0-or-later
/* The Windows on an NTFS volume, for manifests: the injector's detection
 * (lib/windows/detect.c) run read-only on the volume. "No Windows here" is
 * no Windows (p->windows stays NULL); any other failure (a corrupt hive, a
 * missing SOFTWARE hive, a cmd.exe of an unknown machine) is recorded as the
 * Windows object's error, because inspect must still describe the image:
 * it is the tool one reaches for when something is wrong with it. */
#include <errno.h>
#include <stdlib.h>

#include "core/undo.h"
#include "windows/detect.h"
#include "inspect.h"

static char *dup_or_null(const char *s) { return s ? ib_xstrdup(s) : NULL; }

static void fill(struct ib_mf_windows *w, const struct ib_win_detect *d, bool complete)
{
	if (d->root && !w->root)
		w->root = ib_xstrdup(d->root);
	if (!complete)
		return;
	w->major = d->ver.major;
	w->minor = d->ver.minor;
	w->build = d->ver.build;
	w->edition = dup_or_null(d->ver.edition_id);
	w->installation_type = dup_or_null(d->ver.installation_type);
	w->product_name = dup_or_null(d->ver.product_name);
	w->arch = ib_xstrdup(ib_win_arch_name(d->arch));
	w->control_set = dup_or_null(d->control_set);
	w->virtio_os = dup_or_null(d->virtio_os);
	w->virtio_arch = dup_or_null(d->virtio_arch);
}

/* Detection with the hives and cmd.exe copied into a temporary directory
 * of TMPDIR, removed again. */
static int detect_in_temp(struct ib_ntfs_files *f, struct ib_mf_windows *w, struct ib_error *err)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	_cleanup_free_ char *work = ib_xasprintf("%s/imgbuild-inspect-win-XXXXXX", dir);
	if (!mkdtemp(work))
		return ib_fail_errno(err, -errno, "cannot create a work directory in %s", dir);
	struct ib_win_detect d;
	int rc = ib_win_detect(f, work, &d, err);
	fill(w, &d, rc == 0);
	ib_win_detect_free(&d);
	ib_rm_rf(work);
	return rc;
}

/* 1 a Windows was found (w filled), 0 none, -1 found but not read (or the
 * volume could not be opened again). */
static int detect(const struct ib_inspect_vol *v, struct ib_mf_windows *w, struct ib_error *err)
{
	struct ib_vol_target t = {.image = v->path, .offset = v->offset, .size = v->size, .sector_size = v->sector_size};
	struct ib_ntfs_files *f = NULL;
	if (ib_ntfs_files_open(&t, true, NULL, &f, err) < 0)
		return -1;
	int found = ib_win_find_root(f, &w->root, err);
	if (found == 1 && detect_in_temp(f, w, err) < 0)
		found = -1;
	struct ib_error cerr = {0};
	ib_ntfs_files_close(f, &cerr); /* read-only: nothing to lose */
	ib_error_clear(&cerr);
	return found;
}

int ib_inspect_windows(const struct ib_inspect_vol *v, struct ib_mf_part *p, struct ib_error *err)
{
	struct ib_mf_windows *w = ib_xcalloc(1, sizeof(*w));
	int found = detect(v, w, err);
	if (ib_interrupted()) {
		ib_mf_windows_free(w);
		if (found >= 0)
			ib_fail(err, IB_EXIT_FAIL, "NTFS partition %u: interrupted", v->number);
		return -1;
	}
	if (found == 0) {
		ib_mf_windows_free(w);
		return 0;
	}
	if (found < 0) {
		w->error = ib_xstrdup(err->msg ? err->msg : "detection failed");
		ib_error_clear(err);
	}
	p->windows = w;
	return 0;
}
