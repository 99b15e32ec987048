/* SPDX-License-Identifier: MIT */
/*
 * sim_net: deterministic virtual network, virtual clock and buffer accounting
 * for rxd engines.  See sim_net.h.
 */
#include "sim_net.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_rng.h"

#define SIM_TRACE_RING 16384u
#define SIM_LIVELOCK_STEPS 20000u

/* Datagrams to one engine within this long of each other are delivered as one batch. */
#define SIM_BATCH_NS 20000u
#define SIM_BATCH_MAX 32u

enum sim_ev_kind {
	SIM_EV_PKT,
	SIM_EV_ICMP,
	SIM_EV_MTU,
	SIM_EV_APP,
};

struct sim_ev {
	uint64_t at;
	uint64_t seq;
	uint8_t kind;
	uint8_t src, dst;
	int err;
	uint32_t len;	   /* PKT: datagram length; ICMP/MTU: mtu */
	uint64_t wire_seq; /* PKT: its place in the order src put datagrams on the wire to dst */
	struct rxd_buf *buf;
	sim_event_fn fn;
	void *arg;
};

struct sim_trace {
	uint64_t t;
	uint8_t src, dst;
	char fate;
	uint8_t type, flags;
	uint32_t len;
	uint32_t cid, call, seq, serial;
	uint32_t a, b, c; /* ACK: first, prev, serial; ABORT: code */
	uint8_t reason, nacks;
};

struct sim_engine {
	struct sim_net *net;
	unsigned idx;
	struct rxd_addr addr;
	struct rxd_local *local;
	struct test_io io;  /* its io_ctx: buffers from the net's pool, send() gathers into sim_tx() */
	uint64_t link_free; /* egress link busy until */
	uint64_t stuck_now;
	unsigned stuck;
	unsigned crypto_held; /* jobs its crypto engine holds */
};

struct sim_net {
	unsigned n;
	uint64_t seed;
	uint64_t now;
	uint64_t seq;
	bool trace;
	struct sim_rng rng;
	struct sim_rng crypto_rng; /* the crypto engines' delays (the link's randomness stays as without) */
	uint64_t crypto_delay_ns;
	struct sim_link link;
	struct rxd_config config;
	struct test_io_pool pool; /* buffers; in_flight marks those held by queued packets */
	struct sim_engine eng[SIM_MAX_ENGINES];

	struct sim_ev *heap;
	size_t heap_len, heap_cap;
	uint64_t wire_events; /* PKT + ICMP queued */

	uint64_t inflight_bufs;
	struct sim_net_stats st;
	/* per direction: datagrams put on the wire, and the latest of them delivered (counts reordering) */
	uint64_t wire_sent[SIM_MAX_ENGINES][SIM_MAX_ENGINES];
	uint64_t wire_top[SIM_MAX_ENGINES][SIM_MAX_ENGINES];

	struct sim_trace *ring;
	uint64_t ring_pos;
	uint8_t scratch[TEST_IO_MAX_DGRAM + 1];
};

/* ------------------------------------------------------------------ helpers */

void sim_link_default(struct sim_link *l)
{
	memset(l, 0, sizeof(*l));
	l->delay_ns = RXD_NS_PER_MS;
	l->bandwidth_bps = 1000000000ull;
	l->queue_ns = 50 * RXD_NS_PER_MS;
	l->mtu = 1500;
	l->csum_catch = 0.5;
}

static void sim_violation(void *arg, const char *what)
{
	const struct sim_net *n = arg;

	fprintf(stderr, "sim[seed %" PRIu64 " t=%.6fs]: io contract violation: %s\n", n->seed, n->now / 1e9, what);
}

static int sim_find_engine(const struct sim_net *n, const struct rxd_addr *a)
{
	for (unsigned i = 0; i < n->n; i++) {
		const struct rxd_addr *e = &n->eng[i].addr;
		if (a->family == e->family && a->port == e->port && memcmp(a->ip.v4, e->ip.v4, 4) == 0)
			return (int)i;
	}
	return -1;
}

/* ------------------------------------------------------------------ event heap */

