/* SPDX-License-Identifier: MIT */
/*
 * rxperf client engine for one shard (one worker lcore): keeps `concurrency`
 * rxperf calls in flight (SEND, RECV, RPC or a raw operation number), checks
 * every reply (zeros then the cookie 0x00004711), records latencies, and has
 * the test hooks the interop suite needs (abort after N payload bytes, an
 * expected remote abort code, a wrong protocol version).  Driven from the
 * shell's poll hook; every callback runs on the owning lcore.
 */
#ifndef RXPERF_CLIENT_H
#define RXPERF_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"
#include "rxd_histo.h"
#include "rxd_rxperf.h"

struct rxperf_client_params {
	struct rxd_addr peer;
	uint16_t service_id;
	uint32_t op;          /* operation word on the wire (SEND 0, RECV 1, RPC 3, or anything under test) */
	uint32_t version;     /* protocol version word (3) */
	uint32_t send_bytes;  /* request payload (SEND, RPC, raw ops) */
	uint32_t recv_bytes;  /* reply payload (RECV, RPC, raw ops) */
	uint32_t rsize_hint, wsize_hint;
	uint64_t calls;       /* measured calls of this shard (0 = until duration) */
	uint64_t duration_ns; /* 0 = until calls */
	uint64_t warmup;      /* unmeasured calls first, one at a time */
	unsigned concurrency; /* calls in flight on this shard */
	bool cookie;          /* append the cookie to requests */
	bool verify;          /* check reply payload bytes are zeros */
	int64_t abort_after;  /* abort (RXD_RXPERF_TEST_CLIENT_ABORT) after this many payload bytes; -1 = never */
	int64_t short_request; /* end the request after this many payload bytes (header says more); -1 = never */
	bool have_expect;
	int32_t expect_abort; /* a remote abort with this code counts as expected, not as an error */
	uint8_t security_index, security_level;
	const void *key;
};

/* Abort codes seen, for the report (small: tests see one or two). */
#define RXPERF_CODES 8u
struct rxperf_code_count {
	int32_t code;
	uint64_t n;
};

struct rxperf_client_stats {
	uint64_t started, ok, aborts, errors;  /* aborts = expected ones; errors = everything unexpected */
	uint64_t remote_aborts, local_aborts, net_errors, verify_errors;
	uint64_t busy;                         /* BUSY answers; the call was begun again (up to 8 times) */
	uint64_t warmup_ok;
	uint64_t bytes;                        /* payload bytes of measured successful calls */
	uint64_t t_first, t_last;              /* measured window: first measured begin, last completion */
	struct rxperf_code_count codes[RXPERF_CODES];
	char first_error[192];
	struct rxd_histo lat;
};

struct rxperf_client;

struct rxperf_client *rxperf_client_create(const struct rxperf_client_params *p, rxd_app_clock_fn clock,
					   void *clock_arg);
void rxperf_client_destroy(struct rxperf_client *c);
/** Begin calls up to the concurrency limit (from the lcore's poll hook). */
void rxperf_client_poll(struct rxperf_client *c, struct rxd_local *l, uint64_t now);
/** True once the warm-up is over and measured calls have begun (lcore side). */
bool rxperf_client_measuring(const struct rxperf_client *c);
/** Stop beginning calls. */
void rxperf_client_stop(struct rxperf_client *c);
/** Abort every call in flight (RX_USER_ABORT). */
void rxperf_client_abort_all(struct rxperf_client *c, uint64_t now);
/** True once nothing more will begin and nothing is in flight (any thread). */
bool rxperf_client_done(const struct rxperf_client *c);
const struct rxperf_client_stats *rxperf_client_stats(const struct rxperf_client *c);

#endif
