// SPDX-License-Identifier: GPL-2.0-or-later
/* Hive access through hivex: path navigation (case-insensitive, like
 * Windows), key and value edits kept in memory, and a commit that only ever
 * writes a new file. */
#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <libgen.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>

#include "hive.h"

struct ib_hive {
	hive_h *h;
	char *label;
	char *path;
	int flags;
};

const char *ib_hive_label(const struct ib_hive *h) { return h->label; }

struct ib_hive *ib_hive_open(const char *path, const char *label, int flags, struct ib_error *err)
{
	if (!label)
		label = path;
	if (ib_hive_check(path, label, flags & IB_HIVE_ALLOW_DIRTY, err) < 0)
		return NULL;
	errno = 0;
	hive_h *hh = hivex_open(path, (flags & IB_HIVE_WRITE) ? HIVEX_OPEN_WRITE : 0);
	if (!hh) {
		/* Our check passed, so this is something deeper (a bad key or
		 * value cell) that hivex does not locate for us. */
		int e = errno ? errno : EINVAL;
		ib_fail(err, e == ENOMEM ? IB_EXIT_FAIL : IB_EXIT_INPUT, "%s hive %s: hivex cannot open it: %s", label,
			path, strerror(e));
		return NULL;
	}
	struct ib_hive *h = ib_xcalloc(1, sizeof(*h));
	h->h = hh;
	h->label = ib_xstrdup(label);
	h->path = ib_xstrdup(path);
	h->flags = flags;
	return h;
}

void ib_hive_close(struct ib_hive *h)
{
	if (!h)
		return;
	hivex_close(h->h);
	free(h->label);
	free(h->path);
	free(h);
}

static int hive_err(struct ib_hive *h, struct ib_error *err, const char *what, const char *key, const char *name)
{
	int e = errno ? errno : EIO;
	/* hivex reports a cell it cannot follow as EFAULT ("Bad address") or
	 * ENOTSUP: the hive is corrupt in a way the structure check at open
	 * (hive_check.c) did not locate. That is bad input, not a build fault. */
	if (e == EFAULT || e == ENOTSUP)
		return ib_fail(err, IB_EXIT_INPUT,
			       "%s hive is corrupt: hivex cannot %s %s\\%s%s%s%s (%s; the offset is unknown: the structure "
			       "check found every cell and key pointer valid)",
			       h->label, what, h->label, key, name ? " value \"" : "", name ? name : "", name ? "\"" : "",
			       strerror(e));
	if (name)
		return ib_fail(err, IB_EXIT_FAIL, "%s hive: %s %s\\%s value \"%s\": %s", h->label, what, h->label, key,
			       name, strerror(e));
	return ib_fail(err, IB_EXIT_FAIL, "%s hive: %s %s\\%s: %s", h->label, what, h->label, key, strerror(e));
}

static int need_write(struct ib_hive *h, struct ib_error *err)
{
	if (h->flags & IB_HIVE_WRITE)
		return 0;
	return ib_fail(err, IB_EXIT_FAIL, "%s hive was opened read-only", h->label);
}

/* Walk key from the root. *node = 0 when a component is missing (returns 0);
 * -1 on a read error. With create, missing components are added. */
static int walk(struct ib_hive *h, const char *key, bool create, bool *created, hive_node_h *node,
		struct ib_error *err)
{
	hive_node_h n = hivex_root(h->h);
	if (!n)
		return hive_err(h, err, "cannot find the root key of", "", NULL);
	_cleanup_free_ char *copy = ib_xstrdup(key);
	char *save = NULL;
	for (char *c = strtok_r(copy, "\\", &save); c; c = strtok_r(NULL, "\\", &save)) {
		errno = 0;
		hive_node_h child = hivex_node_get_child(h->h, n, c);
		if (!child && errno)
			return hive_err(h, err, "cannot read key", key, NULL);
		if (!child && create) {
			errno = 0;
			child = hivex_node_add_child(h->h, n, c);
			if (!child)
				return hive_err(h, err, "cannot create key", key, NULL);
			if (created)
				*created = true;
		}
		if (!child) {
			*node = 0;
			return 0;
		}
		n = child;
	}
	*node = n;
	return 0;
}

