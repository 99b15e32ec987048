/* SPDX-License-Identifier: MIT */
/*
 * Core behaviour over a tiny in-memory wire: two engines, a FIFO of
 * datagrams, a virtual clock.  Pins call state machines, the packets put on
 * the wire (serials, flags, ACK contents) and the channel cache.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "test_io.h"

#define MAXQ 4096

struct dgram {
	int to;
	struct rxd_addr from;
	uint32_t len;
	struct rxd_buf *buf; /* the queue's reference */
	const uint8_t *bytes;
};

struct wire {
	struct rxd_local *eng[2];
	struct rxd_addr addr[2];
	struct test_io_pool pool;
	struct test_io io[2];
	struct dgram *q[MAXQ];
	unsigned head, tail;
	uint64_t now;
	unsigned drop_every; /* drop every Nth DATA datagram (0 = none) */
	unsigned ndata;
	unsigned sent_types[16];
	struct rxd_hdr last_hdr[16];
	uint8_t srv_data[2048];
	uint32_t srv_data_len;
	uint8_t cli_ack[2048]; /* the client's latest ACK */
	uint32_t cli_ack_len;
	struct {
		uint32_t conn;
		uint32_t serial;
	} ser[2][16];
};

static struct wire W;

/* Engine `from` sent the datagram b->data[0..len): check it, then queue it for the other engine. */
static int t_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	int from = (int)(intptr_t)arg;
	struct dgram *d = malloc(sizeof(*d));
	struct rxd_hdr h;

	(void)dst;
	(void)flags;

	d->to = 1 - from;
	d->from = W.addr[from];
	d->len = len;
	d->buf = b;
	d->bytes = b->data;
	rxd_hdr_decode(d->bytes, &h);
	W.sent_types[h.type & 15]++;
	W.last_hdr[h.type & 15] = h;
	/* Serials are per connection and grow with every transmission. */
	for (unsigned i = 0; h.serial && i < 16; i++) {
		if (W.ser[from][i].conn == 0 || W.ser[from][i].conn == (h.cid | 3)) {
			cr_assert(h.serial > W.ser[from][i].serial, "serial %u after %u", h.serial,
				  W.ser[from][i].serial);
			W.ser[from][i].conn = h.cid | 3;
			W.ser[from][i].serial = h.serial;
			break;
		}
	}
	if (h.type == RXD_PKT_ACK && from == 0 && d->len <= sizeof(W.cli_ack)) {
		memcpy(W.cli_ack, d->bytes, d->len);
		W.cli_ack_len = d->len;
	}
	if (h.type == RXD_PKT_DATA) {
		if (from == 1 && d->len <= sizeof(W.srv_data)) {
			memcpy(W.srv_data, d->bytes, d->len);
			W.srv_data_len = d->len;
		}
		W.ndata++;
		if (W.drop_every && W.ndata % W.drop_every == 0) {
			test_io_buf_drop(&W.pool, b);
			free(d);
			return 0;
		}
	}
	W.q[W.tail++ % MAXQ] = d;
	return 0;
}

/* Run until idle or the clock passes limit. */
static void run(uint64_t limit)
{
	for (int steps = 0; steps < 2000000; steps++) {
		if (W.head != W.tail) {
			struct dgram *d = W.q[W.head++ % MAXQ];
			W.now += 1000; /* 1 us per hop */
			rxd_local_input(W.eng[d->to], &d->from, d->buf, d->buf->data, d->len, W.now);
			free(d);
			continue;
		}
		uint64_t t = rxd_local_next_expiry(W.eng[0]);
		uint64_t t1 = rxd_local_next_expiry(W.eng[1]);
		if (t1 < t)
			t = t1;
		if (t == RXD_TIME_NEVER || t > limit)
			return;
		if (t > W.now)
			W.now = t;
		rxd_local_expire(W.eng[0], W.now);
		rxd_local_expire(W.eng[1], W.now);
	}
	cr_assert_fail("run did not settle");
}

/* --- an echo service and a client that checks what comes back --- */

struct app {
	uint8_t *buf;
	size_t len, cap;
	int completed;
	bool server;
	size_t reply_len; /* server: reply this many bytes (pattern) */
	size_t reply_off;
	bool replying;
	bool zero_copy; /* server: reply with rxd_call_send_space/send_bufs */
	struct rxd_call *call;
};

static struct app SRV, CLI;

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* Server, zero-copy: lend packets, write the pattern into them, queue them (a few at a time). */
static void zc_writable(struct app *app, struct rxd_call *c)
{
	struct rxd_txpkt p[7];

	while (app->replying) {
		int k = rxd_call_send_space(c, p, 7, W.now);
		size_t before = app->reply_off;
		cr_assert(k >= 0, "send_space %d", k);
		for (int i = 0; i < k; i++) {
			size_t n =
			    app->reply_len - app->reply_off < p[i].room ? app->reply_len - app->reply_off : p[i].room;
			for (size_t j = 0; j < n; j++)
				p[i].data[j] = pat(app->reply_off + j);
			p[i].len = (uint32_t)n;
			app->reply_off += n;
		}
		bool last = app->reply_off == app->reply_len;
		if (k == 0 && !last)
			return; /* the queue is full: writable() comes back */
		cr_assert_eq(rxd_call_send_bufs(c, p, (unsigned)k, last ? 0 : RXD_SEND_MORE, W.now),
			     (ssize_t)(app->reply_off - before));
		if (last)
			app->replying = false;
	}
}

