/* The fileserver's built-in volume location service (VL, rx service 52,
 * UDP 7003): a one-server VLDB made from the store's volumes, so a client
 * (afsio, Linux kafs, an OpenAFS cache manager) can find them without an
 * OpenAFS vlserver.  Answers as OpenAFS src/vlserver/vlprocs.c does for a
 * cell whose only fileserver is this one, registered with a UUID
 * (multi-homed entry): every volume is an RW volume on partition
 * /vicepa of this server.
 *
 * Threads: rxd_fs_vl_handle only reads the table, which is fixed at create,
 * so any number of lcores may call it at once.  Volumes created later are not
 * seen until the table is built again (rxd_fs_vl_create). */
#ifndef RXD_FS_VL_H
#define RXD_FS_VL_H

#include <stddef.h>
#include <stdint.h>

#include <rxd/core.h>

#include "afs_rpc.h"

struct rxd_fs_store;

/* VL abort codes (OpenAFS src/vlserver/vl_errors.et). */
#define RXD_VL_IDEXIST 363520
#define RXD_VL_NAMEEXIST 363522
#define RXD_VL_NOENT 363524
#define RXD_VL_BADNAME 363527
#define RXD_VL_BADVOLTYPE 363529
#define RXD_VL_PERM 363546
#define RXD_VL_INDEXERANGE 363549
#define RXD_VL_BADMASK 363551

#define RXD_FS_VL_MAXADDRS 16 /* this server's IPv4 addresses (OpenAFS VL_MAXIPADDRS_PERMH is 15) */

struct rxd_fs_vl_params {
	struct rxd_fs_store *store; /* the volumes: read once, at create */
	const char *cell;	    /* for the log lines; may be NULL */
	struct rxd_afsUUID uuid;    /* this server's UUID (RegisterAddrs, GetAddrsU) */
	const uint32_t *addrs;	    /* this server's IPv4 addresses, host byte order, as the VLDB keeps them */
	unsigned n_addrs;	    /* 1..RXD_FS_VL_MAXADDRS */
	int32_t uniquifier;	    /* the address entry's version (serverUnique, GetAddrsU); 0 = 1 */
	int32_t partition;	    /* the volumes' partition: 0 = /vicepa */
	/* the shards' clock, which the service's calls need (rxd_fs_vl_service_desc) */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

struct rxd_fs_vl;

/** Build the table; 0, -EINVAL (no address, too many), -ENOMEM. */
int rxd_fs_vl_create(const struct rxd_fs_vl_params *p, struct rxd_fs_vl **out);
void rxd_fs_vl_free(struct rxd_fs_vl *vl);

/** Answer one whole VL request (opcode first) into reply (RXD_VL_REPLY_MAX
 * bytes are always enough): 0 with *reply_len bytes to send, or the code to
 * abort the call with (RXD_RXGEN_OPCODE for a procedure a plain vlserver
 * client does not need here, RXD_VL_NOENT for an unknown volume...). */
int32_t rxd_fs_vl_handle(struct rxd_fs_vl *vl, const uint8_t *req, size_t len, uint8_t *reply, size_t cap,
			 size_t *reply_len);

/** The VL service (52) as an rxd service: each call's whole request (at
 * most RXD_VL_REQ_MAX bytes) is answered with rxd_fs_vl_handle, or aborted
 * (RXGEN_SS_UNMARSHAL if it is longer).  d->app is vl; register it on
 * every shard's UDP 7003 (rxd_shell_register_service). */
void rxd_fs_vl_service_desc(struct rxd_fs_vl *vl, struct rxd_service_desc *d);

/* What registration (vlreg.c) needs to know of the table. */
unsigned rxd_fs_vl_volume_count(const struct rxd_fs_vl *vl);
/** Volume i as the VLDB entry this server creates for it (CreateEntryN). */
void rxd_fs_vl_volume_entry(const struct rxd_fs_vl *vl, unsigned i, struct rxd_nvldbentry *e);
const struct rxd_afsUUID *rxd_fs_vl_uuid(const struct rxd_fs_vl *vl);
unsigned rxd_fs_vl_addrs(const struct rxd_fs_vl *vl, const uint32_t **addrs);
int32_t rxd_fs_vl_partition(const struct rxd_fs_vl *vl);
const char *rxd_fs_vl_cell(const struct rxd_fs_vl *vl);

#endif
