/* SPDX-License-Identifier: MIT */
/*
 * rxd DPDK shell: the poll-mode runtime around the sans-I/O core.
 *
 * One worker per EAL worker lcore.  Each worker owns one RX and one TX queue
 * on every port ("iface") and one struct rxd_local per iface (its shard).
 * The main lcore is the control thread: it creates the shell, starts the
 * workers, prints statistics and coordinates drain and stop.
 *
 * Two application faces:
 *  (a) run-to-completion: services registered with struct rxd_call_ops run on
 *      the lcore that owns the call; client calls are begun from an lcore
 *      (rxd_worker_local() inside a hook); received data is zero-copy
 *      (rxd_call_peek(): every struct rxd_buf * is a struct rte_mbuf *).
 *  (b) a message API for threads that are not lcores (they may block):
 *      AF_RXRPC-like messages tagged with a user call ID, carried over
 *      single-producer/single-consumer rte_rings between the thread and each
 *      worker (see rxd_msg_*).
 *
 * Every function returns 0 or a negative errno unless it says otherwise; on
 * failure the functions with an err buffer leave a one-line message in it.
 */
#ifndef RXD_DPDK_H
#define RXD_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <rxd/core.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;
struct rxd_shell;
struct rxd_worker;
struct rxd_msg_ep;

#define RXD_SHELL_MAX_IFACES 4u
#define RXD_SHELL_MAX_UDP_PORTS 4u /* UDP ports every iface listens on, one shard each per worker */
#define RXD_SHELL_MAX_WORKERS 64u
#define RXD_DEFAULT_UDP_PORT 7009u

/** A received buffer handed out by the core is an mbuf. */
static inline struct rte_mbuf *rxd_buf_mbuf(struct rxd_buf *b)
{
	return (struct rte_mbuf *)(void *)b;
}

/* ------------------------------------------------------------------ options */

/* Addresses of one iface (one ethdev port). */
struct rxd_iface_opts {
	bool has_ip4, has_gw4, has_ip6, has_gw6;
	uint8_t ip4[4], gw4[4];
	uint8_t ip6[16], gw6[16];
	uint8_t prefix4, prefix6;
	uint16_t udp_port; /* 0 = rxd_shell_opts.udp_ports[0]: replaces the first port on this iface */
};

struct rxd_shell_opts {
	struct rxd_config core; /* core parameters (rxd_config_set names) */
	unsigned n_ifaces;	/* 0 = one iface per probed port */
	struct rxd_iface_opts iface[RXD_SHELL_MAX_IFACES];
	/* local UDP ports (7009): every iface listens on each with a shard of its own per worker, as
	 * one AF_RXRPC socket per port (an AFS fileserver: 7000 for RXAFS, 7003 for its VL service) */
	uint16_t udp_ports[RXD_SHELL_MAX_UDP_PORTS];
	unsigned n_udp_ports;
	uint16_t mtu;		  /* 0 = the port's current MTU */
	uint32_t nb_mbufs;	  /* per NUMA socket, 0 = sized from queues and workers */
	uint16_t nb_rxd, nb_txd;  /* descriptors per queue (1024) */
	uint16_t burst;		  /* rx burst (32, <= 64) */
	uint32_t fwd_ring_size;	  /* per lcore pair (1024) */
	uint32_t neigh_size;	  /* ARP/ND entries per worker and iface (256) */
	uint32_t neigh_timeout_s; /* reachable -> stale (60) */
	uint32_t idle_sleep_us;	  /* sleep when a loop iteration found no work (0 = busy poll) */
	uint32_t drain_ms;	  /* bound on SIGTERM drain (2000) */
	bool rss;		  /* RSS on UDP when the port offers it (true) */
	bool flow;		  /* try rte_flow cid steering rules (false) */
	bool rx_sw_cksum;	  /* verify checksums in software when the port did not (true) */
	bool tx_offload;	  /* use TX checksum offload when offered (true) */
	bool promisc;		  /* promiscuous mode (false) */
	bool ring_pair;		  /* create two cross-connected net_ring ports in-process */
	uint64_t seed;		  /* 0 = random */
	uint16_t crypto_lcores;	  /* the last N worker lcores secure and verify DATA (0 = inline on the workers) */
};

