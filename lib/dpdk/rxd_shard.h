/* SPDX-License-Identifier: MIT */
/*
 * Which worker owns a packet, and the SP/SC forwarding rings between workers.
 *
 * Owner of a connection = pure function of (peer address, peer port, epoch,
 * cid >> 2).  For our client connections (packets arriving without
 * CLIENT_INITIATED) the owner is encoded in the cid: the core allocates cids
 * with ((cid >> 2) % nshards) == shard_index.
 */
#ifndef RXD_DPDK_SHARD_H
#define RXD_DPDK_SHARD_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "rxd_shell.h"

static inline uint64_t rxd_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/** Owner of a service connection (the peer is the client). */
static inline unsigned rxd_shard_service_conn(unsigned n, unsigned family, const uint8_t *peer_ip, uint16_t peer_port,
					      uint32_t epoch, uint32_t cid)
{
	uint64_t h = ((uint64_t)epoch << 32) | (cid >> 2);
	uint64_t a = (uint64_t)peer_port << 48 | family;

	a ^= (uint64_t)peer_ip[0] << 40 | (uint64_t)peer_ip[1] << 32 | (uint64_t)peer_ip[2] << 24 |
	     (uint64_t)peer_ip[3] << 16;
	if (family == 6)
		for (unsigned i = 4; i < 16; i += 4)
			a = rxd_mix64(a ^ ((uint64_t)peer_ip[i] << 24 | (uint64_t)peer_ip[i + 1] << 16 |
					   (uint64_t)peer_ip[i + 2] << 8 | peer_ip[i + 3]));
	return (unsigned)(rxd_mix64(h ^ rxd_mix64(a)) % n);
}

/** Owner of a received RxRPC datagram (payload = the UDP payload). */
static inline unsigned rxd_shard_of_rx(unsigned n, unsigned self, unsigned family, const uint8_t *peer_ip,
				       uint16_t peer_port, const uint8_t *payload, uint32_t len)
{
	uint32_t epoch, cid;

	if (n <= 1 || unlikely(len < RXD_WIRE_HDR_LEN))
		return self; /* the core counts and discards runts */
	epoch = rxd_get_be32(payload);
	cid = rxd_get_be32(payload + 4);
	if (!(payload[21] & RXD_F_CLIENT_INITIATED))
		return (cid >> 2) % n; /* our client connection */
	return rxd_shard_service_conn(n, family, peer_ip, peer_port, epoch, cid);
}

/** Owner of a datagram we sent (quoted in an ICMP error): the direction is reversed. */
static inline unsigned rxd_shard_of_tx(unsigned n, const struct rxd_addr *peer, uint32_t epoch, uint32_t cid,
				       uint8_t flags)
{
	if (n <= 1)
		return 0;
	if (flags & RXD_F_CLIENT_INITIATED)
		return (cid >> 2) % n;
	return rxd_shard_service_conn(n, peer->family == RXD_AF_INET ? 4u : 6u, peer->ip.v6, peer->port, epoch, cid);
}

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
