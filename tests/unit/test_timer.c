/* SPDX-License-Identifier: MIT */
/* Unit tests for the hierarchical timer wheel (lib/core/timer.c). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/timer.h"

#define US 1000ull
#define MS 1000000ull
#define SEC 1000000000ull
#define HOUR (3600 * SEC)
#define DAY (24 * HOUR)
#define TICK (1ull << RXD_WHEEL_TICK_SHIFT)

/* ------------------------------------------------------------------ helpers */

struct tt {
	struct rxd_timer t; /* first: a struct rxd_timer * is a struct tt * */
	int id;
	int fires;
	uint64_t fired_at;
	uint64_t rearm_delta; /* self re-arm to now + delta when nonzero */
	bool rearm_past;      /* self re-arm to now - 1 */
	struct tt *cancel_other;
	struct tt *arm_other;
	uint64_t arm_other_at;
};

static struct rxd_wheel wheel;
static int fire_log[100000];
static uint64_t fire_log_exp[100000];
static size_t fire_log_len;

static void on_fire(struct rxd_timer *t, uint64_t now)
{
	struct tt *x = (struct tt *)t;
	cr_assert(!rxd_timer_pending(t), "timer %d still pending inside its callback", x->id);
	cr_assert(t->expires <= now, "timer %d fired early: expires %llu now %llu", x->id,
		  (unsigned long long)t->expires, (unsigned long long)now);
	x->fires++;
	x->fired_at = now;
	if (fire_log_len < sizeof(fire_log) / sizeof(fire_log[0])) {
		fire_log_exp[fire_log_len] = t->expires;
		fire_log[fire_log_len++] = x->id;
	}
	if (x->cancel_other)
		rxd_timer_cancel(&wheel, &x->cancel_other->t);
	if (x->arm_other)
		rxd_timer_arm(&wheel, &x->arm_other->t, x->arm_other_at);
	if (x->rearm_delta)
		rxd_timer_arm(&wheel, t, now + x->rearm_delta);
	if (x->rearm_past)
		rxd_timer_arm(&wheel, t, now - 1);
}

static void tt_init(struct tt *x, int id)
{
	memset(x, 0, sizeof(*x));
	rxd_timer_init(&x->t, on_fire);
	x->id = id;
}

static void reset(uint64_t now)
{
	rxd_wheel_init(&wheel, now);
	fire_log_len = 0;
}

/* Drive the wheel the way a shell does until nothing is armed; returns iterations. */
static unsigned drain(uint64_t limit_iterations)
{
	unsigned n = 0;
	for (uint64_t t = rxd_wheel_next(&wheel); t != UINT64_MAX; t = rxd_wheel_next(&wheel)) {
		cr_assert(++n <= limit_iterations, "no progress after %u iterations", n);
		rxd_wheel_run(&wheel, t);
	}
	return n;
}

static uint64_t rng_state;
static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A delay spread over every level: uniform in [0, 2^k) with k uniform in [lo, hi]. */
static uint64_t rng_delay(unsigned lo, unsigned hi)
{
	unsigned k = lo + (unsigned)(rng() % (hi - lo + 1));
	return rng() & ((1ull << k) - 1);
}

/* ------------------------------------------------------------------ basics */

Test(timer, empty_wheel_has_no_next_and_runs_harmlessly)
{
	reset(12345);
	cr_assert_eq(rxd_wheel_next(&wheel), UINT64_MAX);
	rxd_wheel_run(&wheel, 10 * DAY);
	cr_assert_eq(rxd_wheel_next(&wheel), UINT64_MAX);
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, init_leaves_timer_not_pending)
{
	struct tt a;
	tt_init(&a, 1);
	cr_assert(!rxd_timer_pending(&a.t));
	reset(0);
	rxd_timer_cancel(&wheel, &a.t); /* cancelling an idle timer is a no-op */
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, next_is_exact_for_a_level0_timer)
{
	struct tt a, b;
	reset(5 * SEC + 17);
	tt_init(&a, 1);
	tt_init(&b, 2);
	rxd_timer_arm(&wheel, &a.t, 5 * SEC + 17 + 123456);
	rxd_timer_arm(&wheel, &b.t, 5 * SEC + 17 + 123457); /* same tick, 1 ns later */
	cr_assert_eq(rxd_wheel_next(&wheel), 5 * SEC + 17 + 123456);
	rxd_wheel_run(&wheel, 5 * SEC + 17 + 123456);
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(b.fires, 0, "a timer later in the same tick must wait");
	cr_assert_eq(rxd_wheel_next(&wheel), 5 * SEC + 17 + 123457);
	rxd_wheel_run(&wheel, 5 * SEC + 17 + 123457);
	cr_assert_eq(b.fires, 1);
	cr_assert_eq(rxd_wheel_next(&wheel), UINT64_MAX);
}

