/* Registering this fileserver with the vlservers of a real cell, as an
 * OpenAFS fileserver and volserver do: VL_RegisterAddrs with the server's
 * UUID and addresses (src/viced/viced.c), then for every volume a VLDB entry
 * naming this server as its RW site: VL_CreateEntryN where the VLDB has none,
 * VL_ReplaceEntryN where the entry names another site (src/volser).
 *
 * Runs as client calls on one lcore's shard, one call at a time, driven by
 * rxd_fs_vlreg_poll from that lcore's loop; a step that fails (no answer, an
 * abort such as ubik's "not the sync site") is tried again on the next
 * vlserver after retry_ms, up to max_tries times.  The outcome is one log
 * line.  Usage: doc/fileserver.md "Volume location and serving a real cell". */
#ifndef RXD_FS_VLREG_H
#define RXD_FS_VLREG_H

#include <stdint.h>

#include <rxd/core.h>

struct rxd_fs_vl;

struct rxd_fs_vlreg_params {
	struct rxd_local *local;	/* the calls' shard: rxd_worker_local(w, iface, 7000) */
	const struct rxd_fs_vl *vl;	/* UUID, addresses and volumes to register */
	const struct rxd_addr *servers; /* the cell's vlservers (UDP 7003) */
	unsigned n_servers;		/* 1..8 */
	/* the calls' security; a vlserver without -noauth wants rxkad with the cell's key */
	uint8_t security_index;
	uint8_t security_level;
	const void *key;
	uint32_t retry_ms;			   /* between tries of a step; 0 = 1000 */
	unsigned max_tries;			   /* of each step; 0 = 10 */
	void (*log)(void *user, const char *line); /* NULL = stderr */
	void *log_user;
};

/* What a finished registration did. */
struct rxd_fs_vlreg_result {
	int32_t error; /* 0, or the last abort code / -errno of the step that gave up */
	unsigned created, replaced, present, conflicts;
};

struct rxd_fs_vlreg;

/** Begin registering (the first call goes out at the first poll); 0,
 * -EINVAL, -ENOMEM. */
int rxd_fs_vlreg_start(const struct rxd_fs_vlreg_params *p, struct rxd_fs_vlreg **out);

/** Drive it from the lcore loop: 0 while running, 1 when it is done (all
 * volumes registered or in conflict, *res filled, the outcome logged), a
 * negative value once it gave up (res->error says why). */
int rxd_fs_vlreg_poll(struct rxd_fs_vlreg *r, uint64_t now, struct rxd_fs_vlreg_result *res);

/** Stop (ending any call in flight) and free. */
void rxd_fs_vlreg_free(struct rxd_fs_vlreg *r, uint64_t now);

#endif