static bool sim_ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void sim_push(struct sim_net *n, struct sim_ev *ev)
{
	size_t i;

	if (n->heap_len == n->heap_cap) {
		size_t cap = n->heap_cap ? n->heap_cap * 2 : 1024;
		struct sim_ev *h = realloc(n->heap, cap * sizeof(*h));
		if (!h) {
			fprintf(stderr, "sim: out of memory for the event heap\n");
			if (ev->buf)
				test_io_buf_drop(&n->pool, ev->buf);
			return;
		}
		n->heap = h;
		n->heap_cap = cap;
	}
	ev->seq = n->seq++;
	if (ev->kind == SIM_EV_PKT || ev->kind == SIM_EV_ICMP)
		n->wire_events++;
	if (ev->buf) {
		ev->buf->in_flight++;
		n->inflight_bufs++;
	}
	i = n->heap_len++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!sim_ev_before(ev, &n->heap[p]))
			break;
		n->heap[i] = n->heap[p];
		i = p;
	}
	n->heap[i] = *ev;
}

static void sim_pop(struct sim_net *n, struct sim_ev *out)
{
	struct sim_ev last;
	size_t i = 0;

	*out = n->heap[0];
	last = n->heap[--n->heap_len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = l;
		if (l >= n->heap_len)
			break;
		if (r < n->heap_len && sim_ev_before(&n->heap[r], &n->heap[l]))
			m = r;
		if (!sim_ev_before(&n->heap[m], &last))
			break;
		n->heap[i] = n->heap[m];
		i = m;
	}
	if (n->heap_len)
		n->heap[i] = last;
	if (out->kind == SIM_EV_PKT || out->kind == SIM_EV_ICMP)
		n->wire_events--;
	if (out->buf) {
		out->buf->in_flight--;
		n->inflight_bufs--;
	}
}

/* ------------------------------------------------------------------ trace */

static void sim_trace_print(const struct sim_net *n, FILE *f, const struct sim_trace *t)
{
	fprintf(f, "  %14.6f %c e%u->e%u %-9s len %5u cid %08x call %u seq %u serial %u flags %02x", t->t / 1e9,
		t->fate, t->src, t->dst, rxd_pkt_type_name(t->type), t->len, t->cid, t->call, t->seq, t->serial,
		t->flags);
	if (t->type == RXD_PKT_ACK)
		fprintf(f, " [%s first %u prev %u acks-serial %u nacks %u]", rxd_ack_reason_name(t->reason), t->a, t->b,
			t->c, t->nacks);
	else if (t->type == RXD_PKT_ABORT)
		fprintf(f, " [code %d]", (int32_t)t->a);
	fputc('\n', f);
	(void)n;
}

static void sim_trace(struct sim_net *n, char fate, unsigned src, unsigned dst, const uint8_t *p, uint32_t len)
{
	struct sim_trace *t = &n->ring[n->ring_pos++ % SIM_TRACE_RING];

	memset(t, 0, sizeof(*t));
	t->t = n->now;
	t->fate = fate;
	t->src = (uint8_t)src;
	t->dst = (uint8_t)dst;
	t->len = len;
	if (len >= RXD_WIRE_HDR_LEN) {
		t->cid = rxd_get_be32(p + 4);
		t->call = rxd_get_be32(p + 8);
		t->seq = rxd_get_be32(p + 12);
		t->serial = rxd_get_be32(p + 16);
		t->type = p[20];
		t->flags = p[21];
		if (t->type == RXD_PKT_ACK && len >= RXD_WIRE_HDR_LEN + RXD_ACK_BODY_LEN) {
			const uint8_t *b = p + RXD_WIRE_HDR_LEN;
			t->a = rxd_get_be32(b + 4);
			t->b = rxd_get_be32(b + 8);
			t->c = rxd_get_be32(b + 12);
			t->reason = b[16];
			t->nacks = b[17];
		} else if (t->type == RXD_PKT_ABORT && len >= RXD_WIRE_HDR_LEN + 4) {
			t->a = rxd_get_be32(p + RXD_WIRE_HDR_LEN);
		}
	}
	if (n->trace)
		sim_trace_print(n, stderr, t);
}

