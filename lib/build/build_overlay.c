// SPDX-License-Identifier: GPL-2.0-or-later
/* The overlay way of a base build (build_overlay.h). qemu-nbd runs with
 * --persistent (connections come and go: the table, the probes, each
 * volume) and --shared=0; it is a child in the guarded process group, so it
 * cannot outlive a killed build, and it is on the undo stack otherwise. */
#include "build_overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/blkio.h"
#include "core/spawn.h"
#include "core/util.h"
#include "fs/fs.h"
#include "plan/plan_base.h"

#define READY_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 10000
#define COPY_CHUNK (UINT64_C(1) << 20)

struct ib_overlay {
	struct ib_bg *server;
	size_t undo_handle;
	char *sock_dir; /* when the work dir's path is too long for a socket */
};

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A failed or interrupted build: stop the server and forget the overlay
 * (the work directory with it goes next on the stack). */
static void stop_on_undo(void *arg)
{
	struct ib_overlay *ov = arg;
	ib_bg_stop(ov->server, STOP_TIMEOUT_MS, NULL);
	free(ov->sock_dir);
	free(ov);
}

/* A unix socket path holds at most sizeof(sun_path) - 1 bytes: the work
 * directory's absolute path, or a private directory under /tmp when that is
 * too long. */
static char *socket_path(const struct ib_plan *p, struct ib_overlay *ov, struct ib_undo *undo, struct ib_error *err)
{
	/* qemu-nbd wants it absolute. */
	char *dir = realpath(p->work_dir, NULL);
	char *path = dir ? ib_xasprintf("%s/nbd.sock", dir) : NULL;
	free(dir);
	if (path && strlen(path) < sizeof(((struct sockaddr_un *)0)->sun_path))
		return path;
	free(path);
	char tmpl[] = "/tmp/imgbuild-nbd.XXXXXX";
	if (!mkdtemp(tmpl)) {
		ib_fail_errno(err, -errno, "cannot create a directory for qemu-nbd's socket");
		return NULL;
	}
	ov->sock_dir = ib_xstrdup(tmpl);
	ib_undo_push_rmtree(undo, ov->sock_dir);
	return ib_xasprintf("%s/nbd.sock", tmpl);
}

/* Until the export answers: the server may die (its stderr is the error),
 * the user may interrupt, or it may never come up. */
static int wait_ready(struct ib_overlay *ov, const char *name, struct ib_error *err)
{
	for (long waited = 0;; waited += 10) {
		if (ib_interrupted())
			return ib_fail_interrupted(err, "starting qemu-nbd");
		if (!ib_bg_running(ov->server, err))
			return -1;
		struct ib_blk *b = NULL;
		struct ib_error probe = {0};
		if (ib_blk_open(name, true, &b, &probe) == 0) {
			ib_blk_close(b);
			return 0;
		}
		if (waited >= READY_TIMEOUT_MS) {
			int r = ib_fail(err, IB_EXIT_FAIL, "qemu-nbd did not serve the overlay within %d s: %s",
					READY_TIMEOUT_MS / 1000, probe.msg);
			ib_error_clear(&probe);
			return r;
		}
		ib_error_clear(&probe);
		sleep_ms(10);
	}
}

int ib_overlay_start(struct ib_plan *p, struct ib_undo *undo, struct ib_overlay **out, struct ib_error *err)
{
	*out = NULL;
	char **argv = ib_plan_base_argv(p);
	int r = ib_spawn((const char *const *)argv, NULL, NULL, err);
	ib_argv_free(argv);
	if (r < 0)
		return -1;
	struct ib_overlay *ov = ib_xcalloc(1, sizeof(*ov));
	_cleanup_free_ char *sock = socket_path(p, ov, undo, err);
	_cleanup_free_ char *sock_arg = sock ? ib_xasprintf("--socket=%s", sock) : NULL;
	_cleanup_free_ char *log = ib_xasprintf("%s/qemu-nbd.log", p->work_dir);
	const char *nbd[] = {"qemu-nbd", "--format=qcow2", "--persistent", "--shared=0", "--cache=writeback",
			     sock_arg, p->work_overlay, NULL};
	if (!sock || ib_spawn_bg(nbd, log, &ov->server, err) < 0) {
		free(ov->sock_dir);
		free(ov);
		return -1;
	}
	ov->undo_handle = ib_undo_push_fn(undo, stop_on_undo, ov);
	*out = ov;
	free(p->work_image);
	p->work_image = ib_blk_nbd_name(sock);
	return wait_ready(ov, p->work_image, err);
}

