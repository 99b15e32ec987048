/* SPDX-License-Identifier: MIT */
/*
 * rxkad (security index 2) building blocks: pure functions with no core
 * state, called by the rxkad security class (the handshake lives in the
 * core).  Formats follow OpenAFS src/rxkad (rxkad_common.c, rxkad_client.c,
 * rxkad_server.c, ticket.c) and Linux net/rxrpc/rxkad.c; doc/rxkad.md
 * describes them.
 *
 * Functions that judge received bytes return 0, or -EPROTO with *abort set
 * to the RXKAD code to send; -EINVAL means the caller passed bad arguments.
 */
#ifndef RXD_RXKAD_H
#define RXD_RXKAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rxd/wire.h>

#include "security/fcrypt.h"

/* RXKAD abort codes (OpenAFS src/rxkad/rxkad_errs.et, 19270400..19270412; values from rxd/wire.h). */
enum rxd_rxkad_abort {
	RXD_RXKAD_OK = 0,
	RXD_RXKAD_INCONSISTENCY = RXKADINCONSISTENCY, /* security object inconsistency */
	RXD_RXKAD_PACKETSHORT = RXKADPACKETSHORT,     /* packet too short for security challenge */
	RXD_RXKAD_LEVELFAIL = RXKADLEVELFAIL,	      /* security level negotiation failed */
	RXD_RXKAD_TICKETLEN = RXKADTICKETLEN,	      /* ticket length too short or too long */
	RXD_RXKAD_OUTOFSEQUENCE = RXKADOUTOFSEQUENCE, /* packet had bad sequence number (nonce) */
	RXD_RXKAD_NOAUTH = RXKADNOAUTH,		      /* caller not authorized */
	RXD_RXKAD_BADKEY = RXKADBADKEY,		      /* illegal key: bad parity or weak */
	RXD_RXKAD_BADTICKET = RXKADBADTICKET,	      /* security object was passed a bad ticket */
	RXD_RXKAD_UNKNOWNKEY = RXKADUNKNOWNKEY,	      /* ticket contained unknown key version number */
	RXD_RXKAD_EXPIRED = RXKADEXPIRED,	      /* authentication expired */
	RXD_RXKAD_SEALEDINCON = RXKADSEALEDINCON,     /* sealed data inconsistent */
	RXD_RXKAD_DATALEN = RXKADDATALEN,	      /* user data too long */
	RXD_RXKAD_ILLEGALLEVEL = RXKADILLEGALLEVEL,   /* caller not authorized to use encrypted connections */
};
/** "RXKADSEALEDINCON" etc.; "RXKAD_OK" for 0, "RXKAD_UNKNOWN" otherwise. Never NULL. */
const char *rxd_rxkad_abort_name(int32_t code);

enum rxd_rxkad_level {
	RXD_RXKAD_CLEAR = 0, /* header checksum only */
	RXD_RXKAD_AUTH = 1,  /* + first 8 bytes (length/check word) encrypted */
	RXD_RXKAD_CRYPT = 2, /* + whole payload encrypted */
};
/** "clear", "auth", "crypt" or "unknown". */
const char *rxd_rxkad_level_name(unsigned level);

/* Per-connection session state derived from the session key and the conn. */
struct rxd_rxkad_conn_key {
	struct rxd_fcrypt_key sched;
	uint8_t iv[RXD_FCRYPT_BLOCK];	  /* = session key: PCBC IV of level 2 and the RESPONSE */
	uint8_t preseq[RXD_FCRYPT_BLOCK]; /* header-checksum IV (OpenAFS preSeq, Linux csum_iv) */
	uint8_t level;
};

/**
 * Set up a conn's rxkad state: key schedule, IV, and preSeq (the last block
 * of {epoch, cid & ~3, 0, security_index} PCBC-encrypted with IV = key).
 * Returns 0 or -EINVAL for a level above crypt.
 */
int rxd_rxkad_conn_key_init(struct rxd_rxkad_conn_key *ck, const uint8_t session_key[RXD_FCRYPT_KEYLEN], uint32_t epoch,
			    uint32_t cid, uint8_t security_index, uint8_t level);