void sim_net_dump_trace(const struct sim_net *n, FILE *f, uint32_t match_cid, unsigned max_lines)
{
	uint64_t end = n->ring_pos, start = end > SIM_TRACE_RING ? end - SIM_TRACE_RING : 0;
	uint64_t i = end;
	unsigned found = 0;

	/* walk back to find where the last max_lines matches begin */
	while (i > start && found < max_lines) {
		const struct sim_trace *t = &n->ring[(i - 1) % SIM_TRACE_RING];
		if (!match_cid || (t->cid & ~RXD_CID_CHANNEL_MASK) == (match_cid & ~RXD_CID_CHANNEL_MASK))
			found++;
		i--;
	}
	fprintf(f,
		"  packet trace (%u events%s; fates: S sent, R delivered, L lost, Q queue drop, M mtu drop, "
		"F fragmented, C corrupted, X checksum drop, D duplicate, N no route):\n",
		found, match_cid ? " of this connection" : "");
	for (; i < end; i++) {
		const struct sim_trace *t = &n->ring[i % SIM_TRACE_RING];
		if (!match_cid || (t->cid & ~RXD_CID_CHANNEL_MASK) == (match_cid & ~RXD_CID_CHANNEL_MASK))
			sim_trace_print(n, f, t);
	}
}

/* ------------------------------------------------------------------ transmit */

static void sim_schedule_icmp(struct sim_net *n, unsigned src, unsigned dst, int err, uint32_t mtu)
{
	struct sim_ev ev = {0};

	ev.at = n->now + n->link.delay_ns / 2 + 1;
	ev.kind = SIM_EV_ICMP;
	ev.src = (uint8_t)src;
	ev.dst = (uint8_t)dst;
	ev.err = err;
	ev.len = mtu;
	sim_push(n, &ev);
	n->st.icmp_sent++;
}

/* Put one datagram on the wire from engine src to dst; takes over b's one reference. */
static void sim_transmit(struct sim_net *n, unsigned src, unsigned dst, struct rxd_buf *b, uint32_t len, unsigned flags,
			 bool may_dup)
{
	const struct sim_link *L = &n->link;
	struct sim_engine *e = &n->eng[src];
	uint64_t size_ip = (uint64_t)len + SIM_IP_UDP_HDR;
	unsigned frags = 1;
	uint64_t depart, at;
	struct sim_ev ev = {0};

	if (may_dup && sim_rng_chance(&n->rng, L->dup)) {
		struct rxd_buf *c = test_io_buf_copy(&n->pool, b, len);
		if (c) {
			n->st.duplicated++;
			sim_trace(n, 'D', src, dst, c->data, len);
			sim_transmit(n, src, dst, c, len, flags, false);
		}
	}

	if (size_ip > L->mtu) {
		if (flags & RXD_TX_DONTFRAG) {
			n->st.mtu_drops++;
			n->st.mtu_drops_data += b->data[20] == RXD_PKT_DATA;
			sim_trace(n, 'M', src, dst, b->data, len);
			if (!L->no_icmp)
				sim_schedule_icmp(n, src, dst, -EMSGSIZE, L->mtu);
			test_io_buf_drop(&n->pool, b);
			return;
		}
		/* IPv4 fragmentation: fragment payloads are multiples of 8 bytes. */
		uint64_t per = ((L->mtu - 20) / 8) * 8;
		frags = (unsigned)((len + 8 + per - 1) / per);
		size_ip += (uint64_t)(frags - 1) * 20;
		n->st.fragmented++;
		sim_trace(n, 'F', src, dst, b->data, len);
	}

	depart = n->now > e->link_free ? n->now : e->link_free;
	if (L->bandwidth_bps) {
		if (depart - n->now > L->queue_ns) {
			n->st.queue_drops++;
			sim_trace(n, 'Q', src, dst, b->data, len);
			test_io_buf_drop(&n->pool, b);
			return;
		}
		e->link_free = depart + size_ip * 8ull * RXD_NS_PER_SEC / L->bandwidth_bps;
	}

	for (unsigned i = 0; i < frags; i++) {
		if (sim_rng_chance(&n->rng, L->loss)) {
			n->st.lost++;
			sim_trace(n, 'L', src, dst, b->data, len);
			test_io_buf_drop(&n->pool, b);
			return;
		}
	}

	if (sim_rng_chance(&n->rng, L->corrupt)) {
		/* Bias towards the header and the start of bodies, where validation lives. */
		uint32_t pos = sim_rng_chance(&n->rng, 0.6) ? (uint32_t)sim_rng_below(&n->rng, len < 64 ? len : 64)
							    : (uint32_t)sim_rng_below(&n->rng, len);
		b->data[pos] ^= (uint8_t)sim_rng_range(&n->rng, 1, 255);
		n->st.corrupted++;
		if (sim_rng_chance(&n->rng, L->csum_catch)) {
			n->st.csum_drops++;
			sim_trace(n, 'X', src, dst, b->data, len);
			test_io_buf_drop(&n->pool, b);
			return;
		}
		n->st.corrupt_delivered++;
		sim_trace(n, 'C', src, dst, b->data, len);
	}

	at = depart + L->delay_ns + sim_rng_below(&n->rng, L->jitter_ns + 1);
	if (sim_rng_chance(&n->rng, L->reorder))
		at += sim_rng_below(&n->rng, L->reorder_ns + 1);
	ev.at = at;
	ev.kind = SIM_EV_PKT;
	ev.src = (uint8_t)src;
	ev.dst = (uint8_t)dst;
	ev.len = len;
	ev.wire_seq = ++n->wire_sent[src][dst];
	ev.buf = b;
	sim_push(n, &ev); /* the queued packet now owns b's reference */
}

