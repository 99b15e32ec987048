/* SPDX-License-Identifier: MIT */
/*
 * RTT estimation, congestion control and the ACK/SACK table, pinned by
 * driving the internal modules directly and by feeding hand-made packets to
 * a server engine and decoding the ACKs it sends.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "test_io.h"

#define MS RXD_NS_PER_MS

/* ------------------------------------------------------------------ rtt */

Test(rtt, first_sample_sets_srtt_and_half_rttvar)
{
	struct rxd_rtt r;
	rxd_rtt_init(&r, 1000 * MS);
	cr_assert_eq(rxd_rto(&r, 0), 1000 * MS, "initial RTO is resend_timeout");
	cr_assert_eq(rxd_rtt_srtt_ns(&r), 0);
	rxd_rtt_sample(&r, 40 * MS);
	cr_assert_eq(rxd_rtt_srtt_ns(&r), 40 * MS);
	/* RTO = srtt + rttvar(=rtt/2 -> 4*var = 2*rtt... kernel: srtt + rttvar) + 100 ms */
	uint64_t rto = rxd_rto(&r, 0);
	cr_assert(rto >= 40 * MS + 100 * MS && rto <= 40 * MS + 80 * MS + 100 * MS, "rto %lu", (unsigned long)rto);
}

Test(rtt, rto_has_a_200ms_floor_and_120s_cap)
{
	struct rxd_rtt r;
	rxd_rtt_init(&r, 1000 * MS);
	rxd_rtt_sample(&r, 10000); /* 10 us */
	cr_assert_eq(rxd_rto(&r, 0), 200 * MS);
	rxd_rtt_init(&r, 1000 * MS);
	rxd_rtt_sample(&r, 100ull * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_rto(&r, 0), 120ull * RXD_NS_PER_SEC);
}

Test(rtt, backoff_doubles_up_to_the_cap)
{
	struct rxd_rtt r;
	rxd_rtt_init(&r, 1000 * MS);
	rxd_rtt_sample(&r, 10000);
	cr_assert_eq(rxd_rto(&r, 1), 400 * MS);
	cr_assert_eq(rxd_rto(&r, 2), 800 * MS);
	cr_assert_eq(rxd_rto(&r, 16), 120ull * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_rto(&r, 0), 200 * MS, "the estimate itself carries no backoff");
}

Test(rtt, smoothing_follows_rfc6298_gains)
{
	struct rxd_rtt r;
	rxd_rtt_init(&r, 1000 * MS);
	rxd_rtt_sample(&r, 80 * MS);
	rxd_rtt_sample(&r, 160 * MS);
	/* srtt = 7/8 * 80 + 1/8 * 160 = 90 ms */
	cr_assert_eq(rxd_rtt_srtt_ns(&r), 90 * MS);
	cr_assert_eq(r.min_rtt_ns, 80 * MS);
}

/* ------------------------------------------------------------------ congestion control */

static struct rxd_local *mk_local(void);

Test(cc, slow_start_grows_by_packets_acked_then_avoidance_by_one_per_window)
{
	struct rxd_cc c;
	rxd_cc_init(&c, 16, 128);
	cr_assert_eq(c.cwnd, 4, "initial cwnd 4");
	rxd_cc_on_ack(&c, 4, 0, 128);
	cr_assert_eq(c.cwnd, 8);
	rxd_cc_on_ack(&c, 8, 0, 128);
	cr_assert_eq(c.cwnd, 16);
	/* at ssthresh: +1 per cwnd packets acked */
	rxd_cc_on_ack(&c, 15, 0, 128);
	cr_assert_eq(c.cwnd, 16);
	rxd_cc_on_ack(&c, 1, 0, 128);
	cr_assert_eq(c.cwnd, 17);
}

