/* SPDX-License-Identifier: MIT */
/* Security classes shipped with rxd (see struct rxd_security_class in core.h). */
#ifndef RXD_SECURITY_H
#define RXD_SECURITY_H

#include <stddef.h>
#include <stdint.h>

#include <rxd/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/** rxnull, index 0: always available. */
extern const struct rxd_security_class rxd_rxnull_class;

/* ------------------------------------------------------------------ rxkad (index 2) */

/** rxkad: Kerberos-4-style tickets, fcrypt, levels clear / auth / crypt (doc/rxkad.md). */
extern const struct rxd_security_class rxd_rxkad_class;

#define RXD_RXKAD_INDEX 2u
#define RXD_RXKAD_KEYLEN 8u

/*
 * A client's rxkad key, passed as rxd_call_params.key (with security_index 2
 * and security_level = level): the session key and the ticket sealed for the
 * server.  Calls share a conn only when they pass the same key object and level.
 * The caller keeps it (and the ticket bytes) alive while calls use it.
 */
struct rxd_rxkad_key {
	uint8_t session_key[RXD_RXKAD_KEYLEN];
	uint32_t kvno; /* the server key version the ticket is sealed with */
	const uint8_t *ticket;
	uint32_t ticket_len;
};

struct rxd_rxkad_ticket; /* lib/security/rxkad.h */

/*
 * The server side of rxkad, passed as rxd_service_desc.security_conf (the
 * minimum level is the desc's min_security_level).  open_ticket has the type
 * rxd_rxkad_open_ticket_fn of lib/security/rxkad.h: decrypt and judge the
 * ticket sealed with server key kvno at unix time now; 0, or -EPROTO with
 * *abort = RXKADUNKNOWNKEY / BADTICKET / EXPIRED / NOAUTH ...
 */
struct rxd_rxkad_server {
	int (*open_ticket)(void *arg, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
			   struct rxd_rxkad_ticket *t, int32_t *abort);
	void *arg;
	/** Seconds since 1970 for ticket lifetimes; NULL = time(). */
	uint32_t (*unix_time)(void *arg);
};

/* One DES server key: the arg of rxd_rxkad_open_ticket_des. */
struct rxd_rxkad_des_key {
	uint8_t key[RXD_RXKAD_KEYLEN];
	uint32_t kvno;
};

/** An open_ticket for one DES service key (arg: struct rxd_rxkad_des_key): Kerberos 4 tickets. */
int rxd_rxkad_open_ticket_des(void *arg, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
			      struct rxd_rxkad_ticket *t, int32_t *abort);

/**
 * Make a client key for oneself from a service's DES key, as OpenAFS's
 * -localauth does (auth/authcon.c afsconf_ClientAuth): a random session key
 * (from random), a Kerberos 4 ticket for name (no cell) to service "afs"
 * valid from 5 minutes before now for about 10 hours, sealed
 * with server_key, written to tkt (cap bytes, 128 is enough).  0 or -EINVAL.
 */
int rxd_rxkad_make_key(struct rxd_rxkad_key *k, uint8_t *tkt, size_t cap, const struct rxd_rxkad_des_key *server_key,
		       const char *name, uint32_t now, uint64_t random);

/** "RXKADSEALEDINCON" etc. for the RXKAD abort codes 19270400..19270412 (as in lib/security/rxkad.h). */
const char *rxd_rxkad_abort_name(int32_t code);

/** "clear" / "auth" / "crypt" -> 0 / 1 / 2; -EINVAL otherwise. */
int rxd_rxkad_level_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
