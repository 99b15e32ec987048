/* SPDX-License-Identifier: MIT */
/*
 * rxkad-k5: Kerberos 5 service tickets in an rxkad RESPONSE (OpenAFS
 * src/rxkad/ticket5.c tkt_DecodeTicket5, src/aklog/aklog.c; Linux
 * net/rxrpc/key.c "rxkad-k5" tokens).  kvno 256 carries the DER Ticket as
 * the KDC issued it, kvno 213 only its enc-part (an EncryptedData).  All
 * ASN.1 and Kerberos crypto is MIT libkrb5's; only the 213 form is first
 * wrapped back into a Ticket so libkrb5's public decoder takes it.  A keytab
 * loader shares the same library.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <krb5/krb5.h>

#include "security/rxkad_keys.h"

/* Room for the Ticket wrapper around a kvno-213 enc-part. */
#define WRAP_OVERHEAD 64u

/* DER tag + definite length in front of n content bytes; returns bytes written. */
static size_t der_head(uint8_t *p, uint8_t tag, size_t n)
{
	size_t i = 0;

	p[i++] = tag;
	if (n < 0x80) {
		p[i++] = (uint8_t)n;
	} else if (n < 0x100) {
		p[i++] = 0x81;
		p[i++] = (uint8_t)n;
	} else if (n < 0x10000) {
		p[i++] = 0x82;
		p[i++] = (uint8_t)(n >> 8);
		p[i++] = (uint8_t)n;
	} else {
		p[i++] = 0x83;
		p[i++] = (uint8_t)(n >> 16);
		p[i++] = (uint8_t)(n >> 8);
		p[i++] = (uint8_t)n;
	}
	return i;
}

static size_t der_head_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : 5;
}

/*
 * Ticket ::= [APPLICATION 1] SEQUENCE { [0] tkt-vno 5, [1] realm, [2] sname,
 * [3] enc-part } (RFC 4120 5.3) around the EncryptedData bytes; the realm
 * and sname are placeholders that only name the in-memory keytab entry.
 */
static const uint8_t wrap_fixed[] = {
    0xa0, 0x03, 0x02, 0x01, 0x05,				      /* [0] INTEGER 5 */
    0xa1, 0x03, 0x1b, 0x01, 'X',				      /* [1] GeneralString "X" */
    0xa2, 0x0e, 0x30, 0x0c, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x05, /* [2] {name-type 1, */
    0x30, 0x03, 0x1b, 0x01, 'X',				      /* name-string {"X"}} */
};

static uint8_t *wrap_encpart(const uint8_t *enc, size_t len, size_t *out_len)
{
	size_t f3 = der_head_len(len) + len, seq = sizeof(wrap_fixed) + f3;
	size_t app = der_head_len(seq) + seq, total = der_head_len(app) + app, i = 0;
	uint8_t *b = malloc(total);

	if (!b)
		return NULL;
	i += der_head(b + i, 0x61, app); /* [APPLICATION 1] */
	i += der_head(b + i, 0x30, seq);
	memcpy(b + i, wrap_fixed, sizeof(wrap_fixed));
	i += sizeof(wrap_fixed);
	i += der_head(b + i, 0xa3, len);
	memcpy(b + i, enc, len);
	*out_len = i + len;
	return b;
}

static bool is_des_enctype(int32_t e)
{
	return e == RXD_RXKAD_ENCTYPE_DES_CBC_CRC || e == RXD_RXKAD_ENCTYPE_DES_CBC_MD4 ||
	       e == RXD_RXKAD_ENCTYPE_DES_CBC_MD5;
}

/* The ring's key for the ticket's kvno and enctype; a DES enctype may use the rxkad DES key. */
static int find_key(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
		    const krb5_ticket *tk, struct rxd_rxkad_service_key *k)
{
	int32_t e = tk->enc_part.enctype;

	if (e <= 0)
		return -ENOENT;
	if (!rxd_rxkad_keyring_lookup(kr, service_id, security_index, tk->enc_part.kvno, e, k))
		return 0;
	if (is_des_enctype(e) && !rxd_rxkad_keyring_lookup(kr, service_id, security_index, tk->enc_part.kvno,
							   RXD_RXKAD_ENCTYPE_RXKAD_DES, k))
		return 0;
	return -ENOENT;
}