/* test_io's send() checked and gathered the datagram into b: route it. */
static int sim_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	struct sim_engine *e = arg;
	struct sim_net *n = e->net;
	int di;

	n->st.sent_by_type[b->data[20] < RXD_PKT__MAX ? b->data[20] : RXD_PKT__MAX]++;
	di = sim_find_engine(n, dst);
	if (di < 0 || (unsigned)di == e->idx) {
		n->st.no_route++;
		sim_trace(n, 'N', e->idx, e->idx, b->data, len);
		test_io_buf_drop(&n->pool, b);
		return 0;
	}
	sim_trace(n, 'S', e->idx, (unsigned)di, b->data, len);
	sim_transmit(n, e->idx, (unsigned)di, b, len, flags, true);
	return 0;
}

/* ------------------------------------------------------------------ delivery */

static void sim_deliver(struct sim_net *n, struct sim_ev *ev)
{
	struct sim_engine *d = &n->eng[ev->dst];
	struct rxd_buf *b = ev->buf;

	n->st.delivered++;
	n->st.delivered_bytes += ev->len;
	if (b->data[20] == RXD_PKT_DATA && ev->len > n->st.largest_data)
		n->st.largest_data = ev->len;
	if (test_io_is_pmtud_probe(b->data, ev->len) && ev->len > n->st.largest_probe)
		n->st.largest_probe = ev->len;
	/* Overtaken by a datagram put on the wire after it: delivered out of order. */
	if (ev->wire_seq < n->wire_top[ev->src][ev->dst])
		n->st.reordered++;
	else
		n->wire_top[ev->src][ev->dst] = ev->wire_seq;
	sim_trace(n, 'R', ev->src, ev->dst, b->data, ev->len);
	if (sim_rng_chance(&n->rng, n->link.transient)) {
		/* Hand the core transient bytes; poison them afterwards so retained pointers show. */
		n->st.transient++;
		memcpy(n->scratch, b->data, ev->len);
		test_io_buf_drop(&n->pool, b);
		rxd_local_input(d->local, &n->eng[ev->src].addr, NULL, n->scratch, ev->len, n->now);
		memset(n->scratch, 0xdb, ev->len);
		return;
	}
	rxd_local_input(d->local, &n->eng[ev->src].addr, b, b->data, ev->len, n->now);
}

static void sim_process(struct sim_net *n, struct sim_ev *ev)
{
	n->st.events++;
	switch (ev->kind) {
	case SIM_EV_PKT:
		sim_deliver(n, ev);
		break;
	case SIM_EV_ICMP:
		if (n->trace)
			fprintf(stderr, "  %14.6f ICMP e%u: %d mtu %u about e%u\n", n->now / 1e9, ev->src, ev->err,
				ev->len, ev->dst);
		rxd_local_input_error(n->eng[ev->src].local, &n->eng[ev->dst].addr, ev->err, ev->len, n->now);
		break;
	case SIM_EV_MTU:
		if (n->trace)
			fprintf(stderr, "  %14.6f path MTU %u -> %u\n", n->now / 1e9, n->link.mtu, ev->len);
		if (n->link.mtu != ev->len)
			n->st.mtu_changes++;
		n->link.mtu = ev->len;
		break;
	case SIM_EV_APP:
		ev->fn(ev->arg, n->now);
		break;
	}
}

