// SPDX-License-Identifier: GPL-2.0-or-later
/* illumos block devices through the lofiadm command (lofi's ioctls are
 * private between the driver and lofiadm). `lofiadm -l -a IMAGE` maps the
 * image as a labeled disk and prints its whole-disk node /dev/dsk/cXtYd0p0;
 * the partitions are then /dev/dsk/cXtYd0sN-1 (GPT: slice N-1 is GPT entry
 * N) or /dev/dsk/cXtYd0pN (MBR). Device nodes are looked up under the
 * sysroot; lofiadm comes from PATH. */
#include "lofi.h"
#include "platform/platform-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/spawn.h"
#include "core/undo.h"

#define NODE_WAIT_MS 15000
#define UNMAP_TIMEOUT_MS 30000

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

int ib_lofi_parse_list(const char *text, struct ib_lofi_rows *out)
{
	_cleanup_free_ char *copy = ib_xstrdup(text);
	bool header = false;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!*trim(line))
			continue;
		if (!header) {
			/* "Block Device             File                           Options" */
			if (strncmp(trim(line), "Block Device", 12) != 0)
				return -1;
			header = true;
			continue;
		}
		/* "%-20s     %-30s\t%s": the options follow the last tab; the
		 * device is the first word; the file is what lies between
		 * (it may hold spaces). */
		char *tab = strrchr(line, '\t');
		if (!tab)
			return -1;
		*tab = 0;
		char *opts = trim(tab + 1);
		char *dev = trim(line);
		size_t dl = strcspn(dev, " \t");
		if (!dev[dl])
			return -1;
		dev[dl] = 0;
		char *file = trim(dev + dl + 1);
		if (!*dev || !*file)
			return -1;
		struct ib_lofi_row row = {
			.dev = ib_xstrdup(dev),
			.file = ib_xstrdup(file),
			.options = ib_xstrdup(*opts ? opts : "-"),
			.read_only = strstr(opts, "Readonly") != NULL,
		};
		IB_VEC_PUSH(out->list, row);
	}
	return header ? 0 : -1;
}

void ib_lofi_rows_free(struct ib_lofi_rows *r)
{
	for (size_t i = 0; i < r->list.n; i++) {
		free(r->list.v[i].dev);
		free(r->list.v[i].file);
		free(r->list.v[i].options);
	}
	free(r->list.v);
	r->list.v = NULL;
	r->list.n = r->list.cap = 0;
}

char *ib_lofi_disk_base(const char *p0)
{
	static const char pre[] = "/dev/dsk/";
	size_t n = strlen(p0);
	if (strncmp(p0, pre, sizeof(pre) - 1) || n < sizeof(pre) - 1 + 3 || strcmp(p0 + n - 2, "p0"))
		return NULL;
	const char *b = p0 + sizeof(pre) - 1;
	size_t bl = n - (sizeof(pre) - 1) - 2;
	for (size_t i = 0; i < bl; i++)
		if (!isalnum((unsigned char)b[i]))
			return NULL;
	return ib_xstrndup(b, bl);
}

char *ib_lofi_part_node(const char *base, enum ib_table table, unsigned n)
{
	if (table == IB_TABLE_GPT)
		return ib_xasprintf("/dev/dsk/%ss%u", base, n - 1);
	return ib_xasprintf("/dev/dsk/%sp%u", base, n);
}

/* The /dev links of a new mapping can appear after lofiadm returns. */
static int wait_node(const char *path, struct ib_error *err)
{
	struct stat st;
	for (long waited = 0, d = 20; stat(path, &st) < 0; waited += d, d = d < 500 ? d * 2 : 500) {
		if (errno != ENOENT)
			return ib_fail_errno(err, -errno, "cannot use %s", path);
		if (ib_interrupted())
			return ib_fail(err, 128 + ib_interrupted(), "interrupted while waiting for %s", path);
		if (waited >= NODE_WAIT_MS)
			return ib_fail(err, IB_EXIT_ENV, "%s did not appear within %ld s after lofiadm -a", path,
				       waited / 1000);
		ib_sleep_ms(d);
	}
	return 0;
}

