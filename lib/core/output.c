/* SPDX-License-Identifier: MIT */
/*
 * Packet output: DATA (with jumbograms and the REQUEST_ACK policy), ACKs with
 * the SACK table and trailer, ABORT, BUSY, PING, VERSION and DEBUG replies.
 */
#include <stdio.h>

#include "internal.h"

int rxd_send_raw(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_iov *iov, unsigned n,
		 unsigned flags)
{
	uint32_t bytes = 0;
	int rc;

	for (unsigned i = 0; i < n; i++)
		bytes += iov[i].len;
	rc = l->io->send(l->io_ctx, to, iov, n, flags);
	if (rc < 0) {
		STAT(l, tx_errors);
		return rc;
	}
	l->stats.tx_bytes += bytes;
	if (iov[0].len >= RXD_WIRE_HDR_LEN) {
		uint8_t t = iov[0].base[20];
		l->stats.tx_packets[t < RXD_PKT__MAX ? t : RXD_PKT__MAX]++;
	}
	return 0;
}

static void call_hdr(const struct rxd_call *c, struct rxd_hdr *h, uint8_t type, uint32_t serial)
{
	const struct rxd_conn *conn = c->conn;

	memset(h, 0, sizeof(*h));
	h->epoch = conn->epoch;
	h->cid = conn->cid | c->channel;
	h->call = c->call_id;
	h->serial = serial;
	h->type = type;
	h->flags = conn->is_client ? RXD_F_CLIENT_INITIATED : 0;
	h->security_index = conn->security_index;
	h->service_id = conn->service_id;
}

/* ------------------------------------------------------------------ ACK */

static void fill_trailer(const struct rxd_local *l, const struct rxd_peer *p, struct rxd_ack_info *a)
{
	const struct rxd_config *cfg = &l->cfg;
	uint32_t ovh = p->addr.family == RXD_AF_INET6 ? RXD_UDP_IP6_HDR : RXD_UDP_IP4_HDR;
	uint32_t jumbo = (cfg->rx_mtu + RXD_JUMBO_HDRLEN - RXD_WIRE_HDR_LEN) / RXD_JUMBO_SUBPKTLEN;

	a->trailer_len = RXD_ACK_TRAILER_LEN;
	a->max_mtu = cfg->rx_mtu;
	a->if_mtu = cfg->if_mtu - ovh - RXD_WIRE_HDR_LEN;
	a->rwind = cfg->rx_window_size;
	a->jumbo_max = min_u32(cfg->rx_jumbo_max, jumbo ? jumbo : 1);
}

static void send_ack_body(struct rxd_local *l, struct rxd_conn *conn, struct rxd_peer *peer, struct rxd_hdr *h,
			  const struct rxd_ack_info *a, unsigned flags)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + RXD_ACK_BODY_LEN + RXD_ACK_MAX_SACK + RXD_ACK_PAD_LEN + RXD_ACK_TRAILER_LEN];
	size_t n;
	struct rxd_iov iov;

	rxd_hdr_encode(buf, h);
	n = rxd_ack_encode(buf + RXD_WIRE_HDR_LEN, sizeof(buf) - RXD_WIRE_HDR_LEN, a);
	iov.base = buf;
	iov.len = (uint32_t)(RXD_WIRE_HDR_LEN + n);
	iov.buf = NULL;
	if (rxd_send_raw(l, &peer->addr, &iov, 1, flags) == 0) {
		l->stats.tx_acks_by_reason[a->reason < RXD_ACK__MAX ? a->reason : 0]++;
		peer->last_tx = l->now;
	}
	(void)conn;
}

