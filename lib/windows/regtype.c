// SPDX-License-Identifier: GPL-2.0-or-later
/* Registry value type names, for reports and for the recipe's type: key. */
#include "regtype.h"

#include <strings.h>

#include "core/util.h"

const char *ib_reg_type_name(enum ib_reg_type t)
{
	switch (t) {
	case IB_REG_NONE: return "REG_NONE";
	case IB_REG_SZ: return "REG_SZ";
	case IB_REG_EXPAND_SZ: return "REG_EXPAND_SZ";
	case IB_REG_BINARY: return "REG_BINARY";
	case IB_REG_DWORD: return "REG_DWORD";
	case IB_REG_MULTI_SZ: return "REG_MULTI_SZ";
	case IB_REG_QWORD: return "REG_QWORD";
	}
	return "REG_?";
}

int ib_win_reg_type_parse(const char *s, enum ib_reg_type *out)
{
	static const struct {
		const char *name;
		enum ib_reg_type type;
	} names[] = {
		{"sz", IB_REG_SZ},           {"string", IB_REG_SZ},     {"expand_sz", IB_REG_EXPAND_SZ},
		{"multi_sz", IB_REG_MULTI_SZ}, {"dword", IB_REG_DWORD}, {"qword", IB_REG_QWORD},
		{"binary", IB_REG_BINARY},   {"none", IB_REG_NONE},
	};
	if (!strncasecmp(s, "REG_", 4))
		s += 4;
	for (size_t i = 0; i < IB_ARRAY_SIZE(names); i++)
		if (!strcasecmp(s, names[i].name)) {
			*out = names[i].type;
			return 0;
		}
	return -1;
}
