/* SPDX-License-Identifier: MIT */
/*
 * Checks an rxkad-k5 ticket a real MIT KDC issued (run by kdc_rxkad_k5.sh):
 *   kdc_ticket_check CCACHE KEYTAB CELL REALM OUTDIR
 * takes the afs/CELL@REALM credential from the ccache as aklog would, loads
 * the keytab into a keyring and opens the ticket both as aklog sends it by
 * default (kvno 256, the whole DER Ticket) and as "aklog -524"-style
 * enc-part only (kvno 213, aklog's skipwrap).  The client name, realm,
 * times and the rxkad-kdf session key must agree with what the ccache says;
 * a flipped byte must give BADTICKET and an empty ring UNKNOWNKEY.  The
 * tickets are written to OUTDIR as fuzz seeds.  Built with OpenAFS
 * (RXD_KDC_OPENAFS), OpenAFS's own tkt_DecodeTicket5 (src/rxkad/ticket5.c)
 * opens the same tickets with the same keys and must find the same name,
 * instance, cell, session key and times.  Exit 0 on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5/krb5.h>

#include "security/rxkad_keys.h"

#define SERVICE 1u
#define SECIDX 2u

static int failed;

#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                           \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
			failed = 1;                                                                                    \
		}                                                                                                      \
	} while (0)

/* One DER header at p (len bytes left): tag, content length, header size. 0 or -1. */
static int der(const uint8_t *p, size_t len, uint8_t *tag, size_t *clen, size_t *hlen)
{
	size_t n, i, h;

	if (len < 2)
		return -1;
	*tag = p[0];
	if (p[1] < 0x80) {
		n = p[1];
		h = 2;
	} else {
		unsigned k = p[1] & 0x7f;

		if (k == 0 || k > 3 || len < 2 + k)
			return -1;
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
		h = 2 + k;
	}
	if (n > len - h)
		return -1;
	*clen = n;
	*hlen = h;
	return 0;
}

/* aklog's skipwrap: the [3] enc-part element of a Ticket, as its own DER bytes. */
static int encpart_of(const uint8_t *t, size_t len, const uint8_t **ep, size_t *eplen)
{
	uint8_t tag;
	size_t cl, hl, pos;

	if (der(t, len, &tag, &cl, &hl) || tag != 0x61)
		return -1;
	t += hl;
	len = cl;
	if (der(t, len, &tag, &cl, &hl) || tag != 0x30)
		return -1;
	t += hl;
	len = cl;
	for (pos = 0; pos < len;) {
		if (der(t + pos, len - pos, &tag, &cl, &hl))
			return -1;
		if (tag == 0xa3) {
			*ep = t + pos + hl;
			*eplen = cl;
			return 0;
		}
		pos += hl + cl;
	}
	return -1;
}

/* A fuzz_rxkad_k5 input: mode (0: Ticket, 1: enc-part, 2: EncTicketPart plaintext), now, bytes. */
static void save(const char *dir, const char *name, uint8_t mode, uint32_t now, const void *b, size_t n)
{
	char path[4096];
	uint8_t head[5] = {mode, (uint8_t)(now >> 24), (uint8_t)(now >> 16), (uint8_t)(now >> 8), (uint8_t)now};
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(head, 1, sizeof(head), f);
	fwrite(b, 1, n, f);
	fclose(f);
}

/* The ticket's EncTicketPart plaintext, decrypted with the keytab's key (a fuzz seed for mode 2). */
static void save_plain(krb5_context ctx, const char *ktname, const krb5_creds *cr, const char *dir, uint32_t now)
{
	krb5_keytab kt;
	krb5_keytab_entry e;
	krb5_ticket *tk;
	krb5_data plain;

	if (krb5_decode_ticket(&cr->ticket, &tk))
		return;
	if (krb5_kt_resolve(ctx, ktname, &kt) == 0) {
		if (krb5_kt_get_entry(ctx, kt, tk->server, tk->enc_part.kvno, tk->enc_part.enctype, &e) == 0) {
			plain.length = tk->enc_part.ciphertext.length;
			plain.data = malloc(plain.length);
			if (plain.data && krb5_c_decrypt(ctx, &e.key, 2, NULL, &tk->enc_part, &plain) == 0)
				save(dir, "kdc_enc_tkt_part", 2, now, plain.data, plain.length);
			free(plain.data);
			krb5_free_keytab_entry_contents(ctx, &e);
		}
		krb5_kt_close(ctx, kt);
	}
	krb5_free_ticket(ctx, tk);
}

#ifdef RXD_KDC_OPENAFS
/* OpenAFS's decoder, declared with src/auth/ktc.h's key layout (its headers clash with rxd/wire.h). */
struct ktc_encryptionKey {
	char data[8];
};
extern int tkt_DecodeTicket5(char *ticket, int32_t ticket_len, int (*get_key)(void *, int, struct ktc_encryptionKey *),
			     int (*get_key2)(void *, int, int, void *, size_t *), char *get_key_rock, int serv_kvno,
			     char *name, char *inst, char *cell, struct ktc_encryptionKey *session_key, int32_t *host,
			     uint32_t *start, uint32_t *end, int32_t disableDotCheck);

