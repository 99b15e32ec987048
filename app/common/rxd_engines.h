/* SPDX-License-Identifier: MIT */
/*
 * The application engines one shard (worker lcore) runs: an rxperf or echo
 * server and a client.  Both launchers keep one of these per worker, so
 * draining, aborting and freeing them is written once.
 */
#ifndef RXD_ENGINES_H
#define RXD_ENGINES_H

#include <stdint.h>

#include "rxd_echo.h"
#include "rxd_loadgen.h"
#include "rxd_rxperf.h"

struct rxd_engines {
	struct rxd_rxperf_server *rp;
	struct rxd_echo_server *es;
	struct rxd_loadgen *lg;
};

/** Share i of n of total, the first total % n shares one larger. */
static inline uint64_t rxd_engines_share(uint64_t total, unsigned n, unsigned i)
{
	return total / n + (i < total % n ? 1 : 0);
}

/** The registered service's app pointer (the rxperf or the echo server). */
void *rxd_engines_server(const struct rxd_engines *e);
/** Drain: the client begins no more calls. */
void rxd_engines_stop(struct rxd_engines *e);
/** Abort every call in flight: the client's with RX_USER_ABORT, the servers' with RX_RESTARTING. */
void rxd_engines_abort_all(struct rxd_engines *e, uint64_t now);
/** Free the engines (after the shell stopped calling them). */
void rxd_engines_destroy(struct rxd_engines *e);

#endif
