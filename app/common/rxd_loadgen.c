/* SPDX-License-Identifier: MIT */
/* Client load generator (see rxd_loadgen.h). */
#include "rxd_loadgen.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/wire.h>

#include "rxd_rxperf.h"

#define SCRATCH 65536u

enum gstate { G_IDLE, G_SEND, G_END, G_RECV };

struct gcall {
	struct rxd_loadgen *g;
	struct rxd_call *call;
	enum gstate st;
	uint64_t k; /* call number (pattern key) */
	uint64_t start;
	uint64_t tx_off, tx_total;
	uint64_t rx_off, rx_expect;
	bool bad;
	uint8_t hdr[28];
	uint32_t hdr_len;
};

struct rxd_loadgen {
	struct rxd_loadgen_params p;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct gcall *slots;
	unsigned active;
	uint64_t next_k;
	uint64_t deadline;
	bool stopping;
	atomic_bool done;
	uint8_t *scratch; /* request bytes being sent */
	uint8_t *expect;  /* reply bytes being checked */
	struct rxd_loadgen_stats st;
};

static uint64_t now_of(const struct rxd_loadgen *g)
{
	return g->clock(g->clock_arg);
}

/* Fill buf with request bytes [off, off + n) of call gc. */
static void request_bytes(struct gcall *gc, uint64_t off, uint8_t *buf, size_t n)
{
	struct rxd_loadgen *g = gc->g;
	uint64_t body_end;
	size_t i = 0;

	if (g->p.proto == RXD_LG_ECHO) {
		rxd_loadgen_fill(g->p.seed, gc->k, off, buf, n);
		return;
	}
	body_end = gc->hdr_len + g->p.req_size;
	while (i < n) {
		uint64_t o = off + i;
		if (o < gc->hdr_len) {
			buf[i++] = gc->hdr[o];
		} else if (o < body_end) {
			size_t take = (size_t)(body_end - o) < n - i ? (size_t)(body_end - o) : n - i;
			/* rxperf payload is zeros, as the kernel and OpenAFS send it (peers may check) */
			memset(buf + i, 0, take);
			i += take;
		} else { /* trailing cookie */
			uint8_t ck[4];
			rxd_put_be32(ck, RXD_RXPERF_COOKIE);
			buf[i++] = ck[o - body_end];
		}
	}
}

/* Expected reply bytes [off, off + n). */
static void reply_bytes(const struct gcall *gc, uint64_t off, uint8_t *buf, size_t n)
{
	const struct rxd_loadgen *g = gc->g;

	if (g->p.proto == RXD_LG_ECHO) {
		rxd_loadgen_fill(g->p.seed, gc->k, off, buf, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t o = off + i;
		buf[i] = o < g->p.resp_size ? 0 : (uint8_t)(RXD_RXPERF_COOKIE >> (8 * (3 - (o - g->p.resp_size))));
	}
}

static void note_error(struct rxd_loadgen *g, const char *fmt, uint64_t a, long long b)
{
	if (!g->st.first_error[0])
		snprintf(g->st.first_error, sizeof g->st.first_error, fmt, (unsigned long long)a, b);
}

static void pump_send(struct gcall *gc, uint64_t now)
{
	struct rxd_loadgen *g = gc->g;
	bool ended;
	ssize_t r;

	while (gc->st == G_SEND) {
		uint64_t left = gc->tx_total - gc->tx_off;
		size_t n = left < SCRATCH ? (size_t)left : SCRATCH;
		bool last = n == left;

		request_bytes(gc, gc->tx_off, g->scratch, n);
		r = rxd_app_send(gc->call, g->scratch, n, !last, &ended, now);
		if (r < 0)
			return; /* the completion reports why */
		gc->tx_off += (uint64_t)r;
		g->st.bytes_tx += (uint64_t)r;
		if ((size_t)r < n)
			return;
		if (last) {
			gc->st = ended ? G_RECV : G_END;
			return;
		}
	}
	if (gc->st == G_END) {
		rxd_app_send(gc->call, NULL, 0, false, &ended, now);
		if (ended)
			gc->st = G_RECV;
	}
}

static void on_data(void *app, struct rxd_call *call)
{
	struct gcall *gc = app;
	struct rxd_loadgen *g = gc->g;
	struct rxd_seg segs[32];
	bool eor = false;
	unsigned n;

	do {
		size_t used = 0;
		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n && !gc->bad; i++) {
			uint32_t len = segs[i].len;
			if (gc->rx_off + len > gc->rx_expect) {
				gc->bad = true;
				note_error(g, "call %llu: reply longer than %lld bytes", gc->k,
					   (long long)gc->rx_expect);
				break;
			}
			/* compare against the expected bytes, generated in scratch-sized pieces */
			for (uint32_t j = 0; j < len && !gc->bad;) {
				uint32_t piece = len - j < SCRATCH ? len - j : SCRATCH;
				reply_bytes(gc, gc->rx_off + j, g->expect, piece);
				if (memcmp(segs[i].data + j, g->expect, piece) != 0) {
					uint32_t at = 0;
					while (segs[i].data[j + at] == g->expect[at])
						at++;
					gc->bad = true;
					note_error(g, "call %llu: reply byte %lld differs", gc->k,
						   (long long)(gc->rx_off + j + at));
				}
				j += piece;
			}
			gc->rx_off += len;
		}
		for (unsigned i = 0; i < n; i++)
			used += segs[i].len;
		g->st.bytes_rx += used;
		if (used)
			rxd_call_consume(call, used, now_of(g));
	} while (n == 32);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct gcall *gc = app;

	(void)call;
	pump_send(gc, now_of(gc->g));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct gcall *gc = app;
	struct rxd_loadgen *g = gc->g;
	uint64_t now = now_of(g);
	enum rxd_completion how = rxd_call_completion(call);

	if (how == RXD_CALL_SUCCEEDED && !gc->bad && gc->rx_off == gc->rx_expect) {
		g->st.ok++;
		rxd_histo_add(&g->st.lat, now - gc->start);
	} else {
		g->st.failed++;
		if (gc->bad) {
			g->st.verify_errors++;
		} else if (how == RXD_CALL_SUCCEEDED) {
			g->st.verify_errors++;
			note_error(g, "call %llu: reply of %lld bytes is short", gc->k, (long long)gc->rx_off);
		} else {
			if (rxd_call_error(call) == -EBUSY)
				g->st.busy++;
			if (!g->st.first_error[0])
				snprintf(g->st.first_error, sizeof g->st.first_error,
					 "call %llu: %s, abort code %d, error %d", (unsigned long long)gc->k,
					 rxd_completion_name(how), rxd_call_abort_code(call), rxd_call_error(call));
		}
	}
	g->st.last_ns = now;
	rxd_call_end(call, now);
	gc->call = NULL;
	gc->st = G_IDLE;
	g->active--;
}

