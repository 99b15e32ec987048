/* SPDX-License-Identifier: MIT */
/*
 * The client engine for one shard (one worker lcore), behind `rxd --mode
 * client`, `rxperf client` and the interop harness rxd-udp: keeps
 * `concurrency` calls in flight against an rxperf server (SEND, RECV, RPC or
 * a raw operation number; every reply checked: zeros then the cookie
 * 0x00004711) or an echo server (pattern bytes; the reply must equal the
 * request), records latencies, and has the test hooks the interop suite
 * needs (abort after N payload bytes, an expected remote abort code, a wrong
 * protocol version, a short request).  Driven from the shell's poll hook;
 * every callback runs on the owning lcore.
 */
#ifndef RXD_LOADGEN_H
#define RXD_LOADGEN_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"
#include "rxd_histo.h"
#include "rxd_rxperf.h"

enum rxd_loadgen_proto {
	RXD_LG_ECHO = 0,   /* request = pattern bytes, reply must equal the request */
	RXD_LG_RXPERF = 1, /* rxperf request header + zeros; reply = zeros + cookie */
};

struct rxd_loadgen_params {
	struct rxd_addr peer;
	uint16_t service_id;
	enum rxd_loadgen_proto proto;
	uint32_t op;	     /* rxperf operation word on the wire (SEND 0, RECV 1, RPC 3, or anything under test) */
	uint32_t version;    /* rxperf protocol version word (3) */
	uint32_t send_bytes; /* request payload (SEND, RPC, raw ops, echo) */
	uint32_t recv_bytes; /* reply payload (RECV, RPC, raw ops) */
	uint32_t rsize_hint, wsize_hint;
	uint64_t calls;	       /* measured calls of this shard (0 = until duration) */
	uint64_t duration_ns;  /* 0 = until calls */
	uint64_t warmup;       /* unmeasured calls first, one at a time */
	unsigned concurrency;  /* calls in flight on this shard */
	unsigned busy_retries; /* a call answered BUSY is begun again up to this many times */
	bool cookie;	       /* append the cookie to rxperf requests */
	bool verify;	       /* check rxperf reply payload bytes are zeros (echo replies are always checked) */
	int64_t abort_after;   /* abort (RXD_RXPERF_TEST_CLIENT_ABORT) after this many payload bytes; -1 = never */
	int64_t short_request; /* end the request after this many payload bytes (header says more); -1 = never */
	bool have_expect;
	int32_t expect_abort; /* a remote abort with this code counts as expected, not as an error */
	uint32_t seed;	      /* echo pattern seed */
	uint8_t security_index, security_level;
	const void *key;
};

/* Abort codes seen, for the report (small: tests see one or two). */
#define RXD_LG_CODES 8u
struct rxd_loadgen_code_count {
	int32_t code;
	uint64_t n;
};

struct rxd_loadgen_stats {
	uint64_t started, ok, aborts, errors; /* aborts = expected ones; errors = everything unexpected */
	uint64_t remote_aborts, local_aborts, net_errors, verify_errors;
	uint64_t busy; /* BUSY answers */
	uint64_t warmup_ok;
	uint64_t bytes;		  /* payload bytes of measured successful calls */
	uint64_t t_first, t_last; /* measured window: first measured begin, last completion */
	struct rxd_loadgen_code_count codes[RXD_LG_CODES];
	char first_error[192];
	struct rxd_histo lat;
};

struct rxd_loadgen;

/** Defaults: rxperf RPC, version 3, 64 KiB hints, one call in flight, verify, no test hook, 8 BUSY retries. */
void rxd_loadgen_params_default(struct rxd_loadgen_params *p);
struct rxd_loadgen *rxd_loadgen_create(const struct rxd_loadgen_params *p, rxd_app_clock_fn clock, void *clock_arg);
void rxd_loadgen_destroy(struct rxd_loadgen *g);
/** Begin calls up to the concurrency limit (from the lcore's poll hook). */
void rxd_loadgen_poll(struct rxd_loadgen *g, struct rxd_local *l, uint64_t now);
/** True once the warm-up is over and measured calls have begun (lcore side). */
bool rxd_loadgen_measuring(const struct rxd_loadgen *g);
/** Stop beginning calls. */
void rxd_loadgen_stop(struct rxd_loadgen *g);
/** Abort every call in flight (RX_USER_ABORT). */
void rxd_loadgen_abort_all(struct rxd_loadgen *g, uint64_t now);
/** True once nothing more will begin and nothing is in flight (any thread). */
bool rxd_loadgen_done(const struct rxd_loadgen *g);
const struct rxd_loadgen_stats *rxd_loadgen_stats(const struct rxd_loadgen *g);
/** Add the counters of `from` to `into` (latencies, abort codes, window, first error). */
void rxd_loadgen_stats_merge(struct rxd_loadgen_stats *into, const struct rxd_loadgen_stats *from);

struct rxd_result;
/**
 * Fill the outcome fields of a result (doc/results-json.md) from merged
 * stats: calls, calls_ok, calls_failed, expected_aborts, verify_errors, the
 * window and the rates; the caller sets what the run was.
 */
void rxd_loadgen_result(const struct rxd_loadgen_stats *t, struct rxd_result *r);

/** Fill buf with echo pattern bytes [off, off + n) of call k (64-byte blocks share one mix). */
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