void rxd_send_ack(struct rxd_call *c, uint8_t reason, uint32_t serial, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_hdr h;
	struct rxd_ack_info a;
	uint8_t acks[RXD_ACK_MAX_SACK];
	uint32_t n = 0;

	if (!c->conn)
		return;
	call_hdr(c, &h, RXD_PKT_ACK, rxd_conn_next_serial(c->conn));
	h.flags |= RXD_F_SLOW_START_OK;
	if (reason == RXD_ACK_PING)
		h.flags |= RXD_F_REQUEST_ACK;
	memset(&a, 0, sizeof(a));
	a.first_packet = c->rx_consumed + 1;
	a.previous_packet = c->rx_highest;
	a.serial = serial;
	a.reason = reason;
	if (seq_after(c->rx_highest, c->rx_consumed)) {
		n = min_u32(c->rx_highest - c->rx_consumed, RXD_ACK_MAX_SACK);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t seq = c->rx_consumed + 1 + i;
			acks[i] = c->rx[seq & (RXD_RX_RING - 1)].present ? RXD_ACK_TYPE_ACK : RXD_ACK_TYPE_NACK;
		}
	}
	/* A delayed ACK with nothing to soft-ACK is an IDLE ACK (kernel). */
	if (reason == RXD_ACK_DELAY && n == 0)
		a.reason = RXD_ACK_IDLE;
	a.nacks = (uint8_t)n;
	a.acks = acks;
	fill_trailer(l, c->peer, &a);
	send_ack_body(l, c->conn, c->peer, &h, &a, 0);
	if (reason == RXD_ACK_PING)
		rxd_peer_rtt_probe_sent(c->peer, h.serial, now);
	c->rx_unacked = 0;
	c->rx_acked_hard = c->rx_consumed;
	c->last_tx = now;
	if (reason != RXD_ACK_PING && reason != RXD_ACK_PING_RESPONSE) {
		c->ack_at = 0;
		c->delayed_reason = 0;
	}
}

void rxd_send_ping(struct rxd_call *c, uint64_t now)
{
	STAT(c->local, pings_sent);
	rxd_send_ack(c, RXD_ACK_PING, 0, now);
}

/* The final ACK of a finished call, built from the channel cache. */
void rxd_send_final_ack(struct rxd_conn *conn, unsigned channel, uint8_t reason, uint32_t serial, uint64_t now)
{
	struct rxd_local *l = conn->local;
	struct rxd_channel *chan = &conn->chan[channel];
	struct rxd_hdr h;
	struct rxd_ack_info a;

	memset(&h, 0, sizeof(h));
	h.epoch = conn->epoch;
	h.cid = conn->cid | channel;
	h.call = chan->last_call;
	h.serial = rxd_conn_next_serial(conn);
	h.type = RXD_PKT_ACK;
	h.flags = (conn->is_client ? RXD_F_CLIENT_INITIATED : 0) | RXD_F_SLOW_START_OK;
	h.security_index = conn->security_index;
	h.service_id = conn->service_id;
	memset(&a, 0, sizeof(a));
	h.call = chan->fa_call;
	a.first_packet = chan->fa_seq + 1;
	a.previous_packet = chan->fa_seq;
	a.serial = serial;
	a.reason = reason;
	fill_trailer(l, conn->peer, &a); /* the same trailer as every other ACK: maxPackets 1 at MTU 1500 */
	send_ack_body(l, conn, conn->peer, &h, &a, 0);
	(void)now;
}

/* ------------------------------------------------------------------ ABORT / BUSY */

static void send_abort_hdr(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_hdr *h, int32_t code)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + 4];
	struct rxd_iov iov = {buf, sizeof(buf), NULL};

	rxd_hdr_encode(buf, h);
	rxd_abort_encode(buf + RXD_WIRE_HDR_LEN, 4, code);
	rxd_send_raw(l, to, &iov, 1, 0);
}

void rxd_send_abort(struct rxd_call *c, int32_t code, uint64_t now)
{
	struct rxd_hdr h;

	if (!c->conn)
		return;
	call_hdr(c, &h, RXD_PKT_ABORT, rxd_conn_next_serial(c->conn));
	send_abort_hdr(c->local, &c->peer->addr, &h, code);
	c->last_tx = now;
}

void rxd_send_conn_abort(struct rxd_conn *conn, int32_t code, uint64_t now)
{
	struct rxd_hdr h;

	memset(&h, 0, sizeof(h));
	h.epoch = conn->epoch;
	h.cid = conn->cid;
	h.serial = rxd_conn_next_serial(conn);
	h.type = RXD_PKT_ABORT;
	h.flags = conn->is_client ? RXD_F_CLIENT_INITIATED : 0;
	h.security_index = conn->security_index;
	h.service_id = conn->service_id;
	send_abort_hdr(conn->local, &conn->peer->addr, &h, code);
	(void)now;
}