/* Server: push the pattern reply as far as the transmit queue allows. */
static void app_writable(void *a, struct rxd_call *c)
{
	struct app *app = a;
	uint8_t chunk[8192];

	if (app->zero_copy) {
		zc_writable(app, c);
		return;
	}
	while (app->replying) {
		size_t n = app->reply_len - app->reply_off;
		if (n > sizeof(chunk))
			n = sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = pat(app->reply_off + i);
		bool last = app->reply_off + n == app->reply_len;
		ssize_t k = rxd_call_send(c, chunk, n, last ? 0 : RXD_SEND_MORE, W.now);
		cr_assert(k >= 0, "server send %zd", k);
		app->reply_off += (size_t)k;
		if ((size_t)k < n)
			return; /* wait for writable */
		if (last)
			app->replying = false;
	}
}

static void app_data(void *a, struct rxd_call *c)
{
	struct app *app = a;
	bool eor = false;
	uint8_t tmp[4096];
	ssize_t n;

	while ((n = rxd_call_recv(c, tmp, sizeof(tmp), &eor, W.now)) > 0) {
		if (app->len + (size_t)n > app->cap) {
			app->cap = (app->len + (size_t)n) * 2;
			app->buf = realloc(app->buf, app->cap);
		}
		memcpy(app->buf + app->len, tmp, (size_t)n);
		app->len += (size_t)n;
	}
	if (eor && app->server && rxd_call_state(c) == RXD_CS_SERVER_ACK_REQUEST) {
		app->replying = true;
		app->reply_off = 0;
		app_writable(a, c);
	}
}
static void app_complete(void *a, struct rxd_call *c)
{
	struct app *app = a;
	app->completed++;
	if (app->server)
		rxd_call_end(c, W.now);
}

static int app_new_call(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
	return 0;
}

static const struct rxd_call_ops call_ops = {app_new_call, app_data, app_writable, app_complete};

static void setup(void)
{
	struct rxd_local_params p = {0};
	memset(&W, 0, sizeof(W));
	memset(&SRV, 0, sizeof(SRV));
	memset(&CLI, 0, sizeof(CLI));
	for (int i = 0; i < 2; i++) {
		rxd_addr_parse(i ? "198.18.0.2:7000" : "198.18.0.1:7001", 0, &W.addr[i]);
		p.addr = W.addr[i];
		test_io_init(&W.io[i], &W.pool, t_tx, (void *)(intptr_t)i);
		p.io = &test_io_ops;
		p.io_ctx = &W.io[i];
		p.seed = 42 + (uint64_t)i;
		cr_assert(rxd_local_create(&p, 0, &W.eng[i]) == 0);
	}
	SRV.server = true;
	struct rxd_service_desc d = {.service_id = 52, .ops = &call_ops, .app = &SRV};
	cr_assert_eq(rxd_service_register(W.eng[1], &d, NULL), 0);
}

static void teardown(void)
{
	rxd_local_destroy(W.eng[0]);
	rxd_local_destroy(W.eng[1]);
	while (W.head != W.tail) {
		struct dgram *d = W.q[W.head++ % MAXQ];
		test_io_buf_drop(&W.pool, d->buf);
		free(d);
	}
	free(SRV.buf);
	free(CLI.buf);
}

static struct rxd_call *begin(size_t req_len)
{
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	cp.peer = W.addr[1];
	cp.service_id = 52;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	uint8_t *r = malloc(req_len + 1);
	for (size_t i = 0; i < req_len; i++)
		r[i] = pat(i + 1);
	size_t off = 0;
	int spins = 0;
	while (off < req_len || req_len == 0) {
		ssize_t k = rxd_call_send(c, r + off, req_len - off, 0, W.now);
		cr_assert(k >= 0);
		off += (size_t)k;
		if (req_len == 0)
			break;
		if (off < req_len)
			run(W.now + 1000000); /* let ACKs open the queue */
		cr_assert(++spins < 100000);
	}
	free(r);
	return c;
}

static void check_echo(size_t req, size_t rep)
{
	cr_assert_eq(SRV.len, req, "server got %zu of %zu", SRV.len, req);
	for (size_t i = 0; i < req; i++)
		cr_assert_eq(SRV.buf[i], pat(i + 1));
	cr_assert_eq(CLI.len, rep, "client got %zu of %zu", CLI.len, rep);
	for (size_t i = 0; i < rep; i++)
		cr_assert_eq(CLI.buf[i], pat(i));
}

TestSuite(core_calls, .init = setup, .fini = teardown);

Test(core_calls, zero_byte_call_completes_on_both_sides)
{
	SRV.reply_len = 0;
	struct rxd_call *c = begin(0);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	cr_assert_eq(SRV.completed, 1, "server call completes after the final ACK");
	check_echo(0, 0);
	rxd_call_end(c, W.now);
	cr_assert_eq(rxd_local_counts(W.eng[0]).calls, 0);
	cr_assert_eq(rxd_local_counts(W.eng[1]).calls, 0);
}

Test(core_calls, multi_packet_request_and_reply_are_byte_exact)
{
	SRV.reply_len = 200000;
	struct rxd_call *c = begin(100000);
	run(W.now + 10 * RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 1);
	check_echo(100000, 200000);
	rxd_call_end(c, W.now);
}

Test(core_calls, lost_packets_are_retransmitted)
{
	W.drop_every = 5;
	SRV.reply_len = 300000;
	struct rxd_call *c = begin(150000);
	run(W.now + 60 * RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	check_echo(150000, 300000);
	struct rxd_stats st = {0};
	rxd_local_stats_add(W.eng[0], &st);
	rxd_local_stats_add(W.eng[1], &st);
	cr_assert(st.tx_data_retrans > 0);
	rxd_call_end(c, W.now);
}

Test(core_calls, client_data_packets_carry_client_initiated_and_last)
{
	SRV.reply_len = 10;
	struct rxd_call *c = begin(10);
	run(W.now + RXD_NS_PER_SEC);
	/* the last DATA seen on the wire is the server's one-packet reply */
	struct rxd_hdr h = W.last_hdr[RXD_PKT_DATA];
	cr_assert_eq(h.flags & RXD_F_CLIENT_INITIATED, 0);
	cr_assert(h.flags & RXD_F_LAST_PACKET);
	cr_assert_eq(h.flags & RXD_F_REQUEST_ACK, 0, "never REQUEST_ACK on the last reply packet");
	cr_assert_eq(h.seq, 1);
	cr_assert_eq(h.service_id, 52);
	cr_assert(h.epoch & 0x80000000u);
	rxd_call_end(c, W.now);
}

/* A one-byte call to service_id. */
static struct rxd_call *begin_x(uint16_t service_id)
{
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	cp.peer = W.addr[1];
	cp.service_id = service_id;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert(rxd_call_send(c, "x", 1, 0, W.now) == 1);
	return c;
}

Test(core_calls, unknown_service_is_aborted_with_invalid_operation)
{
	struct rxd_call *c = begin_x(99);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_REMOTELY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(c), RX_INVALID_OPERATION);
	rxd_call_end(c, W.now);
}

