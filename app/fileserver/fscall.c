/* SPDX-License-Identifier: MIT */
/* The RXAFS service on a worker lcore (see fscall.h). */
#include "fscall.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/uio.h>
#include <time.h>

#include <rte_mbuf.h>

#include <rxd/dpdk.h>
#include <rxd/security.h>
#include <rxd/wire.h>

#include "cb.h"
#include "rxd_slots.h"

#define PEEK_SEGS 16u
#define WRITE_SEGS 64u
#define STORE_FAILED EIO	/* what store_end records for a StoreData that did not finish */
#define WAIT_MIN_NS 100000ull	/* a stream waiting for its file's stream lock: first retry */
#define WAIT_MAX_NS 10000000ull /* ... doubling up to this (well inside the store's 1 s writer hold) */

enum cstate {
	C_HDR,	 /* gathering the request's opcode and IN arguments */
	C_OP,	 /* the operation (or a StoreData's end) is on an I/O thread */
	C_WAIT,	 /* FetchData/StoreData waiting for its file's stream lock: the operation runs again later */
	C_FETCH, /* FetchData: length word and chunks going out */
	C_STORE, /* StoreData: received bytes going to an I/O thread */
	C_REPLY, /* the reply (or FetchData's tail) going out */
	C_SENT,	 /* waiting for the client's final ACK */
};

enum jkind { J_OP, J_READ, J_WRITE, J_STORE_END, J_FETCH_END };

struct fcall;

struct fjob {
	struct rxd_fs_job j; /* first: the pool hands this pointer back */
	enum jkind kind;
	struct fcall *fc;
	int32_t rc;
};

/* Packets of one FetchData read: RXD_FS_CHUNK bytes' worth of full ones (the first may hold the length word). */
#define CHUNK_PKTS ((RXD_FS_CHUNK + RXD_JUMBO_DATALEN - 1) / RXD_JUMBO_DATALEN)

/* One read of a FetchData: the I/O thread reads straight into the call's lent transmit packets. */
struct chunk {
	struct fjob job; /* first */
	struct chunk *next;
	uint64_t off;
	uint32_t n;    /* bytes: the packets' len summed */
	unsigned npkt; /* lent packets (the call's until queued or given back) */
	bool done;
	struct rxd_txpkt pkt[CHUNK_PKTS];
};

struct wjob {
	struct fjob job; /* first */
	unsigned nseg;
	size_t bytes;
	bool end;	/* the store's last bytes: the I/O thread ends the store after them */
	int32_t end_rc; /* rxd_fs_op_store_end's, when end */
	struct rxd_seg segs[WRITE_SEGS];
};

/*
 * Accepting a call zeroes only the fields before req (rxd_slots_set_reset):
 * the buffers from req on (tens of KiB) are written before they are read,
 * and on_new_call initialises op.  New state that must start clean goes
 * above req.
 */
struct fcall {
	struct rxd_slot slot; /* first: the call and the free list */
	struct rxd_fs_worker *w;
	struct rxd_addr peer; /* the client: its callback promises and breaks (cb.h) */
	uint64_t cb_mark;     /* rxd_fs_cb_mark() when the operation went to an I/O thread */
	enum cstate st;
	bool complete;	   /* the core completed the call: only cleanup remains */
	unsigned inflight; /* jobs of this call on the I/O threads */
	int32_t pending_abort;
	int store_err;
	/* request */
	size_t req_len, need;
	/* reply */
	const uint8_t *out;
	size_t out_len, out_sent;
	/* FetchData */
	uint8_t lenword[8];
	unsigned lw_len, lw_sent;
	uint64_t next_read, sent;
	unsigned nchunks, reads;
	struct chunk *head, *tail;
	/* StoreData */
	uint64_t written;
	bool writing;
	/* a stream's file is open (the lcore's view: op.rd/op.wr belong to the I/O thread holding a job) */
	bool rd_open, wr_open;
	/* C_WAIT: on the worker's waiting list till retry_at */
	LIST_ENTRY(fcall) wait_link;
	uint64_t retry_at, wait_ns;
	/* not zeroed on accept (see above) */
	uint8_t req[RXD_RXAFS_REQ_MAX];
	uint8_t reply[RXD_RXAFS_REPLY_MAX];
	struct fjob opj; /* the operation, then the stream's end (post() fills it) */
	struct wjob wj;	 /* pump_store() fills it */
	struct rxd_fs_op op;
	_Alignas(8) uint8_t arena[RXD_RXAFS_ARENA_MAX];
};

