/* SPDX-License-Identifier: MIT */
/*
 * Golden bytes from an independent peer: OpenAFS rxperf and rxdebug traffic
 * captured in tests/data/openafs_rxperf.pcap.  Selected frames are pinned in
 * golden_openafs.h; the whole capture is also walked at run time so every
 * datagram in it is checked against the validator and the encoders.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <rxd/wire.h>

#include "golden_openafs.h"

#ifndef RXD_TEST_DATA_DIR
#define RXD_TEST_DATA_DIR "tests/data"
#endif

#define PARSE(buf, len, pkt, why, code) rxd_pkt_parse((buf), (len), 0, (pkt), (why), (code))

static void assert_header_reencodes(const uint8_t *dgram, const struct rxd_pkt *pkt)
{
	uint8_t h[RXD_WIRE_HDR_LEN];

	rxd_hdr_encode(h, &pkt->hdr);
	cr_assert_arr_eq(h, dgram, RXD_WIRE_HDR_LEN, "header does not re-encode byte-identically");
}

/* Re-encode an ACK body from its decoded form; OpenAFS always sends pad + 16-byte trailer. */
static void assert_ack_reencodes(const struct rxd_pkt *pkt)
{
	uint8_t b[RXD_ACK_BODY_LEN + RXD_ACK_MAX_SACK + RXD_ACK_PAD_LEN + RXD_ACK_TRAILER_LEN];
	size_t n;

	cr_assert_eq(pkt->u.ack.trailer_len, 16);
	cr_assert_eq(pkt->body_len, rxd_ack_body_len(pkt->u.ack.nacks));
	n = rxd_ack_encode(b, sizeof(b), &pkt->u.ack);
	cr_assert_eq(n, pkt->body_len);
	cr_assert_arr_eq(b, pkt->body, n, "ACK body does not re-encode byte-identically");
}

static void assert_abort_reencodes(const struct rxd_pkt *pkt)
{
	uint8_t b[4];

	cr_assert_eq(pkt->body_len, 4);
	cr_assert_eq(rxd_abort_encode(b, sizeof(b), pkt->u.abort_code), 4);
	cr_assert_arr_eq(b, pkt->body, 4, "ABORT body does not re-encode byte-identically");
}

/* Subpackets tile the body exactly and every secondary header re-encodes. */
static void assert_data_reencodes(const struct rxd_pkt *pkt)
{
	const uint8_t *p = pkt->body;
	uint32_t total = 0;

	for (unsigned i = 0; i < pkt->u.data.nsub; i++) {
		const struct rxd_subpkt *s = &pkt->u.data.sub[i];

		cr_assert_eq(s->data, p);
		cr_assert_eq(s->seq, pkt->hdr.seq + i);
		cr_assert_eq(s->serial, pkt->hdr.serial + i);
		total += s->len;
		p += s->len;
		if (i + 1 < pkt->u.data.nsub) {
			const struct rxd_subpkt *next = &pkt->u.data.sub[i + 1];
			uint8_t jh[RXD_JUMBO_HDRLEN];

			cr_assert_eq(s->len, RXD_JUMBO_DATALEN);
			rxd_jumbo_hdr_encode(jh, next->flags, next->cksum);
			cr_assert_arr_eq(jh, p, RXD_JUMBO_HDRLEN, "jumbo header %u does not re-encode", i);
			total += RXD_JUMBO_HDRLEN;
			p += RXD_JUMBO_HDRLEN;
		}
	}
	cr_assert_eq(total, pkt->body_len);
}

/* GETSTATS reply: decode by the rx_debugStats layout and re-encode. */
static void assert_debug_stats_reencode(const uint8_t *body)
{
	struct rxd_debug_stats s = {
	    .n_free_packets = (int32_t)rxd_get_be32(body + 0),
	    .packet_reclaims = (int32_t)rxd_get_be32(body + 4),
	    .calls_executed = (int32_t)rxd_get_be32(body + 8),
	    .waiting_for_packets = body[12],
	    .used_fds = body[13],
	    .version = body[14],
	    .n_waiting = (int32_t)rxd_get_be32(body + 16),
	    .idle_threads = (int32_t)rxd_get_be32(body + 20),
	    .n_waited = (int32_t)rxd_get_be32(body + 24),
	    .n_packets = (int32_t)rxd_get_be32(body + 28),
	};
	uint8_t b[RXD_DEBUG_STATS_LEN];

	cr_assert_eq(rxd_debug_stats_encode(b, sizeof(b), &s), RXD_DEBUG_STATS_LEN);
	cr_assert_arr_eq(b, body, RXD_DEBUG_STATS_LEN, "GETSTATS reply does not re-encode byte-identically");
}

