/* SPDX-License-Identifier: MIT */
/*
 * An independent RXAFS client for rxd-fileserver: OpenAFS's own rx and its
 * rxgen client stubs (Debian libopenafs-dev: libafsrpc.a, libafsauthent.a,
 * afs/afsint.h), rxnull, no cache manager and no VL (the volume id is given).
 *
 *   openafs_fs_client -a ADDR [-p PORT] [-V VOLID] suite [--big]
 *       every operation against the volume's root, checked against what an
 *       OpenAFS fileserver answers (errors, status fields, directory blobs)
 *   openafs_fs_client ... put NAME SIZE SEED | get NAME SIZE SEED
 *       write / read back and verify a file in the root (the durability check)
 *   openafs_fs_client ... access none|read
 *       the --anonymous policy: which operations are refused with EACCES
 *   openafs_fs_client ... callbacks UUID TAG
 *       two clients (this process, A, serving RXAFSCB with OpenAFS's stubs as
 *       tests/unit/fs_cb_openafs_cm.c does; a forked B): B's changes break
 *       A's promises; UUID is the server's (its rxd-fileserver.uuid line)
 *
 * Prints one "PASS name" / "FAIL name -- why" line per check; exit 0 when all
 * passed, 1 otherwise, 2 for usage or setup errors.
 */
#include <afs/param.h>
#include <afs/stds.h>
#include <rx/xdr.h>
#include <afs/afsint.h>
#include <rx/rx.h>
#include <rx/rx_null.h>

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROOT_VNODE 1
#define VNOVNODE 102
#include <afs/rxgen_consts.h>
#include <sys/wait.h>

#include "fs_cb_openafs_cm.h"

#define DIR_PAGE 2048
#define DIR_SLOT 32
#define DIR_SLOTS_PER_PAGE 64
#define DIR_HASH_OFF 160 /* page header 32 + allocation map 128 (OpenAFS dir.h DirHeader) */
#define DIR_NHASH 128
#define IO_BUF (256 * 1024)

static struct rx_connection *conn;
static afs_uint32 volid = 536870912;
static int failures, passes;

static void check(int ok, const char *name, const char *fmt, ...)
{
	if (ok) {
		printf("PASS %s\n", name);
		passes++;
		return;
	}
	va_list ap;
	printf("FAIL %s -- ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures++;
}

static AFSFid fid3(afs_uint32 vn, afs_uint32 un)
{
	AFSFid f = {volid, vn, un};
	return f;
}

/* The test pattern: byte i of a file written with seed s. */
static unsigned char pat(uint64_t i, unsigned s)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)s * 0xbf58476d1ce4e5b9ull;
	return (unsigned char)(x >> 56 ^ x >> 29 ^ i);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* ------------------------------------------------------------------ streamed calls */

/* StoreData64 of size bytes of pattern seed at pos; flen 0: the file ends with them (pos + size). */
static int store64(AFSFid *f, uint64_t pos, uint64_t size, uint64_t flen, unsigned seed, AFSFetchStatus *st,
		   AFSStoreStatus *ss)
{
	static __thread unsigned char buf[IO_BUF];
	AFSStoreStatus none = {0, 0, 0, 0, 0, 0};
	AFSVolSync vs;
	struct rx_call *c = rx_NewCall(conn);
	int code = StartRXAFS_StoreData64(c, f, ss ? ss : &none, pos, size, flen ? flen : pos + size);

	for (uint64_t off = 0; !code && off < size;) {
		size_t n = size - off < IO_BUF ? (size_t)(size - off) : IO_BUF;
		for (size_t i = 0; i < n; i++)
			buf[i] = pat(pos + off + i, seed);
		if (rx_Write(c, (char *)buf, (int)n) != (int)n)
			code = -1;
		off += n;
	}
	if (!code)
		code = EndRXAFS_StoreData64(c, st, &vs);
	return rx_EndCall(c, code);
}

/* StoreData (32-bit) of the same pattern. */
static int store32(AFSFid *f, afs_uint32 pos, afs_uint32 size, unsigned seed, AFSFetchStatus *st)
{
	unsigned char buf[4096];
	AFSStoreStatus none = {0, 0, 0, 0, 0, 0};
	AFSVolSync vs;
	struct rx_call *c = rx_NewCall(conn);
	int code = StartRXAFS_StoreData(c, f, &none, pos, size, pos + size);

	for (afs_uint32 off = 0; !code && off < size;) {
		afs_uint32 n = size - off < sizeof buf ? size - off : (afs_uint32)sizeof buf;
		for (afs_uint32 i = 0; i < n; i++)
			buf[i] = pat(pos + off + i, seed);
		if (rx_Write(c, (char *)buf, (int)n) != (int)n)
			code = -1;
		off += n;
	}
	if (!code)
		code = EndRXAFS_StoreData(c, st, &vs);
	return rx_EndCall(c, code);
}

/* FetchData64 [pos, pos + len): *got bytes, their checksum, *bad = first byte not matching seed (or -1);
 * out (may be NULL) keeps up to cap bytes. */
static int fetch64(AFSFid *f, uint64_t pos, uint64_t len, int seed, uint64_t *got, uint64_t *sum, int64_t *bad,
		   unsigned char *out, size_t cap, AFSFetchStatus *st, AFSCallBack *cb, AFSVolSync *vs)
{
	static __thread unsigned char buf[IO_BUF];
	struct rx_call *c = rx_NewCall(conn);
	afs_uint32 w[2];
	uint64_t n = 0, h = 0xcbf29ce484222325ull;
	int code = StartRXAFS_FetchData64(c, f, (afs_int64)pos, (afs_int64)len);

	*bad = -1;
	if (!code && rx_Read(c, (char *)w, 8) != 8)
		code = -1;
	if (!code) {
		uint64_t total = (uint64_t)ntohl(w[0]) << 32 | ntohl(w[1]);
		while (!code && n < total) {
			int k = (int)(total - n < IO_BUF ? total - n : IO_BUF);
			if (rx_Read(c, (char *)buf, k) != k) {
				code = -1;
				break;
			}
			for (int i = 0; seed >= 0 && i < k && *bad < 0; i++)
				if (buf[i] != pat(pos + n + (uint64_t)i, (unsigned)seed))
					*bad = (int64_t)(n + (uint64_t)i);
			if (out && n < cap)
				memcpy(out + n, buf, (size_t)(cap - n < (uint64_t)k ? cap - n : (uint64_t)k));
			h = fnv(h, buf, (size_t)k);
			n += (uint64_t)k;
		}
	}
	if (!code)
		code = EndRXAFS_FetchData64(c, st, cb, vs);
	*got = n;
	*sum = h;
	return rx_EndCall(c, code);
}

