/* SPDX-License-Identifier: MIT */
/*
 * The retransmission timer: arming it as data goes out and comes back, what
 * it does when it fires (everything unacknowledged is lost; a fully
 * soft-ACKed queue gets a PING instead), and the exponential backoff of the
 * RTO that rtt.c estimates.  The call's resend_at deadline is shared with the
 * RACK reorder timer (resend_is_rto tells which one is armed).
 */
#include "internal.h"

#define RXD_RTO_MAX_BACKOFF 16u

uint64_t rxd_rto(const struct rxd_rtt *r, uint32_t backoff)
{
	uint64_t rto = r->rto_ns;
	for (uint32_t i = 0; i < backoff && rto < RXD_MAX_RTO_NS; i++)
		rto <<= 1;
	return rto > RXD_MAX_RTO_NS ? RXD_MAX_RTO_NS : rto;
}

/*
 * The call's RTO: the peer's estimate doubled by this call's own backoff.  A
 * backoff shared by every call to the peer let 100 calls that each timed out
 * once push the next retransmission of all of them out by 2^16
 * (doc/reliability.md).
 */
uint64_t rxd_call_rto(const struct rxd_call *c)
{
	return rxd_rto(&c->peer->rtt, c->rto_backoff);
}

static void call_backoff(struct rxd_call *c)
{
	if (c->rto_backoff < RXD_RTO_MAX_BACKOFF)
		c->rto_backoff++;
}

void rxd_rto_reset_backoff(struct rxd_call *c)
{
	c->rto_backoff = 0;
}

void rxd_rto_on_progress(struct rxd_call *c)
{
	rxd_rto_reset_backoff(c);
	c->rto_rounds = 0;
}

static void arm_rto(struct rxd_call *c, uint64_t now)
{
	c->resend_at = now + rxd_call_rto(c);
	c->resend_is_rto = true;
}

void rxd_arm_resend(struct rxd_call *c, uint64_t now, bool progress)
{
	if (c->tx.in_flight == 0 && c->tx.nr_lost == 0) {
		c->tlp_at = 0;
		/* All sent data soft-ACKed but not yet hard-ACKed: poke the peer after an RTO. */
		if (seq_after(c->tx.sent_top, c->tx.hard_ack)) {
			if (!c->resend_at || progress)
				arm_rto(c, now);
		} else {
			c->resend_at = 0;
		}
		return;
	}
	if (!c->resend_at || (c->resend_is_rto && progress))
		arm_rto(c, now);
	rxd_tlp_arm(c, rxd_call_rto(c), progress, now);
}

void rxd_resend_timer(struct rxd_call *c, uint64_t now)
{
	if (!c->resend_is_rto) {
		rxd_rack_reorder_timer(c, now);
		return;
	}
	if (c->tx.in_flight == 0 && c->tx.nr_lost == 0) {
		if (seq_after(c->tx.sent_top, c->tx.hard_ack)) {
			/* Everything soft-ACKed, nothing hard-ACKed since: ask for an ACK. */
			rxd_send_ping(c, now);
			call_backoff(c);
			arm_rto(c, now);
		}
		return;
	}
	/* RTO: everything unacknowledged is presumed lost. */
	STAT(c->local, rto_fired);
	rxd_txq_mark_all_lost(&c->tx);
	rxd_call_on_loss(c, true);
	call_backoff(c);
	c->rto_rounds++;
	c->resend_at = 0;
	rxd_transmit(c, now);
	if (!c->resend_at)
		arm_rto(c, now);
}
