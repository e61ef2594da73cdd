// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixtures.h"

int ut_repo_dir(char *buf, size_t size, bool env_first)
{
	const char *src = getenv("IMGBUILD_SRCDIR");
	if (env_first && src) {
		snprintf(buf, size, "%s", src);
		return 0;
	}
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (int i = 0; i < 4; i++) {
		char *slash = strrchr(buf, '/');
		if (!slash) {
			snprintf(buf, size, ".");
			break;
		}
		*slash = '\0';
	}
	return 0;
}

void ut_shared_path(char *buf, size_t size, const char *rel)
{
	const char *shared = getenv("IMGBUILD_SHARED");
	const char *src = getenv("IMGBUILD_SRCDIR");
	if (shared && *shared)
		snprintf(buf, size, "%s/fixtures/%s", shared, rel);
	else
		snprintf(buf, size, "%s/../shared/fixtures/%s", src && *src ? src : ".", rel);
}

bool ut_fixture_present(const char *path, const char *what)
{
	if (access(path, R_OK) == 0)
		return true;
	printf("SKIP: %s not found at %s (set IMGBUILD_SHARED or IMGBUILD_SRCDIR)\n", what, path);
	return false;
}

bool ut_shared_fixture(char *buf, size_t size, const char *rel, const char *what)
{
	ut_shared_path(buf, size, rel);
	return ut_fixture_present(buf, what);
}
