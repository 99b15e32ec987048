/* SPDX-License-Identifier: MIT */
/*
 * rxkad end to end, rxd to rxd: two engines joined by an in-memory FIFO wire
 * with a virtual clock and a filter that drops or alters chosen datagrams.
 * Pins the handshake (CHALLENGE, held calls, resends, renegotiation), the
 * three levels at the sizes around packet boundaries, and every failure's
 * abort code.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>
#include <rxd/security.h>
#include <rxd/wire.h>

#include "security/rxkad.h"
#include "test_io.h"

#define KQ 4096
#define KSVC 147
#define T0 1900000000u /* the servers' unix time */
#define MAXCALLS 24
#define KJOBS 4096

struct kdgram {
	int to;
	uint32_t len;
	struct rxd_buf *buf;
};

struct kcall {
	struct rxd_call *call;
	uint8_t *got;
	size_t got_len, cap;
	bool done;
};

static struct {
	struct rxd_local *eng[2];
	struct rxd_addr addr[2];
	struct test_io_pool pool;
	struct test_io io[2];
	struct kdgram q[KQ];
	unsigned head, tail;
	uint64_t now;
	unsigned sent[16]; /* datagrams by type, both directions (before the filter) */
	/* the filter: returns true to drop; may change the bytes */
	bool (*filter)(int from, uint8_t *b, uint32_t *len);
	unsigned new_calls;
	uint8_t who_index;	       /* the last new call's security index (rxd_call_security) */
	int who_rc;		       /* and rxd_rxkad_conn_identity's answer */
	struct rxd_rxkad_identity who; /* its client, from the ticket */
	struct kcall cli[MAXCALLS];
	unsigned ncli;
	struct rxd_rxkad_des_key skey; /* the server's key */
	struct rxd_rxkad_server srv;
	uint32_t srv_time;
	uint8_t min_level;
	struct rxd_rxkad_key ckey;
	uint8_t tkt[256];
	struct rxd_config cfg;
	bool big_mtu;	       /* a 9000-byte interface MTU, so jumbograms fit */
	uint8_t challenge[64]; /* the latest CHALLENGE body seen */
	uint32_t challenge_len;
	/* A crypto engine per side (crypto_offload tests): jobs wait here until k_run completes them. */
	bool offload;
	enum { KJ_FIFO, KJ_REVERSE, KJ_SHUFFLE } order;
	unsigned eng_cap; /* jobs an engine holds at once (0 = KJOBS) */
	bool paused;	  /* k_run leaves the jobs alone */
	bool lent_reply;  /* the server echoes through rxd_call_send_space/send_bufs */
	struct rxd_crypto_job *jobs[2][KJOBS];
	unsigned njobs[2];
	unsigned taken, refused; /* by every submit: jobs taken, jobs refused (engine full) */
	unsigned most_at_once;	 /* jobs an engine finished together */
	unsigned batch;		 /* datagrams per receive batch (0 = none) */
	uint64_t shuffle;
} K;

static unsigned k_submit(void *ctx, struct rxd_crypto_job *const *jobs, unsigned n)
{
	int e = (int)(intptr_t)ctx;
	unsigned cap = K.eng_cap ? K.eng_cap : KJOBS, took = 0;

	while (took < n && K.njobs[e] < cap)
		K.jobs[e][K.njobs[e]++] = jobs[took++];
	K.taken += took;
	K.refused += n - took;
	return took;
}
static const struct rxd_crypto_ops k_crypto = {k_submit};

/* Run and give back every job engine e holds, in K.order: the shard sees them finish out of order. */
static void k_engine_run(int e)
{
	struct rxd_crypto_job *v[KJOBS];
	unsigned n = K.njobs[e];

	K.njobs[e] = 0;
	if (n > K.most_at_once)
		K.most_at_once = n;
	for (unsigned i = 0; i < n; i++)
		v[i] = K.jobs[e][K.order == KJ_REVERSE ? n - 1 - i : i];
	for (unsigned i = n; K.order == KJ_SHUFFLE && i > 1; i--) {
		struct rxd_crypto_job *t;
		unsigned k;
		K.shuffle = K.shuffle * 6364136223846793005ull + 1442695040888963407ull;
		k = (unsigned)((K.shuffle >> 33) % i);
		t = v[i - 1];
		v[i - 1] = v[k];
		v[k] = t;
	}
	rxd_crypto_run(v, n);
	rxd_local_crypto_done(K.eng[e], v, n, K.now);
}

static int k_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	int from = (int)(intptr_t)arg;
	(void)dst;
	(void)flags;
	cr_assert(K.tail - K.head < KQ);
	K.sent[b->data[20] & 15]++;
	if (b->data[20] == RXD_PKT_CHALLENGE && len - RXD_WIRE_HDR_LEN <= sizeof(K.challenge)) {
		K.challenge_len = len - RXD_WIRE_HDR_LEN;
		memcpy(K.challenge, b->data + RXD_WIRE_HDR_LEN, K.challenge_len);
	}
	if (K.filter && K.filter(from, b->data, &len)) {
		test_io_buf_put(&K.io[from], b);
		return 0;
	}
	K.q[K.tail++ % KQ] = (struct kdgram){1 - from, len, b};
	return 0;
}

