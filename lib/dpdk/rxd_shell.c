/* SPDX-License-Identifier: MIT */
/*
 * Shell lifecycle: create (ports, pools, rings, shards), service
 * registration, start/drain/stop/wait/destroy, and the per-lcore accessors.
 */
#include "rxd_shell.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rxd/security.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "rxd_io.h"
#include "rxd_msg.h"
#include "rxd_msg_worker.h"
#include "rxd_pkt.h"
#include "rxd_port.h"
#include "rxd_worker.h"

/* ------------------------------------------------------------------ precheck */

static bool arg_present(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strncmp(argv[i], name, n) && (argv[i][n] == 0 || argv[i][n] == '='))
			return true;
	}
	return false;
}

static unsigned long free_hugepages(void)
{
	static const char *dirs[] = {"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
				     "/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages"};
	unsigned long total = 0;

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		FILE *f = fopen(dirs[i], "r");
		unsigned long v = 0;
		if (!f)
			continue;
		if (fscanf(f, "%lu", &v) == 1)
			total += v;
		fclose(f);
	}
	return total;
}

int rxd_shell_precheck(int argc, char **argv, char *err, size_t errlen)
{
	if (arg_present(argc, argv, "--no-huge"))
		return 0;
	if (free_hugepages() == 0) {
		snprintf(err, errlen,
			 "no free hugepages: run drivers-config/hugepages.sh (or echo 512 > /proc/sys/vm/nr_hugepages) "
			 "or pass --no-huge to the EAL");
		return -ENOMEM;
	}
	return 0;
}

/* ------------------------------------------------------------------ create */

static void apply_iface_opts(struct rxd_shell *s, struct rxd_iface *ifc, const struct rxd_iface_opts *io)
{
	ifc->has_ip4 = io->has_ip4;
	ifc->has_gw4 = io->has_gw4;
	ifc->has_ip6 = io->has_ip6;
	ifc->has_gw6 = io->has_gw6;
	memcpy(ifc->ip4, io->ip4, 4);
	memcpy(ifc->gw4, io->gw4, 4);
	memcpy(ifc->ip6, io->ip6, 16);
	memcpy(ifc->gw6, io->gw6, 16);
	ifc->prefix4 = io->prefix4;
	ifc->prefix6 = io->prefix6;
	ifc->n_udp_ports = s->opts.n_udp_ports;
	memcpy(ifc->udp_ports, s->opts.udp_ports, sizeof(ifc->udp_ports));
	if (io->udp_port)
		ifc->udp_ports[0] = io->udp_port;
}

/* The core may not take datagrams beyond the port's MTU: we never reassemble fragments. */
static void clamp_config(struct rxd_shell *s)
{
	uint32_t mtu = 65535, ip_udp = RXD_IP4_HLEN + RXD_UDP_HLEN;

	for (unsigned i = 0; i < s->n_ifaces; i++) {
		if (s->iface[i].mtu < mtu)
			mtu = s->iface[i].mtu;
		if (s->iface[i].has_ip6)
			ip_udp = RXD_IP6_HLEN + RXD_UDP_HLEN;
	}
	/* An MTU chosen with --mtu is the interface MTU the core sizes its datagrams by (jumbograms). */
	if (s->opts.mtu || s->config.if_mtu > mtu)
		s->config.if_mtu = mtu;
	if (s->config.rx_mtu > mtu - ip_udp)
		s->config.rx_mtu = mtu - ip_udp;
}

unsigned rxd_shell_nb_workers(const struct rxd_shell *s)
{
	return s->n_workers;
}

unsigned rxd_shell_nb_ifaces(const struct rxd_shell *s)
{
	return s->n_ifaces;
}

void rxd_shell_iface_addr(const struct rxd_shell *s, unsigned iface, struct rxd_addr *out)
{
	const struct rxd_iface *ifc = &s->iface[iface];

	memset(out, 0, sizeof(*out));
	out->port = ifc->udp_ports[0];
	if (ifc->has_ip4) {
		out->family = RXD_AF_INET;
		memcpy(out->ip.v4, ifc->ip4, 4);
	} else {
		out->family = RXD_AF_INET6;
		memcpy(out->ip.v6, ifc->ip6, 16);
	}
}

