/* SPDX-License-Identifier: MIT */
/* Unit tests for the message API's id map (lib/dpdk/rxd_idmap.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpdk/rxd_idmap.h"

#define NSLOTS 16u

static struct rxd_idmap_slot slots[NSLOTS];
static struct rxd_idmap map;

static void setup(void)
{
	memset(slots, 0, sizeof slots);
	rxd_idmap_init(&map, slots, NSLOTS);
}

/* The nth key (from 0) whose home slot is `home`. */
static uint64_t key_at(const struct rxd_idmap *m, uint32_t home, unsigned nth)
{
	for (uint64_t k = 1;; k++)
		if (rxd_idmap_home(m, k) == home && nth-- == 0)
			return k;
}

/* Slot of key (the test looks into the table), or -1. */
static int slot_of(const struct rxd_idmap *m, uint64_t key)
{
	for (uint32_t i = 0; i <= m->mask; i++)
		if (m->slot[i].used && m->slot[i].key == key)
			return (int)i;
	return -1;
}

/* Every entry is reachable: no empty slot between its home and where it is; n is the used count. */
static void check_invariants(const struct rxd_idmap *m)
{
	uint32_t used = 0;

	for (uint32_t i = 0; i <= m->mask; i++) {
		if (!m->slot[i].used)
			continue;
		used++;
		for (uint32_t j = rxd_idmap_home(m, m->slot[i].key); j != i; j = (j + 1) & m->mask)
			cr_assert(m->slot[j].used, "slot %u between the home of key %llu and its slot %u is empty", j,
				  (unsigned long long)m->slot[i].key, i);
	}
	cr_assert_eq(used, m->n, "%u slots used, map counts %u", used, m->n);
	cr_assert_leq(2 * m->n, m->mask + 1, "more than half full");
}

/* Insert keys[i] -> i + 1, in order. */
static void insert_all(const uint64_t *keys, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(rxd_idmap_insert(&map, keys[i], i + 1), 0, "insert %u", i);
}

static uint32_t get(uint64_t key)
{
	uint32_t v = 0xdeadbeef;

	cr_assert_eq(rxd_idmap_find(&map, key, &v), 0, "key %llu not found", (unsigned long long)key);
	return v;
}

Test(idmap, slots_for_is_a_power_of_two_holding_n_at_half_load)
{
	cr_assert_eq(rxd_idmap_slots_for(0), 2);
	cr_assert_eq(rxd_idmap_slots_for(1), 2);
	cr_assert_eq(rxd_idmap_slots_for(2), 4);
	cr_assert_eq(rxd_idmap_slots_for(3), 8);
	cr_assert_eq(rxd_idmap_slots_for(4096), 8192);
	cr_assert_eq(rxd_idmap_slots_for(4097), 16384);
	cr_assert_eq(rxd_idmap_slots_for(1u << 30), 1u << 31);
	cr_assert_eq(rxd_idmap_slots_for((1u << 30) + 1), 0);
}

Test(idmap, empty_map_finds_nothing_and_removes_nothing, .init = setup)
{
	uint32_t v = 7;

	cr_assert_eq(rxd_idmap_find(&map, 0, &v), -ENOENT);
	cr_assert_eq(rxd_idmap_find(&map, UINT64_MAX, &v), -ENOENT);
	cr_assert_eq(v, 7, "a failed find wrote the value");
	cr_assert_eq(rxd_idmap_remove(&map, 42), -ENOENT);
	cr_assert_eq(map.n, 0);
}

Test(idmap, insert_then_find_returns_each_value, .init = setup)
{
	cr_assert_eq(rxd_idmap_insert(&map, 0, 10), 0);
	cr_assert_eq(rxd_idmap_insert(&map, UINT64_MAX, 20), 0);
	cr_assert_eq(rxd_idmap_insert(&map, 12345, UINT32_MAX), 0);
	cr_assert_eq(get(0), 10);
	cr_assert_eq(get(UINT64_MAX), 20);
	cr_assert_eq(get(12345), UINT32_MAX, "every 32-bit value is storable");
	cr_assert(rxd_idmap_has(&map, 12345));
	cr_assert_not(rxd_idmap_has(&map, 12346));
	cr_assert_eq(map.n, 3);
	check_invariants(&map);
}

Test(idmap, insert_of_a_present_key_is_refused_and_keeps_its_value, .init = setup)
{
	cr_assert_eq(rxd_idmap_insert(&map, 99, 1), 0);
	cr_assert_eq(rxd_idmap_insert(&map, 99, 2), -EEXIST);
	cr_assert_eq(get(99), 1);
	cr_assert_eq(map.n, 1);
}

