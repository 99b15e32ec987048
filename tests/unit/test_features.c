/* SPDX-License-Identifier: MIT */
/*
 * Kernel AF_RXRPC features the core mirrors (issue 9, item 4): each test
 * pins one rule over two engines joined by an in-memory FIFO wire with a
 * virtual clock.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "test_io.h"

#define FQ 1024

struct fdgram {
	int to;
	uint32_t len;
	struct rxd_buf *buf;
};

static struct {
	struct rxd_local *eng[2];
	struct rxd_addr addr[2];
	struct test_io_pool pool;
	struct test_io io[2];
	struct fdgram q[FQ];
	unsigned head, tail;
	uint64_t now;
	unsigned sent[16]; /* packets sent by type, both engines */
	int new_calls;	   /* server: calls offered to the service */
	int completed[2];
	struct rxd_call *srv_call; /* the latest call offered */
	struct rxd_call *srv_calls[8];
	bool srv_lazy; /* the server neither reads nor answers */
	/* path MTU: DF datagrams of more UDP payload than path_max (0 = no limit) vanish, no ICMP */
	uint32_t path_max;
	bool path_icmp; /* the router answers a drop with ICMP frag-needed */
	unsigned path_drops, path_drops_data;
	uint32_t probe_len[64]; /* the client's padded PING ACKs, in order */
	bool probe_df_reqack[64];
	unsigned nprobes;
	uint32_t data_max; /* largest DATA datagram the client sent */
	/* the client's DATA sends: after data_ok of them went, the shell refuses them with data_err (0: never) */
	int data_err;
	unsigned data_ok, data_tries;
} F;

/* Watch the client's datagrams; drop DF ones the path cannot carry. */
static bool f_path(int from, const struct rxd_buf *b, uint32_t len, unsigned flags)
{
	if (from == 0 && test_io_is_pmtud_probe(b->data, len) && F.nprobes < 64) {
		F.probe_df_reqack[F.nprobes] = (flags & RXD_TX_DONTFRAG) && (b->data[21] & RXD_F_REQUEST_ACK);
		F.probe_len[F.nprobes++] = len;
	}
	if (from == 0 && b->data[20] == RXD_PKT_DATA && len > F.data_max)
		F.data_max = len;
	if (!F.path_max || len <= F.path_max || !(flags & RXD_TX_DONTFRAG))
		return true;
	F.path_drops++;
	F.path_drops_data += b->data[20] == RXD_PKT_DATA;
	if (F.path_icmp) /* after the datagrams already on the wire; len is the router's MTU */
		F.q[F.tail++ % FQ] = (struct fdgram){from, F.path_max + 28, NULL};
	return false;
}

static int f_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	int from = (int)(intptr_t)arg;
	(void)dst;
	cr_assert(F.tail - F.head < FQ);
	if (from == 0 && b->data[20] == RXD_PKT_DATA && F.data_err && F.data_tries++ >= F.data_ok) {
		test_io_buf_drop(&F.pool, b);
		return F.data_err;
	}
	F.sent[b->data[20] & 15]++; /* byte 20 of the wire header is the packet type */
	if (!f_path(from, b, len, flags)) {
		test_io_buf_drop(&F.pool, b);
		return 0;
	}
	F.q[F.tail++ % FQ] = (struct fdgram){1 - from, len, b};
	return 0;
}

static void f_run(uint64_t limit)
{
	for (int steps = 0; steps < 1000000; steps++) {
		if (F.head != F.tail) {
			struct fdgram d = F.q[F.head++ % FQ];
			F.now += 1000;
			if (!d.buf)
				rxd_local_input_error(F.eng[d.to], &F.addr[1 - d.to], -EMSGSIZE, d.len, F.now);
			else
				rxd_local_input(F.eng[d.to], &F.addr[1 - d.to], d.buf, d.buf->data, d.len, F.now);
			continue;
		}
		uint64_t t = rxd_local_next_expiry(F.eng[0]), t1 = rxd_local_next_expiry(F.eng[1]);
		if (t1 < t)
			t = t1;
		if (t == RXD_TIME_NEVER || t > limit)
			return;
		if (t > F.now)
			F.now = t;
		rxd_local_expire(F.eng[0], F.now);
		rxd_local_expire(F.eng[1], F.now);
	}
	cr_assert_fail("the wire did not settle");
}

/* The server drains requests and leaves the call to the test (F.srv_call). */
static void s_data(void *a, struct rxd_call *c)
{
	uint8_t tmp[256];
	bool eor;
	(void)a;
	if (F.srv_lazy)
		return;
	while (rxd_call_recv(c, tmp, sizeof(tmp), &eor, F.now) > 0)
		;
}
static void s_complete(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
	F.completed[1]++;
}
static int s_new_call(void *a, struct rxd_call *c)
{
	(void)a;
	if (F.new_calls < 8)
		F.srv_calls[F.new_calls] = c;
	F.new_calls++;
	F.srv_call = c;
	return 0;
}
static void c_data(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}
static void c_complete(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
	F.completed[0]++;
}
static void no_writable(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}

static const struct rxd_call_ops srv_ops = {s_new_call, s_data, no_writable, s_complete};
static const struct rxd_call_ops cli_ops = {NULL, c_data, no_writable, c_complete};

