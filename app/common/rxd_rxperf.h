/* SPDX-License-Identifier: MIT */
/*
 * rxperf (protocol.md section 9): the server side as a run-to-completion
 * service, and the request/reply encoding the clients use.
 *
 * Request (big-endian 32-bit words): version 3, command, read size, write
 * size, then SEND 0: n (client sends n bytes); RECV 1: n (server sends n
 * bytes); RPC 3: a, b (client sends a, receives b).  The reply ends with the
 * cookie 0x00004711.  The server accepts but never requires a trailing
 * request cookie; FILE (4) and unknown commands are aborted RXGEN_OPCODE, a
 * wrong version RX_USER_ABORT, a short request RXGEN_SS_UNMARSHAL.
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

struct rxd_rxperf_server;

struct rxd_rxperf_server_stats {
	uint64_t calls, ok, aborted, bad_version, bad_opcode, short_req, bytes_in, bytes_out;
};

/** Per-shard server state (call contexts for up to max_calls concurrent calls). */
struct rxd_rxperf_server *rxd_rxperf_server_create(uint32_t max_calls, rxd_app_clock_fn clock, void *clock_arg);
void rxd_rxperf_server_destroy(struct rxd_rxperf_server *s);
/** Fill a service descriptor (ops + app) for this shard's server. */
void rxd_rxperf_server_desc(struct rxd_rxperf_server *s, uint16_t service_id, struct rxd_service_desc *d);
/** Abort every call still in progress (shutdown). */
void rxd_rxperf_server_abort_all(struct rxd_rxperf_server *s, int32_t code, uint64_t now);
const struct rxd_rxperf_server_stats *rxd_rxperf_server_stats(const struct rxd_rxperf_server *s);

/** Encode a request header; returns its length (20 or 24). */
size_t rxd_rxperf_encode_request(uint8_t *p, uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes);
/** Total reply bytes for a command (data + cookie). */
uint64_t rxd_rxperf_reply_len(uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes);

#endif
