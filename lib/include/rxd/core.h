/* SPDX-License-Identifier: MIT */
/*
 * rxd core: the sans-I/O RxRPC engine.
 *
 * One struct rxd_local is one shard: it owns its peers, connections, calls,
 * timers and counters, and is driven by exactly one thread.  It never touches
 * the OS, a clock or a socket: every entry point takes `now` (nanoseconds on
 * any monotonic clock), packets come in through rxd_local_input(), packets go
 * out through struct rxd_io_ops, and the caller asks rxd_local_next_expiry()
 * when to call rxd_local_expire() next.
 */
#ifndef RXD_CORE_H
#define RXD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rxd/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RXD_NS_PER_MS 1000000ull
#define RXD_NS_PER_SEC 1000000000ull
#define RXD_TIME_NEVER UINT64_MAX

/* ------------------------------------------------------------------ addresses */

#define RXD_AF_INET 4
#define RXD_AF_INET6 6

/* A transport address: IPv4 or IPv6 plus UDP port. */
struct rxd_addr {
	uint8_t family; /* RXD_AF_INET or RXD_AF_INET6 */
	uint8_t pad;
	uint16_t port; /* host byte order */
	union {
		uint8_t v4[4]; /* network byte order */
		uint8_t v6[16];
	} ip;
};

/** Compare two addresses (family, ip, port). */
bool rxd_addr_equal(const struct rxd_addr *a, const struct rxd_addr *b);
/** Format "a.b.c.d:port" or "[v6]:port" into buf; returns buf. */
char *rxd_addr_format(const struct rxd_addr *a, char *buf, size_t len);
/** Parse "a.b.c.d[:port]" or "[v6]:port"/"v6"; 0 or -EINVAL. */
int rxd_addr_parse(const char *s, uint16_t default_port, struct rxd_addr *out);

/* ------------------------------------------------------------------ buffers and I/O */

/*
 * An opaque, reference-counted packet buffer owned by the shell (an rte_mbuf
 * in the DPDK shell, a heap block in the simulator).  The core holds
 * references to received DATA (zero-copy delivery) and to its own transmit
 * payloads (retransmission without copies).
 */
struct rxd_buf;

/* One piece of an outgoing datagram. */
struct rxd_iov {
	const uint8_t *base;
	uint32_t len;
	struct rxd_buf *buf; /* buffer holding base, or NULL for transient core memory */
};

#define RXD_TX_DONTFRAG 0x1u /* set DF (PMTU probes, DATA below max_data) */

struct rxd_io_ops {
	/** Allocate a buffer with len contiguous bytes at *data; one reference. NULL when exhausted. */
	struct rxd_buf *(*buf_alloc)(void *io, size_t len, uint8_t **data);
	/** Take one more reference. */
	void (*buf_ref)(void *io, struct rxd_buf *b);
	/** Drop one reference (frees at zero). */
	void (*buf_put)(void *io, struct rxd_buf *b);
	/**
	 * Transmit one UDP datagram made of iov[0..n) to dst.  The core keeps its
	 * references; the shell copies or takes references of its own before
	 * returning.  Returns 0, or a negative errno (the core counts it and,
	 * for -EMSGSIZE, treats it as a PMTU signal).
	 */
	int (*send)(void *io, const struct rxd_addr *dst, const struct rxd_iov *iov, unsigned n, unsigned flags);
};

/* ------------------------------------------------------------------ configuration */

/*
 * Every parameter of the kernel's rxrpc.rst configurable-parameter list plus the
 * engine's sizing.  Times in milliseconds unless the name says seconds.
 * rxd_config_default() fills defaults; rxd_config_set() parses "name=value".
 */
