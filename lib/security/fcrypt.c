/* SPDX-License-Identifier: MIT */
/*
 * fcrypt (see fcrypt.h).  One engine serves every entry point: up to
 * RXD_FCRYPT_MB_LANES independent streams ("lanes") advance one block each
 * per step, their rounds interleaved so table loads of one lane overlap the
 * dependent rounds of another.  Single-stream PCBC is the engine with one
 * lane; ECB over a buffer splits it into lanes of consecutive blocks.
 */
#include <errno.h>
#include <string.h>

#include "security/fcrypt.h"
#include "security/fcrypt_sbox.h"

#if defined(__GNUC__)
#define FC_INLINE static inline __attribute__((always_inline))
#else
#define FC_INLINE static inline
#endif

static inline uint32_t load_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, 4);
}

/* The round function: key-mixed half through the four placed S-boxes. */
FC_INLINE uint32_t fc_f(uint32_t x)
{
	return fcrypt_sp[0][x >> 24] ^ fcrypt_sp[1][(x >> 16) & 0xff] ^ fcrypt_sp[2][(x >> 8) & 0xff] ^
	       fcrypt_sp[3][x & 0xff];
}

void rxd_fcrypt_setkey(struct rxd_fcrypt_key *k, const uint8_t key[RXD_FCRYPT_KEYLEN])
{
	uint64_t w = 0;
	unsigned i;

	/* 7 key bits per byte, first byte most significant: 56 bits. */
	for (i = 0; i < RXD_FCRYPT_KEYLEN; i++)
		w = (w << 7) | (key[i] >> 1);
	for (i = 0; i < RXD_FCRYPT_ROUNDS; i++) {
		k->enc[i] = (uint32_t)w;
		k->dec[RXD_FCRYPT_ROUNDS - 1 - i] = (uint32_t)w;
		/* rotate the 56-bit word right by 11 */
		w = (w >> 11) | ((w & 0x7ffu) << 45);
	}
}

enum fc_mode { FC_ECB_ENC, FC_ECB_DEC, FC_PCBC_ENC, FC_PCBC_DEC };

struct fc_lane {
	const uint32_t *sched;
	uint32_t xl, xr; /* PCBC chaining value */
	const uint8_t *in;
	uint8_t *out;
	size_t nblk;
	struct rxd_fcrypt_job *job; /* where to write the final iv back, or NULL */
};

/*
 * Advance nl lanes by m blocks each.  nl and mode are constants at every
 * call site, so the lane loops unroll and the lane state stays in registers.
 * Decryption is the same network run over (R, L) with the reversed schedule.
 */
FC_INLINE void fc_steps(struct fc_lane *ln, const unsigned nl, size_t m, const enum fc_mode mode)
{
	const int dec = (mode == FC_ECB_DEC || mode == FC_PCBC_DEC);
	const uint32_t *s[RXD_FCRYPT_MB_LANES];
	uint32_t xl[RXD_FCRYPT_MB_LANES], xr[RXD_FCRYPT_MB_LANES];
	uint32_t a[RXD_FCRYPT_MB_LANES], b[RXD_FCRYPT_MB_LANES];
	uint32_t pl[RXD_FCRYPT_MB_LANES], pr[RXD_FCRYPT_MB_LANES];
	size_t off = 0;
	unsigned j, i;

	for (j = 0; j < nl; j++) {
		s[j] = ln[j].sched;
		xl[j] = ln[j].xl;
		xr[j] = ln[j].xr;
	}
	for (size_t blk = 0; blk < m; blk++, off += RXD_FCRYPT_BLOCK) {
#pragma GCC unroll 4
		for (j = 0; j < nl; j++) {
			pl[j] = load_be32(ln[j].in + off);
			pr[j] = load_be32(ln[j].in + off + 4);
			if (mode == FC_PCBC_ENC) {
				a[j] = pl[j] ^ xl[j];
				b[j] = pr[j] ^ xr[j];
			} else if (dec) {
				a[j] = pr[j];
				b[j] = pl[j];
			} else {
				a[j] = pl[j];
				b[j] = pr[j];
			}
		}
		for (i = 0; i < RXD_FCRYPT_ROUNDS; i += 2) {
#pragma GCC unroll 4
			for (j = 0; j < nl; j++)
				a[j] ^= fc_f(b[j] ^ s[j][i]);
#pragma GCC unroll 4
			for (j = 0; j < nl; j++)
				b[j] ^= fc_f(a[j] ^ s[j][i + 1]);
		}
#pragma GCC unroll 4
		for (j = 0; j < nl; j++) {
			uint32_t o0 = dec ? b[j] : a[j], o1 = dec ? a[j] : b[j];

			if (mode == FC_PCBC_ENC) {
				xl[j] = pl[j] ^ o0;
				xr[j] = pr[j] ^ o1;
			} else if (mode == FC_PCBC_DEC) {
				o0 ^= xl[j];
				o1 ^= xr[j];
				xl[j] = pl[j] ^ o0;
				xr[j] = pr[j] ^ o1;
			}
			store_be32(ln[j].out + off, o0);
			store_be32(ln[j].out + off + 4, o1);
		}
	}
	for (j = 0; j < nl; j++) {
		ln[j].xl = xl[j];
		ln[j].xr = xr[j];
		ln[j].in += off;
		ln[j].out += off;
		ln[j].nblk -= m;
	}
}