/*
 * Decrypt tk->enc_part into tk->enc_part2 with key, through libkrb5's public
 * API only: a private MEMORY keytab holding that one key for the ticket's
 * server principal and krb5_server_decrypt_ticket_keytab().
 */
static krb5_error_code decrypt_ticket(krb5_context ctx, krb5_ticket *tk, const struct rxd_rxkad_service_key *k)
{
	static _Atomic unsigned long seq;
	char name[96];
	krb5_keytab kt = NULL;
	krb5_keytab_entry ent;
	krb5_error_code ret;

	snprintf(name, sizeof(name), "MEMORY:rxd-rxkad-k5-%p-%lu", (void *)tk, atomic_fetch_add(&seq, 1));
	ret = krb5_kt_resolve(ctx, name, &kt);
	if (ret)
		return ret;
	memset(&ent, 0, sizeof(ent));
	/* a copy: on success libkrb5 replaces (and frees) tk->server with the matching entry's name */
	ret = krb5_copy_principal(ctx, tk->server, &ent.principal);
	if (ret) {
		krb5_kt_close(ctx, kt);
		return ret;
	}
	ent.vno = tk->enc_part.kvno;
	ent.key.magic = KV5M_KEYBLOCK;
	ent.key.enctype = tk->enc_part.enctype; /* an rxkad DES key serves every DES enctype */
	ent.key.length = k->len;
	ent.key.contents = (krb5_octet *)k->key;
	ret = krb5_kt_add_entry(ctx, kt, &ent);
	if (!ret) {
		ret = krb5_server_decrypt_ticket_keytab(ctx, kt, tk);
		/* libkrb5 1.20 has no krb5_kt_destroy: empty it; the last close frees a MEMORY keytab */
		krb5_kt_remove_entry(ctx, kt, &ent);
	}
	krb5_kt_close(ctx, kt);
	krb5_free_principal(ctx, ent.principal);
	return ret;
}

static int copy_str(char dst[RXD_RXKAD_NAME_MAX + 1], const krb5_data *d)
{
	if (d->length > RXD_RXKAD_NAME_MAX || memchr(d->data, 0, d->length))
		return -1;
	memcpy(dst, d->data, d->length);
	dst[d->length] = 0;
	return 0;
}

/* Client principal to name / instance / cell as OpenAFS does (no K4 service renaming). */
static int map_client(const krb5_enc_tkt_part *ep, struct rxd_rxkad_ticket *t)
{
	const krb5_principal_data *c = ep->client;

	if (!c || c->length < 1 || c->length > 2 || copy_str(t->name, &c->data[0]) || !t->name[0] ||
	    (c->length == 2 && copy_str(t->instance, &c->data[1])) || copy_str(t->cell, &c->realm))
		return -1;
	/* "a.b" and "a/b" would look alike to the fileserver (OpenAFS ticket5.c) */
	return strchr(t->name, '.') ? -1 : 0;
}

static int fail(int32_t *abort, int32_t code)
{
	*abort = code;
	return -EPROTO;
}

