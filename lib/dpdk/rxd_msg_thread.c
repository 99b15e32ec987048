/* SPDX-License-Identifier: MIT */
/*
 * Thread side of the message API (see rxd_msg.h): the rxd_msg_* calls of
 * rxd/dpdk.h, run by a thread that is not an lcore and may block.  Each
 * endpoint maps the user call IDs it knows to the worker owning the call, so
 * that every request goes to the right ring; an ID is forgotten when the
 * thread ends or aborts the call or reads its terminal message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_pause.h>

#include "rxd_msg.h"

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

/* The worker owning a user call ID, or -1. */
static int worker_of(const struct rxd_msg_ep *ep, uint64_t id)
{
	uint32_t worker;

	return rxd_idmap_find(&ep->ids, id, &worker) == 0 ? (int)worker : -1;
}

/* Map a new user call ID to its worker (-EBADSLT: in use); the map grows by doubling. */
static int ids_put(struct rxd_msg_ep *ep, uint64_t id, unsigned worker)
{
	int rc = rxd_idmap_insert(&ep->ids, id, worker);

	if (rc == -ENOSPC) {
		uint32_t nslots = 2 * (ep->ids.mask + 1);
		struct rxd_idmap_slot *slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		free(rxd_idmap_rehash(&ep->ids, slots, nslots));
		rc = rxd_idmap_insert(&ep->ids, id, worker);
	}
	return rc == -EEXIST ? -EBADSLT : rc;
}

int rxd_msg_thread_init(struct rxd_msg_ep *ep)
{
	uint32_t nslots = rxd_idmap_slots_for(512);
	struct rxd_idmap_slot *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	rxd_idmap_init(&ep->ids, slots, nslots);
	return 0;
}

void rxd_msg_thread_fini(struct rxd_msg_ep *ep)
{
	if (ep->cur)
		rxd_msg_free(ep, ep->cur);
	ep->cur = NULL;
	free(ep->ids.slot);
	ep->ids.slot = NULL;
}

static struct rxd_msg *msg_get(struct rxd_msg_ep *ep, uint64_t deadline)
{
	unsigned round = 0;
	struct rxd_msg *m;

	while (!(m = rxd_msg_alloc(ep))) {
		if (mono_ns() >= deadline || stopped(ep))
			return NULL;
		backoff(&round);
	}
	return m;
}

static int msg_put_to(struct rxd_msg_ep *ep, unsigned worker, struct rxd_msg *m, uint64_t deadline)
{
	unsigned round = 0;

	while (rte_ring_sp_enqueue(ep->to_w[worker], m) != 0) {
		if (mono_ns() >= deadline || stopped(ep)) {
			rxd_msg_free(ep, m);
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
	if (worker_of(ep, user_call_id) >= 0)
		return -EBADSLT;
	worker = c->worker >= 0 ? (unsigned)c->worker % n : ep->rr_begin++ % n;
	m = msg_get(ep, dl);
	if (!m)
		return stopped(ep) ? -ESHUTDOWN : -ETIMEDOUT;
	m->type = RXD_MSG_BEGIN;
	m->user_call_id = user_call_id;
	m->call = *c;
	rc = ids_put(ep, user_call_id, worker);
	if (rc) {
		rxd_msg_free(ep, m);
		return rc;
	}
	rc = msg_put_to(ep, worker, m, dl);
	if (rc)
		rxd_idmap_remove(&ep->ids, user_call_id);
	return rc;
}

ssize_t rxd_msg_send(struct rxd_msg_ep *ep, uint64_t user_call_id, const void *data, size_t len, unsigned flags,
		     int timeout_ms)
{
	uint64_t dl = deadline_of(timeout_ms);
	int worker = worker_of(ep, user_call_id);
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
		if (chunk > (size_t)room * RXD_MSG_SEGS)
			chunk = (size_t)room * RXD_MSG_SEGS;
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
					rxd_msg_free(ep, m);
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
	int worker = worker_of(ep, user_call_id);

	if (worker < 0)
		return -EBADSLT;
	rxd_idmap_remove(&ep->ids, user_call_id);
	return simple(ep, (unsigned)worker, RXD_MSG_ABORT, user_call_id, 0, code);
}

int rxd_msg_end(struct rxd_msg_ep *ep, uint64_t user_call_id)
{
	int worker = worker_of(ep, user_call_id);

	if (worker < 0)
		return 0; /* already over */
	rxd_idmap_remove(&ep->ids, user_call_id);
	return simple(ep, (unsigned)worker, RXD_MSG_END, user_call_id, 0, 0);
}

int rxd_msg_accept(struct rxd_msg_ep *ep, uint64_t token, uint64_t user_call_id)
{
	unsigned worker = (unsigned)((token >> 24) & 0xff);
	int rc;

	if (worker >= ep->s->n_workers)
		return -ENODATA;
	rc = ids_put(ep, user_call_id, worker);
	if (rc)
		return rc;
	rc = simple(ep, worker, RXD_MSG_ACCEPT, user_call_id, token, 0);
	if (rc)
		rxd_idmap_remove(&ep->ids, user_call_id);
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
	rc = ids_put(ep, user_call_id, worker);
	if (rc)
		return rc;
	rc = simple(ep, worker, RXD_MSG_CHARGE, user_call_id, 0, 0);
	if (rc)
		rxd_idmap_remove(&ep->ids, user_call_id);
	else
		ep->charged[worker]++;
	return rc;
}

/* A message of type for call id's worker (in *worker), for the caller to fill and put; NULL with *worker the error. */
static struct rxd_msg *call_msg(struct rxd_msg_ep *ep, uint64_t id, enum rxd_msg_type type, int *worker)
{
	struct rxd_msg *m;

	*worker = worker_of(ep, id);
	if (*worker < 0) {
		*worker = -EBADSLT;
		return NULL;
	}
	m = msg_get(ep, deadline_of(-1));
	if (!m) {
		*worker = -ESHUTDOWN;
		return NULL;
	}
	m->type = (uint8_t)type;
	m->user_call_id = id;
	return m;
}

int rxd_msg_set_timeouts(struct rxd_msg_ep *ep, uint64_t user_call_id, const struct rxd_call_timeouts *t)
{
	int worker;
	struct rxd_msg *m = call_msg(ep, user_call_id, RXD_MSG_TIMEOUTS, &worker);

	if (!m)
		return worker;
	m->timeouts = *t;
	return msg_put_to(ep, (unsigned)worker, m, deadline_of(-1));
}

int rxd_msg_set_tx_length(struct rxd_msg_ep *ep, uint64_t user_call_id, int64_t len)
{
	int worker;
	struct rxd_msg *m;

	if (len < 0)
		return -EINVAL;
	m = call_msg(ep, user_call_id, RXD_MSG_TX_LENGTH, &worker);
	if (!m)
		return worker;
	m->call.tx_total_len = len;
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
			if (m->type != RXD_MSG_NEW_CALL && worker_of(ep, m->user_call_id) < 0) {
				ep->cur = NULL;
				rxd_msg_free(ep, m);
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
			struct rxd_msg_seg *sg = &m->seg[m->seg_i];
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
		rxd_idmap_remove(&ep->ids, m->user_call_id);
	rxd_msg_free(ep, m); /* seg mbufs already released above are NULL */
	return (ssize_t)copied;
}
