/* SPDX-License-Identifier: MIT */
/*
 * Id map: 64-bit ID -> 32-bit value, open addressing with linear probing and
 * backward-shift deletion (no tombstones, so lookups never slow down with
 * churn).  The message API keys it by user call ID on both sides.
 *
 * The map never allocates: the caller provides zeroed slots (a power of two)
 * and, to grow, a larger zeroed array for rxd_idmap_rehash().  At most half
 * the slots are used, which keeps probe runs short and guarantees an empty
 * slot that ends every search.  No DPDK dependency (unit-tested on its own).
 */
#ifndef RXD_DPDK_IDMAP_H
#define RXD_DPDK_IDMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

struct rxd_idmap_slot {
	uint64_t key;
	uint32_t val;
	uint32_t used; /* 0 = empty */
};

struct rxd_idmap {
	struct rxd_idmap_slot *slot;
	uint32_t mask; /* slots - 1 */
	uint32_t n;    /* entries */
};

/** The slot an ID hashes to before probing (a 64-bit finaliser: user IDs are often sequential). */
static inline uint32_t rxd_idmap_home(const struct rxd_idmap *m, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (uint32_t)key & m->mask;
}

/** Look key up: 0 and *val set, or -ENOENT. */
static inline int rxd_idmap_find(const struct rxd_idmap *m, uint64_t key, uint32_t *val)
{
	for (uint32_t i = rxd_idmap_home(m, key);; i = (i + 1) & m->mask) {
		const struct rxd_idmap_slot *s = &m->slot[i];
		if (!s->used)
			return -ENOENT;
		if (s->key == key) {
			*val = s->val;
			return 0;
		}
	}
}

/** Whether key is in the map. */
static inline bool rxd_idmap_has(const struct rxd_idmap *m, uint64_t key)
{
	uint32_t v;

	return rxd_idmap_find(m, key, &v) == 0;
}

/** Slots for a map that holds up to n entries: a power of two, at least 2n and 2 (0 if n > 2^30). */
uint32_t rxd_idmap_slots_for(uint32_t n);

/** Start an empty map over nslots zeroed slots (a power of two, at least 2). */
void rxd_idmap_init(struct rxd_idmap *m, struct rxd_idmap_slot *slots, uint32_t nslots);

/** Add key -> val: 0, -EEXIST (key present, unchanged) or -ENOSPC (half the slots used). */
int rxd_idmap_insert(struct rxd_idmap *m, uint64_t key, uint32_t val);

/** Remove key: 0 or -ENOENT.  Later entries of its probe run move back into the hole. */
int rxd_idmap_remove(struct rxd_idmap *m, uint64_t key);

/**
 * Move every entry into nslots zeroed slots (a power of two) and make those
 * the map's.  Returns the array the caller now owns (to free): the old slots,
 * or the given ones, unused, if fewer than twice the entries (the map is then
 * unchanged).
 */
struct rxd_idmap_slot *rxd_idmap_rehash(struct rxd_idmap *m, struct rxd_idmap_slot *slots, uint32_t nslots);

#endif
