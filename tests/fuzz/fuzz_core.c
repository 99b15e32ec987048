/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the core's packet input with live connection and call state.
 *
 * One shard with services (auto-accepting 147, charged 148, 150 upgraded
 * from 147), a test security class (index 2) and five client calls in flight
 * to four peers (IPv4, IPv6, an exclusive, an upgrade probe, a secured one)
 * is driven by a sequence of records taken
 * from the input.  A record is
 *
 *   op(1) arg(1) len(2, big-endian) body[len]
 *
 * where op & 3 picks the source address and op >> 2 the action (FZ_*
 * below): deliver the body as a datagram as it is, or with its epoch, cid
 * and callNumber taken from one of the live calls or from a packet the shard
 * sent (so it reaches that conversation's state; arg bit 7 hands it over as
 * transient data without a buffer), advance the clock and run
 * the expiries, act as the application (send, read, end, abort, begin,
 * reject, timeouts), report an ICMP error, bracket a batch, shut down.
 *
 * Checked on the way: every datagram the shard sends passes the shard's own
 * validator, the pools stay within their configured bounds, a completed
 * call is in state COMPLETE, nothing is sent after destruction, and after
 * rxd_local_destroy() every buffer the shard took has been released
 * (LeakSanitizer checks the rest).  tests/fuzz/gen_corpus.py writes seeds in this format from the real
 * OpenAFS capture in tests/data.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "fuzz.h"
#include "test_io.h"

enum {
	FZ_RAW = 0,  /* body as it is */
	FZ_TO_CALL,  /* body with epoch/cid/callNumber/service of live call arg */
	FZ_REPLY,    /* body with epoch/cid/callNumber/service of sent packet arg, direction flipped */
	FZ_TIME,     /* advance the clock by arg (log scale) and run expiries */
	FZ_APP,	     /* application action arg on call body[0] */
	FZ_ICMP,     /* ICMP error arg from the source */
	FZ_BATCH,    /* open or close a receive batch */
	FZ_SHUTDOWN, /* graceful shutdown (once), or charge service 148 */
};

#define FZ_MAX_CALLS 32u
#define FZ_SENT_RING 16u
#define FZ_MAX_RECORDS 1024u
#define FZ_CFG_CALLS 48u
#define FZ_CFG_CONNS 16u
#define FZ_CFG_PEERS 8u

struct fz_call {
	struct rxd_call *c;
	size_t reply_left; /* server: reply bytes still to queue */
	bool replying;
};

struct fz {
	struct rxd_local *l;
	uint64_t now;
	struct test_io_pool pool;
	struct test_io io;
	bool destroyed;
	bool reject_next;
	unsigned batch;
	struct fz_call calls[FZ_MAX_CALLS];
	struct {
		struct rxd_hdr h;
		struct rxd_addr to;
	} sent[FZ_SENT_RING];
	unsigned nsent;
	struct rxd_service *charged;
};

static struct fz F;

static const uint8_t pattern[8192] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void fz_violation(void *arg, const char *what)
{
	(void)arg;
	FZ_CHECK(0, "I/O contract: %s", what);
}

/*
 * Everything the shard sends (test_io hands over one datagram) must pass its
 * own validator.
 */
static int fz_tx(void *arg, const struct rxd_addr *dst, struct rxd_buf *b, uint32_t len, unsigned flags)
{
	static struct rxd_pkt pkt;
	const uint8_t *d = b->data;
	enum rxd_reason why;
	int32_t code;

	(void)arg;
	(void)flags;
	FZ_CHECK(!F.destroyed, "send after destroy");
	/*
	 * The validator judges what a shard may receive: VERSION and DEBUG
	 * replies are not for it (VERSION also goes out as the NAT keepalive
	 * request); every other packet the shard sends it must accept.
	 */
	if (d[20] == RXD_PKT_DEBUG)
		FZ_CHECK(!(d[21] & RXD_F_CLIENT_INITIATED), "DEBUG reply marked as a request");
	else if (d[20] != RXD_PKT_VERSION)
		FZ_CHECK(rxd_pkt_parse(d, len, 0, &pkt, &why, &code) == RXD_V_ACCEPT,
			 "shard sent a packet it rejects: %s (type %u)", rxd_reason_name(why), d[20]);
	rxd_hdr_decode(d, &pkt.hdr);
	F.sent[F.nsent % FZ_SENT_RING].h = pkt.hdr;
	F.sent[F.nsent % FZ_SENT_RING].to = *dst;
	F.nsent++;
	test_io_buf_drop(&F.pool, b);
	return 0;
}