/* Abort in answer to a packet we have no call for: mirror its header, flip the direction. */
void rxd_reply_abort(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_hdr *in, int32_t code)
{
	struct rxd_hdr h = *in;

	h.type = RXD_PKT_ABORT;
	h.flags = (in->flags & RXD_F_CLIENT_INITIATED) ? 0 : RXD_F_CLIENT_INITIATED;
	h.seq = 0;
	h.serial = 0;
	h.user_status = 0;
	h.cksum = 0;
	send_abort_hdr(l, to, &h, code);
}

void rxd_reply_busy(struct rxd_local *l, struct rxd_peer *peer, const struct rxd_hdr *in, uint32_t serial)
{
	uint8_t buf[RXD_WIRE_HDR_LEN];
	struct rxd_hdr h = *in;
	struct rxd_iov iov = {buf, sizeof(buf), NULL};

	h.type = RXD_PKT_BUSY;
	h.flags = 0;
	h.seq = 0;
	h.serial = serial;
	h.user_status = 0;
	h.cksum = 0;
	rxd_hdr_encode(buf, &h);
	rxd_send_raw(l, &peer->addr, &iov, 1, 0);
}

/* ------------------------------------------------------------------ DATA */

/*
 * REQUEST_ACK policy (kernel): on retransmissions, in early slow start, when
 * the peer's window is tiny (<= 2), while RTT samples are scarce or stale.
 * Not at the edge of a large window: a sender limited by the window would
 * then ask for an ACK on every packet.
 * Never on the last packet of a service call's reply (OpenAFS would soft-ACK
 * it and never hard-ACK).
 */
static bool want_request_ack(const struct rxd_call *c, const struct rxd_txslot *t, bool retrans, uint32_t seq,
			     uint64_t now)
{
	const struct rxd_peer *p = c->peer;

	if (!c->is_client && (t->flags & RXD_F_LAST_PACKET))
		return false;
	if (retrans)
		return true;
	if (p->rtt.nsamples < 3 || now - p->last_rtt_probe > RXD_NS_PER_SEC)
		return true;
	/* The reply ACKs a request's last packet implicitly: ask only for RTT's sake (above). */
	if (c->is_client && (t->flags & RXD_F_LAST_PACKET))
		return false;
	if (c->cwnd <= 4 && c->cwnd < c->ssthresh)
		return true;
	if (c->tx_winsize <= 2)
		return true; /* a tiny window: every ACK matters */
	return false;
}

