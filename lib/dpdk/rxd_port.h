/* SPDX-License-Identifier: MIT */
/*
 * Ports, queues and packet pools: one RX and one TX queue per worker on every
 * iface, mbuf pools per NUMA socket, checksum offloads when offered, RSS on
 * multi-queue ports, and the in-process net_ring pair used by tests.
 */
#ifndef RXD_DPDK_PORT_H
#define RXD_DPDK_PORT_H

#include <stddef.h>

#include "rxd_shell.h"

/** Create two cross-connected ring ports (A's TX queue i feeds B's RX queue i and back). */
int rxd_ring_pair_create(struct rxd_shell *s, unsigned nq, char *err, size_t errlen);
/** Read the port's capabilities, MAC and MTU into ifc (before pools exist). */
int rxd_port_probe(struct rxd_shell *s, struct rxd_iface *ifc, char *err, size_t errlen);
/** Create one packet pool (and a small big-buffer pool) per NUMA socket in use. */
int rxd_pools_create(struct rxd_shell *s, char *err, size_t errlen);
/** Configure queues and offloads, start the port. */
int rxd_port_start(struct rxd_shell *s, struct rxd_iface *ifc, char *err, size_t errlen);
/** Stop and close the port. */
void rxd_port_close(struct rxd_shell *s, struct rxd_iface *ifc);
/** Free the pools and the ring-pair rings. */
void rxd_pools_free(struct rxd_shell *s);
/** The socket a worker's memory should come from. */
int rxd_lcore_socket(unsigned lcore);

/** Try rte_flow cid-steering rules on a multi-queue port; returns rules installed (0 = software only). */
unsigned rxd_flow_setup(struct rxd_shell *s, struct rxd_iface *ifc);
/** Remove the rules installed by rxd_flow_setup. */
void rxd_flow_teardown(struct rxd_shell *s, struct rxd_iface *ifc);

#endif
