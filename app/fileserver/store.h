/* The fileserver's volume store: AFS volumes kept as files under a local
 * partition directory (a /vicepa), with the operations the RXAFS handlers
 * need, each returning 0 or the error code an OpenAFS fileserver returns for
 * the same request (src/viced/afsfileprocs.c): a positive errno (EEXIST,
 * ENOENT, ENOTDIR, EISDIR, EXDEV, EINVAL, EFBIG, ENOSPC...) or a volume error
 * (RXD_FS_VNOVNODE, RXD_FS_VNOVOL, ...), positive as on the wire; a local
 * failure of the store itself is EIO.
 *
 * Threads: every function may be called from any file-I/O worker thread.
 * Locking rule: one rwlock per volume; lookups, status and reads take it
 * shared, every change takes it exclusive for the whole change (index and
 * directory writes), so a change is atomic to other threads and index
 * records are never torn.  The bytes of a StoreData stream are written
 * between rxd_fs_store_begin and rxd_fs_store_end, and those of a FetchData
 * read between rxd_fs_fetch_begin and rxd_fs_fetch_end, without the volume
 * lock but under the file's stream lock, as OpenAFS holds the vnode lock for
 * the whole call: fetches of a file share it, a store excludes fetches and
 * other stores.  It never blocks: a begin that conflicts returns RXD_FS_WAIT
 * and the caller tries again later.
 * The store's volume table has its own mutex, taken only to find a volume.
 *
 * Durability: a call that returned 0 has written its changes to the
 * partition's files (they survive the process dying; a change to the index
 * and directories is journaled, so it happens whole); with RXD_FS_FSYNC in
 * the store status mask, or a store opened with RXD_FS_STORE_SYNC, the data
 * and the index are also fsync'ed before the call returns (they survive the
 * machine dying).  Layout and guarantees: doc/fileserver.md. */
#ifndef RXD_FS_STORE_H
#define RXD_FS_STORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "acl.h"

/* Volume errors (OpenAFS src/util/errors.h) and the rename loop error
 * (src/viced/afsfileprocs.c FSERR_ELOOP). */
#define RXD_FS_VSALVAGE 101
#define RXD_FS_VNOVNODE 102
#define RXD_FS_VNOVOL 103
#define RXD_FS_VVOLEXISTS 104
#define RXD_FS_VDISKFULL 108
#define RXD_FS_VOVERQUOTA 109
#define RXD_FS_ELOOP 90

/* rxd_fs_fetch_begin / rxd_fs_store_begin on a file whose other streams
 * conflict (never sent on the wire): nothing was taken, try again later. */
#define RXD_FS_WAIT (-EAGAIN)

/* AFSFetchStatus.FileType */
enum rxd_fs_type {
	RXD_FS_FREE = 0,
	RXD_FS_FILE = 1,
	RXD_FS_DIR = 2,
	RXD_FS_SYMLINK = 3,
};

/* AFSStoreStatus.Mask bits (src/fsint/afsint.xg) */
#define RXD_FS_SETMODTIME 1u
#define RXD_FS_SETOWNER 2u
#define RXD_FS_SETGROUP 4u
#define RXD_FS_SETMODE 8u
#define RXD_FS_FSYNC 1024u

/* ACL rights (src/afs/afs_args.h / ptserver PRSFS_*) */
#define RXD_FS_READ 1u
#define RXD_FS_WRITE 2u
#define RXD_FS_INSERT 4u
#define RXD_FS_LOOKUP 8u
#define RXD_FS_DELETE 16u
#define RXD_FS_LOCK 32u
#define RXD_FS_ADMINISTER 64u

/* rxd_fs_store_open flags */
#define RXD_FS_STORE_SYNC 1u /* fsync every change, as if FSYNC were always set */

#define RXD_FS_ROOT_VNODE 1u
#define RXD_FS_ANON_ID 32766u /* OpenAFS AnonymousID */

struct rxd_fs_fid {
	uint32_t volume;
	uint32_t vnode;
	uint32_t unique;
};

