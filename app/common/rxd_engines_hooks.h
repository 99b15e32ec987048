/* SPDX-License-Identifier: MIT */
/*
 * The shell's drain and abort hooks for a launcher whose worker app pointer
 * (rxd_worker_set_app) is its struct rxd_engines.  Header-only: app/common
 * does not link the DPDK shell, the launchers do.
 */
#ifndef RXD_ENGINES_HOOKS_H
#define RXD_ENGINES_HOOKS_H

#include <rxd/dpdk.h>

#include "rxd_engines.h"

/** lcore hook: SIGINT/SIGTERM, begin no more client calls. */
static inline void rxd_engines_hook_drain(void *arg, struct rxd_worker *w, uint64_t now)
{
	(void)arg;
	(void)now;
	rxd_engines_stop(rxd_worker_app(w));
}

/** lcore hook: the drain bound passed, abort what is left. */
static inline void rxd_engines_hook_abort_all(void *arg, struct rxd_worker *w, uint64_t now)
{
	(void)arg;
	rxd_engines_abort_all(rxd_worker_app(w), now);
}

#endif