Test(core_calls, client_abort_reaches_the_server)
{
	SRV.reply_len = 10;
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	cp.peer = W.addr[1];
	cp.service_id = 52;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert(rxd_call_send(c, "abc", 3, RXD_SEND_MORE, W.now) == 3);
	uint8_t big[5000] = {0};
	cr_assert(rxd_call_send(c, big, sizeof(big), RXD_SEND_MORE, W.now) == sizeof(big));
	run(W.now + 1000000);
	rxd_call_abort(c, 1234, W.now);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(SRV.completed, 1);
	cr_assert_eq(W.sent_types[RXD_PKT_ABORT], 1);
	rxd_call_end(c, W.now);
}

Test(core_calls, idle_connections_and_peers_expire)
{
	SRV.reply_len = 1;
	struct rxd_call *c = begin(1);
	run(W.now + RXD_NS_PER_SEC);
	rxd_call_end(c, W.now);
	cr_assert_eq(rxd_local_counts(W.eng[0]).conns, 1);
	cr_assert_eq(rxd_local_counts(W.eng[1]).conns, 1);
	run(W.now + 3600 * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_local_counts(W.eng[0]).conns, 0);
	cr_assert_eq(rxd_local_counts(W.eng[1]).conns, 0);
	cr_assert_eq(rxd_local_counts(W.eng[0]).peers, 0);
	cr_assert_eq(rxd_local_counts(W.eng[1]).peers, 0);
	cr_assert_eq(W.pool.st.live, 0);
}

Test(core_calls, four_calls_share_one_connection_then_a_fifth_opens_another)
{
	SRV.reply_len = 1;
	struct rxd_call *c[5];
	for (int i = 0; i < 5; i++)
		c[i] = begin(1);
	cr_assert_eq(rxd_call_cid(c[0]) & ~3u, rxd_call_cid(c[3]) & ~3u);
	cr_assert_neq(rxd_call_cid(c[0]) & ~3u, rxd_call_cid(c[4]) & ~3u);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 5);
	for (int i = 0; i < 5; i++)
		rxd_call_end(c[i], W.now);
}

/* Deliver a hand-made datagram to engine `to` as if from the other engine. */
static void inject(int to, const uint8_t *p, size_t len)
{
	struct rxd_buf *b;
	b = test_io_buf_new(&W.pool, len);
	memcpy(b->data, p, len);
	rxd_local_input(W.eng[to], &W.addr[1 - to], b, b->data, len, W.now);
}

Test(core_calls, version_request_is_answered_with_the_version_string)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + 1] = {0};
	struct rxd_hdr h = {.epoch = 999,
			    .call_number = 101,
			    .type = RXD_PKT_VERSION,
			    .flags = RXD_F_CLIENT_INITIATED | RXD_F_LAST_PACKET};
	rxd_hdr_encode(pkt, &h);
	inject(1, pkt, sizeof(pkt));
	cr_assert_eq(W.sent_types[RXD_PKT_VERSION], 1);
	struct dgram *d = W.q[(W.tail - 1) % MAXQ];
	cr_assert_eq(d->len, RXD_WIRE_HDR_LEN + RXD_VERSION_REPLY_LEN);
	cr_assert_eq(d->bytes[21] & RXD_F_CLIENT_INITIATED, 0, "reply clears CLIENT_INITIATED");
	cr_assert_eq(rxd_get_be32(d->bytes + 8), 101, "callNumber echoed");
	cr_assert(strncmp((char *)d->bytes + RXD_WIRE_HDR_LEN, "rxd ", 4) == 0);
}

/* Ask engine 1 what rxdebug asks; the reply body is left in *body (its length returned). */
static uint32_t debug_ask(int32_t type, int32_t index, const uint8_t **body)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + 8] = {0};
	struct rxd_hdr h = {.epoch = 999, .call_number = 7, .type = RXD_PKT_DEBUG, .flags = RXD_F_CLIENT_INITIATED};
	unsigned before = W.sent_types[RXD_PKT_DEBUG];

	rxd_hdr_encode(pkt, &h);
	rxd_put_be32(pkt + RXD_WIRE_HDR_LEN, (uint32_t)type);
	rxd_put_be32(pkt + RXD_WIRE_HDR_LEN + 4, (uint32_t)index);
	inject(1, pkt, sizeof(pkt));
	cr_assert_eq(W.sent_types[RXD_PKT_DEBUG], before + 1, "one reply");
	struct dgram *d = W.q[(W.tail - 1) % MAXQ];
	*body = d->bytes + RXD_WIRE_HDR_LEN;
	return d->len - RXD_WIRE_HDR_LEN;
}

