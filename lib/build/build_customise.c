// SPDX-License-Identifier: GPL-2.0-or-later
/* The BASE and WINDOWS build steps. BASE: the work directory, then the
 * overlay on the base served by qemu-nbd (build_overlay.h), or the base
 * converted into the sparse raw work image (`qemu-img convert` only reads
 * the base), then, for a base that is not raw, its table read from the work
 * image and the `use:` partitions located. WINDOWS: the injector on the work
 * image (it checks everything read-only before it writes), its report handed
 * to the progress callback. */
#include <errno.h>
#include <sys/stat.h>

#include "build_customise.h"
#include "build_overlay.h"
#include "plan/plan_base.h"
#include "fs/fs.h"
#include "core/spawn.h"
#include "windows/inject.h"

/* A base that is not raw has its table read now, from the work image. */
static int locate(struct ib_plan *p, struct ib_error *err)
{
	if (p->base_read)
		return 0;
	if (ib_plan_base_locate(p, p->work_image, p->work_dir, err) < 0)
		return -1;
	ib_plan_retitle(p);
	return 0;
}

int ib_build_base(struct ib_plan *p, struct ib_undo *undo, struct ib_overlay **ov, struct ib_error *err)
{
	if (mkdir(p->work_dir, 0700) < 0)
		return ib_fail_errno(err, -errno, "cannot create the work directory '%s'", p->work_dir);
	ib_undo_push_rmtree(undo, p->work_dir);
	if (p->base_overlay) {
		if (ib_overlay_start(p, undo, ov, err) < 0)
			return -1;
		return locate(p, err);
	}
	char **argv = ib_plan_base_argv(p);
	struct ib_spawn_opts o = {.stdin_fd = -1};
	int r = ib_spawn((const char *const *)argv, &o, NULL, err);
	ib_argv_free(argv);
	if (r < 0)
		return -1;
	struct stat st;
	if (stat(p->work_image, &st) < 0 || (uint64_t)st.st_size != p->disk_size)
		return ib_fail(err, IB_EXIT_FAIL, "the converted base '%s' is not %llu bytes", p->work_image,
			       (unsigned long long)p->disk_size);
	return locate(p, err);
}

int ib_build_windows(struct ib_plan *p, struct ib_plan_part *pp, const struct ib_progress *progress,
		     struct ib_error *err)
{
	struct ib_win_spec spec = *pp->win;
	spec.work_dir = p->work_dir;
	struct ib_win_target t = {
		.image = p->work_image, .offset = pp->offset, .size = pp->size, .sector_size = p->sector_size};
	struct ib_win_report rep = {0};
	int r = ib_win_inject(&t, &spec, &rep, err);
	if (r == 0) {
		char *text = ib_win_report_text(&rep), *json = ib_win_report_json(&rep);
		struct ib_event ev = {.kind = IB_EV_WINDOWS, .report_text = text, .report_json = json};
		ib_progress_emit(progress, &ev);
		free(text);
		free(json);
	}
	ib_win_report_free(&rep);
	return r;
}
