// SPDX-License-Identifier: GPL-2.0-or-later
#include "package.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "core/sha256.h"
#include "core/spawn.h"
#include "core/undo.h"
#include "core/util.h"
#include "fs/fs.h"
#include "ovf.h"

#define COPY_CHUNK (1u << 20)
#define KUBEVIRT_QEMU_UID 107 /* the qemu user of KubeVirt's launcher */

char *ib_package_disk_name(const struct ib_recipe *r)
{
	return ib_xasprintf("%s-disk1.vmdk", r->name);
}

static time_t mtime_of(const struct ib_package_in *in)
{
	return in->ro.reproducible ? (time_t)in->ro.epoch : time(NULL);
}

/* ---- the disk ---- */

/* Bytes of the image that hold data, from qemu-img map (works through a
 * base's overlay as for a raw file). */
static int populated_bytes(const struct ib_package_in *in, uint64_t *out, struct ib_error *err)
{
	const char *argv[] = {"qemu-img", "map", "--output=json", "-f", in->src_fmt, in->src, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res = {0};
	int r = ib_spawn(argv, &o, &res, err);
	uint64_t sum = 0;
	for (char *line = res.out; r == 0 && line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		const char *len = strstr(line, "\"length\":");
		if (len && strstr(line, "\"data\": true"))
			sum += strtoull(len + 9, NULL, 10);
		line = next;
	}
	ib_spawn_result_free(&res);
	*out = sum;
	return r;
}

static int make_vmdk(const struct ib_package_in *in, const char *vmdk, struct ib_error *err)
{
	struct ib_output_spec o = {.format = IB_OUT_VMDK, .subformat = (char *)"streamOptimized"};
	if (ib_convert(&o, in->src, in->src_fmt, vmdk, err) < 0)
		return -1;
	_cleanup_free_ char *name = ib_package_disk_name(in->recipe);
	struct ib_repro_output ro = in->ro;
	ro.final_name = name;
	return ib_repro_patch_output(IB_OUT_VMDK, vmdk, &ro, err);
}

static int write_file(const char *path, const char *text, struct ib_error *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return ib_fail_errno(err, -errno, "cannot create '%s'", path);
	int r = ib_pwrite_all(fd, text, strlen(text), 0);
	return r < 0 ? ib_fail_errno(err, r, "cannot write '%s'", path) : 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* descriptor, manifest and disk, under the given paths. */
static int ovf_files(const struct ib_package_in *in, const char *ovf, const char *mf, const char *vmdk,
		     struct ib_error *err)
{
	if (make_vmdk(in, vmdk, err) < 0)
		return -1;
	struct ib_ovf_disk d = {.file_size = file_size(vmdk)};
	_cleanup_free_ char *href = ib_package_disk_name(in->recipe);
	d.href = href;
	if (populated_bytes(in, &d.populated, err) < 0)
		return -1;
	const char *argv[] = {"qemu-img", "info", "--output=json", "-f", in->src_fmt, in->src, NULL};
	struct ib_spawn_opts o = {.capture_stdout = true, .stdin_fd = -1};
	struct ib_spawn_result res = {0};
	if (ib_spawn(argv, &o, &res, err) < 0) {
		ib_spawn_result_free(&res);
		return -1;
	}
	const char *vs = res.out ? strstr(res.out, "\"virtual-size\":") : NULL;
	d.capacity = vs ? strtoull(vs + 15, NULL, 10) : 0;
	ib_spawn_result_free(&res);
	struct ib_vm vm;
	ib_vm_resolve(in->recipe, in->detected, in->gpt, &vm);
	_cleanup_free_ char *xml = ib_ovf_descriptor(&vm, &d, in->recipe->properties, in->recipe->nproperties);
	if (write_file(ovf, xml, err) < 0)
		return -1;
	char h1[65], h2[65];
	if (ib_sha256_file(ovf, h1, NULL, err) < 0 || ib_sha256_file(vmdk, h2, NULL, err) < 0)
		return -1;
	_cleanup_free_ char *text = ib_xasprintf("SHA256(%s.ovf)= %s\nSHA256(%s)= %s\n", in->recipe->name, h1, href, h2);
	return write_file(mf, text, err);
}

int ib_package_ovf(const struct ib_package_in *in, const char *ovf, const char *mf, const char *vmdk,
		   struct ib_error *err)
{
	return ovf_files(in, ovf, mf, vmdk, err);
}

/* ---- tar ---- */

struct tar {
	struct archive *a;
	time_t mtime;
	const char *path;
};

static int tar_fail(struct tar *t, struct ib_error *err)
{
	return ib_fail(err, IB_EXIT_FAIL, "writing %s: %s", t->path, archive_error_string(t->a));
}

/* POSIX ustar, with a pax header only where ustar cannot say it (a member
 * of 8 GiB or more). */
static int tar_open(struct tar *t, const char *path, time_t mtime, struct ib_error *err)
{
	t->a = archive_write_new();
	t->mtime = mtime;
	t->path = path;
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK || archive_write_add_filter_none(t->a) != ARCHIVE_OK ||
	    archive_write_open_filename(t->a, path) != ARCHIVE_OK)
		return tar_fail(t, err);
	return 0;
}

static struct archive_entry *entry(struct tar *t, const char *name, mode_t type, mode_t perm, int64_t size,
				   int64_t owner)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, size);
	archive_entry_set_uid(e, owner);
	archive_entry_set_gid(e, owner);
	archive_entry_set_mtime(e, t->mtime, 0);
	return e;
}

