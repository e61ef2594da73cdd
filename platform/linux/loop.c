// SPDX-License-Identifier: GPL-2.0-or-later
/* Linux loop devices through /dev/loop-control and the loop ioctls (never
 * losetup). Each partition gets its own loop device at the partition's
 * offset with a size limit: partition scanning (-P) is unreliable (on some
 * kernels it makes no GPT partition nodes at all). Devices are configured
 * with LO_FLAGS_AUTOCLEAR and held open by us, so a build that dies frees
 * them as soon as the last user closes; lo_file_name carries
 * "imgbuild:<pid>:<image>" and the image lies in the build's work dir, so a
 * later run can tell whose a leftover device is. */
#include "platform/platform-int.h"

#ifdef __linux__

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "core/undo.h"

#define GET_FREE_ATTEMPTS 32
/* How long a detach waits for other users of the device to close it. */
#define DETACH_TIMEOUT_MS 20000
#define STALE_DETACH_TIMEOUT_MS 3000

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The marker in lo_file_name: what `losetup -l` shows and what a later run
 * reads back. Keep the end of the path: it holds the work dir name. */
static void set_file_name(struct loop_info64 *info, const char *image)
{
	char prefix[32];
	int pl = snprintf(prefix, sizeof(prefix), "imgbuild:%ld:", (long)getpid());
	size_t room = LO_NAME_SIZE - 1 - (size_t)pl;
	size_t len = strlen(image);
	const char *tail = len > room ? image + len - room : image;
	snprintf((char *)info->lo_file_name, LO_NAME_SIZE, "%s%s", prefix, tail);
}

/* Open /dev/loopN; the node can lag LOOP_CTL_GET_FREE by a moment when the
 * kernel had to create the device. */
static int open_loop(int n, bool ro)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	for (int i = 0; i < 20; i++) {
		int fd = open(dev, O_RDWR | O_CLOEXEC);
		if (fd < 0 && ro && (errno == EACCES || errno == EROFS))
			fd = open(dev, O_RDONLY | O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			return fd;
		ib_sleep_ms(10);
	}
	return -1;
}

/* Old kernels (before 5.8) have no LOOP_CONFIGURE: set fd, then status. */
static int configure_legacy(int fd, const struct loop_config *cfg)
{
	if (ioctl(fd, LOOP_SET_FD, cfg->fd) < 0)
		return -1;
	if (ioctl(fd, LOOP_SET_STATUS64, &cfg->info) < 0 ||
	    (cfg->block_size && ioctl(fd, LOOP_SET_BLOCK_SIZE, (unsigned long)cfg->block_size) < 0)) {
		int e = errno;
		ioctl(fd, LOOP_CLR_FD, 0);
		errno = e;
		return -1;
	}
	return 0;
}

static int attach_one(int ctl, int img_fd, const char *image, const struct ib_attach_region *rg, uint32_t bs,
		      bool ro, struct ib_attached_part *p, struct ib_error *err)
{
	struct loop_config cfg = {.fd = (__u32)img_fd, .block_size = bs};
	cfg.info.lo_offset = rg->offset;
	cfg.info.lo_sizelimit = rg->size;
	cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0);
	set_file_name(&cfg.info, image);
	for (int attempt = 0; attempt < GET_FREE_ATTEMPTS; attempt++) {
		if (ib_interrupted())
			return ib_fail(err, 128 + ib_interrupted(), "interrupted while attaching '%s'", image);
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return ib_fail_errno(err, -errno, "no free loop device (LOOP_CTL_GET_FREE)");
		int fd = open_loop(n, ro);
		if (fd < 0) {
			int e = errno;
			if (e == EACCES || e == EPERM)
				return ib_fail(err, IB_EXIT_ENV,
					       "cannot open /dev/loop%d: %s (loop devices need root or the disk group)",
					       n, strerror(e));
			return ib_fail_errno(err, -e, "cannot open /dev/loop%d", n);
		}
		int r = ioctl(fd, LOOP_CONFIGURE, &cfg);
		if (r < 0 && (errno == EINVAL || errno == ENOTTY))
			r = configure_legacy(fd, &cfg);
		if (r < 0) {
			int e = errno;
			close(fd);
			/* Another process took the device between GET_FREE and
			 * CONFIGURE: ask for another one. */
			if (e == EBUSY)
				continue;
			return ib_fail_errno(err, -e, "cannot configure /dev/loop%d for '%s' at offset %llu", n, image,
					     (unsigned long long)rg->offset);
		}
		p->number = rg->number;
		p->loop_index = n;
		p->fd = fd;
		p->dev = ib_xasprintf("/dev/loop%d", n);
		/* The image may be shorter than the partition: the kernel then
		 * silently gives a smaller device. */
		uint64_t got = 0;
		if (ioctl(fd, BLKGETSIZE64, &got) == 0 && got != rg->size)
			return ib_fail(err, IB_EXIT_FAIL,
				       "'%s' is too short for partition %u: /dev/loop%d has %llu bytes, expected %llu",
				       image, rg->number, n, (unsigned long long)got, (unsigned long long)rg->size);
		return 0;
	}
	return ib_fail(err, IB_EXIT_ENV, "no loop device could be configured after %d attempts (all busy)",
		       GET_FREE_ATTEMPTS);
}

