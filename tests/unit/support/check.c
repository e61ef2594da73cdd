// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check.h"

void ut_ok(int r, const struct ib_error *err)
{
	if (r < 0)
		print_error("%s\n", err->msg);
	assert_true(r >= 0);
}