Test(timer, never_fires_before_expiry_at_any_level)
{
	/* One timer per scale from 1 ns to ~2 days; run just before, then at, each expiry. */
	static struct tt x[48];
	reset(0);
	for (int i = 0; i < 48; i++) {
		tt_init(&x[i], i);
		rxd_timer_arm(&wheel, &x[i].t, (1ull << i) + (uint64_t)i);
	}
	for (int i = 0; i < 48; i++) {
		uint64_t e = (1ull << i) + (uint64_t)i;
		rxd_wheel_run(&wheel, e - 1);
		cr_assert_eq(x[i].fires, 0, "timer %d fired at %llu before %llu", i, (unsigned long long)(e - 1),
			     (unsigned long long)e);
		rxd_wheel_run(&wheel, e);
		cr_assert_eq(x[i].fires, 1, "timer %d did not fire at its expiry", i);
		cr_assert_eq(x[i].fired_at, e);
	}
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, next_driven_loop_fires_in_expiry_order)
{
	static struct tt x[3000];
	reset(1 * SEC);
	rng_state = 42;
	for (int i = 0; i < 3000; i++) {
		tt_init(&x[i], i);
		rxd_timer_arm(&wheel, &x[i].t, 1 * SEC + rng_delay(4, 44));
	}
	drain(100000);
	cr_assert_eq(fire_log_len, 3000);
	for (size_t i = 1; i < fire_log_len; i++)
		cr_assert(fire_log_exp[i - 1] <= fire_log_exp[i], "fire %zu (expires %llu) after one expiring %llu", i,
			  (unsigned long long)fire_log_exp[i], (unsigned long long)fire_log_exp[i - 1]);
	for (int i = 0; i < 3000; i++) {
		cr_assert_eq(x[i].fires, 1);
		cr_assert_eq(x[i].fired_at, x[i].t.expires, "driven by next(), every timer fires at its exact expiry");
	}
}

Test(timer, past_expiry_fires_at_next_run)
{
	struct tt a;
	reset(10 * MS);
	rxd_wheel_run(&wheel, 10 * MS);
	tt_init(&a, 1);
	rxd_timer_arm(&wheel, &a.t, 3 * MS);
	cr_assert(rxd_wheel_next(&wheel) <= 10 * MS);
	rxd_wheel_run(&wheel, 10 * MS);
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(a.fired_at, 10 * MS);
}

Test(timer, run_with_an_earlier_time_fires_only_what_is_due)
{
	struct tt a;
	reset(0);
	rxd_wheel_run(&wheel, 10 * MS);
	tt_init(&a, 1);
	rxd_timer_arm(&wheel, &a.t, 5 * MS); /* in the wheel's past */
	rxd_wheel_run(&wheel, 4 * MS);	     /* clock stepped back: 5 ms is not due at 4 ms */
	cr_assert_eq(a.fires, 0);
	rxd_wheel_run(&wheel, 6 * MS);
	cr_assert_eq(a.fires, 1);
}

/* ------------------------------------------------------------------ cancel */

Test(timer, cancel_prevents_firing_and_updates_next)
{
	struct tt a, b;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	rxd_timer_arm(&wheel, &a.t, 1 * MS);
	rxd_timer_arm(&wheel, &b.t, 2 * MS);
	cr_assert_eq(wheel.pending, 2);
	cr_assert_eq(rxd_wheel_next(&wheel), 1 * MS);
	rxd_timer_cancel(&wheel, &a.t);
	cr_assert(!rxd_timer_pending(&a.t));
	cr_assert_eq(wheel.pending, 1);
	cr_assert_eq(rxd_wheel_next(&wheel), 2 * MS, "the cancelled timer's slot must no longer count");
	rxd_timer_cancel(&wheel, &a.t); /* twice is harmless */
	cr_assert_eq(wheel.pending, 1);
	rxd_wheel_run(&wheel, 3 * MS);
	cr_assert_eq(a.fires, 0);
	cr_assert_eq(b.fires, 1);
}