struct rxd_config {
	uint32_t req_ack_delay_ms;	  /* delay before honouring REQUEST_ACK (default 0 = at once) */
	uint32_t soft_ack_delay_ms;	  /* soft-ACK delay before an RTT sample exists (1000) */
	uint32_t idle_ack_delay_ms;	  /* hard-ACK after the reader drained the queue (500) */
	uint32_t resend_timeout_ms;	  /* initial RTO before any RTT sample (1000) */
	uint32_t max_call_lifetime_s;	  /* hard limit on a call (0 = none; default 0) */
	uint32_t dead_call_expiry_s;	  /* keep final ACK/ABORT cache for regeneration (60: > expect-rx) */
	uint32_t connection_expiry_s;	  /* idle service conn lifetime (600) */
	uint32_t client_conn_expiry_s;	  /* idle client conn lifetime (120) */
	uint32_t transport_expiry_s;	  /* idle peer lifetime (60) */
	uint32_t rx_window_size;	  /* receive window in packets (255, 1..255) */
	uint32_t rx_mtu;		  /* largest datagram we accept, bytes (65160 .. 500) */
	uint32_t rx_jumbo_max;		  /* subpackets we accept per jumbogram (46, 1..46) */
	uint32_t tx_jumbo_max;		  /* subpackets we send per jumbogram (46; 1 = no jumbo) */
	uint32_t tx_window_max;		  /* cap on the tx window in packets (128) */
	uint32_t if_mtu;		  /* interface MTU (1500) */
	uint32_t expect_rx_timeout_ms;	  /* call dies after this long without hearing the peer (20000) */
	uint32_t idle_request_timeout_ms; /* server: gap allowed between request DATA (20000) */
	uint32_t max_backlog;		  /* unaccepted incoming calls per service before BUSY (32) */
	uint32_t max_calls;		  /* calls per shard (pool size) (65536) */
	uint32_t max_conns;		  /* connections per shard (16384) */
	uint32_t max_peers;		  /* peers per shard (4096) */
	uint32_t tx_queue_max;		  /* DATA packets a call may queue unsent+unacked (512) */
	uint32_t bundle_conns;		  /* client conns at once per peer, service, security and key (4) */
	uint32_t pmtud;			  /* path-MTU discovery with padded PING probes (1; 0 = off) */
	uint32_t pmtud_reprobe_s;	  /* search again for a larger path MTU after (600; 0 = never) */
};

/** Fill c with the documented defaults. */
void rxd_config_default(struct rxd_config *c);
/**
 * The one number syntax of config files and both launchers: decimal digits
 * (leading zeros are decimal, no sign, space or base prefix), optionally one
 * suffix k, m or g (KiB, MiB, GiB: x 1024, 1024^2, 1024^3; either case).
 * Returns 0, -EINVAL (no digits, junk) or -ERANGE (overflow, above max).
 */
int rxd_parse_u64(const char *s, uint64_t max, uint64_t *out);
/**
 * Set one parameter from "name=value" (or name, value).  Returns 0, or
 * -EINVAL/-ERANGE with a one-line message in err naming the problem.
 */
int rxd_config_set(struct rxd_config *c, const char *name, const char *value, char *err, size_t errlen);
/** Validate a whole config; 0 or -EINVAL with a one-line message in err. */
int rxd_config_validate(const struct rxd_config *c, char *err, size_t errlen);
/** Print every parameter with its value and description, one per line. */
void rxd_config_describe(const struct rxd_config *c, void (*line)(void *arg, const char *text), void *arg);

/* ------------------------------------------------------------------ objects */

struct rxd_local;
struct rxd_call;
struct rxd_service;
struct rxd_security_class;
struct rxd_crypto_ops;

/* Call completion (kernel rxrpc_call_completion). */
enum rxd_completion {
	RXD_CALL_ACTIVE = -1, /* not complete yet */
	RXD_CALL_SUCCEEDED = 0,
	RXD_CALL_REMOTELY_ABORTED = 1,
	RXD_CALL_LOCALLY_ABORTED = 2,
	RXD_CALL_LOCAL_ERROR = 3,
	RXD_CALL_NETWORK_ERROR = 4,
};
const char *rxd_completion_name(enum rxd_completion c);

