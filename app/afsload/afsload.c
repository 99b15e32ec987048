/* SPDX-License-Identifier: MIT */
/* The AFS load generator's engine (see afsload.h). */
#include "afsload.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RXAFS is rx service 1 at the fileserver, RXAFSCB service 1 at the client. */
#define FS_SERVICE 1u
#define CM_SERVICE 1u
#define VL_SERVICE 52u

/* The pattern every file's bytes are cut from: file i's byte at offset o is
 * base[(o + shift(i)) % BASE].  BASE is odd so that neither a wrong file nor a
 * wrong offset by a power of two reads the same bytes; the first PIECE bytes
 * are repeated after BASE so any piece of up to PIECE bytes is contiguous. */
#define BASE ((1u << 20) + 4099u)
#define PIECE 65536u

#define AFS_SETMODE 8u /* AFSStoreStatus.Mask bit (OpenAFS afsint.xg) */

/* VBUSY (OpenAFS afs/afsint.h): the volume or vnode is busy, try again later.  A
 * cache manager waits and retries (afs_Analyze); so does the load, a bounded
 * number of times, and reports how often. */
#define VBUSY 110
#define BUSY_RETRY_NS 20000000ull
#define BUSY_TRIES 200u

/* FetchData64 replies start with the length, 8 bytes, high word first. */
#define LEN64 8u

struct slot {
	struct rxd_afsload *g;
	struct rxd_call *call;
	enum rxd_afsload_phase ph;
	uint32_t file;
	uint64_t start;
	/* request: hdr, then (store) the file's bytes */
	uint8_t hdr[RXD_RXAFS_REQ_MAX];
	uint32_t hdr_len;
	uint64_t tx_off, tx_total;
	bool tx_ended;
	/* reply: (fetch) the length and the bytes, then the OUT arguments */
	uint64_t rx_off;
	uint8_t len64[LEN64];
	uint8_t tail[RXD_RXAFS_REPLY_MAX];
	uint32_t tail_len;
	bool bad;  /* the reply failed a check: the call was aborted */
	bool live; /* begun and not yet complete */
	/* VBUSY: the same item again at retry_at */
	bool retry;
	unsigned tries;
	uint64_t item, retry_at;
};

struct rxd_afsload {
	struct rxd_afsload_params p;
	rxd_app_clock_fn clock;
	void *clock_arg;
	struct slot *slots;
	unsigned active;
	unsigned waiting;	 /* slots waiting to retry after VBUSY */
	struct rxd_AFSFid *fids; /* per file, from CreateFile */
	uint8_t *base;		 /* BASE + PIECE pattern bytes of seed */
	uint8_t *check;		 /* those of check_seed (base when the same) */
	enum rxd_afsload_phase ph;
	uint64_t next_item, items; /* items of the phase begun / to begin (0 = until the deadline) */
	uint64_t deadline;
	bool started; /* the current phase has begun */
	bool stopping, failed;
	atomic_bool done;
	/* the volume's lookup (params.lookup): wanted, in flight, its reply */
	bool vl_wanted;
	bool vl_busy;
	uint8_t vl_reply[RXD_VL_GetEntryByNameU_OUT_MAX];
	size_t vl_len;
	struct rxd_afsload_stats st;
};

static const char *const phase_names[RXD_AL__PHASES] = {"create", "store", "fetch", "status", "remove"};

const char *rxd_afsload_phase_name(enum rxd_afsload_phase p)
{
	return (unsigned)p < RXD_AL__PHASES ? phase_names[p] : "?";
}

static uint64_t now_of(const struct rxd_afsload *g)
{
	return g->clock(g->clock_arg);
}

static uint32_t shift_of(uint32_t file)
{
	return (uint32_t)(((uint64_t)file * 2654435761u + 977u) % BASE);
}

/* The file's bytes [off, off + n) (n <= PIECE), contiguous in the pattern buffer. */
static const uint8_t *pattern(const uint8_t *base, uint32_t file, uint64_t off)
{
	return base + (off + shift_of(file)) % BASE;
}

