/* SPDX-License-Identifier: MIT */
/*
 * Statistics: per-worker shell counters, per-port ethdev counters and the
 * shards' core counters (copied by each worker under a seqcount).  Read by
 * the control thread only; the data path never waits for it.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "rxd_shell.h"

int rxd_shell_worker_stats(const struct rxd_shell *s, unsigned worker, struct rxd_worker_stats *out)
{
	if (worker >= s->n_workers)
		return -EINVAL;
	/* plain 64-bit loads of counters owned by the worker: each value is whole on 64-bit targets */
	memcpy(out, (const void *)&s->workers[worker]->st, sizeof(*out));
	return 0;
}

uint64_t rxd_worker_stats_drops(const struct rxd_worker_stats *st)
{
	return st->drop_parse + st->drop_cksum + st->drop_frag + st->drop_multiseg + st->drop_port + st->drop_fwd_full +
	       st->drop_tx_full + st->drop_nombuf + st->drop_msg + st->neigh_pending_drop;
}

void rxd_worker_core_counters(const struct rxd_worker *w, struct rxd_stats *sum, struct rxd_local_counts *counts)
{
	for (unsigned i = 0; i < w->n_locals; i++) {
		const struct rxd_local *l = w->locals[i];
		struct rxd_local_counts n;

		rxd_local_stats_add(l, sum);
		n = rxd_local_counts(l);
		counts->calls += n.calls;
		counts->conns += n.conns;
		counts->peers += n.peers;
	}
}

/* Add worker w's last published core counters (a seqcount snapshot) into out and counts. */
static void core_snap(const struct rxd_worker *w, struct rxd_stats *out, struct rxd_local_counts *counts)
{
	struct rxd_stats tmp;
	struct rxd_local_counts n;

	memset(&tmp, 0, sizeof tmp);
	memset(&n, 0, sizeof n);
	for (int tries = 0; tries < 100; tries++) {
		unsigned a = atomic_load_explicit(&((struct rxd_worker *)(uintptr_t)w)->snap_seq, memory_order_acquire);
		if (a & 1)
			continue;
		memcpy(&tmp, &w->core_snap, sizeof tmp);
		n = w->core_counts;
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&((struct rxd_worker *)(uintptr_t)w)->snap_seq, memory_order_relaxed) == a)
			break;
	}
	{
		const uint64_t *src = (const uint64_t *)(const void *)&tmp;
		uint64_t *dst = (uint64_t *)(void *)out;
		for (size_t i = 0; i < sizeof tmp / sizeof(uint64_t); i++)
			dst[i] += src[i];
	}
	if (counts) {
		counts->calls += n.calls;
		counts->conns += n.conns;
		counts->peers += n.peers;
	}
}

void rxd_shell_core_stats(const struct rxd_shell *s, struct rxd_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < s->n_workers; i++)
		core_snap(s->workers[i], out, NULL);
}

void rxd_shell_debug_counters(void *user, struct rxd_stats *sum, struct rxd_local_counts *counts)
{
	const struct rxd_worker *self = user;
	const struct rxd_shell *s = self->shell;

	for (unsigned i = 0; i < s->n_workers; i++) {
		if (s->workers[i] == self)
			rxd_worker_core_counters(self, sum, counts);
		else
			core_snap(s->workers[i], sum, counts);
	}
}

void rxd_shell_describe(const struct rxd_shell *s, FILE *f)
{
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		const struct rxd_iface *ifc = &s->iface[i];
		char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
		char ports[8 * RXD_SHELL_MAX_UDP_PORTS] = "";

		for (unsigned k = 0; k < ifc->n_udp_ports; k++)
			snprintf(ports + strlen(ports), sizeof ports - strlen(ports), "%s%u", k ? "," : "",
				 ifc->udp_ports[k]);
		if (ifc->has_ip4)
			inet_ntop(AF_INET, ifc->ip4, a4, sizeof a4);
		if (ifc->has_ip6)
			inet_ntop(AF_INET6, ifc->ip6, a6, sizeof a6);
		fprintf(f,
			"iface %u: port %u %s mac %02x:%02x:%02x:%02x:%02x:%02x ip %s/%u ip6 %s/%u udp %s mtu %u "
			"queues %u tx-cksum %s%s rx-cksum %s rss %s flow-rules %u socket %d\n",
			i, ifc->port_id, ifc->name, ifc->mac[0], ifc->mac[1], ifc->mac[2], ifc->mac[3], ifc->mac[4],
			ifc->mac[5], a4, ifc->has_ip4 ? ifc->prefix4 : 0, a6, ifc->has_ip6 ? ifc->prefix6 : 0, ports,
			ifc->mtu, ifc->nb_queues, ifc->tx_ip4_cksum ? "ip4 " : "",
			ifc->tx_udp_cksum ? "udp" : (ifc->tx_ip4_cksum ? "" : "sw"), ifc->rx_cksum ? "hw" : "sw",
			ifc->rss ? "on" : "off", ifc->flow_rules, ifc->socket);
	}
}

static double rate(uint64_t now, uint64_t prev, double secs)
{
	return secs > 0 ? (double)(now - prev) / secs : 0.0;
}

