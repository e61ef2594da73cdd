// SPDX-License-Identifier: GPL-2.0-or-later
/* illumos: `ntfs-3g DEV DIR` mounts (as wimsy and the OpenIndiana docs do;
 * `mount -F ntfs-3g` needs a helper not every distribution ships) and
 * `umount DIR` unmounts. */
#include "platform/platform-int.h"

#include "spawn.h"

#define UNMOUNT_TIMEOUT_MS 15000

int ib_illumos_mount_ntfs(const char *dev, const char *dir, bool read_only, struct ib_error *err)
{
	const char *rw[] = {"ntfs-3g", dev, dir, NULL};
	const char *ro[] = {"ntfs-3g", "-o", "ro", dev, dir, NULL};
	if (ib_spawn(read_only ? ro : rw, NULL, NULL, err) < 0) {
		ib_error_prefix(err, "cannot mount %s on %s", dev, dir);
		return -1;
	}
	return 0;
}

int ib_illumos_unmount(const char *dir, struct ib_error *err)
{
	const char *argv[] = {"umount", dir, NULL};
	if (ib_spawn_retry_busy(argv, UNMOUNT_TIMEOUT_MS, err) < 0) {
		ib_error_prefix(err, "cannot unmount %s", dir);
		return -1;
	}
	return 0;
}
