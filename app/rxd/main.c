/* SPDX-License-Identifier: MIT */
/*
 * rxd: the testpmd-style launcher of the DPDK shell.
 *
 *   rxd <EAL args> -- --mode server|client|echo|loop [--ip A/L] [--peer ADDR[:port]]
 *       [--service N] [--port N] [--calls N] [--concurrency N] [--size-req B]
 *       [--size-resp B] [--duration S] [--stats-period N] [--config FILE]
 *       [--set name=value] [shell options] [core parameters]
 *
 * server = rxperf sink/source (service 147, UDP 7009), echo = requests
 * echoed back, client = load generator with byte-exact verification, loop =
 * server on iface 0 and client on iface 1 of one process (net_ring pair).
 * SIGINT/SIGTERM drain (no new calls, bounded wait), abort the rest, exit 0.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_random.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>

#include "rxd_engines_hooks.h"
#include "rxd_histo.h"
#include "rxd_launch.h"
#include "rxd_result.h"
#include "rxd_security_opts.h"

enum mode { M_SERVER, M_CLIENT, M_ECHO, M_LOOP };

struct app {
	enum mode mode;
	bool mode_set;
	const char *peer_str;
	int service; /* -1 = default for the mode */
	uint64_t calls, concurrency, size_req, size_resp;
	double duration_s;
	double stats_period_s;
	double start_delay_s;
	double hold_s;
	uint64_t client_start_ns;
	int proto;	 /* -1 = from the service id */
	int server_kind; /* loop mode: RXD_LG_ECHO or RXD_LG_RXPERF */
	uint64_t echo_mem;
	bool rxperf_cookie;
	struct rxd_security_opts sec;
	uint8_t lg_security_index, lg_security_level; /* the client's, from sec */
	const void *lg_key;
	bool ring_pair_set;
	struct rxd_shell_opts so;
	struct rxd_shell *shell;
	struct wctx *w[RXD_SHELL_MAX_WORKERS];
	unsigned client_iface;
	struct rxd_addr peer;
};

/* Per-worker application state. */
struct wctx {
	struct rxd_engines e; /* first: the worker's app pointer is read as the engines by the shared hooks */
	struct app *a;
	struct rxd_worker *w;
};

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: rxd <EAL args> -- --mode server|client|echo|loop [options]\n"
	    "  --mode M          server (rxperf sink/source), echo, client, loop (server + client, one process)\n"
	    "  --peer ADDR[:P]   client: server address (port defaults to 7009); loop: pick iface 0's\n"
	    "                    IPv4 or IPv6 address (default: its IPv4 one)\n"
	    "  --service N       service id (rxperf 147, echo 7)\n"
	    "  --proto P         client: echo|rxperf (default: rxperf for service 147, else echo)\n"
	    "  --server-kind K   loop: echo|rxperf (echo)\n"
	    "  --calls N         client: total calls (default 1000; 0 = until --duration)\n"
	    "  --concurrency N   client: calls in flight over all workers (default 1)\n"
	    "  --size-req B      client: request bytes (default 0)\n"
	    "  --size-resp B     client: reply bytes for rxperf (default 0)\n"
	    "  --duration S      client: stop after S seconds; server/echo: exit after S seconds\n"
	    "  --stats-period N  print port and lcore statistics every N seconds (0 = off)\n"
	    "  --echo-mem MB     echo: request storage per worker (96)\n"
	    "  --rxperf-cookie   client: append the cookie to rxperf requests\n"
	    "  --security L      none (rxnull, default) | clear | auth | crypt (rxkad); server: the minimum\n"
	    "  --key HEX|kernel  rxkad service key, 16 hex digits (default kernel: " RXD_KERNEL_RXPERF_KEY ")\n"
	    "  --kvno N          the key's version number (0)\n"
	    "  --keyfile PATH    server: rxkad keys from an OpenAFS KeyFile (repeatable; instead of --key)\n"
	    "  --keyfile-ext P   server: keys from an OpenAFS KeyFileExt (rxkad and rxkad-k5 keys)\n"
	    "  --keytab PATH     server: rxkad-k5 keys from a krb5 keytab: afs/CELL@REALM (--cell first) or afs@REALM\n"
	    "  --cell NAME       the cell of the keytab's afs/CELL principal\n"
	    "  --start-delay S   client: wait S seconds before the first call (peer setup)\n"
	    "  --hold S          after the workers stopped, keep the ports open until their links go\n"
	    "                    down or S seconds pass (memif: let the peer stop polling first)\n"
	    "  --config FILE     lines of name=value (any option below or a core parameter)\n"
	    "  --set name=value  one option or core parameter\n"
	    "shell options:\n");
	rxd_shell_opts_usage(f);
}

