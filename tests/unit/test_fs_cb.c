/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's callbacks (app/fileserver/cb.c) over real engines: one or
 * two "fileserver" engines each with a cb shard, and "client" engines serving
 * RXAFSCB through the generated dispatch, joined by an in-memory wire with a
 * virtual clock.  What the clients receive is what a kafs or afsio cache
 * manager would.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>

#include "afs_rpc.h"
#include "cb.h"
#include "test_io.h"

#define NENG 8
#define FQ 8192
#define MAXFIDS 4096

enum { OP_TMAY = 1, OP_ICBS3, OP_ICBS, OP_PROBE, OP_CALLBACK };

struct dgram {
	int to;
	uint32_t len;
	struct rxd_buf *buf;
	struct rxd_addr from;
};

/* A client: its RXAFSCB service and what it heard. */
struct cm {
	bool deaf; /* drop every packet to it */
	bool old;  /* no TellMeAboutYourself, no InitCallBackState3 (RXGEN_OPCODE) */
	struct rxd_afsUUID uuid;
	int ops[256]; /* every RXAFSCB call, in order */
	int nops;
	int callbacks, max_batch, nfids;
	struct rxd_AFSFid fids[MAXFIDS];
	struct rxd_afsUUID icbs3_uuid;
	struct rxd_addr last_from; /* the fileserver address of the latest call */
};

static struct {
	struct rxd_local *eng[NENG];
	struct rxd_addr addr[NENG];
	bool is_fs[NENG];
	struct cm cm[NENG];
	struct rxd_fs_cb *cb[NENG];
	struct rxd_fs_cb_group *group;
	struct test_io_pool pool;
	struct test_io io[NENG];
	struct dgram q[FQ];
	unsigned head, tail;
	uint64_t now;
	uint32_t seed;
} F;

static const struct rxd_afsUUID server_uuid = {0x12345678, 0x9abc, 0xdef0, 1, 2, {3, 4, 5, 6, 7, 8}};

static int engine_at(const struct rxd_addr *a)
{
	for (int i = 0; i < NENG; i++)
		if (F.eng[i] && rxd_addr_equal(&F.addr[i], a))
			return i;
	return -1;
}

static int w_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	int from = (int)(intptr_t)arg, to = engine_at(dst);
	(void)flags;
	if (to < 0 || F.cm[to].deaf || F.tail - F.head >= FQ) {
		test_io_buf_drop(&F.pool, b);
		return 0;
	}
	F.q[F.tail++ % FQ] = (struct dgram){to, len, b, F.addr[from]};
	return 0;
}

/* ------------------------------------------------------------------ the client's RXAFSCB service */

static struct cm *cm_of(void *ctx)
{
	return ctx;
}

static void note(struct cm *m, int op)
{
	if (m->nops < 256)
		m->ops[m->nops++] = op;
}

static int32_t h_callback(void *ctx, const struct rxd_RXAFSCB_CallBack_in *in)
{
	struct cm *m = cm_of(ctx);
	note(m, OP_CALLBACK);
	m->callbacks++;
	if ((int)in->Fids_Array.len > m->max_batch)
		m->max_batch = (int)in->Fids_Array.len;
	for (uint32_t i = 0; i < in->Fids_Array.len && m->nfids < MAXFIDS; i++)
		m->fids[m->nfids++] = in->Fids_Array.val[i];
	return 0;
}

static int32_t h_icbs3(void *ctx, const struct rxd_RXAFSCB_InitCallBackState3_in *in)
{
	struct cm *m = cm_of(ctx);
	note(m, OP_ICBS3);
	m->icbs3_uuid = in->serverUuid;
	return 0;
}

static int32_t h_icbs(void *ctx)
{
	note(cm_of(ctx), OP_ICBS);
	return 0;
}

static int32_t h_probe(void *ctx)
{
	note(cm_of(ctx), OP_PROBE);
	return 0;
}

static int32_t h_tmay(void *ctx, struct rxd_RXAFSCB_TellMeAboutYourself_out *out)
{
	struct cm *m = cm_of(ctx);
	note(m, OP_TMAY);
	out->addr.numberOfInterfaces = 1;
	out->addr.uuid = m->uuid;
	return 0;
}

static const struct rxd_RXAFSCB_handlers cm_handlers = {
    .CallBack = h_callback,
    .InitCallBackState = h_icbs,
    .Probe = h_probe,
    .InitCallBackState3 = h_icbs3,
    .TellMeAboutYourself = h_tmay,
};
static const struct rxd_RXAFSCB_handlers old_handlers = {
    .CallBack = h_callback,
    .InitCallBackState = h_icbs,
    .Probe = h_probe,
};

static int s_new_call(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
	return 0;
}

static void s_data(void *a, struct rxd_call *c)
{
	struct cm *m = a;
	uint8_t req[RXD_RXAFSCB_REQ_MAX + 64], reply[RXD_RXAFSCB_REPLY_MAX];
	_Alignas(8) uint8_t arena[RXD_RXAFSCB_ARENA_MAX];
	struct rxd_seg seg[16];
	bool eor = false;
	size_t len = 0;

	/* Wait for the whole request (at most 1212 bytes: it sits in the receive window). */
	rxd_call_peek(c, seg, 16, &eor);
	if (!eor)
		return;
	ssize_t n = rxd_call_recv(c, req, sizeof(req), &eor, F.now);
	if (n < 0 || !eor)
		return;
	len = (size_t)n;
	rxd_call_peer(c, &m->last_from);
	struct rxd_xg_call x = {.req = req,
				.req_len = len,
				.reply = reply,
				.reply_cap = sizeof(reply),
				.arena = arena,
				.arena_cap = sizeof(arena)};
	int32_t code = rxd_RXAFSCB_dispatch(m->old ? &old_handlers : &cm_handlers, m, &x);
	if (code)
		rxd_call_abort(c, code, F.now);
	else
		cr_assert_eq(rxd_call_send(c, reply, x.reply_len, 0, F.now), (ssize_t)x.reply_len);
}

