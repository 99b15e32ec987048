/* SPDX-License-Identifier: MIT */
/*
 * The XDR runtime under the code scripts/rxgen.py generates from lib/afs/ (.xg files)
 * (RFC 4506 as rx uses it: big-endian 32-bit units; char and short take a
 * whole unit; hyper is two units, high first; opaque and string data padded
 * to 4 bytes).
 *
 * Encoding writes through a struct rxd_xenc cursor into a bounded buffer and
 * fails with -ENOSPC when it is full.  Decoding reads through a struct
 * rxd_xdec cursor and fails with -EBADMSG on short or invalid input; variable
 * parts (strings, opaque, counted arrays) are placed in the cursor's arena,
 * caller-provided memory whose bound the generated *_ARENA constants give, and
 * never malloc'd.  The fixed-size helpers (rxd_xput_*, rxd_xget_*) are
 * unchecked: generated code checks a fixed-size run once, then uses them.
 */
#ifndef RXD_AFS_XDR_H
#define RXD_AFS_XDR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* rxgen's abort codes (OpenAFS src/rxgen/rxgen_consts.h). */
#define RXD_RXGEN_CC_MARSHAL (-450)
#define RXD_RXGEN_CC_UNMARSHAL (-451)
#define RXD_RXGEN_SS_MARSHAL (-452)
#define RXD_RXGEN_SS_UNMARSHAL (-453)
#define RXD_RXGEN_DECODE (-454)
#define RXD_RXGEN_OPCODE (-455)

/* Arena allocations are aligned for any decoded element type. */
#define RXD_XDR_ALIGN(n) (((size_t)(n) + 7u) & ~(size_t)7u)

struct rxd_xenc {
	uint8_t *p;
	uint8_t *end;
};

struct rxd_xdec {
	const uint8_t *p;
	const uint8_t *end;
	uint8_t *arena; /* next free byte of the caller's arena */
	size_t arena_left;
};

static inline void rxd_xenc_init(struct rxd_xenc *e, void *buf, size_t len)
{
	e->p = buf;
	e->end = e->p + len;
}

static inline void rxd_xdec_init(struct rxd_xdec *d, const void *buf, size_t len, void *arena, size_t arena_len)
{
	d->p = buf;
	d->end = d->p + len;
	d->arena = arena;
	d->arena_left = arena ? arena_len : 0;
}

static inline size_t rxd_xenc_room(const struct rxd_xenc *e)
{
	return (size_t)(e->end - e->p);
}

static inline size_t rxd_xdec_left(const struct rxd_xdec *d)
{
	return (size_t)(d->end - d->p);
}

/* Unchecked puts: the caller made sure of the room. */
static inline void rxd_xput_u32(struct rxd_xenc *e, uint32_t v)
{
	e->p[0] = (uint8_t)(v >> 24);
	e->p[1] = (uint8_t)(v >> 16);
	e->p[2] = (uint8_t)(v >> 8);
	e->p[3] = (uint8_t)v;
	e->p += 4;
}

static inline void rxd_xput_i32(struct rxd_xenc *e, int32_t v)
{
	rxd_xput_u32(e, (uint32_t)v);
}

static inline void rxd_xput_u64(struct rxd_xenc *e, uint64_t v)
{
	rxd_xput_u32(e, (uint32_t)(v >> 32));
	rxd_xput_u32(e, (uint32_t)v);
}

static inline void rxd_xput_i64(struct rxd_xenc *e, int64_t v)
{
	rxd_xput_u64(e, (uint64_t)v);
}

/* short and char are sign-extended to a unit as OpenAFS xdr_short/xdr_char
 * do; u_short and u_char are zero-extended. */
static inline void rxd_xput_i16(struct rxd_xenc *e, int16_t v)
{
	rxd_xput_i32(e, v);
}

static inline void rxd_xput_u16(struct rxd_xenc *e, uint16_t v)
{
	rxd_xput_u32(e, v);
}

static inline void rxd_xput_char(struct rxd_xenc *e, char v)
{
	rxd_xput_i32(e, (signed char)v);
}

static inline void rxd_xput_u8(struct rxd_xenc *e, uint8_t v)
{
	rxd_xput_u32(e, v);
}

/* Unchecked gets: the caller made sure of the bytes.  Narrow types keep the
 * low bits of the unit, as OpenAFS and kafs decoders do. */
static inline uint32_t rxd_xget_u32(struct rxd_xdec *d)
{
	uint32_t v = (uint32_t)d->p[0] << 24 | (uint32_t)d->p[1] << 16 | (uint32_t)d->p[2] << 8 | d->p[3];

	d->p += 4;
	return v;
}

static inline int32_t rxd_xget_i32(struct rxd_xdec *d)
{
	return (int32_t)rxd_xget_u32(d);
}

static inline uint64_t rxd_xget_u64(struct rxd_xdec *d)
{
	uint64_t hi = rxd_xget_u32(d);

	return hi << 32 | rxd_xget_u32(d);
}

static inline int64_t rxd_xget_i64(struct rxd_xdec *d)
{
	return (int64_t)rxd_xget_u64(d);
}

static inline int16_t rxd_xget_i16(struct rxd_xdec *d)
{
	return (int16_t)rxd_xget_u32(d);
}

static inline uint16_t rxd_xget_u16(struct rxd_xdec *d)
{
	return (uint16_t)rxd_xget_u32(d);
}

