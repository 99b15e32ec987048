/* SPDX-License-Identifier: MIT */
/*
 * Kerberos 4 style rxkad tickets (OpenAFS src/rxkad/ticket.c, Linux
 * net/rxrpc/rxkad.c rxkad_decrypt_ticket): DES-PCBC with the server key as
 * key and IV over {flags, name, instance, realm, host, session key,
 * lifetime byte, start, service name, service instance}, padded to 8.
 * DES itself comes from Nettle.
 */
#include <errno.h>
#include <string.h>

#include <nettle/des.h>

#include "security/rxkad.h"

/* OpenAFS src/rxkad/lifetimes.h: lifetime bytes 0x80..0xBF, in seconds. */
#define LIFE_MIN_FIXED 0x80u
#define LIFE_MAX_FIXED 0xBFu
#define LIFE_NO_EXPIRE 0xFFu
static const uint32_t fixed_lifetimes[LIFE_MAX_FIXED - LIFE_MIN_FIXED + 1] = {
    38400,   41055,   43894,   46929,	50174,	 53643,	  57352,   61318,   65558,   70091,   74937,   80119,	85658,
    91581,   97914,   104684,  111922,	119661,	 127935,  136781,  146239,  156350,  167161,  178720,  191077,	204289,
    218415,  233517,  249664,  266926,	285383,	 305116,  326213,  348769,  372885,  398668,  426234,  455705,	487215,
    520904,  556921,  595430,  636601,	680618,	 727680,  777995,  831789,  889303,  950794,  1016537, 1086825, 1161973,
    1242318, 1328218, 1420057, 1518247, 1623226, 1735464, 1855462, 1983758, 2120925, 2267576, 2424367, 2592000,
};

uint32_t rxd_rxkad_life_to_time(uint32_t start, uint8_t life)
{
	if (life == LIFE_NO_EXPIRE)
		return RXD_RXKAD_NEVERDATE;
	if (life < LIFE_MIN_FIXED)
		return start + life * 300u;
	if (life > LIFE_MAX_FIXED)
		return start + RXD_RXKAD_MAX_LIFETIME;
	return start + fixed_lifetimes[life - LIFE_MIN_FIXED];
}

uint8_t rxd_rxkad_time_to_life(uint32_t start, uint32_t end)
{
	uint32_t life;
	unsigned i;

	if (end == RXD_RXKAD_NEVERDATE)
		return LIFE_NO_EXPIRE;
	if (end <= start || end - start > RXD_RXKAD_MAX_LIFETIME)
		return 0;
	life = end - start;
	if (life < fixed_lifetimes[0])
		return (uint8_t)((life + 299u) / 300u); /* round up to 5 minutes */
	/* the table is increasing: the first entry >= life is the closest above */
	for (i = 0; i < sizeof(fixed_lifetimes) / sizeof(fixed_lifetimes[0]); i++)
		if (fixed_lifetimes[i] >= life)
			return (uint8_t)(LIFE_MIN_FIXED + i);
	return 0;
}

int rxd_rxkad_ticket_check_times(uint32_t start, uint32_t end, uint32_t now, int32_t *abort)
{
	/* OpenAFS tkt_CheckTimes, mapped to codes as rxkad_CheckResponse does */
	*abort = 0;
	if (start >= end || start > now + RXD_RXKAD_CLOCK_SKEW + RXD_RXKAD_MAX_LIFETIME ||
	    (start != 0 && end != RXD_RXKAD_NEVERDATE && end - start > RXD_RXKAD_MAX_LIFETIME))
		*abort = RXD_RXKAD_BADTICKET;
	else if (end != RXD_RXKAD_NEVERDATE && end + RXD_RXKAD_CLOCK_SKEW < now)
		*abort = (start != 0 && now - start > RXD_RXKAD_MAX_LIFETIME + 24u * 3600u) ? RXD_RXKAD_BADTICKET
											    : RXD_RXKAD_EXPIRED;
	else if (start != 0 && start - RXD_RXKAD_CLOCK_SKEW > now)
		*abort = RXD_RXKAD_NOAUTH; /* not yet valid */
	return *abort ? -EPROTO : 0;
}

/* DES-PCBC with IV = key, as tkt_MakeTicket / tkt_DecodeTicket use it. */
static void des_pcbc(const uint8_t key[8], uint8_t *out, const uint8_t *in, size_t len, int dec)
{
	struct des_ctx ctx;
	uint8_t x[8], t[8], c[8];
	size_t off;
	unsigned i;

	des_set_key(&ctx, key); /* weak keys are used as given, as OpenAFS does */
	memcpy(x, key, 8);
	for (off = 0; off < len; off += 8) {
		memcpy(t, in + off, 8);
		if (dec) {
			des_decrypt(&ctx, 8, c, t);
			for (i = 0; i < 8; i++) {
				c[i] ^= x[i];
				x[i] = t[i] ^ c[i];
			}
		} else {
			for (i = 0; i < 8; i++)
				x[i] ^= t[i];
			des_encrypt(&ctx, 8, c, x);
			for (i = 0; i < 8; i++)
				x[i] = t[i] ^ c[i];
		}
		memcpy(out + off, c, 8);
	}
}

