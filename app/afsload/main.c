/* SPDX-License-Identifier: MIT */
/*
 * rxd-afsload: an AFS fileserver load generator on the rxd DPDK shell
 * (engine: afsload.c; doc/fileserver.md "Load generator").
 *
 *   rxd-afsload <EAL args> -- --ip ADDR/LEN --server IP[:PORT]
 *        --volume-id N | --vl IP[:PORT] --volume NAME  [--files N] [--size BYTES] [--concurrency C] [--passes P]
 *        [--status-secs S | --status-calls M] [--mix store,fetch,status]
 *        [--keep] [--prefix NAME] [--json] [--timeout S]
 *
 * It finds the volume (VL GetEntryByNameU when named), creates N files in
 * the volume's root directory, stores S bytes into
 * each (StoreData64), fetches them back (FetchData64, every byte checked),
 * runs FetchStatus calls, removes the files, and prints per phase a table
 * row and one JSON line (doc/results-json.md) with calls/s, MB/s and the
 * latency percentiles.  Exit: 0 every call succeeded and every byte
 * matched, 1 otherwise, 2 usage, 3 timeout.  One worker lcore.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_random.h>

#include <rxd/core.h>
#include <rxd/dpdk.h>
#include <rxd/wire.h>

#include "afsload.h"
#include "rxd_launch.h"
#include "rxd_result.h"

#define PROG "rxd-afsload"
#define EXIT_TIMEOUT 3
#define FS_PORT 7000
#define VL_PORT 7003
#define CM_PORT "7001" /* the cache manager's port: the fileserver calls back where the calls came from */
#define CALLS_PER_CONN 4u

/* A process's CPU time in clock ticks: all threads, and those that are DPDK lcores. */
struct cpu {
	uint64_t total, lcore;
};

struct mark {
	uint64_t t0, t1;
	struct cpu c0, c1;
	bool have0, have1;
};

struct app {
	struct rxd_afsload_params p;
	const char *server, *vl;
	double status_secs, timeout_s, hold_s;
	bool json, have_check_seed;
	struct rxd_shell_opts so;
	struct rxd_shell *shell;
	struct rxd_afsload *g;
	long server_pid; /* --server-pid: 0 = none */
	struct mark marks[RXD_AL__PHASES];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: " PROG " <EAL args> -- --ip ADDR/LEN --server IP[:PORT] --volume-id N|--vl IP --volume NAME "
		   "[options]\n"
		   "  --server IP[:PORT]   the fileserver (port 7000)\n"
		   "  --volume-id N        the RW volume whose root directory holds the files (its fid N.1.1)\n"
		   "  --volume NAME        ... or that volume by name, from the VL server --vl IP[:PORT] (7003)\n"
		   "  --files N            files to create, store, fetch (16)\n"
		   "  --size BYTES         bytes per file, k/m/g suffixes (1m)\n"
		   "  --concurrency C      calls in flight (16)\n"
		   "  --passes P           FetchData64 passes over the files (1)\n"
		   "  --status-secs S      FetchStatus calls for S seconds (2)\n"
		   "  --status-calls M     ... or exactly M FetchStatus calls\n"
		   "  --mix LIST           phases besides create and remove: store,fetch,status (all)\n"
		   "  --keep               do not remove the files at the end\n"
		   "  --prefix NAME        file names NAME.<i> (afsload-<pid>)\n"
		   "  --pattern N          seed of the files' byte pattern (1)\n"
		   "  --check-pattern N    test hook: check fetched bytes against pattern N (--pattern)\n"
		   "  --server-pid PID     report the CPU time this local process (the server) used per phase\n"
		   "  --json               only the JSON lines\n"
		   "  --timeout S          give up after S seconds (exit 3; 600)\n"
		   "  --hold S             after the report, keep the port open while its link is up (memif: the\n"
		   "                       server stops first), at most S seconds\n"
		   "exit: 0 every call succeeded and every byte matched, 1 otherwise, 2 usage, 3 timeout\n"
		   "shell options (--port defaults to " CM_PORT "):\n");
	rxd_shell_opts_usage(f);
}

static int set_mix(struct app *a, const char *v, char *err, size_t errlen)
{
	char buf[128], *save = NULL;

	if (!v || strlen(v) >= sizeof buf)
		goto bad;
	snprintf(buf, sizeof buf, "%s", v);
	a->p.run[RXD_AL_STORE] = a->p.run[RXD_AL_FETCH] = a->p.run[RXD_AL_STATUS] = false;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "store"))
			a->p.run[RXD_AL_STORE] = true;
		else if (!strcmp(t, "fetch"))
			a->p.run[RXD_AL_FETCH] = true;
		else if (!strcmp(t, "status"))
			a->p.run[RXD_AL_STATUS] = true;
		else
			goto bad;
	}
	if (a->p.run[RXD_AL_FETCH] && !a->p.run[RXD_AL_STORE]) {
		snprintf(err, errlen, "--mix %s: fetch needs store (the bytes fetched are checked against it)", v);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "--mix %s: expected a list of store, fetch, status", v ? v : "(none)");
	return -EINVAL;
}