struct rxd_fs_worker {
	struct rxd_slots calls;
	struct rxd_fs_srv *srv;
	struct rxd_fs_iopool *pool;
	unsigned index;
	unsigned jobs;
	struct rxd_fs_cb *cb; /* NULL: nothing is promised (nothing could be broken) */
	uint8_t min_level;    /* rxkad calls below this level are refused */
	struct chunk *free_chunks;
	LIST_HEAD(, fcall) waiting; /* calls in C_WAIT, in no order */
	rxd_app_clock_fn clock;
	void *clock_arg;
};

/* ------------------------------------------------------------------ I/O thread side */

static void run_job(struct rxd_fs_job *j)
{
	struct fjob *f = (struct fjob *)j;
	struct fcall *fc = f->fc;

	switch (f->kind) {
	case J_OP:
		f->rc = rxd_fs_op_run(&fc->op);
		break;
	case J_READ: {
		struct chunk *c = (struct chunk *)f;
		struct iovec iov[CHUNK_PKTS];
		for (unsigned i = 0; i < c->npkt; i++)
			iov[i] = (struct iovec){.iov_base = c->pkt[i].data, .iov_len = c->pkt[i].len};
		f->rc = rxd_fs_op_fetch_read(&fc->op, c->off, iov, c->npkt);
		break;
	}
	case J_WRITE: {
		struct wjob *wj = (struct wjob *)f;
		f->rc = 0;
		for (unsigned i = 0; i < wj->nseg && !f->rc; i++)
			f->rc = rxd_fs_store_write(fc->op.wr, wj->segs[i].data, wj->segs[i].len);
		if (wj->end)
			wj->end_rc = rxd_fs_op_store_end(&fc->op, f->rc);
		break;
	}
	case J_STORE_END:
		f->rc = rxd_fs_op_store_end(&fc->op, fc->store_err);
		break;
	case J_FETCH_END:
		rxd_fs_op_fetch_end(&fc->op);
		f->rc = 0;
		break;
	}
}

/* ------------------------------------------------------------------ lcore side */

static uint64_t now_of(const struct rxd_fs_worker *w)
{
	return w->clock(w->clock_arg);
}

static int post(struct fcall *fc, struct fjob *f, enum jkind k)
{
	f->kind = k;
	f->fc = fc;
	f->rc = 0;
	f->j.run = run_job;
	if (rxd_fs_iopool_post(fc->w->pool, fc->w->index, &f->j))
		return -ENOBUFS; /* the rings hold every job max_calls calls can have out: not reached */
	fc->inflight++;
	fc->w->jobs++;
	return 0;
}

static void chunk_put(struct rxd_fs_worker *w, struct chunk *c)
{
	c->next = w->free_chunks;
	w->free_chunks = c;
}

static struct chunk *chunk_get(struct rxd_fs_worker *w)
{
	struct chunk *c = w->free_chunks;

	if (c)
		w->free_chunks = c->next;
	else
		c = malloc(sizeof(*c)); /* kept for reuse: at most max_calls * RXD_FS_READ_AHEAD */
	return c;
}

static void wait_add(struct fcall *fc, uint64_t now)
{
	struct rxd_fs_worker *w = fc->w;

	fc->st = C_WAIT;
	fc->wait_ns = fc->wait_ns ? (fc->wait_ns * 2 > WAIT_MAX_NS ? WAIT_MAX_NS : fc->wait_ns * 2) : WAIT_MIN_NS;
	fc->retry_at = now + fc->wait_ns;
	LIST_INSERT_HEAD(&w->waiting, fc, wait_link);
}

