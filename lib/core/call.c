/* SPDX-License-Identifier: MIT */
/*
 * Calls: allocation, the application API (begin, send, receive, abort, end),
 * completion, and the per-call timer that multiplexes every call deadline.
 */
#include "internal.h"

#include <inttypes.h>

/* ------------------------------------------------------------------ allocation */

struct rxd_call *rxd_call_alloc(struct rxd_local *l, uint64_t now)
{
	struct rxd_call *c = rxd_pool_get(&l->call_pool);
	struct rxd_txq tx;
	struct rxd_rxslot *rx;

	if (!c)
		return NULL;
	/* Rings survive recycling: a pooled call keeps its rings. */
	tx = c->tx;
	rx = c->rx;
	if (!rx) {
		rx = rxd_calloc(l, RXD_RX_RING, sizeof(*rx));
		if (!rx || rxd_txq_alloc(l, &tx, l->cfg.tx_queue_max) < 0) {
			rxd_free(l, rx);
			c->rx = NULL;
			c->tx.slot = NULL;
			rxd_pool_put(&l->call_pool, c);
			RXD_LOG(l, RXD_LOG_DEBUG, "out of memory for a call's rings");
			return NULL;
		}
	}
	rxd_txq_reset(&tx);
	memset(c, 0, sizeof(*c));
	c->tx = tx;
	c->rx = rx;
	c->local = l;
	c->gen = ++l->call_gen ? l->call_gen : ++l->call_gen;
	c->completion = RXD_CALL_ACTIVE;
	c->created = now;
	c->last_rx = now;
	c->last_tx = now;
	c->tx_pkt_size = RXD_JUMBO_DATALEN;
	c->tx_winsize = RXD_PEER_RWIND_INIT;
	c->tx_total_len = -1;
	c->expect_rx_ns = (uint64_t)l->cfg.expect_rx_timeout_ms * RXD_NS_PER_MS;
	c->idle_ns = (uint64_t)l->cfg.idle_request_timeout_ms * RXD_NS_PER_MS;
	if (l->cfg.max_call_lifetime_s)
		c->hard_at = now + (uint64_t)l->cfg.max_call_lifetime_s * RXD_NS_PER_SEC;
	rxd_timer_init(&c->timer, rxd_call_timer_fired);
	c->all_next = l->calls;
	if (l->calls)
		l->calls->all_prev = c;
	l->calls = c;
	l->ncalls++;
	return c;
}

/* Drop the transmit side: nothing will be sent or retransmitted any more. */
static void drop_tx(struct rxd_call *c)
{
	struct rxd_local *l = c->local;

	rxd_txq_drop_all(l, &c->tx);
	if (c->tx_fill) {
		l->io->buf_put(l->io_ctx, c->tx_fill);
		c->tx_fill = NULL;
	}
}

/* Release every buffer the call holds (transmit queue, partial packet, unread receive data). */
void rxd_call_free_buffers(struct rxd_call *c)
{
	struct rxd_local *l = c->local;

	drop_tx(c);
	/* Only the window above the consumed point can hold buffers. */
	for (uint32_t seq = c->rx_consumed + 1; !seq_after(seq, c->rx_highest); seq++) {
		struct rxd_rxslot *r = &c->rx[seq & (RXD_RX_RING - 1)];
		if (r->present && r->buf)
			l->io->buf_put(l->io_ctx, r->buf);
		memset(r, 0, sizeof(*r));
	}
	c->rx_consumed = c->rx_highest;
	c->rx_avail = 0;
}

/*
 * An incoming call of a service without charged slots holds a backlog slot
 * until the application takes it: reads from it, sends on it, or ends it.
 * The kernel's calls come from the slots charged to the listen backlog
 * (net/rxrpc/call_accept.c rxrpc_alloc_incoming_call); this is rxd's
 * measure of calls not yet accepted by the application.
 */
void rxd_call_taken(struct rxd_call *c)
{
	if (c->in_backlog) {
		c->in_backlog = false;
		c->svc->backlog_len--;
	}
}

void rxd_call_free_now(struct rxd_call *c)
{
	struct rxd_local *l = c->local;

	rxd_call_taken(c);

	rxd_conn_disconnect_call(c, l->now);
	rxd_call_free_buffers(c);
	rxd_timer_cancel(&l->wheel, &c->timer);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		l->calls = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	l->ncalls--;
	c->gen = 0;
	rxd_pool_put(&l->call_pool, c);
}

void rxd_call_maybe_free(struct rxd_call *c)
{
	struct rxd_local *l = c->local;

	if (!c->app_ended || c->state != RXD_CS_COMPLETE || c->on_reap)
		return;
	if (l->busy) {
		c->on_reap = true;
		c->reap_next = l->reap;
		l->reap = c;
		return;
	}
	rxd_call_free_now(c);
}

/* Free calls whose release was deferred while an entry point was running. */
void rxd_call_reap_all(struct rxd_local *l)
{
	while (l->reap) {
		struct rxd_call *c = l->reap;
		l->reap = c->reap_next;
		rxd_call_free_now(c);
	}
}

