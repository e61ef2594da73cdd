// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "core/spawn.h"
#include "core/util.h"
#include "spawn_capture.h"

char *ut_spawn_capture(const char *const *argv)
{
	struct ib_spawn_opts opts = { .capture_stdout = true, .stdin_fd = -1 };
	struct ib_spawn_result res = { 0 };
	struct ib_error err = { 0 };
	int r = ib_spawn(argv, &opts, &res, &err);
	if (r < 0)
		print_error("%s failed: %s\n", argv[0], err.msg ? err.msg : "?");
	assert_int_equal(r, 0);
	char *out = TAKE_PTR(res.out);
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
	assert_non_null(out);
	return out;
}

char *ut_spawn_capture_or_null(const char *const *argv)
{
	struct ib_spawn_opts opts = { .capture_stdout = true, .stdin_fd = -1 };
	struct ib_spawn_result res = { 0 };
	struct ib_error err = { 0 };
	char *out = NULL;
	if (ib_spawn(argv, &opts, &res, &err) == 0)
		out = TAKE_PTR(res.out);
	ib_spawn_result_free(&res);
	ib_error_clear(&err);
	return out;
}

int ut_spawn_quiet(const char *const *argv)
{
	struct ib_error err = { 0 };
	int r = ib_spawn(argv, NULL, NULL, &err);
	if (r < 0)
		print_error("%s\n", err.msg);
	ib_error_clear(&err);
	return r;
}

bool ut_have_tools(const char *const *progs, const char *not_run)
{
	for (; *progs; progs++) {
		char *p = ib_which(*progs);
		free(p);
		if (!p) {
			printf("SKIP: %s is not installed%s%s\n", *progs, not_run ? "; " : "", not_run ? not_run : "");
			return false;
		}
	}
	return true;
}

bool ut_have_tool(const char *prog, const char *not_run)
{
	const char *progs[] = { prog, NULL };
	return ut_have_tools(progs, not_run);
}
