/* SPDX-License-Identifier: MIT */
/*
 * Internal structures of the sans-I/O core.  Only lib/core includes this.
 *
 * Ownership: local -> peers -> conns (4 channels) -> calls.  Everything lives
 * in per-shard pools that grow on demand up to the configured maxima and are
 * recycled through free lists, so steady-state operation never allocates.
 */
#ifndef RXD_CORE_INTERNAL_H
#define RXD_CORE_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rxd/core.h>
#include <rxd/wire.h>

#include "timer.h"
#include "txq.h"
#include "crypto.h"

#define RXD_RX_RING 256u  /* rx window ring (window <= 255) */
#define RXD_RTT_PROBES 4u /* outstanding RTT probes per peer */
#define RXD_MIN_RTO_NS (200ull * RXD_NS_PER_MS)
#define RXD_MAX_RTO_NS (120ull * RXD_NS_PER_SEC)
#define RXD_RTO_EXTRA_NS (100ull * RXD_NS_PER_MS)
#define RXD_CWND_INIT 4u
#define RXD_SSTHRESH_INIT 128u
#define RXD_PEER_RWIND_INIT 16u
#define RXD_PEER_RWIND_MAX 255u
#define RXD_FINAL_ACK_DEFER_NS (2ull * RXD_NS_PER_MS)
#define RXD_PEER_ACK_DEFER_MAX_NS (20ull * RXD_NS_PER_MS) /* kernel: 2 jiffies at HZ=100 */
#define RXD_TLP_MIN_NS (2ull * RXD_NS_PER_MS)
#define RXD_KEEPALIVE_DIV 6u
#define RXD_PEER_KEEPALIVE_NS (20ull * RXD_NS_PER_SEC)
#define RXD_PEER_BURST_BYTES (64u * 1024)      /* the pacing bucket to start with and its floor: a default UDP buffer */
#define RXD_PEER_BURST_MAX (64u * 1024 * 1024) /* the pacing bucket's ceiling */
#define RXD_PACE_PERIOD_NS RXD_NS_PER_MS       /* refill period before the first RTT sample */
#define RXD_UDP_IP4_HDR 28u		       /* IPv4 + UDP */
#define RXD_UDP_IP6_HDR 48u		       /* IPv6 + UDP */

static inline bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool seq_after_eq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
static inline bool seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}
static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}
static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}
static inline uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}
/* IP + UDP header bytes in front of every datagram to a. */
static inline uint32_t rxd_udp_ip_overhead(const struct rxd_addr *a)
{
	return a->family == RXD_AF_INET6 ? RXD_UDP_IP6_HDR : RXD_UDP_IP4_HDR;
}

/* ------------------------------------------------------------------ rtt (rtt.c) */

struct rxd_rtt {
	uint64_t srtt_us8; /* smoothed RTT << 3, microseconds */
	uint64_t mdev_us4; /* mean deviation << 2 */
	uint64_t mdev_max_us4;
	uint64_t rttvar_us4;
	uint64_t min_rtt_ns;
	uint64_t rto_ns; /* current RTO (before backoff; the backoff is per call, rto.c) */
	uint32_t nsamples;
};
void rxd_rtt_init(struct rxd_rtt *r, uint64_t initial_rto_ns);
void rxd_rtt_sample(struct rxd_rtt *r, uint64_t rtt_ns);
uint64_t rxd_rtt_srtt_ns(const struct rxd_rtt *r);

/* ------------------------------------------------------------------ congestion control (cc.c) */

/* Congestion state of one call, in packets (RFC 5681). */
struct rxd_cc {
	uint32_t cwnd;
	uint32_t ssthresh;
	uint32_t cwnd_acc;     /* congestion-avoidance accumulator */
	uint32_t recovery_end; /* seq that ends the current recovery episode */
	bool in_recovery;
};
void rxd_cc_init(struct rxd_cc *cc, uint32_t ssthresh, uint32_t cap);
/** newly packets were delivered; hard_ack is the queue's hard-ACK point afterwards. */
void rxd_cc_on_ack(struct rxd_cc *cc, uint32_t newly, uint32_t hard_ack, uint32_t cap);
/** Loss detected with pipe packets outstanding: halve once per episode.  True when a new episode began. */
bool rxd_cc_on_loss(struct rxd_cc *cc, uint32_t pipe, uint32_t sent_top);
/** Retransmission timeout: back to one packet. */
void rxd_cc_on_rto(struct rxd_cc *cc);
static inline uint32_t rxd_cc_window(const struct rxd_cc *cc)
{
	return cc->cwnd ? cc->cwnd : 1;
}

