/* SPDX-License-Identifier: MIT */
/*
 * The one result-JSON schema (doc/results-json.md): every program that
 * measures calls (rxd, rxperf, rxd-udp, rxd-core-bench, openafs_peer) prints
 * these fields with these names, then its own extras.  Header-only so the
 * OpenAFS peer and the core bench, which link neither DPDK nor app/common,
 * print the same names.
 */
#ifndef RXD_RESULT_H
#define RXD_RESULT_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

struct rxd_result {
	const char *impl;		 /* "rxd", "rxd-udp", "rxd-core", "openafs-rx" */
	const char *scenario;		 /* what ran: "rpc", "send", "recv", "echo", a bench scenario */
	uint64_t req_bytes, reply_bytes; /* payload per call */
	uint64_t concurrency;		 /* calls in flight */
	uint64_t calls;			 /* calls finished: calls_ok + expected_aborts + calls_failed */
	uint64_t calls_ok, calls_failed; /* failed: every unexpected outcome (abort, error, bad reply) */
	uint64_t expected_aborts;	 /* aborts a test asked for (abort-after, expect-abort) */
	uint64_t verify_errors;		 /* replies whose bytes were wrong (included in calls_failed) */
	uint64_t retransmissions;	 /* DATA packets sent again */
	double secs;			 /* measured window */
	double calls_per_s, mb_per_s;	 /* mb: 10^6 bytes of request + reply payload */
	double p50_us, p99_us, p999_us;	 /* latency of successful calls */
};

/** Print the common fields, comma-separated, without braces (the caller adds its extras). */
static inline void rxd_result_json(FILE *f, const struct rxd_result *r)
{
	fprintf(
	    f,
	    "\"impl\":\"%s\",\"scenario\":\"%s\",\"req_bytes\":%" PRIu64 ",\"reply_bytes\":%" PRIu64
	    ",\"concurrency\":%" PRIu64 ",\"calls\":%" PRIu64 ",\"calls_ok\":%" PRIu64 ",\"calls_failed\":%" PRIu64
	    ",\"expected_aborts\":%" PRIu64 ",\"verify_errors\":%" PRIu64 ",\"retransmissions\":%" PRIu64
	    ",\"secs\":%.6f,\"calls_per_s\":%.1f,\"mb_per_s\":%.3f,\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f",
	    r->impl, r->scenario, r->req_bytes, r->reply_bytes, r->concurrency, r->calls, r->calls_ok, r->calls_failed,
	    r->expected_aborts, r->verify_errors, r->retransmissions, r->secs, r->calls_per_s, r->mb_per_s, r->p50_us,
	    r->p99_us, r->p999_us);
}

#endif
