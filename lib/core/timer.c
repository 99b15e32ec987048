/* SPDX-License-Identifier: MIT */
/*
 * Hierarchical timer wheel.
 *
 * Time is counted in ticks of 2^RXD_WHEEL_TICK_SHIFT ns.  A timer due at
 * tick et is kept at the level of the highest byte in which et differs from
 * the wheel's current tick (now_tick), in the slot named by that byte of et:
 *
 *   level 0: et in now_tick's 256-tick block        slot = et & 0xff
 *   level l: et in now_tick's 2^(8(l+1))-tick block  slot = (et >> 8l) & 0xff
 *   overflow: et beyond now_tick's 2^32-tick block (about 3.3 days)
 *
 * So a level-0 slot holds timers of a single tick, and every timer in slot s
 * of level l >= 1 becomes due inside the block that starts when the wheel
 * reaches that slot; at that moment the slot is re-slotted into lower levels
 * (a cascade).  Slots at or before the current index of their level are
 * empty, except level 0's current slot, which holds timers due later in the
 * current tick and timers armed in the past.
 *
 * rxd_wheel_run() first moves every due timer onto a private list while
 * advancing the clock from one non-empty slot to the next (found with the
 * per-level bitmaps, so a jump of hours costs only the slots that hold
 * timers), then fires that list.  Callbacks therefore never see a
 * half-processed slot, may arm or cancel anything, and a timer they arm for
 * a time <= now fires at the next run, not this one, so a timer that re-arms
 * itself in the past cannot loop forever.
 */
#include <stddef.h>
#include <string.h>

#include "core/timer.h"

#define LEVEL_BITS 8
#define SLOT_MASK (RXD_WHEEL_SLOTS - 1u)
#define WORDS (RXD_WHEEL_SLOTS / 64)
#define NO_SLOT (-1)
#define EVENT_OVERFLOW RXD_WHEEL_LEVELS
/* ticks covered by levels 0..l together: 2^(8(l+1)) */
#define SPAN_SHIFT(l) (LEVEL_BITS * ((l) + 1))
#define REACH_SHIFT SPAN_SHIFT(RXD_WHEEL_LEVELS - 1)

_Static_assert(RXD_WHEEL_SLOTS == 1u << LEVEL_BITS, "slot index is one byte of the tick");
_Static_assert(RXD_WHEEL_SLOTS % 64 == 0, "bitmap words");
_Static_assert(REACH_SHIFT < 64, "wheel reach fits a tick count");

static inline uint64_t to_tick(uint64_t ns)
{
	return ns >> RXD_WHEEL_TICK_SHIFT;
}

static inline unsigned slot_of(uint64_t tick, unsigned level)
{
	return (unsigned)(tick >> (LEVEL_BITS * level)) & SLOT_MASK;
}

static inline void bit_set(struct rxd_wheel *w, unsigned level, unsigned slot)
{
	w->bitmap[level][slot / 64] |= 1ull << (slot % 64);
}

static inline void bit_clear(struct rxd_wheel *w, unsigned level, unsigned slot)
{
	w->bitmap[level][slot / 64] &= ~(1ull << (slot % 64));
}

/* First non-empty slot of a level with index >= from, or NO_SLOT. */
static int find_slot(const uint64_t bm[WORDS], unsigned from)
{
	if (from >= RXD_WHEEL_SLOTS)
		return NO_SLOT;
	unsigned word = from / 64;
	uint64_t bits = bm[word] & (~0ull << (from % 64));
	for (;;) {
		if (bits)
			return (int)(word * 64 + (unsigned)__builtin_ctzll(bits));
		if (++word == WORDS)
			return NO_SLOT;
		bits = bm[word];
	}
}

static inline void link_head(struct rxd_timer **head, struct rxd_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

/* File t where it belongs relative to w->now_tick; due ticks go to the current slot. */
static void place(struct rxd_wheel *w, struct rxd_timer *t)
{
	uint64_t et = to_tick(t->expires);
	if (et < w->now_tick)
		et = w->now_tick;
	uint64_t diff = et ^ w->now_tick;
	unsigned level = 0;
	while (level < RXD_WHEEL_LEVELS && (diff >> SPAN_SHIFT(level)) != 0)
		level++;
	if (level == RXD_WHEEL_LEVELS) {
		link_head(&w->overflow, t);
		return;
	}
	unsigned slot = slot_of(et, level);
	link_head(&w->slots[level][slot], t);
	bit_set(w, level, slot);
}

/* Take a whole slot's list out of the wheel. */
static struct rxd_timer *detach_slot(struct rxd_wheel *w, unsigned level, unsigned slot)
{
	struct rxd_timer *list = w->slots[level][slot];
	w->slots[level][slot] = NULL;
	bit_clear(w, level, slot);
	return list;
}

/* Unlink t from whatever list holds it, keeping the slot bitmap exact. */
static void unlink_timer(struct rxd_wheel *w, struct rxd_timer *t)
{
	struct rxd_timer **pp = t->pprev;
	*pp = t->next;
	if (t->next)
		t->next->pprev = pp;
	t->next = NULL;
	t->pprev = NULL;

	/* pprev is a slot head only when t was first in its slot. */
	uintptr_t a = (uintptr_t)pp;
	uintptr_t base = (uintptr_t)&w->slots[0][0];
	uintptr_t end = base + sizeof(w->slots);
	if (a >= base && a < end && *pp == NULL) {
		size_t i = (a - base) / sizeof(*pp);
		bit_clear(w, (unsigned)(i / RXD_WHEEL_SLOTS), (unsigned)(i % RXD_WHEEL_SLOTS));
	}
}

void rxd_wheel_init(struct rxd_wheel *w, uint64_t now)
{
	memset(w, 0, sizeof(*w));
	w->now_tick = to_tick(now);
}

void rxd_timer_init(struct rxd_timer *t, rxd_timer_fn fn)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expires = 0;
	t->fn = fn;
}

