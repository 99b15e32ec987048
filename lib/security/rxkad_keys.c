/* SPDX-License-Identifier: MIT */
/*
 * The rxkad server keyring (immutable snapshots behind an atomic pointer,
 * reclaimed by quiescent-state reports: see rxkad_keys.h), the rxkad-kdf
 * (OpenAFS src/rxkad/ticket5.c tkt_DeriveDesKey), OpenAFS KeyFile and
 * KeyFileExt parsing (src/auth/keys.c) and the ticket opener that picks the
 * Kerberos 4 or the rxkad-k5 decoder by kvno (OpenAFS rxkad_server.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/des.h>
#include <nettle/hmac.h>

#include "security/rxkad_keys.h"

struct snapshot {
	size_t n;
	struct rxd_rxkad_service_key keys[]; /* unordered: rings hold a handful of keys */
};

struct retired {
	struct snapshot *s;
	uint64_t token; /* freed once every online reader has seen this token */
};

struct reader {
	_Atomic uint64_t seen; /* last token observed at a quiescent point */
	_Atomic bool online;
	bool used; /* registered (writer-side, under the lock) */
};

struct rxd_rxkad_keyring {
	_Atomic(struct snapshot *) cur;
	pthread_mutex_t lock; /* serialises writers */
	_Atomic uint64_t token;
	struct retired *retired;
	unsigned n_retired, cap_retired;
	struct reader readers[RXD_RXKAD_KEYRING_MAX_READERS];
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct snapshot *snap_new(size_t n)
{
	struct snapshot *s = calloc(1, sizeof(*s) + n * sizeof(s->keys[0]));

	if (s)
		s->n = n;
	return s;
}

struct rxd_rxkad_keyring *rxd_rxkad_keyring_new(void)
{
	struct rxd_rxkad_keyring *kr = calloc(1, sizeof(*kr));
	struct snapshot *s = snap_new(0);

	if (!kr || !s || pthread_mutex_init(&kr->lock, NULL)) {
		free(kr);
		free(s);
		return NULL;
	}
	atomic_init(&kr->cur, s);
	return kr;
}

void rxd_rxkad_keyring_free(struct rxd_rxkad_keyring *kr)
{
	unsigned i;

	if (!kr)
		return;
	for (i = 0; i < kr->n_retired; i++)
		free(kr->retired[i].s);
	free(kr->retired);
	free(atomic_load(&kr->cur));
	pthread_mutex_destroy(&kr->lock);
	free(kr);
}

/* Under the lock: free what no online reader can hold. */
static unsigned reclaim_locked(struct rxd_rxkad_keyring *kr)
{
	uint64_t min_seen = UINT64_MAX;
	unsigned i, kept = 0;

	for (i = 0; i < RXD_RXKAD_KEYRING_MAX_READERS; i++) {
		uint64_t seen;

		if (!kr->readers[i].used || !atomic_load(&kr->readers[i].online))
			continue;
		seen = atomic_load(&kr->readers[i].seen);
		if (seen < min_seen)
			min_seen = seen;
	}
	for (i = 0; i < kr->n_retired; i++) {
		if (kr->retired[i].token <= min_seen)
			free(kr->retired[i].s);
		else
			kr->retired[kept++] = kr->retired[i];
	}
	kr->n_retired = kept;
	return kept;
}

unsigned rxd_rxkad_keyring_reclaim(struct rxd_rxkad_keyring *kr)
{
	unsigned left;

	pthread_mutex_lock(&kr->lock);
	left = reclaim_locked(kr);
	pthread_mutex_unlock(&kr->lock);
	return left;
}

/* Under the lock: make s current and retire the old snapshot. */
static int publish_locked(struct rxd_rxkad_keyring *kr, struct snapshot *s)
{
	struct snapshot *old;

	if (kr->n_retired == kr->cap_retired) {
		unsigned cap = kr->cap_retired ? 2 * kr->cap_retired : 8;
		struct retired *r = realloc(kr->retired, cap * sizeof(*r));

		if (!r) {
			free(s);
			return -ENOMEM;
		}
		kr->retired = r;
		kr->cap_retired = cap;
	}
	old = atomic_exchange(&kr->cur, s);
	/* a reader that reports this token (or later) loads cur after the exchange */
	kr->retired[kr->n_retired].s = old;
	kr->retired[kr->n_retired].token = atomic_fetch_add(&kr->token, 1) + 1;
	kr->n_retired++;
	reclaim_locked(kr);
	return 0;
}

static bool key_same(const struct rxd_rxkad_service_key *a, uint16_t service_id, uint8_t security_index, uint32_t kvno,
		     int32_t enctype)
{
	return a->service_id == service_id && a->security_index == security_index && a->kvno == kvno &&
	       (enctype < 0 || a->enctype == enctype);
}

static int key_valid(const struct rxd_rxkad_service_key *k)
{
	if (k->enctype < 0 || k->len == 0 || k->len > RXD_RXKAD_KEY_MAX)
		return -EINVAL;
	if (k->enctype == RXD_RXKAD_ENCTYPE_RXKAD_DES && k->len != RXD_FCRYPT_KEYLEN)
		return -EINVAL;
	return 0;
}

/* Under the lock: publish base's keys (or none) with keys[0..n) added, a later one replacing an equal one. */
static int merge_locked(struct rxd_rxkad_keyring *kr, bool keep_current, const struct rxd_rxkad_service_key *keys,
			size_t n)
{
	const struct snapshot *cur = atomic_load(&kr->cur);
	size_t base = keep_current ? cur->n : 0, m = base, i, j;
	struct snapshot *s;

	for (i = 0; i < n; i++)
		if (key_valid(&keys[i]))
			return -EINVAL;
	if (n > RXD_RXKAD_KEYRING_MAX_KEYS)
		return -ENOSPC;
	s = snap_new(base + n);
	if (!s)
		return -ENOMEM;
	memcpy(s->keys, cur->keys, base * sizeof(cur->keys[0]));
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++)
			if (key_same(&s->keys[j], keys[i].service_id, keys[i].security_index, keys[i].kvno,
				     keys[i].enctype))
				break;
		s->keys[j] = keys[i];
		if (j == m)
			m++;
	}
	if (m > RXD_RXKAD_KEYRING_MAX_KEYS) {
		free(s);
		return -ENOSPC;
	}
	s->n = m;
	return publish_locked(kr, s);
}

