/* SPDX-License-Identifier: MIT */
/*
 * The rxkad security class (index 2): the core's hooks (struct
 * rxd_security_class) over the pure building blocks of rxkad_packet.c,
 * rxkad_response.c and rxkad_ticket.c.  A client conn is keyed from the
 * call's struct rxd_rxkad_key at once; a service conn only when a RESPONSE
 * opens (OpenAFS rxkad_server.c rxkad_CheckResponse, Linux rxkad.c
 * rxkad_verify_response), the core holding its calls until then.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rxd/security.h>

#include "security/rxkad.h"

_Static_assert(RXD_RXKAD_KEYLEN == RXD_FCRYPT_KEYLEN, "rxkad keys are fcrypt keys");

struct rxkad_conn {
	bool is_client;
	bool keyed;		/* ck holds the session key: DATA can be secured and verified */
	atomic_bool cksum_seen; /* OpenAFS cksumSeen: the peer sends header checksums (crypto lcores set it) */
	bool challenged;	/* server: nonce is set */
	uint8_t min_level;
	uint32_t nonce;
	struct rxd_rxkad_conn_key ck; /* ck.level: the client's, or the one the RESPONSE chose */
	const struct rxd_rxkad_key *key;
	const struct rxd_rxkad_server *srv;
	struct rxd_rxkad_ticket ticket; /* server: the client's identity, once secured */
};

/* The batch the building blocks get at a time (they interleave level-2 packets over it). */
#define RXKAD_BATCH 16u

/* The conn's level once keyed (a service conn learns it from the RESPONSE), else the call's. */
static uint8_t packet_level(const void *conn_sec, uint8_t level)
{
	const struct rxkad_conn *k = conn_sec;

	return k && k->keyed ? k->ck.level : level;
}

static uint32_t rxkad_overhead(const void *conn_sec, uint8_t level)
{
	return rxd_rxkad_header_len(packet_level(conn_sec, level));
}

/* User data per body of body_cap bytes: level 2 encrypts whole blocks, so the kernel's 1400 in 1412. */
static uint32_t rxkad_max_data(const void *conn_sec, uint8_t call_level, uint32_t body_cap)
{
	uint8_t level = packet_level(conn_sec, call_level);
	uint32_t hl = rxd_rxkad_header_len(level);

	if (level == RXD_RXKAD_CRYPT)
		body_cap &= ~(RXD_FCRYPT_BLOCK - 1u);
	return body_cap > hl ? body_cap - hl : 0;
}

static int rxkad_init_conn(void **conn_sec, const struct rxd_sec_conn_info *ci, const void *key, uint8_t level,
			   bool is_client)
{
	struct rxkad_conn *k;
	int err;

	if (level > RXD_RXKAD_CRYPT || !key)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->is_client = is_client;
	if (is_client) {
		k->key = key;
		if (!k->key->ticket || k->key->ticket_len == 0 || k->key->ticket_len > RXD_RXKAD_TICKET_MAX) {
			free(k);
			return -EINVAL;
		}
		err =
		    rxd_rxkad_conn_key_init(&k->ck, k->key->session_key, ci->epoch, ci->cid, ci->security_index, level);
		if (err) {
			free(k);
			return err;
		}
		k->keyed = true;
	} else {
		k->srv = key;
		k->min_level = level;
		if (!k->srv->open_ticket) {
			free(k);
			return -EINVAL;
		}
	}
	*conn_sec = k;
	return 0;
}

static void rxkad_free_conn(void *conn_sec)
{
	struct rxkad_conn *k = conn_sec;

	if (!k)
		return;
	/* The session key dies with the conn. */
	memset(k, 0, sizeof(*k));
	free(k);
}

static void to_rxkad(struct rxd_rxkad_pkt *q, const struct rxd_sec_pkt *p)
{
	memset(q, 0, sizeof(*q));
	q->cid = p->cid;
	q->call_number = p->call_number;
	q->seq = p->seq;
	q->cksum = p->cksum;
	q->body = p->body;
	q->body_len = p->len;
	q->cap = p->cap;
}

static int32_t rxkad_secure(void *conn_sec, struct rxd_sec_pkt *p, unsigned n)
{
	struct rxkad_conn *k = conn_sec;
	struct rxd_rxkad_pkt q[RXKAD_BATCH];
	uint32_t hl;

	if (!k->keyed)
		return RXD_RXKAD_NOAUTH;
	hl = rxd_rxkad_header_len(k->ck.level);
	for (unsigned done = 0; done < n;) {
		unsigned m = n - done < RXKAD_BATCH ? n - done : RXKAD_BATCH;

		for (unsigned i = 0; i < m; i++) {
			to_rxkad(&q[i], &p[done + i]);
			if (p[done + i].len < hl)
				return RXD_RXKAD_DATALEN;
			q[i].data_len = p[done + i].len - hl;
		}
		if (rxd_rxkad_secure(&k->ck, q, m))
			return RXD_RXKAD_DATALEN;
		for (unsigned i = 0; i < m; i++) {
			p[done + i].len = q[i].body_len;
			p[done + i].cksum = q[i].cksum;
		}
		done += m;
	}
	return 0;
}