unsigned rxd_shell_iface_ports(const struct rxd_shell *s, unsigned iface, uint16_t ports[RXD_SHELL_MAX_UDP_PORTS])
{
	const struct rxd_iface *ifc = &s->iface[iface];

	memcpy(ports, ifc->udp_ports, sizeof(ifc->udp_ports));
	return ifc->n_udp_ports;
}

uint64_t rxd_shell_now(const struct rxd_shell *s)
{
	return rxd_clock_ns(&s->clock);
}

/* Worker lcores drive shards, but the last crypto_lcores of them, which secure and verify DATA. */
static int create_workers(struct rxd_shell *s, char *err, size_t errlen)
{
	unsigned lcore, n_lcores = rte_lcore_count() - 1;

	for (unsigned i = 0; i < RTE_MAX_LCORE; i++)
		s->lcore_to_worker[i] = -1;
	if (s->opts.crypto_lcores && s->opts.crypto_lcores >= n_lcores) {
		snprintf(
		    err, errlen,
		    "too few lcores for --crypto-lcores %u: need the main lcore, a worker and %u more (e.g. -l 0-%u)",
		    s->opts.crypto_lcores, s->opts.crypto_lcores, s->opts.crypto_lcores + 1);
		return -E2BIG;
	}
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct rxd_worker *w;
		int sock = rxd_lcore_socket(lcore);

		if (s->n_workers + s->n_crypto >= n_lcores - s->opts.crypto_lcores) {
			s->crypto_lcore[s->n_crypto++] = lcore;
			continue;
		}
		if (s->n_workers == RXD_SHELL_MAX_WORKERS)
			break;
		w = rte_zmalloc_socket("rxd_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, sock);
		if (!w) {
			snprintf(err, errlen, "out of memory for worker state");
			return -ENOMEM;
		}
		w->shell = s;
		w->index = s->n_workers;
		w->lcore = lcore;
		w->socket = sock;
		s->lcore_to_worker[lcore] = (int16_t)w->index;
		s->workers[s->n_workers++] = w;
	}
	if (s->n_workers == 0) {
		snprintf(err, errlen,
			 "too few lcores: need the main lcore plus at least one worker lcore (e.g. -l 0,1)");
		return -E2BIG;
	}
	return 0;
}

static int create_fwd_rings(struct rxd_shell *s, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	for (unsigned a = 0; a < s->n_workers; a++) {
		for (unsigned b = 0; b < s->n_workers; b++) {
			struct rte_ring *r;
			if (a == b)
				continue;
			snprintf(name, sizeof name, "rxdf%u_%u", a & 0xffu, b & 0xffu);
			r = rte_ring_create(name, s->opts.fwd_ring_size, s->workers[b]->socket,
					    RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!r) {
				snprintf(err, errlen, "cannot create forwarding ring %s: %s", name,
					 rte_strerror(rte_errno));
				return -ENOMEM;
			}
			s->workers[a]->fwd_out[b] = r;
			s->workers[b]->fwd_in[a] = r;
		}
	}
	return 0;
}

/* The core's memory: NUMA-local to the worker that drives the shard (user = its socket id). */
static void *shard_malloc(void *user, size_t size)
{
	return rte_malloc_socket("rxd_core", size, 0, (int)(intptr_t)user);
}
static void *shard_calloc(void *user, size_t n, size_t size)
{
	return rte_calloc_socket("rxd_core", n, size, 0, (int)(intptr_t)user);
}
static void shard_free(void *user, void *ptr)
{
	(void)user;
	rte_free(ptr);
}

/* The core's log lines go to the EAL log as type rxd.core (--log-level=rxd.core:debug). */
RTE_LOG_REGISTER(rxd_core_logtype, rxd.core, NOTICE);

