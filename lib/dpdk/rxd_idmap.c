/* SPDX-License-Identifier: MIT */
/* Id map: insertion, backward-shift deletion, rehash (lookups are inline in rxd_idmap.h). */
#include "rxd_idmap.h"

#include <errno.h>

uint32_t rxd_idmap_slots_for(uint32_t n)
{
	uint32_t slots = 2;

	if (n > (1u << 30))
		return 0;
	while (slots < 2 * (uint64_t)n)
		slots <<= 1;
	return slots;
}

void rxd_idmap_init(struct rxd_idmap *m, struct rxd_idmap_slot *slots, uint32_t nslots)
{
	m->slot = slots;
	m->mask = nslots - 1;
	m->n = 0;
}

int rxd_idmap_insert(struct rxd_idmap *m, uint64_t key, uint32_t val)
{
	uint32_t i = rxd_idmap_home(m, key);

	for (; m->slot[i].used; i = (i + 1) & m->mask)
		if (m->slot[i].key == key)
			return -EEXIST;
	if ((uint64_t)(m->n + 1) * 2 > (uint64_t)m->mask + 1)
		return -ENOSPC;
	m->slot[i].key = key;
	m->slot[i].val = val;
	m->slot[i].used = 1;
	m->n++;
	return 0;
}

int rxd_idmap_remove(struct rxd_idmap *m, uint64_t key)
{
	uint32_t i = rxd_idmap_home(m, key);

	for (; m->slot[i].used && m->slot[i].key != key; i = (i + 1) & m->mask)
		;
	if (!m->slot[i].used)
		return -ENOENT;
	/*
	 * Close the hole at i: an entry further along the run moves back into it
	 * unless its home lies cyclically within (i, j], where a search for it
	 * would start after the hole and so never needs it filled.
	 */
	for (uint32_t j = (i + 1) & m->mask; m->slot[j].used; j = (j + 1) & m->mask) {
		uint32_t home = rxd_idmap_home(m, m->slot[j].key);
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slot[i] = m->slot[j];
			i = j;
		}
	}
	m->slot[i].used = 0;
	m->n--;
	return 0;
}

struct rxd_idmap_slot *rxd_idmap_rehash(struct rxd_idmap *m, struct rxd_idmap_slot *slots, uint32_t nslots)
{
	struct rxd_idmap old = *m;

	if ((uint64_t)old.n * 2 > nslots)
		return slots; /* too small: the map stays as it was */
	rxd_idmap_init(m, slots, nslots);
	for (uint32_t i = 0; i <= old.mask; i++)
		if (old.slot[i].used)
			rxd_idmap_insert(m, old.slot[i].key, old.slot[i].val);
	return old.slot;
}