static int k5_decode(krb5_context ctx, const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
		     uint32_t kvno, const uint8_t *tkt, size_t len, struct rxd_rxkad_ticket *t, int32_t *abort)
{
	krb5_ticket *tk = NULL;
	struct rxd_rxkad_service_key k;
	uint8_t *wrapped = NULL;
	krb5_data d;
	size_t wlen = len;
	int rc = 0;

	d.magic = KV5M_DATA;
	if (kvno == RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY) {
		wrapped = wrap_encpart(tkt, len, &wlen);
		if (!wrapped)
			return fail(abort, RXD_RXKAD_BADTICKET);
		d.data = (char *)wrapped;
	} else {
		d.data = (char *)(uintptr_t)tkt;
	}
	d.length = (unsigned)wlen;
	if (krb5_decode_ticket(&d, &tk)) {
		rc = fail(abort, RXD_RXKAD_BADTICKET);
		goto out;
	}
	if (find_key(kr, service_id, security_index, tk, &k)) {
		rc = fail(abort, RXD_RXKAD_UNKNOWNKEY);
		goto out;
	}
	if (decrypt_ticket(ctx, tk, &k) || !tk->enc_part2) {
		rc = fail(abort, RXD_RXKAD_BADTICKET);
		goto out;
	}
	memset(t, 0, sizeof(*t));
	if (map_client(tk->enc_part2, t) ||
	    rxd_rxkad_derive_des_key(tk->enc_part2->session->enctype, tk->enc_part2->session->contents,
				     tk->enc_part2->session->length, t->session_key)) {
		memset(t, 0, sizeof(*t));
		rc = fail(abort, RXD_RXKAD_BADTICKET);
		goto out;
	}
	if (tk->enc_part2->flags & TKT_FLG_INVALID) {
		rc = fail(abort, RXD_RXKAD_NOAUTH);
		goto out;
	}
	t->start =
	    (uint32_t)(tk->enc_part2->times.starttime ? tk->enc_part2->times.starttime : tk->enc_part2->times.authtime);
	t->end = (uint32_t)tk->enc_part2->times.endtime;
	if (kvno == RXD_RXKAD_TKT_TYPE_KERBEROS_V5 && tk->server && tk->server->length >= 1 &&
	    copy_str(t->sname, &tk->server->data[0]) == 0 && tk->server->length >= 2)
		(void)copy_str(t->sinstance, &tk->server->data[1]); /* informational only */
out:
	memset(&k, 0, sizeof(k));
	if (tk)
		krb5_free_ticket(ctx, tk);
	free(wrapped);
	return rc;
}

int rxd_rxkad_k5_decode(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index, uint32_t kvno,
			const uint8_t *tkt, size_t len, struct rxd_rxkad_ticket *t, int32_t *abort)
{
	krb5_context ctx;
	int rc;

	*abort = 0;
	if (len == 0)
		return fail(abort, RXD_RXKAD_BADTICKET);
	if (len > RXD_RXKAD_TICKET_MAX)
		return fail(abort, RXD_RXKAD_TICKETLEN);
	/* a context per ticket: libkrb5 contexts are not shared between threads */
	if (krb5_init_context(&ctx))
		return fail(abort, RXD_RXKAD_UNKNOWNKEY);
	rc = k5_decode(ctx, kr, service_id, security_index, kvno, tkt, len, t, abort);
	krb5_free_context(ctx);
	return rc;
}

/* ---- keytab loader ---- */

static int kt_err(krb5_context ctx, krb5_error_code code, char *err, size_t errlen, const char *what, int rc)
{
	if (err && errlen) {
		const char *m = ctx ? krb5_get_error_message(ctx, code) : "cannot create a krb5 context";

		snprintf(err, errlen, "%s: %s", what, m);
		if (ctx)
			krb5_free_error_message(ctx, m);
	}
	return rc;
}

