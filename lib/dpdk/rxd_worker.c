/* SPDX-License-Identifier: MIT */
/*
 * The worker loop: rx_burst -> parse -> shard by cid -> rxd_local_input ->
 * application -> timers -> forward/TX flush.  No locks, no allocation, no
 * syscalls and no logging per packet (an optional idle sleep is the only
 * syscall, and only when a whole iteration found nothing to do).
 */
#include "rxd_worker.h"

#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "rxd_crypto.h"
#include "rxd_icmp.h"
#include "rxd_io.h"
#include "rxd_msg_worker.h"
#include "rxd_pkt.h"
#include "rxd_shard.h"

static void count_drop(struct rxd_worker *w, enum rxd_pkt_drop why)
{
	switch (why) {
	case RXD_PD_IP_CKSUM:
	case RXD_PD_L4_CKSUM:
		w->st.drop_cksum++;
		break;
	case RXD_PD_FRAG:
		w->st.drop_frag++;
		break;
	case RXD_PD_ETHERTYPE:
	case RXD_PD_PROTO:
		w->st.drop_not_ours++;
		break;
	default:
		w->st.drop_parse++;
		break;
	}
}

static unsigned verify_flags(const struct rxd_worker *w, const struct rte_mbuf *m, bool forwarded, bool *bad)
{
	unsigned v = 0;
	uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	*bad = false;
	if (forwarded) /* checked by the worker that received it */
		return 0;
	if (ip == RTE_MBUF_F_RX_IP_CKSUM_BAD || l4 == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
		*bad = true;
		return 0;
	}
	if (!w->shell->opts.rx_sw_cksum)
		return 0;
	if (ip != RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		v |= RXD_PKT_VERIFY_IP;
	if (l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		v |= RXD_PKT_VERIFY_L4;
	return v;
}

static void deliver_icmp_error(struct rxd_worker *w, struct rxd_wiface *wi, const struct rxd_icmp_err *e)
{
	struct rxd_wport *wp = rxd_wiface_port(wi, e->local_port);

	if (wp)
		rxd_local_input_error(wp->local, &e->peer, e->err, e->mtu, w->now);
}

/* ARP and ND: every worker keeps its own neighbour cache, so the receiver passes the frame on to all. */
static void neigh_input(struct rxd_worker *w, struct rxd_wiface *wi, struct rte_mbuf *m, const struct rxd_pkt_info *pi,
			bool forwarded)
{
	if (!forwarded)
		rxd_fwd_broadcast(w, m);
	if (pi->kind == RXD_PK_ARP)
		rxd_neigh_arp_input(wi, pi, forwarded, w->now);
	else
		rxd_neigh_nd_input(wi, pi, forwarded, w->now);
}

/*
 * One frame, from the port of wi (forwarded = false) or from another worker.
 * Frames handed to another worker carry their iface in m->port (some PMDs,
 * net_ring among them, leave it unset).
 */
static void handle(struct rxd_worker *w, struct rxd_wiface *wi, struct rte_mbuf *m, bool forwarded)
{
	struct rxd_shell *s = w->shell;
	struct rxd_pkt_info pi;
	struct rxd_icmp_err ie;
	unsigned n = s->n_workers, owner;
	bool bad;
	unsigned verify;

	if (!forwarded)
		m->port = wi->ifc->port_id;
	if (unlikely(m->nb_segs != 1)) { /* scatter is off: a chain means a frame beyond our MTU */
		w->st.drop_multiseg++;
		goto free;
	}
	verify = verify_flags(w, m, forwarded, &bad);
	if (unlikely(bad)) {
		w->st.drop_cksum++;
		goto free;
	}
	rxd_frame_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, verify, &pi);
	switch (pi.kind) {
	case RXD_PK_UDP: {
		struct rxd_addr from;
		struct rxd_wport *wp = rxd_wiface_port(wi, pi.dport);
		if (unlikely(!wp || !rxd_iface_is_our_ip(wi->ifc, pi.family, pi.dst_ip))) {
			w->st.drop_not_ours++;
			goto free;
		}
		if (!forwarded) {
			owner = rxd_shard_of_rx(n, w->index, pi.payload, pi.payload_len);
			if (owner != w->index) {
				rxd_fwd_enqueue(w, owner, m);
				return;
			}
		}
		if (n > 1 && unlikely(rxd_shard_debug_pass_on(w, wp->local, m, (uint8_t *)(uintptr_t)pi.payload,
							      pi.payload_len)))
			return;
		w->st.rx_udp++;
		from.family = pi.family == 4 ? RXD_AF_INET : RXD_AF_INET6;
		from.pad = 0;
		from.port = pi.sport;
		memcpy(from.ip.v6, pi.src_ip, pi.family == 4 ? 4 : 16);
		/* the mbuf as the core and zero-copy readers see it: exactly the UDP payload */
		rte_pktmbuf_adj(m, (uint16_t)(pi.payload - rte_pktmbuf_mtod(m, const uint8_t *)));
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - pi.payload_len));
		/* the core takes over our reference */
		rxd_local_input(wp->local, &from, (struct rxd_buf *)(void *)m, pi.payload, pi.payload_len, w->now);
		return;
	}
	case RXD_PK_ARP:
		w->st.rx_arp++;
		neigh_input(w, wi, m, &pi, forwarded);
		goto free;
	case RXD_PK_ICMP4:
	case RXD_PK_ICMP6:
		switch (rxd_icmp_classify(wi->ifc, &pi, &ie)) {
		case RXD_ICMP_ECHO:
			w->st.rx_icmp_echo++;
			if (!forwarded)
				rxd_icmp_echo_reply(wi, &pi);
			break;
		case RXD_ICMP_ND:
			w->st.rx_nd++;
			neigh_input(w, wi, m, &pi, forwarded);
			break;
		case RXD_ICMP_ERROR:
			w->st.rx_icmp_err++;
			if (forwarded) {
				deliver_icmp_error(w, wi, &ie);
			} else if (ie.has_hdr && ie.err != -EMSGSIZE) {
				/* the quoted header names the connection: its owner handles it */
				owner = rxd_shard_of_tx(n, ie.cid);
				if (owner != w->index) {
					rxd_fwd_enqueue(w, owner, m);
					return;
				}
				deliver_icmp_error(w, wi, &ie);
			} else {
				/* path MTU, or no header to route by: a property of the peer, every shard learns */
				rxd_fwd_broadcast(w, m);
				deliver_icmp_error(w, wi, &ie);
			}
			break;
		default:
			w->st.drop_not_ours++;
			break;
		}
		goto free;
	default:
		count_drop(w, (enum rxd_pkt_drop)pi.drop);
		goto free;
	}
