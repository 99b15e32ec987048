/* SPDX-License-Identifier: MIT */
/*
 * Connections: client conns (cid allocation, 4 channels, reuse, idle expiry,
 * exclusive conns) and service conns (found by peer + epoch + cid, created
 * by the first DATA of a call), the per-channel cache that regenerates a
 * finished call's final ACK or ABORT, and deferred client final ACKs.
 */
#include "internal.h"

static void conn_timer_fired(struct rxd_timer *t, uint64_t now);
static void conn_arm_timer(struct rxd_conn *c, uint64_t now);

static uint32_t conn_hash_client(uint32_t cid)
{
	uint32_t h = (cid >> 2) * 2654435761u;
	return h ^ (h >> 16);
}

static uint32_t conn_hash_service(const struct rxd_peer *p, uint32_t epoch, uint32_t cid)
{
	uint32_t h = p->hash ^ (epoch * 2246822519u) ^ ((cid >> 2) * 2654435761u);
	return h ^ (h >> 13);
}

uint32_t rxd_conn_next_serial(struct rxd_conn *c)
{
	if (++c->tx_serial == 0) /* serial 0 means "none" */
		c->tx_serial = 1;
	return c->tx_serial;
}

/* Every packet we send on a conn starts here: its ids, and the direction bit of our side. */
void rxd_conn_hdr(const struct rxd_conn *c, unsigned channel, uint32_t call_number, uint8_t type, uint32_t serial,
		  struct rxd_hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->epoch = c->epoch;
	h->cid = c->cid | channel;
	h->call_number = call_number;
	h->serial = serial;
	h->type = type;
	h->flags = c->is_client ? RXD_F_CLIENT_INITIATED : 0;
	h->security_index = c->cp.security_index;
	h->service_id = c->service_id;
}

static void conn_hash_add(struct rxd_local *l, struct rxd_conn *c)
{
	struct rxd_conn **slot = &l->conn_hash[c->hash & l->conn_hash_mask];
	c->hash_next = *slot;
	*slot = c;
}

static void conn_hash_del(struct rxd_local *l, struct rxd_conn *c)
{
	struct rxd_conn **pp = &l->conn_hash[c->hash & l->conn_hash_mask];
	while (*pp && *pp != c)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = c->hash_next;
}

struct rxd_conn *rxd_conn_find_client(struct rxd_local *l, uint32_t cid)
{
	uint32_t key = cid & ~RXD_CID_CHANNEL_MASK, h = conn_hash_client(key);
	for (struct rxd_conn *c = l->conn_hash[h & l->conn_hash_mask]; c; c = c->hash_next)
		if (c->is_client && c->cid == key)
			return c;
	return NULL;
}

struct rxd_conn *rxd_conn_find_service(struct rxd_local *l, struct rxd_peer *peer, uint32_t epoch, uint32_t cid)
{
	uint32_t key = cid & ~RXD_CID_CHANNEL_MASK, h = conn_hash_service(peer, epoch, key);
	for (struct rxd_conn *c = l->conn_hash[h & l->conn_hash_mask]; c; c = c->hash_next)
		if (!c->is_client && c->peer == peer && c->epoch == epoch && c->cid == key)
			return c;
	return NULL;
}

static struct rxd_conn *conn_alloc(struct rxd_local *l, struct rxd_peer *peer, uint64_t now)
{
	struct rxd_conn *c = rxd_pool_get(&l->conn_pool);

	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->local = l;
	c->peer = peer;
	c->idle_since = now;
	rxd_timer_init(&c->timer, conn_timer_fired);
	rxd_peer_get(peer);
	l->nconns++;
	return c;
}

static void conn_free(struct rxd_conn *c, uint64_t now)
{
	struct rxd_local *l = c->local;

	l->chan_freed = true;
	conn_hash_del(l, c);
	if (c->is_client) {
		if (c->peer_prev)
			c->peer_prev->peer_next = c->peer_next;
		else
			c->peer->client_conns = c->peer_next;
		if (c->peer_next)
			c->peer_next->peer_prev = c->peer_prev;
	}
	rxd_conn_free_security(c);
	rxd_timer_cancel(&l->wheel, &c->timer);
	rxd_pmtud_conn_gone(c);
	rxd_peer_put(c->peer, now);
	l->nconns--;
	rxd_pool_put(&l->conn_pool, c);
}