/* Call states (kernel rxrpc_call_state numbering). */
enum rxd_call_state {
	RXD_CS_UNINITIALISED = 0,
	RXD_CS_CLIENT_AWAIT_CONN,
	RXD_CS_CLIENT_SEND_REQUEST,
	RXD_CS_CLIENT_AWAIT_REPLY,
	RXD_CS_CLIENT_RECV_REPLY,
	RXD_CS_SERVER_PREALLOC,
	RXD_CS_SERVER_RECV_REQUEST,
	RXD_CS_SERVER_ACK_REQUEST,
	RXD_CS_SERVER_SEND_REPLY,
	RXD_CS_SERVER_AWAIT_ACK,
	RXD_CS_COMPLETE,
};
const char *rxd_call_state_name(enum rxd_call_state s);

/*
 * Notifications to the application, called synchronously from inside
 * rxd_local_input()/rxd_local_expire()/API calls on the owning thread.
 * Handlers may call any rxd_call_* function on the call they were given,
 * including rxd_call_end().
 */
struct rxd_call_ops {
	/** Server: a new incoming call was bound.  Return 0 to accept; or call
	 *  rxd_call_reject()/rxd_call_abort() and return nonzero. */
	int (*new_call)(void *app, struct rxd_call *call);
	/** Data (or the end of the received phase) is ready to read. */
	void (*data)(void *app, struct rxd_call *call);
	/** Room opened in the transmit queue after rxd_call_send() accepted less than asked. */
	void (*writable)(void *app, struct rxd_call *call);
	/** The call is complete: see rxd_call_completion(), rxd_call_abort_code(), rxd_call_error(). */
	void (*complete)(void *app, struct rxd_call *call);
};

/* A service offered by this local endpoint. */
struct rxd_service_desc {
	uint16_t service_id;
	uint16_t upgrade_from; /* accept an upgrade request from this id (0 = none) */
	uint8_t
	    min_security_level;	   /* RXRPC_MIN_SECURITY_LEVEL: secured conns below it fail; above 0 rxnull calls too */
	const void *security_conf; /* server side of the security classes (rxkad: struct rxd_rxkad_server) */
	bool needs_charge;	   /* calls need rxd_service_charge() slots (message API); else auto */
	uint32_t backlog;	   /* 0 = config max_backlog */
	const struct rxd_call_ops *ops;
	void *app;
};

/*
 * A call's timeouts, all in milliseconds; 0 leaves one at the config value
 * (at begin) or unchanged (rxd_call_set_timeouts).  The names are those of
 * the kernel's RXRPC_SET_CALL_TIMEOUT ("hard", "normal" = expect-rx, "idle" =
 * request gap), spelled as in struct rxd_config.
 */
struct rxd_call_timeouts {
	uint32_t hard_ms; /* longest life of the call (config max_call_lifetime; kernel "hard") */
	uint32_t
	    expect_rx_ms; /* nothing heard from the peer for this long (config expect_rx_timeout; kernel "normal") */
	uint32_t idle_request_ms; /* server: gap between request DATA (config idle_request_timeout; kernel "idle") */
};

/* Parameters to begin a client call. */
struct rxd_call_params {
	struct rxd_addr peer;
	uint16_t service_id;
	uint8_t security_index; /* 0 = rxnull */
	uint8_t security_level;
	const void *key; /* security-class key (NULL for rxnull) */
	bool exclusive;	 /* RXRPC_EXCLUSIVE_CONNECTION */
	bool upgrade;	 /* RXRPC_UPGRADE_SERVICE */
	uint64_t user_call_id;
	struct rxd_call_timeouts timeouts; /* 0 fields = config values */
	int64_t tx_total_len;		   /* <= 0 unknown, else the total request length (RXRPC_TX_LENGTH):
					    * a send passing it or ending the request short of it is -EMSGSIZE;
					    * a length of 0 is announced with rxd_call_set_tx_length() */
	const struct rxd_call_ops *ops;
	void *app;
};

/* ------------------------------------------------------------------ local endpoint */

/*
 * Where the core's memory comes from: the shard itself, its pools (grown in
 * chunks), hash tables and call rings; never per packet.  All three or none
 * (NULL in rxd_local_params = libc).  The DPDK shell passes NUMA-local
 * rte_malloc memory of the worker's socket.
 */
struct rxd_mem {
	void *(*malloc)(void *user, size_t size);
	void *(*calloc)(void *user, size_t n, size_t size); /* zeroed */
	void (*free)(void *user, void *ptr);
	void *user;
};

