/* SPDX-License-Identifier: MIT */
/*
 * Packet output: DATA (with jumbograms and the REQUEST_ACK policy), ACKs with
 * the SACK table and trailer, ABORT, BUSY, PING and VERSION replies (DEBUG: debug.c).
 */
#include <stdio.h>

#include "internal.h"

int rxd_send_raw(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_iov *iov, unsigned n, unsigned flags)
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
	rxd_conn_hdr(c->conn, c->channel, c->call_number, type, serial, h);
}

/* ------------------------------------------------------------------ ACK */

/*
 * The trailer: maxMTU our rx_mtu, ifMTU the interface's, rwind, and jumbo_max.
 * A peer that advertises jumbo_max 0 ("I do PMTUD": the kernel) probes us and
 * sizes its jumbograms by the path only if we say 0 too (net/rxrpc input.c
 * rxrpc_input_ack_trailer, ackr_adv_pmtud), and we can say it when rx_mtu
 * caps a jumbogram within rx_jumbo_max.  OpenAFS sends no jumbograms to a 0
 * (rx.c rxi_ReceiveAckPacket), so everyone else hears our jumbo limit.
 */
static void fill_trailer(const struct rxd_local *l, const struct rxd_peer *p, struct rxd_ack_info *a)
{
	const struct rxd_config *cfg = &l->cfg;
	uint32_t jumbo = (cfg->rx_mtu + RXD_JUMBO_HDRLEN - RXD_WIRE_HDR_LEN) / RXD_JUMBO_SUBPKTLEN;

	a->trailer_len = RXD_ACK_TRAILER_LEN;
	a->max_mtu = cfg->rx_mtu;
	a->if_mtu = cfg->if_mtu - rxd_udp_ip_overhead(&p->addr) - RXD_WIRE_HDR_LEN;
	a->rwind = cfg->rx_window_size;
	a->jumbo_max = min_u32(cfg->rx_jumbo_max, jumbo ? jumbo : 1);
	if (cfg->pmtud && p->trailer_len >= 16 && p->peer_jumbo_max == 0 && jumbo <= cfg->rx_jumbo_max)
		a->jumbo_max = 0;
}

/* Zeros that pad a PMTUD probe after its trailer, gathered in as many pieces as needed. */
static const uint8_t pad_zeros[4096];
#define PAD_IOVS ((65536u + sizeof(pad_zeros) - 1) / sizeof(pad_zeros))

/* Send an ACK; pad_to > 0 pads it with zeros to that many bytes and sets DF (a PMTUD probe). */
static int send_ack_body(struct rxd_local *l, struct rxd_peer *peer, const struct rxd_hdr *h,
			 const struct rxd_ack_info *a, uint32_t pad_to)
{
	uint8_t buf[RXD_WIRE_HDR_LEN + RXD_ACK_BODY_LEN + RXD_ACK_MAX_SACK + RXD_ACK_PAD_LEN + RXD_ACK_TRAILER_LEN];
	struct rxd_iov iov[1 + PAD_IOVS];
	uint32_t len, niov = 1;
	int rc;

	rxd_hdr_encode(buf, h);
	len = (uint32_t)(RXD_WIRE_HDR_LEN + rxd_ack_encode(buf + RXD_WIRE_HDR_LEN, sizeof(buf) - RXD_WIRE_HDR_LEN, a));
	iov[0] = (struct rxd_iov){buf, len, NULL};
	if (pad_to && pad_to < len)
		return -EMSGSIZE;
	while (len < pad_to && niov < 1 + PAD_IOVS) {
		uint32_t part = min_u32(pad_to - len, sizeof(pad_zeros));
		iov[niov++] = (struct rxd_iov){pad_zeros, part, NULL};
		len += part;
	}
	rc = rxd_send_raw(l, &peer->addr, iov, niov, pad_to ? RXD_TX_DONTFRAG : 0);
	if (rc == 0) {
		l->stats.tx_acks_by_reason[a->reason < RXD_ACK__MAX ? a->reason : 0]++;
		peer->last_tx = l->now;
	}
	return rc;
}

/*
 * An ACK for call_number on conn's channel: everything up to hard consumed,
 * top the highest seq seen, and the one trailer every ACK carries (the final
 * ACK too: it said maxPackets 0 and rwind 255 where the call's ACKs said
 * otherwise).
 */
