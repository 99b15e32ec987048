/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's file-I/O threads: worker lcores never touch the disk; they
 * post jobs to one multi-producer/multi-consumer rte_ring that every I/O
 * thread takes from, and each job comes back, done, on the completion ring
 * of the worker that posted it (multi-producer/single-consumer), which the
 * worker drains from its poll hook.  Both rings use DPDK's RTS sync mode,
 * meant for producers and consumers that may be preempted (plain pthreads).
 * The rings are sized for every job that can be outstanding at once, so a
 * post only fails if a caller exceeds the bound it gave at creation.
 */
#ifndef RXD_FS_IOPOOL_H
#define RXD_FS_IOPOOL_H

#include <stdint.h>

struct rxd_fs_iopool;

/* A job: embed it first in a larger struct; run is called on an I/O thread. */
struct rxd_fs_job {
	void (*run)(struct rxd_fs_job *j);
	unsigned worker; /* completion ring it returns to (set by rxd_fs_iopool_post) */
};

/**
 * Start n_threads I/O threads for n_workers workers, each of which has at
 * most max_jobs jobs outstanding.  0, -EINVAL or -ENOMEM.
 */
int rxd_fs_iopool_create(unsigned n_threads, unsigned n_workers, uint32_t max_jobs, struct rxd_fs_iopool **out);
/** Stop and join the threads (jobs still queued are not run), free the rings. */
void rxd_fs_iopool_destroy(struct rxd_fs_iopool *p);
/** Post a job for worker; 0 or -ENOBUFS (more than max_jobs outstanding). */
int rxd_fs_iopool_post(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job *j);
/** Take up to max of worker's completed jobs; returns how many. */
unsigned rxd_fs_iopool_poll(struct rxd_fs_iopool *p, unsigned worker, struct rxd_fs_job **jobs, unsigned max);

#endif
