/* SPDX-License-Identifier: MIT */
/*
 * Every input and timer path pinned against the kernel's behaviour (Linux
 * net/rxrpc io_thread.c, input.c, conn_event.c, call_event.c, output.c):
 * one engine, hand-made packets from a peer, and every datagram the engine
 * sends captured and decoded.  Each test names the behaviour it pins.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "core/internal.h"
#include "test_io.h"

#define MS RXD_NS_PER_MS
#define SEC RXD_NS_PER_SEC
#define MAXOUT 64

/* The engine under test, its peer's address and everything it sent. */
static struct test_io_pool pool;
static struct test_io tio;
static struct rxd_addr peer_addr;
static struct {
	uint8_t b[2048];
	uint32_t len;
} out[MAXOUT];
static unsigned nout;
static int completed;

static int capture(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	(void)arg;
	(void)dst;
	(void)flags;
	if (nout < MAXOUT) {
		uint32_t n = len < sizeof(out[0].b) ? len : (uint32_t)sizeof(out[0].b);
		memcpy(out[nout].b, b->data, n);
		out[nout].len = n;
		nout++;
	}
	test_io_buf_drop(&pool, b);
	return 0;
}

static struct rxd_local *mk_local_cfg(const struct rxd_config *cfg)
{
	struct rxd_local_params p = {0};
	struct rxd_local *l;
	memset(&pool, 0, sizeof(pool));
	nout = 0;
	completed = 0;
	rxd_addr_parse("198.18.0.2:7000", 0, &p.addr);
	rxd_addr_parse("198.18.0.1:7001", 0, &peer_addr);
	test_io_init(&tio, &pool, capture, NULL);
	p.io = &test_io_ops;
	p.io_ctx = &tio;
	p.config = cfg;
	cr_assert(rxd_local_create(&p, 0, &l) == 0);
	return l;
}

static void noop_data(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}
static void on_complete(void *a, struct rxd_call *c)
{
	(void)a;
	completed++;
	rxd_call_end(c, 0);
}
static const struct rxd_call_ops sink_ops = {NULL, noop_data, NULL, on_complete};

static struct rxd_local *mk_server(const struct rxd_config *cfg)
{
	struct rxd_local *l = mk_local_cfg(cfg);
	struct rxd_service_desc d = {.service_id = 9, .ops = &sink_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	return l;
}

static void destroy(struct rxd_local *l)
{
	rxd_local_destroy(l);
	test_io_fini(&tio);
	cr_assert_eq(test_io_pool_fini(&pool), 0, "no buffer leaked");
}

/* A packet from the peer: a client packet on conn 0x400 of epoch 0x80000001 unless the header says otherwise. */
static struct rxd_hdr client_hdr(uint32_t call, uint32_t seq, uint32_t serial, uint8_t type)
{
	struct rxd_hdr h = {.epoch = 0x80000001u,
			    .cid = 0x400,
			    .call_number = call,
			    .seq = seq,
			    .serial = serial,
			    .type = type,
			    .flags = RXD_F_CLIENT_INITIATED,
			    .service_id = 9};
	return h;
}

static void feed_from(struct rxd_local *l, const struct rxd_addr *from, const struct rxd_hdr *h, const uint8_t *body,
		      size_t blen, uint64_t now)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + 1500];
	rxd_hdr_encode(pkt, h);
	if (blen)
		memcpy(pkt + RXD_WIRE_HDR_LEN, body, blen);
	rxd_local_input(l, from, NULL, pkt, RXD_WIRE_HDR_LEN + blen, now);
}

static void feed(struct rxd_local *l, const struct rxd_hdr *h, const uint8_t *body, size_t blen, uint64_t now)
{
	feed_from(l, &peer_addr, h, body, blen, now);
}

static void feed_data(struct rxd_local *l, struct rxd_hdr h, uint8_t flags, uint64_t now)
{
	uint8_t body[100];
	memset(body, (int)h.seq, sizeof(body));
	h.flags |= flags;
	feed(l, &h, body, sizeof(body), now);
}

/* An ACK body without a SACK table, with a full trailer. */
static struct rxd_ack_info ack_info(uint8_t reason, uint32_t first, uint32_t prev, uint32_t serial)
{
	struct rxd_ack_info a = {.buffer_space = 32,
				 .first_packet = first,
				 .previous_packet = prev,
				 .serial = serial,
				 .reason = reason,
				 .trailer_len = 16,
				 .max_mtu = 1444,
				 .if_mtu = 1444,
				 .rwind = 32,
				 .jumbo_max = 1};
	return a;
}

static void feed_ack_info(struct rxd_local *l, struct rxd_hdr h, const struct rxd_ack_info *a, uint64_t now)
{
	uint8_t body[128];
	size_t n = rxd_ack_encode(body, sizeof(body), a);
	cr_assert(n > 0);
	feed(l, &h, body, n, now);
}

static void feed_ack(struct rxd_local *l, struct rxd_hdr h, uint8_t reason, uint32_t first, uint32_t prev, uint64_t now)
{
	struct rxd_ack_info a = ack_info(reason, first, prev, 0);
	feed_ack_info(l, h, &a, now);
}

static void feed_abort(struct rxd_local *l, struct rxd_hdr h, int32_t code, uint64_t now)
{
	uint8_t body[4];
	h.type = RXD_PKT_ABORT;
	cr_assert_eq(rxd_abort_encode(body, sizeof(body), code), 4);
	feed(l, &h, body, 4, now);
}

