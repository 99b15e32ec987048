/* SPDX-License-Identifier: MIT */
/*
 * Congestion control in packets (RFC 5681: slow start, congestion avoidance,
 * recovery) and loss detection by RACK-TLP (RFC 8985) with an RTO backstop.
 */
#include "internal.h"

/* The call's RTO: the peer's estimate doubled by this call's own backoff.  A
 * backoff shared by every call to the peer let 100 calls that each timed out
 * once push the next retransmission out by 2^100 (doc/reliability.md). */
static uint64_t call_rto(const struct rxd_call *c)
{
	return rxd_rtt_rto(&c->peer->rtt, c->rto_backoff);
}

static void call_backoff(struct rxd_call *c)
{
	if (c->rto_backoff < 16)
		c->rto_backoff++;
}

void rxd_cc_init(struct rxd_call *c)
{
	const struct rxd_config *cfg = &c->local->cfg;

	c->cwnd = min_u32(RXD_CWND_INIT, cfg->tx_window_max);
	c->ssthresh = c->peer ? c->peer->ssthresh : RXD_SSTHRESH_INIT;
	if (c->ssthresh > cfg->tx_window_max)
		c->ssthresh = cfg->tx_window_max;
	if (c->ssthresh < 2)
		c->ssthresh = 2;
}

uint32_t rxd_cc_window(const struct rxd_call *c)
{
	return c->cwnd ? c->cwnd : 1;
}

void rxd_cc_on_ack(struct rxd_call *c, uint32_t newly_acked, uint64_t now)
{
	uint32_t cap = c->local->cfg.tx_window_max;

	(void)now;
	if (!newly_acked)
		return;
	if (c->in_recovery) {
		if (seq_after_eq(c->tx_hard_ack, c->recovery_end)) {
			c->in_recovery = false;
			c->cwnd = max_u32(c->ssthresh, 2);
		}
		return;
	}
	if (c->cwnd < c->ssthresh) {
		c->cwnd += newly_acked; /* slow start, counting packets acked (ABC) */
	} else {
		c->cwnd_acc += newly_acked;
		while (c->cwnd_acc >= c->cwnd) {
			c->cwnd_acc -= c->cwnd;
			c->cwnd++;
		}
	}
	if (c->cwnd > cap)
		c->cwnd = cap;
}

/* A loss episode: halve once per window of data. */
void rxd_cc_on_loss(struct rxd_call *c, uint64_t now)
{
	(void)now;
	if (c->in_recovery)
		return;
	c->in_recovery = true;
	c->recovery_end = c->tx_sent_top;
	c->ssthresh = max_u32((c->tx_in_flight + c->nr_lost) / 2, 2);
	c->cwnd = max_u32(c->ssthresh, 2);
	c->cwnd_acc = 0;
	if (c->peer)
		c->peer->ssthresh = c->ssthresh;
	STAT(c->local, fast_retrans);
}

void rxd_cc_on_rto(struct rxd_call *c, uint64_t now)
{
	(void)now;
	c->ssthresh = max_u32(c->cwnd / 2, 2);
	c->cwnd = 1;
	c->cwnd_acc = 0;
	c->in_recovery = false;
	if (c->peer)
		c->peer->ssthresh = c->ssthresh;
}

/* RACK: remember the most recently sent packet that was delivered. */
void rxd_rack_update(struct rxd_call *c, uint32_t seq, const struct rxd_txslot *t, uint64_t now)
{
	if (!t->nxmit)
		return;
	/* A retransmitted packet acked sooner than min_rtt was acked for its original: ambiguous. */
	if (t->nxmit > 1 && c->peer && now - t->xmit_ns < c->peer->rtt.min_rtt_ns)
		return;
	if (t->xmit_ns > c->rack_xmit_ns || (t->xmit_ns == c->rack_xmit_ns && seq_after(seq, c->rack_seq))) {
		c->rack_xmit_ns = t->xmit_ns;
		c->rack_seq = seq;
		c->rack_rtt_ns = now - t->xmit_ns;
	}
}

static uint64_t reo_wnd(const struct rxd_call *c)
{
	const struct rxd_rtt *r = &c->peer->rtt;
	uint64_t srtt = rxd_rtt_srtt_ns(r);

	if (r->min_rtt_ns == UINT64_MAX)
		return 0;
	return min_u64(r->min_rtt_ns / 4, srtt ? srtt : UINT64_MAX);
}

/* Mark packets sent before the latest delivered one, and older than its RTT + reo_wnd, lost. */
void rxd_rack_detect(struct rxd_call *c, uint64_t now)
{
	uint64_t wnd = reo_wnd(c), timeout = 0;
	bool lost = false;

	if (!c->rack_xmit_ns)
		return;
	/* Only packets below the latest delivered one can be judged (later ones were sent after it,
	 * bar retransmissions, which the RTO covers). */
	for (uint32_t s = c->tx_hard_ack + 1; seq_before(s, c->rack_seq) && seq_before(s, c->tx_sent_top + 1); s++) {
		struct rxd_txslot *t = &c->tx[s & c->tx_mask];
		uint64_t deadline;
		if (t->sacked || t->lost || !t->nxmit)
			continue;
		if (!(t->xmit_ns < c->rack_xmit_ns || (t->xmit_ns == c->rack_xmit_ns && seq_before(s, c->rack_seq))))
			continue;
		deadline = t->xmit_ns + c->rack_rtt_ns + wnd;
		if (deadline <= now) {
			t->lost = true;
			c->nr_lost++;
			if (c->tx_in_flight)
				c->tx_in_flight--;
			lost = true;
		} else if (deadline - now > timeout) {
			timeout = deadline - now;
		}
	}
	if (lost)
		rxd_cc_on_loss(c, now);
	if (timeout) {
		c->resend_at = now + timeout;
		c->resend_is_rto = false;
	}
}

