/* SPDX-License-Identifier: MIT */
/*
 * A server engine's per-call contexts: a fixed array allocated once (no
 * allocation per call) and a free list.  Each engine's call struct begins
 * with a struct rxd_slot; the engine casts between the two.
 */
#ifndef RXD_SLOTS_H
#define RXD_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include <rxd/core.h>

struct rxd_slot {
	struct rxd_slot *next_free;
	struct rxd_call *call; /* NULL while free */
};

struct rxd_slots {
	uint8_t *base;
	size_t size;  /* bytes per context, struct rxd_slot first */
	size_t reset; /* bytes of a context zeroed on accept (rxd_slots_set_reset) */
	uint32_t n;
	struct rxd_slot *free;
	uint64_t accepted, ok, failed; /* calls; completed successfully; otherwise */
};

/** n contexts of size bytes each, zeroed whole on accept; 0 or -ENOMEM. */
int rxd_slots_init(struct rxd_slots *p, uint32_t n, size_t size);
/**
 * Zero only a context's first bytes on accept (at least its struct
 * rxd_slot, at most its size): for contexts that end in large buffers the
 * engine writes before it reads, whose clearing would cost more than the
 * call.  The engine initialises whatever lies past them itself.
 */
void rxd_slots_set_reset(struct rxd_slots *p, size_t bytes);
void rxd_slots_fini(struct rxd_slots *p);
/**
 * A new call: a context (its reset bytes zeroed) bound to it, with ops and the context as its
 * app; NULL when all are in use (the call is then rejected with BUSY).
 */
struct rxd_slot *rxd_slots_accept(struct rxd_slots *p, struct rxd_call *call, const struct rxd_call_ops *ops,
				  uint64_t now);
/** The call completed: count how, end it and free its context. */
void rxd_slots_put(struct rxd_slots *p, struct rxd_slot *s, uint64_t now);
/** Abort every call still active (shutdown). */
void rxd_slots_abort_all(struct rxd_slots *p, int32_t code, uint64_t now);

#endif