static int merge(struct rxd_rxkad_keyring *kr, bool keep_current, const struct rxd_rxkad_service_key *keys, size_t n)
{
	int rc;

	pthread_mutex_lock(&kr->lock);
	rc = merge_locked(kr, keep_current, keys, n);
	pthread_mutex_unlock(&kr->lock);
	return rc;
}

int rxd_rxkad_keyring_add(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *k)
{
	return merge(kr, true, k, 1);
}

int rxd_rxkad_keyring_add_all(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *keys, size_t n)
{
	return merge(kr, true, keys, n);
}

int rxd_rxkad_keyring_replace(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_service_key *keys, size_t n)
{
	return merge(kr, false, keys, n);
}

int rxd_rxkad_keyring_take(struct rxd_rxkad_keyring *kr, const struct rxd_rxkad_keyring *from)
{
	/* from has no readers of its own (a ring just loaded): its snapshot is stable while we copy it */
	const struct snapshot *s = atomic_load(&((struct rxd_rxkad_keyring *)from)->cur);

	return merge(kr, false, s->keys, s->n);
}

int rxd_rxkad_keyring_remove(struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index, uint32_t kvno,
			     int32_t enctype)
{
	const struct snapshot *cur;
	struct snapshot *s;
	size_t i, n = 0;
	int rc = -ENOENT;

	pthread_mutex_lock(&kr->lock);
	cur = atomic_load(&kr->cur);
	s = snap_new(cur->n);
	if (!s) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < cur->n; i++)
		if (!key_same(&cur->keys[i], service_id, security_index, kvno, enctype))
			s->keys[n++] = cur->keys[i];
	s->n = n;
	if (n == cur->n)
		free(s);
	else
		rc = publish_locked(kr, s);
out:
	pthread_mutex_unlock(&kr->lock);
	return rc;
}

