/* SPDX-License-Identifier: MIT */
/* ARP and IPv6 neighbour discovery with a bounded cache (see rxd_neigh.h). */
#include "rxd_neigh.h"

#include <errno.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "rxd_io.h"
#include "rxd_pkt.h"
#include "rxd_shell.h"

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int rxd_neigh_init(struct rxd_neigh_table *t, uint32_t size, uint64_t timeout_ns, int socket)
{
	uint32_t sets = 1;

	while (sets * RXD_NEIGH_WAYS < size)
		sets <<= 1;
	t->nsets = sets;
	t->timeout_ns = timeout_ns;
	t->e = rte_zmalloc_socket("rxd_neigh", sizeof(*t->e) * sets * RXD_NEIGH_WAYS, RTE_CACHE_LINE_SIZE, socket);
	return t->e ? 0 : -ENOMEM;
}

static void drop_pending(struct rxd_neigh_entry *e)
{
	for (unsigned i = 0; i < e->npending; i++)
		rte_pktmbuf_free(e->pending[i]);
	e->npending = 0;
}

void rxd_neigh_fini(struct rxd_neigh_table *t)
{
	if (!t->e)
		return;
	for (uint32_t i = 0; i < t->nsets * RXD_NEIGH_WAYS; i++)
		drop_pending(&t->e[i]);
	rte_free(t->e);
	t->e = NULL;
}

unsigned rxd_neigh_count(const struct rxd_neigh_table *t)
{
	unsigned n = 0;

	for (uint32_t i = 0; t->e && i < t->nsets * RXD_NEIGH_WAYS; i++)
		n += t->e[i].state == RXD_NS_REACHABLE || t->e[i].state == RXD_NS_STALE;
	return n;
}

static unsigned alen(unsigned family)
{
	return family == 4 ? 4u : 16u;
}

static struct rxd_neigh_entry *set_of(struct rxd_neigh_table *t, unsigned family, const uint8_t *ip)
{
	uint64_t h;

	if (family == 4)
		h = rxd_rd32(ip);
	else
		h = ((uint64_t)rxd_rd32(ip + 8) << 32 | rxd_rd32(ip + 12)) ^ rxd_rd32(ip);
	h *= 0x9e3779b97f4a7c15ull;
	return &t->e[((uint32_t)(h >> 40) & (t->nsets - 1)) * RXD_NEIGH_WAYS];
}

static struct rxd_neigh_entry *lookup(struct rxd_neigh_table *t, unsigned family, const uint8_t *ip)
{
	struct rxd_neigh_entry *s = set_of(t, family, ip);

	for (unsigned i = 0; i < RXD_NEIGH_WAYS; i++)
		if (s[i].state != RXD_NS_FREE && s[i].family == family && memcmp(s[i].ip, ip, alen(family)) == 0)
			return &s[i];
	return NULL;
}

static struct rxd_neigh_entry *create(struct rxd_neigh_table *t, unsigned family, const uint8_t *ip, uint64_t now)
{
	struct rxd_neigh_entry *s = set_of(t, family, ip), *victim = NULL;

	for (unsigned i = 0; i < RXD_NEIGH_WAYS; i++) {
		if (s[i].state == RXD_NS_FREE) {
			victim = &s[i];
			break;
		}
		if (!victim || s[i].updated < victim->updated)
			victim = &s[i];
	}
	drop_pending(victim);
	memset(victim, 0, sizeof(*victim));
	victim->family = (uint8_t)family;
	memcpy(victim->ip, ip, alen(family));
	victim->state = RXD_NS_INCOMPLETE;
	victim->updated = now;
	victim->next_probe = now;
	return victim;
}

/* ---- requests ---- */

