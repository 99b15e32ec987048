/* SPDX-License-Identifier: MIT */
/*
 * The message API: AF_RXRPC-like messages between threads that are not
 * lcores and the workers that own the calls.
 *
 * An endpoint has, per worker, one ring towards the worker (the thread
 * produces, the worker consumes) and one ring back (the worker produces, the
 * thread consumes): single producer, single consumer, batched.  Messages are
 * fixed-size objects from a mempool; their data lives in mbufs (received
 * data is handed over by reference, no copy on the worker; sent data is
 * copied once by the thread into mbufs from the worker's pool).
 *
 * Worker side: a bounded table of call contexts keyed by (endpoint, user
 * call ID); deliveries that find the ring or the pool full wait on a pending
 * list and are retried every loop iteration, so flow control reaches the
 * peer through the core's receive window.
 */
#include "rxd_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#define MSG_SEGS 32u
#define MSG_OUTQ 64u
#define CALLS_PER_WORKER 4096u
#define MCALL_MAGIC 0x6d63616cu

struct msg_seg {
	const uint8_t *data;
	uint32_t len;
	struct rte_mbuf *m;
};

struct rxd_msg {
	uint8_t type;
	uint8_t flags;
	uint16_t nseg;
	uint16_t worker;
	uint16_t seg_i; /* consumer progress */
	uint32_t seg_off;
	uint32_t len;
	uint64_t user_call_id;
	uint64_t token;
	int32_t abort_code;
	int32_t error;
	struct rxd_addr peer;
	uint16_t service_id;
	struct rxd_call_timeouts timeouts;
	struct rxd_msg_call call;
	struct rxd_msg *next;
	struct msg_seg seg[MSG_SEGS];
};

struct rxd_msg_ep {
	struct rxd_shell *s;
	unsigned index;
	struct rxd_msg_ep_params p;
	struct rte_mempool *pool;
	struct rte_ring *to_w[RXD_SHELL_MAX_WORKERS];
	struct rte_ring *from_w[RXD_SHELL_MAX_WORKERS];
	atomic_llong inflight[RXD_SHELL_MAX_WORKERS];
	/* thread side only */
	unsigned rr_begin, rr_charge, rr_recv;
	uint32_t charged[RXD_SHELL_MAX_WORKERS]; /* charges outstanding per worker */
	struct rxd_msg *cur;
	uint64_t *map_key;
	uint16_t *map_val; /* worker + 1; 0 = empty */
	uint32_t map_cap, map_n;
};

/* ------------------------------------------------------------------ worker side */

struct mcall {
	uint32_t magic;
	uint32_t idx;
	uint32_t gen;
	struct rxd_msg_worker *mw;
	uint16_t ep;
	bool live, accepted, completed, closed, terminal_sent, in_pend, rx_open, is_client;
	struct rxd_call *call;
	uint64_t user_id;
	struct rxd_msg *txq, *txq_tail;
	struct mcall *pend_next;
};

struct wep {
	struct rxd_msg_worker *mw;
	struct rxd_msg_ep *ep;
	struct rxd_service *svc;
	unsigned nout;
	struct rxd_msg *out[MSG_OUTQ];
};

struct rxd_msg_worker {
	struct rxd_worker *w;
	uint32_t nfree;
	uint32_t *free_idx;
	struct mcall *calls;
	uint32_t hmask;
	uint32_t *htab; /* idx + 1, 0 = empty */
	struct mcall *pend;
	struct wep wep[RXD_MAX_EPS];
};

static const struct rxd_call_ops mcall_ops;