static void ack_init(struct rxd_conn *conn, unsigned channel, uint32_t call_number, uint32_t hard, uint32_t top,
		     uint8_t reason, uint32_t serial, struct rxd_hdr *h, struct rxd_ack_info *a)
{
	rxd_conn_hdr(conn, channel, call_number, RXD_PKT_ACK, rxd_conn_next_serial(conn), h);
	h->flags |= RXD_F_SLOW_START_OK;
	memset(a, 0, sizeof(*a));
	a->first_packet = hard + 1;
	a->previous_packet = top;
	a->serial = serial;
	a->reason = reason;
	fill_trailer(conn->local, conn->peer, a);
}

/*
 * A server's PING sent once its reply's LAST packet is queued carries no
 * receive state: firstPacket 1, previousPacket 0, no table.  An OpenAFS
 * client answers a PING, drops the call lock to send the answer, and only then
 * applies the PING's ACK fields to the channel's call structure
 * (rxi_ReceivePacket, OpenAFS src/rx/rx.c).  Meanwhile its reader can end the
 * call and start the next one on that same structure: our firstPacket 4 (a
 * 3-packet request received) then acknowledged the new call's 3 request
 * packets before they were sent, and the client waited for a reply while
 * ignoring our ACKs as going backwards.  firstPacket 1 acknowledges nothing on
 * any call; to the call it is meant for it is stale (the request is complete),
 * and a stale PING is still answered (OpenAFS answers before it looks at the
 * ACK; the kernel's rxrpc_input_ack() answers a discarded one).
 */
static bool ping_without_state(const struct rxd_call *c, uint8_t reason)
{
	return reason == RXD_ACK_PING && !c->is_client && c->tx_phase_done;
}

/*
 * A call's ACK hard-ACKs what arrived in order (and verified: the packets the
 * application can read), consumed or not, and its rwind is the window less
 * what the application has not consumed yet: the kernel's rule
 * (net/rxrpc/output.c rxrpc_fill_out_ack: firstPacket = ackr_window, rwind =
 * rx_winsize - (window - 1 - rx_consumed)).  Hard-ACKing only what was
 * consumed held an OpenAFS sender's window shut: its packets may go only up
 * to firstPacket + min(twind, cwind) (rx.c rxi_Start), so a reader that
 * consumes after a round trip (the fileserver hands a StoreData's packets to
 * a file-I/O thread and consumes them once written) stalled every window of
 * the request.  An OpenAFS sender shrinks its window to a smaller rwind
 * (rxi_ReceiveAckPacket), so the back-pressure of a slow reader stays.  The
 * accept limit stays rx_consumed + rx_window_size (input.c), which a sender
 * that respects rwind never passes.
 */
static uint32_t rx_rwind(const struct rxd_call *c)
{
	uint32_t queued = c->rx_top - c->rx_consumed;
	uint32_t win = c->local->cfg.rx_window_size;

	return queued < win ? win - queued : 0;
}

/* The call's ACK with its SACK table, padded to pad_to bytes if nonzero; its serial in *sent. */
static int send_call_ack(struct rxd_call *c, uint8_t reason, uint32_t serial, uint32_t pad_to, uint32_t *sent,
			 uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_hdr h;
	struct rxd_ack_info a;
	uint8_t acks[RXD_ACK_MAX_SACK];
	uint32_t n = 0;
	bool stateless = ping_without_state(c, reason);
	int rc;

	if (!c->conn)
		return -ENOTCONN;
	ack_init(c->conn, c->channel, c->call_number, stateless ? 0 : c->rx_top, stateless ? 0 : c->rx_highest, reason,
		 serial, &h, &a);
	if (!stateless)
		a.rwind = rx_rwind(c);
	if (reason == RXD_ACK_PING)
		h.flags |= RXD_F_REQUEST_ACK;
	if (!stateless && seq_after(c->rx_highest, c->rx_top)) {
		n = min_u32(c->rx_highest - c->rx_top, RXD_ACK_MAX_SACK);
		for (uint32_t i = 0; i < n; i++) {
			uint32_t seq = c->rx_top + 1 + i;
			acks[i] = c->rx[seq & (RXD_RX_RING - 1)].present ? RXD_ACK_TYPE_ACK : RXD_ACK_TYPE_NACK;
		}
	}
	/* A delayed ACK with nothing to soft-ACK is an IDLE ACK (kernel). */
	if (reason == RXD_ACK_DELAY && n == 0)
		a.reason = RXD_ACK_IDLE;
	a.nacks = (uint8_t)n;
	a.acks = acks;
	rc = send_ack_body(l, c->peer, &h, &a, pad_to);
	if (sent)
		*sent = h.serial;
	if (reason == RXD_ACK_PING)
		rxd_peer_rtt_probe_sent(c->peer, h.serial, now);
	if (!stateless) {
		c->rx_unacked = 0;
		c->rx_acked_consumed = c->rx_consumed;
	}
	c->last_tx = now;
	if (reason != RXD_ACK_PING && reason != RXD_ACK_PING_RESPONSE) {
		c->ack_at = 0;
		c->delayed_reason = 0;
	}
	return rc;
}

