/* SPDX-License-Identifier: MIT */
/*
 * rxkad keys and tickets (lib/security/rxkad_keys.c, rxkad_k5.c): the
 * rxkad-kdf against vectors computed independently with Python's hmac
 * (tests/unit/rxkad_kdf_vectors.py), the keyring and its reclamation rule
 * (including a reader thread racing a writer), the ticket opener's codes,
 * KeyFile / KeyFileExt parsing with every malformation, and keytabs written
 * with libkrb5.  OpenAFS-made tickets and files: test_rxkad_keys_openafs.c
 * and tests/krb5/; a real KDC: tests/krb5/kdc_rxkad_k5.sh.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <krb5/krb5.h>

#include "security/rxkad_keys.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		cr_assert_eq(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* ---- rxkad-kdf ---- */

Test(rxkad_kdf, matches_python_hmac_md5_vectors)
{
	/* tests/unit/rxkad_kdf_vectors.py: HMAC-MD5(key, i || "rxkad\0" || be32(64)), odd parity */
	static const struct {
		int32_t enctype;
		const char *key, *des;
	} v[] = {
	    {RXD_RXKAD_ENCTYPE_AES256_CTS_HMAC_SHA1_96,
	     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "b60db5e30b266b16"},
	    {RXD_RXKAD_ENCTYPE_AES128_CTS_HMAC_SHA1_96, "00112233445566778899aabbccddeeff", "ae6db5310b8cd5e6"},
	    /* any enctype >= 17 takes the same path; 7 bytes ("1234567") is the minimum */
	    {26, "31323334353637", "862040076e40e3c7"},
	    /* 3DES: parity bytes folded away (24 -> 21 bytes) before the HMAC */
	    {RXD_RXKAD_ENCTYPE_DES3_CBC_SHA1, "0123456789abcdeffedcba987654321089abcdef01234567", "07c8862c403702d0"},
	    {RXD_RXKAD_ENCTYPE_DES3_CBC_MD5, "0123456789abcdeffedcba987654321089abcdef01234567", "07c8862c403702d0"},
	};
	uint8_t key[32], out[8], want[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t len = strlen(v[i].key) / 2;

		hex(v[i].key, key, len);
		hex(v[i].des, want, 8);
		cr_assert_eq(rxd_rxkad_derive_des_key(v[i].enctype, key, len, out), 0, "vector %zu", i);
		cr_assert_arr_eq(out, want, 8, "vector %zu", i);
	}
}

Test(rxkad_kdf, des_enctypes_pass_through_and_bad_input_is_refused)
{
	const uint8_t k8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t k64[64] = {0}, out[8];

	for (int e = 1; e <= 3; e++) {
		cr_assert_eq(rxd_rxkad_derive_des_key(e, k8, 8, out), 0);
		cr_assert_arr_eq(out, k8, 8);
		cr_assert_eq(rxd_rxkad_derive_des_key(e, k8, 7, out), -EINVAL);
	}
	const int reserved[] = {0, 4, 6, 8, 9, 10, 11, 12, 13, 14, 15, -1, -135};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		cr_assert_eq(rxd_rxkad_derive_des_key(reserved[i], k64, 32, out), -EINVAL, "enctype %d", reserved[i]);
	cr_assert_eq(rxd_rxkad_derive_des_key(18, k64, 6, out), -EINVAL);
	cr_assert_eq(rxd_rxkad_derive_des_key(16, k64, 20, out), -EINVAL); /* 3DES not whole blocks */
	cr_assert_eq(rxd_rxkad_derive_des_key(18, k64, 64, out), 0);
}

Test(rxkad_kdf, weak_and_semi_weak_keys_are_recognised_with_any_parity)
{
	const char *weak[] = {"0101010101010101", "fefefefefefefefe", "1f1f1f1f0e0e0e0e", "e0e0e0e0f1f1f1f1",
			      "01fe01fe01fe01fe", "fe01fe01fe01fe01", "1fe01fe00ef10ef1", "e01fe01ff10ef10e",
			      "01e001e001f101f1", "e001e001f101f101", "1ffe1ffe0efe0efe", "fe1ffe1ffe0efe0e",
			      "011f011f010e010e", "1f011f010e010e01", "e0fee0fef1fef1fe", "fee0fee0fef1fef1"};
	uint8_t k[8];

	for (size_t i = 0; i < 16; i++) {
		hex(weak[i], k, 8);
		cr_assert(rxd_rxkad_des_is_weak(k), "%s", weak[i]);
		for (int j = 0; j < 8; j++)
			k[j] ^= 1; /* parity bits do not matter */
		cr_assert(rxd_rxkad_des_is_weak(k), "%s with even parity", weak[i]);
	}
	hex("0123456789abcdef", k, 8);
	cr_assert_not(rxd_rxkad_des_is_weak(k));
	hex("0101010101010100", k, 8);
	cr_assert(rxd_rxkad_des_is_weak(k)); /* differs only in a parity bit */
	hex("0101010101010103", k, 8);
	cr_assert_not(rxd_rxkad_des_is_weak(k));
}