size_t rxd_rxkad_keyring_count(struct rxd_rxkad_keyring *kr)
{
	size_t n;

	pthread_mutex_lock(&kr->lock);
	n = atomic_load(&kr->cur)->n;
	pthread_mutex_unlock(&kr->lock);
	return n;
}

int rxd_rxkad_keyring_lookup(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
			     uint32_t kvno, int32_t enctype, struct rxd_rxkad_service_key *out)
{
	/* the cast drops const only for the atomic load, which does not write */
	const struct snapshot *s = atomic_load(&((struct rxd_rxkad_keyring *)kr)->cur);
	const struct rxd_rxkad_service_key *any = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct rxd_rxkad_service_key *k = &s->keys[i];

		if (k->security_index != security_index || k->kvno != kvno || k->enctype != enctype)
			continue;
		if (k->service_id == service_id) {
			*out = *k;
			return 0;
		}
		if (k->service_id == RXD_RXKAD_ANY_SERVICE)
			any = k;
	}
	if (!any)
		return -ENOENT;
	*out = *any;
	return 0;
}

int rxd_rxkad_keyring_newest_des(const struct rxd_rxkad_keyring *kr, struct rxd_rxkad_des_key *out)
{
	const struct snapshot *s = atomic_load(&((struct rxd_rxkad_keyring *)kr)->cur);
	const struct rxd_rxkad_service_key *best = NULL;

	for (size_t i = 0; i < s->n; i++) {
		const struct rxd_rxkad_service_key *k = &s->keys[i];
		if (k->security_index == RXD_RXKAD_INDEX && k->enctype == RXD_RXKAD_ENCTYPE_RXKAD_DES &&
		    k->service_id == RXD_RXKAD_ANY_SERVICE && (!best || k->kvno > best->kvno))
			best = k;
	}
	if (!best)
		return -ENOENT;
	memcpy(out->key, best->key, sizeof(out->key));
	out->kvno = best->kvno;
	return 0;
}

int rxd_rxkad_keyring_reader_register(struct rxd_rxkad_keyring *kr, unsigned *id)
{
	unsigned i;
	int rc = -ENOSPC;

	pthread_mutex_lock(&kr->lock);
	for (i = 0; i < RXD_RXKAD_KEYRING_MAX_READERS; i++) {
		if (kr->readers[i].used)
			continue;
		kr->readers[i].used = true;
		atomic_store(&kr->readers[i].seen, atomic_load(&kr->token));
		atomic_store(&kr->readers[i].online, true);
		*id = i;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&kr->lock);
	return rc;
}

void rxd_rxkad_keyring_quiescent(struct rxd_rxkad_keyring *kr, unsigned id)
{
	struct reader *r = &kr->readers[id % RXD_RXKAD_KEYRING_MAX_READERS];

	atomic_store(&r->seen, atomic_load(&kr->token));
	atomic_store(&r->online, true);
}

void rxd_rxkad_keyring_reader_offline(struct rxd_rxkad_keyring *kr, unsigned id)
{
	atomic_store(&kr->readers[id % RXD_RXKAD_KEYRING_MAX_READERS].online, false);
}

/* ---- rxkad-kdf ---- */

int rxd_rxkad_des_is_weak(const uint8_t key[8])
{
	/* FIPS 74 / OpenSSL DES_is_weak_key: 4 weak and 12 semi-weak keys, odd parity */
	static const uint8_t weak[16][8] = {
	    {0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01}, {0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE},
	    {0x1F, 0x1F, 0x1F, 0x1F, 0x0E, 0x0E, 0x0E, 0x0E}, {0xE0, 0xE0, 0xE0, 0xE0, 0xF1, 0xF1, 0xF1, 0xF1},
	    {0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE}, {0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01, 0xFE, 0x01},
	    {0x1F, 0xE0, 0x1F, 0xE0, 0x0E, 0xF1, 0x0E, 0xF1}, {0xE0, 0x1F, 0xE0, 0x1F, 0xF1, 0x0E, 0xF1, 0x0E},
	    {0x01, 0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1}, {0xE0, 0x01, 0xE0, 0x01, 0xF1, 0x01, 0xF1, 0x01},
	    {0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E, 0xFE}, {0xFE, 0x1F, 0xFE, 0x1F, 0xFE, 0x0E, 0xFE, 0x0E},
	    {0x01, 0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E}, {0x1F, 0x01, 0x1F, 0x01, 0x0E, 0x01, 0x0E, 0x01},
	    {0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1, 0xFE}, {0xFE, 0xE0, 0xFE, 0xE0, 0xFE, 0xF1, 0xFE, 0xF1},
	};
	uint8_t k[8];
	unsigned i, j;

	des_fix_parity(8, k, key);
	for (i = 0; i < 16; i++) {
		for (j = 0; j < 8 && k[j] == weak[i][j]; j++)
			;
		if (j == 8)
			return 1;
	}
	return 0;
}