/* One mode's step function for each lane count (constant-folded copies). */
#define FC_STEP_FN(name, mode)                                                                                         \
	static void name(struct fc_lane *ln, unsigned nl, size_t m)                                                    \
	{                                                                                                              \
		switch (nl) {                                                                                          \
		case 4:                                                                                                \
			fc_steps(ln, 4, m, mode);                                                                      \
			break;                                                                                         \
		case 3:                                                                                                \
			fc_steps(ln, 3, m, mode);                                                                      \
			break;                                                                                         \
		case 2:                                                                                                \
			fc_steps(ln, 2, m, mode);                                                                      \
			break;                                                                                         \
		default:                                                                                               \
			fc_steps(ln, 1, m, mode);                                                                      \
			break;                                                                                         \
		}                                                                                                      \
	}
FC_STEP_FN(fc_step_ecb_enc, FC_ECB_ENC)
FC_STEP_FN(fc_step_ecb_dec, FC_ECB_DEC)
FC_STEP_FN(fc_step_pcbc_enc, FC_PCBC_ENC)
FC_STEP_FN(fc_step_pcbc_dec, FC_PCBC_DEC)

typedef void fc_step_fn(struct fc_lane *ln, unsigned nl, size_t m);

static void lane_retire(struct fc_lane *l)
{
	if (l->job) {
		store_be32(l->job->iv, l->xl);
		store_be32(l->job->iv + 4, l->xr);
	}
}

/*
 * Run lanes until all are done, refilling each finished lane from *next
 * (jobs[0..n)).  Each step runs every active lane for as many blocks as the
 * shortest has left, so lanes never idle inside a step.
 */
static void fc_run(fc_step_fn *step, struct fc_lane *ln, unsigned nl, struct rxd_fcrypt_job *jobs, unsigned n,
		   unsigned next, int dec)
{
	while (nl > 0) {
		size_t m = ln[0].nblk;
		unsigned j;

		for (j = 1; j < nl; j++)
			if (ln[j].nblk < m)
				m = ln[j].nblk;
		if (m)
			step(ln, nl, m);
		for (j = 0; j < nl;) {
			if (ln[j].nblk) {
				j++;
				continue;
			}
			lane_retire(&ln[j]);
			if (next < n) {
				struct rxd_fcrypt_job *jb = &jobs[next++];

				ln[j] = (struct fc_lane){.sched = dec ? jb->key->dec : jb->key->enc,
							 .xl = load_be32(jb->iv),
							 .xr = load_be32(jb->iv + 4),
							 .in = jb->in,
							 .out = jb->out,
							 .nblk = jb->len / RXD_FCRYPT_BLOCK,
							 .job = jb};
			} else {
				ln[j] = ln[--nl];
			}
		}
	}
}