static int afs_get_des_key(void *rock, int kvno, struct ktc_encryptionKey *key)
{
	(void)rock, (void)kvno, (void)key;
	return 1; /* the KDC issues no single-DES tickets */
}

/* OpenAFS's key callback, served from rxd's ring. */
static int afs_get_key(void *rock, int kvno, int enctype, void *keydata, size_t *len)
{
	struct rxd_rxkad_service_key k;

	if (rxd_rxkad_keyring_lookup(rock, SERVICE, SECIDX, (uint32_t)kvno, enctype, &k) || k.len > *len)
		return 1;
	memcpy(keydata, k.key, k.len);
	*len = k.len;
	return 0;
}

static void openafs_compare(const struct rxd_rxkad_keyring *kr, uint32_t kvno, const uint8_t *tkt, size_t len,
			    const struct rxd_rxkad_ticket *mine, const char *what)
{
	char name[64] = "", inst[64] = "", cell[64] = "";
	struct ktc_encryptionKey sk;
	int32_t host;
	uint32_t start = 0, end = 0;
	int rc = tkt_DecodeTicket5((char *)(uintptr_t)tkt, (int32_t)len, afs_get_des_key, afs_get_key,
				   (char *)(uintptr_t)kr, (int)kvno, name, inst, cell, &sk, &host, &start, &end, 0);

	CHECK(rc == 0, "%s: OpenAFS tkt_DecodeTicket5: %d", what, rc);
	if (rc)
		return;
	CHECK(!strcmp(name, mine->name) && !strcmp(inst, mine->instance) && !strcmp(cell, mine->cell),
	      "%s: OpenAFS %s.%s@%s, rxd %s.%s@%s", what, name, inst, cell, mine->name, mine->instance, mine->cell);
	CHECK(!memcmp(sk.data, mine->session_key, 8), "%s: OpenAFS derives another session key", what);
	CHECK(start == mine->start && end == mine->end, "%s: OpenAFS times %u..%u", what, start, end);
	printf("ok %s: OpenAFS tkt_DecodeTicket5 agrees\n", what);
}
#endif

static void open_and_compare(const struct rxd_rxkad_keyring *kr, uint32_t kvno, const uint8_t *tkt, size_t len,
			     krb5_context ctx, const krb5_creds *cr, const char *what)
{
	struct rxd_rxkad_ticket t;
	uint8_t want[8];
	int32_t abort = 0;
	int rc;
	char cname[256] = "", cinst[256] = "";
	uint32_t now = (uint32_t)cr->times.authtime + 5;

	rc = rxd_rxkad_open_ticket(kr, SERVICE, SECIDX, kvno, tkt, len, now, &t, &abort);
	CHECK(rc == 0, "%s: open: rc %d abort %s", what, rc, rxd_rxkad_abort_name(abort));
	if (rc)
		return;
	snprintf(cname, sizeof(cname), "%.*s", (int)cr->client->data[0].length, cr->client->data[0].data);
	if (cr->client->length > 1)
		snprintf(cinst, sizeof(cinst), "%.*s", (int)cr->client->data[1].length, cr->client->data[1].data);
	CHECK(strcmp(t.name, cname) == 0, "%s: name %s, ccache %s", what, t.name, cname);
	CHECK(strcmp(t.instance, cinst) == 0, "%s: instance '%s', ccache '%s'", what, t.instance, cinst);
	CHECK(strlen(t.cell) == cr->client->realm.length &&
		  memcmp(t.cell, cr->client->realm.data, cr->client->realm.length) == 0,
	      "%s: cell %s", what, t.cell);
	CHECK(t.start == (uint32_t)(cr->times.starttime ? cr->times.starttime : cr->times.authtime), "%s: start %u",
	      what, t.start);
	CHECK(t.end == (uint32_t)cr->times.endtime, "%s: end %u vs %u", what, t.end, (uint32_t)cr->times.endtime);
	CHECK(rxd_rxkad_derive_des_key(cr->keyblock.enctype, cr->keyblock.contents, cr->keyblock.length, want) == 0,
	      "%s: kdf", what);
	CHECK(memcmp(t.session_key, want, 8) == 0, "%s: session key differs from the ccache's (enctype %d)", what,
	      cr->keyblock.enctype);
	printf("ok %s: %s%s%s@%s session enctype %d -> DES %02x%02x%02x%02x%02x%02x%02x%02x, %u..%u\n", what, t.name,
	       t.instance[0] ? "." : "", t.instance, t.cell, cr->keyblock.enctype, t.session_key[0], t.session_key[1],
	       t.session_key[2], t.session_key[3], t.session_key[4], t.session_key[5], t.session_key[6],
	       t.session_key[7], t.start, t.end);

#ifdef RXD_KDC_OPENAFS
	openafs_compare(kr, kvno, tkt, len, &t, what);
#endif
	/* expired a day later: EXPIRED, not accepted */
	rc = rxd_rxkad_open_ticket(kr, SERVICE, SECIDX, kvno, tkt, len, t.end + 3600u, &t, &abort);
	CHECK(rc == -EPROTO && abort == RXD_RXKAD_EXPIRED, "%s: expired: rc %d abort %d", what, rc, abort);
	(void)ctx;
}

