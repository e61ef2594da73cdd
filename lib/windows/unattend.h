// SPDX-License-Identifier: GPL-2.0-or-later
/* An answer file (unattend.xml) checked before anything is written: well-
 * formed XML (libxml2), root element `unattend` in the
 * urn:schemas-microsoft-com:unattend namespace, every `settings` element a
 * configuration pass Windows knows. */
#pragma once

#include "core/error.h"

/* 0 and *passes ("specialize, oobeSystem", in file order, owned), or -1:
 * exit 2 naming the file and the line. */
int ib_unattend_check(const char *path, const char *shown, char **passes, struct ib_error *err);