static uint8_t *make_pattern(uint32_t seed)
{
	uint8_t *b = malloc((size_t)BASE + PIECE);
	uint64_t x = 0x9e3779b97f4a7c15ull ^ seed;

	if (!b)
		return NULL;
	for (uint32_t i = 0; i < BASE; i++) { /* xorshift64* bytes */
		x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
		b[i] = (uint8_t)((x * 0x2545f4914f6cdd1dull) >> 56);
	}
	memcpy(b + BASE, b, PIECE);
	return b;
}

static void fail(struct rxd_afsload *g, const struct slot *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct rxd_afsload *g, const struct slot *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	g->failed = true;
	if (g->st.first_error[0])
		return;
	n = snprintf(g->st.first_error, sizeof g->st.first_error, "%s of file %u: ", phase_names[s->ph], s->file);
	if (n < 0 || (size_t)n >= sizeof g->st.first_error)
		return;
	va_start(ap, fmt);
	vsnprintf(g->st.first_error + n, sizeof g->st.first_error - (size_t)n, fmt, ap);
	va_end(ap);
}

static void name_of(const struct rxd_afsload *g, uint32_t file, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%u", g->p.prefix, file);
}

/* ------------------------------------------------------------------ replies */

/* Reply bytes [rx_off, rx_off + n). */
static void take(struct slot *s, const uint8_t *d, uint32_t n)
{
	struct rxd_afsload *g = s->g;

	while (n && !s->bad) {
		if (s->ph == RXD_AL_FETCH && s->rx_off < LEN64) {
			uint32_t m = LEN64 - (uint32_t)s->rx_off < n ? LEN64 - (uint32_t)s->rx_off : n;
			memcpy(s->len64 + s->rx_off, d, m);
			s->rx_off += m, d += m, n -= m;
			if (s->rx_off == LEN64) {
				struct rxd_xdec x;
				uint64_t len;
				rxd_xdec_init(&x, s->len64, LEN64, NULL, 0);
				len = rxd_xget_u64(&x);
				if (len != g->p.size) {
					g->st.verify_errors++;
					fail(g, s, "the server announced %llu bytes, %llu were stored",
					     (unsigned long long)len, (unsigned long long)g->p.size);
					s->bad = true;
				}
			}
		} else if (s->ph == RXD_AL_FETCH && s->rx_off < LEN64 + g->p.size) {
			uint64_t off = s->rx_off - LEN64, left = g->p.size - off;
			uint32_t m = left < n ? (uint32_t)left : n;
			if (m > PIECE)
				m = PIECE;
			if (memcmp(d, pattern(g->check, s->file, off), m) != 0) {
				g->st.verify_errors++;
				fail(g, s, "bytes %llu..%llu differ from what was stored", (unsigned long long)off,
				     (unsigned long long)(off + m));
				s->bad = true;
			}
			s->rx_off += m, d += m, n -= m;
		} else {
			if (s->tail_len + n > sizeof s->tail) {
				fail(g, s, "reply longer than its OUT arguments");
				s->bad = true;
				return;
			}
			memcpy(s->tail + s->tail_len, d, n);
			s->tail_len += n;
			s->rx_off += n;
			n = 0;
		}
	}
}

static void on_data(void *app, struct rxd_call *call)
{
	struct slot *s = app;
	struct rxd_seg segs[32];
	bool eor = false;
	unsigned n;

	do {
		size_t used = 0;
		n = rxd_call_peek(call, segs, 32, &eor);
		for (unsigned i = 0; i < n; i++) {
			take(s, segs[i].data, segs[i].len);
			used += segs[i].len;
		}
		if (used)
			rxd_call_consume(call, used, now_of(s->g));
		if (s->bad) {
			rxd_call_abort(call, RXD_RXGEN_CC_UNMARSHAL, now_of(s->g));
			return;
		}
	} while (n == 32);
}

/* A file's length in an AFSFetchStatus must be what was stored (0 before the store). */
static bool length_ok(struct slot *s, const struct rxd_AFSFetchStatus *st)
{
	struct rxd_afsload *g = s->g;
	uint64_t want = g->p.run[RXD_AL_STORE] && s->ph != RXD_AL_CREATE ? g->p.size : 0;
	uint64_t have = (uint64_t)st->Length_hi << 32 | st->Length;

	if (have == want)
		return true;
	g->st.verify_errors++;
	fail(g, s, "status says %llu bytes, %llu expected", (unsigned long long)have, (unsigned long long)want);
	return false;
}