/* How much the core tells its log hook (syslog order: lower is more severe). */
enum rxd_log_level {
	RXD_LOG_ERR = 1,
	RXD_LOG_WARNING = 2,
	RXD_LOG_NOTICE = 3, /* default threshold */
	RXD_LOG_INFO = 4,   /* per call: local aborts, network errors */
	RXD_LOG_DEBUG = 5,  /* per packet decisions (BUSY, exhausted pools), every failed call's state */
};

struct rxd_stats;
struct rxd_local_counts;

struct rxd_local_params {
	struct rxd_addr addr; /* our address and UDP port */
	const struct rxd_config *config;
	const struct rxd_io_ops *io;
	void *io_ctx;
	uint32_t epoch; /* 0 = derive from seed (bit 31 set) */
	uint64_t seed;	/* randomness for epoch, cids, nonces */
	/* cid sharding: this shard allocates client cids c with
	 * ((c >> 2) % shard_count) == shard_index, so replies route back here. */
	uint16_t shard_index;
	uint16_t shard_count;	    /* 0 or 1 = unsharded */
	const char *version_string; /* VERSION reply; NULL = "rxd <version>" */
	const struct rxd_mem *mem;  /* NULL = malloc/calloc/free */
	/* One line (no newline) per event at or below log_level; NULL = silent.  Called on the shard's thread. */
	void (*log)(void *user, enum rxd_log_level level, const char *msg);
	void *log_user;
	enum rxd_log_level log_level; /* 0 = RXD_LOG_NOTICE */
	/* The counters rxdebug's GETSTATS and RXSTATS report, added into sum and
	 * counts (both zeroed first): a shell running several shards gives the
	 * whole process's.  Called on the shard's thread.  NULL = this shard's own. */
	void (*debug_counters)(void *user, struct rxd_stats *sum, struct rxd_local_counts *counts);
	void *debug_counters_user;
	/* The security class's per-packet work (securing and verifying DATA) runs on this engine, off
	 * the shard's thread (doc/crypto-offload.md); NULL = inline. */
	const struct rxd_crypto_ops *crypto;
	void *crypto_ctx;
};

/** Create a shard.  Returns 0 or -errno; *out set on success. */
int rxd_local_create(const struct rxd_local_params *p, uint64_t now, struct rxd_local **out);
/** Destroy a shard: completes every call with LOCAL_ERROR first, frees everything. */
void rxd_local_destroy(struct rxd_local *l);
/**
 * Bracket a burst of rxd_local_input() calls (the shell does, per rx burst):
 * the ACKs calls owe are coalesced and sent once, when the batch ends, so one
 * ACK covers every DATA of the burst (as NAPI/GRO does for TCP).  Nests.
 */
void rxd_local_batch_begin(struct rxd_local *l, uint64_t now);
void rxd_local_batch_end(struct rxd_local *l, uint64_t now);
/** Feed one received UDP payload.  The core takes over one reference on buf (may be NULL if data is transient). */
void rxd_local_input(struct rxd_local *l, const struct rxd_addr *from, struct rxd_buf *buf, const uint8_t *data,
		     size_t len, uint64_t now);
/** Network error from ICMP: -EHOSTUNREACH/-ENETUNREACH/-ECONNREFUSED or -EMSGSIZE with mtu. */
void rxd_local_input_error(struct rxd_local *l, const struct rxd_addr *peer, int err, uint32_t mtu, uint64_t now);
/** Earliest time anything needs attention (RXD_TIME_NEVER if nothing). */
uint64_t rxd_local_next_expiry(const struct rxd_local *l);
/** Run every timer due at or before now. */
void rxd_local_expire(struct rxd_local *l, uint64_t now);
/** Start graceful shutdown: refuse new calls (RX_INVALID_OPERATION). */
void rxd_local_shutdown(struct rxd_local *l, uint64_t now);
/** Live objects of a shard. */
struct rxd_local_counts {
	unsigned calls; /* not yet ended by the application or not yet complete */
	unsigned conns;
	unsigned peers;
};
struct rxd_local_counts rxd_local_counts(const struct rxd_local *l);
uint32_t rxd_local_epoch(const struct rxd_local *l);

