/* SPDX-License-Identifier: MIT */
/*
 * The out-of-line part of the XDR runtime (afs_xdr.h): arena, opaque and
 * string codecs, and the steps every generated dispatch function shares.
 */
#include <string.h>

#include "afs_xdr.h"

static size_t pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void *rxd_xdec_alloc(struct rxd_xdec *d, size_t n)
{
	size_t take = RXD_XDR_ALIGN(n);
	void *p;

	if (take > d->arena_left)
		return NULL;
	p = d->arena;
	d->arena += take;
	d->arena_left -= take;
	return p;
}

int rxd_xdec_count(struct rxd_xdec *d, uint32_t bound, size_t min_wire, uint32_t *count)
{
	uint32_t n;

	RXD_XTRY(rxd_xdec_u32(d, &n));
	if (n > bound || (min_wire && n > rxd_xdec_left(d) / min_wire))
		return -EBADMSG;
	*count = n;
	return 0;
}

int rxd_xenc_fopaque(struct rxd_xenc *e, const uint8_t *v, size_t n)
{
	size_t pad = pad4(n);

	if (rxd_xenc_room(e) < n + pad)
		return -ENOSPC;
	if (n)
		memcpy(e->p, v, n);
	memset(e->p + n, 0, pad);
	e->p += n + pad;
	return 0;
}

int rxd_xdec_fopaque(struct rxd_xdec *d, uint8_t *v, size_t n)
{
	size_t pad = pad4(n);

	if (rxd_xdec_left(d) < n + pad)
		return -EBADMSG;
	if (n)
		memcpy(v, d->p, n);
	d->p += n + pad;
	return 0;
}

int rxd_xenc_opaque(struct rxd_xenc *e, const uint8_t *v, uint32_t len, uint32_t bound)
{
	if (len > bound)
		return -EINVAL;
	RXD_XTRY(rxd_xenc_u32(e, len));
	return rxd_xenc_fopaque(e, v, len);
}

int rxd_xdec_opaque(struct rxd_xdec *d, uint8_t **v, uint32_t *len, uint32_t bound)
{
	uint32_t n;

	RXD_XTRY(rxd_xdec_count(d, bound, 1, &n));
	*v = rxd_xdec_alloc(d, n ? n : 1);
	if (!*v)
		return -ENOBUFS;
	*len = n;
	return rxd_xdec_fopaque(d, *v, n);
}

int rxd_xenc_string(struct rxd_xenc *e, const char *s, uint32_t bound)
{
	size_t n = s ? strlen(s) : 0;

	if (n > bound)
		return -EINVAL;
	return rxd_xenc_opaque(e, (const uint8_t *)s, (uint32_t)n, bound);
}

int rxd_xdec_string(struct rxd_xdec *d, char **s, uint32_t bound)
{
	uint32_t n;
	char *p;

	RXD_XTRY(rxd_xdec_count(d, bound, 1, &n));
	p = rxd_xdec_alloc(d, (size_t)n + 1);
	if (!p)
		return -ENOBUFS;
	RXD_XTRY(rxd_xdec_fopaque(d, (uint8_t *)p, n));
	if (memchr(p, '\0', n))
		return -EBADMSG;
	p[n] = '\0';
	*s = p;
	return 0;
}

int32_t rxd_xg_begin(struct rxd_xg_call *call, struct rxd_xdec *d)
{
	call->req_used = 0;
	call->reply_len = 0;
	rxd_xdec_init(d, call->req, call->req_len, call->arena, call->arena_cap);
	if (rxd_xdec_u32(d, &call->opcode) < 0)
		return RXD_RXGEN_SS_UNMARSHAL;
	return 0;
}

void rxd_xg_reply_begin(struct rxd_xg_call *call, struct rxd_xenc *e)
{
	rxd_xenc_init(e, call->reply, call->reply_cap);
}

int32_t rxd_xg_reply_end(struct rxd_xg_call *call, const struct rxd_xenc *e, int rc)
{
	if (rc < 0)
		return RXD_RXGEN_SS_MARSHAL;
	call->reply_len = (size_t)(e->p - call->reply);
	return 0;
}

const struct rxd_xg_proc *rxd_xg_find(const struct rxd_xg_proc *t, size_t n, uint32_t opcode)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].opcode == opcode)
			return &t[mid];
		if (t[mid].opcode < opcode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