/* ------------------------------------------------------------------ state and completion */

void rxd_call_set_state(struct rxd_call *c, enum rxd_call_state s)
{
	c->state = s;
}

void rxd_call_notify_data(struct rxd_call *c)
{
	if (c->app_ended || !c->ops || !c->ops->data)
		return;
	c->ops->data(c->app, c);
}

/*
 * One line per call that ends other than in success, with what it had sent
 * and received and the state it was in: enough to find it on the wire
 * (epoch, cid, call number) and to tell which rule ended it.
 */
static void log_failure(const struct rxd_call *c, enum rxd_completion how, int32_t abort_code, int err, uint64_t now)
{
	const struct rxd_conn *conn = c->conn;

	RXD_LOG(c->local, RXD_LOG_DEBUG,
		"%s call %08x:%08x:%u service %u ended %s (abort %d, error %d) in %s after %" PRIu64
		" ms: tx top %u sent %u hard-ACKed %u%s, rx top %u of %u consumed %u%s, last rx %" PRIu64 " ms ago",
		c->is_client ? "client" : "service", conn ? conn->epoch : 0, conn ? (conn->cid | c->channel) : 0,
		c->call_number, c->cp.service_id, rxd_completion_name(how), abort_code, err,
		rxd_call_state_name(c->state), (uint64_t)((now - c->created) / RXD_NS_PER_MS), c->tx.top,
		c->tx.sent_top, c->tx.hard_ack, c->tx_phase_done ? " (phase done)" : "", c->rx_top, c->rx_last,
		c->rx_consumed, c->rx_phase_done ? " (phase done)" : "",
		(uint64_t)((now - c->last_rx) / RXD_NS_PER_MS));
}

void rxd_call_complete(struct rxd_call *c, enum rxd_completion how, int32_t abort_code, int err, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->state == RXD_CS_COMPLETE)
		return;
	if (how != RXD_CALL_SUCCEEDED)
		log_failure(c, how, abort_code, err, now);
	c->state = RXD_CS_COMPLETE;
	c->completion = how;
	c->abort_code = abort_code;
	c->error = err;
	c->ack_at = c->resend_at = c->tlp_at = c->ping_at = c->pace_at = c->expect_rx_at = c->idle_at = c->hard_at = 0;
	rxd_timer_cancel(&l->wheel, &c->timer);
	switch (how) {
	case RXD_CALL_SUCCEEDED:
		STAT(l, calls_succeeded);
		break;
	case RXD_CALL_LOCALLY_ABORTED:
		STAT(l, calls_aborted_local);
		break;
	case RXD_CALL_REMOTELY_ABORTED:
		STAT(l, calls_aborted_remote);
		break;
	default:
		STAT(l, calls_error);
		break;
	}
	drop_tx(c);
	if (c->rejected) {
		/* A rejected call is forgotten so that a retransmission can start it afresh. */
		struct rxd_conn *conn = c->conn;
		if (conn && conn->chan[c->channel].call == c) {
			conn->chan[c->channel].call = NULL;
			conn->chan[c->channel].call_number = conn->chan[c->channel].last_call;
			conn->active--;
			if (!conn->active)
				conn->idle_since = now;
			rxd_conn_update_idle(conn, now);
		}
		c->conn = NULL;
	} else {
		struct rxd_conn *conn = c->conn;
		unsigned ch = c->channel;
		bool final_ack = c->is_client && how == RXD_CALL_SUCCEEDED && conn;
		uint32_t serial = c->ack_serial;
		rxd_conn_disconnect_call(c, now);
		if (final_ack) {
			conn->chan[ch].final_ack_serial = serial;
			conn->chan[ch].fa_call = c->call_number;
			conn->chan[ch].fa_seq = c->rx_top;
			rxd_conn_schedule_final_ack(conn, ch, now);
		}
	}
	/* Data first, then completion: the app reads what is left when told the call ended. */
	if (how == RXD_CALL_SUCCEEDED && c->is_client && c->rx_last)
		rxd_call_notify_data(c);
	if (c->state == RXD_CS_COMPLETE && !c->app_ended && c->ops && c->ops->complete && !c->notified_complete) {
		c->notified_complete = true;
		c->ops->complete(c->app, c);
	}
	rxd_call_maybe_free(c);
}

/* Abort from our side: tell the peer, then complete. */
void rxd_call_local_abort(struct rxd_call *c, int32_t code, int err, uint64_t now)
{
	if (c->state == RXD_CS_COMPLETE)
		return;
	RXD_LOG(c->local, RXD_LOG_INFO, "call %08x:%u in %s: aborted locally, code %d (error %d)", rxd_call_cid(c),
		c->call_number, rxd_call_state_name(c->state), code, err);
	if (c->conn && c->state != RXD_CS_CLIENT_AWAIT_CONN)
		rxd_send_abort(c, code, now);
	rxd_call_complete(c, RXD_CALL_LOCALLY_ABORTED, code, err, now);
}

/* ------------------------------------------------------------------ timers */

