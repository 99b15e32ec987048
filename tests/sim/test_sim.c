/* SPDX-License-Identifier: MIT */
/*
 * Deterministic network simulation of the rxd core: targeted scenarios plus a
 * many-seed run over a lossy, reordering, duplicating network.
 *
 * Environment:
 *   RXD_SIM_SEEDS=N        seeds for sim/many_seeds (default 1000)
 *   RXD_SIM_SEED_FIRST=K   first seed (default 1): rerun one seed with SEEDS=1 SEED_FIRST=K
 *   RXD_SIM_TRACE=1        print every packet event to stderr
 *   RXD_SIM_VERBOSE=1      one line per seed
 *   RXD_SIM_MAX_PRINT=N    failures printed with full diagnostics per seed (default 3)
 */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim_app.h"
#include "sim_net.h"
#include "sim_rng.h"

#define MIB (1u << 20)
#define KIB 1024u

struct spec;
typedef void (*build_fn)(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s);

struct spec {
	const char *name;
	unsigned engines;
	struct sim_link link;
	bool randomise_link; /* per-seed delay/jitter on top of link */
	const struct rxd_config *config;
	uint32_t servers_mask; /* 0 = all */
	bool needs_charge;
	unsigned charge_slots;
	unsigned reject_every;
	bool relaxed;
	bool allow_data_mismatch;
	uint64_t call_time_limit_ns;
	bool rxkad; /* every call under rxkad at rxkad_level */
	uint8_t rxkad_level;
	uint64_t crypto_delay_ns;	 /* a crypto engine per engine (sim_net_params) */
	const struct sim_workload *work; /* generated workload, or */
	build_fn build;			 /* hand-made plans */
	void *ctx;
};

struct totals {
	uint64_t seeds, failures;
	struct sim_app_result app; /* summed */
	uint64_t virt_ns, work_ns;
	struct rxd_stats st;
	uint64_t sent, lost, dup, corrupt, corrupt_delivered, mtu_drops, queue_drops, icmp, fragmented, transient;
	uint64_t reordered, mtu_changes;
	uint64_t mtu_drops_data;
	uint32_t largest_data_min, largest_data_max;   /* over the runs */
	uint32_t largest_probe_min, largest_probe_max; /* delivered PMTUD probes, over the runs */
	uint64_t steps, batches;
};

/* ------------------------------------------------------------------ crash context */

static const char *volatile g_scenario = "?";
static volatile uint64_t g_seed;

static void crash_handler(int sig)
{
	char msg[160];
	int len = snprintf(msg, sizeof(msg),
			   "\n*** signal %d in scenario %s seed %" PRIu64
			   " (rerun: RXD_SIM_SEEDS=1 RXD_SIM_SEED_FIRST=%" PRIu64 ")\n",
			   sig, g_scenario, (uint64_t)g_seed, (uint64_t)g_seed);

	if (len > 0)
		(void)!write(2, msg, (size_t)len);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_crash_handler(void)
{
	signal(SIGSEGV, crash_handler);
	signal(SIGBUS, crash_handler);
	signal(SIGFPE, crash_handler);
	signal(SIGABRT, crash_handler);
	signal(SIGILL, crash_handler);
}

/* ------------------------------------------------------------------ environment */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long x;

	if (!v || !*v)
		return def;
	x = strtoull(v, &end, 0);
	return *end ? def : (uint64_t)x;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ running one seed */

static void add_result(struct sim_app_result *t, const struct sim_app_result *r)
{
	t->calls += r->calls;
	t->succeeded += r->succeeded;
	t->client_aborted += r->client_aborted;
	t->server_aborted += r->server_aborted;
	t->unknown_service += r->unknown_service;
	t->other_outcome += r->other_outcome;
	t->bytes += r->bytes;
	t->server_calls += r->server_calls;
	t->rejected += r->rejected;
	t->data_mismatches += r->data_mismatches;
	t->reaped_checks += r->reaped_checks;
	for (unsigned i = 0; i < 8 && r->outcomes[i].n; i++) {
		for (unsigned j = 0; j < 8; j++) {
			if (t->outcomes[j].n == 0) {
				t->outcomes[j].comp = r->outcomes[i].comp;
				t->outcomes[j].code = r->outcomes[i].code;
			}
			if (t->outcomes[j].comp == r->outcomes[i].comp && t->outcomes[j].code == r->outcomes[i].code) {
				t->outcomes[j].n += r->outcomes[i].n;
				break;
			}
		}
	}
}

static void add_stats(struct rxd_stats *t, const struct rxd_stats *s)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)t;

	/* every field of struct rxd_stats is a uint64_t counter */
	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

