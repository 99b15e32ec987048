/* SPDX-License-Identifier: MIT */
/*
 * rxd-udp: the rxd core behind a plain kernel UDP socket (the "plain
 * UDP-socket shell" of the design).  It checks the protocol core against
 * independent peers (OpenAFS rx, rxdebug) without DPDK, and gives the
 * benchmark a kernel-socket rxd to put beside OpenAFS on the same path.
 *
 *   rxd-udp server [-a ADDR] [-p PORT] [-d SECONDS] [--set name=value]...
 *   rxd-udp client -a ADDR [-p PORT] -c rpc|send|recv -S BYTES -R BYTES
 *                  [-T CALLS | -d SECONDS] [-t CONCURRENCY] [--cookie] [--json]
 *
 * One thread, one shard: recvmmsg bursts in, the core, sendmsg out (the
 * core's iovec goes straight to the kernel), poll() until the next expiry.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rxd/core.h>

#include "rxd_loadgen.h"
#include "rxd_result.h"
#include "rxd_rxperf.h"
#include "test_io.h"

#define BURST 32
#define BUFSZ 65536

static int sock = -1;
static volatile sig_atomic_t stop;
/* Heap buffers from the tests' io double; send() is sendmsg() on the core's own iovec. */
static struct test_io_pool pool;
static struct test_io uio = {.pool = &pool};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * RXD_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t clock_cb(void *arg)
{
	(void)arg;
	return now_ns();
}

static void to_sockaddr(const struct rxd_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == RXD_AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(a->port);
		memcpy(&s4->sin_addr, a->ip.v4, 4);
		*len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(a->port);
		memcpy(&s6->sin6_addr, a->ip.v6, 16);
		*len = sizeof(*s6);
	}
}

static int u_send(void *io, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n, unsigned flags)
{
	(void)io;
	struct sockaddr_storage ss;
	struct iovec v[1 + 2 * RXD_MAX_JUMBO];
	struct msghdr mh = {0};
	socklen_t sl;

	(void)flags;
	to_sockaddr(dst, &ss, &sl);
	for (unsigned i = 0; i < n; i++) {
		v[i].iov_base = (void *)(uintptr_t)iov[i].base;
		v[i].iov_len = iov[i].len;
	}
	mh.msg_name = &ss;
	mh.msg_namelen = sl;
	mh.msg_iov = v;
	mh.msg_iovlen = n;
	if (sendmsg(sock, &mh, 0) < 0)
		return -errno;
	return 0;
}

