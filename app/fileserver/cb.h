/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's callbacks: promises given to clients ("hosts") in RXAFS
 * replies and broken over the client's callback service (RXAFSCB, rx service
 * 1 at the address and port the client's calls come from: kafs's 7001,
 * afsio's own port) when a file changes.  Rules as OpenAFS's fileserver
 * (src/viced/callback.c, host.c); doc/fileserver.md "Callbacks".
 *
 * One struct rxd_fs_cb per shard (per lcore and UDP port, beside the
 * struct rxd_local serving RXAFS): it is driven by that shard's thread only,
 * takes no lock, allocates nothing after create, and sends its RXAFSCB calls
 * as client calls on the shard's engine, so the client sees them come from
 * the fileserver's own address.  Shards of one fileserver form a group:
 * rxd_fs_cb_changed() breaks the fid's promises on this shard and posts the
 * change to every other shard over single-producer/single-consumer rings that
 * each shard drains in rxd_fs_cb_poll().
 */
#ifndef RXD_FS_CB_H
#define RXD_FS_CB_H

#include <stdbool.h>
#include <stdint.h>

#include <rxd/core.h>

#include "afs_rpc.h"

/* Defaults of struct rxd_fs_cb_params. */
#define RXD_FS_CB_MAX_HOSTS 4096u
#define RXD_FS_CB_MAX_PROMISES 65536u
#define RXD_FS_CB_MAX_BREAKS 16384u
#define RXD_FS_CB_CALL_TIMEOUT_MS 4000u /* OpenAFS: callback connections' dead time, 4 s */
#define RXD_FS_CB_ATTEMPTS 3u		/* failed calls in a row before a host is down */
#define RXD_FS_CB_BACKOFF_MS 1000u	/* first retry; doubles per failure */
#define RXD_FS_CB_RING_SIZE 1024u	/* notices per shard pair (power of two) */

/* ------------------------------------------------------------------ cross-shard notices */

enum rxd_fs_cb_notice_kind {
	RXD_FS_CB_N_CHANGED = 1, /* fid changed: break its promises except host's (if has_host) */
	RXD_FS_CB_N_EPOCH = 2,	 /* host calls with connection epoch `epoch`: a known host with another restarted */
	RXD_FS_CB_N_DELETED = 3, /* fid is gone: drop its promises without a break */
};

/* One message between shards (fixed size, multiple of 4 bytes: fits an rte_ring elem). */
struct rxd_fs_cb_notice {
	uint32_t kind;
	uint32_t has_host;
	uint32_t epoch;
	struct rxd_AFSFid fid;
	struct rxd_addr host;
};

/*
 * The rings between shards: one SP/SC ring per ordered pair.  NULL ops in
 * struct rxd_fs_cb_group_params = the module's own lockless ring (C11
 * acquire/release, no allocation after create); a shell may pass rte_ring
 * based ops instead.
 */
struct rxd_fs_cb_ring_ops {
	/** Create a ring of `count` notices (a power of two) from shard `from` to shard `to`; NULL on failure. */
	void *(*create)(void *user, unsigned from, unsigned to, unsigned count);
	void (*destroy)(void *user, void *ring);
	/** Producer side: 0, or -ENOBUFS when the ring is full. */
	int (*enqueue)(void *ring, const struct rxd_fs_cb_notice *n);
	/** Consumer side: up to max notices; returns how many. */
	unsigned (*dequeue)(void *ring, struct rxd_fs_cb_notice *out, unsigned max);
	void *user;
};

struct rxd_fs_cb_group;

struct rxd_fs_cb_group_params {
	unsigned shards;		      /* 1 .. 64 */
	unsigned ring_size;		      /* 0 = RXD_FS_CB_RING_SIZE; rounded up to a power of two */
	const struct rxd_fs_cb_ring_ops *ops; /* NULL = built-in rings */
};

/** Create the rings of `shards` shards (main thread, before the shards start).  0, -EINVAL or -ENOMEM. */
int rxd_fs_cb_group_create(const struct rxd_fs_cb_group_params *p, struct rxd_fs_cb_group **out);
/** Free the rings (after every shard's rxd_fs_cb_destroy). */
void rxd_fs_cb_group_destroy(struct rxd_fs_cb_group *g);