/* NIST SP800-108 counter mode, PRF HMAC-MD5, label "rxkad", no context, L = 64. */
static int kdf_hmac_md5(const uint8_t *key, size_t len, uint8_t out[8])
{
	static const uint8_t label[] = {'r', 'x', 'k', 'a', 'd', 0, 0, 0, 0, 64}; /* label, NUL, L */
	struct hmac_md5_ctx ctx;
	uint8_t d[MD5_DIGEST_SIZE], k[8];
	unsigned i;

	for (i = 1; i <= 255; i++) {
		uint8_t c = (uint8_t)i;

		hmac_md5_set_key(&ctx, len, key);
		hmac_md5_update(&ctx, 1, &c);
		hmac_md5_update(&ctx, sizeof(label), label);
		hmac_md5_digest(&ctx, sizeof(d), d);
		des_fix_parity(8, k, d);
		if (!rxd_rxkad_des_is_weak(k)) {
			memcpy(out, k, 8);
			return 0;
		}
	}
	return -EINVAL;
}

int rxd_rxkad_derive_des_key(int32_t enctype, const uint8_t *key, size_t len, uint8_t out[RXD_FCRYPT_KEYLEN])
{
	uint8_t packed[RXD_RXKAD_KEY_MAX];
	size_t i, j, n;

	switch (enctype) {
	case RXD_RXKAD_ENCTYPE_DES_CBC_CRC:
	case RXD_RXKAD_ENCTYPE_DES_CBC_MD4:
	case RXD_RXKAD_ENCTYPE_DES_CBC_MD5:
		if (len != 8)
			return -EINVAL;
		memcpy(out, key, 8);
		return 0;
	case 0: /* reserved or withdrawn enctypes: no KDF for them */
	case 4:
	case 6:
	case 8:
	case 9:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
	case 15:
		return -EINVAL;
	case RXD_RXKAD_ENCTYPE_DES3_CBC_MD5:
	case RXD_RXKAD_ENCTYPE_DES3_CBC_SHA1_OLD:
	case RXD_RXKAD_ENCTYPE_DES3_CBC_SHA1:
		/* RFC 3961 random-to-key inverse: fold byte 7 of each block into the low bits of bytes 0..6 */
		if (len % 8 || len > sizeof(packed))
			return -EINVAL;
		for (n = 0, i = 0; i < len; i += 8) {
			uint8_t bits = key[i + 7] >> 1;

			for (j = 0; j < 7; j++, bits >>= 1)
				packed[n++] = (uint8_t)((key[i + j] & 0xfe) | (bits & 1));
		}
		return kdf_hmac_md5(packed, n, out);
	default:
		if (enctype < 0 || len < 7)
			return -EINVAL;
		return kdf_hmac_md5(key, len, out);
	}
}

/* ---- ticket opener ---- */

int rxd_rxkad_open_ticket(const struct rxd_rxkad_keyring *kr, uint16_t service_id, uint8_t security_index,
			  uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now, struct rxd_rxkad_ticket *t,
			  int32_t *abort)
{
	struct rxd_rxkad_service_key k;
	int rc;

	if (!kr || (!tkt && len) || !t || !abort)
		return -EINVAL;
	*abort = 0;
	if (kvno == RXD_RXKAD_TKT_TYPE_KERBEROS_V5 || kvno == RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY) {
		rc = rxd_rxkad_k5_decode(kr, service_id, security_index, kvno, tkt, len, t, abort);
	} else {
		/* 257..511 belong to the AFS/DFS translator, above that nothing: no key of that kvno */
		if (kvno > 255 ||
		    rxd_rxkad_keyring_lookup(kr, service_id, security_index, kvno, RXD_RXKAD_ENCTYPE_RXKAD_DES, &k)) {
			*abort = RXD_RXKAD_UNKNOWNKEY;
			return -EPROTO;
		}
		rc = rxd_rxkad_ticket_decode(tkt, len, k.key, t, abort);
		memset(&k, 0, sizeof(k));
	}
	if (rc)
		return rc;
	return rxd_rxkad_ticket_check_times(t->start, t->end, now, abort);
}

