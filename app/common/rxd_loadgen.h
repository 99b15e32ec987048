/* SPDX-License-Identifier: MIT */
/*
 * Client load generator for one shard: keeps `concurrency` calls in flight
 * against an echo or rxperf server, verifies every reply byte, records
 * latencies.  Driven from the shell's per-lcore poll hook.
 */
#ifndef RXD_LOADGEN_H
#define RXD_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"
#include "rxd_histo.h"

enum rxd_loadgen_proto {
	RXD_LG_ECHO = 0,   /* request = pattern bytes, reply must equal the request */
	RXD_LG_RXPERF = 1, /* rxperf RPC: reply = zeros + cookie */
};

struct rxd_loadgen_params {
	struct rxd_addr peer;
	uint16_t service_id;
	enum rxd_loadgen_proto proto;
	uint64_t calls;	      /* this shard's total (0 = until duration) */
	uint64_t duration_ns; /* 0 = until calls */
	unsigned concurrency; /* calls in flight on this shard */
	uint64_t req_size, resp_size;
	bool rxperf_req_cookie; /* append the cookie to rxperf requests (new kernel servers want it) */
	uint8_t security_index, security_level;
	const void *key;
	uint32_t seed;
};

struct rxd_loadgen_stats {
	uint64_t started, ok, failed, verify_errors, busy;
	uint64_t bytes_tx, bytes_rx;
	uint64_t first_ns, last_ns; /* first call begun, last call finished */
	char first_error[160];
	struct rxd_histo lat;
};

struct rxd_loadgen;

struct rxd_loadgen *rxd_loadgen_create(const struct rxd_loadgen_params *p, rxd_app_clock_fn clock, void *clock_arg);
void rxd_loadgen_destroy(struct rxd_loadgen *g);
/** Begin calls up to the concurrency limit (call from the lcore's poll hook). */
void rxd_loadgen_poll(struct rxd_loadgen *g, struct rxd_local *l, uint64_t now);
/** Stop beginning calls (drain). */
void rxd_loadgen_stop(struct rxd_loadgen *g);
/** Abort the calls in flight. */
void rxd_loadgen_abort_all(struct rxd_loadgen *g, uint64_t now);
/** True once no more calls will begin and none is in flight (safe to read from any thread). */
bool rxd_loadgen_done(const struct rxd_loadgen *g);
const struct rxd_loadgen_stats *rxd_loadgen_stats(const struct rxd_loadgen *g);

/** The echo test pattern: byte at offset off of call number k. */
static inline uint8_t rxd_loadgen_pattern(uint32_t seed, uint64_t k, uint64_t off)
{
	uint64_t x = (off >> 6) * 0x9e3779b97f4a7c15ull ^ (k * 0xbf58476d1ce4e5b9ull) ^ seed;
	x ^= x >> 29;
	return (uint8_t)((x >> (8 * (off & 7))) + off);
}

/** Fill buf with pattern bytes [off, off + n) of call k (64-byte blocks share one mix). */
static inline void rxd_loadgen_fill(uint32_t seed, uint64_t k, uint64_t off, uint8_t *buf, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t o = off + i;
		uint64_t x = (o >> 6) * 0x9e3779b97f4a7c15ull ^ (k * 0xbf58476d1ce4e5b9ull) ^ seed;
		size_t end = i + (64 - (o & 63));
		x ^= x >> 29;
		if (end > n)
			end = n;
		for (; i < end; i++, o++)
			buf[i] = (uint8_t)((x >> (8 * (o & 7))) + o);
	}
}

#endif
