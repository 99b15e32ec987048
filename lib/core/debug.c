/* SPDX-License-Identifier: MIT */
/*
 * Replies to OpenAFS rxdebug (DEBUG packets, type 8), as OpenAFS
 * src/rx/rx_packet.c rxi_ReceiveDebugPacket answers them: GETSTATS, RXSTATS
 * from this shard's counters, and GETCONN / GETALLCONN / GETPEER one record
 * per request. rxdebug asks for index 0, 1, 2, ... until the reply carries
 * the end marker (cid or host 0xffffffff); the N-th record is the N-th in
 * hash-table order, so a table that changes between requests may skip or
 * repeat a record, as in OpenAFS. The records use OpenAFS's vocabulary
 * (call states, modes, RTT units); the mapping is below and in
 * doc/operations.md.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/*
 * Our counters in OpenAFS rx_statistics terms. Left 0, as rxd has no such
 * thing: packet allocation counts and failures (rxd has no packet pool),
 * selects, spurious and dally-ignored packets, the RTT sums (RTT is kept per
 * peer: rxdebug -peers), free call structures, fatal errors.
 */
static void fill_rxstats(const struct rxd_stats *st, const struct rxd_local_counts *n, struct rxd_debug_rxstats *s)
{
	uint32_t *w = s->w;

	memset(s, 0, sizeof(*s));
	for (unsigned i = 0; i < RXD_RXS_N_TYPES; i++) {
		w[RXD_RXS_PACKETS_READ + i] = (uint32_t)st->rx_packets[i + 1];
		w[RXD_RXS_PACKETS_SENT + i] = (uint32_t)st->tx_packets[i + 1];
	}
	w[RXD_RXS_BOGUS_PACKET_ON_READ] = (uint32_t)st->discards[RXD_R_SHORT_HDR];
	/* DATA subpackets (a jumbogram counts each), as OpenAFS counts rx_packets */
	w[RXD_RXS_DATA_PACKETS_READ] = (uint32_t)st->rx_data_subpackets;
	w[RXD_RXS_ACK_PACKETS_READ] = (uint32_t)st->rx_packets[RXD_PKT_ACK];
	w[RXD_RXS_DUP_PACKETS_READ] = (uint32_t)st->discards[RXD_R_DUPLICATE];
	w[RXD_RXS_ACK_PACKETS_SENT] = (uint32_t)st->tx_packets[RXD_PKT_ACK];
	w[RXD_RXS_PING_PACKETS_SENT] = (uint32_t)st->pings_sent;
	w[RXD_RXS_ABORT_PACKETS_SENT] = (uint32_t)st->tx_packets[RXD_PKT_ABORT];
	w[RXD_RXS_BUSY_PACKETS_SENT] = (uint32_t)st->busy_sent;
	w[RXD_RXS_DATA_PACKETS_SENT] = (uint32_t)(st->tx_data_subpackets - st->tx_data_retrans);
	w[RXD_RXS_DATA_PACKETS_RESENT] = (uint32_t)st->tx_data_retrans;
	w[RXD_RXS_DATA_PACKETS_PUSHED] = (uint32_t)st->fast_retrans;
	w[RXD_RXS_N_RTT_SAMPLES] = (uint32_t)st->rtt_samples;
	w[RXD_RXS_N_SERVER_CONNS] = (uint32_t)st->conns_service;
	w[RXD_RXS_N_CLIENT_CONNS] = (uint32_t)st->conns_client;
	w[RXD_RXS_N_PEER_STRUCTS] = n->peers;
	w[RXD_RXS_N_CALL_STRUCTS] = n->calls;
	w[RXD_RXS_NET_SEND_FAILURES] = (uint32_t)st->tx_errors;
	w[RXD_RXS_N_BUSIES] = (uint32_t)st->rx_packets[RXD_PKT_BUSY];
}

/*
 * A call in OpenAFS terms: a server call not yet given to the application is
 * PRECALL; one whose reply is all sent and waits for the ACK is HOLD; a
 * completed call still on its channel is DALLY.
 */
