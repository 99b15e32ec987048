/* SPDX-License-Identifier: MIT */
/*
 * The "rxrpc" key payload, version 1 (net/rxrpc/key.c rxrpc_preparse; the
 * layout is struct rxrpc_key_data_v1 of include/keys/rxrpc-type.h), in host
 * byte order:
 *   u32 1 (interface version); u16 security index (2); u16 ticket length;
 *   u32 expiry (time_t); u32 kvno; u8 session key[8]; ticket.
 * The ticket is made by rxd's encoder (lib/security/rxkad_ticket.c): the
 * kernel-to-kernel checks of test_kernel_interop.sh hold it to the kernel's
 * decoder (net/rxrpc/rxkad.c rxkad_decrypt_ticket).
 */
#include "af_rxkad.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "security/rxkad.h"

enum { V1_FIXED = 24 };

/* Odd parity in every byte, as DES keys carry it (fcrypt ignores the low bit). */
static void set_odd_parity(uint8_t k[8])
{
	for (unsigned i = 0; i < 8; i++)
		k[i] = (uint8_t)((k[i] & 0xfe) | !(__builtin_popcount(k[i] & 0xfe) & 1));
}

int af_rxkad_client_payload(uint8_t *out, size_t cap, size_t *len, const char *name, const uint8_t service_key[8],
			    uint32_t kvno, int64_t age, uint32_t life, uint32_t now)
{
	struct rxd_rxkad_ticket t = {.instance = "", .cell = "RXD.TEST", .sinstance = ""};
	uint32_t kver = 1, expiry;
	uint16_t sec_ix = RXD_SECURITY_RXKAD, tlen16;
	size_t tlen;
	int r;

	if (cap < V1_FIXED || strlen(name) >= sizeof t.name)
		return -EINVAL;
	if (getrandom(t.session_key, sizeof t.session_key, 0) != (ssize_t)sizeof t.session_key)
		return -errno;
	set_odd_parity(t.session_key);
	snprintf(t.name, sizeof t.name, "%s", name);
	snprintf(t.sname, sizeof t.sname, "afs");
	t.start = (uint32_t)((int64_t)now - age);
	t.end = t.start + life;
	r = rxd_rxkad_ticket_encode(out + V1_FIXED, cap - V1_FIXED, &tlen, service_key, &t);
	if (r < 0)
		return r;
	/* The key must outlive even an expired ticket: request_key refuses an expired key
	 * (EKEYEXPIRED), and then no server would see the ticket to judge it. */
	expiry = t.end > now + 60 ? t.end : now + 3600;
	tlen16 = (uint16_t)tlen;
	memcpy(out, &kver, 4);
	memcpy(out + 4, &sec_ix, 2);
	memcpy(out + 6, &tlen16, 2);
	memcpy(out + 8, &expiry, 4);
	memcpy(out + 12, &kvno, 4);
	memcpy(out + 16, t.session_key, 8);
	*len = V1_FIXED + tlen;
	return 0;
}

long af_key_add(const char *type, const char *desc, const void *payload, size_t len, long ring)
{
	long id = syscall(SYS_add_key, type, desc, payload, len, (int)ring);

	return id < 0 ? -errno : id;
}

static int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20; /* lower case */
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int af_parse_key(const char *s, uint8_t k[8])
{
	if (strlen(s) != 16)
		return -EINVAL;
	for (unsigned i = 0; i < 8; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		k[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
