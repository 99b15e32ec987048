/* SPDX-License-Identifier: MIT */
/* rxperf client engine (see rxd_loadgen.h). */
#include "rxd_loadgen.h"
#include "rxd_result.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/wire.h>

#include "rxd_rxperf.h"

#define ZCHUNK 65536u

/* Request payload and the zero check both use this. */
static const uint8_t zeros[ZCHUNK];

enum cstate { C_IDLE, C_SEND, C_END, C_RECV, C_RETRY };

#define BUSY_DELAY_NS 5000000ull /* first retry after 5 ms, doubling */

struct ccall {
	struct rxd_loadgen *c;
	struct rxd_call *call;
	enum cstate st;
	bool measured;	 /* not a warm-up call */
	bool test_abort; /* we aborted it on purpose (--abort-after) */
	bool bad;	 /* reply failed verification */
	uint64_t k;
	uint64_t start;
	unsigned busy_tries; /* BUSY answers so far (the call is begun again) */
	uint64_t retry_at;
	/* request stream: header, payload zeros, optional cookie */
	uint8_t hdr[64];   /* the header; a small request whole (one send: header, zeros, cookie) */
	uint32_t hdr_len;  /* header bytes */
	uint32_t head_len; /* bytes of the stream in hdr */
	uint64_t pay;	   /* payload bytes to send (cut short by an early test abort) */
	bool early_abort;  /* the test abort falls inside the request */
	uint64_t tx_off, tx_total;
	/* reply: rpay zeros then the cookie */
	uint64_t rpay, rx_off, rx_expect;
	uint64_t moved; /* payload bytes moved, for --abort-after */
};

struct rxd_loadgen {
	struct rxd_loadgen_params p;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct ccall *slots;
	unsigned nslots;
	unsigned active;
	uint64_t next_k;
	uint64_t warm_left;
	uint64_t measured_begun;
	uint64_t deadline;
	bool measuring;
	bool stopping;
	atomic_bool done;
	uint8_t *scratch; /* echo: request bytes being sent, reply bytes being checked */
	struct rxd_loadgen_stats st;
};

static uint64_t now_of(const struct rxd_loadgen *c)
{
	return c->clock(c->clock_arg);
}

static void count_code(struct rxd_loadgen *c, int32_t code)
{
	for (unsigned i = 0; i < RXD_LG_CODES; i++) {
		if (c->st.codes[i].n && c->st.codes[i].code == code) {
			c->st.codes[i].n++;
			return;
		}
		if (!c->st.codes[i].n) {
			c->st.codes[i].code = code;
			c->st.codes[i].n = 1;
			return;
		}
	}
}

/*
 * One line per run for the first failure: "call K: HOW, abort code C (NAME)" or "..., error E (NAME)";
 * an error without a name of its own is named by strerror (a send the shell refused: -ENOBUFS, ...).
 */
static void note_error(struct rxd_loadgen *c, const struct ccall *cc, const char *what, const char *kind, int32_t code)
{
	const char *name = rxd_rxperf_abort_name(code);

	if (c->st.first_error[0])
		return;
	if (!strcmp(name, "?") && !strcmp(kind, "error") && code < 0)
		name = strerror(-code);
	snprintf(c->st.first_error, sizeof c->st.first_error, "call %llu: %s, %s %d (%s)", (unsigned long long)cc->k,
		 what, kind, code, name);
}

/* The contiguous piece of the request stream at offset off. */
static const uint8_t *tx_piece(const struct ccall *cc, uint64_t off, size_t *len)
{
	static const uint8_t cookie[4] = {0x00, 0x00, 0x47, 0x11};
	const struct rxd_loadgen *c = cc->c;
	uint64_t end;

	if (off < cc->head_len) {
		*len = cc->head_len - (size_t)off;
		return cc->hdr + off;
	}
	end = cc->hdr_len + cc->pay;
	if (off < end) {
		uint64_t n = end - off;
		*len = n < ZCHUNK ? (size_t)n : ZCHUNK;
		if (c->p.proto != RXD_LG_ECHO)
			return zeros;
		rxd_loadgen_fill(c->p.seed, cc->k, off - cc->hdr_len, c->scratch, *len);
		return c->scratch;
	}
	*len = (size_t)(cc->tx_total - off);
	return cookie + (off - end);
}