/** Fill o with defaults (and rxd_config_default for o->core). */
void rxd_shell_opts_default(struct rxd_shell_opts *o);
/**
 * Set one shell option or core parameter by name (the long option name
 * without "--", e.g. "ip", "gw6", "burst", "rx_window_size").
 * Returns 0, -ENOENT for an unknown name, -EINVAL/-ERANGE for a bad value.
 */
int rxd_shell_opts_set(struct rxd_shell_opts *o, const char *name, const char *value, char *err, size_t errlen);
/** True if name is a shell option that takes no value (e.g. "promisc"). */
bool rxd_shell_opts_is_flag(const char *name);
/** Print the shell options with their defaults, one per line. */
void rxd_shell_opts_usage(FILE *f);
/**
 * Read a config file of "name=value" lines ('#' comments, blank lines
 * ignored) and call fn for each; stops at the first error (message names
 * file:line).
 */
int rxd_conf_file_foreach(const char *path,
			  int (*fn)(void *arg, const char *name, const char *value, char *err, size_t errlen),
			  void *arg, char *err, size_t errlen);

/* ------------------------------------------------------------------ lifecycle (main lcore) */

/**
 * Check the EAL arguments before rte_eal_init: returns -ENOMEM with a hint
 * ("no free hugepages: run drivers-config/hugepages.sh or pass --no-huge")
 * when hugepages are needed and none are free.
 */
int rxd_shell_precheck(int argc, char **argv, char *err, size_t errlen);

/**
 * Create the shell after rte_eal_init(): ports, queues, mempools, rings, and
 * one rxd_local per (worker, iface).  Errors: -ENODEV no usable port,
 * -E2BIG too few lcores or too few queues, -ENOMEM.
 */
int rxd_shell_create(const struct rxd_shell_opts *o, struct rxd_shell **out, char *err, size_t errlen);
unsigned rxd_shell_nb_workers(const struct rxd_shell *s);
unsigned rxd_shell_nb_ifaces(const struct rxd_shell *s);
/** The iface's address (family 4 if it has IPv4, else 6) and first UDP port. */
void rxd_shell_iface_addr(const struct rxd_shell *s, unsigned iface, struct rxd_addr *out);
/** The iface's UDP ports (n of them, the first being rxd_shell_iface_addr's). */
unsigned rxd_shell_iface_ports(const struct rxd_shell *s, unsigned iface, uint16_t ports[RXD_SHELL_MAX_UDP_PORTS]);
/** The shell's monotonic clock in ns (TSC based, same on every lcore). */
uint64_t rxd_shell_now(const struct rxd_shell *s);

/**
 * Offer a service on iface's UDP port udp_port (0 = its first) on every
 * worker (before rxd_shell_start).  per_worker_app(arg, worker_index) returns
 * the d->app pointer for that worker's shard (NULL function: d->app
 * everywhere).  -EINVAL (with err) for an iface or port not configured.
 */
int rxd_shell_register_service(struct rxd_shell *s, unsigned iface, uint16_t udp_port, const struct rxd_service_desc *d,
			       void *(*per_worker_app)(void *arg, unsigned worker), void *arg, char *err,
			       size_t errlen);

/* Application hooks, run on every worker lcore (any may be NULL). */
struct rxd_lcore_hooks {
	/** Once, on the lcore, before the loop. */
	void (*start)(void *arg, struct rxd_worker *w);
	/** Every loop iteration, after input and before timers/flush. */
	void (*poll)(void *arg, struct rxd_worker *w, uint64_t now);
	/** Drain began: stop beginning calls. */
	void (*drain)(void *arg, struct rxd_worker *w, uint64_t now);
	/** Drain deadline passed: abort every call the application still holds. */
	void (*abort_all)(void *arg, struct rxd_worker *w, uint64_t now);
	/** Once, on the lcore, after the loop and before the shards are destroyed. */
	void (*stop)(void *arg, struct rxd_worker *w);
	void *arg;
};
int rxd_shell_set_hooks(struct rxd_shell *s, const struct rxd_lcore_hooks *h);

