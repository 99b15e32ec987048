/* SPDX-License-Identifier: MIT */
/*
 * rxkad CHALLENGE and RESPONSE handling: rxd_challenge_decode +
 * rxd_rxkad_challenge_check, rxd_response_decode + rxd_rxkad_response_open +
 * rxd_rxkad_response_check.  Input: mode(1) then bytes.
 *   mode 0: a CHALLENGE body;
 *   mode 1: a RESPONSE body, opened with a fixed session key (a random
 *           sealed part almost always fails its checksum: SEALEDINCON);
 *   mode 2: the plaintext of a RESPONSE {epoch, cid, secidx, calls[4],
 *           nonce+1, level, kvno, ticket_len} (48 bytes) that is sealed with
 *           the key first, so the checks behind the checksum are reached;
 *           the rest of the input is the ticket.
 * Invariants: a refused message has a known RXKAD code; a sealed response
 * opens to exactly what was sealed; encode(decode(x)) round-trips.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "security/rxkad.h"

static const uint8_t key[8] = {0x13, 0x57, 0x9b, 0xdf, 0x02, 0x46, 0x8a, 0xce};
#define EPOCH 0x5f000001u
#define CID 0x1234560u

static int known_code(int32_t a)
{
	return a >= RXD_RXKAD_INCONSISTENCY && a <= RXD_RXKAD_ILLEGALLEVEL;
}

static void challenge(const uint8_t *d, size_t n)
{
	struct rxd_challenge c;
	uint8_t out[64];
	int32_t code;

	if (rxd_challenge_decode(d, n, &c))
		return;
	for (uint8_t level = 0; level <= 2; level++) {
		int rc = rxd_rxkad_challenge_check(&c, level, &code);

		FZ_CHECK((rc == 0) == (c.min_level <= level), "challenge_check min %u level %u rc %d", c.min_level,
			 level, rc);
		FZ_CHECK(rc == 0 || (rc == -EPROTO && code == RXD_RXKAD_LEVELFAIL), "abort %d", code);
	}
	FZ_CHECK(rxd_challenge_encode(out, sizeof(out), &c) > 0, "challenge re-encode");
}

static void check_opened(const struct rxd_rxkad_response_info *ri, const uint8_t *d, size_t n)
{
	uint32_t calls[RXD_MAXCALLS] = {0};
	struct rxd_rxkad_expect want = {EPOCH, CID, 2, 0, 0, calls};
	int32_t code = 0;
	int rc;

	if (n >= 4)
		want.nonce = rxd_get_be32(d);
	want.min_level = n >= 5 ? d[4] % 3 : 0;
	rc = rxd_rxkad_response_check(ri, &want, &code);
	FZ_CHECK(rc == 0 || (rc == -EPROTO && known_code(code)), "response_check rc %d code %d", rc, code);
	if (rc == 0) {
		/* what passed must really be this conn's, this nonce's, and a level in range */
		FZ_CHECK(ri->epoch == EPOCH && ri->cid == (CID & ~3u) && ri->nonce_inc == want.nonce + 1 &&
			     ri->level >= want.min_level && ri->level <= 2,
			 "accepted a response that does not match");
	}
}

static void response(const uint8_t *d, size_t n)
{
	struct rxd_rxkad_conn_key ck;
	struct rxd_response r;
	struct rxd_rxkad_response_info ri;
	int32_t code = 0;
	int rc;

	if (rxd_rxkad_conn_key_init(&ck, key, EPOCH, CID, 2, 2))
		return;
	if (rxd_response_decode(d, n, &r))
		return;
	FZ_CHECK(r.ticket_len <= n && r.ticket >= d && r.ticket + r.ticket_len <= d + n, "ticket outside the body");
	rc = rxd_rxkad_response_open(&ck, &r, &ri, &code);
	FZ_CHECK(rc == 0 || (rc == -EPROTO && known_code(code)), "response_open rc %d code %d", rc, code);
	if (rc == 0)
		check_opened(&ri, r.ticket, r.ticket_len);
}

static void sealed_response(const uint8_t *d, size_t n)
{
	struct rxd_rxkad_conn_key ck;
	struct rxd_rxkad_response_info ri, back;
	struct rxd_response r;
	uint8_t body[64 + 256];
	size_t len, tlen;
	int32_t code = 0;
	int rc;

	if (n < 48 || rxd_rxkad_conn_key_init(&ck, key, EPOCH, CID, 2, 2))
		return;
	memset(&ri, 0, sizeof(ri));
	ri.epoch = rxd_get_be32(d);
	ri.cid = rxd_get_be32(d + 4);
	ri.security_index = rxd_get_be32(d + 8);
	for (unsigned i = 0; i < RXD_MAXCALLS; i++)
		ri.call_numbers[i] = rxd_get_be32(d + 12 + 4 * i);
	ri.nonce_inc = rxd_get_be32(d + 28);
	ri.level = rxd_get_be32(d + 32);
	ri.kvno = rxd_get_be32(d + 36);
	tlen = n - 48 > 256 ? 256 : n - 48;
	ri.ticket_len = (uint32_t)tlen;
	rxd_rxkad_response_seal(&ck, &ri, &r);
	r.ticket = d + 48;
	len = rxd_response_encode(body, sizeof(body), &r);
	FZ_CHECK(len > 0, "response encode");
	FZ_CHECK(rxd_response_decode(body, len, &r) == 0, "response decode of our own encoding");
	rc = rxd_rxkad_response_open(&ck, &r, &back, &code);
	FZ_CHECK(rc == 0, "a response sealed with the key does not open: %d", code);
	FZ_CHECK(back.epoch == ri.epoch && back.cid == ri.cid && back.security_index == ri.security_index &&
		     back.nonce_inc == ri.nonce_inc && back.level == ri.level && back.kvno == ri.kvno &&
		     back.ticket_len == ri.ticket_len &&
		     !memcmp(back.call_numbers, ri.call_numbers, sizeof(ri.call_numbers)),
		 "open(seal(x)) != x");
	check_opened(&back, d + 40, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		challenge(data + 1, size - 1);
		break;
	case 1:
		response(data + 1, size - 1);
		break;
	default:
		sealed_response(data + 1, size - 1);
		break;
	}
	return 0;
}
