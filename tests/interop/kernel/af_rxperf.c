/* SPDX-License-Identifier: MIT */
/*
 * af_rxperf: an rxperf client and server on the Linux kernel's AF_RXRPC
 * socket API (Documentation/networking/rxrpc.rst), run inside the qemu guest
 * of tests/interop/kernel/.  It is the kernel's RxRPC peer for rxd: its own
 * small rxperf codec on purpose, so that rxd's encoder is not checked
 * against itself.
 *
 * Protocol (doc/rxperf.md, net/rxrpc/rxperf.c): service 147, UDP 7009.
 * Request: big-endian version 3, operation, two size hints, then SEND 0: n;
 * RECV 1: n; RPC 3: a, b; then the payload and optionally the cookie
 * 0x00004711.  Reply: zeros, then the cookie.
 *
 * Socket usage: one socket, single thread, blocking I/O.  Every call is named
 * by an RXRPC_USER_CALL_ID control message; sendmsg() carries MSG_MORE on all
 * but the last piece of a phase; recvmsg() reports a call's end with MSG_EOR
 * and one of RXRPC_ACK (server: final ACK), RXRPC_ABORT, RXRPC_NET_ERROR,
 * RXRPC_BUSY, RXRPC_LOCAL_ERROR.  6.12 never delivers RXRPC_BUSY: its client
 * ignores a BUSY packet and sends the call's DATA again (net/rxrpc/input.c
 * rxrpc_input_call_packet); the retry below is for kernels that do.  The server charges the kernel's accept
 * queue with call IDs (RXRPC_CHARGE_ACCEPT) up to its listen() backlog.
 *
 * Output: one flat JSON line in the schema every rxd program prints
 * (doc/results-json.md, printed by rxd_result_json() from the header-only
 * app/common/rxd_result.h; of rxd only the ticket encoder is linked), with impl "af_rxrpc",
 * then busy (BUSY answers, each call begun again up to 8 times) and codes
 * (completion code -> calls: 0 success, abort codes, -errno for
 * RXRPC_NET_ERROR/RXRPC_LOCAL_ERROR), as rxd's rxperf client prints them.
 * retransmissions is 0: AF_RXRPC does not report a socket's retransmissions.
 * Exit: 0 every call succeeded or ended as expected, 1 otherwise, 2 usage,
 * 3 --timeout.
 *
 * rxkad (--security clear|auth|crypt --key HEX16): the kernel does the
 * handshake and the packet security; this program only hands it keys
 * (Documentation/networking/rxrpc.rst, net/rxrpc/key.c, server_key.c).  The
 * server adds an "rxrpc_s" key "SERVICE:2" holding the 8-byte DES service key
 * to a keyring of its own (RXRPC_SECURITY_KEYRING); the client makes a
 * Kerberos 4 style ticket for a random session key, sealed with the service
 * key, and adds an "rxrpc" key with the version 1 payload of
 * net/rxrpc/key.c (RXRPC_SECURITY_KEY; af_rxkad.c).  RXRPC_MIN_SECURITY_LEVEL
 * is the level the client asks for.  The ticket is made by rxd's own encoder
 * (lib/security/rxkad_ticket.c, DES from a static Nettle), the one piece of
 * rxd linked in.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/rxrpc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "af_rxkad.h"
#include "rxd_result.h"

#ifndef AF_RXRPC
#define AF_RXRPC 33
#endif
#ifndef SOL_RXRPC
#define SOL_RXRPC 272
#endif

#define RXPERF_SERVICE 147u
#define RXPERF_PORT 7009u
#define RXPERF_VERSION 3u
#define RXPERF_SEND 0u
#define RXPERF_RECV 1u
#define RXPERF_RPC 3u
/* RX_USER_ABORT, RXGEN_SS_UNMARSHAL, RXGEN_OPCODE come from <linux/rxrpc.h>. */
#define CLIENT_ABORT_CODE 1234
#define SERVER_ABORT_CODE 4321
#define MAX_CALLS 1024
#define CHUNK 65536
#define BUSY_RETRIES 8
#define MAX_CODES 8 /* distinct completion codes reported (rxperf's table is as small) */

static const uint8_t cookie[4] = {0x00, 0x00, 0x47, 0x11};
static uint8_t zeros[CHUNK];

/* One call in either role; slot index + 1 is its user call ID. */
struct call {
	bool used;
	int busy_tries;
	uint64_t in;	    /* payload bytes received (incl. header on the server) */
	uint64_t expect_in; /* client: reply bytes expected (payload + cookie) */
	uint8_t hdr[24];    /* server: request header collected so far */
	bool bad_reply;	    /* client: a reply byte was not zero / cookie */
	bool aborted_locally;
	uint64_t pay; /* server: request + reply payload of the call */
	struct timespec t0;
};

