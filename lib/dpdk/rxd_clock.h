/* SPDX-License-Identifier: MIT */
/*
 * The shell's clock: TSC cycles converted to nanoseconds since the shell
 * started.  The core only ever sees these ns values.
 */
#ifndef RXD_DPDK_CLOCK_H
#define RXD_DPDK_CLOCK_H

#include <stdint.h>

#include <rte_cycles.h>

struct rxd_clock {
	uint64_t tsc0;
	uint64_t mult; /* ns per cycle in 32.32 fixed point */
	uint64_t hz;
};

static inline void rxd_clock_init(struct rxd_clock *c)
{
	c->hz = rte_get_tsc_hz();
	if (c->hz == 0)
		c->hz = 1000000000ull;
	c->mult = (uint64_t)((1000000000ull << 32) / c->hz);
	c->tsc0 = rte_get_tsc_cycles();
}

/* 128-bit product: no overflow for centuries of uptime. */
static inline uint64_t rxd_clock_ns(const struct rxd_clock *c)
{
	uint64_t d = rte_get_tsc_cycles() - c->tsc0;
	__extension__ unsigned __int128 p = (unsigned __int128)d * c->mult;
	return (uint64_t)(p >> 32);
}

static inline uint64_t rxd_clock_cycles_of_ns(const struct rxd_clock *c, uint64_t ns)
{
	__extension__ unsigned __int128 p = (unsigned __int128)ns * c->hz;
	return (uint64_t)(p / 1000000000ull);
}

#endif
