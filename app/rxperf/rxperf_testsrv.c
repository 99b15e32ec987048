/* SPDX-License-Identifier: MIT */
/* rxperf server with test hooks (see rxperf_testsrv.h). */
#include "rxperf_testsrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/wire.h>

#include "rxd_rxperf.h"
#include "rxperf_client.h"

#define ZCHUNK 65536u

static const uint8_t zeros[ZCHUNK];

enum sstate { S_HDR, S_BODY, S_TRAILER, S_SEND, S_COOKIE, S_END, S_WAIT, S_FREE };

struct scall {
	struct rxperf_testsrv *srv;
	struct rxd_call *call;
	struct scall *next_free;
	enum sstate st;
	uint32_t op;
	uint32_t have, need;
	uint8_t hdr[24];
	uint64_t req_left;
	uint64_t reply_left;
	bool abort_at_end; /* the reply is cut by the test hook */
	uint32_t cookie_off;
};

struct rxperf_testsrv {
	struct rxperf_testsrv_params p;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct scall *calls, *free;
	struct rxperf_testsrv_stats st;
};

static uint64_t now_of(const struct rxperf_testsrv *s)
{
	return s->clock(s->clock_arg);
}

static void fail(struct scall *sc, int32_t code, const char *why, uint64_t now)
{
	struct rxperf_testsrv *s = sc->srv;

	s->st.failed++;
	if (s->p.openafs_aborts)
		code = RX_CALL_DEAD;
	if (s->p.verbose)
		fprintf(stderr, "rxperf server: abort %d (%s): %s\n", code, rxperf_abort_name(code), why);
	rxd_call_abort(sc->call, code, now);
}

static void reply(struct scall *sc, uint64_t now)
{
	struct rxperf_testsrv *s = sc->srv;
	bool ended = false;
	ssize_t r;

	while (sc->st == S_SEND) {
		size_t n = sc->reply_left < ZCHUNK ? (size_t)sc->reply_left : ZCHUNK;
		if (!n) {
			if (sc->abort_at_end) {
				s->st.test_aborts++;
				if (s->p.verbose)
					fprintf(stderr, "rxperf server: abort %d (TEST_SERVER_ABORT): test hook\n",
						RXPERF_TEST_SERVER_ABORT);
				rxd_call_abort(sc->call, RXPERF_TEST_SERVER_ABORT, now);
				return;
			}
			sc->st = S_COOKIE;
			break;
		}
		r = rxd_call_send(sc->call, zeros, n, RXD_SEND_MORE, now);
		if (r < 0)
			return;
		sc->reply_left -= (uint64_t)r;
		s->st.bytes_out += (uint64_t)r;
		if ((size_t)r < n)
			return; /* writable() resumes */
	}
	if (sc->st == S_COOKIE) {
		uint8_t ck[4];
		rxd_put_be32(ck, RXD_RXPERF_COOKIE);
		r = rxd_app_send(sc->call, ck + sc->cookie_off, 4 - sc->cookie_off, false, &ended, now);
		if (r < 0)
			return;
		sc->cookie_off += (uint32_t)r;
		s->st.bytes_out += (uint64_t)r;
		if (sc->cookie_off < 4)
			return;
		sc->st = ended ? S_WAIT : S_END;
		return;
	}
	if (sc->st == S_END) {
		rxd_app_send(sc->call, NULL, 0, false, &ended, now);
		if (ended)
			sc->st = S_WAIT;
	}
}

/* Header bytes arrived; false when the call was aborted. */
static bool header(struct scall *sc, uint64_t now)
{
	struct rxperf_testsrv *s = sc->srv;

	if (sc->have == 16) {
		if (rxd_get_be32(sc->hdr) != RXD_RXPERF_VERSION) {
			s->st.bad_version++;
			fail(sc, RX_USER_ABORT, "wrong rxperf version", now);
			return false;
		}
		sc->op = rxd_get_be32(sc->hdr + 4);
		if (sc->op == RXD_RXPERF_SEND || sc->op == RXD_RXPERF_RECV) {
			sc->need = 20;
		} else if (sc->op == RXD_RXPERF_RPC) {
			sc->need = 24;
		} else {
			s->st.bad_op++;
			fail(sc, RXGEN_OPCODE, "unknown operation", now);
			return false;
		}
		return true;
	}
	if (sc->have == sc->need) {
		uint32_t a = rxd_get_be32(sc->hdr + 16), b = sc->need == 24 ? rxd_get_be32(sc->hdr + 20) : 0;
		sc->req_left = sc->op == RXD_RXPERF_RECV ? 0 : a;
		sc->reply_left = sc->op == RXD_RXPERF_SEND ? 0 : sc->op == RXD_RXPERF_RECV ? a : b;
		if (s->p.abort_reply_after >= 0 && sc->reply_left &&
		    sc->reply_left >= (uint64_t)s->p.abort_reply_after) {
			sc->reply_left = (uint64_t)s->p.abort_reply_after;
			sc->abort_at_end = true;
		}
		sc->st = sc->req_left ? S_BODY : S_TRAILER;
	}
	return true;
}