void rxd_call_update_timer(struct rxd_call *c)
{
	struct rxd_local *l = c->local;
	uint64_t at = RXD_TIME_NEVER;
	const uint64_t d[] = {c->ack_at,  c->resend_at,	   c->tlp_at,  c->ping_at,
			      c->pace_at, c->expect_rx_at, c->idle_at, c->hard_at};

	if (c->state == RXD_CS_COMPLETE) {
		rxd_timer_cancel(&l->wheel, &c->timer);
		return;
	}
	for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (d[i] && d[i] < at)
			at = d[i];
	/*
	 * Lazy: a deadline that moved later (the RTO or TLP pushed back by every
	 * ACK, the idle timer by every packet) leaves the timer where it is; it
	 * fires early, rxd_call_timer_fired() finds nothing due and re-arms here
	 * for the real next deadline.  Only an earlier deadline moves the timer,
	 * which takes wheel work off the per-packet path.
	 */
	if (at == RXD_TIME_NEVER)
		rxd_timer_cancel(&l->wheel, &c->timer);
	else if (!rxd_timer_pending(&c->timer) || at < c->timer.expires)
		rxd_timer_arm(&l->wheel, &c->timer, at);
}

void rxd_call_timer_fired(struct rxd_timer *t, uint64_t now)
{
	struct rxd_call *c = (struct rxd_call *)((char *)t - offsetof(struct rxd_call, timer));

	if (c->state == RXD_CS_COMPLETE)
		return;
	if (c->hard_at && now >= c->hard_at) {
		rxd_call_local_abort(c, RX_CALL_TIMEOUT, -ETIME, now);
		return;
	}
	if (c->expect_rx_at && now >= c->expect_rx_at) {
		/* The peer is alive if its conn heard newer traffic than this call did. */
		bool alive = c->conn && c->conn->hi_serial_at > c->last_rx;
		rxd_call_local_abort(c, alive ? RX_CALL_DEAD : RX_CALL_TIMEOUT, -ETIME, now);
		return;
	}
	if (c->idle_at && now >= c->idle_at) {
		rxd_call_local_abort(c, RX_CALL_TIMEOUT, -ETIME, now);
		return;
	}
	if (c->ack_at && now >= c->ack_at) {
		uint8_t reason = c->delayed_reason ? c->delayed_reason : RXD_ACK_DELAY;
		c->ack_at = 0;
		c->delayed_reason = 0;
		rxd_send_ack(c, reason, c->ack_serial, now);
	}
	if (c->resend_at && now >= c->resend_at) {
		c->resend_at = 0;
		rxd_resend_timer(c, now);
	}
	if (c->state != RXD_CS_COMPLETE && c->pace_at && now >= c->pace_at)
		rxd_transmit(c, now);
	if (c->state != RXD_CS_COMPLETE && c->tlp_at && now >= c->tlp_at) {
		c->tlp_at = 0;
		rxd_tlp_timer(c, now);
	}
	if (c->state != RXD_CS_COMPLETE && c->ping_at && now >= c->ping_at) {
		uint64_t ka = c->expect_rx_ns / RXD_KEEPALIVE_DIV;
		if (now - c->last_tx >= ka)
			rxd_send_ping(c, now);
		c->ping_at = c->last_tx + ka > now ? c->last_tx + ka : now + ka;
	}
	rxd_call_update_timer(c);
}

static void apply_timeouts(struct rxd_call *c, const struct rxd_call_timeouts *t, uint64_t now);

/* A new call starts from the peer's remembered ssthresh. */
static void call_cc_init(struct rxd_call *c)
{
	rxd_cc_init(&c->cc, c->peer ? c->peer->ssthresh : RXD_SSTHRESH_INIT, c->local->cfg.tx_window_max);
}

/* ------------------------------------------------------------------ client calls */

/* Release a call rxd_call_begin() could not start; the application never saw it. */
static int begin_failed(struct rxd_call *c, int err, uint64_t now)
{
	struct rxd_local *l = c->local;

	c->state = RXD_CS_COMPLETE;
	c->app_ended = true;
	rxd_call_maybe_free(c);
	rxd_local_leave(l, now);
	return err;
}

