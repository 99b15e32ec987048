/* Golden test: rxd's AFS directory blobs (app/fileserver/afsdir.c) against
 * the ones OpenAFS's own directory package builds (Debian libopenafs-dev,
 * /usr/lib/afs/libdir.a: afs_dir_MakeDir, afs_dir_Create, afs_dir_Delete,
 * afs_dir_Lookup, afs_dir_DirHash over the buffer cache of src/dir/buffer.c;
 * the fileserver-side hooks it calls are defined here).
 * The same operations on both must give the same bytes, page for page. */
#include <afs/param.h>
#include <afs/stds.h>
#include <afs/dir.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "afsdir.h"

/* The handle buffer.c keys its cache by (it copies it whole: it must fit
 * BUFFER_FID_SIZE, 40 bytes here; the first int is its hash key). */
struct disk {
	uint8_t *pages;
	int npages;
};

struct DirHandle {
	int key;
	int id;
	struct disk *disk;
};

/* The fileserver's hooks for libdir (src/viced/physio.c supplies them there). */
int ReallyRead(struct DirHandle *h, int page, char *data, int *physerr);
int ReallyWrite(struct DirHandle *h, int page, char *data);
int FidEq(struct DirHandle *a, struct DirHandle *b);
int FidVolEq(struct DirHandle *a, afs_int32 vid);
void FidCpy(struct DirHandle *to, struct DirHandle *from);
void FidZap(struct DirHandle *h);
void FidZero(struct DirHandle *h);
extern char *BufferData;

int ReallyRead(struct DirHandle *h, int page, char *data, int *physerr)
{
	if (page >= h->disk->npages) {
		if (physerr)
			*physerr = EIO;
		return EIO;
	}
	memcpy(data, h->disk->pages + (size_t)page * 2048, 2048);
	if (physerr)
		*physerr = 0;
	return 0;
}

int ReallyWrite(struct DirHandle *h, int page, char *data)
{
	struct disk *d = h->disk;

	if (page >= d->npages) {
		d->pages = realloc(d->pages, (size_t)(page + 1) * 2048);
		memset(d->pages + (size_t)d->npages * 2048, 0, (size_t)(page + 1 - d->npages) * 2048);
		d->npages = page + 1;
	}
	memcpy(d->pages + (size_t)page * 2048, data, 2048);
	return 0;
}

int FidEq(struct DirHandle *a, struct DirHandle *b)
{
	return a->id == b->id && a->disk == b->disk;
}

int FidVolEq(struct DirHandle *a, afs_int32 vid)
{
	return a->key == vid;
}

void FidCpy(struct DirHandle *to, struct DirHandle *from)
{
	*to = *from;
}

void FidZap(struct DirHandle *h)
{
	memset(h, 0, sizeof(*h));
}

void FidZero(struct DirHandle *h)
{
	memset(h, 0, sizeof(*h));
}

/* libdir.a is built with LWP-style locks (inline macros calling these only
 * on contention); libafsrpc's are the pthread ones, whose larger struct Lock
 * would overrun buffer.c's.  One thread here: nothing to wait for. */
struct Lock;
void Lock_Init(struct Lock *l);
void Afs_Lock_Obtain(struct Lock *l, int how);
void Afs_Lock_ReleaseR(struct Lock *l);
void Afs_Lock_ReleaseW(struct Lock *l);

void Lock_Init(struct Lock *l)
{
	(void)l;
}

void Afs_Lock_Obtain(struct Lock *l, int how)
{
	(void)l;
	(void)how;
}

void Afs_Lock_ReleaseR(struct Lock *l)
{
	(void)l;
}

void Afs_Lock_ReleaseW(struct Lock *l)
{
	(void)l;
}

void Die(const char *msg)
{
	fprintf(stderr, "libdir: %s\n", msg);
	abort();
}

enum { NBUF = 1100 }; /* more buffers than pages: no page is ever evicted */

static struct disk disk;
static struct DirHandle dh = {.key = 7, .id = 1, .disk = &disk};

static void init_libdir(void)
{
	DInit(NBUF);
	/* MakeDir and AddPage set only the fields they need; fresh buffers
	 * are zero on a fileserver's new directory file, so here too. */
	memset(BufferData, 0, (size_t)NBUF * 2048);
}

/* Entries' first slots, from the blob's hash chains (it passed the checker). */
static void entry_starts(const uint8_t *b, uint32_t npages, uint8_t *first)
{
	for (unsigned h = 0; h < 128; h++)
		for (unsigned s = (unsigned)(b[160 + 2 * h] << 8 | b[161 + 2 * h]); s != 0;
		     s = (unsigned)(b[s * 32 + 2] << 8 | b[s * 32 + 3])) {
			cr_assert_lt(s, npages * 64);
			first[s] = 1;
		}
}

/* Same bytes wherever a reader looks: page headers, the DirHeader, every
 * entry's flag, next, fid and name through its NUL.  The rest differs on
 * purpose: OpenAFS zeroes a deleted entry with sizeof(struct DirEntry), 28
 * bytes a slot, so the last 4 bytes per slot of a long name stay behind,
 * and a later entry's unused length byte or name tail may show them; rxd
 * zeroes all 32 bytes a slot, as kafs dir_edit.c does, and that is checked. */
