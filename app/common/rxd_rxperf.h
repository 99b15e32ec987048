/* SPDX-License-Identifier: MIT */
/*
 * rxperf (doc/rxperf.md): the server side as a run-to-completion service, and
 * the request/reply encoding the clients use.
 *
 * Request (big-endian 32-bit words): version 3, command, read size, write
 * size, then SEND 0: n (client sends n bytes); RECV 1: n (server sends n
 * bytes); RPC 3: a, b (client sends a, receives b).  The reply ends with the
 * cookie 0x00004711.  After its payload a request ends with the same cookie
 * or with nothing (new Linux clients send it, OpenAFS clients do not).
 *
 * Abort codes follow the Linux kernel's server (net/rxrpc/rxperf.c): wrong
 * version RX_USER_ABORT, FILE (4) or an unknown command RXGEN_OPCODE, a
 * request shorter than its header says or with any other trailing byte
 * RXGEN_SS_UNMARSHAL.  The test hooks of struct rxd_rxperf_server_params are
 * what the interop suite needs from the same engine.
 */
#ifndef RXD_RXPERF_H
#define RXD_RXPERF_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"

#define RXD_RXPERF_SERVICE 147u
#define RXD_RXPERF_PORT 7009u
#define RXD_RXPERF_VERSION 3u
#define RXD_RXPERF_COOKIE 0x00004711u
#define RXD_RXPERF_SEND 0u
#define RXD_RXPERF_RECV 1u
#define RXD_RXPERF_RPC 3u
#define RXD_RXPERF_FILE 4u

/* Abort code of the client's abort-after test hook (same as tests/interop/openafs_peer). */
#define RXD_RXPERF_TEST_CLIENT_ABORT 1234
/* Abort code of the server's abort_reply_after test hook. */
#define RXD_RXPERF_TEST_SERVER_ABORT 4321

struct rxd_rxperf_server;

struct rxd_rxperf_server_params {
	uint32_t max_calls;	   /* concurrent calls of this shard (0 = 1024) */
	int64_t abort_reply_after; /* test hook: abort replies after this many bytes; -1 = never */
	bool openafs_aborts;	   /* every failure aborts -1, as OpenAFS tools/rxperf does */
	bool verbose;		   /* one stderr line per abort */
};

struct rxd_rxperf_server_stats {
	uint64_t calls, ok, failed; /* failed: completed other than successfully */
	uint64_t test_aborts;	    /* replies cut by abort_reply_after */
	uint64_t bad_version, bad_opcode, short_req, bad_trailer;
	uint64_t bytes_in, bytes_out;
};

/** Fill p with the defaults: 1024 calls, no test hook. */
void rxd_rxperf_server_params_default(struct rxd_rxperf_server_params *p);
/** Per-shard server state; NULL when out of memory. */
struct rxd_rxperf_server *rxd_rxperf_server_create(const struct rxd_rxperf_server_params *p, rxd_app_clock_fn clock,
						   void *clock_arg);
void rxd_rxperf_server_destroy(struct rxd_rxperf_server *s);
/** Fill a service descriptor (ops + app) for this shard's server. */
void rxd_rxperf_server_desc(struct rxd_rxperf_server *s, uint16_t service_id, struct rxd_service_desc *d);
/** Abort every call still in progress (shutdown). */
void rxd_rxperf_server_abort_all(struct rxd_rxperf_server *s, int32_t code, uint64_t now);
/** The counters (calls, ok, failed brought up to date). */
const struct rxd_rxperf_server_stats *rxd_rxperf_server_stats(struct rxd_rxperf_server *s);

/** Encode a request header; returns its length (20 or 24). */
size_t rxd_rxperf_encode_request(uint8_t *p, uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes);
/** Total reply bytes for a command (data + cookie). */
uint64_t rxd_rxperf_reply_len(uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes);
/** Name of an abort code or completion error ("RXGEN_OPCODE", "-EBUSY", ...); "?" when unknown. */
const char *rxd_rxperf_abort_name(int32_t code);

#endif