/* A NUL-terminated string of min..RXD_RXKAD_NAME_MAX chars at *pos. */
static int get_str(const uint8_t *b, size_t len, size_t *pos, char *dst, size_t min)
{
	const uint8_t *nul = memchr(b + *pos, 0, len - *pos);
	size_t n;

	if (!nul)
		return -1;
	n = (size_t)(nul - (b + *pos));
	if (n < min || n > RXD_RXKAD_NAME_MAX)
		return -1;
	memcpy(dst, b + *pos, n + 1);
	*pos += n + 1;
	return 0;
}

/* OpenAFS ktohl: flags bit 0 says the sender wrote little-endian words. */
static uint32_t get_k32(const uint8_t *p, uint8_t flags)
{
	if (flags & 1)
		return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
	return rxd_get_be32(p);
}

static int parse_ticket(const uint8_t *b, size_t len, struct rxd_rxkad_ticket *t)
{
	size_t pos = 1;
	uint8_t flags = b[0], life;

	if (get_str(b, len, &pos, t->name, 1) || get_str(b, len, &pos, t->instance, 0) ||
	    get_str(b, len, &pos, t->cell, 0))
		return -1;
	if (len - pos < 4 + RXD_FCRYPT_KEYLEN + 1 + 4)
		return -1;
	t->host = get_k32(b + pos, flags);
	pos += 4;
	memcpy(t->session_key, b + pos, RXD_FCRYPT_KEYLEN);
	pos += RXD_FCRYPT_KEYLEN;
	life = b[pos++];
	t->start = get_k32(b + pos, flags);
	pos += 4;
	t->end = rxd_rxkad_life_to_time(t->start, life);
	if (get_str(b, len, &pos, t->sname, 1) || get_str(b, len, &pos, t->sinstance, 0))
		return -1;
	/* OpenAFS: the padded contents must be the whole ticket (56 is let through for old ka servers) */
	if (((pos + 7) & ~(size_t)7) != len && len != 56)
		return -1;
	return 0;
}

int rxd_rxkad_ticket_decode(const uint8_t *tkt, size_t len, const uint8_t server_key[RXD_FCRYPT_KEYLEN],
			    struct rxd_rxkad_ticket *t, int32_t *abort)
{
	uint8_t clear[RXD_RXKAD_TICKET_MAX];

	if (len < RXD_RXKAD_TICKET_MIN || len > RXD_RXKAD_TICKET_MAX) {
		*abort = RXD_RXKAD_TICKETLEN;
		return -EPROTO;
	}
	if (len % 8) {
		*abort = RXD_RXKAD_BADTICKET;
		return -EPROTO;
	}
	des_pcbc(server_key, clear, tkt, len, 1);
	memset(t, 0, sizeof(*t));
	if (parse_ticket(clear, len, t)) {
		*abort = RXD_RXKAD_BADTICKET;
		return -EPROTO;
	}
	return 0;
}

static int put_str(uint8_t *b, size_t cap, size_t *pos, const char *s, size_t min)
{
	size_t n = strnlen(s, RXD_RXKAD_NAME_MAX + 1);

	if (n < min || n > RXD_RXKAD_NAME_MAX || cap - *pos < n + 1)
		return -1;
	memcpy(b + *pos, s, n + 1);
	*pos += n + 1;
	return 0;
}

int rxd_rxkad_ticket_encode(uint8_t *out, size_t cap, size_t *len, const uint8_t server_key[RXD_FCRYPT_KEYLEN],
			    const struct rxd_rxkad_ticket *t)
{
	size_t pos = 1, padded;
	uint8_t life = rxd_rxkad_time_to_life(t->start, t->end);

	if (!life || cap < 1)
		return -EINVAL;
	out[0] = 0; /* flags: big-endian words */
	if (put_str(out, cap, &pos, t->name, 1) || put_str(out, cap, &pos, t->instance, 0) ||
	    put_str(out, cap, &pos, t->cell, 0) || cap - pos < 4 + RXD_FCRYPT_KEYLEN + 1 + 4)
		return -EINVAL;
	rxd_put_be32(out + pos, t->host);
	pos += 4;
	memcpy(out + pos, t->session_key, RXD_FCRYPT_KEYLEN);
	pos += RXD_FCRYPT_KEYLEN;
	out[pos++] = life;
	rxd_put_be32(out + pos, t->start);
	pos += 4;
	if (put_str(out, cap, &pos, t->sname, 1) || put_str(out, cap, &pos, t->sinstance, 0))
		return -EINVAL;
	padded = (pos + 7) & ~(size_t)7;
	if (padded > cap || padded > RXD_RXKAD_TICKET_MAX)
		return -EINVAL;
	memset(out + pos, 0, padded - pos);
	des_pcbc(server_key, out, out, padded, 0);
	*len = padded;
	return 0;
}