free:
	rte_pktmbuf_free(m);
}

static void publish(struct rxd_worker *w)
{
	struct rxd_stats snap;
	struct rxd_local_counts counts;

	memset(&snap, 0, sizeof snap);
	memset(&counts, 0, sizeof counts);
	rxd_worker_core_counters(w, &snap, &counts);
	atomic_store_explicit(&w->live_calls, counts.calls, memory_order_relaxed);
	/* seqcount: odd while writing */
	atomic_fetch_add_explicit(&w->snap_seq, 1, memory_order_release);
	atomic_thread_fence(memory_order_release);
	memcpy(&w->core_snap, &snap, sizeof snap);
	w->core_counts = counts;
	atomic_fetch_add_explicit(&w->snap_seq, 1, memory_order_release);
}

static void housekeep(struct rxd_worker *w)
{
	for (unsigned i = 0; i < w->n_ifaces; i++)
		rxd_neigh_tick(&w->wif[i], w->now);
	publish(w);
	w->next_housekeep = w->now + RXD_HOUSEKEEP_NS;
}

static void flush_all(struct rxd_worker *w)
{
	if (w->fwd_pending)
		rxd_fwd_flush(w);
	if (w->msg)
		rxd_msg_worker_flush(w);
	for (unsigned i = 0; i < w->n_ifaces; i++)
		rxd_tx_flush(&w->wif[i]);
}

static void phase_step(struct rxd_worker *w, int phase)
{
	const struct rxd_lcore_hooks *h = &w->shell->hooks;

	if (phase >= RXD_PHASE_DRAIN && !w->draining) {
		w->draining = true;
		for (unsigned i = 0; i < w->n_locals; i++)
			rxd_local_shutdown(w->locals[i], w->now);
		if (h->drain)
			h->drain(h->arg, w, w->now);
	}
	if (phase >= RXD_PHASE_ABORT && !w->aborted) {
		w->aborted = true;
		if (h->abort_all)
			h->abort_all(h->arg, w, w->now);
		if (w->msg)
			rxd_msg_worker_abort_all(w);
	}
}