static void send_arp(struct rxd_wiface *wi, uint16_t op, const uint8_t *dmac, const uint8_t *tha, const uint8_t *tpa)
{
	struct rxd_iface *ifc = wi->ifc;
	uint8_t *f, *a;
	struct rte_mbuf *m = rxd_frame_alloc(wi->w, RXD_ETH_HLEN + RXD_ARP_LEN, &f);

	if (!m)
		return;
	rxd_eth_write(f, dmac, ifc->mac, RXD_ETHERTYPE_ARP);
	a = f + RXD_ETH_HLEN;
	rxd_wr16(a, 1);
	rxd_wr16(a + 2, RXD_ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	rxd_wr16(a + 6, op);
	memcpy(a + 8, ifc->mac, 6);
	memcpy(a + 14, ifc->ip4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, tpa, 4);
	wi->w->st.arp_tx++;
	rxd_tx_enqueue(wi, m);
}

/* Our source address towards target: link-local for link-local targets. */
static const uint8_t *nd_src(const struct rxd_iface *ifc, const uint8_t *target)
{
	if (target[0] == 0xfe && (target[1] & 0xc0) == 0x80)
		return ifc->ll6;
	return ifc->ip6;
}

static void send_nd(struct rxd_wiface *wi, uint8_t type, const uint8_t *src, const uint8_t *dst, const uint8_t *dmac,
		    const uint8_t *target, uint8_t naflags)
{
	struct rxd_iface *ifc = wi->ifc;
	const uint32_t l4_len = 32; /* 24 + one link-layer address option */
	uint8_t *f, *icmp;
	struct rte_mbuf *m = rxd_frame_alloc(wi->w, RXD_ETH_HLEN + RXD_IP6_HLEN + l4_len, &f);

	if (!m)
		return;
	icmp = f + RXD_ETH_HLEN + RXD_IP6_HLEN;
	memset(icmp, 0, l4_len);
	icmp[0] = type;
	icmp[4] = naflags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, ifc->mac, 6);
	rxd_cksum_store(icmp + 2, rxd_pkt_l4_cksum(6, src, dst, RXD_IPPROTO_ICMPV6, icmp, l4_len));
	wi->w->st.nd_tx++;
	rxd_ip_output(wi, 6, src, dst, dmac, RXD_IPPROTO_ICMPV6, 255, m, l4_len);
}

static void solicit(struct rxd_wiface *wi, struct rxd_neigh_entry *e, uint64_t now)
{
	static const uint8_t zero[6];

	if (e->family == 4) {
		send_arp(wi, 1, bcast_mac, zero, e->ip);
	} else {
		uint8_t maddr[16], mmac[6];
		rxd_ip6_solicited_node(e->ip, maddr);
		rxd_mac_ip6_multicast(maddr, mmac);
		send_nd(wi, 135, nd_src(wi->ifc, e->ip), maddr, mmac, e->ip, 0);
	}
	e->probes++;
	e->next_probe = now + RXD_NEIGH_RETRY_NS;
}

static void confirm(struct rxd_wiface *wi, struct rxd_neigh_entry *e, const uint8_t *mac, uint64_t now)
{
	memcpy(e->mac, mac, 6);
	e->state = RXD_NS_REACHABLE;
	e->updated = now;
	e->probes = 0;
	for (unsigned i = 0; i < e->npending; i++) {
		struct rte_mbuf *m = e->pending[i];
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
		rxd_tx_enqueue(wi, m);
	}
	e->npending = 0;
}

static void learn(struct rxd_wiface *wi, unsigned family, const uint8_t *ip, const uint8_t *mac, bool create_it,
		  uint64_t now)
{
	struct rxd_neigh_entry *e = lookup(&wi->neigh, family, ip);

	if (rxd_mac_is_multicast(mac))
		return;
	if (!e) {
		if (!create_it)
			return;
		e = create(&wi->neigh, family, ip, now);
	}
	confirm(wi, e, mac, now);
}

int rxd_neigh_output(struct rxd_wiface *wi, unsigned family, const uint8_t *nh, struct rte_mbuf *m, uint64_t now)
{
	struct rxd_neigh_table *t = &wi->neigh;
	struct rxd_neigh_entry *e = lookup(t, family, nh);

	if (likely(e != NULL)) {
		switch (e->state) {
		case RXD_NS_REACHABLE:
			if (unlikely(now - e->updated > t->timeout_ns)) {
				e->state = RXD_NS_STALE;
				e->next_probe = now;
			}
			/* fallthrough */
		case RXD_NS_STALE:
			if (e->state == RXD_NS_STALE && now >= e->next_probe) {
				e->probes = 0;
				solicit(wi, e, now);
			}
			memcpy(rte_pktmbuf_mtod(m, uint8_t *), e->mac, 6);
			rxd_tx_enqueue(wi, m);
			return 0;
		case RXD_NS_FAILED:
			if (now - e->updated < RXD_NEIGH_FAIL_HOLD_NS) {
				rte_pktmbuf_free(m);
				return -EHOSTUNREACH;
			}
			e->state = RXD_NS_INCOMPLETE;
			e->probes = 0;
			e->next_probe = now;
			break;
		default:
			break;
		}
	} else {
		e = create(t, family, nh, now);
	}
	if (e->npending == RXD_NEIGH_PENDING) {
		rte_pktmbuf_free(e->pending[0]);
		memmove(e->pending, e->pending + 1, sizeof(e->pending[0]) * (RXD_NEIGH_PENDING - 1));
		e->npending--;
		wi->w->st.neigh_pending_drop++;
	}
	e->pending[e->npending++] = m;
	if (e->probes == 0 && now >= e->next_probe)
		solicit(wi, e, now);
	return 1;
}

