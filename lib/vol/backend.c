// SPDX-License-Identifier: GPL-2.0-or-later
#include "backend.h"

#include <string.h>

static const char *const names[] = {[IB_BACKEND_LIB] = "lib", [IB_BACKEND_MOUNT] = "mount",
				    [IB_BACKEND_GUESTFS] = "guestfs"};

int ib_backend_parse(const char *name, enum ib_backend *out)
{
	for (size_t i = 0; name && i < sizeof names / sizeof *names; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum ib_backend)i;
			return 0;
		}
	return -1;
}

const char *ib_backend_name(enum ib_backend b)
{
	return (size_t)b < sizeof names / sizeof *names ? names[b] : "?";
}
