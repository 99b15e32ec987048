/* SPDX-License-Identifier: MIT */
/*
 * The fileserver's UUID: what InitCallBackState3 sends (cb.h) and what the VL
 * service reports for this server (GetAddrsU, GetEntryByNameU), so a client
 * (kafs's afs_find_server by UUID) matches the two.  Made once, at the first
 * start, and kept in the partition directory so it survives restarts, as
 * OpenAFS's fileserver keeps its UUID in sysid.
 */
#ifndef RXD_FS_UUID_H
#define RXD_FS_UUID_H

#include "afs_rpc.h"

#define RXD_FS_UUID_FILE "rxd-fileserver.uuid"

/**
 * Read <vice>/rxd-fileserver.uuid, or make a random (version 4) UUID and
 * write it there (written whole to a temporary file, fsync'ed and renamed).
 * The file is one line, "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".  0, -EINVAL
 * for a file that is not a UUID, or another negative errno.
 */
int rxd_fs_uuid_load(const char *vice, struct rxd_afsUUID *out);

/** Format u as the file's line into buf (at least 37 bytes). */
void rxd_fs_uuid_format(const struct rxd_afsUUID *u, char *buf);
/** Parse the file's line form: 0 or -EINVAL. */
int rxd_fs_uuid_parse(const char *s, struct rxd_afsUUID *out);

#endif