static uint64_t run_seed(const struct spec *s, uint64_t seed, struct totals *tot)
{
	struct sim_net_params np;
	struct sim_app_params ap;
	struct sim_net *n;
	struct sim_app *a;
	uint64_t failures, leaked;
	int rc;

	g_scenario = s->name;
	g_seed = seed;
	memset(&np, 0, sizeof(np));
	np.n_engines = s->engines;
	np.seed = seed;
	np.start_ns = 1000 * RXD_NS_PER_SEC + sim_mix64(seed) % RXD_NS_PER_SEC;
	np.link = s->link;
	np.config = s->config;
	np.trace = env_u64("RXD_SIM_TRACE", 0) != 0;
	np.crypto_delay_ns = s->crypto_delay_ns;
	if (s->randomise_link) {
		struct sim_rng r;
		sim_rng_seed(&r, sim_mix64(seed) ^ 0x6c696e6bull);
		np.link.delay_ns = sim_rng_range(&r, 100000, 5 * RXD_NS_PER_MS);
		np.link.jitter_ns = sim_rng_below(&r, np.link.delay_ns / 2 + 1);
	}
	rc = sim_net_create(&np, &n);
	cr_assert_eq(rc, 0, "sim_net_create: %d", rc);

	memset(&ap, 0, sizeof(ap));
	ap.net = n;
	ap.name = s->name;
	ap.servers_mask = s->servers_mask ? s->servers_mask : (1u << s->engines) - 1;
	ap.needs_charge = s->needs_charge;
	ap.charge_slots = s->charge_slots;
	ap.reject_every = s->reject_every;
	ap.relaxed = s->relaxed;
	ap.allow_data_mismatch = s->allow_data_mismatch;
	ap.call_time_limit_ns = s->call_time_limit_ns;
	ap.rxkad = s->rxkad;
	ap.rxkad_level = s->rxkad_level;
	ap.max_print = (unsigned)env_u64("RXD_SIM_MAX_PRINT", 3);
	a = sim_app_create(&ap);
	cr_assert_not_null(a, "sim_app_create failed");

	if (s->work)
		sim_app_generate(a, s->work, seed);
	if (s->build)
		s->build(a, n, seed, s);

	failures = sim_app_run(a);

	for (unsigned i = 0; i < sim_net_count(n); i++) {
		struct rxd_stats st;
		memset(&st, 0, sizeof(st));
		rxd_local_stats_add(sim_net_local(n, i), &st);
		add_stats(&tot->st, &st);
	}
	{
		const struct sim_net_stats *ns = sim_net_stats(n);
		tot->sent += sim_net_io_stats(n)->sent;
		tot->lost += ns->lost;
		tot->dup += ns->duplicated;
		tot->corrupt += ns->corrupted;
		tot->corrupt_delivered += ns->corrupt_delivered;
		tot->mtu_drops += ns->mtu_drops;
		tot->queue_drops += ns->queue_drops;
		tot->icmp += ns->icmp_sent;
		tot->fragmented += ns->fragmented;
		tot->transient += ns->transient;
		tot->reordered += ns->reordered;
		tot->mtu_changes += ns->mtu_changes;
		tot->mtu_drops_data += ns->mtu_drops_data;
		if (!tot->seeds || ns->largest_data < tot->largest_data_min)
			tot->largest_data_min = ns->largest_data;
		tot->largest_data_max =
		    ns->largest_data > tot->largest_data_max ? ns->largest_data : tot->largest_data_max;
		if (!tot->seeds || ns->largest_probe < tot->largest_probe_min)
			tot->largest_probe_min = ns->largest_probe;
		if (ns->largest_probe > tot->largest_probe_max)
			tot->largest_probe_max = ns->largest_probe;
		tot->steps += ns->steps;
		tot->batches += ns->batches;
	}
	add_result(&tot->app, sim_app_result(a));
	tot->virt_ns += sim_app_result(a)->end_ns - sim_app_result(a)->start_ns;
	tot->work_ns += sim_app_result(a)->work_end_ns - sim_app_result(a)->start_ns;

	sim_app_detach(a);
	leaked = sim_net_destroy(n);
	if (leaked) {
		fprintf(stderr, "FAIL [%s seed %" PRIu64 "]: %" PRIu64 " buffers leaked after rxd_local_destroy()\n",
			s->name, seed, leaked);
		failures++;
	}
	sim_app_destroy(a);

	tot->seeds++;
	tot->failures += failures;
	if (env_u64("RXD_SIM_VERBOSE", 0))
		fprintf(stderr, "  %s seed %" PRIu64 ": %" PRIu64 " failures\n", s->name, seed, failures);
	return failures;
}

