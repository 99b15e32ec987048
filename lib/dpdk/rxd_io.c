/* SPDX-License-Identifier: MIT */
/*
 * The core's I/O over mbufs: buffers come from the worker's NUMA-local pool,
 * references are mbuf reference counts, and send() builds one Ethernet frame
 * (headers + a copy of the iov pieces) into the worker's TX burst buffer.
 */
#include "rxd_io.h"

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>

#include "rxd_pkt.h"

static struct rxd_buf *io_buf_alloc(void *io, size_t len, uint8_t **data)
{
	struct rxd_wport *wp = io;
	struct rxd_worker *w = wp->wi->w;
	struct rte_mempool *mp = w->pool;
	struct rte_mbuf *m;

	if (len > w->buf_room) {
		mp = w->big_pool;
		if (!mp || len > (size_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM))
			return NULL;
	}
	m = rte_pktmbuf_alloc(mp);
	if (unlikely(!m))
		return NULL;
	m->data_len = (uint16_t)len;
	m->pkt_len = (uint32_t)len;
	*data = rte_pktmbuf_mtod(m, uint8_t *);
	return (struct rxd_buf *)(void *)m;
}

static void io_buf_ref(void *io, struct rxd_buf *b)
{
	(void)io;
	rte_mbuf_refcnt_update((struct rte_mbuf *)(void *)b, 1);
}

static void io_buf_put(void *io, struct rxd_buf *b)
{
	(void)io;
	rte_pktmbuf_free((struct rte_mbuf *)(void *)b);
}

struct rte_mbuf *rxd_frame_alloc(struct rxd_worker *w, uint32_t len, uint8_t **data)
{
	struct rte_mbuf *m;

	if (len > w->buf_room)
		return NULL;
	m = rte_pktmbuf_alloc(w->pool);
	if (unlikely(!m)) {
		w->st.drop_nombuf++;
		return NULL;
	}
	*data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	return m;
}

/* Next hop for dst: the address itself on-link, else the gateway. */
static const uint8_t *next_hop(const struct rxd_iface *ifc, unsigned family, const uint8_t *dst)
{
	if (family == 4) {
		if (rxd_ip4_in_subnet(dst, ifc->ip4, ifc->prefix4))
			return dst;
		return ifc->has_gw4 ? ifc->gw4 : NULL;
	}
	if ((dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) || rxd_ip6_in_prefix(dst, ifc->ip6, ifc->prefix6))
		return dst;
	return ifc->has_gw6 ? ifc->gw6 : NULL;
}

int rxd_ip_output(struct rxd_wiface *wi, unsigned family, const uint8_t *src_ip, const uint8_t *dst_ip,
		  const uint8_t *dmac, uint8_t proto, uint8_t ttl, struct rte_mbuf *m, uint32_t l4_len)
{
	struct rxd_iface *ifc = wi->ifc;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *nh;
	static const uint8_t zero[6];

	if (family == 4) {
		rxd_eth_write(f, dmac ? dmac : zero, ifc->mac, RXD_ETHERTYPE_IPV4);
		rxd_ip4_write(f + RXD_ETH_HLEN, (uint16_t)(RXD_IP4_HLEN + l4_len), wi->ip_id++, false, ttl, proto,
			      src_ip, dst_ip, true);
	} else {
		rxd_eth_write(f, dmac ? dmac : zero, ifc->mac, RXD_ETHERTYPE_IPV6);
		rxd_ip6_write(f + RXD_ETH_HLEN, (uint16_t)l4_len, proto, ttl, src_ip, dst_ip);
	}
	if (dmac) {
		rxd_tx_enqueue(wi, m);
		return 0;
	}
	nh = next_hop(ifc, family, dst_ip);
	if (!nh) {
		rte_pktmbuf_free(m);
		return -ENETUNREACH;
	}
	return rxd_neigh_output(wi, family, nh, m, wi->w->now);
}