/* FetchData (32-bit): the length word is 4 bytes. */
static int fetch32(AFSFid *f, afs_int32 pos, afs_int32 len, unsigned seed, afs_int32 *got, int *ok)
{
	unsigned char buf[4096];
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	struct rx_call *c = rx_NewCall(conn);
	afs_int32 w, n = 0;
	int code = StartRXAFS_FetchData(c, f, pos, len);

	*ok = 1;
	if (!code && rx_Read(c, (char *)&w, 4) != 4)
		code = -1;
	while (!code && n < (afs_int32)ntohl(w)) {
		int k = (int)ntohl(w) - n < (int)sizeof buf ? (int)ntohl(w) - n : (int)sizeof buf;
		if (rx_Read(c, (char *)buf, k) != k) {
			code = -1;
			break;
		}
		for (int i = 0; i < k; i++)
			if (buf[i] != pat((uint64_t)(pos + n + i), seed))
				*ok = 0;
		n += k;
	}
	if (!code)
		code = EndRXAFS_FetchData(c, &st, &cb, &vs);
	*got = n;
	return rx_EndCall(c, code);
}

/* ------------------------------------------------------------------ directories */

struct dent {
	char name[257];
	afs_uint32 vnode, unique;
};

/* Parse a directory blob by its hash chains (OpenAFS dir.h layout): up to max entries. */
static int parse_dir(const unsigned char *b, size_t len, struct dent *out, int max, const char **why)
{
	int n = 0;

	if (len < DIR_PAGE || len % DIR_PAGE) {
		*why = "length not whole 2048-byte pages";
		return -1;
	}
	if ((b[2] << 8 | b[3]) != 1234) {
		*why = "page 0 tag is not 1234";
		return -1;
	}
	for (int h = 0; h < DIR_NHASH; h++) {
		unsigned e = (unsigned)(b[DIR_HASH_OFF + 2 * h] << 8 | b[DIR_HASH_OFF + 2 * h + 1]);
		int guard = 0;
		while (e) {
			size_t off =
			    (size_t)(e / DIR_SLOTS_PER_PAGE) * DIR_PAGE + (size_t)(e % DIR_SLOTS_PER_PAGE) * DIR_SLOT;
			if (off + DIR_SLOT > len || ++guard > 4096 || n >= max) {
				*why = "hash chain leaves the blob or loops";
				return -1;
			}
			const unsigned char *d = b + off;
			size_t room = len - off - 12;
			size_t nl = strnlen((const char *)d + 12, room < 256 ? room : 256);
			memcpy(out[n].name, d + 12, nl);
			out[n].name[nl] = 0;
			out[n].vnode = (afs_uint32)d[4] << 24 | (afs_uint32)d[5] << 16 | (afs_uint32)d[6] << 8 | d[7];
			out[n].unique =
			    (afs_uint32)d[8] << 24 | (afs_uint32)d[9] << 16 | (afs_uint32)d[10] << 8 | d[11];
			n++;
			e = (unsigned)(d[2] << 8 | d[3]);
		}
	}
	return n;
}

static unsigned char dirbuf[2 << 20];
static struct dent dents[4096];

/* List a directory; returns the entry count or -1 (why in *why). */
static int list_dir(AFSFid *dir, const char **why)
{
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	uint64_t got, sum;
	int64_t bad;
	int code = fetch64(dir, 0, sizeof dirbuf, -1, &got, &sum, &bad, dirbuf, sizeof dirbuf, &st, &cb, &vs);

	if (code) {
		*why = "FetchData64 of the directory failed";
		return -1;
	}
	if (st.FileType != 2 || got != st.Length) {
		*why = "not a directory, or the blob is not its length";
		return -1;
	}
	return parse_dir(dirbuf, (size_t)got, dents, 4096, why);
}

static const struct dent *dir_find(int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(dents[i].name, name))
			return &dents[i];
	return NULL;
}

/* ------------------------------------------------------------------ helpers */

static int create(AFSFid *dir, const char *name, AFSFid *out, AFSFetchStatus *st)
{
	AFSStoreStatus ss = {AFS_SETMODE, 0, 0, 0, 0644, 0};
	AFSFetchStatus dst;
	AFSCallBack cb;
	AFSVolSync vs;

	return RXAFS_CreateFile(conn, dir, (char *)name, &ss, out, st, &dst, &cb, &vs);
}

static int lookup(AFSFid *dir, const char *name, AFSFid *out)
{
	const char *why;
	int n = list_dir(dir, &why);
	const struct dent *d = n > 0 ? dir_find(n, name) : NULL;

	if (!d)
		return ENOENT;
	*out = fid3(d->vnode, d->unique);
	return 0;
}

static int raw_opcode(afs_int32 op)
{
	struct rx_call *c = rx_NewCall(conn);
	afs_int32 w = (afs_int32)htonl((afs_uint32)op);
	int code = rx_Write(c, (char *)&w, 4) == 4 ? 0 : -1;
	char b[4];

	if (!code)
		rx_Read(c, b, 4); /* the abort ends it */
	return rx_EndCall(c, code);
}

/* ------------------------------------------------------------------ the suite */