void rxd_send_ack(struct rxd_call *c, uint8_t reason, uint32_t serial, uint64_t now)
{
	send_call_ack(c, reason, serial, 0, NULL, now);
}

void rxd_send_ping(struct rxd_call *c, uint64_t now)
{
	STAT(c->local, pings_sent);
	rxd_send_ack(c, RXD_ACK_PING, 0, now);
}

/* The kernel's rxrpc_send_probe_for_pmtud(): a PING ACK, zeros after its trailer up to size bytes. */
int rxd_send_pmtud_probe(struct rxd_call *c, uint32_t size, uint32_t *serial, uint64_t now)
{
	return send_call_ack(c, RXD_ACK_PING, 0, size, serial, now);
}

/* The final ACK of a finished call, built from the channel cache. */
void rxd_send_final_ack(struct rxd_conn *conn, unsigned channel, uint8_t reason, uint32_t serial, uint64_t now)
{
	struct rxd_local *l = conn->local;
	struct rxd_channel *chan = &conn->chan[channel];
	struct rxd_hdr h;
	struct rxd_ack_info a;

	ack_init(conn, channel, chan->fa_call, chan->fa_seq, chan->fa_seq, reason, serial, &h, &a);
	send_ack_body(l, conn->peer, &h, &a, 0);
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

	rxd_conn_hdr(conn, 0, 0, RXD_PKT_ABORT, rxd_conn_next_serial(conn), &h);
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
static bool want_request_ack(const struct rxd_call *c, const struct rxd_txslot *t, bool retrans, uint64_t now)
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
	if (c->cc.cwnd <= 4 && c->cc.cwnd < c->cc.ssthresh)
		return true;
	if (c->tx_winsize <= 2)
		return true; /* a tiny window: every ACK matters */
	return false;
}

/*
 * Secure the packets of [first, first + n) not yet secured, in one batch
 * (inline: no crypto engine, or it had no job to spare).  Once: the security
 * header depends on (callNumber, seq), not on the serial, so retransmissions
 * reuse it.
 */
static int secure_new(struct rxd_call *c, uint32_t first, uint32_t n, uint64_t now)
{
	struct rxd_conn *conn = c->conn;
	struct rxd_sec_pkt p[RXD_MAX_JUMBO];
	uint32_t seqs[RXD_MAX_JUMBO];
	unsigned m = 0;
	int32_t ab;

	if (!conn->sc || !conn->sc->secure)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		struct rxd_txslot *t = rxd_txq_slot(&c->tx, first + i);
		if (t->sec == RXD_TXSEC_DONE)
			continue;
		seqs[m] = first + i;
		p[m++] = (struct rxd_sec_pkt){.cid = conn->cid | c->channel,
					      .call_number = c->call_number,
					      .seq = first + i,
					      .body = t->data,
					      .len = t->len,
					      .cap = c->tx_pkt_size};
	}
	if (!m)
		return 0;
	if (rxd_crypto_offloaded(conn))
		c->local->stats.crypto_inline += m; /* the engine had no job to spare */
	ab = conn->sc->secure(conn->sec, p, m);
	if (ab) {
		rxd_call_local_abort(c, ab, -EKEYREJECTED, now);
		return -EKEYREJECTED;
	}
	for (unsigned i = 0; i < m; i++)
		rxd_txq_set_secured(&c->tx, seqs[i], p[i].len, p[i].cksum);
	return 0;
}

