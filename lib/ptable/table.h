// SPDX-License-Identifier: GPL-2.0-or-later
/* The kinds of partition table, for everything that needs only the kind
 * (the recipe model, the platform seam naming device nodes). */
#pragma once

enum ib_table { IB_TABLE_GPT = 0, IB_TABLE_MBR };