static uint64_t key_hash(unsigned ep, uint64_t id)
{
	uint64_t x = id ^ ((uint64_t)ep << 56);
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static struct mcall *h_find(struct rxd_msg_worker *mw, unsigned ep, uint64_t id)
{
	for (uint32_t i = (uint32_t)key_hash(ep, id) & mw->hmask;; i = (i + 1) & mw->hmask) {
		uint32_t v = mw->htab[i];
		struct mcall *c;
		if (!v)
			return NULL;
		c = &mw->calls[v - 1];
		if (c->ep == ep && c->user_id == id)
			return c;
	}
}

static void h_insert(struct rxd_msg_worker *mw, struct mcall *c)
{
	uint32_t i = (uint32_t)key_hash(c->ep, c->user_id) & mw->hmask;

	while (mw->htab[i])
		i = (i + 1) & mw->hmask;
	mw->htab[i] = c->idx + 1;
}

/* Linear probing with backward-shift deletion: no tombstones. */
static void h_delete(struct rxd_msg_worker *mw, struct mcall *c)
{
	uint32_t i = (uint32_t)key_hash(c->ep, c->user_id) & mw->hmask;

	while (mw->htab[i] && mw->htab[i] != c->idx + 1)
		i = (i + 1) & mw->hmask;
	if (!mw->htab[i])
		return;
	for (uint32_t j = (i + 1) & mw->hmask; mw->htab[j]; j = (j + 1) & mw->hmask) {
		struct mcall *o = &mw->calls[mw->htab[j] - 1];
		uint32_t home = (uint32_t)key_hash(o->ep, o->user_id) & mw->hmask;
		/* move o back into the hole if its home is not cyclically within (i, j] */
		if (((j - home) & mw->hmask) >= ((j - i) & mw->hmask)) {
			mw->htab[i] = mw->htab[j];
			i = j;
		}
	}
	mw->htab[i] = 0;
}

int rxd_msg_worker_init(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw;
	uint32_t hsize = 1;

	if (w->msg)
		return 0;
	while (hsize < 2 * CALLS_PER_WORKER)
		hsize <<= 1;
	mw = rte_zmalloc_socket("rxd_msgw", sizeof(*mw), RTE_CACHE_LINE_SIZE, w->socket);
	if (!mw)
		return -ENOMEM;
	mw->w = w;
	mw->calls =
	    rte_zmalloc_socket("rxd_mcalls", sizeof(*mw->calls) * CALLS_PER_WORKER, RTE_CACHE_LINE_SIZE, w->socket);
	mw->free_idx = rte_zmalloc_socket("rxd_mfree", sizeof(uint32_t) * CALLS_PER_WORKER, 0, w->socket);
	mw->htab = rte_zmalloc_socket("rxd_mhash", sizeof(uint32_t) * hsize, 0, w->socket);
	if (!mw->calls || !mw->free_idx || !mw->htab) {
		rte_free(mw->calls);
		rte_free(mw->free_idx);
		rte_free(mw->htab);
		rte_free(mw);
		return -ENOMEM;
	}
	mw->hmask = hsize - 1;
	for (uint32_t i = 0; i < CALLS_PER_WORKER; i++) {
		mw->calls[i].magic = MCALL_MAGIC;
		mw->calls[i].idx = i;
		mw->calls[i].mw = mw;
		mw->free_idx[mw->nfree++] = CALLS_PER_WORKER - 1 - i;
	}
	w->msg = mw;
	return 0;
}

static struct mcall *mcall_alloc(struct rxd_msg_worker *mw, unsigned ep)
{
	struct mcall *c;
	uint32_t gen;

	if (!mw->nfree)
		return NULL;
	c = &mw->calls[mw->free_idx[--mw->nfree]];
	gen = c->gen;
	memset(&c->ep, 0, sizeof(*c) - offsetof(struct mcall, ep));
	c->gen = gen + 1;
	c->ep = (uint16_t)ep;
	c->live = true;
	return c;
}

static void msg_free(struct rxd_msg_ep *ep, struct rxd_msg *m)
{
	for (unsigned i = 0; i < m->nseg; i++)
		rte_pktmbuf_free(m->seg[i].m);
	rte_mempool_put(ep->pool, m);
}

static void mcall_release(struct rxd_msg_worker *mw, struct mcall *c)
{
	struct rxd_msg_ep *ep = mw->wep[c->ep].ep;

	while (c->txq) {
		struct rxd_msg *m = c->txq;
		long long left = 0;
		c->txq = m->next;
		for (unsigned i = m->seg_i; i < m->nseg; i++)
			left += m->seg[i].len - (i == m->seg_i ? m->seg_off : 0);
		atomic_fetch_sub(&ep->inflight[mw->w->index], left);
		msg_free(ep, m);
	}
	if (c->accepted)
		h_delete(mw, c);
	c->live = false;
	c->call = NULL;
	mw->free_idx[mw->nfree++] = c->idx;
}

static bool out_room(const struct wep *we)
{
	return we->nout < MSG_OUTQ;
}

static struct rxd_msg *out_alloc(struct wep *we)
{
	void *obj;

	if (!out_room(we) || rte_mempool_get(we->ep->pool, &obj) != 0)
		return NULL;
	memset(obj, 0, offsetof(struct rxd_msg, seg));
	return obj;
}

static void out_push(struct wep *we, struct rxd_msg *m)
{
	m->worker = (uint16_t)we->mw->w->index;
	we->out[we->nout++] = m;
	we->mw->w->st.msg_out++;
}

static void pend(struct rxd_msg_worker *mw, struct mcall *c)
{
	if (c->in_pend)
		return;
	c->in_pend = true;
	c->pend_next = mw->pend;
	mw->pend = c;
}

static void fill_terminal(struct mcall *c, struct rxd_msg *m)
{
	struct rxd_call *call = c->call;
	int err = rxd_call_error(call);

	m->flags = RXD_MSG_F_EOR;
	switch (rxd_call_completion(call)) {
	case RXD_CALL_SUCCEEDED:
		m->type = c->is_client ? RXD_MSG_DATA : RXD_MSG_ACK;
		break;
	case RXD_CALL_REMOTELY_ABORTED:
	case RXD_CALL_LOCALLY_ABORTED:
		m->type = RXD_MSG_ABORT;
		m->abort_code = rxd_call_abort_code(call);
		break;
	case RXD_CALL_NETWORK_ERROR:
		m->type = RXD_MSG_NET_ERROR;
		m->error = err;
		break;
	default:
		m->type = RXD_MSG_LOCAL_ERROR;
		m->error = err;
		break;
	}
	if (err == -EBUSY)
		m->type = RXD_MSG_BUSY;
}

/* End our use of the call once its terminal message is queued. */
static void mcall_finish(struct rxd_msg_worker *mw, struct mcall *c)
{
	struct rxd_call *call = c->call;

	c->closed = true;
	if (call)
		rxd_call_end(call, mw->w->now);
	mcall_release(mw, c);
}

/* Deliver received data and, at the end, the terminal message. */
static void pump_rx(struct rxd_msg_worker *mw, struct mcall *c)
{
	struct wep *we = &mw->wep[c->ep];
	struct rxd_seg segs[MSG_SEGS];

	if (!c->live || !c->accepted || c->closed || !c->call)
		return;
	for (;;) {
		struct rxd_msg *m;
		bool eor = false;
		unsigned n = rxd_call_peek(c->call, segs, MSG_SEGS, &eor);
		uint32_t total = 0;

		if (n == 0 && !(eor && c->rx_open) && !c->completed)
			return; /* nothing new */
		m = out_alloc(we);
		if (!m) {
			pend(mw, c);
			return;
		}
		m->user_call_id = c->user_id;
		if (n == 0 && eor && c->rx_open) { /* end of phase after data sent with MORE */
			m->type = RXD_MSG_DATA;
			c->rx_open = false;
			out_push(we, m);
			continue;
		}
		if (n == 0) { /* completed and drained */
			fill_terminal(c, m);
			out_push(we, m);
			c->terminal_sent = true;
			mcall_finish(mw, c);
			return;
		}
		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *b = segs[i].buf ? rxd_buf_mbuf(segs[i].buf) : NULL;
			if (b) {
				rte_mbuf_refcnt_update(b, 1);
				m->seg[i].data = segs[i].data;
			} else { /* transient core memory: copy */
				uint8_t *d;
				b = rte_pktmbuf_alloc(mw->w->pool);
				if (!b || segs[i].len > rte_pktmbuf_tailroom(b)) {
					rte_pktmbuf_free(b);
					m->nseg = (uint16_t)i;
					msg_free(we->ep, m);
					mw->w->st.drop_msg++;
					pend(mw, c);
					return;
				}
				d = (uint8_t *)rte_pktmbuf_append(b, (uint16_t)segs[i].len);
				memcpy(d, segs[i].data, segs[i].len);
				m->seg[i].data = d;
			}
			m->seg[i].m = b;
			m->seg[i].len = segs[i].len;
			m->nseg = (uint16_t)(i + 1);
			total += segs[i].len;
		}
		rxd_call_consume(c->call, total, mw->w->now);
		m->type = RXD_MSG_DATA;
		m->len = total;
		m->flags = eor ? 0 : RXD_MSG_F_MORE;
		c->rx_open = !eor;
		out_push(we, m);
	}
}