/* Engine i (1 = the server, offering service 52) with config cfg (NULL = defaults). */
static void f_engine(int i, const struct rxd_config *cfg)
{
	struct rxd_local_params p = {.config = cfg, .io = &test_io_ops, .io_ctx = &F.io[i], .seed = 7 + (uint64_t)i};
	rxd_addr_parse(i ? "198.18.0.2:7000" : "198.18.0.1:7001", 0, &F.addr[i]);
	p.addr = F.addr[i];
	test_io_init(&F.io[i], &F.pool, f_tx, (void *)(intptr_t)i);
	cr_assert_eq(rxd_local_create(&p, F.now, &F.eng[i]), 0);
	if (i == 1) {
		struct rxd_service_desc d = {.service_id = 52, .ops = &srv_ops};
		cr_assert_eq(rxd_service_register(F.eng[1], &d, NULL), 0);
	}
}

static void f_setup(void)
{
	memset(&F, 0, sizeof(F));
	f_engine(0, NULL);
	f_engine(1, NULL);
}

static void f_teardown(void)
{
	rxd_local_destroy(F.eng[0]);
	rxd_local_destroy(F.eng[1]);
	while (F.head != F.tail) {
		struct rxd_buf *b = F.q[F.head++ % FQ].buf;
		if (b)
			test_io_buf_drop(&F.pool, b);
	}
	cr_assert_eq(F.pool.st.live, 0, "%llu buffers leaked", (unsigned long long)F.pool.st.live);
}

static struct rxd_call *f_begin(uint16_t service, int64_t tx_len)
{
	struct rxd_call_params cp = {.peer = F.addr[1], .service_id = service, .ops = &cli_ops, .tx_total_len = tx_len};
	struct rxd_call *c;
	cr_assert_eq(rxd_call_begin(F.eng[0], &cp, F.now, &c), 0);
	return c;
}

TestSuite(features, .init = f_setup, .fini = f_teardown);

