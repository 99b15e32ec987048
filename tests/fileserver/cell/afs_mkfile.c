/* SPDX-License-Identifier: MIT */
/*
 * afs_mkfile [-as USER] VOLUME NAME...: create empty files (mode 0644) in the root
 * directory of a volume (RW) of the default cell through OpenAFS's libafscp, the library afsio is built on
 * (anonymous, rxnull, the cell of /etc/openafs/ThisCell), and print each
 * new fid.  -as USER: authenticated as USER instead, with a ticket libafscp
 * makes from the server KeyFile (afscp_LocalAuthAs, the -localauth way).
 *
 * The cell tests need it because Debian's afsio 1.8.9 cannot create a file
 * by path (its BreakUpPath writes "*dirName[len]" where it means
 * "(*dirName)[len]", so the directory name is never cut and the write
 * fails or crashes; later OpenAFS fixed it), and without a cache manager
 * nothing else can; afsio then writes the existing file (-force, append).
 */
#include "afs_root.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct afscp_venusfid *dir;
	const char *as = NULL;
	int rc = 0;

	if (argc > 2 && !strcmp(argv[1], "-as")) {
		as = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: afs_mkfile [-as USER] VOLUME NAME...\n");
		return 2;
	}
	/* before the cell is set up: its security object is made as USER (else anonymous, the fallback) */
	if (as && afscp_LocalAuthAs(as) != 0) {
		fprintf(stderr, "afs_mkfile: afscp_LocalAuthAs %s failed\n", as);
		return 2;
	}
	dir = afs_volume_root("afs_mkfile", argv[1]);
	if (!dir) {
		afscp_Finalize();
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		AFSStoreStatus in = {.Mask = AFS_SETMODE, .UnixModeBits = 0644};
		struct afscp_venusfid *f = NULL;

		if (afscp_CreateFile(dir, argv[i], &in, &f) != 0) {
			fprintf(stderr, "afs_mkfile: CreateFile %s in %s: afscp_errno %d\n", argv[i], argv[1],
				afscp_errno);
			rc = 1;
			continue;
		}
		printf("%s %u.%u.%u\n", argv[i], f->fid.Volume, f->fid.Vnode, f->fid.Unique);
		afscp_FreeFid(f);
	}
	afscp_FreeFid(dir);
	afscp_Finalize();
	return rc;
}