int ib_hive_key_exists(struct ib_hive *h, const char *key, struct ib_error *err)
{
	hive_node_h n;
	if (walk(h, key, false, NULL, &n, err) < 0)
		return -1;
	return n != 0;
}

int ib_hive_create_key(struct ib_hive *h, const char *key, bool *created, struct ib_error *err)
{
	hive_node_h n;
	if (created)
		*created = false;
	if (need_write(h, err) < 0)
		return -1;
	return walk(h, key, true, created, &n, err);
}

int ib_hive_delete_key(struct ib_hive *h, const char *key, struct ib_error *err)
{
	hive_node_h n;
	if (need_write(h, err) < 0 || walk(h, key, false, NULL, &n, err) < 0)
		return -1;
	if (!n)
		return 0;
	if (n == hivex_root(h->h))
		return ib_fail(err, IB_EXIT_INPUT, "%s hive: the root key cannot be deleted", h->label);
	errno = 0;
	if (hivex_node_delete_child(h->h, n) < 0) /* recursive in hivex */
		return hive_err(h, err, "cannot delete key", key, NULL);
	return 1;
}

void ib_hive_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int ib_hive_subkeys(struct ib_hive *h, const char *key, char ***names, size_t *n, struct ib_error *err)
{
	hive_node_h node;
	*names = NULL;
	*n = 0;
	if (walk(h, key, false, NULL, &node, err) < 0)
		return -1;
	if (!node) {
		errno = ENOENT;
		return hive_err(h, err, "no key", key, NULL);
	}
	errno = 0;
	hive_node_h *kids = hivex_node_children(h->h, node);
	if (!kids)
		return hive_err(h, err, "cannot list subkeys of", key, NULL);
	size_t cnt = 0;
	while (kids[cnt])
		cnt++;
	char **out = ib_xcalloc(cnt + 1, sizeof(*out));
	for (size_t i = 0; i < cnt; i++) {
		errno = 0;
		out[i] = hivex_node_name(h->h, kids[i]);
		if (!out[i]) {
			free(kids);
			ib_hive_names_free(out, i);
			return hive_err(h, err, "cannot read a subkey name of", key, NULL);
		}
	}
	free(kids);
	*names = out;
	*n = cnt;
	return 0;
}

/* The value handle for name in node (case-insensitive), 0 if absent. */
static int find_value(struct ib_hive *h, hive_node_h node, const char *key, const char *name,
		      hive_value_h *val, struct ib_error *err)
{
	errno = 0;
	*val = hivex_node_get_value(h->h, node, name);
	if (!*val && errno && errno != ENOENT && errno != HIVEX_NO_KEY)
		return hive_err(h, err, "cannot read", key, name);
	return 0;
}

int ib_hive_set_value(struct ib_hive *h, const char *key, const char *name, enum ib_reg_type type,
		      const void *data, size_t len, struct ib_error *err)
{
	hive_node_h node;
	hive_value_h old;
	if (need_write(h, err) < 0 || walk(h, key, true, NULL, &node, err) < 0 ||
	    find_value(h, node, key, name, &old, err) < 0)
		return -1;
	/* Reuse the stored spelling so hivex replaces the value instead of
	 * adding a second one that differs only in case. */
	_cleanup_free_ char *stored = old ? hivex_value_key(h->h, old) : NULL;
	_cleanup_free_ char *vname = ib_xstrdup(stored ? stored : name);
	_cleanup_free_ char *copy = ib_xmalloc(len ? len : 1);
	if (len)
		memcpy(copy, data, len);
	hive_set_value sv = {.key = vname, .t = (hive_type)type, .len = len, .value = copy};
	errno = 0;
	if (hivex_node_set_value(h->h, node, &sv, 0) < 0)
		return hive_err(h, err, "cannot set", key, name);
	return 0;
}

