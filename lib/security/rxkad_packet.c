/* SPDX-License-Identifier: MIT */
/*
 * rxkad per-connection keys, the DATA header checksum and the three
 * protection levels (OpenAFS rxkad_common.c rxkad_DeriveXORInfo, ComputeSum,
 * rxkad_PreparePacket / rxkad_CheckPacket; Linux net/rxrpc/rxkad.c
 * rxkad_prime_packet_security, rxkad_secure_packet, rxkad_verify_packet).
 */
#include <errno.h>
#include <string.h>

#include "security/rxkad.h"

/* Level-2 payloads are handed to the multi-buffer cipher this many at a time. */
#define RXKAD_MB_BATCH 32u

static const char *const abort_names[] = {
    "RXKADINCONSISTENCY", "RXKADPACKETSHORT", "RXKADLEVELFAIL",	   "RXKADTICKETLEN",  "RXKADOUTOFSEQUENCE",
    "RXKADNOAUTH",	  "RXKADBADKEY",      "RXKADBADTICKET",	   "RXKADUNKNOWNKEY", "RXKADEXPIRED",
    "RXKADSEALEDINCON",	  "RXKADDATALEN",     "RXKADILLEGALLEVEL",
};
_Static_assert(sizeof(abort_names) / sizeof(abort_names[0]) == RXD_RXKAD_ILLEGALLEVEL - RXD_RXKAD_INCONSISTENCY + 1,
	       "one name per RXKAD abort code");

const char *rxd_rxkad_abort_name(int32_t code)
{
	if (code == 0)
		return "RXKAD_OK";
	if (code < RXD_RXKAD_INCONSISTENCY || code > RXD_RXKAD_ILLEGALLEVEL)
		return "RXKAD_UNKNOWN";
	return abort_names[code - RXD_RXKAD_INCONSISTENCY];
}

const char *rxd_rxkad_level_name(unsigned level)
{
	static const char *const names[] = {"clear", "auth", "crypt"};

	return level < 3 ? names[level] : "unknown";
}

int rxd_rxkad_conn_key_init(struct rxd_rxkad_conn_key *ck, const uint8_t session_key[RXD_FCRYPT_KEYLEN], uint32_t epoch,
			    uint32_t cid, uint8_t security_index, uint8_t level)
{
	uint8_t ep[16], iv[RXD_FCRYPT_BLOCK];

	if (level > RXD_RXKAD_CRYPT)
		return -EINVAL;
	rxd_fcrypt_setkey(&ck->sched, session_key);
	memcpy(ck->iv, session_key, RXD_FCRYPT_BLOCK);
	ck->level = level;
	/* OpenAFS struct rxkad_endpoint with cksum 0 */
	rxd_put_be32(ep + 0, epoch);
	rxd_put_be32(ep + 4, cid & ~RXD_CID_CHANNEL_MASK);
	rxd_put_be32(ep + 8, 0);
	rxd_put_be32(ep + 12, security_index);
	memcpy(iv, session_key, RXD_FCRYPT_BLOCK);
	rxd_fcrypt_pcbc_encrypt(&ck->sched, iv, ep, ep, sizeof(ep));
	memcpy(ck->preseq, ep + 8, RXD_FCRYPT_BLOCK);
	return 0;
}

uint16_t rxd_rxkad_hdr_cksum(const struct rxd_rxkad_conn_key *ck, uint32_t cid, uint32_t call_number, uint32_t seq)
{
	uint8_t w[RXD_FCRYPT_BLOCK];
	uint32_t y;
	unsigned i;

	rxd_put_be32(w, call_number);
	rxd_put_be32(w + 4, ((cid & RXD_CID_CHANNEL_MASK) << 30) | (seq & 0x3fffffffu));
	for (i = 0; i < RXD_FCRYPT_BLOCK; i++)
		w[i] ^= ck->preseq[i];
	rxd_fcrypt_ecb_encrypt(&ck->sched, w, w, sizeof(w));
	y = rxd_get_be32(w + 4) >> 16;
	return y ? (uint16_t)y : 1; /* 0 means "no checksum" on the wire */
}

uint32_t rxd_rxkad_wire_len(uint8_t level, uint32_t data_len)
{
	switch (level) {
	case RXD_RXKAD_AUTH:
		/* OpenAFS: at least the one encrypted block, no other padding */
		return data_len + 4 < RXD_FCRYPT_BLOCK ? RXD_FCRYPT_BLOCK : data_len + 4;
	case RXD_RXKAD_CRYPT:
		return (data_len + 8 + RXD_FCRYPT_BLOCK - 1) & ~(RXD_FCRYPT_BLOCK - 1);
	default:
		return data_len;
	}
}

/* The sealed first word: a check of seq and call, and the true data length. */
static inline uint32_t seal_word(const struct rxd_rxkad_pkt *p, uint32_t len)
{
	return (((p->seq ^ p->call_number) & 0xffffu) << 16) | (len & 0xffffu);
}

static void flush_jobs(struct rxd_fcrypt_job *jobs, unsigned *nj, int dec)
{
	if (!*nj)
		return;
	if (dec)
		rxd_fcrypt_pcbc_decrypt_mb(jobs, *nj);
	else
		rxd_fcrypt_pcbc_encrypt_mb(jobs, *nj);
	*nj = 0;
}