static int tar_dir(struct tar *t, const char *name, int64_t owner, mode_t perm, struct ib_error *err)
{
	struct archive_entry *e = entry(t, name, AE_IFDIR, perm, 0, owner);
	int r = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : tar_fail(t, err);
	archive_entry_free(e);
	return r;
}

/* A member named name with the bytes of file src, streamed. */
static int tar_file(struct tar *t, const char *name, const char *src, int64_t owner, mode_t perm,
		    struct ib_error *err)
{
	_cleanup_close_ int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return ib_fail_errno(err, -errno, "cannot read %s", src);
	struct archive_entry *e = entry(t, name, AE_IFREG, perm, st.st_size, owner);
	int r = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : tar_fail(t, err);
	archive_entry_free(e);
	_cleanup_free_ char *buf = r == 0 ? ib_xcalloc(1, COPY_CHUNK) : NULL;
	for (uint64_t off = 0; r == 0 && off < (uint64_t)st.st_size;) {
		if (ib_interrupted())
			return ib_fail_interrupted(err, t->path);
		ssize_t n = read(fd, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ib_fail_errno(err, n < 0 ? -errno : -EIO, "cannot read %s", src);
		if (archive_write_data(t->a, buf, (size_t)n) != n)
			return tar_fail(t, err);
		off += (uint64_t)n;
	}
	return r;
}

static int tar_close(struct tar *t, int r, struct ib_error *err)
{
	if (t->a && archive_write_close(t->a) != ARCHIVE_OK && r == 0)
		r = tar_fail(t, err);
	archive_write_free(t->a);
	t->a = NULL;
	return r;
}

/* ---- OVA ---- */

int ib_package_ova(const struct ib_package_in *in, const char *out, struct ib_error *err)
{
	const char *n = in->recipe->name;
	_cleanup_free_ char *ovf = ib_xasprintf("%s/%s.ovf", in->work_dir, n);
	_cleanup_free_ char *mf = ib_xasprintf("%s/%s.mf", in->work_dir, n);
	_cleanup_free_ char *disk = ib_package_disk_name(in->recipe);
	_cleanup_free_ char *vmdk = ib_xasprintf("%s/%s", in->work_dir, disk);
	_cleanup_free_ char *ovf_name = ib_xasprintf("%s.ovf", n), *mf_name = ib_xasprintf("%s.mf", n);
	int r = ovf_files(in, ovf, mf, vmdk, err);
	struct tar t = {0};
	/* OVF: the descriptor first, the manifest next, then the disk. */
	if (r == 0 && (r = tar_open(&t, out, mtime_of(in), err)) == 0 &&
	    (r = tar_file(&t, ovf_name, ovf, 0, 0644, err)) == 0 && (r = tar_file(&t, mf_name, mf, 0, 0644, err)) == 0)
		r = tar_file(&t, disk, vmdk, 0, 0644, err);
	r = tar_close(&t, r, err);
	unlink(ovf);
	unlink(mf);
	unlink(vmdk);
	return r;
}

/* ---- containerDisk ---- */

static char *digest_of(const char *path, struct ib_error *err)
{
	char hex[65];
	return ib_sha256_file(path, hex, NULL, err) < 0 ? NULL : ib_xasprintf("sha256:%s", hex);
}

/* A small JSON blob: written, hashed; its digest and size out. */
static char *blob(const char *dir, const char *name, const char *json, uint64_t *size, struct ib_error *err)
{
	_cleanup_free_ char *path = ib_xasprintf("%s/%s", dir, name);
	if (write_file(path, json, err) < 0)
		return NULL;
	*size = strlen(json);
	return digest_of(path, err);
}

int ib_package_containerdisk(const struct ib_package_in *in, const char *out, struct ib_error *err)
{
	const char *n = in->recipe->name, *w = in->work_dir;
	_cleanup_free_ char *qcow2 = ib_xasprintf("%s/cd.qcow2", w), *layer = ib_xasprintf("%s/cd-layer.tar", w);
	_cleanup_free_ char *in_layer = ib_xasprintf("disk/%s.qcow2", n);
	struct ib_output_spec q = {.format = IB_OUT_QCOW2};
	int r = ib_convert(&q, in->src, in->src_fmt, qcow2, err);
	struct tar t = {0};
	time_t mtime = mtime_of(in);
	/* The layer: disk/ and disk/NAME.qcow2, KubeVirt's qemu user's. */
	if (r == 0 && (r = tar_open(&t, layer, mtime, err)) == 0 &&
	    (r = tar_dir(&t, "disk/", KUBEVIRT_QEMU_UID, 0555, err)) == 0)
		r = tar_file(&t, in_layer, qcow2, KUBEVIRT_QEMU_UID, 0444, err);
	r = tar_close(&t, r, err);
	unlink(qcow2);
	_cleanup_free_ char *ld = r == 0 ? digest_of(layer, err) : NULL;
	uint64_t lsize = file_size(layer), csize = 0, msize = 0;
	_cleanup_free_ char *config = ld ? ib_xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
							"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
							ld)
					 : NULL;
	_cleanup_free_ char *cd = config ? blob(w, "cd-config.json", config, &csize, err) : NULL;
	_cleanup_free_ char *manifest =
		cd ? ib_xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
				  "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
				  "\"digest\":\"%s\",\"size\":%" PRIu64 "},"
				  "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
				  "\"digest\":\"%s\",\"size\":%" PRIu64 "}]}",
				  cd, csize, ld, lsize)
		   : NULL;
	_cleanup_free_ char *md = manifest ? blob(w, "cd-manifest.json", manifest, &msize, err) : NULL;
	if (!md) {
		unlink(layer);
		return -1;
	}
	_cleanup_free_ char *index =
		ib_xasprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
			     "\"digest\":\"%s\",\"size\":%" PRIu64 ",\"annotations\":{\"org.opencontainers.image.ref.name\":"
			     "\"latest\"}}]}",
			     md, msize);
	_cleanup_free_ char *ip = ib_xasprintf("%s/cd-index.json", w), *lp = ib_xasprintf("%s/cd-oci-layout", w);
	_cleanup_free_ char *cp = ib_xasprintf("%s/cd-config.json", w), *mp = ib_xasprintf("%s/cd-manifest.json", w);
	r = write_file(ip, index, err);
	if (r == 0)
		r = write_file(lp, "{\"imageLayoutVersion\":\"1.0.0\"}", err);
	/* The blobs by name, sorted; the layout files first, as OCI lists them. */
	const char *blobs[3][2] = {{cd + 7, cp}, {ld + 7, layer}, {md + 7, mp}};
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (strcmp(blobs[j][0], blobs[i][0]) < 0) {
				const char *a = blobs[i][0], *b = blobs[i][1];
				blobs[i][0] = blobs[j][0], blobs[i][1] = blobs[j][1];
				blobs[j][0] = a, blobs[j][1] = b;
			}
	if (r == 0 && (r = tar_open(&t, out, mtime, err)) == 0 && (r = tar_file(&t, "oci-layout", lp, 0, 0644, err)) == 0 &&
	    (r = tar_file(&t, "index.json", ip, 0, 0644, err)) == 0 && (r = tar_dir(&t, "blobs/", 0, 0755, err)) == 0 &&
	    (r = tar_dir(&t, "blobs/sha256/", 0, 0755, err)) == 0) {
		for (int i = 0; r == 0 && i < 3; i++) {
			_cleanup_free_ char *name = ib_xasprintf("blobs/sha256/%s", blobs[i][0]);
			r = tar_file(&t, name, blobs[i][1], 0, 0644, err);
		}
	}
	r = tar_close(&t, r, err);
	unlink(layer);
	unlink(ip);
	unlink(lp);
	unlink(cp);
	unlink(mp);
	return r;
}