/* ---- keyring ---- */

static struct rxd_rxkad_service_key mk(uint16_t svc, uint32_t kvno, int32_t enctype, uint8_t fill, uint32_t len)
{
	struct rxd_rxkad_service_key k;

	memset(&k, 0, sizeof(k));
	k.service_id = svc;
	k.security_index = 2;
	k.kvno = kvno;
	k.enctype = enctype;
	k.len = len;
	memset(k.key, fill, len);
	return k;
}

Test(keyring, add_lookup_replace_remove)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k = mk(1, 5, 0, 0xa1, 8), got;

	cr_assert_not_null(kr);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 0, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 0, &got), 0);
	cr_assert_arr_eq(got.key, k.key, 8);
	/* other index, kvno, enctype or service: not found */
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 3, 5, 0, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 6, 0, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 18, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 7, 2, 5, 0, &got), -ENOENT);
	/* same identity replaces */
	k.key[0] = 0xb2;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 1);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 0, &got), 0);
	cr_assert_eq(got.key[0], 0xb2);
	/* an aes key of the same kvno is another key */
	k = mk(1, 5, 18, 0xc3, 32);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 2);
	/* remove one enctype, then all of a kvno */
	cr_assert_eq(rxd_rxkad_keyring_remove(kr, 1, 2, 5, 18), 0);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 18, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 5, 0, &got), 0);
	cr_assert_eq(rxd_rxkad_keyring_remove(kr, 1, 2, 5, 18), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_remove(kr, 1, 2, 5, -1), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 0);
	rxd_rxkad_keyring_free(kr);
}

Test(keyring, exact_service_wins_over_any_service)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key a = mk(RXD_RXKAD_ANY_SERVICE, 3, 0, 0x11, 8), s = mk(52, 3, 0, 0x22, 8), got;

	cr_assert_eq(rxd_rxkad_keyring_add(kr, &s), 0);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &a), 0);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 52, 2, 3, 0, &got), 0);
	cr_assert_eq(got.key[0], 0x22);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 3, 0, &got), 0);
	cr_assert_eq(got.key[0], 0x11);
	rxd_rxkad_keyring_free(kr);
}

/* A server's own -localauth key: the highest kvno of the DES keys for every service; aes keys and
 * keys of one service do not count. */
Test(keyring, newest_des_key_for_localauth)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k3 = mk(RXD_RXKAD_ANY_SERVICE, 3, 0, 0x33, 8),
				     k7 = mk(RXD_RXKAD_ANY_SERVICE, 7, 0, 0x77, 8),
				     aes = mk(RXD_RXKAD_ANY_SERVICE, 9, 18, 0x99, 32), one = mk(52, 8, 0, 0x88, 8);
	struct rxd_rxkad_des_key out;

	cr_assert_eq(rxd_rxkad_keyring_newest_des(kr, &out), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &aes), 0);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &one), 0);
	cr_assert_eq(rxd_rxkad_keyring_newest_des(kr, &out), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k7), 0);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k3), 0);
	cr_assert_eq(rxd_rxkad_keyring_newest_des(kr, &out), 0);
	cr_assert_eq(out.kvno, 7);
	cr_assert_eq(out.key[0], 0x77);
	rxd_rxkad_keyring_free(kr);
}