static struct fz_call *find(struct rxd_call *c)
{
	for (unsigned i = 0; i < FZ_MAX_CALLS; i++)
		if (F.calls[i].c == c)
			return &F.calls[i];
	return NULL;
}

static struct fz_call *track(struct rxd_call *c)
{
	struct fz_call *s = find(NULL);

	if (s) {
		memset(s, 0, sizeof(*s));
		s->c = c;
	}
	return s;
}

static void app_writable(void *app, struct rxd_call *c)
{
	struct fz_call *s = find(c);

	(void)app;
	while (s && s->replying) {
		size_t n = s->reply_left < sizeof(pattern) ? s->reply_left : sizeof(pattern);
		bool last = n == s->reply_left;
		ssize_t k = rxd_call_send(c, pattern, n, last ? 0 : RXD_SEND_MORE, F.now);

		if (k < 0) {
			s->replying = false;
			break;
		}
		s->reply_left -= (size_t)k;
		if ((size_t)k < n)
			break;
		if (last)
			s->replying = false;
	}
}

static void drain(struct rxd_call *c)
{
	uint8_t tmp[4096];
	bool eor = false;
	struct fz_call *s;

	while (rxd_call_recv(c, tmp, sizeof(tmp), &eor, F.now) > 0)
		;
	s = find(c);
	if (eor && s && !rxd_call_is_client(c) && rxd_call_state(c) == RXD_CS_SERVER_ACK_REQUEST && !s->replying) {
		s->replying = true;
		s->reply_left = (size_t)(rxd_call_cid(c) & 0x3fff); /* some 0 .. 16 KiB reply */
		app_writable(NULL, c);
	}
}

static void app_data(void *app, struct rxd_call *c)
{
	(void)app;
	drain(c);
}

static void app_complete(void *app, struct rxd_call *c)
{
	struct fz_call *s = find(c);

	(void)app;
	FZ_CHECK(rxd_call_state(c) == RXD_CS_COMPLETE, "complete notified in state %s",
		 rxd_call_state_name(rxd_call_state(c)));
	if (s)
		s->c = NULL;
	rxd_call_end(c, F.now);
}

static int app_new_call(void *app, struct rxd_call *c)
{
	(void)app;
	if (F.reject_next || !track(c)) {
		F.reject_next = false;
		rxd_call_reject(c, F.now);
		return 1;
	}
	return 0;
}

static const struct rxd_call_ops fz_ops = {app_new_call, app_data, app_writable, app_complete};

/*
 * A test security class at index 2, so the core's security hooks run: each
 * DATA subpacket starts with a 4-byte header (the overhead the core reserves
 * at the front) holding its seq; a CHALLENGE of at least 8 bytes is answered
 * with 8, a RESPONSE is good if it starts with a non-zero byte.  Per-conn
 * state is a heap block (LeakSanitizer checks that every conn frees it).
 */
#define FZ_SEC_INDEX 2u

static uint32_t sec_overhead(const void *conn_sec, uint8_t level)
{
	(void)conn_sec;
	(void)level;
	return 4u;
}

static int sec_init(void **conn_sec, const struct rxd_sec_conn_info *ci, const void *key, uint8_t level, bool is_client)
{
	(void)ci;
	(void)key;
	(void)level;
	(void)is_client;
	*conn_sec = malloc(16);
	return *conn_sec ? 0 : -ENOMEM;
}

static int32_t sec_secure(void *conn_sec, struct rxd_sec_pkt *p, unsigned n)
{
	(void)conn_sec;
	for (unsigned i = 0; i < n; i++) {
		if (p[i].len < 4)
			return RXKADDATALEN;
		rxd_put_be32(p[i].body, p[i].seq);
	}
	return 0;
}

static unsigned sec_verify(void *conn_sec, struct rxd_sec_pkt *p, unsigned n)
{
	unsigned bad = 0;
	(void)conn_sec;
	for (unsigned i = 0; i < n; i++) {
		p[i].abort = p[i].len < 4			   ? RXKADPACKETSHORT
			     : rxd_get_be32(p[i].body) != p[i].seq ? RXKADSEALEDINCON
								   : 0;
		p[i].data_off = 4;
		p[i].data_len = p[i].abort ? 0 : p[i].len - 4;
		bad += p[i].abort != 0;
	}
	return bad;
}