int rxd_call_begin(struct rxd_local *l, const struct rxd_call_params *p, uint64_t now, struct rxd_call **out)
{
	struct rxd_call *c;
	int err;

	if (!p || !out || !p->ops || p->service_id == 0 ||
	    (p->peer.family != RXD_AF_INET && p->peer.family != RXD_AF_INET6) || p->peer.port == 0)
		return -EINVAL;
	if (l->shutting_down)
		return -ESHUTDOWN;
	if (p->security_index && (p->security_index >= 8 || !l->security[p->security_index]))
		return -EPROTONOSUPPORT;
	rxd_local_enter(l, now);
	c = rxd_call_alloc(l, now);
	if (!c) {
		rxd_local_leave(l, now);
		return -EAGAIN;
	}
	c->peer = rxd_peer_lookup(l, &p->peer, true, now);
	if (!c->peer)
		return begin_failed(c, -ENOMEM, now);
	c->is_client = true;
	c->peer_addr = p->peer;
	c->cp.service_id = p->service_id;
	c->cp.security_index = p->security_index;
	c->cp.security_level = p->security_level;
	c->cp.key = p->key;
	c->cp.exclusive = p->exclusive;
	c->cp.upgrade = p->upgrade;
	c->user_id = p->user_call_id;
	c->ops = p->ops;
	c->app = p->app;
	/* Zero-initialised params announce nothing: only a positive length is a contract. */
	c->tx_total_len = p->tx_total_len > 0 ? p->tx_total_len : -1;
	apply_timeouts(c, &p->timeouts, now);
	c->expect_rx_at = now + c->expect_rx_ns;
	c->ping_at = now + c->expect_rx_ns / RXD_KEEPALIVE_DIV;
	call_cc_init(c);
	err = rxd_conn_connect_call(l, c, now);
	if (err < 0)
		return begin_failed(c, err, now); /* as the kernel's begin_call: the app never gets the call */
	STAT(l, calls_client);
	rxd_call_update_timer(c);
	*out = c;
	rxd_local_leave(l, now);
	return 0;
}

/* ------------------------------------------------------------------ sending */

static bool may_send(const struct rxd_call *c)
{
	if (c->is_client)
		return c->state == RXD_CS_CLIENT_AWAIT_CONN || c->state == RXD_CS_CLIENT_SEND_REQUEST;
	return c->state == RXD_CS_SERVER_ACK_REQUEST || c->state == RXD_CS_SERVER_SEND_REPLY;
}

/* Move the fill packet onto the transmit queue. */
static void queue_fill(struct rxd_call *c, bool last)
{
	rxd_txq_add(&c->tx, c->tx_fill, c->tx_fill_data, c->tx_fill_len, last ? RXD_F_LAST_PACKET : 0);
	c->tx_fill = NULL;
	c->tx_fill_len = 0;
	if (last)
		c->tx_phase_done = true;
}

/*
 * One transmit packet of the call's current size, with the security class's
 * header room in front; false when the queue (counting the packets queued,
 * lent and the fill) is full or the pool is empty.
 */
static bool tx_alloc(struct rxd_call *c, struct rxd_txpkt *t)
{
	struct rxd_local *l = c->local;
	const struct rxd_security_class *sc;
	uint32_t hdr = 0, cap;

	/* One slot stays free for the fill packet; the queue holds at most tx_queue_max packets. */
	if (rxd_txq_queued(&c->tx) + c->tx_lent >= l->cfg.tx_queue_max)
		return false;
	/* Packets are 1412 bytes (jumbo-able) unless the path MTU learned from ICMP is smaller. */
	if (c->peer && c->peer->max_data < RXD_WIRE_HDR_LEN + RXD_JUMBO_DATALEN)
		c->tx_pkt_size = c->peer->max_data > RXD_WIRE_HDR_LEN + 64 ? c->peer->max_data - RXD_WIRE_HDR_LEN : 64;
	else
		c->tx_pkt_size = RXD_JUMBO_DATALEN;
	t->buf = l->io->buf_alloc(l->io_ctx, c->tx_pkt_size, &t->pkt);
	if (!t->buf) {
		STAT(l, buf_alloc_failures);
		return false;
	}
	/* A security class reserves its per-packet header at the front and says how much user data
	 * fits (rxkad crypt: whole blocks); it fills the header when the packet first goes out.  A
	 * client call waiting for a channel has no conn yet: its class and level decide. */
	cap = c->tx_pkt_size;
	sc = c->conn ? c->conn->sc : c->cp.security_index ? l->security[c->cp.security_index & 7] : NULL;
	if (sc) {
		const void *sec = c->conn ? c->conn->sec : NULL;
		uint8_t level = c->cp.security_level;
		uint32_t room;
		hdr = sc->packet_overhead ? min_u32(sc->packet_overhead(sec, level), c->tx_pkt_size) : 0;
		room = sc->max_data ? sc->max_data(sec, level, c->tx_pkt_size) : c->tx_pkt_size - hdr;
		cap = hdr + min_u32(room, c->tx_pkt_size - hdr);
	}
	t->hdr = hdr;
	t->cap = cap;
	t->data = t->pkt + hdr;
	t->room = cap - hdr;
	t->len = 0;
	return true;
}

static bool new_fill(struct rxd_call *c)
{
	struct rxd_txpkt t;

	if (!tx_alloc(c, &t))
		return false;
	c->tx_fill = t.buf;
	c->tx_fill_data = t.pkt;
	c->tx_fill_len = t.hdr;
	c->tx_fill_hdr = t.hdr;
	c->tx_fill_cap = t.cap;
	return true;
}

/*
 * An announced phase length (RXRPC_TX_LENGTH, rxrpc_kernel_set_tx_length) is a
 * contract: as net/rxrpc/sendmsg.c rxrpc_send_data, a send that would pass it,
 * or end the phase short of it, is refused whole with -EMSGSIZE and the call
 * stays as it was (the application may abort it).  tx_total_len counts down.
 */