static void call_state(const struct rxd_call *c, uint8_t *state, uint8_t *mode, uint8_t *other)
{
	*other = 0;
	if (seq_before(c->tx.hard_ack, c->tx.top))
		*other |= RXD_DEBUG_OTHER_OUT;
	if (c->rx_avail > 0)
		*other |= RXD_DEBUG_OTHER_IN;
	switch (c->state) {
	case RXD_CS_SERVER_PREALLOC:
		*state = RXD_DEBUG_STATE_PRECALL;
		*mode = RXD_DEBUG_MODE_RECEIVING;
		break;
	case RXD_CS_CLIENT_SEND_REQUEST:
	case RXD_CS_SERVER_ACK_REQUEST:
	case RXD_CS_SERVER_SEND_REPLY:
		*state = RXD_DEBUG_STATE_ACTIVE;
		*mode = RXD_DEBUG_MODE_SENDING;
		break;
	case RXD_CS_CLIENT_AWAIT_REPLY:
	case RXD_CS_CLIENT_RECV_REPLY:
	case RXD_CS_SERVER_RECV_REQUEST:
		*state = RXD_DEBUG_STATE_ACTIVE;
		*mode = RXD_DEBUG_MODE_RECEIVING;
		break;
	case RXD_CS_SERVER_AWAIT_ACK:
		*state = RXD_DEBUG_STATE_HOLD;
		*mode = RXD_DEBUG_MODE_EOF;
		break;
	case RXD_CS_COMPLETE:
		*state = RXD_DEBUG_STATE_DALLY;
		*mode = c->completion == RXD_CALL_SUCCEEDED ? RXD_DEBUG_MODE_EOF : RXD_DEBUG_MODE_ERROR;
		break;
	default:
		*state = RXD_DEBUG_STATE_NOTINIT;
		*mode = RXD_DEBUG_MODE_NONE;
		break;
	}
}

/* Fills r from conn; returns whether it is "interesting" (a call precall or active), as rxdebug's default view. */
static bool conn_record(const struct rxd_conn *conn, struct rxd_debug_conn *r)
{
	bool interesting = false;

	memset(r, 0, sizeof(*r));
	if (conn->peer->addr.family == RXD_AF_INET)
		memcpy(r->host, conn->peer->addr.ip.v4, 4);
	r->port = conn->peer->addr.port;
	r->cid = conn->cid;
	r->epoch = conn->epoch;
	r->serial = conn->tx_serial;
	r->error = conn->abort_code;
	r->type = conn->is_client ? RXD_DEBUG_CONN_CLIENT : RXD_DEBUG_CONN_SERVER;
	r->security_index = conn->cp.security_index;
	r->nat_mtu = conn->peer->max_data;
	for (unsigned j = 0; j < RXD_MAXCALLS; j++) {
		const struct rxd_call *c = conn->chan[j].call;

		r->call_number[j] = conn->chan[j].call_number;
		if (!c) {
			/* the channel remembers its last call for the final ACK/ABORT, as OpenAFS's dallying call */
			if (conn->chan[j].call_number) {
				r->call_state[j] = RXD_DEBUG_STATE_DALLY;
				r->call_mode[j] = conn->chan[j].last_type == RXD_PKT_ABORT ? RXD_DEBUG_MODE_ERROR
											   : RXD_DEBUG_MODE_EOF;
			}
			continue;
		}
		call_state(c, &r->call_state[j], &r->call_mode[j], &r->call_other[j]);
		if (r->call_state[j] == RXD_DEBUG_STATE_PRECALL || r->call_state[j] == RXD_DEBUG_STATE_ACTIVE)
			interesting = true;
	}
	return interesting;
}

/*
 * The *index-th connection (every one, or only interesting ones); false past
 * the end, with *index lowered by the number of records passed.
 */
static bool nth_conn(const struct rxd_local *l, int32_t *index, bool all, struct rxd_debug_conn *r)
{
	if (*index < 0) /* as 0; counting down from INT32_MIN would overflow (found by fuzz_core) */
		*index = 0;
	for (uint32_t i = 0; i <= l->conn_hash_mask; i++) {
		for (const struct rxd_conn *c = l->conn_hash[i]; c; c = c->hash_next) {
			if (c->state == RXD_CONN_UNUSED || !c->peer)
				continue;
			if ((conn_record(c, r) || all) && (*index)-- <= 0)
				return true;
		}
	}
	return false;
}