static void print_summary(const char *name, const struct totals *t, double wall)
{
	const struct sim_app_result *r = &t->app;
	uint64_t data = t->st.tx_data;

	printf("sim %s: seeds %" PRIu64 ", calls %" PRIu64 " (ok %" PRIu64 ", client-aborted %" PRIu64
	       ", server-aborted %" PRIu64 ", unknown-service %" PRIu64 ", other %" PRIu64 "), server calls %" PRIu64
	       ", bytes %.1f MiB\n",
	       name, t->seeds, r->calls, r->succeeded, r->client_aborted, r->server_aborted, r->unknown_service,
	       r->other_outcome, r->server_calls, (double)r->bytes / MIB);
	printf("  DATA sent %" PRIu64 ", retransmitted %" PRIu64 " (%.2f%%), RTO %" PRIu64 ", TLP %" PRIu64
	       ", fast %" PRIu64 ", BUSY %" PRIu64 ", rejected %" PRIu64 "\n",
	       data, t->st.tx_data_retrans, data ? 100.0 * (double)t->st.tx_data_retrans / (double)data : 0.0,
	       t->st.rto_fired, t->st.tlp_fired, t->st.fast_retrans, t->st.busy_sent, r->rejected);
	printf("  net: datagrams %" PRIu64 ", lost %" PRIu64 ", dup %" PRIu64 ", corrupted %" PRIu64 " (%" PRIu64
	       " delivered), queue drops %" PRIu64 ", mtu drops %" PRIu64 ", icmp %" PRIu64 ", fragmented %" PRIu64
	       ", transient %" PRIu64 ", reordered %" PRIu64 ", mtu changes %" PRIu64 "\n",
	       t->sent, t->lost, t->dup, t->corrupt, t->corrupt_delivered, t->queue_drops, t->mtu_drops, t->icmp,
	       t->fragmented, t->transient, t->reordered, t->mtu_changes);
	if (r->outcomes[0].n) {
		printf("  client outcomes other than success (completion/code; 1000, 2000 = the app's client, server "
		       "codes):");
		for (unsigned i = 0; i < 8 && r->outcomes[i].n; i++)
			printf(" %s/%d x%" PRIu64, rxd_completion_name((enum rxd_completion)r->outcomes[i].comp),
			       r->outcomes[i].code, r->outcomes[i].n);
		printf("\n");
	}
	printf("  virtual time %.1f s (workload %.1f s), steps %" PRIu64 " (rx batches %" PRIu64
	       "), wall %.2f s, failures %" PRIu64 "\n",
	       (double)t->virt_ns / 1e9, (double)t->work_ns / 1e9, t->steps, t->batches, wall, t->failures);
	fflush(stdout);
}

static uint64_t run_seeds(const struct spec *s, uint64_t first, uint64_t count, struct totals *tot)
{
	double t0 = wall_now();
	uint64_t failed_seeds = 0;

	install_crash_handler();
	memset(tot, 0, sizeof(*tot));
	for (uint64_t seed = first; seed < first + count; seed++)
		if (run_seed(s, seed, tot))
			failed_seeds++;
	print_summary(s->name, tot, wall_now() - t0);
	if (failed_seeds)
		fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " seeds failed\n", s->name, failed_seeds, count);
	return failed_seeds;
}

static void base_spec(struct spec *s, const char *name, unsigned engines)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->engines = engines;
	sim_link_default(&s->link);
}

/* ------------------------------------------------------------------ hand-made plans */

static void one_lane(struct sim_app *a, const struct sim_call_plan *plans, unsigned n)
{
	unsigned phase = sim_app_add_phase(a, 0, false);
	unsigned lane = sim_app_add_lane(a, phase);

	for (unsigned i = 0; i < n; i++)
		sim_app_add_call(a, lane, &plans[i]);
}

static void build_bulk(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	struct sim_call_plan p[2];

	(void)n, (void)seed, (void)s;
	sim_call_plan_default(&p[0], 0, 1, 16 * MIB, 100);
	sim_call_plan_default(&p[1], 0, 1, 100, 16 * MIB);
	p[1].peek = true;
	one_lane(a, p, 2);
}

Test(sim, bulk_16mib_no_loss_is_byte_identical, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "bulk_16mib_no_loss", 2);
	s.build = build_bulk;
	cr_assert_eq(run_seeds(&s, 1, 1, &t), 0, "bulk transfer failed");
	cr_assert_eq(t.app.succeeded, 2);
	cr_assert_eq(t.app.bytes, 2ull * (16 * MIB + 100));
	cr_assert_leq(t.st.tx_data_retrans * 100, t.st.tx_data,
		      "retransmitted %" PRIu64 " of %" PRIu64 " DATA on a loss-free network", t.st.tx_data_retrans,
		      t.st.tx_data);
	/* 32 MiB at 1 Gbit/s is ~0.3 s; allow slow start and ACK delays but not RTO stalls */
	cr_assert_lt(t.work_ns, 30 * RXD_NS_PER_SEC, "the transfers took %.1fs of virtual time", t.work_ns / 1e9);
	printf("  bulk: 2 x 16 MiB in %.3f s virtual (%.1f MB/s)\n", t.work_ns / 1e9,
	       2.0 * 16 * MIB / (t.work_ns / 1e9) / 1e6);
}

/* A congested link: 20 Mbit/s with a 30 ms queue forces tail drops. */
static void build_congested(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	unsigned phase = sim_app_add_phase(a, 0, false);
	struct sim_call_plan p;

	(void)n, (void)seed, (void)s;
	for (unsigned l = 0; l < 3; l++) {
		unsigned lane = sim_app_add_lane(a, phase);
		sim_call_plan_default(&p, 0, 1, 2 * MIB, 1000);
		sim_app_add_call(a, lane, &p);
		sim_call_plan_default(&p, 0, 1, 1000, 2 * MIB);
		sim_app_add_call(a, lane, &p);
	}
}