/* ------------------------------------------------------------------ one shard */

struct rxd_fs_cb;

struct rxd_fs_cb_params {
	struct rxd_local *local;	/* the shard's engine (the one serving RXAFS): RXAFSCB calls begin here */
	struct rxd_fs_cb_group *group;	/* NULL: a lone shard */
	unsigned shard;			/* this shard's index in the group */
	struct rxd_afsUUID server_uuid; /* the fileserver's UUID (InitCallBackState3; VL GetAddrsU says the same) */
	uint32_t max_hosts;		/* 0 = RXD_FS_CB_MAX_HOSTS */
	uint32_t max_promises;		/* 0 = RXD_FS_CB_MAX_PROMISES */
	uint32_t max_breaks;		/* queued fids, all hosts (0 = RXD_FS_CB_MAX_BREAKS) */
	uint32_t call_timeout_ms;	/* RXAFSCB calls: silence before failing (0 = RXD_FS_CB_CALL_TIMEOUT_MS) */
	uint32_t attempts;		/* 0 = RXD_FS_CB_ATTEMPTS */
	uint32_t backoff_ms;		/* 0 = RXD_FS_CB_BACKOFF_MS */
	bool no_identify;		/* skip TellMeAboutYourself for new hosts (UUID stays unknown) */
};

/** Create a shard's callback state (on its thread).  0, -EINVAL or -ENOMEM. */
int rxd_fs_cb_create(const struct rxd_fs_cb_params *p, uint64_t now, struct rxd_fs_cb **out);
/** Abort the shard's RXAFSCB calls and free everything (on its thread, before rxd_local_destroy). */
void rxd_fs_cb_destroy(struct rxd_fs_cb *cb, uint64_t now);

/**
 * Every RXAFS call, before anything else: host = rxd_call_peer(), epoch =
 * rxd_call_epoch().  Adds an unknown host (it will get TellMeAboutYourself
 * and InitCallBackState3 before any break, as OpenAFS's h_GetHost_r); a host
 * marked down is up again and gets InitCallBackState3 first; a known host
 * with a new epoch restarted: its promises and queued breaks are dropped on
 * every shard.  Nothing for the handler to do.
 */
void rxd_fs_cb_contact(struct rxd_fs_cb *cb, const struct rxd_addr *host, uint32_t epoch, uint64_t now);

/**
 * Record that host may cache fid and fill the AFSCallBack for the reply:
 * version CALLBACK_VERSION, CB_SHARED, ExpirationTime in seconds from now
 * (4 h for a fid with fewer than 8 holders, down to 7 min past 63, as
 * OpenAFS's TimeOuts table).  Returns 0, or -ENOSPC when no host slot could
 * be had: *out then promises nothing (ExpirationTime 0, CB_DROPPED) and the
 * client revalidates on every use.
 */
int rxd_fs_cb_promise(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fid, uint64_t now,
		      struct rxd_AFSCallBack *out);

/**
 * The same for each fid of a BulkStatus / InlineBulkStatus reply: bulk
 * promises are short (OpenAFS CB_BULK: 30 min for fewer than 2 holders, as
 * if 22 more held it), since most of them are never used.
 */
int rxd_fs_cb_promise_bulk(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fid,
			   uint64_t now, struct rxd_AFSCallBack *out);

/**
 * fid changed: break every promise on it (except host `except`'s, when not
 * NULL: the caller that changed it gets a fresh promise in its reply) on this
 * shard, and post the change to every other shard.
 */
void rxd_fs_cb_changed(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, const struct rxd_addr *except, uint64_t now);
/**
 * The shard's break sequence so far, for rxd_fs_cb_broken_since(): the
 * worker takes it when it hands a job that will read a status to an I/O
 * thread.
 */
uint64_t rxd_fs_cb_mark(const struct rxd_fs_cb *cb);
/**
 * Whether fid may have been broken on this shard (a change here, a change
 * notice from another shard, or a lost notice) since mark.  A status read
 * after mark may then predate the change whose break already went, and must
 * not be promised: the promise would outlive the change unbroken.  A break
 * before mark came after its change committed, which a read after mark
 * sees.  Conservative: fids share the slots of a small table, so another
 * fid's break may say true (a promise of nothing, never a stale one).
 */
