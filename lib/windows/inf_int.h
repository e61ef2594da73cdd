// SPDX-License-Identifier: GPL-2.0-or-later
/* INF parser internals shared by inf_text.c, inf.c, inf_models.c,
 * inf_install.c and inf_describe.c. */
#pragma once

#include "inf.h"

/* One logical line (continuations joined): `key = f0, f1` or `f0, f1`. */
struct inf_line {
	unsigned lineno;
	char *key; /* NULL for value-only lines */
	char **f;
	size_t nf;
};

/* Sections of the same name are merged, as setupapi does. */
struct inf_section {
	char *name;
	unsigned lineno; /* first header */
	IB_VEC(struct inf_line) lines;
};

typedef IB_VEC(struct inf_section) inf_sections;

/* A [Manufacturer] decoration: NT[arch][.major[.minor[.ptype[.suite[.build]]]]]. */
struct inf_decor {
	char *text;
	char arch[16]; /* "" when none */
	long major, minor, ptype, build; /* -1 when absent */
	bool has_suite;
};

struct inf_mfg {
	char *name;
	char *models;
	IB_VEC(struct inf_decor) decors;
	unsigned line;
};

struct inf_destdir {
	char *section; /* NULL for DefaultDestDir */
	int dirid;
	char *subdir;
	unsigned line;
};

struct ib_inf {
	char *path;
	enum ib_inf_encoding enc;
	char *template_token;
	unsigned template_line;
	inf_sections sections;
	struct ib_inf_version version;
	IB_VEC(struct inf_mfg) mfgs;
	IB_VEC(struct inf_destdir) destdirs;
};

/* A build token found in the text (outside comments). */
struct inf_token {
	char tok[48];
	unsigned line;
};

/* inf_text.c */
int inf_text_decode(const char *file, const uint8_t *data, size_t len, char **out, enum ib_inf_encoding *enc,
		    struct ib_error *err);
/* Replace each define's token by its value (defines: NULL-terminated pairs). */
char *inf_text_apply_defines(const char *text, const char *const *defines);
/* Up to max distinct build tokens ($ARCH$, INX_*) in line order; returns the count. */
size_t inf_text_find_tokens(const char *text, struct inf_token *toks, size_t max);
int inf_text_parse(const char *file, const char *text, inf_sections *out, struct ib_error *err);
void inf_sections_free(inf_sections *s);

/* inf.c */
const struct inf_section *inf_find_section(const struct ib_inf *inf, const char *name);
const struct inf_section *inf_find_sectionf(const struct ib_inf *inf, const char *fmt, ...) IB_PRINTF(2, 3);
int inf_fail(struct ib_error *err, const char *file, unsigned line, const char *fmt, ...) IB_PRINTF(4, 5);
/* Parse an unsigned number (decimal or 0x hex) covering the whole string. */
bool inf_parse_u32(const char *s, uint32_t *v);
bool inf_parse_int(const char *s, long *v);
/* "NTamd64" for an arch. */
bool inf_arch_known(const char *arch);

/* inf_models.c */
int inf_parse_manufacturer(struct ib_inf *inf, const char *file, struct ib_error *err);
void inf_mfgs_free(struct ib_inf *inf);

/* inf_install.c */
int inf_parse_destdirs(struct ib_inf *inf, const char *file, struct ib_error *err);
int inf_check_sourcedisks(const struct ib_inf *inf, const char *file, struct ib_error *err);
void inf_destdirs_free(struct ib_inf *inf);
