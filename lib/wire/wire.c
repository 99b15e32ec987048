/* SPDX-License-Identifier: MIT */
/*
 * rxd wire codecs: header, per-type input validation, ACK/ABORT/jumbo/VERSION,
 * rxkad CHALLENGE/RESPONSE and DEBUG GETSTATS and RXSTATS bodies.
 *
 * Every field is read and written byte by byte through the big-endian
 * helpers of wire.h; nothing here casts a struct over packet bytes.
 */
#include <errno.h>
#include <string.h>

#include <rxd/wire.h>

/* rxkad RESPONSE v2 fixed part: version, pad, 40 sealed bytes, kvno, ticket_len. */
#define RESPONSE_FIXED_LEN (4u + 4u + 40u + 4u + 4u)
#define CHALLENGE_V2_LEN 16u
#define CHALLENGE_OLD_LEN 8u
#define DEBUG_REQ_LEN 8u

void rxd_hdr_encode(uint8_t *p, const struct rxd_hdr *h)
{
	rxd_put_be32(p + 0, h->epoch);
	rxd_put_be32(p + 4, h->cid);
	rxd_put_be32(p + 8, h->call_number);
	rxd_put_be32(p + 12, h->seq);
	rxd_put_be32(p + 16, h->serial);
	p[20] = h->type;
	p[21] = h->flags;
	p[22] = h->user_status;
	p[23] = h->security_index;
	rxd_put_be16(p + 24, h->cksum);
	rxd_put_be16(p + 26, h->service_id);
}

void rxd_hdr_decode(const uint8_t *p, struct rxd_hdr *h)
{
	h->epoch = rxd_get_be32(p + 0);
	h->cid = rxd_get_be32(p + 4);
	h->call_number = rxd_get_be32(p + 8);
	h->seq = rxd_get_be32(p + 12);
	h->serial = rxd_get_be32(p + 16);
	h->type = p[20];
	h->flags = p[21];
	h->user_status = p[22];
	h->security_index = p[23];
	h->cksum = rxd_get_be16(p + 24);
	h->service_id = rxd_get_be16(p + 26);
}

static enum rxd_verdict discard(enum rxd_reason r, enum rxd_reason *why)
{
	*why = r;
	return RXD_V_DISCARD;
}

static enum rxd_verdict reject(enum rxd_reason r, enum rxd_reason *why, int32_t *abort_code)
{
	*why = r;
	*abort_code = RX_PROTOCOL_ERROR;
	return RXD_V_ABORT;
}

/*
 * ACK body: 18 fixed bytes, nAcks table, then (from AFS 3.3 on) 3 pad bytes
 * and a trailer that grew over time (8, 12, 16 bytes).  Old peers may omit
 * pad and trailer; PMTUD probes pad beyond the trailer, which is ignored.
 */
static enum rxd_verdict parse_ack(struct rxd_pkt *out, enum rxd_reason *why, int32_t *abort_code)
{
	struct rxd_ack_info *a = &out->u.ack;
	const uint8_t *b = out->body;
	uint32_t rest;

	a->buffer_space = rxd_get_be16(b + 0);
	a->max_skew = rxd_get_be16(b + 2);
	a->first_packet = rxd_get_be32(b + 4);
	a->previous_packet = rxd_get_be32(b + 8);
	a->serial = rxd_get_be32(b + 12);
	a->reason = b[16];
	a->nacks = b[17];
	a->acks = b + RXD_ACK_BODY_LEN;
	a->trailer_len = 0;
	a->max_mtu = 0;
	a->if_mtu = 0;
	a->rwind = 0;
	a->jumbo_max = 0;

	if (out->body_len - RXD_ACK_BODY_LEN < a->nacks)
		return reject(RXD_R_SHORT_ACK_TABLE, why, abort_code);

