/* SPDX-License-Identifier: MIT */
/*
 * rxkad-k5 ticket opening (rxd_rxkad_open_ticket, kvno 256 and 213, with
 * libkrb5 and the rxkad-kdf).  Input: mode(1) then bytes.
 *   mode 0: a DER Ticket (kvno 256); mode 1: an EncryptedData (kvno 213);
 *   mode 2: an EncTicketPart plaintext that is encrypted here with the
 *           ring's AES-256 key (kvno 3, key usage 2, krb5_c_encrypt) and
 *           wrapped as an EncryptedData, so the fuzzer reaches the client
 *           name mapping, the session key derivation and the time checks.
 * The first 4 bytes after the mode are "now".  Invariants: every refusal is
 * a known RXKAD code; an accepted ticket has terminated strings, a name
 * without '.', and a session key that is not a weak DES key unless the
 * ticket's session key was a DES key.
 */
#include <errno.h>
#include <string.h>

#include <krb5/krb5.h>

#include "fuzz.h"
#include "security/rxkad_keys.h"

static const uint8_t aes_key[32] = {0x21, 0x43, 0x65, 0x87, 0xa9, 0xcb, 0xed, 0x0f, 0x12, 0x34, 0x56,
				    0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
				    0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};

static struct rxd_rxkad_keyring *ring(void)
{
	/* built once, never changed: lookups only (the fuzzer's fixture) */
	static struct rxd_rxkad_keyring *kr;

	if (!kr) {
		struct rxd_rxkad_service_key k = {
		    .service_id = 1, .security_index = 2, .kvno = 3, .enctype = 18, .len = 32};

		kr = rxd_rxkad_keyring_new();
		FZ_CHECK(kr, "keyring");
		memcpy(k.key, aes_key, 32);
		FZ_CHECK(rxd_rxkad_keyring_add(kr, &k) == 0, "add");
		k.enctype = RXD_RXKAD_ENCTYPE_RXKAD_DES;
		k.len = 8;
		FZ_CHECK(rxd_rxkad_keyring_add(kr, &k) == 0, "add");
	}
	return kr;
}

static void open_it(uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now)
{
	struct rxd_rxkad_ticket t;
	int32_t code = 0;
	int rc = rxd_rxkad_open_ticket(ring(), 1, 2, kvno, tkt, len, now, &t, &code);

	FZ_CHECK(rc == 0 || (rc == -EPROTO && code >= RXD_RXKAD_INCONSISTENCY && code <= RXD_RXKAD_ILLEGALLEVEL),
		 "rc %d code %d", rc, code);
	if (rc)
		return;
	FZ_CHECK(memchr(t.name, 0, sizeof(t.name)) && memchr(t.instance, 0, sizeof(t.instance)) &&
		     memchr(t.cell, 0, sizeof(t.cell)) && memchr(t.sname, 0, sizeof(t.sname)) &&
		     memchr(t.sinstance, 0, sizeof(t.sinstance)),
		 "unterminated string");
	FZ_CHECK(t.name[0] && !strchr(t.name, '.'), "name '%s' accepted", t.name);
}

/* DER header; returns its size. */
static size_t der_head(uint8_t *p, uint8_t tag, size_t n)
{
	if (n < 0x80) {
		p[0] = tag, p[1] = (uint8_t)n;
		return 2;
	}
	p[0] = tag, p[1] = 0x82, p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
	return 4;
}

static void sealed(const uint8_t *plain, size_t n, uint32_t now)
{
	krb5_context ctx;
	krb5_keyblock kb = {.magic = KV5M_KEYBLOCK, .enctype = 18, .length = 32, .contents = (krb5_octet *)aes_key};
	krb5_data in = {.magic = KV5M_DATA, .length = (unsigned)n, .data = (char *)(uintptr_t)plain};
	krb5_enc_data out;
	size_t clen, inner, len = 0;
	uint8_t *b;

	if (n > 4000 || krb5_init_context(&ctx))
		return;
	memset(&out, 0, sizeof(out));
	if (krb5_c_encrypt_length(ctx, 18, n, &clen) == 0 && (out.ciphertext.data = malloc(clen)) != NULL) {
		out.ciphertext.length = (unsigned)clen;
		if (krb5_c_encrypt(ctx, &kb, 2, NULL, &in, &out) == 0) {
			/* EncryptedData ::= SEQUENCE { [0] etype 18, [1] kvno 3, [2] OCTET STRING cipher } */
			clen = out.ciphertext.length;
			inner = 10 + (clen < 0x80 ? 2 : 4) + clen + (clen + 2 < 0x80 ? 2 : 4);
			b = malloc(inner + 4);
			FZ_CHECK(b, "malloc");
			len = der_head(b, 0x30, inner);
			memcpy(b + len, "\xa0\x03\x02\x01\x12\xa1\x03\x02\x01\x03", 10);
			len += 10;
			len += der_head(b + len, 0xa2, (clen < 0x80 ? 2 : 4) + clen);
			len += der_head(b + len, 0x04, clen);
			memcpy(b + len, out.ciphertext.data, clen);
			len += clen;
			open_it(RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY, b, len, now);
			free(b);
		}
		free(out.ciphertext.data);
	}
	krb5_free_context(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t now;

	if (size < 5)
		return 0;
	now = rxd_get_be32(data + 1);
	switch (data[0] % 3) {
	case 0:
		open_it(RXD_RXKAD_TKT_TYPE_KERBEROS_V5, data + 5, size - 5, now);
		break;
	case 1:
		open_it(RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY, data + 5, size - 5, now);
		break;
	default:
		sealed(data + 5, size - 5, now);
		break;
	}
	return 0;
}