/* Allocate a client cid whose owner shard is this one and which is not in use. */
static uint32_t alloc_cid(struct rxd_local *l)
{
	for (uint32_t tries = 0; tries < 1u << 20; tries++) {
		uint32_t id = l->next_cid_id;
		uint32_t adj = (l->shard_index + l->shard_count - id % l->shard_count) % l->shard_count;
		id += adj;
		if (id >= 0x40000000u || id == 0) {
			l->next_cid_id = 1;
			continue;
		}
		l->next_cid_id = id + l->shard_count;
		if (!rxd_conn_find_client(l, id << 2))
			return id << 2;
	}
	return 0;
}

static bool conn_matches(const struct rxd_conn *c, const struct rxd_call *call)
{
	const struct rxd_conn_params *a = &c->cp, *b = &call->cp;

	return c->state == RXD_CONN_CLIENT && !c->dont_reuse && !a->exclusive && a->service_id == b->service_id &&
	       a->security_index == b->security_index && a->security_level == b->security_level && a->key == b->key &&
	       a->upgrade == b->upgrade && !(c->probing_upgrade && c->active);
}

static int conn_free_channel(const struct rxd_conn *c)
{
	for (unsigned i = 0; i < RXD_MAXCALLS; i++)
		if (!c->chan[i].call)
			return (int)i;
	return -1;
}

/* *err: -EAGAIN when out of cids or conns (the call may wait), else the security class's error. */
static struct rxd_conn *client_conn_new(struct rxd_local *l, struct rxd_peer *peer, struct rxd_call *call, uint64_t now,
					int *err)
{
	struct rxd_conn *c;
	uint32_t cid;

	*err = -EAGAIN;
	cid = alloc_cid(l);
	if (!cid)
		return NULL;
	c = conn_alloc(l, peer, now);
	if (!c)
		return NULL;
	c->is_client = true;
	c->state = RXD_CONN_CLIENT;
	c->epoch = l->epoch;
	c->cid = cid;
	c->cp = call->cp;
	c->service_id = call->cp.service_id;
	c->probing_upgrade = call->cp.upgrade;
	c->hash = conn_hash_client(cid);
	conn_hash_add(l, c);
	c->peer_next = peer->client_conns;
	if (c->peer_next)
		c->peer_next->peer_prev = c;
	peer->client_conns = c;
	/* Linked first: conn_free() unlinks a client conn from its peer's list. */
	*err = rxd_conn_init_security(c, call->cp.key, call->cp.security_level);
	if (*err < 0) {
		conn_free(c, now);
		return NULL;
	}
	conn_arm_timer(c, now);
	STAT(l, conns_client);
	return c;
}

static void conn_arm_timer(struct rxd_conn *c, uint64_t now)
{
	struct rxd_local *l = c->local;
	uint64_t at = RXD_TIME_NEVER;

	for (unsigned i = 0; i < RXD_MAXCALLS; i++)
		if (c->chan[i].final_ack_at)
			at = min_u64(at, c->chan[i].final_ack_at);
	if (c->challenge_at)
		at = min_u64(at, c->challenge_at);
	if (c->active == 0) {
		uint64_t exp;
		if (c->is_client)
			exp = (uint64_t)(l->nconns > 900 ? 2 : l->cfg.client_conn_expiry_s) * RXD_NS_PER_SEC;
		else
			exp = (uint64_t)l->cfg.connection_expiry_s * RXD_NS_PER_SEC;
		at = min_u64(at, c->idle_since + exp);
	}
	if (at == RXD_TIME_NEVER)
		rxd_timer_cancel(&l->wheel, &c->timer);
	else
		rxd_timer_arm(&l->wheel, &c->timer, at > now ? at : now);
}

void rxd_conn_update_idle(struct rxd_conn *c, uint64_t now)
{
	conn_arm_timer(c, now);
}

/* Bind a client call to a channel (AWAIT_CONN -> SEND_REQUEST). */
static void bind_channel(struct rxd_conn *c, unsigned ch, struct rxd_call *call, uint64_t now)
{
	struct rxd_channel *chan = &c->chan[ch];

	/* The deferred final ACK of the previous call stays armed until this call's first DATA goes
	 * out (which ACKs it implicitly): a call aborted before sending must not strand the server. */
	chan->call = call;
	chan->call_number++;
	if (chan->call_number == 0x7fffffffu)
		c->dont_reuse = true; /* retire the conn before callNumber wraps */
	c->active++;
	call->conn = c;
	call->channel = (uint8_t)ch;
	call->call_number = chan->call_number;
	rxd_call_set_state(call, RXD_CS_CLIENT_SEND_REQUEST);
	conn_arm_timer(c, now);
}