static int num(const char *name, const char *v, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen)
{
	if (!v || rxd_parse_u64(v, hi, out) || *out < lo) {
		snprintf(err, errlen, "--%s %s: expected a number %" PRIu64 "..%" PRIu64, name, v ? v : "(none)", lo,
			 hi);
		return -EINVAL;
	}
	return 0;
}

static int secs(const char *name, const char *v, double *out, char *err, size_t errlen)
{
	char *end;

	*out = v ? strtod(v, &end) : -1;
	if (!v || end == v || *end || *out <= 0) {
		snprintf(err, errlen, "--%s %s: expected seconds > 0", name, v ? v : "(none)");
		return -EINVAL;
	}
	return 0;
}

static int app_set(void *arg, const char *name, const char *value, char *err, size_t errlen)
{
	struct app *a = arg;
	uint64_t u;
	int rc;

	if (!strcmp(name, "server")) {
		a->server = value;
	} else if (!strcmp(name, "vl")) {
		a->vl = value;
	} else if (!strcmp(name, "volume")) {
		if (!value || !*value || strlen(value) >= sizeof a->p.volume) {
			snprintf(err, errlen, "--volume %s: expected a name of 1..%zu bytes", value ? value : "(none)",
				 sizeof a->p.volume - 1);
			return -EINVAL;
		}
		snprintf(a->p.volume, sizeof a->p.volume, "%s", value);
		a->p.lookup = true;
	} else if (!strcmp(name, "volume-id")) {
		if ((rc = num(name, value, 1, UINT32_MAX, &u, err, errlen)))
			return rc;
		a->p.dir = (struct rxd_AFSFid){(uint32_t)u, 1, 1};
	} else if (!strcmp(name, "files")) {
		if ((rc = num(name, value, 1, 1u << 20, &u, err, errlen)))
			return rc;
		a->p.files = (uint32_t)u;
	} else if (!strcmp(name, "size")) {
		if ((rc = num(name, value, 0, 1ull << 40, &a->p.size, err, errlen)))
			return rc;
	} else if (!strcmp(name, "concurrency")) {
		if ((rc = num(name, value, 1, 4096, &u, err, errlen)))
			return rc;
		a->p.concurrency = (unsigned)u;
	} else if (!strcmp(name, "passes")) {
		if ((rc = num(name, value, 1, 1u << 20, &u, err, errlen)))
			return rc;
		a->p.passes = (unsigned)u;
	} else if (!strcmp(name, "status-secs")) {
		return secs(name, value, &a->status_secs, err, errlen);
	} else if (!strcmp(name, "status-calls")) {
		return num(name, value, 1, UINT64_MAX >> 2, &a->p.status_calls, err, errlen);
	} else if (!strcmp(name, "mix")) {
		return set_mix(a, value, err, errlen);
	} else if (!strcmp(name, "keep")) {
		a->p.run[RXD_AL_REMOVE] = false;
	} else if (!strcmp(name, "prefix")) {
		if (!value || !*value || strlen(value) >= sizeof a->p.prefix - 12 || strchr(value, '/')) {
			snprintf(err, errlen, "--prefix %s: expected a name of 1..%zu bytes without '/'",
				 value ? value : "(none)", sizeof a->p.prefix - 13);
			return -EINVAL;
		}
		snprintf(a->p.prefix, sizeof a->p.prefix, "%s", value);
	} else if (!strcmp(name, "pattern")) {
		if ((rc = num(name, value, 0, UINT32_MAX, &u, err, errlen)))
			return rc;
		a->p.seed = (uint32_t)u;
	} else if (!strcmp(name, "check-pattern")) {
		if ((rc = num(name, value, 0, UINT32_MAX, &u, err, errlen)))
			return rc;
		a->p.check_seed = (uint32_t)u;
		a->have_check_seed = true;
	} else if (!strcmp(name, "server-pid")) {
		if ((rc = num(name, value, 1, 1u << 30, &u, err, errlen)))
			return rc;
		a->server_pid = (long)u;
	} else if (!strcmp(name, "json")) {
		a->json = true;
	} else if (!strcmp(name, "hold")) {
		return secs(name, value, &a->hold_s, err, errlen);
	} else if (!strcmp(name, "timeout")) {
		return secs(name, value, &a->timeout_s, err, errlen);
	} else {
		return rxd_shell_opts_set(&a->so, name, value, err, errlen);
	}
	return 0;
}

