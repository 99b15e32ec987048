/* SPDX-License-Identifier: MIT */
/*
 * rxd-core-bench: the sans-I/O core alone, on one core.
 *
 * A client engine and a server engine live in one process, joined back to
 * back by an in-memory, loss-free "wire": every datagram the core sends is
 * copied into a recycled heap buffer (tests/common/test_io) and delivered to the other engine right away
 * (from the main loop, never re-entering an engine).  Time is real
 * (CLOCK_MONOTONIC).  No DPDK, no sockets, no root.
 *
 * Scenarios: 0-byte calls at concurrency 1 and 64 (calls/s and latency), a
 * single 64 MiB request and a single 64 MiB reply (MB/s).  Prints a human
 * table, then one JSON line per scenario.
 *
 * usage: rxd-core-bench [-d SECONDS] [-s MIB] [-j] [SCENARIO...]
 *   -d  duration of each rate scenario (default 2)
 *   -s  size of the bulk transfers in MiB (default 64)
 *   -j  JSON lines only
 *   SCENARIO: rpc0_c1 rpc0_c64 bulk_send bulk_recv (default: all)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rxd/core.h>

#include "rxd_result.h"
#include "test_io.h"

#define BENCH_SERVICE 147u
#define BENCH_CHUNK (256u * 1024u)
#define BENCH_MAX_CONC 256u

/* ------------------------------------------------------------------ the wire */

struct pkt {
	struct rxd_buf *buf;
	uint32_t len;
	uint8_t dst; /* engine index */
};

struct bench;

struct endpoint {
	struct bench *b;
	unsigned idx;
	struct rxd_addr addr;
	struct rxd_local *local;
	struct test_io io;
};

struct bench {
	struct test_io_pool pool;
	struct endpoint ep[2]; /* 0 = client, 1 = server */
	struct pkt *q;
	size_t q_head, q_tail, q_cap;
	uint64_t packets, wire_bytes;
	uint64_t now;
};

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RXD_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * RXD_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* test_io gathered one datagram into pb: queue it for the other engine. */
static int bench_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *pb, uint32_t len, unsigned flags)
{
	struct endpoint *e = arg;
	struct bench *b = e->b;
	struct pkt *p;

	(void)dst;
	(void)flags;
	if (b->q_tail - b->q_head == b->q_cap) {
		size_t cap = b->q_cap ? b->q_cap * 2 : 4096;
		struct pkt *q = malloc(cap * sizeof(*q));
		if (!q) {
			test_io_buf_drop(&b->pool, pb);
			return -ENOBUFS;
		}
		for (size_t i = 0; i < b->q_tail - b->q_head; i++)
			q[i] = b->q[(b->q_head + i) % b->q_cap];
		b->q_tail -= b->q_head;
		b->q_head = 0;
		free(b->q);
		b->q = q;
		b->q_cap = cap;
	}
	p = &b->q[b->q_tail++ % b->q_cap];
	p->buf = pb;
	p->len = len;
	p->dst = (uint8_t)(e->idx ^ 1);
	b->packets++;
	b->wire_bytes += len;
	return 0;
}

static void bench_timers(struct bench *b)
{
	for (unsigned i = 0; i < 2; i++)
		if (rxd_local_next_expiry(b->ep[i].local) <= b->now)
			rxd_local_expire(b->ep[i].local, b->now);
}

/*
 * Deliver everything queued (including what deliveries queue), like a shell's
 * rx burst loop: the clock is re-read and timers run every 32 datagrams.
 */
static void bench_pump(struct bench *b)
{
	unsigned n = 0;

	b->now = clock_ns();
	while (b->q_head != b->q_tail) {
		struct pkt p = b->q[b->q_head++ % b->q_cap];
		struct endpoint *from = &b->ep[p.dst ^ 1];
		rxd_local_input(b->ep[p.dst].local, &from->addr, p.buf, p.buf->data, p.len, b->now);
		if (++n % 32 == 0) {
			b->now = clock_ns();
			bench_timers(b);
		}
	}
	b->now = clock_ns();
	bench_timers(b);
}

/* ------------------------------------------------------------------ server */

struct srv_call {
	struct bench *b;
	struct rxd_call *call;
	uint64_t rcvd, reply_len, sent;
	uint8_t hdr[4];
	bool replying, done;
	struct srv_call *next_free;
};

static struct srv_call *srv_free_list;
static const uint8_t zeros[BENCH_CHUNK];