	rest = out->body_len - RXD_ACK_BODY_LEN - a->nacks;
	if (rest < RXD_ACK_PAD_LEN + 8u)
		return RXD_V_ACCEPT;
	rest -= RXD_ACK_PAD_LEN;
	b = a->acks + a->nacks + RXD_ACK_PAD_LEN;
	a->max_mtu = rxd_get_be32(b + 0);
	a->if_mtu = rxd_get_be32(b + 4);
	a->trailer_len = 8;
	if (rest >= 12u) {
		a->rwind = rxd_get_be32(b + 8);
		a->trailer_len = 12;
	}
	if (rest >= 16u) {
		a->jumbo_max = rxd_get_be32(b + 12);
		a->trailer_len = 16;
	}
	return RXD_V_ACCEPT;
}

/*
 * Split a DATA datagram into its subpackets.  Each subpacket flagged JUMBO
 * carries exactly RXD_JUMBO_DATALEN bytes and is followed by the secondary
 * header of the next one; the first unflagged subpacket takes the rest.
 */
static enum rxd_verdict parse_data(struct rxd_pkt *out, unsigned jumbo_max, enum rxd_reason *why, int32_t *abort_code)
{
	const uint8_t *p = out->body;
	uint32_t left = out->body_len;
	uint8_t flags = out->hdr.flags;
	uint16_t cksum = out->hdr.cksum;
	unsigned n = 0;

	if (jumbo_max == 0 || jumbo_max > RXD_MAX_JUMBO)
		jumbo_max = RXD_MAX_JUMBO;

	for (;;) {
		struct rxd_subpkt *s;

		if (n >= jumbo_max)
			return reject(RXD_R_BAD_JUMBO, why, abort_code);
		s = &out->u.data.sub[n];
		s->data = p;
		s->seq = out->hdr.seq + n;
		s->serial = out->hdr.serial + n;
		s->flags = flags;
		s->cksum = cksum;
		n++;
		if (!(flags & RXD_F_JUMBO_PACKET)) {
			s->len = left;
			break;
		}
		if ((flags & RXD_F_LAST_PACKET) || left < RXD_JUMBO_SUBPKTLEN)
			return reject(RXD_R_BAD_JUMBO, why, abort_code);
		s->len = RXD_JUMBO_DATALEN;
		p += RXD_JUMBO_DATALEN;
		flags = p[0];
		cksum = rxd_get_be16(p + 2);
		p += RXD_JUMBO_HDRLEN;
		left -= RXD_JUMBO_SUBPKTLEN;
	}
	out->u.data.nsub = n;
	return RXD_V_ACCEPT;
}

enum rxd_verdict rxd_pkt_parse(const uint8_t *buf, size_t len, unsigned jumbo_max, struct rxd_pkt *out,
			       enum rxd_reason *why, int32_t *abort_code)
{
	const struct rxd_hdr *h = &out->hdr;

	*why = RXD_R_OK;
	*abort_code = 0;
	if (len < RXD_WIRE_HDR_LEN)
		return discard(RXD_R_SHORT_HDR, why);
	/* A UDP payload never exceeds 64 KiB; clamp so lengths fit in 32 bits. */
	if (len > UINT32_MAX)
		len = UINT32_MAX;

	rxd_hdr_decode(buf, &out->hdr);
	out->body = buf + RXD_WIRE_HDR_LEN;
	out->body_len = (uint32_t)(len - RXD_WIRE_HDR_LEN);