static long long txq_msg_left(const struct rxd_msg *m)
{
	long long left = 0;

	for (unsigned i = m->seg_i; i < m->nseg; i++)
		left += m->seg[i].len - (i == m->seg_i ? m->seg_off : 0);
	return left;
}

/* Feed queued thread data into the call's transmit phase. */
static void pump_tx(struct rxd_msg_worker *mw, struct mcall *c)
{
	struct rxd_msg_ep *ep = mw->wep[c->ep].ep;
	atomic_llong *inflight = &ep->inflight[mw->w->index];

	while (c->txq && c->call && !c->closed) {
		struct rxd_msg *m = c->txq;

		for (;;) {
			bool last_piece = m->seg_i + 1 >= m->nseg;
			const uint8_t *d = m->nseg ? m->seg[m->seg_i].data + m->seg_off : NULL;
			uint32_t left = m->nseg ? m->seg[m->seg_i].len - m->seg_off : 0;
			unsigned fl = (last_piece && !(m->flags & RXD_MSG_F_MORE)) ? 0 : RXD_SEND_MORE;
			ssize_t r = rxd_call_send(c->call, d, left, fl, mw->w->now);

			if (r == -EAGAIN)
				return; /* an empty end-of-phase send waits for writable() */
			if (r < 0) { /* the call is over; its completion tells the thread */
				while (c->txq) {
					struct rxd_msg *x = c->txq;
					c->txq = x->next;
					atomic_fetch_sub(inflight, txq_msg_left(x));
					msg_free(ep, x);
				}
				return;
			}
			atomic_fetch_sub(inflight, (long long)r);
			m->seg_off += (uint32_t)r;
			if ((uint32_t)r < left)
				return; /* wait for writable() */
			if (last_piece)
				break;
			m->seg_i++;
			m->seg_off = 0;
		}
		c->txq = m->next;
		msg_free(ep, m);
	}
}

/* ---- core notifications ---- */

static void ignore(void *app, struct rxd_call *call)
{
	(void)app;
	(void)call;
}

static int svc_new_call(void *app, struct rxd_call *call)
{
	struct wep *we = app;
	struct rxd_msg_worker *mw = we->mw;
	struct mcall *c = mcall_alloc(mw, we->ep->index);
	struct rxd_msg *m = c ? out_alloc(we) : NULL;

	if (!m) { /* no context or no room towards the thread: the client retries after BUSY */
		if (c)
			mcall_release(mw, c);
		mw->w->st.drop_msg++;
		rxd_call_reject(call, mw->w->now);
		return -1;
	}
	c->call = call;
	c->rx_open = true;
	rxd_call_set_ops(call, &mcall_ops, c);
	m->type = RXD_MSG_NEW_CALL;
	rxd_call_peer(call, &m->peer);
	m->service_id = rxd_call_service_id(call);
	if (we->ep->p.needs_charge) { /* the charged slot carries the user call ID */
		c->accepted = true;
		c->user_id = rxd_call_user_id(call);
		m->user_call_id = c->user_id;
		h_insert(mw, c);
	} else {
		m->token = ((uint64_t)c->gen << 32) | ((uint64_t)mw->w->index << 24) | c->idx;
	}
	out_push(we, m);
	return 0;
}

static void mc_data(void *app, struct rxd_call *call)
{
	struct mcall *c = app;

	(void)call;
	if (c->live)
		pump_rx(c->mw, c);
}

static void mc_writable(void *app, struct rxd_call *call)
{
	struct mcall *c = app;

	(void)call;
	if (c->live)
		pump_tx(c->mw, c);
}