static void k_run(uint64_t limit)
{
	for (int steps = 0; steps < 2000000; steps++) {
		/* The engines finish what piled up while the wire drains, or when a burst is waiting. */
		if (!K.paused && (K.njobs[0] || K.njobs[1]) && (K.head == K.tail || K.njobs[0] + K.njobs[1] >= 8)) {
			K.now += 1000;
			for (int e = 0; e < 2; e++)
				if (K.njobs[e])
					k_engine_run(e);
			continue;
		}
		if (K.head != K.tail) {
			struct kdgram d = K.q[K.head++ % KQ];
			K.now += 1000;
			/* K.batch: up to that many datagrams to one side in one receive batch, as the shells do */
			if (K.batch)
				rxd_local_batch_begin(K.eng[d.to], K.now);
			rxd_local_input(K.eng[d.to], &K.addr[1 - d.to], d.buf, d.buf->data, d.len, K.now);
			for (unsigned b = 1; b < K.batch && K.head != K.tail && K.q[K.head % KQ].to == d.to; b++) {
				struct kdgram e = K.q[K.head++ % KQ];
				rxd_local_input(K.eng[e.to], &K.addr[1 - e.to], e.buf, e.buf->data, e.len, K.now);
			}
			if (K.batch)
				rxd_local_batch_end(K.eng[d.to], K.now);
			continue;
		}
		uint64_t t = rxd_local_next_expiry(K.eng[0]), t1 = rxd_local_next_expiry(K.eng[1]);
		if (t1 < t)
			t = t1;
		if (t == RXD_TIME_NEVER || t > limit)
			return;
		if (t > K.now)
			K.now = t;
		rxd_local_expire(K.eng[0], K.now);
		rxd_local_expire(K.eng[1], K.now);
	}
	cr_assert_fail("the wire did not settle");
}

/* The server echoes each request back once it has all of it. */
static int s_new_call(void *a, struct rxd_call *c)
{
	const void *sec;

	(void)a;
	K.new_calls++;
	K.who_index = rxd_call_security(c, &sec);
	K.who_rc = rxd_rxkad_conn_identity(sec, &K.who);
	return 0;
}
/* The reply written into lent packets (room: at crypt whole blocks behind the security header). */
static void send_lent(struct rxd_call *c, const uint8_t *d, size_t n)
{
	struct rxd_txpkt p[64];
	size_t off = 0;
	int k = rxd_call_send_space(c, p, (unsigned)((n + 1023) / 1024), K.now);

	cr_assert_geq(k, 0);
	for (int i = 0; i < k; i++) {
		if (K.min_level == RXD_RXKAD_CRYPT)
			cr_assert_eq(p[i].room % 8, 0, "crypt packets carry whole blocks");
		p[i].len = (uint32_t)(n - off < p[i].room ? n - off : p[i].room);
		memcpy(p[i].data, d + off, p[i].len);
		off += p[i].len;
	}
	cr_assert_eq(off, n, "the queue lends enough for the whole reply");
	cr_assert_eq(rxd_call_send_bufs(c, p, (unsigned)k, 0, K.now), (ssize_t)n);
}

static void s_data(void *a, struct rxd_call *c)
{
	size_t n = rxd_call_rx_avail(c);
	uint8_t *all;
	ssize_t r;
	bool eor;

	(void)a;
	/* The whole request first (the state says the client's phase ended): it goes back as one reply. */
	if (rxd_call_state(c) != RXD_CS_SERVER_ACK_REQUEST)
		return;
	all = malloc(n + 1);
	r = rxd_call_recv(c, all, n, &eor, K.now);
	cr_assert_eq(r, (ssize_t)n);
	if (K.lent_reply)
		send_lent(c, all, n);
	else
		cr_assert_eq(rxd_call_send(c, all, n, 0, K.now), (ssize_t)n);
	free(all);
}
static void s_complete(void *a, struct rxd_call *c)
{
	(void)a;
	rxd_call_end(c, K.now);
}
static void noop(void *a, struct rxd_call *c)
{
	(void)a;
	(void)c;
}
static void c_data(void *a, struct rxd_call *c)
{
	struct kcall *k = a;
	bool eor;
	for (;;) {
		if (k->got_len == k->cap) {
			k->cap = k->cap ? 2 * k->cap : 4096;
			k->got = realloc(k->got, k->cap);
		}
		ssize_t r = rxd_call_recv(c, k->got + k->got_len, k->cap - k->got_len, &eor, K.now);
		if (r <= 0)
			return;
		k->got_len += (size_t)r;
	}
}
static void c_complete(void *a, struct rxd_call *c)
{
	struct kcall *k = a;
	c_data(a, c);
	k->done = true;
}

static const struct rxd_call_ops srv_ops = {s_new_call, s_data, noop, s_complete};
static const struct rxd_call_ops cli_ops = {NULL, c_data, noop, c_complete};

static uint32_t srv_clock(void *arg)
{
	(void)arg;
	return K.srv_time;
}

static void k_log(void *user, enum rxd_log_level level, const char *msg)
{
	(void)level;
	fprintf(stderr, "eng%d: %s\n", (int)(intptr_t)user, msg);
}

static void k_engine(int i)
{
	struct rxd_local_params p = {.io = &test_io_ops, .io_ctx = &K.io[i], .seed = 11 + (uint64_t)i + K.now};
	if (K.offload) {
		p.crypto = &k_crypto;
		p.crypto_ctx = (void *)(intptr_t)i;
	}
	if (getenv("K_DEBUG")) {
		p.log = k_log;
		p.log_user = (void *)(intptr_t)i;
		p.log_level = RXD_LOG_DEBUG;
	}
	rxd_addr_parse(i ? "198.18.0.2:7000" : "198.18.0.1:7001", 0, &K.addr[i]);
	p.addr = K.addr[i];
	rxd_config_default(&K.cfg);
	if (K.big_mtu)
		K.cfg.if_mtu = 9000;
	p.config = &K.cfg;
	test_io_init(&K.io[i], &K.pool, k_tx, (void *)(intptr_t)i);
	cr_assert_eq(rxd_local_create(&p, K.now, &K.eng[i]), 0);
	cr_assert_eq(rxd_local_add_security(K.eng[i], &rxd_rxkad_class), 0);
	if (i == 1) {
		struct rxd_service_desc d = {
		    .service_id = KSVC, .ops = &srv_ops, .min_security_level = K.min_level, .security_conf = &K.srv};
		cr_assert_eq(rxd_service_register(K.eng[1], &d, NULL), 0);
	}
}