/** Launch the workers on their lcores. */
int rxd_shell_start(struct rxd_shell *s);
/** Enter the drain phase: shards refuse new calls, hooks->drain runs. */
void rxd_shell_drain(struct rxd_shell *s);
/** True when every shard has no live calls. */
bool rxd_shell_idle(const struct rxd_shell *s);
/** Abort what remains (hooks->abort_all + message API calls), flush, then stop. */
void rxd_shell_stop(struct rxd_shell *s);
/**
 * Drain, wait up to drain_ms for the calls to finish, abort the rest and
 * stop; the usual SIGINT/SIGTERM path.  Returns the calls left at the deadline.
 */
unsigned rxd_shell_shutdown(struct rxd_shell *s);
/** True while at least one iface's link is up (e.g. a memif peer is still connected). */
bool rxd_shell_links_up(const struct rxd_shell *s);
/** Join the workers (after stop). */
int rxd_shell_wait(struct rxd_shell *s);
/** Stop and close ports, free everything (after wait). */
void rxd_shell_destroy(struct rxd_shell *s);

/* ------------------------------------------------------------------ on a worker lcore */

/** This lcore's worker, or NULL on a non-worker thread. */
struct rxd_worker *rxd_shell_worker(struct rxd_shell *s);
/** The worker's shard on iface's UDP port udp_port (0 = its first): the struct rxd_local to begin client calls
 * on, whose calls leave from that port.  NULL if there is no such iface or port. */
struct rxd_local *rxd_worker_local(struct rxd_worker *w, unsigned iface, uint16_t udp_port);
/** Shorthand: this lcore's shard on iface 0's first port, or NULL off-lcore. */
struct rxd_local *rxd_dpdk_local(struct rxd_shell *s);
unsigned rxd_worker_index(const struct rxd_worker *w);
unsigned rxd_worker_lcore(const struct rxd_worker *w);
struct rxd_shell *rxd_worker_shell(const struct rxd_worker *w);
/** Time of the current loop iteration (ns). */
uint64_t rxd_worker_now(const struct rxd_worker *w);
bool rxd_worker_draining(const struct rxd_worker *w);
/** Per-worker application pointer (set in hooks->start; free for the app to use). */
void rxd_worker_set_app(struct rxd_worker *w, void *app);
void *rxd_worker_app(const struct rxd_worker *w);
/** The application pointer of any worker (for the control thread after rxd_shell_wait). */
void *rxd_shell_worker_app(const struct rxd_shell *s, unsigned worker);

/* ------------------------------------------------------------------ statistics */

/* Shell counters of one worker (the core keeps its own: rxd_local_stats_add). */
struct rxd_worker_stats {
	uint64_t loops, busy_loops;
	uint64_t rx_pkts, rx_bytes, tx_pkts, tx_bytes;
	uint64_t rx_udp, rx_arp, rx_nd, rx_icmp_echo, rx_icmp_err;
	uint64_t fwd_out, fwd_in; /* packets forwarded to / from other lcores */
	uint64_t arp_tx, nd_tx, echo_tx;
	uint64_t neigh_pending_drop; /* frames dropped while resolving (queue full / failed) */
	uint64_t neigh_fail;	     /* resolutions that timed out */
	/* drops (all should be 0 in a healthy run) */
	uint64_t drop_parse, drop_cksum, drop_frag, drop_not_ours, drop_multiseg, drop_port;
	uint64_t drop_fwd_full, drop_tx_full, drop_nombuf, drop_msg;
	uint64_t send_errors, send_emsgsize;
	uint64_t tx_deferred; /* frames the PMD refused at first and that went out later from the backlog */
	uint64_t msg_in, msg_out;
	uint64_t expire_runs;
};
int rxd_shell_worker_stats(const struct rxd_shell *s, unsigned worker, struct rxd_worker_stats *out);
/** Sum of every worker's drop counters (the health number the tests check). */
uint64_t rxd_worker_stats_drops(const struct rxd_worker_stats *st);
/** Sum of the core counters of every shard (safe after rxd_shell_wait; racy but harmless while running). */
void rxd_shell_core_stats(const struct rxd_shell *s, struct rxd_stats *out);
/** Print one line per iface: port, MAC, addresses, MTU, queues, offloads, RSS, flow rules. */
void rxd_shell_describe(const struct rxd_shell *s, FILE *f);
/** Print one line per port and per worker with rates since the previous call. */
void rxd_shell_print_stats(struct rxd_shell *s, FILE *f);
/** Print the totals as one JSON object (no newline). */
void rxd_shell_print_stats_json(struct rxd_shell *s, FILE *f);