static void assert_version_reencodes(const uint8_t *body)
{
	char s[RXD_VERSION_REPLY_LEN + 1];
	uint8_t b[RXD_VERSION_REPLY_LEN];

	memcpy(s, body, RXD_VERSION_REPLY_LEN);
	s[RXD_VERSION_REPLY_LEN] = '\0';
	cr_assert_eq(rxd_version_encode(b, sizeof(b), s), RXD_VERSION_REPLY_LEN);
	cr_assert_arr_eq(b, body, RXD_VERSION_REPLY_LEN, "VERSION reply does not re-encode byte-identically");
}

/* ------------------------------------------------------------------ pinned frames */

Test(wire_golden, openafs_ping_ack_decodes_and_reencodes)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f2_ack_ping, sizeof(golden_f2_ack_ping), &pkt, &why, &code), RXD_V_ACCEPT);
	cr_assert_eq(pkt.hdr.type, RXD_PKT_ACK);
	cr_assert_eq(pkt.hdr.flags, RXD_F_REQUEST_ACK | RXD_F_SLOW_START_OK);
	cr_assert_eq(pkt.hdr.service_id, 147);
	cr_assert_eq(pkt.u.ack.reason, RXD_ACK_PING);
	cr_assert_eq(pkt.u.ack.first_packet, 1);
	cr_assert_eq(pkt.u.ack.previous_packet, 1);
	cr_assert_eq(pkt.u.ack.serial, 0, "a PING is not prompted by a serial");
	cr_assert_eq(pkt.u.ack.nacks, 1);
	cr_assert_eq(pkt.u.ack.acks[0], RXD_ACK_TYPE_ACK);
	cr_assert_eq(pkt.u.ack.trailer_len, 16);
	cr_assert_eq(pkt.u.ack.max_mtu, 5692);
	cr_assert_eq(pkt.u.ack.if_mtu, 1444);
	cr_assert_eq(pkt.u.ack.rwind, 16);
	cr_assert_eq(pkt.u.ack.jumbo_max, 4);
	assert_header_reencodes(golden_f2_ack_ping, &pkt);
	assert_ack_reencodes(&pkt);
}

Test(wire_golden, openafs_ping_response_and_delay_acks_reencode)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f3_ack_ping_response, sizeof(golden_f3_ack_ping_response), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.ack.reason, RXD_ACK_PING_RESPONSE);
	cr_assert_eq(pkt.u.ack.nacks, 0);
	cr_assert_eq(pkt.u.ack.previous_packet, 0);
	assert_header_reencodes(golden_f3_ack_ping_response, &pkt);
	assert_ack_reencodes(&pkt);

	cr_assert_eq(PARSE(golden_f5_ack_delay, sizeof(golden_f5_ack_delay), &pkt, &why, &code), RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.ack.reason, RXD_ACK_DELAY);
	cr_assert_eq(pkt.u.ack.first_packet, 2);
	cr_assert_eq(pkt.u.ack.rwind, 32);
	assert_header_reencodes(golden_f5_ack_delay, &pkt);
	assert_ack_reencodes(&pkt);
}

Test(wire_golden, openafs_ack_with_32_sack_entries_reencodes)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f167_ack_idle_32_sacks, sizeof(golden_f167_ack_idle_32_sacks), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.ack.reason, RXD_ACK_IDLE);
	cr_assert_eq(pkt.u.ack.nacks, 32);
	cr_assert_eq(pkt.u.ack.first_packet, 10);
	cr_assert_eq(pkt.u.ack.previous_packet, 41);
	assert_header_reencodes(golden_f167_ack_idle_32_sacks, &pkt);
	assert_ack_reencodes(&pkt);
}

