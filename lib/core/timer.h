/* SPDX-License-Identifier: MIT */
/*
 * Hierarchical timer wheel: O(1) arm/cancel, amortised O(1) expiry.
 * Timers are embedded in their owners (call, conn, peer); no allocation.
 */
#ifndef RXD_CORE_TIMER_H
#define RXD_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define RXD_WHEEL_LEVELS 4
#define RXD_WHEEL_SLOTS 256
#define RXD_WHEEL_TICK_SHIFT 16 /* level 0 slot = 65.536 us */

struct rxd_timer;
typedef void (*rxd_timer_fn)(struct rxd_timer *t, uint64_t now);

struct rxd_timer {
	struct rxd_timer *next;
	struct rxd_timer **pprev; /* NULL when not pending */
	uint64_t expires;	  /* ns */
	rxd_timer_fn fn;
};

struct rxd_wheel {
	uint64_t now_tick; /* last tick processed (ns >> TICK_SHIFT) */
	uint32_t pending;  /* number of armed timers */
	struct rxd_timer *slots[RXD_WHEEL_LEVELS][RXD_WHEEL_SLOTS];
	struct rxd_timer *overflow; /* beyond the top level's reach */
	/* bit s of level l set <=> slots[l][s] non-empty: next()/run() skip empty slots */
	uint64_t bitmap[RXD_WHEEL_LEVELS][RXD_WHEEL_SLOTS / 64];
};

/** Initialise an empty wheel at time now. */
void rxd_wheel_init(struct rxd_wheel *w, uint64_t now);
/** Initialise a timer (not pending) with its callback. */
void rxd_timer_init(struct rxd_timer *t, rxd_timer_fn fn);
/** Arm (or re-arm) t to fire at expires (ns); a time in the past fires at the next run. */
void rxd_timer_arm(struct rxd_wheel *w, struct rxd_timer *t, uint64_t expires);
/** Cancel t if pending. */
void rxd_timer_cancel(struct rxd_wheel *w, struct rxd_timer *t);
static inline bool rxd_timer_pending(const struct rxd_timer *t)
{
	return t->pprev != 0;
}
/**
 * Earliest time at which rxd_wheel_run() may have work: never later than the
 * earliest armed timer's expiry (may be earlier at a cascade boundary);
 * UINT64_MAX when nothing is armed.
 */
uint64_t rxd_wheel_next(const struct rxd_wheel *w);
/**
 * Fire every timer with expires <= now, in order of expiry tick (no order within
 * a tick).  Callbacks may arm/cancel any timer; one armed from a callback for a
 * time <= now fires at the next run, so a self-re-arming timer cannot spin.
 * Work is bounded by the non-empty slots crossed, not by the time jumped.
 */
void rxd_wheel_run(struct rxd_wheel *w, uint64_t now);

#endif