int rxd_rxkad_keyring_open_ticket(void *keyring, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
				  struct rxd_rxkad_ticket *t, int32_t *abort)
{
	const struct rxd_rxkad_key_scope *sc = keyring;

	if (!sc)
		return -EINVAL;
	return rxd_rxkad_open_ticket(sc->ring, sc->service_id, sc->security_index, kvno, tkt, len, now, t, abort);
}

/* ---- OpenAFS KeyFile and KeyFileExt ---- */

#define KEYFILE_MAX_BYTES (1u << 20)

static int parse_fail(char *err, size_t errlen, const char *what, size_t off)
{
	set_err(err, errlen, "%s at byte %zu", what, off);
	return -EINVAL;
}

int rxd_rxkad_parse_keyfile(const uint8_t *b, size_t len, struct rxd_rxkad_service_key *keys, size_t cap, size_t *n,
			    uint16_t service_id, uint8_t security_index, char *err, size_t errlen)
{
	uint32_t count, i;

	*n = 0;
	if (len < 4)
		return parse_fail(err, errlen, "KeyFile: no key count", 0);
	count = rxd_get_be32(b);
	if (count > cap || count > RXD_RXKAD_KEYRING_MAX_KEYS)
		return parse_fail(err, errlen, "KeyFile: key count too large", 0);
	if (len != 4 + (size_t)count * 12)
		return parse_fail(err, errlen, "KeyFile: length does not match the key count",
				  len < 4 + (size_t)count * 12 ? len : 4 + (size_t)count * 12);
	for (i = 0; i < count; i++) {
		const uint8_t *e = b + 4 + (size_t)i * 12;
		struct rxd_rxkad_service_key *k = &keys[i];

		memset(k, 0, sizeof(*k));
		k->kvno = rxd_get_be32(e);
		if (k->kvno > 255 || k->kvno == RXD_RXKAD_TKT_TYPE_KERBEROS_V5_ENCPART_ONLY)
			return parse_fail(err, errlen, "KeyFile: kvno not usable for rxkad", (size_t)(e - b));
		k->service_id = service_id;
		k->security_index = security_index;
		k->enctype = RXD_RXKAD_ENCTYPE_RXKAD_DES;
		k->len = 8;
		memcpy(k->key, e + 4, 8);
	}
	*n = count;
	return 0;
}

