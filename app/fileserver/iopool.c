/* SPDX-License-Identifier: MIT */
/* File-I/O thread pool over rte_rings (see iopool.h). */
#include "iopool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <rte_ring.h>

#define BURST 16u
#define IDLE_MIN_US 20u	 /* first sleep of an idle I/O thread */
#define IDLE_MAX_US 500u /* longest: bounds the latency a quiet pool adds to a burst */

struct rxd_fs_iopool {
	struct rte_ring *todo;
	struct rte_ring **done; /* one per worker */
	unsigned n_workers, n_threads;
	pthread_t *threads;
	atomic_bool stop;
};

static void *io_main(void *arg)
{
	struct rxd_fs_iopool *p = arg;
	unsigned idle_us = IDLE_MIN_US;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		void *jobs[BURST];
		unsigned n = rte_ring_dequeue_burst(p->todo, jobs, BURST, NULL);

		if (n == 0) {
			usleep(idle_us);
			idle_us = idle_us * 2 > IDLE_MAX_US ? IDLE_MAX_US : idle_us * 2;
			continue;
		}
		idle_us = IDLE_MIN_US;
		for (unsigned i = 0; i < n; i++) {
			struct rxd_fs_job *j = jobs[i];
			j->run(j);
			/* the ring holds every job its worker can have out: it cannot be full */
			while (rte_ring_enqueue(p->done[j->worker], j) != 0)
				usleep(IDLE_MIN_US);
		}
	}
	return NULL;
}

/* Rings in plain process memory (rte_ring_init, not rte_ring_create): they do not depend on the
 * EAL's heap, so the pool may outlive or predate the shell, and no name needs to be unique. */
static struct rte_ring *ring_new(uint32_t count, unsigned flags)
{
	uint32_t n = rte_align32pow2(count + 1);
	ssize_t size = rte_ring_get_memsize(n);
	struct rte_ring *r;

	if (size < 0)
		return NULL;
	r = aligned_alloc(RTE_CACHE_LINE_SIZE,
			  ((size_t)size + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1));
	if (r && rte_ring_init(r, "rxd_fs_io", n, flags) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

int rxd_fs_iopool_create(unsigned n_threads, unsigned n_workers, uint32_t max_jobs, struct rxd_fs_iopool **out)
{
	struct rxd_fs_iopool *p;

	if (n_threads == 0 || n_workers == 0 || max_jobs == 0 || (uint64_t)max_jobs * n_workers > (1u << 26))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n_workers = n_workers;
	p->done = calloc(n_workers, sizeof(*p->done));
	p->threads = calloc(n_threads, sizeof(*p->threads));
	p->todo = ring_new(max_jobs * n_workers, RING_F_MP_RTS_ENQ | RING_F_MC_RTS_DEQ);
	if (!p->done || !p->threads || !p->todo)
		goto fail;
	for (unsigned i = 0; i < n_workers; i++) {
		p->done[i] = ring_new(max_jobs, RING_F_MP_RTS_ENQ | RING_F_SC_DEQ);
		if (!p->done[i])
			goto fail;
	}
	for (; p->n_threads < n_threads; p->n_threads++)
		if (pthread_create(&p->threads[p->n_threads], NULL, io_main, p) != 0)
			goto fail;
	*out = p;
	return 0;
fail:
	rxd_fs_iopool_destroy(p);
	return -ENOMEM;
}

void rxd_fs_iopool_destroy(struct rxd_fs_iopool *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, true);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->done)
		for (unsigned i = 0; i < p->n_workers; i++)
			free(p->done[i]);
	free(p->todo);
	free(p->done);
	free(p->threads);
	free(p);
}

int rxd_fs_iopool_post(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job *j)
{
	j->worker = worker;
	return rte_ring_enqueue(p->todo, j) == 0 ? 0 : -ENOBUFS;
}

unsigned rxd_fs_iopool_poll(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job **jobs, unsigned max)
{
	return rte_ring_sc_dequeue_burst(p->done[worker], (void **)jobs, max, NULL);
}
