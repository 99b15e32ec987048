/* SPDX-License-Identifier: MIT */
/*
 * Example of the run-to-completion face: handler tables that run on the
 * lcore owning the call, client calls begun from an lcore hook, zero-copy
 * reads of mbuf-backed segments (rxd_call_peek) and copying sends.
 *
 * One process, two ifaces joined by an in-process net_ring pair: an echo
 * service (requests up to 64 KiB) on iface 0; worker 0 calls it from iface 1
 * and checks every byte.
 *
 *   rtc_echo <EAL args> -- [--calls N] [--size BYTES]
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>

#define SERVICE 4712u
#define MAX_REQ 65536u
#define SLOTS 256u

/* ---- server: one fixed buffer per call, taken from a per-worker pool (no malloc per call) ---- */

struct echo_call {
	struct rxd_worker *w;
	struct rxd_call *call;
	size_t len, sent;
	bool busy, replying;
	uint8_t buf[MAX_REQ];
};

struct echo_srv {
	struct rxd_worker *w; /* set by the start hook */
	struct echo_call slot[SLOTS];
};

static void reply(struct echo_call *e)
{
	uint64_t now = rxd_worker_now(e->w);
	ssize_t r = rxd_call_send(e->call, e->buf + e->sent, e->len - e->sent, 0, now);

	if (r > 0)
		e->sent += (size_t)r; /* the rest goes out from writable() */
}

static void srv_data(void *app, struct rxd_call *call)
{
	struct echo_call *e = app;
	uint64_t now = rxd_worker_now(e->w);
	bool eor = false;
	ssize_t n;

	if (e->replying)
		return;
	/* the copying convenience: fills our buffer, frees the mbufs, opens the window */
	n = rxd_call_recv(call, e->buf + e->len, MAX_REQ - e->len, &eor, now);
	if (n > 0)
		e->len += (size_t)n;
	if (e->len == MAX_REQ && !eor && rxd_call_rx_avail(call)) {
		rxd_call_abort(call, RX_USER_ABORT, now); /* request too big for this example */
		return;
	}
	if (eor) {
		e->replying = true;
		reply(e);
	}
}

static void srv_writable(void *app, struct rxd_call *call)
{
	(void)call;
	reply(app);
}

static void srv_complete(void *app, struct rxd_call *call)
{
	struct echo_call *e = app;

	rxd_call_end(call, rxd_worker_now(e->w));
	e->busy = false;
}

static const struct rxd_call_ops echo_call_ops = {.data = srv_data, .writable = srv_writable, .complete = srv_complete};

static int srv_new_call(void *app, struct rxd_call *call)
{
	struct echo_srv *s = app;

	for (unsigned i = 0; i < SLOTS; i++) {
		struct echo_call *e = &s->slot[i];
		if (e->busy)
			continue;
		e->busy = true;
		e->w = s->w;
		e->call = call;
		e->len = e->sent = 0;
		e->replying = false;
		rxd_call_set_ops(call, &echo_call_ops, e);
		return 0;
	}
	rxd_call_reject(call, rxd_worker_now(s->w)); /* BUSY: the client retries */
	return -1;
}

static const struct rxd_call_ops echo_service_ops = {.new_call = srv_new_call};

/* ---- client: calls begun from worker 0's poll hook, replies read zero-copy ---- */

struct client {
	struct rxd_worker *w; /* worker 0 */
	struct rxd_addr peer;
	unsigned calls, done, ok;
	size_t size;
	struct rxd_call *call;
	size_t rx_off;
	bool bad;
	atomic_bool finished;
	uint8_t req[MAX_REQ];
};

static void cli_data(void *app, struct rxd_call *call)
{
	struct client *c = app;
	struct rxd_seg segs[16];
	bool eor;
	unsigned n;

	while ((n = rxd_call_peek(call, segs, 16, &eor)) > 0) {
		size_t used = 0;
		for (unsigned i = 0; i < n; i++) {
			/* segs[i].buf is the rte_mbuf holding the bytes: no copy was made */
			struct rte_mbuf *m = rxd_buf_mbuf(segs[i].buf);
			if (m && m->refcnt == 0)
				c->bad = true;
			if (c->rx_off + segs[i].len > c->size ||
			    memcmp(segs[i].data, c->req + c->rx_off, segs[i].len) != 0)
				c->bad = true;
			c->rx_off += segs[i].len;
			used += segs[i].len;
		}
		rxd_call_consume(call, used, rxd_worker_now(c->w));
	}
}

