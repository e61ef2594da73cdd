// SPDX-License-Identifier: GPL-2.0-or-later
/* illumos: `umount DIR` unmounts an ntfs-3g mount (platform.c mounts). */
#include "platform/platform-int.h"

#include "core/spawn.h"

#define UNMOUNT_TIMEOUT_MS 15000

int ib_illumos_unmount(const char *dir, struct ib_error *err)
{
	const char *argv[] = {"umount", dir, NULL};
	if (ib_spawn_retry_busy(argv, UNMOUNT_TIMEOUT_MS, err) < 0) {
		ib_error_prefix(err, "cannot unmount %s", dir);
		return -1;
	}
	return 0;
}
