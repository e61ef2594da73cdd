// SPDX-License-Identifier: GPL-2.0-or-later
/* INF loading: decode, refuse unbuilt templates, split into sections,
 * substitute %strings%, read [Version] and check that every section the INF
 * names exists. Everything target-independent fails here, with file and line. */
#include "inf_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/guid.h"

int inf_fail(struct ib_error *err, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = ib_xvasprintf(fmt, ap);
	va_end(ap);
	struct ib_loc loc = { file, line, 0 };
	ib_fail_at(err, IB_EXIT_INPUT, &loc, "%s", m);
	free(m);
	return -1;
}

bool inf_parse_u32(const char *s, uint32_t *v)
{
	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

bool inf_parse_int(const char *s, long *v)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	long x = strtol(s, &end, 10);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

bool inf_arch_known(const char *arch)
{
	static const char *const archs[] = { "x86", "amd64", "arm64", "ia64", "arm" };
	for (size_t i = 0; i < IB_ARRAY_SIZE(archs); i++)
		if (!strcasecmp(arch, archs[i]))
			return true;
	return false;
}

const struct inf_section *inf_find_section(const struct ib_inf *inf, const char *name)
{
	for (size_t i = 0; i < inf->sections.n; i++)
		if (!strcasecmp(inf->sections.v[i].name, name))
			return &inf->sections.v[i];
	return NULL;
}

const struct inf_section *inf_find_sectionf(const struct ib_inf *inf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *name = ib_xvasprintf(fmt, ap);
	va_end(ap);
	const struct inf_section *s = inf_find_section(inf, name);
	free(name);
	return s;
}

const char *ib_inf_get_value(const struct ib_inf *inf, const char *section, const char *key)
{
	const struct inf_section *s = inf_find_section(inf, section);
	for (size_t i = 0; s && i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		if (l->key && !strcasecmp(l->key, key))
			return l->nf ? l->f[0] : "";
	}
	return NULL;
}

const char *ib_inf_path(const struct ib_inf *inf) { return inf->path; }
enum ib_inf_encoding ib_inf_encoding(const struct ib_inf *inf) { return inf->enc; }
const struct ib_inf_version *ib_inf_version(const struct ib_inf *inf) { return &inf->version; }

const char *ib_inf_template_token(const struct ib_inf *inf, unsigned *line)
{
	if (line)
		*line = inf->template_line;
	return inf->template_token;
}

const char *ib_inf_catalog(const struct ib_inf *inf, const struct ib_inf_target *t)
{
	if (t && t->arch) {
		char key[48];
		snprintf(key, sizeof(key), "CatalogFile.NT%s", t->arch);
		const char *v = ib_inf_get_value(inf, "Version", key);
		if (v)
			return v;
	}
	const char *v = ib_inf_get_value(inf, "Version", "CatalogFile.NT");
	return v ? v : inf->version.catalog;
}

static bool is_strings_section(const char *name)
{
	return !strcasecmp(name, "Strings") || !strncasecmp(name, "Strings.", 8);
}

/* [Strings] first, then US English [Strings.0409] (we have no locale). */
static const char *string_lookup(const struct ib_inf *inf, const char *key, size_t n)
{
	static const char *const order[] = { "Strings", "Strings.0409" };
	for (size_t o = 0; o < IB_ARRAY_SIZE(order); o++) {
		const struct inf_section *s = inf_find_section(inf, order[o]);
		for (size_t i = 0; s && i < s->lines.n; i++) {
			const char *k = s->lines.v[i].key;
			if (k && strlen(k) == n && !strncasecmp(k, key, n))
				return s->lines.v[i].f[0];
		}
	}
	return NULL;
}

/* %strkey% -> its string, %% -> %, %<number>% (a DIRID) kept as written. */
static int substitute(const struct ib_inf *inf, const char *file, unsigned line, char **field, struct ib_error *err)
{
	const char *p = *field;
	if (!strchr(p, '%'))
		return 0;
	struct ib_buf b = { 0 };
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			ib_buf_puts(&b, p);
			break;
		}
		ib_buf_append(&b, p, (size_t)(pct - p));
		if (pct[1] == '%') {
			ib_buf_append(&b, "%", 1);
			p = pct + 2;
			continue;
		}
		const char *end = strchr(pct + 1, '%');
		if (!end) { /* a lone % is literal */
			ib_buf_puts(&b, pct);
			break;
		}
		size_t kl = (size_t)(end - pct - 1);
		size_t digits = strspn(pct + 1, "0123456789");
		if (digits == kl || (pct[1] == '-' && strspn(pct + 2, "0123456789") + 1 == kl && kl > 1)) {
			ib_buf_append(&b, pct, kl + 2);
		} else {
			const char *v = string_lookup(inf, pct + 1, kl);
			if (!v) {
				ib_buf_free(&b);
				return inf_fail(err, file, line, "unknown string key %%%.*s%% (not in [Strings])", (int)kl,
						pct + 1);
			}
			ib_buf_puts(&b, v);
		}
		p = end + 1;
	}
	free(*field);
	*field = ib_buf_steal(&b);
	return 0;
}