/* Decode datagram i the engine sent. */
static struct rxd_pkt sent(unsigned i)
{
	struct rxd_pkt p;
	enum rxd_reason why;
	int32_t code;
	cr_assert(i < nout, "datagram %u sent (%u were)", i, nout);
	cr_assert_eq(rxd_pkt_parse(out[i].b, out[i].len, 0, &p, &why, &code), RXD_V_ACCEPT);
	return p;
}

static uint64_t discards(struct rxd_local *l, enum rxd_reason r)
{
	struct rxd_stats st = {0};
	rxd_local_stats_add(l, &st);
	return st.discards[r];
}

/* Fire the engine's timers up to limit. */
static void run_timers(struct rxd_local *l, uint64_t limit)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t t = rxd_local_next_expiry(l);
		if (t == RXD_TIME_NEVER || t > limit)
			return;
		rxd_local_expire(l, t);
	}
	cr_assert_fail("timers did not settle");
}

static unsigned count_sent(uint8_t type, unsigned from)
{
	unsigned n = 0;
	for (unsigned i = from; i < nout; i++)
		n += sent(i).hdr.type == type;
	return n;
}

/* ------------------------------------------------------------------ io_thread.c routing */

/* Kernel rxrpc_input_packet: a packet of the wrong address family is discarded without a reply. */
Test(routing, address_family_mismatch_is_discarded_silently)
{
	struct rxd_local *l = mk_server(NULL);
	struct rxd_addr v6;
	cr_assert_eq(rxd_addr_parse("[fd00::1]:7001", 0, &v6), 0);
	struct rxd_hdr h = client_hdr(1, 1, 1, RXD_PKT_DATA);
	h.flags |= RXD_F_LAST_PACKET;
	uint8_t body[8] = {0};
	feed_from(l, &v6, &h, body, sizeof(body), 1000);
	cr_assert_eq(discards(l, RXD_R_ADDR_FAMILY), 1);
	cr_assert_eq(nout, 0, "no reply");
	cr_assert_eq(rxd_local_counts(l).calls, 0);
	destroy(l);
}

/* Kernel: a packet to a client connection we do not have is rejected (rxrpc_eproto_no_client_conn). */
Test(routing, packet_for_an_unknown_client_conn_is_aborted_with_protocol_error)
{
	struct rxd_local *l = mk_server(NULL);
	struct rxd_hdr h = client_hdr(1, 1, 1, RXD_PKT_DATA);
	h.flags = RXD_F_LAST_PACKET; /* from a server: to our (absent) client side */
	feed_data(l, h, 0, 1000);
	cr_assert_eq(discards(l, RXD_R_NO_CLIENT_CONN), 1);
	cr_assert_eq(nout, 1);
	struct rxd_pkt p = sent(0);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RX_PROTOCOL_ERROR);
	cr_assert_eq(p.hdr.cid, 0x400);
	cr_assert_eq(p.hdr.call_number, 1);
	/* An ABORT is never answered with an ABORT. */
	feed_abort(l, h, 1, 2000);
	cr_assert_eq(discards(l, RXD_R_NO_CLIENT_CONN), 2);
	cr_assert_eq(nout, 1);
	destroy(l);
}

/* Kernel rxrpc_input_packet: securityIndex differing from the conn's: abort RXKADINCONSISTENCY. */
Test(routing, security_index_change_on_a_conn_aborts_with_rxkadinconsistency)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	cr_assert_eq(rxd_local_counts(l).calls, 1);
	unsigned before = nout;
	struct rxd_hdr h = client_hdr(1, 2, 2, RXD_PKT_DATA);
	h.security_index = 2;
	feed_data(l, h, 0, 2000);
	cr_assert_eq(discards(l, RXD_R_WRONG_SECURITY), 1);
	cr_assert_eq(nout, before + 1);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RXKADINCONSISTENCY);
	destroy(l);
}

/* Kernel: serviceId changing on a service conn (no upgrade): rxrpc_eproto_reupgrade, RX_PROTOCOL_ERROR. */
Test(routing, service_id_change_outside_an_upgrade_aborts_with_protocol_error)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	unsigned before = nout;
	struct rxd_hdr h = client_hdr(1, 2, 2, RXD_PKT_DATA);
	h.service_id = 10;
	feed_data(l, h, 0, 2000);
	cr_assert_eq(discards(l, RXD_R_REUPGRADE), 1);
	cr_assert_eq(nout, before + 1);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RX_PROTOCOL_ERROR);
	/* An ABORT carrying another serviceId still reaches the conn (kernel checks only non-ABORT). */
	h = client_hdr(1, 0, 3, RXD_PKT_ABORT);
	h.service_id = 10;
	feed_abort(l, h, 77, 3000);
	cr_assert_eq(completed, 1, "the ABORT ended the call");
	destroy(l);
}

/* Kernel conn_event.c rxrpc_input_conn_packet: an ABORT at callNumber 0 aborts the conn and all its calls. */
Test(routing, connection_abort_at_call_zero_aborts_every_call_and_the_conn)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	struct rxd_hdr h2 = client_hdr(1, 1, 2, RXD_PKT_DATA);
	h2.cid = 0x401;
	feed_data(l, h2, 0, 1500);
	cr_assert_eq(rxd_local_counts(l).calls, 2);
	unsigned before = nout;
	feed_abort(l, client_hdr(0, 0, 3, RXD_PKT_ABORT), 1234, 2000);
	cr_assert_eq(completed, 2, "both calls were completed");
	cr_assert_eq(nout, before, "an ABORT is not answered");
	/* The conn is dead: a new call on it is discarded, not started. */
	h2 = client_hdr(2, 1, 4, RXD_PKT_DATA);
	feed_data(l, h2, 0, 3000);
	cr_assert_eq(discards(l, RXD_R_CONN_ABORTED), 1);
	cr_assert_eq(rxd_local_counts(l).calls, 0);
	destroy(l);
}