/* The call is complete: once no job of it is out, close what it opened and free it. */
static void maybe_finish(struct fcall *fc, uint64_t now)
{
	struct rxd_fs_worker *w = fc->w;

	if (!fc->complete || fc->inflight)
		return;
	if (fc->st == C_WAIT) { /* died waiting: it holds no lock (the store's hold on new fetches lapses) */
		LIST_REMOVE(fc, wait_link);
		fc->st = C_OP;
	}
	if (fc->rd_open) {
		fc->rd_open = false;
		if (post(fc, &fc->opj, J_FETCH_END) == 0)
			return;
		rxd_fs_op_fetch_end(&fc->op); /* unreachable (see post); a close does not wait on the disk */
	}
	if (fc->wr_open) {
		fc->wr_open = false;
		fc->store_err = STORE_FAILED;
		if (post(fc, &fc->opj, J_STORE_END) == 0)
			return;
		rxd_fs_op_store_end(&fc->op, fc->store_err);
	}
	while (fc->head) {
		struct chunk *c = fc->head;
		fc->head = c->next;
		if (c->npkt) /* on a complete call this gives the lent packets back */
			rxd_call_send_bufs(fc->slot.call, c->pkt, c->npkt, RXD_SEND_MORE, now);
		chunk_put(w, c);
	}
	rxd_slots_put(&w->calls, &fc->slot, now);
}

/* Abort the call: the last thing a caller does with fc (completion may free it). */
static void fail(struct fcall *fc, int32_t code, uint64_t now)
{
	rxd_call_abort(fc->slot.call, code, now);
}

static void send_out(struct fcall *fc, uint64_t now)
{
	bool ended;
	ssize_t r = rxd_app_send(fc->slot.call, fc->out + fc->out_sent, fc->out_len - fc->out_sent, false, &ended, now);

	if (r < 0)
		return; /* the call failed: its completion follows */
	fc->out_sent += (size_t)r;
	if (ended)
		fc->st = C_SENT;
}

static void reply(struct fcall *fc, const uint8_t *p, size_t len, uint64_t now)
{
	fc->st = C_REPLY;
	fc->out = p;
	fc->out_len = len;
	fc->out_sent = 0;
	send_out(fc, now);
}

/*
 * Borrow the call's transmit packets for the next read: CHUNK_PKTS of them,
 * or those the stream's end (left bytes) needs, or fewer when the transmit
 * queue is full (the call's writable() comes back).  Sets c->npkt and c->n.
 */
static void chunk_take(struct fcall *fc, struct chunk *c, uint64_t left, uint64_t now)
{
	c->npkt = 0;
	c->n = 0;
	while (c->npkt < CHUNK_PKTS && c->n < left) {
		uint64_t need = (left - c->n + RXD_JUMBO_DATALEN - 1) / RXD_JUMBO_DATALEN;
		unsigned ask = need < CHUNK_PKTS - c->npkt ? (unsigned)need : CHUNK_PKTS - c->npkt;
		int k = rxd_call_send_space(fc->slot.call, c->pkt + c->npkt, ask, now);
		if (k <= 0)
			return;
		for (unsigned i = c->npkt; i < c->npkt + (unsigned)k; i++) {
			struct rxd_txpkt *t = &c->pkt[i];
			t->len = left - c->n < t->room ? (uint32_t)(left - c->n) : t->room;
			c->n += t->len;
		}
		c->npkt += (unsigned)k;
	}
}

/* Keep up to RXD_FS_READ_AHEAD chunks read or being read; close the file after the last read. */
static int fill_reads(struct fcall *fc, uint64_t now)
{
	uint64_t end = fc->op.pos + fc->op.len;

	if (fc->lw_sent < fc->lw_len)
		return 0; /* the length word goes first */
	while (fc->nchunks < RXD_FS_READ_AHEAD && fc->next_read < end) {
		struct chunk *c = chunk_get(fc->w);
		if (!c)
			return ENOMEM;
		chunk_take(fc, c, end - fc->next_read, now);
		if (c->npkt == 0) {
			chunk_put(fc->w, c);
			return 0; /* the queue is full: writable() resumes */
		}
		c->next = NULL;
		c->off = fc->next_read;
		c->done = false;
		/* listed even when it cannot go: maybe_finish gives its packets back */
		if (fc->tail)
			fc->tail->next = c;
		else
			fc->head = c;
		fc->tail = c;
		fc->nchunks++;
		if (post(fc, &c->job, J_READ)) {
			c->done = true;
			return EIO;
		}
		fc->next_read += c->n;
		fc->reads++;
	}
	if (fc->next_read == end && fc->reads == 0 && fc->rd_open) {
		fc->rd_open = false;
		if (post(fc, &fc->opj, J_FETCH_END))
			return EIO;
	}
	return 0;
}

