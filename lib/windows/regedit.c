// SPDX-License-Identifier: GPL-2.0-or-later
/* Apply a list of registry edits to one hive file, commit to a new file and
 * verify it by reading it back: nothing reaches the caller's final path
 * unless every value written is there. */
#include <stdio.h>
#include <strings.h>

#include "regedit.h"
#include "winver.h"

static bool for_hive(const struct ib_reg_edit *ed, const char *hive)
{
	return strcasecmp(ed->hive, hive) == 0;
}

static bool is_value_op(enum ib_reg_op op)
{
	return op == IB_REG_OP_SET || op == IB_REG_OP_DELETE_VALUE || op == IB_REG_OP_APPEND_PATH;
}

static bool starts_with_ccs(const char *key)
{
	while (*key == '\\')
		key++;
	size_t n = strlen("CurrentControlSet");
	return strncasecmp(key, "CurrentControlSet", n) == 0 && (key[n] == '\0' || key[n] == '\\');
}

/* Normalised key: no empty components, CurrentControlSet replaced by ccs. */
static char *resolve_key(const char *key, const char *ccs)
{
	struct ib_buf b = {0};
	_cleanup_free_ char *copy = ib_xstrdup(key);
	char *save = NULL;
	bool first = true;
	for (char *c = strtok_r(copy, "\\", &save); c; c = strtok_r(NULL, "\\", &save)) {
		if (!first)
			ib_buf_puts(&b, "\\");
		ib_buf_puts(&b, first && ccs && strcasecmp(c, "CurrentControlSet") == 0 ? ccs : c);
		first = false;
	}
	return ib_buf_steal(&b);
}

/* Whether key a is b or an ancestor of b (both resolved). */
static bool key_covers(const char *a, const char *b)
{
	size_t n = strlen(a);
	return n == 0 || (strncasecmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '\\'));
}

struct resolved {
	char **keys; /* per edit; NULL for edits of other hives */
	char *ccs;
	size_t n;
};

static void resolved_free(struct resolved *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i]);
	free(r->keys);
	free(r->ccs);
}

static int resolve_all(struct ib_hive *h, const char *hive, const struct ib_reg_edits *edits, struct resolved *r,
		       struct ib_error *err)
{
	*r = (struct resolved){.keys = ib_xcalloc(edits->list.n + 1, sizeof(char *)), .n = edits->list.n};
	bool need_ccs = false;
	for (size_t i = 0; i < edits->list.n; i++) {
		const struct ib_reg_edit *ed = &edits->list.v[i];
		if (!for_hive(ed, hive))
			continue;
		if (is_value_op(ed->op) && !ed->name)
			return ib_fail(err, IB_EXIT_INPUT, "%s\\%s: a value edit without a value name", hive, ed->key);
		if (strcasecmp(hive, "SYSTEM") == 0 && starts_with_ccs(ed->key))
			need_ccs = true;
	}
	if (need_ccs && ib_winver_control_set(h, &r->ccs, err) < 0)
		return -1;
	for (size_t i = 0; i < edits->list.n; i++)
		if (for_hive(&edits->list.v[i], hive))
			r->keys[i] = resolve_key(edits->list.v[i].key, r->ccs);
	return 0;
}

/* Whether a later edit of the same hive decides the final state of what
 * edit i touched, so verifying edit i would test the wrong thing. */
static bool superseded(const struct ib_reg_edits *edits, const struct resolved *r, size_t i)
{
	const struct ib_reg_edit *a = &edits->list.v[i];
	for (size_t j = i + 1; j < edits->list.n; j++) {
		const struct ib_reg_edit *b = &edits->list.v[j];
		if (!r->keys[j])
			continue;
		if (b->op == IB_REG_OP_DELETE_KEY && a->op != IB_REG_OP_DELETE_KEY && key_covers(r->keys[j], r->keys[i]))
			return true;
		if (is_value_op(a->op) && is_value_op(b->op) && strcasecmp(r->keys[i], r->keys[j]) == 0 &&
		    strcasecmp(a->name, b->name) == 0)
			return true;
		/* A deleted key that a later edit brings back. */
		if (a->op == IB_REG_OP_DELETE_KEY && b->op != IB_REG_OP_DELETE_KEY && b->op != IB_REG_OP_DELETE_VALUE &&
		    key_covers(r->keys[i], r->keys[j]))
			return true;
	}
	return false;
}

