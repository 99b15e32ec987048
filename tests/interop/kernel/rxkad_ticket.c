/* SPDX-License-Identifier: MIT */
/*
 * rxkad_ticket KEYHEX KVNO: print "KVNO:EXPIRY:SESSIONHEX:TICKETHEX", a client
 * key for af_rxperf --rxkad: a Kerberos 4 ticket for user "af_rxperf" sealed
 * with the 8-byte service key (rxd_rxkad_make_key), a random session key, and
 * an expiry an hour from now for the kernel's key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <rxd/security.h>

int main(int argc, char **argv)
{
	struct rxd_rxkad_des_key sk;
	struct rxd_rxkad_key k;
	uint8_t tkt[128];
	uint64_t rnd = 0;
	uint32_t now = (uint32_t)time(NULL);

	if (argc != 3 || strlen(argv[1]) != 16) {
		fprintf(stderr, "usage: rxkad_ticket KEYHEX(16 digits) KVNO\n");
		return 2;
	}
	for (unsigned i = 0; i < 8; i++) {
		unsigned b;
		if (sscanf(argv[1] + 2 * i, "%2x", &b) != 1) {
			fprintf(stderr, "rxkad_ticket: bad key %s\n", argv[1]);
			return 2;
		}
		sk.key[i] = (uint8_t)b;
	}
	sk.kvno = (uint32_t)strtoul(argv[2], NULL, 0);
	if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd ||
	    rxd_rxkad_make_key(&k, tkt, sizeof tkt, &sk, "af_rxperf", now, rnd)) {
		fprintf(stderr, "rxkad_ticket: cannot make a ticket\n");
		return 1;
	}
	printf("%u:%u:", k.kvno, now + 3600);
	for (unsigned i = 0; i < 8; i++)
		printf("%02x", k.session_key[i]);
	putchar(':');
	for (unsigned i = 0; i < k.ticket_len; i++)
		printf("%02x", k.ticket[i]);
	putchar('\n');
	return 0;
}