/* ------------------------------------------------------------------ RACK (rack.c) */

/* RACK (RFC 8985): the most recently sent packet known delivered. */
struct rxd_rack {
	uint64_t xmit_ns;
	uint32_t seq;
	uint64_t rtt_ns;
};
/** Packet seq was delivered; min_rtt_ns tells a retransmission's ACK from the original's (0 = unknown). */
void rxd_rack_update(struct rxd_rack *r, uint32_t seq, const struct rxd_txslot *t, uint64_t min_rtt_ns, uint64_t now);

/* ------------------------------------------------------------------ path MTU discovery (pmtud.c) */

struct rxd_peer;
struct rxd_conn;
struct rxd_call;

/*
 * The search for the largest datagram the path to a peer passes (RFC 8899
 * DPLPMTUD, as net/rxrpc's pmtud_good/bad/trial/pending/lost).  Sizes are UDP
 * payload bytes, RxRPC header included, the unit of peer->max_data.
 */
struct rxd_pmtud {
	uint32_t good;		     /* largest size known to pass */
	uint32_t bad;		     /* smallest size known not to pass */
	uint32_t trial;		     /* the size the next or outstanding probe tests */
	uint32_t serial;	     /* the outstanding probe's serial on conn */
	const struct rxd_conn *conn; /* the conn the outstanding probe went on (NULL = none) */
	uint32_t call_number;	     /* and its call */
	uint8_t channel;
	uint64_t sent_at;
	uint64_t raise_at; /* search done: look for a larger size again then */
	bool pending;	   /* the next call with input to this peer sends a probe */
	bool lost;	   /* this trial was lost once: one retry before it counts as too big */
};
void rxd_pmtud_init(struct rxd_peer *p);
/** After input on c: send the peer's pending probe on c (padded PING ACK with DF). */
void rxd_pmtud_maybe_probe(struct rxd_call *c, uint64_t now);
/** An ACK for a call on conn echoing acked_serial: the verdict if it names the probe or a later packet. */
void rxd_pmtud_input_ack(struct rxd_conn *conn, const struct rxd_hdr *h, uint32_t acked_serial, uint64_t now);
/** conn is going away: a probe outstanding on it will never be answered there. */
void rxd_pmtud_conn_gone(const struct rxd_conn *conn);
/** ICMP frag-needed / packet-too-big with the router's MTU (0 = unknown): true if max_data fell. */
bool rxd_pmtud_too_big(struct rxd_peer *p, uint32_t mtu, uint64_t now);

/* ------------------------------------------------------------------ objects */

struct rxd_peer {
	struct rxd_peer *hash_next;
	struct rxd_peer *free_next;
	struct rxd_local *local;
	struct rxd_addr addr;
	uint32_t hash;
	uint32_t nconns; /* conns referencing this peer */
	uint64_t last_used;
	uint64_t last_tx;
	struct rxd_timer timer; /* expiry */
	struct rxd_rtt rtt;
	uint32_t max_data; /* largest UDP payload we may send (path limit, pmtud.c) */
	struct rxd_pmtud pmtud;
	uint32_t if_mtu_data;	       /* advertised by the peer: ifMTU */
	uint32_t peer_max_mtu;	       /* advertised by the peer: maxMTU (0 = unknown) */
	uint32_t peer_jumbo_max;       /* advertised jumbo_max (0 = none/PMTUD) */
	uint8_t trailer_len;	       /* 0 until the peer's first ACK */
	uint32_t ssthresh;	       /* persists between calls */
	struct rxd_conn *client_conns; /* list of client conns to this peer */
	struct {
		uint32_t serial;
		uint64_t sent;
	} probes[RXD_RTT_PROBES];
	uint64_t last_rtt_probe;
	/* For rxdebug -peers (OpenAFS rx_peer nSent, reSends, bytesSent): DATA subpackets and datagram bytes. */
	uint32_t tx_data;
	uint32_t tx_resends;
	uint64_t tx_data_bytes;
	int64_t pace_tokens;	 /* DATA bytes that may go now (pacing, peer.c) */
	uint32_t pace_cap;	 /* the bucket: DATA bytes all calls may send per minimum RTT */
	bool pace_blocked;	 /* a call waited for tokens this period: the cap was the limit */
	bool pace_lost;		 /* a call to this peer saw loss this period */
	bool pace_seen_loss;	 /* ever: growth turns from doubling to linear */
	uint64_t pace_period_at; /* when this period ends (growth and cuts at most once a period) */
	uint64_t pace_last;	 /* when the tokens were last topped up */
};

