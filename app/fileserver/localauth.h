/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's own -localauth token: an rxkad ticket for "afs" (the
 * server principal, which every server of the cell counts as an
 * administrator) sealed with the cell's newest DES key, as OpenAFS's
 * afsconf_ClientAuth (src/auth/authcon.c) makes for its fileserver's calls
 * to the ptserver and the vlserver (src/viced/viced.c vl_Initialize).
 * Those calls are rxkad_clear: RXD_FS_LOCALAUTH_LEVEL.
 */
#ifndef RXD_FS_LOCALAUTH_H
#define RXD_FS_LOCALAUTH_H

#include <stdint.h>

#include <rxd/security.h>

#define RXD_FS_LOCALAUTH_LEVEL 0 /* clear, as afsconf_ClientAuth */

struct rxd_fs_localauth {
	struct rxd_rxkad_des_key server_key;
	struct rxd_rxkad_key key; /* its ticket is tkt */
	uint8_t tkt[128];
	uint32_t made; /* unix time the token was made; 0 = none yet */
};

void rxd_fs_localauth_init(struct rxd_fs_localauth *la, const struct rxd_rxkad_des_key *server_key);

/** The token at unix time now, made anew in place (la->key) when it is
 * older than an hour (a ticket lives about 10 hours): 0, or -EIO (no
 * randomness, or the ticket could not be sealed). */
int rxd_fs_localauth_key(struct rxd_fs_localauth *la, uint32_t now, const struct rxd_rxkad_key **key);

#endif
