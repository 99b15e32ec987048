/* SPDX-License-Identifier: MIT */
/*
 * openafs_peer: an rxperf-protocol client and server linked against the
 * OpenAFS userspace rx library (Debian libopenafs-dev, pthread flavour).
 *
 * It is the independent reference peer for rxd: the selftest runs it against
 * itself, the interop tests point it at rxd, and bench/ uses it for the
 * OpenAFS-vs-OpenAFS baseline.  Protocol: doc/rxperf.md (OpenAFS src/tools/rxperf/rxperf.c, Linux net/rxrpc/rxperf.c).
 *
 *   openafs_peer server -p PORT [-j] [-W win] [--security LEVEL --key HEX16 --kvno N] ...
 *   openafs_peer client -a ADDR -p PORT -c send|recv|rpc -S n -R n -T calls
 *                       -t threads [--cookie] [--json]
 *                       [--security LEVEL --key HEX16 --kvno N] ...
 *
 * With --security the connections use rxkad (security index 2) through
 * OpenAFS's own librxkad code in libafsrpc.a: the client makes a Kerberos 4
 * ticket for a random session key with tkt_MakeTicket, sealed with the
 * service key --key; the server finds that key by kvno.
 *
 * Written from the protocol description; no OpenAFS rxperf code is used.
 */

#include <afs/param.h>
#include <afs/stds.h>
#include <rx/rx.h>
#include <rx/rx_null.h>
#include <rx/rx_globals.h>
#include <rx/rxkad.h>
#include <afs/rxgen_consts.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "rxd_result.h"

#define PERF_SERVICE 147
#define PERF_PORT 7009
#define PERF_VERSION 3
#define PERF_COOKIE 0x00004711u
#define PERF_OP_SEND 0
#define PERF_OP_RECV 1
#define PERF_OP_RPC 3
#define PERF_MAX_CHUNK (512 * 1024)
#define PERF_IO_CHUNK (64 * 1024)

#define TEST_CLIENT_ABORT 1234
#define TEST_SERVER_ABORT 4321

/* Zero payload, shared read-only by every writer (the kernel sends zeros). */
static char zeros[PERF_IO_CHUNK];

