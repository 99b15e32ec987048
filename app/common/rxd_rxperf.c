/* SPDX-License-Identifier: MIT */
/* rxperf server on the run-to-completion API (see rxd_rxperf.h). */
#include "rxd_rxperf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/security.h>
#include <rxd/wire.h>

#include "rxd_app.h"
#include "rxd_slots.h"

enum pstate { P_HDR, P_BODY, P_TRAILER, P_SEND, P_COOKIE, P_END, P_WAIT, P_DONE };

struct pcall {
	struct rxd_slot slot; /* first: the call and the free list */
	struct rxd_rxperf_server *srv;
	enum pstate st;
	uint32_t cmd;
	uint32_t hdr_have, hdr_need;
	uint8_t hdr[24];
	uint64_t req_left;   /* request payload still to skip */
	uint64_t reply_left; /* zero bytes still to send */
	bool abort_at_end;   /* the reply is cut by the abort_reply_after hook */
	uint32_t trailer;    /* bytes after the payload: the cookie or nothing */
	uint8_t tail[4];
	uint32_t cookie_off; /* reply cookie bytes accepted */
};

struct rxd_rxperf_server {
	struct rxd_rxperf_server_params p;
	struct rxd_slots calls;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct rxd_rxperf_server_stats st;
};

static const uint8_t zeros[65536];

static uint64_t now_of(const struct rxd_rxperf_server *s)
{
	return s->clock(s->clock_arg);
}

static void fail(struct pcall *p, int32_t code, const char *why, uint64_t now)
{
	const struct rxd_rxperf_server_params *sp = &p->srv->p;

	if (sp->openafs_aborts)
		code = RX_CALL_DEAD;
	if (sp->verbose)
		fprintf(stderr, "rxperf server: abort %d (%s): %s\n", code, rxd_rxperf_abort_name(code), why);
	rxd_call_abort(p->slot.call, code, now);
}

/* The reply: zeros, then the cookie, then the end of the phase. */
static void send_reply(struct pcall *p, uint64_t now)
{
	struct rxd_rxperf_server *s = p->srv;
	bool ended;
	ssize_t r;

	while (p->st == P_SEND) {
		size_t n = p->reply_left < sizeof zeros ? (size_t)p->reply_left : sizeof zeros;
		if (!n) {
			if (p->abort_at_end) {
				s->st.test_aborts++;
				if (s->p.verbose)
					fprintf(stderr, "rxperf server: abort %d (TEST_SERVER_ABORT): test hook\n",
						RXD_RXPERF_TEST_SERVER_ABORT);
				rxd_call_abort(p->slot.call, RXD_RXPERF_TEST_SERVER_ABORT, now);
				return;
			}
			p->st = P_COOKIE;
			break;
		}
		r = rxd_call_send(p->slot.call, zeros, n, RXD_SEND_MORE, now);
		if (r < 0)
			return;
		p->reply_left -= (uint64_t)r;
		s->st.bytes_out += (uint64_t)r;
		if ((size_t)r < n)
			return; /* writable() resumes */
	}
	if (p->st == P_COOKIE) {
		uint8_t ck[4];
		rxd_put_be32(ck, RXD_RXPERF_COOKIE);
		r = rxd_app_send(p->slot.call, ck + p->cookie_off, 4 - p->cookie_off, false, &ended, now);
		if (r < 0)
			return;
		p->cookie_off += (uint32_t)r;
		s->st.bytes_out += (uint64_t)r;
		if (p->cookie_off < 4)
			return;
		p->st = ended ? P_WAIT : P_END;
		return;
	}
	if (p->st == P_END) {
		rxd_app_send(p->slot.call, NULL, 0, false, &ended, now);
		if (ended)
			p->st = P_WAIT;
	}
}

/* Header bytes arrived; false when the call was aborted. */
static bool parse_header(struct pcall *p, uint64_t now)
{
	struct rxd_rxperf_server *s = p->srv;

	if (p->hdr_have == 16) {
		if (rxd_get_be32(p->hdr) != RXD_RXPERF_VERSION) {
			s->st.bad_version++;
			fail(p, RX_USER_ABORT, "wrong rxperf version", now);
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
			s->st.bad_opcode++;
			fail(p, RXGEN_OPCODE, "unknown operation", now);
			return false;
		}
		return true;
	}
	if (p->hdr_have == p->hdr_need) {
		uint32_t a = rxd_get_be32(p->hdr + 16), b = p->cmd == RXD_RXPERF_RPC ? rxd_get_be32(p->hdr + 20) : 0;
		p->req_left = p->cmd == RXD_RXPERF_RECV ? 0 : a;
		p->reply_left = p->cmd == RXD_RXPERF_SEND ? 0 : p->cmd == RXD_RXPERF_RECV ? a : b;
		if (s->p.abort_reply_after >= 0 && p->reply_left && p->reply_left >= (uint64_t)s->p.abort_reply_after) {
			p->reply_left = (uint64_t)s->p.abort_reply_after;
			p->abort_at_end = true;
		}
		p->st = p->req_left ? P_BODY : P_TRAILER;
	}
	return true;
}

/* The request after its payload is complete: nothing, or exactly the cookie. */
static bool trailer_ok(const struct pcall *p)
{
	return p->trailer == 0 || (p->trailer == 4 && rxd_get_be32(p->tail) == RXD_RXPERF_COOKIE);
}