static unsigned rxkad_verify(void *conn_sec, struct rxd_sec_pkt *p, unsigned n)
{
	struct rxkad_conn *k = conn_sec;
	struct rxd_rxkad_pkt q[RXKAD_BATCH];
	unsigned bad = 0;

	for (unsigned done = 0; done < n;) {
		unsigned m = n - done < RXKAD_BATCH ? n - done : RXKAD_BATCH;

		for (unsigned i = 0; i < m; i++)
			to_rxkad(&q[i], &p[done + i]);
		if (k->keyed) {
			/* Only ever set, so lanes racing to set it agree; the store is atomic. */
			bool seen = atomic_load_explicit(&k->cksum_seen, memory_order_relaxed);
			bad += rxd_rxkad_verify(&k->ck, &seen, q, m);
			if (seen)
				atomic_store_explicit(&k->cksum_seen, true, memory_order_relaxed);
		} else {
			for (unsigned i = 0; i < m; i++)
				q[i].abort = RXD_RXKAD_NOAUTH;
			bad += m;
		}
		for (unsigned i = 0; i < m; i++) {
			p[done + i].data_off = q[i].data_off;
			p[done + i].data_len = q[i].data_len;
			p[done + i].abort = q[i].abort;
		}
		done += m;
	}
	return bad;
}

static size_t rxkad_issue_challenge(void *conn_sec, const struct rxd_sec_conn_info *ci, uint8_t *body, size_t cap)
{
	struct rxkad_conn *k = conn_sec;
	struct rxd_challenge c;

	if (k->is_client)
		return 0;
	if (!k->challenged) {
		/* One nonce per conn: a resent CHALLENGE must be answerable by either RESPONSE. */
		k->nonce = (uint32_t)(ci->random ^ (ci->random >> 32));
		k->challenged = true;
	}
	c.version = RXD_RXKAD_CHALLENGE_VERSION;
	c.nonce = k->nonce;
	c.min_level = k->min_level;
	return rxd_challenge_encode(body, cap, &c);
}

static size_t rxkad_respond(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *challenge, size_t len,
			    uint8_t *body, size_t cap, int32_t *abort)
{
	struct rxkad_conn *k = conn_sec;
	struct rxd_rxkad_response_info ri;
	struct rxd_challenge c;
	struct rxd_response r;
	size_t n;

	if (!k->is_client) {
		*abort = RXD_RXKAD_INCONSISTENCY;
		return 0;
	}
	if (rxd_challenge_decode(challenge, len, &c) < 0) {
		*abort = RXD_RXKAD_PACKETSHORT;
		return 0;
	}
	if (rxd_rxkad_challenge_check(&c, k->ck.level, abort) < 0)
		return 0;
	memset(&ri, 0, sizeof(ri));
	ri.epoch = ci->epoch;
	ri.cid = ci->cid & ~RXD_CID_CHANNEL_MASK;
	ri.security_index = ci->security_index;
	memcpy(ri.call_numbers, ci->call_numbers, sizeof(ri.call_numbers));
	ri.nonce_inc = c.nonce + 1u;
	ri.level = k->ck.level;
	ri.kvno = k->key->kvno;
	ri.ticket_len = k->key->ticket_len;
	rxd_rxkad_response_seal(&k->ck, &ri, &r);
	r.ticket = k->key->ticket;
	n = rxd_response_encode(body, cap, &r);
	if (!n)
		*abort = RXD_RXKAD_TICKETLEN;
	return n;
}

static uint32_t unix_now(const struct rxd_rxkad_server *srv)
{
	return srv->unix_time ? srv->unix_time(srv->arg) : (uint32_t)time(NULL);
}

static int32_t rxkad_verify_response(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *response,
				     size_t len)
{
	struct rxkad_conn *k = conn_sec;
	struct rxd_rxkad_response_info ri;
	struct rxd_rxkad_conn_key ck;
	struct rxd_rxkad_ticket t;
	struct rxd_response r;
	int32_t ab = 0;

	if (k->is_client || !k->challenged)
		return RXD_RXKAD_INCONSISTENCY;
	if (rxd_response_decode(response, len, &r) < 0)
		return RXD_RXKAD_PACKETSHORT;
	if (r.ticket_len < RXD_RXKAD_TICKET_MIN || r.ticket_len > RXD_RXKAD_TICKET_MAX)
		return RXD_RXKAD_TICKETLEN;
	if (k->srv->open_ticket(k->srv->arg, r.kvno, r.ticket, r.ticket_len, unix_now(k->srv), &t, &ab) < 0)
		return ab ? ab : RXD_RXKAD_BADTICKET;
	if (rxd_rxkad_conn_key_init(&ck, t.session_key, ci->epoch, ci->cid, ci->security_index, RXD_RXKAD_CLEAR) < 0)
		return RXD_RXKAD_BADKEY;
	if (rxd_rxkad_response_open(&ck, &r, &ri, &ab) < 0)
		return ab;
	struct rxd_rxkad_expect want = {
	    .epoch = ci->epoch,
	    .cid = ci->cid,
	    .security_index = ci->security_index,
	    .min_level = k->min_level,
	    .nonce = k->nonce,
	    .call_numbers = ci->call_numbers,
	};
	if (rxd_rxkad_response_check(&ri, &want, &ab) < 0)
		return ab;
	ck.level = (uint8_t)ri.level;
	k->ck = ck;
	k->ticket = t;
	k->keyed = true;
	return 0;
}