static void mc_complete(void *app, struct rxd_call *call)
{
	struct mcall *c = app;

	(void)call;
	if (!c->live || c->closed)
		return;
	c->completed = true;
	if (!c->accepted) { /* died before the thread accepted it: the token goes stale */
		mcall_finish(c->mw, c);
		return;
	}
	pump_rx(c->mw, c);
}

static const struct rxd_call_ops mcall_ops = {
    .data = mc_data,
    .writable = mc_writable,
    .complete = mc_complete,
};

static const struct rxd_call_ops svc_ops = {
    .new_call = svc_new_call,
    .data = ignore,
    .writable = ignore,
    .complete = ignore,
};

/* ---- messages from the thread ---- */

/* Tell the thread about a failure of an operation it asked for. */
static void reply_error(struct rxd_msg_worker *mw, struct wep *we, uint64_t id, int err)
{
	struct rxd_msg *m;
	void *obj;

	/* never lost: take from the pool even when the batch is full (flush retries) */
	if (rte_mempool_get(we->ep->pool, &obj) != 0) {
		mw->w->st.drop_msg++;
		return;
	}
	m = obj;
	memset(m, 0, offsetof(struct rxd_msg, seg));
	m->type = RXD_MSG_LOCAL_ERROR;
	m->flags = RXD_MSG_F_EOR;
	m->user_call_id = id;
	m->error = err;
	if (we->nout < MSG_OUTQ) {
		out_push(we, m);
	} else {
		rte_mempool_put(we->ep->pool, m);
		mw->w->st.drop_msg++;
	}
}

static struct mcall *by_token(struct rxd_msg_worker *mw, uint64_t token)
{
	uint32_t idx = (uint32_t)(token & 0xffffff), gen = (uint32_t)(token >> 32);
	struct mcall *c;

	if (idx >= CALLS_PER_WORKER)
		return NULL;
	c = &mw->calls[idx];
	return c->live && c->gen == gen && !c->accepted ? c : NULL;
}

static void begin_call(struct rxd_msg_worker *mw, struct wep *we, struct rxd_msg *m)
{
	struct rxd_worker *w = mw->w;
	struct rxd_call_params p;
	struct mcall *c;
	int rc;

	if (h_find(mw, we->ep->index, m->user_call_id)) {
		reply_error(mw, we, m->user_call_id, -EBADSLT);
		return;
	}
	c = mcall_alloc(mw, we->ep->index);
	if (!c) {
		reply_error(mw, we, m->user_call_id, -ENOBUFS);
		return;
	}
	memset(&p, 0, sizeof p);
	p.peer = m->call.peer;
	p.service_id = m->call.service_id;
	p.security_index = m->call.security_index;
	p.security_level = m->call.security_level;
	p.key = m->call.key;
	p.exclusive = m->call.exclusive;
	p.upgrade = m->call.upgrade;
	p.user_call_id = m->user_call_id;
	p.timeouts = m->call.timeouts;
	p.tx_total_len = m->call.tx_total_len;
	p.ops = &mcall_ops;
	p.app = c;
	c->user_id = m->user_call_id;
	c->accepted = true;
	c->is_client = true;
	c->rx_open = true;
	h_insert(mw, c);
	rc = rxd_call_begin(w->wif[we->ep->p.iface].local, &p, w->now, &c->call);
	if (rc) {
		c->call = NULL;
		mcall_release(mw, c);
		reply_error(mw, we, m->user_call_id, rc);
	}
}

/* Returns true if m was kept (queued on a call). */
static bool handle_in(struct rxd_msg_worker *mw, struct wep *we, struct rxd_msg *m)
{
	struct rxd_worker *w = mw->w;
	struct mcall *c;

	w->st.msg_in++;
	switch (m->type) {
	case RXD_MSG_BEGIN:
		begin_call(mw, we, m);
		return false;
	case RXD_MSG_DATA:
		c = h_find(mw, we->ep->index, m->user_call_id);
		if (!c || c->closed || !c->call) { /* the call ended meanwhile: its terminal is on the way */
			atomic_fetch_sub(&we->ep->inflight[w->index], (long long)m->len);
			return false;
		}
		m->next = NULL;
		if (c->txq)
			c->txq_tail->next = m;
		else
			c->txq = m;
		c->txq_tail = m;
		pump_tx(mw, c);
		return true;
	case RXD_MSG_ABORT:
	case RXD_MSG_END:
		c = h_find(mw, we->ep->index, m->user_call_id);
		if (c) {
			struct rxd_call *call = c->call;
			c->closed = true; /* the thread forgot this ID: nothing more is delivered */
			if (call && m->type == RXD_MSG_ABORT)
				rxd_call_abort(call, m->abort_code, w->now);
			if (call)
				rxd_call_end(call, w->now);
			mcall_release(mw, c);
		}
		return false;
	case RXD_MSG_ACCEPT:
		c = by_token(mw, m->token);
		if (!c || h_find(mw, we->ep->index, m->user_call_id)) {
			reply_error(mw, we, m->user_call_id, c ? -EBADSLT : -ENODATA);
			return false;
		}
		c->user_id = m->user_call_id;
		c->accepted = true;
		rxd_call_set_user_id(c->call, c->user_id);
		h_insert(mw, c);
		pump_rx(mw, c); /* request data may be waiting */
		return false;
	case RXD_MSG_REJECT:
		c = by_token(mw, m->token);
		if (c) {
			c->closed = true;
			rxd_call_reject(c->call, w->now);
			rxd_call_end(c->call, w->now);
			mcall_release(mw, c);
		}
		return false;
	case RXD_MSG_CHARGE:
		if (!we->svc || rxd_service_charge(we->svc, m->user_call_id) != 0)
			reply_error(mw, we, m->user_call_id, we->svc ? -ENOBUFS : -ENOTCONN);
		return false;
	case RXD_MSG_TIMEOUTS:
		c = h_find(mw, we->ep->index, m->user_call_id);
		if (c && c->call)
			rxd_call_set_timeouts(c->call, &m->timeouts, w->now);
		return false;
	default:
		return false;
	}
}