	/* Type-specific rules, in the order the kernel applies them. */
	switch (h->type) {
	case RXD_PKT_VERSION:
		/* Local-endpoint packet: no call, no service; only direction matters. */
		if (!rxd_hdr_from_client(h))
			return discard(RXD_R_WRONG_DIRECTION, why);
		return RXD_V_ACCEPT;

	case RXD_PKT_DEBUG:
		/* OpenAFS rxdebug: serviceId 0 is normal, so checked before that rule. */
		if (!rxd_hdr_from_client(h))
			return discard(RXD_R_WRONG_DIRECTION, why);
		if (out->body_len < DEBUG_REQ_LEN)
			return discard(RXD_R_SHORT_DEBUG, why);
		out->u.debug.type = (int32_t)rxd_get_be32(out->body);
		out->u.debug.index = (int32_t)rxd_get_be32(out->body + 4);
		return RXD_V_ACCEPT;

	case RXD_PKT_ACK:
		/* The kernel rejects a short ACK while extracting the header, first. */
		if (out->body_len < RXD_ACK_BODY_LEN)
			return discard(RXD_R_SHORT_ACK, why);
		if (h->call_number == 0)
			return reject(RXD_R_ZERO_CALL, why, abort_code);
		break;

	case RXD_PKT_BUSY:
		if (rxd_hdr_from_client(h))
			return discard(RXD_R_WRONG_DIRECTION, why);
		/* fall through */
	case RXD_PKT_ACKALL:
		if (h->call_number == 0)
			return reject(RXD_R_ZERO_CALL, why, abort_code);
		break;

	case RXD_PKT_ABORT:
		if (out->body_len < 4u)
			return discard(RXD_R_SHORT_ABORT, why);
		out->u.abort_code = (int32_t)rxd_get_be32(out->body);
		break;

	case RXD_PKT_DATA:
		if (h->call_number == 0)
			return reject(RXD_R_ZERO_CALL, why, abort_code);
		if (h->seq == 0)
			return reject(RXD_R_ZERO_SEQ, why, abort_code);
		break;

	case RXD_PKT_CHALLENGE:
		if (rxd_hdr_from_client(h))
			return discard(RXD_R_WRONG_DIRECTION, why);
		break;

	case RXD_PKT_RESPONSE:
		if (!rxd_hdr_from_client(h))
			return discard(RXD_R_WRONG_DIRECTION, why);
		break;

	case RXD_PKT_PARAMS:
	case RXD_PKT_10:
	case RXD_PKT_11:
		return discard(RXD_R_IGNORED_TYPE, why);

	default:
		return reject(RXD_R_UNSUPPORTED_TYPE, why, abort_code);
	}

	/*
	 * serviceId 0 is a protocol error, except on ABORT: OpenAFS answers a call
	 * to a service it does not offer with an ABORT whose serviceId is 0 (the
	 * requested id moves to the spare field), and the caller must see it.
	 */
	if (h->service_id == 0 && h->type != RXD_PKT_ABORT)
		return reject(RXD_R_ZERO_SERVICE, why, abort_code);

	switch (h->type) {
	case RXD_PKT_ACK:
		return parse_ack(out, why, abort_code);
	case RXD_PKT_DATA:
		return parse_data(out, jumbo_max, why, abort_code);
	default:
		return RXD_V_ACCEPT;
	}
}

size_t rxd_ack_encode(uint8_t *p, size_t cap, const struct rxd_ack_info *a)
{
	size_t len = rxd_ack_body_len(a->nacks);
	uint8_t *t;

	if (cap < len || (a->nacks && !a->acks))
		return 0;
	rxd_put_be16(p + 0, a->buffer_space);
	rxd_put_be16(p + 2, a->max_skew);
	rxd_put_be32(p + 4, a->first_packet);
	rxd_put_be32(p + 8, a->previous_packet);
	rxd_put_be32(p + 12, a->serial);
	p[16] = a->reason;
	p[17] = a->nacks;
	if (a->nacks)
		memcpy(p + RXD_ACK_BODY_LEN, a->acks, a->nacks);
	t = p + RXD_ACK_BODY_LEN + a->nacks;
	memset(t, 0, RXD_ACK_PAD_LEN);
	t += RXD_ACK_PAD_LEN;
	rxd_put_be32(t + 0, a->max_mtu);
	rxd_put_be32(t + 4, a->if_mtu);
	rxd_put_be32(t + 8, a->rwind);
	rxd_put_be32(t + 12, a->jumbo_max);
	return len;
}

