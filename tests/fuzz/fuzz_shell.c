/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the DPDK shell's frame input, as the worker's handle() does
 * it but without an EAL: Ethernet/ARP/IPv4/IPv6/UDP/ICMP(v6) parsing
 * (rxd_frame_parse), the shard choice, ICMP classification with the quoted
 * datagram (rxd_icmp_classify), ARP and neighbour discovery input into a
 * neighbour cache with ageing (rxd_neigh_*).  The worker has no packet pool
 * (buf_room 0), so every reply the shell would build is refused at
 * allocation and only the input side runs.
 *
 * Input: config(1) then records len(2, big-endian) frame[len].  Config bit 0
 * gives the iface an IPv4 address, bit 1 an IPv6 one, bits 2-3 are the
 * checksum verification flags, bits 4-5 the worker count (1, 2, 3, 4).
 * Every frame is copied to a buffer of exactly its size so any read past it
 * is caught, and every pointer the parser returns must lie inside it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rxd_icmp.h"
#include "rxd_neigh.h"
#include "rxd_pkt.h"
#include "rxd_shard.h"
#include "rxd_shell.h"

#define FZ_MAX_FRAMES 256u
#define FZ_NEIGH_SETS 4u

static bool inside(const uint8_t *p, uint32_t n, const uint8_t *f, uint32_t len)
{
	return p >= f && p <= f + len && n <= (uint32_t)(f + len - p);
}

static void check_parse(const struct rxd_pkt_info *pi, const uint8_t *f, uint32_t len)
{
	switch (pi->kind) {
	case RXD_PK_UDP:
		FZ_CHECK(inside(pi->payload, pi->payload_len, f, len), "UDP payload outside the frame");
		FZ_CHECK(pi->payload == pi->l4 + RXD_UDP_HLEN && pi->payload_len + RXD_UDP_HLEN == pi->l4_len,
			 "UDP payload does not follow its header");
		/* fallthrough */
	case RXD_PK_ICMP4:
	case RXD_PK_ICMP6:
		FZ_CHECK(pi->family == 4 || pi->family == 6, "family %u", pi->family);
		FZ_CHECK(inside(pi->src_ip, pi->family == 4 ? 4 : 16, f, len) &&
			     inside(pi->dst_ip, pi->family == 4 ? 4 : 16, f, len),
			 "addresses outside the frame");
		FZ_CHECK(pi->l4 == f + pi->l2_len + pi->l3_len, "L4 header not after L3");
		/* fallthrough */
	case RXD_PK_ARP:
		FZ_CHECK(inside(pi->l4, pi->l4_len, f, len), "L4 outside the frame");
		break;
	default:
		FZ_CHECK(pi->kind == RXD_PK_DROP && pi->drop != RXD_PD_NONE, "dropped without a reason");
		break;
	}
}

