/* SPDX-License-Identifier: MIT */
/*
 * The connection security handshake, for any class with a challenge (rxkad):
 * a service conn starts unsecured, the server CHALLENGEs the client and holds
 * the conn's DATA, resending the CHALLENGE on a backed-off timer, until a
 * RESPONSE verifies; then the conn is secured (the kernel's
 * SERVICE_CONN_SECURED, net/rxrpc/conn_event.c) and the held DATA is routed
 * as if it had just arrived, so its calls start.  A client answers every
 * CHALLENGE, also on a conn the server forgot and challenges again.
 */
#include "internal.h"

/* What the class may know of the conn (rxkad: preSeq and the RESPONSE). */
static void conn_info(struct rxd_conn *c, struct rxd_sec_conn_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	ci->epoch = c->epoch;
	ci->cid = c->cid;
	ci->security_index = c->cp.security_index;
	for (unsigned i = 0; i < RXD_MAXCALLS; i++)
		ci->call_numbers[i] = c->chan[i].call_number;
	ci->random = rxd_local_random(c->local);
}

int rxd_conn_init_security(struct rxd_conn *c, const void *key, uint8_t level)
{
	struct rxd_local *l = c->local;
	struct rxd_sec_conn_info ci;
	int err;

	c->sc = c->cp.security_index ? l->security[c->cp.security_index & 7] : NULL;
	/* A service conn of a class without a challenge has nothing to wait for. */
	c->secured = c->is_client || !c->sc || !c->sc->issue_challenge;
	if (!c->sc || !c->sc->init_conn)
		return 0;
	conn_info(c, &ci);
	err = c->sc->init_conn(&c->sec, &ci, key, level, c->is_client);
	if (err) {
		RXD_LOG(l, RXD_LOG_WARNING, "security class %s: %s conn %08x: init failed (%d)", c->sc->name,
			c->is_client ? "client" : "service", c->cid, err);
		c->sc = NULL;
		c->sec = NULL;
		return err < 0 ? err : -EKEYREJECTED;
	}
	return 0;
}

void rxd_conn_drop_held(struct rxd_conn *c)
{
	struct rxd_local *l = c->local;

	for (unsigned i = 0; i < c->nheld; i++)
		if (c->held[i].buf)
			l->io->buf_put(l->io_ctx, c->held[i].buf);
	c->nheld = 0;
	c->challenge_at = 0;
}

void rxd_conn_free_security(struct rxd_conn *c)
{
	rxd_conn_drop_held(c);
	rxd_free(c->local, c->held);
	c->held = NULL;
	if (c->sec_hold)
		rxd_crypto_release_conn(c); /* jobs in flight may still use it */
	else if (c->sc && c->sc->free_conn)
		c->sc->free_conn(c->sec);
	c->sec = NULL;
}

static void send_challenge(struct rxd_conn *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_sec_conn_info ci;
	uint8_t hb[RXD_WIRE_HDR_LEN], body[64];
	struct rxd_hdr h;
	size_t n;

	conn_info(c, &ci);
	n = c->sc->issue_challenge(c->sec, &ci, body, sizeof(body));
	if (!n)
		return;
	rxd_conn_hdr(c, 0, 0, RXD_PKT_CHALLENGE, rxd_conn_next_serial(c), &h);
	rxd_hdr_encode(hb, &h);
	struct rxd_iov iov[2] = {{hb, sizeof(hb), NULL}, {body, (uint32_t)n, NULL}};
	rxd_send_raw(l, &c->peer->addr, iov, 2, 0);
	c->challenges++;
	/* Resent at the peer's RTO, doubling, as DATA would be; after a round the next DATA starts another. */
	c->challenge_at = c->challenges < RXD_CHALLENGE_TRIES ? now + rxd_rto(&c->peer->rtt, c->challenges - 1u) : 0;
	rxd_conn_update_idle(c, now);
}

void rxd_conn_hold(struct rxd_conn *c, struct rxd_buf *buf, const uint8_t *data, size_t len, uint64_t now)
{
	struct rxd_local *l = c->local;

	if (!c->held)
		c->held = rxd_calloc(l, RXD_CONN_HELD_MAX, sizeof(*c->held));
	if (c->held && c->nheld < RXD_CONN_HELD_MAX && len <= UINT32_MAX) {
		if (buf)
			l->io->buf_ref(l->io_ctx, buf);
		c->held[c->nheld++] = (struct rxd_held){buf, data, (uint32_t)len};
	} else {
		l->stats.discards[RXD_R_SECURITY]++;
	}
	if (!c->challenge_at) {
		/* First DATA, or the client still sends after a whole round of CHALLENGEs went unanswered. */
		c->challenges = 0;
		send_challenge(c, now);
	}
}