/* The conn-level ABORT the engine sent: callNumber 0 on conn 0x400's id, with code. */
static void assert_conn_abort(unsigned i, uint32_t cid, int32_t code)
{
	struct rxd_pkt p = sent(i);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.hdr.call_number, 0, "a connection abort");
	cr_assert_eq(p.hdr.cid & ~RXD_CID_CHANNEL_MASK, cid & ~RXD_CID_CHANNEL_MASK);
	cr_assert_eq(p.u.abort_code, code);
}

/*
 * RESPONSE at callNumber 0 to an rxnull service conn: nothing was challenged;
 * the kernel's insecure class (net/rxrpc/insecure.c none_verify_response)
 * aborts the conn with RX_PROTOCOL_ERROR, ending its calls.
 */
Test(routing, response_at_call_zero_on_an_rxnull_conn_aborts_the_conn)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	unsigned before = nout;
	uint8_t body[64] = {0};
	struct rxd_hdr h = client_hdr(0, 0, 2, RXD_PKT_RESPONSE);
	feed(l, &h, body, sizeof(body), 2000);
	cr_assert_eq(discards(l, RXD_R_SECURITY), 1);
	cr_assert_eq(completed, 1, "the conn's call ended");
	cr_assert_eq(nout, before + 1, "one connection ABORT, no call ABORT");
	assert_conn_abort(before, 0x400, RX_PROTOCOL_ERROR);
	destroy(l);
}

/* ------------------------------------------------------------------ path-MTU discovery */

/* The trailer of the PING_RESPONSE the engine sends once the peer's ACKs say jumbo_max. */
static uint32_t answered_jumbo_max(struct rxd_local *l, uint32_t jumbo_max, uint32_t serial, uint64_t now)
{
	struct rxd_ack_info a = ack_info(RXD_ACK_IDLE, 1, 0, 0);
	a.jumbo_max = jumbo_max;
	feed_ack_info(l, client_hdr(1, 0, serial, RXD_PKT_ACK), &a, now);
	a.reason = RXD_ACK_PING;
	unsigned before = nout;
	feed_ack_info(l, client_hdr(1, 0, serial + 1, RXD_PKT_ACK), &a, now);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_PING_RESPONSE);
	cr_assert_eq(p.u.ack.trailer_len, 16);
	return p.u.ack.jumbo_max;
}

/*
 * net/rxrpc input.c rxrpc_input_ack_trailer: the kernel probes a peer and sizes jumbograms by the
 * path only if the peer's trailer says jumbo_max 0; OpenAFS sends no jumbograms to a 0.  So the
 * engine says 0 only to a peer that says 0 itself, and its jumbo limit to everyone else.
 */
Test(pmtud, trailer_says_jumbo_max_0_only_to_a_peer_that_says_it)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	cr_assert_neq(answered_jumbo_max(l, 4, 2, 2000), 0, "an OpenAFS-like peer (jumbo_max 4) heard 0");
	cr_assert_eq(answered_jumbo_max(l, 0, 4, 3000), 0, "a kernel-like peer (jumbo_max 0) did not hear 0");
	cr_assert_neq(answered_jumbo_max(l, 1, 6, 4000), 0, "the peer stopped saying 0, we did not");
	destroy(l);
}

/* The serial and length of the last PMTUD probe sent since datagram from (0 = none). */
static uint32_t last_probe(unsigned from, uint32_t *len)
{
	uint32_t serial = 0;
	for (unsigned i = from; i < nout; i++)
		if (test_io_is_pmtud_probe(out[i].b, out[i].len)) {
			serial = sent(i).hdr.serial;
			*len = out[i].len;
		}
	return serial;
}

/*
 * OpenAFS ignores a PING on a call it has finished, so ACKs of another call on the conn prove
 * nothing about a probe (the kernel's io_thread.c takes any call's), and a probe whose call ended
 * unanswered is sent again at the same size, on a live call, with no verdict.
 */