Test(cc, loss_halves_once_per_episode_and_rto_collapses_to_one)
{
	struct rxd_local *l = mk_local();
	struct rxd_peer p;
	struct rxd_call c;
	memset(&p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	c.local = l;
	c.peer = &p;
	rxd_cc_init(&c.cc, 128, 128);
	c.cc.cwnd = 40;
	c.tx.in_flight = 40;
	c.tx.sent_top = 100;
	rxd_call_on_loss(&c, false);
	cr_assert_eq(c.cc.ssthresh, 20);
	cr_assert_eq(c.cc.cwnd, 20);
	cr_assert(c.cc.in_recovery);
	cr_assert_eq(p.ssthresh, 20, "ssthresh persists on the peer");
	cr_assert_eq(l->stats.fast_retrans, 1);
	rxd_call_on_loss(&c, false);
	cr_assert_eq(c.cc.cwnd, 20, "a second loss in the same episode does not halve again");
	cr_assert_eq(l->stats.fast_retrans, 1);
	rxd_cc_on_ack(&c.cc, 1, 100, 128);
	cr_assert(!c.cc.in_recovery, "recovery ends when the episode's data is acked");
	c.cc.cwnd = 30;
	rxd_call_on_loss(&c, true);
	cr_assert_eq(c.cc.cwnd, 1);
	cr_assert_eq(c.cc.ssthresh, 15);
	cr_assert_eq(p.ssthresh, 15);
	rxd_local_destroy(l);
}

Test(cc, cwnd_is_capped_by_tx_window_max)
{
	struct rxd_cc c;
	rxd_cc_init(&c, 1000, 128);
	cr_assert_eq(c.ssthresh, 128, "ssthresh is capped too");
	for (int i = 0; i < 100; i++)
		rxd_cc_on_ack(&c, 10, 0, 128);
	cr_assert_eq(c.cwnd, 128);
}

/* ------------------------------------------------------------------ SACK table on the wire */

/* The engine's transmit capture: the last datagram it sent. */
static struct test_io_pool pool;
static struct test_io tio;

static struct rxd_local *mk_local(void)
{
	struct rxd_local_params p = {0};
	struct rxd_local *l;
	rxd_addr_parse("198.18.0.2:7000", 0, &p.addr);
	test_io_init(&tio, &pool, NULL, NULL);
	p.io = &test_io_ops;
	p.io_ctx = &tio;
	cr_assert(rxd_local_create(&p, 0, &l) == 0);
	return l;
}

static void noop_data(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}
static void end_on_complete(void *a, struct rxd_call *c)
{
	(void)a;
	rxd_call_end(c, 0);
}
static const struct rxd_call_ops sink_ops = {NULL, noop_data, NULL, end_on_complete};

/* A DATA packet from 198.18.0.1:7001 on (cid, call), paylen bytes of seq's value. */
static void feed_dgram(struct rxd_local *l, uint32_t cid, uint32_t call, uint32_t seq, uint32_t serial, uint8_t flags,
		       size_t paylen, uint64_t now)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + 100];
	struct rxd_hdr h = {.epoch = 0x80000001u,
			    .cid = cid,
			    .call_number = call,
			    .seq = seq,
			    .serial = serial,
			    .type = RXD_PKT_DATA,
			    .flags = (uint8_t)(RXD_F_CLIENT_INITIATED | flags),
			    .service_id = 9};
	struct rxd_addr from;
	rxd_addr_parse("198.18.0.1:7001", 0, &from);
	rxd_hdr_encode(pkt, &h);
	memset(pkt + RXD_WIRE_HDR_LEN, (int)seq, paylen);
	rxd_local_input(l, &from, NULL, pkt, RXD_WIRE_HDR_LEN + paylen, now);
}

static void feed_data(struct rxd_local *l, uint32_t seq, uint32_t serial, uint8_t flags, uint64_t now)
{
	feed_dgram(l, 0x400, 1, seq, serial, flags, 100, now);
}