void rxd_msg_worker_poll(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw = w->msg;
	struct rxd_shell *s = w->shell;
	struct rxd_msg *in[32];
	struct mcall *p;

	for (unsigned e = 0; e < s->n_eps; e++) {
		struct wep *we = &mw->wep[e];
		unsigned n = rte_ring_sc_dequeue_burst(we->ep->to_w[w->index], (void **)in, 32, NULL);
		for (unsigned k = 0; k < n; k++)
			if (!handle_in(mw, we, in[k]))
				msg_free(we->ep, in[k]);
	}
	/* deliveries that waited for room */
	p = mw->pend;
	mw->pend = NULL;
	while (p) {
		struct mcall *next = p->pend_next;
		p->in_pend = false;
		if (p->live)
			pump_rx(mw, p);
		p = next;
	}
}

void rxd_msg_worker_flush(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw = w->msg;

	for (unsigned e = 0; e < w->shell->n_eps; e++) {
		struct wep *we = &mw->wep[e];
		unsigned sent;
		if (!we->nout)
			continue;
		sent = rte_ring_sp_enqueue_burst(we->ep->from_w[w->index], (void **)we->out, we->nout, NULL);
		if (sent < we->nout) /* the thread is behind: keep the rest, in order */
			memmove(we->out, we->out + sent, sizeof(we->out[0]) * (we->nout - sent));
		we->nout -= sent;
	}
}

void rxd_msg_worker_abort_all(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw = w->msg;

	for (uint32_t i = 0; i < CALLS_PER_WORKER; i++) {
		struct mcall *c = &mw->calls[i];
		if (!c->live || !c->call || c->completed)
			continue;
		rxd_call_abort(c->call, c->is_client ? RX_USER_ABORT : RX_RESTARTING, w->now);
	}
}

void rxd_msg_worker_fini(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw = w->msg;

	if (!mw)
		return;
	for (uint32_t i = 0; i < CALLS_PER_WORKER; i++) {
		struct mcall *c = &mw->calls[i];
		if (c->live) {
			c->call = NULL; /* the shard is gone */
			c->accepted = false;
			mcall_release(mw, c);
		}
	}
	for (unsigned e = 0; e < RXD_MAX_EPS; e++) {
		struct wep *we = &mw->wep[e];
		for (unsigned k = 0; k < we->nout; k++)
			msg_free(we->ep, we->out[k]);
		we->nout = 0;
	}
	rte_free(mw->calls);
	rte_free(mw->free_idx);
	rte_free(mw->htab);
	rte_free(mw);
	w->msg = NULL;
}

/* ------------------------------------------------------------------ endpoints */

void rxd_msg_eps_free(struct rxd_shell *s)
{
	for (unsigned e = 0; e < s->n_eps; e++) {
		struct rxd_msg_ep *ep = s->eps[e];
		struct rxd_msg *m;
		for (unsigned i = 0; i < s->n_workers; i++) {
			for (int dir = 0; dir < 2; dir++) {
				struct rte_ring *r = dir ? ep->from_w[i] : ep->to_w[i];
				if (!r)
					continue;
				while (rte_ring_dequeue(r, (void **)&m) == 0)
					msg_free(ep, m);
				rte_ring_free(r);
			}
		}
		if (ep->cur)
			msg_free(ep, ep->cur);
		rte_mempool_free(ep->pool);
		free(ep->map_key);
		free(ep->map_val);
		rte_free(ep);
		s->eps[e] = NULL;
	}
	s->n_eps = 0;
}