/** Offer a service.  Returns 0 or -EINVAL/-EADDRINUSE/-ENOMEM; *out set on success (may be NULL). */
int rxd_service_register(struct rxd_local *l, const struct rxd_service_desc *d, struct rxd_service **out);
/** Pre-charge one incoming call slot carrying user_call_id (RXRPC_CHARGE_ACCEPT). 0 or -ENOBUFS. */
int rxd_service_charge(struct rxd_service *s, uint64_t user_call_id);

/* ------------------------------------------------------------------ calls */

/** Begin a client call (rxrpc_kernel_begin_call).  0 or -errno. */
int rxd_call_begin(struct rxd_local *l, const struct rxd_call_params *p, uint64_t now, struct rxd_call **out);

#define RXD_SEND_MORE 0x1u /* MSG_MORE: more data follows in this phase */

/**
 * Queue data for the call's transmit phase (copied into transmit buffers).
 * Returns the number of bytes accepted (< len when the transmit queue is
 * full: wait for ops->writable and send the rest), or a negative errno
 * (-EPROTO wrong state or phase already ended, -ECONNABORTED call complete,
 * -EAGAIN a zero-length end-of-phase send found the queue full: retry after
 * writable, -EBUSY packets are lent by rxd_call_send_space()).  Without RXD_SEND_MORE the phase has ended exactly when
 * all of len was accepted.
 */
ssize_t rxd_call_send(struct rxd_call *c, const void *data, size_t len, unsigned flags, uint64_t now);

/*
 * A transmit packet lent by rxd_call_send_space(): the application writes
 * the call's next bytes at data (up to room), sets len, and gives it back
 * with rxd_call_send_bufs().  The other fields are the core's.
 */
struct rxd_txpkt {
	uint8_t *data;
	uint32_t room;
	uint32_t len; /* the application's: bytes written at data */
	struct rxd_buf *buf;
	uint8_t *pkt; /* the packet: the security class's header room, earlier bytes, then data */
	uint32_t hdr; /* header room at pkt */
	uint32_t cap; /* usable bytes at pkt */
};
/**
 * Lend up to n transmit packets of the call's current size (zero-copy send:
 * fill them anywhere, e.g. on another thread, then rxd_call_send_bufs()).
 * A packet partly filled by rxd_call_send() comes first, with less room.
 * Lent packets count against the transmit queue as queued ones do: fewer
 * than n means the queue is full (ops->writable follows) or the buffer pool
 * is empty.  While packets are lent rxd_call_send() is -EBUSY.  Returns the
 * number lent, or -EPROTO / -ECONNABORTED as rxd_call_send().
 */
int rxd_call_send_space(struct rxd_call *c, struct rxd_txpkt *bufs, unsigned n, uint64_t now);
/**
 * Queue lent packets, the oldest lent first and in the order lent, as
 * rxd_call_send() would queue their bytes (same announced-length, phase-end
 * and window rules; packets left empty are dropped; n = 0 without
 * RXD_SEND_MORE ends the phase as a zero-length rxd_call_send()).  The call
 * takes the buffers whatever the outcome but one: on error they are freed
 * (so this is how a failed call's lent packets are released).  Returns the
 * bytes queued, or -EPROTO / -ECONNABORTED / -EMSGSIZE / -EAGAIN as
 * rxd_call_send(), or -EINVAL (a len above its room, or the phase ended
 * while other packets are still lent; n above the packets lent: nothing is
 * taken).
 */
ssize_t rxd_call_send_bufs(struct rxd_call *c, const struct rxd_txpkt *bufs, unsigned n, unsigned flags, uint64_t now);

/* A received piece of call data, zero-copy. */
struct rxd_seg {
	const uint8_t *data;
	uint32_t len;
	struct rxd_buf *buf;
};
/**
 * Peek at received, in-order data without copying: fills up to max segments.
 * *eor is set when the segments reach the end of the peer's phase.
 * Returns the number of segments.
 */