int rxd_rxkad_parse_keyfile_ext(const uint8_t *b, size_t len, struct rxd_rxkad_service_key *keys, size_t cap, size_t *n,
				uint16_t service_id, uint8_t security_index, char *err, size_t errlen)
{
	uint32_t count, i;
	size_t pos = 4;

	*n = 0;
	if (len < 4)
		return parse_fail(err, errlen, "KeyFileExt: no key count", 0);
	count = rxd_get_be32(b);
	for (i = 0; i < count; i++) {
		uint32_t meta, type, kvno, sub, klen;
		struct rxd_rxkad_service_key *k;

		if (len - pos < 16)
			return parse_fail(err, errlen, "KeyFileExt: truncated record", pos);
		meta = rxd_get_be32(b + pos);
		type = rxd_get_be32(b + pos + 4);
		kvno = rxd_get_be32(b + pos + 8);
		sub = rxd_get_be32(b + pos + 12);
		/* meta counts itself, type, kvno and subtype; more is fields a later version added */
		if (meta < 16 || meta > len - pos || len - pos - meta < 4)
			return parse_fail(err, errlen, "KeyFileExt: bad record length", pos);
		pos += meta;
		klen = rxd_get_be32(b + pos);
		pos += 4;
		if (klen > len - pos)
			return parse_fail(err, errlen, "KeyFileExt: key runs past the end", pos);
		if (type == 1) { /* rxgk: not an rxkad key */
			pos += klen;
			continue;
		}
		if (type != 0 && type != 2)
			return parse_fail(err, errlen, "KeyFileExt: unknown key type", pos - 4 - meta);
		/* a krb5 key's subtype is its enctype: 0 (and below) is none */
		if (klen == 0 || klen > RXD_RXKAD_KEY_MAX || (type == 2 && (int32_t)sub <= 0) ||
		    (type == 0 && (sub != 0 || klen != 8 || kvno > 255)))
			return parse_fail(err, errlen, "KeyFileExt: bad key length, subtype or kvno", pos - 4 - meta);
		if (*n >= cap || *n >= RXD_RXKAD_KEYRING_MAX_KEYS)
			return parse_fail(err, errlen, "KeyFileExt: too many keys", pos);
		k = &keys[(*n)++];
		memset(k, 0, sizeof(*k));
		k->service_id = service_id;
		k->security_index = security_index;
		k->kvno = kvno;
		k->enctype = type == 0 ? RXD_RXKAD_ENCTYPE_RXKAD_DES : (int32_t)sub;
		k->len = klen;
		memcpy(k->key, b + pos, klen);
		pos += klen;
	}
	if (pos != len) {
		*n = 0;
		return parse_fail(err, errlen, "KeyFileExt: bytes after the last record", pos);
	}
	return 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EIO;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > KEYFILE_MAX_BYTES) {
		set_err(err, errlen, "%s: not a regular file of at most %u bytes", path, KEYFILE_MAX_BYTES);
		close(fd);
		return -EINVAL;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);

		if (r <= 0) {
			set_err(err, errlen, "%s: read failed", path);
			free(*buf);
			close(fd);
			return -EIO;
		}
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
}

typedef int (*parse_fn)(const uint8_t *, size_t, struct rxd_rxkad_service_key *, size_t, size_t *, uint16_t, uint8_t,
			char *, size_t);

/* Parse a whole file, then add its keys to the ring in one snapshot. */
static int load_file(struct rxd_rxkad_keyring *kr, const char *path, parse_fn parse, uint16_t service_id,
		     uint8_t security_index, char *err, size_t errlen)
{
	struct rxd_rxkad_service_key *keys = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	int rc;

	rc = read_file(path, &buf, &len, err, errlen);
	if (rc)
		return rc;
	keys = calloc(RXD_RXKAD_KEYRING_MAX_KEYS, sizeof(*keys));
	if (!keys) {
		rc = -ENOMEM;
		goto out;
	}
	rc = parse(buf, len, keys, RXD_RXKAD_KEYRING_MAX_KEYS, &n, service_id, security_index, err, errlen);
	if (rc) {
		/* prefix the path to the parser's reason */
		char why[160];

		snprintf(why, sizeof(why), "%s", err && errlen ? err : "");
		set_err(err, errlen, "%s: %s", path, why);
		goto out;
	}
	rc = rxd_rxkad_keyring_add_all(kr, keys, n);
	if (rc)
		set_err(err, errlen, "%s: cannot add its keys (%s)", path, strerror(-rc));
out:
	if (keys) {
		memset(keys, 0, RXD_RXKAD_KEYRING_MAX_KEYS * sizeof(*keys));
		free(keys);
	}
	if (buf) {
		memset(buf, 0, len);
		free(buf);
	}
	return rc;
}

int rxd_rxkad_load_keyfile(struct rxd_rxkad_keyring *kr, const char *path, uint16_t service_id, uint8_t security_index,
			   char *err, size_t errlen)
{
	return load_file(kr, path, rxd_rxkad_parse_keyfile, service_id, security_index, err, errlen);
}

int rxd_rxkad_load_keyfile_ext(struct rxd_rxkad_keyring *kr, const char *path, uint16_t service_id,
			       uint8_t security_index, char *err, size_t errlen)
{
	return load_file(kr, path, rxd_rxkad_parse_keyfile_ext, service_id, security_index, err, errlen);
}