static void s_complete(void *a, struct rxd_call *c)
{
	(void)a;
	rxd_call_end(c, F.now);
}

static void s_writable(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}

static const struct rxd_call_ops cm_ops = {s_new_call, s_data, s_writable, s_complete};

/* ------------------------------------------------------------------ engines */

static void engine(int i, const char *addr, bool fs)
{
	struct rxd_local_params p = {.io = &test_io_ops, .io_ctx = &F.io[i], .seed = ++F.seed * 7919u};
	cr_assert_eq(rxd_addr_parse(addr, 0, &F.addr[i]), 0);
	p.addr = F.addr[i];
	test_io_init(&F.io[i], &F.pool, w_tx, (void *)(intptr_t)i);
	cr_assert_eq(rxd_local_create(&p, F.now, &F.eng[i]), 0);
	F.is_fs[i] = fs;
	if (!fs) {
		struct rxd_service_desc d = {.service_id = 1, .ops = &cm_ops, .app = &F.cm[i]};
		cr_assert_eq(rxd_service_register(F.eng[i], &d, NULL), 0);
		F.cm[i].uuid = (struct rxd_afsUUID){0xc0000000u + (uint32_t)i, 1, 2, 3, 4, {5, 6, 7, 8, 9, (char)i}};
	}
}

/* A fileserver shard on engine i. */
static void fs_shard(int i, const char *addr, const struct rxd_fs_cb_params *tmpl, unsigned shard)
{
	struct rxd_fs_cb_params p = tmpl ? *tmpl : (struct rxd_fs_cb_params){0};
	engine(i, addr, true);
	p.local = F.eng[i];
	p.server_uuid = server_uuid;
	p.call_timeout_ms = p.call_timeout_ms ? p.call_timeout_ms : 1000;
	p.group = F.group;
	p.shard = shard;
	cr_assert_eq(rxd_fs_cb_create(&p, F.now, &F.cb[i]), 0);
}

/* The usual rig: fileserver shard 0 and client 1. */
static void one_client(void)
{
	fs_shard(0, "198.18.0.10:7000", NULL, 0);
	engine(1, "198.18.0.1:7001", false);
}

static void kill_engine(int i)
{
	if (F.cb[i])
		rxd_fs_cb_destroy(F.cb[i], F.now);
	F.cb[i] = NULL;
	rxd_local_destroy(F.eng[i]);
	F.eng[i] = NULL;
}

static void setup(void)
{
	memset(&F, 0, sizeof(F));
	F.now = 1000 * RXD_NS_PER_SEC;
}

static void teardown(void)
{
	for (int i = 0; i < NENG; i++)
		if (F.cb[i])
			rxd_fs_cb_destroy(F.cb[i], F.now);
	for (int i = 0; i < NENG; i++)
		if (F.eng[i])
			rxd_local_destroy(F.eng[i]);
	rxd_fs_cb_group_destroy(F.group);
	while (F.head != F.tail)
		test_io_buf_drop(&F.pool, F.q[F.head++ % FQ].buf);
	cr_assert_eq(F.pool.st.live, 0, "%llu buffers leaked", (unsigned long long)F.pool.st.live);
}

/* Deliver, poll the shards and run timers until `until` (virtual ns), in steps of at most 20 ms. */
static void run_until(uint64_t until)
{
	for (long steps = 0; steps < 5000000; steps++) {
		for (int i = 0; i < NENG; i++)
			if (F.cb[i])
				rxd_fs_cb_poll(F.cb[i], F.now);
		if (F.head != F.tail) {
			struct dgram d = F.q[F.head++ % FQ];
			F.now += 20000;
			if (F.eng[d.to])
				rxd_local_input(F.eng[d.to], &d.from, d.buf, d.buf->data, d.len, F.now);
			else
				test_io_buf_drop(&F.pool, d.buf);
			continue;
		}
		if (F.now >= until)
			return;
		uint64_t t = until;
		for (int i = 0; i < NENG; i++)
			if (F.eng[i] && rxd_local_next_expiry(F.eng[i]) < t)
				t = rxd_local_next_expiry(F.eng[i]);
		if (t > F.now + 20 * RXD_NS_PER_MS)
			t = F.now + 20 * RXD_NS_PER_MS;
		if (t > F.now)
			F.now = t;
		for (int i = 0; i < NENG; i++)
			if (F.eng[i])
				rxd_local_expire(F.eng[i], F.now);
	}
	cr_assert_fail("the wire did not settle");
}

static void run_for_ms(uint64_t ms)
{
	run_until(F.now + ms * RXD_NS_PER_MS);
}

static struct rxd_AFSFid fid(uint32_t vnode)
{
	return (struct rxd_AFSFid){536870912u, vnode, vnode + 1000};
}