static bool tx_length_allows(const struct rxd_call *c, size_t len, bool more)
{
	if (c->tx_total_len < 0)
		return true;
	if ((uint64_t)len > (uint64_t)c->tx_total_len)
		return false;
	return more || (uint64_t)len == (uint64_t)c->tx_total_len;
}

/*
 * What every send does first: the state and announced-length checks, then
 * the local is entered and a server call moves to sending its reply (its
 * first DATA implicitly ACKs the request).  0, or the error with nothing done.
 */
static int send_begin(struct rxd_call *c, size_t len, bool more, uint64_t now)
{
	if (c->state == RXD_CS_COMPLETE)
		return c->completion == RXD_CALL_SUCCEEDED ? -EPROTO : -ECONNABORTED;
	if (!may_send(c) || c->tx_phase_done)
		return -EPROTO;
	if (!tx_length_allows(c, len, more))
		return -EMSGSIZE;
	rxd_local_enter(c->local, now);
	rxd_call_taken(c);
	if (!c->is_client && c->state == RXD_CS_SERVER_ACK_REQUEST) {
		rxd_call_set_state(c, RXD_CS_SERVER_SEND_REPLY);
		c->ack_at = 0;
		c->delayed_reason = 0;
	}
	return 0;
}

/* What every send does last: count done of len bytes, end the phase if asked, transmit, leave. */
static ssize_t send_end(struct rxd_call *c, size_t done, size_t len, bool more, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->tx_total_len >= 0)
		c->tx_total_len -= (int64_t)done;
	if (done < len) {
		c->writable_wanted = true;
	} else if (!more) {
		/* End of phase: the fill (possibly empty) becomes the LAST packet.  Only an empty send can
		 * find no fill and no room (after data there is always a fill): it is refused with -EAGAIN. */
		if (!c->tx_fill && !new_fill(c)) {
			c->writable_wanted = true;
			rxd_call_update_timer(c);
			rxd_local_leave(l, now);
			return -EAGAIN;
		}
		queue_fill(c, true);
	}
	if (c->state != RXD_CS_CLIENT_AWAIT_CONN)
		rxd_transmit(c, now);
	rxd_call_update_timer(c);
	rxd_local_leave(l, now);
	return (ssize_t)done;
}

ssize_t rxd_call_send(struct rxd_call *c, const void *data, size_t len, unsigned flags, uint64_t now)
{
	const uint8_t *p = data;
	size_t done = 0;
	bool more = flags & RXD_SEND_MORE;
	int err;

	if (c->tx_lent && c->state != RXD_CS_COMPLETE)
		return -EBUSY; /* the bytes would go before those of the lent packets */
	err = send_begin(c, len, more, now);
	if (err)
		return err;
	while (done < len) {
		uint32_t room, n;
		if (c->tx_fill && c->tx_fill_len == c->tx_fill_cap)
			queue_fill(c, false);
		if (!c->tx_fill && !new_fill(c))
			break;
		room = c->tx_fill_cap - c->tx_fill_len;
		n = (uint32_t)(len - done < room ? len - done : room);
		memcpy(c->tx_fill_data + c->tx_fill_len, p + done, n);
		c->tx_fill_len += n;
		done += n;
	}
	return send_end(c, done, len, more, now);
}

int rxd_call_send_space(struct rxd_call *c, struct rxd_txpkt *bufs, unsigned n, uint64_t now)
{
	struct rxd_local *l = c->local;
	unsigned k = 0;

	if (c->state == RXD_CS_COMPLETE)
		return c->completion == RXD_CALL_SUCCEEDED ? -EPROTO : -ECONNABORTED;
	if (!may_send(c) || c->tx_phase_done)
		return -EPROTO;
	rxd_local_enter(l, now);
	rxd_call_taken(c);
	/* A partly filled packet goes out first: it is lent with what it holds; a full one is queued. */
	if (c->tx_fill && n && c->tx_fill_len == c->tx_fill_cap) {
		queue_fill(c, false);
		if (c->state != RXD_CS_CLIENT_AWAIT_CONN)
			rxd_transmit(c, now);
		if (c->state == RXD_CS_COMPLETE) {
			/* its first DATA could not be sent (output.c): nothing to lend */
			rxd_local_leave(l, now);
			return -ECONNABORTED;
		}
	} else if (c->tx_fill && n) {
		bufs[k++] = (struct rxd_txpkt){
		    .buf = c->tx_fill,
		    .pkt = c->tx_fill_data,
		    .hdr = c->tx_fill_hdr,
		    .cap = c->tx_fill_cap,
		    .data = c->tx_fill_data + c->tx_fill_len,
		    .room = c->tx_fill_cap - c->tx_fill_len,
		};
		c->tx_fill = NULL;
		c->tx_fill_len = 0;
		c->tx_lent++;
	}
	while (k < n && tx_alloc(c, &bufs[k])) {
		c->tx_lent++;
		k++;
	}
	if (k < n)
		c->writable_wanted = true;
	rxd_call_update_timer(c);
	rxd_local_leave(l, now);
	return (int)k;
}

