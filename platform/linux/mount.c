// SPDX-License-Identifier: GPL-2.0-or-later
/* Linux: unmount an ntfs-3g mount with umount (root) or fusermount3 -u (a
 * user); platform.c mounts. */
#include "platform/platform-int.h"

#include <unistd.h>

#include "core/spawn.h"

#define UNMOUNT_TIMEOUT_MS 15000

int ib_linux_unmount(const char *dir, struct ib_error *err)
{
	const char *as_root[] = {"umount", dir, NULL};
	const char *as_user[] = {"fusermount3", "-u", dir, NULL};
	if (ib_spawn_retry_busy(geteuid() == 0 ? as_root : as_user, UNMOUNT_TIMEOUT_MS, err) < 0) {
		ib_error_prefix(err, "cannot unmount %s", dir);
		return -1;
	}
	return 0;
}
