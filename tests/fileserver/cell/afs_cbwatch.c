/* SPDX-License-Identifier: MIT */
/*
 * afs_cbwatch VOLUME NAME SECONDS: hold a callback on the file NAME in the
 * root directory of a volume (RW) of the default cell and report when the
 * fileserver breaks it, through OpenAFS's libafscp (afsio's library), whose
 * RXAFSCB service (afscp_callback.c) marks a callback invalid when the server
 * sends CallBack naming its fid, or InitCallBackState(3).  libafscp 1.8
 * recognises the server of such a call only when its address reads the same
 * byte-swapped (cell_lib.sh, CELL_RXD_IP_CB).
 *
 * Prints, one line each as it happens:
 *   reset         the server's InitCallBackState3 for this new client came
 *                 (a new host is reset before anything else: waited for, so
 *                 that reset cannot pass for a break); "reset early" when the
 *                 root's callback outlived RESET_WAIT_S, i.e. the reset came
 *                 before the reply that carried that callback
 *   promised N    FetchStatus of NAME gave a callback of N seconds
 *   broken        the callback on NAME was broken within SECONDS
 *   not broken    it was not
 * Exit 0 when broken, 1 when not, 2 for usage or setup errors.
 */
#include "afs_root.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define POLL_US 10000
#define RESET_WAIT_S 5

/* The callback on fid is still valid (afscp_FindCallBack: -1 once broken or expired). */
static int valid(const struct afscp_venusfid *fid)
{
	struct afscp_callback *cb = NULL;

	return afscp_FindCallBack(fid, NULL, &cb) == 0 && cb != NULL;
}

/* Wait up to seconds for the callback on fid to go; 1 if it went. */
static int wait_broken(const struct afscp_venusfid *fid, int seconds)
{
	for (long us = 0; us < seconds * 1000000L; us += POLL_US) {
		if (!valid(fid))
			return 1;
		usleep(POLL_US);
	}
	return !valid(fid);
}

int main(int argc, char **argv)
{
	struct afscp_venusfid *root = NULL, *f = NULL;
	struct AFSFetchStatus st;
	struct afscp_callback *cb = NULL;
	int secs, rc = 2;

	if (argc != 4 || (secs = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: afs_cbwatch VOLUME NAME SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	root = afs_volume_root("afs_cbwatch", argv[1]);
	if (!root)
		goto out;
	/* The first call makes this process a new host: the server resets it, which drops the root's callback. */
	if (afscp_GetStatus(root, &st) != 0) {
		fprintf(stderr, "afs_cbwatch: volume %s: no root status (afscp_errno %d)\n", argv[1], afscp_errno);
		goto out;
	}
	printf(wait_broken(root, RESET_WAIT_S) ? "reset\n" : "reset early\n");
	f = afscp_ResolveName(root, argv[2]);
	if (!f || afscp_GetStatus(f, &st) != 0 || afscp_FindCallBack(f, NULL, &cb) != 0 || !cb) {
		fprintf(stderr, "afs_cbwatch: %s: no status or no callback (afscp_errno %d)\n", argv[2], afscp_errno);
		goto out;
	}
	printf("promised %u\n", cb->cb.ExpirationTime);
	rc = wait_broken(f, secs) ? 0 : 1;
	printf(rc == 0 ? "broken\n" : "not broken\n");
out:
	afscp_FreeFid(f);
	afscp_FreeFid(root);
	afscp_Finalize();
	return rc;
}