static int io_send(void *io, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n, unsigned flags)
{
	struct rxd_wport *wp = io;
	struct rxd_wiface *wi = wp->wi;
	struct rxd_worker *w = wi->w;
	struct rxd_iface *ifc = wi->ifc;
	unsigned family = dst->family == RXD_AF_INET ? 4u : 6u;
	uint32_t plen = 0, hdr, off, l4_len;
	struct rte_mbuf *m;
	const uint8_t *nh;
	uint8_t *f, *u;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++)
		plen += iov[i].len;
	if (family == 4) {
		if (unlikely(!ifc->has_ip4))
			goto afnosupport;
		hdr = RXD_UDP4_OVERHEAD;
		if (unlikely(plen + RXD_IP4_HLEN + RXD_UDP_HLEN > ifc->mtu))
			goto emsgsize;
	} else {
		if (unlikely(!ifc->has_ip6))
			goto afnosupport;
		hdr = RXD_UDP6_OVERHEAD;
		if (unlikely(plen + RXD_IP6_HLEN + RXD_UDP_HLEN > ifc->mtu))
			goto emsgsize;
	}
	nh = next_hop(ifc, family, dst->ip.v6);
	if (unlikely(!nh)) {
		w->st.send_errors++;
		return -ENETUNREACH;
	}
	m = rxd_frame_alloc(w, hdr + plen, &f);
	if (unlikely(!m)) {
		w->st.send_errors++;
		return -ENOBUFS;
	}
	off = hdr;
	for (i = 0; i < n; i++) {
		memcpy(f + off, iov[i].base, iov[i].len);
		off += iov[i].len;
	}
	l4_len = RXD_UDP_HLEN + plen;
	m->l2_len = RXD_ETH_HLEN;
	if (family == 4) {
		uint8_t *ip = f + RXD_ETH_HLEN;
		f[12] = 0x08;
		f[13] = 0x00;
		memcpy(f + 6, ifc->mac, 6);
		rxd_ip4_write(ip, (uint16_t)(RXD_IP4_HLEN + l4_len), wi->ip_id++, (flags & RXD_TX_DONTFRAG) != 0, 64,
			      RXD_IPPROTO_UDP, ifc->ip4, dst->ip.v4, !ifc->tx_ip4_cksum);
		u = ip + RXD_IP4_HLEN;
		rxd_udp_write(u, wp->udp_port, dst->port, (uint16_t)l4_len);
		m->l3_len = RXD_IP4_HLEN;
		if (ifc->tx_ip4_cksum)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
		if (ifc->tx_udp_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM;
			rxd_cksum_store(u + 6, rxd_pkt_phdr_sum(4, ifc->ip4, dst->ip.v4, RXD_IPPROTO_UDP, l4_len));
		} else {
			rxd_cksum_store(u + 6, rxd_pkt_l4_cksum(4, ifc->ip4, dst->ip.v4, RXD_IPPROTO_UDP, u, l4_len));
		}
	} else {
		uint8_t *ip = f + RXD_ETH_HLEN;
		f[12] = 0x86;
		f[13] = 0xdd;
		memcpy(f + 6, ifc->mac, 6);
		rxd_ip6_write(ip, (uint16_t)l4_len, RXD_IPPROTO_UDP, 64, ifc->ip6, dst->ip.v6);
		u = ip + RXD_IP6_HLEN;
		rxd_udp_write(u, wp->udp_port, dst->port, (uint16_t)l4_len);
		m->l3_len = RXD_IP6_HLEN;
		if (ifc->tx_udp_cksum) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM;
			rxd_cksum_store(u + 6, rxd_pkt_phdr_sum(6, ifc->ip6, dst->ip.v6, RXD_IPPROTO_UDP, l4_len));
		} else {
			rxd_cksum_store(u + 6, rxd_pkt_l4_cksum(6, ifc->ip6, dst->ip.v6, RXD_IPPROTO_UDP, u, l4_len));
		}
	}
	rc = rxd_neigh_output(wi, family, nh, m, w->now);
	if (rc < 0) {
		w->st.send_errors++;
		return rc;
	}
	return 0;

afnosupport:
	w->st.send_errors++;
	return -EAFNOSUPPORT;