static void test_abort(struct ccall *cc, uint64_t now)
{
	cc->test_abort = true;
	rxd_call_abort(cc->call, RXD_RXPERF_TEST_CLIENT_ABORT, now);
}

static void pump(struct ccall *cc, uint64_t now)
{
	bool ended = false;
	ssize_t r;

	while (cc->st == C_SEND && cc->tx_off < cc->tx_total) {
		size_t n;
		const uint8_t *p = tx_piece(cc, cc->tx_off, &n);
		bool more = cc->early_abort || cc->tx_off + n < cc->tx_total;
		uint64_t pay_before = cc->tx_off > cc->hdr_len ? cc->tx_off - cc->hdr_len : 0;

		r = rxd_app_send(cc->call, p, n, more, &ended, now);
		if (r < 0)
			return; /* the completion says why */
		cc->tx_off += (uint64_t)r;
		if (cc->tx_off > cc->hdr_len) {
			uint64_t pay_now = cc->tx_off - cc->hdr_len;
			if (pay_now > cc->pay)
				pay_now = cc->pay;
			if (pay_now > pay_before)
				cc->moved += pay_now - pay_before;
		}
		if ((size_t)r < n)
			return; /* writable() resumes */
	}
	if (cc->st == C_SEND) {
		if (cc->early_abort) {
			test_abort(cc, now);
			return;
		}
		cc->st = ended ? C_RECV : C_END;
	}
	if (cc->st == C_END) {
		rxd_app_send(cc->call, NULL, 0, false, &ended, now);
		if (ended)
			cc->st = C_RECV;
	}
}

/* Echo: reply bytes [off, off + n) against the request's pattern. */
static bool check_echo(struct ccall *cc, const uint8_t *d, uint64_t off, uint32_t n)
{
	struct rxd_loadgen *c = cc->c;

	for (uint32_t j = 0; j < n;) {
		uint32_t piece = n - j < ZCHUNK ? n - j : ZCHUNK;
		rxd_loadgen_fill(c->p.seed, cc->k, off + j, c->scratch, piece);
		if (memcmp(d + j, c->scratch, piece) != 0)
			return false;
		j += piece;
	}
	return true;
}

/* Check reply bytes [off, off + n); returns false on the first bad byte. */
static bool check_reply(struct ccall *cc, const uint8_t *d, uint64_t off, uint32_t n)
{
	static const uint8_t cookie[4] = {0x00, 0x00, 0x47, 0x11};

	if (off + n > cc->rx_expect)
		return false;
	if (cc->c->p.proto == RXD_LG_ECHO)
		return check_echo(cc, d, off, n);
	if (off < cc->rpay) {
		uint64_t z = cc->rpay - off;
		uint32_t zn = z < n ? (uint32_t)z : n;
		if (cc->c->p.verify && memcmp(d, zeros, zn) != 0)
			return false;
		d += zn;
		off += zn;
		n -= zn;
	}
	return n == 0 || memcmp(d, cookie + (off - cc->rpay), n) == 0;
}