/* What fs shard s does on an RXAFS call from client c that returns fid f's status. */
static struct rxd_AFSCallBack serve(int s, int c, struct rxd_AFSFid f)
{
	struct rxd_AFSCallBack out;
	rxd_fs_cb_contact(F.cb[s], &F.addr[c], rxd_local_epoch(F.eng[c]), F.now);
	cr_assert_eq(rxd_fs_cb_promise(F.cb[s], &F.addr[c], &f, F.now, &out), 0);
	return out;
}

/* fid f changed on shard s (except: the client that changed it, or NULL). */
static void change(int s, struct rxd_AFSFid f, const struct rxd_addr *except)
{
	rxd_fs_cb_changed(F.cb[s], &f, except, F.now);
}

static int count_fid(const struct cm *m, struct rxd_AFSFid f)
{
	int n = 0;
	for (int i = 0; i < m->nfids; i++)
		n += m->fids[i].Volume == f.Volume && m->fids[i].Vnode == f.Vnode && m->fids[i].Unique == f.Unique;
	return n;
}

static int count_op(const struct cm *m, int op)
{
	int n = 0;
	for (int i = 0; i < m->nops; i++)
		n += m->ops[i] == op;
	return n;
}

static struct rxd_fs_cb_stats stats(int s)
{
	struct rxd_fs_cb_stats st;
	rxd_fs_cb_stats(F.cb[s], &st);
	return st;
}

static struct rxd_fs_cb_host_info info(int s, int c)
{
	return rxd_fs_cb_host_info(F.cb[s], &F.addr[c]);
}

TestSuite(fs_cb, .init = setup, .fini = teardown);

Test(fs_cb, promise_is_openafs_shared_callback_and_new_host_is_identified_and_reset_first)
{
	one_client();
	struct rxd_AFSCallBack cbk = serve(0, 1, fid(2));
	cr_assert_eq(cbk.CallBackVersion, 1);
	cr_assert_eq(cbk.ExpirationTime, 4 * 3600, "4 h for a fid with fewer than 8 holders");
	cr_assert_eq(cbk.CallBackType, RXD_CB_SHARED);
	run_for_ms(500);
	struct cm *m = &F.cm[1];
	cr_assert_eq(m->nops, 2);
	cr_assert_eq(m->ops[0], OP_TMAY);
	cr_assert_eq(m->ops[1], OP_ICBS3);
	cr_assert(memcmp(&m->icbs3_uuid, &server_uuid, sizeof(server_uuid)) == 0, "ICBS3 carries the server's UUID");
	cr_assert(rxd_addr_equal(&m->last_from, &F.addr[0]), "RXAFSCB calls come from the fileserver's address");
	struct rxd_fs_cb_host_info hi = info(0, 1);
	cr_assert_eq(hi.state, RXD_FS_CB_HOST_UP);
	cr_assert(hi.has_uuid);
	cr_assert_eq(hi.uuid.time_low, m->uuid.time_low);
	cr_assert_eq(hi.epoch, rxd_local_epoch(F.eng[1]));
	cr_assert_eq(hi.promises, 1);
	cr_assert_not(hi.reset_due);
}

Test(fs_cb, change_breaks_every_holder_but_the_changer)
{
	one_client();
	engine(2, "198.18.0.2:7001", false);
	serve(0, 1, fid(2));
	serve(0, 2, fid(2));
	serve(0, 2, fid(4));
	run_for_ms(500);
	change(0, fid(2), &F.addr[1]);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].callbacks, 0, "the client that changed the file keeps its (fresh) promise");
	cr_assert_eq(F.cm[2].callbacks, 1);
	cr_assert_eq(F.cm[2].nfids, 1);
	cr_assert_eq(count_fid(&F.cm[2], fid(2)), 1);
	cr_assert_eq(info(0, 1).promises, 1);
	cr_assert_eq(info(0, 2).promises, 1, "fid 4 is still promised");
	/* Without an exception the changer is broken too (OpenAFS BreakCallBack flag = 1). */
	change(0, fid(2), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].callbacks, 1);
	cr_assert_eq(stats(0).promises, 1);
}

Test(fs_cb, breaks_are_batched_fifty_fids_a_call_one_call_at_a_time)
{
	one_client();
	for (uint32_t v = 0; v < 120; v++)
		serve(0, 1, fid(2 + 2 * v));
	run_for_ms(500);
	for (uint32_t v = 0; v < 120; v++)
		change(0, fid(2 + 2 * v), NULL);
	cr_assert_eq(info(0, 1).breaks, 120);
	rxd_fs_cb_poll(F.cb[0], F.now);
	cr_assert(info(0, 1).call_active);
	rxd_fs_cb_poll(F.cb[0], F.now);
	cr_assert_eq(stats(0).calls_callback, 1, "one outstanding call per host");
	run_for_ms(1000);
	struct cm *m = &F.cm[1];
	cr_assert_eq(m->callbacks, 3);
	cr_assert_eq(m->max_batch, RXD_AFSCBMAX);
	cr_assert_eq(m->nfids, 120);
	for (uint32_t v = 0; v < 120; v++)
		cr_assert_eq(count_fid(m, fid(2 + 2 * v)), 1);
	cr_assert_eq(info(0, 1).breaks, 0);
	cr_assert_eq(stats(0).breaks_queued, 0);
}

