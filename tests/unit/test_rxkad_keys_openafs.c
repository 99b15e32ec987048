/* SPDX-License-Identifier: MIT */
/*
 * rxd's rxkad-kdf and rxkad-k5 ticket opener against OpenAFS's own code
 * (Debian libopenafs-dev, /usr/lib/libafsrpc.a, src/rxkad/ticket5.c):
 * tkt_DeriveDesKey over random keys of every enctype, and tickets made by
 * tkt_MakeTicket5 (the kvno-213 enc-part form, under AES and 3DES service
 * keys, encrypted by OpenAFS's bundled RFC 3961 code) opened by
 * rxd_rxkad_open_ticket with libkrb5.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/rxkad_keys.h"

/*
 * OpenAFS's functions (src/rxkad/ticket5.c, ticket.c), declared here with
 * the same layout as src/auth/ktc.h's key rather than through OpenAFS's
 * headers, whose RXKAD* macros clash with rxd/wire.h's.
 */
struct ktc_encryptionKey {
	char data[8];
};
extern int tkt_DeriveDesKey(int enctype, void *keydata, size_t keylen, struct ktc_encryptionKey *output);
extern int tkt_MakeTicket5(char *ticket, int *ticketLen, int enctype, int *kvno, void *key, size_t keylen, char *name,
			   char *inst, char *cell, uint32_t start, uint32_t end, struct ktc_encryptionKey *sessionKey,
			   char *sname, char *sinst);
extern int tkt_MakeTicket(char *ticket, int *ticketLen, struct ktc_encryptionKey *key, char *name, char *inst,
			  char *cell, uint32_t start, uint32_t end, struct ktc_encryptionKey *sessionKey, uint32_t host,
			  char *sname, char *sinst);

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint8_t rnd8(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint8_t)rng;
}

Test(rxkad_keys_openafs, kdf_agrees_with_tkt_DeriveDesKey)
{
	/* enctype, key length: DES, 3DES, AES-SHA1, AES-SHA2, RC4, Camellia, and refused ones */
	static const struct {
		int e;
		size_t len;
	} cases[] = {{1, 8},   {3, 8}, {16, 24}, {17, 16}, {18, 32}, {19, 16}, {20, 32}, {23, 16},  {25, 16},
		     {26, 32}, {1, 7}, {16, 20}, {18, 6},  {4, 16},  {12, 16}, {0, 16},	 {-128, 16}};
	unsigned agreed = 0;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (unsigned n = 0; n < 50; n++) {
			uint8_t key[32], mine[8], k2[32];
			struct ktc_encryptionKey theirs;
			int rc_mine, rc_theirs;

			for (size_t i = 0; i < cases[c].len; i++)
				key[i] = rnd8();
			memcpy(k2, key, sizeof(k2)); /* OpenAFS folds 3DES keys in place */
			rc_mine = rxd_rxkad_derive_des_key(cases[c].e, key, cases[c].len, mine);
			rc_theirs = tkt_DeriveDesKey(cases[c].e, k2, cases[c].len, &theirs);
			cr_assert_eq(rc_mine == 0, rc_theirs == 0, "enctype %d len %zu: rxd %d, OpenAFS %d", cases[c].e,
				     cases[c].len, rc_mine, rc_theirs);
			if (rc_mine == 0) {
				cr_assert_arr_eq(mine, theirs.data, 8, "enctype %d len %zu", cases[c].e, cases[c].len);
				agreed++;
			}
		}
	}
	cr_assert_eq(agreed, 10 * 50);
}