enum rxd_conn_state {
	RXD_CONN_UNUSED = 0,
	RXD_CONN_CLIENT,
	RXD_CONN_SERVICE,
	RXD_CONN_ABORTED,
};

struct rxd_channel {
	struct rxd_call *call; /* live call, or NULL */
	uint32_t call_number;  /* callNumber of the current/last call */
	uint32_t last_call;    /* callNumber of the last finished call */
	uint8_t last_type;     /* RXD_PKT_ACK or RXD_PKT_ABORT */
	int32_t last_abort;
	uint64_t final_ack_at; /* deferred final ACK (client), 0 = none */
	uint32_t final_ack_serial;
	uint32_t fa_call; /* client: last call that succeeded, for its final ACK */
	uint32_t fa_seq;  /* its last reply seq */
};

/*
 * What a client call asks of its connection, as the kernel's struct
 * rxrpc_conn_parameters: calls share a connection, and a bundle, only where
 * all of these are equal.
 */
struct rxd_conn_params {
	const void *key;
	uint16_t service_id;
	uint8_t security_index;
	uint8_t security_level;
	bool exclusive;
	bool upgrade;
};

/* Up to this many DATA datagrams wait on an unsecured service conn; more are dropped (the client resends). */
#define RXD_CONN_HELD_MAX 16u
/* CHALLENGE sends per round before the conn waits for the client's next DATA to try again. */
#define RXD_CHALLENGE_TRIES 6u

/* A received datagram kept whole while its conn is being secured. */
struct rxd_held {
	struct rxd_buf *buf;
	const uint8_t *data;
	uint32_t len;
};

struct rxd_conn {
	struct rxd_conn *hash_next;
	struct rxd_conn *free_next;
	struct rxd_conn *peer_next; /* client conns of the peer */
	struct rxd_conn *peer_prev;
	struct rxd_local *local;
	struct rxd_peer *peer;
	enum rxd_conn_state state;
	bool is_client;
	bool dont_reuse;
	bool probing_upgrade;
	uint32_t epoch;
	uint32_t cid; /* channel bits zero */
	uint32_t hash;
	uint16_t service_id; /* the current one: an upgrade changes it (cp.service_id is what was asked) */
	struct rxd_conn_params cp;
	void *sec;		       /* security-class state */
	struct rxd_sec_hold *sec_hold; /* sec shared with crypto jobs in flight (crypto.c), or NULL */
	const struct rxd_security_class *sc;
	bool secured;	       /* service: the class accepted a RESPONSE, or needs none (SERVICE_CONN_SECURED) */
	uint8_t challenges;    /* CHALLENGEs sent this round (conn_security.c) */
	uint64_t challenge_at; /* next CHALLENGE resend (0 = none) */
	uint8_t nheld;	       /* DATA held until secured */
	struct rxd_held *held; /* RXD_CONN_HELD_MAX, allocated when the first is held */
	uint32_t tx_serial;    /* last serial used */
	uint32_t hi_serial;    /* highest serial received */
	uint64_t hi_serial_at;
	uint32_t active; /* live calls on channels */
	uint64_t idle_since;
	int32_t abort_code;
	struct rxd_timer timer; /* idle expiry and deferred final ACKs */
	struct rxd_channel chan[RXD_MAXCALLS];
};

struct rxd_rxslot {
	struct rxd_buf *buf;
	const uint8_t *data;
	uint32_t len;
	bool present;
	bool last;
	bool verified; /* the security class accepted it (a crypto engine may still hold it) */
};