/* ------------------------------------------------------------------ message API (off-lcore threads) */

/*
 * An endpoint is the analogue of an AF_RXRPC socket: one iface, optionally
 * one service, a channel (a pair of SP/SC rings) to every worker.  Its
 * thread side must be used by one thread at a time.
 */
enum rxd_msg_type {
	RXD_MSG_DATA = 1,    /* s r  data, with RXD_MSG_F_MORE / RXD_MSG_F_EOR */
	RXD_MSG_ABORT,	     /* s r  abort code to issue / received (terminal) */
	RXD_MSG_ACK,	     /*   r  final ACK received by the server (terminal) */
	RXD_MSG_NET_ERROR,   /*   r  network error, error = -errno (terminal) */
	RXD_MSG_BUSY,	     /*   r  call rejected, server busy (terminal) */
	RXD_MSG_LOCAL_ERROR, /*   r  local error, error = -errno (terminal) */
	RXD_MSG_NEW_CALL,    /*   r  incoming call: token (accept) or user_call_id (charged) */
	RXD_MSG_ACCEPT,	     /* s    accept a NEW_CALL token with a user call ID */
	/* rxd additions (kernel-interface operations without a cmsg) */
	RXD_MSG_REJECT,	   /* s    reject a NEW_CALL token with BUSY */
	RXD_MSG_CHARGE,	   /* s    pre-charge an incoming call slot with a user call ID */
	RXD_MSG_BEGIN,	   /* s    begin a client call */
	RXD_MSG_END,	   /* s    end a call (abort RX_USER_ABORT if live) */
	RXD_MSG_TIMEOUTS,  /* s    set a call's timeouts */
	RXD_MSG_TX_LENGTH, /* s    announce a call's transmit length (RXRPC_TX_LENGTH) */
};
const char *rxd_msg_type_name(enum rxd_msg_type t);

#define RXD_MSG_F_MORE 0x1u /* more data follows in this phase (MSG_MORE) */
#define RXD_MSG_F_EOR 0x2u  /* terminal message of the call (MSG_EOR) */

struct rxd_msg_ep_params {
	unsigned iface;
	uint16_t udp_port;	    /* iface's UDP port its calls use (0 = its first) */
	uint16_t service_id;	    /* 0 = client only */
	uint16_t upgrade_from;	    /* RXRPC_UPGRADEABLE_SERVICE */
	uint8_t min_security_level; /* RXRPC_MIN_SECURITY_LEVEL */
	const void *security_conf;  /* rxd_service_desc.security_conf (rxkad: struct rxd_rxkad_server) */
	bool needs_charge;	    /* true: charge slots (NEW_CALL carries the charged ID); false: NEW_CALL + ACCEPT */
	uint32_t backlog;	    /* 0 = config */
	uint32_t ring_size;	    /* messages per direction per worker (1024) */
	uint32_t tx_inflight_max;   /* bytes queued to a worker before rxd_msg_send blocks (4 MiB) */
};

/** Create an endpoint (before rxd_shell_start). */
int rxd_msg_ep_create(struct rxd_shell *s, const struct rxd_msg_ep_params *p, struct rxd_msg_ep **out, char *err,
		      size_t errlen);

/* Parameters of a client call begun through the message API. */
struct rxd_msg_call {
	struct rxd_addr peer;
	uint16_t service_id;
	uint8_t security_index, security_level;
	const void *key; /* must stay valid for the call's life */
	bool exclusive, upgrade;
	struct rxd_call_timeouts timeouts; /* 0 fields = config values */
	int64_t tx_total_len;		   /* -1 unknown, else the request's length (0 = an empty request) */
	int worker;			   /* -1 = round robin */
};

