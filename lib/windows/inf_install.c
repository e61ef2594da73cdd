// SPDX-License-Identifier: GPL-2.0-or-later
/* Install sections: pick the platform variant, then flatten CopyFiles (with
 * [DestinationDirs] and [SourceDisksFiles]/[SourceDisksNames]), AddReg lines
 * and AddService (service-install and event-log sections) into records. */
#include "inf_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *ib_inf_dirid_path(int dirid)
{
	static const struct {
		int id;
		const char *path;
	} dirs[] = {
		{ 10, "%SystemRoot%" },
		{ 11, "%SystemRoot%\\System32" },
		{ 12, "%SystemRoot%\\System32\\drivers" },
		{ 17, "%SystemRoot%\\INF" },
		{ 18, "%SystemRoot%\\Help" },
		{ 20, "%SystemRoot%\\Fonts" },
		{ 21, "%SystemRoot%\\System32\\viewers" },
		{ 23, "%SystemRoot%\\System32\\spool\\drivers\\color" },
		{ 24, "%SystemDrive%" },
		{ 25, "%SystemRoot%" },
		{ 30, "%SystemDrive%" },
		{ 50, "%SystemRoot%\\System" },
		{ 51, "%SystemRoot%\\System32\\spool" },
		{ 52, "%SystemRoot%\\System32\\spool\\drivers" },
		{ 54, "%SystemDrive%" },
		{ 55, "%SystemRoot%\\System32\\spool\\prtprocs" },
		{ 16422, "%ProgramFiles%" },
		{ 16425, "%SystemRoot%\\SysWOW64" },
		{ 16426, "%CommonProgramFiles%" },
	};
	for (size_t i = 0; i < IB_ARRAY_SIZE(dirs); i++)
		if (dirs[i].id == dirid)
			return dirs[i].path;
	return NULL;
}

int inf_parse_destdirs(struct ib_inf *inf, const char *file, struct ib_error *err)
{
	const struct inf_section *s = inf_find_section(inf, "DestinationDirs");
	for (size_t i = 0; s && i < s->lines.n; i++) {
		const struct inf_line *l = &s->lines.v[i];
		if (!l->key)
			return inf_fail(err, file, l->lineno, "[DestinationDirs] line has no '<section> ='");
		long id;
		if (!inf_parse_int(l->f[0], &id))
			return inf_fail(err, file, l->lineno, "DIRID '%s' for %s in [DestinationDirs] is not a number",
					l->f[0], l->key);
		if (id == -1 && (l->nf < 2 || !*l->f[1]))
			return inf_fail(err, file, l->lineno, "DIRID -1 for %s needs an absolute path", l->key);
		bool deflt = !strcasecmp(l->key, "DefaultDestDir");
		struct inf_destdir d = { .section = deflt ? NULL : ib_xstrdup(l->key),
					 .dirid = (int)id,
					 .subdir = l->nf > 1 && *l->f[1] ? ib_xstrdup(l->f[1]) : NULL,
					 .line = l->lineno };
		IB_VEC_PUSH(inf->destdirs, d);
	}
	return 0;
}

void inf_destdirs_free(struct ib_inf *inf)
{
	for (size_t i = 0; i < inf->destdirs.n; i++) {
		free(inf->destdirs.v[i].section);
		free(inf->destdirs.v[i].subdir);
	}
	free(inf->destdirs.v);
}

static bool section_is(const char *name, const char *base)
{
	size_t n = strlen(base);
	return !strncasecmp(name, base, n) && (!name[n] || name[n] == '.');
}

static const char *disk_path(const struct ib_inf *inf, const char *arch, uint32_t disk)
{
	const struct inf_section *cand[2] = { arch ? inf_find_sectionf(inf, "SourceDisksNames.%s", arch) : NULL,
					      inf_find_section(inf, "SourceDisksNames") };
	for (int c = 0; c < 2; c++) {
		for (size_t i = 0; cand[c] && i < cand[c]->lines.n; i++) {
			const struct inf_line *l = &cand[c]->lines.v[i];
			uint32_t id;
			if (l->key && inf_parse_u32(l->key, &id) && id == disk)
				return l->nf > 3 ? l->f[3] : "";
		}
	}
	return NULL;
}