static bool is_app_flag(const char *name)
{
	return !strcmp(name, "rxperf-cookie") || !strcmp(name, "help");
}

/* Set an application option, a shell option or a core parameter. */
static int app_set(void *arg, const char *name, const char *value, char *err, size_t errlen)
{
	struct app *a = arg;
	uint64_t x;
	int rc;

#define NUM(field, max)                                                                                                \
	do {                                                                                                           \
		rc = rxd_parse_u64(value, max, &x);                                                                    \
		if (rc) {                                                                                              \
			snprintf(err, errlen, "--%s %s: expected a number <= %" PRIu64, name,                          \
				 value ? value : "(none)", (uint64_t)(max));                                           \
			return rc;                                                                                     \
		}                                                                                                      \
		a->field = x;                                                                                          \
		return 0;                                                                                              \
	} while (0)

	if (!strcmp(name, "mode")) {
		a->mode_set = true;
		if (value && !strcmp(value, "server"))
			a->mode = M_SERVER;
		else if (value && !strcmp(value, "client"))
			a->mode = M_CLIENT;
		else if (value && !strcmp(value, "echo"))
			a->mode = M_ECHO;
		else if (value && !strcmp(value, "loop"))
			a->mode = M_LOOP;
		else {
			snprintf(err, errlen, "--mode %s: expected server, client, echo or loop", value ? value : "");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(name, "peer")) {
		if (!value) {
			snprintf(err, errlen, "--peer needs ADDR[:port]");
			return -EINVAL;
		}
		a->peer_str = strdup(value);
		return 0;
	}
	if (!strcmp(name, "service")) {
		rc = rxd_parse_u64(value, 65535, &x);
		if (rc || x == 0) {
			snprintf(err, errlen, "--service %s: expected 1..65535", value ? value : "");
			return -EINVAL;
		}
		a->service = (int)x;
		return 0;
	}
	if (!strcmp(name, "proto") || !strcmp(name, "server-kind")) {
		int v;
		if (value && !strcmp(value, "echo"))
			v = RXD_LG_ECHO;
		else if (value && !strcmp(value, "rxperf"))
			v = RXD_LG_RXPERF;
		else {
			snprintf(err, errlen, "--%s %s: expected echo or rxperf", name, value ? value : "");
			return -EINVAL;
		}
		if (name[0] == 'p')
			a->proto = v;
		else
			a->server_kind = v;
		return 0;
	}
	if (!strcmp(name, "calls"))
		NUM(calls, UINT64_MAX >> 1);
	if (!strcmp(name, "concurrency"))
		NUM(concurrency, 1u << 20);
	if (!strcmp(name, "size-req") || !strcmp(name, "size_req"))
		NUM(size_req, UINT32_MAX);
	if (!strcmp(name, "size-resp") || !strcmp(name, "size_resp"))
		NUM(size_resp, UINT32_MAX);
	if (!strcmp(name, "echo-mem")) {
		rc = rxd_parse_u64(value, 1u << 20, &x);
		if (rc) {
			snprintf(err, errlen, "--echo-mem %s: expected megabytes", value ? value : "");
			return rc;
		}
		a->echo_mem = x << 20;
		return 0;
	}
	if (!strcmp(name, "start-delay") || !strcmp(name, "hold")) {
		char *end;
		double d = value ? strtod(value, &end) : -1;
		if (!value || *end || d < 0) {
			snprintf(err, errlen, "--%s %s: expected seconds", name, value ? value : "(none)");
			return -EINVAL;
		}
		if (name[0] == 's')
			a->start_delay_s = d;
		else
			a->hold_s = d;
		return 0;
	}
	if (!strcmp(name, "duration") || !strcmp(name, "stats-period") || !strcmp(name, "stats_period")) {
		char *end;
		double d = value ? strtod(value, &end) : -1;
		if (!value || *end || d < 0) {
			snprintf(err, errlen, "--%s %s: expected seconds", name, value ? value : "(none)");
			return -EINVAL;
		}
		if (name[0] == 'd')
			a->duration_s = d;
		else
			a->stats_period_s = d;
		return 0;
	}
	if (!strcmp(name, "rxperf-cookie")) {
		a->rxperf_cookie = !value || strcmp(value, "0") != 0;
		return 0;
	}
	if (!strcmp(name, "ring-pair") || !strcmp(name, "ring_pair"))
		a->ring_pair_set = true;
	rc = rxd_security_opts_set(&a->sec, name, value, err, errlen);
	if (rc <= 0)
		return rc;
	rc = rxd_shell_opts_set(&a->so, name, value, err, errlen);
	return rc;
#undef NUM
}

static bool is_flag(const char *name)
{
	return is_app_flag(name) || rxd_shell_opts_is_flag(name);
}

/* ------------------------------------------------------------------ per-worker glue */

static uint64_t worker_clock(void *arg)
{
	struct wctx *c = arg;

	return rxd_worker_now(c->w);
}

static void *server_of(void *arg, unsigned worker)
{
	return rxd_engines_server(&((struct app *)arg)->w[worker]->e);
}

static void hook_start(void *arg, struct rxd_worker *w)
{
	struct app *a = arg;
	struct wctx *c = a->w[rxd_worker_index(w)];

	c->w = w;
	rxd_worker_set_app(w, c);
}

static void hook_poll(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct app *a = arg;
	struct wctx *c = rxd_worker_app(w);

	if (c->e.lg && now >= a->client_start_ns)
		rxd_loadgen_poll(c->e.lg, rxd_worker_local(w, a->client_iface, 0), now);
}

/* ------------------------------------------------------------------ setup */

static bool is_rxperf_client(const struct app *a, uint16_t service)
{
	if (a->proto >= 0) /* explicit, even against the wrong server (a negative test) */
		return a->proto == RXD_LG_RXPERF;
	if (a->mode == M_LOOP)
		return a->server_kind == RXD_LG_RXPERF;
	return service == RXD_RXPERF_SERVICE;
}

static uint16_t service_of(const struct app *a)
{
	if (a->service > 0)
		return (uint16_t)a->service;
	if (a->mode == M_ECHO || (a->mode == M_LOOP && a->server_kind == RXD_LG_ECHO) ||
	    (a->mode == M_CLIENT && a->proto == RXD_LG_ECHO))
		return RXD_ECHO_SERVICE;
	return RXD_RXPERF_SERVICE;
}

static int setup(struct app *a, char *err, size_t errlen)
{
	struct rxd_shell *s = a->shell;
	unsigned n = rxd_shell_nb_workers(s);
	uint32_t max_calls = a->so.core.max_calls ? a->so.core.max_calls : 4096;
	uint16_t service = service_of(a);
	bool serve = a->mode != M_CLIENT, client = a->mode == M_CLIENT || a->mode == M_LOOP;
	bool rxperf_srv = a->mode == M_SERVER || (a->mode == M_LOOP && a->server_kind == RXD_LG_RXPERF);
	struct rxd_lcore_hooks h;
	/* workers that run client calls: no more than the concurrency */
	unsigned nact = a->concurrency < n ? (unsigned)(a->concurrency ? a->concurrency : 1) : n;
	int rc;

	if (max_calls > 65536)
		max_calls = 65536;
	if (client && rxd_security_opts_client(&a->sec, (uint32_t)time(NULL), rte_rand(), &a->lg_security_index,
					       &a->lg_security_level, &a->lg_key)) {
		snprintf(err, errlen, "--key: cannot seal a ticket with this key");
		return -EINVAL;
	}
	if (client) {
		if (a->mode == M_LOOP && !a->peer_str) {
			rxd_shell_iface_addr(s, 0, &a->peer);
			a->client_iface = 1;
		} else {
			if (!a->peer_str) {
				snprintf(err, errlen, "--mode client needs --peer ADDR[:port]");
				return -EINVAL;
			}
			if (rxd_addr_parse(a->peer_str, RXD_RXPERF_PORT, &a->peer)) {
				snprintf(err, errlen, "--peer %s: expected ADDR[:port] or [IPv6]:port", a->peer_str);
				return -EINVAL;
			}
			a->client_iface = a->mode == M_LOOP ? 1 : 0;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct wctx *c = calloc(1, sizeof(*c));
		if (!c) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		c->a = a;
		a->w[i] = c;
		if (serve && rxperf_srv) {
			struct rxd_rxperf_server_params sp;
			rxd_rxperf_server_params_default(&sp);
			sp.max_calls = max_calls;
			c->e.rp = rxd_rxperf_server_create(&sp, worker_clock, c);
		} else if (serve) {
			c->e.es = rxd_echo_server_create(max_calls, a->echo_mem, worker_clock, c);
		}
		if (serve && !rxd_engines_server(&c->e)) {
			snprintf(err, errlen, "out of memory for the %s service (try a smaller --echo-mem)",
				 rxperf_srv ? "rxperf" : "echo");
			return -ENOMEM;
		}
		if (client && i < nact) {
			struct rxd_loadgen_params p;
			rxd_loadgen_params_default(&p);
			p.peer = a->peer;
			p.service_id = service;
			p.proto = is_rxperf_client(a, service) ? RXD_LG_RXPERF : RXD_LG_ECHO;
			p.calls = rxd_engines_share(a->calls, nact, i);
			p.duration_ns = (uint64_t)(a->duration_s * 1e9);
			p.concurrency = (unsigned)rxd_engines_share(a->concurrency, nact, i);
			p.send_bytes = (uint32_t)a->size_req;
			p.recv_bytes = (uint32_t)a->size_resp;
			p.cookie = a->rxperf_cookie;
			p.busy_retries = 0; /* a BUSY answer is a failed call here: the launcher measures the server */
			p.seed = 0x5eed0000u + i;
			p.security_index = a->lg_security_index;
			p.security_level = a->lg_security_level;
			p.key = a->lg_key;
			if (a->calls && !p.calls && !p.duration_ns)
				continue; /* nothing for this worker */
			c->e.lg = rxd_loadgen_create(&p, worker_clock, c);
			if (!c->e.lg) {
				snprintf(err, errlen, "out of memory for the load generator");
				return -ENOMEM;
			}
		}
	}
	if (serve) {
		struct rxd_service_desc d;
		if (rxperf_srv)
			rxd_rxperf_server_desc(a->w[0]->e.rp, service, &d);
		else
			rxd_echo_server_desc(a->w[0]->e.es, service, &d);
		rxd_security_opts_service(&a->sec, &d);
		uint16_t ports[RXD_SHELL_MAX_UDP_PORTS];
		unsigned np = rxd_shell_iface_ports(s, 0, ports);
		/* served on every UDP port the iface listens on (--port 7009,7010) */
		for (unsigned k = 0; k < np; k++) {
			rc = rxd_shell_register_service(s, 0, ports[k], &d, server_of, a, err, errlen);
			if (rc)
				return rc;
		}
	}
	memset(&h, 0, sizeof h);
	h.start = hook_start;
	h.poll = hook_poll;
	h.drain = rxd_engines_hook_drain;
	h.abort_all = rxd_engines_hook_abort_all;
	h.arg = a;
	return rxd_shell_set_hooks(s, &h);
}

static bool clients_done(const struct app *a)
{
	unsigned n = rxd_shell_nb_workers(a->shell);

	for (unsigned i = 0; i < n; i++)
		if (a->w[i]->e.lg && !rxd_loadgen_done(a->w[i]->e.lg))
			return false;
	return true;
}

/* Client summary: human lines and one JSON line.  Returns 0 if every call succeeded. */
static int report(struct app *a)
{
	struct rxd_loadgen_stats *t = calloc(1, sizeof(*t));
	unsigned n = rxd_shell_nb_workers(a->shell);
	bool rxperf = is_rxperf_client(a, service_of(a));
	struct rxd_stats cs;
	int rc;

	if (!t)
		return 1;
	rxd_histo_init(&t->lat);
	for (unsigned i = 0; i < n; i++)
		if (a->w[i]->e.lg)
			rxd_loadgen_stats_merge(t, rxd_loadgen_stats(a->w[i]->e.lg));
	rxd_shell_core_stats(a->shell, &cs);
	struct rxd_result r = {
	    .impl = "rxd",
	    .scenario = rxperf ? "rpc" : "echo",
	    .req_bytes = a->size_req,
	    .reply_bytes = rxperf ? a->size_resp : a->size_req,
	    .concurrency = a->concurrency,
	    .retransmissions = cs.tx_data_retrans,
	};
	rxd_loadgen_result(t, &r);
	printf("calls: %" PRIu64 " ok, %" PRIu64 " failed (%" PRIu64 " verify errors, %" PRIu64 " busy) of %" PRIu64
	       " in %.3f s\n",
	       t->ok, t->errors, t->verify_errors, t->busy, t->started, r.secs);
	printf("rate: %.0f calls/s, %.2f MB/s (request + reply payload)\n", r.calls_per_s, r.mb_per_s);
	printf("latency: p50 %.1f us, p99 %.1f us, p999 %.1f us, min %.1f us, max %.1f us\n", r.p50_us, r.p99_us,
	       r.p999_us, t->lat.count ? (double)t->lat.min_ns / 1e3 : 0.0, (double)t->lat.max_ns / 1e3);
	if (t->first_error[0])
		printf("first error: %s\n", t->first_error);
	printf("{");
	rxd_result_json(stdout, &r);
	printf(",\"mode\":\"%s\",\"workers\":%u,\"calls_started\":%" PRIu64 ",\"busy\":%" PRIu64 ",\"shell\":",
	       a->mode == M_LOOP ? "loop" : "client", n, t->started, t->busy);
	rxd_shell_print_stats_json(a->shell, stdout);
	printf("}\n");
	fflush(stdout);
	rc = (t->errors || t->verify_errors || t->ok == 0 || (a->calls && t->ok != a->calls)) ? 1 : 0;
	free(t);
	return rc;
}

static void assign_loop_defaults(struct app *a)
{
	char err[128];

	if (a->so.n_ifaces == 0) {
		rxd_shell_opts_set(&a->so, "ip", "198.18.0.1/24@0", err, sizeof err);
		rxd_shell_opts_set(&a->so, "ip", "198.18.0.2/24@1", err, sizeof err);
	}
	if (a->so.n_ifaces < 2)
		rxd_shell_opts_set(&a->so, "ip", "198.18.0.2/24@1", err, sizeof err);
	if (!a->ring_pair_set && rte_eth_dev_count_avail() < 2)
		a->so.ring_pair = true;
}

int main(int argc, char **argv)
{
	struct app a;
	char err[256];
	int eal_argc = rxd_launch_split(argc, argv), exit_code = 0;
	uint64_t next_stats, t_end = 0;

	memset(&a, 0, sizeof a);
	a.service = -1;
	a.proto = -1;
	a.server_kind = RXD_LG_ECHO;
	a.calls = 1000;
	a.concurrency = 1;
	a.echo_mem = 96ull << 20;
	rxd_shell_opts_default(&a.so);
	rxd_security_opts_default(&a.sec);

	/* our options first: a bad argument is one line, before EAL prints anything */
	{
		int rc = rxd_launch_options("rxd", argc, argv, eal_argc, app_set, is_flag, &a, usage);
		if (rc >= 0)
			return rc;
	}
	if (!a.mode_set) {
		fprintf(stderr, "rxd: --mode server|client|echo|loop is required (rxd <EAL args> -- --help)\n");
		return 2;
	}
	if (rxd_launch_eal("rxd", eal_argc, argv))
		return 1;
	if (a.mode == M_LOOP)
		assign_loop_defaults(&a);
	if (a.mode == M_SERVER && a.service < 0)
		a.service = RXD_RXPERF_SERVICE;
	if (rxd_launch_shell("rxd", &a.so, &a.shell))
		return 1;
	if (setup(&a, err, sizeof err)) {
		fprintf(stderr, "rxd: %s\n", err);
		rxd_launch_end(a.shell);
		return 1;
	}
	{
		struct rxd_addr la;
		char ab[64];
		rxd_shell_iface_addr(a.shell, 0, &la);
		printf("rxd: mode %s, %u worker(s), %u iface(s), listening on %s, service %u\n",
		       a.mode == M_SERVER   ? "server"
		       : a.mode == M_ECHO   ? "echo"
		       : a.mode == M_CLIENT ? "client"
					    : "loop",
		       rxd_shell_nb_workers(a.shell), rxd_shell_nb_ifaces(a.shell), rxd_addr_format(&la, ab, sizeof ab),
		       service_of(&a));
		rxd_shell_describe(a.shell, stdout);
		fflush(stdout);
	}
	a.client_start_ns = rxd_shell_now(a.shell) + (uint64_t)(a.start_delay_s * 1e9);
	if (rxd_launch_start("rxd", a.shell))
		return 1;
	next_stats = rxd_shell_now(a.shell) + (uint64_t)(a.stats_period_s * 1e9);
	if (a.duration_s > 0 && (a.mode == M_SERVER || a.mode == M_ECHO))
		t_end = rxd_shell_now(a.shell) + (uint64_t)(a.duration_s * 1e9);
	while (!rxd_launch_signals()) {
		uint64_t now;
		rxd_launch_sleep_ms(10);
		now = rxd_shell_now(a.shell);
		if (a.stats_period_s > 0 && now >= next_stats) {
			rxd_shell_print_stats(a.shell, stdout);
			next_stats = now + (uint64_t)(a.stats_period_s * 1e9);
		}
		if ((a.mode == M_CLIENT || a.mode == M_LOOP) && clients_done(&a))
			break;
		if (t_end && now >= t_end)
			break;
	}
	{
		unsigned left = rxd_launch_stop(a.shell);
		if (left)
			printf("rxd: %u call(s) still live after the %u ms drain: aborted\n", left, a.so.drain_ms);
	}
	if (a.stats_period_s > 0)
		rxd_shell_print_stats(a.shell, stdout);
	if (a.mode == M_CLIENT || a.mode == M_LOOP)
		exit_code = report(&a);
	else {
		printf("rxd: stats ");
		rxd_shell_print_stats_json(a.shell, stdout);
		printf("\n");
	}
	if (a.hold_s > 0)
		rxd_launch_hold(a.shell, a.hold_s);
	rxd_launch_end(a.shell);
	for (unsigned i = 0; i < RXD_SHELL_MAX_WORKERS; i++) {
		if (!a.w[i])
			continue;
		rxd_engines_destroy(&a.w[i]->e);
		free(a.w[i]);
	}
	return exit_code;
}