static int substitute_all(struct ib_inf *inf, const char *file, struct ib_error *err)
{
	/* A [Strings] value is the whole right-hand side, commas included. */
	for (size_t i = 0; i < inf->sections.n; i++) {
		struct inf_section *s = &inf->sections.v[i];
		if (!is_strings_section(s->name))
			continue;
		for (size_t j = 0; j < s->lines.n; j++) {
			struct inf_line *l = &s->lines.v[j];
			if (!l->key)
				continue; /* setupapi ignores value-only lines here */
			struct ib_buf b = { 0 };
			for (size_t k = 0; k < l->nf; k++) {
				if (k)
					ib_buf_append(&b, ",", 1);
				ib_buf_puts(&b, l->f[k]);
				free(l->f[k]);
			}
			l->f[0] = ib_buf_steal(&b);
			l->nf = 1;
		}
	}
	for (size_t i = 0; i < inf->sections.n; i++) {
		struct inf_section *s = &inf->sections.v[i];
		if (is_strings_section(s->name))
			continue;
		for (size_t j = 0; j < s->lines.n; j++) {
			struct inf_line *l = &s->lines.v[j];
			if (l->key && substitute(inf, file, l->lineno, &l->key, err) < 0)
				return -1;
			for (size_t k = 0; k < l->nf; k++)
				if (substitute(inf, file, l->lineno, &l->f[k], err) < 0)
					return -1;
		}
	}
	return 0;
}

static bool leap(unsigned y) { return (y % 4 == 0 && y % 100) || y % 400 == 0; }

/* MM/DD/YYYY, one or two digits for month and day. */
static bool parse_date(const char *s, unsigned *y, unsigned *m, unsigned *d)
{
	unsigned v[3] = { 0 };
	for (int k = 0; k < 3; k++) {
		size_t n = strspn(s, "0123456789");
		if (!n || n > (k == 2 ? 4 : 2) || (k == 2 && n != 4))
			return false;
		for (size_t i = 0; i < n; i++)
			v[k] = v[k] * 10 + (unsigned)(s[i] - '0');
		s += n;
		if (k < 2 && *s++ != '/')
			return false;
	}
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (*s || v[0] < 1 || v[0] > 12 || v[2] < 1601 || v[1] < 1 ||
	    v[1] > mdays[v[0] - 1] + (v[0] == 2 && leap(v[2])))
		return false;
	*m = v[0];
	*d = v[1];
	*y = v[2];
	return true;
}

/* a[.b[.c[.d]]], each 0..65535. */
static bool parse_ver4(const char *s, uint16_t ver[4])
{
	memset(ver, 0, 4 * sizeof(ver[0]));
	for (int k = 0; k < 4; k++) {
		size_t n = strspn(s, "0123456789");
		if (!n || n > 5)
			return false;
		unsigned long x = strtoul(s, NULL, 10);
		if (x > 65535)
			return false;
		ver[k] = (uint16_t)x;
		s += n;
		if (!*s)
			return true;
		if (*s++ != '.')
			return false;
	}
	return false;
}

static bool guid_text_ok(const char *s)
{
	size_t n = strlen(s);
	if (n != 38 || s[0] != '{' || s[37] != '}')
		return false;
	char inner[37];
	memcpy(inner, s + 1, 36);
	inner[36] = 0;
	struct ib_guid g;
	return ib_guid_parse(inner, &g) == 0;
}