void rxd_shell_print_stats(struct rxd_shell *s, FILE *f)
{
	uint64_t now = rxd_shell_now(s);
	double secs = s->stats_prev_ns ? (double)(now - s->stats_prev_ns) / 1e9 : 0.0;

	for (unsigned i = 0; i < s->n_ifaces; i++) {
		struct rte_eth_stats es;
		uint64_t *p = s->port_prev[i];
		if (rte_eth_stats_get(s->iface[i].port_id, &es) != 0)
			continue;
		fprintf(f,
			"port %u %-12s rx %" PRIu64 " pkts (%.0f pps, %.1f Mbit/s) tx %" PRIu64
			" pkts (%.0f pps, %.1f Mbit/s) missed %" PRIu64 " ierr %" PRIu64 " oerr %" PRIu64
			" nombuf %" PRIu64 "\n",
			s->iface[i].port_id, s->iface[i].name, es.ipackets, rate(es.ipackets, p[0], secs),
			rate(es.ibytes, p[1], secs) * 8 / 1e6, es.opackets, rate(es.opackets, p[2], secs),
			rate(es.obytes, p[3], secs) * 8 / 1e6, es.imissed, es.ierrors, es.oerrors, es.rx_nombuf);
		p[0] = es.ipackets;
		p[1] = es.ibytes;
		p[2] = es.opackets;
		p[3] = es.obytes;
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker_stats st, *pv = &s->stats_prev[i];
		struct rxd_worker *w = s->workers[i];
		rxd_shell_worker_stats(s, i, &st);
		fprintf(f,
			"lcore %u w%u rx %" PRIu64 " (%.0f pps) tx %" PRIu64 " (%.0f pps) fwd out %" PRIu64
			" in %" PRIu64 " udp %" PRIu64 " arp %" PRIu64 " nd %" PRIu64 " echo %" PRIu64
			" icmp-err %" PRIu64 " drops %" PRIu64 " calls %u busy %.0f%%\n",
			w->lcore, i, st.rx_pkts, rate(st.rx_pkts, pv->rx_pkts, secs), st.tx_pkts,
			rate(st.tx_pkts, pv->tx_pkts, secs), st.fwd_out, st.fwd_in, st.rx_udp, st.rx_arp, st.rx_nd,
			st.rx_icmp_echo, st.rx_icmp_err, rxd_worker_stats_drops(&st),
			atomic_load_explicit(&w->live_calls, memory_order_relaxed),
			st.loops > pv->loops
			    ? 100.0 * (double)(st.busy_loops - pv->busy_loops) / (double)(st.loops - pv->loops)
			    : 0.0);
		*pv = st;
	}
	fflush(f);
	s->stats_prev_ns = now;
}

void rxd_shell_print_stats_json(struct rxd_shell *s, FILE *f)
{
	struct rxd_worker_stats sum, st;
	struct rxd_stats cs;
	uint64_t *a = (uint64_t *)(void *)&sum;

	memset(&sum, 0, sizeof sum);
	for (unsigned i = 0; i < s->n_workers; i++) {
		const uint64_t *b = (const uint64_t *)(const void *)&st;
		rxd_shell_worker_stats(s, i, &st);
		for (size_t k = 0; k < sizeof st / sizeof(uint64_t); k++)
			a[k] += b[k];
	}
	rxd_shell_core_stats(s, &cs);
	fprintf(f,
		"{\"workers\":%u,\"rx_pkts\":%" PRIu64 ",\"tx_pkts\":%" PRIu64 ",\"fwd_out\":%" PRIu64
		",\"fwd_in\":%" PRIu64 ",\"drops\":%" PRIu64 ",\"drop_parse\":%" PRIu64 ",\"drop_cksum\":%" PRIu64
		",\"drop_frag\":%" PRIu64 ",\"drop_fwd_full\":%" PRIu64 ",\"drop_tx_full\":%" PRIu64
		",\"drop_nombuf\":%" PRIu64 ",\"drop_msg\":%" PRIu64 ",\"neigh_pending_drop\":%" PRIu64
		",\"send_errors\":%" PRIu64 ",\"tx_deferred\":%" PRIu64 ",\"rx_arp\":%" PRIu64 ",\"rx_nd\":%" PRIu64
		",\"echo_tx\":%" PRIu64 ",\"core_tx_data\":%" PRIu64 ",\"core_retrans\":%" PRIu64
		",\"core_buf_alloc_failures\":%" PRIu64 ",\"core_crypto_jobs\":%" PRIu64
		",\"core_crypto_inline\":%" PRIu64 "}",
		s->n_workers, sum.rx_pkts, sum.tx_pkts, sum.fwd_out, sum.fwd_in, rxd_worker_stats_drops(&sum),
		sum.drop_parse, sum.drop_cksum, sum.drop_frag, sum.drop_fwd_full, sum.drop_tx_full, sum.drop_nombuf,
		sum.drop_msg, sum.neigh_pending_drop, sum.send_errors, sum.tx_deferred, sum.rx_arp, sum.rx_nd,
		sum.echo_tx, cs.tx_data, cs.tx_data_retrans, cs.buf_alloc_failures, cs.crypto_jobs, cs.crypto_inline);
}