static void shard_log(void *user, enum rxd_log_level level, const char *msg)
{
	(void)user;
	rte_log(RTE_LOG_ERR + (uint32_t)(level - RXD_LOG_ERR), (uint32_t)rxd_core_logtype, "rxd.core: %s\n", msg);
}

/* The most verbose core level the EAL prints, so the core formats nothing that would be dropped. */
static enum rxd_log_level shard_log_level(void)
{
	int lvl = rte_log_get_level((uint32_t)rxd_core_logtype);

	if (lvl < (int)RTE_LOG_ERR)
		return RXD_LOG_ERR; /* nothing below ERR exists in the core */
	if (lvl > (int)RTE_LOG_DEBUG)
		lvl = RTE_LOG_DEBUG;
	return (enum rxd_log_level)(RXD_LOG_ERR + (lvl - (int)RTE_LOG_ERR));
}

static int create_shards(struct rxd_shell *s, char *err, size_t errlen)
{
	uint64_t now = rxd_clock_ns(&s->clock);
	uint64_t seed = s->opts.seed ? s->opts.seed : rte_rand();

	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];

		w->n_ifaces = s->n_ifaces;
		for (unsigned k = 0; k < s->n_ifaces; k++) {
			struct rxd_wiface *wi = &w->wif[k];
			struct rxd_local_params p;
			struct rxd_mem mem = {shard_malloc, shard_calloc, shard_free, (void *)(intptr_t)w->socket};
			int rc;

			wi->w = w;
			wi->ifc = &s->iface[k];
			wi->queue = (uint16_t)i;
			wi->ip_id = (uint16_t)(rte_rand() & 0xffff);
			rc = rxd_neigh_init(&wi->neigh, s->opts.neigh_size,
					    (uint64_t)s->opts.neigh_timeout_s * RXD_NS_PER_SEC, w->socket);
			if (rc) {
				snprintf(err, errlen, "out of memory for the neighbour cache");
				return rc;
			}
			for (unsigned u = 0; u < s->iface[k].n_udp_ports; u++) {
				struct rxd_wport *wp = &wi->port[u];

				memset(&p, 0, sizeof p);
				rxd_shell_iface_addr(s, k, &p.addr);
				if (s->iface[k].has_ip6) {
					/* an IPv6 shard also takes IPv4 peers (like a dual-stack socket); an IPv4 one
					 * does not */
					p.addr.family = RXD_AF_INET6;
					memcpy(p.addr.ip.v6, s->iface[k].ip6, 16);
				}
				p.addr.port = s->iface[k].udp_ports[u];
				p.config = &s->config;
				p.io = &rxd_dpdk_io_ops;
				p.io_ctx = wp;
				p.seed = seed ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)k << 56) ^
					 ((uint64_t)u << 48);
				p.shard_index = (uint16_t)i;
				p.shard_count = (uint16_t)s->n_workers;
				p.mem = &mem;
				p.debug_counters = rxd_shell_debug_counters;
				p.debug_counters_user = w;
				p.log = shard_log;
				p.log_level = shard_log_level();
				p.crypto = rxd_crypto_engine_ops(s);
				p.crypto_ctx = &w->crypto_port[w->n_locals];
				wp->wi = wi;
				wp->udp_port = p.addr.port;
				rc = rxd_local_create(&p, now, &wp->local);
				if (rc) {
					snprintf(err, errlen, "cannot create shard %u on iface %u port %u: %s", i, k,
						 p.addr.port, strerror(-rc));
					return rc;
				}
				w->crypto_port[w->n_locals] = (struct rxd_crypto_port){w, wp->local};
				w->locals[w->n_locals++] = wp->local;
				/* rxkad on every shard: a service takes it through its desc's security_conf. */
				rc = rxd_local_add_security(wp->local, &rxd_rxkad_class);
				if (rc) {
					snprintf(err, errlen, "cannot add rxkad to shard %u: %s", i, strerror(-rc));
					return rc;
				}
			}
		}
	}
	return 0;
}

