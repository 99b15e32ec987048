/* SPDX-License-Identifier: MIT */
/*
 * Path-MTU discovery with padded PING probes (RFC 8899 DPLPMTUD), as the
 * Linux kernel's net/rxrpc does it (peer_event.c rxrpc_input_probe_for_pmtud,
 * output.c rxrpc_send_probe_for_pmtud, io_thread.c):
 *
 * - A new peer assumes one full packet (1412 bytes of data) fits; the search
 *   runs between good (500 bytes of data) and bad (just above the interface
 *   MTU, or the peer's advertised maxMTU, whichever is smaller).
 * - After input on a call, a pending probe goes out on it: a PING ACK whose
 *   trailer is followed by zeros up to the trial size, sent with DF.  Any rx
 *   peer answers a PING with a PING_RESPONSE echoing its serial (OpenAFS
 *   rx.c too; its answer is not padded), so only that ACK's arrival proves the
 *   padded datagram passed.  An ACK on the probe's call echoing a later serial
 *   means the probe was lost: the trial is retried once, then counts as too big.
 *   (The kernel takes any call of the conn as witness; but OpenAFS ignores a
 *   PING on a call it has finished, so a later call's ACKs prove nothing.)
 * - Trials prefer the sizes of 2, 4, 3, 6, 5, 8, 7-subpacket jumbograms, then
 *   bisect.  max_data follows good upward; a bad trial at or below it lowers it.
 * - ICMP frag-needed / packet-too-big lowers max_data and bounds the search.
 *
 * Beyond the kernel: once the search ends, it starts again after
 * pmtud_reprobe seconds (RFC 8899's PMTU_RAISE_TIMER, 600 s), so a path
 * that was lowered by ICMP or a lost probe can rise again; a probe whose call
 * ended unanswered, or left without a verdict for RFC 8899's PROBE_TIMER
 * (15 s), is sent again; and no probe goes on a service call whose reply is
 * all sent (the client may hold it all and be done with the call).
 */
#include "internal.h"

#define PMTUD_GOOD_MIN (RXD_WIRE_HDR_LEN + 500u)	  /* kernel pmtud_good: 500 bytes of data */
#define PMTUD_BASE (RXD_WIRE_HDR_LEN + RXD_JUMBO_DATALEN) /* one full packet */
#define PMTUD_PROBE_TIMEOUT_NS (15ull * RXD_NS_PER_SEC)	  /* RFC 8899 PROBE_TIMER */

/* UDP payload of a jumbogram of n full subpackets. */
static uint32_t jumbo_size(uint32_t n)
{
	return RXD_WIRE_HDR_LEN + n * RXD_JUMBO_DATALEN + (n - 1) * RXD_JUMBO_HDRLEN;
}

/* The largest size worth probing: the interface, or less if the peer says it takes less. */
static uint32_t ceiling(const struct rxd_peer *p)
{
	uint32_t c = p->local->cfg.if_mtu - rxd_udp_ip_overhead(&p->addr);

	if (p->peer_max_mtu && p->peer_max_mtu < c)
		c = p->peer_max_mtu;
	return c;
}

/* The next size to try: a jumbogram size inside (good, bad) in the kernel's order, else the middle. */
static uint32_t next_trial(uint32_t good, uint32_t bad)
{
	static const uint8_t order[] = {2, 4, 3, 6, 5, 8, 7};

	for (unsigned i = 0; i < sizeof(order); i++) {
		uint32_t s = jumbo_size(order[i]);
		if (good < s && s < bad)
			return s;
	}
	return good + (bad - good) / 2;
}

static bool search_done(const struct rxd_pmtud *m)
{
	return m->good + 1 >= m->bad;
}

static void finish_search(struct rxd_peer *p, uint64_t now)
{
	p->pmtud.pending = false;
	p->pmtud.raise_at = now + (uint64_t)p->local->cfg.pmtud_reprobe_s * RXD_NS_PER_SEC;
}

void rxd_pmtud_init(struct rxd_peer *p)
{
	struct rxd_pmtud *m = &p->pmtud;
	uint32_t top = p->local->cfg.if_mtu - rxd_udp_ip_overhead(&p->addr);

	memset(m, 0, sizeof(*m));
	if (!p->local->cfg.pmtud) {
		p->max_data = top; /* the interface MTU, lowered only by ICMP */
		return;
	}
	p->max_data = min_u32(PMTUD_BASE, top);
	m->good = min_u32(PMTUD_GOOD_MIN, top);
	m->bad = top + 1;
	m->trial = min_u32(p->max_data, m->bad - 1);
	m->pending = true;
}

/* The outstanding probe's verdict: move the bounds, max_data, and the next trial. */
static void probe_verdict(struct rxd_peer *p, bool passed, uint64_t now)
{
	struct rxd_pmtud *m = &p->pmtud;
	struct rxd_local *l = p->local;
	char addrbuf[64];

	m->conn = NULL;
	m->lost = false;
	if (passed) {
		STAT(l, pmtud_probes_acked);
		m->good = max_u32(m->good, m->trial);
		if (m->good > p->max_data)
			p->max_data = m->good;
	} else {
		STAT(l, pmtud_probes_lost);
		m->bad = min_u32(m->bad, m->trial);
		if (m->bad <= p->max_data)
			p->max_data = m->bad - 1;
	}
	RXD_LOG(l, RXD_LOG_DEBUG, "peer %s: PMTU probe of %u bytes %s, search %u..%u, UDP payload %u bytes",
		rxd_addr_format(&p->addr, addrbuf, sizeof(addrbuf)), m->trial, passed ? "passed" : "lost", m->good,
		m->bad, p->max_data);
	if (search_done(m)) {
		finish_search(p, now);
		return;
	}
	m->trial = next_trial(m->good, m->bad);
	m->pending = true;
}

