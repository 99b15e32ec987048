/* SPDX-License-Identifier: MIT */
/*
 * The guest programs' rxkad keys (af_rxperf, af_kafs): the payload of an
 * AF_RXRPC "rxrpc" key (net/rxrpc/key.c), made here apart from af_rxperf.c
 * because rxd's headers and <linux/rxrpc.h> define the same RXGEN_* names.
 */
#ifndef AF_RXKAD_H
#define AF_RXKAD_H

#include <stddef.h>
#include <stdint.h>

#define AF_RXKAD_PAYLOAD_MAX (24 + 12000) /* fixed part + the longest ticket (AFSTOKEN_RK_TIX_MAX) */

/**
 * A version 1 "rxrpc" key payload for a fresh random session key: a Kerberos 4 style
 * ticket for client name@RXD.TEST sealed with service_key, issued age seconds before now,
 * valid for life seconds.  0, or -EINVAL (a lifetime a ticket cannot carry, cap too small,
 * a name too long), -errno of getrandom.
 */
int af_rxkad_client_payload(uint8_t *out, size_t cap, size_t *len, const char *name, const uint8_t service_key[8],
			    uint32_t kvno, int64_t age, uint32_t life, uint32_t now);

/** add_key(2) without libkeyutils (the guest has none): the new key's serial, or -errno. */
long af_key_add(const char *type, const char *desc, const void *payload, size_t len, long ring);

/** A DES key written as 16 hex digits: 0, or -EINVAL. */
int af_parse_key(const char *s, uint8_t k[8]);

#endif