static bool same_element(const char *a, size_t alen, const char *b)
{
	while (alen && (a[alen - 1] == ' ' || a[alen - 1] == '\\'))
		alen--;
	while (alen && *a == ' ')
		a++, alen--;
	size_t blen = strlen(b);
	while (blen && (b[blen - 1] == ' ' || b[blen - 1] == '\\'))
		blen--;
	return alen == blen && strncasecmp(a, b, blen) == 0;
}

static bool list_contains(const char *list, const char *element)
{
	for (const char *p = list;;) {
		const char *semi = strchr(p, ';');
		size_t n = semi ? (size_t)(semi - p) : strlen(p);
		if (n && same_element(p, n, element))
			return true;
		if (!semi)
			return false;
		p = semi + 1;
	}
}

static void add_change(struct ib_reg_changes *changes, enum ib_reg_change_kind kind, const char *hive,
		       const char *key, const char *name, char *old_value, char *new_value)
{
	if (!changes) {
		free(old_value);
		free(new_value);
		return;
	}
	struct ib_reg_change c = {
		.kind = kind,
		.hive = ib_xstrdup(hive),
		.key = ib_xstrdup(key),
		.name = name ? ib_xstrdup(name) : NULL,
		.old_value = old_value,
		.new_value = new_value,
	};
	IB_VEC_PUSH(changes->list, c);
}

static char *fmt_value(const struct ib_reg_value *v)
{
	return ib_reg_value_format(v->type, v->data, v->len);
}

/* APPEND_PATH: the value's new bytes, or *data = NULL when the element is
 * already in the list. */
static int append_path_bytes(const char *hive, const char *key, const struct ib_reg_edit *ed,
			     const struct ib_reg_value *old, bool have_old, enum ib_reg_type *type, uint8_t **data,
			     size_t *len, struct ib_error *err)
{
	const char *element = (const char *)ed->data;
	_cleanup_free_ char *text = NULL;
	*data = NULL;
	if (have_old) {
		if (old->type != IB_REG_SZ && old->type != IB_REG_EXPAND_SZ)
			return ib_fail(err, IB_EXIT_INPUT, "%s\\%s value \"%s\" is %s, expected a REG_SZ/REG_EXPAND_SZ list",
				       hive, key, ed->name, ib_reg_type_name(old->type));
		_cleanup_free_ char *cur = ib_reg_decode_sz(old->data, old->len);
		if (list_contains(cur, element))
			return 0;
		size_t n = strlen(cur);
		bool sep = n && cur[n - 1] != ';';
		text = ib_xasprintf("%s%s%s", cur, sep ? ";" : "", element);
		*type = old->type;
	} else {
		text = ed->base && ed->base[0] ? ib_xasprintf("%s;%s", ed->base, element) : ib_xstrdup(element);
		*type = ed->type;
	}
	return ib_reg_encode_sz(text, data, len, err);
}

