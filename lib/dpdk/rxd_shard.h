/* SPDX-License-Identifier: MIT */
/*
 * Which worker owns a packet, and the SP/SC forwarding rings between workers.
 *
 * Owner of a connection = (cid >> 2) % nshards, whichever side made it.  For
 * our client connections the core allocates cids with
 * ((cid >> 2) % nshards) == shard_index, so they are owned where they were made.
 */
#ifndef RXD_DPDK_SHARD_H
#define RXD_DPDK_SHARD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "rxd_shell.h"

/**
 * Owner of a connection, either side: ((cid >> 2) % n).  One function of the
 * cid for both directions means that a peer which sends on queue k exactly the
 * connections whose cid maps to k (rxd as a client does: its cids are
 * allocated per shard) is served with no forwarding at all, over a memif
 * (queue k meets queue k) as well as over a NIC with one rte_flow rule per
 * queue on the cid's bits.  Clients pick cids sequentially from a random start
 * (OpenAFS from the clock, Linux from a random IDR cursor), so the low bits
 * spread a client population evenly.
 */
static inline unsigned rxd_shard_of_cid(unsigned n, uint32_t cid)
{
	return (cid >> 2) % n;
}

/** Owner of a received RxRPC datagram (payload = the UDP payload). */
static inline unsigned rxd_shard_of_rx(unsigned n, unsigned self, const uint8_t *payload, uint32_t len)
{
	if (n <= 1 || unlikely(len < RXD_WIRE_HDR_LEN))
		return self; /* the core counts and discards runts */
	return rxd_shard_of_cid(n, rxd_get_be32(payload + 4));
}

/** Owner of a datagram we sent (quoted in an ICMP error). */
static inline unsigned rxd_shard_of_tx(unsigned n, uint32_t cid)
{
	return n <= 1 ? 0 : rxd_shard_of_cid(n, cid);
}

/**
 * rxdebug's record walks (GETCONN, GETALLCONN, GETPEER) list the workers'
 * shards one after another (rxd_debug_records() in core.h): while a
 * request's index is at or past this shard's records, m goes on to the next
 * worker with the index lowered by their count, and the last worker answers.
 * payload/len: the frame's UDP payload.  Returns true when m was passed on.
 */
bool rxd_shard_debug_pass_on(struct rxd_worker *w, const struct rxd_local *l, struct rte_mbuf *m, uint8_t *payload,
			     uint32_t len);

/** Flush every non-empty per-destination buffer into its ring. */
void rxd_fwd_flush(struct rxd_worker *w);

/** Queue m for worker dst (bursts of RXD_FWD_BURST). */
static inline void rxd_fwd_enqueue(struct rxd_worker *w, unsigned dst, struct rte_mbuf *m)
{
	struct rxd_fwdbuf *b = &w->fwd_buf[dst];

	if (unlikely(b->n == RXD_FWD_BURST))
		rxd_fwd_flush(w);
	b->pkts[b->n++] = m;
	w->fwd_pending |= 1ull << dst;
	w->st.fwd_out++;
}

/** Hand m to every other worker (reference counted, read-only). */
void rxd_fwd_broadcast(struct rxd_worker *w, struct rte_mbuf *m);

#endif
