/* SPDX-License-Identifier: MIT */
/*
 * The transmit queue module (lib/core/txq.c) on its own, and the shard's
 * allocator and log hooks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "test_io.h"

/* The shared test I/O; what the shard sends is dropped at once. */
static struct test_io_pool pool;
static struct test_io tio;

static int drop_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	(void)arg;
	(void)dst;
	(void)len;
	(void)flags;
	test_io_buf_drop(&pool, b);
	return 0;
}

static void use_test_io(struct rxd_local_params *p)
{
	test_io_init(&tio, &pool, drop_tx, NULL);
	p->io = &test_io_ops;
	p->io_ctx = &tio;
}

/* A counting allocator: every core allocation must come through it. */
static long mem_live, mem_calls;
static void *m_malloc(void *user, size_t size)
{
	mem_live++;
	mem_calls++;
	cr_assert_eq(user, &mem_live);
	return malloc(size);
}
static void *m_calloc(void *user, size_t n, size_t size)
{
	(void)user;
	mem_live++;
	mem_calls++;
	return calloc(n, size);
}
static void m_free(void *user, void *p)
{
	(void)user;
	mem_live--;
	free(p);
}
static const struct rxd_mem counting = {m_malloc, m_calloc, m_free, &mem_live};

static struct rxd_local *mk(const struct rxd_mem *mem)
{
	struct rxd_local_params p = {0};
	struct rxd_local *l;
	rxd_addr_parse("198.18.0.2:7000", 0, &p.addr);
	use_test_io(&p);
	p.mem = mem;
	cr_assert_eq(rxd_local_create(&p, 0, &l), 0);
	return l;
}

/* Queue n packets and mark them sent once at time 1000 + seq. */
static void fill(struct rxd_local *l, struct rxd_txq *q, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct rxd_buf *b = test_io_buf_new(&pool, 10);
		rxd_txq_add(q, b, b->data, 10, i + 1 == n ? RXD_F_LAST_PACKET : 0);
	}
	for (uint32_t s = q->sent_top + 1; s <= q->top; s++)
		rxd_txq_on_xmit(q, s, s, 1000 + s);
	rxd_txq_sent_new(q, n);
	(void)l;
}

/* The queue tests share one shard, one queue with room for 8 packets and one RACK state. */
static struct rxd_local *l;
static struct rxd_txq q;
static struct rxd_rack rack;

static void txq_setup(void)
{
	l = mk(NULL);
	memset(&q, 0, sizeof(q));
	memset(&rack, 0, sizeof(rack));
	cr_assert_eq(rxd_txq_alloc(l, &q, 8), 0);
}

static void txq_teardown(void)
{
	rxd_txq_drop_all(l, &q);
	rxd_txq_free(l, &q);
	rxd_local_destroy(l);
	cr_assert_eq(pool.st.live, 0);
}

TestSuite(txq, .init = txq_setup, .fini = txq_teardown);

Test(txq, hard_ack_frees_and_counts_only_packets_not_sacked_before)
{
	fill(l, &q, 6);
	cr_assert_eq(q.in_flight, 6);
	const uint8_t acks[] = {RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};
	cr_assert_eq(rxd_txq_sack(&q, 1, acks, 3, &rack, 0, 5000), 2);
	cr_assert_eq(q.in_flight, 4);
	cr_assert_eq(rack.seq, 3, "RACK remembers the latest delivered packet");
	cr_assert_eq(rxd_txq_hard_ack(l, &q, 4, &rack, 0, 6000), 1, "seqs 2 and 3 were delivered already");
	cr_assert_eq(q.hard_ack, 3);
	cr_assert_eq(q.in_flight, 3);
	cr_assert_eq(rxd_txq_queued(&q), 3);
	cr_assert_eq(pool.st.live, 3);
	rxd_txq_drop_all(l, &q);
	cr_assert_eq(pool.st.live, 0);
	cr_assert_eq(q.in_flight + q.nr_lost + rxd_txq_queued(&q), 0);
}

Test(txq, a_reneged_sack_marks_the_packet_lost_and_the_walk_finds_it)
{
	fill(l, &q, 4);
	const uint8_t sacked[] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_ACK};
	const uint8_t reneged[] = {RXD_ACK_TYPE_ACK, RXD_ACK_TYPE_NACK};
	rxd_txq_sack(&q, 1, sacked, 2, &rack, 0, 5000);
	cr_assert_eq(rxd_txq_sack(&q, 1, reneged, 2, &rack, 0, 5001), 0);
	cr_assert_eq(q.nr_lost, 1);
	cr_assert_eq(rxd_txq_next_lost(&q, 1), 2);
	cr_assert_eq(rxd_txq_next_lost(&q, 3), 0);
	rxd_txq_resent(&q, 2);
	cr_assert_eq(q.nr_lost, 0);
	cr_assert_eq(rxd_txq_last_unsacked(&q), 4);
}