static void same_bytes(const struct rxd_afsdir *d)
{
	static uint8_t first[1023 * 64];
	uint32_t nslots = d->npages * 64;

	cr_assert_eq(DFlush(), 0);
	cr_assert_eq((size_t)disk.npages, (size_t)d->npages, "pages: openafs %d rxd %u", disk.npages, d->npages);
	cr_assert_eq(afs_dir_Length(&dh), (int)rxd_afsdir_length(d));
	cr_assert_eq(rxd_afsdir_check(disk.pages, (size_t)disk.npages * 2048, NULL), 0, "OpenAFS's blob checks");
	cr_assert_eq(rxd_afsdir_check(d->buf, rxd_afsdir_length(d), NULL), 0);
	memset(first, 0, nslots);
	entry_starts(d->buf, d->npages, first);
	for (uint32_t s = 0; s < nslots;) {
		const uint8_t *a = disk.pages + (size_t)s * 32, *b = d->buf + (size_t)s * 32;
		size_t same = 32, n = 1;

		if (s < 13) {
			same = 32;
		} else if (first[s]) {
			size_t len = strlen((const char *)b + 12);

			same = 12 + len + 1;
			n = rxd_afsdir_name_slots(len);
		} else if (s % 64 != 0) {
			same = 0; /* a free slot */
		}
		for (size_t i = 0; i < same; i++)
			if (!(first[s] && i == 1)) /* the unused length byte: OpenAFS leaves residue */
				cr_assert_eq(a[i], b[i], "slot %u byte %zu: openafs %02x rxd %02x", s, i, a[i], b[i]);
		for (size_t i = same; i < n * 32; i++)
			cr_assert_eq(b[i], 0, "slot %u byte %zu: rxd leaves %02x", s, i, b[i]);
		s += (uint32_t)n;
	}
}

static void name_of(char *buf, unsigned i, unsigned len)
{
	unsigned n = (unsigned)snprintf(buf, 300, "%u.", i);

	for (; n < len; n++)
		buf[n] = (char)('!' + (i * 31 + n * 7) % 94); /* printable, '/' included: libdir allows it */
	buf[n] = 0;
}

static uint32_t rng = 12345;

static uint32_t next_rand(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

Test(afsdir_openafs, hash_is_dirhash)
{
	char n[300];

	for (unsigned i = 0; i < 50000; i++) {
		name_of(n, i, 1 + i % 255);
		cr_assert_eq(rxd_afsdir_hash(n), (unsigned)afs_dir_DirHash(n), "name %s", n);
	}
}

Test(afsdir_openafs, makedir_is_byte_identical)
{
	afs_int32 me[3] = {536870912, 3, 17}, parent[3] = {536870912, 1, 1};
	struct rxd_afsdir d;

	init_libdir();
	cr_assert_eq(afs_dir_MakeDir(&dh, me, parent), 0);
	cr_assert_eq(rxd_afsdir_init(&d, 3, 17, 1, 1), 0);
	same_bytes(&d);
	rxd_afsdir_free(&d);
}

/* Random creates and deletes of names of every length, past the 128 pages of
 * alloMap into the big format, and back: same bytes and same answers. */
Test(afsdir_openafs, random_edits_are_byte_identical, .timeout = 120)
{
	enum { NAMES = 9000, OPS = 16000 };
	afs_int32 me[3] = {1, 1, 1}, fid[3];
	static uint8_t live[NAMES];
	struct rxd_afsdir d;
	char n[300];

	init_libdir();
	cr_assert_eq(afs_dir_MakeDir(&dh, me, me), 0);
	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	for (unsigned op = 0; op < OPS; op++) {
		unsigned i = next_rand() % NAMES, len = next_rand() % 4 ? 20 + i % 30 : 1 + i % 255;
		uint32_t v, u;
		int a, b;

		name_of(n, i, len < 3 ? 3 : len);
		/* Mostly creates, until ~2/3 of the names live, so the directory
		 * grows past 128 pages, with deletes mixed in throughout. */
		if (!live[i] || next_rand() % 3 == 0) {
			fid[0] = 1;
			fid[1] = (afs_int32)(2 * i + 2);
			fid[2] = (afs_int32)op;
			a = afs_dir_Create(&dh, n, fid);
			b = -rxd_afsdir_add(&d, n, (uint32_t)fid[1], (uint32_t)fid[2]);
			cr_assert_eq(a, b, "create %s: openafs %d rxd %d", n, a, b);
			if (a == 0)
				live[i] = 1;
		} else {
			a = afs_dir_Delete(&dh, n);
			b = -rxd_afsdir_remove(&d, n);
			cr_assert_eq(a, b, "delete %s: openafs %d rxd %d", n, a, b);
			live[i] = 0;
		}
		a = afs_dir_Lookup(&dh, n, fid);
		b = -rxd_afsdir_lookup(&d, n, &v, &u);
		cr_assert_eq(a, b);
		if (a == 0)
			cr_assert((uint32_t)fid[1] == v && (uint32_t)fid[2] == u);
		if (op % 500 == 499)
			same_bytes(&d);
	}
	cr_assert_gt(d.npages, 128, "the test reached the big format (%u pages)", d.npages);
	same_bytes(&d);
	rxd_afsdir_free(&d);
}

Test(afsdir_openafs, full_directory_agrees, .timeout = 120)
{
	afs_int32 me[3] = {1, 1, 1}, fid[3] = {1, 2, 2};
	struct rxd_afsdir d;
	char n[300];
	int a = 0, b = 0;
	unsigned i;

	init_libdir();
	cr_assert_eq(afs_dir_MakeDir(&dh, me, me), 0);
	cr_assert_eq(rxd_afsdir_init(&d, 1, 1, 1, 1), 0);
	for (i = 0; i < 8000 && a == 0; i++) {
		name_of(n, i, 255);
		a = afs_dir_Create(&dh, n, fid);
		b = -rxd_afsdir_add(&d, n, 2, 2);
		cr_assert_eq(a, b, "create %u: openafs %d rxd %d", i, a, b);
	}
	cr_assert_eq(a, EFBIG);
	same_bytes(&d);
	rxd_afsdir_free(&d);
}