/** The 16-bit header checksum of a DATA (sub)packet (never 0). */
uint16_t rxd_rxkad_hdr_cksum(const struct rxd_rxkad_conn_key *ck, uint32_t cid, uint32_t call_number, uint32_t seq);

/** Bytes of security header in front of the user data at a level (0, 4, 8). */
static inline uint32_t rxd_rxkad_header_len(uint8_t level)
{
	return level == RXD_RXKAD_AUTH ? 4u : level == RXD_RXKAD_CRYPT ? 8u : 0u;
}
/** Body length on the wire for data_len bytes of user data at a level. */
uint32_t rxd_rxkad_wire_len(uint8_t level, uint32_t data_len);

/*
 * One DATA payload to secure or verify.  body is the packet body after the
 * 28-byte header (or a jumbo subpacket's body).
 * secure: user data at body + rxd_rxkad_header_len(level), data_len bytes;
 *         body has room for rxd_rxkad_wire_len(); out: body_len, cksum.
 * verify: body_len bytes received, cksum from the header; out: data_off,
 *         data_len (user data at body + data_off), abort.
 */
struct rxd_rxkad_pkt {
	uint32_t cid, call_number, seq;
	uint16_t cksum;
	uint8_t *body;
	uint32_t body_len;
	uint32_t cap;	   /* secure: bytes writable at body */
	uint32_t data_off; /* verify */
	uint32_t data_len;
	int32_t abort; /* verify: RXKAD code when the packet is rejected */
};

/** Secure n payloads; level-2 payloads are encrypted interleaved. Returns 0 or -EINVAL (cap too small). */
int rxd_rxkad_secure(const struct rxd_rxkad_conn_key *ck, struct rxd_rxkad_pkt *p, unsigned n);

/**
 * Verify n payloads in place.  cksum_seen is the conn's "peer sends header
 * checksums" flag (OpenAFS cksumSeen): set by any non-zero cksum, and once
 * set every checksum is checked.  Returns the number of packets rejected
 * (each with p[i].abort set); 0 means all are good.
 */
unsigned rxd_rxkad_verify(const struct rxd_rxkad_conn_key *ck, bool *cksum_seen, struct rxd_rxkad_pkt *p, unsigned n);

/* ---- CHALLENGE / RESPONSE (bodies coded by rxd_challenge_* / rxd_response_* in wire.h) ---- */

#define RXD_RXKAD_CHALLENGE_VERSION 2u

/** Client: may a client configured for `level` answer this challenge?  0 or -EPROTO (LEVELFAIL). */
int rxd_rxkad_challenge_check(const struct rxd_challenge *c, uint8_t level, int32_t *abort);

/* The sealed part of a v2 RESPONSE, in host order. */
struct rxd_rxkad_response_info {
	uint32_t epoch;
	uint32_t cid; /* & ~3 */
	uint32_t security_index;
	uint32_t call_numbers[RXD_MAXCALLS];
	uint32_t nonce_inc; /* challenge nonce + 1 */
	uint32_t level;
	uint32_t kvno; /* outside the sealed part, but covered by its checksum */
	uint32_t ticket_len;
};

/**
 * The v2 RESPONSE checksum (OpenAFS rxkad_CksumChallengeResponse): over the
 * 56 plaintext bytes {version 2, spare 0, sealed part with cksum 0, kvno,
 * ticket_len}, c = 1000003, then c = c * 0x10204081 + byte.
 */
uint32_t rxd_rxkad_response_cksum(const struct rxd_rxkad_response_info *ri);

/** Client: fill r (version 2, sealed part, kvno, ticket_len) from ri; r->ticket is left to the caller. */
void rxd_rxkad_response_seal(const struct rxd_rxkad_conn_key *ck, const struct rxd_rxkad_response_info *ri,
			     struct rxd_response *r);

/**
 * Server: unseal r with the conn key set up from the ticket's session key
 * and check its checksum.  0 or -EPROTO (INCONSISTENCY for a version other
 * than 2, SEALEDINCON for a bad checksum).
 */
int rxd_rxkad_response_open(const struct rxd_rxkad_conn_key *ck, const struct rxd_response *r,
			    struct rxd_rxkad_response_info *ri, int32_t *abort);