Test(fs_cb, unresponsive_client_is_down_loses_its_promises_and_is_reset_on_return)
{
	one_client();
	serve(0, 1, fid(2));
	serve(0, 1, fid(4));
	run_for_ms(500);
	cr_assert_eq(count_op(&F.cm[1], OP_ICBS3), 1);
	F.cm[1].deaf = true;
	change(0, fid(2), NULL);
	run_for_ms(2500);
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UP, "still retrying with backoff");
	cr_assert_geq(stats(0).call_failures, 1);
	run_for_ms(20000);
	struct rxd_fs_cb_host_info hi = info(0, 1);
	cr_assert_eq(hi.state, RXD_FS_CB_HOST_DOWN);
	cr_assert_eq(hi.promises, 0, "a down host's promises are dropped");
	cr_assert_eq(hi.breaks, 0);
	cr_assert(hi.reset_due);
	cr_assert_eq(stats(0).hosts_down, 1);
	cr_assert_eq(stats(0).call_failures, RXD_FS_CB_ATTEMPTS);
	/* A promise to a host that is down is refused until it calls again. */
	struct rxd_AFSCallBack none;
	cr_assert_eq(rxd_fs_cb_promise(F.cb[0], &F.addr[1], &(struct rxd_AFSFid){1, 2, 3}, F.now, &none), -ENOSPC);
	cr_assert_eq(none.ExpirationTime, 0);
	/* It comes back: InitCallBackState3 before anything else. */
	F.cm[1].deaf = false;
	int before = F.cm[1].nops;
	serve(0, 1, fid(6));
	change(0, fid(6), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].nops, before + 2);
	cr_assert_eq(F.cm[1].ops[before], OP_ICBS3);
	cr_assert_eq(F.cm[1].ops[before + 1], OP_CALLBACK);
	cr_assert_eq(count_fid(&F.cm[1], fid(2)), 0, "the break queued while it was down was replaced by the reset");
	cr_assert_eq(count_fid(&F.cm[1], fid(6)), 1);
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UP);
}

Test(fs_cb, new_connection_epoch_means_restart_and_drops_promises)
{
	one_client();
	serve(0, 1, fid(2));
	serve(0, 1, fid(4));
	run_for_ms(500);
	uint32_t old_epoch = rxd_local_epoch(F.eng[1]);
	kill_engine(1);
	memset(&F.cm[1], 0, sizeof(F.cm[1]));
	engine(1, "198.18.0.1:7001", false); /* same address, a new process */
	cr_assert_neq(rxd_local_epoch(F.eng[1]), old_epoch);
	rxd_fs_cb_contact(F.cb[0], &F.addr[1], rxd_local_epoch(F.eng[1]), F.now);
	cr_assert_eq(info(0, 1).promises, 0);
	cr_assert_eq(info(0, 1).epoch, rxd_local_epoch(F.eng[1]));
	cr_assert_eq(stats(0).restarts, 1);
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UP);
	cr_assert_not(info(0, 1).reset_due);
	change(0, fid(2), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].callbacks, 0, "nothing to break for a process that caches nothing");
	cr_assert_eq(count_op(&F.cm[1], OP_ICBS3), 0, "and nothing to reset");
	cr_assert_eq(count_op(&F.cm[1], OP_TMAY), 1, "the new process is asked who it is");
	/* The same epoch again is no restart. */
	serve(0, 1, fid(2));
	rxd_fs_cb_contact(F.cb[0], &F.addr[1], rxd_local_epoch(F.eng[1]), F.now);
	cr_assert_eq(info(0, 1).promises, 1);
	cr_assert_eq(stats(0).restarts, 1);
}

Test(fs_cb, given_up_callbacks_are_not_broken)
{
	one_client();
	serve(0, 1, fid(2));
	serve(0, 1, fid(4));
	serve(0, 1, fid(6));
	run_for_ms(500);
	struct rxd_AFSFid give[1] = {fid(2)};
	rxd_fs_cb_give_up(F.cb[0], &F.addr[1], give, 1);
	cr_assert_eq(info(0, 1).promises, 2);
	rxd_fs_cb_changed(F.cb[0], &give[0], NULL, F.now);
	change(0, fid(4), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].nfids, 1);
	cr_assert_eq(count_fid(&F.cm[1], fid(4)), 1);
	rxd_fs_cb_give_up_all(F.cb[0], &F.addr[1]);
	cr_assert_eq(info(0, 1).promises, 0);
	change(0, fid(6), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].nfids, 1);
	cr_assert_eq(stats(0).given_up, 2, "fid 2, then fid 6 (fid 4 was broken)");
}