Test(features, tx_length_refuses_a_send_past_the_announced_length)
{
	struct rxd_call *c = f_begin(52, 10);
	cr_assert_eq(rxd_call_send(c, "0123456789A", 11, RXD_SEND_MORE, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(c, "0123", 4, RXD_SEND_MORE, F.now), 4);
	cr_assert_eq(rxd_call_send(c, "0123456", 7, RXD_SEND_MORE, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE, "a refused send leaves the call as it was");
	cr_assert_eq(rxd_call_send(c, "456789", 6, 0, F.now), 6);
	f_run(F.now + RXD_NS_PER_SEC);
	cr_assert_eq(F.new_calls, 1);
	rxd_call_abort(c, RX_USER_ABORT, F.now);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	rxd_call_end(F.srv_call, F.now);
}

Test(features, tx_length_refuses_ending_the_phase_short)
{
	struct rxd_call *c = f_begin(52, 10);
	cr_assert_eq(rxd_call_send(c, "0123", 4, 0, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(c, "0123", 4, RXD_SEND_MORE, F.now), 4);
	cr_assert_eq(rxd_call_send(c, "", 0, 0, F.now), -EMSGSIZE);
	f_run(F.now + RXD_NS_PER_SEC);
	cr_assert_eq(F.sent[RXD_PKT_DATA], 0, "the request phase never ended");
	rxd_call_abort(c, RX_USER_ABORT, F.now);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

Test(features, tx_length_zero_announces_nothing)
{
	struct rxd_call *c = f_begin(52, 0);
	cr_assert_eq(rxd_call_send(c, "0123", 4, 0, F.now), 4);
	f_run(F.now + RXD_NS_PER_SEC);
	cr_assert_eq(F.new_calls, 1);
	rxd_call_abort(c, RX_USER_ABORT, F.now);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

/* A client call whose 3-byte request the server holds whole (F.srv_call, waiting to reply). */
static struct rxd_call *request_in(void)
{
	struct rxd_call *c = f_begin(52, -1);

	cr_assert_eq(rxd_call_send(c, "req", 3, 0, F.now), 3);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1);
	cr_assert_eq(rxd_call_state(F.srv_call), RXD_CS_SERVER_ACK_REQUEST);
	return c;
}

/* The call succeeds with a reply of reply_len bytes; both sides end it. */
static void reply_done(struct rxd_call *c, size_t reply_len)
{
	f_run(F.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_SUCCEEDED, "client call %s",
		     rxd_completion_name(rxd_call_completion(c)));
	cr_assert_eq(rxd_call_rx_avail(c), reply_len);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	rxd_call_end(F.srv_call, F.now);
}

/* RXRPC_TX_LENGTH on a service call's reply (net/rxrpc/sendmsg.c): the same contract as a request's. */
Test(features, tx_length_of_a_reply_refuses_passing_it_and_ending_short)
{
	struct rxd_call *c = request_in(), *s = F.srv_call;

	cr_assert_eq(rxd_call_set_tx_length(s, 10), 0);
	cr_assert_eq(rxd_call_send(s, "0123456789A", 11, RXD_SEND_MORE, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(s, "0123", 4, 0, F.now), -EMSGSIZE, "a reply ending short of its length");
	cr_assert_eq(rxd_call_send(s, "0123", 4, RXD_SEND_MORE, F.now), 4);
	cr_assert_eq(rxd_call_send(s, "4567890", 7, 0, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(s, "456789", 6, 0, F.now), 6, "the exact length goes");
	reply_done(c, 10);
}

/* 0 is a real length (kafs' afs_send_empty_reply): only an empty final send passes. */
Test(features, tx_length_zero_set_on_a_call_is_an_empty_phase)
{
	struct rxd_call *c = request_in(), *s = F.srv_call;

	cr_assert_eq(rxd_call_set_tx_length(s, 0), 0);
	cr_assert_eq(rxd_call_send(s, "x", 1, 0, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(s, "x", 1, RXD_SEND_MORE, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(s, "", 0, 0, F.now), 0);
	reply_done(c, 0);
}

Test(features, tx_length_zero_set_on_a_client_call_is_an_empty_request)
{
	struct rxd_call *c = f_begin(52, -1);

	cr_assert_eq(rxd_call_set_tx_length(c, 0), 0);
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), -EMSGSIZE);
	cr_assert_eq(rxd_call_send(c, "", 0, 0, F.now), 0);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1);
	cr_assert_eq(rxd_call_state(F.srv_call), RXD_CS_SERVER_ACK_REQUEST, "the empty request arrived whole");
	cr_assert_eq(rxd_call_send(F.srv_call, "", 0, 0, F.now), 0);
	reply_done(c, 0);
}

/* -EINVAL as the kernel: a second announcement, one after data was queued, a negative length. */
Test(features, tx_length_is_refused_twice_after_data_and_when_negative)
{
	struct rxd_call *c = request_in(), *s = F.srv_call, *c2 = f_begin(52, 5);

	cr_assert_eq(rxd_call_set_tx_length(s, -1), -EINVAL);
	cr_assert_eq(rxd_call_set_tx_length(s, 10), 0);
	cr_assert_eq(rxd_call_set_tx_length(s, 10), -EINVAL, "announced twice");
	cr_assert_eq(rxd_call_set_tx_length(c2, 5), -EINVAL, "announced at begin and again");
	cr_assert_eq(rxd_call_send(s, "0123456789", 10, 0, F.now), 10, "the first length still holds");
	rxd_call_end(c2, F.now);
	reply_done(c, 10);

	c = f_begin(52, -1);
	cr_assert_eq(rxd_call_send(c, "ab", 2, RXD_SEND_MORE, F.now), 2);
	cr_assert_eq(rxd_call_set_tx_length(c, 2), -EINVAL, "announced after data was queued");
	cr_assert_eq(rxd_call_send(c, "cd", 2, 0, F.now), 2, "the call goes on without a length");
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 2);
	cr_assert_eq(rxd_call_state(F.srv_call), RXD_CS_SERVER_ACK_REQUEST, "the 4-byte request arrived whole");
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	rxd_call_end(F.srv_call, F.now);
}

/* A call of a service with a backlog of 2 that its application has not taken (read, sent or ended). */
static struct rxd_call *backlog_call(int *busy_before)
{
	struct rxd_call *c = f_begin(53, -1);
	*busy_before = (int)F.sent[RXD_PKT_BUSY];
	cr_assert_eq(rxd_call_send(c, "req", 3, 0, F.now), 3);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	return c;
}

Test(features, calls_beyond_an_untaken_backlog_get_busy)
{
	struct rxd_service_desc d = {.service_id = 53, .backlog = 2, .ops = &srv_ops};
	struct rxd_call *c[4];
	int busy;

	cr_assert_eq(rxd_service_register(F.eng[1], &d, NULL), 0);
	F.srv_lazy = true;
	c[0] = backlog_call(&busy);
	c[1] = backlog_call(&busy);
	cr_assert_eq(F.new_calls, 2);
	cr_assert_eq(F.sent[RXD_PKT_BUSY], 0);
	c[2] = backlog_call(&busy);
	cr_assert_eq(F.new_calls, 2, "a third untaken call was offered to the service");
	cr_assert_eq(F.sent[RXD_PKT_BUSY], (unsigned)busy + 1);
	cr_assert_eq(rxd_call_completion(c[2]), RXD_CALL_REMOTELY_ABORTED);
	cr_assert_eq(rxd_call_error(c[2]), -EBUSY);

	/* Reading the first call takes it off the backlog: the next call is offered. */
	uint8_t tmp[8];
	bool eor;
	cr_assert_eq(rxd_call_recv(F.srv_calls[0], tmp, sizeof(tmp), &eor, F.now), 3);
	c[3] = backlog_call(&busy);
	cr_assert_eq(F.new_calls, 3);
	cr_assert_eq(rxd_call_completion(c[3]), RXD_CALL_ACTIVE);
	for (int i = 0; i < 4; i++) {
		rxd_call_end(c[i], F.now);
		if (i < 3)
			rxd_call_end(F.srv_calls[i], F.now);
	}
	f_run(F.now + RXD_NS_PER_SEC);
}

Test(features, a_service_call_shows_the_client_epoch)
{
	struct rxd_call *c = f_begin(52, -1);
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), 1);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1);
	cr_assert_neq(rxd_local_epoch(F.eng[0]), rxd_local_epoch(F.eng[1]));
	cr_assert_eq(rxd_call_epoch(F.srv_call), rxd_local_epoch(F.eng[0]));
	cr_assert_eq(rxd_call_epoch(c), rxd_local_epoch(F.eng[0]));
	rxd_call_end(c, F.now);
	rxd_call_end(F.srv_call, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

Test(features, a_hard_timeout_set_later_counts_from_now)
{
	uint64_t t0 = F.now;
	struct rxd_call *c = f_begin(52, -1);
	F.srv_lazy = true; /* the call stays open: the server never replies */
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), 1);
	f_run(t0 + RXD_NS_PER_SEC);
	F.now = t0 + RXD_NS_PER_SEC;
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	struct rxd_call_timeouts t = {.hard_ms = 1000};
	rxd_call_set_timeouts(c, &t, F.now);
	f_run(t0 + 1900 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE, "the hard limit counted from the call's start");
	f_run(t0 + 2100 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(c), RX_CALL_TIMEOUT);
	rxd_call_end(c, F.now);
	rxd_call_end(F.srv_call, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

/*
 * As the kernel, rx_mtu is only advertised (ACK trailer maxMTU): a larger datagram is still taken.
 * A peer sizes its first packets before it hears our limit and an OpenAFS peer retransmits a packet
 * at the size it was built, so dropping them would stall the call for good.
 */
Test(features, datagrams_larger_than_rx_mtu_are_still_accepted)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.rx_mtu = 600;
	rxd_local_destroy(F.eng[1]);
	f_engine(1, &cfg);

	static uint8_t big[900];
	struct rxd_call *c = f_begin(52, -1);
	cr_assert_eq(rxd_call_send(c, big, sizeof(big), 0, F.now), (ssize_t)sizeof(big));
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1, "a 928-byte datagram over a 600-byte rx_mtu was dropped");
	rxd_call_end(c, F.now);
	rxd_call_end(F.srv_call, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

/* A server call holding the 10-byte request "0123456789", not read yet. */
static struct rxd_call *unread_request(struct rxd_call **cli)
{
	F.srv_lazy = true;
	*cli = f_begin(52, -1);
	cr_assert_eq(rxd_call_send(*cli, "0123456789", 10, 0, F.now), 10);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1);
	return F.srv_call;
}

static void end_both(struct rxd_call *cli, struct rxd_call *srv)
{
	rxd_call_end(cli, F.now);
	rxd_call_end(srv, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

Test(features, recv_data_reads_a_phase_that_ends_exactly)
{
	struct rxd_call *cli, *srv = unread_request(&cli);
	char buf[16];
	size_t n;

	cr_assert_eq(rxd_call_recv_data(cli, buf, 4, &n, false, F.now), -EAGAIN, "no reply yet");
	cr_assert_eq(n, 0);
	cr_assert_eq(rxd_call_recv_data(srv, buf, 4, &n, true, F.now), 0);
	cr_assert_eq(n, 4);
	cr_assert_eq(rxd_call_recv_data(srv, buf + 4, 6, &n, false, F.now), 1);
	cr_assert_eq(n, 6);
	cr_assert_arr_eq(buf, "0123456789", 10);
	cr_assert_eq(rxd_call_completion(srv), RXD_CALL_ACTIVE);
	end_both(cli, srv);
}

/* Read want bytes of the 10-byte request, wanting no more: err, and both sides see RXGEN_SS_UNMARSHAL. */
static void expect_unmarshal_abort(size_t want, int err)
{
	struct rxd_call *cli, *srv = unread_request(&cli);
	char buf[16];
	size_t n;

	cr_assert_eq(rxd_call_recv_data(srv, buf, want, &n, false, F.now), err);
	cr_assert_eq(n, want < 10 ? want : 10);
	cr_assert_eq(rxd_call_completion(srv), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(srv), RXGEN_SS_UNMARSHAL);
	cr_assert_eq(rxd_call_error(srv), err);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(rxd_call_completion(cli), RXD_CALL_REMOTELY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(cli), RXGEN_SS_UNMARSHAL);
	end_both(cli, srv);
}

Test(features, recv_data_with_more_than_wanted_is_emsgsize_and_aborts_unmarshal)
{
	expect_unmarshal_abort(4, -EMSGSIZE);
}

Test(features, recv_data_with_less_than_wanted_is_ebadmsg_and_aborts_unmarshal)
{
	expect_unmarshal_abort(16, -EBADMSG);
}

static int refuse_key(void **conn_sec, const struct rxd_sec_conn_info *ci, const void *key, uint8_t level,
		      bool is_client)
{
	(void)conn_sec;
	(void)ci;
	(void)key;
	(void)level;
	(void)is_client;
	return -EKEYEXPIRED;
}

static const struct rxd_security_class bad_key_class = {.index = 5, .name = "refuses-keys", .init_conn = refuse_key};

Test(features, a_call_whose_key_cannot_secure_a_conn_fails_at_begin)
{
	struct rxd_call_params cp = {.peer = F.addr[1], .service_id = 52, .ops = &cli_ops, .security_index = 5};
	struct rxd_call *c = NULL, *ok;

	cr_assert_eq(rxd_local_add_security(F.eng[0], &bad_key_class), 0);
	ok = f_begin(52, -1); /* a plain conn to the same peer, which must survive the failure */
	cr_assert_eq(rxd_call_begin(F.eng[0], &cp, F.now, &c), -EKEYEXPIRED);
	cr_assert_null(c);
	cr_assert_eq(rxd_call_send(ok, "x", 1, 0, F.now), 1);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 1);
	/* The failed conn was unlinked without losing the peer's other conns: a second call reuses ok's. */
	struct rxd_call *again = f_begin(52, -1);
	cr_assert_eq(rxd_call_cid(again) & ~3u, rxd_call_cid(ok) & ~3u);
	rxd_call_end(again, F.now);
	rxd_call_end(ok, F.now);
	rxd_call_end(F.srv_call, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
}

/* How many conns the first n calls are on (each call must have one). */
static unsigned distinct_conns(struct rxd_call *const *c, int n)
{
	uint32_t conns[32];
	unsigned nconns = 0;

	for (int i = 0; i < n; i++) {
		uint32_t id = rxd_call_cid(c[i]) >> 2;
		unsigned k = 0;
		cr_assert_neq(id, 0);
		while (k < nconns && conns[k] != id)
			k++;
		if (k == nconns)
			conns[nconns++] = id;
	}
	return nconns;
}

Test(features, client_conns_per_bundle_are_capped_at_four_as_the_kernel)
{
	struct rxd_call *c[17], *other;
	unsigned nconns;

	F.srv_lazy = true; /* every call stays open */
	for (int i = 0; i < 17; i++) {
		c[i] = f_begin(52, -1);
		cr_assert_eq(rxd_call_send(c[i], "x", 1, 0, F.now), 1);
	}
	nconns = distinct_conns(c, 16);
	cr_assert_eq(nconns, 4, "16 calls on %u conns", nconns);
	cr_assert_eq(rxd_call_state(c[16]), RXD_CS_CLIENT_AWAIT_CONN, "a fifth conn was opened");
	cr_assert_eq(rxd_call_cid(c[16]), 0);

	/* Another service is another bundle: not held up behind the waiting call. */
	struct rxd_service_desc d = {.service_id = 54, .ops = &srv_ops};
	cr_assert_eq(rxd_service_register(F.eng[1], &d, NULL), 0);
	other = f_begin(54, -1);
	cr_assert_neq(rxd_call_cid(other), 0);
	cr_assert_eq(rxd_call_send(other, "y", 1, 0, F.now), 1);

	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 17);
	/* A freed channel goes to the waiting call. */
	uint32_t freed = rxd_call_cid(c[0]);
	rxd_call_end(c[0], F.now);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_neq(rxd_call_state(c[16]), RXD_CS_CLIENT_AWAIT_CONN);
	cr_assert_eq(rxd_call_cid(c[16]), freed, "the waiting call did not take the freed channel");
	cr_assert_eq(F.new_calls, 18);
	for (int i = 1; i < 17; i++)
		rxd_call_end(c[i], F.now);
	rxd_call_end(other, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	for (int i = 0; i < 8; i++)
		rxd_call_end(F.srv_calls[i], F.now);
}

Test(features, the_bundle_cap_is_the_configs_bundle_conns)
{
	struct rxd_config cfg;
	struct rxd_call *c[9];
	unsigned nconns;

	rxd_config_default(&cfg);
	cr_assert_eq(cfg.bundle_conns, 4, "the kernel's 4 by default");
	cr_assert_eq(rxd_config_set(&cfg, "bundle_conns", "2", NULL, 0), 0);
	rxd_local_destroy(F.eng[0]);
	f_engine(0, &cfg);
	F.srv_lazy = true;
	for (int i = 0; i < 9; i++) {
		c[i] = f_begin(52, -1);
		cr_assert_eq(rxd_call_send(c[i], "x", 1, 0, F.now), 1);
	}
	nconns = distinct_conns(c, 8);
	cr_assert_eq(nconns, 2, "8 calls on %u conns", nconns);
	cr_assert_eq(rxd_call_state(c[8]), RXD_CS_CLIENT_AWAIT_CONN, "a third conn was opened");
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 8);
	rxd_call_end(c[0], F.now);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	cr_assert_eq(F.new_calls, 9, "the waiting call took the freed channel");
	for (int i = 1; i < 9; i++)
		rxd_call_end(c[i], F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	for (int i = 0; i < 8; i++)
		rxd_call_end(F.srv_calls[i], F.now);
	rxd_call_end(F.srv_call, F.now);
}

/* ------------------------------------------------------------------ DATA the shell cannot send */

/*
 * net/rxrpc/output.c rxrpc_send_data_packet(): a call whose first DATA the
 * UDP socket refuses completes LOCAL_ERROR (RX_USER_ABORT, the send's error)
 * at once instead of timing out; nothing of it stays armed and no ABORT goes.
 */
Test(features, a_refused_first_data_send_ends_the_call_local_error)
{
	struct rxd_call *c = f_begin(52, -1);

	F.data_err = -EAFNOSUPPORT;
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), 1, "the bytes were queued, as the kernel's sendmsg");
	cr_assert_eq(F.completed[0], 1, "the application is told at once");
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCAL_ERROR);
	cr_assert_eq(rxd_call_error(c), -EAFNOSUPPORT);
	cr_assert_eq(rxd_call_abort_code(c), RX_USER_ABORT);
	/* Past the keepalive, the expect-rx timeout and several RTOs, the call not ended yet. */
	f_run(F.now + 30 * RXD_NS_PER_SEC);
	cr_assert_eq(F.data_tries, 1, "the failed call retransmitted");
	cr_assert_eq(F.sent[RXD_PKT_ACK] + F.sent[RXD_PKT_ABORT], 0, "the failed call sent a PING or ABORT");
	cr_assert_eq(F.completed[0], 1);
	cr_assert_eq(rxd_call_error(c), -EAFNOSUPPORT);
	rxd_call_end(c, F.now);
	cr_assert_eq(rxd_local_counts(F.eng[0]).calls, 0);
	cr_assert_eq(F.new_calls, 0);
}

/* A send error after the call's DATA went out once is left to retransmission (the kernel's rule). */
Test(features, a_refused_later_data_send_is_retransmitted)
{
	static const uint8_t req[20000];
	struct rxd_call *c = f_begin(52, -1);
	struct rxd_stats st = {0};

	F.data_err = -ENOBUFS;
	F.data_ok = 1;
	cr_assert_eq(rxd_call_send(c, req, sizeof(req), 0, F.now), (ssize_t)sizeof(req));
	cr_assert_gt(F.data_tries, 1, "the later packets were refused");
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	f_run(F.now + 50 * RXD_NS_PER_MS);
	F.data_err = 0;
	f_run(F.now + 5 * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	cr_assert_eq(rxd_call_state(c), RXD_CS_CLIENT_AWAIT_REPLY, "the request was not all acknowledged");
	cr_assert_eq(rxd_call_state(F.srv_call), RXD_CS_SERVER_ACK_REQUEST, "the server holds the whole request");
	rxd_local_stats_add(F.eng[0], &st);
	cr_assert_gt(st.tx_data_retrans, 0);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	rxd_call_end(F.srv_call, F.now);
}

/* Lending packets queues a full one first: if that is the call's first DATA and it fails, nothing is lent. */
Test(features, send_space_on_a_call_whose_first_data_fails_lends_nothing)
{
	static const uint8_t full[RXD_JUMBO_DATALEN];
	struct rxd_call *c = f_begin(52, -1);
	struct rxd_txpkt p[2];

	F.data_err = -EAFNOSUPPORT;
	cr_assert_eq(rxd_call_send(c, full, sizeof(full), RXD_SEND_MORE, F.now), (ssize_t)sizeof(full));
	cr_assert_eq(F.data_tries, 0, "a full packet waits for more data");
	cr_assert_eq(rxd_call_send_space(c, p, 2, F.now), -ECONNABORTED);
	cr_assert_eq(F.data_tries, 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCAL_ERROR);
	rxd_call_end(c, F.now);
}

/* A routing error ends the call whenever it comes (rxrpc_send_data_packet: it will not go away). */
Test(features, a_routing_error_on_a_later_data_send_ends_the_call)
{
	static const uint8_t req[20000];
	struct rxd_call *c = f_begin(52, -1);

	F.data_err = -ENETUNREACH;
	F.data_ok = 1;
	cr_assert_eq(rxd_call_send(c, req, sizeof(req), 0, F.now), (ssize_t)sizeof(req));
	cr_assert_eq(F.data_tries, 2, "DATA went on after the call failed");
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCAL_ERROR);
	cr_assert_eq(rxd_call_error(c), -ENETUNREACH);
	cr_assert_eq(F.completed[0], 1);
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	if (F.srv_call)
		rxd_call_end(F.srv_call, F.now);
}

/*
 * Errors that end nothing even on the first DATA: -EMSGSIZE (the kernel counts
 * the packet as sent and PMTUD deals with the size) and -ENOBUFS (rxd's choice:
 * a frame pool momentarily empty under load is left to retransmission).
 */
static void first_send_error_is_retransmitted(int err)
{
	struct rxd_call *c = f_begin(52, -1);

	F.data_err = err;
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), 1);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	F.data_err = 0;
	f_run(F.now + 5 * RXD_NS_PER_SEC);
	cr_assert_eq(F.new_calls, 1, "the retransmission reached the server");
	rxd_call_end(c, F.now);
	f_run(F.now + RXD_NS_PER_SEC);
	rxd_call_end(F.srv_call, F.now);
}