static void on_data(void *app, struct rxd_call *call)
{
	struct scall *sc = app;
	struct rxperf_testsrv *s = sc->srv;
	struct rxd_seg segs[32];
	uint64_t now = now_of(s);
	bool eor = false;
	unsigned n;

	if (sc->st >= S_SEND)
		return;
	do {
		size_t used = 0;
		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *d = segs[i].data;
			uint32_t len = segs[i].len;
			while (len) {
				if (sc->st == S_HDR) {
					uint32_t take = sc->need - sc->have;
					if (take > len)
						take = len;
					memcpy(sc->hdr + sc->have, d, take);
					sc->have += take;
					d += take;
					len -= take;
					if (!header(sc, now))
						return;
				} else if (sc->st == S_BODY) {
					uint64_t take = sc->req_left < len ? sc->req_left : len;
					sc->req_left -= take;
					d += take;
					len -= (uint32_t)take;
					if (!sc->req_left)
						sc->st = S_TRAILER;
				} else {
					len = 0; /* a trailing cookie or anything else: ignored */
				}
			}
			used += segs[i].len;
		}
		s->st.bytes_in += used;
		if (used)
			rxd_call_consume(call, used, now);
	} while (n == 32);
	if (!eor)
		return;
	if (sc->st == S_HDR || sc->st == S_BODY) {
		s->st.short_req++;
		fail(sc, RXGEN_SS_UNMARSHAL, sc->st == S_HDR ? "short request header" : "short request payload",
		     now);
		return;
	}
	sc->st = S_SEND;
	reply(sc, now);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct scall *sc = app;

	(void)call;
	reply(sc, now_of(sc->srv));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct scall *sc = app;
	struct rxperf_testsrv *s = sc->srv;

	if (rxd_call_completion(call) == RXD_CALL_SUCCEEDED)
		s->st.ok++;
	else if (s->p.verbose && rxd_call_completion(call) == RXD_CALL_REMOTELY_ABORTED)
		fprintf(stderr, "rxperf server: call aborted by the client: %d (%s)\n", rxd_call_abort_code(call),
			rxperf_abort_name(rxd_call_abort_code(call)));
	rxd_call_end(call, now_of(s));
	sc->call = NULL;
	sc->st = S_FREE;
	sc->next_free = s->free;
	s->free = sc;
}

static const struct rxd_call_ops scall_ops = {
	.data = on_data,
	.writable = on_writable,
	.complete = on_complete,
};

static int on_new_call(void *app, struct rxd_call *call)
{
	struct rxperf_testsrv *s = app;
	struct scall *sc = s->free;

	if (!sc) {
		rxd_call_reject(call, now_of(s));
		return -1;
	}
	s->free = sc->next_free;
	memset(sc, 0, sizeof(*sc));
	sc->srv = s;
	sc->call = call;
	sc->st = S_HDR;
	sc->need = 16;
	s->st.calls++;
	rxd_call_set_ops(call, &scall_ops, sc);
	return 0;
}

static const struct rxd_call_ops service_ops = {
	.new_call = on_new_call,
};

struct rxperf_testsrv *rxperf_testsrv_create(const struct rxperf_testsrv_params *p, rxd_app_clock_fn clock,
					     void *clock_arg)
{
	struct rxperf_testsrv *s = calloc(1, sizeof(*s));
	uint32_t n = p->max_calls ? p->max_calls : 1024;

	if (!s)
		return NULL;
	s->p = *p;
	s->p.max_calls = n;
	s->clock = clock;
	s->clock_arg = clock_arg;
	s->calls = calloc(n, sizeof(*s->calls));
	if (!s->calls) {
		free(s);
		return NULL;
	}
	for (uint32_t i = n; i-- > 0;) {
		s->calls[i].st = S_FREE;
		s->calls[i].next_free = s->free;
		s->free = &s->calls[i];
	}
	return s;
}

void rxperf_testsrv_destroy(struct rxperf_testsrv *s)
{
	if (!s)
		return;
	free(s->calls);
	free(s);
}

void rxperf_testsrv_desc(struct rxperf_testsrv *s, uint16_t service_id, struct rxd_service_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->service_id = service_id;
	d->ops = &service_ops;
	d->app = s;
}

void rxperf_testsrv_abort_all(struct rxperf_testsrv *s, int32_t code, uint64_t now)
{
	for (uint32_t i = 0; i < s->p.max_calls; i++)
		if (s->calls[i].st != S_FREE && s->calls[i].call &&
		    rxd_call_completion(s->calls[i].call) == RXD_CALL_ACTIVE)
			rxd_call_abort(s->calls[i].call, code, now);
}

const struct rxperf_testsrv_stats *rxperf_testsrv_stats(const struct rxperf_testsrv *s)
{
	return &s->st;
}