unsigned rxd_call_peek(struct rxd_call *c, struct rxd_seg *segs, unsigned max, bool *eor);
/** Mark len bytes of peeked data consumed (frees buffers, opens the window). */
void rxd_call_consume(struct rxd_call *c, size_t len, uint64_t now);
/** Copying convenience: read up to len bytes; *eor when the phase ended and all was read. */
ssize_t rxd_call_recv(struct rxd_call *c, void *dst, size_t len, bool *eor, uint64_t now);
/**
 * Read into a buffer the caller expects to fill (rxrpc_kernel_recv_data): up to len bytes, *copied
 * set to what was read.  want_more: the phase goes on after this buffer.  Returns
 *   1  dst is full and the peer's phase ended exactly there (want_more false);
 *   0  dst is full and more is wanted (or, with want_more, the phase ended exactly: the next read says -EBADMSG);
 *   -EAGAIN  dst is not full yet: call again with the rest after the data callback;
 *   -EBADMSG the phase ended before dst was full;
 *   -EMSGSIZE dst is full, no more was wanted, but the phase goes on;
 *   the call's error once it failed.
 * On -EBADMSG and -EMSGSIZE the call is aborted with RXGEN_CC_UNMARSHAL (client) or
 * RXGEN_SS_UNMARSHAL (server), as the kernel's AFS does.  rxd_call_recv() stays the lenient read.
 */
int rxd_call_recv_data(struct rxd_call *c, void *dst, size_t len, size_t *copied, bool want_more, uint64_t now);
/** Bytes received in order and not yet consumed. */
size_t rxd_call_rx_avail(const struct rxd_call *c);

/** Abort the call (rxrpc_kernel_abort_call).  No-op once complete. */
void rxd_call_abort(struct rxd_call *c, int32_t code, uint64_t now);
/** Reject an incoming call with BUSY (rxrpc_kernel_reject_call); the call is released and must not be used again. */
void rxd_call_reject(struct rxd_call *c, uint64_t now);
/** The application is done with the call (rxrpc_kernel_end_call); aborts RX_USER_ABORT if not complete. */
void rxd_call_end(struct rxd_call *c, uint64_t now);
/** Change the call's timeouts (RXRPC_SET_CALL_TIMEOUT, rxrpc_kernel_set_max_life); zero fields stay
 *  unchanged.  The hard limit counts from now (as the kernel's), expect-rx from the last packet heard. */
void rxd_call_set_timeouts(struct rxd_call *c, const struct rxd_call_timeouts *t, uint64_t now);
/**
 * Announce the length of the call's transmit phase, a client's request or a
 * service's reply (RXRPC_TX_LENGTH, rxrpc_kernel_set_tx_length); 0 is a real
 * length (an empty phase: only an empty final send passes).  A send that would
 * pass it, or end the phase short of it, is then refused whole with -EMSGSIZE.
 * -EINVAL for a negative length, once a length was announced, or once data of
 * the phase was sent or lent; the call's error once it is over.
 */
int rxd_call_set_tx_length(struct rxd_call *c, int64_t len);

uint64_t rxd_call_user_id(const struct rxd_call *c);
void rxd_call_set_user_id(struct rxd_call *c, uint64_t id);
void rxd_call_set_ops(struct rxd_call *c, const struct rxd_call_ops *ops, void *app);
enum rxd_call_state rxd_call_state(const struct rxd_call *c);
enum rxd_completion rxd_call_completion(const struct rxd_call *c);
int32_t rxd_call_abort_code(const struct rxd_call *c);
int rxd_call_error(const struct rxd_call *c);
uint16_t rxd_call_service_id(const struct rxd_call *c);
void rxd_call_peer(const struct rxd_call *c, struct rxd_addr *out);
bool rxd_call_is_client(const struct rxd_call *c);
uint32_t rxd_call_cid(const struct rxd_call *c);
/**
 * The epoch of the call's connection (rxrpc_kernel_get_epoch): on a service
 * call the client's, which changes when the client restarts (AFS uses it to
 * notice that); on a client call this endpoint's.  0 before it has a connection.
 */