/* FetchData: the length word, the chunks' packets in order as their reads come back, then the OUT args. */
static void send_fetch(struct fcall *fc, uint64_t now)
{
	struct rxd_call *call = fc->slot.call;
	bool ended;
	ssize_t r;
	int rc;

	while (fc->lw_sent < fc->lw_len) {
		r = rxd_app_send(call, fc->lenword + fc->lw_sent, fc->lw_len - fc->lw_sent, true, &ended, now);
		if (r <= 0)
			return; /* writable() resumes; an error completes the call */
		fc->lw_sent += (unsigned)r;
	}
	while (fc->head && fc->head->done) {
		struct chunk *c = fc->head;
		if (c->job.rc) {
			fail(fc, c->job.rc, now);
			return;
		}
		/* the packets were counted against the window when lent: all of them are taken */
		r = rxd_call_send_bufs(call, c->pkt, c->npkt, RXD_SEND_MORE, now);
		c->npkt = 0;
		if (r < 0)
			return; /* the call failed: its completion follows */
		fc->sent += (uint64_t)r;
		fc->head = c->next;
		if (!fc->head)
			fc->tail = NULL;
		fc->nchunks--;
		chunk_put(fc->w, c);
	}
	rc = fill_reads(fc, now);
	if (rc) {
		fail(fc, rc, now);
		return;
	}
	if (fc->sent == fc->op.len)
		reply(fc, fc->op.tail, fc->op.tail_len, now);
}

static void pump_send(struct fcall *fc, uint64_t now)
{
	if (fc->st == C_FETCH)
		send_fetch(fc, now);
	else if (fc->st == C_REPLY)
		send_out(fc, now);
}

static void store_end(struct fcall *fc, int err, int32_t then_abort, uint64_t now)
{
	fc->wr_open = false;
	fc->store_err = err;
	fc->pending_abort = then_abort;
	fc->st = C_OP;
	if (post(fc, &fc->opj, J_STORE_END))
		fail(fc, EIO, now);
}