struct rxd_call {
	struct rxd_call *free_next;
	struct rxd_call *wait_next; /* AWAIT_CONN queue, or service backlog */
	struct rxd_call *all_next;  /* list of all live calls (for teardown) */
	struct rxd_call *all_prev;
	struct rxd_call *reap_next; /* deferred free list */
	struct rxd_call *ack_next;  /* local->ack_list */
	struct rxd_local *local;
	uint32_t gen; /* this incarnation of the pooled object (0 = free): crypto jobs find their call by it */
	struct rxd_conn *conn;
	struct rxd_peer *peer;
	struct rxd_service *svc;
	const struct rxd_call_ops *ops;
	void *app;
	uint64_t user_id;
	uint32_t call_number;
	uint8_t channel;
	bool is_client;
	bool app_ended; /* rxd_call_end() called */
	bool on_reap;
	bool ack_queued; /* on local->ack_list: its ACK goes out when the batch ends */
	bool rejected;
	bool in_backlog; /* holds a slot of its service's backlog (not taken by the app yet) */
	bool notified_complete;
	enum rxd_call_state state;
	enum rxd_completion completion;
	int32_t abort_code;
	int error;
	struct rxd_conn_params cp; /* service call: service_id and security_index of its conn */
	struct rxd_addr peer_addr;

	/* timers: one wheel entry; deadlines below */
	struct rxd_timer timer;
	uint64_t ack_at;       /* delayed ACK */
	uint64_t resend_at;    /* RACK reorder / RTO */
	uint64_t tlp_at;       /* tail loss probe */
	uint64_t pace_at;      /* DATA held back by the peer's pacing */
	uint64_t ping_at;      /* keepalive */
	uint64_t expect_rx_at; /* nothing heard from the peer */
	uint64_t idle_at;      /* request gap (server) */
	uint64_t hard_at;      /* lifetime */
	uint64_t expect_rx_ns;
	uint64_t idle_ns;
	uint64_t last_rx; /* last packet from the peer on this call */
	uint64_t last_tx;
	uint64_t created;

	/* ---- transmit side ---- */
	struct rxd_txq tx;	 /* the transmit queue (txq.c) */
	uint32_t tx_prev_ack;	 /* previousPacket of the latest accepted ACK */
	bool tx_phase_done;	 /* LAST queued */
	bool tx_began;		 /* a DATA datagram went out: only a routing error still ends the call (output.c) */
	struct rxd_buf *tx_fill; /* partially filled packet not yet queued */
	uint8_t *tx_fill_data;
	uint32_t tx_fill_len;
	uint32_t tx_pkt_size; /* payload per packet */
	uint32_t tx_fill_cap; /* bytes of the fill packet usable: security header + user data */
	uint32_t tx_fill_hdr; /* the security header's bytes at the front of the fill */
	uint32_t tx_lent;     /* packets rxd_call_send_space() handed out, not yet given back */
	uint32_t tx_winsize;  /* peer rwind */
	struct rxd_cc cc;
	struct rxd_rack rack;
	uint32_t rto_rounds; /* RTOs since data was last acknowledged */
	uint8_t rto_backoff; /* RTO doublings of this call (never shared between calls) */
	bool resend_is_rto;
	bool writable_wanted; /* app saw a short send */
	int64_t tx_total_len;
	uint32_t tx_sec_top; /* packets up to here were handed to the crypto engine (crypto.c) */

	/* ---- receive side ---- */
	struct rxd_rxslot *rx;	    /* RXD_RX_RING entries */
	uint32_t rx_consumed;	    /* all seq <= this consumed by the app: the rwind we advertise counts the rest */
	uint32_t rx_top;	    /* highest contiguous seq received and verified: delivered to the app, hard-ACKed */
	uint32_t rx_recv_top;	    /* highest contiguous seq received (verified or not): ACK decisions */
	uint32_t rx_highest;	    /* highest seq received */
	uint32_t rx_last;	    /* seq carrying LAST_PACKET (0 = unknown) */
	uint32_t rx_offset;	    /* consumed bytes of the first unconsumed packet */
	uint64_t rx_avail;	    /* bytes in order, unconsumed */
	uint32_t rx_unacked;	    /* datagrams received since our last ACK */
	uint32_t rx_acked_consumed; /* rx_consumed when our last ACK went (the rwind it told) */
	uint32_t ack_serial;	    /* serial that prompts the pending ACK */
	uint8_t ack_reason;	    /* pending immediate ACK reason (0 none) */
	uint8_t delayed_reason;
	bool rx_phase_done; /* LAST received and contiguous */
};

