/* SPDX-License-Identifier: MIT */
/*
 * The crypto engine's jobs (doc/crypto-offload.md).  The shard makes jobs of
 * a few DATA packets of one call: transmit packets to secure as soon as they
 * are queued, received subpackets to verify as soon as they are stored.  It
 * offers them to the engine when its outermost entry point returns (so a
 * receive burst's packets of one call travel together), keeps what the
 * engine refuses for the next offer, and resumes each call when its jobs
 * come back, in any order: the transmitter sends only up to the first packet
 * still being secured, the receiver delivers only up to the first packet
 * still being verified.  A job names its call by pointer and generation, so
 * one that comes back for a call since ended is dropped; it holds its own
 * buffer references and a reference on the conn's security state.
 */
#include "internal.h"

/* Bounds the memory jobs can take: more is verified or secured inline. */
#define CRYPTO_JOBS_MAX 16384u
/* Transmit packets per job: one call's stream spreads over the crypto lcores. */
#define CRYPTO_TX_PKTS 8u
/* Packets per pass of the class's hook on the engine (its multi-buffer batch). */
#define CRYPTO_RUN_PKTS 64u

enum crypto_op { CJ_SECURE, CJ_VERIFY };

struct crypto_job {
	struct crypto_job *next; /* pool link, then the backlog */
	struct rxd_crypto_job pub;
	struct rxd_sec_hold *hold;
	struct rxd_call *call;
	uint32_t call_gen;
	uint32_t serial; /* verify: the newest serial of its packets */
	uint8_t op;
	uint8_t n;
	int32_t result; /* secure: the class's abort code; verify: packets rejected */
	struct rxd_buf *buf[RXD_MAX_JUMBO];
	struct rxd_sec_pkt p[RXD_MAX_JUMBO];
};

#define JOB_OF(pj) ((struct crypto_job *)(void *)((char *)(pj)-offsetof(struct crypto_job, pub)))

/* ------------------------------------------------------------------ setup */

int rxd_crypto_init(struct rxd_local *l, const struct rxd_crypto_ops *ops, void *ctx)
{
	struct rxd_crypto *cr = &l->crypto;

	memset(cr, 0, sizeof(*cr));
	if (ops && !ops->submit)
		return -EINVAL;
	cr->jobs = rxd_calloc(l, 1, sizeof(*cr->jobs));
	cr->holds = rxd_calloc(l, 1, sizeof(*cr->holds));
	if (!cr->jobs || !cr->holds) {
		rxd_free(l, cr->jobs);
		rxd_free(l, cr->holds);
		return -ENOMEM;
	}
	rxd_pool_init(cr->jobs, &l->mem, sizeof(struct crypto_job), CRYPTO_JOBS_MAX);
	rxd_pool_init(cr->holds, &l->mem, sizeof(struct rxd_sec_hold), UINT32_MAX);
	cr->ops = ops;
	cr->ctx = ctx;
	return 0;
}

static void hold_put(struct rxd_local *l, struct rxd_sec_hold *h)
{
	if (--h->refs)
		return;
	if (h->sc->free_conn)
		h->sc->free_conn(h->sec);
	rxd_pool_put(l->crypto.holds, h);
}

/* The job's buffers and hold go; the job goes back to the pool. */
static void job_free(struct rxd_local *l, struct crypto_job *j)
{
	for (unsigned i = 0; i < j->n; i++)
		l->io->buf_put(l->io_ctx, j->buf[i]);
	hold_put(l, j->hold);
	rxd_pool_put(l->crypto.jobs, j);
}

void rxd_crypto_fini(struct rxd_local *l)
{
	struct rxd_crypto *cr = &l->crypto;

	if (!cr->jobs)
		return;
	while (cr->backlog) {
		struct crypto_job *j = cr->backlog;
		cr->backlog = j->next;
		job_free(l, j);
	}
	if (cr->in_flight) {
		/* The engine may still write them: keep their memory rather than hand it back. */
		RXD_LOG(l, RXD_LOG_ERR, "destroyed with %u crypto jobs in flight", cr->in_flight);
	} else {
		rxd_pool_destroy(cr->jobs);
		rxd_pool_destroy(cr->holds);
		rxd_free(l, cr->jobs);
		rxd_free(l, cr->holds);
	}
	memset(cr, 0, sizeof(*cr));
}

void rxd_crypto_release_conn(struct rxd_conn *conn)
{
	hold_put(conn->local, conn->sec_hold);
	conn->sec_hold = NULL;
	conn->sec = NULL;
}

uint32_t rxd_local_crypto_in_flight(const struct rxd_local *l)
{
	return l->crypto.in_flight;
}

/* ------------------------------------------------------------------ making jobs */

bool rxd_crypto_offloaded(const struct rxd_conn *conn)
{
	return conn->local->crypto.ops && conn->sc && conn->sc->mt_safe;
}