/* Server key kvno 3; the client's ticket sealed with `key` as kvno `kvno`, valid from `start`. */
static bool next_big_mtu;
static bool next_offload;
static unsigned next_batch;
static void k_setup_full(uint8_t min_level, const uint8_t key[8], uint32_t kvno, uint32_t start)
{
	struct rxd_rxkad_des_key ck;
	memset(&K, 0, sizeof(K));
	K.big_mtu = next_big_mtu;
	K.offload = next_offload;
	K.batch = next_batch;
	K.now = RXD_NS_PER_SEC;
	memcpy(K.skey.key, "\x01\x23\x45\x67\x89\xab\xcd\xef", 8);
	K.skey.kvno = 3;
	K.srv =
	    (struct rxd_rxkad_server){.open_ticket = rxd_rxkad_open_ticket_des, .arg = &K.skey, .unix_time = srv_clock};
	K.srv_time = T0;
	K.min_level = min_level;
	memcpy(ck.key, key, 8);
	ck.kvno = kvno;
	cr_assert_eq(rxd_rxkad_make_key(&K.ckey, K.tkt, sizeof(K.tkt), &ck, "tester", start, 0x1122334455667788ull), 0);
	k_engine(0);
	k_engine(1);
}

static void k_setup(uint8_t min_level)
{
	k_setup_full(min_level, (const uint8_t *)"\x01\x23\x45\x67\x89\xab\xcd\xef", 3, T0);
}

static void k_teardown(void)
{
	for (unsigned i = 0; i < K.ncli; i++) {
		if (K.cli[i].call)
			rxd_call_end(K.cli[i].call, K.now);
		free(K.cli[i].got);
	}
	K.paused = false;
	k_run(K.now + 5 * RXD_NS_PER_SEC);
	cr_assert_eq(K.njobs[0] + K.njobs[1], 0);
	cr_assert_eq(rxd_local_crypto_in_flight(K.eng[0]) + rxd_local_crypto_in_flight(K.eng[1]), 0);
	rxd_local_destroy(K.eng[0]);
	rxd_local_destroy(K.eng[1]);
	while (K.head != K.tail)
		test_io_buf_put(&K.io[0], K.q[K.head++ % KQ].buf);
	cr_assert_eq(test_io_pool_fini(&K.pool), 0, "buffers leaked");
}

static uint8_t pattern(size_t i, unsigned salt)
{
	return (uint8_t)(i * 131u + (i >> 8) + salt);
}

/* Begin a call at level with the request req[0..n), letting the wire run when the queue is full. */
static struct kcall *k_call_with(uint8_t level, const uint8_t *req, size_t n)
{
	struct kcall *k = &K.cli[K.ncli++];
	struct rxd_call_params p = {.peer = K.addr[1],
				    .service_id = KSVC,
				    .security_index = RXD_RXKAD_INDEX,
				    .security_level = level,
				    .key = &K.ckey,
				    .ops = &cli_ops,
				    .app = k};
	size_t off = 0;

	cr_assert_eq(rxd_call_begin(K.eng[0], &p, K.now, &k->call), 0);
	for (int rounds = 0; rounds < 10000; rounds++) {
		ssize_t r = rxd_call_send(k->call, req + off, n - off, 0, K.now);
		cr_assert(r >= 0, "send: %zd", r);
		off += (size_t)r;
		if (off == n)
			break;
		k_run(K.now + 10 * RXD_NS_PER_MS);
	}
	cr_assert_eq(off, n);
	return k;
}

/* A call carrying n bytes of the pattern salted with its number. */
static struct kcall *k_call(uint8_t level, size_t n)
{
	uint8_t *req = malloc(n + 1);
	struct kcall *k;

	for (size_t i = 0; i < n; i++)
		req[i] = pattern(i, K.ncli + 1);
	k = k_call_with(level, req, n);
	free(req);
	return k;
}

static void expect_echo(const struct kcall *k, size_t n, unsigned salt)
{
	cr_assert(k->done, "call not complete");
	cr_assert_eq(rxd_call_completion(k->call), RXD_CALL_SUCCEEDED, "completion %d abort %d",
		     rxd_call_completion(k->call), rxd_call_abort_code(k->call));
	cr_assert_eq(k->got_len, n, "reply %zu bytes, want %zu", k->got_len, n);
	for (size_t i = 0; i < n; i++)
		if (k->got[i] != pattern(i, salt))
			cr_assert_fail("reply byte %zu differs", i);
}

static void expect_abort(const struct kcall *k, int32_t code)
{
	cr_assert(k->done, "call not complete");
	cr_assert_neq(rxd_call_completion(k->call), RXD_CALL_SUCCEEDED);
	cr_assert_eq(rxd_call_abort_code(k->call), code, "abort %d (%s), want %d (%s)", rxd_call_abort_code(k->call),
		     rxd_rxkad_abort_name(rxd_call_abort_code(k->call)), code, rxd_rxkad_abort_name(code));
}

