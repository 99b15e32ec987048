/* SPDX-License-Identifier: MIT */
/*
 * afs_dirops VOLUME TAG: directory operations as a client sees them, through
 * OpenAFS's libafscp (afsio's library), whose afscp_ReadDir walks the
 * directory blob with OpenAFS's own layout (hash chains of dir.h): in a new
 * directory TAG in the volume's root, create, list, rename, remove, and the
 * errors a client gets.  libafscp has no Rename: that one is the rxgen stub,
 * RXAFS_Rename, on libafscp's connection to the server.
 *
 * Prints one "PASS what" / "FAIL what -- why" line per check; exit 0 when
 * all passed, 1 otherwise, 2 for setup errors.
 */
#include "afs_root.h"

#include <afs/afsint.h>

#include <errno.h>

#include <afs/unified_afs.h> /* after errno.h: it checks EIO */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	printf("%s %s", ok ? "PASS" : "FAIL", what);
	if (!ok) {
		printf(" -- ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		failures++;
	}
	printf("\n");
}

/* The names in dir, sorted, space-separated, into out (re-reading the directory from the server). */
static int list(const struct afscp_venusfid *dir, char *out, size_t cap)
{
	char names[16][64];
	struct afscp_dirstream *ds;
	struct afscp_dirent *de;
	int n = 0;

	/* drop what libafscp cached of the directory's status: its DataVersion decides a refetch */
	afscp_RemoveCallBack(NULL, dir);
	ds = afscp_OpenDir(dir);
	if (!ds)
		return -1;
	while ((de = afscp_ReadDir(ds)) != NULL && n < 16) {
		/* names here are short: a longer one is cut, and then fails the comparison */
		memcpy(names[n], de->name, sizeof(names[0]) - 1);
		names[n++][sizeof(names[0]) - 1] = 0;
	}
	afscp_CloseDir(ds);
	qsort(names, (size_t)n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? " " : "", names[i]);
	return n;
}

/*
 * code is errno e as the server said it: OpenAFS's fileserver translates its
 * errors into the unified ones (unified_afs.h) for a client whose
 * TellMeAboutYourself says CLIENT_CAPABILITY_ERRORTRANS, as libafscp's does;
 * rxd-fileserver, which does not offer VICED_CAPABILITY_ERRORTRANS, sends errno.
 */
static int is_errno(int code, int e)
{
	return code == e || (e == ENOENT && code == UAENOENT) || (e == EEXIST && code == UAEEXIST);
}

/* afscp's -1 and afscp_errno as one code (0: success). */
static int afscp_code(int rc)
{
	return rc ? afscp_errno : 0;
}

static int same_fid(const struct afscp_venusfid *a, const struct afscp_venusfid *b)
{
	return a && b && a->fid.Volume == b->fid.Volume && a->fid.Vnode == b->fid.Vnode &&
	       a->fid.Unique == b->fid.Unique;
}

