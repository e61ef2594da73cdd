// SPDX-License-Identifier: GPL-2.0-or-later
#include "progress.h"

#include <time.h>

double ib_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
