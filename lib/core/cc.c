/* SPDX-License-Identifier: MIT */
/*
 * Congestion control in packets (RFC 5681: slow start, congestion avoidance,
 * recovery).  struct rxd_cc is the whole state; loss detection (rack.c, rto.c)
 * tells it about losses, the ACK path about deliveries.
 */
#include "internal.h"

void rxd_cc_init(struct rxd_cc *cc, uint32_t ssthresh, uint32_t cap)
{
	memset(cc, 0, sizeof(*cc));
	cc->cwnd = min_u32(RXD_CWND_INIT, cap);
	cc->ssthresh = ssthresh;
	if (cc->ssthresh > cap)
		cc->ssthresh = cap;
	if (cc->ssthresh < 2)
		cc->ssthresh = 2;
}

void rxd_cc_on_ack(struct rxd_cc *cc, uint32_t newly, uint32_t hard_ack, uint32_t cap)
{
	if (!newly)
		return;
	if (cc->in_recovery) {
		if (seq_after_eq(hard_ack, cc->recovery_end)) {
			cc->in_recovery = false;
			cc->cwnd = max_u32(cc->ssthresh, 2);
		}
		return;
	}
	if (cc->cwnd < cc->ssthresh) {
		cc->cwnd += newly; /* slow start, counting packets acked (ABC) */
	} else {
		cc->cwnd_acc += newly;
		while (cc->cwnd_acc >= cc->cwnd) {
			cc->cwnd_acc -= cc->cwnd;
			cc->cwnd++;
		}
	}
	if (cc->cwnd > cap)
		cc->cwnd = cap;
}

/* A loss episode: halve once per window of data (the episode ends when sent_top is acked). */
bool rxd_cc_on_loss(struct rxd_cc *cc, uint32_t pipe, uint32_t sent_top)
{
	if (cc->in_recovery)
		return false;
	cc->in_recovery = true;
	cc->recovery_end = sent_top;
	cc->ssthresh = max_u32(pipe / 2, 2);
	cc->cwnd = max_u32(cc->ssthresh, 2);
	cc->cwnd_acc = 0;
	return true;
}

void rxd_cc_on_rto(struct rxd_cc *cc)
{
	cc->ssthresh = max_u32(cc->cwnd / 2, 2);
	cc->cwnd = 1;
	cc->cwnd_acc = 0;
	cc->in_recovery = false;
}

/* The call's congestion response; the peer remembers ssthresh for the next call. */
void rxd_call_on_loss(struct rxd_call *c, bool rto)
{
	if (rto) {
		rxd_cc_on_rto(&c->cc);
	} else {
		if (!rxd_cc_on_loss(&c->cc, c->tx.in_flight + c->tx.nr_lost, c->tx.sent_top))
			return;
		STAT(c->local, fast_retrans);
	}
	if (c->peer) {
		c->peer->ssthresh = c->cc.ssthresh;
		rxd_peer_pace_on_loss(c->peer);
	}
}