const char *sim_run_result_name(enum sim_run_result r)
{
	switch (r) {
	case SIM_RUN_DONE:
		return "done";
	case SIM_RUN_IDLE:
		return "idle";
	case SIM_RUN_TIME_LIMIT:
		return "time limit";
	case SIM_RUN_STEP_LIMIT:
		return "step limit";
	case SIM_RUN_LIVELOCK:
		return "timer livelock";
	}
	return "?";
}

enum sim_run_result sim_net_run(struct sim_net *n, bool (*done)(void *arg), void *arg, uint64_t until,
				uint64_t max_steps)
{
	for (uint64_t step = 0;; step++) {
		uint64_t te = RXD_TIME_NEVER, tp, t;
		unsigned ei = 0;

		if (done && done(arg))
			return SIM_RUN_DONE;
		if (step >= max_steps)
			return SIM_RUN_STEP_LIMIT;
		for (unsigned i = 0; i < n->n; i++) {
			uint64_t x = rxd_local_next_expiry(n->eng[i].local);
			if (x < te) {
				te = x;
				ei = i;
			}
		}
		tp = n->heap_len ? n->heap[0].at : RXD_TIME_NEVER;
		t = te < tp ? te : tp;
		if (t == RXD_TIME_NEVER)
			return SIM_RUN_IDLE;
		if (t > until) {
			if (until > n->now)
				n->now = until;
			return SIM_RUN_TIME_LIMIT;
		}
		if (t > n->now)
			n->now = t;
		n->st.steps++;
		if (tp <= te) {
			struct sim_ev ev;
			sim_pop(n, &ev);
			if (ev.kind == SIM_EV_PKT && n->heap_len && n->heap[0].kind == SIM_EV_PKT &&
			    n->heap[0].dst == ev.dst && n->heap[0].at - ev.at <= SIM_BATCH_NS) {
				/* Like a DPDK rx burst: datagrams that arrived close together are
				 * handled in one batch, at the time of the last (ACKs coalesce). */
				struct rxd_local *l = n->eng[ev.dst].local;
				unsigned k = 1;
				rxd_local_batch_begin(l, n->now);
				sim_process(n, &ev);
				while (k < SIM_BATCH_MAX && n->heap_len && n->heap[0].kind == SIM_EV_PKT &&
				       n->heap[0].dst == ev.dst && n->heap[0].at - ev.at <= SIM_BATCH_NS) {
					struct sim_ev e2;
					sim_pop(n, &e2);
					if (e2.at > n->now)
						n->now = e2.at;
					sim_process(n, &e2);
					k++;
				}
				n->st.batches++;
				rxd_local_batch_end(l, n->now);
			} else {
				sim_process(n, &ev);
			}
		} else {
			struct sim_engine *e = &n->eng[ei];
			if (e->stuck_now == n->now) {
				if (++e->stuck > SIM_LIVELOCK_STEPS) {
					fprintf(stderr,
						"sim[seed %" PRIu64 "]: engine %u: rxd_local_next_expiry() = %" PRIu64
						" <= now %" PRIu64
						" after %u rxd_local_expire() calls at the same time\n",
						n->seed, ei, te, n->now, e->stuck);
					return SIM_RUN_LIVELOCK;
				}
			} else {
				e->stuck_now = n->now;
				e->stuck = 0;
			}
			n->st.expiries++;
			rxd_local_expire(e->local, n->now);
		}
	}
}

/* ------------------------------------------------------------------ crypto engines */

#define SIM_CRYPTO_CAP 16u

static void sim_crypto_finish(void *arg, uint64_t now)
{
	struct rxd_crypto_job *j = arg;
	struct sim_engine *e = j->engine;

	e->crypto_held--;
	rxd_crypto_run(&j, 1);
	rxd_local_crypto_done(e->local, &j, 1, now);
}

/* Takes jobs while it holds fewer than SIM_CRYPTO_CAP: beyond, the shard keeps them (back-pressure). */
static unsigned sim_crypto_submit(void *ctx, struct rxd_crypto_job *const *jobs, unsigned n)
{
	struct sim_engine *e = ctx;
	struct sim_net *net = e->net;
	unsigned took = 0;

	for (; took < n && e->crypto_held < SIM_CRYPTO_CAP; took++) {
		jobs[took]->engine = e;
		e->crypto_held++;
		sim_net_schedule(net, net->now + 1 + sim_rng_below(&net->crypto_rng, net->crypto_delay_ns),
				 sim_crypto_finish, jobs[took]);
	}
	return took;
}

