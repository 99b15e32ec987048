/* SPDX-License-Identifier: MIT */
/*
 * The shard's side of the crypto engine (doc/crypto-offload.md): jobs from a
 * pool, the backlog the engine has not taken yet, and the holds that keep a
 * conn's security state alive while jobs of it are in flight.  Only crypto.c
 * edits these; input.c and output.c call the functions below.
 */
#ifndef RXD_CORE_CRYPTO_H
#define RXD_CORE_CRYPTO_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

struct rxd_local;
struct rxd_call;
struct rxd_conn;
struct rxd_buf;
struct crypto_job;

/* A conn's security state as jobs see it: freed by the last of the conn and its jobs to let go. */
struct rxd_sec_hold {
	struct rxd_sec_hold *free_next; /* pool link */
	const struct rxd_security_class *sc;
	void *sec;
	uint32_t refs;
};

struct rxd_crypto {
	const struct rxd_crypto_ops *ops; /* NULL = inline */
	void *ctx;
	struct rxd_pool *jobs, *holds;		   /* jobs also run inline, when a receive batch ends */
	struct crypto_job *backlog, *backlog_tail; /* made, not yet taken by the engine */
	uint32_t in_flight;			   /* taken by the engine, not given back */
};

int rxd_crypto_init(struct rxd_local *l, const struct rxd_crypto_ops *ops, void *ctx);
/** Free the pools; jobs never offered are dropped.  Jobs in flight must be back (else their memory is kept). */
void rxd_crypto_fini(struct rxd_local *l);
/** Offer the backlog to the engine (when the outermost entry point returns). */
void rxd_crypto_offer(struct rxd_local *l);
/** The conn lets go of its security state (it is freed now, or by the conn's last job). */
void rxd_crypto_release_conn(struct rxd_conn *conn);

/** Does conn's class work go to the engine (one configured, and the class's hooks run anywhere)? */
bool rxd_crypto_offloaded(const struct rxd_conn *conn);
/** Hand c's queued, unsecured transmit packets to the engine; false when they are secured inline. */
bool rxd_crypto_secure_queued(struct rxd_call *c);

/*
 * Receive side: a job for up to n subpackets of one datagram of c (joined to
 * the call's previous job when it has room), or NULL to verify inline.
 */
struct crypto_job *rxd_crypto_rx_begin(struct rxd_call *c, unsigned n);
/** One stored subpacket for j to verify (the job takes a reference on buf). */
void rxd_crypto_rx_add(struct rxd_call *c, struct crypto_job *j, struct rxd_buf *buf, uint8_t *body, uint32_t len,
		       uint32_t seq, uint16_t cksum, uint32_t serial);
/** Done adding: an empty job goes back to the pool. */
void rxd_crypto_rx_end(struct rxd_call *c, struct crypto_job *j);

#endif
