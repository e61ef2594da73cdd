// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading packages: libarchive for the tar archives, libxml2 for the OVF
 * descriptor, OpenSSL for the digests (every member is hashed while it is
 * read, with SHA-256 and SHA-1: OVF manifests use either). */
#include "package.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.h"
#include "core/undo.h"
#include "core/util.h"

#define OVF_NS "http://schemas.dmtf.org/ovf/envelope/1"
#define VMW_NS "http://www.vmware.com/schema/ovf"
#define SMALL_MAX (16u << 20) /* descriptors, manifests, OCI JSON */
#define CHUNK (1u << 20)

void ib_mf_package_free(struct ib_mf_package *p)
{
	if (!p)
		return;
	char **s[] = {&p->kind, &p->disk, &p->digests, &p->vm_name, &p->os_id, &p->os_type, &p->os_description,
		      &p->system_type, &p->firmware, &p->secure_boot, &p->controller, &p->nic, &p->oci_manifest,
		      &p->oci_layer};
	for (size_t i = 0; i < IB_ARRAY_SIZE(s); i++)
		free(*s[i]);
	for (size_t i = 0; i < p->properties.n; i++) {
		free(p->properties.v[i].key);
		free(p->properties.v[i].type);
		free(p->properties.v[i].value);
	}
	free(p->properties.v);
	free(p);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcasecmp(s + n - m, suffix);
}

/* ---- members, hashed as they are read ---- */

struct member {
	char *name;
	char sha256[65], sha1[41];
	char *data; /* small members only */
	size_t len;
	char *file; /* large members: extracted here */
};

struct members {
	IB_VEC(struct member) v;
};

static void members_free(struct members *m)
{
	for (size_t i = 0; i < m->v.n; i++) {
		free(m->v.v[i].name);
		free(m->v.v[i].data);
		free(m->v.v[i].file);
	}
	free(m->v.v);
}

static struct member *find(struct members *m, const char *name)
{
	for (size_t i = 0; i < m->v.n; i++)
		if (!strcmp(m->v.v[i].name, name))
			return &m->v.v[i];
	return NULL;
}