/* A reload: the served ring takes a freshly loaded ring's keys whole, old kvnos gone. */
Test(keyring, take_replaces_every_key)
{
	struct rxd_rxkad_keyring *live = rxd_rxkad_keyring_new(), *fresh = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k3 = mk(RXD_RXKAD_ANY_SERVICE, 3, 0, 0x33, 8),
				     k4 = mk(RXD_RXKAD_ANY_SERVICE, 4, 0, 0x44, 8), got;

	cr_assert_eq(rxd_rxkad_keyring_add(live, &k3), 0);
	cr_assert_eq(rxd_rxkad_keyring_add(fresh, &k4), 0);
	cr_assert_eq(rxd_rxkad_keyring_take(live, fresh), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(live), 1);
	cr_assert_eq(rxd_rxkad_keyring_lookup(live, 1, 2, 3, 0, &got), -ENOENT);
	cr_assert_eq(rxd_rxkad_keyring_lookup(live, 1, 2, 4, 0, &got), 0);
	cr_assert_eq(got.key[0], 0x44);
	cr_assert_eq(rxd_rxkad_keyring_count(fresh), 1, "the source is left as it was");
	rxd_rxkad_keyring_free(fresh);
	rxd_rxkad_keyring_free(live);
}

Test(keyring, invalid_keys_and_limits_are_refused)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k = mk(1, 1, 0, 1, 7);
	struct rxd_rxkad_service_key many[3];

	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), -EINVAL); /* DES key of 7 bytes */
	k = mk(1, 1, -5, 1, 16);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), -EINVAL);
	k = mk(1, 1, 18, 1, 0);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), -EINVAL);
	k = mk(1, 1, 18, 1, 32);
	k.len = RXD_RXKAD_KEY_MAX + 1;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), -EINVAL);
	/* add_all is all or nothing */
	many[0] = mk(1, 1, 0, 1, 8);
	many[1] = mk(1, 2, 0, 2, 8);
	many[2] = mk(1, 3, 0, 3, 5);
	cr_assert_eq(rxd_rxkad_keyring_add_all(kr, many, 3), -EINVAL);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 0);
	cr_assert_eq(rxd_rxkad_keyring_add_all(kr, many, 2), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 2);
	/* replace drops what is not in the new set */
	cr_assert_eq(rxd_rxkad_keyring_replace(kr, many + 1, 1), 0);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 1);
	for (uint32_t i = 0; i < RXD_RXKAD_KEYRING_MAX_KEYS; i++) {
		k = mk(1, i, 18, (uint8_t)i, 16);
		cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), i + 1 < RXD_RXKAD_KEYRING_MAX_KEYS ? 0 : -ENOSPC, "%u", i);
	}
	rxd_rxkad_keyring_free(kr);
}

Test(keyring, retired_snapshots_wait_for_every_online_reader)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k = mk(1, 1, 0, 1, 8);
	unsigned r1, r2;

	/* no readers: freed at once */
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 0);
	cr_assert_eq(rxd_rxkad_keyring_reader_register(kr, &r1), 0);
	cr_assert_eq(rxd_rxkad_keyring_reader_register(kr, &r2), 0);
	cr_assert_neq(r1, r2);
	k.kvno = 2;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	k.kvno = 3;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 2); /* neither reader has passed a quiescent point */
	rxd_rxkad_keyring_quiescent(kr, r1);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 2); /* r2 may still hold them */
	rxd_rxkad_keyring_reader_offline(kr, r2);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 0);
	/* r2 back online: holds back only what is retired after it came back */
	rxd_rxkad_keyring_quiescent(kr, r2);
	k.kvno = 4;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	rxd_rxkad_keyring_quiescent(kr, r1);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 1);
	rxd_rxkad_keyring_quiescent(kr, r2);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(kr), 0);
	rxd_rxkad_keyring_free(kr); /* frees the rest; LeakSanitizer checks in the ASan build */
}

struct race {
	struct rxd_rxkad_keyring *kr;
	atomic_bool stop;
	atomic_ulong lookups, bad;
};

/* A reader lcore: look up the latest kvno, check the bytes are that kvno's, report quiescence. */
static void *reader(void *arg)
{
	struct race *r = arg;
	struct rxd_rxkad_service_key got;
	unsigned id;

	if (rxd_rxkad_keyring_reader_register(r->kr, &id))
		return NULL;
	while (!atomic_load(&r->stop)) {
		for (uint32_t kvno = 0; kvno < 8; kvno++) {
			if (rxd_rxkad_keyring_lookup(r->kr, 1, 2, kvno, 18, &got) == 0) {
				for (unsigned i = 0; i < got.len; i++)
					if (got.key[i] != (uint8_t)(kvno * 16 + got.len))
						atomic_fetch_add(&r->bad, 1);
			}
			atomic_fetch_add(&r->lookups, 1);
		}
		rxd_rxkad_keyring_quiescent(r->kr, id);
	}
	rxd_rxkad_keyring_reader_offline(r->kr, id);
	return NULL;
}

