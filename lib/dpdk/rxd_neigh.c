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

void rxd_neigh_setup(struct rxd_neigh_table *t, struct rxd_neigh_entry *e, struct rxd_neigh_pend *pend, uint32_t sets,
		     uint64_t timeout_ns)
{
	t->nsets = sets;
	t->timeout_ns = timeout_ns;
	t->e = e;
	t->pend = pend;
	for (uint32_t i = 0; i < RXD_NEIGH_PENDING_POOL; i++)
		t->pend[i].next = i + 1 < RXD_NEIGH_PENDING_POOL ? i + 1 : RXD_NEIGH_NIL;
	t->pend_free = 0;
	for (uint32_t i = 0; i < sets * RXD_NEIGH_WAYS; i++)
		t->e[i].pend_head = t->e[i].pend_tail = RXD_NEIGH_NIL;
}

int rxd_neigh_init(struct rxd_neigh_table *t, uint32_t size, uint64_t timeout_ns, int socket)
{
	uint32_t sets = 1;
	struct rxd_neigh_entry *e;
	struct rxd_neigh_pend *pend;

	while (sets * RXD_NEIGH_WAYS < size)
		sets <<= 1;
	e = rte_zmalloc_socket("rxd_neigh", sizeof(*e) * sets * RXD_NEIGH_WAYS, RTE_CACHE_LINE_SIZE, socket);
	pend = rte_zmalloc_socket("rxd_npend", sizeof(*pend) * RXD_NEIGH_PENDING_POOL, RTE_CACHE_LINE_SIZE, socket);
	if (!e || !pend) {
		rte_free(e);
		rte_free(pend);
		t->e = NULL;
		t->pend = NULL;
		return -ENOMEM;
	}
	rxd_neigh_setup(t, e, pend, sets, timeout_ns);
	return 0;
}

/* Take the oldest pending frame of e (NULL if none). */
static struct rte_mbuf *pend_pop(struct rxd_neigh_table *t, struct rxd_neigh_entry *e)
{
	uint32_t i = e->pend_head;
	struct rte_mbuf *m;

	if (i == RXD_NEIGH_NIL)
		return NULL;
	m = t->pend[i].m;
	e->pend_head = t->pend[i].next;
	if (e->pend_head == RXD_NEIGH_NIL)
		e->pend_tail = RXD_NEIGH_NIL;
	e->npending--;
	t->pend[i].next = t->pend_free;
	t->pend_free = i;
	return m;
}

static bool pend_push(struct rxd_neigh_table *t, struct rxd_neigh_entry *e, struct rte_mbuf *m)
{
	uint32_t i = t->pend_free;

	if (i == RXD_NEIGH_NIL)
		return false;
	t->pend_free = t->pend[i].next;
	t->pend[i].m = m;
	t->pend[i].next = RXD_NEIGH_NIL;
	if (e->pend_tail == RXD_NEIGH_NIL)
		e->pend_head = i;
	else
		t->pend[e->pend_tail].next = i;
	e->pend_tail = i;
	e->npending++;
	return true;
}

static void drop_pending(struct rxd_neigh_table *t, struct rxd_neigh_entry *e)
{
	struct rte_mbuf *m;

	while ((m = pend_pop(t, e)) != NULL)
		rte_pktmbuf_free(m);
}

void rxd_neigh_fini(struct rxd_neigh_table *t)
{
	if (!t->e)
		return;
	for (uint32_t i = 0; i < t->nsets * RXD_NEIGH_WAYS; i++)
		drop_pending(t, &t->e[i]);
	rte_free(t->e);
	rte_free(t->pend);
	t->e = NULL;
	t->pend = NULL;
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
	drop_pending(t, victim);
	memset(victim, 0, sizeof(*victim));
	victim->pend_head = victim->pend_tail = RXD_NEIGH_NIL;
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
	for (struct rte_mbuf *m; (m = pend_pop(&wi->neigh, e)) != NULL;) {
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), mac, 6);
		rxd_tx_enqueue(wi, m);
	}
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
	/* bounded: per neighbour and per table; the oldest frame of this neighbour goes first */
	if (e->npending >= RXD_NEIGH_PENDING || !pend_push(t, e, m)) {
		struct rte_mbuf *old = pend_pop(t, e);
		wi->w->st.neigh_pending_drop++;
		if (!old || !pend_push(t, e, m)) {
			rte_pktmbuf_free(old ? old : m);
			if (old)
				rte_pktmbuf_free(m);
			return 1;
		}
		rte_pktmbuf_free(old);
	}
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
	for (uint32_t i = e->pend_head; i != RXD_NEIGH_NIL; i = wi->neigh.pend[i].next) {
		struct rte_mbuf *m = wi->neigh.pend[i].m;
		const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
		struct rxd_pkt_info pi;
		struct rxd_addr peer;
		struct rxd_wport *wp;

		rxd_frame_parse(f, m->data_len, 0, &pi);
		if (pi.kind != RXD_PK_UDP || !(wp = rxd_wiface_port(wi, pi.sport)))
			continue;
		memset(&peer, 0, sizeof(peer));
		peer.family = pi.family == 4 ? RXD_AF_INET : RXD_AF_INET6;
		memcpy(peer.ip.v6, pi.dst_ip, pi.family == 4 ? 4 : 16);
		peer.port = pi.dport;
		rxd_local_input_error(wp->local, &peer, -EHOSTUNREACH, 0, now);
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
				drop_pending(t, e);
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