static struct rxd_stats stats_of(int i)
{
	struct rxd_stats s;
	memset(&s, 0, sizeof(s));
	rxd_local_stats_add(K.eng[i], &s);
	return s;
}

/* ------------------------------------------------------------------ levels and sizes */

static const size_t sizes[] = {0, 1, 1412, 1413, 65536};

static void level_round_trip(uint8_t level)
{
	k_setup(0);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kcall *k = k_call(level, sizes[i]);
		k_run(K.now + 30 * RXD_NS_PER_SEC);
		expect_echo(k, sizes[i], K.ncli);
	}
	/* One conn, challenged once, for all five calls. */
	cr_assert_eq(K.sent[RXD_PKT_CHALLENGE], 1);
	cr_assert_eq(K.sent[RXD_PKT_RESPONSE], 1);
	cr_assert_eq(K.new_calls, 5);
	/* the server learns who called from the verified ticket, and at which level */
	cr_assert_eq(K.who_index, RXD_RXKAD_INDEX);
	cr_assert_eq(K.who_rc, 0);
	cr_assert_str_eq(K.who.name, "tester");
	cr_assert_str_eq(K.who.instance, "");
	cr_assert_eq(K.who.level, level);
	cr_assert_gt(K.who.expires, 0);
	k_teardown();
}

Test(rxkad_core, clear_level_echoes_every_size)
{
	level_round_trip(RXD_RXKAD_CLEAR);
}
Test(rxkad_core, auth_level_echoes_every_size)
{
	level_round_trip(RXD_RXKAD_AUTH);
}
Test(rxkad_core, crypt_level_echoes_every_size)
{
	level_round_trip(RXD_RXKAD_CRYPT);
}

/* Replies through lent packets are secured as copied ones, inline and on a crypto engine. */
Test(rxkad_core, lent_reply_packets_are_secured_at_every_level)
{
	const uint8_t levels[] = {RXD_RXKAD_CLEAR, RXD_RXKAD_AUTH, RXD_RXKAD_CRYPT};

	for (unsigned e = 0; e < 2; e++) {
		for (unsigned l = 0; l < sizeof(levels); l++) {
			next_offload = e;
			k_setup(levels[l]);
			next_offload = false;
			K.lent_reply = true;
			for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				struct kcall *k = k_call(levels[l], sizes[i]);
				k_run(K.now + 30 * RXD_NS_PER_SEC);
				expect_echo(k, sizes[i], K.ncli);
			}
			if (e)
				cr_assert_gt(stats_of(1).crypto_jobs, 0, "the server's packets went to the engine");
			k_teardown();
		}
	}
}

/* At crypt the request's bytes never appear on the wire; at clear they do. */
static const uint8_t secret[] = "a request nobody else may read!";
static bool seen_plain;
static bool look_for_secret(int from, uint8_t *b, uint32_t *len)
{
	(void)from;
	for (uint32_t i = 0; i + sizeof(secret) - 1 <= *len; i++)
		if (memcmp(b + i, secret, sizeof(secret) - 1) == 0)
			seen_plain = true;
	return false;
}

static void secret_call(uint8_t level)
{
	struct kcall *k = k_call_with(level, secret, sizeof(secret) - 1);

	k_run(K.now + 10 * RXD_NS_PER_SEC);
	cr_assert(k->done);
	cr_assert_eq(k->got_len, sizeof(secret) - 1);
	cr_assert_eq(memcmp(k->got, secret, k->got_len), 0);
}

Test(rxkad_core, crypt_hides_the_data_and_clear_does_not)
{
	k_setup(0);
	K.filter = look_for_secret;
	seen_plain = false;
	secret_call(RXD_RXKAD_CRYPT);
	cr_assert_not(seen_plain, "plaintext on the wire at crypt");
	secret_call(RXD_RXKAD_CLEAR);
	cr_assert(seen_plain, "clear level should carry the plaintext");
	k_teardown();
}

/* Full packets: 1412 bytes of body at clear and auth (so jumbograms), 1408 at crypt (as the kernel's 1400 + 8). */
static uint32_t max_body;
static bool note_body(int from, uint8_t *b, uint32_t *len)
{
	(void)from;
	if (b[20] == RXD_PKT_DATA && !(b[21] & RXD_F_JUMBO_PACKET) && *len - RXD_WIRE_HDR_LEN > max_body)
		max_body = *len - RXD_WIRE_HDR_LEN;
	return false;
}

static void jumbo_case(uint8_t level, bool want_jumbo, uint32_t want_body)
{
	next_big_mtu = true;
	k_setup(0);
	next_big_mtu = false;
	K.filter = note_body;
	max_body = 0;
	struct kcall *k = k_call(level, 65536);
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	expect_echo(k, 65536, 1);
	struct rxd_stats s = stats_of(1), c = stats_of(0);
	if (want_jumbo) {
		cr_assert_gt(s.rx_jumbo, 0, "no jumbogram reached the server");
		cr_assert_gt(c.rx_jumbo, 0, "no jumbogram reached the client");
	} else {
		cr_assert_eq(s.rx_jumbo + c.rx_jumbo, 0);
		cr_assert_eq(max_body, want_body);
	}
	k_teardown();
}

Test(rxkad_core, jumbograms_at_clear)
{
	jumbo_case(RXD_RXKAD_CLEAR, true, 0);
}
Test(rxkad_core, jumbograms_at_auth)
{
	jumbo_case(RXD_RXKAD_AUTH, true, 0);
}
Test(rxkad_core, crypt_packets_are_whole_blocks_of_1408_without_jumbograms)
{
	jumbo_case(RXD_RXKAD_CRYPT, false, 1408);
}