Test(sim, congested_link_with_tail_drops_completes, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "congested_link", 2);
	s.link.bandwidth_bps = 20000000;
	s.link.queue_ns = 30 * RXD_NS_PER_MS;
	s.link.delay_ns = 10 * RXD_NS_PER_MS;
	s.build = build_congested;
	cr_assert_eq(run_seeds(&s, 1, 2, &t), 0);
	cr_assert_eq(t.app.succeeded, 12);
	/* The impairment happened: the queue overflowed and the drops were repaired. */
	cr_assert_gt(t.queue_drops, 0, "no tail drop: the link never congested");
	cr_assert_gt(t.st.tx_data_retrans, 0);
}

static struct sim_workload small_work(unsigned engines)
{
	struct sim_workload w;

	sim_workload_default(&w, engines);
	w.calls_per_pair = 20;
	w.p_long_idle = 0.0;
	return w;
}

Test(sim, loss_5pct_mixed_calls_complete, .timeout = 900)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);

	base_spec(&s, "loss_5pct", 3);
	s.link.loss = 0.05;
	s.randomise_link = true;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, 20, &t), 0);
	cr_assert_gt(t.lost, 0);
	cr_assert_gt(t.st.tx_data_retrans, 0);
}

/*
 * rxkad crypt over a lossy, reordering link (crypto_delay_ns > 0: with crypto
 * engines); returns the totals of seeds 1..count, every call byte-exact.
 */
static struct totals rxkad_crypt_loss(const char *name, uint64_t crypto_delay_ns, uint64_t count)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);

	base_spec(&s, name, 3);
	s.link.loss = 0.05;
	s.link.reorder = 0.05;
	s.randomise_link = true;
	s.rxkad = true;
	s.rxkad_level = 2;
	s.crypto_delay_ns = crypto_delay_ns;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, count, &t), 0);
	cr_assert_gt(t.lost, 0);
	return t;
}

/* Lost CHALLENGEs and RESPONSEs are resent, held calls run. */
Test(sim, rxkad_crypt_with_loss_calls_complete, .timeout = 900)
{
	struct totals t = rxkad_crypt_loss("rxkad_crypt_loss", 0, 10);

	cr_assert_gt(t.st.rx_packets[RXD_PKT_CHALLENGE], 0, "no CHALLENGE: the calls were not secured");
	cr_assert_gt(t.st.rx_packets[RXD_PKT_RESPONSE], 0);
}

/* The same with crypto engines that finish jobs out of order, after up to 2 ms, 16 at a time. */
Test(sim, rxkad_crypt_with_a_crypto_engine_and_loss_calls_complete, .timeout = 900)
{
	struct totals t = rxkad_crypt_loss("rxkad_crypt_crypto_engine_loss", 2 * RXD_NS_PER_MS, 20);

	cr_assert_gt(t.st.crypto_jobs, 0, "no job went to the crypto engines");
	cr_assert_eq(t.st.crypto_inline, 0);
}

Test(sim, heavy_reordering_calls_complete, .timeout = 900)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);

	base_spec(&s, "heavy_reordering", 3);
	s.link.reorder = 0.3;
	s.link.reorder_ns = 20 * RXD_NS_PER_MS;
	s.link.jitter_ns = 2 * RXD_NS_PER_MS;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, 10, &t), 0);
	cr_assert_gt(t.reordered, 0, "no datagram was delivered out of order");
}

Test(sim, duplication_calls_complete_once, .timeout = 900)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);

	base_spec(&s, "duplication", 3);
	s.link.dup = 0.2;
	s.link.jitter_ns = 500000;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, 10, &t), 0);
	cr_assert_gt(t.dup, 0);
}

Test(sim, corruption_is_survived_without_leaks, .timeout = 900)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);
	uint64_t discards = 0;

	base_spec(&s, "corruption", 3);
	s.link.corrupt = 0.05;
	s.link.csum_catch = 0.5;
	s.link.loss = 0.01;
	s.relaxed = true;
	s.allow_data_mismatch = true;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, 10, &t), 0);
	for (unsigned r = 1; r < RXD_R__MAX; r++)
		discards += t.st.discards[r];
	cr_assert_gt(t.corrupt_delivered, 0, "no corrupted datagram reached an engine");
	cr_assert_gt(discards, 0, "corrupted datagrams reached the engines but none was discarded");
	printf("  corruption: %" PRIu64 " corrupted datagrams delivered, %" PRIu64 " discards, %" PRIu64
	       " payload mismatches reached applications\n",
	       t.corrupt_delivered, discards, t.app.data_mismatches);
}

Test(sim, transient_input_buffers_are_copied, .timeout = 900)
{
	struct spec s;
	struct totals t;
	struct sim_workload w = small_work(3);

	base_spec(&s, "transient_rx", 3);
	s.link.transient = 0.5;
	s.link.loss = 0.02;
	s.work = &w;
	cr_assert_eq(run_seeds(&s, 1, 5, &t), 0);
	cr_assert_gt(t.transient, 0);
}

/* ---- path MTU changes mid-call ---- */