static const struct rxd_call_ops gops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

struct rxd_loadgen *rxd_loadgen_create(const struct rxd_loadgen_params *p, rxd_app_clock_fn clock, void *clock_arg)
{
	struct rxd_loadgen *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->p = *p;
	if (!g->p.concurrency)
		g->p.concurrency = 1;
	g->clock = clock;
	g->clock_arg = clock_arg;
	g->slots = calloc(g->p.concurrency, sizeof(*g->slots));
	g->scratch = malloc(SCRATCH);
	g->expect = malloc(SCRATCH);
	if (!g->slots || !g->scratch || !g->expect) {
		rxd_loadgen_destroy(g);
		return NULL;
	}
	rxd_histo_init(&g->st.lat);
	for (unsigned i = 0; i < g->p.concurrency; i++)
		g->slots[i].g = g;
	return g;
}

void rxd_loadgen_destroy(struct rxd_loadgen *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g->scratch);
	free(g->expect);
	free(g);
}

static bool may_begin(struct rxd_loadgen *g, uint64_t now)
{
	if (g->stopping)
		return false;
	if (g->p.calls && g->next_k >= g->p.calls)
		return false;
	if (g->p.duration_ns && g->deadline && now >= g->deadline)
		return false;
	return true;
}

static void begin(struct rxd_loadgen *g, struct gcall *gc, struct rxd_local *l, uint64_t now)
{
	struct rxd_call_params cp;
	int rc;

	memset(gc, 0, sizeof(*gc));
	gc->g = g;
	gc->k = g->next_k++;
	gc->start = now;
	if (g->p.proto == RXD_LG_RXPERF) {
		gc->hdr_len = (uint32_t)rxd_rxperf_encode_request(gc->hdr, RXD_RXPERF_RPC, (uint32_t)g->p.req_size,
								  (uint32_t)g->p.resp_size);
		gc->tx_total = gc->hdr_len + g->p.req_size + (g->p.rxperf_req_cookie ? 4 : 0);
		gc->rx_expect = rxd_rxperf_reply_len(RXD_RXPERF_RPC, (uint32_t)g->p.req_size, (uint32_t)g->p.resp_size);
	} else {
		gc->tx_total = g->p.req_size;
		gc->rx_expect = g->p.req_size;
	}
	memset(&cp, 0, sizeof cp);
	cp.peer = g->p.peer;
	cp.service_id = g->p.service_id;
	cp.security_index = g->p.security_index;
	cp.security_level = g->p.security_level;
	cp.key = g->p.key;
	cp.user_call_id = gc->k;
	cp.tx_total_len = (int64_t)gc->tx_total;
	cp.ops = &gops;
	cp.app = gc;
	g->st.started++;
	if (!g->st.first_ns)
		g->st.first_ns = now;
	rc = rxd_call_begin(l, &cp, now, &gc->call);
	if (rc) {
		g->st.failed++;
		note_error(g, "call %llu: rxd_call_begin failed: %lld", gc->k, (long long)rc);
		gc->call = NULL;
		return;
	}
	g->active++;
	gc->st = G_SEND;
	pump_send(gc, now);
}

void rxd_loadgen_poll(struct rxd_loadgen *g, struct rxd_local *l, uint64_t now)
{
	if (!g->deadline && g->p.duration_ns)
		g->deadline = now + g->p.duration_ns;
	for (unsigned i = 0; i < g->p.concurrency && may_begin(g, now); i++)
		if (g->slots[i].st == G_IDLE && !g->slots[i].call)
			begin(g, &g->slots[i], l, now);
	if (!g->active && !may_begin(g, now))
		atomic_store_explicit(&g->done, true, memory_order_release);
}

void rxd_loadgen_stop(struct rxd_loadgen *g)
{
	g->stopping = true;
}

void rxd_loadgen_abort_all(struct rxd_loadgen *g, uint64_t now)
{
	g->stopping = true;
	for (unsigned i = 0; i < g->p.concurrency; i++)
		if (g->slots[i].call)
			rxd_call_abort(g->slots[i].call, RX_USER_ABORT, now);
}

bool rxd_loadgen_done(const struct rxd_loadgen *g)
{
	return atomic_load_explicit(&((struct rxd_loadgen *)(uintptr_t)g)->done, memory_order_acquire);
}

const struct rxd_loadgen_stats *rxd_loadgen_stats(const struct rxd_loadgen *g)
{
	return &g->st;
}