/*
 * An ACK that shows no progress (a keepalive PING, a duplicate) while the
 * first packet it lacks, or one it NACKs, has been out longer than an RTO:
 * that transmission is lost.  RACK cannot see it once the packet was
 * retransmitted (nothing delivered was sent later) and the RTO may have backed
 * off far; an OpenAFS client stuck on a missing packet pings every few seconds.
 */
void rxd_loss_on_stale_ack(struct rxd_call *c, uint32_t first, uint32_t nacks, const uint8_t *acks, uint64_t now)
{
	uint64_t rto = rxd_rtt_rto(&c->peer->rtt, 0);
	bool lost = false;

	for (uint32_t i = 0; i == 0 || i < nacks; i++) {
		uint32_t s = first + i;
		struct rxd_txslot *t = &c->tx[s & c->tx_mask];
		if (seq_after(s, c->tx_sent_top) || (i < nacks && acks[i] == RXD_ACK_TYPE_ACK))
			continue;
		if (t->sacked || t->lost || !t->nxmit || now - t->xmit_ns < rto)
			continue;
		t->lost = true;
		c->nr_lost++;
		if (c->tx_in_flight)
			c->tx_in_flight--;
		lost = true;
	}
	if (lost)
		rxd_cc_on_loss(c, now);
}

void rxd_arm_resend(struct rxd_call *c, uint64_t now, bool progress)
{
	uint64_t rto, srtt, pto;

	if (c->tx_in_flight == 0 && c->nr_lost == 0) {
		c->tlp_at = 0;
		/* All sent data soft-ACKed but not yet hard-ACKed: poke the peer after an RTO. */
		if (seq_after(c->tx_sent_top, c->tx_hard_ack)) {
			if (!c->resend_at || progress) {
				c->resend_at = now + call_rto(c);
				c->resend_is_rto = true;
			}
		} else {
			c->resend_at = 0;
		}
		return;
	}
	rto = call_rto(c);
	if (!c->resend_at || (c->resend_is_rto && progress)) {
		c->resend_at = now + rto;
		c->resend_is_rto = true;
	}
	srtt = rxd_rtt_srtt_ns(&c->peer->rtt);
	/* No probe after an RTO until new data is acknowledged (RFC 8985 7.2). */
	if (!c->in_recovery && c->tx_in_flight && c->rto_rounds == 0) {
		/* 2 x SRTT plus the peer's ACK delay (it ACKs after SRTT, or defers a final ACK: the
		 * kernel by 2 jiffies, 20 ms at HZ=100), with a floor so that microsecond RTTs do not
		 * turn every ACK delay into a probe. */
		pto = srtt ? 2 * srtt + (c->tx_in_flight == 1 ? RXD_PEER_ACK_DEFER_MAX_NS : srtt) : RXD_NS_PER_SEC;
		if (pto < RXD_TLP_MIN_NS)
			pto = RXD_TLP_MIN_NS;
		if (pto > rto)
			pto = rto;
		if (!c->tlp_at || progress)
			c->tlp_at = now + pto;
	} else {
		c->tlp_at = 0;
	}
}

void rxd_resend_timer(struct rxd_call *c, uint64_t now)
{
	uint32_t before = c->nr_lost;

	if (!c->resend_is_rto) {
		/* Reorder window expired: RACK decides. */
		rxd_rack_detect(c, now);
		if (c->nr_lost != before)
			rxd_transmit(c, now);
		c->resend_is_rto = true;
		if (!c->resend_at)
			c->resend_at = now + call_rto(c);
		return;
	}
	if (c->tx_in_flight == 0 && c->nr_lost == 0) {
		if (seq_after(c->tx_sent_top, c->tx_hard_ack)) {
			/* Everything soft-ACKed, nothing hard-ACKed since: ask for an ACK. */
			rxd_send_ping(c, now);
			call_backoff(c);
			c->resend_at = now + call_rto(c);
			c->resend_is_rto = true;
		}
		return;
	}
	/* RTO: everything unacknowledged is presumed lost. */
	STAT(c->local, rto_fired);
	for (uint32_t s = c->tx_hard_ack + 1; seq_before(s, c->tx_sent_top + 1); s++) {
		struct rxd_txslot *t = &c->tx[s & c->tx_mask];
		if (t->sacked || t->lost || !t->nxmit)
			continue;
		t->lost = true;
		c->nr_lost++;
	}
	c->tx_in_flight = 0;
	rxd_cc_on_rto(c, now);
	call_backoff(c);
	c->rto_rounds++;
	c->resend_at = 0;
	rxd_transmit(c, now);
	if (!c->resend_at) {
		c->resend_at = now + call_rto(c);
		c->resend_is_rto = true;
	}
}

void rxd_tlp_timer(struct rxd_call *c, uint64_t now)
{
	if (c->tx_in_flight == 0)
		return;
	rxd_send_tlp_probe(c, now);
	/* After a probe only the RTO remains until an ACK arrives. */
	c->tlp_at = 0;
}