/*
 * A DATA datagram the shell could not send ends the call LOCAL_ERROR (abort
 * code RX_USER_ABORT, error the send's) as net/rxrpc/output.c
 * rxrpc_send_data_packet() does: at once for a routing error (no route, host
 * unreachable, refused), which will not go away by itself, and for any other
 * error while no DATA of the call has gone out yet (the kernel's "initial
 * transmission": its RXRPC_CALL_BEGAN_RX_TIMER); later errors are left to
 * retransmission.  -EMSGSIZE ends nothing: the kernel counts such a packet as
 * sent, PMTUD lowers the size, and a jumbogram falls back to single packets.
 * -ENOBUFS and -EAGAIN end nothing either (a deliberate difference): in a
 * kernel-bypass shell they mean the frame pool or TX ring is momentarily full
 * under load, which the retransmission timer rides out; failing fresh calls for
 * it would turn a burst into call failures.
 */
static bool tx_error_ends_call(const struct rxd_call *c, int err)
{
	if (err == -EMSGSIZE || err == -ENOBUFS || err == -EAGAIN)
		return false;
	return !c->tx_began || err == -ENETUNREACH || err == -EHOSTUNREACH || err == -ECONNREFUSED;
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
	uint32_t serial0, niov = 0, dlen = 0;
	struct rxd_txslot *last = rxd_txq_slot(&c->tx, first + n - 1);
	bool req_ack = want_request_ack(c, last, retrans, now);
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
	if (secure_new(c, first, n, now) < 0)
		return -EKEYREJECTED;
	call_hdr(c, &h, RXD_PKT_DATA, serial0);
	h.seq = first;
	if (conn->is_client)
		conn->chan[c->channel].final_ack_at = 0; /* this DATA ACKs the previous call implicitly */
	if (first == 1 && conn->is_client && conn->probing_upgrade)
		h.user_status = RXD_USERSTATUS_SERVICE_UPGRADE;
	for (uint32_t i = 0; i < n; i++) {
		struct rxd_txslot *t = rxd_txq_slot(&c->tx, first + i);
		uint8_t f = t->flags & RXD_F_LAST_PACKET;
		if (i + 1 < n)
			f |= RXD_F_JUMBO_PACKET;
		else if (req_ack)
			f |= RXD_F_REQUEST_ACK;
		if (i == 0) {
			h.flags |= f;
			h.cksum = t->cksum;
			rxd_hdr_encode(hb, &h);
			iov[niov++] = (struct rxd_iov){hb, sizeof(hb), NULL};
		} else {
			rxd_jumbo_hdr_encode(jh[i - 1], f, t->cksum);
			iov[niov++] = (struct rxd_iov){jh[i - 1], RXD_JUMBO_HDRLEN, NULL};
		}
		iov[niov++] = (struct rxd_iov){t->data, t->len, t->buf};
		rxd_txq_on_xmit(&c->tx, first + i, serial0 + i, now);
	}
	/* DF only below max_data, as the kernel's rxrpc_send_data_packet(): a datagram of the size PMTUD has
	 * not proved (a full packet to a new peer), or that no longer fits, may be fragmented rather than lost. */
	for (uint32_t i = 0; i < niov; i++)
		dlen += iov[i].len;
	rc = rxd_send_raw(l, &c->peer->addr, iov, niov, dlen < c->peer->max_data ? RXD_TX_DONTFRAG : 0);
	if (rc < 0 && tx_error_ends_call(c, rc)) {
		rxd_call_complete(c, RXD_CALL_LOCAL_ERROR, RX_USER_ABORT, rc, now);
		return rc;
	}
	if (rc == -EMSGSIZE && n > 1)
		return rc;
	c->tx_began = true;
	l->stats.tx_data += 1;
	l->stats.tx_data_subpackets += n;
	if (n > 1)
		l->stats.tx_jumbo++;
	if (retrans) {
		l->stats.tx_data_retrans += n;
		c->peer->tx_resends += n;
	} else {
		c->peer->tx_data += n;
	}
	c->peer->tx_data_bytes += dlen;
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
	if (!c->tx_phase_done || !rxd_txq_all_sent(&c->tx))
		return;
	if (c->state == RXD_CS_CLIENT_SEND_REQUEST)
		rxd_call_set_state(c, RXD_CS_CLIENT_AWAIT_REPLY);
	else if (c->state == RXD_CS_SERVER_SEND_REPLY)
		rxd_call_set_state(c, RXD_CS_SERVER_AWAIT_ACK);
}