/* StoreData: hand what has arrived (up to the announced length) to an I/O thread, zero-copy. */
static void pump_store(struct fcall *fc, uint64_t now)
{
	struct rxd_call *call = fc->slot.call;
	struct wjob *wj = &fc->wj;
	uint64_t left = fc->op.len - fc->written;
	bool eor = false;
	unsigned n;

	if (fc->st != C_STORE || fc->writing)
		return;
	n = rxd_call_peek(call, wj->segs, WRITE_SEGS, &eor);
	if (left == 0) {
		/* bytes past the announced length are not the file's: drop them, as OpenAFS leaves them unread */
		while (n) {
			size_t extra = 0;
			for (unsigned i = 0; i < n; i++)
				extra += wj->segs[i].len;
			rxd_call_consume(call, extra, now);
			n = rxd_call_peek(call, wj->segs, WRITE_SEGS, &eor);
		}
		if (eor)
			store_end(fc, 0, 0, now);
		return;
	}
	wj->nseg = 0;
	wj->bytes = 0;
	wj->end_rc = 0;
	for (unsigned i = 0; i < n && wj->bytes < left; i++) {
		struct rxd_seg *s = &wj->segs[wj->nseg++];
		if (s->len > left - wj->bytes)
			s->len = (uint32_t)(left - wj->bytes);
		wj->bytes += s->len;
		/* the core may free the call's buffers if it completes while the write is out */
		if (s->buf)
			rte_mbuf_refcnt_update(rxd_buf_mbuf(s->buf), 1);
	}
	if (wj->bytes) {
		/*
		 * The request is all here and this job holds the rest of the file's
		 * bytes: it ends the store too, one trip to an I/O thread fewer
		 * between the client's last packet and the reply.  The file is then
		 * closed by the job whatever becomes of the call.
		 */
		wj->end = eor && wj->bytes == left;
		fc->writing = true;
		if (post(fc, &wj->job, J_WRITE)) {
			fc->writing = false;
			store_end(fc, STORE_FAILED, EIO, now);
			return;
		}
		if (wj->end)
			fc->wr_open = false;
		return;
	}
	if (eor) /* the request ended short of the announced length */
		store_end(fc, STORE_FAILED, RXD_RXGEN_SS_UNMARSHAL, now);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes of opcode + IN arguments a split procedure's stream follows; 0 for the others. */
static size_t split_need(uint32_t opcode)
{
	switch (opcode) {
	case RXD_OP_RXAFS_FetchData:
		return 4 + RXD_RXAFS_FetchData_IN_MAX;
	case RXD_OP_RXAFS_FetchData64:
		return 4 + RXD_RXAFS_FetchData64_IN_MAX;
	case RXD_OP_RXAFS_StoreData:
		return 4 + RXD_RXAFS_StoreData_IN_MAX;
	case RXD_OP_RXAFS_StoreData64:
		return 4 + RXD_RXAFS_StoreData64_IN_MAX;
	default:
		return 0;
	}
}

/*
 * A change committed (whether or not its call is still there to answer):
 * break the promises on what it touched, on the lcore.  The caller keeps
 * its own on the fids it named (it gets a fresh one in its reply).
 */
static void break_changed(struct fcall *fc, uint64_t now)
{
	struct rxd_fs_op *op = &fc->op;

	for (uint32_t i = 0; fc->w->cb && i < op->n_changed; i++) {
		if (op->changed[i].gone) /* dropped without a break, as OpenAFS's DeleteFileCallBacks */
			rxd_fs_cb_deleted(fc->w->cb, &op->changed[i].fid, now);
		else
			rxd_fs_cb_changed(fc->w->cb, &op->changed[i].fid, op->changed[i].named ? &fc->peer : NULL, now);
	}
	op->n_changed = 0; /* once: a StoreData's J_OP and J_STORE_END share the op */
}

/*
 * An operation's reply is about to leave: record its promises and
 * overwrite the reply's AFSCallBacks with what was recorded, so the client
 * is told exactly what the server keeps; apply the give-ups.
 */
static void promise_reply(struct fcall *fc, uint64_t now)
{
	static const struct rxd_AFSCallBack none = {RXD_CALLBACK_VERSION, 0, RXD_CB_DROPPED};
	struct rxd_fs_cb *cb = fc->w->cb;
	struct rxd_fs_op *op = &fc->op;

	for (uint32_t i = 0; i < op->n_promise; i++) {
		struct rxd_AFSCallBack c = none; /* no shard: promise nothing, nothing could break it */
		if (!op->promise_ok[i])
			continue;
		/* The status in the reply may predate a change whose break already went: promise nothing. */
		if (cb && rxd_fs_cb_broken_since(cb, &op->promise[i], fc->cb_mark)) {
			rxd_fs_op_set_callback(op, i, &c);
			continue;
		}
		/* -ENOSPC still fills c: a promise of nothing, which the client must be told */
		if (cb && op->promise_bulk)
			rxd_fs_cb_promise_bulk(cb, &fc->peer, &op->promise[i], now, &c);
		else if (cb)
			rxd_fs_cb_promise(cb, &fc->peer, &op->promise[i], now, &c);
		rxd_fs_op_set_callback(op, i, &c);
	}
	if (cb && op->give_up == RXD_FS_GIVE_UP_FIDS)
		rxd_fs_cb_give_up(cb, &fc->peer, op->give_up_fids->val, op->give_up_fids->len);
	else if (cb && op->give_up == RXD_FS_GIVE_UP_ALL)
		rxd_fs_cb_give_up_all(cb, &fc->peer);
}

static void op_done(struct fcall *fc, int32_t rc, uint64_t now)
{
	if (rc) {
		fail(fc, rc, now);
		return;
	}
	if (fc->op.stream == RXD_FS_STREAM_WAIT) {
		wait_add(fc, now);
		return;
	}
	promise_reply(fc, now);
	switch (fc->op.stream) {
	case RXD_FS_STREAM_FETCH:
		fc->st = C_FETCH;
		if (fc->op.wide) {
			for (unsigned i = 0; i < 8; i++)
				fc->lenword[i] = (uint8_t)(fc->op.len >> (56 - 8 * i));
			fc->lw_len = 8;
		} else {
			for (unsigned i = 0; i < 4; i++)
				fc->lenword[i] = (uint8_t)(fc->op.len >> (24 - 8 * i));
			fc->lw_len = 4;
		}
		fc->next_read = fc->op.pos;
		send_fetch(fc, now);
		break;
	case RXD_FS_STREAM_STORE:
		fc->st = C_STORE;
		pump_store(fc, now);
		break;
	default:
		reply(fc, fc->reply, fc->op.xg.reply_len, now);
		break;
	}
}

/* The operation goes to an I/O thread (again, after a C_WAIT). */
static void post_op(struct fcall *fc, uint64_t now)
{
	fc->st = C_OP;
	fc->cb_mark = fc->w->cb ? rxd_fs_cb_mark(fc->w->cb) : 0;
	if (post(fc, &fc->opj, J_OP))
		fail(fc, EIO, now);
}

static void dispatch(struct fcall *fc, uint64_t now)
{
	uint32_t opcode = fc->req_len >= 4 ? get_be32(fc->req) : 0;
	int32_t rc;

	fc->op.xg.req_len = fc->req_len;
	if (fc->req_len >= 4 && rxd_fs_op_on_io_thread(opcode)) {
		/* what needs no waiting (the status reads) is answered here: no round trip to an I/O thread */
		fc->cb_mark = fc->w->cb ? rxd_fs_cb_mark(fc->w->cb) : 0;
		if (rxd_fs_op_try_lcore(&fc->op, &rc)) {
			op_done(fc, rc, now);
			return;
		}
		post_op(fc, now);
		return;
	}
	op_done(fc, rxd_fs_op_run_lcore(&fc->op), now); /* a short request: dispatch says RXGEN_SS_UNMARSHAL */
}

/* Gather the opcode and IN arguments: a whole request, or a split procedure's fixed head. */
static void gather(struct fcall *fc, uint64_t now)
{
	struct rxd_call *call = fc->slot.call;
	struct rxd_seg segs[PEEK_SEGS];
	bool eor = false, head_done = false;
	unsigned n;

	do {
		size_t used = 0;
		n = rxd_call_peek(call, segs, PEEK_SEGS, &eor);
		for (unsigned i = 0; i < n && !head_done; i++) {
			uint32_t o = 0;
			while (o < segs[i].len) {
				if (fc->req_len < fc->need) {
					size_t take = fc->need - fc->req_len;
					if (take > segs[i].len - o)
						take = segs[i].len - o;
					memcpy(fc->req + fc->req_len, segs[i].data + o, take);
					fc->req_len += take;
					o += (uint32_t)take;
					if (fc->req_len == 4) {
						size_t sn = split_need(get_be32(fc->req));
						fc->need = sn ? sn : sizeof(fc->req);
					}
				} else if (split_need(get_be32(fc->req))) {
					head_done = true; /* the stream starts here */
					break;
				} else {
					o = segs[i].len; /* past any procedure's IN args: ignored, as rxgen stubs do */
				}
			}
			used += o;
		}
		if (used)
			rxd_call_consume(call, used, now);
	} while (n == PEEK_SEGS && !head_done);
	if (fc->req_len >= 4 && split_need(get_be32(fc->req)) && fc->req_len == fc->need)
		head_done = true;
	if (head_done || (eor && rxd_call_rx_avail(call) == 0))
		dispatch(fc, now);
}

static void job_done(struct rxd_fs_worker *w, struct fjob *f, uint64_t now)
{
	struct fcall *fc = f->fc;

	fc->inflight--;
	w->jobs--;
	if (f->kind == J_WRITE) {
		struct wjob *wj = (struct wjob *)f;
		for (unsigned i = 0; i < wj->nseg; i++)
			if (wj->segs[i].buf)
				rte_pktmbuf_free_seg(rxd_buf_mbuf(wj->segs[i].buf));
		fc->writing = false;
	}
	if (f->kind == J_READ) {
		((struct chunk *)f)->done = true;
		fc->reads--;
	}
	if (f->kind == J_OP && f->rc == 0) {
		fc->rd_open = fc->op.stream == RXD_FS_STREAM_FETCH;
		fc->wr_open = fc->op.stream == RXD_FS_STREAM_STORE;
	}
	if ((f->kind == J_OP && f->rc == 0) || f->kind == J_STORE_END || (f->kind == J_WRITE && fc->wj.end))
		break_changed(fc, now); /* store_end lists the file even when the store failed */
	if (fc->complete) {
		maybe_finish(fc, now);
		return;
	}
	switch (f->kind) {
	case J_OP:
		op_done(fc, f->rc, now);
		break;
	case J_READ:
		send_fetch(fc, now);
		break;
	case J_WRITE: {
		struct wjob *wj = (struct wjob *)f;
		if (wj->end) {
			/* the store ended on the I/O thread; bytes past the announced length go unread */
			int32_t rc = f->rc ? f->rc : wj->end_rc;
			rxd_call_consume(fc->slot.call, rxd_call_rx_avail(fc->slot.call), now);
			fc->written += wj->bytes;
			if (rc)
				fail(fc, rc, now);
			else
				reply(fc, fc->reply, fc->op.xg.reply_len, now);
			return;
		}
		if (f->rc) {
			store_end(fc, f->rc, f->rc, now);
			return;
		}
		rxd_call_consume(fc->slot.call, wj->bytes, now);
		fc->written += wj->bytes;
		pump_store(fc, now);
		break;
	}
	case J_STORE_END:
		if (fc->pending_abort || f->rc) {
			fail(fc, fc->pending_abort ? fc->pending_abort : f->rc, now);
			return;
		}
		reply(fc, fc->reply, fc->op.xg.reply_len, now);
		break;
	case J_FETCH_END:
		break;
	}
}

/* ------------------------------------------------------------------ call ops */

static void on_data(void *app, struct rxd_call *call)
{
	struct fcall *fc = app;
	uint64_t now = now_of(fc->w);

	(void)call;
	if (fc->st == C_HDR)
		gather(fc, now);
	else if (fc->st == C_STORE)
		pump_store(fc, now);
}

static void on_writable(void *app, struct rxd_call *call)
{
	struct fcall *fc = app;

	(void)call;
	pump_send(fc, now_of(fc->w));
}

static void on_complete(void *app, struct rxd_call *call)
{
	struct fcall *fc = app;

	(void)call;
	fc->complete = true;
	maybe_finish(fc, now_of(fc->w));
}

static const struct rxd_call_ops fcall_ops = {
    .data = on_data,
    .writable = on_writable,
    .complete = on_complete,
};

/*
 * Who calls: an rxkad conn's verified ticket (the I/O thread maps it to an
 * AFS id), or nobody on rxnull.  0, or the abort code refusing the call: a
 * level below --min-level, or a ticket that expired since the conn was
 * secured (OpenAFS's rxkad refuses its packets with RXKADEXPIRED).
 */
static int32_t caller_ident(const struct rxd_fs_worker *w, struct rxd_call *call, struct rxd_fs_ident *id)
{
	struct rxd_rxkad_identity ri;
	const void *sec;

	memset(id, 0, sizeof(*id));
	if (rxd_call_security(call, &sec) != RXD_RXKAD_INDEX)
		return 0;
	if (rxd_rxkad_conn_identity(sec, &ri))
		return RXKADNOAUTH; /* not reached: the core hands over a service call only once secured */
	if (ri.level < w->min_level)
		return RXKADLEVELFAIL;
	if (ri.expires <= (uint32_t)time(NULL))
		return RXKADEXPIRED;
	id->authenticated = true;
	memcpy(id->name, ri.name, sizeof(id->name));
	memcpy(id->instance, ri.instance, sizeof(id->instance));
	memcpy(id->cell, ri.cell, sizeof(id->cell));
	return 0;
}

static int on_new_call(void *app, struct rxd_call *call)
{
	struct rxd_fs_worker *w = app;
	struct rxd_fs_ident ident;
	int32_t refuse = caller_ident(w, call, &ident);
	struct fcall *fc;

	if (refuse) {
		rxd_call_abort(call, refuse, now_of(w));
		return -1;
	}
	fc = (struct fcall *)rxd_slots_accept(&w->calls, call, &fcall_ops, now_of(w));
	if (!fc)
		return -1;
	fc->w = w;
	rxd_call_peer(call, &fc->peer);
	if (w->cb)
		rxd_fs_cb_contact(w->cb, &fc->peer, rxd_call_epoch(call), now_of(w));
	fc->st = C_HDR;
	fc->need = 4;
	fc->wait_ns = 0; /* no C_WAIT backoff yet */
	rxd_fs_op_init(&fc->op, w->srv,
		       &(struct rxd_xg_call){
			   .req = fc->req,
			   .reply = fc->reply,
			   .reply_cap = sizeof(fc->reply),
			   .arena = fc->arena,
			   .arena_cap = sizeof(fc->arena),
		       });
	fc->op.ident = ident; /* after rxd_fs_op_init, which clears it */
	return 0;
}

static const struct rxd_call_ops service_ops = {
    .new_call = on_new_call,
};

/* ------------------------------------------------------------------ worker */

int rxd_fs_worker_create(const struct rxd_fs_worker_params *p, struct rxd_fs_worker **out)
{
	struct rxd_fs_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	LIST_INIT(&w->waiting);
	w->srv = p->srv;
	w->pool = p->pool;
	w->index = p->index;
	w->clock = p->clock;
	w->clock_arg = p->clock_arg;
	w->min_level = p->min_level;
	if (rxd_slots_init(&w->calls, p->max_calls, sizeof(struct fcall))) {
		free(w);
		return -ENOMEM;
	}
	rxd_slots_set_reset(&w->calls, offsetof(struct fcall, req));
	*out = w;
	return 0;
}

void rxd_fs_worker_destroy(struct rxd_fs_worker *w)
{
	if (!w)
		return;
	while (w->free_chunks) {
		struct chunk *c = w->free_chunks;
		w->free_chunks = c->next;
		free(c);
	}
	rxd_slots_fini(&w->calls);
	free(w);
}

void rxd_fs_worker_desc(struct rxd_fs_worker *w, struct rxd_service_desc *d)
{
	rxd_app_service_desc(d, RXD_FS_SERVICE, &service_ops, w);
}

void rxd_fs_worker_poll(struct rxd_fs_worker *w, uint64_t now)
{
	struct rxd_fs_job *jobs[32];
	unsigned n;

	for (struct fcall *fc = LIST_FIRST(&w->waiting), *next; fc; fc = next) {
		next = LIST_NEXT(fc, wait_link);
		if (fc->retry_at <= now) {
			LIST_REMOVE(fc, wait_link);
			post_op(fc, now);
		}
	}
	if (!w->jobs)
		return;
	n = rxd_fs_iopool_poll(w->pool, w->index, jobs, 32);
	for (unsigned i = 0; i < n; i++)
		job_done(w, (struct fjob *)jobs[i], now);
}

void rxd_fs_worker_abort_all(struct rxd_fs_worker *w, int32_t code, uint64_t now)
{
	rxd_slots_abort_all(&w->calls, code, now);
}

void rxd_fs_worker_set_cb(struct rxd_fs_worker *w, struct rxd_fs_cb *cb)
{
	w->cb = cb;
}

unsigned rxd_fs_worker_jobs(const struct rxd_fs_worker *w)
{
	return w->jobs;
}
