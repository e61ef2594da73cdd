// SPDX-License-Identifier: GPL-2.0-or-later
/* Private to the recipe parser (recipe*.c): the YAML node tree with
 * locations, the parse context that reports diagnostics, and the schema table
 * types. Not for use outside lib/recipe*.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "recipe.h"

/* The file name locations carry for values that came from --set. Such a
 * location has line 0 and col = 1 + the index of the --set, so a diagnostic
 * can quote the override it came from. */
#define RECIPE_SET_FILE "--set"

enum rnode_kind { RN_SCALAR, RN_SEQ, RN_MAP };

struct rnode {
	enum rnode_kind kind;
	unsigned line, col; /* 1-based; 0 for nodes that came from a --set */
	int set;            /* index of the --set the node came from; -1: the file */
	char *value;        /* scalar text */
	bool plain;         /* an unquoted, untagged scalar: null, true, 12 are plain */
	struct rnode **items; /* sequence items; mapping: key, value, key, value ... */
	size_t n;             /* number of items (a mapping has n / 2 pairs) */
};

struct rctx {
	struct ib_diags *diags;
	const char *dfile; /* the recipe path for diagnostics (storage owned by diags) */
	struct ib_recipe *r;
	const char *const *sets;
	size_t nsets;
	/* Destinations whose value was refused: later checks skip them rather
	 * than pile up errors that only repeat the first one. */
	IB_VEC(const void *) bad;
};

/* recipe_yaml.c */
/* Parse one YAML document into a node tree. set is -1 for the recipe file
 * (locations from libyaml's marks) or the index of a --set value. Returns 0
 * and *root (NULL for an empty stream), or -1 after adding a diagnostic. */
int rnode_parse(struct rctx *c, const char *text, size_t len, int set, struct rnode **root);
struct rnode *rnode_new(enum rnode_kind kind, const char *value, unsigned line, unsigned col, int set);
void rnode_push(struct rnode *parent, struct rnode *child);
void rnode_free(struct rnode *n);
bool rnode_is_null(const struct rnode *n);
const char *rnode_kind_name(const struct rnode *n); /* "a mapping", "null", ... */

/* recipe.c: diagnostics at a node or a stored location. */
struct ib_loc rctx_loc(const struct rctx *c, const struct rnode *n);
void rctx_error(struct rctx *c, const struct rnode *n, const char *hint, const char *fmt, ...)
	IB_PRINTF(4, 5);
void rctx_error_at(struct rctx *c, const struct ib_loc *loc, const char *hint, const char *fmt, ...)
	IB_PRINTF(4, 5);
void rctx_note_at(struct rctx *c, const struct ib_loc *loc, const char *fmt, ...) IB_PRINTF(3, 4);
void rctx_mark_bad(struct rctx *c, const void *dst);
bool rctx_is_bad(const struct rctx *c, const void *dst);

/* recipe_set.c: apply the --set overrides to the tree before the walk. */
void recipe_apply_sets(struct rctx *c, struct rnode *root);

/* recipe_schema.c: the table-driven walk from the root mapping into *c->r. */
void recipe_walk(struct rctx *c, const struct rnode *root);

/* recipe_check.c: checks across fields that need nothing but the recipe. */
void recipe_check(struct rctx *c);
/* target:, vm: and properties: (recipe_vm.c). */
void recipe_check_vm(struct rctx *c);
