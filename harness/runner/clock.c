// SPDX-License-Identifier: GPL-2.0
/*
 * The two clocks of a truth record: CLOCK_MONOTONIC in ns (the sensor's
 * timestamps are on it) and CLOCK_REALTIME in us.
 */
#include "runner.h"

#include <time.h>

long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}