static size_t sec_challenge(void *conn_sec, const struct rxd_sec_conn_info *ci, uint8_t *body, size_t cap)
{
	(void)conn_sec;
	(void)ci;
	if (cap < 8)
		return 0;
	memset(body, 1, 8);
	return 8;
}

static size_t sec_respond(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *challenge, size_t len,
			  uint8_t *body, size_t cap, int32_t *abort_code)
{
	(void)conn_sec;
	(void)ci;
	if (len < 8 || cap < 8) {
		*abort_code = RXKADPACKETSHORT;
		return 0;
	}
	memcpy(body, challenge, 8);
	return 8;
}

static int32_t sec_verify_response(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *response,
				   size_t len)
{
	(void)conn_sec;
	(void)ci;
	return len && response[0] ? 0 : RXKADBADTICKET;
}

static const struct rxd_security_class fz_sec = {
    .index = FZ_SEC_INDEX,
    .name = "fuzz",
    .packet_overhead = sec_overhead,
    .init_conn = sec_init,
    .free_conn = free,
    .secure = sec_secure,
    .verify = sec_verify,
    .issue_challenge = sec_challenge,
    .respond = sec_respond,
    .verify_response = sec_verify_response,
};

static const char *const peers[4] = {"10.0.0.2:7009", "10.0.0.3:7009", "[fd00::2]:7009", "10.0.0.2:7010"};

static void begin(unsigned peer, uint16_t svc, bool exclusive, bool upgrade, size_t req, bool more, bool secure)
{
	struct rxd_call_params p = {0};
	struct rxd_call *c;

	rxd_addr_parse(peers[peer & 3], 7000, &p.peer);
	p.service_id = svc;
	p.security_index = secure ? FZ_SEC_INDEX : 0;
	p.security_level = secure;
	p.exclusive = exclusive;
	p.upgrade = upgrade;
	p.tx_total_len = more ? -1 : (int64_t)req;
	p.ops = &fz_ops;
	if (rxd_call_begin(F.l, &p, F.now, &c) != 0)
		return;
	if (!track(c)) {
		rxd_call_end(c, F.now);
		return;
	}
	rxd_call_send(c, pattern, req, more ? RXD_SEND_MORE : 0, F.now);
}

static int setup(void)
{
	struct rxd_local_params p = {0};
	struct rxd_config cfg;
	struct rxd_service_desc d = {.service_id = 147, .ops = &fz_ops, .security_conf = &fz_sec};

	memset(&F, 0, sizeof(F));
	F.now = 1000 * RXD_NS_PER_SEC;
	rxd_config_default(&cfg);
	/* small pools and backlog so exhaustion paths are reachable */
	cfg.max_calls = FZ_CFG_CALLS;
	cfg.max_conns = FZ_CFG_CONNS;
	cfg.max_peers = FZ_CFG_PEERS;
	cfg.max_backlog = 4;
	rxd_addr_parse("10.0.0.1:7000", 0, &p.addr);
	p.config = &cfg;
	F.pool.on_violation = fz_violation;
	test_io_init(&F.io, &F.pool, fz_tx, NULL);
	p.io = &test_io_ops;
	p.io_ctx = &F.io;
	p.seed = 0x5eed;
	if (rxd_local_create(&p, F.now, &F.l) != 0 || rxd_local_add_security(F.l, &fz_sec) != 0)
		return -1;
	if (rxd_service_register(F.l, &d, NULL))
		return -1;
	d.service_id = 148;
	d.needs_charge = true;
	if (rxd_service_register(F.l, &d, &F.charged))
		return -1;
	rxd_service_charge(F.charged, 1);
	rxd_service_charge(F.charged, 2);
	d.service_id = 150;
	d.needs_charge = false;
	d.upgrade_from = 147;
	if (rxd_service_register(F.l, &d, NULL))
		return -1;
	begin(0, 147, false, false, 100, false, false);
	begin(0, 147, false, false, 6000, false, false);
	begin(2, 147, true, false, 3000, true, false);
	begin(1, 147, false, true, 0, false, false);
	begin(3, 147, false, false, 2000, false, true);
	return 0;
}