/* Send seqs [first, first + n) as one datagram (n > 1 = jumbogram). */
static int send_datagram(struct rxd_call *c, uint32_t first, uint32_t n, bool retrans, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_conn *conn = c->conn;
	struct rxd_iov iov[1 + 2 * RXD_MAX_JUMBO];
	uint8_t hb[RXD_WIRE_HDR_LEN];
	uint8_t jh[RXD_MAX_JUMBO][RXD_JUMBO_HDRLEN];
	struct rxd_hdr h;
	uint32_t serial0, niov = 0;
	struct rxd_txslot *last = &c->tx[(first + n - 1) & c->tx_mask];
	bool req_ack = want_request_ack(c, last, retrans, first + n - 1, now);
	int rc;

	serial0 = rxd_conn_next_serial(conn);
	/* Subpackets take consecutive serials. */
	for (uint32_t i = 1; i < n; i++)
		rxd_conn_next_serial(conn);
	if (conn->tx_serial < serial0) {
		/* wrapped past zero inside the jumbogram: start over after it */
		serial0 = rxd_conn_next_serial(conn);
		for (uint32_t i = 1; i < n; i++)
			rxd_conn_next_serial(conn);
	}
	call_hdr(c, &h, RXD_PKT_DATA, serial0);
	h.seq = first;
	if (conn->is_client)
		conn->chan[c->channel].final_ack_at = 0; /* this DATA ACKs the previous call implicitly */
	if (first == 1 && conn->is_client && conn->probing_upgrade)
		h.user_status = RXD_USERSTATUS_SERVICE_UPGRADE;
	for (uint32_t i = 0; i < n; i++) {
		struct rxd_txslot *t = &c->tx[(first + i) & c->tx_mask];
		uint8_t f = t->flags & RXD_F_LAST_PACKET;
		if (i + 1 < n)
			f |= RXD_F_JUMBO_PACKET;
		else if (req_ack)
			f |= RXD_F_REQUEST_ACK;
		if (i == 0) {
			h.flags |= f;
			rxd_hdr_encode(hb, &h);
			iov[niov++] = (struct rxd_iov){hb, sizeof(hb), NULL};
		} else {
			rxd_jumbo_hdr_encode(jh[i - 1], f, 0);
			iov[niov++] = (struct rxd_iov){jh[i - 1], RXD_JUMBO_HDRLEN, NULL};
		}
		if (t->nxmit == 0 && conn->sc && conn->sc->secure_packet) {
			/* Secure once, at the first transmission: the class's header depends on
			 * (callNumber, seq), not on the serial, so retransmissions reuse it. */
			struct rxd_hdr sh = h;
			sh.seq = first + i;
			sh.serial = serial0 + i;
			int32_t ab = conn->sc->secure_packet(conn->sec, &sh, t->data, &t->len, c->tx_pkt_size);
			if (ab) {
				rxd_call_local_abort(c, ab, -EKEYREJECTED, now);
				return -EKEYREJECTED;
			}
		}
		iov[niov++] = (struct rxd_iov){t->data, t->len, t->buf};
		t->serial = serial0 + i;
		t->xmit_ns = now;
		if (t->nxmit < 255)
			t->nxmit++;
	}
	{
		/* DF unless the datagram no longer fits the path (then IP may fragment, as the kernel does). */
		uint32_t dlen = 0;
		for (uint32_t i = 0; i < niov; i++)
			dlen += iov[i].len;
		rc = rxd_send_raw(l, &c->peer->addr, iov, niov, dlen <= c->peer->max_data ? RXD_TX_DONTFRAG : 0);
	}
	if (rc == -EMSGSIZE && n > 1)
		return rc;
	l->stats.tx_data += 1;
	l->stats.tx_data_subpackets += n;
	if (n > 1)
		l->stats.tx_jumbo++;
	if (retrans)
		l->stats.tx_data_retrans += n;
	if (req_ack)
		rxd_peer_rtt_probe_sent(c->peer, serial0 + n - 1, now);
	c->last_tx = now;
	c->peer->last_tx = now;
	/* Sending DATA carries our receive state implicitly; nothing else to ACK for now. */
	return 0;
}

/* Once the last packet of the phase has gone out, the call waits for the peer. */
static void tx_phase_check(struct rxd_call *c)
{
	if (!c->tx_phase_done || c->tx_sent_top != c->tx_top)
		return;
	if (c->state == RXD_CS_CLIENT_SEND_REQUEST)
		rxd_call_set_state(c, RXD_CS_CLIENT_AWAIT_REPLY);
	else if (c->state == RXD_CS_SERVER_SEND_REPLY)
		rxd_call_set_state(c, RXD_CS_SERVER_AWAIT_ACK);
}

/* The peer's pacing holds this datagram back: the call's timer retries (rxd_peer_pace). */
static bool paced(struct rxd_call *c, uint32_t bytes, uint64_t now)
{
	uint32_t wnd = min_u32(rxd_cc_window(c), c->tx_winsize) * RXD_JUMBO_DATALEN;
	uint64_t at = rxd_peer_pace(c->peer, bytes, wnd, c->tx_in_flight == 0, now);

	if (!at)
		return false;
	c->pace_at = at;
	return true;
}