static const struct rxd_io_ops uops = {test_io_buf_alloc, test_io_buf_ref, test_io_buf_put, u_send};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rxd-udp server [-a ADDR] [-p PORT] [-d SECONDS] [--set name=value]...\n"
		"       rxd-udp client -a ADDR [-p PORT] -c rpc|send|recv -S BYTES -R BYTES [-T CALLS | -d SECONDS]\n"
		"                      [-t CONCURRENCY] [--cookie] [--json]\n");
	exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || !*s) {
		fprintf(stderr, "rxd-udp: %s: not a number: '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

/*
 * Receive a burst and feed it to the core; returns datagrams read.  Datagrams
 * land in a static receive area and go to the core as transient input: the
 * core copies only the DATA it keeps, into a buffer of the datagram's size
 * (no 64 KiB allocation per datagram, which MALLOC_PERTURB_ made very slow).
 */
static unsigned rx_burst(struct rxd_local *l)
{
	static uint8_t area[BURST][BUFSZ];
	struct mmsghdr mm[BURST];
	struct iovec v[BURST];
	struct sockaddr_storage ss[BURST];
	int n;

	for (unsigned i = 0; i < BURST; i++) {
		v[i].iov_base = area[i];
		v[i].iov_len = BUFSZ;
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &v[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &ss[i];
		mm[i].msg_hdr.msg_namelen = sizeof(ss[i]);
	}
	n = recvmmsg(sock, mm, BURST, MSG_DONTWAIT, NULL);
	if (n > 0) /* one batch per burst, as the DPDK shell does: a call's ACK covers the burst */
		rxd_local_batch_begin(l, now_ns());
	for (int i = 0; i < (n > 0 ? n : 0); i++) {
		struct rxd_addr from = {0};
		if (ss[i].ss_family == AF_INET) {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss[i];
			from.family = RXD_AF_INET;
			from.port = ntohs(s4->sin_port);
			memcpy(from.ip.v4, &s4->sin_addr, 4);
		} else {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss[i];
			from.family = RXD_AF_INET6;
			from.port = ntohs(s6->sin6_port);
			memcpy(from.ip.v6, &s6->sin6_addr, 16);
		}
		rxd_local_input(l, &from, NULL, area[i], mm[i].msg_len, now_ns());
	}
	if (n > 0)
		rxd_local_batch_end(l, now_ns());
	return n > 0 ? (unsigned)n : 0;
}

static void run_loop(struct rxd_local *l, struct rxd_loadgen *g, uint64_t deadline)
{
	struct pollfd pfd = {.fd = sock, .events = POLLIN};

	while (!stop) {
		uint64_t now = now_ns(), next;
		int timeout_ms;

		if (deadline && now >= deadline)
			break;
		if (g) {
			rxd_loadgen_poll(g, l, now);
			if (rxd_loadgen_done(g))
				break;
		}
		if (rx_burst(l) == BURST)
			continue;
		if (g) /* completions just delivered may let new calls begin: do that before sleeping */
			rxd_loadgen_poll(g, l, now_ns());
		now = now_ns();
		next = rxd_local_next_expiry(l);
		if (next <= now) {
			rxd_local_expire(l, now);
			continue;
		}
		timeout_ms = next == RXD_TIME_NEVER ? 100 : (int)((next - now) / RXD_NS_PER_MS);
		if (timeout_ms > 100)
			timeout_ms = 100;
		poll(&pfd, 1, timeout_ms);
		if (rxd_local_next_expiry(l) <= now_ns())
			rxd_local_expire(l, now_ns());
	}
}

int main(int argc, char **argv)
{
	enum { OPT_SET = 256, OPT_COOKIE, OPT_JSON };
	static const struct option lopts[] = {
	    {"set", required_argument, NULL, OPT_SET},
	    {"cookie", no_argument, NULL, OPT_COOKIE},
	    {"json", no_argument, NULL, OPT_JSON},
	    {NULL, 0, NULL, 0},
	};
	struct rxd_config cfg;
	struct rxd_local_params lp = {0};
	struct rxd_local *l;
	const char *addr = NULL, *cmd = "rpc";
	uint16_t port = RXD_RXPERF_PORT;
	uint64_t secs = 0, calls = 0, sbytes = 0, rbytes = 0;
	unsigned conc = 1;
	bool server, cookie = false, json = false;
	char err[160];
	int opt;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		server = true;
	else if (!strcmp(argv[1], "client"))
		server = false;
	else
		usage();
	rxd_config_default(&cfg);
	/* Through a kernel socket the IP layer fragments, as OpenAFS expects for its jumbograms:
	 * only the peers' advertised sizes bound the datagrams (override with --set if_mtu=1500). */
	cfg.if_mtu = 65535;
	optind = 2;
	while ((opt = getopt_long(argc, argv, "a:p:d:c:S:R:T:t:", lopts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (uint16_t)parse_u64("-p", optarg);
			break;
		case 'd':
			secs = parse_u64("-d", optarg);
			break;
		case 'c':
			cmd = optarg;
			break;
		case 'S':
			sbytes = parse_u64("-S", optarg);
			break;
		case 'R':
			rbytes = parse_u64("-R", optarg);
			break;
		case 'T':
			calls = parse_u64("-T", optarg);
			break;
		case 't':
			conc = (unsigned)parse_u64("-t", optarg);
			break;
		case OPT_SET: {
			char *eq = strchr(optarg, '=');
			if (!eq) {
				fprintf(stderr, "rxd-udp: --set %s: expected name=value\n", optarg);
				return 2;
			}
			*eq = 0;
			if (rxd_config_set(&cfg, optarg, eq + 1, err, sizeof(err)) < 0) {
				fprintf(stderr, "rxd-udp: %s\n", err);
				return 2;
			}
			break;
		}
		case OPT_COOKIE:
			cookie = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		default:
			usage();
		}
	}
	if (rxd_config_validate(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "rxd-udp: %s\n", err);
		return 2;
	}

	/* Socket: the server binds PORT; the client binds an ephemeral port. */
	struct rxd_addr peer = {0}, me = {0};
	if (!server) {
		if (!addr || rxd_addr_parse(addr, port, &peer) < 0) {
			fprintf(stderr, "rxd-udp: client needs -a ADDR (got '%s')\n", addr ? addr : "");
			return 2;
		}
		if (!calls && !secs)
			calls = 1000;
	} else if (addr && rxd_addr_parse(addr, port, &me) < 0) {
		fprintf(stderr, "rxd-udp: -a %s: not an address\n", addr);
		return 2;
	}
	int fam = (server ? (addr ? me.family : RXD_AF_INET) : peer.family) == RXD_AF_INET6 ? AF_INET6 : AF_INET;
	sock = socket(fam, SOCK_DGRAM, 0);
	if (sock < 0) {
		perror("rxd-udp: socket");
		return 1;
	}
	int big = 4 << 20;
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (server) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (!addr) {
			me.family = RXD_AF_INET;
			me.port = port;
		}
		to_sockaddr(&me, &ss, &sl);
		if (bind(sock, (struct sockaddr *)&ss, sl) < 0) {
			fprintf(stderr, "rxd-udp: bind port %u: %s\n", port, strerror(errno));
			return 1;
		}
	} else {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct rxd_addr any = {.family = peer.family};
		to_sockaddr(&any, &ss, &sl);
		if (bind(sock, (struct sockaddr *)&ss, sl) < 0 || getsockname(sock, (struct sockaddr *)&ss, &sl) < 0) {
			perror("rxd-udp: bind");
			return 1;
		}
		me = any;
		me.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* UDP datagrams may be up to 64 KiB through the kernel (it fragments). */
	lp.addr = me;
	lp.config = &cfg;
	lp.io = &uops;
	lp.io_ctx = &uio;
	lp.seed = now_ns() ^ (uint64_t)getpid() << 32;
	if (rxd_local_create(&lp, now_ns(), &l) < 0) {
		fprintf(stderr, "rxd-udp: cannot create the local endpoint\n");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if (server) {
		struct rxd_rxperf_server_params sp;
		struct rxd_rxperf_server *rs;
		struct rxd_service_desc d;
		int e;
		rxd_rxperf_server_params_default(&sp);
		sp.max_calls = cfg.max_calls;
		rs = rxd_rxperf_server_create(&sp, clock_cb, NULL);
		if (!rs) {
			fprintf(stderr, "rxd-udp: out of memory for the rxperf server\n");
			return 1;
		}
		rxd_rxperf_server_desc(rs, RXD_RXPERF_SERVICE, &d);
		e = rxd_service_register(l, &d, NULL);
		if (e) {
			fprintf(stderr, "rxd-udp: service register: %s\n", strerror(-e));
			return 1;
		}
		fprintf(stderr, "rxd-udp: rxperf server on port %u (epoch %08x)\n", port, rxd_local_epoch(l));
		run_loop(l, NULL, secs ? now_ns() + secs * RXD_NS_PER_SEC : 0);
		rxd_rxperf_server_abort_all(rs, RX_RESTARTING, now_ns());
		const struct rxd_rxperf_server_stats *st = rxd_rxperf_server_stats(rs);
		fprintf(stderr, "rxd-udp: served %" PRIu64 " calls (%" PRIu64 " ok, %" PRIu64 " failed)\n", st->calls,
			st->ok, st->failed);
		rxd_local_destroy(l);
		rxd_rxperf_server_destroy(rs);
		return 0;
	}

	struct rxd_loadgen_params gp;
	rxd_loadgen_params_default(&gp);
	gp.peer = peer;
	gp.service_id = RXD_RXPERF_SERVICE;
	gp.op = RXD_RXPERF_RPC; /* send and recv are RPCs with one side empty */
	gp.calls = calls;
	gp.duration_ns = secs * RXD_NS_PER_SEC;
	gp.concurrency = conc ? conc : 1;
	gp.busy_retries = 0;
	gp.cookie = cookie;
	if (!strcmp(cmd, "rpc")) {
		gp.send_bytes = sbytes;
		gp.recv_bytes = rbytes;
	} else if (!strcmp(cmd, "send")) {
		gp.send_bytes = sbytes;
		gp.recv_bytes = 0;
	} else if (!strcmp(cmd, "recv")) {
		gp.send_bytes = 0;
		gp.recv_bytes = rbytes;
	} else {
		fprintf(stderr, "rxd-udp: -c %s: expected rpc, send or recv\n", cmd);
		return 2;
	}
	struct rxd_loadgen *g = rxd_loadgen_create(&gp, clock_cb, NULL);
	if (!g) {
		fprintf(stderr, "rxd-udp: out of memory for the client\n");
		return 1;
	}
	run_loop(l, g, 0);
	if (stop)
		rxd_loadgen_abort_all(g, now_ns());
	const struct rxd_loadgen_stats *st = rxd_loadgen_stats(g);
	struct rxd_stats cs = {0};
	rxd_local_stats_add(l, &cs);
	struct rxd_result r = {
	    .impl = "rxd-udp",
	    .scenario = cmd,
	    .req_bytes = gp.send_bytes,
	    .reply_bytes = gp.recv_bytes,
	    .concurrency = gp.concurrency,
	    .retransmissions = cs.tx_data_retrans,
	};
	rxd_loadgen_result(st, &r);
	printf("%-10s %10s %12s %10s %10s %10s %10s %8s\n", "impl", "calls", "calls/s", "MB/s", "p50 us", "p99 us",
	       "p999 us", "failed");
	printf("%-10s %10" PRIu64 " %12.0f %10.1f %10.1f %10.1f %10.1f %8" PRIu64 "\n", "rxd-udp", st->ok,
	       r.calls_per_s, r.mb_per_s, r.p50_us, r.p99_us, r.p999_us, st->errors);
	if (json) {
		printf("{");
		rxd_result_json(stdout, &r);
		printf("}\n");
	}
	if (st->errors)
		fprintf(stderr, "rxd-udp: %" PRIu64 " calls failed; first: %s\n", st->errors, st->first_error);
	int rc = st->errors || st->verify_errors ? 1 : 0;
	rxd_loadgen_destroy(g);
	rxd_local_destroy(l);
	close(sock);
	return rc;
}
