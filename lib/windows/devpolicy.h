// SPDX-License-Identifier: GPL-2.0-or-later
/* Group Policy device-installation restrictions (SOFTWARE\Policies\Microsoft\
 * Windows\DeviceInstall\Restrictions): a policy that denies the storage
 * controller's class or ids keeps Windows from installing the boot driver,
 * and the machine stops with INACCESSIBLE_BOOT_DEVICE (0x7B), a cause
 * virt-v2v warns about. Read offline; Group Policy writes each list as a
 * subkey of the same name whose values are named "1", "2", ... */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/util.h"
#include "hive.h"

typedef IB_VEC(char *) ib_win_strlist;

struct ib_win_devpolicy {
	bool deny_all;         /* DenyAll: no device may be installed */
	bool deny_unspecified; /* DenyUnspecified: only what the allow lists name */
	ib_win_strlist deny_ids, deny_classes, allow_ids, allow_classes; /* enabled lists only */
};

int ib_win_devpolicy_read(struct ib_hive *software, struct ib_win_devpolicy *p, struct ib_error *err);
void ib_win_devpolicy_free(struct ib_win_devpolicy *p);

/* Why the policy keeps a device of this class (braced GUID, may be NULL)
 * with these hardware/compatible ids from being installed, or NULL when it
 * allows it. Malloc'd. Deny settings win over allow settings, as they do
 * unless the newer "apply layered order" policy is set. */
char *ib_win_devpolicy_blocks(const struct ib_win_devpolicy *p, const char *class_guid, const char *const *ids,
			      size_t n_ids);