Test(timer, cancel_of_a_higher_level_timer_moves_next_forward)
{
	struct tt a, b;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	rxd_timer_arm(&wheel, &a.t, 30 * MS); /* level 1: 30 ms > 256 ticks */
	rxd_timer_arm(&wheel, &b.t, 40 * MS);
	uint64_t n1 = rxd_wheel_next(&wheel);
	cr_assert(n1 > 0 && n1 <= 30 * MS);
	rxd_timer_cancel(&wheel, &a.t);
	uint64_t n2 = rxd_wheel_next(&wheel);
	cr_assert(n2 > 30 * MS && n2 <= 40 * MS, "next %llu", (unsigned long long)n2);
	drain(10);
	cr_assert_eq(a.fires, 0);
	cr_assert_eq(b.fires, 1);
	cr_assert_eq(b.fired_at, 40 * MS);
}

Test(timer, cancel_middle_and_head_of_a_shared_slot)
{
	struct tt x[5];
	reset(0);
	for (int i = 0; i < 5; i++) {
		tt_init(&x[i], i);
		rxd_timer_arm(&wheel, &x[i].t, 100 * US + (uint64_t)i); /* all in one tick */
	}
	rxd_timer_cancel(&wheel, &x[2].t);
	rxd_timer_cancel(&wheel, &x[4].t); /* the list head (last armed) */
	rxd_timer_cancel(&wheel, &x[0].t); /* the tail */
	rxd_wheel_run(&wheel, 1 * MS);
	cr_assert_eq(x[0].fires + x[2].fires + x[4].fires, 0);
	cr_assert_eq(x[1].fires, 1);
	cr_assert_eq(x[3].fires, 1);
	cr_assert_eq(wheel.pending, 0);
	cr_assert_eq(rxd_wheel_next(&wheel), UINT64_MAX);
}

Test(timer, rearm_moves_a_pending_timer)
{
	struct tt a;
	reset(0);
	tt_init(&a, 1);
	rxd_timer_arm(&wheel, &a.t, 5 * SEC);
	rxd_timer_arm(&wheel, &a.t, 2 * MS);
	cr_assert_eq(wheel.pending, 1);
	cr_assert_eq(rxd_wheel_next(&wheel), 2 * MS);
	rxd_timer_arm(&wheel, &a.t, 7 * SEC);
	rxd_wheel_run(&wheel, 6 * SEC);
	cr_assert_eq(a.fires, 0);
	drain(10);
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(a.fired_at, 7 * SEC);
}

/* ------------------------------------------------------------------ callbacks */

Test(timer, periodic_timer_rearms_itself_from_callback)
{
	struct tt a;
	reset(0);
	tt_init(&a, 1);
	a.rearm_delta = 1 * MS;
	rxd_timer_arm(&wheel, &a.t, 1 * MS);
	uint64_t last_exp = 1 * MS;
	int fires = 0;
	for (uint64_t now = 0; now <= 1 * SEC; now += 100 * US) {
		rxd_wheel_run(&wheel, now);
		if (a.fires != fires) {
			cr_assert_eq(a.fires, fires + 1, "fired twice in one run");
			cr_assert(now >= last_exp && now < last_exp + 100 * US, "fired at %llu for %llu",
				  (unsigned long long)now, (unsigned long long)last_exp);
			fires = a.fires;
			last_exp = a.t.expires;
		}
	}
	cr_assert_eq(a.fires, 1000);
	cr_assert(rxd_timer_pending(&a.t));
}

Test(timer, self_rearm_in_the_past_fires_once_per_run)
{
	struct tt a;
	reset(1 * SEC);
	tt_init(&a, 1);
	a.rearm_past = true;
	rxd_timer_arm(&wheel, &a.t, 1 * SEC + 1 * MS);
	rxd_wheel_run(&wheel, 2 * SEC); /* must return */
	cr_assert_eq(a.fires, 1);
	cr_assert(rxd_timer_pending(&a.t));
	cr_assert(rxd_wheel_next(&wheel) <= 2 * SEC, "a due timer is reported as due");
	rxd_wheel_run(&wheel, 2 * SEC);
	cr_assert_eq(a.fires, 2);
}