Test(wire_golden, openafs_request_data_is_one_subpacket)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f1_data_first_request, sizeof(golden_f1_data_first_request), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.hdr.flags, RXD_F_CLIENT_INITIATED | RXD_F_LAST_PACKET);
	cr_assert_eq(pkt.hdr.call_number, 1);
	cr_assert_eq(pkt.hdr.seq, 1);
	cr_assert_eq(pkt.u.data.nsub, 1);
	cr_assert_eq(pkt.u.data.sub[0].len, 24);
	/* rxperf request: version 3, command RPC (3) */
	cr_assert_eq(rxd_get_be32(pkt.u.data.sub[0].data), 3);
	cr_assert_eq(rxd_get_be32(pkt.u.data.sub[0].data + 4), 3);
	assert_header_reencodes(golden_f1_data_first_request, &pkt);
	assert_data_reencodes(&pkt);
}

Test(wire_golden, openafs_jumbogram_splits_and_reencodes)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f173_data_jumbo_2sub, sizeof(golden_f173_data_jumbo_2sub), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.hdr.flags, RXD_F_JUMBO_PACKET | RXD_F_MORE_PACKETS);
	cr_assert_eq(pkt.u.data.nsub, 2);
	cr_assert_eq(pkt.u.data.sub[0].seq, 46);
	cr_assert_eq(pkt.u.data.sub[1].seq, 47);
	cr_assert_eq(pkt.u.data.sub[1].serial, 47);
	cr_assert_eq(pkt.u.data.sub[0].len, RXD_JUMBO_DATALEN);
	cr_assert_eq(pkt.u.data.sub[1].len, 2032 - 28 - 1416);
	cr_assert_eq(pkt.u.data.sub[1].flags, RXD_F_LAST_PACKET);
	/* the reply ends with the rxperf cookie 0x00004711 */
	cr_assert_eq(rxd_get_be32(pkt.u.data.sub[1].data + pkt.u.data.sub[1].len - 4), 0x4711);
	assert_header_reencodes(golden_f173_data_jumbo_2sub, &pkt);
	assert_data_reencodes(&pkt);
}

Test(wire_golden, openafs_aborts_decode_and_reencode)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f175_abort_client, sizeof(golden_f175_abort_client), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.abort_code, 1234);
	assert_header_reencodes(golden_f175_abort_client, &pkt);
	assert_abort_reencodes(&pkt);

	cr_assert_eq(PARSE(golden_f180_abort_rxgen_opcode, sizeof(golden_f180_abort_rxgen_opcode), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.abort_code, RXGEN_OPCODE);
	assert_header_reencodes(golden_f180_abort_rxgen_opcode, &pkt);
	assert_abort_reencodes(&pkt);
}

/*
 * OpenAFS answers a call to an unknown service with a "raw" ABORT whose
 * serviceId is 0 (the requested id lands in the spare field).  rxd accepts
 * serviceId 0 on ABORT only, so its clients see RX_INVALID_OPERATION.
 */
Test(wire_golden, openafs_unknown_service_abort_is_accepted)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(
	    PARSE(golden_f182_abort_unknown_service, sizeof(golden_f182_abort_unknown_service), &pkt, &why, &code),
	    RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.abort_code, RX_INVALID_OPERATION);
	cr_assert_eq(pkt.hdr.service_id, 0);
	cr_assert_eq(pkt.hdr.cksum, 99);
	cr_assert_eq(rxd_get_be32(pkt.body), (uint32_t)RX_INVALID_OPERATION);
}

Test(wire_golden, rxdebug_version_request_is_accepted)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(PARSE(golden_f183_version_request, sizeof(golden_f183_version_request), &pkt, &why, &code),
		     RXD_V_ACCEPT);
	cr_assert_eq(pkt.hdr.epoch, 999);
	cr_assert_eq(pkt.hdr.call_number, 101);
	cr_assert_eq(pkt.hdr.flags, RXD_F_CLIENT_INITIATED | RXD_F_LAST_PACKET);
	cr_assert_eq(pkt.hdr.service_id, 0);
	cr_assert_eq(pkt.body_len, 1);
	cr_assert_eq(pkt.body[0], 0);
	assert_header_reencodes(golden_f183_version_request, &pkt);
}