static void run_timers(void)
{
	for (unsigned i = 0; i < 4096 && rxd_local_next_expiry(F.l) <= F.now; i++)
		rxd_local_expire(F.l, F.now);
}

static struct fz_call *pick(unsigned k)
{
	unsigned live = 0, i;

	for (i = 0; i < FZ_MAX_CALLS; i++)
		live += F.calls[i].c != NULL;
	if (!live)
		return NULL;
	k %= live;
	for (i = 0; i < FZ_MAX_CALLS; i++)
		if (F.calls[i].c && k-- == 0)
			return &F.calls[i];
	return NULL;
}

/*
 * Overwrite the connection and call identity of a datagram (at least a header
 * long).  The datagram's own callNumber n says which call of the conn: 0 the
 * connection itself, 1 the call, 2.. later calls on its channel, n >= 256
 * taken as it is.
 */
static void patch(uint8_t *d, uint32_t epoch, uint32_t cid, uint32_t call, uint16_t svc, bool from_client)
{
	uint32_t n = rxd_get_be32(d + 8);

	rxd_put_be32(d, epoch);
	rxd_put_be32(d + 4, cid);
	if (n && n < 256)
		rxd_put_be32(d + 8, call + n - 1);
	d[21] = (uint8_t)((d[21] & ~RXD_F_CLIENT_INITIATED) | (from_client ? RXD_F_CLIENT_INITIATED : 0));
	rxd_put_be16(d + 26, svc);
}

static void deliver(unsigned kind, unsigned src, unsigned arg, const uint8_t *body, size_t len)
{
	struct rxd_addr from;
	struct rxd_buf *b;
	uint8_t *d;
	size_t n = len;

	rxd_addr_parse(peers[src], 7000, &from);
	if (kind != FZ_RAW && n < RXD_WIRE_HDR_LEN)
		n = RXD_WIRE_HDR_LEN;
	/* a buffer of the exact size, so reads beyond the datagram are caught */
	b = test_io_buf_new(&F.pool, n);
	if (!b)
		return;
	d = b->data;
	memset(d, 0, n);
	memcpy(d, body, len);
	if (kind == FZ_TO_CALL) {
		struct fz_call *s = pick(arg & 0x7f);
		if (s) {
			bool client = rxd_call_is_client(s->c);
			rxd_call_peer(s->c, &from);
			patch(d, client ? rxd_local_epoch(F.l) : rxd_get_be32(d), rxd_call_cid(s->c),
			      rxd_call_number(s->c), rxd_call_service_id(s->c), !client);
		}
	} else if (kind == FZ_REPLY && F.nsent) {
		unsigned k = F.nsent - 1 - (arg & 0x7f) % (F.nsent < FZ_SENT_RING ? F.nsent : FZ_SENT_RING);
		const struct rxd_hdr *h = &F.sent[k % FZ_SENT_RING].h;
		from = F.sent[k % FZ_SENT_RING].to;
		patch(d, h->epoch, h->cid, h->call_number, h->service_id, !rxd_hdr_from_client(h));
		d[24] = h->security_index;
	}
	if (arg & 0x80) {
		/* transient input (no buffer): the core copies what it keeps */
		rxd_local_input(F.l, &from, NULL, d, n, F.now);
		test_io_buf_drop(&F.pool, b);
	} else {
		rxd_local_input(F.l, &from, b, d, n, F.now);
	}
	F.now += 1000;
}