size_t rxd_abort_encode(uint8_t *p, size_t cap, int32_t code)
{
	if (cap < 4u)
		return 0;
	rxd_put_be32(p, (uint32_t)code);
	return 4;
}

void rxd_jumbo_hdr_encode(uint8_t *p, uint8_t flags, uint16_t cksum)
{
	p[0] = flags;
	p[1] = 0;
	rxd_put_be16(p + 2, cksum);
}

size_t rxd_version_encode(uint8_t *p, size_t cap, const char *version)
{
	size_t n = 0;

	if (cap < RXD_VERSION_REPLY_LEN)
		return 0;
	/* Keep at least one NUL so readers that treat it as a C string stop. */
	if (version) {
		while (n < RXD_VERSION_REPLY_LEN - 1u && version[n] != '\0')
			n++;
		memcpy(p, version, n);
	}
	memset(p + n, 0, RXD_VERSION_REPLY_LEN - n);
	return RXD_VERSION_REPLY_LEN;
}

size_t rxd_challenge_encode(uint8_t *p, size_t cap, const struct rxd_challenge *c)
{
	if (c->version == 0) {
		if (cap < CHALLENGE_OLD_LEN)
			return 0;
		rxd_put_be32(p + 0, c->nonce);
		rxd_put_be32(p + 4, c->min_level);
		return CHALLENGE_OLD_LEN;
	}
	if (cap < CHALLENGE_V2_LEN)
		return 0;
	rxd_put_be32(p + 0, c->version);
	rxd_put_be32(p + 4, c->nonce);
	rxd_put_be32(p + 8, c->min_level);
	rxd_put_be32(p + 12, 0);
	return CHALLENGE_V2_LEN;
}

/* The form is told by length, as OpenAFS clients do: >= 16 bytes is v2. */
int rxd_challenge_decode(const uint8_t *p, size_t len, struct rxd_challenge *c)
{
	if (len >= CHALLENGE_V2_LEN) {
		c->version = rxd_get_be32(p + 0);
		c->nonce = rxd_get_be32(p + 4);
		c->min_level = rxd_get_be32(p + 8);
		return 0;
	}
	if (len >= CHALLENGE_OLD_LEN) {
		c->version = 0;
		c->nonce = rxd_get_be32(p + 0);
		c->min_level = rxd_get_be32(p + 4);
		return 0;
	}
	return -EINVAL;
}

size_t rxd_response_encode(uint8_t *p, size_t cap, const struct rxd_response *r)
{
	size_t len;

	if (r->ticket_len && !r->ticket)
		return 0;
	if (r->ticket_len > cap || cap - r->ticket_len < RESPONSE_FIXED_LEN)
		return 0;
	len = RESPONSE_FIXED_LEN + r->ticket_len;
	rxd_put_be32(p + 0, r->version);
	rxd_put_be32(p + 4, 0);
	memcpy(p + 8, r->encrypted, sizeof(r->encrypted));
	rxd_put_be32(p + 48, r->kvno);
	rxd_put_be32(p + 52, r->ticket_len);
	if (r->ticket_len)
		memcpy(p + RESPONSE_FIXED_LEN, r->ticket, r->ticket_len);
	return len;
}

int rxd_response_decode(const uint8_t *p, size_t len, struct rxd_response *r)
{
	uint32_t tlen;

	if (len < RESPONSE_FIXED_LEN)
		return -EINVAL;
	tlen = rxd_get_be32(p + 52);
	if (tlen > len - RESPONSE_FIXED_LEN)
		return -EINVAL;
	r->version = rxd_get_be32(p + 0);
	memcpy(r->encrypted, p + 8, sizeof(r->encrypted));
	r->kvno = rxd_get_be32(p + 48);
	r->ticket_len = tlen;
	r->ticket = p + RESPONSE_FIXED_LEN;
	return 0;
}