static bool is_flag(const char *name)
{
	return !strcmp(name, "keep") || !strcmp(name, "json") || rxd_shell_opts_is_flag(name);
}

/* ------------------------------------------------------------------ the server's CPU time */

/* utime + stime of one /proc/PID/task/TID/stat; *lcore when its name is a DPDK lcore's. */
static int task_cpu(long pid, const char *tid, uint64_t *ticks, bool *lcore)
{
	char path[96], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%ld/task/%s/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strchr(buf, '(');
	/* DPDK names its worker lcore threads rte-worker-N (22.11), lcore-worker-N or dpdk-worker-N (others) */
	*lcore = p && (!strncmp(p + 1, "rte-worker", 10) || !strncmp(p + 1, "lcore-worker", 12) ||
		       !strncmp(p + 1, "dpdk-worker", 11));
	p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	/* after the name: state (field 3) ... utime (14), stime (15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -EINVAL;
	*ticks = ut + st;
	return 0;
}

static int proc_cpu(long pid, struct cpu *c)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%ld/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	memset(c, 0, sizeof(*c));
	while ((e = readdir(d))) {
		uint64_t t;
		bool lc;
		if (e->d_name[0] == '.' || task_cpu(pid, e->d_name, &t, &lc))
			continue; /* a thread that just exited */
		c->total += t;
		if (lc)
			c->lcore += t;
	}
	closedir(d);
	return 0;
}

static void on_mark(void *arg, enum rxd_afsload_phase ph, bool end, uint64_t now)
{
	struct app *a = arg;
	struct mark *m = &a->marks[ph];

	if (!end) {
		m->have0 = proc_cpu(a->server_pid, &m->c0) == 0;
		m->t0 = now;
	} else {
		m->have1 = proc_cpu(a->server_pid, &m->c1) == 0;
		m->t1 = now;
	}
}

/* ------------------------------------------------------------------ hooks */

static uint64_t shell_clock(void *arg)
{
	return rxd_shell_now(arg);
}

static void *cm_app(void *arg, unsigned worker)
{
	(void)worker;
	return arg;
}

static void hook_poll(void *arg, struct rxd_worker *w, uint64_t now)
{
	struct app *a = arg;

	rxd_afsload_poll(a->g, rxd_worker_local(w, 0, 0), now);
}

static void hook_drain(void *arg, struct rxd_worker *w, uint64_t now)
{
	(void)w;
	(void)now;
	rxd_afsload_stop(((struct app *)arg)->g);
}

static void hook_abort_all(void *arg, struct rxd_worker *w, uint64_t now)
{
	(void)w;
	rxd_afsload_abort_all(((struct app *)arg)->g, now);
}

static int setup(struct app *a, char *err, size_t errlen)
{
	struct rxd_lcore_hooks h;
	struct rxd_service_desc d;
	struct rxd_addr me;
	int rc;

	if (rxd_shell_nb_workers(a->shell) != 1) {
		snprintf(err, errlen, "one worker lcore, please (the engine runs on one; --lcores 0@0,1@1)");
		return -EINVAL;
	}
	rxd_shell_iface_addr(a->shell, 0, &me);
	a->p.my_ip =
	    (uint32_t)me.ip.v4[0] << 24 | (uint32_t)me.ip.v4[1] << 16 | (uint32_t)me.ip.v4[2] << 8 | me.ip.v4[3];
	if (a->server_pid) {
		struct cpu c;
		if (proc_cpu(a->server_pid, &c)) {
			snprintf(err, errlen, "--server-pid %ld: cannot read /proc/%ld/task", a->server_pid,
				 a->server_pid);
			return -ESRCH;
		}
		a->p.mark = on_mark;
		a->p.mark_arg = a;
	}
	rc = rxd_afsload_create(&a->p, shell_clock, a->shell, &a->g);
	if (rc) {
		snprintf(err, errlen, "cannot create the engine: %s", strerror(-rc));
		return rc;
	}
	rxd_afsload_cm_desc(a->g, &d);
	rc = rxd_shell_register_service(a->shell, 0, 0, &d, cm_app, a->g, err, errlen);
	if (rc)
		return rc;
	memset(&h, 0, sizeof h);
	h.poll = hook_poll;
	h.drain = hook_drain;
	h.abort_all = hook_abort_all;
	h.arg = a;
	return rxd_shell_set_hooks(a->shell, &h);
}