struct mtu_watch {
	struct sim_net *n;
	uint64_t after_bytes;
	uint32_t mtu;
	unsigned ticks;
};

static struct mtu_watch g_mtu_watch;

static void mtu_watch_ev(void *arg, uint64_t now)
{
	struct mtu_watch *w = arg;

	if (sim_net_stats(w->n)->delivered_bytes >= w->after_bytes) {
		if (env_u64("RXD_SIM_VERBOSE", 0))
			fprintf(stderr, "  path MTU %u -> %u at %.6fs\n", sim_net_link(w->n)->mtu, w->mtu, now / 1e9);
		sim_net_set_mtu_at(w->n, now, w->mtu);
		return;
	}
	if (++w->ticks < 20000)
		sim_net_schedule(w->n, now + RXD_NS_PER_MS, mtu_watch_ev, w);
}

static void build_mtu(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	const uint32_t *new_mtu = s->ctx;
	struct sim_call_plan p[3];

	(void)seed;
	sim_call_plan_default(&p[0], 0, 1, 8 * MIB, 100);
	sim_call_plan_default(&p[1], 0, 1, 8 * MIB, 100);
	sim_call_plan_default(&p[2], 0, 1, 100, 8 * MIB);
	one_lane(a, p, 3);
	g_mtu_watch.n = n;
	g_mtu_watch.after_bytes = 12 * MIB; /* in the middle of the second call */
	g_mtu_watch.mtu = *new_mtu;
	g_mtu_watch.ticks = 0;
	sim_net_schedule(n, sim_net_now(n) + RXD_NS_PER_MS, mtu_watch_ev, &g_mtu_watch);
}

/* Two 8 MiB requests and an 8 MiB reply, one after the other on one conn. */
static void build_pmtud(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	struct sim_call_plan p[3];

	(void)n, (void)seed, (void)s;
	sim_call_plan_default(&p[0], 0, 1, 8 * MIB, 100);
	sim_call_plan_default(&p[1], 0, 1, 8 * MIB, 100);
	sim_call_plan_default(&p[2], 0, 1, 100, 8 * MIB);
	one_lane(a, p, 3);
}

static void mtu_scenario(const char *name, uint32_t start_mtu, uint32_t if_mtu, uint32_t new_mtu)
{
	static struct rxd_config cfg;
	static uint32_t mtu_arg;
	struct spec s;
	struct totals t;
	char err[128];

	rxd_config_default(&cfg);
	cfg.if_mtu = if_mtu;
	cr_assert_eq(rxd_config_validate(&cfg, err, sizeof(err)), 0, "config: %s", err);
	mtu_arg = new_mtu;
	base_spec(&s, name, 2);
	s.link.mtu = start_mtu;
	s.link.loss = 0.01;
	s.config = &cfg;
	s.build = build_mtu;
	s.ctx = &mtu_arg;
	cr_assert_eq(run_seeds(&s, 1, 3, &t), 0);
	cr_assert_eq(t.app.succeeded, 9);
	/* The change happened in every run and bit: larger datagrams were dropped or fragmented after it
	 * (before it every datagram fits, the start MTU being the interface MTU). */
	cr_assert_eq(t.mtu_changes, 3, "the MTU changed in %" PRIu64 " of 3 runs", t.mtu_changes);
	cr_assert_gt(t.mtu_drops + t.fragmented, 0, "the MTU change never affected a datagram");
	printf("  %s: %" PRIu64 " datagrams dropped by the MTU, %" PRIu64 " ICMP frag-needed, %" PRIu64
	       " fragmented, %" PRIu64 " PMTU probes\n",
	       name, t.mtu_drops, t.icmp, t.fragmented, t.st.pmtud_probes);
}

Test(sim, path_mtu_drop_mid_call_recovers, .timeout = 900)
{
	mtu_scenario("mtu_9000_to_1500", 9000, 9000, 1500);
}

Test(sim, path_mtu_below_packet_size_mid_call_recovers, .timeout = 900)
{
	mtu_scenario("mtu_1500_to_1280", 1500, 1500, 1280);
}

/*
 * Path-MTU discovery through a black hole: 9000-byte interfaces, a 4000-byte path that drops
 * larger DF datagrams without ICMP, 1% loss.  Only padded PING probes find the size: each run
 * must drop probes (and no DATA: DATA never exceeds what a probe proved), settle near 3972 bytes
 * of UDP payload and send its DATA as 2-subpacket jumbograms (2856 bytes), never 3 (4272).
 */
