/* SPDX-License-Identifier: MIT */
/*
 * The ptserver client's transport (prclient.h) over rxd's message API: one
 * client endpoint on the RXAFS port (a cell's ptserver sees calls from the
 * fileserver's address, as from an OpenAFS fileserver), PR calls (service 73)
 * to the given ptservers in turn until one answers.  With a server key the
 * calls are rxkad (clear) with a ticket for "afs" sealed with it, as
 * OpenAFS's fileserver calls its ptserver (-localauth: the ptserver lets
 * only its administrators, which that ticket is, read a user's groups).  Used from the file-I/O
 * threads, which may block; prclient.c serialises the calls.
 */
#ifndef RXD_FS_PRMSG_H
#define RXD_FS_PRMSG_H

#include <stddef.h>
#include <stdint.h>

#include <rxd/dpdk.h>
#include <rxd/security.h>

#define RXD_FS_PRMSG_MAX_SERVERS 8u
#define RXD_FS_PRMSG_TIMEOUT_MS 5000 /* one ptserver's answer; then the next is asked */

struct rxd_fs_prmsg;

/**
 * An endpoint on the shell (before rxd_shell_start) for calls from UDP port
 * on iface 0; key (may be NULL: rxnull) is copied.  0 or -errno with err.
 */
int rxd_fs_prmsg_create(struct rxd_shell *s, uint16_t port, const struct rxd_addr *servers, unsigned n,
			const struct rxd_rxkad_des_key *key, struct rxd_fs_prmsg **out, char *err, size_t errlen);
void rxd_fs_prmsg_free(struct rxd_fs_prmsg *m);
/** An rxd_fs_pr_rpc_fn (prclient.h) with arg the rxd_fs_prmsg. */
int rxd_fs_prmsg_rpc(void *arg, const uint8_t *req, size_t len, uint8_t *reply, size_t cap, size_t *got,
		     int32_t *abort);

#endif