static void decode_last_ack(struct rxd_pkt *p)
{
	enum rxd_reason why;
	int32_t code;
	cr_assert_eq(rxd_pkt_parse(tio.last->data, tio.last_len, 0, p, &why, &code), RXD_V_ACCEPT);
	cr_assert_eq(p->hdr.type, RXD_PKT_ACK);
}

Test(sack, out_of_order_data_is_acked_at_once_with_nacks_for_the_hole)
{
	struct rxd_local *l = mk_local();
	struct rxd_service_desc d = {.service_id = 9, .ops = &sink_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	struct rxd_pkt p;

	feed_data(l, 1, 1, 0, 1000);
	uint64_t before = pool.st.sent;
	feed_data(l, 4, 2, 0, 2000);
	cr_assert_eq(pool.st.sent, before + 1, "out-of-sequence DATA is ACKed immediately");
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_OUT_OF_SEQUENCE);
	cr_assert_eq(p.u.ack.serial, 2, "the ACK names the serial that prompted it");
	/* packet 1 arrived in order: hard-ACKed though not consumed (firstPacket 2, the kernel's
	 * ackr_window), its room taken from rwind; the table covers 2..4 */
	cr_assert_eq(p.u.ack.first_packet, 2);
	cr_assert_eq(p.u.ack.previous_packet, 4);
	cr_assert_eq(p.u.ack.nacks, 3);
	const uint8_t want[3] = {RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK};
	cr_assert_arr_eq(p.u.ack.acks, want, 3);
	cr_assert_eq(p.u.ack.trailer_len, 16);
	cr_assert_eq(p.u.ack.rwind, 254);
	cr_assert(p.hdr.flags & RXD_F_SLOW_START_OK);
	cr_assert_eq(p.hdr.flags & RXD_F_CLIENT_INITIATED, 0, "server-side ACK");

	feed_data(l, 4, 3, 0, 3000);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_DUPLICATE, "a duplicate is ACKed as DUPLICATE");

	feed_data(l, 2, 4, 0, 4000);
	feed_data(l, 3, 5, 0, 5000);
	decode_last_ack(&p);
	/* filling the hole sends a DELAY ACK; all four now in order, it has no table: an IDLE one (kernel) */
	cr_assert_eq(p.u.ack.reason, RXD_ACK_IDLE, "filling the hole sends an ACK at once");
	cr_assert_eq(p.u.ack.first_packet, 5);
	cr_assert_eq(p.u.ack.nacks, 0);
	cr_assert_eq(p.u.ack.rwind, 251, "four packets unconsumed");
	rxd_local_destroy(l);
}

Test(sack, request_ack_gets_a_requested_ack_and_window_is_enforced)
{
	struct rxd_local *l = mk_local();
	struct rxd_service_desc d = {.service_id = 9, .ops = &sink_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	struct rxd_pkt p;

	feed_data(l, 1, 1, RXD_F_REQUEST_ACK, 1000);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_REQUESTED);
	cr_assert_eq(p.u.ack.serial, 1);
	/* the app never consumes: packet 257 is beyond firstPacket + rwind */
	feed_data(l, 300, 2, 0, 2000);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_EXCEEDS_WINDOW);
	struct rxd_stats st = {0};
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.discards[RXD_R_DATA_BEYOND_WINDOW], 1);
	rxd_local_destroy(l);
}

/*
 * A reader that has not consumed yet does not hold the sender's window shut:
 * what arrived in order is hard-ACKed at once and the window shrinks by what
 * waits to be read (kernel output.c rxrpc_fill_out_ack).  An OpenAFS sender
 * sends only below firstPacket + min(twind <= 32, cwind) (rx.c rxi_Start): with
 * firstPacket held at what was consumed, a fileserver that consumes a
 * StoreData's packets once a file-I/O thread has written them stalled the
 * writer for every such round trip (afsio write at 0.4x OpenAFS's own server).
 */