Test(sim, path_mtu_discovery_through_an_icmp_black_hole, .timeout = 900)
{
	static struct rxd_config cfg;
	struct spec s;
	struct totals t;
	char err[128];

	rxd_config_default(&cfg);
	cfg.if_mtu = 9000;
	cr_assert_eq(rxd_config_validate(&cfg, err, sizeof(err)), 0, "config: %s", err);
	base_spec(&s, "pmtud_black_hole_4000", 2);
	s.link.mtu = 4000;
	s.link.no_icmp = true;
	s.link.loss = 0.01;
	s.config = &cfg;
	s.build = build_pmtud;
	cr_assert_eq(run_seeds(&s, 1, 3, &t), 0);
	cr_assert_eq(t.app.succeeded, 9);
	cr_assert_eq(t.icmp, 0, "the path sent ICMP");
	cr_assert_gt(t.mtu_drops, 0, "no probe met the path MTU");
	cr_assert_eq(t.mtu_drops_data, 0, "%" PRIu64 " DATA datagrams exceeded the path", t.mtu_drops_data);
	cr_assert_gt(t.st.pmtud_probes_lost, 0);
	cr_assert_leq(t.largest_probe_max, 4000 - SIM_IP_UDP_HDR, "a probe above the path was delivered");
	cr_assert_geq(t.largest_probe_min, 3900, "a run settled at %u bytes, far below the 3972-byte path",
		      t.largest_probe_min);
	cr_assert_eq(t.largest_data_max, 2856, "DATA of %u bytes", t.largest_data_max);
	cr_assert_eq(t.largest_data_min, 2856, "a run sent no 2-subpacket jumbogram (largest DATA %u)",
		     t.largest_data_min);
	printf("  pmtud_black_hole_4000: %" PRIu64 " probes, %" PRIu64 " lost, %" PRIu64
	       " dropped by the MTU, discovered %u..%u bytes\n",
	       t.st.pmtud_probes, t.st.pmtud_probes_lost, t.mtu_drops, t.largest_probe_min, t.largest_probe_max);
}

/* ---- aborts ---- */

static void build_client_aborts(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	struct sim_call_plan p[7];
	unsigned k = 0;

	(void)n, (void)seed, (void)s;
	sim_call_plan_default(&p[k], 0, 1, 100 * KIB, 1000); /* before sending anything */
	p[k].action = SIM_ACT_CLIENT_ABORT_REQ;
	p[k].action_at = 0;
	p[k++].action_code = 1001;
	sim_call_plan_default(&p[k], 0, 1, 100 * KIB, 1000); /* mid-request */
	p[k].action = SIM_ACT_CLIENT_ABORT_REQ;
	p[k].action_at = 50 * KIB;
	p[k++].action_code = 1002;
	sim_call_plan_default(&p[k], 0, 1, 1000, 100 * KIB); /* request sent, no reply read */
	p[k].action = SIM_ACT_CLIENT_ABORT_REPLY;
	p[k].action_at = 0;
	p[k++].action_code = 1003;
	sim_call_plan_default(&p[k], 0, 1, 1000, 400 * KIB); /* mid-reply, peeking */
	p[k].action = SIM_ACT_CLIENT_ABORT_REPLY;
	p[k].action_at = 50 * KIB;
	p[k].peek = true;
	p[k++].action_code = 1004;
	sim_call_plan_default(&p[k], 0, 1, 1000, 400 * KIB); /* mid-reply with a slow reader */
	p[k].action = SIM_ACT_CLIENT_ABORT_REPLY;
	p[k].action_at = 100 * KIB;
	p[k].recv_chunk = 10 * KIB;
	p[k].stall_us = 20000;
	p[k++].action_code = 1005;
	sim_call_plan_default(&p[k], 0, 1, 1000, 400 * KIB); /* rxd_call_end mid-reply */
	p[k].action = SIM_ACT_CLIENT_END_REPLY;
	p[k++].action_at = 10 * KIB;
	sim_call_plan_default(&p[k], 0, 1, 1000, 1000); /* and the connection still works */
	k++;
	one_lane(a, p, k);
}

Test(sim, client_aborts_reach_server_with_their_code, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "client_aborts", 2);
	s.build = build_client_aborts;
	cr_assert_eq(run_seeds(&s, 1, 1, &t), 0);
	cr_assert_eq(t.app.client_aborted + t.app.succeeded, 7);
	cr_assert_geq(t.app.client_aborted, 5);
	s.name = "client_aborts_lossy";
	s.link.loss = 0.05;
	cr_assert_eq(run_seeds(&s, 1, 10, &t), 0);
}

static void build_server_aborts(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	struct sim_call_plan p[6];
	unsigned k = 0;

	(void)n, (void)seed, (void)s;
	sim_call_plan_default(&p[k], 0, 1, 100 * KIB, 1000); /* right after the header */
	p[k].action = SIM_ACT_SERVER_ABORT_REQ;
	p[k].action_at = SIM_REQ_HDR_LEN;
	p[k++].action_code = 2001;
	sim_call_plan_default(&p[k], 0, 1, 100 * KIB, 1000); /* mid-request */
	p[k].action = SIM_ACT_SERVER_ABORT_REQ;
	p[k].action_at = 60 * KIB;
	p[k++].action_code = 2002;
	sim_call_plan_default(&p[k], 0, 1, 1000, 100 * KIB); /* request read, before replying */
	p[k].action = SIM_ACT_SERVER_ABORT_REPLY;
	p[k].action_at = 0;
	p[k++].action_code = 2003;
	sim_call_plan_default(&p[k], 0, 1, 1000, 400 * KIB); /* mid-reply */
	p[k].action = SIM_ACT_SERVER_ABORT_REPLY;
	p[k].action_at = 200 * KIB;
	p[k++].action_code = 2004;
	sim_call_plan_default(&p[k], 0, 1, 1000, 100 * KIB); /* after thinking */
	p[k].action = SIM_ACT_SERVER_ABORT_REPLY;
	p[k].action_at = 0;
	p[k].think_us = 1500000;
	p[k++].action_code = 2005;
	sim_call_plan_default(&p[k], 0, 1, 1000, 1000);
	k++;
	one_lane(a, p, k);
}

