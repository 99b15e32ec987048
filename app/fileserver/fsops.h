/* SPDX-License-Identifier: MIT */
/*
 * The RXAFS operations over the volume store, with OpenAFS's semantics
 * (src/viced/afsfileprocs.c): the caller's id and CPS (users.h, or the
 * ptserver through prclient.h), access checks against the directories' ACLs
 * (acl.h; anonymous callers further capped by the --anonymous policy),
 * StoreACL/FetchACL, AFSFetchStatus/AFSCallBack/AFSVolSync filling, the
 * lock table of SetLock/ExtendLock/ReleaseLock, and the first and last steps
 * of the streamed FetchData/StoreData.  Everything here may block on the
 * disk: it runs on the file-I/O threads (iopool.h), except
 * rxd_fs_op_run_lcore, which answers the operations that touch no store
 * (GetTime, GetCapabilities, the callback give-ups, unknown opcodes), and
 * rxd_fs_op_try_lcore, which answers the status reads where that needs no
 * waiting.
 */
#ifndef RXD_FS_OPS_H
#define RXD_FS_OPS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "afs_rpc.h"
#include "prclient.h"
#include "store.h"
#include "users.h"

/* --anonymous: what a caller without a token (rxnull) may do. */
enum rxd_fs_anon {
	RXD_FS_ANON_NONE,  /* nothing: every operation on the store is EACCES */
	RXD_FS_ANON_READ,  /* "rl": lookups, status, reads */
	RXD_FS_ANON_WRITE, /* "rlidwk": everything but administer */
};

/** The ACL rights the policy grants system:anyuser. */
uint32_t rxd_fs_anon_rights(enum rxd_fs_anon a);

/* SetLock/ExtendLock/ReleaseLock's table (locks are advisory and in memory, as OpenAFS keeps them in the vnode). */
struct rxd_fs_lock {
	struct rxd_fs_fid fid;
	int32_t count; /* > 0 readers, -1 a writer (OpenAFS's lockCount) */
	uint64_t expires;
};

/* What the lcore saw of the caller (fscall.c): an rxkad conn's verified ticket, or nothing. */
struct rxd_fs_ident {
	bool authenticated;
	char name[64];
	char instance[64];
	char cell[64]; /* the ticket's realm */
};

/* The caller as the operations judge it: its AFS id and CPS (OpenAFS struct client ViceId, CPS). */
struct rxd_fs_caller {
	int32_t id;	    /* RXD_FS_ANON_USER_ID for an anonymous or unknown caller */
	bool authenticated; /* a known user: the --anonymous policy does not cap its rights */
	uint32_t ncps;
	int32_t cps[RXD_FS_CPS_MAX];
};

/* What every operation shares. */
struct rxd_fs_srv {
	struct rxd_fs_store *st;
	uint32_t anon_rights;		  /* rxd_fs_anon_rights(policy): caps what unauthenticated callers get */
	const struct rxd_fs_users *users; /* --users: names and ids (NULL: the system groups only) */
	struct rxd_fs_pr *pr;		  /* --ptserver: asked instead of users when set */
	const char *local_realm;	  /* tickets of this realm name users without "@realm" (NULL: none) */
	uint32_t cb_seconds;		  /* callback promise lifetime */
	pthread_mutex_t lock_mu;
	struct rxd_fs_lock *locks;
	uint32_t n_locks, cap_locks;
};

int rxd_fs_srv_init(struct rxd_fs_srv *s, struct rxd_fs_store *st, enum rxd_fs_anon anon);
void rxd_fs_srv_fini(struct rxd_fs_srv *s);

enum rxd_fs_stream {
	RXD_FS_STREAM_NONE,
	RXD_FS_STREAM_FETCH, /* rd open: send len bytes from pos, then tail */
	RXD_FS_STREAM_STORE, /* wr open: write len bytes, then rxd_fs_op_store_end */
	RXD_FS_STREAM_WAIT,  /* the file's stream lock is taken (RXD_FS_WAIT): run the op again later */
};

/*
 * What an operation asks of the callback module (cb.h), which lives on the
 * lcore: the I/O thread records it in the op, the lcore applies it when the
 * job comes back, before the reply goes out (fscall.c).
 */
#define RXD_FS_OP_MAX_CHANGED 4u /* Rename: both directories, the moved directory, the replaced target */

struct rxd_fs_op_changed {
	struct rxd_AFSFid fid;
	bool named; /* the caller named it (it keeps its promise), else everyone's promise breaks */
	bool gone;  /* the vnode is gone (its last link removed): promises are dropped without a break */
};

enum rxd_fs_give_up { RXD_FS_GIVE_UP_NONE, RXD_FS_GIVE_UP_FIDS, RXD_FS_GIVE_UP_ALL };