/* Decode the OUT arguments; false (and the error noted) when they do not decode or do not fit. */
static bool finish_reply(struct slot *s)
{
	struct rxd_afsload *g = s->g;
	struct rxd_xdec d;
	int rc = -EBADMSG;

	rxd_xdec_init(&d, s->tail, s->tail_len, NULL, 0);
	switch (s->ph) {
	case RXD_AL_CREATE: {
		struct rxd_RXAFS_CreateFile_out o;
		rc = rxd_RXAFS_CreateFile_dec_out(&d, &o);
		if (!rc) {
			g->fids[s->file] = o.OutFid;
			if (!length_ok(s, &o.OutFidStatus))
				return false;
		}
		break;
	}
	case RXD_AL_STORE: {
		struct rxd_RXAFS_StoreData64_out o;
		rc = rxd_RXAFS_StoreData64_dec_out(&d, &o);
		if (!rc && !length_ok(s, &o.OutStatus))
			return false;
		break;
	}
	case RXD_AL_FETCH: {
		struct rxd_RXAFS_FetchData64_out o;
		if (s->rx_off < LEN64 + g->p.size) {
			g->st.verify_errors++;
			fail(g, s, "reply ended after %llu of %llu bytes",
			     (unsigned long long)(s->rx_off > LEN64 ? s->rx_off - LEN64 : 0),
			     (unsigned long long)g->p.size);
			return false;
		}
		rc = rxd_RXAFS_FetchData64_dec_out(&d, &o);
		if (!rc && !length_ok(s, &o.OutStatus))
			return false;
		break;
	}
	case RXD_AL_STATUS: {
		struct rxd_RXAFS_FetchStatus_out o;
		rc = rxd_RXAFS_FetchStatus_dec_out(&d, &o);
		if (!rc && !length_ok(s, &o.OutStatus))
			return false;
		break;
	}
	case RXD_AL_REMOVE: {
		struct rxd_RXAFS_RemoveFile_out o;
		rc = rxd_RXAFS_RemoveFile_dec_out(&d, &o);
		break;
	}
	default:
		break;
	}
	if (rc || rxd_xdec_left(&d)) {
		fail(g, s, "the reply's %u bytes of OUT arguments do not decode", s->tail_len);
		return false;
	}
	return true;
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct slot *s = app;
	struct rxd_afsload *g = s->g;
	struct rxd_afsload_phase_stats *ps = &g->st.ph[s->ph];
	uint64_t now = now_of(g);
	enum rxd_completion how = rxd_call_completion(call);

	if (how == RXD_CALL_REMOTELY_ABORTED && rxd_call_abort_code(call) == VBUSY && s->tries < BUSY_TRIES &&
	    !g->stopping) {
		g->st.vbusy++;
		s->retry = true;
		s->retry_at = now + BUSY_RETRY_NS;
		g->waiting++;
	} else if (s->bad) {
		ps->errors++;
	} else if (how != RXD_CALL_SUCCEEDED) {
		ps->errors++;
		if (how == RXD_CALL_REMOTELY_ABORTED || how == RXD_CALL_LOCALLY_ABORTED)
			fail(g, s, "%s, abort code %d", rxd_completion_name(how), rxd_call_abort_code(call));
		else
			fail(g, s, "%s, error %d", rxd_completion_name(how), rxd_call_error(call));
	} else if (!finish_reply(s)) {
		ps->errors++;
	} else {
		ps->ok++;
		if (s->ph == RXD_AL_STORE || s->ph == RXD_AL_FETCH)
			ps->bytes += g->p.size;
		rxd_histo_add(&ps->lat, now - s->start);
	}
	ps->t_last = now;
	rxd_call_end(call, now);
	s->call = NULL;
	s->live = false;
	g->active--;
}

/* ------------------------------------------------------------------ requests */