/* Is /dev/loopN still bound to a file? sysfs shows a loop/ directory only
 * then; without sysfs ask the device. */
static bool loop_bound(int n)
{
	char path[64];
	snprintf(path, sizeof(path), "/sys/block/loop%d/loop/backing_file", n);
	if (access(path, F_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/block/loop%d", n);
	if (access(path, F_OK) == 0)
		return false;
	snprintf(path, sizeof(path), "/dev/loop%d", n);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct loop_info64 info;
	bool bound = ioctl(fd, LOOP_GET_STATUS64, &info) == 0;
	close(fd);
	return bound;
}

/* Detach a device we hold open as fd (closed here). LOOP_CLR_FD returns
 * EBUSY on old kernels while others hold the device; newer ones instead turn
 * on autoclear and return 0, and the device goes when the last user closes.
 * Either way: retry / wait with backoff until it is really unbound. */
static int detach_fd(int n, int fd, long timeout_ms, struct ib_error *err)
{
	long deadline = now_ms() + timeout_ms, delay = 20;
	for (;;) {
		if (fd < 0)
			break;
		if (ioctl(fd, LOOP_CLR_FD, 0) == 0 || errno == ENXIO) {
			close(fd);
			fd = -1;
			break;
		}
		int e = errno;
		if (e != EBUSY) {
			close(fd);
			return ib_fail_errno(err, -e, "cannot detach /dev/loop%d", n);
		}
		if (now_ms() >= deadline) {
			/* Leave autoclear to free it when its user closes. */
			close(fd);
			return ib_fail(err, IB_EXIT_ENV, "/dev/loop%d is still busy after %ld s", n, timeout_ms / 1000);
		}
		ib_sleep_ms(delay);
		delay = delay < 500 ? delay * 2 : 1000;
	}
	while (loop_bound(n)) {
		if (now_ms() >= deadline)
			return ib_fail(err, IB_EXIT_ENV,
				       "/dev/loop%d is still in use after %ld s (held open by another process or a "
				       "mount); it is released when that user closes it",
				       n, timeout_ms / 1000);
		ib_sleep_ms(delay);
		delay = delay < 500 ? delay * 2 : 1000;
	}
	return 0;
}

static int detach_part(struct ib_attached_part *p, struct ib_error *err)
{
	if (p->loop_index < 0)
		return 0;
	int r = detach_fd(p->loop_index, p->fd, DETACH_TIMEOUT_MS, err);
	p->fd = -1;
	p->loop_index = -1;
	return r;
}

int ib_linux_detach(struct ib_attachment *a, struct ib_error *err)
{
	int r = 0;
	for (size_t i = a->nparts; i-- > 0;)
		if (detach_part(&a->parts[i], err) < 0)
			r = -1;
	if (detach_part(&a->whole, err) < 0)
		r = -1;
	return r;
}

int ib_linux_detach_index(int n, struct ib_error *err)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot open %s", dev);
	return detach_fd(n, fd, STALE_DETACH_TIMEOUT_MS, err);
}

int ib_linux_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err)
{
	a->kind = IB_PLATFORM_LINUX;
	a->image = ib_xstrdup(req->image);
	a->read_only = req->read_only;
	a->whole = (struct ib_attached_part){.fd = -1, .loop_index = -1};
	a->parts = ib_xcalloc(req->nregions ? req->nregions : 1, sizeof(*a->parts));
	uint32_t bs = req->sector_size ? req->sector_size : 512;

	_cleanup_close_ int img = open(req->image, (req->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (img < 0)
		return ib_fail_errno(err, -errno, "cannot open '%s'", req->image);
	struct stat st;
	if (fstat(img, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot stat '%s'", req->image);
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		int e = errno;
		return ib_fail(err, IB_EXIT_ENV, "cannot open /dev/loop-control: %s (%s)", strerror(e),
			       e == ENOENT ? "load the loop module: modprobe loop" :
			       e == EACCES || e == EPERM ? "loop devices need root; the default --backend lib does not" :
							   "loop devices unavailable");
	}
	int r = 0;
	if (req->whole_disk) {
		struct ib_attach_region all = {.number = 0, .offset = 0, .size = (uint64_t)st.st_size};
		r = attach_one(ctl, img, req->image, &all, bs, req->read_only, &a->whole, err);
		if (r == 0)
			a->disk = ib_xstrdup(a->whole.dev);
	}
	for (size_t i = 0; r == 0 && i < req->nregions; i++) {
		a->parts[i] = (struct ib_attached_part){.fd = -1, .loop_index = -1};
		r = attach_one(ctl, img, req->image, &req->regions[i], bs, req->read_only, &a->parts[i], err);
		a->nparts = i + 1;
	}
	if (r < 0) {
		struct ib_error ignored = {0};
		ib_linux_detach(a, &ignored);
		ib_error_clear(&ignored);
		ib_attachment_clear(a);
		return -1;
	}
	return 0;
}

/* Read lo_file_name of a bound device ("imgbuild:<pid>:..." when ours). */
static long marker_pid(int n)
{
	char dev[32];
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	struct loop_info64 info;
	long pid = 0;
	if (ioctl(fd, LOOP_GET_STATUS64, &info) == 0) {
		info.lo_file_name[LO_NAME_SIZE - 1] = 0;
		const char *s = (const char *)info.lo_file_name;
		if (!strncmp(s, "imgbuild:", 9))
			pid = strtol(s + 9, NULL, 10);
	}
	close(fd);
	return pid;
}

int ib_linux_list(struct ib_attached_list *out, struct ib_error *err)
{
	(void)err;
	DIR *d = opendir("/sys/block");
	if (!d)
		return 0; /* no sysfs: nothing can be listed */
	struct dirent *e;
	while ((e = readdir(d))) {
		int n;
		char tail;
		if (sscanf(e->d_name, "loop%d%c", &n, &tail) != 1)
			continue;
		char path[96];
		snprintf(path, sizeof(path), "/sys/block/loop%d/loop/backing_file", n);
		char *file = ib_read_text(path, 8192, NULL);
		if (!file)
			continue;
		file[strcspn(file, "\n")] = 0;
		size_t len = strlen(file);
		if (len > 10 && !strcmp(file + len - 10, " (deleted)"))
			file[len - 10] = 0;
		long pid = ib_work_dir_pid(file);
		if (!pid)
			pid = marker_pid(n);
		if (!pid) {
			free(file);
			continue;
		}
		snprintf(path, sizeof(path), "/sys/block/loop%d/ro", n);
		_cleanup_free_ char *ro = ib_read_text(path, 16, NULL);
		struct ib_attached_dev dev = {
			.dev = ib_xasprintf("/dev/loop%d", n),
			.file = file,
			.pid = pid,
			.read_only = ro && ro[0] == '1',
		};
		IB_VEC_PUSH(out->list, dev);
	}
	closedir(d);
	return 0;
}

/* Loop capability for `imgbuild check`: /dev/loop-control and privileges. */
void ib_linux_loop_checks(struct ib_checks *out)
{
	_cleanup_free_ char *ctl = ib_sysroot_path("/dev/loop-control");
	struct stat st;
	if (stat(ctl, &st) < 0) {
		ib_checks_add(out, "loop", "/dev/loop-control", IB_CHECK_FAIL,
			      "load the loop module (modprobe loop); in a container pass --device /dev/loop-control",
			      "%s: %s", ctl, strerror(errno));
		return;
	}
	int fd = open(ctl, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ib_checks_add(out, "loop", "/dev/loop-control", IB_CHECK_FAIL,
			      "run as root (or in the disk group with access to /dev/loop-control)", "cannot open %s: %s",
			      ctl, strerror(errno));
	} else {
		close(fd);
		ib_checks_add(out, "loop", "/dev/loop-control", IB_CHECK_OK, NULL, "%s opens read-write", ctl);
	}
	if (geteuid() == 0) {
		ib_checks_add(out, "loop", "privileges", IB_CHECK_OK, NULL, "running as root");
		return;
	}
	struct group *g = getgrnam("disk");
	bool in_disk = false;
	if (g) {
		gid_t groups[256];
		int ng = getgroups(256, groups);
		for (int i = 0; i < ng; i++)
			in_disk |= groups[i] == g->gr_gid;
		in_disk |= getegid() == g->gr_gid;
	}
	if (in_disk)
		ib_checks_add(out, "loop", "privileges", IB_CHECK_OK, NULL, "not root, but in the disk group");
	else
		ib_checks_add(out, "loop", "privileges", IB_CHECK_FAIL,
			      "run as root, or add the user to the disk group (the default --backend lib needs neither)",
			      "not root and not in the disk group (uid %ld)", (long)geteuid());
}

#else /* !__linux__ */

static int unavailable(struct ib_error *err)
{
	return ib_fail(err, IB_EXIT_ENV, "Linux loop devices are not available on this host (IMGBUILD_PLATFORM=linux)");
}
int ib_linux_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err)
{
	(void)req;
	(void)a;
	return unavailable(err);
}
int ib_linux_detach(struct ib_attachment *a, struct ib_error *err)
{
	(void)a;
	(void)err;
	return 0;
}
int ib_linux_detach_index(int index, struct ib_error *err)
{
	(void)index;
	return unavailable(err);
}
int ib_linux_list(struct ib_attached_list *out, struct ib_error *err)
{
	(void)out;
	(void)err;
	return 0;
}
void ib_linux_loop_checks(struct ib_checks *out)
{
	ib_checks_add(out, "loop", "loop devices", IB_CHECK_FAIL, "use IMGBUILD_PLATFORM=illumos on this host",
		      "Linux loop devices are not available on this host");
}

#endif