/* ------------------------------------------------------------------ the handshake */

static unsigned drop_challenges;
static bool drop_some_challenges(int from, uint8_t *b, uint32_t *len)
{
	(void)from;
	(void)len;
	if (b[20] == RXD_PKT_CHALLENGE && drop_challenges) {
		drop_challenges--;
		return true;
	}
	return false;
}

Test(rxkad_core, a_lost_challenge_is_resent)
{
	k_setup(0);
	K.filter = drop_some_challenges;
	drop_challenges = 2;
	struct kcall *k = k_call(RXD_RXKAD_CRYPT, 3000);
	k_run(K.now + 60 * RXD_NS_PER_SEC);
	expect_echo(k, 3000, 1);
	cr_assert_eq(K.sent[RXD_PKT_CHALLENGE], 3);
	k_teardown();
}

static bool hold_responses;
static bool drop_responses(int from, uint8_t *b, uint32_t *len)
{
	(void)from;
	(void)len;
	return hold_responses && b[20] == RXD_PKT_RESPONSE;
}

Test(rxkad_core, calls_wait_for_the_response_then_all_run)
{
	struct kcall *k[3];
	k_setup(0);
	K.filter = drop_responses;
	hold_responses = true;
	for (unsigned i = 0; i < 3; i++)
		k[i] = k_call(RXD_RXKAD_AUTH, 100 + i);
	k_run(K.now + 500 * RXD_NS_PER_MS);
	cr_assert_geq(K.sent[RXD_PKT_RESPONSE], 1);
	cr_assert_eq(K.new_calls, 0, "a call reached the service before its conn was secured");
	cr_assert_eq(rxd_local_counts(K.eng[1]).calls, 0);
	hold_responses = false;
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	for (unsigned i = 0; i < 3; i++)
		expect_echo(k[i], 100 + i, i + 1);
	cr_assert_eq(K.new_calls, 3);
	k_teardown();
}

Test(rxkad_core, a_server_that_forgot_the_conn_challenges_again_and_the_client_answers)
{
	k_setup(0);
	struct kcall *a = k_call(RXD_RXKAD_CRYPT, 2000);
	uint32_t cid = rxd_call_cid(a->call) & ~3u;
	k_run(K.now + 5 * RXD_NS_PER_SEC);
	expect_echo(a, 2000, 1);
	/* The server restarts: a new engine on the same address knows no conns. */
	rxd_local_destroy(K.eng[1]);
	k_engine(1);
	struct kcall *b = k_call(RXD_RXKAD_CRYPT, 5000);
	cr_assert_eq(rxd_call_cid(b->call) & ~3u, cid, "the client should reuse its conn (%08x, %08x)",
		     rxd_call_cid(b->call), cid);
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	expect_echo(b, 5000, 2);
	cr_assert_eq(K.sent[RXD_PKT_CHALLENGE], 2);
	cr_assert_eq(K.sent[RXD_PKT_RESPONSE], 2);
	k_teardown();
}

/* ------------------------------------------------------------------ failures */

static void one_failing_call(uint8_t level, int32_t code)
{
	struct kcall *k = k_call(level, 500);
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	expect_abort(k, code);
	cr_assert_eq(K.new_calls, 0);
}

Test(rxkad_core, a_ticket_sealed_with_another_key_is_badticket)
{
	k_setup_full(0, (const uint8_t *)"\x10\x32\x54\x76\x98\xba\xdc\xfe", 3, T0);
	one_failing_call(RXD_RXKAD_CRYPT, RXKADBADTICKET);
	k_teardown();
}

Test(rxkad_core, an_unknown_kvno_is_unknownkey)
{
	k_setup_full(0, (const uint8_t *)"\x01\x23\x45\x67\x89\xab\xcd\xef", 9, T0);
	one_failing_call(RXD_RXKAD_AUTH, RXKADUNKNOWNKEY);
	k_teardown();
}

Test(rxkad_core, an_expired_ticket_is_expired)
{
	k_setup_full(0, (const uint8_t *)"\x01\x23\x45\x67\x89\xab\xcd\xef", 3, T0 - 2 * 24 * 3600);
	one_failing_call(RXD_RXKAD_CLEAR, RXKADEXPIRED);
	k_teardown();
}

Test(rxkad_core, a_wrong_session_key_fails_the_response_checksum)
{
	k_setup(0);
	K.ckey.session_key[3] ^= 0x40;
	one_failing_call(RXD_RXKAD_AUTH, RXKADSEALEDINCON);
	k_teardown();
}

Test(rxkad_core, a_client_below_the_minimum_refuses_the_challenge)
{
	k_setup(RXD_RXKAD_CRYPT);
	struct kcall *k = k_call(RXD_RXKAD_AUTH, 10);
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	expect_abort(k, RXKADLEVELFAIL);
	cr_assert_eq(rxd_call_completion(k->call), RXD_CALL_LOCALLY_ABORTED);
	cr_assert_eq(K.sent[RXD_PKT_RESPONSE], 0);
	k_teardown();
}