Test(idmap, remove_makes_the_key_absent_and_it_can_come_back, .init = setup)
{
	cr_assert_eq(rxd_idmap_insert(&map, 5, 50), 0);
	cr_assert_eq(rxd_idmap_insert(&map, 6, 60), 0);
	cr_assert_eq(rxd_idmap_remove(&map, 5), 0);
	cr_assert_not(rxd_idmap_has(&map, 5));
	cr_assert_eq(get(6), 60);
	cr_assert_eq(rxd_idmap_remove(&map, 5), -ENOENT, "removed twice");
	cr_assert_eq(rxd_idmap_insert(&map, 5, 51), 0);
	cr_assert_eq(get(5), 51);
	check_invariants(&map);
}

Test(idmap, colliding_keys_take_the_following_slots, .init = setup)
{
	uint64_t a = key_at(&map, 3, 0), b = key_at(&map, 3, 1), c = key_at(&map, 3, 2);

	insert_all((uint64_t[]){a, b, c}, 3);
	cr_assert_eq(slot_of(&map, a), 3);
	cr_assert_eq(slot_of(&map, b), 4);
	cr_assert_eq(slot_of(&map, c), 5);
	cr_assert_eq(get(a) + get(b) * 10 + get(c) * 100, 321);
}

Test(idmap, remove_shifts_the_rest_of_the_run_back, .init = setup)
{
	uint64_t a = key_at(&map, 5, 0), b = key_at(&map, 5, 1), c = key_at(&map, 6, 0);

	/* a, b (both home 5) and c (home 6, displaced to 7) */
	insert_all((uint64_t[]){a, b, c}, 3);
	cr_assert_eq(slot_of(&map, c), 7);
	cr_assert_eq(rxd_idmap_remove(&map, a), 0);
	cr_assert_eq(slot_of(&map, b), 5, "b did not move back into its home");
	cr_assert_eq(slot_of(&map, c), 6, "c did not move back into its home");
	cr_assert_not(map.slot[7].used, "no tombstone: the run's tail is empty");
	cr_assert_eq(get(b), 2);
	cr_assert_eq(get(c), 3);
	check_invariants(&map);
}

Test(idmap, remove_leaves_an_entry_whose_home_is_past_the_hole, .init = setup)
{
	uint64_t a = key_at(&map, 5, 0), b = key_at(&map, 6, 0), c = key_at(&map, 6, 1);

	/* a at 5, b at its home 6, c displaced to 7: removing a must not move b (home 6 > hole 5) */
	insert_all((uint64_t[]){a, b, c}, 3);
	cr_assert_eq(rxd_idmap_remove(&map, a), 0);
	cr_assert_not(map.slot[5].used, "hole 5 was filled by an entry homed after it");
	cr_assert_eq(slot_of(&map, b), 6);
	cr_assert_eq(slot_of(&map, c), 7);
	cr_assert_eq(get(c), 3);
	check_invariants(&map);
}

Test(idmap, a_run_wraps_around_the_end_and_shifts_back_across_it, .init = setup)
{
	uint32_t last = NSLOTS - 1;
	uint64_t a = key_at(&map, last, 0), b = key_at(&map, last, 1), c = key_at(&map, last, 2),
		 d = key_at(&map, 0, 0);

	/* b and c wrap to 0 and 1; d (home 0) is displaced to 2 */
	insert_all((uint64_t[]){a, b, c, d}, 4);
	cr_assert_eq(slot_of(&map, a), (int)last);
	cr_assert_eq(slot_of(&map, b), 0);
	cr_assert_eq(slot_of(&map, c), 1);
	cr_assert_eq(slot_of(&map, d), 2);
	cr_assert_eq(get(d), 4);
	cr_assert_eq(rxd_idmap_remove(&map, a), 0);
	cr_assert_eq(slot_of(&map, b), (int)last, "b did not move back across the end");
	cr_assert_eq(slot_of(&map, c), 0);
	cr_assert_eq(slot_of(&map, d), 1, "d (home 0) did not fill the hole at 1");
	cr_assert_not(map.slot[2].used);
	cr_assert_eq(get(b) + get(c) * 10 + get(d) * 100, 432);
	check_invariants(&map);
}

Test(idmap, insert_beyond_half_full_is_refused_and_searches_still_end, .init = setup)
{
	for (uint64_t k = 0; k < NSLOTS / 2; k++)
		cr_assert_eq(rxd_idmap_insert(&map, k * 7919, (uint32_t)k), 0);
	cr_assert_eq(rxd_idmap_insert(&map, 1, 1), -ENOSPC);
	cr_assert_eq(rxd_idmap_insert(&map, 7919, 1), -EEXIST, "a present key is reported as present when full");
	cr_assert_eq(map.n, NSLOTS / 2);
	cr_assert_not(rxd_idmap_has(&map, 1), "a refused key went in");
	for (uint64_t k = 1000000; k < 1000000 + 4 * NSLOTS; k++) /* absent keys of every home */
		cr_assert_not(rxd_idmap_has(&map, k));
	cr_assert_eq(rxd_idmap_remove(&map, 0), 0);
	cr_assert_eq(rxd_idmap_insert(&map, 1, 1), 0, "a freed slot is usable again");
	check_invariants(&map);
}

