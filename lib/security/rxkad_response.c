/* SPDX-License-Identifier: MIT */
/*
 * rxkad CHALLENGE / RESPONSE v2 contents (OpenAFS rxkad_client.c
 * rxkad_GetResponse, rxkad_server.c rxkad_CheckResponse, rxkad_common.c
 * rxkad_CksumChallengeResponse; Linux net/rxrpc/rxkad.c).  The outer bodies
 * are coded by rxd_challenge_* / rxd_response_* in lib/wire.
 */
#include <errno.h>
#include <string.h>

#include "security/rxkad.h"

#define RESP_PLAIN_LEN 56u /* version, spare, 40 sealed bytes, kvno, ticket_len */
#define SEALED_OFF 8u
#define SEALED_LEN 40u
#define CKSUM_OFF (SEALED_OFF + 8u)

int rxd_rxkad_challenge_check(const struct rxd_challenge *c, uint8_t level, int32_t *abort)
{
	/* OpenAFS and Linux clients: the server asks for more than we are set up for */
	if (c->min_level > level) {
		*abort = RXD_RXKAD_LEVELFAIL;
		return -EPROTO;
	}
	return 0;
}

/* The 56-byte plaintext the checksum covers, with the given cksum word. */
static void resp_plain(uint8_t b[RESP_PLAIN_LEN], const struct rxd_rxkad_response_info *ri, uint32_t cksum)
{
	uint8_t *e = b + SEALED_OFF;
	unsigned i;

	rxd_put_be32(b + 0, RXD_RXKAD_CHALLENGE_VERSION);
	rxd_put_be32(b + 4, 0);
	rxd_put_be32(e + 0, ri->epoch);
	rxd_put_be32(e + 4, ri->cid);
	rxd_put_be32(e + 8, cksum);
	rxd_put_be32(e + 12, ri->security_index);
	for (i = 0; i < RXD_MAXCALLS; i++)
		rxd_put_be32(e + 16 + 4 * i, ri->call_numbers[i]);
	rxd_put_be32(e + 32, ri->nonce_inc);
	rxd_put_be32(e + 36, ri->level);
	rxd_put_be32(b + 48, ri->kvno);
	rxd_put_be32(b + 52, ri->ticket_len);
}

uint32_t rxd_rxkad_response_cksum(const struct rxd_rxkad_response_info *ri)
{
	uint8_t b[RESP_PLAIN_LEN];
	uint32_t c = 1000003u;
	unsigned i;

	resp_plain(b, ri, 0);
	for (i = 0; i < RESP_PLAIN_LEN; i++)
		c = c * 0x10204081u + b[i];
	return c;
}

void rxd_rxkad_response_seal(const struct rxd_rxkad_conn_key *ck, const struct rxd_rxkad_response_info *ri,
			     struct rxd_response *r)
{
	uint8_t b[RESP_PLAIN_LEN], iv[RXD_FCRYPT_BLOCK];

	resp_plain(b, ri, rxd_rxkad_response_cksum(ri));
	memcpy(iv, ck->iv, sizeof(iv));
	rxd_fcrypt_pcbc_encrypt(&ck->sched, iv, r->encrypted, b + SEALED_OFF, SEALED_LEN);
	r->version = RXD_RXKAD_CHALLENGE_VERSION;
	r->kvno = ri->kvno;
	r->ticket_len = ri->ticket_len;
}

int rxd_rxkad_response_open(const struct rxd_rxkad_conn_key *ck, const struct rxd_response *r,
			    struct rxd_rxkad_response_info *ri, int32_t *abort)
{
	uint8_t e[SEALED_LEN], iv[RXD_FCRYPT_BLOCK];
	unsigned i;

	if (r->version != RXD_RXKAD_CHALLENGE_VERSION) {
		*abort = RXD_RXKAD_INCONSISTENCY;
		return -EPROTO;
	}
	memcpy(iv, ck->iv, sizeof(iv));
	rxd_fcrypt_pcbc_decrypt(&ck->sched, iv, e, r->encrypted, SEALED_LEN);
	ri->epoch = rxd_get_be32(e + 0);
	ri->cid = rxd_get_be32(e + 4);
	ri->security_index = rxd_get_be32(e + 12);
	for (i = 0; i < RXD_MAXCALLS; i++)
		ri->call_numbers[i] = rxd_get_be32(e + 16 + 4 * i);
	ri->nonce_inc = rxd_get_be32(e + 32);
	ri->level = rxd_get_be32(e + 36);
	ri->kvno = r->kvno;
	ri->ticket_len = r->ticket_len;
	/* a wrong session key (bad ticket key) shows up here too */
	if (rxd_get_be32(e + 8) != rxd_rxkad_response_cksum(ri)) {
		*abort = RXD_RXKAD_SEALEDINCON;
		return -EPROTO;
	}
	return 0;
}

int rxd_rxkad_response_check(const struct rxd_rxkad_response_info *ri, const struct rxd_rxkad_expect *want,
			     int32_t *abort)
{
	unsigned i;

	*abort = 0;
	if (ri->epoch != want->epoch || ri->cid != (want->cid & ~RXD_CID_CHANNEL_MASK) ||
	    ri->security_index != want->security_index)
		*abort = RXD_RXKAD_SEALEDINCON;
	for (i = 0; i < RXD_MAXCALLS && !*abort; i++)
		if (ri->call_numbers[i] > INT32_MAX || /* OpenAFS: negative call numbers */
		    (want->call_numbers && ri->call_numbers[i] < want->call_numbers[i]))
			*abort = RXD_RXKAD_SEALEDINCON;
	if (!*abort && ri->nonce_inc != want->nonce + 1u)
		*abort = RXD_RXKAD_OUTOFSEQUENCE;
	if (!*abort && (ri->level < want->min_level || ri->level > RXD_RXKAD_CRYPT))
		*abort = RXD_RXKAD_LEVELFAIL;
	return *abort ? -EPROTO : 0;
}