static void app_action(unsigned arg, const uint8_t *body, size_t len)
{
	struct fz_call *s = pick(len ? body[0] : 0);
	size_t n = len > 1 ? (size_t)body[1] << 5 : 0; /* < sizeof(pattern) */

	switch (arg % 12) {
	case 0:
		if (s)
			rxd_call_send(s->c, pattern, n, (arg & 0x10) ? RXD_SEND_MORE : 0, F.now);
		break;
	case 1:
		if (s)
			drain(s->c);
		break;
	case 2:
		if (s) {
			struct rxd_call *c = s->c;
			s->c = NULL;
			rxd_call_end(c, F.now);
		}
		break;
	case 3:
		if (s)
			rxd_call_abort(s->c, (int32_t)(len > 5 ? rxd_get_be32(body + 2) : 1234), F.now);
		break;
	case 4:
		begin(len ? body[0] : 0, len > 2 ? (uint16_t)(147 + body[2] % 5) : 147, arg & 0x10, arg & 0x20, n,
		      arg & 0x40, arg & 0x80);
		break;
	case 5:
		F.reject_next = true;
		break;
	case 6:
		if (s) {
			struct rxd_call_timeouts t = {.hard_ms = len > 2 ? body[2] * 1000u : 0,
						      .idle_request_ms = len > 3 ? body[3] * 10u : 0,
						      .expect_rx_ms = len > 4 ? body[4] * 10u : 0};
			rxd_call_set_timeouts(s->c, &t, F.now);
		}
		break;
	case 7:
		if (s && !rxd_call_is_client(s->c)) {
			struct rxd_call *c = s->c;
			s->c = NULL;
			rxd_call_reject(c, F.now);
		}
		break;
	case 8:
		if (s) {
			struct rxd_seg segs[8];
			bool eor;
			unsigned k = rxd_call_peek(s->c, segs, 8, &eor);
			size_t avail = 0;
			for (unsigned i = 0; i < k; i++)
				avail += segs[i].len;
			FZ_CHECK(avail <= rxd_call_rx_avail(s->c), "peeked %zu bytes, %zu available", avail,
				 rxd_call_rx_avail(s->c));
			rxd_call_consume(s->c, n < avail ? n : avail, F.now);
		}
		break;
	case 9:
		if (s)
			rxd_call_set_user_id(s->c, rxd_call_user_id(s->c) + 1);
		(void)(s ? rxd_call_srtt_ns(s->c) : 0);
		break;
	case 10:
		rxd_service_charge(F.charged, arg);
		break;
	default: {
		struct rxd_stats st;
		memset(&st, 0, sizeof(st));
		rxd_local_stats_add(F.l, &st);
		break;
	}
	}
}

static void icmp(unsigned src, unsigned arg, const uint8_t *body, size_t len)
{
	static const int errs[4] = {-EHOSTUNREACH, -ENETUNREACH, -ECONNREFUSED, -EMSGSIZE};
	struct rxd_addr from;

	rxd_addr_parse(peers[src], 7000, &from);
	rxd_local_input_error(F.l, &from, errs[arg & 3], len >= 2 ? rxd_get_be16(body) : 0, F.now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned records = 0;
	bool shut = false;

	if (setup() != 0) {
		rxd_local_destroy(F.l);
		return 0;
	}
	while (size >= 4 && records++ < FZ_MAX_RECORDS) {
		unsigned op = data[0], arg = data[1];
		size_t len = rxd_get_be16(data + 2);

		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		switch ((op >> 2) & 7) {
		case FZ_RAW:
		case FZ_TO_CALL:
		case FZ_REPLY:
			deliver((op >> 2) & 7, op & 3, arg, data, len);
			break;
		case FZ_TIME:
			F.now += ((uint64_t)(arg & 0x3f) + 1) << (10 + 6 * (arg >> 6));
			run_timers();
			break;
		case FZ_APP:
			app_action(arg, data, len);
			break;
		case FZ_ICMP:
			icmp(op & 3, arg, data, len);
			break;
		case FZ_BATCH:
			if ((arg & 1) && F.batch < 4) {
				rxd_local_batch_begin(F.l, F.now);
				F.batch++;
			} else if (F.batch) {
				rxd_local_batch_end(F.l, F.now);
				F.batch--;
			}
			break;
		default:
			if (!shut && (arg & 1)) {
				rxd_local_shutdown(F.l, F.now);
				shut = true;
			} else {
				rxd_service_charge(F.charged, arg);
			}
			break;
		}
		data += len;
		size -= len;
		if (rxd_local_next_expiry(F.l) <= F.now)
			run_timers();
		FZ_CHECK(rxd_local_counts(F.l).calls <= FZ_CFG_CALLS && rxd_local_counts(F.l).conns <= FZ_CFG_CONNS &&
			     rxd_local_counts(F.l).peers <= FZ_CFG_PEERS,
			 "pools beyond their bounds: %u calls, %u conns, %u peers", rxd_local_counts(F.l).calls,
			 rxd_local_counts(F.l).conns, rxd_local_counts(F.l).peers);
	}
	while (F.batch--)
		rxd_local_batch_end(F.l, F.now);
	rxd_local_destroy(F.l);
	F.destroyed = true;
	FZ_CHECK(test_io_pool_fini(&F.pool) == 0, "buffers still referenced after destroy");
	return 0;
}
