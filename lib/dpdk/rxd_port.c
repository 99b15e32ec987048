/* SPDX-License-Identifier: MIT */
/* Port, queue and pool setup (see rxd_port.h). */
#include "rxd_port.h"
#include "rxd_pkt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#ifdef RXD_HAVE_NUMA
#include <numa.h>
#endif

#define POOL_CACHE 256u
#define BIG_POOL_N 127u

int rxd_lcore_socket(unsigned lcore)
{
	unsigned sock = rte_lcore_to_socket_id(lcore);

#ifdef RXD_HAVE_NUMA
	if (sock == (unsigned)SOCKET_ID_ANY && numa_available() >= 0) {
		int cpu = rte_lcore_to_cpu_id((int)lcore);
		int node = cpu >= 0 ? numa_node_of_cpu(cpu) : -1;
		if (node >= 0)
			sock = (unsigned)node;
	}
#endif
	return sock >= RTE_MAX_NUMA_NODES ? 0 : (int)sock;
}

int rxd_ring_pair_create(struct rxd_shell *s, unsigned nq, char *err, size_t errlen)
{
#ifndef RXD_HAVE_NET_RING
	(void)s;
	(void)nq;
	snprintf(err, errlen, "--ring-pair needs librte_net_ring at build time");
	return -ENOTSUP;
#else
	struct rte_ring *a2b[RXD_SHELL_MAX_WORKERS], *b2a[RXD_SHELL_MAX_WORKERS];
	unsigned size = 4096;
	int sock = rxd_lcore_socket(rte_get_main_lcore());
	char name[RTE_RING_NAMESIZE];

	for (unsigned i = 0; i < nq; i++) {
		snprintf(name, sizeof name, "rxd_rp_ab%u", i);
		a2b[i] = rte_ring_create(name, size, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof name, "rxd_rp_ba%u", i);
		b2a[i] = rte_ring_create(name, size, sock, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!a2b[i] || !b2a[i]) {
			snprintf(err, errlen, "cannot create ring-pair rings: %s", rte_strerror(rte_errno));
			return -ENOMEM;
		}
		s->ring_pair[s->n_ring_pair++] = a2b[i];
		s->ring_pair[s->n_ring_pair++] = b2a[i];
	}
	int pa = rte_eth_from_rings("rxd_ring_a", b2a, nq, a2b, nq, (unsigned)sock);
	int pb = pa < 0 ? -1 : rte_eth_from_rings("rxd_ring_b", a2b, nq, b2a, nq, (unsigned)sock);
	if (pa < 0 || pb < 0) {
		snprintf(err, errlen, "cannot create ring-pair ports: %s", rte_strerror(rte_errno));
		return -ENODEV;
	}
	return 0;
#endif
}

int rxd_port_probe(struct rxd_shell *s, struct rxd_iface *ifc, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_ether_addr mac = {{0}};
	uint16_t mtu = 1500;
	int rc, sock;

	rc = rte_eth_dev_info_get(ifc->port_id, &info);
	if (rc) {
		snprintf(err, errlen, "port %u: cannot read device info: %s", ifc->port_id, rte_strerror(-rc));
		return rc;
	}
	if (info.max_rx_queues < ifc->nb_queues || info.max_tx_queues < ifc->nb_queues) {
		snprintf(err, errlen, "port %u (%s) has %u rx / %u tx queues, fewer than the %u worker lcores",
			 ifc->port_id, info.driver_name, info.max_rx_queues, info.max_tx_queues, ifc->nb_queues);
		return -E2BIG;
	}
	rte_eth_dev_get_name_by_port(ifc->port_id, ifc->name);
	if (rte_eth_macaddr_get(ifc->port_id, &mac) == 0)
		memcpy(ifc->mac, mac.addr_bytes, 6);
	if (rte_is_zero_ether_addr(&mac)) {
		/* net_ring has none: a locally administered one, so ARP/ND see distinct hosts */
		static const uint8_t base[6] = {0x02, 0x72, 0x78, 0x64, 0x00, 0x00};
		memcpy(ifc->mac, base, 6);
		ifc->mac[4] = (uint8_t)(ifc->port_id >> 8);
		ifc->mac[5] = (uint8_t)(ifc->port_id + 1);
	}
	if (s->opts.mtu)
		mtu = s->opts.mtu;
	else if (rte_eth_dev_get_mtu(ifc->port_id, &mtu) != 0 || mtu < 576)
		mtu = 1500;
	if (mtu > info.max_mtu && info.max_mtu >= 576) {
		if (s->opts.mtu) {
			snprintf(err, errlen, "--mtu %u: port %u (%s) takes an MTU of at most %u", mtu, ifc->port_id,
				 info.driver_name, info.max_mtu);
			return -EINVAL;
		}
		mtu = info.max_mtu;
	}
	ifc->mtu = mtu;
	sock = rte_eth_dev_socket_id(ifc->port_id);
	ifc->socket = sock < 0 || sock >= RTE_MAX_NUMA_NODES ? rxd_lcore_socket(rte_get_main_lcore()) : sock;
	ifc->tx_ip4_cksum = s->opts.tx_offload && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	ifc->tx_udp_cksum = s->opts.tx_offload && (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_UDP_CKSUM);
	ifc->rx_cksum = (info.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM)) ==
			(RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM);
	ifc->rss = s->opts.rss && ifc->nb_queues > 1 &&
		   (info.flow_type_rss_offloads & (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP));
	return 0;
}