int ib_overlay_stop(struct ib_plan *p, struct ib_overlay *ov, struct ib_undo *undo, struct ib_error *err)
{
	if (!ov)
		return 0;
	/* On SIGTERM qemu-nbd closes the image, writing out its qcow2 caches. */
	int r = ib_bg_stop(ov->server, STOP_TIMEOUT_MS, err);
	ov->server = NULL;
	ib_undo_drop(undo, ov->undo_handle);
	if (r < 0)
		ib_error_prefix(err, "stopping qemu-nbd");
	free(p->work_image);
	p->work_image = ib_xstrdup(p->work_overlay);
	if (ov->sock_dir) { /* the work directory's own goes with it */
		_cleanup_free_ char *sock = ib_xasprintf("%s/nbd.sock", ov->sock_dir);
		unlink(sock);
		rmdir(ov->sock_dir);
		free(ov->sock_dir);
	}
	free(ov);
	return r;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	return n == 0 || (b[0] == 0 && !memcmp(b, b + 1, n - 1));
}

/* The partition's bytes into a sparse file (zero chunks stay holes). */
static int copy_out(struct ib_blk *b, const struct ib_vol_target *src, int fd, uint8_t *buf, struct ib_error *err)
{
	if (ftruncate(fd, (off_t)src->size) < 0)
		return ib_fail_errno(err, -errno, "cannot size the partition copy");
	for (uint64_t off = 0; off < src->size; off += COPY_CHUNK) {
		size_t n = (size_t)(src->size - off < COPY_CHUNK ? src->size - off : COPY_CHUNK);
		int r = ib_blk_pread(b, buf, n, src->offset + off);
		if (r < 0)
			return ib_fail_errno(err, r, "reading partition %u from the overlay", src->number);
		if (!all_zero(buf, n) && (r = ib_pwrite_all(fd, buf, n, off)) < 0)
			return ib_fail_errno(err, r, "writing the copy of partition %u", src->number);
	}
	return 0;
}

/* Each chunk of the copy that differs from the export goes back. */
static int copy_back(struct ib_blk *b, const struct ib_vol_target *src, int fd, uint8_t *buf, uint8_t *was,
		     struct ib_error *err)
{
	for (uint64_t off = 0; off < src->size; off += COPY_CHUNK) {
		size_t n = (size_t)(src->size - off < COPY_CHUNK ? src->size - off : COPY_CHUNK);
		int r = ib_pread_all(fd, buf, n, off);
		if (r == 0)
			r = ib_blk_pread(b, was, n, src->offset + off);
		if (r == 0 && memcmp(buf, was, n))
			r = ib_blk_pwrite(b, buf, n, src->offset + off);
		if (r < 0)
			return ib_fail_errno(err, r, "writing partition %u back into the overlay", src->number);
	}
	int r = ib_blk_flush(b);
	return r < 0 ? ib_fail_errno(err, r, "flushing the overlay") : 0;
}

int ib_overlay_via_copy(const struct ib_plan *p, struct ib_vol_target *t,
			int (*fill)(struct ib_vol_target *t, void *arg), void *arg, struct ib_error *err)
{
	const struct ib_vol_target src = *t;
	struct ib_blk *b = NULL;
	if (ib_blk_open(src.image, true, &b, err) < 0)
		return -1;
	_cleanup_free_ char *copy = ib_xasprintf("%s/p%u.part", p->work_dir, src.number);
	_cleanup_close_ int fd = open(copy, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	_cleanup_free_ uint8_t *buf = ib_xcalloc(1, COPY_CHUNK), *was = ib_xcalloc(1, COPY_CHUNK);
	int r = fd < 0 ? ib_fail_errno(err, -errno, "cannot create '%s'", copy) : copy_out(b, &src, fd, buf, err);
	if (r == 0) {
		t->image = copy;
		t->offset = 0;
		r = fill(t, arg);
		*t = src;
	}
	if (r == 0)
		r = copy_back(b, &src, fd, buf, was, err);
	int c = ib_blk_close(b);
	if (c < 0 && r == 0)
		r = ib_fail_errno(err, c, "closing the overlay: %s", ib_blk_error());
	if (fd >= 0)
		unlink(copy);
	return r;
}