/* One iteration; returns the amount of work done (0 = idle). */
static unsigned iterate(struct rxd_worker *w)
{
	struct rxd_shell *s = w->shell;
	struct rte_mbuf *pkts[RXD_BURST_MAX];
	const struct rxd_lcore_hooks *h = &s->hooks;
	unsigned work = 0, burst = s->opts.burst;

	w->now = rxd_clock_ns(&s->clock);
	/* one batch per iteration: a call's ACK covers all its DATA of the burst */
	for (unsigned i = 0; i < w->n_locals; i++)
		rxd_local_batch_begin(w->locals[i], w->now);
	for (unsigned i = 0; i < w->n_ifaces; i++) {
		struct rxd_wiface *wi = &w->wif[i];
		uint16_t n = rte_eth_rx_burst(wi->ifc->port_id, wi->queue, pkts, (uint16_t)burst);
		for (uint16_t k = 0; k < n; k++) {
			if (k + 1 < n)
				rte_prefetch0(rte_pktmbuf_mtod(pkts[k + 1], void *));
			w->st.rx_bytes += pkts[k]->pkt_len;
			handle(w, wi, pkts[k], false);
		}
		w->st.rx_pkts += n;
		work += n;
	}
	for (unsigned src = 0; src < s->n_workers; src++) {
		unsigned n;
		if (src == w->index)
			continue;
		n = rte_ring_sc_dequeue_burst(w->fwd_in[src], (void **)pkts, burst, NULL);
		for (unsigned k = 0; k < n; k++) {
			int iface = pkts[k]->port < RXD_MAX_PORTS ? s->port_to_iface[pkts[k]->port] : -1;
			if (unlikely(iface < 0)) {
				w->st.drop_port++;
				rte_pktmbuf_free(pkts[k]);
				continue;
			}
			handle(w, &w->wif[iface], pkts[k], true);
		}
		w->st.fwd_in += n;
		work += n;
	}
	/* jobs back from the crypto lcores, inside the batch: their calls' ACKs and DATA go with the burst's */
	if (w->crypto_done)
		work += rxd_crypto_worker_poll(w);
	for (unsigned i = 0; i < w->n_locals; i++)
		rxd_local_batch_end(w->locals[i], w->now);
	if (w->msg)
		rxd_msg_worker_poll(w);
	if (h->poll)
		h->poll(h->arg, w, w->now);
	for (unsigned i = 0; i < w->n_locals; i++) {
		struct rxd_local *l = w->locals[i];
		if (rxd_local_next_expiry(l) <= w->now) {
			rxd_local_expire(l, w->now);
			w->st.expire_runs++;
			work++;
		}
	}
	if (w->now >= w->next_housekeep)
		housekeep(w);
	flush_all(w);
	return work;
}

int rxd_worker_main(void *arg)
{
	struct rxd_worker *w = arg;
	struct rxd_shell *s = w->shell;
	const struct rxd_lcore_hooks *h = &s->hooks;
	uint32_t idle_us = s->opts.idle_sleep_us;
	int phase;

	w->now = rxd_clock_ns(&s->clock);
	w->next_housekeep = w->now;
	if (h->start)
		h->start(h->arg, w);
	for (;;) {
		unsigned work;

		phase = atomic_load_explicit(&s->phase, memory_order_acquire);
		if (unlikely(phase >= RXD_PHASE_DRAIN)) {
			phase_step(w, phase);
			if (phase >= RXD_PHASE_STOP)
				break;
		}
		work = iterate(w);
		w->st.loops++;
		if (work) {
			w->st.busy_loops++;
		} else if (idle_us) {
			struct timespec ts = {0, (long)idle_us * 1000L};
			nanosleep(&ts, NULL);
		}
	}
	/* final iterations: let aborts and acks go out */
	for (unsigned i = 0; i < 4; i++)
		iterate(w);
	if (h->stop)
		h->stop(h->arg, w);
	if (w->msg)
		rxd_msg_worker_abort_all(w);
	rxd_crypto_worker_drain(w);
	flush_all(w);
	publish(w);
	rxd_worker_destroy_locals(w);
	flush_all(w);
	atomic_store_explicit(&w->live_calls, 0, memory_order_relaxed);
	atomic_store_explicit(&w->exited, true, memory_order_release);
	return 0;
}
