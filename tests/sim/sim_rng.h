/* SPDX-License-Identifier: MIT */
/*
 * Deterministic randomness for the simulator: xoshiro256** seeded through
 * splitmix64, plus a counter-based byte stream (any byte of a stream can be
 * produced or checked without generating the ones before it), so both ends of
 * a call agree on payload bytes without storing them.
 */
#ifndef RXD_SIM_RNG_H
#define RXD_SIM_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* splitmix64 finaliser: a good stateless 64-bit mix. */
static inline uint64_t sim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static inline void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	for (unsigned i = 0; i < 4; i++) {
		seed += 0x9e3779b97f4a7c15ull;
		r->s[i] = sim_mix64(seed);
	}
}

static inline uint64_t sim_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); n == 0 yields 0. */
static inline uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* Lemire-style multiply-shift; the tiny bias is irrelevant here. */
	return (uint64_t)(((unsigned __int128)sim_rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi] (inclusive). */
static inline uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + sim_rng_below(r, hi - lo + 1);
}

/* Uniform double in [0, 1). */
static inline double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* True with probability p (p <= 0 never draws, so zero knobs keep streams stable). */
static inline bool sim_rng_chance(struct sim_rng *r, double p)
{
	if (p <= 0.0)
		return false;
	return sim_rng_unit(r) < p;
}

/* ---- counter-based byte streams ---- */

static inline uint64_t sim_stream_word(uint64_t seed, uint64_t k)
{
	return sim_mix64(seed ^ sim_mix64(k));
}

static inline uint8_t sim_stream_byte(uint64_t seed, uint64_t pos)
{
	return (uint8_t)(sim_stream_word(seed, pos >> 3) >> ((pos & 7) * 8));
}

/* Fill dst with bytes [pos, pos+len) of stream seed. */
static inline void sim_stream_fill(uint64_t seed, uint64_t pos, uint8_t *dst, size_t len)
{
	size_t i = 0;

	while (i < len && ((pos + i) & 7) != 0) {
		dst[i] = sim_stream_byte(seed, pos + i);
		i++;
	}
	while (len - i >= 8) {
		uint64_t w = sim_stream_word(seed, (pos + i) >> 3);
		for (unsigned j = 0; j < 8; j++)
			dst[i + j] = (uint8_t)(w >> (8 * j));
		i += 8;
	}
	while (i < len) {
		dst[i] = sim_stream_byte(seed, pos + i);
		i++;
	}
}

/* Index of the first byte of src that differs from the stream at pos, or len if all match. */
static inline size_t sim_stream_check(uint64_t seed, uint64_t pos, const uint8_t *src, size_t len)
{
	size_t i = 0;

	while (i < len && ((pos + i) & 7) != 0) {
		if (src[i] != sim_stream_byte(seed, pos + i))
			return i;
		i++;
	}
	while (len - i >= 8) {
		uint64_t w = sim_stream_word(seed, (pos + i) >> 3);
		for (unsigned j = 0; j < 8; j++)
			if (src[i + j] != (uint8_t)(w >> (8 * j)))
				return i + j;
		i += 8;
	}
	while (i < len) {
		if (src[i] != sim_stream_byte(seed, pos + i))
			return i;
		i++;
	}
	return len;
}

#endif