Test(fs_cb, promises_expire_after_their_time_and_shrink_with_many_holders)
{
	struct rxd_fs_cb_params p = {.no_identify = true};
	fs_shard(0, "198.18.0.10:7000", &p, 0);
	for (int c = 1; c < NENG; c++) {
		char a[32];
		snprintf(a, sizeof(a), "198.18.0.%d:7001", c);
		engine(c, a, false);
	}
	/* Holders 0..6 get 4 h; OpenAFS's table then gives 1 h from the 8th holder on. */
	for (int c = 1; c < NENG; c++)
		cr_assert_eq(serve(0, c, fid(2)).ExpirationTime, 4 * 3600);
	struct rxd_AFSCallBack out;
	struct rxd_AFSFid f2 = fid(2);
	struct rxd_addr extra;
	rxd_addr_parse("198.18.1.1:7001", 0, &extra);
	cr_assert_eq(rxd_fs_cb_promise(F.cb[0], &extra, &f2, F.now, &out), 0);
	cr_assert_eq(out.ExpirationTime, 4 * 3600, "7 holders before it");
	struct rxd_addr ninth;
	rxd_addr_parse("198.18.1.2:7001", 0, &ninth);
	cr_assert_eq(rxd_fs_cb_promise(F.cb[0], &ninth, &f2, F.now, &out), 0);
	cr_assert_eq(out.ExpirationTime, 3600, "8 holders before it");
	serve(0, 1, fid(4));
	run_for_ms(500);
	/* Not yet: the server keeps a promise 3 min past what it told the client. */
	F.now += 4 * 3600 * RXD_NS_PER_SEC;
	for (int i = 0; i < 1000; i++)
		rxd_fs_cb_poll(F.cb[0], F.now);
	cr_assert_eq(info(0, 1).promises, 2);
	F.now += 4 * 60 * RXD_NS_PER_SEC;
	for (int i = 0; i < 1100; i++)
		rxd_fs_cb_poll(F.cb[0], F.now);
	cr_assert_eq(stats(0).promises, 0);
	cr_assert_eq(stats(0).expired, 10);
	change(0, fid(4), NULL);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].callbacks, 0, "an expired promise is not broken");
}

Test(fs_cb, renewing_a_promise_keeps_one_entry_and_bulk_promises_are_short)
{
	one_client();
	for (int i = 0; i < 10; i++)
		serve(0, 1, fid(2));
	cr_assert_eq(stats(0).promises, 1);
	cr_assert_eq(stats(0).renewed, 9);
	struct rxd_AFSCallBack out;
	struct rxd_AFSFid f = fid(4);
	cr_assert_eq(rxd_fs_cb_promise_bulk(F.cb[0], &F.addr[1], &f, F.now, &out), 0);
	cr_assert_eq(out.ExpirationTime, 30 * 60, "OpenAFS CB_BULK: TimeOut(22 + holders)");
	cr_assert_eq(out.CallBackType, RXD_CB_SHARED);
	/* A later ordinary fetch lengthens it; a bulk one never shortens a long one. */
	cr_assert_eq(serve(0, 1, f).ExpirationTime, 4 * 3600);
	cr_assert_eq(stats(0).promises, 2);
}

Test(fs_cb, full_promise_table_breaks_the_oldest_promise)
{
	struct rxd_fs_cb_params p = {.max_promises = 16};
	fs_shard(0, "198.18.0.10:7000", &p, 0);
	engine(1, "198.18.0.1:7001", false);
	for (uint32_t v = 0; v < 20; v++)
		serve(0, 1, fid(2 + 2 * v));
	cr_assert_eq(stats(0).promises, 16);
	cr_assert_eq(stats(0).evicted_promises, 4);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].nfids, 4);
	for (uint32_t v = 0; v < 4; v++)
		cr_assert_eq(count_fid(&F.cm[1], fid(2 + 2 * v)), 1, "the oldest four were broken");
}

Test(fs_cb, full_break_queue_resets_the_host_instead)
{
	struct rxd_fs_cb_params p = {.max_breaks = 8};
	fs_shard(0, "198.18.0.10:7000", &p, 0);
	engine(1, "198.18.0.1:7001", false);
	for (uint32_t v = 0; v < 20; v++)
		serve(0, 1, fid(2 + 2 * v));
	run_for_ms(500);
	int before = count_op(&F.cm[1], OP_ICBS3);
	for (uint32_t v = 0; v < 20; v++)
		change(0, fid(2 + 2 * v), NULL);
	cr_assert_eq(info(0, 1).promises, 0);
	cr_assert_leq(stats(0).breaks_queued, 8);
	run_for_ms(500);
	cr_assert_eq(count_op(&F.cm[1], OP_ICBS3), before + 1, "one InitCallBackState3 stands for the lost breaks");
	cr_assert_eq(stats(0).breaks_queued, 0);
	cr_assert_not(info(0, 1).reset_due);
}

Test(fs_cb, host_table_is_bounded_and_owed_hosts_are_reset_before_being_forgotten)
{
	struct rxd_fs_cb_params p = {.max_hosts = 4};
	fs_shard(0, "198.18.0.10:7000", &p, 0);
	for (int c = 1; c <= 5; c++) {
		char a[32];
		snprintf(a, sizeof(a), "198.18.0.%d:7001", c);
		engine(c, a, false);
	}
	for (int c = 1; c <= 4; c++) {
		serve(0, c, fid(2));
		F.now += RXD_NS_PER_MS;
	}
	run_for_ms(500);
	/* Every slot holds a promise: the fifth host gets none now; the least recent is reset. */
	struct rxd_AFSCallBack out;
	struct rxd_AFSFid f2 = fid(2);
	rxd_fs_cb_contact(F.cb[0], &F.addr[5], rxd_local_epoch(F.eng[5]), F.now);
	cr_assert_eq(rxd_fs_cb_promise(F.cb[0], &F.addr[5], &f2, F.now, &out), -ENOSPC);
	cr_assert_eq(out.ExpirationTime, 0);
	cr_assert_eq(out.CallBackType, RXD_CB_DROPPED);
	cr_assert_eq(info(0, 1).promises, 0);
	run_for_ms(500);
	cr_assert_eq(count_op(&F.cm[1], OP_ICBS3), 2, "told to forget before being forgotten");
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UNKNOWN);
	cr_assert_eq(stats(0).hosts, 3);
	serve(0, 5, fid(2));
	cr_assert_eq(stats(0).hosts, 4);
	/* Hosts that are owed nothing go at once, many times over. */
	for (int i = 0; i < 200; i++) {
		struct rxd_addr a;
		char s[32];
		snprintf(s, sizeof(s), "198.18.%d.%d:7001", 2 + i / 200, 1 + i % 200);
		rxd_addr_parse(s, 0, &a);
		rxd_fs_cb_contact(F.cb[0], &a, 0x80000001u, F.now);
		run_for_ms(50);
		cr_assert_leq(stats(0).hosts, 4);
	}
	cr_assert_leq(stats(0).promises, 4);
}

