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
#define IDLE_MIN_US 20u	 /* a full completion ring: retry after this */
#define IDLE_MAX_US 500u /* an idle thread's wait: a lost wake-up (none expected) costs at most this */

struct rxd_fs_iopool {
	struct rte_ring *todo;
	struct rte_ring **done; /* one per worker */
	unsigned n_workers, n_threads;
	pthread_t *threads;
	atomic_bool stop;
	/*
	 * Idle threads wait on cv; a post wakes one.  A StoreData is a chain of
	 * jobs (open, writes, end) each posted when the one before comes back,
	 * so the time a job waits for a thread is paid once per link: polling
	 * with sleeps backing off to 500 us left a 64 KiB store ~0.3 ms between
	 * the client's last packet and the reply.
	 */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_uint sleepers;
};

/* Wait for a post (or IDLE_MAX_US); the sleeper count is raised before the ring is looked at again. */
static void io_wait(struct rxd_fs_iopool *p)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += IDLE_MAX_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	atomic_fetch_add(&p->sleepers, 1); /* seq_cst: ordered before the ring check below */
	if (rte_ring_count(p->todo) == 0 && !atomic_load(&p->stop))
		pthread_cond_timedwait(&p->cv, &p->mu, &until);
	atomic_fetch_sub(&p->sleepers, 1);
	pthread_mutex_unlock(&p->mu);
}

static void *io_main(void *arg)
{
	struct rxd_fs_iopool *p = arg;

	while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
		void *jobs[BURST];
		unsigned n = rte_ring_dequeue_burst(p->todo, jobs, BURST, NULL);

		if (n == 0) {
			io_wait(p);
			continue;
		}
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

/* A condition variable timed on CLOCK_MONOTONIC (io_wait's deadline). */
static int init_cv(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc = pthread_condattr_init(&a);

	if (rc == 0) {
		rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		if (rc == 0)
			rc = pthread_cond_init(cv, &a);
		pthread_condattr_destroy(&a);
	}
	return rc;
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
	pthread_mutex_init(&p->mu, NULL);
	if (init_cv(&p->cv)) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -ENOMEM;
	}
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
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->stop, true);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	if (p->done)
		for (unsigned i = 0; i < p->n_workers; i++)
			free(p->done[i]);
	free(p->todo);
	free(p->done);
	free(p->threads);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

int rxd_fs_iopool_post(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job *j)
{
	j->worker = worker;
	if (rte_ring_enqueue(p->todo, j) != 0)
		return -ENOBUFS;
	/* A full fence (the enqueue only releases): a thread either sees the job or is counted here, and
	 * then waits under mu, which the signal takes. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&p->sleepers, memory_order_relaxed)) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return 0;
}

unsigned rxd_fs_iopool_poll(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job **jobs, unsigned max)
{
	return rte_ring_sc_dequeue_burst(p->done[worker], (void **)jobs, max, NULL);
}