Test(sack, in_order_data_is_hard_acked_before_it_is_consumed)
{
	struct rxd_local *l = mk_local();
	struct rxd_service_desc d = {.service_id = 9, .ops = &sink_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	struct rxd_pkt p;

	for (uint32_t seq = 1; seq <= 40; seq++)
		feed_data(l, seq, seq, seq == 40 ? RXD_F_REQUEST_ACK : 0, 1000 + seq);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_REQUESTED);
	cr_assert_eq(p.u.ack.first_packet, 41, "40 packets in order, none consumed: all hard-ACKed");
	cr_assert_eq(p.u.ack.nacks, 0);
	cr_assert_eq(p.u.ack.rwind, 255 - 40, "the unread packets come off the window");
	/* firstPacket + rwind - 1 is still the last seq taken; one past it is refused */
	feed_data(l, 255, 41, 0, 2000);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_OUT_OF_SEQUENCE, "taken, past a hole");
	cr_assert_eq(p.u.ack.previous_packet, 255);
	feed_data(l, 256, 42, 0, 3000);
	decode_last_ack(&p);
	cr_assert_eq(p.u.ack.reason, RXD_ACK_EXCEEDS_WINDOW);
	rxd_local_destroy(l);
}

Test(sack, data_after_the_last_packet_aborts_the_call)
{
	struct rxd_local *l = mk_local();
	struct rxd_service_desc d = {.service_id = 9, .ops = &sink_ops};
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	feed_data(l, 2, 1, RXD_F_LAST_PACKET, 1000);
	feed_data(l, 3, 2, 0, 2000);
	struct rxd_pkt p;
	enum rxd_reason why;
	int32_t code;
	cr_assert_eq(rxd_pkt_parse(tio.last->data, tio.last_len, 0, &p, &why, &code), RXD_V_ACCEPT);
	cr_assert_eq(p.hdr.type, RXD_PKT_ABORT);
	cr_assert_eq(p.u.abort_code, RX_PROTOCOL_ERROR);
	rxd_local_destroy(l);
}

/* ------------------------------------------------------------------ retransmission per call */

/* DATA transmissions per callNumber, from what the engine put on the wire. */
static unsigned data_by_call[64];
static uint64_t data_bytes; /* DATA bytes put on the wire */

static int count_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	struct rxd_hdr h;

	(void)arg, (void)dst, (void)flags;
	rxd_hdr_decode(b->data, &h);
	if (h.type == RXD_PKT_DATA && h.call_number < 64)
		data_by_call[h.call_number]++;
	if (h.type == RXD_PKT_DATA)
		data_bytes += len - RXD_WIRE_HDR_LEN;
	test_io_buf_drop(&pool, b);
	return 0;
}

/* Server app: a one-packet reply as soon as the request is in (at the time of the input). */
static uint64_t app_now;
static size_t reply_size = 5;

static void reply_data(void *a, struct rxd_call *c)
{
	uint8_t tmp[256];
	bool eor = false;

	(void)a;

	while (rxd_call_recv(c, tmp, sizeof(tmp), &eor, app_now) > 0)
		;
	if (eor && rxd_call_state(c) == RXD_CS_SERVER_ACK_REQUEST) {
		static const uint8_t zeros[65536];
		rxd_call_send(c, zeros, reply_size, 0, app_now);
	}
}
static const struct rxd_call_ops reply_ops = {NULL, reply_data, NULL, end_on_complete};

/* A request from 198.18.0.1:7001 on (cid, call): one packet, LAST; the app answers at `now`. */
static void feed_request(struct rxd_local *l, uint32_t cid, uint32_t call, uint32_t serial, uint64_t now)
{
	app_now = now;
	feed_dgram(l, cid, call, 1, serial, RXD_F_LAST_PACKET, 8, now);
}

static struct rxd_local *mk_counting_local(void)
{
	struct rxd_local_params p = {0};
	struct rxd_local *l;
	static const struct rxd_service_desc d = {.service_id = 9, .ops = &reply_ops};