static uint16_t max_mtu(const struct rxd_shell *s)
{
	uint16_t m = 1500;

	for (unsigned i = 0; i < s->n_ifaces; i++)
		if (s->iface[i].mtu > m)
			m = s->iface[i].mtu;
	return m;
}

int rxd_pools_create(struct rxd_shell *s, char *err, size_t errlen)
{
	bool used[RTE_MAX_NUMA_NODES] = {false};
	uint32_t room = RTE_MBUF_DEFAULT_DATAROOM, frame = (uint32_t)max_mtu(s) + RXD_ETH_HLEN + 4u;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (frame > room)
		room = (frame + 63u) & ~63u;
	for (unsigned i = 0; i < s->n_workers; i++)
		used[s->workers[i]->socket] = true;
	for (unsigned i = 0; i < s->n_ifaces; i++)
		used[s->iface[i].socket] = true;
	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++) {
		uint32_t n = s->opts.nb_mbufs;
		if (!used[sock])
			continue;
		if (n == 0) {
			/* descriptors + TX/forward buffering + what the core may hold (rx windows, retransmit queues)
			 */
			n = s->n_ifaces * s->n_workers * (s->opts.nb_rxd + s->opts.nb_txd + RXD_TXBUF_MAX) +
			    s->n_workers * (s->opts.fwd_ring_size * 2u + POOL_CACHE + 8192u);
			if (n < 16383)
				n = 16383;
		}
		snprintf(name, sizeof name, "rxd_pkt_%d", sock);
		s->pools[sock] =
		    rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0, (uint16_t)(room + RTE_PKTMBUF_HEADROOM), sock);
		if (!s->pools[sock]) {
			snprintf(
			    err, errlen,
			    "cannot create a pool of %u mbufs on socket %d: %s (fewer --nb-mbufs, or more hugepages)",
			    n, sock, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		snprintf(name, sizeof name, "rxd_big_%d", sock);
		s->big_pools[sock] = rte_pktmbuf_pool_create(name, BIG_POOL_N, 0, 0, UINT16_MAX, sock);
		/* the big pool is optional: large core buffers then fail like an exhausted pool */
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];
		w->pool = s->pools[w->socket];
		w->big_pool = s->big_pools[w->socket];
		w->buf_room = room;
	}
	return 0;
}

/*
 * A port configured without an MTU (the driver refused the one asked) must
 * still run at ifc->mtu: the shell advertises it to peers (the ACK trailer's
 * maxMTU, PMTUD), and a peer sending to an MTU the port drops sees only
 * timeouts.  Set it, or end with a line naming it when --mtu asked for it; a
 * port left at a smaller MTU of its own is taken at that.
 */
