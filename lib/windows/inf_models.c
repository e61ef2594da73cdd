// SPDX-License-Identifier: GPL-2.0-or-later
/* [Manufacturer] and models sections: parse the TargetOSVersion decorations
 * (NT[arch][.major[.minor[.ptype[.suite[.build]]]]]) and pick, per
 * manufacturer, the most specific models section that fits the target. */
#include "inf_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool parse_decor(const char *text, struct inf_decor *d)
{
	*d = (struct inf_decor){ .major = -1, .minor = -1, .ptype = -1, .build = -1 };
	if (strncasecmp(text, "NT", 2))
		return false;
	const char *p = text + 2;
	size_t an = strcspn(p, ".");
	if (an >= sizeof(d->arch))
		return false;
	memcpy(d->arch, p, an);
	d->arch[an] = 0;
	if (an && !inf_arch_known(d->arch))
		return false;
	p += an;
	long *num[5] = { &d->major, &d->minor, &d->ptype, NULL, &d->build };
	for (int k = 0; *p; k++) {
		if (k == 5 || *p != '.')
			return false;
		p++;
		size_t n = strcspn(p, ".");
		if (n) {
			char buf[16];
			uint32_t v;
			if (n >= sizeof(buf))
				return false;
			memcpy(buf, p, n);
			buf[n] = 0;
			if (!inf_parse_u32(buf, &v) || (num[k] && strspn(buf, "0123456789") != n))
				return false;
			if (num[k])
				*num[k] = (long)v;
			else
				d->has_suite = true;
		}
		p += n;
	}
	return true;
}

/* The models section exists and each line names an install section that does. */
static int check_models_section(const struct ib_inf *inf, const char *file, const struct inf_mfg *m,
				const char *sec, struct ib_error *err)
{
	const struct inf_section *s = inf_find_section(inf, sec);
	if (!s)
		return inf_fail(err, file, m->line, "models section [%s] named in [Manufacturer] is missing", sec);
	for (size_t i = 0; i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		const char *ins = l->nf ? l->f[0] : "";
		if (!*ins)
			return inf_fail(err, file, l->lineno, "models line in [%s] has no install section", sec);
		if (inf_find_section(inf, ins))
			continue;
		bool found = false;
		size_t n = strlen(ins);
		for (size_t k = 0; k < inf->sections.n && !found; k++) {
			const char *name = inf->sections.v[k].name;
			found = !strncasecmp(name, ins, n) && !strncasecmp(name + n, ".NT", 3);
		}
		if (!found)
			return inf_fail(err, file, l->lineno, "install section [%s] (or a .NT variant) is missing", ins);
	}
	return 0;
}

int inf_parse_manufacturer(struct ib_inf *inf, const char *file, struct ib_error *err)
{
	const struct inf_section *s = inf_find_section(inf, "Manufacturer");
	for (size_t i = 0; s && i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		if (!l->nf || !*l->f[0])
			return inf_fail(err, file, l->lineno, "[Manufacturer] entry has no models section name");
		struct inf_mfg m = { .name = ib_xstrdup(l->key ? l->key : ""), .models = ib_xstrdup(l->f[0]),
				     .line = l->lineno };
		IB_VEC_PUSH(inf->mfgs, m);
		struct inf_mfg *mp = &inf->mfgs.v[inf->mfgs.n - 1];
		for (size_t k = 1; k < l->nf; k++) {
			if (!*l->f[k])
				continue;
			struct inf_decor d;
			if (!parse_decor(l->f[k], &d))
				return inf_fail(err, file, l->lineno,
						"bad decoration '%s' in [Manufacturer] (expected "
						"NT<arch>[.major[.minor[.producttype[.suitemask[.build]]]]])",
						l->f[k]);
			d.text = ib_xstrdup(l->f[k]);
			IB_VEC_PUSH(mp->decors, d);
			char *sec = ib_xasprintf("%s.%s", mp->models, d.text);
			int r = check_models_section(inf, file, mp, sec, err);
			free(sec);
			if (r < 0)
				return -1;
		}
		/* The undecorated section is needed only when no decoration is listed. */
		if ((!mp->decors.n || inf_find_section(inf, mp->models)) &&
		    check_models_section(inf, file, mp, mp->models, err) < 0)
			return -1;
	}
	return 0;
}

void inf_mfgs_free(struct ib_inf *inf)
{
	for (size_t i = 0; i < inf->mfgs.n; i++) {
		struct inf_mfg *m = &inf->mfgs.v[i];
		for (size_t k = 0; k < m->decors.n; k++)
			free(m->decors.v[k].text);
		free(m->decors.v);
		free(m->name);
		free(m->models);
	}
	free(inf->mfgs.v);
}

/* 64-bit Windows requires the architecture in the decoration, so arch-less
 * decorations and undecorated sections only serve x86. */
static bool decor_fits(const struct inf_decor *d, const struct ib_inf_target *t)
{
	if (d->arch[0] ? strcasecmp(d->arch, t->arch) != 0 : strcasecmp(t->arch, "x86") != 0)
		return false;
	if (d->major >= 0) {
		long want[3] = { d->major, d->minor < 0 ? 0 : d->minor, d->build < 0 ? 0 : d->build };
		long have[3] = { (long)t->major, (long)t->minor, (long)t->build };
		for (int i = 0; i < 3; i++) {
			if (have[i] != want[i]) {
				if (have[i] < want[i])
					return false;
				break;
			}
		}
	} else if (d->build >= 0 && (long)t->build < d->build) {
		return false;
	}
	if (d->ptype > 0 && (long)t->product_type != d->ptype)
		return false;
	return true;
}