void rxd_timer_arm(struct rxd_wheel *w, struct rxd_timer *t, uint64_t expires)
{
	if (t->pprev)
		unlink_timer(w, t);
	else
		w->pending++;
	t->expires = expires;
	place(w, t);
}

void rxd_timer_cancel(struct rxd_wheel *w, struct rxd_timer *t)
{
	if (!t->pprev)
		return;
	unlink_timer(w, t);
	w->pending--;
}

static uint64_t min_expires(const struct rxd_timer *t)
{
	uint64_t m = UINT64_MAX;
	for (; t; t = t->next)
		if (t->expires < m)
			m = t->expires;
	return m;
}

/*
 * The next tick > now_tick at which a slot of level >= 1 must cascade or a
 * level-0 slot falls due; *level says which (EVENT_OVERFLOW for the overflow
 * list).  Lower levels' events always come first: level l's next slot lies
 * inside the current block of level l+1.  Returns false when nothing lies
 * ahead.
 */
static bool next_event(const struct rxd_wheel *w, uint64_t *tick, unsigned *level)
{
	for (unsigned l = 0; l < RXD_WHEEL_LEVELS; l++) {
		int s = find_slot(w->bitmap[l], slot_of(w->now_tick, l) + 1);
		if (s == NO_SLOT)
			continue;
		uint64_t block = w->now_tick >> SPAN_SHIFT(l) << SPAN_SHIFT(l);
		*tick = block | (uint64_t)s << (LEVEL_BITS * l);
		*level = l;
		return true;
	}
	if (!w->overflow)
		return false;
	/* Levels are empty here: jump to the start of the earliest overflow timer's block.
	 * Not to the timer itself: stopping short of it inside that block must still move
	 * every timer of that block out of the overflow list. */
	uint64_t et = to_tick(min_expires(w->overflow));
	*tick = et >> REACH_SHIFT << REACH_SHIFT;
	*level = EVENT_OVERFLOW;
	return true;
}

uint64_t rxd_wheel_next(const struct rxd_wheel *w)
{
	if (!w->pending)
		return UINT64_MAX;
	int s = find_slot(w->bitmap[0], slot_of(w->now_tick, 0));
	if (s != NO_SLOT)
		return min_expires(w->slots[0][s]); /* one tick's timers: exact */
	for (unsigned l = 1; l < RXD_WHEEL_LEVELS; l++) {
		s = find_slot(w->bitmap[l], slot_of(w->now_tick, l) + 1);
		if (s == NO_SLOT)
			continue;
		/* the cascade point: no timer of this slot or above is earlier */
		uint64_t block = w->now_tick >> SPAN_SHIFT(l) << SPAN_SHIFT(l);
		return (block | (uint64_t)s << (LEVEL_BITS * l)) << RXD_WHEEL_TICK_SHIFT;
	}
	/* Only far timers (or only timers being fired right now) remain. */
	return min_expires(w->overflow);
}

struct expired {
	struct rxd_timer *head;
	struct rxd_timer **tail;
};

static void expired_append(struct expired *x, struct rxd_timer *t)
{
	t->next = NULL;
	t->pprev = x->tail;
	*x->tail = t;
	x->tail = &t->next;
}

/* Move the due timers of the current level-0 slot to x; the rest stay. */
static void collect_current(struct rxd_wheel *w, uint64_t now, struct expired *x)
{
	unsigned slot = slot_of(w->now_tick, 0);
	if (!w->slots[0][slot])
		return;
	struct rxd_timer *t = detach_slot(w, 0, slot), *nx;
	for (; t; t = nx) {
		nx = t->next;
		if (t->expires <= now)
			expired_append(x, t);
		else
			link_head(&w->slots[0][slot], t);
	}
	if (w->slots[0][slot])
		bit_set(w, 0, slot);
}

static void refile_list(struct rxd_wheel *w, struct rxd_timer *t)
{
	struct rxd_timer *nx;
	for (; t; t = nx) {
		nx = t->next;
		place(w, t);
	}
}

void rxd_wheel_run(struct rxd_wheel *w, uint64_t now)
{
	struct expired x = {.head = NULL, .tail = &x.head};
	uint64_t target = to_tick(now);

	collect_current(w, now, &x);
	while (w->now_tick < target) {
		uint64_t tick;
		unsigned level;
		if (!next_event(w, &tick, &level) || tick > target) {
			w->now_tick = target; /* nothing in between: no slot to visit */
			break;
		}
		w->now_tick = tick;
		if (level == EVENT_OVERFLOW) {
			struct rxd_timer *list = w->overflow;
			w->overflow = NULL;
			refile_list(w, list);
		} else if (level > 0) {
			refile_list(w, detach_slot(w, level, slot_of(tick, level)));
		}
		collect_current(w, now, &x);
	}

	/* Fire.  Pop before calling so callbacks may cancel or re-arm anything,
	 * including timers still waiting on this list. */
	struct rxd_timer *t;
	while ((t = x.head) != NULL) {
		x.head = t->next;
		if (x.head)
			x.head->pprev = &x.head;
		t->next = NULL;
		t->pprev = NULL;
		w->pending--;
		t->fn(t, now);
	}
}
