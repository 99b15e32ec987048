/* SPDX-License-Identifier: MIT */
/* Message API endpoints: creation (rings, message pool, each worker's side) and release. */
#include <errno.h>
#include <stdio.h>

#include <rte_malloc.h>

#include "rxd_msg.h"
#include "rxd_msg_worker.h"

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
					rxd_msg_free(ep, m);
				rte_ring_free(r);
			}
		}
		rxd_msg_thread_fini(ep);
		rte_mempool_free(ep->pool);
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
	int rc;

	*out = NULL;
	if (s->started || e == RXD_MAX_EPS || p->iface >= s->n_ifaces ||
	    !rxd_worker_local(s->workers[0], p->iface, p->udp_port)) {
		snprintf(err, errlen, "%s",
			 s->started	    ? "endpoints must be created before rxd_shell_start"
			 : e == RXD_MAX_EPS ? "too many endpoints"
					    : "no such iface or UDP port");
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
	if (rxd_msg_thread_init(ep))
		goto nomem;
	snprintf(name, sizeof name, "rxd_msgp_%u", e);
	/* ring contents both ways, plus what workers and the thread hold */
	ep->pool = rte_mempool_create(name, 2 * ring * s->n_workers + (RXD_MSG_OUTQ + 64) * s->n_workers + 1024,
				      sizeof(struct rxd_msg), 32, 0, NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (!ep->pool)
		goto nomem;
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];
		snprintf(name, sizeof name, "rxd_m%u_to%u", e, i);
		ep->to_w[i] = rte_ring_create(name, ring, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof name, "rxd_m%u_fr%u", e, i);
		ep->from_w[i] = rte_ring_create(name, ring, w->socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!ep->to_w[i] || !ep->from_w[i])
			goto nomem;
		rc = rxd_msg_worker_attach(w, ep, err, errlen);
		if (rc)
			return rc;
	}
	*out = ep;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory for message endpoint %u", e);
	return -ENOMEM;
}

const char *rxd_msg_type_name(enum rxd_msg_type t)
{
	static const char *const names[] = {"?",      "DATA",	     "ABORT",	 "ACK",	     "NET_ERROR",
					    "BUSY",   "LOCAL_ERROR", "NEW_CALL", "ACCEPT",   "REJECT",
					    "CHARGE", "BEGIN",	     "END",	 "TIMEOUTS", "TX_LENGTH"};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