/* A RESPONSE that claims a level below the server's minimum (a client that ignores the CHALLENGE's). */
static bool forge_level;
static bool rewrite_response_level(int from, uint8_t *b, uint32_t *len)
{
	struct rxd_response r;
	struct rxd_rxkad_conn_key ck;
	struct rxd_rxkad_response_info ri;
	struct rxd_hdr h;
	int32_t ab;

	if (!forge_level || from != 0 || b[20] != RXD_PKT_RESPONSE)
		return false;
	rxd_hdr_decode(b, &h);
	cr_assert_eq(rxd_response_decode(b + RXD_WIRE_HDR_LEN, *len - RXD_WIRE_HDR_LEN, &r), 0);
	cr_assert_eq(rxd_rxkad_conn_key_init(&ck, K.ckey.session_key, h.epoch, h.cid, h.security_index, 0), 0);
	cr_assert_eq(rxd_rxkad_response_open(&ck, &r, &ri, &ab), 0);
	ri.level = RXD_RXKAD_CLEAR;
	rxd_rxkad_response_seal(&ck, &ri, &r);
	r.ticket = b + RXD_WIRE_HDR_LEN + 56;
	cr_assert_gt(rxd_response_encode(b + RXD_WIRE_HDR_LEN, *len - RXD_WIRE_HDR_LEN, &r), 0);
	return false;
}

Test(rxkad_core, a_response_below_the_minimum_level_is_levelfail)
{
	k_setup(RXD_RXKAD_AUTH);
	K.filter = rewrite_response_level;
	forge_level = true;
	one_failing_call(RXD_RXKAD_CRYPT, RXKADLEVELFAIL);
	cr_assert_eq(rxd_call_completion(K.cli[0].call), RXD_CALL_REMOTELY_ABORTED);
	k_teardown();
}

static bool truncate_response(int from, uint8_t *b, uint32_t *len)
{
	(void)from;
	if (b[20] == RXD_PKT_RESPONSE)
		*len = RXD_WIRE_HDR_LEN + 20;
	return false;
}

Test(rxkad_core, a_short_response_is_packetshort)
{
	k_setup(0);
	K.filter = truncate_response;
	one_failing_call(RXD_RXKAD_CRYPT, RXKADPACKETSHORT);
	k_teardown();
}

static bool corrupt_first_data_cksum(int from, uint8_t *b, uint32_t *len)
{
	(void)len;
	if (from == 0 && b[20] == RXD_PKT_DATA) {
		/* bytes 24-25 of the header: the checksum ("spare") field */
		uint16_t ck = (uint16_t)(b[24] << 8 | b[25]);
		ck = (uint16_t)(ck ^ 0x0100u);
		if (!ck)
			ck = 7;
		b[24] = (uint8_t)(ck >> 8);
		b[25] = (uint8_t)ck;
	}
	return false;
}

/* One call at level through a filter that damages the client's DATA; its abort code. */
static int32_t damaged_call(bool (*filter)(int, uint8_t *, uint32_t *), uint8_t level)
{
	k_setup(0);
	K.filter = filter;
	struct kcall *k = k_call(level, 300);
	k_run(K.now + 30 * RXD_NS_PER_SEC);
	cr_assert(k->done);
	cr_assert_neq(rxd_call_completion(k->call), RXD_CALL_SUCCEEDED);
	int32_t code = rxd_call_abort_code(k->call);
	k_teardown();
	return code;
}

Test(rxkad_core, a_corrupted_data_checksum_aborts_the_call_sealedincon)
{
	cr_assert_eq(damaged_call(corrupt_first_data_cksum, RXD_RXKAD_CLEAR), RXKADSEALEDINCON);
}

/* The first block holds the sealed length word; a flip elsewhere only garbles data (rxkad has no MAC). */
static bool flip_sealed_byte(int from, uint8_t *b, uint32_t *len)
{
	if (from == 0 && b[20] == RXD_PKT_DATA && *len > RXD_WIRE_HDR_LEN + 12)
		b[RXD_WIRE_HDR_LEN + 1] ^= 0x01;
	return false;
}

Test(rxkad_core, corrupted_crypt_data_aborts_the_call)
{
	int32_t code = damaged_call(flip_sealed_byte, RXD_RXKAD_CRYPT);

	/* The decrypted length word's check half no longer matches (or its length overruns). */
	cr_assert(code == RXKADSEALEDINCON || code == RXKADDATALEN, "abort %d", code);
}

Test(rxkad_core, rxnull_calls_to_a_service_with_a_minimum_level_are_refused)
{
	k_setup(RXD_RXKAD_AUTH);
	struct kcall *k = &K.cli[K.ncli++];
	struct rxd_call_params p = {.peer = K.addr[1], .service_id = KSVC, .ops = &cli_ops, .app = k};
	cr_assert_eq(rxd_call_begin(K.eng[0], &p, K.now, &k->call), 0);
	cr_assert_eq(rxd_call_send(k->call, "x", 1, 0, K.now), 1);
	k_run(K.now + 10 * RXD_NS_PER_SEC);
	expect_abort(k, RXKADLEVELFAIL);
	cr_assert_eq(K.new_calls, 0);
	k_teardown();
}

Test(rxkad_core, calls_share_a_conn_only_with_the_same_key_and_level)
{
	k_setup(0);
	struct kcall *a = k_call(RXD_RXKAD_AUTH, 10), *b = k_call(RXD_RXKAD_AUTH, 10), *c = k_call(RXD_RXKAD_CRYPT, 10);
	cr_assert_eq(rxd_call_cid(a->call) & ~3u, rxd_call_cid(b->call) & ~3u);
	cr_assert_neq(rxd_call_cid(a->call) & ~3u, rxd_call_cid(c->call) & ~3u);
	k_run(K.now + 10 * RXD_NS_PER_SEC);
	expect_echo(a, 10, 1);
	expect_echo(b, 10, 2);
	expect_echo(c, 10, 3);
	k_teardown();
}

