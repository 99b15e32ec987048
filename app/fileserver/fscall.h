/* SPDX-License-Identifier: MIT */
/*
 * The RXAFS service on a worker lcore (run to completion): gathers each
 * call's request, answers GetTime/GetCapabilities/give-ups on the lcore,
 * and the status reads too unless the store would make it wait
 * (rxd_fs_op_try_lcore), posts everything else that touches the store to
 * the file-I/O threads
 * (iopool.h) and, from the poll hook, sends what comes back.  FetchData
 * streams the file in chunks read ahead a bounded number at a time and sent
 * as the call's transmit window opens; StoreData hands the received buffers,
 * in order and still referenced, to an I/O thread and consumes them only
 * once written, so the receive window is the back-pressure.  Callbacks
 * (cb.h) are done here too: every call contacts the shard, and what a job
 * recorded (fids to promise, fids changed, give-ups) is applied on the
 * lcore before the reply leaves.
 */
#ifndef RXD_FS_CALL_H
#define RXD_FS_CALL_H

#include <stdint.h>

#include <rxd/core.h>

#include "fsops.h"
#include "iopool.h"
#include "rxd_app.h"

#define RXD_FS_SERVICE 1u
#define RXD_FS_CHUNK (64u * 1024u) /* bytes of one FetchData read */
#define RXD_FS_READ_AHEAD 2u	   /* chunks read ahead per FetchData call */
#define RXD_FS_JOBS_PER_CALL (RXD_FS_READ_AHEAD + 2u)

struct rxd_fs_worker;

struct rxd_fs_worker_params {
	struct rxd_fs_srv *srv;
	struct rxd_fs_iopool *pool;
	unsigned index;	    /* the worker's completion ring */
	uint32_t max_calls; /* concurrent calls; more are answered BUSY */
	uint8_t min_level;  /* rxkad calls below this level (clear 0, auth 1, crypt 2) are aborted RXKADLEVELFAIL */
	rxd_app_clock_fn clock;
	void *clock_arg;
};

int rxd_fs_worker_create(const struct rxd_fs_worker_params *p, struct rxd_fs_worker **out);
void rxd_fs_worker_destroy(struct rxd_fs_worker *w);
/** The RXAFS service descriptor (service 1) for this worker's shard. */
void rxd_fs_worker_desc(struct rxd_fs_worker *w, struct rxd_service_desc *d);
/** Take the I/O threads' completions and move their calls on (the lcore's poll hook). */
void rxd_fs_worker_poll(struct rxd_fs_worker *w, uint64_t now);
/** Abort every call (shutdown). */
void rxd_fs_worker_abort_all(struct rxd_fs_worker *w, int32_t code, uint64_t now);
struct rxd_fs_cb;
/**
 * The shard's callback state (cb.h), once created on the lcore: every call
 * contacts it, promises and breaks go through it.  Without one (NULL, the
 * default) replies promise nothing (ExpirationTime 0, CB_DROPPED).
 */
void rxd_fs_worker_set_cb(struct rxd_fs_worker *w, struct rxd_fs_cb *cb);
/** Jobs posted and not yet back. */
unsigned rxd_fs_worker_jobs(const struct rxd_fs_worker *w);

#endif
