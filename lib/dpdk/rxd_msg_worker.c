/* SPDX-License-Identifier: MIT */
/*
 * Worker side of the message API (see rxd_msg.h): a bounded table of call
 * contexts, found per endpoint by user call ID (an id map each) or, before
 * acceptance, by the token of their NEW_CALL.  Deliveries that find the
 * ring or the pool full wait on a pending list and are retried every loop
 * iteration, so flow control reaches the peer through the core's receive
 * window.
 */
#include "rxd_msg_worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "rxd_msg.h"

#define CALLS_PER_WORKER 4096u
#define MCALL_MAGIC 0x6d63616cu

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

/* One endpoint as this worker sees it. */
struct wep {
	struct rxd_msg_worker *mw;
	struct rxd_msg_ep *ep;
	struct rxd_service *svc;
	struct rxd_idmap ids; /* user call ID -> call context index (accepted calls) */
	unsigned nout;
	struct rxd_msg *out[RXD_MSG_OUTQ];
};

struct rxd_msg_worker {
	struct rxd_worker *w;
	uint32_t nfree;
	uint32_t *free_idx;
	struct mcall *calls;
	struct mcall *pend;
	struct wep wep[RXD_MAX_EPS];
};

static const struct rxd_call_ops mcall_ops;

static int worker_init(struct rxd_worker *w)
{
	struct rxd_msg_worker *mw;

	if (w->msg)
		return 0;
	mw = rte_zmalloc_socket("rxd_msgw", sizeof(*mw), RTE_CACHE_LINE_SIZE, w->socket);
	if (!mw)
		return -ENOMEM;
	mw->w = w;
	mw->calls =
	    rte_zmalloc_socket("rxd_mcalls", sizeof(*mw->calls) * CALLS_PER_WORKER, RTE_CACHE_LINE_SIZE, w->socket);
	mw->free_idx = rte_zmalloc_socket("rxd_mfree", sizeof(uint32_t) * CALLS_PER_WORKER, 0, w->socket);
	if (!mw->calls || !mw->free_idx) {
		rte_free(mw->calls);
		rte_free(mw->free_idx);
		rte_free(mw);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < CALLS_PER_WORKER; i++) {
		mw->calls[i].magic = MCALL_MAGIC;
		mw->calls[i].idx = i;
		mw->calls[i].mw = mw;
		mw->free_idx[mw->nfree++] = CALLS_PER_WORKER - 1 - i;
	}
	w->msg = mw;
	return 0;
}

static struct mcall *find_call(struct rxd_msg_worker *mw, const struct wep *we, uint64_t id)
{
	uint32_t idx;

	return rxd_idmap_find(&we->ids, id, &idx) == 0 ? &mw->calls[idx] : NULL;
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

/* Drop the thread data still queued on c (the call cannot take it). */
static void txq_drop(struct rxd_msg_worker *mw, struct mcall *c)
{
	struct rxd_msg_ep *ep = mw->wep[c->ep].ep;

	while (c->txq) {
		struct rxd_msg *m = c->txq;
		c->txq = m->next;
		atomic_fetch_sub(&ep->inflight[mw->w->index], rxd_msg_unread(m));
		rxd_msg_free(ep, m);
	}
}

static void mcall_release(struct rxd_msg_worker *mw, struct mcall *c)
{
	txq_drop(mw, c);
	if (c->accepted) /* an accepted context is mapped by its ID (never a duplicate: see its insertions) */
		rxd_idmap_remove(&mw->wep[c->ep].ids, c->user_id);
	c->live = false;
	c->call = NULL;
	mw->free_idx[mw->nfree++] = c->idx;
}

static struct rxd_msg *out_alloc(struct wep *we)
{
	return we->nout < RXD_MSG_OUTQ ? rxd_msg_alloc(we->ep) : NULL;
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
	struct rxd_seg segs[RXD_MSG_SEGS];

