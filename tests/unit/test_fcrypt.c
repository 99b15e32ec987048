/* SPDX-License-Identifier: MIT */
/*
 * fcrypt against the published vectors and its own modes.
 * Vectors: Linux crypto/testmgr.h fcrypt_pcbc_tv_template (the first two
 * from openafs-devel, December 2000, the last two from Arla).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "security/fcrypt.h"

struct vec {
	uint8_t key[8], iv[8];
	const char *ptext;
	uint8_t ctext[48];
	size_t len;
};

static const struct vec vecs[] = {
    {{0}, {0}, "\0\0\0\0\0\0\0\0", {0x0E, 0x09, 0x00, 0xC7, 0x3E, 0xF7, 0xED, 0x41}, 8},
    {{0x11, 0x44, 0x77, 0xAA, 0xDD, 0x00, 0x33, 0x66},
     {0},
     "\x12\x34\x56\x78\x9A\xBC\xDE\xF0",
     {0xD8, 0xED, 0x78, 0x74, 0x77, 0xEC, 0x06, 0x80},
     8},
    {{0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87},
     {0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10},
     "The quick brown fox jumps over the lazy dogs.\0\0",
     {0x00, 0xf0, 0x0e, 0x11, 0x75, 0xe6, 0x23, 0x82, 0xee, 0xac, 0x98, 0x62, 0x44, 0x51, 0xe4, 0x84,
      0xc3, 0x59, 0xd8, 0xaa, 0x64, 0x60, 0xae, 0xf7, 0xd2, 0xd9, 0x13, 0x79, 0x72, 0xa3, 0x45, 0x03,
      0x23, 0xb5, 0x62, 0xd7, 0x0c, 0xf5, 0x27, 0xd1, 0xf8, 0x91, 0x3c, 0xac, 0x44, 0x22, 0x92, 0xef},
     48},
    {{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10},
     {0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87},
     "The quick brown fox jumps over the lazy dogs.\0\0",
     {0xca, 0x90, 0xf5, 0x9d, 0xcb, 0xd4, 0xd2, 0x3c, 0x01, 0x88, 0x7f, 0x3e, 0x31, 0x6e, 0x62, 0x9d,
      0xd8, 0xe0, 0x57, 0xa3, 0x06, 0x3a, 0x42, 0x58, 0x2a, 0x28, 0xfe, 0x72, 0x52, 0x2f, 0xdd, 0xe0,
      0x19, 0x89, 0x09, 0x1c, 0x2a, 0x8e, 0x8c, 0x94, 0xfc, 0xc7, 0x68, 0xe4, 0x88, 0xaa, 0xde, 0x0f},
     48},
};

Test(fcrypt, pcbc_matches_published_vectors)
{
	for (size_t v = 0; v < sizeof(vecs) / sizeof(vecs[0]); v++) {
		struct rxd_fcrypt_key k;
		uint8_t iv[8], out[48];

		rxd_fcrypt_setkey(&k, vecs[v].key);
		memcpy(iv, vecs[v].iv, 8);
		cr_assert_eq(rxd_fcrypt_pcbc_encrypt(&k, iv, out, (const uint8_t *)vecs[v].ptext, vecs[v].len), 0);
		cr_assert_arr_eq(out, vecs[v].ctext, vecs[v].len, "vector %zu encrypt", v);
		memcpy(iv, vecs[v].iv, 8);
		cr_assert_eq(rxd_fcrypt_pcbc_decrypt(&k, iv, out, vecs[v].ctext, vecs[v].len), 0);
		cr_assert_arr_eq(out, vecs[v].ptext, vecs[v].len, "vector %zu decrypt", v);
	}
}

Test(fcrypt, ecb_is_pcbc_of_one_block_with_zero_iv)
{
	struct rxd_fcrypt_key k;
	uint8_t out[8];

	rxd_fcrypt_setkey(&k, vecs[1].key);
	cr_assert_eq(rxd_fcrypt_ecb_encrypt(&k, out, (const uint8_t *)vecs[1].ptext, 8), 0);
	cr_assert_arr_eq(out, vecs[1].ctext, 8);
	cr_assert_eq(rxd_fcrypt_ecb_decrypt(&k, out, out, 8), 0);
	cr_assert_arr_eq(out, vecs[1].ptext, 8);
}

Test(fcrypt, key_parity_bits_are_ignored)
{
	struct rxd_fcrypt_key a, b;
	uint8_t key[8], flipped[8];

	for (int i = 0; i < 8; i++) {
		key[i] = (uint8_t)(0x35 * i + 0x11);
		flipped[i] = key[i] ^ 1;
	}
	rxd_fcrypt_setkey(&a, key);
	rxd_fcrypt_setkey(&b, flipped);
	cr_assert_arr_eq(&a, &b, sizeof(a));
	flipped[3] ^= 2; /* a real key bit */
	rxd_fcrypt_setkey(&b, flipped);
	cr_assert_arr_neq(&a, &b, sizeof(a));
}