static struct crypto_job *job_new(struct rxd_call *c, enum crypto_op op)
{
	struct rxd_local *l = c->local;
	struct rxd_conn *conn = c->conn;
	struct crypto_job *j;

	if (!conn->sec_hold) {
		struct rxd_sec_hold *h = rxd_pool_get(l->crypto.holds);
		if (!h)
			return NULL;
		*h = (struct rxd_sec_hold){.sc = conn->sc, .sec = conn->sec, .refs = 1};
		conn->sec_hold = h;
	}
	j = rxd_pool_get(l->crypto.jobs);
	if (!j)
		return NULL;
	j->hold = conn->sec_hold;
	j->hold->refs++;
	j->call = c;
	j->call_gen = c->gen;
	j->serial = 0;
	j->op = (uint8_t)op;
	j->n = 0;
	j->result = 0;
	j->next = NULL;
	if (l->crypto.ops)
		l->stats.crypto_jobs++;
	if (l->crypto.backlog_tail)
		l->crypto.backlog_tail->next = j;
	else
		l->crypto.backlog = j;
	l->crypto.backlog_tail = j;
	return j;
}

bool rxd_crypto_secure_queued(struct rxd_call *c)
{
	struct rxd_local *l = c->local;
	struct rxd_txq *q = &c->tx;
	struct crypto_job *j = NULL;
	uint32_t seq;

	if (!c->conn->sc || !c->conn->sc->secure || !rxd_crypto_offloaded(c->conn))
		return false;
	seq = seq_after(c->tx_sec_top, q->sent_top) ? c->tx_sec_top : q->sent_top;
	for (seq++; !seq_after(seq, q->top); seq++) {
		struct rxd_txslot *t = rxd_txq_slot(q, seq);
		if (t->sec != RXD_TXSEC_PLAIN)
			continue;
		if (!j || j->n == CRYPTO_TX_PKTS) {
			j = job_new(c, CJ_SECURE);
			if (!j)
				break; /* what is left is secured inline when it goes out */
		}
		j->p[j->n] = (struct rxd_sec_pkt){.cid = c->conn->cid | c->channel,
						  .call_number = c->call_number,
						  .seq = seq,
						  .body = t->data,
						  .len = t->len,
						  .cap = c->tx_pkt_size};
		j->buf[j->n++] = t->buf;
		l->io->buf_ref(l->io_ctx, t->buf);
		rxd_txq_set_securing(q, seq);
		c->tx_sec_top = seq;
	}
	return true;
}

struct crypto_job *rxd_crypto_rx_begin(struct rxd_call *c, unsigned n)
{
	struct crypto_job *t = c->local->crypto.backlog_tail;

	if (!c->conn || !c->conn->sc || !c->conn->sc->verify)
		return NULL;
	/* Without an engine, a receive batch's packets are verified together when it ends. */
	if (!rxd_crypto_offloaded(c->conn) && (c->local->crypto.ops || !c->local->batch))
		return NULL;
	/* Datagrams of one call in one burst share a job: the engine gets bigger batches. */
	if (t && t->op == CJ_VERIFY && t->call == c && t->call_gen == c->gen && t->n + n <= RXD_MAX_JUMBO)
		return t;
	t = job_new(c, CJ_VERIFY);
	if (!t)
		c->local->stats.crypto_inline += n;
	return t;
}

void rxd_crypto_rx_add(struct rxd_call *c, struct crypto_job *j, struct rxd_buf *buf, uint8_t *body, uint32_t len,
		       uint32_t seq, uint16_t cksum, uint32_t serial)
{
	struct rxd_local *l = c->local;

	j->p[j->n] = (struct rxd_sec_pkt){.cid = c->conn->cid | c->channel,
					  .call_number = c->call_number,
					  .seq = seq,
					  .cksum = cksum,
					  .body = body,
					  .len = len,
					  .data_len = len};
	j->buf[j->n++] = buf;
	l->io->buf_ref(l->io_ctx, buf);
	if (seq_after(serial, j->serial))
		j->serial = serial;
}

void rxd_crypto_rx_end(struct rxd_call *c, struct crypto_job *j)
{
	struct rxd_crypto *cr = &c->local->crypto;

	if (j->n || j != cr->backlog_tail)
		return;
	/* Nothing stored (all duplicates): unlink the tail. */
	if (cr->backlog == j) {
		cr->backlog = cr->backlog_tail = NULL;
	} else {
		struct crypto_job *p = cr->backlog;
		while (p->next != j)
			p = p->next;
		p->next = NULL;
		cr->backlog_tail = p;
	}
	job_free(c->local, j);
}

/* ------------------------------------------------------------------ the engine's side */