Test(keyring, lookups_race_updates_safely)
{
	struct race r = {.kr = rxd_rxkad_keyring_new()};
	pthread_t th[2];

	cr_assert_eq(pthread_create(&th[0], NULL, reader, &r), 0);
	cr_assert_eq(pthread_create(&th[1], NULL, reader, &r), 0);
	/* let both readers start (at most 5 s), then 20000 updates and stop */
	for (unsigned i = 0; i < 500 && atomic_load(&r.lookups) < 1000; i++)
		usleep(10000);
	for (unsigned i = 0; i < 20000; i++) {
		uint32_t kvno = i % 8, len = 16 + 16 * (i % 2);
		struct rxd_rxkad_service_key k = mk(1, kvno, 18, (uint8_t)(kvno * 16 + len), len);

		if (i % 3 == 2)
			rxd_rxkad_keyring_remove(r.kr, 1, 2, kvno, 18);
		else
			cr_assert_eq(rxd_rxkad_keyring_add(r.kr, &k), 0);
	}
	atomic_store(&r.stop, true);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	cr_assert_eq(atomic_load(&r.bad), 0);
	cr_assert_gt(atomic_load(&r.lookups), 0);
	cr_assert_eq(rxd_rxkad_keyring_reclaim(r.kr), 0); /* both readers offline */
	rxd_rxkad_keyring_free(r.kr);
}

/* ---- ticket opener ---- */

static const uint8_t server_key[8] = {0x4a, 0x6b, 0x1c, 0x3d, 0x5e, 0x7f, 0x08, 0x29};

static size_t k4_ticket(uint8_t *out, const uint8_t key[8], uint32_t start, uint32_t end)
{
	struct rxd_rxkad_ticket t;
	size_t len;

	memset(&t, 0, sizeof(t));
	strcpy(t.name, "alice");
	strcpy(t.cell, "example.org");
	strcpy(t.sname, "afs");
	t.start = start;
	t.end = end;
	memset(t.session_key, 0x5d, 8);
	cr_assert_eq(rxd_rxkad_ticket_encode(out, 256, &len, key, &t), 0);
	return len;
}

Test(open_ticket, kerberos4_ticket_opens_with_the_key_of_its_kvno)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k = mk(1, 7, 0, 0, 8);
	struct rxd_rxkad_key_scope sc = {kr, 1, 2};
	struct rxd_rxkad_ticket t;
	uint8_t tkt[256];
	uint32_t now = 1700000000u;
	size_t len = k4_ticket(tkt, server_key, now - 60, now + 3600);
	int32_t abort;

	memcpy(k.key, server_key, 8);
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 7, tkt, len, now, &t, &abort), 0);
	cr_assert_str_eq(t.name, "alice");
	cr_assert_str_eq(t.cell, "example.org");
	cr_assert_eq(t.session_key[0], 0x5d);
	/* no key of that kvno, another service, or a kvno above 255 */
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 8, tkt, len, now, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_UNKNOWNKEY);
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 9, 2, 7, tkt, len, now, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_UNKNOWNKEY);
	k.kvno = 300;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 300, tkt, len, now, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_UNKNOWNKEY);
	/* times: expired, not yet valid */
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 7, tkt, len, now + 7200, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_EXPIRED);
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 7, tkt, len, now - 3600, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_NOAUTH);
	/* a key of the kvno that is not the one the ticket was made with */
	k.kvno = 7;
	k.key[0] ^= 0x10;
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(&sc, 7, tkt, len, now, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	cr_assert_eq(rxd_rxkad_keyring_open_ticket(NULL, 7, tkt, len, now, &t, &abort), -EINVAL);
	rxd_rxkad_keyring_free(kr);
}

