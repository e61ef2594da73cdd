// SPDX-License-Identifier: GPL-2.0-or-later
/* Remedies for a missing program on illumos, in its own terms: the tools of
 * the base system live in /usr/sbin (an unprivileged user's PATH often lacks
 * it), everything else comes from IPS with pkg(1). Debian package names mean
 * nothing here. */
#include <string.h>

#include "core/spawn.h"
#include "core/util.h"
#include "platform/platform-int.h"

static const char *const base_system[] = {"modinfo", "lofiadm", "mount", "umount", "sync", "modload", "add_drv"};

static char *illumos_remedy(const char *prog)
{
	const char *base = strrchr(prog, '/');
	base = base ? base + 1 : prog;
	for (size_t i = 0; i < IB_ARRAY_SIZE(base_system); i++)
		if (!strcmp(base, base_system[i]))
			return ib_xasprintf("%s is part of the illumos base system in /usr/sbin: put /usr/sbin in PATH",
					    base);
	return ib_xasprintf("install the package that provides %s with pkg: `pkg search -r %s` names it "
			    "(on OmniOS many are in the extra repository, publisher extra.omnios)",
			    base, base);
}

const struct ib_pkg_system ib_illumos_pkg_system = {
	.name = "illumos",
	.install = "pkg install",
	.remedy = illumos_remedy,
};
