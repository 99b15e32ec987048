/* SPDX-License-Identifier: MIT */
/*
 * Crypto lcores (doc/crypto-offload.md): the core's crypto engine
 * (struct rxd_crypto_ops) over rte_rings.  Workers put jobs on one shared
 * MP/MC request ring; any crypto lcore takes a burst, runs it
 * (rxd_crypto_run), and puts each job on its worker's MP/SC done ring, which
 * the worker polls inside its receive batch.
 */
#ifndef RXD_DPDK_CRYPTO_H
#define RXD_DPDK_CRYPTO_H

#include <stdbool.h>

#include <rxd/core.h>

struct rxd_shell;
struct rxd_worker;

/* Which shard a job came from: the engine's ctx per shard, and the job's `engine` field. */
struct rxd_crypto_port {
	struct rxd_worker *w;
	struct rxd_local *local;
};

/** The engine the worker's shards get, or NULL when no crypto lcores are configured (inline). */
const struct rxd_crypto_ops *rxd_crypto_engine_ops(const struct rxd_shell *s);
/** Create the request ring and each worker's done ring.  0 or -ENOMEM with err. */
int rxd_crypto_engine_create(struct rxd_shell *s, char *err, size_t errlen);
/** Free the rings (every lcore stopped). */
void rxd_crypto_engine_free(struct rxd_shell *s);
/** The crypto lcore loop (rte_eal_remote_launch argument: the shell); returns when told to stop. */
int rxd_crypto_lcore_main(void *arg);
/** Worker: give the jobs back that the crypto lcores finished; how many. */
unsigned rxd_crypto_worker_poll(struct rxd_worker *w);
/** Worker leaving its loop: wait (bounded) until its shards have every job back. */
void rxd_crypto_worker_drain(struct rxd_worker *w);

#endif
