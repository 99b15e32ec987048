/* SPDX-License-Identifier: MIT */
/*
 * sim_app: the client/server workload and its end-to-end checks.  See sim_app.h.
 *
 * Re-entrancy: notifications arrive synchronously from inside rxd_* calls,
 * including our own rxd_call_send/recv/abort.  Each call record therefore has
 * a busy depth; a notification that finds the record busy only sets `again`
 * (data/writable) or records the completion, and the outermost frame finishes
 * the work.  New calls and deferred ends are started from scheduled events,
 * never from inside another call's notification.
 */
#include "sim_app.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/security.h>

#include "sim_rng.h"

#define SIM_MAGIC 0x52584453u /* "RXDS" */
#define SIM_SCRATCH (1u << 20)
#define SIM_MAX_SEGS 8u
#define SIM_HUGE_LEN (16u << 20)

struct sim_scall;

struct sim_ccall {
	struct sim_app *a;
	unsigned idx, lane;
	struct sim_call_plan p;
	struct rxd_call *call;
	uint64_t tag, req_seed, reply_seed;
	uint32_t reply_len;
	uint8_t hdr[SIM_REQ_HDR_LEN];
	uint64_t t_begin, t_complete, t_req_done;
	uint64_t sent, rcvd;
	unsigned completes;
	int busy;
	bool again, started, req_done, eor, completed, finished, ended, ending, action_done, abort_noop;
	bool stalled, mismatch;
	enum rxd_completion comp;
	int32_t code;
	int err;
	uint32_t cid, callno;
	unsigned srv_seen;
	struct sim_scall *srv;
};

struct sim_scall {
	struct sim_app *a;
	struct rxd_call *call;
	unsigned engine;
	uint8_t hdr[SIM_REQ_HDR_LEN];
	uint32_t hdr_have;
	bool parsed, short_req;
	struct sim_ccall *cc;
	uint64_t tag, req_seed, reply_seed;
	uint32_t req_len, reply_len;
	enum sim_action action;
	uint32_t action_at;
	int32_t action_code;
	uint32_t think_us, send_chunk, recv_chunk;
	bool peek, end_deferred;
	uint64_t rcvd, sent, t_new, t_complete;
	unsigned completes;
	int busy;
	bool again, req_done, replying, reply_done, completed, finished, ended, ending, action_done, mismatch;
	bool checked;
	enum rxd_completion comp;
	int32_t code;
	int err;
	uint32_t cid, callno;
};

struct sim_lane {
	unsigned phase;
	unsigned *calls;
	unsigned n, cap, next;
};

struct sim_phase {
	struct sim_app *a;
	unsigned idx;
	uint64_t gap_ns;
	bool expect_reaped;
	unsigned lanes_left;
};

struct sim_server {
	struct sim_app *a;
	unsigned engine;
	struct rxd_service *svc;
	unsigned new_calls;
	uint64_t next_charge_id;
};

struct sim_app {
	struct sim_app_params p;
	struct sim_net *net;
	/* rxkad: one service key, a client key with a ticket sealed with it */
	struct rxd_rxkad_des_key rxkad_skey;
	struct rxd_rxkad_server rxkad_srv;
	struct rxd_rxkad_key rxkad_key;
	uint8_t rxkad_tkt[128];
	uint32_t seed32;
	struct sim_phase *phases;
	unsigned nphases, phases_cap;
	struct sim_lane *lanes;
	unsigned nlanes, lanes_cap;
	struct sim_ccall *calls;
	unsigned ncalls, calls_cap;
	struct sim_scall **scalls;
	unsigned nscalls, scalls_cap;
	struct sim_server srv[SIM_MAX_ENGINES];
	bool all_done, detached, engines_dumped, started;
	unsigned clients_active, servers_active;
	unsigned printed;
	struct sim_app_result res;
	uint8_t *txbuf, *rxbuf;
};

static const struct rxd_call_ops sim_client_ops;
static const struct rxd_call_ops sim_server_call_ops;
static const struct rxd_call_ops sim_service_ops;

static void sim_lane_advance(struct sim_ccall *c);
static void cc_check(struct sim_ccall *c);
static void pair_maybe_check(struct sim_scall *s);

/* ------------------------------------------------------------------ small helpers */

const char *sim_action_name(enum sim_action a)
{
	switch (a) {
	case SIM_ACT_NONE:
		return "none";
	case SIM_ACT_CLIENT_ABORT_REQ:
		return "client-abort-in-request";
	case SIM_ACT_CLIENT_ABORT_REPLY:
		return "client-abort-in-reply";
	case SIM_ACT_CLIENT_END_REPLY:
		return "client-end-in-reply";
	case SIM_ACT_SERVER_ABORT_REQ:
		return "server-abort-in-request";
	case SIM_ACT_SERVER_ABORT_REPLY:
		return "server-abort-in-reply";
	}
	return "?";
}