Test(idmap, rehash_keeps_every_entry_and_refuses_too_small_a_table, .init = setup)
{
	struct rxd_idmap_slot *big = calloc(64, sizeof *big), *small = calloc(8, sizeof *small);

	cr_assert(big && small);
	for (uint64_t k = 0; k < NSLOTS / 2; k++)
		rxd_idmap_insert(&map, k << 40, (uint32_t)(k + 100));
	cr_assert_eq(rxd_idmap_rehash(&map, small, 8), small, "8 slots cannot hold 8 entries");
	cr_assert_eq(map.slot, slots);
	cr_assert_eq(rxd_idmap_rehash(&map, big, 64), slots, "the old slots go back to the caller");
	cr_assert_eq(map.slot, big);
	cr_assert_eq(map.mask, 63);
	cr_assert_eq(map.n, NSLOTS / 2);
	for (uint64_t k = 0; k < NSLOTS / 2; k++)
		cr_assert_eq(get(k << 40), k + 100);
	check_invariants(&map);
	cr_assert_eq(rxd_idmap_insert(&map, 1, 1), 0, "room after growing");
	free(big);
	free(small);
}

/*
 * Random inserts, removes and finds over a small key range (so runs collide,
 * wrap and shift often), against a plain array; the map grows by rehash when
 * full, as the message API's thread side does.
 */
Test(idmap, random_operations_match_a_brute_force_model)
{
	enum { KEYS = 200, OPS = 200000 };
	static bool present[KEYS];
	static uint32_t value[KEYS];
	uint32_t nslots = 4;
	struct rxd_idmap m;
	struct rxd_idmap_slot *s = calloc(nslots, sizeof *s);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned grown = 0, shifted = 0;

	cr_assert(s);
	rxd_idmap_init(&m, s, nslots);
	for (unsigned op = 0; op < OPS; op++) {
		unsigned r, k, model_n = 0;
		uint64_t key;
		uint32_t v;
		int rc;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r = (unsigned)(rng >> 32);
		k = r % KEYS;
		key = (uint64_t)k * 0x10001ull + (k & 1 ? (1ull << 63) : 0); /* spread over the 64 bits */
		switch ((r >> 16) % 3) {
		case 0:
			rc = rxd_idmap_insert(&m, key, r);
			if (rc == -ENOSPC) {
				cr_assert_not(present[k], "full reported for a present key");
				cr_assert_eq(m.n, (m.mask + 1) / 2, "refused below half load");
				nslots *= 2;
				free(rxd_idmap_rehash(&m, calloc(nslots, sizeof *s), nslots));
				grown++;
				rc = rxd_idmap_insert(&m, key, r);
			}
			cr_assert_eq(rc, present[k] ? -EEXIST : 0, "op %u insert %u", op, k);
			if (!present[k]) {
				present[k] = true;
				value[k] = r;
			}
			break;
		case 1: {
			int at = slot_of(&m, key);
			bool run_after = at >= 0 && m.slot[((uint32_t)at + 1) & m.mask].used;
			rc = rxd_idmap_remove(&m, key);
			cr_assert_eq(rc, present[k] ? 0 : -ENOENT, "op %u remove %u", op, k);
			if (present[k] && run_after)
				shifted++;
			present[k] = false;
			break;
		}
		default:
			rc = rxd_idmap_find(&m, key, &v);
			cr_assert_eq(rc, present[k] ? 0 : -ENOENT, "op %u find %u", op, k);
			if (present[k])
				cr_assert_eq(v, value[k], "op %u find %u: wrong value", op, k);
			break;
		}
		for (unsigned i = 0; i < KEYS; i++)
			model_n += present[i];
		cr_assert_eq(m.n, model_n, "op %u: %u entries, model has %u", op, m.n, model_n);
		if (op % 97 == 0)
			check_invariants(&m);
	}
	for (unsigned k = 0; k < KEYS; k++) {
		uint64_t key = (uint64_t)k * 0x10001ull + (k & 1 ? (1ull << 63) : 0);
		uint32_t v;
		cr_assert_eq(rxd_idmap_find(&m, key, &v), present[k] ? 0 : -ENOENT);
	}
	check_invariants(&m);
	cr_assert_geq(grown, 5, "the table grew only %u times", grown);
	cr_assert_geq(shifted, 100, "only %u removals had a run after them", shifted);
	free(m.slot);
}