Test(sim, server_aborts_reach_client_with_their_code, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "server_aborts", 2);
	s.build = build_server_aborts;
	cr_assert_eq(run_seeds(&s, 1, 1, &t), 0);
	cr_assert_eq(t.app.server_aborted, 5);
	cr_assert_eq(t.app.succeeded, 1);
	s.name = "server_aborts_lossy";
	s.link.loss = 0.05;
	cr_assert_eq(run_seeds(&s, 1, 10, &t), 0);
}

static void build_unknown(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	struct sim_call_plan p[4];
	uint32_t sizes[3] = {0, 100, 300 * KIB};

	(void)n, (void)seed, (void)s;
	for (unsigned i = 0; i < 3; i++) {
		sim_call_plan_default(&p[i], 0, 1, sizes[i], 100);
		p[i].service_id = SIM_UNKNOWN_SERVICE_ID;
	}
	sim_call_plan_default(&p[3], 0, 1, 100, 100);
	one_lane(a, p, 4);
}

Test(sim, unknown_service_is_aborted_invalid_operation, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "unknown_service", 2);
	s.build = build_unknown;
	cr_assert_eq(run_seeds(&s, 1, 1, &t), 0);
	cr_assert_eq(t.app.unknown_service, 3);
	cr_assert_eq(t.app.succeeded, 1);
}

/* ---- busy server ---- */

static void build_busy(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	unsigned phase = sim_app_add_phase(a, 0, false);
	struct sim_rng r;

	(void)n, (void)s;
	sim_rng_seed(&r, seed);
	for (unsigned c = 1; c <= 2; c++) {
		for (unsigned l = 0; l < 8; l++) {
			unsigned lane = sim_app_add_lane(a, phase);
			for (unsigned k = 0; k < 6; k++) {
				struct sim_call_plan p;
				sim_call_plan_default(&p, c, 0, (uint32_t)sim_rng_range(&r, 0, 20000),
						      (uint32_t)sim_rng_range(&r, 0, 20000));
				if (p.req_len >= SIM_REQ_HDR_LEN)
					p.think_us = (uint32_t)sim_rng_below(&r, 50000);
				sim_app_add_call(a, lane, &p);
			}
		}
	}
}

Test(sim, busy_server_sends_busy_and_calls_still_end_clearly, .timeout = 900)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "busy_server", 3);
	s.servers_mask = 1;
	s.needs_charge = true;
	s.charge_slots = 4;
	s.reject_every = 3;
	s.relaxed = true;
	s.build = build_busy;
	cr_assert_eq(run_seeds(&s, 1, 3, &t), 0);
	cr_assert_gt(t.st.busy_sent, 0, "the server never sent BUSY");
	cr_assert_gt(t.app.succeeded, 0, "no call got through the busy server");
	printf("  busy_server: %" PRIu64 " of %" PRIu64 " calls succeeded, %" PRIu64 " BUSY sent, %" PRIu64
	       " rejected\n",
	       t.app.succeeded, t.app.calls, t.st.busy_sent, t.app.rejected);
}

/* ---- expiry ---- */

static void build_expiry(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	(void)n, (void)seed, (void)s;
	for (unsigned ph = 0; ph < 3; ph++) {
		unsigned phase = sim_app_add_phase(a, ph ? 842 * RXD_NS_PER_SEC : 0, ph > 0);
		for (unsigned l = 0; l < 5; l++) {
			unsigned lane = sim_app_add_lane(a, phase);
			for (unsigned k = 0; k < 4; k++) {
				struct sim_call_plan p;
				sim_call_plan_default(&p, 0, 1, 1000 + k, 2000 + l);
				sim_app_add_call(a, lane, &p);
			}
		}
	}
}

Test(sim, idle_conns_and_peers_expire_and_are_recreated, .timeout = 600)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "expiry", 2);
	s.build = build_expiry;
	cr_assert_eq(run_seeds(&s, 1, 1, &t), 0);
	cr_assert_eq(t.app.reaped_checks, 2);
	cr_assert_eq(t.app.succeeded, 60);
	/* every phase had to build new connections and peers on both sides */
	cr_assert_geq(t.st.conns_client, 6, "client conns created: %" PRIu64, t.st.conns_client);
	cr_assert_geq(t.st.conns_service, 6, "service conns created: %" PRIu64, t.st.conns_service);
	cr_assert_geq(t.st.peers, 6, "peers created: %" PRIu64, t.st.peers);
}

/* ---- many calls to one peer through a small drop-tail buffer ---- */