static void pump(struct slot *s, uint64_t now)
{
	struct rxd_afsload *g = s->g;
	bool ended = false;
	ssize_t r;

	while (!s->tx_ended && s->tx_off < s->tx_total) {
		const uint8_t *p;
		size_t n;
		if (s->tx_off < s->hdr_len) {
			p = s->hdr + s->tx_off;
			n = s->hdr_len - (size_t)s->tx_off;
		} else {
			uint64_t off = s->tx_off - s->hdr_len, left = g->p.size - off;
			p = pattern(g->base, s->file, off);
			n = left < PIECE ? (size_t)left : PIECE;
		}
		r = rxd_app_send(s->call, p, n, s->tx_off + n < s->tx_total, &ended, now);
		if (r < 0)
			return; /* the completion says why */
		s->tx_off += (uint64_t)r;
		s->tx_ended = ended;
		if ((size_t)r < n)
			return; /* writable() resumes */
	}
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct slot *s = app;

	(void)call;
	pump(s, now_of(s->g));
}

static const struct rxd_call_ops fs_ops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

/* The request of phase ph for the file into s->hdr; its total length (file bytes included). */
static int encode(struct rxd_afsload *g, struct slot *s)
{
	const struct rxd_AFSFid *fid = &g->fids[s->file];
	char name[96];
	struct rxd_xenc e;
	int rc = -EINVAL;

	rxd_xenc_init(&e, s->hdr, sizeof s->hdr);
	name_of(g, s->file, name, sizeof name);
	switch (s->ph) {
	case RXD_AL_CREATE: {
		struct rxd_RXAFS_CreateFile_in in = {
		    .DirFid = g->p.dir, .Name = name, .InStatus = {.Mask = AFS_SETMODE, .UnixModeBits = 0644}};
		rc = rxd_RXAFS_CreateFile_enc_req(&e, &in);
		break;
	}
	case RXD_AL_STORE: {
		struct rxd_RXAFS_StoreData64_in in = {
		    .Fid = *fid, .Pos = 0, .Length = g->p.size, .FileLength = g->p.size};
		rc = rxd_RXAFS_StoreData64_enc_req(&e, &in);
		break;
	}
	case RXD_AL_FETCH: {
		struct rxd_RXAFS_FetchData64_in in = {.Fid = *fid, .Pos = 0, .Length = (int64_t)g->p.size};
		rc = rxd_RXAFS_FetchData64_enc_req(&e, &in);
		break;
	}
	case RXD_AL_STATUS: {
		struct rxd_RXAFS_FetchStatus_in in = {.Fid = *fid};
		rc = rxd_RXAFS_FetchStatus_enc_req(&e, &in);
		break;
	}
	case RXD_AL_REMOVE: {
		struct rxd_RXAFS_RemoveFile_in in = {.DirFid = g->p.dir, .Name = name};
		rc = rxd_RXAFS_RemoveFile_enc_req(&e, &in);
		break;
	}
	default:
		break;
	}
	if (rc)
		return rc;
	s->hdr_len = (uint32_t)(e.p - s->hdr);
	s->tx_total = s->hdr_len + (s->ph == RXD_AL_STORE ? g->p.size : 0);
	return 0;
}

static void begin(struct rxd_afsload *g, struct slot *s, struct rxd_local *l, uint64_t item, uint64_t now)
{
	struct rxd_afsload_phase_stats *ps = &g->st.ph[g->ph];
	struct rxd_call_params cp;
	struct rxd_call *call = NULL;
	unsigned tries = s->retry ? s->tries + 1 : 0;
	uint64_t start = s->retry ? s->start : now; /* the latency counts the waits */
	int rc;

	if (s->retry)
		g->waiting--;
	memset(s, 0, sizeof(*s));
	s->g = g;
	s->ph = g->ph;
	s->item = item;
	s->tries = tries;
	s->file = (uint32_t)(item % g->p.files);
	s->start = start;
	if (!ps->t_first)
		ps->t_first = now;
	rc = encode(g, s);
	memset(&cp, 0, sizeof cp);
	cp.peer = g->p.server;
	cp.service_id = FS_SERVICE;
	cp.user_call_id = item;
	cp.tx_total_len = (int64_t)s->tx_total;
	cp.ops = &fs_ops;
	cp.app = s;
	g->active++;
	s->live = true;
	if (!rc)
		rc = rxd_call_begin(l, &cp, now, &call);
	if (rc) {
		g->active--;
		s->live = false;
		ps->errors++;
		ps->t_last = now;
		fail(g, s, "cannot begin the call: error %d", rc);
		return;
	}
	if (!s->live) /* completed inside rxd_call_begin */
		return;
	s->call = call;
	pump(s, now);
}