static int apply_value(struct ib_hive *h, const char *hive, const char *key, const struct ib_reg_edit *ed,
		       struct ib_reg_changes *changes, struct ib_error *err)
{
	struct ib_reg_value old;
	int have = ib_hive_get_value(h, key, ed->name, &old, err);
	if (have < 0)
		return -1;
	int r = 0;
	if (ed->op == IB_REG_OP_DELETE_VALUE) {
		r = have ? ib_hive_delete_value(h, key, ed->name, err) : 0;
		if (r > 0)
			add_change(changes, IB_REG_VALUE_DELETED, hive, key, ed->name, fmt_value(&old), NULL);
		goto out;
	}
	enum ib_reg_type type = ed->type;
	uint8_t *data = ed->data, *owned = NULL;
	size_t len = ed->len;
	if (ed->op == IB_REG_OP_APPEND_PATH) {
		r = append_path_bytes(hive, key, ed, &old, have, &type, &owned, &len, err);
		if (r < 0 || !owned)
			goto out;
		data = owned;
	}
	if (have && old.type == type && old.len == len && (len == 0 || memcmp(old.data, data, len) == 0))
		goto out_owned; /* already so: nothing changes */
	bool created = false;
	r = ib_hive_create_key(h, key, &created, err);
	if (r == 0 && created)
		add_change(changes, IB_REG_KEY_CREATED, hive, key, NULL, NULL, NULL);
	if (r == 0)
		r = ib_hive_set_value(h, key, ed->name, type, data, len, err);
	if (r == 0)
		add_change(changes, have ? IB_REG_VALUE_CHANGED : IB_REG_VALUE_ADDED, hive, key, ed->name,
			   have ? fmt_value(&old) : NULL, ib_reg_value_format(type, data, len));
out_owned:
	free(owned);
out:
	if (have > 0)
		ib_reg_value_free(&old);
	return r < 0 ? -1 : 0;
}

static int apply_one(struct ib_hive *h, const char *hive, const char *key, const struct ib_reg_edit *ed,
		     struct ib_reg_changes *changes, struct ib_error *err)
{
	bool created = false;
	int r;
	switch (ed->op) {
	case IB_REG_OP_CREATE_KEY:
		if (ib_hive_create_key(h, key, &created, err) < 0)
			return -1;
		if (created)
			add_change(changes, IB_REG_KEY_CREATED, hive, key, NULL, NULL, NULL);
		return 0;
	case IB_REG_OP_DELETE_KEY:
		r = ib_hive_delete_key(h, key, err);
		if (r > 0)
			add_change(changes, IB_REG_KEY_DELETED, hive, key, NULL, NULL, NULL);
		return r < 0 ? -1 : 0;
	case IB_REG_OP_SET:
	case IB_REG_OP_DELETE_VALUE:
	case IB_REG_OP_APPEND_PATH:
		return apply_value(h, hive, key, ed, changes, err);
	}
	return ib_fail(err, IB_EXIT_FAIL, "%s\\%s: unknown edit operation %d", hive, key, (int)ed->op);
}

static int mismatch(struct ib_error *err, const char *hive, const char *key, const char *name, const char *fmt, ...)
	IB_PRINTF(5, 6);
static int mismatch(struct ib_error *err, const char *hive, const char *key, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *what = ib_xvasprintf(fmt, ap);
	va_end(ap);
	if (name)
		return ib_fail(err, IB_EXIT_FAIL, "verification of the written %s hive failed: %s\\%s value \"%s\": %s",
			       hive, hive, key, name, what);
	return ib_fail(err, IB_EXIT_FAIL, "verification of the written %s hive failed: %s\\%s: %s", hive, hive,
		       key, what);
}

