/* SPDX-License-Identifier: MIT */
/*
 * Packet input: validation, routing to local/conn/call (the rules of Linux
 * net/rxrpc/io_thread.c), and the per-call handling of DATA, ACK, ABORT, BUSY and ACKALL.
 */
#include "internal.h"

static void discard(struct rxd_local *l, enum rxd_reason why)
{
	l->stats.discards[why]++;
}

/* ------------------------------------------------------------------ ACK generation policy */

/* Kernel precedence when one datagram triggers several ACK reasons. */
static unsigned ack_prio(uint8_t reason)
{
	switch (reason) {
	case RXD_ACK_IDLE:
		return 1;
	case RXD_ACK_DELAY:
		return 2;
	case RXD_ACK_REQUESTED:
		return 3;
	case RXD_ACK_DUPLICATE:
		return 4;
	case RXD_ACK_EXCEEDS_WINDOW:
		return 5;
	case RXD_ACK_NOSPACE:
		return 6;
	case RXD_ACK_OUT_OF_SEQUENCE:
		return 7;
	default:
		return 0;
	}
}

static void propose_ack(struct rxd_call *c, uint8_t reason, uint32_t serial)
{
	if (ack_prio(reason) >= ack_prio(c->ack_reason)) {
		c->ack_reason = reason;
		c->ack_serial = serial;
	}
}

/* ------------------------------------------------------------------ DATA */

static void end_rx_phase(struct rxd_call *c, uint32_t serial, uint64_t now)
{
	struct rxd_local *l = c->local;

	c->rx_phase_done = true;
	c->idle_at = 0;
	if (c->is_client) {
		/* Whole reply received: the call succeeded; the final ACK is deferred on the channel. */
		c->ack_serial = serial;
		c->ack_at = 0;
		c->ack_reason = 0;
		rxd_call_complete(c, RXD_CALL_SUCCEEDED, 0, 0, now);
	} else {
		rxd_call_set_state(c, RXD_CS_SERVER_ACK_REQUEST);
		/* Delayed ACK in case the reply is slow to come: the reply itself would ACK implicitly. */
		uint64_t srtt = rxd_rtt_srtt_ns(&c->peer->rtt);
		uint64_t d = srtt ? srtt : (uint64_t)l->cfg.soft_ack_delay_ms * RXD_NS_PER_MS;
		c->ack_at = now + d;
		c->delayed_reason = RXD_ACK_DELAY;
		c->ack_serial = serial;
	}
}

/*
 * The security class checks every subpacket of the datagram in one batch, in
 * place (the buffer is this datagram's alone; a duplicate's copy is never the
 * one stored), and says where the user data is: the security header and
 * padding are not the application's.  A bad packet aborts the call.
 */
static bool verify_data(struct rxd_call *c, const struct rxd_pkt *pkt, struct rxd_sec_pkt *sec, uint64_t now)
{
	const struct rxd_conn *conn = c->conn;
	unsigned n = pkt->u.data.nsub;

	for (unsigned i = 0; i < n; i++) {
		const struct rxd_subpkt *sp = &pkt->u.data.sub[i];
		sec[i] = (struct rxd_sec_pkt){.cid = pkt->hdr.cid,
					      .call_number = pkt->hdr.call_number,
					      .seq = sp->seq,
					      .cksum = sp->cksum,
					      .body = (uint8_t *)(uintptr_t)sp->data,
					      .len = sp->len,
					      .data_len = sp->len};
	}
	if (!conn || !conn->sc || !conn->sc->verify || !conn->sc->verify(conn->sec, sec, n))
		return true;
	for (unsigned i = 0; i < n; i++) {
		if (sec[i].abort) {
			rxd_call_local_abort(c, sec[i].abort, -EPROTO, now);
			discard(c->local, RXD_R_SECURITY);
			return false;
		}
	}
	return true;
}

/*
 * Deliver what is now in order and verified: the application hears of it,
 * and the LAST packet ends the phase.  False when the call completed.
 */
