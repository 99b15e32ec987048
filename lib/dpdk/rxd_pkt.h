/* SPDX-License-Identifier: MIT */
/*
 * L2/L3/L4 parse and build for Ethernet, ARP, IPv4, IPv6, UDP and ICMP(v6).
 * Headers are read and written byte by byte (big-endian helpers), never by
 * casting structs over frame bytes; no state, no allocation.
 */
#ifndef RXD_DPDK_PKT_H
#define RXD_DPDK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RXD_ETH_ALEN 6u
#define RXD_ETH_HLEN 14u
#define RXD_IP4_HLEN 20u
#define RXD_IP6_HLEN 40u
#define RXD_UDP_HLEN 8u
#define RXD_ARP_LEN 28u
#define RXD_ETHERTYPE_IPV4 0x0800u
#define RXD_ETHERTYPE_ARP 0x0806u
#define RXD_ETHERTYPE_IPV6 0x86ddu
#define RXD_IPPROTO_HOPOPTS 0u
#define RXD_IPPROTO_ICMP 1u
#define RXD_IPPROTO_UDP 17u
#define RXD_IPPROTO_ICMPV6 58u

/* Overhead in front of a UDP payload. */
#define RXD_UDP4_OVERHEAD (RXD_ETH_HLEN + RXD_IP4_HLEN + RXD_UDP_HLEN)
#define RXD_UDP6_OVERHEAD (RXD_ETH_HLEN + RXD_IP6_HLEN + RXD_UDP_HLEN)

enum rxd_pkt_kind {
	RXD_PK_DROP = 0,
	RXD_PK_UDP,
	RXD_PK_ARP,
	RXD_PK_ICMP4,
	RXD_PK_ICMP6,
};

enum rxd_pkt_drop {
	RXD_PD_NONE = 0,
	RXD_PD_SHORT,	  /* frame shorter than its headers say */
	RXD_PD_ETHERTYPE, /* not IPv4/IPv6/ARP */
	RXD_PD_IP_HDR,	  /* bad version/ihl/length */
	RXD_PD_IP_CKSUM,
	RXD_PD_FRAG,  /* IP fragment: we never reassemble */
	RXD_PD_PROTO, /* not UDP/ICMP/ICMPv6 */
	RXD_PD_UDP_LEN,
	RXD_PD_L4_CKSUM,
};

#define RXD_PKT_VERIFY_IP 0x1u /* verify the IPv4 header checksum */
#define RXD_PKT_VERIFY_L4 0x2u /* verify the UDP checksum */

struct rxd_pkt_info {
	uint8_t kind;	/* enum rxd_pkt_kind */
	uint8_t drop;	/* enum rxd_pkt_drop when kind == RXD_PK_DROP */
	uint8_t family; /* 4 or 6 */
	uint8_t proto;
	uint8_t hop_limit;
	uint16_t l2_len, l3_len;
	const uint8_t *dmac, *smac;
	const uint8_t *src_ip, *dst_ip; /* 4 or 16 bytes inside the frame */
	uint16_t sport, dport;
	const uint8_t *l4; /* L4 header (ARP: the ARP body) */
	uint32_t l4_len;   /* L4 header + payload, per the IP length */
	const uint8_t *payload;
	uint32_t payload_len;
};

static inline uint16_t rxd_rd16(const uint8_t *p)
{
	return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}
static inline uint32_t rxd_rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void rxd_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void rxd_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/** Classify and validate one frame; fills pi (pi->kind == RXD_PK_DROP with pi->drop on failure). */
void rxd_frame_parse(const uint8_t *f, uint32_t len, unsigned verify, struct rxd_pkt_info *pi);

/** Ones-complement sum of buf added to sum (not folded). */
uint32_t rxd_cksum_add(const void *buf, size_t len, uint32_t sum);
/** Fold a 32-bit ones-complement sum to 16 bits (not complemented). */
static inline uint16_t rxd_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
/*
 * Checksums are summed over memory as it lies (native 16-bit loads, like
 * rte_raw_cksum), so a computed checksum is stored in native order too.
 */
static inline void rxd_cksum_store(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof v);
}
/** Pseudo-header sum (folded, not complemented): what TX checksum offload expects in the L4 field. */
uint16_t rxd_pkt_phdr_sum(unsigned family, const uint8_t *src, const uint8_t *dst, uint8_t proto, uint32_t l4_len);
/** Full L4 checksum (complemented, ready to store; 0 becomes 0xffff) over l4[0..l4_len) whose checksum field is 0. */
uint16_t rxd_pkt_l4_cksum(unsigned family, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
			  uint32_t l4_len);
/** True if the L4 checksum of a received segment verifies. */
bool rxd_pkt_l4_cksum_ok(unsigned family, const uint8_t *src, const uint8_t *dst, uint8_t proto, const uint8_t *l4,
			 uint32_t l4_len);

void rxd_eth_write(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint16_t ethertype);
/** Write a 20-byte IPv4 header; computes its checksum unless offloaded. */
void rxd_ip4_write(uint8_t *p, uint16_t total_len, uint16_t id, bool df, uint8_t ttl, uint8_t proto, const uint8_t *src,
		   const uint8_t *dst, bool cksum);
void rxd_ip6_write(uint8_t *p, uint16_t payload_len, uint8_t next, uint8_t hlim, const uint8_t *src,
		   const uint8_t *dst);
void rxd_udp_write(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len);

/* Address helpers. */
bool rxd_ip4_in_subnet(const uint8_t *a, const uint8_t *net, unsigned plen);
bool rxd_ip6_in_prefix(const uint8_t *a, const uint8_t *net, unsigned plen);
/** ff02::1:ffXX:XXXX for a (RFC 4291). */
void rxd_ip6_solicited_node(const uint8_t *a, uint8_t *out);
/** 33:33:xx:xx:xx:xx for an IPv6 multicast address. */
void rxd_mac_ip6_multicast(const uint8_t *maddr, uint8_t *mac);
/** fe80::/64 with the modified EUI-64 of mac. */
void rxd_ip6_link_local(const uint8_t *mac, uint8_t *out);
static inline bool rxd_mac_is_multicast(const uint8_t *mac)
{
	return (mac[0] & 1) != 0;
}
/** Parse "a.b.c.d[/len]" or an IPv6 address "[/len]"; family 4 or 6 in *family. */
int rxd_ip_parse(const char *s, unsigned *family, uint8_t *addr, unsigned *plen);

#endif