Test(wire_golden, openafs_version_reply_matches_our_encoder)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(sizeof(golden_f184_version_reply), RXD_WIRE_HDR_LEN + RXD_VERSION_REPLY_LEN);
	/* a reply travels server->client: the validator drops it */
	cr_assert_eq(PARSE(golden_f184_version_reply, sizeof(golden_f184_version_reply), &pkt, &why, &code),
		     RXD_V_DISCARD);
	cr_assert_eq(why, RXD_R_WRONG_DIRECTION);
	cr_assert_eq(memcmp(golden_f184_version_reply + 28, "OpenAFS ", 8), 0);
	assert_version_reencodes(golden_f184_version_reply + RXD_WIRE_HDR_LEN);
}

Test(wire_golden, rxdebug_debug_requests_decode)
{
	struct rxd_pkt pkt;
	enum rxd_reason why;
	int32_t code;

	cr_assert_eq(
	    PARSE(golden_f185_debug_getstats_request, sizeof(golden_f185_debug_getstats_request), &pkt, &why, &code),
	    RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.debug.type, RXD_DEBUG_GETSTATS);
	cr_assert_eq(pkt.u.debug.index, 0);
	assert_header_reencodes(golden_f185_debug_getstats_request, &pkt);

	cr_assert_eq(
	    PARSE(golden_f187_debug_rxstats_request, sizeof(golden_f187_debug_rxstats_request), &pkt, &why, &code),
	    RXD_V_ACCEPT);
	cr_assert_eq(pkt.u.debug.type, RXD_DEBUG_RXSTATS);
	cr_assert_eq(pkt.hdr.call_number, 102);
}

Test(wire_golden, openafs_getstats_reply_matches_our_layout)
{
	const uint8_t *b = golden_f186_debug_getstats_reply + RXD_WIRE_HDR_LEN;

	cr_assert_eq(sizeof(golden_f186_debug_getstats_reply), RXD_WIRE_HDR_LEN + RXD_DEBUG_STATS_LEN);
	cr_assert_eq(b[14], RXD_DEBUG_VERSION, "OpenAFS reports debug version 'S'");
	cr_assert_eq(rxd_get_be32(b + 28), 5803, "nPackets at offset 28");
	cr_assert_eq(rxd_get_be32(b + 20), 160, "idleThreads at offset 20");
	assert_debug_stats_reencode(b);
}

/* ------------------------------------------------------------------ whole capture */

struct capture {
	uint8_t *buf;
	size_t len;
	size_t off;
	bool pcapng;
	bool swapped;
	uint32_t linktype;	  /* classic pcap */
	uint32_t if_linktype[16]; /* pcapng interfaces */
	unsigned nif;
};

static uint32_t rd32(const struct capture *c, const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return c->swapped ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct capture *c, const uint8_t *p)
{
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);

	return c->swapped ? __builtin_bswap16(v) : v;
}