static void on_data(void *app, struct rxd_call *call)
{
	struct pcall *p = app;
	struct rxd_rxperf_server *s = p->srv;
	struct rxd_seg segs[32];
	bool eor = false;
	uint64_t now = now_of(s);
	unsigned n;

	if (p->st >= P_SEND)
		return;
	do {
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
				} else {
					if (p->trailer + len > sizeof p->tail) {
						s->st.bad_trailer++;
						fail(p, RXGEN_SS_UNMARSHAL, "bytes after the request cookie", now);
						return;
					}
					memcpy(p->tail + p->trailer, d, len);
					p->trailer += len;
					len = 0;
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
	if (p->st == P_HDR || p->st == P_BODY) {
		s->st.short_req++;
		fail(p, RXGEN_SS_UNMARSHAL, p->st == P_HDR ? "short request header" : "short request payload", now);
		return;
	}
	if (!trailer_ok(p)) {
		s->st.bad_trailer++;
		fail(p, RXGEN_SS_UNMARSHAL, "request ends with bytes other than the cookie", now);
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
	struct rxd_rxperf_server *s = p->srv;
	enum rxd_completion how = rxd_call_completion(call);

	if (s->p.verbose && how == RXD_CALL_REMOTELY_ABORTED)
		fprintf(stderr, "rxperf server: call aborted by the client: %d (%s)\n", rxd_call_abort_code(call),
			rxd_rxperf_abort_name(rxd_call_abort_code(call)));
	p->st = P_DONE;
	rxd_slots_put(&s->calls, &p->slot, now_of(s));
}

static const struct rxd_call_ops pcall_ops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

static int on_new_call(void *app, struct rxd_call *call)
{
	struct rxd_rxperf_server *s = app;
	struct pcall *p = (struct pcall *)rxd_slots_accept(&s->calls, call, &pcall_ops, now_of(s));

	if (!p)
		return -1;
	p->srv = s;
	p->st = P_HDR;
	p->hdr_need = 16;
	return 0;
}

static const struct rxd_call_ops service_ops = {
    .new_call = on_new_call,
};

void rxd_rxperf_server_params_default(struct rxd_rxperf_server_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_calls = 1024;
	p->abort_reply_after = -1;
}

struct rxd_rxperf_server *rxd_rxperf_server_create(const struct rxd_rxperf_server_params *p, rxd_app_clock_fn clock,
						   void *clock_arg)
{
	struct rxd_rxperf_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->p = *p;
	if (!s->p.max_calls)
		s->p.max_calls = 1024;
	s->clock = clock;
	s->clock_arg = clock_arg;
	if (rxd_slots_init(&s->calls, s->p.max_calls, sizeof(struct pcall))) {
		free(s);
		return NULL;
	}
	return s;
}

void rxd_rxperf_server_destroy(struct rxd_rxperf_server *s)
{
	if (!s)
		return;
	rxd_slots_fini(&s->calls);
	free(s);
}

void rxd_rxperf_server_desc(struct rxd_rxperf_server *s, uint16_t service_id, struct rxd_service_desc *d)
{
	rxd_app_service_desc(d, service_id, &service_ops, s);
}

void rxd_rxperf_server_abort_all(struct rxd_rxperf_server *s, int32_t code, uint64_t now)
{
	rxd_slots_abort_all(&s->calls, code, now);
}

const struct rxd_rxperf_server_stats *rxd_rxperf_server_stats(struct rxd_rxperf_server *s)
{
	s->st.calls = s->calls.accepted;
	s->st.ok = s->calls.ok;
	s->st.failed = s->calls.failed;
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

static const struct {
	int32_t code;
	const char *name;
} abort_names[] = {
    {0, "ok"},
    {RX_CALL_DEAD, "RX_CALL_DEAD"},
    {RX_INVALID_OPERATION, "RX_INVALID_OPERATION"},
    {RX_CALL_TIMEOUT, "RX_CALL_TIMEOUT"},
    {RX_EOF, "RX_EOF"},
    {RX_PROTOCOL_ERROR, "RX_PROTOCOL_ERROR"},
    {RX_USER_ABORT, "RX_USER_ABORT"},
    {RX_ADDRINUSE, "RX_ADDRINUSE"},
    {RX_DEBUGI_BADTYPE, "RX_DEBUGI_BADTYPE"},
    {RX_RESTARTING, "RX_RESTARTING"},
    {RXGEN_CC_MARSHAL, "RXGEN_CC_MARSHAL"},
    {RXGEN_CC_UNMARSHAL, "RXGEN_CC_UNMARSHAL"},
    {RXGEN_SS_MARSHAL, "RXGEN_SS_MARSHAL"},
    {RXGEN_SS_UNMARSHAL, "RXGEN_SS_UNMARSHAL"},
    {RXGEN_DECODE, "RXGEN_DECODE"},
    {RXGEN_OPCODE, "RXGEN_OPCODE"},
    {RXD_RXPERF_TEST_CLIENT_ABORT, "TEST_CLIENT_ABORT"},
    {RXD_RXPERF_TEST_SERVER_ABORT, "TEST_SERVER_ABORT"},
    {-EBUSY, "-EBUSY"},
    {-ETIMEDOUT, "-ETIMEDOUT"},
    {-ECONNREFUSED, "-ECONNREFUSED"},
    {-EHOSTUNREACH, "-EHOSTUNREACH"},
    {-ENETUNREACH, "-ENETUNREACH"},
};

const char *rxd_rxperf_abort_name(int32_t code)
{
	for (size_t i = 0; i < sizeof abort_names / sizeof abort_names[0]; i++)
		if (abort_names[i].code == code)
			return abort_names[i].name;
	if (code >= RXKADINCONSISTENCY && code <= RXKADILLEGALLEVEL)
		return rxd_rxkad_abort_name(code);
	return "?";
}
