// SPDX-License-Identifier: GPL-2.0-or-later
/* --set KEY=VALUE: edit the YAML node tree before the schema walk, so an
 * override is checked exactly like a value written in the file. KEY is a
 * dotted path whose numeric parts index sequences from 0
 * (disk.partitions.2.size); VALUE is read as YAML, so `16GiB`, `null`,
 * `true` and `{type: ntfs}` mean what they would after `key:` in the file. */
#include <string.h>

#include "recipe_int.h"

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static struct rnode **map_find(struct rnode *map, const char *key)
{
	for (size_t i = 0; i + 1 < map->n; i += 2)
		if (map->items[i]->kind == RN_SCALAR && !strcmp(map->items[i]->value, key))
			return &map->items[i + 1];
	return NULL;
}

/* Apply one override; reports and returns -1 on a bad key path. */
static int apply_one(struct rctx *c, struct rnode *root, size_t idx)
{
	const char *set = c->sets[idx];
	struct ib_loc at = { RECIPE_SET_FILE, 0, (unsigned)idx + 1 };
	const char *eq = strchr(set, '=');
	if (!eq || eq == set) {
		rctx_error_at(c, &at, "write --set KEY=VALUE, e.g. --set disk.size=16GiB",
			      "expected KEY=VALUE");
		return -1;
	}
	_cleanup_free_ char *key = ib_xstrndup(set, (size_t)(eq - set));
	const char *value = eq + 1;
	if (strstr(key, "..") || key[0] == '.' || key[strlen(key) - 1] == '.') {
		rctx_error_at(c, &at, "write --set KEY=VALUE with a dotted KEY, e.g. disk.size",
			      "empty part in the key '%s'", key);
		return -1;
	}

	struct rnode *val = NULL;
	if (rnode_parse(c, value, strlen(value), (int)idx, &val) < 0)
		return -1;
	if (!val) {
		val = rnode_new(RN_SCALAR, "", 0, 0, (int)idx);
		val->plain = true;
	}

	struct rnode **slot = NULL;
	struct rnode *cur = root;
	char *save = NULL;
	for (char *part = strtok_r(key, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
		if (slot) {
			/* Descend into what the previous part named; a null becomes a mapping. */
			if (rnode_is_null(*slot) && !all_digits(part)) {
				rnode_free(*slot);
				*slot = rnode_new(RN_MAP, NULL, 0, 0, (int)idx);
			}
			cur = *slot;
		}
		if (cur->kind == RN_MAP) {
			slot = map_find(cur, part);
			if (!slot) {
				struct rnode *k = rnode_new(RN_SCALAR, part, 0, 0, (int)idx);
				k->plain = true;
				rnode_push(cur, k);
				struct rnode *v = rnode_new(RN_SCALAR, "", 0, 0, (int)idx);
				v->plain = true;
				rnode_push(cur, v);
				slot = &cur->items[cur->n - 1];
			}
		} else if (cur->kind == RN_SEQ) {
			if (!all_digits(part) || strlen(part) > 9) {
				rctx_error_at(c, &at, "sequence items are numbered from 0: disk.partitions.0.size",
					      "'%s' is not an item number", part);
				goto fail;
			}
			size_t i = (size_t)atol(part);
			if (i >= cur->n) {
				rctx_error_at(c, &at, "items are numbered from 0",
					      "item %zu does not exist: the sequence has %zu item%s", i, cur->n,
					      cur->n == 1 ? "" : "s");
				goto fail;
			}
			slot = &cur->items[i];
		} else {
			rctx_error_at(c, &at, NULL, "cannot set '%s' inside a scalar value", part);
			goto fail;
		}
	}
	if (!slot) { /* a key with no part: refused above, kept impossible here */
		rctx_error_at(c, &at, NULL, "empty key");
		goto fail;
	}
	rnode_free(*slot);
	*slot = val;
	return 0;
fail:
	rnode_free(val);
	return -1;
}

void recipe_apply_sets(struct rctx *c, struct rnode *root)
{
	if (c->nsets && root->kind != RN_MAP)
		return; /* the walk reports the root; overrides have nowhere to go */
	for (size_t i = 0; i < c->nsets; i++)
		apply_one(c, root, i);
}