/* A security index of 8 or more names no class: before, 10 & 7 found rxkad at 2 and the call was challenged. */
static int32_t seen_abort;
static bool note_abort(int from, uint8_t *b, uint32_t *len)
{
	if (from == 1 && b[20] == RXD_PKT_ABORT && *len >= RXD_WIRE_HDR_LEN + 4)
		seen_abort = (int32_t)rxd_get_be32(b + RXD_WIRE_HDR_LEN);
	return false;
}

Test(rxkad_core, a_security_index_above_seven_is_refused)
{
	uint8_t pkt[RXD_WIRE_HDR_LEN + 4] = {0};
	struct rxd_hdr h = {.epoch = 0x80001234u,
			    .cid = 0x40u,
			    .call_number = 1,
			    .seq = 1,
			    .serial = 1,
			    .type = RXD_PKT_DATA,
			    .flags = RXD_F_CLIENT_INITIATED | RXD_F_LAST_PACKET,
			    .security_index = 10,
			    .service_id = KSVC};

	k_setup(0);
	K.filter = note_abort;
	seen_abort = 0;
	rxd_hdr_encode(pkt, &h);
	rxd_local_input(K.eng[1], &K.addr[0], NULL, pkt, sizeof(pkt), K.now);
	k_run(K.now + RXD_NS_PER_SEC);
	cr_assert_eq(seen_abort, RX_INVALID_OPERATION);
	cr_assert_eq(K.sent[RXD_PKT_CHALLENGE], 0);
	cr_assert_eq(K.new_calls, 0);
	k_teardown();
}

/* Linux accepts no ticket issued after its own clock (rxkad_decrypt_ticket): a self-made ticket is backdated. */
Test(rxkad_core, a_self_made_ticket_is_already_valid_on_a_clock_somewhat_behind)
{
	struct rxd_rxkad_des_key sk = {.key = {1, 2, 3, 4, 5, 6, 7, 8}, .kvno = 5};
	struct rxd_rxkad_ticket t;
	struct rxd_rxkad_key k;
	uint8_t tkt[128];
	int32_t ab = 0;

	cr_assert_eq(rxd_rxkad_make_key(&k, tkt, sizeof(tkt), &sk, "someone", T0, 42), 0);
	cr_assert_eq(k.kvno, 5);
	cr_assert_eq(rxd_rxkad_ticket_decode(k.ticket, k.ticket_len, sk.key, &t, &ab), 0, "abort %d", ab);
	cr_assert_leq(t.start, T0 - 60);
	cr_assert_geq(t.end, T0 + 8 * 3600);
	cr_assert_eq(memcmp(t.session_key, k.session_key, 8), 0);
	cr_assert_str_eq(t.name, "someone");
	cr_assert_str_eq(t.sname, "afs");
	cr_assert_eq(rxd_rxkad_open_ticket_des(&sk, 5, k.ticket, k.ticket_len, T0 - 30, &t, &ab), 0);
	cr_assert_eq(rxd_rxkad_open_ticket_des(&sk, 4, k.ticket, k.ticket_len, T0, &t, &ab), -EPROTO);
	cr_assert_eq(ab, RXKADUNKNOWNKEY);
}

/* More calls than a bundle's 16 channels: the ones that wait for a channel queue their data before
 * they have a conn, and it must still get its security header. */
Test(rxkad_core, calls_waiting_for_a_channel_are_secured_too)
{
	struct kcall *k[20];
	unsigned n = 20;

	k_setup(0);
	for (unsigned i = 0; i < n; i++)
		k[i] = k_call(RXD_RXKAD_CRYPT, 3000 + i);
	k_run(K.now + 60 * RXD_NS_PER_SEC);
	for (unsigned i = 0; i < n; i++)
		expect_echo(k[i], 3000 + i, i + 1);
	k_teardown();
}

/* ------------------------------------------------------------------ crypto offload (doc/crypto-offload.md) */

/* First transmissions of each call's DATA, by direction: each must be the next seq (crypt: no jumbograms). */
struct seen_call {
	uint32_t cid, call, top;
};
static struct seen_call seen_calls[2][64];
static unsigned seen_n[2], out_of_order, first_sends;
static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static bool check_tx_order(int from, uint8_t *b, uint32_t *len)
{
	uint32_t cid = be32(b + 4), call = be32(b + 8), seq = be32(b + 12);
	unsigned i;

	(void)len;
	if (b[20] != RXD_PKT_DATA)
		return false;
	for (i = 0; i < seen_n[from]; i++)
		if (seen_calls[from][i].cid == cid && seen_calls[from][i].call == call)
			break;
	if (i == seen_n[from]) {
		cr_assert_lt(i, 64);
		seen_calls[from][seen_n[from]++] = (struct seen_call){cid, call, 0};
	}
	if (seq > seen_calls[from][i].top) {
		first_sends++;
		if (seq != seen_calls[from][i].top + 1)
			out_of_order++;
		seen_calls[from][i].top = seq;
	}
	return false;
}

static void offload_setup(int order)
{
	next_offload = true;
	k_setup(0);
	next_offload = false;
	K.order = order;
	K.shuffle = 42;
	memset(seen_n, 0, sizeof(seen_n));
	out_of_order = first_sends = 0;
}