static int parse_version(struct ib_inf *inf, const char *file, struct ib_error *err)
{
	const struct inf_section *s = inf_find_section(inf, "Version");
	if (!s)
		return inf_fail(err, file, 0, "no [Version] section (not an INF file?)");
	struct ib_inf_version *v = &inf->version;
	v->line = s->lineno;
	struct {
		const char *key;
		char **dst;
		unsigned line;
	} keys[] = {
		{ "Signature", &v->signature, 0 }, { "Class", &v->class_name, 0 }, { "ClassGuid", &v->class_guid, 0 },
		{ "Provider", &v->provider, 0 },   { "DriverVer", &v->driver_ver, 0 }, { "CatalogFile", &v->catalog, 0 },
	};
	for (size_t i = 0; i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		if (!l->key)
			continue;
		if (!strcasecmp(l->key, "PnpLockdown"))
			v->pnp_lockdown = l->nf && !strcmp(l->f[0], "1");
		for (size_t k = 0; k < IB_ARRAY_SIZE(keys); k++) {
			if (strcasecmp(l->key, keys[k].key))
				continue;
			if (keys[k].line)
				return inf_fail(err, file, l->lineno, "duplicate %s in [Version] (first at line %u)",
						keys[k].key, keys[k].line);
			keys[k].line = l->lineno;
			if (k == 4) { /* DriverVer = date[,version] */
				*keys[k].dst = ib_xasprintf("%s%s%s", l->nf ? l->f[0] : "", l->nf > 1 ? "," : "",
							    l->nf > 1 ? l->f[1] : "");
				if (!l->nf || !parse_date(l->f[0], &v->year, &v->month, &v->day))
					return inf_fail(err, file, l->lineno,
							"bad DriverVer date '%s' (expected MM/DD/YYYY)",
							l->nf ? l->f[0] : "");
				if (l->nf > 1 && *l->f[1] && !parse_ver4(l->f[1], v->ver))
					return inf_fail(err, file, l->lineno,
							"bad DriverVer version '%s' (expected a.b.c.d, each 0-65535)",
							l->f[1]);
				v->has_driver_ver = true;
			} else {
				*keys[k].dst = ib_xstrdup(l->nf ? l->f[0] : "");
			}
		}
	}
	if (!v->signature)
		return inf_fail(err, file, s->lineno, "[Version] has no Signature");
	if (strcasecmp(v->signature, "$Windows NT$") && strcasecmp(v->signature, "$Chicago$") &&
	    strcasecmp(v->signature, "$Windows 95$"))
		return inf_fail(err, file, keys[0].line,
				"bad Signature '%s' (expected \"$Windows NT$\" or \"$Chicago$\")", v->signature);
	if (v->class_guid && !guid_text_ok(v->class_guid))
		return inf_fail(err, file, keys[2].line,
				"bad ClassGuid '%s' (expected {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx})", v->class_guid);
	return 0;
}

/* Sections whose lines are data, not install directives. */
static bool is_data_section(const char *name)
{
	static const char *const data[] = { "Version", "Manufacturer", "DestinationDirs", "SourceDisksNames",
					    "SourceDisksFiles" };
	if (is_strings_section(name))
		return true;
	for (size_t i = 0; i < IB_ARRAY_SIZE(data); i++) {
		size_t n = strlen(data[i]);
		if (!strncasecmp(name, data[i], n) && (!name[n] || name[n] == '.'))
			return true;
	}
	return false;
}

/* CopyFiles, AddReg and AddService must name sections that exist. */
static int check_refs(const struct ib_inf *inf, const char *file, struct ib_error *err)
{
	for (size_t i = 0; i < inf->sections.n; i++) {
		const struct inf_section *s = &inf->sections.v[i];
		if (is_data_section(s->name))
			continue;
		for (size_t j = 0; j < s->lines.n; j++) {
			const struct inf_line *l = &s->lines.v[j];
			if (!l->key)
				continue;
			bool copy = !strcasecmp(l->key, "CopyFiles"), addreg = !strcasecmp(l->key, "AddReg");
			for (size_t k = 0; (copy || addreg) && k < l->nf; k++) {
				const char *name = l->f[k];
				if (!*name || (copy && name[0] == '@'))
					continue;
				if (!inf_find_section(inf, name))
					return inf_fail(err, file, l->lineno, "%s section [%s] is missing",
							copy ? "CopyFiles" : "AddReg", name);
			}
			if (strcasecmp(l->key, "AddService"))
				continue;
			uint32_t flags;
			if (l->nf > 1 && *l->f[1] && !inf_parse_u32(l->f[1], &flags))
				return inf_fail(err, file, l->lineno, "AddService flags '%s' is not a number", l->f[1]);
			const char *name = l->nf ? l->f[0] : "";
			if (*name && (l->nf < 3 || !*l->f[2]))
				return inf_fail(err, file, l->lineno, "AddService %s has no service-install section",
						name);
			if (l->nf > 2 && *l->f[2] && !inf_find_section(inf, l->f[2]))
				return inf_fail(err, file, l->lineno,
						"service-install section [%s] named by AddService is missing", l->f[2]);
			if (l->nf > 3 && *l->f[3] && !inf_find_section(inf, l->f[3]))
				return inf_fail(err, file, l->lineno,
						"event-log section [%s] named by AddService is missing", l->f[3]);
		}
	}
	return 0;
}

