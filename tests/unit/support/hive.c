// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "hive.h"
#include "spawn_capture.h"

const char *ut_hive_fixture_minimal(void)
{
	static char path[4096];
	return ut_shared_fixture(path, sizeof(path), "hives/minimal", "fixture hive") ? path : NULL;
}

bool ut_have_hivexget(void)
{
	char *p = ib_which("hivexget");
	if (!p) {
		printf("SKIP: hivexget is not installed (Debian package libhivex-bin); independent check not run\n");
		return false;
	}
	free(p);
	return true;
}

char *ut_hivexget_key(const char *hive, const char *key)
{
	const char *argv[] = { "hivexget", hive, key, NULL };
	return ut_spawn_capture_or_null(argv);
}

bool ut_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && memcmp(p, line, n) == 0)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}