int rxd_msg_ep_create(struct rxd_shell *s, const struct rxd_msg_ep_params *p, struct rxd_msg_ep **out, char *err,
		      size_t errlen)
{
	struct rxd_msg_ep *ep;
	char name[RTE_RING_NAMESIZE];
	unsigned ring = p->ring_size ? p->ring_size : 1024, e = s->n_eps;

	*out = NULL;
	if (s->started || e == RXD_MAX_EPS || p->iface >= s->n_ifaces) {
		snprintf(err, errlen, "%s",
			 s->started	    ? "endpoints must be created before rxd_shell_start"
			 : e == RXD_MAX_EPS ? "too many endpoints"
					    : "no such iface");
		return -EINVAL;
	}
	ep = rte_zmalloc("rxd_msg_ep", sizeof(*ep), RTE_CACHE_LINE_SIZE);
	if (!ep)
		goto nomem;
	ep->s = s;
	ep->index = e;
	ep->p = *p;
	ep->p.ring_size = ring;
	if (!ep->p.tx_inflight_max)
		ep->p.tx_inflight_max = 4u << 20;
	s->eps[e] = ep;
	s->n_eps++;
	snprintf(name, sizeof name, "rxd_msgp_%u", e);
	/* ring contents both ways, plus what workers and the thread hold */
	ep->pool = rte_mempool_create(name, 2 * ring * s->n_workers + (MSG_OUTQ + 64) * s->n_workers + 1024,
				      sizeof(struct rxd_msg), 32, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (!ep->pool)
		goto nomem;
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];
		snprintf(name, sizeof name, "rxd_m%u_to%u", e, i);
		ep->to_w[i] = rte_ring_create(name, ring, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof name, "rxd_m%u_fr%u", e, i);
		ep->from_w[i] = rte_ring_create(name, ring, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!ep->to_w[i] || !ep->from_w[i] || rxd_msg_worker_init(w))
			goto nomem;
		w->msg->wep[e].mw = w->msg;
		w->msg->wep[e].ep = ep;
		if (p->service_id) {
			struct rxd_service_desc d;
			int rc = 0;
			memset(&d, 0, sizeof d);
			d.service_id = p->service_id;
			d.upgrade_from = p->upgrade_from;
			d.min_security_level = p->min_security_level;
			d.needs_charge = p->needs_charge;
			d.backlog = p->backlog;
			d.ops = &svc_ops;
			d.app = &w->msg->wep[e];
			rc = rxd_service_register(w->wif[p->iface].local, &d, &w->msg->wep[e].svc);
			if (rc) {
				snprintf(err, errlen, "cannot register service %u: %s", p->service_id, strerror(-rc));
				return rc;
			}
		}
	}
	*out = ep;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for message endpoint %u", e);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ thread side */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? UINT64_MAX : mono_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* Back off while waiting: a few spins, then short sleeps. */
static void backoff(unsigned *round)
{
	if (*round < 64) {
		(*round)++;
		rte_pause();
		return;
	}
	struct timespec ts = {0, *round < 1000 ? 20000L : 200000L};
	(*round)++;
	nanosleep(&ts, NULL);
}

static bool stopped(const struct rxd_msg_ep *ep)
{
	return atomic_load_explicit(&ep->s->phase, memory_order_acquire) >= RXD_PHASE_STOP;
}

/* user call ID -> worker (open addressing, backward-shift deletion, grows). */
static uint32_t map_slot(const struct rxd_msg_ep *ep, uint64_t id)
{
	return (uint32_t)key_hash(0, id) & (ep->map_cap - 1);
}

static int map_get(const struct rxd_msg_ep *ep, uint64_t id)
{
	if (!ep->map_cap)
		return -1;
	for (uint32_t i = map_slot(ep, id);; i = (i + 1) & (ep->map_cap - 1)) {
		if (!ep->map_val[i])
			return -1;
		if (ep->map_key[i] == id)
			return ep->map_val[i] - 1;
	}
}

static int map_put(struct rxd_msg_ep *ep, uint64_t id, unsigned worker);

static int map_grow(struct rxd_msg_ep *ep)
{
	uint64_t *ok = ep->map_key;
	uint16_t *ov = ep->map_val;
	uint32_t ocap = ep->map_cap, ncap = ocap ? ocap * 2 : 1024;

	ep->map_key = calloc(ncap, sizeof(uint64_t));
	ep->map_val = calloc(ncap, sizeof(uint16_t));
	if (!ep->map_key || !ep->map_val) {
		free(ep->map_key);
		free(ep->map_val);
		ep->map_key = ok;
		ep->map_val = ov;
		return -ENOMEM;
	}
	ep->map_cap = ncap;
	ep->map_n = 0;
	for (uint32_t i = 0; i < ocap; i++)
		if (ov[i])
			map_put(ep, ok[i], ov[i] - 1u);
	free(ok);
	free(ov);
	return 0;
}

static int map_put(struct rxd_msg_ep *ep, uint64_t id, unsigned worker)
{
	uint32_t i;

	if ((ep->map_n + 1) * 2 > ep->map_cap && map_grow(ep))
		return -ENOMEM;
	for (i = map_slot(ep, id); ep->map_val[i]; i = (i + 1) & (ep->map_cap - 1))
		if (ep->map_key[i] == id)
			return -EBADSLT;
	ep->map_key[i] = id;
	ep->map_val[i] = (uint16_t)(worker + 1);
	ep->map_n++;
	return 0;
}

static void map_del(struct rxd_msg_ep *ep, uint64_t id)
{
	uint32_t mask = ep->map_cap - 1, i;

	if (!ep->map_cap)
		return;
	for (i = map_slot(ep, id); ep->map_val[i] && ep->map_key[i] != id; i = (i + 1) & mask)
		;
	if (!ep->map_val[i])
		return;
	for (uint32_t j = (i + 1) & mask; ep->map_val[j]; j = (j + 1) & mask) {
		uint32_t home = map_slot(ep, ep->map_key[j]);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ep->map_key[i] = ep->map_key[j];
			ep->map_val[i] = ep->map_val[j];
			i = j;
		}
	}
	ep->map_val[i] = 0;
	ep->map_n--;
}

static struct rxd_msg *msg_get(struct rxd_msg_ep *ep, uint64_t deadline)
{
	unsigned round = 0;
	void *obj;

	while (rte_mempool_get(ep->pool, &obj) != 0) {
		if (mono_ns() >= deadline || stopped(ep))
			return NULL;
		backoff(&round);
	}
	memset(obj, 0, offsetof(struct rxd_msg, seg));
	return obj;
}

static int msg_put_to(struct rxd_msg_ep *ep, unsigned worker, struct rxd_msg *m, uint64_t deadline)
{
	unsigned round = 0;

	while (rte_ring_sp_enqueue(ep->to_w[worker], m) != 0) {
		if (mono_ns() >= deadline || stopped(ep)) {
			msg_free(ep, m);
			return stopped(ep) ? -ESHUTDOWN : -ETIMEDOUT;
		}
		backoff(&round);
	}
	return 0;
}

