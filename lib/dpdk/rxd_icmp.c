/* SPDX-License-Identifier: MIT */
/* ICMP / ICMPv6 echo and error mapping (see rxd_icmp.h). */
#include "rxd_icmp.h"

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "rxd_io.h"
#include "rxd_pkt.h"
#include "rxd_shell.h"

bool rxd_iface_is_our_ip(const struct rxd_iface *ifc, unsigned family, const uint8_t *ip)
{
	if (family == 4)
		return ifc->has_ip4 && memcmp(ip, ifc->ip4, 4) == 0;
	return ifc->has_ip6 && (memcmp(ip, ifc->ip6, 16) == 0 || memcmp(ip, ifc->ll6, 16) == 0);
}

/* Decode the datagram quoted in an ICMP error: it must be UDP from our port. */
static bool quoted_udp(const struct rxd_iface *ifc, unsigned family, const uint8_t *q, uint32_t qlen,
		       struct rxd_icmp_err *e)
{
	uint32_t ihl;
	const uint8_t *u;
	unsigned k;

	memset(&e->peer, 0, sizeof(e->peer));
	if (family == 4) {
		if (qlen < RXD_IP4_HLEN || (q[0] >> 4) != 4)
			return false;
		ihl = (uint32_t)(q[0] & 0xf) * 4u;
		if (ihl < RXD_IP4_HLEN || qlen < ihl + RXD_UDP_HLEN || q[9] != RXD_IPPROTO_UDP)
			return false;
		if (!rxd_iface_is_our_ip(ifc, 4, q + 12))
			return false;
		e->peer.family = RXD_AF_INET;
		memcpy(e->peer.ip.v4, q + 16, 4);
	} else {
		if (qlen < RXD_IP6_HLEN + RXD_UDP_HLEN || (q[0] >> 4) != 6 || q[6] != RXD_IPPROTO_UDP)
			return false;
		if (!rxd_iface_is_our_ip(ifc, 6, q + 8))
			return false;
		ihl = RXD_IP6_HLEN;
		e->peer.family = RXD_AF_INET6;
		memcpy(e->peer.ip.v6, q + 24, 16);
	}
	u = q + ihl;
	e->local_port = rxd_rd16(u);
	for (k = 0; k < ifc->n_udp_ports && ifc->udp_ports[k] != e->local_port; k++)
		;
	if (k == ifc->n_udp_ports)
		return false;
	e->peer.port = rxd_rd16(u + 2);
	qlen -= ihl + RXD_UDP_HLEN;
	e->has_hdr = qlen >= 28;
	if (e->has_hdr) {
		e->epoch = rxd_rd32(u + 8);
		e->cid = rxd_rd32(u + 12);
		e->flags = u[8 + 21];
	}
	return true;
}

static int icmp4_errno(uint8_t type, uint8_t code)
{
	if (type == 11)
		return -EHOSTUNREACH;
	switch (code) {
	case 0:
	case 6:
	case 9:
	case 11:
		return -ENETUNREACH;
	case 2:
	case 3:
		return -ECONNREFUSED;
	case 4:
		return -EMSGSIZE;
	default:
		return -EHOSTUNREACH;
	}
}

static int icmp6_errno(uint8_t type, uint8_t code)
{
	if (type == 2)
		return -EMSGSIZE;
	if (type == 1 && code == 0)
		return -ENETUNREACH;
	if (type == 1 && code == 4)
		return -ECONNREFUSED;
	return -EHOSTUNREACH;
}

enum rxd_icmp_kind rxd_icmp_classify(const struct rxd_iface *ifc, const struct rxd_pkt_info *pi, struct rxd_icmp_err *e)
{
	const uint8_t *ic = pi->l4;
	uint8_t type, code;

	if (pi->l4_len < 8)
		return RXD_ICMP_IGNORE;
	type = ic[0];
	code = ic[1];
	if (pi->family == 4) {
		if (rxd_cksum_fold(rxd_cksum_add(ic, pi->l4_len, 0)) != 0xffff)
			return RXD_ICMP_IGNORE;
		if (type == 8 && code == 0)
			return rxd_iface_is_our_ip(ifc, 4, pi->dst_ip) ? RXD_ICMP_ECHO : RXD_ICMP_IGNORE;
		if (type != 3 && type != 11)
			return RXD_ICMP_IGNORE;
		if (!quoted_udp(ifc, 4, ic + 8, pi->l4_len - 8, e))
			return RXD_ICMP_IGNORE;
		e->err = icmp4_errno(type, code);
		e->mtu = (type == 3 && code == 4) ? rxd_rd16(ic + 6) : 0;
		return RXD_ICMP_ERROR;
	}
	if (!rxd_pkt_l4_cksum_ok(6, pi->src_ip, pi->dst_ip, RXD_IPPROTO_ICMPV6, ic, pi->l4_len))
		return RXD_ICMP_IGNORE;
	if (type == 135 || type == 136)
		return RXD_ICMP_ND;
	if (type == 128 && code == 0)
		return (rxd_iface_is_our_ip(ifc, 6, pi->dst_ip) || pi->dst_ip[0] == 0xff) ? RXD_ICMP_ECHO
											  : RXD_ICMP_IGNORE;
	if (type != 1 && type != 2 && type != 3)
		return RXD_ICMP_IGNORE;
	if (!quoted_udp(ifc, 6, ic + 8, pi->l4_len - 8, e))
		return RXD_ICMP_IGNORE;
	e->err = icmp6_errno(type, code);
	e->mtu = type == 2 ? rxd_rd32(ic + 4) : 0;
	return RXD_ICMP_ERROR;
}

void rxd_icmp_echo_reply(struct rxd_wiface *wi, const struct rxd_pkt_info *pi)
{
	const struct rxd_iface *ifc = wi->ifc;
	uint32_t hdr = RXD_ETH_HLEN + (pi->family == 4 ? RXD_IP4_HLEN : RXD_IP6_HLEN);
	struct rte_mbuf *m;
	const uint8_t *src;
	uint8_t *f, *ic;

	m = rxd_frame_alloc(wi->w, hdr + pi->l4_len, &f);
	if (!m)
		return;
	ic = f + hdr;
	memcpy(ic, pi->l4, pi->l4_len);
	ic[2] = ic[3] = 0;
	if (pi->family == 4) {
		ic[0] = 0;
		rxd_cksum_store(ic + 2, (uint16_t)~rxd_cksum_fold(rxd_cksum_add(ic, pi->l4_len, 0)));
		src = ifc->ip4;
	} else {
		src = pi->dst_ip[0] == 0xff ? ifc->ip6 : pi->dst_ip;
		ic[0] = 129;
		rxd_cksum_store(ic + 2, rxd_pkt_l4_cksum(6, src, pi->src_ip, RXD_IPPROTO_ICMPV6, ic, pi->l4_len));
	}
	wi->w->st.echo_tx++;
	/* reply to the sender's MAC: on-link it is the sender, off-link its router */
	rxd_ip_output(wi, pi->family, src, pi->src_ip, pi->smac,
		      pi->family == 4 ? RXD_IPPROTO_ICMP : RXD_IPPROTO_ICMPV6, 64, m, pi->l4_len);
}
