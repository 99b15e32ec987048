/* SPDX-License-Identifier: MIT */
/*
 * The transmit queue of a call (as ngtcp2_rtb / Linux rxrpc txbuf.c): a ring
 * of the DATA packets queued and not yet hard-ACKed, with the counters loss
 * detection and congestion control read.  Only txq.c edits it; every other
 * file reads through the accessors below.
 */
#ifndef RXD_CORE_TXQ_H
#define RXD_CORE_TXQ_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

struct rxd_local;
struct rxd_rack;

/* Where a packet is in being secured (a crypto engine may hold it). */
enum rxd_txsec { RXD_TXSEC_PLAIN, RXD_TXSEC_BUSY, RXD_TXSEC_DONE };

/* One queued transmit packet. */
struct rxd_txslot {
	struct rxd_buf *buf;
	uint8_t *data;
	uint32_t len;
	uint32_t serial;  /* serial of the latest transmission */
	uint64_t xmit_ns; /* time of the latest transmission */
	uint16_t cksum;	  /* the security class's header checksum (0 = none) */
	uint8_t flags;	  /* LAST_PACKET */
	uint8_t nxmit;	  /* transmissions so far */
	uint8_t sec;	  /* enum rxd_txsec */
	bool sacked;	  /* soft-ACKed by the latest ACK */
	bool lost;	  /* marked for retransmission */
};

struct rxd_txq {
	struct rxd_txslot *slot; /* ring, mask + 1 entries; kept across call reuse */
	uint32_t mask;
	uint32_t hard_ack;  /* all seq <= this hard-ACKed (and freed) */
	uint32_t top;	    /* highest seq queued */
	uint32_t sent_top;  /* highest seq transmitted at least once */
	uint32_t in_flight; /* sent, not acked, not marked lost */
	uint32_t nr_lost;   /* marked lost and not yet resent */
};

static inline struct rxd_txslot *rxd_txq_slot(const struct rxd_txq *q, uint32_t seq)
{
	return &q->slot[seq & q->mask];
}
/** Packets queued and not hard-ACKed (sent or not). */
static inline uint32_t rxd_txq_queued(const struct rxd_txq *q)
{
	return q->top - q->hard_ack;
}
/** True once every queued packet has been sent at least once. */
static inline bool rxd_txq_all_sent(const struct rxd_txq *q)
{
	return q->sent_top == q->top;
}

/** Allocate the ring for at most max_queued packets (once per pooled call). 0 or -ENOMEM. */
int rxd_txq_alloc(struct rxd_local *l, struct rxd_txq *q, uint32_t max_queued);
/** Free the ring (the queue must be empty). */
void rxd_txq_free(struct rxd_local *l, struct rxd_txq *q);
/** Empty counters for a new call; keeps the ring. */
void rxd_txq_reset(struct rxd_txq *q);
/** Queue one packet (the queue takes the reference on buf). */
void rxd_txq_add(struct rxd_txq *q, struct rxd_buf *buf, uint8_t *data, uint32_t len, uint8_t flags);
/** Drop every queued packet (hard-ACKed all at once, or nothing will be resent). */
void rxd_txq_drop_all(struct rxd_local *l, struct rxd_txq *q);
/**
 * Hard ACK of everything below first: frees the packets; those not SACKed
 * before count as delivered (RACK learns from them).  Returns that count.
 */
uint32_t rxd_txq_hard_ack(struct rxd_local *l, struct rxd_txq *q, uint32_t first, struct rxd_rack *rack,
			  uint64_t min_rtt_ns, uint64_t now);
/**
 * The SACK table of an ACK, entry i for seq first + i: marks packets
 * soft-ACKed (returns how many newly) and a reneged soft-ACK lost.
 */
uint32_t rxd_txq_sack(struct rxd_txq *q, uint32_t first, const uint8_t *acks, unsigned n, struct rxd_rack *rack,
		      uint64_t min_rtt_ns, uint64_t now);
/** Mark one sent, unacknowledged packet lost. */
void rxd_txq_mark_lost(struct rxd_txq *q, uint32_t seq);
/** Mark every sent, unacknowledged packet lost (RTO, path MTU drop): nothing stays in flight. */
void rxd_txq_mark_all_lost(struct rxd_txq *q);
/** Next packet marked lost at or above seq (walk for retransmission); 0 when none. */
uint32_t rxd_txq_next_lost(const struct rxd_txq *q, uint32_t seq);
/** Every queued packet sent and hard- or soft-ACKed (the peer holds them all). */
bool rxd_txq_all_delivered(const struct rxd_txq *q);
/**
 * An ACK without progress: the packet first, and those the table (entry i
 * for first + i) NACKs, are lost if sent, not soft-ACKed, not already lost
 * and last sent at least age_ns before now.  Returns how many were marked.
 */
uint32_t rxd_txq_mark_stale_lost(struct rxd_txq *q, uint32_t first, const uint8_t *acks, unsigned n, uint64_t age_ns,
				 uint64_t now);
/** Highest sent packet not soft-ACKed (the tail loss probe's choice); 0 when none. */
uint32_t rxd_txq_last_unsacked(const struct rxd_txq *q);

/* Per-packet transmit bookkeeping, inline: it runs for every subpacket sent. */

/** Record one transmission of seq (serial, time). */
static inline void rxd_txq_on_xmit(struct rxd_txq *q, uint32_t seq, uint32_t serial, uint64_t now)
{
	struct rxd_txslot *t = rxd_txq_slot(q, seq);

	t->serial = serial;
	t->xmit_ns = now;
	if (t->nxmit < 255)
		t->nxmit++;
}
/** The security class secured the packet: its wire length and header checksum. */
static inline void rxd_txq_set_secured(struct rxd_txq *q, uint32_t seq, uint32_t len, uint16_t cksum)
{
	struct rxd_txslot *t = rxd_txq_slot(q, seq);

	t->len = len;
	t->cksum = cksum;
	t->sec = RXD_TXSEC_DONE;
}
/** A crypto engine is securing the packet: it may not go out before it comes back. */
static inline void rxd_txq_set_securing(struct rxd_txq *q, uint32_t seq)
{
	rxd_txq_slot(q, seq)->sec = RXD_TXSEC_BUSY;
}
/** May seq go out now (secured, or to be secured inline)? */
static inline bool rxd_txq_sendable(const struct rxd_txq *q, uint32_t seq)
{
	return rxd_txq_slot(q, seq)->sec != RXD_TXSEC_BUSY;
}
/** A lost packet went out again: back in flight. */
static inline void rxd_txq_resent(struct rxd_txq *q, uint32_t seq)
{
	rxd_txq_slot(q, seq)->lost = false;
	q->nr_lost--;
	q->in_flight++;
}
/** The next n new packets went out for the first time. */
static inline void rxd_txq_sent_new(struct rxd_txq *q, uint32_t n)
{
	q->sent_top += n;
	q->in_flight += n;
}

#endif