int rxd_shell_create(const struct rxd_shell_opts *o, struct rxd_shell **out, char *err, size_t errlen)
{
	struct rxd_shell *s;
	uint16_t port, nports = 0;
	unsigned want;
	int rc;

	*out = NULL;
	s = rte_zmalloc("rxd_shell", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (!s) {
		snprintf(err, errlen, "out of memory (shell state)");
		return -ENOMEM;
	}
	s->opts = *o;
	/* after rte_eal_init: the level comes from --log-level if it names us */
	s->logtype = rte_log_register_type_and_pick_level("rxd", RTE_LOG_NOTICE);
	if (s->logtype < 0)
		s->logtype = RTE_LOGTYPE_USER1;
	s->config = o->core;
	rxd_clock_init(&s->clock);
	atomic_store(&s->phase, RXD_PHASE_INIT);
	memset(s->port_to_iface, -1, sizeof s->port_to_iface);
	rc = rxd_config_validate(&s->config, err, errlen);
	if (rc)
		goto fail;
	rc = create_workers(s, err, errlen);
	if (!rc)
		rc = rxd_crypto_engine_create(s, err, errlen);
	if (rc)
		goto fail;
	if (o->ring_pair) {
		rc = rxd_ring_pair_create(s, s->n_workers, err, errlen);
		if (rc)
			goto fail;
	}
	want = o->n_ifaces ? o->n_ifaces : 1;
	if (o->ring_pair && want < 2)
		want = 2;
	RTE_ETH_FOREACH_DEV(port)
	{
		struct rxd_iface *ifc;
		if (s->n_ifaces == want || port >= RXD_MAX_PORTS)
			break;
		nports++;
		ifc = &s->iface[s->n_ifaces];
		ifc->index = s->n_ifaces;
		ifc->port_id = port;
		ifc->nb_queues = (uint16_t)s->n_workers;
		apply_iface_opts(s, ifc, &o->iface[s->n_ifaces]);
		if (!ifc->has_ip4 && !ifc->has_ip6) {
			snprintf(err, errlen, "iface %u (port %u) has no address: pass --ip ADDR/LEN or --ip6 ADDR/LEN",
				 s->n_ifaces, port);
			rc = -EINVAL;
			goto fail;
		}
		rc = rxd_port_probe(s, ifc, err, errlen);
		if (rc)
			goto fail;
		rxd_ip6_link_local(ifc->mac, ifc->ll6);
		s->port_to_iface[port] = (int8_t)s->n_ifaces;
		s->n_ifaces++;
	}
	if (s->n_ifaces < want) {
		if (nports == 0)
			snprintf(
			    err, errlen,
			    "no usable port: pass a device with -a PCI or --vdev (e.g. --vdev net_tap0,iface=rxd0)");
		else
			snprintf(err, errlen, "%u iface(s) configured but only %u port(s) found", want, nports);
		rc = -ENODEV;
		goto fail;
	}
	clamp_config(s);
	rc = rxd_pools_create(s, err, errlen);
	if (rc)
		goto fail;
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		rc = rxd_port_start(s, &s->iface[i], err, errlen);
		if (rc)
			goto fail;
	}
	rc = create_fwd_rings(s, err, errlen);
	if (rc)
		goto fail;
	rc = create_shards(s, err, errlen);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	rxd_shell_destroy(s);
	return rc;
}

