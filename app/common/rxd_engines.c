/* SPDX-License-Identifier: MIT */
/* The application engines of one shard (see rxd_engines.h). */
#include "rxd_engines.h"

void *rxd_engines_server(const struct rxd_engines *e)
{
	return e->rp ? (void *)e->rp : (void *)e->es;
}

void rxd_engines_stop(struct rxd_engines *e)
{
	if (e->lg)
		rxd_loadgen_stop(e->lg);
}

void rxd_engines_abort_all(struct rxd_engines *e, uint64_t now)
{
	if (e->lg)
		rxd_loadgen_abort_all(e->lg, now);
	if (e->rp)
		rxd_rxperf_server_abort_all(e->rp, RX_RESTARTING, now);
	if (e->es)
		rxd_echo_server_abort_all(e->es, RX_RESTARTING, now);
}

void rxd_engines_destroy(struct rxd_engines *e)
{
	rxd_loadgen_destroy(e->lg);
	rxd_rxperf_server_destroy(e->rp);
	rxd_echo_server_destroy(e->es);
	e->lg = NULL;
	e->rp = NULL;
	e->es = NULL;
}