uint32_t rxd_call_epoch(const struct rxd_call *c);
/**
 * The call's security class index (0 rxnull, 2 rxkad) and, once its
 * connection is secured, that class's per-connection state in *conn_sec
 * (NULL otherwise), for the class's own accessors such as
 * rxd_rxkad_conn_identity(): a server learns who called from it.
 */
uint8_t rxd_call_security(const struct rxd_call *c, const void **conn_sec);
/** The call's callNumber on its channel (0 before it has a channel). */
uint32_t rxd_call_number(const struct rxd_call *c);
/** Smoothed RTT of the call's peer in ns (0 if no sample). */
uint64_t rxd_call_srtt_ns(const struct rxd_call *c);

/* ------------------------------------------------------------------ statistics */

struct rxd_stats {
	uint64_t rx_packets[RXD_PKT__MAX + 1]; /* index = type, last = unknown */
	uint64_t tx_packets[RXD_PKT__MAX + 1];
	uint64_t rx_bytes, tx_bytes;
	uint64_t rx_data_subpackets, rx_jumbo;
	uint64_t tx_data, tx_data_retrans, tx_jumbo, tx_data_subpackets;
	uint64_t rx_acks_by_reason[RXD_ACK__MAX];
	uint64_t tx_acks_by_reason[RXD_ACK__MAX];
	uint64_t discards[RXD_R__MAX]; /* why packets were dropped or rejected */
	uint64_t tx_errors, buf_alloc_failures;
	uint64_t calls_client, calls_server, calls_succeeded, calls_aborted_local, calls_aborted_remote, calls_error;
	uint64_t conns_client, conns_service, peers;
	uint64_t busy_sent, rto_fired, tlp_fired, fast_retrans, rtt_samples;
	uint64_t pings_sent, version_replies, debug_replies;
	uint64_t pmtud_probes, pmtud_probes_acked, pmtud_probes_lost; /* path-MTU probes and their verdicts */
	/* crypto engine: jobs handed to it, and DATA packets secured or verified inline while it was configured */
	uint64_t crypto_jobs, crypto_inline;
};
/** Copy the shard's counters (adds to *out so shards can be summed). */
void rxd_local_stats_add(const struct rxd_local *l, struct rxd_stats *out);

/**
 * rxdebug over several shards.  GETCONN, GETALLCONN and GETPEER walk records
 * by index (0, 1, 2, ... until the end marker); with several shards the
 * records are listed shard after shard: a shell hands a request to the next
 * shard, its index lowered by this shard's count, while the index is at or
 * past rxd_debug_records(), and the last shard answers whatever is left (the
 * end marker past its own records).  Returns this shard's record count for a
 * DEBUG request type, or -EINVAL for a type one shard answers alone.
 */
int rxd_debug_records(const struct rxd_local *l, int32_t type);

/* ------------------------------------------------------------------ security hooks */

/* What a security class may know of its connection (rxkad's preSeq and RESPONSE cover these). */
struct rxd_sec_conn_info {
	uint32_t epoch;
	uint32_t cid; /* channel bits zero */
	uint8_t security_index;
	uint32_t call_numbers[RXD_MAXCALLS]; /* current callNumber per channel */
	uint64_t random;		     /* fresh randomness from the shard (nonces) */
};

/*
 * One DATA (sub)packet secured or verified in place.  The hooks take arrays
 * of these, so a class can interleave the cipher over a batch (or hand the
 * batch to another lcore later).
 */
struct rxd_sec_pkt {
	uint32_t cid; /* with the channel */
	uint32_t call_number, seq;
	uint16_t cksum;		     /* secure: out, the header checksum; verify: in, from the header */
	uint8_t *body;		     /* after the wire or jumbo header */
	uint32_t len;		     /* secure: in, security header + data, out, the wire length; verify: in */
	uint32_t cap;		     /* secure: bytes writable at body */
	uint32_t data_off, data_len; /* verify: out, where the user data is */
	int32_t abort;		     /* verify: out, the abort code of a rejected packet */
};

/*
 * A security class (rxnull built in; rxkad in <rxd/security.h>).  Every hook
 * runs on the owning shard.  Hooks not needed by a class may be NULL.  A
 * service conn of a class with issue_challenge starts unsecured: its DATA is
 * held until verify_response accepts the client's RESPONSE.
 */