int ib_hive_set_sz(struct ib_hive *h, const char *key, const char *name, const char *utf8, struct ib_error *err)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	if (ib_reg_encode_sz(utf8, &d, &n, err) < 0)
		return -1;
	return ib_hive_set_value(h, key, name, IB_REG_SZ, d, n, err);
}

int ib_hive_set_expand_sz(struct ib_hive *h, const char *key, const char *name, const char *utf8,
			  struct ib_error *err)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t n;
	if (ib_reg_encode_sz(utf8, &d, &n, err) < 0)
		return -1;
	return ib_hive_set_value(h, key, name, IB_REG_EXPAND_SZ, d, n, err);
}

int ib_hive_set_multi_sz(struct ib_hive *h, const char *key, const char *name, const char *const *strs,
			 size_t n, struct ib_error *err)
{
	_cleanup_free_ uint8_t *d = NULL;
	size_t len;
	if (ib_reg_encode_multi_sz(strs, n, &d, &len, err) < 0)
		return -1;
	return ib_hive_set_value(h, key, name, IB_REG_MULTI_SZ, d, len, err);
}

int ib_hive_set_dword(struct ib_hive *h, const char *key, const char *name, uint32_t v, struct ib_error *err)
{
	uint8_t d[4];
	ib_reg_encode_dword(v, d);
	return ib_hive_set_value(h, key, name, IB_REG_DWORD, d, sizeof(d), err);
}

int ib_hive_set_qword(struct ib_hive *h, const char *key, const char *name, uint64_t v, struct ib_error *err)
{
	uint8_t d[8];
	ib_reg_encode_qword(v, d);
	return ib_hive_set_value(h, key, name, IB_REG_QWORD, d, sizeof(d), err);
}

int ib_hive_set_binary(struct ib_hive *h, const char *key, const char *name, const void *data, size_t len,
		       struct ib_error *err)
{
	return ib_hive_set_value(h, key, name, IB_REG_BINARY, data, len, err);
}