static const struct rxd_crypto_ops sim_crypto_ops = {sim_crypto_submit};

/* ------------------------------------------------------------------ lifecycle */

int sim_net_create(const struct sim_net_params *p, struct sim_net **out)
{
	struct sim_net *n;

	if (p->n_engines == 0 || p->n_engines > SIM_MAX_ENGINES)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->ring = calloc(SIM_TRACE_RING, sizeof(*n->ring));
	if (!n->ring) {
		free(n);
		return -ENOMEM;
	}
	n->n = p->n_engines;
	n->seed = p->seed;
	n->now = p->start_ns;
	n->trace = p->trace;
	n->link = p->link;
	sim_rng_seed(&n->rng, sim_mix64(p->seed) ^ 0x6e6574ull);
	sim_rng_seed(&n->crypto_rng, sim_mix64(p->seed) ^ 0x637279ull);
	n->crypto_delay_ns = p->crypto_delay_ns;
	if (p->config)
		n->config = *p->config;
	else
		rxd_config_default(&n->config);
	n->pool.limit = &n->link.buf_limit;
	n->pool.on_violation = sim_violation;
	n->pool.violation_arg = n;

	for (unsigned i = 0; i < n->n; i++) {
		struct sim_engine *e = &n->eng[i];
		struct rxd_local_params lp;
		int rc;

		e->net = n;
		e->idx = i;
		e->addr.family = RXD_AF_INET;
		e->addr.port = 7000;
		e->addr.ip.v4[0] = 10;
		e->addr.ip.v4[1] = 0;
		e->addr.ip.v4[2] = 0;
		e->addr.ip.v4[3] = (uint8_t)(i + 1);
		e->stuck_now = UINT64_MAX;
		test_io_init(&e->io, &n->pool, sim_tx, e);
		memset(&lp, 0, sizeof(lp));
		lp.addr = e->addr;
		lp.config = &n->config;
		lp.io = &test_io_ops;
		lp.io_ctx = &e->io;
		lp.seed = sim_mix64(p->seed * 131 + i + 1);
		if (n->crypto_delay_ns) {
			lp.crypto = &sim_crypto_ops;
			lp.crypto_ctx = e;
		}
		rc = rxd_local_create(&lp, n->now, &e->local);
		if (rc < 0) {
			fprintf(stderr, "sim: rxd_local_create(engine %u) = %d\n", i, rc);
			n->n = i;
			sim_net_destroy(n);
			return rc;
		}
	}
	*out = n;
	return 0;
}

uint64_t sim_net_destroy(struct sim_net *n)
{
	uint64_t leaked;

	/* Jobs the crypto engines hold go back first (a shard is destroyed with none in flight);
	 * what that sends is dropped with the rest of the queue. */
	while (n->heap_len) {
		struct sim_ev ev;
		sim_pop(n, &ev);
		if (ev.kind == SIM_EV_APP && ev.fn == sim_crypto_finish)
			sim_crypto_finish(ev.arg, n->now);
		else if (ev.buf)
			test_io_buf_drop(&n->pool, ev.buf);
	}
	for (unsigned i = 0; i < n->n; i++)
		if (n->eng[i].local)
			rxd_local_destroy(n->eng[i].local);
	while (n->heap_len) {
		struct sim_ev ev;
		sim_pop(n, &ev);
		if (ev.buf)
			test_io_buf_drop(&n->pool, ev.buf);
	}
	leaked = test_io_pool_fini(&n->pool);
	if (leaked)
		fprintf(stderr, "sim[seed %" PRIu64 "]: %" PRIu64 " buffers leaked after rxd_local_destroy()\n",
			n->seed, leaked);
	free(n->heap);
	free(n->ring);
	free(n);
	return leaked;
}

/* ------------------------------------------------------------------ accessors */

unsigned sim_net_count(const struct sim_net *n)
{
	return n->n;
}

struct rxd_local *sim_net_local(struct sim_net *n, unsigned i)
{
	return n->eng[i].local;
}

const struct rxd_addr *sim_net_addr(const struct sim_net *n, unsigned i)
{
	return &n->eng[i].addr;
}