static void on_data(void *app, struct rxd_call *call)
{
	struct ccall *cc = app;
	struct rxd_loadgen *c = cc->c;
	struct rxd_seg segs[32];
	bool eor = false;
	uint64_t now = now_of(c);
	unsigned n;

	if (cc->test_abort)
		return;
	do {
		size_t used = 0;
		bool hit = false;

		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n && !hit; i++) {
			uint32_t len = segs[i].len;

			/* --abort-after: stop consuming exactly at the budget */
			if (c->p.abort_after >= 0 && cc->rx_off < cc->rpay) {
				uint64_t left =
				    (uint64_t)c->p.abort_after > cc->moved ? (uint64_t)c->p.abort_after - cc->moved : 0;
				uint64_t payload_here = cc->rpay - cc->rx_off < len ? cc->rpay - cc->rx_off : len;
				if (payload_here >= left) {
					len = (uint32_t)left;
					hit = true;
				}
			}
			if (!cc->bad && !check_reply(cc, segs[i].data, cc->rx_off, len)) {
				cc->bad = true;
				c->st.verify_errors++;
				if (!c->st.first_error[0])
					snprintf(c->st.first_error, sizeof c->st.first_error,
						 "call %llu: reply bytes %llu..%llu wrong (of %llu payload bytes)",
						 (unsigned long long)cc->k, (unsigned long long)cc->rx_off,
						 (unsigned long long)(cc->rx_off + len), (unsigned long long)cc->rpay);
			}
			if (cc->rx_off < cc->rpay) {
				uint64_t z = cc->rpay - cc->rx_off;
				cc->moved += z < len ? z : len;
			}
			cc->rx_off += len;
			used += len;
		}
		if (used)
			rxd_call_consume(call, used, now);
		if (hit) {
			test_abort(cc, now);
			return;
		}
	} while (n == 32);
	/* abort budget reached exactly at the end of the reply payload */
	if (c->p.abort_after >= 0 && cc->moved >= (uint64_t)c->p.abort_after && cc->rx_off >= cc->rpay &&
	    cc->rx_off < cc->rx_expect)
		test_abort(cc, now);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct ccall *cc = app;

	(void)call;
	pump(cc, now_of(cc->c));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct ccall *cc = app;
	struct rxd_loadgen *c = cc->c;
	uint64_t now = now_of(c);
	enum rxd_completion how = rxd_call_completion(call);
	int32_t code = rxd_call_abort_code(call);
	int err = rxd_call_error(call);

	if (err == -EBUSY)
		c->st.busy++;
	if (err == -EBUSY && !cc->test_abort && cc->busy_tries < c->p.busy_retries) {
		/* The server had no free channel/thread (OpenAFS answers BUSY to a new
		 * call on a channel whose previous call it is still cleaning up); begin
		 * the same call again later, as OpenAFS's own client does. */
		rxd_call_end(call, now);
		cc->call = NULL;
		cc->retry_at = now + (BUSY_DELAY_NS << cc->busy_tries);
		cc->busy_tries++;
		cc->st = C_RETRY;
		c->active--;
		return;
	}
	if (cc->test_abort) {
		c->st.aborts++;
		count_code(c, RXD_RXPERF_TEST_CLIENT_ABORT);
	} else if (how == RXD_CALL_SUCCEEDED) {
		if (!cc->bad && cc->rx_off == cc->rx_expect) {
			if (cc->measured) {
				c->st.ok++;
				c->st.bytes += cc->pay + cc->rpay;
				rxd_histo_add(&c->st.lat, now - cc->start);
			} else {
				c->st.warmup_ok++;
			}
			count_code(c, 0);
		} else {
			c->st.errors++;
			if (!cc->bad) {
				c->st.verify_errors++;
				if (!c->st.first_error[0])
					snprintf(c->st.first_error, sizeof c->st.first_error,
						 "call %llu: reply of %llu bytes, expected %llu",
						 (unsigned long long)cc->k, (unsigned long long)cc->rx_off,
						 (unsigned long long)cc->rx_expect);
			}
		}
	} else if (how == RXD_CALL_REMOTELY_ABORTED || how == RXD_CALL_LOCALLY_ABORTED) {
		if (how == RXD_CALL_REMOTELY_ABORTED)
			c->st.remote_aborts++;
		else
			c->st.local_aborts++;
		count_code(c, code);
		if (c->p.have_expect && code == c->p.expect_abort) {
			c->st.aborts++;
		} else {
			c->st.errors++;
			note_error(c, cc, rxd_completion_name(how), "abort code", code);
		}
	} else {
		c->st.net_errors++;
		count_code(c, err);
		if (c->p.have_expect && err == c->p.expect_abort) {
			c->st.aborts++;
		} else {
			c->st.errors++;
			note_error(c, cc, rxd_completion_name(how), "error", err);
		}
	}
	if (cc->measured)
		c->st.t_last = now;
	rxd_call_end(call, now);
	cc->call = NULL;
	cc->st = C_IDLE;
	c->active--;
}