emsgsize:
	w->st.send_emsgsize++;
	return -EMSGSIZE;
}

const struct rxd_io_ops rxd_dpdk_io_ops = {
    .buf_alloc = io_buf_alloc,
    .buf_ref = io_buf_ref,
    .buf_put = io_buf_put,
    .send = io_send,
};

/* Hand pk[0..n) to the PMD; returns how many it took (their bytes counted). */
static uint16_t tx_burst(struct rxd_wiface *wi, struct rte_mbuf **pk, uint16_t n)
{
	struct rxd_worker *w = wi->w;
	uint64_t bytes = 0;
	uint16_t sent, i;

	/* count before tx_burst: the mbufs belong to the PMD once sent */
	for (i = 0; i < n; i++)
		bytes += pk[i]->pkt_len;
	sent = rte_eth_tx_burst(wi->ifc->port_id, wi->queue, pk, n);
	for (i = sent; i < n; i++)
		bytes -= pk[i]->pkt_len;
	w->st.tx_pkts += sent;
	w->st.tx_bytes += bytes;
	return sent;
}

/* Offer the backlog (oldest first) to the PMD; true when it is empty. */
static bool tx_backlog_drain(struct rxd_wiface *wi)
{
	struct rxd_txbuf *t = &wi->tx;

	while (t->bl_tail != t->bl_head) {
		uint32_t at = t->bl_head & (RXD_TXBACKLOG - 1);
		uint32_t run = t->bl_tail - t->bl_head;
		uint16_t sent;

		if (run > RXD_TXBACKLOG - at)
			run = RXD_TXBACKLOG - at; /* up to the wrap */
		if (run > RXD_BURST_MAX)
			run = RXD_BURST_MAX;
		sent = tx_burst(wi, t->backlog + at, (uint16_t)run);
		t->bl_head += sent;
		wi->w->st.tx_deferred += sent;
		if (sent < run)
			return false;
	}
	return true;
}

void rxd_tx_flush(struct rxd_wiface *wi)
{
	struct rxd_worker *w = wi->w;
	struct rxd_txbuf *t = &wi->tx;
	struct rte_mbuf **pk = t->pkts;
	uint16_t n = t->n, sent = 0, i;

	if (t->bl_tail != t->bl_head && !tx_backlog_drain(wi) && !n)
		return;
	if (!n)
		return;
	if (wi->ifc->tx_ip4_cksum || wi->ifc->tx_udp_cksum) {
		uint16_t done = 0;
		/* drop what the PMD refuses, keep the order of the rest */
		while (done < n) {
			uint16_t ok = (uint16_t)(done + rte_eth_tx_prepare(wi->ifc->port_id, wi->queue, pk + done,
									   (uint16_t)(n - done)));
			if (ok >= n)
				break;
			rte_pktmbuf_free(pk[ok]);
			w->st.drop_tx_full++;
			for (i = ok; i + 1 < n; i++)
				pk[i] = pk[i + 1];
			n--;
			done = ok;
		}
	}
	/* nothing may overtake the backlog: frames of one call stay in order */
	if (t->bl_tail == t->bl_head)
		sent = tx_burst(wi, pk, n);
	for (i = sent; i < n; i++) {
		if (t->bl_tail - t->bl_head >= RXD_TXBACKLOG) {
			w->st.drop_tx_full += (uint64_t)(n - i);
			rte_pktmbuf_free_bulk(pk + i, (unsigned)(n - i));
			break;
		}
		t->backlog[t->bl_tail++ & (RXD_TXBACKLOG - 1)] = pk[i];
	}
	t->n = 0;
}

void rxd_tx_discard(struct rxd_wiface *wi)
{
	struct rxd_txbuf *t = &wi->tx;

	rxd_tx_flush(wi);
	while (t->bl_tail != t->bl_head) {
		wi->w->st.drop_tx_full++;
		rte_pktmbuf_free(t->backlog[t->bl_head++ & (RXD_TXBACKLOG - 1)]);
	}
}