/* Two fileserver shards (engines 0, 1: rings of ring_size notices, 0 the default) and two clients (2, 3). */
static void two_shards_two_clients(unsigned ring_size)
{
	struct rxd_fs_cb_group_params gp = {.shards = 2, .ring_size = ring_size};
	cr_assert_eq(rxd_fs_cb_group_create(&gp, &F.group), 0);
	fs_shard(0, "198.18.0.10:7000", NULL, 0);
	fs_shard(1, "198.18.0.11:7000", NULL, 1);
	engine(2, "198.18.0.1:7001", false);
	engine(3, "198.18.0.2:7001", false);
}

Test(fs_cb, a_change_on_one_shard_breaks_promises_held_on_another)
{
	two_shards_two_clients(0);
	serve(1, 2, fid(2));
	serve(1, 3, fid(2));
	run_for_ms(500);
	change(0, fid(2), &F.addr[3]);
	run_for_ms(500);
	cr_assert_eq(F.cm[2].callbacks, 1);
	cr_assert(rxd_addr_equal(&F.cm[2].last_from, &F.addr[1]), "broken by the shard that holds the promise");
	cr_assert_eq(F.cm[3].callbacks, 0, "the changer is spared on every shard");
	cr_assert_eq(stats(0).notices_out, 1);
	cr_assert_eq(stats(1).notices_in, 1);
	/* A restart seen on shard 0 drops the client's promises on shard 1. */
	serve(1, 2, fid(4));
	kill_engine(2);
	memset(&F.cm[2], 0, sizeof(F.cm[2]));
	engine(2, "198.18.0.1:7001", false);
	rxd_fs_cb_contact(F.cb[0], &F.addr[2], rxd_local_epoch(F.eng[2]), F.now);
	rxd_fs_cb_poll(F.cb[1], F.now);
	cr_assert_eq(info(1, 2).promises, 0);
	cr_assert_eq(info(1, 2).epoch, rxd_local_epoch(F.eng[2]));
}

/* OpenAFS's SAFSS_RemoveFile: a file whose last link is gone loses its promises silently
 * (DeleteFileCallBacks), on every shard, the remover's included; a lost deletion notice is a lost change. */
Test(fs_cb, a_deleted_fid_drops_its_promises_on_every_shard_without_a_break)
{
	struct rxd_AFSFid f2 = fid(2);
	uint64_t m1;

	two_shards_two_clients(2);
	serve(0, 2, fid(2));
	serve(0, 3, fid(2));
	serve(1, 3, fid(2));
	serve(1, 3, fid(4));
	run_for_ms(500);
	m1 = rxd_fs_cb_mark(F.cb[1]);
	rxd_fs_cb_deleted(F.cb[0], &f2, F.now);
	run_for_ms(500);
	cr_assert_eq(F.cm[2].callbacks, 0, "no break for a deleted file");
	cr_assert_eq(F.cm[3].callbacks, 0, "on either shard");
	cr_assert_eq(info(0, 2).promises, 0);
	cr_assert_eq(info(0, 3).promises, 0);
	cr_assert_eq(info(1, 3).promises, 1, "fid 4 is still promised");
	cr_assert_eq(stats(0).deleted, 2);
	cr_assert_eq(stats(1).deleted, 1);
	cr_assert_eq(stats(0).broken + stats(1).broken, 0);
	cr_assert(rxd_fs_cb_broken_since(F.cb[1], &f2, m1), "a status read across the deletion is not promised");
	/* a deletion notice that does not fit is lost like a change: the other shard resets its clients */
	int before = count_op(&F.cm[3], OP_ICBS3);
	for (uint32_t v = 0; v < 3; v++) {
		struct rxd_AFSFid g = fid(100 + 2 * v);
		rxd_fs_cb_deleted(F.cb[0], &g, F.now);
	}
	cr_assert_eq(stats(0).notices_lost, 1);
	run_for_ms(500);
	cr_assert_eq(stats(1).lost_resets, 1);
	cr_assert_eq(count_op(&F.cm[3], OP_ICBS3), before + 1);
	cr_assert_eq(info(1, 3).promises, 0);
}