static int mtu_confirm(const struct rxd_shell *s, struct rxd_iface *ifc, char *err, size_t errlen)
{
	uint16_t have = 0;
	int rc;

	if (rte_eth_dev_get_mtu(ifc->port_id, &have) == 0 && have == ifc->mtu)
		return 0;
	rc = rte_eth_dev_set_mtu(ifc->port_id, ifc->mtu);
	if (rc == 0)
		return 0;
	if (s->opts.mtu) {
		snprintf(err, errlen, "--mtu %u: port %u (%s) refuses it (%s)", ifc->mtu, ifc->port_id, ifc->name,
			 rte_strerror(-rc));
		return rc;
	}
	if (have >= 576 && have < ifc->mtu)
		ifc->mtu = have;
	return 0;
}

int rxd_port_start(struct rxd_shell *s, struct rxd_iface *ifc, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = s->opts.nb_rxd, nb_txd = s->opts.nb_txd, q;
	int rc;

	memset(&conf, 0, sizeof conf);
	rte_eth_dev_info_get(ifc->port_id, &info);
	conf.rxmode.mtu = ifc->mtu;
	if (ifc->rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = NULL; /* the PMD's default key */
		conf.rx_adv_conf.rss_conf.rss_hf =
		    info.flow_type_rss_offloads &
		    (RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV4 | RTE_ETH_RSS_IPV6);
	}
	if (ifc->rx_cksum)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	if (ifc->tx_ip4_cksum)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
	if (ifc->tx_udp_cksum)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	rc = rte_eth_dev_configure(ifc->port_id, ifc->nb_queues, ifc->nb_queues, &conf);
	if (rc < 0 && conf.rxmode.mtu) { /* some vdevs refuse an MTU they already have */
		conf.rxmode.mtu = 0;
		rc = rte_eth_dev_configure(ifc->port_id, ifc->nb_queues, ifc->nb_queues, &conf);
		if (rc == 0 && (rc = mtu_confirm(s, ifc, err, errlen)) < 0)
			return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "port %u (%s): configure failed: %s", ifc->port_id, ifc->name, rte_strerror(-rc));
		return rc;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(ifc->port_id, &nb_rxd, &nb_txd);
	for (q = 0; q < ifc->nb_queues; q++) {
		struct rxd_worker *w = s->workers[q];
		struct rte_eth_rxconf rxc = info.default_rxconf;
		struct rte_eth_txconf txc = info.default_txconf;
		/* descriptors on the port's socket; buffers from the polling worker's pool */
		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(ifc->port_id, q, nb_rxd, (unsigned)ifc->socket, &rxc, w->pool);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(ifc->port_id, q, nb_txd, (unsigned)ifc->socket, &txc);
		if (rc < 0) {
			snprintf(err, errlen, "port %u (%s): queue %u setup failed: %s", ifc->port_id, ifc->name, q,
				 rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(ifc->port_id);
	if (rc < 0) {
		snprintf(err, errlen, "port %u (%s): start failed: %s", ifc->port_id, ifc->name, rte_strerror(-rc));
		return rc;
	}
	ifc->started = true;
	if (s->opts.promisc)
		rte_eth_promiscuous_enable(ifc->port_id);
	/* IPv6 neighbour solicitations go to solicited-node multicast groups */
	if (ifc->has_ip6)
		rte_eth_allmulticast_enable(ifc->port_id);
	if (s->opts.flow && ifc->nb_queues > 1)
		ifc->flow_rules = rxd_flow_setup(s, ifc);
	return 0;
}

void rxd_port_close(struct rxd_shell *s, struct rxd_iface *ifc)
{
	if (ifc->flow_rules)
		rxd_flow_teardown(s, ifc);
	if (ifc->started) {
		rte_eth_dev_stop(ifc->port_id);
		ifc->started = false;
	}
	rte_eth_dev_close(ifc->port_id);
}

void rxd_pools_free(struct rxd_shell *s)
{
	for (int sock = 0; sock < RTE_MAX_NUMA_NODES; sock++) {
		rte_mempool_free(s->pools[sock]);
		rte_mempool_free(s->big_pools[sock]);
		s->pools[sock] = s->big_pools[sock] = NULL;
	}
	for (unsigned i = 0; i < s->n_ring_pair; i++)
		rte_ring_free(s->ring_pair[i]);
	s->n_ring_pair = 0;
}
