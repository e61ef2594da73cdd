// SPDX-License-Identifier: GPL-2.0-or-later
/* A partition attached through the platform, its detach on the undo stack. */
#include "devattach.h"

#include <stdio.h>

#include "core/util.h"
#include "platform/platform.h"

struct ib_devattach {
	struct ib_attachment a;
	struct ib_undo *undo;
	size_t handle;
};

/* The undo item: detach and free. */
static void undo_detach(void *arg)
{
	struct ib_devattach *d = arg;
	struct ib_error e = {0};
	if (ib_platform_detach(&d->a, &e) < 0)
		fprintf(stderr, "imgbuild: warning: cleanup: %s\n", e.msg);
	ib_error_clear(&e);
	free(d);
}

struct ib_devattach *ib_devattach_open(const struct ib_devattach_req *req, struct ib_error *err)
{
	struct ib_attach_region rg = {.number = req->number, .offset = req->offset, .size = req->size};
	struct ib_attach_req ar = {
		.image = req->image,
		.sector_size = req->sector_size,
		.table = req->table,
		.regions = &rg,
		.nregions = 1,
	};
	struct ib_devattach *d = ib_xcalloc(1, sizeof(*d));
	if (ib_platform_attach(&ar, &d->a, err) < 0) {
		free(d);
		return NULL;
	}
	d->undo = req->undo;
	if (d->undo)
		d->handle = ib_undo_push_fn(d->undo, undo_detach, d);
	return d;
}

const char *ib_devattach_dev(const struct ib_devattach *d)
{
	return d->a.nparts ? d->a.parts[0].dev : NULL;
}

int ib_devattach_close(struct ib_devattach *d, struct ib_error *err)
{
	if (!d)
		return 0;
	/* Detaching can mean running lofiadm, which a pending signal refuses:
	 * leave it to the undo run, where it is allowed. */
	if (d->undo && ib_interrupted())
		return ib_fail_interrupted(err, "detaching the partition device");
	if (d->undo)
		ib_undo_drop(d->undo, d->handle);
	int r = ib_platform_detach(&d->a, err);
	free(d);
	return r;
}