struct rxd_service {
	struct rxd_service *next;
	struct rxd_local *local;
	struct rxd_service_desc d;
	uint32_t backlog_len; /* calls waiting for acceptance/charge */
	uint32_t nr_charged;
	uint64_t *charged; /* ring of user call ids */
	uint32_t charge_head;
	uint32_t charge_cap;
};

struct rxd_pool {
	const struct rxd_mem *mem;
	void *free; /* free list through the first pointer-sized field */
	uint32_t used;
	uint32_t max;
	size_t size;
	void **chunks;
	uint32_t nchunks, chunk_cap;
};

struct rxd_local {
	struct rxd_config cfg;
	const struct rxd_io_ops *io;
	void *io_ctx;
	struct rxd_mem mem;
	void (*log)(void *user, enum rxd_log_level level, const char *msg);
	void *log_user;
	enum rxd_log_level log_level;
	void (*debug_counters)(void *user, struct rxd_stats *sum, struct rxd_local_counts *counts);
	void *debug_counters_user;
	struct rxd_addr addr;
	uint32_t epoch;
	uint64_t rng;
	uint16_t shard_index, shard_count;
	uint32_t next_cid_id;
	uint32_t call_gen; /* the last rxd_call.gen given */
	bool shutting_down;
	bool destroying;
	char version[RXD_VERSION_REPLY_LEN];
	uint64_t now;

	struct rxd_wheel wheel;
	struct rxd_pool call_pool, conn_pool, peer_pool;
	uint32_t peer_hash_mask, conn_hash_mask;
	struct rxd_peer **peer_hash;
	struct rxd_conn **conn_hash; /* client conns by cid, service by (peer, epoch, cid) */
	struct rxd_call *calls;	     /* all live calls */
	struct rxd_call *reap;	     /* ended and complete, to free at top level */
	uint32_t busy;		     /* nesting depth of entry points */
	uint32_t batch;		     /* rxd_local_batch_begin depth */
	struct rxd_call *ack_list;   /* calls owing an ACK, sent when the batch ends */
	struct rxd_call *await_conn_head, *await_conn_tail;
	bool chan_freed; /* a client channel or conn was freed since waiting calls last tried */
	struct rxd_service *services;
	const struct rxd_security_class *security[8];
	uint32_t ncalls, nconns, npeers;
	struct rxd_stats stats;
	struct rxd_crypto crypto; /* the crypto engine's jobs (crypto.c) */
};

/* ------------------------------------------------------------------ internal API */

/** Send the ACKs that calls queued during a batch (input.c). */
void rxd_flush_acks(struct rxd_local *l, uint64_t now);

/* local.c */
/* Every public entry point brackets its work: the outermost leave sends batched ACKs, connects waiting calls
 * and frees what was ended meanwhile. */
