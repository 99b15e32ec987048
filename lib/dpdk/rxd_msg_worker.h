/* SPDX-License-Identifier: MIT */
/* Worker side of the message API: what the shell and the worker loop call. */
#ifndef RXD_DPDK_MSG_WORKER_H
#define RXD_DPDK_MSG_WORKER_H

#include "rxd_shell.h"

struct rxd_msg_ep;

/**
 * Give worker w its side of endpoint ep (control thread, before the workers
 * start): the worker's message state on first use, the endpoint's call ID
 * map and, for a server endpoint, the service on w's shard.  Returns 0 or
 * a negative errno with a line in err.
 */
int rxd_msg_worker_attach(struct rxd_worker *w, struct rxd_msg_ep *ep, char *err, size_t errlen);
/** Take in the threads' messages and retry deliveries that waited for room. */
void rxd_msg_worker_poll(struct rxd_worker *w);
/** Push batched messages to the threads. */
void rxd_msg_worker_flush(struct rxd_worker *w);
/** Abort every message-API call (shutdown). */
void rxd_msg_worker_abort_all(struct rxd_worker *w);
/** Release everything (after the shards are destroyed). */
void rxd_msg_worker_fini(struct rxd_worker *w);

#endif
