/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's users and groups without a ptserver (--users FILE): what
 * a cell's protection server answers (OpenAFS src/ptserver/ptint.xg
 * NameToID, IDToName, GetCPS), from a file of lines
 *
 *     NAME ID [GROUP ...]
 *
 * a user with a positive id, or a group with a negative one; a user's line
 * lists the groups it is in by name (system:administrators makes it an
 * administrator).  system:anyuser (-101), system:authuser (-102) and
 * system:administrators (-204) are always known; '#' starts a comment.
 * The table is read once and never changes, so any thread may look it up.
 */
#ifndef RXD_FS_USERS_H
#define RXD_FS_USERS_H

#include <stddef.h>
#include <stdint.h>

#define RXD_FS_CPS_MAX 256u /* ids of one caller's CPS: itself, its groups, anyuser, authuser */

struct rxd_fs_users;

/** Read path.  0, or -EINVAL / -ENOENT / -ENOMEM with a one-line reason naming the line in err. */
int rxd_fs_users_load(const char *path, struct rxd_fs_users **out, char *err, size_t errlen);
void rxd_fs_users_free(struct rxd_fs_users *u);

/**
 * NameToID (u may be NULL: only the system groups): a known name, or a
 * decimal id written as a name (as acl_Externalize writes an id without a
 * name).  0 or ENOENT.  An rxd_fs_name_to_id_fn (acl.h).
 */
int rxd_fs_users_name_to_id(const void *u, const char *name, int32_t *id);
/** IDToName: 0 or ENOENT.  An rxd_fs_id_to_name_fn (acl.h). */
int rxd_fs_users_id_to_name(const void *u, int32_t id, char *name, size_t size);

/**
 * GetCPS of an authenticated user id: the id, its groups, system:anyuser
 * and system:authuser (at most max; returns how many).
 */
uint32_t rxd_fs_users_cps(const struct rxd_fs_users *u, int32_t id, int32_t *cps, uint32_t max);

/**
 * The PR name of a ticket's client, as OpenAFS's fileserver forms it:
 * name, ".instance" if any, "@realm" (lower case) if the realm is not the
 * local one (local_realm, compared without case; "" or NULL: any realm is
 * local only when empty).  0, or ENAMETOOLONG.
 */
int rxd_fs_principal_name(const char *name, const char *instance, const char *realm, const char *local_realm, char *out,
			  size_t size);

#endif