Test(pmtud, a_probe_whose_call_ended_unanswered_is_resent_without_a_verdict)
{
	struct rxd_local *l = mk_server(NULL);
	struct rxd_hdr h2 = client_hdr(2, 1, 3, RXD_PKT_DATA);
	struct rxd_stats st = {0};
	uint32_t len = 0, len2 = 0;

	h2.cid = 0x401; /* call 2 on channel 1: call 1 stays */
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), RXD_F_LAST_PACKET, 1000);
	feed_ack(l, client_hdr(1, 0, 2, RXD_PKT_ACK), RXD_ACK_IDLE, 1, 0, 2000);
	uint32_t probe = last_probe(0, &len);
	cr_assert_neq(probe, 0, "the peer's first trailer made a probe go out");
	cr_assert_eq(len, 1440);
	unsigned mark = nout;
	feed_data(l, h2, RXD_F_LAST_PACKET, 3000);
	cr_assert_eq(last_probe(mark, &len2), 0, "a second probe while the first is outstanding");
	struct rxd_ack_info a = ack_info(RXD_ACK_REQUESTED, 1, 0, probe + 10);
	h2 = client_hdr(2, 0, 4, RXD_PKT_ACK);
	h2.cid = 0x401;
	mark = nout;
	feed_ack_info(l, h2, &a, 4000);
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.pmtud_probes_lost, 0, "call 2's ACK of a later serial counted against call 1's probe");
	cr_assert_eq(last_probe(mark, &len2), 0, "call 2's ACK of a later serial made call 1's probe lost");
	feed_abort(l, client_hdr(1, 0, 5, RXD_PKT_ABORT), 1, 5000);
	mark = nout;
	h2 = client_hdr(2, 0, 6, RXD_PKT_ACK);
	h2.cid = 0x401;
	a.serial = 0;
	feed_ack_info(l, h2, &a, 6000);
	uint32_t again = last_probe(mark, &len2);
	cr_assert_neq(again, 0, "the unanswered probe was not sent again once its call ended");
	cr_assert_eq(len2, 1440, "the same trial");
	cr_assert_eq(sent(nout - 1).hdr.call_number, 2);
	memset(&st, 0, sizeof(st));
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.pmtud_probes_lost + st.pmtud_probes_acked, 0, "no verdict");
	cr_assert_eq(st.pmtud_probes, 2);
	destroy(l);
}

/* ------------------------------------------------------------------ VERSION, PING */

/* Kernel rxrpc_send_version_request: a VERSION request (flag byte 0) is answered with the version string. */
Test(ping, version_request_is_answered_with_a_version_reply)
{
	struct rxd_local *l = mk_server(NULL);
	struct rxd_hdr h = client_hdr(0, 0, 0, RXD_PKT_VERSION);
	uint8_t body[1] = {0};
	feed(l, &h, body, 1, 1000);
	cr_assert_eq(nout, 1);
	struct rxd_hdr r;
	rxd_hdr_decode(out[0].b, &r);
	cr_assert_eq(r.type, RXD_PKT_VERSION);
	cr_assert_eq(r.flags & RXD_F_CLIENT_INITIATED, 0, "the reply goes to the client side");
	cr_assert(out[0].len > RXD_WIRE_HDR_LEN + 1 && out[0].b[RXD_WIRE_HDR_LEN] != 0, "a version string");
	destroy(l);
}

/* Kernel input.c rxrpc_input_ack: a PING ACK is answered at once with a PING_RESPONSE naming its serial. */
Test(ping, ping_ack_is_answered_with_a_ping_response_naming_its_serial)
{
	struct rxd_local *l = mk_server(NULL);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	unsigned before = nout;
	feed_ack(l, client_hdr(1, 0, 7, RXD_PKT_ACK), RXD_ACK_PING, 1, 0, 2000);
	struct rxd_stats st = {0};
	rxd_local_stats_add(l, &st);
	/* The first trailer from the peer also lets the engine send its first path-MTU probe after it. */
	cr_assert_eq(nout, before + 1 + st.pmtud_probes);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.hdr.type, RXD_PKT_ACK);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_PING_RESPONSE);
	cr_assert_eq(p.u.ack.serial, 7);
	destroy(l);
}

/* ------------------------------------------------------------------ ACK delays */

/* The one ACK the engine's timers send at `at` exactly: nothing goes out before. */
static struct rxd_pkt ack_sent_at(struct rxd_local *l, uint64_t at)
{
	unsigned before = nout;
	run_timers(l, at - 1);
	cr_assert_eq(nout, before, "nothing sent before %llu ns", (unsigned long long)at);
	run_timers(l, at);
	cr_assert_eq(nout, before + 1, "one datagram sent at %llu ns", (unsigned long long)at);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.hdr.type, RXD_PKT_ACK);
	return p;
}

/* req_ack_delay: a REQUEST_ACK is answered after the delay, not at once (0 = at once is pinned in test_reliability). */
Test(ack_delay, req_ack_delay_defers_the_requested_ack)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.req_ack_delay_ms = 30;
	struct rxd_local *l = mk_server(&cfg);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), RXD_F_REQUEST_ACK, 1000);
	cr_assert_eq(nout, 0, "not at once");
	struct rxd_pkt p = ack_sent_at(l, 1000 + 30 * MS);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_REQUESTED);
	cr_assert_eq(p.u.ack.serial, 1);
	destroy(l);
}

/* soft_ack_delay: one DATA packet (no RTT sample yet) is soft-ACKed after soft_ack_delay. */
Test(ack_delay, soft_ack_delay_times_the_delayed_ack_without_an_rtt_sample)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.soft_ack_delay_ms = 70;
	struct rxd_local *l = mk_server(&cfg);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	struct rxd_pkt p = ack_sent_at(l, 1000 + 70 * MS);
	/* the packet is hard-ACKed (in order): a DELAY ACK with no table goes as IDLE (kernel) */
	cr_assert_eq(p.u.ack.reason, RXD_ACK_IDLE);
	cr_assert_eq(p.u.ack.first_packet, 2);
	cr_assert_eq(p.u.ack.previous_packet, 1);
	destroy(l);
}

static struct rxd_call *consume_call;
static void remember_data(void *a, struct rxd_call *c)
{
	(void)a;
	consume_call = c;
}
static const struct rxd_call_ops remember_ops = {NULL, remember_data, NULL, on_complete};

