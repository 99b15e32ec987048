/* SPDX-License-Identifier: MIT */
/*
 * An independent authenticated RXAFS client for rxd-fileserver: OpenAFS's
 * rx, rxkad and rxgen client stubs (Debian libopenafs-dev).  The token is
 * what a cell's KDC or `-localauth` would hand out: a Kerberos 4 ticket for
 * user NAME made by OpenAFS's tkt_MakeTicket for a random session key and
 * sealed with the server key of the fileserver's KeyFile (-k, kvno -K).
 *
 *   openafs_fs_auth -a ADDR [-u NAME -k HEX16 [-K KVNO] [-l clear|auth|crypt] [-r REALM] [-x]] CMD ...
 *     (no -u: rxnull, anonymous; -x: a ticket that expired two hours ago)
 *   status WANT              FetchStatus of the volume root answers WANT (0, 13 or an abort code)
 *   setacl TEXT WANT         StoreACL of TEXT on the root answers WANT
 *   getacl TEXT              FetchACL of the root is TEXT (with its NUL)
 *   create NAME WANT [OWNER] CreateFile NAME in the root answers WANT; if 0: the new file's Owner is OWNER,
 *                            the caller holds administer on it (its owner) and a 100000-byte StoreData64 reads
 *                            back the same through FetchData64
 *
 * Prints "PASS name" / "FAIL name -- why"; exit 0 all passed, 1 a failure, 2 usage or setup.
 */
#include <afs/param.h>
#include <afs/stds.h>
#include <rx/xdr.h>
#include <afs/afsint.h>
#include <rx/rx.h>
#include <rx/rx_null.h>
#include <rx/rxkad.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define PRSFS_ADMINISTER 64
#define DATA_LEN 100000

static struct rx_connection *conn;
static const afs_uint32 volid = 536870912;
static char who[80] = "anonymous";
static int failures;

static void result(int ok, const char *what, const char *why)
{
	if (ok)
		printf("PASS %s: %s\n", who, what);
	else
		printf("FAIL %s: %s -- %s\n", who, what, why);
	failures += !ok;
}

static int hexkey(const char *s, struct ktc_encryptionKey *k)
{
	if (strlen(s) != 16)
		return -1;
	for (int i = 0; i < 8; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		k->data[i] = (char)v;
	}
	return 0;
}

/* Odd parity in every byte, as a KDC hands out DES session keys. */
static void des_fix_parity(struct ktc_encryptionKey *k)
{
	for (int i = 0; i < 8; i++) {
		unsigned char b = (unsigned char)k->data[i] & 0xfe;
		k->data[i] = (char)(b | !(__builtin_popcount(b) & 1));
	}
}

static struct rx_securityClass *token(const char *name, const char *realm, const struct ktc_encryptionKey *seal,
				      int kvno, int level, int expired)
{
	struct ktc_encryptionKey session;
	static char ticket[MAXKTCTICKETLEN];
	afs_uint32 now = (afs_uint32)time(NULL), start = now - 60, end = now + 8 * 3600;
	int len = 0, rc;

	if (getrandom(session.data, sizeof(session.data), 0) != (ssize_t)sizeof(session.data))
		return NULL;
	des_fix_parity(&session);
	if (expired) { /* beyond rxkad's 15 minutes of clock skew */
		start = now - 4 * 3600;
		end = now - 2 * 3600;
	}
	rc = tkt_MakeTicket(ticket, &len, (struct ktc_encryptionKey *)seal, (char *)name, "", (char *)realm, start, end,
			    &session, 0, "afs", "");
	if (rc) {
		fprintf(stderr, "openafs_fs_auth: tkt_MakeTicket: %d\n", rc);
		return NULL;
	}
	return rxkad_NewClientSecurityObject((rxkad_level)level, &session, kvno, len, ticket);
}

static AFSFid root(void)
{
	AFSFid f = {volid, 1, 1};
	return f;
}