static void add_job(const struct rxd_rxkad_conn_key *ck, struct rxd_fcrypt_job *jobs, unsigned *nj, uint8_t *body,
		    uint32_t len, int dec)
{
	struct rxd_fcrypt_job *j = &jobs[(*nj)++];

	j->key = &ck->sched;
	memcpy(j->iv, ck->iv, RXD_FCRYPT_BLOCK); /* every packet starts afresh from the session key */
	j->in = body;
	j->out = body;
	j->len = len;
	if (*nj == RXKAD_MB_BATCH)
		flush_jobs(jobs, nj, dec);
}

int rxd_rxkad_secure(const struct rxd_rxkad_conn_key *ck, struct rxd_rxkad_pkt *p, unsigned n)
{
	struct rxd_fcrypt_job jobs[RXKAD_MB_BATCH];
	uint32_t hl = rxd_rxkad_header_len(ck->level);
	unsigned i, nj = 0;

	for (i = 0; i < n; i++)
		if (p[i].data_len > 0xffffu || rxd_rxkad_wire_len(ck->level, p[i].data_len) > p[i].cap)
			return -EINVAL;
	for (i = 0; i < n; i++) {
		struct rxd_rxkad_pkt *q = &p[i];
		uint32_t wl = rxd_rxkad_wire_len(ck->level, q->data_len);

		q->cksum = rxd_rxkad_hdr_cksum(ck, q->cid, q->call_number, q->seq);
		q->body_len = wl;
		if (ck->level == RXD_RXKAD_CLEAR)
			continue;
		rxd_put_be32(q->body, seal_word(q, q->data_len));
		if (ck->level == RXD_RXKAD_CRYPT)
			rxd_put_be32(q->body + 4, 0); /* OpenAFS and Linux send a zero checksum word */
		memset(q->body + hl + q->data_len, 0, wl - hl - q->data_len);
		if (ck->level == RXD_RXKAD_AUTH)
			rxd_fcrypt_ecb_encrypt(&ck->sched, q->body, q->body, RXD_FCRYPT_BLOCK);
		else
			add_job(ck, jobs, &nj, q->body, wl, 0);
	}
	flush_jobs(jobs, &nj, 0);
	return 0;
}

/* Checks that need no decryption; 0 or an abort code. */
static int32_t verify_pre(const struct rxd_rxkad_conn_key *ck, bool *cksum_seen, const struct rxd_rxkad_pkt *q)
{
	if (q->cksum)
		*cksum_seen = true;
	if (*cksum_seen && q->cksum != rxd_rxkad_hdr_cksum(ck, q->cid, q->call_number, q->seq))
		return RXD_RXKAD_SEALEDINCON;
	if (ck->level == RXD_RXKAD_CLEAR)
		return 0;
	/* Linux: too short for the sealed header is SEALEDINCON; level 2 must be whole blocks */
	if (q->body_len < RXD_FCRYPT_BLOCK)
		return RXD_RXKAD_SEALEDINCON;
	if (ck->level == RXD_RXKAD_CRYPT && q->body_len % RXD_FCRYPT_BLOCK)
		return RXD_RXKAD_SEALEDINCON;
	return 0;
}

/* After decryption: the check half and the true length. */
static int32_t verify_post(const struct rxd_rxkad_conn_key *ck, struct rxd_rxkad_pkt *q)
{
	uint32_t hl = rxd_rxkad_header_len(ck->level), word, len;

	if (ck->level == RXD_RXKAD_CLEAR) {
		q->data_off = 0;
		q->data_len = q->body_len;
		return 0;
	}
	word = rxd_get_be32(q->body);
	if ((word >> 16) != ((q->seq ^ q->call_number) & 0xffffu))
		return RXD_RXKAD_SEALEDINCON;
	len = word & 0xffffu;
	if (len > q->body_len - hl)
		return RXD_RXKAD_DATALEN;
	q->data_off = hl;
	q->data_len = len;
	return 0;
}

unsigned rxd_rxkad_verify(const struct rxd_rxkad_conn_key *ck, bool *cksum_seen, struct rxd_rxkad_pkt *p, unsigned n)
{
	struct rxd_fcrypt_job jobs[RXKAD_MB_BATCH];
	unsigned i, nj = 0, bad = 0;

	for (i = 0; i < n; i++) {
		struct rxd_rxkad_pkt *q = &p[i];

		q->abort = verify_pre(ck, cksum_seen, q);
		if (q->abort)
			continue;
		if (ck->level == RXD_RXKAD_AUTH)
			rxd_fcrypt_ecb_decrypt(&ck->sched, q->body, q->body, RXD_FCRYPT_BLOCK);
		else if (ck->level == RXD_RXKAD_CRYPT)
			add_job(ck, jobs, &nj, q->body, q->body_len, 1);
	}
	flush_jobs(jobs, &nj, 1);
	for (i = 0; i < n; i++) {
		if (!p[i].abort)
			p[i].abort = verify_post(ck, &p[i]);
		bad += p[i].abort != 0;
	}
	return bad;
}
