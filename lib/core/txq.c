/* SPDX-License-Identifier: MIT */
/*
 * The transmit queue: add, hard-ACK, SACK, mark lost, drop, and the walks
 * retransmission and the tail loss probe make.  The counters in_flight and
 * nr_lost change only here, so they cannot drift apart from the slots.
 */
#include "internal.h"

int rxd_txq_alloc(struct rxd_local *l, struct rxd_txq *q, uint32_t max_queued)
{
	uint32_t n = 16;

	/* One slot more than the queue holds for the packet being filled, and a power of two. */
	while (n < max_queued + 2)
		n <<= 1;
	q->slot = rxd_calloc(l, n, sizeof(*q->slot));
	if (!q->slot)
		return -ENOMEM;
	q->mask = n - 1;
	return 0;
}

void rxd_txq_free(struct rxd_local *l, struct rxd_txq *q)
{
	rxd_free(l, q->slot);
	q->slot = NULL;
}

void rxd_txq_reset(struct rxd_txq *q)
{
	q->hard_ack = q->top = q->sent_top = 0;
	q->in_flight = q->nr_lost = 0;
}

void rxd_txq_add(struct rxd_txq *q, struct rxd_buf *buf, uint8_t *data, uint32_t len, uint8_t flags)
{
	uint32_t seq = q->top + 1;
	struct rxd_txslot *t = rxd_txq_slot(q, seq);

	*t = (struct rxd_txslot){.buf = buf, .data = data, .len = len, .flags = flags};
	q->top = seq;
}

void rxd_txq_drop_all(struct rxd_local *l, struct rxd_txq *q)
{
	for (uint32_t s = q->hard_ack + 1; seq_before(s, q->top + 1); s++) {
		struct rxd_txslot *t = rxd_txq_slot(q, s);
		if (t->buf)
			l->io->buf_put(l->io_ctx, t->buf);
		memset(t, 0, sizeof(*t));
	}
	q->hard_ack = q->top;
	q->sent_top = q->top;
	q->in_flight = 0;
	q->nr_lost = 0;
}

/* A packet reached the peer (hard or soft ACK) for the first time. */
static void delivered(struct rxd_txq *q, uint32_t seq, struct rxd_txslot *t, struct rxd_rack *rack, uint64_t min_rtt_ns,
		      uint64_t now)
{
	rxd_rack_update(rack, seq, t, min_rtt_ns, now);
	if (t->lost)
		q->nr_lost--;
	else if (q->in_flight)
		q->in_flight--;
}

uint32_t rxd_txq_hard_ack(struct rxd_local *l, struct rxd_txq *q, uint32_t first, struct rxd_rack *rack,
			  uint64_t min_rtt_ns, uint64_t now)
{
	uint32_t newly = 0;

	for (uint32_t s = q->hard_ack + 1; seq_before(s, first); s++) {
		struct rxd_txslot *t = rxd_txq_slot(q, s);
		if (!t->sacked) {
			newly++;
			delivered(q, s, t, rack, min_rtt_ns, now);
		}
		if (t->buf)
			l->io->buf_put(l->io_ctx, t->buf);
		memset(t, 0, sizeof(*t));
	}
	q->hard_ack = first - 1;
	return newly;
}

uint32_t rxd_txq_sack(struct rxd_txq *q, uint32_t first, const uint8_t *acks, unsigned n, struct rxd_rack *rack,
		      uint64_t min_rtt_ns, uint64_t now)
{
	uint32_t newly = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t s = first + i;
		struct rxd_txslot *t = rxd_txq_slot(q, s);
		if (acks[i] == RXD_ACK_TYPE_ACK) {
			if (!t->sacked) {
				newly++;
				delivered(q, s, t, rack, min_rtt_ns, now);
				t->lost = false;
				t->sacked = true;
			}
		} else if (t->sacked) {
			/* The receiver dropped a packet it had soft-ACKed: send it again. */
			t->sacked = false;
			t->lost = true;
			q->nr_lost++;
		}
	}
	return newly;
}

void rxd_txq_mark_lost(struct rxd_txq *q, uint32_t seq)
{
	struct rxd_txslot *t = rxd_txq_slot(q, seq);

	t->lost = true;
	q->nr_lost++;
	if (q->in_flight)
		q->in_flight--;
}

void rxd_txq_mark_all_lost(struct rxd_txq *q)
{
	for (uint32_t s = q->hard_ack + 1; seq_before(s, q->sent_top + 1); s++) {
		struct rxd_txslot *t = rxd_txq_slot(q, s);
		if (t->sacked || t->lost || !t->nxmit)
			continue;
		t->lost = true;
		q->nr_lost++;
	}
	q->in_flight = 0;
}

bool rxd_txq_all_delivered(const struct rxd_txq *q)
{
	if (!rxd_txq_all_sent(q))
		return false;
	for (uint32_t s = q->hard_ack + 1; seq_before(s, q->top + 1); s++)
		if (!rxd_txq_slot(q, s)->sacked)
			return false;
	return true;
}

uint32_t rxd_txq_mark_stale_lost(struct rxd_txq *q, uint32_t first, const uint8_t *acks, unsigned n, uint64_t age_ns,
				 uint64_t now)
{
	uint32_t marked = 0;

	/* Entry 0 is first itself even without a table: the ACK says it is missing. */
	for (unsigned i = 0; i == 0 || i < n; i++) {
		uint32_t s = first + i;
		const struct rxd_txslot *t = rxd_txq_slot(q, s);
		if (seq_after(s, q->sent_top) || seq_before(s, q->hard_ack + 1) ||
		    (i < n && acks[i] == RXD_ACK_TYPE_ACK))
			continue;
		if (t->sacked || t->lost || !t->nxmit || now - t->xmit_ns < age_ns)
			continue;
		rxd_txq_mark_lost(q, s);
		marked++;
	}
	return marked;
}

uint32_t rxd_txq_next_lost(const struct rxd_txq *q, uint32_t seq)
{
	if (!q->nr_lost)
		return 0;
	if (seq_before(seq, q->hard_ack + 1))
		seq = q->hard_ack + 1;
	for (; seq_before(seq, q->sent_top + 1); seq++)
		if (rxd_txq_slot(q, seq)->lost)
			return seq;
	return 0;
}

uint32_t rxd_txq_last_unsacked(const struct rxd_txq *q)
{
	uint32_t s = q->sent_top;

	while (seq_after(s, q->hard_ack) && rxd_txq_slot(q, s)->sacked)
		s--;
	return seq_after(s, q->hard_ack) ? s : 0;
}
