/* SPDX-License-Identifier: MIT */
/*
 * sim_app: client and server applications driving rxd engines on a sim_net,
 * with end-to-end checks of every call.
 *
 * Requests are self-describing: a request of at least SIM_REQ_HDR_LEN bytes
 * starts with a header carrying a tag (which plan it belongs to), the reply
 * length, what the server must do (abort where, with which code, think how
 * long) and a check word; all following bytes come from a counter-based
 * stream seeded by the tag, so the server verifies the request and the client
 * verifies the reply without anyone storing payloads.  Shorter requests carry
 * fixed content and get a reply whose length and bytes derive from their length.
 *
 * Work is organised as phases (barriers; a gap between phases can outlast
 * every expiry, after which every engine must be empty) of lanes (sequences of
 * calls from one client engine; lanes run concurrently).
 */
#ifndef RXD_SIM_APP_H
#define RXD_SIM_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_net.h"

#define SIM_REQ_HDR_LEN 48u
#define SIM_SERVICE_ID 1234u
#define SIM_UNKNOWN_SERVICE_ID 4321u
#define SIM_CLIENT_CODE_BASE 1000 /* client abort codes are 1000..1999 */
#define SIM_SERVER_CODE_BASE 2000 /* server abort codes are 2000..2999 */

enum sim_action {
	SIM_ACT_NONE = 0,
	SIM_ACT_CLIENT_ABORT_REQ,   /* client aborts after sending action_at request bytes */
	SIM_ACT_CLIENT_ABORT_REPLY, /* client aborts after reading action_at reply bytes (0: once the request is sent)
				     */
	SIM_ACT_CLIENT_END_REPLY,   /* client ends the call (RX_USER_ABORT) after reading action_at reply bytes */
	SIM_ACT_SERVER_ABORT_REQ,   /* server aborts after reading action_at (>= header) request bytes */
	SIM_ACT_SERVER_ABORT_REPLY, /* server aborts after sending action_at reply bytes */
};
const char *sim_action_name(enum sim_action a);

/* One client call. */
struct sim_call_plan {
	unsigned client, server; /* engine indices */
	uint16_t service_id;	 /* 0 = SIM_SERVICE_ID */
	uint32_t req_len;
	uint32_t reply_len; /* ignored for short requests (derived from req_len) */
	enum sim_action action;
	uint32_t action_at;
	int32_t action_code;
	uint32_t think_us;   /* server pause between reading the request and replying */
	uint32_t stall_us;   /* client pause after every recv_chunk bytes of reply read */
	uint32_t send_chunk; /* bytes per rxd_call_send() (client; the server gets its own) */
	uint32_t recv_chunk; /* bytes per read */
	bool peek;	     /* client reads with rxd_call_peek/consume instead of rxd_call_recv */
	bool tx_len_known;   /* pass tx_total_len */
	bool end_deferred;   /* end from a later event instead of the complete notification */
	uint64_t gap_ns;     /* lane pause before this call starts */
};

/* What a random workload looks like. */
struct sim_workload {
	uint32_t clients_mask; /* engines that issue calls */
	uint32_t servers_mask; /* engines that are called */
	unsigned phases;
	unsigned calls_per_pair; /* per phase and (client, server) pair, on average */
	unsigned max_lanes;	 /* concurrent calls per pair: 1..max_lanes */
	uint64_t byte_budget;	 /* rough cap on payload bytes of ordinary calls */
	double p_huge;		 /* chance of one 16 MiB request or reply */
	double p_unknown_service;
	double p_client_abort;
	double p_server_abort;
	double p_end_early;
	double p_think;
	double p_stall;
	double p_peek;
	double p_tx_len;
	double p_defer_end;
	double p_long_idle;  /* chance a phase gap outlasts every expiry */
	uint64_t max_gap_ns; /* pause between calls of a lane (half of them 0) */
};
void sim_workload_default(struct sim_workload *w, unsigned n_engines);

struct sim_app_params {
	struct sim_net *net;
	const char *name;	     /* scenario name for messages */
	uint32_t servers_mask;	     /* engines offering SIM_SERVICE_ID */
	bool needs_charge;	     /* service needs rxd_service_charge() slots */
	unsigned charge_slots;	     /* slots kept charged per server engine */
	uint32_t backlog;	     /* service backlog (0 = config default) */
	unsigned reject_every;	     /* server rejects (BUSY) every Nth new call; 0 = never */
	bool relaxed;		     /* any clear outcome is fine (busy, corruption) */
	bool allow_data_mismatch;    /* corrupted payloads may reach the application */
	uint64_t call_time_limit_ns; /* a call must complete within this after it began (0 = 600 s) */
	uint64_t long_idle_ns;	     /* gap that outlasts every expiry (0 = from the config) */
	unsigned max_print;	     /* failures printed with full diagnostics (0 = 3) */
	bool rxkad;		     /* every call and service under rxkad at rxkad_level */
	uint8_t rxkad_level;
};

struct sim_app_result {
	uint64_t calls, succeeded, client_aborted, server_aborted, unknown_service, other_outcome;
	uint64_t bytes; /* request bytes sent + reply bytes received by clients */
	uint64_t server_calls, rejected, data_mismatches, reaped_checks;
	uint64_t failures;
	uint64_t start_ns, end_ns; /* virtual time span of the run */
	uint64_t work_end_ns;	   /* when the last client call ended */
	struct {		   /* client outcomes other than success, by (completion, code) */
		int comp;
		int32_t code;
		uint64_t n;
	} outcomes[8];
};

struct sim_app;

struct sim_app *sim_app_create(const struct sim_app_params *p);
/** Free the app; call after sim_net_destroy() (which may still notify calls). */
void sim_app_destroy(struct sim_app *a);

/** Start a new phase whose first calls begin gap_ns after the previous phase ended. */
unsigned sim_app_add_phase(struct sim_app *a, uint64_t gap_ns, bool expect_reaped);
/** Add a lane (a sequence of calls) to a phase. */
unsigned sim_app_add_lane(struct sim_app *a, unsigned phase);
/** Append a call to a lane; returns the call's index. */
unsigned sim_app_add_call(struct sim_app *a, unsigned lane, const struct sim_call_plan *p);
/** Fill a default plan (ordinary call, no action). */
void sim_call_plan_default(struct sim_call_plan *p, unsigned client, unsigned server, uint32_t req_len,
			   uint32_t reply_len);
/** Generate a random workload from w (deterministic in seed). */
void sim_app_generate(struct sim_app *a, const struct sim_workload *w, uint64_t seed);

/** Schedule the first phase (sim_app_run() does it too); for driving sim_net_run() by hand. */
void sim_app_start(struct sim_app *a);
/**
 * Run every phase, then end leftovers, drain the network past all expiries
 * and check the engines are empty.  Returns the number of failures.
 */
uint64_t sim_app_run(struct sim_app *a);
/** Mark the run over: later notifications (from rxd_local_destroy) are only recorded. */
void sim_app_detach(struct sim_app *a);
const struct sim_app_result *sim_app_result(const struct sim_app *a);
/** Report a failure (counted; printed with diagnostics while under max_print). */
void sim_app_fail(struct sim_app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
