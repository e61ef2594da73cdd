// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan_names.h"

#include <stdlib.h>
#include <string.h>

/* A path a partition will hold, under the key Windows compares it by. */
struct named {
	char *key;        /* folded components joined by '/' */
	const char *path; /* as spelled (points into the trees or owned below) */
	char *owned;
	bool dir;
	size_t item; /* the files: entry it comes from */
	size_t seq;  /* order of appearance, for stable sorting */
};

typedef IB_VEC(struct named) named_vec;

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The folded key of path's first plen bytes; NULL for invalid UTF-8 (already
 * reported by the rule check). */
static char *fold_path(const char *path, size_t plen)
{
	struct ib_buf b = {0};
	for (size_t i = 0; i < plen;) {
		while (i < plen && path[i] == '/')
			i++;
		size_t e = i;
		while (e < plen && path[e] != '/')
			e++;
		if (e == i)
			break;
		char *k = ib_names_fold(path + i, e - i);
		if (!k) {
			ib_buf_free(&b);
			return NULL;
		}
		ib_buf_puts(&b, "/");
		ib_buf_puts(&b, k);
		free(k);
		i = e;
	}
	return ib_buf_steal(&b);
}

static void add_named(named_vec *v, const char *path, size_t plen, bool dir, size_t item)
{
	char *key = fold_path(path, plen);
	if (!key)
		return;
	char *owned = plen == strlen(path) ? NULL : ib_xstrndup(path, plen);
	IB_VEC_PUSH(*v, ((struct named){.key = key, .path = owned ? owned : path, .owned = owned, .dir = dir,
					.item = item, .seq = v->n}));
}

/* The destination directory a files: entry names (normalized, from its
 * scanned tree): bad names there are the dst's fault. */
static char *dst_prefix(const struct ib_file_spec *f, const struct ib_srctree *t)
{
	if (!t->n)
		return NULL;
	const char *d = t->v[0].dst;
	size_t l = strlen(f->dst);
	if (t->v[0].kind == IB_SRC_FILE && l && f->dst[l - 1] == '/') {
		const char *s = strrchr(d, '/');
		return ib_xstrndup(d, s && s != d ? (size_t)(s - d) : 1);
	}
	return ib_xstrdup(d);
}

static int check_rules(const struct ib_name_rules *r, const struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	int ret = 0;
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct ib_file_spec *f = &s->files[i];
		const struct ib_srctree *t = &pp->trees[i];
		_cleanup_free_ char *prefix = dst_prefix(f, t);
		struct ib_error err = {0};
		if (prefix && ib_names_check_path(r, prefix, &err) < 0) {
			ib_diag_add(d, IB_SEV_ERROR, &f->dst_loc, NULL, "dst: %s", err.msg);
			ib_error_clear(&err);
			ret = -1;
			continue;
		}
		for (size_t e = 0; e < t->n; e++) {
			if (ib_names_check_path(r, t->v[e].dst, &err) < 0) {
				ib_diag_add(d, IB_SEV_ERROR, &f->src_loc, NULL, "%s (from '%s')", err.msg, t->v[e].src);
				ib_error_clear(&err);
				ret = -1;
				break; /* one per entry: a bad directory would repeat for each child */
			}
		}
	}
	return ret;
}

static int check_clashes(const struct ib_name_rules *r, const struct ib_plan_part *pp, struct ib_diags *d)
{
	const struct ib_partition_spec *s = pp->spec;
	named_vec v = {0};
	for (size_t i = 0; i < s->nfiles; i++) {
		const struct ib_srctree *t = &pp->trees[i];
		for (size_t e = 0; e < t->n; e++) {
			const char *p = t->v[e].dst;
			/* The parents are directories too, spelled as this entry spells them. */
			for (const char *q = strchr(p + 1, '/'); q; q = strchr(q + 1, '/'))
				add_named(&v, p, (size_t)(q - p), true, i);
			add_named(&v, p, strlen(p), t->v[e].kind == IB_SRC_DIR, i);
		}
	}
	if (v.n)
		qsort(v.v, v.n, sizeof(*v.v), cmp_named);
	int ret = 0;
	for (size_t k = 1; k < v.n; k++) {
		const struct named *a = &v.v[k - 1], *b = &v.v[k];
		if (strcmp(a->key, b->key) || !strcmp(a->key, "/") || !*a->key)
			continue;
		const char *why = NULL;
		if (strcmp(a->path, b->path))
			why = "names that differ only in case (compared with the volume's upcase table, as Windows "
			      "does) are one name";
		else if (a->dir != b->dir)
			why = "one is a file and the other a directory";
		if (!why)
			continue;
		const struct ib_file_spec *f = &s->files[b->item];
		ib_diag_add(d, IB_SEV_ERROR, &f->src_loc, NULL, "'%s' and '%s' cannot both be on %s: %s", a->path,
			    b->path, r->fs, why);
		ret = -1;
		/* Report each clashing key once. */
		while (k + 1 < v.n && !strcmp(v.v[k + 1].key, b->key))
			k++;
	}
	for (size_t k = 0; k < v.n; k++) {
		free(v.v[k].key);
		free(v.v[k].owned);
	}
	free(v.v);
	return ret;
}

int ib_plan_check_names(const struct ib_name_rules *r, const struct ib_plan_part *pp, struct ib_diags *d)
{
	if (!r || !pp->trees)
		return 0;
	int a = check_rules(r, pp, d);
	int b = check_clashes(r, pp, d);
	return a < 0 || b < 0 ? -1 : 0;
}

const struct ib_name_rules *ib_plan_name_rules(enum ib_fs_type fs)
{
	const struct ib_fs_ops *o = ib_fs_ops_of(fs);
	return o ? o->name_rules : NULL;
}
