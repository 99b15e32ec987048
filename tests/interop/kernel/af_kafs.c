/* SPDX-License-Identifier: MIT */
/*
 * af_kafs: what the kafs test needs in the guest that busybox lacks.
 *
 *   af_kafs key CELL HEXKEY KVNO NAME
 *       A token for NAME@RXD.TEST in CELL: an "rxrpc" key holding a ticket
 *       sealed with the cell's key HEXKEY (kvno KVNO), described "afs@CELL",
 *       as klog/aklog-kafs leave it (Documentation/filesystems/afs.rst,
 *       "Security").  It goes into the user session keyring, which kafs
 *       searches for every process without a session keyring of its own (all
 *       of the test's commands).  The description is added in lower case (the
 *       cell's name, fs/afs/cell.c key_desc since 2025) and in upper case (the
 *       older kernels' anonymous-key name), so either kernel finds it; a second
 *       call replaces the token.
 *   af_kafs anon CMD [ARG...]
 *       Runs CMD in a new, empty session keyring: kafs finds no token and acts
 *       as the anonymous user (system:anyuser only).
 *   af_kafs getacl PATH / af_kafs setacl PATH TEXT
 *       The "afs.acl" xattr (fs/afs/xattr.c: FetchACL / StoreACL), TEXT in
 *       the ACL's text form "NPOS\nNNEG\nNAME RIGHTS\n...", printed as is.
 *
 * exit: 0, or 1 with one line on stderr naming what failed.
 */
#include <ctype.h>
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "af_rxkad.h"

#define AFS_ACL_XATTR "afs.acl"
#define TOKEN_LIFE (10 * 3600)

static int usage(void)
{
	fprintf(stderr, "usage: af_kafs key CELL HEXKEY KVNO NAME\n"
			"       af_kafs anon CMD [ARG...]\n"
			"       af_kafs getacl PATH\n"
			"       af_kafs setacl PATH TEXT\n");
	return 2;
}

static int cmd_key(const char *cell, const char *hex, const char *kvno_s, const char *name)
{
	static uint8_t p[AF_RXKAD_PAYLOAD_MAX];
	uint8_t key[8];
	char desc[2][300];
	char *end;
	unsigned long kvno = strtoul(kvno_s, &end, 0);
	size_t len;
	int r;

	if (af_parse_key(hex, key) < 0 || *end || kvno > 255 || strlen(cell) > 256) {
		fprintf(stderr, "af_kafs: key: bad key (16 hex digits), kvno (0-255) or cell\n");
		return 1;
	}
	r = af_rxkad_client_payload(p, sizeof p, &len, name, key, (uint32_t)kvno, 0, TOKEN_LIFE, (uint32_t)time(NULL));
	if (r < 0) {
		fprintf(stderr, "af_kafs: key: cannot make a ticket for %s: %s\n", name, strerror(-r));
		return 1;
	}
	snprintf(desc[0], sizeof desc[0], "afs@%s", cell);
	snprintf(desc[1], sizeof desc[1], "afs@%s", cell);
	for (char *c = desc[0] + 4; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (char *c = desc[1] + 4; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	for (int i = 0; i < 2; i++) {
		long k = af_key_add("rxrpc", desc[i], p, len, KEY_SPEC_USER_SESSION_KEYRING);

		if (k < 0) {
			fprintf(stderr, "af_kafs: add_key rxrpc %s: %s\n", desc[i], strerror((int)-k));
			return 1;
		}
		printf("%s: key %ld for %s (kvno %lu)\n", desc[i], k, name, kvno);
	}
	return 0;
}

static int cmd_anon(char **argv)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
		fprintf(stderr, "af_kafs: anon: cannot join a new session keyring: %s\n", strerror(errno));
		return 1;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "af_kafs: anon: %s: %s\n", argv[0], strerror(errno));
	return 1;
}

static int cmd_getacl(const char *path)
{
	char buf[4096];
	ssize_t n = getxattr(path, AFS_ACL_XATTR, buf, sizeof buf);

	if (n < 0) {
		fprintf(stderr, "af_kafs: getxattr %s %s: %s\n", path, AFS_ACL_XATTR, strerror(errno));
		return 1;
	}
	/* the text, without the NUL that FetchACL's opaque ends with (OpenAFS counts it) */
	fwrite(buf, 1, strnlen(buf, (size_t)n), stdout);
	return 0;
}

static int cmd_setacl(const char *path, const char *text)
{
	if (setxattr(path, AFS_ACL_XATTR, text, strlen(text), 0) < 0) {
		fprintf(stderr, "af_kafs: setxattr %s %s: %s\n", path, AFS_ACL_XATTR, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "key"))
		return cmd_key(argv[2], argv[3], argv[4], argv[5]);
	if (argc >= 3 && !strcmp(argv[1], "anon"))
		return cmd_anon(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "getacl"))
		return cmd_getacl(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "setacl"))
		return cmd_setacl(argv[2], argv[3]);
	return usage();
}