void rxd_conn_challenge_timer(struct rxd_conn *c, uint64_t now)
{
	if (!c->challenge_at || c->challenge_at > now)
		return;
	if (c->secured || c->state != RXD_CONN_SERVICE) {
		c->challenge_at = 0;
		return;
	}
	send_challenge(c, now);
	if (!c->challenge_at)
		rxd_conn_drop_held(c); /* a round without an answer: the client resends its DATA */
}

void rxd_conn_fail(struct rxd_conn *conn, int32_t code, int err, uint64_t now)
{
	rxd_conn_abort_all(conn, code, err, false, now);
	rxd_send_conn_abort(conn, code, now);
}

void rxd_conn_input_challenge(struct rxd_conn *c, const struct rxd_addr *from, const struct rxd_pkt *pkt, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_sec_conn_info ci;
	uint8_t hb[RXD_WIRE_HDR_LEN], body[RXD_WIRE_HDR_LEN + 64 + 12000];
	struct rxd_hdr h;
	int32_t ab = 0;
	size_t n;

	if (!c->is_client || !c->sc || !c->sc->respond) {
		/* rxnull is never challenged: the kernel's insecure class aborts the conn (net/rxrpc/insecure.c). */
		l->stats.discards[RXD_R_SECURITY]++;
		rxd_conn_fail(c, RX_PROTOCOL_ERROR, -EPROTO, now);
		return;
	}
	conn_info(c, &ci);
	n = c->sc->respond(c->sec, &ci, pkt->body, pkt->body_len, body, sizeof(body), &ab);
	if (!n) {
		l->stats.discards[RXD_R_SECURITY]++;
		rxd_conn_fail(c, ab ? ab : RXKADINCONSISTENCY, -EKEYREJECTED, now);
		return;
	}
	rxd_conn_hdr(c, 0, 0, RXD_PKT_RESPONSE, rxd_conn_next_serial(c), &h);
	rxd_hdr_encode(hb, &h);
	struct rxd_iov iov[2] = {{hb, sizeof(hb), NULL}, {body, (uint32_t)n, NULL}};
	rxd_send_raw(l, from, iov, 2, 0);
}

/* The conn is secured: route its held DATA, which starts its calls. */
static void release_held(struct rxd_conn *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_held held[RXD_CONN_HELD_MAX];
	unsigned n = c->nheld;

	memcpy(held, c->held, n * sizeof(held[0]));
	c->nheld = 0;
	for (unsigned i = 0; i < n; i++) {
		rxd_input_replay(l, &c->peer->addr, held[i].buf, held[i].data, held[i].len, now);
		if (held[i].buf)
			l->io->buf_put(l->io_ctx, held[i].buf);
	}
}

void rxd_conn_input_response(struct rxd_conn *c, const struct rxd_pkt *pkt, uint64_t now)
{
	struct rxd_local *l = c->local;
	struct rxd_sec_conn_info ci;
	int32_t ab;

	if (c->is_client || !c->sc || !c->sc->verify_response) {
		/* Nothing was challenged: as the kernel's insecure class, abort the conn. */
		l->stats.discards[RXD_R_SECURITY]++;
		rxd_conn_fail(c, RX_PROTOCOL_ERROR, -EPROTO, now);
		return;
	}
	if (c->secured) {
		l->stats.discards[RXD_R_DUPLICATE]++; /* an answer to a resent CHALLENGE */
		return;
	}
	conn_info(c, &ci);
	ab = c->sc->verify_response(c->sec, &ci, pkt->body, pkt->body_len);
	if (ab) {
		RXD_LOG(l, RXD_LOG_INFO, "conn %08x: RESPONSE rejected (%d)", c->cid, ab);
		l->stats.discards[RXD_R_SECURITY]++;
		rxd_conn_fail(c, ab, -EKEYREJECTED, now);
		return;
	}
	c->secured = true;
	c->challenge_at = 0;
	rxd_conn_update_idle(c, now);
	release_held(c, now);
}