/* No rxkad (security index 0), or rxkad at RXRPC_SECURITY_PLAIN / _AUTH / _ENCRYPT. */
#define SECURITY_NONE (-1)

struct opts {
	bool server, v6, cookie, json, verbose;
	int security;	/* SECURITY_NONE or the rxkad level 0..2 */
	uint8_t key[8]; /* rxkad service key (DES) */
	bool have_key, have_kvno;
	uint32_t kvno;	      /* client: sent in the RESPONSE; server: "SERVICE:2:KVNO" */
	int64_t ticket_age;   /* client: the ticket was issued this many seconds ago */
	uint32_t ticket_life; /* client: its lifetime in seconds */
	struct sockaddr_rxrpc peer;
	unsigned port, local_port, service, op, version, conc, total, timeout, duration, backlog;
	uint64_t sbytes, rbytes;
	int64_t abort_after, abort_reply_after;
	int32_t expect_abort;
	bool have_expect;
};

struct stats {
	uint64_t calls, ok, aborts, errors, verify_errors, busy, bytes; /* bytes: payload of ok calls */
	uint64_t *lat_us;
	struct {
		int32_t code;
		uint64_t n;
	} codes[MAX_CODES];
};

static struct call calls[MAX_CALLS];

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* sendmsg on one call: control = user call ID [+ abort code | charge]. */
static ssize_t call_send(int fd, unsigned long id, const struct sockaddr_rxrpc *to, const void *buf, size_t len,
			 int flags, int ctl, int32_t abort_code)
{
	union {
		char b[CMSG_SPACE(sizeof(unsigned long)) + CMSG_SPACE(sizeof(int32_t))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b};
	struct cmsghdr *c;
	size_t clen = CMSG_SPACE(sizeof(unsigned long));

	memset(&u, 0, sizeof u);
	if (to) {
		m.msg_name = (void *)to;
		m.msg_namelen = sizeof *to;
	}
	c = (struct cmsghdr *)u.b;
	c->cmsg_level = SOL_RXRPC;
	c->cmsg_type = RXRPC_USER_CALL_ID;
	c->cmsg_len = CMSG_LEN(sizeof(unsigned long));
	memcpy(CMSG_DATA(c), &id, sizeof id);
	if (ctl == RXRPC_ABORT || ctl == RXRPC_CHARGE_ACCEPT) {
		size_t dl = ctl == RXRPC_ABORT ? sizeof(int32_t) : 0;
		c = (struct cmsghdr *)(u.b + clen);
		c->cmsg_level = SOL_RXRPC;
		c->cmsg_type = ctl;
		c->cmsg_len = CMSG_LEN(dl);
		if (dl)
			memcpy(CMSG_DATA(c), &abort_code, dl);
		clen += CMSG_SPACE(dl);
	}
	m.msg_controllen = clen;
	return sendmsg(fd, &m, flags);
}

/* Send len bytes of zeros (then the cookie if asked) as one phase, MSG_MORE on all but the
 * last piece; with abort_at >= 0, abort the call with code instead once abort_at bytes went.
 * Returns 0 sent, 1 aborted by us, 2 the call ended under us (its terminal message follows
 * on recvmsg), or -errno when even the first sendmsg failed (no call exists). */
static int send_phase(int fd, unsigned long id, const struct sockaddr_rxrpc *to, const uint8_t *head, size_t head_len,
		      uint64_t len, bool with_cookie, int64_t abort_at, int32_t code)
{
	uint64_t sent = 0;
	bool first = true;

	if (head_len) {
		bool last = len == 0 && !with_cookie && abort_at < 0;
		if (call_send(fd, id, to, head, head_len, last ? 0 : MSG_MORE, 0, 0) < 0)
			return -errno;
		first = false;
	}
	while (sent < len || (abort_at >= 0 && (uint64_t)abort_at <= sent)) {
		size_t n;
		bool last;

		if (abort_at >= 0 && sent >= (uint64_t)abort_at) {
			if (call_send(fd, id, first ? to : NULL, NULL, 0, 0, RXRPC_ABORT, code) < 0)
				return first ? -errno : 2;
			return 1;
		}
		n = len - sent > CHUNK ? CHUNK : (size_t)(len - sent);
		if (abort_at >= 0 && sent + n > (uint64_t)abort_at)
			n = (size_t)((uint64_t)abort_at - sent);
		last = sent + n == len && !with_cookie && abort_at < 0;
		if (call_send(fd, id, first ? to : NULL, zeros, n, last ? 0 : MSG_MORE, 0, 0) < 0)
			return first ? -errno : 2;
		first = false;
		sent += n;
	}
	if (with_cookie && call_send(fd, id, first ? to : NULL, cookie, sizeof cookie, 0, 0, 0) < 0)
		return first ? -errno : 2;
	return 0;
}

/* One recvmsg: data and/or a terminal control message for one call. */
struct rx_event {
	unsigned long id;
	ssize_t len;
	bool more, eor;
	int term;     /* 0 = none, else RXRPC_ACK / ABORT / NET_ERROR / BUSY / LOCAL_ERROR */
	int32_t code; /* abort code or errno */
};

static int rx_next(int fd, uint8_t *buf, size_t cap, struct rx_event *ev)
{
	char cbuf[256];
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct sockaddr_rxrpc from;
	struct cmsghdr *c;

	m.msg_name = &from;
	m.msg_namelen = sizeof from;
	memset(ev, 0, sizeof *ev);
	ev->len = recvmsg(fd, &m, 0);
	if (ev->len < 0)
		return -errno;
	ev->more = m.msg_flags & MSG_MORE;
	ev->eor = m.msg_flags & MSG_EOR;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_RXRPC)
			continue;
		switch (c->cmsg_type) {
		case RXRPC_USER_CALL_ID:
			memcpy(&ev->id, CMSG_DATA(c), sizeof ev->id);
			break;
		case RXRPC_ABORT:
		case RXRPC_NET_ERROR:
		case RXRPC_LOCAL_ERROR:
			ev->term = c->cmsg_type;
			memcpy(&ev->code, CMSG_DATA(c), sizeof ev->code);
			break;
		case RXRPC_ACK:
		case RXRPC_BUSY:
			ev->term = c->cmsg_type;
			break;
		case RXRPC_NEW_CALL: /* older kernels announce a call before its data */
			break;
		}
	}
	return 0;
}