Test(crypto_offload, crypt_calls_echo_every_size_with_jobs_finishing_in_reverse_and_leave_in_order)
{
	offload_setup(KJ_REVERSE);
	K.filter = check_tx_order;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct kcall *k = k_call(RXD_RXKAD_CRYPT, sizes[i]);
		k_run(K.now + 30 * RXD_NS_PER_SEC);
		expect_echo(k, sizes[i], K.ncli);
	}
	cr_assert_gt(K.taken, 10, "the engine took %u jobs", K.taken);
	cr_assert_geq(K.most_at_once, 4, "jobs never finished out of order");
	cr_assert_gt(first_sends, 100);
	cr_assert_eq(out_of_order, 0, "%u DATA packets left out of sequence", out_of_order);
	cr_assert_eq(stats_of(0).crypto_jobs + stats_of(1).crypto_jobs, K.taken);
	cr_assert_eq(stats_of(0).crypto_inline + stats_of(1).crypto_inline, 0, "the shard did crypto work itself");
	k_teardown();
}

Test(crypto_offload, concurrent_auth_calls_with_jumbograms_and_shuffled_jobs_echo)
{
	struct kcall *k[6];

	next_big_mtu = true;
	offload_setup(KJ_SHUFFLE);
	next_big_mtu = false;
	for (unsigned i = 0; i < 6; i++)
		k[i] = k_call(i & 1 ? RXD_RXKAD_AUTH : RXD_RXKAD_CRYPT, 50000 + 1000 * i);
	k_run(K.now + 60 * RXD_NS_PER_SEC);
	for (unsigned i = 0; i < 6; i++)
		expect_echo(k[i], 50000 + 1000 * i, i + 1);
	cr_assert_gt(stats_of(1).rx_jumbo, 0, "no jumbogram at auth");
	cr_assert_geq(K.most_at_once, 8);
	k_teardown();
}

Test(crypto_offload, a_full_engine_pushes_back_and_nothing_is_lost)
{
	struct kcall *k[3];

	offload_setup(KJ_FIFO);
	K.eng_cap = 1;
	for (unsigned i = 0; i < 3; i++)
		k[i] = k_call(RXD_RXKAD_CRYPT, 65536);
	k_run(K.now + 60 * RXD_NS_PER_SEC);
	for (unsigned i = 0; i < 3; i++)
		expect_echo(k[i], 65536, i + 1);
	cr_assert_gt(K.refused, 0, "the engine never refused a job");
	cr_assert_eq(stats_of(0).tx_data_retrans + stats_of(1).tx_data_retrans, 0, "back-pressure lost packets");
	cr_assert_eq(stats_of(0).discards[RXD_R_SECURITY] + stats_of(1).discards[RXD_R_SECURITY], 0);
	k_teardown();
}

/* The call ends and its conn is freed while the engine still holds its jobs: they come back to
 * nothing, the security state lives until then (AddressSanitizer checks the reads), no buffer leaks. */
Test(crypto_offload, a_conn_freed_with_jobs_in_flight_lets_them_finish)
{
	struct kcall *k;

	offload_setup(KJ_FIFO);
	K.paused = true;
	k = k_call(RXD_RXKAD_CRYPT, 5000);
	cr_assert_gt(K.njobs[0], 0, "the request was not handed to the engine");
	cr_assert_eq(K.sent[RXD_PKT_DATA], 0, "DATA left before it was secured");
	rxd_call_abort(k->call, 1234, K.now);
	rxd_call_end(k->call, K.now);
	k->call = NULL;
	k_run(K.now + 300 * RXD_NS_PER_SEC);
	cr_assert_eq(rxd_local_counts(K.eng[0]).conns, 0, "the conn was not freed");
	cr_assert_eq(rxd_local_crypto_in_flight(K.eng[0]), K.njobs[0]);
	K.paused = false;
	k_run(K.now + RXD_NS_PER_SEC);
	cr_assert_eq(rxd_local_crypto_in_flight(K.eng[0]), 0);
	cr_assert_eq(K.sent[RXD_PKT_DATA], 0, "a finished job of a dead call sent DATA");
	k_teardown();
}

Test(crypto_offload, corrupted_crypt_data_aborts_the_call_once_verified)
{
	int32_t code;

	next_offload = true;
	code = damaged_call(flip_sealed_byte, RXD_RXKAD_CRYPT);
	next_offload = false;
	cr_assert(code == RXKADSEALEDINCON || code == RXKADDATALEN, "abort %d", code);
}

/* No engine: a receive batch's packets are stored, then verified together when the batch ends. */
Test(crypto_offload, inline_crypt_in_receive_batches_verifies_when_the_batch_ends)
{
	struct kcall *k[4];

	next_batch = 16;
	k_setup(0);
	next_batch = 0;
	K.filter = check_tx_order;
	memset(seen_n, 0, sizeof(seen_n));
	out_of_order = first_sends = 0;
	for (unsigned i = 0; i < 4; i++)
		k[i] = k_call(RXD_RXKAD_CRYPT, 100000 + 1000 * i);
	k_run(K.now + 60 * RXD_NS_PER_SEC);
	for (unsigned i = 0; i < 4; i++)
		expect_echo(k[i], 100000 + 1000 * i, i + 1);
	cr_assert_eq(out_of_order, 0);
	cr_assert_eq(stats_of(0).crypto_jobs + stats_of(1).crypto_jobs, 0, "no engine, yet jobs counted");
	k_teardown();
}

Test(crypto_offload, corrupted_crypt_data_in_a_receive_batch_aborts_the_call)
{
	int32_t code;

	next_batch = 16;
	code = damaged_call(flip_sealed_byte, RXD_RXKAD_CRYPT);
	next_batch = 0;
	cr_assert(code == RXKADSEALEDINCON || code == RXKADDATALEN, "abort %d", code);
}