/* What a server expects of a RESPONSE on one conn. */
struct rxd_rxkad_expect {
	uint32_t epoch, cid;
	uint8_t security_index;
	uint8_t min_level;
	uint32_t nonce;		      /* of the CHALLENGE sent */
	const uint32_t *call_numbers; /* the conn's current call number per channel, or NULL */
};

/**
 * Server: check an opened response against the conn and the challenge it
 * answers, as Linux rxkad_verify_response does: endpoint (SEALEDINCON), call
 * numbers below 2^31 and not behind the conn's (SEALEDINCON), nonce + 1
 * (OUTOFSEQUENCE), min_level <= level <= crypt (LEVELFAIL).
 */
int rxd_rxkad_response_check(const struct rxd_rxkad_response_info *ri, const struct rxd_rxkad_expect *want,
			     int32_t *abort);

/* ---- Kerberos 4 style tickets (OpenAFS ticket.c) ---- */

#define RXD_RXKAD_NAME_MAX 63u	    /* OpenAFS MAXKTCNAMELEN - 1 */
#define RXD_RXKAD_TICKET_MIN 32u    /* OpenAFS MINKTCTICKETLEN */
#define RXD_RXKAD_TICKET_MAX 12000u /* OpenAFS MAXKTCTICKETLEN */
#define RXD_RXKAD_NEVERDATE 0xffffffffu
#define RXD_RXKAD_CLOCK_SKEW (15u * 60u) /* KTC_TIME_UNCERTAINTY */
#define RXD_RXKAD_MAX_LIFETIME (30u * 24u * 3600u)

struct rxd_rxkad_ticket {
	char name[RXD_RXKAD_NAME_MAX + 1];
	char instance[RXD_RXKAD_NAME_MAX + 1];
	char cell[RXD_RXKAD_NAME_MAX + 1];
	uint32_t host; /* client IPv4, host order */
	uint8_t session_key[RXD_FCRYPT_KEYLEN];
	uint32_t start, end;		    /* seconds since 1970; end from the lifetime byte */
	char sname[RXD_RXKAD_NAME_MAX + 1]; /* service, e.g. "afs" */
	char sinstance[RXD_RXKAD_NAME_MAX + 1];
};

/**
 * Decrypt (DES-PCBC, key and IV = server key) and parse a ticket.
 * 0, or -EPROTO with BADTICKET (length, format) or TICKETLEN.
 * Times are not judged here: see rxd_rxkad_ticket_check_times().
 */
int rxd_rxkad_ticket_decode(const uint8_t *tkt, size_t len, const uint8_t server_key[RXD_FCRYPT_KEYLEN],
			    struct rxd_rxkad_ticket *t, int32_t *abort);

/** Build and encrypt a ticket into out (cap bytes); *len = its length (multiple of 8). 0 or -EINVAL. */
int rxd_rxkad_ticket_encode(uint8_t *out, size_t cap, size_t *len, const uint8_t server_key[RXD_FCRYPT_KEYLEN],
			    const struct rxd_rxkad_ticket *t);

/** Is the ticket usable at now?  0, or -EPROTO with NOAUTH (not yet valid), EXPIRED or BADTICKET. */
int rxd_rxkad_ticket_check_times(uint32_t start, uint32_t end, uint32_t now, int32_t *abort);

/**
 * The server's ticket opener (struct rxd_rxkad_server.open_ticket): decrypt
 * the ticket sealed with server key kvno and judge its times at now (unix
 * seconds).  0, or -EPROTO with *abort = RXKADUNKNOWNKEY / BADTICKET /
 * EXPIRED / NOAUTH / TICKETLEN.
 */
typedef int (*rxd_rxkad_open_ticket_fn)(void *arg, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
					struct rxd_rxkad_ticket *t, int32_t *abort);

/** Kerberos 4 lifetime byte <-> end time (OpenAFS life_to_time / time_to_life). 0 = unrepresentable. */
uint32_t rxd_rxkad_life_to_time(uint32_t start, uint8_t life);
uint8_t rxd_rxkad_time_to_life(uint32_t start, uint32_t end);

#endif