/* Fill the window: lost packets first (one per datagram), then new data in jumbograms. */
void rxd_transmit(struct rxd_call *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	uint32_t cwnd, jumbo;
	bool sent = false;

	c->pace_at = 0;
	if (!c->conn || c->state == RXD_CS_COMPLETE || c->state == RXD_CS_CLIENT_AWAIT_CONN ||
	    c->state == RXD_CS_SERVER_ACK_REQUEST)
		return;
	cwnd = rxd_cc_window(c);
	if (c->nr_lost) {
		for (uint32_t s = c->tx_hard_ack + 1; c->nr_lost && seq_before(s, c->tx_sent_top + 1); s++) {
			struct rxd_txslot *t = &c->tx[s & c->tx_mask];
			if (!t->lost)
				continue;
			if (c->tx_in_flight >= cwnd || paced(c, t->len, now))
				break;
			if (send_datagram(c, s, 1, true, now) < 0 || c->state == RXD_CS_COMPLETE)
				return;
			t->lost = false;
			c->nr_lost--;
			c->tx_in_flight++;
			sent = true;
		}
	}
	jumbo = rxd_peer_max_jumbo(c->peer, &l->cfg);
	while (seq_before(c->tx_sent_top, c->tx_top) && c->tx_in_flight < cwnd) {
		uint32_t first = c->tx_sent_top + 1;
		uint32_t win_left = c->tx_hard_ack + c->tx_winsize - c->tx_sent_top;
		uint32_t n = 1, max;
		if ((int32_t)win_left <= 0)
			break;
		max = min_u32(jumbo, min_u32(win_left, cwnd - c->tx_in_flight));
		max = min_u32(max, c->tx_top - c->tx_sent_top);
		/* Only packets filled to exactly 1412 bytes can be non-terminal subpackets. */
		while (n < max && c->tx[(first + n - 1) & c->tx_mask].len == RXD_JUMBO_DATALEN &&
		       !(c->tx[(first + n - 1) & c->tx_mask].flags & RXD_F_LAST_PACKET))
			n++;
		if (paced(c, n * RXD_JUMBO_DATALEN, now))
			break;
		int rc = send_datagram(c, first, n, false, now);
		if (rc == -EMSGSIZE) {
			/* The path does not take jumbograms of this size any more. */
			c->peer->peer_jumbo_max = 1;
			jumbo = 1;
			continue;
		}
		if (rc < 0 || c->state == RXD_CS_COMPLETE)
			return;
		c->tx_sent_top = first + n - 1;
		c->tx_in_flight += n;
		sent = true;
	}
	tx_phase_check(c);
	if (sent) {
		/* Our DATA stands in for a pending delayed ACK of the peer's packets only on the reply.
		 * The probe timer restarts from the newest transmission (RFC 8985 7.2): a probe that
		 * fell due while pacing held the data back would probe what just went out. */
		c->tlp_at = 0;
		rxd_arm_resend(c, now, false);
	}
}

/* ------------------------------------------------------------------ VERSION / DEBUG */

void rxd_reply_version(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_hdr *in)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + RXD_VERSION_REPLY_LEN];
	struct rxd_hdr h = *in;
	struct rxd_iov iov = {buf, sizeof(buf), NULL};

	h.flags &= (uint8_t)~RXD_F_CLIENT_INITIATED;
	rxd_hdr_encode(buf, &h);
	rxd_version_encode(buf + RXD_WIRE_HDR_LEN, RXD_VERSION_REPLY_LEN, l->version);
	if (rxd_send_raw(l, to, &iov, 1, 0) == 0)
		STAT(l, version_replies);
}

static void put32(uint8_t **p, uint32_t v)
{
	rxd_put_be32(*p, v);
	*p += 4;
}