/* Give lent packets back unsent. */
static void put_lent(struct rxd_call *c, const struct rxd_txpkt *bufs, unsigned n)
{
	struct rxd_local *l = c->local;

	for (unsigned i = 0; i < n; i++)
		l->io->buf_put(l->io_ctx, bufs[i].buf);
	c->tx_lent -= n;
}

ssize_t rxd_call_send_bufs(struct rxd_call *c, const struct rxd_txpkt *bufs, unsigned n, unsigned flags, uint64_t now)
{
	struct rxd_local *l = c->local;
	bool more = flags & RXD_SEND_MORE;
	size_t len = 0;
	int err = 0;

	if (n > c->tx_lent)
		return -EINVAL; /* not all of them are lent packets: none is taken */
	for (unsigned i = 0; i < n; i++) {
		if (bufs[i].len > bufs[i].room)
			err = -EINVAL;
		len += bufs[i].len;
	}
	/* Ending the phase while packets are still lent would put them after the LAST one. */
	if (!more && c->tx_lent > n)
		err = -EINVAL;
	if (!err)
		err = send_begin(c, len, more, now);
	if (err) {
		put_lent(c, bufs, n);
		return err;
	}
	c->tx_lent -= n;
	for (unsigned i = 0; i < n; i++) {
		const struct rxd_txpkt *t = &bufs[i];
		uint32_t used = (uint32_t)(t->data - t->pkt) + t->len;
		if (used == t->hdr) { /* nothing in it: not a packet */
			l->io->buf_put(l->io_ctx, t->buf);
			continue;
		}
		if (c->tx_fill)
			queue_fill(c, false);
		c->tx_fill = t->buf;
		c->tx_fill_data = t->pkt;
		c->tx_fill_len = used;
		c->tx_fill_hdr = t->hdr;
		c->tx_fill_cap = t->cap;
	}
	/* The last one stays the fill (later sends append to it) unless it is full or lent ones follow. */
	if (more && c->tx_fill && (c->tx_fill_len == c->tx_fill_cap || c->tx_lent))
		queue_fill(c, false);
	return send_end(c, len, len, more, now);
}

/* ------------------------------------------------------------------ receiving */

unsigned rxd_call_peek(struct rxd_call *c, struct rxd_seg *segs, unsigned max, bool *eor)
{
	unsigned n = 0;
	uint32_t seq = c->rx_consumed + 1, off = c->rx_offset;

	while (n < max && seq_before(seq, c->rx_top + 1)) {
		struct rxd_rxslot *r = &c->rx[seq & (RXD_RX_RING - 1)];
		if (r->len > off) {
			segs[n].data = r->data + off;
			segs[n].len = r->len - off;
			segs[n].buf = r->buf;
			n++;
		}
		off = 0;
		seq++;
	}
	if (eor)
		*eor = c->rx_last && seq == c->rx_last + 1 && seq_after(seq, c->rx_top);
	return n;
}

size_t rxd_call_rx_avail(const struct rxd_call *c)
{
	return (size_t)c->rx_avail;
}

void rxd_call_consume(struct rxd_call *c, size_t len, uint64_t now)
{
	struct rxd_local *l = c->local;
	uint32_t before = c->rx_consumed;

	rxd_local_enter(l, now);
	if (len)
		rxd_call_taken(c);
	if (len > c->rx_avail)
		len = (size_t)c->rx_avail;
	c->rx_avail -= len;
	while (seq_before(c->rx_consumed, c->rx_top)) {
		uint32_t seq = c->rx_consumed + 1;
		struct rxd_rxslot *r = &c->rx[seq & (RXD_RX_RING - 1)];
		uint32_t left = r->len - c->rx_offset;
		if (len < left || (left == 0 && len == 0 && r->len != 0)) {
			c->rx_offset += (uint32_t)len;
			break;
		}
		len -= left;
		if (r->buf)
			l->io->buf_put(l->io_ctx, r->buf);
		memset(r, 0, sizeof(*r));
		c->rx_offset = 0;
		c->rx_consumed = seq;
	}
	/*
	 * The window opened.  While a received datagram is still being handled
	 * the input path sends the ACK; otherwise (a reader that lags behind)
	 * tell the sender now, or after idle_ack_delay for a single packet.
	 */
	if (c->rx_consumed != before && c->state != RXD_CS_COMPLETE && !c->rx_phase_done && c->rx_unacked == 0) {
		if (c->rx_consumed - c->rx_acked_consumed >= 2) {
			rxd_send_ack(c, RXD_ACK_IDLE, 0, now);
		} else if (!c->ack_at) {
			c->ack_at = now + (uint64_t)l->cfg.idle_ack_delay_ms * RXD_NS_PER_MS;
			c->delayed_reason = RXD_ACK_IDLE;
			rxd_call_update_timer(c);
		}
	}
	rxd_local_leave(l, now);
}