	if (!c->live || !c->accepted || c->closed || !c->call)
		return;
	for (;;) {
		struct rxd_msg *m;
		bool eor = false;
		unsigned n = rxd_call_peek(c->call, segs, RXD_MSG_SEGS, &eor);
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
					rxd_msg_free(we->ep, m);
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
			/* The announced tx_total_len was broken: end the call so the thread hears of it. */
			if (r == -EMSGSIZE)
				rxd_call_abort(c->call, RX_USER_ABORT, mw->w->now);
			if (r < 0) {
				/* the call is over; its completion tells the thread */
				txq_drop(mw, c);
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
		rxd_msg_free(ep, m);
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

	/* the charged slot carries the user call ID, which the thread keeps unique */
	if (m && we->ep->p.needs_charge && rxd_idmap_insert(&we->ids, rxd_call_user_id(call), c->idx) != 0) {
		rxd_msg_free(we->ep, m);
		m = NULL;
	}
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
	if (we->ep->p.needs_charge) {
		c->accepted = true;
		c->user_id = rxd_call_user_id(call);
		m->user_call_id = c->user_id;
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
	/* never lost: take from the pool even when the batch is full (flush retries) */
	struct rxd_msg *m = rxd_msg_alloc(we->ep);

	if (!m) {
		mw->w->st.drop_msg++;
		return;
	}
	m->type = RXD_MSG_LOCAL_ERROR;
	m->flags = RXD_MSG_F_EOR;
	m->user_call_id = id;
	m->error = err;
	if (we->nout < RXD_MSG_OUTQ) {
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

	if (rxd_idmap_has(&we->ids, m->user_call_id)) {
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
	rxd_idmap_insert(&we->ids, c->user_id, c->idx); /* absent (checked above), room for every context */
	rc = rxd_call_begin(rxd_worker_local(w, we->ep->p.iface, we->ep->p.udp_port), &p, w->now, &c->call);
	if (rc) {
		c->call = NULL;
		mcall_release(mw, c);
		reply_error(mw, we, m->user_call_id, rc);
		return;
	}
	if (m->call.tx_total_len == 0) /* params take 0 for unknown: a real 0 is set on the call */
		rxd_call_set_tx_length(c->call, 0);
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
		c = find_call(mw, we, m->user_call_id);
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
		c = find_call(mw, we, m->user_call_id);
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
		if (!c || rxd_idmap_has(&we->ids, m->user_call_id)) {
			reply_error(mw, we, m->user_call_id, c ? -EBADSLT : -ENODATA);
			return false;
		}
		c->user_id = m->user_call_id;
		c->accepted = true;
		rxd_call_set_user_id(c->call, c->user_id);
		rxd_idmap_insert(&we->ids, c->user_id, c->idx); /* absent: checked above */
		/* request data may be waiting */
		pump_rx(mw, c);
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
		c = find_call(mw, we, m->user_call_id);
		if (c && c->call)
			rxd_call_set_timeouts(c->call, &m->timeouts, w->now);
		return false;
	case RXD_MSG_TX_LENGTH:
		c = find_call(mw, we, m->user_call_id);
		/* Data the thread sent earlier may still wait in txq: the length then comes after data too. */
		if (c && c->call && !c->closed &&
		    (c->txq || rxd_call_set_tx_length(c->call, m->call.tx_total_len) == -EINVAL))
			rxd_call_abort(c->call, RX_USER_ABORT, w->now); /* its completion tells the thread */
		return false;
	default:
		return false;
	}
}

/* ---- the worker loop's entry points ---- */

int rxd_msg_worker_attach(struct rxd_worker *w, struct rxd_msg_ep *ep, char *err, size_t errlen)
{
	const struct rxd_msg_ep_params *p = &ep->p;
	uint32_t nslots = rxd_idmap_slots_for(CALLS_PER_WORKER);
	struct rxd_idmap_slot *slots;
	struct wep *we;

	if (worker_init(w) != 0 ||
	    !(slots = rte_zmalloc_socket("rxd_mids", sizeof(*slots) * nslots, RTE_CACHE_LINE_SIZE, w->socket))) {
		snprintf(err, errlen, "out of memory for message endpoint %u on worker %u", ep->index, w->index);
		return -ENOMEM;
	}
	we = &w->msg->wep[ep->index];
	we->mw = w->msg;
	we->ep = ep;
	rxd_idmap_init(&we->ids, slots, nslots);
	if (p->service_id) {
		struct rxd_service_desc d;
		int rc;
		memset(&d, 0, sizeof d);
		d.service_id = p->service_id;
		d.upgrade_from = p->upgrade_from;
		d.min_security_level = p->min_security_level;
		d.security_conf = p->security_conf;
		d.needs_charge = p->needs_charge;
		d.backlog = p->backlog;
		d.ops = &svc_ops;
		d.app = we;
		rc = rxd_service_register(rxd_worker_local(w, p->iface, p->udp_port), &d, &we->svc);
		if (rc) {
			snprintf(err, errlen, "cannot register service %u: %s", p->service_id, strerror(-rc));
			return rc;
		}
	}
	return 0;
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
				rxd_msg_free(we->ep, in[k]);
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
			rxd_msg_free(we->ep, we->out[k]);
		we->nout = 0;
		rte_free(we->ids.slot);
	}
	rte_free(mw->calls);
	rte_free(mw->free_idx);
	rte_free(mw);
	w->msg = NULL;
}
