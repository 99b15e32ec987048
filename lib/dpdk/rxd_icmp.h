/* SPDX-License-Identifier: MIT */
/*
 * ICMP and ICMPv6: echo replies, and errors about datagrams we sent mapped to
 * the errno the core expects (rxd_local_input_error).
 */
#ifndef RXD_DPDK_ICMP_H
#define RXD_DPDK_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

struct rxd_pkt_info;
struct rxd_wiface;
struct rxd_iface;

enum rxd_icmp_kind {
	RXD_ICMP_IGNORE = 0, /* bad checksum, not for us, or a type we do not handle */
	RXD_ICMP_ECHO,	     /* echo request to one of our addresses */
	RXD_ICMP_ND,	     /* ICMPv6 neighbour solicitation / advertisement */
	RXD_ICMP_ERROR,	     /* error about one of our UDP datagrams: see struct rxd_icmp_err */
};

struct rxd_icmp_err {
	struct rxd_addr peer; /* destination of the datagram that failed */
	uint16_t local_port;  /* its source: which of our UDP ports (shards) sent it */
	int err;	      /* -ENETUNREACH, -EHOSTUNREACH, -ECONNREFUSED or -EMSGSIZE */
	uint32_t mtu;	      /* for -EMSGSIZE (0 when the router did not say) */
	bool has_hdr;	      /* the quoted datagram still holds the RxRPC header */
	uint32_t epoch, cid;
	uint8_t flags;
};

/** Classify an ICMP/ICMPv6 packet (pi->kind RXD_PK_ICMP4/6) received on ifc. */
enum rxd_icmp_kind rxd_icmp_classify(const struct rxd_iface *ifc, const struct rxd_pkt_info *pi,
				     struct rxd_icmp_err *e);
/** Send the echo reply for an echo request (a new frame; the request is left alone). */
void rxd_icmp_echo_reply(struct rxd_wiface *wi, const struct rxd_pkt_info *pi);

#endif