static void set_values_free(hive_set_value *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

int ib_hive_delete_value(struct ib_hive *h, const char *key, const char *name, struct ib_error *err)
{
	hive_node_h node;
	hive_value_h target;
	if (need_write(h, err) < 0 || walk(h, key, false, NULL, &node, err) < 0)
		return -1;
	if (!node)
		return 0;
	if (find_value(h, node, key, name, &target, err) < 0)
		return -1;
	if (!target)
		return 0;
	/* hivex has no "delete value": rewrite the key's value list without it. */
	errno = 0;
	hive_value_h *vals = hivex_node_values(h->h, node);
	if (!vals)
		return hive_err(h, err, "cannot list the values of", key, NULL);
	size_t cnt = 0;
	while (vals[cnt])
		cnt++;
	hive_set_value *keep = ib_xcalloc(cnt ? cnt : 1, sizeof(*keep));
	size_t nk = 0;
	for (size_t i = 0; i < cnt; i++) {
		if (vals[i] == target)
			continue;
		hive_type t;
		size_t len;
		errno = 0;
		keep[nk].key = hivex_value_key(h->h, vals[i]);
		keep[nk].value = keep[nk].key ? hivex_value_value(h->h, vals[i], &t, &len) : NULL;
		if (!keep[nk].value) {
			free(keep[nk].key);
			free(vals);
			set_values_free(keep, nk);
			return hive_err(h, err, "cannot read the values of", key, NULL);
		}
		keep[nk].t = t;
		keep[nk].len = len;
		nk++;
	}
	free(vals);
	errno = 0;
	int r = hivex_node_set_values(h->h, node, nk, keep, 0);
	set_values_free(keep, nk);
	if (r < 0)
		return hive_err(h, err, "cannot delete", key, name);
	return 1;
}

int ib_hive_get_value(struct ib_hive *h, const char *key, const char *name, struct ib_reg_value *out,
		      struct ib_error *err)
{
	hive_node_h node;
	hive_value_h v;
	*out = (struct ib_reg_value){0};
	if (walk(h, key, false, NULL, &node, err) < 0)
		return -1;
	if (!node)
		return 0;
	if (find_value(h, node, key, name, &v, err) < 0)
		return -1;
	if (!v)
		return 0;
	hive_type t;
	size_t len;
	errno = 0;
	char *data = hivex_value_value(h->h, v, &t, &len);
	if (!data)
		return hive_err(h, err, "cannot read", key, name);
	out->type = (enum ib_reg_type)t;
	out->data = (uint8_t *)data;
	out->len = len;
	return 1;
}

static int wrong_type(struct ib_hive *h, const char *key, const char *name, enum ib_reg_type have,
		      const char *want, struct ib_error *err)
{
	return ib_fail(err, IB_EXIT_INPUT, "%s\\%s value \"%s\" is %s, expected %s", h->label, key, name,
		       ib_reg_type_name(have), want);
}

int ib_hive_get_string(struct ib_hive *h, const char *key, const char *name, char **utf8, struct ib_error *err)
{
	struct ib_reg_value v;
	*utf8 = NULL;
	int r = ib_hive_get_value(h, key, name, &v, err);
	if (r <= 0)
		return r;
	if (v.type != IB_REG_SZ && v.type != IB_REG_EXPAND_SZ) {
		ib_reg_value_free(&v);
		return wrong_type(h, key, name, v.type, "REG_SZ", err);
	}
	*utf8 = ib_reg_decode_sz(v.data, v.len);
	ib_reg_value_free(&v);
	return 1;
}

int ib_hive_get_dword(struct ib_hive *h, const char *key, const char *name, uint32_t *out, struct ib_error *err)
{
	struct ib_reg_value v;
	int r = ib_hive_get_value(h, key, name, &v, err);
	if (r <= 0)
		return r;
	enum ib_reg_type t = v.type;
	size_t len = v.len;
	if (t == IB_REG_DWORD && len == 4)
		*out = ib_get_le32(v.data);
	ib_reg_value_free(&v);
	if (t != IB_REG_DWORD)
		return wrong_type(h, key, name, t, "REG_DWORD", err);
	if (len != 4)
		return ib_fail(err, IB_EXIT_INPUT, "%s\\%s value \"%s\": REG_DWORD of %zu bytes", h->label, key, name,
			       len);
	return 1;
}

int ib_hive_commit(struct ib_hive *h, const char *path, struct ib_error *err)
{
	if (need_write(h, err) < 0)
		return -1;
	/* Reproducible as it is: hivex_commit takes no time from the clock. It
	 * bumps the two sequence numbers (regf header 0x04 and 0x08) by one and
	 * recomputes the checksum (0x1fc), but leaves the header's last-written
	 * FILETIME (0x0c) alone; a key it adds inherits its parent's last-write
	 * time (the FILETIME at 0x04 of the nk record, after the cell's size).
	 * The same hive and edits give the same bytes
	 * (tests/e2e/reproducible-windows.sh checks whole images). */
	errno = 0;
	if (hivex_commit(h->h, path, 0) < 0) {
		int e = errno ? errno : EIO;
		unlink(path);
		return ib_fail_errno(err, -e, "%s hive: cannot write %s", h->label, path);
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		unlink(path);
		return ib_fail_errno(err, -e, "%s hive: cannot flush %s", h->label, path);
	}
	close(fd);
	return 0;
}

int ib_hive_replace(const char *tmp, const char *final, struct ib_error *err)
{
	if (rename(tmp, final) < 0)
		return ib_fail_errno(err, -errno, "cannot rename %s to %s", tmp, final);
	_cleanup_free_ char *d = ib_xstrdup(final);
	_cleanup_close_ int dfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return ib_fail_errno(err, -errno, "cannot flush the directory of %s", final);
	return 0;
}