/* A DER Ticket {5, "R", afs/c, EncryptedData {etype, kvno, cipher}} built by hand. */
static size_t der_ticket(uint8_t *b, int32_t etype, uint8_t kvno, const uint8_t *cipher, uint8_t clen)
{
	uint8_t enc[200], *p = enc;
	size_t n, i = 0;

	*p++ = 0x30;
	*p++ = (uint8_t)(14 + clen);
	*p++ = 0xa0, *p++ = 3, *p++ = 0x02, *p++ = 1, *p++ = (uint8_t)etype;
	*p++ = 0xa1, *p++ = 3, *p++ = 0x02, *p++ = 1, *p++ = kvno;
	*p++ = 0xa2, *p++ = (uint8_t)(clen + 2), *p++ = 0x04, *p++ = clen;
	memcpy(p, cipher, clen);
	p += clen;
	n = (size_t)(p - enc);
	static const uint8_t head[] = {0xa0, 3,	   0x02, 1,    5,    0xa1, 3,	 0x1b, 1,  'R',
				       0xa2, 0x11, 0x30, 0x0f, 0xa0, 3,	   0x02, 1,    1,  0xa1,
				       0x08, 0x30, 0x06, 0x1b, 1,    'a',  0x1b, 1,    'c'};
	size_t seq = sizeof(head) + 2 + n;
	b[i++] = 0x61;
	b[i++] = (uint8_t)(seq + 2);
	b[i++] = 0x30;
	b[i++] = (uint8_t)seq;
	memcpy(b + i, head, sizeof(head));
	i += sizeof(head);
	b[i++] = 0xa3;
	b[i++] = (uint8_t)n;
	memcpy(b + i, enc, n);
	return i + n;
}

Test(open_ticket, k5_ticket_codes_for_garbage_unknown_key_and_bad_ciphertext)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key k = mk(1, 4, 18, 0x33, 32);
	struct rxd_rxkad_ticket t;
	uint8_t cipher[64], tkt[256];
	int32_t abort;
	size_t len;

	memset(cipher, 0xee, sizeof(cipher));
	len = der_ticket(tkt, 18, 4, cipher, sizeof(cipher));
	/* no key of kvno 4 / aes256 */
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 256, tkt, len, 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_UNKNOWNKEY);
	/* the key exists but the ciphertext fails its integrity check */
	cr_assert_eq(rxd_rxkad_keyring_add(kr, &k), 0);
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 256, tkt, len, 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	/* the same EncryptedData alone as kvno 213 */
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 213, tkt + 35, len - 35, 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	/* garbage, empty, oversized */
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 256, cipher, sizeof(cipher), 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 213, cipher, 0, 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_BADTICKET);
	cr_assert_eq(rxd_rxkad_open_ticket(kr, 1, 2, 256, cipher, RXD_RXKAD_TICKET_MAX + 1, 0, &t, &abort), -EPROTO);
	cr_assert_eq(abort, RXD_RXKAD_TICKETLEN);
	rxd_rxkad_keyring_free(kr);
}

/* ---- KeyFile / KeyFileExt ---- */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

Test(keyfile, parses_count_kvno_and_keys_and_refuses_malformed_files)
{
	uint8_t b[4 + 3 * 12];
	struct rxd_rxkad_service_key keys[8];
	char err[128];
	size_t n;

	be32(b, 3);
	for (unsigned i = 0; i < 3; i++) {
		be32(b + 4 + 12 * i, 10 + i);
		memset(b + 8 + 12 * i, 0x40 + i, 8);
	}
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, sizeof(b), keys, 8, &n, 1, 2, err, sizeof(err)), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(keys[2].kvno, 12);
	cr_assert_eq(keys[2].enctype, RXD_RXKAD_ENCTYPE_RXKAD_DES);
	cr_assert_eq(keys[2].key[7], 0x42);
	cr_assert_eq(keys[1].service_id, 1);
	/* truncated, too long, count too large, empty, kvno out of range */
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, sizeof(b) - 1, keys, 8, &n, 1, 2, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "length does not match"), "%s", err);
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, 3, keys, 8, &n, 1, 2, err, sizeof(err)), -EINVAL);
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, sizeof(b), keys, 2, &n, 1, 2, err, sizeof(err)), -EINVAL);
	be32(b, 0xffffffffu);
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, sizeof(b), keys, 8, &n, 1, 2, err, sizeof(err)), -EINVAL);
	be32(b, 3);
	be32(b + 4, 256);
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, sizeof(b), keys, 8, &n, 1, 2, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "kvno"), "%s", err);
	be32(b, 0);
	cr_assert_eq(rxd_rxkad_parse_keyfile(b, 4, keys, 8, &n, 1, 2, err, sizeof(err)), 0);
	cr_assert_eq(n, 0);
}

