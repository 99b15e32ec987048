/* SPDX-License-Identifier: MIT */
/*
 * AFS access control lists, as an OpenAFS fileserver keeps them on every
 * directory (src/libacl/acl.h, aclprocs.c): positive and negative entries
 * of (PR id, rights), the rights a caller's CPS (its id and the groups it is
 * in) gets from them, the text form RXAFS_FetchACL/StoreACL carry
 * (acl_Externalize / acl_Internalize: "npos\nnneg\nname\trights\n..."), and
 * the fixed-size little-endian record the store keeps per directory vnode.
 * Names are mapped by the caller's functions (the fileserver's user table).
 */
#ifndef RXD_FS_ACL_H
#define RXD_FS_ACL_H

#include <stddef.h>
#include <stdint.h>

/* PR ids of the system groups (OpenAFS src/ptserver/ptserver.h) and the anonymous user */
#define RXD_FS_ANYUSER_ID (-101)
#define RXD_FS_AUTHUSER_ID (-102)
#define RXD_FS_ADMINS_ID (-204)
#define RXD_FS_ANON_USER_ID 32766

#define RXD_FS_ACL_MAX 20u	/* entries, positive and negative together: what OpenAFS's 192-byte vnode ACL holds */
#define RXD_FS_ACL_DISK 192u	/* bytes of one stored ACL record (OpenAFS VAclDiskSize) */
#define RXD_FS_ACL_NAME_MAX 63u /* PR_MAXNAMELEN - 1 */

struct rxd_fs_ace {
	int32_t id;
	uint32_t rights;
};

/* e[0, npos) are the positive entries, e[npos, npos + nneg) the negative ones, each part sorted by id. */
struct rxd_fs_acl {
	uint32_t npos, nneg;
	struct rxd_fs_ace e[RXD_FS_ACL_MAX];
};

/** The ACL of a volume made before ACLs were stored: system:administrators all, system:anyuser anyuser. */
void rxd_fs_acl_default(struct rxd_fs_acl *a, uint32_t anyuser);

/** acl_CheckRights: the union of the positive entries naming an id of cps, less that of the negative ones. */
uint32_t rxd_fs_acl_rights(const struct rxd_fs_acl *a, const int32_t *cps, uint32_t ncps);

/** The stored record (RXD_FS_ACL_DISK bytes, checksummed). */
void rxd_fs_acl_encode(const struct rxd_fs_acl *a, uint8_t *out);
/** 0, 1 for an all-zero record (none stored), or -EINVAL for one that fails its checksum or bounds. */
int rxd_fs_acl_decode(const uint8_t *in, struct rxd_fs_acl *a);

/* Name mapping for the text form: 0, or a positive errno (ENOENT: no such name or id). */
typedef int (*rxd_fs_name_to_id_fn)(const void *arg, const char *name, int32_t *id);
typedef int (*rxd_fs_id_to_name_fn)(const void *arg, int32_t id, char *name, size_t size);

/**
 * acl_Internalize_pr: the text of a StoreACL (len bytes, a NUL ends it
 * early).  0, or EINVAL as OpenAFS's RXStore_AccessList answers: malformed,
 * more than RXD_FS_ACL_MAX entries, or a name that does not map.
 */
int rxd_fs_acl_parse(const char *text, size_t len, rxd_fs_name_to_id_fn fn, const void *arg, struct rxd_fs_acl *out);

/** acl_Externalize_pr into buf (NUL-terminated); an id without a name is written as its number.  0 or E2BIG. */
int rxd_fs_acl_format(const struct rxd_fs_acl *a, rxd_fs_id_to_name_fn fn, const void *arg, char *buf, size_t size);

#endif