static void srv_send(struct srv_call *s)
{
	while (s->sent < s->reply_len || !s->done) {
		size_t chunk = s->reply_len - s->sent > BENCH_CHUNK ? BENCH_CHUNK : (size_t)(s->reply_len - s->sent);
		bool last = s->sent + chunk == s->reply_len;
		ssize_t r = rxd_call_send(s->call, zeros, chunk, last ? 0 : RXD_SEND_MORE, s->b->now);
		if (r < 0)
			return;
		s->sent += (uint64_t)r;
		if ((size_t)r < chunk)
			return;
		if (last)
			s->done = true;
	}
}

static void srv_data(void *app, struct rxd_call *call)
{
	struct srv_call *s = app;
	struct rxd_seg segs[16];
	bool eor = false;
	unsigned n;

	if (s->replying)
		return;
	while ((n = rxd_call_peek(call, segs, 16, &eor)) > 0) {
		size_t tot = 0;
		for (unsigned i = 0; i < n; i++) {
			for (uint32_t k = 0; k < segs[i].len && s->rcvd + k < 4; k++)
				s->hdr[s->rcvd + k] = segs[i].data[k];
			s->rcvd += segs[i].len;
			tot += segs[i].len;
		}
		rxd_call_consume(call, tot, s->b->now);
		if (eor)
			break;
	}
	if (!eor)
		return;
	s->reply_len =
	    s->rcvd >= 4
		? ((uint64_t)s->hdr[0] << 24 | (uint64_t)s->hdr[1] << 16 | (uint64_t)s->hdr[2] << 8 | s->hdr[3])
		: 0;
	s->replying = true;
	srv_send(s);
}

static void srv_writable(void *app, struct rxd_call *call)
{
	(void)call;
	srv_send(app);
}

static void srv_complete(void *app, struct rxd_call *call)
{
	struct srv_call *s = app;

	rxd_call_end(call, s->b->now);
	s->next_free = srv_free_list;
	srv_free_list = s;
}

static const struct rxd_call_ops srv_call_ops = {
    .data = srv_data,
    .writable = srv_writable,
    .complete = srv_complete,
};

static int srv_new_call(void *app, struct rxd_call *call)
{
	struct bench *b = app;
	struct srv_call *s = srv_free_list;

	if (s)
		srv_free_list = s->next_free;
	else if (!(s = malloc(sizeof(*s))))
		return -1;
	memset(s, 0, sizeof(*s));
	s->b = b;
	s->call = call;
	rxd_call_set_ops(call, &srv_call_ops, s);
	return 0;
}

static const struct rxd_call_ops srv_service_ops = {
    .new_call = srv_new_call,
};

/* ------------------------------------------------------------------ client */

struct cli_call {
	struct bench *b;
	struct rxd_call *call;
	uint64_t req_len, sent, rcvd, t0;
	bool req_done, completed, ok;
};

struct run {
	struct bench *b;
	uint64_t req_len, reply_len;
	unsigned conc;
	uint64_t deadline;  /* stop starting calls after this (rate scenarios) */
	uint64_t max_calls; /* or after this many */
	uint64_t started, finished, failed;
	uint64_t bytes;
	uint64_t *lat; /* ns per finished call */
	uint64_t lat_cap;
	struct cli_call slots[BENCH_MAX_CONC];
	unsigned free_slots[BENCH_MAX_CONC];
	unsigned nfree;
	unsigned to_start;
};

static struct run *g_run;

static void cli_send(struct cli_call *c)
{
	while (!c->req_done) {
		uint8_t first[4];
		const uint8_t *src = zeros;
		size_t chunk = c->req_len - c->sent > BENCH_CHUNK ? BENCH_CHUNK : (size_t)(c->req_len - c->sent);
		bool last;
		ssize_t r;

		if (c->sent < 4 && c->req_len >= 4) {
			/* the first 4 bytes carry the reply length (big-endian), the rest is zeros */
			uint64_t rl = g_run->reply_len;
			first[0] = (uint8_t)(rl >> 24);
			first[1] = (uint8_t)(rl >> 16);
			first[2] = (uint8_t)(rl >> 8);
			first[3] = (uint8_t)rl;
			src = first + c->sent;
			chunk = 4 - (size_t)c->sent;
		}
		last = c->sent + chunk == c->req_len;
		r = rxd_call_send(c->call, src, chunk, last ? 0 : RXD_SEND_MORE, c->b->now);
		if (r < 0)
			return;
		c->sent += (uint64_t)r;
		if ((size_t)r < chunk)
			return;
		if (last)
			c->req_done = true;
	}
}