/* Is a more specific than b? Higher version first, then more fields given. */
static bool decor_better(const struct inf_decor *a, const struct inf_decor *b)
{
	long ka[6] = { a->major, a->minor, a->build, a->arch[0] != 0, a->ptype > 0, a->has_suite };
	long kb[6] = { b->major, b->minor, b->build, b->arch[0] != 0, b->ptype > 0, b->has_suite };
	for (int i = 0; i < 6; i++)
		if (ka[i] != kb[i])
			return ka[i] > kb[i];
	return false;
}

static void describe_target(const struct ib_inf_target *t, char *buf, size_t n)
{
	static const char *const pt[] = { "", " workstation", " domain controller", " server" };
	int w = snprintf(buf, n, "%s Windows %u.%u", t->arch, t->major, t->minor);
	if (t->build && w > 0 && (size_t)w < n)
		w += snprintf(buf + w, n - (size_t)w, ".%u", t->build);
	if (t->product_type < 4 && w > 0 && (size_t)w < n)
		snprintf(buf + w, n - (size_t)w, "%s", pt[t->product_type]);
}

static int check_target(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_error *err)
{
	if (!t || !t->arch || (strcasecmp(t->arch, "x86") && strcasecmp(t->arch, "amd64") && strcasecmp(t->arch, "arm64")))
		return ib_fail(err, IB_EXIT_INPUT, "%s: unknown target architecture '%s' (expected x86, amd64 or arm64)",
			       inf->path, t && t->arch ? t->arch : "");
	return 0;
}

static void load_devices(const struct inf_section *s, struct ib_inf_models *m)
{
	m->devices = ib_xcalloc(s->lines.n ? s->lines.n : 1, sizeof(*m->devices));
	for (size_t i = 0; i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		struct ib_inf_device *d = &m->devices[m->n_devices++];
		d->desc = ib_xstrdup(l->key ? l->key : "");
		d->install = ib_xstrdup(l->f[0]);
		d->ids = ib_xcalloc(l->nf, sizeof(char *));
		for (size_t k = 1; k < l->nf; k++)
			if (*l->f[k])
				d->ids[d->n_ids++] = ib_xstrdup(l->f[k]);
		d->line = l->lineno;
	}
}

static int no_models_error(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_error *err)
{
	struct ib_buf b = { 0 };
	for (size_t i = 0; i < inf->mfgs.n; i++) {
		const struct inf_mfg *m = &inf->mfgs.v[i];
		for (size_t k = 0; k < m->decors.n; k++) {
			bool dup = false;
			for (size_t j = 0; j <= i && !dup; j++)
				for (size_t q = 0; q < inf->mfgs.v[j].decors.n && !(j == i && q >= k) && !dup; q++)
					dup = !strcasecmp(inf->mfgs.v[j].decors.v[q].text, m->decors.v[k].text);
			if (!dup)
				ib_buf_printf(&b, "%s%s", b.len ? ", " : "", m->decors.v[k].text);
		}
		if (inf_find_section(inf, m->models) && !strstr(b.s ? b.s : "", "undecorated"))
			ib_buf_printf(&b, "%sundecorated (x86 only)", b.len ? ", " : "");
	}
	char tgt[96];
	describe_target(t, tgt, sizeof(tgt));
	/* Point at the (first) entry that lists the decorations. */
	inf_fail(err, inf->path, inf->mfgs.v[0].line, "no models section for %s (this INF has: %s)", tgt,
		 b.len ? b.s : "nothing");
	ib_buf_free(&b);
	return -1;
}

int ib_inf_select_models(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_inf_selection *out,
			 struct ib_error *err)
{
	*out = (struct ib_inf_selection){ 0 };
	if (check_target(inf, t, err) < 0)
		return -1;
	if (!inf->mfgs.n) {
		const struct inf_section *ms = inf_find_section(inf, "Manufacturer");
		return inf_fail(err, inf->path, ms ? ms->lineno : 0,
				ms ? "[Manufacturer] is empty" : "no [Manufacturer] section (not a device driver INF?)");
	}
	out->mfg = ib_xcalloc(inf->mfgs.n, sizeof(*out->mfg));
	for (size_t i = 0; i < inf->mfgs.n; i++) {
		const struct inf_mfg *m = &inf->mfgs.v[i];
		const struct inf_decor *best = NULL;
		for (size_t k = 0; k < m->decors.n; k++)
			if (decor_fits(&m->decors.v[k], t) && (!best || decor_better(&m->decors.v[k], best)))
				best = &m->decors.v[k];
		const struct inf_section *s = NULL;
		if (best)
			s = inf_find_sectionf(inf, "%s.%s", m->models, best->text);
		else if (!strcasecmp(t->arch, "x86"))
			s = inf_find_section(inf, m->models);
		if (!s)
			continue;
		struct ib_inf_models *mm = &out->mfg[out->n_mfg++];
		mm->manufacturer = ib_xstrdup(m->name);
		mm->section = ib_xstrdup(s->name);
		mm->decoration = ib_xstrdup(best ? best->text : "");
		load_devices(s, mm);
	}
	if (!out->n_mfg) {
		ib_inf_selection_free(out);
		return no_models_error(inf, t, err);
	}
	return 0;
}

void ib_inf_selection_free(struct ib_inf_selection *sel)
{
	for (size_t i = 0; i < sel->n_mfg; i++) {
		struct ib_inf_models *m = &sel->mfg[i];
		for (size_t k = 0; k < m->n_devices; k++) {
			struct ib_inf_device *d = &m->devices[k];
			for (size_t j = 0; j < d->n_ids; j++)
				free(d->ids[j]);
			free(d->ids);
			free(d->desc);
			free(d->install);
		}
		free(m->devices);
		free(m->manufacturer);
		free(m->section);
		free(m->decoration);
	}
	free(sel->mfg);
	*sel = (struct ib_inf_selection){ 0 };
}
