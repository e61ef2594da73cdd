// SPDX-License-Identifier: GPL-2.0-or-later
/* A list of environment check results: each says what was found and, for a
 * warning or a failure, what to do about it. */
#include "platform.h"

#include <stdarg.h>

void ib_checks_add(struct ib_checks *c, const char *group, const char *name, enum ib_check_status st,
		   const char *remedy, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct ib_check k = {
		.group = ib_xstrdup(group),
		.name = ib_xstrdup(name),
		.status = st,
		.found = ib_xvasprintf(fmt, ap),
		.remedy = remedy ? ib_xstrdup(remedy) : NULL,
	};
	va_end(ap);
	IB_VEC_PUSH(c->list, k);
}

size_t ib_checks_count(const struct ib_checks *c, enum ib_check_status st)
{
	size_t n = 0;
	for (size_t i = 0; i < c->list.n; i++)
		n += c->list.v[i].status == st;
	return n;
}

const char *ib_check_status_name(enum ib_check_status st)
{
	switch (st) {
	case IB_CHECK_OK: return "ok";
	case IB_CHECK_WARN: return "warn";
	default: return "fail";
	}
}

char *ib_checks_failures(const struct ib_checks *c)
{
	struct ib_buf b = {0};
	for (size_t i = 0; i < c->list.n; i++) {
		const struct ib_check *k = &c->list.v[i];
		if (k->status != IB_CHECK_FAIL)
			continue;
		if (b.len)
			ib_buf_puts(&b, "\n");
		ib_buf_printf(&b, "  %s: %s", k->name, k->found);
		if (k->remedy)
			ib_buf_printf(&b, "; %s", k->remedy);
	}
	return ib_buf_steal(&b);
}

void ib_checks_free(struct ib_checks *c)
{
	for (size_t i = 0; i < c->list.n; i++) {
		free(c->list.v[i].group);
		free(c->list.v[i].name);
		free(c->list.v[i].found);
		free(c->list.v[i].remedy);
	}
	free(c->list.v);
	c->list.v = NULL;
	c->list.n = c->list.cap = 0;
}