Test(features, a_first_data_send_too_big_for_the_interface_does_not_end_the_call)
{
	first_send_error_is_retransmitted(-EMSGSIZE);
}

Test(features, a_first_data_send_without_buffers_does_not_end_the_call)
{
	first_send_error_is_retransmitted(-ENOBUFS);
}

/*
 * A call waiting for a conn whose conn then cannot be set up completes
 * LOCAL_ERROR with the class's error (net/rxrpc/conn_client.c: the channel
 * wait failed): here the only conn the shard may have is busy when the call
 * begins, and the security class refuses the key once one comes free.
 */
Test(features, a_call_whose_conn_cannot_be_set_up_after_waiting_ends_local_error)
{
	struct rxd_call_params cp = {.peer = F.addr[1], .service_id = 52, .ops = &cli_ops, .security_index = 5};
	struct rxd_config cfg;
	struct rxd_call *busy, *c = NULL;

	rxd_config_default(&cfg);
	cfg.max_conns = 1;
	cfg.client_conn_expiry_s = 1;
	rxd_local_destroy(F.eng[0]);
	f_engine(0, &cfg);
	cr_assert_eq(rxd_local_add_security(F.eng[0], &bad_key_class), 0);
	busy = f_begin(52, -1);
	cp.timeouts.expect_rx_ms = 3600000; /* the wait outlasts the conn's expiry */
	cr_assert_eq(rxd_call_begin(F.eng[0], &cp, F.now, &c), 0);
	cr_assert_eq(rxd_call_state(c), RXD_CS_CLIENT_AWAIT_CONN, "the call waits for the only conn");
	cr_assert_eq(rxd_call_send(busy, "x", 1, 0, F.now), 1);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	rxd_call_end(busy, F.now);
	rxd_call_end(F.srv_call, F.now);
	cr_assert_eq(rxd_call_state(c), RXD_CS_CLIENT_AWAIT_CONN, "the conn is still held by the ended call");
	f_run(F.now + 10 * RXD_NS_PER_SEC);
	cr_assert_eq(F.completed[0], 1, "the waiting call was told");
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCAL_ERROR);
	cr_assert_eq(rxd_call_error(c), -EKEYEXPIRED);
	rxd_call_end(c, F.now);
	cr_assert_eq(rxd_local_counts(F.eng[0]).calls, 0);
}