static void hex(const unsigned char *md, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* One member: kept in memory when small and wanted, else written to a
 * file in dir named after its index (member names are not trusted as
 * paths). */
static int read_member(struct archive *a, const char *path, const char *name, int64_t size, bool keep,
		       const char *dir, size_t index, struct member *out, struct ib_error *err)
{
	*out = (struct member){.name = ib_xstrdup(name)};
	EVP_MD_CTX *c256 = EVP_MD_CTX_new(), *c1 = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c256, EVP_sha256(), NULL);
	EVP_DigestInit_ex(c1, EVP_sha1(), NULL);
	bool small = keep && size >= 0 && size <= (int64_t)SMALL_MAX;
	int fd = -1, r = 0;
	if (small) {
		out->data = ib_xcalloc(1, (size_t)size + 1);
	} else if (dir) {
		out->file = ib_xasprintf("%s/member-%zu", dir, index);
		fd = open(out->file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			r = ib_fail_errno(err, -errno, "cannot create %s", out->file);
	}
	_cleanup_free_ char *buf = ib_xcalloc(1, CHUNK);
	while (r == 0) {
		if (ib_interrupted()) {
			r = ib_fail_interrupted(err, path);
			break;
		}
		la_ssize_t n = archive_read_data(a, buf, CHUNK);
		if (n < 0) {
			r = ib_fail(err, IB_EXIT_INPUT, "%s: member %s: %s", path, name, archive_error_string(a));
			break;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(c256, buf, (size_t)n);
		EVP_DigestUpdate(c1, buf, (size_t)n);
		if (small && out->len + (size_t)n <= (size_t)size) {
			memcpy(out->data + out->len, buf, (size_t)n);
		} else if (fd >= 0) {
			int w = ib_pwrite_all(fd, buf, (size_t)n, out->len);
			if (w < 0)
				r = ib_fail_errno(err, w, "cannot write %s", out->file);
		}
		out->len += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(c256, md, &len);
	hex(md, 32, out->sha256);
	EVP_DigestFinal_ex(c1, md, &len);
	hex(md, 20, out->sha1);
	EVP_MD_CTX_free(c256);
	EVP_MD_CTX_free(c1);
	return r;
}

/* Every member of a tar: keep(name) says which are small and wanted in
 * memory; the others go to dir (NULL: hashed only). */
static int read_tar(const char *path, const void *mem, size_t mem_len, bool (*keep)(const char *name),
		    const char *dir, struct members *out, struct ib_error *err)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	int r = mem ? archive_read_open_memory(a, mem, mem_len) : archive_read_open_filename(a, path, CHUNK);
	if (r != ARCHIVE_OK) {
		r = ib_fail(err, IB_EXIT_INPUT, "%s: not a tar archive: %s", path, archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	struct archive_entry *e;
	r = 0;
	while (r == 0) {
		int h = archive_read_next_header(a, &e);
		if (h == ARCHIVE_EOF)
			break;
		if (h != ARCHIVE_OK) {
			r = ib_fail(err, IB_EXIT_INPUT, "%s: %s", path, archive_error_string(a));
			break;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		const char *name = archive_entry_pathname(e);
		struct member m;
		r = read_member(a, path, name, archive_entry_size(e), keep(name), dir, out->v.n, &m, err);
		IB_VEC_PUSH(out->v, m);
	}
	archive_read_free(a);
	return r;
}

/* ---- the OVF descriptor ---- */

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

static char *text_of(xmlNode *n)
{
	if (!n)
		return NULL;
	xmlChar *t = xmlNodeGetContent(n);
	char *s = t ? ib_xstrdup((const char *)t) : NULL;
	xmlFree(t);
	return s;
}

static char *attr(xmlNode *n, const char *name, const char *ns)
{
	xmlChar *v = n ? xmlGetNsProp(n, (const xmlChar *)name, (const xmlChar *)ns) : NULL;
	char *s = v ? ib_xstrdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

static void read_items(xmlNode *hw, struct ib_mf_package *p)
{
	for (xmlNode *i = hw ? hw->children : NULL; i; i = i->next) {
		if (i->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)i->name, "Config")) {
			_cleanup_free_ char *key = attr(i, "key", VMW_NS);
			if (key && !strcmp(key, "firmware") && !p->firmware)
				p->firmware = attr(i, "value", VMW_NS);
			else if (key && !strcmp(key, "uefi.secureBoot.enabled") && !p->secure_boot)
				p->secure_boot = attr(i, "value", VMW_NS);
			continue;
		}
		if (strcmp((const char *)i->name, "Item"))
			continue;
		_cleanup_free_ char *type = text_of(child(i, "ResourceType"));
		_cleanup_free_ char *qty = text_of(child(i, "VirtualQuantity"));
		int t = type ? atoi(type) : 0;
		if (t == 3 && qty)
			p->cpus = strtoull(qty, NULL, 10);
		else if (t == 4 && qty)
			p->memory_mib = strtoull(qty, NULL, 10); /* byte * 2^20, as imgbuild and VMware write it */
		else if ((t == 5 || t == 6 || t == 20) && !p->controller)
			p->controller = text_of(child(i, "ResourceSubType"));
		else if (t == 10 && !p->nic)
			p->nic = text_of(child(i, "ResourceSubType"));
	}
}

/* The summary, and the href of the disk's file. */
static int read_descriptor(const char *name, const char *data, size_t len, struct ib_mf_package *p, char **href,
			   struct ib_error *err)
{
	xmlDoc *doc = xmlReadMemory(data, (int)len, name, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNode *env = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!env || strcmp((const char *)env->name, "Envelope")) {
		const xmlError *e = xmlGetLastError();
		int r = ib_fail(err, IB_EXIT_INPUT, "%s: not an OVF descriptor%s%s (line %d)", name, e ? ": " : "",
				e && e->message ? e->message : "", e ? e->line : 0);
		xmlFreeDoc(doc);
		return r;
	}
	xmlNode *file = child(child(env, "References"), "File");
	*href = attr(file, "href", OVF_NS);
	xmlNode *vs = child(env, "VirtualSystem");
	p->vm_name = text_of(child(vs, "Name"));
	xmlNode *os = child(vs, "OperatingSystemSection");
	p->os_id = attr(os, "id", OVF_NS);
	p->os_type = attr(os, "osType", VMW_NS);
	p->os_description = text_of(child(os, "Description"));
	xmlNode *hw = child(vs, "VirtualHardwareSection");
	p->system_type = text_of(child(child(hw, "System"), "VirtualSystemType"));
	read_items(hw, p);
	for (xmlNode *ps = vs ? vs->children : NULL; ps; ps = ps->next) {
		if (ps->type != XML_ELEMENT_NODE || strcmp((const char *)ps->name, "ProductSection"))
			continue;
		for (xmlNode *q = ps->children; q; q = q->next)
			if (q->type == XML_ELEMENT_NODE && !strcmp((const char *)q->name, "Property"))
				IB_VEC_PUSH(p->properties, ((struct ib_mf_property){.key = attr(q, "key", OVF_NS),
										  .type = attr(q, "type", OVF_NS),
										  .value = attr(q, "value", OVF_NS)}));
	}
	xmlFreeDoc(doc);
	if (!*href)
		return ib_fail(err, IB_EXIT_INPUT, "%s: References names no disk file", name);
	return 0;
}

/* ---- the OVF manifest ---- */

/* Every "SHA256(name)= hex" (or SHA1) line against the members. */
static int check_mf(const char *path, const struct member *mf, struct members *m, struct ib_mf_package *p,
		    struct ib_error *err)
{
	_cleanup_free_ char *text = ib_xstrndup(mf->data, mf->len);
	unsigned lineno = 0;
	for (char *line = text, *next; line && *line; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = 0;
		if (!n)
			continue;
		char *open = strchr(line, '('), *close = strstr(line, ")= ");
		if (!open || !close || close < open)
			return ib_fail(err, IB_EXIT_INPUT, "%s: %s, line %u: not \"ALGO(file)= digest\"", path, mf->name,
				       lineno);
		*open = 0;
		*close = 0;
		const char *algo = line, *name = open + 1, *want = close + 3;
		bool sha256 = !strcasecmp(algo, "SHA256");
		if (!sha256 && strcasecmp(algo, "SHA1"))
			return ib_fail(err, IB_EXIT_INPUT, "%s: %s, line %u: digest %s is not SHA256 or SHA1", path,
				       mf->name, lineno, algo);
		const struct member *x = find(m, name);
		if (!x)
			return ib_fail(err, IB_EXIT_INPUT, "%s: %s, line %u: %s is not in the package", path, mf->name,
				       lineno, name);
		const char *got = sha256 ? x->sha256 : x->sha1;
		if (strcasecmp(got, want))
			return ib_fail(err, IB_EXIT_INPUT, "%s: %s has %s %s, the manifest (line %u) says %s", path, name,
				       algo, got, lineno, want);
		free(p->digests);
		p->digests = ib_xstrdup(sha256 ? "SHA256" : "SHA1");
		p->verified++;
	}
	return 0;
}

/* ---- OVA and OVF ---- */

static bool keep_ovf(const char *name)
{
	return ends_with(name, ".ovf") || ends_with(name, ".mf");
}

static int open_ova(const char *path, const char *dir, struct ib_mf_package *p, char **disk, struct ib_error *err)
{
	struct members m = {0};
	int r = read_tar(path, NULL, 0, keep_ovf, dir, &m, err);
	struct member *ovf = NULL, *mf = NULL;
	for (size_t i = 0; r == 0 && i < m.v.n; i++) {
		if (ends_with(m.v.v[i].name, ".ovf") && !ovf)
			ovf = &m.v.v[i];
		else if (ends_with(m.v.v[i].name, ".mf") && !mf)
			mf = &m.v.v[i];
	}
	if (r == 0 && (!ovf || !ovf->data))
		r = ib_fail(err, IB_EXIT_INPUT, "%s: %s", path,
			    ovf ? "the .ovf descriptor is larger than 16 MiB" : "an OVA without an .ovf descriptor");
	_cleanup_free_ char *href = NULL;
	if (r == 0 && ovf && ovf->data)
		r = read_descriptor(ovf->name, ovf->data, ovf->len, p, &href, err);
	if (r == 0 && mf)
		r = check_mf(path, mf, &m, p, err);
	struct member *d = r == 0 ? find(&m, href) : NULL;
	if (r == 0 && d && d->file) {
		p->disk = ib_xstrdup(href);
		*disk = ib_xstrdup(d->file);
	} else if (r == 0) {
		r = ib_fail(err, IB_EXIT_INPUT, "%s: the disk %s the descriptor names is not in the package", path, href);
	}
	members_free(&m);
	return r;
}

/* A file read whole (descriptors, manifests): NULL with err. */
static char *slurp(const char *path, size_t *len, struct ib_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		ib_fail_errno(err, -errno, "cannot read %s", path);
		return NULL;
	}
	char *buf = ib_xcalloc(1, SMALL_MAX + 1);
	*len = fread(buf, 1, SMALL_MAX, f);
	fclose(f);
	return buf;
}

static int open_ovf(const char *path, struct ib_mf_package *p, char **disk, struct ib_error *err)
{
	size_t len = 0;
	_cleanup_free_ char *data = slurp(path, &len, err);
	_cleanup_free_ char *href = NULL;
	if (!data || read_descriptor(path, data, len, p, &href, err) < 0)
		return -1;
	_cleanup_free_ char *dir = ib_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[1] = 0;
	else
		dir[0] = 0;
	*disk = ib_xasprintf("%s%s", dir, href);
	p->disk = ib_xstrdup(href);
	/* The manifest beside it, named after the descriptor. */
	_cleanup_free_ char *mfp = ib_xasprintf("%.*s.mf", (int)(strlen(path) - 4), path);
	if (access(mfp, R_OK) < 0)
		return 0;
	struct members m = {0};
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *files[2][2] = {{name, path}, {href, *disk}};
	int r = 0;
	for (int i = 0; r == 0 && i < 2; i++) {
		struct member x = {.name = ib_xstrdup(files[i][0])};
		r = ib_file_digests(files[i][1], x.sha256, x.sha1, err);
		IB_VEC_PUSH(m.v, x);
	}
	struct member mf = {.name = (char *)"manifest"};
	mf.data = r == 0 ? slurp(mfp, &mf.len, err) : NULL;
	if (r == 0 && !mf.data)
		r = -1;
	if (r == 0)
		r = check_mf(mfp, &mf, &m, p, err);
	free(mf.data);
	members_free(&m);
	return r;
}

/* ---- containerDisk ---- */

/* The value of the first "key": "sha256:..." after start in a JSON text. */
static char *digest_after(const char *json, const char *start, const char *key)
{
	const char *s = start ? strstr(json, start) : json;
	_cleanup_free_ char *pat = ib_xasprintf("\"%s\"", key);
	s = s ? strstr(s, pat) : NULL;
	if (!s)
		return NULL;
	s += strlen(pat);
	while (*s == ' ' || *s == ':' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (strncmp(s, "\"sha256:", 8))
		return NULL;
	s += 8;
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 ? ib_xstrndup(s, 64) : NULL;
}

static bool keep_json(const char *name)
{
	return !strcmp(name, "index.json") || !strcmp(name, "oci-layout") || strstr(name, "blobs/sha256/") != NULL;
}

static bool keep_none(const char *name)
{
	(void)name;
	return false;
}

static int open_containerdisk(const char *path, const char *dir, struct ib_mf_package *p, char **disk,
			      struct ib_error *err)
{
	struct members m = {0};
	int r = read_tar(path, NULL, 0, keep_json, dir, &m, err);
	/* Every blob is named by its digest. */
	for (size_t i = 0; r == 0 && i < m.v.n; i++) {
		const char *b = strstr(m.v.v[i].name, "blobs/sha256/");
		if (b && strcmp(b + 13, m.v.v[i].sha256))
			r = ib_fail(err, IB_EXIT_INPUT, "%s: blob %s has SHA-256 %s", path, m.v.v[i].name, m.v.v[i].sha256);
		else if (b)
			p->verified++;
	}
	struct member *index = r == 0 ? find(&m, "index.json") : NULL;
	if (r == 0 && !index)
		r = ib_fail(err, IB_EXIT_INPUT, "%s: not an OCI image layout (no index.json)", path);
	_cleanup_free_ char *idx = index ? ib_xstrndup(index->data ? index->data : "", index->len) : NULL;
	p->oci_manifest = idx ? digest_after(idx, "\"manifests\"", "digest") : NULL;
	_cleanup_free_ char *mname = p->oci_manifest ? ib_xasprintf("blobs/sha256/%s", p->oci_manifest) : NULL;
	struct member *man = mname ? find(&m, mname) : NULL;
	if (r == 0 && !man)
		r = ib_fail(err, IB_EXIT_INPUT, "%s: index.json names no image manifest in the archive", path);
	_cleanup_free_ char *mt = man ? ib_xstrndup(man->data ? man->data : "", man->len) : NULL;
	p->oci_layer = mt ? digest_after(mt, "\"layers\"", "digest") : NULL;
	_cleanup_free_ char *lname = p->oci_layer ? ib_xasprintf("blobs/sha256/%s", p->oci_layer) : NULL;
	struct member *layer = lname ? find(&m, lname) : NULL;
	if (r == 0 && !layer)
		r = ib_fail(err, IB_EXIT_INPUT, "%s: the image manifest names no layer in the archive", path);
	p->digests = ib_xstrdup("SHA256");
	/* The layer: a tar (kept in memory when small, else extracted). */
	struct members l = {0};
	_cleanup_free_ char *ldir = ib_xasprintf("%s/layer", dir);
	if (r == 0 && mkdir(ldir, 0700) < 0)
		r = ib_fail_errno(err, -errno, "cannot create %s", ldir);
	if (r == 0)
		r = layer->data ? read_tar(lname, layer->data, layer->len, keep_none, ldir, &l, err)
				: read_tar(layer->file, NULL, 0, keep_none, ldir, &l, err);
	struct member *d = NULL;
	for (size_t i = 0; r == 0 && i < l.v.n; i++)
		if (!strncmp(l.v.v[i].name, "disk/", 5) || !strncmp(l.v.v[i].name, "./disk/", 7))
			d = &l.v.v[i];
	if (r == 0 && d && d->file) {
		p->disk = ib_xstrdup(d->name);
		*disk = ib_xstrdup(d->file);
	} else if (r == 0) {
		r = ib_fail(err, IB_EXIT_INPUT, "%s: the layer holds no disk/ image (a KubeVirt containerDisk has one)", path);
	}
	members_free(&l);
	members_free(&m);
	return r;
}

/* ---- entry points ---- */

enum ib_pkg_kind ib_package_kind(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char head[512];
	if (fd < 0 || ib_pread_all(fd, head, sizeof head, 0) < 0)
		return IB_PKG_NONE;
	if (!memcmp(head + 257, "ustar", 5)) { /* a tar: which kind, by its first member */
		if (ends_with(head, ".ovf"))
			return IB_PKG_OVA;
		if (!strcmp(head, "oci-layout") || !strcmp(head, "index.json") || !strncmp(head, "blobs/", 6))
			return IB_PKG_CONTAINERDISK;
		return IB_PKG_NONE;
	}
	head[sizeof head - 1] = 0;
	if (ends_with(path, ".ovf") && strstr(head, "<?xml") && strstr(head, "Envelope"))
		return IB_PKG_OVF;
	return IB_PKG_NONE;
}

int ib_package_open(const char *path, enum ib_pkg_kind kind, const char *tmp_dir, struct ib_mf_package **out,
		    char **disk, struct ib_error *err)
{
	static const char *const kinds[] = {"", "ova", "ovf", "containerdisk"};
	*out = NULL;
	*disk = NULL;
	struct ib_mf_package *p = ib_xcalloc(1, sizeof(*p));
	p->kind = ib_xstrdup(kinds[kind]);
	int r = kind == IB_PKG_OVA ? open_ova(path, tmp_dir, p, disk, err)
		: kind == IB_PKG_OVF ? open_ovf(path, p, disk, err)
				     : open_containerdisk(path, tmp_dir, p, disk, err);
	if (r < 0) {
		free(*disk);
		*disk = NULL;
		ib_mf_package_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

/* ---- the summary, printed ---- */

void ib_mf_package_json(const struct ib_mf_package *p, struct ib_json *j)
{
	ib_json_begin_object(j);
	ib_json_kv_str(j, "kind", p->kind);
	ib_json_kv_str(j, "disk", p->disk);
	ib_json_kv_str(j, "digests", p->digests);
	ib_json_kv_uint(j, "verified", p->verified);
	ib_json_key(j, "vm");
	if (!strcmp(p->kind, "containerdisk")) {
		ib_json_null(j);
	} else {
		ib_json_begin_object(j);
		ib_json_kv_str(j, "name", p->vm_name);
		ib_json_kv_str(j, "os_id", p->os_id);
		ib_json_kv_str(j, "os_type", p->os_type);
		ib_json_kv_str(j, "os_description", p->os_description);
		ib_json_kv_str(j, "system_type", p->system_type);
		ib_json_kv_uint(j, "cpus", p->cpus);
		ib_json_kv_uint(j, "memory_mib", p->memory_mib);
		ib_json_kv_str(j, "controller", p->controller);
		ib_json_kv_str(j, "nic", p->nic);
		ib_json_kv_str(j, "firmware", p->firmware);
		ib_json_kv_str(j, "secure_boot", p->secure_boot);
		ib_json_key(j, "properties");
		ib_json_begin_array(j);
		for (size_t i = 0; i < p->properties.n; i++) {
			ib_json_begin_object(j);
			ib_json_kv_str(j, "key", p->properties.v[i].key);
			ib_json_kv_str(j, "type", p->properties.v[i].type);
			ib_json_kv_str(j, "value", p->properties.v[i].value);
			ib_json_end_object(j);
		}
		ib_json_end_array(j);
		ib_json_end_object(j);
	}
	ib_json_kv_str(j, "oci_manifest", p->oci_manifest);
	ib_json_kv_str(j, "oci_layer", p->oci_layer);
	ib_json_end_object(j);
}

static const char *dash(const char *s)
{
	return s ? s : "-";
}

void ib_mf_package_print(const struct ib_mf_package *p, FILE *f)
{
	fprintf(f, "package: %s, disk %s", p->kind, p->disk);
	if (p->digests)
		fprintf(f, ", %zu file(s) verified (%s)\n", p->verified, p->digests);
	else
		fprintf(f, ", no manifest: nothing verified\n");
	if (!strcmp(p->kind, "containerdisk")) {
		fprintf(f, "  OCI manifest sha256:%s, layer sha256:%s\n", dash(p->oci_manifest), dash(p->oci_layer));
		return;
	}
	fprintf(f, "  vm %s: %s (ovf:id %s%s%s), %s\n", dash(p->vm_name), dash(p->os_description), dash(p->os_id),
		p->os_type ? ", " : "", p->os_type ? p->os_type : "", dash(p->system_type));
	fprintf(f, "  %" PRIu64 " CPU(s), %" PRIu64 " MiB, controller %s, NIC %s, firmware %s, secure boot %s\n",
		p->cpus, p->memory_mib, dash(p->controller), dash(p->nic), dash(p->firmware), dash(p->secure_boot));
	for (size_t i = 0; i < p->properties.n; i++)
		fprintf(f, "  property %s (%s) = %s\n", dash(p->properties.v[i].key), dash(p->properties.v[i].type),
			dash(p->properties.v[i].value));
}