/* ------------------------------------------------------------------ the volume's lookup */

static void vl_fail(struct rxd_afsload *g, const char *what, int code)
{
	g->failed = true;
	if (!g->st.first_error[0])
		snprintf(g->st.first_error, sizeof g->st.first_error, "VL lookup of %s: %s %d", g->p.volume, what,
			 code);
}

static void vl_data(void *app, struct rxd_call *call)
{
	struct rxd_afsload *g = app;
	bool eor = false;
	ssize_t n;

	do {
		n = rxd_call_recv(call, g->vl_reply + g->vl_len, sizeof g->vl_reply - g->vl_len, &eor, now_of(g));
		if (n > 0)
			g->vl_len += (size_t)n;
	} while (n > 0 && g->vl_len < sizeof g->vl_reply);
	if (!eor && g->vl_len == sizeof g->vl_reply)
		rxd_call_abort(call, RXD_RXGEN_CC_UNMARSHAL, now_of(g)); /* longer than any entry */
}

static void vl_complete(void *app, struct rxd_call *call)
{
	struct rxd_afsload *g = app;
	enum rxd_completion how = rxd_call_completion(call);
	struct rxd_VL_GetEntryByNameU_out o;
	struct rxd_xdec d;

	rxd_xdec_init(&d, g->vl_reply, g->vl_len, NULL, 0);
	if (how != RXD_CALL_SUCCEEDED)
		vl_fail(g, rxd_completion_name(how),
			how == RXD_CALL_REMOTELY_ABORTED || how == RXD_CALL_LOCALLY_ABORTED ? rxd_call_abort_code(call)
											    : rxd_call_error(call));
	else if (rxd_VL_GetEntryByNameU_dec_out(&d, &o))
		vl_fail(g, "reply does not decode, bytes", (int)g->vl_len);
	else if (!o.entry.volumeId[0])
		vl_fail(g, "no RW volume, flags", o.entry.flags);
	else
		g->p.dir = (struct rxd_AFSFid){o.entry.volumeId[0], 1, 1};
	g->st.volume = g->p.dir.Volume;
	rxd_call_end(call, now_of(g));
	g->vl_busy = false;
	g->active--;
}

static const struct rxd_call_ops vl_ops = {
    .data = vl_data,
    .complete = vl_complete,
};

static void vl_begin(struct rxd_afsload *g, struct rxd_local *l, uint64_t now)
{
	struct rxd_VL_GetEntryByNameU_in in = {.volumename = g->p.volume};
	uint8_t req[4 + RXD_VL_GetEntryByNameU_IN_MAX];
	struct rxd_call_params cp;
	struct rxd_call *call = NULL;
	struct rxd_xenc e;
	int rc;

	g->vl_wanted = false;
	rxd_xenc_init(&e, req, sizeof req);
	rc = rxd_VL_GetEntryByNameU_enc_req(&e, &in);
	memset(&cp, 0, sizeof cp);
	cp.peer = g->p.vl;
	cp.service_id = VL_SERVICE;
	cp.tx_total_len = e.p - req;
	cp.ops = &vl_ops;
	cp.app = g;
	g->active++;
	g->vl_busy = true; /* cleared by its completion, which may come inside rxd_call_begin */
	if (!rc)
		rc = rxd_call_begin(l, &cp, now, &call);
	if (rc) {
		g->active--;
		g->vl_busy = false;
		vl_fail(g, "cannot begin the call: error", rc);
		return;
	}
	if (g->vl_busy && rxd_call_send(call, req, (size_t)(e.p - req), 0, now) != e.p - req)
		rxd_call_abort(call, RX_USER_ABORT, now);
}