int ib_illumos_lofi_unmap(const char *dev, struct ib_error *err)
{
	/* Right after an unmount the device can still be busy (wimsy syncs
	 * and sleeps 2 s); sync, then retry while lofiadm says busy. */
	const char *sync_argv[] = {"sync", NULL};
	struct ib_error ignored = {0};
	ib_spawn(sync_argv, NULL, NULL, &ignored);
	ib_error_clear(&ignored);
	const char *argv[] = {"lofiadm", "-d", dev, NULL};
	if (ib_spawn_retry_busy(argv, UNMAP_TIMEOUT_MS, err) < 0) {
		ib_error_prefix(err, "cannot detach %s", dev);
		return -1;
	}
	return 0;
}

static int lofi_rows(struct ib_lofi_rows *rows, struct ib_error *err);

/* Whether some lofi mapping is backed by file (the list's File column). */
static bool lofi_maps(const char *file)
{
	struct ib_lofi_rows rows = {0};
	struct ib_error ignored = {0};
	bool found = false;
	/* lofiadm may list the path as given or made absolute. */
	_cleanup_free_ char *real = realpath(file, NULL);
	ib_cleanup_begin();
	if (lofi_rows(&rows, &ignored) == 0)
		for (size_t i = 0; i < rows.list.n && !found; i++)
			found = !strcmp(rows.list.v[i].file, file) || (real && !strcmp(rows.list.v[i].file, real));
	ib_cleanup_end();
	ib_error_clear(&ignored);
	ib_lofi_rows_free(&rows);
	return found;
}