/* The peer's pacing holds this datagram back: the call's timer retries (rxd_peer_pace). */
static bool paced(struct rxd_call *c, uint32_t bytes, uint64_t now)
{
	uint32_t wnd = min_u32(rxd_cc_window(&c->cc), c->tx_winsize) * RXD_JUMBO_DATALEN;
	uint64_t at = rxd_peer_pace(c->peer, bytes, wnd, c->tx.in_flight == 0, now);

	if (!at)
		return false;
	c->pace_at = at;
	return true;
}

/* Fill the window: lost packets first (one per datagram), then new data in jumbograms. */
void rxd_transmit(struct rxd_call *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_txq *q = &c->tx;
	uint32_t cwnd, jumbo;
	bool sent = false;

	c->pace_at = 0;
	if (!c->conn || c->state == RXD_CS_COMPLETE || c->state == RXD_CS_CLIENT_AWAIT_CONN ||
	    c->state == RXD_CS_SERVER_ACK_REQUEST)
		return;
	cwnd = rxd_cc_window(&c->cc);
	/* With a crypto engine, what is queued is secured ahead of the window; the new data below goes out
	 * in sequence up to the first packet still being secured, and the engine's reply resumes it.
	 * Inline, what the window lets out now is secured in one batch: the class interleaves the
	 * packets' ciphers (multi-buffer) instead of running one packet at a time. */
	if (!rxd_crypto_secure_queued(c) && q->in_flight < cwnd) {
		uint32_t n = min_u32(q->top - q->sent_top, min_u32(cwnd - q->in_flight, RXD_MAX_JUMBO));
		int32_t room = (int32_t)(q->hard_ack + c->tx_winsize - q->sent_top);
		if (room > 0 && n && secure_new(c, q->sent_top + 1, min_u32(n, (uint32_t)room), now) < 0)
			return;
	}
	for (uint32_t s = q->nr_lost ? rxd_txq_next_lost(q, q->hard_ack + 1) : 0; s; s = rxd_txq_next_lost(q, s + 1)) {
		if (q->in_flight >= cwnd || paced(c, rxd_txq_slot(q, s)->len, now))
			break;
		if (send_datagram(c, s, 1, true, now) < 0 || c->state == RXD_CS_COMPLETE)
			return;
		rxd_txq_resent(q, s);
		sent = true;
	}
	jumbo = rxd_peer_max_jumbo(c->peer, &l->cfg);
	while (seq_before(q->sent_top, q->top) && q->in_flight < cwnd) {
		uint32_t first = q->sent_top + 1;
		uint32_t win_left = q->hard_ack + c->tx_winsize - q->sent_top;
		uint32_t n = 1, max;
		const struct rxd_txslot *t;
		if ((int32_t)win_left <= 0 || !rxd_txq_sendable(q, first))
			break;
		max = min_u32(jumbo, min_u32(win_left, cwnd - q->in_flight));
		max = min_u32(max, q->top - q->sent_top);
		/* Only packets filled to exactly 1412 bytes can be non-terminal subpackets. */
		while (n < max && (t = rxd_txq_slot(q, first + n - 1))->len == RXD_JUMBO_DATALEN &&
		       !(t->flags & RXD_F_LAST_PACKET) && rxd_txq_sendable(q, first + n))
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
		rxd_txq_sent_new(q, n);
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

/* ------------------------------------------------------------------ VERSION */

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

/* Tail loss probe: new data if the window allows, else the highest unacked packet again, or a PING. */
void rxd_send_tlp_probe(struct rxd_call *c, uint64_t now)
{
	struct rxd_txq *q = &c->tx;
	uint32_t s;

	STAT(c->local, tlp_fired);
	if (seq_before(q->sent_top, q->top) && seq_before(q->sent_top, q->hard_ack + c->tx_winsize) &&
	    rxd_txq_sendable(q, q->sent_top + 1)) {
		if (send_datagram(c, q->sent_top + 1, 1, false, now) == 0) {
			rxd_txq_sent_new(q, 1);
			tx_phase_check(c);
		}
		return;
	}
	s = rxd_txq_last_unsacked(q);
	if (!s)
		return;
	/* The LAST packet's ACK the peer may be deferring (a final ACK, an implicit ACK by the
	 * reply): a PING asks for it instead of resending data the peer most likely holds (the
	 * kernel's rxrpc_resend() pings for a lost ACK too, net/rxrpc/call_event.c). */
	if (rxd_txq_slot(q, s)->flags & RXD_F_LAST_PACKET)
		rxd_send_ping(c, now);
	else
		send_datagram(c, s, 1, true, now);
}