/* ------------------------------------------------------------------ phases */

static bool phase_has_more(const struct rxd_afsload *g, uint64_t now)
{
	if (g->items)
		return g->next_item < g->items;
	return now < g->deadline;
}

static void mark(struct rxd_afsload *g, bool end, uint64_t now)
{
	if (g->p.mark)
		g->p.mark(g->p.mark_arg, g->ph, end, now);
}

/* Enter the next phase that runs; false when none is left. */
static bool next_phase(struct rxd_afsload *g, uint64_t now)
{
	enum rxd_afsload_phase p = g->started ? g->ph + 1 : RXD_AL_CREATE;

	if (g->started)
		mark(g, true, now);

	while (p < RXD_AL__PHASES && !g->p.run[p])
		p++;
	if (p >= RXD_AL__PHASES)
		return false;
	g->ph = p;
	g->started = true;
	mark(g, false, now);
	g->next_item = 0;
	g->deadline = 0;
	switch (p) {
	case RXD_AL_FETCH:
		g->items = (uint64_t)g->p.files * g->p.passes;
		break;
	case RXD_AL_STATUS:
		g->items = g->p.status_calls;
		g->deadline = now + g->p.status_ns;
		break;
	default:
		g->items = g->p.files;
		break;
	}
	return true;
}

void rxd_afsload_poll(struct rxd_afsload *g, struct rxd_local *l, uint64_t now)
{
	if (atomic_load_explicit(&g->done, memory_order_relaxed))
		return;
	if (g->stopping || g->failed) {
		if (!g->active)
			atomic_store_explicit(&g->done, true, memory_order_release);
		return;
	}
	if (g->vl_wanted) {
		vl_begin(g, l, now);
		return;
	}
	if (g->vl_busy)
		return; /* the files' directory is not known yet */
	if (!g->started || (!g->active && !g->waiting && !phase_has_more(g, now))) {
		if (!next_phase(g, now)) {
			atomic_store_explicit(&g->done, true, memory_order_release);
			return;
		}
	}
	for (unsigned i = 0; i < g->p.concurrency && !g->failed; i++) {
		struct slot *s = &g->slots[i];
		if (s->live)
			continue;
		if (s->retry) {
			if (now >= s->retry_at)
				begin(g, s, l, s->item, now);
		} else if (phase_has_more(g, now)) {
			begin(g, s, l, g->next_item++, now);
		}
	}
}

void rxd_afsload_stop(struct rxd_afsload *g)
{
	g->stopping = true;
}

void rxd_afsload_abort_all(struct rxd_afsload *g, uint64_t now)
{
	g->stopping = true;
	for (unsigned i = 0; i < g->p.concurrency; i++)
		if (g->slots[i].call)
			rxd_call_abort(g->slots[i].call, RX_USER_ABORT, now);
	if (!g->active)
		atomic_store_explicit(&g->done, true, memory_order_release);
}

bool rxd_afsload_done(const struct rxd_afsload *g)
{
	return atomic_load_explicit(&((struct rxd_afsload *)(uintptr_t)g)->done, memory_order_acquire);
}

const struct rxd_afsload_stats *rxd_afsload_stats(const struct rxd_afsload *g)
{
	return &g->st;
}

/* ------------------------------------------------------------------ RXAFSCB: the cache manager's side */

static void my_interfaces(const struct rxd_afsload *g, struct rxd_interfaceAddr *a)
{
	memset(a, 0, sizeof(*a));
	a->numberOfInterfaces = 1;
	a->uuid = g->p.uuid;
	/* host order, as OpenAFS's cache manager reports them (afs_callback.c) */
	a->addr_in[0] = (int32_t)g->p.my_ip;
	a->subnetmask[0] = (int32_t)0xffffff00u;
	a->mtu[0] = 1500;
}

static int32_t cm_callback(void *ctx, const struct rxd_RXAFSCB_CallBack_in *in)
{
	(void)ctx;
	(void)in; /* nothing cached: a break changes nothing */
	return 0;
}

static int32_t cm_nothing(void *ctx)
{
	(void)ctx;
	return 0;
}

