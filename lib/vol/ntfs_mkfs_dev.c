// SPDX-License-Identifier: GPL-2.0-or-later
/* NTFS for the mount backend: mkntfs on the partition's block device, as a
 * user would run it by hand, with the arguments of the default backend (so
 * both give the same boot sector: sector and cluster size, hidden sectors =
 * partition start, 255 heads, 63 sectors per track, label). The volume
 * serial is written through the device too: the image file is not touched
 * while the device is attached, because the device's page cache would not
 * see such writes. The reproducible-mode restamp works on the image file,
 * so it runs after the detach. */
#include "ntfs_mkfs_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "core/spawn.h"
#include "core/util.h"
#include "devattach.h"


static int write_serial(const char *dev, const struct ib_mkfs_args *a, struct ib_error *err)
{
	_cleanup_close_ int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot open %s", dev);
	if (ib_ntfs_set_serial(fd, a, dev, err) < 0)
		return -1;
	if (fsync(fd) < 0)
		return ib_fail_errno(err, -errno, "ntfs: cannot sync %s", dev);
	return 0;
}

int ib_ntfs_mkfs_dev(const struct ib_mkfs_args *a, unsigned number, enum ib_table table, struct ib_error *err)
{
	struct ib_devattach_req req = {
		.image = a->image,
		.number = number,
		.table = table,
		.offset = a->offset,
		.size = a->size,
		.sector_size = a->sector_size,
		.undo = a->undo,
	};
	struct ib_devattach *d = ib_devattach_open(&req, err);
	if (!d) {
		ib_error_prefix(err, "ntfs: attaching partition %u", number);
		return -1;
	}
	const char *dev = ib_devattach_dev(d);
	/* The same argv as on the temp file, with the device in its place. */
	char **argv = ib_ntfs_mkfs_argv(a, dev);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	if (r == 0 && a->ntfs_serial)
		r = write_serial(dev, a, err);
	/* Detach on every path; its error counts only if nothing failed before. */
	struct ib_error later = {0};
	if (ib_devattach_close(d, r == 0 ? err : &later) < 0 && r == 0)
		r = -1;
	ib_error_clear(&later);
	return r;
}