void rxd_reply_debug(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_pkt *pkt)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + 512];
	uint8_t *p = buf + RXD_WIRE_HDR_LEN;
	struct rxd_hdr h = pkt->hdr;
	struct rxd_iov iov = {buf, 0, NULL};

	h.flags &= (uint8_t)~RXD_F_CLIENT_INITIATED;
	rxd_hdr_encode(buf, &h);
	memset(p, 0, 512);
	switch (pkt->u.debug.type) {
	case RXD_DEBUG_GETSTATS: {
		struct rxd_debug_stats s = {0};
		s.calls_executed = (int32_t)(l->stats.calls_server);
		s.version = RXD_DEBUG_VERSION;
		s.n_packets = (int32_t)l->ncalls;
		p += rxd_debug_stats_encode(p, 512, &s);
		break;
	}
	case RXD_DEBUG_RXSTATS: {
		/* struct rx_statistics: 71 int32 counters. */
		uint8_t *start = p;
		put32(&p, (uint32_t)l->stats.rx_packets[RXD_PKT_DATA] + (uint32_t)l->stats.rx_packets[RXD_PKT_ACK]);
		put32(&p, (uint32_t)l->stats.rx_packets[RXD_PKT_DATA]);
		put32(&p, (uint32_t)l->stats.tx_packets[RXD_PKT_DATA]);
		for (unsigned i = 3; i < 11; i++)
			put32(&p, 0);
		for (unsigned i = 0; i < 13; i++) /* packetsRead[type] */
			put32(&p, (uint32_t)l->stats.rx_packets[i + 1 < RXD_PKT__MAX ? i + 1 : RXD_PKT__MAX]);
		put32(&p, (uint32_t)l->stats.rx_data_subpackets);
		put32(&p, (uint32_t)l->stats.tx_acks_by_reason[RXD_ACK_DUPLICATE]);
		put32(&p, 0);
		put32(&p, (uint32_t)l->stats.discards[RXD_R_DUPLICATE]);
		for (unsigned i = 0; i < 13; i++) /* packetsSent[type] */
			put32(&p, (uint32_t)l->stats.tx_packets[i + 1 < RXD_PKT__MAX ? i + 1 : RXD_PKT__MAX]);
		put32(&p, (uint32_t)l->stats.tx_acks_by_reason[RXD_ACK_REQUESTED]);
		put32(&p, 0);
		put32(&p, (uint32_t)l->stats.tx_data_retrans);
		put32(&p, (uint32_t)l->stats.tx_data);
		put32(&p, 0);
		put32(&p, 0);
		put32(&p, (uint32_t)l->stats.busy_sent);
		put32(&p, 0);
		while (p < start + RXD_DEBUG_RXSTATS_LEN)
			put32(&p, 0);
		break;
	}
	case RXD_DEBUG_GETCONN:
	case RXD_DEBUG_GETALLCONN:
		/* End marker: a connection record whose cid is 0xffffffff. */
		memset(p, 0, RXD_DEBUG_CONN_LEN);
		rxd_put_be32(p + 4, 0xffffffffu);
		p += RXD_DEBUG_CONN_LEN;
		break;
	case RXD_DEBUG_GETPEER:
		memset(p, 0, RXD_DEBUG_PEER_LEN);
		rxd_put_be32(p, 0xffffffffu);
		p += RXD_DEBUG_PEER_LEN;
		break;
	default:
		put32(&p, (uint32_t)RX_DEBUGI_BADTYPE);
		put32(&p, (uint32_t)RX_DEBUGI_BADTYPE);
		break;
	}
	iov.len = (uint32_t)(p - buf);
	if (rxd_send_raw(l, to, &iov, 1, 0) == 0)
		STAT(l, debug_replies);
}

/*
 * Tail loss probe: new data if the window allows, else the highest sent
 * packet again; but if that is the LAST packet, whose ACK the peer may be
 * deferring (a final ACK, an implicit ACK by the reply), a PING asks for the
 * ACK instead of resending data the peer most likely holds (the kernel's
 * rxrpc_resend() pings for a lost ACK too, net/rxrpc/call_event.c).
 */
void rxd_send_tlp_probe(struct rxd_call *c, uint64_t now)
{
	uint32_t s = c->tx_sent_top;

	STAT(c->local, tlp_fired);
	if (seq_before(c->tx_sent_top, c->tx_top) &&
	    seq_before(c->tx_sent_top, c->tx_hard_ack + c->tx_winsize)) {
		if (send_datagram(c, c->tx_sent_top + 1, 1, false, now) == 0) {
			c->tx_sent_top++;
			c->tx_in_flight++;
			tx_phase_check(c);
		}
		return;
	}
	while (seq_after(s, c->tx_hard_ack) && c->tx[s & c->tx_mask].sacked)
		s--;
	if (!seq_after(s, c->tx_hard_ack))
		return;
	if (c->tx[s & c->tx_mask].flags & RXD_F_LAST_PACKET)
		rxd_send_ping(c, now);
	else
		send_datagram(c, s, 1, true, now);
}