/* The outstanding probe's call is still in progress here: its answer or a later ACK may come. */
static bool probe_call_live(const struct rxd_pmtud *m)
{
	const struct rxd_call *c = m->conn->chan[m->channel].call;

	return c && c->call_number == m->call_number && c->state != RXD_CS_COMPLETE;
}

/* Whether c should carry a probe now, starting a new search when the raise timer is due. */
static bool want_probe(struct rxd_peer *p, uint64_t now)
{
	struct rxd_pmtud *m = &p->pmtud;
	uint32_t top;

	/* Every input on a call asks: the common answers come first and cheaply. */
	if (m->conn) {
		if (probe_call_live(m) && now - m->sent_at < PMTUD_PROBE_TIMEOUT_NS)
			return false;
		m->conn = NULL; /* neither answered nor overtaken: ask again */
		m->pending = true;
	}
	if (!m->pending && (!p->local->cfg.pmtud_reprobe_s || now < m->raise_at))
		return false;
	top = ceiling(p);
	if (!m->pending) {
		m->bad = top + 1; /* the raise timer ran out: look above what we proved again */
		m->pending = true;
	}
	if (m->bad > top + 1)
		m->bad = top + 1;
	if (m->good > top)
		m->good = top;
	if (search_done(m)) {
		finish_search(p, now);
		return false;
	}
	if (m->trial <= m->good || m->trial >= m->bad)
		m->trial = next_trial(m->good, m->bad);
	return true;
}

void rxd_pmtud_maybe_probe(struct rxd_call *c, uint64_t now)
{
	struct rxd_peer *p = c->peer;
	struct rxd_pmtud *m;
	uint32_t serial;
	int rc;

	/* Only peers that have sent an ACK trailer: they speak ACKs and told us their maxMTU. */
	if (!p || !c->conn || c->state == RXD_CS_COMPLETE || c->state == RXD_CS_SERVER_AWAIT_ACK ||
	    !c->local->cfg.pmtud || p->trailer_len < 8)
		return;
	m = &p->pmtud;
	if (!want_probe(p, now))
		return;
	rc = rxd_send_pmtud_probe(c, m->trial, &serial, now);
	if (rc == -EMSGSIZE) {
		/* Our own interface refused it: as good as lost twice (kernel: sendmsg_fail). */
		m->lost = true;
		probe_verdict(p, false, now);
		return;
	}
	if (rc < 0)
		return;
	STAT(c->local, pmtud_probes);
	m->pending = false;
	m->conn = c->conn;
	m->call_number = c->call_number;
	m->channel = c->channel;
	m->serial = serial;
	m->sent_at = now;
}

void rxd_pmtud_input_ack(struct rxd_conn *conn, const struct rxd_hdr *h, uint32_t acked_serial, uint64_t now)
{
	struct rxd_peer *p = conn->peer;
	struct rxd_pmtud *m = &p->pmtud;

	if (m->conn != conn || h->call_number != m->call_number || (h->cid & RXD_CID_CHANNEL_MASK) != m->channel ||
	    acked_serial == 0 || seq_before(acked_serial, m->serial))
		return;
	if (acked_serial == m->serial) {
		probe_verdict(p, true, now);
		return;
	}
	/* The peer answered a later packet: the probe was lost, or overtaken.  Retry the size once. */
	if (!m->lost) {
		m->conn = NULL;
		m->lost = true;
		m->pending = true;
		return;
	}
	probe_verdict(p, false, now);
}

void rxd_pmtud_conn_gone(const struct rxd_conn *conn)
{
	struct rxd_pmtud *m = &conn->peer->pmtud;

	if (m->conn != conn)
		return;
	m->conn = NULL;
	m->pending = true;
}

bool rxd_pmtud_too_big(struct rxd_peer *p, uint32_t mtu, uint64_t now)
{
	struct rxd_pmtud *m = &p->pmtud;
	uint32_t ovh = rxd_udp_ip_overhead(&p->addr);
	uint32_t md;

	if (mtu == 0) {
		/* The router did not say: estimate as the kernel's rxrpc_adjust_mtu() does. */
		mtu = p->local->cfg.if_mtu;
		mtu = mtu > 1500 ? max_u32(mtu / 2, 1500) : mtu - 100;
	}
	md = mtu > ovh + 500 ? mtu - ovh : 500;
	if (p->local->cfg.pmtud) {
		/* A router's word bounds the search from above; it never proves a size passes. */
		m->good = min_u32(m->good, md);
		m->bad = min_u32(m->bad, md + 1);
		if (m->conn && m->trial > md) {
			m->conn = NULL; /* that probe cannot pass: try a size that can */
			m->lost = false;
			m->pending = true;
		}
		if (search_done(m))
			finish_search(p, now);
		else if (m->trial <= m->good || m->trial >= m->bad)
			m->trial = next_trial(m->good, m->bad);
	}
	if (md >= p->max_data)
		return false;
	p->max_data = md;
	return true;
}