Test(timer, callback_cancels_a_due_timer_in_the_same_slot)
{
	struct tt a, b;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	a.cancel_other = &b;
	b.cancel_other = &a;
	rxd_timer_arm(&wheel, &a.t, 500 * US);
	rxd_timer_arm(&wheel, &b.t, 500 * US);
	rxd_wheel_run(&wheel, 1 * MS);
	cr_assert_eq(a.fires + b.fires, 1, "whichever fires first cancels the other");
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, callback_cancels_due_timers_found_across_levels_in_one_jump)
{
	/* a fires first (earlier tick); b and c are due in the same run but were collected from
	 * level 2 and the overflow list. */
	struct tt a, b, c, d;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	tt_init(&c, 3);
	tt_init(&d, 4);
	a.cancel_other = &b;
	a.arm_other = &c;
	a.arm_other_at = 30 * DAY; /* moved into the future: must not fire now */
	rxd_timer_arm(&wheel, &a.t, 1 * MS);
	rxd_timer_arm(&wheel, &b.t, 2 * SEC);
	rxd_timer_arm(&wheel, &c.t, 5 * DAY);
	rxd_timer_arm(&wheel, &d.t, 6 * DAY);
	rxd_wheel_run(&wheel, 7 * DAY);
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(b.fires, 0);
	cr_assert_eq(c.fires, 0);
	cr_assert_eq(d.fires, 1);
	cr_assert(rxd_timer_pending(&c.t));
	cr_assert_eq(wheel.pending, 1);
	cr_assert_eq(rxd_wheel_next(&wheel) <= 30 * DAY, true);
	drain(20);
	cr_assert_eq(c.fires, 1);
	cr_assert_eq(c.fired_at, 30 * DAY);
}

Test(timer, callback_arms_another_timer_in_the_slot_being_processed)
{
	struct tt a, b, c;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	tt_init(&c, 3);
	a.arm_other = &b;
	a.arm_other_at = 200 * US; /* == now: same slot as a */
	a.cancel_other = &c;	   /* c is in that slot too and still pending */
	rxd_timer_arm(&wheel, &c.t, 200 * US + 5);
	rxd_timer_arm(&wheel, &a.t, 200 * US);
	rxd_wheel_run(&wheel, 200 * US);
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(c.fires, 0);
	cr_assert_eq(b.fires, 0, "armed by a callback for <= now: fires at the next run");
	cr_assert_eq(rxd_wheel_next(&wheel), 200 * US);
	rxd_wheel_run(&wheel, 200 * US);
	cr_assert_eq(b.fires, 1);
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, callback_rearms_another_due_timer_so_it_fires_once_later)
{
	struct tt a, b;
	reset(0);
	tt_init(&a, 1);
	tt_init(&b, 2);
	rxd_timer_arm(&wheel, &a.t, 1 * MS);
	rxd_timer_arm(&wheel, &b.t, 2 * MS);
	a.arm_other = &b;
	a.arm_other_at = 9 * MS;
	rxd_wheel_run(&wheel, 5 * MS); /* both due; a runs first and pushes b out */
	cr_assert_eq(a.fires, 1);
	cr_assert_eq(b.fires, 0);
	rxd_wheel_run(&wheel, 9 * MS);
	cr_assert_eq(b.fires, 1);
	cr_assert_eq(b.fired_at, 9 * MS);
}

/* ------------------------------------------------------------------ jumps and reach */