/* Disk ids are numbers and every [SourceDisksFiles*] entry names a known disk. */
int inf_check_sourcedisks(const struct ib_inf *inf, const char *file, struct ib_error *err)
{
	for (size_t i = 0; i < inf->sections.n; i++) {
		const struct inf_section *s = &inf->sections.v[i];
		bool names = section_is(s->name, "SourceDisksNames"), files = section_is(s->name, "SourceDisksFiles");
		for (size_t j = 0; (names || files) && j < s->lines.n; j++) {
			const struct inf_line *l = &s->lines.v[j];
			uint32_t id;
			if (names && (!l->key || !inf_parse_u32(l->key, &id)))
				return inf_fail(err, file, l->lineno, "disk id '%s' in [%s] is not a number",
						l->key ? l->key : l->f[0], s->name);
			if (!files)
				continue;
			if (!l->key)
				return inf_fail(err, file, l->lineno, "file %s in [%s] has no '= diskid'", l->f[0],
						s->name);
			if (!inf_parse_u32(l->f[0], &id))
				return inf_fail(err, file, l->lineno, "disk id '%s' for %s in [%s] is not a number",
						l->f[0], l->key, s->name);
			const char *dot = strchr(s->name, '.');
			if (!disk_path(inf, dot ? dot + 1 : NULL, id))
				return inf_fail(err, file, l->lineno, "file %s: disk %u is not in [SourceDisksNames]",
						l->key, (unsigned)id);
		}
	}
	return 0;
}

static void addreg_clear(struct ib_inf_addreg *r)
{
	free(r->root);
	free(r->subkey);
	free(r->name);
	for (size_t i = 0; i < r->n_strs; i++)
		free(r->strs[i]);
	free(r->strs);
	free(r->bin);
	free(r->section);
}

static void addregs_free(struct ib_inf_addreg *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		addreg_clear(&v[i]);
	free(v);
}

typedef IB_VEC(struct ib_inf_addreg) addreg_vec;

static int parse_hex_byte(const char *s, uint8_t *b)
{
	if (!*s || strlen(s) > 4)
		return -1;
	char *end;
	unsigned long v = strtoul(s, &end, 16);
	if (*end || v > 0xFF || !isxdigit((unsigned char)s[strlen(s) - 1]))
		return -1;
	*b = (uint8_t)v;
	return 0;
}

