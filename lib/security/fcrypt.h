/* SPDX-License-Identifier: MIT */
/*
 * fcrypt: the 64-bit block, 56-bit key, 16-round Feistel cipher of rxkad
 * (OpenAFS src/rxkad/fcrypt.c, Linux crypto/fcrypt.c), in ECB and in the
 * PCBC mode rxkad uses (OpenAFS fc_cbc_encrypt is PCBC: the next chaining
 * value is plaintext XOR ciphertext).
 *
 * Pure functions, no state beyond the key schedule.  Lengths are whole
 * 8-byte blocks (rxkad pads before it encrypts); input and output may be
 * the same buffer.  PCBC functions update iv so a message split over
 * several buffers chains like one.
 *
 * PCBC cannot be parallelised within one message, so a single stream is
 * bound by the latency of 16 dependent rounds.  The _mb entry points run
 * several independent messages (packets, connections) interleaved so the
 * CPU overlaps their rounds.
 */
#ifndef RXD_FCRYPT_H
#define RXD_FCRYPT_H

#include <stddef.h>
#include <stdint.h>

#define RXD_FCRYPT_BLOCK 8u
#define RXD_FCRYPT_KEYLEN 8u
#define RXD_FCRYPT_ROUNDS 16u

/* Key schedule: the round keys in encryption order and reversed. */
struct rxd_fcrypt_key {
	uint32_t enc[RXD_FCRYPT_ROUNDS];
	uint32_t dec[RXD_FCRYPT_ROUNDS];
};

/** Expand an 8-byte key (the low bit of each byte is parity, ignored). */
void rxd_fcrypt_setkey(struct rxd_fcrypt_key *k, const uint8_t key[RXD_FCRYPT_KEYLEN]);

/** ECB over len bytes (a multiple of 8). Returns 0 or -EINVAL. */
int rxd_fcrypt_ecb_encrypt(const struct rxd_fcrypt_key *k, uint8_t *out, const uint8_t *in, size_t len);
int rxd_fcrypt_ecb_decrypt(const struct rxd_fcrypt_key *k, uint8_t *out, const uint8_t *in, size_t len);

/** PCBC over len bytes (a multiple of 8); iv is updated for chaining. Returns 0 or -EINVAL. */
int rxd_fcrypt_pcbc_encrypt(const struct rxd_fcrypt_key *k, uint8_t iv[RXD_FCRYPT_BLOCK], uint8_t *out,
			    const uint8_t *in, size_t len);
int rxd_fcrypt_pcbc_decrypt(const struct rxd_fcrypt_key *k, uint8_t iv[RXD_FCRYPT_BLOCK], uint8_t *out,
			    const uint8_t *in, size_t len);

/* One independent PCBC message for the multi-buffer entry points. */
struct rxd_fcrypt_job {
	const struct rxd_fcrypt_key *key;
	uint8_t iv[RXD_FCRYPT_BLOCK]; /* updated as by rxd_fcrypt_pcbc_* */
	const uint8_t *in;
	uint8_t *out; /* may equal in */
	size_t len;   /* multiple of 8 */
};

/**
 * PCBC-encrypt (decrypt) n independent messages, interleaving up to
 * RXD_FCRYPT_MB_LANES of them at a time.  Keys may differ per job.
 * Returns 0, or -EINVAL (nothing processed) if a length is not whole blocks.
 */
int rxd_fcrypt_pcbc_encrypt_mb(struct rxd_fcrypt_job *jobs, unsigned n);
int rxd_fcrypt_pcbc_decrypt_mb(struct rxd_fcrypt_job *jobs, unsigned n);

#define RXD_FCRYPT_MB_LANES 4u

#endif