/* One KeyFileExt record at p; returns its size. meta >= 16. */
static size_t ext_rec(uint8_t *p, uint32_t meta, uint32_t type, uint32_t kvno, uint32_t sub, uint32_t klen,
		      uint8_t fill)
{
	be32(p, meta);
	be32(p + 4, type);
	be32(p + 8, kvno);
	be32(p + 12, sub);
	memset(p + 16, 0x77, meta - 16);
	be32(p + meta, klen);
	memset(p + meta + 4, fill, klen);
	return meta + 4 + klen;
}

Test(keyfile_ext, parses_typed_records_skips_rxgk_and_extra_meta)
{
	uint8_t b[512];
	struct rxd_rxkad_service_key keys[8];
	char err[128];
	size_t n, len = 4;

	len += ext_rec(b + len, 16, 0, 3, 0, 8, 0x11);	 /* rxkad DES */
	len += ext_rec(b + len, 20, 2, 4, 18, 32, 0x22); /* rxkad_krb5 aes256, a 4-byte future meta field */
	len += ext_rec(b + len, 16, 1, 5, 18, 32, 0x33); /* rxgk: skipped */
	len += ext_rec(b + len, 16, 2, 4, 17, 16, 0x44); /* aes128 */
	be32(b, 4);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 3);
	cr_assert_eq(keys[0].enctype, 0);
	cr_assert_eq(keys[0].kvno, 3);
	cr_assert_eq(keys[1].enctype, 18);
	cr_assert_eq(keys[1].len, 32);
	cr_assert_eq(keys[1].key[31], 0x22);
	cr_assert_eq(keys[2].enctype, 17);
	cr_assert_eq(keys[2].key[0], 0x44);

	/* every truncation fails cleanly */
	for (size_t cut = 0; cut < len; cut++)
		cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, cut, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL,
			     "cut %zu", cut);
	/* trailing bytes, meta < 16, unknown type, DES key of 7 bytes, subtype < 0 */
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len + 1, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	len = 4 + ext_rec(b + 4, 16, 0, 3, 0, 8, 1);
	be32(b, 1);
	be32(b + 4, 12);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	ext_rec(b + 4, 16, 9, 3, 0, 8, 1);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown key type"), "%s", err);
	len = 4 + ext_rec(b + 4, 16, 0, 3, 0, 7, 1);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	len = 4 + ext_rec(b + 4, 16, 2, 3, 0x80000000u, 16, 1);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	/* an rxkad_krb5 key of enctype 0 (found by fuzz_rxkad_ticket: the ring refused it) */
	len = 4 + ext_rec(b + 4, 16, 2, 3, 0, 16, 1);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	/* a key length running past the end */
	len = 4 + ext_rec(b + 4, 16, 2, 3, 18, 16, 1);
	be32(b + 4 + 16, 0x7fffffffu);
	cr_assert_eq(rxd_rxkad_parse_keyfile_ext(b, len, keys, 8, &n, 0, 2, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "past the end"), "%s", err);
}