int main(int argc, char **argv)
{
	krb5_context ctx;
	krb5_ccache cc;
	krb5_creds mcred, cr;
	krb5_principal server;
	struct rxd_rxkad_keyring *kr, *empty;
	char err[256] = "", sp[512];
	const uint8_t *ep;
	size_t eplen;
	uint8_t *bad;
	struct rxd_rxkad_ticket t;
	int32_t abort;
	uint32_t now;
	int rc;

	if (argc != 6) {
		fprintf(stderr, "usage: %s CCACHE KEYTAB CELL REALM OUTDIR\n", argv[0]);
		return 2;
	}
	if (krb5_init_context(&ctx) || krb5_cc_resolve(ctx, argv[1], &cc)) {
		fprintf(stderr, "cannot open ccache %s\n", argv[1]);
		return 1;
	}
	snprintf(sp, sizeof(sp), "afs/%s@%s", argv[3], argv[4]);
	if (krb5_parse_name(ctx, sp, &server))
		return 1;
	memset(&mcred, 0, sizeof(mcred));
	mcred.server = server;
	if (krb5_cc_get_principal(ctx, cc, &mcred.client) || krb5_cc_retrieve_cred(ctx, cc, 0, &mcred, &cr)) {
		fprintf(stderr, "no %s credential in %s\n", sp, argv[1]);
		return 1;
	}

	kr = rxd_rxkad_keyring_new();
	empty = rxd_rxkad_keyring_new();
	if (!kr || !empty)
		return 1;
	rc = rxd_rxkad_load_keytab(kr, argv[2], argv[3], argv[4], SERVICE, SECIDX, err, sizeof(err));
	CHECK(rc == 0, "load keytab: %d %s", rc, err);
	printf("keytab %s: %zu keys\n", argv[2], rxd_rxkad_keyring_count(kr));

	open_and_compare(kr, RXD_RXKAD_TKT_TYPE_KERBEROS_V5, (const uint8_t *)cr.ticket.data, cr.ticket.length, ctx,
			 &cr, "kvno 256 (Ticket)");
	now = (uint32_t)cr.times.authtime + 5;
	save(argv[5], "kdc_ticket_256", 0, now, cr.ticket.data, cr.ticket.length);
	save_plain(ctx, argv[2], &cr, argv[5], now);
	if (encpart_of((const uint8_t *)cr.ticket.data, cr.ticket.length, &ep, &eplen) == 0) {
		open_and_compare(kr, RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY, ep, eplen, ctx, &cr,
				 "kvno 213 (enc-part)");
		save(argv[5], "kdc_ticket_213", 1, now, ep, eplen);
	} else {
		CHECK(0, "ticket has no [3] enc-part");
	}

	/* a flipped byte in the ciphertext (the last byte is inside it) fails the integrity check */
	bad = malloc(cr.ticket.length);
	memcpy(bad, cr.ticket.data, cr.ticket.length);
	bad[cr.ticket.length - 1] ^= 0x01;
	rc = rxd_rxkad_open_ticket(kr, SERVICE, SECIDX, 256, bad, cr.ticket.length, (uint32_t)cr.times.authtime, &t,
				   &abort);
	CHECK(rc == -EPROTO && abort == RXD_RXKAD_BADTICKET, "flipped byte: rc %d abort %d", rc, abort);
	free(bad);
	/* no key: UNKNOWNKEY; key for another service only: UNKNOWNKEY */
	rc = rxd_rxkad_open_ticket(empty, SERVICE, SECIDX, 256, (const uint8_t *)cr.ticket.data, cr.ticket.length,
				   (uint32_t)cr.times.authtime, &t, &abort);
	CHECK(rc == -EPROTO && abort == RXD_RXKAD_UNKNOWNKEY, "empty ring: rc %d abort %d", rc, abort);
	rc = rxd_rxkad_open_ticket(kr, SERVICE + 1, SECIDX, 256, (const uint8_t *)cr.ticket.data, cr.ticket.length,
				   (uint32_t)cr.times.authtime, &t, &abort);
	CHECK(rc == -EPROTO && abort == RXD_RXKAD_UNKNOWNKEY, "other service: rc %d abort %d", rc, abort);

	rxd_rxkad_keyring_free(kr);
	rxd_rxkad_keyring_free(empty);
	krb5_free_cred_contents(ctx, &cr);
	krb5_free_principal(ctx, mcred.client);
	krb5_free_principal(ctx, server);
	krb5_cc_close(ctx, cc);
	krb5_free_context(ctx);
	printf("%s\n", failed ? "FAILED" : "all checks passed");
	return failed;
}
