/* SPDX-License-Identifier: MIT */
/* rxperf server logic on the run-to-completion API (see rxd_rxperf.h). */
#include "rxd_rxperf.h"

#include <stdlib.h>
#include <string.h>

#include <rxd/wire.h>

#include "rxd_app.h"

enum pstate { P_HDR, P_BODY, P_TRAILER, P_SEND, P_COOKIE, P_END, P_WAIT, P_DONE };

struct pcall {
	struct rxd_rxperf_server *srv;
	struct rxd_call *call;
	struct pcall *next_free;
	enum pstate st;
	uint32_t cmd;
	uint32_t hdr_have, hdr_need;
	uint8_t hdr[24];
	uint64_t req_left;   /* request payload still to skip */
	uint64_t reply_left; /* zero bytes still to send */
	uint32_t trailer;    /* bytes seen after the payload (an optional cookie) */
	uint32_t cookie_off; /* reply cookie bytes accepted */
};

struct rxd_rxperf_server {
	struct pcall *calls;
	struct pcall *free;
	uint32_t n;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct rxd_rxperf_server_stats st;
};

static const uint8_t zeros[65536];

static uint64_t now_of(const struct rxd_rxperf_server *s)
{
	return s->clock(s->clock_arg);
}

static void finish(struct pcall *p, uint64_t now)
{
	struct rxd_rxperf_server *s = p->srv;

	if (p->call)
		rxd_call_end(p->call, now);
	p->call = NULL;
	p->st = P_DONE;
	p->next_free = s->free;
	s->free = p;
}

static void fail(struct pcall *p, int32_t code, uint64_t now)
{
	rxd_call_abort(p->call, code, now);
}

/* The reply: zeros, then the cookie, then the end of the phase. */
static void send_reply(struct pcall *p, uint64_t now)
{
	bool ended;
	ssize_t r;

	while (p->st == P_SEND) {
		size_t n = p->reply_left < sizeof zeros ? (size_t)p->reply_left : sizeof zeros;
		if (!n) {
			p->st = P_COOKIE;
			break;
		}
		r = rxd_call_send(p->call, zeros, n, RXD_SEND_MORE, now);
		if (r < 0)
			return;
		p->reply_left -= (uint64_t)r;
		p->srv->st.bytes_out += (uint64_t)r;
		if ((size_t)r < n)
			return; /* writable() resumes */
	}
	if (p->st == P_COOKIE) {
		uint8_t ck[4];
		rxd_put_be32(ck, RXD_RXPERF_COOKIE);
		r = rxd_app_send(p->call, ck + p->cookie_off, 4 - p->cookie_off, false, &ended, now);
		if (r < 0)
			return;
		p->cookie_off += (uint32_t)r;
		p->srv->st.bytes_out += (uint64_t)r;
		if (p->cookie_off < 4)
			return;
		p->st = ended ? P_WAIT : P_END;
		return;
	}
	if (p->st == P_END) {
		rxd_app_send(p->call, NULL, 0, false, &ended, now);
		if (ended)
			p->st = P_WAIT;
	}
}

static bool parse_header(struct pcall *p, uint64_t now)
{
	uint32_t version = rxd_get_be32(p->hdr);

	if (p->hdr_have == 16) {
		if (version != RXD_RXPERF_VERSION) {
			p->srv->st.bad_version++;
			fail(p, RX_USER_ABORT, now);
			return false;
		}
		p->cmd = rxd_get_be32(p->hdr + 4);
		switch (p->cmd) {
		case RXD_RXPERF_SEND:
		case RXD_RXPERF_RECV:
			p->hdr_need = 20;
			break;
		case RXD_RXPERF_RPC:
			p->hdr_need = 24;
			break;
		default:
			p->srv->st.bad_opcode++;
			fail(p, RXGEN_OPCODE, now);
			return false;
		}
		return true;
	}
	if (p->hdr_have == p->hdr_need) {
		uint32_t a = rxd_get_be32(p->hdr + 16), b = p->cmd == RXD_RXPERF_RPC ? rxd_get_be32(p->hdr + 20) : 0;
		p->req_left = p->cmd == RXD_RXPERF_SEND ? a : p->cmd == RXD_RXPERF_RPC ? a : 0;
		p->reply_left = p->cmd == RXD_RXPERF_RECV ? a : p->cmd == RXD_RXPERF_RPC ? b : 0;
		p->st = p->req_left ? P_BODY : P_TRAILER;
	}
	return true;
}

