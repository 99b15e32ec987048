/* SPDX-License-Identifier: MIT */
/*
 * Peers: one per remote transport address.  A peer anchors the RTT estimate,
 * the path MTU and what the remote advertised in its ACK trailers, and the
 * congestion threshold carried between calls.
 */
#include "internal.h"

static void peer_timer_fired(struct rxd_timer *t, uint64_t now);

struct rxd_peer *rxd_peer_lookup(struct rxd_local *l, const struct rxd_addr *a, bool create, uint64_t now)
{
	uint32_t h = rxd_addr_hash(a);
	struct rxd_peer **slot = &l->peer_hash[h & l->peer_hash_mask];
	struct rxd_peer *p;

	for (p = *slot; p; p = p->hash_next)
		if (p->hash == h && rxd_addr_equal(&p->addr, a))
			return p;
	if (!create)
		return NULL;
	p = rxd_pool_get(&l->peer_pool);
	if (!p) {
		RXD_LOG(l, RXD_LOG_DEBUG, "peer pool exhausted (%u peers)", l->npeers);
		STAT(l, buf_alloc_failures);
		return NULL;
	}
	memset(p, 0, sizeof(*p));
	p->local = l;
	p->addr = *a;
	p->hash = h;
	p->last_used = now;
	p->last_tx = now;
	rxd_rtt_init(&p->rtt, (uint64_t)l->cfg.resend_timeout_ms * RXD_NS_PER_MS);
	rxd_pmtud_init(p); /* max_data */
	p->ssthresh = RXD_SSTHRESH_INIT;
	p->pace_tokens = RXD_PEER_BURST_BYTES;
	p->pace_cap = RXD_PEER_BURST_BYTES;
	p->pace_last = now;
	rxd_timer_init(&p->timer, peer_timer_fired);
	p->hash_next = *slot;
	*slot = p;
	l->npeers++;
	STAT(l, peers);
	rxd_timer_arm(&l->wheel, &p->timer, now + (uint64_t)l->cfg.transport_expiry_s * RXD_NS_PER_SEC);
	return p;
}

static void peer_unhash_free(struct rxd_peer *p)
{
	struct rxd_local *l = p->local;
	struct rxd_peer **pp = &l->peer_hash[p->hash & l->peer_hash_mask];

	while (*pp && *pp != p)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = p->hash_next;
	rxd_timer_cancel(&l->wheel, &p->timer);
	l->npeers--;
	rxd_pool_put(&l->peer_pool, p);
}

void rxd_peer_get(struct rxd_peer *p)
{
	struct rxd_local *l = p->local;

	p->nconns++;
	if (p->nconns == 1)
		rxd_timer_arm(&l->wheel, &p->timer, p->last_tx + RXD_PEER_KEEPALIVE_NS);
}

void rxd_peer_put(struct rxd_peer *p, uint64_t now)
{
	struct rxd_local *l = p->local;

	p->nconns--;
	p->last_used = now;
	if (p->nconns == 0)
		rxd_timer_arm(&l->wheel, &p->timer, now + (uint64_t)l->cfg.transport_expiry_s * RXD_NS_PER_SEC);
}

/* NAT keepalive: a VERSION request to a peer we hold client conns to and have not sent to for 20 s. */
static void peer_keepalive(struct rxd_peer *p, uint64_t now)
{
	struct rxd_local *l = p->local;
	uint8_t buf[RXD_WIRE_HDR_LEN + 1] = {0};
	struct rxd_hdr h = {0};
	struct rxd_iov iov = {buf, sizeof(buf), NULL};

	h.epoch = l->epoch;
	h.type = RXD_PKT_VERSION;
	h.flags = RXD_F_CLIENT_INITIATED;
	rxd_hdr_encode(buf, &h);
	if (rxd_send_raw(l, &p->addr, &iov, 1, 0) == 0)
		p->last_tx = now;
}

/*
 * The peer timer: while client conns exist it is the NAT keepalive; once the
 * peer has no conns it expires after transport_expiry.
 */