static const struct rxd_call_ops cops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

struct rxd_loadgen *rxd_loadgen_create(const struct rxd_loadgen_params *p, rxd_app_clock_fn clock, void *clock_arg)
{
	struct rxd_loadgen *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->p = *p;
	c->clock = clock;
	c->clock_arg = clock_arg;
	c->nslots = p->concurrency ? p->concurrency : 1;
	c->slots = calloc(c->nslots, sizeof(*c->slots));
	c->scratch = p->proto == RXD_LG_ECHO ? malloc(ZCHUNK) : NULL;
	if (!c->slots || (p->proto == RXD_LG_ECHO && !c->scratch)) {
		rxd_loadgen_destroy(c);
		return NULL;
	}
	for (unsigned i = 0; i < c->nslots; i++)
		c->slots[i].c = c;
	c->warm_left = p->warmup;
	rxd_histo_init(&c->st.lat);
	return c;
}

void rxd_loadgen_destroy(struct rxd_loadgen *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->scratch);
	free(c);
}

static void begin(struct rxd_loadgen *c, struct ccall *cc, struct rxd_local *l, bool measured, uint64_t now)
{
	const struct rxd_loadgen_params *p = &c->p;
	struct rxd_call_params cp;
	struct rxd_call *call = NULL;
	bool echo = p->proto == RXD_LG_ECHO;
	uint64_t pay = !echo && p->op == RXD_RXPERF_RECV ? 0 : p->send_bytes;
	uint32_t n = 0;
	int rc;

	if (cc->st == C_RETRY) { /* same call again after BUSY: keep its number, start and tries */
		uint64_t k = cc->k, start = cc->start;
		unsigned tries = cc->busy_tries;
		memset(cc, 0, sizeof(*cc));
		cc->k = k;
		cc->start = start;
		cc->busy_tries = tries;
	} else {
		memset(cc, 0, sizeof(*cc));
		cc->k = c->next_k++;
		cc->start = now;
	}
	cc->c = c;
	cc->measured = measured;
	if (!echo) {
		rxd_put_be32(cc->hdr + n, p->version), n += 4;
		rxd_put_be32(cc->hdr + n, p->op), n += 4;
		rxd_put_be32(cc->hdr + n, p->rsize_hint), n += 4;
		rxd_put_be32(cc->hdr + n, p->wsize_hint), n += 4;
		if (p->op == RXD_RXPERF_SEND) {
			rxd_put_be32(cc->hdr + n, p->send_bytes), n += 4;
		} else if (p->op == RXD_RXPERF_RECV) {
			rxd_put_be32(cc->hdr + n, p->recv_bytes), n += 4;
		} else {
			rxd_put_be32(cc->hdr + n, p->send_bytes), n += 4;
			rxd_put_be32(cc->hdr + n, p->recv_bytes), n += 4;
		}
	}
	cc->hdr_len = n;
	if (p->short_request >= 0 && (uint64_t)p->short_request < pay)
		pay = (uint64_t)p->short_request; /* the server must notice the missing bytes */
	cc->pay = pay;
	if (p->abort_after >= 0 && (uint64_t)p->abort_after <= pay) {
		cc->early_abort = true;
		cc->pay = (uint64_t)p->abort_after;
	}
	cc->tx_total = cc->hdr_len + cc->pay + (!echo && p->cookie && !cc->early_abort ? 4 : 0);
	cc->head_len = cc->hdr_len;
	if (!echo && !cc->early_abort && cc->tx_total <= sizeof cc->hdr) {
		if (p->cookie) /* the payload zeros are already there (memset above) */
			rxd_put_be32(cc->hdr + cc->tx_total - 4, RXD_RXPERF_COOKIE);
		cc->head_len = (uint32_t)cc->tx_total;
	}
	if (echo)
		cc->rpay = cc->rx_expect = cc->pay; /* the request, byte for byte */
	else
		cc->rpay = p->op == RXD_RXPERF_SEND ? 0 : p->recv_bytes, cc->rx_expect = cc->rpay + 4;

	memset(&cp, 0, sizeof cp);
	cp.peer = p->peer;
	cp.service_id = p->service_id;
	cp.security_index = p->security_index;
	cp.security_level = p->security_level;
	cp.key = p->key;
	cp.user_call_id = cc->k;
	cp.tx_total_len = cc->early_abort ? -1 : (int64_t)cc->tx_total;
	cp.ops = &cops;
	cp.app = cc;
	if (!cc->busy_tries)
		c->st.started++;
	if (measured && !c->st.t_first)
		c->st.t_first = now;
	c->active++;
	cc->st = C_SEND;
	rc = rxd_call_begin(l, &cp, now, &call);
	if (rc) {
		c->active--;
		cc->st = C_IDLE;
		c->st.errors++;
		count_code(c, rc);
		note_error(c, cc, "rxd_call_begin failed", "error", rc);
		if (measured)
			c->st.t_last = now;
		return;
	}
	if (cc->st == C_IDLE) /* completed inside rxd_call_begin */
		return;
	cc->call = call;
	pump(cc, now);
}