static int fc_pcbc_mb(struct rxd_fcrypt_job *jobs, unsigned n, int dec)
{
	struct fc_lane ln[RXD_FCRYPT_MB_LANES];
	unsigned i, nl = 0;

	for (i = 0; i < n; i++)
		if (jobs[i].len % RXD_FCRYPT_BLOCK || !jobs[i].key)
			return -EINVAL;
	/* Lanes start empty; fc_run fills them from the job list. */
	for (i = 0; i < n && nl < RXD_FCRYPT_MB_LANES; i++)
		ln[nl++] = (struct fc_lane){.nblk = 0, .job = NULL};
	fc_run(dec ? fc_step_pcbc_dec : fc_step_pcbc_enc, ln, nl, jobs, n, 0, dec);
	return 0;
}

int rxd_fcrypt_pcbc_encrypt_mb(struct rxd_fcrypt_job *jobs, unsigned n)
{
	return fc_pcbc_mb(jobs, n, 0);
}

int rxd_fcrypt_pcbc_decrypt_mb(struct rxd_fcrypt_job *jobs, unsigned n)
{
	return fc_pcbc_mb(jobs, n, 1);
}

static int fc_pcbc1(const struct rxd_fcrypt_key *k, uint8_t iv[RXD_FCRYPT_BLOCK], uint8_t *out, const uint8_t *in,
		    size_t len, int dec)
{
	struct fc_lane ln;

	if (len % RXD_FCRYPT_BLOCK)
		return -EINVAL;
	ln = (struct fc_lane){.sched = dec ? k->dec : k->enc,
			      .xl = load_be32(iv),
			      .xr = load_be32(iv + 4),
			      .in = in,
			      .out = out,
			      .nblk = len / RXD_FCRYPT_BLOCK};
	if (dec)
		fc_steps(&ln, 1, ln.nblk, FC_PCBC_DEC);
	else
		fc_steps(&ln, 1, ln.nblk, FC_PCBC_ENC);
	store_be32(iv, ln.xl);
	store_be32(iv + 4, ln.xr);
	return 0;
}

int rxd_fcrypt_pcbc_encrypt(const struct rxd_fcrypt_key *k, uint8_t iv[RXD_FCRYPT_BLOCK], uint8_t *out,
			    const uint8_t *in, size_t len)
{
	return fc_pcbc1(k, iv, out, in, len, 0);
}

int rxd_fcrypt_pcbc_decrypt(const struct rxd_fcrypt_key *k, uint8_t iv[RXD_FCRYPT_BLOCK], uint8_t *out,
			    const uint8_t *in, size_t len)
{
	return fc_pcbc1(k, iv, out, in, len, 1);
}

/* ECB blocks are independent: split the buffer into lanes of consecutive blocks. */
static int fc_ecb(const struct rxd_fcrypt_key *k, uint8_t *out, const uint8_t *in, size_t len, int dec)
{
	struct fc_lane ln[RXD_FCRYPT_MB_LANES];
	size_t nblk = len / RXD_FCRYPT_BLOCK, per, done = 0;
	unsigned nl = 0;

	if (len % RXD_FCRYPT_BLOCK)
		return -EINVAL;
	per = nblk / RXD_FCRYPT_MB_LANES;
	if (per == 0)
		per = nblk; /* fewer blocks than lanes: one lane */
	while (done < nblk) {
		size_t take = (nl == RXD_FCRYPT_MB_LANES - 1 || nblk - done < per) ? nblk - done : per;

		ln[nl++] = (struct fc_lane){.sched = dec ? k->dec : k->enc,
					    .in = in + done * RXD_FCRYPT_BLOCK,
					    .out = out + done * RXD_FCRYPT_BLOCK,
					    .nblk = take};
		done += take;
	}
	fc_run(dec ? fc_step_ecb_dec : fc_step_ecb_enc, ln, nl, NULL, 0, 0, dec);
	return 0;
}

int rxd_fcrypt_ecb_encrypt(const struct rxd_fcrypt_key *k, uint8_t *out, const uint8_t *in, size_t len)
{
	return fc_ecb(k, out, in, len, 0);
}

int rxd_fcrypt_ecb_decrypt(const struct rxd_fcrypt_key *k, uint8_t *out, const uint8_t *in, size_t len)
{
	return fc_ecb(k, out, in, len, 1);
}
