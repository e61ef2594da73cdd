// SPDX-License-Identifier: GPL-2.0-or-later
/* Building edit lists and rendering the change list of ib_regedit_apply. */
#include "regedit.h"

static struct ib_reg_edit *push(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
				enum ib_reg_op op)
{
	struct ib_reg_edit ed = {
		.hive = ib_xstrdup(hive),
		.key = ib_xstrdup(key),
		.name = name ? ib_xstrdup(name) : NULL,
		.op = op,
	};
	IB_VEC_PUSH(e->list, ed);
	return &e->list.v[e->list.n - 1];
}

void ib_reg_edits_free(struct ib_reg_edits *e)
{
	for (size_t i = 0; i < e->list.n; i++) {
		struct ib_reg_edit *ed = &e->list.v[i];
		free(ed->hive);
		free(ed->key);
		free(ed->name);
		free(ed->data);
		free(ed->base);
	}
	free(e->list.v);
	e->list.v = NULL;
	e->list.n = e->list.cap = 0;
}

void ib_reg_edits_set(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
		      enum ib_reg_type type, const void *data, size_t len)
{
	struct ib_reg_edit *ed = push(e, hive, key, name, IB_REG_OP_SET);
	ed->type = type;
	ed->data = ib_xmalloc(len ? len : 1);
	if (len)
		memcpy(ed->data, data, len);
	ed->len = len;
}

static int set_string(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
		      enum ib_reg_type type, const char *utf8, struct ib_error *err)
{
	uint8_t *d;
	size_t n;
	if (ib_reg_encode_sz(utf8, &d, &n, err) < 0)
		return -1;
	ib_reg_edits_set(e, hive, key, name, type, d, n);
	free(d);
	return 0;
}

int ib_reg_edits_set_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			const char *utf8, struct ib_error *err)
{
	return set_string(e, hive, key, name, IB_REG_SZ, utf8, err);
}

int ib_reg_edits_set_expand_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			       const char *utf8, struct ib_error *err)
{
	return set_string(e, hive, key, name, IB_REG_EXPAND_SZ, utf8, err);
}

int ib_reg_edits_set_multi_sz(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			      const char *const *strs, size_t n, struct ib_error *err)
{
	uint8_t *d;
	size_t len;
	if (ib_reg_encode_multi_sz(strs, n, &d, &len, err) < 0)
		return -1;
	ib_reg_edits_set(e, hive, key, name, IB_REG_MULTI_SZ, d, len);
	free(d);
	return 0;
}

void ib_reg_edits_set_dword(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			    uint32_t v)
{
	uint8_t d[4];
	ib_reg_encode_dword(v, d);
	ib_reg_edits_set(e, hive, key, name, IB_REG_DWORD, d, sizeof(d));
}

void ib_reg_edits_set_qword(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			    uint64_t v)
{
	uint8_t d[8];
	ib_reg_encode_qword(v, d);
	ib_reg_edits_set(e, hive, key, name, IB_REG_QWORD, d, sizeof(d));
}

void ib_reg_edits_delete_value(struct ib_reg_edits *e, const char *hive, const char *key, const char *name)
{
	push(e, hive, key, name, IB_REG_OP_DELETE_VALUE);
}

void ib_reg_edits_create_key(struct ib_reg_edits *e, const char *hive, const char *key)
{
	push(e, hive, key, NULL, IB_REG_OP_CREATE_KEY);
}

void ib_reg_edits_delete_key(struct ib_reg_edits *e, const char *hive, const char *key)
{
	push(e, hive, key, NULL, IB_REG_OP_DELETE_KEY);
}

void ib_reg_edits_append_path(struct ib_reg_edits *e, const char *hive, const char *key, const char *name,
			      enum ib_reg_type type, const char *element, const char *base)
{
	struct ib_reg_edit *ed = push(e, hive, key, name, IB_REG_OP_APPEND_PATH);
	ed->type = type;
	ed->data = (uint8_t *)ib_xstrdup(element);
	ed->len = strlen(element);
	ed->base = base ? ib_xstrdup(base) : NULL;
}

void ib_reg_changes_free(struct ib_reg_changes *c)
{
	for (size_t i = 0; i < c->list.n; i++) {
		struct ib_reg_change *ch = &c->list.v[i];
		free(ch->hive);
		free(ch->key);
		free(ch->name);
		free(ch->old_value);
		free(ch->new_value);
	}
	free(c->list.v);
	c->list.v = NULL;
	c->list.n = c->list.cap = 0;
}

char *ib_reg_change_format(const struct ib_reg_change *c)
{
	const char *name = c->name ? (c->name[0] ? c->name : "(default)") : NULL;
	switch (c->kind) {
	case IB_REG_KEY_CREATED:
		return ib_xasprintf("%s\\%s: key created", c->hive, c->key);
	case IB_REG_KEY_DELETED:
		return ib_xasprintf("%s\\%s: key deleted", c->hive, c->key);
	case IB_REG_VALUE_ADDED:
		return ib_xasprintf("%s\\%s: %s = %s", c->hive, c->key, name, c->new_value);
	case IB_REG_VALUE_CHANGED:
		return ib_xasprintf("%s\\%s: %s = %s (was %s)", c->hive, c->key, name, c->new_value, c->old_value);
	case IB_REG_VALUE_DELETED:
		return ib_xasprintf("%s\\%s: %s deleted (was %s)", c->hive, c->key, name, c->old_value);
	}
	return ib_xstrdup("?");
}

void ib_reg_edits_mirror(struct ib_reg_edits *e, size_t from, const char *key_prefix, const char *to_hive)
{
	size_t n = e->list.n, plen = strlen(key_prefix);
	for (size_t i = from; i < n; i++) {
		if (strncasecmp(e->list.v[i].key, key_prefix, plen))
			continue;
		/* push may move the vector: copy what we read first. */
		struct ib_reg_edit src = e->list.v[i];
		struct ib_reg_edit *ed = push(e, to_hive, src.key, src.name, src.op);
		ed->type = src.type;
		ed->len = src.len;
		if (src.data) {
			ed->data = ib_xmalloc(src.len + 1);
			memcpy(ed->data, src.data, src.len + (src.op == IB_REG_OP_APPEND_PATH ? 1 : 0));
		}
		ed->base = src.base ? ib_xstrdup(src.base) : NULL;
	}
}