/* Collect the entries of principal p (up to RXD_RXKAD_KEYRING_MAX_KEYS). */
static int kt_collect(krb5_context ctx, krb5_keytab kt, krb5_const_principal p, struct rxd_rxkad_service_key *keys,
		      size_t *n, uint16_t service_id, uint8_t security_index, char *err, size_t errlen,
		      const char *ktname)
{
	krb5_kt_cursor cur;
	krb5_keytab_entry e;
	krb5_error_code ret;
	int rc = 0;

	ret = krb5_kt_start_seq_get(ctx, kt, &cur);
	if (ret)
		return kt_err(ctx, ret, err, errlen, ktname, ret == ENOENT ? -ENOENT : -EINVAL);
	while ((ret = krb5_kt_next_entry(ctx, kt, &e, &cur)) == 0) {
		if (krb5_principal_compare(ctx, e.principal, p) && e.key.length > 0 &&
		    e.key.length <= RXD_RXKAD_KEY_MAX && e.key.enctype > 0) {
			struct rxd_rxkad_service_key *k = &keys[*n];

			if (*n >= RXD_RXKAD_KEYRING_MAX_KEYS) {
				krb5_free_keytab_entry_contents(ctx, &e);
				rc = -ENOSPC;
				break;
			}
			memset(k, 0, sizeof(*k));
			k->service_id = service_id;
			k->security_index = security_index;
			k->kvno = e.vno;
			k->enctype = e.key.enctype;
			k->len = e.key.length;
			memcpy(k->key, e.key.contents, e.key.length);
			(*n)++;
		}
		krb5_free_keytab_entry_contents(ctx, &e);
	}
	krb5_kt_end_seq_get(ctx, kt, &cur);
	if (!rc && ret != KRB5_KT_END)
		rc = kt_err(ctx, ret, err, errlen, ktname, -EINVAL);
	return rc;
}

int rxd_rxkad_load_keytab(struct rxd_rxkad_keyring *kr, const char *keytab, const char *cell, const char *realm,
			  uint16_t service_id, uint8_t security_index, char *err, size_t errlen)
{
	krb5_context ctx = NULL;
	krb5_keytab kt = NULL;
	krb5_principal p = NULL;
	struct rxd_rxkad_service_key *keys = NULL;
	char *def_realm = NULL, pname[RXD_RXKAD_NAME_MAX * 2 + 8];
	krb5_error_code ret;
	size_t n = 0;
	int rc, pass;

	if (!kr || !keytab)
		return -EINVAL;
	ret = krb5_init_context(&ctx);
	if (ret)
		return kt_err(NULL, ret, err, errlen, keytab, -EINVAL);
	if (!realm) {
		ret = krb5_get_default_realm(ctx, &def_realm);
		if (ret) {
			rc = kt_err(ctx, ret, err, errlen, "no realm given and no default realm", -EINVAL);
			goto out;
		}
		realm = def_realm;
	}
	ret = krb5_kt_resolve(ctx, keytab, &kt);
	if (ret) {
		rc = kt_err(ctx, ret, err, errlen, keytab, -EINVAL);
		goto out;
	}
	keys = calloc(RXD_RXKAD_KEYRING_MAX_KEYS, sizeof(*keys));
	if (!keys) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -ENOENT;
	/* afs/CELL@REALM first (OpenAFS servers' preferred name), else afs@REALM */
	for (pass = cell ? 0 : 1; pass < 2 && n == 0; pass++) {
		if (pass == 0)
			snprintf(pname, sizeof(pname), "afs/%s@%s", cell, realm);
		else
			snprintf(pname, sizeof(pname), "afs@%s", realm);
		ret = krb5_parse_name(ctx, pname, &p);
		if (ret) {
			rc = kt_err(ctx, ret, err, errlen, pname, -EINVAL);
			goto out;
		}
		rc = kt_collect(ctx, kt, p, keys, &n, service_id, security_index, err, errlen, keytab);
		krb5_free_principal(ctx, p);
		p = NULL;
		if (rc)
			goto out;
	}
	if (n == 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: no key for afs%s%s@%s", keytab, cell ? "/" : "", cell ? cell : "",
				 realm);
		rc = -ENOENT;
		goto out;
	}
	rc = rxd_rxkad_keyring_add_all(kr, keys, n);
	if (rc && err && errlen)
		snprintf(err, errlen, "%s: cannot add its keys (%s)", keytab, strerror(-rc));
out:
	if (keys) {
		memset(keys, 0, RXD_RXKAD_KEYRING_MAX_KEYS * sizeof(*keys));
		free(keys);
	}
	if (kt)
		krb5_kt_close(ctx, kt);
	krb5_free_default_realm(ctx, def_realm);
	krb5_free_context(ctx);
	return rc;
}