static inline char rxd_xget_char(struct rxd_xdec *d)
{
	return (char)rxd_xget_u32(d);
}

static inline uint8_t rxd_xget_u8(struct rxd_xdec *d)
{
	return (uint8_t)rxd_xget_u32(d);
}

/* Checked single units, for variable-size code paths. */
static inline int rxd_xenc_u32(struct rxd_xenc *e, uint32_t v)
{
	if (rxd_xenc_room(e) < 4)
		return -ENOSPC;
	rxd_xput_u32(e, v);
	return 0;
}

static inline int rxd_xdec_u32(struct rxd_xdec *d, uint32_t *v)
{
	if (rxd_xdec_left(d) < 4)
		return -EBADMSG;
	*v = rxd_xget_u32(d);
	return 0;
}

/* Propagate a negative return (generated code only). */
#define RXD_XTRY(expr)                                                                                                 \
	do {                                                                                                           \
		int rxd_xtry_rc_ = (expr);                                                                             \
		if (rxd_xtry_rc_ < 0)                                                                                  \
			return rxd_xtry_rc_;                                                                           \
	} while (0)

/**
 * rxd_xdec_alloc - take n bytes (aligned) from the decoder's arena.
 * Returns NULL when the arena is too small (the generated decoders then fail
 * with -ENOBUFS: the caller's arena is smaller than the *_ARENA bound).
 */
void *rxd_xdec_alloc(struct rxd_xdec *d, size_t n);

/**
 * rxd_xdec_count - read an array or opaque count and check it against the
 * bound and against the bytes left (each element takes at least min_wire
 * bytes), so a hostile count fails before it takes any arena.
 */
int rxd_xdec_count(struct rxd_xdec *d, uint32_t bound, size_t min_wire, uint32_t *count);

/** rxd_xenc_fopaque / rxd_xdec_fopaque - fixed-length opaque: n bytes, padded. */
int rxd_xenc_fopaque(struct rxd_xenc *e, const uint8_t *v, size_t n);
int rxd_xdec_fopaque(struct rxd_xdec *d, uint8_t *v, size_t n);

/** rxd_xenc_opaque - counted opaque; -EINVAL if len exceeds bound. */
int rxd_xenc_opaque(struct rxd_xenc *e, const uint8_t *v, uint32_t len, uint32_t bound);
/** rxd_xdec_opaque - counted opaque, its bytes copied into the arena. */
int rxd_xdec_opaque(struct rxd_xdec *d, uint8_t **v, uint32_t *len, uint32_t bound);

/** rxd_xenc_string - a C string (NULL encodes as ""); -EINVAL if longer than bound. */
int rxd_xenc_string(struct rxd_xenc *e, const char *s, uint32_t bound);
/** rxd_xdec_string - a string into the arena, NUL-terminated; embedded NULs
 * are -EBADMSG (the C string would silently be a different name). */
int rxd_xdec_string(struct rxd_xdec *d, char **s, uint32_t bound);

/*
 * One server-side request as the generated rxd_<PKG>_dispatch() sees it.
 * The caller fills req/req_len (the request bytes gathered so far, opcode
 * first: the whole request, or at least rxd_<PKG>_REQ_MAX bytes of it for a
 * split procedure whose bulk data follows), reply/reply_cap (room for the
 * reply, rxd_<PKG>_REPLY_MAX is enough) and arena/arena_cap (scratch for the
 * IN arguments' variable parts, rxd_<PKG>_ARENA_MAX is enough).  Dispatch sets
 * opcode, req_used (bytes of opcode + IN arguments: a split procedure's
 * stream starts there) and reply_len.
 */
struct rxd_xg_call {
	const uint8_t *req;
	size_t req_len;
	uint8_t *reply;
	size_t reply_cap;
	void *arena;
	size_t arena_cap;
	uint32_t opcode;
	size_t req_used;
	size_t reply_len;
};

/* Generated dispatch helpers: start decoding after the opcode; finish a reply. */
int32_t rxd_xg_begin(struct rxd_xg_call *call, struct rxd_xdec *d);
void rxd_xg_reply_begin(struct rxd_xg_call *call, struct rxd_xenc *e);
int32_t rxd_xg_reply_end(struct rxd_xg_call *call, const struct rxd_xenc *e, int rc);

/*
 * One procedure of a package, for code that handles procedures generically
 * (the fuzz target, tests, tracing).  The function pointers take the
 * procedure's _in/_out structs; they are NULL where a direction has no
 * arguments.  Tables are sorted by opcode.
 */
struct rxd_xg_proc {
	uint32_t opcode;
	bool split;
	const char *name;
	size_t in_size;
	size_t out_size;
	size_t in_arena; /* the most arena decoding the IN / OUT args takes */
	size_t out_arena;
	int (*enc_in)(struct rxd_xenc *e, const void *in);
	int (*dec_in)(struct rxd_xdec *d, void *in);
	int (*enc_out)(struct rxd_xenc *e, const void *out);
	int (*dec_out)(struct rxd_xdec *d, void *out);
};

/** rxd_xg_find - the procedure with this opcode in a sorted table, or NULL. */
const struct rxd_xg_proc *rxd_xg_find(const struct rxd_xg_proc *t, size_t n, uint32_t opcode);

#endif
