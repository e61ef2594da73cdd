// SPDX-License-Identifier: GPL-2.0-or-later
#include "ntfs3g_route.h"

#include <errno.h>
#include <string.h>

#include "core/util.h"
#include "ntfs3g_device.h"
#include "vol.h"

#define NO_NTFS_DEVICE_DEFAULT_IO_OPS
#include <ntfs-3g/device_io.h>

/* libntfs-3g's own table (device_io.h names it ntfs_device_default_io_ops
 * on every system but Windows). */
extern struct ntfs_device_operations ntfs_device_unix_io_ops;

static struct {
	bool on;
	char *name;
	struct ib_ntfs3g_io io;
	struct ntfs_device_operations saved;
} route;

static bool routed(const struct ntfs_device *dev)
{
	return route.on && dev->d_private == &route.io;
}

static int r_open(struct ntfs_device *dev, int flags)
{
	if (route.on && !dev->d_private && !strcmp(dev->d_name, route.name)) {
		dev->d_private = &route.io;
		int r = ib_ntfs3g_offset_ops.open(dev, flags);
		if (r < 0)
			dev->d_private = NULL;
		return r;
	}
	return route.saved.open(dev, flags);
}

static int r_close(struct ntfs_device *dev)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.close(dev) : route.saved.close(dev);
}
static s64 r_seek(struct ntfs_device *dev, s64 off, int whence)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.seek(dev, off, whence) : route.saved.seek(dev, off, whence);
}
static s64 r_read(struct ntfs_device *dev, void *buf, s64 n)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.read(dev, buf, n) : route.saved.read(dev, buf, n);
}
static s64 r_write(struct ntfs_device *dev, const void *buf, s64 n)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.write(dev, buf, n) : route.saved.write(dev, buf, n);
}
static s64 r_pread(struct ntfs_device *dev, void *buf, s64 n, s64 pos)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.pread(dev, buf, n, pos) : route.saved.pread(dev, buf, n, pos);
}
static s64 r_pwrite(struct ntfs_device *dev, const void *buf, s64 n, s64 pos)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.pwrite(dev, buf, n, pos) : route.saved.pwrite(dev, buf, n, pos);
}
static int r_sync(struct ntfs_device *dev)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.sync(dev) : route.saved.sync(dev);
}
static int r_stat(struct ntfs_device *dev, struct stat *st)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.stat(dev, st) : route.saved.stat(dev, st);
}
static int r_ioctl(struct ntfs_device *dev, unsigned long req, void *arg)
{
	return routed(dev) ? ib_ntfs3g_offset_ops.ioctl(dev, req, arg) : route.saved.ioctl(dev, req, arg);
}

int ib_ntfs3g_route_begin(const char *name, const struct ib_vol_target *t, struct ib_error *err)
{
	if (route.on)
		return ib_fail(err, IB_EXIT_FAIL, "ntfs: a device route is already set (for %s)", route.name);
	route.name = ib_xstrdup(name);
	route.io = (struct ib_ntfs3g_io){
		.offset = t->offset,
		.size = t->size,
		.sector_size = t->sector_size ? t->sector_size : 512,
		.path = t->image,
	};
	route.saved = ntfs_device_unix_io_ops;
	ntfs_device_unix_io_ops = (struct ntfs_device_operations){
		.open = r_open,
		.close = r_close,
		.seek = r_seek,
		.read = r_read,
		.write = r_write,
		.pread = r_pread,
		.pwrite = r_pwrite,
		.sync = r_sync,
		.stat = r_stat,
		.ioctl = r_ioctl,
	};
	route.on = true;
	return 0;
}

void ib_ntfs3g_route_end(void)
{
	if (!route.on)
		return;
	ntfs_device_unix_io_ops = route.saved;
	route.on = false;
	free(route.name);
	route.name = NULL;
}