Test(fs_cb, a_lost_notice_resets_the_other_shards_clients)
{
	struct rxd_fs_cb_group_params gp = {.shards = 2, .ring_size = 2};
	cr_assert_eq(rxd_fs_cb_group_create(&gp, &F.group), 0);
	fs_shard(0, "198.18.0.10:7000", NULL, 0);
	fs_shard(1, "198.18.0.11:7000", NULL, 1);
	engine(2, "198.18.0.1:7001", false);
	serve(1, 2, fid(100));
	run_for_ms(500);
	int before = count_op(&F.cm[2], OP_ICBS3);
	for (uint32_t v = 0; v < 5; v++)
		change(0, fid(2 + 2 * v), NULL);
	cr_assert_eq(stats(0).notices_out, 2);
	cr_assert_eq(stats(0).notices_lost, 3);
	run_for_ms(500);
	cr_assert_eq(stats(1).lost_resets, 1);
	cr_assert_eq(count_op(&F.cm[2], OP_ICBS3), before + 1, "fid 100 may have been among the lost");
	cr_assert_eq(info(1, 2).promises, 0);
}

/* A status read by an I/O thread is promised only if no break of its fid came since the job left (cb.h). */
Test(fs_cb, a_status_read_across_a_break_is_not_promised)
{
	struct rxd_fs_cb_group_params gp = {.shards = 2, .ring_size = 2};
	struct rxd_AFSFid f2 = fid(2), f4 = fid(4), f6 = fid(6);
	cr_assert_eq(rxd_fs_cb_group_create(&gp, &F.group), 0);
	fs_shard(0, "198.18.0.10:7000", NULL, 0);
	fs_shard(1, "198.18.0.11:7000", NULL, 1);
	uint64_t m0 = rxd_fs_cb_mark(F.cb[0]), m1 = rxd_fs_cb_mark(F.cb[1]);
	cr_assert(!rxd_fs_cb_broken_since(F.cb[0], &f2, m0));
	change(0, f2, NULL);
	cr_assert(rxd_fs_cb_broken_since(F.cb[0], &f2, m0), "a change with no holder still counts");
	cr_assert(!rxd_fs_cb_broken_since(F.cb[0], &f4, m0), "another fid (another slot) is not");
	cr_assert(!rxd_fs_cb_broken_since(F.cb[0], &f2, rxd_fs_cb_mark(F.cb[0])), "a read after the break sees it");
	/* the other shard: from when its notice is taken */
	cr_assert(!rxd_fs_cb_broken_since(F.cb[1], &f2, m1), "not before shard 1 took the notice");
	rxd_fs_cb_poll(F.cb[1], F.now);
	cr_assert(rxd_fs_cb_broken_since(F.cb[1], &f2, m1));
	cr_assert(!rxd_fs_cb_broken_since(F.cb[1], &f4, m1));
	/* a lost notice could have named any fid */
	m1 = rxd_fs_cb_mark(F.cb[1]);
	for (uint32_t v = 0; v < 3; v++)
		change(0, fid(100 + 2 * v), NULL);
	cr_assert_eq(stats(0).notices_lost, 1);
	rxd_fs_cb_poll(F.cb[1], F.now);
	cr_assert(rxd_fs_cb_broken_since(F.cb[1], &f6, m1), "after a lost notice every fid is suspect");
	cr_assert(!rxd_fs_cb_broken_since(F.cb[1], &f6, rxd_fs_cb_mark(F.cb[1])));
}

Test(fs_cb, a_lost_epoch_notice_resets_nobody)
{
	struct rxd_fs_cb_group_params gp = {.shards = 2, .ring_size = 2};
	cr_assert_eq(rxd_fs_cb_group_create(&gp, &F.group), 0);
	fs_shard(0, "198.18.0.10:7000", NULL, 0);
	fs_shard(1, "198.18.0.11:7000", NULL, 1);
	engine(2, "198.18.0.1:7001", false);
	serve(1, 2, fid(100));
	run_for_ms(500);
	for (int i = 0; i < 5; i++) {
		struct rxd_addr a;
		char s[32];
		snprintf(s, sizeof(s), "198.18.3.%d:7001", 1 + i);
		rxd_addr_parse(s, 0, &a);
		rxd_fs_cb_contact(F.cb[0], &a, 0x80000001u, F.now);
	}
	cr_assert_eq(stats(0).notices_lost, 3);
	run_for_ms(500);
	cr_assert_eq(stats(1).lost_resets, 0);
	cr_assert_eq(info(1, 2).promises, 1);
}

Test(fs_cb, old_clients_without_tmay_or_icbs3_get_initcallbackstate)
{
	one_client();
	F.cm[1].old = true;
	serve(0, 1, fid(2));
	run_for_ms(500);
	struct cm *m = &F.cm[1];
	cr_assert_eq(m->nops, 1, "the unknown opcodes abort before the handlers");
	cr_assert_eq(m->ops[0], OP_ICBS);
	cr_assert_not(info(0, 1).has_uuid);
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UP);
	cr_assert_eq(stats(0).calls_icbs3, 1);
	cr_assert_eq(stats(0).calls_icbs, 1);
}

Test(fs_cb, probe_reaches_the_client)
{
	one_client();
	serve(0, 1, fid(2));
	run_for_ms(500);
	cr_assert_eq(rxd_fs_cb_probe(F.cb[0], &F.addr[1], F.now), 0);
	struct rxd_addr nobody;
	rxd_addr_parse("198.18.9.9:7001", 0, &nobody);
	cr_assert_eq(rxd_fs_cb_probe(F.cb[0], &nobody, F.now), -ENOENT);
	run_for_ms(500);
	cr_assert_eq(count_op(&F.cm[1], OP_PROBE), 1);
}

/* ------------------------------------------------------------------ two threads */

