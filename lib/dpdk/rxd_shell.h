/* SPDX-License-Identifier: MIT */
/*
 * Internal state of the DPDK shell: ifaces (ports), workers (lcores) and the
 * per-(worker, iface) context the core's I/O callbacks run against.
 */
#ifndef RXD_DPDK_SHELL_H
#define RXD_DPDK_SHELL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>

#include "rxd_clock.h"
#include "rxd_crypto.h"
#include "rxd_neigh.h"

#define RXD_BURST_MAX 64u
#define RXD_TXBUF_MAX 64u
/* Frames the PMD could not take yet (its ring full: e.g. the memif peer is
 * behind), kept in order and offered again on the next loop; only beyond this
 * many are frames dropped (drop_tx_full).  A power of two. */
#define RXD_TXBACKLOG 4096u
#define RXD_FWD_BURST 32u
#define RXD_MAX_EPS 8u
#define RXD_MAX_PORTS 64u
#define RXD_HOUSEKEEP_NS (10ull * 1000000ull)

/* Shell phases, driven by the control thread, observed by every worker. */
enum rxd_phase {
	RXD_PHASE_INIT = 0,
	RXD_PHASE_RUN,
	RXD_PHASE_DRAIN,
	RXD_PHASE_ABORT,
	RXD_PHASE_STOP,
};

struct rte_flow;

/* One port with its addresses (read-only once workers run). */
struct rxd_iface {
	unsigned index;
	uint16_t port_id;
	uint16_t nb_queues;
	uint16_t mtu;
	uint16_t udp_ports[RXD_SHELL_MAX_UDP_PORTS]; /* the first is steered by rte_flow rules */
	unsigned n_udp_ports;
	int socket;
	bool has_ip4, has_gw4, has_ip6, has_gw6;
	uint8_t mac[6];
	uint8_t ip4[4], gw4[4], ip6[16], gw6[16], ll6[16];
	uint8_t prefix4, prefix6;
	bool tx_ip4_cksum, tx_udp_cksum; /* TX offloads enabled */
	bool rx_cksum;			 /* RX checksum offloads enabled */
	bool rss;			 /* RSS configured */
	unsigned flow_rules;		 /* rte_flow rules installed */
	struct rte_flow *flow[2 * RXD_SHELL_MAX_WORKERS];
	bool started;
	char name[RTE_ETH_NAME_MAX_LEN];
};

struct rxd_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[RXD_TXBUF_MAX];
	uint32_t bl_head, bl_tail; /* backlog: free-running indices, tail - head entries */
	struct rte_mbuf *backlog[RXD_TXBACKLOG];
};

/* A worker's shard on one UDP port of one iface: the core's I/O context (io_ctx). */
struct rxd_wport {
	struct rxd_wiface *wi;
	struct rxd_local *local;
	uint16_t udp_port;
};

/* A worker's view of one iface: its queue, its shards (one per UDP port), its neighbour cache. */
struct rxd_wiface {
	struct rxd_worker *w;
	struct rxd_iface *ifc;
	struct rxd_wport port[RXD_SHELL_MAX_UDP_PORTS]; /* ifc->n_udp_ports of them */
	uint16_t queue;
	uint16_t ip_id;
	struct rxd_txbuf tx;
	struct rxd_neigh_table neigh;
};

struct rxd_fwdbuf {
	uint16_t n;
	struct rte_mbuf *pkts[RXD_FWD_BURST];
};

struct rxd_msg_worker;
struct rte_flow;