/* Destroying a shard completes its live calls LOCAL_ERROR (RX_CALL_DEAD, -ESHUTDOWN), the application told. */
static int destroyed_completion = -1, destroyed_error, destroyed_abort;
static void record_complete(void *a, struct rxd_call *c)
{
	(void)a;
	destroyed_completion = rxd_call_completion(c);
	destroyed_error = rxd_call_error(c);
	destroyed_abort = rxd_call_abort_code(c);
}
static const struct rxd_call_ops record_ops = {NULL, c_data, no_writable, record_complete};

Test(features, calls_live_at_destroy_end_local_error_and_the_application_is_told)
{
	struct rxd_call_params cp = {.peer = F.addr[1], .service_id = 52, .ops = &record_ops};
	struct rxd_call *c;

	cr_assert_eq(rxd_call_begin(F.eng[0], &cp, F.now, &c), 0);
	cr_assert_eq(rxd_call_send(c, "x", 1, 0, F.now), 1);
	f_run(F.now + 100 * RXD_NS_PER_MS);
	rxd_local_destroy(F.eng[0]);
	F.eng[0] = NULL;
	cr_assert_eq(destroyed_completion, RXD_CALL_LOCAL_ERROR);
	cr_assert_eq(destroyed_error, -ESHUTDOWN);
	cr_assert_eq(destroyed_abort, RX_CALL_DEAD);
	rxd_call_end(F.srv_call, F.now);
}

