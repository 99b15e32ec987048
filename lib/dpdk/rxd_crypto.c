/* SPDX-License-Identifier: MIT */
/*
 * Crypto lcores (see rxd_crypto.h).  One shared request ring lets every
 * crypto lcore serve every worker, and one call's jobs spread over all of
 * them; the core puts them back in order.  The done rings are sized so that
 * they cannot fill: a worker has at most the request ring's capacity plus
 * one burst per crypto lcore out.
 */
#include "rxd_crypto.h"

#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "rxd_shell.h"

#define CRYPTO_REQ_RING 2048u
#define CRYPTO_DONE_RING 8192u
#define CRYPTO_BURST 32u
/* A worker leaving waits at most this long for jobs still on the crypto lcores. */
#define CRYPTO_DRAIN_NS (2 * RXD_NS_PER_SEC)

static unsigned engine_submit(void *ctx, struct rxd_crypto_job *const *jobs, unsigned n)
{
	struct rxd_crypto_port *cp = ctx;

	for (unsigned i = 0; i < n; i++)
		jobs[i]->engine = cp;
	return rte_ring_mp_enqueue_burst(cp->w->shell->crypto_req, (void *const *)jobs, n, NULL);
}

static const struct rxd_crypto_ops engine_ops = {engine_submit};

const struct rxd_crypto_ops *rxd_crypto_engine_ops(const struct rxd_shell *s)
{
	return s->n_crypto ? &engine_ops : NULL;
}

int rxd_crypto_engine_create(struct rxd_shell *s, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	if (!s->n_crypto)
		return 0;
	s->crypto_req = rte_ring_create("rxdc_req", CRYPTO_REQ_RING, (int)rte_socket_id(), 0);
	if (!s->crypto_req)
		goto fail;
	for (unsigned i = 0; i < s->n_workers; i++) {
		snprintf(name, sizeof name, "rxdc_done%u", i);
		s->workers[i]->crypto_done =
		    rte_ring_create(name, CRYPTO_DONE_RING, s->workers[i]->socket, RING_F_SC_DEQ);
		if (!s->workers[i]->crypto_done)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create the crypto lcores' rings: %s", rte_strerror(rte_errno));
	return -ENOMEM;
}

void rxd_crypto_engine_free(struct rxd_shell *s)
{
	for (unsigned i = 0; i < s->n_workers; i++) {
		rte_ring_free(s->workers[i]->crypto_done);
		s->workers[i]->crypto_done = NULL;
	}
	rte_ring_free(s->crypto_req);
	s->crypto_req = NULL;
}

/* Jobs back to their workers, a run of one worker's at a time; the done ring never stays full. */
static void give_back(struct rxd_crypto_job **jobs, unsigned n)
{
	for (unsigned i = 0; i < n;) {
		struct rte_ring *r = ((struct rxd_crypto_port *)jobs[i]->engine)->w->crypto_done;
		unsigned k = i + 1, put = i;

		while (k < n && ((struct rxd_crypto_port *)jobs[k]->engine)->w->crypto_done == r)
			k++;
		while (put < k)
			put += rte_ring_mp_enqueue_burst(r, (void *const *)(jobs + put), k - put, NULL);
		i = k;
	}
}

int rxd_crypto_lcore_main(void *arg)
{
	struct rxd_shell *s = arg;
	struct rxd_crypto_job *jobs[CRYPTO_BURST];
	struct timespec idle = {0, (long)s->opts.idle_sleep_us * 1000L};

	while (!atomic_load_explicit(&s->crypto_stop, memory_order_acquire)) {
		unsigned n = rte_ring_mc_dequeue_burst(s->crypto_req, (void **)jobs, CRYPTO_BURST, NULL);

		if (!n) {
			/* as the workers: share the CPUs when lcores outnumber them (--idle-sleep) */
			if (idle.tv_nsec)
				nanosleep(&idle, NULL);
			else
				rte_pause();
			continue;
		}
		rxd_crypto_run(jobs, n);
		give_back(jobs, n);
	}
	return 0;
}

unsigned rxd_crypto_worker_poll(struct rxd_worker *w)
{
	struct rxd_crypto_job *jobs[CRYPTO_BURST];
	unsigned n = rte_ring_sc_dequeue_burst(w->crypto_done, (void **)jobs, CRYPTO_BURST, NULL);

	for (unsigned i = 0; i < n;) {
		struct rxd_crypto_port *cp = jobs[i]->engine;
		unsigned k = i + 1;

		while (k < n && jobs[k]->engine == cp)
			k++;
		rxd_local_crypto_done(cp->local, jobs + i, k - i, w->now);
		i = k;
	}
	return n;
}

static uint32_t in_flight(const struct rxd_worker *w)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < w->n_locals; i++)
		n += rxd_local_crypto_in_flight(w->locals[i]);
	return n;
}

void rxd_crypto_worker_drain(struct rxd_worker *w)
{
	uint64_t until = rxd_clock_ns(&w->shell->clock) + CRYPTO_DRAIN_NS;

	if (!w->crypto_done)
		return;
	while (in_flight(w) && (w->now = rxd_clock_ns(&w->shell->clock)) < until) {
		if (!rxd_crypto_worker_poll(w))
			rte_pause();
	}
}
