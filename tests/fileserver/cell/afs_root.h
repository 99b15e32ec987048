/* SPDX-License-Identifier: MIT */
/*
 * The start the cell tools share: libafscp as afsio sets it up (init, then
 * anonymous and rxnull, the cell of /etc/openafs/ThisCell) and the root
 * directory of a RW volume.
 */
#ifndef AFS_ROOT_H
#define AFS_ROOT_H

#include <afs/param.h>
#include <afs/stds.h>
#include <afs/afscp.h>
#include <afs/voldefs.h>

#include <stdio.h>

/* The root fid of volume (free with afscp_FreeFid), or NULL with the reason on stderr (afscp left set up). */
static inline struct afscp_venusfid *afs_volume_root(const char *prog, const char *volume)
{
	struct afscp_venusfid *root;
	struct afscp_volume *vol;
	struct afscp_cell *cell;

	if (afscp_Init(NULL) != 0) {
		fprintf(stderr, "%s: afscp_Init failed\n", prog);
		return NULL;
	}
	afscp_AnonymousAuth(1);
	afscp_Insecure();
	cell = afscp_DefaultCell();
	vol = cell ? afscp_VolumeByName(cell, volume, RWVOL) : NULL;
	root = vol ? afscp_MakeFid(cell, vol->id, 1, 1) : NULL;
	if (!root)
		fprintf(stderr, "%s: volume %s: not found (afscp_errno %d)\n", prog, volume, afscp_errno);
	return root;
}

#endif