static void cli_data(void *app, struct rxd_call *call)
{
	struct cli_call *c = app;
	struct rxd_seg segs[16];
	bool eor = false;
	unsigned n;

	while ((n = rxd_call_peek(call, segs, 16, &eor)) > 0) {
		size_t tot = 0;
		for (unsigned i = 0; i < n; i++)
			tot += segs[i].len;
		c->rcvd += tot;
		rxd_call_consume(call, tot, c->b->now);
		if (eor)
			break;
	}
}

static void cli_writable(void *app, struct rxd_call *call)
{
	(void)call;
	cli_send(app);
}

static void cli_complete(void *app, struct rxd_call *call)
{
	struct cli_call *c = app;
	struct run *r = g_run;

	cli_data(c, call); /* anything left */
	c->completed = true;
	c->ok = rxd_call_completion(call) == RXD_CALL_SUCCEEDED && c->rcvd == r->reply_len;
	if (!c->ok) {
		r->failed++;
		if (r->failed <= 3)
			fprintf(stderr,
				"rxd-core-bench: call ended %s code %d error %d after %" PRIu64 "/%" PRIu64
				" reply bytes\n",
				rxd_completion_name(rxd_call_completion(call)), rxd_call_abort_code(call),
				rxd_call_error(call), c->rcvd, r->reply_len);
	}
	if (r->finished < r->lat_cap)
		r->lat[r->finished] = c->b->now - c->t0;
	r->finished++;
	r->bytes += c->sent + c->rcvd;
	rxd_call_end(call, c->b->now);
	c->call = NULL;
	r->free_slots[r->nfree++] = (unsigned)(c - r->slots);
}

static const struct rxd_call_ops cli_ops = {
    .data = cli_data,
    .writable = cli_writable,
    .complete = cli_complete,
};

static bool run_start_one(struct run *r)
{
	struct bench *b = r->b;
	struct rxd_call_params p;
	struct cli_call *c;
	int rc;

	if (!r->nfree || r->started >= r->max_calls || b->now >= r->deadline)
		return false;
	c = &r->slots[r->free_slots[--r->nfree]];
	memset(c, 0, sizeof(*c));
	c->b = b;
	c->req_len = r->req_len;
	c->t0 = b->now;
	memset(&p, 0, sizeof(p));
	p.peer = b->ep[1].addr;
	p.service_id = BENCH_SERVICE;
	p.tx_total_len = (int64_t)r->req_len;
	p.ops = &cli_ops;
	p.app = c;
	rc = rxd_call_begin(b->ep[0].local, &p, b->now, &c->call);
	if (rc < 0) {
		fprintf(stderr, "rxd-core-bench: rxd_call_begin: %s\n", strerror(-rc));
		r->free_slots[r->nfree++] = (unsigned)(c - r->slots);
		r->failed++;
		return false;
	}
	r->started++;
	cli_send(c);
	return true;
}

/* ------------------------------------------------------------------ scenarios */