struct rxd_security_class {
	uint8_t index;
	const char *name;
	/**
	 * Bytes of security header in front of the user data of every DATA packet.
	 * conn_sec is NULL for a client call still waiting for a conn: then level
	 * (the call's) decides; a service conn's state knows its negotiated level.
	 */
	uint32_t (*packet_overhead)(const void *conn_sec, uint8_t level);
	/** User data that fits a DATA body of body_cap bytes (header and padding off); NULL = body_cap - overhead. */
	uint32_t (*max_data)(const void *conn_sec, uint8_t level, uint32_t body_cap);
	/**
	 * Set up a conn's state.  Client: key and level are the call's; server:
	 * key is the service's security_conf and level its min_security_level.
	 * 0 or a negative errno.
	 */
	int (*init_conn)(void **conn_sec, const struct rxd_sec_conn_info *ci, const void *key, uint8_t level,
			 bool is_client);
	void (*free_conn)(void *conn_sec);
	/** Secure n packets of one conn in place.  0 or an abort code. */
	int32_t (*secure)(void *conn_sec, struct rxd_sec_pkt *p, unsigned n);
	/** Verify n packets of one conn in place; returns how many were rejected (each with p[i].abort set). */
	unsigned (*verify)(void *conn_sec, struct rxd_sec_pkt *p, unsigned n);
	/** Server: build the CHALLENGE body (a resend carries the same nonce).  Its length, 0 on error. */
	size_t (*issue_challenge)(void *conn_sec, const struct rxd_sec_conn_info *ci, uint8_t *body, size_t cap);
	/** Client: answer a CHALLENGE with a RESPONSE body; its length, or 0 with *abort set. */
	size_t (*respond)(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *challenge, size_t len,
			  uint8_t *body, size_t cap, int32_t *abort);
	/** Server: judge a RESPONSE.  0 (the conn is secured) or an abort code. */
	int32_t (*verify_response)(void *conn_sec, const struct rxd_sec_conn_info *ci, const uint8_t *response,
				   size_t len);
	/**
	 * secure and verify may run on any thread, several at once for one conn,
	 * once the conn is keyed (they then read conn state only, or update it
	 * atomically), so a crypto engine may take them off the shard.
	 */
	bool mt_safe;
};
/** Register a security class on a shard (index 0 is always rxnull). */
int rxd_local_add_security(struct rxd_local *l, const struct rxd_security_class *sc);

/* ------------------------------------------------------------------ crypto offload */

/*
 * A crypto engine runs the security class's secure and verify hooks for a
 * shard on other threads (doc/crypto-offload.md).  The shard hands it jobs
 * (a few DATA packets of one call each) and resumes them when they come back:
 * transmit packets leave in sequence order, received ones reach the
 * application in order, whatever order jobs finish in.  A job touches only
 * its packets' bytes and the conn's security state, which stays alive until
 * every job of the conn is back.
 */
struct rxd_crypto_job {
	void *engine; /* the engine's own use (e.g. the queue the job goes back on); the core never reads it */
};

struct rxd_crypto_ops {
	/**
	 * Take jobs for work off the shard's thread, in order; returns how many
	 * were taken.  The rest stay with the shard and are offered again when
	 * it next returns from an entry point (back-pressure, never loss).
	 */
	unsigned (*submit)(void *ctx, struct rxd_crypto_job *const *jobs, unsigned n);
};

/** Engine side, any thread: do n jobs (consecutive jobs of one conn share the class's multi-buffer passes). */
void rxd_crypto_run(struct rxd_crypto_job *const *jobs, unsigned n);
/** Shard's thread: jobs the engine ran, in any order; the calls resume (send, deliver, or abort). */
void rxd_local_crypto_done(struct rxd_local *l, struct rxd_crypto_job *const *jobs, unsigned n, uint64_t now);
/** Jobs the engine has taken and not given back; the shell waits for 0 before rxd_local_destroy(). */
uint32_t rxd_local_crypto_in_flight(const struct rxd_local *l);

#ifdef __cplusplus
}
#endif
#endif
