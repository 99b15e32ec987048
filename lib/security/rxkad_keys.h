/* SPDX-License-Identifier: MIT */
/*
 * rxkad server keys and ticket opening: a keyring of service keys that can
 * change while serving, loaders for OpenAFS KeyFile / KeyFileExt and krb5
 * keytabs, the rxkad-kdf (OpenAFS src/rxkad/ticket5.c tkt_DeriveDesKey) and
 * the opener of Kerberos 4 and rxkad-k5 tickets.  doc/rxkad.md, "Keys and
 * tickets", describes the formats.
 *
 * Concurrency rule (QSBR, like DPDK rte_rcu_qsbr):
 *  - the ring's contents are an immutable snapshot behind an atomic pointer;
 *    lookups (rxd_rxkad_keyring_open_ticket, _lookup) load it once and never
 *    block or write shared memory, so they may run on any number of lcores;
 *  - updates (add, remove, replace, loaders) may run on any thread; they are
 *    serialised by a mutex, publish a new snapshot and retire the old one;
 *  - a thread that looks keys up registers once (rxd_rxkad_keyring_reader_register)
 *    and calls rxd_rxkad_keyring_quiescent() between lookups (e.g. once per
 *    burst), at a point where it holds nothing it got from the ring; a retired
 *    snapshot is freed when every registered, online reader has reported
 *    quiescence since it was retired (on the next update or
 *    rxd_rxkad_keyring_reclaim()).  A reader going idle calls _reader_offline().
 *  - with no registered readers (single-threaded use, tests) snapshots are
 *    freed at once, so lookups must then not run concurrently with updates.
 * Keys copied out by _lookup stay valid for ever (they are copies).
 */
#ifndef RXD_RXKAD_KEYS_H
#define RXD_RXKAD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <rxd/security.h>

#include "security/rxkad.h"

/* Ticket "kvno" values that mean rxkad-k5 (OpenAFS src/auth/ktc.h / rxkad.h). */
#define RXD_RXKAD_TKT_TYPE_KERBEROS_V5 256u
#define RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY 213u

/* Key "enctype" 0: an rxkad DES key (KeyFile, KeyFileExt type 0); others are krb5 enctypes. */
#define RXD_RXKAD_ENCTYPE_RXKAD_DES 0
#define RXD_RXKAD_ENCTYPE_DES_CBC_CRC 1
#define RXD_RXKAD_ENCTYPE_DES_CBC_MD4 2
#define RXD_RXKAD_ENCTYPE_DES_CBC_MD5 3
#define RXD_RXKAD_ENCTYPE_DES3_CBC_MD5 5
#define RXD_RXKAD_ENCTYPE_DES3_CBC_SHA1_OLD 7
#define RXD_RXKAD_ENCTYPE_DES3_CBC_SHA1 16
#define RXD_RXKAD_ENCTYPE_AES128_CTS_HMAC_SHA1_96 17
#define RXD_RXKAD_ENCTYPE_AES256_CTS_HMAC_SHA1_96 18

/* service_id of a key that serves every service. */
#define RXD_RXKAD_ANY_SERVICE 0u
#define RXD_RXKAD_KEY_MAX 64u /* bytes of key material */
#define RXD_RXKAD_KEYRING_MAX_KEYS 1024u
#define RXD_RXKAD_KEYRING_MAX_READERS 128u

struct rxd_rxkad_service_key {
	uint16_t service_id; /* RXD_RXKAD_ANY_SERVICE or one rx service */
	uint8_t security_index;
	uint32_t kvno;
	int32_t enctype; /* RXD_RXKAD_ENCTYPE_* */
	uint32_t len;	 /* bytes in key */
	uint8_t key[RXD_RXKAD_KEY_MAX];
};

/* struct rxd_rxkad_keyring and its public functions (new/free, readers, the
 * opener, the loaders) are declared in <rxd/security.h>. */

/**
 * Add a key, or replace the one with the same (service, index, kvno, enctype).
 * An rxkad DES key must be 8 bytes.  0, -EINVAL (bad length or enctype < 0),
 * -ENOSPC (RXD_RXKAD_KEYRING_MAX_KEYS) or -ENOMEM.
 */
int rxd_rxkad_keyring_add(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *k);
/** Add n keys in one snapshot (all or none); same rules as _add. */
int rxd_rxkad_keyring_add_all(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *keys, size_t n);
/** Remove the key (enctype < 0: every enctype of that kvno).  0 or -ENOENT. */
int rxd_rxkad_keyring_remove(struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index, uint32_t kvno,
			     int32_t enctype);
/** Replace the whole contents by n keys in one step (readers see old or new, never a mix). */
int rxd_rxkad_keyring_replace(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *keys, size_t n);
/** Number of keys in the current snapshot (a writer-side figure). */
size_t rxd_rxkad_keyring_count(struct rxd_rxkad_keyring *kr);

/**
 * Copy out the key for (service, index, kvno, enctype): one for the exact
 * service wins over an RXD_RXKAD_ANY_SERVICE key.  0 or -ENOENT.
 */
int rxd_rxkad_keyring_lookup(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
			     uint32_t kvno, int32_t enctype, struct rxd_rxkad_service_key *out);

/** Same, with the ring and scope given separately. */
int rxd_rxkad_open_ticket(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
			  uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now, struct rxd_rxkad_ticket *t,
			  int32_t *abort);

/**
 * rxkad-k5 part (rxkad_k5.c, libkrb5): decrypt a kvno-256 Ticket or a
 * kvno-213 EncryptedData with the ring's key and fill t (times not judged).
 * Same return convention as rxd_rxkad_open_ticket.
 */
int rxd_rxkad_k5_decode(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index, uint32_t kvno,
			const uint8_t *tkt, size_t len, struct rxd_rxkad_ticket *t, int32_t *abort);

/**
 * rxkad-kdf (OpenAFS tkt_DeriveDesKey, draft-kaduk-afs3-rxkad-k5-kdf): a DES
 * session key from a krb5 key.  DES enctypes (1, 2, 3): the 8 bytes as they
 * are.  3DES (5, 7, 16): each 8-byte block's parity byte folded away (24 ->
 * 21 bytes) first.  Others (>= 16 excluding reserved 0, 4, 6, 8-15): for
 * i = 1..255, HMAC-MD5(key, i || "rxkad" NUL || 00 00 00 40)[0..7] with odd
 * parity, the first that is not a weak or semi-weak DES key.  0, or -EINVAL
 * (enctype not allowed, bad length, every counter weak).
 */
int rxd_rxkad_derive_des_key(int32_t enctype, const uint8_t *key, size_t len, uint8_t out[RXD_FCRYPT_KEYLEN]);

/** One of the 16 weak or semi-weak DES keys (parity bits ignored)? */
int rxd_rxkad_des_is_weak(const uint8_t key[8]);

/* ---- loaders: 0, or -EINVAL / -ENOENT / -EIO with a one-line reason in err (errlen bytes) ---- */

/** The same from bytes in memory (what the file loader and the fuzzer call). */
int rxd_rxkad_parse_keyfile(const uint8_t *b, size_t len, struct rxd_rxkad_service_key *keys, size_t cap, size_t *n,
			    uint16_t service_id, uint8_t security_index, char *err, size_t errlen);

int rxd_rxkad_parse_keyfile_ext(const uint8_t *b, size_t len, struct rxd_rxkad_service_key *keys, size_t cap, size_t *n,
				uint16_t service_id, uint8_t security_index, char *err, size_t errlen);

#endif