struct result {
	const char *scenario;
	uint64_t req_len, reply_len;
	unsigned conc;
	uint64_t calls, failed, packets, bytes, retrans, rto, tlp, fast;
	double secs, cpu, calls_per_s, mb_per_s, packets_per_s, p50_us, p99_us, p999_us;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int bench_setup(struct bench *b, const struct rxd_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->pool.recycle = true; /* measure the core, not malloc */
	b->now = clock_ns();
	for (unsigned i = 0; i < 2; i++) {
		struct endpoint *e = &b->ep[i];
		struct rxd_local_params lp;
		int rc;

		e->b = b;
		e->idx = i;
		e->addr.family = RXD_AF_INET;
		e->addr.port = (uint16_t)(7000 + i);
		e->addr.ip.v4[0] = 127;
		e->addr.ip.v4[3] = 1;
		memset(&lp, 0, sizeof(lp));
		lp.addr = e->addr;
		lp.config = cfg;
		test_io_init(&e->io, &b->pool, bench_tx, e);
		lp.io = &test_io_ops;
		lp.io_ctx = &e->io;
		lp.seed = 0x62656e6368ull + i;
		rc = rxd_local_create(&lp, b->now, &e->local);
		if (rc < 0) {
			fprintf(stderr, "rxd-core-bench: rxd_local_create: %s\n", strerror(-rc));
			return rc;
		}
	}
	struct rxd_service_desc d;
	int err = 0;
	memset(&d, 0, sizeof(d));
	d.service_id = BENCH_SERVICE;
	d.ops = &srv_service_ops;
	d.app = b;
	err = rxd_service_register(b->ep[1].local, &d, NULL);
	if (err) {
		fprintf(stderr, "rxd-core-bench: rxd_service_register: %d\n", err);
		return err ? err : -EINVAL;
	}
	return 0;
}

static void bench_teardown(struct bench *b)
{
	for (unsigned i = 0; i < 2; i++)
		if (b->ep[i].local)
			rxd_local_destroy(b->ep[i].local);
	while (b->q_head != b->q_tail)
		test_io_buf_drop(&b->pool, b->q[b->q_head++ % b->q_cap].buf);
	free(b->q);
	while (srv_free_list) {
		struct srv_call *s = srv_free_list;
		srv_free_list = s->next_free;
		free(s);
	}
	test_io_pool_fini(&b->pool);
}

static int run_scenario(const char *name, uint64_t req_len, uint64_t reply_len, unsigned conc, double secs,
			uint64_t max_calls, struct result *res)
{
	static struct bench b;
	struct rxd_config cfg;
	struct rxd_stats st0, st1;
	struct run *r;
	uint64_t t0, c0, t_end, hard_stop;
	int rc;

	rxd_config_default(&cfg);
	rc = bench_setup(&b, &cfg);
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->b = &b;
	r->req_len = req_len;
	r->reply_len = reply_len;
	r->conc = conc;
	r->max_calls = max_calls;
	r->lat_cap = max_calls < 20000000 ? max_calls : 20000000;
	r->lat = malloc(r->lat_cap * sizeof(*r->lat));
	if (!r->lat) {
		free(r);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < conc; i++)
		r->free_slots[r->nfree++] = conc - 1 - i;
	g_run = r;

	t0 = clock_ns();
	c0 = cpu_ns();
	b.now = t0;
	r->deadline = secs > 0 ? t0 + (uint64_t)(secs * 1e9) : UINT64_MAX;
	hard_stop = t0 + (uint64_t)((secs > 0 ? secs : 0) * 1e9) + 120 * RXD_NS_PER_SEC;
	for (;;) {
		while (run_start_one(r))
			;
		bench_pump(&b);
		if (r->nfree == conc && (r->started >= r->max_calls || b.now >= r->deadline))
			break;
		if (b.now > hard_stop) {
			fprintf(stderr, "rxd-core-bench: %s: gave up after %u calls stuck for 120 s\n", name,
				conc - r->nfree);
			break;
		}
	}
	t_end = clock_ns();

	memset(&st0, 0, sizeof(st0));
	memset(&st1, 0, sizeof(st1));
	rxd_local_stats_add(b.ep[0].local, &st0);
	rxd_local_stats_add(b.ep[1].local, &st1);

	memset(res, 0, sizeof(*res));
	res->scenario = name;
	res->req_len = req_len;
	res->reply_len = reply_len;
	res->conc = conc;
	res->calls = r->finished;
	res->failed = r->failed;
	res->packets = b.packets;
	res->bytes = r->bytes;
	res->retrans = st0.tx_data_retrans + st1.tx_data_retrans;
	res->rto = st0.rto_fired + st1.rto_fired;
	res->tlp = st0.tlp_fired + st1.tlp_fired;
	res->fast = st0.fast_retrans + st1.fast_retrans;
	res->secs = (double)(t_end - t0) / 1e9;
	res->cpu = (double)(cpu_ns() - c0) / (double)(t_end - t0);
	res->calls_per_s = (double)r->finished / res->secs;
	res->mb_per_s = (double)r->bytes / res->secs / 1e6;
	res->packets_per_s = (double)b.packets / res->secs;
	if (r->finished) {
		uint64_t n = r->finished < r->lat_cap ? r->finished : r->lat_cap;
		qsort(r->lat, n, sizeof(*r->lat), cmp_u64);
		res->p50_us = (double)r->lat[n / 2] / 1e3;
		res->p99_us = (double)r->lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1] / 1e3;
		res->p999_us = (double)r->lat[(n * 999) / 1000 < n ? (n * 999) / 1000 : n - 1] / 1e3;
	}
	free(r->lat);
	free(r);
	g_run = NULL;
	bench_teardown(&b);
	return 0;
}