static double elapsed_s(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

Test(timer, huge_clock_jump_fires_everything_without_walking_ticks)
{
	struct tt x[6];
	const uint64_t exp[6] = {1 * SEC, 1 * HOUR, 4 * DAY, 365 * DAY, 1ull << 60, UINT64_MAX - 1};
	struct timespec t0;
	reset(0);
	for (int i = 0; i < 6; i++) {
		tt_init(&x[i], i);
		rxd_timer_arm(&wheel, &x[i].t, exp[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rxd_wheel_run(&wheel, 1ull << 61);
	/* Walking ticks would take 2^45 steps; visiting slots takes microseconds. */
	cr_assert(elapsed_s(&t0) < 0.5, "jump took %.3f s", elapsed_s(&t0));
	for (int i = 0; i < 5; i++)
		cr_assert_eq(x[i].fires, 1, "timer %d", i);
	cr_assert_eq(x[5].fires, 0);
	cr_assert_eq(fire_log_len, 5);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(fire_log[i], i, "fired in expiry order");
	rxd_wheel_run(&wheel, UINT64_MAX);
	cr_assert_eq(x[5].fires, 1);
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, next_loop_reaches_far_timers_in_few_steps)
{
	struct tt a, b;
	reset(3 * SEC);
	tt_init(&a, 1);
	tt_init(&b, 2);
	rxd_timer_arm(&wheel, &a.t, 3 * SEC + 400 * DAY); /* beyond the top level: overflow */
	rxd_timer_arm(&wheel, &b.t, UINT64_MAX - 1);
	uint64_t n = rxd_wheel_next(&wheel);
	cr_assert(n > 3 * SEC && n <= 3 * SEC + 400 * DAY);
	unsigned it = drain(12);
	cr_assert(it <= 12, "took %u iterations", it);
	cr_assert_eq(a.fired_at, 3 * SEC + 400 * DAY);
	cr_assert_eq(b.fired_at, UINT64_MAX - 1);
}

Test(timer, timer_just_across_the_top_level_boundary)
{
	/* The wheel sits one tick before a 2^32-tick block boundary; the timer is 2 ticks away
	 * but in the next block, so it starts in the overflow list. */
	const uint64_t start = ((1ull << 32) - 1) << RXD_WHEEL_TICK_SHIFT;
	struct tt a;
	reset(start);
	tt_init(&a, 1);
	rxd_timer_arm(&wheel, &a.t, start + 2 * TICK + 7);
	uint64_t n = rxd_wheel_next(&wheel);
	cr_assert(n > start && n <= start + 2 * TICK + 7);
	rxd_wheel_run(&wheel, start + 2 * TICK + 6);
	cr_assert_eq(a.fires, 0);
	cr_assert_eq(rxd_wheel_next(&wheel), start + 2 * TICK + 7, "back in level 0 after the boundary");
	rxd_wheel_run(&wheel, start + 2 * TICK + 7);
	cr_assert_eq(a.fires, 1);
}

Test(timer, stopping_just_inside_an_overflow_timers_block_keeps_it_visible)
{
	/* x starts in the overflow list (next 2^32-tick block).  The clock then stops inside
	 * that block but before x, and y is armed after x: x must still come first. */
	const uint64_t block = 1ull << (32 + RXD_WHEEL_TICK_SHIFT);
	struct tt x, y;
	reset(0);
	tt_init(&x, 1);
	tt_init(&y, 2);
	rxd_timer_arm(&wheel, &x.t, block + 5 * TICK);
	rxd_wheel_run(&wheel, block + 1 * TICK);
	cr_assert_eq(x.fires, 0);
	rxd_timer_arm(&wheel, &y.t, block + 1000 * TICK);
	cr_assert(rxd_wheel_next(&wheel) <= block + 5 * TICK);
	drain(10);
	cr_assert_eq(fire_log_len, 2);
	cr_assert_eq(fire_log[0], 1);
	cr_assert_eq(x.fired_at, block + 5 * TICK);
	cr_assert_eq(y.fired_at, block + 1000 * TICK);
}

Test(timer, cascade_boundaries_of_every_level)
{
	/* Timers exactly at and around the first slot boundary of each level. */
	static struct tt x[4][3];
	reset(0);
	for (int l = 0; l < 4; l++)
		for (int k = 0; k < 3; k++) {
			tt_init(&x[l][k], l * 3 + k);
			uint64_t b = (1ull << (8 * (l + 1))) * TICK;
			rxd_timer_arm(&wheel, &x[l][k].t, b - 1 + (uint64_t)k); /* b-1, b, b+1 */
		}
	drain(200);
	for (int l = 0; l < 4; l++)
		for (int k = 0; k < 3; k++) {
			uint64_t b = (1ull << (8 * (l + 1))) * TICK;
			cr_assert_eq(x[l][k].fires, 1);
			cr_assert_eq(x[l][k].fired_at, b - 1 + (uint64_t)k, "level %d timer %d", l, k);
		}
}

/* ------------------------------------------------------------------ randomized reference model */

#define NR 4000

struct model {
	bool armed[NR];
	uint64_t exp[NR];
	bool armed_in_run[NR];
	uint64_t last_run;
	unsigned fires;
};

static struct model M;
static struct tt R[NR];

static void model_arm(int i, uint64_t when, bool in_run)
{
	rxd_timer_arm(&wheel, &R[i].t, when);
	M.armed[i] = true;
	M.exp[i] = when;
	M.armed_in_run[i] = in_run;
}

static uint64_t rand_when(uint64_t now)
{
	switch (rng() % 8) {
	case 0:
		return now > 1000 ? now - rng() % 1000 : 0; /* in the past */
	case 1:
		return now;
	default:
		return now + rng_delay(4, 48);
	}
}

static void on_random_fire(struct rxd_timer *t, uint64_t now)
{
	int i = ((struct tt *)t)->id;
	cr_assert(M.armed[i], "timer %d fired but was not armed (double fire or fired after cancel)", i);
	cr_assert_eq(t->expires, M.exp[i]);
	cr_assert(M.exp[i] <= now, "timer %d fired early", i);
	M.armed[i] = false;
	M.fires++;
	uint64_t r = rng() % 10;
	if (r < 3) {
		model_arm(i, rand_when(now), true);
	} else if (r < 5) {
		int j = (int)(rng() % NR);
		rxd_timer_cancel(&wheel, &R[j].t);
		M.armed[j] = false;
	} else if (r < 7) {
		int j = (int)(rng() % NR);
		model_arm(j, rand_when(now), true);
	}
}

static void check_after_run(uint64_t now)
{
	unsigned pending = 0;
	for (int i = 0; i < NR; i++) {
		cr_assert_eq(rxd_timer_pending(&R[i].t), M.armed[i], "timer %d pending state", i);
		if (!M.armed[i])
			continue;
		pending++;
		if (!M.armed_in_run[i])
			cr_assert(M.exp[i] > now, "timer %d due at %llu not fired by run(%llu)", i,
				  (unsigned long long)M.exp[i], (unsigned long long)now);
		M.armed_in_run[i] = false;
	}
	cr_assert_eq(wheel.pending, pending);
}

static void random_run(uint64_t seed)
{
	rng_state = seed;
	memset(&M, 0, sizeof(M));
	uint64_t now = rng() >> 20; /* a random start, years into the clock */
	reset(now);
	M.last_run = now;
	for (int i = 0; i < NR; i++) {
		tt_init(&R[i], i);
		R[i].t.fn = on_random_fire;
		if (rng() % 4)
			model_arm(i, now + rng_delay(0, 48), false);
	}
	unsigned iterations = 0;
	for (;;) {
		uint64_t ref = UINT64_MAX;
		for (int i = 0; i < NR; i++)
			if (M.armed[i] && M.exp[i] < ref)
				ref = M.exp[i];
		uint64_t next = rxd_wheel_next(&wheel);
		if (ref == UINT64_MAX) {
			cr_assert_eq(next, UINT64_MAX);
			break;
		}
		cr_assert(next <= ref, "next %llu after the earliest expiry %llu", (unsigned long long)next,
			  (unsigned long long)ref);
		if (ref > M.last_run)
			cr_assert(next > M.last_run, "next %llu does not progress past %llu", (unsigned long long)next,
				  (unsigned long long)M.last_run);
		/* Mostly follow next(); sometimes jump further, sometimes run early. */
		uint64_t when = next;
		switch (rng() % 8) {
		case 0:
			when = next + rng_delay(0, 44);
			break;
		case 1:
			if (next > M.last_run)
				when = M.last_run + (next - M.last_run) / 2;
			break;
		}
		rxd_wheel_run(&wheel, when);
		if (when > M.last_run)
			M.last_run = when;
		check_after_run(when);
		cr_assert(++iterations < 200000, "the next/run loop does not terminate");
		if (iterations % 512 == 0) /* keep the population up for a while */
			for (int k = 0; k < 64 && iterations < 20000; k++)
				model_arm((int)(rng() % NR), M.last_run + rng_delay(0, 48), false);
	}
	cr_assert(M.fires >= NR / 2, "only %u fires", M.fires);
	cr_assert_eq(wheel.pending, 0);
}

Test(timer, randomized_next_and_run_match_a_brute_force_model)
{
	for (uint64_t seed = 1; seed <= 6; seed++)
		random_run(seed * 0x1234567ull);
}