/* idle_ack_delay: the reader draining one packet after the first ACK reopens the window after idle_ack_delay. */
Test(ack_delay, idle_ack_delay_times_the_ack_after_the_reader_drains)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.soft_ack_delay_ms = 10;
	cfg.idle_ack_delay_ms = 90;
	struct rxd_local *l = mk_local_cfg(&cfg);
	struct rxd_service_desc d = {.service_id = 9, .ops = &remember_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	consume_call = NULL;
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	struct rxd_pkt first = ack_sent_at(l, 1000 + 10 * MS);
	cr_assert_eq(first.u.ack.first_packet, 2, "the delayed ACK hard-ACKs the packet received in order");
	cr_assert_eq(first.u.ack.rwind, 254, "nothing consumed yet: the window is one short");
	cr_assert_not_null(consume_call);
	uint8_t buf[200];
	bool eor;
	uint64_t t = 1000 + 20 * MS;
	cr_assert_eq(rxd_call_recv(consume_call, buf, sizeof(buf), &eor, t), 100);
	cr_assert_eq(nout, 1, "one packet drained: not at once");
	struct rxd_pkt p = ack_sent_at(l, t + 90 * MS);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_IDLE);
	cr_assert_eq(p.u.ack.first_packet, 2);
	cr_assert_eq(p.u.ack.rwind, 255, "the drained packet's room is back in the window");
	destroy(l);
}

/* ------------------------------------------------------------------ call timers */

/* The server call is aborted by a timer at `at` exactly with one ABORT carrying RX_CALL_TIMEOUT. */
static void assert_timed_out_at(struct rxd_local *l, uint64_t at)
{
	run_timers(l, at - 1);
	cr_assert_eq(completed, 0, "alive before %llu ns", (unsigned long long)at);
	run_timers(l, at);
	cr_assert_eq(completed, 1, "ended at %llu ns", (unsigned long long)at);
	cr_assert_eq(count_sent(RXD_PKT_ABORT, 0), 1);
	struct rxd_pkt p = sent(nout - 1);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RX_CALL_TIMEOUT);
}

/* Kernel call "idle" timeout (request gap): a server call whose request stalls is aborted RX_CALL_TIMEOUT. */
Test(timers, request_gap_timeout_aborts_a_stalled_request)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.idle_request_timeout_ms = 2000;
	struct rxd_local *l = mk_server(&cfg);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, 1000);
	assert_timed_out_at(l, 1000 + 2000 * MS);
	destroy(l);
}

/* max_call_lifetime (kernel "hard" timeout): the call is aborted RX_CALL_TIMEOUT however busy it is. */
Test(timers, max_call_lifetime_aborts_a_live_call)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.max_call_lifetime_s = 3;
	struct rxd_local *l = mk_server(&cfg);
	uint64_t t = 1000;
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), 0, t);
	/* The client keeps the request flowing, so only the hard limit can end it. */
	for (uint32_t s = 2; s <= 5; s++) {
		t += 500 * MS;
		run_timers(l, t);
		feed_data(l, client_hdr(1, s, s, RXD_PKT_DATA), 0, t);
	}
	assert_timed_out_at(l, 1000 + 3 * SEC);
	destroy(l);
}

/* ------------------------------------------------------------------ channel cache */

static int abort_new_call(void *a, struct rxd_call *c)
{
	(void)a;
	rxd_call_abort(c, 4242, 0);
	return 1;
}
static const struct rxd_call_ops aborting_ops = {abort_new_call, noop_data, NULL, on_complete};

/*
 * Kernel conn_event.c rxrpc_conn_retransmit_call: a packet for the channel's
 * finished call gets the cached final packet again (the ABORT with its code)
 * until dead_call_expiry; after that it is discarded.
 */
Test(channel_cache, abort_is_resent_from_the_cache_until_dead_call_expiry)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.dead_call_expiry_s = 10;
	struct rxd_local *l = mk_local_cfg(&cfg);
	struct rxd_service_desc d = {.service_id = 9, .ops = &aborting_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), RXD_F_LAST_PACKET, 1000);
	cr_assert_eq(nout, 1);
	cr_assert_eq(sent(0).hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(sent(0).u.abort_code, 4242);
	/* The client retransmits the request: the cached ABORT answers it. */
	feed_data(l, client_hdr(1, 1, 2, RXD_PKT_DATA), RXD_F_LAST_PACKET, 2 * SEC);
	cr_assert_eq(nout, 2);
	struct rxd_pkt p = sent(1);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, 4242);
	cr_assert_eq(p.hdr.call_number, 1);
	cr_assert_eq(p.hdr.cid, 0x400);
	/* An ABORT for the finished call is never answered. */
	feed_abort(l, client_hdr(1, 0, 3, RXD_PKT_ABORT), 5, 3 * SEC);
	cr_assert_eq(nout, 2);
	/* Past dead_call_expiry the cache no longer answers. */
	run_timers(l, 12 * SEC);
	unsigned before = nout;
	uint64_t fin = discards(l, RXD_R_FINISHED_CALL);
	feed_data(l, client_hdr(1, 1, 4, RXD_PKT_DATA), RXD_F_LAST_PACKET, 12 * SEC);
	cr_assert_eq(nout, before, "nothing re-sent after dead_call_expiry");
	cr_assert(discards(l, RXD_R_FINISHED_CALL) > fin);
	destroy(l);
}

static int reply_at_once(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
	return 0;
}
static void reply_data(void *a, struct rxd_call *c)
{
	(void)a;
	uint8_t buf[256];
	bool eor = false;
	while (rxd_call_recv(c, buf, sizeof(buf), &eor, 0) > 0)
		;
	if (eor)
		cr_assert_eq(rxd_call_send(c, "ok", 2, 0, 0), 2, "state %s", rxd_call_state_name(rxd_call_state(c)));
}
static const struct rxd_call_ops reply_ops = {reply_at_once, reply_data, NULL, on_complete};

