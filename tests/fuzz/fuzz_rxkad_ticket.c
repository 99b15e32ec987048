/* SPDX-License-Identifier: MIT */
/*
 * Kerberos 4 rxkad tickets and OpenAFS key files: rxd_rxkad_ticket_decode,
 * rxd_rxkad_open_ticket through a keyring, rxd_rxkad_parse_keyfile(_ext).
 * Input: mode(1) then bytes.
 *   mode 0: kvno(1), now(4), then a ticket opened with the ring (keys of
 *           kvno 1 and 2); the bytes are also decoded with the kvno-1 key;
 *   mode 1: fields {start(4), life(1), host(4), session key(8), then
 *           NUL-separated name, instance, cell, sname, sinstance} encoded
 *           with the kvno-1 key, then decoded and opened: decode(encode(t))
 *           must give t back;
 *   mode 2: a KeyFile; mode 3: a KeyFileExt.
 * Invariants: refusals carry a known RXKAD code (or -EINVAL with a message
 * for key files); decoded strings are terminated and within bounds; parsed
 * keys are accepted by the keyring.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "security/rxkad_keys.h"

static const uint8_t key1[8] = {0x4a, 0x6b, 0x1c, 0x3d, 0x5e, 0x7f, 0x08, 0x29};
static const uint8_t key2[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

static struct rxd_rxkad_keyring *ring(void)
{
	/* built once, never changed: lookups only (the ring is the fuzzer's fixture) */
	static struct rxd_rxkad_keyring *kr;

	if (!kr) {
		struct rxd_rxkad_service_key k = {.service_id = 1, .security_index = 2, .kvno = 1, .len = 8};

		kr = rxd_rxkad_keyring_new();
		FZ_CHECK(kr, "keyring");
		memcpy(k.key, key1, 8);
		FZ_CHECK(rxd_rxkad_keyring_add(kr, &k) == 0, "add");
		k.kvno = 2;
		memcpy(k.key, key2, 8);
		FZ_CHECK(rxd_rxkad_keyring_add(kr, &k) == 0, "add");
	}
	return kr;
}

static void check_ticket(const struct rxd_rxkad_ticket *t)
{
	FZ_CHECK(memchr(t->name, 0, sizeof(t->name)) && memchr(t->instance, 0, sizeof(t->instance)) &&
		     memchr(t->cell, 0, sizeof(t->cell)) && memchr(t->sname, 0, sizeof(t->sname)) &&
		     memchr(t->sinstance, 0, sizeof(t->sinstance)),
		 "unterminated string");
}

static void check_code(int rc, int32_t code)
{
	FZ_CHECK(rc == 0 || (rc == -EPROTO && code >= RXD_RXKAD_INCONSISTENCY && code <= RXD_RXKAD_ILLEGALLEVEL),
		 "rc %d code %d", rc, code);
}

static void open_raw(const uint8_t *d, size_t n)
{
	struct rxd_rxkad_ticket t;
	int32_t code = 0;
	int rc;

	if (n < 5)
		return;
	rc = rxd_rxkad_open_ticket(ring(), 1, 2, d[0], d + 5, n - 5, rxd_get_be32(d + 1), &t, &code);
	check_code(rc, code);
	if (rc == 0)
		check_ticket(&t);
	/* 213 is rxkad-k5's enc-part form, judged by the k5 decoder */
	FZ_CHECK(rc == 0 || d[0] == 1 || d[0] == 2 || d[0] == RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY ||
		     code == RXD_RXKAD_UNKNOWNKEY,
		 "kvno %u without a key: %d", d[0], code);
	rc = rxd_rxkad_ticket_decode(d + 5, n - 5, key1, &t, &code);
	check_code(rc, code);
	if (rc == 0)
		check_ticket(&t);
}

/* Next NUL-terminated field of at most RXD_RXKAD_NAME_MAX bytes, or "" at the end. */
static void field(const uint8_t **p, const uint8_t *end, char *dst)
{
	const uint8_t *nul = memchr(*p, 0, (size_t)(end - *p));
	size_t n = nul ? (size_t)(nul - *p) : (size_t)(end - *p);

	if (n > RXD_RXKAD_NAME_MAX)
		n = RXD_RXKAD_NAME_MAX;
	memcpy(dst, *p, n);
	dst[n] = 0;
	*p = nul ? nul + 1 : end;
}

static void round_trip(const uint8_t *d, size_t n)
{
	struct rxd_rxkad_ticket t, back;
	uint8_t out[RXD_RXKAD_TICKET_MAX];
	const uint8_t *p = d + 17, *end = d + n;
	size_t len;
	int32_t code = 0;
	int rc;

	if (n < 17)
		return;
	memset(&t, 0, sizeof(t));
	t.start = rxd_get_be32(d);
	t.end = rxd_rxkad_life_to_time(t.start, d[4]);
	t.host = rxd_get_be32(d + 5);
	memcpy(t.session_key, d + 9, 8);
	field(&p, end, t.name);
	field(&p, end, t.instance);
	field(&p, end, t.cell);
	field(&p, end, t.sname);
	field(&p, end, t.sinstance);
	if (rxd_rxkad_ticket_encode(out, sizeof(out), &len, key1, &t))
		return;
	FZ_CHECK(len % 8 == 0 && len <= sizeof(out), "encoded length %zu", len);
	rc = rxd_rxkad_ticket_decode(out, len, key1, &back, &code);
	if (len < RXD_RXKAD_TICKET_MIN) {
		FZ_CHECK(rc == -EPROTO && code == RXD_RXKAD_TICKETLEN, "short ticket accepted");
		return;
	}
	FZ_CHECK(rc == 0, "our own ticket does not decode: %d", code);
	FZ_CHECK(!strcmp(back.name, t.name) && !strcmp(back.instance, t.instance) && !strcmp(back.cell, t.cell) &&
		     !strcmp(back.sname, t.sname) && !strcmp(back.sinstance, t.sinstance) && back.host == t.host &&
		     back.start == t.start && back.end == t.end && !memcmp(back.session_key, t.session_key, 8),
		 "decode(encode(t)) != t");
	rc = rxd_rxkad_open_ticket(ring(), 1, 2, 1, out, len, t.start + 60, &back, &code);
	check_code(rc, code);
}

static void keyfile(const uint8_t *d, size_t n, int ext)
{
	static struct rxd_rxkad_service_key keys[RXD_RXKAD_KEYRING_MAX_KEYS];
	char err[128] = "";
	size_t nk = 99999;
	int rc = ext ? rxd_rxkad_parse_keyfile_ext(d, n, keys, RXD_RXKAD_KEYRING_MAX_KEYS, &nk, 1, 2, err, sizeof(err))
		     : rxd_rxkad_parse_keyfile(d, n, keys, RXD_RXKAD_KEYRING_MAX_KEYS, &nk, 1, 2, err, sizeof(err));

	FZ_CHECK(rc == 0 || (rc == -EINVAL && err[0]), "rc %d without a message", rc);
	FZ_CHECK(nk <= RXD_RXKAD_KEYRING_MAX_KEYS, "n %zu", nk);
	if (rc == 0 && nk) {
		struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();

		FZ_CHECK(kr, "keyring");
		FZ_CHECK(rxd_rxkad_keyring_add_all(kr, keys, nk) == 0, "parsed keys refused by the ring");
		rxd_rxkad_keyring_free(kr);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		open_raw(data + 1, size - 1);
		break;
	case 1:
		round_trip(data + 1, size - 1);
		break;
	default:
		keyfile(data + 1, size - 1, data[0] % 4 == 3);
		break;
	}
	return 0;
}