uint64_t sim_net_now(const struct sim_net *n)
{
	return n->now;
}

struct sim_link *sim_net_link(struct sim_net *n)
{
	return &n->link;
}

uint64_t sim_net_seed(const struct sim_net *n)
{
	return n->seed;
}

void sim_net_set_mtu_at(struct sim_net *n, uint64_t at, uint32_t mtu)
{
	struct sim_ev ev = {0};

	ev.at = at;
	ev.kind = SIM_EV_MTU;
	ev.len = mtu;
	sim_push(n, &ev);
}

void sim_net_schedule(struct sim_net *n, uint64_t at, sim_event_fn fn, void *arg)
{
	struct sim_ev ev = {0};

	ev.at = at < n->now ? n->now : at;
	ev.kind = SIM_EV_APP;
	ev.fn = fn;
	ev.arg = arg;
	sim_push(n, &ev);
}

bool sim_net_wire_empty(const struct sim_net *n)
{
	return n->wire_events == 0;
}

const struct sim_net_stats *sim_net_stats(const struct sim_net *n)
{
	return &n->st;
}

const struct test_io_stats *sim_net_io_stats(const struct sim_net *n)
{
	return &n->pool.st;
}

uint64_t sim_net_live_bufs(const struct sim_net *n)
{
	return n->pool.st.live;
}

uint64_t sim_net_inflight_bufs(const struct sim_net *n)
{
	return n->inflight_bufs;
}

void sim_net_dump_engines(struct sim_net *n, FILE *f)
{
	for (unsigned i = 0; i < n->n; i++) {
		struct rxd_local *l = n->eng[i].local;
		struct rxd_stats s;
		uint64_t nx = rxd_local_next_expiry(l);
		char addr[64];

		memset(&s, 0, sizeof(s));
		rxd_local_stats_add(l, &s);
		rxd_addr_format(&n->eng[i].addr, addr, sizeof(addr));
		fprintf(f, "  engine %u (%s epoch %08x): calls %u conns %u peers %u, next expiry %s%.6fs\n", i, addr,
			rxd_local_epoch(l), rxd_local_counts(l).calls, rxd_local_counts(l).conns,
			rxd_local_counts(l).peers, nx == RXD_TIME_NEVER ? "never " : "in ",
			nx == RXD_TIME_NEVER ? 0.0 : ((double)nx - (double)n->now) / 1e9);
		fprintf(f, "    tx:");
		for (unsigned t = 0; t <= RXD_PKT__MAX; t++)
			if (s.tx_packets[t])
				fprintf(f, " %s %" PRIu64, rxd_pkt_type_name(t), s.tx_packets[t]);
		fprintf(f, " | rx:");
		for (unsigned t = 0; t <= RXD_PKT__MAX; t++)
			if (s.rx_packets[t])
				fprintf(f, " %s %" PRIu64, rxd_pkt_type_name(t), s.rx_packets[t]);
		fprintf(f,
			"\n    data %" PRIu64 " retrans %" PRIu64 " rto %" PRIu64 " tlp %" PRIu64 " fast %" PRIu64
			" busy %" PRIu64 " tx_errors %" PRIu64 " alloc_fail %" PRIu64 "\n",
			s.tx_data, s.tx_data_retrans, s.rto_fired, s.tlp_fired, s.fast_retrans, s.busy_sent,
			s.tx_errors, s.buf_alloc_failures);
		fprintf(f, "    discards:");
		for (unsigned r = 1; r < RXD_R__MAX; r++)
			if (s.discards[r])
				fprintf(f, " %s %" PRIu64, rxd_reason_name((enum rxd_reason)r), s.discards[r]);
		fputc('\n', f);
	}
	fprintf(f,
		"  net: sent %" PRIu64 " delivered %" PRIu64 " lost %" PRIu64 " qdrop %" PRIu64 " mtu %" PRIu64
		" dup %" PRIu64 " corrupt %" PRIu64 " (delivered %" PRIu64 ") icmp %" PRIu64 " live bufs %" PRIu64
		" (in flight %" PRIu64 ")\n",
		n->pool.st.sent, n->st.delivered, n->st.lost, n->st.queue_drops, n->st.mtu_drops, n->st.duplicated,
		n->st.corrupted, n->st.corrupt_delivered, n->st.icmp_sent, n->pool.st.live, n->inflight_bufs);
}