	rxd_addr_parse("198.18.0.2:7000", 0, &p.addr);
	test_io_init(&tio, &pool, count_tx, NULL);
	p.io = &test_io_ops;
	p.io_ctx = &tio;
	cr_assert(rxd_local_create(&p, 0, &l) == 0);
	cr_assert_eq(rxd_service_register(l, &d, NULL), 0);
	memset(data_by_call, 0, sizeof(data_by_call));
	data_bytes = 0;
	reply_size = 5;
	return l;
}

static void expire_until(struct rxd_local *l, uint64_t until)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t t = rxd_local_next_expiry(l);
		if (t == RXD_TIME_NEVER || t > until)
			return;
		rxd_local_expire(l, t);
	}
	cr_assert_fail("timers did not settle");
}

/*
 * Twelve calls to one silent peer: each call backs its own RTO off.  With the
 * backoff on the peer, every call's timeout doubled it for all the others and
 * the later calls' second retransmission slid out to minutes.
 */
Test(rto, backoff_is_per_call_so_calls_to_one_peer_keep_retransmitting)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;

	for (uint32_t i = 0; i < 12; i++)
		feed_request(l, 0x400 + (i / 4) * 4 + i % 4, 1 + i, 1 + i, t0);
	for (uint32_t i = 0; i < 12; i++)
		cr_assert_eq(data_by_call[1 + i], 1, "call %u replied once", 1 + i);
	/* Initial RTO 1 s, per call 1 + 2 + 4 s: three retransmissions (or probes) by 8 s. */
	expire_until(l, t0 + 8 * RXD_NS_PER_SEC);
	for (uint32_t i = 0; i < 12; i++)
		cr_assert_geq(data_by_call[1 + i], 4, "call %u sent its reply %u times in 8 s", 1 + i,
			      data_by_call[1 + i]);
	rxd_local_destroy(l);
}

/* An ACK from the client of (cid, call): firstPacket, previousPacket, then one table byte per entry of acks. */
static void feed_ack_prev(struct rxd_local *l, uint32_t cid, uint32_t call, uint32_t serial, uint8_t reason,
			  uint32_t first, uint32_t prev, const uint8_t *acks, uint8_t n, uint64_t now)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + RXD_ACK_BODY_LEN + 256 + RXD_ACK_PAD_LEN + RXD_ACK_TRAILER_LEN];
	struct rxd_hdr h = {.epoch = 0x80000001u,
			    .cid = cid,
			    .call_number = call,
			    .serial = serial,
			    .type = RXD_PKT_ACK,
			    .flags = RXD_F_CLIENT_INITIATED,
			    .service_id = 9};
	struct rxd_ack_info a = {.first_packet = first,
				 .previous_packet = prev,
				 .reason = reason,
				 .nacks = n,
				 .acks = acks,
				 .trailer_len = 16,
				 .max_mtu = 1444,
				 .if_mtu = 1444,
				 .rwind = 32,
				 .jumbo_max = 1};
	struct rxd_addr from;
	size_t len;

	rxd_addr_parse("198.18.0.1:7001", 0, &from);
	rxd_hdr_encode(pkt, &h);
	len = rxd_ack_encode(pkt + RXD_WIRE_HDR_LEN, sizeof(pkt) - RXD_WIRE_HDR_LEN, &a);
	cr_assert_gt(len, 0);
	rxd_local_input(l, &from, NULL, pkt, RXD_WIRE_HDR_LEN + len, now);
}

/* The same, previousPacket the highest packet the table names (rxd's and the kernel's). */
static void feed_ack(struct rxd_local *l, uint32_t cid, uint32_t call, uint32_t serial, uint8_t reason, uint32_t first,
		     const uint8_t *acks, uint8_t n, uint64_t now)
{
	feed_ack_prev(l, cid, call, serial, reason, first, first + n - 1, acks, n, now);
}

