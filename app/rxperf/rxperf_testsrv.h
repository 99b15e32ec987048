/* SPDX-License-Identifier: MIT */
/*
 * rxperf server with test hooks, for the interop suite: abort the reply
 * after N bytes (RXPERF_TEST_SERVER_ABORT), or answer every failure with
 * -1 as OpenAFS's own rxperf server does.  Plain serving uses the shared
 * implementation in app/common/rxd_rxperf.c; this one exists only because
 * that one has no hooks.
 *
 * Default abort codes follow the Linux kernel's rxperf server: wrong version
 * RX_USER_ABORT, unknown or FILE operation RXGEN_OPCODE, request shorter
 * than its header says RXGEN_SS_UNMARSHAL.  Bytes after the request payload
 * (the optional cookie, or anything else) are ignored, as OpenAFS does.
 */
#ifndef RXPERF_TESTSRV_H
#define RXPERF_TESTSRV_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "rxd_app.h"

struct rxperf_testsrv_params {
	int64_t abort_reply_after; /* -1 = never */
	bool openafs_aborts;       /* every failure aborts -1 (OpenAFS tools/rxperf) */
	bool verbose;              /* one stderr line per abort */
	uint32_t max_calls;
};

struct rxperf_testsrv_stats {
	uint64_t calls, ok, failed, test_aborts, bad_version, bad_op, short_req, bytes_in, bytes_out;
};

struct rxperf_testsrv;

struct rxperf_testsrv *rxperf_testsrv_create(const struct rxperf_testsrv_params *p, rxd_app_clock_fn clock,
					     void *clock_arg);
void rxperf_testsrv_destroy(struct rxperf_testsrv *s);
void rxperf_testsrv_desc(struct rxperf_testsrv *s, uint16_t service_id, struct rxd_service_desc *d);
void rxperf_testsrv_abort_all(struct rxperf_testsrv *s, int32_t code, uint64_t now);
const struct rxperf_testsrv_stats *rxperf_testsrv_stats(const struct rxperf_testsrv *s);

#endif