static void on_data(void *app, struct rxd_call *call)
{
	struct pcall *p = app;
	struct rxd_seg segs[32];
	bool eor = false;
	uint64_t now = now_of(p->srv);
	unsigned n;

	if (p->st >= P_SEND)
		return;
	for (;;) {
		size_t used = 0;
		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *d = segs[i].data;
			uint32_t len = segs[i].len;
			while (len) {
				if (p->st == P_HDR) {
					uint32_t take = p->hdr_need - p->hdr_have;
					if (take > len)
						take = len;
					memcpy(p->hdr + p->hdr_have, d, take);
					p->hdr_have += take;
					d += take;
					len -= take;
					if (!parse_header(p, now))
						return;
				} else if (p->st == P_BODY) {
					uint64_t take = p->req_left < len ? p->req_left : len;
					p->req_left -= take;
					d += take;
					len -= (uint32_t)take;
					if (!p->req_left)
						p->st = P_TRAILER;
				} else { /* an optional trailing cookie; anything else is tolerated */
					p->trailer += len;
					len = 0;
				}
			}
			used += segs[i].len;
		}
		p->srv->st.bytes_in += used;
		if (used)
			rxd_call_consume(call, used, now);
		if (n < 32)
			break;
	}
	if (!eor)
		return;
	if (p->st == P_HDR || p->st == P_BODY) {
		p->srv->st.short_req++;
		fail(p, RXGEN_SS_UNMARSHAL, now);
		return;
	}
	p->st = P_SEND;
	send_reply(p, now);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct pcall *p = app;

	(void)call;
	send_reply(p, now_of(p->srv));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct pcall *p = app;

	if (rxd_call_completion(call) == RXD_CALL_SUCCEEDED)
		p->srv->st.ok++;
	else
		p->srv->st.aborted++;
	finish(p, now_of(p->srv));
}

static const struct rxd_call_ops pcall_ops;

static int on_new_call(void *app, struct rxd_call *call)
{
	struct rxd_rxperf_server *s = app;
	struct pcall *p = s->free;

	if (!p) {
		rxd_call_reject(call, now_of(s));
		return -1;
	}
	s->free = p->next_free;
	memset(p, 0, sizeof(*p));
	p->srv = s;
	p->call = call;
	p->st = P_HDR;
	p->hdr_need = 16;
	s->st.calls++;
	rxd_call_set_ops(call, &pcall_ops, p);
	return 0;
}

static const struct rxd_call_ops pcall_ops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

static const struct rxd_call_ops service_ops = {
    .new_call = on_new_call,
};

struct rxd_rxperf_server *rxd_rxperf_server_create(uint32_t max_calls, rxd_app_clock_fn clock, void *clock_arg)
{
	struct rxd_rxperf_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->clock = clock;
	s->clock_arg = clock_arg;
	s->calls = calloc(max_calls, sizeof(*s->calls));
	if (!s->calls) {
		free(s);
		return NULL;
	}
	s->n = max_calls;
	for (uint32_t i = max_calls; i-- > 0;) {
		s->calls[i].st = P_DONE;
		s->calls[i].next_free = s->free;
		s->free = &s->calls[i];
	}
	return s;
}

void rxd_rxperf_server_destroy(struct rxd_rxperf_server *s)
{
	if (!s)
		return;
	free(s->calls);
	free(s);
}

void rxd_rxperf_server_desc(struct rxd_rxperf_server *s, uint16_t service_id, struct rxd_service_desc *d)
{
	memset(d, 0, sizeof(*d));
	d->service_id = service_id;
	d->ops = &service_ops;
	d->app = s;
}

void rxd_rxperf_server_abort_all(struct rxd_rxperf_server *s, int32_t code, uint64_t now)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->calls[i].st != P_DONE && s->calls[i].call &&
		    rxd_call_completion(s->calls[i].call) == RXD_CALL_ACTIVE)
			rxd_call_abort(s->calls[i].call, code, now);
}

const struct rxd_rxperf_server_stats *rxd_rxperf_server_stats(const struct rxd_rxperf_server *s)
{
	return &s->st;
}

size_t rxd_rxperf_encode_request(uint8_t *p, uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes)
{
	rxd_put_be32(p, RXD_RXPERF_VERSION);
	rxd_put_be32(p + 4, cmd);
	rxd_put_be32(p + 8, 65536);  /* read size hint */
	rxd_put_be32(p + 12, 65536); /* write size hint */
	if (cmd == RXD_RXPERF_RPC) {
		rxd_put_be32(p + 16, req_bytes);
		rxd_put_be32(p + 20, reply_bytes);
		return 24;
	}
	rxd_put_be32(p + 16, cmd == RXD_RXPERF_SEND ? req_bytes : reply_bytes);
	return 20;
}

uint64_t rxd_rxperf_reply_len(uint32_t cmd, uint32_t req_bytes, uint32_t reply_bytes)
{
	(void)req_bytes;
	if (cmd == RXD_RXPERF_SEND)
		return 4;
	return (uint64_t)reply_bytes + 4;
}