bool rxd_fs_cb_broken_since(const struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t mark);

/**
 * fid is gone (its last link was removed): drop every promise on it, sending
 * no break, on this shard and on every other, as OpenAFS's
 * DeleteFileCallBacks: the clients learn it from the directory's break (and
 * VNOVNODE), and the one that removed it from its reply.  Like a break, it
 * counts for rxd_fs_cb_broken_since.
 */
void rxd_fs_cb_deleted(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t now);

/** Break fid's promises on this shard only (rxd_fs_cb_changed is what handlers call). */
void rxd_fs_cb_break(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, const struct rxd_addr *except, uint64_t now);
/** Drop fid's promises on this shard only, without a break (rxd_fs_cb_deleted is what handlers call). */
void rxd_fs_cb_drop(struct rxd_fs_cb *cb, const struct rxd_AFSFid *fid, uint64_t now);

/** RXAFS GiveUpCallBacks: host drops its promises on these fids (no break is sent). */
void rxd_fs_cb_give_up(struct rxd_fs_cb *cb, const struct rxd_addr *host, const struct rxd_AFSFid *fids, unsigned n);
/** RXAFS GiveUpAllCallBacks: host drops all its promises on this shard. */
void rxd_fs_cb_give_up_all(struct rxd_fs_cb *cb, const struct rxd_addr *host);

/**
 * From the shard's poll hook, every loop: take the other shards' notices,
 * expire old promises (a bounded slice per call), start the next RXAFSCB
 * call of each host with work (one at a time per host; CallBack carries up
 * to AFSCBMAX fids) and retry failed ones with backoff.  A host whose calls
 * fail `attempts` times in a row is down: its promises and breaks are
 * dropped and it gets InitCallBackState3 when it calls again.
 */
void rxd_fs_cb_poll(struct rxd_fs_cb *cb, uint64_t now);

/**
 * The shell is draining (its drain hook): abort the outstanding RXAFSCB
 * calls and begin no more, so the shard can go idle.  Promises and breaks
 * stay until destroy: a restarted fileserver resets every client at its
 * first call anyway.
 */
void rxd_fs_cb_drain(struct rxd_fs_cb *cb, uint64_t now);

/** Probe host (RXAFSCB Probe) now, ahead of its queued work; -ENOENT for an unknown host. */
int rxd_fs_cb_probe(struct rxd_fs_cb *cb, const struct rxd_addr *host, uint64_t now);

enum rxd_fs_cb_host_state {
	RXD_FS_CB_HOST_UNKNOWN = 0, /* not in the table */
	RXD_FS_CB_HOST_NEW,	    /* not yet identified / reset */
	RXD_FS_CB_HOST_UP,
	RXD_FS_CB_HOST_DOWN,
};

/* What the shard knows of one host (tests, rxdebug-like dumps). */
struct rxd_fs_cb_host_info {
	enum rxd_fs_cb_host_state state;
	uint32_t epoch;
	bool has_uuid;
	struct rxd_afsUUID uuid;
	uint32_t promises;
	uint32_t breaks;  /* queued fids */
	bool reset_due;	  /* InitCallBackState3 owed */
	bool call_active; /* an RXAFSCB call is outstanding */
};
/** What the shard knows of host (state UNKNOWN if nothing). */
struct rxd_fs_cb_host_info rxd_fs_cb_host_info(const struct rxd_fs_cb *cb, const struct rxd_addr *host);

struct rxd_fs_cb_stats {
	uint64_t hosts, promises, breaks_queued; /* live */
	uint64_t promised, renewed, broken, deleted, expired, given_up, evicted_promises, evicted_hosts;
	uint64_t calls_callback, calls_icbs3, calls_icbs, calls_tmay, calls_probe;
	uint64_t fids_sent, call_failures, hosts_down, restarts, resets;
	uint64_t notices_in, notices_out, notices_lost, lost_resets, no_space;
};
void rxd_fs_cb_stats(const struct rxd_fs_cb *cb, struct rxd_fs_cb_stats *out);

#endif