static int read_all(const char *path, uint8_t **data, size_t *len, struct ib_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct ib_loc loc = { path, 0, 0 };
	if (fd < 0)
		return ib_fail_at(err, IB_EXIT_INPUT, &loc, "cannot open INF: %s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
		int e = errno;
		close(fd);
		return ib_fail_at(err, IB_EXIT_INPUT, &loc, "cannot read INF: %s",
				  e ? strerror(e) : "not a regular file of at most 64 MiB");
	}
	*len = (size_t)st.st_size;
	*data = ib_xmalloc(*len + 1);
	int r = ib_pread_all(fd, *data, *len, 0);
	close(fd);
	if (r < 0) {
		free(*data);
		return ib_fail_at(err, IB_EXIT_INPUT, &loc, "cannot read INF: %s", strerror(-r));
	}
	return 0;
}

int ib_inf_load(const char *path, const struct ib_inf_opts *opts, struct ib_inf **out, struct ib_error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (read_all(path, &data, &len, err) < 0)
		return -1;
	int r = ib_inf_load_buf(path, data, len, opts, out, err);
	free(data);
	return r;
}

static int template_error(const char *file, const struct inf_token *toks, size_t n, size_t max,
			  struct ib_error *err)
{
	struct ib_buf b = { 0 };
	for (size_t i = 0; i < n && i < 4; i++)
		ib_buf_printf(&b, "%s%s at line %u", i ? ", " : "", toks[i].tok, toks[i].line);
	if (n > 4 || n == max)
		ib_buf_puts(&b, ", ...");
	inf_fail(err, file, toks[0].line,
		 "this is an .inx template with unexpanded build tokens (%s); build it with stampinf/the WDK first",
		 b.s);
	ib_buf_free(&b);
	return -1;
}

int ib_inf_load_buf(const char *name, const void *data, size_t len, const struct ib_inf_opts *opts,
		    struct ib_inf **out, struct ib_error *err)
{
	*out = NULL;
	struct ib_inf *inf = ib_xcalloc(1, sizeof(*inf));
	inf->path = ib_xstrdup(name);
	char *text = NULL;
	struct inf_token toks[8];
	int r = -1;
	if (inf_text_decode(name, data, len, &text, &inf->enc, err) < 0)
		goto out;
	if (opts && opts->defines) {
		char *t = inf_text_apply_defines(text, opts->defines);
		free(text);
		text = t;
	}
	size_t ntok = inf_text_find_tokens(text, toks, IB_ARRAY_SIZE(toks));
	if (ntok) {
		if (!opts || !opts->allow_template) {
			template_error(name, toks, ntok, IB_ARRAY_SIZE(toks), err);
			goto out;
		}
		inf->template_token = ib_xstrdup(toks[0].tok);
		inf->template_line = toks[0].line;
	}
	if (inf_text_parse(name, text, &inf->sections, err) < 0 || substitute_all(inf, name, err) < 0 ||
	    parse_version(inf, name, err) < 0)
		goto out;
	if (check_refs(inf, name, err) < 0 || inf_parse_manufacturer(inf, name, err) < 0 ||
	    inf_parse_destdirs(inf, name, err) < 0 || inf_check_sourcedisks(inf, name, err) < 0)
		goto out;
	*out = TAKE_PTR(inf);
	r = 0;
out:
	free(text);
	ib_inf_free(inf);
	return r;
}

void ib_inf_free(struct ib_inf *inf)
{
	if (!inf)
		return;
	struct ib_inf_version *v = &inf->version;
	free(v->signature);
	free(v->class_name);
	free(v->class_guid);
	free(v->provider);
	free(v->driver_ver);
	free(v->catalog);
	inf_sections_free(&inf->sections);
	inf_mfgs_free(inf);
	inf_destdirs_free(inf);
	free(inf->template_token);
	free(inf->path);
	free(inf);
}