ssize_t rxd_call_recv(struct rxd_call *c, void *dst, size_t len, bool *eor, uint64_t now)
{
	struct rxd_seg segs[16];
	size_t copied = 0;
	bool e = false;

	while (copied < len) {
		unsigned n = rxd_call_peek(c, segs, 16, &e);
		size_t before = copied;
		for (unsigned i = 0; i < n && copied < len; i++) {
			size_t k = segs[i].len < len - copied ? segs[i].len : len - copied;
			memcpy((uint8_t *)dst + copied, segs[i].data, k);
			copied += k;
		}
		if (copied == before)
			break;
		rxd_call_consume(c, copied - before, now);
	}
	rxd_call_peek(c, segs, 1, &e);
	if (eor)
		*eor = e && c->rx_avail == 0;
	if (copied == 0 && !e && c->state == RXD_CS_COMPLETE && c->completion != RXD_CALL_SUCCEEDED)
		return -ECONNABORTED;
	return (ssize_t)copied;
}

/*
 * rxrpc_kernel_recv_data's contract (net/rxrpc/recvmsg.c): the caller says
 * how much it wants; a phase that ends before dst is full is -EBADMSG
 * ("short_data"), dst full with the phase not ended and no more wanted is
 * -EMSGSIZE ("excess_data").  The kernel's AFS aborts such a call with
 * RXGEN_CC_UNMARSHAL / RXGEN_SS_UNMARSHAL (fs/afs/rxrpc.c afs_deliver_to_call);
 * this does that itself so the peer is told at once.
 */
int rxd_call_recv_data(struct rxd_call *c, void *dst, size_t len, size_t *copied, bool want_more, uint64_t now)
{
	bool eor = false;
	ssize_t n = rxd_call_recv(c, dst, len, &eor, now);
	int err;

	*copied = n > 0 ? (size_t)n : 0;
	if (n < 0)
		return rxd_call_error(c) ? rxd_call_error(c) : (int)n;
	if (eor && (size_t)n == len)
		return want_more ? 0 : 1;
	if (eor) {
		err = -EBADMSG;
	} else if ((size_t)n == len && !want_more) {
		err = -EMSGSIZE;
	} else if (c->state == RXD_CS_COMPLETE && c->completion != RXD_CALL_SUCCEEDED) {
		return rxd_call_error(c);
	} else {
		return (size_t)n == len ? 0 : -EAGAIN;
	}
	rxd_local_enter(c->local, now);
	rxd_call_local_abort(c, c->is_client ? RXGEN_CC_UNMARSHAL : RXGEN_SS_UNMARSHAL, err, now);
	rxd_local_leave(c->local, now);
	return err;
}

/* ------------------------------------------------------------------ abort / end / accessors */

void rxd_call_abort(struct rxd_call *c, int32_t code, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->state == RXD_CS_COMPLETE)
		return;
	rxd_local_enter(l, now);
	rxd_call_local_abort(c, code, -ECONNABORTED, now);
	rxd_local_leave(l, now);
}

void rxd_call_reject(struct rxd_call *c, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->is_client || c->state == RXD_CS_COMPLETE)
		return;
	rxd_local_enter(l, now);
	if (c->conn) {
		struct rxd_hdr h;
		rxd_conn_hdr(c->conn, c->channel, c->call_number, RXD_PKT_BUSY, 0, &h);
		rxd_reply_busy(l, c->peer, &h, rxd_conn_next_serial(c->conn));
	}
	c->rejected = true;
	rxd_call_complete(c, RXD_CALL_LOCALLY_ABORTED, 0, -EBUSY, now);
	/* A rejected call is released at once: the application must not use it again. */
	c->app_ended = true;
	rxd_call_maybe_free(c);
	rxd_local_leave(l, now);
}

void rxd_call_end(struct rxd_call *c, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (c->app_ended)
		return;
	rxd_local_enter(l, now);
	c->app_ended = true;
	rxd_call_taken(c);
	if (c->state != RXD_CS_COMPLETE)
		rxd_call_local_abort(c, RX_USER_ABORT, -ECONNABORTED, now);
	rxd_call_maybe_free(c);
	rxd_local_leave(l, now);
}

/* Zero fields leave a timeout as it is. */
static void apply_timeouts(struct rxd_call *c, const struct rxd_call_timeouts *t, uint64_t now)
{
	/* The hard limit counts from now, at begin as when changed later (net/rxrpc/sendmsg.c
	 * RXRPC_SET_CALL_TIMEOUT, af_rxrpc.c rxrpc_kernel_set_max_life: expect_term_by = now + hard). */
	if (t->hard_ms)
		c->hard_at = now + (uint64_t)t->hard_ms * RXD_NS_PER_MS;
	if (t->idle_request_ms)
		c->idle_ns = (uint64_t)t->idle_request_ms * RXD_NS_PER_MS;
	if (t->expect_rx_ms) {
		c->expect_rx_ns = (uint64_t)t->expect_rx_ms * RXD_NS_PER_MS;
		c->expect_rx_at = c->last_rx + c->expect_rx_ns;
	}
}

void rxd_call_set_timeouts(struct rxd_call *c, const struct rxd_call_timeouts *t, uint64_t now)
{
	if (c->state == RXD_CS_COMPLETE)
		return;
	apply_timeouts(c, t, now);
	rxd_call_update_timer(c);
}