struct rxd_worker {
	struct rxd_shell *shell;
	unsigned index;
	unsigned lcore;
	int socket;
	unsigned n_ifaces;
	struct rte_mempool *pool;     /* this socket's packet pool */
	struct rte_mempool *big_pool; /* for buf_alloc beyond the packet pool's room */
	uint32_t buf_room;	      /* usable bytes per packet-pool mbuf */
	uint64_t now;
	uint64_t next_housekeep;
	bool draining, aborted;
	struct rxd_wiface wif[RXD_SHELL_MAX_IFACES];
	/* every shard of this worker (each wif's ports), for the loops that visit them all */
	struct rxd_local *locals[RXD_SHELL_MAX_IFACES * RXD_SHELL_MAX_UDP_PORTS];
	unsigned n_locals;
	struct rte_ring *fwd_in[RXD_SHELL_MAX_WORKERS];	 /* from worker i to me */
	struct rte_ring *fwd_out[RXD_SHELL_MAX_WORKERS]; /* from me to worker i */
	uint64_t fwd_pending;				 /* bitmask of non-empty fwd_buf */
	struct rxd_fwdbuf fwd_buf[RXD_SHELL_MAX_WORKERS];
	struct rxd_msg_worker *msg;
	struct rte_ring *crypto_done; /* jobs back from the crypto lcores (rxd_crypto.c) */
	struct rxd_crypto_port crypto_port[RXD_SHELL_MAX_IFACES * RXD_SHELL_MAX_UDP_PORTS]; /* per shard */
	void *app;
	struct rxd_worker_stats st;
	/* published for the control thread */
	atomic_uint live_calls;
	atomic_uint snap_seq;
	struct rxd_stats core_snap;
	struct rxd_local_counts core_counts; /* under snap_seq too */
	atomic_bool exited;
} __rte_cache_aligned;

struct rxd_shell {
	struct rxd_shell_opts opts;
	int logtype;		  /* the EAL log type "rxd" */
	struct rxd_config config; /* the core's parameters, clamped to the ports */
	struct rxd_clock clock;
	atomic_int phase;
	bool started;
	unsigned n_ifaces;
	struct rxd_iface iface[RXD_SHELL_MAX_IFACES];
	int8_t port_to_iface[RXD_MAX_PORTS];
	unsigned n_workers;
	struct rxd_worker *workers[RXD_SHELL_MAX_WORKERS];
	int16_t lcore_to_worker[RTE_MAX_LCORE];
	unsigned n_crypto; /* crypto lcores (rxd_crypto.c) */
	unsigned crypto_lcore[RXD_SHELL_MAX_WORKERS];
	struct rte_ring *crypto_req;
	atomic_bool crypto_stop;
	struct rte_mempool *pools[RTE_MAX_NUMA_NODES];
	struct rte_mempool *big_pools[RTE_MAX_NUMA_NODES];
	struct rte_ring *ring_pair[2 * RXD_SHELL_MAX_WORKERS];
	unsigned n_ring_pair;
	struct rxd_lcore_hooks hooks;
	unsigned n_eps;
	struct rxd_msg_ep *eps[RXD_MAX_EPS];
	/* statistics printing state (control thread only) */
	uint64_t stats_prev_ns;
	struct rxd_worker_stats stats_prev[RXD_SHELL_MAX_WORKERS];
	uint64_t port_prev[RXD_SHELL_MAX_IFACES][4];
};

/*
 * Log through the EAL under the type "rxd", so operators choose what they see
 * with --log-level (e.g. --log-level=rxd:debug).  Level as in RTE_LOG (ERR,
 * WARNING, NOTICE, INFO, DEBUG); the format ends with a newline.
 */
#define RXD_LOG(s, level, ...) rte_log(RTE_LOG_##level, (s)->logtype, "rxd: " __VA_ARGS__)

/* Packet-level helpers shared by the modules. */
bool rxd_iface_is_our_ip(const struct rxd_iface *ifc, unsigned family, const uint8_t *ip);

/* Destroy every shard of w (its own lcore after the loop, or the control thread if it never ran). */
void rxd_worker_destroy_locals(struct rxd_worker *w);

/** The worker's shard on wi's UDP port udp_port, or NULL when the iface does not listen on it. */
static inline struct rxd_wport *rxd_wiface_port(struct rxd_wiface *wi, uint16_t udp_port)
{
	for (unsigned k = 0; k < wi->ifc->n_udp_ports; k++)
		if (wi->port[k].udp_port == udp_port)
			return wi->port[k].local ? &wi->port[k] : NULL;
	return NULL;
}

/* Core counters (rxd_stats.c): add worker w's shards' live counters into sum and counts (its own thread only). */
void rxd_worker_core_counters(const struct rxd_worker *w, struct rxd_stats *sum, struct rxd_local_counts *counts);
/* struct rxd_local_params.debug_counters (user = the worker): its own live, the other workers' last snapshots. */
void rxd_shell_debug_counters(void *user, struct rxd_stats *sum, struct rxd_local_counts *counts);

#endif