static int simple(struct rxd_msg_ep *ep, unsigned worker, enum rxd_msg_type type, uint64_t id, uint64_t token,
		  int32_t code)
{
	uint64_t dl = deadline_of(-1);
	struct rxd_msg *m;

	if (stopped(ep))
		return -ESHUTDOWN;
	m = msg_get(ep, dl);
	if (!m)
		return -ESHUTDOWN;
	m->type = (uint8_t)type;
	m->user_call_id = id;
	m->token = token;
	m->abort_code = code;
	return msg_put_to(ep, worker, m, dl);
}

int rxd_msg_begin(struct rxd_msg_ep *ep, uint64_t user_call_id, const struct rxd_msg_call *c, int timeout_ms)
{
	uint64_t dl = deadline_of(timeout_ms);
	unsigned n = ep->s->n_workers, worker;
	struct rxd_msg *m;
	int rc;

	if (stopped(ep))
		return -ESHUTDOWN;
	if (map_get(ep, user_call_id) >= 0)
		return -EBADSLT;
	worker = c->worker >= 0 ? (unsigned)c->worker % n : ep->rr_begin++ % n;
	m = msg_get(ep, dl);
	if (!m)
		return stopped(ep) ? -ESHUTDOWN : -ETIMEDOUT;
	m->type = RXD_MSG_BEGIN;
	m->user_call_id = user_call_id;
	m->call = *c;
	rc = map_put(ep, user_call_id, worker);
	if (rc) {
		msg_free(ep, m);
		return rc;
	}
	rc = msg_put_to(ep, worker, m, dl);
	if (rc)
		map_del(ep, user_call_id);
	return rc;
}

ssize_t rxd_msg_send(struct rxd_msg_ep *ep, uint64_t user_call_id, const void *data, size_t len, unsigned flags,
		     int timeout_ms)
{
	uint64_t dl = deadline_of(timeout_ms);
	int worker = map_get(ep, user_call_id);
	const uint8_t *p = data;
	size_t done = 0;
	struct rte_mempool *pool;
	uint32_t room;

	if (worker < 0)
		return -EBADSLT;
	if (stopped(ep))
		return -ESHUTDOWN;
	pool = ep->s->workers[worker]->pool;
	room = ep->s->workers[worker]->buf_room;
	do {
		struct rxd_msg *m;
		size_t chunk = len - done;
		unsigned round = 0;
		int rc;

		/* flow control: bounded bytes queued towards the worker */
		while (atomic_load_explicit(&ep->inflight[worker], memory_order_relaxed) >
		       (long long)ep->p.tx_inflight_max) {
			if (mono_ns() >= dl || stopped(ep))
				goto out;
			backoff(&round);
		}
		if (chunk > (size_t)room * MSG_SEGS)
			chunk = (size_t)room * MSG_SEGS;
		m = msg_get(ep, dl);
		if (!m)
			goto out;
		m->type = RXD_MSG_DATA;
		m->user_call_id = user_call_id;
		m->flags = (done + chunk < len || (flags & RXD_MSG_F_MORE)) ? RXD_MSG_F_MORE : 0;
		m->len = (uint32_t)chunk;
		for (size_t off = 0; off < chunk;) {
			uint32_t piece = (uint32_t)(chunk - off < room ? chunk - off : room);
			struct rte_mbuf *b;
			round = 0;
			while (!(b = rte_pktmbuf_alloc(pool))) {
				if (mono_ns() >= dl || stopped(ep)) {
					msg_free(ep, m);
					goto out;
				}
				backoff(&round);
			}
			memcpy(rte_pktmbuf_append(b, (uint16_t)piece), p + done + off, piece);
			m->seg[m->nseg].m = b;
			m->seg[m->nseg].data = rte_pktmbuf_mtod(b, const uint8_t *);
			m->seg[m->nseg].len = piece;
			m->nseg++;
			off += piece;
		}
		atomic_fetch_add(&ep->inflight[worker], (long long)chunk);
		rc = msg_put_to(ep, (unsigned)worker, m, dl);
		if (rc) {
			atomic_fetch_sub(&ep->inflight[worker], (long long)chunk);
			goto out;
		}
		done += chunk;
	} while (done < len);
	return (ssize_t)done;
out:
	if (done)
		return (ssize_t)done;
	return stopped(ep) ? -ESHUTDOWN : -ETIMEDOUT;
}

int rxd_msg_abort(struct rxd_msg_ep *ep, uint64_t user_call_id, int32_t code)
{
	int worker = map_get(ep, user_call_id);

	if (worker < 0)
		return -EBADSLT;
	map_del(ep, user_call_id);
	return simple(ep, (unsigned)worker, RXD_MSG_ABORT, user_call_id, 0, code);
}

int rxd_msg_end(struct rxd_msg_ep *ep, uint64_t user_call_id)
{
	int worker = map_get(ep, user_call_id);

	if (worker < 0)
		return 0; /* already over */
	map_del(ep, user_call_id);
	return simple(ep, (unsigned)worker, RXD_MSG_END, user_call_id, 0, 0);
}

