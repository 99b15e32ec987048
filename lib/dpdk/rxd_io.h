/* SPDX-License-Identifier: MIT */
/*
 * struct rxd_io_ops over mbufs, and the per-(worker, iface) TX burst buffer.
 */
#ifndef RXD_DPDK_IO_H
#define RXD_DPDK_IO_H

#include <rte_mbuf.h>

#include "rxd_shell.h"

/** The I/O table handed to every shard; its io_ctx is a struct rxd_wiface. */
extern const struct rxd_io_ops rxd_dpdk_io_ops;

/**
 * Transmit everything buffered on this worker's queue of the iface.  Frames
 * the PMD cannot take now wait, in order, in a bounded backlog that every
 * later flush offers first (the worker calls this on every loop).
 */
void rxd_tx_flush(struct rxd_wiface *wi);

/** Last flush at shutdown: what the PMD still refuses is freed (counted as drop_tx_full). */
void rxd_tx_discard(struct rxd_wiface *wi);

/** Append a complete frame to the TX buffer (flushes when full). */
static inline void rxd_tx_enqueue(struct rxd_wiface *wi, struct rte_mbuf *m)
{
	if (unlikely(wi->tx.n == RXD_TXBUF_MAX))
		rxd_tx_flush(wi);
	wi->tx.pkts[wi->tx.n++] = m;
}

/** Allocate a frame buffer from the worker's pool with len bytes appended; NULL if exhausted. */
struct rte_mbuf *rxd_frame_alloc(struct rxd_worker *w, uint32_t len, uint8_t **data);

/**
 * Build the Ethernet/IP header of a locally generated packet (ICMP, ND) to
 * dst_ip and hand it to resolution/TX.  l4 points at frame + overhead.
 */
int rxd_ip_output(struct rxd_wiface *wi, unsigned family, const uint8_t *src_ip, const uint8_t *dst_ip,
		  const uint8_t *dmac, uint8_t proto, uint8_t ttl, struct rte_mbuf *m, uint32_t l4_len);

#endif
