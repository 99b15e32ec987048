/* SPDX-License-Identifier: MIT */
/*
 * An OpenAFS cache manager's callback service for test_fs_cb_openafs: OpenAFS
 * rx (libafsrpc.a) serving RXAFSCB with OpenAFS's own server stubs
 * (RXAFSCB_ExecuteRequest, libafsint.a) on 127.0.0.1, recording what the
 * fileserver told it.  Its own file so that no OpenAFS header meets rxd's.
 * tests/fileserver/openafs_fs_client serves it beside its RXAFS calls.
 */
#ifndef FS_CB_OPENAFS_CM_H
#define FS_CB_OPENAFS_CM_H

#include <stdint.h>

#define CM_MAX_FIDS 1024

struct cm_seen {
	int callbacks, max_batch, nfids, icbs3, tmay, probes, ops;
	uint32_t fids[CM_MAX_FIDS][3];
	uint32_t icbs3_time_low, icbs3_node5;
	int first_op; /* 1 TMAY, 2 ICBS3, 3 CallBack, 4 Probe */
};

/** Start rx on 127.0.0.1 with the callback service; returns the UDP port (host order), 0 on failure. */
uint16_t cm_start(uint32_t uuid_time_low);
/** Serve the callback service on the rx already initialised (its port is where its calls come from): 0 or -1. */
int cm_serve(uint32_t uuid_time_low);
/** A copy of what arrived so far. */
void cm_seen(struct cm_seen *out);

#endif
