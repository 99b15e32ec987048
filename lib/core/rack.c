/* SPDX-License-Identifier: MIT */
/*
 * RACK-TLP loss detection (RFC 8985): a packet is lost when one sent after
 * it was delivered and a reordering window has passed; a tail loss probe
 * asks for an ACK when the last packets of a flight go unanswered.
 */
#include "internal.h"

/* Remember the most recently sent packet that was delivered. */
void rxd_rack_update(struct rxd_rack *r, uint32_t seq, const struct rxd_txslot *t, uint64_t min_rtt_ns, uint64_t now)
{
	if (!t->nxmit)
		return;
	/* A retransmitted packet acked sooner than min_rtt was acked for its original: ambiguous. */
	if (t->nxmit > 1 && now - t->xmit_ns < min_rtt_ns)
		return;
	if (t->xmit_ns > r->xmit_ns || (t->xmit_ns == r->xmit_ns && seq_after(seq, r->seq))) {
		r->xmit_ns = t->xmit_ns;
		r->seq = seq;
		r->rtt_ns = now - t->xmit_ns;
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
	const struct rxd_txq *q = &c->tx;
	const struct rxd_rack *rk = &c->rack;
	uint64_t wnd = reo_wnd(c), timeout = 0;
	bool lost = false;

	if (!rk->xmit_ns)
		return;
	/* Only packets below the latest delivered one can be judged (later ones were sent after it,
	 * bar retransmissions, which the RTO covers). */
	for (uint32_t s = q->hard_ack + 1; seq_before(s, rk->seq) && seq_before(s, q->sent_top + 1); s++) {
		const struct rxd_txslot *t = rxd_txq_slot(q, s);
		uint64_t deadline;
		if (t->sacked || t->lost || !t->nxmit)
			continue;
		if (!(t->xmit_ns < rk->xmit_ns || (t->xmit_ns == rk->xmit_ns && seq_before(s, rk->seq))))
			continue;
		deadline = t->xmit_ns + rk->rtt_ns + wnd;
		if (deadline <= now) {
			rxd_txq_mark_lost(&c->tx, s);
			lost = true;
		} else if (deadline - now > timeout) {
			timeout = deadline - now;
		}
	}
	if (lost)
		rxd_call_on_loss(c, false);
	if (timeout) {
		c->resend_at = now + timeout;
		c->resend_is_rto = false;
	}
}

/*
 * An ACK that shows no progress (a keepalive PING, a duplicate) while the
 * first packet it lacks, or one it NACKs, has been out longer than an RTO:
 * that transmission is lost.  RACK cannot see it once the packet was
 * retransmitted (nothing delivered was sent later) and the call's RTO may
 * have backed off far; an OpenAFS client stuck on a missing packet pings
 * every few seconds.  The age is the peer's RTO without backoff.
 */
void rxd_loss_on_stale_ack(struct rxd_call *c, uint32_t first, uint32_t nacks, const uint8_t *acks, uint64_t now)
{
	if (rxd_txq_mark_stale_lost(&c->tx, first, acks, nacks, rxd_rto(&c->peer->rtt, 0), now))
		rxd_call_on_loss(c, false);
}

/* The reorder window expired: RACK decides, then the RTO takes over the timer again. */
void rxd_rack_reorder_timer(struct rxd_call *c, uint64_t now)
{
	uint32_t before = c->tx.nr_lost;

	rxd_rack_detect(c, now);
	if (c->tx.nr_lost != before)
		rxd_transmit(c, now);
	c->resend_is_rto = true;
	if (!c->resend_at)
		c->resend_at = now + rxd_call_rto(c);
}

/* Arm (or, with progress, push back) the probe timeout; none in recovery or after an RTO. */
void rxd_tlp_arm(struct rxd_call *c, uint64_t rto, bool progress, uint64_t now)
{
	uint64_t srtt = rxd_rtt_srtt_ns(&c->peer->rtt), pto;

	/* No probe after an RTO until new data is acknowledged (RFC 8985 7.2). */
	if (c->cc.in_recovery || !c->tx.in_flight || c->rto_rounds != 0) {
		c->tlp_at = 0;
		return;
	}
	/* 2 x SRTT plus the peer's ACK delay (it ACKs after SRTT, or defers a final ACK: the
	 * kernel by 2 jiffies, 20 ms at HZ=100), with a floor so that microsecond RTTs do not
	 * turn every ACK delay into a probe. */
	pto = srtt ? 2 * srtt + (c->tx.in_flight == 1 ? RXD_PEER_ACK_DEFER_MAX_NS : srtt) : RXD_NS_PER_SEC;
	if (pto < RXD_TLP_MIN_NS)
		pto = RXD_TLP_MIN_NS;
	if (pto > rto)
		pto = rto;
	if (!c->tlp_at || progress)
		c->tlp_at = now + pto;
}

void rxd_tlp_timer(struct rxd_call *c, uint64_t now)
{
	if (c->tx.in_flight == 0)
		return;
	rxd_send_tlp_probe(c, now);
	/* After a probe only the RTO remains until an ACK arrives. */
	c->tlp_at = 0;
}