static void t_file(AFSFid *root, const char *name, uint64_t size, unsigned seed)
{
	char tn[96];
	AFSFid f;
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	uint64_t got, sum, want = 0xcbf29ce484222325ull;
	int64_t bad;
	int code = create(root, name, &f, &st);

	snprintf(tn, sizeof tn, "create %s", name);
	check(code == 0 && st.Length == 0 && st.FileType == 1, tn, "code %d length %u type %u", code, st.Length,
	      st.FileType);
	if (code)
		return;
	code = store64(&f, 0, size, 0, seed, &st, NULL);
	snprintf(tn, sizeof tn, "StoreData64 %s (%" PRIu64 " B)", name, size);
	check(code == 0 && ((uint64_t)st.Length_hi << 32 | st.Length) == size && st.DataVersion >= 1, tn,
	      "code %d length %u:%u dv %u", code, st.Length_hi, st.Length, st.DataVersion);
	for (uint64_t i = 0; i < size;) {
		unsigned char b[4096];
		size_t n = size - i < sizeof b ? (size_t)(size - i) : sizeof b;
		for (size_t k = 0; k < n; k++)
			b[k] = pat(i + k, seed);
		want = fnv(want, b, n);
		i += n;
	}
	code = fetch64(&f, 0, size + 100, (int)seed, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
	snprintf(tn, sizeof tn, "FetchData64 %s: same bytes, same checksum", name);
	check(code == 0 && got == size && bad < 0 && sum == want, tn,
	      "code %d got %" PRIu64 " first bad byte %" PRId64 " sum %016" PRIx64 " want %016" PRIx64, code, got, bad,
	      sum, want);
	snprintf(tn, sizeof tn, "FetchData64 %s: callback and volsync", name);
	check(code == 0 && cb.CallBackVersion == 1 && cb.CallBackType == 2 && cb.ExpirationTime > 0 && vs.spare1 != 0,
	      tn, "cb %u/%u/%u spare1 %u", cb.CallBackVersion, cb.ExpirationTime, cb.CallBackType, vs.spare1);
}

struct conc {
	AFSFid f;
	int idx, iters, writer;
	int errors;
	char why[128];
};

#define CONC_REGION (128 * 1024)
#define CONC_WRITERS 3

/* Version v of region r has seed r * 1000 + v + 1: the setup stores version 0, a writer's iteration it
 * version it + 1.  Readers check the bytes. */
static void *conc_main(void *arg)
{
	struct conc *c = arg;
	static __thread unsigned char buf[CONC_REGION * CONC_WRITERS];

	for (int it = 0; it < c->iters; it++) {
		if (c->writer) {
			AFSFetchStatus st;
			/* the file length stays the whole file's: a shorter one would truncate the others */
			int code = store64(&c->f, (uint64_t)c->idx * CONC_REGION, CONC_REGION,
					   (uint64_t)CONC_REGION * CONC_WRITERS, (unsigned)(c->idx * 1000 + it + 2),
					   &st, NULL);
			if (code) {
				c->errors++;
				snprintf(c->why, sizeof c->why, "writer %d store code %d", c->idx, code);
			}
			continue;
		}
		AFSFetchStatus st;
		AFSCallBack cb;
		AFSVolSync vs;
		uint64_t got, sum;
		int64_t bad;
		int code = fetch64(&c->f, 0, sizeof buf, -1, &got, &sum, &bad, buf, sizeof buf, &st, &cb, &vs);
		if (code || got != sizeof buf) {
			c->errors++;
			snprintf(c->why, sizeof c->why, "reader code %d got %" PRIu64, code, got);
			continue;
		}
		/* One FetchData sees one data version, as OpenAFS's fileserver holds the vnode lock for the
		 * whole call: each region is whole bytes of one of its writer's stores, and the DataVersion
		 * returned counts exactly the stores those bytes are (3 setup stores, then one per version). */
		uint64_t stores = 0;
		for (int r = 0; r < CONC_WRITERS && !c->errors; r++) {
			size_t base = (size_t)r * CONC_REGION;
			int v = 0, whole = 0;
			for (; v <= c->iters && !whole; v += !whole) {
				whole = 1;
				for (size_t k = 0; k < CONC_REGION && whole; k += 97)
					whole = buf[base + k] == pat(base + k, (unsigned)(r * 1000 + v + 1));
			}
			if (!whole) {
				c->errors++;
				snprintf(c->why, sizeof c->why, "one fetch saw region %d of more than one version", r);
			}
			stores += (uint64_t)v;
		}
		if (!c->errors && ((uint64_t)st.dataVersionHigh << 32 | st.DataVersion) != CONC_WRITERS + stores) {
			c->errors++;
			snprintf(c->why, sizeof c->why, "DataVersion %u, the bytes are of %" PRIu64 " stores",
				 st.DataVersion, CONC_WRITERS + stores);
		}
	}
	return NULL;
}

static void t_concurrent(AFSFid *root)
{
	struct conc w[CONC_WRITERS + 3];
	pthread_t t[CONC_WRITERS + 3];
	AFSFid f;
	AFSFetchStatus st;
	int code = create(root, "concurrent", &f, &st), errs = 0, nt = CONC_WRITERS + 3;
	const char *why = "";

	for (int r = 0; !code && r < CONC_WRITERS; r++) /* version 0 (seed r*1000+1) everywhere first */
		code = store64(&f, (uint64_t)r * CONC_REGION, CONC_REGION, 0, (unsigned)(r * 1000 + 1), &st, NULL);
	if (code) {
		check(0, "concurrent readers and writers", "setup code %d", code);
		return;
	}
	for (int i = 0; i < nt; i++) {
		w[i] = (struct conc){.f = f, .idx = i, .iters = 8, .writer = i < CONC_WRITERS};
		pthread_create(&t[i], NULL, conc_main, &w[i]);
	}
	for (int i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		errs += w[i].errors;
		if (w[i].errors)
			why = w[i].why;
	}
	check(errs == 0, "concurrent readers and writers (3 writers, 3 readers, 8 rounds): each fetch one version",
	      "%d errors, e.g. %s", errs, why);
	/* the last version of every region is what is left */
	int ok = 1;
	for (int r = 0; r < CONC_WRITERS && ok; r++) {
		uint64_t got, sum;
		int64_t bad;
		AFSCallBack cb;
		AFSVolSync vs;
		code = fetch64(&f, (uint64_t)r * CONC_REGION, CONC_REGION, r * 1000 + 9, &got, &sum, &bad, NULL, 0, &st,
			       &cb, &vs);
		ok = code == 0 && got == CONC_REGION && bad < 0;
	}
	check(ok, "concurrent: every region holds its writer's last version", "code %d", code);
}

#define LOCK_FILE (4 << 20)
#define LOCK_READ 65536

struct lock_store {
	AFSFid f;
	int code;
	AFSFetchStatus st;
};

static void *lock_store_main(void *arg)
{
	struct lock_store *s = arg;

	s->code = store64(&s->f, 3 << 20, LOCK_READ, LOCK_FILE, 23, &s->st, NULL);
	return NULL;
}

/* FetchData64 of the whole LOCK_FILE on c, the rest after the first LOCK_READ bytes: *bad = first byte not of
 * seed; 0 or the call's code. */
static int lock_fetch_rest(struct rx_call *c, unsigned seed, int64_t *bad, AFSFetchStatus *st)
{
	static unsigned char buf[LOCK_READ];
	AFSCallBack cb;
	AFSVolSync vs;
	int code = 0;

	for (uint64_t n = LOCK_READ; !code && n < LOCK_FILE; n += LOCK_READ) {
		if (rx_Read(c, (char *)buf, LOCK_READ) != LOCK_READ)
			code = -1;
		for (uint64_t i = 0; !code && i < LOCK_READ && *bad < 0; i++)
			if (buf[i] != pat(n + i, seed))
				*bad = (int64_t)(n + i);
	}
	return code ? code : EndRXAFS_FetchData64(c, st, &cb, &vs);
}

/* Open FetchData64 of LOCK_FILE bytes on a new call, its length word and first LOCK_READ bytes read. */
static struct rx_call *lock_fetch_open(AFSFid *f, int *code)
{
	static unsigned char buf[LOCK_READ];
	struct rx_call *c = rx_NewCall(conn);
	afs_uint32 w[2];

	*code = StartRXAFS_FetchData64(c, f, 0, LOCK_FILE);
	if (!*code && (rx_Read(c, (char *)w, 8) != 8 || rx_Read(c, (char *)buf, LOCK_READ) != LOCK_READ))
		*code = -1;
	return c;
}

/* OpenAFS's fileserver holds the vnode lock for a whole FetchData or StoreData: a store that comes while a
 * fetch streams goes after it, and calls that die holding the file or waiting for it let the others go. */
static void t_lock(AFSFid *root)
{
	AFSStoreStatus none = {0, 0, 0, 0, 0, 0};
	struct lock_store s = {.code = -1};
	AFSFetchStatus st0, st;
	struct rx_call *c, *c2;
	pthread_t t;
	int64_t bad = -1;
	int code = create(root, "locked", &s.f, &st0), code2, end, end2, started = 0;

	code = code ? code : store64(&s.f, 0, LOCK_FILE, 0, 21, &st0, NULL);
	c = lock_fetch_open(&s.f, &code);
	if (!code)
		started = pthread_create(&t, NULL, lock_store_main, &s) == 0;
	usleep(300000); /* the store reaches the server and waits (later, it simply comes after the fetch) */
	code = code ? code : lock_fetch_rest(c, 21, &bad, &st);
	code = rx_EndCall(c, code);
	if (started)
		pthread_join(t, NULL);
	check(code == 0 && bad < 0 && st.DataVersion == st0.DataVersion,
	      "a FetchData64 streaming while a StoreData64 comes: its own version's bytes and DataVersion",
	      "code %d first bad byte %" PRId64 " dv %u, before %u", code, bad, st.DataVersion, st0.DataVersion);
	check(s.code == 0 && s.st.DataVersion == st0.DataVersion + 1, "the StoreData64 goes after it", "code %d dv %u",
	      s.code, s.st.DataVersion);

	/* a store waiting for an open fetch dies, then the fetch dies midway */
	c = lock_fetch_open(&s.f, &code);
	c2 = rx_NewCall(conn);
	code2 = StartRXAFS_StoreData64(c2, &s.f, &none, 0, 10, LOCK_FILE);
	if (!code2 && rx_Write(c2, "0123456789", 10) != 10)
		code2 = -1;
	usleep(300000);
	end2 = rx_EndCall(c2, 1);
	end = rx_EndCall(c, 1);
	code = code ? code : store64(&s.f, 0, 10, LOCK_FILE, 24, &st, NULL);
	check(code == 0 && code2 == 0 && end == 1 && end2 == 1 && st.DataVersion == s.st.DataVersion + 1,
	      "a fetch aborted midway and a store aborted waiting for it leave the file free",
	      "code %d/%d end %d/%d dv %u after %u", code, code2, end, end2, st.DataVersion, s.st.DataVersion);
}

/* Calls that end early, with file-I/O jobs of theirs still out on the server. */
static void t_aborts(AFSFid *root)
{
	static unsigned char buf[1 << 20];
	AFSStoreStatus none = {0, 0, 0, 0, 0, 0};
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	AFSFid f;
	struct rx_call *c;
	afs_uint32 w[2];
	int code = create(root, "aborted", &f, &st);

	/* the client aborts a StoreData64 after 1 MiB of the 8 MiB it announced */
	c = rx_NewCall(conn);
	if (!code)
		code = StartRXAFS_StoreData64(c, &f, &none, 0, 8 << 20, 8 << 20);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = pat(i, 5);
	if (!code && rx_Write(c, (char *)buf, sizeof buf) != sizeof buf)
		code = -1;
	int end = rx_EndCall(c, 1); /* abort code 1 */
	code = code ? code : RXAFS_FetchStatus(conn, &f, &st, &cb, &vs);
	check(end == 1 && code == 0 && st.Length <= (1u << 20),
	      "client abort mid-StoreData64: the file keeps what came", "end %d code %d length %u", end, code,
	      st.Length);

	/* the client aborts a FetchData64 of 1 MiB after 64 KiB */
	if (lookup(root, "f1m", &f) == 0) {
		c = rx_NewCall(conn);
		code = StartRXAFS_FetchData64(c, &f, 0, 1 << 20);
		if (!code && (rx_Read(c, (char *)w, 8) != 8 || rx_Read(c, (char *)buf, 65536) != 65536))
			code = -1;
		end = rx_EndCall(c, 1);
		check(code == 0 && end == 1, "client abort mid-FetchData64", "code %d end %d", code, end);
	}

	/* a StoreData64 request that ends short of its announced length */
	if (lookup(root, "aborted", &f) == 0) {
		c = rx_NewCall(conn);
		code = StartRXAFS_StoreData64(c, &f, &none, 0, 1000, 1000);
		if (!code && rx_Write(c, (char *)buf, 10) != 10)
			code = -1;
		if (!code)
			code = EndRXAFS_StoreData64(c, &st, &vs);
		code = rx_EndCall(c, code);
		check(code == RXGEN_SS_UNMARSHAL, "StoreData64 short of its length -> RXGEN_SS_UNMARSHAL (-453)",
		      "code %d", code);
	}
	code = RXAFS_FetchStatus(conn, root, &st, &cb, &vs);
	check(code == 0, "the server answers after the aborted calls", "code %d", code);
}

static int suite(int big)
{
	AFSFid root = fid3(ROOT_VNODE, 1), f, d1, x;
	AFSFetchStatus st, st2;
	AFSCallBack cb;
	AFSVolSync vs;
	const char *why = "";
	int code, n;

	/* ---- lcore operations */
	Capabilities caps = {0, NULL};
	code = RXAFS_GetCapabilities(conn, &caps);
	check(code == 0 && caps.Capabilities_len >= 1 && (caps.Capabilities_val[0] & 2),
	      "GetCapabilities: 64-bit files", "code %d len %u", code, caps.Capabilities_len);
	free(caps.Capabilities_val);
	afs_uint32 sec = 0, usec = 0;
	code = RXAFS_GetTime(conn, &sec, &usec);
	check(code == 0 && labs((long)sec - (long)time(NULL)) < 60 && usec < 1000000, "GetTime", "code %d sec %u", code,
	      sec);
	check(raw_opcode(7) == RXGEN_OPCODE, "unknown opcode 7 -> RXGEN_OPCODE (-455)", "got %d", raw_opcode(7));
	check(raw_opcode(150) == RXGEN_OPCODE, "SetVolumeStatus (not served) -> -455", "got %d", raw_opcode(150));
	check(raw_opcode(134) == RXGEN_SS_UNMARSHAL, "StoreACL without its arguments -> -453", "got %d",
	      raw_opcode(134));

	/* ---- status of the root */
	code = RXAFS_FetchStatus(conn, &root, &st, &cb, &vs);
	check(code == 0 && st.InterfaceVersion == 1 && st.FileType == 2 && st.LinkCount >= 2 && st.Length >= 2048 &&
		  st.DataVersion >= 1 && (st.CallerAccess & 0x3f) == 0x3f && st.AnonymousAccess == st.CallerAccess &&
		  st.ParentVnode == 0 && st.ServerModTime != 0 && st.errorCode == 0,
	      "FetchStatus root: a directory, rights rlidwk",
	      "code %d iv %u type %u links %u len %u dv %u access %#x/%#x", code, st.InterfaceVersion, st.FileType,
	      st.LinkCount, st.Length, st.DataVersion, st.CallerAccess, st.AnonymousAccess);
	check(code == 0 && vs.spare1 != 0 && cb.CallBackVersion == 1 && cb.CallBackType == 2,
	      "FetchStatus root: volsync creation time, shared callback", "spare1 %u cb %u/%u", vs.spare1,
	      cb.CallBackVersion, cb.CallBackType);
	AFSFid bogus_vol = {volid + 7, 1, 1};
	code = RXAFS_FetchStatus(conn, &bogus_vol, &st, &cb, &vs);
	check(code == 103, "FetchStatus of an absent volume -> VNOVOL (103)", "code %d", code);

	/* ---- files of every size */
	t_file(&root, "f0", 0, 1);
	t_file(&root, "f1", 1, 2);
	t_file(&root, "f1m", 1 << 20, 3);
	if (big)
		t_file(&root, "f64m", 64ull << 20, 4);
	else
		printf("SKIP 64 MiB file (RXD_QUICK)\n");

	/* ---- ranges and the 32-bit procedures */
	if (lookup(&root, "f1m", &f) == 0) {
		uint64_t got, sum;
		int64_t bad;
		code = fetch64(&f, 1000, 5000, 3, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
		check(code == 0 && got == 5000 && bad < 0, "FetchData64 of a range", "code %d got %" PRIu64, code, got);
		code = fetch64(&f, (1 << 20) - 10, 100, 3, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
		check(code == 0 && got == 10 && bad < 0, "FetchData64 across the end: clipped", "code %d got %" PRIu64,
		      code, got);
		code = fetch64(&f, 5u << 20, 100, 3, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
		check(code == 0 && got == 0, "FetchData64 past the end: 0 bytes", "code %d got %" PRIu64, code, got);
		afs_int32 g32;
		int ok;
		code = fetch32(&f, 4096, 70000, 3, &g32, &ok);
		check(code == 0 && g32 == 70000 && ok, "FetchData (32-bit)", "code %d got %d ok %d", code, g32, ok);
	} else {
		check(0, "lookup f1m", "not in the root listing");
	}
	code = create(&root, "s32", &f, &st);
	if (!code)
		code = store32(&f, 0, 100000, 9, &st);
	if (!code) {
		afs_int32 g32;
		int ok;
		code = fetch32(&f, 0, 200000, 9, &g32, &ok);
		check(code == 0 && g32 == 100000 && ok && st.Length == 100000, "StoreData (32-bit) then FetchData",
		      "code %d got %d", code, g32);
	} else {
		check(0, "StoreData (32-bit)", "code %d", code);
	}

	/* ---- namespace errors (OpenAFS fileserver codes) */
	code = create(&root, "f1", &x, &st);
	check(code == EEXIST, "CreateFile of an existing name -> EEXIST", "code %d", code);
	code = RXAFS_RemoveFile(conn, &root, "nosuch", &st, &vs);
	check(code == ENOENT, "RemoveFile of an absent name -> ENOENT", "code %d", code);
	AFSStoreStatus ss = {AFS_SETMODE, 0, 0, 0, 0755, 0};
	code = RXAFS_MakeDir(conn, &root, "d1", &ss, &d1, &st, &st2, &cb, &vs);
	check(code == 0 && st.FileType == 2 && st.ParentVnode == 1 && st2.LinkCount >= 3, "MakeDir d1",
	      "code %d type %u parent %u dirlinks %u", code, st.FileType, st.ParentVnode, st2.LinkCount);
	code = RXAFS_MakeDir(conn, &root, "d1", &ss, &x, &st, &st2, &cb, &vs);
	check(code == EEXIST, "MakeDir of an existing name -> EEXIST", "code %d", code);
	code = create(&d1, "inner", &x, &st);
	check(code == 0 && st.ParentVnode == d1.Vnode, "CreateFile in d1", "code %d", code);
	code = RXAFS_RemoveDir(conn, &root, "d1", &st, &vs);
	check(code == EEXIST, "RemoveDir of a non-empty directory -> EEXIST", "code %d", code);
	code = RXAFS_RemoveDir(conn, &root, "f1", &st, &vs);
	check(code == ENOTDIR, "RemoveDir of a file -> ENOTDIR", "code %d", code);
	code = RXAFS_RemoveFile(conn, &root, "d1", &st, &vs);
	check(code == EISDIR, "RemoveFile of a directory -> EISDIR", "code %d", code);
	code = create(&f, "x", &x, &st); /* f is a file, not a directory */
	check(code == ENOTDIR, "CreateFile in a file -> ENOTDIR", "code %d", code);
	code = RXAFS_Rename(conn, &root, "f1", &root, "f1r", &st, &st2, &vs);
	check(code == 0, "Rename f1 -> f1r", "code %d", code);
	code = RXAFS_Rename(conn, &root, "f1", &root, "f1s", &st, &st2, &vs);
	check(code == ENOENT, "Rename of an absent name -> ENOENT", "code %d", code);
	code = RXAFS_Rename(conn, &root, "d1", &d1, "loop", &st, &st2, &vs);
	check(code == 90, "Rename of a directory into itself -> ELOOP (90, OpenAFS FSERR_ELOOP)", "code %d", code);
	code = RXAFS_Symlink(conn, &root, "s1", "f1r", &ss, &x, &st, &st2, &vs);
	check(code == 0 && st.FileType == 3 && st.Length == 3, "Symlink s1 -> f1r", "code %d type %u len %u", code,
	      st.FileType, st.Length);
	if (!code) {
		uint64_t got, sum;
		int64_t bad;
		unsigned char b[16] = {0};
		code = fetch64(&x, 0, 100, -1, &got, &sum, &bad, b, sizeof b, &st, &cb, &vs);
		check(code == 0 && got == 3 && !memcmp(b, "f1r", 3), "FetchData64 of a symlink: its target",
		      "code %d got %" PRIu64, code, got);
	}
	if (lookup(&root, "f1r", &f) == 0) {
		code = RXAFS_Link(conn, &root, "f1link", &f, &st, &st2, &vs);
		check(code == 0 && st.LinkCount == 2, "Link f1link -> f1r: link count 2", "code %d links %u", code,
		      st.LinkCount);
		code = RXAFS_Link(conn, &root, "d1link", &d1, &st, &st2, &vs);
		check(code == EISDIR, "Link to a directory -> EISDIR", "code %d", code);
	}

	/* ---- the listing */
	n = list_dir(&root, &why);
	{
		const char *want[] = {".", "..", "f0", "f1r", "f1m", "s32", "d1", "s1", "f1link"};
		int ok = n > 0;
		for (unsigned i = 0; ok && i < sizeof want / sizeof want[0]; i++)
			ok = dir_find(n, want[i]) != NULL;
		ok = ok && !dir_find(n, "f1") && dir_find(n, "d1")->vnode == d1.Vnode && dir_find(n, ".")->vnode == 1 &&
		     dir_find(n, "f1link")->vnode == dir_find(n, "f1r")->vnode;
		check(ok, "root listing (OpenAFS directory blob, parsed by hash chains)", "%d entries: %s", n,
		      n < 0 ? why : "names or fids differ");
	}
	n = list_dir(&d1, &why);
	check(n == 3 && dir_find(n, "inner") && dir_find(n, "..") && dir_find(n, "..")->vnode == 1, "d1 listing",
	      "%d entries %s", n, n < 0 ? why : "");
	code = RXAFS_RemoveFile(conn, &d1, "inner", &st, &vs);
	check(code == 0, "RemoveFile d1/inner", "code %d", code);
	code = RXAFS_RemoveDir(conn, &root, "d1", &st, &vs);
	check(code == 0, "RemoveDir d1 (now empty)", "code %d", code);
	code = RXAFS_FetchStatus(conn, &d1, &st, &cb, &vs);
	check(code == VNOVNODE, "FetchStatus of the removed directory -> VNOVNODE", "code %d", code);

	/* ---- StoreStatus */
	if (lookup(&root, "f0", &f) == 0) {
		AFSStoreStatus s2 = {AFS_SETMODE | AFS_SETMODTIME, 1000000000, 0, 0, 0600, 0};
		code = RXAFS_StoreStatus(conn, &f, &s2, &st, &vs);
		AFSFetchStatus st3;
		int c2 = RXAFS_FetchStatus(conn, &f, &st3, &cb, &vs);
		check(code == 0 && c2 == 0 && st3.UnixModeBits == 0600 && st3.ClientModTime == 1000000000 &&
			  st.UnixModeBits == 0600,
		      "StoreStatus mode and mtime, seen by FetchStatus", "code %d/%d mode %o mtime %u", code, c2,
		      st3.UnixModeBits, st3.ClientModTime);
	}

	/* ---- InlineBulkStatus and BulkStatus */
	{
		AFSFid fv[3] = {root, f, fid3(999999, 1)};
		AFSCBFids fids = {3, fv};
		AFSBulkStats bs = {0, NULL};
		AFSCBs cbs = {0, NULL};
		code = RXAFS_InlineBulkStatus(conn, &fids, &bs, &cbs, &vs);
		check(code == 0 && bs.AFSBulkStats_len == 3 && bs.AFSBulkStats_val[0].FileType == 2 &&
			  bs.AFSBulkStats_val[1].FileType == 1 && bs.AFSBulkStats_val[1].errorCode == 0 &&
			  bs.AFSBulkStats_val[2].errorCode == VNOVNODE && cbs.AFSCBs_len == 3,
		      "InlineBulkStatus: good fids and a bad one (errorCode VNOVNODE)", "code %d len %u err %u", code,
		      bs.AFSBulkStats_len, bs.AFSBulkStats_len == 3 ? bs.AFSBulkStats_val[2].errorCode : 0);
		free(bs.AFSBulkStats_val);
		free(cbs.AFSCBs_val);
		bs.AFSBulkStats_val = NULL;
		cbs.AFSCBs_val = NULL;
		bs.AFSBulkStats_len = cbs.AFSCBs_len = 0;
		code = RXAFS_BulkStatus(conn, &fids, &bs, &cbs, &vs);
		check(code == VNOVNODE, "BulkStatus with a bad fid fails whole (VNOVNODE)", "code %d", code);
		free(bs.AFSBulkStats_val);
		free(cbs.AFSCBs_val);
		fids.AFSCBFids_len = 2;
		bs.AFSBulkStats_val = NULL;
		cbs.AFSCBs_val = NULL;
		bs.AFSBulkStats_len = cbs.AFSCBs_len = 0;
		code = RXAFS_BulkStatus(conn, &fids, &bs, &cbs, &vs);
		check(code == 0 && bs.AFSBulkStats_len == 2, "BulkStatus of good fids", "code %d", code);
		free(bs.AFSBulkStats_val);
		free(cbs.AFSCBs_val);
	}

	/* ---- volume status, ACL */
	{
		AFSFetchVolumeStatus vst;
		char *name = NULL, *off = NULL, *motd = NULL;
		code = RXAFS_GetVolumeStatus(conn, (afs_int32)volid, &vst, &name, &off, &motd);
		check(code == 0 && (afs_uint32)vst.Vid == volid && name && !strcmp(name, "root.cell") && vst.Online &&
			  vst.BlocksInUse > 0,
		      "GetVolumeStatus", "code %d vid %d name %s", code, vst.Vid, name ? name : "(null)");
		free(name);
		free(off);
		free(motd);
		AFSOpaque acl = {0, NULL};
		code = RXAFS_FetchACL(conn, &root, &acl, &st, &vs);
		check(code == 0 && acl.AFSOpaque_len > 0 && acl.AFSOpaque_val &&
			  strstr(acl.AFSOpaque_val, "system:anyuser") != NULL,
		      "FetchACL names system:anyuser", "code %d len %u", code, acl.AFSOpaque_len);
		free(acl.AFSOpaque_val);
	}

	/* ---- locks (OpenAFS HandleLocking) */
	code = RXAFS_SetLock(conn, &f, LockWrite, &vs);
	check(code == 0, "SetLock write", "code %d", code);
	code = RXAFS_FetchStatus(conn, &f, &st, &cb, &vs);
	check(code == 0 && st.lockCount == (afs_uint32)-1, "FetchStatus lockCount -1 under a write lock", "count %d",
	      (int)st.lockCount);
	code = RXAFS_SetLock(conn, &f, LockRead, &vs);
	check(code == EWOULDBLOCK, "SetLock read over a write lock -> EWOULDBLOCK", "code %d", code);
	code = RXAFS_ExtendLock(conn, &f, &vs);
	check(code == 0, "ExtendLock", "code %d", code);
	code = RXAFS_ReleaseLock(conn, &f, &vs);
	check(code == 0, "ReleaseLock", "code %d", code);
	code = RXAFS_ReleaseLock(conn, &f, &vs);
	check(code == EINVAL, "ReleaseLock of no lock -> EINVAL", "code %d", code);
	code = RXAFS_SetLock(conn, &f, LockRead, &vs);
	int c2 = RXAFS_SetLock(conn, &f, LockRead, &vs);
	int c3 = RXAFS_SetLock(conn, &f, LockWrite, &vs);
	check(code == 0 && c2 == 0 && c3 == EWOULDBLOCK, "two read locks share, a write lock waits", "codes %d %d %d",
	      code, c2, c3);
	RXAFS_ReleaseLock(conn, &f, &vs);
	RXAFS_ReleaseLock(conn, &f, &vs);

	/* ---- callbacks given up */
	{
		AFSFid fv[1] = {f};
		AFSCallBack cv[1] = {{1, 0, 2}};
		AFSCBFids fids = {1, fv};
		AFSCBs cbs = {1, cv};
		code = RXAFS_GiveUpCallBacks(conn, &fids, &cbs);
		c2 = RXAFS_GiveUpAllCallBacks(conn);
		check(code == 0 && c2 == 0, "GiveUpCallBacks, GiveUpAllCallBacks", "codes %d %d", code, c2);
	}

	t_aborts(&root);
	t_lock(&root);
	t_concurrent(&root);
	printf("%d passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ put / get / access */

static int put(const char *name, uint64_t size, unsigned seed)
{
	AFSFid root = fid3(ROOT_VNODE, 1), f;
	AFSFetchStatus st;
	int code = lookup(&root, name, &f);

	if (code)
		code = create(&root, name, &f, &st);
	if (!code)
		code = store64(&f, 0, size, 0, seed, &st, NULL);
	check(code == 0, "put", "code %d", code);
	return code ? 1 : 0;
}

static int get(const char *name, uint64_t size, unsigned seed)
{
	AFSFid root = fid3(ROOT_VNODE, 1), f;
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	uint64_t got = 0, sum;
	int64_t bad = -1;
	int code = lookup(&root, name, &f);

	if (!code)
		code = fetch64(&f, 0, size + 1, (int)seed, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
	check(code == 0 && got == size && bad < 0, "get", "code %d got %" PRIu64 " bad byte %" PRId64, code, got, bad);
	return code == 0 && got == size && bad < 0 ? 0 : 1;
}

static int access_check(const char *policy)
{
	AFSFid root = fid3(ROOT_VNODE, 1), f;
	AFSFetchStatus st;
	AFSCallBack cb;
	AFSVolSync vs;
	int none = !strcmp(policy, "none");
	int code = RXAFS_FetchStatus(conn, &root, &st, &cb, &vs);

	if (none) {
		check(code == EACCES, "anonymous none: FetchStatus -> EACCES", "code %d", code);
		Capabilities caps = {0, NULL};
		code = RXAFS_GetCapabilities(conn, &caps);
		free(caps.Capabilities_val);
		check(code == 0, "anonymous none: GetCapabilities still answered", "code %d", code);
	} else {
		check(code == 0 && st.CallerAccess == 9 && st.AnonymousAccess == 9,
		      "anonymous read: FetchStatus, rights rl", "code %d access %#x", code, st.CallerAccess);
		code = create(&root, "denied", &f, &st);
		check(code == EACCES, "anonymous read: CreateFile -> EACCES", "code %d", code);
		code = RXAFS_RemoveFile(conn, &root, "f0", &st, &vs);
		check(code == EACCES, "anonymous read: RemoveFile -> EACCES", "code %d", code);
		if (lookup(&root, "f1m", &f) == 0) {
			uint64_t got, sum;
			int64_t bad;
			code = fetch64(&f, 0, 1000, 3, &got, &sum, &bad, NULL, 0, &st, &cb, &vs);
			check(code == 0 && got == 1000 && bad < 0, "anonymous read: FetchData64", "code %d", code);
			code = store64(&f, 0, 10, 0, 3, &st, NULL);
			check(code == EACCES, "anonymous read: StoreData64 -> EACCES", "code %d", code);
		} else {
			check(0, "anonymous read: lookup f1m", "absent");
		}
	}
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------------ callbacks: two clients */

#define CB_WAIT_MS 10000 /* bound on a break's arrival (the server sends it at its next poll) */

static char cbf[40], cbd[40], cbr[40]; /* names of this run's file and directories (TAG-cbf, ...) */

/* Client B (a forked process: its own rx, its own host to the server): runs A's orders from the pipe. */
static int cb_client_b(struct in_addr ia, int port, int rd, int wr)
{
	AFSFid root = fid3(ROOT_VNODE, 1), f, d, sub;
	AFSStoreStatus ss = {AFS_SETMODE, 0, 0, 0, 0755, 0};
	AFSFetchStatus st, st2;
	AFSCallBack cb;
	AFSVolSync vs;
	unsigned seed = 500;
	char cmd;

	if (rx_Init(0) != 0)
		return 2;
	conn = rx_NewConnection(ia.s_addr, htons((unsigned short)port), 1, rxnull_NewClientSecurityObject(), 0);
	while (read(rd, &cmd, 1) == 1 && cmd != 'q') {
		int code = EINVAL;
		unsigned char r;
		if (cmd == 's') { /* store cbf */
			code = lookup(&root, cbf, &f);
			if (!code)
				code = store64(&f, 0, 1000, 0, seed++, &st, NULL);
		} else if (cmd == 'r') { /* CreateFile cbr in the root */
			code = create(&root, cbr, &f, &st);
		} else if (cmd == 'm' || cmd == 'n') { /* MakeDir cbd/sub, cbd/sub2 */
			code = lookup(&root, cbd, &d);
			if (!code)
				code = RXAFS_MakeDir(conn, &d, cmd == 'm' ? "sub" : "sub2", &ss, &sub, &st, &st2, &cb,
						     &vs);
		} else if (cmd == 'x') { /* RemoveFile cbf */
			code = RXAFS_RemoveFile(conn, &root, cbf, &st, &vs);
		}
		r = code ? 1 : 0;
		if (write(wr, &r, 1) != 1)
			break;
	}
	rx_DestroyConnection(conn);
	rx_Finalize();
	return 0;
}

/* Tell B to do cmd; its result code (0 ok). */
static int cb_order(int wr, int rd, char cmd)
{
	unsigned char r = 1;

	if (write(wr, &cmd, 1) != 1 || read(rd, &r, 1) != 1)
		return -1;
	return r;
}

/* Breaks of f seen by A so far. */
static int cb_breaks_of(const AFSFid *f)
{
	static struct cm_seen s;
	int n = 0;

	cm_seen(&s);
	for (int i = 0; i < s.nfids; i++)
		n += s.fids[i][0] == f->Volume && s.fids[i][1] == f->Vnode && s.fids[i][2] == f->Unique;
	return n;
}

/* Wait (bounded) until A has seen more than `had` breaks of f; the count. */
static int cb_wait_break(const AFSFid *f, int had)
{
	int n = cb_breaks_of(f);

	for (int ms = 0; n <= had && ms < CB_WAIT_MS; ms += 10) {
		usleep(10000);
		n = cb_breaks_of(f);
	}
	return n;
}

static int callbacks(struct in_addr ia, int port, const char *uuid, const char *tag)
{
	int to_b[2], from_b[2], status = 0, code;
	unsigned tl = 0;
	pid_t pid;
	AFSFid root = fid3(ROOT_VNODE, 1), f, d;
	AFSStoreStatus ss = {AFS_SETMODE, 0, 0, 0, 0755, 0};
	AFSFetchStatus st, st2;
	AFSCallBack cb;
	AFSVolSync vs;
	AFSCBFids fids;
	AFSCBs cbs;
	AFSCallBack cv[1] = {{1, 0, 2}};
	static struct cm_seen seen;

	if (sscanf(uuid, "%8x", &tl) != 1 || pipe(to_b) || pipe(from_b))
		return 2;
	snprintf(cbf, sizeof(cbf), "%.30s-cbf", tag);
	snprintf(cbd, sizeof(cbd), "%.30s-cbd", tag);
	snprintf(cbr, sizeof(cbr), "%.30s-cbr", tag);
	pid = fork(); /* before rx_Init: each process its own rx, port and host */
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(to_b[1]);
		close(from_b[0]);
		_exit(cb_client_b(ia, port, to_b[0], from_b[1]));
	}
	close(to_b[0]);
	close(from_b[1]);
	if (rx_Init(0) != 0 || cm_serve(0xa0a0a0a0u)) {
		fprintf(stderr, "rx_Init / RXAFSCB service failed\n");
		return 2;
	}
	rx_SetRxDeadTime(30);
	conn = rx_NewConnection(ia.s_addr, htons((unsigned short)port), 1, rxnull_NewClientSecurityObject(), 0);

	/* A: a file and a directory, each promised */
	code = create(&root, cbf, &f, &st);
	code = code ? code : RXAFS_FetchStatus(conn, &f, &st, &cb, &vs);
	check(code == 0 && cb.CallBackVersion == 1 && cb.CallBackType == 2 && cb.ExpirationTime == 4 * 3600,
	      "A: FetchStatus promises the file for 4 h (OpenAFS's TimeOuts, 1 holder)", "code %d cb %u/%u/%u", code,
	      cb.CallBackVersion, cb.ExpirationTime, cb.CallBackType);
	code = RXAFS_MakeDir(conn, &root, cbd, &ss, &d, &st, &st2, &cb, &vs);
	check(code == 0 && cb.ExpirationTime == 4 * 3600 && cb.CallBackType == 2, "A: MakeDir cbd, promised",
	      "code %d cb %u/%u/%u", code, cb.CallBackVersion, cb.ExpirationTime, cb.CallBackType);
	code = RXAFS_FetchStatus(conn, &d, &st, &cb, &vs);
	check(code == 0 && cb.ExpirationTime > 0, "A: FetchStatus cbd, promised", "code %d", code);

	/* B stores cbf: A hears of it */
	code = cb_order(to_b[1], from_b[0], 's');
	check(code == 0, "B: StoreData64 cbf", "code %d", code);
	check(cb_wait_break(&f, 0) == 1, "A: B's store breaks A's promise on cbf (CallBack names it)",
	      "%d breaks of cbf within %d ms", cb_breaks_of(&f), CB_WAIT_MS);
	cm_seen(&seen);
	check(seen.first_op == 1 && seen.tmay >= 1, "A: TellMeAboutYourself before anything else",
	      "first op %d, %d TMAY", seen.first_op, seen.tmay);
	check(seen.icbs3 >= 1 && seen.icbs3_time_low == tl,
	      "A: InitCallBackState3 carries the server's UUID (rxd-fileserver.uuid)",
	      "%d ICBS3, time_low %08x, want %08x", seen.icbs3, seen.icbs3_time_low, tl);

	/* A fetches again (a new promise), gives it up: B's next store sends A nothing for cbf */
	code = RXAFS_FetchStatus(conn, &f, &st, &cb, &vs);
	cv[0] = cb;
	fids.AFSCBFids_len = 1;
	fids.AFSCBFids_val = &f;
	cbs.AFSCBs_len = 1;
	cbs.AFSCBs_val = cv;
	code = code ? code : RXAFS_GiveUpCallBacks(conn, &fids, &cbs);
	check(code == 0 && cb.ExpirationTime > 0, "A: FetchStatus cbf again, then GiveUpCallBacks", "code %d", code);
	code = cb_order(to_b[1], from_b[0], 's');
	check(code == 0, "B: StoreData64 cbf again", "code %d", code);
	/* B's MakeDir in cbd breaks A's promise on cbd; breaks to a host go in order, so once that one is
	 * here a break of cbf would be too */
	code = cb_order(to_b[1], from_b[0], 'm');
	check(code == 0, "B: MakeDir cbd/sub", "code %d", code);
	check(cb_wait_break(&d, 0) == 1, "A: B's MakeDir breaks A's promise on the parent directory",
	      "%d breaks of cbd within %d ms", cb_breaks_of(&d), CB_WAIT_MS);
	check(cb_breaks_of(&f) == 1, "A: a promise given up gets no break", "%d breaks of cbf", cb_breaks_of(&f));

	/* A's own change spares A's promise; B's CreateFile in the root then breaks A's promise on the root,
	 * which arrives after any break of cbd the server queued for A */
	code = RXAFS_FetchStatus(conn, &d, &st, &cb, &vs);
	code = code ? code : RXAFS_FetchStatus(conn, &root, &st, &cb, &vs);
	code = code ? code : RXAFS_MakeDir(conn, &d, "mine", &ss, &f, &st, &st2, &cb, &vs);
	check(code == 0, "A: MakeDir cbd/mine", "code %d", code);
	code = cb_order(to_b[1], from_b[0], 'r');
	check(code == 0 && cb_wait_break(&root, 0) == 1, "A: B's CreateFile breaks A's promise on the root",
	      "code %d, %d breaks of the root", code, cb_breaks_of(&root));
	check(cb_breaks_of(&d) == 1, "A: its own MakeDir does not break its promise on cbd", "%d breaks of cbd",
	      cb_breaks_of(&d));

	/* B removes cbf, its last link: A's promise on the root breaks, the one on cbf is dropped without a
	 * break (OpenAFS SAFSS_RemoveFile: DeleteFileCallBacks).  B's MakeDir in cbd then breaks A's promise
	 * on cbd; breaks to a host go in order, so once that one is here a break of cbf would be too. */
	{
		AFSFid cf;
		int cf_had, root_had, d_had;
		code = lookup(&root, cbf, &cf);
		code = code ? code : RXAFS_FetchStatus(conn, &cf, &st, &cb, &vs);
		check(code == 0 && cb.ExpirationTime > 0, "A: FetchStatus cbf, promised", "code %d", code);
		code = RXAFS_FetchStatus(conn, &root, &st, &cb, &vs);
		check(code == 0 && cb.ExpirationTime > 0, "A: FetchStatus the root, promised", "code %d", code);
		cf_had = cb_breaks_of(&cf);
		root_had = cb_breaks_of(&root);
		d_had = cb_breaks_of(&d);
		code = cb_order(to_b[1], from_b[0], 'x');
		check(code == 0 && cb_wait_break(&root, root_had) == root_had + 1,
		      "A: B's RemoveFile cbf breaks A's promise on the root", "code %d, %d breaks of the root", code,
		      cb_breaks_of(&root) - root_had);
		code = cb_order(to_b[1], from_b[0], 'n');
		check(code == 0 && cb_wait_break(&d, d_had) == d_had + 1, "A: B's MakeDir cbd/sub2 breaks cbd",
		      "code %d, %d breaks of cbd", code, cb_breaks_of(&d) - d_had);
		check(cb_breaks_of(&cf) == cf_had,
		      "A: the removed file's promise is dropped without a break (OpenAFS DeleteFileCallBacks)",
		      "%d breaks of cbf", cb_breaks_of(&cf) - cf_had);
	}

	cb_order(to_b[1], from_b[0], 'q');
	close(to_b[1]);
	close(from_b[0]);
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "B exits cleanly", "status %d", status);
	rx_DestroyConnection(conn);
	rx_Finalize();
	return failures ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: openafs_fs_client -a ADDR [-p PORT] [-V VOLID] suite [--big] | put NAME SIZE SEED |"
			" get NAME SIZE SEED | access none|read | callbacks UUID TAG\n");
}

int main(int argc, char **argv)
{
	const char *addr = NULL;
	int port = 7000, opt;
	struct rx_securityClass *sc;
	struct in_addr ia;

	while ((opt = getopt(argc, argv, "+a:p:V:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'V':
			volid = (afs_uint32)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!addr || optind >= argc || inet_pton(AF_INET, addr, &ia) != 1) {
		usage();
		return 2;
	}
	if (!strcmp(argv[optind], "callbacks") && optind + 2 < argc)
		return callbacks(ia, port, argv[optind + 1], argv[optind + 2]);
	if (rx_Init(0) != 0) {
		fprintf(stderr, "rx_Init failed\n");
		return 2;
	}
	rx_SetRxDeadTime(30);
	sc = rxnull_NewClientSecurityObject();
	conn = rx_NewConnection(ia.s_addr, htons((unsigned short)port), 1, sc, 0);
	const char *cmd = argv[optind];
	int rc;
	if (!strcmp(cmd, "suite"))
		rc = suite(optind + 1 < argc && !strcmp(argv[optind + 1], "--big"));
	else if (!strcmp(cmd, "put") && optind + 3 < argc)
		rc = put(argv[optind + 1], strtoull(argv[optind + 2], NULL, 10), (unsigned)atoi(argv[optind + 3]));
	else if (!strcmp(cmd, "get") && optind + 3 < argc)
		rc = get(argv[optind + 1], strtoull(argv[optind + 2], NULL, 10), (unsigned)atoi(argv[optind + 3]));
	else if (!strcmp(cmd, "access") && optind + 1 < argc)
		rc = access_check(argv[optind + 1]);
	else {
		usage();
		rc = 2;
	}
	rx_DestroyConnection(conn);
	rx_Finalize();
	return rc;
}