static bool capture_open(struct capture *c)
{
	static const char *const names[] = {"openafs_rxperf.pcap", "openafs_rxperf.pcapng"};
	char path[512];
	FILE *f = NULL;
	long sz;

	memset(c, 0, sizeof(*c));
	for (unsigned i = 0; i < 2 && !f; i++) {
		snprintf(path, sizeof(path), "%s/%s", RXD_TEST_DATA_DIR, names[i]);
		f = fopen(path, "rb");
	}
	if (!f)
		return false;
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	cr_assert(sz > 24);
	c->buf = malloc((size_t)sz);
	cr_assert_not_null(c->buf);
	cr_assert_eq(fread(c->buf, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	c->len = (size_t)sz;

	uint32_t m =
	    (uint32_t)c->buf[0] | (uint32_t)c->buf[1] << 8 | (uint32_t)c->buf[2] << 16 | (uint32_t)c->buf[3] << 24;
	if (m == 0x0a0d0d0au) {
		c->pcapng = true;
		/* byte-order magic of the section header decides */
		c->swapped = rd32(c, c->buf + 8) != 0x1a2b3c4du;
		return true;
	}
	if (m == 0xa1b2c3d4u || m == 0xa1b23c4du)
		c->swapped = false;
	else if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u)
		c->swapped = true;
	else
		cr_assert_fail("not a pcap/pcapng file");
	c->linktype = rd32(c, c->buf + 20) & 0xffff;
	c->off = 24;
	return true;
}

/* Next link-layer frame; false at the end. */
static bool capture_next(struct capture *c, const uint8_t **frame, uint32_t *caplen, uint32_t *linktype)
{
	while (c->off + 12 <= c->len) {
		const uint8_t *p = c->buf + c->off;

		if (!c->pcapng) {
			uint32_t incl = rd32(c, p + 8);

			cr_assert(c->off + 16 + incl <= c->len, "truncated pcap record");
			*frame = p + 16;
			*caplen = incl;
			*linktype = c->linktype;
			c->off += 16 + incl;
			return true;
		}

		uint32_t type = rd32(c, p), blen = rd32(c, p + 4);

		cr_assert(blen >= 12 && c->off + blen <= c->len, "bad pcapng block");
		c->off += blen;
		if (type == 0x0a0d0d0au) { /* new section: interfaces restart */
			c->swapped = rd32(c, p + 8) != 0x1a2b3c4du;
			c->nif = 0;
		} else if (type == 1) { /* IDB */
			if (c->nif < 16)
				c->if_linktype[c->nif++] = rd16(c, p + 8);
		} else if (type == 6) { /* EPB */
			uint32_t ifid = rd32(c, p + 8);

			cr_assert(ifid < c->nif);
			*linktype = c->if_linktype[ifid];
			*caplen = rd32(c, p + 20);
			*frame = p + 28;
			return true;
		} else if (type == 3) { /* SPB: one interface */
			cr_assert(c->nif > 0);
			*linktype = c->if_linktype[0];
			*caplen = blen - 16;
			*frame = p + 12;
			return true;
		}
	}
	return false;
}

/* The UDP payload of a frame, or NULL (not UDP, fragment, unsupported link). */
static const uint8_t *udp_payload(const uint8_t *f, uint32_t caplen, uint32_t linktype, uint32_t *len)
{
	uint32_t l3 = 0;
	uint16_t ethertype = 0;
	const uint8_t *ip;
	uint32_t iplen, l4;

	switch (linktype) {
	case 1: /* Ethernet */
		if (caplen < 14)
			return NULL;
		ethertype = rxd_get_be16(f + 12);
		l3 = 14;
		while ((ethertype == 0x8100 || ethertype == 0x88a8) && caplen >= l3 + 4) {
			ethertype = rxd_get_be16(f + l3 + 2);
			l3 += 4;
		}
		break;
	case 113: /* Linux cooked v1 */
		if (caplen < 16)
			return NULL;
		ethertype = rxd_get_be16(f + 14);
		l3 = 16;
		break;
	case 276: /* Linux cooked v2 */
		if (caplen < 20)
			return NULL;
		ethertype = rxd_get_be16(f);
		l3 = 20;
		break;
	case 0: /* BSD loopback: host-order family */
		l3 = 4;
		break;
	case 12:
	case 101: /* raw IP */
	case 228:
	case 229:
		l3 = 0;
		break;
	default:
		return NULL;
	}
	if (caplen <= l3)
		return NULL;
	ip = f + l3;
	iplen = caplen - l3;
	if (ethertype != 0 && ethertype != 0x0800 && ethertype != 0x86dd)
		return NULL;
	if ((ip[0] >> 4) == 4) {
		uint32_t ihl = (ip[0] & 15u) * 4u;

		if (iplen < 20 || ihl < 20 || iplen < ihl + 8 || ip[9] != 17)
			return NULL;
		if (rxd_get_be16(ip + 6) & 0x3fff) /* MF or fragment offset */
			return NULL;
		l4 = ihl;
	} else if ((ip[0] >> 4) == 6) {
		if (iplen < 48 || ip[6] != 17)
			return NULL;
		l4 = 40;
	} else {
		return NULL;
	}
	uint32_t ulen = rxd_get_be16(ip + l4 + 4);

	if (ulen < 8 || l4 + ulen > iplen)
		return NULL;
	*len = ulen - 8;
	return ip + l4 + 8;
}

Test(wire_golden, every_datagram_in_openafs_capture_validates_and_reencodes)
{
	struct capture cap;
	const uint8_t *frame;
	uint32_t caplen, linktype;
	unsigned frames = 0, rx = 0, accepted = 0, by_type[256] = {0};
	unsigned jumbograms = 0, max_nsub = 0, replies = 0, raw_aborts = 0;

	cr_assert(capture_open(&cap), "capture missing: %s/openafs_rxperf.pcap[ng]", RXD_TEST_DATA_DIR);
	while (capture_next(&cap, &frame, &caplen, &linktype)) {
		struct rxd_pkt pkt;
		enum rxd_reason why;
		int32_t code;
		const uint8_t *d;
		uint32_t len;
		enum rxd_verdict v;

		frames++;
		d = udp_payload(frame, caplen, linktype, &len);
		if (!d)
			continue;
		rx++;
		cr_assert(len >= RXD_WIRE_HDR_LEN, "frame %u: %u-byte datagram", frames, len);
		by_type[d[20]]++;
		v = rxd_pkt_parse(d, len, 0, &pkt, &why, &code);

		/* Replies to rxdebug travel server->client: rxd never takes them. */
		if ((d[20] == RXD_PKT_VERSION || d[20] == RXD_PKT_DEBUG) && !(d[21] & RXD_F_CLIENT_INITIATED)) {
			cr_assert_eq(v, RXD_V_DISCARD, "frame %u", frames);
			cr_assert_eq(why, RXD_R_WRONG_DIRECTION, "frame %u", frames);
			if (d[20] == RXD_PKT_VERSION && len == RXD_WIRE_HDR_LEN + RXD_VERSION_REPLY_LEN)
				assert_version_reencodes(d + RXD_WIRE_HDR_LEN);
			if (d[20] == RXD_PKT_DEBUG && len == RXD_WIRE_HDR_LEN + RXD_DEBUG_STATS_LEN)
				assert_debug_stats_reencode(d + RXD_WIRE_HDR_LEN);
			replies++;
			continue;
		}
		/* OpenAFS "raw" ABORT for an unknown service carries serviceId 0. */
		if (d[20] == RXD_PKT_ABORT && rxd_get_be16(d + 26) == 0) {
			cr_assert_eq(v, RXD_V_ACCEPT, "frame %u", frames);
			cr_assert_eq(pkt.u.abort_code, RX_INVALID_OPERATION, "frame %u", frames);
			raw_aborts++;
			continue;
		}

		cr_assert_eq(v, RXD_V_ACCEPT, "frame %u (%s) rejected: %s", frames, rxd_pkt_type_name(d[20]),
			     rxd_reason_name(why));
		accepted++;
		assert_header_reencodes(d, &pkt);
		switch (pkt.hdr.type) {
		case RXD_PKT_ACK:
			assert_ack_reencodes(&pkt);
			break;
		case RXD_PKT_ABORT:
			assert_abort_reencodes(&pkt);
			break;
		case RXD_PKT_DATA:
			assert_data_reencodes(&pkt);
			if (pkt.u.data.nsub > 1)
				jumbograms++;
			if (pkt.u.data.nsub > max_nsub)
				max_nsub = pkt.u.data.nsub;
			break;
		default:
			break;
		}
	}
	free(cap.buf);

	cr_log_info("capture: %u frames, %u Rx datagrams, %u accepted, %u rxdebug replies, %u raw aborts, "
		    "%u jumbograms (max %u subpackets)",
		    frames, rx, accepted, replies, raw_aborts, jumbograms, max_nsub);
	/* The capture must actually exercise what this test claims to check. */
	cr_assert(rx >= 50, "only %u Rx datagrams", rx);
	cr_assert(by_type[RXD_PKT_DATA] > 0);
	cr_assert(by_type[RXD_PKT_ACK] > 0);
	cr_assert(by_type[RXD_PKT_ABORT] > 0);
	cr_assert(by_type[RXD_PKT_VERSION] > 0);
	cr_assert(by_type[RXD_PKT_DEBUG] > 0);
	cr_assert(jumbograms > 0, "no jumbograms in the capture");
	cr_assert(accepted + replies + raw_aborts == rx);
}