/*
 * An OpenAFS client's previousPacket is the last packet it received
 * (rxi_ReceiveDataPacket sets call->rprev to every arriving seq), so it
 * goes back when a retransmission fills a hole.  The ACK saying the hole is
 * filled, and with it the whole reply held, has the same firstPacket and a
 * lower previousPacket than the one before: rxd discarded it as stale.  The
 * client, done and dallying, sends nothing more, so the call waited for an
 * RTO; under load the client had exited by then, the retransmission met a
 * closed port and the ICMP error failed a call the client had completed.
 * The kernel discards such an ACK only when previousPacket lies beyond the
 * window, a serial number (net/rxrpc/input.c rxrpc_is_ack_valid).
 */
Test(completion, ack_with_previous_packet_going_back_still_counts)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;
	const uint8_t hole[3] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK};
	const uint8_t all[3] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};
	struct rxd_addr client;
	struct rxd_stats st = {0};

	reply_size = 2 * RXD_JUMBO_DATALEN + 100; /* three packets */
	feed_request(l, 0x400, 1, 1, t0);
	cr_assert_eq(data_by_call[1], 3);
	/* packet 2 lost: the client ACKs 1 and 3 (previousPacket 3) */
	feed_ack_prev(l, 0x400, 1, 2, RXD_ACK_OUT_OF_SEQUENCE, 1, 3, hole, 3, t0 + MS);
	cr_assert_eq(rxd_local_counts(l).calls, 1);
	/* packet 2 again fills the hole: the client holds all three (previousPacket 2, the last it received) */
	feed_ack_prev(l, 0x400, 1, 3, RXD_ACK_DELAY, 1, 2, all, 3, t0 + 2 * MS);
	cr_assert_eq(rxd_local_counts(l).calls, 0, "the ACK with an older previousPacket ended the call");
	/* the client is gone: a port unreachable fails nothing */
	rxd_addr_parse("198.18.0.1:7001", 0, &client);
	rxd_local_input_error(l, &client, -ECONNREFUSED, 0, t0 + 2 * RXD_NS_PER_SEC);
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.calls_succeeded, 1);
	cr_assert_eq(st.calls_error, 0);
	rxd_local_destroy(l);
}

/*
 * A previousPacket that went back beyond the window is a serial number (old
 * OpenAFS libafs put one there): that ACK is older than the one before, and
 * its SACK table is stale.
 */
Test(completion, ack_with_a_serial_in_previous_packet_going_back_is_stale)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;
	const uint8_t hole[3] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK};
	const uint8_t all[3] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};

	reply_size = 2 * RXD_JUMBO_DATALEN + 100;
	feed_request(l, 0x400, 1, 1, t0);
	feed_ack_prev(l, 0x400, 1, 3, RXD_ACK_OUT_OF_SEQUENCE, 1, 5000, hole, 3, t0 + MS);
	feed_ack_prev(l, 0x400, 1, 2, RXD_ACK_DELAY, 1, 4000, all, 3, t0 + 2 * MS);
	cr_assert_eq(rxd_local_counts(l).calls, 1, "the older ACK was discarded");
	rxd_local_destroy(l);
}

/*
 * An OpenAFS client that holds the whole reply soft-ACKs it (LAST included)
 * and then says nothing more: the service call has succeeded.  Waiting for a
 * hard ACK aborted it with RX_CALL_DEAD 20 s later.
 */
Test(completion, reply_fully_soft_acked_ends_the_service_call_successfully)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;
	const uint8_t ack1[1] = {RXD_ACK_TYPE_ACK};
	struct rxd_stats st = {0};

	feed_request(l, 0x400, 1, 1, t0);
	cr_assert_eq(data_by_call[1], 1);
	feed_ack(l, 0x400, 1, 2, RXD_ACK_DELAY, 1, ack1, 1, t0 + RXD_NS_PER_MS);
	cr_assert_eq(rxd_local_counts(l).calls, 0, "the service call ended on the soft ACK of its whole reply");
	expire_until(l, t0 + 60 * RXD_NS_PER_SEC);
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.calls_succeeded, 1);
	cr_assert_eq(st.calls_aborted_local, 0);
	cr_assert_eq(st.tx_packets[RXD_PKT_ABORT], 0, "no ABORT for a reply the client holds");
	rxd_local_destroy(l);
}