/* No engine: the shard runs the jobs itself, several packets per pass of the class's multi-buffer cipher. */
static void run_inline(struct rxd_local *l)
{
	struct rxd_crypto *cr = &l->crypto;
	struct rxd_crypto_job *v[32];

	while (cr->backlog) {
		unsigned n = 0;

		for (; cr->backlog && n < 32; cr->backlog = cr->backlog->next)
			v[n++] = &cr->backlog->pub;
		if (!cr->backlog)
			cr->backlog_tail = NULL;
		cr->in_flight += n;
		rxd_crypto_run(v, n);
		rxd_local_crypto_done(l, v, n, l->now);
	}
}

void rxd_crypto_offer(struct rxd_local *l)
{
	struct rxd_crypto *cr = &l->crypto;
	struct rxd_crypto_job *v[32];

	if (!cr->ops) {
		run_inline(l);
		return;
	}
	while (cr->backlog) {
		unsigned n = 0, took;
		struct crypto_job *j = cr->backlog;

		for (; j && n < 32; j = j->next)
			v[n++] = &j->pub;
		took = cr->ops->submit(cr->ctx, v, n);
		for (unsigned i = 0; i < took; i++)
			cr->backlog = cr->backlog->next;
		cr->in_flight += took;
		if (!cr->backlog)
			cr->backlog_tail = NULL;
		if (took < n)
			break; /* the engine is full: the rest wait for the next offer */
	}
}

/* One pass of the class's hook over the packets of jobs [0, n) (one conn, one direction). */
static void run_pass(struct crypto_job **jobs, unsigned n, unsigned npkts)
{
	struct rxd_sec_pkt p[CRYPTO_RUN_PKTS];
	const struct rxd_sec_hold *h = jobs[0]->hold;
	unsigned k = 0;
	int32_t ab = 0;

	for (unsigned i = 0; i < n; i++)
		for (unsigned m = 0; m < jobs[i]->n; m++)
			p[k++] = jobs[i]->p[m];
	if (jobs[0]->op == CJ_SECURE)
		ab = h->sc->secure(h->sec, p, npkts);
	else
		h->sc->verify(h->sec, p, npkts);
	k = 0;
	for (unsigned i = 0; i < n; i++) {
		struct crypto_job *j = jobs[i];
		j->result = jobs[0]->op == CJ_SECURE ? ab : 0;
		for (unsigned m = 0; m < j->n; m++) {
			j->p[m] = p[k++];
			if (j->op == CJ_VERIFY && j->p[m].abort)
				j->result++;
		}
	}
}

void rxd_crypto_run(struct rxd_crypto_job *const *jobs, unsigned n)
{
	struct crypto_job *run[CRYPTO_RUN_PKTS];

	for (unsigned i = 0; i < n;) {
		struct crypto_job *first = JOB_OF(jobs[i]);
		unsigned nr = 0, npkts = 0;

		/* Consecutive jobs of one conn and direction: one pass, lanes interleaved across them. */
		while (i < n) {
			struct crypto_job *j = JOB_OF(jobs[i]);
			if (nr && (j->hold != first->hold || j->op != first->op || npkts + j->n > CRYPTO_RUN_PKTS))
				break;
			run[nr++] = j;
			npkts += j->n;
			i++;
		}
		run_pass(run, nr, npkts);
	}
}

/* ------------------------------------------------------------------ jobs back */

/* The job's call, if it is still the one that made it and still running. */
static struct rxd_call *job_call(const struct crypto_job *j)
{
	struct rxd_call *c = j->call;

	return c->gen == j->call_gen && c->state != RXD_CS_COMPLETE ? c : NULL;
}

static void secured(struct rxd_call *c, struct crypto_job *j, uint64_t now)
{
	struct rxd_txq *q = &c->tx;

	if (j->result) {
		rxd_call_local_abort(c, j->result, -EKEYREJECTED, now);
		return;
	}
	for (unsigned i = 0; i < j->n; i++) {
		uint32_t seq = j->p[i].seq;
		const struct rxd_txslot *t = rxd_txq_slot(q, seq);
		/* Still queued and the same buffer: not dropped meanwhile. */
		if (seq_after(seq, q->hard_ack) && !seq_after(seq, q->top) && t->buf == j->buf[i] &&
		    t->sec == RXD_TXSEC_BUSY)
			rxd_txq_set_secured(q, seq, j->p[i].len, j->p[i].cksum);
	}
	rxd_transmit(c, now);
}

void rxd_local_crypto_done(struct rxd_local *l, struct rxd_crypto_job *const *jobs, unsigned n, uint64_t now)
{
	rxd_local_enter(l, now);
	for (unsigned i = 0; i < n; i++) {
		struct crypto_job *j = JOB_OF(jobs[i]);
		struct rxd_call *c = job_call(j);

		l->crypto.in_flight--;
		if (c) {
			if (j->op == CJ_SECURE)
				secured(c, j, now);
			else
				rxd_input_verified(c, j->p, j->buf, j->n, j->serial, now);
			if (c->gen == j->call_gen)
				rxd_call_update_timer(c);
		}
		job_free(l, j);
	}
	rxd_local_leave(l, now);
}
