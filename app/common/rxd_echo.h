/* SPDX-License-Identifier: MIT */
/*
 * Echo service: the reply is the request, byte for byte.  RxRPC replies only
 * after the whole request arrived, so each shard stores requests in an arena
 * of fixed-size chunks allocated once at start (no allocation per call); a
 * request that does not fit is aborted with RX_USER_ABORT and counted as
 * too_big.
 */
#ifndef RXD_ECHO_H
#define RXD_ECHO_H

#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"

#define RXD_ECHO_SERVICE 7u

struct rxd_echo_server;

/** arena_bytes: request storage for this shard (rounded to 64 KiB chunks). */
struct rxd_echo_server *rxd_echo_server_create(uint32_t max_calls, uint64_t arena_bytes, rxd_app_clock_fn clock,
					       void *clock_arg);
void rxd_echo_server_destroy(struct rxd_echo_server *s);
void rxd_echo_server_desc(struct rxd_echo_server *s, uint16_t service_id, struct rxd_service_desc *d);
void rxd_echo_server_abort_all(struct rxd_echo_server *s, int32_t code, uint64_t now);

#endif