Test(fcrypt, lengths_must_be_whole_blocks)
{
	struct rxd_fcrypt_key k;
	uint8_t iv[8] = {0}, buf[16] = {0};
	struct rxd_fcrypt_job j[2] = {{.key = &k, .in = buf, .out = buf, .len = 8},
				      {.key = &k, .in = buf, .out = buf, .len = 12}};

	rxd_fcrypt_setkey(&k, iv);
	cr_assert_eq(rxd_fcrypt_ecb_encrypt(&k, buf, buf, 7), -EINVAL);
	cr_assert_eq(rxd_fcrypt_ecb_decrypt(&k, buf, buf, 9), -EINVAL);
	cr_assert_eq(rxd_fcrypt_pcbc_encrypt(&k, iv, buf, buf, 15), -EINVAL);
	cr_assert_eq(rxd_fcrypt_pcbc_decrypt(&k, iv, buf, buf, 1), -EINVAL);
	cr_assert_eq(rxd_fcrypt_pcbc_encrypt_mb(j, 2), -EINVAL);
	cr_assert_eq(rxd_fcrypt_pcbc_decrypt_mb(j, 2), -EINVAL);
	/* nothing was touched by the rejected batch */
	for (int i = 0; i < 16; i++)
		cr_assert_eq(buf[i], 0);
	j[1].len = 16;
	j[1].key = NULL;
	cr_assert_eq(rxd_fcrypt_pcbc_encrypt_mb(j, 2), -EINVAL);
	cr_assert_eq(rxd_fcrypt_pcbc_encrypt(&k, iv, buf, buf, 0), 0);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 29 + (i >> 5));
}

Test(fcrypt, pcbc_chains_across_split_buffers_and_works_in_place)
{
	struct rxd_fcrypt_key k;
	uint8_t key[8], iv0[8], iv1[8], iv2[8], in[256], whole[256], split[256];

	fill(key, 8, 1);
	fill(iv0, 8, 2);
	fill(in, sizeof(in), 3);
	rxd_fcrypt_setkey(&k, key);
	memcpy(iv1, iv0, 8);
	memcpy(iv2, iv0, 8);
	rxd_fcrypt_pcbc_encrypt(&k, iv1, whole, in, sizeof(in));
	memcpy(split, in, sizeof(in));
	rxd_fcrypt_pcbc_encrypt(&k, iv2, split, split, 72);
	rxd_fcrypt_pcbc_encrypt(&k, iv2, split + 72, split + 72, sizeof(in) - 72);
	cr_assert_arr_eq(whole, split, sizeof(in));
	cr_assert_arr_eq(iv1, iv2, 8);
	memcpy(iv1, iv0, 8);
	rxd_fcrypt_pcbc_decrypt(&k, iv1, split, split, sizeof(in));
	cr_assert_arr_eq(split, in, sizeof(in));
}

Test(fcrypt, ecb_buffer_round_trips_for_every_block_count)
{
	struct rxd_fcrypt_key k;
	uint8_t key[8], in[8 * 41], out[8 * 41], one[8];

	fill(key, 8, 9);
	rxd_fcrypt_setkey(&k, key);
	for (size_t nb = 0; nb <= 41; nb++) {
		fill(in, sizeof(in), (unsigned)nb);
		cr_assert_eq(rxd_fcrypt_ecb_encrypt(&k, out, in, 8 * nb), 0);
		for (size_t b = 0; b < nb; b++) { /* lanes give the same as one block at a time */
			rxd_fcrypt_ecb_encrypt(&k, one, in + 8 * b, 8);
			cr_assert_arr_eq(one, out + 8 * b, 8, "nb %zu block %zu", nb, b);
		}
		rxd_fcrypt_ecb_decrypt(&k, out, out, 8 * nb);
		cr_assert_arr_eq(out, in, 8 * nb);
	}
}

Test(fcrypt, multibuffer_equals_one_stream_at_a_time)
{
	enum { NJ = 23, MAXL = 1416 };
	static uint8_t in[NJ][MAXL], out[NJ][MAXL], ref[NJ][MAXL];
	struct rxd_fcrypt_key keys[3];
	struct rxd_fcrypt_job jobs[NJ];
	uint8_t ivs[NJ][8];

	for (int i = 0; i < 3; i++) {
		uint8_t key[8];

		fill(key, 8, 40 + (unsigned)i);
		rxd_fcrypt_setkey(&keys[i], key);
	}
	for (int dec = 0; dec < 2; dec++) {
		for (int j = 0; j < NJ; j++) {
			/* lengths 0 .. MAXL, uneven so lanes finish and refill at different times */
			size_t len = (size_t)((j * 37 + dec * 11) % (MAXL / 8 + 1)) * 8;

			fill(in[j], MAXL, (unsigned)j);
			jobs[j] = (struct rxd_fcrypt_job){.key = &keys[j % 3], .in = in[j], .out = out[j], .len = len};
			fill(jobs[j].iv, 8, 100 + (unsigned)j);
			memcpy(ivs[j], jobs[j].iv, 8);
			if (dec)
				rxd_fcrypt_pcbc_decrypt(&keys[j % 3], ivs[j], ref[j], in[j], len);
			else
				rxd_fcrypt_pcbc_encrypt(&keys[j % 3], ivs[j], ref[j], in[j], len);
		}
		cr_assert_eq(dec ? rxd_fcrypt_pcbc_decrypt_mb(jobs, NJ) : rxd_fcrypt_pcbc_encrypt_mb(jobs, NJ), 0);
		for (int j = 0; j < NJ; j++) {
			cr_assert_arr_eq(out[j], ref[j], jobs[j].len, "job %d dec %d", j, dec);
			cr_assert_arr_eq(jobs[j].iv, ivs[j], 8, "job %d iv", j);
		}
	}
	cr_assert_eq(rxd_fcrypt_pcbc_encrypt_mb(jobs, 0), 0);
}
