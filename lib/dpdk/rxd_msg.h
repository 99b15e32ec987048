/* SPDX-License-Identifier: MIT */
/* Worker side of the message API (the thread side is in rxd/dpdk.h). */
#ifndef RXD_DPDK_MSG_H
#define RXD_DPDK_MSG_H

#include "rxd_shell.h"

/** Allocate a worker's message state (call contexts, lookup table). */
int rxd_msg_worker_init(struct rxd_worker *w);
/** Take in the threads' messages and retry deliveries that waited for room. */
void rxd_msg_worker_poll(struct rxd_worker *w);
/** Push batched messages to the threads. */
void rxd_msg_worker_flush(struct rxd_worker *w);
/** Abort every message-API call (shutdown). */
void rxd_msg_worker_abort_all(struct rxd_worker *w);
/** Release everything (after the shards are destroyed). */
void rxd_msg_worker_fini(struct rxd_worker *w);
/** Free the endpoints' rings and pools (control thread, after the workers exited). */
void rxd_msg_eps_free(struct rxd_shell *s);

#endif