/* 128 concurrent calls from one client, 4 KiB requests, 64 KiB replies (more than a 32-packet window). */
static void build_fan_in(struct sim_app *a, struct sim_net *n, uint64_t seed, const struct spec *s)
{
	unsigned phase = sim_app_add_phase(a, 0, false);

	(void)n, (void)seed, (void)s;
	for (unsigned l = 0; l < 128; l++) {
		unsigned lane = sim_app_add_lane(a, phase);
		for (unsigned k = 0; k < 2; k++) {
			struct sim_call_plan p;
			sim_call_plan_default(&p, 0, 1, 4 * KIB, 64 * KIB);
			sim_app_add_call(a, lane, &p);
		}
	}
}

/*
 * The OpenAFS stall (doc/reliability.md): many calls to one peer whose
 * receive path holds about 32 KiB.  The buffer must really overflow, every
 * call must complete with the right bytes, and quickly: a stalled call waited
 * out RTOs backed off by every other call's timeouts (tens of seconds).
 */
Test(sim, many_calls_to_one_peer_through_a_small_buffer_all_complete, .timeout = 900)
{
	struct spec s;
	struct totals t;

	base_spec(&s, "fan_in_small_buffer", 2);
	s.link.delay_ns = 100 * 1000;
	s.link.bandwidth_bps = 200000000;
	s.link.queue_ns = 1300 * 1000; /* ~32 KiB at 200 Mbit/s */
	s.call_time_limit_ns = 10 * RXD_NS_PER_SEC;
	s.build = build_fan_in;
	cr_assert_eq(run_seeds(&s, 1, 5, &t), 0);
	cr_assert_eq(t.app.succeeded, 5 * 256);
	cr_assert_gt(t.queue_drops, 0, "the buffer never overflowed: the scenario tests nothing");
	cr_assert_gt(t.st.tx_data_retrans, 0);
	printf("  fan_in: %" PRIu64 " queue drops, %" PRIu64
	       " DATA retransmitted, workload %.2f s virtual over 5 seeds\n",
	       t.queue_drops, t.st.tx_data_retrans, t.work_ns / 1e9);
}

/* ---- the big run ---- */

Test(sim, many_seeds_lossy_reordering_duplicating, .timeout = 1800)
{
	struct spec s;
	struct totals t;
	struct sim_workload w;
	uint64_t seeds = env_u64("RXD_SIM_SEEDS", 1000), first = env_u64("RXD_SIM_SEED_FIRST", 1);

	base_spec(&s, "many_seeds", 3);
	s.link.loss = 0.05;
	s.link.reorder = 0.05;
	s.link.reorder_ns = 10 * RXD_NS_PER_MS;
	s.link.dup = 0.02;
	s.randomise_link = true;
	sim_workload_default(&w, 3);
	s.work = &w;
	cr_assert_eq(run_seeds(&s, first, seeds, &t), 0,
		     "failing seeds: see stderr (rerun one with "
		     "RXD_SIM_SEEDS=1 RXD_SIM_SEED_FIRST=<seed> RXD_SIM_TRACE=1)");
	cr_assert_eq(t.seeds, seeds);
	cr_assert_gt(t.reordered, 0);
	cr_assert_gt(t.dup, 0);
	cr_assert_gt(t.lost, 0);
}

/* ---- teardown with everything live ---- */

/* rxd_local_destroy() in the middle of traffic: calls in every state, conns,
 * peers, queued packets.  It must notify, free every buffer (counted here) and
 * every allocation (ASan). */
Test(sim, destroy_mid_run_frees_everything, .timeout = 600)
{
	struct sim_workload w = small_work(3);

	install_crash_handler();
	g_scenario = "destroy_mid_run";
	for (uint64_t seed = 1; seed <= 10; seed++) {
		struct sim_net_params np;
		struct sim_app_params ap;
		struct sim_net *n;
		struct sim_app *a;
		uint64_t leaked, stop;

		g_seed = seed;
		memset(&np, 0, sizeof(np));
		np.n_engines = 3;
		np.seed = seed;
		np.start_ns = 1000 * RXD_NS_PER_SEC;
		sim_link_default(&np.link);
		np.link.loss = 0.05;
		np.link.dup = 0.02;
		cr_assert_eq(sim_net_create(&np, &n), 0);
		memset(&ap, 0, sizeof(ap));
		ap.net = n;
		ap.name = "destroy_mid_run";
		ap.servers_mask = 7;
		a = sim_app_create(&ap);
		cr_assert_not_null(a);
		sim_app_generate(a, &w, seed);
		sim_app_start(a);
		/* stop somewhere in the first second of traffic */
		stop = sim_net_now(n) + (sim_mix64(seed) % 900 + 50) * RXD_NS_PER_MS;
		sim_net_run(n, NULL, NULL, stop, 100000000ull);
		sim_app_detach(a);
		leaked = sim_net_destroy(n);
		sim_app_destroy(a);
		cr_assert_eq(leaked, 0, "seed %" PRIu64 ": %" PRIu64 " buffers leaked by rxd_local_destroy()", seed,
			     leaked);
	}
}
