/* The classic AFS directory format (OpenAFS src/dir/dir.h, dir.c; read by
 * OpenAFS clients and Linux kafs fs/afs/dir.c): a directory is a blob of
 * 2048-byte pages, each of 64 slots of 32 bytes.  Slot 0 of every page is the
 * page header (pgcount, tag 1234, a 64-bit allocation bitmap); page 0 also
 * holds the DirHeader: alloMap[128] (free slots per page, 64 = page absent)
 * and a 128-bucket hash table of big-endian slot numbers, 13 slots in all.
 * An entry is one slot (flag, length, next, vnode, unique, 16 name bytes)
 * plus continuation slots when the NUL-terminated name needs more than 16.
 *
 * struct rxd_afsdir owns an in-memory copy of the blob and records which
 * pages each edit dirtied, so the store writes back only those pages.
 * Functions return 0 or a negative errno. Not thread-safe: the caller locks. */
#ifndef RXD_AFSDIR_H
#define RXD_AFSDIR_H

#include <stddef.h>
#include <stdint.h>

#define RXD_AFSDIR_PAGE_SIZE 2048u
#define RXD_AFSDIR_SLOT_SIZE 32u
#define RXD_AFSDIR_SLOTS_PER_PAGE 64u
#define RXD_AFSDIR_NHASH 128u
#define RXD_AFSDIR_ALLOMAP_PAGES 128u /* pages tracked by alloMap (dir.h MAXPAGES) */
#define RXD_AFSDIR_MAX_PAGES 1023u    /* the big format's limit (dir.h BIGMAXPAGES) */
#define RXD_AFSDIR_HDR_SLOTS 13u      /* page header + alloMap + hash table on page 0 */
#define RXD_AFSDIR_TAG 1234u
#define RXD_AFSDIR_NAME_MAX 255u /* AFSNAMEMAX 256 with the NUL (src/fsint/afsint.xg) */

struct rxd_afsdir {
	uint8_t *buf;
	uint32_t npages; /* pages in the blob: the directory's length / 2048 */
	uint32_t cap;	 /* pages allocated in buf */
	uint64_t dirty[(RXD_AFSDIR_MAX_PAGES + 63) / 64];
};

/** Hash of a name into 0..127, as OpenAFS DirHash and kafs afs_dir_hash_name. */
unsigned rxd_afsdir_hash(const char *name);

/** Slots an entry with this name takes (OpenAFS NameBlobs). */
unsigned rxd_afsdir_name_slots(size_t namelen);

/** Format an empty directory with "." (me) and ".." (parent), as MakeDir. */
int rxd_afsdir_init(struct rxd_afsdir *d, uint32_t me_vnode, uint32_t me_unique, uint32_t parent_vnode,
		    uint32_t parent_unique);

/** Copy a blob read from disk; it must pass rxd_afsdir_check (-EIO otherwise). */
int rxd_afsdir_load(struct rxd_afsdir *d, const void *blob, size_t len);

void rxd_afsdir_free(struct rxd_afsdir *d);

/** Bytes of the blob (pages x 2048): the directory vnode's length. */
static inline size_t rxd_afsdir_length(const struct rxd_afsdir *d)
{
	return (size_t)d->npages * RXD_AFSDIR_PAGE_SIZE;
}

/** -ENOENT when absent. */
int rxd_afsdir_lookup(const struct rxd_afsdir *d, const char *name, uint32_t *vnode, uint32_t *unique);

/** -EEXIST, -EINVAL (empty name), -ENAMETOOLONG, -EFBIG (directory full), -ENOMEM.
 * Which names a fileserver accepts ('/', "@sys") is the caller's rule. */
int rxd_afsdir_add(struct rxd_afsdir *d, const char *name, uint32_t vnode, uint32_t unique);

/** -ENOENT when absent. */
int rxd_afsdir_remove(struct rxd_afsdir *d, const char *name);

/** Call fn for every entry in blob order (the order kafs readdir returns);
 * a non-zero return from fn stops the walk and is returned. */
int rxd_afsdir_iterate(const struct rxd_afsdir *d,
		       int (*fn)(void *arg, const char *name, uint32_t vnode, uint32_t unique), void *arg);

/** 1 when only "." and ".." remain. */
int rxd_afsdir_is_empty(const struct rxd_afsdir *d);

/** Validate a blob: what kafs checks (size 2048..2 MiB in whole pages, tag
 * on every page, names inside their page, continuation slots allocated) and
 * what the OpenAFS salvager checks (hash chains in bounds, acyclic, each
 * entry in its name's bucket, allocated slots exactly the header slots plus
 * the entries', alloMap and pgcount consistent).  0 or -EIO; on -EIO, *why
 * (if given) names the first fault. */
int rxd_afsdir_check(const void *blob, size_t len, const char **why);

/** Dirty pages: iterate with rxd_afsdir_next_dirty from page 0; clear after writing. */
int rxd_afsdir_next_dirty(const struct rxd_afsdir *d, uint32_t from);
void rxd_afsdir_clear_dirty(struct rxd_afsdir *d);

#endif
