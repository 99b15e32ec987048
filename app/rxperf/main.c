/* SPDX-License-Identifier: MIT */
/*
 * rxperf: the rxperf benchmark (service 147, UDP 7009) on the rxd DPDK shell,
 * with the command line OpenAFS and AuriStor rxperf users know.
 *
 *   rxperf <EAL args> -- server [-p PORT] --ip ADDR/LEN [-j] [-m MTU] [-W WIN] ...
 *   rxperf <EAL args> -- client -c send|recv|rpc [-S BYTES] [-R BYTES] [-T CALLS]
 *          [-t CONCURRENCY] [-p PORT] [-j] [-m MTU] [-W WIN] -a PEER --ip ADDR/LEN
 *          [--security none|clear|auth|crypt] [--key HEX|kernel] [--kvno N] [--cookie] [--json]
 *          [--duration S] ...
 *
 * The client keeps t calls in flight, spread over the worker lcores (each
 * worker's shard begins its share), checks every reply and prints a table
 * and one JSON line.  The server serves until SIGINT/SIGTERM or --duration.
 * Every run is bounded: --timeout S (client default 600) ends a run that
 * hangs, with exit code 3.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_random.h>
#include <rte_version.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>

#include "rxd_engines_hooks.h"
#include "rxd_histo.h"
#include "rxd_launch.h"
#include "rxd_result.h"
#include "rxd_security_opts.h"

#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3

enum role { R_NONE, R_SERVER, R_CLIENT };

struct opts {
	enum role role;
	/* client */
	const char *peer_str;
	const char *cmd_name;
	int64_t op; /* -1 = from -c */
	int64_t raw_op;
	struct rxd_loadgen_params lg; /* the engine's parameters; per-worker shares are set in setup() */
	uint64_t calls;
	uint64_t concurrency;
	uint64_t warmup;
	double duration_s;
	double timeout_s;
	bool json;
	uint16_t port; /* server: our port; client: the server's port */
	int service;
	/* server */
	struct rxd_rxperf_server_params srv;
	/* both */
	bool nojumbo;
	uint32_t mtu, window;
	struct rxd_security_opts sec;
	struct rxd_shell_opts so;
};

/* Per-worker state. */
struct wctx {
	struct rxd_engines e; /* first: the worker's app pointer is read as the engines by the shared hooks */
	struct opts *o;
	struct rxd_worker *w;
	/* shell counters when measuring began and when the client finished */
	bool have0, have1;
	struct rxd_worker_stats s0, s1;
	uint64_t t0, t1;
};

static struct wctx *g_w[RXD_SHELL_MAX_WORKERS];