static void check_icmp_err(const struct rxd_icmp_err *e)
{
	FZ_CHECK(e->err == -ENETUNREACH || e->err == -EHOSTUNREACH || e->err == -ECONNREFUSED || e->err == -EMSGSIZE,
		 "ICMP error maps to %d", e->err);
	FZ_CHECK(e->peer.family == RXD_AF_INET || e->peer.family == RXD_AF_INET6, "quoted family %u", e->peer.family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxd_iface ifc;
	struct rxd_worker *w;
	struct rxd_wiface *wi;
	struct rxd_neigh_entry *ent;
	struct rxd_neigh_pend *pend;
	unsigned verify, nworkers, frames = 0;
	uint64_t now = 1000 * RXD_NS_PER_SEC;

	if (size < 1)
		return 0;
	memset(&ifc, 0, sizeof(ifc));
	ifc.udp_ports[0] = 7000;
	ifc.udp_ports[1] = 7003;
	ifc.n_udp_ports = 2;
	ifc.mtu = 1500;
	ifc.has_ip4 = data[0] & 1;
	ifc.has_ip6 = (data[0] >> 1) & 1;
	memcpy(ifc.mac, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(ifc.ip4, "\x0a\x00\x00\x01", 4);
	ifc.prefix4 = 24;
	memcpy(ifc.ip6, "\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	ifc.prefix6 = 64;
	rxd_ip6_link_local(ifc.mac, ifc.ll6);
	verify = (data[0] >> 2) & 3;
	nworkers = 1 + ((data[0] >> 4) & 3);
	data++;
	size--;

	w = aligned_alloc(RTE_CACHE_LINE_SIZE, (sizeof(*w) + RTE_CACHE_LINE_SIZE - 1) & ~(RTE_CACHE_LINE_SIZE - 1));
	ent = calloc(FZ_NEIGH_SETS * RXD_NEIGH_WAYS, sizeof(*ent));
	pend = calloc(RXD_NEIGH_PENDING_POOL, sizeof(*pend));
	FZ_CHECK(w && ent && pend, "out of memory");
	memset(w, 0, sizeof(*w));
	w->now = now;
	w->buf_room = 0; /* no pool: every frame the shell would send is refused */
	wi = &w->wif[0];
	wi->w = w;
	wi->ifc = &ifc;
	rxd_neigh_setup(&wi->neigh, ent, pend, FZ_NEIGH_SETS, 30 * RXD_NS_PER_SEC);

	while (size >= 2 && frames++ < FZ_MAX_FRAMES) {
		uint32_t len = rxd_get_be16(data);
		struct rxd_pkt_info pi;
		struct rxd_icmp_err ie;
		bool learn_only = frames & 1;
		uint8_t *f;

		data += 2;
		size -= 2;
		if (len > size)
			len = (uint32_t)size;
		f = malloc(len ? len : 1);
		FZ_CHECK(f, "out of memory");
		memcpy(f, data, len);
		data += len;
		size -= len;

		rxd_frame_parse(f, len, verify, &pi);
		check_parse(&pi, f, len);
		switch (pi.kind) {
		case RXD_PK_UDP:
			if ((pi.dport == ifc.udp_ports[0] || pi.dport == ifc.udp_ports[1]) &&
			    rxd_iface_is_our_ip(&ifc, pi.family, pi.dst_ip))
				FZ_CHECK(rxd_shard_of_rx(nworkers, 0, pi.payload, pi.payload_len) < nworkers,
					 "shard out of range");
			break;
		case RXD_PK_ARP:
			rxd_neigh_arp_input(wi, &pi, learn_only, w->now);
			break;
		case RXD_PK_ICMP4:
		case RXD_PK_ICMP6:
			memset(&ie, 0, sizeof(ie));
			switch (rxd_icmp_classify(&ifc, &pi, &ie)) {
			case RXD_ICMP_ECHO:
				rxd_icmp_echo_reply(wi, &pi);
				break;
			case RXD_ICMP_ND:
				rxd_neigh_nd_input(wi, &pi, learn_only, w->now);
				break;
			case RXD_ICMP_ERROR:
				check_icmp_err(&ie);
				if (ie.has_hdr)
					FZ_CHECK(rxd_shard_of_tx(nworkers, ie.cid) < nworkers, "shard out of range");
				break;
			default:
				break;
			}
			break;
		default:
			break;
		}
		free(f);
		/* time passes: entries age, go stale, fail and are freed */
		w->now += (uint64_t)(frames % 7) * 400 * RXD_NS_PER_MS;
		rxd_neigh_tick(wi, w->now);
		FZ_CHECK(rxd_neigh_count(&wi->neigh) <= FZ_NEIGH_SETS * RXD_NEIGH_WAYS, "neighbour count");
	}
	/* nothing can be pending: no frame was ever sent */
	for (unsigned i = 0; i < FZ_NEIGH_SETS * RXD_NEIGH_WAYS; i++)
		FZ_CHECK(ent[i].npending == 0, "pending frames without output");
	free(ent);
	free(pend);
	free(w);
	return 0;
}