int rxd_conn_connect_call(struct rxd_local *l, struct rxd_call *call, uint64_t now)
{
	struct rxd_peer *peer = call->peer;
	struct rxd_conn *c;
	unsigned bundle = 0;
	int ch = -1;

	if (!call->cp.exclusive) {
		for (c = peer->client_conns; c; c = c->peer_next) {
			if (!conn_matches(c, call))
				continue;
			bundle++;
			ch = conn_free_channel(c);
			if (ch >= 0)
				break;
		}
	} else {
		c = NULL;
	}
	if (!c || ch < 0) {
		int err = -EAGAIN;
		/* A full bundle: wait for one of its channels (net/rxrpc/conn_client.c bundle->waiting_calls). */
		c = bundle < l->cfg.bundle_conns ? client_conn_new(l, peer, call, now, &err) : NULL;
		if (!c && err != -EAGAIN)
			return err; /* the call's key cannot secure a conn: the caller fails the call */
		if (!c) {
			/* Out of conns or cids, or the bundle is full: wait for a channel to free up. */
			rxd_call_set_state(call, RXD_CS_CLIENT_AWAIT_CONN);
			call->wait_next = NULL;
			if (l->await_conn_tail)
				l->await_conn_tail->wait_next = call;
			else
				l->await_conn_head = call;
			l->await_conn_tail = call;
			return 0;
		}
		ch = 0;
	}
	bind_channel(c, (unsigned)ch, call, now);
	return 0;
}

/*
 * Give waiting client calls a channel, once a channel or conn came free since the last try
 * (a pass per API call would cost O(waiting) each time).  One pass over the calls queued at
 * entry: a call whose bundle is still full goes back to the tail without holding up calls to
 * other peers or services behind it.
 */
void rxd_conn_connect_waiting(struct rxd_local *l, uint64_t now)
{
	struct rxd_call *last = l->await_conn_tail;
	bool done = !last;

	if (!l->chan_freed)
		return;
	l->chan_freed = false;

	while (!done && l->await_conn_head) {
		struct rxd_call *call = l->await_conn_head;
		int err;

		done = call == last;
		l->await_conn_head = call->wait_next;
		if (!l->await_conn_head)
			l->await_conn_tail = NULL;
		call->wait_next = NULL;
		if (call->state != RXD_CS_CLIENT_AWAIT_CONN)
			continue;
		err = rxd_conn_connect_call(l, call, now);
		if (err < 0) {
			/* net/rxrpc/conn_client.c: a call whose conn cannot be set up ends LOCAL_ERROR. */
			rxd_call_complete(call, RXD_CALL_LOCAL_ERROR, 0, err, now);
			continue;
		}
		if (call->state == RXD_CS_CLIENT_AWAIT_CONN)
			continue; /* still nothing free: it went back to the tail */
		rxd_transmit(call, now);
		rxd_call_update_timer(call);
	}
}

struct rxd_conn *rxd_conn_new_service(struct rxd_local *l, struct rxd_peer *peer, const struct rxd_hdr *h,
				      const struct rxd_service *svc, uint64_t now)
{
	struct rxd_conn *c = conn_alloc(l, peer, now);

	if (!c)
		return NULL;
	c->is_client = false;
	c->state = RXD_CONN_SERVICE;
	c->epoch = h->epoch;
	c->cid = h->cid & ~RXD_CID_CHANNEL_MASK;
	c->service_id = h->service_id;
	c->cp.service_id = h->service_id;
	c->cp.security_index = h->security_index;
	if (rxd_conn_init_security(c, svc->d.security_conf, svc->d.min_security_level) < 0) {
		conn_free(c, now);
		return NULL;
	}
	c->hash = conn_hash_service(peer, c->epoch, c->cid);
	conn_hash_add(l, c);
	conn_arm_timer(c, now);
	STAT(l, conns_service);
	return c;
}

/* Detach a finished call from its channel, leaving the final-packet cache behind. */
void rxd_conn_disconnect_call(struct rxd_call *call, uint64_t now)
{
	struct rxd_conn *c = call->conn;
	struct rxd_channel *chan;

	if (!c)
		return;
	chan = &c->chan[call->channel];
	if (chan->call == call) {
		chan->call = NULL;
		c->local->chan_freed = true;
		chan->last_call = call->call_number;
		if (call->completion == RXD_CALL_SUCCEEDED) {
			chan->last_type = RXD_PKT_ACK;
		} else {
			chan->last_type = RXD_PKT_ABORT;
			chan->last_abort =
			    call->completion == RXD_CALL_LOCALLY_ABORTED ? call->abort_code : RX_CALL_DEAD;
		}
		c->active--;
		if (c->active == 0)
			c->idle_since = now;
		conn_arm_timer(c, now);
	}
	call->conn = NULL;
}