static void usage(FILE *f)
{
	fprintf(f, "usage: rxperf <EAL args> -- server|client [options]\n"
		   "common:\n"
		   "  -p PORT            server: UDP port to serve (7009); client: the server's port (7009)\n"
		   "  --ip ADDR/LEN      our IPv4 address (also --ip6, --gw; see shell options)\n"
		   "  -j                 no jumbograms (send and accept one subpacket per datagram)\n"
		   "  -m MTU             largest datagram, IP header included\n"
		   "  -W WINDOW          receive window and transmit window cap, packets (1..255)\n"
		   "  --service N        service id (147)\n"
		   "  --security L       none (rxnull, default) | clear | auth | crypt (rxkad); server: the minimum\n"
		   "  --key HEX|kernel   rxkad service key, 16 hex digits (default: kernel, the Linux rxperf key\n"
		   "                     " RXD_KERNEL_RXPERF_KEY "); the client seals a ticket for itself with it\n"
		   "  --kvno N           the key's version number (0)\n"
		   "  --keyfile PATH     server: rxkad keys from an OpenAFS KeyFile (repeatable; instead of --key)\n"
		   "  --keyfile-ext PATH server: keys from an OpenAFS KeyFileExt (rxkad and rxkad-k5 keys)\n"
		   "  --keytab PATH      server: rxkad-k5 keys from a krb5 keytab: afs/CELL@REALM (--cell first) or "
		   "afs@REALM\n"
		   "  --cell NAME        the cell of the keytab's afs/CELL principal\n"
		   "  -u N, -H, -N       accepted for OpenAFS compatibility, ignored\n"
		   "server:\n"
		   "  --duration S       exit after S seconds (default: until SIGINT/SIGTERM)\n"
		   "  --abort-reply-after B  test hook: abort replies (code 4321) after B bytes\n"
		   "  --openafs-aborts   abort every bad request with -1, as OpenAFS's rxperf server\n"
		   "  -v                 one line per abort on stderr\n"
		   "client:\n"
		   "  -a PEER            server address (ADDR or ADDR:PORT)\n"
		   "  -c send|recv|rpc   operation (SEND 0, RECV 1, RPC 3)\n"
		   "  -S BYTES, -R BYTES request / reply payload (k, m, g suffixes); -b sets both\n"
		   "  -T CALLS           total calls over all lcores (1)\n"
		   "  -t N               calls in flight, spread over the worker lcores (1)\n"
		   "  -d S, --duration S run for S seconds instead of -T calls\n"
		   "  --warmup N         unmeasured calls first (0)\n"
		   "  --cookie           end each request with the cookie 0x00004711 (new Linux servers)\n"
		   "  --json             print only the JSON line\n"
		   "  --timeout S        give up after S seconds (exit 3; default 600)\n"
		   "  --no-verify        do not check that reply payload bytes are zeros\n"
		   "  --abort-after B    test hook: abort each call (code 1234) after B payload bytes\n"
		   "  --expect-abort C   a call aborted with code C counts as expected, not as an error\n"
		   "  --short-request B  test hook: end the request after B payload bytes (the header says -S)\n"
		   "  --op N             send operation word N (tests); --proto-version N (3)\n"
		   "  --local-port N     our UDP port (7009)\n"
		   "  -r N, -w N         read / write size hints in the request (524288)\n"
		   "exit: 0 all calls ok or expectedly aborted, 1 otherwise, 2 usage, 3 timeout\n"
		   "shell options (--name value):\n");
	rxd_shell_opts_usage(f);
}

