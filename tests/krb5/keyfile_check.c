/* SPDX-License-Identifier: MIT */
/*
 * Loads an OpenAFS KeyFile and KeyFileExt into one keyring and checks it
 * holds exactly the keys named on the command line (run by
 * openafs_keyfiles.sh on files OpenAFS's asetkey wrote):
 *   keyfile_check KEYFILE KEYFILEEXT KVNO:ENCTYPE:HEXKEY...
 * ENCTYPE 0 is an rxkad DES key.  Exit 0 when all match.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/rxkad_keys.h"

int main(int argc, char **argv)
{
	struct rxd_rxkad_keyring *kr = rxd_rxkad_keyring_new();
	char err[256];
	int bad = 0, rc;

	if (argc < 3 || !kr) {
		fprintf(stderr, "usage: %s KEYFILE KEYFILEEXT KVNO:ENCTYPE:HEXKEY...\n", argv[0]);
		return 2;
	}
	if ((rc = rxd_rxkad_load_keyfile(kr, argv[1], 1, 2, err, sizeof(err))) ||
	    (rc = rxd_rxkad_load_keyfile_ext(kr, argv[2], 1, 2, err, sizeof(err)))) {
		fprintf(stderr, "FAIL: %s (%d)\n", err, rc);
		return 1;
	}
	if (rxd_rxkad_keyring_count(kr) != (size_t)(argc - 3)) {
		fprintf(stderr, "FAIL: %zu keys loaded, %d expected\n", rxd_rxkad_keyring_count(kr), argc - 3);
		bad = 1;
	}
	for (int i = 3; i < argc; i++) {
		struct rxd_rxkad_service_key k;
		unsigned kvno;
		int enctype, off = 0;
		char hex[2 * RXD_RXKAD_KEY_MAX + 1] = "";

		if (sscanf(argv[i], "%u:%d:%n", &kvno, &enctype, &off) != 2 || !off) {
			fprintf(stderr, "bad argument %s\n", argv[i]);
			return 2;
		}
		if (rxd_rxkad_keyring_lookup(kr, 1, 2, kvno, enctype, &k)) {
			fprintf(stderr, "FAIL: no key kvno %u enctype %d\n", kvno, enctype);
			bad = 1;
			continue;
		}
		for (unsigned j = 0; j < k.len; j++)
			snprintf(hex + 2 * j, 3, "%02x", k.key[j]);
		if (strcmp(hex, argv[i] + off)) {
			fprintf(stderr, "FAIL: kvno %u enctype %d: %s, expected %s\n", kvno, enctype, hex,
				argv[i] + off);
			bad = 1;
		} else {
			printf("ok kvno %u enctype %d\n", kvno, enctype);
		}
	}
	rxd_rxkad_keyring_free(kr);
	return bad;
}