static bool rx_deliver(struct rxd_call *c, uint32_t serial, uint64_t now)
{
	uint32_t old_top = c->rx_top;

	while (!c->rx_last || c->rx_top != c->rx_last) {
		const struct rxd_rxslot *r = &c->rx[(c->rx_top + 1) & (RXD_RX_RING - 1)];
		if (!r->present || !r->verified || !seq_after(c->rx_top + 1, c->rx_consumed))
			break;
		c->rx_top++;
		c->rx_avail += r->len;
	}
	if (c->rx_top == old_top)
		return true;
	if (c->rx_last && c->rx_top == c->rx_last)
		end_rx_phase(c, serial, now);
	/* A completed call was told about its data by rxd_call_complete(). */
	if (c->state == RXD_CS_COMPLETE)
		return false;
	rxd_call_notify_data(c);
	return c->state != RXD_CS_COMPLETE;
}

void rxd_input_verified(struct rxd_call *c, const struct rxd_sec_pkt *p, struct rxd_buf *const *bufs, unsigned n,
			uint32_t serial, uint64_t now)
{
	for (unsigned i = 0; i < n; i++) {
		struct rxd_rxslot *r = &c->rx[p[i].seq & (RXD_RX_RING - 1)];
		/* The slot still holds this packet (not consumed or freed and filled again meanwhile). */
		if (!r->present || r->verified || r->buf != bufs[i] || r->data != p[i].body)
			continue;
		if (p[i].abort) {
			rxd_call_local_abort(c, p[i].abort, -EPROTO, now);
			discard(c->local, RXD_R_SECURITY);
			return;
		}
		r->data += p[i].data_off;
		r->len = p[i].data_len;
		r->verified = true;
	}
	rx_deliver(c, serial, now);
}