static void want_code(int code, int want, const char *what)
{
	char why[64];

	snprintf(why, sizeof(why), "answered %d, want %d", code, want);
	result(code == want, what, why);
}

static void cmd_status(int want)
{
	AFSFid f = root();
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;

	want_code(RXAFS_FetchStatus(conn, &f, &st, &cb, &vs), want, "FetchStatus of the root");
}

static void cmd_setacl(const char *text, int want)
{
	AFSFid f = root();
	AFSOpaque acl = {(afs_uint32)strlen(text) + 1, (char *)text};
	AFSFetchStatus st;
	AFSVolSync vs;

	want_code(RXAFS_StoreACL(conn, &f, &acl, &st, &vs), want, "StoreACL on the root");
}

static void cmd_getacl(const char *text)
{
	AFSFid f = root();
	AFSOpaque acl = {0, NULL}; /* the stub allocates */
	AFSFetchStatus st;
	AFSVolSync vs;
	char why[2 * AFSOPAQUEMAX + 64];
	int code = RXAFS_FetchACL(conn, &f, &acl, &st, &vs);
	size_t w = (size_t)snprintf(why, sizeof(why), "code %d, %u bytes: '", code, acl.AFSOpaque_len);

	/* one line: newlines and tabs as \n and \t */
	for (afs_uint32 i = 0; code == 0 && i < acl.AFSOpaque_len && acl.AFSOpaque_val[i] && w + 3 < sizeof(why); i++) {
		char ch = acl.AFSOpaque_val[i];
		if (ch == '\n' || ch == '\t') {
			why[w++] = '\\';
			ch = ch == '\n' ? 'n' : 't';
		}
		why[w++] = ch;
	}
	snprintf(why + w, sizeof(why) - w, "'");
	result(code == 0 && acl.AFSOpaque_len == strlen(text) + 1 && !memcmp(acl.AFSOpaque_val, text, strlen(text) + 1),
	       "FetchACL returns what StoreACL stored", why);
	free(acl.AFSOpaque_val);
}

/* StoreData64 then FetchData64 of DATA_LEN bytes: the same bytes, the length, the owner kept. */
static void round_trip(AFSFid *f, long owner)
{
	static unsigned char out[DATA_LEN], in[DATA_LEN];
	AFSStoreStatus none = {0, 0, 0, 0, 0, 0};
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	struct rx_call *c;
	afs_int64 len = 0;
	char why[96];
	int code, got = 0;

	for (int i = 0; i < DATA_LEN; i++)
		out[i] = (unsigned char)(i * 31 + 7);
	c = rx_NewCall(conn);
	code = StartRXAFS_StoreData64(c, f, &none, 0, DATA_LEN, DATA_LEN);
	if (!code && rx_Write(c, (char *)out, DATA_LEN) != DATA_LEN)
		code = -1;
	if (!code)
		code = EndRXAFS_StoreData64(c, &st, &vs);
	code = rx_EndCall(c, code);
	snprintf(why, sizeof(why), "code %d, owner %u", code, code ? 0 : st.Owner);
	result(code == 0 && (long)st.Owner == owner, "StoreData64 by the owner of a 0444 file it just made", why);
	c = rx_NewCall(conn);
	code = StartRXAFS_FetchData64(c, f, 0, DATA_LEN);
	if (!code) {
		afs_int32 hi = 0, lo = 0;
		if (rx_Read32(c, &hi) != 4 || rx_Read32(c, &lo) != 4)
			code = -1;
		len = ((afs_int64)ntohl((afs_uint32)hi) << 32) | ntohl((afs_uint32)lo);
	}
	if (!code && len == DATA_LEN)
		got = rx_Read(c, (char *)in, DATA_LEN);
	if (!code)
		code = EndRXAFS_FetchData64(c, &st, &cb, &vs);
	code = rx_EndCall(c, code);
	snprintf(why, sizeof(why), "code %d, length %lld, read %d", code, (long long)len, got);
	result(code == 0 && len == DATA_LEN && got == DATA_LEN && !memcmp(in, out, DATA_LEN),
	       "FetchData64 reads back what was stored", why);
}

