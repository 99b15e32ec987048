/* SPDX-License-Identifier: MIT */
/*
 * The callback module against an OpenAFS cache manager's callback service:
 * rxd's core on a loopback UDP socket drives a cb shard, and OpenAFS rx with
 * OpenAFS's own RXAFSCB server stubs (fs_cb_openafs_cm.c) answers.  Sends
 * only to 127.0.0.1.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rxd/core.h>

#include "cb.h"
#include "fs_cb_openafs_cm.h"
#include "test_io.h"

static int sock = -1;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RXD_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int udp_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	struct test_io_pool *pool = arg;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(dst->port)};
	(void)flags;
	memcpy(&sa.sin_addr, dst->ip.v4, 4);
	ssize_t n = sendto(sock, b->data, len, 0, (struct sockaddr *)&sa, sizeof(sa));
	test_io_buf_drop(pool, b);
	return n == (ssize_t)len ? 0 : -errno;
}

struct rig {
	struct test_io_pool pool;
	struct test_io io;
	struct rxd_local *eng;
	struct rxd_fs_cb *cb;
	struct rxd_addr cm;
};

/* Receive, expire and poll until done(r) or 20 s pass. */
static bool run(struct rig *r, bool (*done)(struct rig *r))
{
	uint64_t end = mono_ns() + 20 * RXD_NS_PER_SEC;

	while (mono_ns() < end) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		poll(&p, 1, 2);
		for (int k = 0; k < 64; k++) {
			struct rxd_buf *b = test_io_buf_new(&r->pool, 2048);
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(sock, b->data, 2048, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
			if (n <= 0) {
				test_io_buf_drop(&r->pool, b);
				break;
			}
			struct rxd_addr a = {.family = RXD_AF_INET, .port = ntohs(from.sin_port)};
			memcpy(a.ip.v4, &from.sin_addr, 4);
			rxd_local_input(r->eng, &a, b, b->data, (size_t)n, mono_ns());
		}
		rxd_local_expire(r->eng, mono_ns());
		rxd_fs_cb_poll(r->cb, mono_ns());
		if (done(r))
			return true;
	}
	return false;
}

static bool reset_done(struct rig *r)
{
	struct rxd_fs_cb_host_info i = rxd_fs_cb_host_info(r->cb, &r->cm);
	return i.state == RXD_FS_CB_HOST_UP && !i.reset_due && !i.call_active;
}

static bool breaks_done(struct rig *r)
{
	struct rxd_fs_cb_host_info i = rxd_fs_cb_host_info(r->cb, &r->cm);
	return i.breaks == 0 && !i.call_active;
}

Test(fs_cb_openafs, openafs_cache_manager_is_identified_reset_and_gets_every_break, .timeout = 60)
{
	static const struct rxd_afsUUID fs_uuid = {0x5eed0001u, 1, 2, 3, 4, {5, 6, 7, 8, 9, 10}};
	struct rig r = {0};
	uint16_t cm_port = cm_start(0xc11e0001u);
	cr_assert_neq(cm_port, 0, "OpenAFS rx did not start");

	sock = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	cr_assert_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(sock, (struct sockaddr *)&sa, &sl), 0);

	struct rxd_local_params p = {.io = &test_io_ops, .io_ctx = &r.io, .seed = (uint64_t)mono_ns()};
	p.addr = (struct rxd_addr){.family = RXD_AF_INET, .port = ntohs(sa.sin_port)};
	memcpy(p.addr.ip.v4, &sa.sin_addr, 4);
	test_io_init(&r.io, &r.pool, udp_tx, &r.pool);
	cr_assert_eq(rxd_local_create(&p, mono_ns(), &r.eng), 0);
	struct rxd_fs_cb_params cp = {.local = r.eng, .server_uuid = fs_uuid};
	cr_assert_eq(rxd_fs_cb_create(&cp, mono_ns(), &r.cb), 0);
	r.cm = (struct rxd_addr){.family = RXD_AF_INET, .port = cm_port, .ip.v4 = {127, 0, 0, 1}};

	/* 120 files fetched by the client. */
	rxd_fs_cb_contact(r.cb, &r.cm, 0x80000001u, mono_ns());
	for (uint32_t v = 0; v < 120; v++) {
		struct rxd_AFSCallBack out;
		cr_assert_eq(
		    rxd_fs_cb_promise(r.cb, &r.cm, &(struct rxd_AFSFid){536870918u, 2 * v + 2, v + 7}, mono_ns(), &out),
		    0);
	}
	cr_assert(run(&r, reset_done), "TellMeAboutYourself and InitCallBackState3 did not complete");
	struct cm_seen s;
	cm_seen(&s);
	cr_assert_eq(s.first_op, 1, "TellMeAboutYourself first");
	cr_assert_eq(s.tmay, 1);
	cr_assert_eq(s.icbs3, 1);
	cr_assert_eq(s.icbs3_time_low, fs_uuid.time_low, "OpenAFS decoded the server UUID");
	cr_assert_eq(s.icbs3_node5, 10);
	struct rxd_fs_cb_host_info hi = rxd_fs_cb_host_info(r.cb, &r.cm);
	cr_assert(hi.has_uuid);
	cr_assert_eq(hi.uuid.time_low, 0xc11e0001u, "the UUID from OpenAFS's TellMeAboutYourself reply");

	/* Every file changes: 120 fids in three CallBacks, each decoded by OpenAFS's stub. */
	for (uint32_t v = 0; v < 120; v++)
		rxd_fs_cb_changed(r.cb, &(struct rxd_AFSFid){536870918u, 2 * v + 2, v + 7}, NULL, mono_ns());
	cr_assert(run(&r, breaks_done), "the breaks were not all answered");
	cm_seen(&s);
	cr_assert_eq(s.callbacks, 3);
	cr_assert_eq(s.max_batch, 50);
	cr_assert_eq(s.nfids, 120);
	for (uint32_t v = 0; v < 120; v++) {
		cr_assert_eq(s.fids[v][0], 536870918u);
		cr_assert_eq(s.fids[v][1], 2 * v + 2, "in order");
		cr_assert_eq(s.fids[v][2], v + 7);
	}
	cr_assert_eq(rxd_fs_cb_probe(r.cb, &r.cm, mono_ns()), 0);
	cr_assert(run(&r, breaks_done));
	cm_seen(&s);
	cr_assert_eq(s.probes, 1);

	rxd_fs_cb_destroy(r.cb, mono_ns());
	rxd_local_destroy(r.eng);
	test_io_fini(&r.io);
	cr_assert_eq(test_io_pool_fini(&r.pool), 0);
	close(sock);
}