/*
 * OpenAFS struct rx_debugStats: 3 x int32, 4 bytes (waitingForPackets,
 * usedFDs, version, spare1), 4 x int32, 6 spare int32 = 56 bytes.
 */
size_t rxd_debug_stats_encode(uint8_t *p, size_t cap, const struct rxd_debug_stats *s)
{
	if (cap < RXD_DEBUG_STATS_LEN)
		return 0;
	rxd_put_be32(p + 0, (uint32_t)s->n_free_packets);
	rxd_put_be32(p + 4, (uint32_t)s->packet_reclaims);
	rxd_put_be32(p + 8, (uint32_t)s->calls_executed);
	p[12] = s->waiting_for_packets;
	p[13] = s->used_fds;
	p[14] = s->version;
	p[15] = 0;
	rxd_put_be32(p + 16, (uint32_t)s->n_waiting);
	rxd_put_be32(p + 20, (uint32_t)s->idle_threads);
	rxd_put_be32(p + 24, (uint32_t)s->n_waited);
	rxd_put_be32(p + 28, (uint32_t)s->n_packets);
	memset(p + 32, 0, RXD_DEBUG_STATS_LEN - 32u);
	return RXD_DEBUG_STATS_LEN;
}

size_t rxd_debug_rxstats_encode(uint8_t *p, size_t cap, const struct rxd_debug_rxstats *s)
{
	if (cap < RXD_DEBUG_RXSTATS_LEN)
		return 0;
	for (unsigned i = 0; i < RXD_RXS__WORDS; i++)
		rxd_put_be32(p + 4u * i, s->w[i]);
	return RXD_DEBUG_RXSTATS_LEN;
}

/*
 * struct rx_debugConn: host(4) cid serial callNumber[4] error, port(2) flags
 * type securityIndex sparec[3], callState/Mode/Flags/Other[4] at 40..55,
 * secStats (76 bytes) at 56, epoch at 132, natMTU at 136, 9 spare words.
 */
size_t rxd_debug_conn_encode(uint8_t *p, size_t cap, const struct rxd_debug_conn *c)
{
	if (cap < RXD_DEBUG_CONN_LEN)
		return 0;
	memset(p, 0, RXD_DEBUG_CONN_LEN);
	memcpy(p, c->host, 4);
	rxd_put_be32(p + 4, c->cid);
	rxd_put_be32(p + 8, c->serial);
	for (unsigned i = 0; i < 4; i++)
		rxd_put_be32(p + 12 + 4 * i, c->call_number[i]);
	rxd_put_be32(p + 28, (uint32_t)c->error);
	rxd_put_be16(p + 32, c->port);
	p[34] = c->flags;
	p[35] = c->type;
	p[36] = c->security_index;
	memcpy(p + 40, c->call_state, 4);
	memcpy(p + 44, c->call_mode, 4);
	memcpy(p + 48, c->call_flags, 4);
	memcpy(p + 52, c->call_other, 4);
	rxd_put_be32(p + 132, c->epoch);
	rxd_put_be32(p + 136, c->nat_mtu);
	return RXD_DEBUG_CONN_LEN;
}

int rxd_debug_conn_decode(const uint8_t *p, size_t len, struct rxd_debug_conn *c)
{
	if (len < RXD_DEBUG_CONN_LEN)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	memcpy(c->host, p, 4);
	c->cid = rxd_get_be32(p + 4);
	c->serial = rxd_get_be32(p + 8);
	for (unsigned i = 0; i < 4; i++)
		c->call_number[i] = rxd_get_be32(p + 12 + 4 * i);
	c->error = (int32_t)rxd_get_be32(p + 28);
	c->port = rxd_get_be16(p + 32);
	c->flags = p[34];
	c->type = p[35];
	c->security_index = p[36];
	memcpy(c->call_state, p + 40, 4);
	memcpy(c->call_mode, p + 44, 4);
	memcpy(c->call_flags, p + 48, 4);
	memcpy(c->call_other, p + 52, 4);
	c->epoch = rxd_get_be32(p + 132);
	c->nat_mtu = rxd_get_be32(p + 136);
	return 0;
}