int rxd_shell_register_service(struct rxd_shell *s, unsigned iface, uint16_t udp_port, const struct rxd_service_desc *d,
			       void *(*per_worker_app)(void *arg, unsigned worker), void *arg, char *err, size_t errlen)
{
	if (iface >= s->n_ifaces || s->started) {
		snprintf(err, errlen, s->started ? "services must be registered before rxd_shell_start" : "no iface %u",
			 iface);
		return -EINVAL;
	}
	if (!rxd_worker_local(s->workers[0], iface, udp_port)) {
		snprintf(err, errlen, "iface %u does not listen on UDP port %u (see --port)", iface, udp_port);
		return -EINVAL;
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_service_desc dd = *d;
		int rc;
		if (per_worker_app)
			dd.app = per_worker_app(arg, i);
		rc = rxd_service_register(rxd_worker_local(s->workers[i], iface, udp_port), &dd, NULL);
		if (rc) {
			snprintf(err, errlen, "cannot register service %u on worker %u: %s", d->service_id, i,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int rxd_shell_set_hooks(struct rxd_shell *s, const struct rxd_lcore_hooks *h)
{
	if (s->started)
		return -EBUSY;
	s->hooks = *h;
	return 0;
}

/* The crypto lcores stop once no worker can hand them a job any more (every worker returned). */
static void stop_crypto_lcores(struct rxd_shell *s)
{
	atomic_store_explicit(&s->crypto_stop, true, memory_order_release);
	for (unsigned i = 0; i < s->n_crypto; i++)
		rte_eal_wait_lcore(s->crypto_lcore[i]); /* returns at once for one never launched */
}

int rxd_shell_start(struct rxd_shell *s)
{
	if (s->started)
		return -EALREADY;
	atomic_store_explicit(&s->phase, RXD_PHASE_RUN, memory_order_release);
	atomic_store_explicit(&s->crypto_stop, false, memory_order_release);
	for (unsigned i = 0; i < s->n_crypto; i++) {
		int rc = rte_eal_remote_launch(rxd_crypto_lcore_main, s, s->crypto_lcore[i]);
		if (rc) {
			stop_crypto_lcores(s);
			return rc;
		}
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		int rc = rte_eal_remote_launch(rxd_worker_main, s->workers[i], s->workers[i]->lcore);
		if (rc) {
			atomic_store(&s->phase, RXD_PHASE_STOP);
			/* the workers launched so far have no shard job left when they return */
			for (unsigned k = 0; k < i; k++)
				rte_eal_wait_lcore(s->workers[k]->lcore);
			stop_crypto_lcores(s);
			return rc;
		}
	}
	s->started = true;
	return 0;
}

void rxd_shell_drain(struct rxd_shell *s)
{
	int want = RXD_PHASE_DRAIN, cur = atomic_load(&s->phase);

	if (cur < want)
		atomic_store_explicit(&s->phase, want, memory_order_release);
}

bool rxd_shell_idle(const struct rxd_shell *s)
{
	for (unsigned i = 0; i < s->n_workers; i++)
		if (atomic_load_explicit(&s->workers[i]->live_calls, memory_order_relaxed))
			return false;
	return true;
}

static unsigned live_calls(const struct rxd_shell *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->n_workers; i++)
		n += atomic_load_explicit(&s->workers[i]->live_calls, memory_order_relaxed);
	return n;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

void rxd_shell_stop(struct rxd_shell *s)
{
	if (atomic_load(&s->phase) < RXD_PHASE_ABORT) {
		if (atomic_load(&s->phase) < RXD_PHASE_DRAIN)
			atomic_store(&s->phase, RXD_PHASE_DRAIN);
		atomic_store_explicit(&s->phase, RXD_PHASE_ABORT, memory_order_release);
		/* let the aborts reach the wire and the peers' final ACKs come back */
		if (s->started)
			sleep_ms(20);
	}
	atomic_store_explicit(&s->phase, RXD_PHASE_STOP, memory_order_release);
}

unsigned rxd_shell_shutdown(struct rxd_shell *s)
{
	uint64_t deadline;
	unsigned left;

	rxd_shell_drain(s);
	deadline = rxd_shell_now(s) + (uint64_t)s->opts.drain_ms * RXD_NS_PER_MS;
	sleep_ms(15); /* let every worker publish a fresh call count */
	while (!rxd_shell_idle(s) && rxd_shell_now(s) < deadline)
		sleep_ms(5);
	left = live_calls(s);
	rxd_shell_stop(s);
	return left;
}

bool rxd_shell_links_up(const struct rxd_shell *s)
{
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(s->iface[i].port_id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return true;
	}
	return false;
}

int rxd_shell_wait(struct rxd_shell *s)
{
	int rc = 0;

	if (!s->started)
		return 0;
	for (unsigned i = 0; i < s->n_workers; i++) {
		int r = rte_eal_wait_lcore(s->workers[i]->lcore);
		if (r && !rc)
			rc = r;
	}
	/* The workers have every job back (rxd_crypto_worker_drain): the crypto lcores may go. */
	stop_crypto_lcores(s);
	s->started = false;
	return rc;
}

void rxd_shell_destroy(struct rxd_shell *s)
{
	if (!s)
		return;
	if (s->started) {
		rxd_shell_stop(s);
		rxd_shell_wait(s);
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];
		rxd_worker_destroy_locals(w); /* never started */
		for (unsigned k = 0; k < w->n_ifaces; k++)
			rxd_tx_discard(&w->wif[k]);
	}
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct rxd_worker *w = s->workers[i];
		for (unsigned k = 0; k < RXD_SHELL_MAX_IFACES; k++)
			rxd_neigh_fini(&w->wif[k].neigh);
		for (unsigned d = 0; d < s->n_workers; d++) {
			struct rte_mbuf *m;
			if (!w->fwd_out[d])
				continue;
			while (rte_ring_dequeue(w->fwd_out[d], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(w->fwd_out[d]);
		}
		for (unsigned d = 0; d < RXD_SHELL_MAX_WORKERS; d++)
			if (w->fwd_buf[d].n)
				rte_pktmbuf_free_bulk(w->fwd_buf[d].pkts, w->fwd_buf[d].n);
		rxd_msg_worker_fini(w);
	}
	rxd_msg_eps_free(s);
	rxd_crypto_engine_free(s);
	for (unsigned i = 0; i < s->n_ifaces; i++)
		rxd_port_close(s, &s->iface[i]);
	rxd_pools_free(s);
	for (unsigned i = 0; i < s->n_workers; i++)
		rte_free(s->workers[i]);
	rte_free(s);
}

/* ------------------------------------------------------------------ per-lcore accessors */

struct rxd_worker *rxd_shell_worker(struct rxd_shell *s)
{
	unsigned lcore = rte_lcore_id();

	if (lcore >= RTE_MAX_LCORE || s->lcore_to_worker[lcore] < 0)
		return NULL;
	return s->workers[s->lcore_to_worker[lcore]];
}

struct rxd_local *rxd_worker_local(struct rxd_worker *w, unsigned iface, uint16_t udp_port)
{
	struct rxd_wport *wp;

	if (iface >= w->n_ifaces)
		return NULL;
	wp = udp_port ? rxd_wiface_port(&w->wif[iface], udp_port) : &w->wif[iface].port[0];
	return wp ? wp->local : NULL;
}

void rxd_worker_destroy_locals(struct rxd_worker *w)
{
	for (unsigned k = 0; k < w->n_ifaces; k++)
		for (unsigned u = 0; u < RXD_SHELL_MAX_UDP_PORTS; u++)
			if (w->wif[k].port[u].local) {
				rxd_local_destroy(w->wif[k].port[u].local);
				w->wif[k].port[u].local = NULL;
			}
	w->n_locals = 0;
}

struct rxd_local *rxd_dpdk_local(struct rxd_shell *s)
{
	struct rxd_worker *w = rxd_shell_worker(s);

	return w ? rxd_worker_local(w, 0, 0) : NULL;
}

unsigned rxd_worker_index(const struct rxd_worker *w)
{
	return w->index;
}

unsigned rxd_worker_lcore(const struct rxd_worker *w)
{
	return w->lcore;
}

struct rxd_shell *rxd_worker_shell(const struct rxd_worker *w)
{
	return w->shell;
}

uint64_t rxd_worker_now(const struct rxd_worker *w)
{
	return w->now;
}

bool rxd_worker_draining(const struct rxd_worker *w)
{
	return w->draining;
}

void rxd_worker_set_app(struct rxd_worker *w, void *app)
{
	w->app = app;
}

void *rxd_worker_app(const struct rxd_worker *w)
{
	return w->app;
}

void *rxd_shell_worker_app(const struct rxd_shell *s, unsigned worker)
{
	return worker < s->n_workers ? s->workers[worker]->app : NULL;
}