static int32_t cm_who_are_you(void *ctx, struct rxd_RXAFSCB_WhoAreYou_out *out)
{
	my_interfaces(ctx, &out->addr);
	return 0;
}

static int32_t cm_icbs3(void *ctx, const struct rxd_RXAFSCB_InitCallBackState3_in *in)
{
	(void)ctx;
	(void)in;
	return 0;
}

/* 0: the same client; 1 (non-zero): a different one (OpenAFS afs_callback.c SRXAFSCB_ProbeUuid). */
static int32_t cm_probe_uuid(void *ctx, const struct rxd_RXAFSCB_ProbeUuid_in *in)
{
	const struct rxd_afsload *g = ctx;

	return memcmp(&in->clientUuid, &g->p.uuid, sizeof in->clientUuid) ? 1 : 0;
}

static int32_t cm_tmay(void *ctx, struct rxd_RXAFSCB_TellMeAboutYourself_out *out)
{
	my_interfaces(ctx, &out->addr);
	out->capabilities.len = 0;
	return 0;
}

static const struct rxd_RXAFSCB_handlers cm_handlers = {
    .CallBack = cm_callback,
    .InitCallBackState = cm_nothing,
    .Probe = cm_nothing,
    .WhoAreYou = cm_who_are_you,
    .InitCallBackState3 = cm_icbs3,
    .ProbeUuid = cm_probe_uuid,
    .TellMeAboutYourself = cm_tmay,
};

static void cm_data(void *app, struct rxd_call *c)
{
	struct rxd_afsload *g = app;
	uint8_t req[RXD_RXAFSCB_REQ_MAX], rep[RXD_RXAFSCB_REPLY_MAX];
	_Alignas(8) uint8_t arena[RXD_RXAFSCB_ARENA_MAX];
	uint64_t now = now_of(g);
	ssize_t n = rxd_app_whole_request(c, req, sizeof(req), RXD_RXGEN_SS_UNMARSHAL, now);
	struct rxd_xg_call x = {
	    .req = req, .reply = rep, .reply_cap = sizeof(rep), .arena = arena, .arena_cap = sizeof(arena)};

	if (n <= 0)
		return;
	g->st.cm_calls++;
	x.req_len = (size_t)n;
	rxd_app_reply(c, rxd_RXAFSCB_dispatch(&cm_handlers, g, &x), rep, x.reply_len, RXD_RXGEN_SS_MARSHAL, now);
}

static void cm_complete(void *app, struct rxd_call *c)
{
	rxd_call_end(c, now_of(app));
}

static const struct rxd_call_ops cm_ops = {
    .data = cm_data,
    .complete = cm_complete,
};

void rxd_afsload_cm_desc(struct rxd_afsload *g, struct rxd_service_desc *d)
{
	rxd_app_service_desc(d, CM_SERVICE, &cm_ops, g);
}

/* ------------------------------------------------------------------ life */

int rxd_afsload_create(const struct rxd_afsload_params *p, rxd_app_clock_fn clock, void *clock_arg,
		       struct rxd_afsload **out)
{
	struct rxd_afsload *g;

	if (!p->files || !p->concurrency || (p->run[RXD_AL_FETCH] && !p->run[RXD_AL_STORE]) || !p->run[RXD_AL_CREATE])
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->p = *p;
	g->vl_wanted = p->lookup;
	g->st.volume = p->dir.Volume;
	g->clock = clock;
	g->clock_arg = clock_arg;
	g->slots = calloc(p->concurrency, sizeof(*g->slots));
	g->fids = calloc(p->files, sizeof(*g->fids));
	g->base = make_pattern(p->seed);
	g->check = p->check_seed == p->seed ? g->base : make_pattern(p->check_seed);
	if (!g->slots || !g->fids || !g->base || !g->check) {
		rxd_afsload_destroy(g);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < RXD_AL__PHASES; i++)
		rxd_histo_init(&g->st.ph[i].lat);
	*out = g;
	return 0;
}

void rxd_afsload_destroy(struct rxd_afsload *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g->fids);
	if (g->check != g->base)
		free(g->check);
	free(g->base);
	free(g);
}