/* Client: the final ACK of a completed call goes out a little later unless the next call on the channel
 * makes it implicit. */
void rxd_conn_schedule_final_ack(struct rxd_conn *c, unsigned channel, uint64_t now)
{
	c->chan[channel].final_ack_at = now + RXD_FINAL_ACK_DEFER_NS;
	conn_arm_timer(c, now);
}

/* Regenerate a finished call's final packet (the rules of Linux net/rxrpc/conn_event.c rxrpc_conn_retransmit_call). */
void rxd_conn_retransmit_final(struct rxd_conn *c, const struct rxd_pkt *pkt, unsigned channel, uint64_t now)
{
	struct rxd_channel *chan = &c->chan[channel];
	uint64_t expiry = (uint64_t)c->local->cfg.dead_call_expiry_s * RXD_NS_PER_SEC;

	if (chan->final_ack_at) {
		/* Still deferred: the peer is waiting for it, so send it now. */
		chan->final_ack_at = 0;
	} else if (c->active == 0 && now > c->idle_since + expiry && expiry) {
		STAT(c->local, discards[RXD_R_FINISHED_CALL]);
		return;
	}
	/* An ACK only needs an answer if it asks for one (a PING or REQUEST_ACK). */
	if (pkt->hdr.type == RXD_PKT_ACK && pkt->u.ack.reason != RXD_ACK_PING && !(pkt->hdr.flags & RXD_F_REQUEST_ACK))
		return;
	if (chan->last_type == RXD_PKT_ABORT) {
		struct rxd_hdr h = pkt->hdr;
		h.call_number = chan->last_call;
		h.cid = c->cid | channel;
		rxd_reply_abort(c->local, &c->peer->addr, &h, chan->last_abort);
		return;
	}
	rxd_send_final_ack(c, channel, pkt->hdr.serial ? RXD_ACK_DUPLICATE : RXD_ACK_IDLE, pkt->hdr.serial, now);
}

void rxd_conn_abort_all(struct rxd_conn *c, int32_t code, int err, bool remote, uint64_t now)
{
	c->state = RXD_CONN_ABORTED;
	c->abort_code = code;
	rxd_conn_drop_held(c);
	c->dont_reuse = true;
	for (unsigned i = 0; i < RXD_MAXCALLS; i++) {
		struct rxd_call *call = c->chan[i].call;
		if (call && call->state != RXD_CS_COMPLETE)
			rxd_call_complete(call, remote ? RXD_CALL_REMOTELY_ABORTED : RXD_CALL_LOCALLY_ABORTED, code,
					  err, now);
	}
}

static void conn_timer_fired(struct rxd_timer *t, uint64_t now)
{
	struct rxd_conn *c = (struct rxd_conn *)((char *)t - offsetof(struct rxd_conn, timer));
	struct rxd_local *l = c->local;
	uint64_t exp;

	for (unsigned i = 0; i < RXD_MAXCALLS; i++) {
		struct rxd_channel *chan = &c->chan[i];
		if (chan->final_ack_at && chan->final_ack_at <= now) {
			chan->final_ack_at = 0;
			rxd_send_final_ack(c, i, RXD_ACK_IDLE, chan->final_ack_serial, now);
		}
	}
	rxd_conn_challenge_timer(c, now);
	if (c->active == 0) {
		if (c->is_client)
			exp = (uint64_t)(l->nconns > 900 ? 2 : l->cfg.client_conn_expiry_s) * RXD_NS_PER_SEC;
		else
			exp = (uint64_t)l->cfg.connection_expiry_s * RXD_NS_PER_SEC;
		if (now >= c->idle_since + exp) {
			for (unsigned i = 0; i < RXD_MAXCALLS; i++)
				if (c->chan[i].final_ack_at)
					rxd_send_final_ack(c, i, RXD_ACK_IDLE, c->chan[i].final_ack_serial, now);
			conn_free(c, now);
			rxd_conn_connect_waiting(l, now);
			return;
		}
	}
	conn_arm_timer(c, now);
}

void rxd_conn_free_all(struct rxd_local *l)
{
	for (uint32_t i = 0; i <= l->conn_hash_mask; i++)
		while (l->conn_hash[i])
			conn_free(l->conn_hash[i], l->now);
}