int rxd_msg_accept(struct rxd_msg_ep *ep, uint64_t token, uint64_t user_call_id)
{
	unsigned worker = (unsigned)((token >> 24) & 0xff);
	int rc;

	if (worker >= ep->s->n_workers)
		return -ENODATA;
	rc = map_put(ep, user_call_id, worker);
	if (rc)
		return rc;
	rc = simple(ep, worker, RXD_MSG_ACCEPT, user_call_id, token, 0);
	if (rc)
		map_del(ep, user_call_id);
	return rc;
}

int rxd_msg_reject(struct rxd_msg_ep *ep, uint64_t token)
{
	unsigned worker = (unsigned)((token >> 24) & 0xff);

	if (worker >= ep->s->n_workers)
		return -ENODATA;
	return simple(ep, worker, RXD_MSG_REJECT, 0, token, 0);
}

int rxd_msg_charge(struct rxd_msg_ep *ep, uint64_t user_call_id)
{
	unsigned n = ep->s->n_workers, worker = ep->rr_charge++ % n;
	int rc;

	if (!ep->p.service_id)
		return -ENOTCONN;
	/* incoming calls land on the worker owning their connection: charge the one with the fewest slots */
	for (unsigned k = 0; k < n; k++)
		if (ep->charged[k] < ep->charged[worker])
			worker = k;
	rc = map_put(ep, user_call_id, worker);
	if (rc)
		return rc;
	rc = simple(ep, worker, RXD_MSG_CHARGE, user_call_id, 0, 0);
	if (rc)
		map_del(ep, user_call_id);
	else
		ep->charged[worker]++;
	return rc;
}

int rxd_msg_set_timeouts(struct rxd_msg_ep *ep, uint64_t user_call_id, const struct rxd_call_timeouts *t)
{
	int worker = map_get(ep, user_call_id);
	struct rxd_msg *m;

	if (worker < 0)
		return -EBADSLT;
	m = msg_get(ep, deadline_of(-1));
	if (!m)
		return -ESHUTDOWN;
	m->type = RXD_MSG_TIMEOUTS;
	m->user_call_id = user_call_id;
	m->timeouts = *t;
	return msg_put_to(ep, (unsigned)worker, m, deadline_of(-1));
}

static struct rxd_msg *next_msg(struct rxd_msg_ep *ep)
{
	unsigned n = ep->s->n_workers;

	for (unsigned k = 0; k < n; k++) {
		unsigned i = (ep->rr_recv + k) % n;
		struct rxd_msg *m;
		if (rte_ring_sc_dequeue(ep->from_w[i], (void **)&m) == 0) {
			ep->rr_recv = i + 1;
			return m;
		}
	}
	return NULL;
}

ssize_t rxd_msg_recv(struct rxd_msg_ep *ep, void *buf, size_t cap, struct rxd_msg_info *info, int timeout_ms)
{
	uint64_t dl = deadline_of(timeout_ms);
	unsigned round = 0;
	struct rxd_msg *m;
	size_t copied = 0;
	uint8_t *dst = buf;

	for (;;) {
		m = ep->cur;
		if (!m)
			m = next_msg(ep);
		if (m) {
			/* messages of a call the thread already aborted or ended are dropped */
			if (m->type != RXD_MSG_NEW_CALL && map_get(ep, m->user_call_id) < 0) {
				ep->cur = NULL;
				msg_free(ep, m);
				continue;
			}
			break;
		}
		if (stopped(ep))
			return -ESHUTDOWN;
		if (timeout_ms == 0 || mono_ns() >= dl)
			return -ETIMEDOUT;
		backoff(&round);
	}
	memset(info, 0, sizeof(*info));
	info->type = (enum rxd_msg_type)m->type;
	info->flags = m->flags;
	info->user_call_id = m->user_call_id;
	info->token = m->token;
	info->abort_code = m->abort_code;
	info->error = m->error;
	info->peer = m->peer;
	info->service_id = m->service_id;
	info->worker = m->worker;
	if (m->type == RXD_MSG_NEW_CALL && ep->p.needs_charge && ep->charged[m->worker])
		ep->charged[m->worker]--;
	if (m->type == RXD_MSG_DATA) {
		while (m->seg_i < m->nseg && copied < cap) {
			struct msg_seg *sg = &m->seg[m->seg_i];
			size_t take = sg->len - m->seg_off;
			if (take > cap - copied)
				take = cap - copied;
			memcpy(dst + copied, sg->data + m->seg_off, take);
			copied += take;
			m->seg_off += (uint32_t)take;
			if (m->seg_off == sg->len) {
				rte_pktmbuf_free(sg->m);
				sg->m = NULL;
				m->seg_i++;
				m->seg_off = 0;
			}
		}
		if (m->seg_i < m->nseg) { /* the rest stays at the head of the queue */
			ep->cur = m;
			info->flags = (m->flags | RXD_MSG_F_MORE) & ~RXD_MSG_F_EOR;
			return (ssize_t)copied;
		}
	}
	ep->cur = NULL;
	if (m->flags & RXD_MSG_F_EOR)
		map_del(ep, m->user_call_id);
	/* seg mbufs already released above are NULL */
	for (unsigned i = 0; i < m->nseg; i++)
		rte_pktmbuf_free(m->seg[i].m);
	rte_mempool_put(ep->pool, m);
	return (ssize_t)copied;
}

const char *rxd_msg_type_name(enum rxd_msg_type t)
{
	static const char *const names[] = {"?",      "DATA",	     "ABORT",	 "ACK",	    "NET_ERROR",
					    "BUSY",   "LOCAL_ERROR", "NEW_CALL", "ACCEPT",  "REJECT",
					    "CHARGE", "BEGIN",	     "END",	 "TIMEOUTS"};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