/* ------------------------------------------------------------------ path-MTU discovery */

/* Both engines on 9000-byte interfaces, PMTUD on or off, searching again reprobe_s after a search ends. */
static void pmtud_engines(uint32_t pmtud, uint32_t reprobe_s)
{
	struct rxd_config cfg;

	rxd_config_default(&cfg);
	cfg.if_mtu = 9000;
	cfg.pmtud = pmtud;
	if (reprobe_s)
		cfg.pmtud_reprobe_s = reprobe_s;
	rxd_local_destroy(F.eng[0]);
	rxd_local_destroy(F.eng[1]);
	f_engine(0, &cfg);
	f_engine(1, &cfg);
}

/* The client sends `calls` 512 KiB requests the server drains; F.data_max: the last one's largest DATA. */
static void pmtud_calls(int calls)
{
	static uint8_t req[512 * 1024];

	for (int i = 0; i < calls; i++) {
		F.data_max = 0;
		F.new_calls = 0;
		struct rxd_call *c = f_begin(52, -1);
		cr_assert_eq(rxd_call_send(c, req, sizeof(req), 0, F.now), (ssize_t)sizeof(req));
		f_run(F.now + 10 * RXD_NS_PER_SEC);
		cr_assert_eq(F.new_calls, 1);
		rxd_call_end(c, F.now);
		rxd_call_end(F.srv_call, F.now);
		f_run(F.now + RXD_NS_PER_SEC);
	}
}