static void peer_timer_fired(struct rxd_timer *t, uint64_t now)
{
	struct rxd_peer *p = (struct rxd_peer *)((char *)t - offsetof(struct rxd_peer, timer));
	struct rxd_local *l = p->local;
	uint64_t deadline = p->last_used + (uint64_t)l->cfg.transport_expiry_s * RXD_NS_PER_SEC;

	if (p->nconns) {
		if (p->client_conns) {
			if (now - p->last_tx >= RXD_PEER_KEEPALIVE_NS)
				peer_keepalive(p, now);
			rxd_timer_arm(&l->wheel, &p->timer, p->last_tx + RXD_PEER_KEEPALIVE_NS);
		}
		return;
	}
	if (now < deadline) {
		rxd_timer_arm(&l->wheel, &p->timer, deadline);
		return;
	}
	peer_unhash_free(p);
}

void rxd_peer_free_all(struct rxd_local *l)
{
	for (uint32_t i = 0; i <= l->peer_hash_mask; i++)
		while (l->peer_hash[i])
			peer_unhash_free(l->peer_hash[i]);
}

/*
 * How many subpackets one datagram to this peer may carry: bounded by our
 * setting, by what the peer advertised (a 16-byte trailer with jumbo_max;
 * jumbo_max 0 means "I do PMTUD", so the size limits decide), by its maxMTU
 * and by the path MTU (max_data: what PMTUD proved, pmtud.c, as the kernel's
 * pmtud_jumbo).  Before the peer's first ACK: no jumbograms.
 */
uint32_t rxd_peer_max_jumbo(const struct rxd_peer *p, const struct rxd_config *c)
{
	uint32_t n = c->tx_jumbo_max, size_limit = p->max_data;

	if (p->trailer_len < 16)
		return 1;
	if (p->peer_jumbo_max)
		n = min_u32(n, p->peer_jumbo_max);
	if (p->peer_max_mtu)
		size_limit = min_u32(size_limit, p->peer_max_mtu);
	if (size_limit < RXD_WIRE_HDR_LEN + RXD_JUMBO_DATALEN)
		return 1;
	n = min_u32(n, (size_limit - RXD_WIRE_HDR_LEN + RXD_JUMBO_HDRLEN) / RXD_JUMBO_SUBPKTLEN);
	if (n < 1)
		n = 1;
	return min_u32(n, RXD_MAX_JUMBO);
}

void rxd_peer_rtt_probe_sent(struct rxd_peer *p, uint32_t serial, uint64_t now)
{
	unsigned oldest = 0;

	for (unsigned i = 0; i < RXD_RTT_PROBES; i++) {
		if (p->probes[i].serial == 0) {
			oldest = i;
			break;
		}
		if (p->probes[i].sent < p->probes[oldest].sent)
			oldest = i;
	}
	p->probes[oldest].serial = serial;
	p->probes[oldest].sent = now;
	p->last_rtt_probe = now;
}

/* An ACK (REQUESTED or PING_RESPONSE) echoing a probe's serial yields an RTT sample. */
bool rxd_peer_rtt_probe_ack(struct rxd_peer *p, uint32_t serial, uint64_t now)
{
	if (serial == 0)
		return false;
	for (unsigned i = 0; i < RXD_RTT_PROBES; i++) {
		if (p->probes[i].serial == serial) {
			if (now >= p->probes[i].sent)
				rxd_rtt_sample(&p->rtt, now - p->probes[i].sent);
			p->probes[i].serial = 0;
			STAT(p->local, rtt_samples);
			return true;
		}
	}
	return false;
}

/*
 * Pacing: the DATA of all calls to one peer shares a token bucket holding
 * max(the peer's cap, the sending call's window) and refilled at that many
 * bytes per minimum RTT.  A single call is limited by its own window only.
 * The cap is an aggregate congestion window for the peer (the shared state
 * of RFC 3124's congestion manager): it starts at a default socket buffer's
 * worth, 64 KiB, doubles each period in which calls waited for tokens and
 * none saw loss (linear growth once the peer has shown loss), and halves, at
 * most once a period, when a call to the peer detects loss.  100 calls to one
 * OpenAFS client each sending a 4-packet initial window overflowed its 64 KiB
 * UDP buffer in one poll iteration, a burst no kernel sender makes
 * (doc/reliability.md); a peer that keeps up (another rxd over memif) opens
 * the cap within a few round trips.  Returns 0 if `bytes` may go now (taking
 * them), else when to try again: once half the bucket is back, so that
 * waiting calls do not wake per token.  `must` takes them even from an empty
 * bucket: a call with nothing in flight always sends one datagram, so that
 * calls arriving later cannot starve one that waits.
 */