static bool retries_pending(const struct rxd_loadgen *c)
{
	for (unsigned i = 0; i < c->nslots; i++)
		if (c->slots[i].st == C_RETRY)
			return true;
	return false;
}

static bool may_begin_measured(struct rxd_loadgen *c, uint64_t now)
{
	if (c->stopping)
		return false;
	if (c->p.calls && c->measured_begun >= c->p.calls)
		return false;
	if (!c->p.calls && (!c->p.duration_ns || now >= c->deadline))
		return false;
	return true;
}

void rxd_loadgen_poll(struct rxd_loadgen *c, struct rxd_local *l, uint64_t now)
{
	if (c->stopping) {
		for (unsigned i = 0; i < c->nslots; i++)
			if (c->slots[i].st == C_RETRY) {
				c->slots[i].st = C_IDLE;
				c->st.errors++;
			}
		if (!c->active)
			atomic_store_explicit(&c->done, true, memory_order_release);
		return;
	}
	for (unsigned i = 0; i < c->nslots; i++) {
		struct ccall *cc = &c->slots[i];
		if (cc->st == C_RETRY && now >= cc->retry_at)
			begin(c, cc, l, cc->measured, now);
	}
	if (!c->measuring) {
		/* warm-up: one call at a time, then measure */
		if (c->warm_left && !c->active && c->slots[0].st != C_RETRY) {
			c->warm_left--;
			begin(c, &c->slots[0], l, false, now);
		}
		if (c->warm_left || c->active || retries_pending(c))
			return;
		c->measuring = true;
		c->deadline = now + c->p.duration_ns;
	}
	for (unsigned i = 0; i < c->nslots && c->active < c->nslots && may_begin_measured(c, now); i++) {
		if (c->slots[i].st == C_IDLE && !c->slots[i].call) {
			c->measured_begun++;
			begin(c, &c->slots[i], l, true, now);
		}
	}
	if (!c->active && !retries_pending(c) && !may_begin_measured(c, now))
		atomic_store_explicit(&c->done, true, memory_order_release);
}