/*
 * Service side of final-ACK regeneration: after the client's final ACK ended
 * the call, a retransmitted reply-ACK PING on the finished call is not
 * answered (kernel: a server whose channel's last packet was an ACK ignores
 * it), and ACKALL completes a call awaiting its final ACK.
 */
Test(channel_cache, ackall_completes_a_call_awaiting_its_final_ack)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_service_desc d = {.service_id = 9, .ops = &reply_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), RXD_F_LAST_PACKET, 1000);
	unsigned datas = count_sent(RXD_PKT_DATA, 0);
	cr_assert_eq(datas, 1, "the reply went out");
	cr_assert_eq(completed, 0, "awaiting the final ACK");
	struct rxd_hdr h = client_hdr(1, 0, 2, RXD_PKT_ACKALL);
	feed(l, &h, NULL, 0, 2000);
	cr_assert_eq(completed, 1, "ACKALL acknowledged the whole reply");
	destroy(l);
}

/*
 * Service side of final-packet regeneration (kernel io_thread.c: a service
 * channel whose last call succeeded discards further packets for it): a
 * retransmitted request or a PING for the finished call gets nothing back.
 */
Test(channel_cache, service_side_discards_packets_for_a_call_that_succeeded)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_service_desc d = {.service_id = 9, .ops = &reply_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	feed_data(l, client_hdr(1, 1, 1, RXD_PKT_DATA), RXD_F_LAST_PACKET, 1000);
	/* The client's final ACK hard-ACKs the one-packet reply. */
	feed_ack(l, client_hdr(1, 0, 2, RXD_PKT_ACK), RXD_ACK_IDLE, 2, 1, 2000);
	cr_assert_eq(completed, 1);
	unsigned before = nout;
	uint64_t fin = discards(l, RXD_R_FINISHED_CALL);
	feed_data(l, client_hdr(1, 1, 3, RXD_PKT_DATA), RXD_F_LAST_PACKET | RXD_F_REQUEST_ACK, 3000);
	feed_ack(l, client_hdr(1, 0, 4, RXD_PKT_ACK), RXD_ACK_PING, 2, 1, 4000);
	cr_assert_eq(nout, before, "nothing regenerated");
	cr_assert_eq(discards(l, RXD_R_FINISHED_CALL), fin + 2);
	cr_assert_eq(rxd_local_counts(l).calls, 0, "no new call");
	destroy(l);
}

/* ------------------------------------------------------------------ client side */

static struct rxd_call *begin_call(struct rxd_local *l, bool exclusive, uint64_t now)
{
	struct rxd_call_params p = {
	    .peer = peer_addr, .service_id = 9, .exclusive = exclusive, .tx_total_len = -1, .ops = &sink_ops};
	struct rxd_call *c;
	cr_assert_eq(rxd_call_begin(l, &p, now, &c), 0);
	cr_assert_eq(rxd_call_send(c, "req", 3, 0, now), 3);
	return c;
}

/* The reply header for client call c: from the server side of c's conn. */
static struct rxd_hdr server_hdr(struct rxd_local *l, struct rxd_call *c, uint32_t seq, uint32_t serial, uint8_t type)
{
	struct rxd_hdr h = {.epoch = rxd_local_epoch(l),
			    .cid = rxd_call_cid(c),
			    .call_number = rxd_call_number(c),
			    .seq = seq,
			    .serial = serial,
			    .type = type,
			    .service_id = 9};
	return h;
}

/* Kernel: a client conn seeing a higher callNumber than its call is rxrpc_eproto_unexpected_implicit_end. */
Test(client, higher_call_number_on_a_client_channel_is_aborted_with_protocol_error)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_call *c = begin_call(l, false, 1000);
	cr_assert_eq(count_sent(RXD_PKT_DATA, 0), 1);
	unsigned before = nout;
	struct rxd_hdr h = server_hdr(l, c, 1, 1, RXD_PKT_DATA);
	h.call_number++;
	h.flags = RXD_F_LAST_PACKET;
	feed_data(l, h, 0, 2000);
	cr_assert_eq(discards(l, RXD_R_UNEXPECTED_IMPLICIT_END), 1);
	cr_assert_eq(nout, before + 1);
	struct rxd_pkt p = sent(before);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RX_PROTOCOL_ERROR);
	cr_assert_eq(rxd_call_state(c), RXD_CS_CLIENT_AWAIT_REPLY, "the real call is untouched");
	rxd_call_abort(c, 1, 3000);
	rxd_call_end(c, 3000);
	destroy(l);
}

/* RXRPC_EXCLUSIVE_CONNECTION: each exclusive call gets a conn of its own; shared calls share one. */
Test(client, exclusive_calls_get_a_connection_each)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_call *a = begin_call(l, false, 1000);
	struct rxd_call *b = begin_call(l, false, 1000);
	cr_assert_eq(rxd_call_cid(a) & ~RXD_CID_CHANNEL_MASK, rxd_call_cid(b) & ~RXD_CID_CHANNEL_MASK, "shared conn");
	cr_assert_neq(rxd_call_cid(a), rxd_call_cid(b), "on two channels");
	cr_assert_eq(rxd_local_counts(l).conns, 1);
	struct rxd_call *x = begin_call(l, true, 1000);
	struct rxd_call *y = begin_call(l, true, 1000);
	uint32_t cx = rxd_call_cid(x) & ~RXD_CID_CHANNEL_MASK, cy = rxd_call_cid(y) & ~RXD_CID_CHANNEL_MASK;
	cr_assert_neq(cx, cy);
	cr_assert_neq(cx, rxd_call_cid(a) & ~RXD_CID_CHANNEL_MASK);
	cr_assert_eq(rxd_local_counts(l).conns, 3);
	struct rxd_call *all[] = {a, b, x, y};
	for (unsigned i = 0; i < 4; i++) {
		rxd_call_abort(all[i], 1, 2000);
		rxd_call_end(all[i], 2000);
	}
	destroy(l);
}