/*
 * A client still missing the reply after our retransmission pings with no
 * progress: once that retransmission is older than an RTO it is lost, and
 * the packet goes out again at once instead of after the backed-off RTO.
 */
Test(loss, ping_without_progress_after_an_rto_retransmits_the_missing_packet)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;

	feed_request(l, 0x400, 1, 1, t0);
	expire_until(l, t0 + 2500 * MS);
	cr_assert_eq(data_by_call[1], 2, "sent, then retransmitted once by the 1 s RTO (next one at 3 s): %u",
		     data_by_call[1]);
	feed_ack(l, 0x400, 1, 2, RXD_ACK_PING, 1, NULL, 0, t0 + 2500 * MS);
	cr_assert_eq(data_by_call[1], 3, "the PING showing packet 1 still missing 1.5 s later resends it");
	/* A PING soon after that retransmission is no loss signal yet. */
	feed_ack(l, 0x400, 1, 3, RXD_ACK_PING, 1, NULL, 0, t0 + 2600 * MS);
	cr_assert_eq(data_by_call[1], 3);
	rxd_local_destroy(l);
}

/*
 * Call 1 on cid 0x400, then SRTT 1 ms, then call 2 on the same channel (ending
 * call 1): call 2's one-packet reply goes out with the SRTT known, so its tail
 * is probed by the TLP.
 */
static void second_call_with_srtt_1ms(struct rxd_local *l, uint64_t t0)
{
	struct rxd_addr from;
	struct rxd_peer *peer;

	rxd_addr_parse("198.18.0.1:7001", 0, &from);
	feed_request(l, 0x400, 1, 1, t0);
	peer = rxd_peer_lookup(l, &from, false, t0);
	cr_assert_not_null(peer);
	for (int i = 0; i < 3; i++)
		rxd_rtt_sample(&peer->rtt, 1 * MS);
	feed_request(l, 0x400, 2, 2, t0);
	cr_assert_eq(data_by_call[2], 1, "call 2's reply went out once");
}

/*
 * A kernel client at HZ=100 defers the final ACK of a reply by up to 2
 * jiffies (20 ms).  With SRTT 1 ms the tail loss probe must wait for that,
 * and then PING rather than send the LAST packet again (it was re-sent
 * 8-14 ms after the first).
 */
Test(tlp, last_packet_waits_for_a_deferred_final_ack_then_pings)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;
	const uint64_t tick = 100000; /* 100 us: above the timer wheel's 65.5 us resolution */
	struct rxd_addr from;
	uint64_t probe_at;
	struct rxd_stats st = {0};

	second_call_with_srtt_1ms(l, t0);
	rxd_addr_parse("198.18.0.1:7001", 0, &from);
	/* 20 ms, not the engine's constant: the test pins the kernel's 2 jiffies at HZ=100. */
	probe_at = t0 + 2 * rxd_rtt_srtt_ns(&rxd_peer_lookup(l, &from, false, t0)->rtt) + 20 * MS;
	expire_until(l, probe_at - tick);
	rxd_local_stats_add(l, &st);
	cr_assert_eq(data_by_call[2], 1, "the LAST packet was re-sent within the final-ACK allowance");
	cr_assert_eq(st.pings_sent, 0, "a PING went within the final-ACK allowance");
	cr_assert_eq(st.tlp_fired, 0);
	expire_until(l, probe_at + tick);
	memset(&st, 0, sizeof(st));
	rxd_local_stats_add(l, &st);
	cr_assert_eq(st.tlp_fired, 1, "the probe is due once the allowance has passed");
	cr_assert_eq(st.pings_sent, 1, "the probe is a PING");
	cr_assert_eq(data_by_call[2], 1, "the probe re-sent the LAST packet instead of pinging");
	expire_until(l, t0 + 40 * MS);
	cr_assert_eq(data_by_call[2], 1, "the LAST packet was re-sent before the RTO");
	rxd_local_destroy(l);
}