bool rxd_loadgen_measuring(const struct rxd_loadgen *c)
{
	return c->measuring;
}

void rxd_loadgen_stop(struct rxd_loadgen *c)
{
	c->stopping = true;
}

void rxd_loadgen_abort_all(struct rxd_loadgen *c, uint64_t now)
{
	c->stopping = true;
	for (unsigned i = 0; i < c->nslots; i++)
		if (c->slots[i].call)
			rxd_call_abort(c->slots[i].call, RX_USER_ABORT, now);
	if (!c->active)
		atomic_store_explicit(&c->done, true, memory_order_release);
}

bool rxd_loadgen_done(const struct rxd_loadgen *c)
{
	return atomic_load_explicit(&((struct rxd_loadgen *)(uintptr_t)c)->done, memory_order_acquire);
}

const struct rxd_loadgen_stats *rxd_loadgen_stats(const struct rxd_loadgen *c)
{
	return &c->st;
}

void rxd_loadgen_params_default(struct rxd_loadgen_params *p)
{
	memset(p, 0, sizeof(*p));
	p->proto = RXD_LG_RXPERF;
	p->op = RXD_RXPERF_RPC;
	p->version = RXD_RXPERF_VERSION;
	p->rsize_hint = p->wsize_hint = 65536;
	p->concurrency = 1;
	p->busy_retries = 8;
	p->verify = true;
	p->abort_after = -1;
	p->short_request = -1;
}

void rxd_loadgen_stats_merge(struct rxd_loadgen_stats *t, const struct rxd_loadgen_stats *st)
{
	t->started += st->started;
	t->ok += st->ok;
	t->aborts += st->aborts;
	t->errors += st->errors;
	t->remote_aborts += st->remote_aborts;
	t->local_aborts += st->local_aborts;
	t->net_errors += st->net_errors;
	t->busy += st->busy;
	t->verify_errors += st->verify_errors;
	t->warmup_ok += st->warmup_ok;
	t->bytes += st->bytes;
	if (st->t_first && (!t->t_first || st->t_first < t->t_first))
		t->t_first = st->t_first;
	if (st->t_last > t->t_last)
		t->t_last = st->t_last;
	if (!t->first_error[0] && st->first_error[0])
		memcpy(t->first_error, st->first_error, sizeof t->first_error);
	rxd_histo_merge(&t->lat, &st->lat);
	for (unsigned k = 0; k < RXD_LG_CODES && st->codes[k].n; k++) {
		unsigned j;
		for (j = 0; j < RXD_LG_CODES && t->codes[j].n && t->codes[j].code != st->codes[k].code; j++)
			;
		if (j == RXD_LG_CODES)
			continue; /* table full: the report shows the first eight codes */
		t->codes[j].code = st->codes[k].code;
		t->codes[j].n += st->codes[k].n;
	}
}

void rxd_loadgen_result(const struct rxd_loadgen_stats *t, struct rxd_result *r)
{
	double secs = (t->t_first && t->t_last > t->t_first) ? (double)(t->t_last - t->t_first) / 1e9 : 0.0;

	r->calls = t->ok + t->aborts + t->errors;
	r->calls_ok = t->ok;
	r->calls_failed = t->errors;
	r->expected_aborts = t->aborts;
	r->verify_errors = t->verify_errors;
	r->secs = secs;
	r->calls_per_s = secs > 0 ? (double)(t->ok + t->aborts) / secs : 0.0;
	r->mb_per_s = secs > 0 ? (double)t->bytes / secs / 1e6 : 0.0;
	r->p50_us = (double)rxd_histo_quantile(&t->lat, 0.5) / 1e3;
	r->p99_us = (double)rxd_histo_quantile(&t->lat, 0.99) / 1e3;
	r->p999_us = (double)rxd_histo_quantile(&t->lat, 0.999) / 1e3;
}