const struct rxd_security_class rxd_rxkad_class = {
    .index = RXD_RXKAD_INDEX,
    .name = "rxkad",
    .packet_overhead = rxkad_overhead,
    .max_data = rxkad_max_data,
    .init_conn = rxkad_init_conn,
    .free_conn = rxkad_free_conn,
    .secure = rxkad_secure,
    .verify = rxkad_verify,
    .issue_challenge = rxkad_issue_challenge,
    .respond = rxkad_respond,
    .verify_response = rxkad_verify_response,
    /* Once keyed, secure reads the key only and verify sets cksum_seen atomically. */
    .mt_safe = true,
};

_Static_assert(sizeof(((struct rxd_rxkad_identity *)0)->name) == RXD_RXKAD_NAME_MAX + 1,
	       "identity names hold a ticket's");

int rxd_rxkad_conn_identity(const void *conn_sec, struct rxd_rxkad_identity *out)
{
	const struct rxkad_conn *k = conn_sec;

	if (!k || !out || k->is_client || !k->keyed)
		return -ENOENT;
	memcpy(out->name, k->ticket.name, sizeof(out->name));
	memcpy(out->instance, k->ticket.instance, sizeof(out->instance));
	memcpy(out->cell, k->ticket.cell, sizeof(out->cell));
	out->expires = k->ticket.end;
	out->level = k->ck.level;
	return 0;
}

/* ------------------------------------------------------------------ keys for applications */

/* The public struct spells the opener out (rxd/security.h cannot see rxkad.h): keep them one type. */
_Static_assert(__builtin_types_compatible_p(rxd_rxkad_open_ticket_fn,
					    __typeof__(((struct rxd_rxkad_server *)0)->open_ticket)),
	       "struct rxd_rxkad_server.open_ticket is an rxd_rxkad_open_ticket_fn");

int rxd_rxkad_open_ticket_des(void *arg, uint32_t kvno, const uint8_t *tkt, size_t len, uint32_t now,
			      struct rxd_rxkad_ticket *t, int32_t *abort)
{
	const struct rxd_rxkad_des_key *key = arg;

	if (kvno != key->kvno) {
		*abort = RXD_RXKAD_UNKNOWNKEY;
		return -EPROTO;
	}
	if (rxd_rxkad_ticket_decode(tkt, len, key->key, t, abort) < 0)
		return -EPROTO;
	return rxd_rxkad_ticket_check_times(t->start, t->end, now, abort);
}

/* 10.7 hours: lifetime byte 0x80, the first of OpenAFS's long lifetimes (lifetimes.h). */
#define RXKAD_OWN_TICKET_LIFE (38400u)
/* Issued this long before now: Linux rxkad_decrypt_ticket refuses an issue time after its own
 * clock with no skew allowed (RXKADNOAUTH), and a qemu guest's clock ran a second behind. */
#define RXKAD_OWN_TICKET_BACKDATE (300u)

int rxd_rxkad_make_key(struct rxd_rxkad_key *k, uint8_t *tkt, size_t cap, const struct rxd_rxkad_des_key *server_key,
		       const char *name, uint32_t now, uint64_t random)
{
	struct rxd_rxkad_ticket t;
	size_t len;

	if (!k || !tkt || !server_key || !name)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	if (strlen(name) > RXD_RXKAD_NAME_MAX || !*name)
		return -EINVAL;
	strcpy(t.name, name);
	strcpy(t.sname, "afs");
	for (unsigned i = 0; i < RXD_RXKAD_KEYLEN; i++)
		t.session_key[i] = (uint8_t)(random >> (8 * i));
	t.start = now - RXKAD_OWN_TICKET_BACKDATE;
	t.end = t.start + RXKAD_OWN_TICKET_LIFE;
	if (rxd_rxkad_ticket_encode(tkt, cap, &len, server_key->key, &t) < 0)
		return -EINVAL;
	memcpy(k->session_key, t.session_key, RXD_RXKAD_KEYLEN);
	k->kvno = server_key->kvno;
	k->ticket = tkt;
	k->ticket_len = (uint32_t)len;
	return 0;
}

int rxd_rxkad_level_parse(const char *s)
{
	static const char *const names[] = {"clear", "auth", "crypt"};

	for (int i = 0; i < 3; i++)
		if (s && strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}