static bool input_data(struct rxd_call *c, const struct rxd_pkt *pkt, struct rxd_buf *buf, uint64_t now)
{
	struct rxd_local *l = c->local;
	const struct rxd_config *cfg = &l->cfg;
	bool filled_hole = false;
	unsigned last_i = pkt->u.data.nsub - 1;
	struct rxd_sec_pkt sec[RXD_MAX_JUMBO];
	struct crypto_job *job = NULL;

	switch (c->state) {
	case RXD_CS_SERVER_PREALLOC:
		rxd_call_set_state(c, RXD_CS_SERVER_RECV_REQUEST);
		break;
	case RXD_CS_SERVER_RECV_REQUEST:
	case RXD_CS_CLIENT_RECV_REPLY:
		break;
	case RXD_CS_CLIENT_AWAIT_REPLY:
		if (!c->tx_phase_done || !rxd_txq_all_sent(&c->tx)) {
			rxd_call_local_abort(c, RX_PROTOCOL_ERROR, -EPROTO, now);
			discard(l, RXD_R_EARLY_REPLY);
			return false;
		}
		/* The first reply packet implicitly hard-ACKs the whole request; if the last request
		 * packet went out once, the exchange is also an RTT sample (an upper bound). */
		{
			const struct rxd_txslot *t = rxd_txq_slot(&c->tx, c->tx.top);
			if (t->nxmit == 1 && now > t->xmit_ns &&
			    (c->peer->rtt.nsamples == 0 || now - t->xmit_ns < rxd_rtt_srtt_ns(&c->peer->rtt)))
				rxd_rtt_sample(&c->peer->rtt, now - t->xmit_ns);
		}
		rxd_txq_drop_all(l, &c->tx);
		c->resend_at = 0;
		c->tlp_at = 0;
		rxd_call_set_state(c, RXD_CS_CLIENT_RECV_REPLY);
		break;
	case RXD_CS_CLIENT_SEND_REQUEST:
		rxd_call_local_abort(c, RX_PROTOCOL_ERROR, -EPROTO, now);
		discard(l, RXD_R_EARLY_REPLY);
		return false;
	default:
		/* Request DATA after the request phase: the client missed our ACK or reply. */
		propose_ack(c, RXD_ACK_DUPLICATE, pkt->u.data.sub[last_i].serial);
		discard(l, RXD_R_DUPLICATE);
		return true;
	}

	/* With a crypto engine (or inline, inside a receive batch) the subpackets are stored and soft-ACKed
	 * now and verified by a job, as the kernel verifies in recvmsg after ACKing; the application gets
	 * them once verified (doc/crypto-offload.md). */
	if (buf)
		job = rxd_crypto_rx_begin(c, pkt->u.data.nsub);
	if (!job && !verify_data(c, pkt, sec, now))
		return false;
	for (unsigned i = 0; i < pkt->u.data.nsub; i++) {
		const struct rxd_subpkt *sp = &pkt->u.data.sub[i];
		uint32_t seq = sp->seq;
		struct rxd_rxslot *r;
		bool last = sp->flags & RXD_F_LAST_PACKET;

		if (!seq_after(seq, c->rx_consumed)) {
			propose_ack(c, RXD_ACK_DUPLICATE, sp->serial);
			discard(l, RXD_R_DUPLICATE);
			continue;
		}
		if (seq_after(seq, c->rx_consumed + cfg->rx_window_size)) {
			propose_ack(c, RXD_ACK_EXCEEDS_WINDOW, sp->serial);
			discard(l, RXD_R_DATA_BEYOND_WINDOW);
			break;
		}
		if ((c->rx_last && (seq_after(seq, c->rx_last) || (last && seq != c->rx_last))) ||
		    (last && seq_before(seq, c->rx_highest))) {
			rxd_call_local_abort(c, RX_PROTOCOL_ERROR, -EPROTO, now);
			discard(l, RXD_R_DATA_BEYOND_LAST);
			if (job)
				rxd_crypto_rx_end(c, job); /* its packets come back to a completed call: dropped */
			return false;
		}
		r = &c->rx[seq & (RXD_RX_RING - 1)];
		if (r->present) {
			propose_ack(c, RXD_ACK_DUPLICATE, sp->serial);
			discard(l, RXD_R_DUPLICATE);
			continue;
		}
		r->present = true;
		r->verified = !job;
		r->data = sp->data + (job ? 0 : sec[i].data_off);
		r->len = job ? sp->len : sec[i].data_len;
		r->last = last;
		r->buf = buf;
		if (buf)
			l->io->buf_ref(l->io_ctx, buf);
		if (job)
			rxd_crypto_rx_add(c, job, buf, (uint8_t *)(uintptr_t)sp->data, sp->len, seq, sp->cksum,
					  sp->serial);
		if (last)
			c->rx_last = seq;
		if (seq_after(seq, c->rx_highest))
			c->rx_highest = seq;
		if (seq_before(c->rx_recv_top, c->rx_consumed))
			c->rx_recv_top = c->rx_consumed;
		if (seq == c->rx_recv_top + 1) {
			if (seq_after(c->rx_highest, seq))
				filled_hole = true;
			while ((!c->rx_last || c->rx_recv_top != c->rx_last) &&
			       c->rx[(c->rx_recv_top + 1) & (RXD_RX_RING - 1)].present)
				c->rx_recv_top++;
		} else if (seq_after(seq, c->rx_recv_top + 1)) {
			propose_ack(c, RXD_ACK_OUT_OF_SEQUENCE, sp->serial);
		}
	}
	c->rx_unacked += pkt->u.data.nsub;
	if (pkt->u.data.sub[last_i].flags & RXD_F_REQUEST_ACK)
		propose_ack(c, RXD_ACK_REQUESTED, pkt->u.data.sub[last_i].serial);
	if (filled_hole)
		propose_ack(c, RXD_ACK_DELAY, pkt->u.data.sub[last_i].serial);
	if (!c->is_client && c->state == RXD_CS_SERVER_RECV_REQUEST)
		c->idle_at = now + c->idle_ns;

	if (job)
		rxd_crypto_rx_end(c, job);
	if (!rx_deliver(c, pkt->u.data.sub[last_i].serial, now))
		return true;
	/* Soft-ACK every second datagram, else after a delay. */
	if (!c->ack_reason && !c->rx_phase_done) {
		if (c->rx_unacked >= 2) {
			c->ack_reason = RXD_ACK_IDLE;
			c->ack_serial = pkt->u.data.sub[last_i].serial;
		} else if (!c->ack_at) {
			uint64_t srtt = rxd_rtt_srtt_ns(&c->peer->rtt);
			c->ack_at = now + (srtt ? srtt : (uint64_t)cfg->soft_ack_delay_ms * RXD_NS_PER_MS);
			c->delayed_reason = RXD_ACK_DELAY;
			c->ack_serial = pkt->u.data.sub[last_i].serial;
		}
	}
	return true;
}

/* ------------------------------------------------------------------ ACK */

static void input_ack_trailer(struct rxd_call *c, const struct rxd_ack_info *a)
{
	struct rxd_peer *p = c->peer;
	uint32_t rwind;

	if (a->trailer_len < 8)
		return;
	/* Clamp what the peer says (OPENAFS-SA-2017-001: tiny values were a remote DoS). */
	p->trailer_len = a->trailer_len;
	p->peer_max_mtu = a->max_mtu < 500 ? 500 : a->max_mtu > 65535 ? 65535 : a->max_mtu;
	p->if_mtu_data = a->if_mtu;
	if (a->trailer_len >= 12) {
		rwind = a->rwind;
		if (rwind < 1)
			rwind = 1;
		c->tx_winsize = min_u32(rwind, c->local->cfg.tx_window_max);
	}
	if (a->trailer_len >= 16)
		p->peer_jumbo_max = a->jumbo_max;
}