static const char *term_name(int t)
{
	switch (t) {
	case RXRPC_ACK:
		return "ACK";
	case RXRPC_ABORT:
		return "ABORT";
	case RXRPC_NET_ERROR:
		return "NET_ERROR";
	case RXRPC_BUSY:
		return "BUSY";
	case RXRPC_LOCAL_ERROR:
		return "LOCAL_ERROR";
	}
	return "DATA";
}

/* Completion codes as rxd's rxperf counts them: 0 success, an abort code, or -errno. */
static void count_code(struct stats *st, int32_t code)
{
	for (unsigned i = 0; i < MAX_CODES; i++) {
		if (st->codes[i].n && st->codes[i].code == code) {
			st->codes[i].n++;
			return;
		}
		if (!st->codes[i].n) {
			st->codes[i].code = code;
			st->codes[i].n = 1;
			return;
		}
	}
}

static int32_t term_code(const struct rx_event *ev)
{
	switch (ev->term) {
	case RXRPC_ABORT:
		return ev->code;
	case RXRPC_BUSY:
		return -EBUSY;
	}
	return -ev->code; /* NET_ERROR, LOCAL_ERROR: a positive errno */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t request_payload(const struct opts *o)
{
	return o->op == RXPERF_SEND || o->op == RXPERF_RPC ? o->sbytes : 0;
}

static uint64_t reply_payload(const struct opts *o)
{
	return o->op == RXPERF_RECV || o->op == RXPERF_RPC ? o->rbytes : 0;
}

static const char *op_name(unsigned op)
{
	return op == RXPERF_SEND ? "send" : op == RXPERF_RECV ? "recv" : "rpc";
}

static const char *const security_names[] = {"clear", "auth", "crypt"};

static const char *security_name(int level)
{
	return level == SECURITY_NONE ? "none" : security_names[level];
}

static void print_json(const struct opts *o, struct stats *st, uint64_t elapsed_us)
{
	double s = elapsed_us ? (double)elapsed_us / 1e6 : 1e-6;
	struct rxd_result r = {
	    .impl = "af_rxrpc",
	    .scenario = o->server ? "server" : op_name(o->op),
	    .req_bytes = o->server ? 0 : request_payload(o),
	    .reply_bytes = o->server ? 0 : reply_payload(o),
	    .concurrency = o->server ? 0 : o->conc,
	    .calls = st->calls,
	    .calls_ok = st->ok,
	    .calls_failed = st->errors,
	    .expected_aborts = st->aborts,
	    .verify_errors = st->verify_errors,
	    .secs = s,
	    .calls_per_s = (double)(st->ok + st->aborts) / s,
	    .mb_per_s = (double)st->bytes / s / 1e6,
	};

	if (!o->server && st->ok) { /* the server measures no latency (lat_us holds one entry) */
		qsort(st->lat_us, st->ok, sizeof *st->lat_us, cmp_u64);
		r.p50_us = (double)st->lat_us[(st->ok - 1) / 2];
		r.p99_us = (double)st->lat_us[(st->ok - 1) * 99 / 100];
		r.p999_us = (double)st->lat_us[(st->ok - 1) * 999 / 1000];
	}
	if (!o->json)
		fprintf(stderr,
			"af_rxperf %s: %" PRIu64 " calls, %" PRIu64 " ok, %" PRIu64 " expected aborts, %" PRIu64
			" failed, %" PRIu64 " busy in %.3f s\n",
			o->server ? "server" : "client", st->calls, st->ok, st->aborts, st->errors, st->busy, s);
	printf("{");
	rxd_result_json(stdout, &r);
	printf(",\"op\":%u,\"security\":\"%s\",\"busy\":%" PRIu64 ",\"codes\":{", o->op, security_name(o->security),
	       st->busy);
	for (unsigned i = 0; i < MAX_CODES && st->codes[i].n; i++)
		printf("%s\"%" PRId32 "\":%" PRIu64, i ? "," : "", st->codes[i].code, st->codes[i].n);
	printf("}}\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------ client */

static size_t encode_request(const struct opts *o, uint8_t *h)
{
	size_t n = 0;

	put32(h + n, o->version), n += 4;
	put32(h + n, o->op), n += 4;
	put32(h + n, 512 * 1024), n += 4; /* size hints, as OpenAFS's rxperf sends */
	put32(h + n, 512 * 1024), n += 4;
	if (o->op == RXPERF_SEND) {
		put32(h + n, (uint32_t)o->sbytes), n += 4;
	} else if (o->op == RXPERF_RECV) {
		put32(h + n, (uint32_t)o->rbytes), n += 4;
	} else if (o->op == RXPERF_RPC) {
		put32(h + n, (uint32_t)o->sbytes), n += 4;
		put32(h + n, (uint32_t)o->rbytes), n += 4;
	}
	return n;
}

static int client_start(int fd, const struct opts *o, unsigned slot)
{
	struct call *c = &calls[slot];
	uint8_t hdr[24];
	size_t hl = encode_request(o, hdr);
	int64_t abort_at = -1;
	int r;

	c->used = true;
	c->in = 0;
	c->expect_in = reply_payload(o) + sizeof cookie;
	c->bad_reply = false;
	c->aborted_locally = false;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	/* --abort-after B: abort once B payload bytes moved; within the request if it is that long. */
	if (o->abort_after >= 0 && (o->abort_after < (int64_t)request_payload(o) || !reply_payload(o)))
		abort_at = o->abort_after < (int64_t)request_payload(o) ? o->abort_after : (int64_t)request_payload(o);
	r = send_phase(fd, slot + 1, &o->peer, hdr, hl, request_payload(o), o->cookie, abort_at, CLIENT_ABORT_CODE);
	if (r == 1)
		c->aborted_locally = true;
	return r < 0 ? r : 0;
}

/* A client socket bound to the address and port of a socket that stays open shares its
 * local endpoint, which then outlives this process (see doc/kernel-interop.md). */
static int client_bind(int fd, const struct opts *o)
{
	struct sockaddr_rxrpc srx = {.srx_family = AF_RXRPC, .transport_type = SOCK_DGRAM};

	if (o->v6) {
		srx.transport_len = sizeof srx.transport.sin6;
		srx.transport.sin6.sin6_family = AF_INET6;
		srx.transport.sin6.sin6_port = htons((uint16_t)o->local_port);
	} else {
		srx.transport_len = sizeof srx.transport.sin;
		srx.transport.sin.sin_family = AF_INET;
		srx.transport.sin.sin_port = htons((uint16_t)o->local_port);
	}
	return bind(fd, (struct sockaddr *)&srx, sizeof srx);
}

static bool reply_bytes_ok(const struct call *c, const uint8_t *d, size_t n)
{
	uint64_t pay = c->expect_in - sizeof cookie;

	for (size_t i = 0; i < n; i++) {
		uint64_t off = c->in + i;
		uint8_t want = off < pay ? 0 : off < c->expect_in ? cookie[off - pay] : 0xff;
		if (d[i] != want)
			return false;
	}
	return true;
}

static int run_client(int fd, const struct opts *o)
{
	static uint8_t buf[CHUNK];
	struct stats st = {0};
	unsigned started = 0, active = 0, conc = o->conc > MAX_CALLS ? MAX_CALLS : o->conc;
	uint64_t t0 = now_us();

	st.lat_us = calloc(o->total + 1, sizeof *st.lat_us);
	if (!st.lat_us)
		return 1;
	for (unsigned i = 0; i < conc && started < o->total; i++, started++, active++)
		if (client_start(fd, o, i) < 0) {
			fprintf(stderr, "af_rxperf: sendmsg (call %u): %s\n", i + 1, strerror(errno));
			return 1;
		}
	while (active) {
		struct rx_event ev;
		struct call *c;
		unsigned slot;
		int r = rx_next(fd, buf, sizeof buf, &ev);

		if (r == -EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "af_rxperf: recvmsg: %s\n", strerror(-r));
			return 1;
		}
		if (ev.id < 1 || ev.id > conc || !calls[ev.id - 1].used) {
			fprintf(stderr, "af_rxperf: message for unknown call id %lu\n", ev.id);
			continue;
		}
		slot = (unsigned)ev.id - 1;
		c = &calls[slot];
		if (ev.len > 0) {
			if (!reply_bytes_ok(c, buf, (size_t)ev.len))
				c->bad_reply = true;
			c->in += (uint64_t)ev.len;
			/* --abort-after on the reply: abort once that many reply bytes came in. */
			if (o->abort_after >= 0 && !c->aborted_locally && !ev.eor && reply_payload(o) &&
			    o->abort_after >= (int64_t)request_payload(o) &&
			    c->in >= (uint64_t)o->abort_after - request_payload(o)) {
				if (call_send(fd, ev.id, NULL, NULL, 0, 0, RXRPC_ABORT, CLIENT_ABORT_CODE) == 0)
					c->aborted_locally = true;
			}
		}
		if (!ev.eor)
			continue;
		/* Terminal: the call is over, its ID is free again. */
		if (ev.term == RXRPC_BUSY && c->busy_tries < BUSY_RETRIES) {
			/* rxd's rxperf counts each BUSY answer and begins the call again, as here. */
			st.busy++;
			c->busy_tries++;
			usleep(5000u << c->busy_tries);
			if (client_start(fd, o, slot) < 0)
				return 1;
			continue;
		}
		st.calls++;
		if (ev.term == 0 && !c->aborted_locally) {
			if (c->bad_reply || c->in != c->expect_in) {
				fprintf(stderr,
					"af_rxperf: call %lu: reply of %" PRIu64 " bytes wrong (wanted %" PRIu64
					" zeros+cookie)\n",
					ev.id, c->in, c->expect_in);
				st.errors++;
				st.verify_errors++;
				count_code(&st, 0);
			} else {
				struct timespec t;
				clock_gettime(CLOCK_MONOTONIC, &t);
				st.lat_us[st.ok++] = (uint64_t)((int64_t)(t.tv_sec - c->t0.tv_sec) * 1000000 +
								(t.tv_nsec - c->t0.tv_nsec) / 1000);
				st.bytes += request_payload(o) + reply_payload(o);
				count_code(&st, 0);
			}
		} else if (ev.term == RXRPC_ABORT &&
			   (c->aborted_locally || (o->have_expect && ev.code == o->expect_abort))) {
			st.aborts++;
			count_code(&st, ev.code);
		} else {
			st.errors++;
			count_code(&st, term_code(&ev));
			if (o->verbose || st.errors <= 5)
				fprintf(stderr, "af_rxperf: call %lu ended with %s %" PRId32 "\n", ev.id,
					term_name(ev.term), ev.code);
		}
		c->used = false;
		c->busy_tries = 0;
		active--;
		if (started < o->total) {
			if (client_start(fd, o, slot) < 0) {
				fprintf(stderr, "af_rxperf: sendmsg: %s\n", strerror(errno));
				return 1;
			}
			started++;
			active++;
		}
	}
	print_json(o, &st, now_us() - t0);
	return st.errors || st.calls != o->total ? 1 : 0;
}

/* ------------------------------------------------------------------ server */

static volatile sig_atomic_t stop;

static void on_timeout(int sig)
{
	(void)sig;
	_exit(3);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void server_charge(int fd, unsigned *charged)
{
	/* Hand free IDs to the kernel until it says the backlog is full (ENOBUFS). */
	for (unsigned i = 0; i < MAX_CALLS && *charged < MAX_CALLS; i++) {
		if (calls[i].used)
			continue;
		if (call_send(fd, i + 1, NULL, NULL, 0, 0, RXRPC_CHARGE_ACCEPT, 0) < 0)
			break;
		calls[i].used = true;
		calls[i].in = 0;
		calls[i].aborted_locally = false;
		calls[i].pay = 0;
		(*charged)++;
	}
}

/* The request is complete: check it and reply (or abort as net/rxrpc/rxperf.c does). */
static void server_reply(int fd, const struct opts *o, unsigned long id, struct call *c)
{
	uint32_t version = get32(c->hdr), op = get32(c->hdr + 4);
	size_t need = op == RXPERF_RPC ? 24 : 20;
	uint64_t req = 0, rep = 0;
	int32_t code = 0;
	int r;

	if (c->in < 8 || version != RXPERF_VERSION)
		code = RX_USER_ABORT;
	else if (op != RXPERF_SEND && op != RXPERF_RECV && op != RXPERF_RPC)
		code = RXGEN_OPCODE;
	else if (c->in < need)
		code = RXGEN_SS_UNMARSHAL;
	if (!code) {
		req = op == RXPERF_RECV ? 0 : get32(c->hdr + 16);
		rep = op == RXPERF_SEND ? 0 : get32(c->hdr + (op == RXPERF_RPC ? 20 : 16));
		if (c->in < need + req)
			code = RXGEN_SS_UNMARSHAL;
	}
	if (code) {
		if (o->verbose)
			fprintf(stderr, "af_rxperf: call %lu: bad request, abort %" PRId32 "\n", id, code);
		call_send(fd, id, NULL, NULL, 0, 0, RXRPC_ABORT, code);
		c->aborted_locally = true;
		return;
	}
	r = send_phase(fd, id, NULL, NULL, 0, rep, true,
		       o->abort_reply_after >= 0 && (uint64_t)o->abort_reply_after < rep ? o->abort_reply_after : -1,
		       SERVER_ABORT_CODE);
	if (r == 1)
		c->aborted_locally = true;
	else if (r < 0 && o->verbose)
		fprintf(stderr, "af_rxperf: call %lu: reply: %s\n", id, strerror(-r));
	c->pay = req + rep;
}

static int run_server(int fd, const struct opts *o)
{
	static uint8_t buf[CHUNK];
	struct stats st = {0};
	struct sockaddr_rxrpc srx = {0};
	unsigned charged = 0;
	uint64_t t0 = now_us();
	struct sigaction sa = {.sa_handler = on_signal};

	srx.srx_family = AF_RXRPC;
	srx.srx_service = (uint16_t)o->service;
	srx.transport_type = SOCK_DGRAM;
	if (o->v6) {
		srx.transport_len = sizeof srx.transport.sin6;
		srx.transport.sin6.sin6_family = AF_INET6;
		srx.transport.sin6.sin6_port = htons((uint16_t)o->port);
	} else {
		srx.transport_len = sizeof srx.transport.sin;
		srx.transport.sin.sin_family = AF_INET;
		srx.transport.sin.sin_port = htons((uint16_t)o->port);
	}
	if (bind(fd, (struct sockaddr *)&srx, sizeof srx) < 0 || listen(fd, (int)o->backlog) < 0) {
		fprintf(stderr, "af_rxperf: bind/listen on port %u: %s\n", o->port, strerror(errno));
		return 1;
	}
	st.lat_us = calloc(1, sizeof *st.lat_us);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (o->duration)
		alarm(o->duration);
	server_charge(fd, &charged);
	fprintf(stderr, "af_rxperf server: listening on port %u service %u (%s), %u calls charged, %s\n", o->port,
		o->service, o->v6 ? "IPv6+IPv4" : "IPv4", charged, o->have_key ? "rxkad key" : "no rxkad key");
	while (!stop) {
		struct rx_event ev;
		struct call *c;
		int r = rx_next(fd, buf, sizeof buf, &ev);

		if (r == -EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "af_rxperf: recvmsg: %s\n", strerror(-r));
			break;
		}
		if (ev.id < 1 || ev.id > MAX_CALLS || !calls[ev.id - 1].used)
			continue;
		c = &calls[ev.id - 1];
		if (ev.len > 0) {
			for (ssize_t i = 0; i < ev.len && c->in + (uint64_t)i < sizeof c->hdr; i++)
				c->hdr[c->in + (uint64_t)i] = buf[i];
			c->in += (uint64_t)ev.len;
		}
		if (!ev.eor && !ev.more && ev.term == 0 && !c->aborted_locally) {
			/* End of the request phase; a trailing cookie is allowed, never required. */
			server_reply(fd, o, ev.id, c);
			server_charge(fd, &charged);
			continue;
		}
		if (!ev.eor)
			continue;
		st.calls++;
		if (ev.term == RXRPC_ACK && !c->aborted_locally) {
			st.ok++;
			st.bytes += c->pay;
			count_code(&st, 0);
		} else if (ev.term == RXRPC_ABORT) {
			st.aborts++;
			count_code(&st, ev.code);
		} else {
			st.errors++;
			count_code(&st, term_code(&ev));
		}
		if (o->verbose)
			fprintf(stderr, "af_rxperf: call %lu ended: %s %" PRId32 "\n", ev.id, term_name(ev.term),
				ev.code);
		c->used = false;
		charged--;
		server_charge(fd, &charged);
	}
	print_json(o, &st, now_us() - t0);
	return 0;
}

/* ------------------------------------------------------------------ rxkad keys */

static int set_min_level(int fd, int level)
{
	unsigned v = (unsigned)level;

	return setsockopt(fd, SOL_RXRPC, RXRPC_MIN_SECURITY_LEVEL, &v, sizeof v);
}

/* Server: the service key as an "rxrpc_s" key in a keyring of this socket's own, which the
 * socket names (the kernel looks the keyring up by its description in our keyrings). */
static int server_security(int fd, const struct opts *o)
{
	char ring_name[32], desc[48];
	long ring, key;

	snprintf(ring_name, sizeof ring_name, "af_rxperf:%u", o->port);
	/* "SERVICE:2[:KVNO]": 6.12 looks the key up as "SERVICE:2" only (rxkad_verify_response
	 * passes no kvno), so a key described with a kvno is accepted here but never found. */
	if (o->have_kvno)
		snprintf(desc, sizeof desc, "%u:%u:%" PRIu32, o->service, RXRPC_SECURITY_RXKAD, o->kvno);
	else
		snprintf(desc, sizeof desc, "%u:%u", o->service, RXRPC_SECURITY_RXKAD);
	ring = af_key_add("keyring", ring_name, NULL, 0, KEY_SPEC_PROCESS_KEYRING);
	key = ring < 0 ? ring : af_key_add("rxrpc_s", desc, o->key, sizeof o->key, ring);
	if (key < 0) {
		fprintf(stderr, "af_rxperf: add_key rxrpc_s %s: %s\n", desc, strerror((int)-key));
		return -1;
	}
	if (setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEYRING, ring_name, strlen(ring_name)) < 0 ||
	    (o->security != SECURITY_NONE && set_min_level(fd, o->security) < 0)) {
		fprintf(stderr, "af_rxperf: setsockopt (server keyring): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Client: an "rxrpc" key holding a ticket for a fresh session key (af_rxkad.c), then the
 * level to ask for. */
static int client_security(int fd, const struct opts *o)
{
	static uint8_t p[AF_RXKAD_PAYLOAD_MAX];
	char desc[48];
	size_t len;
	long key;
	int r;

	r = af_rxkad_client_payload(p, sizeof p, &len, "af_rxperf", o->key, o->kvno, o->ticket_age, o->ticket_life,
				    (uint32_t)time(NULL));
	if (r < 0) {
		fprintf(stderr, "af_rxperf: cannot make a ticket (lifetime %" PRIu32 " s): %s\n", o->ticket_life,
			strerror(-r));
		return -1;
	}
	snprintf(desc, sizeof desc, "af_rxperf@%d", (int)getpid());
	key = af_key_add("rxrpc", desc, p, len, KEY_SPEC_PROCESS_KEYRING);
	if (key < 0) {
		fprintf(stderr, "af_rxperf: add_key rxrpc: %s\n", strerror((int)-key));
		return -1;
	}
	if (setsockopt(fd, SOL_RXRPC, RXRPC_SECURITY_KEY, desc, strlen(desc)) < 0 ||
	    set_min_level(fd, o->security) < 0) {
		fprintf(stderr, "af_rxperf: setsockopt (client key): %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_security(const char *s)
{
	if (!strcmp(s, "none"))
		return SECURITY_NONE;
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, security_names[i]))
			return i;
	return -2;
}

/* ------------------------------------------------------------------ options */

static int usage(void)
{
	fprintf(stderr, "usage: af_rxperf client -a ADDR [-p PORT] [-c send|recv|rpc] [-S B] [-R B] [-T N] [-t N]\n"
			"                 [--cookie] [--abort-after B] [--expect-abort C] [--op N] [--service N]\n"
			"                 [--proto-version N] [--local-port N] [--timeout S] [--json] [-v]\n"
			"                 [--security none|clear|auth|crypt --key HEX16 [--kvno N]\n"
			"                  [--ticket-age S] [--ticket-life S]]\n"
			"       af_rxperf server [-p PORT] [-4] [--backlog N] [--abort-reply-after B] [-d S] [-v]\n"
			"                 [--key HEX16 [--kvno N] [--security clear|auth|crypt]]\n");
	return 2;
}

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		n <<= 10, end++;
		break;
	case 'm':
	case 'M':
		n <<= 20, end++;
		break;
	case 'g':
	case 'G':
		n <<= 30, end++;
		break;
	}
	if (*end || n > UINT32_MAX)
		return -EINVAL;
	*v = n;
	return 0;
}

static int parse_peer(const char *s, unsigned port, struct sockaddr_rxrpc *srx, bool *v6)
{
	memset(srx, 0, sizeof *srx);
	srx->srx_family = AF_RXRPC;
	srx->transport_type = SOCK_DGRAM;
	if (inet_pton(AF_INET, s, &srx->transport.sin.sin_addr) == 1) {
		srx->transport_len = sizeof srx->transport.sin;
		srx->transport.sin.sin_family = AF_INET;
		srx->transport.sin.sin_port = htons((uint16_t)port);
		*v6 = false;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &srx->transport.sin6.sin6_addr) == 1) {
		srx->transport_len = sizeof srx->transport.sin6;
		srx->transport.sin6.sin6_family = AF_INET6;
		srx->transport.sin6.sin6_port = htons((uint16_t)port);
		*v6 = true;
		return 0;
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct opts o = {.port = RXPERF_PORT,
			 .service = RXPERF_SERVICE,
			 .op = RXPERF_RPC,
			 .version = RXPERF_VERSION,
			 .conc = 1,
			 .total = 1,
			 .timeout = 600,
			 .backlog = 31,
			 .abort_after = -1,
			 .abort_reply_after = -1,
			 .security = SECURITY_NONE,
			 .ticket_age = 60,
			 .ticket_life = 8 * 3600,
			 .v6 = true};
	const char *addr = NULL;
	uint64_t u;
	int fd, rc;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "server"))
		o.server = true;
	else if (strcmp(argv[1], "client"))
		return usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool val = true;

		if (!strcmp(a, "--cookie"))
			o.cookie = true, val = false;
		else if (!strcmp(a, "--json"))
			o.json = true, val = false;
		else if (!strcmp(a, "-v"))
			o.verbose = true, val = false;
		else if (!strcmp(a, "-4"))
			o.v6 = false, val = false;
		else if (!v)
			return usage();
		else if (!strcmp(a, "-a"))
			addr = v;
		else if (!strcmp(a, "-p"))
			o.port = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-c")) {
			if (!strcmp(v, "send"))
				o.op = RXPERF_SEND;
			else if (!strcmp(v, "recv"))
				o.op = RXPERF_RECV;
			else if (!strcmp(v, "rpc"))
				o.op = RXPERF_RPC;
			else
				return usage();
		} else if (!strcmp(a, "-S") || !strcmp(a, "-R")) {
			if (parse_size(v, &u) < 0)
				return usage();
			*(a[1] == 'S' ? &o.sbytes : &o.rbytes) = u;
		} else if (!strcmp(a, "-T"))
			o.total = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-t"))
			o.conc = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--abort-after"))
			o.abort_after = strtoll(v, NULL, 0);
		else if (!strcmp(a, "--abort-reply-after"))
			o.abort_reply_after = strtoll(v, NULL, 0);
		else if (!strcmp(a, "--expect-abort"))
			o.expect_abort = (int32_t)strtol(v, NULL, 0), o.have_expect = true;
		else if (!strcmp(a, "--op"))
			o.op = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--service"))
			o.service = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--proto-version"))
			o.version = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--timeout"))
			o.timeout = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--local-port"))
			o.local_port = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--backlog"))
			o.backlog = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "-d"))
			o.duration = (unsigned)strtoul(v, NULL, 0);
		else if (!strcmp(a, "--security")) {
			if ((o.security = parse_security(v)) < SECURITY_NONE)
				return usage();
		} else if (!strcmp(a, "--key")) {
			if (af_parse_key(v, o.key) < 0)
				return usage();
			o.have_key = true;
		} else if (!strcmp(a, "--kvno"))
			o.kvno = (uint32_t)strtoul(v, NULL, 0), o.have_kvno = true;
		else if (!strcmp(a, "--ticket-age"))
			o.ticket_age = strtoll(v, NULL, 0);
		else if (!strcmp(a, "--ticket-life"))
			o.ticket_life = (uint32_t)strtoul(v, NULL, 0);
		else
			return usage();
		i += val;
	}
	if (o.conc < 1 || o.total < 1 || o.port < 1 || o.port > 65535 || o.service > 65535 ||
	    (o.security != SECURITY_NONE && !o.have_key))
		return usage();
	if (!o.server) {
		if (!addr || parse_peer(addr, o.port, &o.peer, &o.v6) < 0)
			return usage();
		o.peer.srx_service = (uint16_t)o.service;
		signal(SIGALRM, on_timeout);
	}
	fd = socket(AF_RXRPC, SOCK_DGRAM, o.v6 ? PF_INET6 : PF_INET);
	if (fd < 0) {
		fprintf(stderr, "af_rxperf: socket(AF_RXRPC): %s\n", strerror(errno));
		return 1;
	}
	/* Keys and levels only while the socket is unbound (EISCONN after). */
	if (o.server && o.have_key && server_security(fd, &o) < 0)
		return 1;
	if (o.server)
		return run_server(fd, &o);
	if (o.security != SECURITY_NONE && client_security(fd, &o) < 0)
		return 1;
	if (o.local_port && client_bind(fd, &o) < 0) {
		fprintf(stderr, "af_rxperf: bind to local port %u: %s\n", o.local_port, strerror(errno));
		return 1;
	}
	alarm(o.timeout);
	rc = run_client(fd, &o);
	close(fd);
	return rc;
}