/* ------------------------------------------------------------------ report */

/* The server's CPU time over the phase (from its first begin to its last completion). */
static void server_cpu_json(const struct app *a, unsigned ph)
{
	const struct mark *m = &a->marks[ph];
	double hz = (double)sysconf(_SC_CLK_TCK), secs, cpu;

	if (!a->server_pid || !m->have0 || !m->have1 || m->t1 <= m->t0)
		return;
	secs = (double)(m->t1 - m->t0) / 1e9;
	cpu = (double)(m->c1.total - m->c0.total) / hz;
	printf(",\"server_pid\":%ld,\"phase_secs\":%.6f,\"server_cpu_s\":%.2f,\"server_lcore_cpu_s\":%.2f,"
	       "\"server_cores\":%.3f",
	       a->server_pid, secs, cpu, (double)(m->c1.lcore - m->c0.lcore) / hz, cpu / secs);
}

static int report(struct app *a, bool timed_out)
{
	const struct rxd_afsload_stats *st = rxd_afsload_stats(a->g);
	struct rxd_stats cs;
	uint64_t errors = 0, ok = 0;

	rxd_shell_core_stats(a->shell, &cs);
	if (!a->json) {
		printf(PROG ": %u files of %" PRIu64 " B, concurrency %u, volume %u, server %s\n", a->p.files,
		       a->p.size, a->p.concurrency, st->volume, a->server);
		printf("%-8s %10s %10s %12s %10s %10s %10s %10s %8s\n", "phase", "calls", "secs", "calls/s", "MB/s",
		       "p50_us", "p99_us", "p999_us", "errors");
	}
	for (unsigned i = 0; i < RXD_AL__PHASES; i++) {
		const struct rxd_afsload_phase_stats *ps = &st->ph[i];
		double t = ps->t_last > ps->t_first ? (double)(ps->t_last - ps->t_first) / 1e9 : 0.0;
		struct rxd_result r = {
		    .impl = "rxd-afsload",
		    .scenario = rxd_afsload_phase_name(i),
		    .req_bytes = i == RXD_AL_STORE ? a->p.size : 0,
		    .reply_bytes = i == RXD_AL_FETCH ? a->p.size : 0,
		    .concurrency = a->p.concurrency,
		    .calls = ps->ok + ps->errors,
		    .calls_ok = ps->ok,
		    .calls_failed = ps->errors,
		    .verify_errors = i == RXD_AL_FETCH ? st->verify_errors : 0,
		    .retransmissions = cs.tx_data_retrans,
		    .secs = t,
		    .calls_per_s = t > 0 ? (double)ps->ok / t : 0.0,
		    .mb_per_s = t > 0 ? (double)ps->bytes / t / 1e6 : 0.0,
		    .p50_us = (double)rxd_histo_quantile(&ps->lat, 0.5) / 1e3,
		    .p99_us = (double)rxd_histo_quantile(&ps->lat, 0.99) / 1e3,
		    .p999_us = (double)rxd_histo_quantile(&ps->lat, 0.999) / 1e3,
		};
		errors += ps->errors;
		ok += ps->ok;
		if (!a->p.run[i])
			continue;
		if (!a->json)
			printf("%-8s %10" PRIu64 " %10.3f %12.1f %10.2f %10.1f %10.1f %10.1f %8" PRIu64 "\n",
			       r.scenario, r.calls, r.secs, r.calls_per_s, r.mb_per_s, r.p50_us, r.p99_us, r.p999_us,
			       ps->errors);
		printf("{");
		rxd_result_json(stdout, &r);
		printf(",\"files\":%u,\"file_bytes\":%" PRIu64 ",\"server_addr\":\"%s\",\"vbusy_retries\":%" PRIu64,
		       a->p.files, a->p.size, a->server, st->vbusy);
		server_cpu_json(a, i);
		printf("}\n");
	}
	if (!a->json)
		printf(PROG ": %" PRIu64 " calls ok, %" PRIu64 " failed, %" PRIu64 " verify errors, %" PRIu64
			    " RXAFSCB calls answered, %" PRIu64 " retransmissions, %" PRIu64 " VBUSY retries\n",
		       ok, errors, st->verify_errors, st->cm_calls, cs.tx_data_retrans, st->vbusy);
	if (st->first_error[0])
		fprintf(stderr, PROG ": first error: %s\n", st->first_error);
	for (unsigned r = 0; r < RXD_R__MAX; r++) /* why packets were dropped: the first clue when calls hang */
		if (cs.discards[r])
			fprintf(stderr, PROG ": discarded %" PRIu64 " packet(s): %s\n", cs.discards[r],
				rxd_reason_name((enum rxd_reason)r));
	if (timed_out)
		fprintf(stderr, PROG ": timed out after %.0f s\n", a->timeout_s);
	fflush(stdout);
	return timed_out ? EXIT_TIMEOUT : errors || st->verify_errors || st->first_error[0] || !ok ? 1 : 0;
}