int ib_illumos_attach(const struct ib_attach_req *req, struct ib_attachment *a, struct ib_error *err)
{
	a->kind = IB_PLATFORM_ILLUMOS;
	a->image = ib_xstrdup(req->image);
	a->read_only = req->read_only;
	a->whole = (struct ib_attached_part){.fd = -1, .loop_index = -1};
	a->parts = ib_xcalloc(req->nregions ? req->nregions : 1, sizeof(*a->parts));

	const char *rw[] = {"lofiadm", "-l", "-a", req->image, NULL};
	const char *ro[] = {"lofiadm", "-r", "-l", "-a", req->image, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	if (ib_spawn(req->read_only ? ro : rw, &o, &res, err) < 0) {
		ib_spawn_result_free(&res);
		ib_error_prefix(err, "cannot attach '%s'", req->image);
		/* lofiadm may have mapped the file before it failed or was killed
		 * (SIGINT/SIGTERM): release any mapping of it, by file name. */
		if (lofi_maps(req->image)) {
			struct ib_error ignored = {0};
			ib_cleanup_begin();
			ib_illumos_lofi_unmap(req->image, &ignored);
			ib_cleanup_end();
			ib_error_clear(&ignored);
		}
		ib_attachment_clear(a);
		return -1;
	}
	char *p0 = trim(res.out ? res.out : (char *)"");
	p0[strcspn(p0, "\n")] = 0;
	_cleanup_free_ char *base = ib_lofi_disk_base(p0);
	if (!base) {
		/* Mapped, but not as we expect: undo it by file name. */
		ib_fail(err, IB_EXIT_ENV,
			"lofiadm -l -a printed '%s', not a /dev/dsk/cXtYd0p0 node (a lofiadm without labeled "
			"device support, -l?)",
			p0);
		ib_spawn_result_free(&res);
		struct ib_error ignored = {0};
		if (*p0)
			ib_illumos_lofi_unmap(req->image, &ignored);
		ib_error_clear(&ignored);
		ib_attachment_clear(a);
		return -1;
	}
	a->disk = ib_xstrdup(p0);
	ib_spawn_result_free(&res);

	int r = 0;
	if (req->whole_disk) {
		a->whole.dev = ib_sysroot_path(a->disk);
		r = wait_node(a->whole.dev, err);
	}
	for (size_t i = 0; r == 0 && i < req->nregions; i++) {
		_cleanup_free_ char *node = ib_lofi_part_node(base, req->table, req->regions[i].number);
		a->parts[i] = (struct ib_attached_part){
			.number = req->regions[i].number,
			.dev = ib_sysroot_path(node),
			.fd = -1,
			.loop_index = -1,
		};
		a->nparts = i + 1;
		r = wait_node(a->parts[i].dev, err);
	}
	if (r < 0) {
		/* Interrupted (SIGINT) while waiting for the nodes, the spawn helper
		 * would refuse to run lofiadm -d and the mapping would leak: this is
		 * cleanup, so run it. */
		struct ib_error ignored = {0};
		ib_cleanup_begin();
		ib_illumos_lofi_unmap(a->disk, &ignored);
		ib_cleanup_end();
		ib_error_clear(&ignored);
		ib_attachment_clear(a);
		return -1;
	}
	return 0;
}

int ib_illumos_detach(struct ib_attachment *a, struct ib_error *err)
{
	if (!a->disk)
		return 0;
	return ib_illumos_lofi_unmap(a->disk, err);
}

/* `lofiadm` without arguments lists every mapping. */
static int lofi_rows(struct ib_lofi_rows *rows, struct ib_error *err)
{
	const char *argv[] = {"lofiadm", NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res;
	int r = ib_spawn(argv, &o, &res, err);
	if (r == 0 && ib_lofi_parse_list(res.out ? res.out : "", rows) < 0)
		r = ib_fail(err, IB_EXIT_ENV, "cannot read the output of lofiadm (no 'Block Device' header): %.200s",
			    res.out ? res.out : "");
	ib_spawn_result_free(&res);
	return r;
}

int ib_illumos_list(struct ib_attached_list *out, struct ib_error *err)
{
	struct ib_lofi_rows rows = {0};
	if (lofi_rows(&rows, err) < 0) {
		ib_lofi_rows_free(&rows);
		return -1;
	}
	/* The first column may be /dev/lofi/N or a /dev/dsk path: go by the
	 * File column, which names an imgbuild work dir. */
	for (size_t i = 0; i < rows.list.n; i++) {
		long pid = ib_work_dir_pid(rows.list.v[i].file);
		if (!pid)
			continue;
		struct ib_attached_dev d = {
			.dev = ib_xstrdup(rows.list.v[i].dev),
			.file = ib_xstrdup(rows.list.v[i].file),
			.pid = pid,
			.read_only = rows.list.v[i].read_only,
		};
		IB_VEC_PUSH(out->list, d);
	}
	ib_lofi_rows_free(&rows);
	return 0;
}

void ib_illumos_loop_checks(struct ib_checks *out)
{
	_cleanup_free_ char *path = ib_which("lofiadm");
	if (!path) {
		ib_checks_add(out, "loop", "lofiadm", IB_CHECK_FAIL,
			      "lofiadm is part of the base system (/usr/sbin/lofiadm): put /usr/sbin in PATH",
			      "lofiadm not found in PATH");
		return;
	}
	struct ib_lofi_rows rows = {0};
	struct ib_error e = {0};
	if (lofi_rows(&rows, &e) < 0)
		ib_checks_add(out, "loop", "lofiadm", IB_CHECK_FAIL, "check that the lofi driver is installed",
			      "%s: %s", path, e.msg);
	else
		ib_checks_add(out, "loop", "lofiadm", IB_CHECK_OK, NULL, "%s lists %zu mapping(s)", path,
			      rows.list.n);
	ib_error_clear(&e);
	ib_lofi_rows_free(&rows);
	if (geteuid() == 0)
		ib_checks_add(out, "loop", "privileges", IB_CHECK_OK, NULL, "running as root");
	else
		ib_checks_add(out, "loop", "privileges", IB_CHECK_FAIL,
			      "run as root (pfexec with the File System Management profile); the default --backend lib "
			      "needs neither",
			      "not root (uid %ld): lofiadm -a and ntfs-3g need privileges", (long)geteuid());
}