void rxd_neigh_arp_input(struct rxd_wiface *wi, const struct rxd_pkt_info *pi, bool learn_only, uint64_t now)
{
	const struct rxd_iface *ifc = wi->ifc;
	const uint8_t *a = pi->l4, *sha = a + 8, *spa = a + 14, *tpa = a + 24;
	bool for_us;
	uint16_t op;

	if (!ifc->has_ip4 || rxd_rd16(a) != 1 || rxd_rd16(a + 2) != RXD_ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4)
		return;
	op = rxd_rd16(a + 6);
	for_us = memcmp(tpa, ifc->ip4, 4) == 0;
	if (rxd_rd32(spa) != 0 && rxd_ip4_in_subnet(spa, ifc->ip4, ifc->prefix4))
		learn(wi, 4, spa, sha, for_us, now);
	if (op == 1 && for_us && !learn_only)
		send_arp(wi, 2, sha, sha, spa);
}

/* Find a link-layer address option of the given type in ND options. */
static const uint8_t *nd_lladdr(const uint8_t *opt, uint32_t len, uint8_t type)
{
	while (len >= 8) {
		uint32_t olen = (uint32_t)opt[1] * 8u;
		if (olen == 0 || olen > len)
			return NULL;
		if (opt[0] == type && olen >= 8)
			return opt + 2;
		opt += olen;
		len -= olen;
	}
	return NULL;
}

void rxd_neigh_nd_input(struct rxd_wiface *wi, const struct rxd_pkt_info *pi, bool learn_only, uint64_t now)
{
	const struct rxd_iface *ifc = wi->ifc;
	const uint8_t *icmp = pi->l4, *target = icmp + 8, *ll;
	static const uint8_t unspec[16];

	if (!ifc->has_ip6 || pi->l4_len < 24 || pi->hop_limit != 255 || icmp[1] != 0)
		return;
	if (icmp[0] == 135) {
		bool ours = memcmp(target, ifc->ip6, 16) == 0 || memcmp(target, ifc->ll6, 16) == 0;
		if (!ours || memcmp(pi->src_ip, unspec, 16) == 0) /* not ours, or duplicate address detection */
			return;
		ll = nd_lladdr(icmp + 24, pi->l4_len - 24, 1);
		if (ll)
			learn(wi, 6, pi->src_ip, ll, true, now);
		if (!learn_only)
			send_nd(wi, 136, target, pi->src_ip, ll ? ll : pi->smac, target, 0x60 /* S|O */);
	} else if (icmp[0] == 136) {
		ll = nd_lladdr(icmp + 24, pi->l4_len - 24, 2);
		learn(wi, 6, target, ll ? ll : pi->smac, false, now);
	}
}

/* Resolution failed: tell the shard so calls to that peer fail fast (like a local ICMP). */
static void report_unreachable(struct rxd_wiface *wi, struct rxd_neigh_entry *e, uint64_t now)
{
	for (unsigned i = 0; i < e->npending; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(e->pending[i], const uint8_t *);
		struct rxd_pkt_info pi;
		struct rxd_addr peer;

		rxd_frame_parse(f, e->pending[i]->data_len, 0, &pi);
		if (pi.kind != RXD_PK_UDP || !wi->local)
			continue;
		memset(&peer, 0, sizeof(peer));
		peer.family = pi.family == 4 ? RXD_AF_INET : RXD_AF_INET6;
		memcpy(peer.ip.v6, pi.dst_ip, pi.family == 4 ? 4 : 16);
		peer.port = pi.dport;
		rxd_local_input_error(wi->local, &peer, -EHOSTUNREACH, 0, now);
	}
}

void rxd_neigh_tick(struct rxd_wiface *wi, uint64_t now)
{
	struct rxd_neigh_table *t = &wi->neigh;

	for (uint32_t i = 0; t->e && i < t->nsets * RXD_NEIGH_WAYS; i++) {
		struct rxd_neigh_entry *e = &t->e[i];

		switch (e->state) {
		case RXD_NS_INCOMPLETE:
			if (now < e->next_probe)
				break;
			if (e->probes >= RXD_NEIGH_PROBES) {
				e->state = RXD_NS_FAILED;
				e->updated = now;
				wi->w->st.neigh_fail++;
				wi->w->st.neigh_pending_drop += e->npending;
				report_unreachable(wi, e, now);
				drop_pending(e);
			} else {
				solicit(wi, e, now);
			}
			break;
		case RXD_NS_REACHABLE:
			if (now - e->updated > t->timeout_ns) {
				e->state = RXD_NS_STALE;
				e->next_probe = now;
			}
			break;
		case RXD_NS_STALE:
			if (now - e->updated > 4 * t->timeout_ns)
				e->state = RXD_NS_FREE;
			break;
		case RXD_NS_FAILED:
			if (now - e->updated > 10 * RXD_NEIGH_FAIL_HOLD_NS)
				e->state = RXD_NS_FREE;
			break;
		default:
			break;
		}
	}
}