static bool sending_phase(const struct rxd_call *c)
{
	switch (c->state) {
	case RXD_CS_CLIENT_SEND_REQUEST:
	case RXD_CS_CLIENT_AWAIT_REPLY:
	case RXD_CS_SERVER_SEND_REPLY:
	case RXD_CS_SERVER_AWAIT_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * The whole reply, LAST included, hard- or soft-ACKed.  That ends a service
 * call: a client may not drop what it soft-ACKed, and an OpenAFS client that
 * holds the whole reply sends nothing more while its reader drains, then
 * dallies and ignores our PINGs; waiting for a hard ACK aborted calls the
 * client had completed (OpenAFS rx.c: "Soft acks are good enough").
 */
static bool reply_held_by_peer(const struct rxd_call *c)
{
	return c->tx_phase_done && rxd_txq_all_delivered(&c->tx);
}

/*
 * An ACK older than the latest one taken, as net/rxrpc/input.c
 * rxrpc_is_ack_valid() judges: firstPacket went back, or stayed while
 * previousPacket went back beyond the window.  previousPacket going back
 * within the window is no sign of age: OpenAFS puts there the last packet it
 * received (rxi_ReceiveDataPacket's call->rprev), which goes back whenever a
 * retransmission fills a hole, and that ACK is the one saying the hole is
 * filled.  Beyond the window it is a serial number (old OpenAFS libafs),
 * which does order ACKs.
 */
static bool ack_is_stale(const struct rxd_call *c, uint32_t first, uint32_t prev)
{
	if (seq_before(first, c->tx.hard_ack + 1))
		return true;
	return first == c->tx.hard_ack + 1 && seq_before(prev, c->tx_prev_ack) &&
	       seq_after(prev, c->tx.hard_ack + c->tx_winsize);
}

static bool input_ack(struct rxd_call *c, const struct rxd_pkt *pkt, uint64_t now)
{
	struct rxd_local *l = c->local;
	const struct rxd_ack_info *a = &pkt->u.ack;
	uint32_t first = a->first_packet, hard = first - 1, newly;
	uint64_t min_rtt;
	bool was_blocked = c->writable_wanted;

	l->stats.rx_acks_by_reason[a->reason < RXD_ACK__MAX ? a->reason : 0]++;
	if (a->reason == RXD_ACK_PING)
		rxd_send_ack(c, RXD_ACK_PING_RESPONSE, pkt->hdr.serial, now);
	else if (pkt->hdr.flags & RXD_F_REQUEST_ACK)
		propose_ack(c, RXD_ACK_REQUESTED, pkt->hdr.serial);
	if (a->reason == RXD_ACK_REQUESTED || a->reason == RXD_ACK_PING_RESPONSE)
		if (rxd_peer_rtt_probe_ack(c->peer, a->serial, now))
			rxd_rto_reset_backoff(c);
	input_ack_trailer(c, a);

	if (!sending_phase(c))
		return true;
	if (ack_is_stale(c, first, a->previous_packet)) {
		discard(l, RXD_R_ACK_OUT_OF_RANGE);
		return true;
	}
	if (seq_after(hard, c->tx.sent_top) || (a->nacks && seq_after(first + a->nacks - 1, c->tx.sent_top))) {
		rxd_call_local_abort(c, RX_PROTOCOL_ERROR, -EPROTO, now);
		discard(l, RXD_R_ACK_BAD_WINDOW);
		return false;
	}
	c->tx_prev_ack = a->previous_packet;

	min_rtt = c->peer->rtt.min_rtt_ns;
	newly = rxd_txq_hard_ack(l, &c->tx, first, &c->rack, min_rtt, now);
	newly += rxd_txq_sack(&c->tx, first, a->acks, a->nacks, &c->rack, min_rtt, now);
	if (newly)
		rxd_rto_on_progress(c);
	rxd_cc_on_ack(&c->cc, newly, c->tx.hard_ack, l->cfg.tx_window_max);
	rxd_rack_detect(c, now);
	if (newly)
		rxd_arm_resend(c, now, true);
	else
		rxd_loss_on_stale_ack(c, first, a->nacks, a->acks, now);

	/* Phase end for the sender: the server's reply is done once the client holds all of it. */
	if (!c->is_client && reply_held_by_peer(c)) {
		rxd_call_complete(c, RXD_CALL_SUCCEEDED, 0, 0, now);
		return true;
	}
	if (was_blocked && rxd_txq_queued(&c->tx) + c->tx_lent < l->cfg.tx_queue_max) {
		c->writable_wanted = false;
		if (c->ops && c->ops->writable && !c->app_ended)
			c->ops->writable(c->app, c);
		if (c->state == RXD_CS_COMPLETE)
			return true;
	}
	rxd_transmit(c, now);
	return true;
}

/* ------------------------------------------------------------------ per-call dispatch */

/* Send (or, for req_ack_delay, schedule) the ACK that input left pending on c. */
static void send_pending_ack(struct rxd_call *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	uint8_t r = c->ack_reason;
	uint64_t delay = (uint64_t)l->cfg.req_ack_delay_ms * RXD_NS_PER_MS;

	if (!r)
		return;
	c->ack_reason = 0;
	if (!c->is_client && c->rx_phase_done && r == RXD_ACK_REQUESTED &&
	    (c->state == RXD_CS_SERVER_SEND_REPLY || c->state == RXD_CS_SERVER_AWAIT_ACK))
		return; /* the reply already on its way ACKs the request implicitly */
	if (r == RXD_ACK_REQUESTED && delay) {
		/* req_ack_delay: let a few more packets arrive so one ACK covers them. */
		if (!c->ack_at || c->ack_at > now + delay)
			c->ack_at = now + delay;
		c->delayed_reason = RXD_ACK_REQUESTED;
	} else {
		rxd_send_ack(c, r, c->ack_serial, now);
	}
}

void rxd_input_call_packet(struct rxd_call *c, const struct rxd_pkt *pkt, struct rxd_buf *buf, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->state == RXD_CS_COMPLETE) {
		discard(l, RXD_R_CALL_COMPLETE);
		return;
	}
	c->last_rx = now;
	c->expect_rx_at = now + c->expect_rx_ns;
	switch (pkt->hdr.type) {
	case RXD_PKT_DATA:
		if (!input_data(c, pkt, buf, now))
			return;
		break;
	case RXD_PKT_ACK:
		if (!input_ack(c, pkt, now))
			return;
		break;
	case RXD_PKT_ABORT:
		rxd_call_complete(c, RXD_CALL_REMOTELY_ABORTED, pkt->u.abort_code, -ECONNABORTED, now);
		return;
	case RXD_PKT_BUSY:
		if (c->is_client && c->tx.hard_ack == 0 && c->state != RXD_CS_CLIENT_RECV_REPLY)
			rxd_call_complete(c, RXD_CALL_REMOTELY_ABORTED, 0, -EBUSY, now);
		return;
	case RXD_PKT_ACKALL:
		if (sending_phase(c)) {
			rxd_txq_drop_all(l, &c->tx);
			if (!c->is_client && c->tx_phase_done)
				rxd_call_complete(c, RXD_CALL_SUCCEEDED, 0, 0, now);
		}
		return;
	default:
		return;
	}
	if (c->state == RXD_CS_COMPLETE)
		return;
	rxd_pmtud_maybe_probe(c, now); /* the kernel probes from a call that just received (call_event.c) */
	if (c->ack_reason && l->batch) {
		/* One ACK per call per burst: it goes out when the batch ends and covers it all. */
		if (!c->ack_queued) {
			c->ack_queued = true;
			c->ack_next = l->ack_list;
			l->ack_list = c;
		}
		rxd_call_update_timer(c);
		return;
	}
	send_pending_ack(c, now);
	rxd_call_update_timer(c);
}

void rxd_flush_acks(struct rxd_local *l, uint64_t now)
{
	while (l->ack_list) {
		struct rxd_call *c = l->ack_list;

		l->ack_list = c->ack_next;
		c->ack_next = NULL;
		c->ack_queued = false;
		if (c->state == RXD_CS_COMPLETE) {
			c->ack_reason = 0;
			continue;
		}
		send_pending_ack(c, now);
		rxd_call_update_timer(c);
	}
}

/* ------------------------------------------------------------------ routing */

static void reject(struct rxd_local *l, const struct rxd_addr *from, const struct rxd_pkt *pkt, enum rxd_reason why,
		   int32_t code)
{
	discard(l, why);
	/* Never answer an ABORT with an ABORT. */
	if (pkt->hdr.type != RXD_PKT_ABORT)
		rxd_reply_abort(l, from, &pkt->hdr, code);
}

static void input_conn_packet(struct rxd_conn *conn, const struct rxd_addr *from, const struct rxd_pkt *pkt,
			      uint64_t now)
{
	struct rxd_local *l = conn->local;

	switch (pkt->hdr.type) {
	case RXD_PKT_ABORT:
		rxd_conn_abort_all(conn, pkt->u.abort_code, -ECONNABORTED, true, now);
		return;
	case RXD_PKT_CHALLENGE:
		rxd_conn_input_challenge(conn, from, pkt, now);
		return;
	case RXD_PKT_RESPONSE:
		rxd_conn_input_response(conn, pkt, now);
		return;
	default:
		discard(l, RXD_R_NOT_FIRST_PACKET);
		return;
	}
}

static void input_on_conn(struct rxd_local *l, struct rxd_conn *conn, const struct rxd_addr *from,
			  const struct rxd_pkt *pkt, struct rxd_buf *buf, uint64_t now)
{
	const struct rxd_hdr *h = &pkt->hdr;
	unsigned ch = h->cid & RXD_CID_CHANNEL_MASK;
	struct rxd_channel *chan = &conn->chan[ch];
	struct rxd_call *call;

	if (h->security_index != conn->cp.security_index) {
		reject(l, from, pkt, RXD_R_WRONG_SECURITY, RXKADINCONSISTENCY);
		return;
	}
	if (h->service_id != conn->service_id && h->type != RXD_PKT_ABORT) {
		/* Only a client probing for a service upgrade accepts a changed id, once. */
		if (!conn->is_client || !conn->probing_upgrade) {
			reject(l, from, pkt, RXD_R_REUPGRADE, RX_PROTOCOL_ERROR);
			return;
		}
		conn->service_id = h->service_id;
	}
	if (conn->is_client && conn->probing_upgrade && h->type == RXD_PKT_DATA)
		conn->probing_upgrade = false;
	if (seq_after(h->serial, conn->hi_serial)) {
		conn->hi_serial = h->serial;
		conn->hi_serial_at = now;
	}
	if (conn->state == RXD_CONN_ABORTED) {
		discard(l, RXD_R_CONN_ABORTED);
		return;
	}
	if (h->call_number == 0) {
		input_conn_packet(conn, from, pkt, now);
		return;
	}
	if (!conn->secured) {
		/* Until the client proves its key, its calls wait (net/rxrpc SERVER_SECURING). */
		if (h->type == RXD_PKT_DATA)
			rxd_conn_hold(conn, buf, pkt->body - RXD_WIRE_HDR_LEN, pkt->body_len + RXD_WIRE_HDR_LEN, now);
		else
			discard(l, RXD_R_SECURITY);
		return;
	}
	/* A path-MTU probe's answer (or proof of its loss), as the kernel's io_thread.c: before the channel checks,
	 * since the answer may come from a call the peer has just finished. */
	if (h->type == RXD_PKT_ACK)
		rxd_pmtud_input_ack(conn, h, pkt->u.ack.serial, now);
	if (conn->is_client && h->call_number == chan->fa_call && h->call_number != chan->last_call &&
	    h->type == RXD_PKT_DATA && (!chan->call || chan->call->call_number != h->call_number)) {
		/* The server still retransmits an earlier call's reply: it lost our final ACK. */
		rxd_send_final_ack(conn, ch, RXD_ACK_DUPLICATE, h->serial, now);
		discard(l, RXD_R_FINISHED_CALL);
		return;
	}
	if (seq_before(h->call_number, chan->last_call)) {
		discard(l, RXD_R_OLD_CALL);
		return;
	}
	if (h->call_number == chan->last_call && chan->last_call &&
	    (!chan->call || chan->call->call_number != h->call_number)) {
		/* An ABORT or BUSY ends nothing more: answering a second BUSY with the cached
		 * ABORT would send one the call never sent (the kernel logs it as no-sv-call). */
		if (chan->call || h->type == RXD_PKT_ABORT || h->type == RXD_PKT_BUSY ||
		    (!conn->is_client && chan->last_type == RXD_PKT_ACK)) {
			discard(l, RXD_R_FINISHED_CALL);
			return;
		}
		rxd_conn_retransmit_final(conn, pkt, ch, now);
		discard(l, RXD_R_FINISHED_CALL);
		return;
	}
	call = chan->call;
	if (call && seq_after(h->call_number, call->call_number)) {
		if (conn->is_client) {
			reject(l, from, pkt, RXD_R_UNEXPECTED_IMPLICIT_END, RX_PROTOCOL_ERROR);
			return;
		}
		/* Implicit end: a new call on the channel finishes the old one. */
		if (call->state == RXD_CS_SERVER_AWAIT_ACK)
			rxd_call_complete(call, RXD_CALL_SUCCEEDED, 0, 0, now);
		else
			rxd_call_local_abort(call, RX_CALL_DEAD, -ECONNRESET, now);
		call = chan->call == call ? NULL : chan->call;
	} else if (call && seq_before(h->call_number, call->call_number)) {
		discard(l, RXD_R_OLD_CALL);
		return;
	}
	if (!call) {
		if (conn->is_client) {
			reject(l, from, pkt, RXD_R_NO_CLIENT_CALL, RX_PROTOCOL_ERROR);
			return;
		}
		if (h->type != RXD_PKT_DATA) {
			discard(l, RXD_R_NOT_FIRST_PACKET);
			return;
		}
		if (l->shutting_down) {
			reject(l, from, pkt, RXD_R_NO_SERVICE, RX_INVALID_OPERATION);
			return;
		}
		call = rxd_call_new_incoming(l, conn, pkt, now);
		if (!call) {
			discard(l, RXD_R_BUSY);
			STAT(l, busy_sent);
			rxd_reply_busy(l, conn->peer, h, rxd_conn_next_serial(conn));
			return;
		}
		if (call->ops->new_call && call->ops->new_call(call->app, call) != 0) {
			/* Refused: the application never owned the call. */
			if (call->state != RXD_CS_COMPLETE)
				rxd_call_reject(call, now);
			call->app_ended = true;
			rxd_call_maybe_free(call);
			return;
		}
		if (call->state == RXD_CS_COMPLETE)
			return;
	}
	rxd_input_call_packet(call, pkt, buf, now);
}

static void input_packet(struct rxd_local *l, const struct rxd_addr *from, struct rxd_buf *buf, const uint8_t *data,
			 size_t len, bool replay, uint64_t now)
{
	struct rxd_pkt pkt;
	enum rxd_reason why = RXD_R_OK;
	int32_t code = 0;
	enum rxd_verdict v;
	struct rxd_conn *conn;
	struct rxd_peer *peer;

	v = rxd_pkt_parse(data, len, l->cfg.rx_jumbo_max, &pkt, &why, &code);
	if (!replay) {
		l->stats.rx_bytes += len;
		if (len >= RXD_WIRE_HDR_LEN)
			l->stats.rx_packets[data[20] < RXD_PKT__MAX ? data[20] : RXD_PKT__MAX]++;
	}
	if (v == RXD_V_DISCARD) {
		discard(l, why);
		return;
	}
	if (v == RXD_V_ABORT) {
		reject(l, from, &pkt, why, code);
		return;
	}
	if (from->family != l->addr.family && l->addr.family == RXD_AF_INET) {
		discard(l, RXD_R_ADDR_FAMILY);
		return;
	}
	if (pkt.hdr.type == RXD_PKT_DATA && !replay) {
		l->stats.rx_data_subpackets += pkt.u.data.nsub;
		if (pkt.u.data.nsub > 1)
			l->stats.rx_jumbo++;
	}
	switch (pkt.hdr.type) {
	case RXD_PKT_VERSION:
		if (pkt.body_len >= 1 && pkt.body[0] == 0)
			rxd_reply_version(l, from, &pkt.hdr);
		return;
	case RXD_PKT_DEBUG:
		rxd_reply_debug(l, from, &pkt);
		return;
	default:
		break;
	}

	if (!rxd_hdr_from_client(&pkt.hdr)) {
		/* To our client side: the cid names one of our conns. */
		conn = rxd_conn_find_client(l, pkt.hdr.cid);
		if (!conn || conn->epoch != pkt.hdr.epoch || conn->peer->addr.port != from->port) {
			reject(l, from, &pkt, RXD_R_NO_CLIENT_CONN, RX_PROTOCOL_ERROR);
			return;
		}
		input_on_conn(l, conn, from, &pkt, buf, now);
		return;
	}

	/* To our service side: peer, then (epoch, cid) on that peer. */
	peer = rxd_peer_lookup(l, from, false, now);
	conn = peer ? rxd_conn_find_service(l, peer, pkt.hdr.epoch, pkt.hdr.cid) : NULL;
	if (!conn) {
		struct rxd_service *svc;
		if (pkt.hdr.type != RXD_PKT_DATA) {
			discard(l, RXD_R_NOT_FIRST_PACKET);
			return;
		}
		svc = rxd_find_service(l, pkt.hdr.service_id);
		if (!svc && pkt.hdr.user_status == RXD_USERSTATUS_SERVICE_UPGRADE && pkt.hdr.seq == 1) {
			for (svc = l->services; svc; svc = svc->next)
				if (svc->d.upgrade_from == pkt.hdr.service_id)
					break;
		}
		if (!svc) {
			/* Service not offered: abort the call with RX_INVALID_OPERATION. */
			reject(l, from, &pkt, RXD_R_NO_SERVICE, RX_INVALID_OPERATION);
			return;
		}
		if (pkt.hdr.security_index != 0 &&
		    (pkt.hdr.security_index >= 8 || !l->security[pkt.hdr.security_index] || !svc->d.security_conf)) {
			reject(l, from, &pkt, RXD_R_NO_SECURITY_CLASS, RX_INVALID_OPERATION);
			return;
		}
		if (pkt.hdr.security_index == 0 && svc->d.min_security_level > 0) {
			/* rxnull has no level: a service asking for auth or crypt refuses it. */
			reject(l, from, &pkt, RXD_R_NO_SECURITY_CLASS, RXKADLEVELFAIL);
			return;
		}
		if (!peer)
			peer = rxd_peer_lookup(l, from, true, now);
		conn = peer ? rxd_conn_new_service(l, peer, &pkt.hdr, svc, now) : NULL;
		if (!conn) {
			discard(l, RXD_R_BUSY);
			STAT(l, busy_sent);
			if (peer)
				rxd_reply_busy(l, peer, &pkt.hdr, 1);
			else
				discard(l, RXD_R_NO_MEMORY);
			return;
		}
		if (svc->d.service_id != pkt.hdr.service_id) {
			/* Service upgrade: the conn answers from the new id. */
			conn->service_id = svc->d.service_id;
			pkt.hdr.service_id = svc->d.service_id;
		}
	} else if (pkt.hdr.service_id != conn->service_id && conn->cp.service_id == pkt.hdr.service_id &&
		   conn->service_id != conn->cp.service_id) {
		/* The client keeps using the pre-upgrade id until it sees our reply. */
		pkt.hdr.service_id = conn->service_id;
	}
	input_on_conn(l, conn, from, &pkt, buf, now);
}

void rxd_local_input(struct rxd_local *l, const struct rxd_addr *from, struct rxd_buf *buf, const uint8_t *data,
		     size_t len, uint64_t now)
{
	rxd_local_enter(l, now);
	if (!buf && len >= RXD_WIRE_HDR_LEN && data[20] == RXD_PKT_DATA) {
		/* Transient input: DATA is kept until the app reads it, so take one copy here. */
		uint8_t *copy;
		buf = l->io->buf_alloc(l->io_ctx, len, &copy);
		if (!buf) {
			STAT(l, buf_alloc_failures);
			discard(l, RXD_R_NO_MEMORY);
			rxd_local_leave(l, now);
			return;
		}
		memcpy(copy, data, len);
		data = copy;
	}
	input_packet(l, from, buf, data, len, false, now);
	/* The core took one reference with the packet; DATA slots took their own. */
	if (buf)
		l->io->buf_put(l->io_ctx, buf);
	rxd_local_leave(l, now);
}

void rxd_input_replay(struct rxd_local *l, const struct rxd_addr *from, struct rxd_buf *buf, const uint8_t *data,
		      size_t len, uint64_t now)
{
	input_packet(l, from, buf, data, len, true, now);
}

void rxd_local_input_error(struct rxd_local *l, const struct rxd_addr *peer, int err, uint32_t mtu, uint64_t now)
{
	rxd_local_enter(l, now);
	rxd_peer_input_error(l, peer, err, mtu, now);
	rxd_local_leave(l, now);
}