/* The ACK fields of the engine's PINGs, as the wire carries them (count_tx besides). */
static struct rxd_ack_info ping_seen[8];
static unsigned n_pings;

static int ping_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	struct rxd_pkt p;
	enum rxd_reason why;
	int32_t code;

	if (rxd_pkt_parse(b->data, len, 0, &p, &why, &code) == RXD_V_ACCEPT && p.hdr.type == RXD_PKT_ACK &&
	    p.u.ack.reason == RXD_ACK_PING && n_pings < 8) {
		cr_assert(p.hdr.flags & RXD_F_REQUEST_ACK, "a PING asks for its answer");
		ping_seen[n_pings] = p.u.ack;
		ping_seen[n_pings++].acks = NULL;
	}
	return count_tx(arg, dst, b, len, flags);
}

/*
 * An OpenAFS client applies a PING's ACK fields after it has answered it,
 * with the call lock dropped in between, to whatever call then occupies the
 * channel: a PING for a finished reply saying firstPacket 2 (one request
 * packet received) acknowledged the request packets of the client's next call
 * on the channel before they were sent, and that call stalled until the
 * server's idle timeout.  Once the reply's LAST packet is out, a PING says
 * firstPacket 1, previousPacket 0 and carries no table.
 */
Test(tlp, a_ping_after_the_reply_acknowledges_nothing)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;

	tio.tx = ping_tx;
	n_pings = 0;
	second_call_with_srtt_1ms(l, t0);
	expire_until(l, t0 + 40 * MS);
	cr_assert_geq(n_pings, 1, "the unacknowledged LAST packet is probed with a PING");
	for (unsigned i = 0; i < n_pings; i++) {
		cr_assert_eq(ping_seen[i].first_packet, 1, "PING %u says firstPacket %u", i, ping_seen[i].first_packet);
		cr_assert_eq(ping_seen[i].previous_packet, 0);
		cr_assert_eq(ping_seen[i].nacks, 0);
		cr_assert_eq(ping_seen[i].trailer_len, 16, "the trailer is the usual one");
	}
	rxd_local_destroy(l);
}

/*
 * Forty calls from one client ask for 20 KiB each at the same moment: the
 * replies together must not go out in one burst (it was 40 x a 4-packet
 * initial window, 220 KiB, into a client whose UDP buffer holds 64 KiB), but
 * spread over round trips, and no call is starved.
 */
Test(pacing, many_calls_to_one_peer_share_one_burst)
{
	struct rxd_local *l = mk_counting_local();
	const uint64_t t0 = RXD_NS_PER_SEC;

	reply_size = 20 * 1024;
	for (uint32_t i = 0; i < 40; i++)
		feed_request(l, 0x400 + (i / 4) * 4 + i % 4, 1 + i, 1 + i, t0);
	/* The bucket, plus one packet for each call that got nothing from it (no call starves). */
	cr_assert_leq(data_bytes, RXD_PEER_BURST_BYTES + 44 * RXD_JUMBO_DATALEN, "%lu DATA bytes sent at once",
		      (unsigned long)data_bytes);
	cr_assert_geq(data_bytes, RXD_PEER_BURST_BYTES / 2);
	/* No ACKs come back: the RTO (1 s) resends, but first pacing lets the initial windows out. */
	expire_until(l, t0 + 100 * MS);
	for (uint32_t i = 0; i < 40; i++)
		cr_assert_geq(data_by_call[1 + i], 1, "call %u sent nothing", 1 + i);
	rxd_local_destroy(l);
}