static void make_and_open(int enctype, size_t keylen, const char *inst)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k;
	struct ktc_encryptionKey session;
	struct rxd_rxkad_ticket t;
	char tkt[2048];
	int len = sizeof(tkt), kvno = 5, rc;
	int32_t abort;
	uint32_t start = 1700000000u, end = start + 36000u;

	memset(&k, 0, sizeof(k));
	k.service_id = 1;
	k.security_index = 2;
	k.kvno = 5;
	k.enctype = enctype;
	k.len = (uint32_t)keylen;
	for (size_t i = 0; i < keylen; i++) {
		k.key[i] = rnd8();
		/* 3DES keys have odd parity (RFC 3961 random-to-key); libkrb5 refuses others */
		if (enctype == 16 && !(__builtin_popcount(k.key[i]) & 1))
			k.key[i] ^= 1;
	}
	for (int i = 0; i < 8; i++)
		session.data[i] = (char)rnd8();
	rc = tkt_MakeTicket5(tkt, &len, enctype, &kvno, k.key, keylen, "alice", (char *)inst, "EXAMPLE.ORG", start, end,
			     &session, "afs", "example.org");
	cr_assert_eq(rc, 0, "tkt_MakeTicket5 enctype %d: %d", enctype, rc);
	cr_assert_eq(kvno, RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY);

	/* before the key is there: UNKNOWNKEY */
	rc = rxd_rxkad_open_ticket(kr, 1, 2, (uint32_t)kvno, (uint8_t *)tkt, (size_t)len, start + 10, &t, &abort);
	cr_assert_eq(rc, -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_UNKNOWNKEY);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	rc = rxd_rxkad_open_ticket(kr, 1, 2, (uint32_t)kvno, (uint8_t *)tkt, (size_t)len, start + 10, &t, &abort);
	cr_assert_eq(rc, 0, "enctype %d: abort %s", enctype, rxd_rxkad_abort_name(abort));
	cr_assert_str_eq(t.name, "alice");
	cr_assert_str_eq(t.instance, inst);
	cr_assert_str_eq(t.cell, "EXAMPLE.ORG");
	cr_assert_eq(t.start, start);
	cr_assert_eq(t.end, end);
	cr_assert_arr_eq(t.session_key, session.data, 8); /* a DES session key is used as it is */
	/* a flipped ciphertext byte: BADTICKET */
	tkt[len - 3] ^= 0x40;
	rc = rxd_rxkad_open_ticket(kr, 1, 2, (uint32_t)kvno, (uint8_t *)tkt, (size_t)len, start + 10, &t, &abort);
	cr_assert_eq(rc, -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	rxd_rxkad_keyring_free(kr);
}

Test(rxkad_keys_openafs, tkt_MakeTicket5_aes256_ticket_opens)
{
	make_and_open(18, 32, "");
}

Test(rxkad_keys_openafs, tkt_MakeTicket5_aes128_ticket_with_instance_opens)
{
	make_and_open(17, 16, "admin");
}

Test(rxkad_keys_openafs, tkt_MakeTicket5_des3_ticket_opens)
{
	make_and_open(16, 24, "");
}

/* The fuzz seeds tests/fuzz/seeds/rxkad_ticket/openafs_k4_ticket_* are OpenAFS's bytes, and open. */
Test(rxkad_keys_openafs, fuzz_seed_k4_tickets_are_tkt_MakeTicket_output)
{
	static const struct {
		const char *file, *name, *inst, *cell;
	} seeds[] = {{"openafs_k4_ticket_alice", "alice", "", "EXAMPLE.ORG"},
		     {"openafs_k4_ticket_bob_admin", "bob", "admin", "example.org"}};
	struct ktc_encryptionKey k = {{0x4a, 0x6b, 0x1c, 0x3d, 0x5e, 0x7f, 0x08, 0x29}};
	struct ktc_encryptionKey s = {{0x13, 0x57, 0x9b, 0xdf, 0x02, 0x46, 0x8a, 0xce}};

	for (size_t i = 0; i < 2; i++) {
		char path[512], tkt[400], seed[512];
		int len = sizeof(tkt);
		size_t n;
		FILE *f;
		struct rxd_rxkad_ticket t;
		int32_t abort;

		cr_assert_eq(tkt_MakeTicket(tkt, &len, &k, (char *)seeds[i].name, (char *)seeds[i].inst,
					    (char *)seeds[i].cell, 1700000000u, 1700000000u + 36000u, &s, 0xc0a80001u,
					    "afs", ""),
			     0);
		snprintf(path, sizeof(path), "%s/../fuzz/seeds/rxkad_ticket/%s", RXD_TEST_DATA_DIR, seeds[i].file);
		f = fopen(path, "rb");
		cr_assert_not_null(f, "%s", path);
		n = fread(seed, 1, sizeof(seed), f);
		fclose(f);
		/* mode 0, kvno 1, now (4 bytes), then the ticket */
		cr_assert_eq(n, 6 + (size_t)len, "%s", path);
		/* tkt_MakeTicket leaves its zero padding uninitialised: the last block varies from run to run */
		cr_assert_arr_eq(seed + 6, tkt, (size_t)len - 8, "%s differs from tkt_MakeTicket's output", path);
		cr_assert_eq(rxd_rxkad_ticket_decode((uint8_t *)seed + 6, (size_t)len, (uint8_t *)k.data, &t, &abort),
			     0);
		cr_assert_str_eq(t.name, seeds[i].name);
		cr_assert_str_eq(t.instance, seeds[i].inst);
		cr_assert_eq(t.host, 0xc0a80001u);
		cr_assert_eq(t.end, 1700000000u + 36000u);
	}
}