/* The path-MTU drop used to mark packets lost without taking them out of flight, so every
 * retransmission counted twice against cwnd; RTO and PMTU now share one operation. */
Test(txq, mark_all_lost_takes_everything_out_of_flight)
{
	fill(l, &q, 5);
	const uint8_t acks[] = {RXD_ACK_TYPE_NACK, RXD_ACK_TYPE_ACK};
	rxd_txq_sack(&q, 1, acks, 2, &rack, 0, 5000);
	rxd_txq_mark_lost(&q, 1);
	rxd_txq_mark_all_lost(&q);
	cr_assert_eq(q.in_flight, 0);
	cr_assert_eq(q.nr_lost, 4, "all but the SACKed one");
	for (uint32_t s = rxd_txq_next_lost(&q, 1); s; s = rxd_txq_next_lost(&q, s + 1))
		rxd_txq_resent(&q, s);
	cr_assert_eq(q.in_flight, 4, "each resent packet is in flight once");
}

Test(txq_call, path_mtu_drop_leaves_in_flight_consistent_on_a_live_call)
{
	struct rxd_local *sh = mk(NULL);
	struct rxd_call_params cp = {0};
	static const struct rxd_call_ops ops = {0};
	struct rxd_call *c;
	static uint8_t data[20000];
	rxd_addr_parse("198.18.0.9:7000", 0, &cp.peer);
	cp.service_id = 1;
	cp.ops = &ops;
	cr_assert_eq(rxd_call_begin(sh, &cp, 1000, &c), 0);
	cr_assert_eq(rxd_call_send(c, data, sizeof(data), RXD_SEND_MORE, 1000), (ssize_t)sizeof(data));
	uint32_t sent = c->tx.in_flight;
	cr_assert(sent > 0);
	rxd_local_input_error(sh, &cp.peer, -EMSGSIZE, 1200, 2000);
	cr_assert_eq(c->tx.in_flight + c->tx.nr_lost, sent, "in flight %u + lost %u != %u", c->tx.in_flight,
		     c->tx.nr_lost, sent);
	rxd_call_end(c, 3000);
	rxd_local_destroy(sh);
	cr_assert_eq(pool.st.live, 0);
}

Test(local, every_core_allocation_goes_through_the_allocator_hook)
{
	struct rxd_local *sh = mk(&counting);
	struct rxd_call_params cp = {0};
	static const struct rxd_call_ops ops = {0};
	struct rxd_call *c;
	struct rxd_service_desc d = {.service_id = 7, .needs_charge = true, .ops = &ops};
	cr_assert_eq(rxd_service_register(sh, &d, NULL), 0);
	rxd_addr_parse("198.18.0.9:7000", 0, &cp.peer);
	cp.service_id = 1;
	cp.ops = &ops;
	cr_assert_eq(rxd_call_begin(sh, &cp, 1000, &c), 0);
	cr_assert(mem_calls >= 6, "shard, tables, pools, rings, service: %ld", mem_calls);
	rxd_call_end(c, 2000);
	rxd_local_destroy(sh);
	cr_assert_eq(mem_live, 0, "everything allocated was freed through the hook");
}

static char logged[256];
static enum rxd_log_level logged_level;
static void log_hook(void *user, enum rxd_log_level level, const char *msg)
{
	(void)user;
	logged_level = level;
	snprintf(logged, sizeof(logged), "%s", msg);
}

Test(local, the_log_hook_hears_why_create_failed)
{
	struct rxd_local_params p = {0};
	struct rxd_config cfg;
	struct rxd_local *sh;
	rxd_config_default(&cfg);
	cfg.tx_queue_max = 8; /* below tx_window_max */
	use_test_io(&p);
	p.config = &cfg;
	p.log = log_hook;
	cr_assert_eq(rxd_local_create(&p, 0, &sh), -EINVAL);
	cr_assert_eq(logged_level, RXD_LOG_ERR);
	cr_assert(strstr(logged, "tx_queue_max"), "%s", logged);
}

Test(local, the_log_hook_is_quiet_above_its_level)
{
	struct rxd_local_params p = {0};
	struct rxd_local *sh;
	struct rxd_addr peer;
	rxd_addr_parse("198.18.0.2:7000", 0, &p.addr);
	use_test_io(&p);
	p.log = log_hook;
	logged[0] = 0;
	cr_assert_eq(rxd_local_create(&p, 0, &sh), 0);
	rxd_addr_parse("198.18.0.9:7000", 0, &peer);
	rxd_peer_lookup(sh, &peer, true, 0);
	rxd_local_input_error(sh, &peer, -EHOSTUNREACH, 0, 1000);
	cr_assert_eq(logged[0], 0, "INFO is above the default NOTICE threshold");
	sh->log_level = RXD_LOG_INFO;
	rxd_local_input_error(sh, &peer, -EHOSTUNREACH, 0, 2000);
	cr_assert(strstr(logged, "198.18.0.9"), "%s", logged);
	rxd_local_destroy(sh);
}