/* What rxd_msg_recv returns besides the data. */
struct rxd_msg_info {
	enum rxd_msg_type type;
	unsigned flags; /* RXD_MSG_F_* */
	uint64_t user_call_id;
	uint64_t token; /* NEW_CALL: pass to rxd_msg_accept / rxd_msg_reject */
	int32_t abort_code;
	int error;	      /* -errno for NET_ERROR / LOCAL_ERROR */
	struct rxd_addr peer; /* NEW_CALL and DATA */
	uint16_t service_id;
	unsigned worker;
};

/** Begin a client call tagged user_call_id (the first sendmsg of a call). */
int rxd_msg_begin(struct rxd_msg_ep *ep, uint64_t user_call_id, const struct rxd_msg_call *c, int timeout_ms);
/**
 * Send data on a call (sendmsg): flags RXD_MSG_F_MORE if more follows.
 * Copies the data; blocks while the worker holds more than tx_inflight_max
 * unsent bytes of this endpoint (up to timeout_ms, -1 = forever).
 * Returns len, -ETIMEDOUT, -EBADSLT (unknown user ID), -ESHUTDOWN.
 */
ssize_t rxd_msg_send(struct rxd_msg_ep *ep, uint64_t user_call_id, const void *data, size_t len, unsigned flags,
		     int timeout_ms);
/** Abort a call (RXRPC_ABORT on sendmsg). */
int rxd_msg_abort(struct rxd_msg_ep *ep, uint64_t user_call_id, int32_t code);
/** End a call: the user ID is forgotten (aborts RX_USER_ABORT if still live). */
int rxd_msg_end(struct rxd_msg_ep *ep, uint64_t user_call_id);
/** Accept the NEW_CALL token with user_call_id (RXRPC_ACCEPT). */
int rxd_msg_accept(struct rxd_msg_ep *ep, uint64_t token, uint64_t user_call_id);
/** Reject the NEW_CALL token with BUSY (rxrpc_kernel_reject_call). */
int rxd_msg_reject(struct rxd_msg_ep *ep, uint64_t token);
/**
 * Charge one incoming call slot with user_call_id (RXRPC_CHARGE_ACCEPT).
 * Slots are per worker (a call uses a slot of the worker owning its
 * connection): each charge goes to the worker with the fewest outstanding
 * slots, so recharging once per NEW_CALL keeps every worker supplied.
 * Charge at least a few slots per worker before clients arrive.
 */
int rxd_msg_charge(struct rxd_msg_ep *ep, uint64_t user_call_id);
/** Change a call's timeouts (RXRPC_SET_CALL_TIMEOUT); zero fields stay unchanged. */
int rxd_msg_set_timeouts(struct rxd_msg_ep *ep, uint64_t user_call_id, const struct rxd_call_timeouts *t);
/**
 * Announce the length of a call's transmit phase (RXRPC_TX_LENGTH on sendmsg,
 * rxrpc_kernel_set_tx_length): a service call's reply, or a request not
 * announced at rxd_msg_begin; 0 is a real length.  Send before the phase's
 * data.  -EINVAL for a negative length, -EBADSLT for an unknown ID.  A length
 * the worker refuses (announced twice or after data) or the data breaks
 * (passing it, or ending the phase short) ends the call with an ABORT of
 * RX_USER_ABORT: the message API has no synchronous result.
 */
int rxd_msg_set_tx_length(struct rxd_msg_ep *ep, uint64_t user_call_id, int64_t len);
/**
 * Receive the next message (recvmsg): copies up to cap bytes of DATA into
 * buf; the rest of a partly read DATA message stays at the head for the next
 * call (RXD_MSG_F_MORE is then set).  Returns the bytes copied (0 for
 * control messages), -ETIMEDOUT (timeout_ms, -1 = forever, 0 = poll) or
 * -ESHUTDOWN once the shell stopped.
 */
ssize_t rxd_msg_recv(struct rxd_msg_ep *ep, void *buf, size_t cap, struct rxd_msg_info *info, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