/*
 * RXRPC_TX_LENGTH on a call that exists (net/rxrpc/sendmsg.c rxrpc_do_sendmsg,
 * rxrpc_kernel_set_tx_length): once, and only before any data of the phase was
 * queued (here: lent, filled or queued), else -EINVAL, as is a negative length.
 */
int rxd_call_set_tx_length(struct rxd_call *c, int64_t len)
{
	if (c->state == RXD_CS_COMPLETE)
		return c->completion == RXD_CALL_SUCCEEDED ? -EPROTO : -ECONNABORTED;
	if (len < 0 || c->tx_total_len >= 0 || c->tx.top || c->tx_fill || c->tx_lent || c->tx_phase_done)
		return -EINVAL;
	c->tx_total_len = len;
	return 0;
}

uint64_t rxd_call_user_id(const struct rxd_call *c)
{
	return c->user_id;
}
void rxd_call_set_user_id(struct rxd_call *c, uint64_t id)
{
	c->user_id = id;
}
void rxd_call_set_ops(struct rxd_call *c, const struct rxd_call_ops *ops, void *app)
{
	c->ops = ops;
	c->app = app;
}
enum rxd_call_state rxd_call_state(const struct rxd_call *c)
{
	return c->state;
}
enum rxd_completion rxd_call_completion(const struct rxd_call *c)
{
	return c->completion;
}
int32_t rxd_call_abort_code(const struct rxd_call *c)
{
	return c->abort_code;
}
int rxd_call_error(const struct rxd_call *c)
{
	return c->error;
}
uint16_t rxd_call_service_id(const struct rxd_call *c)
{
	return c->cp.service_id;
}
void rxd_call_peer(const struct rxd_call *c, struct rxd_addr *out)
{
	*out = c->peer_addr;
}
bool rxd_call_is_client(const struct rxd_call *c)
{
	return c->is_client;
}
uint32_t rxd_call_cid(const struct rxd_call *c)
{
	return c->conn ? (c->conn->cid | c->channel) : 0;
}
uint32_t rxd_call_epoch(const struct rxd_call *c)
{
	/* A service conn keeps the epoch of the client's packets (conn.c). */
	return c->conn ? c->conn->epoch : 0;
}
uint8_t rxd_call_security(const struct rxd_call *c, const void **conn_sec)
{
	const struct rxd_conn *k = c->conn;

	/* a client conn is keyed from the start; a service conn only once its RESPONSE was accepted */
	*conn_sec = k && k->sc && k->sec && (k->is_client || k->secured) ? k->sec : NULL;
	return k && k->sc ? k->sc->index : 0;
}
uint32_t rxd_call_number(const struct rxd_call *c)
{
	return c->call_number;
}
uint64_t rxd_call_srtt_ns(const struct rxd_call *c)
{
	return c->peer ? rxd_rtt_srtt_ns(&c->peer->rtt) : 0;
}

/* ------------------------------------------------------------------ incoming calls */

struct rxd_call *rxd_call_new_incoming(struct rxd_local *l, struct rxd_conn *conn, const struct rxd_pkt *pkt,
				       uint64_t now)
{
	struct rxd_service *svc = rxd_find_service(l, conn->service_id);
	struct rxd_channel *chan = &conn->chan[pkt->hdr.cid & RXD_CID_CHANNEL_MASK];
	struct rxd_call *c;
	uint64_t user_id = 0;

	if (!svc)
		return NULL;
	if (svc->d.needs_charge) {
		if (!svc->nr_charged)
			return NULL;
		user_id = svc->charged[svc->charge_head];
	} else if (svc->backlog_len >= svc->d.backlog) {
		return NULL;
	}
	c = rxd_call_alloc(l, now);
	if (!c)
		return NULL;
	if (svc->d.needs_charge) {
		svc->charge_head = (svc->charge_head + 1) % svc->charge_cap;
		svc->nr_charged--;
	} else {
		c->in_backlog = true;
		svc->backlog_len++;
	}
	c->user_id = user_id;
	c->svc = svc;
	c->ops = svc->d.ops;
	c->app = svc->d.app;
	c->conn = conn;
	c->peer = conn->peer;
	c->peer_addr = conn->peer->addr;
	c->channel = (uint8_t)(pkt->hdr.cid & RXD_CID_CHANNEL_MASK);
	c->call_number = pkt->hdr.call_number;
	c->cp.service_id = conn->service_id;
	c->cp.security_index = conn->cp.security_index;
	c->is_client = false;
	c->state = RXD_CS_SERVER_PREALLOC;
	chan->call = c;
	chan->call_number = pkt->hdr.call_number;
	conn->active++;
	rxd_conn_update_idle(conn, now);
	c->expect_rx_at = now + c->expect_rx_ns;
	c->idle_at = now + c->idle_ns;
	c->ping_at = now + c->expect_rx_ns / RXD_KEEPALIVE_DIV;
	call_cc_init(c);
	STAT(l, calls_server);
	return c;
}