/* `calls` requests over a path of path_max bytes of UDP payload (0 = any size). */
static void pmtud_transfer(uint32_t path_max, int calls)
{
	pmtud_engines(1, 0);
	F.path_max = path_max;
	pmtud_calls(calls);
}

static struct rxd_stats client_stats(void)
{
	struct rxd_stats st = {0};
	rxd_local_stats_add(F.eng[0], &st);
	return st;
}

/* Probes are PING ACKs (REQUEST_ACK, DF) whose zero padding after the trailer makes them the trial size. */
static void assert_probes_well_formed(void)
{
	cr_assert_gt(F.nprobes, 0);
	for (unsigned i = 0; i < F.nprobes; i++)
		cr_assert(F.probe_df_reqack[i], "probe %u (%u bytes) lacks DF or REQUEST_ACK", i, F.probe_len[i]);
}

/* The largest probe that fitted the path: what the search proved. */
static uint32_t largest_probe_within(uint32_t limit)
{
	uint32_t m = 0;
	for (unsigned i = 0; i < F.nprobes; i++)
		if (F.probe_len[i] <= limit && F.probe_len[i] > m)
			m = F.probe_len[i];
	return m;
}

/* net/rxrpc peer_event.c: trials are the sizes of 2, 4, 3, 6, ... subpacket jumbograms, then bisection. */
Test(features, pmtud_raises_the_path_mtu_to_the_interface_when_large_probes_pass)
{
	pmtud_transfer(0, 1);
	struct rxd_stats st = client_stats();
	assert_probes_well_formed();
	cr_assert_eq(F.probe_len[0], 1440, "first the assumed size: one full packet");
	cr_assert_eq(F.probe_len[1], 2856, "then a 2-subpacket jumbogram");
	cr_assert_eq(F.probe_len[2], 5688, "then 4 subpackets");
	cr_assert_eq(F.probe_len[3], 8520, "then 6 subpackets");
	cr_assert_eq(F.probe_len[F.nprobes - 1], 9000 - 28, "bisection ends at the interface MTU");
	cr_assert_eq(st.pmtud_probes_lost, 0);
	cr_assert_eq(st.pmtud_probes_acked, F.nprobes, "every probe answered by its PING_RESPONSE");
	cr_assert_eq(F.data_max, 8520, "DATA went in 6-subpacket jumbograms once 8972 bytes were proved");
}