/* Kernel call keepalive: a call that has sent nothing for expect_rx/6 sends a PING ACK. */
Test(client, call_keepalive_pings_after_expect_rx_over_six_of_silence)
{
	struct rxd_config cfg;
	rxd_config_default(&cfg);
	cfg.expect_rx_timeout_ms = 60000;
	struct rxd_local *l = mk_local_cfg(&cfg);
	struct rxd_call *c = begin_call(l, false, 1000);
	/* The server hard-ACKs the whole request: nothing is left to retransmit. */
	struct rxd_hdr h = server_hdr(l, c, 0, 1, RXD_PKT_ACK);
	feed_ack(l, h, RXD_ACK_DELAY, 2, 1, 1000 + MS);
	run_timers(l, 9 * SEC);
	unsigned before = nout;
	run_timers(l, 1000 + 10 * SEC + 10 * MS);
	unsigned pings = 0;
	for (unsigned i = before; i < nout; i++) {
		struct rxd_pkt p = sent(i);
		if (p.hdr.type == RXD_PKT_ACK && p.u.ack.reason == RXD_ACK_PING)
			pings++;
	}
	cr_assert_eq(pings, 1, "one keepalive PING at 10 s");
	cr_assert_eq(rxd_call_state(c), RXD_CS_CLIENT_AWAIT_REPLY);
	rxd_call_abort(c, 1, 11 * SEC);
	rxd_call_end(c, 11 * SEC);
	destroy(l);
}

/* CHALLENGE at callNumber 0 to an rxnull client conn: kernel none_respond_to_challenge aborts the conn. */
Test(client, challenge_at_call_zero_on_an_rxnull_conn_aborts_the_conn)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_call *c = begin_call(l, false, 1000);
	unsigned before = nout;
	struct rxd_hdr h = server_hdr(l, c, 0, 1, RXD_PKT_CHALLENGE);
	h.call_number = 0;
	uint32_t cid = rxd_call_cid(c);
	uint8_t body[64] = {0};
	struct rxd_challenge ch = {0};
	size_t n = rxd_challenge_encode(body, sizeof(body), &ch);
	cr_assert(n > 0);
	feed(l, &h, body, n, 2000);
	cr_assert_eq(discards(l, RXD_R_SECURITY), 1);
	cr_assert_eq(nout, before + 1, "no RESPONSE: one connection ABORT");
	assert_conn_abort(before, cid, RX_PROTOCOL_ERROR);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(rxd_call_abort_code(c), RX_PROTOCOL_ERROR);
	cr_assert_eq(rxd_call_error(c), -EPROTO);
	rxd_call_end(c, 3000);
	destroy(l);
}

/* NAT keepalive: a peer we hold client conns to and have not sent to for 20 s gets a VERSION request. */
Test(client, nat_keepalive_sends_a_version_request_after_20s_idle)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_call *c = begin_call(l, false, 1000);
	struct rxd_hdr h = server_hdr(l, c, 1, 1, RXD_PKT_DATA);
	h.flags = RXD_F_LAST_PACKET;
	feed_data(l, h, 0, 2000);
	cr_assert_eq(completed, 1, "the call succeeded; its conn stays cached");
	run_timers(l, 19 * SEC);
	unsigned before = nout;
	cr_assert_eq(count_sent(RXD_PKT_VERSION, 0), 0);
	run_timers(l, 21 * SEC);
	cr_assert_eq(nout, before + 1);
	struct rxd_hdr r;
	rxd_hdr_decode(out[before].b, &r);
	cr_assert_eq(r.type, RXD_PKT_VERSION);
	cr_assert(r.flags & RXD_F_CLIENT_INITIATED);
	cr_assert_eq(r.call_number, 0);
	destroy(l);
}

/*
 * The kernel_get_peer / srtt / check_life equivalents (doc/api.md): rxd_call_peer, rxd_call_srtt_ns (the
 * sample a REQUESTED ACK gives) and rxd_call_completion (ACTIVE while the call lives).
 */
Test(client, peer_srtt_and_life_accessors_report_the_call)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	struct rxd_call *c = begin_call(l, false, 1000);
	struct rxd_addr a;
	rxd_call_peer(c, &a);
	cr_assert(rxd_addr_equal(&a, &peer_addr));
	cr_assert_eq(rxd_call_srtt_ns(c), 0, "no sample yet");
	/* The request asked for an ACK (last packet); answer it 30 ms later naming its serial. */
	struct rxd_pkt d = sent(0);
	cr_assert_eq(d.hdr.type, RXD_PKT_DATA);
	struct rxd_ack_info ai = ack_info(RXD_ACK_REQUESTED, 2, 1, d.hdr.serial);
	feed_ack_info(l, server_hdr(l, c, 0, 1, RXD_PKT_ACK), &ai, 1000 + 30 * MS);
	cr_assert_eq(rxd_call_srtt_ns(c), 30 * MS);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_ACTIVE);
	rxd_call_abort(c, 1, 2 * SEC);
	cr_assert_eq(rxd_call_completion(c), RXD_CALL_LOCALLY_ABORTED, "no longer alive");
	cr_assert_eq(rxd_call_abort_code(c), 1);
	rxd_call_end(c, 2 * SEC);
	destroy(l);
}

