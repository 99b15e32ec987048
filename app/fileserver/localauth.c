/* SPDX-License-Identifier: MIT */
/* The fileserver's -localauth token (localauth.h). */
#include "localauth.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define TICKET_REFRESH_S 3600u

void rxd_fs_localauth_init(struct rxd_fs_localauth *la, const struct rxd_rxkad_des_key *server_key)
{
	memset(la, 0, sizeof(*la));
	la->server_key = *server_key;
}

int rxd_fs_localauth_key(struct rxd_fs_localauth *la, uint32_t now, const struct rxd_rxkad_key **key)
{
	uint64_t r;

	if (!la->made || now - la->made >= TICKET_REFRESH_S) {
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r) ||
		    rxd_rxkad_make_key(&la->key, la->tkt, sizeof(la->tkt), &la->server_key, "afs", now, r))
			return -EIO;
		la->made = now;
	}
	*key = &la->key;
	return 0;
}