Test(keyfile, file_loaders_report_missing_and_bad_files_and_load_good_ones)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	char dir[] = "/tmp/rxd-keyfile.XXXXXX", path[64], err[256] = "";
	struct rxd_rxkad_service_key got;
	uint8_t b[16];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/KeyFile", dir);
	cr_assert_eq(rxd_rxkad_load_keyfile(kr, path, 1, 2, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, path), "%s", err);
	be32(b, 1);
	be32(b + 4, 9);
	memset(b + 8, 0x9a, 8);
	f = fopen(path, "wb");
	fwrite(b, 1, 15, f); /* one byte short */
	fclose(f);
	cr_assert_eq(rxd_rxkad_load_keyfile(kr, path, 1, 2, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "KeyFile: length"), "%s", err);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 0);
	f = fopen(path, "wb");
	fwrite(b, 1, 16, f);
	fclose(f);
	cr_assert_eq(rxd_rxkad_load_keyfile(kr, path, 1, 2, err, sizeof(err)), 0);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 9, 0, &got), 0);
	cr_assert_eq(got.key[3], 0x9a);
	/* a directory is not a key file */
	cr_assert_eq(rxd_rxkad_load_keyfile_ext(kr, dir, 1, 2, err, sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
	rxd_rxkad_keyring_free(kr);
}

/* ---- keytab ---- */

static void kt_add(krb5_context ctx, krb5_keytab kt, const char *princ, krb5_kvno vno, krb5_enctype e, uint8_t fill,
		   unsigned len)
{
	krb5_keytab_entry ent;
	uint8_t key[32];

	memset(&ent, 0, sizeof(ent));
	memset(key, fill, sizeof(key));
	cr_assert_eq(krb5_parse_name(ctx, princ, &ent.principal), 0);
	ent.vno = vno;
	ent.key.enctype = e;
	ent.key.length = len;
	ent.key.contents = key;
	cr_assert_eq(krb5_kt_add_entry(ctx, kt, &ent), 0);
	krb5_free_principal(ctx, ent.principal);
}

Test(keytab, loads_afs_cell_entries_else_afs_realm_entries)
{
	char dir[] = "/tmp/rxd-keytab.XXXXXX", name[96], path[80], err[256] = "";
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key got;
	krb5_context ctx;
	krb5_keytab kt;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/afs.keytab", dir);
	snprintf(name, sizeof(name), "FILE:%s", path);
	cr_assert_eq(krb5_init_context(&ctx), 0);
	cr_assert_eq(krb5_kt_resolve(ctx, name, &kt), 0);
	kt_add(ctx, kt, "afs/example.org@EXAMPLE.ORG", 3, 18, 0x18, 32);
	kt_add(ctx, kt, "afs/example.org@EXAMPLE.ORG", 3, 17, 0x17, 16);
	kt_add(ctx, kt, "afs/example.org@EXAMPLE.ORG", 4, 18, 0x28, 32);
	kt_add(ctx, kt, "afs@EXAMPLE.ORG", 9, 18, 0x99, 32);
	kt_add(ctx, kt, "host/x.example.org@EXAMPLE.ORG", 3, 18, 0x55, 32);
	krb5_kt_close(ctx, kt);

	cr_assert_eq(rxd_rxkad_load_keytab(kr, name, "example.org", "EXAMPLE.ORG", 1, 2, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 3);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 3, 17, &got), 0);
	cr_assert_eq(got.len, 16);
	cr_assert_eq(got.key[0], 0x17);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 4, 18, &got), 0);
	cr_assert_eq(got.key[0], 0x28);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 9, 18, &got), -ENOENT);
	/* a cell without keys there: afs@REALM */
	cr_assert_eq(rxd_rxkad_load_keytab(kr, name, "other.org", "EXAMPLE.ORG", 7, 2, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 7, 2, 9, 18, &got), 0);
	cr_assert_eq(got.key[0], 0x99);
	/* nothing for this realm; a missing keytab; an unparsable name */
	cr_assert_eq(rxd_rxkad_load_keytab(kr, name, "example.org", "OTHER.ORG", 1, 2, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "no key for afs/example.org@OTHER.ORG"), "%s", err);
	cr_assert_lt(rxd_rxkad_load_keytab(kr, "FILE:/nonexistent/rxd.keytab", "c", "R", 1, 2, err, sizeof(err)), 0);
	cr_assert_neq(err[0], 0);
	cr_assert_lt(rxd_rxkad_load_keytab(kr, "NOSUCHTYPE:x", "c", "R", 1, 2, err, sizeof(err)), 0);
	krb5_free_context(ctx);
	unlink(path);
	rmdir(dir);
	rxd_rxkad_keyring_free(kr);
}

/* ---- golden files written by OpenAFS's asetkey (tests/krb5/openafs_keyfiles.sh) ---- */

Test(keyfile, openafs_asetkey_files_load_into_one_ring)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	struct rxd_rxkad_service_key got;
	uint8_t want[32];
	char err[256] = "";

	cr_assert_eq(rxd_rxkad_load_keyfile(kr, RXD_TEST_DATA_DIR "/openafs_KeyFile", 1, 2, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(rxd_rxkad_load_keyfile_ext(kr, RXD_TEST_DATA_DIR "/openafs_KeyFileExt", 1, 2, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(rxd_rxkad_keyring_count(kr), 4);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 7, 0, &got), 0);
	hex("0123456789abcdef", want, 8);
	cr_assert_arr_eq(got.key, want, 8);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 9, 0, &got), 0);
	hex("fedcba9876543210", want, 8);
	cr_assert_arr_eq(got.key, want, 8);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 11, 18, &got), 0);
	cr_assert_eq(got.len, 32);
	hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", want, 32);
	cr_assert_arr_eq(got.key, want, 32);
	cr_assert_eq(rxd_rxkad_keyring_lookup(kr, 1, 2, 11, 17, &got), 0);
	hex("00112233445566778899aabbccddeeff", want, 16);
	cr_assert_arr_eq(got.key, want, 16);
	rxd_rxkad_keyring_free(kr);
}