Test(core_calls, rxdebug_lists_the_real_connections_peers_and_counters)
{
	const uint8_t *b;
	struct rxd_debug_conn dc;
	struct rxd_debug_peer dp;

	SRV.reply_len = 20000;
	struct rxd_call *c = begin(100);
	run(W.now + 2 * RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 1);
	rxd_call_end(c, W.now);
	uint32_t cid = W.last_hdr[RXD_PKT_DATA].cid & ~3u;

	/* nothing in flight: no "interesting" connection */
	cr_assert_eq(debug_ask(RXD_DEBUG_GETCONN, 0, &b), RXD_DEBUG_CONN_LEN);
	cr_assert_eq(rxd_debug_conn_decode(b, RXD_DEBUG_CONN_LEN, &dc), 0);
	cr_assert_eq(dc.cid, RXD_DEBUG_END);
	/* every connection: the one server conn, then the end */
	cr_assert_eq(debug_ask(RXD_DEBUG_GETALLCONN, 0, &b), RXD_DEBUG_CONN_LEN);
	cr_assert_eq(rxd_debug_conn_decode(b, RXD_DEBUG_CONN_LEN, &dc), 0);
	cr_assert_eq(dc.cid, cid);
	cr_assert_eq(dc.type, RXD_DEBUG_CONN_SERVER);
	cr_assert_eq(memcmp(dc.host, W.addr[0].ip.v4, 4), 0);
	cr_assert_eq(dc.port, W.addr[0].port);
	cr_assert_eq(dc.call_number[0], 1);
	cr_assert_eq(dc.call_state[0], RXD_DEBUG_STATE_DALLY, "completed call remembered on its channel");
	cr_assert_eq(dc.call_state[1], RXD_DEBUG_STATE_NOTINIT);
	cr_assert_gt(dc.serial, 0);
	cr_assert_eq(debug_ask(RXD_DEBUG_GETALLCONN, 1, &b), RXD_DEBUG_CONN_LEN);
	cr_assert_eq(rxd_get_be32(b + 4), RXD_DEBUG_END);
	/* what a shell with several shards needs to walk them one after another */
	cr_assert_eq(rxd_debug_records(W.eng[1], RXD_DEBUG_GETALLCONN), 1);
	cr_assert_eq(rxd_debug_records(W.eng[1], RXD_DEBUG_GETCONN), 0);
	cr_assert_eq(rxd_debug_records(W.eng[1], RXD_DEBUG_GETPEER), 1);
	cr_assert_eq(rxd_debug_records(W.eng[1], RXD_DEBUG_RXSTATS), -EINVAL);
	cr_assert_eq(rxd_debug_records(W.eng[1], RXD_DEBUG_GETSTATS), -EINVAL);

	cr_assert_eq(debug_ask(RXD_DEBUG_GETPEER, 0, &b), RXD_DEBUG_PEER_LEN);
	cr_assert_eq(rxd_debug_peer_decode(b, RXD_DEBUG_PEER_LEN, &dp), 0);
	cr_assert_eq(memcmp(dp.host, W.addr[0].ip.v4, 4), 0);
	cr_assert_eq(dp.port, W.addr[0].port);
	cr_assert_geq(dp.n_sent, 20000 / 1444, "the reply's DATA packets");
	cr_assert_gt(dp.bytes_sent, 20000);
	cr_assert_eq(debug_ask(RXD_DEBUG_GETPEER, 1, &b), RXD_DEBUG_PEER_LEN);
	cr_assert_eq(rxd_get_be32(b), RXD_DEBUG_END);

	cr_assert_eq(debug_ask(RXD_DEBUG_RXSTATS, 0, &b), RXD_DEBUG_RXSTATS_LEN);
	cr_assert_eq(rxd_get_be32(b + 4 * (RXD_RXS_PACKETS_READ + RXD_PKT_DATA - 1)), 1, "one request packet");
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_DATA_PACKETS_SENT), dp.n_sent);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_N_SERVER_CONNS), 1);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_N_PEER_STRUCTS), 1);

	/* a call in progress (the server sending a reply bigger than its window) makes its connection interesting */
	SRV.reply_len = 1000000;
	CLI.len = 0;
	c = begin(0);
	struct dgram *req = W.q[(W.tail - 1) % MAXQ]; /* the request, after the DEBUG replies queued above */
	cr_assert_eq(req->to, 1);
	cr_assert_eq(req->bytes[20], RXD_PKT_DATA);
	inject(1, req->bytes, req->len);
	cr_assert_eq(debug_ask(RXD_DEBUG_GETCONN, 0, &b), RXD_DEBUG_CONN_LEN);
	cr_assert_eq(rxd_debug_conn_decode(b, RXD_DEBUG_CONN_LEN, &dc), 0);
	cr_assert_eq(dc.cid, cid);
	cr_assert_eq(dc.call_number[0], 2);
	cr_assert_eq(dc.call_state[0], RXD_DEBUG_STATE_ACTIVE);
	cr_assert_eq(dc.call_mode[0], RXD_DEBUG_MODE_SENDING);
	cr_assert_eq(dc.call_other[0] & RXD_DEBUG_OTHER_OUT, RXD_DEBUG_OTHER_OUT, "reply DATA not yet ACKed");
	run(W.now + 10 * RXD_NS_PER_SEC);
	rxd_call_end(c, W.now);
}

/* A shell's whole-process counters, as the DPDK shell sums its workers' shards. */
static void three_shards(void *user, struct rxd_stats *sum, struct rxd_local_counts *counts)
{
	cr_assert_eq(user, &W);
	cr_assert_eq(sum->calls_server, 0, "zeroed before");
	sum->calls_server = 3000;
	sum->conns_service = 30;
	sum->tx_data_subpackets = 700;
	counts->peers = 3;
	counts->calls = 12;
}