static void cli_complete(void *app, struct rxd_call *call)
{
	struct client *c = app;

	if (rxd_call_completion(call) == RXD_CALL_SUCCEEDED && !c->bad && c->rx_off == c->size)
		c->ok++;
	c->done++;
	c->call = NULL;
	rxd_call_end(call, rxd_worker_now(c->w));
}

static const struct rxd_call_ops client_ops = {.data = cli_data, .complete = cli_complete};

struct app {
	struct rxd_shell *s;
	struct echo_srv *srv[RXD_SHELL_MAX_WORKERS];
	struct client *cli;
};

static void *srv_for_worker(void *arg, unsigned w)
{
	return ((struct app *)arg)->srv[w];
}

static void hook_start(void *arg, struct rxd_worker *w)
{
	struct app *a = arg;

	a->srv[rxd_worker_index(w)]->w = w;
}

static void hook_poll(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct app *a = arg;
	struct client *c = a->cli;
	struct rxd_call_params p;

	if (rxd_worker_index(w) != 0 || c->call || atomic_load(&c->finished))
		return;
	if (c->done == c->calls) {
		atomic_store(&c->finished, true);
		return;
	}
	c->w = w;
	for (size_t i = 0; i < c->size; i++)
		c->req[i] = (uint8_t)(i * 13u + c->done);
	c->rx_off = 0;
	c->bad = false;
	memset(&p, 0, sizeof p);
	p.peer = c->peer;
	p.service_id = SERVICE;
	p.tx_total_len = (int64_t)c->size;
	p.ops = &client_ops;
	p.app = c;
	if (rxd_call_begin(rxd_worker_local(w, 1, 0), &p, now, &c->call) != 0) {
		c->done++;
		return;
	}
	rxd_call_send(c->call, c->req, c->size, 0, now); /* fits the transmit queue: 64 KiB at most */
}

int main(int argc, char **argv)
{
	struct rxd_shell_opts o;
	struct rxd_service_desc d;
	struct rxd_lcore_hooks h;
	struct app a;
	char err[256];
	int n;

	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "rtc_echo: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	memset(&a, 0, sizeof a);
	a.cli = calloc(1, sizeof(*a.cli));
	a.cli->calls = 20;
	a.cli->size = 5000;
	for (int i = n + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			a.cli->calls = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			a.cli->size = strtoull(argv[++i], NULL, 0);
	}
	if (a.cli->size > MAX_REQ)
		a.cli->size = MAX_REQ;
	rxd_shell_opts_default(&o);
	o.ring_pair = true;
	rxd_shell_opts_set(&o, "ip", "198.18.0.1/24@0", err, sizeof err);
	rxd_shell_opts_set(&o, "ip", "198.18.0.2/24@1", err, sizeof err);
	if (rxd_shell_create(&o, &a.s, err, sizeof err)) {
		fprintf(stderr, "rtc_echo: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < rxd_shell_nb_workers(a.s); i++)
		a.srv[i] = calloc(1, sizeof(struct echo_srv));
	memset(&d, 0, sizeof d);
	d.service_id = SERVICE;
	d.ops = &echo_service_ops;
	if (rxd_shell_register_service(a.s, 0, 0, &d, srv_for_worker, &a, err, sizeof err)) {
		fprintf(stderr, "rtc_echo: %s\n", err);
		return 1;
	}
	rxd_shell_iface_addr(a.s, 0, &a.cli->peer);
	memset(&h, 0, sizeof h);
	h.start = hook_start;
	h.poll = hook_poll;
	h.arg = &a;
	rxd_shell_set_hooks(a.s, &h);
	rxd_shell_start(a.s);
	for (int i = 0; i < 3000 && !atomic_load(&a.cli->finished); i++) {
		struct timespec ts = {0, 10000000L};
		nanosleep(&ts, NULL);
	}
	rxd_shell_shutdown(a.s);
	rxd_shell_wait(a.s);
	printf("rtc_echo: %u/%u calls of %zu bytes echoed\n", a.cli->ok, a.cli->calls, a.cli->size);
	n = a.cli->ok == a.cli->calls ? 0 : 1;
	rxd_shell_destroy(a.s);
	for (unsigned i = 0; i < RXD_SHELL_MAX_WORKERS; i++)
		free(a.srv[i]);
	free(a.cli);
	rte_eal_cleanup();
	return n;
}