static const char *abort_name(afs_int32 code)
{
	switch (code) {
	case 0:
		return "ok";
	case RX_CALL_DEAD:
		return "RX_CALL_DEAD";
	case RX_INVALID_OPERATION:
		return "RX_INVALID_OPERATION";
	case RX_CALL_TIMEOUT:
		return "RX_CALL_TIMEOUT";
	case RX_EOF:
		return "RX_EOF";
	case RX_PROTOCOL_ERROR:
		return "RX_PROTOCOL_ERROR";
	case RX_USER_ABORT:
		return "RX_USER_ABORT";
	case RX_ADDRINUSE:
		return "RX_ADDRINUSE";
	case -8:
		return "RX_DEBUGI_BADTYPE/RX_MSGSIZE";
	case RX_RESTARTING:
		return "RX_RESTARTING";
	case RXGEN_CC_MARSHAL:
		return "RXGEN_CC_MARSHAL";
	case RXGEN_CC_UNMARSHAL:
		return "RXGEN_CC_UNMARSHAL";
	case RXGEN_SS_MARSHAL:
		return "RXGEN_SS_MARSHAL";
	case RXGEN_SS_UNMARSHAL:
		return "RXGEN_SS_UNMARSHAL";
	case RXGEN_DECODE:
		return "RXGEN_DECODE";
	case RXGEN_OPCODE:
		return "RXGEN_OPCODE";
	case TEST_CLIENT_ABORT:
		return "TEST_CLIENT_ABORT";
	case TEST_SERVER_ABORT:
		return "TEST_SERVER_ABORT";
	case RXKADINCONSISTENCY:
		return "RXKADINCONSISTENCY";
	case RXKADPACKETSHORT:
		return "RXKADPACKETSHORT";
	case RXKADLEVELFAIL:
		return "RXKADLEVELFAIL";
	case RXKADTICKETLEN:
		return "RXKADTICKETLEN";
	case RXKADOUTOFSEQUENCE:
		return "RXKADOUTOFSEQUENCE";
	case RXKADNOAUTH:
		return "RXKADNOAUTH";
	case RXKADBADKEY:
		return "RXKADBADKEY";
	case RXKADBADTICKET:
		return "RXKADBADTICKET";
	case RXKADUNKNOWNKEY:
		return "RXKADUNKNOWNKEY";
	case RXKADEXPIRED:
		return "RXKADEXPIRED";
	case RXKADSEALEDINCON:
		return "RXKADSEALEDINCON";
	case RXKADDATALEN:
		return "RXKADDATALEN";
	case RXKADILLEGALLEVEL:
		return "RXKADILLEGALLEVEL";
	default:
		return "?";
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool parse_long(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 0);
	if (errno || end == s)
		return false;
	/* Accept k/K, m/M, g/G binary suffixes for sizes. */
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

static long long need_num(const char *opt, const char *arg, long long lo, long long hi)
{
	long long v;

	if (!parse_long(arg, &v) || v < lo || v > hi) {
		fprintf(stderr, "openafs_peer: bad value for %s: '%s' (range %lld..%lld)\n", opt, arg, lo, hi);
		exit(2);
	}
	return v;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool all_zero(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Settings both roles share; applied around rx_Init. */
struct rx_tuning {
	int nojumbo;
	int maxmtu;
	int window;
	int udpbuf_kib;
	int min_peer_timeout_ms;
	int hot_threads;
};

static int rx_setup(const struct rx_tuning *tn, uint32_t host_nbo, int port)
{
	int rc;

	if (tn->hot_threads)
		rx_EnableHotThread();
	if (tn->udpbuf_kib > 0)
		rx_SetUdpBufSize(tn->udpbuf_kib * 1024);
	rc = rx_InitHost(host_nbo, htons((unsigned short)port));
	if (rc) {
		fprintf(stderr, "openafs_peer: rx_Init(port %d) failed: %d\n", port, rc);
		return -1;
	}
	if (tn->nojumbo)
		rx_SetNoJumbo();
	if (tn->maxmtu && rx_SetMaxMTU(tn->maxmtu) != 0) {
		fprintf(stderr, "openafs_peer: rx_SetMaxMTU(%d) rejected\n", tn->maxmtu);
		return -1;
	}
	if (tn->window) {
		rx_SetMaxReceiveWindow(tn->window);
		rx_SetMaxSendWindow(tn->window);
		/* A call advertises rx_initReceiveWindow (16) until its reader takes the
		 * first packet, then rx_maxReceiveWindow; rxi_SendAck() kills the call
		 * (RX_CALL_DEAD) when packets already queued lie beyond the shrunk window.
		 * A smaller -W must therefore cap the initial windows too. */
		if (rx_initReceiveWindow > tn->window)
			rx_initReceiveWindow = tn->window;
		if (rx_initSendWindow > tn->window)
			rx_initSendWindow = tn->window;
	}
	if (tn->min_peer_timeout_ms)
		rx_SetMinPeerTimeout(tn->min_peer_timeout_ms);
	return 0;
}

static bool resolve4(const char *name, uint32_t *addr_nbo)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res;

	if (inet_pton(AF_INET, name, addr_nbo) == 1)
		return true;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return false;
	*addr_nbo = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return true;
}

/* ------------------------------------------------------------------ rxkad */

#define SEC_INDEX_RXKAD 2
/* getopt_long codes of the security options, shared by both roles (above any short option). */
enum {
	OPT_SECURITY = 0x100,
	OPT_KEY,
	OPT_KVNO,
	OPT_TICKET_EXPIRED,
	OPT_TICKET_NOT_YET_VALID,
	OPT_WRONG_KEY,
	OPT_WRONG_SESSION_KEY
};

/* The long options both roles take. */
/* clang-format off */
#define SEC_LONG_OPTIONS \
	{"security", required_argument, NULL, OPT_SECURITY}, \
	{"key", required_argument, NULL, OPT_KEY}, \
	{"kvno", required_argument, NULL, OPT_KVNO}
/* clang-format on */

/* rxkad settings of either role.  level -1: rxnull (security index 0) only. */
struct sec_cfg {
	int level; /* client: the level it asks for; server: the minimum it accepts */
	bool have_key;
	struct ktc_encryptionKey key; /* the service key (DES) the ticket is sealed with */
	int kvno;
	/* client only: broken credentials, to test the server's checks */
	bool ticket_expired, ticket_not_yet_valid, wrong_key, wrong_session_key;
};

static const char *const level_names[] = {"clear", "auth", "crypt"};

static const char *sec_name(const struct sec_cfg *sc)
{
	return sc->level < 0 ? "none" : level_names[sc->level];
}

static bool parse_key(const char *hex, struct ktc_encryptionKey *k)
{
	if (strlen(hex) != 16)
		return false;
	for (int i = 0; i < 8; i++) {
		unsigned v;

		if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		k->data[i] = (char)v;
	}
	return true;
}

/* Handles one security option; false if ch is not one. */
static bool sec_option(int ch, const char *arg, struct sec_cfg *sc)
{
	switch (ch) {
	case OPT_SECURITY:
		sc->level = -2;
		if (!strcmp(arg, "none"))
			sc->level = -1;
		for (int i = 0; i < 3; i++)
			if (!strcmp(arg, level_names[i]))
				sc->level = i;
		if (sc->level == -2) {
			fprintf(stderr, "openafs_peer: --security %s: expected none, clear, auth or crypt\n", arg);
			exit(2);
		}
		return true;
	case OPT_KEY:
		if (!parse_key(arg, &sc->key)) {
			fprintf(stderr, "openafs_peer: --key %s: expected 16 hex digits (an 8-byte DES key)\n", arg);
			exit(2);
		}
		sc->have_key = true;
		return true;
	case OPT_KVNO:
		sc->kvno = (int)need_num("--kvno", arg, 0, 255);
		return true;
	case OPT_TICKET_EXPIRED:
		sc->ticket_expired = true;
		return true;
	case OPT_TICKET_NOT_YET_VALID:
		sc->ticket_not_yet_valid = true;
		return true;
	case OPT_WRONG_KEY:
		sc->wrong_key = true;
		return true;
	case OPT_WRONG_SESSION_KEY:
		sc->wrong_session_key = true;
		return true;
	default:
		return false;
	}
}

static bool sec_valid(const struct sec_cfg *sc)
{
	bool broken = sc->ticket_expired || sc->ticket_not_yet_valid || sc->wrong_key || sc->wrong_session_key;

	if (sc->level >= 0 && !sc->have_key)
		fprintf(stderr, "openafs_peer: --security %s needs --key HEX16\n", sec_name(sc));
	else if (sc->level < 0 && (sc->have_key || broken))
		fprintf(stderr, "openafs_peer: --key and the ticket options need --security clear|auth|crypt\n");
	else
		return true;
	return false;
}

/* Odd parity in every byte, as a Kerberos KDC hands out DES keys. */
static void des_fix_parity(struct ktc_encryptionKey *k)
{
	for (int i = 0; i < 8; i++) {
		unsigned char b = (unsigned char)k->data[i] & 0xfe;

		k->data[i] = (char)(b | !(__builtin_popcount(b) & 1));
	}
}

/* Another valid DES key: two key bits flipped per byte keep the parity. */
static void other_key(struct ktc_encryptionKey *k)
{
	for (int i = 0; i < 8; i++)
		k->data[i] ^= 0x06;
}

/*
 * The client's security object: rxnull, or rxkad at the asked level with a
 * ticket for a fresh random session key, made by OpenAFS's tkt_MakeTicket
 * and sealed with the service key (a KDC's job, done here with the shared key).
 */
static struct rx_securityClass *client_security(const struct sec_cfg *sc)
{
	struct ktc_encryptionKey session, seal = sc->key;
	static char ticket[MAXKTCTICKETLEN];
	afs_uint32 now = (afs_uint32)time(NULL), start = now - 60, end = now + 8 * 3600;
	int len = 0, rc;

	if (sc->level < 0)
		return rxnull_NewClientSecurityObject();
	if (getrandom(session.data, sizeof(session.data), 0) != (ssize_t)sizeof(session.data)) {
		fprintf(stderr, "openafs_peer: getrandom failed: %s\n", strerror(errno));
		return NULL;
	}
	des_fix_parity(&session);
	/* Beyond the 15 minutes of clock skew rxkad allows (tkt_CheckTimes). */
	if (sc->ticket_expired) {
		start = now - 3 * 3600;
		end = now - 2 * 3600;
	} else if (sc->ticket_not_yet_valid) {
		start = now + 2 * 3600;
		end = now + 4 * 3600;
	}
	if (sc->wrong_key)
		other_key(&seal);
	rc = tkt_MakeTicket(ticket, &len, &seal, "rxperf", "", "RXD.TEST", start, end, &session, 0, "afs", "");
	if (rc != 0) {
		fprintf(stderr, "openafs_peer: tkt_MakeTicket failed: %d (%s)\n", rc, abort_name(rc));
		return NULL;
	}
	if (sc->wrong_session_key)
		other_key(&session);
	return rxkad_NewClientSecurityObject((rxkad_level)sc->level, &session, sc->kvno, len, ticket);
}

/* ------------------------------------------------------------------ server */

static struct {
	bool openafs_aborts; /* mimic OpenAFS rxperf: every failure aborts -1 */
	bool verify;	     /* check request payload is zeros */
	bool verbose;
	long long abort_reply_after; /* -1 = never */
	struct sec_cfg sec;
	atomic_ullong calls, failures;
} srv = {.verify = true, .abort_reply_after = -1, .sec = {.level = -1}};

/* The server's service key by kvno; an unknown kvno is refused with RXKADUNKNOWNKEY. */
static int server_get_key(void *rock, int kvno, struct ktc_encryptionKey *key)
{
	const struct sec_cfg *sc = rock;

	if (kvno != sc->kvno) {
		if (srv.verbose)
			fprintf(stderr, "openafs_peer server: rxkad: no key for kvno %d (have %d): %d (%s)\n", kvno,
				sc->kvno, (int)RXKADUNKNOWNKEY, abort_name(RXKADUNKNOWNKEY));
		return RXKADUNKNOWNKEY;
	}
	*key = sc->key;
	return 0;
}

static afs_int32 srv_fail(afs_int32 code, const char *why)
{
	atomic_fetch_add(&srv.failures, 1);
	if (srv.openafs_aborts)
		code = -1;
	if (srv.verbose)
		fprintf(stderr, "openafs_peer server: abort %d (%s): %s\n", code, abort_name(code), why);
	return code;
}

/*
 * An rx_Read/rx_Write came up short.  If the call already carries an error
 * (peer abort, timeout) report that, else the request was malformed.
 */
static afs_int32 srv_io_fail(struct rx_call *call, afs_int32 code, const char *why)
{
	afs_int32 err = rx_Error(call);

	if (err != 0) {
		if (srv.verbose)
			fprintf(stderr, "openafs_peer server: call failed with %d (%s) during %s\n", err,
				abort_name(err), why);
		return err;
	}
	return srv_fail(code, why);
}

/* Read exactly n bytes of request payload in chunks. */
static int srv_read_payload(struct rx_call *call, uint32_t n, char *buf, bool *nonzero)
{
	while (n > 0) {
		int want = n > PERF_IO_CHUNK ? PERF_IO_CHUNK : (int)n;
		int got = rx_Read(call, buf, want);

		if (got != want)
			return -1;
		if (srv.verify && !*nonzero && !all_zero(buf, got))
			*nonzero = true;
		n -= (uint32_t)want;
	}
	return 0;
}

/* Write n zero bytes; returns 1 if the test hook fired, -1 on rx failure. */
static int srv_write_payload(struct rx_call *call, uint32_t n)
{
	long long sent = 0;

	while (n > 0) {
		int want = n > PERF_IO_CHUNK ? PERF_IO_CHUNK : (int)n;

		if (srv.abort_reply_after >= 0 && sent + want > srv.abort_reply_after)
			want = (int)(srv.abort_reply_after - sent);
		if (want > 0 && rx_Write(call, zeros, want) != want)
			return -1;
		sent += want;
		n -= (uint32_t)want;
		if (srv.abort_reply_after >= 0 && sent >= srv.abort_reply_after)
			return 1;
	}
	return 0;
}

static afs_int32 srv_execute(struct rx_call *call)
{
	unsigned char hdr[16], args[8], tail[8];
	char *buf;
	uint32_t version, op, in_bytes = 0, out_bytes = 0;
	int nargs, got, w;
	bool nonzero = false;
	afs_int32 code = 0;

	atomic_fetch_add(&srv.calls, 1);
	if (rx_Read(call, (char *)hdr, 16) != 16)
		return srv_io_fail(call, RXGEN_SS_UNMARSHAL, "short request header");
	version = get32(hdr);
	op = get32(hdr + 4);
	/* hdr + 8, hdr + 12: the client's read/write chunk hints; not needed. */
	if (version != PERF_VERSION)
		return srv_fail(RX_USER_ABORT, "wrong rxperf version");

	switch (op) {
	case PERF_OP_SEND:
	case PERF_OP_RECV:
		nargs = 1;
		break;
	case PERF_OP_RPC:
		nargs = 2;
		break;
	default:
		return srv_fail(RXGEN_OPCODE, "unknown operation");
	}
	if (rx_Read(call, (char *)args, 4 * nargs) != 4 * nargs)
		return srv_io_fail(call, RXGEN_SS_UNMARSHAL, "short request arguments");
	if (op == PERF_OP_SEND)
		in_bytes = get32(args);
	else if (op == PERF_OP_RECV)
		out_bytes = get32(args);
	else {
		in_bytes = get32(args);
		out_bytes = get32(args + 4);
	}

	buf = malloc(PERF_IO_CHUNK);
	if (!buf)
		return srv_fail(RX_USER_ABORT, "out of memory");
	if (srv_read_payload(call, in_bytes, buf, &nonzero) != 0) {
		code = srv_io_fail(call, RXGEN_SS_UNMARSHAL, "short request payload");
		goto out;
	}
	if (nonzero) {
		code = srv_fail(RXGEN_SS_UNMARSHAL, "request payload not zeros");
		goto out;
	}
	/*
	 * The request ends at the client's LAST_PACKET.  Newer Linux clients add
	 * a 4-byte cookie; accept it, never require it, reject anything else.
	 */
	got = rx_Read(call, (char *)tail, sizeof(tail));
	if (got == 0 && rx_Error(call) != 0) {
		code = srv_io_fail(call, RXGEN_SS_UNMARSHAL, "request end");
		goto out;
	}
	if (got != 0 && !(got == 4 && get32(tail) == PERF_COOKIE)) {
		code = srv_fail(RXGEN_SS_UNMARSHAL, "unexpected trailing request bytes");
		goto out;
	}

	w = srv_write_payload(call, out_bytes);
	if (w == 1) {
		code = TEST_SERVER_ABORT; /* test hook, not a failure */
		goto out;
	}
	if (w < 0) {
		code = srv_io_fail(call, RX_CALL_DEAD, "reply write");
		goto out;
	}
	put32(tail, PERF_COOKIE);
	if (rx_Write(call, (char *)tail, 4) != 4)
		code = srv_io_fail(call, RX_CALL_DEAD, "cookie write");
out:
	free(buf);
	return code;
}

static void server_usage(void)
{
	fprintf(stderr, "usage: openafs_peer server [-p PORT] [-a BINDADDR] [-j] [-m MTU] [-W WINDOW]\n"
			"         [-u UDPBUF_KIB] [-P MIN_PEER_TIMEOUT_MS] [-H] [--min-procs N]\n"
			"         [--max-procs N] [--no-check-reach] [--no-verify] [--openafs-aborts]\n"
			"         [--abort-reply-after BYTES] [-v]\n"
			"         [--security clear|auth|crypt --key HEX16 [--kvno N]]\n"
			"  --security L  also offer rxkad (security index 2; rxnull stays at 0), L the minimum\n"
			"                level a client must use (--min-level L says the same)\n"
			"  --key HEX16   the service key (8-byte DES) tickets are sealed with\n"
			"  --kvno N      its key version (0); another kvno is refused with RXKADUNKNOWNKEY\n");
	exit(2);
}

static int run_server(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"min-procs", required_argument, NULL, 1},
	    {"max-procs", required_argument, NULL, 2},
	    {"no-check-reach", no_argument, NULL, 3},
	    {"no-verify", no_argument, NULL, 4},
	    {"openafs-aborts", no_argument, NULL, 5},
	    {"abort-reply-after", required_argument, NULL, 6},
	    SEC_LONG_OPTIONS,
	    {"min-level", required_argument, NULL, OPT_SECURITY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct rx_tuning tn = {.udpbuf_kib = 4096};
	struct rx_securityClass *sec[SEC_INDEX_RXKAD + 1] = {NULL};
	struct rx_service *svc;
	uint32_t host = htonl(INADDR_ANY);
	int port = PERF_PORT, min_procs = 4, max_procs = 160, check_reach = 1, ch;

	while ((ch = getopt_long(argc, argv, "p:a:jm:W:u:P:Hvh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			port = (int)need_num("-p", optarg, 1, 65535);
			break;
		case 'a':
			if (!resolve4(optarg, &host)) {
				fprintf(stderr, "openafs_peer: cannot resolve %s\n", optarg);
				return 2;
			}
			break;
		case 'j':
			tn.nojumbo = 1;
			break;
		case 'm':
			tn.maxmtu = (int)need_num("-m", optarg, 500, 65535);
			break;
		case 'W':
			tn.window = (int)need_num("-W", optarg, 1, 255);
			break;
		case 'u':
			tn.udpbuf_kib = (int)need_num("-u", optarg, 0, 1 << 20);
			break;
		case 'P':
			tn.min_peer_timeout_ms = (int)need_num("-P", optarg, 1, 60000);
			break;
		case 'H':
			tn.hot_threads = 1;
			break;
		case 'v':
			srv.verbose = true;
			break;
		case 1:
			min_procs = (int)need_num("--min-procs", optarg, 1, 4096);
			break;
		case 2:
			max_procs = (int)need_num("--max-procs", optarg, 1, 4096);
			break;
		case 3:
			check_reach = 0;
			break;
		case 4:
			srv.verify = false;
			break;
		case 5:
			srv.openafs_aborts = true;
			break;
		case 6:
			srv.abort_reply_after = need_num("--abort-reply-after", optarg, 0, UINT32_MAX);
			break;
		default:
			if (!sec_option(ch, optarg, &srv.sec))
				server_usage();
		}
	}
	if (optind != argc)
		server_usage();
	if (max_procs < min_procs)
		max_procs = min_procs;
	if (!sec_valid(&srv.sec))
		server_usage();

	if (rx_setup(&tn, host, port) != 0)
		return 1;
	sec[0] = rxnull_NewServerSecurityObject();
	if (srv.sec.level >= 0)
		sec[SEC_INDEX_RXKAD] =
		    rxkad_NewServerSecurityObject((rxkad_level)srv.sec.level, &srv.sec, server_get_key, NULL);
	svc = rx_NewService(0, PERF_SERVICE, "rxperf", sec, srv.sec.level >= 0 ? SEC_INDEX_RXKAD + 1 : 1, srv_execute);
	if (!svc) {
		fprintf(stderr, "openafs_peer: rx_NewService failed\n");
		return 1;
	}
	rx_SetMinProcs(svc, min_procs);
	rx_SetMaxProcs(svc, max_procs);
	/* OpenAFS rxperf pings a new client before serving it; keep that. */
	rx_SetCheckReach(svc, check_reach);

	fprintf(stderr,
		"openafs_peer server: listening on UDP %d service %d (jumbo %s, procs %d..%d, rxkad %s, kvno %d)\n",
		port, PERF_SERVICE, tn.nojumbo ? "off" : "on", min_procs, max_procs,
		srv.sec.level >= 0 ? sec_name(&srv.sec) : "off", srv.sec.kvno);
	fflush(stderr);
	rx_StartServer(1); /* donates this thread; does not return */
	return 1;
}

/* ------------------------------------------------------------------ client */

enum call_result { CALL_OK, CALL_EXPECTED_ABORT, CALL_ERROR };

struct client_cfg {
	uint32_t addr;
	int port;
	int service;
	int op; /* raw op on the wire */
	const char *cmd_name;
	uint32_t version;
	uint32_t send_bytes, recv_bytes;
	uint32_t rsize_hint, wsize_hint;
	long long calls; /* total across threads; 0 = use duration */
	double duration;
	int threads;
	bool cookie;
	bool verify;
	bool json_only;
	long long abort_after;	/* -1 = never */
	long long expect_abort; /* LLONG_MIN = none */
	bool have_expect;
	int max_msgs;
	struct sec_cfg sec;
};

struct thread_ctx {
	pthread_t tid;
	const struct client_cfg *cfg;
	struct rx_connection *conn;
	uint64_t *lat_ns;
	size_t nlat, cap;
	unsigned long long ok, aborts, errors, bytes;
};

static atomic_llong next_call;
static atomic_int msgs_printed;
static atomic_int stop_flag;
static double deadline;

static void call_msg(const struct client_cfg *cfg, const char *fmt, afs_int32 code)
{
	if (atomic_fetch_add(&msgs_printed, 1) < cfg->max_msgs)
		fprintf(stderr, fmt, code, abort_name(code));
}

static int cl_write(struct rx_call *call, const char *p, int n)
{
	return rx_Write(call, (char *)p, n) == n ? 0 : -1;
}

/*
 * Run one rxperf call.  Returns the outcome; *err holds the abort/error code.
 * The test hook aborts locally after abort_after payload bytes moved.
 */
static enum call_result run_call(struct thread_ctx *tc, afs_int32 *err, char *buf)
{
	const struct client_cfg *cfg = tc->cfg;
	unsigned char req[32];
	struct rx_call *call;
	long long moved = 0, budget = cfg->abort_after;
	uint32_t n;
	int len = 0, got;
	bool bad_data = false;
	afs_int32 code;

	call = rx_NewCall(tc->conn);
	if (!call) {
		*err = RX_CALL_DEAD;
		return CALL_ERROR;
	}
	put32(req + len, cfg->version);
	len += 4;
	put32(req + len, (uint32_t)cfg->op);
	len += 4;
	put32(req + len, cfg->rsize_hint);
	len += 4;
	put32(req + len, cfg->wsize_hint);
	len += 4;
	switch (cfg->op) {
	case PERF_OP_SEND:
		put32(req + len, cfg->send_bytes);
		len += 4;
		break;
	case PERF_OP_RECV:
		put32(req + len, cfg->recv_bytes);
		len += 4;
		break;
	default: /* RPC, and any raw op under test */
		put32(req + len, cfg->send_bytes);
		len += 4;
		put32(req + len, cfg->recv_bytes);
		len += 4;
		break;
	}
	if (cl_write(call, (char *)req, len) != 0)
		goto rx_failed;

	/* Request payload. */
	n = cfg->op == PERF_OP_RECV ? 0 : cfg->send_bytes;
	while (n > 0) {
		int want = n > PERF_IO_CHUNK ? PERF_IO_CHUNK : (int)n;

		if (budget >= 0 && moved + want > budget)
			want = (int)(budget - moved);
		if (want > 0 && cl_write(call, zeros, want) != 0)
			goto rx_failed;
		moved += want;
		n -= (uint32_t)want;
		if (budget >= 0 && moved >= budget)
			goto local_abort;
	}
	if (cfg->cookie) {
		put32(req, PERF_COOKIE);
		if (cl_write(call, (char *)req, 4) != 0)
			goto rx_failed;
	}

	/* Reply payload. */
	n = cfg->op == PERF_OP_SEND ? 0 : cfg->recv_bytes;
	if (budget >= 0 && moved >= budget)
		goto local_abort;
	while (n > 0) {
		int want = n > PERF_IO_CHUNK ? PERF_IO_CHUNK : (int)n;

		if (budget >= 0 && moved + want > budget)
			want = (int)(budget - moved);
		if (want > 0) {
			got = rx_Read(call, buf, want);
			if (got != want)
				goto rx_failed;
			if (cfg->verify && !bad_data && !all_zero(buf, got))
				bad_data = true;
		}
		moved += want;
		n -= (uint32_t)want;
		if (budget >= 0 && moved >= budget)
			goto local_abort;
	}
	/* Cookie, then the reply must end exactly there. */
	got = rx_Read(call, buf, 4);
	if (got != 4)
		goto rx_failed;
	if (get32((unsigned char *)buf) != PERF_COOKIE) {
		rx_EndCall(call, RX_USER_ABORT);
		*err = RX_USER_ABORT;
		call_msg(cfg, "openafs_peer client: wrong reply cookie (%d %s)\n", RX_USER_ABORT);
		return CALL_ERROR;
	}
	got = rx_Read(call, buf, 1);
	if (got != 0) {
		code = got > 0 ? RX_USER_ABORT : rx_Error(call);
		rx_EndCall(call, RX_USER_ABORT);
		*err = code;
		call_msg(cfg, "openafs_peer client: reply longer than expected (%d %s)\n", code);
		return CALL_ERROR;
	}
	code = rx_EndCall(call, 0);
	*err = code;
	if (code != 0)
		goto classify;
	if (bad_data) {
		call_msg(cfg, "openafs_peer client: reply payload not zeros (%d %s)\n", RX_USER_ABORT);
		*err = RX_USER_ABORT;
		return CALL_ERROR;
	}
	tc->bytes += (cfg->op == PERF_OP_RECV ? 0 : cfg->send_bytes) + (cfg->op == PERF_OP_SEND ? 0 : cfg->recv_bytes);
	return CALL_OK;

local_abort:
	code = rx_EndCall(call, TEST_CLIENT_ABORT);
	*err = code ? code : TEST_CLIENT_ABORT;
	return *err == TEST_CLIENT_ABORT ? CALL_EXPECTED_ABORT : CALL_ERROR;

rx_failed:
	code = rx_Error(call);
	{
		afs_int32 end = rx_EndCall(call, 0);
		if (code == 0)
			code = end;
	}
	if (code == 0)
		code = RX_EOF; /* short reply without an abort */
	*err = code;
classify:
	if (cfg->have_expect && code == cfg->expect_abort)
		return CALL_EXPECTED_ABORT;
	call_msg(cfg, "openafs_peer client: call failed, abort code %d (%s)\n", code);
	return CALL_ERROR;
}

static void *client_thread(void *arg)
{
	struct thread_ctx *tc = arg;
	const struct client_cfg *cfg = tc->cfg;
	char *buf = malloc(PERF_IO_CHUNK);

	if (!buf) {
		tc->errors++;
		return NULL;
	}
	for (;;) {
		long long idx = atomic_fetch_add(&next_call, 1);
		enum call_result r;
		afs_int32 err = 0;
		uint64_t t0;

		if (atomic_load(&stop_flag))
			break;
		if (cfg->calls > 0 && idx >= cfg->calls)
			break;
		if (cfg->calls == 0 && now_s() >= deadline)
			break;
		t0 = now_ns();
		r = run_call(tc, &err, buf);
		if (tc->nlat == tc->cap) {
			size_t ncap = tc->cap ? tc->cap * 2 : 1024;
			uint64_t *p = realloc(tc->lat_ns, ncap * sizeof(*p));

			if (!p) {
				tc->errors++;
				break;
			}
			tc->lat_ns = p;
			tc->cap = ncap;
		}
		tc->lat_ns[tc->nlat++] = now_ns() - t0;
		if (r == CALL_OK)
			tc->ok++;
		else if (r == CALL_EXPECTED_ABORT)
			tc->aborts++;
		else
			tc->errors++;
	}
	free(buf);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0.0;
	i = (size_t)(p * (double)n + 0.999999);
	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return (double)v[i - 1] / 1000.0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "openafs_peer: timeout, giving up\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(3);
}

static void client_usage(void)
{
	fprintf(stderr, "usage: openafs_peer client [-a ADDR] [-p PORT] -c send|recv|rpc [-S BYTES]\n"
			"         [-R BYTES] [-b BYTES] [-T CALLS | -d SECONDS] [-t THREADS] [-j] [-m MTU]\n"
			"         [-W WINDOW] [-u UDPBUF_KIB] [-P MIN_PEER_TIMEOUT_MS] [-H] [-l LOCALPORT]\n"
			"         [-r RHINT] [-w WHINT] [--cookie] [--json] [--no-verify]\n"
			"         [--abort-after BYTES] [--expect-abort CODE] [--service N] [--op N]\n"
			"         [--proto-version N] [--warmup N] [--timeout SECONDS] [--linger-ms MS]\n"
			"         [--security none|clear|auth|crypt --key HEX16 [--kvno N] [--ticket-expired]\n"
			"          [--ticket-not-yet-valid] [--wrong-key] [--wrong-session-key]]\n"
			"  --security L  rxkad at level L (security index 2) with a ticket for a random session\n"
			"                key sealed with the service key --key (16 hex digits), version --kvno (0)\n"
			"  --ticket-expired / --ticket-not-yet-valid  ticket times 2 hours in the past / future\n"
			"  --wrong-key   seal the ticket with a key other than --key\n"
			"  --wrong-session-key  answer the challenge with a session key other than the ticket's\n"
			"  -T is the total number of calls over all threads; MB = 10^6 bytes.\n"
			"  Exit 0 only if every call succeeded or ended with an expected abort.\n");
	exit(2);
}

static int run_client(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"cookie", no_argument, NULL, 1},
	    {"json", no_argument, NULL, 2},
	    {"no-verify", no_argument, NULL, 3},
	    {"abort-after", required_argument, NULL, 4},
	    {"expect-abort", required_argument, NULL, 5},
	    {"service", required_argument, NULL, 6},
	    {"op", required_argument, NULL, 7},
	    {"proto-version", required_argument, NULL, 8},
	    {"warmup", required_argument, NULL, 9},
	    {"timeout", required_argument, NULL, 10},
	    {"linger-ms", required_argument, NULL, 11},
	    SEC_LONG_OPTIONS,
	    {"ticket-expired", no_argument, NULL, OPT_TICKET_EXPIRED},
	    {"ticket-not-yet-valid", no_argument, NULL, OPT_TICKET_NOT_YET_VALID},
	    {"wrong-key", no_argument, NULL, OPT_WRONG_KEY},
	    {"wrong-session-key", no_argument, NULL, OPT_WRONG_SESSION_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct client_cfg cfg = {
	    .port = PERF_PORT,
	    .service = PERF_SERVICE,
	    .op = -1,
	    .version = PERF_VERSION,
	    .rsize_hint = PERF_MAX_CHUNK,
	    .wsize_hint = PERF_MAX_CHUNK,
	    .calls = 1,
	    .threads = 1,
	    .verify = true,
	    .abort_after = -1,
	    .max_msgs = 10,
	    .sec = {.level = -1},
	};
	struct rx_tuning tn = {.udpbuf_kib = 4096};
	struct rx_securityClass *sec;
	struct rx_connection **conns;
	struct thread_ctx *tcs;
	const char *addr = "127.0.0.1";
	uint64_t *all;
	size_t nall = 0;
	unsigned long long ok = 0, aborts = 0, errors = 0, bytes = 0;
	long long warmup = 0, timeout_s = 0, linger_ms = 0;
	int local_port = 0, nconns, ch, raw_op = -1;
	double t_start, secs;

	while ((ch = getopt_long(argc, argv, "a:p:c:S:R:b:T:d:t:jm:W:u:P:Hl:r:w:h", lopts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			cfg.port = (int)need_num("-p", optarg, 1, 65535);
			break;
		case 'c':
			if (!strcmp(optarg, "send"))
				cfg.op = PERF_OP_SEND;
			else if (!strcmp(optarg, "recv"))
				cfg.op = PERF_OP_RECV;
			else if (!strcmp(optarg, "rpc"))
				cfg.op = PERF_OP_RPC;
			else {
				fprintf(stderr, "openafs_peer: unknown command %s\n", optarg);
				return 2;
			}
			cfg.cmd_name = optarg;
			break;
		case 'S':
			cfg.send_bytes = (uint32_t)need_num("-S", optarg, 0, INT32_MAX);
			break;
		case 'R':
			cfg.recv_bytes = (uint32_t)need_num("-R", optarg, 0, INT32_MAX);
			break;
		case 'b':
			cfg.send_bytes = cfg.recv_bytes = (uint32_t)need_num("-b", optarg, 0, INT32_MAX);
			break;
		case 'T':
			cfg.calls = need_num("-T", optarg, 0, LLONG_MAX);
			break;
		case 'd':
			cfg.duration = (double)need_num("-d", optarg, 1, 86400);
			break;
		case 't':
			cfg.threads = (int)need_num("-t", optarg, 1, 4096);
			break;
		case 'j':
			tn.nojumbo = 1;
			break;
		case 'm':
			tn.maxmtu = (int)need_num("-m", optarg, 500, 65535);
			break;
		case 'W':
			tn.window = (int)need_num("-W", optarg, 1, 255);
			break;
		case 'u':
			tn.udpbuf_kib = (int)need_num("-u", optarg, 0, 1 << 20);
			break;
		case 'P':
			tn.min_peer_timeout_ms = (int)need_num("-P", optarg, 1, 60000);
			break;
		case 'H':
			tn.hot_threads = 1;
			break;
		case 'l':
			local_port = (int)need_num("-l", optarg, 0, 65535);
			break;
		case 'r':
			cfg.rsize_hint = (uint32_t)need_num("-r", optarg, 0, UINT32_MAX);
			break;
		case 'w':
			cfg.wsize_hint = (uint32_t)need_num("-w", optarg, 0, UINT32_MAX);
			break;
		case 1:
			cfg.cookie = true;
			break;
		case 2:
			cfg.json_only = true;
			break;
		case 3:
			cfg.verify = false;
			break;
		case 4:
			cfg.abort_after = need_num("--abort-after", optarg, 0, LLONG_MAX);
			break;
		case 5:
			cfg.expect_abort = need_num("--expect-abort", optarg, INT32_MIN, INT32_MAX);
			cfg.have_expect = true;
			break;
		case 6:
			cfg.service = (int)need_num("--service", optarg, 0, 65535);
			break;
		case 7:
			raw_op = (int)need_num("--op", optarg, 0, UINT32_MAX);
			break;
		case 8:
			cfg.version = (uint32_t)need_num("--proto-version", optarg, 0, UINT32_MAX);
			break;
		case 9:
			warmup = need_num("--warmup", optarg, 0, 1000000);
			break;
		case 10:
			timeout_s = need_num("--timeout", optarg, 1, 86400);
			break;
		case 11:
			linger_ms = need_num("--linger-ms", optarg, 0, 60000);
			break;
		default:
			if (!sec_option(ch, optarg, &cfg.sec))
				client_usage();
		}
	}
	if (optind != argc)
		client_usage();
	if (cfg.op < 0 && raw_op < 0) {
		fprintf(stderr, "openafs_peer: -c send|recv|rpc (or --op N) is required\n");
		client_usage();
	}
	if (!sec_valid(&cfg.sec))
		client_usage();
	if (!cfg.cmd_name)
		cfg.cmd_name = "raw";
	if (raw_op >= 0)
		cfg.op = raw_op;
	if (cfg.duration > 0)
		cfg.calls = 0;
	else if (cfg.calls == 0)
		client_usage();
	if (!resolve4(addr, &cfg.addr)) {
		fprintf(stderr, "openafs_peer: cannot resolve %s\n", addr);
		return 2;
	}
	if (timeout_s > 0) {
		signal(SIGALRM, on_alarm);
		alarm((unsigned)timeout_s);
	}

	if (rx_setup(&tn, htonl(INADDR_ANY), local_port) != 0)
		return 1;
	sec = client_security(&cfg.sec);
	if (!sec)
		return 1;

	/* OpenAFS serves at most RX_MAXCALLS (4) calls per connection. */
	nconns = (cfg.threads + RX_MAXCALLS - 1) / RX_MAXCALLS;
	conns = calloc((size_t)nconns, sizeof(*conns));
	tcs = calloc((size_t)cfg.threads, sizeof(*tcs));
	if (!conns || !tcs)
		return 1;
	for (int i = 0; i < nconns; i++) {
		conns[i] = rx_NewConnection(cfg.addr, htons((unsigned short)cfg.port), (u_short)cfg.service, sec,
					    cfg.sec.level >= 0 ? SEC_INDEX_RXKAD : 0);
		if (!conns[i]) {
			fprintf(stderr, "openafs_peer: rx_NewConnection failed\n");
			return 1;
		}
	}

	/* Warm-up calls (reachability ping, RTT estimate) are not measured. */
	if (warmup > 0) {
		struct client_cfg wcfg = cfg;
		struct thread_ctx wtc = {.cfg = &wcfg};

		wcfg.calls = warmup;
		for (int i = 0; i < nconns; i++) {
			wtc.conn = conns[i];
			atomic_store(&next_call, 0);
			client_thread(&wtc);
		}
		free(wtc.lat_ns);
		if (wtc.errors) {
			fprintf(stderr, "openafs_peer: %llu warm-up calls failed\n", wtc.errors);
			errors += wtc.errors;
		}
	}

	atomic_store(&next_call, 0);
	t_start = now_s();
	deadline = t_start + cfg.duration;
	for (int i = 0; i < cfg.threads; i++) {
		tcs[i].cfg = &cfg;
		tcs[i].conn = conns[i / RX_MAXCALLS];
		if (pthread_create(&tcs[i].tid, NULL, client_thread, &tcs[i]) != 0) {
			fprintf(stderr, "openafs_peer: pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < cfg.threads; i++) {
		pthread_join(tcs[i].tid, NULL);
		ok += tcs[i].ok;
		aborts += tcs[i].aborts;
		errors += tcs[i].errors;
		bytes += tcs[i].bytes;
		nall += tcs[i].nlat;
	}
	secs = now_s() - t_start;

	all = malloc((nall ? nall : 1) * sizeof(*all));
	if (!all)
		return 1;
	nall = 0;
	for (int i = 0; i < cfg.threads; i++) {
		memcpy(all + nall, tcs[i].lat_ns, tcs[i].nlat * sizeof(*all));
		nall += tcs[i].nlat;
		free(tcs[i].lat_ns);
	}
	qsort(all, nall, sizeof(*all), cmp_u64);

	{
		double cps = secs > 0 ? (double)nall / secs : 0.0;
		double mbps = secs > 0 ? (double)bytes / secs / 1e6 : 0.0;
		double p50 = pct_us(all, nall, 0.50), p99 = pct_us(all, nall, 0.99);
		double p999 = pct_us(all, nall, 0.999);

		if (!cfg.json_only) {
			printf("openafs-rx %s: send %u B, recv %u B, threads %d, conns %d, jumbo %s, security %s%s\n",
			       cfg.cmd_name, cfg.op == PERF_OP_RECV ? 0 : cfg.send_bytes,
			       cfg.op == PERF_OP_SEND ? 0 : cfg.recv_bytes, cfg.threads, nconns,
			       tn.nojumbo ? "off" : "on", sec_name(&cfg.sec), cfg.cookie ? ", request cookie" : "");
			printf("%10s %10s %12s %10s %10s %10s %10s %8s %8s\n", "calls", "secs", "calls/s", "MB/s",
			       "p50_us", "p99_us", "p999_us", "aborts", "errors");
			printf("%10zu %10.3f %12.1f %10.2f %10.1f %10.1f %10.1f %8llu %8llu\n", nall, secs, cps, mbps,
			       p50, p99, p999, aborts, errors);
		}
		struct rx_statistics *rs = rx_GetStatistics();
		struct rxd_result r = {
		    .impl = "openafs-rx",
		    .retransmissions = rs ? (uint64_t)rs->dataPacketsReSent : 0,
		    .scenario = cfg.cmd_name,
		    .req_bytes = cfg.op == PERF_OP_RECV ? 0 : cfg.send_bytes,
		    .reply_bytes = cfg.op == PERF_OP_SEND ? 0 : cfg.recv_bytes,
		    .concurrency = (uint64_t)cfg.threads,
		    .calls = nall,
		    .calls_ok = ok,
		    .calls_failed = errors,
		    .expected_aborts = aborts,
		    .secs = secs,
		    .calls_per_s = cps,
		    .mb_per_s = mbps,
		    .p50_us = p50,
		    .p99_us = p99,
		    .p999_us = p999,
		};
		if (rs)
			rx_FreeStatistics(&rs);
		printf("{");
		rxd_result_json(stdout, &r);
		printf(",\"op\":%d,\"conns\":%d,\"jumbo\":%s,\"security\":\"%s\"}\n", cfg.op, nconns,
		       tn.nojumbo ? "false" : "true", sec_name(&cfg.sec));
		fflush(stdout);
	}
	free(all);
	/*
	 * --linger-ms: stay a moment so that rx sends the ACKs it defers (the ACK
	 * of a reply's last packet waits up to 400 ms, rx_lastAckDelay); a server
	 * would otherwise see the last calls unacknowledged and the port gone.
	 */
	if (linger_ms > 0) {
		struct timespec ts = {linger_ms / 1000, (linger_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	/*
	 * Skip rx_Finalize: with calls still dallying it can block; the kernel
	 * closes the socket.
	 */
	_exit(errors ? 1 : 0);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "server"))
		return run_server(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return run_client(argc - 1, argv + 1);
	fprintf(stderr, "usage: openafs_peer server|client [options]   (--help for details)\n");
	return 2;
}