/* The vnode fields an AFSFetchStatus carries (CallerAccess is the handler's). */
struct rxd_fs_status {
	uint32_t type; /* enum rxd_fs_type */
	uint32_t link_count;
	uint64_t length;
	uint64_t data_version;
	uint32_t author;
	uint32_t owner;
	uint32_t group;
	uint32_t mode; /* permission bits (07777) */
	uint32_t parent_vnode;
	uint32_t parent_unique;
	uint32_t client_mtime;
	uint32_t server_mtime;
	uint32_t anon_access;  /* the rights of system:anyuser on the vnode */
	struct rxd_fs_acl acl; /* the ACL that governs the vnode: a directory's own, else its directory's */
	uint32_t vol_created;  /* the volume's creation time: AFSVolSync.spare1, as kafs reads it */
	uint32_t vol_owner;    /* the volume's owner (OpenAFS V_owner: implicit lookup and administer) */
};

/* AFSStoreStatus as the handler decoded it. */
struct rxd_fs_setattr {
	uint32_t mask; /* RXD_FS_SET* | RXD_FS_FSYNC */
	uint32_t client_mtime;
	uint32_t owner;
	uint32_t group;
	uint32_t mode;
};

/* AFSFetchVolumeStatus */
struct rxd_fs_volstatus {
	uint32_t vid;
	uint32_t parent_id;
	uint8_t online;
	uint8_t in_service;
	uint8_t blessed;
	uint8_t need_salvage;
	uint32_t type; /* 0 RW */
	int32_t min_quota;
	int32_t max_quota;     /* KiB, 0 = none */
	int32_t blocks_in_use; /* KiB used by the volume's files */
	int32_t part_blocks_avail;
	int32_t part_max_blocks;
	char name[32];
};

struct rxd_fs_store;
struct rxd_fs_rd;
struct rxd_fs_wr;

/** Open (or start) a partition directory and every volume in it. */
int rxd_fs_store_open(const char *root, unsigned flags, struct rxd_fs_store **out);

/** Flush and close; no call may be in progress. */
void rxd_fs_store_close(struct rxd_fs_store *st);

/** Create an RW volume with its root directory 1.1 (mode 0755, owner
 * owner); anon_rights is what system:anyuser gets on the root ACL.
 * RXD_FS_VVOLEXISTS if the id or the name is taken, EINVAL for id 0 or a
 * name longer than 31 bytes. */
int rxd_fs_volume_create(struct rxd_fs_store *st, uint32_t id, const char *name, uint32_t owner, uint32_t anon_rights);

/** The id of a volume by name or by its decimal id, RXD_FS_VNOVOL if absent. */
int rxd_fs_volume_lookup(struct rxd_fs_store *st, const char *name_or_id, uint32_t *id);

/* One volume of rxd_fs_volume_list. */
struct rxd_fs_volname {
	uint32_t id;
	char name[32];
};

/** The store's volumes (at most max of them into out, in no set order);
 * returns how many there are, which may be more than max.  For the volume
 * location service and the VLDB registration (vl.c). */
size_t rxd_fs_volume_list(struct rxd_fs_store *st, struct rxd_fs_volname *out, size_t max);

/** GetVolumeStatus: the volume's figures, and the partition's from statvfs. */
int rxd_fs_volume_status(struct rxd_fs_store *st, uint32_t vid, struct rxd_fs_volstatus *vs);

/** StoreACL: a directory's new ACL (ENOTDIR for another vnode), kept with the change's journal; every
 * directory made in it later starts with a copy.  out (may be NULL) gets the directory's status after.
 * FetchACL needs no call of its own: every status carries the governing ACL. */
int rxd_fs_store_acl(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, const struct rxd_fs_acl *acl,
		     struct rxd_fs_status *out);

/** FetchStatus. */
int rxd_fs_fetch_status(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_status *out);
/**
 * FetchStatus without waiting, for a worker lcore: the status is in memory,
 * only the locks could make it wait; -EWOULDBLOCK when one is taken (a
 * change is being made: ask rxd_fs_fetch_status on an I/O thread).
 */
int rxd_fs_fetch_status_nb(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_status *out);

/** Lookup: a name in a directory; out_st (may be NULL) gets the child's status. */
int rxd_fs_lookup(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, struct rxd_fs_fid *out,
		  struct rxd_fs_status *out_st);

/** FetchData, streamed: begin takes the status (the length the reply
 * announces) and opens the data (a file, a directory blob or a symlink
 * target), taking a file's stream lock shared (RXD_FS_WAIT while a store
 * holds it or waits for it), so the bytes read till end are those of the
 * data version in *status; read copies up to n bytes at off into buf, *got < n only at
 * that length, without the volume lock (bytes truncated away since begin
 * read as zeros, so the reply matches its announced length); end closes. */
int rxd_fs_fetch_begin(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, struct rxd_fs_rd **out,
		       struct rxd_fs_status *status);