static void cmd_create(const char *name, int want, long owner)
{
	AFSFid dir = root(), f;
	AFSStoreStatus ss = {AFS_SETMODE, 0, 0, 0, 0444, 0};
	AFSFetchStatus fst, dst;
	AFSCallBack cb;
	AFSVolSync vs;
	char why[128];
	int code = RXAFS_CreateFile(conn, &dir, (char *)name, &ss, &f, &fst, &dst, &cb, &vs);

	want_code(code, want, "CreateFile in the root");
	if (code || want)
		return;
	snprintf(why, sizeof(why), "Owner %u Author %u CallerAccess %#x", fst.Owner, fst.Author, fst.CallerAccess);
	result((long)fst.Owner == owner && (long)fst.Author == owner && (fst.CallerAccess & PRSFS_ADMINISTER),
	       "the new file is the caller's (Owner, Author, administer in CallerAccess)", why);
	round_trip(&f, owner);
}

static void usage(void)
{
	fprintf(stderr, "usage: openafs_fs_auth -a ADDR [-u NAME -k HEX16 [-K KVNO] [-l LEVEL] [-r REALM] [-x]] "
			"status WANT | setacl TEXT WANT | getacl TEXT | create NAME WANT [OWNER]\n");
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *user = NULL, *realm = "";
	struct ktc_encryptionKey key;
	int opt, kvno = 0, level = rxkad_clear, expired = 0, have_key = 0;
	struct rx_securityClass *sc;
	struct in_addr ia;

	while ((opt = getopt(argc, argv, "+a:u:k:K:l:r:x")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'k':
			have_key = hexkey(optarg, &key) == 0;
			break;
		case 'K':
			kvno = atoi(optarg);
			break;
		case 'l':
			level = !strcmp(optarg, "crypt")  ? rxkad_crypt
				: !strcmp(optarg, "auth") ? rxkad_auth
							  : rxkad_clear;
			break;
		case 'r':
			realm = optarg;
			break;
		case 'x':
			expired = 1;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!addr || optind >= argc || inet_pton(AF_INET, addr, &ia) != 1 || (user && !have_key)) {
		usage();
		return 2;
	}
	if (rx_Init(0) != 0) {
		fprintf(stderr, "rx_Init failed\n");
		return 2;
	}
	rx_SetRxDeadTime(30);
	if (user)
		snprintf(who, sizeof(who), "%s%s%s (rxkad %s)", user, *realm ? "@" : "", realm,
			 level == rxkad_crypt  ? "crypt"
			 : level == rxkad_auth ? "auth"
					       : "clear");
	sc = user ? token(user, realm, &key, kvno, level, expired) : rxnull_NewClientSecurityObject();
	if (!sc)
		return 2;
	conn = rx_NewConnection(ia.s_addr, htons(7000), 1, sc, user ? 2 : 0);
	const char *cmd = argv[optind];
	if (!strcmp(cmd, "status") && optind + 1 < argc)
		cmd_status(atoi(argv[optind + 1]));
	else if (!strcmp(cmd, "setacl") && optind + 2 < argc)
		cmd_setacl(argv[optind + 1], atoi(argv[optind + 2]));
	else if (!strcmp(cmd, "getacl") && optind + 1 < argc)
		cmd_getacl(argv[optind + 1]);
	else if (!strcmp(cmd, "create") && optind + 2 < argc)
		cmd_create(argv[optind + 1], atoi(argv[optind + 2]), optind + 3 < argc ? atol(argv[optind + 3]) : 0);
	else {
		usage();
		return 2;
	}
	rx_DestroyConnection(conn);
	rx_Finalize();
	return failures ? 1 : 0;
}
