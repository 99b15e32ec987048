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

/* ------------------------------------------------------------------ rxkad server keyrings */

/*
 * A keyring of service keys (rxkad DES keys and krb5 keys for rxkad-k5), by
 * service, security index, kvno and enctype, that can change while serving
 * (lib/security/rxkad_keys.h adds and removes keys).  Concurrency rule (QSBR,
 * like DPDK rte_rcu_qsbr): lookups read an immutable snapshot and never
 * block; updates publish a new one; a thread that looks keys up registers
 * once and reports quiescence between lookups, and a retired snapshot is
 * freed when every online reader has.  With no registered readers snapshots
 * are freed at once, so lookups must then not run while the ring changes.
 * Loaders return 0, or -EINVAL / -ENOENT / -EIO with a one-line reason in err.
 * A service_id of 0 (RXD_RXKAD_ANY_SERVICE) serves every service.
 */
struct rxd_rxkad_keyring;

/** New empty ring, or NULL (ENOMEM). */
struct rxd_rxkad_keyring *rxd_rxkad_keyring_new(void);
/** Free the ring and every snapshot; no reader may be using it. NULL is ignored. */
void rxd_rxkad_keyring_free(struct rxd_rxkad_keyring *kr);

/** Register a reader thread: *id for _quiescent/_offline. 0 or -ENOSPC. */
int rxd_rxkad_keyring_reader_register(struct rxd_rxkad_keyring *kr, unsigned *id);
/** Reader: "I hold nothing from the ring now" (cheap: one load, one store). */
void rxd_rxkad_keyring_quiescent(struct rxd_rxkad_keyring *kr, unsigned id);
/** Reader going idle or away: it no longer holds back reclamation (online again at its next _quiescent). */
void rxd_rxkad_keyring_reader_offline(struct rxd_rxkad_keyring *kr, unsigned id);
/** Free retired snapshots no reader can still hold; returns how many remain retired. */
unsigned rxd_rxkad_keyring_reclaim(struct rxd_rxkad_keyring *kr);

/*
 * The ticket opener the rxkad security class calls with a RESPONSE's kvno
 * and ticket.  Its `void *keyring` is a struct rxd_rxkad_key_scope: the ring
 * plus the service and security index the conn belongs to.
 */
struct rxd_rxkad_key_scope {
	struct rxd_rxkad_keyring *ring;
	uint16_t service_id;
	uint8_t security_index;
};

/**
 * Open a ticket: kvno 0..255 (but 213) a Kerberos 4 ticket under the rxkad
 * DES key of that kvno; 256 a DER krb5 Ticket and 213 its EncryptedData only
 * (rxkad-k5), decrypted by libkrb5 with the ring's key for the ticket's own
 * kvno and enctype, its session key reduced to DES by the rxkad-kdf.  Times
 * are checked with rxd_rxkad_ticket_check_times(at now).  0, or -EPROTO with
 * *abort UNKNOWNKEY (no such key, unusable enctype), TICKETLEN, BADTICKET,
 * NOAUTH (not yet valid, or flagged invalid) or EXPIRED; -EINVAL for NULL args.
 */
int rxd_rxkad_keyring_open_ticket(void *keyring, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
				  struct rxd_rxkad_ticket *t, int32_t *abort);

/**
 * OpenAFS KeyFile (src/auth/keys.c _parseOriginalKeyFile): big-endian count,
 * then count x {kvno, 8-byte DES key}; keys become rxkad DES
 * keys of (service_id, security_index).  The file must be exactly that long.
 * The ring gains all keys or none.
 */
int rxd_rxkad_load_keyfile(struct rxd_rxkad_keyring *kr, const char *path, uint16_t service_id, uint8_t security_index,
			   char *err, size_t errlen);

/**
 * OpenAFS KeyFileExt (src/auth/keys.c _parseExtendedKeyFile): count, then
 * records {meta length >= 16, type, kvno, subtype, extra meta, key length,
 * key}.  Type 0 (rxkad, subtype 0, 8 bytes) becomes a DES key, type 2
 * (rxkad_krb5) a key of enctype = subtype; type 1 (rxgk) is skipped.
 */
int rxd_rxkad_load_keyfile_ext(struct rxd_rxkad_keyring *kr, const char *path, uint16_t service_id,
			       uint8_t security_index, char *err, size_t errlen);

/**
 * A krb5 keytab (any name libkrb5 resolves, e.g. FILE:/path): every entry of
 * afs/CELL@REALM (cell non-NULL) or else afs@REALM becomes a key of its
 * kvno and enctype.  NULL realm: the default realm of the krb5 config.
 * -ENOENT when no entry matches.
 */
int rxd_rxkad_load_keytab(struct rxd_rxkad_keyring *kr, const char *keytab, const char *cell, const char *realm,
			  uint16_t service_id, uint8_t security_index, char *err, size_t errlen);

/* Who is calling on a secured rxkad service conn: the verified ticket's client. */
struct rxd_rxkad_identity {
	char name[64]; /* OpenAFS MAXKTCNAMELEN */
	char instance[64];
	char cell[64];	  /* the ticket's realm ("" for a Kerberos 4 ticket of the local cell) */
	uint32_t expires; /* the ticket's end, seconds since 1970 */
	uint8_t level;	  /* the level the client chose: clear, auth or crypt */
};

/**
 * The identity of a service conn's client (conn_sec from rxd_call_security()
 * with index RXD_RXKAD_INDEX).  0, or -ENOENT when the conn is a client's or
 * not yet secured.
 */
int rxd_rxkad_conn_identity(const void *conn_sec, struct rxd_rxkad_identity *out);

/**
 * Replace every key of kr by from's in one step (kr's readers see the old
 * keys or the new, never a mix): a server's key files re-read into a fresh
 * ring while serving.  from must not change meanwhile.  0 or -ENOMEM.
 */
int rxd_rxkad_keyring_take(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_keyring *from);

/**
 * The ring's rxkad DES key (KeyFile, KeyFileExt type 0) of the highest kvno
 * that serves every service: what a server seals its own -localauth tickets
 * with (rxd_rxkad_make_key) to call the cell's other servers.  0 or -ENOENT.
 */
int rxd_rxkad_keyring_newest_des(const struct rxd_rxkad_keyring *kr, struct rxd_rxkad_des_key *out);

/** "RXKADSEALEDINCON" etc. for the RXKAD abort codes 19270400..19270412 (as in lib/security/rxkad.h). */
const char *rxd_rxkad_abort_name(int32_t code);

/** "clear" / "auth" / "crypt" -> 0 / 1 / 2; -EINVAL otherwise. */
int rxd_rxkad_level_parse(const char *s);

#ifdef __cplusplus
}
#endif
#endif