static int parse_addreg_line(const struct ib_inf *inf, const char *sec, const struct inf_line *l,
			     struct ib_inf_addreg *r, struct ib_error *err)
{
	static const char *const roots[] = { "HKR", "HKLM", "HKCU", "HKCR", "HKU" };
	const char *file = inf->path;
	if (l->key)
		return inf_fail(err, file, l->lineno, "unexpected '=' in AddReg section [%s] (quote the value)", sec);
	r->line = l->lineno;
	r->section = ib_xstrdup(sec);
	for (size_t i = 0; i < IB_ARRAY_SIZE(roots) && !r->root; i++)
		if (!strcasecmp(l->f[0], roots[i]))
			r->root = ib_xstrdup(roots[i]);
	if (!r->root)
		return inf_fail(err, file, l->lineno, "bad registry root '%s' (expected HKR, HKLM, HKCU, HKCR or HKU)",
				l->f[0]);
	r->subkey = ib_xstrdup(l->nf > 1 ? l->f[1] : "");
	r->name = ib_xstrdup(l->nf > 2 ? l->f[2] : "");
	if (l->nf > 3 && *l->f[3] && !inf_parse_u32(l->f[3], &r->flags))
		return inf_fail(err, file, l->lineno, "AddReg flags '%s' is not a number", l->f[3]);
	size_t nd = l->nf > 4 ? l->nf - 4 : 0;
	char *const *data = l->f + 4;
	uint32_t tf = r->flags & 0xFFFF0001u;
	r->key_only = (r->flags & IB_ADDREG_KEYONLY) || l->nf < 3 || (!*r->name && !nd && !tf);
	if (tf == 0 || tf == 0x20000) {
		r->type = tf ? IB_REG_EXPAND_SZ : IB_REG_SZ;
		r->strs = ib_xcalloc(1, sizeof(char *));
		r->strs[0] = ib_xstrdup(nd ? data[0] : "");
		r->n_strs = 1;
	} else if (tf == 0x10000) {
		r->type = IB_REG_MULTI_SZ;
		r->strs = ib_xcalloc(nd ? nd : 1, sizeof(char *));
		for (size_t i = 0; i < nd; i++)
			r->strs[r->n_strs++] = ib_xstrdup(data[i]);
	} else if (tf == 0x10001 && nd <= 1) {
		r->type = IB_REG_DWORD;
		if (nd && !inf_parse_u32(data[0], &r->dword))
			return inf_fail(err, file, l->lineno, "DWORD value '%s' for %s is not a number", data[0],
					r->name);
		r->bin = ib_xmalloc(4);
		r->bin_len = 4;
		ib_put_le32(r->bin, r->dword);
	} else if (tf & 1) {
		/* Binary data: REG_BINARY, or (type << 16) | 1 for any other type. */
		r->type = tf == 0x10001 ? IB_REG_DWORD : tf == 0x20001 ? IB_REG_NONE : tf == 1 ? IB_REG_BINARY : tf >> 16;
		r->bin = ib_xmalloc(nd ? nd : 1);
		for (size_t i = 0; i < nd; i++, r->bin_len++)
			if (parse_hex_byte(data[i], &r->bin[i]) < 0)
				return inf_fail(err, file, l->lineno, "bad hex byte '%s' in binary value %s", data[i],
						r->name);
		if (r->type == IB_REG_DWORD) {
			if (r->bin_len != 4)
				return inf_fail(err, file, l->lineno, "DWORD value %s needs 4 bytes, has %zu", r->name,
						r->bin_len);
			r->dword = ib_get_le32(r->bin);
		}
	} else {
		return inf_fail(err, file, l->lineno, "unknown AddReg value type in flags 0x%08X", r->flags);
	}
	return 0;
}