void rxd_local_enter(struct rxd_local *l, uint64_t now);
void rxd_local_leave(struct rxd_local *l, uint64_t now);
uint64_t rxd_local_random(struct rxd_local *l);
/* Memory through the rxd_local_params allocator. */
static inline void *rxd_calloc(const struct rxd_local *l, size_t n, size_t size)
{
	return l->mem.calloc(l->mem.user, n, size);
}
static inline void rxd_free(const struct rxd_local *l, void *p)
{
	if (p)
		l->mem.free(l->mem.user, p);
}
void rxd_log_msg(const struct rxd_local *l, enum rxd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Formats only when someone listens at that level. */
#define RXD_LOG(l, level, ...)                                                                                         \
	do {                                                                                                           \
		if ((l)->log && (level) <= (l)->log_level)                                                             \
			rxd_log_msg((l), (level), __VA_ARGS__);                                                        \
	} while (0)
struct rxd_service *rxd_find_service(struct rxd_local *l, uint16_t service_id);
void rxd_pool_init(struct rxd_pool *p, const struct rxd_mem *mem, size_t size, uint32_t max);
void rxd_pool_destroy(struct rxd_pool *p);
void *rxd_pool_get(struct rxd_pool *p);
void rxd_pool_put(struct rxd_pool *p, void *obj);

/* peer.c */
struct rxd_peer *rxd_peer_lookup(struct rxd_local *l, const struct rxd_addr *a, bool create, uint64_t now);
void rxd_peer_get(struct rxd_peer *p);
void rxd_peer_put(struct rxd_peer *p, uint64_t now);
void rxd_peer_free_all(struct rxd_local *l);
uint32_t rxd_peer_max_jumbo(const struct rxd_peer *p, const struct rxd_config *c);
void rxd_peer_rtt_probe_sent(struct rxd_peer *p, uint32_t serial, uint64_t now);
bool rxd_peer_rtt_probe_ack(struct rxd_peer *p, uint32_t serial, uint64_t now);
uint64_t rxd_peer_pace(struct rxd_peer *p, uint32_t bytes, uint32_t wnd_bytes, bool must, uint64_t now);
void rxd_peer_pace_on_loss(struct rxd_peer *p);
void rxd_peer_input_error(struct rxd_local *l, const struct rxd_addr *a, int err, uint32_t mtu, uint64_t now);
uint32_t rxd_addr_hash(const struct rxd_addr *a);

/* conn.c */
int rxd_conn_connect_call(struct rxd_local *l, struct rxd_call *call, uint64_t now);
struct rxd_conn *rxd_conn_find_client(struct rxd_local *l, uint32_t cid);
struct rxd_conn *rxd_conn_find_service(struct rxd_local *l, struct rxd_peer *peer, uint32_t epoch, uint32_t cid);
struct rxd_conn *rxd_conn_new_service(struct rxd_local *l, struct rxd_peer *peer, const struct rxd_hdr *h,
				      const struct rxd_service *svc, uint64_t now);
void rxd_conn_disconnect_call(struct rxd_call *call, uint64_t now);
void rxd_conn_update_idle(struct rxd_conn *c, uint64_t now);
uint32_t rxd_conn_next_serial(struct rxd_conn *c);
void rxd_conn_retransmit_final(struct rxd_conn *c, const struct rxd_pkt *pkt, unsigned channel, uint64_t now);
void rxd_conn_abort_all(struct rxd_conn *c, int32_t code, int err, bool remote, uint64_t now);
void rxd_conn_free_all(struct rxd_local *l);
void rxd_conn_schedule_final_ack(struct rxd_conn *c, unsigned channel, uint64_t now);
/** The header of a packet on conn's channel for call call_number (0 = a connection packet), in our direction. */
void rxd_conn_hdr(const struct rxd_conn *c, unsigned channel, uint32_t call_number, uint8_t type, uint32_t serial,
		  struct rxd_hdr *h);
void rxd_conn_connect_waiting(struct rxd_local *l, uint64_t now);

/* conn_security.c: the security handshake (Linux conn_event.c / rxkad.c, OpenAFS rx.c rxi_ChallengeEvent) */
/** Set up the conn's security class state: client from the call's key, service from svc.  0 or -errno. */
int rxd_conn_init_security(struct rxd_conn *c, const void *key, uint8_t level);
void rxd_conn_free_security(struct rxd_conn *c);
/** Service: keep a DATA datagram of an unsecured conn (challenging the client if not yet). */
void rxd_conn_hold(struct rxd_conn *c, struct rxd_buf *buf, const uint8_t *data, size_t len, uint64_t now);
void rxd_conn_drop_held(struct rxd_conn *c);
void rxd_conn_challenge_timer(struct rxd_conn *c, uint64_t now);
void rxd_conn_input_challenge(struct rxd_conn *c, const struct rxd_addr *from, const struct rxd_pkt *pkt, uint64_t now);
void rxd_conn_input_response(struct rxd_conn *c, const struct rxd_pkt *pkt, uint64_t now);
/** A connection-level failure: every call on conn ends with code and the peer is told once. */
void rxd_conn_fail(struct rxd_conn *conn, int32_t code, int err, uint64_t now);

/* call.c */
struct rxd_call *rxd_call_alloc(struct rxd_local *l, uint64_t now);
void rxd_call_complete(struct rxd_call *c, enum rxd_completion how, int32_t abort_code, int err, uint64_t now);
void rxd_call_local_abort(struct rxd_call *c, int32_t code, int err, uint64_t now);
void rxd_call_taken(struct rxd_call *c);
void rxd_call_set_state(struct rxd_call *c, enum rxd_call_state s);
void rxd_call_update_timer(struct rxd_call *c);
void rxd_call_maybe_free(struct rxd_call *c);
void rxd_call_free_now(struct rxd_call *c);
void rxd_call_reap_all(struct rxd_local *l);
void rxd_call_notify_data(struct rxd_call *c);
void rxd_call_free_buffers(struct rxd_call *c);
void rxd_call_timer_fired(struct rxd_timer *t, uint64_t now);
struct rxd_call *rxd_call_new_incoming(struct rxd_local *l, struct rxd_conn *conn, const struct rxd_pkt *pkt,
				       uint64_t now);

/* input.c */
/** Route a datagram held while its conn was secured, as if it had just arrived. */
void rxd_input_replay(struct rxd_local *l, const struct rxd_addr *from, struct rxd_buf *buf, const uint8_t *data,
		      size_t len, uint64_t now);
void rxd_input_call_packet(struct rxd_call *c, const struct rxd_pkt *pkt, struct rxd_buf *buf, uint64_t now);

/* output.c */
int rxd_send_raw(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_iov *iov, unsigned n, unsigned flags);
void rxd_send_ack(struct rxd_call *c, uint8_t reason, uint32_t serial, uint64_t now);
void rxd_send_abort(struct rxd_call *c, int32_t code, uint64_t now);
void rxd_send_conn_abort(struct rxd_conn *conn, int32_t code, uint64_t now);
void rxd_reply_abort(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_hdr *h, int32_t code);
void rxd_reply_busy(struct rxd_local *l, struct rxd_peer *peer, const struct rxd_hdr *h, uint32_t serial);
void rxd_send_final_ack(struct rxd_conn *conn, unsigned channel, uint8_t reason, uint32_t serial, uint64_t now);
void rxd_transmit(struct rxd_call *c, uint64_t now);
/* input.c */
/** A crypto engine verified c's packets p[0..n) (bufs[i] each): abort on a bad one, else deliver in order. */
void rxd_input_verified(struct rxd_call *c, const struct rxd_sec_pkt *p, struct rxd_buf *const *bufs, unsigned n,
			uint32_t serial, uint64_t now);
void rxd_send_ping(struct rxd_call *c, uint64_t now);
/** A PING ACK zero-padded to size bytes of UDP payload, sent with DF; its serial in *serial.  0 or -errno. */
int rxd_send_pmtud_probe(struct rxd_call *c, uint32_t size, uint32_t *serial, uint64_t now);
void rxd_reply_version(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_hdr *h);
void rxd_reply_debug(struct rxd_local *l, const struct rxd_addr *to, const struct rxd_pkt *pkt);

/* rack.c: RACK-TLP loss detection (RFC 8985) */
void rxd_rack_detect(struct rxd_call *c, uint64_t now);
void rxd_rack_reorder_timer(struct rxd_call *c, uint64_t now);
/** An ACK acknowledged nothing new: packets it still lacks that are older than an RTO are lost. */
void rxd_loss_on_stale_ack(struct rxd_call *c, uint32_t first, uint32_t nacks, const uint8_t *acks, uint64_t now);
void rxd_tlp_arm(struct rxd_call *c, uint64_t rto, bool progress, uint64_t now);
void rxd_tlp_timer(struct rxd_call *c, uint64_t now);
void rxd_send_tlp_probe(struct rxd_call *c, uint64_t now); /* output.c */

/* rto.c: the retransmission timer and its backoff */
uint64_t rxd_rto(const struct rxd_rtt *r, uint32_t backoff); /* doubled backoff times, clamped */
uint64_t rxd_call_rto(const struct rxd_call *c);
/** The peer answered an RTT probe: the call's backoff starts over. */
void rxd_rto_reset_backoff(struct rxd_call *c);
/** New data was acknowledged: the backoff and the RTO round count start over. */
void rxd_rto_on_progress(struct rxd_call *c);
void rxd_arm_resend(struct rxd_call *c, uint64_t now, bool progress);
void rxd_resend_timer(struct rxd_call *c, uint64_t now);
/** Loss detected (RACK or RTO) on the call: the congestion response, shared with the peer. */
void rxd_call_on_loss(struct rxd_call *c, bool rto);

#define STAT(l, field) ((l)->stats.field++)

#endif
