/* SPDX-License-Identifier: MIT */
/*
 * The message API: AF_RXRPC-like messages between threads that are not
 * lcores and the workers that own the calls.  What both sides share.
 *
 * An endpoint has, per worker, one ring towards the worker (the thread
 * produces, the worker consumes) and one ring back (the worker produces, the
 * thread consumes): single producer, single consumer, batched.  Messages are
 * fixed-size objects from the endpoint's mempool; their data lives in mbufs
 * (received data is handed over by reference, no copy on the worker; sent
 * data is copied once by the thread into mbufs from the worker's pool).
 *
 *   rxd_msg_ep.c      endpoints: create (rings, pool, per-worker state), free
 *   rxd_msg_worker.c  worker side: call contexts, delivery, the threads' requests
 *   rxd_msg_thread.c  thread side: the public rxd_msg_* calls of rxd/dpdk.h
 */
#ifndef RXD_DPDK_MSG_H
#define RXD_DPDK_MSG_H

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "rxd_idmap.h"
#include "rxd_shell.h"

#define RXD_MSG_SEGS 32u /* mbufs one message carries */
#define RXD_MSG_OUTQ 64u /* messages a worker batches per endpoint before its ring */

struct rxd_msg_seg {
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
	struct rxd_msg_seg seg[RXD_MSG_SEGS];
};

struct rxd_msg_ep {
	struct rxd_shell *s;
	unsigned index;
	struct rxd_msg_ep_params p;
	struct rte_mempool *pool;
	struct rte_ring *to_w[RXD_SHELL_MAX_WORKERS];
	struct rte_ring *from_w[RXD_SHELL_MAX_WORKERS];
	atomic_llong inflight[RXD_SHELL_MAX_WORKERS]; /* bytes sent by the thread, not yet taken by the call */
	/* thread side only */
	unsigned rr_begin, rr_charge, rr_recv;
	uint32_t charged[RXD_SHELL_MAX_WORKERS]; /* charges outstanding per worker */
	struct rxd_msg *cur;			 /* partly read DATA */
	struct rxd_idmap ids;			 /* user call ID -> worker */
};

/** A message from ep's pool with its header zeroed, or NULL if the pool is empty. */
static inline struct rxd_msg *rxd_msg_alloc(struct rxd_msg_ep *ep)
{
	void *obj;

	if (rte_mempool_get(ep->pool, &obj) != 0)
		return NULL;
	memset(obj, 0, offsetof(struct rxd_msg, seg));
	return obj;
}

/** Return m and the mbufs it still holds (released ones are NULL). */
static inline void rxd_msg_free(struct rxd_msg_ep *ep, struct rxd_msg *m)
{
	for (unsigned i = 0; i < m->nseg; i++)
		rte_pktmbuf_free(m->seg[i].m);
	rte_mempool_put(ep->pool, m);
}

/** Bytes of m not yet consumed. */
static inline long long rxd_msg_unread(const struct rxd_msg *m)
{
	long long left = 0;

	for (unsigned i = m->seg_i; i < m->nseg; i++)
		left += m->seg[i].len - (i == m->seg_i ? m->seg_off : 0);
	return left;
}

/** Free the endpoints' rings, pools and thread-side state (control thread, after the workers exited). */
void rxd_msg_eps_free(struct rxd_shell *s);

/** Set up an endpoint's thread-side state (rxd_msg_thread.c). */
int rxd_msg_thread_init(struct rxd_msg_ep *ep);
/** Release it, with any partly read message. */
void rxd_msg_thread_fini(struct rxd_msg_ep *ep);

#endif