/* Append the records of every AddReg section named in the directive line l. */
static int add_regs(const struct ib_inf *inf, const struct inf_line *l, addreg_vec *out, struct ib_error *err)
{
	for (size_t k = 0; k < l->nf; k++) {
		if (!*l->f[k])
			continue;
		const struct inf_section *s = inf_find_section(inf, l->f[k]);
		if (!s)
			return inf_fail(err, inf->path, l->lineno, "AddReg section [%s] is missing", l->f[k]);
		for (size_t i = 0; i < s->lines.n; i++) {
			struct ib_inf_addreg r = { 0 };
			int rc = parse_addreg_line(inf, s->name, &s->lines.v[i], &r, err);
			IB_VEC_PUSH(*out, r);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static int section_addregs(const struct ib_inf *inf, const struct inf_section *s, addreg_vec *out,
			   struct ib_error *err)
{
	for (size_t i = 0; s && i < s->lines.n; i++)
		if (s->lines.v[i].key && !strcasecmp(s->lines.v[i].key, "AddReg") &&
		    add_regs(inf, &s->lines.v[i], out, err) < 0)
			return -1;
	return 0;
}

static void copyfile_clear(struct ib_inf_copyfile *c)
{
	free(c->section);
	free(c->dest);
	free(c->source);
	free(c->subdir);
	free(c->dest_dir);
	free(c->source_dir);
}

typedef IB_VEC(struct ib_inf_copyfile) copy_vec;

static const struct inf_line *source_entry(const struct ib_inf *inf, const char *arch, const char *name)
{
	const struct inf_section *cand[2] = { inf_find_sectionf(inf, "SourceDisksFiles.%s", arch),
					      inf_find_section(inf, "SourceDisksFiles") };
	for (int c = 0; c < 2; c++)
		for (size_t i = 0; cand[c] && i < cand[c]->lines.n; i++)
			if (cand[c]->lines.v[i].key && !strcasecmp(cand[c]->lines.v[i].key, name))
				return &cand[c]->lines.v[i];
	return NULL;
}

static char *join_dir(const char *a, const char *b)
{
	while (*a == '\\')
		a++;
	while (*b == '\\')
		b++;
	size_t al = strlen(a);
	while (al && a[al - 1] == '\\')
		al--;
	if (!al)
		return ib_xstrdup(b);
	if (!*b)
		return ib_xstrndup(a, al);
	return ib_xasprintf("%.*s\\%s", (int)al, a, b);
}

/* Fill destination and source of c (dest/source/section already set). */
static int place_file(const struct ib_inf *inf, const struct ib_inf_target *t, struct ib_inf_copyfile *c,
		      struct ib_error *err)
{
	const struct inf_destdir *dd = NULL;
	for (size_t i = 0; i < inf->destdirs.n && !dd; i++)
		if (c->section && inf->destdirs.v[i].section && !strcasecmp(inf->destdirs.v[i].section, c->section))
			dd = &inf->destdirs.v[i];
	for (size_t i = 0; i < inf->destdirs.n && !dd; i++)
		if (!inf->destdirs.v[i].section)
			dd = &inf->destdirs.v[i];
	c->dirid = dd ? dd->dirid : 11; /* setupapi's default destination is System32 */
	c->subdir = dd && dd->subdir ? ib_xstrdup(dd->subdir) : NULL;
	const char *base = ib_inf_dirid_path(c->dirid);
	if (c->dirid == -1)
		c->dest_dir = ib_xstrdup(c->subdir);
	else if (base)
		c->dest_dir = c->subdir ? ib_xasprintf("%s\\%s", base, c->subdir) : ib_xstrdup(base);
	const struct inf_line *src = source_entry(inf, t->arch, c->source);
	if (!src)
		return inf_fail(err, inf->path, c->line, "%s (CopyFiles %s%s%s) is not listed in [SourceDisksFiles]",
				c->source, c->section ? "section [" : "@", c->section ? c->section : c->source,
				c->section ? "]" : "");
	uint32_t disk = 0;
	inf_parse_u32(src->f[0], &disk); /* checked at load */
	c->disk = disk;
	const char *dpath = disk_path(inf, t->arch, disk);
	c->source_dir = join_dir(dpath ? dpath : "", src->nf > 1 ? src->f[1] : "");
	return 0;
}

static int add_copyfiles(const struct ib_inf *inf, const struct ib_inf_target *t, const struct inf_line *l,
			 copy_vec *out, struct ib_error *err)
{
	for (size_t k = 0; k < l->nf; k++) {
		const char *name = l->f[k];
		if (!*name)
			continue;
		if (name[0] == '@') {
			struct ib_inf_copyfile c = { .dest = ib_xstrdup(name + 1), .source = ib_xstrdup(name + 1),
						     .line = l->lineno };
			int rc = place_file(inf, t, &c, err);
			IB_VEC_PUSH(*out, c);
			if (rc < 0)
				return -1;
			continue;
		}
		const struct inf_section *s = inf_find_section(inf, name);
		if (!s)
			return inf_fail(err, inf->path, l->lineno, "CopyFiles section [%s] is missing", name);
		for (size_t i = 0; i < s->lines.n; i++) {
			const struct inf_line *fl = &s->lines.v[i];
			if (fl->key || !*fl->f[0])
				return inf_fail(err, inf->path, fl->lineno,
						"bad line in CopyFiles section [%s] (expected dest[,source[,,flags]])",
						s->name);
			struct ib_inf_copyfile c = { .section = ib_xstrdup(s->name), .dest = ib_xstrdup(fl->f[0]),
						     .source = ib_xstrdup(fl->nf > 1 && *fl->f[1] ? fl->f[1] : fl->f[0]),
						     .line = fl->lineno };
			int rc = 0;
			if (fl->nf > 3 && *fl->f[3] && !inf_parse_u32(fl->f[3], &c.flags))
				rc = inf_fail(err, inf->path, fl->lineno, "copy flags '%s' is not a number", fl->f[3]);
			if (!rc)
				rc = place_file(inf, t, &c, err);
			IB_VEC_PUSH(*out, c);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}

static void service_clear(struct ib_inf_service *s)
{
	free(s->name);
	free(s->section);
	free(s->eventlog_section);
	free(s->display_name);
	free(s->description);
	free(s->binary_raw);
	free(s->binary);
	free(s->load_order_group);
	for (size_t i = 0; i < s->n_dependencies; i++)
		free(s->dependencies[i]);
	free(s->dependencies);
	addregs_free(s->addreg, s->n_addreg);
	addregs_free(s->eventlog_addreg, s->n_eventlog_addreg);
}

/* "%12%\viostor.sys" -> 12 and "%SystemRoot%\System32\drivers\viostor.sys". */
static void expand_binary(struct ib_inf_service *s)
{
	const char *raw = s->binary_raw;
	s->binary_dirid = -1;
	size_t n = raw[0] == '%' ? strspn(raw + 1, "0123456789") : 0;
	if (n && n < 7 && raw[n + 1] == '%') {
		s->binary_dirid = atoi(raw + 1);
		const char *base = ib_inf_dirid_path(s->binary_dirid);
		if (base) {
			s->binary = ib_xasprintf("%s%s", base, raw + n + 2);
			return;
		}
	}
	s->binary = ib_xstrdup(raw);
}

static int parse_service(const struct ib_inf *inf, const struct inf_line *l, struct ib_inf_service *svc,
			 struct ib_error *err)
{
	const char *file = inf->path;
	svc->line = l->lineno;
	svc->name = ib_xstrdup(l->f[0]);
	if (l->nf > 1 && *l->f[1])
		inf_parse_u32(l->f[1], &svc->flags); /* checked at load */
	svc->binary_dirid = -1;
	if (l->nf > 3 && *l->f[3])
		svc->eventlog_section = ib_xstrdup(l->f[3]);
	if (l->nf < 3 || !*l->f[2])
		return 0; /* null driver: AddService = ,2 */
	const struct inf_section *s = inf_find_section(inf, l->f[2]);
	if (!s)
		return inf_fail(err, file, l->lineno, "service-install section [%s] named by AddService is missing",
				l->f[2]);
	svc->section = ib_xstrdup(s->name);
	struct {
		const char *key;
		uint32_t *dst, max;
		bool seen;
	} nums[] = { { "ServiceType", &svc->type, UINT32_MAX, false },
		     { "StartType", &svc->start, 4, false },
		     { "ErrorControl", &svc->error_control, 3, false } };
	addreg_vec regs = { 0 };
	int rc = 0;
	for (size_t i = 0; i < s->lines.n && !rc; i++) {
		const struct inf_line *sl = &s->lines.v[i];
		const char *k = sl->key, *v = sl->f[0];
		if (!k)
			continue;
		for (size_t n = 0; n < IB_ARRAY_SIZE(nums); n++) {
			if (strcasecmp(k, nums[n].key))
				continue;
			nums[n].seen = true;
			if (!inf_parse_u32(v, nums[n].dst))
				rc = inf_fail(err, file, sl->lineno, "%s '%s' is not a number", nums[n].key, v);
			else if (*nums[n].dst > nums[n].max)
				rc = inf_fail(err, file, sl->lineno, "%s %u is out of range (0-%u)", nums[n].key,
					      *nums[n].dst, nums[n].max);
		}
		char **str = !strcasecmp(k, "ServiceBinary")    ? &svc->binary_raw
			     : !strcasecmp(k, "DisplayName")    ? &svc->display_name
			     : !strcasecmp(k, "Description")    ? &svc->description
			     : !strcasecmp(k, "LoadOrderGroup") ? &svc->load_order_group
								: NULL;
		if (str && !*str)
			*str = ib_xstrdup(v);
		if (!strcasecmp(k, "Dependencies")) {
			svc->dependencies = ib_xrealloc(svc->dependencies,
							(svc->n_dependencies + sl->nf) * sizeof(char *));
			for (size_t f = 0; f < sl->nf; f++)
				if (*sl->f[f])
					svc->dependencies[svc->n_dependencies++] = ib_xstrdup(sl->f[f]);
		}
		if (!strcasecmp(k, "AddReg"))
			rc = add_regs(inf, sl, &regs, err);
	}
	svc->addreg = regs.v;
	svc->n_addreg = regs.n;
	if (rc < 0)
		return -1;
	for (size_t n = 0; n < IB_ARRAY_SIZE(nums); n++)
		if (!nums[n].seen)
			return inf_fail(err, file, s->lineno, "service-install section [%s] has no %s", s->name,
					nums[n].key);
	if (!svc->binary_raw)
		return inf_fail(err, file, s->lineno, "service-install section [%s] has no ServiceBinary", s->name);
	expand_binary(svc);
	if (svc->eventlog_section) {
		const struct inf_section *es = inf_find_section(inf, svc->eventlog_section);
		if (!es)
			return inf_fail(err, file, l->lineno, "event-log section [%s] named by AddService is missing",
					svc->eventlog_section);
		addreg_vec ev = { 0 };
		rc = section_addregs(inf, es, &ev, err);
		svc->eventlog_addreg = ev.v;
		svc->n_eventlog_addreg = ev.n;
	}
	return rc;
}

void ib_inf_install_free(struct ib_inf_install *ins)
{
	if (!ins)
		return;
	for (size_t i = 0; i < ins->n_files; i++)
		copyfile_clear(&ins->files[i]);
	free(ins->files);
	addregs_free(ins->addreg, ins->n_addreg);
	addregs_free(ins->hw_addreg, ins->n_hw_addreg);
	for (size_t i = 0; i < ins->n_services; i++)
		service_clear(&ins->services[i]);
	free(ins->services);
	free(ins->section);
	free(ins->services_section);
	free(ins->hw_section);
	free(ins);
}

int ib_inf_install_get(const struct ib_inf *inf, const struct ib_inf_target *t, const char *name,
		       struct ib_inf_install **out, struct ib_error *err)
{
	*out = NULL;
	if (!t || !t->arch)
		return ib_fail(err, IB_EXIT_INPUT, "%s: no target architecture", inf->path);
	const struct inf_section *s = inf_find_sectionf(inf, "%s.NT%s", name, t->arch);
	if (!s)
		s = inf_find_sectionf(inf, "%s.NT", name);
	if (!s)
		s = inf_find_section(inf, name);
	if (!s)
		return inf_fail(err, inf->path, 0,
				"install section [%s] has no variant for %s (looked for %s.NT%s, %s.NT, %s)",
				name, t->arch, name, t->arch, name, name);
	struct ib_inf_install *ins = ib_xcalloc(1, sizeof(*ins));
	ins->section = ib_xstrdup(s->name);
	ins->line = s->lineno;
	const struct inf_section *svcs = inf_find_sectionf(inf, "%s.Services", s->name);
	const struct inf_section *hw = inf_find_sectionf(inf, "%s.HW", s->name);
	ins->services_section = svcs ? ib_xstrdup(svcs->name) : NULL;
	ins->hw_section = hw ? ib_xstrdup(hw->name) : NULL;
	copy_vec files = { 0 };
	addreg_vec regs = { 0 }, hwregs = { 0 };
	IB_VEC(struct ib_inf_service) services = { 0 };
	int rc = 0;
	for (size_t i = 0; i < s->lines.n && !rc; i++) {
		const struct inf_line *l = &s->lines.v[i];
		if (l->key && !strcasecmp(l->key, "CopyFiles"))
			rc = add_copyfiles(inf, t, l, &files, err);
		else if (l->key && !strcasecmp(l->key, "AddReg"))
			rc = add_regs(inf, l, &regs, err);
	}
	if (!rc)
		rc = section_addregs(inf, hw, &hwregs, err);
	for (size_t i = 0; svcs && i < svcs->lines.n && !rc; i++) {
		const struct inf_line *l = &svcs->lines.v[i];
		if (!l->key || strcasecmp(l->key, "AddService"))
			continue;
		struct ib_inf_service svc = { 0 };
		rc = parse_service(inf, l, &svc, err);
		IB_VEC_PUSH(services, svc);
	}
	ins->files = files.v;
	ins->n_files = files.n;
	ins->addreg = regs.v;
	ins->n_addreg = regs.n;
	ins->hw_addreg = hwregs.v;
	ins->n_hw_addreg = hwregs.n;
	ins->services = services.v;
	ins->n_services = services.n;
	if (rc < 0) {
		ib_inf_install_free(ins);
		return -1;
	}
	*out = ins;
	return 0;
}