/* A signed number (abort codes, ports): an optional '-' then rxd_parse_u64's syntax. */
static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	bool neg = v && *v == '-';
	uint64_t u;
	int64_t x;

	if (!v || rxd_parse_u64(v + neg, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &u))
		return -EINVAL;
	x = neg ? (int64_t)(0 - u) : (int64_t)u;
	if (x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_secs(const char *v, double *out)
{
	char *end;
	double d;

	if (!v)
		return -EINVAL;
	d = strtod(v, &end);
	if (end == v || *end || d < 0)
		return -EINVAL;
	*out = d;
	return 0;
}

static int set_core(struct opts *o, const char *name, uint64_t v)
{
	char val[32], err[160];

	snprintf(val, sizeof val, "%" PRIu64, v);
	if (rxd_config_set(&o->so.core, name, val, err, sizeof err)) {
		fprintf(stderr, "rxperf: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

/* Options that take no value. */
static bool is_flag(const char *a)
{
	static const char *const flags[] = {
	    "-j", "-H", "-N", "-v", "--cookie", "--json", "--no-verify", "--openafs-aborts", "--help", "-h", NULL};

	for (int i = 0; flags[i]; i++)
		if (!strcmp(a, flags[i]))
			return true;
	return !strncmp(a, "--", 2) && rxd_shell_opts_is_flag(a + 2);
}

static int conf_line(void *arg, const char *name, const char *value, char *err, size_t errlen)
{
	return rxd_shell_opts_set(arg, name, value, err, errlen);
}

#define BAD(...)                                                                                                       \
	do {                                                                                                           \
		fprintf(stderr, "rxperf: " __VA_ARGS__);                                                               \
		fputc('\n', stderr);                                                                                   \
		return -EINVAL;                                                                                        \
	} while (0)

static int parse_args(struct opts *o, int argc, char **argv)
{
	int64_t x;
	uint64_t u;

	if (argc < 1 || (strcmp(argv[0], "server") && strcmp(argv[0], "client"))) {
		if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
			usage(stdout);
			exit(0);
		}
		BAD("expected 'server' or 'client' after '--' (rxperf <EAL args> -- --help)");
	}
	o->role = argv[0][0] == 's' ? R_SERVER : R_CLIENT;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		char name[64];
		const char *eq = NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (a[0] != '-')
			BAD("unexpected argument '%s'", a);
		if (!strncmp(a, "--", 2) && (eq = strchr(a, '=')) && (size_t)(eq - a) < sizeof name) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			a = name;
			v = eq + 1;
		} else if (!is_flag(a)) {
			if (i + 1 >= argc)
				BAD("%s needs a value", a);
			v = argv[++i];
		}

		if (!strcmp(a, "-p")) {
			if (parse_int(v, 1, 65535, &x))
				BAD("-p %s: expected a UDP port", v);
			o->port = (uint16_t)x;
		} else if (!strcmp(a, "-a")) {
			o->peer_str = v;
		} else if (!strcmp(a, "-c")) {
			if (!strcmp(v, "send"))
				o->op = RXD_RXPERF_SEND;
			else if (!strcmp(v, "recv"))
				o->op = RXD_RXPERF_RECV;
			else if (!strcmp(v, "rpc"))
				o->op = RXD_RXPERF_RPC;
			else if (!strcmp(v, "file"))
				BAD("-c file: the FILE operation is not supported (neither does the Linux server)");
			else
				BAD("-c %s: expected send, recv or rpc", v);
			o->cmd_name = v;
		} else if (!strcmp(a, "-S") || !strcmp(a, "-R") || !strcmp(a, "-b")) {
			if (rxd_parse_u64(v, UINT32_MAX, &u))
				BAD("%s %s: expected bytes (k, m, g suffixes) below 4 GiB", a, v);
			if (a[1] != 'R')
				o->lg.send_bytes = (uint32_t)u;
			if (a[1] != 'S')
				o->lg.recv_bytes = (uint32_t)u;
		} else if (!strcmp(a, "-T")) {
			if (rxd_parse_u64(v, UINT64_MAX >> 2, &o->calls) || !o->calls)
				BAD("-T %s: expected a number of calls >= 1", v);
		} else if (!strcmp(a, "-t")) {
			if (rxd_parse_u64(v, 1u << 20, &o->concurrency) || !o->concurrency)
				BAD("-t %s: expected 1..%u calls in flight", v, 1u << 20);
		} else if (!strcmp(a, "-d") || !strcmp(a, "--duration")) {
			if (parse_secs(v, &o->duration_s))
				BAD("%s %s: expected seconds", a, v);
		} else if (!strcmp(a, "--timeout")) {
			if (parse_secs(v, &o->timeout_s) || o->timeout_s <= 0)
				BAD("--timeout %s: expected seconds > 0", v);
		} else if (!strcmp(a, "--warmup")) {
			if (rxd_parse_u64(v, 1u << 30, &o->warmup))
				BAD("--warmup %s: expected a number of calls", v);
		} else if (!strcmp(a, "-j")) {
			o->nojumbo = true;
		} else if (!strcmp(a, "-m")) {
			if (parse_int(v, 576, 65535, &x))
				BAD("-m %s: expected an MTU in 576..65535", v);
			o->mtu = (uint32_t)x;
		} else if (!strcmp(a, "-W")) {
			if (parse_int(v, 1, 255, &x))
				BAD("-W %s: expected a window of 1..255 packets", v);
			o->window = (uint32_t)x;
		} else if (!strcmp(a, "-u") || !strcmp(a, "-H") || !strcmp(a, "-N")) {
			/* UDP buffer size, hot threads, no stats: no meaning for a poll-mode stack */
		} else if (!strcmp(a, "-v")) {
			o->srv.verbose = true;
		} else if (!strcmp(a, "-r") || !strcmp(a, "-w")) {
			if (rxd_parse_u64(v, UINT32_MAX, &u))
				BAD("%s %s: expected bytes", a, v);
			if (a[1] == 'r')
				o->lg.rsize_hint = (uint32_t)u;
			else
				o->lg.wsize_hint = (uint32_t)u;
		} else if (!strcmp(a, "--security") || !strcmp(a, "-x") || !strcmp(a, "--key") ||
			   !strcmp(a, "--kvno") || !strcmp(a, "--keyfile") || !strcmp(a, "--keyfile-ext") ||
			   !strcmp(a, "--keytab") || !strcmp(a, "--cell")) {
			char err[160];
			if (rxd_security_opts_set(&o->sec, a[1] == 'x' ? "security" : a + 2, v, err, sizeof err))
				BAD("%s", err);
		} else if (!strcmp(a, "--cookie")) {
			o->lg.cookie = true;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if (!strcmp(a, "--no-verify")) {
			o->lg.verify = false;
		} else if (!strcmp(a, "--abort-after")) {
			if (rxd_parse_u64(v, INT64_MAX >> 2, &u))
				BAD("--abort-after %s: expected bytes", v);
			o->lg.abort_after = (int64_t)u;
		} else if (!strcmp(a, "--short-request")) {
			if (rxd_parse_u64(v, INT64_MAX >> 2, &u))
				BAD("--short-request %s: expected bytes", v);
			o->lg.short_request = (int64_t)u;
		} else if (!strcmp(a, "--abort-reply-after")) {
			if (rxd_parse_u64(v, UINT32_MAX, &u))
				BAD("--abort-reply-after %s: expected bytes", v);
			o->srv.abort_reply_after = (int64_t)u;
		} else if (!strcmp(a, "--expect-abort")) {
			if (parse_int(v, INT32_MIN, INT32_MAX, &x))
				BAD("--expect-abort %s: expected an abort code", v);
			o->lg.have_expect = true;
			o->lg.expect_abort = (int32_t)x;
		} else if (!strcmp(a, "--openafs-aborts")) {
			o->srv.openafs_aborts = true;
		} else if (!strcmp(a, "--service")) {
			if (parse_int(v, 1, 65535, &x))
				BAD("--service %s: expected 1..65535", v);
			o->service = (int)x;
		} else if (!strcmp(a, "--op")) {
			if (parse_int(v, 0, UINT32_MAX, &x))
				BAD("--op %s: expected an operation number", v);
			o->raw_op = x;
		} else if (!strcmp(a, "--proto-version")) {
			if (parse_int(v, 0, UINT32_MAX, &x))
				BAD("--proto-version %s: expected a number", v);
			o->lg.version = (uint32_t)x;
		} else if (!strcmp(a, "--local-port")) {
			char err[160];
			if (rxd_shell_opts_set(&o->so, "port", v, err, sizeof err))
				BAD("--local-port: %s", err);
		} else if (!strcmp(a, "--config") || !strcmp(a, "--set")) {
			char err[256];
			if (rxd_launch_config(a + 2, v, conf_line, &o->so, err, sizeof err))
				BAD("%s", err);
		} else if (!strncmp(a, "--", 2)) {
			char err[256];
			if (rxd_shell_opts_set(&o->so, a + 2, v, err, sizeof err))
				BAD("%s", err);
		} else {
			BAD("unknown option %s (rxperf <EAL args> -- --help)", a);
		}
	}
	return 0;
}

/* Check what can be checked before EAL prints anything. */
static int check_opts(struct opts *o)
{
	if (o->role == R_CLIENT) {
		if (o->op < 0 && o->raw_op < 0)
			BAD("client: -c send|recv|rpc (or --op N) is required");
		if (!o->peer_str)
			BAD("client: -a PEER is required");
		if (o->duration_s > 0)
			o->calls = 0;
		if (o->raw_op >= 0) {
			o->op = o->raw_op;
			if (!o->cmd_name)
				o->cmd_name = "raw";
		}
	} else {
		if (o->lg.abort_after >= 0 || o->lg.have_expect || o->raw_op >= 0 || o->lg.short_request >= 0)
			BAD("--abort-after, --expect-abort, --short-request and --op are client options");
	}
	if (o->nojumbo && (set_core(o, "tx_jumbo_max", 1) || set_core(o, "rx_jumbo_max", 1)))
		return -EINVAL;
	if (o->mtu) {
		uint32_t rx = o->mtu > 528 ? o->mtu - 28 : 500;
		if (set_core(o, "if_mtu", o->mtu) || set_core(o, "rx_mtu", rx))
			return -EINVAL;
	}
	if (o->window && (set_core(o, "rx_window_size", o->window) || set_core(o, "tx_window_max", o->window)))
		return -EINVAL;
	if (o->role == R_SERVER && o->port) {
		o->so.udp_ports[0] = o->port;
		o->so.n_udp_ports = 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ per-worker hooks */

static uint64_t worker_clock(void *arg)
{
	return rxd_worker_now(((struct wctx *)arg)->w);
}

static void *server_app(void *arg, unsigned worker)
{
	(void)arg;
	return rxd_engines_server(&g_w[worker]->e);
}

static void hook_start(void *arg, struct rxd_worker *w)
{
	struct wctx *c = g_w[rxd_worker_index(w)];

	(void)arg;
	c->w = w;
	rxd_worker_set_app(w, c);
}

static void hook_poll(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct wctx *c = rxd_worker_app(w);

	(void)arg;
	if (!c->e.lg)
		return;
	rxd_loadgen_poll(c->e.lg, rxd_worker_local(w, 0, 0), now);
	if (!c->have0 && rxd_loadgen_measuring(c->e.lg)) {
		rxd_shell_worker_stats(rxd_worker_shell(w), rxd_worker_index(w), &c->s0);
		c->t0 = now;
		c->have0 = true;
	}
	if (c->have0 && !c->have1 && rxd_loadgen_done(c->e.lg)) {
		rxd_shell_worker_stats(rxd_worker_shell(w), rxd_worker_index(w), &c->s1);
		c->t1 = now;
		c->have1 = true;
	}
}

/* ------------------------------------------------------------------ setup */

static int setup(struct opts *o, struct rxd_shell *s, struct rxd_addr *peer)
{
	unsigned n = rxd_shell_nb_workers(s);
	uint32_t max_calls = o->so.core.max_calls < 65536 ? o->so.core.max_calls : 65536;
	uint16_t service = o->service > 0 ? (uint16_t)o->service : RXD_RXPERF_SERVICE;
	unsigned nact = o->concurrency < n ? (unsigned)o->concurrency : n;
	struct rxd_lcore_hooks h;
	char err[256];
	int rc;

	for (unsigned i = 0; i < n; i++) {
		struct wctx *c = calloc(1, sizeof(*c));
		if (!c)
			BAD("out of memory");
		c->o = o;
		g_w[i] = c;
		if (o->role == R_SERVER) {
			struct rxd_rxperf_server_params sp = o->srv;
			sp.max_calls = max_calls;
			c->e.rp = rxd_rxperf_server_create(&sp, worker_clock, c);
			if (!c->e.rp)
				BAD("out of memory for the rxperf service");
		} else if (i < nact) {
			struct rxd_loadgen_params p = o->lg;
			p.peer = *peer;
			p.service_id = service;
			p.op = (uint32_t)o->op;
			p.calls = rxd_engines_share(o->calls, nact, i);
			p.duration_ns = (uint64_t)(o->duration_s * 1e9);
			/* every shard warms up: each resolves its own ARP entry and conns */
			p.warmup = rxd_engines_share(o->warmup, nact, i);
			if (o->warmup && !p.warmup)
				p.warmup = 1;
			p.concurrency = (unsigned)rxd_engines_share(o->concurrency, nact, i);
			if (o->calls && !p.calls && !p.duration_ns)
				continue; /* nothing for this worker */
			c->e.lg = rxd_loadgen_create(&p, worker_clock, c);
			if (!c->e.lg)
				BAD("out of memory for the client");
		}
	}
	if (o->role == R_SERVER) {
		struct rxd_service_desc d;
		rxd_rxperf_server_desc(g_w[0]->e.rp, service, &d);
		rxd_security_opts_service(&o->sec, &d);
		rc = rxd_shell_register_service(s, 0, 0, &d, server_app, NULL, err, sizeof err);
		if (rc)
			BAD("%s", err);
	}
	memset(&h, 0, sizeof h);
	h.start = hook_start;
	h.poll = hook_poll;
	h.drain = rxd_engines_hook_drain;
	h.abort_all = rxd_engines_hook_abort_all;
	return rxd_shell_set_hooks(s, &h);
}

static bool clients_done(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (g_w[i] && g_w[i]->e.lg && !rxd_loadgen_done(g_w[i]->e.lg))
			return false;
	return true;
}

/* ------------------------------------------------------------------ reports */

static const char *op_name(const struct opts *o)
{
	if (o->cmd_name)
		return o->cmd_name;
	return o->op == RXD_RXPERF_SEND ? "send" : o->op == RXD_RXPERF_RECV ? "recv" : "rpc";
}

/* Client summary; returns the exit code. */
static int client_report(struct opts *o, struct rxd_shell *s, bool timed_out)
{
	unsigned n = rxd_shell_nb_workers(s), nact = 0;
	struct rxd_loadgen_stats *t = calloc(1, sizeof(*t));
	struct rxd_stats cs;
	uint64_t pkts = 0, loops = 0, busy = 0, drops = 0;
	double pps, pps_core, cpu;
	char codes_str[256] = "";
	size_t cl = 0;
	int code;

	if (!t)
		return 1;
	rxd_histo_init(&t->lat);
	for (unsigned i = 0; i < n; i++) {
		struct wctx *c = g_w[i];
		if (!c || !c->e.lg)
			continue;
		nact++;
		rxd_loadgen_stats_merge(t, rxd_loadgen_stats(c->e.lg));
		if (c->have0) {
			struct rxd_worker_stats end;
			if (!c->have1)
				rxd_shell_worker_stats(s, i, &end);
			else
				end = c->s1;
			pkts += (end.rx_pkts - c->s0.rx_pkts) + (end.tx_pkts - c->s0.tx_pkts);
			loops += end.loops - c->s0.loops;
			busy += end.busy_loops - c->s0.busy_loops;
			drops += rxd_worker_stats_drops(&end);
		}
	}
	rxd_shell_core_stats(s, &cs);
	for (unsigned j = 0; j < RXD_LG_CODES && t->codes[j].n && cl + 40 < sizeof codes_str; j++)
		cl += (size_t)snprintf(codes_str + cl, sizeof codes_str - cl, "%s\"%d\":%" PRIu64, j ? "," : "",
				       t->codes[j].code, t->codes[j].n);
	struct rxd_result r = {
	    .impl = "rxd",
	    .scenario = op_name(o),
	    .req_bytes = o->op == RXD_RXPERF_RECV ? 0 : o->lg.send_bytes,
	    .reply_bytes = o->op == RXD_RXPERF_SEND ? 0 : o->lg.recv_bytes,
	    .concurrency = o->concurrency,
	    .retransmissions = cs.tx_data_retrans,
	};
	rxd_loadgen_result(t, &r);
	pps = r.secs > 0 ? (double)pkts / r.secs : 0.0;
	pps_core = nact ? pps / nact : 0.0;
	cpu = loops ? 100.0 * (double)busy / (double)loops : 0.0;

	if (!o->json) {
		printf("rxd-rxperf %s: send %" PRIu64 " B, recv %" PRIu64 " B, concurrency %" PRIu64
		       " on %u lcore(s), jumbo %s%s\n",
		       r.scenario, r.req_bytes, r.reply_bytes, o->concurrency, nact, o->nojumbo ? "off" : "on",
		       o->lg.cookie ? ", request cookie" : "");
		printf("%10s %10s %12s %10s %10s %10s %10s %8s %8s %8s %12s\n", "calls", "secs", "calls/s", "MB/s",
		       "p50_us", "p99_us", "p999_us", "retrans", "aborts", "errors", "pkts/s/core");
		printf("%10" PRIu64 " %10.3f %12.1f %10.2f %10.1f %10.1f %10.1f %8" PRIu64 " %8" PRIu64 " %8" PRIu64
		       " %12.0f\n",
		       r.calls, r.secs, r.calls_per_s, r.mb_per_s, r.p50_us, r.p99_us, r.p999_us, r.retransmissions,
		       t->aborts, t->errors, pps_core);
		for (unsigned j = 0; j < RXD_LG_CODES && t->codes[j].n; j++)
			if (t->codes[j].code)
				printf("  completion %d (%s): %" PRIu64 " call(s)\n", t->codes[j].code,
				       rxd_rxperf_abort_name(t->codes[j].code), t->codes[j].n);
		if (t->first_error[0])
			fprintf(stderr, "rxperf: first error: %s\n", t->first_error);
		if (timed_out)
			fprintf(stderr, "rxperf: timed out after %.0f s with calls in flight\n", o->timeout_s);
	}
	printf("{");
	rxd_result_json(stdout, &r);
	printf(",\"op\":%" PRId64 ",\"lcores\":%u,\"jumbo\":%s,\"security\":\"%s\",\"remote_aborts\":%" PRIu64
	       ",\"local_aborts\":%" PRIu64 ",\"net_errors\":%" PRIu64 ",\"busy\":%" PRIu64 ",\"core_aborts\":%" PRIu64
	       ",\"tx_data\":%" PRIu64 ",\"core_crypto_jobs\":%" PRIu64 ",\"core_crypto_inline\":%" PRIu64
	       ",\"pkts\":%" PRIu64 ",\"pkts_per_s\":%.0f,\"pkts_per_s_per_core\":%.0f"
	       ",\"busy_pct\":%.1f,\"drops\":%" PRIu64 ",\"timed_out\":%s,\"codes\":{%s}}\n",
	       o->op, nact, o->nojumbo ? "false" : "true", rxd_security_opts_name(&o->sec), t->remote_aborts,
	       t->local_aborts, t->net_errors, t->busy, cs.calls_aborted_local + cs.calls_aborted_remote, cs.tx_data,
	       cs.crypto_jobs, cs.crypto_inline, pkts, pps, pps_core, cpu, drops, timed_out ? "true" : "false",
	       codes_str);
	fflush(stdout);
	code = timed_out									      ? EXIT_TIMEOUT
	       : (t->errors || (o->calls && t->ok + t->aborts != o->calls) || t->ok + t->aborts == 0) ? 1
												      : 0;
	free(t);
	return code;
}

static void server_report(struct opts *o, struct rxd_shell *s)
{
	unsigned n = rxd_shell_nb_workers(s);
	uint64_t calls = 0, ok = 0, failed = 0;
	struct rxd_stats cs;

	for (unsigned i = 0; i < n; i++) {
		const struct rxd_rxperf_server_stats *st;
		if (!g_w[i] || !g_w[i]->e.rp)
			continue;
		st = rxd_rxperf_server_stats(g_w[i]->e.rp);
		calls += st->calls, ok += st->ok, failed += st->failed;
	}
	rxd_shell_core_stats(s, &cs);
	printf("rxperf server: %" PRIu64 " calls, %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
	       " retransmissions, %" PRIu64 " BUSY sent\n",
	       calls, ok, failed, cs.tx_data_retrans, cs.busy_sent);
	printf("{\"impl\":\"rxd\",\"scenario\":\"server\",\"calls\":%" PRIu64 ",\"calls_ok\":%" PRIu64
	       ",\"calls_failed\":%" PRIu64 ",\"retransmissions\":%" PRIu64 ",\"shell\":",
	       calls, ok, failed, cs.tx_data_retrans);
	rxd_shell_print_stats_json(s, stdout);
	printf("}\n");
	fflush(stdout);
	(void)o;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct opts o;
	struct rxd_shell *s = NULL;
	struct rxd_addr peer;
	int eal_argc = rxd_launch_split(argc, argv), code = 0;
	bool timed_out = false;
	uint64_t t_end = 0;

	memset(&o, 0, sizeof o);
	memset(&peer, 0, sizeof peer);
	o.op = -1;
	o.raw_op = -1;
	rxd_loadgen_params_default(&o.lg);
	o.lg.rsize_hint = o.lg.wsize_hint = 512 * 1024;
	rxd_rxperf_server_params_default(&o.srv);
	o.calls = 1;
	o.concurrency = 1;
	o.port = 0;
	rxd_shell_opts_default(&o.so);
	rxd_security_opts_default(&o.sec);

	if (eal_argc == argc) {
		fprintf(stderr, "rxperf: usage: rxperf <EAL args> -- server|client [options]   (-- --help)\n");
		return EXIT_USAGE;
	}
	if (parse_args(&o, argc - eal_argc - 1, argv + eal_argc + 1) || check_opts(&o))
		return EXIT_USAGE;
	if (o.role == R_CLIENT) {
		if (rxd_addr_parse(o.peer_str, o.port ? o.port : RXD_RXPERF_PORT, &peer)) {
			fprintf(stderr, "rxperf: -a %s: expected ADDR, ADDR:PORT or [IPv6]:PORT\n", o.peer_str);
			return EXIT_USAGE;
		}
		if (o.timeout_s <= 0)
			o.timeout_s = 600;
		if (rxd_security_opts_client(&o.sec, (uint32_t)time(NULL), rte_rand(), &o.lg.security_index,
					     &o.lg.security_level, &o.lg.key)) {
			fprintf(stderr, "rxperf: --key: cannot seal a ticket with this key\n");
			return EXIT_USAGE;
		}
	}
	if (o.so.n_ifaces == 0) {
		fprintf(stderr, "rxperf: --ip ADDR/LEN (or --ip6) is required: the address rxd answers on\n");
		return EXIT_USAGE;
	}
	if (rxd_launch_eal("rxperf", eal_argc, argv) || rxd_launch_shell("rxperf", &o.so, &s))
		return 1;
	if (setup(&o, s, &peer)) {
		rxd_launch_end(s);
		return 1;
	}
	if (rxd_launch_start("rxperf", s))
		return 1;
	if (o.role == R_SERVER) {
		struct rxd_addr la;
		char ab[64];
		rxd_shell_iface_addr(s, 0, &la);
		printf("rxperf server: listening on %s service %u, %u lcore(s), %s (%s)\n",
		       rxd_addr_format(&la, ab, sizeof ab), o.service > 0 ? (unsigned)o.service : RXD_RXPERF_SERVICE,
		       rxd_shell_nb_workers(s), rte_version(), RXD_VERSION);
		fflush(stdout);
		if (o.duration_s > 0)
			t_end = rxd_shell_now(s) + (uint64_t)(o.duration_s * 1e9);
	} else {
		t_end = rxd_shell_now(s) + (uint64_t)(o.timeout_s * 1e9);
	}
	while (!rxd_launch_signals()) {
		uint64_t now;
		rxd_launch_sleep_ms(o.role == R_CLIENT ? 2 : 20);
		now = rxd_shell_now(s);
		if (o.role == R_CLIENT && clients_done(rxd_shell_nb_workers(s)))
			break;
		if (t_end && now >= t_end) {
			timed_out = o.role == R_CLIENT;
			break;
		}
	}
	{
		unsigned left = rxd_launch_stop(s);
		if (left && o.role == R_SERVER)
			fprintf(stderr, "rxperf: %u call(s) still live after the %u ms drain: aborted\n", left,
				o.so.drain_ms);
	}
	if (o.role == R_CLIENT)
		code =
		    client_report(&o, s, timed_out || (rxd_launch_signals() && !clients_done(rxd_shell_nb_workers(s))));
	else
		server_report(&o, s);
	rxd_launch_end(s);
	for (unsigned i = 0; i < RXD_SHELL_MAX_WORKERS; i++) {
		if (!g_w[i])
			continue;
		rxd_engines_destroy(&g_w[i]->e);
		free(g_w[i]);
	}
	return code;
}