/* ------------------------------------------------------------------ main */

static void defaults(struct app *a)
{
	char err[128];

	memset(a, 0, sizeof(*a));
	a->p.files = 16;
	a->p.size = 1 << 20;
	a->p.concurrency = 16;
	a->p.passes = 1;
	a->p.seed = 1;
	for (unsigned i = 0; i < RXD_AL__PHASES; i++)
		a->p.run[i] = true;
	a->status_secs = 2;
	a->timeout_s = 600;
	snprintf(a->p.prefix, sizeof a->p.prefix, "afsload-%ld", (long)getpid());
	rxd_shell_opts_default(&a->so);
	rxd_shell_opts_set(&a->so, "port", CM_PORT, err, sizeof err);
}

/* Enough conns for the calls in flight (4 channels each), unless --set bundle_conns was given. */
static int size_bundle(struct app *a, char *err, size_t errlen)
{
	char v[16];
	unsigned want = (a->p.concurrency + CALLS_PER_CONN - 1) / CALLS_PER_CONN;

	if (a->so.core.bundle_conns >= want)
		return 0;
	snprintf(v, sizeof v, "%u", want);
	return rxd_config_set(&a->so.core, "bundle_conns", v, err, errlen);
}

int main(int argc, char **argv)
{
	struct app a;
	char err[256];
	int eal_argc = rxd_launch_split(argc, argv), code;
	bool timed_out = false;
	uint64_t t_end;

	defaults(&a);
	{
		int rc = rxd_launch_options(PROG, argc, argv, eal_argc, app_set, is_flag, &a, usage);
		if (rc >= 0)
			return rc;
	}
	if (!a.server || rxd_addr_parse(a.server, FS_PORT, &a.p.server)) {
		fprintf(stderr, PROG ": --server IP[:PORT] is required (" PROG " <EAL args> -- --help)\n");
		return 2;
	}
	if (!a.p.dir.Volume == !a.p.lookup || (a.p.lookup && (!a.vl || rxd_addr_parse(a.vl, VL_PORT, &a.p.vl)))) {
		fprintf(stderr, PROG ": --volume-id N, or --volume NAME with --vl IP[:PORT], is required\n");
		return 2;
	}
	if (a.so.n_ifaces == 0) {
		fprintf(stderr, PROG ": --ip ADDR/LEN is required: the address rxd sends from\n");
		return 2;
	}
	if (size_bundle(&a, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		return 2;
	}
	if (!a.have_check_seed)
		a.p.check_seed = a.p.seed;
	a.p.status_ns = a.p.status_calls ? 0 : (uint64_t)(a.status_secs * 1e9);
	if (rxd_launch_eal(PROG, eal_argc, argv))
		return 1;
	/* a fresh UUID per run: the fileserver must see a new client */
	a.p.uuid.time_low = (uint32_t)rte_rand();
	a.p.uuid.time_mid = (uint16_t)rte_rand();
	a.p.uuid.time_hi_and_version = (uint16_t)((rte_rand() & 0x0fff) | 0x4000);
	for (unsigned i = 0; i < sizeof a.p.uuid.node; i++)
		a.p.uuid.node[i] = (char)rte_rand();
	if (rxd_launch_shell(PROG, &a.so, &a.shell))
		return 1;
	if (setup(&a, err, sizeof err)) {
		fprintf(stderr, PROG ": %s\n", err);
		rxd_launch_end(a.shell);
		rxd_afsload_destroy(a.g);
		return 1;
	}
	if (rxd_launch_start(PROG, a.shell)) {
		rxd_afsload_destroy(a.g);
		return 1;
	}
	t_end = rxd_shell_now(a.shell) + (uint64_t)(a.timeout_s * 1e9);
	while (!rxd_launch_signals() && !rxd_afsload_done(a.g)) {
		rxd_launch_sleep_ms(2);
		if (rxd_shell_now(a.shell) >= t_end) {
			timed_out = true;
			break;
		}
	}
	rxd_launch_stop(a.shell);
	code = report(&a, timed_out || !rxd_afsload_done(a.g));
	if (a.hold_s > 0)
		rxd_launch_hold(a.shell, a.hold_s);
	rxd_launch_end(a.shell);
	rxd_afsload_destroy(a.g);
	return code;
}