Test(core_calls, rxdebug_counters_are_the_shells_when_it_gives_them)
{
	const uint8_t *b;
	struct rxd_local_params p = {0};

	rxd_local_destroy(W.eng[1]);
	p.addr = W.addr[1];
	p.io = &test_io_ops;
	p.io_ctx = &W.io[1];
	p.seed = 43;
	p.debug_counters = three_shards;
	p.debug_counters_user = &W;
	cr_assert(rxd_local_create(&p, 0, &W.eng[1]) == 0);

	cr_assert_eq(debug_ask(RXD_DEBUG_RXSTATS, 0, &b), RXD_DEBUG_RXSTATS_LEN);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_N_SERVER_CONNS), 30);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_N_PEER_STRUCTS), 3);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_N_CALL_STRUCTS), 12);
	cr_assert_eq(rxd_get_be32(b + 4 * RXD_RXS_DATA_PACKETS_SENT), 700);
	cr_assert_eq(debug_ask(RXD_DEBUG_GETSTATS, 0, &b), RXD_DEBUG_STATS_LEN);
	cr_assert_eq(rxd_get_be32(b + 8), 3000, "calls executed");
}

Test(core_calls, jumbograms_are_sent_when_the_path_mtu_allows)
{
	/* rebuild both engines with a 9000-byte interface MTU */
	rxd_local_destroy(W.eng[0]);
	rxd_local_destroy(W.eng[1]);
	memset(&W, 0, sizeof(W));
	memset(&SRV, 0, sizeof(SRV));
	memset(&CLI, 0, sizeof(CLI));
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.if_mtu = 9000;
	for (int i = 0; i < 2; i++) {
		struct rxd_local_params p = {0};
		rxd_addr_parse(i ? "198.18.0.2:7000" : "198.18.0.1:7001", 0, &W.addr[i]);
		p.addr = W.addr[i];
		test_io_init(&W.io[i], &W.pool, t_tx, (void *)(intptr_t)i);
		p.io = &test_io_ops;
		p.io_ctx = &W.io[i];
		p.config = &cfg;
		p.seed = 7 + (uint64_t)i;
		cr_assert(rxd_local_create(&p, 0, &W.eng[i]) == 0);
	}
	SRV.server = true;
	SRV.reply_len = 1000000;
	struct rxd_service_desc d = {.service_id = 52, .ops = &call_ops, .app = &SRV};
	cr_assert_eq(rxd_service_register(W.eng[1], &d, NULL), 0);
	struct rxd_call *c = begin(1);
	run(W.now + 10 * RXD_NS_PER_SEC);
	check_echo(1, 1000000);
	struct rxd_stats st = {0};
	rxd_local_stats_add(W.eng[1], &st);
	cr_assert(st.tx_jumbo > 0, "server sent jumbograms");
	cr_assert(st.tx_data_subpackets > st.tx_data);
	rxd_call_end(c, W.now);
}

Test(core_calls, final_ack_is_regenerated_for_a_retransmitted_reply)
{
	SRV.reply_len = 5;
	struct rxd_call *c = begin(5);
	run(W.now + 1000);
	cr_assert(CLI.completed == 1 && W.srv_data_len > 0);
	uint8_t reply[2048];
	size_t rlen = W.srv_data_len;
	memcpy(reply, W.srv_data, rlen);
	run(W.now + RXD_NS_PER_SEC); /* deferred final ACK goes out */
	unsigned acks = W.sent_types[RXD_PKT_ACK];
	rxd_call_end(c, W.now);
	inject(0, reply, rlen);
	cr_assert_eq(W.sent_types[RXD_PKT_ACK], acks + 1, "the final ACK is sent again");
	struct rxd_hdr h = W.last_hdr[RXD_PKT_ACK];
	cr_assert(h.flags & RXD_F_CLIENT_INITIATED);
	struct dgram *d = W.q[(W.tail - 1) % MAXQ];
	cr_assert_eq(rxd_get_be32(d->bytes + RXD_WIRE_HDR_LEN + 4), 2, "firstPacket = last seq + 1");
	cr_assert_eq(d->bytes[RXD_WIRE_HDR_LEN + 16], RXD_ACK_DUPLICATE);
}

static struct rxd_service_desc charge_desc;

Test(core_calls, calls_beyond_the_charged_backlog_get_busy)
{
	charge_desc = (struct rxd_service_desc){
	    .service_id = 60, .needs_charge = true, .backlog = 1, .ops = &call_ops, .app = &SRV};
	struct rxd_service *s = NULL;
	cr_assert_eq(rxd_service_register(W.eng[1], &charge_desc, &s), 0);
	cr_assert(s);
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	cp.peer = W.addr[1];
	cp.service_id = 60;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert(rxd_call_send(c, "x", 1, 0, W.now) == 1);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(W.sent_types[RXD_PKT_BUSY], 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_REMOTELY_ABORTED);
	cr_assert_eq(rxd_call_error(c), -EBUSY);
	rxd_call_end(c, W.now);
	/* with a charge the next call is taken and carries the charged user id */
	cr_assert(rxd_service_charge(s, 777) == 0);
	SRV.reply_len = 3;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert(rxd_call_send(c, "y", 1, 0, W.now) == 1);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	rxd_call_end(c, W.now);
}