/* A path that silently drops DF datagrams above 4000 bytes of IP: the search settles just below it. */
Test(features, pmtud_keeps_the_path_mtu_below_a_path_that_drops_large_packets)
{
	pmtud_transfer(4000 - 28, 3);
	struct rxd_stats st = client_stats();
	assert_probes_well_formed();
	cr_assert_gt(F.path_drops, 0, "the path dropped probes");
	cr_assert_eq(F.path_drops_data, 0, "no DATA was sent above the proved size");
	cr_assert_gt(st.pmtud_probes_lost, 0);
	cr_assert_eq(largest_probe_within(3972), 3972, "the search ends at the path MTU");
	/* Every probe above the path was lost and tried twice (more if its call ended first, which is no
	 * verdict) before it counted as too big. */
	unsigned over = 0;
	for (unsigned i = 0; i < F.nprobes; i++)
		over += F.probe_len[i] > 3972;
	cr_assert_geq(over, 2 * st.pmtud_probes_lost, "%u probes over the path, %" PRIu64 " verdicts", over,
		      st.pmtud_probes_lost);
	cr_assert_eq(st.pmtud_probes_acked + over, F.nprobes);
	cr_assert_eq(F.data_max, 2856, "two subpackets fit 3972 bytes, three do not");
}

/* Below one full packet: the assumed 1440 bytes fail twice and max_data falls, new packets shrink. */
Test(features, pmtud_lowers_the_packet_size_on_a_path_below_one_full_packet)
{
	pmtud_transfer(1400 - 28, 3);
	struct rxd_stats st = client_stats();
	assert_probes_well_formed();
	cr_assert_eq(F.probe_len[0], 1440);
	cr_assert_eq(F.probe_len[1], 1440, "a lost trial is retried once");
	cr_assert_gt(st.pmtud_probes_lost, 0);
	cr_assert_eq(largest_probe_within(1372), 1372, "the search ends at the path MTU");
	cr_assert_eq(F.data_max, 1372, "the last call's packets were built to fit the 1400-byte path");
}

/*
 * ICMP frag-needed for a dropped probe bounds the search at once (net/rxrpc peer_event.c
 * rxrpc_adjust_mtu) and, since nothing that was sent became too big, resends no DATA (it
 * used to mark every packet in flight lost on any frag-needed).
 */
Test(features, pmtud_icmp_for_a_probe_bounds_the_search_and_resends_no_data)
{
	F.path_icmp = true;
	pmtud_transfer(4000 - 28, 2);
	struct rxd_stats st = client_stats();
	assert_probes_well_formed();
	cr_assert_gt(F.path_drops, 0);
	cr_assert_eq(F.path_drops_data, 0);
	cr_assert_eq(largest_probe_within(3972), 3972, "the search ends at the path MTU");
	unsigned over = 0;
	for (unsigned i = 0; i < F.nprobes; i++)
		over += F.probe_len[i] > 3972;
	cr_assert_eq(over, 1, "after the router's MTU no probe exceeds it (%u did)", over);
	cr_assert_eq(st.tx_data_retrans, 0, "a frag-needed for a probe resent DATA");
	cr_assert_eq(F.data_max, 2856);
}

/* RFC 8899 PMTU_RAISE_TIMER (pmtud_reprobe): a path that grew is found again once the timer runs out. */
Test(features, pmtud_searches_again_after_the_reprobe_interval)
{
	pmtud_engines(1, 30);
	F.path_max = 4000 - 28;
	pmtud_calls(3);
	cr_assert_eq(F.data_max, 2856);
	unsigned settled = F.nprobes;
	F.path_max = 0; /* the path now carries anything */
	pmtud_calls(1);
	cr_assert_eq(F.nprobes, settled, "no probe before the interval ran out");
	cr_assert_eq(F.data_max, 2856);
	f_run(F.now + 31 * RXD_NS_PER_SEC);
	F.now += 31 * RXD_NS_PER_SEC;
	pmtud_calls(2);
	cr_assert_gt(F.nprobes, settled);
	cr_assert_eq(F.probe_len[F.nprobes - 1], 9000 - 28, "the new search reached the interface MTU");
	cr_assert_eq(F.data_max, 8520);
}

/* pmtud 0: no probes, the interface MTU is trusted from the first ACK on (rxd before PMTUD). */
Test(features, pmtud_off_trusts_the_interface_mtu)
{
	pmtud_engines(0, 0);
	pmtud_calls(1);
	cr_assert_eq(F.nprobes, 0);
	cr_assert_eq(client_stats().pmtud_probes, 0);
	cr_assert_eq(F.data_max, 8520);
}