static void print_json(const struct result *r)
{
	struct rxd_result j = {
	    .impl = "rxd-core",
	    .scenario = r->scenario,
	    .req_bytes = r->req_len,
	    .reply_bytes = r->reply_len,
	    .concurrency = r->conc,
	    .calls = r->calls,
	    .calls_ok = r->calls - r->failed,
	    .calls_failed = r->failed,
	    .retransmissions = r->retrans,
	    .secs = r->secs,
	    .calls_per_s = r->calls_per_s,
	    .mb_per_s = r->mb_per_s,
	    .p50_us = r->p50_us,
	    .p99_us = r->p99_us,
	    .p999_us = r->p999_us,
	};

	printf("{");
	rxd_result_json(stdout, &j);
	printf(",\"lcores\":1,\"pmd\":\"none (in-memory wire)\",\"security\":\"rxnull\",\"packets_per_s\":%.0f"
	       ",\"rto\":%" PRIu64 ",\"tlp\":%" PRIu64 ",\"fast_retrans\":%" PRIu64 ",\"cpu\":%.2f}\n",
	       r->packets_per_s, r->rto, r->tlp, r->fast, r->cpu);
}

static void usage(void)
{
	fprintf(stderr, "usage: rxd-core-bench [-d SECONDS] [-s MIB] [-j] [rpc0_c1|rpc0_c64|bulk_send|bulk_recv]...\n");
}

int main(int argc, char **argv)
{
	double secs = 2.0;
	uint64_t bulk = 64ull << 20;
	bool json_only = false;
	const char *all[] = {"rpc0_c1", "rpc0_c64", "bulk_send", "bulk_recv"};
	const char **want = all;
	size_t nwant = 4;
	struct result res[4];
	unsigned nres = 0;
	int opt, rc = 0;

	while ((opt = getopt(argc, argv, "d:s:jh")) != -1) {
		switch (opt) {
		case 'd':
			secs = atof(optarg);
			break;
		case 's':
			bulk = (uint64_t)strtoull(optarg, NULL, 0) << 20;
			break;
		case 'j':
			json_only = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind < argc) {
		want = (const char **)(argv + optind);
		nwant = (size_t)(argc - optind);
	}
	if (secs <= 0 || bulk < 4) {
		usage();
		return 2;
	}

	for (size_t i = 0; i < nwant && nres < 4; i++) {
		struct result *r = &res[nres];
		int e;

		if (!strcmp(want[i], "rpc0_c1"))
			e = run_scenario("rpc0_c1", 0, 0, 1, secs, UINT64_MAX, r);
		else if (!strcmp(want[i], "rpc0_c64"))
			e = run_scenario("rpc0_c64", 0, 0, 64, secs, UINT64_MAX, r);
		else if (!strcmp(want[i], "bulk_send"))
			e = run_scenario("bulk_send", bulk, 0, 1, 0, 1, r);
		else if (!strcmp(want[i], "bulk_recv"))
			e = run_scenario("bulk_recv", 4, bulk, 1, 0, 1, r);
		else {
			fprintf(stderr, "rxd-core-bench: unknown scenario %s\n", want[i]);
			usage();
			return 2;
		}
		if (e < 0)
			return 1;
		if (r->failed || !r->calls)
			rc = 1;
		nres++;
	}

	if (!json_only) {
		printf("rxd-core-bench: lib/core alone, client and server engines on one core, in-memory loss-free "
		       "wire\n");
		printf("%-10s %8s %10s %5s %9s %11s %9s %12s %9s %9s %7s %13s %5s\n", "scenario", "req", "reply",
		       "conc", "calls", "calls/s", "MB/s", "packets/s", "p50 us", "p99 us", "retrans", "rto/tlp/fast",
		       "cpu");
		for (unsigned i = 0; i < nres; i++) {
			const struct result *r = &res[i];
			char rtf[48];
			snprintf(rtf, sizeof(rtf), "%" PRIu64 "/%" PRIu64 "/%" PRIu64, r->rto, r->tlp, r->fast);
			printf("%-10s %8" PRIu64 " %10" PRIu64 " %5u %9" PRIu64
			       " %11.0f %9.1f %12.0f %9.2f %9.2f %7" PRIu64 " %13s %5.2f%s\n",
			       r->scenario, r->req_len, r->reply_len, r->conc, r->calls, r->calls_per_s, r->mb_per_s,
			       r->packets_per_s, r->p50_us, r->p99_us, r->retrans, rtf, r->cpu,
			       r->failed ? "  FAILED" : "");
		}
	}
	for (unsigned i = 0; i < nres; i++)
		print_json(&res[i]);
	return rc;
}