Test(core_calls, silent_peer_times_out_the_call)
{
	SRV.reply_len = 1;
	W.drop_every = 1; /* every DATA vanishes */
	struct rxd_call *c = begin(1);
	run(W.now + 120 * RXD_NS_PER_SEC);
	cr_assert_eq(CLI.completed, 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert(rxd_call_abort_code(c) == RX_CALL_TIMEOUT || rxd_call_abort_code(c) == RX_CALL_DEAD);
	cr_assert_eq(rxd_call_error(c), -ETIME);
	rxd_call_end(c, W.now);
}

Test(core_calls, service_upgrade_switches_the_conn_to_the_new_service)
{
	struct rxd_service_desc up = {.service_id = 2503, .upgrade_from = 53, .ops = &call_ops, .app = &SRV};
	cr_assert_eq(rxd_service_register(W.eng[1], &up, NULL), 0);
	SRV.reply_len = 4;
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	cp.peer = W.addr[1];
	cp.service_id = 53;
	cp.upgrade = true;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert(rxd_call_send(c, "ping", 4, 0, W.now) == 4);
	struct dgram *first = W.q[(W.tail - 1) % MAXQ];
	cr_assert_eq(first->bytes[22], RXD_USERSTATUS_SERVICE_UPGRADE);
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	cr_assert_eq(W.last_hdr[RXD_PKT_DATA].service_id, 2503, "the reply comes from the upgraded service");
	rxd_call_end(c, W.now);
}

/* ---- the rxperf server engine (app/common) over the same wire: its request rules */

#include "rxd_rxperf.h"

static uint64_t wire_clock(void *arg)
{
	(void)arg;
	return W.now;
}

/* One RPC request (8 payload bytes, 16-byte reply) followed by `trailer`; returns the client call. */
static struct rxd_call *rxperf_call(struct rxd_rxperf_server **srv, const uint8_t *trailer, size_t tlen)
{
	struct rxd_rxperf_server_params sp;
	struct rxd_service_desc d;
	struct rxd_call_params cp = {0};
	struct rxd_call *c;
	uint8_t req[24 + 8 + 8] = {0};
	size_t n = rxd_rxperf_encode_request(req, RXD_RXPERF_RPC, 8, 16) + 8;

	rxd_rxperf_server_params_default(&sp);
	*srv = rxd_rxperf_server_create(&sp, wire_clock, NULL);
	cr_assert_not_null(*srv);
	rxd_rxperf_server_desc(*srv, RXD_RXPERF_SERVICE, &d);
	cr_assert(rxd_service_register(W.eng[1], &d, NULL) == 0);
	cr_assert(tlen <= sizeof(req) - n);
	if (tlen) /* trailer may be NULL: memcpy's pointers must not be, even for 0 bytes */
		memcpy(req + n, trailer, tlen);
	cp.peer = W.addr[1];
	cp.service_id = RXD_RXPERF_SERVICE;
	cp.ops = &call_ops;
	cp.app = &CLI;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	cr_assert_eq(rxd_call_send(c, req, n + tlen, 0, W.now), (ssize_t)(n + tlen));
	run(W.now + 5 * RXD_NS_PER_SEC);
	return c;
}

static void rxperf_expect(const uint8_t *trailer, size_t tlen, int32_t abort_code)
{
	struct rxd_rxperf_server *srv;
	struct rxd_call *c = rxperf_call(&srv, trailer, tlen);

	if (abort_code) {
		cr_assert_eq(rxd_call_completion(c), RXD_CALL_REMOTELY_ABORTED, "trailer of %zu bytes accepted", tlen);
		cr_assert_eq(rxd_call_abort_code(c), abort_code);
		cr_assert_eq(rxd_rxperf_server_stats(srv)->bad_trailer, 1);
	} else {
		cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED, "completion %d abort %d",
			     rxd_call_completion(c), rxd_call_abort_code(c));
		cr_assert_eq(CLI.len, 16 + 4); /* zeros then the cookie */
		cr_assert_eq(rxd_get_be32(CLI.buf + 16), RXD_RXPERF_COOKIE);
	}
	rxd_call_end(c, W.now);
	run(W.now + RXD_NS_PER_SEC);
	rxd_local_destroy(W.eng[1]); /* before the server's call contexts go */
	W.eng[1] = NULL;
	rxd_local_destroy(W.eng[0]);
	W.eng[0] = NULL;
	rxd_rxperf_server_destroy(srv);
}

Test(rxperf_server, request_without_trailer_is_served, .init = setup, .fini = teardown)
{
	rxperf_expect(NULL, 0, 0);
}

Test(rxperf_server, request_ending_with_the_cookie_is_served, .init = setup, .fini = teardown)
{
	static const uint8_t ck[4] = {0x00, 0x00, 0x47, 0x11};
	rxperf_expect(ck, 4, 0);
}

Test(rxperf_server, one_byte_after_the_payload_is_aborted_unmarshal, .init = setup, .fini = teardown)
{
	static const uint8_t junk[1] = {0};
	rxperf_expect(junk, 1, RXGEN_SS_UNMARSHAL);
}

Test(rxperf_server, four_bytes_other_than_the_cookie_are_aborted_unmarshal, .init = setup, .fini = teardown)
{
	static const uint8_t junk[4] = {0x00, 0x00, 0x47, 0x12};
	rxperf_expect(junk, 4, RXGEN_SS_UNMARSHAL);
}

Test(rxperf_server, bytes_after_the_cookie_are_aborted_unmarshal, .init = setup, .fini = teardown)
{
	static const uint8_t junk[5] = {0x00, 0x00, 0x47, 0x11, 0x00};
	rxperf_expect(junk, 5, RXGEN_SS_UNMARSHAL);
}

Test(core_calls, service_register_returns_errno_for_duplicates_and_bad_descriptors)
{
	struct rxd_service_desc dup = {.service_id = 52, .ops = &call_ops, .app = &SRV};
	struct rxd_service_desc zero = {.service_id = 0, .ops = &call_ops, .app = &SRV};
	struct rxd_service *s = (struct rxd_service *)&dup;
	cr_assert_eq(rxd_service_register(W.eng[1], &dup, &s), -EADDRINUSE);
	cr_assert_eq(s, (struct rxd_service *)&dup, "*out is left alone on failure");
	cr_assert_eq(rxd_service_register(W.eng[1], &zero, &s), -EINVAL);
	dup.service_id = 54;
	cr_assert_eq(rxd_service_register(W.eng[1], &dup, &s), 0);
	cr_assert(s && s != (struct rxd_service *)&dup);
}