static uint64_t now_of(const struct sim_app *a)
{
	return sim_net_now(a->net);
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static uint32_t short_reply_len(uint32_t req_len)
{
	return req_len ? (req_len * 13u) % 211u : 0;
}

static uint64_t short_req_seed(uint32_t len)
{
	return sim_mix64(0x5348000000000000ull + len);
}

static uint64_t short_reply_seed(uint32_t len)
{
	return sim_mix64(0x5250000000000000ull + len);
}

static uint64_t tag_req_seed(uint64_t tag)
{
	return sim_mix64(tag ^ 0x7265717565737431ull);
}

static uint64_t tag_reply_seed(uint64_t tag)
{
	return sim_mix64(tag ^ 0x7265706c79213231ull);
}

static void *grow(void *p, unsigned *cap, unsigned need, size_t elem)
{
	unsigned c = *cap ? *cap : 8;
	void *q;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	q = realloc(p, (size_t)c * elem);
	if (!q) {
		fprintf(stderr, "sim_app: out of memory\n");
		abort();
	}
	*cap = c;
	return q;
}

/* ------------------------------------------------------------------ failures and diagnostics */

/* The call's cid, remembered: the core may report 0 once the call left its channel. */
static uint32_t cc_cid(const struct sim_ccall *c)
{
	uint32_t cid = c->call ? rxd_call_cid(c->call) : 0;

	return cid ? cid : c->cid;
}

static uint32_t ss_cid(const struct sim_scall *s)
{
	uint32_t cid = s->call ? rxd_call_cid(s->call) : 0;

	return cid ? cid : s->cid;
}

static bool sim_should_print(struct sim_app *a)
{
	return a->printed < (a->p.max_print ? a->p.max_print : 3);
}

static void sim_vfail(struct sim_app *a, const char *fmt, va_list ap)
{
	a->res.failures++;
	if (!sim_should_print(a))
		return;
	a->printed++;
	fprintf(stderr, "FAIL [%s seed %" PRIu64 " t=%.6fs]: ", a->p.name ? a->p.name : "sim", sim_net_seed(a->net),
		secs(now_of(a)));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sim_app_fail(struct sim_app *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_vfail(a, fmt, ap);
	va_end(ap);
}

static void sim_dump_engines_once(struct sim_app *a)
{
	if (a->engines_dumped)
		return;
	a->engines_dumped = true;
	sim_net_dump_engines(a->net, stderr);
}

static void ss_describe(const struct sim_scall *s, FILE *f)
{
	fprintf(f,
		"    server e%u: new at %.6f, tag %s%" PRIx64 ", rcvd %" PRIu64 "/%u%s, sent %" PRIu64 "/%u%s, %s, "
		"completion %s code %d err %d (%u notifications)%s, cid %08x call %u\n",
		s->engine, secs(s->t_new), s->parsed ? "" : "(unparsed) ", s->tag, s->rcvd, s->req_len,
		s->req_done ? " eor" : "", s->sent, s->reply_len, s->reply_done ? " done" : "",
		s->call ? rxd_call_state_name(rxd_call_state(s->call)) : "ended",
		s->completed ? rxd_completion_name(s->comp) : "ACTIVE", s->code, s->err, s->completes,
		s->ended ? " ended" : "", ss_cid(s), s->call ? rxd_call_number(s->call) : s->callno);
}

static void cc_describe(const struct sim_ccall *c, FILE *f)
{
	uint32_t cid = cc_cid(c);

	fprintf(f,
		"    call #%u tag %" PRIx64
		" e%u->e%u service %u req %u reply %u action %s@%u code %d think %uus stall "
		"%uus chunks send %u recv %u %s%s%s\n",
		c->idx, c->tag, c->p.client, c->p.server, c->p.service_id ? c->p.service_id : SIM_SERVICE_ID,
		c->p.req_len, c->reply_len, sim_action_name(c->p.action), c->p.action_at, c->p.action_code,
		c->p.think_us, c->p.stall_us, c->p.send_chunk, c->p.recv_chunk, c->p.peek ? "peek" : "recv",
		c->p.tx_len_known ? " tx_len" : "", c->p.end_deferred ? " deferred-end" : "");
	fprintf(f,
		"    client: began %.6f, sent %" PRIu64 "%s, rcvd %" PRIu64 "%s, %s, completion %s code %d err %d at "
		"%.6f (%u notifications)%s, cid %08x call %u, srtt %.3fms\n",
		secs(c->t_begin), c->sent, c->req_done ? " (request done)" : "", c->rcvd, c->eor ? " eor" : "",
		c->call ? rxd_call_state_name(rxd_call_state(c->call)) : "ended",
		c->completed ? rxd_completion_name(c->comp) : "ACTIVE", c->code, c->err, secs(c->t_complete),
		c->completes, c->ended ? " ended" : "", cid, c->call ? rxd_call_number(c->call) : c->callno,
		c->call ? (double)rxd_call_srtt_ns(c->call) / 1e6 : 0.0);
	if (c->srv)
		ss_describe(c->srv, f);
	else
		fprintf(f, "    server: never saw this call's header\n");
}

static void __attribute__((format(printf, 2, 3))) cc_fail(struct sim_ccall *c, const char *fmt, ...)
{
	struct sim_app *a = c->a;
	bool print = sim_should_print(a);
	va_list ap;

	va_start(ap, fmt);
	sim_vfail(a, fmt, ap);
	va_end(ap);
	if (!print)
		return;
	cc_describe(c, stderr);
	sim_net_dump_trace(a->net, stderr, cc_cid(c), 40);
	sim_dump_engines_once(a);
}

static void __attribute__((format(printf, 2, 3))) ss_fail(struct sim_scall *s, const char *fmt, ...)
{
	struct sim_app *a = s->a;
	bool print = sim_should_print(a);
	va_list ap;

	va_start(ap, fmt);
	sim_vfail(a, fmt, ap);
	va_end(ap);
	if (!print)
		return;
	if (s->cc)
		cc_describe(s->cc, stderr);
	else
		ss_describe(s, stderr);
	sim_net_dump_trace(a->net, stderr, ss_cid(s), 40);
	sim_dump_engines_once(a);
}

/* ------------------------------------------------------------------ request header */

static uint32_t hdr_check(const uint8_t *h)
{
	uint64_t x = 0;

	for (unsigned i = 0; i < SIM_REQ_HDR_LEN - 4; i += 4)
		x = sim_mix64(x ^ rxd_get_be32(h + i));
	return (uint32_t)x;
}

static void cc_build_header(struct sim_ccall *c)
{
	uint8_t *h = c->hdr;
	uint64_t x = sim_mix64(c->tag ^ 0x736572766572ull);
	uint32_t schunk = (uint32_t)(1 + x % 65536), rchunk = (uint32_t)(1 + (x >> 20) % 65536);
	uint8_t flags = 0;

	if (x & (1ull << 40))
		schunk = 1 + schunk % 1500; /* small writes: many partial packets */
	if (x & (1ull << 41))
		flags |= 1; /* server reads with peek/consume */
	if (x & (1ull << 42))
		flags |= 2; /* server ends the call from a later event */
	rxd_put_be32(h + 0, SIM_MAGIC);
	rxd_put_be32(h + 4, c->p.req_len);
	rxd_put_be32(h + 8, (uint32_t)(c->tag >> 32));
	rxd_put_be32(h + 12, (uint32_t)c->tag);
	rxd_put_be32(h + 16, c->reply_len);
	h[20] = (uint8_t)c->p.action;
	h[21] = flags;
	h[22] = 0;
	h[23] = 0;
	rxd_put_be32(h + 24, c->p.action_at);
	rxd_put_be32(h + 28, (uint32_t)c->p.action_code);
	rxd_put_be32(h + 32, c->p.think_us);
	rxd_put_be32(h + 36, schunk);
	rxd_put_be32(h + 40, rchunk);
	rxd_put_be32(h + 44, hdr_check(h));
}

/* Bytes [pos, pos+len) of a client call's request. */
static void cc_req_fill(const struct sim_ccall *c, uint64_t pos, uint8_t *dst, size_t len)
{
	if (c->p.req_len < SIM_REQ_HDR_LEN) {
		sim_stream_fill(short_req_seed(c->p.req_len), pos, dst, len);
		return;
	}
	while (len && pos < SIM_REQ_HDR_LEN) {
		*dst++ = c->hdr[pos++];
		len--;
	}
	if (len)
		sim_stream_fill(c->req_seed, pos, dst, len);
}

/* ------------------------------------------------------------------ client calls */

static bool cc_call_gone(const struct sim_ccall *c)
{
	return c->completed || c->ended || !c->call;
}

static void cc_end(struct sim_ccall *c)
{
	struct sim_app *a = c->a;

	if (c->ended)
		return;
	c->ending = true;
	if (c->call) {
		if (rxd_call_cid(c->call)) {
			c->cid = rxd_call_cid(c->call);
			c->callno = rxd_call_number(c->call);
		}
		rxd_call_end(c->call, now_of(a));
	}
	c->call = NULL;
	c->ended = true;
	c->ending = false;
	sim_lane_advance(c);
}

static void cc_end_ev(void *arg, uint64_t now)
{
	(void)now;
	cc_end(arg);
}

/* Perform the plan's client action (abort or end) now. */
static void cc_do_action(struct sim_ccall *c)
{
	struct sim_app *a = c->a;

	c->action_done = true;
	if (rxd_call_completion(c->call) != RXD_CALL_ACTIVE)
		c->abort_noop = true;
	if (c->p.action == SIM_ACT_CLIENT_END_REPLY) {
		c->finished = true;
		if (!c->completed)
			c->t_complete = now_of(a);
		cc_end(c);
		if (!c->completes) {
			c->comp = RXD_CALL_LOCALLY_ABORTED;
			c->code = RX_USER_ABORT;
		}
		cc_check(c);
		pair_maybe_check(c->srv);
		return;
	}
	rxd_call_abort(c->call, c->p.action_code, now_of(a));
	if (!c->abort_noop && rxd_call_completion(c->call) == RXD_CALL_ACTIVE)
		cc_fail(c, "call still ACTIVE after rxd_call_abort()");
}

/* Push request bytes until done, the queue is full, or the abort point. */
static void cc_send(struct sim_ccall *c)
{
	struct sim_app *a = c->a;

	while (!c->req_done && !cc_call_gone(c)) {
		uint64_t limit = c->p.req_len;
		size_t chunk;
		bool last;
		ssize_t r;

		if (c->p.action == SIM_ACT_CLIENT_ABORT_REQ) {
			if (c->sent >= c->p.action_at) {
				cc_do_action(c);
				return;
			}
			limit = c->p.action_at;
		}
		chunk = (size_t)(limit - c->sent);
		if (chunk > c->p.send_chunk)
			chunk = c->p.send_chunk;
		if (chunk > SIM_SCRATCH)
			chunk = SIM_SCRATCH;
		last = c->sent + chunk == c->p.req_len;
		cc_req_fill(c, c->sent, a->txbuf, chunk);
		r = rxd_call_send(c->call, a->txbuf, chunk, last ? 0 : RXD_SEND_MORE, now_of(a));
		if (r == -EAGAIN)
			return; /* an empty end-of-phase send found the queue full: wait for writable */
		if (r < 0) {
			if (!c->completed && rxd_call_completion(c->call) == RXD_CALL_ACTIVE)
				cc_fail(c, "rxd_call_send(%zu) = %zd on an active call", chunk, r);
			return;
		}
		if ((size_t)r > chunk) {
			cc_fail(c, "rxd_call_send(%zu) accepted %zd", chunk, r);
			return;
		}
		c->sent += (uint64_t)r;
		if ((size_t)r < chunk || (chunk == 0 && !last))
			return; /* wait for writable */
		if (last) {
			c->req_done = true;
			c->t_req_done = now_of(a);
		}
	}
	if (c->req_done && !c->action_done && !cc_call_gone(c) &&
	    (c->p.action == SIM_ACT_CLIENT_ABORT_REPLY || c->p.action == SIM_ACT_CLIENT_END_REPLY) &&
	    c->p.action_at == 0)
		cc_do_action(c);
}

static bool cc_verify(struct sim_ccall *c, const uint8_t *p, size_t len)
{
	uint64_t seed = c->p.req_len < SIM_REQ_HDR_LEN ? short_reply_seed(c->p.req_len) : c->reply_seed;
	size_t bad;

	if (c->rcvd + len > c->reply_len) {
		if (!c->mismatch && !c->a->p.allow_data_mismatch)
			cc_fail(c, "reply longer than expected: %" PRIu64 " + %zu > %u", c->rcvd, len, c->reply_len);
		c->mismatch = true;
		return false;
	}
	bad = sim_stream_check(seed, c->rcvd, p, len);
	if (bad != len) {
		if (!c->mismatch && !c->a->p.allow_data_mismatch)
			cc_fail(c, "reply byte %" PRIu64 " differs: got %02x want %02x", c->rcvd + bad, p[bad],
				sim_stream_byte(seed, c->rcvd + bad));
		c->mismatch = true;
	}
	return true;
}

static void cc_unstall_ev(void *arg, uint64_t now);

/* Read reply data.  draining: after completion, read everything, ignore stalls. */
static void cc_recv(struct sim_ccall *c, bool draining)
{
	struct sim_app *a = c->a;
	uint64_t session = 0;

	if ((c->stalled && !draining) || c->eor || !c->call || c->ended)
		return;
	for (;;) {
		size_t want = c->p.recv_chunk ? c->p.recv_chunk : SIM_SCRATCH;
		bool eor = false;
		size_t got = 0;

		if ((c->p.action == SIM_ACT_CLIENT_ABORT_REPLY || c->p.action == SIM_ACT_CLIENT_END_REPLY) &&
		    !c->action_done && c->req_done) {
			if (c->rcvd >= c->p.action_at) {
				cc_do_action(c);
				if (!c->abort_noop || c->ended)
					return;
				continue; /* the call had already succeeded: read the rest */
			}
			if (want > c->p.action_at - c->rcvd)
				want = (size_t)(c->p.action_at - c->rcvd);
		}
		if (want > SIM_SCRATCH)
			want = SIM_SCRATCH;

		if (c->p.peek) {
			struct rxd_seg segs[SIM_MAX_SEGS];
			size_t all = 0;
			unsigned n = rxd_call_peek(c->call, segs, SIM_MAX_SEGS, &eor);

			for (unsigned i = 0; i < n; i++)
				all += segs[i].len; /* eor covers every peeked segment */
			for (unsigned i = 0; i < n; i++) {
				size_t take = segs[i].len;
				if (got + take > want)
					take = want - got;
				if (take && !cc_verify(c, segs[i].data, take))
					break;
				c->rcvd += take;
				got += take;
				if (got == want)
					break;
			}
			if (got)
				rxd_call_consume(c->call, got, now_of(a));
			if (got < all)
				eor = false; /* we did not consume up to the end */
			if (!c->call || c->ended)
				return;
		} else {
			ssize_t r = rxd_call_recv(c->call, a->rxbuf, want, &eor, now_of(a));
			if (r < 0) {
				if (r != -EAGAIN && !c->completed && rxd_call_completion(c->call) == RXD_CALL_ACTIVE)
					cc_fail(c, "rxd_call_recv = %zd on an active call", r);
				return;
			}
			if ((size_t)r > want) {
				cc_fail(c, "rxd_call_recv(%zu) returned %zd", want, r);
				return;
			}
			if (r)
				cc_verify(c, a->rxbuf, (size_t)r);
			c->rcvd += (uint64_t)r;
			got = (size_t)r;
		}
		if (got && !c->req_done)
			cc_fail(c, "reply data before the request was fully sent");
		if (eor) {
			c->eor = true;
			if (c->rcvd != c->reply_len && !(a->p.allow_data_mismatch && c->mismatch))
				cc_fail(c, "reply ended after %" PRIu64 " bytes, expected %u", c->rcvd, c->reply_len);
			return;
		}
		if (!got)
			return;
		session += got;
		if (c->p.stall_us && !draining && session >= c->p.recv_chunk) {
			c->stalled = true;
			sim_net_schedule(a->net, now_of(a) + (uint64_t)c->p.stall_us * 1000, cc_unstall_ev, c);
			return;
		}
	}
}

static void cc_finish(struct sim_ccall *c);

static void cc_kick(struct sim_ccall *c)
{
	if (c->busy) {
		c->again = true;
		return;
	}
	c->busy++;
	c->cid = cc_cid(c);
	do {
		c->again = false;
		if (cc_call_gone(c))
			break;
		cc_send(c);
		if (cc_call_gone(c))
			break;
		cc_recv(c, false);
	} while (c->again);
	c->busy--;
	if (c->completed && !c->finished && !c->ended)
		cc_finish(c);
}

static void cc_unstall_ev(void *arg, uint64_t now)
{
	struct sim_ccall *c = arg;

	(void)now;
	c->stalled = false;
	if (!c->ended && !c->completed)
		cc_kick(c);
}

/* Check the client-side outcome against the plan. */
static void cc_check(struct sim_ccall *c)
{
	struct sim_app *a = c->a;
	struct sim_app_result *r = &a->res;
	uint64_t limit = a->p.call_time_limit_ns ? a->p.call_time_limit_ns : 600 * RXD_NS_PER_SEC;
	bool unknown = c->p.service_id && c->p.service_id != SIM_SERVICE_ID;

	switch (c->comp) {
	case RXD_CALL_SUCCEEDED:
		r->succeeded++;
		break;
	case RXD_CALL_LOCALLY_ABORTED:
		r->client_aborted++;
		break;
	case RXD_CALL_REMOTELY_ABORTED:
		if (unknown)
			r->unknown_service++;
		else
			r->server_aborted++;
		break;
	default:
		r->other_outcome++;
		break;
	}
	if (c->mismatch)
		r->data_mismatches++;
	if (c->comp != RXD_CALL_SUCCEEDED) {
		/* the application's own abort codes count as one class per side */
		int32_t code = c->code >= SIM_CLIENT_CODE_BASE && c->code < SIM_SERVER_CODE_BASE + 1000
				   ? (c->code < SIM_SERVER_CODE_BASE ? SIM_CLIENT_CODE_BASE : SIM_SERVER_CODE_BASE)
				   : c->code;
		for (unsigned i = 0; i < 8; i++) {
			if (r->outcomes[i].n == 0) {
				r->outcomes[i].comp = (int)c->comp;
				r->outcomes[i].code = code;
			}
			if (r->outcomes[i].comp == (int)c->comp && r->outcomes[i].code == code) {
				r->outcomes[i].n++;
				break;
			}
		}
	}
	if (c->t_complete - c->t_begin > limit)
		cc_fail(c, "call took %.3fs (limit %.0fs)", secs(c->t_complete - c->t_begin), secs(limit));
	if (a->p.relaxed) {
		if (c->comp == RXD_CALL_ACTIVE)
			cc_fail(c, "call ended without an outcome");
		else if (c->comp != RXD_CALL_SUCCEEDED && c->code == 0 && c->err == 0)
			cc_fail(c, "call failed (%s) without an abort code or error", rxd_completion_name(c->comp));
		if (c->comp == RXD_CALL_SUCCEEDED && !c->mismatch && c->rcvd != c->reply_len)
			cc_fail(c, "succeeded with %" PRIu64 " of %u reply bytes", c->rcvd, c->reply_len);
		return;
	}
	if (unknown) {
		if (c->comp != RXD_CALL_REMOTELY_ABORTED || c->code != RX_INVALID_OPERATION)
			cc_fail(c, "call to an unknown service ended %s code %d, expected REMOTELY_ABORTED %d",
				rxd_completion_name(c->comp), c->code, RX_INVALID_OPERATION);
		return;
	}
	switch (c->p.action) {
	case SIM_ACT_CLIENT_END_REPLY:
		return;
	case SIM_ACT_CLIENT_ABORT_REQ:
	case SIM_ACT_CLIENT_ABORT_REPLY:
		if (!c->abort_noop) {
			if (c->comp != RXD_CALL_LOCALLY_ABORTED || c->code != c->p.action_code)
				cc_fail(c, "client abort ended %s code %d, expected LOCALLY_ABORTED %d",
					rxd_completion_name(c->comp), c->code, c->p.action_code);
			return;
		}
		break; /* the call had completed first: it must have succeeded */
	case SIM_ACT_SERVER_ABORT_REQ:
	case SIM_ACT_SERVER_ABORT_REPLY:
		if (c->comp != RXD_CALL_REMOTELY_ABORTED || c->code != c->p.action_code)
			cc_fail(c, "server abort: client saw %s code %d err %d, expected REMOTELY_ABORTED %d",
				rxd_completion_name(c->comp), c->code, c->err, c->p.action_code);
		return;
	case SIM_ACT_NONE:
		break;
	}
	if (c->comp != RXD_CALL_SUCCEEDED)
		cc_fail(c, "call ended %s code %d err %d, expected SUCCEEDED", rxd_completion_name(c->comp), c->code,
			c->err);
	else if (!c->eor || c->rcvd != c->reply_len)
		cc_fail(c, "succeeded but read %" PRIu64 " of %u reply bytes%s", c->rcvd, c->reply_len,
			c->eor ? "" : " and no end of data");
}

static void cc_finish(struct sim_ccall *c)
{
	struct sim_app *a = c->a;

	c->finished = true;
	if (c->comp == RXD_CALL_SUCCEEDED && !c->eor) {
		c->busy++;
		c->stalled = false;
		cc_recv(c, true);
		c->busy--;
		if (c->ended)
			return; /* an end action fired while draining */
		if (rxd_call_completion(c->call) != RXD_CALL_SUCCEEDED)
			cc_fail(c, "completion changed from SUCCEEDED to %s while reading",
				rxd_completion_name(rxd_call_completion(c->call)));
	}
	cc_check(c);
	pair_maybe_check(c->srv);
	if (c->p.end_deferred)
		sim_net_schedule(a->net, now_of(a) + (c->tag % 7) * RXD_NS_PER_MS, cc_end_ev, c);
	else
		cc_end(c);
}

static struct sim_ccall *cc_of(void *app, struct rxd_call *call, const char *what)
{
	struct sim_ccall *c = app;

	if (c->ended && !c->ending) {
		cc_fail(c, "%s notification after rxd_call_end()", what);
		return NULL;
	}
	if (c->call && c->call != call) {
		cc_fail(c, "%s notification for a different rxd_call", what);
		return NULL;
	}
	return c;
}

static void cc_on_data(void *app, struct rxd_call *call)
{
	struct sim_ccall *c = cc_of(app, call, "data");

	if (c && !c->ending && !c->a->detached && !c->completed)
		cc_kick(c);
}

static void cc_on_writable(void *app, struct rxd_call *call)
{
	struct sim_ccall *c = cc_of(app, call, "writable");

	if (c && !c->ending && !c->a->detached && !c->completed)
		cc_kick(c);
}

static void cc_on_complete(void *app, struct rxd_call *call)
{
	struct sim_ccall *c = cc_of(app, call, "complete");

	if (!c)
		return;
	if (++c->completes > 1) {
		cc_fail(c, "complete notified %u times", c->completes);
		return;
	}
	c->completed = true;
	c->t_complete = now_of(c->a);
	c->comp = rxd_call_completion(call);
	c->code = rxd_call_abort_code(call);
	c->err = rxd_call_error(call);
	if (rxd_call_cid(call)) {
		c->cid = rxd_call_cid(call);
		c->callno = rxd_call_number(call);
	}
	if (c->comp == RXD_CALL_ACTIVE)
		cc_fail(c, "complete notification but rxd_call_completion() is ACTIVE");
	if (c->ending || c->a->detached || c->busy || c->finished)
		return;
	cc_finish(c);
}

static const struct rxd_call_ops sim_client_ops = {
    .data = cc_on_data,
    .writable = cc_on_writable,
    .complete = cc_on_complete,
};

static int rxkad_setup(struct sim_app *a);

static void cc_start_ev(void *arg, uint64_t now)
{
	struct sim_ccall *c = arg;
	struct sim_app *a = c->a;
	struct rxd_call_params cp;
	int rc;

	memset(&cp, 0, sizeof(cp));
	cp.peer = *sim_net_addr(a->net, c->p.server);
	cp.service_id = c->p.service_id ? c->p.service_id : SIM_SERVICE_ID;
	cp.user_call_id = c->tag;
	cp.tx_total_len = c->p.tx_len_known ? (int64_t)c->p.req_len : -1;
	cp.ops = &sim_client_ops;
	cp.app = c;
	if (a->p.rxkad) {
		cp.security_index = RXD_RXKAD_INDEX;
		cp.security_level = a->p.rxkad_level;
		cp.key = &a->rxkad_key;
	}
	c->started = true;
	c->t_begin = now;
	a->res.calls++;
	a->clients_active++;
	rc = rxd_call_begin(sim_net_local(a->net, c->p.client), &cp, now, &c->call);
	if (rc < 0 || !c->call) {
		c->call = NULL;
		cc_fail(c, "rxd_call_begin() = %d", rc);
		c->finished = c->completed = true;
		c->ended = true;
		sim_lane_advance(c);
		return;
	}
	if (rxd_call_user_id(c->call) != c->tag)
		cc_fail(c, "rxd_call_user_id() = %" PRIx64, rxd_call_user_id(c->call));
	if (!rxd_call_is_client(c->call))
		cc_fail(c, "rxd_call_is_client() is false for a client call");
	cc_kick(c);
}

/* ------------------------------------------------------------------ phases and lanes */

static void phase_start_ev(void *arg, uint64_t now);

static void phase_complete(struct sim_app *a, unsigned phase)
{
	if (phase + 1 < a->nphases)
		sim_net_schedule(a->net, now_of(a) + a->phases[phase + 1].gap_ns, phase_start_ev,
				 &a->phases[phase + 1]);
	else
		a->all_done = true;
}

static void phase_lane_done(struct sim_app *a, unsigned phase)
{
	if (--a->phases[phase].lanes_left == 0)
		phase_complete(a, phase);
}

static void sim_lane_advance(struct sim_ccall *c)
{
	struct sim_app *a = c->a;
	struct sim_lane *ln = &a->lanes[c->lane];

	a->clients_active--;
	if (++ln->next < ln->n) {
		struct sim_ccall *nx = &a->calls[ln->calls[ln->next]];
		sim_net_schedule(a->net, now_of(a) + nx->p.gap_ns, cc_start_ev, nx);
		return;
	}
	phase_lane_done(a, ln->phase);
}

static void check_engines_empty(struct sim_app *a, const char *when)
{
	for (unsigned i = 0; i < sim_net_count(a->net); i++) {
		struct rxd_local *l = sim_net_local(a->net, i);
		unsigned calls = rxd_local_counts(l).calls, conns = rxd_local_counts(l).conns,
			 peers = rxd_local_counts(l).peers;
		if (calls || conns || peers) {
			bool print = sim_should_print(a);
			sim_app_fail(a, "%s: engine %u still has %u calls, %u conns, %u peers", when, i, calls, conns,
				     peers);
			if (print) {
				sim_dump_engines_once(a);
				sim_net_dump_trace(a->net, stderr, 0, 30);
			}
		}
	}
}

static void phase_start_ev(void *arg, uint64_t now)
{
	struct sim_phase *ph = arg;
	struct sim_app *a = ph->a;

	if (ph->expect_reaped) {
		char what[96];
		snprintf(what, sizeof(what), "after %.0fs idle before phase %u", secs(ph->gap_ns), ph->idx);
		a->res.reaped_checks++;
		check_engines_empty(a, what);
	}
	for (unsigned i = 0; i < a->nlanes; i++) {
		struct sim_lane *ln = &a->lanes[i];
		if (ln->phase != ph->idx || ln->n == 0)
			continue;
		struct sim_ccall *c = &a->calls[ln->calls[0]];
		sim_net_schedule(a->net, now + c->p.gap_ns, cc_start_ev, c);
	}
	if (ph->lanes_left == 0)
		phase_complete(a, ph->idx);
}

/* ------------------------------------------------------------------ server calls */

static void ss_end(struct sim_scall *s)
{
	struct sim_app *a = s->a;
	struct sim_server *sv = &a->srv[s->engine];

	if (s->ended)
		return;
	s->ending = true;
	if (s->call) {
		if (rxd_call_cid(s->call)) {
			s->cid = rxd_call_cid(s->call);
			s->callno = rxd_call_number(s->call);
		}
		rxd_call_end(s->call, now_of(a));
	}
	s->call = NULL;
	s->ended = true;
	s->ending = false;
	a->servers_active--;
	if (a->p.needs_charge && sv->svc) {
		int rc = rxd_service_charge(sv->svc, ++sv->next_charge_id);
		if (rc < 0 && rc != -ENOBUFS)
			sim_app_fail(a, "rxd_service_charge() = %d", rc);
	}
}

static void ss_end_ev(void *arg, uint64_t now)
{
	(void)now;
	ss_end(arg);
}

static bool ss_gone(const struct sim_scall *s)
{
	return s->completed || s->ended || !s->call;
}

static void ss_abort(struct sim_scall *s)
{
	s->action_done = true;
	rxd_call_abort(s->call, s->action_code, now_of(s->a));
	if (rxd_call_completion(s->call) == RXD_CALL_ACTIVE)
		ss_fail(s, "server call still ACTIVE after rxd_call_abort()");
}

static void ss_parse_header(struct sim_scall *s)
{
	struct sim_app *a = s->a;
	const uint8_t *h = s->hdr;
	uint64_t idx;

	s->parsed = true;
	if (rxd_get_be32(h) != SIM_MAGIC || rxd_get_be32(h + 44) != hdr_check(h)) {
		s->mismatch = true;
		if (!a->p.allow_data_mismatch)
			ss_fail(s, "request header corrupted");
		return;
	}
	s->req_len = rxd_get_be32(h + 4);
	s->tag = ((uint64_t)rxd_get_be32(h + 8) << 32) | rxd_get_be32(h + 12);
	s->reply_len = rxd_get_be32(h + 16);
	s->action = (enum sim_action)h[20];
	s->peek = h[21] & 1;
	s->end_deferred = (h[21] & 2) != 0;
	s->action_at = rxd_get_be32(h + 24);
	s->action_code = (int32_t)rxd_get_be32(h + 28);
	s->think_us = rxd_get_be32(h + 32);
	s->send_chunk = rxd_get_be32(h + 36);
	s->recv_chunk = rxd_get_be32(h + 40);
	s->req_seed = tag_req_seed(s->tag);
	s->reply_seed = tag_reply_seed(s->tag);
	idx = (s->tag & 0xffffffffu) - 1;
	if ((s->tag >> 32) == a->seed32 && idx < a->ncalls) {
		s->cc = &a->calls[idx];
		if (s->cc->srv_seen++ && !a->p.relaxed)
			ss_fail(s, "a second server call for the same client call (tag %" PRIx64 ")", s->tag);
		s->cc->srv = s;
	} else if (!a->p.allow_data_mismatch) {
		ss_fail(s, "request carries unknown tag %" PRIx64, s->tag);
	}
}

static void ss_verify(struct sim_scall *s, const uint8_t *p, size_t len)
{
	size_t bad;

	/* collect the header (or a whole short request) first */
	while (len && s->hdr_have < SIM_REQ_HDR_LEN) {
		s->hdr[s->hdr_have++] = *p++;
		len--;
		s->rcvd++;
		if (s->hdr_have == SIM_REQ_HDR_LEN)
			ss_parse_header(s);
	}
	if (!len)
		return;
	if (s->mismatch) {
		s->rcvd += len;
		return;
	}
	if (s->rcvd + len > s->req_len) {
		s->mismatch = true;
		if (!s->a->p.allow_data_mismatch)
			ss_fail(s, "request longer than its header says (%" PRIu64 " + %zu > %u)", s->rcvd, len,
				s->req_len);
	} else {
		bad = sim_stream_check(s->req_seed, s->rcvd, p, len);
		if (bad != len) {
			s->mismatch = true;
			if (!s->a->p.allow_data_mismatch)
				ss_fail(s, "request byte %" PRIu64 " differs", s->rcvd + bad);
		}
	}
	s->rcvd += len;
}

static void ss_reply_ev(void *arg, uint64_t now);
static void ss_kick(struct sim_scall *s);

/* The whole request is in: check it, then abort or reply (maybe after thinking). */
static void ss_request_done(struct sim_scall *s)
{
	struct sim_app *a = s->a;

	s->req_done = true;
	if (!s->parsed) {
		/* a short request: fixed content, derived reply */
		uint32_t len = s->hdr_have;
		s->short_req = true;
		s->req_len = len;
		s->reply_len = short_reply_len(len);
		s->reply_seed = short_reply_seed(len);
		s->send_chunk = 1 + len;
		if (sim_stream_check(short_req_seed(len), 0, s->hdr, len) != len) {
			s->mismatch = true;
			if (!a->p.allow_data_mismatch)
				ss_fail(s, "short request of %u bytes has wrong content", len);
		}
	} else if (!s->mismatch && s->rcvd != s->req_len) {
		s->mismatch = true;
		if (!a->p.allow_data_mismatch)
			ss_fail(s, "request ended after %" PRIu64 " of %u bytes", s->rcvd, s->req_len);
	}
	if (s->action == SIM_ACT_SERVER_ABORT_REQ && !s->action_done && !s->mismatch) {
		ss_abort(s); /* the abort point lay inside the last chunk read */
		return;
	}
	if (s->mismatch) {
		/* Garbage reached us (corruption): refuse it like a real server would. */
		s->action = SIM_ACT_SERVER_ABORT_REQ;
		s->action_code = RXGEN_SS_UNMARSHAL;
		ss_abort(s);
		return;
	}
	if (s->action == SIM_ACT_SERVER_ABORT_REPLY && s->action_at == 0) {
		ss_abort(s);
		return;
	}
	if (s->think_us)
		sim_net_schedule(a->net, now_of(a) + (uint64_t)s->think_us * 1000, ss_reply_ev, s);
	else
		s->replying = true;
}

static void ss_recv(struct sim_scall *s)
{
	struct sim_app *a = s->a;

	while (!s->req_done && !ss_gone(s)) {
		size_t want = s->recv_chunk ? s->recv_chunk : 4096;
		bool eor = false;
		size_t got = 0;

		if (s->action == SIM_ACT_SERVER_ABORT_REQ && !s->action_done && s->parsed) {
			if (s->rcvd >= s->action_at) {
				ss_abort(s);
				return;
			}
			if (want > s->action_at - s->rcvd)
				want = (size_t)(s->action_at - s->rcvd);
		}
		if (want > SIM_SCRATCH)
			want = SIM_SCRATCH;
		if (s->peek) {
			struct rxd_seg segs[SIM_MAX_SEGS];
			size_t all = 0;
			unsigned n = rxd_call_peek(s->call, segs, SIM_MAX_SEGS, &eor);
			for (unsigned i = 0; i < n; i++)
				all += segs[i].len; /* eor covers every peeked segment */
			for (unsigned i = 0; i < n; i++) {
				size_t take = segs[i].len;
				if (got + take > want)
					take = want - got;
				ss_verify(s, segs[i].data, take);
				got += take;
				if (got == want)
					break;
			}
			if (got)
				rxd_call_consume(s->call, got, now_of(a));
			if (got < all)
				eor = false;
		} else {
			ssize_t r = rxd_call_recv(s->call, a->rxbuf, want, &eor, now_of(a));
			if (r < 0) {
				if (r != -EAGAIN && !s->completed && rxd_call_completion(s->call) == RXD_CALL_ACTIVE)
					ss_fail(s, "server rxd_call_recv = %zd on an active call", r);
				return;
			}
			ss_verify(s, a->rxbuf, (size_t)r);
			got = (size_t)r;
		}
		if (ss_gone(s))
			return;
		if (eor) {
			ss_request_done(s);
			return;
		}
		if (!got)
			return;
	}
}

/*
 * Up to chunk bytes of the reply through lent transmit packets
 * (rxd_call_send_space/send_bufs, a few at a time), written in place; *last
 * when they end it.  The bytes queued (fewer when the queue is full: the
 * writable callback follows), or the send's error.
 */
static ssize_t ss_send_lent(struct sim_scall *s, size_t chunk, bool *last)
{
	struct rxd_txpkt p[8];
	size_t done = 0;

	*last = false;
	for (;;) {
		size_t need = (chunk - done + RXD_JUMBO_DATALEN - 1) / RXD_JUMBO_DATALEN, off = 0;
		unsigned want = need < 8 ? (unsigned)need : 8;
		int k = rxd_call_send_space(s->call, p, want, now_of(s->a));
		ssize_t r;

		if (k < 0)
			return k;
		for (int i = 0; i < k; i++) {
			p[i].len = (uint32_t)(chunk - done - off < p[i].room ? chunk - done - off : p[i].room);
			sim_stream_fill(s->reply_seed, s->sent + done + off, p[i].data, p[i].len);
			off += p[i].len;
		}
		if (k == 0 && want)
			return done ? (ssize_t)done : -EAGAIN;
		*last = s->sent + done + off == s->reply_len;
		r = rxd_call_send_bufs(s->call, p, (unsigned)k, *last ? 0 : RXD_SEND_MORE, now_of(s->a));
		if (r < 0)
			return r;
		done += (size_t)r;
		if (done == chunk || (unsigned)k < want)
			return (ssize_t)done;
	}
}

static void ss_send(struct sim_scall *s)
{
	struct sim_app *a = s->a;

	while (!s->reply_done && !ss_gone(s)) {
		uint64_t limit = s->reply_len;
		size_t chunk;
		bool last;
		ssize_t r;

		if (s->action == SIM_ACT_SERVER_ABORT_REPLY && !s->action_done) {
			if (s->sent >= s->action_at) {
				ss_abort(s);
				return;
			}
			limit = s->action_at;
		}
		chunk = (size_t)(limit - s->sent);
		if (chunk > s->send_chunk)
			chunk = s->send_chunk;
		if (chunk > SIM_SCRATCH)
			chunk = SIM_SCRATCH;
		if (s->tag % 3 == 0) {
			r = ss_send_lent(s, chunk, &last); /* a third of the replies go zero-copy */
		} else {
			last = s->sent + chunk == s->reply_len;
			sim_stream_fill(s->reply_seed, s->sent, a->txbuf, chunk);
			r = rxd_call_send(s->call, a->txbuf, chunk, last ? 0 : RXD_SEND_MORE, now_of(a));
		}
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			if (!s->completed && rxd_call_completion(s->call) == RXD_CALL_ACTIVE)
				ss_fail(s, "server rxd_call_send(%zu) = %zd on an active call", chunk, r);
			return;
		}
		if ((size_t)r > chunk) {
			ss_fail(s, "server rxd_call_send(%zu) accepted %zd", chunk, r);
			return;
		}
		s->sent += (uint64_t)r;
		if ((size_t)r < chunk || (chunk == 0 && !last))
			return;
		if (last)
			s->reply_done = true;
	}
}

static void ss_finish(struct sim_scall *s)
{
	struct sim_app *a = s->a;

	s->finished = true;
	pair_maybe_check(s);
	if (s->end_deferred)
		sim_net_schedule(a->net, now_of(a) + (s->tag % 11) * RXD_NS_PER_MS, ss_end_ev, s);
	else
		ss_end(s);
}

static void ss_kick(struct sim_scall *s)
{
	if (s->busy) {
		s->again = true;
		return;
	}
	s->busy++;
	do {
		s->again = false;
		if (ss_gone(s))
			break;
		if (!s->req_done)
			ss_recv(s);
		if (ss_gone(s))
			break;
		if (s->replying)
			ss_send(s);
	} while (s->again);
	s->busy--;
	if (s->completed && !s->finished && !s->ended)
		ss_finish(s);
}

static void ss_reply_ev(void *arg, uint64_t now)
{
	struct sim_scall *s = arg;

	(void)now;
	if (ss_gone(s))
		return;
	s->replying = true;
	ss_kick(s);
}

static struct sim_scall *ss_of(void *app, struct rxd_call *call, const char *what)
{
	struct sim_scall *s = app;

	if (s->ended && !s->ending) {
		ss_fail(s, "server %s notification after rxd_call_end()", what);
		return NULL;
	}
	if (s->call && s->call != call) {
		ss_fail(s, "server %s notification for a different rxd_call", what);
		return NULL;
	}
	return s;
}

static void ss_on_data(void *app, struct rxd_call *call)
{
	struct sim_scall *s = ss_of(app, call, "data");

	if (s && !s->ending && !s->a->detached && !s->completed)
		ss_kick(s);
}

static void ss_on_writable(void *app, struct rxd_call *call)
{
	struct sim_scall *s = ss_of(app, call, "writable");

	if (s && !s->ending && !s->a->detached && !s->completed)
		ss_kick(s);
}

static void ss_on_complete(void *app, struct rxd_call *call)
{
	struct sim_scall *s = ss_of(app, call, "complete");

	if (!s)
		return;
	if (++s->completes > 1) {
		ss_fail(s, "server call complete notified %u times", s->completes);
		return;
	}
	s->completed = true;
	s->t_complete = now_of(s->a);
	s->comp = rxd_call_completion(call);
	s->code = rxd_call_abort_code(call);
	s->err = rxd_call_error(call);
	if (rxd_call_cid(call)) {
		s->cid = rxd_call_cid(call);
		s->callno = rxd_call_number(call);
	}
	if (s->ending || s->a->detached || s->busy || s->finished)
		return;
	ss_finish(s);
}

static const struct rxd_call_ops sim_server_call_ops = {
    .data = ss_on_data,
    .writable = ss_on_writable,
    .complete = ss_on_complete,
};

static int srv_on_new_call(void *app, struct rxd_call *call)
{
	struct sim_server *sv = app;
	struct sim_app *a = sv->a;
	struct sim_scall *s;

	if (a->detached)
		return 1;
	sv->new_calls++;
	if (rxd_call_is_client(call))
		sim_app_fail(a, "new_call with a client call");
	if (rxd_call_service_id(call) != SIM_SERVICE_ID)
		sim_app_fail(a, "new_call for service %u", rxd_call_service_id(call));
	if (a->p.reject_every && sv->new_calls % a->p.reject_every == 0) {
		a->res.rejected++;
		rxd_call_reject(call, now_of(a));
		return 1;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		abort();
	s->a = a;
	s->call = call;
	s->engine = sv->engine;
	s->t_new = now_of(a);
	s->recv_chunk = 4096;
	s->send_chunk = 4096;
	s->cid = rxd_call_cid(call);
	s->callno = rxd_call_number(call);
	a->scalls = grow(a->scalls, &a->scalls_cap, a->nscalls + 1, sizeof(*a->scalls));
	a->scalls[a->nscalls++] = s;
	a->servers_active++;
	a->res.server_calls++;
	rxd_call_set_ops(call, &sim_server_call_ops, s);
	return 0;
}

static void srv_orphan(void *app, struct rxd_call *call, const char *what)
{
	struct sim_server *sv = app;

	(void)call;
	/* Rejected calls may still be reported; anything else has no owner. */
	if (!sv->a->p.reject_every && !sv->a->detached)
		sim_app_fail(sv->a, "%s notification on e%u for a call the application never accepted", what,
			     sv->engine);
}

static void srv_on_data(void *app, struct rxd_call *call)
{
	srv_orphan(app, call, "data");
}

static void srv_on_writable(void *app, struct rxd_call *call)
{
	srv_orphan(app, call, "writable");
}

static void srv_on_complete(void *app, struct rxd_call *call)
{
	srv_orphan(app, call, "complete");
}

static const struct rxd_call_ops sim_service_ops = {
    .new_call = srv_on_new_call,
    .data = srv_on_data,
    .writable = srv_on_writable,
    .complete = srv_on_complete,
};

/* ------------------------------------------------------------------ building */

struct sim_app *sim_app_create(const struct sim_app_params *p)
{
	struct sim_app *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->p = *p;
	a->net = p->net;
	a->seed32 = (uint32_t)sim_mix64(sim_net_seed(p->net));
	a->txbuf = malloc(SIM_SCRATCH);
	a->rxbuf = malloc(SIM_SCRATCH);
	if (!a->txbuf || !a->rxbuf) {
		sim_app_destroy(a);
		return NULL;
	}
	a->res.start_ns = sim_net_now(p->net);
	if (p->rxkad && rxkad_setup(a)) {
		sim_app_destroy(a);
		return NULL;
	}
	for (unsigned i = 0; i < sim_net_count(p->net); i++) {
		struct sim_server *sv = &a->srv[i];
		struct rxd_service_desc d;
		int err = 0;

		sv->a = a;
		sv->engine = i;
		if (!(p->servers_mask & (1u << i)))
			continue;
		memset(&d, 0, sizeof(d));
		d.service_id = SIM_SERVICE_ID;
		d.needs_charge = p->needs_charge;
		d.backlog = p->backlog;
		d.ops = &sim_service_ops;
		d.app = sv;
		if (p->rxkad) {
			d.security_conf = &a->rxkad_srv;
			d.min_security_level = p->rxkad_level;
		}
		err = rxd_service_register(sim_net_local(p->net, i), &d, &sv->svc);
		if (err) {
			fprintf(stderr, "sim_app: rxd_service_register(e%u) failed: %d\n", i, err);
			sim_app_destroy(a);
			return NULL;
		}
		for (unsigned k = 0; p->needs_charge && k < p->charge_slots; k++) {
			int rc = rxd_service_charge(sv->svc, ++sv->next_charge_id);
			if (rc < 0)
				fprintf(stderr, "sim_app: rxd_service_charge(e%u) = %d\n", i, rc);
		}
	}
	return a;
}

/* Tickets are judged at a fixed unix time: the simulation stays deterministic. */
#define SIM_UNIX_TIME 1900000000u

static uint32_t sim_unix_time(void *arg)
{
	(void)arg;
	return SIM_UNIX_TIME;
}

static int rxkad_setup(struct sim_app *a)
{
	static const uint8_t key[RXD_RXKAD_KEYLEN] = {0x5e, 0xc7, 0x37, 0x4b, 0x19, 0x2a, 0xd5, 0x6e};

	memcpy(a->rxkad_skey.key, key, sizeof(key));
	a->rxkad_skey.kvno = 1;
	a->rxkad_srv.open_ticket = rxd_rxkad_open_ticket_des;
	a->rxkad_srv.arg = &a->rxkad_skey;
	a->rxkad_srv.unix_time = sim_unix_time;
	for (unsigned i = 0; i < sim_net_count(a->net); i++)
		if (rxd_local_add_security(sim_net_local(a->net, i), &rxd_rxkad_class))
			return -1;
	return rxd_rxkad_make_key(&a->rxkad_key, a->rxkad_tkt, sizeof(a->rxkad_tkt), &a->rxkad_skey, "sim",
				  SIM_UNIX_TIME, a->seed32 * 0x9e3779b97f4a7c15ull + 1);
}

void sim_app_destroy(struct sim_app *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->nscalls; i++)
		free(a->scalls[i]);
	for (unsigned i = 0; i < a->nlanes; i++)
		free(a->lanes[i].calls);
	free(a->scalls);
	free(a->lanes);
	free(a->phases);
	free(a->calls);
	free(a->txbuf);
	free(a->rxbuf);
	free(a);
}

unsigned sim_app_add_phase(struct sim_app *a, uint64_t gap_ns, bool expect_reaped)
{
	struct sim_phase *ph;

	a->phases = grow(a->phases, &a->phases_cap, a->nphases + 1, sizeof(*a->phases));
	ph = &a->phases[a->nphases];
	memset(ph, 0, sizeof(*ph));
	ph->a = a;
	ph->idx = a->nphases;
	ph->gap_ns = gap_ns;
	ph->expect_reaped = expect_reaped;
	return a->nphases++;
}

unsigned sim_app_add_lane(struct sim_app *a, unsigned phase)
{
	struct sim_lane *ln;

	a->lanes = grow(a->lanes, &a->lanes_cap, a->nlanes + 1, sizeof(*a->lanes));
	ln = &a->lanes[a->nlanes];
	memset(ln, 0, sizeof(*ln));
	ln->phase = phase;
	return a->nlanes++;
}

void sim_call_plan_default(struct sim_call_plan *p, unsigned client, unsigned server, uint32_t req_len,
			   uint32_t reply_len)
{
	memset(p, 0, sizeof(*p));
	p->client = client;
	p->server = server;
	p->req_len = req_len;
	p->reply_len = reply_len;
	p->send_chunk = 65536;
	p->recv_chunk = 65536;
}

unsigned sim_app_add_call(struct sim_app *a, unsigned lane, const struct sim_call_plan *p)
{
	struct sim_lane *ln = &a->lanes[lane];
	struct sim_ccall *c;

	a->calls = grow(a->calls, &a->calls_cap, a->ncalls + 1, sizeof(*a->calls));
	c = &a->calls[a->ncalls];
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->idx = a->ncalls;
	c->lane = lane;
	c->p = *p;
	if (!c->p.send_chunk)
		c->p.send_chunk = 65536;
	if (!c->p.recv_chunk)
		c->p.recv_chunk = 65536;
	c->tag = ((uint64_t)a->seed32 << 32) | (c->idx + 1);
	c->req_seed = tag_req_seed(c->tag);
	c->reply_seed = tag_reply_seed(c->tag);
	c->reply_len = p->req_len < SIM_REQ_HDR_LEN ? short_reply_len(p->req_len) : p->reply_len;
	if (p->req_len >= SIM_REQ_HDR_LEN)
		cc_build_header(c);
	ln->calls = grow(ln->calls, &ln->cap, ln->n + 1, sizeof(*ln->calls));
	ln->calls[ln->n++] = c->idx;
	a->ncalls++;
	return c->idx;
}

void sim_workload_default(struct sim_workload *w, unsigned n_engines)
{
	uint32_t all = n_engines >= 32 ? 0xffffffffu : (1u << n_engines) - 1;

	memset(w, 0, sizeof(*w));
	w->clients_mask = all;
	w->servers_mask = all;
	w->phases = 3;
	w->calls_per_pair = 50;
	w->max_lanes = 6;
	w->byte_budget = 4u << 20;
	w->p_huge = 0.04;
	w->p_unknown_service = 0.02;
	w->p_client_abort = 0.03;
	w->p_server_abort = 0.03;
	w->p_end_early = 0.01;
	w->p_think = 0.1;
	w->p_stall = 0.05;
	w->p_peek = 0.5;
	w->p_tx_len = 0.3;
	w->p_defer_end = 0.2;
	w->p_long_idle = 0.3;
	w->max_gap_ns = 20 * RXD_NS_PER_MS;
}

static uint32_t pick_size(struct sim_rng *r, uint64_t *budget)
{
	uint64_t x = sim_rng_below(r, 1000);
	uint32_t n;

	if (x < 300)
		n = (uint32_t)sim_rng_below(r, SIM_REQ_HDR_LEN);
	else if (x < 650)
		n = (uint32_t)sim_rng_range(r, SIM_REQ_HDR_LEN, 4096);
	else if (x < 900)
		n = (uint32_t)sim_rng_range(r, 4097, 65536);
	else if (x < 990)
		n = (uint32_t)sim_rng_range(r, 65537, 1u << 20);
	else
		n = (uint32_t)sim_rng_range(r, (1u << 20) + 1, 4u << 20);
	if (n > *budget / 4 && n > 4096)
		n = (uint32_t)sim_rng_range(r, SIM_REQ_HDR_LEN, 4096);
	*budget = *budget > n ? *budget - n : 0;
	return n;
}

static uint64_t long_idle_ns(const struct sim_app *a)
{
	if (a->p.long_idle_ns)
		return a->p.long_idle_ns;
	/* defaults: service conns 600 s, client conns 120 s, peers 60 s after that, final-ACK cache 2 s */
	return (600 + 120 + 60 + 2 + 60) * RXD_NS_PER_SEC;
}

static void gen_call(struct sim_app *a, const struct sim_workload *w, struct sim_rng *r, unsigned client,
		     unsigned server, unsigned lane, uint64_t *budget, bool huge)
{
	struct sim_call_plan p;
	uint32_t req = pick_size(r, budget), reply = pick_size(r, budget);

	if (huge) {
		if (sim_rng_chance(r, 0.5)) {
			req = SIM_HUGE_LEN;
		} else {
			reply = SIM_HUGE_LEN;
			req = (uint32_t)sim_rng_range(r, SIM_REQ_HDR_LEN, 1000);
		}
	}
	sim_call_plan_default(&p, client, server, req, reply);
	if (req < SIM_REQ_HDR_LEN)
		reply = short_reply_len(req);
	p.send_chunk = (uint32_t)(sim_rng_chance(r, 0.3) ? sim_rng_range(r, 1, 2000) : sim_rng_range(r, 2000, 262144));
	p.recv_chunk = (uint32_t)(sim_rng_chance(r, 0.3) ? sim_rng_range(r, 1, 2000) : sim_rng_range(r, 2000, 262144));
	p.peek = sim_rng_chance(r, w->p_peek);
	p.tx_len_known = sim_rng_chance(r, w->p_tx_len);
	p.end_deferred = sim_rng_chance(r, w->p_defer_end);
	p.gap_ns = sim_rng_chance(r, 0.5) ? 0 : sim_rng_below(r, w->max_gap_ns + 1);
	if (req >= SIM_REQ_HDR_LEN && sim_rng_chance(r, w->p_think))
		p.think_us =
		    (uint32_t)(sim_rng_chance(r, 0.1) ? sim_rng_range(r, 1000000, 5000000) : sim_rng_below(r, 300000));
	if (sim_rng_chance(r, w->p_stall)) {
		/* a slow reader, but one that finishes: at most ~16 pauses per reply */
		p.stall_us = (uint32_t)sim_rng_range(r, 1000, 500000);
		if (p.recv_chunk < reply / 16 + 1)
			p.recv_chunk = reply / 16 + 1;
	}

	if (sim_rng_chance(r, w->p_unknown_service)) {
		p.service_id = SIM_UNKNOWN_SERVICE_ID;
	} else if (sim_rng_chance(r, w->p_client_abort)) {
		p.action_code = SIM_CLIENT_CODE_BASE + (int32_t)sim_rng_below(r, 1000);
		if (reply && sim_rng_chance(r, 0.5)) {
			p.action = SIM_ACT_CLIENT_ABORT_REPLY;
			p.action_at = (uint32_t)sim_rng_below(r, reply);
		} else if (req) {
			p.action = SIM_ACT_CLIENT_ABORT_REQ;
			p.action_at = (uint32_t)sim_rng_below(r, req);
		}
	} else if (req > SIM_REQ_HDR_LEN && sim_rng_chance(r, w->p_server_abort)) {
		p.action_code = SIM_SERVER_CODE_BASE + (int32_t)sim_rng_below(r, 1000);
		if (sim_rng_chance(r, 0.5)) {
			p.action = SIM_ACT_SERVER_ABORT_REQ;
			p.action_at = (uint32_t)sim_rng_range(r, SIM_REQ_HDR_LEN, req - 1);
		} else {
			p.action = SIM_ACT_SERVER_ABORT_REPLY;
			p.action_at = reply ? (uint32_t)sim_rng_below(r, reply) : 0;
		}
	} else if (reply && sim_rng_chance(r, w->p_end_early)) {
		p.action = SIM_ACT_CLIENT_END_REPLY;
		p.action_at = (uint32_t)sim_rng_below(r, reply);
	}
	sim_app_add_call(a, lane, &p);
}

void sim_app_generate(struct sim_app *a, const struct sim_workload *w, uint64_t seed)
{
	struct sim_rng r;
	uint64_t budget = w->byte_budget;
	unsigned n = sim_net_count(a->net), pairs = 0;
	bool huge;
	unsigned huge_phase, huge_pair;

	for (unsigned ci = 0; ci < n; ci++)
		for (unsigned si = 0; si < n; si++)
			if (si != ci && (w->clients_mask & (1u << ci)) && (w->servers_mask & (1u << si)))
				pairs++;
	if (!pairs || !w->phases)
		return;
	sim_rng_seed(&r, sim_mix64(seed) ^ 0x776f726bull);
	huge = sim_rng_chance(&r, w->p_huge);
	huge_phase = (unsigned)sim_rng_below(&r, w->phases);
	huge_pair = (unsigned)sim_rng_below(&r, pairs);
	for (unsigned ph = 0; ph < w->phases; ph++) {
		bool reap = ph > 0 && sim_rng_chance(&r, w->p_long_idle);
		uint64_t gap = ph == 0 ? 0 : reap ? long_idle_ns(a) : sim_rng_below(&r, 2 * RXD_NS_PER_SEC);
		unsigned phase = sim_app_add_phase(a, gap, reap);
		unsigned pair_no = 0;

		for (unsigned ci = 0; ci < n; ci++) {
			if (!(w->clients_mask & (1u << ci)))
				continue;
			for (unsigned si = 0; si < n; si++) {
				if (si == ci || !(w->servers_mask & (1u << si)))
					continue;
				unsigned calls =
				    (unsigned)sim_rng_range(&r, w->calls_per_pair / 2, w->calls_per_pair * 3 / 2);
				unsigned lanes = (unsigned)sim_rng_range(&r, 1, w->max_lanes ? w->max_lanes : 1);
				unsigned first = a->nlanes;
				bool this_huge = huge && ph == huge_phase && pair_no++ == huge_pair;

				if (calls < 1)
					calls = 1;
				for (unsigned l = 0; l < lanes; l++)
					sim_app_add_lane(a, phase);
				for (unsigned k = 0; k < calls; k++)
					gen_call(a, w, &r, ci, si, first + k % lanes, &budget, this_huge && k == 0);
			}
		}
	}
}

/* ------------------------------------------------------------------ running */

static bool app_done(void *arg)
{
	return ((struct sim_app *)arg)->all_done;
}

static bool servers_done(void *arg)
{
	return ((struct sim_app *)arg)->servers_active == 0;
}

static void report_stuck(struct sim_app *a, enum sim_run_result rr)
{
	unsigned shown = 0, active = 0;

	for (unsigned i = 0; i < a->ncalls; i++) {
		struct sim_ccall *c = &a->calls[i];
		if (!c->started || c->ended)
			continue;
		active++;
		if (shown++ < 3)
			cc_fail(c, "workload stuck (%s): call #%u never finished", sim_run_result_name(rr), c->idx);
	}
	if (!active)
		sim_app_fail(a, "workload stuck (%s) with no client call active (a lane never continued)",
			     sim_run_result_name(rr));
}

/* RX_CALL_DEAD on the server is how a lost client ABORT legitimately ends: the
 * next call on the channel implicitly ends the old one.  It must come soon. */
#define SIM_DEAD_GRACE_NS (10 * RXD_NS_PER_SEC)

/* Check one completed server call against its client call (both must be done). */
static void pair_check(struct sim_scall *s)
{
	struct sim_app *a = s->a;
	struct sim_ccall *c = s->cc;

	if (s->checked || a->p.relaxed)
		return;
	s->checked = true;
	if (!c) {
		/* a short request, or the client gave up before its header arrived */
		bool ok = s->comp == RXD_CALL_SUCCEEDED ||
			  (s->comp == RXD_CALL_REMOTELY_ABORTED &&
			   ((s->code >= SIM_CLIENT_CODE_BASE && s->code < SIM_CLIENT_CODE_BASE + 1000) ||
			    s->code == RX_USER_ABORT)) ||
			  (s->comp == RXD_CALL_LOCALLY_ABORTED && s->code == RX_CALL_DEAD);
		if (!ok)
			ss_fail(s, "server call without a header ended %s code %d err %d", rxd_completion_name(s->comp),
				s->code, s->err);
		return;
	}
	switch (c->p.action) {
	case SIM_ACT_NONE:
		if (s->comp != RXD_CALL_SUCCEEDED)
			ss_fail(s, "server side ended %s code %d err %d, expected SUCCEEDED",
				rxd_completion_name(s->comp), s->code, s->err);
		break;
	case SIM_ACT_SERVER_ABORT_REQ:
	case SIM_ACT_SERVER_ABORT_REPLY:
		if (s->comp != RXD_CALL_LOCALLY_ABORTED || s->code != c->p.action_code)
			ss_fail(s, "server abort ended %s code %d, expected LOCALLY_ABORTED %d",
				rxd_completion_name(s->comp), s->code, c->p.action_code);
		break;
	case SIM_ACT_CLIENT_ABORT_REQ:
	case SIM_ACT_CLIENT_ABORT_REPLY:
	case SIM_ACT_CLIENT_END_REPLY: {
		int32_t want = c->p.action == SIM_ACT_CLIENT_END_REPLY ? RX_USER_ABORT : c->p.action_code;
		if (c->abort_noop) {
			if (s->comp != RXD_CALL_SUCCEEDED)
				ss_fail(s, "client completed before its abort, but the server ended %s code %d",
					rxd_completion_name(s->comp), s->code);
		} else if (s->comp == RXD_CALL_SUCCEEDED && s->reply_done && c->p.action != SIM_ACT_CLIENT_ABORT_REQ) {
			/* The whole reply was out and the next call on the channel (or an
			 * ACK) ended it before the ABORT arrived: implicit end, legal. */
		} else if (s->comp == RXD_CALL_LOCALLY_ABORTED && s->code == RX_CALL_DEAD) {
			if (s->t_complete > c->t_complete + SIM_DEAD_GRACE_NS)
				ss_fail(
				    s,
				    "client abort %d never reached the server, which gave up RX_CALL_DEAD %.3fs later",
				    want, secs(s->t_complete - c->t_complete));
		} else if (s->comp != RXD_CALL_REMOTELY_ABORTED || s->code != want) {
			ss_fail(s, "client abort %d (client %s at %.6f): server saw %s code %d err %d", want,
				rxd_completion_name(c->comp), secs(c->t_complete), rxd_completion_name(s->comp),
				s->code, s->err);
		}
		break;
	}
	}
}

/* Called when either side of a pair finishes. */
static void pair_maybe_check(struct sim_scall *s)
{
	if (s && s->completed && (!s->cc || s->cc->finished))
		pair_check(s);
}

static void cross_check_servers(struct sim_app *a)
{
	for (unsigned i = 0; i < a->nscalls; i++) {
		struct sim_scall *s = a->scalls[i];

		if (!s->completed) {
			ss_fail(s, "server call never completed");
			continue;
		}
		pair_check(s);
	}
	if (a->p.relaxed)
		return;
	for (unsigned i = 0; i < a->ncalls; i++) {
		struct sim_ccall *c = &a->calls[i];
		bool unknown = c->p.service_id && c->p.service_id != SIM_SERVICE_ID;
		if (!c->started || unknown || c->p.req_len < SIM_REQ_HDR_LEN || c->srv_seen)
			continue;
		if (c->comp == RXD_CALL_SUCCEEDED || c->p.action == SIM_ACT_SERVER_ABORT_REQ ||
		    c->p.action == SIM_ACT_SERVER_ABORT_REPLY)
			cc_fail(c, "client call %s but no server call ever read its header",
				rxd_completion_name(c->comp));
	}
}

void sim_app_start(struct sim_app *a)
{
	if (a->started)
		return;
	a->started = true;
	for (unsigned i = 0; i < a->nphases; i++)
		a->phases[i].lanes_left = 0;
	for (unsigned i = 0; i < a->nlanes; i++)
		if (a->lanes[i].n)
			a->phases[a->lanes[i].phase].lanes_left++;
	if (a->nphases)
		sim_net_schedule(a->net, now_of(a) + a->phases[0].gap_ns, phase_start_ev, &a->phases[0]);
	else
		a->all_done = true;
}

uint64_t sim_app_run(struct sim_app *a)
{
	struct sim_net *n = a->net;
	uint64_t horizon = 0;
	enum sim_run_result rr;

	for (unsigned i = 0; i < a->nphases; i++)
		horizon += a->phases[i].gap_ns;
	horizon += 3600 * RXD_NS_PER_SEC;
	sim_app_start(a);

	rr = sim_net_run(n, app_done, a, now_of(a) + horizon, 500000000ull);
	a->res.work_end_ns = now_of(a);
	if (rr != SIM_RUN_DONE)
		report_stuck(a, rr);

	/* End whatever is left (only after a failure), then let servers finish. */
	for (unsigned i = 0; i < a->ncalls; i++)
		if (a->calls[i].started && !a->calls[i].ended)
			cc_end(&a->calls[i]);
	rr = sim_net_run(n, servers_done, a, now_of(a) + 600 * RXD_NS_PER_SEC, 100000000ull);
	if (rr != SIM_RUN_DONE) {
		unsigned shown = 0;
		for (unsigned i = 0; i < a->nscalls; i++) {
			struct sim_scall *s = a->scalls[i];
			if (s->ended)
				continue;
			if (shown++ < 3)
				ss_fail(s, "server call still open 600 s after every client call ended (%s)",
					sim_run_result_name(rr));
		}
		for (unsigned i = 0; i < a->nscalls; i++)
			if (!a->scalls[i]->ended)
				ss_end(a->scalls[i]);
	}

	/* Past every expiry: everything must be gone. */
	rr = sim_net_run(n, NULL, NULL, now_of(a) + 2 * long_idle_ns(a), 100000000ull);
	if (rr == SIM_RUN_LIVELOCK || rr == SIM_RUN_STEP_LIMIT)
		sim_app_fail(a, "draining: %s", sim_run_result_name(rr));
	check_engines_empty(a, "after draining past every expiry");
	if (sim_net_live_bufs(n) != sim_net_inflight_bufs(n))
		sim_app_fail(a, "after draining, the engines still hold %" PRIu64 " buffers",
			     sim_net_live_bufs(n) - sim_net_inflight_bufs(n));
	if (sim_net_io_stats(n)->violations)
		sim_app_fail(a, "%" PRIu64 " io contract violations", sim_net_io_stats(n)->violations);
	cross_check_servers(a);

	for (unsigned i = 0; i < a->ncalls; i++)
		a->res.bytes += a->calls[i].sent + a->calls[i].rcvd;
	a->res.end_ns = now_of(a);
	return a->res.failures;
}

void sim_app_detach(struct sim_app *a)
{
	a->detached = true;
}

const struct sim_app_result *sim_app_result(const struct sim_app *a)
{
	return &a->res;
}