/*
 * struct rx_debugPeer: host port ifMTU idleWhen refCount(2) burstSize burst
 * burstWait(8) rtt rtt_dev timeout(8) nSent reSends inPacketSkew
 * outPacketSkew rateFlag, eight u_short from natMTU to congestSeq at 60,
 * bytesSent and bytesReceived as (high, low) at 76 and 84, 10 spare words.
 */
size_t rxd_debug_peer_encode(uint8_t *p, size_t cap, const struct rxd_debug_peer *pe)
{
	if (cap < RXD_DEBUG_PEER_LEN)
		return 0;
	memset(p, 0, RXD_DEBUG_PEER_LEN);
	memcpy(p, pe->host, 4);
	rxd_put_be16(p + 4, pe->port);
	rxd_put_be16(p + 6, pe->if_mtu);
	rxd_put_be32(p + 8, pe->idle_when);
	rxd_put_be16(p + 12, pe->ref_count);
	rxd_put_be32(p + 24, (uint32_t)pe->rtt);
	rxd_put_be32(p + 28, (uint32_t)pe->rtt_dev);
	rxd_put_be32(p + 40, pe->n_sent);
	rxd_put_be32(p + 44, pe->resends);
	rxd_put_be16(p + 60, pe->nat_mtu);
	rxd_put_be16(p + 62, pe->max_mtu);
	rxd_put_be16(p + 64, pe->max_dgram_packets);
	rxd_put_be16(p + 66, pe->if_dgram_packets);
	rxd_put_be16(p + 68, pe->mtu);
	rxd_put_be16(p + 70, pe->cwind);
	rxd_put_be16(p + 72, pe->n_dgram_packets);
	rxd_put_be16(p + 74, pe->congest_seq);
	rxd_put_be32(p + 76, (uint32_t)(pe->bytes_sent >> 32));
	rxd_put_be32(p + 80, (uint32_t)pe->bytes_sent);
	rxd_put_be32(p + 84, (uint32_t)(pe->bytes_received >> 32));
	rxd_put_be32(p + 88, (uint32_t)pe->bytes_received);
	return RXD_DEBUG_PEER_LEN;
}

int rxd_debug_peer_decode(const uint8_t *p, size_t len, struct rxd_debug_peer *pe)
{
	if (len < RXD_DEBUG_PEER_LEN)
		return -EBADMSG;
	memset(pe, 0, sizeof(*pe));
	memcpy(pe->host, p, 4);
	pe->port = rxd_get_be16(p + 4);
	pe->if_mtu = rxd_get_be16(p + 6);
	pe->idle_when = rxd_get_be32(p + 8);
	pe->ref_count = rxd_get_be16(p + 12);
	pe->rtt = (int32_t)rxd_get_be32(p + 24);
	pe->rtt_dev = (int32_t)rxd_get_be32(p + 28);
	pe->n_sent = rxd_get_be32(p + 40);
	pe->resends = rxd_get_be32(p + 44);
	pe->nat_mtu = rxd_get_be16(p + 60);
	pe->max_mtu = rxd_get_be16(p + 62);
	pe->max_dgram_packets = rxd_get_be16(p + 64);
	pe->if_dgram_packets = rxd_get_be16(p + 66);
	pe->mtu = rxd_get_be16(p + 68);
	pe->cwind = rxd_get_be16(p + 70);
	pe->n_dgram_packets = rxd_get_be16(p + 72);
	pe->congest_seq = rxd_get_be16(p + 74);
	pe->bytes_sent = (uint64_t)rxd_get_be32(p + 76) << 32 | rxd_get_be32(p + 80);
	pe->bytes_received = (uint64_t)rxd_get_be32(p + 84) << 32 | rxd_get_be32(p + 88);
	return 0;
}