Test(core_calls, call_timeouts_are_milliseconds_at_begin_and_when_changed)
{
	W.drop_every = 1; /* the server never hears the request */
	uint64_t t0 = W.now;
	struct rxd_call *c = begin(1);
	struct rxd_call_timeouts t = {.hard_ms = 1500};
	rxd_call_set_timeouts(c, &t, W.now);
	run(t0 + 1400 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	run(t0 + 1600 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(c), RX_CALL_TIMEOUT);
	rxd_call_end(c, W.now);

	/* expect_rx at begin: the silent server kills the call after 3 s, not the 20 s default. */
	struct rxd_call_params cp = {.peer = W.addr[1], .service_id = 52, .ops = &call_ops, .app = &CLI};
	cp.timeouts.expect_rx_ms = 3000;
	t0 = W.now;
	cr_assert_eq(rxd_call_begin(W.eng[0], &cp, W.now, &c), 0);
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, W.now), 1);
	run(t0 + 2900 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	run(t0 + 3200 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(rxd_call_error(c), -ETIME);
	rxd_call_end(c, W.now);
}

/* The server BUSYs a call twice (a retransmitted request): the first BUSY ended the call, the second
 * must not make the client regenerate an ABORT it never sent from its channel cache. */
Test(core_calls, a_second_busy_for_an_ended_call_is_not_answered)
{
	static struct rxd_service_desc busy_desc;
	struct rxd_call *c;
	uint8_t busy[RXD_WIRE_HDR_LEN];

	busy_desc = (struct rxd_service_desc){
	    .service_id = 61, .needs_charge = true, .backlog = 1, .ops = &call_ops, .app = &SRV};
	cr_assert_eq(rxd_service_register(W.eng[1], &busy_desc, NULL), 0);
	c = begin_x(61);
	run(W.now + 1000000);
	cr_assert_eq(W.sent_types[RXD_PKT_BUSY], 1);
	cr_assert_eq(rxd_call_error(c), -EBUSY);
	rxd_call_end(c, W.now);
	rxd_hdr_encode(busy, &W.last_hdr[RXD_PKT_BUSY]);
	inject(0, busy, sizeof(busy));
	run(W.now + RXD_NS_PER_SEC);
	cr_assert_eq(W.sent_types[RXD_PKT_ABORT], 0, "no ABORT in answer to a BUSY");
}

/* The final ACK advertises the same receive limits as every other ACK (it said maxPackets 0). */
Test(core_calls, final_ack_trailer_matches_the_other_acks)
{
	SRV.reply_len = 3000; /* three packets: the client ACKs before the final ACK */
	struct rxd_call *c = begin(5);
	run(W.now + 1000);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	struct rxd_pkt ack;
	enum rxd_reason why;
	int32_t code;
	uint8_t ackb[2048];
	memcpy(ackb, W.cli_ack, W.cli_ack_len);
	cr_assert_eq(rxd_pkt_parse(ackb, W.cli_ack_len, 0, &ack, &why, &code), RXD_V_ACCEPT);
	run(W.now + RXD_NS_PER_SEC);
	rxd_call_end(c, W.now);
	/* a retransmitted last reply packet makes the client send its final ACK again: parse it */
	uint8_t reply[2048];
	size_t rlen = W.srv_data_len;
	memcpy(reply, W.srv_data, rlen);
	inject(0, reply, rlen);
	struct dgram *d = W.q[(W.tail - 1) % MAXQ];
	struct rxd_pkt fin;
	cr_assert_eq(rxd_pkt_parse(d->bytes, d->len, 0, &fin, &why, &code), RXD_V_ACCEPT);
	cr_assert_eq(fin.hdr.type, RXD_PKT_ACK);
	cr_assert_eq(fin.u.ack.trailer_len, 16);
	cr_assert_eq(fin.u.ack.jumbo_max, ack.u.ack.jumbo_max, "maxPackets %u, other ACKs %u", fin.u.ack.jumbo_max,
		     ack.u.ack.jumbo_max);
	cr_assert_eq(fin.u.ack.rwind, ack.u.ack.rwind);
	cr_assert_eq(fin.u.ack.max_mtu, ack.u.ack.max_mtu);
}

/* ------------------------------------------------------------------ lent transmit packets */

/* A client call with nothing sent yet. */
static struct rxd_call *begin_empty(int64_t tx_total_len)
{
	struct rxd_call_params cp = {.peer = W.addr[1], .service_id = 52, .ops = &call_ops, .app = &CLI};
	struct rxd_call *c;

	cp.tx_total_len = tx_total_len;
	cr_assert(rxd_call_begin(W.eng[0], &cp, W.now, &c) == 0);
	return c;
}

/* Fill lent packets with the request pattern from *off on (full, or up to end). */
static uint32_t fill_req(struct rxd_txpkt *p, unsigned n, size_t *off, size_t end)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t k = end - *off < p[i].room ? end - *off : p[i].room;
		for (size_t j = 0; j < k; j++)
			p[i].data[j] = pat(*off + j + 1);
		p[i].len = (uint32_t)k;
		*off += k;
		sum += (uint32_t)k;
	}
	return sum;
}

