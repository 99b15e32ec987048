/* SPDX-License-Identifier: MIT */
/* The run-to-completion loop of one worker lcore. */
#ifndef RXD_DPDK_WORKER_H
#define RXD_DPDK_WORKER_H

#include "rxd_shell.h"

/** lcore entry point (rte_eal_remote_launch); arg is the struct rxd_worker. */
int rxd_worker_main(void *arg);

#endif
