/* SPDX-License-Identifier: MIT */
/* Forwarding between workers over SP/SC rings (see rxd_shard.h). */
#include "rxd_shard.h"

#include <rte_ring.h>

void rxd_fwd_flush(struct rxd_worker *w)
{
	uint64_t pend = w->fwd_pending;

	while (pend) {
		unsigned dst = (unsigned)__builtin_ctzll(pend);
		struct rxd_fwdbuf *b = &w->fwd_buf[dst];
		unsigned sent;

		pend &= pend - 1;
		sent = rte_ring_sp_enqueue_burst(w->fwd_out[dst], (void **)b->pkts, b->n, NULL);
		if (unlikely(sent < b->n)) {
			w->st.drop_fwd_full += b->n - sent;
			rte_pktmbuf_free_bulk(b->pkts + sent, b->n - sent);
		}
		b->n = 0;
	}
	w->fwd_pending = 0;
}

void rxd_fwd_broadcast(struct rxd_worker *w, struct rte_mbuf *m)
{
	unsigned n = w->shell->n_workers;

	if (n <= 1)
		return;
	rte_mbuf_refcnt_update(m, (int16_t)(n - 1));
	for (unsigned i = 0; i < n; i++)
		if (i != w->index)
			rxd_fwd_enqueue(w, i, m);
}

bool rxd_shard_debug_pass_on(struct rxd_worker *w, const struct rxd_local *l, struct rte_mbuf *m, uint8_t *payload,
			     uint32_t len)
{
	unsigned next = w->index + 1;
	int32_t index;
	int count;

	if (next >= w->shell->n_workers || len < RXD_WIRE_HDR_LEN + 8 || payload[20] != RXD_PKT_DEBUG)
		return false;
	count = rxd_debug_records(l, (int32_t)rxd_get_be32(payload + RXD_WIRE_HDR_LEN));
	index = (int32_t)rxd_get_be32(payload + RXD_WIRE_HDR_LEN + 4);
	if (count < 0 || index < count)
		return false;
	/* forwarded frames are not checksummed again: the rewrite is safe */
	rxd_put_be32(payload + RXD_WIRE_HDR_LEN + 4, (uint32_t)(index - count));
	rxd_fwd_enqueue(w, next, m);
	return true;
}
