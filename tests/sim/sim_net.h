/* SPDX-License-Identifier: MIT */
/*
 * sim_net: a deterministic virtual network for rxd engines.
 *
 * N engines (struct rxd_local), each with its own IPv4 address, exchange UDP
 * datagrams over a seeded lossy network with a virtual clock.  The shell side
 * of the core's contract is implemented here: buffers are reference-counted
 * heap blocks (every allocation and free is counted, so leaks show), and
 * send() copies the gather list into a packet that is delivered later, subject
 * to queueing, delay, jitter, loss, duplication, reordering, corruption and a
 * path MTU that can change mid-run (DF datagrams above it are dropped and the
 * sender gets an ICMP frag-needed through rxd_local_input_error(), unless the
 * path is an ICMP black hole).
 *
 * The event loop always advances to the earliest of {next queued event, every
 * engine's rxd_local_next_expiry()}.
 */
#ifndef RXD_SIM_NET_H
#define RXD_SIM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rxd/core.h>

#include "test_io.h"

#define SIM_MAX_ENGINES 16
#define SIM_IP_UDP_HDR 28u /* IPv4 + UDP header bytes counted against the path MTU */

/* Properties of every path (the network is a symmetric full mesh). */
struct sim_link {
	uint64_t delay_ns;	/* one-way propagation delay */
	uint64_t jitter_ns;	/* uniform extra delay in [0, jitter] */
	double loss;		/* drop chance per datagram (per IP fragment when fragmented) */
	double dup;		/* chance a datagram is delivered twice */
	double reorder;		/* chance a datagram is held back by an extra delay */
	uint64_t reorder_ns;	/* that extra delay, uniform in [0, reorder_ns] */
	double corrupt;		/* chance one byte is flipped */
	double csum_catch;	/* chance a corrupted datagram is dropped by the UDP checksum */
	uint64_t bandwidth_bps; /* sender egress rate in bit/s; 0 = infinite */
	uint64_t queue_ns;	/* egress queue limit as a delay; beyond it datagrams tail-drop */
	uint32_t mtu;		/* path MTU in IP bytes */
	bool no_icmp;		/* DF datagrams above it vanish without ICMP frag-needed (a PMTU black hole) */
	double transient;	/* chance a datagram is handed to the core with buf NULL (copy path) */
	uint32_t buf_limit;	/* live buffers allowed; buf_alloc returns NULL beyond (0 = no limit) */
};

/* Sensible defaults: 1 ms one-way, no impairment, 1 Gbit/s, MTU 1500. */
void sim_link_default(struct sim_link *l);

struct sim_net_params {
	unsigned n_engines;
	uint64_t seed;
	uint64_t start_ns; /* initial virtual time */
	struct sim_link link;
	const struct rxd_config *config; /* NULL = rxd_config_default() */
	bool trace;			 /* print every packet event to stderr */
	/* > 0: each engine gets a crypto engine (doc/crypto-offload.md) that holds at most 16 jobs and
	 * finishes each after a random delay up to this, so jobs finish out of order; 0 = inline */
	uint64_t crypto_delay_ns;
};

struct sim_net;

/** Create the network and its engines.  0 or -errno (with a message on stderr). */
int sim_net_create(const struct sim_net_params *p, struct sim_net **out);
/**
 * Destroy: rxd_local_destroy() on every engine, then free queued packets.
 * Returns the number of buffers still live afterwards (leaks; 0 is correct).
 */
uint64_t sim_net_destroy(struct sim_net *n);

unsigned sim_net_count(const struct sim_net *n);
struct rxd_local *sim_net_local(struct sim_net *n, unsigned i);
const struct rxd_addr *sim_net_addr(const struct sim_net *n, unsigned i);
uint64_t sim_net_now(const struct sim_net *n);
struct sim_link *sim_net_link(struct sim_net *n); /* mutable at any time */
uint64_t sim_net_seed(const struct sim_net *n);

/** Change the path MTU at virtual time at. */
void sim_net_set_mtu_at(struct sim_net *n, uint64_t at, uint32_t mtu);

typedef void (*sim_event_fn)(void *arg, uint64_t now);
/** Run fn(arg, now) at virtual time at (events at equal times run in scheduling order). */
void sim_net_schedule(struct sim_net *n, uint64_t at, sim_event_fn fn, void *arg);

enum sim_run_result {
	SIM_RUN_DONE,	    /* done() returned true */
	SIM_RUN_IDLE,	    /* nothing queued and no engine timer armed */
	SIM_RUN_TIME_LIMIT, /* the next thing to do lies beyond until */
	SIM_RUN_STEP_LIMIT, /* max_steps steps taken */
	SIM_RUN_LIVELOCK,   /* an engine's next expiry stays <= now however often it is expired */
};
const char *sim_run_result_name(enum sim_run_result r);

/**
 * Run the event loop until done(arg) (checked before every step; may be NULL),
 * idleness, virtual time until, or max_steps.
 */
enum sim_run_result sim_net_run(struct sim_net *n, bool (*done)(void *arg), void *arg, uint64_t until,
				uint64_t max_steps);

/** True when no packet or ICMP is in flight (app events and MTU changes do not count). */
bool sim_net_wire_empty(const struct sim_net *n);

struct sim_net_stats {
	uint64_t delivered, delivered_bytes;
	uint64_t lost, queue_drops, mtu_drops, fragmented, no_route;
	uint64_t mtu_drops_data; /* DATA datagrams among mtu_drops */
	uint32_t largest_data;	 /* largest DATA datagram delivered (UDP payload bytes) */
	uint32_t largest_probe;	 /* largest padded PING ACK (a PMTUD probe) delivered */
	uint64_t duplicated, corrupted, csum_drops, corrupt_delivered, transient;
	uint64_t icmp_sent;
	uint64_t reordered;   /* datagrams delivered after one put on the wire later in the same direction */
	uint64_t mtu_changes; /* path MTU changes applied (sim_net_set_mtu_at) */
	uint64_t steps, expiries, events, batches;
	uint64_t sent_by_type[RXD_PKT__MAX + 1];
};
const struct sim_net_stats *sim_net_stats(const struct sim_net *n);
/** Buffers and datagrams handed to send(); violations: bad iov, bad refcount, ... (each printed). */
const struct test_io_stats *sim_net_io_stats(const struct sim_net *n);
/** Buffers currently allocated (core-held plus in flight). */
uint64_t sim_net_live_bufs(const struct sim_net *n);
/** Buffers held by packets still queued on the wire. */
uint64_t sim_net_inflight_bufs(const struct sim_net *n);

/**
 * Print the last max_lines recorded packet events to f; with match_cid != 0
 * only those whose cid (channel bits masked) equals it.
 */
void sim_net_dump_trace(const struct sim_net *n, FILE *f, uint32_t match_cid, unsigned max_lines);
/** Print each engine's counts, next expiry and non-zero discard/stat counters. */
void sim_net_dump_engines(struct sim_net *n, FILE *f);

#endif
