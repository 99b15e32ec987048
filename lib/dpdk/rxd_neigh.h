/* SPDX-License-Identifier: MIT */
/*
 * Neighbour resolution: ARP (IPv4) and ND (IPv6) with a bounded,
 * set-associative cache per worker and iface.  Each worker keeps its own
 * cache (no locks); the worker that receives an ARP/ND packet from the port
 * answers it and hands read-only copies to the other workers so that every
 * cache learns.
 */
#ifndef RXD_DPDK_NEIGH_H
#define RXD_DPDK_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

struct rte_mbuf;
struct rxd_wiface;
struct rxd_pkt_info;

#define RXD_NEIGH_WAYS 4u
#define RXD_NEIGH_PENDING 512u	     /* frames held per unresolved neighbour */
#define RXD_NEIGH_PENDING_POOL 2048u /* frames held per table while resolving (a first window of every call) */
#define RXD_NEIGH_NIL UINT32_MAX
#define RXD_NEIGH_PROBES 3u			  /* requests before giving up */
#define RXD_NEIGH_RETRY_NS (1000ull * 1000000ull) /* as Linux (retrans_time_ms 1000): 3 probes = 3 s */
#define RXD_NEIGH_FAIL_HOLD_NS (3000ull * 1000000ull)

enum rxd_neigh_state {
	RXD_NS_FREE = 0,
	RXD_NS_INCOMPLETE,
	RXD_NS_REACHABLE,
	RXD_NS_STALE,  /* usable; refreshed by a new request on use */
	RXD_NS_FAILED, /* resolution timed out; sends fail fast until fail hold ends */
};

struct rxd_neigh_entry {
	uint8_t state, family, probes;
	uint8_t mac[6];
	uint16_t npending;
	uint8_t ip[16];
	uint32_t pend_head, pend_tail; /* frames waiting for the MAC, oldest first */
	uint64_t updated;	       /* ns of last confirmation or creation */
	uint64_t next_probe;	       /* ns */
};

struct rxd_neigh_pend {
	struct rte_mbuf *m;
	uint32_t next;
};

struct rxd_neigh_table {
	uint32_t nsets; /* power of two */
	uint64_t timeout_ns;
	struct rxd_neigh_entry *e;   /* nsets * RXD_NEIGH_WAYS */
	struct rxd_neigh_pend *pend; /* RXD_NEIGH_PENDING_POOL slots */
	uint32_t pend_free;	     /* free list */
};

/** Allocate the table (socket-local memory); size rounds up to sets of RXD_NEIGH_WAYS. */
int rxd_neigh_init(struct rxd_neigh_table *t, uint32_t size, uint64_t timeout_ns, int socket);
/**
 * Lay the table out over zeroed memory the caller allocated: e holds
 * sets * RXD_NEIGH_WAYS entries (sets a power of two), pend
 * RXD_NEIGH_PENDING_POOL slots.  rxd_neigh_init() uses it; tests and the fuzz
 * target use it with heap memory, without an EAL.
 */
void rxd_neigh_setup(struct rxd_neigh_table *t, struct rxd_neigh_entry *e, struct rxd_neigh_pend *pend, uint32_t sets,
		     uint64_t timeout_ns);
/** Free pending frames and the table. */
void rxd_neigh_fini(struct rxd_neigh_table *t);

/**
 * Resolve the next hop for a frame already built except for its destination
 * MAC.  Returns 0 when the frame went to the TX buffer, 1 when it is held
 * until resolution, or -EHOSTUNREACH / -ENOBUFS (frame freed).
 */
int rxd_neigh_output(struct rxd_wiface *wi, unsigned family, const uint8_t *nh, struct rte_mbuf *m, uint64_t now);

/** Handle an ARP packet; reply only if !learn_only.  Never frees m. */
void rxd_neigh_arp_input(struct rxd_wiface *wi, const struct rxd_pkt_info *pi, bool learn_only, uint64_t now);
/** Handle ICMPv6 NS (135) or NA (136); reply only if !learn_only.  Never frees m. */
void rxd_neigh_nd_input(struct rxd_wiface *wi, const struct rxd_pkt_info *pi, bool learn_only, uint64_t now);
/** Retries, failures and ageing; call every few milliseconds. */
void rxd_neigh_tick(struct rxd_wiface *wi, uint64_t now);
/** Number of valid entries (for statistics). */
unsigned rxd_neigh_count(const struct rxd_neigh_table *t);

#endif