/* rxdebug's peer record holds an IPv4 address only: IPv6 peers are not listed. */
static bool nth_peer(const struct rxd_local *l, int32_t *index, struct rxd_debug_peer *r)
{
	if (*index < 0)
		*index = 0;
	for (uint32_t i = 0; i <= l->peer_hash_mask; i++) {
		for (const struct rxd_peer *p = l->peer_hash[i]; p; p = p->hash_next) {
			if (p->addr.family != RXD_AF_INET || (*index)-- > 0)
				continue;
			memset(r, 0, sizeof(*r));
			memcpy(r->host, p->addr.ip.v4, 4);
			r->port = p->addr.port;
			r->if_mtu = (uint16_t)p->max_data;
			r->nat_mtu = (uint16_t)p->max_data;
			r->mtu = (uint16_t)p->max_data;
			r->max_mtu = (uint16_t)p->peer_max_mtu;
			r->max_dgram_packets = (uint16_t)p->peer_jumbo_max;
			r->ref_count = (uint16_t)p->nconns;
			/* us << 3 and us << 2, as OpenAFS 1.8's server sends (loopback: rtt 10770) */
			r->rtt = (int32_t)(p->rtt.srtt_us8 > INT32_MAX ? INT32_MAX : p->rtt.srtt_us8);
			r->rtt_dev = (int32_t)(p->rtt.mdev_us4 > INT32_MAX ? INT32_MAX : p->rtt.mdev_us4);
			r->n_sent = p->tx_data;
			r->resends = p->tx_resends;
			r->bytes_sent = p->tx_data_bytes;
			return true;
		}
	}
	return false;
}

/* The counters GETSTATS and RXSTATS report: the whole process's when the shell sums its shards. */
static void debug_counters(const struct rxd_local *l, struct rxd_stats *st, struct rxd_local_counts *n)
{
	if (l->debug_counters) {
		memset(st, 0, sizeof(*st));
		memset(n, 0, sizeof(*n));
		l->debug_counters(l->debug_counters_user, st, n);
		return;
	}
	*st = l->stats;
	*n = rxd_local_counts(l);
}

int rxd_debug_records(const struct rxd_local *l, int32_t type)
{
	int32_t left = INT32_MAX;
	struct rxd_debug_conn c;
	struct rxd_debug_peer p;

	switch (type) {
	case RXD_DEBUG_GETCONN:
	case RXD_DEBUG_GETALLCONN:
		nth_conn(l, &left, type == RXD_DEBUG_GETALLCONN, &c);
		break;
	case RXD_DEBUG_GETPEER:
		nth_peer(l, &left, &p);
		break;
	default:
		return -EINVAL;
	}
	return INT32_MAX - left;
}

void rxd_reply_debug(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_pkt *pkt)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + 512];
	uint8_t *p = buf + RXD_WIRE_HDR_LEN;
	const size_t cap = sizeof(buf) - RXD_WIRE_HDR_LEN;
	struct rxd_hdr h = pkt->hdr;
	struct rxd_iov iov = {buf, 0, NULL};
	int32_t index = pkt->u.debug.index;

	h.flags &= (uint8_t)~RXD_F_CLIENT_INITIATED;
	rxd_hdr_encode(buf, &h);
	memset(p, 0, cap);
	switch (pkt->u.debug.type) {
	case RXD_DEBUG_GETSTATS: {
		struct rxd_debug_stats s = {0};
		struct rxd_stats st;
		struct rxd_local_counts n;
		debug_counters(l, &st, &n);
		s.calls_executed = (int32_t)st.calls_server;
		s.version = RXD_DEBUG_VERSION;
		s.n_packets = (int32_t)n.calls;
		p += rxd_debug_stats_encode(p, cap, &s);
		break;
	}
	case RXD_DEBUG_RXSTATS: {
		struct rxd_debug_rxstats s;
		struct rxd_stats st;
		struct rxd_local_counts n;
		debug_counters(l, &st, &n);
		fill_rxstats(&st, &n, &s);
		p += rxd_debug_rxstats_encode(p, cap, &s);
		break;
	}
	case RXD_DEBUG_GETCONN:
	case RXD_DEBUG_GETALLCONN: {
		struct rxd_debug_conn r;
		if (!nth_conn(l, &index, pkt->u.debug.type == RXD_DEBUG_GETALLCONN, &r)) {
			memset(&r, 0, sizeof(r));
			r.cid = RXD_DEBUG_END;
		}
		p += rxd_debug_conn_encode(p, cap, &r);
		break;
	}
	case RXD_DEBUG_GETPEER: {
		struct rxd_debug_peer r;
		if (!nth_peer(l, &index, &r)) {
			memset(&r, 0, sizeof(r));
			memset(r.host, 0xff, 4);
		}
		p += rxd_debug_peer_encode(p, cap, &r);
		break;
	}
	default:
		rxd_put_be32(p, (uint32_t)RX_DEBUGI_BADTYPE);
		rxd_put_be32(p + 4, (uint32_t)RX_DEBUGI_BADTYPE);
		p += 8;
		break;
	}
	iov.len = (uint32_t)(p - buf);
	if (rxd_send_raw(l, to, &iov, 1, 0) == 0)
		STAT(l, debug_replies);
}