/* One request, as an I/O thread runs it: the caller fills srv and xg (request, reply room, arena). */
struct rxd_fs_op {
	struct rxd_fs_srv *srv;
	struct rxd_xg_call xg;
	struct rxd_fs_ident ident; /* the lcore fills it before the first run */
	/* set by the split procedures */
	enum rxd_fs_stream stream;
	bool wide; /* FetchData64/StoreData64: 8-byte length word */
	uint64_t pos, len;
	struct rxd_fs_fid fid; /* the stream's file */
	struct rxd_fs_rd *rd;
	struct rxd_fs_wr *wr;
	bool nonblock;	  /* rxd_fs_op_try_lcore: the handler must not wait on a lock or the disk */
	bool would_block; /* ... and would have: the op goes to an I/O thread */
	/* from here on not cleared per call (rxd_fs_op_init): buffers written before they are read, the
	 * caller every run resolves and the callback fields every run resets; a new field that must start
	 * clean goes above */
	uint8_t tail[RXD_RXAFS_FetchData64_OUT_MAX]; /* FetchData's OUT args, sent after the bytes */
	size_t tail_len;
	struct rxd_fs_caller caller; /* resolved from ident by every rxd_fs_op_run (and rxd_fs_op_try_lcore) */
	/* BulkStatus/InlineBulkStatus reply arrays (dispatch encodes them after the handler returned) */
	struct rxd_AFSFetchStatus bulk_st[RXD_AFSCBMAX];
	struct rxd_AFSCallBack bulk_cb[RXD_AFSCBMAX];
	char acl[RXD_AFSOPAQUEMAX];
	uint32_t caps[1];
	/* callbacks (reset by every run): fids whose AFSCallBack the lcore decides, in reply order; a bulk
	 * reply's failed fid has promise_ok 0 and keeps its zeroed AFSCallBack */
	uint32_t n_promise;
	bool promise_bulk;
	struct rxd_AFSFid promise[RXD_AFSCBMAX];
	uint8_t promise_ok[RXD_AFSCBMAX];
	uint32_t n_changed; /* fids a committed change touched: their promises break (or drop, when gone) */
	struct rxd_fs_op_changed changed[RXD_FS_OP_MAX_CHANGED];
	enum rxd_fs_give_up give_up; /* GiveUpCallBacks (give_up_fids) / GiveUpAllCallBacks */
	const struct rxd_AFSCBFids *give_up_fids;
};

/** Resolve ident into the caller's id and CPS from the ptserver or the user table (an I/O thread's job: it may block).
 */
void rxd_fs_caller_resolve(const struct rxd_fs_srv *s, const struct rxd_fs_ident *ident, struct rxd_fs_caller *out);

/**
 * Ready op for a new call (srv, xg's buffers): clears what must start clean
 * without touching the tens of KiB of reply buffers (each call pays for it).
 */
void rxd_fs_op_init(struct rxd_fs_op *op, struct rxd_fs_srv *srv, const struct rxd_xg_call *xg);
/** True for the opcodes rxd_fs_op_run must answer (they touch the store). */
bool rxd_fs_op_on_io_thread(uint32_t opcode);
/** Dispatch op->xg with the store handlers: 0 (reply in xg, or a stream opened) or an abort code. */
int32_t rxd_fs_op_run(struct rxd_fs_op *op);
/**
 * On the lcore, before posting op to an I/O thread: answer it here if that
 * needs no waiting (FetchStatus, BulkStatus and InlineBulkStatus, from the
 * store's in-memory vnode table when no change holds its lock, for a caller
 * whose CPS needs no ptserver).  True with *rc as rxd_fs_op_run's when
 * answered; false when op must go to an I/O thread (op is then untouched
 * but for what rxd_fs_op_run resets).
 */
bool rxd_fs_op_try_lcore(struct rxd_fs_op *op, int32_t *rc);
/** Dispatch op->xg with the lcore handlers (no store): 0 or an abort code (RXGEN_OPCODE for the rest). */
int32_t rxd_fs_op_run_lcore(struct rxd_fs_op *op);
/** Next bytes of a FetchData stream, within [pos, pos + len), into the iovecs in order. */
int rxd_fs_op_fetch_read(struct rxd_fs_op *op, uint64_t off, const struct iovec *iov, unsigned cnt);
/** Close a FetchData stream. */
void rxd_fs_op_fetch_end(struct rxd_fs_op *op);
/**
 * Overwrite the i-th AFSCallBack of the encoded reply (op->n_promise of them:
 * FetchData's tail, or op->xg.reply after dispatch) with cb: the lcore's
 * promise.  Every reply carrying callbacks ends with them (one, or the bulk
 * CBArray's items) followed by one AFSVolSync, so their place is fixed from
 * the end.  0, or -EINVAL if i is out of range.
 */
int rxd_fs_op_set_callback(struct rxd_fs_op *op, uint32_t i, const struct rxd_AFSCallBack *cb);
/** Finish a StoreData stream: err 0 encodes the reply into op->xg.reply; returns 0 or the abort code. */
int32_t rxd_fs_op_store_end(struct rxd_fs_op *op, int err);

#endif