int rxd_fs_fetch_read(struct rxd_fs_rd *rd, uint64_t off, void *buf, size_t n, size_t *got);
/** As rxd_fs_fetch_read, into iov[0..cnt) in order with one read for them all: *got = the bytes of
 * the stream up to its length (what lies in the iovecs past *got is not the stream's). */
int rxd_fs_fetch_readv(struct rxd_fs_rd *rd, uint64_t off, const struct iovec *iov, unsigned cnt, size_t *got);
void rxd_fs_fetch_end(struct rxd_fs_rd *rd);

/** FetchData in one call (begin, read, end; a begin that must wait is
 * retried for up to 10 s, then EAGAIN); status may be NULL. */
int rxd_fs_read(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint64_t off, void *buf, size_t n, size_t *got,
		struct rxd_fs_status *status);

/** StoreData, streamed: begin checks the target (a file, else EISDIR),
 * takes its stream lock exclusive (RXD_FS_WAIT while a fetch or a store
 * holds it; the refusal holds new fetches back for a second, renewed by
 * every retry, so fetches cannot starve the store), truncates to
 * file_length if that is below the current length, and opens the data;
 * write stores the next bytes from pos on; end sets the length to
 * max(truncated length, pos + bytes written), bumps the data version, applies
 * the store status (and fsyncs data and index with RXD_FS_FSYNC) and frees
 * the handle, releasing the lock.  A non-zero err to end (the call failed
 * midway) records the length the data file has and returns err. */
int rxd_fs_store_begin(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
		       const struct rxd_fs_setattr *sa, uint64_t pos, uint64_t length, uint64_t file_length,
		       struct rxd_fs_wr **out);
int rxd_fs_store_write(struct rxd_fs_wr *wr, const void *buf, size_t n);
int rxd_fs_store_end(struct rxd_fs_wr *wr, int err, struct rxd_fs_status *out);

/** StoreData in one call (begin, write, end; a begin that must wait is
 * retried as rxd_fs_read's). */
int rxd_fs_store_data(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
		      const struct rxd_fs_setattr *sa, uint64_t pos, const void *buf, uint64_t length,
		      uint64_t file_length, struct rxd_fs_status *out);

/** StoreStatus: mode, owner, group, client mtime as the mask says. */
int rxd_fs_store_status(struct rxd_fs_store *st, const struct rxd_fs_fid *fid, uint32_t caller,
			const struct rxd_fs_setattr *sa, struct rxd_fs_status *out);

/** CreateFile and MakeDir: a new vnode named name in dir; out_st and dir_st
 * (may be NULL) get the new vnode's and the directory's status after. */
int rxd_fs_create_file(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		       const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out, struct rxd_fs_status *out_st,
		       struct rxd_fs_status *dir_st);
int rxd_fs_make_dir(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		    const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out, struct rxd_fs_status *out_st,
		    struct rxd_fs_status *dir_st);

/** Symlink: target is the link's data (a mount point starts with # or %). */
int rxd_fs_symlink(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, const char *target,
		   uint32_t caller, const struct rxd_fs_setattr *sa, struct rxd_fs_fid *out,
		   struct rxd_fs_status *out_st, struct rxd_fs_status *dir_st);

/** Link: a second name for a file in the directory that holds it. */
int rxd_fs_link(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name,
		const struct rxd_fs_fid *existing, uint32_t caller, struct rxd_fs_status *out_st,
		struct rxd_fs_status *dir_st);

/** RemoveFile (files and symlinks; EISDIR for a directory) and RemoveDir
 * (ENOTDIR for a file; EEXIST when not empty, as OpenAFS answers). */
int rxd_fs_remove_file(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		       struct rxd_fs_status *dir_st);
int rxd_fs_remove_dir(struct rxd_fs_store *st, const struct rxd_fs_fid *dir, const char *name, uint32_t caller,
		      struct rxd_fs_status *dir_st);

/** Rename within a volume (EXDEV across volumes), replacing a target of the
 * same kind (an empty directory over a directory, a file over a file);
 * RXD_FS_ELOOP for a directory moved into its own subtree. */
int rxd_fs_rename(struct rxd_fs_store *st, const struct rxd_fs_fid *odir, const char *oname,
		  const struct rxd_fs_fid *ndir, const char *nname, uint32_t caller, struct rxd_fs_status *odir_st,
		  struct rxd_fs_status *ndir_st);

#endif