/* The call completes and the server got exactly the req bytes of the request pattern. */
static void request_delivered(struct rxd_call *c, size_t req)
{
	run(W.now + 60 * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	check_echo(req, 0);
	rxd_call_end(c, W.now);
}

Test(core_calls, send_bufs_reply_is_byte_exact_through_loss)
{
	W.drop_every = 7;
	SRV.zero_copy = true;
	SRV.reply_len = 300001;
	struct rxd_call *c = begin(20000);
	run(W.now + 60 * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED);
	check_echo(20000, 300001);
	rxd_call_end(c, W.now);
	run(W.now + 3600 * RXD_NS_PER_SEC);
	cr_assert_eq(W.pool.st.live, 0, "no buffer leaks");
}

/* Lent packets count against the transmit queue as queued ones; a partly filled packet is lent first. */
Test(core_calls, send_space_lends_the_queue_room_and_blocks_copying_sends)
{
	struct rxd_txpkt p[600], q[1];
	size_t off = 3;
	struct rxd_call *c = begin_empty(0);

	SRV.reply_len = 0;
	cr_assert_eq(rxd_call_send(c, (uint8_t[]){pat(1), pat(2), pat(3)}, 3, RXD_SEND_MORE, W.now), 3);
	cr_assert_eq(rxd_call_send_space(c, p, 600, W.now), 512, "tx_queue_max packets, the fill among them");
	cr_assert_eq(p[0].data - p[0].pkt, 3, "the partly filled packet comes first, after its bytes");
	cr_assert_eq(p[0].room, RXD_JUMBO_DATALEN - 3);
	cr_assert_eq(p[1].room, RXD_JUMBO_DATALEN);
	cr_assert_eq(rxd_call_send_space(c, q, 1, W.now), 0, "the queue is full");
	cr_assert_eq(rxd_call_send(c, "x", 1, RXD_SEND_MORE, W.now), -EBUSY, "bytes would overtake the lent packets");
	cr_assert_eq(rxd_call_send_bufs(c, p, 600, 0, W.now), -EINVAL, "more than is lent: nothing taken");
	fill_req(p, 512, &off, SIZE_MAX);
	cr_assert_eq(rxd_call_send_bufs(c, p, 512, 0, W.now), (ssize_t)(off - 3), "the lent packets' bytes");
	request_delivered(c, off);
}

Test(core_calls, send_bufs_without_more_sets_last_and_with_more_keeps_a_short_packet_open)
{
	struct rxd_txpkt p[2];
	size_t off = 0;
	struct rxd_call *c = begin_empty(0);

	SRV.reply_len = 1;
	cr_assert_eq(rxd_call_send_space(c, p, 1, W.now), 1);
	fill_req(p, 1, &off, 10);
	cr_assert_eq(rxd_call_send_bufs(c, p, 1, RXD_SEND_MORE, W.now), 10);
	cr_assert_eq(W.sent_types[RXD_PKT_DATA], 0, "a short packet waits for more bytes");
	cr_assert_eq(rxd_call_send(c, (uint8_t[]){pat(11), pat(12)}, 2, 0, W.now), 2, "copying sends append to it");
	cr_assert_eq(W.sent_types[RXD_PKT_DATA], 1);
	cr_assert(W.last_hdr[RXD_PKT_DATA].flags & RXD_F_LAST_PACKET);
	cr_assert_eq(W.last_hdr[RXD_PKT_DATA].seq, 1);
	cr_assert_eq(rxd_call_send_space(c, p, 1, W.now), -EPROTO, "the phase has ended");
	run(W.now + RXD_NS_PER_SEC);
	check_echo(12, 1);
	rxd_call_end(c, W.now);

	/* the other way round: the packet queued without RXD_SEND_MORE is the LAST one */
	free(SRV.buf);
	free(CLI.buf);
	memset(&SRV, 0, sizeof(SRV));
	memset(&CLI, 0, sizeof(CLI));
	SRV.server = true;
	c = begin_empty(0);
	cr_assert_eq(rxd_call_send(c, (uint8_t[]){pat(1)}, 1, RXD_SEND_MORE, W.now), 1);
	cr_assert_eq(rxd_call_send_space(c, p, 2, W.now), 2);
	off = 1;
	fill_req(p, 2, &off, 2000);
	cr_assert_eq(rxd_call_send_bufs(c, p, 2, 0, W.now), 1999);
	cr_assert_eq(W.last_hdr[RXD_PKT_DATA].seq, 2);
	cr_assert(W.last_hdr[RXD_PKT_DATA].flags & RXD_F_LAST_PACKET);
	request_delivered(c, 2000);
}

Test(core_calls, send_bufs_of_none_ends_the_phase_with_an_empty_last_packet)
{
	struct rxd_txpkt p[2];
	size_t off = 0;
	struct rxd_call *c = begin_empty(2 * RXD_JUMBO_DATALEN);

	cr_assert_eq(rxd_call_send_space(c, p, 2, W.now), 2);
	fill_req(p, 2, &off, SIZE_MAX);
	cr_assert_eq(off, 2 * RXD_JUMBO_DATALEN);
	cr_assert_eq(rxd_call_send_bufs(c, p, 2, RXD_SEND_MORE, W.now), (ssize_t)off, "full packets go at once");
	cr_assert_eq(W.sent_types[RXD_PKT_DATA], 2);
	cr_assert_eq(W.last_hdr[RXD_PKT_DATA].flags & RXD_F_LAST_PACKET, 0);
	cr_assert_eq(rxd_call_send_bufs(c, NULL, 0, 0, W.now), 0);
	request_delivered(c, off); /* the call succeeds only once the server saw the request end */
}

Test(core_calls, lent_packets_of_a_failed_call_are_freed_when_given_back)
{
	struct rxd_txpkt p[8];
	size_t off = 0;
	struct rxd_call *c = begin_empty(100);

	cr_assert_eq(rxd_call_send_space(c, p, 2, W.now), 2);
	fill_req(p, 2, &off, 50);
	cr_assert_eq(rxd_call_send_bufs(c, p, 1, 0, W.now), -EINVAL, "the phase cannot end with one still lent");
	cr_assert_eq(rxd_call_send_bufs(c, p + 1, 1, 0, W.now), -EMSGSIZE, "short of the announced length");
	cr_assert_eq(rxd_call_send_space(c, p, 8, W.now), 8);
	rxd_call_abort(c, 77, W.now);
	cr_assert_eq(rxd_call_send_bufs(c, p, 8, RXD_SEND_MORE, W.now), -ECONNABORTED);
	rxd_call_end(c, W.now);
	run(W.now + 3600 * RXD_NS_PER_SEC);
	cr_assert_eq(W.pool.st.live, 0, "no buffer leaks");
}