int main(int argc, char **argv)
{
	struct afscp_venusfid *root, *d = NULL, *a = NULL, *b = NULL, *c = NULL, *sub = NULL, *a2;
	struct AFSStoreStatus ss = {.Mask = AFS_SETMODE, .UnixModeBits = 0644};
	struct AFSFetchStatus os, ns;
	struct AFSVolSync vs;
	struct afscp_volume *vol;
	struct rx_connection *conn;
	char got[1024];
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: afs_dirops VOLUME TAG\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	root = afs_volume_root("afs_dirops", argv[1]);
	vol = root ? afscp_VolumeById(root->cell, root->fid.Volume) : NULL;
	conn = vol && vol->nservers > 0 ? afscp_ServerConnection(afscp_ServerByIndex(vol->servers[0]), 0) : NULL;
	if (!conn || afscp_MakeDir(root, argv[2], &ss, &d) != 0) {
		fprintf(stderr, "afs_dirops: no connection or MakeDir %s failed (afscp_errno %d)\n", argv[2],
			afscp_errno);
		afscp_Finalize();
		return 2;
	}
	rc = list(d, got, sizeof(got));
	check(rc == 2 && !strcmp(got, ". .."), "a new directory lists . and ..", "%d names: '%s'", rc, got);

	rc = afscp_code(afscp_CreateFile(d, "a", &ss, &a));
	rc = rc ? rc : afscp_code(afscp_CreateFile(d, "b", &ss, &b));
	rc = rc ? rc : afscp_code(afscp_CreateFile(d, "c", &ss, &c));
	rc = rc ? rc : afscp_code(afscp_MakeDir(d, "sub", &ss, &sub));
	check(rc == 0, "CreateFile a, b, c and MakeDir sub", "code %d", rc);
	rc = list(d, got, sizeof(got));
	check(rc == 6 && !strcmp(got, ". .. a b c sub"), "the listing shows them", "%d names: '%s'", rc, got);
	a2 = NULL;
	rc = afscp_code(afscp_CreateFile(d, "a", &ss, &a2));
	check(is_errno(rc, EEXIST), "CreateFile of an existing name: EEXIST", "code %d", rc);
	afscp_FreeFid(a2);

	rc = RXAFS_Rename(conn, &d->fid, "a", &d->fid, "a2", &os, &ns, &vs);
	check(rc == 0, "Rename a -> a2", "code %d", rc);
	rc = afscp_code(afscp_RemoveFile(d, "b"));
	check(rc == 0, "RemoveFile b", "code %d", rc);
	rc = afscp_code(afscp_RemoveDir(d, "sub"));
	check(rc == 0, "RemoveDir sub", "code %d", rc);
	rc = list(d, got, sizeof(got));
	check(rc == 4 && !strcmp(got, ". .. a2 c"), "the listing shows the rename and the removals", "%d names: '%s'",
	      rc, got);
	afscp_RemoveCallBack(NULL, d);
	a2 = afscp_ResolveName(d, "a2");
	check(same_fid(a2, a), "a2 is the file a was (same fid)", "a2 %s", a2 ? "another fid" : "not found");
	afscp_FreeFid(b);
	b = afscp_ResolveName(d, "a");
	check(b == NULL, "a is gone", "still resolves");
	rc = afscp_code(afscp_RemoveFile(d, "b"));
	check(is_errno(rc, ENOENT), "RemoveFile of a removed name: ENOENT", "code %d", rc);
	rc = RXAFS_Rename(conn, &d->fid, "a2", &d->fid, "c", &os, &ns, &vs);
	check(rc == 0, "Rename a2 -> c, replacing c", "code %d", rc);
	rc = list(d, got, sizeof(got));
	check(rc == 3 && !strcmp(got, ". .. c"), "the listing shows one c", "%d names: '%s'", rc, got);
	afscp_FreeFid(a2);
	afscp_RemoveCallBack(NULL, d);
	a2 = afscp_ResolveName(d, "c");
	check(same_fid(a2, a), "c is now the file a was", "c %s", a2 ? "is another fid" : "not found");
	rc = afscp_code(afscp_RemoveDir(root, argv[2]));
	check(is_errno(rc, EEXIST), "RemoveDir of a non-empty directory: EEXIST (OpenAFS's answer)", "code %d", rc);
	rc = afscp_code(afscp_RemoveFile(d, "c"));
	rc = rc ? rc : afscp_code(afscp_RemoveDir(root, argv[2]));
	check(rc == 0, "empty it and RemoveDir it", "code %d", rc);

	afscp_FreeFid(a2);
	afscp_FreeFid(a);
	afscp_FreeFid(b);
	afscp_FreeFid(c);
	afscp_FreeFid(sub);
	afscp_FreeFid(d);
	afscp_FreeFid(root);
	afscp_Finalize();
	return failures ? 1 : 0;
}