#define MT_FIDS 1000u
#define MT_ROUNDS 200u

struct mt_shard {
	struct test_io_pool pool;
	struct test_io io;
	struct rxd_local *eng;
	struct rxd_fs_cb *cb;
	struct rxd_fs_cb_stats st;
	_Atomic int *done;
};

static void mt_open(struct mt_shard *s, struct rxd_fs_cb_group *g, unsigned shard, const char *addr)
{
	struct rxd_local_params p = {.io = &test_io_ops, .io_ctx = &s->io, .seed = 99 + shard};
	rxd_addr_parse(addr, 0, &p.addr);
	test_io_init(&s->io, &s->pool, NULL, NULL);
	cr_assert_eq(rxd_local_create(&p, 0, &s->eng), 0);
	struct rxd_fs_cb_params cp = {.local = s->eng, .group = g, .shard = shard, .no_identify = true};
	cr_assert_eq(rxd_fs_cb_create(&cp, 0, &s->cb), 0);
}

static void mt_close(struct mt_shard *s)
{
	rxd_fs_cb_destroy(s->cb, 0);
	rxd_local_destroy(s->eng);
	test_io_fini(&s->io);
	cr_assert_eq(test_io_pool_fini(&s->pool), 0);
}

/* Shard 0's thread: every fid changes MT_ROUNDS times. */
static void *mt_producer(void *arg)
{
	struct mt_shard *s = arg;
	for (uint32_t r = 0; r < MT_ROUNDS; r++)
		for (uint32_t v = 0; v < MT_FIDS; v++) {
			struct rxd_AFSFid f = {7, v, 1}; /* the same fids every round */
			rxd_fs_cb_changed(s->cb, &f, NULL, 1);
		}
	rxd_fs_cb_stats(s->cb, &s->st);
	atomic_store(s->done, 1);
	return NULL;
}

Test(fs_cb, notices_cross_threads_whole_and_in_order)
{
	struct rxd_fs_cb_group_params gp = {.shards = 2, .ring_size = MT_FIDS * MT_ROUNDS};
	struct rxd_fs_cb_group *g;
	struct mt_shard a = {0}, b = {0};
	_Atomic int done = 0;
	pthread_t t;

	cr_assert_eq(rxd_fs_cb_group_create(&gp, &g), 0);
	mt_open(&a, g, 0, "198.18.0.10:7000");
	mt_open(&b, g, 1, "198.18.0.11:7000");
	a.done = &done;
	struct rxd_addr host;
	rxd_addr_parse("198.18.0.1:7001", 0, &host);
	struct rxd_AFSCallBack out;
	for (uint32_t v = 0; v < MT_FIDS; v++)
		cr_assert_eq(rxd_fs_cb_promise(b.cb, &host, &(struct rxd_AFSFid){7, v, 1}, 1, &out), 0);
	cr_assert_eq(pthread_create(&t, NULL, mt_producer, &a), 0);
	/* Shard 1's thread (this one) drains while shard 0 produces. */
	for (long i = 0; i < 100000000; i++) {
		int fin = atomic_load(&done);
		rxd_fs_cb_poll(b.cb, 1);
		rxd_fs_cb_stats(b.cb, &b.st);
		if (fin && b.st.notices_in == (uint64_t)MT_FIDS * MT_ROUNDS)
			break;
	}
	pthread_join(t, NULL);
	cr_assert_eq(a.st.notices_lost, 0);
	cr_assert_eq(a.st.notices_out, (uint64_t)MT_FIDS * MT_ROUNDS);
	cr_assert_eq(b.st.notices_in, (uint64_t)MT_FIDS * MT_ROUNDS);
	cr_assert_eq(b.st.broken, MT_FIDS, "each promise broken once, by the first round");
	cr_assert_eq(b.st.promises, 0);
	mt_close(&a);
	mt_close(&b);
	rxd_fs_cb_group_destroy(g);
}

Test(fs_cb, a_host_restarting_before_its_reset_is_up_without_one)
{
	one_client();
	rxd_fs_cb_contact(F.cb[0], &F.addr[1], 0x80000001u, F.now);
	cr_assert(info(0, 1).reset_due);
	rxd_fs_cb_contact(F.cb[0], &F.addr[1], rxd_local_epoch(F.eng[1]), F.now);
	run_for_ms(500);
	cr_assert_eq(F.cm[1].nops, 1);
	cr_assert_eq(F.cm[1].ops[0], OP_TMAY);
	cr_assert_eq(info(0, 1).state, RXD_FS_CB_HOST_UP);
	cr_assert_not(info(0, 1).reset_due);
}

Test(fs_cb, drain_aborts_outstanding_calls_and_begins_none)
{
	one_client();
	serve(0, 1, fid(2));
	run_for_ms(500);
	F.cm[1].deaf = true;
	change(0, fid(2), NULL);
	rxd_fs_cb_poll(F.cb[0], F.now);
	cr_assert(info(0, 1).call_active);
	rxd_fs_cb_drain(F.cb[0], F.now);
	cr_assert_not(info(0, 1).call_active);
	serve(0, 1, fid(4));
	change(0, fid(4), NULL);
	uint64_t calls = stats(0).calls_callback;
	run_for_ms(10000);
	cr_assert_eq(stats(0).calls_callback, calls);
	cr_assert_eq(rxd_local_counts(F.eng[0]).calls, 0, "the shard can go idle");
}