/* ------------------------------------------------------------------ RACK and TLP (RFC 8985) */

/* A client call whose request fills four DATA packets; returns their serials. */
static struct rxd_call *begin_4_packet_call(struct rxd_local *l, uint32_t serial[5], uint64_t now)
{
	static uint8_t req[4 * 1400];
	struct rxd_call_params p = {.peer = peer_addr, .service_id = 9, .tx_total_len = -1, .ops = &sink_ops};
	struct rxd_call *c;
	cr_assert_eq(rxd_call_begin(l, &p, now, &c), 0);
	cr_assert_eq(rxd_call_send(c, req, sizeof(req), 0, now), (ssize_t)sizeof(req));
	for (unsigned i = 0; i < nout; i++) {
		struct rxd_pkt d = sent(i);
		cr_assert_eq(d.hdr.type, RXD_PKT_DATA);
		cr_assert(d.hdr.seq >= 1 && d.hdr.seq <= 4);
		serial[d.hdr.seq] = d.hdr.serial;
	}
	cr_assert_eq(nout, 4, "the initial window sends all four");
	return c;
}

static void feed_sack(struct rxd_local *l, struct rxd_call *c, const uint8_t *acks, uint8_t n, uint32_t serial,
		      uint64_t now)
{
	struct rxd_ack_info a = ack_info(RXD_ACK_REQUESTED, 1, n, serial);
	a.nacks = n;
	a.acks = acks;
	feed_ack_info(l, server_hdr(l, c, 0, 100 + (uint32_t)(now / MS), RXD_PKT_ACK), &a, now);
}

/* DATA seqs the engine sent from index `from` on. */
static unsigned data_sent(unsigned from, uint32_t *seqs, unsigned max)
{
	unsigned n = 0;
	for (unsigned i = from; i < nout; i++) {
		struct rxd_pkt p = sent(i);
		if (p.hdr.type == RXD_PKT_DATA && n < max)
			seqs[n++] = p.hdr.seq;
	}
	return n;
}

/*
 * RACK: packet 1 NACKed while 2..4, sent with it, were delivered is lost only
 * once its send time + the latest RTT + the reordering window (min_rtt / 4)
 * has passed: not on the ACK itself, but 5 ms after it for a 20 ms RTT.
 */
Test(rack, nacked_packet_is_resent_after_the_reordering_window_not_at_once)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	uint32_t ser[5];
	struct rxd_call *c = begin_4_packet_call(l, ser, MS);
	const uint8_t acks[4] = {RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};
	feed_sack(l, c, acks, 4, ser[4], 21 * MS);
	uint32_t seqs[8];
	unsigned before = nout;
	cr_assert_eq(data_sent(before, seqs, 8), 0, "reordering is allowed for: no resend on the ACK");
	run_timers(l, 26 * MS - 1);
	cr_assert_eq(data_sent(before, seqs, 8), 0, "nor before the reordering window passes");
	run_timers(l, 26 * MS);
	cr_assert_eq(data_sent(before, seqs, 8), 1, "RACK marks packet 1 lost 5 ms after the ACK");
	cr_assert_eq(seqs[0], 1);
	rxd_call_abort(c, 1, SEC);
	rxd_call_end(c, SEC);
	destroy(l);
}

/*
 * TLP: the tail (3, 4) of a flight goes unanswered after an ACK gave a 20 ms
 * RTT: a probe re-sends the last unacknowledged packet asking for an ACK,
 * after 2 x SRTT and before the RTO, and only once.
 */
/*
 * The tail is the LAST packet: the probe is a PING ACK, as the kernel does,
 * not a re-send (a peer that defers its final ACK, up to 2 jiffies at HZ=100,
 * would otherwise see the LAST packet twice).
 */
Test(tlp, unanswered_last_packet_gets_one_ping_probe_before_the_rto)
{
	struct rxd_local *l = mk_local_cfg(NULL);
	uint32_t ser[5];
	struct rxd_call *c = begin_4_packet_call(l, ser, MS);
	const uint8_t acks[2] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};
	feed_sack(l, c, acks, 2, ser[2], 21 * MS);
	cr_assert_eq(rxd_call_srtt_ns(c), 20 * MS);
	unsigned before = nout;
	uint32_t seqs[8];
	run_timers(l, 21 * MS + 40 * MS - 1);
	cr_assert_eq(data_sent(before, seqs, 8), 0, "no probe before 2 x SRTT");
	run_timers(l, 21 * MS + 199 * MS);
	cr_assert_eq(data_sent(before, seqs, 8), 0, "the LAST packet is not re-sent as the probe");
	cr_assert(nout > before, "a probe went out before the 200 ms RTO");
	struct rxd_pkt p = sent(nout - 1);
	cr_assert(p.hdr.type == RXD_PKT_ACK && p.u.ack.reason == RXD_ACK_PING, "the probe is a PING");
	struct rxd_stats st = {0};
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.tlp_fired, 1);
	rxd_call_abort(c, 1, SEC);
	rxd_call_end(c, SEC);
	destroy(l);
}
