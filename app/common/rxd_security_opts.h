/* SPDX-License-Identifier: MIT */
/*
 * The launchers' security options (app/rxd and app/rxperf): --security
 * none|clear|auth|crypt, --key HEX|kernel and --kvno N, turned into an rxkad
 * server (one DES service key) or a client key with a ticket made for
 * ourselves from that service key, as OpenAFS's -localauth does.  A server
 * takes its keys from files instead with --keyfile (OpenAFS KeyFile),
 * --keyfile-ext (KeyFileExt) and --keytab (krb5, afs/CELL@REALM with --cell
 * or afs@REALM), each repeatable; then it opens Kerberos 4 and rxkad-k5
 * tickets of every kvno the files hold.  The default key
 * is the Linux kernel rxperf's built-in server key (net/rxrpc/rxperf.c, the
 * "rxrpc_s" key 147:2), so rxd interoperates with it out of the box.
 */
#ifndef RXD_SECURITY_OPTS_H
#define RXD_SECURITY_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rxd/core.h>
#include <rxd/security.h>

#define RXD_SECURITY_OPTS_MAX_FILES 16u /* --keyfile/--keyfile-ext/--keytab options kept for a reload */

/* The Linux kernel rxperf server's rxkad key, as --key kernel (the default). */
#define RXD_KERNEL_RXPERF_KEY "a7838acbc783ec94"

struct rxd_security_opts {
	int level; /* -1: rxnull (--security none, the default); else the rxkad level */
	struct rxd_rxkad_des_key skey;
	struct rxd_rxkad_server srv;
	struct rxd_rxkad_key ckey; /* client: made by rxd_security_opts_client() */
	uint8_t tkt[128];
	struct rxd_rxkad_keyring *ring; /* server: keys from --keyfile/--keyfile-ext/--keytab, or NULL */
	struct rxd_rxkad_key_scope scope;
	const char *cell; /* --cell: the keytab principal afs/CELL@REALM */
	struct {
		const char *opt;   /* "keyfile", "keyfile-ext" or "keytab" */
		char *path, *cell; /* copies of the option's file and of --cell then */
	} files[RXD_SECURITY_OPTS_MAX_FILES];
	unsigned n_files;
};

void rxd_security_opts_default(struct rxd_security_opts *o);
/**
 * Handle option name ("security", "key", "kvno", "keyfile", "keyfile-ext",
 * "keytab", "cell") with value; the files are loaded at once.  Returns 0, 1
 * when name is not a security option, or -EINVAL with a one-line err naming
 * the option ("--key zz: expected 16 hex digits (an 8-byte DES key) or kernel").
 */
int rxd_security_opts_set(struct rxd_security_opts *o, const char *name, const char *value, char *err, size_t errlen);
/** Client: make the key (a ticket valid from now) and fill the call's security fields.  0 or -EINVAL. */
int rxd_security_opts_client(struct rxd_security_opts *o, uint32_t now, uint64_t random, uint8_t *index, uint8_t *level,
			     const void **key);
/** Server: let d accept rxkad at the chosen minimum level (rxnull too with --security none). */
void rxd_security_opts_service(struct rxd_security_opts *o, struct rxd_service_desc *d);
/**
 * Read every key file given again into a fresh ring and make its keys the
 * ring's in one step (rxd_rxkad_keyring_take): keys added, replaced or
 * withdrawn while serving.  A file that no longer loads leaves the keys as
 * they were.  0, or -EINVAL / -ENOMEM with a one-line err; -ENOENT without
 * key files.  The ring's lookups must be QSBR readers (<rxd/security.h>).
 */
int rxd_security_opts_reload(struct rxd_security_opts *o, char *err, size_t errlen);
/** Free what the options loaded (the keyring). */
void rxd_security_opts_free(struct rxd_security_opts *o);
/** "none", "clear", "auth" or "crypt". */
const char *rxd_security_opts_name(const struct rxd_security_opts *o);

#endif