uint64_t rxd_peer_pace(struct rxd_peer *p, uint32_t bytes, uint32_t wnd_bytes, bool must, uint64_t now)
{
	uint64_t period = p->rtt.min_rtt_ns, add;
	int64_t cap;

	/* The minimum RTT, not the SRTT: queueing in the receiver's buffer inflates
	 * the SRTT, and pacing by it starved calls for seconds. */
	if (period == UINT64_MAX || !period)
		period = RXD_PACE_PERIOD_NS;
	/* A blocked call wakes on the timer wheel, one tick at the finest: over a path faster than a
	 * tick the bucket must hold a tick's worth, else the wheel, not the RTT, sets the rate. */
	if (now >= p->pace_period_at) {
		if (p->pace_blocked && !p->pace_lost)
			p->pace_cap = p->pace_seen_loss ? p->pace_cap + RXD_PEER_BURST_BYTES : p->pace_cap * 2;
		if (p->pace_cap > RXD_PEER_BURST_MAX)
			p->pace_cap = RXD_PEER_BURST_MAX;
		p->pace_blocked = p->pace_lost = false;
		p->pace_period_at = now + period;
	}
	cap = (int64_t)max_u32(p->pace_cap, wnd_bytes);
	if (period < (1ull << RXD_WHEEL_TICK_SHIFT)) {
		cap = (int64_t)((uint64_t)cap * (1ull << RXD_WHEEL_TICK_SHIFT) / period);
		period = 1ull << RXD_WHEEL_TICK_SHIFT;
	}
	if (now >= p->pace_last + period) {
		if (p->pace_tokens < cap)
			p->pace_tokens = cap;
		p->pace_last = now;
	} else if (now > p->pace_last) {
		add = (now - p->pace_last) * (uint64_t)cap / period;
		if (add) {
			/* Move the refill point only as far as the whole bytes added. */
			p->pace_last += add * period / (uint64_t)cap;
			if (p->pace_tokens < cap) {
				p->pace_tokens += (int64_t)add;
				if (p->pace_tokens > cap)
					p->pace_tokens = cap;
			}
		}
	}
	if (p->pace_tokens > 0 || must) {
		p->pace_tokens -= bytes;
		return 0;
	}
	p->pace_blocked = true;
	return now + 1 + (uint64_t)(cap / 2 - p->pace_tokens) * period / (uint64_t)cap;
}

/* A call to p detected loss: halve the pacing cap, at most once a period (many calls see one overflow). */
void rxd_peer_pace_on_loss(struct rxd_peer *p)
{
	p->pace_seen_loss = true;
	if (p->pace_lost)
		return;
	p->pace_lost = true;
	p->pace_cap = p->pace_cap / 2 > RXD_PEER_BURST_BYTES ? p->pace_cap / 2 : RXD_PEER_BURST_BYTES;
	if (p->pace_tokens > (int64_t)p->pace_cap)
		p->pace_tokens = p->pace_cap;
}

/* ICMP errors: frag-needed lowers the path MTU; unreachables fail the peer's calls. */
void rxd_peer_input_error(struct rxd_local *l, const struct rxd_addr *a, int err, uint32_t mtu, uint64_t now)
{
	struct rxd_peer *p = rxd_peer_lookup(l, a, false, now);
	char addrbuf[64];

	if (!p)
		return;
	if (err == -EMSGSIZE) {
		/* Only a lower max_data can leave datagrams in flight too big (a dropped probe does not). */
		if (!rxd_pmtud_too_big(p, mtu, now))
			return;
		RXD_LOG(l, RXD_LOG_INFO, "peer %s: path MTU %u, UDP payload now %u bytes",
			rxd_addr_format(a, addrbuf, sizeof(addrbuf)), mtu, p->max_data);
		/* Datagrams in flight that no longer fit are resent one packet per datagram. */
		for (struct rxd_call *c = l->calls; c; c = c->all_next) {
			if (c->peer != p || c->state == RXD_CS_COMPLETE)
				continue;
			rxd_txq_mark_all_lost(&c->tx);
			rxd_transmit(c, now);
			rxd_call_update_timer(c);
		}
		return;
	}
	RXD_LOG(l, RXD_LOG_INFO, "peer %s: network error %d fails its calls",
		rxd_addr_format(a, addrbuf, sizeof(addrbuf)), err);
	for (struct rxd_call *c = l->calls, *n; c; c = n) {
		n = c->all_next;
		if (c->peer == p && c->state != RXD_CS_COMPLETE)
			rxd_call_complete(c, RXD_CALL_NETWORK_ERROR, 0, err, now);
	}
}
