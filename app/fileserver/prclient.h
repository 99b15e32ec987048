/* SPDX-License-Identifier: MIT */
/*
 * A client of a cell's protection service (ptserver: PR, rx service 73, UDP
 * 7002; OpenAFS src/ptserver/ptint.xg) for the fileserver's access checks:
 * a caller's name to its AFS id and CPS (NameToID, GetCPS), and ids to
 * names for FetchACL (IDToName), the requests and replies marshalled by the
 * code scripts/rxgen.py generates from lib/afs/ptint.xg.  Answers are cached
 * (RXD_FS_PR_CACHE_SECONDS) so a busy caller costs one lookup per period.
 *
 * The transport is the caller's (main.c: rxd's message API, from a file-I/O
 * thread, which may block); every function here may block on it and is
 * safe to call from any thread (one lookup on the wire at a time).
 */
#ifndef RXD_FS_PRCLIENT_H
#define RXD_FS_PRCLIENT_H

#include <stddef.h>
#include <stdint.h>

#define RXD_FS_PR_SERVICE 73u
#define RXD_FS_PR_PORT 7002u
#define RXD_FS_PR_CACHE_SECONDS 600u /* how long an answer stands (a new group membership shows after this) */
#define RXD_FS_PR_CACHE_ENTRIES 256u

/*
 * One RPC: send req (opcode and IN arguments), put the reply's bytes in
 * reply (cap) and their count in *got.  0, the call's abort code in *abort
 * with -ECONNABORTED, or another negative errno (no answer).
 */
typedef int (*rxd_fs_pr_rpc_fn)(void *arg, const uint8_t *req, size_t len, uint8_t *reply, size_t cap, size_t *got,
				int32_t *abort);

struct rxd_fs_pr;

/** A client over rpc (kept: it must outlive the client); now_s is the clock of the cache (NULL: monotonic). */
int rxd_fs_pr_create(rxd_fs_pr_rpc_fn rpc, void *arg, uint64_t (*now_s)(void), struct rxd_fs_pr **out);
void rxd_fs_pr_free(struct rxd_fs_pr *pr);

/**
 * The AFS id and CPS of PR name (max ids into cps, *ncps of them).  0;
 * ENOENT for a name the ptserver does not know (it answers the anonymous
 * id); E2BIG for a CPS longer than max; EIO when the ptserver could not be
 * asked (not cached: the next call asks again).
 */
int rxd_fs_pr_cps(struct rxd_fs_pr *pr, const char *name, int32_t *id, int32_t *cps, uint32_t *ncps, uint32_t max);
/** NameToID of one name: 0, ENOENT or EIO.  The signature of rxd_fs_name_to_id_fn (acl.h) with arg = pr. */
int rxd_fs_pr_name_to_id(const void *pr, const char *name, int32_t *id);
/** IDToName of one id: 0, ENOENT (the ptserver answers the number itself) or EIO. */
int rxd_fs_pr_id_to_name(const void *pr, int32_t id, char *name, size_t size);

#endif