static int verify_one(struct ib_hive *h, const char *hive, const char *key, const struct ib_reg_edit *ed,
		      struct ib_error *err)
{
	if (ed->op == IB_REG_OP_CREATE_KEY || ed->op == IB_REG_OP_DELETE_KEY) {
		int r = ib_hive_key_exists(h, key, err);
		if (r < 0)
			return -1;
		if (ed->op == IB_REG_OP_CREATE_KEY && !r)
			return mismatch(err, hive, key, NULL, "the key is missing");
		if (ed->op == IB_REG_OP_DELETE_KEY && r)
			return mismatch(err, hive, key, NULL, "the key is still there");
		return 0;
	}
	struct ib_reg_value v;
	int r = ib_hive_get_value(h, key, ed->name, &v, err);
	if (r < 0)
		return -1;
	_cleanup_free_ char *have = r ? fmt_value(&v) : NULL;
	int ret = 0;
	if (ed->op == IB_REG_OP_DELETE_VALUE) {
		if (r)
			ret = mismatch(err, hive, key, ed->name, "still there (%s)", have);
	} else if (!r) {
		ret = mismatch(err, hive, key, ed->name, "missing");
	} else if (ed->op == IB_REG_OP_SET) {
		if (v.type != ed->type || v.len != ed->len || (v.len && memcmp(v.data, ed->data, v.len) != 0)) {
			_cleanup_free_ char *want = ib_reg_value_format(ed->type, ed->data, ed->len);
			ret = mismatch(err, hive, key, ed->name, "expected %s, found %s", want, have);
		}
	} else { /* APPEND_PATH */
		_cleanup_free_ char *text =
			v.type == IB_REG_SZ || v.type == IB_REG_EXPAND_SZ ? ib_reg_decode_sz(v.data, v.len) : NULL;
		if (!text || !list_contains(text, (const char *)ed->data))
			ret = mismatch(err, hive, key, ed->name, "expected a list containing \"%s\", found %s",
				       (const char *)ed->data, have);
	}
	if (r)
		ib_reg_value_free(&v);
	return ret;
}

int ib_regedit_verify(const char *hive_name, const char *path, const struct ib_reg_edits *edits, int hive_flags,
		      struct ib_error *err)
{
	struct ib_hive *h = ib_hive_open(path, hive_name, hive_flags & IB_HIVE_ALLOW_DIRTY, err);
	if (!h)
		return -1;
	struct resolved r;
	int ret = resolve_all(h, hive_name, edits, &r, err);
	for (size_t i = 0; ret == 0 && i < edits->list.n; i++) {
		if (!r.keys[i] || superseded(edits, &r, i))
			continue;
		ret = verify_one(h, hive_name, r.keys[i], &edits->list.v[i], err);
	}
	resolved_free(&r);
	ib_hive_close(h);
	return ret;
}

static void changes_truncate(struct ib_reg_changes *c, size_t n)
{
	if (!c)
		return;
	struct ib_reg_changes tail = {.list = {.v = c->list.v + n, .n = c->list.n - n}};
	for (size_t i = 0; i < tail.list.n; i++) {
		struct ib_reg_change *ch = &tail.list.v[i];
		free(ch->hive);
		free(ch->key);
		free(ch->name);
		free(ch->old_value);
		free(ch->new_value);
	}
	c->list.n = n;
}

int ib_regedit_apply(const char *hive_name, const char *in_path, const char *out_path,
		     const struct ib_reg_edits *edits, int hive_flags, struct ib_reg_changes *changes,
		     struct ib_error *err)
{
	size_t mine = 0;
	for (size_t i = 0; i < edits->list.n; i++)
		mine += for_hive(&edits->list.v[i], hive_name);
	if (!mine)
		return 0;
	size_t n_before = changes ? changes->list.n : 0;
	struct ib_hive *h = ib_hive_open(in_path, hive_name, IB_HIVE_WRITE | (hive_flags & IB_HIVE_ALLOW_DIRTY), err);
	if (!h)
		return -1;
	struct resolved r;
	int ret = resolve_all(h, hive_name, edits, &r, err);
	for (size_t i = 0; ret == 0 && i < edits->list.n; i++)
		if (r.keys[i])
			ret = apply_one(h, hive_name, r.keys[i], &edits->list.v[i], changes, err);
	resolved_free(&r);
	bool written = false;
	if (ret == 0) {
		ret = ib_hive_commit(h, out_path, err); /* removes out_path itself on failure */
		written = ret == 0;
	}
	ib_hive_close(h);
	if (ret == 0)
		ret = ib_regedit_verify(hive_name, out_path, edits, hive_flags, err);
	if (ret < 0) {
		if (written)
			unlink(out_path);
		changes_truncate(changes, n_before);
		return -1;
	}
	return 1;
}
